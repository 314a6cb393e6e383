//! Stored XSS: script in every text field of an item (and in an account's name) is neutralised on every
//! page that shows it.

use tiku::domain::user::Role;

use super::helpers::{As, Db, bearer, fixture_bank, spawn_app};

const ATTACKS: [&str; 5] = [
    "<script>alert('xss-1')</script>",
    "<img src=x onerror=alert('xss-2')>",
    "[click](javascript:alert('xss-3'))",
    "<a href=\"javascript:alert('xss-4')\">x</a>",
    "<svg onload=alert('xss-5')>",
];

/// Real tags that would run script: `<script>`, `<svg>`, `<iframe>`, event-handler attributes, or
/// `javascript:` URLs inside a tag. Escaped text (`&lt;script&gt;`, a textarea's content) is harmless.
fn dangerous(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    let lower = html.to_lowercase();
    let mut rest = lower.as_str();
    let mut offset = 0;
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        let end = after.find('>').unwrap_or(after.len());
        let tag = &after[..end];
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        let bad_name = matches!(
            name.as_str(),
            "script" | "svg" | "iframe" | "object" | "embed"
        );
        let bad_attr = tag.split_whitespace().skip(1).any(|a| {
            (a.starts_with("on") && a.contains('='))
                || ["href=", "src=", "action=", "formaction="].iter().any(|p| {
                    a.strip_prefix(p).is_some_and(|v| {
                        v.trim_start_matches(['"', '\'']).starts_with("javascript:")
                    })
                })
        });
        if bad_name || bad_attr {
            // The page's own script tag for the editor is allowed.
            if !(name == "script" && tag.contains("src=\"/static/")) {
                let at = offset + start;
                found.push(html[at..(at + 80).min(html.len())].to_owned());
            }
        }
        offset += start + 1;
        rest = after;
    }
    found
}

