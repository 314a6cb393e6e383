//! Items and their immutable versions: importing the bank files idempotently, reading versions, counting.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::Serialize;
use time::PrimitiveDateTime;

use super::schema::{audit_log, item_changes, item_versions as v, items as i};
use super::{AnyConnection, StorageError, conn::write_tx, documents, now, sha256_hex};
use crate::bank::Bank;
use crate::domain::item::{Item, ItemId, Status, Subject};
use crate::domain::similarity::{NEAR_DUPLICATE, Signature, near_pairs};
use crate::domain::summary::BankSummary;

/// Who made a change that came from the bank files.
pub const BANK_ACTOR: &str = "bank";

/// One version of an item as stored.
#[derive(Clone, Debug)]
pub struct StoredItem {
    pub item: Item,
    pub version: u32,
    pub status: Status,
    pub latest_version: u32,
    pub published_version: Option<u32>,
    pub created_at: PrimitiveDateTime,
    pub created_by: String,
}

/// What an import of the bank files did.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ImportReport {
    /// Items new to the database.
    pub created: Vec<String>,
    /// Items whose content changed in the files: each got a new version.
    pub updated: Vec<String>,
    /// Items whose content is the same but whose status changed in the files.
    pub status_changed: Vec<String>,
    pub unchanged: usize,
    /// Items changed both in the files and in the database since the last import: left as they are.
    pub conflicts: Vec<String>,
    /// Taxonomy, rules, exam rules or blueprints that changed.
    pub documents_changed: usize,
    /// Created or updated items that say nearly the same as another item in the bank.
    pub near_duplicates: Vec<NearDuplicate>,
}

/// An item found nearly identical to another.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NearDuplicate {
    pub id: String,
    pub similar_to: String,
    /// Estimated Jaccard similarity of their text (0 to 1).
    pub similarity: f64,
}

impl ImportReport {
    pub fn changed(&self) -> bool {
        !self.created.is_empty()
            || !self.updated.is_empty()
            || !self.status_changed.is_empty()
            || self.documents_changed > 0
    }
}

#[derive(Queryable)]
struct ItemRow {
    id: String,
    latest_version: i32,
    bank_hash: Option<String>,
    bank_version: Option<i32>,
}

fn encode(item: &Item) -> Result<String, StorageError> {
    serde_json::to_string(item).map_err(|e| StorageError::Corrupt(e.to_string()))
}

fn decode(id: &str, version: i32, content: &str) -> Result<Item, StorageError> {
    serde_json::from_str(content)
        .map_err(|e| StorageError::Corrupt(format!("item {id} version {version}: {e}")))
}

fn parse_status(raw: &str) -> Result<Status, StorageError> {
    Status::parse(raw).ok_or_else(|| StorageError::Corrupt(format!("unknown status `{raw}`")))
}

