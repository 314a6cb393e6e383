//! The learner model through the API on the shipped bank: adaptive practice serves items without keys
//! and without repeats, `p_correct` comes from the model, every auto-marked answer moves the candidate's
//! mastery and predicted score, and rebuilding the model from the answer log gives exactly the model kept
//! up to date answer by answer — on SQLite and PostgreSQL.

use std::path::PathBuf;

use serde_json::{Value, json};
use tiku::domain::item::Response;
use tiku::domain::user::Role;
use tiku::storage::{Db, items, learning};

use super::candidates::open_sitting;
use super::helpers::{Db as Backend, TestApp, bearer, spawn_apps};
use super::mocks::paid;
use super::practice::assert_no_key;

fn bank() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("question-bank")
}

/// A wrong answer to a question, read from the version the database holds.
fn wrong(app: &TestApp, item: &str, version: u64, question: &str) -> Option<Value> {
    let db = Db::connect(&app.database_url).unwrap_or_else(|e| panic!("{e}"));
    let mut c = db.conn().unwrap_or_else(|e| panic!("{e}"));
    let stored = items::get(&mut c, item, Some(version as u32))
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("{item}"));
    let questions = stored.item.questions();
    let (_, q) = questions.iter().find(|(id, _)| id == question)?;
    Some(match &q.response {
        Response::Single { key, options } => {
            json!(options.iter().find(|o| o.id != *key).map(|o| o.id.clone()))
        }
        Response::Multiple { keys, options } => {
            json!([options
                .iter()
                .find(|o| !keys.contains(&o.id))
                .map(|o| o.id.clone())])
        }
        Response::TrueFalse { key } => json!(!key),
        Response::Fill { .. } => json!("不是这个答案"),
        Response::Numeric { .. } => json!(987_654_321.0),
        Response::Written { .. } => return None,
    })
}

