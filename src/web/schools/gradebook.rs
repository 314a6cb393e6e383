//! The gradebook: per assessment, every student on the class list with their best submitted attempt
//! (score, pass, time taken, points by knowledge point), as JSON, CSV or xlsx; the item analysis of the
//! assessment; and the class's weakness heatmap (knowledge points × students) from the learner model.

use std::collections::{BTreeMap, HashMap};

use actix_web::{HttpResponse, get, web};
use serde::{Deserialize, Serialize};

use super::assessments::assessment_in;
use super::class_in;
use crate::adaptive::model::Learner;
use crate::domain::Taxonomy;
use crate::domain::item_stats::{QuestionStats, analyse};
use crate::storage::attempts::{self, Attempt, AttemptStatus};
use crate::storage::{documents, learning, responses, schools};
use crate::web::auth::Auth;
use crate::web::teach::quality::{choice_keys, observe};
use crate::web::{ApiError, AppState};

/// One student's line.
#[derive(Clone, Debug, Serialize)]
pub struct GradeRow {
    pub user_id: String,
    pub student_no: Option<String>,
    pub name: String,
    pub attempts: usize,
    /// The best submitted attempt (highest score, then earliest).
    pub attempt_id: Option<String>,
    pub score: Option<u32>,
    pub max: Option<u32>,
    pub passed: Option<bool>,
    /// Points awaiting a teacher's grading (written answers).
    pub pending_points: Option<u32>,
    pub minutes_taken: Option<f64>,
    pub submitted_at: Option<String>,
    /// Earned and possible points per knowledge point.
    pub by_tag: BTreeMap<String, (u32, u32)>,
}

/// The gradebook of one assessment.
#[derive(Clone, Debug, Serialize)]
pub struct Gradebook {
    pub assessment_id: String,
    pub title: String,
    pub class_id: String,
    pub tags: Vec<String>,
    pub rows: Vec<GradeRow>,
    pub sat: usize,
    pub passed: usize,
    pub mean_score: Option<f64>,
}

/// Builds the gradebook of an assessment (its class list, plus anyone who sat without being on it).
pub async fn gradebook(
    state: &AppState,
    auth: &Auth,
    school_id: &str,
    assessment_id: &str,
) -> Result<(Gradebook, Vec<Attempt>, Vec<responses::Response>), ApiError> {
    let (school, a) = assessment_in(state, auth, school_id, assessment_id).await?;
    let rules = state.mocks.pool(state).await?.rules.clone();
    let key = a.id.clone();
    let unmarked = state
        .with_db(move |c| attempts::unmarked_at(c, &key))
        .await?;
    for id in unmarked {
        crate::web::mocks::ensure_marked(state, &id).await?;
    }
    let (aid, cid, sid) = (a.id.clone(), a.class_id.clone(), school.id.clone());
    let (roster, all, answers, externals) = state
        .with_db(move |c| {
            let all = attempts::of_assessment(c, &aid)?;
            let ids: Vec<String> = all.iter().map(|x| x.id.clone()).collect();
            let answers = responses::of_attempts(c, &ids)?;
            let mut externals = HashMap::new();
            for x in &all {
                if !externals.contains_key(&x.user_id) {
                    let ext = schools::external_id(c, &sid, &x.user_id)?;
                    let name = crate::storage::users::get(c, &x.user_id)?.map(|u| u.name);
                    externals.insert(x.user_id.clone(), (ext, name.unwrap_or_default()));
                }
            }
            Ok((schools::students(c, &cid)?, all, answers, externals))
        })
        .await?;
    let mut by_attempt: HashMap<&str, Vec<responses::Response>> = HashMap::new();
    for r in &answers {
        if let Some(id) = r.attempt_id.as_deref() {
            by_attempt.entry(id).or_default().push(r.clone());
        }
    }
    let mut people: Vec<(String, Option<String>, String)> = roster
        .into_iter()
        .map(|s| (s.user_id, s.external_id, s.name))
        .collect();
    for (user, (ext, name)) in &externals {
        if !people.iter().any(|p| &p.0 == user) {
            people.push((user.clone(), ext.clone(), name.clone()));
        }
    }
    let mut tags = std::collections::BTreeSet::new();
    let mut rows = Vec::new();
    for (user_id, student_no, name) in people {
        let mine: Vec<&Attempt> = all.iter().filter(|x| x.user_id == user_id).collect();
        let best = mine
            .iter()
            .filter(|x| x.status == AttemptStatus::Submitted)
            .map(|x| {
                let s = crate::web::mocks::scores_of(
                    x,
                    by_attempt
                        .get(x.id.as_str())
                        .map_or(&[][..], |v| v.as_slice()),
                    &rules,
                );
                (*x, s)
            })
            .max_by(|(x, s), (y, t)| {
                s.total
                    .cmp(&t.total)
                    .then(y.submitted_at.cmp(&x.submitted_at))
            });
        let mut row = GradeRow {
            user_id,
            student_no,
            name,
            attempts: mine.len(),
            attempt_id: None,
            score: None,
            max: None,
            passed: None,
            pending_points: None,
            minutes_taken: None,
            submitted_at: None,
            by_tag: BTreeMap::new(),
        };
        if let Some((x, s)) = best {
            row.attempt_id = Some(x.id.clone());
            row.score = Some(s.total);
            row.max = Some(s.max_total);
            row.passed = Some(super::outcome::passes(&a.blueprint, &s));
            row.pending_points = Some(s.pending_points);
            row.minutes_taken = x.submitted_at.map(|t| {
                let m = (t - x.started_at).whole_seconds().max(0) as f64 / 60.0;
                (m * 10.0).round() / 10.0
            });
            row.submitted_at = x.submitted_at.map(|t| t.to_string());
            for t in &s.by_tag {
                tags.insert(t.tag.clone());
                row.by_tag.insert(t.tag.clone(), (t.score, t.max));
            }
        }
        rows.push(row);
    }
    rows.sort_by(|a, b| a.student_no.cmp(&b.student_no).then(a.name.cmp(&b.name)));
    let scores: Vec<u32> = rows.iter().filter_map(|r| r.score).collect();
    let book = Gradebook {
        assessment_id: a.id.clone(),
        title: a.title.clone(),
        class_id: a.class_id.clone(),
        tags: tags.into_iter().collect(),
        sat: scores.len(),
        passed: rows.iter().filter(|r| r.passed == Some(true)).count(),
        mean_score: (!scores.is_empty())
            .then(|| f64::from(scores.iter().sum::<u32>()) / scores.len() as f64),
        rows,
    };
    Ok((book, all, answers))
}

