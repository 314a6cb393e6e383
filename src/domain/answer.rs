//! A candidate's answer to one question, parsed from JSON against the question's kind.

use serde_json::Value;

use super::item::{NumericKey, Response};
use super::normalize::parse_number;

/// Longest accepted fill-in answer, in characters.
pub const MAX_FILL_CHARS: usize = 500;
/// Longest accepted written answer, in characters.
pub const MAX_WRITTEN_CHARS: usize = 20_000;

/// An answer, typed by the kind of question it answers.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    Single(String),
    Multiple(Vec<String>),
    TrueFalse(bool),
    Fill(String),
    Numeric(f64),
    Written(String),
}

/// What an answer to a question must look like: its kind and, for choices, the option ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shape {
    Single(Vec<String>),
    Multiple(Vec<String>),
    TrueFalse,
    Fill,
    Numeric,
    Written,
}

impl Shape {
    pub fn of(response: &Response) -> Shape {
        let ids = |o: &[super::item::ChoiceOption]| o.iter().map(|x| x.id.clone()).collect();
        match response {
            Response::Single { options, .. } => Shape::Single(ids(options)),
            Response::Multiple { options, .. } => Shape::Multiple(ids(options)),
            Response::TrueFalse { .. } => Shape::TrueFalse,
            Response::Fill { .. } => Shape::Fill,
            Response::Numeric { .. } => Shape::Numeric,
            Response::Written { .. } => Shape::Written,
        }
    }
}

/// Why a submitted answer cannot be read; the message names what was expected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnswerError {
    #[error("expected {expected}")]
    WrongShape { expected: &'static str },
    #[error("option `{0}` is not an option of this question")]
    UnknownOption(String),
    #[error("option `{0}` is chosen twice")]
    RepeatedOption(String),
    #[error("the answer is longer than {0} characters")]
    TooLong(usize),
}

impl Answer {
    /// Reads the JSON form of ../shared/api.md ("Answers") for a question with `response`.
    pub fn from_json(response: &Response, value: &Value) -> Result<Answer, AnswerError> {
        Answer::from_json_shaped(&Shape::of(response), value)
    }

    /// The same, from the question's [`Shape`] alone (what a save needs to check, kept small in memory).
    pub fn from_json_shaped(shape: &Shape, value: &Value) -> Result<Answer, AnswerError> {
        match shape {
            Shape::Single(options) => {
                let id = value.as_str().ok_or(AnswerError::WrongShape {
                    expected: "an option id as a string, e.g. \"b\"",
                })?;
                if !options.iter().any(|o| o == id) {
                    return Err(AnswerError::UnknownOption(id.to_owned()));
                }
                Ok(Answer::Single(id.to_owned()))
            }
            Shape::Multiple(options) => {
                let shape = AnswerError::WrongShape {
                    expected: "an array of option ids, e.g. [\"a\", \"c\"]",
                };
                let items = value.as_array().ok_or(shape.clone())?;
                let mut chosen: Vec<String> = Vec::with_capacity(items.len());
                for v in items {
                    let id = v.as_str().ok_or(shape.clone())?;
                    if !options.iter().any(|o| o == id) {
                        return Err(AnswerError::UnknownOption(id.to_owned()));
                    }
                    if chosen.iter().any(|c| c == id) {
                        return Err(AnswerError::RepeatedOption(id.to_owned()));
                    }
                    chosen.push(id.to_owned());
                }
                chosen.sort();
                Ok(Answer::Multiple(chosen))
            }
            Shape::TrueFalse => {
                value
                    .as_bool()
                    .map(Answer::TrueFalse)
                    .ok_or(AnswerError::WrongShape {
                        expected: "true or false",
                    })
            }
            Shape::Fill => {
                let text = value.as_str().ok_or(AnswerError::WrongShape {
                    expected: "the answer as a string",
                })?;
                if text.chars().count() > MAX_FILL_CHARS {
                    return Err(AnswerError::TooLong(MAX_FILL_CHARS));
                }
                Ok(Answer::Fill(text.to_owned()))
            }
            Shape::Numeric => {
                let shape = AnswerError::WrongShape {
                    expected: "a number, e.g. 12.5",
                };
                let number = match value {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => parse_number(s),
                    _ => None,
                };
                number
                    .filter(|v| v.is_finite())
                    .map(Answer::Numeric)
                    .ok_or(shape)
            }
            Shape::Written => {
                let text = value.as_str().ok_or(AnswerError::WrongShape {
                    expected: "the answer as a string",
                })?;
                if text.chars().count() > MAX_WRITTEN_CHARS {
                    return Err(AnswerError::TooLong(MAX_WRITTEN_CHARS));
                }
                Ok(Answer::Written(text.to_owned()))
            }
        }
    }

