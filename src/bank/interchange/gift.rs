//! Moodle GIFT: reading a GIFT text into [`Foreign`] records, and writing bank items as GIFT.
//!
//! # Reading
//!
//! Questions are separated by blank lines; lines starting with `//` are comments. A question is
//! `::title::` (optional), then the text with an optional format prefix (`[html]`, `[markdown]`,
//! `[plain]`, `[moodle]`, the default), then one answer block `{…}`; text on both sides of the block
//! makes a "missing word" question, whose text shows the block as `_____`. `\~ \= \# \{ \} \: \\` stand
//! for the characters themselves and `\n` for a line break. Inside the block:
//!
//! - `=right ~wrong` is multiple choice; `~%50%a ~%-100%b` gives weights; `#text` after an answer is its
//!   feedback. Multiple choice is `multiple` when it has no `=` answer (Moodle's rule) or when more than
//!   one answer earns a positive fraction;
//! - `T`, `TRUE`, `F`, `FALSE` is true/false, with `#feedback for a wrong answer#feedback for a right one`;
//! - `=a =b` without `~` is a short answer (weights `=%50%b` allowed; `\*` is read as `*`);
//! - `#3.14:0.01`, `#1..5` and `#=%100%3:0 =%50%3:1` are numerical, read as `(value, tolerance,
//!   fraction)`; a wrong-answer feedback (`~#…`) and numerical feedback have nowhere to go and are left
//!   out;
//! - an empty block `{}` is an essay; `####text` at the end of any block is general feedback.
//!
//! `$CATEGORY: path` sets the category of the questions after it. In comments, `[id:…]` gives the
//! Moodle idnumber and each `[tag:…]` a tag (as Moodle 3.6 and later read them), and a comment
//! `// tiku: {json}`, which exports write, is kept as the tag `tiku-meta:{json}`. Matching questions
//! (`=a -> b`) and descriptions (text without a block) are [`Skipped`] with the reason. Unbalanced
//! braces, an answer without `=` or `~` (Moodle would take `{Grant}` as a short answer; here it is
//! more likely a slip), a weight or number that does not parse and an unclosed title are
//! [`ReadError`]s at their line; the questions around an error are still read. Each record carries the
//! line of its question's first line that is not a comment.
//!
//! # Writing
//!
//! Each item becomes (see [`super::moodle`] for the mapping of kinds and for the multilang texts):
//!
//! ```text
//! // tiku: {"id":"T3.1-0001","subject":"A","tags":["T3.1"],"difficulty":2,"rules":[…],"sources":[…],"status":"published","points":1}
//! // [id:T3.1-0001]
//! ::T3.1-0001::[markdown]<span lang\="zh" class\="multilang">…</span><span lang\="en" class\="multilang">…</span>{
//!     ~<!--id\:a-->…
//!     =<!--id\:b-->…
//!     ####<span …>explanation</span>…
//! }
//! ```
//!
//! The JSON comment holds the metadata Moodle has no place for (Moodle ignores comments): id, subject,
//! tags, difficulty, rules, sources, status and points, and where they apply the numeric unit
//! (`"unit": {"zh", "en"}`), a written item's `model_answer` (`{"zh", "en"}`) and `rubric`
//! (`[{"zh", "en", "points"}]`). GIFT has no default mark and no information for graders, so points and
//! a written item's model answer and rubric reach Moodle only through that comment; Moodle's own import
//! drops them (use Moodle XML for written items). Every text is escaped as Moodle's own export does it:
//! `\ ~ = # { } :` get a backslash, line breaks become `\n`, and carriage returns are dropped.

use serde::Serialize;

use super::foreign::{
    Foreign, ForeignAnswer, ForeignQuestion, NotExported, ReadError, ReadResult, Skipped,
};
use super::moodle::{
    WRONG_GRADE, accepted, exportable, fraction_of, general_feedback, key_grade, multilang,
    option_text, short_answer,
};
use crate::domain::Text;
use crate::domain::item::{Criterion, Item, NumericKey, Question, Response, Status};

// ------------------------------------------------------------------------------------------------
// Writing
// ------------------------------------------------------------------------------------------------

/// The metadata of the `// tiku: {json}` comment.
#[derive(Serialize)]
struct Meta<'a> {
    id: &'a str,
    subject: &'a str,
    tags: Vec<&'a str>,
    difficulty: u8,
    rules: &'a [String],
    sources: &'a [String],
    status: &'a str,
    points: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    unit: Option<&'a Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    model_answer: Option<&'a Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rubric: Option<&'a [Criterion]>,
}

impl<'a> Meta<'a> {
    fn of(item: &'a Item, status: Status, q: &'a Question) -> Meta<'a> {
        let (unit, model_answer, rubric) = match &q.response {
            Response::Numeric { unit, .. } => (unit.as_ref(), None, None),
            Response::Written {
                model_answer,
                rubric,
            } => (None, Some(model_answer), Some(rubric.as_slice())),
            _ => (None, None, None),
        };
        Meta {
            id: item.id.as_str(),
            subject: item.subject.code(),
            tags: item.tags.iter().map(|t| t.as_str()).collect(),
            difficulty: item.difficulty.get(),
            rules: &item.rules,
            sources: &item.sources,
            status: status.code(),
            points: item.points(),
            unit,
            model_answer,
            rubric,
        }
    }
}