#[actix_web::test]
async fn script_in_any_field_never_runs_on_any_page() {
    let app = spawn_app(Db::Sqlite, Some(&fixture_bank())).await;
    app.add_user(
        Role::Teacher,
        "<script>alert('name')</script>",
        "teacher-password",
    );
    app.add_user(Role::Teacher, "reviewer", "reviewer-password");
    let t = app
        .browser("<script>alert('name')</script>", "teacher-password")
        .await;
    let r2 = app.browser("reviewer", "reviewer-password").await;
    let csrf = t.csrf.clone().unwrap_or_default();
    let evil = ATTACKS.join(" ");
    let fields: Vec<(&str, String)> = vec![
        ("csrf", csrf.clone()),
        ("op", "save".into()),
        ("kind", "single".into()),
        ("subject", "A".into()),
        ("difficulty", "2".into()),
        ("primary_tag", "T3.1".into()),
        ("rules", "Incoterms 2020".into()),
        ("sources", evil.clone()),
        ("q.kind", "single".into()),
        ("q.stem_zh", format!("题干 {evil}")),
        ("q.stem_en", format!("Stem {evil}")),
        ("q.o0.id", "a".into()),
        ("q.o0.zh", format!("甲 {evil}")),
        ("q.o0.en", format!("A {evil}")),
        ("q.o1.id", "b".into()),
        ("q.o1.zh", "乙".into()),
        ("q.o1.en", "B".into()),
        ("q.o2.id", "c".into()),
        ("q.o2.zh", "丙".into()),
        ("q.o2.en", "C".into()),
        ("q.answer", "a".into()),
        ("q.expl_zh", format!("解析 {evil}")),
        ("q.expl_en", format!("Why {evil}")),
    ];
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = app.post_form("/teach/items/new", &pairs, &t).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let id = "T3.1-0005";
    // Preview (server-side) of the same text.
    let mut preview = pairs.clone();
    preview.retain(|(k, _)| *k != "op");
    preview.push(("op", "preview"));
    let p = app.post_form("/teach/items/new", &preview, &t).await;
    assert!(
        dangerous(&p.body).is_empty(),
        "editor preview: {:?}",
        dangerous(&p.body)
    );
    // Submit and approve so candidates' pages show it too.
    app.post_form(
        &format!("/teach/items/{id}/workflow"),
        &[("csrf", &csrf), ("op", "submit")],
        &t,
    )
    .await;
    app.post_form(
        &format!("/teach/items/{id}/workflow"),
        &[
            ("csrf", r2.csrf.as_deref().unwrap_or_default()),
            ("op", "approve"),
        ],
        &r2,
    )
    .await;
    actix_web::rt::time::sleep(std::time::Duration::from_millis(600)).await;

    // A candidate with a hostile name answers it and reports it with a hostile message.
    let cand_id = app.add_user(Role::Candidate, "evil@example.com", "candidate-password");
    {
        let db = tiku::storage::Db::connect(&app.database_url).unwrap_or_else(|e| panic!("{e}"));
        let mut c = db.conn().unwrap_or_else(|e| panic!("{e}"));
        let version = tiku::storage::items::get_published(&mut c, id)
            .unwrap_or_else(|e| panic!("{e}"))
            .map(|s| s.version)
            .unwrap_or_else(|| panic!("{id} is published"));
        tiku::storage::responses::record(
            &mut c,
            &tiku::storage::responses::NewResponse {
                user_id: &cand_id,
                item_id: id,
                version,
                question_id: id,
                variant: 0,
                answer: &serde_json::json!("a"),
                mark: tiku::domain::scoring::Mark {
                    awarded: 1,
                    max: 1,
                    state: tiku::domain::scoring::MarkState::Auto,
                },
                seconds: None,
                context: tiku::storage::responses::Context::Practice,
                attempt_id: None,
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
    let cand = app.browser("evil@example.com", "candidate-password").await;
    let filed = app
        .post_form(
            &format!("/items/{id}/report"),
            &[
                ("csrf", cand.csrf.as_deref().unwrap_or_default()),
                ("message", &evil),
            ],
            &cand,
        )
        .await;
    assert_eq!(filed.status, 303, "{}", filed.body);

    let pages = [
        (format!("/items/{id}"), &cand),
        (
            format!(
                "/items/{id}?report={}",
                "%3Cscript%3Ealert(1)%3C%2Fscript%3E"
            ),
            &cand,
        ),
        ("/teach".to_owned(), &t),
        ("/teach/reports".to_owned(), &t),
        ("/teach/stats".to_owned(), &t),
        ("/search?status=".to_owned(), &t),
        (format!("/teach/items/{id}/regrade"), &t),
        (format!("/teach/items/{id}"), &t),
        (format!("/teach/items/{id}/edit"), &t),
        (format!("/teach/items/{id}/versions/1"), &t),
        ("/search?q=Stem".to_owned(), &t),
        ("/search?q=Stem&lang=en".to_owned(), &As::default()),
        ("/".to_owned(), &t),
    ];
    for (path, who) in pages {
        let r = app.send("GET", &path, None, who).await;
        assert_eq!(r.status, 200, "{path}");
        assert!(
            dangerous(&r.body).is_empty(),
            "{path}: {:?}",
            dangerous(&r.body)
        );
    }
    // The JSON API returns the text as data (JSON-escaped, never rendered by us as HTML) …
    let api = app
        .send(
            "GET",
            &format!("/api/v1/items/{id}"),
            None,
            &bearer(&app.login("reviewer", "reviewer-password").await),
        )
        .await;
    assert_eq!(api.status, 200);
    // … and the snippets it returns as HTML are escaped.
    let s = app
        .send("GET", "/api/v1/search?q=Stem", None, &As::default())
        .await
        .json();
    for h in s["hits"].as_array().cloned().unwrap_or_default() {
        for f in ["snippet_zh", "snippet_en"] {
            let html = h[f].as_str().unwrap_or_default();
            assert!(dangerous(html).is_empty(), "{f}: {html}");
        }
    }
    // The Markdown preview endpoint sanitises too.
    let r = app
        .send(
            "POST",
            "/api/v1/preview",
            Some(serde_json::json!({"text": evil})),
            &t,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(dangerous(r.json()["html"].as_str().unwrap_or_default()).is_empty());
}
