//! The mock exam pages: the list and start (`/mocks`), the sitting (`/mocks/{id}`: the whole paper as
//! one form, saved answer by answer by a small script with a timer, or all at once without JavaScript),
//! and the result with the review of every question (`/mocks/{id}/result`).

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::domain::Lang;
use crate::storage::attempts::{self, AttemptStatus};
use crate::web::answer_form::{ItemInput, field, item_input, read_answer, rubric_points};
use crate::web::auth::MaybeAuth;
use crate::web::markdown::to_safe_html;
use crate::web::pages::{error_page, render};
use crate::web::practice_pages::signed_in;
use crate::web::present::present;
use crate::web::{ApiError, AppState};

fn see_other(to: String) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", to))
        .finish()
}

#[derive(Serialize)]
struct AttemptRow {
    id: String,
    blueprint: String,
    started: String,
    status: String,
    total: Option<u32>,
    passed: Option<bool>,
    open: bool,
}

#[derive(Serialize)]
struct ListPage {
    attempts: Vec<AttemptRow>,
    full: bool,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct Flash {
    error: Option<String>,
}

/// `GET /mocks`
pub async fn get_list(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    q: web::Query<Flash>,
) -> HttpResponse {
    let auth = match signed_in(&req, auth) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let user = auth.user.id.clone();
    let Ok(list) = state.with_db(move |c| attempts::of_user(c, &user)).await else {
        return error_page(&state, &req, StatusCode::INTERNAL_SERVER_ERROR);
    };
    let now = crate::storage::now();
    let full = crate::web::access::entitlement(&state, &auth)
        .await
        .is_ok_and(|e| e.full());
    let attempts = list
        .into_iter()
        .map(|a| AttemptRow {
            open: a.status == AttemptStatus::Open && a.deadline > now,
            status: if a.status == AttemptStatus::Submitted {
                "submitted".into()
            } else {
                "open".into()
            },
            id: a.id,
            blueprint: a.blueprint,
            started: a
                .started_at
                .assume_utc()
                .to_offset(time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC))
                .format(&time::macros::format_description!(
                    "[year]-[month]-[day] [hour]:[minute]"
                ))
                .unwrap_or_default(),
            total: a.total,
            passed: a.passed,
        })
        .collect();
    let title = crate::web::teach::t(&state, &req, "nav_mocks");
    render(
        &state,
        &req,
        Some(&auth),
        StatusCode::OK,
        "mock_list",
        &title,
        ListPage {
            attempts,
            full,
            error: q.error.clone(),
        },
    )
}

#[derive(Deserialize)]
pub struct StartForm {
    csrf: String,
    blueprint: String,
}

/// `POST /mocks`: starts a mock and opens it.
pub async fn post_start(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    form: web::Form<StartForm>,
) -> HttpResponse {
    let auth = match signed_in(&req, auth) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    if auth.check_csrf(&req, Some(&form.csrf)).is_err() {
        return error_page(&state, &req, StatusCode::FORBIDDEN);
    }
    match super::start(&state, &auth, &form.blueprint, None).await {
        Ok(s) => see_other(format!("/mocks/{}", s.id)),
        Err(e) => {
            let q = serde_urlencoded::to_string([("error", e.to_string())]).unwrap_or_default();
            see_other(format!("/mocks?{q}"))
        }
    }
}

#[derive(Serialize)]
pub struct SectionView {
    title: String,
    items: Vec<(String, ItemInput)>,
}

#[derive(Serialize)]
pub struct SittingPage {
    action: String,
    save_url: String,
    result_url: String,
    id: String,
    blueprint: String,
    deadline: String,
    seconds_left: i64,
    sections: Vec<SectionView>,
    answered: usize,
    questions: usize,
    flash: Option<String>,
}

/// `GET /mocks/{id}`: the paper with the saved answers and the time left.
pub async fn get_sitting(
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
    let id = path.into_inner();
    let at = match super::owned(&state, &auth, &id).await {
        Ok(a) => a,
        Err(ApiError::NotFound) => return error_page(&state, &req, StatusCode::NOT_FOUND),
        Err(_) => return error_page(&state, &req, StatusCode::INTERNAL_SERVER_ERROR),
    };
    let now = crate::storage::now();
    if at.status == AttemptStatus::Submitted || at.deadline <= now {
        if at.status == AttemptStatus::Open {
            let _ = super::submit(&state, &id, Some(&auth), "deadline").await;
        }
        return see_other(format!("/mocks/{id}/result"));
    }
    let urls = SittingUrls {
        action: format!("/mocks/{id}/save"),
        save_url: format!("/api/v1/mocks/{id}/answers/"),
        result_url: format!("/mocks/{id}/result"),
    };
    let page = match sitting(&state, &req, at, urls, q.error.clone()).await {
        Ok(p) => p,
        Err(status) => return error_page(&state, &req, status),
    };
    let title = crate::web::teach::t(&state, &req, "nav_mocks");
    render(
        &state,
        &req,
        Some(&auth),
        StatusCode::OK,
        "mock_sitting",
        &title,
        page,
    )
}

