//! Reading a whole `multipart/form-data` body (forms with a file) into named fields, with a size limit.

use std::collections::BTreeMap;

use actix_multipart::Multipart;
use futures_util::StreamExt;

/// The fields of a form, by name (a repeated name keeps the last value).
pub struct FormFields(pub BTreeMap<String, Vec<u8>>);

impl FormFields {
    /// A text field, trimmed ("" when absent).
    pub fn text(&self, name: &str) -> String {
        self.0
            .get(name)
            .map(|v| String::from_utf8_lossy(v).trim().to_owned())
            .unwrap_or_default()
    }

    /// A file field's bytes, when a non-empty file was sent.
    pub fn file(&self, name: &str) -> Option<&[u8]> {
        self.0
            .get(name)
            .map(Vec::as_slice)
            .filter(|b| !b.is_empty())
    }
}

/// Reads every field; `None` when the body is larger than `limit` bytes or malformed.
pub async fn read(mut payload: Multipart, limit: usize) -> Option<FormFields> {
    let mut fields = BTreeMap::new();
    let mut total = 0usize;
    while let Some(field) = payload.next().await {
        let mut field = field.ok()?;
        let name = field.name().unwrap_or_default().to_owned();
        let mut data = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.ok()?;
            total += chunk.len();
            if total > limit {
                return None;
            }
            data.extend_from_slice(&chunk);
        }
        fields.insert(name, data);
    }
    Some(FormFields(fields))
}
