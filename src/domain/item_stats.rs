//! Classical item analysis from recorded answers: facility, discrimination (point-biserial against the
//! rest score, and upper/lower 27 % groups), option frequencies and mean time, with flags for figures
//! that suggest a faulty item.
//!
//! Each candidate counts once per question: their first machine-marked answer (later ones are practice
//! on a known item). A candidate's ability is their mean score fraction over every *other* question they
//! answered (the rest score), so an item does not correlate with itself.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

/// Fewest answers before discrimination flags are raised.
pub const MIN_ANSWERS_FOR_FLAGS: usize = 30;
/// Share of candidates in each of the upper and lower groups.
pub const GROUP_SHARE: f64 = 0.27;

/// One answer as the analysis sees it.
#[derive(Clone, Debug)]
pub struct Observation<'a> {
    pub user: &'a str,
    /// The question answered: an item id, or `{item}.{part}`.
    pub question: &'a str,
    /// Score as a fraction of the maximum, 0..=1.
    pub fraction: f64,
    /// The options chosen, for choice questions.
    pub chosen: Option<Vec<String>>,
    pub seconds: Option<u32>,
}

/// What looks wrong with an item's figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "flag", rename_all = "snake_case")]
pub enum Flag {
    /// Weaker candidates do better than stronger ones: a wrong key or a misleading stem.
    NegativeDiscrimination { point_biserial: f64 },
    /// Among the strongest 27 %, a wrong option is chosen more often than the key.
    DistractorBeatsKey {
        option: String,
        chosen: usize,
        key_chosen: usize,
    },
}

/// How often an option was chosen, overall and by the upper and lower groups.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OptionCount {
    pub option: String,
    pub key: bool,
    pub chosen: usize,
    pub share: f64,
    pub upper: usize,
    pub lower: usize,
}

/// The figures of one question.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QuestionStats {
    pub question: String,
    pub answers: usize,
    /// Mean score fraction (the p-value of classical test theory).
    pub facility: f64,
    /// Correlation of the item score with the rest score; `None` with too little spread.
    pub point_biserial: Option<f64>,
    /// Facility of the upper 27 % minus that of the lower 27 %; `None` below 10 answers.
    pub upper_lower: Option<f64>,
    pub mean_seconds: Option<f64>,
    pub options: Vec<OptionCount>,
    pub flags: Vec<Flag>,
}

