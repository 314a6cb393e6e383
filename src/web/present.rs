//! What a candidate may see of an item before answering: stems, options, materials, units — and no key,
//! explanation, model answer or rubric. The types here have no field that could hold a key, so a key can
//! only reach a candidate through [`crate::web::present::Revealed`], after an answer.

use serde::Serialize;

use crate::domain::Text;
use crate::domain::item::{Body, ChoiceOption, Item, Question, Response};

/// A choice option as shown.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct OptionView {
    pub id: String,
    pub zh: String,
    pub en: String,
}

/// One question as shown to a candidate.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct QuestionView {
    /// In a mock paper: the slot its answer is saved under (`{ref}.{part}` for a case part).
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    pub slot_ref: Option<String>,
    /// The id answers are given for: the item's id, or `{item}.{part}` for a case part.
    pub id: String,
    pub kind: String,
    pub points: u32,
    pub stem_zh: String,
    pub stem_en: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<OptionView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_zh: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_en: Option<String>,
}

/// An item as shown to a candidate before answering.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ItemView {
    /// In a mock paper: the slot this item fills.
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    pub slot_ref: Option<String>,
    pub id: String,
    pub version: u32,
    pub subject: String,
    pub kind: String,
    pub tags: Vec<String>,
    pub difficulty: u8,
    pub points: u32,
    pub stem_zh: String,
    pub stem_en: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<OptionView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_zh: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_en: Option<String>,
    /// A case's parts, each answered on its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parts: Option<Vec<QuestionView>>,
}

fn options(opts: &[ChoiceOption], order: Option<&Vec<String>>) -> Vec<OptionView> {
    let view = |o: &ChoiceOption| OptionView {
        id: o.id.clone(),
        zh: o.text.zh.clone(),
        en: o.text.en.clone(),
    };
    match order {
        Some(ids) => ids
            .iter()
            .filter_map(|id| opts.iter().find(|o| &o.id == id))
            .map(view)
            .collect(),
        None => opts.iter().map(view).collect(),
    }
}

fn question(id: String, q: &Question, order: &dyn Fn(&str) -> Option<Vec<String>>) -> QuestionView {
    let (opts, unit) = match &q.response {
        Response::Single { options: o, .. } | Response::Multiple { options: o, .. } => {
            (Some(options(o, order(&id).as_ref())), None)
        }
        Response::Numeric { unit, .. } => (None, unit.clone()),
        _ => (None, None),
    };
    QuestionView {
        slot_ref: None,
        kind: q.kind().code().to_owned(),
        points: q.points,
        stem_zh: q.stem.zh.clone(),
        stem_en: q.stem.en.clone(),
        options: opts,
        unit_zh: unit.as_ref().map(|u: &Text| u.zh.clone()),
        unit_en: unit.map(|u| u.en),
        id,
    }
}

/// The candidate's view of an (instantiated) item. `order` gives, per question id, the order in which to
/// show its options (a mock paper's shuffle); `None` keeps the authored order.
pub fn present(item: &Item, version: u32, order: &dyn Fn(&str) -> Option<Vec<String>>) -> ItemView {
    let tags = item.tags.iter().map(ToString::to_string).collect();
    match &item.body {
        Body::Question(q) => {
            let v = question(item.id.to_string(), q, order);
            ItemView {
                slot_ref: None,
                id: item.id.to_string(),
                version,
                subject: item.subject.code().to_owned(),
                kind: v.kind,
                tags,
                difficulty: item.difficulty.get(),
                points: v.points,
                stem_zh: v.stem_zh,
                stem_en: v.stem_en,
                options: v.options,
                unit_zh: v.unit_zh,
                unit_en: v.unit_en,
                parts: None,
            }
        }
        Body::Case(c) => ItemView {
            slot_ref: None,
            id: item.id.to_string(),
            version,
            subject: item.subject.code().to_owned(),
            kind: "case".into(),
            tags,
            difficulty: item.difficulty.get(),
            points: item.points(),
            stem_zh: c.material.zh.clone(),
            stem_en: c.material.en.clone(),
            options: None,
            unit_zh: None,
            unit_en: None,
            parts: Some(
                c.parts
                    .iter()
                    .map(|p| question(format!("{}.{}", item.id, p.key), &p.question, order))
                    .collect(),
            ),
        },
    }
}

