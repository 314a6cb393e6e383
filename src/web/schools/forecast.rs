//! The class forecast, the teacher's view of the learner model: each student's predicted full mock (the
//! same prediction their own dashboard shows), how many of the class are expected to pass, and the
//! knowledge points the class is weakest at (`GET /api/v1/schools/{id}/classes/{class}/forecast`, and
//! the class page).

use actix_web::{HttpResponse, get, web};
use serde::Serialize;

use super::gradebook::{ClassModels, Heatmap, class_models, heatmap};
use crate::adaptive::forecast::Prediction;
use crate::domain::taxonomy::TagCode;
use crate::storage::{attempts, learning};
use crate::web::auth::Auth;
use crate::web::learner::forecast;
use crate::web::{ApiError, AppState};

/// How many of the class's weakest knowledge points are named.
const WEAKEST: usize = 5;

/// One student's predicted full mock.
#[derive(Clone, Debug, Serialize)]
pub struct StudentForecast {
    pub user_id: String,
    pub name: String,
    pub external_id: Option<String>,
    pub answers: u32,
    /// None until the student has answered something: a prediction without evidence says nothing.
    pub predicted: Option<Prediction>,
}

/// A knowledge point the class is weak at.
#[derive(Clone, Debug, Serialize)]
pub struct ClassPoint {
    pub tag: String,
    pub name_zh: String,
    pub name_en: String,
    /// Mean mastery (0–1) over the students who answered on the point.
    pub class_mean: f64,
    /// How many students answered on the point.
    pub students: usize,
    /// Expected points of the point on a full paper.
    pub weight: f64,
}

/// The class forecast.
#[derive(Clone, Debug, Serialize)]
pub struct ClassForecast {
    pub class_id: String,
    pub students: Vec<StudentForecast>,
    /// Students with a prediction.
    pub predicted_students: usize,
    /// The expected number of them passing: the sum of their chances of passing.
    pub expected_passers: f64,
    /// The mean of their predicted totals (of 200).
    pub mean_total: Option<f64>,
    /// The knowledge points on the paper with the lowest mean mastery, weakest first.
    pub weakest: Vec<ClassPoint>,
}

