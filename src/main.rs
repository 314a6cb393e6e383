//! The `tiku` binary: parses the command line and runs one command.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use tiku::bank;
use tiku::cli::{Cli, Command, ImportFormat, LtiCommand, StaffRole, UserCommand};
use tiku::config::{DataSettings, LogFormat, ServeSettings};
use tiku::domain::glossary::Glossary;
use tiku::domain::user::Role;
use tiku::search::SearchIndex;
use tiku::startup::{Application, init_tracing};
use tiku::storage::{Db, items};

/// mimalloc: per-request allocation (papers, JSON bodies) without glibc's fragmentation and locking.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
            ..
        } if path.is_dir() => import_bank(&path, dry_run, &data),
        Command::Import {
            format,
            path,
            dry_run,
            as_drafts,
            subject,
            tag,
            difficulty,
            data,
        } => import_file(
            format, &path, dry_run, as_drafts, subject, tag, difficulty, &data,
        ),
        Command::Lti(LtiCommand::AddPlatform {
            school,
            issuer,
            client_id,
            deployment_id,
            auth_url,
            token_url,
            jwks_url,
            public_url,
            data,
        }) => add_platform(
            &tiku::storage::lti::NewPlatform {
                school_id: school.trim(),
                issuer: issuer.trim(),
                client_id: client_id.trim(),
                deployment_id: deployment_id.trim(),
                auth_url: auth_url.trim(),
                token_url: token_url.trim(),
                jwks_url: jwks_url.trim(),
            },
            public_url.as_deref(),
            &data,
        ),
        Command::Lti(LtiCommand::ListPlatforms { data }) => list_platforms(&data),
        Command::Reindex { data } => reindex(&data),
        Command::RebuildModel { data } => rebuild_model(&data),
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

/// `tiku lti add-platform`: registers a platform for a school, makes the tool's key if there is none
/// yet, and prints what to configure on the platform.
fn add_platform(
    new: &tiku::storage::lti::NewPlatform<'_>,
    public_url: Option<&str>,
    data: &DataSettings,
) -> anyhow::Result<ExitCode> {
    for (flag, value) in [
        ("--school", new.school_id),
        ("--issuer", new.issuer),
        ("--client-id", new.client_id),
        ("--deployment-id", new.deployment_id),
    ] {
        if value.is_empty() {
            anyhow::bail!("{flag} is empty");
        }
    }
    for (flag, url) in [
        ("--auth-url", new.auth_url),
        ("--token-url", new.token_url),
        ("--jwks-url", new.jwks_url),
    ] {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            anyhow::bail!("{flag} must be an https:// URL, not `{url}`");
        }
    }
    let db = Db::connect(&data.database_url()).context("opening the database")?;
    let mut conn = db.conn()?;
    if tiku::storage::schools::get(&mut conn, new.school_id)?.is_none() {
        anyhow::bail!(
            "no school {} (GET /api/v1/schools lists their ids)",
            new.school_id
        );
    }
    let platform = tiku::storage::lti::add_platform(&mut conn, new)?;
    tiku::lti::keys::ToolKeys::load_or_create(&mut conn)?;
    let base = public_url.map_or("https://TIKU-HOST", |u| u.trim_end_matches('/'));
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "registered LTI platform {} for school {} (issuer {}, client id {}, deployment {})",
        platform.id,
        platform.school_id,
        platform.issuer,
        platform.client_id,
        platform.deployment_id
    )?;
    writeln!(out, "configure tiku on the platform with:")?;
    writeln!(out, "  OIDC login initiation URL: {base}/lti/login")?;
    writeln!(out, "  target link / redirect URL: {base}/lti/launch")?;
    writeln!(out, "  deep linking URL:           {base}/lti/launch")?;
    writeln!(out, "  public keyset (JWKS) URL:   {base}/lti/jwks")?;
    writeln!(
        out,
        "  services: Deep Linking, Assignment and Grade Services (score)"
    )?;
    Ok(ExitCode::SUCCESS)
}

