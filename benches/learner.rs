//! Simulation harness for the learner model: synthetic candidates whose true ability on every knowledge
//! point is known answer the real bank (`question-bank/`, published items, every scored question of the
//! `full` blueprint's pool) under a response model with guessing and slips; the learner model, fed the same
//! answers as the server would feed it, is compared with simple baselines.
//!
//! True abilities: a global ability N(0, 0.8²) plus a chapter offset plus a knowledge-point offset. Two
//! populations: "three distinct weak points" (three points drawn at random are genuinely weak, offset
//! −2.5 ± 0.3, about what a point never studied costs; other chapter and point offsets N(0, 0.3²)) — the case the product is for — and "a
//! continuous spread" (chapter and point offsets N(0, 0.6²) each, the weakest three being merely the tail,
//! often within a hair of the fourth). True items: the teacher's difficulty mapped as the model maps it plus N(0, 0.5²)
//! noise, discrimination e^N(0, 0.25²). P(right) = g + (1 − g − 0.05)·σ(a(θ − b)) with the question's
//! guessing floor g and a 5 % slip.
//!
//! Two worlds: `static` (abilities fixed, as the model assumes) and `growing` (not what the model
//! assumes: every answer on a knowledge point raises that point's true ability by 0.02 and the global one
//! by 0.002 — candidates learn from the feedback — and the teacher's difficulties are noisier, N(0, 0.8²)).
//!
//! Adaptive practice serves whole items, as the server does: every part of a case is answered, each
//! counting as one answer. Random practice draws single questions.
//!
//! In each world, 200 calibration candidates first answer 150 random questions each (item parameters are
//! learnt online from all of them, as on the server), then 80 evaluation candidates practise — once at
//! random, once adaptively (a fresh copy of the calibrated item parameters each) — and are measured:
//!
//! - next-answer prediction (random practice, each prediction made before the answer is applied): AUC and
//!   log loss of the model, of the overall proportion correct (Laplace-smoothed) and of the per-knowledge-
//!   point proportion (smoothed towards the overall one);
//! - precision of the three weakest knowledge points after 30, 60 and 120 answers, in two meanings of
//!   "weakest": as the dashboard ranks them (the lowest true ability on the point against the lowest
//!   mastery the model reports), and by what the point costs on a paper (the lowest expected share of
//!   right answers on the point's own questions: true chances against the model's predicted chances);
//!   the per-point proportion correct is the baseline for both;
//! - mean absolute error of the predicted full-mock total against the candidate's true expected total
//!   (the same paper formula with true chances), for the model and the per-point baseline;
//! - answers needed, under adaptive and under random practice, until the mean weakest-3 precision over the
//!   evaluation candidates reaches 0.8 (checked every 10 answers, up to 3,000), in both meanings;
//! - the ceiling of the search where there are distinct weak points: an ideal observer (`Sim::ideal`) that
//!   knows what no model can — the true item parameters, the candidate's global and chapter abilities, and
//!   that each point's own offset is either 0 or the weak one — and only has to find which points are weak,
//!   asking any single question it likes (a case costs it one answer), answers the same candidate and is
//!   measured the same way after 30, 60 and 120 answers.
//!
//! Run: `cargo bench --bench learner` (about 3 minutes here; `TIKU_LEARNER_WORLDS=1` runs the first world
//! only, `TIKU_LEARNER_MAX=400` stops each candidate earlier, `TIKU_LEARNER_EVALUATION=240` evaluates more
//! candidates, `TIKU_LEARNER_CALIBRATION=1000` calibrates the items on more candidates); `TIKU_BENCH_REPORT=benches/RESULTS-learner.md`
//! also writes the report; `TIKU_LEARNER_GUESS_SCALE=0.2` asks what if every question were harder to guess
//! (each guessing floor scaled, in the truth and in the model). Without `--bench` (`cargo test --benches`)
//! it returns at once.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use rand::rngs::Xoshiro256PlusPlus;
use rand::{Rng, SeedableRng};
use tiku::adaptive::forecast::{Exam, predict};
use tiku::adaptive::model::{ItemParams, Learner, QuestionMeta, path};
use tiku::adaptive::select::{WEAKEST, choose};
use tiku::domain::Status;
use tiku::domain::exam::ExamRules;
use tiku::domain::item::Item;
use tiku::domain::taxonomy::TagCode;

