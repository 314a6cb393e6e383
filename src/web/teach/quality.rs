//! Item quality for teachers: statistics from recorded answers (with flags for items that look faulty)
//! and the regrade of past mock answers after a key correction, dry run first.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use super::{STAFF, see_other, staff, staff_form, t};
use crate::domain::item::{Item, Response};
use crate::domain::item_stats::{Flag, Observation, QuestionStats, analyse};
use crate::domain::regrade::{self, Given, Plan, chosen_options};
use crate::storage::{AnyConnection, StorageError, audit, items, responses};
use crate::web::auth::{Auth, MaybeAuth};
use crate::web::pages::{error_page, render};
use crate::web::{ApiError, AppState};

/// How long computed statistics are served while new answers arrive.
const STATS_MAX_AGE: Duration = Duration::from_secs(30);

/// Item statistics over the whole answer log.
#[derive(Debug, Default)]
pub struct Stats {
    pub by_question: BTreeMap<String, QuestionStats>,
    /// The question ids of each item (a case has one per part).
    questions_of: HashMap<String, Vec<String>>,
}

/// The figures of an item at a glance, for lists.
#[derive(Clone, Debug, Serialize)]
pub struct Glance {
    pub answers: usize,
    pub facility: String,
    pub point_biserial: Option<String>,
    pub flagged: bool,
}

impl Stats {
    pub fn of_item(&self, id: &str) -> Vec<&QuestionStats> {
        self.questions_of
            .get(id)
            .map(|qs| qs.iter().filter_map(|q| self.by_question.get(q)).collect())
            .unwrap_or_default()
    }

    /// The item's answers (its first question's, for a case), facility and discrimination, and whether
    /// any of its questions is flagged.
    pub fn glance(&self, id: &str) -> Option<Glance> {
        let qs = self.of_item(id);
        let first = qs.first()?;
        let n = qs.len() as f64;
        Some(Glance {
            answers: first.answers,
            facility: format!("{:.2}", qs.iter().map(|q| q.facility).sum::<f64>() / n),
            point_biserial: first.point_biserial.map(|r| format!("{r:.2}")),
            flagged: qs.iter().any(|q| !q.flags.is_empty()),
        })
    }

    /// Items with a flagged question, worst discrimination first.
    pub fn flagged(&self) -> Vec<(&str, &QuestionStats)> {
        let mut out: Vec<(&str, &QuestionStats)> = self
            .questions_of
            .iter()
            .flat_map(|(item, qs)| {
                qs.iter()
                    .filter_map(|q| self.by_question.get(q))
                    .filter(|s| !s.flags.is_empty())
                    .map(move |s| (item.as_str(), s))
            })
            .collect();
        out.sort_by(|a, b| {
            let r = |s: &QuestionStats| s.point_biserial.unwrap_or(0.0);
            r(a.1).total_cmp(&r(b.1)).then_with(|| a.0.cmp(b.0))
        });
        out
    }
}

/// The keyed options of every choice question of `items`.
pub fn choice_keys<'a>(items: impl Iterator<Item = &'a Item>) -> HashMap<String, Vec<String>> {
    let mut keys: HashMap<String, Vec<String>> = HashMap::new();
    for item in items {
        for (qid, q) in item.questions() {
            match &q.response {
                Response::Single { key, .. } => {
                    keys.insert(qid, vec![key.clone()]);
                }
                Response::Multiple { keys: k, .. } => {
                    keys.insert(qid, k.clone());
                }
                _ => {}
            }
        }
    }
    keys
}

/// The answers as the item analysis reads them.
pub fn observe<'a>(
    answers: &'a [responses::Response],
    keys: &HashMap<String, Vec<String>>,
) -> Vec<Observation<'a>> {
    answers
        .iter()
        .map(|r| Observation {
            user: &r.user_id,
            question: &r.question_id,
            fraction: if r.mark.max == 0 {
                0.0
            } else {
                f64::from(r.mark.awarded) / f64::from(r.mark.max)
            },
            chosen: keys
                .contains_key(&r.question_id)
                .then(|| chosen_options(&r.answer))
                .flatten(),
            seconds: r.seconds,
        })
        .collect()
}

