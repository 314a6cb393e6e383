//! Importing class lists (CSV or xlsx): a dry run shows every row as it would land (new or known
//! student, new or known class) and every problem with its row; the import itself is all or nothing.

use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::{Deserialize, Serialize};

use super::scope;
use crate::bank::interchange::sheet;
use crate::domain::roster::{self, RosterRow, RowError};
use crate::domain::user::Role;
use crate::storage::schools;
use crate::storage::users::NewUser;
use crate::storage::{AnyConnection, StorageError, audit};
use crate::web::auth::Auth;
use crate::web::{ApiError, AppState};

/// The largest class list accepted.
pub const MAX_ROSTER_BYTES: usize = 5 * 1024 * 1024;

/// One row as it would land.
#[derive(Clone, Debug, Serialize)]
pub struct Landing {
    #[serde(flatten)]
    pub row: RosterRow,
    /// The student is new to the school (else their account is reused).
    pub new_student: bool,
    /// The class is new to the school (it will be created).
    pub new_class: bool,
}

/// What an import did or would do.
#[derive(Clone, Debug, Serialize)]
pub struct RosterReport {
    pub dry_run: bool,
    /// True when nothing stands in the way (and, for a real import, when it landed).
    pub ok: bool,
    pub rows: Vec<Landing>,
    pub errors: Vec<RowError>,
    pub new_students: usize,
    pub new_classes: usize,
}

/// The table in the file: xlsx when it says so or starts like a zip, CSV otherwise.
pub fn table(bytes: &[u8], format: Option<&str>) -> Result<Vec<Vec<String>>, RowError> {
    let xlsx = match format {
        Some("xlsx") => true,
        Some("csv") => false,
        _ => bytes.starts_with(b"PK"),
    };
    let read = if xlsx {
        sheet::xlsx_table(bytes)
    } else {
        sheet::csv_table(bytes)
    };
    read.map_err(|e| RowError {
        row: e.row,
        field: "file".into(),
        message: e.message,
    })
}

/// Checks the rows against the school (e-mail and phone in use by someone else) and lays out what
/// would happen.
fn plan(
    conn: &mut AnyConnection,
    school_id: &str,
    rows: Vec<RosterRow>,
    errors: &mut Vec<RowError>,
) -> Result<Vec<Landing>, StorageError> {
    let mut out = Vec::with_capacity(rows.len());
    let mut classes_seen = std::collections::HashSet::new();
    for row in rows {
        let existing = schools::student_by_external(conn, school_id, &row.student_no)?;
        if existing.is_none() {
            for (field, value) in [("email", &row.email), ("phone", &row.phone)] {
                if let Some(v) = value
                    && crate::storage::users::by_credential(conn, v)?.is_some()
                {
                    errors.push(RowError {
                        row: row.row,
                        field: field.into(),
                        message: format!("{v} belongs to another account"),
                    });
                }
            }
        }
        let new_class = schools::class_named(conn, school_id, &row.class)?.is_none()
            && classes_seen.insert(row.class.clone());
        out.push(Landing {
            new_student: existing.is_none(),
            new_class,
            row,
        });
    }
    Ok(out)
}

/// Writes the rows (in the caller's transaction).
fn land(
    conn: &mut AnyConnection,
    school_id: &str,
    rows: &[Landing],
    actor: &str,
) -> Result<(), StorageError> {
    for l in rows {
        let r = &l.row;
        let class = match schools::class_named(conn, school_id, &r.class)? {
            Some(c) => c,
            None => schools::create_class(conn, school_id, &r.class, None)?,
        };
        let user = match schools::student_by_external(conn, school_id, &r.student_no)? {
            Some(u) => u,
            None => {
                schools::create_member(
                    conn,
                    school_id,
                    &NewUser {
                        role: Role::Candidate,
                        login: None,
                        email: r.email.as_deref(),
                        phone: r.phone.as_deref(),
                        name: &r.name,
                        password_hash: schools::NO_PASSWORD,
                    },
                    Some(&r.student_no),
                )?
                .id
            }
        };
        schools::enrol(conn, &class.id, &user)?;
    }
    audit::log(
        conn,
        actor,
        "roster",
        "school",
        school_id,
        &format!("{} rows", rows.len()),
    )
}

/// Checks a class list and, unless `dry_run`, imports it whole.
pub async fn import(
    state: &AppState,
    auth: &Auth,
    school_id: &str,
    bytes: Vec<u8>,
    format: Option<String>,
    dry_run: bool,
) -> Result<RosterReport, ApiError> {
    let (school, _) = scope(state, auth, school_id).await?;
    if bytes.len() > MAX_ROSTER_BYTES {
        return Err(ApiError::invalid("file", "a class list is at most 5 MB"));
    }
    let (rows, mut errors) = match table(&bytes, format.as_deref()) {
        Ok(t) => roster::parse(&t),
        Err(e) => (Vec::new(), vec![e]),
    };
    let actor = auth.user.id.clone();
    state
        .with_db(move |c| {
            let landing = plan(c, &school.id, rows, &mut errors)?;
            errors.sort_by_key(|e| e.row);
            let mut report = RosterReport {
                dry_run,
                ok: errors.is_empty(),
                new_students: landing.iter().filter(|l| l.new_student).count(),
                new_classes: landing.iter().filter(|l| l.new_class).count(),
                rows: landing,
                errors,
            };
            if dry_run || !report.ok {
                return Ok(report);
            }
            match crate::storage::conn::write_tx(c, |c| land(c, &school.id, &report.rows, &actor)) {
                Ok(()) => {}
                // Someone took an e-mail or number meanwhile: nothing was written.
                Err(StorageError::Conflict(m)) => {
                    report.ok = false;
                    report.errors.push(RowError {
                        row: 1,
                        field: "file".into(),
                        message: format!("{m}; nothing was imported, check the file again"),
                    });
                }
                Err(e) => return Err(e),
            }
            Ok(report)
        })
        .await
}

#[derive(Deserialize)]
pub struct RosterQuery {
    #[serde(default)]
    pub dry_run: Option<bool>,
    /// `csv` or `xlsx`; default: guessed from the content.
    #[serde(default)]
    pub format: Option<String>,
}

/// `POST /api/v1/schools/{id}/roster?dry_run=true|false&format=csv|xlsx` with the file as the body:
/// the report; a real import with problems is `422` with the same report and nothing written.
#[utoipa::path(tag = "schools", params(("id" = String, Path)), request_body(content = Vec<u8>, description = "The class list (CSV or xlsx)", content_type = "application/octet-stream"), responses((status = 200, description = "The report"), (status = 422, description = "Problems: nothing imported", body = super::super::error::ErrorBody)))]
#[post("/api/v1/schools/{id}/roster")]
pub async fn post_roster(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<RosterQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    auth.check_csrf(&req, None)?;
    let q = query.into_inner();
    let dry_run = q.dry_run.unwrap_or(true);
    let report = import(&state, &auth, &path, body.to_vec(), q.format, dry_run).await?;
    if !dry_run && !report.ok {
        return Err(ApiError::Unprocessable {
            message: format!(
                "the class list has {} problem(s); nothing was imported",
                report.errors.len()
            ),
            details: serde_json::to_value(&report).unwrap_or_default(),
        });
    }
    Ok(HttpResponse::Ok().json(report))
}
