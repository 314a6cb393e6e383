//! Sessions read lately, kept in memory so that a candidate's stream of answer saves does not read the
//! session table for every one of them.
//!
//! An entry lives [`TTL`] and never past the session's expiry. A logout forgets its session here at
//! once and records the session's end in the database (`session_revocations`); every server reads the
//! ends of the last [`REVOCATION_WINDOW`] each [`REVOCATION_POLL`] and forgets those sessions, so a
//! logged-out session is refused by every server sharing the database within about a second. A server
//! that cannot read the ends forgets every session (they are read again). Entries are keyed by the
//! token's digest, as the database keeps it: the cache holds no usable token.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use time::PrimitiveDateTime;

use crate::auth::token_digest;
use crate::domain::user::User;

/// How long a session read from the database is trusted without reading it again (a change to the
/// account, such as its name, shows within this time).
pub const TTL: Duration = Duration::from_secs(60);
/// How often each server reads the sessions ended lately.
pub const REVOCATION_POLL: Duration = Duration::from_secs(1);
/// How far back each read of the ended sessions looks: far more than the poll, so that an end recorded
/// by a transaction that committed late, or by a server whose clock is a little behind, is still seen.
pub const REVOCATION_WINDOW: time::Duration = time::Duration::seconds(30);
/// How long ended sessions stay recorded.
pub const REVOCATION_KEEP: time::Duration = time::Duration::hours(1);
/// Sessions kept at most; beyond it the stale ones are dropped, then all.
const MAX: usize = 100_000;

/// A session as read: its user, CSRF token and expiry.
#[derive(Clone)]
pub struct Session {
    pub user: User,
    pub csrf: String,
    pub expires_at: PrimitiveDateTime,
}

#[derive(Default)]
pub struct SessionCache {
    map: Mutex<HashMap<String, (Instant, Session)>>,
}

impl SessionCache {
    /// The session of `token` if it was read less than [`TTL`] ago and has not expired by `now`.
    pub fn get(&self, token: &str, now: PrimitiveDateTime) -> Option<Session> {
        let key = token_digest(token);
        let map = self.map.lock().ok()?;
        let (read, s) = map.get(&key)?;
        (read.elapsed() < TTL && s.expires_at > now).then(|| s.clone())
    }

    /// Remembers a session just read.
    pub fn put(&self, token: &str, session: Session) {
        let key = token_digest(token);
        let Ok(mut map) = self.map.lock() else {
            return;
        };
        if map.len() >= MAX {
            map.retain(|_, (read, _)| read.elapsed() < TTL);
            if map.len() >= MAX {
                map.clear();
            }
        }
        map.insert(key, (Instant::now(), session));
    }

    /// Forgets a session (its logout).
    pub fn forget(&self, token: &str) {
        self.forget_digests(&[token_digest(token)]);
    }

    /// Forgets the sessions of these token digests (ended on some server).
    pub fn forget_digests(&self, digests: &[String]) {
        if let Ok(mut map) = self.map.lock() {
            for d in digests {
                map.remove(d);
            }
        }
    }

    /// Forgets every session (when the ended ones cannot be read).
    pub fn clear(&self) {
        if let Ok(mut map) = self.map.lock() {
            map.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::user::Role;

    fn session(expires_in: time::Duration) -> Session {
        Session {
            user: User {
                id: "u1".into(),
                role: Role::Candidate,
                name: "A".into(),
                login: None,
                email: None,
                phone: None,
            },
            csrf: "c".into(),
            expires_at: crate::storage::now() + expires_in,
        }
    }

    #[test]
    fn a_session_is_served_until_it_expires_or_is_forgotten() {
        let cache = SessionCache::default();
        let now = crate::storage::now();
        assert!(cache.get("t", now).is_none());
        cache.put("t", session(time::Duration::hours(1)));
        assert_eq!(cache.get("t", now).map(|s| s.user.id), Some("u1".into()));
        cache.forget("t");
        assert!(cache.get("t", now).is_none());
        // Past its expiry it is not served, however fresh the entry.
        cache.put("t", session(time::Duration::seconds(1)));
        assert!(cache.get("t", now + time::Duration::seconds(2)).is_none());
    }

    #[test]
    fn a_session_ended_elsewhere_is_forgotten_by_its_digest() {
        let cache = SessionCache::default();
        let now = crate::storage::now();
        cache.put("t", session(time::Duration::hours(1)));
        cache.put("u", session(time::Duration::hours(1)));
        cache.forget_digests(&[token_digest("t")]);
        assert!(cache.get("t", now).is_none());
        assert!(cache.get("u", now).is_some());
        cache.clear();
        assert!(cache.get("u", now).is_none());
    }
}