/// Computes the statistics from the stored answers and the published keys.
fn compute(conn: &mut AnyConnection) -> Result<Stats, StorageError> {
    let answers = responses::machine_marked(conn)?;
    let published = items::published(conn)?;
    let keys = choice_keys(published.iter().map(|s| &s.item));
    let observations = observe(&answers, &keys);
    let mut questions_of: HashMap<String, Vec<String>> = HashMap::new();
    for r in &answers {
        let qs = questions_of.entry(r.item_id.clone()).or_default();
        if !qs.contains(&r.question_id) {
            qs.push(r.question_id.clone());
        }
    }
    for qs in questions_of.values_mut() {
        qs.sort();
    }
    Ok(Stats {
        by_question: analyse(&observations, &keys),
        questions_of,
    })
}

/// The statistics, recomputed when answers arrived since, at most every [`STATS_MAX_AGE`].
#[derive(Default)]
pub struct StatsCache {
    cached: Mutex<Option<(i64, Instant, Arc<Stats>)>>,
}

impl StatsCache {
    pub async fn current(&self, state: &AppState) -> Result<Arc<Stats>, ApiError> {
        let known = self.cached.lock().ok().and_then(|c| c.clone());
        let fresh_enough = known
            .as_ref()
            .map(|(_, at, s)| (at.elapsed() < STATS_MAX_AGE, s.clone()));
        if let Some((true, s)) = fresh_enough {
            return Ok(s);
        }
        let seen = known.as_ref().map(|(id, ..)| *id);
        let computed = state
            .with_db(move |c| {
                let latest = responses::latest_id(c)?;
                if Some(latest) == seen {
                    return Ok((latest, None));
                }
                Ok((latest, Some(compute(c)?)))
            })
            .await?;
        let stats = match (computed, known) {
            ((latest, Some(s)), _) => (latest, Arc::new(s)),
            ((latest, None), Some((_, _, s))) => (latest, s),
            ((latest, None), None) => (latest, Arc::new(Stats::default())),
        };
        if let Ok(mut c) = self.cached.lock() {
            *c = Some((stats.0, Instant::now(), stats.1.clone()));
        }
        Ok(stats.1)
    }
}

// ------------------------------------------------------------------------------------------------
// Statistics: API and page
// ------------------------------------------------------------------------------------------------

/// `GET /api/v1/items/{id}/stats` (staff): the figures of each question of the item.
#[utoipa::path(
    tag = "items",
    params(("id" = String, Path, description = "Item id")),
    responses(
        (status = 200, description = "Facility, discrimination, option counts, mean time and flags per question"),
        (status = 403, description = "Not staff", body = crate::web::error::ErrorBody),
        (status = 404, description = "No such item", body = crate::web::error::ErrorBody)
    )
)]
#[get("/api/v1/items/{id}/stats")]
pub async fn get_item_stats(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require(STAFF)?;
    let stats = state.stats.current(&state).await?;
    let id = path.into_inner();
    let found = state.with_db({
        let id = id.clone();
        move |c| items::get(c, &id, None)
    });
    if found.await?.is_none() {
        return Err(ApiError::NotFound);
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "id": id,
        "questions": stats.of_item(&id),
    })))
}

/// One question's figures, formatted for the item page.
#[derive(Serialize)]
pub struct StatsView {
    question: String,
    answers: usize,
    facility: String,
    point_biserial: Option<String>,
    upper_lower: Option<String>,
    mean_seconds: Option<String>,
    options: Vec<OptionView>,
    reasons: Vec<String>,
}

#[derive(Serialize)]
struct OptionView {
    option: String,
    key: bool,
    chosen: usize,
    share: String,
    upper: usize,
    lower: usize,
}

impl StatsView {
    pub fn of(state: &AppState, req: &HttpRequest, s: &QuestionStats) -> StatsView {
        StatsView {
            question: s.question.clone(),
            answers: s.answers,
            facility: format!("{:.2}", s.facility),
            point_biserial: s.point_biserial.map(|r| format!("{r:.2}")),
            upper_lower: s.upper_lower.map(|d| format!("{d:.2}")),
            mean_seconds: s.mean_seconds.map(|m| format!("{m:.0}")),
            options: s
                .options
                .iter()
                .map(|o| OptionView {
                    option: o.option.clone(),
                    key: o.key,
                    chosen: o.chosen,
                    share: format!("{:.0} %", o.share * 100.0),
                    upper: o.upper,
                    lower: o.lower,
                })
                .collect(),
            reasons: s.flags.iter().map(|f| describe(state, req, f)).collect(),
        }
    }
}

#[derive(Serialize)]
struct FlagView {
    item: String,
    question: String,
    answers: usize,
    facility: String,
    point_biserial: String,
    reasons: Vec<String>,
}

#[derive(Serialize)]
struct StatsPage {
    flagged: Vec<FlagView>,
    questions: usize,
    min_answers: usize,
}

