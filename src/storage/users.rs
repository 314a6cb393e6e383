//! Accounts, sessions and login throttling.

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use time::{Duration, PrimitiveDateTime};

use super::conn::write_tx;
use super::schema::{login_failures as lf, session_revocations as sr, sessions as s, users as u};
use super::{AnyConnection, StorageError, now};
use crate::auth;
use crate::domain::user::{Role, User};

/// A new account.
pub struct NewUser<'a> {
    pub role: Role,
    pub login: Option<&'a str>,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub name: &'a str,
    pub password_hash: &'a str,
}

type UserRow = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn user(row: UserRow) -> Result<User, StorageError> {
    let (id, role, name, login, email, phone) = row;
    Ok(User {
        id,
        role: Role::parse(&role)
            .ok_or_else(|| StorageError::Corrupt(format!("unknown role `{role}`")))?,
        name,
        login,
        email,
        phone,
    })
}

macro_rules! user_columns {
    () => {
        (u::id, u::role, u::name, u::login, u::email, u::phone)
    };
}

/// E-mail addresses compare without case.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Creates an account. A login, e-mail or phone already in use is a [`StorageError::Conflict`] naming it.
pub fn create(conn: &mut AnyConnection, new: &NewUser<'_>) -> Result<User, StorageError> {
    let id = format!("u-{}", &auth::new_token()[..20]);
    let email = new.email.map(normalize_email);
    let result = diesel::insert_into(u::table)
        .values((
            u::id.eq(&id),
            u::role.eq(new.role.code()),
            u::login.eq(new.login),
            u::email.eq(email.as_deref()),
            u::phone.eq(new.phone),
            u::name.eq(new.name),
            u::password_hash.eq(new.password_hash),
            u::disabled.eq(false),
            u::created_at.eq(now()),
        ))
        .execute(conn);
    match result {
        Ok(_) => {
            get(conn, &id)?.ok_or_else(|| StorageError::Corrupt("the new account vanished".into()))
        }
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info)) => {
            let msg = info.message().to_lowercase();
            let field = ["login", "email", "phone"]
                .into_iter()
                .find(|f| msg.contains(f))
                .unwrap_or("account");
            Err(StorageError::Conflict(format!(
                "this {field} is already registered"
            )))
        }
        Err(e) => Err(e.into()),
    }
}

pub fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<User>, StorageError> {
    u::table
        .filter(u::id.eq(id))
        .select(user_columns!())
        .first::<UserRow>(conn)
        .optional()?
        .map(user)
        .transpose()
}

/// The account a login credential names (a staff login name, or a candidate's e-mail or phone), with its
/// password hash, unless the account is disabled.
pub fn by_credential(
    conn: &mut AnyConnection,
    credential: &str,
) -> Result<Option<(User, String)>, StorageError> {
    let credential = credential.trim();
    let email = normalize_email(credential);
    let row: Option<(UserRow, String)> = u::table
        .filter(u::disabled.eq(false))
        .filter(
            u::login
                .eq(credential)
                .or(u::email.eq(&email))
                .or(u::phone.eq(credential)),
        )
        .select((user_columns!(), u::password_hash))
        .first(conn)
        .optional()?;
    row.map(|(r, hash)| user(r).map(|u| (u, hash))).transpose()
}

/// Disables or re-enables an account. Disabling ends every session of the account and records their
/// ends, so every server forgets its cached copies within about a second; a disabled account cannot log
/// in. False when there is no such account.
pub fn set_disabled(
    conn: &mut AnyConnection,
    user_id: &str,
    disabled: bool,
) -> Result<bool, StorageError> {
    write_tx(conn, |c| {
        let n = diesel::update(u::table.filter(u::id.eq(user_id)))
            .set(u::disabled.eq(disabled))
            .execute(c)?;
        if n == 0 {
            return Ok(false);
        }
        if disabled {
            end_sessions(c, user_id)?;
        }
        Ok(true)
    })
}

/// Ends every session of an account and records their ends (inside the caller's transaction).
fn end_sessions(conn: &mut AnyConnection, user_id: &str) -> Result<(), StorageError> {
    let ended: Vec<String> = s::table
        .filter(s::user_id.eq(user_id))
        .select(s::token_hash)
        .load(conn)?;
    diesel::delete(s::table.filter(s::user_id.eq(user_id))).execute(conn)?;
    for hash in &ended {
        diesel::insert_into(sr::table)
            .values((sr::token_hash.eq(hash), sr::revoked_at.eq(now())))
            .execute(conn)?;
    }
    Ok(())
}

/// Gives an account another role and ends its sessions (their cached role is stale; the account logs
/// in again). False when there is no such account.
pub fn set_role(conn: &mut AnyConnection, user_id: &str, role: Role) -> Result<bool, StorageError> {
    write_tx(conn, |c| {
        let n = diesel::update(u::table.filter(u::id.eq(user_id)))
            .set(u::role.eq(role.code()))
            .execute(c)?;
        if n == 0 {
            return Ok(false);
        }
        end_sessions(c, user_id)?;
        Ok(true)
    })
}

