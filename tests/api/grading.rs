//! A teacher grades the written answers of an assessment against the rubric, on SQLite and PostgreSQL:
//! the answer awaits a grade after submission (the school hears of the pending points), the teacher sees it
//! with its rubric and model answer, points that do not fit the rubric are refused with what is wrong,
//! a grade updates the attempt's total and the gradebook and is sent again to the school's webhook; the
//! page grades by form (CSRF checked); another school's teacher sees nothing.

use std::path::PathBuf;

use serde_json::{Value, json};
use tiku::domain::item::Kind;
use tiku::domain::user::Role;
use tiku::storage::{Db, attempts, items};

use super::helpers::{As, TestApp, bearer, spawn_apps};
use super::schools::{
    Received, class_list, link, location, picks, school, stamp, webhook_and_secret,
};

fn bank() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("question-bank")
}

/// A published written item (an e-mail or translation task) and its rubric's criteria count.
fn written_item(app: &TestApp) -> (String, usize, u32) {
    let db = Db::connect(&app.database_url).unwrap_or_else(|e| panic!("{e}"));
    let mut c = db.conn().unwrap_or_else(|e| panic!("{e}"));
    items::published(&mut c)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .find_map(|s| {
            if s.item.kind() != Kind::Written || s.item.template.is_some() {
                return None;
            }
            let questions = s.item.questions();
            let (_, q) = questions.first()?;
            match &q.response {
                tiku::domain::item::Response::Written { rubric, .. } => {
                    Some((s.item.id.to_string(), rubric.len(), q.points))
                }
                _ => None,
            }
        })
        .unwrap_or_else(|| panic!("the bank has a written item"))
}