/// Writes a new version row (content is never updated afterwards).
fn insert_version(
    conn: &mut AnyConnection,
    item: &Item,
    version: i32,
    status: Status,
    content: &str,
    actor: &str,
) -> Result<(), StorageError> {
    let tags: Vec<String> = item.all_tags().iter().map(|t| t.to_string()).collect();
    let tags = serde_json::to_string(&tags).map_err(|e| StorageError::Corrupt(e.to_string()))?;
    diesel::insert_into(v::table)
        .values((
            v::item_id.eq(item.id.as_str()),
            v::version.eq(version),
            v::status.eq(status.code()),
            v::subject.eq(item.subject.code()),
            v::kind.eq(item.kind().code()),
            v::difficulty.eq(i32::from(item.difficulty.get())),
            v::tags.eq(tags),
            v::points.eq(item.points() as i32),
            v::parts.eq(item.part_count() as i32),
            v::content.eq(content),
            v::content_hash.eq(sha256_hex(content.as_bytes())),
            v::created_at.eq(now()),
            v::created_by.eq(actor),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records a change of an item: in the audit log (who, what, when) and in the change feed that search
/// indexes follow.
fn audit(
    conn: &mut AnyConnection,
    actor: &str,
    action: &str,
    object_id: &str,
    detail: &str,
) -> Result<(), StorageError> {
    diesel::insert_into(item_changes::table)
        .values((
            item_changes::item_id.eq(object_id),
            item_changes::at.eq(now()),
        ))
        .execute(conn)?;
    super::audit::log(conn, actor, action, "item", object_id, detail)
}

/// Imports the bank files in one transaction. Unchanged items are not touched; an item whose content
/// changed gets a new version; one whose only change is its status keeps its version and changes status.
/// An item edited in the database since its last import is reported as a conflict and left alone.
/// Versions are never overwritten, so answers stay pinned to the version they were given for.
/// With `dry_run`, everything is done inside the transaction and then rolled back, so the report says
/// exactly what a real import would do.
pub fn import_bank(
    conn: &mut AnyConnection,
    bank: &Bank,
    actor: &str,
    dry_run: bool,
) -> Result<ImportReport, StorageError> {
    let result = write_tx(conn, |conn| {
        let mut report = import_in_tx(conn, bank, actor).map_err(Abort::Failed)?;
        let changed: Vec<String> = report
            .created
            .iter()
            .chain(&report.updated)
            .cloned()
            .collect();
        report.near_duplicates = near_duplicates_of(conn, &changed).map_err(Abort::Failed)?;
        if dry_run {
            Err(Abort::DryRun(Box::new(report)))
        } else {
            Ok(report)
        }
    });
    match result {
        Ok(report) => Ok(report),
        Err(Abort::DryRun(report)) => Ok(*report),
        Err(Abort::Failed(e)) => Err(e),
    }
}

/// Why an import transaction was rolled back.
enum Abort {
    DryRun(Box<ImportReport>),
    Failed(StorageError),
}

impl From<diesel::result::Error> for Abort {
    fn from(e: diesel::result::Error) -> Self {
        Abort::Failed(e.into())
    }
}

fn import_in_tx(
    conn: &mut AnyConnection,
    bank: &Bank,
    actor: &str,
) -> Result<ImportReport, StorageError> {
    {
        let mut report = ImportReport::default();
        for changed in [
            documents::put(conn, documents::TAXONOMY, &bank.taxonomy)?,
            documents::put(conn, documents::RULES, &bank.rules)?,
            documents::put(conn, documents::EXAM, &bank.exam)?,
            documents::put(conn, documents::BLUEPRINTS, &bank.blueprints)?,
            documents::put(conn, documents::GLOSSARY, &bank.glossary)?,
        ] {
            report.documents_changed += usize::from(changed);
        }

        let rows: Vec<ItemRow> = i::table
            .select((i::id, i::latest_version, i::bank_hash, i::bank_version))
            .load(conn)?;
        let existing: HashMap<String, ItemRow> =
            rows.into_iter().map(|r| (r.id.clone(), r)).collect();
        let latest_hashes: HashMap<String, String> = v::table
            .inner_join(i::table.on(v::item_id.eq(i::id).and(v::version.eq(i::latest_version))))
            .select((v::item_id, v::content_hash))
            .load::<(String, String)>(conn)?
            .into_iter()
            .collect();

        for b in &bank.items {
            let id = b.item.id.as_str();
            let content = encode(&b.item)?;
            let content_hash = sha256_hex(content.as_bytes());
            let file_hash = sha256_hex(format!("{content}\n{}", b.status.code()).as_bytes());
            let published = (b.status == Status::Published).then_some(1);
            match existing.get(id) {
                None => {
                    diesel::insert_into(i::table)
                        .values((
                            i::id.eq(id),
                            i::subject.eq(b.item.subject.code()),
                            i::kind.eq(b.item.kind().code()),
                            i::latest_version.eq(1),
                            i::published_version.eq(published),
                            i::bank_hash.eq(&file_hash),
                            i::bank_version.eq(1),
                            i::created_at.eq(now()),
                            i::updated_at.eq(now()),
                        ))
                        .execute(conn)?;
                    insert_version(conn, &b.item, 1, b.status, &content, actor)?;
                    audit(
                        conn,
                        actor,
                        "create",
                        id,
                        &format!("version 1 ({}) from {}", b.status.code(), b.file),
                    )?;
                    report.created.push(id.to_owned());
                }
                Some(row) if row.bank_hash.as_deref() == Some(file_hash.as_str()) => {
                    report.unchanged += 1
                }
                Some(row) if row.bank_version != Some(row.latest_version) => {
                    report.conflicts.push(id.to_owned())
                }
                Some(row) => {
                    let same_content = latest_hashes.get(id) == Some(&content_hash);
                    let version = if same_content {
                        diesel::update(
                            v::table
                                .filter(v::item_id.eq(id))
                                .filter(v::version.eq(row.latest_version)),
                        )
                        .set(v::status.eq(b.status.code()))
                        .execute(conn)?;
                        audit(
                            conn,
                            actor,
                            "status",
                            id,
                            &format!("version {} → {}", row.latest_version, b.status.code()),
                        )?;
                        report.status_changed.push(id.to_owned());
                        row.latest_version
                    } else {
                        let next = row.latest_version + 1;
                        insert_version(conn, &b.item, next, b.status, &content, actor)?;
                        audit(
                            conn,
                            actor,
                            "update",
                            id,
                            &format!("version {next} ({}) from {}", b.status.code(), b.file),
                        )?;
                        report.updated.push(id.to_owned());
                        next
                    };
                    diesel::update(i::table.filter(i::id.eq(id)))
                        .set((
                            i::subject.eq(b.item.subject.code()),
                            i::kind.eq(b.item.kind().code()),
                            i::latest_version.eq(version),
                            i::published_version
                                .eq((b.status == Status::Published).then_some(version)),
                            i::bank_hash.eq(&file_hash),
                            i::bank_version.eq(version),
                            i::updated_at.eq(now()),
                        ))
                        .execute(conn)?;
                }
            }
        }
        Ok(report)
    }
}

/// Items among `ids` whose latest version is nearly identical to another item's latest version.
pub fn near_duplicates_of(
    conn: &mut AnyConnection,
    ids: &[String],
) -> Result<Vec<NearDuplicate>, StorageError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(String, i32, String)> = v::table
        .inner_join(i::table)
        .filter(v::version.eq(i::latest_version))
        .select((v::item_id, v::version, v::content))
        .load(conn)?;
    let mut signatures: Vec<(String, Signature)> = Vec::with_capacity(rows.len());
    for (id, version, content) in rows {
        let item = decode(&id, version, &content)?;
        signatures.push((id, Signature::of_item(&item)));
    }
    let wanted: std::collections::HashSet<&str> = ids.iter().map(String::as_str).collect();
    let mut out = Vec::new();
    for pair in near_pairs(&signatures, NEAR_DUPLICATE) {
        for (id, other) in [(&pair.a, &pair.b), (&pair.b, &pair.a)] {
            if wanted.contains(id.as_str()) {
                out.push(NearDuplicate {
                    id: id.clone(),
                    similar_to: other.clone(),
                    similarity: pair.similarity,
                });
            }
        }
    }
    Ok(out)
}

/// Saves `item` as a new version (the next number) with `status`, as `actor` would from the authoring
/// screens; creates the item if it is new. Returns the version number.
pub fn save_new_version(
    conn: &mut AnyConnection,
    item: &Item,
    status: Status,
    actor: &str,
) -> Result<u32, StorageError> {
    write_tx(conn, |conn| save_version_in_tx(conn, item, status, actor))
}

fn save_version_in_tx(
    conn: &mut AnyConnection,
    item: &Item,
    status: Status,
    actor: &str,
) -> Result<u32, StorageError> {
    let id = item.id.as_str();
    let content = encode(item)?;
    let latest: Option<i32> = i::table
        .filter(i::id.eq(id))
        .select(i::latest_version)
        .first(conn)
        .optional()?;
    let version = latest.map_or(1, |v| v + 1);
    if latest.is_none() {
        diesel::insert_into(i::table)
            .values((
                i::id.eq(id),
                i::subject.eq(item.subject.code()),
                i::kind.eq(item.kind().code()),
                i::latest_version.eq(version),
                i::published_version.eq(None::<i32>),
                i::created_at.eq(now()),
                i::updated_at.eq(now()),
            ))
            .execute(conn)?;
    }
    insert_version(conn, item, version, status, &content, actor)?;
    let published = match status {
        Status::Published => Some(version),
        Status::Retired => None,
        _ => i::table
            .filter(i::id.eq(id))
            .select(i::published_version)
            .first::<Option<i32>>(conn)?,
    };
    diesel::update(i::table.filter(i::id.eq(id)))
        .set((
            i::subject.eq(item.subject.code()),
            i::kind.eq(item.kind().code()),
            i::latest_version.eq(version),
            i::published_version.eq(published),
            i::updated_at.eq(now()),
        ))
        .execute(conn)?;
    audit(
        conn,
        actor,
        "save",
        id,
        &format!("version {version} ({})", status.code()),
    )?;
    Ok(version as u32)
}

/// What saving a batch did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SavedBatch {
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: Vec<String>,
    pub near_duplicates: Vec<NearDuplicate>,
}

/// Saves every item in one transaction: all or nothing. An item equal to its latest version (content
/// and status) is left alone; any other gets a new version.
pub fn save_batch(
    conn: &mut AnyConnection,
    batch: &[(Item, Status)],
    actor: &str,
) -> Result<SavedBatch, StorageError> {
    write_tx(conn, |conn| {
        let mut out = SavedBatch::default();
        for (item, status) in batch {
            match get(conn, item.id.as_str(), None)? {
                Some(latest) if &latest.item == item && latest.status == *status => {
                    out.unchanged.push(item.id.to_string())
                }
                Some(_) => {
                    save_version_in_tx(conn, item, *status, actor)?;
                    out.updated.push(item.id.to_string());
                }
                None => {
                    save_version_in_tx(conn, item, *status, actor)?;
                    out.created.push(item.id.to_string());
                }
            }
        }
        let changed: Vec<String> = out.created.iter().chain(&out.updated).cloned().collect();
        out.near_duplicates = near_duplicates_of(conn, &changed)?;
        Ok(out)
    })
}

/// Every item id in use.
pub fn all_ids(conn: &mut AnyConnection) -> Result<Vec<String>, StorageError> {
    Ok(i::table.select(i::id).load(conn)?)
}

type VersionRow = (
    String,
    i32,
    String,
    String,
    PrimitiveDateTime,
    String,
    i32,
    Option<i32>,
);

fn stored(row: VersionRow) -> Result<StoredItem, StorageError> {
    let (id, version, status, content, created_at, created_by, latest, published) = row;
    Ok(StoredItem {
        item: decode(&id, version, &content)?,
        version: version as u32,
        status: parse_status(&status)?,
        latest_version: latest as u32,
        published_version: published.map(|p| p as u32),
        created_at,
        created_by,
    })
}

macro_rules! version_columns {
    () => {
        (
            v::item_id,
            v::version,
            v::status,
            v::content,
            v::created_at,
            v::created_by,
            i::latest_version,
            i::published_version,
        )
    };
}

/// One version of an item (the latest when `version` is `None`).
pub fn get(
    conn: &mut AnyConnection,
    id: &str,
    version: Option<u32>,
) -> Result<Option<StoredItem>, StorageError> {
    let query = v::table
        .inner_join(i::table)
        .filter(v::item_id.eq(id))
        .select(version_columns!())
        .into_boxed();
    let query = match version {
        Some(n) => query.filter(v::version.eq(n as i32)),
        None => query.filter(v::version.eq(i::latest_version)),
    };
    query
        .first::<VersionRow>(conn)
        .optional()?
        .map(stored)
        .transpose()
}

/// The published version of an item, if it has one.
pub fn get_published(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<StoredItem>, StorageError> {
    v::table
        .inner_join(i::table)
        .filter(v::item_id.eq(id))
        .filter(v::version.nullable().eq(i::published_version))
        .select(version_columns!())
        .first::<VersionRow>(conn)
        .optional()?
        .map(stored)
        .transpose()
}

/// Every published item (its published version), ordered by id.
pub fn published(conn: &mut AnyConnection) -> Result<Vec<StoredItem>, StorageError> {
    v::table
        .inner_join(i::table)
        .filter(v::version.nullable().eq(i::published_version))
        .order(v::item_id)
        .select(version_columns!())
        .load::<VersionRow>(conn)?
        .into_iter()
        .map(stored)
        .collect()
}

/// The bank summary of ../shared/api.md over the published versions, computed from the stored metadata
/// columns without decoding item content.
pub fn summary(conn: &mut AnyConnection) -> Result<BankSummary, StorageError> {
    let total: i64 = i::table.count().get_result(conn)?;
    let rows: Vec<(String, String, String, i32)> = v::table
        .inner_join(i::table)
        .filter(v::version.nullable().eq(i::published_version))
        .select((v::subject, v::kind, v::tags, v::parts))
        .load(conn)?;
    let mut s = BankSummary {
        items: total as u64,
        published: rows.len() as u64,
        ..BankSummary::default()
    };
    for (subject, kind, tags, parts) in rows {
        *s.by_subject.entry(subject).or_default() += 1;
        *s.by_kind.entry(kind).or_default() += 1;
        let tags: Vec<String> =
            serde_json::from_str(&tags).map_err(|e| StorageError::Corrupt(e.to_string()))?;
        for t in tags {
            *s.by_tag.entry(t).or_default() += 1;
        }
        s.case_parts += parts as u64;
    }
    Ok(s)
}

/// The tags of every published item (item and part tags), for counts over subtrees.
pub fn published_tags(conn: &mut AnyConnection) -> Result<Vec<Vec<String>>, StorageError> {
    let rows: Vec<String> = v::table
        .inner_join(i::table)
        .filter(v::version.nullable().eq(i::published_version))
        .select(v::tags)
        .load(conn)?;
    rows.iter()
        .map(|t| serde_json::from_str(t).map_err(|e| StorageError::Corrupt(e.to_string())))
        .collect()
}

/// One entry of the change feed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub seq: i64,
    pub item_id: String,
    pub at: PrimitiveDateTime,
}

/// Changes after `seq`, oldest first, at most `limit`.
pub fn changes_since(
    conn: &mut AnyConnection,
    seq: i64,
    limit: i64,
) -> Result<Vec<Change>, StorageError> {
    let rows: Vec<(i64, String, PrimitiveDateTime)> = item_changes::table
        .filter(item_changes::seq.gt(seq))
        .order(item_changes::seq)
        .limit(limit)
        .select((item_changes::seq, item_changes::item_id, item_changes::at))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(seq, item_id, at)| Change { seq, item_id, at })
        .collect())
}