/// The gradebook as a table: a header and one line per student.
pub fn table(book: &Gradebook) -> Vec<Vec<String>> {
    let mut header: Vec<String> = [
        "学号 student_no",
        "姓名 name",
        "attempts",
        "score",
        "max",
        "passed",
        "pending_points",
        "minutes",
        "submitted_at",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    header.extend(book.tags.iter().cloned());
    let mut out = vec![header];
    for r in &book.rows {
        let opt = |v: Option<String>| v.unwrap_or_default();
        let mut line = vec![
            opt(r.student_no.clone()),
            r.name.clone(),
            r.attempts.to_string(),
            opt(r.score.map(|s| s.to_string())),
            opt(r.max.map(|s| s.to_string())),
            opt(r.passed.map(|p| if p { "yes" } else { "no" }.to_owned())),
            opt(r.pending_points.map(|s| s.to_string())),
            opt(r.minutes_taken.map(|s| s.to_string())),
            opt(r.submitted_at.clone()),
        ];
        for t in &book.tags {
            line.push(
                r.by_tag
                    .get(t)
                    .map(|(s, m)| format!("{s}/{m}"))
                    .unwrap_or_default(),
            );
        }
        out.push(line);
    }
    out
}

/// CSV, UTF-8 with a byte-order mark (so spreadsheet programs read the Chinese names).
pub fn to_csv(table: &[Vec<String>]) -> Result<Vec<u8>, String> {
    let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    for line in table {
        w.write_record(line).map_err(|e| e.to_string())?;
    }
    w.into_inner().map_err(|e| e.to_string())
}

/// An xlsx workbook with the table on one sheet, numbers as numbers.
pub fn to_xlsx(name: &str, table: &[Vec<String>]) -> Result<Vec<u8>, String> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name(name).map_err(|e| e.to_string())?;
    for (r, line) in table.iter().enumerate() {
        for (c, cell) in line.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            if r == 0 {
                sheet
                    .write_string_with_format(r, c, cell, &bold)
                    .map_err(|e| e.to_string())?;
            } else if let Ok(n) = cell.parse::<f64>() {
                sheet.write_number(r, c, n).map_err(|e| e.to_string())?;
            } else {
                sheet.write_string(r, c, cell).map_err(|e| e.to_string())?;
            }
        }
    }
    sheet.set_freeze_panes(1, 2).map_err(|e| e.to_string())?;
    book.save_to_buffer().map_err(|e| e.to_string())
}

