//! The question bank's source files (`question-bank/`): reading, validating and summarising them.
//!
//! [`load`] reads every file and returns what it could read together with every problem found, each as
//! `file:line: message`; it never stops at the first problem.

pub mod blueprints;
pub mod diagnostic;
pub mod format;
pub mod importing;
pub mod interchange;
pub mod items;
pub mod write;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::domain::blueprint::Blueprint;
use crate::domain::exam::ExamRules;
use crate::domain::glossary::GlossaryEntry;
use crate::domain::item::{Item, Status};
use crate::domain::normalize::fold_for_search;
use crate::domain::rules::{RuleRegistry, RuleVersion};
use crate::domain::similarity::{NEAR_DUPLICATE, Signature, near_pairs};
use crate::domain::summary::BankSummary;
use crate::domain::taxonomy::{Tag, TagCode, Taxonomy};
use crate::domain::{Bilingual, Text};
use diagnostic::{Diagnostic, Reporter, Severity, SourceFile};
use format::{RawEntry, RawRule, RawTag, RawTerm};

/// An item as read from a file.
#[derive(Clone, Debug)]
pub struct BankItem {
    pub item: Item,
    pub status: Status,
    /// The file, relative to the bank directory, and the line of its `[[item]]`.
    pub file: String,
    pub line: usize,
}

/// Everything the bank files define.
#[derive(Clone, Debug, Default)]
pub struct Bank {
    pub taxonomy: Taxonomy,
    pub rules: RuleRegistry,
    pub exam: ExamRules,
    pub blueprints: Vec<Blueprint>,
    pub glossary: Vec<GlossaryEntry>,
    pub items: Vec<BankItem>,
}

impl Bank {
    pub fn summary(&self) -> BankSummary {
        BankSummary::of(self.items.iter().map(|b| (&b.item, b.status)))
    }
}

/// The bank as read, with every diagnostic.
pub struct Loaded {
    pub bank: Bank,
    pub diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
    }

    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }

    /// The JSON report of `tiku check --json`: the summary plus errors and warnings.
    pub fn report(&self) -> CheckReport<'_> {
        CheckReport {
            summary: self.bank.summary(),
            parallel_papers: self.bank.parallel_forms(),
            errors: self.errors().collect(),
            warnings: self.warnings().collect(),
        }
    }
}

/// `tiku check --json` output.
#[derive(Serialize)]
pub struct CheckReport<'a> {
    #[serde(flatten)]
    pub summary: BankSummary,
    /// For each one-subject blueprint the bank can fill: how far parallel mock papers overlap.
    pub parallel_papers: BTreeMap<String, ParallelForms>,
    pub errors: Vec<&'a Diagnostic>,
    pub warnings: Vec<&'a Diagnostic>,
}

/// How many parallel papers were assembled from a blueprint and their largest pairwise item overlap.
#[derive(Clone, Debug, Serialize)]
pub struct ParallelForms {
    pub papers: usize,
    /// The largest share of one paper's items found in another (0 to 1).
    pub max_overlap: f64,
}

/// The number of parallel papers `tiku check` assembles per blueprint.
pub const PARALLEL_PAPERS: usize = 5;

impl Bank {
    /// Assembles [`PARALLEL_PAPERS`] parallel papers from every one-subject blueprint the published items
    /// can fill and reports their largest pairwise overlap.
    pub fn parallel_forms(&self) -> BTreeMap<String, ParallelForms> {
        let published: Vec<(&Item, u32)> = self
            .items
            .iter()
            .filter(|b| b.status == Status::Published)
            .map(|b| (&b.item, 1))
            .collect();
        self.blueprints
            .iter()
            .filter(|bp| bp.papers.len() == 1)
            .filter_map(|bp| {
                let papers =
                    crate::paper::parallel_forms(bp, &published, PARALLEL_PAPERS, 1).ok()?;
                Some((
                    bp.id.clone(),
                    ParallelForms {
                        papers: papers.len(),
                        max_overlap: crate::paper::max_overlap(&papers),
                    },
                ))
            })
            .collect()
    }
}