/// The newest change's sequence number (0 when there is none).
pub fn last_change(conn: &mut AnyConnection) -> Result<i64, StorageError> {
    let max: Option<i64> = item_changes::table
        .select(diesel::dsl::max(item_changes::seq))
        .first(conn)?;
    Ok(max.unwrap_or(0))
}

/// What the search index holds of one item: its latest version (for staff) and its published version
/// (for candidates), which may be the same.
pub struct IndexedItem {
    pub latest: StoredItem,
    pub published: Option<StoredItem>,
}

/// The latest and published versions of one item, if it exists.
pub fn for_index(conn: &mut AnyConnection, id: &str) -> Result<Option<IndexedItem>, StorageError> {
    let Some(latest) = get(conn, id, None)? else {
        return Ok(None);
    };
    let published = match latest.published_version {
        Some(p) if p == latest.version => Some(latest.clone()),
        Some(p) => get(conn, id, Some(p))?,
        None => None,
    };
    Ok(Some(IndexedItem { latest, published }))
}

/// Every item's latest and published versions, ordered by id (for rebuilding the index).
pub fn all_for_index(conn: &mut AnyConnection) -> Result<Vec<IndexedItem>, StorageError> {
    let latest: Vec<StoredItem> = v::table
        .inner_join(i::table)
        .filter(v::version.eq(i::latest_version))
        .order(v::item_id)
        .select(version_columns!())
        .load::<VersionRow>(conn)?
        .into_iter()
        .map(stored)
        .collect::<Result<_, _>>()?;
    let mut older: HashMap<String, StoredItem> = v::table
        .inner_join(i::table)
        .filter(v::version.nullable().eq(i::published_version))
        .filter(v::version.ne(i::latest_version))
        .select(version_columns!())
        .load::<VersionRow>(conn)?
        .into_iter()
        .map(stored)
        .map(|r| r.map(|s| (s.item.id.to_string(), s)))
        .collect::<Result<_, _>>()?;
    Ok(latest
        .into_iter()
        .map(|l| {
            let published = match l.published_version {
                Some(p) if p == l.version => Some(l.clone()),
                Some(_) => older.remove(l.item.id.as_str()),
                None => None,
            };
            IndexedItem {
                latest: l,
                published,
            }
        })
        .collect())
}

