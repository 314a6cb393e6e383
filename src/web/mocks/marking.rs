//! Marking a submitted attempt: its saved answers against the item versions on its paper. The result a
//! candidate sees is computed from the saved answers at once ([`provisional`]); writing the marks to the
//! answer log, teaching the learner model, storing the totals and queueing the school's messages is
//! done right after the submission is acknowledged, by the writer threads ([`mark_claimed`]), one
//! attempt per transaction, so a burst of submissions at a deadline never holds up answer saves.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use time::PrimitiveDateTime;

use crate::domain::answer::Answer;
use crate::domain::exam::ExamRules;
use crate::domain::item::Item;
use crate::domain::scoring::{Mark, MarkState, mark};
use crate::storage::attempts::{self, Attempt};
use crate::storage::responses::{self, Context, NewResponse};
use crate::storage::{AnyConnection, StorageError, documents, items, learning};

/// One saved answer, marked.
pub struct MarkedAnswer {
    /// The index of the question in the attempt's paper.
    pub question: usize,
    /// The item as shown (its template variant drawn; shared, not copied, when it has no template).
    pub shown: Arc<Item>,
    pub answer: Value,
    pub mark: Mark,
    pub seconds: u32,
}

/// Item versions by (id, version).
pub type Versions = HashMap<(String, u32), Arc<Item>>;

/// Marks every saved answer of `at` (pure).
pub fn mark_saved(
    at: &Attempt,
    saved: &HashMap<String, (Value, PrimitiveDateTime)>,
    versions: &Versions,
) -> Vec<MarkedAnswer> {
    let mut out = Vec::new();
    // A case's parts share one shown item: draw each (item, variant) once.
    let mut shown_items: HashMap<(&str, u64), Arc<Item>> = HashMap::new();
    for (i, q) in at.paper.questions.iter().enumerate() {
        let Some((given, saved_at)) = saved.get(&q.slot) else {
            continue;
        };
        let Some(item) = versions.get(&(q.item_id.clone(), q.version)) else {
            continue;
        };
        let shown = match shown_items.get(&(q.item_id.as_str(), q.variant)) {
            Some(s) => s.clone(),
            None => {
                let s = if item.template.is_some() {
                    match item.instantiate(q.variant) {
                        Ok((s, _)) => Arc::new(s),
                        Err(_) => continue,
                    }
                } else {
                    item.clone()
                };
                shown_items.insert((q.item_id.as_str(), q.variant), s.clone());
                s
            }
        };
        let m = {
            let questions = shown.questions();
            let Some((_, question)) = questions.iter().find(|(id, _)| *id == q.question_id) else {
                continue;
            };
            match Answer::from_json(&question.response, given) {
                Ok(a) => mark(question, &a),
                Err(_) => Mark {
                    awarded: 0,
                    max: question.points,
                    state: MarkState::Auto,
                },
            }
        };
        out.push(MarkedAnswer {
            question: i,
            seconds: (*saved_at - at.started_at).whole_seconds().max(0) as u32,
            shown,
            answer: given.clone(),
            mark: m,
        });
    }
    out
}

/// The marks of a submitted attempt not yet written to the answer log, as the log will hold them.
pub fn provisional(
    at: &Attempt,
    saved: &HashMap<String, (Value, PrimitiveDateTime)>,
    versions: &Versions,
) -> Vec<responses::Response> {
    let when = at.submitted_at.unwrap_or(at.started_at);
    mark_saved(at, saved, versions)
        .iter()
        .map(|m| logged(at, m, when))
        .collect()
}

