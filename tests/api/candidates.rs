//! Candidates' access: registration with field-level errors, sittings, registering for one, and the fee
//! confirmed by an admin, by an uploaded list or by the provider's signed callback — on SQLite and
//! PostgreSQL.

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tiku::domain::identity::check_char;
use tiku::domain::user::Role;

use super::helpers::{As, PAYMENT_SECRET, TestApp, bearer, fixture_bank, spawn_apps};

/// A valid identity number (check digit computed) for someone born in January 2001.
pub fn id_number(n: u32) -> String {
    let first17 = format!("440306200101{:02}{:03}", 1 + n % 28, n % 1000);
    let Some(c) = check_char(&first17) else {
        panic!("17 digits: {first17}")
    };
    format!("{first17}{c}")
}

/// A 413 × 626 PNG header padded to 20 KB: what the photo check reads.
pub fn photo() -> Vec<u8> {
    let mut b = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
    b.extend_from_slice(b"IHDR");
    b.extend_from_slice(&413u32.to_be_bytes());
    b.extend_from_slice(&626u32.to_be_bytes());
    b.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
    b.resize(20_000, 0);
    b
}

pub fn candidate_body(n: u32) -> Value {
    json!({
        "name": "李华",
        "id_number": id_number(n),
        "phone": format!("1380013{:04}", n),
        "email": format!("cand{n}@example.com"),
        "password": "practise-2026",
        "photo_base64": base64::engine::general_purpose::STANDARD.encode(photo()),
    })
}

/// Registers candidate `n` through the API; returns (account id, bearer token).
pub async fn register(app: &TestApp, n: u32) -> (String, String) {
    let r = app
        .send(
            "POST",
            "/api/v1/candidates",
            Some(candidate_body(n)),
            &As::default(),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}: {}", app.db, r.body);
    let id = r.json()["id"].as_str().unwrap_or_default().to_owned();
    let token = app
        .login(&format!("cand{n}@example.com"), "practise-2026")
        .await;
    (id, token)
}

