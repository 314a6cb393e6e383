//! An acknowledged answer survives a crash: the server (the real binary, in a child process) is killed
//! with SIGKILL while saves are in flight; after a restart on the same database every answer that was
//! acknowledged with 200 is there, with the value acknowledged — on SQLite and PostgreSQL.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tiku::domain::user::Role;

use super::candidates::{open_sitting, register};
use super::helpers::{Db, PAYMENT_SECRET, TestApp, bearer};
use super::pg;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Starts `tiku serve` on `port` and waits until it answers /healthz.
async fn serve(dir: &Path, database_url: &str, port: u16, import: bool) -> Child {
    let bank = Path::new(env!("CARGO_MANIFEST_DIR")).join("question-bank");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tiku"));
    cmd.arg("serve")
        .arg("--address")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--data-dir")
        .arg(dir.join("data"))
        .arg("--bank-dir")
        .arg(&bank)
        .arg("--workers")
        .arg("2")
        .env("TIKU_DATABASE_URL", database_url)
        .env("TIKU_PAYMENT_SECRET", PAYMENT_SECRET)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if !import {
        cmd.arg("--no-bank-import");
    }
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start tiku: {e}"));
    let client = awc::Client::default();
    let started = Instant::now();
    loop {
        if let Ok(r) = client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            && r.status().is_success()
        {
            return child;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("tiku serve exited: {status}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "tiku serve did not come up"
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn crash_and_check(db: Db, database_url: Option<String>) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data_path = dir.path().to_path_buf();
    let database_url = database_url.unwrap_or_else(|| {
        format!(
            "sqlite://{}",
            data_path.join("data").join("tiku.db").display()
        )
    });
    let port = free_port();
    let mut server = serve(dir.path(), &database_url, port, true).await;
    let app = TestApp::external(
        format!("http://127.0.0.1:{port}"),
        db,
        database_url.clone(),
        dir,
    );
    app.add_user(Role::Admin, "root", "admin-password");
    let admin = bearer(&app.login("root", "admin-password").await);
    open_sitting(&app, &admin, "test-1").await;
    let (cid, token) = register(&app, 1).await;
    let r = app
        .send(
            "POST",
            &format!("/api/v1/admin/candidates/{cid}/payment"),
            None,
            &admin,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .send(
            "POST",
            "/api/v1/mocks",
            Some(json!({"blueprint": "A"})),
            &bearer(&token),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let started = r.json();
    let id = started["attempt_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    // Single-choice slots: each gets one save, with its first option.
    let slots: Vec<(String, Value)> = started["paper"]["sections"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["items"].as_array().cloned().unwrap_or_default())
        .filter(|i| i["kind"] == "single")
        .map(|i| {
            (
                i["ref"].as_str().unwrap_or_default().to_owned(),
                i["options"][0]["id"].clone(),
            )
        })
        .collect();
    assert!(slots.len() >= 30, "{} single-choice slots", slots.len());

    // Saves from 8 concurrent clients; the server is killed after 20 acknowledgements, with the rest in
    // flight or still to come.
    let acked = std::rc::Rc::new(std::cell::RefCell::new(Vec::<(String, Value)>::new()));
    let mut tasks = Vec::new();
    for chunk in slots.chunks(slots.len().div_ceil(8)) {
        let (chunk, acked, token, id) = (chunk.to_vec(), acked.clone(), token.clone(), id.clone());
        let address = app.address.clone();
        tasks.push(actix_web::rt::spawn(async move {
            let client = awc::Client::builder()
                .timeout(Duration::from_secs(10))
                .finish();
            for (slot, v) in chunk {
                let sent = client
                    .put(format!("{address}/api/v1/mocks/{id}/answers/{slot}"))
                    .insert_header(("Authorization", format!("Bearer {token}")))
                    .send_json(&json!({ "answer": v }))
                    .await;
                match sent {
                    Ok(r) if r.status().as_u16() == 200 => acked.borrow_mut().push((slot, v)),
                    _ => break,
                }
            }
        }));
    }
    let t0 = Instant::now();
    while acked.borrow().len() < 20 {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "saves did not go through"
        );
        actix_web::rt::time::sleep(Duration::from_millis(2)).await;
    }
    server.kill().unwrap_or_else(|e| panic!("SIGKILL: {e}"));
    let _ = server.wait();
    for t in tasks {
        let _ = t.await;
    }
    let acked: Vec<(String, Value)> = acked.borrow().clone();
    assert!(acked.len() >= 20);

    // Back up on the same database: every acknowledged answer is there.
    let mut server = serve(&data_path, &database_url, port, false).await;
    let r = app
        .send("GET", &format!("/api/v1/mocks/{id}"), None, &bearer(&token))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let answers = r.json()["answers"].clone();
    for (slot, v) in &acked {
        assert_eq!(
            &answers[slot], v,
            "{db:?}: acknowledged save of {slot} lost"
        );
    }
    let _ = server.kill();
    let _ = server.wait();
    eprintln!(
        "{db:?}: {} acknowledged saves all survived SIGKILL",
        acked.len()
    );
}

#[actix_web::test]
async fn acknowledged_answers_survive_sigkill_on_sqlite() {
    crash_and_check(Db::Sqlite, None).await;
}

#[actix_web::test]
async fn acknowledged_answers_survive_sigkill_on_postgres() {
    match pg::fresh_database() {
        Ok(url) => crash_and_check(Db::Postgres, Some(url)).await,
        Err(why) if pg::required() => panic!("PostgreSQL is required: {why}"),
        Err(why) => eprintln!("PostgreSQL not available, skipped: {why}"),
    }
}
