//! Text analysis for the index and for queries: Chinese by jieba in search mode (with the taxonomy and
//! the glossary as user dictionary), English by word, lower-cased, without stop words, stemmed. Text is
//! folded (full-width → half-width, lower case) before either sees it.

use std::sync::Arc;

use jieba_rs::{Jieba, TokenizeMode};
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter, TextAnalyzer,
    Token, TokenFilter, TokenStream, Tokenizer,
};
use unicode_normalization::UnicodeNormalization;

/// Tokenizer names as registered with the index.
pub const ZH: &str = "tiku_zh";
pub const EN: &str = "tiku_en";

/// Frequency given to user-dictionary words: high enough that jieba keeps a domain term whole
/// ("国际站", "星等级") instead of cutting it across word boundaries.
const USER_WORD_FREQ: usize = 200_000;

/// Builds the Chinese analyzer with `words` (domain vocabulary) added to jieba's dictionary.
pub fn chinese<'a>(words: impl IntoIterator<Item = &'a str>) -> TextAnalyzer {
    let mut jieba = Jieba::new();
    for w in words {
        let w = w.trim();
        if w.chars().count() >= 2 {
            jieba.add_word(w, Some(USER_WORD_FREQ), None);
        }
    }
    TextAnalyzer::builder(JiebaSearch(Arc::new(jieba)))
        .filter(RemoveLongFilter::limit(40))
        .filter(NFKC)
        .filter(LowerCaser)
        .filter(WORDS_ONLY)
        .filter(english_stop_words())
        .build()
}

/// Builds the English analyzer.
pub fn english() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(NFKC)
        .filter(LowerCaser)
        .filter(english_stop_words())
        .filter(Stemmer::new(Language::English))
        .build()
}

fn english_stop_words() -> StopWordFilter {
    // English ships with tantivy's stop-word lists; the fallback keeps the most common words out even if
    // that list were unavailable.
    StopWordFilter::new(Language::English).unwrap_or_else(|| {
        StopWordFilter::remove(
            [
                "a", "an", "and", "are", "as", "at", "be", "by", "for", "in", "is", "it", "of",
                "on", "or", "the", "to", "with",
            ]
            .map(String::from),
        )
    })
}

/// The tokens `analyzer` makes of `text`, in order, without repeats.
pub fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        let t = &stream.token().text;
        if !out.contains(t) {
            out.push(t.clone());
        }
    }
    out
}

/// jieba in search mode ("跟单信用证" → 跟单 | 信用 | 信用证 | 跟单信用证). The dictionary is shared, so
/// cloning the analyzer (tantivy clones one per query for snippets and per indexing thread) is cheap.
#[derive(Clone)]
pub struct JiebaSearch(Arc<Jieba>);

impl Tokenizer for JiebaSearch {
    type TokenStream<'a> = JiebaStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> JiebaStream {
        // jieba cuts full-width Latin letter by letter: give it the half-width forms, and map the tokens'
        // offsets back to the original text so that snippets highlight the right characters.
        let (folded, origin) = fold_width(text);
        let base = folded.as_ptr() as usize;
        let mut spans: Vec<(usize, usize, &str)> = self
            .0
            .tokenize(&folded, TokenizeMode::Search, true)
            .into_iter()
            .map(|t| {
                let from = t.word.as_ptr() as usize - base;
                (from, from + t.word.len(), t.word)
            })
            .collect();
        // Search mode emits a compound after its parts ("信用", "信用证" after "跟单"): order the tokens by
        // position in the text, which tantivy's snippets rely on.
        spans.sort_by_key(|&(from, to, _)| (from, to));
        let tokens = spans
            .into_iter()
            .enumerate()
            .map(|(position, (from, to, word))| Token {
                offset_from: origin[from],
                offset_to: origin[to],
                position,
                text: word.to_owned(),
                position_length: 1,
            })
            .collect();
        JiebaStream {
            tokens,
            next: 0,
            current: Token::default(),
        }
    }
}

/// Full-width ASCII forms (U+FF01–U+FF5E) and the ideographic space turned half-width; `origin[i]` is the
/// byte offset in `text` of byte `i` of the result (with one entry past the end).
fn fold_width(text: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(text.len());
    let mut origin = Vec::with_capacity(text.len() + 1);
    for (i, c) in text.char_indices() {
        let folded = match c as u32 {
            0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            0x3000 => ' ',
            _ => c,
        };
        for _ in 0..folded.len_utf8() {
            origin.push(i);
        }
        out.push(folded);
    }
    origin.push(text.len());
    (out, origin)
}

pub struct JiebaStream {
    tokens: Vec<Token>,
    next: usize,
    current: Token,
}

