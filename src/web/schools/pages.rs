//! The schools' pages: tiku's admins list and create schools (`/school`); a school's staff run their
//! school (`/school/{id}`: staff, classes, class lists, webhook and secret), a class (`/school/{id}/
//! classes/{class}`: students, assessments, the weakness heatmap) and an assessment (`/school/{id}/
//! assessments/{a}`: the embed snippet with copy buttons, the gradebook, the item analysis).

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::assessments::{NewAssessment, assessment_in, base_url, embedding};
use super::forecast::{ForecastView, class_forecast, forecast_view};
use super::gradebook::{Gradebook, HeatRow, class_models, gradebook, heatmap, item_analysis};
use super::roster::RosterReport;
use super::{NewClass, NewSchool, NewStaff, scope};
use crate::domain::item_stats::QuestionStats;
use crate::domain::user::Role;
use crate::storage::schools::{self, Class, Member, School};
use crate::web::answer_form::field;
use crate::web::auth::{Auth, MaybeAuth};
use crate::web::pages::{error_page, render};
use crate::web::practice_pages::signed_in;
use crate::web::teach::t;
use crate::web::{ApiError, AppState};

fn see_other(to: String) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", to))
        .finish()
}

/// Back to `to` with a message (`ok`) or an error.
pub(crate) fn back(to: &str, result: Result<String, ApiError>) -> HttpResponse {
    let q = match result {
        Ok(msg) => serde_urlencoded::to_string([("msg", msg)]),
        Err(e) => serde_urlencoded::to_string([("error", e.to_string())]),
    }
    .unwrap_or_default();
    let sep = if to.contains('?') { '&' } else { '?' };
    see_other(format!("{to}{sep}{q}"))
}

