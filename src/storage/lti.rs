//! LTI 1.3 storage: registered platforms, the tool's signing keys, and the one-time values of launches
//! (login states, used id_token nonces, pending deep-linking picks) and the resource links placed in
//! courses. Everything lives in the database so that any server can finish a launch another one began.

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use time::{Duration, PrimitiveDateTime};

use super::conn::write_tx;
use super::schema::{
    lti_access_tokens as at, lti_deep_links as dl, lti_links as ln, lti_nonces as nc,
    lti_platforms as p, lti_states as st, lti_tool_keys as k,
};
use super::{AnyConnection, StorageError, now};
use crate::auth;

/// How long a login state, and a pending deep-linking pick, stays usable.
pub const ONE_TIME_TTL: Duration = Duration::minutes(10);

/// A platform (an LMS such as Moodle or Canvas) registered for one school.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Platform {
    pub id: String,
    pub school_id: String,
    /// The `iss` of its id_tokens.
    pub issuer: String,
    /// The client id the platform gave this tool (the `aud` of its id_tokens).
    pub client_id: String,
    pub deployment_id: String,
    /// OIDC authorisation endpoint (where the login initiation is sent back to).
    pub auth_url: String,
    /// OAuth 2 token endpoint (client-credentials grant for the grade services).
    pub token_url: String,
    /// The platform's public keys.
    pub jwks_url: String,
}

/// What an admin registers.
pub struct NewPlatform<'a> {
    pub school_id: &'a str,
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub deployment_id: &'a str,
    pub auth_url: &'a str,
    pub token_url: &'a str,
    pub jwks_url: &'a str,
}

type PlatformRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
);

macro_rules! platform_columns {
    () => {
        (
            p::id,
            p::school_id,
            p::issuer,
            p::client_id,
            p::deployment_id,
            p::auth_url,
            p::token_url,
            p::jwks_url,
        )
    };
}

fn platform(
    (id, school_id, issuer, client_id, deployment_id, auth_url, token_url, jwks_url): PlatformRow,
) -> Platform {
    Platform {
        id,
        school_id,
        issuer,
        client_id,
        deployment_id,
        auth_url,
        token_url,
        jwks_url,
    }
}

/// Registers a platform. The same issuer and client id twice is a [`StorageError::Conflict`].
pub fn add_platform(
    conn: &mut AnyConnection,
    new: &NewPlatform<'_>,
) -> Result<Platform, StorageError> {
    let id = format!("lti-{}", &auth::new_token()[..16]);
    let result = diesel::insert_into(p::table)
        .values((
            p::id.eq(&id),
            p::school_id.eq(new.school_id),
            p::issuer.eq(new.issuer),
            p::client_id.eq(new.client_id),
            p::deployment_id.eq(new.deployment_id),
            p::auth_url.eq(new.auth_url),
            p::token_url.eq(new.token_url),
            p::jwks_url.eq(new.jwks_url),
            p::created_at.eq(now()),
        ))
        .execute(conn);
    match result {
        Ok(_) => platform_by_id(conn, &id)?
            .ok_or_else(|| StorageError::Corrupt("the new platform vanished".into())),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            Err(StorageError::Conflict(format!(
                "a platform with issuer {} and client id {} is already registered",
                new.issuer, new.client_id
            )))
        }
        Err(e) => Err(e.into()),
    }
}

