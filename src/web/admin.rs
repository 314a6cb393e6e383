//! Administration of the exam's business: sittings, and confirming candidates' fees — one by one, by an
//! uploaded list (all or nothing, dry run first), or by the payment provider's signed callback.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use super::auth::Auth;
use super::{ApiError, AppState, beijing_today};
use crate::domain::access::Sitting;
use crate::domain::user::Role;
use crate::storage::sittings::{self, Confirmation, EventOutcome, OrderStatus, RegistrationError};
use crate::storage::{StorageError, audit};

/// How old a provider callback may be (its signed timestamp), in seconds.
pub const CALLBACK_TOLERANCE_SECS: i64 = 300;

fn admin(auth: &Auth) -> Result<(), ApiError> {
    auth.require(&[Role::Admin])
}

/// Checks and saves a sitting.
pub async fn save_sitting(state: &AppState, auth: &Auth, s: Sitting) -> Result<(), ApiError> {
    admin(auth)?;
    s.check().map_err(|m| ApiError::invalid("sitting", m))?;
    let actor = auth.user.id.clone();
    state.with_db(move |c| sittings::save(c, &s, &actor)).await
}

/// `POST /api/v1/admin/sittings` (admin) with a sitting → `200`: created or updated.
#[utoipa::path(tag = "admin", responses((status = 200, description = "Saved"), (status = 400, description = "Dates out of order", body = super::error::ErrorBody)))]
#[post("/api/v1/admin/sittings")]
pub async fn post_sitting(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    body: web::Json<Sitting>,
) -> Result<HttpResponse, ApiError> {
    auth.check_csrf(&req, None)?;
    let s = body.into_inner();
    let id = s.id.clone();
    save_sitting(&state, &auth, s).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "id": id })))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct PaymentBody {
    /// The sitting paid for; default the candidate's pending registration, else the next sitting.
    #[serde(default)]
    pub sitting: Option<String>,
}

/// Confirms a candidate's fee: for `sitting`, else their latest pending order, else the next sitting
/// (registering them for it).
pub async fn confirm_candidate(
    state: &AppState,
    auth: &Auth,
    candidate: String,
    sitting: Option<String>,
) -> Result<(sittings::Registration, Confirmation), ApiError> {
    admin(auth)?;
    let actor = auth.user.id.clone();
    let today = beijing_today();
    state
        .with_db(move |c| {
            let is_candidate = crate::storage::candidates::profile(c, &candidate)?.is_some();
            if !is_candidate {
                return Ok(Err(ApiError::NotFound));
            }
            let regs = sittings::registrations_of(c, &candidate)?;
            let target = match sitting {
                Some(s) => Some(s),
                None => regs
                    .iter()
                    .find(|(r, _)| r.status == OrderStatus::Pending)
                    .map(|(r, _)| r.sitting_id.clone())
                    .or_else(|| {
                        // The next sitting to come.
                        sittings::list(c)
                            .ok()?
                            .into_iter()
                            .filter(|s| s.test_date >= today)
                            .min_by_key(|s| s.test_date)
                            .map(|s| s.id)
                    }),
            };
            let Some(target) = target else {
                return Ok(Err(ApiError::Conflict(
                    "the candidate has no registration and no sitting is coming up; create the sitting first".into(),
                )));
            };
            let reg = match sittings::register(c, &candidate, &target, today, true) {
                Ok(r) => r,
                Err(RegistrationError::NoSuchSitting) => {
                    return Ok(Err(ApiError::invalid("sitting", "no such sitting")));
                }
                Err(RegistrationError::Storage(e)) => return Err(e),
                Err(e) => return Ok(Err(ApiError::Conflict(e.to_string()))),
            };
            let how = sittings::confirm(c, &reg.id, &format!("admin {actor}"), &actor)?
                .ok_or_else(|| StorageError::Corrupt("the order vanished".into()))?;
            let reg = sittings::registration_by_id(c, &reg.id)?.unwrap_or(reg);
            Ok(Ok((reg, how)))
        })
        .await?
}

