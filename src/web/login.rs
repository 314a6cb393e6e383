//! The login and logout pages (the API twins are in [`super::auth`]).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::auth::{self, Auth, MaybeAuth};
use super::i18n::request_lang;
use super::pages::render;
use super::{ApiError, AppState};

/// The cookie that carries the login form's CSRF token (double submit: no session exists yet).
const LOGIN_CSRF_COOKIE: &str = "tiku_login_csrf";

#[derive(Deserialize)]
pub struct NextParam {
    next: Option<String>,
}

#[derive(Serialize)]
struct LoginPage {
    next: String,
    login: String,
    csrf: String,
    error: Option<String>,
}

/// Only paths on this site are followed after login (no open redirect).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/".to_owned(),
    }
}

fn login_page(
    state: &AppState,
    req: &HttpRequest,
    status: StatusCode,
    page: LoginPage,
) -> HttpResponse {
    let title = state
        .strings
        .get("login_title", request_lang(req))
        .unwrap_or("Log in")
        .to_owned();
    let csrf = page.csrf.clone();
    let mut resp = render(state, req, None, status, "login", &title, page);
    let cookie = auth::form_csrf_cookie(LOGIN_CSRF_COOKIE, &csrf, "/login", state.secure_cookies);
    let _ = resp.add_cookie(&cookie);
    resp
}

/// `GET /login`
pub async fn get_login(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    q: web::Query<NextParam>,
) -> HttpResponse {
    let next = safe_next(q.next.as_deref());
    if auth.0.is_some() {
        return HttpResponse::SeeOther()
            .insert_header(("Location", next))
            .finish();
    }
    login_page(
        &state,
        &req,
        StatusCode::OK,
        LoginPage {
            next,
            login: String::new(),
            csrf: crate::auth::new_token(),
            error: None,
        },
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    login: String,
    password: String,
    next: Option<String>,
    csrf: String,
}

/// `POST /login`: on success, the session cookie and a redirect to `next`.
pub async fn post_login(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> HttpResponse {
    let lang = request_lang(&req);
    let next = safe_next(form.next.as_deref());
    let cookie_ok = auth::form_csrf_ok(&req, LOGIN_CSRF_COOKIE, &form.csrf);
    let fail = |key: &str, status: StatusCode| {
        login_page(
            &state,
            &req,
            status,
            LoginPage {
                next: next.clone(),
                login: form.login.clone(),
                csrf: crate::auth::new_token(),
                error: Some(state.strings.get(key, lang).unwrap_or(key).to_owned()),
            },
        )
    };
    if !cookie_ok {
        return fail("csrf_failed", StatusCode::FORBIDDEN);
    }
    match auth::log_in(&state, &req, &form.login, &form.password).await {
        Ok((_, token, _)) => HttpResponse::SeeOther()
            .insert_header(("Location", next.clone()))
            .cookie(auth::session_cookie(&token, state.secure_cookies))
            .finish(),
        Err(ApiError::TooManyAttempts { .. }) => {
            fail("login_throttled", StatusCode::TOO_MANY_REQUESTS)
        }
        Err(ApiError::Invalid { .. }) | Err(ApiError::Unauthorized(_)) => {
            fail("login_failed", StatusCode::UNAUTHORIZED)
        }
        Err(e) => {
            tracing::error!(error = %e, "login");
            fail("error_text", StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// `POST /logout`
pub async fn post_logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, ApiError> {
    auth.check_csrf(&req, Some(&form.csrf))?;
    state.sessions.forget(&auth.token);
    let token = auth.token.clone();
    state
        .with_db(move |c| crate::storage::users::delete_session(c, &token))
        .await?;
    Ok(auth::logout_response("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next(Some("/teach")), "/teach");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
