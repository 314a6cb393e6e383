//! Invitations for a school's students who have no password (made by a class list or a signed link): the
//! school's staff make a one-time link (`POST /api/v1/schools/{id}/members/{user}/invitation`, or the
//! "invite" button beside each student on the class page), and the student sets an e-mail or phone and a
//! password on `/invite/{token}`, is logged in, and practises on tiku under the school's licence.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;

use super::auth::{self, Auth, MaybeAuth};
use super::pages::render;
use super::schools::assessments::base_url;
use super::schools::scope;
use super::{ApiError, AppState};
use crate::domain::identity;
use crate::domain::user::Role;
use crate::storage::invitations::{self, Credential};
use crate::storage::{audit, schools, users};

/// The invitation form's CSRF cookie (double submit: the student has no session yet).
const INVITE_CSRF_COOKIE: &str = "tiku_invite_csrf";

/// A new invitation.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Invitation {
    /// The link to give the student (works once, until `expires_at`).
    pub url: String,
    pub expires_at: String,
}

/// Makes an invitation for a student of the school who has no password yet (any of its staff may).
pub async fn invite(
    state: &AppState,
    auth: &Auth,
    req: &HttpRequest,
    school_id: &str,
    user_id: &str,
) -> Result<Invitation, ApiError> {
    let (school, _) = scope(state, auth, school_id).await?;
    let (sid, uid, actor) = (school.id.clone(), user_id.to_owned(), auth.user.id.clone());
    let made = state
        .with_db(move |c| {
            let ours = schools::school_of(c, &uid)?.as_deref() == Some(sid.as_str());
            let student = users::get(c, &uid)?.is_some_and(|u| u.role == Role::Candidate);
            // Only accounts without a password: a link must never let staff take over an account
            // its owner secured.
            if !ours || !student || users::is_disabled(c, &uid)? || users::has_password(c, &uid)? {
                return Ok(None);
            }
            let made = invitations::create(c, &uid, &actor)?;
            audit::log(c, &actor, "invite", "user", &uid, "")?;
            Ok(Some(made))
        })
        .await?;
    let (token, expires) = made.ok_or(ApiError::NotFound)?;
    Ok(Invitation {
        url: format!("{}/invite/{token}", base_url(req)),
        expires_at: expires.assume_utc().format(&Rfc3339).unwrap_or_default(),
    })
}

/// `POST /api/v1/schools/{id}/members/{user}/invitation`
#[utoipa::path(tag = "schools", params(("id" = String, Path), ("user" = String, Path)), responses((status = 201, body = Invitation), (status = 404, description = "Not an enabled student of your school without a password", body = super::error::ErrorBody)))]
#[post("/api/v1/schools/{id}/members/{user}/invitation")]
pub async fn post_invitation(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    auth.check_csrf(&req, None)?;
    let (sid, uid) = path.into_inner();
    let made = invite(&state, &auth, &req, &sid, &uid).await?;
    Ok(HttpResponse::Created().json(made))
}

/// `POST /school/{id}/classes/{class}/invite/{user}` (form): back to the class page with the link.
pub async fn post_invite_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    path: web::Path<(String, String, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let pairs = form.into_inner();
    let auth = match super::schools::pages::form_user(&state, &req, auth, &pairs) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let (sid, cid, uid) = path.into_inner();
    let to = format!("/school/{sid}/classes/{cid}");
    match invite(&state, &auth, &req, &sid, &uid).await {
        Ok(i) => super::schools::pages::back(
            &to,
            Ok(format!(
                "{} {}",
                super::teach::t(&state, &req, "invite_made"),
                i.url
            )),
        ),
        Err(e @ (ApiError::NotFound | ApiError::Forbidden(_))) => {
            super::schools::pages::fail(&state, &req, &e)
        }
        Err(e) => super::schools::pages::back(&to, Err(e)),
    }
}

#[derive(Serialize, Default)]
struct InvitePage {
    token: String,
    name: String,
    csrf: String,
    email: String,
    phone: String,
    /// Field → message.
    errors: std::collections::BTreeMap<String, String>,
    gone: bool,
}

fn invite_page(
    state: &AppState,
    req: &HttpRequest,
    status: StatusCode,
    page: InvitePage,
) -> HttpResponse {
    let title = super::teach::t(state, req, "invite_title");
    let csrf = page.csrf.clone();
    let path = format!("/invite/{}", page.token);
    let mut resp = render(state, req, None, status, "invite", &title, page);
    let cookie = auth::form_csrf_cookie(INVITE_CSRF_COOKIE, &csrf, &path, state.secure_cookies);
    let _ = resp.add_cookie(&cookie);
    resp
}