/// `tiku lti list-platforms`.
fn list_platforms(data: &DataSettings) -> anyhow::Result<ExitCode> {
    let db = Db::connect(&data.database_url()).context("opening the database")?;
    let mut conn = db.conn()?;
    let mut out = std::io::stdout().lock();
    for p in tiku::storage::lti::platforms(&mut conn)? {
        writeln!(
            out,
            "{}\tschool {}\t{}\tclient {}\tdeployment {}",
            p.id, p.school_id, p.issuer, p.client_id, p.deployment_id
        )?;
    }
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

fn rebuild_model(data: &DataSettings) -> anyhow::Result<ExitCode> {
    init_tracing(LogFormat::Text);
    let db = Db::connect(&data.database_url()).context("opening the database")?;
    let mut conn = db.conn()?;
    let started = std::time::Instant::now();
    let r = tiku::storage::learning::rebuild(&mut conn)?;
    println!(
        "replayed {} answers: {} candidates, {} questions calibrated, in {:.2} s",
        r.answers,
        r.learners,
        r.questions,
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// `tiku import --format F FILE`: the same checks and all-or-nothing save as the web import.
#[allow(clippy::too_many_arguments)]
fn import_file(
    format: ImportFormat,
    path: &Path,
    dry_run: bool,
    as_drafts: bool,
    subject: Option<String>,
    tag: Option<String>,
    difficulty: u8,
    data: &DataSettings,
) -> anyhow::Result<ExitCode> {
    use tiku::bank::importing::{self, Format, Options};
    init_tracing(LogFormat::Text);
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let format = match format {
        ImportFormat::Bank => Format::Bank,
        ImportFormat::Xlsx => Format::Xlsx,
        ImportFormat::Csv => Format::Csv,
        ImportFormat::Gift => Format::Gift,
        ImportFormat::MoodleXml => Format::MoodleXml,
    };
    let opts = Options {
        keep_status: format == Format::Bank && !as_drafts,
        default_subject: match subject.as_deref() {
            Some(s) => Some(tiku::domain::Subject::parse(s).context("--subject is A or B")?),
            None => None,
        },
        default_tag: match tag.as_deref() {
            Some(t) => Some(tiku::domain::taxonomy::TagCode::parse(t).map_err(anyhow::Error::msg)?),
            None => None,
        },
        default_difficulty: difficulty,
    };
    let db = Db::connect(&data.database_url()).context("opening the database")?;
    let mut conn = db.conn()?;
    let docs = tiku::storage::documents::load(&mut conn)?;
    let bank = bank::Bank {
        taxonomy: docs.taxonomy,
        rules: docs.rules,
        ..bank::Bank::default()
    };
    let mut taken: std::collections::BTreeMap<String, u32> = std::collections::BTreeMap::new();
    for id in items::all_ids(&mut conn)? {
        if let Some((t, n)) = id.rsplit_once('-')
            && let Ok(n) = n.parse::<u32>()
        {
            let e = taken.entry(t.to_owned()).or_default();
            *e = (*e).max(n);
        }
    }
    let mut allocate = |t: &str| {
        let n = taken.entry(t.to_owned()).or_default();
        *n += 1;
        format!("{t}-{:04}", *n)
    };
    let prepared = importing::prepare(format, &bytes, &bank, &opts, &mut allocate);
    let mut err = std::io::stderr().lock();
    for s in &prepared.skipped {
        writeln!(err, "{}:{}: skipped: {}", path.display(), s.line, s.reason)?;
    }
    for w in &prepared.warnings {
        writeln!(err, "{}:{}: warning: {}", path.display(), w.line, w.message)?;
    }
    if !prepared.errors.is_empty() {
        for e in &prepared.errors {
            writeln!(err, "{}:{}: error: {}", path.display(), e.line, e.message)?;
        }
        writeln!(
            err,
            "nothing imported: the file has {} errors",
            prepared.errors.len()
        )?;
        return Ok(ExitCode::FAILURE);
    }
    let mut out = std::io::stdout().lock();
    if dry_run {
        writeln!(
            out,
            "dry run: {} items would be imported; nothing was changed",
            prepared.items.len()
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let batch: Vec<(tiku::domain::Item, tiku::domain::Status)> = prepared
        .items
        .into_iter()
        .map(|b| (b.item, b.status))
        .collect();
    let saved = items::save_batch(&mut conn, &batch, "cli")?;
    serde_json::to_writer_pretty(&mut out, &saved)?;
    writeln!(out)?;
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