#[derive(Deserialize)]
pub struct FormatQuery {
    /// `json` (default), `csv` or `xlsx`.
    #[serde(default)]
    pub format: Option<String>,
}

/// Sends a table as the format asked for.
pub fn export(
    format: Option<&str>,
    file: &str,
    json: impl Serialize,
    table: &[Vec<String>],
) -> Result<HttpResponse, ApiError> {
    match format.unwrap_or("json") {
        "json" => Ok(HttpResponse::Ok().json(json)),
        "csv" => {
            let bytes = to_csv(table).map_err(ApiError::Internal)?;
            Ok(HttpResponse::Ok()
                .content_type("text/csv; charset=utf-8")
                .insert_header((
                    "Content-Disposition",
                    format!("attachment; filename=\"{file}.csv\""),
                ))
                .body(bytes))
        }
        "xlsx" => {
            let bytes = to_xlsx("gradebook", table).map_err(ApiError::Internal)?;
            Ok(HttpResponse::Ok()
                .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                .insert_header((
                    "Content-Disposition",
                    format!("attachment; filename=\"{file}.xlsx\""),
                ))
                .body(bytes))
        }
        _ => Err(ApiError::invalid("format", "format is json, csv or xlsx")),
    }
}

/// `GET /api/v1/schools/{id}/assessments/{assessment}/gradebook?format=json|csv|xlsx`
#[utoipa::path(tag = "schools", params(("id" = String, Path), ("assessment" = String, Path)), responses((status = 200, description = "The gradebook"), (status = 404, description = "Not yours", body = crate::web::error::ErrorBody)))]
#[get("/api/v1/schools/{id}/assessments/{assessment}/gradebook")]
pub async fn get_gradebook(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
    q: web::Query<FormatQuery>,
) -> Result<HttpResponse, ApiError> {
    let (sid, aid) = path.into_inner();
    let (book, _, _) = gradebook(&state, &auth, &sid, &aid).await?;
    let t = table(&book);
    export(q.format.as_deref(), &format!("gradebook-{aid}"), &book, &t)
}

/// The item analysis of an assessment's attempts and answers (as [`gradebook`] loaded them): per
/// question, facility, discrimination and option counts.
pub async fn item_analysis(
    state: &AppState,
    all: &[Attempt],
    answers: &[responses::Response],
) -> Result<BTreeMap<String, QuestionStats>, ApiError> {
    let mut versions = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for x in all {
        for q in &x.paper.questions {
            if seen.insert((q.item_id.clone(), q.version)) {
                versions.push(state.mocks.version(state, &q.item_id, q.version).await?);
            }
        }
    }
    let keys = choice_keys(versions.iter().map(|v| v.as_ref()));
    Ok(analyse(&observe(answers, &keys), &keys))
}

/// `GET /api/v1/schools/{id}/assessments/{assessment}/items`: the item analysis.
#[utoipa::path(tag = "schools", params(("id" = String, Path), ("assessment" = String, Path)), responses((status = 200, description = "Per question: facility, point-biserial, upper–lower, options, flags")))]
#[get("/api/v1/schools/{id}/assessments/{assessment}/items")]
pub async fn get_item_analysis(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (sid, aid) = path.into_inner();
    let (_, all, answers) = gradebook(&state, &auth, &sid, &aid).await?;
    let stats = item_analysis(&state, &all, &answers).await?;
    Ok(HttpResponse::Ok().json(stats))
}

/// One knowledge point's row of the heatmap.
#[derive(Clone, Debug, Serialize)]
pub struct HeatRow {
    pub tag: String,
    pub name_zh: String,
    pub name_en: String,
    pub depth: usize,
    /// Each student's mastery (0–1), in the order of `students`; `None` without any answer there.
    pub mastery: Vec<Option<f64>>,
    /// The class's mean over students with answers.
    pub class_mean: Option<f64>,
}

/// The class's weakness heatmap.
#[derive(Clone, Debug, Serialize)]
pub struct Heatmap {
    pub class_id: String,
    pub students: Vec<schools::Student>,
    pub rows: Vec<HeatRow>,
}

/// A class's students with their learner models, and the taxonomy to read them by.
pub struct ClassModels {
    pub school: schools::School,
    pub class: schools::Class,
    pub students: Vec<schools::Student>,
    pub learners: Vec<Learner>,
    pub taxonomy: Taxonomy,
}

