//! Imports: a file in one of the formats teachers have (the bank's own TOML, the spreadsheet template as
//! xlsx or CSV, Moodle GIFT, Moodle XML) becomes bank items, checked by the bank's validator. Every
//! problem comes with its line or row; what a format cannot express is listed as skipped with the reason.
//! Nothing here touches the database: the caller saves the items, all or nothing.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use serde::Serialize;
use toml::Spanned;

use super::diagnostic::{Reporter, Severity, SourceFile};
use super::format::{RawCriterion, RawEntry, RawOption, RawText, RawUnit};
use super::interchange::foreign::{Foreign, ForeignQuestion, ReadResult};
use super::interchange::{gift, moodle, sheet};
use super::items::{Context, check_item};
use super::{Bank, BankItem};
use crate::domain::item::{Status, Subject};
use crate::domain::normalize::is_cjk;
use crate::domain::taxonomy::TagCode;

/// The formats an import reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Bank,
    Xlsx,
    Csv,
    Gift,
    MoodleXml,
}

impl Format {
    pub fn parse(raw: &str) -> Option<Format> {
        match raw {
            "bank" | "toml" => Some(Format::Bank),
            "xlsx" => Some(Format::Xlsx),
            "csv" => Some(Format::Csv),
            "gift" => Some(Format::Gift),
            "moodle_xml" | "moodle" | "xml" => Some(Format::MoodleXml),
            _ => None,
        }
    }
}

/// How an import fills what a file does not say.
#[derive(Clone, Debug)]
pub struct Options {
    /// Keep the statuses the file gives (admins only); otherwise every item starts as a draft.
    pub keep_status: bool,
    pub default_subject: Option<Subject>,
    pub default_tag: Option<TagCode>,
    /// Difficulty for items whose file gives none (Moodle formats have none).
    pub default_difficulty: u8,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            keep_status: false,
            default_subject: None,
            default_tag: None,
            default_difficulty: 3,
        }
    }
}

/// A problem at a line (or spreadsheet row).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Problem {
    pub line: usize,
    pub message: String,
}

/// Something not imported, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SkipNote {
    pub line: usize,
    pub reason: String,
}

/// What an import would bring in.
#[derive(Clone, Debug, Default)]
pub struct Prepared {
    pub items: Vec<BankItem>,
    pub skipped: Vec<SkipNote>,
    pub errors: Vec<Problem>,
    pub warnings: Vec<Problem>,
}

/// Allocates ids for items that have none: `{primary tag}-{next number}`.
pub type IdAllocator<'a> = dyn FnMut(&str) -> String + 'a;

/// Reads `bytes` in `format` and checks every item against the vocabulary of `bank`.
pub fn prepare(
    format: Format,
    bytes: &[u8],
    bank: &Bank,
    opts: &Options,
    ids: &mut IdAllocator<'_>,
) -> Prepared {
    match format {
        Format::Bank => prepare_bank(bytes, bank, opts),
        Format::Xlsx => match sheet::read_xlsx(bytes) {
            Ok(rows) => prepare_rows(rows, bank, opts, ids),
            Err(e) => failed(e.row, e.message),
        },
        Format::Csv => match sheet::read_csv(bytes) {
            Ok(rows) => prepare_rows(rows, bank, opts, ids),
            Err(e) => failed(e.row, e.message),
        },
        Format::Gift | Format::MoodleXml => {
            let text = match std::str::from_utf8(bytes) {
                Ok(t) => t.strip_prefix('\u{feff}').unwrap_or(t),
                Err(e) => return failed(1, format!("the file is not UTF-8 text: {e}")),
            };
            let read = if format == Format::Gift {
                gift::read(text)
            } else {
                moodle::read(text)
            };
            prepare_foreign(text, read, bank, opts, ids)
        }
    }
}

fn failed(line: usize, message: String) -> Prepared {
    Prepared {
        errors: vec![Problem { line, message }],
        ..Prepared::default()
    }
}

fn split_diagnostics(p: &mut Prepared, diagnostics: Vec<super::diagnostic::Diagnostic>) {
    for d in diagnostics {
        let problem = Problem {
            line: d.line,
            message: d.message,
        };
        if d.severity == Severity::Error {
            p.errors.push(problem);
        } else {
            p.warnings.push(problem);
        }
    }
}