    /// The canonical JSON form (what is stored and shown back).
    pub fn to_json(&self) -> Value {
        match self {
            Answer::Single(id) => Value::from(id.as_str()),
            Answer::Multiple(ids) => Value::from(ids.clone()),
            Answer::TrueFalse(b) => Value::from(*b),
            Answer::Fill(t) | Answer::Written(t) => Value::from(t.as_str()),
            Answer::Numeric(n) => Value::from(*n),
        }
    }
}

/// The key of a question in the same JSON form as an answer (shown only after the candidate answered).
pub fn key_json(response: &Response) -> Value {
    match response {
        Response::Single { key, .. } => Value::from(key.as_str()),
        Response::Multiple { keys, .. } => Value::from(keys.clone()),
        Response::TrueFalse { key } => Value::from(*key),
        Response::Fill { accept } => Value::from(accept.first().cloned().unwrap_or_default()),
        Response::Numeric { value, .. } => match value {
            NumericKey::Number(n) => Value::from(*n),
            NumericKey::Formula(f) => Value::from(f.as_str()),
        },
        Response::Written { model_answer, .. } => Value::from(model_answer.zh.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::bilingual::Text;
    use crate::domain::item::ChoiceOption;

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
    fn reads_each_kind() {
        let single = Response::Single {
            options: options(),
            key: "b".into(),
        };
        assert_eq!(
            Answer::from_json(&single, &json!("b")),
            Ok(Answer::Single("b".into()))
        );
        assert_eq!(
            Answer::from_json(&single, &json!("z")),
            Err(AnswerError::UnknownOption("z".into()))
        );
        assert!(Answer::from_json(&single, &json!(2)).is_err());

        let multiple = Response::Multiple {
            options: options(),
            keys: vec!["a".into(), "c".into()],
        };
        assert_eq!(
            Answer::from_json(&multiple, &json!(["c", "a"])),
            Ok(Answer::Multiple(vec!["a".into(), "c".into()]))
        );
        assert_eq!(
            Answer::from_json(&multiple, &json!(["a", "a"])),
            Err(AnswerError::RepeatedOption("a".into()))
        );

        let tf = Response::TrueFalse { key: true };
        assert_eq!(
            Answer::from_json(&tf, &json!(false)),
            Ok(Answer::TrueFalse(false))
        );
        assert!(Answer::from_json(&tf, &json!("false")).is_err());

        let numeric = Response::Numeric {
            value: NumericKey::Number(1.0),
            tolerance: 0.1,
            unit: None,
        };
        assert_eq!(
            Answer::from_json(&numeric, &json!("1,234.5")),
            Ok(Answer::Numeric(1234.5))
        );
        assert!(Answer::from_json(&numeric, &json!("abc")).is_err());
    }

    #[test]
    fn refuses_overlong_text() {
        let fill = Response::Fill {
            accept: vec!["x".into()],
        };
        let long = "字".repeat(MAX_FILL_CHARS + 1);
        assert_eq!(
            Answer::from_json(&fill, &json!(long)),
            Err(AnswerError::TooLong(MAX_FILL_CHARS))
        );
    }
}
