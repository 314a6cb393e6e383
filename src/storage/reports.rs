//! Error reports on items: filed by candidates after answering (or by staff), worked off by teachers.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use super::conn::write_tx;
use super::schema::{item_reports as ir, users as u};
use super::{AnyConnection, StorageError, audit, now};

/// Longest report message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 2000;

/// Where a report stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    Open,
    /// The item was corrected.
    Fixed,
    /// Looked at; the item stands as it is.
    Rejected,
}

impl ReportStatus {
    pub fn code(self) -> &'static str {
        match self {
            ReportStatus::Open => "open",
            ReportStatus::Fixed => "fixed",
            ReportStatus::Rejected => "rejected",
        }
    }

    pub fn parse(code: &str) -> Option<ReportStatus> {
        match code {
            "open" => Some(ReportStatus::Open),
            "fixed" => Some(ReportStatus::Fixed),
            "rejected" => Some(ReportStatus::Rejected),
            _ => None,
        }
    }
}

/// One report, with the names of the people involved.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Report {
    pub id: i64,
    pub item_id: String,
    pub version: u32,
    pub reporter_id: String,
    pub reporter_name: String,
    pub message: String,
    pub status: ReportStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: time::OffsetDateTime,
    pub resolved_by: Option<String>,
    pub resolution: Option<String>,
}

type ReportRow = (
    i64,
    String,
    i32,
    String,
    String,
    String,
    String,
    PrimitiveDateTime,
    Option<String>,
    Option<String>,
);

fn report(row: ReportRow) -> Result<Report, StorageError> {
    let (id, item_id, version, reporter_id, reporter_name, message, status, at, by, resolution) =
        row;
    Ok(Report {
        id,
        item_id,
        version: version.max(0) as u32,
        reporter_id,
        reporter_name,
        message,
        status: ReportStatus::parse(&status).ok_or_else(|| {
            StorageError::Corrupt(format!("report {id}: unknown status `{status}`"))
        })?,
        created_at: at.assume_utc(),
        resolved_by: by,
        resolution,
    })
}

macro_rules! report_columns {
    () => {
        (
            ir::id,
            ir::item_id,
            ir::version,
            ir::reporter_id,
            u::name,
            ir::message,
            ir::status,
            ir::created_at,
            ir::resolved_by,
            ir::resolution,
        )
    };
}

/// Files a report on `version` of an item. One open report per person and item: a second one is a
/// [`StorageError::Conflict`].
pub fn create(
    conn: &mut AnyConnection,
    item_id: &str,
    version: u32,
    reporter_id: &str,
    message: &str,
) -> Result<i64, StorageError> {
    write_tx(conn, |conn| {
        let open: i64 = ir::table
            .filter(ir::item_id.eq(item_id))
            .filter(ir::reporter_id.eq(reporter_id))
            .filter(ir::status.eq(ReportStatus::Open.code()))
            .count()
            .get_result(conn)?;
        if open > 0 {
            return Err(StorageError::Conflict(
                "you already have an open report on this item".into(),
            ));
        }
        let values = (
            ir::item_id.eq(item_id),
            ir::version.eq(version as i32),
            ir::reporter_id.eq(reporter_id),
            ir::message.eq(message),
            ir::status.eq(ReportStatus::Open.code()),
            ir::created_at.eq(now()),
        );
        let id: i64 = match conn {
            AnyConnection::Sqlite(c) => diesel::insert_into(ir::table)
                .values(values)
                .returning(ir::id)
                .get_result(c)?,
            AnyConnection::Postgresql(c) => diesel::insert_into(ir::table)
                .values(values)
                .returning(ir::id)
                .get_result(c)?,
        };
        audit::log(
            conn,
            reporter_id,
            "report",
            "item",
            item_id,
            &format!("report {id} on version {version}"),
        )?;
        Ok(id)
    })
}

/// Reports with `status` (all when `None`), oldest open first, newest resolved first; optionally of one item.
pub fn list(
    conn: &mut AnyConnection,
    status: Option<ReportStatus>,
    item_id: Option<&str>,
    limit: i64,
) -> Result<Vec<Report>, StorageError> {
    let mut q = ir::table
        .inner_join(u::table.on(u::id.eq(ir::reporter_id)))
        .select(report_columns!())
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(ir::status.eq(s.code()));
    }
    if let Some(id) = item_id {
        q = q.filter(ir::item_id.eq(id));
    }
    q = if status == Some(ReportStatus::Open) {
        q.order(ir::id.asc())
    } else {
        q.order(ir::id.desc())
    };
    q.limit(limit)
        .load::<ReportRow>(conn)?
        .into_iter()
        .map(report)
        .collect()
}

/// Open reports per item.
pub fn open_counts(conn: &mut AnyConnection) -> Result<Vec<(String, i64)>, StorageError> {
    Ok(ir::table
        .filter(ir::status.eq(ReportStatus::Open.code()))
        .group_by(ir::item_id)
        .select((ir::item_id, diesel::dsl::count_star()))
        .load(conn)?)
}

/// Closes an open report as fixed or rejected, with the teacher's note. `None` when there is no such open
/// report.
pub fn resolve(
    conn: &mut AnyConnection,
    id: i64,
    status: ReportStatus,
    resolution: &str,
    actor: &str,
) -> Result<Option<Report>, StorageError> {
    write_tx(conn, |conn| {
        let item: Option<String> = ir::table
            .filter(ir::id.eq(id))
            .filter(ir::status.eq(ReportStatus::Open.code()))
            .select(ir::item_id)
            .first(conn)
            .optional()?;
        let Some(item) = item else {
            return Ok(None);
        };
        diesel::update(ir::table.filter(ir::id.eq(id)))
            .set((
                ir::status.eq(status.code()),
                ir::resolved_by.eq(Some(actor)),
                ir::resolved_at.eq(Some(now())),
                ir::resolution.eq(Some(resolution)),
            ))
            .execute(conn)?;
        audit::log(
            conn,
            actor,
            &format!("report_{}", status.code()),
            "item",
            &item,
            &format!("report {id}: {resolution}"),
        )?;
        let row = ir::table
            .inner_join(u::table.on(u::id.eq(ir::reporter_id)))
            .filter(ir::id.eq(id))
            .select(report_columns!())
            .first::<ReportRow>(conn)?;
        report(row).map(Some)
    })
}
