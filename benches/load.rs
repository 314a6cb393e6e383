//! Load benchmark of the mock exam path against the real server binary over HTTP on this machine.
//!
//! For each backend (SQLite; PostgreSQL with fsync on, when its binaries are installed) and each N:
//! N candidates, each with a paid account and a session prepared in the database, start a full mock
//! (both subjects) at a random moment within the first minute, fetch the paper, save every answer with a
//! compressed think time between answers (uniform between 0.5× and 1.5× `TIKU_LOAD_THINK_MS`, default
//! 2000 ms, instead of the real exam's ~100 s per answer), and submit. Reported: answer saves per second,
//! p50/p95/p99 latency of start, save and submit, errors, and the server's peak memory (VmHWM).
//!
//! Then the saturation runs: no think time, the load generator on the same 2 cores — 64 clients saving
//! answers back to back for 20 s (durable saves/s), and 64 clients starting attempts back to back for
//! 10 s (starts/s).
//!
//! Every save is acknowledged only once durable: SQLite in WAL mode with synchronous=FULL, PostgreSQL with
//! fsync and synchronous_commit on; the server's group commit writes many saves per commit.
//!
//! Run: `cargo bench --bench load` (all of it takes about half an hour here). Narrow it with
//! `TIKU_LOAD_N=1000,5000,10000`, `TIKU_LOAD_BACKENDS=sqlite,postgres`, `TIKU_LOAD_THINK_MS=2000`,
//! `TIKU_LOAD_SATURATION=1|0|saves|starts`, `TIKU_LOAD_CLIENTS=64`; `TIKU_BENCH_REPORT=benches/RESULTS-load.md` writes the report there.
//! The load generator is one thread (awc on actix's runtime) with a pool of at most 2,048 connections:
//! concurrent candidates share keep-alive connections as a reverse proxy's upstream pool would.

#[path = "../tests/api/pg.rs"]
#[allow(dead_code)]
mod pg;

use std::cell::RefCell;
use std::fmt::Write as _;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use serde_json::{Value, json};
use tiku::domain::access::Sitting;
use tiku::domain::user::Role;
use tiku::storage::{Db, conn::write_tx, schema, sittings, users};

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Candidates with paid access and a session each; returns their bearer tokens.
fn prepare(url: &str, n: usize) -> Vec<String> {
    let db = Db::connect(url).unwrap_or_else(|e| panic!("{e}"));
    let mut c = db.conn().unwrap_or_else(|e| panic!("{e}"));
    let today = time::OffsetDateTime::now_utc().date();
    let s = Sitting {
        id: "load".into(),
        name_zh: "压测批次".into(),
        name_en: "Load test sitting".into(),
        registration_opens: today - time::Duration::days(10),
        registration_closes: today + time::Duration::days(10),
        payment_opens: today - time::Duration::days(10),
        payment_closes: today + time::Duration::days(20),
        test_date: today + time::Duration::days(30),
        test_time: "13:00–16:00".into(),
        fee_fen: 26000,
    };
    sittings::save(&mut c, &s, "bench").unwrap_or_else(|e| panic!("{e}"));
    let tokens: Result<Vec<String>, tiku::storage::StorageError> = write_tx(&mut c, |c| {
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let email = format!("load{i}@example.com");
            let u = users::create(
                c,
                &users::NewUser {
                    role: Role::Candidate,
                    login: None,
                    email: Some(&email),
                    phone: None,
                    name: "Load",
                    password_hash: "not-used",
                },
            )?;
            diesel::insert_into(schema::registrations::table)
                .values((
                    schema::registrations::id.eq(format!("ord-load-{i}")),
                    schema::registrations::user_id.eq(&u.id),
                    schema::registrations::sitting_id.eq("load"),
                    schema::registrations::amount_fen.eq(26000),
                    schema::registrations::status.eq("paid"),
                    schema::registrations::created_at.eq(tiku::storage::now()),
                ))
                .execute(c)?;
            out.push(users::create_session(c, &u.id)?.0);
        }
        Ok(out)
    });
    tokens.unwrap_or_else(|e| panic!("{e}"))
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    async fn start(dir: &Path, url: &str) -> Server {
        let port = free_port();
        let bank = Path::new(env!("CARGO_MANIFEST_DIR")).join("question-bank");
        let child = Command::new(env!("CARGO_BIN_EXE_tiku"))
            .arg("serve")
            .arg("--address")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data-dir")
            .arg(dir)
            .arg("--bank-dir")
            .arg(&bank)
            .env("TIKU_DATABASE_URL", url)
            .env("TIKU_WORKERS", env("TIKU_LOAD_WORKERS", "2"))
            .env("RUST_LOG", env("TIKU_LOAD_SERVER_LOG_LEVEL", "error"))
            .stderr(Stdio::null())
            .stdout(match std::env::var("TIKU_LOAD_SERVER_LOG") {
                Ok(path) => std::fs::File::create(path).map_or(Stdio::null(), Stdio::from),
                Err(_) => Stdio::null(),
            })
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        let base = format!("http://127.0.0.1:{port}");
        let client = awc::Client::default();
        let t0 = Instant::now();
        loop {
            if let Ok(r) = client.get(format!("{base}/healthz")).send().await
                && r.status().is_success()
            {
                break;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(180),
                "server did not start"
            );
            actix_web::rt::time::sleep(Duration::from_millis(200)).await;
        }
        Server { child, base }
    }

    /// Peak and current resident memory of the server process, in MiB.
    fn memory(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let kib = |key: &str| {
            status
                .lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        (kib("VmHWM:") / 1024.0, kib("VmRSS:") / 1024.0)
    }

    /// CPU seconds the server process has used so far.
    fn cpu(&self) -> f64 {
        cpu_seconds(&self.child.id().to_string())
    }
}

