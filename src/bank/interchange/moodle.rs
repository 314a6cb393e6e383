//! Moodle XML: reading a `<quiz>` of `<question>`s into [`Foreign`] records, and writing bank items as
//! Moodle XML. This module also holds the conventions both Moodle formats share when they export (see
//! [`super::gift`]): how a bilingual text, an option id and a written item's grading notes are written.
//!
//! # Reading
//!
//! The file is read with quick-xml's streaming reader; each `<question>` directly under `<quiz>` is
//! gathered into a small element tree when it closes and interpreted then, so the questions before a
//! place where the XML stops parsing are still returned. Types the bank holds: `multichoice`,
//! `truefalse`, `shortanswer`, `numerical` and `essay`. A `<question type="category">` sets the category
//! of every question after it. Every other type (matching, cloze, calculated, drag-and-drop,
//! description, ordering, random …) is [`Skipped`] with its type named. Texts are trimmed, as Moodle
//! trims them; format names are given as `html`, `markdown`, `moodle` (`moodle_auto_format`) or `plain`
//! (`plain_text`). A multiple-choice question is `multiple` when `<single>` says false or when more than
//! one answer earns a positive fraction. Numerical answers are `(value, tolerance, fraction)`; the `*`
//! answer (Moodle's "any other answer") has no number and is left out, as is per-answer feedback of
//! numerical questions. Each record carries the line of its `<question>` tag; XML that does not parse,
//! HTML elements inside a `<text>` (instead of CDATA) and values that are not numbers are
//! [`ReadError`]s at their line.
//!
//! # Writing
//!
//! Every text a person reads is written as Moodle's multilang spans (see [`multilang`]) in Markdown
//! format, so Moodle's multilang filter shows the reader's language and a re-import recovers both.
//! Each item carries its id in `<name>` and `<idnumber>`, and its metadata in tags:
//! `tiku:subject:A`, `tiku:tag:T3.1` (one per tag, in order), `tiku:difficulty:2`, `tiku:rule:…`,
//! `tiku:source:…`, `tiku:status:…`, `tiku:points:…`, and for numeric items with a unit
//! `tiku:unit:zh:…` and `tiku:unit:en:…`. Kinds map as follows:
//!
//! - single choice → `multichoice`, single answer: the key earns 100 %, every other option 0;
//! - multiple choice → `multichoice` with several answers: each key earns 100/k % (as Moodle lists its
//!   grades, e.g. 33.33333), each wrong option −100 %. Moodle adds up the fractions of the chosen
//!   options and never goes below zero, so a response with any wrong option scores nothing and only the
//!   full set of keys scores everything: the bank's all-or-nothing rule as closely as Moodle allows (a
//!   response with some of the keys and no wrong option still earns partial credit in Moodle). Moodle
//!   has no grade of 100/k for k = 11…19 or k > 20 keys; such items are not exported;
//! - true/false → `truefalse`;
//! - fill-in → `shortanswer`, case-insensitive, every accepted answer at 100 % (a `*` in an answer is
//!   written `\*`, Moodle's literal asterisk, and read back as `*`);
//! - numeric with a number key → `numerical`, one answer with the tolerance;
//! - written → `essay`, with the model answer and the rubric in `<graderinfo>` (see [`grader_info`]);
//! - the explanation → `<generalfeedback>`; the points → `<defaultgrade>`.
//!
//! Cases (a material with parts) and calculation templates cannot be expressed and are returned as not
//! exported, with the reason; so is a numeric item whose key is a formula.

use std::io;

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesCData, BytesDecl, BytesEnd, BytesRef, BytesStart, BytesText, Event};
use quick_xml::{Reader, Writer};

use super::foreign::{
    Foreign, ForeignAnswer, ForeignQuestion, NotExported, ReadError, ReadResult, Skipped,
};
use crate::domain::Text;
use crate::domain::item::{
    Body, ChoiceOption, Criterion, Item, NumericKey, Question, Response, Status,
};

// ------------------------------------------------------------------------------------------------
// Conventions shared by the Moodle exports (XML and GIFT)
// ------------------------------------------------------------------------------------------------

/// Escapes `&`, `<`, `>` and `"` so Markdown text can sit inside an HTML span unchanged.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// A bilingual text as Moodle's multilang spans:
/// `<span lang="zh" class="multilang">ZH</span><span lang="en" class="multilang">EN</span>`, each
/// language's Markdown HTML-escaped ([`escape_html`]). The spans hold no `<` of their own, so the first
/// `</span>` after an opening span always closes it. Moodle's multilang filter (which must be enabled)
/// shows the span of the reader's language. Markdown that relies on raw HTML or on `>` quotes is shown
/// literally, since those characters are escaped.
pub fn multilang(text: &Text) -> String {
    format!(
        r#"<span lang="zh" class="multilang">{}</span><span lang="en" class="multilang">{}</span>"#,
        escape_html(&text.zh),
        escape_html(&text.en)
    )
}

/// A choice option as written: its id in an HTML comment that nobody sees, then its multilang text,
/// e.g. `<!--id:b--><span lang="zh" …>…</span><span lang="en" …>…</span>`. The comment keeps the option's
/// id through Moodle and back, whatever order Moodle shows the options in.
pub fn option_text(option: &ChoiceOption) -> String {
    format!("<!--id:{}-->{}", option.id, multilang(&option.text))
}

/// The grading notes of a written item, as Markdown: the model answer's multilang spans first (so a
/// reader that takes the first spans gets the model answer), then a marked rubric with each
/// criterion's points:
///
/// ```text
/// <span lang="zh" …>MODEL</span><span lang="en" …>MODEL</span>
///
/// <!--tiku:rubric--><span lang="zh" class="multilang">评分标准</span><span lang="en" class="multilang">Rubric</span>
///
/// - (3) <span lang="zh" …>CRITERION</span><span lang="en" …>CRITERION</span>
/// - (2) …
/// ```
pub fn grader_info(model_answer: &Text, rubric: &[Criterion]) -> String {
    let mut out = multilang(model_answer);
    if !rubric.is_empty() {
        out.push_str("\n\n<!--tiku:rubric-->");
        out.push_str(&multilang(&Text::new(
            "评分标准".to_owned(),
            "Rubric".to_owned(),
        )));
        out.push('\n');
        for c in rubric {
            out.push_str(&format!("\n- ({}) {}", c.points, multilang(&c.text)));
        }
    }
    out
}