/// Writes the marks of a claimed attempt: the answer log, the learner model, the totals and the
/// school's messages (inside the caller's transaction).
pub fn mark_attempt(
    conn: &mut AnyConnection,
    at: &Attempt,
    versions: &Versions,
    rules: &ExamRules,
) -> Result<(), StorageError> {
    let saved = attempts::answers(conn, &at.id)?;
    let marked = mark_saved(at, &saved, versions);
    let now = crate::storage::now();
    let news: Vec<NewResponse<'_>> = marked
        .iter()
        .map(|m| {
            let q = &at.paper.questions[m.question];
            NewResponse {
                user_id: &at.user_id,
                item_id: &q.item_id,
                version: q.version,
                question_id: &q.question_id,
                variant: q.variant,
                answer: &m.answer,
                mark: m.mark,
                seconds: Some(m.seconds),
                context: Context::Mock,
                attempt_id: Some(&at.id),
            }
        })
        .collect();
    let answered: Vec<(&crate::domain::item::Item, &str)> = marked
        .iter()
        .map(|m| {
            (
                m.shown.as_ref(),
                at.paper.questions[m.question].question_id.as_str(),
            )
        })
        .collect();
    learning::lock_for(conn, &at.user_id, &answered)?;
    let ids = responses::record_all_at(conn, &news, now)?;
    let observed: Vec<learning::Observation<'_>> = marked
        .iter()
        .zip(&ids)
        .map(|(m, &response_id)| learning::Observation {
            response_id,
            item: m.shown.as_ref(),
            question_id: &at.paper.questions[m.question].question_id,
            mark: m.mark,
            at: now,
        })
        .collect();
    learning::observe_all(conn, &at.user_id, &observed)?;
    // The totals from the marks just written (as `refresh_totals` would read them back).
    let by_question: HashMap<&str, Mark> = marked
        .iter()
        .map(|m| (at.paper.questions[m.question].question_id.as_str(), m.mark))
        .collect();
    let scores = super::scores_by_question(at, &by_question, rules);
    attempts::set_totals(conn, &at.id, scores.total, scores.passed)?;
    if at.assessment_id.is_some() {
        crate::web::schools::outcome::enqueue(
            conn,
            at,
            &scores,
            crate::web::schools::outcome::Event::Submitted,
        )?;
    }
    Ok(())
}

/// A marked answer as the answer log will hold it (its id not known yet).
fn logged(at: &Attempt, m: &MarkedAnswer, when: PrimitiveDateTime) -> responses::Response {
    let q = &at.paper.questions[m.question];
    responses::Response {
        id: 0,
        user_id: at.user_id.clone(),
        item_id: q.item_id.clone(),
        version: q.version,
        question_id: q.question_id.clone(),
        variant: q.variant,
        answer: m.answer.clone(),
        mark: m.mark,
        seconds: Some(m.seconds),
        context: Context::Mock,
        attempt_id: Some(at.id.clone()),
        created_at: when,
        marked_version: None,
    }
}

/// How long the exam's rules are reused before they are read again.
const RULES_TTL: Duration = Duration::from_secs(30);

/// What a writer thread keeps for marking: item versions (immutable, kept for good) and the rules.
#[derive(Default)]
pub struct MarkingCache {
    versions: Versions,
    rules: Option<(Instant, ExamRules)>,
}

impl MarkingCache {
    fn rules(&mut self, conn: &mut AnyConnection) -> Result<ExamRules, StorageError> {
        if let Some((at, r)) = &self.rules
            && at.elapsed() < RULES_TTL
        {
            return Ok(r.clone());
        }
        let r = documents::load(conn)?.exam;
        self.rules = Some((Instant::now(), r.clone()));
        Ok(r)
    }

    fn versions_of(
        &mut self,
        conn: &mut AnyConnection,
        at: &Attempt,
    ) -> Result<Versions, StorageError> {
        let mut out = Versions::new();
        for q in &at.paper.questions {
            let key = (q.item_id.clone(), q.version);
            if out.contains_key(&key) {
                continue;
            }
            let item = match self.versions.get(&key) {
                Some(i) => i.clone(),
                None => {
                    let stored =
                        items::get(conn, &q.item_id, Some(q.version))?.ok_or_else(|| {
                            StorageError::Corrupt(format!(
                                "attempt {}: item {} version {} is missing",
                                at.id, q.item_id, q.version
                            ))
                        })?;
                    let i = Arc::new(stored.item);
                    if self.versions.len() > 50_000 {
                        self.versions.clear();
                    }
                    self.versions.insert(key.clone(), i.clone());
                    i
                }
            };
            out.insert(key, item);
        }
        Ok(out)
    }
}

/// Marks one submitted attempt if nobody has yet (one transaction). True when this call marked it.
pub fn mark_claimed(
    conn: &mut AnyConnection,
    id: &str,
    cache: &mut MarkingCache,
) -> Result<bool, StorageError> {
    let Some(at) = attempts::get(conn, id)? else {
        return Ok(false);
    };
    if at.total.is_some() || at.status != attempts::AttemptStatus::Submitted {
        return Ok(false);
    }
    let versions = cache.versions_of(conn, &at)?;
    let rules = cache.rules(conn)?;
    crate::storage::conn::write_tx(conn, |c| {
        if !attempts::claim_marking(c, id)? {
            return Ok(false);
        }
        mark_attempt(c, &at, &versions, &rules)?;
        Ok(true)
    })
}
