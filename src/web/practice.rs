//! Practice (../shared/api.md "Practice"): sessions in every mode, the next item (never with its key),
//! answers with immediate feedback, self-assessment of written answers, favourites. Every answer is
//! recorded, pinned to the version served, and updates the mistakes notebook.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use super::access::entitlement;
use super::auth::Auth;
use super::learner;
use super::present::{ItemView, Revealed, authored_order, present, reveal};
use super::{ApiError, AppState, beijing_today};
use crate::domain::answer::Answer;
use crate::domain::item::{Item, ItemId, Subject};
use crate::domain::practice::{Candidate, Mode, queue};
use crate::domain::scoring::{MarkState, mark, mark_rubric};
use crate::domain::taxonomy::TagCode;
use crate::storage::responses::{self, Context, NewResponse};
use crate::storage::{documents, items, learning, practice};

#[derive(Deserialize, utoipa::ToSchema)]
pub struct StartPractice {
    /// sequential, random, topic, mistakes, favorites or adaptive (chosen by the learner model).
    pub mode: String,
    #[serde(default)]
    pub tag: Option<String>,
    #[serde(default)]
    pub subject: Option<String>,
}

/// Starts a session; returns its id.
pub async fn start(state: &AppState, auth: &Auth, body: StartPractice) -> Result<String, ApiError> {
    let mode = Mode::parse(&body.mode).ok_or_else(|| {
        ApiError::invalid(
            "mode",
            "mode is sequential, random, topic, mistakes, favorites or adaptive",
        )
    })?;
    let subject = match body.subject.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(
            Subject::parse(s).ok_or_else(|| ApiError::invalid("subject", "subject is A or B"))?,
        ),
        None => None,
    };
    let tag = match body.tag.as_deref().filter(|t| !t.is_empty()) {
        Some(t) => Some(TagCode::parse(t).map_err(|e| ApiError::invalid("tag", e))?),
        None => None,
    };
    if mode == Mode::Topic && tag.is_none() {
        return Err(ApiError::invalid("tag", "topic practice needs a tag"));
    }
    let ent = entitlement(state, auth).await?;
    let user = auth.user.id.clone();
    let scope = match (&tag, subject) {
        (Some(t), _) => format!("tag:{t}"),
        (None, Some(s)) => format!("subject:{}", s.code()),
        (None, None) => "all".to_owned(),
    };
    let seed = u64::from_le_bytes(
        crate::auth::new_token().as_bytes()[..8]
            .try_into()
            .unwrap_or([0; 8]),
    );
    let id = state
        .with_db(move |c| {
            let docs = documents::load(c)?;
            if let Some(t) = &tag
                && !docs.taxonomy.contains(t)
            {
                return Ok(Err(ApiError::invalid("tag", format!("no tag {t}"))));
            }
            let chapter = |code: &str| {
                docs.taxonomy
                    .tags()
                    .iter()
                    .position(|t| t.code.as_str() == code)
                    .unwrap_or(usize::MAX)
            };
            let recent = crate::storage::now() - time::Duration::days(7);
            let (ever, lately) = practice::answered_items(c, &user, recent)?;
            let only: Option<std::collections::BTreeSet<String>> = match mode {
                Mode::Mistakes => Some(practice::mistake_items(c, &user)?.into_iter().collect()),
                Mode::Favorites => Some(practice::favorite_items(c, &user)?.into_iter().collect()),
                _ => None,
            };
            let pool: Vec<Candidate> = items::published_index(c)?
                .into_iter()
                .filter(|e| ent.allows(&e.id))
                .filter(|e| subject.is_none_or(|s| e.subject == s))
                .filter(|e| {
                    tag.as_ref().is_none_or(|t| {
                        e.tags
                            .iter()
                            .filter_map(|x| TagCode::parse(x).ok())
                            .any(|x| x.is_within(t))
                    })
                })
                .filter(|e| only.as_ref().is_none_or(|o| o.contains(e.id.as_str())))
                .map(|e| Candidate {
                    chapter: chapter(e.tags.first().map(String::as_str).unwrap_or("")),
                    ever_answered: ever.contains(e.id.as_str()),
                    recently_answered: lately.contains(e.id.as_str()),
                    id: e.id,
                })
                .collect();
            let resume = match mode {
                Mode::Sequential => {
                    practice::progress(c, &user, &scope)?.and_then(|s| ItemId::parse(&s).ok())
                }
                _ => None,
            };
            // Adaptive practice chooses each item when it is due, from the learner model.
            if mode == Mode::Adaptive {
                return Ok(Ok(practice::create(c, &user, mode, &scope, &[])?));
            }
            let q: Vec<String> = queue(mode, &pool, seed, resume.as_ref())
                .into_iter()
                .map(|i| i.to_string())
                .collect();
            Ok(Ok(practice::create(c, &user, mode, &scope, &q)?))
        })
        .await??;
    Ok(id)
}

