//! Practice sessions (their queue, position and the item being served), where each candidate stopped in
//! sequential practice, the mistakes notebook and favourites.

use std::collections::BTreeSet;

use diesel::prelude::*;
use time::{Date, PrimitiveDateTime};

use super::conn::write_tx;
use super::schema::{
    favorites as f, mistakes as m, practice_progress as pp, practice_sessions as ps, responses as r,
};
use super::{AnyConnection, StorageError, now};
use crate::domain::practice::{MistakeChange, MistakeState, Mode};

/// A practice session.
#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    pub id: String,
    pub user_id: String,
    pub mode: Mode,
    /// What the session covers: `all`, `subject:A`, `tag:T3.1`.
    pub scope: String,
    pub queue: Vec<String>,
    pub position: usize,
    /// The version and template variant of the item being served, once served.
    pub current: Option<(u32, u64)>,
    pub served_at: Option<PrimitiveDateTime>,
    /// Question ids of the current item already answered.
    pub answered: Vec<String>,
}

impl Session {
    pub fn current_item(&self) -> Option<&str> {
        self.queue.get(self.position).map(String::as_str)
    }
}

type SessionRow = (
    String,
    String,
    String,
    String,
    String,
    i32,
    Option<i32>,
    Option<i64>,
    Option<PrimitiveDateTime>,
    String,
);

macro_rules! session_columns {
    () => {
        (
            ps::id,
            ps::user_id,
            ps::mode,
            ps::scope,
            ps::queue,
            ps::position,
            ps::current_version,
            ps::current_variant,
            ps::served_at,
            ps::answered,
        )
    };
}

fn session(row: SessionRow) -> Result<Session, StorageError> {
    let corrupt = |w: &str| StorageError::Corrupt(format!("practice session {}: {w}", row.0));
    Ok(Session {
        mode: Mode::parse(&row.2).ok_or_else(|| corrupt("mode"))?,
        queue: serde_json::from_str(&row.4).map_err(|_| corrupt("queue"))?,
        position: row.5.max(0) as usize,
        current: row.6.zip(row.7).map(|(v, s)| (v.max(0) as u32, s as u64)),
        served_at: row.8,
        answered: serde_json::from_str(&row.9).map_err(|_| corrupt("answered"))?,
        id: row.0,
        user_id: row.1,
        scope: row.3,
    })
}

