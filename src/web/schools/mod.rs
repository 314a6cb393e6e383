//! Schools (../shared/api.md "Schools and embedding"): an admin creates a school and its school_admin;
//! school admins add staff and classes, import class lists and set the webhook; teachers give
//! assessments and read the gradebook. A school's staff see only their school: anything else is 404.

pub mod assessments;
pub mod forecast;
pub mod gradebook;
pub mod grading;
pub mod outcome;
pub mod pages;
pub mod roster;

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use serde::Deserialize;
use time::Date;

use super::auth::Auth;
use super::{ApiError, AppState};
use crate::domain::identity;
use crate::domain::user::Role;
use crate::storage::schools::{self, School};
use crate::storage::users::NewUser;
use crate::storage::{StorageError, audit};

/// What the caller may do in a school.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Power {
    /// tiku's own administrators: every school.
    Admin,
    /// The school's administrator: staff, classes, settings, and everything teachers do.
    SchoolAdmin,
    /// The school's teachers: classes, assessments, results.
    Teacher,
}

impl Power {
    pub fn manages(self) -> bool {
        matches!(self, Power::Admin | Power::SchoolAdmin)
    }
}

/// The school `id` as the caller may see it, and what they may do there; 404 when it is not theirs
/// (whether or not it exists).
pub async fn scope(state: &AppState, auth: &Auth, id: &str) -> Result<(School, Power), ApiError> {
    let (user, role, key) = (auth.user.id.clone(), auth.user.role, id.to_owned());
    let found = state
        .with_db(move |c| {
            let own = schools::school_of(c, &user)?;
            Ok(schools::get(c, &key)?.map(|s| (s, own)))
        })
        .await?;
    let Some((school, own)) = found else {
        return Err(ApiError::NotFound);
    };
    let power = match role {
        Role::Admin => Power::Admin,
        Role::SchoolAdmin if own.as_deref() == Some(school.id.as_str()) => Power::SchoolAdmin,
        Role::Teacher if own.as_deref() == Some(school.id.as_str()) => Power::Teacher,
        _ => return Err(ApiError::NotFound),
    };
    Ok((school, power))
}

/// Like [`scope`], but only for those who manage the school (403 for its teachers).
pub async fn manage(state: &AppState, auth: &Auth, id: &str) -> Result<School, ApiError> {
    let (school, power) = scope(state, auth, id).await?;
    if !power.manages() {
        return Err(ApiError::Forbidden(
            "only the school's administrator may do this".into(),
        ));
    }
    Ok(school)
}

/// The school of a staff member (for pages that start from "my school").
pub async fn own_school(state: &AppState, auth: &Auth) -> Result<Option<String>, ApiError> {
    let user = auth.user.id.clone();
    state.with_db(move |c| schools::school_of(c, &user)).await
}

/// A new staff account.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewStaff {
    pub login: String,
    pub name: String,
    pub password: String,
    #[serde(default)]
    pub email: Option<String>,
    /// `teacher` (default) or `school_admin`.
    #[serde(default)]
    pub role: Option<Role>,
}

fn check_staff(s: &NewStaff) -> Result<(Role, String), ApiError> {
    let role = s.role.unwrap_or(Role::Teacher);
    if !matches!(role, Role::Teacher | Role::SchoolAdmin) {
        return Err(ApiError::invalid(
            "role",
            "a school's staff are teachers or school administrators",
        ));
    }
    let login = s.login.trim();
    if login.len() < 3
        || login.len() > 40
        || !login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Err(ApiError::invalid(
            "login",
            "a login is 3–40 letters, digits, dots, dashes or underscores",
        ));
    }
    identity::name(&s.name).map_err(|e| ApiError::invalid("name", e.message))?;
    identity::password(&s.password).map_err(|e| ApiError::invalid("password", e.message))?;
    if let Some(e) = &s.email {
        identity::email(e).map_err(|e| ApiError::invalid("email", e.message))?;
    }
    let hash = crate::auth::hash_password(&s.password).map_err(ApiError::Internal)?;
    Ok((role, hash))
}

