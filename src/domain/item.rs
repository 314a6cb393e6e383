//! Items: the bank's questions of every kind, as immutable content (status and version live beside it).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::bilingual::Text;
use super::taxonomy::TagCode;
use super::template::{self, Template, TemplateError, Values};

/// A stable item identifier such as `T3.1-0007`: letters, digits, `.`, `-` and `_`, at most 64 characters.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ItemId(String);

impl ItemId {
    /// Checks the identifier's form; the error says what is wrong with it.
    pub fn parse(raw: &str) -> Result<ItemId, String> {
        if raw.is_empty() || raw.len() > 64 {
            return Err(format!("item id `{raw}` must be 1 to 64 characters long"));
        }
        let mut chars = raw.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
        let rest_ok = raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if first_ok && rest_ok {
            Ok(ItemId(raw.to_owned()))
        } else {
            Err(format!(
                "item id `{raw}` may only use ASCII letters, digits, `.`, `-` and `_`, and must start with a letter or digit"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The exam's two subjects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Subject {
    /// 跨境电商B2B基础（含英语）
    A,
    /// 跨境电商B2B实务（含英语）
    B,
}

impl Subject {
    pub const ALL: [Subject; 2] = [Subject::A, Subject::B];

    pub fn code(self) -> &'static str {
        match self {
            Subject::A => "A",
            Subject::B => "B",
        }
    }

    pub fn parse(raw: &str) -> Option<Subject> {
        match raw {
            "A" => Some(Subject::A),
            "B" => Some(Subject::B),
            _ => None,
        }
    }
}

/// Where an item version stands in the review workflow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[default]
    Draft,
    InReview,
    Published,
    Retired,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Draft,
        Status::InReview,
        Status::Published,
        Status::Retired,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::InReview => "in_review",
            Status::Published => "published",
            Status::Retired => "retired",
        }
    }

    pub fn parse(raw: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code() == raw)
    }
}

/// The item kinds of the exam.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Single,
    Multiple,
    TrueFalse,
    Fill,
    Numeric,
    Case,
    Written,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Single,
        Kind::Multiple,
        Kind::TrueFalse,
        Kind::Fill,
        Kind::Numeric,
        Kind::Case,
        Kind::Written,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Kind::Single => "single",
            Kind::Multiple => "multiple",
            Kind::TrueFalse => "true_false",
            Kind::Fill => "fill",
            Kind::Numeric => "numeric",
            Kind::Case => "case",
            Kind::Written => "written",
        }
    }

    pub fn parse(raw: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == raw)
    }

    /// Points an item of this kind is worth when its file does not say (cases and written items add up
    /// their parts and rubric instead).
    pub fn default_points(self) -> u32 {
        match self {
            Kind::Multiple => 2,
            _ => 1,
        }
    }
}

/// Difficulty from 1 (recall of one fact) to 5 (multi-step reasoning most candidates miss).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Difficulty(u8);

impl Difficulty {
    pub fn new(level: u8) -> Option<Difficulty> {
        (1..=5).contains(&level).then_some(Difficulty(level))
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for Difficulty {
    type Error = String;

    fn try_from(level: u8) -> Result<Self, Self::Error> {
        Difficulty::new(level).ok_or_else(|| format!("difficulty {level} is not between 1 and 5"))
    }
}

impl From<Difficulty> for u8 {
    fn from(d: Difficulty) -> u8 {
        d.0
    }
}

/// One option of a choice item. Its `id` is stable: shuffling changes the order shown, never the ids.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChoiceOption {
    pub id: String,
    #[serde(flatten)]
    pub text: Text,
}

/// One rubric criterion of a written item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Criterion {
    #[serde(flatten)]
    pub text: Text,
    pub points: u32,
}

/// The key of a numeric question: a number, or a formula of a calculation template (evaluated when the
/// item is instantiated).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum NumericKey {
    Number(f64),
    Formula(String),
}