impl TokenStream for JiebaStream {
    fn advance(&mut self) -> bool {
        match self.tokens.get_mut(self.next) {
            Some(t) => {
                self.current = std::mem::take(t);
                self.next += 1;
                true
            }
            None => false,
        }
    }

    fn token(&self) -> &Token {
        &self.current
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.current
    }
}

/// A token filter from a function that may rewrite a token and says whether to keep it.
#[derive(Clone, Copy)]
pub struct FnFilter(fn(&mut Token) -> bool);

/// Folds each token with Unicode NFKC, so full-width letters and digits ("ＦＯＢ", "１３％") match their
/// ASCII forms. The text itself is indexed and stored as written, so snippets show it unchanged.
pub const NFKC: FnFilter = FnFilter(|token| {
    if !token.text.is_ascii() {
        token.text = token.text.nfkc().collect();
    }
    true
});

/// Drops tokens without a letter or digit in any script (spaces and punctuation, which jieba emits as
/// tokens). tantivy's `AlphaNumOnlyFilter` would drop every Chinese token: it is ASCII-only.
pub const WORDS_ONLY: FnFilter = FnFilter(|token| token.text.chars().any(char::is_alphanumeric));

impl TokenFilter for FnFilter {
    type Tokenizer<T: Tokenizer> = FnFilterTokenizer<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> FnFilterTokenizer<T> {
        FnFilterTokenizer(tokenizer, self.0)
    }
}

#[derive(Clone)]
pub struct FnFilterTokenizer<T>(T, fn(&mut Token) -> bool);

impl<T: Tokenizer> Tokenizer for FnFilterTokenizer<T> {
    type TokenStream<'a> = FnFilterStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        FnFilterStream(self.0.token_stream(text), self.1)
    }
}

pub struct FnFilterStream<S>(S, fn(&mut Token) -> bool);

impl<S: TokenStream> TokenStream for FnFilterStream<S> {
    fn advance(&mut self) -> bool {
        while self.0.advance() {
            if (self.1)(self.0.token_mut()) {
                return true;
            }
        }
        false
    }

    fn token(&self) -> &Token {
        self.0.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.0.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_keeps_domain_words_whole_and_drops_punctuation() {
        let mut plain = chinese([]);
        let mut domain = chinese(["国际站", "星等级"]);
        let text = "提升国际站星等级，";
        let with = tokens(&mut domain, text);
        assert!(with.contains(&"国际站".to_owned()), "{with:?}");
        assert!(with.contains(&"星等级".to_owned()), "{with:?}");
        assert!(!with.iter().any(|t| t == "，" || t == " "), "{with:?}");
        let without = tokens(&mut plain, text);
        assert!(
            !without.contains(&"星等级".to_owned()),
            "the user dictionary makes the difference: {without:?}"
        );
    }

    #[test]
    fn tokens_come_in_text_order_so_snippets_can_highlight_them() {
        let mut zh = chinese(["关键词堆砌"]);
        let text = "标题中的关键词堆砌都属于违规的滥发信息行为，中华人民共和国";
        let mut stream = zh.token_stream(text);
        let mut last = 0;
        while stream.advance() {
            let t = stream.token();
            assert!(t.offset_from >= last, "{t:?} comes before {last}");
            assert!(t.offset_to <= text.len() && t.offset_from < t.offset_to);
            last = t.offset_from;
        }
    }

    #[test]
    fn search_mode_finds_the_part_inside_the_compound() {
        let mut zh = chinese([]);
        let t = tokens(&mut zh, "跟单信用证");
        assert!(t.contains(&"信用证".to_owned()), "{t:?}");
    }

    #[test]
    fn full_width_forms_match_their_ascii_forms() {
        let mut en = english();
        let mut zh = chinese([]);
        assert_eq!(tokens(&mut en, "ＦＯＢ"), vec!["fob"]);
        assert!(tokens(&mut zh, "ＣＩＦ价").contains(&"cif".to_owned()));
        // Offsets still point into the original text.
        let mut stream = zh.token_stream("按ＦＯＢ报价");
        let mut spans = Vec::new();
        while stream.advance() {
            let t = stream.token();
            spans.push((
                "按ＦＯＢ报价"[t.offset_from..t.offset_to].to_owned(),
                t.text.clone(),
            ));
        }
        assert!(
            spans.contains(&("ＦＯＢ".to_owned(), "fob".to_owned())),
            "{spans:?}"
        );
    }

    #[test]
    fn english_stems_and_drops_stop_words() {
        let mut en = english();
        assert_eq!(tokens(&mut en, "Free on Board"), vec!["free", "board"]);
        assert_eq!(
            tokens(&mut en, "discrepancies"),
            tokens(&mut en, "discrepancy")
        );
    }
}