/// The forecast of a class whose learner models are loaded, with its heatmap (whose rows give the weak
/// points).
pub async fn class_forecast(
    state: &AppState,
    models: &ClassModels,
    heat: &Heatmap,
) -> Result<ClassForecast, ApiError> {
    let view = state.learner.get(state).await?;
    let days = i64::from(view.rules.cohort_days);
    let since = crate::storage::now() - time::Duration::days(days);
    let (params, cohort) = state
        .with_db(move |c| {
            Ok((
                learning::all_params(c)?,
                attempts::cohort_passers(c, "full", since)?,
            ))
        })
        .await?;
    let learners = models.learners.clone();
    let exam = view.clone();
    // About 2 ms of CPU per student: off the server's event loop.
    let predictions = web::block(move || {
        learners
            .iter()
            .map(|l| (l.answers > 0).then(|| forecast(&exam, l, &params, &cohort)))
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| ApiError::Internal(format!("class forecast: {e}")))?;
    let students: Vec<StudentForecast> = models
        .students
        .iter()
        .zip(&models.learners)
        .zip(predictions)
        .map(|((s, l), predicted)| StudentForecast {
            user_id: s.user_id.clone(),
            name: s.name.clone(),
            external_id: s.external_id.clone(),
            answers: l.answers,
            predicted,
        })
        .collect();
    let totals: Vec<&Prediction> = students
        .iter()
        .filter_map(|s| s.predicted.as_ref())
        .collect();
    let mut weakest: Vec<ClassPoint> = heat
        .rows
        .iter()
        .filter_map(|r| {
            let weight = TagCode::parse(&r.tag)
                .ok()
                .and_then(|t| view.weights.get(&t).copied())
                .unwrap_or(0.0);
            let class_mean = r.class_mean.filter(|_| weight > 0.0)?;
            Some(ClassPoint {
                students: r.mastery.iter().flatten().count(),
                tag: r.tag.clone(),
                name_zh: r.name_zh.clone(),
                name_en: r.name_en.clone(),
                class_mean,
                weight,
            })
        })
        .collect();
    weakest.sort_by(|a, b| {
        a.class_mean
            .total_cmp(&b.class_mean)
            .then(a.tag.cmp(&b.tag))
    });
    weakest.truncate(WEAKEST);
    Ok(ClassForecast {
        class_id: models.class.id.clone(),
        predicted_students: totals.len(),
        expected_passers: totals.iter().map(|p| p.pass_probability).sum(),
        mean_total: (!totals.is_empty())
            .then(|| totals.iter().map(|p| p.total.mean).sum::<f64>() / totals.len() as f64),
        weakest,
        students,
    })
}

/// One student's line of the forecast on the class page.
#[derive(Serialize)]
pub struct ForecastRow {
    who: String,
    answers: u32,
    predicted: bool,
    a: String,
    b: String,
    total: String,
    low: String,
    high: String,
    pass: String,
    grade: Option<String>,
}

/// A weak point of the class on the class page.
#[derive(Serialize)]
pub struct WeakView {
    tag: String,
    name: String,
    mean: String,
    students: usize,
    weight: String,
}

/// The forecast as the class page shows it.
#[derive(Serialize)]
pub struct ForecastView {
    predicted_students: usize,
    expected_passers: String,
    mean_total: String,
    rows: Vec<ForecastRow>,
    weakest: Vec<WeakView>,
}

/// The forecast with its figures rounded for reading, names in the page's language.
pub fn forecast_view(f: &ClassForecast, zh: bool) -> ForecastView {
    let one = |x: f64| format!("{x:.1}");
    ForecastView {
        predicted_students: f.predicted_students,
        expected_passers: one(f.expected_passers),
        mean_total: f.mean_total.map(one).unwrap_or_default(),
        rows: f
            .students
            .iter()
            .map(|s| {
                let p = s.predicted.as_ref();
                let fig = |g: fn(&Prediction) -> f64| {
                    p.map(|p| format!("{:.0}", g(p))).unwrap_or_default()
                };
                ForecastRow {
                    who: match &s.external_id {
                        Some(no) => format!("{no} {}", s.name),
                        None => s.name.clone(),
                    },
                    answers: s.answers,
                    predicted: p.is_some(),
                    a: fig(|p| p.a.mean),
                    b: fig(|p| p.b.mean),
                    total: fig(|p| p.total.mean),
                    low: fig(|p| p.total.low),
                    high: fig(|p| p.total.high),
                    pass: fig(|p| 100.0 * p.pass_probability),
                    grade: p.and_then(|p| p.grade.clone()),
                }
            })
            .collect(),
        weakest: f
            .weakest
            .iter()
            .map(|w| WeakView {
                tag: w.tag.clone(),
                name: if zh {
                    w.name_zh.clone()
                } else {
                    w.name_en.clone()
                },
                mean: format!("{:.0}", 100.0 * w.class_mean),
                students: w.students,
                weight: one(w.weight),
            })
            .collect(),
    }
}

/// `GET /api/v1/schools/{id}/classes/{class}/forecast`
#[utoipa::path(tag = "schools", params(("id" = String, Path), ("class" = String, Path)), responses((status = 200, description = "Each student's predicted full mock, the class's expected passers and weakest knowledge points"), (status = 404, description = "Not yours", body = crate::web::error::ErrorBody)))]
#[get("/api/v1/schools/{id}/classes/{class}/forecast")]
pub async fn get_forecast(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (sid, cid) = path.into_inner();
    let models = class_models(&state, &auth, &sid, &cid).await?;
    let heat = heatmap(&models);
    Ok(HttpResponse::Ok().json(class_forecast(&state, &models, &heat).await?))
}
