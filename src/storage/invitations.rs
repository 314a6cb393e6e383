//! One-time invitations for accounts made without a password (a school's students from a class list or
//! a signed link): a link the school's staff hand out, with which the student sets an e-mail or phone
//! and a password. Only the token's digest is stored; a token works once, within its life.

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use time::{Duration, PrimitiveDateTime};

use super::conn::write_tx;
use super::schema::{invitations as inv, users as u};
use super::{AnyConnection, StorageError, now};
use crate::auth;

/// How long an invitation works.
pub const TTL: Duration = Duration::days(7);

/// A new invitation for `user_id`: its token (given out once, stored as a digest) and its expiry.
pub fn create(
    conn: &mut AnyConnection,
    user_id: &str,
    created_by: &str,
) -> Result<(String, PrimitiveDateTime), StorageError> {
    let token = auth::new_token();
    let expires = now() + TTL;
    diesel::insert_into(inv::table)
        .values((
            inv::token_hash.eq(auth::token_digest(&token)),
            inv::user_id.eq(user_id),
            inv::created_by.eq(created_by),
            inv::created_at.eq(now()),
            inv::expires_at.eq(expires),
        ))
        .execute(conn)?;
    Ok((token, expires))
}

/// The account an unused, unexpired invitation is for.
pub fn pending(conn: &mut AnyConnection, token: &str) -> Result<Option<String>, StorageError> {
    Ok(inv::table
        .filter(inv::token_hash.eq(auth::token_digest(token)))
        .filter(inv::used_at.is_null())
        .filter(inv::expires_at.gt(now()))
        .select(inv::user_id)
        .first(conn)
        .optional()?)
}

/// What the student chose to log in with.
pub enum Credential {
    Email(String),
    Phone(String),
}

/// Takes the invitation and gives its account the credential and password (hashed); the account's id,
/// or none when the invitation is unknown, used or expired, or the account has a password already. An e-mail or phone another account has is
/// a [`StorageError::Conflict`], and nothing changes.
pub fn accept(
    conn: &mut AnyConnection,
    token: &str,
    credential: &Credential,
    password_hash: &str,
) -> Result<Option<String>, StorageError> {
    let digest = auth::token_digest(token);
    write_tx(conn, |c| {
        let Some(user) = pending(c, token)? else {
            return Ok(None);
        };
        // An account that has a password meanwhile is not taken over by an old link.
        if super::users::has_password(c, &user)? {
            return Ok(None);
        }
        let taken = diesel::update(
            inv::table
                .filter(inv::token_hash.eq(&digest))
                .filter(inv::used_at.is_null()),
        )
        .set(inv::used_at.eq(Some(now())))
        .execute(c)?;
        if taken != 1 {
            return Ok(None);
        }
        let set = match credential {
            Credential::Email(e) => diesel::update(u::table.filter(u::id.eq(&user)))
                .set((u::email.eq(e), u::password_hash.eq(password_hash)))
                .execute(c),
            Credential::Phone(p) => diesel::update(u::table.filter(u::id.eq(&user)))
                .set((u::phone.eq(p), u::password_hash.eq(password_hash)))
                .execute(c),
        };
        match set {
            Ok(_) => Ok(Some(user)),
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                Err(StorageError::Conflict(match credential {
                    Credential::Email(_) => "this e-mail is already registered".into(),
                    Credential::Phone(_) => "this phone is already registered".into(),
                }))
            }
            Err(e) => Err(e.into()),
        }
    })
}
