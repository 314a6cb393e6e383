//! Mock exam attempts: the paper as assembled, the deadline, the saved answers, submission (by the
//! candidate or by the server at the deadline), totals for the cohort's ranking, and item exposure.
//!
//! Saving answers is the hot path: [`save_batch`] writes many saves in the caller's transaction (one
//! commit for the batch: group commit), each one conditional on its attempt being open and before its
//! deadline — checked in the same transaction, under a lock a submission must wait for, so no save lands
//! after a submission on any server.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::upsert::excluded;
use time::PrimitiveDateTime;

use super::conn::write_tx;
use super::schema::{
    attempt_answers as aa, attempt_items as ai, attempts as a, item_exposure as ie,
};
use super::{AnyConnection, StorageError};
use crate::domain::grading::PaperQuestion;
use crate::paper::Paper;

/// What is stored of an assembled paper: the paper and every answerable question.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StoredPaper {
    pub paper: Paper,
    pub questions: Vec<PaperQuestion>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptStatus {
    Open,
    Submitted,
}

/// An attempt.
#[derive(Clone, Debug, PartialEq)]
pub struct Attempt {
    pub id: String,
    pub user_id: String,
    pub blueprint: String,
    pub seed: u64,
    pub pool_version: String,
    pub paper: StoredPaper,
    pub started_at: PrimitiveDateTime,
    pub deadline: PrimitiveDateTime,
    pub status: AttemptStatus,
    pub submitted_at: Option<PrimitiveDateTime>,
    /// `candidate` or `deadline`.
    pub submitted_by: Option<String>,
    pub total: Option<u32>,
    pub passed: Option<bool>,
    /// The school assessment this attempt sits, if any.
    pub assessment_id: Option<String>,
}

type AttemptRow = (
    String,
    String,
    String,
    i64,
    String,
    String,
    PrimitiveDateTime,
    PrimitiveDateTime,
    String,
    Option<PrimitiveDateTime>,
    Option<String>,
    Option<i32>,
    Option<bool>,
    Option<String>,
);

macro_rules! attempt_columns {
    () => {
        (
            a::id,
            a::user_id,
            a::blueprint,
            a::seed,
            a::pool_version,
            a::paper,
            a::started_at,
            a::deadline,
            a::status,
            a::submitted_at,
            a::submitted_by,
            a::total,
            a::passed,
            a::assessment_id,
        )
    };
}

fn attempt(row: AttemptRow) -> Result<Attempt, StorageError> {
    let paper = serde_json::from_str(&row.5)
        .map_err(|e| StorageError::Corrupt(format!("attempt {}: paper: {e}", row.0)))?;
    Ok(Attempt {
        id: row.0,
        user_id: row.1,
        blueprint: row.2,
        seed: row.3 as u64,
        pool_version: row.4,
        paper,
        started_at: row.6,
        deadline: row.7,
        status: if row.8 == "open" {
            AttemptStatus::Open
        } else {
            AttemptStatus::Submitted
        },
        submitted_at: row.9,
        submitted_by: row.10,
        total: row.11.map(|t| t.max(0) as u32),
        passed: row.12,
        assessment_id: row.13,
    })
}

