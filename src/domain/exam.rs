//! The exam's pass and grade rules (../shared/exam.md), as configurable data.

use serde::{Deserialize, Serialize};

/// Pass lines and grade bands. The defaults are the 2025 official notice's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExamRules {
    /// Points each subject is scored out of.
    pub subject_max: u32,
    /// Every subject must reach this.
    pub subject_pass: u32,
    /// And the total must reach this.
    pub total_pass: u32,
    /// Passers ranked in the top this-many percent of their cohort are 优秀 (excellent).
    pub excellent_top_percent: u32,
    /// Passers ranked within the top this-many percent (but not excellent) are 良好 (good); the rest 合格.
    pub good_top_percent: u32,
    /// A mock cohort is the candidates who sat the same blueprint within this many days.
    pub cohort_days: u32,
}

impl Default for ExamRules {
    fn default() -> Self {
        ExamRules {
            subject_max: 100,
            subject_pass: 60,
            total_pass: 120,
            excellent_top_percent: 10,
            good_top_percent: 30,
            cohort_days: 90,
        }
    }
}

impl ExamRules {
    /// Whether the subject scores pass: every subject at the line and the total at its line.
    pub fn passed(&self, subject_scores: &[u32]) -> bool {
        !subject_scores.is_empty()
            && subject_scores.iter().all(|&s| s >= self.subject_pass)
            && subject_scores.iter().sum::<u32>() >= self.total_pass_for(subject_scores.len())
    }

    /// The total pass line for a sitting of `subjects` subjects (120 for two; pro rata for one).
    pub fn total_pass_for(&self, subjects: usize) -> u32 {
        let full = 2u32;
        (self.total_pass * subjects as u32).div_ceil(full)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pass_needs_every_subject_and_the_total() {
        let r = ExamRules::default();
        assert!(r.passed(&[60, 60]));
        assert!(r.passed(&[100, 60]));
        assert!(!r.passed(&[59, 100]), "one subject under the line fails");
        assert!(!r.passed(&[]));
        assert!(r.passed(&[60]), "a one-subject mock uses the pro-rata line");
        assert_eq!(r.total_pass_for(1), 60);
    }
}
