//! Server-rendered pages: the home page, static assets, and HTML error pages.

use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::auth::{Auth, MaybeAuth};
use super::i18n::{lang_cookie, query_lang, request_lang, switch_url};
use super::{ApiError, AppState};
use crate::domain::taxonomy::TagCode;
use crate::domain::user::Role;
use crate::domain::{BankSummary, Kind, Subject};
use crate::storage::{documents, items};

/// The logged-in person, as the layout shows them.
#[derive(Serialize)]
pub struct Viewer {
    pub name: String,
    pub role: &'static str,
    pub staff: bool,
    pub admin: bool,
    /// May run a school (tiku's admins, school administrators, teachers).
    pub school: bool,
    /// For forms and scripts on the page.
    pub csrf: String,
}

impl Viewer {
    pub fn of(auth: &Auth) -> Viewer {
        Viewer {
            name: auth.user.name.clone(),
            role: auth.user.role.code(),
            staff: auth.is_staff(),
            admin: auth.user.role == Role::Admin,
            school: matches!(
                auth.user.role,
                Role::Admin | Role::SchoolAdmin | Role::Teacher
            ),
            csrf: auth.csrf.clone(),
        }
    }
}

/// What every page's layout needs, with the page's own model flattened beside it.
#[derive(Serialize)]
struct Page<'a, T: Serialize> {
    lang: &'static str,
    other_lang: &'static str,
    switch_url: String,
    title: &'a str,
    viewer: Option<Viewer>,
    #[serde(flatten)]
    body: T,
}

