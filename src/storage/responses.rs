//! Candidates' answers, one row per answered question, pinned to the item version that was shown.
//!
//! This is the answer log: practice and mock answers are appended here, item statistics and regrades read
//! it, and a regrade rewrites only the mark of a row (never the answer or the version it was given for).

use diesel::prelude::*;
use time::PrimitiveDateTime;

use super::schema::responses as r;
use super::{AnyConnection, StorageError, now};
use crate::domain::scoring::{Mark, MarkState};

/// Where an answer was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    Practice,
    Mock,
    Assessment,
}

impl Context {
    pub fn code(self) -> &'static str {
        match self {
            Context::Practice => "practice",
            Context::Mock => "mock",
            Context::Assessment => "assessment",
        }
    }

    pub fn parse(code: &str) -> Option<Context> {
        match code {
            "practice" => Some(Context::Practice),
            "mock" => Some(Context::Mock),
            "assessment" => Some(Context::Assessment),
            _ => None,
        }
    }
}

/// The stored form of a mark's state.
pub fn state_code(state: MarkState) -> &'static str {
    match state {
        MarkState::Auto => "auto",
        MarkState::Pending => "pending",
        MarkState::Graded => "graded",
        MarkState::SelfAssessed => "self_assessed",
    }
}

fn parse_state(code: &str) -> Result<MarkState, StorageError> {
    match code {
        "auto" => Ok(MarkState::Auto),
        "pending" => Ok(MarkState::Pending),
        "graded" => Ok(MarkState::Graded),
        "self_assessed" => Ok(MarkState::SelfAssessed),
        other => Err(StorageError::Corrupt(format!(
            "unknown response state `{other}`"
        ))),
    }
}

/// An answer to record.
pub struct NewResponse<'a> {
    pub user_id: &'a str,
    pub item_id: &'a str,
    pub version: u32,
    /// The item's id, or `{item}.{part}` for a case part.
    pub question_id: &'a str,
    /// The seed of a template's variant (0 for items that are not templates).
    pub variant: u64,
    /// The answer as the API received it (JSON).
    pub answer: &'a serde_json::Value,
    pub mark: Mark,
    pub seconds: Option<u32>,
    pub context: Context,
    pub attempt_id: Option<&'a str>,
}

/// A recorded answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    pub id: i64,
    pub user_id: String,
    pub item_id: String,
    pub version: u32,
    pub question_id: String,
    pub variant: u64,
    pub answer: serde_json::Value,
    pub mark: Mark,
    pub seconds: Option<u32>,
    pub context: Context,
    pub attempt_id: Option<String>,
    pub created_at: PrimitiveDateTime,
    /// The version whose key marked it, when a regrade re-marked it.
    pub marked_version: Option<u32>,
}

type ResponseRow = (
    i64,
    String,
    String,
    i32,
    String,
    i64,
    String,
    i32,
    i32,
    String,
    Option<i32>,
    String,
    Option<String>,
    PrimitiveDateTime,
    Option<i32>,
);

macro_rules! response_columns {
    () => {
        (
            r::id,
            r::user_id,
            r::item_id,
            r::version,
            r::question_id,
            r::variant,
            r::answer,
            r::awarded,
            r::max_points,
            r::state,
            r::seconds,
            r::context,
            r::attempt_id,
            r::created_at,
            r::marked_version,
        )
    };
}

fn response(row: ResponseRow) -> Result<Response, StorageError> {
    let (id, user_id, item_id, version, question_id, variant, answer, awarded, max, state) = (
        row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9,
    );
    let corrupt = |what: &str| StorageError::Corrupt(format!("response {id}: {what}"));
    Ok(Response {
        id,
        user_id,
        item_id,
        version: u32::try_from(version).map_err(|_| corrupt("negative version"))?,
        question_id,
        variant: variant as u64,
        answer: serde_json::from_str(&answer).map_err(|e| corrupt(&e.to_string()))?,
        mark: Mark {
            awarded: u32::try_from(awarded).map_err(|_| corrupt("negative mark"))?,
            max: u32::try_from(max).map_err(|_| corrupt("negative maximum"))?,
            state: parse_state(&state)?,
        },
        seconds: row.10.and_then(|s| u32::try_from(s).ok()),
        context: Context::parse(&row.11)
            .ok_or_else(|| corrupt(&format!("unknown context `{}`", row.11)))?,
        attempt_id: row.12,
        created_at: row.13,
        marked_version: row.14.and_then(|v| u32::try_from(v).ok()),
    })
}

fn rows(list: Vec<ResponseRow>) -> Result<Vec<Response>, StorageError> {
    list.into_iter().map(response).collect()
}

