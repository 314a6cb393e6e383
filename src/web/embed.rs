//! Embedding an assessment in a school's course site (../shared/api.md "Schools and embedding").
//!
//! The school's site signs a link per student (HMAC-SHA256 under the school's embed secret, valid for
//! 300 s, nonce once). Opening it starts an in-page session: its token travels in the page's addresses,
//! so the sitting works inside a cross-site iframe where third-party cookies are blocked. When the
//! attempt is submitted, the result page announces it to the parent page by `postMessage`, and the
//! outbox posts it to the school's webhook (and to an LTI platform's gradebook when launched by LTI).

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;
use sha2::Sha256;

use super::auth::{Auth, Via};
use super::mocks::pages::{SittingUrls, sitting};
use super::mocks::{self, Plan};
use super::pages::render;
use super::{ApiError, AppState};
use crate::storage::assessments::{self, Assessment, EmbedSession};
use crate::storage::attempts::{self, Attempt, AttemptStatus};
use crate::storage::schools;

/// How long a signed link is accepted after its `ts`, in seconds.
pub const LINK_VALIDITY_SECS: i64 = 300;
/// How far in the future a link's `ts` may lie (clock skew between the school's server and ours).
pub const CLOCK_SKEW_SECS: i64 = 60;
/// How long an embedded session lasts after its assessment closes (to read the result).
const SESSION_AFTER_CLOSE: time::Duration = time::Duration::days(7);

/// RFC 3986's unreserved characters stay; everything else is percent-encoded.
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The string a link's signature covers: every parameter but `sig`, sorted by name, each
/// `name=value` percent-encoded (RFC 3986 unreserved characters kept), joined by `&`.
pub fn canonical(params: &BTreeMap<String, String>) -> String {
    params
        .iter()
        .filter(|(k, _)| k.as_str() != "sig")
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, ENCODE),
                utf8_percent_encode(v, ENCODE)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn mac(secret: &str) -> Option<Hmac<Sha256>> {
    Hmac::<Sha256>::new_from_slice(secret.as_bytes()).ok()
}

