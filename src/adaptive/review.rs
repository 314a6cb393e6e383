//! Spaced repetition of missed questions with FSRS (the `rs-fsrs` scheduler, long-term mode, default
//! weights): a wrong answer is rated "again", a right one "good"; the card says when to ask again.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use rs_fsrs::{FSRS, Parameters, Rating};

pub use rs_fsrs::Card;

static SCHEDULER: LazyLock<FSRS> = LazyLock::new(|| {
    FSRS::new(Parameters {
        enable_short_term: false,
        enable_fuzz: false,
        ..Parameters::default()
    })
});

fn instant(at: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(at, 0).unwrap_or_default()
}

/// The card after one more answer at `at` (Unix seconds); a first answer makes a new card.
pub fn review(card: Option<Card>, right: bool, at: i64) -> Card {
    let now = instant(at);
    let card = card.unwrap_or_else(|| Card {
        due: now,
        last_review: now,
        ..Card::default()
    });
    let rating = if right { Rating::Good } else { Rating::Again };
    SCHEDULER.next(card, now, rating).card
}

/// Whether the card is due at `at`; how many days overdue it is.
pub fn overdue_days(card: &Card, at: i64) -> Option<f64> {
    let late = (instant(at) - card.due).num_seconds();
    (late >= 0).then(|| late as f64 / 86_400.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missed_question_comes_back_soon_and_later_after_right_answers() {
        let day = 86_400;
        let card = review(None, false, 0);
        assert!(
            overdue_days(&card, 2 * day).is_some(),
            "due within two days"
        );
        let c1 = review(Some(card), true, 2 * day);
        let c2 = review(Some(c1.clone()), true, 2 * day + (c1.scheduled_days * day));
        assert!(c2.scheduled_days > c1.scheduled_days, "{c1:?} then {c2:?}");
        assert!(overdue_days(&c2, 2 * day).is_none());
    }
}
