//! A mock attempt's result by the exam's rules: points per subject (out of 100) and in total, pass when
//! every subject reaches its line and the total reaches its line, and the grade by rank among the passers
//! of the cohort (top 10 % excellent, to 30 % good, the rest pass; equal totals share a rank). Points
//! awaiting a grader and points the candidate gave themselves are reported apart, never counted as
//! earned.

use std::collections::BTreeMap;

use serde::Serialize;

use super::exam::ExamRules;
use super::item::Subject;
use super::scoring::{Mark, MarkState};

/// One answerable question of an assembled paper: which slot and item version it belongs to, what it is
/// worth and where its points count. Stored with the attempt, so results never depend on later edits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PaperQuestion {
    /// Where answers are saved: the slot's ref, or `{ref}.{part}` for a case part.
    pub slot: String,
    /// The slot it belongs to.
    #[serde(rename = "ref")]
    pub slot_ref: String,
    /// The question id: the item's id, or `{item}.{part}`.
    pub question_id: String,
    pub item_id: String,
    pub version: u32,
    pub variant: u64,
    pub subject: Subject,
    pub tag: String,
    pub kind: String,
    pub max: u32,
}

/// One question of the paper and how it was marked (`None`: not answered).
#[derive(Clone, Debug)]
pub struct Marked {
    pub subject: Subject,
    /// The knowledge point its points count toward.
    pub tag: String,
    pub max: u32,
    pub mark: Option<Mark>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SubjectScore {
    pub subject: Subject,
    /// Earned: machine-marked and teacher-graded points.
    pub score: u32,
    pub max: u32,
    /// Written answers nobody has graded yet: their maximum.
    pub pending_points: u32,
    /// Points the candidate gave themselves against the rubric.
    pub self_assessed_points: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TagScore {
    pub tag: String,
    pub score: u32,
    pub max: u32,
}

/// The grade on the certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    Excellent,
    Good,
    Pass,
}

/// What the earned points decide.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Scores {
    pub subjects: Vec<SubjectScore>,
    pub total: u32,
    pub max_total: u32,
    pub passed: bool,
    pub pending_points: u32,
    pub self_assessed_points: u32,
    /// The total and the pass rule if the self-assessed points counted (shown apart, for the candidate).
    pub total_with_self_assessed: u32,
    pub passed_with_self_assessed: bool,
    pub by_tag: Vec<TagScore>,
}

/// Adds up the marks by subject and by tag and applies the pass rule.
pub fn score(questions: &[Marked], rules: &ExamRules) -> Scores {
    let mut subjects: BTreeMap<Subject, SubjectScore> = BTreeMap::new();
    let mut tags: BTreeMap<String, TagScore> = BTreeMap::new();
    for q in questions {
        let s = subjects.entry(q.subject).or_insert(SubjectScore {
            subject: q.subject,
            score: 0,
            max: 0,
            pending_points: 0,
            self_assessed_points: 0,
        });
        let t = tags.entry(q.tag.clone()).or_insert(TagScore {
            tag: q.tag.clone(),
            score: 0,
            max: 0,
        });
        s.max += q.max;
        t.max += q.max;
        match q.mark {
            Some(m) if matches!(m.state, MarkState::Auto | MarkState::Graded) => {
                let earned = m.awarded.min(q.max);
                s.score += earned;
                t.score += earned;
            }
            Some(m) if m.state == MarkState::Pending => s.pending_points += q.max,
            Some(m) => s.self_assessed_points += m.awarded.min(q.max),
            None => {}
        }
    }
    let subjects: Vec<SubjectScore> = subjects.into_values().collect();
    let earned: Vec<u32> = subjects.iter().map(|s| s.score).collect();
    let with_self: Vec<u32> = subjects
        .iter()
        .map(|s| s.score + s.self_assessed_points)
        .collect();
    Scores {
        total: earned.iter().sum(),
        max_total: subjects.iter().map(|s| s.max).sum(),
        passed: rules.passed(&earned),
        pending_points: subjects.iter().map(|s| s.pending_points).sum(),
        self_assessed_points: subjects.iter().map(|s| s.self_assessed_points).sum(),
        total_with_self_assessed: with_self.iter().sum(),
        passed_with_self_assessed: rules.passed(&with_self),
        by_tag: tags.into_values().collect(),
        subjects,
    }
}

/// The grade of a passer with `total` among the cohort's passers' totals (which include this one). No
/// grade for a fail, or for an empty cohort.
pub fn grade(total: u32, passed: bool, cohort_passers: &[u32], rules: &ExamRules) -> Option<Grade> {
    let above = cohort_passers.iter().filter(|t| **t > total).count();
    grade_at(above, cohort_passers.len(), passed, rules)
}