pub fn platform_by_id(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<Platform>, StorageError> {
    Ok(p::table
        .filter(p::id.eq(id))
        .select(platform_columns!())
        .first::<PlatformRow>(conn)
        .optional()?
        .map(platform))
}

/// The registrations of an issuer (one per client id), oldest first.
pub fn platforms_by_issuer(
    conn: &mut AnyConnection,
    issuer: &str,
) -> Result<Vec<Platform>, StorageError> {
    Ok(p::table
        .filter(p::issuer.eq(issuer))
        .order((p::created_at, p::id))
        .select(platform_columns!())
        .load::<PlatformRow>(conn)?
        .into_iter()
        .map(platform)
        .collect())
}

/// Every registration, oldest first.
pub fn platforms(conn: &mut AnyConnection) -> Result<Vec<Platform>, StorageError> {
    Ok(p::table
        .order((p::created_at, p::id))
        .select(platform_columns!())
        .load::<PlatformRow>(conn)?
        .into_iter()
        .map(platform)
        .collect())
}

/// A tool key as stored: its key id and private key (PKCS#8 PEM).
#[derive(Clone, Debug)]
pub struct StoredKey {
    pub kid: String,
    pub private_pem: String,
}

/// The tool's keys, oldest first (the first one signs; all are published).
pub fn tool_keys(conn: &mut AnyConnection) -> Result<Vec<StoredKey>, StorageError> {
    Ok(k::table
        .order((k::created_at, k::kid))
        .select((k::kid, k::private_pem))
        .load::<(String, String)>(conn)?
        .into_iter()
        .map(|(kid, private_pem)| StoredKey { kid, private_pem })
        .collect())
}

/// Stores `key` unless a key exists already; answers the keys afterwards, oldest first. Two servers that
/// race here on PostgreSQL may both insert; both then sign with the oldest and publish both.
pub fn add_tool_key_if_none(
    conn: &mut AnyConnection,
    key: &StoredKey,
) -> Result<Vec<StoredKey>, StorageError> {
    write_tx(conn, |c| {
        let existing: i64 = k::table.count().get_result(c)?;
        if existing == 0 {
            diesel::insert_into(k::table)
                .values((
                    k::kid.eq(&key.kid),
                    k::private_pem.eq(&key.private_pem),
                    k::created_at.eq(now()),
                ))
                .execute(c)?;
        }
        Ok::<(), StorageError>(())
    })?;
    tool_keys(conn)
}

/// A new login state for `platform_id` and the target link URI the login named: (state, nonce), both
/// random. Forgets states past their life.
pub fn create_state(
    conn: &mut AnyConnection,
    platform_id: &str,
    target_link_uri: Option<&str>,
) -> Result<(String, String), StorageError> {
    let (state, nonce) = (auth::new_token(), auth::new_token());
    diesel::delete(st::table.filter(st::created_at.lt(now() - ONE_TIME_TTL))).execute(conn)?;
    diesel::insert_into(st::table)
        .values((
            st::state.eq(&state),
            st::nonce.eq(&nonce),
            st::platform_id.eq(platform_id),
            st::created_at.eq(now()),
            st::target_link_uri.eq(target_link_uri),
        ))
        .execute(conn)?;
    Ok((state, nonce))
}

/// A login state taken for a launch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TakenState {
    pub nonce: String,
    pub platform_id: String,
    pub target_link_uri: Option<String>,
}

/// Takes a login state: answers it once, then never again (`None` when unknown, used or expired). The
/// delete decides, so of two servers given the same state only one gets it.
pub fn take_state(
    conn: &mut AnyConnection,
    state: &str,
) -> Result<Option<TakenState>, StorageError> {
    let row: Option<(String, String, PrimitiveDateTime, Option<String>)> = st::table
        .filter(st::state.eq(state))
        .select((
            st::nonce,
            st::platform_id,
            st::created_at,
            st::target_link_uri,
        ))
        .first(conn)
        .optional()?;
    let Some((nonce, platform_id, created, target_link_uri)) = row else {
        return Ok(None);
    };
    let deleted = diesel::delete(st::table.filter(st::state.eq(state))).execute(conn)?;
    if deleted == 0 || created < now() - ONE_TIME_TTL {
        return Ok(None);
    }
    Ok(Some(TakenState {
        nonce,
        platform_id,
        target_link_uri,
    }))
}

