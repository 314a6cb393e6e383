//! The bank's file format as written by teachers (TOML), before validation. See question-bank/README.md.
//!
//! Every field is optional here so that a missing one is reported by the validator with its line,
//! instead of stopping the parse; unknown fields are refused so a typo never passes silently.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::diagnostic::Reporter;

/// A bilingual text: `stem.zh = "…"` and `stem.en = "…"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawText {
    pub zh: Option<String>,
    pub en: Option<String>,
}

/// `{ id = "a", zh = "…", en = "…" }`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOption {
    pub id: Option<String>,
    pub zh: Option<String>,
    pub en: Option<String>,
}

/// `{ zh = "…", en = "…", points = 2 }`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCriterion {
    pub zh: Option<String>,
    pub en: Option<String>,
    pub points: Option<i64>,
}

/// A unit: `unit = "USD"` or `unit = { zh = "美元", en = "USD" }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RawUnit {
    Same(String),
    Both(RawText),
}

/// One `[[item]]`, or one `[[item.parts]]` of a case.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEntry {
    pub id: Option<Spanned<String>>,
    pub key: Option<Spanned<String>>,
    pub subject: Option<Spanned<String>>,
    pub kind: Option<Spanned<String>>,
    pub tags: Option<Spanned<Vec<Spanned<String>>>>,
    pub difficulty: Option<Spanned<i64>>,
    pub rules: Option<Spanned<Vec<Spanned<String>>>>,
    pub sources: Option<Spanned<Vec<String>>>,
    pub status: Option<Spanned<String>>,
    pub points: Option<Spanned<i64>>,
    pub stem: Option<Spanned<RawText>>,
    pub explanation: Option<Spanned<RawText>>,
    pub material: Option<Spanned<RawText>>,
    pub options: Option<Spanned<Vec<Spanned<RawOption>>>>,
    pub answer: Option<Spanned<toml::Value>>,
    pub accept: Option<Spanned<Vec<String>>>,
    pub tolerance: Option<Spanned<f64>>,
    pub unit: Option<Spanned<RawUnit>>,
    pub model_answer: Option<Spanned<RawText>>,
    pub rubric: Option<Spanned<Vec<Spanned<RawCriterion>>>>,
    pub parts: Option<Spanned<Vec<Spanned<RawEntry>>>>,
    pub vars: Option<Spanned<BTreeMap<String, Spanned<RawVar>>>>,
    pub derived: Option<Spanned<BTreeMap<String, Spanned<RawDerived>>>>,
    pub examples: Option<Vec<Spanned<RawExample>>>,
}

/// A template variable: `{ min, max, step }` or `{ values = [...] }`, with optional `decimals`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawVar {
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub step: Option<f64>,
    pub values: Option<Vec<f64>>,
    pub decimals: Option<u32>,
}

/// A derived value: `"formula"` or `{ expr = "formula", decimals = 2 }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RawDerived {
    Expr(String),
    Full { expr: String, decimals: Option<u32> },
}

/// A worked example of a template.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExample {
    pub vars: BTreeMap<String, f64>,
    pub expect: BTreeMap<String, f64>,
    pub tolerance: Option<f64>,
}

/// One `[[tag]]` of taxonomy.toml.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTag {
    pub code: Spanned<String>,
    pub zh: Option<String>,
    pub en: Option<String>,
}

/// One `[[term]]` of glossary.toml.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTerm {
    #[serde(default)]
    pub zh: Vec<String>,
    #[serde(default)]
    pub en: Vec<String>,
    #[serde(default)]
    pub abbr: Vec<String>,
    pub tag: Option<Spanned<String>>,
}

/// One `[[rule]]` of rules.toml.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub id: Spanned<String>,
    pub zh: Option<String>,
    pub en: Option<String>,
    pub in_force: Option<String>,
    pub superseded_by: Option<Spanned<String>>,
}

/// One `[[section]]` of a blueprint.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSection {
    pub title: Option<RawText>,
    pub kind: Spanned<String>,
    pub count: Spanned<i64>,
    pub points: Spanned<i64>,
    #[serde(default)]
    pub tags: Vec<Spanned<String>>,
}

/// One `[[topic]]` of a blueprint.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTopic {
    pub tags: Vec<Spanned<String>>,
    pub percent: Spanned<i64>,
}

