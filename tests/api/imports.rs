//! Imports and exports through the API: all-or-nothing imports with line numbers, dry runs, drafts for
//! teachers, and round trips — on SQLite and PostgreSQL.

use serde_json::Value;
use tiku::domain::user::Role;

use super::helpers::{TestApp, bearer, fixture_bank, spawn_apps};

async fn item_count(app: &TestApp) -> u64 {
    let (_, s): (u16, Value) = app.get_json("/api/v1/bank/summary").await;
    s["items"].as_u64().unwrap_or_default()
}

const GOOD_CSV: &str = "id,subject,kind,tags,difficulty,rules,sources,stem_zh,stem_en,option_a_zh,option_a_en,option_b_zh,option_b_en,option_c_zh,option_c_en,answer,explanation_zh,explanation_en\n\
,A,single,T3.1,2,Incoterms 2020,\"Incoterms 2020, EXW A7\",EXW下谁办理出口清关？,Who clears the goods for export under EXW?,卖方,The seller,买方,The buyer,承运人,The carrier,b,EXW下出口清关由买方办理。,Under EXW the buyer clears for export.\n\
,A,true_false,T3.1,1,Incoterms 2020,\"Incoterms 2020, DDP A7\",DDP下卖方办理进口清关。,Under DDP the seller clears the goods for import.,,,,,,,true,DDP A7：卖方办理进口清关。,DDP A7: the seller clears for import.\n";

