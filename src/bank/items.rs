//! Validates one `[[item]]` entry and turns it into a domain [`Item`], reporting every problem with its line.

use std::ops::Range;

use toml::Spanned;

use super::diagnostic::{Reporter, Severity};
use super::format::{RawCriterion, RawDerived, RawEntry, RawOption, RawText, RawUnit, RawVar};
use crate::domain::item::{
    Body, Case, ChoiceOption, Criterion, Difficulty, Item, ItemId, Kind, NumericKey, Part,
    Question, Response, Status, Subject,
};
use crate::domain::normalize::normalize_answer;
use crate::domain::rules::RuleRegistry;
use crate::domain::taxonomy::{TagCode, Taxonomy};
use crate::domain::template::{self, Derived, Example, Template, Var, VarDomain};
use crate::domain::{Bilingual, Text};

/// What an item is checked against.
pub struct Context<'a> {
    pub taxonomy: Option<&'a Taxonomy>,
    pub rules: Option<&'a RuleRegistry>,
}

/// A validated item with its status and the line of its `[[item]]`.
pub struct Checked {
    pub item: Item,
    pub status: Status,
    pub line: usize,
}

/// Validates one entry. Returns `None` when the entry is too broken to become an item; every problem
/// found (not only the first) is reported either way.
pub fn check_item(
    rep: &mut Reporter<'_>,
    ctx: &Context<'_>,
    span: Range<usize>,
    raw: &RawEntry,
) -> Option<Checked> {
    let line = rep.file.line_of(span.start);
    let id = match &raw.id {
        Some(id) => match ItemId::parse(id.get_ref()) {
            Ok(v) => Some(v),
            Err(e) => {
                rep.error(id.span(), e);
                None
            }
        },
        None => {
            rep.error(span.clone(), "item has no `id`");
            None
        }
    };
    let label = id
        .as_ref()
        .map_or_else(|| "item".to_owned(), |i| format!("item {i}"));

    let status = match &raw.status {
        Some(s) => Status::parse(s.get_ref()).or_else(|| {
            rep.error(
                s.span(),
                format!(
                    "{label}: unknown status `{}` (draft, in_review, published or retired)",
                    s.get_ref()
                ),
            );
            None
        }),
        None => Some(Status::Draft),
    };
    // Published items are held to the full standard; drafts may still lack rules and sources, and one
    // of the two languages.
    let strict = if status == Some(Status::Published) {
        Severity::Error
    } else {
        Severity::Warning
    };
    let saved_severity = rep.incomplete;
    if status == Some(Status::Draft) {
        rep.incomplete = Severity::Warning;
    }
    let checked = check_item_body(rep, ctx, span, raw, id, label, status, strict, line);
    rep.incomplete = saved_severity;
    checked
}

