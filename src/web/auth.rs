//! Who is asking: sessions from the `tiku_session` cookie (browser pages) or an `Authorization: Bearer`
//! token (API clients), CSRF protection for cookie-authenticated changes, login with throttling, logout.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use time::Duration;

use super::sessions::Session;
use super::{ApiError, AppState};
use crate::auth;
use crate::domain::user::{Role, User};
use crate::storage::users;

pub const SESSION_COOKIE: &str = "tiku_session";
/// The header a browser script sends the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// At most this many failed logins per credential within [`THROTTLE_WINDOW`]…
const MAX_FAILURES_PER_LOGIN: i64 = 5;
/// …and per client address.
const MAX_FAILURES_PER_ADDRESS: i64 = 30;
const THROTTLE_WINDOW: Duration = Duration::minutes(15);

/// How a request authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Cookie,
    Bearer,
}

/// An authenticated request.
#[derive(Clone, Debug)]
pub struct Auth {
    pub user: User,
    pub via: Via,
    pub token: String,
    pub csrf: String,
}

impl Auth {
    /// 403 unless the user has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.user.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden("your role may not do this".into()))
        }
    }

    pub fn is_staff(&self) -> bool {
        self.user.role.is_staff()
    }

    /// For a cookie-authenticated change: the CSRF token must come back, in the form field or in the
    /// `X-CSRF-Token` header. Bearer tokens cannot be sent by another site, so they need none.
    pub fn check_csrf(&self, req: &HttpRequest, form_token: Option<&str>) -> Result<(), ApiError> {
        if self.via == Via::Bearer {
            return Ok(());
        }
        let header = req.headers().get(CSRF_HEADER).and_then(|h| h.to_str().ok());
        match form_token.or(header) {
            Some(t) if constant_time_eq(t.as_bytes(), self.csrf.as_bytes()) => Ok(()),
            _ => Err(ApiError::Forbidden(
                "the form is out of date or came from another site (CSRF check failed); reload the page".into(),
            )),
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The token a request carries, and how.
fn credentials(req: &HttpRequest) -> Option<(String, Via)> {
    if let Some(h) = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        && let Some(token) = h.strip_prefix("Bearer ")
    {
        return Some((token.trim().to_owned(), Via::Bearer));
    }
    req.cookie(SESSION_COOKIE)
        .map(|c| (c.value().to_owned(), Via::Cookie))
}

/// Looks up the request's session; `None` when there is no valid one.
pub async fn authenticate(state: &AppState, req: &HttpRequest) -> Result<Option<Auth>, ApiError> {
    let Some((token, via)) = credentials(req) else {
        return Ok(None);
    };
    if token.len() != 64 || !token.chars().all(|c| c.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let now = crate::storage::now();
    let found = match state.sessions.get(&token, now) {
        Some(s) => Some(s),
        None => {
            let t = token.clone();
            let read = state.with_db(move |c| users::session(c, &t)).await?;
            read.map(|(user, csrf, expires_at)| {
                let s = Session {
                    user,
                    csrf,
                    expires_at,
                };
                state.sessions.put(&token, s.clone());
                s
            })
        }
    };
    Ok(found.map(|s| Auth {
        user: s.user,
        via,
        token,
        csrf: s.csrf,
    }))
}

impl FromRequest for Auth {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Auth, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| ApiError::Internal("no application state".into()))?;
            authenticate(state, &req).await?.ok_or_else(|| {
                ApiError::Unauthorized("log in first (session cookie or Bearer token)".into())
            })
        })
    }
}

/// An optional session: pages that anyone may see but that change for logged-in users.
pub struct MaybeAuth(pub Option<Auth>);

impl FromRequest for MaybeAuth {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<MaybeAuth, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| ApiError::Internal("no application state".into()))?;
            Ok(MaybeAuth(authenticate(state, &req).await?))
        })
    }
}

/// The session cookie: HttpOnly (no script reads it), SameSite=Lax (not sent on cross-site posts),
/// Secure when the server says it runs behind HTTPS.
pub fn session_cookie(token: &str, secure: bool) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token.to_owned())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(CookieDuration::seconds(users::SESSION_TTL.whole_seconds()))
        .finish()
}

/// The cookie of a form posted before any session exists (login, registration, an invitation): the
/// form's CSRF token, double-submitted — HttpOnly, SameSite=Strict, only sent to `path`.
pub fn form_csrf_cookie(name: &str, token: &str, path: &str, secure: bool) -> Cookie<'static> {
    Cookie::build(name.to_owned(), token.to_owned())
        .path(path.to_owned())
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .finish()
}

/// Whether a posted form's CSRF token is the one its cookie `name` carries.
pub fn form_csrf_ok(req: &actix_web::HttpRequest, name: &str, posted: &str) -> bool {
    req.cookie(name)
        .is_some_and(|c| !posted.is_empty() && c.value() == posted)
}

