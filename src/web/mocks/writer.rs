//! Group commit for the mock exams' hot writes: saves of answers, new attempts and submissions are
//! queued to writer threads that each take every job waiting, write them in one transaction, commit
//! once, and only then acknowledge each job. A save is acknowledged only when it is durable (SQLite in
//! WAL mode with `synchronous = FULL`; PostgreSQL with `synchronous_commit = on`), and under load one
//! fsync covers hundreds of saves.
//!
//! Between batches the same threads write the marks of submitted attempts (`marking`), one attempt per
//! transaction and only while no save is waiting, so a burst of submissions at a deadline never holds up
//! the saves; a sweep finds attempts submitted but not marked (another server's, or before a crash).

use std::collections::{HashSet, VecDeque};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use time::PrimitiveDateTime;

use tokio::sync::oneshot;

use super::marking::{MarkingCache, mark_claimed};
use crate::storage::attempts::{self, Attempt, Save};
use crate::storage::conn::write_tx;
use crate::storage::{AnyConnection, Backend, Db, StorageError};

/// Most jobs in one transaction.
const MAX_BATCH: usize = 1024;
/// Jobs that may wait; beyond that, callers are told the server is busy.
const QUEUE: usize = 65_536;

/// How often a writer looks for submitted attempts that nobody is marking.
const SWEEP: Duration = Duration::from_secs(2);

enum Job {
    Save(Save, oneshot::Sender<Result<bool, String>>),
    Start(Box<Attempt>, oneshot::Sender<Result<bool, String>>),
    /// Submit an attempt: (id, by whom, when).
    Claim(
        String,
        &'static str,
        PrimitiveDateTime,
        oneshot::Sender<Result<bool, String>>,
    ),
    /// Write an attempt's marks now (someone is waiting to read them).
    Mark(String, oneshot::Sender<Result<bool, String>>),
}

/// Attempts waiting for their marks to be written, shared by the writer threads.
#[derive(Default)]
struct Marks {
    queue: VecDeque<String>,
    queued: HashSet<String>,
}

impl Marks {
    fn push(&mut self, id: String) {
        if self.queued.insert(id.clone()) {
            self.queue.push_back(id);
        }
    }

    fn pop(&mut self) -> Option<String> {
        let id = self.queue.pop_front()?;
        self.queued.remove(&id);
        Some(id)
    }
}

/// The handle handlers use.
#[derive(Clone)]
pub struct Writer {
    jobs: SyncSender<Job>,
}

/// Why a write was not done.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("the server is too busy to save now; try again")]
    Busy,
    #[error("the writer stopped")]
    Stopped,
    #[error("{0}")]
    Storage(String),
}

impl Writer {
    /// Starts the writer threads: one for SQLite (one writer at a time anyway), four for PostgreSQL.
    pub fn start(db: Db) -> Writer {
        let (tx, rx) = sync_channel::<Job>(QUEUE);
        let rx = Arc::new(Mutex::new(rx));
        let marks = Arc::new(Mutex::new(Marks::default()));
        let threads = match db.backend() {
            Backend::Sqlite => 1,
            Backend::Postgres => 4,
        };
        for i in 0..threads {
            let (db, rx, marks) = (db.clone(), rx.clone(), marks.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("tiku-writer-{i}"))
                .spawn(move || run(&db, &rx, &marks));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a writer thread");
            }
        }
        Writer { jobs: tx }
    }

    fn send(&self, job: Job) -> Result<(), WriteError> {
        self.jobs.try_send(job).map_err(|e| match e {
            TrySendError::Full(_) => WriteError::Busy,
            TrySendError::Disconnected(_) => WriteError::Stopped,
        })
    }

    /// Saves an answer; `Ok(false)` when the attempt is not open any more (submitted or past its
    /// deadline). Returns once the save is durable.
    pub async fn save(&self, save: Save) -> Result<bool, WriteError> {
        let (tx, rx) = oneshot::channel();
        self.send(Job::Save(save, tx))?;
        rx.await
            .map_err(|_| WriteError::Stopped)?
            .map_err(WriteError::Storage)
    }

    /// Submits an attempt durably (after any save queued before it); `Ok(false)` when it was already
    /// submitted. Its marks are written right after.
    pub async fn claim(
        &self,
        id: &str,
        by: &'static str,
        at: PrimitiveDateTime,
    ) -> Result<bool, WriteError> {
        let (tx, rx) = oneshot::channel();
        self.send(Job::Claim(id.to_owned(), by, at, tx))?;
        rx.await
            .map_err(|_| WriteError::Stopped)?
            .map_err(WriteError::Storage)
    }

    /// Has a submitted attempt's marks written now (no-op when they are).
    pub async fn mark_now(&self, id: &str) -> Result<(), WriteError> {
        let (tx, rx) = oneshot::channel();
        self.send(Job::Mark(id.to_owned(), tx))?;
        rx.await
            .map_err(|_| WriteError::Stopped)?
            .map_err(WriteError::Storage)
            .map(|_| ())
    }

    /// Stores a new attempt durably.
    pub async fn start_attempt(&self, attempt: Attempt) -> Result<(), WriteError> {
        let (tx, rx) = oneshot::channel();
        self.send(Job::Start(Box::new(attempt), tx))?;
        rx.await
            .map_err(|_| WriteError::Stopped)?
            .map_err(WriteError::Storage)
            .map(|_| ())
    }
}

