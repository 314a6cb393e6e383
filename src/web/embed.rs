//! TEMPORARY stand-in for `web::embed`, which is being written on main: only what LTI calls, with the
//! agreed signature. It opens nothing and says so (503). Main's module replaces this file when merged.

use super::{ApiError, AppState};

/// A school's student as an embedding site knows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Student {
    pub external_id: String,
    pub name: String,
}

/// Would find or create the student, open an in-page sitting of the assessment and answer the path to
/// send the browser to; not on this branch yet.
pub async fn open_sitting(
    _state: &AppState,
    _school_id: &str,
    _student: &Student,
    _assessment_id: &str,
    _hook: Option<serde_json::Value>,
) -> Result<String, ApiError> {
    Err(ApiError::Unavailable(
        "in-page sittings (web::embed) are not on this branch yet".into(),
    ))
}