/// Escapes GIFT's control characters, as Moodle's export does.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '~' | '=' | '#' | '{' | '}' | ':' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            '\r' => {}
            _ => out.push(c),
        }
    }
    out
}

/// Writes the items as GIFT. Returns the text and the ids not exported, with the reason (cases,
/// calculation templates, formula keys, multiple-answer items whose key count has no Moodle grade).
pub fn write(items: &[(&Item, Status)]) -> (String, NotExported) {
    let mut out = String::new();
    let mut not_exported = Vec::new();
    for (item, status) in items {
        match question(item, *status) {
            Ok(text) => out.push_str(&text),
            Err(reason) => not_exported.push((item.id.to_string(), reason)),
        }
    }
    (out, not_exported)
}

fn question(item: &Item, status: Status) -> Result<String, String> {
    let q = exportable(item)?;
    let meta = serde_json::to_string(&Meta::of(item, status, q))
        .map_err(|e| format!("its metadata cannot be written as JSON: {e}"))?;
    let id = item.id.as_str();
    let mut out = format!(
        "// tiku: {meta}\n// [id:{id}]\n::{}::[markdown]{}",
        escape(id),
        escape(&multilang(&q.stem))
    );
    let feedback = general_feedback(q).map(|f| format!("####{}", escape(&f)));
    let mut block = |answers: Vec<String>, prefix: &str| {
        out.push('{');
        out.push_str(prefix);
        out.push('\n');
        for a in answers.iter().chain(&feedback) {
            out.push('\t');
            out.push_str(a);
            out.push('\n');
        }
        out.push_str("}\n");
    };
    match &q.response {
        Response::Single { options, key } => block(
            options
                .iter()
                .map(|o| {
                    let mark = if &o.id == key { "=" } else { "~" };
                    format!("{mark}{}", escape(&option_text(o)))
                })
                .collect(),
            "",
        ),
        Response::Multiple { options, keys } => {
            let right = key_grade(keys.len()).unwrap_or("0");
            block(
                options
                    .iter()
                    .map(|o| {
                        let grade = if keys.contains(&o.id) {
                            right
                        } else {
                            WRONG_GRADE
                        };
                        format!("~%{grade}%{}", escape(&option_text(o)))
                    })
                    .collect(),
                "",
            );
        }
        Response::Fill { accept } => block(
            accept
                .iter()
                .map(|a| format!("=%100%{}", escape(&short_answer(a))))
                .collect(),
            "",
        ),
        Response::Numeric {
            value, tolerance, ..
        } => {
            let value = match value {
                NumericKey::Number(v) => v.to_string(),
                // `exportable` refuses formula keys before anything is written.
                NumericKey::Formula(f) => escape(f),
            };
            block(vec![format!("=%100%{value}:{tolerance}")], "#");
        }
        Response::TrueFalse { key } => {
            out.push('{');
            out.push_str(if *key { "TRUE" } else { "FALSE" });
            out.push_str(feedback.as_deref().unwrap_or_default());
            out.push_str("}\n");
        }
        Response::Written { .. } => {
            out.push('{');
            out.push_str(feedback.as_deref().unwrap_or_default());
            out.push_str("}\n");
        }
    }
    out.push('\n');
    Ok(out)
}

// ------------------------------------------------------------------------------------------------
// Reading
// ------------------------------------------------------------------------------------------------

/// One character of a question's text: `lit` when a backslash made it stand for itself (so it is never
/// a control character), with the line it is on for error messages.
#[derive(Clone, Copy, Debug)]
struct Ch {
    c: char,
    lit: bool,
    line: usize,
}

/// True when `ch` is the control character `c`.
fn is(ch: &Ch, c: char) -> bool {
    !ch.lit && ch.c == c
}

fn matches_at(s: &[Ch], i: usize, pattern: &[char]) -> bool {
    s.len() >= i + pattern.len() && pattern.iter().enumerate().all(|(j, &p)| is(&s[i + j], p))
}

/// Where the control characters `pattern` first appear.
fn find(s: &[Ch], pattern: &str) -> Option<usize> {
    let p: Vec<char> = pattern.chars().collect();
    (0..s.len()).find(|&i| matches_at(s, i, &p))
}

/// Where the control characters `pattern` last appear.
fn rfind(s: &[Ch], pattern: &str) -> Option<usize> {
    let p: Vec<char> = pattern.chars().collect();
    (0..s.len()).rev().find(|&i| matches_at(s, i, &p))
}

fn starts_with(s: &[Ch], pattern: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    matches_at(s, 0, &p)
}

fn trim(s: &[Ch]) -> &[Ch] {
    let start = s
        .iter()
        .position(|c| !c.c.is_whitespace())
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|c| !c.c.is_whitespace())
        .map_or(start, |i| i + 1);
    &s[start..end]
}

fn string(s: &[Ch]) -> String {
    s.iter().map(|c| c.c).collect()
}

/// The line a piece of text starts on (or `fallback` for an empty piece).
fn line_of(s: &[Ch], fallback: usize) -> usize {
    s.first().map_or(fallback, |c| c.line)
}