/// The grade of a passer whom `above` of the cohort's `passers` (this one included) outscored. Equal
/// totals share the best rank among them. No grade for a fail, or for an empty cohort.
pub fn grade_at(above: usize, passers: usize, passed: bool, rules: &ExamRules) -> Option<Grade> {
    if !passed || passers == 0 {
        return None;
    }
    let n = passers as u64;
    let rank = 1 + above as u64;
    let within = |percent: u32| rank * 100 <= n * u64::from(percent);
    Some(if within(rules.excellent_top_percent) {
        Grade::Excellent
    } else if within(rules.good_top_percent) {
        Grade::Good
    } else {
        Grade::Pass
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(subject: Subject, tag: &str, max: u32, awarded: Option<(u32, MarkState)>) -> Marked {
        Marked {
            subject,
            tag: tag.into(),
            max,
            mark: awarded.map(|(awarded, state)| Mark {
                awarded,
                max,
                state,
            }),
        }
    }

    #[test]
    fn earned_points_decide_and_the_rest_is_shown_apart() {
        let r = ExamRules::default();
        let mut qs = vec![
            q(Subject::A, "T3.1", 60, Some((60, MarkState::Auto))),
            q(Subject::A, "T2.1", 40, None),
            q(Subject::B, "T5.1", 70, Some((65, MarkState::Auto))),
            q(Subject::B, "T11.3", 15, Some((0, MarkState::Pending))),
            q(Subject::B, "T11.4", 15, Some((12, MarkState::SelfAssessed))),
        ];
        let s = score(&qs, &r);
        assert_eq!(
            s.subjects
                .iter()
                .map(|x| (x.score, x.max))
                .collect::<Vec<_>>(),
            [(60, 100), (65, 100)]
        );
        assert_eq!((s.total, s.max_total), (125, 200));
        assert!(s.passed);
        assert_eq!((s.pending_points, s.self_assessed_points), (15, 12));
        assert_eq!(s.total_with_self_assessed, 137);
        let t = s.by_tag.iter().find(|t| t.tag == "T11.4");
        assert_eq!(
            t.map(|t| (t.score, t.max)),
            Some((0, 15)),
            "self-assessed never counts"
        );
        // One subject under 60 fails, however high the total.
        qs[0] = q(Subject::A, "T3.1", 60, Some((59, MarkState::Auto)));
        qs[1] = q(Subject::A, "T2.1", 40, None);
        qs[2] = q(Subject::B, "T5.1", 70, Some((70, MarkState::Auto)));
        let s = score(&qs, &r);
        assert!(!s.passed);
    }

    #[test]
    fn all_right_is_full_marks_and_all_wrong_is_nothing() {
        let r = ExamRules::default();
        let right: Vec<Marked> = (0..100)
            .map(|i| {
                q(
                    if i < 50 { Subject::A } else { Subject::B },
                    "T1.1",
                    2,
                    Some((2, MarkState::Auto)),
                )
            })
            .collect();
        let s = score(&right, &r);
        assert_eq!((s.total, s.max_total, s.passed), (200, 200, true));
        let wrong: Vec<Marked> = right
            .iter()
            .map(|m| q(m.subject, "T1.1", 2, Some((0, MarkState::Auto))))
            .collect();
        let s = score(&wrong, &r);
        assert_eq!((s.total, s.passed), (0, false));
        assert_eq!(grade(s.total, s.passed, &[150, 160], &r), None);
    }

    #[test]
    fn grades_follow_rank_among_passers_with_shared_ranks() {
        let r = ExamRules::default();
        // 20 passers: 200, 195, …, 105.
        let cohort: Vec<u32> = (0..20).map(|i| 200 - 5 * i).collect();
        assert_eq!(grade(200, true, &cohort, &r), Some(Grade::Excellent)); // rank 1 of 20: 5 %
        assert_eq!(grade(195, true, &cohort, &r), Some(Grade::Excellent)); // rank 2: 10 %
        assert_eq!(grade(190, true, &cohort, &r), Some(Grade::Good)); // rank 3: 15 %
        assert_eq!(grade(175, true, &cohort, &r), Some(Grade::Good)); // rank 6: 30 %
        assert_eq!(grade(170, true, &cohort, &r), Some(Grade::Pass)); // rank 7: 35 %
        // Ties share the better rank: three at 195 are all rank 2.
        let tied = [200, 195, 195, 195, 150, 150, 150, 150, 150, 150];
        assert_eq!(grade(195, true, &tied, &r), Some(Grade::Good)); // rank 2 of 10: 20 %
        assert_eq!(grade(200, true, &tied, &r), Some(Grade::Excellent));
        assert_eq!(
            grade(120, false, &tied, &r),
            None,
            "no grade without a pass"
        );
    }
}
