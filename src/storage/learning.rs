//! The learner model in the database: one row of beliefs per candidate and one row of parameters per
//! question, updated in the same transaction as the answer that moves them, and rebuilt from the answer
//! log (`tiku rebuild-model`) by replaying every auto-marked answer in the order it was recorded.
//!
//! Only auto-marked answers teach the model: written answers are marked later (by the candidate
//! against the rubric, or by a teacher). A regrade re-marks old answers, so it queues a rebuild in the
//! outbox (`rebuild_model`), which a server's delivery worker runs while answers keep arriving.

use std::collections::HashMap;

use diesel::prelude::*;
use time::PrimitiveDateTime;

use super::conn::write_tx;
use super::schema::{item_params as ip, learner_models as lm, responses as r};
use super::{AnyConnection, StorageError, items, now};
use crate::adaptive::model::{ItemParams, Learner, QuestionMeta, metas};
use crate::domain::item::Item;
use crate::domain::scoring::{Mark, MarkState};

/// What an answer tells the model: the fraction earned, for auto-marked answers only.
pub fn outcome(mark: &Mark) -> Option<f64> {
    (mark.state == MarkState::Auto && mark.max > 0)
        .then(|| f64::from(mark.awarded) / f64::from(mark.max))
}

/// Unix seconds of a stored time.
pub fn unix(at: PrimitiveDateTime) -> i64 {
    at.assume_utc().unix_timestamp()
}

/// The candidate's beliefs (the prior when they have answered nothing yet).
pub fn learner(conn: &mut AnyConnection, user_id: &str) -> Result<Learner, StorageError> {
    let row: Option<String> = lm::table
        .filter(lm::user_id.eq(user_id))
        .select(lm::model)
        .first(conn)
        .optional()?;
    match row {
        Some(json) => serde_json::from_str(&json)
            .map_err(|e| StorageError::Corrupt(format!("learner model of {user_id}: {e}"))),
        None => Ok(Learner::default()),
    }
}

/// The candidate's beliefs, their row locked until the transaction ends on PostgreSQL (SQLite's write
/// transaction holds the write lock already), so that a practice answer and a mock's marks for the same
/// candidate cannot overwrite each other.
fn locked_learner(conn: &mut AnyConnection, user_id: &str) -> Result<Learner, StorageError> {
    let q = lm::table.filter(lm::user_id.eq(user_id)).select(lm::model);
    let row: Option<String> = match conn {
        AnyConnection::Sqlite(c) => q.first(c).optional()?,
        AnyConnection::Postgresql(c) => q.for_update().first(c).optional()?,
    };
    match row {
        Some(json) => serde_json::from_str(&json)
            .map_err(|e| StorageError::Corrupt(format!("learner model of {user_id}: {e}"))),
        None => Ok(Learner::default()),
    }
}