/// User + system CPU seconds of a process (`self` for this one), from /proc/{pid}/stat.
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line: 12th and 13th after the name.
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // Clock ticks are 100 per second on Linux (USER_HZ).
    (ticks(11) + ticks(12)) / 100.0
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Default)]
struct Stats {
    start: Vec<u32>,
    save: Vec<u32>,
    submit: Vec<u32>,
    errors: usize,
    error_samples: Vec<String>,
    first_save: Option<Instant>,
    last_save: Option<Instant>,
    /// Each save's (seconds since the run began, latency µs), and each submission's second.
    save_at: Vec<(u32, u32)>,
    submit_at: Vec<u32>,
    origin: Option<Instant>,
}

impl Stats {
    fn error(&mut self, what: String) {
        self.errors += 1;
        if self.error_samples.len() < 5 {
            self.error_samples.push(what);
        }
    }
}

fn pct(v: &mut [u32], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_unstable();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    f64::from(v[i]) / 1000.0
}

fn client() -> awc::Client {
    awc::Client::builder()
        // Idle connections are dropped before the server's 5 s keep-alive closes them under the client.
        .connector(
            awc::Connector::new()
                .limit(2048)
                .conn_keep_alive(Duration::from_secs(4)),
        )
        .timeout(Duration::from_secs(120))
        .finish()
}

/// The answers of a paper: (slot, a valid answer) for every question.
fn answers_of(paper: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let answer = |q: &Value| match q["kind"].as_str().unwrap_or("") {
        "single" => q["options"][0]["id"].clone(),
        "multiple" => json!([q["options"][0]["id"]]),
        "true_false" => json!(true),
        "fill" => json!("FOB"),
        "numeric" => json!(1.0),
        _ => json!("Dear Sir or Madam, thank you for your inquiry."),
    };
    for s in paper["sections"].as_array().into_iter().flatten() {
        for i in s["items"].as_array().into_iter().flatten() {
            match i["parts"].as_array() {
                Some(parts) => {
                    for p in parts {
                        out.push((p["ref"].as_str().unwrap_or("").to_owned(), answer(p)));
                    }
                }
                None => out.push((i["ref"].as_str().unwrap_or("").to_owned(), answer(i))),
            }
        }
    }
    out
}

async fn request(
    client: &awc::Client,
    method: &str,
    url: &str,
    token: &str,
    body: Option<Value>,
) -> Result<(u16, Value), String> {
    request_with(client, method, url, token, body, true).await
}

/// A request; the response is parsed as JSON only when `parse` (a saturation run that does not need
/// the paper reads the body without parsing it, so the generator spends its core on sending).
async fn request_with(
    client: &awc::Client,
    method: &str,
    url: &str,
    token: &str,
    body: Option<Value>,
    parse: bool,
) -> Result<(u16, Value), String> {
    let req = match method {
        "PUT" => client.put(url),
        _ => client.post(url),
    }
    .insert_header(("Authorization", format!("Bearer {token}")));
    let sent = match body {
        Some(b) => req.send_json(&b).await,
        None => req.send().await,
    };
    let mut resp = sent.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let bytes = resp
        .body()
        .limit(16 * 1024 * 1024)
        .await
        .map_err(|e| e.to_string())?;
    let value = if parse {
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    } else {
        Value::Null
    };
    Ok((status, value))
}