/// Calibration candidates per world (`TIKU_LEARNER_CALIBRATION`, default 200).
fn calibration() -> usize {
    std::env::var("TIKU_LEARNER_CALIBRATION")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}
const CALIBRATION_ANSWERS: usize = 150;
/// Evaluation candidates per world (`TIKU_LEARNER_EVALUATION`, default 80).
fn evaluation() -> usize {
    std::env::var("TIKU_LEARNER_EVALUATION")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(80)
}
const CHECKPOINTS: [usize; 3] = [30, 60, 120];
/// Answers per evaluation candidate (`TIKU_LEARNER_MAX`, default 3 000).
fn max_answers() -> usize {
    std::env::var("TIKU_LEARNER_MAX")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000)
}
const SLIP: f64 = 0.05;
/// The two meanings of "the three weakest knowledge points" the harness measures.
const MEANINGS: [&str; 2] = [
    "as the dashboard ranks them (lowest ability; found: lowest mastery)",
    "by what they cost on a paper (lowest expected share of right answers on the point's own questions)",
];

fn uniform(rng: &mut Xoshiro256PlusPlus) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

fn normal(rng: &mut Xoshiro256PlusPlus) -> f64 {
    let u1 = uniform(rng).max(1e-12);
    let u2 = uniform(rng);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[derive(Clone, Copy, PartialEq)]
enum World {
    Static,
    Growing,
}

/// How weaknesses are spread over a candidate's knowledge points.
#[derive(Clone, Copy, PartialEq)]
enum Spread {
    Distinct,
    Continuous,
}

/// The true item parameters of the simulated bank.
struct TrueItems {
    a: Vec<f64>,
    b: Vec<f64>,
}

/// One synthetic candidate: true offsets per term of the tree.
#[derive(Clone)]
struct Person {
    terms: HashMap<String, f64>,
}

impl Person {
    /// `distinct`: three knowledge points, drawn at random, are genuinely weak, as if never studied (offset −2.5 ± 0.3) and the
    /// others vary mildly (chapter and point offsets N(0, 0.3²)); otherwise every chapter and point
    /// varies as much (N(0, 0.6²) each) and the weakest three are the tail of a continuous spread.
    fn new(rng: &mut Xoshiro256PlusPlus, tags: &[TagCode], distinct: bool) -> Person {
        let mut terms = HashMap::new();
        terms.insert("*".to_owned(), 0.8 * normal(rng));
        let sd = if distinct { 0.3 } else { 0.6 };
        for t in tags {
            for (key, _) in path(t).into_iter().skip(1) {
                terms.entry(key).or_insert_with(|| sd * normal(rng));
            }
        }
        if distinct {
            let mut weak: Vec<usize> = Vec::new();
            while weak.len() < 3 {
                let i = (rng.next_u64() % tags.len() as u64) as usize;
                if !weak.contains(&i) {
                    weak.push(i);
                }
            }
            for i in weak {
                let off = -2.5 + 0.3 * normal(rng);
                terms.insert(tags[i].to_string(), off);
            }
        }
        Person { terms }
    }

    fn ability(&self, tag: &TagCode) -> f64 {
        path(tag)
            .iter()
            .map(|(k, _)| self.terms.get(k).copied().unwrap_or(0.0))
            .sum()
    }

    fn chance(&self, q: &QuestionMeta, i: usize, truth: &TrueItems) -> f64 {
        let s = sigmoid(truth.a[i] * (self.ability(&q.tag) - truth.b[i]));
        q.guess + (1.0 - q.guess - SLIP) * s
    }

    /// Learning from an answer (growing world only).
    fn learn(&mut self, tag: &TagCode) {
        *self.terms.entry(tag.to_string()).or_default() += 0.02;
        *self.terms.entry("*".to_owned()).or_default() += 0.002;
    }
}

/// Answer counts for the baselines.
#[derive(Default, Clone)]
struct Counts {
    right: f64,
    n: f64,
    by_tag: HashMap<TagCode, (f64, f64)>,
}

impl Counts {
    fn overall(&self) -> f64 {
        (self.right + 1.0) / (self.n + 2.0)
    }

    fn tag(&self, t: &TagCode) -> f64 {
        let (r, n) = self.by_tag.get(t).copied().unwrap_or((0.0, 0.0));
        (r + 2.0 * self.overall()) / (n + 2.0)
    }

    fn add(&mut self, t: &TagCode, y: f64) {
        self.right += y;
        self.n += 1.0;
        let e = self.by_tag.entry(t.clone()).or_default();
        e.0 += y;
        e.1 += 1.0;
    }
}

/// Area under the ROC curve (ties counted half), by ranks.
fn auc(pairs: &[(f64, f64)]) -> f64 {
    let mut v: Vec<(f64, f64)> = pairs.to_vec();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut rank_sum, mut pos, mut i) = (0.0, 0.0, 0);
    while i < v.len() {
        let mut j = i;
        while j < v.len() && v[j].0 == v[i].0 {
            j += 1;
        }
        let avg_rank = (i + j + 1) as f64 / 2.0;
        for x in &v[i..j] {
            if x.1 > 0.5 {
                rank_sum += avg_rank;
                pos += 1.0;
            }
        }
        i = j;
    }
    let neg = v.len() as f64 - pos;
    (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg).max(1.0)
}

