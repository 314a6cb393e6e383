//! The practice pages: choosing a mode (`/practice`), answering the item served (`/practice/{id}`), and
//! the feedback with key, explanation, self-assessment of written answers, favourite and report. They
//! work without JavaScript and at a phone's width.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::answer_form::{ItemInput, field, item_input, read_answer, rubric_points};
use super::auth::{Auth, MaybeAuth};
use super::markdown::to_safe_html;
use super::pages::{error_page, render};
use super::practice::{self, AnswerBody, SelfAssessment, StartPractice};
use super::present::Revealed;
use super::{ApiError, AppState};
use crate::domain::Lang;
use crate::storage::{documents, practice as store};

/// The signed-in user, or a redirect to the login page (boxed: responses are large).
pub(crate) fn signed_in(req: &HttpRequest, auth: MaybeAuth) -> Result<Auth, Box<HttpResponse>> {
    auth.0.ok_or_else(|| {
        let next =
            serde_urlencoded::to_string([("next", req.uri().to_string())]).unwrap_or_default();
        Box::new(
            HttpResponse::SeeOther()
                .insert_header(("Location", format!("/login?{next}")))
                .finish(),
        )
    })
}

fn see_other(to: String) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", to))
        .finish()
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

#[derive(Serialize)]
struct StartPage {
    tags: Vec<Choice>,
    mistakes: usize,
    favorites: usize,
    full: bool,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct ErrorParam {
    error: Option<String>,
}

/// `GET /practice`: the modes.
pub async fn get_start(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    q: web::Query<ErrorParam>,
) -> HttpResponse {
    let auth = match signed_in(&req, auth) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let lang = super::i18n::request_lang(&req);
    let user = auth.user.id.clone();
    let loaded = state
        .with_db(move |c| {
            Ok((
                documents::load(c)?.taxonomy,
                store::mistake_items(c, &user)?.len(),
                store::favorite_items(c, &user)?.len(),
            ))
        })
        .await;
    let Ok((taxonomy, mistakes, favorites)) = loaded else {
        return error_page(&state, &req, StatusCode::INTERNAL_SERVER_ERROR);
    };
    let full = super::access::entitlement(&state, &auth)
        .await
        .is_ok_and(|e| e.full());
    let tags = taxonomy
        .tags()
        .iter()
        .map(|t| Choice {
            value: t.code.to_string(),
            label: format!(
                "{}{} {}",
                if t.code.parent().is_some() { "　" } else { "" },
                t.code,
                if lang == Lang::Zh {
                    &t.name.zh
                } else {
                    &t.name.en
                }
            ),
        })
        .collect();
    let title = super::teach::t(&state, &req, "nav_practice");
    render(
        &state,
        &req,
        Some(&auth),
        StatusCode::OK,
        "practice_start",
        &title,
        StartPage {
            tags,
            mistakes,
            favorites,
            full,
            error: q.error.clone(),
        },
    )
}

#[derive(Deserialize)]
pub struct StartForm {
    csrf: String,
    mode: String,
    #[serde(default)]
    tag: String,
    #[serde(default)]
    subject: String,
}

/// `POST /practice`: starts a session and opens it.
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
    let body = StartPractice {
        mode: form.mode.clone(),
        tag: Some(form.tag.clone()),
        subject: Some(form.subject.clone()),
    };
    match practice::start(&state, &auth, body).await {
        Ok(id) => see_other(format!("/practice/{id}")),
        Err(e) => {
            let q = serde_urlencoded::to_string([("error", e.to_string())]).unwrap_or_default();
            see_other(format!("/practice?{q}"))
        }
    }
}

#[derive(Serialize)]
struct ItemPage {
    session: String,
    item: Option<ItemInput>,
    position: usize,
    total: usize,
    p_correct: String,
    favorite: bool,
    error: Option<String>,
}

/// `GET /practice/{id}`: the item being served, as a form.
pub async fn get_item(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    path: web::Path<String>,
    q: web::Query<ErrorParam>,
) -> HttpResponse {
    let auth = match signed_in(&req, auth) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let sid = path.into_inner();
    let served = match practice::next(&state, &auth, &sid).await {
        Ok(s) => s,
        Err(ApiError::NotFound) => return error_page(&state, &req, StatusCode::NOT_FOUND),
        Err(_) => return error_page(&state, &req, StatusCode::INTERNAL_SERVER_ERROR),
    };
    let page = match served {
        Some(s) => {
            let answered = s.answered.clone();
            ItemPage {
                session: sid,
                position: s.position,
                total: s.total,
                p_correct: format!("{:.0}", s.p_correct * 100.0),
                favorite: s.favorite,
                item: Some(item_input(s.item, &|_| None, &|q| {
                    answered.iter().any(|a| a == q)
                })),
                error: q.error.clone(),
            }
        }
        None => ItemPage {
            session: sid,
            item: None,
            position: 0,
            total: 0,
            p_correct: String::new(),
            favorite: false,
            error: None,
        },
    };
    let title = super::teach::t(&state, &req, "nav_practice");
    render(
        &state,
        &req,
        Some(&auth),
        StatusCode::OK,
        "practice_item",
        &title,
        page,
    )
}

/// A revealed answer, rendered.
#[derive(Serialize)]
struct FeedbackView {
    id: String,
    correct: bool,
    pending: bool,
    score: u32,
    max: u32,
    given: String,
    key: String,
    explanation_html: String,
    other_explanation_html: String,
    model_html: Option<String>,
    rubric: Vec<(String, u32, usize)>,
}