/// The webhooks received so far, waiting up to 10 s for the `n`th.
async fn hooks(received: &Received, n: usize) -> Vec<Value> {
    for _ in 0..100 {
        let got: Vec<Value> = received
            .lock()
            .map(|g| {
                g.iter()
                    .filter_map(|(_, b)| serde_json::from_str(b).ok())
                    .collect()
            })
            .unwrap_or_default();
        if got.len() >= n {
            return got;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("fewer than {n} webhooks arrived")
}

#[actix_web::test]
async fn a_teacher_grades_written_answers_and_the_new_score_flows_back() {
    for app in spawn_apps(Some(&bank())).await {
        app.add_user(Role::Admin, "root", "admin-password");
        let root = bearer(&app.login("root", "admin-password").await);
        let (sid, admin, teacher) = school(&app, &root, "sg", None).await;
        let (received, secret) = webhook_and_secret(&app, &sid, &admin).await;
        let csv = "学号,姓名,班级\n2026001,周杰,商务1班\n";
        let class_id = class_list(&app, &sid, &teacher, csv).await;
        let (written, criteria, written_points) = written_item(&app);
        let choice = picks(&app, 1);
        let r = app
            .send(
                "POST",
                &format!("/api/v1/schools/{sid}/assessments"),
                Some(json!({
                    "class_id": class_id, "title": "函电测验", "source": "items",
                    "items": [choice[0], written], "opens_at": stamp(-1), "closes_at": stamp(60),
                    "show_keys": "immediately"
                })),
                &teacher,
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let aid = r.json()["id"].as_str().unwrap_or_default().to_owned();

        // The student sits it through a signed link: the choice right, an e-mail written.
        let anon = As::default();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let r = app
            .send(
                "GET",
                &link(&aid, &sid, &secret, "2026001", now, "g-1"),
                None,
                &anon,
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let session = location(&r);
        let r = app.post_form(&format!("{session}/start"), &[], &anon).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let db = Db::connect(&app.database_url).unwrap_or_else(|e| panic!("{e}"));
        let mut c = db.conn().unwrap_or_else(|e| panic!("{e}"));
        let student = tiku::storage::schools::student_by_external(&mut c, &sid, "2026001")
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("the student was created"));
        let attempt = attempts::of_user_at(&mut c, &student, &aid)
            .unwrap_or_else(|e| panic!("{e}"))
            .pop()
            .unwrap_or_else(|| panic!("an attempt"));
        let answers = super::mocks::answers(&app, &attempt.id, true);
        assert_eq!(answers.len(), 2);
        for (slot, answer) in &answers {
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
            .post_form(&format!("{session}/save"), &[("op", "submit")], &anon)
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let auto: u32 = attempt.paper.questions.iter().map(|q| q.max).sum::<u32>() - written_points;
        let first = hooks(&received, 1).await;
        assert_eq!(first[0]["event"], "attempt.submitted");
        assert_eq!(first[0]["score"], auto, "{}", first[0]);
        assert_eq!(first[0]["pending_points"], written_points);

        // The teacher's list: the e-mail awaits a grade, with its rubric and model answer.
        let path = format!("/api/v1/schools/{sid}/assessments/{aid}/written");
        let r = app.send("GET", &path, None, &teacher).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let list = r.json();
        assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
        let w = &list[0];
        assert_eq!(w["state"], "pending");
        assert_eq!(w["student_no"], "2026001");
        assert!(
            w["answer"]
                .as_str()
                .is_some_and(|a| a.starts_with("Dear Mr Ndlovu")),
            "{w}"
        );
        assert_eq!(w["rubric"].as_array().map(Vec::len), Some(criteria));
        assert!(w["model_answer_en"].as_str().is_some_and(|m| !m.is_empty()));
        let rid = w["response_id"].as_i64().unwrap_or(0);
        let full: Vec<u64> = w["rubric"]
            .as_array()
            .map(|r| {
                r.iter()
                    .map(|c| c["points"].as_u64().unwrap_or(0))
                    .collect()
            })
            .unwrap_or_default();

        // Points that do not fit the rubric: refused, and nothing changes.
        let grade = format!("{path}/{rid}");
        let r = app
            .send("POST", &grade, Some(json!({"points": [1]})), &teacher)
            .await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert!(r.body.contains("criteria"), "{}", r.body);
        let mut too_many = full.clone();
        too_many[0] += 1;
        let r = app
            .send(
                "POST",
                &grade,
                Some(json!({ "points": too_many })),
                &teacher,
            )
            .await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert!(r.body.contains("criterion 1"), "{}", r.body);

        // Another school's teacher: 404 on the list and on the grade.
        let (_, _, stranger) = school(&app, &root, "sx", None).await;
        let r = app.send("GET", &path, None, &stranger).await;
        assert_eq!(r.status, 404, "{}", r.body);
        let r = app
            .send("POST", &grade, Some(json!({ "points": full })), &stranger)
            .await;
        assert_eq!(r.status, 404, "{}", r.body);
        let r = app
            .send(
                "POST",
                &format!("/api/v1/schools/sx-none/assessments/{aid}/written/{rid}"),
                Some(json!({ "points": full })),
                &teacher,
            )
            .await;
        assert_eq!(r.status, 404, "{}", r.body);

        // A grade: all but one point.
        let mut given = full.clone();
        given[0] = given[0].saturating_sub(1);
        let sum: u64 = given.iter().sum();
        let r = app
            .send("POST", &grade, Some(json!({ "points": given })), &teacher)
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let g = r.json();
        assert_eq!(g["awarded"], sum);
        assert_eq!(g["total"], u64::from(auto) + sum, "{g}");
        assert_eq!(g["pending_points"], 0);
        let second = hooks(&received, 2).await;
        let event = received
            .lock()
            .ok()
            .and_then(|g| {
                g.get(1).and_then(|(h, _)| {
                    h.iter()
                        .find(|(k, _)| k == "x-tiku-event")
                        .map(|(_, v)| v.clone())
                })
            })
            .unwrap_or_default();
        assert_eq!(event, "attempt.rescored", "the header names the event too");
        assert_eq!(second[1]["event"], "attempt.rescored", "{}", second[1]);
        assert_eq!(second[1]["score"], u64::from(auto) + sum);
        assert_eq!(second[1]["pending_points"], 0);
        let book = app
            .send(
                "GET",
                &format!("/api/v1/schools/{sid}/assessments/{aid}/gradebook"),
                None,
                &teacher,
            )
            .await
            .json();
        let row = book["rows"]
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["student_no"] == "2026001"))
            .cloned()
            .unwrap_or_default();
        assert_eq!(row["score"], u64::from(auto) + sum, "{book}");
        assert_eq!(row["pending_points"], 0, "{book}");

        // The page: the answer, a form per criterion; a grade by form, and none without the CSRF token.
        let who = app.browser("sg-teacher", "teacher-pass-1").await;
        let page_path = format!("/school/{sid}/assessments/{aid}/grading");
        let page = app
            .send("GET", &format!("{page_path}?lang=en"), None, &who)
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("Dear Mr Ndlovu"), "{}", page.body);
        assert_eq!(
            page.body.matches("type=\"number\" min=\"0\" max=").count(),
            criteria,
            "{}",
            page.body
        );
        let csrf = who.csrf.clone().unwrap_or_default();
        let fields: Vec<(String, String)> = full
            .iter()
            .enumerate()
            .map(|(i, p)| (format!("c{i}"), p.to_string()))
            .collect();
        let mut pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let r = app
            .post_form(&format!("{page_path}/{rid}"), &pairs, &who)
            .await;
        assert_eq!(r.status, 403, "no CSRF token: {}", r.body);
        pairs.push(("csrf", csrf.as_str()));
        let r = app
            .post_form(&format!("{page_path}/{rid}"), &pairs, &who)
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert!(location(&r).contains("msg="), "{}", location(&r));
        let full_sum: u64 = full.iter().sum();
        let third = hooks(&received, 3).await;
        assert_eq!(third[2]["score"], u64::from(auto) + full_sum);
        let r = app.send("GET", &path, None, &teacher).await;
        assert_eq!(r.json()[0]["state"], "graded");
        assert_eq!(r.json()[0]["awarded"], full_sum);
    }
}