/// The question of an item Moodle can hold, or why it cannot be exported.
pub(super) fn exportable(item: &Item) -> Result<&Question, String> {
    let Body::Question(q) = &item.body else {
        return Err("Moodle has no case groups".to_owned());
    };
    if item.template.is_some() {
        return Err("calculation templates have no Moodle equivalent here".to_owned());
    }
    if let Some(options) = q.response.options()
        && let Some(o) = options
            .iter()
            .find(|o| o.id.is_empty() || !o.id.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        return Err(format!(
            "option id `{}` cannot be written as a marker (letters and digits only)",
            o.id
        ));
    }
    match &q.response {
        Response::Multiple { keys, .. } if key_grade(keys.len()).is_none() => Err(format!(
            "Moodle has no grade of 100/{} % for each of {} keys",
            keys.len(),
            keys.len()
        )),
        Response::Numeric {
            value: NumericKey::Formula(_),
            ..
        } => Err(
            "a numeric key that is a formula has no Moodle equivalent here (export an instantiated variant)"
                .to_owned(),
        ),
        Response::Numeric {
            value: NumericKey::Number(v),
            tolerance,
            ..
        } if !v.is_finite() || !tolerance.is_finite() => {
            Err("the numeric key or its tolerance is not a finite number".to_owned())
        }
        Response::Fill { accept } if accept.is_empty() => {
            Err("a fill-in item without accepted answers".to_owned())
        }
        _ => Ok(q),
    }
}

/// The grade (percent, as Moodle lists its grades) of each key of a multiple-answer question with `k`
/// keys: 100/k. Moodle accepts only the grades of its list, so other counts have none.
pub(super) fn key_grade(k: usize) -> Option<&'static str> {
    match k {
        1 => Some("100"),
        2 => Some("50"),
        3 => Some("33.33333"),
        4 => Some("25"),
        5 => Some("20"),
        6 => Some("16.66667"),
        7 => Some("14.28571"),
        8 => Some("12.5"),
        9 => Some("11.11111"),
        10 => Some("10"),
        20 => Some("5"),
        _ => None,
    }
}

/// The grade of a wrong option of a multiple-answer question: choosing it cancels every key.
pub(super) const WRONG_GRADE: &str = "-100";

/// A fill-in answer as Moodle's short answer holds it: `*` is Moodle's wildcard, `\*` a literal asterisk.
pub(super) fn short_answer(accepted: &str) -> String {
    accepted.replace('*', "\\*")
}

/// A short answer as the bank reads it: Moodle's `\*` (a literal asterisk) becomes `*`.
pub(super) fn accepted(short_answer: &str) -> String {
    short_answer.replace("\\*", "*")
}

/// The explanation as general feedback, unless it is empty in both languages.
pub(super) fn general_feedback(q: &Question) -> Option<String> {
    (!q.explanation.zh.trim().is_empty() || !q.explanation.en.trim().is_empty())
        .then(|| multilang(&q.explanation))
}

/// The item's metadata as tags, in the order the module documentation gives.
pub(super) fn meta_tags(item: &Item, status: Status, q: &Question) -> Vec<String> {
    let mut tags = vec![format!("tiku:subject:{}", item.subject.code())];
    tags.extend(item.tags.iter().map(|t| format!("tiku:tag:{}", t.as_str())));
    tags.push(format!("tiku:difficulty:{}", item.difficulty.get()));
    tags.extend(item.rules.iter().map(|r| format!("tiku:rule:{r}")));
    tags.extend(item.sources.iter().map(|s| format!("tiku:source:{s}")));
    tags.push(format!("tiku:status:{}", status.code()));
    tags.push(format!("tiku:points:{}", item.points()));
    if let Response::Numeric { unit: Some(u), .. } = &q.response {
        tags.push(format!("tiku:unit:zh:{}", u.zh));
        tags.push(format!("tiku:unit:en:{}", u.en));
    }
    tags
}

// ------------------------------------------------------------------------------------------------
// Writing Moodle XML
// ------------------------------------------------------------------------------------------------

/// Writes the items as a Moodle XML `<quiz>`. Returns the XML and the ids not exported, with the reason
/// (cases, calculation templates, formula keys, multiple-answer items whose key count has no Moodle grade).
pub fn write(items: &[(&Item, Status)]) -> (String, NotExported) {
    let mut not_exported = Vec::new();
    let mut exported = Vec::new();
    for (item, status) in items {
        match exportable(item) {
            Ok(q) => exported.push((*item, *status, q)),
            Err(reason) => not_exported.push((item.id.to_string(), reason)),
        }
    }
    match write_quiz(&exported) {
        Ok(bytes) => (String::from_utf8_lossy(&bytes).into_owned(), not_exported),
        // Writing into memory does not fail; should it ever, nothing was exported.
        Err(e) => {
            let reason = format!("writing the XML failed: {e}");
            not_exported.extend(
                exported
                    .iter()
                    .map(|(item, _, _)| (item.id.to_string(), reason.clone())),
            );
            (String::new(), not_exported)
        }
    }
}

type XmlWriter = Writer<Vec<u8>>;

fn write_quiz(items: &[(&Item, Status, &Question)]) -> io::Result<Vec<u8>> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.write_event(Event::Start(BytesStart::new("quiz")))?;
    for (item, status, q) in items {
        write_question(&mut w, item, *status, q)?;
    }
    w.write_event(Event::End(BytesEnd::new("quiz")))?;
    let mut bytes = w.into_inner();
    bytes.push(b'\n');
    Ok(bytes)
}

