//! The `tiku` binary: parses the command line and runs one command.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use tiku::bank;
use tiku::cli::{Cli, Command, ImportFormat, StaffRole, UserCommand};
use tiku::config::{DataSettings, LogFormat, ServeSettings};
use tiku::domain::glossary::Glossary;
use tiku::domain::user::Role;
use tiku::search::SearchIndex;
use tiku::startup::{Application, init_tracing};
use tiku::storage::{Db, items};

fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(settings) => serve(settings),
        Command::Check { dir, json } => check(&dir, json),
        Command::Import {
            format: ImportFormat::Bank,
            path,
            dry_run,
            data,
        } => import_bank(&path, dry_run, &data),
        Command::Reindex { data } => reindex(&data),
        Command::User(UserCommand::Add {
            role,
            login,
            password,
            password_stdin,
            name,
            data,
        }) => add_user(role, &login, password, password_stdin, name, &data),
    }
}

/// `tiku serve`: runs the server until SIGINT/SIGTERM.
fn serve(settings: ServeSettings) -> anyhow::Result<ExitCode> {
    init_tracing(settings.log_format);
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(settings).await?;
        app.run_until_stopped().await?;
        Ok(ExitCode::SUCCESS)
    })
}

/// `tiku check`: prints every diagnostic (or the JSON report) and fails when there is an error.
fn check(dir: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let loaded = bank::load(dir);
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &loaded.report())?;
        writeln!(out)?;
    } else {
        for d in &loaded.diagnostics {
            writeln!(out, "{}/{d}", dir.display())?;
        }
        for (id, forms) in loaded.bank.parallel_forms() {
            writeln!(
                out,
                "blueprint {id}: {} parallel papers, largest pairwise overlap {:.0} %",
                forms.papers,
                forms.max_overlap * 100.0
            )?;
        }
        let s = loaded.bank.summary();
        writeln!(
            out,
            "{} items ({} published: A {}, B {}; {} case parts), {} errors, {} warnings",
            s.items,
            s.published,
            s.by_subject.get("A").copied().unwrap_or(0),
            s.by_subject.get("B").copied().unwrap_or(0),
            s.case_parts,
            loaded.errors().count(),
            loaded.warnings().count(),
        )?;
    }
    Ok(if loaded.has_errors() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `tiku user add`: creates a staff account with an argon2 password hash.
fn add_user(
    role: StaffRole,
    login: &str,
    password: Option<String>,
    password_stdin: bool,
    name: Option<String>,
    data: &DataSettings,
) -> anyhow::Result<ExitCode> {
    let password = match (password, password_stdin) {
        (Some(p), _) => p,
        (None, _) => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            line.trim_end_matches(['\n', '\r']).to_owned()
        }
    };
    if let Err(e) = tiku::auth::check_password_strength(&password) {
        anyhow::bail!("{e}");
    }
    let login = login.trim();
    if login.is_empty() || login.contains(char::is_whitespace) || login.contains('@') {
        anyhow::bail!("a login name has no spaces and no @ (e-mail addresses are for candidates)");
    }
    let role = match role {
        StaffRole::Admin => Role::Admin,
        StaffRole::Teacher => Role::Teacher,
        StaffRole::SchoolAdmin => Role::SchoolAdmin,
    };
    let hash = tiku::auth::hash_password(&password).map_err(anyhow::Error::msg)?;
    let db = Db::connect(&data.database_url()).context("opening the database")?;
    let mut conn = db.conn()?;
    let user = tiku::storage::users::create(
        &mut conn,
        &tiku::storage::users::NewUser {
            role,
            login: Some(login),
            email: None,
            phone: None,
            name: name.as_deref().unwrap_or(login),
            password_hash: &hash,
        },
    )?;
    println!("created {} {} ({})", user.role.code(), login, user.id);
    Ok(ExitCode::SUCCESS)
}

/// `tiku reindex`: throws the index away and builds it again from the database.
fn reindex(data: &DataSettings) -> anyhow::Result<ExitCode> {
    init_tracing(LogFormat::Text);
    let db = Db::connect(&data.database_url()).context("opening the database")?;
    let mut conn = db.conn()?;
    let docs = tiku::storage::documents::load(&mut conn)?;
    let dir = data.data_dir.join("index");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    let started = std::time::Instant::now();
    let (index, _) = SearchIndex::open(&dir, docs.taxonomy, Glossary::new(docs.glossary))?;
    let n = tiku::search::sync::rebuild(&index, &mut conn)?;
    println!(
        "indexed {n} items ({} documents) in {:.2} s into {}",
        index.num_docs(),
        started.elapsed().as_secs_f64(),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `tiku import --format bank DIR`: all or nothing; refuses a bank with errors.
fn import_bank(dir: &Path, dry_run: bool, data: &DataSettings) -> anyhow::Result<ExitCode> {
    init_tracing(LogFormat::Text);
    let loaded = bank::load(dir);
    if loaded.has_errors() {
        let mut err = std::io::stderr().lock();
        for d in loaded.errors() {
            writeln!(err, "{}/{d}", dir.display())?;
        }
        writeln!(
            err,
            "nothing imported: the bank has {} errors",
            loaded.errors().count()
        )?;
        return Ok(ExitCode::FAILURE);
    }
    let db = Db::connect(&data.database_url()).context("opening the database")?;
    let mut conn = db.conn()?;
    let report = items::import_bank(&mut conn, &loaded.bank, items::BANK_ACTOR, dry_run)?;
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &report)?;
    writeln!(out)?;
    if dry_run {
        writeln!(out, "dry run: nothing was changed")?;
    }
    Ok(ExitCode::SUCCESS)
}