/// A new school and its first administrator.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewSchool {
    pub name: String,
    /// The licence's last day (YYYY-MM-DD): its students practise without the individual fee.
    #[serde(default)]
    pub licence_until: Option<String>,
    pub admin: NewStaff,
}

fn parse_date(field: &str, raw: Option<&str>) -> Result<Option<Date>, ApiError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(None),
        Some(r) => Date::parse(r, &format)
            .map(Some)
            .map_err(|_| ApiError::invalid(field, "a date is written YYYY-MM-DD")),
    }
}

/// Creates a school with its administrator (tiku's admins only).
pub async fn create_school(
    state: &AppState,
    auth: &Auth,
    new: NewSchool,
) -> Result<(School, String), ApiError> {
    auth.require(&[Role::Admin])?;
    let name = new.name.trim().to_owned();
    if name.chars().count() < 2 || name.chars().count() > 80 {
        return Err(ApiError::invalid(
            "name",
            "a school's name is 2–80 characters",
        ));
    }
    let licence = parse_date("licence_until", new.licence_until.as_deref())?;
    let mut admin = new.admin;
    admin.role = Some(Role::SchoolAdmin);
    let (role, hash) = check_staff(&admin)?;
    let actor = auth.user.id.clone();
    state
        .with_db(move |c| {
            crate::storage::conn::write_tx(c, |c| {
                let school = schools::create(c, &name, licence)?;
                let user = schools::create_member(
                    c,
                    &school.id,
                    &NewUser {
                        role,
                        login: Some(admin.login.trim()),
                        email: admin.email.as_deref(),
                        phone: None,
                        name: admin.name.trim(),
                        password_hash: &hash,
                    },
                    None,
                )?;
                audit::log(c, &actor, "create", "school", &school.id, &name)?;
                Ok((school, user.id))
            })
        })
        .await
}

/// `POST /api/v1/schools` (admin): a school and its school_admin → `201 {id, admin_id}`.
#[utoipa::path(tag = "schools", request_body = NewSchool, responses((status = 201, description = "Created"), (status = 400, description = "A field is wrong", body = super::error::ErrorBody), (status = 409, description = "The login is taken", body = super::error::ErrorBody)))]
#[post("/api/v1/schools")]
pub async fn post_school(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    body: web::Json<NewSchool>,
) -> Result<HttpResponse, ApiError> {
    auth.check_csrf(&req, None)?;
    let (school, admin) = create_school(&state, &auth, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "id": school.id, "admin_id": admin })))
}

/// The schools the caller may see: every one for tiku's admins, their own for a school's staff.
#[utoipa::path(tag = "schools", responses((status = 200, description = "The schools")))]
#[get("/api/v1/schools")]
pub async fn get_schools(state: web::Data<AppState>, auth: Auth) -> Result<HttpResponse, ApiError> {
    auth.require(&[Role::Admin, Role::SchoolAdmin, Role::Teacher])?;
    let (user, role) = (auth.user.id.clone(), auth.user.role);
    let list = state
        .with_db(move |c| {
            if role == Role::Admin {
                return schools::all(c);
            }
            Ok(match schools::school_of(c, &user)? {
                Some(id) => schools::get(c, &id)?.into_iter().collect(),
                None => Vec::new(),
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// A school with its staff and classes; its administrators also see the embed secret.
#[utoipa::path(tag = "schools", params(("id" = String, Path)), responses((status = 200, description = "The school"), (status = 404, description = "Not yours", body = super::error::ErrorBody)))]
#[get("/api/v1/schools/{id}")]
pub async fn get_school(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (school, power) = scope(&state, &auth, &path).await?;
    let sid = school.id.clone();
    let (members, classes) = state
        .with_db(move |c| Ok((schools::members(c, &sid)?, schools::classes(c, &sid)?)))
        .await?;
    let staff: Vec<_> = members
        .into_iter()
        .filter(|m| m.role != Role::Candidate)
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "id": school.id,
        "name": school.name,
        "webhook_url": school.webhook_url,
        "licence_until": school.licence_until.map(|d| d.to_string()),
        "embed_secret": power.manages().then_some(&school.embed_secret),
        "staff": staff,
        "classes": classes,
    })))
}

/// A school's settings.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct SchoolSettings {
    /// Where results are posted (https, or http on a private test host); empty to stop.
    #[serde(default)]
    pub webhook_url: Option<String>,
    /// The licence's last day (tiku's admins only).
    #[serde(default)]
    pub licence_until: Option<String>,
}

