//! `GET /healthz`: ready once the database answers.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;

use super::{ApiError, AppState};

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always "ok" when the status is 200.
    pub status: &'static str,
}

/// Readiness: 200 `{"status": "ok"}` once the database answers, 503 otherwise.
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "Not ready", body = super::error::ErrorBody)
    )
)]
#[get("/healthz")]
pub async fn get_healthz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let db = state.db.clone();
    web::block(move || db.ping())
        .await?
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    Ok(HttpResponse::Ok().json(Health { status: "ok" }))
}
