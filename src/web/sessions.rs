//! Sessions read in the last moments, kept in memory so that a candidate's stream of answer saves does
//! not read the session table for every one of them.
//!
//! An entry lives [`TTL`]; a logout on this server forgets its session at once, so on another server
//! sharing the database a logged-out session is refused at most [`TTL`] later. Only sessions found are
//! kept (an unknown token is read again each time), and a session past its expiry is never served.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use time::PrimitiveDateTime;

use crate::domain::user::User;

/// How long a session read from the database is trusted without reading it again.
pub const TTL: Duration = Duration::from_secs(2);
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
        let map = self.map.lock().ok()?;
        let (read, s) = map.get(token)?;
        (read.elapsed() < TTL && s.expires_at > now).then(|| s.clone())
    }

    /// Remembers a session just read.
    pub fn put(&self, token: &str, session: Session) {
        let Ok(mut map) = self.map.lock() else {
            return;
        };
        if map.len() >= MAX {
            map.retain(|_, (read, _)| read.elapsed() < TTL);
            if map.len() >= MAX {
                map.clear();
            }
        }
        map.insert(token.to_owned(), (Instant::now(), session));
    }

    /// Forgets a session (its logout).
    pub fn forget(&self, token: &str) {
        if let Ok(mut map) = self.map.lock() {
            map.remove(token);
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
}