/// Takes the first job (waiting for it up to `wait`), then every job already queued, up to
/// [`MAX_BATCH`]. `None` when the queue is closed; an empty batch when nothing came.
fn next_batch(rx: &Mutex<Receiver<Job>>, wait: Duration) -> Option<Vec<Job>> {
    let rx = rx.lock().ok()?;
    let first = match rx.recv_timeout(wait) {
        Ok(j) => j,
        Err(RecvTimeoutError::Timeout) => return Some(Vec::new()),
        Err(RecvTimeoutError::Disconnected) => return None,
    };
    let mut batch = vec![first];
    while batch.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(j) => batch.push(j),
            Err(_) => break,
        }
    }
    Some(batch)
}

/// The writer's own connection, opened again after a failure.
struct Conn<'a> {
    db: &'a Db,
    conn: Option<AnyConnection>,
}

impl Conn<'_> {
    fn get(&mut self) -> Result<&mut AnyConnection, StorageError> {
        if self.conn.is_none() {
            self.conn = Some(self.db.dedicated()?);
        }
        self.conn
            .as_mut()
            .ok_or_else(|| StorageError::Corrupt("no connection".into()))
    }

    /// Forgets the connection after an error (it may be broken).
    fn reset(&mut self) {
        self.conn = None;
    }
}

fn run(db: &Db, rx: &Mutex<Receiver<Job>>, marks: &Mutex<Marks>) {
    let mut cache = MarkingCache::default();
    let mut conn = Conn { db, conn: None };
    let conn = &mut conn;
    let mut swept = Instant::now() - SWEEP;
    loop {
        let pending = marks.lock().is_ok_and(|m| !m.queue.is_empty());
        // With marks to write, only what is already queued is taken; then one attempt's marks. Saves
        // thus wait for at most one attempt's marks, and marks are written even under a steady load.
        let wait = if pending {
            Duration::ZERO
        } else {
            SWEEP.saturating_sub(swept.elapsed())
        };
        let Some(batch) = next_batch(rx, wait) else {
            return;
        };
        if !batch.is_empty() {
            let t0 = std::time::Instant::now();
            let result = write(conn, &batch);
            tracing::debug!(
                jobs = batch.len(),
                micros = t0.elapsed().as_micros() as u64,
                "group commit"
            );
            for (job, outcome) in batch.into_iter().zip(result.outcomes()) {
                let _ = match job {
                    Job::Save(_, done) | Job::Start(_, done) => done.send(outcome),
                    Job::Claim(id, _, _, done) => {
                        if outcome == Ok(true)
                            && let Ok(mut m) = marks.lock()
                        {
                            m.push(id);
                        }
                        done.send(outcome)
                    }
                    Job::Mark(id, done) => {
                        let r = mark_one(conn, &id, &mut cache);
                        done.send(r)
                    }
                };
            }
        }
        if swept.elapsed() >= SWEEP {
            sweep(conn, marks);
            swept = Instant::now();
        }
        mark_next(conn, marks, &mut cache);
    }
}