/// A blueprint file: one subject's paper (`subject` and sections), or several (`include`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBlueprint {
    pub id: Spanned<String>,
    pub title: Option<RawText>,
    pub minutes: Spanned<i64>,
    pub subject: Option<Spanned<String>>,
    #[serde(default)]
    pub include: Vec<Spanned<String>>,
    #[serde(default)]
    pub section: Vec<Spanned<RawSection>>,
    #[serde(default)]
    pub topic: Vec<Spanned<RawTopic>>,
}

/// Parses a whole file into `T` (for small files where one error may stop the rest).
pub fn parse_whole<T: DeserializeOwned>(rep: &mut Reporter<'_>) -> Option<T> {
    let text = rep.file.text.clone();
    match toml::from_str::<T>(&text) {
        Ok(v) => Some(v),
        Err(e) => {
            rep.toml_error(&e);
            None
        }
    }
}

/// Parses a file whose top level holds the array `key` (`[[item]]`, `[[tag]]`, …) and deserialises each
/// element on its own, so that one bad element does not hide the problems of the others. Top-level keys
/// other than `key` are reported.
pub fn parse_array<T: DeserializeOwned>(
    rep: &mut Reporter<'_>,
    key: &str,
) -> Vec<(Range<usize>, T)> {
    let text = rep.file.text.clone();
    let (doc, errors) = DeTable::parse_recoverable(&text);
    if !errors.is_empty() {
        for e in &errors {
            rep.toml_error(e);
        }
        return Vec::new();
    }
    let mut out = Vec::new();
    for (k, value) in doc.get_ref().iter() {
        if k.get_ref().as_ref() != key {
            rep.error(
                k.span(),
                format!(
                    "unknown top-level key `{}` (this file holds `[[{key}]]` entries)",
                    k.get_ref()
                ),
            );
            continue;
        }
        let DeValue::Array(elements) = value.get_ref() else {
            rep.error(
                value.span(),
                format!("`{key}` must be an array of tables: write `[[{key}]]`"),
            );
            continue;
        };
        for element in elements.iter() {
            let span = element.span();
            match T::deserialize(ValueDeserializer::from(element.clone())) {
                Ok(v) => out.push((span, v)),
                Err(e) => rep.toml_error(&e),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::bank::diagnostic::{Diagnostic, SourceFile};

    type Parsed = (Vec<(Range<usize>, RawEntry)>, Vec<Diagnostic>, SourceFile);

    fn parse(text: &str) -> Parsed {
        let file = SourceFile::new(Path::new("/"), Path::new("/t.toml"), text.to_owned());
        let mut out = Vec::new();
        let entries = parse_array::<RawEntry>(&mut Reporter::new(&file, &mut out), "item");
        (entries, out, file)
    }

    #[test]
    fn spans_point_at_the_right_lines() {
        let (entries, diags, file) = parse(
            "[[item]]\nid = \"X-1\"\nkind = \"single\"\n\n[[item]]\nid = \"X-2\"\ntags = [\"T1\",\n  \"T9.9\"]\n",
        );
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(entries.len(), 2);
        let second = &entries[1].1;
        let id = second.id.as_ref().map(|s| file.line_of(s.span().start));
        assert_eq!(id, Some(6));
        let tags = second
            .tags
            .as_ref()
            .map(|t| t.get_ref().clone())
            .unwrap_or_default();
        assert_eq!(file.line_of(tags[1].span().start), 8);
    }

    #[test]
    fn one_bad_entry_does_not_hide_the_next() {
        let (entries, diags, _) = parse(
            "[[item]]\nid = \"X-1\"\nstemm = \"typo\"\n\n[[item]]\nid = \"X-2\"\ndifficulty = \"hard\"\n\n[[item]]\nid = \"X-3\"\n",
        );
        assert_eq!(entries.len(), 1, "only the third entry is well-formed");
        assert_eq!(diags.len(), 2, "{diags:?}");
        assert_eq!(diags[0].line, 3, "{diags:?}");
        assert!(diags[0].message.contains("stemm"), "{diags:?}");
        assert_eq!(diags[1].line, 7, "{diags:?}");
    }

    #[test]
    fn syntax_errors_carry_lines() {
        let (_, diags, _) = parse("[[item]]\nid = \"X-1\nkind = 3\n");
        assert!(!diags.is_empty());
        assert_eq!(diags[0].line, 2, "{diags:?}");
    }
}
