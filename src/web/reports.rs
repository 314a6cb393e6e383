//! Error reports on items: a candidate reports a problem after answering the item (staff may report any
//! item); the reports form a queue in the teachers' area, linked to the item, where they are resolved.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use super::auth::{Auth, MaybeAuth};
use super::pages::{error_page, render};
use super::teach::{STAFF, staff, staff_form};
use super::{ApiError, AppState};
use crate::storage::reports::{self, MAX_MESSAGE_CHARS, Report, ReportStatus};
use crate::storage::{StorageError, items, responses};

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewReport {
    /// What is wrong, in the reporter's words (1–2000 characters).
    pub message: String,
}

/// Files a report on the published version of `item_id` (staff: the latest version). Candidates must have
/// answered the item first.
pub async fn file_report(
    state: &AppState,
    auth: &Auth,
    item_id: String,
    message: &str,
) -> Result<i64, ApiError> {
    let message = message.trim().to_owned();
    if message.is_empty() {
        return Err(ApiError::invalid(
            "message",
            "say what is wrong with the item",
        ));
    }
    if message.chars().count() > MAX_MESSAGE_CHARS {
        return Err(ApiError::invalid(
            "message",
            format!("a report is at most {MAX_MESSAGE_CHARS} characters"),
        ));
    }
    let (user, is_staff) = (auth.user.id.clone(), auth.is_staff());
    state
        .with_db(move |c| {
            let stored = if is_staff {
                items::get(c, &item_id, None)?
            } else {
                items::get_published(c, &item_id)?
            };
            let Some(stored) = stored else {
                return Ok(Err(ApiError::NotFound));
            };
            if !is_staff && !responses::has_answered(c, &user, &item_id)? {
                return Ok(Err(ApiError::Conflict(
                    "answer the item before reporting a problem with it".into(),
                )));
            }
            match reports::create(c, &item_id, stored.version, &user, &message) {
                Ok(id) => Ok(Ok(id)),
                Err(StorageError::Conflict(m)) => Ok(Err(ApiError::Conflict(m))),
                Err(e) => Err(e),
            }
        })
        .await?
}

/// `POST /api/v1/items/{id}/reports` → `201 {"id"}`.
#[utoipa::path(
    tag = "items",
    params(("id" = String, Path, description = "Item id")),
    request_body = NewReport,
    responses(
        (status = 201, description = "Filed"),
        (status = 400, description = "Empty or too long", body = super::error::ErrorBody),
        (status = 404, description = "No such published item", body = super::error::ErrorBody),
        (status = 409, description = "Not answered yet, or an open report already", body = super::error::ErrorBody)
    )
)]
#[post("/api/v1/items/{id}/reports")]
pub async fn post_report(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<NewReport>,
) -> Result<HttpResponse, ApiError> {
    auth.check_csrf(&req, None)?;
    let id = file_report(&state, &auth, path.into_inner(), &body.message).await?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "id": id })))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// open (default), fixed, rejected or all.
    pub status: Option<String>,
    pub item: Option<String>,
}

fn status_filter(raw: Option<&str>) -> Result<Option<ReportStatus>, ApiError> {
    match raw.unwrap_or("open") {
        "all" => Ok(None),
        s => ReportStatus::parse(s)
            .map(Some)
            .ok_or_else(|| ApiError::invalid("status", "status is open, fixed, rejected or all")),
    }
}

/// `GET /api/v1/reports?status=open|fixed|rejected|all&item=ID` (staff).
#[utoipa::path(
    tag = "reports",
    params(ListParams),
    responses(
        (status = 200, description = "The reports, oldest open first"),
        (status = 403, description = "Not staff", body = super::error::ErrorBody)
    )
)]
#[get("/api/v1/reports")]
pub async fn get_reports(
    state: web::Data<AppState>,
    auth: Auth,
    q: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    auth.require(STAFF)?;
    let status = status_filter(q.status.as_deref())?;
    let item = q.item.clone();
    let list = state
        .with_db(move |c| reports::list(c, status, item.as_deref(), 500))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "reports": list })))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Resolution {
    /// fixed or rejected.
    pub status: String,
    /// The teacher's note to the reporter.
    #[serde(default)]
    pub note: String,
}