/// Whether an account is disabled (false when there is no such account).
pub fn is_disabled(conn: &mut AnyConnection, user_id: &str) -> Result<bool, StorageError> {
    Ok(u::table
        .filter(u::id.eq(user_id))
        .select(u::disabled)
        .first::<bool>(conn)
        .optional()?
        .unwrap_or(false))
}

/// Whether an account has a password it can log in with (accounts made by a class list or a signed
/// link have none).
pub fn has_password(conn: &mut AnyConnection, user_id: &str) -> Result<bool, StorageError> {
    let hash: Option<String> = u::table
        .filter(u::id.eq(user_id))
        .select(u::password_hash)
        .first(conn)
        .optional()?;
    Ok(hash.is_some_and(|h| h != super::schools::NO_PASSWORD))
}

/// The account a credential names (login name, e-mail or phone), disabled or not: (id, disabled).
pub fn find(
    conn: &mut AnyConnection,
    credential: &str,
) -> Result<Option<(String, bool)>, StorageError> {
    let credential = credential.trim();
    let email = normalize_email(credential);
    Ok(u::table
        .filter(
            u::login
                .eq(credential)
                .or(u::email.eq(&email))
                .or(u::phone.eq(credential)),
        )
        .select((u::id, u::disabled))
        .first(conn)
        .optional()?)
}

/// How long a session lasts without being renewed.
pub const SESSION_TTL: Duration = Duration::days(14);

/// A new session for `user_id`: the token (given to the client, stored only as a digest) and the CSRF
/// token bound to it.
pub fn create_session(
    conn: &mut AnyConnection,
    user_id: &str,
) -> Result<(String, String), StorageError> {
    let token = auth::new_token();
    let csrf = auth::new_token();
    diesel::insert_into(s::table)
        .values((
            s::token_hash.eq(auth::token_digest(&token)),
            s::user_id.eq(user_id),
            s::csrf_token.eq(&csrf),
            s::created_at.eq(now()),
            s::expires_at.eq(now() + SESSION_TTL),
        ))
        .execute(conn)?;
    Ok((token, csrf))
}

/// The live session of `token`: its account (not disabled) and CSRF token.
pub fn session(
    conn: &mut AnyConnection,
    token: &str,
) -> Result<Option<(User, String, PrimitiveDateTime)>, StorageError> {
    let row: Option<(UserRow, String, PrimitiveDateTime)> = s::table
        .inner_join(u::table)
        .filter(s::token_hash.eq(auth::token_digest(token)))
        .filter(u::disabled.eq(false))
        .select((user_columns!(), s::csrf_token, s::expires_at))
        .first(conn)
        .optional()?;
    match row {
        Some((r, csrf, expires)) if expires > now() => Ok(Some((user(r)?, csrf, expires))),
        _ => Ok(None),
    }
}

/// Ends a session, and records its end so that every server forgets its cached copy.
pub fn delete_session(conn: &mut AnyConnection, token: &str) -> Result<(), StorageError> {
    let hash = auth::token_digest(token);
    write_tx(conn, |conn| {
        let n = diesel::delete(s::table.filter(s::token_hash.eq(&hash))).execute(conn)?;
        if n > 0 {
            diesel::insert_into(sr::table)
                .values((sr::token_hash.eq(&hash), sr::revoked_at.eq(now())))
                .execute(conn)?;
        }
        Ok(())
    })
}

/// The digests of the sessions ended since `since`.
pub fn revoked_since(
    conn: &mut AnyConnection,
    since: PrimitiveDateTime,
) -> Result<Vec<String>, StorageError> {
    Ok(sr::table
        .filter(sr::revoked_at.gt(since))
        .select(sr::token_hash)
        .load(conn)?)
}

/// Forgets session ends recorded before `before` (every server has seen them long since).
pub fn prune_revocations(
    conn: &mut AnyConnection,
    before: PrimitiveDateTime,
) -> Result<usize, StorageError> {
    Ok(diesel::delete(sr::table.filter(sr::revoked_at.lt(before))).execute(conn)?)
}

/// Records a failed login under each throttle key (the credential, the client address).
pub fn record_failure(conn: &mut AnyConnection, keys: &[String]) -> Result<(), StorageError> {
    for key in keys {
        diesel::insert_into(lf::table)
            .values((lf::throttle_key.eq(key), lf::at.eq(now())))
            .execute(conn)?;
    }
    Ok(())
}

/// Failed logins under `key` within the last `window`.
pub fn recent_failures(
    conn: &mut AnyConnection,
    key: &str,
    window: Duration,
) -> Result<i64, StorageError> {
    Ok(lf::table
        .filter(lf::throttle_key.eq(key))
        .filter(lf::at.gt(now() - window))
        .count()
        .get_result(conn)?)
}

/// Forgets the failures under `key` (after a successful login).
pub fn clear_failures(conn: &mut AnyConnection, key: &str) -> Result<(), StorageError> {
    diesel::delete(lf::table.filter(lf::throttle_key.eq(key))).execute(conn)?;
    Ok(())
}