/// The hex signature of `params` under `secret`.
pub fn sign(secret: &str, params: &BTreeMap<String, String>) -> String {
    let Some(mut m) = mac(secret) else {
        return String::new();
    };
    m.update(canonical(params).as_bytes());
    m.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A signed link's query string (`params` plus `sig`), as the school's site would build it.
pub fn signed_query(secret: &str, params: &BTreeMap<String, String>) -> String {
    format!("{}&sig={}", canonical(params), sign(secret, params))
}

/// Whether `sig` (hex) signs `params` under `secret`, in constant time.
fn verify(secret: &str, params: &BTreeMap<String, String>, sig: &str) -> bool {
    let Some(given) = (0..sig.len())
        .step_by(2)
        .map(|i| {
            sig.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
    else {
        return false;
    };
    let Some(mut m) = mac(secret) else {
        return false;
    };
    m.update(canonical(params).as_bytes());
    m.verify_slice(&given).is_ok()
}

/// Who sits an embedded assessment, as the school's site names them.
#[derive(Clone, Debug)]
pub struct Student {
    /// The student's number in the school's systems (or `lti:{platform}:{sub}`).
    pub external_id: String,
    pub name: String,
}

/// Finds or creates the school's student, puts them on the assessment's class list, and opens an
/// in-page session for the assessment; returns the address of the sitting (`/embed/s/{token}`).
/// `hook` is told the result when an attempt from this session is submitted (an LTI line item).
pub async fn open_sitting(
    state: &AppState,
    school_id: &str,
    student: &Student,
    assessment_id: &str,
    hook: Option<serde_json::Value>,
) -> Result<String, ApiError> {
    let (sid, aid) = (school_id.to_owned(), assessment_id.to_owned());
    let student = student.clone();
    let token = crate::auth::new_token();
    let t = token.clone();
    state
        .with_db(move |c| {
            let Some(a) = assessments::get_assessment(c, &aid)? else {
                return Ok(Err(ApiError::NotFound));
            };
            if a.school_id != sid {
                return Ok(Err(ApiError::NotFound));
            }
            let name = student.name.trim();
            let name = if name.is_empty() {
                student.external_id.as_str()
            } else {
                name
            };
            crate::storage::conn::write_tx(c, |c| {
                let user = schools::ensure_student(c, &sid, &student.external_id, name)?;
                if crate::storage::users::is_disabled(c, &user)? {
                    return Ok(Err(ApiError::Forbidden(
                        "this student's account is disabled".into(),
                    )));
                }
                schools::enrol(c, &a.class_id, &user)?;
                assessments::create_session(
                    c,
                    &t,
                    &EmbedSession {
                        user_id: user,
                        assessment_id: a.id.clone(),
                        hook,
                    },
                    a.closes_at + SESSION_AFTER_CLOSE,
                )?;
                Ok(Ok(()))
            })
        })
        .await??;
    Ok(format!("/embed/s/{token}"))
}

/// Why a signed link is refused.
fn refuse(status: StatusCode, message: &str) -> Result<String, (StatusCode, String)> {
    Err((status, message.to_owned()))
}

/// Checks a signed link for `assessment_id` and opens its sitting; the error is what to show.
async fn open_link(
    state: &AppState,
    assessment_id: &str,
    params: BTreeMap<String, String>,
) -> Result<String, (StatusCode, String)> {
    let get = |k: &str| params.get(k).map(String::as_str).unwrap_or_default();
    for required in ["school", "student", "ts", "nonce", "sig"] {
        if get(required).is_empty() {
            return refuse(
                StatusCode::BAD_REQUEST,
                &format!("the link has no `{required}` parameter"),
            );
        }
    }
    let (sid, aid) = (get("school").to_owned(), assessment_id.to_owned());
    let found = state
        .with_db(move |c| {
            Ok((
                schools::get(c, &sid)?,
                assessments::get_assessment(c, &aid)?,
            ))
        })
        .await;
    let (school, assessment) = match found {
        Ok((Some(s), Some(a))) if a.school_id == s.id => (s, a),
        Ok(_) => return refuse(StatusCode::NOT_FOUND, "no such assessment at this school"),
        Err(_) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, "try again"),
    };
    if !verify(&school.embed_secret, &params, get("sig")) {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "the link's signature is wrong (signed with another secret, or changed)",
        );
    }
    let Ok(ts) = get("ts").parse::<i64>() else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "`ts` is not a Unix time in seconds",
        );
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    if now - ts > LINK_VALIDITY_SECS {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "the link has expired (links are valid for 300 s): reload the course page",
        );
    }
    if ts - now > CLOCK_SKEW_SECS {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "the link's time lies in the future: check the course site's clock",
        );
    }
    let nonce = get("nonce").to_owned();
    if nonce.len() > 100 {
        return refuse(StatusCode::BAD_REQUEST, "the nonce is too long");
    }
    let expires = crate::storage::now()
        + time::Duration::seconds(LINK_VALIDITY_SECS + CLOCK_SKEW_SECS + (ts - now).max(0));
    let sid = school.id.clone();
    let fresh = state
        .with_db(move |c| assessments::spend_nonce(c, &sid, &nonce, expires))
        .await;
    match fresh {
        Ok(true) => {}
        Ok(false) => {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "this link was already used: reload the course page for a new one",
            );
        }
        Err(_) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, "try again"),
    }
    let student = Student {
        external_id: get("student").to_owned(),
        name: get("name").to_owned(),
    };
    let hook = params
        .get("origin")
        .map(|o| serde_json::json!({ "origin": o }));
    open_sitting(state, &school.id, &student, &assessment.id, hook)
        .await
        .map_err(|e| match e {
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, m),
            e => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        })
}

/// `GET /embed/{assessment_id}?school=&student=&name=&ts=&nonce=&sig=` (optionally `origin=`, the
/// course site's origin, to which alone the result is announced): opens the sitting (303).
pub async fn get_embed(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<Vec<(String, String)>>,
) -> HttpResponse {
    let mut params = BTreeMap::new();
    for (k, v) in query.into_inner() {
        if params.insert(k.clone(), v).is_some() {
            return message(
                &state,
                &req,
                StatusCode::BAD_REQUEST,
                &format!("the parameter `{k}` appears twice"),
                None,
            );
        }
    }
    let origin = params.get("origin").cloned();
    match open_link(&state, &path, params).await {
        Ok(to) => {
            let mut r = HttpResponse::SeeOther();
            r.insert_header(("Location", to));
            r.insert_header(("Referrer-Policy", "no-referrer"));
            r.finish()
        }
        Err((status, msg)) => message(&state, &req, status, &msg, origin.as_deref()),
    }
}

#[derive(Serialize)]
struct MessagePage<'a> {
    heading: String,
    text: &'a str,
}

