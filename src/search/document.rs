//! What of an item goes into the index: title (stem or case material), body (options, parts,
//! explanations, model answers) and topic names, in each language.

use crate::domain::item::{Body, Item, Question, Response};
use crate::domain::taxonomy::{TagCode, Taxonomy};
use crate::domain::{Lang, Text};

/// The texts of one item for one language.
#[derive(Debug, Default, Clone)]
pub struct Texts {
    pub title: String,
    pub body: String,
    pub topics: String,
}

/// Every tag of the item and all their ancestors (for subtree filters), without repeats.
pub fn tags_with_ancestors(item: &Item) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for tag in item.all_tags() {
        let mut t: Option<TagCode> = Some(tag.clone());
        while let Some(code) = t {
            let s = code.to_string();
            if !out.contains(&s) {
                out.push(s);
            }
            t = code.parent();
        }
    }
    out
}

fn push(out: &mut String, s: &str) {
    if !s.trim().is_empty() {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(s);
    }
}

fn question_body(q: &Question, lang: Lang, out: &mut String) {
    match &q.response {
        Response::Single { options, .. } | Response::Multiple { options, .. } => {
            for o in options {
                push(out, o.text.get(lang));
            }
        }
        Response::Written {
            model_answer,
            rubric,
        } => {
            push(out, model_answer.get(lang));
            for c in rubric {
                push(out, c.text.get(lang));
            }
        }
        Response::Numeric { unit: Some(u), .. } => push(out, u.get(lang)),
        _ => {}
    }
    push(out, q.explanation.get(lang));
}

/// The texts of `item` in `lang`. Calculation templates are shown as their first variant, so that the
/// text reads with numbers rather than placeholders.
pub fn texts(item: &Item, taxonomy: &Taxonomy, lang: Lang) -> Texts {
    let shown = match &item.template {
        Some(_) => item
            .instantiate(0)
            .map(|(i, _)| i)
            .unwrap_or_else(|_| item.clone()),
        None => item.clone(),
    };
    let mut t = Texts::default();
    match &shown.body {
        Body::Question(q) => {
            t.title = q.stem.get(lang).clone();
            question_body(q, lang, &mut t.body);
        }
        Body::Case(c) => {
            t.title = c.material.get(lang).clone();
            for p in &c.parts {
                push(&mut t.body, p.question.stem.get(lang));
                question_body(&p.question, lang, &mut t.body);
            }
            if let Some(e) = &c.explanation {
                push(&mut t.body, e.get(lang));
            }
        }
    }
    for code in tags_with_ancestors(item) {
        if let Some(tag) = TagCode::parse(&code).ok().and_then(|c| taxonomy.get(&c)) {
            push(&mut t.topics, tag.name.get(lang));
        }
    }
    t
}

/// A short plain rendering of a text for result lists: Markdown marks removed, at most `max` characters.
pub fn plain_excerpt(text: &str, max: usize) -> String {
    let cleaned: String = text
        .lines()
        .map(|l| l.trim_start_matches(['#', '>', '-', '*', ' ', '|']).trim())
        .filter(|l| !l.is_empty() && !l.chars().all(|c| matches!(c, '-' | '|' | ':' | ' ')))
        .collect::<Vec<_>>()
        .join(" ");
    let cleaned = cleaned.replace("**", "").replace('|', " ");
    let cleaned = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    if cleaned.chars().count() <= max {
        cleaned
    } else {
        let mut s: String = cleaned.chars().take(max).collect();
        s.push('…');
        s
    }
}

/// Both languages of the title, as excerpts.
pub fn title_excerpts(item: &Item, taxonomy: &Taxonomy) -> Text {
    Text::new(
        plain_excerpt(&texts(item, taxonomy, Lang::Zh).title, 160),
        plain_excerpt(&texts(item, taxonomy, Lang::En).title, 240),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_drop_markdown_and_shorten() {
        assert_eq!(
            plain_excerpt("**FOB** price\n\n| a | b |\n|---|---|\n", 100),
            "FOB price a b"
        );
        assert_eq!(plain_excerpt("一二三四五", 3), "一二三…");
    }
}
