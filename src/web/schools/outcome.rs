//! What a submitted assessment attempt tells the school's systems: the webhook's message and the LTI
//! score, queued in the outbox in the transaction that writes the attempt's marks (so a result is never
//! lost, nor sent for marks that did not land).

use time::format_description::well_known::Rfc3339;

use crate::domain::grading::Scores;
use crate::storage::assessments::{self, Assessment};
use crate::storage::attempts::Attempt;
use crate::storage::{AnyConnection, StorageError, outbox, schools};

/// The share of the points that passes an assessment that is not a full exam paper.
pub const PASS_PERCENT: u32 = 60;

/// Whether a score passes: a full paper by the exam's rule (every subject and the total, `rule_passed`),
/// anything else at [`PASS_PERCENT`] of its points.
fn passes_with(blueprint: &str, total: u32, max: u32, rule_passed: bool) -> bool {
    if blueprint == "full" {
        rule_passed
    } else {
        total * 100 >= PASS_PERCENT * max.max(1)
    }
}

/// Whether scores pass the assessment of `blueprint`.
pub fn passes(blueprint: &str, scores: &Scores) -> bool {
    passes_with(blueprint, scores.total, scores.max_total, scores.passed)
}

/// Whether a submitted attempt passed (from its stored total).
pub fn passed(a: &Assessment, at: &Attempt) -> bool {
    passes_with(
        &a.blueprint,
        at.total.unwrap_or(0),
        at.paper.paper.max_points(),
        at.passed.unwrap_or(false),
    )
}

/// Why an attempt's result is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The attempt was submitted and machine-marked.
    Submitted,
    /// Its score changed later: a teacher graded a written answer, or a regrade re-marked an answer.
    Rescored,
}

/// Queues the messages for an attempt of an assessment whose marks were just written, with its `scores`
/// (in the caller's transaction). A re-score is stamped with the time of the change, so an LTI platform
/// takes it as newer than the score it replaces.
pub fn enqueue(
    conn: &mut AnyConnection,
    at: &Attempt,
    scores: &Scores,
    event: Event,
) -> Result<(), StorageError> {
    let Some(aid) = &at.assessment_id else {
        return Ok(());
    };
    let Some(a) = assessments::get_assessment(conn, aid)? else {
        return Ok(());
    };
    let submitted = at.submitted_at.unwrap_or_else(crate::storage::now);
    let stamp = |t: time::PrimitiveDateTime| t.assume_utc().format(&Rfc3339).unwrap_or_default();
    let timestamp = match event {
        Event::Submitted => stamp(submitted),
        Event::Rescored => stamp(crate::storage::now()),
    };
    let passed = passes(&a.blueprint, scores);
    if let Some(school) = schools::get(conn, &a.school_id)?
        && let Some(url) = &school.webhook_url
    {
        let student = schools::external_id(conn, &school.id, &at.user_id)?
            .unwrap_or_else(|| at.user_id.clone());
        let body = serde_json::json!({
            "event": match event {
                Event::Submitted => "attempt.submitted",
                Event::Rescored => "attempt.rescored",
            },
            "school": school.id,
            "assessment_id": a.id,
            "assessment_title": a.title,
            "class_id": a.class_id,
            "student": student,
            "attempt_id": at.id,
            "score": scores.total,
            "max": scores.max_total,
            "passed": passed,
            "pending_points": scores.pending_points,
            "submitted_at": stamp(submitted),
            "scored_at": timestamp,
        });
        outbox::enqueue(
            conn,
            "webhook",
            &serde_json::json!({ "school_id": school.id, "url": url, "body": body }),
        )?;
    }
    if let Some(mut hook) = assessments::hook(conn, &at.id)?
        && let Some(obj) = hook.as_object_mut()
    {
        obj.insert("score_given".into(), scores.total.into());
        obj.insert("score_maximum".into(), scores.max_total.into());
        obj.insert("pending_points".into(), scores.pending_points.into());
        obj.insert("attempt_id".into(), at.id.clone().into());
        obj.insert("timestamp".into(), timestamp.into());
        outbox::enqueue(conn, "lti_score", &hook)?;
    }
    Ok(())
}