fn save_learner(conn: &mut AnyConnection, user_id: &str, l: &Learner) -> Result<(), StorageError> {
    let json = serde_json::to_string(l).map_err(|e| StorageError::Corrupt(e.to_string()))?;
    let n = diesel::update(lm::table.filter(lm::user_id.eq(user_id)))
        .set((
            lm::model.eq(&json),
            lm::last_response.eq(l.last_response),
            lm::updated_at.eq(now()),
        ))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(lm::table)
            .values((
                lm::user_id.eq(user_id),
                lm::model.eq(&json),
                lm::last_response.eq(l.last_response),
                lm::updated_at.eq(now()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

type ParamRow = (String, f64, f64, f64, i32);

fn params_of(row: ParamRow) -> (String, ItemParams) {
    (
        row.0,
        ItemParams {
            a: row.1,
            b: row.2,
            var_b: row.3,
            answers: row.4.max(0) as u32,
        },
    )
}

/// Every calibrated question's parameters (questions never answered are absent: they have their prior).
pub fn all_params(conn: &mut AnyConnection) -> Result<HashMap<String, ItemParams>, StorageError> {
    Ok(ip::table
        .select((ip::question_id, ip::a, ip::b, ip::var_b, ip::answers))
        .load::<ParamRow>(conn)?
        .into_iter()
        .map(params_of)
        .collect())
}

/// One question's parameters, or its prior.
pub fn params(conn: &mut AnyConnection, meta: &QuestionMeta) -> Result<ItemParams, StorageError> {
    let row: Option<ParamRow> = ip::table
        .filter(ip::question_id.eq(&meta.id))
        .select((ip::question_id, ip::a, ip::b, ip::var_b, ip::answers))
        .first(conn)
        .optional()?;
    Ok(row.map_or_else(|| ItemParams::prior(meta.difficulty), |r| params_of(r).1))
}

/// The parameters of the questions (`ids` sorted), locked until the transaction ends so that concurrent
/// markings cannot lose each other's updates: rows locked in question order on PostgreSQL (no deadlock
/// between markings), while a SQLite write transaction holds the one write lock already. Questions
/// without a row get their prior's row first, so that there is a row to lock.
fn locked_params(
    conn: &mut AnyConnection,
    ids: &[&str],
    prior: impl Fn(&str) -> ItemParams,
) -> Result<HashMap<String, ItemParams>, StorageError> {
    fn read(
        conn: &mut AnyConnection,
        ids: &[&str],
    ) -> Result<HashMap<String, ItemParams>, StorageError> {
        let q = ip::table
            .filter(ip::question_id.eq_any(ids))
            .order(ip::question_id)
            .select((ip::question_id, ip::a, ip::b, ip::var_b, ip::answers));
        let rows: Vec<ParamRow> = match conn {
            AnyConnection::Sqlite(c) => q.load(c)?,
            AnyConnection::Postgresql(c) => q.for_update().load(c)?,
        };
        Ok(rows.into_iter().map(params_of).collect())
    }
    let found = read(conn, ids)?;
    let missing: Vec<(String, ItemParams)> = ids
        .iter()
        .filter(|id| !found.contains_key(**id))
        .map(|id| ((*id).to_owned(), prior(id)))
        .collect();
    if missing.is_empty() {
        return Ok(found);
    }
    let rows: Vec<_> = missing.iter().map(|(id, p)| param_row(id, p)).collect();
    // Once per backend: `MultiConnection` has no `ON CONFLICT`.
    match conn {
        AnyConnection::Sqlite(c) => diesel::insert_into(ip::table)
            .values(&rows)
            .on_conflict_do_nothing()
            .execute(c)?,
        AnyConnection::Postgresql(c) => diesel::insert_into(ip::table)
            .values(&rows)
            .on_conflict_do_nothing()
            .execute(c)?,
    };
    read(conn, ids)
}

type ParamValues<'a> = (
    diesel::dsl::Eq<ip::question_id, &'a str>,
    diesel::dsl::Eq<ip::a, f64>,
    diesel::dsl::Eq<ip::b, f64>,
    diesel::dsl::Eq<ip::var_b, f64>,
    diesel::dsl::Eq<ip::answers, i32>,
);

fn param_row<'a>(id: &'a str, p: &ItemParams) -> ParamValues<'a> {
    (
        ip::question_id.eq(id),
        ip::a.eq(p.a),
        ip::b.eq(p.b),
        ip::var_b.eq(p.var_b),
        ip::answers.eq(p.answers.min(i32::MAX as u32) as i32),
    )
}

/// Writes questions' parameters, a statement per thousand (an upsert, so it also stands alone).
fn save_params<'a>(
    conn: &mut AnyConnection,
    params: impl IntoIterator<Item = (&'a String, &'a ItemParams)>,
) -> Result<(), StorageError> {
    let rows: Vec<_> = params.into_iter().map(|(id, p)| param_row(id, p)).collect();
    for chunk in rows.chunks(1000) {
        upsert_params(conn, chunk)?;
    }
    Ok(())
}