/// A sitting whose registration is open today, created by the admin `admin`.
pub async fn open_sitting(app: &TestApp, admin: &As, id: &str) {
    let today = time::OffsetDateTime::now_utc().date();
    let d = |days: i64| (today + time::Duration::days(days)).to_string();
    let r = app
        .send(
            "POST",
            "/api/v1/admin/sittings",
            Some(json!({
                "id": id, "name_zh": "测试批次", "name_en": "Test sitting",
                "registration_opens": d(-10), "registration_closes": d(10),
                "payment_opens": d(-10), "payment_closes": d(20),
                "test_date": d(30), "test_time": "13:00–16:00", "fee_fen": 26000
            })),
            admin,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

fn signed(body: &str, t: i64, secret: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        panic!("key")
    };
    mac.update(format!("{t}.{body}").as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={t},v1={hex}")
}

#[actix_web::test]
async fn registration_checks_every_field_and_names_it() {
    for app in spawn_apps(Some(&fixture_bank())).await {
        let mut bad = candidate_body(1);
        bad["id_number"] = json!("440306200101011234");
        bad["phone"] = json!("12345");
        bad["email"] = json!("not-an-address");
        bad["password"] = json!("short");
        let r = app
            .send("POST", "/api/v1/candidates", Some(bad), &As::default())
            .await;
        assert_eq!(r.status, 400, "{}", r.body);
        let j = r.json();
        let fields: Vec<&str> = j["fields"]
            .as_array()
            .map(|a| a.iter().filter_map(|f| f["field"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(fields, ["id_number", "phone", "email", "password"], "{j}");
        assert_eq!(j["error"]["field"], "id_number");

        let mut square = candidate_body(1);
        let mut img = photo();
        img[16..20].copy_from_slice(&626u32.to_be_bytes());
        square["photo_base64"] = json!(base64::engine::general_purpose::STANDARD.encode(img));
        let r = app
            .send("POST", "/api/v1/candidates", Some(square), &As::default())
            .await;
        assert_eq!(r.status, 400);
        assert_eq!(r.json()["error"]["field"], "photo", "{}", r.body);

        let (_, token) = register(&app, 1).await;
        let again = app
            .send(
                "POST",
                "/api/v1/candidates",
                Some(candidate_body(1)),
                &As::default(),
            )
            .await;
        assert_eq!(again.status, 400);
        assert_eq!(again.json()["error"]["field"], "email", "{}", again.body);

        let me = app
            .send("GET", "/api/v1/candidates/me", None, &bearer(&token))
            .await
            .json();
        assert_eq!(me["access"], "sample", "{me}");
        assert_eq!(me["has_photo"], true);
        let masked = me["id_number"].as_str().unwrap_or_default();
        assert!(
            masked.starts_with("440***") && masked.len() == 18,
            "{masked}"
        );
        // The page works too.
        assert_eq!(
            app.send("GET", "/register", None, &As::default())
                .await
                .status,
            200
        );
    }
}

#[actix_web::test]
async fn the_fee_is_confirmed_by_an_admin_a_list_or_a_signed_callback() {
    for app in spawn_apps(Some(&fixture_bank())).await {
        app.add_user(Role::Admin, "root", "admin-password");
        let admin = bearer(&app.login("root", "admin-password").await);
        let sittings = app
            .send("GET", "/api/v1/sittings", None, &As::default())
            .await
            .json();
        let ids: Vec<&str> = sittings["sittings"]
            .as_array()
            .map(|a| a.iter().filter_map(|s| s["id"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(ids, ["2025-2", "2025-1"], "the 2025 sittings are seeded");
        open_sitting(&app, &admin, "test-1").await;

        let (c1, t1) = register(&app, 1).await;
        let (c2, t2) = register(&app, 2).await;
        let (c3, t3) = register(&app, 3).await;
        let closed = app
            .send(
                "POST",
                "/api/v1/candidates/me/registrations",
                Some(json!({"sitting": "2025-1"})),
                &bearer(&t1),
            )
            .await;
        assert_eq!(closed.status, 409, "{}", closed.body);
        let mut orders = Vec::new();
        for t in [&t1, &t2, &t3] {
            let r = app
                .send(
                    "POST",
                    "/api/v1/candidates/me/registrations",
                    Some(json!({"sitting": "test-1"})),
                    &bearer(t),
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.body);
            assert_eq!(r.json()["status"], "pending");
            orders.push(r.json()["id"].as_str().unwrap_or_default().to_owned());
        }

        // 1. By an admin, one by one; candidates may not.
        let path = format!("/api/v1/admin/candidates/{c1}/payment");
        assert_eq!(
            app.send("POST", &path, None, &bearer(&t2)).await.status,
            403
        );
        let r = app.send("POST", &path, None, &admin).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["outcome"], "confirmed");
        let me = app
            .send("GET", "/api/v1/candidates/me", None, &bearer(&t1))
            .await
            .json();
        assert_eq!(me["access"], "full", "{me}");
        assert!(me["until"].as_str().is_some(), "{me}");

        // 2. By a list: one wrong row refuses it all.
        let bad = format!("order,amount\n{},260\nord-nope,260\n", orders[1]);
        let r = app
            .send_bytes(
                "POST",
                "/api/v1/admin/payments?dry_run=false",
                bad.into_bytes(),
                &admin,
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(r.json()["errors"][0]["line"], 3);
        let wrong_amount = format!("order,amount\n{},200\n", orders[1]);
        let r = app
            .send_bytes(
                "POST",
                "/api/v1/admin/payments",
                wrong_amount.into_bytes(),
                &admin,
            )
            .await;
        assert_eq!(r.status, 422);
        let good = format!("order,amount\n{},260.00\n", orders[1]);
        let dry = app
            .send_bytes(
                "POST",
                "/api/v1/admin/payments",
                good.clone().into_bytes(),
                &admin,
            )
            .await;
        assert_eq!(dry.status, 200, "{}", dry.body);
        assert_eq!(dry.json()["to_confirm"], 1);
        let still = app
            .send("GET", "/api/v1/candidates/me", None, &bearer(&t2))
            .await
            .json();
        assert_eq!(still["access"], "sample", "a dry run confirms nothing");
        let done = app
            .send_bytes(
                "POST",
                "/api/v1/admin/payments?dry_run=false",
                good.into_bytes(),
                &admin,
            )
            .await;
        assert_eq!(done.json()["confirmed"], 1, "{}", done.body);
        let me2 = app
            .send("GET", "/api/v1/candidates/me", None, &bearer(&t2))
            .await
            .json();
        assert_eq!(me2["access"], "full");

        // 3. By the provider's signed callback, applied once.
        let body =
            json!({"event_id": "evt-1", "order": orders[2], "amount_fen": 26000, "status": "paid"})
                .to_string();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let call = |sig: String, body: String| {
            let app = &app;
            async move {
                let req = app
                    .client
                    .post(format!("{}/api/v1/payments/callback", app.address))
                    .insert_header(("X-Tiku-Signature", sig))
                    .insert_header(("Content-Type", "application/json"));
                let mut resp = req.send_body(body).await.unwrap_or_else(|e| panic!("{e}"));
                let bytes = resp.body().await.unwrap_or_default();
                (
                    resp.status().as_u16(),
                    String::from_utf8_lossy(&bytes).into_owned(),
                )
            }
        };
        let (s, b) = call(signed(&body, now, "wrong-secret"), body.clone()).await;
        assert_eq!(s, 401, "{b}");
        let (s, _) = call(signed(&body, now - 3600, PAYMENT_SECRET), body.clone()).await;
        assert_eq!(s, 401, "a stale signature is a replay");
        let (s, b) = call(signed(&body, now, PAYMENT_SECRET), body.clone()).await;
        assert_eq!((s, b.contains("confirmed")), (200, true), "{b}");
        let (s, b) = call(signed(&body, now, PAYMENT_SECRET), body.clone()).await;
        assert_eq!((s, b.contains("duplicate")), (200, true), "{b}");
        let cheap =
            json!({"event_id": "evt-2", "order": orders[2], "amount_fen": 100, "status": "paid"})
                .to_string();
        let (s, _) = call(signed(&cheap, now, PAYMENT_SECRET), cheap.clone()).await;
        assert_eq!(s, 409, "the wrong amount confirms nothing");
        let me3 = app
            .send("GET", "/api/v1/candidates/me", None, &bearer(&t3))
            .await
            .json();
        assert_eq!(me3["access"], "full");
        let _ = (c2, c3);

        // The admin page lists what is left and works without JavaScript.
        let page = app
            .send(
                "GET",
                "/admin",
                None,
                &app.browser("root", "admin-password").await,
            )
            .await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("test-1"));
    }
}