/// A page inside the iframe (framable by any site, or by `origin` alone).
fn framed(mut resp: HttpResponse, origin: Option<&str>) -> HttpResponse {
    let ancestors = match origin {
        Some(o) if is_origin(o) => o.to_owned(),
        _ => "*".to_owned(),
    };
    if let Ok(v) = format!("frame-ancestors {ancestors}").parse() {
        resp.headers_mut()
            .insert(actix_web::http::header::CONTENT_SECURITY_POLICY, v);
    }
    resp.headers_mut().insert(
        actix_web::http::header::REFERRER_POLICY,
        actix_web::http::header::HeaderValue::from_static("no-referrer"),
    );
    resp
}

/// `scheme://host[:port]`, nothing else.
fn is_origin(o: &str) -> bool {
    let rest = o
        .strip_prefix("https://")
        .or_else(|| o.strip_prefix("http://"));
    rest.is_some_and(|r| {
        !r.is_empty()
            && r.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
    })
}

fn message(
    state: &AppState,
    req: &HttpRequest,
    status: StatusCode,
    text: &str,
    origin: Option<&str>,
) -> HttpResponse {
    let heading = crate::web::teach::t(state, req, "embed_problem");
    framed(
        render(
            state,
            req,
            None,
            status,
            "embed_message",
            &heading.clone(),
            MessagePage { heading, text },
        ),
        origin,
    )
}

/// What an embedded page works with: the session, its student as an [`Auth`], and the assessment.
struct Ctx {
    auth: Auth,
    assessment: Assessment,
    session: EmbedSession,
    token: String,
}

impl Ctx {
    fn origin(&self) -> Option<&str> {
        self.session
            .hook
            .as_ref()
            .and_then(|h| h.get("origin"))
            .and_then(|o| o.as_str())
    }
}

async fn ctx(state: &AppState, token: &str) -> Result<Ctx, ApiError> {
    let t = token.to_owned();
    let found = state
        .with_db(move |c| {
            let Some(s) = assessments::session(c, &t)? else {
                return Ok(None);
            };
            let user = crate::storage::users::get(c, &s.user_id)?;
            let a = assessments::get_assessment(c, &s.assessment_id)?;
            Ok(user.zip(a).map(|(u, a)| (s, u, a)))
        })
        .await?;
    let Some((session, user, assessment)) = found else {
        return Err(ApiError::Unauthorized(
            "this sitting's session has ended: open the assessment again from the course page"
                .into(),
        ));
    };
    Ok(Ctx {
        auth: Auth {
            user,
            via: Via::Bearer,
            token: String::new(),
            csrf: String::new(),
        },
        assessment,
        session,
        token: token.to_owned(),
    })
}

/// The session's context for a page, or the page saying the session has ended.
async fn page_ctx(
    state: &AppState,
    req: &HttpRequest,
    token: &str,
) -> Result<Ctx, Box<HttpResponse>> {
    ctx(state, token).await.map_err(|e| {
        Box::new(message(
            state,
            req,
            StatusCode::UNAUTHORIZED,
            &e.to_string(),
            None,
        ))
    })
}

#[derive(Serialize)]
struct StartPage {
    token: String,
    title: String,
    minutes: u32,
    closes_at: String,
    attempts_used: usize,
    max_attempts: u32,
    can_start: bool,
    why_not: Option<String>,
    results: Vec<ResultRow>,
}

#[derive(Serialize)]
struct ResultRow {
    attempt_id: String,
    score: u32,
    max: u32,
    passed: bool,
    submitted_at: String,
    review_url: Option<String>,
}