pub(crate) fn fail(state: &AppState, req: &HttpRequest, e: &ApiError) -> HttpResponse {
    let status = match e {
        ApiError::NotFound => StatusCode::NOT_FOUND,
        ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    error_page(state, req, status)
}

#[derive(Deserialize)]
pub struct Flash {
    pub(super) msg: Option<String>,
    pub(super) error: Option<String>,
}

/// The signed-in user of a posted form whose CSRF token is right, or the response to send instead.
pub(crate) fn form_user(
    state: &AppState,
    req: &HttpRequest,
    auth: MaybeAuth,
    pairs: &[(String, String)],
) -> Result<Auth, Box<HttpResponse>> {
    let auth = signed_in(req, auth)?;
    if auth.check_csrf(req, Some(&field(pairs, "csrf"))).is_err() {
        return Err(Box::new(error_page(state, req, StatusCode::FORBIDDEN)));
    }
    Ok(auth)
}

#[derive(Serialize)]
struct SchoolsPage {
    schools: Vec<School>,
    msg: Option<String>,
    error: Option<String>,
}

/// `GET /school`: tiku's admins see every school (and create one); a school's staff go to theirs.
pub async fn get_schools(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    q: web::Query<Flash>,
) -> HttpResponse {
    let auth = match signed_in(&req, auth) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    if auth.user.role != Role::Admin {
        return match super::own_school(&state, &auth).await {
            Ok(Some(id)) if matches!(auth.user.role, Role::SchoolAdmin | Role::Teacher) => {
                see_other(format!("/school/{id}"))
            }
            _ => error_page(&state, &req, StatusCode::NOT_FOUND),
        };
    }
    let Ok(list) = state.with_db(schools::all).await else {
        return error_page(&state, &req, StatusCode::INTERNAL_SERVER_ERROR);
    };
    let title = t(&state, &req, "school_title");
    render(
        &state,
        &req,
        Some(&auth),
        StatusCode::OK,
        "schools",
        &title,
        SchoolsPage {
            schools: list,
            msg: q.msg.clone(),
            error: q.error.clone(),
        },
    )
}

/// `POST /school` (tiku's admins): a school and its administrator.
pub async fn post_school(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let pairs = form.into_inner();
    let auth = match form_user(&state, &req, auth, &pairs) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let get = |k: &str| field(&pairs, k);
    let new = NewSchool {
        name: get("name"),
        licence_until: Some(get("licence_until")),
        admin: NewStaff {
            login: get("login"),
            name: get("admin_name"),
            password: get("password"),
            email: Some(get("email")).filter(|e| !e.trim().is_empty()),
            role: Some(Role::SchoolAdmin),
        },
    };
    match super::create_school(&state, &auth, new).await {
        Ok((s, _)) => see_other(format!("/school/{}", s.id)),
        Err(e) => back("/school", Err(e)),
    }
}

#[derive(Serialize)]
struct SchoolPage {
    school: School,
    manages: bool,
    /// The viewer (no button to disable one's own account).
    me: String,
    secret: Option<String>,
    staff: Vec<Member>,
    students: usize,
    classes: Vec<Class>,
    roster: Option<RosterReport>,
    roster_payload: Option<String>,
    msg: Option<String>,
    error: Option<String>,
}

async fn school_page(
    state: &AppState,
    req: &HttpRequest,
    auth: &Auth,
    id: &str,
    flash: (Option<String>, Option<String>),
    roster: Option<(RosterReport, Option<String>)>,
) -> HttpResponse {
    let (school, power) = match scope(state, auth, id).await {
        Ok(s) => s,
        Err(e) => return fail(state, req, &e),
    };
    let sid = school.id.clone();
    let Ok((members, classes)) = state
        .with_db(move |c| Ok((schools::members(c, &sid)?, schools::classes(c, &sid)?)))
        .await
    else {
        return error_page(state, req, StatusCode::INTERNAL_SERVER_ERROR);
    };
    let students = members.iter().filter(|m| m.role == Role::Candidate).count();
    let staff = members
        .into_iter()
        .filter(|m| m.role != Role::Candidate)
        .collect();
    let (roster, roster_payload) = match roster {
        Some((r, p)) => (Some(r), p),
        None => (None, None),
    };
    let status = match &roster {
        Some(r) if !r.ok => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    };
    render(
        state,
        req,
        Some(auth),
        status,
        "school",
        &school.name.clone(),
        SchoolPage {
            secret: power.manages().then(|| school.embed_secret.clone()),
            manages: power.manages(),
            me: auth.user.id.clone(),
            school,
            staff,
            students,
            classes,
            roster,
            roster_payload,
            msg: flash.0,
            error: flash.1,
        },
    )
}

/// `GET /school/{id}`
pub async fn get_school(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    path: web::Path<String>,
    q: web::Query<Flash>,
) -> HttpResponse {
    let auth = match signed_in(&req, auth) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let q = q.into_inner();
    school_page(&state, &req, &auth, &path, (q.msg, q.error), None).await
}

/// `POST /school/{id}/{op}` for the school page's forms: `settings`, `secret`, `staff`, `classes`,
/// `account` (disable or enable a member's account).
pub async fn post_school_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    path: web::Path<(String, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let pairs = form.into_inner();
    let auth = match form_user(&state, &req, auth, &pairs) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let (sid, op) = path.into_inner();
    let get = |k: &str| field(&pairs, k);
    let to = format!("/school/{sid}");
    let done = t(&state, &req, "saved");
    let result: Result<String, ApiError> = match op.as_str() {
        "settings" => settings(&state, &auth, &sid, &get("webhook_url"))
            .await
            .map(|_| done),
        "secret" => rotate(&state, &auth, &sid).await.map(|_| done),
        "account" => {
            let disable = get("disabled") == "1";
            crate::web::accounts::set_member_disabled(&state, &auth, &sid, &get("user_id"), disable)
                .await
                .map(|_| t(&state, &req, crate::web::accounts::done_key(disable)))
        }
        "staff" => super::add_staff(
            &state,
            &auth,
            &sid,
            NewStaff {
                login: get("login"),
                name: get("name"),
                password: get("password"),
                email: Some(get("email")).filter(|e| !e.trim().is_empty()),
                role: Role::parse(&get("role")),
            },
        )
        .await
        .map(|_| done),
        "classes" => {
            match super::add_class(
                &state,
                &auth,
                &sid,
                NewClass {
                    name: get("name"),
                    teacher_id: None,
                },
            )
            .await
            {
                Ok(c) => return see_other(format!("/school/{sid}/classes/{}", c.id)),
                Err(e) => Err(e),
            }
        }
        _ => return error_page(&state, &req, StatusCode::NOT_FOUND),
    };
    match result {
        Err(ApiError::NotFound) => error_page(&state, &req, StatusCode::NOT_FOUND),
        other => back(&to, other),
    }
}

async fn settings(state: &AppState, auth: &Auth, sid: &str, webhook: &str) -> Result<(), ApiError> {
    let school = super::manage(state, auth, sid).await?;
    let url = super::check_webhook(webhook)?;
    let actor = auth.user.id.clone();
    state
        .with_db(move |c| {
            crate::storage::conn::write_tx(c, |c| {
                schools::update(c, &school.id, url.as_deref(), school.licence_until)?;
                crate::storage::audit::log(c, &actor, "settings", "school", &school.id, "")
            })
        })
        .await
}

async fn rotate(state: &AppState, auth: &Auth, sid: &str) -> Result<(), ApiError> {
    let school = super::manage(state, auth, sid).await?;
    let actor = auth.user.id.clone();
    state
        .with_db(move |c| {
            crate::storage::conn::write_tx(c, |c| {
                schools::rotate_secret(c, &school.id)?;
                crate::storage::audit::log(c, &actor, "secret", "school", &school.id, "rotated")
            })
        })
        .await
}

/// `POST /school/{id}/roster` (multipart: the file, or the checked file's payload): "Check" shows
/// the preview with every problem; "Import" imports the same file, all or nothing.
pub async fn post_roster(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    path: web::Path<String>,
    payload: Multipart,
) -> HttpResponse {
    use base64::Engine;
    let auth = match signed_in(&req, auth) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let Some(form) =
        crate::web::multipart::read(payload, super::roster::MAX_ROSTER_BYTES * 2).await
    else {
        return error_page(&state, &req, StatusCode::PAYLOAD_TOO_LARGE);
    };
    if auth.check_csrf(&req, Some(&form.text("csrf"))).is_err() {
        return error_page(&state, &req, StatusCode::FORBIDDEN);
    }
    let sid = path.into_inner();
    let bytes = match form.file("file") {
        Some(f) if !f.is_empty() => f.to_vec(),
        _ => base64::engine::general_purpose::STANDARD
            .decode(form.text("payload"))
            .unwrap_or_default(),
    };
    let dry_run = form.text("op") != "import";
    match super::roster::import(&state, &auth, &sid, bytes.clone(), None, dry_run).await {
        Ok(report) => {
            if !dry_run && report.ok {
                let msg = format!(
                    "{} {}",
                    t(&state, &req, "roster_imported"),
                    report.rows.len()
                );
                return back(&format!("/school/{sid}"), Ok(msg));
            }
            let payload = (dry_run && report.ok)
                .then(|| base64::engine::general_purpose::STANDARD.encode(&bytes));
            school_page(
                &state,
                &req,
                &auth,
                &sid,
                (None, None),
                Some((report, payload)),
            )
            .await
        }
        Err(e) => fail(&state, &req, &e),
    }
}

/// One student's line of the heatmap, with the colour class of each cell.
#[derive(Serialize)]
struct HeatView {
    tag: String,
    name: String,
    mean: String,
    cells: Vec<(String, &'static str)>,
}

fn band(m: Option<f64>) -> &'static str {
    match m {
        None => "heat-none",
        Some(v) if v < 0.4 => "heat-low",
        Some(v) if v < 0.6 => "heat-mid",
        Some(v) if v < 0.8 => "heat-ok",
        Some(_) => "heat-high",
    }
}

fn percent(m: Option<f64>) -> String {
    m.map(|v| format!("{:.0}", v * 100.0)).unwrap_or_default()
}

#[derive(Serialize)]
struct ClassPage {
    school: School,
    class: Class,
    students: Vec<schools::Student>,
    student_count: usize,
    assessments: Vec<crate::storage::assessments::Assessment>,
    heat: Vec<HeatView>,
    forecast: ForecastView,
    blueprints: Vec<(String, String)>,
    msg: Option<String>,
    error: Option<String>,
}

/// `GET /school/{id}/classes/{class}`
pub async fn get_class(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    path: web::Path<(String, String)>,
    q: web::Query<Flash>,
) -> HttpResponse {
    let auth = match signed_in(&req, auth) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let (sid, cid) = path.into_inner();
    let models = match class_models(&state, &auth, &sid, &cid).await {
        Ok(m) => m,
        Err(e) => return fail(&state, &req, &e),
    };
    let key = models.class.id.clone();
    let Ok(assessments) = state
        .with_db(move |c| crate::storage::assessments::of_class(c, &key))
        .await
    else {
        return error_page(&state, &req, StatusCode::INTERNAL_SERVER_ERROR);
    };
    let map = heatmap(&models);
    let forecast = match class_forecast(&state, &models, &map).await {
        Ok(f) => f,
        Err(e) => return fail(&state, &req, &e),
    };
    let zh = crate::web::i18n::request_lang(&req) == crate::domain::Lang::Zh;
    let heat = map
        .rows
        .iter()
        .filter(|r: &&HeatRow| r.class_mean.is_some())
        .map(|r| HeatView {
            tag: r.tag.clone(),
            name: if zh {
                r.name_zh.clone()
            } else {
                r.name_en.clone()
            },
            mean: percent(r.class_mean),
            cells: r.mastery.iter().map(|m| (percent(*m), band(*m))).collect(),
        })
        .collect();
    let blueprints = match state.mocks.pool(&state).await {
        Ok(p) => p
            .blueprints
            .iter()
            .map(|b| {
                (
                    b.id.clone(),
                    if zh {
                        b.title.zh.clone()
                    } else {
                        b.title.en.clone()
                    },
                )
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    let q = q.into_inner();
    render(
        &state,
        &req,
        Some(&auth),
        StatusCode::OK,
        "school_class",
        &models.class.name.clone(),
        ClassPage {
            school: models.school,
            class: models.class,
            student_count: map.students.len(),
            students: map.students,
            assessments,
            heat,
            forecast: forecast_view(&forecast, zh),
            blueprints,
            msg: q.msg,
            error: q.error,
        },
    )
}

/// `POST /school/{id}/classes/{class}/drill` (form: `tag`): a drill on one of the class's weak points,
/// then its page (to copy the link for the course site).
pub async fn post_drill(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    path: web::Path<(String, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let pairs = form.into_inner();
    let auth = match form_user(&state, &req, auth, &pairs) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let (sid, cid) = path.into_inner();
    match super::assessments::drill(&state, &auth, &sid, &cid, &field(&pairs, "tag")).await {
        Ok(a) => back(
            &format!("/school/{sid}/assessments/{}", a.id),
            Ok(t(&state, &req, "drill_made")),
        ),
        Err(e @ (ApiError::NotFound | ApiError::Forbidden(_))) => fail(&state, &req, &e),
        Err(e) => back(&format!("/school/{sid}/classes/{cid}"), Err(e)),
    }
}

/// `POST /school/{id}/classes/{class}/assessments` (form): a new assessment for the class.
pub async fn post_assessment(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    path: web::Path<(String, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let pairs = form.into_inner();
    let auth = match form_user(&state, &req, auth, &pairs) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let (sid, cid) = path.into_inner();
    let get = |k: &str| field(&pairs, k);
    let new = NewAssessment {
        class_id: cid.clone(),
        title: get("title"),
        source: Some(get("source")),
        blueprint: Some(get("blueprint")).filter(|b| !b.is_empty()),
        items: get("items")
            .split(|c: char| c.is_whitespace() || c == ',' || c == '，')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        minutes: get("minutes").trim().parse().ok(),
        opens_at: get("opens_at"),
        closes_at: get("closes_at"),
        max_attempts: get("max_attempts").trim().parse().ok(),
        show_keys: Some(get("show_keys")),
    };
    match super::assessments::create(&state, &auth, &sid, new).await {
        Ok(a) => see_other(format!("/school/{sid}/assessments/{}", a.id)),
        Err(ApiError::NotFound) => error_page(&state, &req, StatusCode::NOT_FOUND),
        Err(e) => back(&format!("/school/{sid}/classes/{cid}"), Err(e)),
    }
}

#[derive(Serialize)]
struct ItemLine {
    question: String,
    answers: usize,
    facility: String,
    discrimination: String,
    flagged: bool,
}

#[derive(Serialize)]
struct AssessmentPage {
    school: School,
    assessment: crate::storage::assessments::Assessment,
    opens: String,
    closes: String,
    embed: serde_json::Value,
    book: Gradebook,
    items: Vec<ItemLine>,
    msg: Option<String>,
}

/// `GET /school/{id}/assessments/{assessment}`
pub async fn get_assessment(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    path: web::Path<(String, String)>,
    q: web::Query<Flash>,
) -> HttpResponse {
    let auth = match signed_in(&req, auth) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let (sid, aid) = path.into_inner();
    let (school, a) = match assessment_in(&state, &auth, &sid, &aid).await {
        Ok(x) => x,
        Err(e) => return fail(&state, &req, &e),
    };
    let (book, all, answers) = match gradebook(&state, &auth, &sid, &aid).await {
        Ok(x) => x,
        Err(e) => return fail(&state, &req, &e),
    };
    let stats = item_analysis(&state, &all, &answers)
        .await
        .unwrap_or_default();
    let items = stats
        .values()
        .map(|s: &QuestionStats| ItemLine {
            question: s.question.clone(),
            answers: s.answers,
            facility: format!("{:.2}", s.facility),
            discrimination: s
                .point_biserial
                .map(|d| format!("{d:.2}"))
                .unwrap_or_else(|| "—".into()),
            flagged: !s.flags.is_empty(),
        })
        .collect();
    let embed = embedding(
        &base_url(&req),
        &school,
        &a,
        time::OffsetDateTime::now_utc().unix_timestamp(),
    );
    let beijing = time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC);
    let show = |t: time::PrimitiveDateTime| {
        let b = t.assume_utc().to_offset(beijing);
        format!("{} {:02}:{:02} (UTC+8)", b.date(), b.hour(), b.minute())
    };
    render(
        &state,
        &req,
        Some(&auth),
        StatusCode::OK,
        "school_assessment",
        &a.title.clone(),
        AssessmentPage {
            opens: show(a.opens_at),
            closes: show(a.closes_at),
            school,
            assessment: a,
            embed,
            book,
            items,
            msg: q.into_inner().msg,
        },
    )
}