async fn mastery(app: &TestApp, token: &str) -> Value {
    let r = app
        .send("GET", "/api/v1/me/mastery", None, &bearer(token))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

#[actix_web::test]
async fn adaptive_practice_follows_the_model_and_the_model_rebuilds_exactly() {
    for app in spawn_apps(Some(&bank())).await {
        app.add_user(Role::Admin, "root", "admin-password");
        let admin = bearer(&app.login("root", "admin-password").await);
        open_sitting(&app, &admin, "test-1").await;
        let (user, token) = paid(&app, &admin, 31).await;
        let r = app
            .send(
                "GET",
                "/api/v1/me/mastery",
                None,
                &super::helpers::As::default(),
            )
            .await;
        assert_eq!(r.status, 401);

        let before = mastery(&app, &token).await;
        assert_eq!(before["answers"], 0);
        let total = &before["predicted"]["total"];
        let (lo, mean, hi) = (
            total["low"].as_f64().unwrap_or(-1.0),
            total["mean"].as_f64().unwrap_or(-1.0),
            total["high"].as_f64().unwrap_or(-1.0),
        );
        assert!(
            0.0 <= lo && lo <= mean && mean <= hi && hi <= 200.0,
            "{before}"
        );
        assert!(
            before["tags"].as_array().is_some_and(|t| t.len() > 40),
            "{before}"
        );

        let r = app
            .send(
                "POST",
                "/api/v1/practice",
                Some(json!({"mode": "adaptive"})),
                &bearer(&token),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let sid = r.json()["session_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let mut served = Vec::new();
        let mut answered = 0;
        let mut chances = Vec::new();
        while served.len() < 14 {
            let r = app
                .send(
                    "GET",
                    &format!("/api/v1/practice/{sid}/next"),
                    None,
                    &bearer(&token),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            let v = r.json();
            assert_no_key(&v);
            let p = v["p_correct"].as_f64().unwrap_or(-1.0);
            assert!(0.0 < p && p < 1.0, "{v}");
            chances.push(p);
            let id = v["item"]["id"].as_str().unwrap_or_default().to_owned();
            let version = v["item"]["version"].as_u64().unwrap_or(0);
            assert!(!served.contains(&id), "{id} served twice: {served:?}");
            served.push(id.clone());
            let questions: Vec<String> = match v["item"]["parts"].as_array() {
                Some(parts) => parts
                    .iter()
                    .filter_map(|p| p["id"].as_str().map(str::to_owned))
                    .collect(),
                None => vec![id.clone()],
            };
            for q in questions {
                let Some(answer) = wrong(&app, &id, version, &q) else {
                    let r = app
                        .send(
                            "POST",
                            &format!("/api/v1/practice/{sid}/skip"),
                            None,
                            &bearer(&token),
                        )
                        .await;
                    assert_eq!(r.status, 204, "{}", r.body);
                    break;
                };
                let r = app
                    .send(
                        "POST",
                        &format!("/api/v1/practice/{sid}/answers"),
                        Some(json!({"id": q, "version": version, "answer": answer})),
                        &bearer(&token),
                    )
                    .await;
                assert_eq!(r.status, 200, "{}", r.body);
                assert_eq!(r.json()["correct"], false, "{}", r.body);
                answered += 1;
            }
        }
        let after = mastery(&app, &token).await;
        assert_eq!(
            after["answers"], answered,
            "every auto-marked answer counts"
        );
        let mean_after = after["predicted"]["total"]["mean"]
            .as_f64()
            .unwrap_or(999.0);
        assert!(
            mean_after < mean - 10.0,
            "all wrong lowers the prediction: {mean} → {mean_after}"
        );
        assert!(
            chances.last() < chances.first(),
            "p_correct falls as answers go wrong: {chances:?}"
        );

        // The dashboard, rendered on the server: charts, the weakest points with drill buttons, the tree.
        let who = app.browser("cand31@example.com", "practise-2026").await;
        let page = app.send("GET", "/me/progress?lang=en", None, &who).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_eq!(page.body.matches("<svg").count(), 2, "{}", page.body);
        assert!(
            page.body.contains("name=\"mode\" value=\"topic\""),
            "{}",
            page.body
        );
        assert!(page.body.contains("Practise now") && page.body.contains("<code>T11</code>"));
        assert!(!page.body.contains("<script"), "no script needed");
        // A drill on the weakest point starts from the dashboard's form.
        let weakest = after["tags"]
            .as_array()
            .and_then(|t| {
                t.iter()
                    .filter(|m| m["depth"] == 1 && m["weight"].as_f64().unwrap_or(0.0) > 0.0)
                    .min_by(|a, b| {
                        let m = |v: &Value| v["mastery"].as_f64().unwrap_or(1.0);
                        m(a).total_cmp(&m(b))
                    })
            })
            .and_then(|m| m["tag"].as_str())
            .unwrap_or_default()
            .to_owned();
        assert!(
            page.body.contains(&format!("value=\"{weakest}\"")),
            "{weakest}"
        );
        let csrf = who.csrf.clone().unwrap_or_default();
        let r = app
            .post_form(
                "/practice",
                &[
                    ("csrf", csrf.as_str()),
                    ("mode", "topic"),
                    ("tag", weakest.as_str()),
                    ("subject", ""),
                ],
                &who,
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);

        // The teacher's class view: the same prediction the candidate sees, the class's expectation,
        // its weakest points; a classmate without answers has no prediction.
        let db = Db::connect(&app.database_url).unwrap_or_else(|e| panic!("{e}"));
        let mut c = db.conn().unwrap_or_else(|e| panic!("{e}"));
        let (school, _, teacher) = super::schools::school(&app, &admin, "lf", None).await;
        let r = app
            .send(
                "POST",
                &format!("/api/v1/schools/{school}/classes"),
                Some(json!({"name": "一班"})),
                &teacher,
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let class = r.json()["id"].as_str().unwrap_or_default().to_owned();
        let (mate, _) = super::candidates::register(&app, 32).await;
        for (who, no) in [(&user, "2025031"), (&mate, "2025032")] {
            tiku::storage::schools::add_member(&mut c, who, &school, Some(no))
                .unwrap_or_else(|e| panic!("{e}"));
            tiku::storage::schools::enrol(&mut c, &class, who).unwrap_or_else(|e| panic!("{e}"));
        }
        let r = app
            .send(
                "GET",
                &format!("/api/v1/schools/{school}/classes/{class}/forecast"),
                None,
                &teacher,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let f = r.json();
        let row = |id: &str| {
            f["students"]
                .as_array()
                .and_then(|s| s.iter().find(|s| s["user_id"] == id))
                .cloned()
                .unwrap_or_else(|| panic!("{id} in {f}"))
        };
        assert_eq!(row(&user)["predicted"], after["predicted"], "{f}");
        assert_eq!(row(&user)["answers"], answered);
        assert!(row(&mate)["predicted"].is_null(), "{f}");
        assert_eq!(f["predicted_students"], 1);
        assert_eq!(
            f["expected_passers"], after["predicted"]["pass_probability"],
            "{f}"
        );
        let weakest = f["weakest"].as_array().cloned().unwrap_or_default();
        assert!(!weakest.is_empty() && weakest.len() <= 5, "{f}");
        let means: Vec<f64> = weakest
            .iter()
            .map(|w| w["class_mean"].as_f64().unwrap_or(-1.0))
            .collect();
        assert!(
            means.windows(2).all(|w| w[0] <= w[1]) && means.iter().all(|m| (0.0..=1.0).contains(m)),
            "weakest first: {f}"
        );
        let teacher_page = app.browser("lf-teacher", "teacher-pass-1").await;
        let page = app
            .send(
                "GET",
                &format!("/school/{school}/classes/{class}?lang=en"),
                None,
                &teacher_page,
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(
            page.body.contains("Predicted results")
                && page.body.contains("no answers yet, no prediction")
                && page.body.contains(&format!(
                    "/search?tag={}",
                    weakest[0]["tag"].as_str().unwrap_or("?")
                )),
            "{}",
            page.body
        );
        // A drill on the weakest point, from the class page: an assessment of that point's items only.
        let weak_tag = weakest[0]["tag"].as_str().unwrap_or("?").to_owned();
        let drill_path = format!("/school/{school}/classes/{class}/drill");
        let csrf = teacher_page.csrf.clone().unwrap_or_default();
        let r = app
            .post_form(&drill_path, &[("tag", weak_tag.as_str())], &teacher_page)
            .await;
        assert_eq!(r.status, 403, "no CSRF token: {}", r.body);
        let r = app
            .post_form(
                &drill_path,
                &[("csrf", csrf.as_str()), ("tag", weak_tag.as_str())],
                &teacher_page,
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let to = r
            .headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let aid = to
            .split("/assessments/")
            .nth(1)
            .and_then(|rest| rest.split('?').next())
            .unwrap_or_default()
            .to_owned();
        let drill = tiku::storage::assessments::get_assessment(&mut c, &aid)
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("the drill {to}"));
        let form = drill.form.unwrap_or_else(|| panic!("a fixed form"));
        let slots: std::collections::BTreeSet<&str> =
            form.questions.iter().map(|q| q.slot_ref.as_str()).collect();
        assert!((3..=10).contains(&slots.len()), "{slots:?}");
        assert!(
            form.questions
                .iter()
                .all(|q| q.tag == weak_tag || q.tag.starts_with(&format!("{weak_tag}."))),
            "only the point's questions"
        );
        assert_eq!(drill.max_attempts, 3);
        let page = app.send("GET", &to, None, &teacher_page).await;
        assert!(page.body.contains("role=\"status\""), "{}", page.body);

        // The model rebuilt from the answer log equals the one kept answer by answer.
        let online = learning::learner(&mut c, &user).unwrap_or_else(|e| panic!("{e}"));
        let online_params = learning::all_params(&mut c).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(online.answers as usize, answered);
        let report = learning::rebuild(&mut c).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(report.answers, answered);
        assert_eq!(
            learning::learner(&mut c, &user).unwrap_or_else(|e| panic!("{e}")),
            online
        );
        assert_eq!(
            learning::all_params(&mut c).unwrap_or_else(|e| panic!("{e}")),
            online_params
        );
    }
}

/// One auto-marked practice answer to `item` by `user`, recorded and learnt from as the server does it.
fn practise_once(
    conn: &mut tiku::storage::AnyConnection,
    user: &str,
    item: &tiku::domain::item::Item,
) -> Result<i64, tiku::storage::StorageError> {
    let qid = item.id.to_string();
    learning::lock_for(conn, user, &[(item, qid.as_str())])?;
    record_and_learn(conn, user, item)
}

/// The second half of [`practise_once`]: the answer recorded and applied to the model.
fn record_and_learn(
    conn: &mut tiku::storage::AnyConnection,
    user: &str,
    item: &tiku::domain::item::Item,
) -> Result<i64, tiku::storage::StorageError> {
    use tiku::domain::scoring::{Mark, MarkState};
    use tiku::storage::responses::{self, Context, NewResponse};
    let qid = item.id.to_string();
    let at = tiku::storage::now();
    let mark = Mark {
        awarded: 1,
        max: 1,
        state: MarkState::Auto,
    };
    let id = responses::record_at(
        conn,
        &NewResponse {
            user_id: user,
            item_id: &qid,
            version: 1,
            question_id: &qid,
            variant: 0,
            answer: &json!("A"),
            mark,
            seconds: None,
            context: Context::Practice,
            attempt_id: None,
        },
        at,
    )?;
    learning::observe(conn, user, id, item, &qid, &mark, at)?;
    Ok(id)
}

#[actix_web::test]
async fn on_postgresql_an_answer_to_a_shared_question_waits_and_is_numbered_after_the_one_applied_first()
 {
    for app in spawn_apps(Some(&bank())).await {
        if app.db != Backend::Postgres {
            continue;
        }
        let first = app.add_user(Role::Candidate, "first", "password-1");
        let second = app.add_user(Role::Candidate, "second", "password-2");
        let db = Db::connect(&app.database_url).unwrap_or_else(|e| panic!("{e}"));
        let mut c = db.conn().unwrap_or_else(|e| panic!("{e}"));
        let item = items::published(&mut c)
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .find(|s| {
                s.version == 1 && matches!(s.item.body, tiku::domain::item::Body::Question(_))
            })
            .unwrap_or_else(|| panic!("a published item"))
            .item;
        let (tx, rx) = std::sync::mpsc::channel();
        let first_id = tiku::storage::conn::write_tx(&mut c, |c| {
            let qid = item.id.to_string();
            learning::lock_for(c, &first, &[(&item, qid.as_str())])?;
            // Another candidate answers the same question meanwhile, on another connection.
            let (db, other, second, tx) = (db.clone(), item.clone(), second.clone(), tx.clone());
            std::thread::spawn(move || {
                let mut c2 = db.conn().unwrap_or_else(|e| panic!("{e}"));
                let r =
                    tiku::storage::conn::write_tx(&mut c2, |c2| practise_once(c2, &second, &other));
                let _ = tx.send(r.map_err(|e| e.to_string()));
            });
            std::thread::sleep(std::time::Duration::from_millis(400));
            assert!(
                rx.try_recv().is_err(),
                "the second answer waits for the first one's transaction"
            );
            // Recorded after the other began: numbered first all the same, as it applies first.
            record_and_learn(c, &first, &item)
        })
        .unwrap_or_else(|e| panic!("{e}"));
        let second_id = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(second_id > first_id, "{first_id} then {second_id}");
        // The model online is the one the log rebuilds.
        let online = learning::all_params(&mut c).unwrap_or_else(|e| panic!("{e}"));
        learning::rebuild(&mut c).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            learning::all_params(&mut c).unwrap_or_else(|e| panic!("{e}")),
            online
        );
    }
}

#[actix_web::test]
async fn a_rebuild_keeps_the_answers_recorded_while_it_read_the_log() {
    for app in spawn_apps(Some(&bank())).await {
        let users: Vec<String> = (0..3)
            .map(|i| app.add_user(Role::Candidate, &format!("reb{i}"), "password-1"))
            .collect();
        let db = Db::connect(&app.database_url).unwrap_or_else(|e| panic!("{e}"));
        let mut c = db.conn().unwrap_or_else(|e| panic!("{e}"));
        let plain: Vec<tiku::domain::item::Item> = items::published(&mut c)
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .filter(|s| {
                s.version == 1 && matches!(s.item.body, tiku::domain::item::Body::Question(_))
            })
            .take(12)
            .map(|s| s.item)
            .collect();
        let answer = |c: &mut tiku::storage::AnyConnection, n: usize| {
            for k in 0..n {
                let (user, item) = (&users[k % users.len()], &plain[k % plain.len()]);
                tiku::storage::conn::write_tx(c, |c| practise_once(c, user, item))
                    .unwrap_or_else(|e| panic!("{e}"));
            }
        };
        answer(&mut c, 30);
        // The rebuild reads the log; answers arrive on another connection before it writes.
        let snapshot = learning::snapshot(&mut c).unwrap_or_else(|e| panic!("{e}"));
        let mut other = db.conn().unwrap_or_else(|e| panic!("{e}"));
        answer(&mut other, 7);
        let online_params = learning::all_params(&mut c).unwrap_or_else(|e| panic!("{e}"));
        let online: Vec<_> = users
            .iter()
            .map(|u| learning::learner(&mut c, u).unwrap_or_else(|e| panic!("{e}")))
            .collect();
        let report = learning::finish(&mut c, snapshot).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            report.answers, 37,
            "{:?}: the seven late answers too",
            app.db
        );
        assert_eq!(
            learning::all_params(&mut c).unwrap_or_else(|e| panic!("{e}")),
            online_params
        );
        for (u, l) in users.iter().zip(&online) {
            assert_eq!(
                &learning::learner(&mut c, u).unwrap_or_else(|e| panic!("{e}")),
                l
            );
        }
    }
}
