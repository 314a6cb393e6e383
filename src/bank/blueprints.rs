//! Reads blueprint files and checks that the bank can fill them.

use std::collections::BTreeMap;

use super::BankItem;
use super::diagnostic::{Diagnostic, Reporter, Severity, SourceFile};
use super::format::{RawBlueprint, RawText};
use crate::domain::blueprint::{Blueprint, BlueprintSection, SubjectPaper, TopicWeight};
use crate::domain::item::{Kind, Status, Subject};
use crate::domain::taxonomy::{TagCode, Taxonomy};
use crate::domain::{Bilingual, Text};

/// A blueprint file as read, before `include`s are resolved.
pub struct ParsedBlueprint {
    pub file: String,
    pub line: usize,
    pub raw_includes: Vec<(String, usize)>,
    pub blueprint: Blueprint,
}

fn title(raw: Option<&RawText>, fallback: &str) -> Text {
    match raw {
        Some(RawText {
            zh: Some(zh),
            en: Some(en),
        }) => Bilingual::new(zh.clone(), en.clone()),
        _ => Text::same(fallback),
    }
}

fn tag_list(
    rep: &mut Reporter<'_>,
    tax: &Taxonomy,
    raw: &[toml::Spanned<String>],
) -> Option<Vec<TagCode>> {
    let mut out = Vec::new();
    for t in raw {
        match TagCode::parse(t.get_ref()) {
            Ok(c) if tax.contains(&c) => out.push(c),
            Ok(c) => {
                rep.error(t.span(), format!("unknown tag {c} (not in taxonomy.toml)"));
                return None;
            }
            Err(e) => {
                rep.error(t.span(), e);
                return None;
            }
        }
    }
    Some(out)
}

fn positive(rep: &mut Reporter<'_>, what: &str, v: &toml::Spanned<i64>) -> Option<u32> {
    match u32::try_from(*v.get_ref()) {
        Ok(n) if n > 0 => Some(n),
        _ => {
            rep.error(v.span(), format!("{what} must be a whole number above 0"));
            None
        }
    }
}

/// Reads one blueprint file.
pub fn parse(
    file: &SourceFile,
    out: &mut Vec<Diagnostic>,
    tax: &Taxonomy,
) -> Option<ParsedBlueprint> {
    let mut rep = Reporter::new(file, out);
    let raw: RawBlueprint = super::format::parse_whole(&mut rep)?;
    let id = raw.id.get_ref().trim().to_owned();
    let line = file.line_of(raw.id.span().start);
    if id.is_empty() {
        rep.error(raw.id.span(), "blueprint id is empty");
        return None;
    }
    let minutes = positive(&mut rep, "minutes", &raw.minutes)?;
    let bp_title = title(raw.title.as_ref(), &id);
    if raw.title.is_none() {
        rep.error(
            raw.id.span(),
            format!("blueprint {id} has no `title` (zh and en)"),
        );
    }
    if !raw.include.is_empty() {
        if raw.subject.is_some() || !raw.section.is_empty() || !raw.topic.is_empty() {
            rep.error(
                raw.id.span(),
                format!(
                    "blueprint {id}: use either `include` or `subject` with sections, not both"
                ),
            );
        }
        return Some(ParsedBlueprint {
            file: file.name.clone(),
            line,
            raw_includes: raw
                .include
                .iter()
                .map(|i| (i.get_ref().clone(), file.line_of(i.span().start)))
                .collect(),
            blueprint: Blueprint {
                id,
                title: bp_title,
                minutes,
                papers: Vec::new(),
            },
        });
    }
    let Some(subject_raw) = &raw.subject else {
        rep.error(
            raw.id.span(),
            format!("blueprint {id} has neither `subject` nor `include`"),
        );
        return None;
    };
    let Some(subject) = Subject::parse(subject_raw.get_ref()) else {
        rep.error(
            subject_raw.span(),
            format!("unknown subject `{}` (A or B)", subject_raw.get_ref()),
        );
        return None;
    };
    let mut sections = Vec::new();
    let mut ok = true;
    for s in &raw.section {
        let sec = s.get_ref();
        let kind = Kind::parse(sec.kind.get_ref());
        if kind.is_none() {
            rep.error(
                sec.kind.span(),
                format!("unknown kind `{}`", sec.kind.get_ref()),
            );
        }
        let count = positive(&mut rep, "count", &sec.count);
        let points = positive(&mut rep, "points", &sec.points);
        let tags = tag_list(&mut rep, tax, &sec.tags);
        if sec.title.is_none() {
            rep.error(s.span(), "section has no `title` (zh and en)");
        }
        match (kind, count, points, tags) {
            (Some(kind), Some(count), Some(points), Some(tags)) => {
                sections.push(BlueprintSection {
                    title: title(sec.title.as_ref(), kind.code()),
                    kind,
                    count,
                    points,
                    tags,
                })
            }
            _ => ok = false,
        }
    }
    if raw.section.is_empty() {
        rep.error(
            raw.id.span(),
            format!("blueprint {id} has no `[[section]]`"),
        );
        ok = false;
    }
    let mut topics = Vec::new();
    let mut percent_sum = 0;
    for t in &raw.topic {
        let topic = t.get_ref();
        let tags = tag_list(&mut rep, tax, &topic.tags);
        let percent = u32::try_from(*topic.percent.get_ref())
            .ok()
            .filter(|p| *p <= 100);
        if percent.is_none() {
            rep.error(topic.percent.span(), "percent must be between 0 and 100");
        }
        if let (Some(tags), Some(percent)) = (tags, percent) {
            percent_sum += percent;
            topics.push(TopicWeight { tags, percent });
        } else {
            ok = false;
        }
    }
    if !topics.is_empty() && percent_sum != 100 {
        rep.error(
            raw.id.span(),
            format!("blueprint {id}: topic percentages add up to {percent_sum}, not 100"),
        );
        ok = false;
    }
    let paper = SubjectPaper {
        subject,
        title: bp_title.clone(),
        sections,
        topics,
    };
    ok.then(|| ParsedBlueprint {
        file: file.name.clone(),
        line,
        raw_includes: Vec::new(),
        blueprint: Blueprint {
            id,
            title: bp_title,
            minutes,
            papers: vec![paper],
        },
    })
}