/// What a question asks for and how its answer is keyed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Response {
    Single {
        options: Vec<ChoiceOption>,
        key: String,
    },
    /// All-or-nothing: the chosen set must equal `keys`.
    Multiple {
        options: Vec<ChoiceOption>,
        keys: Vec<String>,
    },
    TrueFalse {
        key: bool,
    },
    /// Accepted answers, compared after [`crate::domain::normalize::normalize_answer`].
    Fill {
        accept: Vec<String>,
    },
    /// Correct when `|given − value| ≤ tolerance`.
    Numeric {
        value: NumericKey,
        tolerance: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit: Option<Text>,
    },
    /// Graded by a person against the rubric (a teacher, or the candidate self-assessing).
    Written {
        model_answer: Text,
        rubric: Vec<Criterion>,
    },
}

impl Response {
    pub fn kind(&self) -> Kind {
        match self {
            Response::Single { .. } => Kind::Single,
            Response::Multiple { .. } => Kind::Multiple,
            Response::TrueFalse { .. } => Kind::TrueFalse,
            Response::Fill { .. } => Kind::Fill,
            Response::Numeric { .. } => Kind::Numeric,
            Response::Written { .. } => Kind::Written,
        }
    }

    /// The choice options, for choice kinds.
    pub fn options(&self) -> Option<&[ChoiceOption]> {
        match self {
            Response::Single { options, .. } | Response::Multiple { options, .. } => Some(options),
            _ => None,
        }
    }
}

/// A single question: a standalone item, or one part of a case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Question {
    pub stem: Text,
    pub explanation: Text,
    pub points: u32,
    pub response: Response,
}

impl Question {
    pub fn kind(&self) -> Kind {
        self.response.kind()
    }
}

/// One scored part of a case; its full id is `{item id}.{key}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Part {
    pub key: String,
    /// The part's own knowledge points; empty means the case's tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<TagCode>,
    pub question: Question,
}

/// A case (材料题): one shared material and several parts, each scored on its own.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub material: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Text>,
    pub parts: Vec<Part>,
}

/// The content of an item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Body {
    Question(Question),
    Case(Case),
}

/// One item's content. Immutable once saved: a change makes a new version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub id: ItemId,
    pub subject: Subject,
    /// Leaf knowledge points; the first is the item's primary topic (used for topic weights).
    pub tags: Vec<TagCode>,
    pub difficulty: Difficulty,
    /// The rule versions the item tests, e.g. "Incoterms 2020", "UCP600".
    pub rules: Vec<String>,
    /// Where the facts come from, e.g. "UCP600 Art. 14(c)".
    pub sources: Vec<String>,
    pub body: Body,
    /// Present on calculation templates; an instantiated variant has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<Template>,
}

impl Item {
    pub fn kind(&self) -> Kind {
        match &self.body {
            Body::Question(q) => q.kind(),
            Body::Case(_) => Kind::Case,
        }
    }

    /// Total points: the question's, or the sum of a case's parts.
    pub fn points(&self) -> u32 {
        match &self.body {
            Body::Question(q) => q.points,
            Body::Case(c) => c.parts.iter().map(|p| p.question.points).sum(),
        }
    }

    /// The primary knowledge point.
    pub fn primary_tag(&self) -> Option<&TagCode> {
        self.tags.first()
    }

    /// Every tag the item or one of its parts carries, without repeats, in order of first appearance.
    pub fn all_tags(&self) -> Vec<&TagCode> {
        let mut out: Vec<&TagCode> = Vec::new();
        let part_tags = match &self.body {
            Body::Case(c) => c.parts.iter().flat_map(|p| p.tags.iter()).collect(),
            Body::Question(_) => Vec::new(),
        };
        for tag in self.tags.iter().chain(part_tags) {
            if !out.contains(&tag) {
                out.push(tag);
            }
        }
        out
    }

    /// The scored questions with their ids: the item itself, or each part of a case.
    pub fn questions(&self) -> Vec<(String, &Question)> {
        match &self.body {
            Body::Question(q) => vec![(self.id.to_string(), q)],
            Body::Case(c) => c
                .parts
                .iter()
                .map(|p| (format!("{}.{}", self.id, p.key), &p.question))
                .collect(),
        }
    }

