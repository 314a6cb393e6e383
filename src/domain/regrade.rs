//! Regrading after a key correction: the stored answers to an item are marked again against the key of
//! its corrected version, and the differences are listed before anything changes.

use serde::Serialize;
use serde_json::Value;

use super::answer::Answer;
use super::item::Item;
use super::scoring::mark;

/// A stored answer to regrade.
#[derive(Clone, Debug)]
pub struct Given<'a> {
    pub response_id: i64,
    pub question_id: &'a str,
    /// The template variant the candidate saw (the same seed draws the same values).
    pub variant: u64,
    pub answer: &'a Value,
    pub awarded: u32,
}

/// One mark that the regrade changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    pub response_id: i64,
    pub question_id: String,
    pub old: u32,
    pub new: u32,
    pub max: u32,
}

/// An answer the corrected version cannot mark (its option is gone, the part was removed, …); it keeps its
/// mark.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unmarkable {
    pub response_id: i64,
    pub question_id: String,
    pub reason: String,
}

/// What a regrade would do.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub checked: usize,
    pub changes: Vec<Change>,
    pub unmarkable: Vec<Unmarkable>,
}

/// Marks every answer in `given` again against `corrected` (a template is instantiated with the answer's
/// own variant). Only machine-marked questions change; written answers keep their grader's mark.
pub fn plan(corrected: &Item, given: &[Given<'_>]) -> Plan {
    let mut out = Plan {
        checked: given.len(),
        ..Plan::default()
    };
    for g in given {
        let skip = |reason: String| Unmarkable {
            response_id: g.response_id,
            question_id: g.question_id.to_owned(),
            reason,
        };
        let instance = match corrected.instantiate(g.variant) {
            Ok((item, _)) => item,
            Err(e) => {
                out.unmarkable.push(skip(e.to_string()));
                continue;
            }
        };
        let questions = instance.questions();
        let Some((_, question)) = questions.iter().find(|(id, _)| id == g.question_id) else {
            out.unmarkable
                .push(skip("the corrected version has no such question".into()));
            continue;
        };
        let answer = match Answer::from_json(&question.response, g.answer) {
            Ok(a) => a,
            Err(e) => {
                out.unmarkable.push(skip(e.to_string()));
                continue;
            }
        };
        let m = mark(question, &answer);
        if m.state != super::scoring::MarkState::Auto {
            continue;
        }
        if m.awarded != g.awarded {
            out.changes.push(Change {
                response_id: g.response_id,
                question_id: g.question_id.to_owned(),
                old: g.awarded,
                new: m.awarded,
                max: m.max,
            });
        }
    }
    out
}

/// The options chosen in a choice answer's JSON (`"b"` or `["a", "c"]`); `None` for other answers.
pub fn chosen_options(answer: &Value) -> Option<Vec<String>> {
    match answer {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(a) => a.iter().map(|v| v.as_str().map(str::to_owned)).collect(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::bilingual::Text;
    use crate::domain::item::{
        Body, ChoiceOption, Difficulty, ItemId, Question, Response, Subject,
    };
    use crate::domain::taxonomy::TagCode;

    fn single_item() -> Item {
        let (Ok(id), Ok(tag), Some(difficulty)) = (
            ItemId::parse("T3.1-0001"),
            TagCode::parse("T3.1"),
            Difficulty::new(2),
        ) else {
            panic!("valid test values");
        };
        Item {
            id,
            subject: Subject::A,
            tags: vec![tag],
            difficulty,
            rules: vec!["Incoterms 2020".into()],
            sources: vec!["Incoterms 2020, EXW A2".into()],
            body: Body::Question(Question {
                stem: Text::same("Who loads the goods under EXW?"),
                explanation: Text::same("The buyer."),
                points: 1,
                response: Response::Single {
                    options: ["a", "b", "c"]
                        .iter()
                        .map(|id| ChoiceOption {
                            id: (*id).to_owned(),
                            text: Text::same(id),
                        })
                        .collect(),
                    key: "a".into(),
                },
            }),
            template: None,
        }
    }

    #[test]
    fn a_corrected_key_changes_exactly_the_marks_it_should() {
        let item = single_item();
        let Body::Question(q) = &item.body else {
            unreachable!()
        };
        let Response::Single { key, options } = &q.response else {
            unreachable!()
        };
        let old_key = key.clone();
        let Some(new_key) = options
            .iter()
            .map(|o| o.id.clone())
            .find(|id| *id != old_key)
        else {
            panic!("a second option");
        };
        let mut corrected = item.clone();
        if let Body::Question(q) = &mut corrected.body
            && let Response::Single { key, .. } = &mut q.response
        {
            *key = new_key.clone();
        }
        let id = item.id.to_string();
        let (a_old, a_new, a_bad) = (json!(old_key), json!(new_key), json!("zz"));
        let given = [
            // Right under the old key: loses its points.
            Given {
                response_id: 1,
                question_id: &id,
                variant: 0,
                answer: &a_old,
                awarded: q.points,
            },
            // Wrong under the old key, right under the new one.
            Given {
                response_id: 2,
                question_id: &id,
                variant: 0,
                answer: &a_new,
                awarded: 0,
            },
            // Already marked by the new key: unchanged.
            Given {
                response_id: 3,
                question_id: &id,
                variant: 0,
                answer: &a_new,
                awarded: q.points,
            },
            // An option that does not exist cannot be marked and keeps its mark.
            Given {
                response_id: 4,
                question_id: &id,
                variant: 0,
                answer: &a_bad,
                awarded: 0,
            },
            Given {
                response_id: 5,
                question_id: "nope",
                variant: 0,
                answer: &a_new,
                awarded: 0,
            },
        ];
        let p = plan(&corrected, &given);
        assert_eq!(p.checked, 5);
        assert_eq!(
            p.changes,
            vec![
                Change {
                    response_id: 1,
                    question_id: id.clone(),
                    old: q.points,
                    new: 0,
                    max: q.points
                },
                Change {
                    response_id: 2,
                    question_id: id.clone(),
                    old: 0,
                    new: q.points,
                    max: q.points
                },
            ]
        );
        assert_eq!(
            p.unmarkable
                .iter()
                .map(|u| u.response_id)
                .collect::<Vec<_>>(),
            vec![4, 5]
        );
    }

    #[test]
    fn chosen_options_read_single_and_multiple_answers() {
        assert_eq!(chosen_options(&json!("b")), Some(vec!["b".into()]));
        assert_eq!(
            chosen_options(&json!(["a", "c"])),
            Some(vec!["a".into(), "c".into()])
        );
        assert_eq!(chosen_options(&json!(true)), None);
        assert_eq!(chosen_options(&json!(3.5)), None);
    }
}
