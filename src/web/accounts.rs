//! Disabling accounts: tiku's admins any account (`PUT /api/v1/admin/users/{id}/disabled`, or by login,
//! e-mail or phone from the admin page), a school's administrator the members of their school (`PUT
//! /api/v1/schools/{id}/members/{user}/disabled`, buttons on the school page). A disabled account cannot
//! log in, its sessions end on every server within about a second, and its signed links and LTI
//! launches are refused; enabling it again restores its access. Nobody disables their own account.

use actix_web::{HttpRequest, HttpResponse, put, web};
use serde::{Deserialize, Serialize};

use super::auth::Auth;
use super::schools::manage;
use super::{ApiError, AppState};
use crate::domain::user::Role;
use crate::storage::{audit, schools, users};

/// The body of a change: `{"disabled": true}` disables, `false` enables again.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct Disabled {
    pub disabled: bool,
}

/// The account's state after a change.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AccountState {
    pub user_id: String,
    pub disabled: bool,
}

/// The interface string that reports a change.
pub fn done_key(disabled: bool) -> &'static str {
    if disabled {
        "account_disabled"
    } else {
        "account_enabled"
    }
}

/// Disables or enables `user_id` on behalf of `auth` (whose right to do so the caller checked).
pub async fn set_disabled(
    state: &AppState,
    auth: &Auth,
    user_id: &str,
    disabled: bool,
) -> Result<AccountState, ApiError> {
    if user_id == auth.user.id {
        return Err(ApiError::Conflict(
            "you cannot disable or enable your own account".into(),
        ));
    }
    let (actor, target) = (auth.user.id.clone(), user_id.to_owned());
    let found = state
        .with_db(move |c| {
            let found = users::set_disabled(c, &target, disabled)?;
            if found {
                let what = if disabled { "disable" } else { "enable" };
                audit::log(c, &actor, what, "user", &target, "")?;
            }
            Ok(found)
        })
        .await?;
    if !found {
        return Err(ApiError::NotFound);
    }
    Ok(AccountState {
        user_id: user_id.to_owned(),
        disabled,
    })
}

/// A school administrator's change to a member of their school (tiku's admins: any school's).
pub async fn set_member_disabled(
    state: &AppState,
    auth: &Auth,
    school_id: &str,
    user_id: &str,
    disabled: bool,
) -> Result<AccountState, ApiError> {
    let school = manage(state, auth, school_id).await?;
    let (sid, uid) = (school.id.clone(), user_id.to_owned());
    let member = state
        .with_db(move |c| Ok(schools::school_of(c, &uid)?.as_deref() == Some(sid.as_str())))
        .await?;
    if !member {
        return Err(ApiError::NotFound);
    }
    set_disabled(state, auth, user_id, disabled).await
}

/// `PUT /api/v1/admin/users/{id}/disabled` (admin)
#[utoipa::path(tag = "admin", params(("id" = String, Path)), request_body = Disabled, responses((status = 200, body = AccountState), (status = 404, description = "No such account", body = super::error::ErrorBody), (status = 409, description = "Your own account", body = super::error::ErrorBody)))]
#[put("/api/v1/admin/users/{id}/disabled")]
pub async fn put_disabled(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<Disabled>,
) -> Result<HttpResponse, ApiError> {
    auth.require(&[Role::Admin])?;
    auth.check_csrf(&req, None)?;
    let s = set_disabled(&state, &auth, &path.into_inner(), body.disabled).await?;
    Ok(HttpResponse::Ok().json(s))
}

/// `PUT /api/v1/schools/{id}/members/{user}/disabled` (the school's administrators)
#[utoipa::path(tag = "schools", params(("id" = String, Path), ("user" = String, Path)), request_body = Disabled, responses((status = 200, body = AccountState), (status = 403, description = "Not the school's administrator", body = super::error::ErrorBody), (status = 404, description = "Not a member of your school", body = super::error::ErrorBody)))]
#[put("/api/v1/schools/{id}/members/{user}/disabled")]
pub async fn put_member_disabled(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Json<Disabled>,
) -> Result<HttpResponse, ApiError> {
    auth.check_csrf(&req, None)?;
    let (sid, uid) = path.into_inner();
    let s = set_member_disabled(&state, &auth, &sid, &uid, body.disabled).await?;
    Ok(HttpResponse::Ok().json(s))
}
