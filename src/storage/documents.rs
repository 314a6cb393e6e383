//! The bank's documents (taxonomy, rule versions, exam rules, blueprints), stored as JSON so that every
//! server reads the same ones from the database.

use diesel::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::schema::bank_documents::dsl as d;
use super::{AnyConnection, StorageError, now, sha256_hex};
use crate::domain::blueprint::Blueprint;
use crate::domain::exam::ExamRules;
use crate::domain::glossary::GlossaryEntry;
use crate::domain::rules::RuleRegistry;
use crate::domain::taxonomy::Taxonomy;

pub const TAXONOMY: &str = "taxonomy";
pub const RULES: &str = "rules";
pub const EXAM: &str = "exam";
pub const BLUEPRINTS: &str = "blueprints";
pub const GLOSSARY: &str = "glossary";

/// Stores `value` under `name` when it differs from what is stored. Returns whether it changed.
pub fn put<T: Serialize>(
    conn: &mut AnyConnection,
    name: &str,
    value: &T,
) -> Result<bool, StorageError> {
    let content = serde_json::to_string(value).map_err(|e| StorageError::Corrupt(e.to_string()))?;
    let hash = sha256_hex(content.as_bytes());
    let stored: Option<String> = d::bank_documents
        .filter(d::name.eq(name))
        .select(d::content_hash)
        .first(conn)
        .optional()?;
    match stored {
        Some(h) if h == hash => Ok(false),
        Some(_) => {
            diesel::update(d::bank_documents.filter(d::name.eq(name)))
                .set((
                    d::content.eq(&content),
                    d::content_hash.eq(&hash),
                    d::updated_at.eq(now()),
                ))
                .execute(conn)?;
            Ok(true)
        }
        None => {
            diesel::insert_into(d::bank_documents)
                .values((
                    d::name.eq(name),
                    d::content.eq(&content),
                    d::content_hash.eq(&hash),
                    d::updated_at.eq(now()),
                ))
                .execute(conn)?;
            Ok(true)
        }
    }
}

/// Reads the document `name`, if stored.
pub fn get<T: DeserializeOwned>(
    conn: &mut AnyConnection,
    name: &str,
) -> Result<Option<T>, StorageError> {
    let content: Option<String> = d::bank_documents
        .filter(d::name.eq(name))
        .select(d::content)
        .first(conn)
        .optional()?;
    content
        .map(|c| {
            serde_json::from_str(&c)
                .map_err(|e| StorageError::Corrupt(format!("document {name}: {e}")))
        })
        .transpose()
}

/// The bank's documents as stored.
#[derive(Clone, Debug, Default)]
pub struct Documents {
    pub taxonomy: Taxonomy,
    pub rules: RuleRegistry,
    pub exam: ExamRules,
    pub blueprints: Vec<Blueprint>,
    pub glossary: Vec<GlossaryEntry>,
}

/// Reads every document; missing ones come back empty (or, for the exam rules, as the official defaults).
pub fn load(conn: &mut AnyConnection) -> Result<Documents, StorageError> {
    let taxonomy = match get::<Taxonomy>(conn, TAXONOMY)? {
        Some(t) => t.reindexed().map_err(StorageError::Corrupt)?,
        None => Taxonomy::default(),
    };
    Ok(Documents {
        taxonomy,
        rules: get(conn, RULES)?.unwrap_or_default(),
        exam: get(conn, EXAM)?.unwrap_or_default(),
        blueprints: get(conn, BLUEPRINTS)?.unwrap_or_default(),
        glossary: get(conn, GLOSSARY)?.unwrap_or_default(),
    })
}
