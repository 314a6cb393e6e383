//! The home page in both languages, the language switch and HTML error pages.

use super::helpers::{Db, fixture_bank, spawn_app};

#[actix_web::test]
async fn home_page_shows_the_bank_in_chinese_by_default() {
    let app = spawn_app(Db::Sqlite, Some(&fixture_bank())).await;
    let (status, html) = app.get("/").await;
    assert_eq!(status, 200);
    assert!(html.contains("lang=\"zh-CN\""), "{html}");
    assert!(html.contains("题库概况"), "the bank section is in Chinese");
    assert!(
        html.contains("贸易术语"),
        "the taxonomy is named in Chinese"
    );
    assert!(
        html.contains("<strong>6</strong>"),
        "six published items are counted: {html}"
    );
    assert!(html.contains("测试试卷A"), "blueprints are listed");
}

#[actix_web::test]
async fn the_language_switch_renders_english_and_remembers_it() {
    let app = spawn_app(Db::Sqlite, Some(&fixture_bank())).await;
    let resp = app
        .client
        .get(format!("{}/?lang=en", app.address))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let cookie = resp
        .headers()
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("lang="))
        .unwrap_or_else(|| panic!("no lang cookie"))
        .to_owned();
    assert!(cookie.starts_with("lang=en;"), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    let (_, html) = app.get("/?lang=en").await;
    assert!(html.contains("lang=\"en\""));
    assert!(html.contains("Incoterms 2020"), "taxonomy names in English");
    assert!(html.contains("Test paper A"));
    assert!(
        html.contains("hreflang=\"zh\""),
        "the switch offers Chinese"
    );
}

#[actix_web::test]
async fn unknown_pages_get_an_html_404() {
    let app = spawn_app(Db::Sqlite, None).await;
    let (status, html) = app.get("/no/such/page?lang=en").await;
    assert_eq!(status, 404);
    assert!(html.contains("Page not found"), "{html}");
    let (status, _) = app.get("/static/nope.js").await;
    assert_eq!(status, 404);
    let (status, css) = app.get("/static/app.css").await;
    assert_eq!(status, 200);
    assert!(css.contains("--accent"));
}
