//! Who may practise what: the exam's sittings (registration, payment-confirmation and test dates), the
//! paid access they give (the whole bank until one year after the sitting's test date) and the free
//! sample of 20 items everyone else gets.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::Date;

use super::item::{ItemId, Subject};

time::serde::format_description!(iso_date, Date, "[year]-[month]-[day]");

/// One sitting of the exam. Dates are Beijing dates, written `YYYY-MM-DD`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Sitting {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    #[serde(with = "iso_date")]
    #[schema(value_type = String, format = Date)]
    pub registration_opens: Date,
    #[serde(with = "iso_date")]
    #[schema(value_type = String, format = Date)]
    pub registration_closes: Date,
    #[serde(with = "iso_date")]
    #[schema(value_type = String, format = Date)]
    pub payment_opens: Date,
    #[serde(with = "iso_date")]
    #[schema(value_type = String, format = Date)]
    pub payment_closes: Date,
    #[serde(with = "iso_date")]
    #[schema(value_type = String, format = Date)]
    pub test_date: Date,
    /// The test's hours, e.g. "13:00–16:00".
    pub test_time: String,
    /// The exam fee in fen (26000 = 260 CNY).
    pub fee_fen: u32,
}

impl Sitting {
    pub fn registration_open(&self, today: Date) -> bool {
        self.registration_opens <= today && today <= self.registration_closes
    }

    /// Paid access lasts until one year after the test date (the score's validity).
    pub fn access_until(&self) -> Date {
        self.test_date
            .replace_year(self.test_date.year() + 1)
            .unwrap_or_else(|_| self.test_date.saturating_add(time::Duration::days(365)))
    }

    /// The dates in order, or what is out of order.
    pub fn check(&self) -> Result<(), String> {
        if self.id.trim().is_empty()
            || self.name_zh.trim().is_empty()
            || self.name_en.trim().is_empty()
        {
            return Err("a sitting needs an id and a name in both languages".into());
        }
        if self.registration_opens > self.registration_closes {
            return Err("registration closes before it opens".into());
        }
        if self.payment_opens > self.payment_closes {
            return Err("payment confirmation closes before it opens".into());
        }
        if self.payment_closes > self.test_date || self.registration_closes > self.test_date {
            return Err("registration and payment must close by the test date".into());
        }
        if self.fee_fen == 0 {
            return Err("the fee must be more than zero".into());
        }
        Ok(())
    }
}

/// What a candidate may practise.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "access", rename_all = "snake_case")]
pub enum Access {
    /// The whole published bank, mocks included, until the date.
    Full {
        #[serde(with = "iso_date")]
        until: Date,
    },
    /// The free sample only.
    Sample,
}

/// A candidate's access on `today`, from the test dates of the sittings whose fee they paid.
pub fn access(paid_test_dates: &[Date], today: Date) -> Access {
    paid_test_dates
        .iter()
        .map(|d| {
            d.replace_year(d.year() + 1)
                .unwrap_or_else(|_| d.saturating_add(time::Duration::days(365)))
        })
        .filter(|until| *until >= today)
        .max()
        .map_or(Access::Sample, |until| Access::Full { until })
}

/// How many items the free sample holds.
pub const SAMPLE_SIZE: usize = 20;