/// `POST /api/v1/admin/candidates/{id}/payment` (admin): marks the exam fee paid.
#[utoipa::path(
    tag = "admin",
    params(("id" = String, Path, description = "The candidate's account id")),
    request_body(content = PaymentBody, description = "Optional: the sitting paid for"),
    responses(
        (status = 200, description = "Confirmed (or already paid)"),
        (status = 404, description = "No such candidate", body = super::error::ErrorBody),
        (status = 409, description = "No sitting to pay for", body = super::error::ErrorBody)
    )
)]
#[post("/api/v1/admin/candidates/{id}/payment")]
pub async fn post_payment(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<String>,
    body: Option<web::Json<PaymentBody>>,
) -> Result<HttpResponse, ApiError> {
    auth.check_csrf(&req, None)?;
    let sitting = body.and_then(|b| b.into_inner().sitting);
    let (reg, how) = confirm_candidate(&state, &auth, path.into_inner(), sitting).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "registration": reg, "outcome": how })))
}

/// One row of an uploaded payment list, checked.
#[derive(Debug, serde::Serialize)]
pub struct PaymentRow {
    pub line: usize,
    pub order: String,
    pub id_number: String,
    pub amount_fen: u32,
    pub already_paid: bool,
}

/// Reads a list of confirmed payments (CSV with the columns `order` and `amount`, the amount in CNY, e.g.
/// `260` or `260.00`) and checks every row against the orders. All rows or none.
pub async fn check_payment_list(
    state: &AppState,
    bytes: &[u8],
) -> Result<Vec<PaymentRow>, Vec<(usize, String)>> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(bytes);
    let headers: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(|x| x.to_lowercase()).collect(),
        Err(e) => return Err(vec![(1, format!("not a CSV file: {e}"))]),
    };
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (Some(order_col), Some(amount_col)) = (col("order"), col("amount")) else {
        return Err(vec![(
            1,
            "the first line must name the columns `order` and `amount`".into(),
        )]);
    };
    let mut wanted = Vec::new();
    let mut errors = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                errors.push((line, e.to_string()));
                continue;
            }
        };
        let order = rec.get(order_col).unwrap_or_default().to_owned();
        let amount = rec.get(amount_col).unwrap_or_default();
        let fen = amount
            .parse::<f64>()
            .ok()
            .filter(|a| a.is_finite() && *a > 0.0)
            .map(|a| (a * 100.0).round() as u32);
        match fen {
            Some(f) if !order.is_empty() => wanted.push((line, order, f)),
            Some(_) => errors.push((line, "the order is missing".into())),
            None => errors.push((line, format!("`{amount}` is not an amount in CNY"))),
        }
    }
    if wanted.is_empty() && errors.is_empty() {
        errors.push((1, "the list has no payments".into()));
    }
    let ids: Vec<String> = wanted.iter().map(|w| w.1.clone()).collect();
    let found = state
        .with_db(move |c| {
            let mut out = Vec::new();
            for id in ids {
                out.push(sittings::registration_by_id(c, &id)?);
            }
            let all = sittings::orders(c, None, 100_000)?;
            Ok((out, all))
        })
        .await;
    let Ok((regs, all)) = found else {
        return Err(vec![(1, "the orders could not be read".into())]);
    };
    let mut rows = Vec::new();
    for ((line, order, fen), reg) in wanted.into_iter().zip(regs) {
        match reg {
            None => errors.push((line, format!("no order {order}"))),
            Some(r) if r.amount_fen != fen => errors.push((
                line,
                format!(
                    "order {order} is for {:.2} CNY, the list says {:.2}",
                    f64::from(r.amount_fen) / 100.0,
                    f64::from(fen) / 100.0
                ),
            )),
            Some(r) => rows.push(PaymentRow {
                line,
                id_number: all
                    .iter()
                    .find(|(o, _)| o.id == r.id)
                    .map(|(_, n)| crate::domain::identity::IdNumber::masked(n))
                    .unwrap_or_default(),
                already_paid: r.status == OrderStatus::Paid,
                order,
                amount_fen: fen,
            }),
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// `false` confirms; anything else only checks.
    pub dry_run: Option<bool>,
}

/// Checks, and unless a dry run confirms, a list of payments.
pub async fn upload_payments(
    state: &AppState,
    auth: &Auth,
    bytes: &[u8],
    dry_run: bool,
) -> Result<serde_json::Value, ApiError> {
    admin(auth)?;
    let rows = match check_payment_list(state, bytes).await {
        Ok(rows) => rows,
        Err(errors) => {
            let errors: Vec<serde_json::Value> = errors
                .into_iter()
                .map(|(line, message)| serde_json::json!({"line": line, "message": message}))
                .collect();
            return Err(ApiError::Unprocessable {
                message: "the list has errors; no payment was confirmed".into(),
                details: serde_json::json!({ "confirmed": 0, "errors": errors }),
            });
        }
    };
    let count = rows.iter().filter(|r| !r.already_paid).count();
    if !dry_run {
        let ids: Vec<String> = rows.iter().map(|r| r.order.clone()).collect();
        let actor = auth.user.id.clone();
        state
            .with_db(move |c| match sittings::confirm_all(c, &ids, &actor) {
                Ok(_) => Ok(Ok(())),
                Err(sittings::UploadError::UnknownOrder(m)) => Ok(Err(m)),
                Err(sittings::UploadError::Storage(e)) => Err(e),
            })
            .await?
            .map_err(ApiError::Conflict)?;
    }
    Ok(serde_json::json!({
        "dry_run": dry_run,
        "confirmed": if dry_run { 0 } else { count },
        "to_confirm": count,
        "rows": rows,
    }))
}

/// `POST /api/v1/admin/payments?dry_run=true|false` (admin) with the CSV list as the body.
#[utoipa::path(
    tag = "admin",
    params(UploadParams),
    request_body(content = Vec<u8>, description = "CSV: order,amount", content_type = "text/csv"),
    responses(
        (status = 200, description = "Checked or confirmed"),
        (status = 422, description = "Some row is wrong; nothing confirmed", body = super::error::ErrorBody)
    )
)]
#[post("/api/v1/admin/payments")]
pub async fn post_payment_list(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    q: web::Query<UploadParams>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    auth.check_csrf(&req, None)?;
    let dry_run = q.dry_run != Some(false);
    Ok(HttpResponse::Ok().json(upload_payments(&state, &auth, &body, dry_run).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrdersParams {
    /// pending (default), paid or all.
    pub status: Option<String>,
}

/// `GET /api/v1/admin/orders?status=pending|paid|all` (admin).
#[utoipa::path(tag = "admin", params(OrdersParams), responses((status = 200, description = "Orders with the candidate's masked identity number")))]
#[get("/api/v1/admin/orders")]
pub async fn get_orders(
    state: web::Data<AppState>,
    auth: Auth,
    q: web::Query<OrdersParams>,
) -> Result<HttpResponse, ApiError> {
    admin(&auth)?;
    let status = match q.status.as_deref().unwrap_or("pending") {
        "pending" => Some(OrderStatus::Pending),
        "paid" => Some(OrderStatus::Paid),
        "all" => None,
        _ => {
            return Err(ApiError::invalid(
                "status",
                "status is pending, paid or all",
            ));
        }
    };
    let list = state
        .with_db(move |c| sittings::orders(c, status, 1000))
        .await?;
    let out: Vec<serde_json::Value> = list
        .into_iter()
        .map(|(r, id)| {
            serde_json::json!({"order": r, "id_number": crate::domain::identity::IdNumber::masked(&id)})
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "orders": out })))
}

/// The provider's notice of a payment.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ProviderEvent {
    /// The provider's unique id of this notice: a repeated id is applied once.
    pub event_id: String,
    /// Our order (registration) id.
    pub order: String,
    pub amount_fen: u32,
    /// Only `paid` notices confirm anything.
    pub status: String,
}

