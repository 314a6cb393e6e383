//! Disabling accounts, on SQLite and PostgreSQL: tiku's admin disables a candidate (the open session ends
//! on the server at once, login is refused, enabling restores it), nobody disables their own account,
//! only admins use the admin endpoint; a school's administrator disables their teacher and a student
//! (whose signed link is then refused), and nobody else's; the admin page's form does it by login name.

use std::path::PathBuf;

use serde_json::json;
use tiku::domain::user::Role;

use super::helpers::{As, TestApp, bearer, spawn_apps};
use super::schools::{link, school, webhook_and_secret};

fn bank() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("question-bank")
}

/// The status `who` gets from `/api/v1/auth/me` once it settles on `want` (sessions are cached for a
/// moment; ended ones are forgotten within about a second), or the last one seen after 5 s.
async fn me_until(app: &TestApp, who: &As, want: u16) -> u16 {
    let mut last = 0;
    for _ in 0..50 {
        last = app.send("GET", "/api/v1/auth/me", None, who).await.status;
        if last == want {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    last
}

async fn login_status(app: &TestApp, login: &str, password: &str) -> u16 {
    app.send(
        "POST",
        "/api/v1/auth/login",
        Some(json!({"login": login, "password": password})),
        &As::default(),
    )
    .await
    .status
}

#[actix_web::test]
async fn a_disabled_account_loses_its_sessions_and_cannot_log_in_until_enabled() {
    for app in spawn_apps(Some(&bank())).await {
        let root_id = app.add_user(Role::Admin, "root", "admin-password");
        let root = bearer(&app.login("root", "admin-password").await);
        let cand_id = app.add_user(Role::Candidate, "cand@example.com", "candidate-pass");
        let cand = bearer(&app.login("cand@example.com", "candidate-pass").await);
        assert_eq!(me_until(&app, &cand, 200).await, 200);

        let put = |id: &str| format!("/api/v1/admin/users/{id}/disabled");
        let r = app
            .send(
                "PUT",
                &put(&cand_id),
                Some(json!({"disabled": true})),
                &cand,
            )
            .await;
        assert_eq!(r.status, 403, "a candidate is no admin: {}", r.body);
        let r = app
            .send(
                "PUT",
                &put(&root_id),
                Some(json!({"disabled": true})),
                &root,
            )
            .await;
        assert_eq!(r.status, 409, "not one's own: {}", r.body);
        let r = app
            .send(
                "PUT",
                &put("u-none"),
                Some(json!({"disabled": true})),
                &root,
            )
            .await;
        assert_eq!(r.status, 404, "{}", r.body);

        let r = app
            .send(
                "PUT",
                &put(&cand_id),
                Some(json!({"disabled": true})),
                &root,
            )
            .await;
        assert_eq!(r.status, 200, "{:?}: {}", app.db, r.body);
        assert_eq!(r.json()["disabled"], true);
        assert_eq!(me_until(&app, &cand, 401).await, 401, "the session ended");
        assert_eq!(
            login_status(&app, "cand@example.com", "candidate-pass").await,
            401
        );

        let r = app
            .send(
                "PUT",
                &put(&cand_id),
                Some(json!({"disabled": false})),
                &root,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            login_status(&app, "cand@example.com", "candidate-pass").await,
            200
        );
        assert_eq!(
            me_until(&app, &cand, 401).await,
            401,
            "an ended session stays ended"
        );

        // The admin page's form, by login name; the CSRF token is checked.
        let page = app.browser("root", "admin-password").await;
        let csrf = page.csrf.clone().unwrap_or_default();
        let r = app
            .post_form(
                "/admin/accounts",
                &[("credential", "cand@example.com"), ("op", "disable")],
                &page,
            )
            .await;
        assert_eq!(r.status, 403, "{}", r.body);
        let r = app
            .post_form(
                "/admin/accounts",
                &[
                    ("csrf", csrf.as_str()),
                    ("credential", "cand@example.com"),
                    ("op", "disable"),
                ],
                &page,
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(
            login_status(&app, "cand@example.com", "candidate-pass").await,
            401
        );
    }
}

#[actix_web::test]
async fn a_school_administrator_disables_members_of_their_school_only() {
    for app in spawn_apps(Some(&bank())).await {
        app.add_user(Role::Admin, "root", "admin-password");
        let root = bearer(&app.login("root", "admin-password").await);
        let (sid, admin, teacher) = school(&app, &root, "da", None).await;
        let (_, other_admin, _) = school(&app, &root, "db", None).await;
        let (_, secret) = webhook_and_secret(&app, &sid, &admin).await;
        let members = app
            .send("GET", &format!("/api/v1/schools/{sid}"), None, &admin)
            .await
            .json();
        let teacher_id = members["staff"]
            .as_array()
            .and_then(|s| s.iter().find(|m| m["login"] == "da-teacher"))
            .and_then(|m| m["user_id"].as_str())
            .unwrap_or_default()
            .to_owned();
        assert!(!teacher_id.is_empty(), "{members}");
        let put = format!("/api/v1/schools/{sid}/members/{teacher_id}/disabled");
        let r = app
            .send("PUT", &put, Some(json!({"disabled": true})), &teacher)
            .await;
        assert_eq!(r.status, 403, "a teacher does not: {}", r.body);
        let r = app
            .send("PUT", &put, Some(json!({"disabled": true})), &other_admin)
            .await;
        assert_eq!(r.status, 404, "another school's administrator: {}", r.body);
        let r = app
            .send("PUT", &put, Some(json!({"disabled": true})), &admin)
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(me_until(&app, &teacher, 401).await, 401);
        assert_eq!(
            login_status(&app, "da-teacher", "teacher-pass-1").await,
            401
        );

        // A student of the school: created by a class list, disabled, then refused at the signed link.
        let csv = "学号,姓名,班级\n2027001,吴磊,一班\n";
        let class_id = super::schools::class_list(&app, &sid, &admin, csv).await;
        let items = super::schools::picks(&app, 1);
        let r = app
            .send(
                "POST",
                &format!("/api/v1/schools/{sid}/assessments"),
                Some(json!({
                    "class_id": class_id, "title": "小测", "source": "items", "items": items,
                    "opens_at": super::schools::stamp(-1), "closes_at": super::schools::stamp(60)
                })),
                &admin,
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let aid = r.json()["id"].as_str().unwrap_or_default().to_owned();
        let db = tiku::storage::Db::connect(&app.database_url).unwrap_or_else(|e| panic!("{e}"));
        let mut c = db.conn().unwrap_or_else(|e| panic!("{e}"));
        let student = tiku::storage::schools::student_by_external(&mut c, &sid, "2027001")
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("the student"));
        let r = app
            .send(
                "PUT",
                &format!("/api/v1/schools/{sid}/members/{student}/disabled"),
                Some(json!({"disabled": true})),
                &admin,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let r = app
            .send(
                "GET",
                &link(&aid, &sid, &secret, "2027001", now, "d-1"),
                None,
                &As::default(),
            )
            .await;
        assert_eq!(r.status, 403, "{}", r.body);
        assert!(r.body.contains("disabled"), "{}", r.body);

        // The school page: the teacher shown as disabled, with a button to enable them again.
        let page = app.browser("da-admin", "school-pass-1").await;
        let r = app
            .send("GET", &format!("/school/{sid}?lang=en"), None, &page)
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(
            r.body.contains("Disabled") && r.body.contains("Enable"),
            "{}",
            r.body
        );
        let csrf = page.csrf.clone().unwrap_or_default();
        let r = app
            .post_form(
                &format!("/school/{sid}/account"),
                &[
                    ("csrf", csrf.as_str()),
                    ("user_id", teacher_id.as_str()),
                    ("disabled", "0"),
                ],
                &page,
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(
            login_status(&app, "da-teacher", "teacher-pass-1").await,
            200
        );
    }
}

#[actix_web::test]
async fn an_admin_changes_a_staff_role_and_the_old_sessions_end() {
    for app in spawn_apps(Some(&bank())).await {
        let root_id = app.add_user(Role::Admin, "root", "admin-password");
        let root = bearer(&app.login("root", "admin-password").await);
        let teacher_id = app.add_user(Role::Teacher, "tina", "teacher-password");
        let tina = bearer(&app.login("tina", "teacher-password").await);
        let cand_id = app.add_user(Role::Candidate, "c@example.com", "candidate-pass");
        let put = |id: &str| format!("/api/v1/admin/users/{id}/role");
        let r = app
            .send(
                "PUT",
                &put(&teacher_id),
                Some(json!({"role": "admin"})),
                &tina,
            )
            .await;
        assert_eq!(r.status, 403, "{}", r.body);
        for (id, role, status) in [
            (&root_id, "teacher", 409),
            (&cand_id, "teacher", 409),
            (&teacher_id, "candidate", 400),
            (&teacher_id, "school_admin", 409),
        ] {
            let r = app
                .send("PUT", &put(id), Some(json!({ "role": role })), &root)
                .await;
            assert_eq!(r.status, status, "{role}: {}", r.body);
        }
        let r = app
            .send(
                "PUT",
                &put(&teacher_id),
                Some(json!({"role": "admin"})),
                &root,
            )
            .await;
        assert_eq!(r.status, 200, "{:?}: {}", app.db, r.body);
        assert_eq!(
            me_until(&app, &tina, 401).await,
            401,
            "the old session ended"
        );
        let tina = bearer(&app.login("tina", "teacher-password").await);
        let me = app.send("GET", "/api/v1/auth/me", None, &tina).await.json();
        assert_eq!(me["role"], "admin", "{me}");
    }
}
