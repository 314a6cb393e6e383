//! Paper assembly: `assemble(blueprint, pool, options)` → a [`Paper`] that meets the blueprint exactly —
//! counts and points per section, topic weights to within one item, whole cases — preferring items the
//! candidate has not seen and items few papers have used, near a target mean difficulty, with options
//! shuffled and template variants drawn. The same inputs and seed give the same paper.

use std::collections::{BTreeMap, BTreeSet};

use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::domain::Text;
use crate::domain::blueprint::{Blueprint, BlueprintSection, SubjectPaper};
use crate::domain::item::{Item, ItemId, Kind, Response, Subject};

/// One published item the assembler may use.
#[derive(Clone, Debug)]
pub struct PoolItem<'a> {
    pub item: &'a Item,
    pub version: u32,
    /// Whether this candidate has already met the item in an earlier mock.
    pub seen: bool,
    /// How many recent papers (of any candidate) used the item.
    pub exposure: u32,
}

/// Assembly settings.
#[derive(Clone, Debug)]
pub struct Options {
    pub seed: u64,
    /// The paper's mean difficulty should fall in this band (per subject paper).
    pub difficulty_band: (f64, f64),
}

impl Default for Options {
    fn default() -> Self {
        Options {
            seed: 0,
            difficulty_band: (2.3, 3.5),
        }
    }
}

/// A slot of a paper: which item version, worth how many points, shown how.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Slot {
    /// The slot's id within the paper, e.g. `A1-07`.
    #[serde(rename = "ref")]
    pub slot_ref: String,
    pub item_id: ItemId,
    pub version: u32,
    pub points: u32,
    /// The calculation-template variant (0 for items without a template).
    pub variant: u64,
    /// For every choice question of the item (by question id), the order its options are shown in.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub option_order: BTreeMap<String, Vec<String>>,
}

/// One section of a paper.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaperSection {
    pub subject: Subject,
    pub title: Text,
    pub kind: Kind,
    pub slots: Vec<Slot>,
}

/// An assembled paper.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Paper {
    pub blueprint: String,
    pub seed: u64,
    pub minutes: u32,
    pub sections: Vec<PaperSection>,
}

impl Paper {
    pub fn slots(&self) -> impl Iterator<Item = &Slot> {
        self.sections.iter().flat_map(|s| s.slots.iter())
    }

    pub fn item_ids(&self) -> BTreeSet<&ItemId> {
        self.slots().map(|s| &s.item_id).collect()
    }

    pub fn max_points(&self) -> u32 {
        self.slots().map(|s| s.points).sum()
    }
}

/// The share of the smaller paper's items that the two papers have in common (0 to 1).
pub fn overlap(a: &Paper, b: &Paper) -> f64 {
    let (ia, ib) = (a.item_ids(), b.item_ids());
    let smaller = ia.len().min(ib.len());
    if smaller == 0 {
        return 0.0;
    }
    ia.intersection(&ib).count() as f64 / smaller as f64
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AssemblyError {
    #[error(
        "subject {subject} section {section} needs {need} items but only {have} published items qualify"
    )]
    NotEnough {
        subject: &'static str,
        section: usize,
        need: u32,
        have: usize,
    },
    #[error("the pool holds {given} items but was prepared with {prepared}")]
    Unprepared { prepared: usize, given: usize },
}

/// What assembly works out once for a blueprint and a pool, whoever the paper is for: each subject's
/// items, their topics, the items each section admits and the topics' quotas. Valid for any `seen` and
/// `exposure` over the same items in the same order.
pub struct Prepared {
    /// How many items the pool holds (to check that a pool is the one prepared for).
    len: usize,
    subjects: Vec<PreparedSubject>,
}

struct PreparedSubject {
    /// Each pool item's topic in this subject's paper (none for items of the other subject).
    topic: Vec<Option<usize>>,
    /// Per section, the pool indices of the items it admits, in pool order.
    admitted: Vec<Vec<usize>>,
    quotas: Result<Vec<Vec<u32>>, AssemblyError>,
}

