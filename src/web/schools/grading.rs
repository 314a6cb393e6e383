//! Grading written answers of an assessment against the rubric (e-mails, translations): the list of
//! written answers with the question, the rubric and the model answer (`GET /api/v1/schools/{id}/
//! assessments/{a}/written`, page `/school/{id}/assessments/{a}/grading`), and a teacher's grade
//! (`POST …/written/{response_id}`, per criterion). A grade replaces the candidate's own assessment,
//! updates the attempt's total and, in the same transaction, queues the new score for the school's
//! webhook and LTI platform.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use super::assessments::assessment_in;
use super::outcome::{self, Event};
use super::pages::{Flash, back, fail, form_user};
use crate::domain::item::Response as Kind;
use crate::domain::scoring::{MarkState, mark_rubric};
use crate::storage::assessments::Assessment;
use crate::storage::schools::School;
use crate::storage::{attempts, audit, responses, schools, users};
use crate::web::auth::{Auth, MaybeAuth};
use crate::web::markdown::to_safe_html;
use crate::web::pages::render;
use crate::web::practice_pages::signed_in;
use crate::web::teach::t;
use crate::web::{ApiError, AppState};

/// One criterion of a rubric.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CriterionView {
    pub zh: String,
    pub en: String,
    pub points: u32,
}

/// A written answer with what grading it needs.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct WrittenAnswer {
    pub response_id: i64,
    pub attempt_id: String,
    pub user_id: String,
    pub student_no: Option<String>,
    pub name: String,
    pub question_id: String,
    pub stem_zh: String,
    pub stem_en: String,
    /// What the student wrote.
    pub answer: String,
    pub max: u32,
    pub rubric: Vec<CriterionView>,
    pub model_answer_zh: String,
    pub model_answer_en: String,
    /// pending, self_assessed or graded.
    pub state: String,
    pub awarded: u32,
}

/// The written answers of the assessment's submitted attempts, those awaiting a grade first.
pub async fn written(
    state: &AppState,
    auth: &Auth,
    school_id: &str,
    assessment_id: &str,
) -> Result<(School, Assessment, Vec<WrittenAnswer>), ApiError> {
    let (school, a) = assessment_in(state, auth, school_id, assessment_id).await?;
    let key = a.id.clone();
    let unmarked = state
        .with_db(move |c| attempts::unmarked_at(c, &key))
        .await?;
    for id in unmarked {
        crate::web::mocks::ensure_marked(state, &id).await?;
    }
    let (aid, sid) = (a.id.clone(), school.id.clone());
    let (answers, people) = state
        .with_db(move |c| {
            let ids: Vec<String> = attempts::of_assessment(c, &aid)?
                .into_iter()
                .map(|x| x.id)
                .collect();
            let answers: Vec<responses::Response> = responses::of_attempts(c, &ids)?
                .into_iter()
                .filter(|r| r.mark.state != MarkState::Auto)
                .collect();
            let mut people = HashMap::new();
            for r in &answers {
                if !people.contains_key(&r.user_id) {
                    let no = schools::external_id(c, &sid, &r.user_id)?;
                    let name = users::get(c, &r.user_id)?.map(|u| u.name);
                    people.insert(r.user_id.clone(), (no, name.unwrap_or_default()));
                }
            }
            Ok((answers, people))
        })
        .await?;
    let mut out = Vec::with_capacity(answers.len());
    for r in answers {
        let item = state.mocks.version(state, &r.item_id, r.version).await?;
        let questions = item.questions();
        let Some((_, q)) = questions.iter().find(|(id, _)| *id == r.question_id) else {
            continue;
        };
        let Kind::Written {
            model_answer,
            rubric,
        } = &q.response
        else {
            continue;
        };
        let (student_no, name) = people.get(&r.user_id).cloned().unwrap_or_default();
        out.push(WrittenAnswer {
            response_id: r.id,
            attempt_id: r.attempt_id.clone().unwrap_or_default(),
            user_id: r.user_id.clone(),
            student_no,
            name,
            question_id: r.question_id.clone(),
            stem_zh: q.stem.zh.clone(),
            stem_en: q.stem.en.clone(),
            answer: r.answer.as_str().unwrap_or_default().to_owned(),
            max: r.mark.max,
            rubric: rubric
                .iter()
                .map(|c| CriterionView {
                    zh: c.text.zh.clone(),
                    en: c.text.en.clone(),
                    points: c.points,
                })
                .collect(),
            model_answer_zh: model_answer.zh.clone(),
            model_answer_en: model_answer.en.clone(),
            state: responses::state_code(r.mark.state).to_owned(),
            awarded: r.mark.awarded,
        });
    }
    out.sort_by_key(|w| (w.state == "graded", w.student_no.clone(), w.response_id));
    Ok((school, a, out))
}