fn upsert_params(conn: &mut AnyConnection, rows: &[ParamValues<'_>]) -> Result<(), StorageError> {
    use diesel::upsert::excluded;
    let set = (
        ip::a.eq(excluded(ip::a)),
        ip::b.eq(excluded(ip::b)),
        ip::var_b.eq(excluded(ip::var_b)),
        ip::answers.eq(excluded(ip::answers)),
    );
    // Once per backend: `MultiConnection` has no `ON CONFLICT`.
    match conn {
        AnyConnection::Sqlite(c) => diesel::insert_into(ip::table)
            .values(rows)
            .on_conflict(ip::question_id)
            .do_update()
            .set(set)
            .execute(c)?,
        AnyConnection::Postgresql(c) => diesel::insert_into(ip::table)
            .values(rows)
            .on_conflict(ip::question_id)
            .do_update()
            .set(set)
            .execute(c)?,
    };
    Ok(())
}

/// Locks, before answers are recorded, the rows their learning will update: the candidate's beliefs
/// and the parameters of the questions answered (`(item, question id)` pairs). On PostgreSQL a
/// concurrent recording that shares a row then waits for this transaction's commit before it numbers
/// its own answers, so the model online applies answers in the log's order, as `tiku rebuild-model`
/// does; SQLite's write transaction is exclusive, which orders them already.
pub fn lock_for(
    conn: &mut AnyConnection,
    user_id: &str,
    answered: &[(&Item, &str)],
) -> Result<(), StorageError> {
    let AnyConnection::Postgresql(c) = &mut *conn else {
        return Ok(());
    };
    // A row to lock for a candidate who has none yet; locked only, as `observe_all` reads the values
    // later in the same transaction.
    let json = serde_json::to_string(&Learner::default())
        .map_err(|e| StorageError::Corrupt(e.to_string()))?;
    diesel::insert_into(lm::table)
        .values((
            lm::user_id.eq(user_id),
            lm::model.eq(&json),
            lm::last_response.eq(0i64),
            lm::updated_at.eq(now()),
        ))
        .on_conflict_do_nothing()
        .execute(c)?;
    lm::table
        .filter(lm::user_id.eq(user_id))
        .select(lm::user_id)
        .for_update()
        .load::<String>(c)?;
    let mut described: HashMap<String, Vec<QuestionMeta>> = HashMap::new();
    let mut difficulty: HashMap<String, u8> = HashMap::new();
    for (item, qid) in answered {
        let metas = described
            .entry(item.id.to_string())
            .or_insert_with(|| metas(item));
        if let Some(m) = metas.iter().find(|m| m.id == *qid) {
            difficulty.insert(m.id.clone(), m.difficulty);
        }
    }
    let mut ids: Vec<&str> = difficulty.keys().map(String::as_str).collect();
    ids.sort_unstable();
    locked_params(conn, &ids, |id| {
        ItemParams::prior(difficulty.get(id).copied().unwrap_or(3))
    })?;
    Ok(())
}

/// One recorded answer for the model.
pub struct Observation<'a> {
    pub response_id: i64,
    pub item: &'a Item,
    pub question_id: &'a str,
    pub mark: Mark,
    pub at: PrimitiveDateTime,
}

/// Applies a recorded answer to the candidate and the question (call inside the transaction that
/// recorded it). Answers that teach nothing (not auto-marked) and answers already applied are ignored.
pub fn observe(
    conn: &mut AnyConnection,
    user_id: &str,
    response_id: i64,
    item: &Item,
    question_id: &str,
    mark: &Mark,
    at: PrimitiveDateTime,
) -> Result<(), StorageError> {
    observe_all(
        conn,
        user_id,
        &[Observation {
            response_id,
            item,
            question_id,
            mark: *mark,
            at,
        }],
    )
}

