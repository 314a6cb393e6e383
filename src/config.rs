//! Settings: one struct, filled from command-line flags with `TIKU_*` environment overrides; no globals.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// Where the data lives. Shared by every command that opens the database.
#[derive(Debug, Clone, Args)]
pub struct DataSettings {
    /// Directory for the embedded SQLite database and the search index.
    #[arg(long, env = "TIKU_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Database URL: `postgres://…` for PostgreSQL; `sqlite://PATH` or a path for SQLite.
    /// Default: the SQLite file `tiku.db` in the data directory.
    #[arg(long, env = "TIKU_DATABASE_URL")]
    pub database_url: Option<String>,
}

impl DataSettings {
    /// The database URL to use.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("tiku.db").display()))
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Settings of `tiku serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeSettings {
    /// Address and port to listen on (port 0 picks a free port).
    #[arg(long, env = "TIKU_ADDRESS", default_value = "127.0.0.1:8080")]
    pub address: String,
    #[command(flatten)]
    pub data: DataSettings,
    /// The bank directory imported at start-up (idempotently); skipped when it does not exist.
    #[arg(long, env = "TIKU_BANK_DIR", default_value = "question-bank")]
    pub bank_dir: PathBuf,
    /// Do not import the bank directory at start-up.
    #[arg(long, env = "TIKU_NO_BANK_IMPORT")]
    pub no_bank_import: bool,
    /// HTTP worker threads (default: one per CPU core).
    #[arg(long, env = "TIKU_WORKERS")]
    pub workers: Option<usize>,
    /// Log format.
    #[arg(long, env = "TIKU_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// Mark cookies Secure (set when users reach the server over HTTPS, e.g. behind a TLS proxy).
    #[arg(long, env = "TIKU_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// The shared secret of the payment provider's callbacks (HMAC-SHA256); without it the callback
    /// endpoint answers 503 and payments are confirmed by admins.
    #[arg(long, env = "TIKU_PAYMENT_SECRET", hide_env_values = true)]
    pub payment_secret: Option<String>,
}
