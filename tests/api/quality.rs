//! Item quality: error reports after answering, item statistics with flags, and the regrade of past mock
//! answers after a key correction (dry run first) — on SQLite and PostgreSQL.

use serde_json::{Value, json};
use tiku::domain::item::{Body, Response, Status};
use tiku::domain::scoring::{Mark, MarkState};
use tiku::domain::user::Role;
use tiku::storage::responses::{self, Context, NewResponse};
use tiku::storage::{AnyConnection, Db, items, users};

use super::helpers::{TestApp, bearer, fixture_bank, spawn_apps};

fn db(app: &TestApp) -> Db {
    Db::connect(&app.database_url).unwrap_or_else(|e| panic!("{e}"))
}

/// Records an answer as the practice and mock code will.
fn answer(
    c: &mut AnyConnection,
    user: &str,
    item: &str,
    answer: Value,
    awarded: u32,
    context: Context,
    attempt: Option<&str>,
) {
    let version = items::get_published(c, item)
        .unwrap_or_else(|e| panic!("{e}"))
        .map_or(1, |s| s.version);
    responses::record(
        c,
        &NewResponse {
            user_id: user,
            item_id: item,
            version,
            question_id: item,
            variant: 0,
            answer: &answer,
            mark: Mark {
                awarded,
                max: 1,
                state: MarkState::Auto,
            },
            seconds: Some(40),
            context,
            attempt_id: attempt,
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

/// A candidate account without a password hash worth computing (these candidates never log in).
fn quiet_candidate(c: &mut AnyConnection, n: usize) -> String {
    let email = format!("c{n}@example.com");
    users::create(
        c,
        &users::NewUser {
            role: Role::Candidate,
            login: None,
            email: Some(&email),
            phone: None,
            name: &format!("Candidate {n}"),
            password_hash: "no-login",
        },
    )
    .unwrap_or_else(|e| panic!("{e}"))
    .id
}

#[actix_web::test]
async fn reports_need_an_answer_and_reach_the_teachers_queue() {
    for app in spawn_apps(Some(&fixture_bank())).await {
        let store = db(&app);
        let mut conn = store.conn().unwrap_or_else(|e| panic!("{e}"));
        app.add_user(Role::Teacher, "t", "teacher-password");
        let cand = app.add_user(Role::Candidate, "cand@example.com", "candidate-password");
        let t = app.login("t", "teacher-password").await;
        let c = app.login("cand@example.com", "candidate-password").await;
        let report = |msg: &str| json!({ "message": msg });
        let path = "/api/v1/items/T3.1-0001/reports";

        let r = app
            .send("POST", path, Some(report("the key is wrong")), &bearer(&c))
            .await;
        assert_eq!(r.status, 409, "{:?}: not answered yet: {}", app.db, r.body);
        let page = app
            .send(
                "GET",
                "/items/T3.1-0001",
                None,
                &app.browser("cand@example.com", "candidate-password").await,
            )
            .await;
        assert_eq!(page.status, 200);
        assert!(
            !page.body.contains("/items/T3.1-0001/report\""),
            "no form before an answer"
        );

        answer(
            &mut conn,
            &cand,
            "T3.1-0001",
            json!("c"),
            0,
            Context::Practice,
            None,
        );
        let r = app
            .send("POST", path, Some(report("  ")), &bearer(&c))
            .await;
        assert_eq!(r.status, 400, "{}", r.body);
        let r = app
            .send(
                "POST",
                path,
                Some(report("B should not be the key <script>x</script>")),
                &bearer(&c),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}: {}", app.db, r.body);
        let id = r.json()["id"].as_i64().unwrap_or_default();
        let again = app
            .send("POST", path, Some(report("again")), &bearer(&c))
            .await;
        assert_eq!(again.status, 409, "one open report per person and item");
        let missing = app
            .send(
                "POST",
                "/api/v1/items/NOPE-1/reports",
                Some(report("x")),
                &bearer(&c),
            )
            .await;
        assert_eq!(missing.status, 404);

        // The candidate's page offers the form now, and shows no key or explanation.
        let who = app.browser("cand@example.com", "candidate-password").await;
        let page = app.send("GET", "/items/T3.1-0001", None, &who).await;
        assert!(
            page.body.contains("action=\"/items/T3.1-0001/report\""),
            "{}",
            page.body
        );
        assert!(page.body.contains("货物在装运港装上买方指定的船舶时"));
        assert!(
            !page.body.contains("越过船舷”是2010年版以前的旧说法"),
            "no explanation"
        );
        assert!(!page.body.contains("✔"), "no key marker");
        // A form post without its CSRF token is refused.
        let forged = app
            .post_form(
                "/items/T3.1-0001/report",
                &[("csrf", "forged"), ("message", "x")],
                &who,
            )
            .await;
        assert_eq!(forged.status, 403);

        // Only staff see the queue.
        assert_eq!(
            app.send("GET", "/api/v1/reports", None, &bearer(&c))
                .await
                .status,
            403
        );
        let list = app
            .send("GET", "/api/v1/reports", None, &bearer(&t))
            .await
            .json();
        let reports = list["reports"].as_array().cloned().unwrap_or_default();
        assert_eq!(reports.len(), 1, "{list}");
        assert_eq!(reports[0]["item_id"], "T3.1-0001");
        assert_eq!(reports[0]["reporter_name"], "cand@example.com");
        let teacher = app.browser("t", "teacher-password").await;
        let queue = app.send("GET", "/teach/reports", None, &teacher).await;
        assert_eq!(queue.status, 200);
        assert!(queue.body.contains("href=\"/teach/items/T3.1-0001\""));
        assert!(
            queue.body.contains("&lt;script&gt;x&lt;/script&gt;"),
            "escaped"
        );
        let item_page = app
            .send("GET", "/teach/items/T3.1-0001", None, &teacher)
            .await;
        assert!(
            item_page.body.contains("B should not be the key"),
            "linked to the item"
        );

        // Resolving closes it once.
        let resolve = format!("/api/v1/reports/{id}/resolve");
        let body = json!({"status": "rejected", "note": "B is right: FOB A2"});
        assert_eq!(
            app.send("POST", &resolve, Some(body.clone()), &bearer(&c))
                .await
                .status,
            403
        );
        let r = app
            .send("POST", &resolve, Some(body.clone()), &bearer(&t))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["status"], "rejected");
        assert_eq!(
            app.send("POST", &resolve, Some(body), &bearer(&t))
                .await
                .status,
            404
        );
        let open = app
            .send("GET", "/api/v1/reports", None, &bearer(&t))
            .await
            .json();
        assert_eq!(open["reports"].as_array().map(Vec::len), Some(0));
        let full = app
            .send("GET", "/api/v1/items/T3.1-0001", None, &bearer(&t))
            .await;
        assert_eq!(full.status, 200);
    }
}

#[actix_web::test]
async fn statistics_flag_an_item_the_strong_candidates_get_wrong() {
    for app in spawn_apps(Some(&fixture_bank())).await {
        let store = db(&app);
        let mut conn = store.conn().unwrap_or_else(|e| panic!("{e}"));
        app.add_user(Role::Teacher, "t", "teacher-password");
        let t = app.login("t", "teacher-password").await;
        // 40 candidates of rising ability; on T3.1-0001 the stronger half chooses c, the weaker b (the key).
        for i in 0..40 {
            let u = quiet_candidate(&mut conn, i);
            let strong = i >= 20;
            answer(
                &mut conn,
                &u,
                "T3.1-0001",
                json!(if strong { "c" } else { "b" }),
                u32::from(!strong),
                Context::Practice,
                None,
            );
            answer(
                &mut conn,
                &u,
                "T3.1-0003",
                json!(false),
                u32::from(i >= 10),
                Context::Practice,
                None,
            );
            answer(
                &mut conn,
                &u,
                "T3.1-0004",
                json!("FOB"),
                u32::from(i >= 20),
                Context::Practice,
                None,
            );
            answer(
                &mut conn,
                &u,
                "T3.1-0002",
                json!(["a", "b", "d"]),
                u32::from(i >= 30),
                Context::Practice,
                None,
            );
        }
        let r = app
            .send("GET", "/api/v1/items/T3.1-0001/stats", None, &bearer(&t))
            .await;
        assert_eq!(r.status, 200, "{:?}: {}", app.db, r.body);
        let q = &r.json()["questions"][0];
        assert_eq!(q["answers"], 40);
        assert!(
            (q["facility"].as_f64().unwrap_or(1.0) - 0.5).abs() < 1e-9,
            "{q}"
        );
        let flags: Vec<&str> = q["flags"]
            .as_array()
            .map(|a| a.iter().filter_map(|f| f["flag"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(
            flags,
            ["negative_discrimination", "distractor_beats_key"],
            "{q}"
        );
        let c_option = q["options"]
            .as_array()
            .and_then(|a| a.iter().find(|o| o["option"] == "c").cloned())
            .unwrap_or_default();
        assert_eq!(c_option["chosen"], 20);
        assert_eq!(c_option["key"], false);
        assert_eq!(q["mean_seconds"], 40.0);

        // A sound item is not flagged.
        let ok = app
            .send("GET", "/api/v1/items/T3.1-0004/stats", None, &bearer(&t))
            .await
            .json();
        assert_eq!(ok["questions"][0]["flags"], json!([]), "{ok}");

        let cand = app.add_user(Role::Candidate, "nosy@example.com", "candidate-password");
        let _ = cand;
        let c = app.login("nosy@example.com", "candidate-password").await;
        assert_eq!(
            app.send("GET", "/api/v1/items/T3.1-0001/stats", None, &bearer(&c))
                .await
                .status,
            403
        );

        let teacher = app.browser("t", "teacher-password").await;
        let page = app.send("GET", "/teach/stats", None, &teacher).await;
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains("href=\"/teach/items/T3.1-0001\""),
            "{}",
            page.body
        );
        assert!(!page.body.contains("href=\"/teach/items/T3.1-0004\""));
        let list = app.send("GET", "/search?status=", None, &teacher).await;
        assert!(
            list.body.contains("⚠ n=40 p=0.50"),
            "flagged in the teacher's list: {}",
            list.body
        );
        let desk = app.send("GET", "/teach", None, &teacher).await;
        assert_eq!(desk.status, 200);
        assert!(desk.body.contains("href=\"/teach/stats\""));
    }
}

#[actix_web::test]
async fn a_key_correction_regrades_past_mock_answers_after_a_dry_run() {
    for app in spawn_apps(Some(&fixture_bank())).await {
        let store = db(&app);
        let mut conn = store.conn().unwrap_or_else(|e| panic!("{e}"));
        let teacher_id = app.add_user(Role::Teacher, "t", "teacher-password");
        let t = app.login("t", "teacher-password").await;
        let (u1, u2, u3, u4) = (
            quiet_candidate(&mut conn, 1),
            quiet_candidate(&mut conn, 2),
            quiet_candidate(&mut conn, 3),
            quiet_candidate(&mut conn, 4),
        );
        answer(
            &mut conn,
            &u1,
            "T3.1-0001",
            json!("b"),
            1,
            Context::Mock,
            Some("att-1"),
        );
        answer(
            &mut conn,
            &u2,
            "T3.1-0001",
            json!("c"),
            0,
            Context::Mock,
            Some("att-2"),
        );
        answer(
            &mut conn,
            &u3,
            "T3.1-0001",
            json!("a"),
            0,
            Context::Mock,
            Some("att-3"),
        );
        answer(
            &mut conn,
            &u4,
            "T3.1-0001",
            json!("c"),
            0,
            Context::Practice,
            None,
        );

        // Nothing to regrade against while the published version is the one answered.
        let r = app
            .send("POST", "/api/v1/items/T3.1-0001/regrade", None, &bearer(&t))
            .await;
        assert_eq!(r.status, 200, "{:?}: {}", app.db, r.body);
        assert_eq!(r.json()["checked"], 0);

        // A correction publishes version 2 with key c (as an admin's edit would).
        {
            let c = &mut conn;
            let mut item = items::get(c, "T3.1-0001", None)
                .unwrap_or_else(|e| panic!("{e}"))
                .unwrap_or_else(|| panic!("the item"))
                .item;
            if let Body::Question(q) = &mut item.body
                && let Response::Single { key, .. } = &mut q.response
            {
                *key = "c".into();
            }
            let v = items::save_new_version(c, &item, Status::Published, &teacher_id)
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(v, 2);
        }
        let mut awarded = |attempt: &str| {
            responses::of_attempt(&mut conn, attempt).unwrap_or_else(|e| panic!("{e}"))[0]
                .mark
                .awarded
        };

        let dry = app
            .send(
                "POST",
                "/api/v1/items/T3.1-0001/regrade?dry_run=true",
                None,
                &bearer(&t),
            )
            .await;
        assert_eq!(dry.status, 200, "{}", dry.body);
        let j = dry.json();
        assert_eq!(j["dry_run"], true);
        assert_eq!(j["version"], 2);
        assert_eq!(j["checked"], 3, "mock answers only: {j}");
        assert_eq!(j["attempts"], 2, "{j}");
        let changes: Vec<(u64, u64)> = j["changes"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|c| {
                        (
                            c["old"].as_u64().unwrap_or(9),
                            c["new"].as_u64().unwrap_or(9),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(changes, [(1, 0), (0, 1)]);
        assert_eq!(
            (awarded("att-1"), awarded("att-2")),
            (1, 0),
            "a dry run changes nothing"
        );

        let teacher = app.browser("t", "teacher-password").await;
        let page = app
            .send("GET", "/teach/items/T3.1-0001/regrade", None, &teacher)
            .await;
        assert_eq!(page.status, 200);
        assert!(
            page.body
                .contains("action=\"/teach/items/T3.1-0001/regrade\""),
            "{}",
            page.body
        );
        let item_page = app
            .send("GET", "/teach/items/T3.1-0001", None, &teacher)
            .await;
        assert!(
            item_page
                .body
                .contains("href=\"/teach/items/T3.1-0001/regrade\"")
        );

        let cand = app.add_user(Role::Candidate, "nosy@example.com", "candidate-password");
        let _ = cand;
        let c = app.login("nosy@example.com", "candidate-password").await;
        assert_eq!(
            app.send(
                "POST",
                "/api/v1/items/T3.1-0001/regrade?dry_run=false",
                None,
                &bearer(&c)
            )
            .await
            .status,
            403
        );

        // Applied through the page's form.
        let applied = app
            .post_form(
                "/teach/items/T3.1-0001/regrade",
                &[("csrf", teacher.csrf.as_deref().unwrap_or_default())],
                &teacher,
            )
            .await;
        assert_eq!(applied.status, 303, "{}", applied.body);
        assert_eq!(
            (awarded("att-1"), awarded("att-2"), awarded("att-3")),
            (0, 1, 0)
        );
        {
            let c = &mut store.conn().unwrap_or_else(|e| panic!("{e}"));
            let rows = responses::of_attempt(c, "att-2").unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                rows[0].version, 1,
                "the answer stays pinned to the version shown"
            );
            assert_eq!(rows[0].marked_version, Some(2));
            let trail = items::audit_trail(c, "T3.1-0001").unwrap_or_else(|e| panic!("{e}"));
            assert!(trail.iter().any(|a| a.action == "regrade"), "{trail:?}");
        }
        // The learner model follows: a server's worker rebuilds it from the regraded log.
        let mut rebuilt = false;
        for _ in 0..100 {
            let c = &mut store.conn().unwrap_or_else(|e| panic!("{e}"));
            let jobs = tiku::storage::outbox::recent(c, 20).unwrap_or_else(|e| panic!("{e}"));
            if jobs
                .iter()
                .any(|j| j.kind == "rebuild_model" && j.delivered)
            {
                rebuilt = true;
                break;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(rebuilt, "the regrade queued a rebuild and a worker ran it");
        {
            let c = &mut store.conn().unwrap_or_else(|e| panic!("{e}"));
            let mut earned = |u: &str| {
                let l = tiku::storage::learning::learner(c, u).unwrap_or_else(|e| panic!("{e}"));
                (l.answers, l.nodes.get("*").map_or(-1.0, |n| n.earned))
            };
            assert_eq!(earned(&u1), (1, 0.0), "u1's right answer is now wrong");
            assert_eq!(earned(&u2), (1, 1.0), "u2's wrong answer is now right");
            assert_eq!(earned(&u4), (1, 0.0), "practice answers are not regraded");
        }
        let again = app
            .send("POST", "/api/v1/items/T3.1-0001/regrade", None, &bearer(&t))
            .await
            .json();
        assert_eq!(
            again["checked"], 0,
            "regraded answers are not regraded twice: {again}"
        );
    }
}