fn prepare_bank(bytes: &[u8], bank: &Bank, opts: &Options) -> Prepared {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => return failed(1, format!("the file is not UTF-8 text: {e}")),
    };
    let read = super::read_items_named(text, "import.toml", bank);
    let mut p = Prepared::default();
    split_diagnostics(&mut p, read.diagnostics);
    p.items = read.items;
    if !opts.keep_status {
        for b in &mut p.items {
            b.status = Status::Draft;
        }
    }
    p
}

/// Builds raw entries with every field's span at one place (a row or a question's line), so the bank's
/// validator reports problems there.
struct At {
    span: Range<usize>,
}

impl At {
    fn s<T>(&self, v: T) -> Spanned<T> {
        Spanned::new(self.span.clone(), v)
    }

    fn text(&self, zh: &str, en: &str) -> Spanned<RawText> {
        self.s(RawText {
            zh: Some(zh.to_owned()),
            en: Some(en.to_owned()),
        })
    }
}

/// A source whose lines are all empty: offset `n` lies on line `n + 1`.
fn line_file(lines: usize) -> SourceFile {
    SourceFile::new(Path::new(""), Path::new("import"), "\n".repeat(lines + 1))
}

fn split_list(s: &str, seps: &[char]) -> Vec<String> {
    s.split(seps)
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

fn check_entries(
    entries: Vec<(usize, RawEntry)>,
    file: &SourceFile,
    bank: &Bank,
    p: &mut Prepared,
) {
    let mut out = Vec::new();
    let ctx = Context {
        taxonomy: Some(&bank.taxonomy),
        rules: Some(&bank.rules),
    };
    let mut found = Vec::new();
    {
        let mut rep = Reporter::new(file, &mut out);
        for (line, raw) in &entries {
            let span = line.saturating_sub(1)..*line;
            if let Some(c) = check_item(&mut rep, &ctx, span, raw) {
                found.push(BankItem {
                    item: c.item,
                    status: c.status,
                    file: "import".into(),
                    line: c.line,
                });
            }
        }
    }
    let mut ids: BTreeMap<String, usize> = BTreeMap::new();
    for b in &found {
        if let Some(first) = ids.insert(b.item.id.to_string(), b.line) {
            p.errors.push(Problem {
                line: b.line,
                message: format!("id {} is used twice (also at line {first})", b.item.id),
            });
        }
    }
    split_diagnostics(p, out);
    p.items.extend(found);
}

fn prepare_rows(
    rows: Vec<sheet::Row>,
    bank: &Bank,
    opts: &Options,
    ids: &mut IdAllocator<'_>,
) -> Prepared {
    let mut p = Prepared::default();
    let last = rows.iter().map(|r| r.number).max().unwrap_or(1);
    let file = line_file(last);
    let mut entries = Vec::new();
    for row in &rows {
        let kind = row.get("kind").trim().to_owned();
        if kind == "case" {
            p.skipped.push(SkipNote {
                line: row.number,
                reason: "cases do not fit a spreadsheet row; import them in the bank format".into(),
            });
            continue;
        }
        entries.push((row.number, row_entry(row, opts, ids)));
    }
    check_entries(entries, &file, bank, &mut p);
    p
}

fn row_entry(row: &sheet::Row, opts: &Options, ids: &mut IdAllocator<'_>) -> RawEntry {
    let at = At {
        span: row.number.saturating_sub(1)..row.number,
    };
    let mut e = RawEntry::default();
    let mut tags = split_list(row.get("tags"), &[' ', ',', '，', ';']);
    if tags.is_empty()
        && let Some(t) = &opts.default_tag
    {
        tags.push(t.to_string());
    }
    let id = match row.get("id").trim() {
        "" => tags.first().map(|t| ids(t)).unwrap_or_default(),
        given => given.to_owned(),
    };
    if !id.is_empty() {
        e.id = Some(at.s(id));
    }
    let subject = match row.get("subject").trim() {
        "" => opts
            .default_subject
            .map(|s| s.code().to_owned())
            .unwrap_or_default(),
        s => s.to_owned(),
    };
    if !subject.is_empty() {
        e.subject = Some(at.s(subject));
    }
    let kind = row.get("kind").trim().to_owned();
    e.kind = Some(at.s(kind.clone()));
    e.tags = Some(at.s(tags.into_iter().map(|t| at.s(t)).collect()));
    e.difficulty = Some(
        at.s(row
            .get("difficulty")
            .trim()
            .parse()
            .unwrap_or(i64::from(opts.default_difficulty))),
    );
    let rules = split_list(row.get("rules"), &[';']);
    if !rules.is_empty() {
        e.rules = Some(at.s(rules.into_iter().map(|r| at.s(r)).collect()));
    }
    let sources = split_list(row.get("sources"), &[';']);
    if !sources.is_empty() {
        e.sources = Some(at.s(sources));
    }
    let status = if opts.keep_status && !row.get("status").trim().is_empty() {
        row.get("status").trim().to_owned()
    } else {
        "draft".into()
    };
    e.status = Some(at.s(status));
    if let Ok(p) = row.get("points").trim().parse::<i64>() {
        e.points = Some(at.s(p));
    }
    e.stem = Some(at.text(row.get("stem_zh"), row.get("stem_en")));
    e.explanation = Some(at.text(row.get("explanation_zh"), row.get("explanation_en")));
    let answer = row.get("answer").trim();
    match kind.as_str() {
        "single" | "multiple" => {
            let options: Vec<Spanned<RawOption>> = sheet::OPTION_IDS
                .iter()
                .filter(|id| {
                    !(row.get(&format!("option_{id}_zh")).is_empty()
                        && row.get(&format!("option_{id}_en")).is_empty())
                })
                .map(|id| {
                    at.s(RawOption {
                        id: Some((*id).to_owned()),
                        zh: Some(row.get(&format!("option_{id}_zh")).to_owned()),
                        en: Some(row.get(&format!("option_{id}_en")).to_owned()),
                    })
                })
                .collect();
            e.options = Some(at.s(options));
            let value = if kind == "single" {
                toml::Value::String(answer.to_lowercase())
            } else {
                toml::Value::Array(
                    split_list(&answer.to_lowercase(), &[',', ' ', '，', ';'])
                        .into_iter()
                        .map(toml::Value::String)
                        .collect(),
                )
            };
            e.answer = Some(at.s(value));
        }
        "true_false" => {
            let value = match answer.to_lowercase().as_str() {
                "true" | "t" | "对" | "正确" | "√" | "yes" => toml::Value::Boolean(true),
                "false" | "f" | "错" | "错误" | "×" | "no" => toml::Value::Boolean(false),
                other => toml::Value::String(other.to_owned()),
            };
            e.answer = Some(at.s(value));
        }
        "fill" => e.accept = Some(at.s(split_list(row.get("accept"), &['|']))),
        "numeric" => {
            let value = match crate::domain::normalize::parse_number(answer) {
                Some(n) => toml::Value::Float(n),
                None => toml::Value::String(answer.to_owned()),
            };
            e.answer = Some(at.s(value));
            if let Some(t) = crate::domain::normalize::parse_number(row.get("tolerance")) {
                e.tolerance = Some(at.s(t));
            }
            if !(row.get("unit_zh").is_empty() && row.get("unit_en").is_empty()) {
                e.unit = Some(at.s(RawUnit::Both(RawText {
                    zh: Some(row.get("unit_zh").to_owned()),
                    en: Some(row.get("unit_en").to_owned()),
                })));
            }
        }
        "written" => {
            e.model_answer = Some(at.text(row.get("model_answer_zh"), row.get("model_answer_en")));
            let rubric: Vec<Spanned<RawCriterion>> = split_list(row.get("rubric"), &[';'])
                .into_iter()
                .map(|c| {
                    let parts: Vec<&str> = c.split('|').map(str::trim).collect();
                    at.s(RawCriterion {
                        zh: parts.first().map(|s| (*s).to_owned()),
                        en: parts.get(1).map(|s| (*s).to_owned()),
                        points: parts.get(2).and_then(|p| p.parse().ok()),
                    })
                })
                .collect();
            if !rubric.is_empty() {
                e.rubric = Some(at.s(rubric));
            }
        }
        _ => {}
    }
    e
}

/// Splits Moodle multilang spans (`<span lang="zh" class="multilang">…</span>`) into the two languages;
/// text without them goes to the language it is written in (Chinese when it has any CJK character).
pub fn languages(text: &str) -> (String, String) {
    let mut zh = None;
    let mut en = None;
    for lang in ["zh", "en"] {
        for open in [
            format!("<span lang=\"{lang}\" class=\"multilang\">"),
            format!("<span class=\"multilang\" lang=\"{lang}\">"),
        ] {
            if let Some(start) = text.find(&open) {
                let rest = &text[start + open.len()..];
                if let Some(end) = rest.find("</span>") {
                    let value = unescape(&rest[..end]);
                    if lang == "zh" {
                        zh = Some(value);
                    } else {
                        en = Some(value);
                    }
                }
            }
        }
    }
    match (zh, en) {
        (None, None) => {
            let t = text.trim().to_owned();
            if t.chars().any(is_cjk) {
                (t, String::new())
            } else {
                (String::new(), t)
            }
        }
        (zh, en) => (zh.unwrap_or_default(), en.unwrap_or_default()),
    }
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Takes the option-id marker `<!--id:x-->` off an answer text.
fn option_id(text: &str) -> (Option<String>, String) {
    if let Some(rest) = text.trim_start().strip_prefix("<!--id:")
        && let Some((id, body)) = rest.split_once("-->")
    {
        return (Some(id.trim().to_owned()), body.to_owned());
    }
    (None, text.to_owned())
}

/// The bank metadata a Moodle export carries in tags (`tiku:tag:T3.1`) or a GIFT comment (`tiku-meta:{json}`).
#[derive(Default)]
struct Meta {
    subject: Option<String>,
    tags: Vec<String>,
    difficulty: Option<i64>,
    rules: Vec<String>,
    sources: Vec<String>,
    status: Option<String>,
    points: Option<i64>,
    unit_zh: Option<String>,
    unit_en: Option<String>,
    model_answer: Option<(String, String)>,
    rubric: Vec<RawCriterion>,
}

/// `{ "zh": …, "en": … }` from a `tiku-meta` comment.
fn json_text(v: &serde_json::Value) -> Option<(String, String)> {
    Some((
        v.get("zh")?.as_str()?.to_owned(),
        v.get("en")?.as_str()?.to_owned(),
    ))
}

/// The rubric of a Moodle essay's grader information, as [`moodle::grader_info`] writes it: the text
/// before `<!--tiku:rubric-->` is the model answer; each `- (points) …` line after it, a criterion.
fn split_grader_info(info: &str) -> ((String, String), Vec<RawCriterion>) {
    let (model, rubric) = info.split_once("<!--tiku:rubric-->").unwrap_or((info, ""));
    let criteria = rubric
        .lines()
        .filter_map(|line| {
            let rest = line.trim().strip_prefix("- (")?;
            let (points, text) = rest.split_once(')')?;
            let (zh, en) = languages(text.trim());
            Some(RawCriterion {
                zh: Some(zh),
                en: Some(en),
                points: points.trim().parse().ok(),
            })
        })
        .collect();
    (languages(model.trim()), criteria)
}

fn meta_of(f: &Foreign) -> Meta {
    let mut m = Meta::default();
    for t in &f.tags {
        if let Some(json) = t.strip_prefix("tiku-meta:") {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(json) {
                let strings = |k: &str| -> Vec<String> {
                    v[k].as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|x| x.as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default()
                };
                m.subject = v["subject"].as_str().map(str::to_owned);
                m.tags = strings("tags");
                m.difficulty = v["difficulty"].as_i64();
                m.rules = strings("rules");
                m.sources = strings("sources");
                m.status = v["status"].as_str().map(str::to_owned);
                m.points = v["points"].as_i64();
                if let Some((zh, en)) = json_text(&v["unit"]) {
                    (m.unit_zh, m.unit_en) = (Some(zh), Some(en));
                }
                m.model_answer = json_text(&v["model_answer"]);
                m.rubric = v["rubric"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|c| {
                                let (zh, en) = json_text(c)?;
                                Some(RawCriterion {
                                    zh: Some(zh),
                                    en: Some(en),
                                    points: c["points"].as_i64(),
                                })
                            })
                            .collect()
                    })
                    .unwrap_or_default();
            }
            continue;
        }
        let Some(rest) = t.strip_prefix("tiku:") else {
            continue;
        };
        let Some((key, value)) = rest.split_once(':') else {
            continue;
        };
        match key {
            "subject" => m.subject = Some(value.to_owned()),
            "tag" => m.tags.push(value.to_owned()),
            "difficulty" => m.difficulty = value.parse().ok(),
            "rule" => m.rules.push(value.to_owned()),
            "source" => m.sources.push(value.to_owned()),
            "status" => m.status = Some(value.to_owned()),
            "points" => m.points = value.parse().ok(),
            "unit" => match value.split_once(':') {
                Some(("zh", u)) => m.unit_zh = Some(u.to_owned()),
                Some(("en", u)) => m.unit_en = Some(u.to_owned()),
                _ => {}
            },
            _ => {}
        }
    }
    m
}

