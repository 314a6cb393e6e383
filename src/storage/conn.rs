//! Connections: one type over SQLite and PostgreSQL, picked by the database URL, and its r2d2 pool.

use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, ConnectionError};

/// A connection to either backend. Queries are written once against this type.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

/// Which database a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// `postgres://` and `postgresql://` are PostgreSQL; `sqlite://PATH`, `file:PATH` and a bare path are
    /// SQLite.
    pub fn of(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// The SQLite file path of a SQLite URL.
pub fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

/// Settings every SQLite connection gets: write-ahead log (readers never block the writer), foreign keys,
/// a busy timeout instead of immediate "database is locked" errors, and full fsync on commit so an
/// acknowledged write survives a power cut. No memory map: in WAL mode a connection drops its page
/// cache, and a map its whole mapping, whenever another one has committed; under a stream of commits
/// unmapping and faulting pages back in cost more than copying them in with `pread` (measured with
/// `cargo bench --bench load`: 1.39 against 1.56 ms of server CPU per attempt start, and no gain on
/// the saves and submissions of 3 000 candidates).
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
     PRAGMA busy_timeout = 10000; PRAGMA synchronous = FULL;";

/// Opens one connection of the URL's backend, reporting the backend's own error.
pub fn establish(url: &str) -> Result<AnyConnection, ConnectionError> {
    match Backend::of(url) {
        Backend::Postgres => PgConnection::establish(url).map(AnyConnection::Postgresql),
        Backend::Sqlite => {
            let mut c = SqliteConnection::establish(sqlite_path(url))?;
            c.batch_execute(SQLITE_PRAGMAS)
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
            Ok(AnyConnection::Sqlite(c))
        }
    }
}

/// r2d2 manager that opens connections with [`establish`].
pub struct Manager {
    url: String,
}

impl ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, r2d2::Error> {
        establish(&self.url).map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut AnyConnection) -> bool {
        false
    }
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConnection = r2d2::PooledConnection<Manager>;

/// Builds a pool. The first connection is opened here so a wrong URL fails fast with the real error.
pub fn pool(url: &str, max_size: u32) -> Result<Pool, ConnectionError> {
    // Probe once directly: r2d2 would retry for its whole timeout and hide the cause.
    drop(establish(url)?);
    r2d2::Pool::builder()
        .max_size(max_size)
        .connection_timeout(Duration::from_secs(30))
        .build(Manager {
            url: url.to_owned(),
        })
        .map_err(|e| ConnectionError::BadConnection(e.to_string()))
}

/// Runs `f` in a write transaction. On SQLite the transaction starts with `BEGIN IMMEDIATE`, taking the
/// write lock at once, so two writers queue on the busy timeout instead of deadlocking when both upgrade
/// a read lock; on PostgreSQL it is an ordinary transaction.
pub fn write_tx<T, E>(
    conn: &mut AnyConnection,
    f: impl FnOnce(&mut AnyConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    match conn {
        AnyConnection::Postgresql(_) => conn.transaction(f),
        AnyConnection::Sqlite(_) => {
            on_sqlite(conn, |c| {
                AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")
            })?;
            match f(conn) {
                Ok(value) => match on_sqlite(conn, AnsiTransactionManager::commit_transaction) {
                    Ok(()) => Ok(value),
                    Err(e) => {
                        let _ = on_sqlite(conn, AnsiTransactionManager::rollback_transaction);
                        Err(e.into())
                    }
                },
                Err(e) => {
                    let _ = on_sqlite(conn, AnsiTransactionManager::rollback_transaction);
                    Err(e)
                }
            }
        }
    }
}

/// Runs a transaction-manager step on the SQLite connection inside `conn`.
fn on_sqlite(
    conn: &mut AnyConnection,
    op: impl FnOnce(&mut SqliteConnection) -> diesel::QueryResult<()>,
) -> diesel::QueryResult<()> {
    match conn {
        AnyConnection::Sqlite(c) => op(c),
        AnyConnection::Postgresql(_) => Err(diesel::result::Error::BrokenTransactionManager),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_follows_the_url_scheme() {
        assert_eq!(Backend::of("postgres://u@h/db"), Backend::Postgres);
        assert_eq!(Backend::of("postgresql://h/db"), Backend::Postgres);
        assert_eq!(Backend::of("sqlite://data/tiku.db"), Backend::Sqlite);
        assert_eq!(Backend::of("data/tiku.db"), Backend::Sqlite);
        assert_eq!(sqlite_path("sqlite://data/tiku.db"), "data/tiku.db");
        assert_eq!(sqlite_path("/tmp/x.db"), "/tmp/x.db");
    }
}
