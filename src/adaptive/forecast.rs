//! The exam as the model sees it (which questions can fill each section of a blueprint and what they are
//! worth), each knowledge point's weight in the expected paper, and the predicted score: per subject
//! and total with an 80 % interval, the chance of passing under the exam's rules, and the grade band
//! against the cohort.

use std::collections::{BTreeMap, HashMap};

use rand::rngs::Xoshiro256PlusPlus;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::domain::blueprint::Blueprint;
use crate::domain::exam::ExamRules;
use crate::domain::item::{Item, Subject};
use crate::domain::taxonomy::TagCode;

use super::model::{ItemParams, Learner, QuestionMeta, metas, path};

/// One item that may fill a section: its questions and the share of the section's points each carries.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// (index into [`Exam::questions`], share of the item's points).
    pub questions: Vec<(usize, f64)>,
}

#[derive(Clone, Debug)]
pub struct Section {
    pub count: u32,
    pub points: u32,
    pub items: Vec<Candidate>,
}

#[derive(Clone, Debug)]
pub struct SubjectExam {
    pub subject: Subject,
    pub max: u32,
    pub sections: Vec<Section>,
}

/// A blueprint over a pool: which questions may appear and what they are worth.
#[derive(Clone, Debug)]
pub struct Exam {
    pub questions: Vec<QuestionMeta>,
    pub subjects: Vec<SubjectExam>,
}

impl Exam {
    /// Every paper of the blueprint over the pool; a question appears once however many sections admit it.
    pub fn new(blueprint: &Blueprint, pool: &[&Item]) -> Exam {
        let mut questions: Vec<QuestionMeta> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut subjects = Vec::new();
        for paper in &blueprint.papers {
            let mut sections = Vec::new();
            for section in &paper.sections {
                let mut items = Vec::new();
                for item in pool
                    .iter()
                    .filter(|i| i.subject == paper.subject && section.admits(i))
                {
                    let total = f64::from(item.points().max(1));
                    let qs = metas(item)
                        .into_iter()
                        .map(|m| {
                            let share = f64::from(m.points) / total;
                            let next = questions.len();
                            let i = *index.entry(m.id.clone()).or_insert(next);
                            if i == next {
                                questions.push(m);
                            }
                            (i, share)
                        })
                        .collect();
                    items.push(Candidate { questions: qs });
                }
                sections.push(Section {
                    count: section.count,
                    points: section.points,
                    items,
                });
            }
            subjects.push(SubjectExam {
                subject: paper.subject,
                max: paper.max_points(),
                sections,
            });
        }
        Exam {
            questions,
            subjects,
        }
    }

    /// Each leaf's expected points on a paper (the sections' points spread evenly over the items that
    /// can fill them, and each item's points over its questions' tags).
    pub fn weights(&self) -> BTreeMap<TagCode, f64> {
        let mut w: BTreeMap<TagCode, f64> = BTreeMap::new();
        for s in self.subjects.iter().flat_map(|s| &s.sections) {
            if s.items.is_empty() {
                continue;
            }
            let per_item = f64::from(s.count * s.points) / s.items.len() as f64;
            for c in &s.items {
                for &(q, share) in &c.questions {
                    *w.entry(self.questions[q].tag.clone()).or_default() += per_item * share;
                }
            }
        }
        w
    }

    /// Expected score and its sampling variance per subject (in the order of [`Exam::subjects`]), given
    /// each question's chance.
    pub fn expected(&self, p: &[f64]) -> Vec<(f64, f64)> {
        self.subjects
            .iter()
            .map(|s| {
                let (mut mean, mut var) = (0.0, 0.0);
                for sec in &s.sections {
                    if sec.items.is_empty() {
                        continue;
                    }
                    let n = sec.items.len() as f64;
                    let pts = f64::from(sec.points);
                    let (mut f, mut v) = (0.0, 0.0);
                    for c in &sec.items {
                        for &(q, share) in &c.questions {
                            f += share * p[q];
                            v += (share * pts).powi(2) * p[q] * (1.0 - p[q]);
                        }
                    }
                    mean += f64::from(sec.count) * pts * f / n;
                    var += f64::from(sec.count) * v / n;
                }
                (mean, var)
            })
            .collect()
    }
}

