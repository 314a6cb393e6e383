//! Candidates' accounts with their registration details: identity number, date of birth and ID photo.

use diesel::prelude::*;
use time::Date;

use super::conn::write_tx;
use super::schema::{candidates as c, users as u};
use super::users::{self, NewUser, normalize_email};
use super::{AnyConnection, StorageError, now};
use crate::domain::user::{Role, User};

/// A candidate to register (everything already checked by `domain::identity`).
pub struct NewCandidate<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub phone: &'a str,
    pub password_hash: &'a str,
    pub id_number: &'a str,
    pub birth_date: Date,
    /// The ID photo and its MIME type, when given at registration.
    pub photo: Option<(&'a [u8], &'a str)>,
}

/// Why a registration was refused.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// The field's value belongs to another account.
    #[error("{0} is already registered")]
    Taken(&'static str),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<diesel::result::Error> for RegisterError {
    fn from(e: diesel::result::Error) -> Self {
        RegisterError::Storage(e.into())
    }
}

/// A candidate's registration details.
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    pub user: User,
    pub id_number: String,
    pub birth_date: Date,
    /// The photo's MIME type; `None` until the photo is uploaded.
    pub photo_type: Option<String>,
}

/// Creates the account and its details in one transaction.
pub fn register(conn: &mut AnyConnection, new: &NewCandidate<'_>) -> Result<User, RegisterError> {
    write_tx(conn, |conn| {
        let email = normalize_email(new.email);
        let taken = |n: i64, field: &'static str| {
            if n > 0 {
                Err(RegisterError::Taken(field))
            } else {
                Ok(())
            }
        };
        taken(
            u::table
                .filter(u::email.eq(&email))
                .count()
                .get_result(conn)?,
            "email",
        )?;
        taken(
            u::table
                .filter(u::phone.eq(new.phone))
                .count()
                .get_result(conn)?,
            "phone",
        )?;
        taken(
            c::table
                .filter(c::id_number.eq(new.id_number))
                .count()
                .get_result(conn)?,
            "id_number",
        )?;
        let user = users::create(
            conn,
            &NewUser {
                role: Role::Candidate,
                login: None,
                email: Some(&email),
                phone: Some(new.phone),
                name: new.name,
                password_hash: new.password_hash,
            },
        )?;
        diesel::insert_into(c::table)
            .values((
                c::user_id.eq(&user.id),
                c::id_number.eq(new.id_number),
                c::birth_date.eq(new.birth_date),
                c::photo.eq(new.photo.map(|p| p.0)),
                c::photo_type.eq(new.photo.map(|p| p.1)),
                c::created_at.eq(now()),
            ))
            .execute(conn)?;
        Ok(user)
    })
}

/// A candidate's details (None for accounts that are not candidates).
pub fn profile(conn: &mut AnyConnection, user_id: &str) -> Result<Option<Profile>, StorageError> {
    let row: Option<(String, Date, Option<String>)> = c::table
        .filter(c::user_id.eq(user_id))
        .select((c::id_number, c::birth_date, c::photo_type))
        .first(conn)
        .optional()?;
    let Some((id_number, birth_date, photo_type)) = row else {
        return Ok(None);
    };
    let Some(user) = users::get(conn, user_id)? else {
        return Ok(None);
    };
    Ok(Some(Profile {
        user,
        id_number,
        birth_date,
        photo_type,
    }))
}

/// The candidate's photo and its MIME type.
pub fn photo(
    conn: &mut AnyConnection,
    user_id: &str,
) -> Result<Option<(Vec<u8>, String)>, StorageError> {
    let row: Option<(Option<Vec<u8>>, Option<String>)> = c::table
        .filter(c::user_id.eq(user_id))
        .select((c::photo, c::photo_type))
        .first(conn)
        .optional()?;
    Ok(match row {
        Some((Some(bytes), Some(mime))) => Some((bytes, mime)),
        _ => None,
    })
}

/// Stores (or replaces) the candidate's photo. False when the account is not a candidate's.
pub fn set_photo(
    conn: &mut AnyConnection,
    user_id: &str,
    bytes: &[u8],
    mime: &str,
) -> Result<bool, StorageError> {
    let n = diesel::update(c::table.filter(c::user_id.eq(user_id)))
        .set((c::photo.eq(Some(bytes)), c::photo_type.eq(Some(mime))))
        .execute(conn)?;
    Ok(n == 1)
}

/// Candidates whose name, e-mail, phone or identity number contains `q` (for admins), newest first.
pub fn find(conn: &mut AnyConnection, q: &str, limit: i64) -> Result<Vec<Profile>, StorageError> {
    let pattern = format!("%{}%", q.replace(['%', '_'], ""));
    let ids: Vec<String> = c::table
        .inner_join(u::table.on(u::id.eq(c::user_id)))
        .filter(
            u::name
                .like(&pattern)
                .or(u::email.like(&pattern))
                .or(u::phone.like(&pattern))
                .or(c::id_number.like(&pattern)),
        )
        .order(c::created_at.desc())
        .limit(limit)
        .select(c::user_id)
        .load(conn)?;
    let mut out = Vec::new();
    for id in ids {
        if let Some(p) = profile(conn, &id)? {
            out.push(p);
        }
    }
    Ok(out)
}