async fn resolve(
    state: &AppState,
    auth: &Auth,
    id: i64,
    status: &str,
    note: &str,
) -> Result<Report, ApiError> {
    auth.require(STAFF)?;
    let status = match ReportStatus::parse(status) {
        Some(s @ (ReportStatus::Fixed | ReportStatus::Rejected)) => s,
        _ => return Err(ApiError::invalid("status", "status is fixed or rejected")),
    };
    let note = note
        .trim()
        .chars()
        .take(MAX_MESSAGE_CHARS)
        .collect::<String>();
    let actor = auth.user.id.clone();
    state
        .with_db(move |c| reports::resolve(c, id, status, &note, &actor))
        .await?
        .ok_or(ApiError::NotFound)
}

/// `POST /api/v1/reports/{id}/resolve` (staff) with `{"status": "fixed"|"rejected", "note"}`.
#[utoipa::path(
    tag = "reports",
    params(("id" = i64, Path, description = "Report id")),
    request_body = Resolution,
    responses(
        (status = 200, description = "The resolved report"),
        (status = 403, description = "Not staff", body = super::error::ErrorBody),
        (status = 404, description = "No such open report", body = super::error::ErrorBody)
    )
)]
#[post("/api/v1/reports/{id}/resolve")]
pub async fn post_resolve(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<i64>,
    body: web::Json<Resolution>,
) -> Result<HttpResponse, ApiError> {
    auth.check_csrf(&req, None)?;
    let r = resolve(&state, &auth, path.into_inner(), &body.status, &body.note).await?;
    Ok(HttpResponse::Ok().json(r))
}

// ------------------------------------------------------------------------------------------------
// Pages
// ------------------------------------------------------------------------------------------------

#[derive(Deserialize)]
pub struct ReportForm {
    csrf: String,
    message: String,
}

/// `POST /items/{id}/report`: the report form under an answered item.
pub async fn post_report_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    path: web::Path<String>,
    form: web::Form<ReportForm>,
) -> HttpResponse {
    let Some(auth) = auth.0 else {
        return error_page(&state, &req, StatusCode::UNAUTHORIZED);
    };
    if auth.check_csrf(&req, Some(&form.csrf)).is_err() {
        return error_page(&state, &req, StatusCode::FORBIDDEN);
    }
    let id = path.into_inner();
    let outcome = match file_report(&state, &auth, id.clone(), &form.message).await {
        Ok(_) => "reported".to_owned(),
        Err(ApiError::NotFound) => return error_page(&state, &req, StatusCode::NOT_FOUND),
        Err(e) => e.to_string(),
    };
    let q = serde_urlencoded::to_string([("report", outcome)]).unwrap_or_default();
    HttpResponse::SeeOther()
        .insert_header(("Location", format!("/items/{id}?{q}")))
        .finish()
}

#[derive(Serialize)]
struct QueuePage {
    reports: Vec<Report>,
    status: String,
    statuses: Vec<(&'static str, bool)>,
}

/// `GET /teach/reports?status=…`: the queue, oldest open report first.
pub async fn get_queue(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    q: web::Query<ListParams>,
) -> HttpResponse {
    let auth = match staff(&state, &req, auth) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let Ok(status) = status_filter(q.status.as_deref()) else {
        return error_page(&state, &req, StatusCode::BAD_REQUEST);
    };
    let Ok(list) = state
        .with_db(move |c| reports::list(c, status, None, 500))
        .await
    else {
        return error_page(&state, &req, StatusCode::INTERNAL_SERVER_ERROR);
    };
    let current = status.map(ReportStatus::code).unwrap_or("all");
    let page = QueuePage {
        reports: list,
        status: current.to_owned(),
        statuses: ["open", "fixed", "rejected", "all"]
            .into_iter()
            .map(|s| (s, s == current))
            .collect(),
    };
    let title = super::teach::t(&state, &req, "reports_title");
    render(
        &state,
        &req,
        Some(&auth),
        StatusCode::OK,
        "reports",
        &title,
        page,
    )
}

#[derive(Deserialize)]
pub struct ResolveForm {
    csrf: String,
    status: String,
    #[serde(default)]
    note: String,
}

/// `POST /teach/reports/{id}`: resolves a report from the queue.
pub async fn post_resolve_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    path: web::Path<i64>,
    form: web::Form<ResolveForm>,
) -> HttpResponse {
    let auth = match staff_form(&state, &req, auth, &form.csrf) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    match resolve(&state, &auth, path.into_inner(), &form.status, &form.note).await {
        Ok(_) => HttpResponse::SeeOther()
            .insert_header(("Location", "/teach/reports"))
            .finish(),
        Err(ApiError::NotFound) => error_page(&state, &req, StatusCode::NOT_FOUND),
        Err(_) => error_page(&state, &req, StatusCode::BAD_REQUEST),
    }
}