/// One candidate: start, every answer, submit.
async fn candidate(
    client: awc::Client,
    base: String,
    token: String,
    delay: Duration,
    think_ms: u64,
    stats: Rc<RefCell<Stats>>,
) {
    actix_web::rt::time::sleep(delay).await;
    let t = Instant::now();
    let started = request(
        &client,
        "POST",
        &format!("{base}/api/v1/mocks"),
        &token,
        Some(json!({"blueprint": "full"})),
    )
    .await;
    let paper = match started {
        Ok((201, v)) => {
            stats
                .borrow_mut()
                .start
                .push(t.elapsed().as_micros() as u32);
            v
        }
        other => {
            stats.borrow_mut().error(format!("start: {other:?}"));
            return;
        }
    };
    let id = paper["attempt_id"].as_str().unwrap_or_default().to_owned();
    for (slot, answer) in answers_of(&paper["paper"]) {
        if think_ms > 0 {
            let jitter = rand::random::<f64>() + 0.5;
            actix_web::rt::time::sleep(Duration::from_millis((think_ms as f64 * jitter) as u64))
                .await;
        }
        let t = Instant::now();
        let r = request(
            &client,
            "PUT",
            &format!("{base}/api/v1/mocks/{id}/answers/{slot}"),
            &token,
            Some(json!({ "answer": answer })),
        )
        .await;
        let mut s = stats.borrow_mut();
        match r {
            Ok((200, _)) => {
                let micros = t.elapsed().as_micros() as u32;
                s.save.push(micros);
                let second = s.origin.map_or(0, |o| o.elapsed().as_secs() as u32);
                s.save_at.push((second, micros));
                let now = Instant::now();
                s.first_save.get_or_insert(now);
                s.last_save = Some(now);
            }
            other => s.error(format!("save {slot}: {other:?}")),
        }
    }
    let t = Instant::now();
    match request(
        &client,
        "POST",
        &format!("{base}/api/v1/mocks/{id}/submit"),
        &token,
        None,
    )
    .await
    {
        Ok((200, _)) => {
            let mut s = stats.borrow_mut();
            s.submit.push(t.elapsed().as_micros() as u32);
            let second = s.origin.map_or(0, |o| o.elapsed().as_secs() as u32);
            s.submit_at.push(second);
        }
        other => stats.borrow_mut().error(format!("submit: {other:?}")),
    }
}

fn database(backend: &str, dir: &Path) -> Option<String> {
    match backend {
        "sqlite" => Some(format!("sqlite://{}", dir.join("tiku.db").display())),
        _ => match pg::fresh_database() {
            Ok(url) => Some(url),
            Err(why) => {
                eprintln!("PostgreSQL skipped: {why}");
                None
            }
        },
    }
}

async fn concurrent_run(backend: &str, n: usize, think_ms: u64, report: &mut String) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let Some(url) = database(backend, dir.path()) else {
        return;
    };
    let tokens = prepare(&url, n);
    let server = Server::start(dir.path(), &url).await;
    let stats = Rc::new(RefCell::new(Stats::default()));
    let client = client();
    let t0 = Instant::now();
    stats.borrow_mut().origin = Some(t0);
    // CPU seconds of the server and of this generator, sampled every window.
    let cpu_samples: Rc<RefCell<Vec<(f64, f64)>>> = Rc::default();
    let sampler = {
        let (samples, pid) = (cpu_samples.clone(), server.child.id().to_string());
        actix_web::rt::spawn(async move {
            loop {
                samples
                    .borrow_mut()
                    .push((cpu_seconds(&pid), cpu_seconds("self")));
                actix_web::rt::time::sleep(Duration::from_secs(TIMELINE_SECS)).await;
            }
        })
    };
    let mut tasks = Vec::with_capacity(n);
    for token in tokens {
        let delay = Duration::from_millis((rand::random::<f64>() * 60_000.0) as u64);
        tasks.push(actix_web::rt::spawn(candidate(
            client.clone(),
            server.base.clone(),
            token,
            delay,
            think_ms,
            stats.clone(),
        )));
    }
    for t in tasks {
        let _ = t.await;
    }
    sampler.abort();
    let wall = t0.elapsed().as_secs_f64();
    let (peak, rss) = server.memory();
    let mut s = stats.borrow_mut();
    let window = match (s.first_save, s.last_save) {
        (Some(a), Some(b)) => (b - a).as_secs_f64().max(0.001),
        _ => 1.0,
    };
    let saves = s.save.len();
    let line = format!(
        "| {backend} | {n} | {think_ms} | {} | {:.0} | {:.1} / {:.1} / {:.1} | {:.1} / {:.1} / {:.1} | {:.1} / {:.1} / {:.1} | {} | {peak:.0} ({rss:.0}) | {wall:.0} |",
        saves,
        saves as f64 / window,
        pct(&mut s.start, 0.5),
        pct(&mut s.start, 0.95),
        pct(&mut s.start, 0.99),
        pct(&mut s.save, 0.5),
        pct(&mut s.save, 0.95),
        pct(&mut s.save, 0.99),
        pct(&mut s.submit, 0.5),
        pct(&mut s.submit, 0.95),
        pct(&mut s.submit, 0.99),
        s.errors,
    );
    println!("{line}");
    for e in &s.error_samples {
        println!("  error sample: {e}");
    }
    let _ = writeln!(report, "{line}");
    let timeline = timeline(&s, &cpu_samples.borrow());
    println!("{timeline}");
    let _ = writeln!(
        report,
        "\n<details><summary>{backend}, {n} candidates: by {TIMELINE_SECS} s window</summary>\n\n{timeline}\n</details>\n"
    );
}