/// Checks a webhook address.
pub fn check_webhook(raw: &str) -> Result<Option<String>, ApiError> {
    let url = raw.trim();
    if url.is_empty() {
        return Ok(None);
    }
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() <= 500
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if !ok {
        return Err(ApiError::invalid(
            "webhook_url",
            "the webhook is an http(s) address",
        ));
    }
    Ok(Some(url.to_owned()))
}

/// `PATCH /api/v1/schools/{id}`: the webhook (school admin) and the licence (tiku's admins).
#[utoipa::path(tag = "schools", params(("id" = String, Path)), request_body = SchoolSettings, responses((status = 200, description = "Saved")))]
#[patch("/api/v1/schools/{id}")]
pub async fn patch_school(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<SchoolSettings>,
) -> Result<HttpResponse, ApiError> {
    auth.check_csrf(&req, None)?;
    let school = manage(&state, &auth, &path).await?;
    let body = body.into_inner();
    let webhook = match &body.webhook_url {
        Some(w) => check_webhook(w)?,
        None => school.webhook_url.clone(),
    };
    let licence = match &body.licence_until {
        Some(raw) => {
            auth.require(&[Role::Admin])?;
            parse_date("licence_until", Some(raw))?
        }
        None => school.licence_until,
    };
    let (sid, actor) = (school.id.clone(), auth.user.id.clone());
    state
        .with_db(move |c| {
            crate::storage::conn::write_tx(c, |c| {
                schools::update(c, &sid, webhook.as_deref(), licence)?;
                audit::log(c, &actor, "settings", "school", &sid, "")
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "id": school.id })))
}

/// `POST /api/v1/schools/{id}/secret` (school admin): a new embed secret; the old one stops working.
#[utoipa::path(tag = "schools", params(("id" = String, Path)), responses((status = 200, description = "The new secret")))]
#[post("/api/v1/schools/{id}/secret")]
pub async fn post_secret(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.check_csrf(&req, None)?;
    let school = manage(&state, &auth, &path).await?;
    let actor = auth.user.id.clone();
    let secret = state
        .with_db(move |c| {
            crate::storage::conn::write_tx(c, |c| {
                let s = schools::rotate_secret(c, &school.id)?;
                audit::log(c, &actor, "secret", "school", &school.id, "rotated")?;
                Ok(s)
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "embed_secret": secret })))
}

/// Adds a teacher (or another administrator) to the school.
pub async fn add_staff(
    state: &AppState,
    auth: &Auth,
    school_id: &str,
    new: NewStaff,
) -> Result<String, ApiError> {
    let school = manage(state, auth, school_id).await?;
    let (role, hash) = check_staff(&new)?;
    let actor = auth.user.id.clone();
    state
        .with_db(move |c| {
            crate::storage::conn::write_tx(c, |c| {
                let user = match schools::create_member(
                    c,
                    &school.id,
                    &NewUser {
                        role,
                        login: Some(new.login.trim()),
                        email: new.email.as_deref(),
                        phone: None,
                        name: new.name.trim(),
                        password_hash: &hash,
                    },
                    None,
                ) {
                    Ok(u) => u,
                    Err(StorageError::Conflict(m)) => return Ok(Err(ApiError::Conflict(m))),
                    Err(e) => return Err(e),
                };
                audit::log(c, &actor, "staff", "school", &school.id, &user.id)?;
                Ok(Ok(user.id))
            })
        })
        .await?
}