/// Applies a candidate's recorded answers in order (a submitted mock's), reading and writing their
/// beliefs once.
pub fn observe_all(
    conn: &mut AnyConnection,
    user_id: &str,
    answers: &[Observation<'_>],
) -> Result<(), StorageError> {
    let mut l = locked_learner(conn, user_id)?;
    // What teaches the model, with each question's description (a case's parts share one item).
    let mut described: HashMap<String, Vec<QuestionMeta>> = HashMap::new();
    let mut taught: Vec<(QuestionMeta, f64, &Observation<'_>)> = Vec::new();
    for o in answers {
        let Some(y) = outcome(&o.mark) else {
            continue;
        };
        if o.response_id <= l.last_response {
            continue;
        }
        let metas = described
            .entry(o.item.id.to_string())
            .or_insert_with(|| metas(o.item));
        if let Some(meta) = metas.iter().find(|m| m.id == o.question_id) {
            taught.push((meta.clone(), y, o));
        }
    }
    if taught.is_empty() {
        return Ok(());
    }
    // The questions' parameters in one read, locked.
    let mut ids: Vec<&str> = taught.iter().map(|(m, _, _)| m.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let difficulty: HashMap<&str, u8> = taught
        .iter()
        .map(|(m, _, _)| (m.id.as_str(), m.difficulty))
        .collect();
    let mut stored = locked_params(conn, &ids, |id| {
        ItemParams::prior(difficulty.get(id).copied().unwrap_or(3))
    })?;
    let mut touched: std::collections::BTreeMap<String, ItemParams> =
        std::collections::BTreeMap::new();
    for (meta, y, o) in &taught {
        let mut p = match touched.remove(&meta.id) {
            Some(p) => p,
            None => stored
                .remove(&meta.id)
                .unwrap_or_else(|| ItemParams::prior(meta.difficulty)),
        };
        l.observe(meta, &mut p, *y, unix(o.at), o.response_id);
        touched.insert(meta.id.clone(), p);
    }
    save_params(conn, &touched)?;
    save_learner(conn, user_id, &l)
}

/// What a rebuild did.
#[derive(Debug, Default, PartialEq)]
pub struct Rebuilt {
    pub answers: usize,
    pub learners: usize,
    pub questions: usize,
}

type LogRow = (
    i64,
    String,
    String,
    i32,
    String,
    i32,
    i32,
    String,
    PrimitiveDateTime,
);

/// The model as a replay of the log builds it.
#[derive(Default)]
struct Replay {
    learners: HashMap<String, Learner>,
    params: HashMap<String, ItemParams>,
    meta_cache: HashMap<(String, i32), Vec<QuestionMeta>>,
    answers: usize,
}

impl Replay {
    /// Applies log rows, in the order given.
    fn apply(&mut self, conn: &mut AnyConnection, page: Vec<LogRow>) -> Result<(), StorageError> {
        for (id, user, item_id, version, qid, awarded, max, _, at) in page {
            let key = (item_id.clone(), version);
            if !self.meta_cache.contains_key(&key) {
                let found = items::get(conn, &item_id, u32::try_from(version).ok())?
                    .map(|s| metas(&s.item))
                    .unwrap_or_default();
                self.meta_cache.insert(key.clone(), found);
            }
            let Some(meta) = self.meta_cache[&key].iter().find(|m| m.id == qid) else {
                continue;
            };
            let mark = Mark {
                awarded: awarded.max(0) as u32,
                max: max.max(0) as u32,
                state: MarkState::Auto,
            };
            let Some(y) = outcome(&mark) else {
                continue;
            };
            let p = self
                .params
                .entry(meta.id.clone())
                .or_insert_with(|| ItemParams::prior(meta.difficulty));
            self.learners
                .entry(user)
                .or_default()
                .observe(meta, p, y, unix(at), id);
            self.answers += 1;
        }
        Ok(())
    }
}

/// The auto-marked answers of the log in pages, by id: those after `after`, or those among `ids`.
fn log_page(
    conn: &mut AnyConnection,
    after: i64,
    ids: Option<&[i64]>,
) -> Result<Vec<LogRow>, StorageError> {
    let mut q = r::table
        .filter(r::state.eq("auto"))
        .order(r::id)
        .select((
            r::id,
            r::user_id,
            r::item_id,
            r::version,
            r::question_id,
            r::awarded,
            r::max_points,
            r::state,
            r::created_at,
        ))
        .into_boxed();
    q = match ids {
        Some(ids) => q.filter(r::id.eq_any(ids.to_vec())),
        None => q.filter(r::id.gt(after)).limit(5_000),
    };
    Ok(q.load(conn)?)
}

/// The ids in `all` (ascending) that are not in `seen` (ascending).
fn not_seen(all: &[i64], seen: &[i64]) -> Vec<i64> {
    let mut out = Vec::new();
    let mut j = 0;
    for &id in all {
        while j < seen.len() && seen[j] < id {
            j += 1;
        }
        if j >= seen.len() || seen[j] != id {
            out.push(id);
        }
    }
    out
}

/// Replays the whole answer log in order and replaces the stored model with the result, also while
/// servers keep recording answers. The log is read in one snapshot (a read transaction, REPEATABLE READ
/// on PostgreSQL); then, in a write transaction that holds the model's tables against recorders (SQLite's
/// write lock; `LOCK TABLE … IN EXCLUSIVE MODE` on PostgreSQL), the answers committed since the snapshot
/// are replayed on top, by id, and the result is written. An answer committed after the snapshot
/// committed after every answer of the snapshot that shares a row with it (recorders lock those rows
/// before they number their answers), so replaying it last is the order the model online applied it in.
pub fn rebuild(conn: &mut AnyConnection) -> Result<Rebuilt, StorageError> {
    let snapshot = snapshot(conn)?;
    finish(conn, snapshot)
}

/// The first half of [`rebuild`]: the log replayed as one snapshot of it shows it.
pub struct Snapshot {
    replay: Replay,
    /// The ids of the answers the snapshot held, ascending.
    seen: Vec<i64>,
}

/// Replays the log as one snapshot shows it (nothing is written).
pub fn snapshot(conn: &mut AnyConnection) -> Result<Snapshot, StorageError> {
    let mut replay = Replay::default();
    let seen = conn.transaction::<_, StorageError, _>(|c| {
        if let AnyConnection::Postgresql(_) = c {
            diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(c)?;
        }
        let mut seen = Vec::new();
        let mut after = 0i64;
        loop {
            let page = log_page(c, after, None)?;
            let Some(last) = page.last() else {
                break;
            };
            after = last.0;
            seen.extend(page.iter().map(|row| row.0));
            replay.apply(c, page)?;
        }
        Ok(seen)
    })?;
    Ok(Snapshot { replay, seen })
}

/// The second half of [`rebuild`]: with recorders held off, the answers committed since the snapshot
/// replayed on top, and the model written.
pub fn finish(conn: &mut AnyConnection, snapshot: Snapshot) -> Result<Rebuilt, StorageError> {
    let Snapshot { mut replay, seen } = snapshot;
    write_tx(conn, |c| {
        if let AnyConnection::Postgresql(_) = c {
            diesel::sql_query("LOCK TABLE learner_models, item_params IN EXCLUSIVE MODE")
                .execute(c)?;
        }
        let all: Vec<i64> = r::table
            .filter(r::state.eq("auto"))
            .order(r::id)
            .select(r::id)
            .load(c)?;
        for chunk in not_seen(&all, &seen).chunks(500) {
            let page = log_page(c, 0, Some(chunk))?;
            replay.apply(c, page)?;
        }
        diesel::delete(lm::table).execute(c)?;
        diesel::delete(ip::table).execute(c)?;
        for (user, l) in &replay.learners {
            save_learner(c, user, l)?;
        }
        save_params(c, &replay.params)?;
        Ok::<_, StorageError>(())
    })?;
    Ok(Rebuilt {
        answers: replay.answers,
        learners: replay.learners.len(),
        questions: replay.params.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::not_seen;

    #[test]
    fn the_answers_not_seen_in_the_snapshot_are_found_in_order() {
        assert_eq!(not_seen(&[1, 2, 3, 5, 8, 9], &[2, 3, 8]), vec![1, 5, 9]);
        assert_eq!(not_seen(&[4, 6], &[]), vec![4, 6]);
        assert!(not_seen(&[1, 2], &[1, 2]).is_empty());
    }
}
