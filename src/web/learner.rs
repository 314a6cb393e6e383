//! The learner model at work in the web layer: the exam as the model sees it (cached per bank change),
//! `p_correct` of a served item, the next adaptive item, and the candidate's mastery and predicted score
//! (`GET /api/v1/me/mastery`, ../shared/api.md "The learner").

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use actix_web::{HttpResponse, get, web};
use serde::Serialize;

use super::access::Entitlement;
use super::auth::Auth;
use super::{ApiError, AppState, beijing_today};
use crate::adaptive::forecast::{Exam, Prediction, predict};
use crate::adaptive::model::{ItemParams, Learner, QuestionMeta, metas};
use crate::adaptive::select::{Pace, choose, pace};
use crate::domain::exam::ExamRules;
use crate::domain::item::Item;
use crate::domain::taxonomy::{TagCode, Taxonomy};
use crate::domain::user::Role;
use crate::storage::{attempts, documents, learning, sittings};

/// Monte Carlo draws behind a prediction.
const SAMPLES: usize = 300;

/// The full paper over the published pool, and each knowledge point's weight on it.
pub struct ExamView {
    change: i64,
    pub exam: Exam,
    pub weights: BTreeMap<TagCode, f64>,
    pub rules: ExamRules,
}

/// The exam view, rebuilt when the published bank changes.
#[derive(Default)]
pub struct ExamCache(Mutex<Option<Arc<ExamView>>>);

impl ExamCache {
    pub async fn get(&self, state: &AppState) -> Result<Arc<ExamView>, ApiError> {
        let pool = state.mocks.pool(state).await?;
        if let Some(v) = self.0.lock().ok().and_then(|v| v.clone())
            && v.change == pool.change
        {
            return Ok(v);
        }
        let full = pool
            .blueprints
            .iter()
            .find(|b| b.id == "full")
            .ok_or_else(|| ApiError::Internal("the bank has no full blueprint".into()))?;
        let items: Vec<&Item> = pool.items.iter().map(|(i, _)| i).collect();
        let exam = Exam::new(full, &items);
        let view = Arc::new(ExamView {
            change: pool.change,
            weights: exam.weights(),
            exam,
            rules: pool.rules.clone(),
        });
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(view.clone());
        }
        Ok(view)
    }
}

/// The model's chance that this candidate answers the item right (the mean over a case's parts).
pub async fn p_correct(state: &AppState, auth: &Auth, item: &Item) -> Result<f64, ApiError> {
    let qs = metas(item);
    if qs.is_empty() {
        return Ok(0.5);
    }
    let user = auth.user.id.clone();
    let (learner, params) = state
        .with_db(move |c| {
            let l = learning::learner(c, &user)?;
            let p = qs
                .iter()
                .map(|q| learning::params(c, q).map(|p| (q.clone(), p)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((l, p))
        })
        .await?;
    Ok(params
        .iter()
        .map(|(q, p)| learner.predict(q, p))
        .sum::<f64>()
        / params.len() as f64)
}

/// Days until the candidate's next sitting, if they registered for one.
async fn days_left(state: &AppState, auth: &Auth) -> Result<Option<i64>, ApiError> {
    let user = auth.user.id.clone();
    let dates = state
        .with_db(move |c| sittings::paid_test_dates(c, &user))
        .await?;
    let today = beijing_today();
    Ok(dates
        .into_iter()
        .filter(|d| *d >= today)
        .min()
        .map(|d| (d - today).whole_days()))
}

/// The item adaptive practice serves next, among those the candidate may see.
/// `served`: the items this session served lately (skipped ones too).
pub async fn next_item(
    state: &AppState,
    auth: &Auth,
    ent: &Entitlement,
    served: &[String],
) -> Result<Option<String>, ApiError> {
    let view = state.learner.get(state).await?;
    let user = auth.user.id.clone();
    let (learner, params) = state
        .with_db(move |c| Ok((learning::learner(c, &user)?, learning::all_params(c)?)))
        .await?;
    let allowed: Option<HashSet<&str>> = ent
        .sample
        .as_ref()
        .map(|s| s.iter().map(|i| i.as_str()).collect());
    let questions: Vec<QuestionMeta> = view
        .exam
        .questions
        .iter()
        .filter(|q| {
            allowed
                .as_ref()
                .is_none_or(|a| a.contains(q.item_id.as_str()))
        })
        .cloned()
        .collect();
    let days = days_left(state, auth).await?;
    let lookup = |q: &QuestionMeta| {
        params
            .get(&q.id)
            .cloned()
            .unwrap_or_else(|| ItemParams::prior(q.difficulty))
    };
    let seed = learner.answers as u64 ^ 0x5eed;
    Ok(choose(
        &learner,
        &questions,
        served,
        &lookup,
        &view.weights,
        crate::storage::learning::unix(crate::storage::now()),
        days,
        seed,
    ))
}

/// Mastery of one knowledge point.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TagMastery {
    pub tag: String,
    pub name_zh: String,
    pub name_en: String,
    /// 0 for a chapter, 1 for its knowledge points.
    pub depth: usize,
    pub mastery: f64,
    pub low: f64,
    pub high: f64,
    pub answers: u32,
    /// Expected points on a full paper.
    pub weight: f64,
}

/// `GET /api/v1/me/mastery`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MasteryBody {
    pub tags: Vec<TagMastery>,
    pub predicted: Prediction,
    pub pace: Pace,
    pub answers: u32,
}

