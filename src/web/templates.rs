//! The handlebars registry: every template embedded in the binary, strict mode, and the helpers `t`
//! (interface strings in the page's language) and `md` (Markdown rendered and sanitised).

use std::sync::Arc;

use handlebars::{
    Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderError,
    RenderErrorReason,
};

use super::i18n::Strings;
use super::markdown::to_safe_html;
use crate::domain::Lang;

/// Templates compiled into the binary, so `tiku` runs from any directory.
const TEMPLATES: &[(&str, &str)] = &[
    ("layout", include_str!("../../templates/layout.hbs")),
    ("home", include_str!("../../templates/home.hbs")),
    ("message", include_str!("../../templates/message.hbs")),
    ("search", include_str!("../../templates/search.hbs")),
];

/// The interface strings.
pub const STRINGS: &str = include_str!("../../templates/i18n.toml");

/// Builds the registry. Fails (at start-up) on a template that does not compile.
pub fn registry(strings: Arc<Strings>) -> Result<Handlebars<'static>, String> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.set_dev_mode(false);
    for (name, source) in TEMPLATES {
        hb.register_template_string(name, source)
            .map_err(|e| format!("template {name}: {e}"))?;
    }
    hb.register_helper(
        "t",
        Box::new(
            move |h: &Helper<'_>,
                  _: &Handlebars<'_>,
                  ctx: &Context,
                  _: &mut RenderContext<'_, '_>,
                  out: &mut dyn Output|
                  -> HelperResult {
                let key = h
                    .param(0)
                    .and_then(|p| p.value().as_str())
                    .ok_or_else(|| RenderErrorReason::ParamNotFoundForIndex("t", 0))?;
                let lang = ctx
                    .data()
                    .get("lang")
                    .and_then(|l| l.as_str())
                    .and_then(Lang::parse)
                    .unwrap_or_default();
                let text = strings.get(key, lang).ok_or_else(|| {
                    RenderError::from(RenderErrorReason::Other(format!(
                        "no interface string `{key}`"
                    )))
                })?;
                out.write(&handlebars::html_escape(text))?;
                Ok(())
            },
        ),
    );
    hb.register_helper(
        "md",
        Box::new(
            |h: &Helper<'_>,
             _: &Handlebars<'_>,
             _: &Context,
             _: &mut RenderContext<'_, '_>,
             out: &mut dyn Output|
             -> HelperResult {
                let text = h
                    .param(0)
                    .and_then(|p| p.value().as_str())
                    .ok_or_else(|| RenderErrorReason::ParamNotFoundForIndex("md", 0))?;
                out.write(&to_safe_html(text))?;
                Ok(())
            },
        ),
    );
    Ok(hb)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_template_compiles_and_strings_resolve() -> Result<(), String> {
        let hb = registry(Arc::new(Strings::load(STRINGS)?))?;
        let html = hb
            .render(
                "message",
                &json!({"lang": "en", "other_lang": "zh", "switch_url": "/?lang=zh", "title": "x",
                        "heading": "<b>h</b>", "text": "t"}),
            )
            .map_err(|e| e.to_string())?;
        assert!(html.contains("Back to the home page"), "{html}");
        assert!(
            html.contains("&lt;b&gt;h&lt;/b&gt;"),
            "values are escaped: {html}"
        );
        Ok(())
    }

    #[test]
    fn strict_mode_refuses_missing_values() -> Result<(), String> {
        let hb = registry(Arc::new(Strings::load(STRINGS)?))?;
        assert!(hb.render("message", &json!({"lang": "zh"})).is_err());
        Ok(())
    }
}
