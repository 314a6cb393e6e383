//! Mock exams (../shared/api.md "Mock exams"): a paper assembled for the candidate from a blueprint,
//! a deadline kept by the server, every answer saved durably as it is given (group commit), submission
//! by the candidate or by the server at the deadline, and the result by the exam's rules.

pub mod api;
pub mod marking;
pub mod pages;
pub mod shown;
pub mod writer;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustc_hash::FxHashMap;
use serde::Serialize;
use serde_json::Value;
use time::PrimitiveDateTime;

use super::access::entitlement;
use super::auth::Auth;
use super::present::{Revealed, authored_order, present, reveal, shown_only};
use super::{ApiError, AppState};
use crate::domain::answer::Answer;
use crate::domain::blueprint::Blueprint;
use crate::domain::exam::ExamRules;
use crate::domain::grading::{self, Grade, Marked, PaperQuestion, Scores};
use crate::domain::item::Item;
use crate::domain::scoring::{Mark, MarkState};
use crate::paper::{AssemblyError, Options, PoolItem, Prepared, Slot, assemble_prepared};
use crate::storage::attempts::{self, Attempt, AttemptStatus, Save, StoredPaper};
use crate::storage::responses;
use crate::storage::{AnyConnection, StorageError, documents, items};
use shown::{ShownItem, SlotView};
use writer::{WriteError, Writer};

/// How often the published pool is checked for changes.
const POOL_CHECK: Duration = Duration::from_secs(2);
/// How often exposure counts are flushed and re-read.
const EXPOSURE_SYNC: Duration = Duration::from_secs(10);

/// The published bank as the assembler needs it, with the documents.
pub struct Pool {
    pub change: i64,
    pub items: Vec<(Item, u32)>,
    /// Each item's place in `items`, by id (a fast hash: looked up for every earlier item per start).
    index: FxHashMap<String, usize>,
    pub blueprints: Vec<Blueprint>,
    /// What assembly works out once per blueprint over these items, in the blueprints' order.
    prepared: Vec<Prepared>,
    pub rules: ExamRules,
}

impl Pool {
    /// An item's place in the pool (sorted by id).
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// Which of the pool's items appear in the given lists of ids (separated by spaces).
    fn seen_in(&self, lists: &[String]) -> Vec<bool> {
        let mut seen = vec![false; self.items.len()];
        for id in lists.iter().flat_map(|l| l.split_whitespace()) {
            if let Some(k) = self.index_of(id) {
                seen[k] = true;
            }
        }
        seen
    }
}

/// What the save path checks without the database: owner, deadline, and each slot's response.
pub struct Meta {
    pub user_id: String,
    pub deadline: PrimitiveDateTime,
    /// Each slot's item version (shared with the cache) and the index of its question in it.
    pub slots: HashMap<String, (Arc<Item>, usize)>,
}

/// What candidates see of an item version: escaped once; for a template item, the item stripped to
/// what is shown, instantiated per slot.
#[derive(Clone)]
enum Shown {
    Fixed(Arc<ShownItem>),
    Template(Arc<Item>),
}

/// The mock exams' shared state: the writer, caches of the pool, item versions and attempts.
pub struct Mocks {
    pub writer: Writer,
    pool: Mutex<Option<(Instant, Arc<Pool>)>>,
    /// Item versions by id, then version number (looked up without allocating a key).
    versions: Mutex<FxHashMap<String, FxHashMap<u32, Arc<Item>>>>,
    /// What candidates see of item versions, by id, then version.
    shown: Mutex<FxHashMap<String, FxHashMap<u32, Shown>>>,
    meta: Mutex<HashMap<String, Arc<Meta>>>,
    exposure: Mutex<Exposure>,
}

/// Exposure counts as last read from the database, and this server's uses since.
struct Exposure {
    read_at: Instant,
    counts: HashMap<String, u32>,
    pending: HashMap<String, u32>,
    /// Both summed in the order of the pool (of the change number given), as assembly takes them.
    aligned: Option<(i64, Arc<Vec<u32>>)>,
}

impl Mocks {
    pub fn new(writer: Writer) -> Mocks {
        Mocks {
            writer,
            pool: Mutex::new(None),
            versions: Mutex::new(FxHashMap::default()),
            shown: Mutex::new(FxHashMap::default()),
            meta: Mutex::new(HashMap::new()),
            exposure: Mutex::new(Exposure {
                read_at: Instant::now(),
                counts: HashMap::new(),
                pending: HashMap::new(),
                aligned: None,
            }),
        }
    }

