//! Candidates: registration (`POST /api/v1/candidates`), their own details, photo and access, the exam's
//! sittings and registering for one (`POST /api/v1/candidates/me/registrations`, which opens the order
//! for the exam fee).

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use base64::Engine;
use serde::{Deserialize, Serialize};

use super::access::entitlement;
use super::auth::Auth;
use super::{ApiError, AppState, beijing_today};
use crate::auth;
use crate::domain::access::{Access, Sitting};
use crate::domain::identity::{self, FieldError};
use crate::domain::user::Role;
use crate::storage::candidates::{self, NewCandidate, RegisterError};
use crate::storage::sittings::{self, Registration, RegistrationError};

/// A registration as the API and the form receive it.
#[derive(Deserialize, utoipa::ToSchema, Default)]
pub struct NewCandidateBody {
    pub name: String,
    /// An 18-character PRC resident identity number (GB 11643 check digit).
    pub id_number: String,
    pub phone: String,
    pub email: String,
    pub password: String,
    /// The 2-inch ID photo (JPEG or PNG, 35:54), base64; may also be uploaded later.
    #[serde(default)]
    pub photo_base64: Option<String>,
}

/// Checks every field, collecting every problem.
pub fn check_registration(
    body: &NewCandidateBody,
    photo: Option<&[u8]>,
) -> Result<(String, identity::IdNumber, String, String), Vec<FieldError>> {
    let today = beijing_today();
    let mut errors = Vec::new();
    let name = identity::name(&body.name).map_err(|e| errors.push(e)).ok();
    let id = identity::id_number(&body.id_number, today)
        .map_err(|e| errors.push(e))
        .ok();
    let phone = identity::phone(&body.phone)
        .map_err(|e| errors.push(e))
        .ok();
    let email = identity::email(&body.email)
        .map_err(|e| errors.push(e))
        .ok();
    if let Err(e) = identity::password(&body.password) {
        errors.push(e);
    }
    if let Some(bytes) = photo
        && let Err(e) = identity::photo(bytes)
    {
        errors.push(e);
    }
    match (name, id, phone, email) {
        (Some(n), Some(i), Some(p), Some(e)) if errors.is_empty() => Ok((n, i, p, e)),
        _ => Err(errors),
    }
}

/// Registers a candidate; returns the new account's id.
pub async fn register(
    state: &AppState,
    body: NewCandidateBody,
    photo: Option<Vec<u8>>,
) -> Result<String, ApiError> {
    let (name, id, phone, email) =
        check_registration(&body, photo.as_deref()).map_err(ApiError::Fields)?;
    let mime = photo
        .as_deref()
        .and_then(|p| identity::photo(p).ok())
        .map(|p| p.format.mime());
    let password = body.password;
    let hash = web::block(move || auth::hash_password(&password))
        .await?
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let result = web::block({
        let db = state.db.clone();
        move || -> Result<Result<String, RegisterError>, crate::storage::StorageError> {
            let mut c = db.conn()?;
            Ok(candidates::register(
                &mut c,
                &NewCandidate {
                    name: &name,
                    email: &email,
                    phone: &phone,
                    password_hash: &hash,
                    id_number: &id.number,
                    birth_date: id.birth_date,
                    photo: photo.as_deref().zip(mime),
                },
            )
            .map(|u| u.id))
        }
    })
    .await??;
    match result {
        Ok(id) => Ok(id),
        Err(RegisterError::Taken(field)) => Err(ApiError::Fields(vec![FieldError {
            field,
            message: format!("this {} is already registered", field.replace('_', " ")),
        }])),
        Err(RegisterError::Storage(e)) => Err(e.into()),
    }
}

/// `POST /api/v1/candidates` → `201 {"id"}`.
#[utoipa::path(
    tag = "candidates",
    request_body = NewCandidateBody,
    responses(
        (status = 201, description = "Registered"),
        (status = 400, description = "Every field at fault, under `fields`", body = super::error::ErrorBody)
    )
)]
#[post("/api/v1/candidates")]
pub async fn post_candidate(
    state: web::Data<AppState>,
    body: web::Json<NewCandidateBody>,
) -> Result<HttpResponse, ApiError> {
    let mut body = body.into_inner();
    let photo = match body.photo_base64.take() {
        Some(b64) => Some(
            base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|_| ApiError::invalid("photo", "the photo is not valid base64"))?,
        ),
        None => None,
    };
    let id = register(&state, body, photo).await?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "id": id })))
}

/// A candidate's view of themselves.
#[derive(Serialize)]
pub struct Me {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Masked: only the first 3 and last 2 characters.
    pub id_number: String,
    pub has_photo: bool,
    #[serde(flatten)]
    pub access: Access,
    pub registrations: Vec<RegistrationView>,
}

#[derive(Serialize)]
pub struct RegistrationView {
    #[serde(flatten)]
    pub order: Registration,
    pub sitting: Sitting,
}

