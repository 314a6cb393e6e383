//! The audit log: who did what to which object, and when.

use diesel::prelude::*;

use super::schema::audit_log;
use super::{AnyConnection, StorageError, now};

/// Appends one entry (inside the caller's transaction, so the log and the change commit together).
pub fn log(
    conn: &mut AnyConnection,
    actor: &str,
    action: &str,
    object_type: &str,
    object_id: &str,
    detail: &str,
) -> Result<(), StorageError> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(now()),
            audit_log::actor.eq(actor),
            audit_log::action.eq(action),
            audit_log::object_type.eq(object_type),
            audit_log::object_id.eq(object_id),
            audit_log::detail.eq(detail),
        ))
        .execute(conn)?;
    Ok(())
}
