//! Assessments: a teacher gives a class a mock exam — a fresh randomized paper per student or one fixed
//! form from a blueprint, or items they picked — with a window, a time limit, a number of attempts and
//! when keys are shown; and the embed snippet for the course site.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use time::PrimitiveDateTime;

use super::class_in;
use crate::storage::assessments::{self, Assessment, ShowKeys, Source};
use crate::storage::audit;
use crate::web::auth::Auth;
use crate::web::{ApiError, AppState, embed, mocks};

/// A new assessment.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewAssessment {
    pub class_id: String,
    pub title: String,
    /// `fresh` (a randomized paper per student, default), `fixed` (one form for the class) or `items`.
    #[serde(default)]
    pub source: Option<String>,
    /// `full`, `A` or `B` (default `full`); ignored for `items`.
    #[serde(default)]
    pub blueprint: Option<String>,
    /// The picked items' ids, in order (for `items`).
    #[serde(default)]
    pub items: Vec<String>,
    /// The time limit; default the blueprint's (or 2 minutes per picked question).
    #[serde(default)]
    pub minutes: Option<u32>,
    /// When it opens and closes: RFC 3339, or `YYYY-MM-DDTHH:MM` in Beijing time (a form's
    /// datetime-local field).
    pub opens_at: String,
    pub closes_at: String,
    /// Attempts per student (default 1).
    #[serde(default)]
    pub max_attempts: Option<u32>,
    /// `immediately`, `after_close` (default) or `never`.
    #[serde(default)]
    pub show_keys: Option<String>,
}

/// A moment as RFC 3339 or a Beijing `YYYY-MM-DDTHH:MM`, in UTC as the database keeps it.
pub fn parse_moment(field: &str, raw: &str) -> Result<PrimitiveDateTime, ApiError> {
    use time::format_description::well_known::Rfc3339;
    let raw = raw.trim();
    if let Ok(t) = time::OffsetDateTime::parse(raw, &Rfc3339) {
        let utc = t.to_offset(time::UtcOffset::UTC);
        return Ok(PrimitiveDateTime::new(utc.date(), utc.time()));
    }
    let local = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let beijing = time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC);
    PrimitiveDateTime::parse(raw, &local)
        .map(|t| {
            let utc = t.assume_offset(beijing).to_offset(time::UtcOffset::UTC);
            PrimitiveDateTime::new(utc.date(), utc.time())
        })
        .map_err(|_| {
            ApiError::invalid(
                field,
                "a moment is RFC 3339 (2026-12-01T09:00:00+08:00) or YYYY-MM-DDTHH:MM, Beijing time",
            )
        })
}

