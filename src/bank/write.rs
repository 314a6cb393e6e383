//! Writing items in the bank's own format (TOML, as question-bank/README.md describes it), for export and
//! for showing a version's full text. What is written here reads back as the same item.

use std::fmt::Write as _;

use crate::domain::Text;
use crate::domain::item::{
    Body, ChoiceOption, Criterion, Item, NumericKey, Part, Question, Response, Status,
};
use crate::domain::template::{Template, VarDomain};

/// A TOML string for `s`: a literal multi-line string for text with line breaks (readable in diffs),
/// otherwise a basic string with escapes.
fn string(s: &str) -> String {
    if s.contains('\n') && !s.contains("'''") && !s.ends_with('\'') && !s.contains('\r') {
        format!("'''\n{s}'''")
    } else {
        toml::Value::String(s.to_owned()).to_string()
    }
}

fn number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        toml::Value::Float(x).to_string()
    }
}

fn list(items: &[String]) -> String {
    let inner: Vec<String> = items.iter().map(|s| string_inline(s)).collect();
    format!("[{}]", inner.join(", "))
}

/// A string inside an inline table or array: always a one-line basic string.
fn string_inline(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

fn text(out: &mut String, prefix: &str, key: &str, t: &Text) {
    let _ = writeln!(out, "{prefix}{key}.zh = {}", string(&t.zh));
    let _ = writeln!(out, "{prefix}{key}.en = {}", string(&t.en));
}

fn options(out: &mut String, opts: &[ChoiceOption]) {
    out.push_str("options = [\n");
    for o in opts {
        let _ = writeln!(
            out,
            "  {{ id = {}, zh = {}, en = {} }},",
            string_inline(&o.id),
            string_inline(&o.text.zh),
            string_inline(&o.text.en)
        );
    }
    out.push_str("]\n");
}

fn rubric(out: &mut String, criteria: &[Criterion]) {
    out.push_str("rubric = [\n");
    for c in criteria {
        let _ = writeln!(
            out,
            "  {{ zh = {}, en = {}, points = {} }},",
            string_inline(&c.text.zh),
            string_inline(&c.text.en),
            c.points
        );
    }
    out.push_str("]\n");
}

/// The fields of a question, without its key (`key` for a part) and tags.
fn question(out: &mut String, q: &Question) {
    let kind = q.kind();
    let _ = writeln!(out, "kind = {}", string_inline(kind.code()));
    let default_points = match &q.response {
        Response::Written { rubric, .. } => rubric.iter().map(|c| c.points).sum(),
        _ => kind.default_points(),
    };
    if q.points != default_points {
        let _ = writeln!(out, "points = {}", q.points);
    }
    text(out, "", "stem", &q.stem);
    match &q.response {
        Response::Single { options: o, key } => {
            options(out, o);
            let _ = writeln!(out, "answer = {}", string_inline(key));
        }
        Response::Multiple { options: o, keys } => {
            options(out, o);
            let _ = writeln!(out, "answer = {}", list(keys));
        }
        Response::TrueFalse { key } => {
            let _ = writeln!(out, "answer = {key}");
        }
        Response::Fill { accept } => {
            let _ = writeln!(out, "accept = {}", list(accept));
        }
        Response::Numeric {
            value,
            tolerance,
            unit,
        } => {
            match value {
                NumericKey::Number(n) => {
                    let _ = writeln!(out, "answer = {}", number(*n));
                }
                NumericKey::Formula(f) => {
                    let _ = writeln!(out, "answer = {}", string_inline(f));
                }
            }
            let _ = writeln!(out, "tolerance = {}", number(*tolerance));
            if let Some(u) = unit {
                if u.zh == u.en {
                    let _ = writeln!(out, "unit = {}", string_inline(&u.zh));
                } else {
                    let _ = writeln!(
                        out,
                        "unit = {{ zh = {}, en = {} }}",
                        string_inline(&u.zh),
                        string_inline(&u.en)
                    );
                }
            }
        }
        Response::Written {
            model_answer,
            rubric: r,
        } => {
            text(out, "", "model_answer", model_answer);
            rubric(out, r);
        }
    }
    text(out, "", "explanation", &q.explanation);
}

fn part(out: &mut String, p: &Part) {
    out.push_str("\n[[item.parts]]\n");
    let _ = writeln!(out, "key = {}", string_inline(&p.key));
    if !p.tags.is_empty() {
        let tags: Vec<String> = p.tags.iter().map(ToString::to_string).collect();
        let _ = writeln!(out, "tags = {}", list(&tags));
    }
    question(out, &p.question);
}

fn template(out: &mut String, t: &Template) {
    out.push_str("\n[item.vars]\n");
    for v in &t.vars {
        let domain = match &v.domain {
            VarDomain::Range { min, max, step } => format!(
                "min = {}, max = {}, step = {}",
                number(*min),
                number(*max),
                number(*step)
            ),
            VarDomain::Values(values) => format!(
                "values = [{}]",
                values
                    .iter()
                    .map(|x| number(*x))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let _ = writeln!(
            out,
            "{} = {{ {domain}, decimals = {} }}",
            v.name, v.decimals
        );
    }
    if !t.derived.is_empty() {
        out.push_str("\n[item.derived]\n");
        for d in &t.derived {
            let _ = writeln!(
                out,
                "{} = {{ expr = {}, decimals = {} }}",
                d.name,
                string_inline(&d.expr),
                d.decimals
            );
        }
    }
    for e in &t.examples {
        out.push_str("\n[[item.examples]]\n");
        let map = |m: &std::collections::BTreeMap<String, f64>| {
            m.iter()
                .map(|(k, v)| format!("{k} = {}", number(*v)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(out, "vars = {{ {} }}", map(&e.vars));
        let _ = writeln!(out, "expect = {{ {} }}", map(&e.expect));
        let _ = writeln!(out, "tolerance = {}", number(e.tolerance));
    }
}

/// One `[[item]]` in the bank's format.
pub fn item_to_toml(item: &Item, status: Status) -> String {
    let mut out = String::from("[[item]]\n");
    let _ = writeln!(out, "id = {}", string_inline(item.id.as_str()));
    let _ = writeln!(out, "subject = {}", string_inline(item.subject.code()));
    let tags: Vec<String> = item.tags.iter().map(ToString::to_string).collect();
    match &item.body {
        Body::Question(q) => {
            // `kind` comes from the question; tags and metadata first, as the README recommends.
            let _ = writeln!(out, "tags = {}", list(&tags));
            meta(&mut out, item, status);
            question(&mut out, q);
        }
        Body::Case(c) => {
            let _ = writeln!(out, "kind = \"case\"");
            let _ = writeln!(out, "tags = {}", list(&tags));
            meta(&mut out, item, status);
            text(&mut out, "", "material", &c.material);
            if let Some(e) = &c.explanation {
                text(&mut out, "", "explanation", e);
            }
            for p in &c.parts {
                part(&mut out, p);
            }
        }
    }
    if let Some(t) = &item.template {
        template(&mut out, t);
    }
    out
}

fn meta(out: &mut String, item: &Item, status: Status) {
    let _ = writeln!(out, "difficulty = {}", item.difficulty.get());
    let _ = writeln!(out, "rules = {}", list(&item.rules));
    let _ = writeln!(out, "sources = {}", list(&item.sources));
    let _ = writeln!(out, "status = {}", string_inline(status.code()));
}

/// A whole file of items.
pub fn items_to_toml<'a>(items: impl IntoIterator<Item = (&'a Item, Status)>) -> String {
    let mut out = String::from(
        "# Exported from tiku in the bank's own format (see question-bank/README.md).\n",
    );
    for (item, status) in items {
        out.push('\n');
        out.push_str(&item_to_toml(item, status));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::bank;

    /// Every shipped item, written and read back, is the same item with the same status.
    #[test]
    fn the_whole_shipped_bank_round_trips() {
        let loaded = bank::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("question-bank"));
        assert!(!loaded.has_errors());
        let text = items_to_toml(loaded.bank.items.iter().map(|b| (&b.item, b.status)));
        let reread = bank::read_items_text(&text, &loaded.bank);
        assert!(
            reread.diagnostics.is_empty(),
            "{:?}",
            &reread.diagnostics[..reread.diagnostics.len().min(5)]
        );
        assert_eq!(reread.items.len(), loaded.bank.items.len());
        for (a, b) in loaded.bank.items.iter().zip(&reread.items) {
            assert_eq!(a.item, b.item, "{}", a.item.id);
            assert_eq!(a.status, b.status, "{}", a.item.id);
        }
    }

    #[test]
    fn awkward_text_survives() {
        for s in [
            "a '''quoted''' text\nwith lines",
            "ends with quote'\nx",
            "back\\slash\nline",
            "tab\there",
            "\"quotes\"",
        ] {
            let toml_text = format!("x = {}\n", string(s));
            let v: toml::Table =
                toml::from_str(&toml_text).unwrap_or_else(|e| panic!("{s:?}: {e}\n{toml_text}"));
            assert_eq!(v["x"].as_str(), Some(s), "{toml_text}");
        }
    }
}