fn write_question(w: &mut XmlWriter, item: &Item, status: Status, q: &Question) -> io::Result<()> {
    let qtype = match &q.response {
        Response::Single { .. } | Response::Multiple { .. } => "multichoice",
        Response::TrueFalse { .. } => "truefalse",
        Response::Fill { .. } => "shortanswer",
        Response::Numeric { .. } => "numerical",
        Response::Written { .. } => "essay",
    };
    let id = item.id.as_str();
    w.write_event(Event::Start(
        BytesStart::new("question").with_attributes([("type", qtype)]),
    ))?;
    text_field(w, "name", &[], id)?;
    text_field(
        w,
        "questiontext",
        &[("format", "markdown")],
        &multilang(&q.stem),
    )?;
    if let Some(feedback) = general_feedback(q) {
        text_field(w, "generalfeedback", &[("format", "markdown")], &feedback)?;
    }
    value(w, "defaultgrade", &item.points().to_string())?;
    value(w, "hidden", "0")?;
    value(w, "idnumber", id)?;
    match &q.response {
        Response::Single { options, key } => {
            value(w, "single", "true")?;
            choice_settings(w)?;
            for o in options {
                let grade = if &o.id == key { "100" } else { "0" };
                answer(w, grade, "markdown", &option_text(o), None)?;
            }
        }
        Response::Multiple { options, keys } => {
            value(w, "single", "false")?;
            choice_settings(w)?;
            let right = key_grade(keys.len()).unwrap_or("0");
            for o in options {
                let grade = if keys.contains(&o.id) {
                    right
                } else {
                    WRONG_GRADE
                };
                answer(w, grade, "markdown", &option_text(o), None)?;
            }
        }
        Response::TrueFalse { key } => {
            let (t, f) = if *key { ("100", "0") } else { ("0", "100") };
            answer(w, t, "moodle_auto_format", "true", None)?;
            answer(w, f, "moodle_auto_format", "false", None)?;
        }
        Response::Fill { accept } => {
            value(w, "usecase", "0")?;
            for a in accept {
                answer(w, "100", "moodle_auto_format", &short_answer(a), None)?;
            }
        }
        Response::Numeric {
            value: key,
            tolerance,
            ..
        } => {
            let number = match key {
                NumericKey::Number(v) => v.to_string(),
                // `exportable` refuses formula keys before anything is written.
                NumericKey::Formula(f) => f.clone(),
            };
            answer(
                w,
                "100",
                "moodle_auto_format",
                &number,
                Some(&tolerance.to_string()),
            )?;
        }
        Response::Written {
            model_answer,
            rubric,
        } => {
            value(w, "responseformat", "editor")?;
            value(w, "responserequired", "1")?;
            value(w, "responsefieldlines", "15")?;
            value(w, "attachments", "0")?;
            text_field(
                w,
                "graderinfo",
                &[("format", "markdown")],
                &grader_info(model_answer, rubric),
            )?;
        }
    }
    w.write_event(Event::Start(BytesStart::new("tags")))?;
    for tag in meta_tags(item, status, q) {
        text_field(w, "tag", &[], &tag)?;
    }
    w.write_event(Event::End(BytesEnd::new("tags")))?;
    w.write_event(Event::End(BytesEnd::new("question")))
}

fn choice_settings(w: &mut XmlWriter) -> io::Result<()> {
    value(w, "shuffleanswers", "true")?;
    value(w, "answernumbering", "abc")
}

/// `<name>VALUE</name>`.
fn value(w: &mut XmlWriter, name: &str, value: &str) -> io::Result<()> {
    w.write_event(Event::Start(BytesStart::new(name)))?;
    w.write_event(Event::Text(BytesText::new(value)))?;
    w.write_event(Event::End(BytesEnd::new(name)))
}

/// `<text>…</text>`: in CDATA when the text has markup characters (as Moodle writes it), else escaped.
fn text(w: &mut XmlWriter, content: &str) -> io::Result<()> {
    w.write_event(Event::Start(BytesStart::new("text")))?;
    if content.contains(['<', '>', '&']) {
        // `escaped` splits the text wherever it holds `]]>`, which a CDATA section cannot.
        for part in BytesCData::escaped(content) {
            w.write_event(Event::CData(part))?;
        }
    } else {
        w.write_event(Event::Text(BytesText::new(content)))?;
    }
    w.write_event(Event::End(BytesEnd::new("text")))
}

/// `<name attrs><text>…</text></name>`.
fn text_field(
    w: &mut XmlWriter,
    name: &str,
    attrs: &[(&str, &str)],
    content: &str,
) -> io::Result<()> {
    w.write_event(Event::Start(
        BytesStart::new(name).with_attributes(attrs.iter().copied()),
    ))?;
    text(w, content)?;
    w.write_event(Event::End(BytesEnd::new(name)))
}

fn answer(
    w: &mut XmlWriter,
    fraction: &str,
    format: &str,
    content: &str,
    tolerance: Option<&str>,
) -> io::Result<()> {
    w.write_event(Event::Start(
        BytesStart::new("answer").with_attributes([("fraction", fraction), ("format", format)]),
    ))?;
    text(w, content)?;
    if let Some(t) = tolerance {
        value(w, "tolerance", t)?;
    }
    w.write_event(Event::End(BytesEnd::new("answer")))
}

// ------------------------------------------------------------------------------------------------
// Reading Moodle XML
// ------------------------------------------------------------------------------------------------

/// One element of a question, gathered from the stream.
#[derive(Debug, Default)]
struct Node {
    name: String,
    line: usize,
    attrs: Vec<(String, String)>,
    /// The text and CDATA directly inside the element.
    text: String,
    children: Vec<Node>,
}

impl Node {
    fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The element's own text, trimmed. Elements inside it are an error: they are HTML that should have
    /// been escaped or put in CDATA, and reading on would lose it.
    fn value(&self) -> Result<String, ReadError> {
        if let Some(c) = self.children.first() {
            return Err(ReadError {
                line: c.line,
                message: format!(
                    "<{}> holds the element <{}>: put HTML inside <![CDATA[ … ]]> or escape its `<` as `&lt;`",
                    self.name, c.name
                ),
            });
        }
        Ok(self.text.trim().to_owned())
    }

    /// A Moodle text field: the value of its `<text>` child, or (in old files) its own text.
    fn field(&self) -> Result<String, ReadError> {
        match self.child("text") {
            Some(t) => t.value(),
            None => Ok(self.text.trim().to_owned()),
        }
    }

    /// The text of the child field `name`, if present and not empty.
    fn optional(&self, name: &str) -> Result<Option<String>, ReadError> {
        Ok(self
            .child(name)
            .map(Node::field)
            .transpose()?
            .filter(|t| !t.is_empty()))
    }

    /// The number in the child element `name`, if present.
    fn number(&self, name: &str) -> Result<Option<f64>, ReadError> {
        let Some(n) = self.child(name) else {
            return Ok(None);
        };
        let raw = n.value()?;
        parse_number(&raw, n.line, &format!("<{name}>")).map(Some)
    }
}

fn parse_number(raw: &str, line: usize, what: &str) -> Result<f64, ReadError> {
    raw.trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| ReadError {
            line,
            message: format!("{what} `{raw}` is not a number"),
        })
}

/// Byte offsets to 1-based line numbers.
struct Lines(Vec<usize>);

impl Lines {
    fn new(text: &str) -> Lines {
        Lines(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i)
                .collect(),
        )
    }

    fn at(&self, offset: u64) -> usize {
        let offset = usize::try_from(offset).unwrap_or(usize::MAX);
        self.0.partition_point(|&nl| nl < offset) + 1
    }
}

/// What one `<question>` element is.
enum Outcome {
    Category(String),
    Question(Box<Foreign>),
    Skipped(Skipped),
}

