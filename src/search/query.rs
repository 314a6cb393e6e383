//! Turning what a person types into a tantivy query: glossary concepts expanded across languages, the
//! rest matched word by word in Chinese and English fields, all words required; filters on the fast
//! fields.

use tantivy::Term;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, Occur, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;

use super::analyzer::tokens;
use super::schema::Fields;
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

/// The text part of a query, and whether all its words were required.
pub struct TextQuery {
    pub query: Box<dyn Query>,
    /// Per word or concept clauses, for the all-words-then-any-word fallback.
    pub clauses: Vec<Box<dyn Query>>,
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

/// All `tokens` in `field` (each a term; Chinese search-mode tokens overlap, so no phrase is asked for).
fn all_terms(field: Field, tokens: &[String]) -> Option<Box<dyn Query>> {
    let terms: Vec<Box<dyn Query>> = tokens
        .iter()
        .map(|t| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, t),
                IndexRecordOption::WithFreqs,
            ))
        })
        .collect();
    match terms.len() {
        0 => None,
        1 => terms.into_iter().next(),
        _ => Some(Box::new(BooleanQuery::new(
            terms.into_iter().map(|q| (Occur::Must, q)).collect(),
        ))),
    }
}

/// English tokens as a phrase in `field` (a single token is a term).
fn phrase(field: Field, tokens: &[String]) -> Option<Box<dyn Query>> {
    match tokens.len() {
        0 => None,
        1 => all_terms(field, tokens),
        _ => Some(Box::new(PhraseQuery::new(
            tokens
                .iter()
                .map(|t| Term::from_field_text(field, t))
                .collect(),
        ))),
    }
}

/// One word or term, matched in any text field of either language.
fn text_clause(f: &Fields, a: &mut Analysers, text: &str) -> Option<Box<dyn Query>> {
    let zh = tokens(&mut a.zh, text);
    let en = tokens(&mut a.en, text);
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
    should(alternatives)
}

/// Builds the text query for `raw`. `None` means the query has no searchable word (match everything).
pub fn text_query(
    f: &Fields,
    a: &mut Analysers,
    glossary: &Glossary,
    raw: &str,
) -> Option<TextQuery> {
    let folded = fold_for_search(raw);
    let mentions = glossary.find(&folded);
    let mut clauses: Vec<Box<dyn Query>> = Vec::new();
    let mut rest = folded.clone();
    // Replace mentions from the end so earlier byte ranges stay valid.
    for m in mentions.iter().rev() {
        rest.replace_range(m.span.clone(), " ");
    }
    for m in &mentions {
        let Some(entry) = glossary.entries().get(m.entry) else {
            continue;
        };
        let alternatives: Vec<Box<dyn Query>> =
            entry.terms().filter_map(|t| text_clause(f, a, t)).collect();
        if let Some(q) = should(alternatives) {
            clauses.push(q);
        }
    }
    for word in rest.split_whitespace() {
        if let Some(q) = text_clause(f, a, word) {
            clauses.push(q);
        }
    }
    match clauses.len() {
        0 => None,
        1 => {
            let query = clauses.pop()?;
            Some(TextQuery {
                query: query.box_clone(),
                clauses: vec![query],
            })
        }
        _ => Some(TextQuery {
            query: Box::new(BooleanQuery::new(
                clauses
                    .iter()
                    .map(|c| (Occur::Must, c.box_clone()))
                    .collect(),
            )),
            clauses,
        }),
    }
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
    filters: Vec<(Field, String)>,
    difficulty: Option<(Field, u64)>,
) -> Box<dyn Query> {
    let mut parts: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    parts.push((Occur::Must, text.unwrap_or_else(|| Box::new(AllQuery))));
    for (field, value) in filters {
        parts.push((
            Occur::Must,
            Box::new(ConstScoreQuery::new(
                Box::new(TermQuery::new(
                    Term::from_field_text(field, &value),
                    IndexRecordOption::Basic,
                )),
                0.0,
            )),
        ));
    }
    if let Some((field, level)) = difficulty {
        parts.push((
            Occur::Must,
            Box::new(ConstScoreQuery::new(
                Box::new(TermQuery::new(
                    Term::from_field_u64(field, level),
                    IndexRecordOption::Basic,
                )),
                0.0,
            )),
        ));
    }
    Box::new(BooleanQuery::new(parts))
}
