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
    /// The bank's own format: a bank directory (question-bank/) or one TOML file of items.
    Bank,
    /// The spreadsheet template as xlsx.
    Xlsx,
    /// The spreadsheet template as CSV.
    Csv,
    /// Moodle GIFT.
    Gift,
    /// Moodle XML.
    #[value(name = "moodle_xml", alias = "moodle-xml")]
    MoodleXml,
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
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// LTI 1.3: the course sites (platforms) that launch tiku as a tool.
    #[command(subcommand)]
    Lti(LtiCommand),
    /// Rebuild the search index from the database (it is derived data).
    Reindex {
        #[command(flatten)]
        data: DataSettings,
    },
    /// Rebuild the learner model (every candidate's beliefs and every question's parameters) by replaying
    /// the answer log in order; the result is identical to the model kept up to date answer by answer.
    RebuildModel {
        #[command(flatten)]
        data: DataSettings,
    },
    /// Import items into the database: all or nothing.
    Import {
        #[arg(long, value_enum, default_value = "bank")]
        format: ImportFormat,
        /// The file (or, for `bank`, a bank directory).
        path: PathBuf,
        /// Check and report what would change without changing anything.
        #[arg(long)]
        dry_run: bool,
        /// Import every item as a draft, whatever status the file gives (files other than the bank's
        /// own format always import as drafts).
        #[arg(long)]
        as_drafts: bool,
        /// Subject for items whose file does not say.
        #[arg(long)]
        subject: Option<String>,
        /// Tag for items whose file does not say.
        #[arg(long)]
        tag: Option<String>,
        /// Difficulty for items whose file does not say.
        #[arg(long, default_value_t = 3)]
        difficulty: u8,
        #[command(flatten)]
        data: DataSettings,
    },
}

/// Staff roles that can be created from the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StaffRole {
    Admin,
    Teacher,
    #[value(name = "school_admin", alias = "school-admin")]
    SchoolAdmin,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a staff account.
    Add {
        #[arg(long, value_enum)]
        role: StaffRole,
        /// The login name.
        #[arg(long)]
        login: String,
        /// The password (prefer --password-stdin: command lines are visible to other users).
        #[arg(
            long,
            conflicts_with = "password_stdin",
            required_unless_present = "password_stdin"
        )]
        password: Option<String>,
        /// Read the password from standard input.
        #[arg(long)]
        password_stdin: bool,
        /// The display name (defaults to the login).
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        data: DataSettings,
    },
}

#[derive(Debug, Subcommand)]
pub enum LtiCommand {
    /// Register a platform (an LMS) for a school, and print the URLs to enter on the platform's side.
    AddPlatform {
        /// The school whose assessments the platform's courses may open.
        #[arg(long)]
        school: String,
        /// The platform's issuer (`iss` of its id_tokens), e.g. https://moodle.example.edu.
        #[arg(long)]
        issuer: String,
        /// The client id the platform gave tiku.
        #[arg(long)]
        client_id: String,
        /// The deployment id of tiku on the platform.
        #[arg(long)]
        deployment_id: String,
        /// The platform's OIDC authorisation endpoint.
        #[arg(long)]
        auth_url: String,
        /// The platform's OAuth 2 token endpoint (for sending grades).
        #[arg(long)]
        token_url: String,
        /// The platform's public keyset (JWKS) URL.
        #[arg(long)]
        jwks_url: String,
        /// tiku's public address (e.g. https://tiku.example.com), for the URLs printed.
        #[arg(long, env = "TIKU_PUBLIC_URL")]
        public_url: Option<String>,
        #[command(flatten)]
        data: DataSettings,
    },
    /// List the registered platforms.
    ListPlatforms {
        #[command(flatten)]
        data: DataSettings,
    },
}