/// Decodes the escapes of the question's lines, which are joined with line breaks.
fn decode(lines: &[(usize, &str)]) -> Vec<Ch> {
    let mut out = Vec::new();
    for (k, &(line, text)) in lines.iter().enumerate() {
        if k > 0 {
            out.push(Ch {
                c: '\n',
                lit: false,
                line,
            });
        }
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(Ch {
                    c,
                    lit: false,
                    line,
                });
                continue;
            }
            let ch = match chars.peek() {
                Some(&n @ ('\\' | ':' | '#' | '=' | '{' | '}' | '~')) => {
                    chars.next();
                    n
                }
                Some('n') => {
                    chars.next();
                    '\n'
                }
                // A backslash before anything else is itself.
                _ => '\\',
            };
            out.push(Ch {
                c: ch,
                lit: true,
                line,
            });
        }
    }
    out
}

const FORMATS: [&str; 4] = ["html", "moodle", "plain", "markdown"];

/// Takes a `[format]` prefix off a trimmed text: the format (or `default`) and the text, trimmed.
fn with_format<'a>(s: &'a [Ch], default: &str) -> (String, &'a [Ch]) {
    let s = trim(s);
    if s.first().is_some_and(|c| c.c == '[')
        && let Some(end) = s.iter().position(|c| c.c == ']')
    {
        let name = string(&s[1..end]);
        if FORMATS.contains(&name.as_str()) {
            return (name, trim(&s[end + 1..]));
        }
    }
    (default.to_owned(), s)
}

/// A text of an answer or a feedback, without its format prefix.
fn plain(s: &[Ch]) -> String {
    string(with_format(s, "").1)
}

fn error(line: usize, message: impl Into<String>) -> ReadError {
    ReadError {
        line,
        message: message.into(),
    }
}

/// One answer of a block: the control character before it (`=` or `~`), and the rest.
struct Part<'a> {
    mark: Option<char>,
    body: &'a [Ch],
}

/// Splits a block before each of the control characters `marks`.
fn split_marks<'a>(s: &'a [Ch], marks: &[char]) -> Vec<Part<'a>> {
    let mut parts = vec![Part {
        mark: None,
        body: &s[..0],
    }];
    let mut start = 0;
    for (i, ch) in s.iter().enumerate() {
        if let Some(&m) = marks.iter().find(|&&m| is(ch, m)) {
            if let Some(last) = parts.last_mut() {
                last.body = &s[start..i];
            }
            parts.push(Part {
                mark: Some(m),
                body: &s[i + 1..],
            });
            start = i + 1;
        }
    }
    if let Some(last) = parts.last_mut() {
        last.body = &s[start..];
    }
    parts
}

/// The answers of a block split by `marks`; text before the first mark is an error.
fn marked<'a>(s: &'a [Ch], marks: &[char], line: usize) -> Result<Vec<Part<'a>>, ReadError> {
    let mut parts = split_marks(s, marks);
    let first = trim(parts.remove(0).body);
    if !first.is_empty() {
        let expected = if marks.contains(&'~') {
            "`=` (right) or `~` (wrong)"
        } else {
            "`=`"
        };
        return Err(error(
            line_of(first, line),
            format!(
                "the answer `{}` does not start with {expected}",
                string(first)
            ),
        ));
    }
    Ok(parts)
}

/// Takes a `%n%` weight off the start of an answer: the fraction (n/100), if any, and the rest.
fn weight(s: &[Ch], line: usize) -> Result<(Option<f64>, &[Ch]), ReadError> {
    let s = trim(s);
    if !s.first().is_some_and(|c| is(c, '%')) {
        return Ok((None, s));
    }
    let line = line_of(s, line);
    let Some(end) = s[1..].iter().position(|c| is(c, '%')) else {
        return Err(error(
            line,
            "the answer weight has no closing `%` (write weights as `%50%`)",
        ));
    };
    let raw = string(&s[1..=end]);
    let percent = raw
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|p| p.is_finite())
        .ok_or_else(|| error(line, format!("the answer weight `%{raw}%` is not a number")))?;
    if !(-100.0..=100.0).contains(&percent) {
        return Err(error(
            line,
            format!("the answer weight `%{raw}%` is not between -100 and 100"),
        ));
    }
    Ok((Some(fraction_of(percent)), &s[end + 2..]))
}

/// Splits `answer#feedback` at the first `#`.
fn feedback(s: &[Ch]) -> (&[Ch], Option<&[Ch]>) {
    match find(s, "#") {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    }
}

/// The feedback after a `#`, when it says anything.
fn feedback_text(s: Option<&[Ch]>) -> Option<String> {
    s.map(plain).filter(|t| !t.is_empty())
}

fn choice(block: &[Ch], line: usize) -> Result<ForeignQuestion, ReadError> {
    let parts = marked(block, &['=', '~'], line)?;
    let single_marked = parts.iter().any(|p| p.mark == Some('='));
    let mut answers = Vec::new();
    for p in parts {
        let (w, rest) = weight(p.body, line)?;
        let fraction = w.unwrap_or(if p.mark == Some('=') { 1.0 } else { 0.0 });
        let (text, fb) = feedback(rest);
        let text = plain(text);
        if text.is_empty() {
            return Err(error(
                line_of(p.body, line),
                "an answer after `=` or `~` is empty",
            ));
        }
        answers.push(ForeignAnswer {
            text,
            fraction,
            feedback: feedback_text(fb),
        });
    }
    if answers.len() < 2 {
        return Err(error(
            line,
            "a multiple-choice question needs at least two answers",
        ));
    }
    let positive = answers.iter().filter(|a| a.fraction > 0.0).count();
    Ok(ForeignQuestion::Choice {
        multiple: !single_marked || positive > 1,
        answers,
    })
}