/// `POST /api/v1/practice` → `201 {"session_id"}`.
#[utoipa::path(
    tag = "practice",
    request_body = StartPractice,
    responses(
        (status = 201, description = "The session"),
        (status = 400, description = "Unknown mode, subject or tag", body = super::error::ErrorBody)
    )
)]
#[post("/api/v1/practice")]
pub async fn post_practice(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    body: web::Json<StartPractice>,
) -> Result<HttpResponse, ApiError> {
    auth.check_csrf(&req, None)?;
    let id = start(&state, &auth, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "session_id": id })))
}

/// The item being served.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Served {
    pub item: ItemView,
    /// The learner model's chance that this candidate answers it right, computed before the answer
    /// (the mean over a case's parts).
    pub p_correct: f64,
    pub position: usize,
    pub total: usize,
    /// Questions of this item already answered in this session (a case's parts).
    pub answered: Vec<String>,
    pub favorite: bool,
}

/// Loads the session and the version being served (serving the next item first if needed), instantiated
/// with the served variant. `None` when the session has nothing more.
async fn current(
    state: &AppState,
    auth: &Auth,
    sid: &str,
) -> Result<Option<(practice::Session, Item, u32)>, ApiError> {
    // An adaptive session whose queue is used up gets one more item from the model, then is read again.
    for first in [true, false] {
        let (user, sid) = (auth.user.id.clone(), sid.to_owned());
        let found = state
            .with_db(move |c| {
                let Some(mut s) = practice::get(c, &sid, &user)? else {
                    return Ok(Err(ApiError::NotFound));
                };
                loop {
                    let Some(id) = s.current_item().map(str::to_owned) else {
                        return Ok(Ok(Err(s)));
                    };
                    if let Some((version, variant)) = s.current {
                        let Some(stored) = items::get(c, &id, Some(version))? else {
                            return Ok(Err(ApiError::NotFound));
                        };
                        return Ok(Ok(Ok((s, stored.item, variant, version))));
                    }
                    // Serve it: the published version, a fresh variant for templates.
                    match items::get_published(c, &id)? {
                        Some(stored) => {
                            let variant = if stored.item.template.is_some() {
                                u64::from_le_bytes(
                                    crate::auth::new_token().as_bytes()[..8]
                                        .try_into()
                                        .unwrap_or([0; 8]),
                                )
                            } else {
                                0
                            };
                            practice::serve(c, &s.id, stored.version, variant)?;
                            s.current = Some((stored.version, variant));
                            s.served_at = Some(crate::storage::now());
                        }
                        None => {
                            // Retired since the session began: skip it.
                            practice::mark_answered(c, &s, &[], true)?;
                            s.position += 1;
                            s.current = None;
                        }
                    }
                }
            })
            .await??;
        match found {
            Ok((s, item, variant, version)) => {
                let (shown, _) = item
                    .instantiate(variant)
                    .map_err(|e| ApiError::Internal(e.to_string()))?;
                return Ok(Some((s, shown, version)));
            }
            Err(s) if first && s.mode == Mode::Adaptive => adaptive_step(state, auth, s).await?,
            Err(_) => return Ok(None),
        }
    }
    Ok(None)
}

/// For an adaptive session whose queue is used up: the learner model chooses the next item.
async fn adaptive_step(
    state: &AppState,
    auth: &Auth,
    s: practice::Session,
) -> Result<(), ApiError> {
    let ent = entitlement(state, auth).await?;
    let served = &s.queue[s.queue.len().saturating_sub(30)..];
    if let Some(item) = learner::next_item(state, auth, &ent, served).await? {
        state
            .with_db(move |c| practice::append(c, &s, &item))
            .await?;
    }
    Ok(())
}

/// The next item of the session (or the current one until it is answered).
pub async fn next(state: &AppState, auth: &Auth, sid: &str) -> Result<Option<Served>, ApiError> {
    let Some((s, item, version)) = current(state, auth, sid).await? else {
        return Ok(None);
    };
    let p_correct = learner::p_correct(state, auth, &item).await?;
    let (user, id) = (auth.user.id.clone(), item.id.to_string());
    let favorite = state
        .with_db(move |c| practice::is_favorite(c, &user, &id))
        .await?;
    Ok(Some(Served {
        item: present(&item, version, &authored_order),
        p_correct,
        position: s.position + 1,
        total: s.queue.len(),
        answered: s.answered.clone(),
        favorite,
    }))
}

