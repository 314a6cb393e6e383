//! The shipped bank (`question-bank/`): it passes `tiku check`, holds what the content issue asks for, and
//! supports parallel mock papers.

use std::collections::BTreeMap;
use std::path::Path;

use tiku::bank::{self, PARALLEL_PAPERS};
use tiku::domain::{Kind, Status, Subject};

fn shipped() -> bank::Loaded {
    bank::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("question-bank"))
}

#[test]
fn the_shipped_bank_passes_check_without_warnings() {
    let loaded = shipped();
    let problems: Vec<String> = loaded.diagnostics.iter().map(ToString::to_string).collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_shipped_bank_holds_what_the_exam_needs() {
    let loaded = shipped();
    let published: Vec<_> = loaded
        .bank
        .items
        .iter()
        .filter(|b| b.status == Status::Published)
        .collect();
    let count = |subject: Subject, kind: Kind| {
        published
            .iter()
            .filter(|b| b.item.subject == subject && b.item.kind() == kind)
            .count()
    };
    assert!(count(Subject::A, Kind::Single) >= 160);
    assert!(count(Subject::A, Kind::Multiple) >= 60);
    assert!(count(Subject::A, Kind::TrueFalse) >= 80);
    assert!(count(Subject::A, Kind::Fill) >= 50);
    assert!(count(Subject::B, Kind::Case) >= 40);
    let parts: usize = published
        .iter()
        .filter(|b| b.item.subject == Subject::B)
        .map(|b| b.item.part_count())
        .sum();
    assert!(parts >= 160, "{parts} case parts");
    // Scored questions: standalone items plus the parts of cases.
    let scored: usize = published.iter().map(|b| b.item.part_count().max(1)).sum();
    assert!(scored >= 600, "{scored} scored questions");

    // Every leaf has at least 8 published items; each subject uses every difficulty level.
    let summary = loaded.bank.summary();
    for leaf in loaded.bank.taxonomy.leaves() {
        let n = summary.by_tag.get(leaf.code.as_str()).copied().unwrap_or(0);
        assert!(n >= 8, "leaf {} has {n} published items", leaf.code);
    }
    for subject in Subject::ALL {
        let levels: BTreeMap<u8, usize> = published
            .iter()
            .filter(|b| b.item.subject == subject)
            .fold(BTreeMap::new(), |mut m, b| {
                *m.entry(b.item.difficulty.get()).or_default() += 1;
                m
            });
        assert_eq!(
            levels.len(),
            5,
            "subject {subject:?} difficulty levels: {levels:?}"
        );
    }
}

#[test]
fn five_parallel_papers_per_subject_overlap_at_most_a_fifth() {
    let forms = shipped().bank.parallel_forms();
    for id in ["A", "B"] {
        let f = forms
            .get(id)
            .unwrap_or_else(|| panic!("blueprint {id} cannot be assembled"));
        assert_eq!(f.papers, PARALLEL_PAPERS);
        assert!(
            f.max_overlap <= 0.2,
            "blueprint {id}: largest pairwise overlap {:.2}",
            f.max_overlap
        );
    }
}