/// One version in an item's history.
#[derive(Clone, Debug, Serialize)]
pub struct VersionInfo {
    pub version: u32,
    pub status: Status,
    pub created_at: PrimitiveDateTime,
    pub created_by: String,
}

/// Every version of an item, newest first.
pub fn versions(conn: &mut AnyConnection, id: &str) -> Result<Vec<VersionInfo>, StorageError> {
    let rows: Vec<(i32, String, PrimitiveDateTime, String)> = v::table
        .filter(v::item_id.eq(id))
        .order(v::version.desc())
        .select((v::version, v::status, v::created_at, v::created_by))
        .load(conn)?;
    rows.into_iter()
        .map(|(version, status, created_at, created_by)| {
            Ok(VersionInfo {
                version: version as u32,
                status: parse_status(&status)?,
                created_at,
                created_by,
            })
        })
        .collect()
}

/// One entry of the audit log.
#[derive(Clone, Debug, Serialize)]
pub struct AuditEntry {
    pub at: PrimitiveDateTime,
    pub actor: String,
    pub action: String,
    pub detail: String,
}

/// What happened to an item, newest first.
pub fn audit_trail(conn: &mut AnyConnection, id: &str) -> Result<Vec<AuditEntry>, StorageError> {
    let rows: Vec<(PrimitiveDateTime, String, String, String)> = audit_log::table
        .filter(audit_log::object_type.eq("item"))
        .filter(audit_log::object_id.eq(id))
        .order(audit_log::id.desc())
        .select((
            audit_log::at,
            audit_log::actor,
            audit_log::action,
            audit_log::detail,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(at, actor, action, detail)| AuditEntry {
            at,
            actor,
            action,
            detail,
        })
        .collect())
}