/// `GET /api/v1/practice/{session_id}/next` → the item without key, or 204 when the session is done.
#[utoipa::path(
    tag = "practice",
    params(("session_id" = String, Path, description = "The session")),
    responses(
        (status = 200, description = "The item (no answer, no explanation) and p_correct", body = Served),
        (status = 204, description = "Nothing more in this session"),
        (status = 404, description = "No such session of yours", body = super::error::ErrorBody)
    )
)]
#[get("/api/v1/practice/{session_id}/next")]
pub async fn get_next(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    match next(&state, &auth, &path.into_inner()).await? {
        Some(s) => Ok(HttpResponse::Ok().json(s)),
        None => Ok(HttpResponse::NoContent().finish()),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AnswerBody {
    /// The question: the item's id, or `{item}.{part}` for a case part.
    pub id: String,
    pub version: u32,
    #[schema(value_type = Object)]
    pub answer: serde_json::Value,
}

/// Marks an answer to the item being served and reveals key and explanation.
pub async fn answer(
    state: &AppState,
    auth: &Auth,
    sid: &str,
    body: AnswerBody,
) -> Result<Revealed, ApiError> {
    let Some((s, item, version)) = current(state, auth, sid).await? else {
        return Err(ApiError::Conflict(
            "the session has no item to answer".into(),
        ));
    };
    let questions = item.questions();
    let Some((_, question)) = questions.iter().find(|(id, _)| *id == body.id) else {
        return Err(ApiError::Conflict(format!(
            "`{}` is not a question of the item being served ({})",
            body.id, item.id
        )));
    };
    if body.version != version {
        return Err(ApiError::Conflict(format!(
            "the item being served is version {version}, not {}",
            body.version
        )));
    }
    if s.answered.contains(&body.id) {
        return Err(ApiError::Conflict(format!(
            "`{}` is answered already",
            body.id
        )));
    }
    let given = Answer::from_json(&question.response, &body.answer)
        .map_err(|e| ApiError::invalid("answer", e.to_string()))?;
    let m = mark(question, &given);
    let seconds = s.served_at.map(|at| {
        (crate::storage::now() - at)
            .whole_seconds()
            .clamp(0, 24 * 3600) as u32
    });
    let revealed = reveal(&item, &body.id, given.to_json(), m)
        .ok_or_else(|| ApiError::Internal("the question vanished".into()))?;
    let mut answered = s.answered.clone();
    answered.push(body.id.clone());
    let done = questions.iter().all(|(q, _)| answered.contains(q));
    let (user, item_id, qid, json) = (
        auth.user.id.clone(),
        item.id.to_string(),
        body.id.clone(),
        given.to_json(),
    );
    let variant = s.current.map_or(0, |c| c.1);
    let today = beijing_today();
    let shown = item.clone();
    state
        .with_db(move |c| {
            crate::storage::conn::write_tx(c, |c| {
                learning::lock_for(c, &user, &[(&shown, qid.as_str())])?;
                let at = crate::storage::now();
                let rid = responses::record_at(
                    c,
                    &NewResponse {
                        user_id: &user,
                        item_id: &item_id,
                        version,
                        question_id: &qid,
                        variant,
                        answer: &json,
                        mark: m,
                        seconds,
                        context: Context::Practice,
                        attempt_id: None,
                    },
                    at,
                )?;
                learning::observe(c, &user, rid, &shown, &qid, &m, at)?;
                practice::mark_answered(c, &s, &answered, done)?;
                if done && s.mode == Mode::Sequential {
                    practice::set_progress(c, &user, &s.scope, &item_id)?;
                }
                Ok::<_, crate::storage::StorageError>(())
            })?;
            if m.state == MarkState::Auto {
                practice::record_mistake(c, &user, &item_id, &qid, m.correct(), today)?;
            }
            Ok(())
        })
        .await?;
    Ok(revealed)
}

/// `POST /api/v1/practice/{session_id}/answers` with `{"id", "version", "answer"}`.
#[utoipa::path(
    tag = "practice",
    params(("session_id" = String, Path, description = "The session")),
    request_body = AnswerBody,
    responses(
        (status = 200, description = "Marked: key and explanation", body = Revealed),
        (status = 400, description = "The answer does not fit the question", body = super::error::ErrorBody),
        (status = 409, description = "Not the item being served, or answered already", body = super::error::ErrorBody)
    )
)]
#[post("/api/v1/practice/{session_id}/answers")]
pub async fn post_answer(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<AnswerBody>,
) -> Result<HttpResponse, ApiError> {
    auth.check_csrf(&req, None)?;
    let r = answer(&state, &auth, &path.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(r))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SelfAssessment {
    /// The written question answered.
    pub id: String,
    /// Points given to oneself for each criterion of the rubric, in order.
    pub points: Vec<u32>,
}

/// Records the candidate's assessment of their last written answer to `id` against its rubric.
pub async fn self_assess(
    state: &AppState,
    auth: &Auth,
    body: SelfAssessment,
) -> Result<serde_json::Value, ApiError> {
    let (user, qid) = (auth.user.id.clone(), body.id.clone());
    let last = state
        .with_db(move |c| responses::latest_of(c, &user, &qid))
        .await?
        .ok_or(ApiError::NotFound)?;
    let (item_id, version, variant) = (last.item_id.clone(), last.version, last.variant);
    let stored = state
        .with_db(move |c| items::get(c, &item_id, Some(version)))
        .await?
        .ok_or(ApiError::NotFound)?;
    let (item, _) = stored
        .item
        .instantiate(variant)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let questions = item.questions();
    let (_, q) = questions
        .iter()
        .find(|(id, _)| *id == body.id)
        .ok_or(ApiError::NotFound)?;
    let m = mark_rubric(q, &body.points, true)
        .map_err(|e| ApiError::invalid("points", e.to_string()))?;
    let (user, rid) = (auth.user.id.clone(), last.id);
    let ok = state
        .with_db(move |c| responses::self_assess(c, rid, &user, m.awarded))
        .await?;
    if !ok {
        return Err(ApiError::Conflict(
            "this answer was graded by a teacher; it cannot be self-assessed".into(),
        ));
    }
    Ok(
        serde_json::json!({ "id": body.id, "score": m.awarded, "max": m.max, "state": "self_assessed" }),
    )
}

/// `POST /api/v1/practice/self-assessment` with `{"id", "points": [..]}`: scores one's own written answer.
#[utoipa::path(tag = "practice", request_body = SelfAssessment, responses((status = 200, description = "Recorded as self-assessed")))]
#[post("/api/v1/practice/self-assessment")]
pub async fn post_self_assessment(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    body: web::Json<SelfAssessment>,
) -> Result<HttpResponse, ApiError> {
    auth.check_csrf(&req, None)?;
    Ok(HttpResponse::Ok().json(self_assess(&state, &auth, body.into_inner()).await?))
}

/// Skips the item being served.
pub async fn skip(state: &AppState, auth: &Auth, sid: &str) -> Result<(), ApiError> {
    let (user, sid) = (auth.user.id.clone(), sid.to_owned());
    state
        .with_db(move |c| {
            let Some(s) = practice::get(c, &sid, &user)? else {
                return Ok(Err(ApiError::NotFound));
            };
            if s.current_item().is_some() {
                practice::mark_answered(c, &s, &[], true)?;
            }
            Ok(Ok(()))
        })
        .await?
}

/// `POST /api/v1/practice/{session_id}/skip`: moves on without answering.
#[utoipa::path(tag = "practice", params(("session_id" = String, Path, description = "The session")), responses((status = 204, description = "Skipped")))]
#[post("/api/v1/practice/{session_id}/skip")]
pub async fn post_skip(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.check_csrf(&req, None)?;
    skip(&state, &auth, &path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct FavoriteBody {
    pub favorite: bool,
}

/// Adds or removes a favourite (an item the user may see).
pub async fn set_favorite(
    state: &AppState,
    auth: &Auth,
    item: String,
    on: bool,
) -> Result<(), ApiError> {
    let id = ItemId::parse(&item).map_err(|_| ApiError::NotFound)?;
    let ent = entitlement(state, auth).await?;
    if !ent.allows(&id) {
        return Err(ApiError::Forbidden(
            "this item is not in your practice set".into(),
        ));
    }
    let user = auth.user.id.clone();
    state
        .with_db(move |c| {
            if items::get_published(c, &item)?.is_none() {
                return Ok(Err(ApiError::NotFound));
            }
            practice::set_favorite(c, &user, &item, on)?;
            Ok(Ok(()))
        })
        .await?
}

/// `POST /api/v1/favorites/{item_id}` with `{"favorite": true|false}`.
#[utoipa::path(tag = "practice", params(("item_id" = String, Path, description = "The item")), request_body = FavoriteBody, responses((status = 204, description = "Done")))]
#[post("/api/v1/favorites/{item_id}")]
pub async fn post_favorite(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<FavoriteBody>,
) -> Result<HttpResponse, ApiError> {
    auth.check_csrf(&req, None)?;
    set_favorite(&state, &auth, path.into_inner(), body.favorite).await?;
    Ok(HttpResponse::NoContent().finish())
}