#[actix_web::test]
async fn a_spreadsheet_imports_as_drafts_after_a_dry_run() {
    for app in spawn_apps(Some(&fixture_bank())).await {
        app.add_user(Role::Teacher, "t", "teacher-password");
        let t = app.login("t", "teacher-password").await;
        let before = item_count(&app).await;
        let r = app
            .send_bytes(
                "POST",
                "/api/v1/imports?format=csv&dry_run=true",
                GOOD_CSV.as_bytes().to_vec(),
                &bearer(&t),
            )
            .await;
        assert_eq!(r.status, 200, "{:?}: {}", app.db, r.body);
        assert_eq!(r.json()["imported"], 2);
        assert_eq!(item_count(&app).await, before, "a dry run imports nothing");
        let r = app
            .send_bytes(
                "POST",
                "/api/v1/imports?format=csv",
                GOOD_CSV.as_bytes().to_vec(),
                &bearer(&t),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let body = r.json();
        assert_eq!(body["imported"], 2);
        assert_eq!(
            body["created"],
            serde_json::json!(["T3.1-0005", "T3.1-0006"])
        );
        assert_eq!(item_count(&app).await, before + 2);
        let item = app
            .send("GET", "/api/v1/items/T3.1-0005", None, &bearer(&t))
            .await
            .json();
        assert_eq!(item["status"], "draft", "teachers import drafts");
        let r = app
            .send_bytes(
                "POST",
                "/api/v1/imports?format=csv&keep_status=true",
                GOOD_CSV.as_bytes().to_vec(),
                &bearer(&t),
            )
            .await;
        assert_eq!(r.status, 403, "only admins keep statuses");
    }
}

#[actix_web::test]
async fn malformed_files_answer_422_with_lines_and_change_nothing() {
    for app in spawn_apps(Some(&fixture_bank())).await {
        app.add_user(Role::Teacher, "t", "teacher-password");
        let t = app.login("t", "teacher-password").await;
        let before = item_count(&app).await;
        let bad_row = GOOD_CSV.replacen(",b,EXW", ",z,EXW", 1);
        let bad_toml = "[[item]]\nid = \"X-1\"\nkind = \"single\n".to_owned();
        let cases: Vec<(&str, Vec<u8>, usize)> = vec![
            ("csv", bad_row.into_bytes(), 2),
            ("bank", bad_toml.into_bytes(), 3),
            ("xlsx", b"this is not a workbook".to_vec(), 1),
            (
                "csv",
                b"kind,stem_zh,stem_en,colour\nsingle,a,b,c\n".to_vec(),
                1,
            ),
            (
                "gift",
                "// a comment\n::q1:: 谁负责出口清关？ {=卖方 ~买方}\n\n::q2:: FOB 是 E 组术语吗？ {FALSE\n"
                    .as_bytes()
                    .to_vec(),
                4,
            ),
            (
                "moodle_xml",
                b"<?xml version=\"1.0\"?>\n<quiz>\n<question type=\"truefalse\">\n<name><text>q</text></name>\n</quiz>\n"
                    .to_vec(),
                5,
            ),
        ];
        for (format, body, line) in cases {
            let r = app
                .send_bytes(
                    "POST",
                    &format!("/api/v1/imports?format={format}"),
                    body,
                    &bearer(&t),
                )
                .await;
            assert_eq!(r.status, 422, "{:?} {format}: {}", app.db, r.body);
            let j = r.json();
            assert_eq!(j["imported"], 0);
            let errors = j["errors"].as_array().cloned().unwrap_or_default();
            assert!(
                errors.iter().any(|e| e["line"] == line),
                "{format}: expected an error at line {line}: {errors:?}"
            );
            assert!(
                errors
                    .iter()
                    .all(|e| e["message"].as_str().is_some_and(|m| !m.is_empty()))
            );
        }
        assert_eq!(
            item_count(&app).await,
            before,
            "{:?}: nothing was imported",
            app.db
        );
    }
}

#[actix_web::test]
async fn exporting_and_reimporting_the_whole_bank_changes_nothing() {
    for app in spawn_apps(Some(&fixture_bank())).await {
        app.add_user(Role::Admin, "root", "admin-password");
        let a = app.login("root", "admin-password").await;
        let file = app
            .send("GET", "/api/v1/exports?format=bank", None, &bearer(&a))
            .await;
        assert_eq!(file.status, 200);
        assert!(file.headers.get("content-disposition").is_some());
        assert_eq!(file.body.matches("[[item]]").count(), 6, "{}", file.body);
        let r = app
            .send_bytes(
                "POST",
                "/api/v1/imports?format=bank&keep_status=true",
                file.body.into_bytes(),
                &bearer(&a),
            )
            .await;
        assert_eq!(r.status, 200, "{:?}: {}", app.db, r.body);
        let j = r.json();
        assert_eq!(j["imported"], 0, "{j}");
        assert_eq!(j["unchanged"].as_array().map(Vec::len), Some(6), "{j}");

        // The spreadsheet carries the items that fit a row, unchanged as well.
        let x = app
            .send("GET", "/api/v1/exports?format=xlsx", None, &bearer(&a))
            .await;
        assert_eq!(x.status, 200);
        let not_exported = x
            .headers
            .get("x-tiku-not-exported")
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(
            not_exported.contains("B2-0001"),
            "the case does not fit a row: {not_exported}"
        );

        // Moodle's formats bring back what they carry unchanged, and name what they cannot carry.
        for format in ["gift", "moodle_xml"] {
            let file = app
                .send(
                    "GET",
                    &format!("/api/v1/exports?format={format}"),
                    None,
                    &bearer(&a),
                )
                .await;
            assert_eq!(file.status, 200, "{format}");
            assert!(
                file.headers
                    .get("x-tiku-not-exported")
                    .and_then(|h| h.to_str().ok())
                    .is_some_and(|h| h.contains("B2-0001")),
                "{format}"
            );
            let r = app
                .send_bytes(
                    "POST",
                    &format!("/api/v1/imports?format={format}&keep_status=true"),
                    file.body.into_bytes(),
                    &bearer(&a),
                )
                .await;
            assert_eq!(r.status, 200, "{:?} {format}: {}", app.db, r.body);
            let j = r.json();
            assert_eq!(j["imported"], 0, "{format}: {j}");
            assert_eq!(
                j["unchanged"].as_array().map(Vec::len),
                Some(5),
                "{format}: {j}"
            );
        }
    }
}
