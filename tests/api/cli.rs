//! The `tiku` binary's commands: `check` (text and JSON) and `import`.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::helpers::{copy_dir, fixture_bank};

fn tiku(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tiku"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running tiku: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap_or_else(|| panic!("non-UTF-8 path"))
}

#[test]
fn check_passes_on_a_valid_bank_and_prints_the_summary_as_json() {
    let bank = fixture_bank();
    let (code, text) = tiku(&["check", path(&bank)]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("0 errors"), "{text}");

    let (code, json) = tiku(&["check", path(&bank), "--json"]);
    assert_eq!(code, 0, "{json}");
    let v: Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert_eq!(v["published"], 6);
    assert_eq!(v["by_kind"]["single"], 1);
    assert_eq!(v["case_parts"], 5);
    assert_eq!(v["errors"], Value::Array(vec![]));
    assert!(v["warnings"].is_array());
}

#[test]
fn check_fails_on_an_item_file_duplicated_under_a_new_name_naming_both_files() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let bank = dir.path().join("bank");
    copy_dir(&fixture_bank(), &bank);
    std::fs::copy(
        bank.join("items/A-T3.1.toml"),
        bank.join("items/A-T3.1-copy.toml"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let (code, text) = tiku(&["check", path(&bank)]);
    assert_ne!(code, 0, "{text}");
    assert!(
        text.contains("items/A-T3.1-copy.toml:3: error: duplicate id T3.1-0001: also defined at items/A-T3.1.toml:3"),
        "{text}"
    );
    assert!(
        text.contains("items/A-T3.1.toml:3: error: duplicate id T3.1-0001: also defined at items/A-T3.1-copy.toml:3"),
        "{text}"
    );

    let (code, json) = tiku(&["check", path(&bank), "--json"]);
    assert_ne!(code, 0);
    let v: Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    let errors = v["errors"].as_array().cloned().unwrap_or_default();
    assert!(
        errors
            .iter()
            .any(|e| e["file"] == "items/A-T3.1-copy.toml" && e["line"] == 3),
        "{json}"
    );
}

#[test]
fn check_passes_on_the_shipped_bank_and_fails_when_a_file_is_duplicated() {
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("question-bank");
    let (code, text) = tiku(&["check", path(&shipped)]);
    assert_eq!(code, 0, "{text}");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let bank = dir.path().join("question-bank");
    copy_dir(&shipped, &bank);
    std::fs::copy(
        bank.join("items/A/T5.3.toml"),
        bank.join("items/A/T5.3 (copy).toml"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let (code, text) = tiku(&["check", path(&bank)]);
    assert_ne!(code, 0, "{text}");
    assert!(text.contains("items/A/T5.3 (copy).toml:"), "{text}");
    assert!(
        text.contains("also defined at items/A/T5.3.toml:"),
        "{text}"
    );
}

#[test]
fn check_reports_every_problem_with_its_line() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let bank = dir.path().join("bank");
    copy_dir(&fixture_bank(), &bank);
    std::fs::write(
        bank.join("items/bad.toml"),
        r#"[[item]]
id = "X-0001"
subject = "A"
kind = "single"
tags = ["T99.9"]
difficulty = 2
rules = ["Incoterms 2010"]
sources = ["x"]
status = "published"
stem.zh = "题干"
options = [
  { id = "a", zh = "甲", en = "A" },
  { id = "b", zh = "乙", en = "B" },
  { id = "c", zh = "丙", en = "C" },
]
answer = "e"
explanation.zh = "解析"
explanation.en = "Why"

[[item]]
id = "X-0002"
subject = "A"
kind = "numeric"
tags = ["T3.3"]
difficulty = 2
rules = ["Incoterms 2020"]
sources = ["x"]
stem.zh = "算"
stem.en = "Compute"
answer = 12.5
explanation.zh = "解析"
explanation.en = "Why"
"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let (code, text) = tiku(&["check", path(&bank)]);
    assert_ne!(code, 0);
    for expected in [
        "items/bad.toml:5: error: item X-0001: unknown tag T99.9",
        "items/bad.toml:7: error: item X-0001 tests `Incoterms 2010`, which Incoterms 2020 has superseded",
        "items/bad.toml:10: error: item X-0001: missing translation: stem has no English (en)",
        "items/bad.toml:16: error: item X-0001: key `e` is not among the options (a, b, c)",
        "items/bad.toml:20: error: item X-0002: numeric item without `tolerance`",
    ] {
        assert!(text.contains(expected), "missing «{expected}» in:\n{text}");
    }
}

#[test]
fn check_reports_a_blueprint_the_bank_cannot_fill() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let bank = dir.path().join("bank");
    copy_dir(&fixture_bank(), &bank);
    let path_a = bank.join("blueprints/A.toml");
    let text = std::fs::read_to_string(&path_a).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        &path_a,
        text.replacen("count = 1\npoints = 1", "count = 3\npoints = 1", 1),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let (code, text) = tiku(&["check", path(&bank)]);
    assert_ne!(code, 0);
    assert!(
        text.contains("blueprints/A.toml:2: error: blueprint A asks for more than the bank holds: subject A section 1 needs 3 published single items worth 1 points, the bank has 1"),
        "{text}"
    );
}

#[test]
fn import_is_idempotent_and_refuses_a_broken_bank() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let bank = fixture_bank();
    let (code, out) = tiku(&[
        "import",
        "--format",
        "bank",
        path(&bank),
        "--database-url",
        &url,
        "--dry-run",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("dry run: nothing was changed"), "{out}");
    let (code, out) = tiku(&[
        "import",
        "--format",
        "bank",
        path(&bank),
        "--database-url",
        &url,
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("\"T3.1-0001\""),
        "created items are listed: {out}"
    );
    let (code, out) = tiku(&[
        "import",
        "--format",
        "bank",
        path(&bank),
        "--database-url",
        &url,
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("\"unchanged\": 6"), "{out}");

    let broken = dir.path().join("broken");
    copy_dir(&fixture_bank(), &broken);
    std::fs::write(broken.join("items/x.toml"), "[[item]\n").unwrap_or_else(|e| panic!("{e}"));
    let (code, out) = tiku(&[
        "import",
        "--format",
        "bank",
        path(&broken),
        "--database-url",
        &url,
    ]);
    assert_ne!(code, 0);
    assert!(out.contains("items/x.toml:1"), "{out}");
    assert!(out.contains("nothing imported"), "{out}");
}
