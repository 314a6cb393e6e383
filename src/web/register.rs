//! The candidates' pages: registration with the ID photo (`/register`), and their home (`/me`) with their
//! access, their registrations for the exam's sittings and the way to practice and mock exams.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::auth::{self, MaybeAuth};
use super::candidates::{self, NewCandidateBody};
use super::i18n::request_lang;
use super::pages::{error_page, render};
use super::{ApiError, AppState, beijing_today};
use crate::domain::access::Access;
use crate::domain::identity::PHOTO_BYTES;
use crate::domain::user::Role;
use crate::storage::{sittings, users};

/// The registration form's CSRF cookie (double submit: no session exists yet).
const REGISTER_CSRF_COOKIE: &str = "tiku_register_csrf";

#[derive(Serialize, Default)]
struct RegisterPage {
    csrf: String,
    name: String,
    id_number: String,
    phone: String,
    email: String,
    /// Field → message.
    errors: std::collections::BTreeMap<String, String>,
    error: Option<String>,
}

fn register_page(
    state: &AppState,
    req: &HttpRequest,
    status: StatusCode,
    page: RegisterPage,
) -> HttpResponse {
    let csrf = page.csrf.clone();
    let title = super::teach::t(state, req, "register_title");
    let mut resp = render(state, req, None, status, "register", &title, page);
    let cookie = auth::form_csrf_cookie(
        REGISTER_CSRF_COOKIE,
        &csrf,
        "/register",
        state.secure_cookies,
    );
    let _ = resp.add_cookie(&cookie);
    resp
}

/// `GET /register`
pub async fn get_register(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
) -> HttpResponse {
    if auth.0.is_some() {
        return see_other("/me");
    }
    register_page(
        &state,
        &req,
        StatusCode::OK,
        RegisterPage {
            csrf: crate::auth::new_token(),
            ..RegisterPage::default()
        },
    )
}

fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", to.to_owned()))
        .finish()
}