    /// The published pool, reloaded when the bank changed.
    pub async fn pool(&self, state: &AppState) -> Result<Arc<Pool>, ApiError> {
        let known = self.pool.lock().ok().and_then(|p| p.clone());
        if let Some((at, p)) = &known
            && at.elapsed() < POOL_CHECK
        {
            return Ok(p.clone());
        }
        let seen = known.as_ref().map(|(_, p)| p.change);
        let fresh = state
            .with_db(move |c| {
                let change = items::last_change(c)?;
                if Some(change) == seen {
                    return Ok(None);
                }
                let docs = documents::load(c)?;
                let mut items: Vec<(Item, u32)> = items::published(c)?
                    .into_iter()
                    .map(|s| (s.item, s.version))
                    .collect();
                // In the order assembly wants (by id, bytewise), so it need not sort per paper.
                items.sort_by(|a, b| a.0.id.cmp(&b.0.id));
                let index = items
                    .iter()
                    .enumerate()
                    .map(|(k, (item, _))| (item.id.to_string(), k))
                    .collect();
                let refs: Vec<&Item> = items.iter().map(|(i, _)| i).collect();
                let prepared = docs
                    .blueprints
                    .iter()
                    .map(|b| Prepared::new(b, &refs))
                    .collect();
                Ok(Some(Pool {
                    change,
                    items,
                    index,
                    prepared,
                    blueprints: docs.blueprints,
                    rules: docs.exam,
                }))
            })
            .await?;
        let pool = match (fresh, known) {
            (Some(p), _) => Arc::new(p),
            (None, Some((_, p))) => p,
            (None, None) => return Err(ApiError::Internal("no pool".into())),
        };
        if let Ok(mut slot) = self.pool.lock() {
            *slot = Some((Instant::now(), pool.clone()));
        }
        // The published versions are the ones papers use: have them at hand.
        if let Ok(mut v) = self.versions.lock() {
            for (item, version) in &pool.items {
                v.entry(item.id.to_string())
                    .or_default()
                    .entry(*version)
                    .or_insert_with(|| Arc::new(item.clone()));
            }
        }
        Ok(pool)
    }

    /// An item version (immutable, so cached for good).
    pub async fn version(
        &self,
        state: &AppState,
        id: &str,
        version: u32,
    ) -> Result<Arc<Item>, ApiError> {
        let cached = self
            .versions
            .lock()
            .ok()
            .and_then(|v| v.get(id).and_then(|by| by.get(&version)).cloned());
        if let Some(i) = cached {
            return Ok(i);
        }
        let id = id.to_owned();
        let stored = state
            .with_db(move |c| items::get(c, &id, Some(version)))
            .await?
            .ok_or(ApiError::NotFound)?;
        let item = Arc::new(stored.item);
        if let Ok(mut v) = self.versions.lock() {
            v.entry(item.id.to_string())
                .or_default()
                .insert(version, item.clone());
        }
        Ok(item)
    }

    /// The candidate's view of a slot's item version (of its variant, for a template item).
    async fn shown(&self, state: &AppState, slot: &Slot) -> Result<Arc<ShownItem>, ApiError> {
        let (id, version) = (slot.item_id.as_str(), slot.version);
        let cached = self
            .shown
            .lock()
            .ok()
            .and_then(|v| v.get(id).and_then(|by| by.get(&version)).cloned());
        let shown = match cached {
            Some(s) => s,
            None => {
                let item = self.version(state, id, version).await?;
                let s = if item.template.is_some() {
                    Shown::Template(Arc::new(shown_only(&item)))
                } else {
                    Shown::Fixed(Arc::new(ShownItem::new(&present(
                        &item,
                        version,
                        &authored_order,
                    ))))
                };
                if let Ok(mut v) = self.shown.lock() {
                    v.entry(id.to_owned())
                        .or_default()
                        .insert(version, s.clone());
                }
                s
            }
        };
        match shown {
            Shown::Fixed(s) => Ok(s),
            Shown::Template(item) => {
                let (variant, _) = item
                    .instantiate(slot.variant)
                    .map_err(|e| ApiError::Internal(e.to_string()))?;
                Ok(Arc::new(ShownItem::new(&present(
                    &variant,
                    version,
                    &authored_order,
                ))))
            }
        }
    }

