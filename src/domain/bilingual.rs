//! `Bilingual<T>`: every text a person reads exists in Chinese and in English.

use serde::{Deserialize, Serialize};

/// The two languages of the product. Chinese is the exam's language and the default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// The language's code as used in URLs, cookies and `lang` attributes.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// Parses `zh`/`en` (and the common regional forms such as `zh-CN`, `en-US`).
    pub fn parse(code: &str) -> Option<Lang> {
        let lower = code.trim().to_ascii_lowercase();
        if lower == "zh" || lower.starts_with("zh-") || lower.starts_with("zh_") {
            Some(Lang::Zh)
        } else if lower == "en" || lower.starts_with("en-") || lower.starts_with("en_") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The other language.
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }
}

/// A value in Chinese and in English.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Bilingual<T> {
    pub zh: T,
    pub en: T,
}

/// Bilingual text (Markdown where the field allows it).
pub type Text = Bilingual<String>;

impl<T> Bilingual<T> {
    pub fn new(zh: T, en: T) -> Self {
        Bilingual { zh, en }
    }

    /// The rendering in `lang`.
    pub fn get(&self, lang: Lang) -> &T {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }

    /// Applies `f` to both renderings.
    pub fn map<U>(&self, mut f: impl FnMut(&T) -> U) -> Bilingual<U> {
        Bilingual {
            zh: f(&self.zh),
            en: f(&self.en),
        }
    }
}

impl Bilingual<String> {
    /// The same text in both languages (for language-neutral values such as "USD").
    pub fn same(text: &str) -> Self {
        Bilingual::new(text.to_owned(), text.to_owned())
    }

    /// The languages whose rendering is empty or only white space.
    pub fn missing(&self) -> Vec<Lang> {
        let mut out = Vec::new();
        if self.zh.trim().is_empty() {
            out.push(Lang::Zh);
        }
        if self.en.trim().is_empty() {
            out.push(Lang::En);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_language_codes() {
        assert_eq!(Lang::parse("zh-CN"), Some(Lang::Zh));
        assert_eq!(Lang::parse("EN"), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
    }

    #[test]
    fn reports_missing_translations() {
        let t = Bilingual::new("离岸价".to_owned(), "  ".to_owned());
        assert_eq!(t.missing(), vec![Lang::En]);
        assert_eq!(t.get(Lang::Zh), "离岸价");
    }
}
