//! Adaptive practice: which item to serve next. Each question is worth serving in proportion to what it
//! can add to the exam score — its knowledge point's weight on the paper times how far the candidate is
//! from mastering it, plus a bonus for what the model does not know yet (exploration) — and to how well
//! its predicted chance fits the target (hard enough to teach, easy enough to manage). Questions answered
//! recently are left out; missed questions whose review is due come back first. Near the test date the
//! plan explores less and drills the weak points that weigh most.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::domain::taxonomy::TagCode;

use super::model::{ItemParams, Learner, QuestionMeta};
use super::review::overdue_days;

/// The chance of success practice aims at.
pub const TARGET: f64 = 0.7;
/// How sharply the fit falls away from the target.
const FIT_WIDTH: f64 = 0.2;
/// The utility a knowledge point loses for each of the last [`LATELY`] answers it had.
const FATIGUE: f64 = 0.08;
/// The weight of a question's information (at most about 0.25 for a question that cannot be guessed).
const INFORMATION: f64 = 2.0;
/// The bonus of a knowledge point with no answers yet (shrinking with each answer).
const NOVELTY: f64 = 0.6;
const LATELY: usize = 8;
/// Mastery counted as "ready" when planning the pace.
pub const READY: f64 = 0.75;
/// Answers a weak knowledge point is planned to need.
const ANSWERS_PER_WEAK_POINT: u32 = 12;

/// How many weakest knowledge points practice tries to tell apart from the rest (the dashboard names them
/// first).
pub const WEAKEST: usize = 3;
/// What one answer typically tells about an ability (Fisher information of a well-aimed question).
const ANSWER_INFORMATION: f64 = 0.15;
/// Probing stops once no point's doubt, times the share of its uncertainty one answer would remove, is
/// worth this much.
const WORTH: f64 = 0.005;
/// The bonus of the knowledge point whose next answer best tells the weakest points from the rest.
const DIAGNOSIS: f64 = 1.5;
/// The weight, among that point's questions, of what an answer tells at the boundary between the
/// weakest points and the rest (an easy question that cannot be guessed tells most about a weak point).
const BOUNDARY: f64 = 4.0;

/// How much to explore: fully early on, half in the last two weeks before the test.
pub fn exploration(days_left: Option<i64>) -> f64 {
    match days_left {
        Some(d) if d <= 14 => 0.5,
        _ => 1.0,
    }
}

/// What the model believes about one knowledge point: ability mean and variance.
struct Belief {
    mean: f64,
    var: f64,
    answers: u32,
}

/// The value of serving question `q` now: how weak the knowledge point may be (one minus its mastery at
/// the lower end of what the model believes, so a point not yet known counts as possibly weak), a bonus
/// for points with few answers (every point gets explored), its weight on the paper, a penalty for a
/// point practised in the last few answers (interleaving), the question's fit to the target chance, and a
/// bonus for a review that is due.
#[allow(clippy::too_many_arguments)]
fn utility(
    learner: &Learner,
    q: &QuestionMeta,
    belief: &Belief,
    params: &ItemParams,
    weight: f64,
    explore: f64,
    lately: usize,
    at: i64,
) -> f64 {
    let sd = belief.var.sqrt();
    let p = super::model::chance(belief.mean, belief.var, params, q.guess);
    let fit = (-(p - TARGET).powi(2) / (2.0 * FIT_WIDTH * FIT_WIDTH)).exp();
    let weakness = 1.0 - 1.0 / (1.0 + (-(belief.mean - explore * sd)).exp());
    let novelty = explore * NOVELTY / (1.0 + f64::from(belief.answers));
    let info = information(q, belief, params);
    let mut u = weakness + novelty + 0.2 * weight - FATIGUE * lately as f64
        + 0.1 * fit
        + INFORMATION * info;
    if let Some(late) = learner.cards.get(&q.id).and_then(|c| overdue_days(c, at)) {
        u += 0.3 + 0.2 * late.min(7.0) / 7.0;
    }
    u
}

/// The knowledge point whose next answer best tells the [`WEAKEST`] points from the rest, and the
/// ability at the boundary between them; none once they are told apart. The boundary lies midway between
/// the last of the points now ranked weakest and the first of the rest; each point's doubt is the chance,
/// under the model's belief, that it lies on the other side of the boundary from where it is ranked (a
/// point barely seen is in doubt however it did, since a weak point often answers a guessable question
/// right). Probed is the point whose doubt, times the share of its uncertainty one answer would remove, is
/// greatest (a point seen often and still near the boundary yields to one barely seen), until none is
/// worth [`WORTH`]. Abilities are compared without the global term's uncertainty, which every point
/// shares.
fn probe<'a>(learner: &Learner, tags: &[&'a TagCode]) -> Option<(&'a TagCode, f64)> {
    if tags.len() <= WEAKEST {
        return None;
    }
    let global = learner
        .nodes
        .get(super::model::GLOBAL)
        .map_or(super::model::PRIOR_GLOBAL, |n| n.var);
    let mut ranked: Vec<(f64, f64, &TagCode)> = tags
        .iter()
        .map(|t| {
            let (mean, var) = learner.ability(t);
            (mean, (var - global).max(1e-6).sqrt(), *t)
        })
        .collect();
    ranked.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.2.cmp(b.2)));
    let boundary = (ranked[WEAKEST - 1].0 + ranked[WEAKEST].0) / 2.0;
    let (worth, tag) = ranked
        .iter()
        .map(|(mean, sd, t)| {
            let doubt = normal_cdf(-(mean - boundary).abs() / sd);
            let v = sd * sd * ANSWER_INFORMATION;
            (doubt * v / (1.0 + v), *t)
        })
        .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(a.1)))?;
    (worth >= WORTH).then_some((tag, boundary))
}

