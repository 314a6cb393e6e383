//! `GET /api/v1/items/{id}`: staff get the full item (key and explanation included, any version);
//! candidates and visitors get the published version without key or explanation.

use actix_web::{HttpResponse, get, web};
use serde::{Deserialize, Serialize};

use super::auth::MaybeAuth;
use super::present::{ItemView, authored_order, present};
use super::{ApiError, AppState};
use crate::bank::write::item_to_toml;
use crate::domain::item::Item;
use crate::storage::items;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionParam {
    /// A version number (staff only); default the latest.
    pub version: Option<u32>,
}

/// The full item, for staff.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StaffItem {
    pub id: String,
    pub version: u32,
    pub latest_version: u32,
    pub published_version: Option<u32>,
    pub status: String,
    pub created_at: String,
    pub created_by: String,
    /// The item with its key, explanation, rubric and template, as stored.
    #[schema(value_type = Object)]
    pub item: Item,
    /// The same item in the bank's own format.
    pub toml: String,
}

/// One item. Staff: full item, any version. Others: the published version, without answer or
/// explanation (404 if the item is not published).
#[utoipa::path(
    tag = "items",
    params(("id" = String, Path, description = "Item id"), VersionParam),
    responses(
        (status = 200, description = "For staff a StaffItem; for everyone else an ItemView", body = ItemView),
        (status = 404, description = "No such item (or not published)", body = super::error::ErrorBody)
    )
)]
#[get("/api/v1/items/{id}")]
pub async fn get_item(
    state: web::Data<AppState>,
    auth: MaybeAuth,
    path: web::Path<String>,
    query: web::Query<VersionParam>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let staff = auth.0.as_ref().is_some_and(|a| a.is_staff());
    if staff {
        let version = query.version;
        let found = state
            .with_db(move |c| items::get(c, &id, version))
            .await?
            .ok_or(ApiError::NotFound)?;
        return Ok(HttpResponse::Ok().json(StaffItem {
            id: found.item.id.to_string(),
            version: found.version,
            latest_version: found.latest_version,
            published_version: found.published_version,
            status: found.status.code().to_owned(),
            created_at: found.created_at.to_string(),
            created_by: found.created_by.clone(),
            toml: item_to_toml(&found.item, found.status),
            item: found.item,
        }));
    }
    if query.version.is_some() {
        return Err(ApiError::Forbidden(
            "only staff may ask for a version".into(),
        ));
    }
    let found = state
        .with_db(move |c| items::get_published(c, &id))
        .await?
        .ok_or(ApiError::NotFound)?;
    let (shown, _) = found
        .item
        .instantiate(0)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(HttpResponse::Ok().json(present(&shown, found.version, &authored_order)))
}
