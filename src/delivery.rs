//! Delivers the outbox (see `storage::outbox`): school webhooks, signed with HMAC-SHA256 under the
//! school's embed secret, and LTI scores; and runs the learner model's rebuild a regrade queues. Runs on every server; a job is claimed by one at a time and
//! retried with growing waits until it is delivered.

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::storage::{AnyConnection, Db, outbox, schools};

/// How long one delivery may take.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// Jobs claimed per round.
const BATCH: i64 = 20;

/// The headers of a webhook: `X-Tiku-Timestamp` (Unix seconds) and `X-Tiku-Signature`
/// (`sha256=` + hex HMAC-SHA256 under the school's secret of `{timestamp}.{body}`).
pub fn webhook_signature(secret: &str, timestamp: i64, body: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

/// An HTTP agent for deliveries: bounded time, and non-2xx statuses as errors.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(TIMEOUT))
        .http_status_as_error(true)
        .build()
        .into()
}

/// Posts a webhook job: `{"school_id", "url", "body"}`.
fn webhook(conn: &mut AnyConnection, job: &outbox::Job, agent: &ureq::Agent) -> Result<(), String> {
    let p = &job.payload;
    let (Some(school_id), Some(url), Some(body)) = (
        p.get("school_id").and_then(|v| v.as_str()),
        p.get("url").and_then(|v| v.as_str()),
        p.get("body"),
    ) else {
        return Err("malformed webhook job".into());
    };
    let school = schools::get(conn, school_id)
        .map_err(|e| e.to_string())?
        .ok_or("the school no longer exists")?;
    let event = body
        .get("event")
        .and_then(|e| e.as_str())
        .unwrap_or("attempt.submitted")
        .to_owned();
    let body = body.to_string();
    let ts = time::OffsetDateTime::now_utc().unix_timestamp();
    agent
        .post(url)
        .header("Content-Type", "application/json")
        .header("X-Tiku-Event", event.as_str())
        .header("X-Tiku-Delivery", job.id.to_string())
        .header("X-Tiku-Timestamp", ts.to_string())
        .header(
            "X-Tiku-Signature",
            webhook_signature(&school.embed_secret, ts, &body),
        )
        .send(body.as_str())
        .map(|_| ())
        .map_err(|e| format!("POST {url}: {e}"))
}

/// Delivers one job.
fn deliver(conn: &mut AnyConnection, job: &outbox::Job, agent: &ureq::Agent) -> Result<(), String> {
    match job.kind.as_str() {
        "webhook" => webhook(conn, job, agent),
        // Its own client: a platform's refusal is reported with the platform's answer.
        "lti_score" => crate::lti::ags::deliver(conn, &job.payload),
        // Not a message: the learner model rebuilt after a regrade changed marks it learnt from.
        "rebuild_model" => crate::storage::learning::rebuild(conn)
            .map(|r| {
                tracing::info!(
                    answers = r.answers,
                    learners = r.learners,
                    "learner model rebuilt"
                )
            })
            .map_err(|e| format!("rebuilding the learner model: {e}")),
        other => Err(format!("no way to deliver `{other}` jobs")),
    }
}

/// One round: claims the due jobs and delivers them. Returns how many were delivered.
pub fn round(db: &Db, agent: &ureq::Agent) -> Result<usize, String> {
    let mut conn = db.conn().map_err(|e| e.to_string())?;
    let jobs = outbox::claim(&mut conn, BATCH).map_err(|e| e.to_string())?;
    let mut delivered = 0;
    for job in jobs {
        match deliver(&mut conn, &job, agent) {
            Ok(()) => {
                outbox::done(&mut conn, job.id).map_err(|e| e.to_string())?;
                delivered += 1;
            }
            Err(e) => {
                tracing::warn!(job = job.id, kind = %job.kind, tries = job.tries + 1, error = %e, "delivery failed; will retry");
                outbox::failed(&mut conn, job.id, job.tries, &e).map_err(|e| e.to_string())?;
            }
        }
    }
    Ok(delivered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_covers_time_and_body() {
        let a = webhook_signature("s", 1, "{}");
        assert!(a.starts_with("sha256="));
        assert_eq!(a.len(), 7 + 64);
        assert_ne!(a, webhook_signature("s", 2, "{}"));
        assert_ne!(a, webhook_signature("s", 1, "{ }"));
        assert_ne!(a, webhook_signature("t", 1, "{}"));
    }
}