/// A copy of `item` holding only what a candidate sees before answering: explanations, model answers
/// and rubrics emptied and numeric keys zeroed. Instantiating it fills only the shown texts, so a
/// template item's variant is cheap to show.
pub fn shown_only(item: &Item) -> Item {
    let mut out = item.clone();
    if let Body::Case(c) = &mut out.body {
        c.explanation = None;
    }
    for q in out.questions_mut() {
        q.explanation = Text::default();
        match &mut q.response {
            Response::Numeric { value, .. } => {
                *value = crate::domain::item::NumericKey::Number(0.0)
            }
            Response::Written {
                model_answer,
                rubric,
            } => {
                *model_answer = Text::default();
                rubric.clear();
            }
            _ => {}
        }
    }
    out
}

/// What a candidate learns about a question once they have answered it: their mark, the key and the
/// explanation (for written questions, the model answer and the rubric to assess themselves against).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Revealed {
    /// The question answered: the item's id or `{item}.{part}`.
    pub id: String,
    pub correct: bool,
    pub score: u32,
    pub max: u32,
    /// auto, pending (a written answer awaiting assessment), graded or self_assessed.
    pub state: crate::domain::scoring::MarkState,
    /// The key, in the form of an answer.
    #[schema(value_type = Object)]
    pub answer: serde_json::Value,
    /// For fill-in questions: every accepted answer.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub accepted: Vec<String>,
    /// The candidate's answer, as given.
    #[schema(value_type = Object)]
    pub given: serde_json::Value,
    pub explanation_zh: String,
    pub explanation_en: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_answer_zh: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_answer_en: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rubric: Vec<RubricLine>,
}

/// One criterion of a rubric, revealed after a written answer.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RubricLine {
    pub zh: String,
    pub en: String,
    pub points: u32,
}

/// Reveals question `question_id` of an (instantiated) item to a candidate who answered `given` and got
/// `mark`. A case part's explanation is followed by the case's own.
pub fn reveal(
    item: &Item,
    question_id: &str,
    given: serde_json::Value,
    mark: crate::domain::scoring::Mark,
) -> Option<Revealed> {
    let questions = item.questions();
    let (_, q) = questions.iter().find(|(id, _)| id == question_id)?;
    let (mut zh, mut en) = (q.explanation.zh.clone(), q.explanation.en.clone());
    if let Body::Case(c) = &item.body
        && let Some(x) = &c.explanation
    {
        zh = format!("{zh}\n\n{}", x.zh).trim().to_owned();
        en = format!("{en}\n\n{}", x.en).trim().to_owned();
    }
    let (accepted, model, rubric) = match &q.response {
        Response::Fill { accept } => (accept.clone(), None, Vec::new()),
        Response::Written {
            model_answer,
            rubric,
        } => (
            Vec::new(),
            Some(model_answer.clone()),
            rubric
                .iter()
                .map(|c| RubricLine {
                    zh: c.text.zh.clone(),
                    en: c.text.en.clone(),
                    points: c.points,
                })
                .collect(),
        ),
        _ => (Vec::new(), None, Vec::new()),
    };
    Some(Revealed {
        id: question_id.to_owned(),
        correct: mark.correct(),
        score: mark.awarded,
        max: mark.max,
        state: mark.state,
        answer: crate::domain::answer::key_json(&q.response),
        accepted,
        given,
        explanation_zh: zh,
        explanation_en: en,
        model_answer_zh: model.as_ref().map(|m| m.zh.clone()),
        model_answer_en: model.map(|m| m.en),
        rubric,
    })
}

/// No reordering.
pub fn authored_order(_: &str) -> Option<Vec<String>> {
    None
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::bank;

    /// No view of any shipped item carries a key, an explanation, a model answer or a rubric.
    #[test]
    fn no_key_reaches_the_view() {
        let loaded = bank::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("question-bank"));
        for b in &loaded.bank.items {
            let (item, _) = b.item.instantiate(1).unwrap_or_else(|e| panic!("{e}"));
            let json =
                serde_json::to_string(&present(&item, 1, &authored_order)).unwrap_or_default();
            for field in [
                "\"answer\":",
                "\"key\":",
                "\"keys\":",
                "\"accept\":",
                "\"explanation",
                "\"model_answer\":",
                "\"rubric\":",
                "\"tolerance\":",
            ] {
                assert!(!json.contains(field), "{} shows {field}", b.item.id);
            }
            for (_, q) in item.questions() {
                if let Response::Written { model_answer, .. } = &q.response {
                    let start: String = model_answer.en.chars().take(40).collect();
                    assert!(
                        !json.contains(&start),
                        "{} shows its model answer",
                        b.item.id
                    );
                }
            }
        }
    }
}
