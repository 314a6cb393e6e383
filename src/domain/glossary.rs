//! The bilingual trade glossary: concepts with their Chinese terms, English terms and abbreviations,
//! used to expand a search across languages (`free on board` = `FOB` = `离岸价`).

use std::ops::Range;

use aho_corasick::{AhoCorasick, MatchKind};
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

/// The glossary, with an automaton over its folded terms for finding them in text in one pass.
#[derive(Clone, Debug, Default)]
pub struct Glossary {
    entries: Vec<GlossaryEntry>,
    /// The entry of each pattern of the automaton.
    pattern_entry: Vec<usize>,
    automaton: Option<AhoCorasick>,
}

impl Glossary {
    pub fn new(entries: Vec<GlossaryEntry>) -> Glossary {
        let mut patterns: Vec<(String, usize)> = entries
            .iter()
            .enumerate()
            .flat_map(|(i, e)| e.terms().map(move |t| (fold_for_search(t), i)))
            .filter(|(t, _)| !t.is_empty())
            .collect();
        patterns.sort();
        patterns.dedup_by(|a, b| a.0 == b.0);
        // Leftmost-longest: "运费和保险费付至" is one concept, not "保险" inside it.
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(patterns.iter().map(|(t, _)| t.as_str()))
            .ok();
        Glossary {
            entries,
            pattern_entry: patterns.into_iter().map(|(_, e)| e).collect(),
            automaton,
        }
    }

    pub fn entries(&self) -> &[GlossaryEntry] {
        &self.entries
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The concepts mentioned in `folded` (text folded with [`fold_for_search`]): leftmost-longest,
    /// without overlaps. A Latin term matches only as whole words ("ca" is not found in "cargo").
    pub fn find(&self, folded: &str) -> Vec<Mention> {
        let Some(ac) = &self.automaton else {
            return Vec::new();
        };
        ac.find_iter(folded)
            .filter(|m| whole_word(folded, m.start(), m.end()))
            .map(|m| Mention {
                entry: self.pattern_entry[m.pattern().as_usize()],
                span: m.start()..m.end(),
            })
            .collect()
    }

    /// The distinct concepts mentioned in `text` (any form; folded here), in order of first mention, with
    /// how often each is mentioned.
    pub fn concepts_in(&self, text: &str) -> Vec<(usize, usize)> {
        let mut out: Vec<(usize, usize)> = Vec::new();
        for m in self.find(&fold_for_search(text)) {
            match out.iter_mut().find(|(e, _)| *e == m.entry) {
                Some((_, n)) => *n += 1,
                None => out.push((m.entry, 1)),
            }
        }
        out
    }

    /// The Chinese terms, for the word segmenter's user dictionary.
    pub fn chinese_terms(&self) -> impl Iterator<Item = &str> {
        self.entries
            .iter()
            .flat_map(|e| e.zh.iter().map(String::as_str))
    }

    /// Every term of every entry (for fingerprints of what analysis depends on).
    pub fn all_terms(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().flat_map(GlossaryEntry::terms)
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
        assert_eq!(
            g.concepts_in("FOB价即离岸价，不含保险"),
            vec![(0, 2), (2, 1)]
        );
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