/// Appends an answer; returns its id. Durable when the surrounding transaction (or the statement) commits.
pub fn record(conn: &mut AnyConnection, new: &NewResponse<'_>) -> Result<i64, StorageError> {
    record_at(conn, new, now())
}

/// Appends an answer given at `at`; returns its id.
pub fn record_at(
    conn: &mut AnyConnection,
    new: &NewResponse<'_>,
    at: PrimitiveDateTime,
) -> Result<i64, StorageError> {
    let ids = record_all_at(conn, std::slice::from_ref(new), at)?;
    ids.first()
        .copied()
        .ok_or_else(|| StorageError::Corrupt("no id returned for a new answer".into()))
}

/// Appends several answers given at `at` in one statement; returns their ids in the order given.
/// Question ids must differ (one attempt's answers); otherwise they are appended one by one.
pub fn record_all_at(
    conn: &mut AnyConnection,
    news: &[NewResponse<'_>],
    at: PrimitiveDateTime,
) -> Result<Vec<i64>, StorageError> {
    let distinct: std::collections::HashSet<&str> = news.iter().map(|n| n.question_id).collect();
    let batches: Vec<&[NewResponse<'_>]> = if distinct.len() == news.len() {
        vec![news]
    } else {
        news.chunks(1).collect()
    };
    let mut out = Vec::with_capacity(news.len());
    for batch in batches {
        let by_question = insert(conn, batch, at)?;
        for n in batch {
            out.push(by_question.get(n.question_id).copied().ok_or_else(|| {
                StorageError::Corrupt(format!("no id returned for {}", n.question_id))
            })?);
        }
    }
    Ok(out)
}

/// One multi-row insert; the new ids by question (the order of `RETURNING` rows is not promised).
fn insert(
    conn: &mut AnyConnection,
    news: &[NewResponse<'_>],
    at: PrimitiveDateTime,
) -> Result<std::collections::HashMap<String, i64>, StorageError> {
    let answers: Vec<String> = news.iter().map(|n| n.answer.to_string()).collect();
    let values: Vec<_> = news
        .iter()
        .zip(&answers)
        .map(|(new, answer)| {
            (
                r::user_id.eq(new.user_id),
                r::item_id.eq(new.item_id),
                r::version.eq(new.version as i32),
                r::question_id.eq(new.question_id),
                r::variant.eq(new.variant as i64),
                r::answer.eq(answer),
                r::awarded.eq(new.mark.awarded as i32),
                r::max_points.eq(new.mark.max as i32),
                r::state.eq(state_code(new.mark.state)),
                r::seconds.eq(new.seconds.map(|s| s.min(i32::MAX as u32) as i32)),
                r::context.eq(new.context.code()),
                r::attempt_id.eq(new.attempt_id),
                r::created_at.eq(at),
            )
        })
        .collect();
    // `RETURNING` must be asked of the concrete connection (../shared/stack-notes.md).
    let ids: Vec<(i64, String)> = match conn {
        AnyConnection::Sqlite(c) => diesel::insert_into(r::table)
            .values(&values)
            .returning((r::id, r::question_id))
            .get_results(c)?,
        AnyConnection::Postgresql(c) => diesel::insert_into(r::table)
            .values(&values)
            .returning((r::id, r::question_id))
            .get_results(c)?,
    };
    Ok(ids.into_iter().map(|(id, q)| (q, id)).collect())
}

/// Whether the user has answered any question of the item.
pub fn has_answered(
    conn: &mut AnyConnection,
    user_id: &str,
    item_id: &str,
) -> Result<bool, StorageError> {
    let n: i64 = r::table
        .filter(r::user_id.eq(user_id))
        .filter(r::item_id.eq(item_id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// The machine-marked answers, oldest first, for item statistics.
pub fn machine_marked(conn: &mut AnyConnection) -> Result<Vec<Response>, StorageError> {
    r::table
        .filter(r::state.eq(state_code(MarkState::Auto)))
        .order(r::id.asc())
        .select(response_columns!())
        .load::<ResponseRow>(conn)
        .map_err(StorageError::from)
        .and_then(rows)
}

/// The newest answer id (0 when none): statistics are recomputed only when it moves.
pub fn latest_id(conn: &mut AnyConnection) -> Result<i64, StorageError> {
    let id: Option<i64> = r::table.select(diesel::dsl::max(r::id)).first(conn)?;
    Ok(id.unwrap_or(0))
}

/// The machine-marked answers to one item given in mocks and assessments, for a regrade.
pub fn graded_for_item(
    conn: &mut AnyConnection,
    item_id: &str,
) -> Result<Vec<Response>, StorageError> {
    r::table
        .filter(r::item_id.eq(item_id))
        .filter(r::state.eq(state_code(MarkState::Auto)))
        .filter(r::context.ne(Context::Practice.code()))
        .order(r::id.asc())
        .select(response_columns!())
        .load::<ResponseRow>(conn)
        .map_err(StorageError::from)
        .and_then(rows)
}

/// The answers of one mock or assessment attempt.
/// The answers of several attempts, in the order recorded.
pub fn of_attempts(
    conn: &mut AnyConnection,
    attempt_ids: &[String],
) -> Result<Vec<Response>, StorageError> {
    let mut out = Vec::new();
    for chunk in attempt_ids.chunks(500) {
        let rows = r::table
            .filter(r::attempt_id.eq_any(chunk))
            .order(r::id.asc())
            .select(response_columns!())
            .load::<ResponseRow>(conn)?;
        out.extend(self::rows(rows)?);
    }
    Ok(out)
}

pub fn of_attempt(
    conn: &mut AnyConnection,
    attempt_id: &str,
) -> Result<Vec<Response>, StorageError> {
    r::table
        .filter(r::attempt_id.eq(attempt_id))
        .order(r::id.asc())
        .select(response_columns!())
        .load::<ResponseRow>(conn)
        .map_err(StorageError::from)
        .and_then(rows)
}

/// Re-marks answers (inside the caller's transaction): the new points and the version whose key gave them.
pub fn remark(
    conn: &mut AnyConnection,
    changes: &[(i64, u32)],
    marked_version: u32,
) -> Result<(), StorageError> {
    let at = now();
    for (id, awarded) in changes {
        diesel::update(r::table.filter(r::id.eq(id)))
            .set((
                r::awarded.eq(*awarded as i32),
                r::marked_version.eq(Some(marked_version as i32)),
                r::regraded_at.eq(Some(at)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Records that answers were checked against `marked_version`'s key and keep their marks.
pub fn confirm_marks(
    conn: &mut AnyConnection,
    ids: &[i64],
    marked_version: u32,
) -> Result<(), StorageError> {
    for chunk in ids.chunks(500) {
        diesel::update(r::table.filter(r::id.eq_any(chunk)))
            .set(r::marked_version.eq(Some(marked_version as i32)))
            .execute(conn)?;
    }
    Ok(())
}

/// Records the candidate's own assessment of their written answer `id` (only their own, only once it is
/// pending or self-assessed). False when there is no such answer of theirs.
pub fn self_assess(
    conn: &mut AnyConnection,
    id: i64,
    user_id: &str,
    awarded: u32,
) -> Result<bool, StorageError> {
    let n = diesel::update(
        r::table
            .filter(r::id.eq(id))
            .filter(r::user_id.eq(user_id))
            .filter(r::state.eq_any([
                state_code(MarkState::Pending),
                state_code(MarkState::SelfAssessed),
            ])),
    )
    .set((
        r::awarded.eq(awarded as i32),
        r::state.eq(state_code(MarkState::SelfAssessed)),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// One answer by its id.
pub fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<Response>, StorageError> {
    let row = r::table
        .filter(r::id.eq(id))
        .select(response_columns!())
        .first::<ResponseRow>(conn)
        .optional()?;
    Ok(rows(row.into_iter().collect())?.pop())
}

/// Records a teacher's grading of the written answer `id` against the rubric (inside the caller's
/// transaction): pending, self-assessed or already graded answers only — a teacher's grade replaces the
/// candidate's own. False when the answer is not a written one.
pub fn grade(conn: &mut AnyConnection, id: i64, awarded: u32) -> Result<bool, StorageError> {
    let n = diesel::update(r::table.filter(r::id.eq(id)).filter(r::state.eq_any([
        state_code(MarkState::Pending),
        state_code(MarkState::SelfAssessed),
        state_code(MarkState::Graded),
    ])))
    .set((
        r::awarded.eq(awarded as i32),
        r::state.eq(state_code(MarkState::Graded)),
        r::regraded_at.eq(Some(now())),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// The user's latest answer to a question given in a practice session context (for self-assessment).
pub fn latest_of(
    conn: &mut AnyConnection,
    user_id: &str,
    question_id: &str,
) -> Result<Option<Response>, StorageError> {
    r::table
        .filter(r::user_id.eq(user_id))
        .filter(r::question_id.eq(question_id))
        .order(r::id.desc())
        .select(response_columns!())
        .first::<ResponseRow>(conn)
        .optional()?
        .map(response)
        .transpose()
}
