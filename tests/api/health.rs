//! Health, the OpenAPI document and API error conventions.

use serde_json::Value;

use super::helpers::spawn_apps;

#[actix_web::test]
async fn healthz_answers_ok_on_every_backend() {
    for app in spawn_apps(None).await {
        let (status, body): (u16, Value) = app.get_json("/healthz").await;
        assert_eq!(status, 200, "{:?}", app.db);
        assert_eq!(body["status"], "ok", "{:?}", app.db);
    }
}

#[actix_web::test]
async fn openapi_describes_every_json_endpoint() {
    let app = super::helpers::spawn_app(super::helpers::Db::Sqlite, None).await;
    let (status, doc): (u16, Value) = app.get_json("/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "{doc}"
    );
    for path in ["/healthz", "/api/v1/bank/summary"] {
        assert!(
            doc["paths"][path]["get"].is_object(),
            "{path} missing from {doc}"
        );
    }
    assert!(
        doc["components"]["schemas"]["BankSummary"].is_object(),
        "{doc}"
    );
}

#[actix_web::test]
async fn unknown_api_paths_answer_json_errors() {
    let app = super::helpers::spawn_app(super::helpers::Db::Sqlite, None).await;
    let (status, body): (u16, Value) = app.get_json("/api/v1/no-such-thing").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found", "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
}
