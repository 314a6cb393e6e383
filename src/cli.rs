//! The command line: `tiku serve | check | import`, parsed with clap.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::{DataSettings, ServeSettings};

/// tiku (题库): question bank and adaptive practice for the Cross-border E-commerce (B2B) post test.
#[derive(Debug, Parser)]
#[command(name = "tiku", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Formats `tiku import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportFormat {
    /// The bank's own directory format (question-bank/).
    Bank,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (imports the bank directory at start-up).
    Serve(ServeSettings),
    /// Validate the bank files and report every problem as file:line: message.
    Check {
        /// The bank directory.
        #[arg(default_value = "question-bank")]
        dir: PathBuf,
        /// Print the summary with errors and warnings as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Rebuild the search index from the database (it is derived data).
    Reindex {
        #[command(flatten)]
        data: DataSettings,
    },
    /// Import items into the database: all or nothing, idempotent.
    Import {
        #[arg(long, value_enum, default_value = "bank")]
        format: ImportFormat,
        /// What to import (for `bank`: the bank directory).
        path: PathBuf,
        /// Check and report what would change without changing anything.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        data: DataSettings,
    },
}
