//! Benchmarks of the bank layer: loading and checking the shipped bank (`tiku check`'s work, and what the
//! server does at every start), drawing calculation-template variants, and scoring fill-in answers.
//!
//! Run: `cargo bench --bench bank`.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use tiku::bank;
use tiku::domain::answer::Answer;
use tiku::domain::scoring::mark;
use tiku::domain::{Bilingual, Question, Response};

fn load_shipped_bank(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("question-bank");
    let loaded = bank::load(&dir);
    eprintln!(
        "shipped bank: {} items, {} diagnostics",
        loaded.bank.items.len(),
        loaded.diagnostics.len()
    );
    c.bench_function("bank::load(question-bank)", |b| {
        b.iter(|| bank::load(black_box(&dir)))
    });

    let templates: Vec<_> = loaded
        .bank
        .items
        .iter()
        .filter(|b| b.item.template.is_some())
        .map(|b| b.item.clone())
        .collect();
    if let Some(item) = templates.first() {
        let mut seed = 0u64;
        c.bench_function("Item::instantiate (one calculation case)", |b| {
            b.iter(|| {
                seed = seed.wrapping_add(1);
                item.instantiate(black_box(seed))
            })
        });
    }
}

fn score_fill(c: &mut Criterion) {
    let q = Question {
        stem: Bilingual::same("FCL"),
        explanation: Bilingual::same(""),
        points: 1,
        response: Response::Fill {
            accept: vec!["整箱货".into(), "整箱".into(), "full container load".into()],
        },
    };
    let answer = Answer::Fill("  Full　Container  LOAD ".into());
    c.bench_function("mark(fill, normalised answer)", |b| {
        b.iter(|| mark(black_box(&q), black_box(&answer)))
    });
}

criterion_group!(benches, load_shipped_bank, score_fill);
criterion_main!(benches);