fn log_loss(pairs: &[(f64, f64)]) -> f64 {
    pairs
        .iter()
        .map(|(p, y)| {
            let p = p.clamp(1e-6, 1.0 - 1e-6);
            -(y * p.ln() + (1.0 - y) * (1.0 - p).ln())
        })
        .sum::<f64>()
        / pairs.len().max(1) as f64
}

/// The three lowest by `score` among `tags`.
fn lowest3(tags: &[TagCode], score: impl Fn(&TagCode) -> f64) -> Vec<TagCode> {
    let mut v: Vec<(f64, &TagCode)> = tags.iter().map(|t| (score(t), t)).collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)));
    v.into_iter().take(3).map(|(_, t)| t.clone()).collect()
}

fn precision(found: &[TagCode], truth: &[TagCode]) -> f64 {
    found.iter().filter(|t| truth.contains(t)).count() as f64 / 3.0
}

struct Sim<'a> {
    exam: &'a Exam,
    weights: BTreeMap<TagCode, f64>,
    tags: Vec<TagCode>,
    truth: TrueItems,
    world: World,
    spread: Spread,
    rules: ExamRules,
    /// The questions of each knowledge point.
    by_tag: HashMap<TagCode, Vec<usize>>,
}

/// What one evaluation run records per candidate.
#[derive(Default)]
struct Record {
    model: Vec<(f64, f64)>,
    overall: Vec<(f64, f64)>,
    per_tag: Vec<(f64, f64)>,
    /// Weakest-3 precision at every 10 answers (model), and per-tag baseline at the checkpoints; by
    /// each meaning of "weakest" ([`MEANINGS`]).
    precision: [Vec<f64>; 2],
    baseline_precision: [Vec<f64>; 2],
    /// |predicted − true| total at the checkpoints: model, per-tag baseline.
    score_error: Vec<f64>,
    baseline_error: Vec<f64>,
}