fn short(block: &[Ch], line: usize) -> Result<ForeignQuestion, ReadError> {
    let mut answers = Vec::new();
    for p in marked(block, &['='], line)? {
        let (w, rest) = weight(p.body, line)?;
        let (text, fb) = feedback(rest);
        let text = accepted(&plain(text));
        if text.is_empty() {
            return Err(error(line_of(p.body, line), "an answer after `=` is empty"));
        }
        answers.push(ForeignAnswer {
            text,
            fraction: w.unwrap_or(1.0),
            feedback: feedback_text(fb),
        });
    }
    if answers.is_empty() {
        return Err(error(line, "a short-answer block has no answers"));
    }
    Ok(ForeignQuestion::Short { answers })
}

fn true_false(block: &[Ch]) -> ForeignQuestion {
    let mut parts = Vec::new();
    let mut rest = block;
    while parts.len() < 2
        && let Some(i) = find(rest, "#")
    {
        parts.push(&rest[..i]);
        rest = &rest[i + 1..];
    }
    parts.push(rest);
    let answer = matches!(string(trim(parts[0])).as_str(), "T" | "TRUE");
    let wrong = feedback_text(parts.get(1).copied());
    let right = feedback_text(parts.get(2).copied());
    let (feedback_true, feedback_false) = if answer {
        (right, wrong)
    } else {
        (wrong, right)
    };
    ForeignQuestion::TrueFalse {
        answer,
        feedback_true,
        feedback_false,
    }
}

fn number(raw: &str, line: usize) -> Result<f64, ReadError> {
    raw.trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| {
            error(
                line,
                format!(
                    "`{}` is not a number (numerical answers are `value`, `value:tolerance` or `min..max`)",
                    raw.trim()
                ),
            )
        })
}

fn numerical(block: &[Ch], line: usize) -> Result<ForeignQuestion, ReadError> {
    // The leading `#` marks the block as numerical; a `~` starts the feedback for wrong answers.
    let mut s = &block[1..];
    if let Some(i) = find(s, "~") {
        s = &s[..i];
    }
    let mut parts = split_marks(s, &['=']);
    if trim(parts[0].body).is_empty() {
        parts.remove(0);
    }
    let mut answers = Vec::new();
    for p in parts {
        let at = line_of(trim(p.body), line);
        let (w, rest) = weight(p.body, line)?;
        let raw = string(trim(feedback(rest).0));
        let (value, tolerance) = if let Some(i) = raw.find("..").filter(|&i| i > 0) {
            let min = number(&raw[..i], at)?;
            let max = number(&raw[i + 2..], at)?;
            ((min + max) / 2.0, (max - min) / 2.0)
        } else if let Some(i) = raw.find(':').filter(|&i| i > 0) {
            (number(&raw[..i], at)?, number(&raw[i + 1..], at)?)
        } else {
            (number(&raw, at)?, 0.0)
        };
        answers.push((value, tolerance, w.unwrap_or(1.0)));
    }
    if answers.is_empty() {
        return Err(error(line, "the numerical block `{#…}` has no answers"));
    }
    Ok(ForeignQuestion::Numerical { answers })
}

/// Every `[key:value]` in a comment, with `\]` standing for `]` (as Moodle reads ids and tags).
fn bracketed(comment: &str, key: &str) -> Vec<String> {
    let open = format!("[{key}:");
    let mut out = Vec::new();
    let mut rest = comment;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        let mut value = String::new();
        let mut end = None;
        let mut chars = after.char_indices().peekable();
        while let Some((j, c)) = chars.next() {
            match c {
                '\\' if chars.peek().is_some_and(|&(_, n)| n == ']') => {
                    value.push(']');
                    chars.next();
                }
                ']' => {
                    end = Some(j + 1);
                    break;
                }
                _ => value.push(c),
            }
        }
        let Some(end) = end else {
            break;
        };
        let value = value.trim();
        if !value.is_empty() {
            out.push(value.to_owned());
        }
        rest = &after[end..];
    }
    out
}

/// What one blank-line-separated block of the file is.
enum Block {
    Nothing,
    Category(String),
    Question(Box<Foreign>),
    Skipped(Skipped),
}

/// Reads a GIFT text. See the module documentation for what it reads and how.
pub fn read(text: &str) -> ReadResult {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = ReadResult::default();
    let mut category: Option<String> = None;
    let mut lines: Vec<(usize, &str)> = Vec::new();
    let numbered = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim()));
    // A blank line ends the last block.
    for (n, line) in numbered.chain([(0, "")]) {
        if !line.is_empty() {
            lines.push((n, line));
            continue;
        }
        if lines.is_empty() {
            continue;
        }
        match block(&lines, category.as_deref()) {
            Ok(Block::Nothing) => {}
            Ok(Block::Category(c)) => category = Some(c),
            Ok(Block::Question(q)) => out.questions.push(*q),
            Ok(Block::Skipped(s)) => out.skipped.push(s),
            Err(e) => out.errors.push(e),
        }
        lines.clear();
    }
    out
}