/// Resolves `include`s (one level: an included blueprint must itself hold a subject paper) and reports
/// duplicate ids.
pub fn resolve(parsed: Vec<ParsedBlueprint>, out: &mut Vec<Diagnostic>) -> Vec<Blueprint> {
    let mut by_id: BTreeMap<String, (String, usize)> = BTreeMap::new();
    for p in &parsed {
        if let Some((file, line)) = by_id.get(&p.blueprint.id) {
            out.push(Diagnostic {
                file: p.file.clone(),
                line: p.line,
                severity: Severity::Error,
                message: format!(
                    "duplicate blueprint id {} (also in {file}:{line})",
                    p.blueprint.id
                ),
            });
        } else {
            by_id.insert(p.blueprint.id.clone(), (p.file.clone(), p.line));
        }
    }
    let singles: BTreeMap<String, Vec<SubjectPaper>> = parsed
        .iter()
        .filter(|p| p.raw_includes.is_empty())
        .map(|p| (p.blueprint.id.clone(), p.blueprint.papers.clone()))
        .collect();
    let mut result = Vec::new();
    for mut p in parsed {
        let mut ok = true;
        for (inc, line) in &p.raw_includes {
            match singles.get(inc) {
                Some(papers) => p.blueprint.papers.extend(papers.iter().cloned()),
                None => {
                    out.push(Diagnostic {
                        file: p.file.clone(),
                        line: *line,
                        severity: Severity::Error,
                        message: format!(
                            "blueprint {} includes `{inc}`, which is not a one-subject blueprint",
                            p.blueprint.id
                        ),
                    });
                    ok = false;
                }
            }
        }
        if ok {
            result.push(p.blueprint);
        }
    }
    result
}

/// Checks that the published items can fill every section and every topic share of each blueprint.
pub fn check_feasible(
    blueprints: &[Blueprint],
    locations: &BTreeMap<String, (String, usize)>,
    items: &[BankItem],
    out: &mut Vec<Diagnostic>,
) {
    // A composite blueprint (`include`) repeats its parts' papers; each paper is checked once.
    let mut checked: Vec<&SubjectPaper> = Vec::new();
    for bp in blueprints {
        let (file, line) = locations.get(&bp.id).cloned().unwrap_or_default();
        let mut report = |message: String| {
            out.push(Diagnostic {
                file: file.clone(),
                line,
                severity: Severity::Error,
                message,
            })
        };
        for paper in &bp.papers {
            if checked.contains(&paper) {
                continue;
            }
            checked.push(paper);
            let pool: Vec<&BankItem> = items
                .iter()
                .filter(|b| b.status == Status::Published && b.item.subject == paper.subject)
                .collect();
            for (i, sec) in paper.sections.iter().enumerate() {
                let have = pool.iter().filter(|b| sec.admits(&b.item)).count();
                if have < sec.count as usize {
                    report(format!(
                        "blueprint {} asks for more than the bank holds: subject {} section {} needs {} published {} items worth {} points{}, the bank has {have}",
                        bp.id,
                        paper.subject.code(),
                        i + 1,
                        sec.count,
                        sec.kind.code(),
                        sec.points,
                        tag_note(&sec.tags),
                    ));
                }
            }
            let targets = paper.topic_targets();
            for (topic, target) in paper.topics.iter().zip(targets) {
                let have = pool
                    .iter()
                    .filter(|b| {
                        topic.covers(&b.item)
                            && paper
                                .sections
                                .iter()
                                .any(|s| s.tags.is_empty() && s.admits(&b.item))
                    })
                    .count();
                if have < target as usize {
                    report(format!(
                        "blueprint {} asks for more than the bank holds: subject {} topic {} needs {target} published items, the bank has {have}",
                        bp.id,
                        paper.subject.code(),
                        topic
                            .tags
                            .iter()
                            .map(TagCode::to_string)
                            .collect::<Vec<_>>()
                            .join("+"),
                    ));
                }
            }
        }
    }
}

fn tag_note(tags: &[TagCode]) -> String {
    if tags.is_empty() {
        String::new()
    } else {
        format!(
            " on {}",
            tags.iter()
                .map(TagCode::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

/// The span-free location of a blueprint, for diagnostics raised after parsing.
pub fn locations(parsed: &[ParsedBlueprint]) -> BTreeMap<String, (String, usize)> {
    parsed
        .iter()
        .map(|p| (p.blueprint.id.clone(), (p.file.clone(), p.line)))
        .collect()
}
