//! The `tiku` binary: parses the command line and runs one command.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use tiku::bank;
use tiku::cli::{Cli, Command};

fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { dir, json } => check(&dir, json),
    }
}

/// `tiku check`: prints every diagnostic (or the JSON report) and fails when there is an error.
fn check(dir: &std::path::Path, json: bool) -> anyhow::Result<ExitCode> {
    let loaded = bank::load(dir);
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &loaded.report())?;
        writeln!(out)?;
    } else {
        for d in &loaded.diagnostics {
            writeln!(out, "{}/{d}", dir.display())?;
        }
        let s = loaded.bank.summary();
        let errors = loaded.errors().count();
        let warnings = loaded.warnings().count();
        writeln!(
            out,
            "{} items ({} published: A {}, B {}; {} case parts), {errors} errors, {warnings} warnings",
            s.items,
            s.published,
            s.by_subject.get("A").copied().unwrap_or(0),
            s.by_subject.get("B").copied().unwrap_or(0),
            s.case_parts,
        )?;
    }
    Ok(if loaded.has_errors() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
