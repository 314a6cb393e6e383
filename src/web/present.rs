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