/// A teacher's grade: points per rubric criterion, in the rubric's order.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct Grade {
    pub points: Vec<u32>,
}

/// The attempt's result after a grade.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Graded {
    pub response_id: i64,
    pub awarded: u32,
    pub max: u32,
    pub attempt_id: String,
    pub total: u32,
    pub max_total: u32,
    pub pending_points: u32,
    pub passed: bool,
}

/// Grades the written answer `response_id` of the assessment.
pub async fn grade(
    state: &AppState,
    auth: &Auth,
    school_id: &str,
    assessment_id: &str,
    response_id: i64,
    points: &[u32],
) -> Result<Graded, ApiError> {
    let (_, a) = assessment_in(state, auth, school_id, assessment_id).await?;
    let found = state
        .with_db(move |c| {
            let Some(r) = responses::get(c, response_id)? else {
                return Ok(None);
            };
            let at = match &r.attempt_id {
                Some(id) => attempts::get(c, id)?,
                None => None,
            };
            Ok(at.map(|at| (r, at)))
        })
        .await?;
    let (r, at) = found
        .filter(|(_, at)| at.assessment_id.as_deref() == Some(a.id.as_str()))
        .ok_or(ApiError::NotFound)?;
    let item = state.mocks.version(state, &r.item_id, r.version).await?;
    let questions = item.questions();
    let (_, q) = questions
        .iter()
        .find(|(id, _)| *id == r.question_id)
        .ok_or(ApiError::NotFound)?;
    let mark =
        mark_rubric(q, points, false).map_err(|e| ApiError::invalid("points", e.to_string()))?;
    let rules = state.mocks.pool(state).await?.rules.clone();
    let actor = auth.user.id.clone();
    let blueprint = a.blueprint.clone();
    state
        .with_db(move |c| {
            crate::storage::conn::write_tx(c, |c| {
                if !responses::grade(c, response_id, mark.awarded)? {
                    return Ok(Err(ApiError::Conflict(
                        "this answer is not a written one awaiting a grade".into(),
                    )));
                }
                let scores = crate::web::mocks::refresh_totals(c, &at, &rules)?;
                outcome::enqueue(c, &at, &scores, Event::Rescored)?;
                audit::log(
                    c,
                    &actor,
                    "grade",
                    "response",
                    &response_id.to_string(),
                    &format!("{} of {} points", mark.awarded, mark.max),
                )?;
                Ok(Ok(Graded {
                    response_id,
                    awarded: mark.awarded,
                    max: mark.max,
                    attempt_id: at.id.clone(),
                    total: scores.total,
                    max_total: scores.max_total,
                    pending_points: scores.pending_points,
                    passed: outcome::passes(&blueprint, &scores),
                }))
            })
        })
        .await?
}