/// The name on the account an invitation is for, if it still works.
async fn invited(state: &AppState, token: &str) -> Result<Option<String>, ApiError> {
    let token = token.to_owned();
    state
        .with_db(move |c| {
            Ok(match invitations::pending(c, &token)? {
                Some(id) => users::get(c, &id)?.map(|u| u.name),
                None => None,
            })
        })
        .await
}

/// `GET /invite/{token}`
pub async fn get_invite(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let token = path.into_inner();
    let name = invited(&state, &token).await.ok().flatten();
    let gone = name.is_none();
    invite_page(
        &state,
        &req,
        if gone {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::OK
        },
        InvitePage {
            token,
            name: name.unwrap_or_default(),
            csrf: crate::auth::new_token(),
            gone,
            ..InvitePage::default()
        },
    )
}

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password2: String,
}

/// The credential and password a form gives, or each field's problem.
fn check(form: &InviteForm) -> Result<Credential, std::collections::BTreeMap<String, String>> {
    let mut errors = std::collections::BTreeMap::new();
    let (email, phone) = (form.email.trim(), form.phone.trim());
    let credential = match (email.is_empty(), phone.is_empty()) {
        (false, _) => identity::email(email).map(Credential::Email),
        (true, false) => identity::phone(phone).map(Credential::Phone),
        (true, true) => Err(identity::FieldError {
            field: "email",
            message: "give an e-mail address or a mobile number to log in with".into(),
        }),
    };
    if let Err(e) = identity::password(&form.password) {
        errors.insert(e.field.to_owned(), e.message);
    } else if form.password != form.password2 {
        errors.insert("password2".into(), "the two passwords differ".into());
    }
    match credential {
        Ok(c) if errors.is_empty() => Ok(c),
        Ok(_) => Err(errors),
        Err(e) => {
            errors.insert(e.field.to_owned(), e.message);
            Err(errors)
        }
    }
}

/// `POST /invite/{token}`: sets the credential and password, logs the student in, on to practice.
pub async fn post_invite(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<InviteForm>,
) -> HttpResponse {
    let token = path.into_inner();
    let Ok(Some(name)) = invited(&state, &token).await else {
        return get_invite(state, req, web::Path::from(token)).await;
    };
    let again = |errors: std::collections::BTreeMap<String, String>, status: StatusCode| {
        invite_page(
            &state,
            &req,
            status,
            InvitePage {
                token: token.clone(),
                name: name.clone(),
                csrf: crate::auth::new_token(),
                email: form.email.clone(),
                phone: form.phone.clone(),
                errors,
                gone: false,
            },
        )
    };
    let cookie_ok = auth::form_csrf_ok(&req, INVITE_CSRF_COOKIE, &form.csrf);
    if !cookie_ok {
        let msg = super::teach::t(&state, &req, "csrf_failed");
        return again([("form".to_owned(), msg)].into(), StatusCode::FORBIDDEN);
    }
    let credential = match check(&form) {
        Ok(c) => c,
        Err(errors) => return again(errors, StatusCode::UNPROCESSABLE_ENTITY),
    };
    let password = form.password.clone();
    let Ok(Ok(hash)) = web::block(move || crate::auth::hash_password(&password)).await else {
        return again(
            [(
                "form".to_owned(),
                "the password could not be stored".to_owned(),
            )]
            .into(),
            StatusCode::INTERNAL_SERVER_ERROR,
        );
    };
    let t = token.clone();
    let accepted = state
        .with_db(move |c| {
            let Some(user) = invitations::accept(c, &t, &credential, &hash)? else {
                return Ok(None);
            };
            Ok(Some(users::create_session(c, &user)?))
        })
        .await;
    match accepted {
        Ok(Some((session, _))) => HttpResponse::SeeOther()
            .insert_header(("Location", "/practice"))
            .cookie(auth::session_cookie(&session, state.secure_cookies))
            .finish(),
        Ok(None) => get_invite(state.clone(), req.clone(), web::Path::from(token.clone())).await,
        Err(ApiError::Conflict(m)) => {
            let field = if form.email.trim().is_empty() {
                "phone"
            } else {
                "email"
            };
            again(
                [(field.to_owned(), m)].into(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "invitation");
            again(
                [("form".to_owned(), e.to_string())].into(),
                StatusCode::INTERNAL_SERVER_ERROR,
            )
        }
    }
}