fn stamp(t: time::PrimitiveDateTime) -> String {
    t.assume_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The page a session lands on: the open attempt's sitting, else the start page with past results.
pub async fn get_session(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let c = match page_ctx(&state, &req, &path).await {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let (user, aid) = (c.auth.user.id.clone(), c.assessment.id.clone());
    let Ok(mine) = state
        .with_db(move |db| attempts::of_user_at(db, &user, &aid))
        .await
    else {
        return message(
            &state,
            &req,
            StatusCode::INTERNAL_SERVER_ERROR,
            "try again",
            c.origin(),
        );
    };
    let now = crate::storage::now();
    if let Some(open) = mine.iter().find(|a| a.status == AttemptStatus::Open) {
        if open.deadline > now {
            let t = &c.token;
            let urls = SittingUrls {
                action: format!("/embed/s/{t}/save"),
                save_url: format!("/embed/s/{t}/answers/"),
                result_url: format!("/embed/s/{t}/done"),
            };
            return match sitting(&state, &req, open.clone(), urls, None).await {
                Ok(page) => framed(
                    render(
                        &state,
                        &req,
                        None,
                        StatusCode::OK,
                        "embed_sitting",
                        &c.assessment.title,
                        page,
                    ),
                    c.origin(),
                ),
                Err(status) => message(&state, &req, status, "try again", c.origin()),
            };
        }
        // The time is up: the server submits it now (it would at the deadline anyway).
        let _ = mocks::submit(&state, &open.id, Some(&c.auth), "deadline").await;
        return see_other(format!("/embed/s/{}", c.token));
    }
    start_page(&state, &req, &c, &mine)
}

fn see_other(to: String) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", to))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .finish()
}

/// Why a student may not start an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Closed {
    NotOpen,
    Over,
    NoAttemptsLeft,
}

impl Closed {
    /// The interface string that says it.
    fn key(self) -> &'static str {
        match self {
            Closed::NotOpen => "embed_not_open",
            Closed::Over => "embed_closed",
            Closed::NoAttemptsLeft => "embed_no_attempts",
        }
    }

    fn message(self) -> &'static str {
        match self {
            Closed::NotOpen => "the assessment is not open yet",
            Closed::Over => "the assessment is closed",
            Closed::NoAttemptsLeft => "no attempts are left",
        }
    }
}

/// Why the student may not start an attempt now, if they may not.
fn why_not(a: &Assessment, used: usize, now: time::PrimitiveDateTime) -> Option<Closed> {
    if now < a.opens_at {
        Some(Closed::NotOpen)
    } else if now >= a.closes_at {
        Some(Closed::Over)
    } else if used >= a.max_attempts as usize {
        Some(Closed::NoAttemptsLeft)
    } else {
        None
    }
}

fn start_page(state: &AppState, req: &HttpRequest, c: &Ctx, mine: &[Attempt]) -> HttpResponse {
    let now = crate::storage::now();
    let a = &c.assessment;
    let why = why_not(a, mine.len(), now);
    let results = mine
        .iter()
        .filter(|x| x.status == AttemptStatus::Submitted)
        .map(|x| ResultRow {
            attempt_id: x.id.clone(),
            score: x.total.unwrap_or(0),
            max: x.paper.paper.max_points(),
            passed: super::schools::outcome::passed(a, x),
            submitted_at: x.submitted_at.map(stamp).unwrap_or_default(),
            review_url: a
                .keys_visible(now)
                .then(|| format!("/embed/s/{}/review/{}", c.token, x.id)),
        })
        .collect();
    framed(
        render(
            state,
            req,
            None,
            StatusCode::OK,
            "embed_start",
            &a.title,
            StartPage {
                token: c.token.clone(),
                title: a.title.clone(),
                minutes: a.minutes,
                closes_at: stamp(a.closes_at),
                attempts_used: mine.len(),
                max_attempts: a.max_attempts,
                can_start: why.is_none(),
                why_not: why.map(|w| crate::web::teach::t(state, req, w.key())),
                results,
            },
        ),
        c.origin(),
    )
}

/// Opens an attempt at the session's assessment, if its window and the attempts allow.
pub async fn start_attempt(
    state: &AppState,
    c_auth: &Auth,
    a: &Assessment,
) -> Result<String, ApiError> {
    let (user, aid) = (c_auth.user.id.clone(), a.id.clone());
    let mine = state
        .with_db(move |db| attempts::of_user_at(db, &user, &aid))
        .await?;
    if let Some(open) = mine.iter().find(|x| x.status == AttemptStatus::Open) {
        return Ok(open.id.clone());
    }
    if let Some(why) = why_not(a, mine.len(), crate::storage::now()) {
        return Err(ApiError::Conflict(why.message().into()));
    }
    // Fixed forms and picked items carry the class's paper; fresh papers are assembled now.
    let form = a.form.clone();
    let started = mocks::open_attempt(
        state,
        &c_auth.user.id,
        Plan {
            blueprint: &a.blueprint,
            seed: None,
            form,
            assessment: Some((&a.id, a.minutes, a.closes_at)),
        },
    )
    .await?;
    Ok(started.id)
}

