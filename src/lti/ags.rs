//! Assignment and Grade Services 2.0: posting a finished attempt's score to the platform's line item.
//! The tool gets an access token by the client-credentials grant with a signed JWT assertion (LTI
//! security framework, section 4.1), keeps it in the database while it lives, and posts a score
//! document to `{lineitem}/scores`.

use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;

use super::claims::SCORE_SCOPE;
use super::keys::{ToolKey, ToolKeys};
use super::{LtiError, http, unix_now};
use crate::storage::AnyConnection;
use crate::storage::lti::{self as store, Platform};

/// The media type of a score document.
pub const SCORE_MEDIA_TYPE: &str = "application/vnd.ims.lis.v1.score+json";
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// How long a client assertion is valid.
const ASSERTION_LIFETIME: i64 = 300;

/// A score for one user on one line item.
#[derive(Clone, Debug, PartialEq)]
pub struct Score {
    /// The platform's user id (the launch's `sub`).
    pub user_id: String,
    pub score_given: f64,
    pub score_maximum: f64,
    /// When the attempt was submitted (RFC 3339).
    pub timestamp: String,
    /// Written answers still await a teacher's grading: the score may still rise.
    pub pending_manual: bool,
}

/// The score service URL of a line item: `/scores` appended to its path, before any query string.
pub fn scores_url(lineitem: &str) -> String {
    let (path, query) = match lineitem.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (lineitem, None),
    };
    let mut url = format!("{}/scores", path.trim_end_matches('/'));
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

/// The score document for a finished attempt (fully graded, or with written answers still to grade).
pub fn score_document(score: &Score) -> Value {
    json!({
        "userId": score.user_id,
        "scoreGiven": score.score_given,
        "scoreMaximum": score.score_maximum,
        "activityProgress": "Completed",
        "gradingProgress": if score.pending_manual { "PendingManual" } else { "FullyGraded" },
        "timestamp": score.timestamp,
    })
}

/// The client assertion's claims: issued by and about the tool's client id, for the token endpoint.
pub fn assertion_claims(platform: &Platform, jti: &str, now: i64) -> Value {
    json!({
        "iss": platform.client_id,
        "sub": platform.client_id,
        "aud": platform.token_url,
        "iat": now,
        "exp": now + ASSERTION_LIFETIME,
        "jti": jti,
    })
}

/// An access token and how many seconds it lives.
pub struct AccessToken {
    pub token: String,
    pub expires_in: i64,
}

/// How long a token is assumed to live when the platform does not say.
const DEFAULT_TOKEN_LIFE: i64 = 3600;
/// A kept token is used only if it lives at least this much longer.
const TOKEN_MARGIN: time::Duration = time::Duration::seconds(60);

/// Gets an access token for the score scope from the platform's token endpoint.
pub fn access_token(
    agent: &ureq::Agent,
    key: &ToolKey,
    platform: &Platform,
) -> Result<AccessToken, String> {
    let jti = crate::auth::new_token();
    let assertion = key
        .sign(&assertion_claims(platform, &jti, unix_now()))
        .map_err(|e| e.to_string())?;
    let answer = http::post_form(
        agent,
        &platform.token_url,
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", &assertion),
            ("scope", SCORE_SCOPE),
        ],
    )?;
    if !answer.ok() {
        return Err(format!(
            "the token endpoint {} answered {}: {}",
            platform.token_url,
            answer.status,
            answer.body.chars().take(300).collect::<String>()
        ));
    }
    let body: Value = serde_json::from_str(&answer.body)
        .map_err(|e| format!("the token endpoint's answer is not JSON: {e}"))?;
    let token = body["access_token"]
        .as_str()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| "the token endpoint's answer has no access_token".to_owned())?;
    Ok(AccessToken {
        token: token.to_owned(),
        expires_in: body["expires_in"].as_i64().unwrap_or(DEFAULT_TOKEN_LIFE),
    })
}

/// How a platform took a score.
enum Posted {
    Accepted,
    /// 401: the access token is no longer good.
    TokenRefused(String),
    Failed(String),
}

fn post(agent: &ureq::Agent, token: &str, lineitem: &str, score: &Score) -> Result<Posted, String> {
    let url = scores_url(lineitem);
    let answer = http::post_json(agent, &url, token, SCORE_MEDIA_TYPE, &score_document(score))?;
    if answer.ok() {
        return Ok(Posted::Accepted);
    }
    let why = format!(
        "the score service {url} answered {}: {}",
        answer.status,
        answer.body.chars().take(300).collect::<String>()
    );
    Ok(if answer.status == 401 {
        Posted::TokenRefused(why)
    } else {
        Posted::Failed(why)
    })
}

