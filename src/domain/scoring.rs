//! Scoring one answer against one question version, for every kind.

use serde::Serialize;

use super::answer::Answer;
use super::item::{NumericKey, Question, Response};
use super::normalize::normalize_answer;

/// Allowance for binary floating point when comparing numbers against their tolerance.
const FLOAT_SLACK: f64 = 1e-9;

/// How a mark was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MarkState {
    /// Scored by the machine against the key.
    Auto,
    /// Awaits a person's grading against the rubric; `awarded` is 0 until then.
    Pending,
    /// Scored by a teacher against the rubric.
    Graded,
    /// Scored by the candidate against the rubric; reported as such, never as earned.
    SelfAssessed,
}

/// The result of scoring one answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Mark {
    pub awarded: u32,
    pub max: u32,
    pub state: MarkState,
}

impl Mark {
    /// True when every point was awarded by the machine.
    pub fn correct(&self) -> bool {
        self.state == MarkState::Auto && self.awarded == self.max
    }
}

/// Scores `answer` against `question`. An answer of another kind than the question scores 0, and so does
/// any answer to a template's question that was not instantiated first.
pub fn mark(question: &Question, answer: &Answer) -> Mark {
    let max = question.points;
    let auto = |right: bool| Mark {
        awarded: if right { max } else { 0 },
        max,
        state: MarkState::Auto,
    };
    match (&question.response, answer) {
        (Response::Single { key, .. }, Answer::Single(chosen)) => auto(key == chosen),
        (Response::Multiple { keys, .. }, Answer::Multiple(chosen)) => {
            // All or nothing: exactly the keyed set.
            let mut want: Vec<&String> = keys.iter().collect();
            let mut got: Vec<&String> = chosen.iter().collect();
            want.sort();
            want.dedup();
            got.sort();
            got.dedup();
            auto(want == got)
        }
        (Response::TrueFalse { key }, Answer::TrueFalse(given)) => auto(key == given),
        (Response::Fill { accept }, Answer::Fill(text)) => {
            let given = normalize_answer(text);
            auto(!given.is_empty() && accept.iter().any(|a| normalize_answer(a) == given))
        }
        (
            Response::Numeric {
                value: NumericKey::Number(value),
                tolerance,
                ..
            },
            Answer::Numeric(given),
        ) => auto((given - value).abs() <= tolerance + FLOAT_SLACK * value.abs().max(1.0)),
        (Response::Written { .. }, Answer::Written(_)) => Mark {
            awarded: 0,
            max,
            state: MarkState::Pending,
        },
        _ => auto(false),
    }
}

/// Why rubric points cannot be recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RubricError {
    #[error("this question has no rubric")]
    NotWritten,
    #[error("the rubric has {expected} criteria but {given} scores were given")]
    WrongCount { expected: usize, given: usize },
    #[error("criterion {index} is worth at most {max} points, not {given}")]
    TooMany { index: usize, max: u32, given: u32 },
}