/// A review-workflow step on an item's latest version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    /// draft → in_review
    Submit,
    /// in_review → published (by someone other than the version's author, or an admin)
    Approve,
    /// in_review → draft
    Return,
    /// published → retired
    Retire,
    /// retired → draft
    Reopen,
}

impl Transition {
    pub fn parse(raw: &str) -> Option<Transition> {
        match raw {
            "submit" => Some(Transition::Submit),
            "approve" => Some(Transition::Approve),
            "return" => Some(Transition::Return),
            "retire" => Some(Transition::Retire),
            "reopen" => Some(Transition::Reopen),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Transition::Submit => "submit",
            Transition::Approve => "approve",
            Transition::Return => "return",
            Transition::Retire => "retire",
            Transition::Reopen => "reopen",
        }
    }

    /// The status the latest version must have, and the one it gets.
    pub fn statuses(self) -> (Status, Status) {
        match self {
            Transition::Submit => (Status::Draft, Status::InReview),
            Transition::Approve => (Status::InReview, Status::Published),
            Transition::Return => (Status::InReview, Status::Draft),
            Transition::Retire => (Status::Published, Status::Retired),
            Transition::Reopen => (Status::Retired, Status::Draft),
        }
    }
}

/// Why a workflow step was refused.
#[derive(Debug, thiserror::Error)]
pub enum TransitionError {
    #[error("no such item")]
    NotFound,
    #[error("the latest version is {actual}, but this step needs {expected}")]
    WrongStatus {
        expected: &'static str,
        actual: &'static str,
    },
    #[error("you wrote this version: another teacher (or an admin) must approve it")]
    OwnItem,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<diesel::result::Error> for TransitionError {
    fn from(e: diesel::result::Error) -> Self {
        TransitionError::Storage(e.into())
    }
}

/// Applies `step` to the latest version of `id` on behalf of `actor` (an account id), recording it in the
/// audit log with `comment`. `actor_is_admin` lets an admin approve their own version.
pub fn transition(
    conn: &mut AnyConnection,
    id: &str,
    step: Transition,
    actor: &str,
    actor_is_admin: bool,
    comment: &str,
) -> Result<Status, TransitionError> {
    write_tx(conn, |conn| {
        let latest = get(conn, id, None)?.ok_or(TransitionError::NotFound)?;
        let (from, to) = step.statuses();
        if latest.status != from {
            return Err(TransitionError::WrongStatus {
                expected: from.code(),
                actual: latest.status.code(),
            });
        }
        if step == Transition::Approve && latest.created_by == actor && !actor_is_admin {
            return Err(TransitionError::OwnItem);
        }
        let version = latest.version as i32;
        diesel::update(
            v::table
                .filter(v::item_id.eq(id))
                .filter(v::version.eq(version)),
        )
        .set(v::status.eq(to.code()))
        .execute(conn)?;
        let published = match to {
            Status::Published => Some(version),
            Status::Retired => None,
            _ => latest.published_version.map(|p| p as i32),
        };
        diesel::update(i::table.filter(i::id.eq(id)))
            .set((i::published_version.eq(published), i::updated_at.eq(now())))
            .execute(conn)?;
        let detail = if comment.trim().is_empty() {
            format!("version {version}: {} → {}", from.code(), to.code())
        } else {
            format!(
                "version {version}: {} → {} — {}",
                from.code(),
                to.code(),
                comment.trim()
            )
        };
        audit(conn, actor, step.code(), id, &detail)?;
        Ok(to)
    })
}

/// The next free id for items whose primary tag is `tag`: `{tag}-{n:04}` after the highest in use.
pub fn next_id(conn: &mut AnyConnection, tag: &str) -> Result<String, StorageError> {
    let prefix = format!("{tag}-");
    let ids: Vec<String> = i::table
        .filter(i::id.like(format!("{prefix}%")))
        .select(i::id)
        .load(conn)?;
    let max = ids
        .iter()
        .filter_map(|id| id.strip_prefix(&prefix)?.parse::<u32>().ok())
        .max()
        .unwrap_or(0);
    Ok(format!("{prefix}{:04}", max + 1))
}

/// An item waiting in a queue: its latest version has the asked status.
#[derive(Clone, Debug, Serialize)]
pub struct Queued {
    pub id: String,
    pub version: u32,
    pub kind: String,
    pub subject: String,
    pub created_by: String,
    pub created_at: String,
}

/// Items whose latest version has `status`, oldest change first; only `author`'s when given.
pub fn queue(
    conn: &mut AnyConnection,
    status: Status,
    author: Option<&str>,
    limit: i64,
) -> Result<Vec<Queued>, StorageError> {
    let mut q = v::table
        .inner_join(i::table)
        .filter(v::version.eq(i::latest_version))
        .filter(v::status.eq(status.code()))
        .select((
            v::item_id,
            v::version,
            v::kind,
            v::subject,
            v::created_by,
            v::created_at,
        ))
        .into_boxed();
    if let Some(a) = author {
        q = q.filter(v::created_by.eq(a));
    }
    let rows: Vec<(String, i32, String, String, String, PrimitiveDateTime)> =
        q.order(v::created_at.asc()).limit(limit).load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, version, kind, subject, created_by, at)| Queued {
            id,
            version: version.max(0) as u32,
            kind,
            subject,
            created_by,
            created_at: at.to_string(),
        })
        .collect())
}

