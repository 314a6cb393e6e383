//! Normalisation of typed answers: full-width and half-width forms, case, and spacing.
//!
//! "ＦＯＢ", " fob ", "Free  On  Board" and "free on board" all become
//! comparable, and so do "整箱 货" and "整箱货": a space is kept only where it separates two Latin words
//! or numbers, because Chinese is written without spaces.

use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

/// Characters stripped from both ends of an answer: quotation marks, brackets and sentence punctuation
/// a candidate may type around a term.
const EDGE_PUNCTUATION: &[char] = &[
    '"', '\'', '“', '”', '‘', '’', '「', '」', '『', '』', '《', '》', '〈', '〉', '(', ')', '（',
    '）', '[', ']', '【', '】', '.', '。', ',', '，', ';', '；', ':', '：', '!', '！', '?', '？',
    '、',
];

/// Folds an answer (or an accepted answer) into the form in which two spellings of the same answer are equal.
pub fn normalize_answer(raw: &str) -> String {
    // NFKC turns full-width Latin letters, digits and punctuation into their ASCII forms and the
    // ideographic space into a normal one.
    let folded: String = raw.nfkc().collect::<String>().to_lowercase();
    let trimmed = folded.trim_matches(|c: char| c.is_whitespace() || EDGE_PUNCTUATION.contains(&c));

    let segments: Vec<&str> = trimmed.split_word_bounds().collect();
    let mut out = String::with_capacity(trimmed.len());
    for (i, seg) in segments.iter().enumerate() {
        if seg.chars().all(char::is_whitespace) {
            let before = segments[..i]
                .iter()
                .rev()
                .find(|s| !s.chars().all(char::is_whitespace));
            let after = segments[i + 1..]
                .iter()
                .find(|s| !s.chars().all(char::is_whitespace));
            if let (Some(b), Some(a)) = (before, after)
                && is_latin_word(b)
                && is_latin_word(a)
                && !out.ends_with(' ')
            {
                out.push(' ');
            }
        } else {
            out.push_str(seg);
        }
    }
    out
}

/// Folds text for search: NFKC (full-width → half-width), lower case, runs of white space → one space.
/// Unlike [`normalize_answer`] it keeps every space and all punctuation, so it can be indexed.
pub fn fold_for_search(raw: &str) -> String {
    let folded: String = raw.nfkc().collect::<String>().to_lowercase();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A word segment of letters or digits outside the CJK scripts.
fn is_latin_word(segment: &str) -> bool {
    segment.chars().any(char::is_alphanumeric) && !segment.chars().any(is_cjk)
}

/// Han ideographs, kana and hangul: scripts written without spaces between words.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // hiragana, katakana
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xAC00..=0xD7AF    // hangul syllables
        | 0xF900..=0xFAFF    // CJK compatibility ideographs
        | 0x20000..=0x3134F) // CJK extensions B–G
}

/// Parses a typed number: full-width digits, thousands separators and surrounding spaces are accepted
/// ("１，２３４.５" → 1234.5); anything else is `None`.
pub fn parse_number(raw: &str) -> Option<f64> {
    let folded: String = raw
        .nfkc()
        .filter(|c| !c.is_whitespace() && *c != ',')
        .collect();
    if folded.is_empty()
        || !folded
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
    {
        return None;
    }
    folded.parse::<f64>().ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_width_and_case() {
        assert_eq!(normalize_answer("ＦＯＢ"), "fob");
        assert_eq!(normalize_answer("  Free  On\tBoard "), "free on board");
        assert_eq!(normalize_answer("Ｄ／Ｐ"), "d/p");
    }

    #[test]
    fn drops_spaces_that_chinese_does_not_use() {
        assert_eq!(normalize_answer("整箱 货"), "整箱货");
        assert_eq!(normalize_answer("整　箱　货"), "整箱货");
        assert_eq!(normalize_answer("D / P"), "d/p");
        assert_eq!(normalize_answer("FOB 价"), "fob价");
    }

    #[test]
    fn strips_quotes_and_sentence_punctuation_at_the_edges() {
        assert_eq!(normalize_answer("“离岸价”。"), "离岸价");
        assert_eq!(normalize_answer("(FCL)"), "fcl");
        assert_eq!(normalize_answer("Co., Ltd"), normalize_answer("co.,ltd"));
    }

    #[test]
    fn keeps_different_answers_different() {
        assert_ne!(normalize_answer("FCL"), normalize_answer("LCL"));
        assert_ne!(
            normalize_answer("free on board"),
            normalize_answer("freeonboard")
        );
    }

    #[test]
    fn folds_text_for_search() {
        assert_eq!(
            fold_for_search("ＣＩＦ　Ｐｒｉｃｅ\n 到岸价"),
            "cif price 到岸价"
        );
    }

    #[test]
    fn parses_typed_numbers() {
        assert_eq!(parse_number("１，２３４.５"), Some(1234.5));
        assert_eq!(parse_number(" 12.50 "), Some(12.5));
        assert_eq!(parse_number("-3"), Some(-3.0));
        assert_eq!(parse_number("12 USD"), None);
        assert_eq!(parse_number(""), None);
        assert_eq!(parse_number("NaN"), None);
    }
}