/// Reads a Moodle XML file. See the module documentation for what it reads and how.
pub fn read(text: &str) -> ReadResult {
    let mut out = ReadResult::default();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines = Lines::new(text);
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Node> = Vec::new();
    let mut root_seen = false;
    let mut category: Option<String> = None;
    let fail = |out: &mut ReadResult, line: usize, message: String| {
        out.errors.push(ReadError { line, message });
    };
    loop {
        let before = reader.buffer_position();
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                let line = lines.at(reader.error_position());
                fail(&mut out, line, format!("the XML does not parse: {e}"));
                break;
            }
        };
        let line = lines.at(before);
        match event {
            Event::Start(e) | Event::Empty(e) if stack.is_empty() && root_seen => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                fail(
                    &mut out,
                    line,
                    format!("<{name}> comes after </quiz>: a file holds one <quiz>"),
                );
                break;
            }
            Event::Start(e) => {
                let node = match open(&e, line) {
                    Ok(n) => n,
                    Err(err) => {
                        out.errors.push(err);
                        break;
                    }
                };
                if stack.is_empty() {
                    root_seen = true;
                    if node.name != "quiz" {
                        fail(
                            &mut out,
                            line,
                            format!(
                                "the root element is <{}>; a Moodle XML file is a <quiz>",
                                node.name
                            ),
                        );
                        break;
                    }
                }
                stack.push(node);
            }
            Event::Empty(e) => {
                let node = match open(&e, line) {
                    Ok(n) => n,
                    Err(err) => {
                        out.errors.push(err);
                        break;
                    }
                };
                if stack.is_empty() {
                    fail(
                        &mut out,
                        line,
                        format!(
                            "the root element is an empty <{}/>; a Moodle XML file is a <quiz>",
                            node.name
                        ),
                    );
                    break;
                }
                close(node, &mut stack, &mut category, &mut out);
            }
            Event::End(_) => {
                if let Some(node) = stack.pop() {
                    close(node, &mut stack, &mut category, &mut out);
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    match t.xml10_content() {
                        Ok(s) => top.text.push_str(&s),
                        Err(e) => {
                            fail(&mut out, line, format!("the text is not UTF-8: {e}"));
                            break;
                        }
                    }
                }
            }
            Event::CData(c) => {
                if let Some(top) = stack.last_mut() {
                    match c.xml10_content() {
                        Ok(s) => top.text.push_str(&s),
                        Err(e) => {
                            fail(&mut out, line, format!("the CDATA is not UTF-8: {e}"));
                            break;
                        }
                    }
                }
            }
            Event::GeneralRef(r) => match entity(&r) {
                Ok(s) => {
                    if let Some(top) = stack.last_mut() {
                        top.text.push_str(&s);
                    }
                }
                Err(message) => {
                    fail(&mut out, lines.at(reader.buffer_position()), message);
                    break;
                }
            },
            Event::Eof => {
                if let Some(open) = stack.last() {
                    fail(
                        &mut out,
                        open.line,
                        format!(
                            "<{}> opened on line {} is never closed",
                            open.name, open.line
                        ),
                    );
                } else if !root_seen {
                    fail(
                        &mut out,
                        1,
                        "the file has no <quiz> element: it is not Moodle XML".to_owned(),
                    );
                }
                break;
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    out
}

/// The text an entity or character reference stands for.
fn entity(r: &BytesRef<'_>) -> Result<String, String> {
    match r.resolve_char_ref() {
        Ok(Some(c)) => return Ok(c.to_string()),
        Ok(None) => {}
        Err(e) => return Err(format!("a character reference cannot be read: {e}")),
    }
    let name = r
        .decode()
        .map_err(|e| format!("an entity name is not UTF-8: {e}"))?;
    resolve_predefined_entity(&name)
        .map(str::to_owned)
        .ok_or_else(|| format!("`&{name};` is not an XML entity (write `&amp;` for a literal `&`)"))
}

fn open(e: &BytesStart<'_>, line: usize) -> Result<Node, ReadError> {
    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|err| ReadError {
            line,
            message: format!("an attribute of <{name}> cannot be read: {err}"),
        })?;
        let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
        let value = a.unescape_value().map_err(|err| ReadError {
            line,
            message: format!("the attribute {key} of <{name}> cannot be read: {err}"),
        })?;
        attrs.push((key, value.into_owned()));
    }
    Ok(Node {
        name,
        line,
        attrs,
        ..Node::default()
    })
}

/// Files a closed element: a `<question>` directly under `<quiz>` is read; deeper elements join their
/// parent; anything else under `<quiz>` is not Moodle's and is passed over.
fn close(node: Node, stack: &mut [Node], category: &mut Option<String>, out: &mut ReadResult) {
    match stack {
        [] => {}
        [_quiz] => {
            if node.name == "question" {
                match question(&node, category.as_deref()) {
                    Ok(Outcome::Category(c)) => *category = Some(c),
                    Ok(Outcome::Question(q)) => out.questions.push(*q),
                    Ok(Outcome::Skipped(s)) => out.skipped.push(s),
                    Err(e) => out.errors.push(e),
                }
            }
        }
        [.., parent] => parent.children.push(node),
    }
}

/// What the bank says about a question type it cannot hold.
fn unsupported(qtype: &str) -> String {
    let what = match qtype {
        "matching" | "match" => "a matching question",
        "cloze" | "multianswer" => "a cloze (embedded answers) question",
        "calculated" | "calculatedsimple" | "calculatedmulti" => "a calculated question",
        "ddwtos" | "ddimageortext" | "ddmarker" => "a drag-and-drop question",
        "gapselect" => "a select-missing-words question",
        "ordering" => "an ordering question",
        "description" => "a description (text without a question)",
        "random" | "randomsamatch" => "a random question",
        _ => "a question",
    };
    format!("{what} (Moodle type `{qtype}`): the bank has no such kind")
}

/// The format names of Foreign records: `html`, `markdown`, `moodle` or `plain`.
fn format_name(raw: &str) -> String {
    match raw.trim() {
        "moodle_auto_format" | "wiki_like" => "moodle",
        "plain_text" => "plain",
        "markdown" => "markdown",
        // Moodle reads any other name as HTML.
        _ => "html",
    }
    .to_owned()
}