fn expired_cookie() -> Cookie<'static> {
    let mut c = Cookie::build(SESSION_COOKIE, "")
        .path("/")
        .http_only(true)
        .finish();
    c.make_removal();
    c
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    /// Staff: login name; candidates: e-mail or phone.
    pub login: String,
    pub password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UserRef {
    pub id: String,
    pub role: Role,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`; the same token is set as the session cookie.
    pub token: String,
    pub user: UserRef,
}

/// Checks a credential and password with throttling; on success opens a session.
pub async fn log_in(
    state: &AppState,
    req: &HttpRequest,
    login: &str,
    password: &str,
) -> Result<(User, String, String), ApiError> {
    let login = login.trim().to_owned();
    if login.is_empty() {
        return Err(ApiError::invalid(
            "login",
            "enter your login name, e-mail or phone",
        ));
    }
    if password.is_empty() {
        return Err(ApiError::invalid("password", "enter your password"));
    }
    let address = req
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into());
    let keys = vec![
        format!("login:{}", login.to_lowercase()),
        format!("addr:{address}"),
    ];
    let k = keys.clone();
    let (by_login, by_address) = state
        .with_db(move |c| {
            Ok((
                users::recent_failures(c, &k[0], THROTTLE_WINDOW)?,
                users::recent_failures(c, &k[1], THROTTLE_WINDOW)?,
            ))
        })
        .await?;
    if by_login >= MAX_FAILURES_PER_LOGIN || by_address >= MAX_FAILURES_PER_ADDRESS {
        return Err(ApiError::TooManyAttempts {
            retry_after: THROTTLE_WINDOW.whole_seconds() as u64,
        });
    }
    let l = login.clone();
    let found = state.with_db(move |c| users::by_credential(c, &l)).await?;
    let password = password.to_owned();
    // Verify against a decoy when the login is unknown, so both cases take as long.
    let (user, ok) = web::block(move || match found {
        Some((user, hash)) => {
            let ok = auth::verify_password(&password, &hash);
            (Some(user), ok)
        }
        None => {
            let _ = auth::verify_password(&password, auth::decoy_hash());
            (None, false)
        }
    })
    .await?;
    match (user, ok) {
        (Some(user), true) => {
            let (id, key) = (user.id.clone(), keys[0].clone());
            let (token, csrf) = state
                .with_db(move |c| {
                    users::clear_failures(c, &key)?;
                    users::create_session(c, &id)
                })
                .await?;
            Ok((user, token, csrf))
        }
        _ => {
            state
                .with_db(move |c| users::record_failure(c, &keys))
                .await?;
            Err(ApiError::Unauthorized(
                "the login or the password is wrong".into(),
            ))
        }
    }
}

/// Logs in; answers the bearer token and sets the session cookie.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = LoginResponse),
        (status = 401, description = "Wrong login or password", body = super::error::ErrorBody),
        (status = 429, description = "Too many failed attempts", body = super::error::ErrorBody)
    )
)]
#[post("/api/v1/auth/login")]
pub async fn post_login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let (user, token, _) = log_in(&state, &req, &body.login, &body.password).await?;
    Ok(HttpResponse::Ok()
        .cookie(session_cookie(&token, state.secure_cookies))
        .json(LoginResponse {
            token,
            user: UserRef {
                id: user.id,
                role: user.role,
            },
        }))
}

/// Ends the session (the cookie's or the bearer token's).
#[utoipa::path(tag = "auth", responses((status = 204, description = "Logged out")))]
#[post("/api/v1/auth/logout")]
pub async fn post_logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
) -> Result<HttpResponse, ApiError> {
    auth.check_csrf(&req, None)?;
    state.sessions.forget(&auth.token);
    let token = auth.token.clone();
    state
        .with_db(move |c| users::delete_session(c, &token))
        .await?;
    Ok(HttpResponse::NoContent().cookie(expired_cookie()).finish())
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    pub id: String,
    pub role: Role,
    pub name: String,
    /// For scripts on our pages: send it back in the `X-CSRF-Token` header on changes.
    pub csrf_token: String,
}

/// The logged-in user.
#[utoipa::path(tag = "auth", responses((status = 200, body = Me), (status = 401, body = super::error::ErrorBody)))]
#[get("/api/v1/auth/me")]
pub async fn get_me(auth: Auth) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(Me {
        id: auth.user.id,
        role: auth.user.role,
        name: auth.user.name,
        csrf_token: auth.csrf,
    }))
}

/// Removes the session cookie (for the logout page).
pub fn logout_response(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", location.to_owned()))
        .cookie(expired_cookie())
        .finish()
}