#[allow(clippy::too_many_arguments)]
fn check_item_body(
    rep: &mut Reporter<'_>,
    ctx: &Context<'_>,
    span: Range<usize>,
    raw: &RawEntry,
    id: Option<ItemId>,
    label: String,
    status: Option<Status>,
    strict: Severity,
    line: usize,
) -> Option<Checked> {
    let subject = match &raw.subject {
        Some(s) => Subject::parse(s.get_ref()).or_else(|| {
            rep.error(
                s.span(),
                format!("{label}: unknown subject `{}` (A or B)", s.get_ref()),
            );
            None
        }),
        None => {
            rep.error(span.clone(), format!("{label} has no `subject` (A or B)"));
            None
        }
    };

    let tags = check_tags(rep, ctx, &label, raw.tags.as_ref(), Some(span.clone()));

    let difficulty = match &raw.difficulty {
        Some(d) => {
            let level = u8::try_from(*d.get_ref()).ok().and_then(Difficulty::new);
            if level.is_none() {
                rep.error(
                    d.span(),
                    format!("{label}: difficulty {} is not between 1 and 5", d.get_ref()),
                );
            }
            level
        }
        None => {
            rep.error(
                span.clone(),
                format!("{label} has no `difficulty` (1 to 5)"),
            );
            None
        }
    };

    let rules = check_rules(rep, ctx, &label, raw, strict, span.clone());
    let sources: Vec<String> = raw
        .sources
        .as_ref()
        .map(|s| {
            s.get_ref()
                .iter()
                .map(|x| x.trim().to_owned())
                .filter(|x| !x.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if sources.is_empty() {
        rep.at(
            strict,
            Some(span.clone()),
            format!("{label} names no `sources` (e.g. \"UCP600 Art. 14(c)\")"),
        );
    }
    for field in [raw.key.as_ref().map(Spanned::span)].into_iter().flatten() {
        rep.error(
            field,
            format!("{label}: `key` is only for the parts of a case"),
        );
    }

    let kind = check_kind(rep, &label, raw, span.clone())?;
    let body = if kind == Kind::Case {
        check_case(rep, ctx, &label, raw, span.clone())
    } else {
        if let Some(m) = &raw.material {
            rep.error(
                m.span(),
                format!("{label}: `material` is only for case items"),
            );
        }
        if let Some(p) = &raw.parts {
            rep.error(
                p.span(),
                format!("{label}: `parts` are only for case items"),
            );
        }
        check_question(rep, &label, kind, raw, span.clone()).map(Body::Question)
    };

    let template = check_template(rep, &label, raw);
    let item = Item {
        id: id?,
        subject: subject?,
        tags: tags?,
        difficulty: difficulty?,
        rules,
        sources,
        body: body?,
        template: template?,
    };
    check_variants(rep, &label, &item, span);
    Some(Checked {
        item,
        status: status?,
        line,
    })
}

/// How many variants of each template `tiku check` draws.
pub const VARIANTS_CHECKED: u64 = 50;

/// Reads `[item.vars]`, `[item.derived]` and `[[item.examples]]`. `Some(None)` is an item without a template.
fn check_template(rep: &mut Reporter<'_>, label: &str, raw: &RawEntry) -> Option<Option<Template>> {
    let Some(raw_vars) = &raw.vars else {
        if let Some(d) = &raw.derived {
            rep.error(
                d.span(),
                format!("{label}: `[item.derived]` needs `[item.vars]`"),
            );
            return None;
        }
        if let Some(e) = raw.examples.as_ref().and_then(|e| e.first()) {
            rep.error(
                e.span(),
                format!("{label}: `[[item.examples]]` needs `[item.vars]`"),
            );
            return None;
        }
        return Some(None);
    };
    let mut ok = true;
    let mut vars = Vec::new();
    for (name, v) in raw_vars.get_ref() {
        match check_var(name, v.get_ref()) {
            Ok(var) => vars.push(var),
            Err(message) => {
                rep.error(v.span(), format!("{label}: variable `{name}`: {message}"));
                ok = false;
            }
        }
    }
    let derived: Vec<Derived> = raw
        .derived
        .as_ref()
        .map(|d| {
            d.get_ref()
                .iter()
                .map(|(name, r)| match r.get_ref() {
                    RawDerived::Expr(expr) => Derived {
                        name: name.clone(),
                        expr: expr.clone(),
                        decimals: 2,
                    },
                    RawDerived::Full { expr, decimals } => Derived {
                        name: name.clone(),
                        expr: expr.clone(),
                        decimals: decimals.unwrap_or(2),
                    },
                })
                .collect()
        })
        .unwrap_or_default();
    let derived = match template::order_derived(&vars, derived) {
        Ok(d) => d,
        Err(e) => {
            let span = raw
                .derived
                .as_ref()
                .map_or_else(|| raw_vars.span(), Spanned::span);
            rep.error(span, format!("{label}: {e}"));
            return None;
        }
    };
    let examples = raw
        .examples
        .iter()
        .flatten()
        .map(|e| Example {
            vars: e.get_ref().vars.clone(),
            expect: e.get_ref().expect.clone(),
            tolerance: e.get_ref().tolerance.unwrap_or(0.005),
        })
        .collect();
    let t = Template {
        vars,
        derived,
        examples,
    };
    let example_span = raw
        .examples
        .as_ref()
        .and_then(|e| e.first())
        .map_or_else(|| raw_vars.span(), Spanned::span);
    for e in t.check_examples() {
        rep.error(example_span.clone(), format!("{label}: {e}"));
        ok = false;
    }
    ok.then_some(Some(t))
}

fn check_var(name: &str, raw: &RawVar) -> Result<Var, String> {
    if !name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err("names use ASCII letters, digits and `_`, starting with a letter".into());
    }
    let (domain, shown) = match (raw.min, raw.max, raw.step, &raw.values) {
        (Some(min), Some(max), Some(step), None) => {
            if !(step > 0.0 && max >= min && min.is_finite() && max.is_finite()) {
                return Err("needs min ≤ max and step > 0".into());
            }
            let shown = template::decimals_of(step).max(template::decimals_of(min));
            (VarDomain::Range { min, max, step }, shown)
        }
        (None, None, None, Some(values)) if !values.is_empty() => {
            let shown = values
                .iter()
                .map(|v| template::decimals_of(*v))
                .max()
                .unwrap_or(0);
            (VarDomain::Values(values.clone()), shown)
        }
        _ => {
            return Err("give either `min`, `max` and `step`, or a non-empty `values` list".into());
        }
    };
    Ok(Var {
        name: name.to_owned(),
        domain,
        decimals: raw.decimals.unwrap_or(shown),
    })
}

/// For a template: draws variants and reports what does not evaluate. For any other item: refuses
/// placeholders and formula keys, which only a template can fill.
fn check_variants(rep: &mut Reporter<'_>, label: &str, item: &Item, span: Range<usize>) {
    match &item.template {
        Some(_) => {
            let mut seen: Vec<String> = Vec::new();
            for seed in 0..VARIANTS_CHECKED {
                if let Err(e) = item.instantiate(seed) {
                    let message = format!("{label}: variant {seed}: {e}");
                    let key = e.to_string();
                    if !seen.contains(&key) {
                        rep.error(span.clone(), message);
                        seen.push(key);
                    }
                }
            }
        }
        None => {
            let mut copy = item.clone();
            let mut names: Vec<String> = Vec::new();
            let _ = copy.try_for_each_text(|t| -> Result<(), ()> {
                names.extend(template::placeholders(t));
                Ok(())
            });
            if let Some(name) = names.first() {
                rep.error(span.clone(), format!("{label}: the text uses {{{{{name}}}}} but the item declares no `[item.vars]`"));
            }
            let formula = item.questions().into_iter().any(|(_, q)| {
                matches!(
                    &q.response,
                    Response::Numeric {
                        value: NumericKey::Formula(_),
                        ..
                    }
                )
            });
            if formula {
                rep.error(
                    span,
                    format!(
                        "{label}: a formula answer needs `[item.vars]`; write a number otherwise"
                    ),
                );
            }
        }
    }
}

fn check_kind(
    rep: &mut Reporter<'_>,
    label: &str,
    raw: &RawEntry,
    span: Range<usize>,
) -> Option<Kind> {
    match &raw.kind {
        Some(k) => Kind::parse(k.get_ref()).or_else(|| {
            rep.error(
                k.span(),
                format!(
                    "{label}: unknown kind `{}` (single, multiple, true_false, fill, numeric, case or written)",
                    k.get_ref()
                ),
            );
            None
        }),
        None => {
            rep.error(span, format!("{label} has no `kind`"));
            None
        }
    }
}

/// Tags must be known codes; they should be leaves. `None` means the entry needs tags and has none.
fn check_tags(
    rep: &mut Reporter<'_>,
    ctx: &Context<'_>,
    label: &str,
    raw: Option<&Spanned<Vec<Spanned<String>>>>,
    required_at: Option<Range<usize>>,
) -> Option<Vec<TagCode>> {
    let Some(raw) = raw else {
        return match required_at {
            Some(span) => {
                rep.error(span, format!("{label} has no `tags`"));
                None
            }
            None => Some(Vec::new()),
        };
    };
    if raw.get_ref().is_empty() && required_at.is_some() {
        rep.error(raw.span(), format!("{label}: `tags` is empty"));
        return None;
    }
    let mut out = Vec::new();
    let mut ok = true;
    for t in raw.get_ref() {
        let code = match TagCode::parse(t.get_ref()) {
            Ok(c) => c,
            Err(e) => {
                rep.error(t.span(), format!("{label}: {e}"));
                ok = false;
                continue;
            }
        };
        if let Some(tax) = ctx.taxonomy {
            if !tax.contains(&code) {
                rep.error(
                    t.span(),
                    format!("{label}: unknown tag {code} (not in taxonomy.toml)"),
                );
                ok = false;
                continue;
            }
            if !tax.is_leaf(&code) {
                rep.warn(
                    t.span(),
                    format!(
                        "{label}: tag {code} is not a leaf; use the most specific knowledge point"
                    ),
                );
            }
        }
        if out.contains(&code) {
            rep.warn(t.span(), format!("{label}: tag {code} is listed twice"));
            continue;
        }
        out.push(code);
    }
    ok.then_some(out)
}

fn check_rules(
    rep: &mut Reporter<'_>,
    ctx: &Context<'_>,
    label: &str,
    raw: &RawEntry,
    strict: Severity,
    span: Range<usize>,
) -> Vec<String> {
    let Some(rules) = &raw.rules else {
        rep.at(
            strict,
            Some(span),
            format!("{label} records no `rules` version it tests (e.g. \"Incoterms 2020\")"),
        );
        return Vec::new();
    };
    if rules.get_ref().is_empty() {
        rep.at(
            strict,
            Some(rules.span()),
            format!("{label}: `rules` is empty"),
        );
    }
    let mut out = Vec::new();
    for r in rules.get_ref() {
        let name = r.get_ref().trim();
        if let Some(registry) = ctx.rules {
            match registry.get(name) {
                None => rep.error(
                    r.span(),
                    format!("{label}: unknown rule version `{name}` (not in rules.toml)"),
                ),
                Some(v) => {
                    if let Some(newer) = &v.superseded_by {
                        rep.at(
                            strict,
                            Some(r.span()),
                            format!("{label} tests `{name}`, which {newer} has superseded"),
                        );
                    }
                }
            }
        }
        out.push(name.to_owned());
    }
    out
}

/// Both languages of a text field, or an error naming the missing ones.
fn text(rep: &mut Reporter<'_>, label: &str, field: &str, raw: &Spanned<RawText>) -> Option<Text> {
    let t = raw.get_ref();
    both(
        rep,
        label,
        field,
        raw.span(),
        t.zh.as_deref(),
        t.en.as_deref(),
    )
}

fn both(
    rep: &mut Reporter<'_>,
    label: &str,
    field: &str,
    span: Range<usize>,
    zh: Option<&str>,
    en: Option<&str>,
) -> Option<Text> {
    let t = Bilingual::new(
        zh.unwrap_or_default().to_owned(),
        en.unwrap_or_default().to_owned(),
    );
    let missing = t.missing();
    let trimmed = Bilingual::new(t.zh.trim().to_owned(), t.en.trim().to_owned());
    if missing.is_empty() {
        return Some(trimmed);
    }
    let which: Vec<&str> = missing
        .iter()
        .map(|l| match l {
            crate::domain::Lang::Zh => "Chinese (zh)",
            crate::domain::Lang::En => "English (en)",
        })
        .collect();
    let severity = rep.incomplete;
    rep.at(
        severity,
        Some(span),
        format!(
            "{label}: missing translation: {field} has no {}",
            which.join(" and no ")
        ),
    );
    // A draft may be saved with a language still to write; anything else must be complete.
    (severity == Severity::Warning && missing.len() == 1).then_some(trimmed)
}

fn required_text(
    rep: &mut Reporter<'_>,
    label: &str,
    field: &str,
    raw: Option<&Spanned<RawText>>,
    span: &Range<usize>,
) -> Option<Text> {
    // A draft may still lack its explanation or model answer entirely.
    let may_wait =
        matches!(field, "explanation" | "model_answer") && rep.incomplete == Severity::Warning;
    let blank = raw.is_none_or(|r| {
        let t = r.get_ref();
        t.zh.as_deref().unwrap_or_default().trim().is_empty()
            && t.en.as_deref().unwrap_or_default().trim().is_empty()
    });
    if may_wait && blank {
        let at = raw.map_or_else(|| span.clone(), Spanned::span);
        rep.warn(
            at,
            format!("{label} has no `{field}` yet (needed before review)"),
        );
        return Some(Text::default());
    }
    match raw {
        Some(r) => text(rep, label, field, r),
        None => {
            rep.error(
                span.clone(),
                format!("{label} has no `{field}` (zh and en)"),
            );
            None
        }
    }
}

/// Reports fields set on an entry whose kind does not use them.
fn refuse_unused(rep: &mut Reporter<'_>, label: &str, kind: Kind, raw: &RawEntry) {
    let uses = |field: &str| -> bool {
        match field {
            "options" => matches!(kind, Kind::Single | Kind::Multiple),
            "answer" => matches!(
                kind,
                Kind::Single | Kind::Multiple | Kind::TrueFalse | Kind::Numeric
            ),
            "accept" => kind == Kind::Fill,
            "tolerance" | "unit" => kind == Kind::Numeric,
            "model_answer" | "rubric" => kind == Kind::Written,
            _ => true,
        }
    };
    let present: [(&str, Option<Range<usize>>); 7] = [
        ("options", raw.options.as_ref().map(Spanned::span)),
        ("answer", raw.answer.as_ref().map(Spanned::span)),
        ("accept", raw.accept.as_ref().map(Spanned::span)),
        ("tolerance", raw.tolerance.as_ref().map(Spanned::span)),
        ("unit", raw.unit.as_ref().map(Spanned::span)),
        ("model_answer", raw.model_answer.as_ref().map(Spanned::span)),
        ("rubric", raw.rubric.as_ref().map(Spanned::span)),
    ];
    for (field, span) in present {
        if let Some(span) = span
            && !uses(field)
        {
            let hint = if field == "answer" && kind == Kind::Fill {
                " (list accepted answers in `accept`)"
            } else {
                ""
            };
            rep.error(
                span,
                format!(
                    "{label}: `{field}` is not used by {} items{hint}",
                    kind.code()
                ),
            );
        }
    }
}

/// Validates a question's stem, explanation, points and kind-specific key.
fn check_question(
    rep: &mut Reporter<'_>,
    label: &str,
    kind: Kind,
    raw: &RawEntry,
    span: Range<usize>,
) -> Option<Question> {
    refuse_unused(rep, label, kind, raw);
    let stem = required_text(rep, label, "stem", raw.stem.as_ref(), &span);
    let explanation = required_text(rep, label, "explanation", raw.explanation.as_ref(), &span);
    let response = check_response(rep, label, kind, raw, span.clone());

    let declared = match &raw.points {
        Some(p) => match u32::try_from(*p.get_ref()) {
            Ok(v) if v > 0 => Some(v),
            _ => {
                rep.error(
                    p.span(),
                    format!("{label}: points must be a whole number above 0"),
                );
                return None;
            }
        },
        None => None,
    };
    let response = response?;
    let points = match &response {
        Response::Written { rubric, .. } => {
            let sum: u32 = rubric.iter().map(|c| c.points).sum();
            if let (Some(d), Some(p)) = (declared, &raw.points)
                && d != sum
            {
                rep.error(
                    p.span(),
                    format!("{label}: points = {d} but the rubric adds up to {sum}"),
                );
            }
            sum
        }
        _ => declared.unwrap_or_else(|| kind.default_points()),
    };
    Some(Question {
        stem: stem?,
        explanation: explanation?,
        points,
        response,
    })
}

fn check_response(
    rep: &mut Reporter<'_>,
    label: &str,
    kind: Kind,
    raw: &RawEntry,
    span: Range<usize>,
) -> Option<Response> {
    match kind {
        Kind::Single | Kind::Multiple => check_choice(rep, label, kind, raw, span),
        Kind::TrueFalse => match raw.answer.as_ref().map(|a| (a.span(), a.get_ref())) {
            Some((_, toml::Value::Boolean(b))) => Some(Response::TrueFalse { key: *b }),
            Some((s, _)) => {
                rep.error(
                    s,
                    format!("{label}: a true_false answer is `true` or `false`"),
                );
                None
            }
            None => {
                rep.error(span, format!("{label} has no `answer` (true or false)"));
                None
            }
        },
        Kind::Fill => {
            let Some(accept) = &raw.accept else {
                rep.error(
                    span,
                    format!("{label} has no `accept` list of accepted answers"),
                );
                return None;
            };
            let list: Vec<String> = accept
                .get_ref()
                .iter()
                .map(|a| a.trim().to_owned())
                .collect();
            if list.is_empty() || list.iter().any(|a| normalize_answer(a).is_empty()) {
                rep.error(
                    accept.span(),
                    format!("{label}: `accept` needs at least one non-empty answer"),
                );
                return None;
            }
            let mut seen: Vec<String> = Vec::new();
            for a in &list {
                let n = normalize_answer(a);
                if seen.contains(&n) {
                    rep.warn(
                        accept.span(),
                        format!(
                            "{label}: accepted answer `{a}` repeats another after normalisation"
                        ),
                    );
                }
                seen.push(n);
            }
            Some(Response::Fill { accept: list })
        }
        Kind::Numeric => {
            let value = match raw.answer.as_ref().map(|a| (a.span(), a.get_ref())) {
                Some((_, toml::Value::Float(f))) if f.is_finite() => Some(NumericKey::Number(*f)),
                Some((_, toml::Value::Integer(i))) => Some(NumericKey::Number(*i as f64)),
                Some((_, toml::Value::String(f))) if !f.trim().is_empty() => {
                    Some(NumericKey::Formula(f.trim().to_owned()))
                }
                Some((s, _)) => {
                    rep.error(
                        s,
                        format!("{label}: a numeric answer is a number, e.g. 1234.5, or a template formula in quotes"),
                    );
                    None
                }
                None => {
                    rep.error(span.clone(), format!("{label} has no `answer` (a number)"));
                    None
                }
            };
            let tolerance = match &raw.tolerance {
                Some(t) if *t.get_ref() >= 0.0 && t.get_ref().is_finite() => Some(*t.get_ref()),
                Some(t) => {
                    rep.error(t.span(), format!("{label}: tolerance must be 0 or more"));
                    None
                }
                None => {
                    rep.error(
                        span,
                        format!(
                            "{label}: numeric item without `tolerance` (e.g. tolerance = 0.01)"
                        ),
                    );
                    None
                }
            };
            let unit = match &raw.unit {
                None => None,
                Some(u) => match u.get_ref() {
                    RawUnit::Same(s) if !s.trim().is_empty() => Some(Text::same(s.trim())),
                    RawUnit::Both(t) => both(
                        rep,
                        label,
                        "unit",
                        u.span(),
                        t.zh.as_deref(),
                        t.en.as_deref(),
                    ),
                    RawUnit::Same(_) => {
                        rep.error(u.span(), format!("{label}: `unit` is empty"));
                        None
                    }
                },
            };
            Some(Response::Numeric {
                value: value?,
                tolerance: tolerance?,
                unit,
            })
        }
        Kind::Written => {
            let model_answer =
                required_text(rep, label, "model_answer", raw.model_answer.as_ref(), &span);
            let rubric = match &raw.rubric {
                Some(r) if !r.get_ref().is_empty() => check_rubric(rep, label, r.get_ref()),
                Some(r) => {
                    rep.error(r.span(), format!("{label}: `rubric` is empty"));
                    None
                }
                None if rep.incomplete == Severity::Warning => {
                    rep.warn(
                        span,
                        format!("{label} has no `rubric` yet (needed before review)"),
                    );
                    Some(Vec::new())
                }
                None => {
                    rep.error(
                        span,
                        format!("{label} has no `rubric` (criteria with points)"),
                    );
                    None
                }
            };
            Some(Response::Written {
                model_answer: model_answer?,
                rubric: rubric?,
            })
        }
        Kind::Case => {
            rep.error(span, format!("{label}: a case cannot be a part of a case"));
            None
        }
    }
}

fn check_rubric(
    rep: &mut Reporter<'_>,
    label: &str,
    raw: &[Spanned<RawCriterion>],
) -> Option<Vec<Criterion>> {
    let mut out = Vec::new();
    let mut ok = true;
    for (i, c) in raw.iter().enumerate() {
        let field = format!("rubric criterion {}", i + 1);
        let text = both(
            rep,
            label,
            &field,
            c.span(),
            c.get_ref().zh.as_deref(),
            c.get_ref().en.as_deref(),
        );
        let points = match c.get_ref().points.map(u32::try_from) {
            Some(Ok(p)) if p > 0 => Some(p),
            _ => {
                rep.error(
                    c.span(),
                    format!("{label}: {field} needs `points`, a whole number above 0"),
                );
                None
            }
        };
        match (text, points) {
            (Some(text), Some(points)) => out.push(Criterion { text, points }),
            _ => ok = false,
        }
    }
    ok.then_some(out)
}

fn check_choice(
    rep: &mut Reporter<'_>,
    label: &str,
    kind: Kind,
    raw: &RawEntry,
    span: Range<usize>,
) -> Option<Response> {
    let Some(raw_options) = &raw.options else {
        rep.error(span, format!("{label} has no `options`"));
        return None;
    };
    let options = check_options(rep, label, raw_options.get_ref());
    if raw_options.get_ref().len() < 3 {
        rep.error(
            raw_options.span(),
            format!("{label}: a choice item needs at least 3 options"),
        );
    }
    let Some(answer) = &raw.answer else {
        rep.error(span, format!("{label} has no `answer`"));
        return None;
    };
    let ids: Vec<&str> = raw_options
        .get_ref()
        .iter()
        .filter_map(|o| o.get_ref().id.as_deref())
        .collect();
    let key_known = |rep: &mut Reporter<'_>, key: &str| -> bool {
        let known = ids.contains(&key);
        if !known {
            rep.error(
                answer.span(),
                format!(
                    "{label}: key `{key}` is not among the options ({})",
                    ids.join(", ")
                ),
            );
        }
        known
    };
    match (kind, answer.get_ref()) {
        (Kind::Single, toml::Value::String(key)) => {
            let known = key_known(rep, key);
            let options = options?;
            known.then(|| Response::Single {
                options,
                key: key.clone(),
            })
        }
        (Kind::Multiple, toml::Value::Array(keys)) => {
            let mut list: Vec<String> = Vec::new();
            let mut ok = true;
            for k in keys {
                match k.as_str() {
                    Some(k) if list.iter().any(|x| x == k) => {
                        rep.error(answer.span(), format!("{label}: key `{k}` is listed twice"));
                        ok = false;
                    }
                    Some(k) => {
                        ok &= key_known(rep, k);
                        list.push(k.to_owned());
                    }
                    None => {
                        rep.error(
                            answer.span(),
                            format!("{label}: keys are option ids in quotes"),
                        );
                        ok = false;
                    }
                }
            }
            if list.len() < 2 {
                rep.error(
                    answer.span(),
                    format!("{label}: a multiple-choice item has at least two keys (use `single` for one)"),
                );
                ok = false;
            }
            if !ids.is_empty() && list.len() == ids.len() {
                rep.warn(answer.span(), format!("{label}: every option is a key"));
            }
            let options = options?;
            ok.then_some(Response::Multiple {
                options,
                keys: list,
            })
        }
        (Kind::Single, _) => {
            rep.error(
                answer.span(),
                format!("{label}: a single-choice answer is one option id, e.g. \"b\""),
            );
            None
        }
        _ => {
            rep.error(
                answer.span(),
                format!(
                    "{label}: a multiple-choice answer is a list of option ids, e.g. [\"a\", \"c\"]"
                ),
            );
            None
        }
    }
}

fn check_options(
    rep: &mut Reporter<'_>,
    label: &str,
    raw: &[Spanned<RawOption>],
) -> Option<Vec<ChoiceOption>> {
    let mut out: Vec<ChoiceOption> = Vec::new();
    let mut ok = true;
    for o in raw {
        let RawOption { id, zh, en } = o.get_ref();
        let Some(id) = id.as_deref().map(str::trim).filter(|i| !i.is_empty()) else {
            rep.error(o.span(), format!("{label}: an option has no `id`"));
            ok = false;
            continue;
        };
        if !id.chars().all(|c| c.is_ascii_alphanumeric()) {
            rep.error(
                o.span(),
                format!("{label}: option id `{id}` must be letters or digits"),
            );
            ok = false;
        }
        if out.iter().any(|x| x.id == id) {
            rep.error(o.span(), format!("{label}: option id `{id}` is used twice"));
            ok = false;
        }
        match both(
            rep,
            label,
            &format!("option {id}"),
            o.span(),
            zh.as_deref(),
            en.as_deref(),
        ) {
            Some(text) => out.push(ChoiceOption {
                id: id.to_owned(),
                text,
            }),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

fn check_case(
    rep: &mut Reporter<'_>,
    ctx: &Context<'_>,
    label: &str,
    raw: &RawEntry,
    span: Range<usize>,
) -> Option<Body> {
    refuse_unused(rep, label, Kind::Case, raw);
    for (field, s) in [
        ("stem", raw.stem.as_ref().map(Spanned::span)),
        ("points", raw.points.as_ref().map(Spanned::span)),
    ] {
        if let Some(s) = s {
            rep.error(
                s,
                format!("{label}: a case has `material` and parts, not its own `{field}`"),
            );
        }
    }
    let material = required_text(rep, label, "material", raw.material.as_ref(), &span);
    let explanation = raw
        .explanation
        .as_ref()
        .and_then(|e| text(rep, label, "explanation", e));
    let Some(raw_parts) = &raw.parts else {
        rep.error(span, format!("{label}: a case needs `[[item.parts]]`"));
        return None;
    };
    if raw_parts.get_ref().is_empty() {
        rep.error(
            raw_parts.span(),
            format!("{label}: a case needs at least one part"),
        );
    }
    let mut parts: Vec<Part> = Vec::new();
    let mut ok = true;
    for p in raw_parts.get_ref() {
        match check_part(rep, ctx, label, p.get_ref(), p.span()) {
            Some(part) if parts.iter().any(|x| x.key == part.key) => {
                rep.error(
                    p.span(),
                    format!("{label}: part key `{}` is used twice", part.key),
                );
                ok = false;
            }
            Some(part) => parts.push(part),
            None => ok = false,
        }
    }
    Some(Body::Case(Case {
        material: material?,
        explanation,
        parts: if ok { parts } else { return None },
    }))
}

fn check_part(
    rep: &mut Reporter<'_>,
    ctx: &Context<'_>,
    case_label: &str,
    raw: &RawEntry,
    span: Range<usize>,
) -> Option<Part> {
    let key = match &raw.key {
        Some(k)
            if !k.get_ref().is_empty()
                && k.get_ref().chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            k.get_ref().clone()
        }
        Some(k) => {
            rep.error(
                k.span(),
                format!(
                    "{case_label}: part key `{}` must be letters or digits",
                    k.get_ref()
                ),
            );
            return None;
        }
        None => {
            rep.error(
                span,
                format!("{case_label}: a part has no `key` (e.g. key = \"1\")"),
            );
            return None;
        }
    };
    let label = format!("{case_label} part {key}");
    let item_only: [(&str, Option<Range<usize>>); 10] = [
        ("vars", raw.vars.as_ref().map(Spanned::span)),
        ("derived", raw.derived.as_ref().map(Spanned::span)),
        ("id", raw.id.as_ref().map(Spanned::span)),
        ("subject", raw.subject.as_ref().map(Spanned::span)),
        ("difficulty", raw.difficulty.as_ref().map(Spanned::span)),
        ("rules", raw.rules.as_ref().map(Spanned::span)),
        ("sources", raw.sources.as_ref().map(Spanned::span)),
        ("status", raw.status.as_ref().map(Spanned::span)),
        ("material", raw.material.as_ref().map(Spanned::span)),
        ("parts", raw.parts.as_ref().map(Spanned::span)),
    ];
    for (field, s) in item_only {
        if let Some(s) = s {
            rep.error(
                s,
                format!("{label}: `{field}` belongs to the case, not to a part"),
            );
        }
    }
    let tags = check_tags(rep, ctx, &label, raw.tags.as_ref(), None);
    let kind = check_kind(rep, &label, raw, span.clone())?;
    if kind == Kind::Case {
        rep.error(span, format!("{label}: a case cannot be a part of a case"));
        return None;
    }
    let question = check_question(rep, &label, kind, raw, span)?;
    Some(Part {
        key,
        tags: tags?,
        question,
    })
}