/// Items read from one text in the bank's format, with every problem found.
pub struct ReadItems {
    pub items: Vec<BankItem>,
    pub diagnostics: Vec<Diagnostic>,
}

impl ReadItems {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

/// Reads items from `text` (one or more `[[item]]`) against the vocabulary of `bank` (taxonomy and rule
/// versions), as `tiku check` reads a file; `name` is the file name diagnostics use.
pub fn read_items_named(text: &str, name: &str, bank: &Bank) -> ReadItems {
    let file = SourceFile::new(Path::new(""), Path::new(name), text.to_owned());
    let mut out = Vec::new();
    let ctx = items::Context {
        taxonomy: Some(&bank.taxonomy),
        rules: Some(&bank.rules),
    };
    let mut found = Vec::new();
    let mut rep = Reporter::new(&file, &mut out);
    for (span, raw) in format::parse_array::<RawEntry>(&mut rep, "item") {
        if let Some(c) = items::check_item(&mut rep, &ctx, span, &raw) {
            found.push(BankItem {
                item: c.item,
                status: c.status,
                file: file.name.clone(),
                line: c.line,
            });
        }
    }
    check_duplicate_ids(&found, &mut out);
    ReadItems {
        items: found,
        diagnostics: out,
    }
}

/// [`read_items_named`] for a text without a file name.
pub fn read_items_text(text: &str, bank: &Bank) -> ReadItems {
    read_items_named(text, "items.toml", bank)
}

/// Reads and checks the whole bank under `dir`.
pub fn load(dir: &Path) -> Loaded {
    let mut out: Vec<Diagnostic> = Vec::new();
    let mut bank = Bank::default();

    if !dir.is_dir() {
        out.push(whole_file_error(
            &dir.to_string_lossy(),
            "the bank directory does not exist",
        ));
        return Loaded {
            bank,
            diagnostics: out,
        };
    }

    if let Some(file) = read(dir, &dir.join("taxonomy.toml"), &mut out) {
        bank.taxonomy = read_taxonomy(&file, &mut out);
    }
    if let Some(file) = read(dir, &dir.join("rules.toml"), &mut out) {
        bank.rules = read_rules(&file, &mut out);
    }
    if let Some(file) = read(dir, &dir.join("exam.toml"), &mut out) {
        let mut rep = Reporter::new(&file, &mut out);
        if let Some(exam) = format::parse_whole::<ExamRules>(&mut rep) {
            bank.exam = exam;
        }
    }

    let glossary_path = dir.join("glossary.toml");
    if glossary_path.exists() {
        if let Some(file) = read(dir, &glossary_path, &mut out) {
            bank.glossary = read_glossary(&file, &mut out, &bank.taxonomy);
        }
    } else {
        out.push(Diagnostic {
            file: "glossary.toml".into(),
            line: 0,
            severity: Severity::Warning,
            message: "no glossary: searches will not find terms across languages".into(),
        });
    }

    let ctx = items::Context {
        taxonomy: Some(&bank.taxonomy),
        rules: Some(&bank.rules),
    };
    for path in toml_files(&dir.join("items"), &mut out, dir) {
        let Some(file) = read(dir, &path, &mut out) else {
            continue;
        };
        let mut rep = Reporter::new(&file, &mut out);
        for (span, raw) in format::parse_array::<RawEntry>(&mut rep, "item") {
            if let Some(c) = items::check_item(&mut rep, &ctx, span, &raw) {
                bank.items.push(BankItem {
                    item: c.item,
                    status: c.status,
                    file: file.name.clone(),
                    line: c.line,
                });
            }
        }
    }
    check_duplicate_ids(&bank.items, &mut out);
    check_near_duplicates(&bank.items, &mut out);

    let mut parsed = Vec::new();
    for path in toml_files(&dir.join("blueprints"), &mut out, dir) {
        if let Some(file) = read(dir, &path, &mut out)
            && let Some(p) = blueprints::parse(&file, &mut out, &bank.taxonomy)
        {
            parsed.push(p);
        }
    }
    let locations = blueprints::locations(&parsed);
    bank.blueprints = blueprints::resolve(parsed, &mut out);
    blueprints::check_feasible(&bank.blueprints, &locations, &bank.items, &mut out);

    Loaded {
        bank,
        diagnostics: out,
    }
}

fn whole_file_error(file: &str, message: &str) -> Diagnostic {
    Diagnostic {
        file: file.to_owned(),
        line: 0,
        severity: Severity::Error,
        message: message.to_owned(),
    }
}

fn read(dir: &Path, path: &Path, out: &mut Vec<Diagnostic>) -> Option<SourceFile> {
    match fs::read_to_string(path) {
        Ok(text) => Some(SourceFile::new(dir, path, text)),
        Err(e) => {
            let name = path
                .strip_prefix(dir)
                .unwrap_or(path)
                .to_string_lossy()
                .into_owned();
            out.push(whole_file_error(&name, &format!("cannot read: {e}")));
            None
        }
    }
}

/// `*.toml` files below `root`, sorted so diagnostics come in a stable order.
fn toml_files(root: &Path, out: &mut Vec<Diagnostic>, dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = match fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) => {
                let name = d
                    .strip_prefix(dir)
                    .unwrap_or(&d)
                    .to_string_lossy()
                    .into_owned();
                out.push(whole_file_error(
                    &name,
                    &format!("cannot read the directory: {e}"),
                ));
                continue;
            }
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "toml") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