/// Records an id_token's nonce as used until `expires_at`; `false` when it was used already (a replay).
pub fn use_nonce(
    conn: &mut AnyConnection,
    platform_id: &str,
    nonce: &str,
    expires_at: PrimitiveDateTime,
) -> Result<bool, StorageError> {
    diesel::delete(nc::table.filter(nc::expires_at.lt(now()))).execute(conn)?;
    let result = diesel::insert_into(nc::table)
        .values((
            nc::platform_id.eq(platform_id),
            nc::nonce.eq(nonce),
            nc::expires_at.eq(expires_at),
        ))
        .execute(conn);
    match result {
        Ok(_) => Ok(true),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// A resource link placed in a course.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub assessment_id: String,
    /// The AGS line item the link's grades go to, when the platform gave one.
    pub lineitem: Option<String>,
}

pub fn link(
    conn: &mut AnyConnection,
    platform_id: &str,
    resource_link_id: &str,
) -> Result<Option<Link>, StorageError> {
    Ok(ln::table
        .filter(ln::platform_id.eq(platform_id))
        .filter(ln::resource_link_id.eq(resource_link_id))
        .select((ln::assessment_id, ln::lineitem))
        .first::<(String, Option<String>)>(conn)
        .optional()?
        .map(|(assessment_id, lineitem)| Link {
            assessment_id,
            lineitem,
        }))
}

/// Stores or refreshes a resource link (its assessment and line item).
pub fn save_link(
    conn: &mut AnyConnection,
    platform_id: &str,
    resource_link_id: &str,
    link: &Link,
) -> Result<(), StorageError> {
    let update = |c: &mut AnyConnection| {
        diesel::update(
            ln::table
                .filter(ln::platform_id.eq(platform_id))
                .filter(ln::resource_link_id.eq(resource_link_id)),
        )
        .set((
            ln::assessment_id.eq(&link.assessment_id),
            ln::lineitem.eq(link.lineitem.as_deref()),
            ln::updated_at.eq(now()),
        ))
        .execute(c)
    };
    if update(conn)? > 0 {
        return Ok(());
    }
    let inserted = diesel::insert_into(ln::table)
        .values((
            ln::platform_id.eq(platform_id),
            ln::resource_link_id.eq(resource_link_id),
            ln::assessment_id.eq(&link.assessment_id),
            ln::lineitem.eq(link.lineitem.as_deref()),
            ln::updated_at.eq(now()),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(()),
        // Another launch of the same new link inserted it first: refresh that row instead.
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            update(conn)?;
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// A validated deep-linking request waiting for the teacher's pick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingDeepLink {
    pub platform_id: String,
    pub deployment_id: String,
    /// Where the deep-linking response is posted.
    pub return_url: String,
    /// The platform's opaque `data`, echoed in the response.
    pub data: Option<String>,
}

/// Stores a pending pick; answers the token for the pick form (only its SHA-256 is stored).
pub fn create_deep_link(
    conn: &mut AnyConnection,
    pending: &PendingDeepLink,
) -> Result<String, StorageError> {
    let token = auth::new_token();
    diesel::delete(dl::table.filter(dl::created_at.lt(now() - ONE_TIME_TTL))).execute(conn)?;
    diesel::insert_into(dl::table)
        .values((
            dl::token_hash.eq(auth::token_digest(&token)),
            dl::platform_id.eq(&pending.platform_id),
            dl::deployment_id.eq(&pending.deployment_id),
            dl::return_url.eq(&pending.return_url),
            dl::data.eq(pending.data.as_deref()),
            dl::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(token)
}

/// Takes a pending pick once (`None` when unknown, used or expired).
pub fn take_deep_link(
    conn: &mut AnyConnection,
    token: &str,
) -> Result<Option<PendingDeepLink>, StorageError> {
    let hash = auth::token_digest(token);
    let row: Option<(String, String, String, Option<String>, PrimitiveDateTime)> = dl::table
        .filter(dl::token_hash.eq(&hash))
        .select((
            dl::platform_id,
            dl::deployment_id,
            dl::return_url,
            dl::data,
            dl::created_at,
        ))
        .first(conn)
        .optional()?;
    let Some((platform_id, deployment_id, return_url, data, created)) = row else {
        return Ok(None);
    };
    let deleted = diesel::delete(dl::table.filter(dl::token_hash.eq(&hash))).execute(conn)?;
    if deleted == 0 || created < now() - ONE_TIME_TTL {
        return Ok(None);
    }
    Ok(Some(PendingDeepLink {
        platform_id,
        deployment_id,
        return_url,
        data,
    }))
}

/// The platform's cached access token, if it is valid for at least `margin` more.
pub fn access_token(
    conn: &mut AnyConnection,
    platform_id: &str,
    margin: Duration,
) -> Result<Option<String>, StorageError> {
    Ok(at::table
        .filter(at::platform_id.eq(platform_id))
        .filter(at::expires_at.gt(now() + margin))
        .select(at::token)
        .first::<String>(conn)
        .optional()?)
}

/// Keeps the platform's access token until `expires_at` (replacing the one kept before).
pub fn save_access_token(
    conn: &mut AnyConnection,
    platform_id: &str,
    token: &str,
    expires_at: PrimitiveDateTime,
) -> Result<(), StorageError> {
    let saved = write_tx(conn, |c| {
        diesel::delete(at::table.filter(at::platform_id.eq(platform_id))).execute(c)?;
        diesel::insert_into(at::table)
            .values((
                at::platform_id.eq(platform_id),
                at::token.eq(token),
                at::expires_at.eq(expires_at),
            ))
            .execute(c)
    });
    match saved {
        // Another server kept a token of its own just now: as good as this one.
        Ok(_) | Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Forgets the platform's access token (the platform refused it).
pub fn forget_access_token(
    conn: &mut AnyConnection,
    platform_id: &str,
) -> Result<(), StorageError> {
    diesel::delete(at::table.filter(at::platform_id.eq(platform_id))).execute(conn)?;
    Ok(())
}
