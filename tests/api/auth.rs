//! Accounts and sessions: login by API (token and cookie), roles, throttling, logout, CSRF on cookie
//! sessions — on SQLite and PostgreSQL.

use tiku::domain::user::Role;

use super::helpers::{As, Db, bearer, spawn_app, spawn_apps, spawn_peer};

#[actix_web::test]
async fn login_gives_a_token_and_a_safe_cookie() {
    for app in spawn_apps(None).await {
        let id = app.add_user(Role::Teacher, "li.ming", "correct-horse-9");
        let r = app
            .send(
                "POST",
                "/api/v1/auth/login",
                Some(serde_json::json!({"login": "li.ming", "password": "correct-horse-9"})),
                &As::default(),
            )
            .await;
        assert_eq!(r.status, 200, "{:?}: {}", app.db, r.body);
        let body = r.json();
        assert_eq!(body["user"]["id"], id.as_str());
        assert_eq!(body["user"]["role"], "teacher");
        let cookie = r
            .set_cookie("tiku_session")
            .unwrap_or_else(|| panic!("no session cookie"));
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Lax"), "{cookie}");
        let token = body["token"].as_str().unwrap_or_default().to_owned();
        let me = app
            .send("GET", "/api/v1/auth/me", None, &bearer(&token))
            .await;
        assert_eq!(me.status, 200);
        assert_eq!(me.json()["role"], "teacher");
        assert!(
            me.json()["csrf_token"]
                .as_str()
                .is_some_and(|t| t.len() == 64)
        );
    }
}

#[actix_web::test]
async fn wrong_passwords_are_refused_and_throttled() {
    let app = spawn_app(Db::Sqlite, None).await;
    app.add_user(Role::Teacher, "wang", "right-password");
    for n in 0..5 {
        let r = app
            .send(
                "POST",
                "/api/v1/auth/login",
                Some(serde_json::json!({"login": "wang", "password": format!("wrong-{n}")})),
                &As::default(),
            )
            .await;
        assert_eq!(r.status, 401, "{}", r.body);
        assert_eq!(r.json()["error"]["code"], "unauthorized");
    }
    // Even the right password is refused now, until the window passes.
    let r = app
        .send(
            "POST",
            "/api/v1/auth/login",
            Some(serde_json::json!({"login": "wang", "password": "right-password"})),
            &As::default(),
        )
        .await;
    assert_eq!(r.status, 429, "{}", r.body);
    assert!(r.headers.get("retry-after").is_some());
    // An unknown login answers exactly like a wrong password.
    let r = app
        .send(
            "POST",
            "/api/v1/auth/login",
            Some(serde_json::json!({"login": "nobody", "password": "whatever1"})),
            &As::default(),
        )
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.json()["error"]["message"],
        "the login or the password is wrong"
    );
}

#[actix_web::test]
async fn logout_ends_the_session_and_cookie_sessions_need_the_csrf_token() {
    let app = spawn_app(Db::Sqlite, None).await;
    app.add_user(Role::Admin, "root", "admin-password");
    let token = app.login("root", "admin-password").await;
    let cookie = As {
        cookie: Some(format!("tiku_session={token}")),
        ..As::default()
    };
    let r = app.send("POST", "/api/v1/auth/logout", None, &cookie).await;
    assert_eq!(
        r.status, 403,
        "a cookie session without the CSRF token: {}",
        r.body
    );
    let csrf = app
        .send("GET", "/api/v1/auth/me", None, &cookie)
        .await
        .json()["csrf_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let with_csrf = As {
        csrf: Some(csrf),
        ..cookie.clone()
    };
    let r = app
        .send("POST", "/api/v1/auth/logout", None, &with_csrf)
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = app
        .send("GET", "/api/v1/auth/me", None, &bearer(&token))
        .await;
    assert_eq!(r.status, 401, "the session is gone");
    let r = app
        .send("GET", "/api/v1/auth/me", None, &bearer("not-a-token"))
        .await;
    assert_eq!(r.status, 401);
}

#[actix_web::test]
async fn a_logout_on_one_server_ends_the_session_on_every_server_within_seconds() {
    for a in spawn_apps(None).await {
        let b = spawn_peer(&a).await;
        a.add_user(Role::Teacher, "wang.fang", "teacher-password");
        let token = a.login("wang.fang", "teacher-password").await;
        // Server B reads the session and keeps it (a minute, unless told it ended).
        let r = b
            .send("GET", "/api/v1/auth/me", None, &bearer(&token))
            .await;
        assert_eq!(r.status, 200, "{:?}: {}", a.db, r.body);
        let r = a
            .send("POST", "/api/v1/auth/logout", None, &bearer(&token))
            .await;
        assert_eq!(r.status, 204, "{:?}: {}", a.db, r.body);
        let start = std::time::Instant::now();
        loop {
            let r = b
                .send("GET", "/api/v1/auth/me", None, &bearer(&token))
                .await;
            if r.status == 401 {
                break;
            }
            assert_eq!(r.status, 200, "{:?}: {}", a.db, r.body);
            assert!(
                start.elapsed() < std::time::Duration::from_secs(5),
                "{:?}: server B still serves the ended session after 5 s",
                a.db
            );
            actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}

#[test]
fn the_cli_adds_staff_accounts_that_can_log_in() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tiku"))
        .args([
            "user",
            "add",
            "--role",
            "school_admin",
            "--login",
            "zhang",
            "--password-stdin",
            "--database-url",
            &url,
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            if let Some(mut stdin) = child.stdin.take() {
                stdin.write_all(b"a-long-password\n")?;
            }
            child.wait_with_output()
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let db = tiku::storage::Db::connect(&url).unwrap_or_else(|e| panic!("{e}"));
    let mut c = db.conn().unwrap_or_else(|e| panic!("{e}"));
    let (user, hash) = tiku::storage::users::by_credential(&mut c, "zhang")
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no account"));
    assert_eq!(user.role, Role::SchoolAdmin);
    assert!(
        hash.starts_with("$argon2id$"),
        "the password is stored as an argon2 hash"
    );
    assert!(tiku::auth::verify_password("a-long-password", &hash));
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_tiku"))
        .args([
            "user",
            "add",
            "--role",
            "teacher",
            "--login",
            "zhang",
            "--password",
            "another-password",
            "--database-url",
            &url,
        ])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!again.status.success(), "a taken login is refused");
    assert!(String::from_utf8_lossy(&again.stderr).contains("already registered"));
}
