//! Group commit for the mock exams' hot writes: saves of answers (and new attempts) are queued to
//! writer threads that each take every job waiting, write them in one transaction, commit once, and
//! only then acknowledge each job. A save is acknowledged only when it is durable (SQLite in WAL mode
//! with `synchronous = FULL`; PostgreSQL with `synchronous_commit = on`), and under load one fsync
//! covers hundreds of saves.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::storage::attempts::{self, Attempt, Save};
use crate::storage::conn::write_tx;
use crate::storage::{Backend, Db, StorageError};

/// Most jobs in one transaction.
const MAX_BATCH: usize = 1024;
/// Jobs that may wait; beyond that, callers are told the server is busy.
const QUEUE: usize = 65_536;

enum Job {
    Save(Save, oneshot::Sender<Result<bool, String>>),
    Start(Box<Attempt>, oneshot::Sender<Result<bool, String>>),
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
        let threads = match db.backend() {
            Backend::Sqlite => 1,
            Backend::Postgres => 4,
        };
        for i in 0..threads {
            let (db, rx) = (db.clone(), rx.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("tiku-writer-{i}"))
                .spawn(move || run(&db, &rx));
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

/// Takes the first job (waiting for it), then every job already queued, up to [`MAX_BATCH`].
fn next_batch(rx: &Mutex<Receiver<Job>>) -> Option<Vec<Job>> {
    let rx = rx.lock().ok()?;
    let first = rx.recv().ok()?;
    let mut batch = vec![first];
    while batch.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(j) => batch.push(j),
            Err(_) => break,
        }
    }
    Some(batch)
}

fn run(db: &Db, rx: &Mutex<Receiver<Job>>) {
    while let Some(batch) = next_batch(rx) {
        let t0 = std::time::Instant::now();
        let result = write(db, &batch);
        tracing::debug!(
            jobs = batch.len(),
            micros = t0.elapsed().as_micros() as u64,
            "group commit"
        );
        for (job, outcome) in batch.into_iter().zip(result.outcomes()) {
            let _ = match job {
                Job::Save(_, done) | Job::Start(_, done) => done.send(outcome),
            };
        }
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

fn write(db: &Db, batch: &[Job]) -> BatchResult {
    // A lost connection is retried once after a short pause before the batch fails.
    for attempt in 0..2 {
        match write_once(db, batch) {
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

fn write_once(db: &Db, batch: &[Job]) -> Result<Vec<bool>, StorageError> {
    let mut conn = db.conn()?;
    write_tx(&mut conn, |c| {
        let mut out = Vec::with_capacity(batch.len());
        let saves: Vec<Save> = batch
            .iter()
            .filter_map(|j| match j {
                Job::Save(s, _) => Some(s.clone()),
                Job::Start(..) => None,
            })
            .collect();
        // Attempts first, so a save right after its attempt's start in the same batch finds it.
        for j in batch {
            if let Job::Start(at, _) = j {
                attempts::create(c, at)?;
            }
        }
        let mut saved = attempts::save_batch(c, &saves)?.into_iter();
        for j in batch {
            out.push(match j {
                Job::Save(..) => saved.next().unwrap_or(false),
                Job::Start(..) => true,
            });
        }
        Ok(out)
    })
}