    /// Exposure counts to assemble with, in the pool's order (flushing this server's new uses now and
    /// then).
    async fn exposure(&self, state: &AppState, pool: &Pool) -> Arc<Vec<u32>> {
        let (due, pending) = match self.exposure.lock() {
            Ok(mut e) if e.read_at.elapsed() >= EXPOSURE_SYNC => {
                e.read_at = Instant::now();
                (true, std::mem::take(&mut e.pending))
            }
            _ => (false, HashMap::new()),
        };
        if due {
            let read = state
                .with_db(move |c| {
                    if !pending.is_empty() {
                        attempts::add_exposure(c, &pending)?;
                    }
                    attempts::exposure(c)
                })
                .await;
            if let (Ok(counts), Ok(mut e)) = (read, self.exposure.lock()) {
                e.counts = counts;
                e.aligned = None;
            }
        }
        let Ok(mut e) = self.exposure.lock() else {
            return Arc::new(Vec::new());
        };
        if let Some((change, v)) = &e.aligned
            && *change == pool.change
        {
            return v.clone();
        }
        let v: Arc<Vec<u32>> = Arc::new(
            pool.items
                .iter()
                .map(|(item, _)| {
                    let id = item.id.as_str();
                    e.counts.get(id).copied().unwrap_or(0) + e.pending.get(id).copied().unwrap_or(0)
                })
                .collect(),
        );
        e.aligned = Some((pool.change, v.clone()));
        v
    }

    fn used(&self, pool: &Pool, items: &[crate::domain::item::ItemId]) {
        if let Ok(mut e) = self.exposure.lock() {
            let e = &mut *e;
            let mut aligned = match &mut e.aligned {
                Some((change, v)) if *change == pool.change => Some(Arc::make_mut(v)),
                _ => None,
            };
            for i in items {
                *e.pending.entry(i.to_string()).or_default() += 1;
                if let (Some(v), Some(k)) = (aligned.as_deref_mut(), pool.index_of(i.as_str())) {
                    v[k] += 1;
                }
            }
        }
    }

    fn remember(&self, id: &str, meta: Arc<Meta>) {
        if let Ok(mut m) = self.meta.lock() {
            if m.len() > 200_000 {
                m.clear();
            }
            m.insert(id.to_owned(), meta);
        }
    }

    /// The attempt's save checks, from the cache or the database.
    async fn meta(&self, state: &AppState, id: &str) -> Result<Arc<Meta>, ApiError> {
        if let Some(m) = self.meta.lock().ok().and_then(|m| m.get(id).cloned()) {
            return Ok(m);
        }
        let key = id.to_owned();
        let at = state
            .with_db(move |c| attempts::get(c, &key))
            .await?
            .ok_or(ApiError::NotFound)?;
        let mut slots = HashMap::new();
        for q in &at.paper.questions {
            let item = self.version(state, &q.item_id, q.version).await?;
            if let Some(i) = question_index(&item, &q.question_id) {
                slots.insert(q.slot.clone(), (item, i));
            }
        }
        let meta = Arc::new(Meta {
            user_id: at.user_id,
            deadline: at.deadline,
            slots,
        });
        self.remember(id, meta.clone());
        Ok(meta)
    }
}

fn question_index(item: &Item, question_id: &str) -> Option<usize> {
    item.questions()
        .iter()
        .position(|(id, _)| id == question_id)
}

/// A random seed (papers, template variants).
pub fn random_u64() -> u64 {
    u64::from_le_bytes(
        crate::auth::new_token().as_bytes()[..8]
            .try_into()
            .unwrap_or([7; 8]),
    )
}

/// The answerable questions of a paper, with the slot each answer is saved under.
fn questions_of(paper: &crate::paper::Paper, items: &HashMap<&str, &Item>) -> Vec<PaperQuestion> {
    let mut out = Vec::new();
    for section in &paper.sections {
        for slot in &section.slots {
            let Some(item) = items.get(slot.item_id.as_str()) else {
                continue;
            };
            let primary = item.tags.first().map(|t| t.to_string()).unwrap_or_default();
            let parts: Vec<(
                String,
                String,
                &crate::domain::item::Question,
                Option<String>,
            )> = match &item.body {
                crate::domain::item::Body::Question(q) => {
                    vec![(slot.slot_ref.clone(), item.id.to_string(), q, None)]
                }
                crate::domain::item::Body::Case(c) => c
                    .parts
                    .iter()
                    .map(|p| {
                        (
                            format!("{}.{}", slot.slot_ref, p.key),
                            format!("{}.{}", item.id, p.key),
                            &p.question,
                            p.tags.first().map(|t| t.to_string()),
                        )
                    })
                    .collect(),
            };
            for (key, qid, q, tag) in parts {
                out.push(PaperQuestion {
                    slot: key,
                    slot_ref: slot.slot_ref.clone(),
                    question_id: qid,
                    item_id: item.id.to_string(),
                    version: slot.version,
                    variant: slot.variant,
                    subject: section.subject,
                    tag: tag.unwrap_or_else(|| primary.clone()),
                    kind: q.kind().code().to_owned(),
                    max: q.points,
                });
            }
        }
    }
    out
}