/// The standard normal distribution function (logistic approximation, within 0.01).
fn normal_cdf(z: f64) -> f64 {
    1.0 / (1.0 + (-1.702 * z).exp())
}

/// The logistic part of the chance of a right answer to `q` at ability `theta`, and the chance's slope
/// there (questions that can be guessed rise less).
fn slope(q: &QuestionMeta, theta: f64, params: &ItemParams) -> (f64, f64) {
    let s = 1.0 / (1.0 + (-params.a * (theta - params.b)).exp());
    (s, (1.0 - q.guess) * params.a * s * (1.0 - s))
}

/// Fisher information of an answer to `q` at ability `theta`.
fn information_at(q: &QuestionMeta, theta: f64, params: &ItemParams) -> f64 {
    let (s, dp) = slope(q, theta, params);
    let p = (q.guess + (1.0 - q.guess) * s).clamp(1e-6, 1.0 - 1e-6);
    dp * dp / (p * (1.0 - p))
}

/// What an answer would tell about the ability: the question's Fisher information at the current
/// estimate, with the chance taken over the belief's uncertainty.
fn information(q: &QuestionMeta, belief: &Belief, params: &ItemParams) -> f64 {
    let p = super::model::chance(belief.mean, belief.var, params, q.guess);
    let (_, dp) = slope(q, belief.mean, params);
    dp * dp / (p * (1.0 - p)).max(1e-6)
}

/// The item to serve next among `questions` (several may belong to one case item), or none when every
/// one was answered recently. `weights` are the knowledge points' expected points on a paper; `served`
/// are items served lately (answered or skipped); `seed` breaks ties reproducibly.
#[allow(clippy::too_many_arguments)]
pub fn choose(
    learner: &Learner,
    questions: &[QuestionMeta],
    served: &[String],
    params: &dyn Fn(&QuestionMeta) -> ItemParams,
    weights: &BTreeMap<TagCode, f64>,
    at: i64,
    days_left: Option<i64>,
    seed: u64,
) -> Option<String> {
    let recent: HashSet<&str> = learner.recent.iter().map(String::as_str).collect();
    let recent_items: HashSet<&str> = questions
        .iter()
        .filter(|q| recent.contains(q.id.as_str()))
        .map(|q| q.item_id.as_str())
        .chain(served.iter().map(String::as_str))
        .collect();
    let w_max = weights.values().copied().fold(0.0, f64::max).max(1e-9);
    let explore = exploration(days_left);
    let mut best: HashMap<&str, (f64, u32)> = HashMap::new();
    let mut beliefs: HashMap<&TagCode, Belief> = HashMap::new();
    let tag_of: HashMap<&str, &TagCode> =
        questions.iter().map(|q| (q.id.as_str(), &q.tag)).collect();
    let mut lately: HashMap<&TagCode, usize> = HashMap::new();
    for id in learner.recent.iter().rev().take(LATELY) {
        if let Some(t) = tag_of.get(id.as_str()) {
            *lately.entry(t).or_default() += 1;
        }
    }
    let mut tags: Vec<&TagCode> = questions
        .iter()
        .map(|q| &q.tag)
        .filter(|t| weights.get(*t).is_some_and(|w| *w > 0.0))
        .collect();
    tags.sort();
    tags.dedup();
    let probed = probe(learner, &tags);
    for q in questions {
        if recent_items.contains(q.item_id.as_str()) {
            continue;
        }
        let w = weights.get(&q.tag).copied().unwrap_or(0.0) / w_max;
        let belief = beliefs.entry(&q.tag).or_insert_with(|| {
            let (mean, var) = learner.ability(&q.tag);
            let answers = learner.nodes.get(q.tag.as_str()).map_or(0, |n| n.answers);
            Belief { mean, var, answers }
        });
        let recent_on_tag = lately.get(&q.tag).copied().unwrap_or(0);
        let u = utility(
            learner,
            q,
            belief,
            &params(q),
            w,
            explore,
            recent_on_tag,
            at,
        );
        let u = match probed {
            Some((tag, boundary)) if tag == &q.tag => {
                u + explore * (DIAGNOSIS + BOUNDARY * information_at(q, boundary, &params(q)))
            }
            _ => u,
        };
        let e = best.entry(q.item_id.as_str()).or_insert((0.0, 0));
        e.0 += u;
        e.1 += 1;
    }
    // An item is worth what its questions are worth on average: a case costs an answer per part.
    best.into_iter()
        .map(|(id, (u, n))| (u / f64::from(n) + 1e-9 * tie(seed, id), id))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, id)| id.to_owned())
}