/// Says in the reader's language what a flag means.
pub fn describe(state: &AppState, req: &HttpRequest, flag: &Flag) -> String {
    match flag {
        Flag::NegativeDiscrimination { point_biserial } => {
            format!(
                "{} (r = {point_biserial:.2})",
                t(state, req, "flag_negative")
            )
        }
        Flag::DistractorBeatsKey {
            option,
            chosen,
            key_chosen,
        } => format!(
            "{} {option}: {chosen} / {key_chosen}",
            t(state, req, "flag_distractor")
        ),
    }
}

/// `GET /teach/stats`: the items whose figures look wrong.
pub async fn get_stats_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
) -> HttpResponse {
    let auth = match staff(&state, &req, auth) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let Ok(stats) = state.stats.current(&state).await else {
        return error_page(&state, &req, StatusCode::INTERNAL_SERVER_ERROR);
    };
    let flagged = stats
        .flagged()
        .into_iter()
        .map(|(item, s)| FlagView {
            item: item.to_owned(),
            question: s.question.clone(),
            answers: s.answers,
            facility: format!("{:.2}", s.facility),
            point_biserial: s
                .point_biserial
                .map(|r| format!("{r:.2}"))
                .unwrap_or_default(),
            reasons: s.flags.iter().map(|f| describe(&state, &req, f)).collect(),
        })
        .collect();
    let page = StatsPage {
        flagged,
        questions: stats.by_question.len(),
        min_answers: crate::domain::item_stats::MIN_ANSWERS_FOR_FLAGS,
    };
    let title = t(&state, &req, "stats_title");
    render(
        &state,
        &req,
        Some(&auth),
        StatusCode::OK,
        "stats",
        &title,
        page,
    )
}

// ------------------------------------------------------------------------------------------------
// Regrade
// ------------------------------------------------------------------------------------------------

/// A regrade's plan with what a teacher needs to judge it.
#[derive(Debug, Serialize)]
pub struct RegradeReport {
    pub item_id: String,
    /// The published version whose key marks the answers.
    pub version: u32,
    pub dry_run: bool,
    /// Mock and assessment attempts whose score changes.
    pub attempts: usize,
    #[serde(flatten)]
    pub plan: Plan,
}

/// Marks the item's past mock and assessment answers again against its published version; applies the
/// changes unless `dry_run`. Answers already marked by that version are not looked at again.
pub async fn regrade_item(
    state: &AppState,
    auth: &Auth,
    id: String,
    dry_run: bool,
) -> Result<RegradeReport, ApiError> {
    auth.require(STAFF)?;
    // Submitted mocks whose marks are still being written join the answer log first, so the regrade
    // sees every answer.
    let unmarked = state
        .with_db(|c| crate::storage::attempts::unmarked(c, 100_000))
        .await?;
    for attempt in unmarked {
        crate::web::mocks::ensure_marked(state, &attempt).await?;
    }
    let actor = auth.user.id.clone();
    state
        .with_db(move |c| {
            let Some(current) = items::get_published(c, &id)? else {
                return Ok(Err(ApiError::Conflict(
                    "the item has no published version to regrade against".into(),
                )));
            };
            let version = current.version;
            let answers: Vec<responses::Response> = responses::graded_for_item(c, &id)?
                .into_iter()
                .filter(|r| r.version != version && r.marked_version != Some(version))
                .collect();
            let plan = plan_for(&current.item, &answers);
            let changed: std::collections::BTreeSet<&str> = plan
                .changes
                .iter()
                .filter_map(|ch| {
                    answers
                        .iter()
                        .find(|r| r.id == ch.response_id)
                        .and_then(|r| r.attempt_id.as_deref())
                })
                .collect();
            let attempts = changed.len();
            if !dry_run && plan.checked > plan.unmarkable.len() {
                let list: Vec<(i64, u32)> = plan
                    .changes
                    .iter()
                    .map(|ch| (ch.response_id, ch.new))
                    .collect();
                // Answers whose mark stands are recorded as checked against this version too, so the
                // next regrade does not look at them again; unmarkable ones stay listed.
                let unchanged: Vec<i64> = answers
                    .iter()
                    .map(|r| r.id)
                    .filter(|id| {
                        !plan.changes.iter().any(|ch| ch.response_id == *id)
                            && !plan.unmarkable.iter().any(|u| u.response_id == *id)
                    })
                    .collect();
                crate::storage::conn::write_tx(c, |c| {
                    responses::remark(c, &list, version)?;
                    // The learner model learnt from the old marks: it is rebuilt from the log, by
                    // a server's delivery worker, soon after this commits.
                    if !list.is_empty() {
                        crate::storage::outbox::enqueue(
                            c,
                            "rebuild_model",
                            &serde_json::json!({ "after": "regrade", "item": id }),
                        )?;
                    }
                    responses::confirm_marks(c, &unchanged, version)?;
                    // The attempts' totals (and so the cohort's ranking) follow the new marks.
                    let rules = crate::storage::documents::load(c)?.exam;
                    for attempt_id in &changed {
                        if let Some(at) = crate::storage::attempts::get(c, attempt_id)? {
                            let scores = crate::web::mocks::refresh_totals(c, &at, &rules)?;
                            // A school's systems hear of the changed score.
                            crate::web::schools::outcome::enqueue(
                                c,
                                &at,
                                &scores,
                                crate::web::schools::outcome::Event::Rescored,
                            )?;
                        }
                    }
                    audit::log(
                        c,
                        &actor,
                        "regrade",
                        "item",
                        &id,
                        &format!(
                            "{} answers in {attempts} attempts re-marked against v{version}",
                            list.len()
                        ),
                    )
                })?;
            }
            Ok(Ok(RegradeReport {
                item_id: id,
                version,
                dry_run,
                attempts,
                plan,
            }))
        })
        .await?
}