/// A new attempt and its paper as the candidate sees it.
pub struct Started {
    pub id: String,
    pub deadline: time::PrimitiveDateTime,
    pub paper: PaperView,
}

/// Starts a mock: assembles a fresh paper for the candidate and stores it durably.
pub async fn start(
    state: &AppState,
    auth: &Auth,
    blueprint: &str,
    seed: Option<u64>,
) -> Result<Started, ApiError> {
    let ent = entitlement(state, auth).await?;
    if !ent.full() {
        return Err(ApiError::Forbidden(
            "mock exams open when your exam fee is confirmed".into(),
        ));
    }
    open_attempt(
        state,
        &auth.user.id,
        Plan {
            blueprint,
            seed,
            form: None,
            assessment: None,
        },
    )
    .await
}

/// How a new attempt's paper is made and timed.
pub struct Plan<'a> {
    pub blueprint: &'a str,
    pub seed: Option<u64>,
    /// A paper made beforehand (a class's fixed form or hand-picked items); else one is assembled.
    pub form: Option<StoredPaper>,
    /// A school assessment: its id, its time limit in minutes and when it closes (the deadline never
    /// passes the close).
    pub assessment: Option<(&'a str, u32, PrimitiveDateTime)>,
}

/// Assembles a paper from the blueprint for nobody in particular (a class's fixed form).
pub async fn assemble_form(
    state: &AppState,
    blueprint: &str,
    seed: u64,
) -> Result<StoredPaper, ApiError> {
    let pool = state.mocks.pool(state).await?;
    assemble_for(&pool, blueprint, seed, &[], &[])
}

fn assemble_for(
    pool: &Pool,
    blueprint: &str,
    seed: u64,
    seen: &[bool],
    exposure: &[u32],
) -> Result<StoredPaper, ApiError> {
    let Some((bp, prepared)) = pool
        .blueprints
        .iter()
        .zip(&pool.prepared)
        .find(|(b, _)| b.id == blueprint)
    else {
        return Err(ApiError::invalid("blueprint", "blueprint is full, A or B"));
    };
    let pool_items: Vec<PoolItem<'_>> = pool
        .items
        .iter()
        .enumerate()
        .map(|(k, (item, version))| PoolItem {
            item,
            version: *version,
            seen: seen.get(k).copied().unwrap_or(false),
            exposure: exposure.get(k).copied().unwrap_or(0),
        })
        .collect();
    let paper = assemble_prepared(
        bp,
        prepared,
        &pool_items,
        &Options {
            seed,
            ..Options::default()
        },
    )
    .map_err(|e| match e {
        AssemblyError::NotEnough { .. } => ApiError::Conflict(e.to_string()),
        AssemblyError::Unprepared { .. } => ApiError::Internal(e.to_string()),
    })?;
    let by_id: HashMap<&str, &Item> = pool.items.iter().map(|(i, _)| (i.id.as_str(), i)).collect();
    let questions = questions_of(&paper, &by_id);
    Ok(StoredPaper { paper, questions })
}