/// Starts a session with its queue.
pub fn create(
    conn: &mut AnyConnection,
    user_id: &str,
    mode: Mode,
    scope: &str,
    queue: &[String],
) -> Result<String, StorageError> {
    let id = format!("ps-{}", &crate::auth::new_token()[..20]);
    diesel::insert_into(ps::table)
        .values((
            ps::id.eq(&id),
            ps::user_id.eq(user_id),
            ps::mode.eq(mode.code()),
            ps::scope.eq(scope),
            ps::queue.eq(serde_json::to_string(queue).unwrap_or_else(|_| "[]".into())),
            ps::position.eq(0),
            ps::answered.eq("[]"),
            ps::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(id)
}

/// The user's session (None when it is not theirs).
pub fn get(
    conn: &mut AnyConnection,
    id: &str,
    user_id: &str,
) -> Result<Option<Session>, StorageError> {
    ps::table
        .filter(ps::id.eq(id))
        .filter(ps::user_id.eq(user_id))
        .select(session_columns!())
        .first::<SessionRow>(conn)
        .optional()?
        .map(session)
        .transpose()
}

/// Records what is being served (version and variant) and when.
pub fn serve(
    conn: &mut AnyConnection,
    id: &str,
    version: u32,
    variant: u64,
) -> Result<(), StorageError> {
    diesel::update(ps::table.filter(ps::id.eq(id)))
        .set((
            ps::current_version.eq(Some(version as i32)),
            ps::current_variant.eq(Some(variant as i64)),
            ps::served_at.eq(Some(now())),
        ))
        .execute(conn)?;
    Ok(())
}

/// Appends an item to a session's queue (adaptive practice chooses one item at a time).
pub fn append(conn: &mut AnyConnection, s: &Session, item_id: &str) -> Result<(), StorageError> {
    let mut queue = s.queue.clone();
    queue.push(item_id.to_owned());
    diesel::update(ps::table.filter(ps::id.eq(&s.id)))
        .set(ps::queue.eq(serde_json::to_string(&queue).unwrap_or_else(|_| "[]".into())))
        .execute(conn)?;
    Ok(())
}

/// Marks questions of the current item answered; `advance` moves on to the next item.
pub fn mark_answered(
    conn: &mut AnyConnection,
    s: &Session,
    answered: &[String],
    advance: bool,
) -> Result<(), StorageError> {
    let (position, answered, version, variant, served): (
        i32,
        String,
        Option<i32>,
        Option<i64>,
        Option<PrimitiveDateTime>,
    ) = if advance {
        ((s.position + 1) as i32, "[]".into(), None, None, None)
    } else {
        (
            s.position as i32,
            serde_json::to_string(answered).unwrap_or_else(|_| "[]".into()),
            s.current.map(|c| c.0 as i32),
            s.current.map(|c| c.1 as i64),
            s.served_at,
        )
    };
    diesel::update(ps::table.filter(ps::id.eq(&s.id)))
        .set((
            ps::position.eq(position),
            ps::answered.eq(answered),
            ps::current_version.eq(version),
            ps::current_variant.eq(variant),
            ps::served_at.eq(served),
        ))
        .execute(conn)?;
    Ok(())
}

/// Where the candidate stopped in sequential practice of `scope`.
pub fn progress(
    conn: &mut AnyConnection,
    user_id: &str,
    scope: &str,
) -> Result<Option<String>, StorageError> {
    Ok(pp::table
        .filter(pp::user_id.eq(user_id))
        .filter(pp::scope.eq(scope))
        .select(pp::last_item)
        .first(conn)
        .optional()?)
}

/// Records where the candidate stopped (call inside the answer's transaction).
pub fn set_progress(
    conn: &mut AnyConnection,
    user_id: &str,
    scope: &str,
    last_item: &str,
) -> Result<(), StorageError> {
    let n = diesel::update(
        pp::table
            .filter(pp::user_id.eq(user_id))
            .filter(pp::scope.eq(scope)),
    )
    .set((pp::last_item.eq(last_item), pp::updated_at.eq(now())))
    .execute(conn)?;
    if n == 0 {
        diesel::insert_into(pp::table)
            .values((
                pp::user_id.eq(user_id),
                pp::scope.eq(scope),
                pp::last_item.eq(last_item),
                pp::updated_at.eq(now()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The items the user has answered at all, and those answered since `recent`.
pub fn answered_items(
    conn: &mut AnyConnection,
    user_id: &str,
    recent: PrimitiveDateTime,
) -> Result<(BTreeSet<String>, BTreeSet<String>), StorageError> {
    let rows: Vec<(String, PrimitiveDateTime)> = r::table
        .filter(r::user_id.eq(user_id))
        .select((r::item_id, r::created_at))
        .load(conn)?;
    let mut ever = BTreeSet::new();
    let mut lately = BTreeSet::new();
    for (item, at) in rows {
        if at >= recent {
            lately.insert(item.clone());
        }
        ever.insert(item);
    }
    Ok((ever, lately))
}

/// Applies an answer to the mistakes notebook.
pub fn record_mistake(
    conn: &mut AnyConnection,
    user_id: &str,
    item_id: &str,
    question_id: &str,
    correct: bool,
    today: Date,
) -> Result<(), StorageError> {
    write_tx(conn, |conn| {
        let row: Option<(i32, Option<Date>)> = m::table
            .filter(m::user_id.eq(user_id))
            .filter(m::question_id.eq(question_id))
            .select((m::right_streak, m::last_right_on))
            .first(conn)
            .optional()?;
        let state = row.map(|(streak, last)| MistakeState {
            right_streak: streak.max(0) as u32,
            last_right_on: last,
        });
        let key = m::table
            .filter(m::user_id.eq(user_id))
            .filter(m::question_id.eq(question_id));
        match crate::domain::practice::mistake_change(state, correct, today) {
            MistakeChange::Wrong if state.is_some() => {
                diesel::update(key)
                    .set((m::right_streak.eq(0), m::last_right_on.eq(None::<Date>)))
                    .execute(conn)?;
            }
            MistakeChange::Wrong => {
                diesel::insert_into(m::table)
                    .values((
                        m::user_id.eq(user_id),
                        m::item_id.eq(item_id),
                        m::question_id.eq(question_id),
                        m::added_at.eq(now()),
                        m::right_streak.eq(0),
                    ))
                    .execute(conn)?;
            }
            MistakeChange::Keep(s) => {
                diesel::update(key)
                    .set((
                        m::right_streak.eq(s.right_streak as i32),
                        m::last_right_on.eq(s.last_right_on),
                    ))
                    .execute(conn)?;
            }
            MistakeChange::Remove => {
                diesel::delete(key).execute(conn)?;
            }
            MistakeChange::None => {}
        }
        Ok(())
    })
}

/// The items with open mistakes.
pub fn mistake_items(conn: &mut AnyConnection, user_id: &str) -> Result<Vec<String>, StorageError> {
    let mut v: Vec<String> = m::table
        .filter(m::user_id.eq(user_id))
        .select(m::item_id)
        .load(conn)?;
    v.sort();
    v.dedup();
    Ok(v)
}

pub fn favorite_items(
    conn: &mut AnyConnection,
    user_id: &str,
) -> Result<Vec<String>, StorageError> {
    Ok(f::table
        .filter(f::user_id.eq(user_id))
        .order(f::added_at.asc())
        .select(f::item_id)
        .load(conn)?)
}

pub fn is_favorite(
    conn: &mut AnyConnection,
    user_id: &str,
    item_id: &str,
) -> Result<bool, StorageError> {
    let n: i64 = f::table
        .filter(f::user_id.eq(user_id))
        .filter(f::item_id.eq(item_id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Adds or removes a favourite.
pub fn set_favorite(
    conn: &mut AnyConnection,
    user_id: &str,
    item_id: &str,
    on: bool,
) -> Result<(), StorageError> {
    write_tx(conn, |conn| {
        let key = f::table
            .filter(f::user_id.eq(user_id))
            .filter(f::item_id.eq(item_id));
        diesel::delete(key).execute(conn)?;
        if on {
            diesel::insert_into(f::table)
                .values((
                    f::user_id.eq(user_id),
                    f::item_id.eq(item_id),
                    f::added_at.eq(now()),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}