impl Sim<'_> {
    fn true_total(&self, person: &Person) -> f64 {
        let p: Vec<f64> = self
            .exam
            .questions
            .iter()
            .enumerate()
            .map(|(i, q)| person.chance(q, i, &self.truth))
            .collect();
        self.exam.expected(&p).iter().map(|(m, _)| m).sum()
    }

    /// One candidate's practice: `adaptive` or random, `answers` long. Updates `params` (shared).
    #[allow(clippy::too_many_arguments)]
    fn practise(
        &self,
        person: &mut Person,
        params: &mut [ItemParams],
        adaptive: bool,
        answers: usize,
        rng: &mut Xoshiro256PlusPlus,
        record: Option<&mut Record>,
        seed: u64,
    ) {
        let mut learner = Learner::default();
        let mut counts = Counts::default();
        let index: HashMap<&str, usize> = self
            .exam
            .questions
            .iter()
            .enumerate()
            .map(|(i, q)| (q.id.as_str(), i))
            .collect();
        let mut rec = record;
        let mut served: Vec<String> = Vec::new();
        let mut queue: VecDeque<usize> = VecDeque::new();
        for n in 0..answers {
            let at = 1_700_000_000 + n as i64 * 600;
            let i = if adaptive {
                if queue.is_empty() {
                    let lookup = |q: &QuestionMeta| params[index[q.id.as_str()]].clone();
                    let tail = &served[served.len().saturating_sub(30)..];
                    let pick = choose(
                        &learner,
                        &self.exam.questions,
                        tail,
                        &lookup,
                        &self.weights,
                        at,
                        None,
                        seed ^ n as u64,
                    );
                    // The served item's every question (all parts of a case), in order.
                    if let Some(id) = pick {
                        queue.extend(
                            self.exam
                                .questions
                                .iter()
                                .enumerate()
                                .filter(|(_, q)| q.item_id == id)
                                .map(|(k, _)| k),
                        );
                    }
                }
                queue
                    .pop_front()
                    .unwrap_or_else(|| (rng.next_u64() % self.exam.questions.len() as u64) as usize)
            } else {
                (rng.next_u64() % self.exam.questions.len() as u64) as usize
            };
            let q = &self.exam.questions[i];
            served.push(q.item_id.clone());
            let y = if uniform(rng) < person.chance(q, i, &self.truth) {
                1.0
            } else {
                0.0
            };
            if let Some(r) = rec.as_deref_mut()
                && !adaptive
            {
                r.model.push((learner.predict(q, &params[i]), y));
                r.overall.push((counts.overall(), y));
                r.per_tag.push((counts.tag(&q.tag), y));
            }
            learner.observe(q, &mut params[i], y, at, n as i64 + 1);
            counts.add(&q.tag, y);
            if self.world == World::Growing {
                person.learn(&q.tag);
            }
            let done = n + 1;
            if let Some(r) = rec.as_deref_mut()
                && done % 10 == 0
            {
                {
                    // Weakest (1) as the dashboard ranks: the lowest ability (true) against the
                    // lowest mastery (the model's); (2) by what the point costs on a paper: the
                    // lowest expected share of right answers on the point's own questions, from the
                    // true chances and from the model's predicted chances.
                    let truth =
                        [
                            lowest3(&self.tags, |t| person.ability(t)),
                            lowest3(&self.tags, |t| {
                                mean(self.by_tag[t].iter().map(|&i| {
                                    person.chance(&self.exam.questions[i], i, &self.truth)
                                }))
                            }),
                        ];
                    let found = [
                        lowest3(&self.tags, |t| learner.mastery(t).0),
                        lowest3(&self.tags, |t| {
                            mean(
                                self.by_tag[t]
                                    .iter()
                                    .map(|&i| learner.predict(&self.exam.questions[i], &params[i])),
                            )
                        }),
                    ];
                    for ((p, f), t) in r.precision.iter_mut().zip(&found).zip(&truth) {
                        p.push(precision(f, t));
                    }
                    if CHECKPOINTS.contains(&done) {
                        let base = lowest3(&self.tags, |t| counts.tag(t));
                        for (p, t) in r.baseline_precision.iter_mut().zip(&truth) {
                            p.push(precision(&base, t));
                        }
                        let lookup = |q: &QuestionMeta| params[index[q.id.as_str()]].clone();
                        let pred =
                            predict(&learner, self.exam, &lookup, &self.rules, &[], 100, seed);
                        let truth_total = self.true_total(person);
                        r.score_error.push((pred.total.mean - truth_total).abs());
                        let pb: Vec<f64> = self
                            .exam
                            .questions
                            .iter()
                            .map(|q| counts.tag(&q.tag))
                            .collect();
                        let base_total: f64 = self.exam.expected(&pb).iter().map(|(m, _)| m).sum();
                        r.baseline_error.push((base_total - truth_total).abs());
                    }
                }
            }
        }
    }
}