pub async fn me(state: &AppState, auth: &Auth) -> Result<Me, ApiError> {
    let user = auth.user.id.clone();
    let (profile, regs) = state
        .with_db(move |c| {
            Ok((
                candidates::profile(c, &user)?,
                sittings::registrations_of(c, &user)?,
            ))
        })
        .await?;
    let profile = profile.ok_or(ApiError::NotFound)?;
    let access = entitlement(state, auth).await?.access;
    Ok(Me {
        id: profile.user.id,
        name: profile.user.name,
        email: profile.user.email,
        phone: profile.user.phone,
        id_number: identity::IdNumber::masked(&profile.id_number),
        has_photo: profile.photo_type.is_some(),
        access,
        registrations: regs
            .into_iter()
            .map(|(order, sitting)| RegistrationView { order, sitting })
            .collect(),
    })
}

/// `GET /api/v1/candidates/me`: the candidate's details, access and registrations.
#[utoipa::path(tag = "candidates", responses((status = 200, description = "The candidate")))]
#[get("/api/v1/candidates/me")]
pub async fn get_me(state: web::Data<AppState>, auth: Auth) -> Result<HttpResponse, ApiError> {
    auth.require(&[Role::Candidate])?;
    Ok(HttpResponse::Ok().json(me(&state, &auth).await?))
}

/// `PUT /api/v1/candidates/me/photo` with the JPEG or PNG file as the body.
#[utoipa::path(
    tag = "candidates",
    request_body(content = Vec<u8>, description = "The photo", content_type = "image/jpeg"),
    responses(
        (status = 204, description = "Stored"),
        (status = 400, description = "Not a 2-inch JPEG/PNG", body = super::error::ErrorBody)
    )
)]
#[put("/api/v1/candidates/me/photo")]
pub async fn put_photo(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    auth.require(&[Role::Candidate])?;
    auth.check_csrf(&req, None)?;
    let checked = identity::photo(&body).map_err(|e| ApiError::Fields(vec![e]))?;
    let user = auth.user.id.clone();
    let stored = state
        .with_db(move |c| candidates::set_photo(c, &user, &body, checked.format.mime()))
        .await?;
    if !stored {
        return Err(ApiError::NotFound);
    }
    Ok(HttpResponse::NoContent().finish())
}

/// The photo as a response: `GET /me/photo` (the candidate) or `GET /admin/candidates/{id}/photo` (admins).
pub async fn photo_response(state: &AppState, user_id: String) -> Result<HttpResponse, ApiError> {
    let found = state
        .with_db(move |c| candidates::photo(c, &user_id))
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type(found.1)
        .insert_header(("Cache-Control", "private, no-store"))
        .body(found.0))
}

/// `GET /api/v1/sittings` (public): every sitting with its dates and fee.
#[utoipa::path(tag = "candidates", responses((status = 200, description = "The sittings, latest test first")))]
#[get("/api/v1/sittings")]
pub async fn get_sittings(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let list = state.with_db(sittings::list).await?;
    let today = beijing_today();
    let out: Vec<serde_json::Value> = list
        .into_iter()
        .map(|s| {
            let open = s.registration_open(today);
            let mut v = serde_json::to_value(&s).unwrap_or_default();
            if let Some(m) = v.as_object_mut() {
                m.insert("registration_open".into(), open.into());
            }
            v
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "sittings": out })))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RegisterForSitting {
    pub sitting: String,
}

/// Registers the candidate for a sitting during its registration window.
pub async fn register_for_sitting(
    state: &AppState,
    auth: &Auth,
    sitting: String,
) -> Result<Registration, ApiError> {
    auth.require(&[Role::Candidate])?;
    let user = auth.user.id.clone();
    let today = beijing_today();
    let result = state
        .with_db(move |c| {
            Ok(match sittings::register(c, &user, &sitting, today, false) {
                Err(RegistrationError::Storage(e)) => return Err(e),
                other => other,
            })
        })
        .await?;
    match result {
        Ok(r) => Ok(r),
        Err(RegistrationError::NoSuchSitting) => Err(ApiError::NotFound),
        Err(e) => Err(ApiError::Conflict(e.to_string())),
    }
}

/// `POST /api/v1/candidates/me/registrations` with `{"sitting"}` → `201` the order (pending until paid).
#[utoipa::path(tag = "candidates", request_body = RegisterForSitting, responses((status = 201, description = "The registration and its order"), (status = 409, description = "Registration is closed", body = super::error::ErrorBody)))]
#[post("/api/v1/candidates/me/registrations")]
pub async fn post_registration(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    body: web::Json<RegisterForSitting>,
) -> Result<HttpResponse, ApiError> {
    auth.check_csrf(&req, None)?;
    let r = register_for_sitting(&state, &auth, body.into_inner().sitting).await?;
    Ok(HttpResponse::Created().json(r))
}