/// One published item at a glance: id, version, subject, kind, tags (primary first) and difficulty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishedEntry {
    pub id: ItemId,
    pub version: u32,
    pub subject: Subject,
    pub kind: String,
    pub tags: Vec<String>,
    pub difficulty: u8,
}

/// Every published item at a glance, by id (without loading content).
pub fn published_index(conn: &mut AnyConnection) -> Result<Vec<PublishedEntry>, StorageError> {
    let rows: Vec<(String, i32, String, String, String, i32)> = v::table
        .inner_join(i::table)
        .filter(v::version.nullable().eq(i::published_version))
        .order(v::item_id)
        .select((
            v::item_id,
            v::version,
            v::subject,
            v::kind,
            v::tags,
            v::difficulty,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, version, subject, kind, tags, difficulty)| {
            let corrupt = |what: String| StorageError::Corrupt(format!("item {id}: {what}"));
            Ok(PublishedEntry {
                id: ItemId::parse(&id).map_err(|e| corrupt(e.to_string()))?,
                version: version.max(0) as u32,
                subject: Subject::parse(&subject)
                    .ok_or_else(|| corrupt(format!("subject `{subject}`")))?,
                kind,
                tags: serde_json::from_str(&tags).map_err(|e| corrupt(e.to_string()))?,
                difficulty: difficulty.clamp(1, 5) as u8,
            })
        })
        .collect()
}
