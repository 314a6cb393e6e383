//! `GET /items/{id}`: a published item as a candidate sees it (stems, materials and options in both
//! languages; never a key or explanation), with the form to report a problem once they have answered it.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::MaybeAuth;
use super::markdown::to_safe_html;
use super::pages::{error_page, render};
use super::present::{ItemView, OptionView, QuestionView, authored_order, present};
use crate::storage::{items, responses};

#[derive(Serialize)]
struct OptionHtml {
    id: String,
    zh_html: String,
    en_html: String,
}

#[derive(Serialize)]
struct QuestionHtml {
    id: String,
    kind: String,
    points: u32,
    stem_zh_html: String,
    stem_en_html: String,
    options: Vec<OptionHtml>,
    unit: Option<String>,
}

#[derive(Serialize)]
struct PublicItemPage {
    id: String,
    version: u32,
    subject: String,
    kind: String,
    difficulty: u8,
    tags: Vec<String>,
    material_zh_html: Option<String>,
    material_en_html: Option<String>,
    questions: Vec<QuestionHtml>,
    /// Whether the viewer may report a problem (they answered the item, or they are staff).
    can_report: bool,
    reported: bool,
    report_error: Option<String>,
}

fn options(list: Option<Vec<OptionView>>) -> Vec<OptionHtml> {
    list.unwrap_or_default()
        .into_iter()
        .map(|o| OptionHtml {
            zh_html: to_safe_html(&o.zh),
            en_html: to_safe_html(&o.en),
            id: o.id,
        })
        .collect()
}

fn unit(zh: Option<String>, en: Option<String>) -> Option<String> {
    match (zh, en) {
        (Some(z), Some(e)) if z == e => Some(z),
        (Some(z), Some(e)) => Some(format!("{z} / {e}")),
        (z, e) => z.or(e),
    }
}

fn question_html(q: QuestionView) -> QuestionHtml {
    QuestionHtml {
        stem_zh_html: to_safe_html(&q.stem_zh),
        stem_en_html: to_safe_html(&q.stem_en),
        options: options(q.options),
        unit: unit(q.unit_zh, q.unit_en),
        id: q.id,
        kind: q.kind,
        points: q.points,
    }
}

fn page_of(v: ItemView) -> PublicItemPage {
    let (material, questions) = match v.parts {
        Some(parts) => (
            Some((to_safe_html(&v.stem_zh), to_safe_html(&v.stem_en))),
            parts.into_iter().map(question_html).collect(),
        ),
        None => (
            None,
            vec![question_html(QuestionView {
                slot_ref: None,
                id: v.id.clone(),
                kind: v.kind.clone(),
                points: v.points,
                stem_zh: v.stem_zh,
                stem_en: v.stem_en,
                options: v.options,
                unit_zh: v.unit_zh,
                unit_en: v.unit_en,
            })],
        ),
    };
    let (material_zh_html, material_en_html) = material.unzip();
    PublicItemPage {
        id: v.id,
        version: v.version,
        subject: v.subject,
        kind: v.kind,
        difficulty: v.difficulty,
        tags: v.tags,
        material_zh_html,
        material_en_html,
        questions,
        can_report: false,
        reported: false,
        report_error: None,
    }
}

#[derive(Deserialize)]
pub struct PageParams {
    /// The outcome of a report just filed: `reported`, or the error.
    report: Option<String>,
}

/// `GET /items/{id}` (signed-in users): the published version of an item.
pub async fn get_public_item(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    path: web::Path<String>,
    q: web::Query<PageParams>,
) -> HttpResponse {
    let Some(auth) = auth.0 else {
        let next =
            serde_urlencoded::to_string([("next", req.uri().to_string())]).unwrap_or_default();
        return HttpResponse::SeeOther()
            .insert_header(("Location", format!("/login?{next}")))
            .finish();
    };
    let id = path.into_inner();
    let user = auth.user.id.clone();
    let loaded = state
        .with_db(move |c| {
            let stored = items::get_published(c, &id)?;
            let answered = responses::has_answered(c, &user, &id)?;
            Ok((stored, answered))
        })
        .await;
    let (stored, answered) = match loaded {
        Ok((Some(s), a)) => (s, a),
        Ok((None, _)) => return error_page(&state, &req, StatusCode::NOT_FOUND),
        Err(_) => return error_page(&state, &req, StatusCode::INTERNAL_SERVER_ERROR),
    };
    // A template is shown as its first variant; the key is never part of the view.
    let Ok((shown, _)) = stored.item.instantiate(0) else {
        return error_page(&state, &req, StatusCode::INTERNAL_SERVER_ERROR);
    };
    let mut page = page_of(present(&shown, stored.version, &authored_order));
    page.can_report = answered || auth.is_staff();
    match q.report.as_deref() {
        Some("reported") => page.reported = true,
        Some(other) => page.report_error = Some(other.chars().take(300).collect()),
        None => {}
    }
    let title = page.id.clone();
    render(
        &state,
        &req,
        Some(&auth),
        StatusCode::OK,
        "public_item",
        &title,
        page,
    )
}
