//! Item views for staff: an item version rendered in both languages with its key, explanation, rubric
//! and template; and the side-by-side diff of two versions.

use serde::Serialize;
use similar::{ChangeTag, TextDiff};

use crate::domain::item::{Body, Item, NumericKey, Question, Response};
use crate::web::markdown::to_safe_html;

/// One option, with whether it is keyed.
#[derive(Serialize)]
pub struct OptionDisplay {
    pub id: String,
    pub zh: String,
    pub en: String,
    pub key: bool,
}

/// One criterion of a rubric.
#[derive(Serialize)]
pub struct CriterionDisplay {
    pub zh: String,
    pub en: String,
    pub points: u32,
}

/// A question rendered for staff. `*_html` fields are sanitised Markdown.
#[derive(Serialize)]
pub struct QuestionDisplay {
    pub id: String,
    pub kind: String,
    pub points: u32,
    pub stem_zh_html: String,
    pub stem_en_html: String,
    pub options: Vec<OptionDisplay>,
    /// The key when it is not an option: true/false, accepted answers, a number with its tolerance.
    pub key_text: Option<String>,
    pub model_zh_html: Option<String>,
    pub model_en_html: Option<String>,
    pub rubric: Vec<CriterionDisplay>,
    pub explanation_zh_html: String,
    pub explanation_en_html: String,
}

/// An item version rendered for staff.
#[derive(Serialize)]
pub struct ItemDisplay {
    pub id: String,
    pub subject: String,
    pub kind: String,
    pub tags: Vec<String>,
    pub difficulty: u8,
    pub points: u32,
    pub rules: Vec<String>,
    pub sources: Vec<String>,
    pub material_zh_html: Option<String>,
    pub material_en_html: Option<String>,
    pub questions: Vec<QuestionDisplay>,
    /// For calculation templates: the text of variables and formulas; the questions show variant 0.
    pub template: Option<String>,
}

fn question(id: String, q: &Question) -> QuestionDisplay {
    let (options, key_text, model, rubric) = match &q.response {
        Response::Single { options, key } => (
            options
                .iter()
                .map(|o| OptionDisplay {
                    id: o.id.clone(),
                    zh: to_safe_html(&o.text.zh),
                    en: to_safe_html(&o.text.en),
                    key: &o.id == key,
                })
                .collect(),
            None,
            None,
            Vec::new(),
        ),
        Response::Multiple { options, keys } => (
            options
                .iter()
                .map(|o| OptionDisplay {
                    id: o.id.clone(),
                    zh: to_safe_html(&o.text.zh),
                    en: to_safe_html(&o.text.en),
                    key: keys.contains(&o.id),
                })
                .collect(),
            None,
            None,
            Vec::new(),
        ),
        Response::TrueFalse { key } => (
            Vec::new(),
            Some(
                if *key {
                    "✔ true / 正确"
                } else {
                    "✘ false / 错误"
                }
                .to_owned(),
            ),
            None,
            Vec::new(),
        ),
        Response::Fill { accept } => (Vec::new(), Some(accept.join(" | ")), None, Vec::new()),
        Response::Numeric {
            value,
            tolerance,
            unit,
        } => {
            let v = match value {
                NumericKey::Number(n) => n.to_string(),
                NumericKey::Formula(f) => format!("= {f}"),
            };
            let u = unit
                .as_ref()
                .map(|u| format!(" {} / {}", u.zh, u.en))
                .unwrap_or_default();
            (
                Vec::new(),
                Some(format!("{v} ± {tolerance}{u}")),
                None,
                Vec::new(),
            )
        }
        Response::Written {
            model_answer,
            rubric,
        } => (
            Vec::new(),
            None,
            Some((
                to_safe_html(&model_answer.zh),
                to_safe_html(&model_answer.en),
            )),
            rubric
                .iter()
                .map(|c| CriterionDisplay {
                    zh: c.text.zh.clone(),
                    en: c.text.en.clone(),
                    points: c.points,
                })
                .collect(),
        ),
    };
    QuestionDisplay {
        id,
        kind: q.kind().code().to_owned(),
        points: q.points,
        stem_zh_html: to_safe_html(&q.stem.zh),
        stem_en_html: to_safe_html(&q.stem.en),
        options,
        key_text,
        model_zh_html: model.as_ref().map(|m| m.0.clone()),
        model_en_html: model.map(|m| m.1),
        rubric,
        explanation_zh_html: to_safe_html(&q.explanation.zh),
        explanation_en_html: to_safe_html(&q.explanation.en),
    }
}