/// The width of a timeline window, in seconds.
const TIMELINE_SECS: u64 = 30;

/// Per window: saves, their p50/p99, submissions, and the CPU the server and the generator used (in
/// % of one core), to tell a steady limit from a burst.
fn timeline(s: &Stats, cpu: &[(f64, f64)]) -> String {
    let w = TIMELINE_SECS as u32;
    let last = s.save_at.iter().map(|(t, _)| *t).max().unwrap_or(0);
    let mut out = String::from(
        "| window (s) | saves | save p50 / p99 (ms) | submissions | server CPU % | generator CPU % |\n| --- | ---: | --- | ---: | ---: | ---: |\n",
    );
    for (i, from) in (0..=last).step_by(w as usize).enumerate() {
        let mut lat: Vec<u32> = s
            .save_at
            .iter()
            .filter(|(t, _)| (from..from + w).contains(t))
            .map(|(_, l)| *l)
            .collect();
        let subs = s
            .submit_at
            .iter()
            .filter(|t| (from..from + w).contains(*t))
            .count();
        let used = |f: fn(&(f64, f64)) -> f64| match (cpu.get(i), cpu.get(i + 1)) {
            (Some(a), Some(b)) => format!("{:.0}", (f(b) - f(a)) * 100.0 / f64::from(w)),
            _ => "–".to_owned(),
        };
        out.push_str(&format!(
            "| {from}–{} | {} | {:.1} / {:.1} | {subs} | {} | {} |\n",
            from + w,
            lat.len(),
            pct(&mut lat, 0.5),
            pct(&mut lat, 0.99),
            used(|c| c.0),
            used(|c| c.1),
        ));
    }
    out
}

/// Saves (or starts) back to back by `clients` candidates for `secs` seconds; returns operations per
/// second, p50/p99 latency and errors.
async fn saturation(backend: &str, starts: bool, clients: usize, secs: u64, report: &mut String) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let Some(url) = database(backend, dir.path()) else {
        return;
    };
    let tokens = prepare(&url, clients);
    let server = Server::start(dir.path(), &url).await;
    let client = client();
    let stats = Rc::new(RefCell::new(Stats::default()));
    // Each client holds an attempt to save into.
    let mut papers = Vec::new();
    for t in &tokens {
        match request(
            &client,
            "POST",
            &format!("{}/api/v1/mocks", server.base),
            t,
            Some(json!({"blueprint": "full"})),
        )
        .await
        {
            Ok((201, v)) => papers.push(v),
            other => panic!("start: {other:?}"),
        }
    }
    let end = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for (token, paper) in tokens.into_iter().zip(papers) {
        let (client, base, stats) = (client.clone(), server.base.clone(), stats.clone());
        tasks.push(actix_web::rt::spawn(async move {
            let id = paper["attempt_id"].as_str().unwrap_or_default().to_owned();
            let answers = answers_of(&paper["paper"]);
            let mut k = 0usize;
            while Instant::now() < end {
                let t = Instant::now();
                let r = if starts {
                    request_with(
                        &client,
                        "POST",
                        &format!("{base}/api/v1/mocks"),
                        &token,
                        Some(json!({"blueprint": "full"})),
                        false,
                    )
                    .await
                } else {
                    let (slot, a) = &answers[k % answers.len()];
                    k += 1;
                    request(
                        &client,
                        "PUT",
                        &format!("{base}/api/v1/mocks/{id}/answers/{slot}"),
                        &token,
                        Some(json!({ "answer": a })),
                    )
                    .await
                };
                let mut s = stats.borrow_mut();
                match r {
                    Ok((200 | 201, _)) => s.save.push(t.elapsed().as_micros() as u32),
                    other => s.error(format!("{other:?}")),
                }
            }
        }));
    }
    let t0 = Instant::now();
    let (server_cpu0, own_cpu0) = (server.cpu(), cpu_seconds("self"));
    for t in tasks {
        let _ = t.await;
    }
    let wall = t0.elapsed().as_secs_f64();
    let (server_cpu, own_cpu) = (server.cpu() - server_cpu0, cpu_seconds("self") - own_cpu0);
    let (peak, _) = server.memory();
    let mut s = stats.borrow_mut();
    let what = if starts {
        "attempt starts"
    } else {
        "answer saves"
    };
    let done = s.save.len().max(1) as f64;
    let line = format!(
        "| {backend} | {what} | {clients} | {:.0} /s | {:.1} / {:.1} | {} | {:.0} % / {:.0} % | {:.3} | {peak:.0} |",
        s.save.len() as f64 / wall,
        pct(&mut s.save, 0.5),
        pct(&mut s.save, 0.99),
        s.errors,
        100.0 * server_cpu / wall,
        100.0 * own_cpu / wall,
        1000.0 * server_cpu / done,
    );
    println!("{line}");
    for e in &s.error_samples {
        println!("  error sample: {e}");
    }
    let _ = writeln!(report, "{line}");
}