fn block(lines: &[(usize, &str)], category: Option<&str>) -> Result<Block, ReadError> {
    let (comments, body): (Vec<_>, Vec<_>) = lines.iter().partition(|(_, l)| l.starts_with("//"));
    let Some(&(line, _)) = body.first() else {
        return Ok(Block::Nothing);
    };
    let s = decode(&body);
    let s = trim(&s);

    if starts_with(s, "$CATEGORY:") {
        if let Some(&(next, _)) = body.get(1) {
            return Err(error(
                next,
                "`$CATEGORY:` must stand alone: leave a blank line before the next question",
            ));
        }
        return Ok(Block::Category(string(trim(&s["$CATEGORY:".len()..]))));
    }

    let mut idnumber = None;
    let mut tags = Vec::new();
    for (_, comment) in &comments {
        let after = comment.trim_start_matches('/').trim_start();
        if let Some(json) = after.strip_prefix("tiku:") {
            tags.push(format!("tiku-meta:{}", json.trim()));
            continue;
        }
        if idnumber.is_none() {
            idnumber = bracketed(comment, "id").into_iter().next();
        }
        tags.extend(bracketed(comment, "tag"));
    }

    let (name, s) = if starts_with(s, "::") {
        let Some(end) = find(&s[2..], "::") else {
            return Err(error(
                line,
                "the title opened with `::` is not closed with `::` (write `\\:` for a literal colon)",
            ));
        };
        let name = string(trim(&s[2..2 + end]));
        ((!name.is_empty()).then_some(name), trim(&s[2 + end + 2..]))
    } else {
        (None, s)
    };

    let (open, close) = (find(s, "{"), find(s, "}"));
    let (open, close) = match (open, close) {
        (None, None) => {
            return Ok(Block::Skipped(Skipped {
                line,
                reason:
                    "a description (text without an answer block `{…}`): the bank has no such kind"
                        .to_owned(),
            }));
        }
        (None, Some(c)) => {
            return Err(error(
                s[c].line,
                "`}` closes no answer block (write `\\}` for a literal brace)",
            ));
        }
        (Some(o), None) => {
            return Err(error(
                s[o].line,
                "unclosed `{`: the answer block opened here has no `}` (write `\\{` for a literal brace)",
            ));
        }
        (Some(o), Some(c)) if c < o => {
            return Err(error(
                s[c].line,
                "`}` comes before the answer block's `{` (write `\\}` for a literal brace)",
            ));
        }
        (Some(o), Some(c)) => (o, c),
    };
    if let Some(i) = find(&s[open + 1..close], "{") {
        return Err(error(
            s[open + 1 + i].line,
            "`{` inside an answer block: the block opened before is not closed (write `\\{` for a literal brace)",
        ));
    }
    let after = &s[close + 1..];
    if let Some(i) = find(after, "{").or_else(|| find(after, "}")) {
        return Err(error(
            after[i].line,
            "a question has one answer block `{…}`; escape other braces as `\\{` and `\\}`",
        ));
    }

    // The question's text: the answer block is left out, or shown as a blank in a missing-word question.
    let mut question_text: Vec<Ch> = s[..open].to_vec();
    if !trim(after).is_empty() {
        question_text.extend("_____".chars().map(|c| Ch {
            c,
            lit: true,
            line: s[open].line,
        }));
        question_text.extend_from_slice(after);
    }
    let (format, text) = with_format(&question_text, "moodle");
    let text = string(text);
    if text.is_empty() {
        return Err(error(line, "the question has no text"));
    }

    let mut answer = trim(&s[open + 1..close]);
    let mut general_feedback = None;
    if let Some(i) = rfind(answer, "####") {
        let (_, gf) = with_format(&answer[i + 4..], &format);
        general_feedback = Some(string(gf)).filter(|t| !t.is_empty());
        answer = trim(&answer[..i]);
    }
    let at = line_of(answer, s[open].line);

    let question = if answer.is_empty() {
        ForeignQuestion::Essay { grader_info: None }
    } else if is(&answer[0], '#') {
        numerical(answer, at)?
    } else if find(answer, "~").is_some() {
        choice(answer, at)?
    } else if find(answer, "=").is_some() && find(answer, "->").is_some() {
        return Ok(Block::Skipped(Skipped {
            line,
            reason: "a matching question (`=item -> match`): the bank has no such kind".to_owned(),
        }));
    } else if matches!(
        string(trim(feedback(answer).0)).as_str(),
        "T" | "TRUE" | "F" | "FALSE"
    ) {
        true_false(answer)
    } else {
        short(answer, at)?
    };

    Ok(Block::Question(Box::new(Foreign {
        line,
        name,
        idnumber,
        category: category.map(str::to_owned),
        tags,
        text,
        format,
        general_feedback,
        default_mark: None,
        question,
    })))
}

#[cfg(test)]
mod tests {
    use super::super::moodle::tests::{
        assert_questions_round_trip, expected_not_exported, question_of, sample_items, statuses,
    };
    use super::*;