fn plan_for(item: &Item, answers: &[responses::Response]) -> Plan {
    let given: Vec<Given<'_>> = answers
        .iter()
        .map(|r| Given {
            response_id: r.id,
            question_id: &r.question_id,
            variant: r.variant,
            answer: &r.answer,
            awarded: r.mark.awarded,
        })
        .collect();
    regrade::plan(item, &given)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegradeParams {
    /// `false` applies the changes; anything else (or nothing) only reports them.
    pub dry_run: Option<bool>,
}

/// `POST /api/v1/items/{id}/regrade?dry_run=true|false` (staff): a dry run unless `dry_run=false`.
#[utoipa::path(
    tag = "items",
    params(("id" = String, Path, description = "Item id"), RegradeParams),
    responses(
        (status = 200, description = "The answers checked, the marks that change (or changed) and those that cannot be marked"),
        (status = 403, description = "Not staff", body = crate::web::error::ErrorBody),
        (status = 409, description = "The item has no published version", body = crate::web::error::ErrorBody)
    )
)]
#[post("/api/v1/items/{id}/regrade")]
pub async fn post_regrade(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<String>,
    q: web::Query<RegradeParams>,
) -> Result<HttpResponse, ApiError> {
    auth.check_csrf(&req, None)?;
    let dry_run = q.dry_run != Some(false);
    let report = regrade_item(&state, &auth, path.into_inner(), dry_run).await?;
    Ok(HttpResponse::Ok().json(report))
}

#[derive(Serialize)]
struct RegradePage {
    id: String,
    changed: usize,
    report: Option<RegradeReport>,
    error: Option<String>,
}

/// `GET /teach/items/{id}/regrade`: the dry run, with a button to apply it.
pub async fn get_regrade_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    path: web::Path<String>,
) -> HttpResponse {
    let auth = match staff(&state, &req, auth) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let id = path.into_inner();
    let (report, error) = match regrade_item(&state, &auth, id.clone(), true).await {
        Ok(r) => (Some(r), None),
        Err(ApiError::NotFound) => return error_page(&state, &req, StatusCode::NOT_FOUND),
        Err(e) => (None, Some(e.to_string())),
    };
    let title = format!("{} · {}", t(&state, &req, "regrade_title"), id);
    render(
        &state,
        &req,
        Some(&auth),
        StatusCode::OK,
        "regrade",
        &title,
        RegradePage {
            id,
            changed: report.as_ref().map_or(0, |r| r.plan.changes.len()),
            report,
            error,
        },
    )
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// `POST /teach/items/{id}/regrade`: applies the regrade and returns to the item.
pub async fn post_regrade_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let auth = match staff_form(&state, &req, auth, &form.csrf) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let id = path.into_inner();
    let flash = match regrade_item(&state, &auth, id.clone(), false).await {
        Ok(r) => format!(
            "{}: {} / {}",
            t(&state, &req, "regrade_done"),
            r.plan.changes.len(),
            r.plan.checked
        ),
        Err(e) => e.to_string(),
    };
    let q = serde_urlencoded::to_string([("flash", flash)]).unwrap_or_default();
    see_other(format!("/teach/items/{id}?{q}"))
}