/// The learner models of the class `class_id` of school `school_id`, as the caller may see them (404
/// when the class is not theirs).
pub async fn class_models(
    state: &AppState,
    auth: &Auth,
    school_id: &str,
    class_id: &str,
) -> Result<ClassModels, ApiError> {
    let (school, _, class) = class_in(state, auth, school_id, class_id).await?;
    let cid = class.id.clone();
    let (students, learners, taxonomy) = state
        .with_db(move |c| {
            let students = schools::students(c, &cid)?;
            let mut learners = Vec::with_capacity(students.len());
            for s in &students {
                learners.push(learning::learner(c, &s.user_id)?);
            }
            Ok((students, learners, documents::load(c)?.taxonomy))
        })
        .await?;
    Ok(ClassModels {
        school,
        class,
        students,
        learners,
        taxonomy,
    })
}

/// Knowledge points × students from each student's learner model, in taxonomy order.
pub fn heatmap(models: &ClassModels) -> Heatmap {
    let mut rows: Vec<HeatRow> = models
        .taxonomy
        .tags()
        .iter()
        .map(|t| {
            let mastery: Vec<Option<f64>> = models
                .learners
                .iter()
                .map(|l| {
                    let answered = l.nodes.get(t.code.as_str()).is_some_and(|n| n.answers > 0);
                    answered.then(|| l.mastery(&t.code).0)
                })
                .collect();
            let known: Vec<f64> = mastery.iter().flatten().copied().collect();
            HeatRow {
                tag: t.code.to_string(),
                name_zh: t.name.zh.clone(),
                name_en: t.name.en.clone(),
                depth: t.code.as_str().matches('.').count(),
                class_mean: (!known.is_empty())
                    .then(|| known.iter().sum::<f64>() / known.len() as f64),
                mastery,
            }
        })
        .collect();
    // Knowledge points (not chapters) in taxonomy order; the weakest are easy to spot by colour.
    rows.retain(|r| r.depth > 0);
    Heatmap {
        class_id: models.class.id.clone(),
        students: models.students.clone(),
        rows,
    }
}

/// `GET /api/v1/schools/{id}/classes/{class}/heatmap`
#[utoipa::path(tag = "schools", params(("id" = String, Path), ("class" = String, Path)), responses((status = 200, description = "Mastery per knowledge point and student")))]
#[get("/api/v1/schools/{id}/classes/{class}/heatmap")]
pub async fn get_heatmap(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (sid, cid) = path.into_inner();
    let models = class_models(&state, &auth, &sid, &cid).await?;
    Ok(HttpResponse::Ok().json(heatmap(&models)))
}

/// The class's gradebook: every assessment of the class × its students (best scores).
pub async fn class_gradebook(
    state: &AppState,
    auth: &Auth,
    school_id: &str,
    class_id: &str,
) -> Result<(Vec<Vec<String>>, serde_json::Value), ApiError> {
    let (_, _, class) = class_in(state, auth, school_id, class_id).await?;
    let cid = class.id.clone();
    let list = state
        .with_db(move |c| crate::storage::assessments::of_class(c, &cid))
        .await?;
    let mut books = Vec::new();
    for a in list.iter().rev() {
        books.push(gradebook(state, auth, school_id, &a.id).await?.0);
    }
    let mut header = vec!["学号 student_no".to_owned(), "姓名 name".to_owned()];
    header.extend(books.iter().map(|b| b.title.clone()));
    let mut lines: BTreeMap<(Option<String>, String, String), Vec<String>> = BTreeMap::new();
    for (i, b) in books.iter().enumerate() {
        for r in &b.rows {
            let line = lines
                .entry((r.student_no.clone(), r.name.clone(), r.user_id.clone()))
                .or_insert_with(|| vec![String::new(); books.len()]);
            if let (Some(s), Some(m)) = (r.score, r.max) {
                line[i] = format!("{s}/{m}");
            }
        }
    }
    let mut table = vec![header];
    for ((no, name, _), cells) in lines {
        let mut l = vec![no.unwrap_or_default(), name];
        l.extend(cells);
        table.push(l);
    }
    let json = serde_json::json!({ "class": class, "assessments": books });
    Ok((table, json))
}

/// `GET /api/v1/schools/{id}/classes/{class}/gradebook?format=json|csv|xlsx`
#[utoipa::path(tag = "schools", params(("id" = String, Path), ("class" = String, Path)), responses((status = 200, description = "Every assessment of the class")))]
#[get("/api/v1/schools/{id}/classes/{class}/gradebook")]
pub async fn get_class_gradebook(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
    q: web::Query<FormatQuery>,
) -> Result<HttpResponse, ApiError> {
    let (sid, cid) = path.into_inner();
    let (table, json) = class_gradebook(&state, &auth, &sid, &cid).await?;
    export(q.format.as_deref(), &format!("class-{cid}"), json, &table)
}