/// Every knowledge point's mastery in taxonomy order, the weight of each on the paper.
pub fn tag_mastery(
    learner: &Learner,
    taxonomy: &Taxonomy,
    weights: &BTreeMap<TagCode, f64>,
) -> Vec<TagMastery> {
    taxonomy
        .tags()
        .iter()
        .map(|t| {
            let (mastery, low, high) = learner.mastery(&t.code);
            let weight = weights
                .iter()
                .filter(|(k, _)| k.is_within(&t.code))
                .map(|(_, w)| w)
                .sum();
            TagMastery {
                tag: t.code.to_string(),
                name_zh: t.name.zh.clone(),
                name_en: t.name.en.clone(),
                depth: t.code.as_str().matches('.').count(),
                mastery,
                low,
                high,
                answers: learner.nodes.get(t.code.as_str()).map_or(0, |n| n.answers),
                weight,
            }
        })
        .collect()
}

/// The candidate's predicted full mock, from their learner model and the calibrated items; seeded by
/// their answer count, so the dashboard and their teacher's class view show the same figures.
pub fn forecast(
    view: &ExamView,
    learner: &Learner,
    params: &HashMap<String, ItemParams>,
    cohort: &[u32],
) -> Prediction {
    let lookup = |q: &QuestionMeta| {
        params
            .get(&q.id)
            .cloned()
            .unwrap_or_else(|| ItemParams::prior(q.difficulty))
    };
    predict(
        learner,
        &view.exam,
        &lookup,
        &view.rules,
        cohort,
        SAMPLES,
        learner.answers as u64,
    )
}

/// The candidate's mastery, predicted score and pace, and their beliefs (for the dashboard's chart).
pub async fn mastery(state: &AppState, auth: &Auth) -> Result<(MasteryBody, Learner), ApiError> {
    let view = state.learner.get(state).await?;
    // A mock submitted a moment ago teaches the model as soon as its marks are written: have them
    // written now, so the candidate sees its effect.
    let user = auth.user.id.clone();
    let unmarked = state
        .with_db(move |c| attempts::unmarked_of(c, &user))
        .await?;
    for id in unmarked {
        crate::web::mocks::ensure_marked(state, &id).await?;
    }
    let user = auth.user.id.clone();
    let since = crate::storage::now() - time::Duration::days(i64::from(view.rules.cohort_days));
    let (learner, params, taxonomy, cohort) = state
        .with_db(move |c| {
            Ok((
                learning::learner(c, &user)?,
                learning::all_params(c)?,
                documents::load(c)?.taxonomy,
                attempts::cohort_passers(c, "full", since)?,
            ))
        })
        .await?;
    let predicted = forecast(&view, &learner, &params, &cohort);
    let days = days_left(state, auth).await?;
    Ok((
        MasteryBody {
            tags: tag_mastery(&learner, &taxonomy, &view.weights),
            predicted,
            pace: pace(&learner, &view.weights, days),
            answers: learner.answers,
        },
        learner,
    ))
}

/// `GET /api/v1/me/mastery` → the candidate's mastery per knowledge point and predicted mock result.
#[utoipa::path(
    tag = "learner",
    responses(
        (status = 200, description = "Mastery per knowledge point, predicted scores, pass probability, grade band", body = MasteryBody),
        (status = 401, description = "Not signed in", body = super::error::ErrorBody)
    )
)]
#[get("/api/v1/me/mastery")]
pub async fn get_mastery(state: web::Data<AppState>, auth: Auth) -> Result<HttpResponse, ApiError> {
    auth.require(&[Role::Candidate])?;
    Ok(HttpResponse::Ok().json(mastery(&state, &auth).await?.0))
}
