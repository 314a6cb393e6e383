//! Turning what a person types into a tantivy query: glossary concepts (in any spelling, either language)
//! become one term on the concept fields; the other words are matched word by word in the Chinese and
//! English text fields; all are required, with "any of them" as the fallback; filters use the fast fields.

use tantivy::Term;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, Occur, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;

use super::analyzer::tokens;
use super::schema::{Fields, concept_term};
use crate::domain::glossary::Glossary;
use crate::domain::normalize::fold_for_search;

/// How much a match in the title (stem or material) counts against one in the rest of the item.
const TITLE_BOOST: f32 = 2.0;
const TOPIC_BOOST: f32 = 1.5;

/// The analysers a query needs.
pub struct Analysers {
    pub zh: TextAnalyzer,
    pub en: TextAnalyzer,
}

/// A parsed query.
pub struct Plan {
    /// All clauses required.
    pub query: Box<dyn Query>,
    /// One clause per concept or word, for the any-of fallback.
    pub clauses: Vec<Box<dyn Query>>,
    /// The words to highlight in Chinese and English text (the query's words and every spelling of the
    /// concepts it names).
    pub highlight_zh: Vec<String>,
    pub highlight_en: Vec<String>,
}

fn should(queries: Vec<Box<dyn Query>>) -> Option<Box<dyn Query>> {
    match queries.len() {
        0 => None,
        1 => queries.into_iter().next(),
        _ => Some(Box::new(BooleanQuery::new(
            queries.into_iter().map(|q| (Occur::Should, q)).collect(),
        ))),
    }
}

fn boosted(q: Box<dyn Query>, boost: f32) -> Box<dyn Query> {
    if (boost - 1.0).abs() < f32::EPSILON {
        q
    } else {
        Box::new(BoostQuery::new(q, boost))
    }
}

fn term(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    ))
}

/// All `tokens` in `field` (each a term; Chinese search-mode tokens overlap, so no phrase is asked for).
fn all_terms(field: Field, tokens: &[String]) -> Option<Box<dyn Query>> {
    match tokens.len() {
        0 => None,
        1 => Some(term(field, &tokens[0])),
        _ => Some(Box::new(BooleanQuery::new(
            tokens
                .iter()
                .map(|t| (Occur::Must, term(field, t)))
                .collect(),
        ))),
    }
}

/// English tokens as a phrase in `field` (a single token is a term).
fn phrase(field: Field, tokens: &[String]) -> Option<Box<dyn Query>> {
    match tokens.len() {
        0 => None,
        1 => Some(term(field, &tokens[0])),
        _ => Some(Box::new(PhraseQuery::new(
            tokens
                .iter()
                .map(|t| Term::from_field_text(field, t))
                .collect(),
        ))),
    }
}

fn push_new(list: &mut Vec<String>, items: Vec<String>) {
    for i in items {
        if !list.contains(&i) {
            list.push(i);
        }
    }
}

/// Builds the query for `raw`. `None` means the query has no searchable word (match everything).
pub fn plan(f: &Fields, a: &mut Analysers, glossary: &Glossary, raw: &str) -> Option<Plan> {
    let folded = fold_for_search(raw);
    let mentions = glossary.find(&folded);
    let mut clauses: Vec<Box<dyn Query>> = Vec::new();
    let mut highlight_zh = Vec::new();
    let mut highlight_en = Vec::new();
    let mut rest = folded.clone();
    // Replace mentions from the end so earlier byte ranges stay valid.
    for m in mentions.iter().rev() {
        rest.replace_range(m.span.clone(), " ");
    }
    let mut seen: Vec<usize> = Vec::new();
    for m in &mentions {
        if seen.contains(&m.entry) {
            continue;
        }
        seen.push(m.entry);
        let id = concept_term(m.entry);
        clauses.push(Box::new(BooleanQuery::new(vec![
            (
                Occur::Should,
                boosted(term(f.title_concepts, &id), TITLE_BOOST),
            ),
            (Occur::Should, term(f.concepts, &id)),
        ])));
        if let Some(entry) = glossary.entries().get(m.entry) {
            for spelling in entry.terms() {
                push_new(&mut highlight_zh, tokens(&mut a.zh, spelling));
                push_new(&mut highlight_en, tokens(&mut a.en, spelling));
            }
        }
    }
    for word in rest.split_whitespace() {
        let zh = tokens(&mut a.zh, word);
        let en = tokens(&mut a.en, word);
        let mut alternatives: Vec<Box<dyn Query>> = Vec::new();
        for (field, boost) in [
            (f.title_zh, TITLE_BOOST),
            (f.body_zh, 1.0),
            (f.topic_zh, TOPIC_BOOST),
        ] {
            if let Some(q) = all_terms(field, &zh) {
                alternatives.push(boosted(q, boost));
            }
        }
        for (field, boost) in [
            (f.title_en, TITLE_BOOST),
            (f.body_en, 1.0),
            (f.topic_en, TOPIC_BOOST),
        ] {
            if let Some(q) = phrase(field, &en) {
                alternatives.push(boosted(q, boost));
            }
        }
        if let Some(q) = should(alternatives) {
            clauses.push(q);
            push_new(&mut highlight_zh, zh);
            push_new(&mut highlight_en, en);
        }
    }
    let query: Box<dyn Query> = match clauses.len() {
        0 => return None,
        1 => clauses[0].box_clone(),
        _ => Box::new(BooleanQuery::new(
            clauses
                .iter()
                .map(|c| (Occur::Must, c.box_clone()))
                .collect(),
        )),
    };
    Some(Plan {
        query,
        clauses,
        highlight_zh,
        highlight_en,
    })
}

/// Any of the clauses (the fallback when no item has every word).
pub fn any_of(clauses: &[Box<dyn Query>]) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(
        clauses
            .iter()
            .map(|c| (Occur::Should, c.box_clone()))
            .collect(),
    ))
}

/// `text` (or everything) restricted by exact-match filters, which do not change the ranking.
pub fn filtered(
    text: Option<Box<dyn Query>>,
    filters: &[(Field, String)],
    difficulty: Option<(Field, u64)>,
) -> Box<dyn Query> {
    let constant = |t: Term| -> Box<dyn Query> {
        Box::new(ConstScoreQuery::new(
            Box::new(TermQuery::new(t, IndexRecordOption::Basic)),
            0.0,
        ))
    };
    let mut parts: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    parts.push((Occur::Must, text.unwrap_or_else(|| Box::new(AllQuery))));
    for (field, value) in filters {
        parts.push((Occur::Must, constant(Term::from_field_text(*field, value))));
    }
    if let Some((field, level)) = difficulty {
        parts.push((Occur::Must, constant(Term::from_field_u64(field, level))));
    }
    Box::new(BooleanQuery::new(parts))
}
