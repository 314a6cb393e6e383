//! TEMPORARY stand-in for `storage::schools`, which is being written on main: only the type and the two
//! functions LTI uses, with their agreed signatures. This branch has no schools table, so no school has
//! an assessment. Main's module replaces this file when it is merged.

use super::{AnyConnection, StorageError};

/// An assessment a school's students can be sent to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assessment {
    pub id: String,
    pub school_id: String,
    pub title: String,
}

/// A school's assessments (none until main's schools land).
pub fn assessments_of_school(
    _conn: &mut AnyConnection,
    _school_id: &str,
) -> Result<Vec<Assessment>, StorageError> {
    Ok(Vec::new())
}

/// One assessment (none until main's schools land).
pub fn get_assessment(
    _conn: &mut AnyConnection,
    _id: &str,
) -> Result<Option<Assessment>, StorageError> {
    Ok(None)
}