/// Checks and creates an assessment; for fixed forms and picked items the class's paper is made now.
pub async fn create(
    state: &AppState,
    auth: &Auth,
    school_id: &str,
    new: NewAssessment,
) -> Result<Assessment, ApiError> {
    let (school, _, class) = class_in(state, auth, school_id, &new.class_id).await?;
    let title = new.title.trim().to_owned();
    if title.is_empty() || title.chars().count() > 120 {
        return Err(ApiError::invalid("title", "the title is 1–120 characters"));
    }
    let source = match new.source.as_deref() {
        None | Some("") => Source::Fresh,
        Some(s) => Source::parse(s)
            .ok_or_else(|| ApiError::invalid("source", "source is fresh, fixed or items"))?,
    };
    let show_keys = match new.show_keys.as_deref() {
        None | Some("") => ShowKeys::AfterClose,
        Some(s) => ShowKeys::parse(s).ok_or_else(|| {
            ApiError::invalid(
                "show_keys",
                "show_keys is immediately, after_close or never",
            )
        })?,
    };
    let opens_at = parse_moment("opens_at", &new.opens_at)?;
    let closes_at = parse_moment("closes_at", &new.closes_at)?;
    if closes_at <= opens_at {
        return Err(ApiError::invalid(
            "closes_at",
            "it must close after it opens",
        ));
    }
    let max_attempts = new.max_attempts.unwrap_or(1);
    if !(1..=20).contains(&max_attempts) {
        return Err(ApiError::invalid("max_attempts", "1 to 20 attempts"));
    }
    let pool = state.mocks.pool(state).await?;
    let seed = mocks::random_u64();
    let (blueprint, form, default_minutes) = match source {
        Source::Items => {
            if new.items.is_empty() || new.items.len() > 200 {
                return Err(ApiError::invalid("items", "pick 1 to 200 items"));
            }
            let form = mocks::hand_picked(state, &new.items, 0, seed).await?;
            let minutes = (form.questions.len() as u32 * 2).max(5);
            ("items".to_owned(), Some(form), minutes)
        }
        Source::Fresh | Source::Fixed => {
            let bp = new.blueprint.clone().unwrap_or_else(|| "full".into());
            let Some(b) = pool.blueprints.iter().find(|b| b.id == bp) else {
                return Err(ApiError::invalid("blueprint", "blueprint is full, A or B"));
            };
            let form = match source {
                Source::Fixed => Some(mocks::assemble_form(state, &bp, seed).await?),
                _ => None,
            };
            (bp, form, b.minutes)
        }
    };
    let minutes = new.minutes.unwrap_or(default_minutes);
    if !(1..=600).contains(&minutes) {
        return Err(ApiError::invalid("minutes", "1 to 600 minutes"));
    }
    let a = Assessment {
        id: format!("asm-{}", &crate::auth::new_token()[..16]),
        school_id: school.id,
        class_id: class.id,
        title,
        source,
        blueprint,
        form,
        minutes,
        opens_at,
        closes_at,
        max_attempts,
        show_keys,
        created_by: auth.user.id.clone(),
    };
    let (saved, actor) = (a.clone(), auth.user.id.clone());
    state
        .with_db(move |c| {
            crate::storage::conn::write_tx(c, |c| {
                assessments::create(c, &saved)?;
                audit::log(c, &actor, "create", "assessment", &saved.id, &saved.title)
            })
        })
        .await?;
    Ok(a)
}

/// Questions a drill on one knowledge point aims at.
pub const DRILL_ITEMS: usize = 10;

/// A drill for the class on one knowledge point (the class forecast's weak points offer it): up to
/// [`DRILL_ITEMS`] published items of the point — single questions before cases, in a random order
/// drawn once —, open now for a week, three attempts, keys shown after each.
pub async fn drill(
    state: &AppState,
    auth: &Auth,
    school_id: &str,
    class_id: &str,
    tag: &str,
) -> Result<Assessment, ApiError> {
    let code = crate::domain::taxonomy::TagCode::parse(tag)
        .map_err(|e| ApiError::invalid("tag", e.to_string()))?;
    let pool = state.mocks.pool(state).await?;
    let mut picked: Vec<(bool, u64, String)> = pool
        .items
        .iter()
        .filter(|(item, _)| item.primary_tag().is_some_and(|t| t.is_within(&code)))
        .filter(|(item, _)| item.kind() != crate::domain::item::Kind::Written)
        .map(|(item, _)| {
            let case = matches!(item.body, crate::domain::item::Body::Case(_));
            (case, mocks::random_u64(), item.id.to_string())
        })
        .collect();
    if picked.len() < 3 {
        return Err(ApiError::invalid(
            "tag",
            format!("the bank has too few published items on {tag} for a drill"),
        ));
    }
    picked.sort();
    let items: Vec<String> = picked
        .into_iter()
        .take(DRILL_ITEMS)
        .map(|(_, _, id)| id)
        .collect();
    let taxonomy = state
        .with_db(|c| Ok(crate::storage::documents::load(c)?.taxonomy))
        .await?;
    let name = taxonomy
        .tags()
        .iter()
        .find(|t| t.code == code)
        .map(|t| format!("{} {}", t.name.zh, t.name.en))
        .unwrap_or_default();
    let now = time::OffsetDateTime::now_utc();
    let stamp = |t: time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    };
    let title: String = format!("专项练习 Drill · {tag} {name}")
        .chars()
        .take(120)
        .collect();
    create(
        state,
        auth,
        school_id,
        NewAssessment {
            class_id: class_id.to_owned(),
            title,
            source: Some("items".into()),
            blueprint: None,
            items,
            minutes: None,
            opens_at: stamp(now - time::Duration::minutes(1)),
            closes_at: stamp(now + time::Duration::days(7)),
            max_attempts: Some(3),
            show_keys: Some("immediately".into()),
        },
    )
    .await
}

