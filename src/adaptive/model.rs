//! The learner model: hierarchical abilities with uncertainty over the knowledge tree, and item
//! parameters calibrated online from every candidate's answers.
//!
//! A candidate's ability on a leaf knowledge point is the sum of a global ability and one offset per
//! level of the tag's path (`T3`, `T3.1`, …). Each term has a Gaussian belief; an offset starts at mean 0
//! with a small variance, so a leaf with little evidence sits near its parent and borrows from it and
//! from its siblings (they share the parent's offset). The chance of a right answer is a 3PL curve
//! `c + (1 − c)·σ(a(θ − b))` with a guessing floor `c` from the item's kind, a discrimination `a` and a
//! difficulty `b` that starts from the teacher's difficulty. One answer updates every term on the path
//! and the item's `b` by a one-step Laplace (extended Kalman) update, and `a` by a small gradient step:
//! a few dozen floating-point operations, deterministic, so replaying the answer log rebuilds the model
//! exactly. Beliefs widen a little with every day that passes, so a candidate who learns is followed.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::domain::item::{Item, Response};
use crate::domain::taxonomy::TagCode;

use super::review::{Card, review};

/// The key of the global term.
pub const GLOBAL: &str = "*";
/// Prior variance of the global ability.
pub const PRIOR_GLOBAL: f64 = 1.0;
/// Prior variance of a chapter's offset (depth 1), and of deeper offsets. A knowledge point's offset is
/// the wide one: a point never studied sits two or three units below the rest, and with a narrow prior
/// its first wrong answers would be blamed on its chapter (making its siblings look weak too) and on the
/// global ability; chapters differ less.
const PRIOR_CHAPTER: f64 = 0.3;
const PRIOR_LEAF: f64 = 2.0;
/// Variance added per day to every term (abilities drift as candidates learn), up to the prior.
const DRIFT_PER_DAY: f64 = 0.01;
/// Variance never falls below these (the model keeps listening).
const FLOOR_VAR: f64 = 0.004;
const FLOOR_VAR_B: f64 = 0.02;
/// Prior variance of an item's difficulty around the teacher's figure.
const PRIOR_VAR_B: f64 = 0.5;
/// Learning rate and bounds of the discrimination.
const RATE_A: f64 = 0.01;
const MIN_A: f64 = 0.4;
const MAX_A: f64 = 2.5;
/// How many recent questions are remembered (to avoid repeats).
const RECENT: usize = 30;

/// What the model needs to know about one scored question.
#[derive(Clone, Debug, PartialEq)]
pub struct QuestionMeta {
    /// The item's id, or `{item}.{part}`.
    pub id: String,
    pub item_id: String,
    /// The leaf knowledge point the question tests.
    pub tag: TagCode,
    /// The guessing floor: the chance of a right answer without knowing anything.
    pub guess: f64,
    /// The teacher's difficulty, 1–5.
    pub difficulty: u8,
    pub points: u32,
}

/// The guessing floor of a question: one in the number of options for single choice, a half for
/// true/false, a small figure for all-or-nothing multiple choice, none for produced answers.
pub fn guess_floor(response: &Response) -> f64 {
    match response {
        Response::Single { options, .. } => 1.0 / options.len().max(2) as f64,
        Response::TrueFalse { .. } => 0.5,
        Response::Multiple { options, .. } => {
            // Any non-empty subset may be chosen; candidates guess far better than uniformly.
            (2.0 / ((1u64 << options.len().min(10)) - 1) as f64).min(0.25)
        }
        _ => 0.0,
    }
}

