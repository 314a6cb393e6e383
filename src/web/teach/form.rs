//! The item editor's form: every item kind (cases with parts, rubrics, calculation templates) as flat form
//! fields, filled from a stored item, and checked by the same validator as the bank files, so a problem
//! is reported next to the field it is in.
//!
//! Field names: meta fields by name (`subject`, `kind`, `tags` …); a standalone question's fields start
//! with `q.`, a case part's with `p0.`, `p1.` …; options are `{prefix}o0.id|zh|en`, rubric criteria
//! `{prefix}r0.zh|en|points`.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::bank::diagnostic::{Diagnostic, Reporter, Severity, SourceFile};
use crate::bank::format::{
    RawCriterion, RawDerived, RawEntry, RawExample, RawOption, RawText, RawUnit, RawVar,
};
use crate::bank::items::{Checked, Context, check_item};
use crate::domain::item::{Body, Item, NumericKey, Question, Response, Status};
use crate::domain::rules::RuleRegistry;
use crate::domain::taxonomy::Taxonomy;
use crate::domain::template::{Template, VarDomain};

/// One question's fields (a standalone item or a case part).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct QuestionForm {
    /// The prefix of its field names (`q.` or `p0.` …).
    pub prefix: String,
    pub key: String,
    pub kind: String,
    pub points: String,
    pub tags: String,
    pub stem_zh: String,
    pub stem_en: String,
    pub options: Vec<[String; 3]>,
    /// single: option id; true_false: true/false; numeric: number or formula.
    pub answer: String,
    /// multiple: the keyed option ids.
    pub keys: Vec<String>,
    /// fill: one accepted answer per line.
    pub accept: String,
    pub tolerance: String,
    pub unit_zh: String,
    pub unit_en: String,
    pub model_zh: String,
    pub model_en: String,
    pub rubric: Vec<[String; 3]>,
    pub expl_zh: String,
    pub expl_en: String,
}

/// The whole editor.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ItemForm {
    pub id: String,
    pub subject: String,
    pub kind: String,
    pub tags: Vec<String>,
    pub difficulty: String,
    pub rules: Vec<String>,
    /// One source per line.
    pub sources: String,
    pub material_zh: String,
    pub material_en: String,
    pub case_expl_zh: String,
    pub case_expl_en: String,
    pub question: QuestionForm,
    pub parts: Vec<QuestionForm>,
    /// Calculation template: `[vars]`, `[derived]`, `[[examples]]` in the bank's TOML syntax.
    pub template: String,
}

/// Problems by field name; an empty name is a problem with the item as a whole.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