/// Binary entropy in nats.
fn entropy(p: f64) -> f64 {
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    -(p * p.ln() + (1.0 - p) * (1.0 - p).ln())
}

/// The offset of a distinct weak point, as the world draws it (mean).
const WEAK_OFFSET: f64 = -2.5;

impl Sim<'_> {
    /// The ceiling of the search, not a product: an ideal observer that knows the true item parameters,
    /// the candidate's global and chapter abilities (and how they grow), that every knowledge point's own
    /// offset is 0 or, for three of them, [`WEAK_OFFSET`] — it does not know which. It keeps the exact
    /// chance that each point is weak and asks, among single questions (no case costs it more than one
    /// answer), the one whose answer is expected to raise most the summed chances of its three likeliest
    /// points (ties broken by what the answer tells about the point). Its three likeliest points are
    /// what it found. Returns the precision at the checkpoints, in both meanings of "weakest".
    fn ideal(&self, person: &mut Person, rng: &mut Xoshiro256PlusPlus) -> [Vec<f64>; 2] {
        let mut known = person.clone();
        for t in &self.tags {
            known.terms.remove(t.as_str());
        }
        let prior = (WEAKEST as f64 / (self.tags.len() as f64 - WEAKEST as f64)).ln();
        let mut logit: HashMap<&TagCode, f64> = self.tags.iter().map(|t| (t, prior)).collect();
        // The chance of a right answer to question i if its point is weak, and if not.
        let chances = |known: &Person, i: usize| {
            let q = &self.exam.questions[i];
            let at = |theta: f64| {
                q.guess
                    + (1.0 - q.guess - SLIP) * sigmoid(self.truth.a[i] * (theta - self.truth.b[i]))
            };
            let theta = known.ability(&q.tag);
            (at(theta + WEAK_OFFSET), at(theta))
        };
        let mut out = [Vec::new(), Vec::new()];
        let mut recent: VecDeque<usize> = VecDeque::new();
        let last = CHECKPOINTS.iter().copied().max().unwrap_or(0);
        for done in 1..=last {
            let mut ranked: Vec<(f64, &TagCode)> =
                self.tags.iter().map(|t| (sigmoid(logit[t]), t)).collect();
            ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
            let top: f64 = ranked.iter().take(WEAKEST).map(|x| x.0).sum();
            // The summed chances of the likeliest three if point t's chance became p.
            let top_if = |t: &TagCode, p: f64| -> f64 {
                let mut v: Vec<f64> = ranked
                    .iter()
                    .filter(|x| x.1 != t)
                    .take(WEAKEST)
                    .map(|x| x.0)
                    .collect();
                v.push(p);
                v.sort_by(|a, b| b.total_cmp(a));
                v.iter().take(WEAKEST).sum()
            };
            let mut best = (f64::MIN, 0usize);
            for (i, q) in self.exam.questions.iter().enumerate() {
                if recent.contains(&i) {
                    continue;
                }
                let w = sigmoid(logit[&q.tag]);
                let (p1, p0) = chances(&known, i);
                let right = w * p1 + (1.0 - w) * p0;
                let post = |l1: f64, l0: f64| w * l1 / (w * l1 + (1.0 - w) * l0);
                let gain = right * top_if(&q.tag, post(p1, p0))
                    + (1.0 - right) * top_if(&q.tag, post(1.0 - p1, 1.0 - p0))
                    - top;
                let told = entropy(right) - w * entropy(p1) - (1.0 - w) * entropy(p0);
                let value = gain + 0.001 * told + 1e-12 * uniform(rng);
                if value > best.0 {
                    best = (value, i);
                }
            }
            let i = best.1;
            recent.push_back(i);
            if recent.len() > 30 {
                recent.pop_front();
            }
            let q = &self.exam.questions[i];
            let right = uniform(rng) < person.chance(q, i, &self.truth);
            let (p1, p0) = chances(&known, i);
            if let Some(l) = logit.get_mut(&q.tag) {
                *l += if right {
                    (p1 / p0).ln()
                } else {
                    ((1.0 - p1) / (1.0 - p0)).ln()
                };
            }
            if self.world == World::Growing {
                person.learn(&q.tag);
                known.learn(&q.tag);
            }
            if CHECKPOINTS.contains(&done) {
                let truth = [
                    lowest3(&self.tags, |t| person.ability(t)),
                    lowest3(&self.tags, |t| {
                        mean(
                            self.by_tag[t]
                                .iter()
                                .map(|&i| person.chance(&self.exam.questions[i], i, &self.truth)),
                        )
                    }),
                ];
                let found = lowest3(&self.tags, |t| -logit[t]);
                for (o, t) in out.iter_mut().zip(&truth) {
                    o.push(precision(&found, t));
                }
            }
        }
        out
    }
}

