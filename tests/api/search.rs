//! Search over HTTP: the API's shape and validation, candidates seeing published items only, the search
//! page, changes becoming searchable within a second, and an index rebuilt when it is missing or corrupt.

use std::time::{Duration, Instant};

use serde_json::Value;
use tiku::domain::Status;
use tiku::storage::items;

use super::helpers::{Db, fixture_bank, spawn_app, spawn_apps};

#[actix_web::test]
async fn the_api_finds_items_across_languages_with_facets() {
    for app in spawn_apps(Some(&fixture_bank())).await {
        for q in ["FOB", "free%20on%20board", "%E7%A6%BB%E5%B2%B8%E4%BB%B7"] {
            let (status, body): (u16, Value) = app.get_json(&format!("/api/v1/search?q={q}")).await;
            assert_eq!(status, 200, "{:?} {q}: {body}", app.db);
            let ids: Vec<&str> = body["hits"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|h| h["id"].as_str())
                .collect();
            assert!(ids.contains(&"T3.1-0001"), "{:?} {q}: {body}", app.db);
            let hit = &body["hits"][0];
            for field in [
                "id",
                "version",
                "subject",
                "kind",
                "tags",
                "difficulty",
                "stem_zh",
                "stem_en",
                "snippet_zh",
                "snippet_en",
                "score",
            ] {
                assert!(!hit[field].is_null(), "{field} missing: {hit}");
            }
            assert!(body["took_ms"].is_number());
            assert!(body["facets"]["kind"].is_object(), "{body}");
        }
        let (_, body): (u16, Value) = app
            .get_json("/api/v1/search?q=FOB&subject=B&kind=case")
            .await;
        assert_eq!(body["total"], 1, "{:?}: {body}", app.db);
        assert_eq!(body["hits"][0]["id"], "B2-0001");
    }
}

#[actix_web::test]
async fn invalid_parameters_are_400_naming_the_field() {
    let app = spawn_app(Db::Sqlite, Some(&fixture_bank())).await;
    for (query, field) in [
        ("kind=essay", "kind"),
        ("difficulty=9", "difficulty"),
        ("tag=X1", "tag"),
        ("per_page=1000", "per_page"),
        ("subject=C", "subject"),
    ] {
        let (status, body): (u16, Value) = app.get_json(&format!("/api/v1/search?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["error"]["field"], field, "{query}: {body}");
    }
}

#[actix_web::test]
async fn candidates_never_see_drafts_or_keys_in_search() {
    let app = spawn_app(Db::Sqlite, Some(&fixture_bank())).await;
    let (_, body): (u16, Value) = app.get_json("/api/v1/search?q=FOB&per_page=100").await;
    let text = body.to_string();
    for secret in [
        "\"answer\"",
        "\"explanation",
        "\"key\"",
        "\"accept\"",
        "model_answer",
    ] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    let (_, body): (u16, Value) = app.get_json("/api/v1/search?status=draft").await;
    assert_eq!(body["total"], 0, "{body}");
}

#[actix_web::test]
async fn a_saved_change_is_searchable_within_a_second() {
    for app in spawn_apps(Some(&fixture_bank())).await {
        let db = tiku::storage::Db::connect(&app.database_url).unwrap_or_else(|e| panic!("{e}"));
        let mut conn = db.conn().unwrap_or_else(|e| panic!("{e}"));
        let mut item = items::get(&mut conn, "T3.1-0002", None)
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("item"))
            .item;
        item.sources.push("zebracrossing".into());
        if let tiku::domain::Body::Question(q) = &mut item.body {
            q.stem.en.push_str(" (quokka)");
        }
        let saved = Instant::now();
        items::save_new_version(&mut conn, &item, Status::Published, "teacher:1")
            .unwrap_or_else(|e| panic!("{e}"));
        loop {
            let (_, body): (u16, Value) = app.get_json("/api/v1/search?q=quokka").await;
            if body["total"] == 1 {
                assert_eq!(body["hits"][0]["version"], 2, "{:?}", app.db);
                break;
            }
            assert!(
                saved.elapsed() < Duration::from_secs(1),
                "{:?}: not searchable after 1 s",
                app.db
            );
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[actix_web::test]
async fn the_search_page_works_without_javascript() {
    let app = spawn_app(Db::Sqlite, Some(&fixture_bank())).await;
    let (status, html) = app.get("/search?q=FOB&lang=en").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("<form class=\"search\" method=\"get\" action=\"/search\""),
        "{html}"
    );
    assert!(html.contains("T3.1-0001"), "{html}");
    assert!(html.contains("<b>FOB</b>"), "highlighted: {html}");
    assert!(
        html.contains("Knowledge point"),
        "filters are offered: {html}"
    );
    let (status, html) = app.get("/search?kind=essay").await;
    assert_eq!(status, 200, "a bad filter is explained on the page");
    assert!(html.contains("class=\"error\""), "{html}");
}

#[test]
fn a_missing_or_corrupt_index_is_rebuilt_from_the_database() {
    use tiku::domain::glossary::Glossary;
    use tiku::search::{Audience, SearchIndex, SearchRequest, sync};

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = tiku::storage::Db::connect(&format!("sqlite://{}", dir.path().join("t.db").display()))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut conn = db.conn().unwrap_or_else(|e| panic!("{e}"));
    let loaded = tiku::bank::load(&fixture_bank());
    items::import_bank(&mut conn, &loaded.bank, items::BANK_ACTOR, false)
        .unwrap_or_else(|e| panic!("{e}"));
    let index_dir = dir.path().join("index");
    let open = || {
        SearchIndex::open(
            &index_dir,
            loaded.bank.taxonomy.clone(),
            Glossary::new(loaded.bank.glossary.clone()),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    };
    let found = |index: &SearchIndex| {
        index
            .search(&SearchRequest::new("FOB", Audience::Public))
            .unwrap_or_else(|e| panic!("{e}"))
            .total
    };

    let (index, fresh) = open();
    assert!(fresh, "a missing index must be rebuilt");
    sync::rebuild(&index, &mut conn).unwrap_or_else(|e| panic!("{e}"));
    let expected = found(&index);
    assert!(expected > 0);
    drop(index);

    let (index, fresh) = open();
    assert!(!fresh, "a current index is reused");
    assert_eq!(found(&index), expected);
    drop(index);

    // Corrupt it: the metadata no longer parses.
    std::fs::write(index_dir.join("meta.json"), b"{ not json").unwrap_or_else(|e| panic!("{e}"));
    let (index, fresh) = open();
    assert!(fresh, "a corrupt index must be rebuilt");
    assert_eq!(found(&index), 0, "nothing until rebuilt");
    sync::rebuild(&index, &mut conn).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(found(&index), expected, "nothing was lost");
}