fn question(node: &Node, category: Option<&str>) -> Result<Outcome, ReadError> {
    let line = node.line;
    let err = |message: String| ReadError { line, message };
    let Some(qtype) = node.attr("type") else {
        return Err(err("<question> has no type attribute".to_owned()));
    };
    match qtype {
        "category" => {
            let name = node
                .child("category")
                .map(Node::field)
                .transpose()?
                .unwrap_or_default();
            return if name.is_empty() {
                Err(err("the category question names no <category>".to_owned()))
            } else {
                Ok(Outcome::Category(name))
            };
        }
        "multichoice" | "truefalse" | "shortanswer" | "numerical" | "essay" => {}
        other => {
            return Ok(Outcome::Skipped(Skipped {
                line,
                reason: unsupported(other),
            }));
        }
    }
    let Some(question_text) = node.child("questiontext") else {
        return Err(err(format!("the {qtype} question has no <questiontext>")));
    };
    let text = question_text.field()?;
    let format = format_name(question_text.attr("format").unwrap_or("html"));
    let question = match qtype {
        "multichoice" => {
            let single = match node.child("single") {
                Some(s) => !matches!(s.value()?.as_str(), "false" | "0" | ""),
                None => true,
            };
            let answers = answers(node)?;
            if answers.len() < 2 {
                return Err(err(
                    "a multiple-choice question needs at least two <answer>s".to_owned(),
                ));
            }
            let positive = answers.iter().filter(|a| a.fraction > 0.0).count();
            ForeignQuestion::Choice {
                multiple: !single || positive > 1,
                answers,
            }
        }
        "truefalse" => true_false(node)?,
        "shortanswer" => {
            let mut answers = answers(node)?;
            if answers.is_empty() {
                return Err(err("a short-answer question has no <answer>".to_owned()));
            }
            for a in &mut answers {
                a.text = accepted(&a.text);
            }
            ForeignQuestion::Short { answers }
        }
        "numerical" => numerical(node)?,
        _ => ForeignQuestion::Essay {
            grader_info: node.optional("graderinfo")?,
        },
    };
    let tags = match node.child("tags") {
        Some(tags) => tags
            .all("tag")
            .map(Node::field)
            .filter(|t| !t.as_ref().is_ok_and(String::is_empty))
            .collect::<Result<Vec<_>, _>>()?,
        None => Vec::new(),
    };
    Ok(Outcome::Question(Box::new(Foreign {
        line,
        name: node.optional("name")?,
        idnumber: node.optional("idnumber")?,
        category: category.map(str::to_owned),
        tags,
        text,
        format,
        general_feedback: node.optional("generalfeedback")?,
        default_mark: node.number("defaultgrade")?,
        question,
    })))
}

/// The share of the mark an `<answer>` earns (its `fraction` attribute, in percent; none means 0).
fn fraction(answer: &Node) -> Result<f64, ReadError> {
    let Some(raw) = answer.attr("fraction") else {
        return Ok(0.0);
    };
    let percent = parse_number(raw, answer.line, "the answer's fraction")?;
    if !(-100.0..=100.0).contains(&percent) {
        return Err(ReadError {
            line: answer.line,
            message: format!("the answer's fraction {raw} is not between -100 and 100"),
        });
    }
    Ok(fraction_of(percent))
}

/// A percentage as Moodle's fraction, rounded to the seven decimals Moodle stores (33.33333 % is
/// 0.3333333).
pub(super) fn fraction_of(percent: f64) -> f64 {
    (percent * 1e5).round() / 1e7
}

fn answers(node: &Node) -> Result<Vec<ForeignAnswer>, ReadError> {
    node.all("answer")
        .map(|a| {
            Ok(ForeignAnswer {
                text: a.field()?,
                fraction: fraction(a)?,
                feedback: a.optional("feedback")?,
            })
        })
        .collect()
}

fn true_false(node: &Node) -> Result<ForeignQuestion, ReadError> {
    let mut from_true = None;
    let mut from_false = None;
    let mut feedback_true = None;
    let mut feedback_false = None;
    for (i, a) in node.all("answer").enumerate() {
        let full = (fraction(a)? - 1.0).abs() < 1e-9;
        // Old files hold localised answer texts; Moodle then takes the first answer as "true".
        let is_true = match a.field()?.to_lowercase().as_str() {
            "true" => true,
            "false" => false,
            _ => i == 0,
        };
        if is_true {
            from_true = Some(full);
            feedback_true = a.optional("feedback")?;
        } else {
            from_false = Some(!full);
            feedback_false = a.optional("feedback")?;
        }
    }
    let Some(answer) = from_true.or(from_false) else {
        return Err(ReadError {
            line: node.line,
            message: "a true/false question has no <answer>".to_owned(),
        });
    };
    Ok(ForeignQuestion::TrueFalse {
        answer,
        feedback_true,
        feedback_false,
    })
}

