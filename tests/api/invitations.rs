//! Invitations, on SQLite and PostgreSQL: a student made by a class list (no password) is invited by a
//! teacher of the school, sets an e-mail and a password on the invitation's page (each field's problem
//! shown, the CSRF cookie checked), is logged in, and logs in later; the link works once; staff of another
//! school, staff accounts and unknown accounts get no invitation.

use std::path::PathBuf;

use serde_json::json;
use tiku::domain::user::Role;

use super::helpers::{As, TestApp, bearer, spawn_apps};
use super::schools::{class_list, school};

fn bank() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("question-bank")
}

/// The invitation page's CSRF cookie and token, as a browser would keep them.
async fn open(app: &TestApp, path: &str) -> (As, String) {
    let r = app.send("GET", path, None, &As::default()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let cookie = r
        .set_cookie("tiku_invite_csrf")
        .and_then(|c| c.split(';').next().map(str::to_owned))
        .unwrap_or_else(|| panic!("no CSRF cookie"));
    let token = cookie
        .split_once('=')
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default();
    assert!(r.body.contains(&token), "the form carries the token");
    (
        As {
            cookie: Some(cookie),
            ..As::default()
        },
        token,
    )
}

#[actix_web::test]
async fn an_invited_student_sets_a_password_once_and_then_logs_in() {
    for app in spawn_apps(Some(&bank())).await {
        app.add_user(Role::Admin, "root", "admin-password");
        let root = bearer(&app.login("root", "admin-password").await);
        let (sid, admin, teacher) = school(&app, &root, "iv", None).await;
        let (_, _, stranger) = school(&app, &root, "iw", None).await;
        let csv = "学号,姓名,班级\n2028001,郑爽,三班\n";
        let class_id = class_list(&app, &sid, &admin, csv).await;
        let db = tiku::storage::Db::connect(&app.database_url).unwrap_or_else(|e| panic!("{e}"));
        let mut c = db.conn().unwrap_or_else(|e| panic!("{e}"));
        let student = tiku::storage::schools::student_by_external(&mut c, &sid, "2028001")
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("the student"));
        let invite = |who: &str| format!("/api/v1/schools/{sid}/members/{who}/invitation");
        assert_eq!(
            app.send("POST", &invite(&student), None, &stranger)
                .await
                .status,
            404,
            "another school's teacher"
        );
        let staff = app
            .send("GET", &format!("/api/v1/schools/{sid}"), None, &admin)
            .await
            .json()["staff"][0]["user_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert_eq!(
            app.send("POST", &invite(&staff), None, &teacher)
                .await
                .status,
            404,
            "staff are not invited"
        );
        assert_eq!(
            app.send("POST", &invite("u-none"), None, &teacher)
                .await
                .status,
            404
        );
        // The class page offers the invitation beside the student (until they have a password).
        let class_page = format!("/school/{sid}/classes/{class_id}");
        let form_action = format!("{class_page}/invite/{student}");
        let staff_browser = app.browser("iv-teacher", "teacher-pass-1").await;
        let page = app.send("GET", &class_page, None, &staff_browser).await;
        assert!(page.body.contains(&form_action), "{}", page.body);
        let r = app.send("POST", &invite(&student), None, &teacher).await;
        assert_eq!(r.status, 201, "{:?}: {}", app.db, r.body);
        let url = r.json()["url"].as_str().unwrap_or_default().to_owned();
        let path = url
            .split_once("/invite/")
            .map(|(_, t)| format!("/invite/{t}"))
            .unwrap_or_else(|| panic!("{url}"));

        // The page: each field's problem, nothing stored; a form without the cookie's token refused.
        let (browser, csrf) = open(&app, &format!("{path}?lang=en")).await;
        assert!(
            app.send("GET", &path, None, &As::default())
                .await
                .body
                .contains("郑爽"),
            "the page greets the student"
        );
        let r = app
            .post_form(
                &path,
                &[
                    ("csrf", csrf.as_str()),
                    ("email", "not-an-address"),
                    ("password", "short"),
                    ("password2", "short"),
                ],
                &browser,
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains("not an e-mail address"), "{}", r.body);
        assert!(r.body.contains("at least 8 characters"), "{}", r.body);
        let good = [
            ("email", "zheng.shuang@example.com"),
            ("password", "practise-2028"),
            ("password2", "practise-2028"),
        ];
        let r = app.post_form(&path, &good, &browser).await;
        assert_eq!(r.status, 403, "no CSRF token: {}", r.body);

        let (browser, csrf) = open(&app, &path).await;
        let mut pairs = good.to_vec();
        pairs.push(("csrf", csrf.as_str()));
        let r = app.post_form(&path, &pairs, &browser).await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(
            r.headers.get("location").and_then(|v| v.to_str().ok()),
            Some("/practice")
        );
        assert!(r.set_cookie("tiku_session").is_some(), "logged in");

        // Once only; the password works from now on; and a student with a password gets no new link.
        let r = app.send("GET", &path, None, &As::default()).await;
        assert_eq!(r.status, 404, "{}", r.body);
        assert_eq!(
            app.send("POST", &invite(&student), None, &teacher)
                .await
                .status,
            404,
            "no link takes over an account its owner secured"
        );
        let page = app.send("GET", &class_page, None, &staff_browser).await;
        assert!(!page.body.contains(&form_action), "{}", page.body);
        let r = app
            .send(
                "POST",
                "/api/v1/auth/login",
                Some(json!({"login": "zheng.shuang@example.com", "password": "practise-2028"})),
                &As::default(),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
}