    /// Visits every text a person reads (stems, options, explanations, material, units, model answers,
    /// rubric criteria) in both languages.
    pub fn try_for_each_text<E>(
        &mut self,
        mut f: impl FnMut(&mut String) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut text = |t: &mut Text| -> Result<(), E> {
            f(&mut t.zh)?;
            f(&mut t.en)
        };
        let question =
            |q: &mut Question, text: &mut dyn FnMut(&mut Text) -> Result<(), E>| -> Result<(), E> {
                text(&mut q.stem)?;
                text(&mut q.explanation)?;
                match &mut q.response {
                    Response::Single { options, .. } | Response::Multiple { options, .. } => {
                        for o in options {
                            text(&mut o.text)?;
                        }
                    }
                    Response::Numeric { unit: Some(u), .. } => text(u)?,
                    Response::Written {
                        model_answer,
                        rubric,
                    } => {
                        text(model_answer)?;
                        for c in rubric {
                            text(&mut c.text)?;
                        }
                    }
                    _ => {}
                }
                Ok(())
            };
        match &mut self.body {
            Body::Question(q) => question(q, &mut text),
            Body::Case(c) => {
                text(&mut c.material)?;
                if let Some(e) = &mut c.explanation {
                    text(e)?;
                }
                for p in &mut c.parts {
                    question(&mut p.question, &mut text)?;
                }
                Ok(())
            }
        }
    }

    /// The questions, mutably (the item itself, or each part of a case).
    pub fn questions_mut(&mut self) -> Vec<&mut Question> {
        match &mut self.body {
            Body::Question(q) => vec![q],
            Body::Case(c) => c.parts.iter_mut().map(|p| &mut p.question).collect(),
        }
    }

    /// The concrete variant for `seed`: numbers drawn, formula keys computed, placeholders filled. An item
    /// without a template is returned unchanged (the seed does not matter).
    pub fn instantiate(&self, seed: u64) -> Result<(Item, Values), TemplateError> {
        let Some(t) = &self.template else {
            return Ok((self.clone(), Values::new()));
        };
        let values = t.draw(seed)?;
        let item = self.with_values(t, &values)?;
        Ok((item, values))
    }

    /// The variant for given values of every variable and derived value.
    pub fn with_values(&self, t: &Template, values: &Values) -> Result<Item, TemplateError> {
        let decimals = t.decimals();
        let mut item = self.clone();
        item.template = None;
        item.try_for_each_text(|s| {
            *s = template::fill(s, values, &decimals)?;
            Ok(())
        })?;
        for q in item.questions_mut() {
            if let Response::Numeric { value, .. } = &mut q.response
                && let NumericKey::Formula(expr) = value
            {
                *value = NumericKey::Number(template::eval(expr, values)?);
            }
        }
        Ok(item)
    }

    /// Number of scored parts (a case's parts, else 0).
    pub fn part_count(&self) -> usize {
        match &self.body {
            Body::Case(c) => c.parts.len(),
            Body::Question(_) => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_ids_are_url_safe() {
        assert!(ItemId::parse("T3.1-0007").is_ok());
        assert!(ItemId::parse("B_case-12").is_ok());
        assert!(ItemId::parse("").is_err());
        assert!(ItemId::parse("-T3").is_err());
        assert!(ItemId::parse("T3 1").is_err());
        assert!(ItemId::parse("T3/1").is_err());
    }

    #[test]
    fn kinds_and_statuses_round_trip_their_codes() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.code()), Some(k));
        }
        for s in Status::ALL {
            assert_eq!(Status::parse(s.code()), Some(s));
        }
        assert_eq!(Kind::parse("essay"), None);
    }

    #[test]
    fn difficulty_is_one_to_five() {
        assert!(Difficulty::new(0).is_none());
        assert!(Difficulty::new(6).is_none());
        assert_eq!(Difficulty::new(3).map(Difficulty::get), Some(3));
    }
}