    fn answer(text: &str, fraction: f64, feedback: Option<&str>) -> ForeignAnswer {
        ForeignAnswer {
            text: text.to_owned(),
            fraction,
            feedback: feedback.map(str::to_owned),
        }
    }

    fn answers_of(q: &Foreign) -> Vec<(String, f64, Option<String>)> {
        match &q.question {
            ForeignQuestion::Choice { answers, .. } | ForeignQuestion::Short { answers } => answers
                .iter()
                .map(|a| (a.text.clone(), a.fraction, a.feedback.clone()))
                .collect(),
            other => panic!("{other:?} has no answers"),
        }
    }

    fn a(text: &str, fraction: f64, feedback: Option<&str>) -> (String, f64, Option<String>) {
        (text.to_owned(), fraction, feedback.map(str::to_owned))
    }

    #[test]
    fn gift_round_trip_keeps_texts_keys_ids_and_metadata() {
        let items = sample_items();
        let (gift, not_exported) = write(&statuses(&items));
        assert_eq!(not_exported, expected_not_exported());
        let read = read(&gift);
        assert_eq!(read.errors, vec![], "{gift}");
        assert_eq!(read.skipped, vec![]);
        assert_questions_round_trip(&items, &read.questions);

        for ((item, status), f) in statuses(&items).into_iter().zip(&read.questions) {
            let q = question_of(item);
            assert_eq!(f.tags.len(), 1, "{:?}", f.tags);
            let json = f.tags[0]
                .strip_prefix("tiku-meta:")
                .unwrap_or_else(|| panic!("{:?}", f.tags));
            let meta: serde_json::Value =
                serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
            let mut expected = serde_json::json!({
                "id": item.id.as_str(),
                "subject": "A",
                "tags": item.tags.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
                "difficulty": 2,
                "rules": ["Incoterms 2020"],
                "sources": ["Incoterms 2020, FOB A2/A3"],
                "status": status.code(),
                "points": q.points,
            });
            match &q.response {
                Response::Numeric { .. } => {
                    expected["unit"] = serde_json::json!({"zh": "美元", "en": "USD"});
                }
                Response::Written {
                    model_answer,
                    rubric,
                } => {
                    expected["model_answer"] = serde_json::json!(model_answer);
                    expected["rubric"] = serde_json::json!(rubric);
                }
                _ => {}
            }
            assert_eq!(meta, expected);
            assert_eq!(f.default_mark, None);
            assert_eq!(f.category, None);
        }
        assert_eq!(
            read.questions[5].question,
            ForeignQuestion::Essay { grader_info: None }
        );
        let numeric_line = gift.lines().position(|l| l.starts_with("::T3.1-0005::"));
        assert_eq!(
            Some(read.questions[4].line),
            numeric_line.map(|i| i + 1),
            "{gift}"
        );
    }

    #[test]
    fn gift_export_looks_like_moodles_own() {
        let items = sample_items();
        let (gift, _) = write(&statuses(&items[2..3]));
        assert_eq!(
            gift,
            "// tiku: {\"id\":\"T3.1-0003\",\"subject\":\"A\",\"tags\":[\"T3.1\"],\"difficulty\":2,\
             \"rules\":[\"Incoterms 2020\"],\"sources\":[\"Incoterms 2020, FOB A2/A3\"],\
             \"status\":\"published\",\"points\":1}\n\
             // [id:T3.1-0003]\n\
             ::T3.1-0003::[markdown]<span lang\\=\"zh\" class\\=\"multilang\">【T3.1-0003】在 **FOB** 下，\
             &quot;风险&quot; 何时转移？\\n\\n提示：见 `A3` \\{注意\\} \\~ \\= \\# \\: &lt; &gt; &amp; \\\\ ]]&gt; \
             \\#\\#\\#\\# %50% // 不是注释</span><span lang\\=\"en\" class\\=\"multilang\">[T3.1-0003] Under \
             **FOB**, when does &quot;risk&quot; pass?\\n\\nHint\\: see `A3` \\{note\\} \\~x \\=y \\#z a\\:b \
             &lt;c&gt; &amp; \\\\ ]]&gt; \\#\\#\\#\\#\\n- a list item</span>{FALSE}\n\n"
        );

        let (gift, _) = write(&statuses(&items[1..2]));
        let lines: Vec<&str> = gift.lines().collect();
        assert_eq!(
            lines[3],
            "\t~%33.33333%<!--id\\:a--><span lang\\=\"zh\" class\\=\"multilang\">FOB</span><span lang\\=\"en\" class\\=\"multilang\">FOB</span>"
        );
        assert!(lines[6].starts_with("\t~%-100%<!--id\\:d-->"), "{gift}");
        assert!(lines[7].starts_with("\t####<span lang\\=\"zh\""), "{gift}");
        assert_eq!(lines[8], "}");
        assert_eq!(lines[9], "");

        let (gift, _) = write(&statuses(&items[4..5]));
        assert!(gift.contains("{#\n\t=%100%-1234.5:0.05\n\t####"), "{gift}");
        let (gift, _) = write(&statuses(&items[3..4]));
        assert!(
            gift.contains("\t=%100%a\\=b \\~c \\#d \\:e \\{f\\} \\\\*g\n"),
            "{gift}"
        );
    }