/// Where a sitting's form posts, where its script saves each answer (the slot is appended), and
/// where the result is.
pub struct SittingUrls {
    pub action: String,
    pub save_url: String,
    pub result_url: String,
}

/// The sitting of an open attempt: its paper with the saved answers.
pub async fn sitting(
    state: &AppState,
    req: &HttpRequest,
    at: crate::storage::attempts::Attempt,
    urls: SittingUrls,
    flash: Option<String>,
) -> Result<SittingPage, StatusCode> {
    let now = crate::storage::now();
    let key = at.id.clone();
    let saved = state
        .with_db(move |c| attempts::answers(c, &key))
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    let slot_of: HashMap<&str, &str> = at
        .paper
        .questions
        .iter()
        .map(|q| (q.question_id.as_str(), q.slot.as_str()))
        .collect();
    let lang = crate::web::i18n::request_lang(req);
    let mut sections = Vec::new();
    for section in &at.paper.paper.sections {
        let mut items = Vec::new();
        for slot in &section.slots {
            let item = state
                .mocks
                .version(state, slot.item_id.as_str(), slot.version)
                .await
                .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
            let (shown, _) = item
                .instantiate(slot.variant)
                .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
            let order = |qid: &str| slot.option_order.get(qid).cloned();
            let view = present(&shown, slot.version, &order);
            let given = |qid: &str| {
                slot_of
                    .get(qid)
                    .and_then(|s| saved.get(*s))
                    .map(|(v, _)| v.clone())
            };
            let mut input = item_input(view, &given, &|_| false);
            for q in &mut input.questions {
                if let Some(s) = slot_of.get(q.id.as_str()) {
                    q.name = format!("a:{s}");
                    q.slot = (*s).to_owned();
                }
            }
            items.push((slot.slot_ref.clone(), input));
        }
        sections.push(SectionView {
            title: match lang {
                Lang::Zh => section.title.zh.clone(),
                Lang::En => section.title.en.clone(),
            },
            items,
        });
    }
    Ok(SittingPage {
        deadline: at
            .deadline
            .assume_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        seconds_left: (at.deadline - now).whole_seconds().max(0),
        answered: saved.len(),
        questions: at.paper.questions.len(),
        id: at.id,
        blueprint: at.blueprint,
        sections,
        flash,
        action: urls.action,
        save_url: urls.save_url,
        result_url: urls.result_url,
    })
}

/// `POST /mocks/{id}/save` (without JavaScript): saves every answer in the form, then back to the paper
/// (or, with `op=submit`, submits and shows the result).
pub async fn post_save(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let auth = match signed_in(&req, auth) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let pairs = form.into_inner();
    let get = |k: &str| field(&pairs, k);
    if auth.check_csrf(&req, Some(&get("csrf"))).is_err() {
        return error_page(&state, &req, StatusCode::FORBIDDEN);
    }
    let id = path.into_inner();
    let at = match super::owned(&state, &auth, &id).await {
        Ok(a) => a,
        Err(_) => return error_page(&state, &req, StatusCode::NOT_FOUND),
    };
    let mut saved = 0;
    let mut problems = Vec::new();
    for q in &at.paper.questions {
        let Some(value) = read_answer(&pairs, &q.slot, &q.kind) else {
            continue;
        };
        match value {
            Ok(v) => match super::save(&state, &auth.user.id, &id, &q.slot, &v).await {
                Ok(_) => saved += 1,
                Err(e) => problems.push(format!("{}: {e}", q.slot)),
            },
            Err(msg) => problems.push(format!("{}: {msg}", q.slot)),
        }
    }
    if get("op") == "submit" {
        return match super::submit(&state, &id, Some(&auth), "candidate").await {
            Ok(()) => see_other(format!("/mocks/{id}/result")),
            Err(_) => error_page(&state, &req, StatusCode::INTERNAL_SERVER_ERROR),
        };
    }
    let mut msg = format!("{} {saved}", crate::web::teach::t(&state, &req, "saved"));
    if !problems.is_empty() {
        msg.push_str(" · ");
        msg.push_str(&problems.join("; "));
    }
    let q = serde_urlencoded::to_string([("error", msg)]).unwrap_or_default();
    see_other(format!("/mocks/{id}?{q}"))
}