/// The scored questions of an item with what the model needs.
pub fn metas(item: &Item) -> Vec<QuestionMeta> {
    let primary = item.primary_tag().cloned();
    let parts: Vec<(String, &crate::domain::item::Question, Option<TagCode>)> = match &item.body {
        crate::domain::item::Body::Question(q) => vec![(item.id.to_string(), q, None)],
        crate::domain::item::Body::Case(c) => c
            .parts
            .iter()
            .map(|p| {
                (
                    format!("{}.{}", item.id, p.key),
                    &p.question,
                    p.tags.first().cloned(),
                )
            })
            .collect(),
    };
    parts
        .into_iter()
        .filter_map(|(id, q, tag)| {
            Some(QuestionMeta {
                id,
                item_id: item.id.to_string(),
                tag: tag.or_else(|| primary.clone())?,
                guess: guess_floor(&q.response),
                difficulty: item.difficulty.get(),
                points: q.points,
            })
        })
        .collect()
}

/// A Gaussian belief about one term.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub mean: f64,
    pub var: f64,
    /// Answers whose tag lies within this node, and the marks they earned (fractions of the points).
    pub answers: u32,
    pub earned: f64,
}

/// The terms of a tag's path: global first, then each ancestor, the tag last; with their prior variances.
pub fn path(tag: &TagCode) -> Vec<(String, f64)> {
    let mut codes = vec![tag.clone()];
    while let Some(p) = codes.last().and_then(TagCode::parent) {
        codes.push(p);
    }
    codes.reverse();
    let mut out = vec![(GLOBAL.to_owned(), PRIOR_GLOBAL)];
    for (depth, c) in codes.into_iter().enumerate() {
        out.push((
            c.to_string(),
            if depth == 0 {
                PRIOR_CHAPTER
            } else {
                PRIOR_LEAF
            },
        ));
    }
    out
}

/// One day's snapshot, for the progress chart.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Day {
    /// Days since 1970-01-01.
    pub day: i64,
    pub answers: u32,
    pub earned: f64,
    /// The global ability's mean and variance at the end of the day.
    pub mean: f64,
    pub var: f64,
}

/// Everything the model believes about one candidate.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Learner {
    pub nodes: BTreeMap<String, Node>,
    pub answers: u32,
    /// When the last answer was given (Unix seconds).
    pub last_at: Option<i64>,
    /// The last answer applied (its id in the answer log), so an answer is never applied twice.
    pub last_response: i64,
    /// Recently answered questions, newest last.
    pub recent: VecDeque<String>,
    /// Review cards of questions once missed (spaced repetition).
    pub cards: BTreeMap<String, Card>,
    pub days: Vec<Day>,
}

/// What the model believes about one question.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ItemParams {
    pub a: f64,
    pub b: f64,
    pub var_b: f64,
    pub answers: u32,
}

