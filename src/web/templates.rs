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
    ("login", include_str!("../../templates/login.hbs")),
    ("question", include_str!("../../templates/question.hbs")),
    ("editor", include_str!("../../templates/editor.hbs")),
    ("item", include_str!("../../templates/item.hbs")),
    ("diff", include_str!("../../templates/diff.hbs")),
    ("import", include_str!("../../templates/import.hbs")),
    ("export", include_str!("../../templates/export.hbs")),
    ("teach", include_str!("../../templates/teach.hbs")),
    (
        "public_item",
        include_str!("../../templates/public_item.hbs"),
    ),
    ("reports", include_str!("../../templates/reports.hbs")),
    ("stats", include_str!("../../templates/stats.hbs")),
    ("regrade", include_str!("../../templates/regrade.hbs")),
    ("register", include_str!("../../templates/register.hbs")),
    ("me", include_str!("../../templates/me.hbs")),
    ("admin", include_str!("../../templates/admin.hbs")),
    (
        "answer_item",
        include_str!("../../templates/answer_item.hbs"),
    ),
    (
        "practice_start",
        include_str!("../../templates/practice_start.hbs"),
    ),
    (
        "practice_item",
        include_str!("../../templates/practice_item.hbs"),
    ),
    (
        "practice_feedback",
        include_str!("../../templates/practice_feedback.hbs"),
    ),
    ("mock_list", include_str!("../../templates/mock_list.hbs")),
    (
        "mock_sitting",
        include_str!("../../templates/mock_sitting.hbs"),
    ),
    (
        "mock_result",
        include_str!("../../templates/mock_result.hbs"),
    ),
    ("progress", include_str!("../../templates/progress.hbs")),
    ("lti_pick", include_str!("../../templates/lti_pick.hbs")),
    ("lti_post", include_str!("../../templates/lti_post.hbs")),
    (
        "sitting_form",
        include_str!("../../templates/sitting_form.hbs"),
    ),
    (
        "embed_layout",
        include_str!("../../templates/embed_layout.hbs"),
    ),
    (
        "embed_message",
        include_str!("../../templates/embed_message.hbs"),
    ),
    (
        "embed_sitting",
        include_str!("../../templates/embed_sitting.hbs"),
    ),
    (
        "embed_start",
        include_str!("../../templates/embed_start.hbs"),
    ),
    ("embed_done", include_str!("../../templates/embed_done.hbs")),
    (
        "embed_review",
        include_str!("../../templates/embed_review.hbs"),
    ),
    ("schools", include_str!("../../templates/schools.hbs")),
    ("school", include_str!("../../templates/school.hbs")),
    (
        "school_class",
        include_str!("../../templates/school_class.hbs"),
    ),
    (
        "school_assessment",
        include_str!("../../templates/school_assessment.hbs"),
    ),
    ("invite", include_str!("../../templates/invite.hbs")),
    (
        "school_grading",
        include_str!("../../templates/school_grading.hbs"),
    ),
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
                // `{{t "key"}}`, or `{{t "prefix_" value}}` for a key built from parts.
                let parts: Vec<&str> = h
                    .params()
                    .iter()
                    .filter_map(|p| p.value().as_str())
                    .collect();
                if parts.is_empty() {
                    return Err(RenderErrorReason::ParamNotFoundForIndex("t", 0).into());
                }
                let key = parts.concat();
                let key = key.as_str();
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
    hb.register_helper("errs", Box::new(FieldMessages("errors", "field-error")));
    hb.register_helper(
        "warns",
        Box::new(FieldMessages("warnings", "field-warning")),
    );
    hb.register_helper(
        "contains",
        Box::new(
            |h: &Helper<'_>,
             _: &Handlebars<'_>,
             _: &Context,
             _: &mut RenderContext<'_, '_>,
             out: &mut dyn Output|
             -> HelperResult {
                let list = h.param(0).map(|p| p.value().clone()).unwrap_or_default();
                let needle = h.param(1).map(|p| p.value().clone()).unwrap_or_default();
                let found = list.as_array().is_some_and(|a| a.contains(&needle));
                if found {
                    out.write("true")?;
                }
                Ok(())
            },
        ),
    );
    Ok(hb)
}

/// `{{errs prefix "stem"}}`: the messages the page's `errors` (or `warnings`) map holds for the field
/// named by joining the parameters, as escaped `<span>`s.
struct FieldMessages(&'static str, &'static str);

impl handlebars::HelperDef for FieldMessages {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let name: String = h
            .params()
            .iter()
            .map(|p| match p.value() {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect();
        if let Some(list) = ctx
            .data()
            .get(self.0)
            .and_then(|m| m.get(&name))
            .and_then(|v| v.as_array())
        {
            for m in list.iter().filter_map(|m| m.as_str()) {
                out.write(&format!(
                    "<span class=\"{}\">{}</span>",
                    self.1,
                    handlebars::html_escape(m)
                ))?;
            }
        }
        Ok(())
    }
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
    fn every_template_file_is_registered() -> Result<(), String> {
        let hb = registry(Arc::new(Strings::load(STRINGS)?))?;
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let files = std::fs::read_dir(&dir).map_err(|e| e.to_string())?;
        let mut seen = 0;
        for f in files {
            let path = f.map_err(|e| e.to_string())?.path();
            if path.extension().is_some_and(|e| e == "hbs") {
                let name = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or_default();
                assert!(
                    hb.has_template(name),
                    "templates/{name}.hbs is not registered"
                );
                seen += 1;
            }
        }
        assert_eq!(seen, TEMPLATES.len(), "a registered template has no file");
        Ok(())
    }

    #[test]
    fn strict_mode_refuses_missing_values() -> Result<(), String> {
        let hb = registry(Arc::new(Strings::load(STRINGS)?))?;
        assert!(hb.render("message", &json!({"lang": "zh"})).is_err());
        Ok(())
    }
}
