//! Storage: diesel over SQLite (embedded default) or PostgreSQL (scale-out), chosen by the database URL.
//!
//! Only this module knows SQL. It hands back domain types, never rows. Migrations are embedded and run by
//! [`Db::connect`], so a fresh database is always current.

pub mod assessments;
pub mod attempts;
pub mod audit;
pub mod candidates;
pub mod conn;
pub mod documents;
pub mod invitations;
pub mod items;
pub mod learning;
pub mod lti;
pub mod outbox;
pub mod practice;
pub mod reports;
pub mod responses;
pub mod schema;
pub mod schools;
pub mod sittings;
pub mod users;

use std::path::Path;

use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use time::{OffsetDateTime, PrimitiveDateTime};

pub use conn::{AnyConnection, Backend, Pool, PooledConnection};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Everything that can go wrong in storage.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("no database connection available: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("cannot run the migrations: {0}")]
    Migration(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// A unique value is already taken (e.g. a login name).
    #[error("{0}")]
    Conflict(String),
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
}

/// The database: a connection pool of one backend.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    backend: Backend,
    url: String,
}

impl Db {
    /// Connects, creating the SQLite file's directory if needed, and runs pending migrations.
    pub fn connect(url: &str) -> Result<Db, StorageError> {
        let backend = Backend::of(url);
        if backend == Backend::Sqlite
            && let Some(dir) = Path::new(conn::sqlite_path(url)).parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|source| StorageError::DataDir {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let max = match backend {
            Backend::Sqlite => 8,
            Backend::Postgres => 16,
        };
        let pool = conn::pool(url, max)?;
        let db = Db {
            pool,
            backend,
            url: url.to_owned(),
        };
        db.migrate()?;
        Ok(db)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// How many connections the pool holds.
    pub fn max_connections(&self) -> u32 {
        self.pool.max_size()
    }

    /// A pooled connection (blocking: call from a blocking thread).
    pub fn conn(&self) -> Result<PooledConnection, StorageError> {
        Ok(self.pool.get()?)
    }

    /// A connection of its own, outside the pool, for a thread that writes all the time (the mock
    /// exams' writer): it never waits for the pool, and its page cache stays warm.
    pub fn dedicated(&self) -> Result<AnyConnection, StorageError> {
        Ok(conn::establish(&self.url)?)
    }

    fn migrate(&self) -> Result<(), StorageError> {
        let mut c = self.conn()?;
        let result = match &mut *c {
            AnyConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()),
            AnyConnection::Postgresql(c) => {
                c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ())
            }
        };
        result.map_err(|e| StorageError::Migration(e.to_string()))
    }

    /// Answers when the database answers a trivial query (for `/healthz`).
    pub fn ping(&self) -> Result<(), StorageError> {
        use diesel::connection::SimpleConnection;
        self.conn()?.batch_execute("SELECT 1")?;
        Ok(())
    }
}

/// The current time in UTC, as stored (timestamps are UTC without an offset).
pub fn now() -> PrimitiveDateTime {
    let t = OffsetDateTime::now_utc();
    PrimitiveDateTime::new(t.date(), t.time())
}

/// Hex SHA-256 of `bytes`, for content hashes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
