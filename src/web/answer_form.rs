//! The answer form of an item, shared by practice and mock pages: view models for each question with the
//! right input (radio, checkboxes, true/false, text, number, text area), and reading the posted form back
//! into answers in the API's JSON form.

use serde::Serialize;
use serde_json::Value;

use super::markdown::to_safe_html;
use super::present::{ItemView, QuestionView};
use crate::domain::normalize::parse_number;

#[derive(Serialize)]
pub struct OptionInput {
    pub id: String,
    pub zh_html: String,
    pub en_html: String,
    pub checked: bool,
}

/// One question with its input.
#[derive(Serialize)]
pub struct QuestionInput {
    pub id: String,
    /// The form field's name: `a:{slot}`.
    pub name: String,
    /// Where the answer is saved: the question id in practice, the paper's slot in a mock.
    pub slot: String,
    pub kind: String,
    pub points: u32,
    pub stem_zh_html: String,
    pub stem_en_html: String,
    pub options: Vec<OptionInput>,
    pub unit: Option<String>,
    /// The value already given (a saved answer), for text inputs.
    pub value: String,
    pub is_true: bool,
    pub is_false: bool,
    /// Answered already (practice: the part is done).
    pub done: bool,
}

/// An item's form: its material (a case) and its questions.
#[derive(Serialize)]
pub struct ItemInput {
    pub id: String,
    pub version: u32,
    pub kind: String,
    pub material_zh_html: Option<String>,
    pub material_en_html: Option<String>,
    pub questions: Vec<QuestionInput>,
}

fn question(q: QuestionView, given: Option<&Value>, done: bool) -> QuestionInput {
    let chosen: Vec<String> = match given {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    let value = match given {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    QuestionInput {
        name: format!("a:{}", q.id),
        slot: q.id.clone(),
        kind: q.kind,
        points: q.points,
        stem_zh_html: to_safe_html(&q.stem_zh),
        stem_en_html: to_safe_html(&q.stem_en),
        options: q
            .options
            .unwrap_or_default()
            .into_iter()
            .map(|o| OptionInput {
                checked: chosen.contains(&o.id),
                zh_html: to_safe_html(&o.zh),
                en_html: to_safe_html(&o.en),
                id: o.id,
            })
            .collect(),
        unit: match (q.unit_zh, q.unit_en) {
            (Some(z), Some(e)) if z == e => Some(z),
            (Some(z), Some(e)) => Some(format!("{z} / {e}")),
            (z, e) => z.or(e),
        },
        value,
        is_true: given == Some(&Value::Bool(true)),
        is_false: given == Some(&Value::Bool(false)),
        done,
        id: q.id,
    }
}

/// The form of an item; `given(question id)` returns a saved answer, `done(question id)` whether it is
/// answered already.
pub fn item_input(
    v: ItemView,
    given: &dyn Fn(&str) -> Option<Value>,
    done: &dyn Fn(&str) -> bool,
) -> ItemInput {
    let (material, questions) = match v.parts {
        Some(parts) => (
            Some((to_safe_html(&v.stem_zh), to_safe_html(&v.stem_en))),
            parts,
        ),
        None => (
            None,
            vec![QuestionView {
                slot_ref: None,
                id: v.id.clone(),
                kind: v.kind.clone(),
                points: v.points,
                stem_zh: v.stem_zh,
                stem_en: v.stem_en,
                options: v.options,
                unit_zh: v.unit_zh,
                unit_en: v.unit_en,
            }],
        ),
    };
    let (material_zh_html, material_en_html) = material.unzip();
    ItemInput {
        id: v.id,
        version: v.version,
        kind: v.kind,
        material_zh_html,
        material_en_html,
        questions: questions
            .into_iter()
            .map(|q| {
                let g = given(&q.id);
                let d = done(&q.id);
                question(q, g.as_ref(), d)
            })
            .collect(),
    }
}

/// Reads the answer to question `qid` of `kind` from posted pairs: `None` when nothing was given, an
/// error message when the value does not fit (e.g. a number that is not one).
pub fn read_answer(
    pairs: &[(String, String)],
    qid: &str,
    kind: &str,
) -> Option<Result<Value, String>> {
    let name = format!("a:{qid}");
    let values: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
        .collect();
    match kind {
        "multiple" => (!values.is_empty()).then(|| {
            Ok(Value::from(
                values.iter().map(|v| (*v).to_owned()).collect::<Vec<_>>(),
            ))
        }),
        "true_false" => values.first().map(|v| match *v {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            other => Err(format!("`{other}` is neither true nor false")),
        }),
        "numeric" => values.first().map(|v| {
            parse_number(v)
                .map(Value::from)
                .ok_or_else(|| format!("`{v}` is not a number"))
        }),
        _ => values.first().map(|v| Ok(Value::from(*v))),
    }
}

/// The value of field `key` in posted pairs (empty when absent).
pub fn field(pairs: &[(String, String)], key: &str) -> String {
    pairs
        .iter()
        .find(|(n, _)| n == key)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// The points given per rubric criterion (fields `c0`, `c1`, …), in criterion order; a blank or
/// unreadable figure counts 0.
pub fn rubric_points(pairs: &[(String, String)]) -> Vec<u32> {
    let mut points: Vec<(usize, u32)> = pairs
        .iter()
        .filter_map(|(k, v)| {
            let i = k.strip_prefix('c')?.parse::<usize>().ok()?;
            Some((i, v.trim().parse::<u32>().unwrap_or(0)))
        })
        .collect();
    points.sort();
    points.into_iter().map(|(_, p)| p).collect()
}
