//! Practice: the order in which each mode serves items, and the mistakes notebook's rule (a question
//! leaves it after two right answers in a row, given on different days).

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use time::Date;

use super::item::ItemId;

/// How a practice session chooses its items.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// 顺序练习: chapter by chapter (knowledge point order), resuming where the candidate stopped.
    Sequential,
    /// 随机: any order; items answered lately come last.
    Random,
    /// 专项: one knowledge point (with its subtree), unanswered items first.
    Topic,
    /// 错题本: the candidate's open mistakes.
    Mistakes,
    /// 收藏: the candidate's favourites.
    Favorites,
    /// The learner model's choice.
    Adaptive,
}

impl Mode {
    pub fn parse(raw: &str) -> Option<Mode> {
        match raw {
            "sequential" => Some(Mode::Sequential),
            "random" => Some(Mode::Random),
            "topic" => Some(Mode::Topic),
            "mistakes" => Some(Mode::Mistakes),
            "favorites" => Some(Mode::Favorites),
            "adaptive" => Some(Mode::Adaptive),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Mode::Sequential => "sequential",
            Mode::Random => "random",
            Mode::Topic => "topic",
            Mode::Mistakes => "mistakes",
            Mode::Favorites => "favorites",
            Mode::Adaptive => "adaptive",
        }
    }
}

/// An item a session may serve.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub id: ItemId,
    /// The position of its primary knowledge point in the syllabus (sequential order).
    pub chapter: usize,
    /// Answered by this candidate at all, and within the last days.
    pub ever_answered: bool,
    pub recently_answered: bool,
}

/// The session's queue. Sequential practice starts after `resume_after` (wrapping round); random and
/// topic practice draw with `seed`.
pub fn queue(
    mode: Mode,
    items: &[Candidate],
    seed: u64,
    resume_after: Option<&ItemId>,
) -> Vec<ItemId> {
    let mut list: Vec<&Candidate> = items.iter().collect();
    list.sort_by(|a, b| a.chapter.cmp(&b.chapter).then_with(|| a.id.cmp(&b.id)));
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    match mode {
        Mode::Sequential => {
            let start = resume_after
                .and_then(|last| list.iter().position(|c| &c.id == last))
                .map_or(0, |p| p + 1);
            let n = list.len();
            list.rotate_left(start.min(n));
        }
        Mode::Random => {
            list.shuffle(&mut rng);
            list.sort_by_key(|c| c.recently_answered);
        }
        Mode::Topic => {
            list.shuffle(&mut rng);
            list.sort_by_key(|c| (c.ever_answered, c.recently_answered));
        }
        // Mistakes and favourites: the order of the syllabus; adaptive practice orders its own.
        Mode::Mistakes | Mode::Favorites | Mode::Adaptive => {}
    }
    list.into_iter().map(|c| c.id.clone()).collect()
}

/// Where a question stands in the mistakes notebook.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MistakeState {
    /// Right answers in a row since it was last wrong.
    pub right_streak: u32,
    pub last_right_on: Option<Date>,
}

/// What an answer does to the notebook.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MistakeChange {
    /// Into the notebook (or back to a streak of 0).
    Wrong,
    /// Still in, with this state.
    Keep(MistakeState),
    /// Out of the notebook.
    Remove,
    /// Nothing to do (a right answer to a question that is not in the notebook).
    None,
}

/// The notebook's rule: every wrong answer puts the question in (or resets its streak); it leaves after
/// it is answered right twice in a row on different days. A second right answer on the same day does
/// not count.
pub fn mistake_change(now: Option<MistakeState>, correct: bool, today: Date) -> MistakeChange {
    match (now, correct) {
        (_, false) => MistakeChange::Wrong,
        (None, true) => MistakeChange::None,
        (Some(s), true) if s.last_right_on == Some(today) => MistakeChange::Keep(s),
        (Some(s), true) if s.right_streak + 1 >= 2 => MistakeChange::Remove,
        (Some(s), true) => MistakeChange::Keep(MistakeState {
            right_streak: s.right_streak + 1,
            last_right_on: Some(today),
        }),
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn items() -> Vec<Candidate> {
        ["T2.1-0002", "T1.1-0001", "T2.1-0001", "T3.1-0001"]
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let Ok(id) = ItemId::parse(id) else {
                    panic!("id")
                };
                Candidate {
                    chapter: if id.as_str().starts_with("T1") {
                        0
                    } else if id.as_str().starts_with("T2") {
                        1
                    } else {
                        2
                    },
                    id,
                    ever_answered: i % 2 == 0,
                    recently_answered: i == 0,
                }
            })
            .collect()
    }

    fn ids(q: &[ItemId]) -> Vec<&str> {
        q.iter().map(ItemId::as_str).collect()
    }

    #[test]
    fn sequential_follows_the_syllabus_and_resumes() {
        let list = items();
        assert_eq!(
            ids(&queue(Mode::Sequential, &list, 1, None)),
            ["T1.1-0001", "T2.1-0001", "T2.1-0002", "T3.1-0001"]
        );
        let Ok(last) = ItemId::parse("T2.1-0001") else {
            panic!("id")
        };
        assert_eq!(
            ids(&queue(Mode::Sequential, &list, 1, Some(&last))),
            ["T2.1-0002", "T3.1-0001", "T1.1-0001", "T2.1-0001"]
        );
    }

    #[test]
    fn random_puts_recent_items_last_and_topic_puts_new_items_first() {
        let list = items();
        for seed in 0..20 {
            let r = queue(Mode::Random, &list, seed, None);
            assert_eq!(r.len(), 4);
            assert_eq!(r[3].as_str(), "T2.1-0002", "answered lately: last");
            let t = queue(Mode::Topic, &list, seed, None);
            let first_two: Vec<&str> = ids(&t[..2]).into_iter().collect();
            assert!(first_two.contains(&"T1.1-0001") && first_two.contains(&"T3.1-0001"));
        }
        assert_ne!(
            queue(Mode::Random, &list, 1, None),
            queue(Mode::Random, &list, 2, None),
            "another seed, another order (for these seeds)"
        );
    }

    #[test]
    fn a_mistake_leaves_after_two_right_answers_on_different_days() {
        let d1 = date!(2026 - 11 - 01);
        let d2 = date!(2026 - 11 - 02);
        assert_eq!(mistake_change(None, false, d1), MistakeChange::Wrong);
        assert_eq!(mistake_change(None, true, d1), MistakeChange::None);
        let fresh = MistakeState {
            right_streak: 0,
            last_right_on: None,
        };
        let MistakeChange::Keep(once) = mistake_change(Some(fresh), true, d1) else {
            panic!("kept after one right answer")
        };
        assert_eq!(once.right_streak, 1);
        assert_eq!(
            mistake_change(Some(once), true, d1),
            MistakeChange::Keep(once),
            "the same day does not count"
        );
        assert_eq!(mistake_change(Some(once), true, d2), MistakeChange::Remove);
        assert_eq!(mistake_change(Some(once), false, d2), MistakeChange::Wrong);
    }
}
