//! The candidate's dashboard (`/me/progress`): the knowledge tree coloured by mastery, the five weakest
//! points each with a button that starts a drill on it, the predicted mock result with its intervals and
//! pass chance, the pace toward the test date, and progress over time — all rendered on the server.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::AppState;
use super::auth::MaybeAuth;
use super::charts::{DayPoint, ScoreRow, progress, scores};
use super::i18n::request_lang;
use super::learner::{TagMastery, mastery};
use super::pages::{error_page, render};
use super::practice_pages::signed_in;
use crate::domain::Lang;

#[derive(Serialize)]
struct Point {
    tag: String,
    name: String,
    percent: u32,
    low: u32,
    high: u32,
    /// Hue from red (0) to green (120) by mastery.
    hue: u32,
    answers: u32,
}

#[derive(Serialize)]
struct Chapter {
    #[serde(flatten)]
    point: Point,
    leaves: Vec<Point>,
}

#[derive(Serialize)]
struct Page {
    answers: u32,
    chapters: Vec<Chapter>,
    weakest: Vec<Point>,
    scores_svg: String,
    progress_svg: String,
    pass_percent: u32,
    grade: Option<String>,
    weak_points: usize,
    days_left: Option<i64>,
    per_day: u32,
}

fn pct(x: f64) -> u32 {
    (100.0 * x).round().clamp(0.0, 100.0) as u32
}

fn point(t: &TagMastery, lang: Lang) -> Point {
    Point {
        tag: t.tag.clone(),
        name: if lang == Lang::Zh {
            t.name_zh.clone()
        } else {
            t.name_en.clone()
        },
        percent: pct(t.mastery),
        low: pct(t.low),
        high: pct(t.high),
        hue: (120.0 * t.mastery).round() as u32,
        answers: t.answers,
    }
}

/// `GET /me/progress`
pub async fn get_progress(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
) -> HttpResponse {
    let auth = match signed_in(&req, auth) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let Ok((body, learner)) = mastery(&state, &auth).await else {
        return error_page(&state, &req, StatusCode::INTERNAL_SERVER_ERROR);
    };
    let lang = request_lang(&req);
    let t = |k: &str| super::teach::t(&state, &req, k);
    let mut chapters: Vec<Chapter> = Vec::new();
    for m in &body.tags {
        if m.depth == 0 {
            chapters.push(Chapter {
                point: point(m, lang),
                leaves: Vec::new(),
            });
        } else if let Some(c) = chapters.last_mut() {
            c.leaves.push(point(m, lang));
        }
    }
    let mut leaves: Vec<&TagMastery> = body
        .tags
        .iter()
        .filter(|m| m.depth > 0 && m.weight > 0.0)
        .collect();
    leaves.sort_by(|a, b| a.mastery.total_cmp(&b.mastery).then(a.tag.cmp(&b.tag)));
    let weakest = leaves.into_iter().take(5).map(|m| point(m, lang)).collect();
    let p = &body.predicted;
    let (label_a, label_b, label_total) = (
        t("progress_subject_a"),
        t("progress_subject_b"),
        t("progress_total"),
    );
    let scores_svg = scores(
        &[
            ScoreRow {
                label: &label_a,
                mean: p.a.mean,
                low: p.a.low,
                high: p.a.high,
                max: 100.0,
                pass: 60.0,
            },
            ScoreRow {
                label: &label_b,
                mean: p.b.mean,
                low: p.b.low,
                high: p.b.high,
                max: 100.0,
                pass: 60.0,
            },
            ScoreRow {
                label: &label_total,
                mean: p.total.mean,
                low: p.total.low,
                high: p.total.high,
                max: 200.0,
                pass: 120.0,
            },
        ],
        &t("progress_predicted"),
    );
    let days: Vec<DayPoint> = learner
        .days
        .iter()
        .map(|d| DayPoint {
            answers: d.answers,
            right: d.earned / f64::from(d.answers.max(1)),
            mastery: 1.0
                / (1.0 + (-d.mean / (1.0 + std::f64::consts::PI * d.var / 8.0).sqrt()).exp()),
        })
        .collect();
    let progress_svg = progress(&days, &t("progress_over_time"));
    let title = t("progress_title");
    render(
        &state,
        &req,
        Some(&auth),
        StatusCode::OK,
        "progress",
        &title,
        Page {
            answers: body.answers,
            chapters,
            weakest,
            scores_svg,
            progress_svg,
            pass_percent: pct(p.pass_probability),
            grade: p.grade.clone(),
            weak_points: body.pace.weak_points,
            days_left: body.pace.days_left,
            per_day: body.pace.answers_per_day,
        },
    )
}