fn f64_text(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

impl QuestionForm {
    fn empty(prefix: &str) -> QuestionForm {
        QuestionForm {
            prefix: prefix.to_owned(),
            kind: "single".into(),
            // Ids ready, so the key can be chosen before the first save.
            options: ["a", "b", "c", "d"]
                .iter()
                .map(|id| [(*id).to_owned(), String::new(), String::new()])
                .collect(),
            ..QuestionForm::default()
        }
    }

    fn from_question(prefix: &str, key: &str, tags: &[String], q: &Question) -> QuestionForm {
        let mut f = QuestionForm {
            prefix: prefix.to_owned(),
            key: key.to_owned(),
            kind: q.kind().code().to_owned(),
            tags: tags.join(", "),
            stem_zh: q.stem.zh.clone(),
            stem_en: q.stem.en.clone(),
            expl_zh: q.explanation.zh.clone(),
            expl_en: q.explanation.en.clone(),
            ..QuestionForm::default()
        };
        let default_points = match &q.response {
            Response::Written { rubric, .. } => rubric.iter().map(|c| c.points).sum(),
            _ => q.kind().default_points(),
        };
        if q.points != default_points || !prefix.starts_with('q') {
            f.points = q.points.to_string();
        }
        match &q.response {
            Response::Single { options, key } => {
                f.options = options
                    .iter()
                    .map(|o| [o.id.clone(), o.text.zh.clone(), o.text.en.clone()])
                    .collect();
                f.answer = key.clone();
            }
            Response::Multiple { options, keys } => {
                f.options = options
                    .iter()
                    .map(|o| [o.id.clone(), o.text.zh.clone(), o.text.en.clone()])
                    .collect();
                f.keys = keys.clone();
            }
            Response::TrueFalse { key } => f.answer = key.to_string(),
            Response::Fill { accept } => f.accept = accept.join("\n"),
            Response::Numeric {
                value,
                tolerance,
                unit,
            } => {
                f.answer = match value {
                    NumericKey::Number(n) => f64_text(*n),
                    NumericKey::Formula(e) => e.clone(),
                };
                f.tolerance = f64_text(*tolerance);
                if let Some(u) = unit {
                    f.unit_zh = u.zh.clone();
                    f.unit_en = u.en.clone();
                }
            }
            Response::Written {
                model_answer,
                rubric,
            } => {
                f.model_zh = model_answer.zh.clone();
                f.model_en = model_answer.en.clone();
                f.rubric = rubric
                    .iter()
                    .map(|c| [c.text.zh.clone(), c.text.en.clone(), c.points.to_string()])
                    .collect();
            }
        }
        f
    }

    fn from_pairs(
        prefix: &str,
        get: &dyn Fn(&str) -> String,
        all: &dyn Fn(&str) -> Vec<String>,
        indices: &dyn Fn(&str) -> Vec<usize>,
    ) -> QuestionForm {
        let p = |name: &str| get(&format!("{prefix}{name}"));
        let options = indices(&format!("{prefix}o"))
            .into_iter()
            .map(|i| {
                [
                    p(&format!("o{i}.id")),
                    p(&format!("o{i}.zh")),
                    p(&format!("o{i}.en")),
                ]
            })
            .collect();
        let rubric = indices(&format!("{prefix}r"))
            .into_iter()
            .map(|i| {
                [
                    p(&format!("r{i}.zh")),
                    p(&format!("r{i}.en")),
                    p(&format!("r{i}.points")),
                ]
            })
            .collect();
        QuestionForm {
            prefix: prefix.to_owned(),
            key: p("key"),
            kind: p("kind"),
            points: p("points"),
            tags: p("tags"),
            stem_zh: p("stem_zh"),
            stem_en: p("stem_en"),
            options,
            answer: p("answer"),
            keys: all(&format!("{prefix}keys")),
            accept: p("accept"),
            tolerance: p("tolerance"),
            unit_zh: p("unit_zh"),
            unit_en: p("unit_en"),
            model_zh: p("model_zh"),
            model_en: p("model_en"),
            rubric,
            expl_zh: p("expl_zh"),
            expl_en: p("expl_en"),
        }
    }
}

impl ItemForm {
    /// An empty form for a new item of `kind`.
    pub fn new_item(kind: &str) -> ItemForm {
        let mut f = ItemForm {
            subject: "A".into(),
            kind: kind.into(),
            difficulty: "2".into(),
            question: QuestionForm::empty("q."),
            ..ItemForm::default()
        };
        f.question.kind = kind.into();
        match kind {
            "case" => {
                f.subject = "B".into();
                f.parts = vec![QuestionForm::empty("p0.")];
                f.parts[0].key = "1".into();
            }
            "written" => {
                f.question.options.clear();
                f.question.rubric = vec![Default::default(), Default::default()];
            }
            "single" | "multiple" => {}
            _ => f.question.options.clear(),
        }
        f
    }

    /// The form for a stored item.
    pub fn from_item(item: &Item) -> ItemForm {
        let mut f = ItemForm {
            id: item.id.to_string(),
            subject: item.subject.code().to_owned(),
            kind: item.kind().code().to_owned(),
            tags: item.tags.iter().map(ToString::to_string).collect(),
            difficulty: item.difficulty.get().to_string(),
            rules: item.rules.clone(),
            sources: item.sources.join("\n"),
            ..ItemForm::default()
        };
        match &item.body {
            Body::Question(q) => f.question = QuestionForm::from_question("q.", "", &[], q),
            Body::Case(c) => {
                f.material_zh = c.material.zh.clone();
                f.material_en = c.material.en.clone();
                if let Some(e) = &c.explanation {
                    f.case_expl_zh = e.zh.clone();
                    f.case_expl_en = e.en.clone();
                }
                f.parts = c
                    .parts
                    .iter()
                    .enumerate()
                    .map(|(i, p)| {
                        let tags: Vec<String> = p.tags.iter().map(ToString::to_string).collect();
                        QuestionForm::from_question(&format!("p{i}."), &p.key, &tags, &p.question)
                    })
                    .collect();
            }
        }
        if let Some(t) = &item.template {
            f.template = template_text(t);
        }
        f
    }

    /// Reads the posted fields.
    pub fn from_pairs(pairs: &[(String, String)]) -> ItemForm {
        let get = |name: &str| -> String {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let all = |name: &str| -> Vec<String> {
            pairs
                .iter()
                .filter(|(k, v)| k == name && !v.trim().is_empty())
                .map(|(_, v)| v.clone())
                .collect()
        };
        // Indices present for a repeated group, e.g. `q.o` → 0, 1, 2 from `q.o0.id`, `q.o1.zh` …
        let indices = |group: &str| -> Vec<usize> {
            let mut found: Vec<usize> = pairs
                .iter()
                .filter_map(|(k, _)| {
                    let rest = k.strip_prefix(group)?;
                    let (n, _) = rest.split_once('.')?;
                    n.parse().ok()
                })
                .collect();
            found.sort_unstable();
            found.dedup();
            found
        };
        let parts = indices("p")
            .into_iter()
            .map(|i| QuestionForm::from_pairs(&format!("p{i}."), &get, &all, &indices))
            .collect();
        ItemForm {
            id: get("id").trim().to_owned(),
            subject: get("subject"),
            kind: get("kind"),
            tags: {
                // The primary tag comes first; the others follow in the order the page lists them.
                let primary = get("primary_tag");
                let mut tags: Vec<String> = Vec::new();
                if !primary.trim().is_empty() {
                    tags.push(primary.trim().to_owned());
                }
                tags.extend(
                    all("tags")
                        .into_iter()
                        .filter(|t| t.trim() != primary.trim()),
                );
                tags
            },
            difficulty: get("difficulty"),
            rules: all("rules"),
            sources: get("sources"),
            material_zh: get("material_zh"),
            material_en: get("material_en"),
            case_expl_zh: get("case_expl_zh"),
            case_expl_en: get("case_expl_en"),
            question: QuestionForm::from_pairs("q.", &get, &all, &indices),
            parts,
            template: get("template"),
        }
    }

    /// Applies an editor action that changes the form's shape (`add_option:q.`, `add_part`, …).
    pub fn apply(&mut self, op: &str) {
        let question = |f: &mut ItemForm, prefix: &str| -> Option<usize> {
            if prefix == "q." {
                None
            } else {
                prefix
                    .strip_prefix('p')
                    .and_then(|r| r.trim_end_matches('.').parse().ok())
                    .filter(|&i| i < f.parts.len())
            }
        };
        if let Some(prefix) = op.strip_prefix("add_option:") {
            let next_id = |q: &QuestionForm| ((b'a' + q.options.len() as u8) as char).to_string();
            match question(self, prefix) {
                None => {
                    let id = next_id(&self.question);
                    self.question
                        .options
                        .push([id, String::new(), String::new()]);
                }
                Some(i) => {
                    let id = next_id(&self.parts[i]);
                    self.parts[i]
                        .options
                        .push([id, String::new(), String::new()]);
                }
            }
        } else if let Some(prefix) = op.strip_prefix("add_criterion:") {
            match question(self, prefix) {
                None => self.question.rubric.push(Default::default()),
                Some(i) => self.parts[i].rubric.push(Default::default()),
            }
        } else if op == "add_part" {
            let n = self.parts.len();
            let mut p = QuestionForm::empty(&format!("p{n}."));
            p.key = (n + 1).to_string();
            self.parts.push(p);
        } else if let Some(n) = op
            .strip_prefix("remove_part:")
            .and_then(|n| n.parse::<usize>().ok())
            && n < self.parts.len()
        {
            self.parts.remove(n);
            for (i, p) in self.parts.iter_mut().enumerate() {
                p.prefix = format!("p{i}.");
            }
        }
    }

    /// Checks the form with the bank's validator. Returns the item (when valid) and every problem by field.
    pub fn check(
        &self,
        status: Status,
        taxonomy: &Taxonomy,
        rules: &RuleRegistry,
    ) -> (Option<Item>, FieldErrors, FieldErrors) {
        let mut fields = Fields::default();
        let raw = self.to_raw(&mut fields, status);
        // One line per field: a diagnostic's line tells which field it is about.
        let text = "\n".repeat(fields.names.len() + 2);
        let file = SourceFile::new(std::path::Path::new(""), std::path::Path::new("form"), text);
        let mut out: Vec<Diagnostic> = fields.early.clone();
        let ctx = Context {
            taxonomy: Some(taxonomy),
            rules: Some(rules),
        };
        let checked: Option<Checked> = {
            let mut rep = Reporter::new(&file, &mut out);
            check_item(&mut rep, &ctx, 0..1, &raw)
        };
        let mut errors = FieldErrors::new();
        let mut warnings = FieldErrors::new();
        for d in out {
            let field = d
                .line
                .checked_sub(2)
                .and_then(|i| fields.names.get(i))
                .cloned()
                .unwrap_or_default();
            let message = strip_label(&d.message);
            let target = if d.severity == Severity::Error {
                &mut errors
            } else {
                &mut warnings
            };
            target.entry(field).or_default().push(message);
        }
        let item = if errors.is_empty() {
            checked.map(|c| c.item)
        } else {
            None
        };
        (item, errors, warnings)
    }

    fn to_raw(&self, fields: &mut Fields, status: Status) -> RawEntry {
        let mut raw = RawEntry {
            id: Some(fields.spanned("id", self.id.clone())),
            subject: Some(fields.spanned("subject", self.subject.clone())),
            kind: Some(fields.spanned("kind", self.kind.clone())),
            ..RawEntry::default()
        };
        let tags: Vec<Spanned<String>> = self
            .tags
            .iter()
            .map(|t| fields.spanned("tags", t.clone()))
            .collect();
        raw.tags = Some(fields.spanned("tags", tags));
        raw.difficulty = match self.difficulty.trim().parse::<i64>() {
            Ok(d) => Some(fields.spanned("difficulty", d)),
            Err(_) => {
                fields.error("difficulty", "choose a difficulty from 1 to 5");
                None
            }
        };
        let rules: Vec<Spanned<String>> = self
            .rules
            .iter()
            .map(|r| fields.spanned("rules", r.clone()))
            .collect();
        raw.rules = Some(fields.spanned("rules", rules));
        let sources: Vec<String> = lines(&self.sources);
        raw.sources = Some(fields.spanned("sources", sources));
        raw.status = Some(fields.spanned("status", status.code().to_owned()));
        if self.kind == "case" {
            raw.material =
                Some(fields.spanned("material", text(&self.material_zh, &self.material_en)));
            if !(self.case_expl_zh.trim().is_empty() && self.case_expl_en.trim().is_empty()) {
                raw.explanation =
                    Some(fields.spanned("case_expl", text(&self.case_expl_zh, &self.case_expl_en)));
            }
            let parts: Vec<Spanned<RawEntry>> = self
                .parts
                .iter()
                .map(|p| {
                    let mut e = RawEntry::default();
                    p.fill_raw(&mut e, fields, true);
                    fields.spanned(&format!("{}part", p.prefix), e)
                })
                .collect();
            raw.parts = Some(fields.spanned("parts", parts));
        } else {
            self.question.fill_raw(&mut raw, fields, false);
        }
        if !self.template.trim().is_empty() {
            match toml::from_str::<TemplateBlock>(&self.template) {
                Ok(t) => {
                    let vars: BTreeMap<String, Spanned<RawVar>> = t
                        .vars
                        .into_iter()
                        .map(|(k, v)| (k, fields.spanned("template", v)))
                        .collect();
                    raw.vars = Some(fields.spanned("template", vars));
                    if !t.derived.is_empty() {
                        let derived: BTreeMap<String, Spanned<RawDerived>> = t
                            .derived
                            .into_iter()
                            .map(|(k, v)| (k, fields.spanned("template", v)))
                            .collect();
                        raw.derived = Some(fields.spanned("template", derived));
                    }
                    if !t.examples.is_empty() {
                        raw.examples = Some(
                            t.examples
                                .into_iter()
                                .map(|e| fields.spanned("template", e))
                                .collect(),
                        );
                    }
                }
                Err(e) => fields.error(
                    "template",
                    &format!("the template is not valid TOML: {}", e.message()),
                ),
            }
        }
        raw
    }
}

impl QuestionForm {
    fn fill_raw(&self, raw: &mut RawEntry, fields: &mut Fields, part: bool) {
        let p = &self.prefix;
        let name = |n: &str| format!("{p}{n}");
        if part {
            raw.key = Some(fields.spanned(&name("key"), self.key.trim().to_owned()));
            raw.kind = Some(fields.spanned(&name("kind"), self.kind.clone()));
            let tags: Vec<Spanned<String>> = self
                .tags
                .split([',', ' ', '，'])
                .filter(|t| !t.is_empty())
                .map(|t| fields.spanned(&name("tags"), t.to_owned()))
                .collect();
            if !tags.is_empty() {
                raw.tags = Some(fields.spanned(&name("tags"), tags));
            }
        }
        if !self.points.trim().is_empty() {
            match self.points.trim().parse::<i64>() {
                Ok(n) => raw.points = Some(fields.spanned(&name("points"), n)),
                Err(_) => fields.error(&name("points"), "points must be a whole number"),
            }
        }
        raw.stem = Some(fields.spanned(&name("stem"), text(&self.stem_zh, &self.stem_en)));
        raw.explanation = Some(fields.spanned(&name("expl"), text(&self.expl_zh, &self.expl_en)));
        match self.kind.as_str() {
            "single" | "multiple" => {
                let opts: Vec<Spanned<RawOption>> = self
                    .options
                    .iter()
                    .enumerate()
                    // A row without text in either language is an unused row, whatever its id.
                    .filter(|(_, [_, zh, en])| !(zh.trim().is_empty() && en.trim().is_empty()))
                    .map(|(i, [id, zh, en])| {
                        fields.spanned(
                            &name(&format!("o{i}")),
                            RawOption {
                                id: Some(id.trim().to_owned()),
                                zh: Some(zh.clone()),
                                en: Some(en.clone()),
                            },
                        )
                    })
                    .collect();
                raw.options = Some(fields.spanned(&name("options"), opts));
                let answer = if self.kind == "single" {
                    toml::Value::String(self.answer.trim().to_owned())
                } else {
                    toml::Value::Array(
                        self.keys
                            .iter()
                            .map(|k| toml::Value::String(k.clone()))
                            .collect(),
                    )
                };
                raw.answer = Some(fields.spanned(&name("answer"), answer));
            }
            "true_false" => {
                let answer = match self.answer.trim() {
                    "true" => toml::Value::Boolean(true),
                    "false" => toml::Value::Boolean(false),
                    other => toml::Value::String(other.to_owned()),
                };
                raw.answer = Some(fields.spanned(&name("answer"), answer));
            }
            "fill" => raw.accept = Some(fields.spanned(&name("accept"), lines(&self.accept))),
            "numeric" => {
                let a = self.answer.trim();
                let answer = match crate::domain::normalize::parse_number(a) {
                    Some(n) => toml::Value::Float(n),
                    None => toml::Value::String(a.to_owned()),
                };
                raw.answer = Some(fields.spanned(&name("answer"), answer));
                if !self.tolerance.trim().is_empty() {
                    match crate::domain::normalize::parse_number(&self.tolerance) {
                        Some(t) => raw.tolerance = Some(fields.spanned(&name("tolerance"), t)),
                        None => {
                            fields.error(&name("tolerance"), "the tolerance is a number, e.g. 0.01")
                        }
                    }
                }
                if !(self.unit_zh.trim().is_empty() && self.unit_en.trim().is_empty()) {
                    raw.unit = Some(fields.spanned(
                        &name("unit"),
                        RawUnit::Both(text(&self.unit_zh, &self.unit_en)),
                    ));
                }
            }
            "written" => {
                raw.model_answer =
                    Some(fields.spanned(&name("model"), text(&self.model_zh, &self.model_en)));
                let rubric: Vec<Spanned<RawCriterion>> = self
                    .rubric
                    .iter()
                    .enumerate()
                    .filter(|(_, [zh, en, pts])| {
                        !(zh.trim().is_empty() && en.trim().is_empty() && pts.trim().is_empty())
                    })
                    .map(|(i, [zh, en, pts])| {
                        fields.spanned(
                            &name(&format!("r{i}")),
                            RawCriterion {
                                zh: Some(zh.clone()),
                                en: Some(en.clone()),
                                points: pts.trim().parse().ok(),
                            },
                        )
                    })
                    .collect();
                raw.rubric = Some(fields.spanned(&name("rubric"), rubric));
            }
            _ => {}
        }
    }
}

/// The template block of the editor.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateBlock {
    #[serde(default)]
    vars: BTreeMap<String, RawVar>,
    #[serde(default)]
    derived: BTreeMap<String, RawDerived>,
    #[serde(default)]
    examples: Vec<RawExample>,
}

/// A template as the editor shows it.
pub fn template_text(t: &Template) -> String {
    let mut out = String::from("[vars]\n");
    for v in &t.vars {
        let domain = match &v.domain {
            VarDomain::Range { min, max, step } => {
                format!(
                    "min = {}, max = {}, step = {}",
                    f64_text(*min),
                    f64_text(*max),
                    f64_text(*step)
                )
            }
            VarDomain::Values(values) => format!(
                "values = [{}]",
                values
                    .iter()
                    .map(|x| f64_text(*x))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        out.push_str(&format!(
            "{} = {{ {domain}, decimals = {} }}\n",
            v.name, v.decimals
        ));
    }
    if !t.derived.is_empty() {
        out.push_str("\n[derived]\n");
        for d in &t.derived {
            out.push_str(&format!(
                "{} = {{ expr = {}, decimals = {} }}\n",
                d.name,
                toml::Value::String(d.expr.clone()),
                d.decimals
            ));
        }
    }
    for e in &t.examples {
        let map = |m: &BTreeMap<String, f64>| {
            m.iter()
                .map(|(k, v)| format!("{k} = {}", f64_text(*v)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        out.push_str(&format!(
            "\n[[examples]]\nvars = {{ {} }}\nexpect = {{ {} }}\ntolerance = {}\n",
            map(&e.vars),
            map(&e.expect),
            f64_text(e.tolerance)
        ));
    }
    out
}

/// Field names by position, for mapping diagnostics back to fields.
#[derive(Default)]
struct Fields {
    names: Vec<String>,
    early: Vec<Diagnostic>,
}

impl Fields {
    /// A value whose span points at the line of `field`.
    fn spanned<T>(&mut self, field: &str, value: T) -> Spanned<T> {
        let i = match self.names.iter().position(|n| n == field) {
            Some(i) => i,
            None => {
                self.names.push(field.to_owned());
                self.names.len() - 1
            }
        };
        // Line i + 2 (the text is one newline per line; offset i + 1 is on line i + 2).
        let at: Range<usize> = (i + 1)..(i + 2);
        Spanned::new(at, value)
    }

    fn error(&mut self, field: &str, message: &str) {
        let _ = self.spanned(field, ());
        let line = self
            .names
            .iter()
            .position(|n| n == field)
            .map_or(0, |i| i + 2);
        self.early.push(Diagnostic {
            file: "form".into(),
            line,
            severity: Severity::Error,
            message: message.to_owned(),
        });
    }
}

fn text(zh: &str, en: &str) -> RawText {
    RawText {
        zh: Some(zh.to_owned()),
        en: Some(en.to_owned()),
    }
}

fn lines(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Removes the "item X: " label the bank validator puts in front of its messages.
fn strip_label(message: &str) -> String {
    match message.split_once(": ") {
        Some((label, rest)) if label.starts_with("item") || label.starts_with("part ") => {
            rest.to_owned()
        }
        _ => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::bank;

    fn pairs_of(form: &ItemForm) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = vec![
            ("id".into(), form.id.clone()),
            ("subject".into(), form.subject.clone()),
            ("kind".into(), form.kind.clone()),
            ("difficulty".into(), form.difficulty.clone()),
            ("sources".into(), form.sources.clone()),
            ("material_zh".into(), form.material_zh.clone()),
            ("material_en".into(), form.material_en.clone()),
            ("case_expl_zh".into(), form.case_expl_zh.clone()),
            ("case_expl_en".into(), form.case_expl_en.clone()),
            ("template".into(), form.template.clone()),
        ];
        if let Some((first, rest)) = form.tags.split_first() {
            out.push(("primary_tag".into(), first.clone()));
            out.extend(rest.iter().map(|t| ("tags".into(), t.clone())));
        }
        out.extend(form.rules.iter().map(|t| ("rules".into(), t.clone())));
        for q in std::iter::once(&form.question).chain(&form.parts) {
            let p = &q.prefix;
            for (k, v) in [
                ("key", &q.key),
                ("kind", &q.kind),
                ("points", &q.points),
                ("tags", &q.tags),
                ("stem_zh", &q.stem_zh),
                ("stem_en", &q.stem_en),
                ("answer", &q.answer),
                ("accept", &q.accept),
                ("tolerance", &q.tolerance),
                ("unit_zh", &q.unit_zh),
                ("unit_en", &q.unit_en),
                ("model_zh", &q.model_zh),
                ("model_en", &q.model_en),
                ("expl_zh", &q.expl_zh),
                ("expl_en", &q.expl_en),
            ] {
                out.push((format!("{p}{k}"), v.clone()));
            }
            out.extend(q.keys.iter().map(|k| (format!("{p}keys"), k.clone())));
            for (i, [id, zh, en]) in q.options.iter().enumerate() {
                out.push((format!("{p}o{i}.id"), id.clone()));
                out.push((format!("{p}o{i}.zh"), zh.clone()));
                out.push((format!("{p}o{i}.en"), en.clone()));
            }
            for (i, [zh, en, pts]) in q.rubric.iter().enumerate() {
                out.push((format!("{p}r{i}.zh"), zh.clone()));
                out.push((format!("{p}r{i}.en"), en.clone()));
                out.push((format!("{p}r{i}.points"), pts.clone()));
            }
        }
        out
    }

    /// Every shipped item, shown in the editor and posted back unchanged, is the same item.
    #[test]
    fn every_shipped_item_survives_the_editor() {
        let loaded = bank::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("question-bank"));
        for b in &loaded.bank.items {
            let form = ItemForm::from_pairs(&pairs_of(&ItemForm::from_item(&b.item)));
            let (item, errors, _) = form.check(b.status, &loaded.bank.taxonomy, &loaded.bank.rules);
            assert!(errors.is_empty(), "{}: {errors:?}", b.item.id);
            assert_eq!(item.as_ref(), Some(&b.item), "{}", b.item.id);
        }
    }

    #[test]
    fn problems_land_on_their_fields() {
        let loaded = bank::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("question-bank"));
        let mut form = ItemForm::new_item("single");
        form.id = "T3.1-9000".into();
        form.tags = vec!["T3.1".into()];
        form.rules = vec!["Incoterms 2020".into()];
        form.sources = "Incoterms 2020, FOB A2".into();
        form.question.stem_zh = "题干".into();
        form.question.options = vec![
            ["a".into(), "甲".into(), "A".into()],
            ["b".into(), "乙".into(), "B".into()],
            ["c".into(), "丙".into(), "".into()],
        ];
        form.question.answer = "d".into();
        form.question.expl_zh = "解析".into();
        form.question.expl_en = "Why".into();
        let (item, errors, warnings) =
            form.check(Status::Draft, &loaded.bank.taxonomy, &loaded.bank.rules);
        assert!(item.is_none());
        // A draft may lack one language (a warning); a key outside the options is an error.
        let has = |m: &FieldErrors, field: &str, text: &str| {
            m.get(field).is_some_and(|e| e[0].contains(text))
        };
        assert!(has(&warnings, "q.stem", "English"), "{warnings:?}");
        assert!(has(&warnings, "q.o2", "English"), "{warnings:?}");
        assert!(
            has(&errors, "q.answer", "not among the options"),
            "{errors:?}"
        );
        // For review the missing language is an error.
        let (_, errors, _) =
            form.check(Status::InReview, &loaded.bank.taxonomy, &loaded.bank.rules);
        assert!(has(&errors, "q.stem", "English"), "{errors:?}");
    }

    #[test]
    fn editor_actions_grow_the_form() {
        let mut form = ItemForm::new_item("case");
        form.apply("add_part");
        form.apply("add_option:p1.");
        assert_eq!(form.parts.len(), 2);
        assert_eq!(form.parts[1].options.len(), 5);
        assert_eq!(form.parts[1].options[4][0], "e");
        form.apply("remove_part:0");
        assert_eq!(form.parts.len(), 1);
        assert_eq!(form.parts[0].prefix, "p0.");
    }
}