fn read_taxonomy(file: &SourceFile, out: &mut Vec<Diagnostic>) -> Taxonomy {
    let mut rep = Reporter::new(file, out);
    let mut tags: Vec<Tag> = Vec::new();
    for (span, raw) in format::parse_array::<RawTag>(&mut rep, "tag") {
        let code = match TagCode::parse(raw.code.get_ref()) {
            Ok(c) => c,
            Err(e) => {
                rep.error(raw.code.span(), e);
                continue;
            }
        };
        if let Some(parent) = code.parent()
            && !tags.iter().any(|t| t.code == parent)
        {
            rep.error(
                raw.code.span(),
                format!("tag {code} comes before (or without) its parent {parent}"),
            );
            continue;
        }
        if tags.iter().any(|t| t.code == code) {
            rep.error(raw.code.span(), format!("tag {code} is listed twice"));
            continue;
        }
        let name = names(&mut rep, span, &format!("tag {code}"), raw.zh, raw.en);
        tags.push(Tag { code, name });
    }
    // Every problem Taxonomy::new could find was reported above, so this cannot fail; an empty tree is
    // the safe fallback all the same.
    Taxonomy::new(tags).unwrap_or_default()
}

fn read_glossary(
    file: &SourceFile,
    out: &mut Vec<Diagnostic>,
    tax: &Taxonomy,
) -> Vec<GlossaryEntry> {
    let mut rep = Reporter::new(file, out);
    let mut entries: Vec<GlossaryEntry> = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (span, raw) in format::parse_array::<RawTerm>(&mut rep, "term") {
        let line = file.line_of(span.start);
        let clean = |v: &[String]| -> Vec<String> {
            v.iter()
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty())
                .collect()
        };
        let (zh, en, abbr) = (clean(&raw.zh), clean(&raw.en), clean(&raw.abbr));
        if zh.is_empty() || en.is_empty() {
            rep.error(
                span.clone(),
                "missing translation: a glossary term needs at least one `zh` and one `en` term",
            );
            continue;
        }
        let tag = match &raw.tag {
            None => None,
            Some(t) => match TagCode::parse(t.get_ref()) {
                Ok(c) if tax.contains(&c) => Some(c),
                Ok(c) => {
                    rep.error(t.span(), format!("unknown tag {c} (not in taxonomy.toml)"));
                    None
                }
                Err(e) => {
                    rep.error(t.span(), e);
                    None
                }
            },
        };
        let mut duplicate = false;
        for term in zh.iter().chain(&en).chain(&abbr) {
            let folded = fold_for_search(term);
            if let Some(&other) = seen.get(&folded) {
                // The same spelling twice within one entry (e.g. as term and as abbreviation) is harmless.
                if other != line {
                    rep.error(
                        span.clone(),
                        format!("term `{term}` is already listed in the entry at line {other}"),
                    );
                    duplicate = true;
                }
            } else {
                seen.insert(folded, line);
            }
        }
        if !duplicate {
            entries.push(GlossaryEntry { zh, en, abbr, tag });
        }
    }
    entries
}

