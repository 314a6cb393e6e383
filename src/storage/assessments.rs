//! School assessments (a class's mock exam with its window, time limit, attempts and key policy), the
//! in-page sessions of embedded sittings, the one-time nonces of signed embed links, and the hooks an
//! attempt reports its result to.

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use time::PrimitiveDateTime;

use super::attempts::StoredPaper;
use super::schema::{
    assessments as a, attempt_hooks as ah, embed_nonces as en, embed_sessions as es,
};
use super::{AnyConnection, StorageError, now};

/// Where an assessment's papers come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A fresh randomized paper from the blueprint for every student.
    Fresh,
    /// One paper from the blueprint, the same for the whole class.
    Fixed,
    /// Items the teacher picked, the same for the whole class.
    Items,
}

impl Source {
    pub fn code(self) -> &'static str {
        match self {
            Source::Fresh => "fresh",
            Source::Fixed => "fixed",
            Source::Items => "items",
        }
    }

    pub fn parse(raw: &str) -> Option<Source> {
        [Source::Fresh, Source::Fixed, Source::Items]
            .into_iter()
            .find(|s| s.code() == raw)
    }
}

/// When students see the keys and explanations of their submitted attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShowKeys {
    Immediately,
    AfterClose,
    Never,
}

impl ShowKeys {
    pub fn code(self) -> &'static str {
        match self {
            ShowKeys::Immediately => "immediately",
            ShowKeys::AfterClose => "after_close",
            ShowKeys::Never => "never",
        }
    }

    pub fn parse(raw: &str) -> Option<ShowKeys> {
        [ShowKeys::Immediately, ShowKeys::AfterClose, ShowKeys::Never]
            .into_iter()
            .find(|s| s.code() == raw)
    }
}

/// An assessment.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Assessment {
    pub id: String,
    pub school_id: String,
    pub class_id: String,
    pub title: String,
    pub source: Source,
    /// The blueprint the papers follow (for hand-picked items: the rules they are graded by).
    pub blueprint: String,
    /// The class's one paper, for fixed forms and hand-picked items.
    #[serde(skip)]
    pub form: Option<StoredPaper>,
    pub minutes: u32,
    pub opens_at: PrimitiveDateTime,
    pub closes_at: PrimitiveDateTime,
    pub max_attempts: u32,
    pub show_keys: ShowKeys,
    pub created_by: String,
}

impl Assessment {
    /// Whether students may start an attempt at `at`.
    pub fn is_open(&self, at: PrimitiveDateTime) -> bool {
        self.opens_at <= at && at < self.closes_at
    }

    /// Whether a student's submitted attempt may show keys and explanations at `at`.
    pub fn keys_visible(&self, at: PrimitiveDateTime) -> bool {
        match self.show_keys {
            ShowKeys::Immediately => true,
            ShowKeys::AfterClose => at >= self.closes_at,
            ShowKeys::Never => false,
        }
    }
}

type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    i32,
    PrimitiveDateTime,
    PrimitiveDateTime,
    i32,
    String,
    String,
);

macro_rules! columns {
    () => {
        (
            a::id,
            a::school_id,
            a::class_id,
            a::title,
            a::source,
            a::blueprint,
            a::form,
            a::minutes,
            a::opens_at,
            a::closes_at,
            a::max_attempts,
            a::show_keys,
            a::created_by,
        )
    };
}

fn assessment(r: Row) -> Result<Assessment, StorageError> {
    let corrupt = |what: &str| StorageError::Corrupt(format!("assessment {}: {what}", r.0));
    let form = match &r.6 {
        Some(f) => Some(serde_json::from_str(f).map_err(|e| corrupt(&e.to_string()))?),
        None => None,
    };
    Ok(Assessment {
        source: Source::parse(&r.4).ok_or_else(|| corrupt("source"))?,
        show_keys: ShowKeys::parse(&r.11).ok_or_else(|| corrupt("show_keys"))?,
        form,
        minutes: r.7.max(1) as u32,
        opens_at: r.8,
        closes_at: r.9,
        max_attempts: r.10.max(1) as u32,
        created_by: r.12,
        id: r.0,
        school_id: r.1,
        class_id: r.2,
        title: r.3,
        blueprint: r.5,
    })
}

