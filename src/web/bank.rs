//! `GET /api/v1/bank/summary`: public counts of the published bank.

use actix_web::{HttpResponse, get, web};

use super::{ApiError, AppState};
use crate::domain::BankSummary;
use crate::storage::items;

/// Counts of published items by subject, kind and tag (an item counts under each of its tags), and the
/// number of case parts. Public: no item content.
#[utoipa::path(
    tag = "bank",
    responses((status = 200, description = "Counts of published items", body = BankSummary))
)]
#[get("/api/v1/bank/summary")]
pub async fn get_bank_summary(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let summary = state.with_db(items::summary).await?;
    Ok(HttpResponse::Ok().json(summary))
}
