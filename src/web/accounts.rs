//! Disabling accounts and changing roles: tiku's admins disable any account (`PUT /api/v1/admin/users/{id}/disabled`, or by login,
//! e-mail or phone from the admin page), a school's administrator the members of their school (`PUT
//! /api/v1/schools/{id}/members/{user}/disabled`, buttons on the school page). A disabled account cannot
//! log in, its sessions end on every server within about a second, and its signed links and LTI
//! launches are refused; enabling it again restores its access. Admins also change a staff account's
//! role (`PUT /api/v1/admin/users/{id}/role`), which ends its sessions. Nobody changes their own account.

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
    // Members of the school, and never one of tiku's own administrators.
    let member = state
        .with_db(move |c| {
            let ours = schools::school_of(c, &uid)?.as_deref() == Some(sid.as_str());
            Ok(ours && users::get(c, &uid)?.is_some_and(|u| u.role != Role::Admin))
        })
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

/// The body of a role change.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewRole {
    /// admin, teacher or school_admin.
    pub role: String,
}

/// The account's role after a change.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AccountRole {
    pub user_id: String,
    pub role: &'static str,
}

/// Gives a staff account another staff role (admins only; the caller checked). Candidates' accounts
/// carry a registration and stay candidates; a school administrator must belong to a school.
pub async fn set_role(
    state: &AppState,
    auth: &Auth,
    user_id: &str,
    role: &str,
) -> Result<AccountRole, ApiError> {
    let role = Role::parse(role)
        .filter(|r| *r != Role::Candidate)
        .ok_or_else(|| ApiError::invalid("role", "one of admin, teacher, school_admin"))?;
    if user_id == auth.user.id {
        return Err(ApiError::Conflict("you cannot change your own role".into()));
    }
    let (actor, target) = (auth.user.id.clone(), user_id.to_owned());
    state
        .with_db(move |c| {
            let Some(user) = users::get(c, &target)? else {
                return Ok(Err(ApiError::NotFound));
            };
            if user.role == Role::Candidate {
                return Ok(Err(ApiError::Conflict(
                    "a candidate's account does not become staff: make a staff account".into(),
                )));
            }
            if role == Role::SchoolAdmin && schools::school_of(c, &target)?.is_none() {
                return Ok(Err(ApiError::Conflict(
                    "a school administrator belongs to a school: add them as its staff".into(),
                )));
            }
            users::set_role(c, &target, role)?;
            let detail = format!("{} → {}", user.role.code(), role.code());
            audit::log(c, &actor, "role", "user", &target, &detail)?;
            Ok(Ok(AccountRole {
                user_id: target,
                role: role.code(),
            }))
        })
        .await?
}

/// `PUT /api/v1/admin/users/{id}/role` (admin)
#[utoipa::path(tag = "admin", params(("id" = String, Path)), request_body = NewRole, responses((status = 200, body = AccountRole), (status = 400, description = "Not a staff role", body = super::error::ErrorBody), (status = 404, description = "No such account", body = super::error::ErrorBody), (status = 409, description = "Your own account, a candidate's, or a school administrator without a school", body = super::error::ErrorBody)))]
#[put("/api/v1/admin/users/{id}/role")]
pub async fn put_role(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<NewRole>,
) -> Result<HttpResponse, ApiError> {
    auth.require(&[Role::Admin])?;
    auth.check_csrf(&req, None)?;
    let r = set_role(&state, &auth, &path.into_inner(), &body.role).await?;
    Ok(HttpResponse::Ok().json(r))
}