impl ItemParams {
    /// The prior: difficulty 3 is average (b = 0), each step 0.6 either side.
    pub fn prior(difficulty: u8) -> ItemParams {
        ItemParams {
            a: 1.0,
            b: 0.6 * (f64::from(difficulty.clamp(1, 5)) - 3.0),
            var_b: PRIOR_VAR_B,
            answers: 0,
        }
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// The chance of a right answer when the ability is uncertain (probit approximation of the logistic
/// integrated over a Gaussian).
pub fn chance(mean: f64, var: f64, params: &ItemParams, guess: f64) -> f64 {
    let z = params.a * (mean - params.b)
        / (1.0 + std::f64::consts::PI * params.a * params.a * (var + params.var_b) / 8.0).sqrt();
    guess + (1.0 - guess) * sigmoid(z)
}

impl Learner {
    /// The belief about a term, or its prior when the candidate has no evidence on it yet.
    fn node(&self, key: &str, prior: f64) -> (f64, f64) {
        self.nodes
            .get(key)
            .map_or((0.0, prior), |n| (n.mean, n.var))
    }

    /// Mean and variance of the ability on `tag` (the sum of its path's terms).
    pub fn ability(&self, tag: &TagCode) -> (f64, f64) {
        path(tag).iter().fold((0.0, 0.0), |(m, v), (key, prior)| {
            let (nm, nv) = self.node(key, *prior);
            (m + nm, v + nv)
        })
    }

    /// The chance that this candidate answers the question right, before the answer is seen.
    pub fn predict(&self, meta: &QuestionMeta, params: &ItemParams) -> f64 {
        let (m, v) = self.ability(&meta.tag);
        chance(m, v, params, meta.guess)
    }

    /// Mastery of a knowledge point on a 0–1 scale: the chance of a right answer to an average item of it
    /// without guessing, with an 80 % interval.
    pub fn mastery(&self, tag: &TagCode) -> (f64, f64, f64) {
        let (m, v) = self.ability(tag);
        let sd = v.sqrt();
        let avg = ItemParams {
            a: 1.0,
            b: 0.0,
            var_b: 0.0,
            answers: 0,
        };
        (
            chance(m, v, &avg, 0.0),
            sigmoid(m - 1.2816 * sd),
            sigmoid(m + 1.2816 * sd),
        )
    }

    /// Widens every belief by the days since the last answer (capped at the prior).
    fn drift(&mut self, at: i64) {
        let Some(last) = self.last_at else {
            return;
        };
        let days = (at - last).max(0) as f64 / 86_400.0;
        if days <= 0.0 {
            return;
        }
        for (key, n) in &mut self.nodes {
            let prior = if key == GLOBAL {
                PRIOR_GLOBAL
            } else if key.contains('.') {
                PRIOR_LEAF
            } else {
                PRIOR_CHAPTER
            };
            n.var = (n.var + DRIFT_PER_DAY * days).min(prior.max(n.var));
        }
    }

    /// Applies one answer: `outcome` is the fraction of the points earned (0 or 1 for auto-marked
    /// questions). Updates the candidate and the question's parameters.
    pub fn observe(
        &mut self,
        meta: &QuestionMeta,
        params: &mut ItemParams,
        outcome: f64,
        at: i64,
        response_id: i64,
    ) {
        let y = outcome.clamp(0.0, 1.0);
        self.drift(at);
        let terms = path(&meta.tag);
        let (mut m, mut s) = (0.0, 0.0);
        for (key, prior) in &terms {
            let (nm, nv) = self.node(key, *prior);
            m += nm;
            s += nv;
        }
        // Laplace step at the current means.
        let c = meta.guess;
        let sg = sigmoid(params.a * (m - params.b));
        let p = (c + (1.0 - c) * sg).clamp(1e-6, 1.0 - 1e-6);
        let dp = (1.0 - c) * params.a * sg * (1.0 - sg);
        let g = dp * (y - p) / (p * (1.0 - p));
        let info = dp * dp / (p * (1.0 - p));
        let denom = 1.0 + info * (s + params.var_b);
        for (key, prior) in &terms {
            let n = self.nodes.entry(key.clone()).or_insert(Node {
                mean: 0.0,
                var: *prior,
                answers: 0,
                earned: 0.0,
            });
            let v = n.var;
            n.mean += v * g / denom;
            n.var = (v - v * v * info / denom).max(FLOOR_VAR);
            n.answers += 1;
            n.earned += y;
        }
        // The item: b moves against the ability; a follows the gradient.
        let vb = params.var_b;
        params.b -= vb * g / denom;
        params.var_b = (vb - vb * vb * info / denom).max(FLOOR_VAR_B);
        let da = (1.0 - c) * sg * (1.0 - sg) * (m - params.b);
        let grad_a = da * (y - p) / (p * (1.0 - p));
        params.a = (params.a + RATE_A * grad_a).clamp(MIN_A, MAX_A);
        params.answers += 1;

        // Spaced repetition: a missed question gets a card; every later answer to it is a review.
        let right = y >= 0.999;
        if !right || self.cards.contains_key(&meta.id) {
            let card = self.cards.remove(&meta.id);
            self.cards.insert(meta.id.clone(), review(card, right, at));
        }
        self.recent.push_back(meta.id.clone());
        while self.recent.len() > RECENT {
            self.recent.pop_front();
        }
        self.answers += 1;
        self.last_at = Some(at);
        self.last_response = response_id;
        let day = at.div_euclid(86_400);
        let (gm, gv) = self.node(GLOBAL, PRIOR_GLOBAL);
        match self.days.last_mut() {
            Some(d) if d.day == day => {
                d.answers += 1;
                d.earned += y;
                d.mean = gm;
                d.var = gv;
            }
            _ => self.days.push(Day {
                day,
                answers: 1,
                earned: y,
                mean: gm,
                var: gv,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(tag: &str, guess: f64) -> QuestionMeta {
        QuestionMeta {
            id: format!("Q-{tag}"),
            item_id: format!("Q-{tag}"),
            tag: TagCode::parse(tag).unwrap_or_else(|e| panic!("{e}")),
            guess,
            difficulty: 3,
            points: 1,
        }
    }

    #[test]
    fn right_answers_raise_the_leaf_and_its_parent_wrong_ones_lower_them() {
        let mut l = Learner::default();
        let m = meta("T3.1", 0.25);
        let mut p = ItemParams::prior(3);
        let before = l.predict(&m, &p);
        for i in 0..10 {
            l.observe(&m, &mut p, 1.0, 1_000 + i, i);
        }
        assert!(l.predict(&m, &p) > before + 0.2);
        // The sibling leaf borrows from the shared chapter and the global ability.
        let sibling = meta("T3.2", 0.25);
        assert!(l.predict(&sibling, &ItemParams::prior(3)) > before);
        // But less than the practised leaf itself.
        assert!(l.mastery(&sibling.tag).0 < l.mastery(&m.tag).0);
        let mut w = Learner::default();
        for i in 0..10 {
            w.observe(&m, &mut ItemParams::prior(3), 0.0, 1_000 + i, i);
        }
        assert!(w.mastery(&m.tag).0 < 0.3, "{:?}", w.mastery(&m.tag));
    }

    #[test]
    fn evidence_narrows_the_interval_and_time_widens_it_again() {
        let mut l = Learner::default();
        let m = meta("T2.1", 0.0);
        let (_, lo0, hi0) = l.mastery(&m.tag);
        let mut p = ItemParams::prior(3);
        for i in 0..30 {
            l.observe(&m, &mut p, (i % 2) as f64, 1_000 + i, i);
        }
        let (_, lo1, hi1) = l.mastery(&m.tag);
        assert!(hi1 - lo1 < hi0 - lo0);
        let before = l.ability(&m.tag).1;
        l.observe(&m, &mut p, 1.0, 1_000 + 60 * 86_400, 31);
        // Sixty days of drift outweigh one answer's information.
        assert!(l.ability(&m.tag).1 > before);
    }

    #[test]
    fn a_hard_item_gets_harder_when_able_candidates_miss_it() {
        let m = meta("T1.1", 0.0);
        let mut p = ItemParams::prior(3);
        for u in 0..20 {
            let mut strong = Learner::default();
            for i in 0..20 {
                strong.observe(&meta("T1.2", 0.0), &mut ItemParams::prior(3), 1.0, i, i);
            }
            strong.observe(&m, &mut p, 0.0, 100, 100 + u);
        }
        assert!(p.b > 0.5, "{p:?}");
        assert!(p.var_b < PRIOR_VAR_B);
    }

    #[test]
    fn replaying_the_same_answers_gives_identical_beliefs() {
        let run = || {
            let mut l = Learner::default();
            let mut p = ItemParams::prior(4);
            for i in 0..50 {
                l.observe(
                    &meta("T4.2", 0.5),
                    &mut p,
                    ((i * 7) % 3 == 0) as u8 as f64,
                    i * 3_600,
                    i,
                );
            }
            (l, p)
        };
        assert_eq!(run(), run());
    }

    #[test]
    fn guessing_floors_follow_the_kind() {
        let tf = Response::TrueFalse { key: true };
        assert_eq!(guess_floor(&tf), 0.5);
        let fill = Response::Fill {
            accept: vec!["FOB".into()],
        };
        assert_eq!(guess_floor(&fill), 0.0);
    }
}