fn numerical(node: &Node) -> Result<ForeignQuestion, ReadError> {
    let mut answers = Vec::new();
    for a in node.all("answer") {
        let raw = a.field()?;
        // `*` is Moodle's "any other answer", which carries feedback but no number.
        if raw.is_empty() || raw == "*" {
            continue;
        }
        let value = parse_number(&raw, a.line, "the numerical answer")?;
        let tolerance = a.number("tolerance")?.unwrap_or(0.0);
        answers.push((value, tolerance, fraction(a)?));
    }
    if answers.is_empty() {
        return Err(ReadError {
            line: node.line,
            message: "a numerical question has no <answer> with a number".to_owned(),
        });
    }
    Ok(ForeignQuestion::Numerical { answers })
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::domain::item::{Difficulty, ItemId, Subject};
    use crate::domain::taxonomy::TagCode;
    use crate::domain::template::Template;

    fn t(zh: &str, en: &str) -> Text {
        Text::new(zh.to_owned(), en.to_owned())
    }

    fn opt(id: &str, zh: &str, en: &str) -> ChoiceOption {
        ChoiceOption {
            id: id.to_owned(),
            text: t(zh, en),
        }
    }

    fn item(id: &str, tags: &[&str], points: u32, explanation: Text, response: Response) -> Item {
        Item {
            id: ItemId::parse(id).unwrap_or_else(|e| panic!("{e}")),
            subject: Subject::A,
            tags: tags
                .iter()
                .map(|t| TagCode::parse(t).unwrap_or_else(|e| panic!("{e}")))
                .collect(),
            difficulty: Difficulty::new(2).unwrap_or_else(|| panic!("difficulty 2")),
            rules: vec!["Incoterms 2020".to_owned()],
            sources: vec!["Incoterms 2020, FOB A2/A3".to_owned()],
            body: Body::Question(Question {
                stem: stem(id),
                explanation,
                points,
                response,
            }),
            template: None,
        }
    }

    /// A stem full of the characters GIFT, XML and HTML treat specially.
    pub(in crate::bank::interchange) fn stem(id: &str) -> Text {
        t(
            &format!(
                "【{id}】在 **FOB** 下，\"风险\" 何时转移？\n\n提示：见 `A3` {{注意}} ~ = # : < > & \\ ]]> #### %50% // 不是注释"
            ),
            &format!(
                "[{id}] Under **FOB**, when does \"risk\" pass?\n\nHint: see `A3` {{note}} ~x =y #z a:b <c> & \\ ]]> ####\n- a list item"
            ),
        )
    }

    /// One item of every kind Moodle can hold, then a case and a template that it cannot.
    pub(in crate::bank::interchange) fn sample_items() -> Vec<Item> {
        let explanation = t(
            "风险在货物装上船时转移：*A3* 规定 {交货} = 装船 # 注意 <b>",
            "Risk passes once the goods are **on board**: A3 says {deliver} = load ~ #1 <b>",
        );
        let single = item(
            "T3.1-0001",
            &["T3.1"],
            1,
            explanation.clone(),
            Response::Single {
                options: vec![
                    opt("a", "货物交给承运人时", "When handed to the *carrier*"),
                    opt("b", "货物装上船时", "When the goods are \"on board\" {=}"),
                    opt("c", "货物到达目的港时", "On arrival: port ~ #2 <x>"),
                ],
                key: "b".to_owned(),
            },
        );
        let multiple = item(
            "T3.2-0002",
            &["T3.2", "T3.1"],
            2,
            explanation.clone(),
            Response::Multiple {
                options: vec![
                    opt("a", "FOB", "FOB"),
                    opt("b", "CFR", "CFR = cost & freight"),
                    opt("c", "CIF", "CIF {insurance}"),
                    opt("d", "DAP", "DAP: ~not~ sea-only"),
                ],
                keys: vec!["a".to_owned(), "b".to_owned(), "c".to_owned()],
            },
        );
        let true_false = item(
            "T3.1-0003",
            &["T3.1"],
            1,
            t("", ""),
            Response::TrueFalse { key: false },
        );
        let fill = item(
            "T3.1-0004",
            &["T3.1"],
            1,
            explanation.clone(),
            Response::Fill {
                accept: vec![
                    "CIF".to_owned(),
                    "成本、保险费加运费".to_owned(),
                    "a=b ~c #d :e {f} *g".to_owned(),
                    "1]]>2 <3 & 4>".to_owned(),
                ],
            },
        );
        let numeric = item(
            "T3.1-0005",
            &["T3.1"],
            2,
            explanation.clone(),
            Response::Numeric {
                value: NumericKey::Number(-1234.5),
                tolerance: 0.05,
                unit: Some(t("美元", "USD")),
            },
        );
        let written = item(
            "T3.1-0006",
            &["T3.1"],
            5,
            explanation.clone(),
            Response::Written {
                model_answer: t(
                    "卖方在装运港把货物装上船。\n\n风险 = 此时转移 {A3}",
                    "The seller loads the goods **on board** at the port.\n\nRisk passes: #A3 ~ <now>",
                ),
                rubric: vec![
                    Criterion {
                        text: t("指出装船 {A2}", "Names loading on board: A2"),
                        points: 3,
                    },
                    Criterion {
                        text: t("说明风险转移", "Explains \"risk\" = passing"),
                        points: 2,
                    },
                ],
            },
        );
        let case = Item {
            id: ItemId::parse("T3.1-0007").unwrap_or_else(|e| panic!("{e}")),
            body: Body::Case(crate::domain::item::Case {
                material: t("材料", "Material"),
                explanation: None,
                parts: Vec::new(),
            }),
            ..single.clone()
        };
        let template = Item {
            id: ItemId::parse("T3.1-0008").unwrap_or_else(|e| panic!("{e}")),
            template: Some(Template {
                vars: Vec::new(),
                derived: Vec::new(),
                examples: Vec::new(),
            }),
            ..numeric.clone()
        };
        vec![
            single, multiple, true_false, fill, numeric, written, case, template,
        ]
    }

    pub(in crate::bank::interchange) fn statuses(items: &[Item]) -> Vec<(&Item, Status)> {
        items
            .iter()
            .enumerate()
            .map(|(i, it)| {
                let s = if i % 2 == 0 {
                    Status::Published
                } else {
                    Status::Draft
                };
                (it, s)
            })
            .collect()
    }

    pub(in crate::bank::interchange) fn question_of(item: &Item) -> &Question {
        match &item.body {
            Body::Question(q) => q,
            Body::Case(_) => panic!("a case has no single question"),
        }
    }

    pub(in crate::bank::interchange) fn expected_not_exported() -> Vec<(String, String)> {
        vec![
            (
                "T3.1-0007".to_owned(),
                "Moodle has no case groups".to_owned(),
            ),
            (
                "T3.1-0008".to_owned(),
                "calculation templates have no Moodle equivalent here".to_owned(),
            ),
        ]
    }

    /// Checks what both Moodle formats carry for every sample item: texts, keys, fractions, tolerance.
    pub(in crate::bank::interchange) fn assert_questions_round_trip(
        items: &[Item],
        read: &[Foreign],
    ) {
        assert_eq!(read.len(), 6);
        for (item, f) in items.iter().zip(read) {
            let q = question_of(item);
            assert_eq!(f.name.as_deref(), Some(item.id.as_str()));
            assert_eq!(f.idnumber.as_deref(), Some(item.id.as_str()));
            assert_eq!(f.format, "markdown");
            assert_eq!(f.text, multilang(&q.stem), "{}", item.id);
            assert_eq!(f.general_feedback, general_feedback(q), "{}", item.id);
            match (&q.response, &f.question) {
                (
                    Response::Single { options, key },
                    ForeignQuestion::Choice { answers, multiple },
                ) => {
                    assert!(!multiple);
                    assert_eq!(answers.len(), options.len());
                    for (o, a) in options.iter().zip(answers) {
                        assert_eq!(a.text, option_text(o));
                        assert_eq!(a.fraction, if &o.id == key { 1.0 } else { 0.0 });
                        assert_eq!(a.feedback, None);
                    }
                }
                (
                    Response::Multiple { options, keys },
                    ForeignQuestion::Choice { answers, multiple },
                ) => {
                    assert!(multiple);
                    let fractions: Vec<f64> = answers.iter().map(|a| a.fraction).collect();
                    assert_eq!(fractions, vec![0.3333333, 0.3333333, 0.3333333, -1.0]);
                    for (o, a) in options.iter().zip(answers) {
                        assert_eq!(a.text, option_text(o));
                        assert_eq!(a.fraction > 0.0, keys.contains(&o.id));
                    }
                }
                (Response::TrueFalse { key }, ForeignQuestion::TrueFalse { answer, .. }) => {
                    assert_eq!(answer, key);
                }
                (Response::Fill { accept }, ForeignQuestion::Short { answers }) => {
                    let texts: Vec<&str> = answers.iter().map(|a| a.text.as_str()).collect();
                    assert_eq!(texts, accept.iter().map(String::as_str).collect::<Vec<_>>());
                    assert!(answers.iter().all(|a| a.fraction == 1.0));
                }
                (
                    Response::Numeric {
                        value: NumericKey::Number(v),
                        tolerance,
                        ..
                    },
                    ForeignQuestion::Numerical { answers },
                ) => {
                    assert_eq!(answers, &vec![(*v, *tolerance, 1.0)]);
                }
                (Response::Written { .. }, ForeignQuestion::Essay { .. }) => {}
                (r, f) => panic!("{r:?} was read as {f:?}"),
            }
        }
    }

    #[test]
    fn multilang_spans_escape_markup_exactly() {
        assert_eq!(
            multilang(&t("离岸价 <FOB> & \"装船\"", "Free *on* board = 'FOB' >")),
            "<span lang=\"zh\" class=\"multilang\">离岸价 &lt;FOB&gt; &amp; &quot;装船&quot;</span>\
             <span lang=\"en\" class=\"multilang\">Free *on* board = 'FOB' &gt;</span>"
        );
        assert_eq!(
            option_text(&opt("c", "甲", "A")),
            "<!--id:c--><span lang=\"zh\" class=\"multilang\">甲</span><span lang=\"en\" class=\"multilang\">A</span>"
        );
    }

    #[test]
    fn written_items_keep_the_model_answer_first_and_the_rubric_with_points() {
        let info = grader_info(
            &t("答案", "Answer"),
            &[Criterion {
                text: t("要点", "Point"),
                points: 3,
            }],
        );
        assert_eq!(
            info,
            "<span lang=\"zh\" class=\"multilang\">答案</span><span lang=\"en\" class=\"multilang\">Answer</span>\n\n\
             <!--tiku:rubric--><span lang=\"zh\" class=\"multilang\">评分标准</span><span lang=\"en\" class=\"multilang\">Rubric</span>\n\n\
             - (3) <span lang=\"zh\" class=\"multilang\">要点</span><span lang=\"en\" class=\"multilang\">Point</span>"
        );
    }

    #[test]
    fn multiple_answer_grades_are_moodles() {
        let grades: Vec<Option<&str>> = (1..=11).map(key_grade).collect();
        assert_eq!(
            grades,
            vec![
                Some("100"),
                Some("50"),
                Some("33.33333"),
                Some("25"),
                Some("20"),
                Some("16.66667"),
                Some("14.28571"),
                Some("12.5"),
                Some("11.11111"),
                Some("10"),
                None
            ]
        );
        for k in (1..=10).chain([20]) {
            let grade: f64 = key_grade(k).and_then(|g| g.parse().ok()).unwrap_or(0.0);
            assert!((grade * k as f64 - 100.0).abs() < 0.001, "{k} keys");
        }
    }

    #[test]
    fn xml_round_trip_keeps_texts_keys_ids_and_metadata() {
        let items = sample_items();
        let (xml, not_exported) = write(&statuses(&items));
        assert_eq!(not_exported, expected_not_exported());
        let read = read(&xml);
        assert_eq!(read.errors, vec![], "{xml}");
        assert_eq!(read.skipped, vec![]);
        assert_questions_round_trip(&items, &read.questions);

        for ((item, status), f) in statuses(&items).into_iter().zip(&read.questions) {
            let q = question_of(item);
            assert_eq!(f.tags, meta_tags(item, status, q));
            assert_eq!(f.default_mark, Some(f64::from(q.points)));
            assert_eq!(f.category, None);
        }
        assert_eq!(
            read.questions[1].tags,
            vec![
                "tiku:subject:A",
                "tiku:tag:T3.2",
                "tiku:tag:T3.1",
                "tiku:difficulty:2",
                "tiku:rule:Incoterms 2020",
                "tiku:source:Incoterms 2020, FOB A2/A3",
                "tiku:status:draft",
                "tiku:points:2",
            ]
        );
        assert_eq!(
            read.questions[4].tags[6..],
            ["tiku:points:2", "tiku:unit:zh:美元", "tiku:unit:en:USD"]
        );
        let Response::Written {
            model_answer,
            rubric,
        } = &question_of(&items[5]).response
        else {
            panic!("the sixth sample is written");
        };
        assert_eq!(
            read.questions[5].question,
            ForeignQuestion::Essay {
                grader_info: Some(grader_info(model_answer, rubric))
            }
        );
        assert_eq!(
            read.questions[3].question,
            ForeignQuestion::Short {
                answers: [
                    "CIF",
                    "成本、保险费加运费",
                    "a=b ~c #d :e {f} *g",
                    "1]]>2 <3 & 4>"
                ]
                .into_iter()
                .map(|a| ForeignAnswer {
                    text: a.to_owned(),
                    fraction: 1.0,
                    feedback: None
                })
                .collect()
            }
        );
    }

    #[test]
    fn xml_export_reads_as_moodle_expects() {
        let items = sample_items();
        let (xml, _) = write(&statuses(&items[..4]));
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<quiz>\n"));
        assert!(xml.ends_with("</quiz>\n"));
        assert!(xml.contains("<question type=\"multichoice\">"));
        assert!(xml.contains("<single>true</single>"));
        assert!(xml.contains("<single>false</single>"));
        assert!(xml.contains("<answer fraction=\"33.33333\" format=\"markdown\">"));
        assert!(xml.contains("<answer fraction=\"-100\" format=\"markdown\">"));
        assert!(xml.contains("<questiontext format=\"markdown\">"));
        assert!(xml.contains("<idnumber>T3.1-0001</idnumber>"));
        assert!(xml.contains("<defaultgrade>2</defaultgrade>"));
        // A `]]>` in the text splits the CDATA section instead of ending it early.
        assert!(xml.contains("]]]]><![CDATA[>"), "{xml}");
        assert!(xml.contains("    <name>\n      <text>T3.1-0001</text>\n    </name>\n"));
    }

    #[test]
    fn moodle_documentation_examples_read_as_documented() {
        let r = read(include_str!(
            "../../../tests/fixtures/moodle/moodle-docs.xml"
        ));
        assert_eq!(r.errors, vec![]);
        let qs = &r.questions;
        assert_eq!(qs.len(), 8, "{qs:#?}");

        // Multiple choice, one right answer, with every common field.
        let mc = &qs[0];
        assert_eq!(mc.name.as_deref(), Some("Closest planet"));
        assert_eq!(mc.text, "<p>Which planet is <b>closest</b> to the Sun?</p>");
        assert_eq!(mc.format, "html");
        assert_eq!(mc.category.as_deref(), Some("$course$/top/Examples"));
        assert_eq!(mc.idnumber.as_deref(), Some("astro-2"));
        assert_eq!(mc.tags, vec!["planets", "easy"]);
        assert_eq!(mc.default_mark, Some(1.0));
        assert_eq!(
            mc.general_feedback.as_deref(),
            Some("Mercury orbits nearest the Sun.")
        );
        assert_eq!(
            mc.question,
            ForeignQuestion::Choice {
                answers: vec![
                    ForeignAnswer {
                        text: "Mercury".into(),
                        fraction: 1.0,
                        feedback: Some("Correct!".into())
                    },
                    ForeignAnswer {
                        text: "Venus".into(),
                        fraction: 0.0,
                        feedback: Some("Second closest.".into())
                    },
                    ForeignAnswer {
                        text: "Mars".into(),
                        fraction: 0.0,
                        feedback: Some("Fourth from the Sun.".into())
                    },
                ],
                multiple: false
            }
        );

        // Multiple choice with several right answers (`<single>false</single>`).
        let ForeignQuestion::Choice { answers, multiple } = &qs[1].question else {
            panic!("{:?}", qs[1]);
        };
        assert!(multiple);
        let fractions: Vec<f64> = answers.iter().map(|a| a.fraction).collect();
        assert_eq!(fractions, vec![0.5, 0.5, -1.0, -1.0]);
        assert_eq!(qs[1].default_mark, Some(2.0));

        // True/false with feedback on each answer.
        assert_eq!(qs[2].format, "moodle");
        assert_eq!(
            qs[2].question,
            ForeignQuestion::TrueFalse {
                answer: true,
                feedback_true: Some("Correct!".into()),
                feedback_false: Some("No: it does.".into()),
            }
        );

        // Short answer: every accepted answer at 100 %.
        let ForeignQuestion::Short { answers } = &qs[3].question else {
            panic!("{:?}", qs[3]);
        };
        let accepted: Vec<(&str, f64)> = answers
            .iter()
            .map(|a| (a.text.as_str(), a.fraction))
            .collect();
        assert_eq!(
            accepted,
            vec![("carbon dioxide", 1.0), ("CO2", 1.0), ("oxygen", 0.0)]
        );

        // Essay: the information for graders.
        assert_eq!(
            qs[4].question,
            ForeignQuestion::Essay {
                grader_info: Some("Mentions evaporation, condensation and rain.".into())
            }
        );
        assert_eq!(qs[4].text, "Describe the water cycle in a few sentences.");

        // Numerical: value, tolerance and fraction of each answer; the `*` answer has no number.
        assert_eq!(
            qs[5].question,
            ForeignQuestion::Numerical {
                answers: vec![(1969.0, 0.0, 1.0), (1969.0, 2.0, 0.5)]
            }
        );
        assert_eq!(
            qs[6].question,
            ForeignQuestion::Numerical {
                answers: vec![(23.0, 0.0, 1.0)]
            }
        );

        // A second category applies to the questions after it.
        assert_eq!(qs[6].category.as_deref(), Some("$course$/top/Examples"));
        assert_eq!(
            qs[7].category.as_deref(),
            Some("$course$/top/Examples/Science")
        );
        assert_eq!(qs[7].format, "markdown");
        assert_eq!(qs[7].text, "Which gas do *plants* take in?");

        // Types the bank cannot hold are skipped with their type named, never dropped.
        let skipped: Vec<&str> = r.skipped.iter().map(|s| s.reason.as_str()).collect();
        assert_eq!(skipped.len(), 5, "{skipped:?}");
        assert!(skipped[0].contains("`matching`"), "{skipped:?}");
        assert!(skipped[1].contains("`cloze`"), "{skipped:?}");
        assert!(skipped[2].contains("`description`"), "{skipped:?}");
        assert!(skipped[3].contains("`calculated`"), "{skipped:?}");
        assert!(skipped[4].contains("`ddwtos`"), "{skipped:?}");

        // Every record knows the line its question starts on.
        let text = include_str!("../../../tests/fixtures/moodle/moodle-docs.xml");
        for q in qs {
            let line = text.lines().nth(q.line - 1).unwrap_or_default();
            assert!(line.trim_start().starts_with("<question type="), "{line}");
        }
        for s in &r.skipped {
            let line = text.lines().nth(s.line - 1).unwrap_or_default();
            assert!(line.trim_start().starts_with("<question type="), "{line}");
        }
    }

    #[test]
    fn malformed_xml_is_an_error_at_its_line() {
        let r = read(
            "<?xml version=\"1.0\"?>\n<quiz>\n  <question type=\"essay\">\n    <questiontext><text>Hi</text></questiontext>\n  </quiz>\n",
        );
        assert_eq!(r.errors.len(), 1, "{r:?}");
        assert_eq!(r.errors[0].line, 5, "{r:?}");
        assert!(r.errors[0].message.contains("does not parse"), "{r:?}");

        let r = read(
            "<quiz>\n<question type=\"essay\">\n<questiontext><text>Hi</text></questiontext>\n",
        );
        assert_eq!(
            r.errors,
            vec![ReadError {
                line: 2,
                message: "<question> opened on line 2 is never closed".into()
            }]
        );

        let r = read("<questions/>");
        assert!(
            r.errors[0]
                .message
                .contains("a Moodle XML file is a <quiz>"),
            "{r:?}"
        );
        let r = read("just text");
        assert!(r.errors[0].message.contains("no <quiz>"), "{r:?}");
    }

    #[test]
    fn questions_before_a_parse_error_are_kept_and_bad_values_named() {
        let xml = "<quiz>\n\
            <question type=\"truefalse\"><questiontext><text>Sky is blue</text></questiontext>\
            <answer fraction=\"100\"><text>true</text></answer><answer fraction=\"0\"><text>false</text></answer></question>\n\
            <question type=\"multichoice\"><questiontext><text>A</text></questiontext>\n\
            <answer fraction=\"lots\"><text>x</text></answer><answer><text>y</text></answer></question>\n\
            <question type=\"essay\"><questiontext><text><p>raw HTML</p></text></questiontext></question>\n\
            <question type=\"numerical\"><questiontext><text>N</text></questiontext><answer fraction=\"100\"><text>1,5</text></answer></question>\n\
            <question type=\"shortanswer\"><questiontext><text>S &nbsp; T</text></questiontext></question>\n\
            </quiz>";
        let r = read(xml);
        assert_eq!(r.questions.len(), 1);
        assert_eq!(r.questions[0].line, 2);
        let errors: Vec<(usize, &str)> = r
            .errors
            .iter()
            .map(|e| (e.line, e.message.as_str()))
            .collect();
        assert_eq!(
            errors,
            vec![
                (4, "the answer's fraction `lots` is not a number"),
                (
                    5,
                    "<text> holds the element <p>: put HTML inside <![CDATA[ … ]]> or escape its `<` as `&lt;`"
                ),
                (6, "the numerical answer `1,5` is not a number"),
                (
                    7,
                    "`&nbsp;` is not an XML entity (write `&amp;` for a literal `&`)"
                ),
            ]
        );
    }
}