/// Stores a new attempt.
pub fn create(conn: &mut AnyConnection, at: &Attempt) -> Result<(), StorageError> {
    let paper =
        serde_json::to_string(&at.paper).map_err(|e| StorageError::Corrupt(e.to_string()))?;
    let items: Vec<String> = at
        .paper
        .paper
        .item_ids()
        .iter()
        .map(|i| i.to_string())
        .collect();
    diesel::insert_into(a::table)
        .values((
            a::id.eq(&at.id),
            a::user_id.eq(&at.user_id),
            a::blueprint.eq(&at.blueprint),
            a::seed.eq(at.seed as i64),
            a::pool_version.eq(&at.pool_version),
            a::paper.eq(paper),
            a::started_at.eq(at.started_at),
            a::deadline.eq(at.deadline),
            a::status.eq("open"),
            a::assessment_id.eq(at.assessment_id.as_deref()),
        ))
        .execute(conn)?;
    diesel::insert_into(ai::table)
        .values((
            ai::attempt_id.eq(&at.id),
            ai::user_id.eq(&at.user_id),
            ai::items.eq(items.join(" ")),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<Attempt>, StorageError> {
    a::table
        .filter(a::id.eq(id))
        .select(attempt_columns!())
        .first::<AttemptRow>(conn)
        .optional()?
        .map(attempt)
        .transpose()
}

/// A user's attempts, newest first.
pub fn of_user(conn: &mut AnyConnection, user_id: &str) -> Result<Vec<Attempt>, StorageError> {
    a::table
        .filter(a::user_id.eq(user_id))
        .order(a::started_at.desc())
        .select(attempt_columns!())
        .load::<AttemptRow>(conn)?
        .into_iter()
        .map(attempt)
        .collect()
}

/// The attempts at a school assessment, oldest first.
pub fn of_assessment(
    conn: &mut AnyConnection,
    assessment_id: &str,
) -> Result<Vec<Attempt>, StorageError> {
    a::table
        .filter(a::assessment_id.eq(assessment_id))
        .order((a::started_at.asc(), a::id.asc()))
        .select(attempt_columns!())
        .load::<AttemptRow>(conn)?
        .into_iter()
        .map(attempt)
        .collect()
}

/// A user's attempts at a school assessment, newest first.
pub fn of_user_at(
    conn: &mut AnyConnection,
    user_id: &str,
    assessment_id: &str,
) -> Result<Vec<Attempt>, StorageError> {
    a::table
        .filter(a::assessment_id.eq(assessment_id))
        .filter(a::user_id.eq(user_id))
        .order(a::started_at.desc())
        .select(attempt_columns!())
        .load::<AttemptRow>(conn)?
        .into_iter()
        .map(attempt)
        .collect()
}

/// The id of a user's open attempt at a school assessment, if any.
pub fn open_at(
    conn: &mut AnyConnection,
    user_id: &str,
    assessment_id: &str,
) -> Result<Option<String>, StorageError> {
    Ok(a::table
        .filter(a::assessment_id.eq(assessment_id))
        .filter(a::user_id.eq(user_id))
        .filter(a::status.eq("open"))
        .select(a::id)
        .first(conn)
        .optional()?)
}

/// How many of a user's latest papers count as "seen" for assembly: a full paper holds about a fifth of
/// the shipped pool, so older papers than these no longer change which items come first.
pub const SEEN_PAPERS: i64 = 12;

/// The item lists (ids separated by spaces) of a user's latest papers, to avoid those items first;
/// one query.
pub fn seen_items(conn: &mut AnyConnection, user_id: &str) -> Result<Vec<String>, StorageError> {
    let latest = a::table
        .filter(a::user_id.eq(user_id))
        .order(a::started_at.desc())
        .limit(SEEN_PAPERS)
        .select(a::id);
    Ok(ai::table
        .filter(ai::attempt_id.eq_any(latest))
        .select(ai::items)
        .load(conn)?)
}

/// The saved answers of an attempt, by slot.
pub fn answers(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<HashMap<String, (serde_json::Value, PrimitiveDateTime)>, StorageError> {
    let rows: Vec<(String, String, PrimitiveDateTime)> = aa::table
        .filter(aa::attempt_id.eq(id))
        .select((aa::slot, aa::answer, aa::saved_at))
        .load(conn)?;
    rows.into_iter()
        .map(|(slot, answer, at)| {
            let v = serde_json::from_str(&answer)
                .map_err(|e| StorageError::Corrupt(format!("attempt {id} slot {slot}: {e}")))?;
            Ok((slot, (v, at)))
        })
        .collect()
}

/// One save of an answer.
#[derive(Clone, Debug)]
pub struct Save {
    pub attempt_id: String,
    pub slot: String,
    /// The answer as JSON text.
    pub answer: String,
    pub at: PrimitiveDateTime,
}

/// Writes the saves in the caller's transaction; each lands only if its attempt is open and before its
/// deadline at `save.at`. Returns, per save, whether it landed. Two statements for the whole batch: the
/// open attempts among the batch's (on PostgreSQL locked `FOR SHARE`, so a submission — which updates
/// the row — waits for the saves in flight, and a save waiting behind a submission sees it submitted;
/// on SQLite the caller's `BEGIN IMMEDIATE` already excludes every other writer), then one multi-row
/// upsert of the saves that land (the last save of a slot wins, as one after the other would).
pub fn save_batch(conn: &mut AnyConnection, saves: &[Save]) -> Result<Vec<bool>, StorageError> {
    if saves.is_empty() {
        return Ok(Vec::new());
    }
    let mut ids: Vec<&str> = saves.iter().map(|s| s.attempt_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    // By id alone, so that every lookup goes through the primary key: with `status = 'open'` in the
    // query, SQLite's planner may walk the (status, deadline) index over every open attempt instead.
    let rows = a::table
        .filter(a::id.eq_any(&ids))
        .select((a::id, a::status, a::deadline));
    let rows: Vec<(String, String, PrimitiveDateTime)> = match conn {
        AnyConnection::Sqlite(c) => rows.load(c)?,
        AnyConnection::Postgresql(c) => rows.for_share().load(c)?,
    };
    let open: HashMap<String, PrimitiveDateTime> = rows
        .into_iter()
        .filter(|(_, status, _)| status == "open")
        .map(|(id, _, deadline)| (id, deadline))
        .collect();
    let landed: Vec<bool> = saves
        .iter()
        .map(|s| open.get(&s.attempt_id).is_some_and(|d| *d > s.at))
        .collect();
    // One row per (attempt, slot): the batch's last save of it.
    let mut last: HashMap<(&str, &str), usize> = HashMap::new();
    for (i, s) in saves.iter().enumerate().filter(|(i, _)| landed[*i]) {
        last.insert((&s.attempt_id, &s.slot), i);
    }
    let mut rows: Vec<usize> = last.into_values().collect();
    rows.sort_unstable();
    let values: Vec<_> = rows
        .iter()
        .map(|&i| {
            let s = &saves[i];
            (
                aa::attempt_id.eq(&s.attempt_id),
                aa::slot.eq(&s.slot),
                aa::answer.eq(&s.answer),
                aa::saved_at.eq(s.at),
            )
        })
        .collect();
    if !values.is_empty() {
        let set = (
            aa::answer.eq(excluded(aa::answer)),
            aa::saved_at.eq(excluded(aa::saved_at)),
        );
        // Once per backend: `MultiConnection` has no `ON CONFLICT` (nor multi-row `VALUES`).
        match conn {
            AnyConnection::Sqlite(c) => diesel::insert_into(aa::table)
                .values(&values)
                .on_conflict((aa::attempt_id, aa::slot))
                .do_update()
                .set(set)
                .execute(c)?,
            AnyConnection::Postgresql(c) => diesel::insert_into(aa::table)
                .values(&values)
                .on_conflict((aa::attempt_id, aa::slot))
                .do_update()
                .set(set)
                .execute(c)?,
        };
    }
    Ok(landed)
}

/// Saves in one transaction of their own (one commit).
pub fn save_all(conn: &mut AnyConnection, saves: &[Save]) -> Result<Vec<bool>, StorageError> {
    write_tx(conn, |c| save_batch(c, saves))
}

/// Marks an open attempt submitted (inside the caller's transaction). False when it was not open.
pub fn claim_submission(
    conn: &mut AnyConnection,
    id: &str,
    by: &str,
    at: PrimitiveDateTime,
) -> Result<bool, StorageError> {
    let n = diesel::update(a::table.filter(a::id.eq(id)).filter(a::status.eq("open")))
        .set((
            a::status.eq("submitted"),
            a::submitted_at.eq(Some(at)),
            a::submitted_by.eq(Some(by)),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Records an attempt's earned total and pass (for the cohort's ranking).
pub fn set_totals(
    conn: &mut AnyConnection,
    id: &str,
    total: u32,
    passed: bool,
) -> Result<(), StorageError> {
    diesel::update(a::table.filter(a::id.eq(id)))
        .set((a::total.eq(Some(total as i32)), a::passed.eq(Some(passed))))
        .execute(conn)?;
    Ok(())
}

/// Open attempts whose deadline has passed.
pub fn due(
    conn: &mut AnyConnection,
    now: PrimitiveDateTime,
    limit: i64,
) -> Result<Vec<String>, StorageError> {
    Ok(a::table
        .filter(a::status.eq("open"))
        .filter(a::deadline.le(now))
        .order(a::deadline.asc())
        .limit(limit)
        .select(a::id)
        .load(conn)?)
}

/// Submitted attempts not marked yet (their total is still NULL), oldest submission first.
pub fn unmarked(conn: &mut AnyConnection, limit: i64) -> Result<Vec<String>, StorageError> {
    Ok(a::table
        .filter(a::status.eq("submitted"))
        .filter(a::total.is_null())
        .order(a::submitted_at.asc())
        .limit(limit)
        .select(a::id)
        .load(conn)?)
}

/// A user's submitted attempts not marked yet.
pub fn unmarked_of(conn: &mut AnyConnection, user_id: &str) -> Result<Vec<String>, StorageError> {
    Ok(a::table
        .filter(a::user_id.eq(user_id))
        .filter(a::status.eq("submitted"))
        .filter(a::total.is_null())
        .select(a::id)
        .load(conn)?)
}

/// An assessment's submitted attempts not marked yet.
pub fn unmarked_at(
    conn: &mut AnyConnection,
    assessment_id: &str,
) -> Result<Vec<String>, StorageError> {
    Ok(a::table
        .filter(a::assessment_id.eq(assessment_id))
        .filter(a::status.eq("submitted"))
        .filter(a::total.is_null())
        .select(a::id)
        .load(conn)?)
}

/// Claims the marking of a submitted attempt (in the marking transaction): true for the one caller
/// that finds it unmarked; its real total is set when the marking is done.
pub fn claim_marking(conn: &mut AnyConnection, id: &str) -> Result<bool, StorageError> {
    let n = diesel::update(
        a::table
            .filter(a::id.eq(id))
            .filter(a::status.eq("submitted"))
            .filter(a::total.is_null()),
    )
    .set(a::total.eq(Some(0)))
    .execute(conn)?;
    Ok(n == 1)
}

/// The totals of the passers among the attempts of `blueprint` submitted since `since` (the cohort).
pub fn cohort_passers(
    conn: &mut AnyConnection,
    blueprint: &str,
    since: PrimitiveDateTime,
) -> Result<Vec<u32>, StorageError> {
    let v: Vec<Option<i32>> = a::table
        .filter(a::blueprint.eq(blueprint))
        .filter(a::status.eq("submitted"))
        .filter(a::submitted_at.ge(since))
        .filter(a::passed.eq(true))
        .select(a::total)
        .load(conn)?;
    Ok(v.into_iter().flatten().map(|t| t.max(0) as u32).collect())
}

/// Where `total` stands in the cohort of `blueprint` since `since`: how many passers it has, and how
/// many of them scored more (two counts over the covering index `attempts_cohort_totals`).
pub fn cohort_standing(
    conn: &mut AnyConnection,
    blueprint: &str,
    since: PrimitiveDateTime,
    total: u32,
) -> Result<(usize, usize), StorageError> {
    let passers = || {
        a::table
            .filter(a::blueprint.eq(blueprint))
            .filter(a::passed.eq(true))
            .filter(a::status.eq("submitted"))
            .filter(a::submitted_at.ge(since))
    };
    let n: i64 = passers().count().get_result(conn)?;
    let above: i64 = passers()
        .filter(a::total.gt(total as i32))
        .count()
        .get_result(conn)?;
    Ok((n.max(0) as usize, above.max(0) as usize))
}

/// How many papers have used each item.
pub fn exposure(conn: &mut AnyConnection) -> Result<HashMap<String, u32>, StorageError> {
    let rows: Vec<(String, i64)> = ie::table.select((ie::item_id, ie::uses)).load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, n)| (id, n.clamp(0, i64::from(u32::MAX)) as u32))
        .collect())
}

/// Adds uses to items' exposure.
pub fn add_exposure(
    conn: &mut AnyConnection,
    uses: &HashMap<String, u32>,
) -> Result<(), StorageError> {
    write_tx(conn, |conn| {
        for (item, n) in uses {
            let updated = diesel::update(ie::table.filter(ie::item_id.eq(item)))
                .set(ie::uses.eq(ie::uses + i64::from(*n)))
                .execute(conn)?;
            if updated == 0 {
                diesel::insert_into(ie::table)
                    .values((ie::item_id.eq(item), ie::uses.eq(i64::from(*n))))
                    .execute(conn)?;
            }
        }
        Ok(())
    })
}
