//! A throwaway PostgreSQL cluster for the storage tests, started once per test run when the server
//! binaries are installed (or an existing server given by TIKU_TEST_DATABASE_URL), with a fresh database
//! per test.
//!
//! Without PostgreSQL the tests say so and run on SQLite only — unless TIKU_REQUIRE_POSTGRES=1 (set by CI),
//! in which case its absence fails the run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

static SERVER: OnceLock<Result<String, String>> = OnceLock::new();

/// Set before the first database is asked for: the cluster runs with fsync on (for benchmarks that
/// report durable writes; tests run without fsync for speed).
pub static DURABLE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// True when the run must include PostgreSQL.
pub fn required() -> bool {
    std::env::var("TIKU_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

/// A URL to a new, empty database, or why PostgreSQL is not available.
pub fn fresh_database() -> Result<String, String> {
    let base = SERVER.get_or_init(start).clone()?;
    let name = format!("tiku_test_{:016x}", rand::random::<u64>());
    let mut admin = PgConnection::establish(&format!("{base}/postgres"))
        .map_err(|e| format!("cannot connect to the test PostgreSQL at {base}: {e}"))?;
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .map_err(|e| format!("cannot create a test database: {e}"))?;
    Ok(format!("{base}/{name}"))
}

/// The server's base URL (without a database name).
fn start() -> Result<String, String> {
    if let Ok(url) = std::env::var("TIKU_TEST_DATABASE_URL") {
        return Ok(url.trim_end_matches('/').to_owned());
    }
    let bin = bin_dir().ok_or(
        "PostgreSQL server binaries not found (install `postgresql`, or set TIKU_TEST_PG_BIN or TIKU_TEST_DATABASE_URL)",
    )?;
    let port = free_port()?;
    let dir = std::env::temp_dir().join(format!("tiku-pg-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let as_root = is_root();
    if as_root {
        // PostgreSQL refuses to run as root: the cluster belongs to the `postgres` user.
        run(Command::new("chown").arg("postgres:postgres").arg(&dir))?;
    }
    let initdb = format!(
        "{} -D {} -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync",
        bin.join("initdb").display(),
        dir.join("data").display()
    );
    run(&mut shell(&initdb, as_root))?;
    let fsync = if DURABLE.load(std::sync::atomic::Ordering::SeqCst) {
        "on"
    } else {
        "off"
    };
    let start = format!(
        "{} -D {} -w -l {} -o \"-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync={fsync} -c max_connections=300\" start",
        bin.join("pg_ctl").display(),
        dir.join("data").display(),
        dir.join("log").display(),
        dir.display(),
    );
    run(&mut shell(&start, as_root))?;
    watchdog(&dir);
    let base = format!("postgres://postgres@127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match PgConnection::establish(&format!("{base}/postgres")) {
            Ok(_) => return Ok(base),
            Err(e) if Instant::now() > deadline => {
                return Err(format!("PostgreSQL did not start: {e}"));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

fn bin_dir() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("TIKU_TEST_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn shell(cmd: &str, as_postgres: bool) -> Command {
    if as_postgres {
        let mut c = Command::new("su");
        c.args(["postgres", "-s", "/bin/sh", "-c", cmd]);
        c
    } else {
        let mut c = Command::new("sh");
        c.args(["-c", cmd]);
        c
    }
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// Stops the cluster and deletes it once this test process has exited.
fn watchdog(dir: &Path) {
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
         kill -INT $(head -1 {dir}/data/postmaster.pid) 2>/dev/null; sleep 3; rm -rf {dir}",
        pid = std::process::id(),
        dir = dir.display()
    );
    let _ = Command::new("setsid")
        .args(["sh", "-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
}
