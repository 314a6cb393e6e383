//! Platforms' public keys (JWKS), cached in memory per platform. A key id not in the cached set makes
//! one refetch (the platform may have rotated its keys), at most every few seconds per platform so that
//! made-up key ids cannot turn this server into a flood of requests to the platform.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet, KeyAlgorithm, PublicKeyUse};

use super::token::Rejection;
use crate::storage::lti::Platform;

/// A cached set is used for this long, then fetched again.
const MAX_AGE: Duration = Duration::from_secs(3600);
/// An unknown key id refetches only if the cached set is older than this.
const MIN_REFETCH: Duration = Duration::from_secs(5);

struct Cached {
    set: JwkSet,
    /// The JWKS URL it came from (a platform's registration could change).
    url: String,
    fetched: Instant,
}

/// The cache, shared by a server's workers.
pub struct JwksCache {
    sets: Mutex<HashMap<String, Cached>>,
    min_refetch: Duration,
}

impl Default for JwksCache {
    fn default() -> Self {
        JwksCache::with_min_refetch(MIN_REFETCH)
    }
}

impl JwksCache {
    /// A cache that refetches for an unknown key id only when its set is older than `min_refetch`.
    pub fn with_min_refetch(min_refetch: Duration) -> JwksCache {
        JwksCache {
            sets: Mutex::new(HashMap::new()),
            min_refetch,
        }
    }

    /// The platform's verification key named `kid`: from the cache, or fetched with `fetch` (blocking; the
    /// lock is not held meanwhile).
    pub fn key(
        &self,
        platform: &Platform,
        kid: &str,
        fetch: impl Fn(&str) -> Result<JwkSet, String>,
    ) -> Result<DecodingKey, Rejection> {
        let age = {
            let sets = self
                .sets
                .lock()
                .map_err(|_| Rejection::Jwks("cache poisoned".into()))?;
            match sets.get(&platform.id) {
                Some(c) if c.url == platform.jwks_url && c.fetched.elapsed() < MAX_AGE => {
                    if let Some(found) = find(&c.set, kid) {
                        return found;
                    }
                    Some(c.fetched.elapsed())
                }
                _ => None,
            }
        };
        if age.is_some_and(|a| a < self.min_refetch) {
            return Err(Rejection::UnknownKey(kid.to_owned()));
        }
        let set = fetch(&platform.jwks_url).map_err(Rejection::Jwks)?;
        let found = find(&set, kid);
        let mut sets = self
            .sets
            .lock()
            .map_err(|_| Rejection::Jwks("cache poisoned".into()))?;
        sets.insert(
            platform.id.clone(),
            Cached {
                set,
                url: platform.jwks_url.clone(),
                fetched: Instant::now(),
            },
        );
        found.unwrap_or_else(|| Err(Rejection::UnknownKey(kid.to_owned())))
    }
}

/// The RSA signing key `kid` of `set`, if there is one.
fn find(set: &JwkSet, kid: &str) -> Option<Result<DecodingKey, Rejection>> {
    let jwk = set.find(kid)?;
    if !matches!(jwk.algorithm, AlgorithmParameters::RSA(_))
        || jwk
            .common
            .key_algorithm
            .as_ref()
            .is_some_and(|a| *a != KeyAlgorithm::RS256)
        || jwk
            .common
            .public_key_use
            .as_ref()
            .is_some_and(|u| *u != PublicKeyUse::Signature)
    {
        return Some(Err(Rejection::UnknownKey(format!(
            "{kid} (not an RS256 signing key)"
        ))));
    }
    Some(DecodingKey::from_jwk(jwk).map_err(|e| Rejection::Jwks(format!("key {kid}: {e}"))))
}

/// Fetches and parses a JWKS document.
pub fn fetch(agent: &ureq::Agent, url: &str) -> Result<JwkSet, String> {
    let answer = super::http::get_json(agent, url)?;
    if !answer.ok() {
        return Err(format!("{url} answered {}", answer.status));
    }
    serde_json::from_str(&answer.body).map_err(|e| format!("{url} is not a JWKS document: {e}"))
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::lti::keys::{ToolKey, generate};

    fn platform() -> Platform {
        Platform {
            id: "lti-1".into(),
            school_id: "s".into(),
            issuer: "https://lms".into(),
            client_id: "c".into(),
            deployment_id: "d".into(),
            auth_url: String::new(),
            token_url: String::new(),
            jwks_url: "https://lms/jwks".into(),
        }
    }

    fn set(keys: &[&ToolKey]) -> JwkSet {
        let doc =
            serde_json::json!({"keys": keys.iter().map(|k| k.jwk().clone()).collect::<Vec<_>>()});
        serde_json::from_value(doc).unwrap_or_else(|e| panic!("{e}"))
    }

    fn key() -> ToolKey {
        ToolKey::parse(&generate().unwrap_or_else(|e| panic!("{e}")))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_known_key_is_cached_and_an_unknown_one_refetches_once() {
        let (old, new) = (key(), key());
        let fetches = Cell::new(0);
        let published = std::cell::RefCell::new(set(&[&old]));
        let fetch = |_: &str| {
            fetches.set(fetches.get() + 1);
            Ok(published.borrow().clone())
        };
        let cache = JwksCache::with_min_refetch(Duration::ZERO);
        assert!(cache.key(&platform(), &old.kid, fetch).is_ok());
        assert!(cache.key(&platform(), &old.kid, fetch).is_ok());
        assert_eq!(
            fetches.get(),
            1,
            "the second lookup is served from the cache"
        );

        // The platform rotates its keys: the new key id makes one refetch.
        *published.borrow_mut() = set(&[&old, &new]);
        assert!(cache.key(&platform(), &new.kid, fetch).is_ok());
        assert_eq!(fetches.get(), 2);

        // A key id nobody published: one refetch, then refused.
        assert_eq!(
            cache.key(&platform(), "made-up", fetch).err(),
            Some(Rejection::UnknownKey("made-up".into()))
        );
        assert_eq!(fetches.get(), 3);

        // With the default interval, made-up key ids right after a fetch do not refetch.
        let strict = JwksCache::default();
        assert!(strict.key(&platform(), &old.kid, fetch).is_ok());
        let before = fetches.get();
        for _ in 0..5 {
            assert!(strict.key(&platform(), "made-up", fetch).is_err());
        }
        assert_eq!(fetches.get(), before);
    }
}