impl Prepared {
    /// Prepares `blueprint` over `items`, which must be in the order later pools are given (by id).
    pub fn new(blueprint: &Blueprint, items: &[&Item]) -> Prepared {
        let subjects = blueprint
            .papers
            .iter()
            .map(|paper| {
                let member = |i: &Item| i.subject == paper.subject;
                let topic: Vec<Option<usize>> = items
                    .iter()
                    .map(|i| {
                        member(i)
                            .then(|| paper.topics.iter().position(|t| t.covers(i)))
                            .flatten()
                    })
                    .collect();
                let admitted: Vec<Vec<usize>> = paper
                    .sections
                    .iter()
                    .map(|section| {
                        (0..items.len())
                            .filter(|&k| member(items[k]) && section.admits(items[k]))
                            .collect()
                    })
                    .collect();
                let quotas = if paper.topics.is_empty() {
                    Ok(Vec::new())
                } else {
                    quotas(paper, &admitted, &topic)
                };
                PreparedSubject {
                    topic,
                    admitted,
                    quotas,
                }
            })
            .collect();
        Prepared {
            len: items.len(),
            subjects,
        }
    }
}

/// Assembles a paper. Fails only when the pool cannot fill a section.
pub fn assemble(
    blueprint: &Blueprint,
    pool: &[PoolItem<'_>],
    options: &Options,
) -> Result<Paper, AssemblyError> {
    // A deterministic pool order, whatever order the caller gives.
    let mut sorted: Vec<PoolItem<'_>> = pool.to_vec();
    if !sorted.is_sorted_by(|a, b| a.item.id <= b.item.id) {
        sorted.sort_by(|a, b| a.item.id.cmp(&b.item.id));
    }
    let items: Vec<&Item> = sorted.iter().map(|p| p.item).collect();
    assemble_prepared(
        blueprint,
        &Prepared::new(blueprint, &items),
        &sorted,
        options,
    )
}

/// Assembles a paper from a pool sorted by id, with what [`Prepared::new`] worked out for the same
/// blueprint and items. Gives the same paper as [`assemble`].
pub fn assemble_prepared(
    blueprint: &Blueprint,
    prepared: &Prepared,
    pool: &[PoolItem<'_>],
    options: &Options,
) -> Result<Paper, AssemblyError> {
    if prepared.len != pool.len() {
        return Err(AssemblyError::Unprepared {
            prepared: prepared.len,
            given: pool.len(),
        });
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(options.seed);
    let mut used = vec![false; pool.len()];
    let mut sections = Vec::new();
    for (paper, plan) in blueprint.papers.iter().zip(&prepared.subjects) {
        let picks = pick_subject(paper, plan, pool, &mut used, options, &mut rng)?;
        for (s_idx, (section, chosen)) in paper.sections.iter().zip(picks).enumerate() {
            let mut slots: Vec<Slot> = chosen
                .into_iter()
                .map(|k| slot(&pool[k], section, &mut rng))
                .collect();
            slots.shuffle(&mut rng);
            for (n, s) in slots.iter_mut().enumerate() {
                s.slot_ref = format!("{}{}-{:02}", paper.subject.code(), s_idx + 1, n + 1);
            }
            sections.push(PaperSection {
                subject: paper.subject,
                title: section.title.clone(),
                kind: section.kind,
                slots,
            });
        }
    }
    Ok(Paper {
        blueprint: blueprint.id.clone(),
        seed: options.seed,
        minutes: blueprint.minutes,
        sections,
    })
}

fn slot(p: &PoolItem<'_>, section: &BlueprintSection, rng: &mut Xoshiro256PlusPlus) -> Slot {
    let mut option_order = BTreeMap::new();
    for (qid, q) in p.item.questions() {
        if let Response::Single { options, .. } | Response::Multiple { options, .. } = &q.response {
            let mut ids: Vec<String> = options.iter().map(|o| o.id.clone()).collect();
            ids.shuffle(rng);
            option_order.insert(qid, ids);
        }
    }
    Slot {
        slot_ref: String::new(),
        item_id: p.item.id.clone(),
        version: p.version,
        points: section.points,
        variant: if p.item.template.is_some() {
            rng.next_u64()
        } else {
            0
        },
        option_order,
    }
}

/// Orders candidates (pool indices): unseen before seen, then less exposed, then at random.
fn ranked(cands: Vec<usize>, pool: &[PoolItem<'_>], rng: &mut Xoshiro256PlusPlus) -> Vec<usize> {
    let mut keyed: Vec<(bool, u32, u64, usize)> = cands
        .into_iter()
        .map(|k| (pool[k].seen, pool[k].exposure, rng.next_u64(), k))
        .collect();
    keyed.sort_by_key(|a| (a.0, a.1, a.2));
    keyed.into_iter().map(|k| k.3).collect()
}

/// Chooses the items of one subject paper, section by section (pool indices per section).
fn pick_subject(
    paper: &SubjectPaper,
    plan: &PreparedSubject,
    pool: &[PoolItem<'_>],
    used: &mut [bool],
    options: &Options,
    rng: &mut Xoshiro256PlusPlus,
) -> Result<Vec<Vec<usize>>, AssemblyError> {
    let quotas = plan.quotas.as_ref().map_err(Clone::clone)?;
    let weighted = !paper.topics.is_empty();

    // Candidate lists per cell (section, topic); topic 0 for sections without weights.
    let mut picks: Vec<Vec<usize>> = vec![Vec::new(); paper.sections.len()];
    let mut cells: Vec<(usize, Option<usize>, u32)> = Vec::new();
    for (s, section) in paper.sections.iter().enumerate() {
        if weighted && section.tags.is_empty() {
            for (t, &q) in quotas[s].iter().enumerate() {
                if q > 0 {
                    cells.push((s, Some(t), q));
                }
            }
        } else {
            cells.push((s, None, section.count));
        }
    }
    let mut alternatives: Vec<Vec<usize>> = vec![Vec::new(); paper.sections.len()];
    for (s, topic, q) in cells {
        let section = &paper.sections[s];
        let cands: Vec<usize> = plan.admitted[s]
            .iter()
            .copied()
            .filter(|&k| (topic.is_none() || plan.topic[k] == topic) && !used[k])
            .collect();
        if cands.len() < q as usize {
            return Err(AssemblyError::NotEnough {
                subject: paper.subject.code(),
                section: s + 1,
                need: section.count,
                have: cands.len(),
            });
        }
        let mut order = ranked(cands, pool, rng);
        let rest = order.split_off(q as usize);
        for &k in &order {
            used[k] = true;
        }
        picks[s].extend(order);
        // Equally ranked leftovers may be swapped in to reach the difficulty band.
        alternatives[s].extend(rest);
    }
    tune_difficulty(
        &mut picks,
        &alternatives,
        pool,
        used,
        options.difficulty_band,
        &plan.topic,
    );
    Ok(picks)
}

/// Splits each weighted section's count over the topics: row sums are the sections' counts, column sums
/// the topics' targets (largest remainder), within what the pool holds. Where the pool cannot meet a
/// topic's target exactly, the topic may end one item over or under it. `admitted`: per section, the
/// pool indices it admits; `topic`: each pool item's topic.
fn quotas(
    paper: &SubjectPaper,
    admitted: &[Vec<usize>],
    topic: &[Option<usize>],
) -> Result<Vec<Vec<u32>>, AssemblyError> {
    let topics = paper.topics.len();
    let targets = paper.topic_targets();
    let total = paper.weighted_count().max(1);
    let rows = paper.sections.len();
    let mut avail = vec![vec![0u32; topics]; rows];
    for (s, section) in paper.sections.iter().enumerate() {
        if !section.tags.is_empty() {
            continue;
        }
        for &k in &admitted[s] {
            if let Some(t) = topic[k] {
                avail[s][t] += 1;
            }
        }
    }
    let want = |s: usize, t: usize| {
        f64::from(paper.sections[s].count) * f64::from(targets[t]) / f64::from(total)
    };
    let mut q = vec![vec![0u32; topics]; rows];
    for s in 0..rows {
        if paper.sections[s].tags.is_empty() {
            for t in 0..topics {
                q[s][t] = (want(s, t).floor() as u32).min(avail[s][t]);
            }
        }
    }
    let row_need = |q: &Vec<Vec<u32>>, s: usize| {
        paper.sections[s].count as i64 - q[s].iter().map(|&x| i64::from(x)).sum::<i64>()
    };
    let col_need = |q: &Vec<Vec<u32>>, t: usize| {
        i64::from(targets[t]) - q.iter().map(|r| i64::from(r[t])).sum::<i64>()
    };
    // Fill exact needs first, then allow a topic one item over its target.
    for slack in [0i64, 1] {
        loop {
            let mut best: Option<(usize, usize, f64)> = None;
            for s in 0..rows {
                if !paper.sections[s].tags.is_empty() || row_need(&q, s) <= 0 {
                    continue;
                }
                for t in 0..topics {
                    if q[s][t] >= avail[s][t] || col_need(&q, t) + slack <= 0 {
                        continue;
                    }
                    let gap = want(s, t) - f64::from(q[s][t]) + col_need(&q, t) as f64;
                    if best.is_none_or(|(_, _, g)| gap > g) {
                        best = Some((s, t, gap));
                    }
                }
            }
            match best {
                Some((s, t, _)) => q[s][t] += 1,
                None => break,
            }
        }
    }
    for (s, row) in avail.iter().enumerate() {
        if paper.sections[s].tags.is_empty() && row_need(&q, s) > 0 {
            let have: u32 = row.iter().sum();
            return Err(AssemblyError::NotEnough {
                subject: paper.subject.code(),
                section: s + 1,
                need: paper.sections[s].count,
                have: have as usize,
            });
        }
    }
    Ok(q)
}

/// Swaps picks for equally preferable alternatives of the same section and topic until the paper's mean
/// difficulty lies in the band (or no swap brings it closer).
fn tune_difficulty(
    picks: &mut [Vec<usize>],
    alternatives: &[Vec<usize>],
    pool: &[PoolItem<'_>],
    used: &mut [bool],
    band: (f64, f64),
    topic: &[Option<usize>],
) {
    let n: usize = picks.iter().map(Vec::len).sum();
    if n == 0 {
        return;
    }
    let level = |k: usize| f64::from(pool[k].item.difficulty.get());
    let mut total: f64 = picks.iter().flatten().map(|&k| level(k)).sum();
    for _ in 0..(4 * n) {
        let mean = total / n as f64;
        let direction = if mean < band.0 {
            1.0
        } else if mean > band.1 {
            -1.0
        } else {
            return;
        };
        let mut best: Option<(usize, usize, usize, f64)> = None;
        for (s, list) in picks.iter().enumerate() {
            for (i, &current) in list.iter().enumerate() {
                for &alt in &alternatives[s] {
                    if used[alt]
                        || pool[alt].seen != pool[current].seen
                        || pool[alt].exposure > pool[current].exposure
                        || topic[alt] != topic[current]
                    {
                        continue;
                    }
                    let gain = (level(alt) - level(current)) * direction;
                    if gain > 0.0 && best.is_none_or(|b| gain > b.3) {
                        best = Some((s, i, alt, gain));
                    }
                }
            }
        }
        let Some((s, i, alt, _)) = best else {
            return;
        };
        total += level(alt) - level(picks[s][i]);
        used[picks[s][i]] = false;
        used[alt] = true;
        picks[s][i] = alt;
    }
}

/// Checks that `paper` meets `blueprint`: every section has its count of distinct items of the right kind
/// and points that the section admits, and every topic is within one item of its target. Returns every
/// violation found.
pub fn verify(
    blueprint: &Blueprint,
    paper: &Paper,
    items: &BTreeMap<ItemId, &Item>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let mut seen: BTreeSet<&ItemId> = BTreeSet::new();
    let mut sections = paper.sections.iter();
    for bp in &blueprint.papers {
        let mut topic_counts = vec![0i64; bp.topics.len()];
        for (s, section) in bp.sections.iter().enumerate() {
            let Some(ps) = sections.next() else {
                problems.push(format!(
                    "subject {} section {} is missing",
                    bp.subject.code(),
                    s + 1
                ));
                continue;
            };
            if ps.slots.len() != section.count as usize {
                problems.push(format!(
                    "subject {} section {}: {} items instead of {}",
                    bp.subject.code(),
                    s + 1,
                    ps.slots.len(),
                    section.count
                ));
            }
            for slot in &ps.slots {
                if !seen.insert(&slot.item_id) {
                    problems.push(format!("item {} appears twice", slot.item_id));
                }
                match items.get(&slot.item_id) {
                    None => problems.push(format!("item {} is not in the pool", slot.item_id)),
                    Some(item) => {
                        if item.subject != bp.subject
                            || !section.admits(item)
                            || slot.points != section.points
                        {
                            problems.push(format!(
                                "item {} does not fit subject {} section {}",
                                slot.item_id,
                                bp.subject.code(),
                                s + 1
                            ));
                        }
                        if section.tags.is_empty()
                            && let Some(t) = bp.topics.iter().position(|t| t.covers(item))
                        {
                            topic_counts[t] += 1;
                        }
                    }
                }
            }
        }
        for ((t, target), count) in bp.topics.iter().zip(bp.topic_targets()).zip(topic_counts) {
            if (count - i64::from(target)).abs() > 1 {
                problems.push(format!(
                    "subject {} topic {:?}: {count} items, target {target}",
                    bp.subject.code(),
                    t.tags.iter().map(ToString::to_string).collect::<Vec<_>>()
                ));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::blueprint::TopicWeight;
    use crate::domain::item::{Body, ChoiceOption, Difficulty, Question};
    use crate::domain::taxonomy::TagCode;

    fn tag(code: &str) -> TagCode {
        TagCode::parse(code).unwrap_or_else(|e| panic!("{e}"))
    }

    fn item(id: usize, kind: Kind, topic: &str, difficulty: u8) -> Item {
        let options: Vec<ChoiceOption> = ["a", "b", "c", "d"]
            .iter()
            .map(|o| ChoiceOption {
                id: (*o).into(),
                text: Text::same(o),
            })
            .collect();
        let response = match kind {
            Kind::Single => Response::Single {
                options,
                key: "a".into(),
            },
            Kind::Multiple => Response::Multiple {
                options,
                keys: vec!["a".into(), "b".into()],
            },
            _ => Response::TrueFalse { key: true },
        };
        Item {
            id: ItemId::parse(&format!("X-{id:04}")).unwrap_or_else(|e| panic!("{e}")),
            subject: Subject::A,
            tags: vec![tag(topic)],
            difficulty: Difficulty::new(difficulty).unwrap_or_else(|| panic!("level")),
            rules: vec![],
            sources: vec![],
            body: Body::Question(Question {
                stem: Text::same("q"),
                explanation: Text::same("e"),
                points: kind.default_points(),
                response,
            }),
            template: None,
        }
    }

    fn blueprint() -> Blueprint {
        let section = |kind: Kind, count: u32| BlueprintSection {
            title: Text::same(kind.code()),
            kind,
            count,
            points: kind.default_points(),
            tags: vec![],
        };
        Blueprint {
            id: "A".into(),
            title: Text::same("A"),
            minutes: 90,
            papers: vec![SubjectPaper {
                subject: Subject::A,
                title: Text::same("A"),
                sections: vec![
                    section(Kind::Single, 10),
                    section(Kind::Multiple, 4),
                    section(Kind::TrueFalse, 6),
                ],
                topics: vec![
                    TopicWeight {
                        tags: vec![tag("T1")],
                        percent: 50,
                    },
                    TopicWeight {
                        tags: vec![tag("T2")],
                        percent: 30,
                    },
                    TopicWeight {
                        tags: vec![tag("T3")],
                        percent: 20,
                    },
                ],
            }],
        }
    }

    /// A pool with more than enough of every kind and topic, difficulties spread 1–5.
    fn pool_items() -> Vec<Item> {
        let mut out = Vec::new();
        let mut n = 0;
        for (kind, per_topic) in [
            (Kind::Single, 14),
            (Kind::Multiple, 6),
            (Kind::TrueFalse, 9),
        ] {
            for topic in ["T1.1", "T2.1", "T3.1"] {
                for _ in 0..per_topic {
                    n += 1;
                    out.push(item(n, kind, topic, (n % 5 + 1) as u8));
                }
            }
        }
        out
    }

    fn pool(items: &[Item]) -> Vec<PoolItem<'_>> {
        items
            .iter()
            .map(|item| PoolItem {
                item,
                version: 1,
                seen: false,
                exposure: 0,
            })
            .collect()
    }

    #[test]
    fn every_paper_meets_its_blueprint_over_many_seeds() {
        let items = pool_items();
        let by_id: BTreeMap<ItemId, &Item> = items.iter().map(|i| (i.id.clone(), i)).collect();
        let bp = blueprint();
        for seed in 0..300 {
            let paper = assemble(
                &bp,
                &pool(&items),
                &Options {
                    seed,
                    ..Options::default()
                },
            )
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            let problems = verify(&bp, &paper, &by_id);
            assert!(problems.is_empty(), "seed {seed}: {problems:?}");
            assert_eq!(paper.max_points(), 10 + 8 + 6, "seed {seed}");
            let mean = paper
                .slots()
                .map(|s| f64::from(by_id[&s.item_id].difficulty.get()))
                .sum::<f64>()
                / 20.0;
            assert!(
                (2.3..=3.5).contains(&mean),
                "seed {seed}: mean difficulty {mean}"
            );
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_paper_and_another_seed_another() {
        let items = pool_items();
        let bp = blueprint();
        let a = assemble(
            &bp,
            &pool(&items),
            &Options {
                seed: 7,
                ..Options::default()
            },
        );
        let b = assemble(
            &bp,
            &pool(&items),
            &Options {
                seed: 7,
                ..Options::default()
            },
        );
        let c = assemble(
            &bp,
            &pool(&items),
            &Options {
                seed: 8,
                ..Options::default()
            },
        );
        assert_eq!(a, b);
        assert_ne!(a, c);
        // The caller's pool order does not matter.
        let mut reversed = pool(&items);
        reversed.reverse();
        assert_eq!(
            a,
            assemble(
                &bp,
                &reversed,
                &Options {
                    seed: 7,
                    ..Options::default()
                }
            )
        );
    }

    #[test]
    fn unseen_items_come_first() {
        let items = pool_items();
        let bp = blueprint();
        let first =
            assemble(&bp, &pool(&items), &Options::default()).unwrap_or_else(|e| panic!("{e}"));
        let seen: BTreeSet<&ItemId> = first.item_ids();
        let second_pool: Vec<PoolItem<'_>> = items
            .iter()
            .map(|item| PoolItem {
                item,
                version: 1,
                seen: seen.contains(&item.id),
                exposure: 0,
            })
            .collect();
        let second = assemble(
            &bp,
            &second_pool,
            &Options {
                seed: 1,
                ..Options::default()
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
        // The pool has room for a second paper without repeats except where a cell runs short.
        assert!(
            overlap(&first, &second) <= 0.2,
            "overlap {}",
            overlap(&first, &second)
        );
    }

    #[test]
    fn options_are_shuffled_per_paper_with_stable_ids() {
        let items = pool_items();
        let bp = blueprint();
        let paper =
            assemble(&bp, &pool(&items), &Options::default()).unwrap_or_else(|e| panic!("{e}"));
        let orders: Vec<&Vec<String>> = paper
            .slots()
            .flat_map(|s| s.option_order.values())
            .collect();
        assert_eq!(orders.len(), 14, "every choice item has an order");
        for o in &orders {
            let mut sorted = (*o).clone();
            sorted.sort();
            assert_eq!(sorted, vec!["a", "b", "c", "d"]);
        }
        assert!(
            orders.iter().any(|o| o.as_slice() != ["a", "b", "c", "d"]),
            "some order differs"
        );
    }

    #[test]
    fn a_pool_too_small_is_an_error_naming_the_section() {
        let items: Vec<Item> = pool_items()
            .into_iter()
            .filter(|i| i.kind() != Kind::Multiple)
            .collect();
        let err = assemble(&blueprint(), &pool(&items), &Options::default());
        assert!(
            matches!(err, Err(AssemblyError::NotEnough { section: 2, .. })),
            "{err:?}"
        );
    }
}