#[derive(Serialize)]
struct ReviewView {
    slot: String,
    kind: String,
    stem_html: String,
    answered: bool,
    correct: bool,
    pending: bool,
    self_assessed: bool,
    score: u32,
    max: u32,
    given: String,
    key: String,
    explanation_html: String,
    model_html: Option<String>,
    rubric: Vec<(String, u32, usize)>,
}

#[derive(Serialize)]
struct ResultPage {
    id: String,
    result: serde_json::Value,
    grade_label: Option<String>,
    review: Vec<ReviewView>,
}

fn show(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "—".into(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(a) => a
            .iter()
            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join(", "),
        serde_json::Value::Bool(true) => "✔ true / 正确".into(),
        serde_json::Value::Bool(false) => "✘ false / 错误".into(),
        other => other.to_string(),
    }
}

/// `GET /mocks/{id}/result`
pub async fn get_result(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    path: web::Path<String>,
) -> HttpResponse {
    let auth = match signed_in(&req, auth) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let id = path.into_inner();
    let r = match super::result(&state, &auth, &id, true).await {
        Ok(r) => r,
        Err(ApiError::NotFound) => return error_page(&state, &req, StatusCode::NOT_FOUND),
        Err(ApiError::Conflict(_)) => return see_other(format!("/mocks/{id}")),
        Err(_) => return error_page(&state, &req, StatusCode::INTERNAL_SERVER_ERROR),
    };
    let lang = crate::web::i18n::request_lang(&req);
    let zh = lang == Lang::Zh;
    let review = r
        .review
        .iter()
        .map(|x| {
            let rv = &x.revealed;
            ReviewView {
                slot: x.slot.clone(),
                kind: x.kind.clone(),
                stem_html: to_safe_html(if zh { &x.stem_zh } else { &x.stem_en }),
                answered: x.answered,
                correct: rv.correct,
                pending: rv.state == crate::domain::scoring::MarkState::Pending,
                self_assessed: rv.state == crate::domain::scoring::MarkState::SelfAssessed,
                score: rv.score,
                max: rv.max,
                given: show(&rv.given),
                key: if rv.accepted.len() > 1 {
                    rv.accepted.join(" | ")
                } else {
                    show(&rv.answer)
                },
                explanation_html: to_safe_html(if zh {
                    &rv.explanation_zh
                } else {
                    &rv.explanation_en
                }),
                model_html: if zh {
                    rv.model_answer_zh.as_deref()
                } else {
                    rv.model_answer_en.as_deref()
                }
                .map(to_safe_html),
                rubric: rv
                    .rubric
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (if zh { c.zh.clone() } else { c.en.clone() }, c.points, i))
                    .collect(),
            }
        })
        .collect();
    let grade_label = r.grade.map(|g| {
        crate::web::teach::t(
            &state,
            &req,
            &format!(
                "grade_{}",
                serde_json::to_value(g)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            ),
        )
    });
    let mut result = serde_json::to_value(&r).unwrap_or_default();
    if let Some(m) = result.as_object_mut() {
        m.remove("review");
    }
    let title = crate::web::teach::t(&state, &req, "result_title");
    render(
        &state,
        &req,
        Some(&auth),
        StatusCode::OK,
        "mock_result",
        &title,
        ResultPage {
            id,
            result,
            grade_label,
            review,
        },
    )
}

/// `POST /mocks/{id}/assess`: self-assessment of one written answer, back to the result.
pub async fn post_assess(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let auth = match signed_in(&req, auth) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let pairs = form.into_inner();
    let get = |k: &str| field(&pairs, k);
    if auth.check_csrf(&req, Some(&get("csrf"))).is_err() {
        return error_page(&state, &req, StatusCode::FORBIDDEN);
    }
    let points = rubric_points(&pairs);
    let id = path.into_inner();
    match super::self_assess(&state, &auth, &id, &get("slot"), &points).await {
        Ok(()) => see_other(format!("/mocks/{id}/result")),
        Err(ApiError::NotFound) => error_page(&state, &req, StatusCode::NOT_FOUND),
        Err(_) => error_page(&state, &req, StatusCode::BAD_REQUEST),
    }
}