/// Checks `X-Tiku-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
pub fn verify_signature(
    secret: &str,
    header: Option<&str>,
    body: &[u8],
    now_unix: i64,
) -> Result<(), String> {
    let header = header.ok_or("the X-Tiku-Signature header is missing")?;
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", x)) => t = x.parse::<i64>().ok(),
            Some(("v1", x)) => v1 = Some(x.to_owned()),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return Err("the signature header must be t=<unix time>,v1=<hex hmac>".into());
    };
    if (now_unix - t).abs() > CALLBACK_TOLERANCE_SECS {
        return Err("the signature's timestamp is too old (a replay?) or in the future".into());
    }
    let given = hex_decode(&v1).ok_or("the signature is not hex")?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|e| e.to_string())?;
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&given)
        .map_err(|_| "the signature does not match".to_owned())
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// `POST /api/v1/payments/callback`: the payment provider's signed notice. Valid and new: the order is
/// confirmed; repeated: `200 {"outcome": "duplicate"}` and nothing changes; unsigned, badly signed or
/// stale: 401.
#[utoipa::path(
    tag = "admin",
    request_body = ProviderEvent,
    responses(
        (status = 200, description = "Applied, or already applied"),
        (status = 401, description = "Bad or stale signature", body = super::error::ErrorBody),
        (status = 503, description = "Callbacks are not configured", body = super::error::ErrorBody)
    )
)]
#[post("/api/v1/payments/callback")]
pub async fn post_callback(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let Some(secret) = state.payment_secret.clone() else {
        return Err(ApiError::Unavailable(
            "payment callbacks are not configured (TIKU_PAYMENT_SECRET)".into(),
        ));
    };
    let header = req
        .headers()
        .get("X-Tiku-Signature")
        .and_then(|h| h.to_str().ok());
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    if let Err(why) = verify_signature(&secret, header, &body, now) {
        tracing::warn!(why = %why, "payment callback refused");
        return Err(ApiError::Unauthorized(why));
    }
    let event: ProviderEvent = serde_json::from_slice(&body).map_err(|e| ApiError::Invalid {
        code: "invalid_json",
        message: e.to_string(),
        field: None,
    })?;
    if event.status != "paid" {
        return Ok(HttpResponse::Ok().json(serde_json::json!({ "outcome": "ignored" })));
    }
    let outcome = state
        .with_db(move |c| {
            let o = sittings::apply_event(c, &event.event_id, &event.order, event.amount_fen)?;
            if matches!(
                o,
                EventOutcome::WrongAmount { .. } | EventOutcome::UnknownOrder
            ) {
                audit::log(
                    c,
                    "provider",
                    "payment_refused",
                    "registration",
                    &event.order,
                    &format!("{o:?}"),
                )?;
            }
            Ok(o)
        })
        .await?;
    match outcome {
        EventOutcome::UnknownOrder => Err(ApiError::NotFound),
        EventOutcome::WrongAmount { expected_fen } => Err(ApiError::Conflict(format!(
            "the order is for {expected_fen} fen"
        ))),
        other => Ok(HttpResponse::Ok().json(serde_json::json!({ "outcome": other }))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, t: i64, body: &[u8]) -> String {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
            panic!("key")
        };
        mac.update(format!("{t}.").as_bytes());
        mac.update(body);
        let hex: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("t={t},v1={hex}")
    }

    #[test]
    fn signatures_are_checked_with_their_time() {
        let body = br#"{"event_id":"e1"}"#;
        let now = 1_800_000_000;
        let good = sign("s3cret", now, body);
        assert_eq!(
            verify_signature("s3cret", Some(&good), body, now + 10),
            Ok(())
        );
        assert!(verify_signature("other", Some(&good), body, now).is_err());
        assert!(verify_signature("s3cret", Some(&good), b"{}", now).is_err());
        assert!(
            verify_signature("s3cret", Some(&good), body, now + 301)
                .is_err_and(|e| e.contains("too old"))
        );
        assert!(verify_signature("s3cret", None, body, now).is_err());
        assert!(verify_signature("s3cret", Some("t=1,v1=zz"), body, 1).is_err());
    }
}