/// The free sample: 20 published items spread over the knowledge points of both subjects in proportion
/// to the bank (at least 4 from subject B), one per primary tag in turn, each tag's item chosen by a
/// hash of its id so the sample is stable while the bank stays the same.
pub fn free_sample(published: &[(ItemId, Subject, String)]) -> BTreeSet<ItemId> {
    let hash = |id: &ItemId| -> [u8; 32] { Sha256::digest(id.as_str().as_bytes()).into() };
    let mut by_subject: BTreeMap<Subject, BTreeMap<&str, Vec<&ItemId>>> = BTreeMap::new();
    for (id, subject, tag) in published {
        by_subject
            .entry(*subject)
            .or_default()
            .entry(tag.as_str())
            .or_default()
            .push(id);
    }
    for tags in by_subject.values_mut() {
        for ids in tags.values_mut() {
            ids.sort_by_key(|id| hash(id));
        }
    }
    let total = published.len().max(1);
    let b_items = published
        .iter()
        .filter(|(_, s, _)| *s == Subject::B)
        .count();
    let b_quota = if b_items == 0 {
        0
    } else {
        (SAMPLE_SIZE * b_items).div_ceil(total).max(4).min(b_items)
    };
    let quotas = [
        (Subject::A, SAMPLE_SIZE.saturating_sub(b_quota)),
        (Subject::B, b_quota),
    ];
    let mut out = BTreeSet::new();
    for (subject, quota) in quotas {
        let Some(tags) = by_subject.get(&subject) else {
            continue;
        };
        let mut round = 0;
        let mut taken = 0;
        while taken < quota {
            let mut any = false;
            for ids in tags.values() {
                if taken == quota {
                    break;
                }
                if let Some(id) = ids.get(round) {
                    out.insert((*id).clone());
                    taken += 1;
                    any = true;
                }
            }
            if !any {
                break;
            }
            round += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn sitting() -> Sitting {
        Sitting {
            id: "2025-1".into(),
            name_zh: "2025年上半年".into(),
            name_en: "First half of 2025".into(),
            registration_opens: date!(2025 - 04 - 07),
            registration_closes: date!(2025 - 05 - 15),
            payment_opens: date!(2025 - 05 - 15),
            payment_closes: date!(2025 - 05 - 30),
            test_date: date!(2025 - 06 - 07),
            test_time: "13:00–16:00".into(),
            fee_fen: 26000,
        }
    }

    #[test]
    fn windows_and_access_follow_the_dates() {
        let s = sitting();
        assert!(s.check().is_ok());
        assert!(s.registration_open(date!(2025 - 04 - 07)));
        assert!(s.registration_open(date!(2025 - 05 - 15)));
        assert!(!s.registration_open(date!(2025 - 05 - 16)));
        assert_eq!(s.access_until(), date!(2026 - 06 - 07));
        assert_eq!(
            access(&[s.test_date], date!(2026 - 06 - 07)),
            Access::Full {
                until: date!(2026 - 06 - 07)
            }
        );
        assert_eq!(
            access(&[s.test_date], date!(2026 - 06 - 08)),
            Access::Sample
        );
        assert_eq!(access(&[], date!(2025 - 06 - 01)), Access::Sample);
        let mut bad = s.clone();
        bad.payment_closes = date!(2025 - 06 - 08);
        assert!(bad.check().is_err());
    }

    #[test]
    fn the_sample_has_twenty_items_over_both_subjects_and_is_stable() {
        let mut pool = Vec::new();
        for t in 1..=10 {
            for n in 1..=9 {
                let Ok(id) = ItemId::parse(&format!("T{t}.1-{n:04}")) else {
                    panic!("id")
                };
                pool.push((id, Subject::A, format!("T{t}.1")));
            }
        }
        for n in 1..=12 {
            let Ok(id) = ItemId::parse(&format!("B{}-{n:04}", n % 6 + 1)) else {
                panic!("id")
            };
            pool.push((id, Subject::B, format!("B{}", n % 6 + 1)));
        }
        let sample = free_sample(&pool);
        assert_eq!(sample.len(), SAMPLE_SIZE);
        let b = sample
            .iter()
            .filter(|id| id.as_str().starts_with('B'))
            .count();
        assert_eq!(b, 4);
        let tags: BTreeSet<&str> = sample
            .iter()
            .filter(|id| id.as_str().starts_with('T'))
            .map(|id| id.as_str().split('-').next().unwrap_or(""))
            .collect();
        assert_eq!(tags.len(), 10, "every tag of A is in the sample");
        pool.reverse();
        assert_eq!(
            free_sample(&pool),
            sample,
            "the order of the pool does not matter"
        );
    }
}
