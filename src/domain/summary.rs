//! The bank summary of ../shared/api.md: counts of published items by subject, kind and tag.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::item::{Item, Status};

/// Counts for `GET /api/v1/bank/summary` and `tiku check --json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BankSummary {
    /// Items in any status.
    pub items: u64,
    /// Published items; every count below is over these.
    pub published: u64,
    pub by_subject: BTreeMap<String, u64>,
    pub by_kind: BTreeMap<String, u64>,
    /// An item counts under each of its tags (and its parts' tags).
    pub by_tag: BTreeMap<String, u64>,
    /// Scored parts of published case items.
    pub case_parts: u64,
}

impl BankSummary {
    /// Counts `items`, each with its status.
    pub fn of<'a>(items: impl IntoIterator<Item = (&'a Item, Status)>) -> BankSummary {
        let mut s = BankSummary::default();
        for (item, status) in items {
            s.items += 1;
            if status != Status::Published {
                continue;
            }
            s.published += 1;
            *s.by_subject
                .entry(item.subject.code().to_owned())
                .or_default() += 1;
            *s.by_kind.entry(item.kind().code().to_owned()).or_default() += 1;
            for tag in item.all_tags() {
                *s.by_tag.entry(tag.to_string()).or_default() += 1;
            }
            s.case_parts += item.part_count() as u64;
        }
        s
    }
}
