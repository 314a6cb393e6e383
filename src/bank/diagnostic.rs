//! Diagnostics: every problem found in the bank files, with the file and line it is on.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem, at `file:line` (1-based; 0 when the problem is with the file as a whole).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub file: String,
    pub line: usize,
    #[serde(skip)]
    pub severity: Severity,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}:{}: {level}: {}", self.file, self.line, self.message)
    }
}

/// A bank file's name (relative to the bank directory) and text, to turn byte offsets into lines.
pub struct SourceFile {
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(bank_dir: &Path, path: &Path, text: String) -> SourceFile {
        let rel: PathBuf = path.strip_prefix(bank_dir).unwrap_or(path).to_path_buf();
        let name = rel.to_string_lossy().replace('\\', "/");
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceFile {
            name,
            text,
            line_starts,
        }
    }

    /// The 1-based line of byte `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }
}

/// Collects diagnostics for one file.
pub struct Reporter<'a> {
    pub file: &'a SourceFile,
    pub out: &'a mut Vec<Diagnostic>,
    /// How content not yet written is reported (one missing language, a missing explanation, model
    /// answer or rubric): an error, except while checking a draft, which may be saved incomplete — it
    /// must be complete before review.
    pub incomplete: Severity,
}

impl<'a> Reporter<'a> {
    pub fn new(file: &'a SourceFile, out: &'a mut Vec<Diagnostic>) -> Reporter<'a> {
        Reporter {
            file,
            out,
            incomplete: Severity::Error,
        }
    }
}

impl Reporter<'_> {
    pub fn at(
        &mut self,
        severity: Severity,
        span: Option<Range<usize>>,
        message: impl Into<String>,
    ) {
        let line = span.map_or(0, |s| self.file.line_of(s.start));
        self.out.push(Diagnostic {
            file: self.file.name.clone(),
            line,
            severity,
            message: message.into(),
        });
    }

    pub fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.at(Severity::Error, Some(span), message);
    }

    pub fn warn(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.at(Severity::Warning, Some(span), message);
    }

    /// Reports a TOML syntax or type error at the position the parser gives.
    pub fn toml_error(&mut self, err: &toml::de::Error) {
        let message = err.message().trim().to_owned();
        self.at(Severity::Error, err.span(), message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_offsets_to_lines() {
        let f = SourceFile::new(
            Path::new("/b"),
            Path::new("/b/items/x.toml"),
            "a\nbc\n\nd".into(),
        );
        assert_eq!(f.name, "items/x.toml");
        assert_eq!(f.line_of(0), 1);
        assert_eq!(f.line_of(1), 1);
        assert_eq!(f.line_of(2), 2);
        assert_eq!(f.line_of(5), 3);
        assert_eq!(f.line_of(6), 4);
    }
}