fn show(v: &serde_json::Value) -> String {
    match v {
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

fn feedback_view(r: Revealed, lang: Lang) -> FeedbackView {
    let (mine, other) = match lang {
        Lang::Zh => (&r.explanation_zh, &r.explanation_en),
        Lang::En => (&r.explanation_en, &r.explanation_zh),
    };
    let key = if r.accepted.len() > 1 {
        r.accepted.join(" | ")
    } else {
        show(&r.answer)
    };
    FeedbackView {
        pending: r.state == crate::domain::scoring::MarkState::Pending,
        explanation_html: to_safe_html(mine),
        other_explanation_html: to_safe_html(other),
        model_html: match lang {
            Lang::Zh => r.model_answer_zh.as_deref(),
            Lang::En => r.model_answer_en.as_deref(),
        }
        .map(to_safe_html),
        rubric: r
            .rubric
            .iter()
            .enumerate()
            .map(|(i, c)| {
                (
                    if lang == Lang::Zh {
                        c.zh.clone()
                    } else {
                        c.en.clone()
                    },
                    c.points,
                    i,
                )
            })
            .collect(),
        given: show(&r.given),
        key,
        id: r.id,
        correct: r.correct,
        score: r.score,
        max: r.max,
    }
}

#[derive(Serialize)]
struct FeedbackPage {
    session: String,
    item_id: String,
    feedback: Vec<FeedbackView>,
    favorite: bool,
    done: bool,
}

/// `POST /practice/{id}`: answers the served item's questions from the form, then shows the feedback.
pub async fn post_item(
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
    let sid = path.into_inner();
    let back_with = |msg: String| {
        let q = serde_urlencoded::to_string([("error", msg)]).unwrap_or_default();
        see_other(format!("/practice/{sid}?{q}"))
    };
    let served = match practice::next(&state, &auth, &sid).await {
        Ok(Some(s)) => s,
        Ok(None) => return see_other(format!("/practice/{sid}")),
        Err(_) => return error_page(&state, &req, StatusCode::NOT_FOUND),
    };
    let version: u32 = get("version").parse().unwrap_or(0);
    let questions: Vec<(String, String)> = match &served.item.parts {
        Some(parts) => parts
            .iter()
            .map(|p| (p.id.clone(), p.kind.clone()))
            .collect(),
        None => vec![(served.item.id.clone(), served.item.kind.clone())],
    };
    let mut feedback = Vec::new();
    let lang = super::i18n::request_lang(&req);
    for (qid, kind) in questions {
        if served.answered.contains(&qid) {
            continue;
        }
        let Some(value) = read_answer(&pairs, &qid, &kind) else {
            continue;
        };
        let value = match value {
            Ok(v) => v,
            Err(msg) => return back_with(format!("{qid}: {msg}")),
        };
        match practice::answer(
            &state,
            &auth,
            &sid,
            AnswerBody {
                id: qid.clone(),
                version,
                answer: value,
            },
        )
        .await
        {
            Ok(r) => feedback.push(feedback_view(r, lang)),
            Err(e) => return back_with(format!("{qid}: {e}")),
        }
    }
    if feedback.is_empty() {
        return back_with(super::teach::t(&state, &req, "answer_something"));
    }
    let done =
        served.item.parts.as_ref().map_or(1, Vec::len) <= served.answered.len() + feedback.len();
    let title = super::teach::t(&state, &req, "nav_practice");
    render(
        &state,
        &req,
        Some(&auth),
        StatusCode::OK,
        "practice_feedback",
        &title,
        FeedbackPage {
            session: sid,
            item_id: served.item.id,
            feedback,
            favorite: served.favorite,
            done,
        },
    )
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// `POST /practice/{id}/skip`
pub async fn post_skip(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let auth = match signed_in(&req, auth) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    if auth.check_csrf(&req, Some(&form.csrf)).is_err() {
        return error_page(&state, &req, StatusCode::FORBIDDEN);
    }
    let sid = path.into_inner();
    match practice::skip(&state, &auth, &sid).await {
        Ok(()) => see_other(format!("/practice/{sid}")),
        Err(_) => error_page(&state, &req, StatusCode::NOT_FOUND),
    }
}

/// `POST /practice/{id}/assess`: the candidate's points for each criterion of a written answer.
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
    let sid = path.into_inner();
    let body = SelfAssessment {
        id: get("id"),
        points: rubric_points(&pairs),
    };
    let msg = match practice::self_assess(&state, &auth, body).await {
        Ok(v) => format!(
            "{} {}/{}",
            super::teach::t(&state, &req, "self_assessed"),
            v["score"],
            v["max"]
        ),
        Err(e) => e.to_string(),
    };
    let q = serde_urlencoded::to_string([("error", msg)]).unwrap_or_default();
    see_other(format!("/practice/{sid}?{q}"))
}

#[derive(Deserialize)]
pub struct FavoriteForm {
    csrf: String,
    favorite: String,
    back: String,
}

/// `POST /favorites/{item}`: toggles a favourite and returns to the page.
pub async fn post_favorite(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    path: web::Path<String>,
    form: web::Form<FavoriteForm>,
) -> HttpResponse {
    let auth = match signed_in(&req, auth) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    if auth.check_csrf(&req, Some(&form.csrf)).is_err() {
        return error_page(&state, &req, StatusCode::FORBIDDEN);
    }
    let on = form.favorite == "true";
    if practice::set_favorite(&state, &auth, path.into_inner(), on)
        .await
        .is_err()
    {
        return error_page(&state, &req, StatusCode::NOT_FOUND);
    }
    see_other(super::login::safe_next(Some(&form.back)))
}
