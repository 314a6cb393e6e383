//! Practice: modes, the free sample before payment, no key before the answer, immediate feedback, the
//! mistakes notebook, self-assessment of written answers, sessions private to their owner, and the pages.

use serde_json::{Value, json};
use tiku::domain::user::Role;

use super::candidates::register;
use super::helpers::{TestApp, bearer, fixture_bank, spawn_app, spawn_apps};

/// Every key of a JSON value, recursively.
fn keys(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                out.push(k.clone());
                keys(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| keys(x, out)),
        _ => {}
    }
}

/// A served item must carry nothing that gives the answer away.
pub fn assert_no_key(v: &Value) {
    let mut k = Vec::new();
    keys(v, &mut k);
    for banned in [
        "answer",
        "key",
        "keys",
        "accept",
        "explanation",
        "explanation_zh",
        "explanation_en",
        "model_answer",
        "rubric",
        "tolerance",
        "value",
    ] {
        assert!(!k.iter().any(|x| x == banned), "`{banned}` in {v}");
    }
}

async fn start(app: &TestApp, token: &str, body: Value) -> String {
    let r = app
        .send("POST", "/api/v1/practice", Some(body), &bearer(token))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["session_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn next(app: &TestApp, token: &str, sid: &str) -> Option<Value> {
    let r = app
        .send(
            "GET",
            &format!("/api/v1/practice/{sid}/next"),
            None,
            &bearer(token),
        )
        .await;
    match r.status {
        204 => None,
        200 => Some(r.json()),
        s => panic!("{s}: {}", r.body),
    }
}

#[actix_web::test]
async fn practice_gives_feedback_only_after_the_answer() {
    for app in spawn_apps(Some(&fixture_bank())).await {
        let (_, c) = register(&app, 1).await;
        let (_, other) = register(&app, 2).await;
        let sid = start(&app, &c, json!({"mode": "sequential", "subject": "A"})).await;
        let first = next(&app, &c, &sid).await.unwrap_or_default();
        assert_no_key(&first);
        assert_eq!(first["item"]["id"], "T3.1-0001", "syllabus order: {first}");
        let p = first["p_correct"].as_f64().unwrap_or(-1.0);
        assert!((0.0..=1.0).contains(&p), "{first}");
        // Asking again serves the same item until it is answered.
        assert_eq!(
            next(&app, &c, &sid).await.unwrap_or_default()["item"]["id"],
            "T3.1-0001"
        );
        // Someone else's session does not exist for them.
        let r = app
            .send(
                "GET",
                &format!("/api/v1/practice/{sid}/next"),
                None,
                &bearer(&other),
            )
            .await;
        assert_eq!(r.status, 404);

        let path = format!("/api/v1/practice/{sid}/answers");
        let answer = |id: &str, v: u64, a: Value| json!({"id": id, "version": v, "answer": a});
        let bad = app
            .send(
                "POST",
                &path,
                Some(answer("T3.1-0001", 1, json!("z"))),
                &bearer(&c),
            )
            .await;
        assert_eq!(bad.status, 400, "not an option: {}", bad.body);
        let wrong_item = app
            .send(
                "POST",
                &path,
                Some(answer("T3.1-0002", 1, json!(["a"]))),
                &bearer(&c),
            )
            .await;
        assert_eq!(wrong_item.status, 409, "not the item served");
        let wrong_version = app
            .send(
                "POST",
                &path,
                Some(answer("T3.1-0001", 7, json!("b"))),
                &bearer(&c),
            )
            .await;
        assert_eq!(wrong_version.status, 409);
        let r = app
            .send(
                "POST",
                &path,
                Some(answer("T3.1-0001", 1, json!("a"))),
                &bearer(&c),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let fb = r.json();
        assert_eq!(fb["correct"], false);
        assert_eq!(
            (fb["score"].as_u64(), fb["max"].as_u64()),
            (Some(0), Some(1))
        );
        assert_eq!(fb["answer"], "b", "the key, after the answer");
        assert!(
            fb["explanation_zh"]
                .as_str()
                .is_some_and(|e| e.contains("FOB"))
        );
        assert!(fb["explanation_en"].as_str().is_some_and(|e| !e.is_empty()));
        let again = app
            .send(
                "POST",
                &path,
                Some(answer("T3.1-0001", 1, json!("b"))),
                &bearer(&c),
            )
            .await;
        assert_eq!(again.status, 409, "one answer per serve");
        assert_eq!(
            next(&app, &c, &sid).await.unwrap_or_default()["item"]["id"],
            "T3.1-0002"
        );

        // The wrong answer is in the mistakes notebook.
        let m = start(&app, &c, json!({"mode": "mistakes"})).await;
        let served = next(&app, &c, &m).await.unwrap_or_default();
        assert_eq!(served["item"]["id"], "T3.1-0001");
        assert_eq!(served["total"], 1);
        // Sequential practice resumes after the last item finished.
        let s2 = start(&app, &c, json!({"mode": "sequential", "subject": "A"})).await;
        assert_eq!(
            next(&app, &c, &s2).await.unwrap_or_default()["item"]["id"],
            "T3.1-0002"
        );
        // Favourites.
        let f = app
            .send(
                "POST",
                "/api/v1/favorites/T3.1-0003",
                Some(json!({"favorite": true})),
                &bearer(&c),
            )
            .await;
        assert_eq!(f.status, 204);
        let fs = start(&app, &c, json!({"mode": "favorites"})).await;
        assert_eq!(
            next(&app, &c, &fs).await.unwrap_or_default()["item"]["id"],
            "T3.1-0003"
        );
        // Unknown modes and tags are named.
        let r = app
            .send(
                "POST",
                "/api/v1/practice",
                Some(json!({"mode": "cram"})),
                &bearer(&c),
            )
            .await;
        assert_eq!(
            (r.status, r.json()["error"]["field"].clone()),
            (400, json!("mode"))
        );
        let r = app
            .send(
                "POST",
                "/api/v1/practice",
                Some(json!({"mode": "topic"})),
                &bearer(&c),
            )
            .await;
        assert_eq!(r.json()["error"]["field"], "tag");
    }
}

#[actix_web::test]
async fn written_answers_are_self_assessed_and_cases_answered_part_by_part() {
    for app in spawn_apps(Some(&fixture_bank())).await {
        let (_, c) = register(&app, 1).await;
        let sid = start(&app, &c, json!({"mode": "sequential", "subject": "B"})).await;
        let mut seen = Vec::new();
        while let Some(s) = next(&app, &c, &sid).await {
            assert_no_key(&s);
            let item = &s["item"];
            let id = item["id"].as_str().unwrap_or_default().to_owned();
            seen.push(id.clone());
            let path = format!("/api/v1/practice/{sid}/answers");
            if let Some(parts) = item["parts"].as_array() {
                for p in parts {
                    let r = app
                        .send(
                            "POST",
                            &path,
                            Some(json!({"id": p["id"], "version": item["version"], "answer": 1.0})),
                            &bearer(&c),
                        )
                        .await;
                    assert_eq!(r.status, 200, "{}", r.body);
                    assert!(r.json()["answer"].is_number(), "{}", r.body);
                }
            } else {
                let r = app
                    .send(
                        "POST",
                        &path,
                        Some(json!({"id": id, "version": item["version"], "answer": "Dear Mr Smith, ..."})),
                        &bearer(&c),
                    )
                    .await;
                assert_eq!(r.status, 200, "{}", r.body);
                let fb = r.json();
                assert_eq!(fb["state"], "pending");
                assert!(
                    fb["model_answer_en"]
                        .as_str()
                        .is_some_and(|m| !m.is_empty())
                );
                let criteria = fb["rubric"].as_array().map(Vec::len).unwrap_or(0);
                assert!(criteria > 0);
                let too_many = app
                    .send(
                        "POST",
                        "/api/v1/practice/self-assessment",
                        Some(json!({"id": id, "points": vec![99; criteria]})),
                        &bearer(&c),
                    )
                    .await;
                assert_eq!(too_many.status, 400);
                let ok = app
                    .send(
                        "POST",
                        "/api/v1/practice/self-assessment",
                        Some(json!({"id": id, "points": vec![1; criteria]})),
                        &bearer(&c),
                    )
                    .await;
                assert_eq!(ok.status, 200, "{}", ok.body);
                assert_eq!(ok.json()["state"], "self_assessed");
            }
        }
        assert_eq!(
            seen,
            ["B2-0001", "B7-0001"],
            "the case, then the written task"
        );
    }
}

#[actix_web::test]
async fn before_payment_only_the_free_sample() {
    let bank = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("question-bank");
    let app = spawn_app(super::helpers::Db::Sqlite, Some(&bank)).await;
    app.add_user(Role::Admin, "root", "admin-password");
    let admin = bearer(&app.login("root", "admin-password").await);
    let (id, c) = register(&app, 1).await;
    let sid = start(&app, &c, json!({"mode": "random"})).await;
    let first = next(&app, &c, &sid).await.unwrap_or_default();
    assert_eq!(first["total"], 20, "the free sample");
    super::candidates::open_sitting(&app, &admin, "test-1").await;
    let r = app
        .send(
            "POST",
            &format!("/api/v1/admin/candidates/{id}/payment"),
            None,
            &admin,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let sid = start(&app, &c, json!({"mode": "random"})).await;
    let first = next(&app, &c, &sid).await.unwrap_or_default();
    assert_eq!(first["total"], 512, "the whole bank once paid");
}

#[actix_web::test]
async fn the_practice_pages_work_without_javascript() {
    let app = spawn_app(super::helpers::Db::Sqlite, Some(&fixture_bank())).await;
    let _ = register(&app, 1).await;
    let who = app.browser("cand1@example.com", "practise-2026").await;
    let csrf = who.csrf.clone().unwrap_or_default();
    assert_eq!(app.send("GET", "/practice", None, &who).await.status, 200);
    let r = app
        .post_form(
            "/practice",
            &[
                ("csrf", &csrf),
                ("mode", "sequential"),
                ("subject", "A"),
                ("tag", ""),
            ],
            &who,
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let location = r
        .headers
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let page = app.send("GET", &location, None, &who).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("name=\"a:T3.1-0001\""), "{}", page.body);
    assert!(
        !page.body.contains("越过船舷”是2010年版以前的旧说法"),
        "no explanation yet"
    );
    let fb = app
        .post_form(
            &location,
            &[("csrf", &csrf), ("version", "1"), ("a:T3.1-0001", "b")],
            &who,
        )
        .await;
    assert_eq!(fb.status, 200, "{}", fb.body);
    assert!(fb.body.contains("✔"), "right: {}", fb.body);
    assert!(
        fb.body.contains("越过船舷"),
        "the explanation after the answer"
    );
}
