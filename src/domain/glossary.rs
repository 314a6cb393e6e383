//! The bilingual trade glossary: concepts with their Chinese terms, English terms and abbreviations,
//! used to expand a search across languages (`free on board` = `FOB` = `离岸价`).

use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::normalize::{fold_for_search, is_cjk};
use super::taxonomy::TagCode;

/// One concept.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GlossaryEntry {
    pub zh: Vec<String>,
    pub en: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub abbr: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<TagCode>,
}

impl GlossaryEntry {
    /// Every spelling of the concept.
    pub fn terms(&self) -> impl Iterator<Item = &str> {
        self.zh
            .iter()
            .chain(self.en.iter())
            .chain(self.abbr.iter())
            .map(String::as_str)
    }
}

/// A concept found in a query, with where it was found (byte range in the folded query).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mention {
    pub entry: usize,
    pub span: Range<usize>,
}

/// The glossary, with its terms folded for matching, longest first.
#[derive(Clone, Debug, Default)]
pub struct Glossary {
    entries: Vec<GlossaryEntry>,
    /// (folded term, entry index), longest term first.
    matchers: Vec<(String, usize)>,
}

impl Glossary {
    pub fn new(entries: Vec<GlossaryEntry>) -> Glossary {
        let mut matchers: Vec<(String, usize)> = entries
            .iter()
            .enumerate()
            .flat_map(|(i, e)| e.terms().map(move |t| (fold_for_search(t), i)))
            .filter(|(t, _)| !t.is_empty())
            .collect();
        matchers.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
        matchers.dedup();
        Glossary { entries, matchers }
    }

    pub fn entries(&self) -> &[GlossaryEntry] {
        &self.entries
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The concepts mentioned in `folded` (a query folded with [`fold_for_search`]), longest match first,
    /// without overlaps. A Latin term matches only as whole words ("ca" is not found in "cargo").
    pub fn find(&self, folded: &str) -> Vec<Mention> {
        let mut taken: Vec<Range<usize>> = Vec::new();
        let mut out = Vec::new();
        for (term, entry) in &self.matchers {
            let mut from = 0;
            while let Some(pos) = folded[from..].find(term.as_str()) {
                let start = from + pos;
                let end = start + term.len();
                from = start + term.chars().next().map_or(1, char::len_utf8);
                if !whole_word(folded, start, end)
                    || taken.iter().any(|r| r.start < end && start < r.end)
                {
                    continue;
                }
                taken.push(start..end);
                out.push(Mention {
                    entry: *entry,
                    span: start..end,
                });
            }
        }
        out.sort_by_key(|m| m.span.start);
        out
    }

    /// The Chinese terms, for the word segmenter's user dictionary.
    pub fn chinese_terms(&self) -> impl Iterator<Item = &str> {
        self.entries
            .iter()
            .flat_map(|e| e.zh.iter().map(String::as_str))
    }
}

/// True when the match does not cut a Latin word or number in two.
fn whole_word(text: &str, start: usize, end: usize) -> bool {
    let latin = |c: char| c.is_alphanumeric() && !is_cjk(c);
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    let first = text[start..end].chars().next();
    let last = text[start..end].chars().next_back();
    let cuts_start = first.is_some_and(latin) && before.is_some_and(latin);
    let cuts_end = last.is_some_and(latin) && after.is_some_and(latin);
    !cuts_start && !cuts_end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glossary() -> Glossary {
        let e = |zh: &[&str], en: &[&str], abbr: &[&str]| GlossaryEntry {
            zh: zh.iter().map(|s| (*s).to_owned()).collect(),
            en: en.iter().map(|s| (*s).to_owned()).collect(),
            abbr: abbr.iter().map(|s| (*s).to_owned()).collect(),
            tag: None,
        };
        Glossary::new(vec![
            e(&["离岸价", "装运港船上交货"], &["free on board"], &["FOB"]),
            e(
                &["信用证", "跟单信用证"],
                &["letter of credit", "documentary credit"],
                &["L/C", "LC"],
            ),
            e(&["保险"], &["insurance"], &[]),
            e(
                &["运费和保险费付至"],
                &["carriage and insurance paid to"],
                &["CIP"],
            ),
        ])
    }

    #[test]
    fn finds_concepts_in_either_language() {
        let g = glossary();
        let found = |q: &str| -> Vec<usize> {
            g.find(&fold_for_search(q))
                .iter()
                .map(|m| m.entry)
                .collect()
        };
        assert_eq!(found("Free On Board price"), vec![0]);
        assert_eq!(found("ＦＯＢ 离岸价"), vec![0, 0]);
        assert_eq!(found("跟单信用证交单期限"), vec![1]);
        assert_eq!(found("L/C amendment"), vec![1]);
        assert_eq!(found("CIP insurance"), vec![3, 2]);
    }

    #[test]
    fn the_longest_term_wins_and_words_stay_whole() {
        let g = glossary();
        let m = g.find(&fold_for_search("运费和保险费付至"));
        assert_eq!(
            m.len(),
            1,
            "保险 inside the longer term is not a second concept: {m:?}"
        );
        assert!(
            g.find("lcd screen").is_empty(),
            "LC is not found inside LCD"
        );
        assert!(g.find("fobs").is_empty());
    }
}