/// Analyses `observations`. `keys` gives the keyed options of each choice question (for option counts and
/// the distractor flag); questions not in it get no option figures.
pub fn analyse(
    observations: &[Observation<'_>],
    keys: &HashMap<String, Vec<String>>,
) -> BTreeMap<String, QuestionStats> {
    // First answer per (candidate, question).
    let mut seen: HashMap<(&str, &str), usize> = HashMap::new();
    let mut firsts: Vec<&Observation<'_>> = Vec::new();
    for o in observations {
        if seen.insert((o.user, o.question), firsts.len()).is_none() {
            firsts.push(o);
        }
    }
    let mut totals: HashMap<&str, (f64, usize)> = HashMap::new();
    for o in &firsts {
        let t = totals.entry(o.user).or_default();
        t.0 += o.fraction;
        t.1 += 1;
    }
    let mut by_question: BTreeMap<&str, Vec<(&Observation<'_>, Option<f64>)>> = BTreeMap::new();
    for o in &firsts {
        let (sum, n) = totals[o.user];
        let rest = (n > 1).then(|| (sum - o.fraction) / (n - 1) as f64);
        by_question.entry(o.question).or_default().push((o, rest));
    }
    by_question
        .into_iter()
        .map(|(q, rows)| {
            let stats = question_stats(q, &rows, keys.get(q));
            (q.to_owned(), stats)
        })
        .collect()
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

/// Pearson correlation; `None` when either side has no spread.
fn correlation(pairs: &[(f64, f64)]) -> Option<f64> {
    let n = pairs.len() as f64;
    if pairs.len() < 3 {
        return None;
    }
    let mx = pairs.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pairs.iter().map(|p| p.1).sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in pairs {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx).powi(2);
        syy += (y - my).powi(2);
    }
    (sxx > 1e-12 && syy > 1e-12).then(|| sxy / (sxx * syy).sqrt())
}

fn question_stats(
    question: &str,
    rows: &[(&Observation<'_>, Option<f64>)],
    key: Option<&Vec<String>>,
) -> QuestionStats {
    let answers = rows.len();
    let facility = mean(rows.iter().map(|(o, _)| o.fraction)).unwrap_or(0.0);
    let mean_seconds = mean(rows.iter().filter_map(|(o, _)| o.seconds.map(f64::from)));
    let mut ranked: Vec<(&Observation<'_>, f64)> = rows
        .iter()
        .filter_map(|(o, r)| r.map(|r| (*o, r)))
        .collect();
    let pairs: Vec<(f64, f64)> = ranked.iter().map(|(o, r)| (o.fraction, *r)).collect();
    let point_biserial = correlation(&pairs);
    // Strongest first; ties broken by candidate so the groups do not depend on input order.
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.user.cmp(b.0.user)));
    let group = ((ranked.len() as f64) * GROUP_SHARE).round() as usize;
    let (upper, lower) = if ranked.len() >= 10 && group > 0 {
        (&ranked[..group], &ranked[ranked.len() - group..])
    } else {
        (&ranked[..0], &ranked[..0])
    };
    let upper_lower = (!upper.is_empty()).then(|| {
        mean(upper.iter().map(|(o, _)| o.fraction)).unwrap_or(0.0)
            - mean(lower.iter().map(|(o, _)| o.fraction)).unwrap_or(0.0)
    });

    let mut options: Vec<OptionCount> = Vec::new();
    if let Some(keyed) = key {
        let mut ids: Vec<String> = keyed.clone();
        for (o, _) in rows {
            for c in o.chosen.iter().flatten() {
                if !ids.contains(c) {
                    ids.push(c.clone());
                }
            }
        }
        ids.sort();
        let count = |group: &[(&Observation<'_>, f64)], id: &str| {
            group
                .iter()
                .filter(|(o, _)| o.chosen.as_ref().is_some_and(|c| c.iter().any(|x| x == id)))
                .count()
        };
        for id in ids {
            let chosen = rows
                .iter()
                .filter(|(o, _)| o.chosen.as_ref().is_some_and(|c| c.contains(&id)))
                .count();
            options.push(OptionCount {
                key: keyed.contains(&id),
                share: if answers > 0 {
                    chosen as f64 / answers as f64
                } else {
                    0.0
                },
                upper: count(upper, &id),
                lower: count(lower, &id),
                option: id,
                chosen,
            });
        }
    }

    let mut flags = Vec::new();
    if answers >= MIN_ANSWERS_FOR_FLAGS {
        if let Some(r) = point_biserial.filter(|r| *r < 0.0) {
            flags.push(Flag::NegativeDiscrimination { point_biserial: r });
        }
        let key_upper = options
            .iter()
            .filter(|o| o.key)
            .map(|o| o.upper)
            .min()
            .unwrap_or(0);
        if let Some(d) = options
            .iter()
            .filter(|o| !o.key && o.upper > key_upper)
            .max_by_key(|o| o.upper)
        {
            flags.push(Flag::DistractorBeatsKey {
                option: d.option.clone(),
                chosen: d.upper,
                key_chosen: key_upper,
            });
        }
    }
    QuestionStats {
        question: question.to_owned(),
        answers,
        facility,
        point_biserial,
        upper_lower,
        mean_seconds,
        options,
        flags,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A candidate's answers: (question, score fraction, options chosen).
    type Answers = Vec<(String, f64, Option<Vec<String>>)>;

    /// `n` candidates of rising ability answer a filler question set and question `q`.
    fn cohort(
        n: usize,
        q_right: impl Fn(usize) -> bool,
        q_choice: impl Fn(usize) -> &'static str,
    ) -> Vec<(String, Answers)> {
        (0..n)
            .map(|i| {
                let ability = i as f64 / n as f64;
                let mut answers: Answers = (0..10)
                    .map(|k| {
                        let right = (k as f64) / 10.0 < ability;
                        (format!("F{k}"), if right { 1.0 } else { 0.0 }, None)
                    })
                    .collect();
                answers.push((
                    "Q".to_owned(),
                    if q_right(i) { 1.0 } else { 0.0 },
                    Some(vec![q_choice(i).to_owned()]),
                ));
                (format!("u{i:03}"), answers)
            })
            .collect()
    }

    fn observe(data: &[(String, Answers)]) -> Vec<Observation<'_>> {
        data.iter()
            .flat_map(|(u, answers)| {
                answers.iter().map(move |(q, f, c)| Observation {
                    user: u,
                    question: q,
                    fraction: *f,
                    chosen: c.clone(),
                    seconds: Some(30),
                })
            })
            .collect()
    }

    fn keys() -> HashMap<String, Vec<String>> {
        HashMap::from([("Q".to_owned(), vec!["a".to_owned()])])
    }

    #[test]
    fn a_good_item_discriminates_and_raises_no_flag() {
        // The stronger half answers right (choosing the key a); the weaker half picks b or c.
        let data = cohort(
            60,
            |i| i >= 30,
            |i| {
                if i >= 30 {
                    "a"
                } else if i % 2 == 0 {
                    "b"
                } else {
                    "c"
                }
            },
        );
        let stats = analyse(&observe(&data), &keys());
        let q = &stats["Q"];
        assert_eq!(q.answers, 60);
        assert!((q.facility - 0.5).abs() < 1e-9);
        assert!(q.point_biserial.is_some_and(|r| r > 0.8), "{q:?}");
        assert!((q.upper_lower.unwrap_or(0.0) - 1.0).abs() < 1e-9, "{q:?}");
        assert_eq!(q.mean_seconds, Some(30.0));
        assert!(q.flags.is_empty(), "{:?}", q.flags);
        let a = &q.options[0];
        assert_eq!((a.option.as_str(), a.key, a.chosen), ("a", true, 30));
        assert_eq!((a.upper, a.lower), (16, 0));
    }

    #[test]
    fn a_miskeyed_item_is_flagged_twice() {
        // The strong candidates choose b, which is right; the bank's key says a.
        let data = cohort(60, |i| i < 30, |i| if i >= 30 { "b" } else { "a" });
        let stats = analyse(&observe(&data), &keys());
        let q = &stats["Q"];
        assert!(
            q.flags
                .iter()
                .any(|f| matches!(f, Flag::NegativeDiscrimination { point_biserial } if *point_biserial < -0.8)),
            "{:?}",
            q.flags
        );
        assert!(
            q.flags.contains(&Flag::DistractorBeatsKey {
                option: "b".into(),
                chosen: 16,
                key_chosen: 0
            }),
            "{:?}",
            q.flags
        );
    }

    #[test]
    fn only_first_answers_count_and_small_samples_raise_no_flags() {
        let data = cohort(20, |i| i < 10, |i| if i < 10 { "a" } else { "b" });
        let mut obs = observe(&data);
        // A later, right answer of the weakest candidate does not change the figures.
        obs.push(Observation {
            user: "u019",
            question: "Q",
            fraction: 1.0,
            chosen: Some(vec!["a".into()]),
            seconds: Some(5),
        });
        let stats = analyse(&obs, &keys());
        let q = &stats["Q"];
        assert_eq!(q.answers, 20);
        assert!((q.facility - 0.5).abs() < 1e-9);
        assert!(q.point_biserial.is_some_and(|r| r < 0.0));
        assert!(
            q.flags.is_empty(),
            "fewer than {MIN_ANSWERS_FOR_FLAGS} answers"
        );
    }
}