    #[test]
    fn moodle_documentation_examples_read_as_documented() {
        let text = include_str!("../../../tests/fixtures/moodle/gift-docs.txt");
        let r = read(text);
        assert_eq!(r.errors, vec![]);
        let qs = &r.questions;
        assert_eq!(qs.len(), 19, "{qs:#?}");

        // Multiple choice.
        assert_eq!(qs[0].text, "Which planet is closest to the Sun?");
        assert_eq!(qs[0].format, "moodle");
        assert_eq!(qs[0].category.as_deref(), Some("$course$/top/Examples"));
        assert_eq!(
            qs[0].question,
            ForeignQuestion::Choice {
                answers: vec![
                    answer("Mercury", 1.0, None),
                    answer("Venus", 0.0, None),
                    answer("Earth", 0.0, None),
                    answer("Mars", 0.0, None),
                ],
                multiple: false
            }
        );

        // A title, one answer per line, feedback for each answer.
        assert_eq!(qs[1].name.as_deref(), Some("Colours"));
        assert_eq!(
            qs[1].text,
            "Which colour lies between red and yellow in a rainbow?"
        );
        assert_eq!(
            answers_of(&qs[1]),
            vec![
                a("orange", 1.0, Some("right, well done!")),
                a("green", 0.0, Some("no, green comes after yellow")),
                a("blue", 0.0, Some("no, blue comes after green")),
            ]
        );

        // Missing word: the block becomes a blank.
        assert_eq!(
            qs[2].text,
            "Water boils at _____ degrees Celsius at sea level."
        );
        assert_eq!(answers_of(&qs[2])[1], a("100", 1.0, None));

        // Multiple right answers: weights, and no `=`.
        let ForeignQuestion::Choice { answers, multiple } = &qs[3].question else {
            panic!("{:?}", qs[3]);
        };
        assert!(multiple);
        let fractions: Vec<f64> = answers.iter().map(|a| a.fraction).collect();
        assert_eq!(fractions, vec![0.5, 0.5, -1.0, -1.0]);

        // True/false, and true/false with feedback for a wrong and for a right answer.
        assert_eq!(
            qs[4].question,
            ForeignQuestion::TrueFalse {
                answer: true,
                feedback_true: None,
                feedback_false: None
            }
        );
        assert_eq!(
            qs[5].question,
            ForeignQuestion::TrueFalse {
                answer: false,
                feedback_true: Some("No: fish breathe through gills, in water.".into()),
                feedback_false: Some("Right: they need water.".into()),
            }
        );

        // Short answer.
        assert_eq!(
            answers_of(&qs[6]),
            vec![a("carbon dioxide", 1.0, None), a("CO2", 1.0, None)]
        );
        assert_eq!(qs[7].text, "Three plus four equals _____.");
        assert_eq!(
            answers_of(&qs[7]),
            vec![a("seven", 1.0, None), a("7", 1.0, None)]
        );

        // Numerical: value and tolerance, a range, several answers with weights.
        assert_eq!(
            qs[8].question,
            ForeignQuestion::Numerical {
                answers: vec![(1969.0, 0.0, 1.0)]
            }
        );
        let ForeignQuestion::Numerical { answers } = &qs[9].question else {
            panic!("{:?}", qs[9]);
        };
        assert!((answers[0].0 - 2.715).abs() < 1e-9 && (answers[0].1 - 0.005).abs() < 1e-9);
        assert_eq!(qs[10].name.as_deref(), Some("Moon landing"));
        assert_eq!(
            qs[10].question,
            ForeignQuestion::Numerical {
                answers: vec![(1969.0, 0.0, 1.0), (1969.0, 2.0, 0.5)]
            }
        );
        assert_eq!(
            qs[11].question,
            ForeignQuestion::Numerical {
                answers: vec![(212.0, 0.5, 1.0)]
            }
        );

        // Essay.
        assert_eq!(
            qs[12].question,
            ForeignQuestion::Essay { grader_info: None }
        );

        // Partial credit and feedback on every answer.
        assert_eq!(
            answers_of(&qs[13]),
            vec![
                a("Congo", 0.0, Some("A long river, but not the longest.")),
                a("White Nile", 0.5, Some("Part of the answer.")),
                a("Nile", 1.0, Some("Yes, correct!")),
                a("Blue Nile", 0.25, Some("Only a tributary.")),
            ]
        );
        assert_eq!(qs[13].text, "The longest river in Africa is the _____.");

        // A format prefix and general feedback.
        assert_eq!(qs[14].format, "markdown");
        assert_eq!(qs[14].text, "Which of these is **not** a mammal?");
        assert_eq!(
            qs[14].general_feedback.as_deref(),
            Some("Mammals feed their young on milk.")
        );
        assert_eq!(
            answers_of(&qs[14])[1],
            a("trout", 1.0, Some("right, a trout is a fish"))
        );
        assert_eq!(qs[15].format, "html");
        assert_eq!(qs[15].text, "What does <b>bold</b> look like?");

        // Escaped control characters.
        assert_eq!(
            answers_of(&qs[16]),
            vec![
                a("= 2 + 2", 0.0, None),
                a("= 2 + 3", 1.0, None),
                a("= 2 + 4", 0.0, None)
            ]
        );
        assert_eq!(
            answers_of(&qs[17]),
            vec![
                a("~", 0.0, Some("~ is a control character.")),
                a("=", 0.0, Some("= is a control character.")),
                a("#", 0.0, Some("# is a control character.")),
                a("{", 0.0, Some("{ is a control character.")),
                a("}", 0.0, Some("} is a control character.")),
                a(
                    "\\",
                    1.0,
                    Some("Correct: the backslash is not a control character, but it escapes them.")
                ),
            ]
        );
        assert_eq!(qs[17].name.as_deref(), Some("GIFT control characters"));

        // Categories, ids and tags from comments.
        let last = &qs[18];
        assert_eq!(last.category.as_deref(), Some("science/astronomy"));
        assert_eq!(last.idnumber.as_deref(), Some("astro-1"));
        assert_eq!(last.tags, vec!["planets", "easy"]);
        assert_eq!(last.name.as_deref(), Some("Red planet"));
        assert!(
            qs[..18]
                .iter()
                .all(|q| q.idnumber.is_none() && q.tags.is_empty())
        );
        assert_eq!(qs[17].category.as_deref(), Some("$course$/top/Examples"));

        // Matching and description are skipped with the reason.
        let reasons: Vec<&str> = r.skipped.iter().map(|s| s.reason.as_str()).collect();
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(reasons[0].starts_with("a matching question"), "{reasons:?}");
        assert!(reasons[1].starts_with("a description"), "{reasons:?}");

        // Every question knows the line it starts on: its first line that is not a comment.
        for q in qs {
            let line = text.lines().nth(q.line - 1).unwrap_or_default();
            assert!(
                !line.trim().is_empty() && !line.trim().starts_with("//"),
                "{line}"
            );
        }
        assert_eq!(
            qs[1].line,
            text.lines()
                .position(|l| l.starts_with("::Colours::"))
                .map_or(0, |i| i + 1)
        );
        for s in &r.skipped {
            let line = text.lines().nth(s.line - 1).unwrap_or_default();
            assert!(
                line.starts_with("Match each") || line.starts_with("The next"),
                "{line}"
            );
        }
    }