/// A figure with its 80 % interval.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Interval {
    pub mean: f64,
    pub low: f64,
    pub high: f64,
}

/// The predicted result of a full mock.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Prediction {
    #[serde(rename = "A")]
    pub a: Interval,
    #[serde(rename = "B")]
    pub b: Interval,
    pub total: Interval,
    pub pass_probability: f64,
    /// excellent, good or pass against the cohort's passers; none while passing is less likely than not.
    pub grade: Option<String>,
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Draws from a standard normal (Box–Muller).
fn normal(rng: &mut Xoshiro256PlusPlus) -> f64 {
    let mut uniform = || (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    let u1 = uniform().max(1e-12);
    let u2 = uniform();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Predicts a full mock: abilities drawn from the candidate's beliefs (`samples` draws, seeded), each
/// draw's expected scores plus the luck of the paper, then the exam's pass rules and the cohort's
/// passers' totals (`cohort`, any order) for the grade band.
pub fn predict(
    learner: &Learner,
    exam: &Exam,
    params: &dyn Fn(&QuestionMeta) -> ItemParams,
    rules: &ExamRules,
    cohort: &[u32],
    samples: usize,
    seed: u64,
) -> Prediction {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let item_params: Vec<ItemParams> = exam.questions.iter().map(params).collect();
    let paths: Vec<Vec<(String, f64)>> = exam.questions.iter().map(|q| path(&q.tag)).collect();
    let mut terms: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    for (key, prior) in paths.iter().flatten() {
        let belief = learner
            .nodes
            .get(key)
            .map_or((0.0, *prior), |n| (n.mean, n.var));
        terms.insert(key, belief);
    }
    // Terms by position (drawn in key order), and each question's path as positions.
    let position: HashMap<&str, usize> = terms.keys().enumerate().map(|(i, k)| (*k, i)).collect();
    let terms: Vec<(f64, f64)> = terms.into_values().collect();
    let paths: Vec<Vec<usize>> = paths
        .iter()
        .map(|p| p.iter().map(|(k, _)| position[k.as_str()]).collect())
        .collect();
    let mut draw = vec![0.0; terms.len()];
    let (mut a, mut b, mut total) = (Vec::new(), Vec::new(), Vec::new());
    let mut passes = 0usize;
    let max = f64::from(rules.subject_max);
    let mut p = vec![0.0; exam.questions.len()];
    for _ in 0..samples.max(1) {
        for (d, (m, v)) in draw.iter_mut().zip(&terms) {
            *d = m + v.sqrt() * normal(&mut rng);
        }
        for (i, q) in exam.questions.iter().enumerate() {
            let theta: f64 = paths[i].iter().map(|&k| draw[k]).sum();
            let ip = &item_params[i];
            p[i] = q.guess + (1.0 - q.guess) / (1.0 + (-ip.a * (theta - ip.b)).exp());
        }
        let scores: Vec<f64> = exam
            .expected(&p)
            .into_iter()
            .map(|(m, v)| (m + v.sqrt() * normal(&mut rng)).clamp(0.0, max))
            .collect();
        let get = |s: Subject| {
            exam.subjects
                .iter()
                .position(|x| x.subject == s)
                .map_or(0.0, |i| scores[i])
        };
        let (sa, sb) = (get(Subject::A), get(Subject::B));
        let pass_line = f64::from(rules.subject_pass);
        if sa >= pass_line && sb >= pass_line && sa + sb >= f64::from(rules.total_pass) {
            passes += 1;
        }
        a.push(sa);
        b.push(sb);
        total.push(sa + sb);
    }
    let interval = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        Interval {
            mean: v.iter().sum::<f64>() / v.len().max(1) as f64,
            low: quantile(v, 0.1),
            high: quantile(v, 0.9),
        }
    };
    let (a, b, total) = (interval(&mut a), interval(&mut b), interval(&mut total));
    let pass_probability = passes as f64 / samples.max(1) as f64;
    let grade = grade_band(total.mean, pass_probability, rules, cohort);
    Prediction {
        a,
        b,
        total,
        pass_probability,
        grade,
    }
}

/// The band a total would earn among the cohort's passers; none while passing is less likely than not
/// or while the cohort has no passers to rank against.
pub fn grade_band(
    total: f64,
    pass_probability: f64,
    rules: &ExamRules,
    cohort: &[u32],
) -> Option<String> {
    if pass_probability < 0.5 || cohort.is_empty() {
        return None;
    }
    let above = cohort.iter().filter(|&&t| f64::from(t) > total).count();
    let rank_percent = 100.0 * (above + 1) as f64 / (cohort.len() + 1) as f64;
    Some(
        if rank_percent <= f64::from(rules.excellent_top_percent) {
            "excellent"
        } else if rank_percent <= f64::from(rules.good_top_percent) {
            "good"
        } else {
            "pass"
        }
        .to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::exam::ExamRules;

    fn exam() -> (Exam, Vec<Item>) {
        let bank = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("question-bank");
        let loaded = crate::bank::load(&bank).bank;
        let full = loaded
            .blueprints
            .iter()
            .find(|b| b.id == "full")
            .cloned()
            .unwrap_or_else(|| panic!("no full blueprint"));
        let items: Vec<Item> = loaded.items.into_iter().map(|i| i.item).collect();
        let refs: Vec<&Item> = items.iter().collect();
        (Exam::new(&full, &refs), items)
    }

    #[test]
    fn weights_add_up_to_the_papers_points() {
        let (exam, _) = exam();
        let sum: f64 = exam.weights().values().sum();
        assert!((sum - 200.0).abs() < 1e-6, "{sum}");
    }

    #[test]
    fn a_strong_candidate_is_predicted_to_pass_and_a_weak_one_to_fail() {
        let (exam, _) = exam();
        let rules = ExamRules::default();
        let prior = |q: &QuestionMeta| ItemParams::prior(q.difficulty);
        let mut strong = Learner::default();
        let mut weak = Learner::default();
        for q in exam.questions.iter().take(150) {
            strong.observe(q, &mut prior(q), 1.0, 0, 0);
            weak.observe(q, &mut prior(q), 0.0, 0, 0);
        }
        let s = predict(&strong, &exam, &prior, &rules, &[130, 150, 170], 200, 1);
        let w = predict(&weak, &exam, &prior, &rules, &[130, 150, 170], 200, 1);
        assert!(s.total.mean > 150.0 && s.pass_probability > 0.9, "{s:?}");
        assert!(w.total.mean < 110.0 && w.pass_probability < 0.1, "{w:?}");
        assert!(s.total.low <= s.total.mean && s.total.mean <= s.total.high);
        assert!(s.grade.is_some() && w.grade.is_none());
        // Seeded: the same inputs give the same prediction.
        assert_eq!(
            s,
            predict(&strong, &exam, &prior, &rules, &[130, 150, 170], 200, 1)
        );
    }

    #[test]
    fn grade_bands_follow_the_rank_among_passers() {
        let rules = ExamRules::default();
        let cohort: Vec<u32> = (0..100).map(|i| 120 + i / 2).collect();
        assert_eq!(
            grade_band(200.0, 0.9, &rules, &cohort).as_deref(),
            Some("excellent")
        );
        assert_eq!(
            grade_band(121.0, 0.9, &rules, &cohort).as_deref(),
            Some("pass")
        );
        assert_eq!(grade_band(200.0, 0.4, &rules, &cohort), None);
    }
}