/// `POST /register` (multipart, with the photo): the account, a session, and on to `/me`.
pub async fn post_register(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: Multipart,
) -> HttpResponse {
    let Some(form) = super::multipart::read(payload, PHOTO_BYTES.1 + 64 * 1024).await else {
        return error_page(&state, &req, StatusCode::PAYLOAD_TOO_LARGE);
    };
    let mut page = RegisterPage {
        csrf: crate::auth::new_token(),
        name: form.text("name"),
        id_number: form.text("id_number"),
        phone: form.text("phone"),
        email: form.text("email"),
        ..RegisterPage::default()
    };
    let csrf = form.text("csrf");
    let cookie_ok = auth::form_csrf_ok(&req, REGISTER_CSRF_COOKIE, &csrf);
    if !cookie_ok {
        page.error = Some(super::teach::t(&state, &req, "csrf_failed"));
        return register_page(&state, &req, StatusCode::FORBIDDEN, page);
    }
    let photo = form.file("photo").map(<[u8]>::to_vec);
    if photo.is_none() {
        page.errors.insert(
            "photo".into(),
            super::teach::t(&state, &req, "photo_required"),
        );
    }
    let body = NewCandidateBody {
        name: page.name.clone(),
        id_number: page.id_number.clone(),
        phone: page.phone.clone(),
        email: page.email.clone(),
        password: form.text("password"),
        photo_base64: None,
    };
    if let Err(errors) = candidates::check_registration(&body, photo.as_deref()) {
        for e in errors {
            page.errors.insert(e.field.to_owned(), e.message);
        }
    }
    if !page.errors.is_empty() {
        return register_page(&state, &req, StatusCode::BAD_REQUEST, page);
    }
    match candidates::register(&state, body, photo).await {
        Ok(id) => {
            let session = state.with_db(move |c| users::create_session(c, &id)).await;
            match session {
                Ok((token, _)) => HttpResponse::SeeOther()
                    .insert_header(("Location", "/me"))
                    .cookie(auth::session_cookie(&token, state.secure_cookies))
                    .finish(),
                Err(_) => error_page(&state, &req, StatusCode::INTERNAL_SERVER_ERROR),
            }
        }
        Err(ApiError::Fields(errors)) => {
            for e in errors {
                page.errors.insert(e.field.to_owned(), e.message);
            }
            register_page(&state, &req, StatusCode::BAD_REQUEST, page)
        }
        Err(e) => {
            tracing::error!(error = %e, "registration");
            error_page(&state, &req, StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

#[derive(Serialize)]
struct SittingRow {
    id: String,
    name: String,
    registration: String,
    test: String,
    fee: String,
    open: bool,
    /// This candidate's order for it, if registered.
    order: Option<String>,
    paid: bool,
}

#[derive(Serialize)]
struct MePage {
    me: candidates::Me,
    full_access: bool,
    access_until: Option<String>,
    sittings: Vec<SittingRow>,
    flash: Option<String>,
}

#[derive(Deserialize)]
pub struct FlashParam {
    flash: Option<String>,
}

/// `GET /me`: the candidate's home.
pub async fn get_me_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    q: web::Query<FlashParam>,
) -> HttpResponse {
    let Some(auth) = auth.0 else {
        return see_other("/login?next=%2Fme");
    };
    if auth.user.role != Role::Candidate {
        return see_other(if auth.is_staff() { "/teach" } else { "/" });
    }
    let me = match candidates::me(&state, &auth).await {
        Ok(m) => m,
        Err(ApiError::NotFound) => return error_page(&state, &req, StatusCode::NOT_FOUND),
        Err(_) => return error_page(&state, &req, StatusCode::INTERNAL_SERVER_ERROR),
    };
    let Ok(all) = state.with_db(sittings::list).await else {
        return error_page(&state, &req, StatusCode::INTERNAL_SERVER_ERROR);
    };
    let zh = request_lang(&req) == crate::domain::Lang::Zh;
    let today = beijing_today();
    let rows = all
        .into_iter()
        .map(|s| {
            let reg = me.registrations.iter().find(|r| r.sitting.id == s.id);
            SittingRow {
                name: if zh {
                    s.name_zh.clone()
                } else {
                    s.name_en.clone()
                },
                registration: format!("{} – {}", s.registration_opens, s.registration_closes),
                test: format!("{} {}", s.test_date, s.test_time),
                fee: format!("{:.2}", f64::from(s.fee_fen) / 100.0),
                open: s.registration_open(today),
                order: reg.map(|r| r.order.id.clone()),
                paid: reg.is_some_and(|r| r.order.status == sittings::OrderStatus::Paid),
                id: s.id,
            }
        })
        .collect();
    let (full_access, access_until) = match &me.access {
        Access::Full { until } => (true, Some(until.to_string())),
        Access::Sample => (false, None),
    };
    let title = super::teach::t(&state, &req, "me_title");
    render(
        &state,
        &req,
        Some(&auth),
        StatusCode::OK,
        "me",
        &title,
        MePage {
            me,
            full_access,
            access_until,
            sittings: rows,
            flash: q.flash.clone(),
        },
    )
}

#[derive(Deserialize)]
pub struct SittingForm {
    csrf: String,
    sitting: String,
}

/// `POST /me/registrations`: registers for a sitting from the home page.
pub async fn post_me_registration(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    form: web::Form<SittingForm>,
) -> HttpResponse {
    let Some(auth) = auth.0 else {
        return see_other("/login?next=%2Fme");
    };
    if auth.check_csrf(&req, Some(&form.csrf)).is_err() {
        return error_page(&state, &req, StatusCode::FORBIDDEN);
    }
    let flash = match candidates::register_for_sitting(&state, &auth, form.sitting.clone()).await {
        Ok(r) => format!(
            "{} {}",
            super::teach::t(&state, &req, "registered_order"),
            r.id
        ),
        Err(e) => e.to_string(),
    };
    let q = serde_urlencoded::to_string([("flash", flash)]).unwrap_or_default();
    see_other(&format!("/me?{q}"))
}

/// `GET /me/photo`: the candidate's own photo.
pub async fn get_me_photo(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
) -> HttpResponse {
    let Some(auth) = auth.0 else {
        return error_page(&state, &req, StatusCode::UNAUTHORIZED);
    };
    match candidates::photo_response(&state, auth.user.id.clone()).await {
        Ok(r) => r,
        Err(_) => error_page(&state, &req, StatusCode::NOT_FOUND),
    }
}
