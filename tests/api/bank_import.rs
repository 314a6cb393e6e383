//! Importing the bank files into storage: first import, idempotence, versions, conflicts, dry runs, and
//! the all-or-nothing rule — on SQLite and PostgreSQL.

use serde_json::Value;
use tiku::bank;
use tiku::domain::{Status, Text};
use tiku::storage::items::{self, BANK_ACTOR};

use super::helpers::{copy_dir, databases, fixture_bank, spawn_apps};

#[actix_web::test]
async fn the_server_imports_the_bank_at_start_up() {
    let expected = bank::load(&fixture_bank()).bank.summary();
    for app in spawn_apps(Some(&fixture_bank())).await {
        let (status, summary): (u16, Value) = app.get_json("/api/v1/bank/summary").await;
        assert_eq!(status, 200, "{:?}", app.db);
        assert_eq!(
            summary,
            serde_json::to_value(&expected).unwrap_or_default(),
            "{:?}",
            app.db
        );
        assert_eq!(summary["published"], 6, "{:?}", app.db);
        assert_eq!(summary["by_subject"]["B"], 2, "{:?}", app.db);
        assert_eq!(summary["by_kind"]["case"], 1, "{:?}", app.db);
        assert_eq!(summary["by_tag"]["T11.1"], 1, "{:?}", app.db);
        assert_eq!(summary["case_parts"], 5, "{:?}", app.db);
    }
}

#[test]
fn a_second_import_changes_nothing() {
    let loaded = bank::load(&fixture_bank());
    let (_dir, dbs) = databases();
    for (backend, db) in dbs {
        let mut c = db.conn().unwrap_or_else(|e| panic!("{e}"));
        let first = items::import_bank(&mut c, &loaded.bank, BANK_ACTOR, false)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(first.created.len(), 6, "{backend:?}");
        let second = items::import_bank(&mut c, &loaded.bank, BANK_ACTOR, false)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(second.unchanged, 6, "{backend:?}");
        assert!(!second.changed(), "{backend:?}: {second:?}");
        let v = items::get(&mut c, "T3.1-0001", None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v.map(|s| s.version), Some(1), "{backend:?}");
    }
}

#[test]
fn a_changed_item_gets_a_new_version_and_the_old_one_stays() {
    let mut loaded = bank::load(&fixture_bank());
    let (_dir, dbs) = databases();
    for (backend, db) in dbs {
        let mut c = db.conn().unwrap_or_else(|e| panic!("{e}"));
        items::import_bank(&mut c, &loaded.bank, BANK_ACTOR, false)
            .unwrap_or_else(|e| panic!("{e}"));

        let original = loaded.bank.items[0].item.clone();
        let id = original.id.to_string();
        let mut edited = original.clone();
        edited.difficulty = tiku::domain::Difficulty::new(4).unwrap_or_else(|| panic!("level"));
        loaded.bank.items[0].item = edited.clone();
        let report = items::import_bank(&mut c, &loaded.bank, BANK_ACTOR, false)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(report.updated, vec![id.clone()], "{backend:?}");

        let v2 = items::get(&mut c, &id, None)
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("v2"));
        assert_eq!(
            (v2.version, v2.item.difficulty.get()),
            (2, 4),
            "{backend:?}"
        );
        assert_eq!(v2.published_version, Some(2), "{backend:?}");
        let v1 = items::get(&mut c, &id, Some(1))
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("v1"));
        assert_eq!(
            v1.item, original,
            "{backend:?}: version 1 is kept as it was"
        );

        // A status-only change keeps the version number.
        loaded.bank.items[0].status = Status::Retired;
        let report = items::import_bank(&mut c, &loaded.bank, BANK_ACTOR, false)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(report.status_changed, vec![id.clone()], "{backend:?}");
        let now = items::get(&mut c, &id, None)
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("v"));
        assert_eq!(
            (now.version, now.status, now.published_version),
            (2, Status::Retired, None),
            "{backend:?}"
        );
        assert!(
            items::get_published(&mut c, &id)
                .unwrap_or_else(|e| panic!("{e}"))
                .is_none(),
            "{backend:?}"
        );
        let summary = items::summary(&mut c).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((summary.items, summary.published), (6, 5), "{backend:?}");

        // Restore for the next backend.
        loaded.bank.items[0].item = original;
        loaded.bank.items[0].status = Status::Published;
    }
}