/// A paper of items a teacher picked, in their order, grouped into sections by subject and kind, each
/// item worth its own points; template items get a variant drawn from `seed`.
pub async fn hand_picked(
    state: &AppState,
    ids: &[String],
    minutes: u32,
    seed: u64,
) -> Result<StoredPaper, ApiError> {
    use crate::domain::Lang;
    use crate::paper::{Paper, PaperSection, Slot};
    let pool = state.mocks.pool(state).await?;
    let by_id: HashMap<&str, &(Item, u32)> =
        pool.items.iter().map(|p| (p.0.id.as_str(), p)).collect();
    let mut sections: Vec<PaperSection> = Vec::new();
    let mut taken = BTreeSet::new();
    for (n, id) in ids.iter().enumerate() {
        let Some((item, version)) = by_id.get(id.as_str()).copied() else {
            return Err(ApiError::invalid(
                "items",
                format!("item {} (`{id}`) is not a published item", n + 1),
            ));
        };
        if !taken.insert(id.clone()) {
            return Err(ApiError::invalid(
                "items",
                format!("item `{id}` is picked twice"),
            ));
        }
        let kind = item.kind();
        let kind_name = |lang: Lang| {
            state
                .strings
                .get(&format!("kind_{}", kind.code()), lang)
                .unwrap_or(kind.code())
                .to_owned()
        };
        let points = item.questions().iter().map(|(_, q)| q.points).sum();
        let slot = Slot {
            slot_ref: format!("Q{}", n + 1),
            item_id: item.id.clone(),
            version: *version,
            points,
            variant: if item.template.is_some() {
                seed ^ (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
            } else {
                0
            },
            option_order: Default::default(),
        };
        match sections
            .iter_mut()
            .find(|s| s.subject == item.subject && s.kind == kind)
        {
            Some(s) => s.slots.push(slot),
            None => sections.push(PaperSection {
                subject: item.subject,
                title: crate::domain::Text::new(
                    format!("{}（{}）", kind_name(Lang::Zh), item.subject.code()),
                    format!("{} ({})", kind_name(Lang::En), item.subject.code()),
                ),
                kind,
                slots: vec![slot],
            }),
        }
    }
    if sections.is_empty() {
        return Err(ApiError::invalid("items", "pick at least one item"));
    }
    let paper = Paper {
        blueprint: "items".into(),
        seed,
        minutes,
        sections,
    };
    let items: HashMap<&str, &Item> = pool.items.iter().map(|(i, _)| (i.id.as_str(), i)).collect();
    let questions = questions_of(&paper, &items);
    Ok(StoredPaper { paper, questions })
}

/// Opens an attempt for `user_id` by `plan` and stores it durably (no entitlement check: callers do).
pub async fn open_attempt(
    state: &AppState,
    user_id: &str,
    plan: Plan<'_>,
) -> Result<Started, ApiError> {
    let pool = state.mocks.pool(state).await?;
    let seed = plan.seed.unwrap_or_else(random_u64);
    let stored = match plan.form {
        Some(form) => form,
        None => {
            let user = user_id.to_owned();
            let lists = state
                .with_db(move |c| attempts::seen_items(c, &user))
                .await?;
            let exposure = state.mocks.exposure(state, &pool).await;
            assemble_for(
                &pool,
                plan.blueprint,
                seed,
                &pool.seen_in(&lists),
                &exposure,
            )?
        }
    };
    let now = crate::storage::now();
    let (minutes, close) = match plan.assessment {
        Some((_, minutes, close)) => (minutes, Some(close)),
        None => (stored.paper.minutes, None),
    };
    let mut deadline = now + time::Duration::minutes(i64::from(minutes));
    if let Some(close) = close {
        deadline = deadline.min(close);
    }
    let attempt = Attempt {
        id: format!("att-{}", &crate::auth::new_token()[..24]),
        user_id: user_id.to_owned(),
        blueprint: plan.blueprint.to_owned(),
        seed: stored.paper.seed,
        pool_version: pool.change.to_string(),
        started_at: now,
        deadline,
        status: AttemptStatus::Open,
        submitted_at: None,
        submitted_by: None,
        total: None,
        passed: None,
        assessment_id: plan.assessment.map(|(id, _, _)| id.to_owned()),
        paper: stored,
    };
    let view = paper_view(state, &attempt).await?;
    let mut slots = HashMap::new();
    for q in &attempt.paper.questions {
        let item = state.mocks.version(state, &q.item_id, q.version).await?;
        if let Some(i) = question_index(&item, &q.question_id) {
            slots.insert(q.slot.clone(), (item, i));
        }
    }
    let (id, deadline) = (attempt.id.clone(), attempt.deadline);
    let stored_items: Vec<_> = attempt
        .paper
        .paper
        .item_ids()
        .into_iter()
        .cloned()
        .collect();
    let meta = Arc::new(Meta {
        user_id: attempt.user_id.clone(),
        deadline,
        slots,
    });
    state
        .mocks
        .writer
        .start_attempt(attempt)
        .await
        .map_err(write_error)?;
    state.mocks.used(&pool, &stored_items);
    state.mocks.remember(&id, meta);
    Ok(Started {
        id,
        deadline,
        paper: view,
    })
}

fn write_error(e: WriteError) -> ApiError {
    match e {
        WriteError::Busy => ApiError::Unavailable("the save queue is full".into()),
        other => ApiError::Internal(other.to_string()),
    }
}

/// One section of the paper as the candidate sees it.
#[derive(Serialize)]
pub struct SectionView {
    pub subject: &'static str,
    pub title_zh: String,
    pub title_en: String,
    pub kind: &'static str,
    pub items: Vec<SlotView>,
}

/// The paper as the candidate sees it.
#[derive(Serialize)]
pub struct PaperView {
    pub blueprint: String,
    pub minutes: u32,
    pub sections: Vec<SectionView>,
}

/// The paper as the candidate sees it: sections of items in the slot's option order and template
/// variant, with the ref each answer is saved under; no key or explanation anywhere.
pub async fn paper_view(state: &AppState, at: &Attempt) -> Result<PaperView, ApiError> {
    let mut sections = Vec::new();
    for section in &at.paper.paper.sections {
        let mut items_out = Vec::with_capacity(section.slots.len());
        for slot in &section.slots {
            items_out.push(SlotView {
                shown: state.mocks.shown(state, slot).await?,
                slot_ref: slot.slot_ref.clone(),
                points: slot.points,
                order: slot.option_order.clone(),
            });
        }
        sections.push(SectionView {
            subject: section.subject.code(),
            title_zh: section.title.zh.clone(),
            title_en: section.title.en.clone(),
            kind: section.kind.code(),
            items: items_out,
        });
    }
    Ok(PaperView {
        blueprint: at.blueprint.clone(),
        minutes: at.paper.paper.minutes,
        sections,
    })
}

/// Saves one answer durably; 409 once the attempt is submitted or past its deadline.
pub async fn save(
    state: &AppState,
    user_id: &str,
    attempt_id: &str,
    slot: &str,
    answer: &Value,
) -> Result<PrimitiveDateTime, ApiError> {
    let meta = state.mocks.meta(state, attempt_id).await?;
    if meta.user_id != user_id {
        return Err(ApiError::NotFound);
    }
    let Some((item, index)) = meta.slots.get(slot) else {
        return Err(ApiError::NotFound);
    };
    let questions = item.questions();
    let Some((_, question)) = questions.get(*index) else {
        return Err(ApiError::NotFound);
    };
    Answer::from_json(&question.response, answer)
        .map_err(|e| ApiError::invalid("answer", e.to_string()))?;
    let now = crate::storage::now();
    if now >= meta.deadline {
        return Err(ApiError::Conflict(
            "the time is up: the attempt is closed".into(),
        ));
    }
    let landed = state
        .mocks
        .writer
        .save(Save {
            attempt_id: attempt_id.to_owned(),
            slot: slot.to_owned(),
            answer: answer.to_string(),
            at: now,
        })
        .await
        .map_err(write_error)?;
    if landed {
        Ok(now)
    } else {
        Err(ApiError::Conflict(
            "the attempt is submitted or its time is up; the answer was not saved".into(),
        ))
    }
}

/// The attempt of its owner (404 for anyone else).
pub async fn owned(state: &AppState, auth: &Auth, id: &str) -> Result<Attempt, ApiError> {
    let key = id.to_owned();
    let at = state
        .with_db(move |c| attempts::get(c, &key))
        .await?
        .ok_or(ApiError::NotFound)?;
    if at.user_id != auth.user.id {
        return Err(ApiError::NotFound);
    }
    Ok(at)
}

/// Recomputes an attempt's earned total and pass from the answer log (after submission or a regrade);
/// returns the scores.
pub fn refresh_totals(
    conn: &mut AnyConnection,
    at: &Attempt,
    rules: &ExamRules,
) -> Result<Scores, StorageError> {
    let s = scores_of(at, &responses::of_attempt(conn, &at.id)?, rules);
    attempts::set_totals(conn, &at.id, s.total, s.passed)?;
    Ok(s)
}

/// The scores of an attempt from its answers in the log.
pub fn scores_of(at: &Attempt, answers: &[responses::Response], rules: &ExamRules) -> Scores {
    let by_question: HashMap<&str, Mark> = answers
        .iter()
        .map(|r| (r.question_id.as_str(), r.mark))
        .collect();
    scores_by_question(at, &by_question, rules)
}

/// The scores of an attempt from the marks of its answered questions, by question id.
pub fn scores_by_question(
    at: &Attempt,
    by_question: &HashMap<&str, Mark>,
    rules: &ExamRules,
) -> Scores {
    let marked: Vec<Marked> = at
        .paper
        .questions
        .iter()
        .map(|q| Marked {
            subject: q.subject,
            tag: q.tag.clone(),
            max: q.max,
            mark: by_question.get(q.question_id.as_str()).copied(),
        })
        .collect();
    grading::score(&marked, rules)
}

/// Submits an attempt (by its owner, or by the server at the deadline with `auth` None). Idempotent.
pub async fn submit(
    state: &AppState,
    id: &str,
    owner: Option<&Auth>,
    by: &'static str,
) -> Result<(), ApiError> {
    let meta = state.mocks.meta(state, id).await?;
    if let Some(a) = owner
        && a.user.id != meta.user_id
    {
        return Err(ApiError::NotFound);
    }
    // Durable once acknowledged (group commit, after any save queued before it); the marks are
    // written right after by the writer threads (`marking`).
    state
        .mocks
        .writer
        .claim(id, by, crate::storage::now())
        .await
        .map_err(write_error)?;
    Ok(())
}

/// Has a submitted attempt's marks written now (for what reads them from the answer log).
pub async fn ensure_marked(state: &AppState, id: &str) -> Result<(), ApiError> {
    state.mocks.writer.mark_now(id).await.map_err(write_error)
}

/// The answers of a submitted attempt as marked: from the answer log, or — while its marks are still
/// being written — marked now from the saved answers, exactly as they will be written.
pub async fn marked_answers(
    state: &AppState,
    at: &Attempt,
) -> Result<Vec<responses::Response>, ApiError> {
    let key = at.id.clone();
    if at.total.is_some() {
        return state.with_db(move |c| responses::of_attempt(c, &key)).await;
    }
    let saved = state.with_db(move |c| attempts::answers(c, &key)).await?;
    let mut versions = marking::Versions::new();
    for q in &at.paper.questions {
        let k = (q.item_id.clone(), q.version);
        if let std::collections::hash_map::Entry::Vacant(slot) = versions.entry(k) {
            slot.insert(state.mocks.version(state, &q.item_id, q.version).await?);
        }
    }
    Ok(marking::provisional(at, &saved, &versions))
}

/// One question of the review after submission.
#[derive(Serialize)]
pub struct ReviewItem {
    pub slot: String,
    pub kind: String,
    pub stem_zh: String,
    pub stem_en: String,
    pub answered: bool,
    #[serde(flatten)]
    pub revealed: Revealed,
}

/// The result as ../shared/api.md describes it, with the review of every question.
#[derive(Serialize)]
pub struct MockResult {
    pub attempt_id: String,
    pub blueprint: String,
    #[serde(flatten)]
    pub scores: Scores,
    pub grade: Option<Grade>,
    /// Why there is no grade, when there is none.
    pub grade_note: Option<String>,
    /// The cohort the grade is ranked in: passers of this blueprint in the last `cohort_days` days.
    pub cohort_passers: usize,
    pub cohort_days: u32,
    /// True while written answers await grading: the result may still change.
    pub provisional: bool,
    pub submitted_by: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub review: Vec<ReviewItem>,
}

/// The result of a submitted attempt.
/// The result of a submitted attempt; with `review`, the review of every question (keys, explanations)
/// too — the submission's own answer leaves it out (it is large, and a burst of submissions at a
/// deadline must stay cheap); `GET …/result` and the result page include it.
pub async fn result(
    state: &AppState,
    auth: &Auth,
    id: &str,
    review_wanted: bool,
) -> Result<MockResult, ApiError> {
    let at = owned(state, auth, id).await?;
    if at.status != AttemptStatus::Submitted {
        return Err(ApiError::Conflict(
            "the attempt is not submitted yet".into(),
        ));
    }
    let rules = state.mocks.pool(state).await?.rules.clone();
    let since = crate::storage::now() - time::Duration::days(i64::from(rules.cohort_days));
    let answers = marked_answers(state, &at).await?;
    let scores = scores_of(&at, &answers, &rules);
    let (bp, total) = (at.blueprint.clone(), scores.total);
    let (mut passers, above) = state
        .with_db(move |c| attempts::cohort_standing(c, &bp, since, total))
        .await?;
    if at.total.is_none() && scores.passed {
        // Not in the cohort's totals until its marks are written: it counts in its own ranking.
        passers += 1;
    }
    let grade = grading::grade_at(above, passers, scores.passed, &rules);
    let grade_note = match (scores.passed, scores.pending_points) {
        (false, 0) => Some(
            "no grade: the pass rule is not met (every subject ≥ 60 and the total ≥ 120)"
                .to_owned(),
        ),
        (false, p) => Some(format!(
            "no grade yet: {p} points of written answers await grading"
        )),
        _ => None,
    };
    let by_question: HashMap<&str, &responses::Response> = answers
        .iter()
        .map(|r| (r.question_id.as_str(), r))
        .collect();
    let mut review = Vec::new();
    for q in at.paper.questions.iter().filter(|_| review_wanted) {
        let item = state.mocks.version(state, &q.item_id, q.version).await?;
        let (shown, _) = item
            .instantiate(q.variant)
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        let Some((_, question)) = shown
            .questions()
            .into_iter()
            .find(|(id, _)| *id == q.question_id)
            .map(|(id, qq)| (id, qq.clone()))
        else {
            continue;
        };
        let r = by_question.get(q.question_id.as_str());
        let m = r.map_or(
            Mark {
                awarded: 0,
                max: q.max,
                state: MarkState::Auto,
            },
            |r| r.mark,
        );
        let given = r.map_or(Value::Null, |r| r.answer.clone());
        if let Some(revealed) = reveal(&shown, &q.question_id, given, m) {
            review.push(ReviewItem {
                slot: q.slot.clone(),
                kind: q.kind.clone(),
                stem_zh: question.stem.zh.clone(),
                stem_en: question.stem.en.clone(),
                answered: r.is_some(),
                revealed,
            });
        }
    }
    Ok(MockResult {
        attempt_id: at.id,
        blueprint: at.blueprint,
        provisional: scores.pending_points > 0,
        grade,
        grade_note,
        cohort_passers: passers,
        cohort_days: rules.cohort_days,
        submitted_by: at.submitted_by,
        scores,
        review,
    })
}

/// Submits every open attempt whose deadline has passed (the candidate may be long gone).
pub async fn submit_due(state: &AppState) -> Result<usize, ApiError> {
    let due = state
        .with_db(|c| attempts::due(c, crate::storage::now(), 200))
        .await?;
    let n = due.len();
    for id in due {
        if let Err(e) = submit(state, &id, None, "deadline").await {
            tracing::error!(attempt = %id, error = %e, "submitting at the deadline failed");
        }
    }
    Ok(n)
}

/// Scores one's own written answer in a submitted attempt against the rubric.
pub async fn self_assess(
    state: &AppState,
    auth: &Auth,
    id: &str,
    slot: &str,
    points: &[u32],
) -> Result<(), ApiError> {
    let mut at = owned(state, auth, id).await?;
    if at.status == AttemptStatus::Submitted && at.total.is_none() {
        ensure_marked(state, id).await?;
        at = owned(state, auth, id).await?;
    }
    let q = at
        .paper
        .questions
        .iter()
        .find(|q| q.slot == slot)
        .ok_or(ApiError::NotFound)?
        .clone();
    let item = state.mocks.version(state, &q.item_id, q.version).await?;
    let questions = item.questions();
    let (_, question) = questions
        .iter()
        .find(|(qid, _)| *qid == q.question_id)
        .ok_or(ApiError::NotFound)?;
    let m = crate::domain::scoring::mark_rubric(question, points, true)
        .map_err(|e| ApiError::invalid("points", e.to_string()))?;
    let (user, key) = (auth.user.id.clone(), at.id.clone());
    let rules = state.mocks.pool(state).await?.rules.clone();
    state
        .with_db(move |c| {
            let Some(r) = responses::of_attempt(c, &key)?
                .into_iter()
                .find(|r| r.question_id == q.question_id)
            else {
                return Ok(Err(ApiError::Conflict(
                    "this question was not answered".into(),
                )));
            };
            if !responses::self_assess(c, r.id, &user, m.awarded)? {
                return Ok(Err(ApiError::Conflict(
                    "a teacher has graded this answer".into(),
                )));
            }
            refresh_totals(c, &at, &rules)?;
            Ok(Ok(()))
        })
        .await?
}