/// Writes the marks of the next attempt waiting, if any.
fn mark_next(conn: &mut Conn<'_>, marks: &Mutex<Marks>, cache: &mut MarkingCache) {
    let Some(id) = marks.lock().ok().and_then(|mut m| m.pop()) else {
        return;
    };
    if let Err(e) = mark_one(conn, &id, cache) {
        tracing::warn!(attempt = %id, error = %e, "writing the marks failed; the sweep retries");
    }
}

fn mark_one(conn: &mut Conn<'_>, id: &str, cache: &mut MarkingCache) -> Result<bool, String> {
    let t0 = Instant::now();
    let c = conn.get().map_err(|e| e.to_string())?;
    let done = match mark_claimed(c, id, cache) {
        Ok(d) => d,
        Err(e) => {
            conn.reset();
            return Err(e.to_string());
        }
    };
    tracing::debug!(attempt = %id, marked = done, micros = t0.elapsed().as_micros() as u64, "marks written");
    Ok(done)
}

/// Queues the submitted attempts nobody has marked.
fn sweep(conn: &mut Conn<'_>, marks: &Mutex<Marks>) {
    let found = conn
        .get()
        .and_then(|c| attempts::unmarked(c, 500))
        .map_err(|e| e.to_string());
    if found.is_err() {
        conn.reset();
    }
    match found {
        Ok(ids) => {
            if let Ok(mut m) = marks.lock() {
                for id in ids {
                    m.push(id);
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "looking for unmarked attempts failed"),
    }
}

/// The batch's result: one outcome per job, or one error for all.
enum BatchResult {
    Each(Vec<bool>),
    Failed(String),
}

impl BatchResult {
    fn outcomes(self) -> Box<dyn Iterator<Item = Result<bool, String>>> {
        match self {
            BatchResult::Each(v) => Box::new(v.into_iter().map(Ok)),
            BatchResult::Failed(e) => Box::new(std::iter::repeat_with(move || Err(e.clone()))),
        }
    }
}

fn write(conn: &mut Conn<'_>, batch: &[Job]) -> BatchResult {
    // A lost connection is opened again and the batch retried once after a short pause.
    for attempt in 0..2 {
        let result = conn.get().and_then(|c| write_once(c, batch));
        if result.is_err() {
            conn.reset();
        }
        match result {
            Ok(v) => return BatchResult::Each(v),
            Err(e) if attempt == 0 => {
                tracing::warn!(error = %e, "group commit failed; retrying");
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => {
                tracing::error!(error = %e, jobs = batch.len(), "group commit failed");
                return BatchResult::Failed(e.to_string());
            }
        }
    }
    BatchResult::Failed("unreachable".into())
}

fn write_once(conn: &mut AnyConnection, batch: &[Job]) -> Result<Vec<bool>, StorageError> {
    write_tx(conn, |c| {
        let mut out = Vec::with_capacity(batch.len());
        let saves: Vec<Save> = batch
            .iter()
            .filter_map(|j| match j {
                Job::Save(s, _) => Some(s.clone()),
                _ => None,
            })
            .collect();
        // Attempts first, so a save right after its attempt's start in the same batch finds it; then
        // the saves; then submissions, so an answer saved before its submission counts.
        for j in batch {
            if let Job::Start(at, _) = j {
                attempts::create(c, at)?;
            }
        }
        let mut saved = attempts::save_batch(c, &saves)?.into_iter();
        let mut claimed = Vec::new();
        for j in batch {
            if let Job::Claim(id, by, at, _) = j {
                claimed.push(attempts::claim_submission(c, id, by, *at)?);
            }
        }
        let mut claimed = claimed.into_iter();
        for j in batch {
            out.push(match j {
                Job::Save(..) => saved.next().unwrap_or(false),
                Job::Claim(..) => claimed.next().unwrap_or(false),
                Job::Start(..) | Job::Mark(..) => true,
            });
        }
        Ok(out)
    })
}
