//! Mock exams through the API on the shipped bank: access, a paper without keys, durable saves, resume,
//! other candidates kept out, grading by the exam's rules (all right: full auto points; all wrong: 0 and
//! no grade), 409 after submission or the deadline, and submission by the server at the deadline — on
//! SQLite and PostgreSQL.

use std::path::PathBuf;

use serde_json::{Value, json};
use tiku::domain::answer::key_json;
use tiku::domain::item::{NumericKey, Response};
use tiku::domain::user::Role;
use tiku::storage::{Db, attempts, items, learning};

use super::candidates::{open_sitting, register};
use super::helpers::{As, TestApp, bearer, spawn_apps};
use super::practice::assert_no_key;

fn bank() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("question-bank")
}

/// A paid candidate: (account id, token).
pub async fn paid(app: &TestApp, admin: &As, n: u32) -> (String, String) {
    let (id, token) = register(app, n).await;
    let r = app
        .send(
            "POST",
            &format!("/api/v1/admin/candidates/{id}/payment"),
            None,
            admin,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    (id, token)
}

/// The right (or a wrong) answer to every auto-marked question of an attempt, by slot.
pub fn answers(app: &TestApp, attempt: &str, right: bool) -> Vec<(String, Value)> {
    let db = Db::connect(&app.database_url).unwrap_or_else(|e| panic!("{e}"));
    let mut c = db.conn().unwrap_or_else(|e| panic!("{e}"));
    let at = attempts::get(&mut c, attempt)
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("attempt {attempt}"));
    let mut out = Vec::new();
    for q in &at.paper.questions {
        let stored = items::get(&mut c, &q.item_id, Some(q.version))
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("{}", q.item_id));
        let (item, _) = stored
            .item
            .instantiate(q.variant)
            .unwrap_or_else(|e| panic!("{e}"));
        let questions = item.questions();
        let Some((_, question)) = questions.iter().find(|(id, _)| *id == q.question_id) else {
            panic!("{}", q.question_id)
        };
        let answer = match (&question.response, right) {
            (Response::Written { .. }, true) => {
                json!("Dear Mr Ndlovu, we refer to our contract ...")
            }
            (Response::Written { .. }, false) => continue,
            (r, true) => key_json(r),
            (Response::Single { key, options }, false) => {
                json!(options.iter().find(|o| o.id != *key).map(|o| o.id.clone()))
            }
            (Response::Multiple { keys, options }, false) => {
                json!([options
                    .iter()
                    .find(|o| !keys.contains(&o.id))
                    .map(|o| o.id.clone())])
            }
            (Response::TrueFalse { key }, false) => json!(!key),
            (Response::Fill { .. }, false) => json!("不是这个答案"),
            (
                Response::Numeric {
                    value: NumericKey::Number(v),
                    ..
                },
                false,
            ) => json!(v + 1_000_000.0),
            (_, false) => json!(-1.0),
        };
        out.push((q.slot.clone(), answer));
    }
    out
}