    #[test]
    fn malformed_gift_is_an_error_at_its_line() {
        let cases = [
            ("Who is it?\n{=Grant\n~Napoleon\n", 2, "unclosed `{`"),
            (
                "Who is it? {Grant ~Napoleon}",
                1,
                "the answer `Grant` does not start with `=` (right) or `~` (wrong)",
            ),
            (
                "Two plus two {four =4}",
                1,
                "the answer `four` does not start with `=`",
            ),
            (
                "::Title without end Who? {=a ~b}",
                1,
                "the title opened with `::` is not closed",
            ),
            ("Braces } here {=a ~b}", 1, "`}` comes before"),
            ("Odd }", 1, "`}` closes no answer block"),
            ("A {=a ~b} and {=c ~d}", 1, "one answer block"),
            ("A {=a {~b}", 1, "`{` inside an answer block"),
            ("When?\n{#18x22:1}", 2, "`18x22` is not a number"),
            ("When? {#1822:a}", 1, "`a` is not a number"),
            (
                "Which? {~%abc%x =y}",
                1,
                "the answer weight `%abc%` is not a number",
            ),
            ("Which? {~%150%x =y}", 1, "not between -100 and 100"),
            ("Which? {~only}\n", 1, "at least two answers"),
            ("Which? {=a ~}", 1, "empty"),
            ("{T}", 1, "the question has no text"),
            (
                "$CATEGORY: a/b\nWho? {T}",
                2,
                "`$CATEGORY:` must stand alone",
            ),
        ];
        for (gift, line, message) in cases {
            let r = read(gift);
            assert_eq!(r.errors.len(), 1, "{gift}: {r:?}");
            assert_eq!(r.errors[0].line, line, "{gift}: {r:?}");
            assert!(r.errors[0].message.contains(message), "{gift}: {r:?}");
            assert!(r.questions.is_empty(), "{gift}: {r:?}");
        }
        // One bad question does not stop the others.
        let r = read("Good? {T}\n\nBad {=a\n\n// note\nAlso good? {F}\n");
        assert_eq!(r.questions.len(), 2);
        assert_eq!(r.questions[1].line, 6);
        assert_eq!(r.errors.len(), 1);
        assert_eq!(r.errors[0].line, 3);
    }

    #[test]
    fn gift_reads_crlf_comments_and_line_breaks() {
        let r = read(
            "\u{feff}// a comment\r\n::Q::[plain]Line one\\nline two {\r\n  // inside\r\n  =yes\r\n  ~no\r\n}\r\n",
        );
        assert_eq!(r.errors, vec![]);
        assert_eq!(r.questions[0].line, 2);
        assert_eq!(r.questions[0].text, "Line one\nline two");
        assert_eq!(r.questions[0].format, "plain");
        assert_eq!(
            answers_of(&r.questions[0]),
            vec![a("yes", 1.0, None), a("no", 0.0, None)]
        );
        // A comment alone, followed by a blank line, belongs to no question.
        let r = read("// [id:lost]\n\nQ? {T}");
        assert_eq!(r.questions[0].idnumber, None);
    }
}
