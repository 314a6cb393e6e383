//! The mock exams' JSON API: start, save an answer (acknowledged once durable), resume, submit, result,
//! and self-assessment of written answers after submission.

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;

use crate::storage::attempts::{self, AttemptStatus};
use crate::web::auth::Auth;
use crate::web::{ApiError, AppState};

fn rfc3339(t: time::PrimitiveDateTime) -> String {
    t.assume_utc().format(&Rfc3339).unwrap_or_default()
}

/// A started attempt, serialized straight from typed views (no intermediate JSON tree).
#[derive(Serialize)]
struct StartedBody<'a> {
    attempt_id: &'a str,
    deadline: String,
    paper: &'a super::PaperView,
}

/// An attempt to resume.
#[derive(Serialize)]
struct ResumeBody<'a> {
    attempt_id: &'a str,
    blueprint: &'a str,
    status: &'static str,
    deadline: String,
    seconds_left: i64,
    answers: std::collections::HashMap<String, serde_json::Value>,
    paper: super::PaperView,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct StartMock {
    /// full (both subjects, 180 minutes), A or B (90 minutes).
    pub blueprint: String,
    /// Reproduces a paper: the same blueprint, bank and seed give the same paper.
    #[serde(default)]
    pub seed: Option<u64>,
}

/// `POST /api/v1/mocks` → `201 {"attempt_id", "deadline", "paper"}`.
#[utoipa::path(
    tag = "mocks",
    request_body = StartMock,
    responses(
        (status = 201, description = "The attempt, its deadline and the paper (no key anywhere)"),
        (status = 403, description = "The exam fee is not confirmed", body = crate::web::error::ErrorBody)
    )
)]
#[post("/api/v1/mocks")]
pub async fn post_mock(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    body: web::Json<StartMock>,
) -> Result<HttpResponse, ApiError> {
    auth.check_csrf(&req, None)?;
    let s = super::start(&state, &auth, &body.blueprint, body.seed).await?;
    // A full paper's JSON runs to a few hundred kilobytes: one buffer of that size, not repeated growth.
    let mut buf = Vec::with_capacity(PAPER_BYTES);
    serde_json::to_writer(
        &mut buf,
        &StartedBody {
            attempt_id: &s.id,
            deadline: rfc3339(s.deadline),
            paper: &s.paper,
        },
    )
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(HttpResponse::Created()
        .content_type(actix_web::http::header::ContentType::json())
        .body(buf))
}

/// The buffer a started paper is written into.
const PAPER_BYTES: usize = 256 * 1024;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SaveBody {
    #[schema(value_type = Object)]
    pub answer: serde_json::Value,
}

/// `PUT /api/v1/mocks/{attempt_id}/answers/{ref}` → `200 {"saved_at"}` once durable; 409 when closed.
#[utoipa::path(
    tag = "mocks",
    params(("attempt_id" = String, Path, description = "The attempt"), ("ref" = String, Path, description = "The slot (a case part: `{ref}.{part}`)")),
    request_body = SaveBody,
    responses(
        (status = 200, description = "Saved durably"),
        (status = 400, description = "The answer does not fit the question", body = crate::web::error::ErrorBody),
        (status = 404, description = "No such attempt of yours, or no such slot", body = crate::web::error::ErrorBody),
        (status = 409, description = "Submitted, or the time is up", body = crate::web::error::ErrorBody)
    )
)]
#[put("/api/v1/mocks/{attempt_id}/answers/{slot}")]
pub async fn put_answer(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Json<SaveBody>,
) -> Result<HttpResponse, ApiError> {
    auth.check_csrf(&req, None)?;
    let (id, slot) = path.into_inner();
    let at = super::save(&state, &auth.user.id, &id, &slot, &body.answer).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "saved_at": rfc3339(at) })))
}

/// `GET /api/v1/mocks/{attempt_id}` → the paper, the saved answers and the time left.
#[utoipa::path(
    tag = "mocks",
    params(("attempt_id" = String, Path, description = "The attempt")),
    responses((status = 200, description = "To resume"), (status = 404, description = "No such attempt of yours", body = crate::web::error::ErrorBody))
)]
#[get("/api/v1/mocks/{attempt_id}")]
pub async fn get_mock(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let at = super::owned(&state, &auth, &path.into_inner()).await?;
    let key = at.id.clone();
    let saved = state.with_db(move |c| attempts::answers(c, &key)).await?;
    let paper = super::paper_view(&state, &at).await?;
    let left = (at.deadline - crate::storage::now()).whole_seconds().max(0);
    let open = at.status == AttemptStatus::Open;
    Ok(HttpResponse::Ok().json(ResumeBody {
        attempt_id: &at.id,
        blueprint: &at.blueprint,
        status: match (open, left > 0) {
            (true, true) => "open",
            (true, false) => "expired",
            _ => "submitted",
        },
        deadline: rfc3339(at.deadline),
        seconds_left: if open { left } else { 0 },
        answers: saved.into_iter().map(|(k, (v, _))| (k, v)).collect(),
        paper,
    }))
}

/// `POST /api/v1/mocks/{attempt_id}/submit` → the result (scores, pass, grade, points by tag; the
/// review of every question comes with `GET …/result`).
#[utoipa::path(
    tag = "mocks",
    params(("attempt_id" = String, Path, description = "The attempt")),
    responses((status = 200, description = "The result: scores by subject, total, pass, grade, pending points, points by tag"), (status = 404, description = "No such attempt of yours", body = crate::web::error::ErrorBody))
)]
#[post("/api/v1/mocks/{attempt_id}/submit")]
pub async fn post_submit(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.check_csrf(&req, None)?;
    let id = path.into_inner();
    super::submit(&state, &id, Some(&auth), "candidate").await?;
    Ok(HttpResponse::Ok().json(super::result(&state, &auth, &id, false).await?))
}

/// `GET /api/v1/mocks/{attempt_id}/result`
#[utoipa::path(
    tag = "mocks",
    params(("attempt_id" = String, Path, description = "The attempt")),
    responses((status = 200, description = "The result with the review of every question"), (status = 409, description = "Not submitted yet", body = crate::web::error::ErrorBody))
)]
#[get("/api/v1/mocks/{attempt_id}/result")]
pub async fn get_result(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(super::result(&state, &auth, &path.into_inner(), true).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct MockSelfAssessment {
    /// The written question's slot.
    pub slot: String,
    pub points: Vec<u32>,
}

/// `POST /api/v1/mocks/{attempt_id}/self-assessment` with `{"slot", "points"}`.
#[utoipa::path(
    tag = "mocks",
    params(("attempt_id" = String, Path, description = "The attempt")),
    request_body = MockSelfAssessment,
    responses((status = 204, description = "Recorded, shown apart as self-assessed"))
)]
#[post("/api/v1/mocks/{attempt_id}/self-assessment")]
pub async fn post_self_assessment(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<MockSelfAssessment>,
) -> Result<HttpResponse, ApiError> {
    auth.check_csrf(&req, None)?;
    super::self_assess(&state, &auth, &path.into_inner(), &body.slot, &body.points).await?;
    Ok(HttpResponse::NoContent().finish())
}