/// Posts `score` to the line item with `token`.
pub fn post_score(
    agent: &ureq::Agent,
    token: &str,
    lineitem: &str,
    score: &Score,
) -> Result<(), String> {
    match post(agent, token, lineitem, score)? {
        Posted::Accepted => Ok(()),
        Posted::TokenRefused(why) | Posted::Failed(why) => Err(why),
    }
}

/// A new access token, kept in the database for every server until shortly before it expires.
fn new_token(
    conn: &mut AnyConnection,
    agent: &ureq::Agent,
    key: &ToolKey,
    platform: &Platform,
) -> Result<String, String> {
    let fresh = access_token(agent, key, platform)?;
    let expires = crate::storage::now() + time::Duration::seconds(fresh.expires_in.max(0));
    store::save_access_token(conn, &platform.id, &fresh.token, expires)
        .map_err(|e| e.to_string())?;
    Ok(fresh.token)
}

/// Delivers an `lti_score` outbox job. The payload is the hook stored at launch (`platform_id`,
/// `lineitem`, `user_sub`) plus `score_given`, `score_maximum`, `attempt_id` and `timestamp`.
/// Blocking. An `Err` is worth retrying later (the platform may be down).
pub fn deliver(conn: &mut AnyConnection, payload: &Value) -> Result<(), String> {
    let field = |name: &str| {
        payload[name]
            .as_str()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| format!("the lti_score payload has no {name}"))
    };
    let number = |name: &str| {
        payload[name]
            .as_f64()
            .ok_or_else(|| format!("the lti_score payload has no number {name}"))
    };
    let platform_id = field("platform_id")?;
    let lineitem = field("lineitem")?;
    let score = Score {
        user_id: field("user_sub")?.to_owned(),
        score_given: number("score_given")?,
        score_maximum: number("score_maximum")?,
        pending_manual: payload["pending_points"].as_u64().is_some_and(|p| p > 0),
        timestamp: match payload["timestamp"].as_str() {
            Some(t) => t.to_owned(),
            None => time::OffsetDateTime::now_utc()
                .format(&Rfc3339)
                .map_err(|e| e.to_string())?,
        },
    };
    let platform = store::platform_by_id(conn, platform_id)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("LTI platform {platform_id} is no longer registered"))?;
    let keys = ToolKeys::load_or_create(conn).map_err(|e: LtiError| e.to_string())?;
    let key = keys.signing().map_err(|e| e.to_string())?;
    let agent = http::agent();
    let kept = store::access_token(conn, &platform.id, TOKEN_MARGIN).map_err(|e| e.to_string())?;
    let result = match kept {
        Some(token) => match post(&agent, &token, lineitem, &score)? {
            // The platform revoked the kept token: forget it and try once with a new one.
            Posted::TokenRefused(_) => {
                store::forget_access_token(conn, &platform.id).map_err(|e| e.to_string())?;
                let token = new_token(conn, &agent, key, &platform)?;
                post(&agent, &token, lineitem, &score)?
            }
            other => other,
        },
        None => {
            let token = new_token(conn, &agent, key, &platform)?;
            post(&agent, &token, lineitem, &score)?
        }
    };
    if let Posted::TokenRefused(why) | Posted::Failed(why) = result {
        return Err(why);
    }
    tracing::info!(
        platform = %platform.id,
        attempt = payload["attempt_id"].as_str().unwrap_or(""),
        "score posted to the platform"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_go_to_the_line_item_path_before_its_query() {
        assert_eq!(
            scores_url("https://lms.example.edu/api/lti/courses/3/line_items/7"),
            "https://lms.example.edu/api/lti/courses/3/line_items/7/scores"
        );
        assert_eq!(
            scores_url(
                "https://lms.example.edu/mod/lti/services.php/2/lineitems/5/lineitem?type_id=1"
            ),
            "https://lms.example.edu/mod/lti/services.php/2/lineitems/5/lineitem/scores?type_id=1"
        );
        assert_eq!(scores_url("http://p/li/1/"), "http://p/li/1/scores");
    }

    #[test]
    fn a_score_is_complete_and_fully_graded() {
        let d = score_document(&Score {
            user_id: "u1".into(),
            score_given: 7.5,
            score_maximum: 10.0,
            timestamp: "2026-11-28T10:00:00Z".into(),
            pending_manual: false,
        });
        assert_eq!(d["userId"], "u1");
        assert_eq!(d["scoreGiven"], 7.5);
        assert_eq!(d["activityProgress"], "Completed");
        assert_eq!(d["gradingProgress"], "FullyGraded");
        let pending = score_document(&Score {
            user_id: "u1".into(),
            score_given: 5.0,
            score_maximum: 10.0,
            timestamp: "2026-11-28T10:00:00Z".into(),
            pending_manual: true,
        });
        assert_eq!(pending["gradingProgress"], "PendingManual");
    }
}
