//! The outbox: messages to other systems (a school's webhook, an LTI platform's gradebook) written in
//! the same transaction as the change they report, then delivered by a background worker with retries.
//!
//! A worker claims due jobs by pushing their `next_at` forward in one conditional update (a lease), so
//! several servers sharing one database never send a job twice at the same time.

use diesel::prelude::*;
use time::{Duration, PrimitiveDateTime};

use super::schema::outbox as o;
use super::{AnyConnection, StorageError, now};

/// Give up after this many failed deliveries (the job stays, with its last error, for an operator).
pub const MAX_TRIES: i32 = 10;
/// How long a claimed job is reserved for its worker.
pub const LEASE: Duration = Duration::seconds(60);

/// A message to deliver.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: serde_json::Value,
    pub tries: i32,
}

/// Adds a message, due now.
pub fn enqueue(
    conn: &mut AnyConnection,
    kind: &str,
    payload: &serde_json::Value,
) -> Result<(), StorageError> {
    let at = now();
    diesel::insert_into(o::table)
        .values((
            o::kind.eq(kind),
            o::payload.eq(payload.to_string()),
            o::tries.eq(0),
            o::next_at.eq(at),
            o::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Claims up to `limit` due jobs for [`LEASE`].
pub fn claim(conn: &mut AnyConnection, limit: i64) -> Result<Vec<Job>, StorageError> {
    let at = now();
    let due: Vec<(i64, String, String, i32, PrimitiveDateTime)> = o::table
        .filter(o::done_at.is_null())
        .filter(o::next_at.le(at))
        .filter(o::tries.lt(MAX_TRIES))
        .order(o::id.asc())
        .limit(limit)
        .select((o::id, o::kind, o::payload, o::tries, o::next_at))
        .load(conn)?;
    let mut jobs = Vec::new();
    for (id, kind, payload, tries, next_at) in due {
        // Only the worker whose update still sees the old next_at gets the job.
        let won = diesel::update(
            o::table
                .filter(o::id.eq(id))
                .filter(o::next_at.eq(next_at))
                .filter(o::done_at.is_null()),
        )
        .set(o::next_at.eq(at + LEASE))
        .execute(conn)?
            == 1;
        if won {
            jobs.push(Job {
                id,
                kind,
                payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
                tries,
            });
        }
    }
    Ok(jobs)
}

/// Marks a job delivered.
pub fn done(conn: &mut AnyConnection, id: i64) -> Result<(), StorageError> {
    diesel::update(o::table.filter(o::id.eq(id)))
        .set((o::done_at.eq(Some(now())), o::last_error.eq(None::<String>)))
        .execute(conn)?;
    Ok(())
}

/// Records a failed delivery; the next try waits 5 s, 10 s, 20 s … (at most an hour).
pub fn failed(
    conn: &mut AnyConnection,
    id: i64,
    tries: i32,
    error: &str,
) -> Result<(), StorageError> {
    let wait = Duration::seconds((5_i64 << tries.clamp(0, 10)).min(3600));
    diesel::update(o::table.filter(o::id.eq(id)))
        .set((
            o::tries.eq(tries + 1),
            o::next_at.eq(now() + wait),
            o::last_error.eq(Some(error)),
        ))
        .execute(conn)?;
    Ok(())
}

/// A job as an operator or a test sees it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Entry {
    pub id: i64,
    pub kind: String,
    pub payload: serde_json::Value,
    pub tries: i32,
    pub delivered: bool,
    pub last_error: Option<String>,
}

type EntryRow = (
    i64,
    String,
    String,
    i32,
    Option<PrimitiveDateTime>,
    Option<String>,
);

/// The latest jobs, newest first.
pub fn recent(conn: &mut AnyConnection, limit: i64) -> Result<Vec<Entry>, StorageError> {
    let rows: Vec<EntryRow> = o::table
        .order(o::id.desc())
        .limit(limit)
        .select((
            o::id,
            o::kind,
            o::payload,
            o::tries,
            o::done_at,
            o::last_error,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, kind, payload, tries, done, last_error)| Entry {
            id,
            kind,
            payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
            tries,
            delivered: done.is_some(),
            last_error,
        })
        .collect())
}
