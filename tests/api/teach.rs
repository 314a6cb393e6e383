//! The teachers' area over HTTP: writing an item in the editor (with field errors), the review workflow
//! (no approving one's own item), versions and diffs, and what candidates see afterwards.

use std::time::{Duration, Instant};

use tiku::domain::user::Role;

use super::helpers::{As, Db, bearer, fixture_bank, spawn_app, spawn_apps};

fn item_fields<'a>(csrf: &'a str, stem_en: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("op", "save"),
        ("kind", "single"),
        ("subject", "A"),
        ("difficulty", "2"),
        ("primary_tag", "T3.1"),
        ("tags", "T11.1"),
        ("rules", "Incoterms 2020"),
        ("sources", "Incoterms 2020, FCA A2"),
        ("q.kind", "single"),
        (
            "q.stem_zh",
            "按《2020通则》，FCA术语下卖方在自己的处所交货时，是否负责装货？",
        ),
        ("q.stem_en", stem_en),
        ("q.o0.id", "a"),
        ("q.o0.zh", "负责装上买方的运输工具"),
        ("q.o0.en", "Yes, onto the buyer's means of transport"),
        ("q.o1.id", "b"),
        ("q.o1.zh", "不负责装货"),
        ("q.o1.en", "No, never"),
        ("q.o2.id", "c"),
        ("q.o2.zh", "由承运人决定"),
        ("q.o2.en", "The carrier decides"),
        ("q.answer", "a"),
        (
            "q.expl_zh",
            "FCA A2：在卖方处所交货时，卖方须将货物装上买方提供的运输工具。",
        ),
        (
            "q.expl_en",
            "FCA A2: when delivery is at the seller's premises, the seller loads the goods onto the buyer's means of transport.",
        ),
    ]
}