#[actix_web::test]
async fn a_mock_is_sat_saved_resumed_and_graded_by_the_rules() {
    for app in spawn_apps(Some(&bank())).await {
        app.add_user(Role::Admin, "root", "admin-password");
        let admin = bearer(&app.login("root", "admin-password").await);
        open_sitting(&app, &admin, "test-1").await;

        let (_, unpaid) = register(&app, 9).await;
        let r = app
            .send(
                "POST",
                "/api/v1/mocks",
                Some(json!({"blueprint": "full"})),
                &bearer(&unpaid),
            )
            .await;
        assert_eq!(r.status, 403, "mocks need the fee: {}", r.body);

        let (_, c) = paid(&app, &admin, 1).await;
        let r = app
            .send(
                "POST",
                "/api/v1/mocks",
                Some(json!({"blueprint": "full"})),
                &bearer(&c),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}: {}", app.db, r.body);
        let started = r.json();
        let id = started["attempt_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert_no_key(&started["paper"]);
        let sections = started["paper"]["sections"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let points: u64 = sections
            .iter()
            .flat_map(|s| s["items"].as_array().cloned().unwrap_or_default())
            .map(|i| i["points"].as_u64().unwrap_or(0))
            .sum();
        assert_eq!(points, 200, "two subjects of 100 points");
        let deadline = time::OffsetDateTime::parse(
            started["deadline"].as_str().unwrap_or_default(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let minutes = (deadline - time::OffsetDateTime::now_utc()).whole_minutes();
        assert!((178..=180).contains(&minutes), "180 minutes: {minutes}");

        // Another candidate sees nothing of it.
        let (_, other) = paid(&app, &admin, 2).await;
        assert_eq!(
            app.send("GET", &format!("/api/v1/mocks/{id}"), None, &bearer(&other))
                .await
                .status,
            404
        );
        let right = answers(&app, &id, true);
        let (slot, value) = right[0].clone();
        let put = |who: String, slot: String, v: Value| {
            let app = &app;
            let id = id.clone();
            async move {
                app.send(
                    "PUT",
                    &format!("/api/v1/mocks/{id}/answers/{slot}"),
                    Some(json!({ "answer": v })),
                    &bearer(&who),
                )
                .await
            }
        };
        assert_eq!(
            put(other.clone(), slot.clone(), value.clone()).await.status,
            404
        );
        assert_eq!(
            put(c.clone(), "no-such-slot".into(), value.clone())
                .await
                .status,
            404
        );
        let bad = put(c.clone(), slot.clone(), json!({"not": "an answer"})).await;
        assert_eq!(bad.status, 400, "{}", bad.body);

        // Every right answer is saved; the attempt resumes with them.
        for (slot, v) in &right {
            let r = put(c.clone(), slot.clone(), v.clone()).await;
            assert_eq!(r.status, 200, "{slot}: {}", r.body);
            assert!(r.json()["saved_at"].is_string());
        }
        let resumed = app
            .send("GET", &format!("/api/v1/mocks/{id}"), None, &bearer(&c))
            .await
            .json();
        assert_eq!(resumed["status"], "open");
        assert!(resumed["seconds_left"].as_i64().unwrap_or(0) > 10_000);
        assert_eq!(
            resumed["answers"].as_object().map(|m| m.len()),
            Some(right.len()),
            "every saved answer comes back"
        );
        assert_no_key(&resumed["paper"]);

        let r = app
            .send(
                "POST",
                &format!("/api/v1/mocks/{id}/submit"),
                None,
                &bearer(&c),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let res = r.json();
        let subjects: Vec<(String, u64, u64, u64)> = res["subjects"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|s| {
                        (
                            s["subject"].as_str().unwrap_or_default().to_owned(),
                            s["score"].as_u64().unwrap_or(0),
                            s["max"].as_u64().unwrap_or(0),
                            s["pending_points"].as_u64().unwrap_or(0),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        // Subject B's e-mail and translation (20 points) await grading: never counted silently.
        assert_eq!(
            subjects,
            [("A".into(), 100, 100, 0), ("B".into(), 80, 100, 20)],
            "{res}"
        );
        assert_eq!(
            (res["total"].as_u64(), res["passed"].as_bool()),
            (Some(180), Some(true))
        );
        assert_eq!(res["pending_points"], 20);
        assert_eq!(res["provisional"], true);
        assert!(res["grade"].is_string(), "a passer gets a grade: {res}");
        assert!(res["by_tag"].as_array().is_some_and(|t| !t.is_empty()));
        assert!(
            res.get("review").is_none(),
            "the submission's answer stays small: the review is served with the result"
        );
        let full = app
            .send(
                "GET",
                &format!("/api/v1/mocks/{id}/result"),
                None,
                &bearer(&c),
            )
            .await
            .json();
        assert_eq!(full["total"], res["total"]);
        let review = full["review"].as_array().cloned().unwrap_or_default();
        assert!(
            review.len() >= 80,
            "every question is reviewed: {}",
            review.len()
        );
        assert!(
            review
                .iter()
                .all(|q| q.get("answer").is_some() && q.get("explanation_zh").is_some())
        );

        // Closed: no more saves, and submitting again changes nothing.
        assert_eq!(
            put(c.clone(), slot.clone(), value.clone()).await.status,
            409
        );
        let again = app
            .send(
                "POST",
                &format!("/api/v1/mocks/{id}/submit"),
                None,
                &bearer(&c),
            )
            .await;
        assert_eq!(again.json()["total"], 180);
        // The submitted answers taught the learner model (once, not again on the second submit).
        let m = app
            .send("GET", "/api/v1/me/mastery", None, &bearer(&c))
            .await
            .json();
        let taught = m["answers"].as_u64().unwrap_or(0);
        assert!(
            taught >= 80,
            "auto-marked mock answers reach the model: {m}"
        );
        assert!(
            m["predicted"]["total"]["mean"].as_f64().unwrap_or(0.0) > 110.0,
            "{m}"
        );

        // All wrong: nothing, and no grade.
        let wid = start_mock(&app, "A", &other).await;
        for (slot, v) in answers(&app, &wid, false) {
            let r = app
                .send(
                    "PUT",
                    &format!("/api/v1/mocks/{wid}/answers/{slot}"),
                    Some(json!({ "answer": v })),
                    &bearer(&other),
                )
                .await;
            assert_eq!(r.status, 200, "{slot}: {}", r.body);
        }
        let res = app
            .send(
                "POST",
                &format!("/api/v1/mocks/{wid}/submit"),
                None,
                &bearer(&other),
            )
            .await
            .json();
        assert_eq!(
            (res["total"].as_u64(), res["passed"].as_bool()),
            (Some(0), Some(false)),
            "{res}"
        );
        assert_eq!(res["grade"], Value::Null);
        assert!(res["grade_note"].is_string());
        // The candidate cannot read the other's result either.
        assert_eq!(
            app.send(
                "GET",
                &format!("/api/v1/mocks/{wid}/result"),
                None,
                &bearer(&c)
            )
            .await
            .status,
            404
        );
    }
}

/// Starts a mock of the blueprint for the candidate holding `token`; the new attempt's id.
pub async fn start_mock(app: &TestApp, blueprint: &str, token: &str) -> String {
    let r = app
        .send(
            "POST",
            "/api/v1/mocks",
            Some(json!({"blueprint": blueprint})),
            &bearer(token),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["attempt_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// A paid candidate (its token) who has just started a mock of `blueprint` (its id).
async fn paid_candidate_sitting(app: &TestApp, blueprint: &str) -> (String, String) {
    app.add_user(Role::Admin, "root", "admin-password");
    let admin = bearer(&app.login("root", "admin-password").await);
    open_sitting(app, &admin, "test-1").await;
    let (_, c) = paid(app, &admin, 1).await;
    let id = start_mock(app, blueprint, &c).await;
    (c, id)
}

#[actix_web::test]
async fn the_server_submits_at_the_deadline_and_refuses_late_answers() {
    for app in spawn_apps(Some(&bank())).await {
        let (c, id) = paid_candidate_sitting(&app, "B").await;
        let (slot, v) = answers(&app, &id, true).remove(0);
        let ok = app
            .send(
                "PUT",
                &format!("/api/v1/mocks/{id}/answers/{slot}"),
                Some(json!({"answer": v})),
                &bearer(&c),
            )
            .await;
        assert_eq!(ok.status, 200);
        // The clock runs out (moved back in the database, as if 90 minutes had passed).
        {
            use diesel::prelude::*;
            let db = Db::connect(&app.database_url).unwrap_or_else(|e| panic!("{e}"));
            let mut conn = db.conn().unwrap_or_else(|e| panic!("{e}"));
            diesel::update(
                tiku::storage::schema::attempts::table
                    .filter(tiku::storage::schema::attempts::id.eq(&id)),
            )
            .set(
                tiku::storage::schema::attempts::deadline
                    .eq(tiku::storage::now() - time::Duration::seconds(1)),
            )
            .execute(&mut conn)
            .unwrap_or_else(|e| panic!("{e}"));
        }
        // A fresh server process would not have the cached deadline; the database refuses late saves
        // too. Here the cached deadline is still in the future, so this exercises the database check.
        let late = app
            .send(
                "PUT",
                &format!("/api/v1/mocks/{id}/answers/{slot}"),
                Some(json!({"answer": v})),
                &bearer(&c),
            )
            .await;
        assert_eq!(late.status, 409, "{}", late.body);
        // The server's sweep submits it without the candidate.
        let started = std::time::Instant::now();
        loop {
            let s = app
                .send("GET", &format!("/api/v1/mocks/{id}"), None, &bearer(&c))
                .await
                .json();
            if s["status"] == "submitted" {
                break;
            }
            assert!(
                started.elapsed().as_secs() < 15,
                "not submitted at the deadline: {s}"
            );
            actix_web::rt::time::sleep(std::time::Duration::from_millis(250)).await;
        }
        let res = app
            .send(
                "GET",
                &format!("/api/v1/mocks/{id}/result"),
                None,
                &bearer(&c),
            )
            .await
            .json();
        assert_eq!(res["submitted_by"], "deadline");
        assert!(
            res["total"].as_u64().unwrap_or(0) > 0,
            "the saved answer counts: {res}"
        );
    }
}

/// Waits until the attempt's marks are in the database (its total is set); returns the attempt.
async fn marked(app: &TestApp, id: &str) -> attempts::Attempt {
    let db = Db::connect(&app.database_url).unwrap_or_else(|e| panic!("{e}"));
    let started = std::time::Instant::now();
    loop {
        let mut c = db.conn().unwrap_or_else(|e| panic!("{e}"));
        let at = attempts::get(&mut c, id)
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("attempt {id}"));
        if at.total.is_some() && at.passed.is_some() {
            return at;
        }
        assert!(
            started.elapsed().as_secs() < 15,
            "the marks of {id} were not written"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[actix_web::test]
async fn marks_are_written_after_the_submission_exactly_as_the_result_said() {
    for app in spawn_apps(Some(&bank())).await {
        app.add_user(Role::Admin, "root", "admin-password");
        let admin = bearer(&app.login("root", "admin-password").await);
        open_sitting(&app, &admin, "test-1").await;
        let (_, c) = paid(&app, &admin, 1).await;
        let start = |bp: &'static str| {
            let (app, c) = (&app, c.clone());
            async move {
                let r = app
                    .send(
                        "POST",
                        "/api/v1/mocks",
                        Some(json!({"blueprint": bp})),
                        &bearer(&c),
                    )
                    .await;
                assert_eq!(r.status, 201, "{}", r.body);
                r.json()["attempt_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            }
        };
        // Half right: the result the submission returns is the one the log ends up with.
        let id = start("A").await;
        let given = answers(&app, &id, true);
        let half = given.len() / 2;
        for (i, (slot, v)) in answers(&app, &id, false).into_iter().enumerate() {
            let v = if i < half { given[i].1.clone() } else { v };
            let r = app
                .send(
                    "PUT",
                    &format!("/api/v1/mocks/{id}/answers/{slot}"),
                    Some(json!({ "answer": v })),
                    &bearer(&c),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
        }
        let res = app
            .send(
                "POST",
                &format!("/api/v1/mocks/{id}/submit"),
                None,
                &bearer(&c),
            )
            .await
            .json();
        let at = marked(&app, &id).await;
        assert_eq!(Some(res["total"].as_u64().unwrap_or(999) as u32), at.total);
        assert_eq!(Some(res["passed"].as_bool().unwrap_or(true)), at.passed);
        let db = Db::connect(&app.database_url).unwrap_or_else(|e| panic!("{e}"));
        let mut conn = db.conn().unwrap_or_else(|e| panic!("{e}"));
        let logged =
            tiku::storage::responses::of_attempt(&mut conn, &id).unwrap_or_else(|e| panic!("{e}"));
        let saved = attempts::answers(&mut conn, &id).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            logged.len(),
            saved.len(),
            "every saved answer is in the log once"
        );
        let again = app
            .send(
                "GET",
                &format!("/api/v1/mocks/{id}/result"),
                None,
                &bearer(&c),
            )
            .await
            .json();
        assert_eq!(again["total"], res["total"]);
        assert_eq!(again["by_tag"], res["by_tag"]);

        // Submitted, but the server stopped before writing the marks (here: submitted straight in the
        // database, which no server's queue knows of): the sweep finds it and writes them.
        let id2 = start("B").await;
        for (slot, v) in answers(&app, &id2, true).into_iter().take(5) {
            let r = app
                .send(
                    "PUT",
                    &format!("/api/v1/mocks/{id2}/answers/{slot}"),
                    Some(json!({ "answer": v })),
                    &bearer(&c),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
        }
        assert!(
            attempts::claim_submission(&mut conn, &id2, "candidate", tiku::storage::now())
                .unwrap_or_else(|e| panic!("{e}"))
        );
        let at2 = marked(&app, &id2).await;
        assert!(at2.total.unwrap_or(0) > 0, "the five right answers count");
        let logged =
            tiku::storage::responses::of_attempt(&mut conn, &id2).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(logged.len(), 5);
    }
}

#[actix_web::test]
async fn a_batch_of_saves_lands_only_on_open_attempts_before_their_deadline_and_the_last_save_wins()
{
    for app in spawn_apps(Some(&bank())).await {
        let (_, id) = paid_candidate_sitting(&app, "B").await;
        let mut given = answers(&app, &id, true).into_iter();
        let (Some((s1, right)), Some((s2, other))) = (given.next(), given.next()) else {
            panic!("the paper has fewer than two questions")
        };
        let db = Db::connect(&app.database_url).unwrap_or_else(|e| panic!("{e}"));
        let mut conn = db.conn().unwrap_or_else(|e| panic!("{e}"));
        let now = tiku::storage::now();
        let save = |attempt: &str, slot: &str, answer: &Value, at| attempts::Save {
            attempt_id: attempt.to_owned(),
            slot: slot.to_owned(),
            answer: answer.to_string(),
            at,
        };
        let landed = attempts::save_all(
            &mut conn,
            &[
                save(&id, &s1, &json!("first"), now),
                save(&id, &s1, &right, now),
                save("no-such-attempt", &s1, &right, now),
                save(&id, &s2, &other, now + time::Duration::hours(4)),
            ],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(landed, vec![true, true, false, false]);
        let stored = attempts::answers(&mut conn, &id).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(stored.get(&s1).map(|(v, _)| v), Some(&right));
        assert!(!stored.contains_key(&s2), "a save past the deadline landed");
        // Once submitted, nothing lands.
        tiku::storage::conn::write_tx(&mut conn, |c| {
            attempts::claim_submission(c, &id, "candidate", now)
        })
        .unwrap_or_else(|e| panic!("{e}"));
        let after = attempts::save_all(&mut conn, &[save(&id, &s2, &other, now)])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(after, vec![false]);
    }
}

#[actix_web::test]
async fn marks_written_side_by_side_leave_the_model_a_rebuild_reproduces() {
    for app in spawn_apps(Some(&bank())).await {
        app.add_user(Role::Admin, "root", "admin-password");
        let admin = bearer(&app.login("root", "admin-password").await);
        open_sitting(&app, &admin, "test-1").await;
        let mut sat = Vec::new();
        for n in 1..=6 {
            let (_, c) = paid(&app, &admin, n).await;
            let id = start_mock(&app, "A", &c).await;
            // Papers share most questions; half the candidates answer right, half wrong.
            for (slot, v) in answers(&app, &id, n % 2 == 0).into_iter().take(60) {
                let r = app
                    .send(
                        "PUT",
                        &format!("/api/v1/mocks/{id}/answers/{slot}"),
                        Some(json!({"answer": v})),
                        &bearer(&c),
                    )
                    .await;
                assert_eq!(r.status, 200, "{}", r.body);
            }
            sat.push((c, id));
        }
        // Submitted one right after another: the writer threads write the six markings side by side.
        for (c, id) in &sat {
            let r = app
                .send(
                    "POST",
                    &format!("/api/v1/mocks/{id}/submit"),
                    None,
                    &bearer(c),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
        }
        for (c, id) in &sat {
            let r = app
                .send(
                    "GET",
                    &format!("/api/v1/mocks/{id}/result"),
                    None,
                    &bearer(c),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
        }
        let db = Db::connect(&app.database_url).unwrap_or_else(|e| panic!("{e}"));
        let mut conn = db.conn().unwrap_or_else(|e| panic!("{e}"));
        let online = learning::all_params(&mut conn).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            online.values().any(|p| p.answers >= 2),
            "some questions are shared"
        );
        let report = learning::rebuild(&mut conn).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(report.answers, 6 * 60, "{:?}", app.db);
        let rebuilt = learning::all_params(&mut conn).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rebuilt, online, "{:?}", app.db);
    }
}