impl ItemDisplay {
    pub fn of(item: &Item) -> ItemDisplay {
        // Show a template as its first variant, with the formulas beside it.
        let shown = item
            .instantiate(0)
            .map(|(i, _)| i)
            .unwrap_or_else(|_| item.clone());
        let (material, questions) = match &shown.body {
            Body::Question(q) => (None, vec![question(item.id.to_string(), q)]),
            Body::Case(c) => (
                Some((to_safe_html(&c.material.zh), to_safe_html(&c.material.en))),
                c.parts
                    .iter()
                    .map(|p| question(format!("{}.{}", item.id, p.key), &p.question))
                    .collect(),
            ),
        };
        ItemDisplay {
            id: item.id.to_string(),
            subject: item.subject.code().to_owned(),
            kind: item.kind().code().to_owned(),
            tags: item.tags.iter().map(ToString::to_string).collect(),
            difficulty: item.difficulty.get(),
            points: item.points(),
            rules: item.rules.clone(),
            sources: item.sources.clone(),
            material_zh_html: material.as_ref().map(|m| m.0.clone()),
            material_en_html: material.map(|m| m.1),
            questions,
            template: item.template.as_ref().map(super::form::template_text),
        }
    }
}

/// One row of a side-by-side diff.
#[derive(Serialize, Debug, PartialEq)]
pub struct DiffRow {
    pub left_no: Option<usize>,
    pub left: String,
    pub right_no: Option<usize>,
    pub right: String,
    /// `same`, `removed`, `added` or `changed`.
    pub change: &'static str,
}

/// The two texts side by side, line by line, with what changed marked.
pub fn side_by_side(old: &str, new: &str) -> Vec<DiffRow> {
    let diff = TextDiff::from_lines(old, new);
    let mut rows = Vec::new();
    for op in diff.ops() {
        let mut removed: Vec<(usize, String)> = Vec::new();
        let mut added: Vec<(usize, String)> = Vec::new();
        for change in diff.iter_changes(op) {
            let text = change.value().trim_end_matches('\n').to_owned();
            match change.tag() {
                ChangeTag::Equal => {
                    flush(&mut rows, &mut removed, &mut added);
                    rows.push(DiffRow {
                        left_no: change.old_index().map(|i| i + 1),
                        left: text.clone(),
                        right_no: change.new_index().map(|i| i + 1),
                        right: text,
                        change: "same",
                    });
                }
                ChangeTag::Delete => removed.push((change.old_index().map_or(0, |i| i + 1), text)),
                ChangeTag::Insert => added.push((change.new_index().map_or(0, |i| i + 1), text)),
            }
        }
        flush(&mut rows, &mut removed, &mut added);
    }
    rows
}

/// Pairs removed and added lines into rows.
fn flush(
    rows: &mut Vec<DiffRow>,
    removed: &mut Vec<(usize, String)>,
    added: &mut Vec<(usize, String)>,
) {
    let n = removed.len().max(added.len());
    for i in 0..n {
        let l = removed.get(i).cloned();
        let r = added.get(i).cloned();
        let change = match (&l, &r) {
            (Some(_), Some(_)) => "changed",
            (Some(_), None) => "removed",
            _ => "added",
        };
        rows.push(DiffRow {
            left_no: l.as_ref().map(|x| x.0),
            left: l.map(|x| x.1).unwrap_or_default(),
            right_no: r.as_ref().map(|x| x.0),
            right: r.map(|x| x.1).unwrap_or_default(),
            change,
        });
    }
    removed.clear();
    added.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_pairs_changed_lines() {
        let rows = side_by_side("a\nb\nc\n", "a\nB\nc\nd\n");
        let changes: Vec<&str> = rows.iter().map(|r| r.change).collect();
        assert_eq!(changes, vec!["same", "changed", "same", "added"]);
        assert_eq!(rows[1].left, "b");
        assert_eq!(rows[1].right, "B");
        assert_eq!(rows[3].right_no, Some(4));
    }
}