#[actix_web::test]
async fn a_teacher_writes_an_item_a_colleague_approves_it_and_candidates_find_it() {
    for app in spawn_apps(Some(&fixture_bank())).await {
        app.add_user(Role::Teacher, "author", "author-password");
        app.add_user(Role::Teacher, "reviewer", "reviewer-password");
        let author = app.browser("author", "author-password").await;
        let reviewer = app.browser("reviewer", "reviewer-password").await;
        let csrf = author.csrf.clone().unwrap_or_default();

        // The editor shows field errors where they are.
        let page = app
            .send("GET", "/teach/items/new?kind=single", None, &author)
            .await;
        assert_eq!(page.status, 200, "{:?}", app.db);
        assert!(page.body.contains("name=\"q.stem_zh\""));
        // A draft may be saved with one language still missing, but it cannot go to review like that.
        let r = app
            .post_form("/teach/items/new", &item_fields(&csrf, ""), &author)
            .await;
        let errs: Vec<&str> = r
            .body
            .match_indices("class=\"field-")
            .map(|(i, _)| &r.body[i..(i + 160).min(r.body.len())])
            .collect();
        assert_eq!(r.status, 303, "{:?}: {errs:?}", app.db);
        let page = app
            .send("GET", "/teach/items/T3.1-0005", None, &author)
            .await;
        assert!(
            page.body.contains("missing translation"),
            "the page says what is missing"
        );
        let r = app
            .post_form(
                "/teach/items/T3.1-0005/workflow",
                &[("csrf", &csrf), ("op", "submit")],
                &author,
            )
            .await;
        let flash = r
            .headers
            .get("location")
            .and_then(|l| l.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(
            flash.contains("not+complete") || flash.contains("not%20complete"),
            "{flash}"
        );
        let mut bad = item_fields(&csrf, "Under FCA …");
        bad.retain(|(k, _)| *k != "q.answer");
        bad.push(("q.answer", "z"));
        let r = app.post_form("/teach/items/new", &bad, &author).await;
        assert_eq!(r.status, 400);
        assert!(
            r.body.contains("is not among the options (a, b, c)"),
            "{}",
            r.body
        );

        // A valid item is saved as a draft with the next id of its primary tag.
        let r = app
            .post_form("/teach/items/new", &item_fields(&csrf, "Under Incoterms 2020 FCA, must the seller load the goods when delivering at its own premises?"), &author)
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let location = r
            .headers
            .get("location")
            .and_then(|l| l.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(
            location.starts_with("/teach/items/T3.1-0006?saved=1"),
            "{location}"
        );
        let id = "T3.1-0006";

        // Submit for review; the author cannot approve; a colleague can.
        let r = app
            .post_form(
                &format!("/teach/items/{id}/workflow"),
                &[("csrf", &csrf), ("op", "submit")],
                &author,
            )
            .await;
        assert_eq!(r.status, 303);
        let own = app
            .post_form(
                &format!("/teach/items/{id}/workflow"),
                &[("csrf", &csrf), ("op", "approve")],
                &author,
            )
            .await;
        let flash = own
            .headers
            .get("location")
            .and_then(|l| l.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(
            flash.contains("another+teacher") || flash.contains("another%20teacher"),
            "{flash}"
        );
        let page = app
            .send("GET", &format!("/teach/items/{id}"), None, &author)
            .await;
        assert!(
            page.body.contains("In review") || page.body.contains("待审核"),
            "still in review"
        );
        let r = app
            .post_form(
                &format!("/teach/items/{id}/workflow"),
                &[
                    ("csrf", reviewer.csrf.as_deref().unwrap_or_default()),
                    ("op", "approve"),
                ],
                &reviewer,
            )
            .await;
        assert_eq!(r.status, 303);

        // Candidates find it by search within a second and see it without its key.
        let started = Instant::now();
        loop {
            let r = app
                .send("GET", "/api/v1/search?q=FCA%20load", None, &As::default())
                .await;
            if r.json()["hits"]
                .as_array()
                .is_some_and(|h| h.iter().any(|x| x["id"] == id))
            {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "{:?}: not searchable",
                app.db
            );
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
        app.add_user(Role::Candidate, "cand@example.com", "candidate-pass");
        let cand = app.login("cand@example.com", "candidate-pass").await;
        let view = app
            .send("GET", &format!("/api/v1/items/{id}"), None, &bearer(&cand))
            .await;
        assert_eq!(view.status, 200);
        assert!(!view.body.contains("\"answer\""), "{}", view.body);
        assert!(
            !view.body.contains("FCA A2"),
            "no explanation: {}",
            view.body
        );
        let full = app
            .send("GET", &format!("/api/v1/items/{id}"), None, &reviewer)
            .await
            .json();
        assert_eq!(full["status"], "published");
        assert_eq!(full["item"]["body"]["response"]["key"], "a");

        // An edit makes version 2 as a draft; candidates keep seeing version 1; the diff shows the change.
        let mut fields = item_fields(
            &csrf,
            "Under Incoterms 2020 FCA, must the seller load the goods when delivering at its own premises?",
        );
        fields.retain(|(k, _)| *k != "q.o1.en");
        fields.push(("q.o1.en", "No, the buyer always loads"));
        let r = app
            .post_form(&format!("/teach/items/{id}/edit"), &fields, &author)
            .await;
        assert_eq!(r.status, 303, "{}", &r.body[..r.body.len().min(500)]);
        let full = app
            .send("GET", &format!("/api/v1/items/{id}"), None, &reviewer)
            .await
            .json();
        assert_eq!(
            (full["version"].as_u64(), full["status"].as_str()),
            (Some(2), Some("draft"))
        );
        assert_eq!(full["published_version"], 1);
        let view = app
            .send("GET", &format!("/api/v1/items/{id}"), None, &bearer(&cand))
            .await
            .json();
        assert_eq!(view["version"], 1, "candidates see the published version");
        let diff = app
            .send(
                "GET",
                &format!("/teach/items/{id}/diff?from=1&to=2"),
                None,
                &author,
            )
            .await;
        assert_eq!(diff.status, 200);
        assert!(diff.body.contains("class=\"changed\""), "{}", diff.body);
        assert!(diff.body.contains("the buyer always loads"));

        // Saving without a change makes no version.
        let r = app
            .post_form(&format!("/teach/items/{id}/edit"), &fields, &author)
            .await;
        assert!(
            r.headers
                .get("location")
                .and_then(|l| l.to_str().ok())
                .is_some_and(|l| l.contains("unchanged"))
        );
    }
}

#[actix_web::test]
async fn the_teachers_area_is_for_staff_only() {
    let app = spawn_app(Db::Sqlite, Some(&fixture_bank())).await;
    let r = app
        .send("GET", "/teach/items/new", None, &As::default())
        .await;
    assert_eq!(r.status, 303, "visitors are sent to the login page");
    assert!(
        r.headers
            .get("location")
            .and_then(|l| l.to_str().ok())
            .is_some_and(|l| l.starts_with("/login?next="))
    );
    app.add_user(Role::Candidate, "c@example.com", "candidate-pass");
    let cand = app.browser("c@example.com", "candidate-pass").await;
    assert_eq!(
        app.send("GET", "/teach/items/T3.1-0001", None, &cand)
            .await
            .status,
        403
    );
    let r = app
        .post_form(
            "/teach/items/T3.1-0001/workflow",
            &[
                ("csrf", cand.csrf.as_deref().unwrap_or_default()),
                ("op", "retire"),
            ],
            &cand,
        )
        .await;
    assert_eq!(r.status, 403);
    app.add_user(Role::Teacher, "t", "teacher-password");
    let teacher = app.browser("t", "teacher-password").await;
    let r = app
        .post_form(
            "/teach/items/T3.1-0001/workflow",
            &[("csrf", "forged"), ("op", "retire")],
            &teacher,
        )
        .await;
    assert_eq!(r.status, 403, "a forged CSRF token is refused");
    let full = app
        .send("GET", "/api/v1/items/T3.1-0001", None, &teacher)
        .await
        .json();
    assert_eq!(full["status"], "published", "nothing changed");
}