/// `POST /embed/s/{token}/start`
pub async fn post_start(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let c = match page_ctx(&state, &req, &path).await {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let attempt = match start_attempt(&state, &c.auth, &c.assessment).await {
        Ok(id) => id,
        Err(e) => {
            return message(
                &state,
                &req,
                StatusCode::CONFLICT,
                &e.to_string(),
                c.origin(),
            );
        }
    };
    // An LTI launch's line item follows the attempt, to be told its score.
    if let Some(hook) = c
        .session
        .hook
        .clone()
        .filter(|h| h.get("platform_id").is_some())
    {
        let _ = state
            .with_db(move |db| {
                if assessments::hook(db, &attempt)?.is_none() {
                    assessments::set_hook(db, &attempt, &hook)?;
                }
                Ok(())
            })
            .await;
    }
    see_other(format!("/embed/s/{}", c.token))
}

/// The session's open attempt.
async fn open_attempt_of(state: &AppState, c: &Ctx) -> Result<Attempt, ApiError> {
    let (user, aid) = (c.auth.user.id.clone(), c.assessment.id.clone());
    state
        .with_db(move |db| attempts::of_user_at(db, &user, &aid))
        .await?
        .into_iter()
        .find(|a| a.status == AttemptStatus::Open)
        .ok_or_else(|| ApiError::Conflict("the attempt is submitted or its time is up".into()))
}

#[derive(serde::Deserialize)]
pub struct AnswerBody {
    pub answer: serde_json::Value,
}

/// `PUT /embed/s/{token}/answers/{slot}` `{"answer": …}` → `{"saved_at"}` once durable; 409 when the
/// attempt is closed.
pub async fn put_answer(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Json<AnswerBody>,
) -> Result<HttpResponse, ApiError> {
    let (token, slot) = path.into_inner();
    // The hot path: the session and its open attempt's id only (the save checks the rest, cached).
    let found = state
        .with_db(move |db| {
            let Some(s) = assessments::session(db, &token)? else {
                return Ok(None);
            };
            let open = attempts::open_at(db, &s.user_id, &s.assessment_id)?;
            Ok(Some((s.user_id, open)))
        })
        .await?;
    let Some((user, open)) = found else {
        return Err(ApiError::Unauthorized(
            "this sitting's session has ended: open the assessment again from the course page"
                .into(),
        ));
    };
    let attempt = open
        .ok_or_else(|| ApiError::Conflict("the attempt is submitted or its time is up".into()))?;
    let saved = mocks::save(&state, &user, &attempt, &slot, &body.answer).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "saved_at": stamp(saved) })))
}