fn main() {
    // `cargo test --benches` runs benches without `--bench`: nothing to do then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    // Durable PostgreSQL for the benchmark (the test cluster runs without fsync).
    pg::DURABLE.store(true, std::sync::atomic::Ordering::SeqCst);
    let ns: Vec<usize> = env("TIKU_LOAD_N", "1000,5000,10000")
        .split(',')
        .filter_map(|x| x.trim().parse().ok())
        .collect();
    let backends: Vec<String> = env("TIKU_LOAD_BACKENDS", "sqlite,postgres")
        .split(',')
        .map(|s| s.trim().to_owned())
        .collect();
    let think_ms: u64 = env("TIKU_LOAD_THINK_MS", "2000").parse().unwrap_or(2000);
    // 1: saves and starts; `saves` or `starts`: only that one; 0: none.
    let saturate = env("TIKU_LOAD_SATURATION", "1");
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mut report = format!(
        "# Load benchmark: mock exams over HTTP\n\nMeasured {} on {cpu}, {cores} cores, with `cargo bench --bench load` \
         (release build; server and load generator on the same machine). Think time between answers: uniform \
         {:.1}–{:.1} s (compressed from the real exam's ~100 s per answer); candidates start at random within the \
         first minute. Latencies in ms.\n\n\
         | backend | candidates | think (ms) | saves | saves/s | start p50 / p95 / p99 | save p50 / p95 / p99 | submit p50 / p95 / p99 | errors | server MiB peak (end) | wall (s) |\n\
         | --- | ---: | ---: | ---: | ---: | --- | --- | --- | ---: | --- | ---: |\n",
        time::OffsetDateTime::now_utc().date(),
        think_ms as f64 * 0.5 / 1000.0,
        think_ms as f64 * 1.5 / 1000.0,
    );
    let sys = actix_web::rt::System::new();
    sys.block_on(async {
        for backend in &backends {
            for &n in &ns {
                concurrent_run(backend, n, think_ms, &mut report).await;
            }
        }
        if saturate != "0" {
            report.push_str(
                "\nSaturation (no think time; clients back to back; load generator on the same 2 cores):\n\n\
                 | backend | operation | clients | rate | p50 / p99 (ms) | errors | CPU server / generator | server CPU ms per op | server MiB peak |\n\
                 | --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |\n",
            );
            let clients: usize = env("TIKU_LOAD_CLIENTS", "64").parse().unwrap_or(64);
            for backend in &backends {
                if saturate != "starts" {
                    saturation(backend, false, clients, 20, &mut report).await;
                }
                if saturate != "saves" {
                    let secs = env("TIKU_LOAD_START_SECS", "10").parse().unwrap_or(10);
                    saturation(backend, true, clients, secs, &mut report).await;
                }
            }
        }
    });
    println!("\n{report}");
    if let Ok(path) = std::env::var("TIKU_BENCH_REPORT") {
        std::fs::write(&path, &report).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
}