fn mean(v: impl Iterator<Item = f64>) -> f64 {
    let (s, n) = v.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    s / n.max(1) as f64
}

fn run_world(
    exam: &Exam,
    items_tags: &[TagCode],
    world: World,
    spread: Spread,
    report: &mut String,
) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(if world == World::Static { 7 } else { 11 });
    let distinct = spread == Spread::Distinct;
    let noise = if world == World::Static { 0.5 } else { 0.8 };
    let truth = TrueItems {
        a: exam
            .questions
            .iter()
            .map(|_| (0.25 * normal(&mut rng)).exp())
            .collect(),
        b: exam
            .questions
            .iter()
            .map(|q| ItemParams::prior(q.difficulty).b + noise * normal(&mut rng))
            .collect(),
    };
    let sim = Sim {
        exam,
        weights: exam.weights(),
        tags: items_tags.to_vec(),
        truth,
        world,
        spread,
        rules: ExamRules::default(),
        by_tag: exam
            .questions
            .iter()
            .enumerate()
            .fold(HashMap::new(), |mut m, (i, q)| {
                m.entry(q.tag.clone()).or_insert_with(Vec::new).push(i);
                m
            }),
    };
    let started = Instant::now();
    let mut params: Vec<ItemParams> = exam
        .questions
        .iter()
        .map(|q| ItemParams::prior(q.difficulty))
        .collect();
    for c in 0..calibration() {
        let mut person = Person::new(&mut rng, &sim.tags, distinct);
        sim.practise(
            &mut person,
            &mut params,
            false,
            CALIBRATION_ANSWERS,
            &mut rng,
            None,
            c as u64,
        );
    }
    let max = max_answers();
    let mut random = Vec::new();
    let mut adaptive = Vec::new();
    let mut ideal: Vec<[Vec<f64>; 2]> = Vec::new();
    for c in 0..evaluation() {
        let person = Person::new(&mut rng, &sim.tags, distinct);
        let mut r = Record::default();
        sim.practise(
            &mut person.clone(),
            &mut params.clone(),
            false,
            max,
            &mut rng,
            Some(&mut r),
            c as u64,
        );
        random.push(r);
        let mut r = Record::default();
        sim.practise(
            &mut person.clone(),
            &mut params.clone(),
            true,
            max,
            &mut rng,
            Some(&mut r),
            c as u64,
        );
        adaptive.push(r);
        if distinct {
            let mut own = Xoshiro256PlusPlus::seed_from_u64(1_000 + c as u64);
            ideal.push(sim.ideal(&mut person.clone(), &mut own));
        }
    }
    let weak = if sim.spread == Spread::Distinct {
        "three distinct weak points"
    } else {
        "a continuous spread of abilities"
    };
    let name = if world == World::Static {
        "static abilities (the model's assumption)"
    } else {
        "growing abilities, noisier difficulties (not the model's assumption)"
    };
    let all = |f: &dyn Fn(&Record) -> &Vec<(f64, f64)>| -> Vec<(f64, f64)> {
        random.iter().flat_map(|r| f(r).iter().copied()).collect()
    };
    let (m, o, t) = (
        all(&|r| &r.model),
        all(&|r| &r.overall),
        all(&|r| &r.per_tag),
    );
    let _ = writeln!(
        report,
        "\n## World: {name}; {weak}\n\n{} questions in the pool, {} knowledge points; {} calibration candidates × {CALIBRATION_ANSWERS} answers, {} evaluation candidates; {:.1} s.\n",
        exam.questions.len(),
        sim.tags.len(),
        calibration(),
        random.len(),
        started.elapsed().as_secs_f64()
    );
    let _ = writeln!(
        report,
        "Next-answer prediction ({} answers under random practice, predicted before each answer):\n\n| predictor | AUC | log loss |\n| --- | ---: | ---: |",
        m.len()
    );
    for (label, v) in [
        ("learner model", &m),
        ("overall proportion", &o),
        ("per-point proportion", &t),
    ] {
        let _ = writeln!(report, "| {label} | {:.3} | {:.3} |", auc(v), log_loss(v));
    }
    let _ = writeln!(
        report,
        "\nPredicted full-mock total (mean absolute error, points of 200):\n\n| answers | model (adaptive) | model (random) | per-point baseline (random) |\n| ---: | ---: | ---: | ---: |"
    );
    for (k, n) in CHECKPOINTS.iter().enumerate() {
        let _ = writeln!(
            report,
            "| {n} | {:.1} | {:.1} | {:.1} |",
            mean(adaptive.iter().map(|r| r.score_error[k])),
            mean(random.iter().map(|r| r.score_error[k])),
            mean(random.iter().map(|r| r.baseline_error[k])),
        );
    }
    for (m, meaning) in MEANINGS.iter().enumerate() {
        let _ = writeln!(
            report,
            "\nThe three weakest knowledge points, {meaning}: mean precision of those found\n\n| answers | model, adaptive | model, random | per-point proportion, random | ideal observer (ceiling) |\n| ---: | ---: | ---: | ---: | ---: |"
        );
        for (k, n) in CHECKPOINTS.iter().enumerate() {
            let at = n / 10 - 1;
            let ceiling = if ideal.is_empty() {
                "—".to_owned()
            } else {
                format!("{:.2}", mean(ideal.iter().map(|r| r[m][k])))
            };
            let _ = writeln!(
                report,
                "| {n} | {:.2} | {:.2} | {:.2} | {ceiling} |",
                mean(adaptive.iter().map(|r| r.precision[m][at])),
                mean(random.iter().map(|r| r.precision[m][at])),
                mean(random.iter().map(|r| r.baseline_precision[m][k])),
            );
        }
        let needed = |rs: &[Record]| -> Option<usize> {
            (0..max / 10)
                .find(|&i| mean(rs.iter().map(|r| r.precision[m][i])) >= 0.8)
                .map(|i| (i + 1) * 10)
        };
        let (na, nr) = (needed(&adaptive), needed(&random));
        let show = |n: Option<usize>| n.map_or(format!("> {max}"), |n| n.to_string());
        let ratio = match (na, nr) {
            (Some(a), Some(r)) => format!("{:.0} %", 100.0 * a as f64 / r as f64),
            (Some(a), None) => format!("< {:.0} %", 100.0 * a as f64 / max as f64),
            _ => "n/a".to_owned(),
        };
        let last = max / 10 - 1;
        let _ = writeln!(
            report,
            "\nAnswers until the mean precision reaches 0.8: adaptive {}, random {}; adaptive needs {ratio} of random's answers. Precision after {max}: adaptive {:.2}, random {:.2}.",
            show(na),
            show(nr),
            mean(adaptive.iter().map(|r| r.precision[m][last])),
            mean(random.iter().map(|r| r.precision[m][last])),
        );
    }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("question-bank");
    let bank = tiku::bank::load(&dir).bank;
    let full = bank
        .blueprints
        .iter()
        .find(|b| b.id == "full")
        .cloned()
        .unwrap_or_else(|| panic!("no full blueprint"));
    let items: Vec<&Item> = bank
        .items
        .iter()
        .filter(|i| i.status == Status::Published)
        .map(|i| &i.item)
        .collect();
    let mut exam = Exam::new(&full, &items);
    // What if the bank's questions were harder to guess: every guessing floor scaled (truth and model).
    let scale: Option<f64> = std::env::var("TIKU_LEARNER_GUESS_SCALE")
        .ok()
        .and_then(|v| v.parse().ok());
    if let Some(f) = scale {
        for q in &mut exam.questions {
            q.guess *= f;
        }
    }
    let mut tags: Vec<TagCode> = exam.questions.iter().map(|q| q.tag.clone()).collect();
    tags.sort();
    tags.dedup();
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_default();
    // The command as run, with the knobs that were set.
    let knobs: String = [
        "TIKU_LEARNER_WORLDS",
        "TIKU_LEARNER_MAX",
        "TIKU_LEARNER_EVALUATION",
        "TIKU_LEARNER_CALIBRATION",
        "TIKU_LEARNER_GUESS_SCALE",
    ]
    .iter()
    .filter_map(|k| std::env::var(k).ok().map(|v| format!("{k}={v} ")))
    .collect();
    let mut report = format!(
        "# Learner model: simulation\n\nMeasured {} on {cpu} ({} cores) with `{knobs}cargo bench --bench learner`. See the header of benches/learner.rs for the design.\n",
        time::OffsetDateTime::now_utc().date(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    if let Some(f) = scale {
        let _ = writeln!(
            report,
            "\nWhat-if run (`TIKU_LEARNER_GUESS_SCALE={f}`): every question's guessing floor × {f}, in the simulated truth and in the model — not the shipped bank.\n"
        );
    }
    let worlds: usize = std::env::var("TIKU_LEARNER_WORLDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    for (world, spread) in [
        (World::Static, Spread::Distinct),
        (World::Growing, Spread::Distinct),
        (World::Static, Spread::Continuous),
    ]
    .into_iter()
    .take(worlds)
    {
        run_world(&exam, &tags, world, spread, &mut report);
    }
    // The cost of one update, measured on the model alone.
    let q = &exam.questions[0];
    let mut p = ItemParams::prior(q.difficulty);
    let mut l = Learner::default();
    let t = Instant::now();
    let n = 100_000;
    for i in 0..n {
        l.observe(q, &mut p, (i % 2) as f64, 1_700_000_000 + i, i);
    }
    let _ = writeln!(
        report,
        "\nOne model update (candidate and question): {:.2} µs (mean of {n}).",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    // The cost of one prediction as the dashboard and the class forecast make it (300 draws).
    let learner = {
        let mut l = Learner::default();
        for (i, q) in exam.questions.iter().enumerate().take(200) {
            let mut p = ItemParams::prior(q.difficulty);
            l.observe(
                q,
                &mut p,
                (i % 3 != 0) as u8 as f64,
                1_700_000_000 + i as i64,
                i as i64,
            );
        }
        l
    };
    let prior = |q: &QuestionMeta| ItemParams::prior(q.difficulty);
    let rules = ExamRules::default();
    let runs = 50;
    let t = Instant::now();
    for s in 0..runs {
        std::hint::black_box(predict(&learner, &exam, &prior, &rules, &[], 300, s));
    }
    let _ = writeln!(
        report,
        "One predicted mock (300 draws over the {} questions): {:.2} ms (mean of {runs}).",
        exam.questions.len(),
        t.elapsed().as_secs_f64() * 1e3 / f64::from(runs as u32)
    );
    print!("{report}");
    if let Ok(path) = std::env::var("TIKU_BENCH_REPORT") {
        std::fs::write(&path, &report).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
}