/// `POST /api/v1/schools/{id}/assessments` → `201` the assessment.
#[utoipa::path(tag = "schools", params(("id" = String, Path)), request_body = NewAssessment, responses((status = 201, description = "Created"), (status = 400, description = "A field is wrong", body = crate::web::error::ErrorBody), (status = 404, description = "Not your school or class", body = crate::web::error::ErrorBody)))]
#[post("/api/v1/schools/{id}/assessments")]
pub async fn post_assessment(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<NewAssessment>,
) -> Result<HttpResponse, ApiError> {
    auth.check_csrf(&req, None)?;
    let a = create(&state, &auth, &path, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(a))
}

/// An assessment of a school the caller may see (404 otherwise).
pub async fn assessment_in(
    state: &AppState,
    auth: &Auth,
    school_id: &str,
    assessment_id: &str,
) -> Result<(crate::storage::schools::School, Assessment), ApiError> {
    let (school, _) = super::scope(state, auth, school_id).await?;
    let aid = assessment_id.to_owned();
    let a = state
        .with_db(move |c| assessments::get_assessment(c, &aid))
        .await?
        .filter(|a| a.school_id == school.id)
        .ok_or(ApiError::NotFound)?;
    Ok((school, a))
}

/// The public base address of this server as the request reached it.
pub fn base_url(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// How to embed an assessment: the link's template, the iframe snippet, and a link for a test student
/// signed now (valid for 300 s).
pub fn embedding(
    base: &str,
    school: &crate::storage::schools::School,
    a: &Assessment,
    now_unix: i64,
) -> serde_json::Value {
    let template = format!(
        "{base}/embed/{}?school={}&student={{student_no}}&name={{name}}&ts={{unix_seconds}}&nonce={{random}}&sig={{hmac_sha256_hex}}",
        a.id, school.id
    );
    let mut params = BTreeMap::new();
    params.insert("school".to_owned(), school.id.clone());
    params.insert("student".to_owned(), "test-student".to_owned());
    params.insert("name".to_owned(), "Test Student".to_owned());
    params.insert("ts".to_owned(), now_unix.to_string());
    params.insert(
        "nonce".to_owned(),
        crate::auth::new_token()[..16].to_owned(),
    );
    let test_link = format!(
        "{base}/embed/{}?{}",
        a.id,
        embed::signed_query(&school.embed_secret, &params)
    );
    let iframe = format!(
        "<iframe src=\"{template}\" style=\"width:100%;height:80vh;border:0\" allow=\"fullscreen\" title=\"tiku\"></iframe>"
    );
    serde_json::json!({
        "link_template": template,
        "iframe": iframe,
        "test_link": test_link,
        "signing": "sig = hex(HMAC-SHA256(embed secret, every parameter but sig sorted by name as name=value, percent-encoded (RFC 3986 unreserved kept), joined by &)); valid 300 s after ts; each nonce once; add origin=https://your.site to have the result announced to that origin only",
        "result_message": "window.addEventListener('message', e => { if (e.data && e.data.type === 'tiku:result') { /* e.data.score, e.data.max, e.data.passed */ } })",
    })
}

/// `GET /api/v1/schools/{id}/assessments/{assessment}`: the assessment and how to embed it.
#[utoipa::path(tag = "schools", params(("id" = String, Path), ("assessment" = String, Path)), responses((status = 200, description = "The assessment"), (status = 404, description = "Not yours", body = crate::web::error::ErrorBody)))]
#[get("/api/v1/schools/{id}/assessments/{assessment}")]
pub async fn get_assessment(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (sid, aid) = path.into_inner();
    let (school, a) = assessment_in(&state, &auth, &sid, &aid).await?;
    let embed = embedding(
        &base_url(&req),
        &school,
        &a,
        time::OffsetDateTime::now_utc().unix_timestamp(),
    );
    Ok(HttpResponse::Ok().json(serde_json::json!({ "assessment": a, "embed": embed })))
}