/// Renders `template` in the request's language. Remembers a `?lang=` choice in a cookie.
pub fn render<T: Serialize>(
    state: &AppState,
    req: &HttpRequest,
    viewer: Option<&Auth>,
    status: StatusCode,
    template: &str,
    title: &str,
    body: T,
) -> HttpResponse {
    let lang = request_lang(req);
    let page = Page {
        lang: lang.code(),
        other_lang: lang.other().code(),
        switch_url: switch_url(req, lang.other()),
        title,
        viewer: viewer.map(Viewer::of),
        body,
    };
    match state.templates.render(template, &page) {
        Ok(html) => {
            let mut resp = HttpResponse::build(status);
            resp.content_type("text/html; charset=utf-8");
            if let Some(l) = query_lang(req) {
                resp.cookie(lang_cookie(l));
            }
            resp.body(html)
        }
        Err(e) => {
            tracing::error!(template, error = %e, "template rendering failed");
            error_page(state, req, StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

#[derive(Serialize)]
struct Message {
    heading: String,
    text: String,
}

/// An HTML page for an error status (404 or 500); falls back to plain text if even that cannot render.
pub fn error_page(state: &AppState, req: &HttpRequest, status: StatusCode) -> HttpResponse {
    let lang = request_lang(req);
    let text = |key: &str| state.strings.get(key, lang).unwrap_or(key).to_owned();
    let (heading, body) = if status == StatusCode::NOT_FOUND {
        (text("not_found_title"), text("not_found_text"))
    } else {
        (text("error_title"), text("error_text"))
    };
    let page = Page {
        lang: lang.code(),
        other_lang: lang.other().code(),
        switch_url: switch_url(req, lang.other()),
        title: &heading,
        viewer: None,
        body: Message {
            heading: heading.clone(),
            text: body.clone(),
        },
    };
    match state.templates.render("message", &page) {
        Ok(html) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(html),
        Err(_) => HttpResponse::build(status).body(format!("{heading}\n{body}")),
    }
}

/// Unknown paths: JSON for the API, an HTML page otherwise.
pub async fn not_found(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    if req.path().starts_with("/api/") {
        actix_web::ResponseError::error_response(&ApiError::NotFound)
    } else {
        error_page(&state, &req, StatusCode::NOT_FOUND)
    }
}

const APP_CSS: &str = include_str!("../../templates/static/app.css");
const EDITOR_JS: &str = include_str!("../../templates/static/editor.js");
const MOCK_JS: &str = include_str!("../../templates/static/mock.js");
const EMBED_JS: &str = include_str!("../../templates/static/embed.js");
const SCHOOL_JS: &str = include_str!("../../templates/static/school.js");

/// `GET /static/{file}`: the embedded stylesheet (and later scripts).
pub async fn get_static(
    state: web::Data<AppState>,
    req: HttpRequest,
    file: web::Path<String>,
) -> HttpResponse {
    let (body, mime) = match file.as_str() {
        "app.css" => (APP_CSS, "text/css; charset=utf-8"),
        "editor.js" => (EDITOR_JS, "text/javascript; charset=utf-8"),
        "mock.js" => (MOCK_JS, "text/javascript; charset=utf-8"),
        "embed.js" => (EMBED_JS, "text/javascript; charset=utf-8"),
        "school.js" => (SCHOOL_JS, "text/javascript; charset=utf-8"),
        _ => return error_page(&state, &req, StatusCode::NOT_FOUND),
    };
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, mime))
        .insert_header((CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}

#[derive(Serialize)]
struct Count {
    /// An interface-string key (`subject_A`, `kind_single`) or a display name.
    key: String,
    name: String,
    code: String,
    count: u64,
}

#[derive(Serialize)]
struct Topic {
    code: String,
    name: String,
    count: u64,
    children: Vec<Count>,
}

#[derive(Serialize)]
struct SectionView {
    title: String,
    count: u32,
    points: u32,
}

#[derive(Serialize)]
struct PaperView {
    title: String,
    minutes: u32,
    points: u32,
    sections: Vec<SectionView>,
}

#[derive(Serialize)]
struct Home {
    summary: BankSummary,
    subjects: Vec<Count>,
    kinds: Vec<Count>,
    topics: Vec<Topic>,
    blueprints: Vec<PaperView>,
}

/// `GET /`: the bank in the reader's language — counts by subject, kind and knowledge point — and the
/// mock-paper formats.
pub async fn get_home(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
) -> HttpResponse {
    let lang = request_lang(&req);
    let loaded = state
        .with_db(|c| {
            Ok((
                items::summary(c)?,
                items::published_tags(c)?,
                documents::load(c)?,
            ))
        })
        .await;
    let (summary, tag_sets, docs) = match loaded {
        Ok(v) => v,
        Err(e) => {
            tracing::error!(error = %e, "home page");
            return error_page(&state, &req, StatusCode::INTERNAL_SERVER_ERROR);
        }
    };
    let name_of = |key: &str| state.strings.get(key, lang).unwrap_or(key).to_owned();
    let subjects = Subject::ALL
        .iter()
        .map(|s| {
            let key = format!("subject_{}", s.code());
            Count {
                name: name_of(&key),
                key,
                code: s.code().to_owned(),
                count: summary.by_subject.get(s.code()).copied().unwrap_or(0),
            }
        })
        .collect();
    let kinds = Kind::ALL
        .iter()
        .map(|k| {
            let key = format!("kind_{}", k.code());
            Count {
                name: name_of(&key),
                key,
                code: k.code().to_owned(),
                count: summary.by_kind.get(k.code()).copied().unwrap_or(0),
            }
        })
        .collect();
    let within = |root: &TagCode| -> u64 {
        tag_sets
            .iter()
            .filter(|tags| {
                tags.iter()
                    .filter_map(|t| TagCode::parse(t).ok())
                    .any(|t| t.is_within(root))
            })
            .count() as u64
    };
    let topics = docs
        .taxonomy
        .roots()
        .map(|root| Topic {
            code: root.code.to_string(),
            name: root.name.get(lang).clone(),
            count: within(&root.code),
            children: docs
                .taxonomy
                .children(&root.code)
                .map(|c| Count {
                    key: c.code.to_string(),
                    name: c.name.get(lang).clone(),
                    code: c.code.to_string(),
                    count: within(&c.code),
                })
                .collect(),
        })
        .collect();
    let blueprints = docs
        .blueprints
        .iter()
        .map(|bp| PaperView {
            title: bp.title.get(lang).clone(),
            minutes: bp.minutes,
            points: bp.max_points(),
            sections: bp
                .papers
                .iter()
                .flat_map(|p| p.sections.iter())
                .map(|s| SectionView {
                    title: s.title.get(lang).clone(),
                    count: s.count,
                    points: s.points,
                })
                .collect(),
        })
        .collect();
    let title = name_of("home_title");
    render(
        &state,
        &req,
        auth.0.as_ref(),
        StatusCode::OK,
        "home",
        &title,
        Home {
            summary,
            subjects,
            kinds,
            topics,
            blueprints,
        },
    )
}
