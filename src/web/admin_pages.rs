//! The admins' page (`/admin`): the exam's sittings (list and form), orders waiting for payment with a
//! confirm button each, and the upload of a list of confirmed payments (checked first, then confirmed).

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use time::Date;

use super::admin::{confirm_candidate, save_sitting, upload_payments};
use super::auth::{Auth, MaybeAuth};
use super::pages::{error_page, render};
use super::{ApiError, AppState};
use crate::domain::access::Sitting;
use crate::domain::identity::IdNumber;
use crate::domain::user::Role;
use crate::storage::sittings::{self, OrderStatus};

fn admin_only(
    state: &AppState,
    req: &HttpRequest,
    auth: MaybeAuth,
) -> Result<Auth, Box<HttpResponse>> {
    match auth.0 {
        Some(a) if a.user.role == Role::Admin => Ok(a),
        Some(_) => Err(Box::new(error_page(state, req, StatusCode::FORBIDDEN))),
        None => Err(Box::new(
            HttpResponse::SeeOther()
                .insert_header(("Location", "/login?next=%2Fadmin"))
                .finish(),
        )),
    }
}

#[derive(Serialize)]
struct OrderRow {
    id: String,
    user_id: String,
    sitting: String,
    amount: String,
    id_number: String,
    created_at: String,
}

#[derive(Serialize)]
struct AdminPage {
    sittings: Vec<Sitting>,
    orders: Vec<OrderRow>,
    flash: Option<String>,
    /// The last upload's check, shown before confirming.
    upload: Option<serde_json::Value>,
    upload_payload: Option<String>,
    upload_errors: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
pub struct FlashParam {
    flash: Option<String>,
}

async fn page(
    state: &AppState,
    req: &HttpRequest,
    auth: &Auth,
    flash: Option<String>,
    upload: Option<(serde_json::Value, String)>,
    upload_errors: Vec<serde_json::Value>,
) -> HttpResponse {
    let loaded = state
        .with_db(|c| {
            Ok((
                sittings::list(c)?,
                sittings::orders(c, Some(OrderStatus::Pending), 500)?,
            ))
        })
        .await;
    let Ok((sittings, orders)) = loaded else {
        return error_page(state, req, StatusCode::INTERNAL_SERVER_ERROR);
    };
    let orders = orders
        .into_iter()
        .map(|(o, id_number)| OrderRow {
            amount: format!("{:.2}", f64::from(o.amount_fen) / 100.0),
            id_number: IdNumber::masked(&id_number),
            created_at: o.created_at.date().to_string(),
            id: o.id,
            user_id: o.user_id,
            sitting: o.sitting_id,
        })
        .collect();
    let (upload, upload_payload) = upload.map_or((None, None), |(u, p)| (Some(u), Some(p)));
    let title = super::teach::t(state, req, "admin_title");
    render(
        state,
        req,
        Some(auth),
        StatusCode::OK,
        "admin",
        &title,
        AdminPage {
            sittings,
            orders,
            flash,
            upload,
            upload_payload,
            upload_errors,
        },
    )
}

/// `GET /admin`
pub async fn get_admin(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    q: web::Query<FlashParam>,
) -> HttpResponse {
    match admin_only(&state, &req, auth) {
        Ok(a) => page(&state, &req, &a, q.flash.clone(), None, Vec::new()).await,
        Err(r) => *r,
    }
}

fn back(flash: &str) -> HttpResponse {
    let q = serde_urlencoded::to_string([("flash", flash)]).unwrap_or_default();
    HttpResponse::SeeOther()
        .insert_header(("Location", format!("/admin?{q}")))
        .finish()
}

#[derive(Deserialize)]
pub struct SittingForm {
    csrf: String,
    id: String,
    name_zh: String,
    name_en: String,
    registration_opens: String,
    registration_closes: String,
    payment_opens: String,
    payment_closes: String,
    test_date: String,
    test_time: String,
    fee: String,
}

fn date(field: &str, raw: &str) -> Result<Date, ApiError> {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(raw.trim(), &f)
        .map_err(|_| ApiError::invalid(field, format!("{field}: a date as YYYY-MM-DD")))
}

fn sitting_of(f: &SittingForm) -> Result<Sitting, ApiError> {
    let fee = f
        .fee
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && *x > 0.0)
        .ok_or_else(|| ApiError::invalid("fee", "the fee in CNY, e.g. 260"))?;
    Ok(Sitting {
        id: f.id.trim().to_owned(),
        name_zh: f.name_zh.trim().to_owned(),
        name_en: f.name_en.trim().to_owned(),
        registration_opens: date("registration_opens", &f.registration_opens)?,
        registration_closes: date("registration_closes", &f.registration_closes)?,
        payment_opens: date("payment_opens", &f.payment_opens)?,
        payment_closes: date("payment_closes", &f.payment_closes)?,
        test_date: date("test_date", &f.test_date)?,
        test_time: f.test_time.trim().to_owned(),
        fee_fen: (fee * 100.0).round() as u32,
    })
}