/// `GET /api/v1/schools/{id}/assessments/{assessment}/written`
#[utoipa::path(tag = "schools", params(("id" = String, Path), ("assessment" = String, Path)), responses((status = 200, description = "The written answers with their rubric and model answer, those awaiting a grade first", body = [WrittenAnswer]), (status = 404, description = "Not yours", body = crate::web::error::ErrorBody)))]
#[get("/api/v1/schools/{id}/assessments/{assessment}/written")]
pub async fn get_written(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (sid, aid) = path.into_inner();
    let (_, _, list) = written(&state, &auth, &sid, &aid).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// `POST /api/v1/schools/{id}/assessments/{assessment}/written/{response_id}`
#[utoipa::path(tag = "schools", params(("id" = String, Path), ("assessment" = String, Path), ("response_id" = i64, Path)), request_body = Grade, responses((status = 200, description = "Graded; the attempt's new total (sent on to the school's webhook and LTI platform)", body = Graded), (status = 400, description = "Points that do not fit the rubric", body = crate::web::error::ErrorBody), (status = 404, description = "Not an answer of this assessment", body = crate::web::error::ErrorBody)))]
#[post("/api/v1/schools/{id}/assessments/{assessment}/written/{response_id}")]
pub async fn post_grade(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<(String, String, i64)>,
    body: web::Json<Grade>,
) -> Result<HttpResponse, ApiError> {
    auth.check_csrf(&req, None)?;
    let (sid, aid, rid) = path.into_inner();
    let g = grade(&state, &auth, &sid, &aid, rid, &body.points).await?;
    Ok(HttpResponse::Ok().json(g))
}

/// One answer on the grading page, texts in the page's language.
#[derive(Serialize)]
struct AnswerView {
    answer: WrittenAnswer,
    stem: String,
    model_answer: String,
    rubric: Vec<(usize, String, u32)>,
    pending: bool,
}

#[derive(Serialize)]
struct GradingPage {
    school: School,
    assessment: Assessment,
    answers: Vec<AnswerView>,
    pending: usize,
    msg: Option<String>,
    error: Option<String>,
}

/// `GET /school/{id}/assessments/{a}/grading`
pub async fn get_grading_page(
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
    let (school, assessment, list) = match written(&state, &auth, &sid, &aid).await {
        Ok(x) => x,
        Err(e) => return fail(&state, &req, &e),
    };
    let zh = crate::web::i18n::request_lang(&req) == crate::domain::Lang::Zh;
    let pick = |zh_text: &str, en_text: &str| {
        if zh || en_text.is_empty() {
            zh_text.to_owned()
        } else {
            en_text.to_owned()
        }
    };
    let answers: Vec<AnswerView> = list
        .into_iter()
        .map(|w| AnswerView {
            stem: to_safe_html(&pick(&w.stem_zh, &w.stem_en)),
            model_answer: to_safe_html(&pick(&w.model_answer_zh, &w.model_answer_en)),
            rubric: w
                .rubric
                .iter()
                .enumerate()
                .map(|(i, c)| (i, pick(&c.zh, &c.en), c.points))
                .collect(),
            pending: w.state != "graded",
            answer: w,
        })
        .collect();
    let title = t(&state, &req, "grading_title");
    let flash = q.into_inner();
    render(
        &state,
        &req,
        Some(&auth),
        StatusCode::OK,
        "school_grading",
        &title,
        GradingPage {
            pending: answers.iter().filter(|a| a.pending).count(),
            school,
            assessment,
            answers,
            msg: flash.msg,
            error: flash.error,
        },
    )
}

/// `POST /school/{id}/assessments/{a}/grading/{response_id}` (form: `c0`, `c1`, … one per criterion).
pub async fn post_grading_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    path: web::Path<(String, String, i64)>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let pairs = form.into_inner();
    let auth = match form_user(&state, &req, auth, &pairs) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let (sid, aid, rid) = path.into_inner();
    let to = format!("/school/{sid}/assessments/{aid}/grading");
    let mut points = Vec::new();
    for i in 0.. {
        let Some((_, v)) = pairs.iter().find(|(k, _)| *k == format!("c{i}")) else {
            break;
        };
        match v.trim().parse::<u32>() {
            Ok(p) => points.push(p),
            Err(_) => {
                let e = ApiError::invalid(
                    "points",
                    format!("criterion {}: “{v}” is not a whole number of points", i + 1),
                );
                return back(&to, Err(e));
            }
        }
    }
    let result = grade(&state, &auth, &sid, &aid, rid, &points).await;
    match result {
        Err(e @ (ApiError::NotFound | ApiError::Forbidden(_))) => fail(&state, &req, &e),
        Ok(g) => back(
            &to,
            Ok(format!(
                "{} {}/{} · {} {}/{}",
                t(&state, &req, "grading_saved"),
                g.awarded,
                g.max,
                t(&state, &req, "points"),
                g.total,
                g.max_total
            )),
        ),
        Err(e) => back(&to, Err(e)),
    }
}
