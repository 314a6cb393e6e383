//! The interface language: chosen by `?lang=`, then the `lang` cookie, then Accept-Language, else Chinese;
//! and the table of interface strings (templates/i18n.toml).

use std::collections::HashMap;

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite, time::Duration};
use serde::Deserialize;

use crate::domain::{Lang, Text};

/// The cookie that remembers the chosen language (a preference, not a secret).
pub const LANG_COOKIE: &str = "lang";

/// Interface strings by key.
pub struct Strings(HashMap<String, Text>);

#[derive(Deserialize)]
struct Entry {
    zh: String,
    en: String,
}

impl Strings {
    /// Parses the embedded string table; fails on a malformed file or an entry missing a language.
    pub fn load(source: &str) -> Result<Strings, String> {
        let raw: HashMap<String, Entry> = toml::from_str(source).map_err(|e| e.to_string())?;
        Ok(Strings(
            raw.into_iter()
                .map(|(k, e)| (k, Text::new(e.zh, e.en)))
                .collect(),
        ))
    }

    pub fn get(&self, key: &str, lang: Lang) -> Option<&str> {
        self.0.get(key).map(|t| t.get(lang).as_str())
    }
}

/// The language `?lang=` asks for, if any.
pub fn query_lang(req: &HttpRequest) -> Option<Lang> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
        .ok()?
        .into_iter()
        .find(|(k, _)| k == "lang")
        .and_then(|(_, v)| Lang::parse(&v))
}

/// The language to answer `req` in.
pub fn request_lang(req: &HttpRequest) -> Lang {
    if let Some(l) = query_lang(req) {
        return l;
    }
    if let Some(l) = req.cookie(LANG_COOKIE).and_then(|c| Lang::parse(c.value())) {
        return l;
    }
    req.headers()
        .get(actix_web::http::header::ACCEPT_LANGUAGE)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| {
            h.split(',')
                .filter_map(|part| Lang::parse(part.split(';').next().unwrap_or_default()))
                .next()
        })
        .unwrap_or_default()
}

/// The cookie remembering `lang` for a year.
pub fn lang_cookie(lang: Lang) -> Cookie<'static> {
    Cookie::build(LANG_COOKIE, lang.code())
        .path("/")
        .same_site(SameSite::Lax)
        .http_only(true)
        .max_age(Duration::days(365))
        .finish()
}

/// The current URL with `lang` set to `lang` (other query parameters kept), for the language switch.
pub fn switch_url(req: &HttpRequest, lang: Lang) -> String {
    let mut pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    pairs.retain(|(k, _)| k != "lang");
    pairs.push(("lang".to_owned(), lang.code().to_owned()));
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("{}?{query}", req.path())
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    #[test]
    fn query_beats_cookie_beats_header() {
        let req = TestRequest::default()
            .uri("/?lang=en")
            .cookie(Cookie::new(LANG_COOKIE, "zh"))
            .to_http_request();
        assert_eq!(request_lang(&req), Lang::En);
        let req = TestRequest::default()
            .cookie(Cookie::new(LANG_COOKIE, "en"))
            .insert_header(("Accept-Language", "zh-CN,zh;q=0.9"))
            .to_http_request();
        assert_eq!(request_lang(&req), Lang::En);
        let req = TestRequest::default()
            .insert_header(("Accept-Language", "fr-FR, en-GB;q=0.8"))
            .to_http_request();
        assert_eq!(request_lang(&req), Lang::En);
        assert_eq!(
            request_lang(&TestRequest::default().to_http_request()),
            Lang::Zh
        );
    }

    #[test]
    fn switch_keeps_other_parameters() {
        let req = TestRequest::default()
            .uri("/search?q=FOB&lang=zh")
            .to_http_request();
        assert_eq!(switch_url(&req, Lang::En), "/search?q=FOB&lang=en");
    }

    #[test]
    fn the_string_table_is_complete() -> Result<(), String> {
        let strings = Strings::load(include_str!("../../templates/i18n.toml"))?;
        assert_eq!(strings.get("site_name", Lang::En), Some("tiku"));
        Ok(())
    }
}
