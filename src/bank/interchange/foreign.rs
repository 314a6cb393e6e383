//! Questions as Moodle's formats describe them, before they become bank items.

/// One answer of a choice question, with the share of the mark it earns (Moodle's fraction, −1 to 1).
#[derive(Clone, Debug, PartialEq)]
pub struct ForeignAnswer {
    pub text: String,
    pub fraction: f64,
    pub feedback: Option<String>,
}

/// A question's content, by kind.
#[derive(Clone, Debug, PartialEq)]
pub enum ForeignQuestion {
    /// Moodle multichoice: `multiple` when several answers carry positive fractions (or the file says
    /// single = false).
    Choice {
        answers: Vec<ForeignAnswer>,
        multiple: bool,
    },
    TrueFalse {
        answer: bool,
        feedback_true: Option<String>,
        feedback_false: Option<String>,
    },
    /// Moodle short answer: the accepted answers (fraction 1) and partially credited ones.
    Short { answers: Vec<ForeignAnswer> },
    /// Moodle numerical: the value and tolerance of each answer.
    Numerical { answers: Vec<(f64, f64, f64)> },
    /// Moodle essay: no key; `grader_info` is the information for graders, if any.
    Essay { grader_info: Option<String> },
}

/// One question read from a foreign file.
#[derive(Clone, Debug, PartialEq)]
pub struct Foreign {
    /// The 1-based line where the question starts.
    pub line: usize,
    /// Its name or title in the file (GIFT `::title::`, Moodle `<name>`), if any.
    pub name: Option<String>,
    /// Moodle's `idnumber`, if any (exports put the bank id there).
    pub idnumber: Option<String>,
    /// The category in force (`$CATEGORY:` in GIFT, `<category>` in Moodle XML), if any.
    pub category: Option<String>,
    /// Tags (Moodle XML `<tags>`), if any.
    pub tags: Vec<String>,
    /// The question text as written (HTML, Markdown, or plain, per `format`).
    pub text: String,
    /// `html`, `markdown`, `moodle` or `plain`.
    pub format: String,
    /// Moodle's general feedback: shown after answering, whatever the answer.
    pub general_feedback: Option<String>,
    /// Default mark in Moodle (points), if given.
    pub default_mark: Option<f64>,
    pub question: ForeignQuestion,
}

/// Something the file holds that the bank cannot take, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub line: usize,
    pub reason: String,
}

/// A problem that makes the file unreadable at a place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadError {
    pub line: usize,
    pub message: String,
}

/// What a reader found: questions, what it skipped, and errors.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReadResult {
    pub questions: Vec<Foreign>,
    pub skipped: Vec<Skipped>,
    pub errors: Vec<ReadError>,
}

/// Items an export left out, each as (item id, reason).
pub type NotExported = Vec<(String, String)>;