/// A reproducible number in [0, 1) from the seed and the id (FNV-1a).
fn tie(seed: u64, id: &str) -> f64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64 ^ seed;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// The practice plan toward the test date.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Pace {
    /// Knowledge points (of those on the paper) not yet at the ready mark.
    pub weak_points: usize,
    pub days_left: Option<i64>,
    /// Answers a day to bring them all to the mark by the test date.
    pub answers_per_day: u32,
}

/// How much to practise a day to be ready by the test date.
pub fn pace(learner: &Learner, weights: &BTreeMap<TagCode, f64>, days_left: Option<i64>) -> Pace {
    let weak = weights
        .keys()
        .filter(|t| learner.mastery(t).0 < READY)
        .count();
    let need = weak as u32 * ANSWERS_PER_WEAK_POINT;
    let days = days_left.unwrap_or(30).max(1) as u32;
    Pace {
        weak_points: weak,
        days_left,
        answers_per_day: need.div_ceil(days),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(id: &str, tag: &str, difficulty: u8) -> QuestionMeta {
        QuestionMeta {
            id: id.into(),
            item_id: id.into(),
            tag: TagCode::parse(tag).unwrap_or_else(|e| panic!("{e}")),
            guess: 0.25,
            difficulty,
            points: 1,
        }
    }

    #[test]
    fn practice_probes_the_point_that_may_be_among_the_weakest_until_they_are_told_apart() {
        let tags = ["T1.1", "T2.1", "T3.1", "T4.1", "T5.1"];
        let codes: Vec<TagCode> = tags
            .iter()
            .map(|t| TagCode::parse(t).unwrap_or_else(|e| panic!("{e}")))
            .collect();
        let refs: Vec<&TagCode> = codes.iter().collect();
        let mut l = Learner::default();
        let mut n = 0;
        // Three points missed again and again, one answered right again and again; T5.1 never seen.
        for _ in 0..20 {
            for (t, right) in [("T1.1", 0.0), ("T2.1", 0.0), ("T3.1", 0.0), ("T4.1", 1.0)] {
                n += 1;
                l.observe(
                    &q(&format!("Q{t}"), t, 3),
                    &mut ItemParams::prior(3),
                    right,
                    n,
                    n,
                );
            }
        }
        assert_eq!(probe(&l, &refs).map(|(t, _)| t.as_str()), Some("T5.1"));
        // Once the unseen point has shown itself strong, the weakest three stand apart.
        for _ in 0..20 {
            n += 1;
            l.observe(&q("QT5", "T5.1", 3), &mut ItemParams::prior(3), 1.0, n, n);
        }
        assert_eq!(probe(&l, &refs), None);
    }

    #[test]
    fn the_weak_point_is_served_before_the_strong_one_and_repeats_wait() {
        let qs = vec![q("S1", "T1.1", 3), q("W1", "T2.1", 3), q("W2", "T2.1", 2)];
        let mut l = Learner::default();
        let prior = |m: &QuestionMeta| ItemParams::prior(m.difficulty);
        for i in 0..15 {
            l.observe(&q("S0", "T1.1", 3), &mut prior(&qs[0]), 1.0, i, i);
            l.observe(&q("W0", "T2.1", 3), &mut prior(&qs[1]), 0.0, i, i);
        }
        let weights: BTreeMap<TagCode, f64> = [
            (
                TagCode::parse("T1.1").unwrap_or_else(|e| panic!("{e}")),
                10.0,
            ),
            (
                TagCode::parse("T2.1").unwrap_or_else(|e| panic!("{e}")),
                10.0,
            ),
        ]
        .into();
        let first = choose(&l, &qs, &[], &prior, &weights, 100, None, 1);
        assert!(
            first.as_deref().is_some_and(|id| id.starts_with('W')),
            "{first:?}"
        );
        // Once both weak questions were answered just now, the strong point's question comes.
        l.observe(&qs[1], &mut prior(&qs[1]), 0.0, 101, 100);
        l.observe(&qs[2], &mut prior(&qs[2]), 0.0, 102, 101);
        assert_eq!(
            choose(&l, &qs, &[], &prior, &weights, 103, None, 1).as_deref(),
            Some("S1")
        );
        let p = pace(&l, &weights, Some(10));
        assert!(p.weak_points >= 1 && p.answers_per_day >= 1, "{p:?}");
    }
}