/// `POST /admin/sittings`: creates or updates a sitting.
pub async fn post_sitting_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    form: web::Form<SittingForm>,
) -> HttpResponse {
    let auth = match admin_only(&state, &req, auth) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    if auth.check_csrf(&req, Some(&form.csrf)).is_err() {
        return error_page(&state, &req, StatusCode::FORBIDDEN);
    }
    let result = match sitting_of(&form) {
        Ok(s) => save_sitting(&state, &auth, s).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => back(&format!(
            "{} {}",
            super::teach::t(&state, &req, "saved"),
            form.id
        )),
        Err(e) => back(&e.to_string()),
    }
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    csrf: String,
    sitting: String,
}

/// `POST /admin/candidates/{id}/payment`: confirms one order from the list.
pub async fn post_confirm_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    path: web::Path<String>,
    form: web::Form<ConfirmForm>,
) -> HttpResponse {
    let auth = match admin_only(&state, &req, auth) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    if auth.check_csrf(&req, Some(&form.csrf)).is_err() {
        return error_page(&state, &req, StatusCode::FORBIDDEN);
    }
    match confirm_candidate(&state, &auth, path.into_inner(), Some(form.sitting.clone())).await {
        Ok((r, _)) => back(&format!(
            "{} {}",
            super::teach::t(&state, &req, "payment_confirmed"),
            r.id
        )),
        Err(e) => back(&e.to_string()),
    }
}

#[derive(Deserialize)]
pub struct AccountForm {
    /// Missing: refused like a wrong one (403).
    #[serde(default)]
    csrf: String,
    /// A login name, e-mail or phone.
    credential: String,
    /// `disable`, `enable` or `role`.
    op: String,
    /// The new role, for `role`.
    #[serde(default)]
    role: String,
}

/// `POST /admin/accounts`: disables or enables the account a login name, e-mail or phone names, or
/// gives it another staff role.
pub async fn post_account_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    form: web::Form<AccountForm>,
) -> HttpResponse {
    let auth = match admin_only(&state, &req, auth) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    if auth.check_csrf(&req, Some(&form.csrf)).is_err() {
        return error_page(&state, &req, StatusCode::FORBIDDEN);
    }
    let credential = form.credential.clone();
    let found = match state
        .with_db(move |c| crate::storage::users::find(c, &credential))
        .await
    {
        Ok(f) => f,
        Err(e) => return back(&e.to_string()),
    };
    let Some((id, _)) = found else {
        return back(&format!(
            "{}: {}",
            super::teach::t(&state, &req, "account_unknown"),
            form.credential.trim()
        ));
    };
    if form.op == "role" {
        return match super::accounts::set_role(&state, &auth, &id, &form.role).await {
            Ok(r) => back(&format!(
                "{}: {} → {}",
                super::teach::t(&state, &req, "account_role_changed"),
                form.credential.trim(),
                r.role
            )),
            Err(e) => back(&e.to_string()),
        };
    }
    let disable = form.op == "disable";
    match super::accounts::set_disabled(&state, &auth, &id, disable).await {
        Ok(_) => back(&format!(
            "{}: {}",
            super::teach::t(&state, &req, super::accounts::done_key(disable)),
            form.credential.trim()
        )),
        Err(e) => back(&e.to_string()),
    }
}

/// `POST /admin/payments` (multipart: the CSV file, or the checked list's payload, and `op`): checks the
/// list and shows it; "confirm" confirms it all.
pub async fn post_upload_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    payload: Multipart,
) -> HttpResponse {
    use base64::Engine;
    let auth = match admin_only(&state, &req, auth) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let Some(form) = super::multipart::read(payload, 4 * 1024 * 1024).await else {
        return error_page(&state, &req, StatusCode::PAYLOAD_TOO_LARGE);
    };
    if auth.check_csrf(&req, Some(&form.text("csrf"))).is_err() {
        return error_page(&state, &req, StatusCode::FORBIDDEN);
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    let bytes = match form.file("file") {
        Some(f) => f.to_vec(),
        None => b64.decode(form.text("payload")).unwrap_or_default(),
    };
    let confirm = form.text("op") == "confirm";
    match upload_payments(&state, &auth, &bytes, !confirm).await {
        Ok(report) if confirm => back(&format!(
            "{}: {}",
            super::teach::t(&state, &req, "payment_confirmed"),
            report["confirmed"]
        )),
        Ok(report) => {
            page(
                &state,
                &req,
                &auth,
                None,
                Some((report, b64.encode(&bytes))),
                Vec::new(),
            )
            .await
        }
        Err(ApiError::Unprocessable { details, .. }) => {
            let errors = details["errors"].as_array().cloned().unwrap_or_default();
            page(&state, &req, &auth, None, None, errors).await
        }
        Err(e) => back(&e.to_string()),
    }
}

/// `GET /admin/candidates/{id}/photo`: a candidate's ID photo, for admins.
pub async fn get_candidate_photo(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    path: web::Path<String>,
) -> HttpResponse {
    if let Err(r) = admin_only(&state, &req, auth) {
        return *r;
    }
    match super::candidates::photo_response(&state, path.into_inner()).await {
        Ok(r) => r,
        Err(_) => error_page(&state, &req, StatusCode::NOT_FOUND),
    }
}
