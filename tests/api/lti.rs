//! LTI 1.3 as a tool, against the test platform of `lti_platform.rs`, on SQLite and PostgreSQL: the OIDC
//! login initiation, launches and every rejection (bad signature, wrong audience, wrong deployment,
//! expired token, replayed nonce, unknown state…), deep linking, the tool's JWKS, and scores posted back
//! with the Assignment and Grade Services.

use serde_json::{Value, json};

use std::time::Duration;

use super::helpers::{Reply, TestApp, fixture_bank, spawn_apps};
use super::lti_platform::{self, CLIENT_ID, TestPlatform, seed_school};

const CUSTOM: &str = "https://purl.imsglobal.org/spec/lti/claim/custom";

/// The query parameters of a redirect's Location.
fn location_query(r: &Reply) -> Vec<(String, String)> {
    let location = r
        .headers
        .get("location")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_else(|| panic!("no Location ({}): {}", r.status, r.body));
    let query = location.split_once('?').map(|(_, q)| q).unwrap_or("");
    serde_urlencoded::from_str(query).unwrap_or_else(|e| panic!("{e}: {location}"))
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {name} in {pairs:?}"))
}

/// Runs the login initiation; answers (state, nonce).
async fn login(app: &TestApp, platform: &TestPlatform) -> (String, String) {
    let query = serde_urlencoded::to_string([
        ("iss", platform.issuer.as_str()),
        ("login_hint", "user-42"),
        ("target_link_uri", &format!("{}/lti/launch", app.address)),
        ("lti_message_hint", "hint-1"),
        ("client_id", CLIENT_ID),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    let r = app
        .send(
            "GET",
            &format!("/lti/login?{query}"),
            None,
            &Default::default(),
        )
        .await;
    assert_eq!(r.status, 302, "{:?}: {}", app.db, r.body);
    let q = location_query(&r);
    (param(&q, "state").to_owned(), param(&q, "nonce").to_owned())
}

async fn launch(app: &TestApp, id_token: &str, state: &str) -> Reply {
    app.post_form(
        "/lti/launch",
        &[("id_token", id_token), ("state", state)],
        &Default::default(),
    )
    .await
}

/// Asserts a refused launch: its status and the check named in the message.
fn refused(r: &Reply, status: u16, check: &str) {
    assert_eq!(r.status, status, "expected {check}: {}", r.body);
    let message = r.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        message.contains(check),
        "expected `{check}` in the message: {message}"
    );
}

/// A redirect's Location.
fn location(r: &Reply) -> String {
    r.headers
        .get("location")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_else(|| panic!("no Location ({}): {}", r.status, r.body))
        .to_owned()
}

/// The value of the hidden field `name` in a page.
fn hidden(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name} in {body}"))
        + marker.len();
    body[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// A deep-linking request's claims from a user with `role`.
fn deep_link_claims(platform: &TestPlatform, nonce: &str, role: &str) -> Value {
    let mut c = platform.launch_claims(nonce, "teacher-1");
    let obj = c.as_object_mut().unwrap_or_else(|| panic!("claims"));
    obj.remove("https://purl.imsglobal.org/spec/lti/claim/resource_link");
    obj.remove(CUSTOM);
    c["https://purl.imsglobal.org/spec/lti/claim/message_type"] = json!("LtiDeepLinkingRequest");
    c["https://purl.imsglobal.org/spec/lti/claim/roles"] = json!([format!(
        "http://purl.imsglobal.org/vocab/lis/v2/membership#{role}"
    )]);
    c["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = json!({
        "deep_link_return_url": format!("{}/deep-link-return", platform.url),
        "accept_types": ["ltiResourceLink"],
        "accept_presentation_document_targets": ["iframe", "window"],
        "data": "opaque-42",
    });
    c
}

#[actix_web::test]
async fn the_login_sends_the_browser_to_the_platform_with_a_one_time_state() {
    for app in spawn_apps(None).await {
        let (school, _) = seed_school(&app, None);
        let platform = TestPlatform::start(&app, &school).await;
        let form = [
            ("iss", platform.issuer.as_str()),
            ("login_hint", "user-42"),
            ("target_link_uri", "https://tiku.example.com/lti/launch"),
            ("lti_message_hint", "hint-1"),
        ];
        // POST form, without client_id (the issuer has one registration).
        let r = app
            .post_form("/lti/login", &form, &Default::default())
            .await;
        assert_eq!(r.status, 302, "{}", r.body);
        let location = r
            .headers
            .get("location")
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default();
        assert!(
            location.starts_with(&format!("{}/auth?", platform.url)),
            "{location}"
        );
        let q = location_query(&r);
        assert_eq!(param(&q, "scope"), "openid");
        assert_eq!(param(&q, "response_type"), "id_token");
        assert_eq!(param(&q, "response_mode"), "form_post");
        assert_eq!(param(&q, "prompt"), "none");
        assert_eq!(param(&q, "client_id"), CLIENT_ID);
        assert_eq!(
            param(&q, "redirect_uri"),
            "https://tiku.example.com/lti/launch"
        );
        assert_eq!(param(&q, "login_hint"), "user-42");
        assert_eq!(param(&q, "lti_message_hint"), "hint-1");
        assert_eq!(param(&q, "state").len(), 64);
        assert_ne!(param(&q, "state"), param(&q, "nonce"));

        // GET, and no target link: the redirect goes to this server's own launch URL.
        let (state, nonce) = login(&app, &platform).await;
        assert_ne!((state.len(), nonce.len()), (0, 0));

        // Unknown issuers and deployments are refused.
        let r = app
            .send(
                "GET",
                "/lti/login?iss=https%3A%2F%2Fnowhere.example&login_hint=x",
                None,
                &Default::default(),
            )
            .await;
        refused(&r, 401, "unknown issuer");
        let r = app
            .post_form(
                "/lti/login",
                &[
                    ("iss", platform.issuer.as_str()),
                    ("login_hint", "x"),
                    ("lti_deployment_id", "another-deployment"),
                ],
                &Default::default(),
            )
            .await;
        refused(&r, 401, "wrong deployment");
        let r = app
            .post_form("/lti/login", &[("login_hint", "x")], &Default::default())
            .await;
        refused(&r, 400, "missing field `iss`");
    }
}

#[actix_web::test]
async fn a_launch_opens_the_assessment_in_the_page_and_the_score_goes_back() {
    for app in spawn_apps(Some(&fixture_bank())).await {
        let (school, assessment) = seed_school(&app, Some("Mock A for the course"));
        let assessment = assessment.unwrap_or_default();
        let platform = TestPlatform::start(&app, &school).await;
        let (state, nonce) = login(&app, &platform).await;
        let mut claims = platform.launch_claims(&nonce, "student-7");
        claims[CUSTOM]["assessment_id"] = json!(assessment);
        // The target the login named (a required claim; a different one is refused below).
        claims["https://purl.imsglobal.org/spec/lti/claim/target_link_uri"] =
            json!(format!("{}/lti/launch", app.address));
        // Platforms send big tokens (custom claims, contexts): beyond a form extractor's 16 KiB.
        claims["https://purl.example.edu/extension"] = json!("x".repeat(30_000));
        let token = platform.sign(&claims);
        let r = launch(&app, &token, &state).await;
        assert_eq!(r.status, 303, "{:?}: {}", app.db, r.body);
        let sitting = location(&r);
        assert!(sitting.starts_with("/embed/s/"), "{sitting}");

        // The same id_token (and state) again: the nonce has been spent.
        refused(&launch(&app, &token, &state).await, 401, "replayed nonce");

        // The student is the school's, known by platform and subject.
        let db = tiku::storage::Db::connect(&app.database_url).unwrap_or_else(|e| panic!("{e}"));
        let mut c = db.conn().unwrap_or_else(|e| panic!("{e}"));
        let external = format!("lti:{}:student-7", platform.id);
        let student = tiku::storage::schools::student_by_external(&mut c, &school, &external)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(student.is_some(), "{external} is a student of {school}");

        // The student starts and submits (no answers): the score goes to the line item.
        let r = app
            .post_form(&format!("{sitting}/start"), &[], &Default::default())
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let r = app
            .post_form(
                &format!("{sitting}/save"),
                &[("op", "submit")],
                &Default::default(),
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(location(&r), format!("{sitting}/done"));
        let mut scores = platform.scores();
        for _ in 0..100 {
            if !scores.is_empty() {
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
            scores = platform.scores();
        }
        assert_eq!(
            scores.len(),
            1,
            "{:?}: the outbox delivered the score",
            app.db
        );
        let s = &scores[0];
        assert_eq!(s.path, "/lineitems/1/scores");
        assert!(
            s.token_valid,
            "the bearer token came from the token endpoint"
        );
        assert_eq!(s.content_type, "application/vnd.ims.lis.v1.score+json");
        assert_eq!(s.body["userId"], "student-7");
        assert_eq!(s.body["scoreGiven"], 0.0);
        assert!(
            s.body["scoreMaximum"].as_f64().is_some_and(|m| m > 0.0),
            "{}",
            s.body
        );
        assert_eq!(s.body["activityProgress"], "Completed");
        assert_eq!(s.body["gradingProgress"], "FullyGraded");
        assert!(
            s.body["timestamp"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z')),
            "{}",
            s.body
        );

        // A later change of the score (a teacher's grade, a regrade) is sent again, stamped later, so
        // the platform takes it as the newer score.
        let first_stamp = s.body["timestamp"].as_str().unwrap_or_default().to_owned();
        let attempt =
            tiku::storage::attempts::of_user_at(&mut c, &student.unwrap_or_default(), &assessment)
                .unwrap_or_else(|e| panic!("{e}"))
                .pop()
                .unwrap_or_else(|| panic!("the attempt"));
        actix_web::rt::time::sleep(Duration::from_millis(1100)).await;
        tiku::storage::conn::write_tx(&mut c, |c| {
            let rules = tiku::storage::documents::load(c)?.exam;
            let scores = tiku::web::mocks::refresh_totals(c, &attempt, &rules)?;
            tiku::web::schools::outcome::enqueue(
                c,
                &attempt,
                &scores,
                tiku::web::schools::outcome::Event::Rescored,
            )
        })
        .unwrap_or_else(|e| panic!("{e}"));
        for _ in 0..100 {
            if platform.scores().len() > 1 {
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        let scores = platform.scores();
        assert_eq!(scores.len(), 2, "the re-score was delivered");
        let again = scores[1].body["timestamp"].as_str().unwrap_or_default();
        assert!(
            again > first_stamp.as_str(),
            "{first_stamp} then {again}: the re-score is newer"
        );

        // The link is remembered: launched again without the custom parameter, it opens the same
        // assessment (for another student).
        let (state, nonce) = login(&app, &platform).await;
        let mut claims = platform.launch_claims(&nonce, "student-8");
        if let Some(obj) = claims.as_object_mut() {
            obj.remove(CUSTOM);
        }
        let r = launch(&app, &platform.sign(&claims), &state).await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert!(location(&r).starts_with("/embed/s/"));
    }
}

#[actix_web::test]
async fn a_platform_reaches_only_its_own_schools_assessments() {
    for app in spawn_apps(Some(&fixture_bank())).await {
        let (_, theirs) = seed_school(&app, Some("Another school's mock"));
        let theirs = theirs.unwrap_or_default();
        let (school, _) = seed_school(&app, Some("Our mock"));
        let platform = TestPlatform::start(&app, &school).await;

        let (state, nonce) = login(&app, &platform).await;
        let mut claims = platform.launch_claims(&nonce, "student-7");
        claims[CUSTOM]["assessment_id"] = json!(theirs);
        let r = launch(&app, &platform.sign(&claims), &state).await;
        assert_eq!(r.status, 404, "{}", r.body);

        // A resource link nobody placed, without the custom parameter.
        let (state, nonce) = login(&app, &platform).await;
        let mut claims = platform.launch_claims(&nonce, "student-7");
        if let Some(obj) = claims.as_object_mut() {
            obj.remove(CUSTOM);
        }
        let r = launch(&app, &platform.sign(&claims), &state).await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert!(r.body.contains("opens no assessment"), "{}", r.body);

        // The picker lists only the school's own; a forged pick of another's is not found.
        let (state, nonce) = login(&app, &platform).await;
        let r = launch(
            &app,
            &platform.sign(&deep_link_claims(&platform, &nonce, "Instructor")),
            &state,
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.contains("Our mock"), "{}", r.body);
        assert!(!r.body.contains("Another school"), "{}", r.body);
        let token = hidden(&r.body, "token");
        let r = app
            .post_form(
                "/lti/deep-link",
                &[
                    ("token", token.as_str()),
                    ("assessment_id", theirs.as_str()),
                ],
                &Default::default(),
            )
            .await;
        assert_eq!(r.status, 404, "{}", r.body);
    }
}

/// A change to a launch's claims.
type Change = Box<dyn Fn(&mut Value)>;

#[actix_web::test]
async fn every_failed_check_is_refused_and_named() {
    for app in spawn_apps(None).await {
        let (school, _) = seed_school(&app, None);
        let platform = TestPlatform::start(&app, &school).await;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let cases: Vec<(&str, Change, u16, &str)> = vec![
            ("forged", Box::new(|_| {}), 401, "bad signature"),
            (
                "audience",
                Box::new(|c| c["aud"] = json!("someone-else")),
                401,
                "wrong audience",
            ),
            (
                "deployment",
                Box::new(|c| {
                    c["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] =
                        json!("deployment-2")
                }),
                401,
                "wrong deployment",
            ),
            (
                "expired",
                Box::new(move |c| {
                    c["iat"] = json!(now - 900);
                    c["exp"] = json!(now - 300);
                }),
                401,
                "expired token",
            ),
            (
                "version",
                Box::new(|c| c["https://purl.imsglobal.org/spec/lti/claim/version"] = json!("1.1")),
                400,
                "wrong LTI version",
            ),
        ];
        for (name, change, status, check) in cases {
            let (state, nonce) = login(&app, &platform).await;
            let mut claims = platform.launch_claims(&nonce, "student-7");
            change(&mut claims);
            let token = if name == "forged" {
                platform.forge(&claims)
            } else {
                platform.sign(&claims)
            };
            let r = launch(&app, &token, &state).await;
            refused(&r, status, check);
        }

        // Not RS256, a key the platform does not publish, a token from the future.
        let (state, nonce) = login(&app, &platform).await;
        let claims = platform.launch_claims(&nonce, "student-7");
        refused(
            &launch(&app, &platform.sign_hs256(&claims), &state).await,
            401,
            "wrong algorithm",
        );
        refused(
            &launch(&app, &platform.sign_naming("retired-key", &claims), &state).await,
            401,
            "unknown key",
        );
        let mut future = claims.clone();
        future["iat"] = json!(now + 600);
        future["exp"] = json!(now + 900);
        refused(
            &launch(&app, &platform.sign(&future), &state).await,
            401,
            "token from the future",
        );

        // A state that was never issued.
        let (_, nonce) = login(&app, &platform).await;
        let token = platform.sign(&platform.launch_claims(&nonce, "student-7"));
        refused(
            &launch(&app, &token, "no-such-state").await,
            401,
            "unknown state",
        );

        // A real state, but the token carries another login's nonce.
        let (state_a, _) = login(&app, &platform).await;
        let (_, nonce_b) = login(&app, &platform).await;
        let token = platform.sign(&platform.launch_claims(&nonce_b, "student-7"));
        refused(&launch(&app, &token, &state_a).await, 401, "nonce mismatch");

        // A token aimed at another target than the one the login named.
        let (state, nonce) = login(&app, &platform).await;
        let mut claims = platform.launch_claims(&nonce, "student-7");
        claims["https://purl.imsglobal.org/spec/lti/claim/target_link_uri"] =
            json!("https://elsewhere.example/lti/launch");
        refused(
            &launch(&app, &platform.sign(&claims), &state).await,
            401,
            "target link mismatch",
        );

        // A token from an issuer nobody registered, and no token at all.
        let (state, nonce) = login(&app, &platform).await;
        let mut claims = platform.launch_claims(&nonce, "student-7");
        claims["iss"] = json!("https://unknown.example");
        refused(
            &launch(&app, &platform.sign(&claims), &state).await,
            401,
            "unknown issuer",
        );
        let r = app
            .post_form(
                "/lti/launch",
                &[("state", state.as_str())],
                &Default::default(),
            )
            .await;
        refused(&r, 400, "missing id_token");
    }
}

#[actix_web::test]
async fn deep_linking_places_the_picked_assessment_with_a_signed_response() {
    for app in spawn_apps(Some(&fixture_bank())).await {
        let (school, assessment) = seed_school(&app, Some("Mock B for the course"));
        let assessment = assessment.unwrap_or_default();
        let platform = TestPlatform::start(&app, &school).await;
        let (state, nonce) = login(&app, &platform).await;
        let r = launch(
            &app,
            &platform.sign(&deep_link_claims(&platform, &nonce, "Instructor")),
            &state,
        )
        .await;
        assert_eq!(r.status, 200, "{:?}: {}", app.db, r.body);
        assert!(r.body.contains("Mock B for the course"), "{}", r.body);
        let token = hidden(&r.body, "token");
        assert_eq!(hidden(&r.body, "assessment_id"), assessment);

        let r = app
            .post_form(
                "/lti/deep-link",
                &[
                    ("token", token.as_str()),
                    ("assessment_id", assessment.as_str()),
                ],
                &Default::default(),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(
            r.body
                .contains(&format!("action=\"{}/deep-link-return\"", platform.url)),
            "{}",
            r.body
        );
        let jwt = hidden(&r.body, "JWT");

        // The platform checks the response with the tool's published keys.
        let (_, jwks): (u16, Value) = app.get_json("/lti/jwks").await;
        let set: jsonwebtoken::jwk::JwkSet =
            serde_json::from_value(jwks).unwrap_or_else(|e| panic!("{e}"));
        let header = jsonwebtoken::decode_header(&jwt).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
        let kid = header.kid.unwrap_or_default();
        let jwk = set.find(&kid).unwrap_or_else(|| panic!("no key {kid}"));
        let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap_or_else(|e| panic!("{e}"));
        let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        v.set_audience(&[platform.issuer.as_str()]);
        v.set_issuer(&[CLIENT_ID]);
        let claims = jsonwebtoken::decode::<Value>(&jwt, &key, &v)
            .unwrap_or_else(|e| panic!("{e}"))
            .claims;
        let lti = |name: &str| {
            claims[format!("https://purl.imsglobal.org/spec/lti/claim/{name}")].clone()
        };
        assert_eq!(lti("message_type"), "LtiDeepLinkingResponse");
        assert_eq!(lti("version"), "1.3.0");
        assert_eq!(lti("deployment_id"), lti_platform::DEPLOYMENT_ID);
        assert_eq!(
            claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"],
            "opaque-42"
        );
        assert!(claims["nonce"].as_str().is_some_and(|n| !n.is_empty()));
        let items = &claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"];
        assert_eq!(items.as_array().map(Vec::len), Some(1), "{items}");
        let item = &items[0];
        assert_eq!(item["type"], "ltiResourceLink");
        assert_eq!(item["title"], "Mock B for the course");
        assert_eq!(item["url"], format!("{}/lti/launch", app.address));
        assert_eq!(item["custom"]["assessment_id"], assessment.as_str());
        assert_eq!(item["lineItem"]["label"], "Mock B for the course");
        assert!(
            item["lineItem"]["scoreMaximum"]
                .as_f64()
                .is_some_and(|m| m > 0.0)
        );

        // A pick works once.
        let r = app
            .post_form(
                "/lti/deep-link",
                &[
                    ("token", token.as_str()),
                    ("assessment_id", assessment.as_str()),
                ],
                &Default::default(),
            )
            .await;
        refused(&r, 401, "unknown pick");

        // Learners may not place content.
        let (state, nonce) = login(&app, &platform).await;
        let r = launch(
            &app,
            &platform.sign(&deep_link_claims(&platform, &nonce, "Learner")),
            &state,
        )
        .await;
        assert_eq!(r.status, 403, "{}", r.body);
    }
}

#[actix_web::test]
async fn the_tool_publishes_one_stable_rsa_key() {
    for app in spawn_apps(None).await {
        let (status, first): (u16, Value) = app.get_json("/lti/jwks").await;
        assert_eq!(status, 200);
        let key = &first["keys"][0];
        assert_eq!(key["kty"], "RSA");
        assert_eq!(key["alg"], "RS256");
        assert_eq!(key["use"], "sig");
        assert_eq!(key["e"], "AQAB");
        assert!(key["n"].as_str().is_some_and(|n| n.len() > 300), "{key}");
        let (_, second): (u16, Value) = app.get_json("/lti/jwks").await;
        assert_eq!(first, second);
    }
}

/// Runs `ags::deliver` on a blocking thread against the app's database.
async fn deliver(app: &TestApp, payload: Value) -> Result<(), String> {
    let url = app.database_url.clone();
    actix_web::web::block(move || {
        let db = tiku::storage::Db::connect(&url).map_err(|e| e.to_string())?;
        let mut c = db.conn().map_err(|e| e.to_string())?;
        tiku::lti::ags::deliver(&mut c, &payload)
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"))
}

#[actix_web::test]
async fn scores_are_posted_to_the_line_item_with_a_token_from_a_signed_assertion() {
    for app in spawn_apps(None).await {
        let (school, _) = seed_school(&app, None);
        let platform = TestPlatform::start(&app, &school).await;
        let lineitem = format!("{}?type_id=9", platform.lineitem(5));
        let payload = json!({
            "platform_id": platform.id,
            "lineitem": lineitem,
            "user_sub": "student-7",
            "score_given": 72.5,
            "score_maximum": 100.0,
            "attempt_id": "attempt-1",
            "timestamp": "2026-11-28T10:30:00Z",
        });
        deliver(&app, payload.clone())
            .await
            .unwrap_or_else(|e| panic!("{:?}: {e}", app.db));

        let assertions = platform.assertions();
        assert_eq!(assertions.len(), 1, "{assertions:?}");
        let claims = assertions[0].clone().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(claims["iss"], CLIENT_ID);
        assert_eq!(claims["sub"], CLIENT_ID);
        assert_eq!(claims["aud"], format!("{}/token", platform.url));

        let scores = platform.scores();
        assert_eq!(scores.len(), 1, "{scores:?}");
        let s = &scores[0];
        assert_eq!(s.path, "/lineitems/5/scores?type_id=9");
        assert_eq!(s.content_type, "application/vnd.ims.lis.v1.score+json");
        assert!(
            s.token_valid,
            "the bearer token was issued by the token endpoint"
        );
        assert_eq!(s.body["userId"], "student-7");
        assert_eq!(s.body["scoreGiven"], 72.5);
        assert_eq!(s.body["scoreMaximum"], 100.0);
        assert_eq!(s.body["activityProgress"], "Completed");
        assert_eq!(s.body["gradingProgress"], "FullyGraded");
        assert_eq!(s.body["timestamp"], "2026-11-28T10:30:00Z");

        // The next score reuses the access token; once the platform revokes it, a new one is asked.
        let mut second = payload.clone();
        second["user_sub"] = json!("student-8");
        deliver(&app, second.clone())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(platform.assertions().len(), 1, "the token was kept");
        platform.revoke_tokens();
        deliver(&app, second)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            platform.assertions().len(),
            2,
            "a new token after the refusal"
        );
        let scores = platform.scores();
        let valid: Vec<bool> = scores.iter().map(|s| s.token_valid).collect();
        assert_eq!(valid, [true, true, false, true]);
        assert_eq!(scores[3].body["userId"], "student-8");

        // A registration whose client id the platform does not know: the assertion is refused and
        // the delivery fails (to be retried), naming the token endpoint.
        let stranger = lti_platform::register(&app, &platform.url, "unknown-client", &school);
        let mut other = payload.clone();
        other["platform_id"] = json!(stranger);
        let err = deliver(&app, other).await.err().unwrap_or_default();
        assert!(err.contains("token endpoint"), "{err}");
        assert_eq!(platform.scores().len(), 4);
    }
}

#[test]
fn an_admin_registers_a_platform_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("data");
    let data = data.to_str().unwrap_or_else(|| panic!("path"));
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_tiku"))
            .args(args)
            .args(["--data-dir", data])
            .env_remove("TIKU_DATABASE_URL")
            .output()
            .unwrap_or_else(|e| panic!("running tiku: {e}"));
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let url = format!("sqlite://{data}/tiku.db");
    let db = tiku::storage::Db::connect(&url).unwrap_or_else(|e| panic!("{e}"));
    let mut c = db.conn().unwrap_or_else(|e| panic!("{e}"));
    let school = tiku::storage::schools::create(&mut c, "CLI school", None)
        .unwrap_or_else(|e| panic!("{e}"))
        .id;
    drop(c);
    let mut add = [
        "lti",
        "add-platform",
        "--school",
        "no-such-school",
        "--issuer",
        "https://moodle.example.edu",
        "--client-id",
        "abc123",
        "--deployment-id",
        "1",
        "--auth-url",
        "https://moodle.example.edu/mod/lti/auth.php",
        "--token-url",
        "https://moodle.example.edu/mod/lti/token.php",
        "--jwks-url",
        "https://moodle.example.edu/mod/lti/certs.php",
        "--public-url",
        "https://tiku.example.com/",
    ];
    let (ok, out) = run(&add);
    assert!(!ok && out.contains("no school no-such-school"), "{out}");
    add[3] = &school;
    let (ok, out) = run(&add);
    assert!(ok, "{out}");
    assert!(out.contains(&format!("for school {school}")), "{out}");
    assert!(
        out.contains("OIDC login initiation URL: https://tiku.example.com/lti/login"),
        "{out}"
    );
    assert!(out.contains("https://tiku.example.com/lti/jwks"), "{out}");
    let (ok, out) = run(&add);
    assert!(!ok, "the same issuer and client id twice: {out}");
    assert!(out.contains("already registered"), "{out}");
    let (ok, out) = run(&["lti", "list-platforms"]);
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!(
            "school {school}\thttps://moodle.example.edu\tclient abc123"
        )),
        "{out}"
    );
    let mut bad = add;
    bad[15] = "ftp://moodle.example.edu/certs";
    let (ok, out) = run(&bad);
    assert!(!ok && out.contains("--jwks-url"), "{out}");
}