/// Scores a written answer from per-criterion points given by a teacher or the candidate.
pub fn mark_rubric(
    question: &Question,
    points: &[u32],
    by_candidate: bool,
) -> Result<Mark, RubricError> {
    let Response::Written { rubric, .. } = &question.response else {
        return Err(RubricError::NotWritten);
    };
    if rubric.len() != points.len() {
        return Err(RubricError::WrongCount {
            expected: rubric.len(),
            given: points.len(),
        });
    }
    for (index, (criterion, &given)) in rubric.iter().zip(points).enumerate() {
        if given > criterion.points {
            return Err(RubricError::TooMany {
                index: index + 1,
                max: criterion.points,
                given,
            });
        }
    }
    Ok(Mark {
        awarded: points.iter().sum(),
        max: question.points,
        state: if by_candidate {
            MarkState::SelfAssessed
        } else {
            MarkState::Graded
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::bilingual::Text;
    use crate::domain::item::{ChoiceOption, Criterion};

    fn question(points: u32, response: Response) -> Question {
        Question {
            stem: Text::same("stem"),
            explanation: Text::same("why"),
            points,
            response,
        }
    }

    fn options() -> Vec<ChoiceOption> {
        ["a", "b", "c", "d"]
            .iter()
            .map(|id| ChoiceOption {
                id: (*id).to_owned(),
                text: Text::same(id),
            })
            .collect()
    }

    #[test]
    fn single_choice_scores_the_key_only() {
        let q = question(
            1,
            Response::Single {
                options: options(),
                key: "c".into(),
            },
        );
        assert_eq!(mark(&q, &Answer::Single("c".into())).awarded, 1);
        assert_eq!(mark(&q, &Answer::Single("a".into())).awarded, 0);
        assert!(mark(&q, &Answer::Single("c".into())).correct());
    }

    #[test]
    fn multiple_choice_is_all_or_nothing() {
        let q = question(
            2,
            Response::Multiple {
                options: options(),
                keys: vec!["a".into(), "c".into(), "d".into()],
            },
        );
        let m = |ids: &[&str]| {
            mark(
                &q,
                &Answer::Multiple(ids.iter().map(|s| (*s).to_owned()).collect()),
            )
        };
        assert_eq!(m(&["d", "a", "c"]).awarded, 2);
        assert_eq!(m(&["a", "c"]).awarded, 0, "a missing key scores nothing");
        assert_eq!(
            m(&["a", "b", "c", "d"]).awarded,
            0,
            "an extra option scores nothing"
        );
        assert_eq!(m(&[]).awarded, 0);
    }

    #[test]
    fn true_false_compares_the_truth_value() {
        let q = question(1, Response::TrueFalse { key: false });
        assert_eq!(mark(&q, &Answer::TrueFalse(false)).awarded, 1);
        assert_eq!(mark(&q, &Answer::TrueFalse(true)).awarded, 0);
    }

    #[test]
    fn fill_accepts_any_normalised_spelling() {
        let q = question(
            1,
            Response::Fill {
                accept: vec!["整箱货".into(), "FCL".into(), "full container load".into()],
            },
        );
        for given in [
            "整箱 货",
            "ＦＣＬ",
            "fcl",
            " Full  Container Load ",
            "“整箱货”",
        ] {
            assert_eq!(mark(&q, &Answer::Fill(given.into())).awarded, 1, "{given}");
        }
        for given in ["拼箱货", "LCL", "", "full container"] {
            assert_eq!(mark(&q, &Answer::Fill(given.into())).awarded, 0, "{given}");
        }
    }

    #[test]
    fn numeric_allows_the_tolerance_and_no_more() {
        let q = question(
            3,
            Response::Numeric {
                value: NumericKey::Number(1234.56),
                tolerance: 0.01,
                unit: None,
            },
        );
        assert_eq!(mark(&q, &Answer::Numeric(1234.56)).awarded, 3);
        assert_eq!(
            mark(&q, &Answer::Numeric(1234.57)).awarded,
            3,
            "edge of the tolerance"
        );
        assert_eq!(mark(&q, &Answer::Numeric(1234.55)).awarded, 3);
        assert_eq!(mark(&q, &Answer::Numeric(1234.58)).awarded, 0);
        assert_eq!(mark(&q, &Answer::Numeric(-1234.56)).awarded, 0);
    }

    #[test]
    fn written_answers_wait_for_the_rubric() -> Result<(), RubricError> {
        let q = question(
            5,
            Response::Written {
                model_answer: Text::same("model"),
                rubric: vec![
                    Criterion {
                        text: Text::same("content"),
                        points: 3,
                    },
                    Criterion {
                        text: Text::same("language"),
                        points: 2,
                    },
                ],
            },
        );
        let pending = mark(&q, &Answer::Written("Dear Sir".into()));
        assert_eq!(pending.state, MarkState::Pending);
        assert_eq!(pending.awarded, 0);
        assert!(!pending.correct());

        let graded = mark_rubric(&q, &[2, 2], false)?;
        assert_eq!(
            (graded.awarded, graded.max, graded.state),
            (4, 5, MarkState::Graded)
        );
        assert_eq!(
            mark_rubric(&q, &[1, 1], true)?.state,
            MarkState::SelfAssessed
        );
        assert_eq!(
            mark_rubric(&q, &[4, 0], false),
            Err(RubricError::TooMany {
                index: 1,
                max: 3,
                given: 4
            })
        );
        assert!(mark_rubric(&q, &[1], false).is_err());
        Ok(())
    }

    #[test]
    fn an_answer_of_another_kind_scores_nothing() {
        let q = question(1, Response::TrueFalse { key: true });
        assert_eq!(mark(&q, &Answer::Single("a".into())).awarded, 0);
    }
}