/// Stores a new assessment (its id is filled in).
pub fn create(conn: &mut AnyConnection, x: &Assessment) -> Result<(), StorageError> {
    let form = x
        .form
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| StorageError::Corrupt(e.to_string()))?;
    diesel::insert_into(a::table)
        .values((
            a::id.eq(&x.id),
            a::school_id.eq(&x.school_id),
            a::class_id.eq(&x.class_id),
            a::title.eq(&x.title),
            a::source.eq(x.source.code()),
            a::blueprint.eq(&x.blueprint),
            a::form.eq(form),
            a::minutes.eq(x.minutes as i32),
            a::opens_at.eq(x.opens_at),
            a::closes_at.eq(x.closes_at),
            a::max_attempts.eq(x.max_attempts as i32),
            a::show_keys.eq(x.show_keys.code()),
            a::created_by.eq(&x.created_by),
            a::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn get_assessment(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<Assessment>, StorageError> {
    a::table
        .filter(a::id.eq(id))
        .select(columns!())
        .first::<Row>(conn)
        .optional()?
        .map(assessment)
        .transpose()
}

/// The school's assessments, newest first.
pub fn assessments_of_school(
    conn: &mut AnyConnection,
    school_id: &str,
) -> Result<Vec<Assessment>, StorageError> {
    a::table
        .filter(a::school_id.eq(school_id))
        .order((a::created_at.desc(), a::id.asc()))
        .select(columns!())
        .load::<Row>(conn)?
        .into_iter()
        .map(assessment)
        .collect()
}

/// A class's assessments, newest first.
pub fn of_class(conn: &mut AnyConnection, class_id: &str) -> Result<Vec<Assessment>, StorageError> {
    a::table
        .filter(a::class_id.eq(class_id))
        .order((a::created_at.desc(), a::id.asc()))
        .select(columns!())
        .load::<Row>(conn)?
        .into_iter()
        .map(assessment)
        .collect()
}

/// Spends a signed link's nonce: true the first time, false ever after. Expired nonces are purged
/// (a link is refused after its validity anyway, so they can never be replayed).
pub fn spend_nonce(
    conn: &mut AnyConnection,
    school_id: &str,
    nonce: &str,
    expires_at: PrimitiveDateTime,
) -> Result<bool, StorageError> {
    diesel::delete(en::table.filter(en::expires_at.lt(now()))).execute(conn)?;
    match diesel::insert_into(en::table)
        .values((
            en::school_id.eq(school_id),
            en::nonce.eq(nonce),
            en::expires_at.eq(expires_at),
        ))
        .execute(conn)
    {
        Ok(_) => Ok(true),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// An embedded sitting's session: whose, for which assessment, and whom to tell the result.
#[derive(Clone, Debug, PartialEq)]
pub struct EmbedSession {
    pub user_id: String,
    pub assessment_id: String,
    pub hook: Option<serde_json::Value>,
}

/// Stores a new embedded session under the digest of its token.
pub fn create_session(
    conn: &mut AnyConnection,
    token: &str,
    session: &EmbedSession,
    expires_at: PrimitiveDateTime,
) -> Result<(), StorageError> {
    diesel::insert_into(es::table)
        .values((
            es::token_hash.eq(crate::auth::token_digest(token)),
            es::user_id.eq(&session.user_id),
            es::assessment_id.eq(&session.assessment_id),
            es::hook.eq(session.hook.as_ref().map(|h| h.to_string())),
            es::created_at.eq(now()),
            es::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The unexpired embedded session of a token (none when its account is disabled).
pub fn session(
    conn: &mut AnyConnection,
    token: &str,
) -> Result<Option<EmbedSession>, StorageError> {
    // A disabled account's sessions are refused (in the same query: every embedded save reads it).
    let row: Option<(String, String, Option<String>)> = es::table
        .inner_join(super::schema::users::table.on(super::schema::users::id.eq(es::user_id)))
        .filter(es::token_hash.eq(crate::auth::token_digest(token)))
        .filter(es::expires_at.gt(now()))
        .filter(super::schema::users::disabled.eq(false))
        .select((es::user_id, es::assessment_id, es::hook))
        .first(conn)
        .optional()?;
    Ok(row.map(|(user_id, assessment_id, hook)| EmbedSession {
        user_id,
        assessment_id,
        hook: hook.and_then(|h| serde_json::from_str(&h).ok()),
    }))
}

/// Records whom an attempt reports its result to.
pub fn set_hook(
    conn: &mut AnyConnection,
    attempt_id: &str,
    hook: &serde_json::Value,
) -> Result<(), StorageError> {
    diesel::insert_into(ah::table)
        .values((ah::attempt_id.eq(attempt_id), ah::hook.eq(hook.to_string())))
        .execute(conn)?;
    Ok(())
}

/// The hook of an attempt, if it has one.
pub fn hook(
    conn: &mut AnyConnection,
    attempt_id: &str,
) -> Result<Option<serde_json::Value>, StorageError> {
    let raw: Option<String> = ah::table
        .filter(ah::attempt_id.eq(attempt_id))
        .select(ah::hook)
        .first(conn)
        .optional()?;
    Ok(raw.and_then(|h| serde_json::from_str(&h).ok()))
}