#[test]
fn an_item_edited_in_the_database_is_not_overwritten_by_the_files() {
    let mut loaded = bank::load(&fixture_bank());
    let (_dir, dbs) = databases();
    for (backend, db) in dbs {
        let mut c = db.conn().unwrap_or_else(|e| panic!("{e}"));
        items::import_bank(&mut c, &loaded.bank, BANK_ACTOR, false)
            .unwrap_or_else(|e| panic!("{e}"));
        let original = loaded.bank.items[1].item.clone();
        let id = original.id.to_string();

        let mut by_teacher = original.clone();
        by_teacher.sources.push("Teacher's note".into());
        let v = items::save_new_version(&mut c, &by_teacher, Status::Published, "teacher:1")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v, 2, "{backend:?}");

        let mut in_file = original.clone();
        if let tiku::domain::Body::Question(q) = &mut in_file.body {
            q.explanation = Text::new("改过的解析".into(), "An edited explanation".into());
        }
        loaded.bank.items[1].item = in_file;
        let report = items::import_bank(&mut c, &loaded.bank, BANK_ACTOR, false)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(report.conflicts, vec![id.clone()], "{backend:?}");
        let latest = items::get(&mut c, &id, None)
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("v"));
        assert_eq!(
            latest.item, by_teacher,
            "{backend:?}: the teacher's version stays"
        );
        loaded.bank.items[1].item = original;
    }
}

#[test]
fn an_imported_item_close_to_an_existing_one_is_reported() {
    let loaded = bank::load(&fixture_bank());
    let (_dir, dbs) = databases();
    for (backend, db) in dbs {
        let mut c = db.conn().unwrap_or_else(|e| panic!("{e}"));
        let first = items::import_bank(&mut c, &loaded.bank, BANK_ACTOR, false)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            first.near_duplicates.is_empty(),
            "{backend:?}: {:?}",
            first.near_duplicates
        );
        // A second copy of T3.1-0001 under a new id, lightly reworded.
        let mut again = loaded.bank.clone();
        let mut copy = again.items[0].clone();
        copy.item.id = tiku::domain::ItemId::parse("T3.1-9999").unwrap_or_else(|e| panic!("{e}"));
        if let tiku::domain::Body::Question(q) = &mut copy.item.body {
            q.stem.en = q.stem.en.replace("when does", "at what point does");
        }
        again.items.push(copy);
        let report =
            items::import_bank(&mut c, &again, BANK_ACTOR, true).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(report.created, vec!["T3.1-9999".to_owned()], "{backend:?}");
        let d = report
            .near_duplicates
            .first()
            .unwrap_or_else(|| panic!("{backend:?}: not reported"));
        assert_eq!(
            (d.id.as_str(), d.similar_to.as_str()),
            ("T3.1-9999", "T3.1-0001"),
            "{backend:?}"
        );
        assert!(d.similarity > 0.8, "{backend:?}: {d:?}");
    }
}

#[test]
fn a_dry_run_reports_without_changing_anything() {
    let loaded = bank::load(&fixture_bank());
    let (_dir, dbs) = databases();
    for (backend, db) in dbs {
        let mut c = db.conn().unwrap_or_else(|e| panic!("{e}"));
        let report = items::import_bank(&mut c, &loaded.bank, BANK_ACTOR, true)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(report.created.len(), 6, "{backend:?}");
        assert_eq!(report.documents_changed, 5, "{backend:?}");
        let summary = items::summary(&mut c).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(summary.items, 0, "{backend:?}: nothing was written");
    }
}

#[actix_web::test]
async fn a_bank_with_errors_is_not_imported_at_all() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let broken = dir.path().join("bank");
    copy_dir(&fixture_bank(), &broken);
    // One bad item among good ones: an unknown tag.
    let path = broken.join("items/A-T3.1.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        &path,
        text.replacen("tags = [\"T3.1\"]", "tags = [\"T99\"]", 1),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(bank::load(&broken).has_errors());
    for app in spawn_apps(Some(&broken)).await {
        let (_, summary): (u16, Value) = app.get_json("/api/v1/bank/summary").await;
        assert_eq!(summary["items"], 0, "{:?}: not even the good items", app.db);
    }
}