/// `POST /api/v1/schools/{id}/staff` (school admin) → `201 {id}`.
#[utoipa::path(tag = "schools", params(("id" = String, Path)), request_body = NewStaff, responses((status = 201, description = "Created"), (status = 409, description = "The login is taken", body = super::error::ErrorBody)))]
#[post("/api/v1/schools/{id}/staff")]
pub async fn post_staff(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<NewStaff>,
) -> Result<HttpResponse, ApiError> {
    auth.check_csrf(&req, None)?;
    let id = add_staff(&state, &auth, &path, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "id": id })))
}

/// A new class.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewClass {
    pub name: String,
    /// The class's teacher (a teacher of the school); default the caller when they are a teacher.
    #[serde(default)]
    pub teacher_id: Option<String>,
}

/// Creates a class in the school.
pub async fn add_class(
    state: &AppState,
    auth: &Auth,
    school_id: &str,
    new: NewClass,
) -> Result<schools::Class, ApiError> {
    let (school, power) = scope(state, auth, school_id).await?;
    let name = new.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(ApiError::invalid(
            "name",
            "the class name is 1–60 characters",
        ));
    }
    let teacher = match (new.teacher_id, power) {
        (Some(t), _) => Some(t),
        (None, Power::Teacher) => Some(auth.user.id.clone()),
        (None, _) => None,
    };
    let actor = auth.user.id.clone();
    state
        .with_db(move |c| {
            if let Some(t) = &teacher {
                let theirs = schools::school_of(c, t)?.as_deref() == Some(school.id.as_str());
                let is_staff = crate::storage::users::get(c, t)?
                    .is_some_and(|u| matches!(u.role, Role::Teacher | Role::SchoolAdmin));
                if !theirs || !is_staff {
                    return Ok(Err(ApiError::invalid(
                        "teacher_id",
                        "the teacher is not on this school's staff",
                    )));
                }
            }
            crate::storage::conn::write_tx(c, |c| {
                match schools::create_class(c, &school.id, &name, teacher.as_deref()) {
                    Ok(class) => {
                        audit::log(c, &actor, "create", "class", &class.id, &name)?;
                        Ok(Ok(class))
                    }
                    Err(StorageError::Conflict(m)) => Ok(Err(ApiError::Conflict(m))),
                    Err(e) => Err(e),
                }
            })
        })
        .await?
}

/// `POST /api/v1/schools/{id}/classes` → `201` the class.
#[utoipa::path(tag = "schools", params(("id" = String, Path)), request_body = NewClass, responses((status = 201, description = "Created"), (status = 409, description = "The name is taken", body = super::error::ErrorBody)))]
#[post("/api/v1/schools/{id}/classes")]
pub async fn post_class(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<NewClass>,
) -> Result<HttpResponse, ApiError> {
    auth.check_csrf(&req, None)?;
    let class = add_class(&state, &auth, &path, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(class))
}

/// A class of a school the caller may see (404 otherwise).
pub async fn class_in(
    state: &AppState,
    auth: &Auth,
    school_id: &str,
    class_id: &str,
) -> Result<(School, Power, schools::Class), ApiError> {
    let (school, power) = scope(state, auth, school_id).await?;
    let (sid, cid) = (school.id.clone(), class_id.to_owned());
    let class = state
        .with_db(move |c| schools::class_of(c, &sid, &cid))
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok((school, power, class))
}

/// `GET /api/v1/schools/{id}/classes/{class}`: the class, its students and its assessments.
#[utoipa::path(tag = "schools", params(("id" = String, Path), ("class" = String, Path)), responses((status = 200, description = "The class"), (status = 404, description = "Not yours", body = super::error::ErrorBody)))]
#[get("/api/v1/schools/{id}/classes/{class}")]
pub async fn get_class(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (sid, cid) = path.into_inner();
    let (_, _, class) = class_in(&state, &auth, &sid, &cid).await?;
    let key = class.id.clone();
    let (students, assessments) = state
        .with_db(move |c| {
            Ok((
                schools::students(c, &key)?,
                crate::storage::assessments::of_class(c, &key)?,
            ))
        })
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "class": class,
        "students": students,
        "assessments": assessments,
    })))
}
