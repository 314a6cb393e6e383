//! The command line: `tiku serve | check | import | user add`, parsed with clap.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// tiku (题库): question bank and adaptive practice for the Cross-border E-commerce (B2B) post test.
#[derive(Debug, Parser)]
#[command(name = "tiku", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate the bank files and report every problem as file:line: message.
    Check {
        /// The bank directory.
        #[arg(default_value = "question-bank")]
        dir: PathBuf,
        /// Print the summary with errors and warnings as JSON.
        #[arg(long)]
        json: bool,
    },
}