fn read_rules(file: &SourceFile, out: &mut Vec<Diagnostic>) -> RuleRegistry {
    let mut rep = Reporter::new(file, out);
    let mut registry = RuleRegistry::default();
    let raws = format::parse_array::<RawRule>(&mut rep, "rule");
    for (span, raw) in &raws {
        let id = raw.id.get_ref().trim().to_owned();
        if registry.get(&id).is_some() {
            rep.error(
                raw.id.span(),
                format!("rule version `{id}` is listed twice"),
            );
            continue;
        }
        if let Some(s) = &raw.superseded_by
            && !raws.iter().any(|(_, r)| r.id.get_ref() == s.get_ref())
        {
            rep.error(
                s.span(),
                format!(
                    "`{}` is not a rule version listed in this file",
                    s.get_ref()
                ),
            );
        }
        let name = names(
            &mut rep,
            span.clone(),
            &format!("rule {id}"),
            raw.zh.clone(),
            raw.en.clone(),
        );
        registry.rules.push(RuleVersion {
            id,
            name,
            in_force: raw.in_force.clone(),
            superseded_by: raw.superseded_by.as_ref().map(|s| s.get_ref().clone()),
        });
    }
    registry
}

fn names(
    rep: &mut Reporter<'_>,
    span: std::ops::Range<usize>,
    label: &str,
    zh: Option<String>,
    en: Option<String>,
) -> Text {
    let t = Bilingual::new(zh.unwrap_or_default(), en.unwrap_or_default());
    if !t.missing().is_empty() {
        rep.error(
            span,
            format!("missing translation: {label} needs both `zh` and `en` names"),
        );
    }
    t
}

/// Items that say nearly the same thing are reported (as warnings, at both items) so they can be merged.
fn check_near_duplicates(items: &[BankItem], out: &mut Vec<Diagnostic>) {
    let signatures: Vec<(usize, Signature)> = items
        .iter()
        .enumerate()
        .map(|(i, b)| (i, Signature::of_item(&b.item)))
        .collect();
    for pair in near_pairs(&signatures, NEAR_DUPLICATE) {
        let (a, b) = (&items[pair.a], &items[pair.b]);
        if a.item.id == b.item.id {
            continue; // already an error: a duplicate id
        }
        for (this, other) in [(a, b), (b, a)] {
            out.push(Diagnostic {
                file: this.file.clone(),
                line: this.line,
                severity: Severity::Warning,
                message: format!(
                    "item {} is a near-duplicate of item {} at {}:{} (similarity {:.2}); merge them or make them test different things",
                    this.item.id, other.item.id, other.file, other.line, pair.similarity
                ),
            });
        }
    }
}

/// Every occurrence of a repeated id is an error that names the other places.
fn check_duplicate_ids(items: &[BankItem], out: &mut Vec<Diagnostic>) {
    let mut places: BTreeMap<&str, Vec<&BankItem>> = BTreeMap::new();
    for b in items {
        places.entry(b.item.id.as_str()).or_default().push(b);
    }
    for (id, list) in places {
        if list.len() < 2 {
            continue;
        }
        for b in &list {
            let others: Vec<String> = list
                .iter()
                .filter(|o| !std::ptr::eq(**o, *b))
                .map(|o| format!("{}:{}", o.file, o.line))
                .collect();
            out.push(Diagnostic {
                file: b.file.clone(),
                line: b.line,
                severity: Severity::Error,
                message: format!("duplicate id {id}: also defined at {}", others.join(", ")),
            });
        }
    }
}
