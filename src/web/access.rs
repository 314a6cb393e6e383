//! What the signed-in user may practise: staff everything; candidates the whole bank once their fee is
//! confirmed (until a year after their sitting) or while their school's licence runs, otherwise the free
//! sample.

use std::collections::BTreeSet;

use super::auth::Auth;
use super::{ApiError, AppState, beijing_today};
use crate::domain::access::{Access, access, free_sample};
use crate::domain::item::ItemId;
use crate::storage::{items, schools, sittings};

/// The user's access, and the sample's item ids when that is all they have.
pub struct Entitlement {
    pub access: Access,
    pub sample: Option<BTreeSet<ItemId>>,
}

impl Entitlement {
    pub fn full(&self) -> bool {
        matches!(self.access, Access::Full { .. })
    }

    /// Whether the user may see and answer this item.
    pub fn allows(&self, id: &ItemId) -> bool {
        self.sample.as_ref().is_none_or(|s| s.contains(id))
    }
}

/// The free sample of the currently published bank.
pub async fn sample(state: &AppState) -> Result<BTreeSet<ItemId>, ApiError> {
    let index = state.with_db(items::published_index).await?;
    let entries: Vec<_> = index
        .into_iter()
        .map(|e| (e.id, e.subject, e.tags.first().cloned().unwrap_or_default()))
        .collect();
    Ok(free_sample(&entries))
}

pub async fn entitlement(state: &AppState, auth: &Auth) -> Result<Entitlement, ApiError> {
    let today = beijing_today();
    if auth.is_staff() {
        return Ok(Entitlement {
            access: Access::Full {
                until: today.replace_year(today.year() + 1).unwrap_or(today),
            },
            sample: None,
        });
    }
    let user = auth.user.id.clone();
    let (dates, licence) = state
        .with_db(move |c| {
            Ok((
                sittings::paid_test_dates(c, &user)?,
                schools::licence_of(c, &user)?,
            ))
        })
        .await?;
    let a = match (access(&dates, today), licence) {
        // A school's licence opens the bank to its students without the individual fee.
        (Access::Sample, Some(until)) if until >= today => Access::Full { until },
        (Access::Full { until }, Some(l)) if l >= today => Access::Full {
            until: until.max(l),
        },
        (a, _) => a,
    };
    let sample = match a {
        Access::Full { .. } => None,
        Access::Sample => Some(sample(state).await?),
    };
    Ok(Entitlement { access: a, sample })
}
