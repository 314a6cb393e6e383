//! Keeping the index current: a full rebuild from the database, and following the change feed
//! (`item_changes`) so that a saved change is searchable within a second on every server.

use std::collections::BTreeSet;
use std::time::Duration;

use time::PrimitiveDateTime;

use super::index::{SearchError, SearchIndex};
use crate::storage::{AnyConnection, StorageError, items, now};

/// A change sequence number still missing after this long belongs to a transaction that rolled back.
const GAP_PATIENCE: Duration = Duration::from_secs(30);
/// Changes read per round.
const BATCH: i64 = 2_000;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Search(#[from] SearchError),
}

/// Rebuilds the index from every item in the database.
pub fn rebuild(index: &SearchIndex, conn: &mut AnyConnection) -> Result<usize, SyncError> {
    let seq = items::last_change(conn)?;
    let all = items::all_for_index(conn)?;
    index.rebuild(&all, seq)?;
    Ok(all.len())
}

/// Follows the change feed. Sequence numbers are handed out when a change is written but become visible
/// when its transaction commits, so on PostgreSQL a later number can appear before an earlier one: the
/// follower remembers what it has seen above the last gap and waits for the gap to fill (or to age out).
#[derive(Debug)]
pub struct Follower {
    /// Every change up to here is in the index.
    low: i64,
    /// Changes above `low` already indexed.
    done: BTreeSet<i64>,
}

impl Follower {
    pub fn new(index: &SearchIndex) -> Follower {
        Follower {
            low: index.seq(),
            done: BTreeSet::new(),
        }
    }

    /// Indexes the changes not yet seen. Returns how many items were re-indexed.
    pub fn poll(
        &mut self,
        index: &SearchIndex,
        conn: &mut AnyConnection,
    ) -> Result<usize, SyncError> {
        let changes = items::changes_since(conn, self.low, BATCH)?;
        let fresh: Vec<&items::Change> = changes
            .iter()
            .filter(|c| !self.done.contains(&c.seq))
            .collect();
        if fresh.is_empty() {
            self.advance(&changes, now());
            return Ok(0);
        }
        let mut ids: Vec<&str> = fresh.iter().map(|c| c.item_id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut current = Vec::with_capacity(ids.len());
        let mut gone = Vec::new();
        for id in &ids {
            match items::for_index(conn, id)? {
                Some(entry) => current.push(entry),
                None => gone.push((*id).to_owned()),
            }
        }
        for c in &fresh {
            self.done.insert(c.seq);
        }
        self.advance(&changes, now());
        index.update(&current, &gone, self.low)?;
        Ok(ids.len())
    }

    /// Moves `low` over contiguous seen changes, and over gaps older than [`GAP_PATIENCE`].
    fn advance(&mut self, changes: &[items::Change], now: PrimitiveDateTime) {
        loop {
            if self.done.remove(&(self.low + 1)) {
                self.low += 1;
                continue;
            }
            // A gap at low + 1: skip it once the change after it is old enough.
            let next = changes
                .iter()
                .find(|c| c.seq > self.low + 1 && self.done.contains(&c.seq));
            match next {
                Some(c) if (now - c.at).unsigned_abs() > GAP_PATIENCE => self.low = c.seq - 1,
                _ => break,
            }
        }
    }
}
