//! Schools through the API on SQLite and PostgreSQL: a school with staff, a class list imported from CSV
//! and xlsx (all or nothing), an assessment embedded through a signed link (every rejection: bad
//! signature, expired, replayed nonce), sat inside the page's session, its result posted to the school's
//! webhook (signed) and in the gradebook (JSON, CSV, xlsx), the item analysis and the class heatmap, the
//! school licence; and two schools that see nothing of each other.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tiku::domain::user::Role;
use tiku::storage::{Db, attempts, items};

use super::helpers::{As, TestApp, bearer, spawn_apps};

fn bank() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("question-bank")
}

/// A school made by tiku's admin, with its administrator and a teacher: (school id, admin, teacher).
pub async fn school(
    app: &TestApp,
    root: &As,
    tag: &str,
    licence: Option<&str>,
) -> (String, As, As) {
    let r = app
        .send(
            "POST",
            "/api/v1/schools",
            Some(json!({
                "name": format!("{tag} 跨境电商考培点"),
                "licence_until": licence,
                "admin": {"login": format!("{tag}-admin"), "name": "王校长", "password": "school-pass-1"}
            })),
            root,
        )
        .await;
    assert_eq!(r.status, 201, "{:?}: {}", app.db, r.body);
    let id = r.json()["id"].as_str().unwrap_or_default().to_owned();
    let admin = bearer(&app.login(&format!("{tag}-admin"), "school-pass-1").await);
    let r = app
        .send(
            "POST",
            &format!("/api/v1/schools/{id}/staff"),
            Some(json!({"login": format!("{tag}-teacher"), "name": "李老师", "password": "teacher-pass-1"})),
            &admin,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let teacher = bearer(&app.login(&format!("{tag}-teacher"), "teacher-pass-1").await);
    (id, admin, teacher)
}

pub fn stamp(offset_minutes: i64) -> String {
    (time::OffsetDateTime::now_utc() + time::Duration::minutes(offset_minutes))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A few published items with plain questions (no template, no case).
pub fn picks(app: &TestApp, n: usize) -> Vec<String> {
    let db = Db::connect(&app.database_url).unwrap_or_else(|e| panic!("{e}"));
    let mut c = db.conn().unwrap_or_else(|e| panic!("{e}"));
    items::published(&mut c)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .filter(|s| {
            s.item.template.is_none()
                && matches!(
                    s.item.kind(),
                    tiku::domain::item::Kind::Single | tiku::domain::item::Kind::TrueFalse
                )
        })
        .take(n)
        .map(|s| s.item.id.to_string())
        .collect()
}

/// A signed embed link's path and query.
pub fn link(
    assessment: &str,
    school: &str,
    secret: &str,
    student: &str,
    ts: i64,
    nonce: &str,
) -> String {
    let mut p = BTreeMap::new();
    p.insert("school".to_owned(), school.to_owned());
    p.insert("student".to_owned(), student.to_owned());
    p.insert("name".to_owned(), "张 伟".to_owned());
    p.insert("ts".to_owned(), ts.to_string());
    p.insert("nonce".to_owned(), nonce.to_owned());
    p.insert("origin".to_owned(), "http://127.0.0.1:9".to_owned());
    format!(
        "/embed/{assessment}?{}",
        tiku::web::embed::signed_query(secret, &p)
    )
}

/// A local server that records the webhooks it receives: (address, received (headers, body)).
pub type Received = Arc<Mutex<Vec<(Vec<(String, String)>, String)>>>;

fn webhook_receiver() -> (String, Received) {
    let got: Received = Arc::default();
    let keep = got.clone();
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    let server = actix_web::HttpServer::new(move || {
        let keep = keep.clone();
        actix_web::App::new().default_service(actix_web::web::to(
            move |req: actix_web::HttpRequest, body: String| {
                let keep = keep.clone();
                async move {
                    let headers = req
                        .headers()
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
                        .collect();
                    if let Ok(mut g) = keep.lock() {
                        g.push((headers, body));
                    }
                    actix_web::HttpResponse::Ok().finish()
                }
            },
        ))
    })
    .workers(1)
    .listen(listener)
    .unwrap_or_else(|e| panic!("listen: {e}"))
    .run();
    actix_web::rt::spawn(server);
    (format!("http://127.0.0.1:{port}/hook"), got)
}

/// Points the school's webhook at a local receiver; returns what it receives and the school's embed
/// secret (read by the school's administrator).
pub async fn webhook_and_secret(app: &TestApp, sid: &str, admin: &As) -> (Received, String) {
    let (hook_url, received) = webhook_receiver();
    let r = app
        .send(
            "PATCH",
            &format!("/api/v1/schools/{sid}"),
            Some(json!({"webhook_url": hook_url})),
            admin,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .send("GET", &format!("/api/v1/schools/{sid}"), None, admin)
        .await;
    let secret = r.json()["embed_secret"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    (received, secret)
}

/// Imports a class list (CSV) through the API as `who`; the id of the school's first class.
pub async fn class_list(app: &TestApp, sid: &str, who: &As, csv: &str) -> String {
    let r = app
        .send_bytes(
            "POST",
            &format!("/api/v1/schools/{sid}/roster?dry_run=false"),
            csv.as_bytes().to_vec(),
            who,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    app.send("GET", &format!("/api/v1/schools/{sid}"), None, who)
        .await
        .json()["classes"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

pub fn location(r: &super::helpers::Reply) -> String {
    r.headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[actix_web::test]
async fn an_embedded_assessment_is_sat_and_its_result_flows_back() {
    for app in spawn_apps(Some(&bank())).await {
        app.add_user(Role::Admin, "root", "admin-password");
        let root = bearer(&app.login("root", "admin-password").await);
        let today = time::OffsetDateTime::now_utc().date();
        let licence = (today + time::Duration::days(30)).to_string();
        let (sid, admin, teacher) = school(&app, &root, "sa", Some(&licence)).await;

        // The webhook, and the secret the school's site signs with.
        let (received, secret) = webhook_and_secret(&app, &sid, &admin).await;
        let r = app
            .send("GET", &format!("/api/v1/schools/{sid}"), None, &teacher)
            .await;
        assert!(
            r.json()["embed_secret"].is_null(),
            "teachers never see the secret"
        );
        assert_eq!(secret.len(), 64);

        // The class list: a dry run first, then the import.
        let csv =
            "学号,姓名,班级,邮箱\n2025001,张伟,跨境1班,zw-sa@example.com\n2025002,李娜,跨境1班,\n";
        let r = app
            .send_bytes(
                "POST",
                &format!("/api/v1/schools/{sid}/roster?dry_run=true"),
                csv.as_bytes().to_vec(),
                &teacher,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let preview = r.json();
        assert_eq!(preview["ok"], true, "{preview}");
        assert_eq!(preview["new_students"], 2);
        assert_eq!(preview["new_classes"], 1);
        let r = app
            .send("GET", &format!("/api/v1/schools/{sid}"), None, &teacher)
            .await;
        assert_eq!(
            r.json()["classes"].as_array().map(Vec::len),
            Some(0),
            "a dry run writes nothing"
        );
        let r = app
            .send_bytes(
                "POST",
                &format!("/api/v1/schools/{sid}/roster?dry_run=false"),
                csv.as_bytes().to_vec(),
                &teacher,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = app
            .send("GET", &format!("/api/v1/schools/{sid}"), None, &teacher)
            .await;
        let class_id = r.json()["classes"][0]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let r = app
            .send(
                "GET",
                &format!("/api/v1/schools/{sid}/classes/{class_id}"),
                None,
                &teacher,
            )
            .await;
        assert_eq!(
            r.json()["students"].as_array().map(Vec::len),
            Some(2),
            "{}",
            r.body
        );

        // An assessment of three picked items.
        let items = picks(&app, 3);
        assert_eq!(items.len(), 3);
        let r = app
            .send(
                "POST",
                &format!("/api/v1/schools/{sid}/assessments"),
                Some(json!({
                    "class_id": class_id, "title": "第一单元测验", "source": "items", "items": items,
                    "opens_at": stamp(-1), "closes_at": stamp(60), "max_attempts": 1,
                    "show_keys": "immediately"
                })),
                &teacher,
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let aid = r.json()["id"].as_str().unwrap_or_default().to_owned();
        let r = app
            .send(
                "GET",
                &format!("/api/v1/schools/{sid}/assessments/{aid}"),
                None,
                &teacher,
            )
            .await;
        assert!(
            r.json()["embed"]["test_link"]
                .as_str()
                .is_some_and(|l| l.contains(&format!("/embed/{aid}?")) && l.contains("sig=")),
            "{}",
            r.body
        );

        // Every rejection of a signed link.
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let anon = As::default();
        let forged = link(&aid, &sid, "not-the-secret", "2025001", now, "n-forged");
        let r = app.send("GET", &forged, None, &anon).await;
        assert_eq!(r.status, 401, "bad signature: {}", r.body);
        assert!(r.body.contains("signature"), "{}", r.body);
        let changed =
            link(&aid, &sid, &secret, "2025001", now, "n-changed").replace("2025001", "2025002");
        let r = app.send("GET", &changed, None, &anon).await;
        assert_eq!(r.status, 401, "a changed parameter: {}", r.body);
        let old = link(&aid, &sid, &secret, "2025001", now - 301, "n-old");
        let r = app.send("GET", &old, None, &anon).await;
        assert_eq!(r.status, 401, "expired: {}", r.body);
        assert!(r.body.contains("expired"), "{}", r.body);

        let good = link(&aid, &sid, &secret, "2025001", now, "n-good");
        let r = app.send("GET", &good, None, &anon).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let session = location(&r);
        assert!(session.starts_with("/embed/s/"), "{session}");
        let r = app.send("GET", &good, None, &anon).await;
        assert_eq!(r.status, 401, "a nonce works once: {}", r.body);
        assert!(r.body.contains("already used"), "{}", r.body);

        // Inside the frame: framable by the course site only, no cookie needed.
        let r = app.send("GET", &session, None, &anon).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let csp = r
            .headers
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert_eq!(csp, "frame-ancestors http://127.0.0.1:9");
        assert!(r.set_cookie("tiku_session").is_none());
        let home = app.send("GET", "/", None, &anon).await;
        assert_eq!(
            home.headers
                .get("content-security-policy")
                .and_then(|v| v.to_str().ok()),
            Some("frame-ancestors 'self'"),
            "the rest of the site may not be framed"
        );
        let r = app.post_form(&format!("{session}/start"), &[], &anon).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let r = app.send("GET", &session, None, &anon).await;
        assert!(
            r.body
                .contains(&format!("data-save-url=\"{session}/answers/\"")),
            "{}",
            r.body
        );

        // Answer every question right, through the page's save address, then submit by form.
        let db = Db::connect(&app.database_url).unwrap_or_else(|e| panic!("{e}"));
        let mut c = db.conn().unwrap_or_else(|e| panic!("{e}"));
        let student = tiku::storage::schools::student_by_external(&mut c, &sid, "2025001")
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("the student was created"));
        let attempt = attempts::of_user_at(&mut c, &student, &aid)
            .unwrap_or_else(|e| panic!("{e}"))
            .pop()
            .unwrap_or_else(|| panic!("an attempt"));
        assert_eq!(attempt.paper.questions.len(), 3);
        for (slot, answer) in super::mocks::answers(&app, &attempt.id, true) {
            let r = app
                .send(
                    "PUT",
                    &format!("{session}/answers/{slot}"),
                    Some(json!({ "answer": answer })),
                    &anon,
                )
                .await;
            assert_eq!(r.status, 200, "{slot}: {}", r.body);
        }
        let r = app
            .send(
                "PUT",
                &format!(
                    "/embed/s/{}/answers/{}",
                    "0".repeat(64),
                    attempt.paper.questions[0].slot
                ),
                Some(json!({ "answer": "A" })),
                &anon,
            )
            .await;
        assert_eq!(
            r.status, 401,
            "an unknown session saves nothing: {}",
            r.body
        );
        let r = app
            .post_form(&format!("{session}/save"), &[("op", "submit")], &anon)
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(location(&r), format!("{session}/done"));
        let r = app
            .send("GET", &format!("{session}/done"), None, &anon)
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let max: u32 = attempt.paper.questions.iter().map(|q| q.max).sum();
        assert!(r.body.contains("\"type\":\"tiku:result\""), "{}", r.body);
        assert!(r.body.contains(&format!("\"score\":{max}")), "{}", r.body);
        assert!(
            r.body.contains("data-target-origin=\"http://127.0.0.1:9\""),
            "{}",
            r.body
        );
        let r = app.send("GET", &session, None, &anon).await;
        assert!(!r.body.contains("/start\""), "no attempts left: {}", r.body);
        let r = app.post_form(&format!("{session}/start"), &[], &anon).await;
        assert_eq!(r.status, 409, "{}", r.body);

        // The webhook arrives, signed with the school's secret.
        let mut hooks = Vec::new();
        for _ in 0..100 {
            hooks = received.lock().map(|g| g.clone()).unwrap_or_default();
            if !hooks.is_empty() {
                break;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(hooks.len(), 1, "one webhook");
        let (headers, body) = &hooks[0];
        let header = |n: &str| {
            headers
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let ts: i64 = header("x-tiku-timestamp").parse().unwrap_or(0);
        assert_eq!(
            header("x-tiku-signature"),
            tiku::delivery::webhook_signature(&secret, ts, body)
        );
        let sent: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sent["student"], "2025001");
        assert_eq!(sent["assessment_id"], aid.as_str());
        assert_eq!(sent["score"], max);
        assert_eq!(sent["passed"], true);

        // The gradebook, in three formats.
        let r = app
            .send(
                "GET",
                &format!("/api/v1/schools/{sid}/assessments/{aid}/gradebook"),
                None,
                &teacher,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let book = r.json();
        assert_eq!(book["rows"].as_array().map(Vec::len), Some(2));
        assert_eq!(book["rows"][0]["student_no"], "2025001");
        assert_eq!(book["rows"][0]["score"], max);
        assert_eq!(book["rows"][0]["passed"], true);
        assert!(book["rows"][0]["minutes_taken"].is_number());
        assert!(book["rows"][1]["score"].is_null(), "2025002 has not sat it");
        assert_eq!(book["sat"], 1);
        let r = app
            .send(
                "GET",
                &format!("/api/v1/schools/{sid}/assessments/{aid}/gradebook?format=csv"),
                None,
                &teacher,
            )
            .await;
        assert!(r.body.contains("2025001,张伟,1,"), "{}", r.body);
        let r = app
            .send(
                "GET",
                &format!("/api/v1/schools/{sid}/classes/{class_id}/gradebook?format=xlsx"),
                None,
                &teacher,
            )
            .await;
        assert_eq!(r.status, 200);
        assert!(r.body.as_bytes().starts_with(b"PK"), "an xlsx workbook");
        let r = app
            .send(
                "GET",
                &format!("/api/v1/schools/{sid}/assessments/{aid}/items"),
                None,
                &teacher,
            )
            .await;
        assert_eq!(r.json().as_object().map(|o| o.len()), Some(3), "{}", r.body);
        let r = app
            .send(
                "GET",
                &format!("/api/v1/schools/{sid}/classes/{class_id}/heatmap"),
                None,
                &teacher,
            )
            .await;
        let heat = r.json();
        assert_eq!(heat["students"].as_array().map(Vec::len), Some(2));
        let known: usize = heat["rows"]
            .as_array()
            .map(|rows| {
                rows.iter()
                    .filter(|row| !row["mastery"][0].is_null())
                    .count()
            })
            .unwrap_or(0);
        assert!(
            known >= 1,
            "the student's answers reached the model: {heat}"
        );

        // The licence opens the bank to the school's students without the fee.
        let (cand, token) = super::candidates::register(&app, 77).await;
        let r = app
            .send("GET", "/api/v1/candidates/me", None, &bearer(&token))
            .await;
        assert_eq!(r.json()["access"], "sample", "{}", r.body);
        tiku::storage::schools::add_member(&mut c, &cand, &sid, Some("2025077"))
            .unwrap_or_else(|e| panic!("{e}"));
        let r = app
            .send("GET", "/api/v1/candidates/me", None, &bearer(&token))
            .await;
        assert_eq!(r.json()["access"], "full", "{}", r.body);
        assert_eq!(r.json()["until"], licence.as_str(), "{}", r.body);
    }
}

#[actix_web::test]
async fn a_class_list_with_problems_imports_nothing() {
    for app in spawn_apps(None).await {
        app.add_user(Role::Admin, "root", "admin-password");
        let root = bearer(&app.login("root", "admin-password").await);
        let (sid, _, teacher) = school(&app, &root, "sr", None).await;
        let bad = "学号,姓名,班级,手机\n3001,赵敏,一班,13800138000\n3002,钱,一班,\n3001,孙丽,二班,12345\n";
        for dry in ["true", "false"] {
            let r = app
                .send_bytes(
                    "POST",
                    &format!("/api/v1/schools/{sid}/roster?dry_run={dry}"),
                    bad.as_bytes().to_vec(),
                    &teacher,
                )
                .await;
            let report = r.json();
            let report = if dry == "true" {
                assert_eq!(r.status, 200, "{}", r.body);
                report
            } else {
                assert_eq!(r.status, 422, "{}", r.body);
                assert!(
                    report["error"]["message"]
                        .as_str()
                        .is_some_and(|m| m.contains("nothing was imported"))
                );
                report
            };
            let at: Vec<(u64, String)> = report["errors"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|e| {
                    (
                        e["row"].as_u64().unwrap_or(0),
                        e["field"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect();
            assert!(at.contains(&(3, "name".to_owned())), "{report}");
            assert!(
                at.contains(&(4, "student_no".to_owned())),
                "duplicate: {report}"
            );
            assert!(at.contains(&(4, "phone".to_owned())), "{report}");
        }
        let r = app
            .send("GET", &format!("/api/v1/schools/{sid}"), None, &teacher)
            .await;
        assert_eq!(
            r.json()["classes"].as_array().map(Vec::len),
            Some(0),
            "nothing written"
        );

        // The same list, fixed, as an xlsx workbook.
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (r, line) in [
            ["student_no", "name", "class"],
            ["3001", "赵敏", "一班"],
            ["3002", "钱多多", "一班"],
            ["3003", "孙丽", "二班"],
        ]
        .iter()
        .enumerate()
        {
            for (c, cell) in line.iter().enumerate() {
                sheet
                    .write_string(r as u32, c as u16, *cell)
                    .unwrap_or_else(|e| panic!("{e}"));
            }
        }
        let bytes = book.save_to_buffer().unwrap_or_else(|e| panic!("{e}"));
        let r = app
            .send_bytes(
                "POST",
                &format!("/api/v1/schools/{sid}/roster?dry_run=false"),
                bytes,
                &teacher,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["new_students"], 3);
        let r = app
            .send("GET", &format!("/api/v1/schools/{sid}"), None, &teacher)
            .await;
        assert_eq!(r.json()["classes"].as_array().map(Vec::len), Some(2));
    }
}

#[actix_web::test]
async fn staff_of_one_school_see_nothing_of_another() {
    for app in spawn_apps(Some(&bank())).await {
        app.add_user(Role::Admin, "root", "admin-password");
        let root = bearer(&app.login("root", "admin-password").await);
        let (a, a_admin, a_teacher) = school(&app, &root, "ia", None).await;
        let (_, b_admin, b_teacher) = school(&app, &root, "ib", None).await;
        let r = app
            .send(
                "POST",
                &format!("/api/v1/schools/{a}/classes"),
                Some(json!({"name": "A班"})),
                &a_teacher,
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let class = r.json()["id"].as_str().unwrap_or_default().to_owned();
        let items: Vec<String> = {
            let db = Db::connect(&app.database_url).unwrap_or_else(|e| panic!("{e}"));
            let mut c = db.conn().unwrap_or_else(|e| panic!("{e}"));
            items::published(&mut c)
                .unwrap_or_else(|e| panic!("{e}"))
                .into_iter()
                .filter(|s| s.item.template.is_none())
                .take(2)
                .map(|s| s.item.id.to_string())
                .collect()
        };
        let r = app
            .send(
                "POST",
                &format!("/api/v1/schools/{a}/assessments"),
                Some(
                    json!({"class_id": class, "title": "A测验", "source": "items", "items": items,
                            "opens_at": stamp(-1), "closes_at": stamp(60)}),
                ),
                &a_teacher,
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let asm = r.json()["id"].as_str().unwrap_or_default().to_owned();
        let endpoints: Vec<(&str, String, Option<Value>)> = vec![
            ("GET", format!("/api/v1/schools/{a}"), None),
            (
                "PATCH",
                format!("/api/v1/schools/{a}"),
                Some(json!({"webhook_url": ""})),
            ),
            ("POST", format!("/api/v1/schools/{a}/secret"), None),
            (
                "POST",
                format!("/api/v1/schools/{a}/staff"),
                Some(json!({"login": "intruder", "name": "外人", "password": "intruder-pass"})),
            ),
            (
                "POST",
                format!("/api/v1/schools/{a}/classes"),
                Some(json!({"name": "X"})),
            ),
            ("GET", format!("/api/v1/schools/{a}/classes/{class}"), None),
            (
                "GET",
                format!("/api/v1/schools/{a}/classes/{class}/heatmap"),
                None,
            ),
            (
                "GET",
                format!("/api/v1/schools/{a}/classes/{class}/forecast"),
                None,
            ),
            (
                "GET",
                format!("/api/v1/schools/{a}/classes/{class}/gradebook"),
                None,
            ),
            (
                "POST",
                format!("/api/v1/schools/{a}/assessments"),
                Some(
                    json!({"class_id": class, "title": "x", "source": "items", "items": ["x"],
                            "opens_at": stamp(0), "closes_at": stamp(5)}),
                ),
            ),
            (
                "GET",
                format!("/api/v1/schools/{a}/assessments/{asm}"),
                None,
            ),
            (
                "GET",
                format!("/api/v1/schools/{a}/assessments/{asm}/gradebook"),
                None,
            ),
            (
                "GET",
                format!("/api/v1/schools/{a}/assessments/{asm}/items"),
                None,
            ),
        ];
        for who in [&b_admin, &b_teacher] {
            for (method, path, body) in &endpoints {
                let r = app.send(method, path, body.clone(), who).await;
                assert_eq!(r.status, 404, "{method} {path}: {}", r.body);
            }
            let r = app
                .send_bytes(
                    "POST",
                    &format!("/api/v1/schools/{a}/roster"),
                    b"student_no,name,class\n1,Zhang Wei,X\n".to_vec(),
                    who,
                )
                .await;
            assert_eq!(r.status, 404, "roster: {}", r.body);
            let r = app.send("GET", "/api/v1/schools", None, who).await;
            let list = r.json();
            assert_eq!(list.as_array().map(Vec::len), Some(1));
            assert_ne!(list[0]["id"], a.as_str());
        }
        // A school's own staff reach everything (the same endpoints work for them).
        for (method, path, body) in endpoints.iter().take(1) {
            let r = app.send(method, path, body.clone(), &a_admin).await;
            assert_eq!(r.status, 200, "{method} {path}: {}", r.body);
        }
        // Candidates are not staff.
        let (_, cand) = super::candidates::register(&app, 5).await;
        let r = app
            .send("GET", "/api/v1/schools", None, &bearer(&cand))
            .await;
        assert_eq!(r.status, 403);
        // A class of school A cannot hold an assessment of school B.
        let r = app
            .send(
                "POST",
                &format!("/api/v1/schools/{a}/assessments"),
                Some(
                    json!({"class_id": class, "title": "x", "source": "items", "items": ["x"],
                            "opens_at": stamp(0), "closes_at": stamp(5)}),
                ),
                &b_admin,
            )
            .await;
        assert_eq!(r.status, 404);
    }
}

/// A multipart body with one file and some fields, as a browser sends it.
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----tikutestboundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some((name, bytes)) = file {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[actix_web::test]
async fn a_school_is_run_from_its_pages() {
    for app in spawn_apps(Some(&bank())).await {
        app.add_user(Role::Admin, "root", "admin-password");
        let root = app.browser("root", "admin-password").await;
        let csrf = root.csrf.clone().unwrap_or_default();
        let r = app
            .post_form(
                "/school",
                &[
                    ("csrf", &csrf),
                    ("name", "深圳跨境电商考培点"),
                    ("licence_until", ""),
                    ("login", "pg-admin"),
                    ("admin_name", "陈主任"),
                    ("password", "school-pass-1"),
                ],
                &root,
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let school_path = location(&r);
        let r = app.send("GET", "/school", None, &root).await;
        assert!(r.body.contains("深圳跨境电商考培点"), "{}", r.body);

        let admin = app.browser("pg-admin", "school-pass-1").await;
        let csrf = admin.csrf.clone().unwrap_or_default();
        let r = app.send("GET", "/school", None, &admin).await;
        assert_eq!(r.status, 303);
        assert_eq!(location(&r), school_path);
        let r = app.send("GET", &school_path, None, &admin).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(
            r.body.contains("data-copy=\"secret\""),
            "the administrator sees the secret"
        );
        let r = app
            .post_form(
                &format!("{school_path}/classes"),
                &[("csrf", &csrf), ("name", "晚班")],
                &admin,
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let class_path = location(&r);
        assert!(class_path.contains("/classes/cls-"), "{class_path}");
        let r = app
            .post_form(
                &format!("{school_path}/classes"),
                &[("name", "无令牌")],
                &admin,
            )
            .await;
        assert_eq!(r.status, 403, "a form without the CSRF token is refused");

        // The class list: check, then import the checked file.
        let csv = "学号,姓名,班级\nS01,欧阳明,晚班\nS02,司马青,晚班\n".as_bytes();
        let (ctype, body) = multipart(&[("csrf", &csrf), ("op", "check")], Some(("list.csv", csv)));
        let r = app
            .client
            .post(format!("{}{school_path}/roster", app.address))
            .insert_header(("Cookie", admin.cookie.clone().unwrap_or_default()))
            .insert_header(("Content-Type", ctype.clone()))
            .send_body(body)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let r = super::helpers::Reply::read(r).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.contains("欧阳明"), "the preview lists the rows");
        let payload = r
            .body
            .split("name=\"payload\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default()
            .to_owned();
        assert!(
            !payload.is_empty(),
            "the checked file comes back for the import"
        );
        let (ctype, body) = multipart(
            &[("csrf", &csrf), ("op", "import"), ("payload", &payload)],
            None,
        );
        let r = app
            .client
            .post(format!("{}{school_path}/roster", app.address))
            .insert_header(("Cookie", admin.cookie.clone().unwrap_or_default()))
            .insert_header(("Content-Type", ctype))
            .send_body(body)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let r = super::helpers::Reply::read(r).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let r = app.send("GET", &class_path, None, &admin).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.contains("S02"), "{}", r.body);
        assert!(r.body.contains("class=\"heatmap\""));

        // An assessment from the class page, in Beijing time.
        let beijing = time::OffsetDateTime::now_utc()
            .to_offset(time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC));
        let local = |d: time::Duration| {
            let t = beijing + d;
            format!("{}T{:02}:{:02}", t.date(), t.hour(), t.minute())
        };
        let items = picks(&app, 2).join(" ");
        let r = app
            .post_form(
                &format!("{class_path}/assessments"),
                &[
                    ("csrf", &csrf),
                    ("title", "晚班小测"),
                    ("source", "items"),
                    ("blueprint", "full"),
                    ("items", &items),
                    ("opens_at", &local(time::Duration::minutes(-5))),
                    ("closes_at", &local(time::Duration::hours(2))),
                    ("minutes", ""),
                    ("max_attempts", "2"),
                    ("show_keys", "after_close"),
                ],
                &admin,
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let assessment_path = location(&r);
        assert!(
            assessment_path.contains("/assessments/asm-"),
            "{assessment_path}"
        );
        let r = app.send("GET", &assessment_path, None, &admin).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(
            r.body.contains("data-copy=\"embed-iframe\""),
            "a copy button for the snippet"
        );
        assert!(r.body.contains("&lt;iframe"), "the snippet, escaped");
        assert!(r.body.contains("S01"), "the gradebook lists the class");

        // A teacher of another school gets 404 on every page of this one.
        let (_, _, _) = school(
            &app,
            &bearer(&app.login("root", "admin-password").await),
            "pz",
            None,
        )
        .await;
        let other = app.browser("pz-teacher", "teacher-pass-1").await;
        for path in [&school_path, &class_path, &assessment_path] {
            let r = app.send("GET", path, None, &other).await;
            assert_eq!(r.status, 404, "{path}");
        }
    }
}