/// `POST /embed/s/{token}/save` (without JavaScript): saves every answer in the form; with
/// `op=submit` also submits.
pub async fn post_save(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let c = match page_ctx(&state, &req, &path).await {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let Ok(at) = open_attempt_of(&state, &c).await else {
        return see_other(format!("/embed/s/{}", c.token));
    };
    let pairs = form.into_inner();
    for q in &at.paper.questions {
        if let Some(Ok(v)) = crate::web::answer_form::read_answer(&pairs, &q.slot, &q.kind) {
            let _ = mocks::save(&state, &c.auth.user.id, &at.id, &q.slot, &v).await;
        }
    }
    if crate::web::answer_form::field(&pairs, "op") == "submit" {
        if mocks::submit(&state, &at.id, Some(&c.auth), "candidate")
            .await
            .is_err()
        {
            return message(
                &state,
                &req,
                StatusCode::INTERNAL_SERVER_ERROR,
                "try again",
                c.origin(),
            );
        }
        return see_other(format!("/embed/s/{}/done", c.token));
    }
    see_other(format!("/embed/s/{}", c.token))
}

#[derive(Serialize)]
struct DonePage {
    token: String,
    title: String,
    /// The message for the parent page, as JSON (read by the page's script).
    announce: String,
    target_origin: String,
    score: u32,
    max: u32,
    passed: bool,
    review_url: Option<String>,
}

/// `GET /embed/s/{token}/done`: after submission (by the student or at the deadline), the result,
/// announced to the parent page.
pub async fn get_done(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let c = match page_ctx(&state, &req, &path).await {
        Ok(c) => c,
        Err(r) => return *r,
    };
    // A sitting whose time ran out is submitted now (the timer sends the student here).
    if let Ok(open) = open_attempt_of(&state, &c).await {
        if open.deadline > crate::storage::now() {
            return see_other(format!("/embed/s/{}", c.token));
        }
        let _ = mocks::submit(&state, &open.id, Some(&c.auth), "deadline").await;
    }
    let (user, aid) = (c.auth.user.id.clone(), c.assessment.id.clone());
    let latest = state
        .with_db(move |db| attempts::of_user_at(db, &user, &aid))
        .await
        .ok()
        .and_then(|l| l.into_iter().find(|a| a.status == AttemptStatus::Submitted));
    let Some(mut at) = latest else {
        return see_other(format!("/embed/s/{}", c.token));
    };
    if at.total.is_none() {
        // Its marks are being written: have them written now, the totals are shown here.
        if mocks::ensure_marked(&state, &at.id).await.is_ok() {
            let key = at.id.clone();
            if let Ok(Some(fresh)) = state.with_db(move |db| attempts::get(db, &key)).await {
                at = fresh;
            }
        }
    }
    let a = &c.assessment;
    let score = at.total.unwrap_or(0);
    let max = at.paper.paper.max_points();
    let passed = super::schools::outcome::passed(a, &at);
    let announce = serde_json::json!({
        "type": "tiku:result",
        "assessment_id": a.id,
        "attempt_id": at.id,
        "score": score,
        "max": max,
        "passed": passed,
        "submitted_at": at.submitted_at.map(stamp),
    });
    let review_url = a
        .keys_visible(crate::storage::now())
        .then(|| format!("/embed/s/{}/review/{}", c.token, at.id));
    framed(
        render(
            &state,
            &req,
            None,
            StatusCode::OK,
            "embed_done",
            &a.title,
            DonePage {
                token: c.token.clone(),
                title: a.title.clone(),
                // Inside a script element nothing is unescaped: keep `<` out of it.
                announce: announce.to_string().replace('<', "\\u003c"),
                target_origin: c
                    .origin()
                    .filter(|o| is_origin(o))
                    .unwrap_or("*")
                    .to_owned(),
                score,
                max,
                passed,
                review_url,
            },
        ),
        c.origin(),
    )
}

#[derive(Serialize)]
struct ReviewPage {
    token: String,
    title: String,
    result: mocks::MockResult,
}

/// `GET /embed/s/{token}/review/{attempt}`: keys and explanations, when the assessment shows them.
pub async fn get_review(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (token, attempt) = path.into_inner();
    let c = match page_ctx(&state, &req, &token).await {
        Ok(c) => c,
        Err(r) => return *r,
    };
    if !c.assessment.keys_visible(crate::storage::now()) {
        let text = crate::web::teach::t(&state, &req, "embed_keys_hidden");
        return message(&state, &req, StatusCode::FORBIDDEN, &text, c.origin());
    }
    let result = match mocks::result(&state, &c.auth, &attempt, true).await {
        Ok(r) => r,
        Err(e) => {
            return message(
                &state,
                &req,
                StatusCode::NOT_FOUND,
                &e.to_string(),
                c.origin(),
            );
        }
    };
    framed(
        render(
            &state,
            &req,
            None,
            StatusCode::OK,
            "embed_review",
            &c.assessment.title,
            ReviewPage {
                token: c.token.clone(),
                title: c.assessment.title.clone(),
                result,
            },
        ),
        c.origin(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_canonical_string_sorts_and_encodes() {
        let p = params(&[
            ("ts", "1700000000"),
            ("name", "张 伟"),
            ("school", "s-1"),
            ("sig", "ignored"),
        ]);
        assert_eq!(
            canonical(&p),
            "name=%E5%BC%A0%20%E4%BC%9F&school=s-1&ts=1700000000"
        );
    }

    #[test]
    fn a_signature_verifies_only_unchanged() {
        let p = params(&[
            ("school", "s"),
            ("student", "2025001"),
            ("ts", "1"),
            ("nonce", "n"),
        ]);
        let sig = sign("secret", &p);
        assert_eq!(sig.len(), 64);
        assert!(verify("secret", &p, &sig));
        assert!(!verify("other", &p, &sig));
        let mut changed = p.clone();
        changed.insert("student".into(), "2025002".into());
        assert!(!verify("secret", &changed, &sig));
        assert!(!verify("secret", &p, "zz"));
    }

    #[test]
    fn origins_are_checked() {
        assert!(is_origin("https://course.example.edu"));
        assert!(is_origin("http://127.0.0.1:8081"));
        assert!(!is_origin("https://x.example/path"));
        assert!(!is_origin("javascript:alert(1)"));
        assert!(!is_origin("https://a b"));
    }
}