/// A category path's segment that names a tag (`$course$/top/T3.1` or `…/T3.1 十一种贸易术语`).
fn category_tag(category: &str, bank: &Bank) -> Option<String> {
    category.rsplit('/').find_map(|segment| {
        let code = segment.split_whitespace().next()?;
        let tag = TagCode::parse(code).ok()?;
        bank.taxonomy.contains(&tag).then(|| tag.to_string())
    })
}

fn prepare_foreign(
    text: &str,
    read: ReadResult,
    bank: &Bank,
    opts: &Options,
    ids: &mut IdAllocator<'_>,
) -> Prepared {
    let mut p = Prepared::default();
    for e in read.errors {
        p.errors.push(Problem {
            line: e.line,
            message: e.message,
        });
    }
    for s in read.skipped {
        p.skipped.push(SkipNote {
            line: s.line,
            reason: s.reason,
        });
    }
    let file = line_file(text.lines().count().max(1));
    let mut entries = Vec::new();
    for f in &read.questions {
        entries.push((f.line, foreign_entry(f, bank, opts, ids, &mut p.skipped)));
    }
    check_entries(entries, &file, bank, &mut p);
    p
}

fn foreign_entry(
    f: &Foreign,
    bank: &Bank,
    opts: &Options,
    ids: &mut IdAllocator<'_>,
    skipped: &mut Vec<SkipNote>,
) -> RawEntry {
    let at = At {
        span: f.line.saturating_sub(1)..f.line,
    };
    let meta = meta_of(f);
    let mut e = RawEntry::default();
    let mut tags = meta.tags.clone();
    if tags.is_empty() {
        if let Some(t) = f.category.as_deref().and_then(|c| category_tag(c, bank)) {
            tags.push(t);
        } else if let Some(t) = &opts.default_tag {
            tags.push(t.to_string());
        }
    }
    // An exported item keeps its id; anything else is numbered after its primary tag.
    let id = match f.idnumber.as_deref().or(if meta.tags.is_empty() {
        None
    } else {
        f.name.as_deref()
    }) {
        Some(given) if crate::domain::item::ItemId::parse(given).is_ok() => given.to_owned(),
        _ => tags.first().map(|t| ids(t)).unwrap_or_default(),
    };
    if !id.is_empty() {
        e.id = Some(at.s(id));
    }
    if let Some(s) = meta
        .subject
        .clone()
        .or_else(|| opts.default_subject.map(|s| s.code().to_owned()))
    {
        e.subject = Some(at.s(s));
    }
    e.tags = Some(at.s(tags.into_iter().map(|t| at.s(t)).collect()));
    e.difficulty = Some(
        at.s(meta
            .difficulty
            .unwrap_or(i64::from(opts.default_difficulty))),
    );
    if !meta.rules.is_empty() {
        e.rules = Some(at.s(meta.rules.iter().map(|r| at.s(r.clone())).collect()));
    }
    let mut sources = meta.sources.clone();
    if sources.is_empty()
        && let Some(name) = &f.name
    {
        sources.push(format!("Imported from Moodle: {name}"));
    }
    if !sources.is_empty() {
        e.sources = Some(at.s(sources));
    }
    let status = match (&meta.status, opts.keep_status) {
        (Some(s), true) => s.clone(),
        _ => "draft".into(),
    };
    e.status = Some(at.s(status));
    let (stem_zh, stem_en) = languages(&f.text);
    e.stem = Some(at.text(&stem_zh, &stem_en));
    let (mut expl_zh, mut expl_en) = f
        .general_feedback
        .as_deref()
        .map(languages)
        .unwrap_or_default();
    let mut add_feedback = |label: &str, fb: &Option<String>| {
        if let Some(fb) = fb.as_deref().filter(|x| !x.trim().is_empty()) {
            let (zh, en) = languages(fb);
            if !zh.is_empty() {
                expl_zh.push_str(&format!("\n\n{label}：{zh}"));
            }
            if !en.is_empty() {
                expl_en.push_str(&format!("\n\n{label}: {en}"));
            }
        }
    };
    let mut points = meta.points;
    match &f.question {
        ForeignQuestion::Choice { answers, multiple } => {
            let mut options = Vec::new();
            let mut keys = Vec::new();
            for (i, a) in answers.iter().enumerate() {
                let (marked, body) = option_id(&a.text);
                let oid = marked.unwrap_or_else(|| ((b'a' + i as u8) as char).to_string());
                let (zh, en) = languages(&body);
                if a.fraction > 0.0 {
                    keys.push(oid.clone());
                }
                if a.fraction > 0.0 && a.fraction < 0.999 && !*multiple {
                    skipped.push(SkipNote {
                        line: f.line,
                        reason: format!("answer {oid} earns {:.0} % in Moodle; the bank keys it as right or wrong", a.fraction * 100.0),
                    });
                }
                add_feedback(&oid, &a.feedback);
                options.push(at.s(RawOption {
                    id: Some(oid),
                    zh: Some(zh),
                    en: Some(en),
                }));
            }
            e.kind = Some(at.s(if *multiple { "multiple" } else { "single" }.to_owned()));
            e.options = Some(at.s(options));
            e.answer = Some(at.s(if *multiple {
                toml::Value::Array(keys.into_iter().map(toml::Value::String).collect())
            } else {
                toml::Value::String(keys.first().cloned().unwrap_or_default())
            }));
        }
        ForeignQuestion::TrueFalse {
            answer,
            feedback_true,
            feedback_false,
        } => {
            e.kind = Some(at.s("true_false".to_owned()));
            e.answer = Some(at.s(toml::Value::Boolean(*answer)));
            add_feedback("true", feedback_true);
            add_feedback("false", feedback_false);
        }
        ForeignQuestion::Short { answers } => {
            e.kind = Some(at.s("fill".to_owned()));
            let mut accept = Vec::new();
            for a in answers {
                if a.fraction >= 0.999 {
                    accept.push(a.text.trim().to_owned());
                } else if a.fraction > 0.0 {
                    skipped.push(SkipNote {
                        line: f.line,
                        reason: format!(
                            "answer `{}` earns {:.0} % in Moodle; the bank has no partial credit",
                            a.text,
                            a.fraction * 100.0
                        ),
                    });
                }
            }
            e.accept = Some(at.s(accept));
        }
        ForeignQuestion::Numerical { answers } => {
            e.kind = Some(at.s("numeric".to_owned()));
            let full: Vec<&(f64, f64, f64)> =
                answers.iter().filter(|(_, _, fr)| *fr >= 0.999).collect();
            if let Some((value, tolerance, _)) = full.first() {
                e.answer = Some(at.s(toml::Value::Float(*value)));
                e.tolerance = Some(at.s(*tolerance));
            }
            if let (Some(zh), Some(en)) = (&meta.unit_zh, &meta.unit_en) {
                e.unit = Some(at.s(RawUnit::Both(RawText {
                    zh: Some(zh.clone()),
                    en: Some(en.clone()),
                })));
            }
            for (value, _, fr) in answers
                .iter()
                .filter(|(_, _, fr)| *fr < 0.999 || full.len() > 1)
                .skip(usize::from(full.len() > 1))
            {
                skipped.push(SkipNote {
                    line: f.line,
                    reason: format!(
                        "answer {value} ({:.0} %) is not kept: a numeric item has one key",
                        fr * 100.0
                    ),
                });
            }
        }
        ForeignQuestion::Essay { grader_info } => {
            e.kind = Some(at.s("written".to_owned()));
            let ((zh, en), rubric) = grader_info
                .as_deref()
                .map(split_grader_info)
                .unwrap_or_default();
            let (zh, en) = meta.model_answer.clone().unwrap_or((zh, en));
            e.model_answer = Some(at.text(&zh, &en));
            // A rubric comes from a tiku export; one from elsewhere gets its rubric before review.
            let rubric = if meta.rubric.is_empty() {
                rubric
            } else {
                meta.rubric.clone()
            };
            if !rubric.is_empty() {
                e.rubric = Some(at.s(rubric.into_iter().map(|c| at.s(c)).collect()));
            }
            // A written item's points are its rubric's.
            points = None;
        }
    }
    if let (Some(p), false) = (points, matches!(f.question, ForeignQuestion::Essay { .. })) {
        e.points = Some(at.s(p));
    } else if let (Some(mark), None, false) = (
        f.default_mark,
        meta.points,
        matches!(f.question, ForeignQuestion::Essay { .. }),
    ) {
        let p = mark.round() as i64;
        if p > 0 && (mark - p as f64).abs() < 1e-9 {
            e.points = Some(at.s(p));
        }
    }
    e.explanation = Some(at.text(expl_zh.trim(), expl_en.trim()));
    e
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::bank;

    fn bank() -> Bank {
        bank::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("question-bank")).bank
    }

    fn numbering() -> impl FnMut(&str) -> String {
        let mut n = 9000;
        move |tag: &str| {
            n += 1;
            format!("{tag}-{n}")
        }
    }

    #[test]
    fn spreadsheet_rows_become_drafts_and_problems_name_their_rows() {
        let b = bank();
        let csv = "id,subject,kind,tags,difficulty,rules,sources,stem_zh,stem_en,option_a_zh,option_a_en,option_b_zh,option_b_en,option_c_zh,option_c_en,answer,explanation_zh,explanation_en,status\n\
                   ,A,single,T3.1,2,Incoterms 2020,\"Incoterms 2020, EXW A2\",EXW下谁装货？,Who loads under EXW?,卖方,The seller,买方,The buyer,承运人,The carrier,b,EXW卖方不装货。,Under EXW the seller does not load.,published\n\
                   ,A,single,T3.1,2,Incoterms 2020,x,题,Q,甲,A,乙,B,丙,C,z,解析,Why,\n";
        let p = prepare(
            Format::Csv,
            csv.as_bytes(),
            &b,
            &Options::default(),
            &mut numbering(),
        );
        assert_eq!(p.items.len(), 1, "{:?}", p.errors);
        assert_eq!(p.items[0].item.id.as_str(), "T3.1-9001");
        assert_eq!(
            p.items[0].status,
            Status::Draft,
            "teachers' imports start as drafts"
        );
        assert_eq!(p.errors.len(), 1, "{:?}", p.errors);
        assert_eq!(p.errors[0].line, 3);
        assert!(
            p.errors[0].message.contains("not among the options"),
            "{:?}",
            p.errors
        );
    }

    #[test]
    fn multilang_spans_and_scripts_decide_the_language() {
        assert_eq!(
            languages(
                "<span lang=\"zh\" class=\"multilang\">离岸价 &amp; FOB</span><span lang=\"en\" class=\"multilang\">Free &lt;on&gt; board</span>"
            ),
            ("离岸价 & FOB".to_owned(), "Free <on> board".to_owned())
        );
        assert_eq!(
            languages("什么是FOB？"),
            ("什么是FOB？".to_owned(), String::new())
        );
        assert_eq!(
            languages("What is FOB?"),
            (String::new(), "What is FOB?".to_owned())
        );
        assert_eq!(
            option_id("<!--id:c--><span>x</span>"),
            (Some("c".into()), "<span>x</span>".into())
        );
    }

    /// Every shipped item Moodle can hold comes back from a GIFT or Moodle XML export unchanged:
    /// texts, keys, options, units, model answers, rubrics and metadata.
    #[test]
    fn the_whole_bank_survives_a_moodle_round_trip() {
        let b = bank();
        let list: Vec<(&crate::domain::item::Item, Status)> =
            b.items.iter().map(|i| (&i.item, i.status)).collect();
        let keep = Options {
            keep_status: true,
            ..Options::default()
        };
        for format in [Format::Gift, Format::MoodleXml] {
            let (text, not_exported) = if format == Format::Gift {
                gift::write(&list)
            } else {
                moodle::write(&list)
            };
            let p = prepare(format, text.as_bytes(), &b, &keep, &mut numbering());
            assert!(
                p.errors.is_empty(),
                "{format:?}: {:?}",
                &p.errors[..3.min(p.errors.len())]
            );
            assert_eq!(
                p.items.len() + not_exported.len(),
                b.items.len(),
                "{format:?}: every item is exported or named as not exported"
            );
            assert!(p.items.len() > 300, "{format:?}: {}", p.items.len());
            for got in &p.items {
                let Some(want) = b.items.iter().find(|i| i.item.id == got.item.id) else {
                    panic!("{format:?}: {} was not exported", got.item.id);
                };
                assert_eq!(got.item, want.item, "{format:?} {}", got.item.id);
                assert_eq!(got.status, want.status, "{format:?} {}", got.item.id);
            }
        }
    }
}
