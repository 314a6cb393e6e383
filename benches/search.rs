//! Search benchmark: tantivy (tiku's index) against SQLite FTS5 with the trigram tokenizer, the simple
//! alternative a user would pick, on the same corpus and the same queries in one run.
//!
//! The corpus is the shipped bank's published items plus synthetic items made by recombining and
//! perturbing them (stems with clauses dropped or reordered, options and explanations taken from other
//! items of the same kind), scaled to 1k, 10k and 100k items. The queries are the labelled set in
//! `benches/data/queries.toml` (half Chinese, half English, some mixed); recall@10 is measured against
//! its relevance judgements. Those name real items; a synthetic item counts as relevant when the real
//! item whose stem (or material) it perturbs is relevant, since the stem carries the question's point.
//!
//! Both engines are timed returning the ids of the top 10 (FTS5 cuts no snippets); tiku's API also cuts
//! highlighted snippets in both languages, timed on its own row.
//!
//! Run: `cargo bench --bench search` (sizes: `TIKU_BENCH_SIZES=1000,10000,100000`, the default).

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use diesel::sqlite::SqliteConnection;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use serde::Deserialize;
use tiku::bank;
use tiku::domain::glossary::Glossary;
use tiku::domain::item::{Body, Item, ItemId};
use tiku::domain::{Lang, Status};
use tiku::search::document::texts;
use tiku::search::{Audience, SearchIndex, SearchRequest};
use tiku::storage::items::{IndexedItem, StoredItem};

#[derive(Deserialize)]
struct QueryFile {
    query: Vec<LabelledQuery>,
}

#[derive(Deserialize, Clone)]
struct LabelledQuery {
    q: String,
    lang: String,
    relevant: Vec<String>,
}

/// Splits text into clauses at Chinese and English sentence punctuation.
fn clauses(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        current.push(c);
        if matches!(c, '，' | '。' | '；' | '？' | ',' | '.' | ';' | '?' | '\n') {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.trim().is_empty() {
        out.push(current);
    }
    out
}

/// Drops one clause (when there are several) and swaps two others.
fn perturb(text: &str, rng: &mut Xoshiro256PlusPlus) -> String {
    let mut parts = clauses(text);
    if parts.len() > 2 {
        let drop = rng.random_range(0..parts.len());
        parts.remove(drop);
    }
    if parts.len() > 1 {
        let a = rng.random_range(0..parts.len());
        let b = rng.random_range(0..parts.len());
        parts.swap(a, b);
    }
    parts.concat()
}

/// A synthetic item: the base item's structure with a perturbed stem (or material), the options or
/// parts of a donor of the same kind, and a third item's explanation.
fn synthetic(n: usize, real: &[Item], rng: &mut Xoshiro256PlusPlus) -> (Item, String) {
    let base = &real[rng.random_range(0..real.len())];
    let same_kind: Vec<&Item> = real.iter().filter(|i| i.kind() == base.kind()).collect();
    let donor = same_kind[rng.random_range(0..same_kind.len())];
    let third = same_kind[rng.random_range(0..same_kind.len())];
    let mut item = base.clone();
    item.id = ItemId::parse(&format!("SYN-{n:06}")).unwrap_or_else(|e| panic!("{e}"));
    match (&mut item.body, &donor.body, &third.body) {
        (Body::Question(q), Body::Question(d), Body::Question(t)) => {
            q.stem.zh = perturb(&q.stem.zh, rng);
            q.stem.en = perturb(&q.stem.en, rng);
            if q.kind() == d.kind() {
                q.response = d.response.clone();
            }
            q.explanation = t.explanation.clone();
        }
        (Body::Case(c), Body::Case(d), _) => {
            c.material.zh = perturb(&c.material.zh, rng);
            c.material.en = perturb(&c.material.en, rng);
            c.parts = d.parts.clone();
        }
        _ => {}
    }
    if donor.template.is_some() || base.template.is_some() {
        // Keep the text free of unfilled placeholders: take the donor's whole body when it is a template.
        item.template = base.template.clone();
        if let (Body::Case(c), Body::Case(b)) = (&mut item.body, &base.body) {
            c.parts = b.parts.clone();
        }
    }
    (item, base.id.to_string())
}

fn stored(item: Item) -> IndexedItem {
    let s = StoredItem {
        item,
        version: 1,
        status: Status::Published,
        latest_version: 1,
        published_version: Some(1),
        created_at: time::macros::datetime!(2026-01-01 0:00),
        created_by: "bench".into(),
    };
    IndexedItem {
        latest: s.clone(),
        published: Some(s),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// recall@10 for one query: the share of its relevant items (at most 10) in the top 10.
fn recall(top: &[String], relevant: &BTreeSet<String>) -> f64 {
    let got = top
        .iter()
        .take(10)
        .filter(|id| relevant.contains(*id))
        .count();
    got as f64 / relevant.len().clamp(1, 10) as f64
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = Text)]
    id: String,
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = Integer)]
    n: i32,
}

/// The FTS5 query a user would write: every word of three or more characters as a quoted trigram
/// match, shorter words (which trigrams cannot find) as LIKE filters; ranked by bm25.
fn fts_search(conn: &mut SqliteConnection, q: &str) -> Vec<String> {
    let words: Vec<&str> = q.split_whitespace().collect();
    let mut matches = Vec::new();
    let mut likes = Vec::new();
    for w in &words {
        let escaped = w.replace('"', "\"\"");
        if w.chars().count() >= 3 {
            matches.push(format!("\"{escaped}\""));
        } else {
            let lit = w.replace('\'', "''");
            likes.push(format!("(zh LIKE '%{lit}%' OR en LIKE '%{lit}%')"));
        }
    }
    let sql = match (matches.is_empty(), likes.is_empty()) {
        (false, _) => {
            let m = matches.join(" AND ").replace('\'', "''");
            let extra = if likes.is_empty() {
                String::new()
            } else {
                format!(" AND {}", likes.join(" AND "))
            };
            format!("SELECT id FROM docs WHERE docs MATCH '{m}'{extra} ORDER BY rank LIMIT 10")
        }
        (true, false) => format!("SELECT id FROM docs WHERE {} LIMIT 10", likes.join(" AND ")),
        (true, true) => return Vec::new(),
    };
    diesel::sql_query(sql)
        .load::<IdRow>(conn)
        .map(|rows| rows.into_iter().map(|r| r.id).collect())
        .unwrap_or_default()
}

struct Figures {
    build_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    recall: f64,
}

fn time_queries(
    queries: &[LabelledQuery],
    relevant: &[BTreeSet<String>],
    rounds: usize,
    mut run: impl FnMut(&str) -> Vec<String>,
) -> (Vec<Duration>, f64) {
    let mut latencies = Vec::with_capacity(queries.len() * rounds);
    let mut recall_sum = 0.0;
    for (q, rel) in queries.iter().zip(relevant) {
        let top = run(&q.q); // warm-up, and the result judged for recall
        recall_sum += recall(&top, rel);
        for _ in 0..rounds {
            let t = Instant::now();
            std::hint::black_box(run(&q.q));
            latencies.push(t.elapsed());
        }
    }
    latencies.sort();
    (latencies, recall_sum / queries.len() as f64)
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    format!("{cpu}, {cores} cores")
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let loaded = bank::load(&root.join("question-bank"));
    let real: Vec<Item> = loaded
        .bank
        .items
        .iter()
        .filter(|b| b.status == Status::Published)
        .map(|b| b.item.clone())
        .collect();
    let queries: Vec<LabelledQuery> = toml::from_str::<QueryFile>(
        &std::fs::read_to_string(root.join("benches/data/queries.toml"))
            .unwrap_or_else(|e| panic!("queries.toml: {e}")),
    )
    .unwrap_or_else(|e| panic!("queries.toml: {e}"))
    .query;
    let sizes: Vec<usize> = std::env::var("TIKU_BENCH_SIZES")
        .unwrap_or_else(|_| "1000,10000,100000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let rounds = 5;
    let by_lang = |l: &str| queries.iter().filter(|q| q.lang == l).count();
    println!("# Search benchmark: tantivy (tiku) vs SQLite FTS5 trigram");
    println!(
        "machine: {}; command: cargo bench --bench search",
        machine()
    );
    println!(
        "corpus: {} real published items + synthetic recombinations; {} labelled queries ({} zh, {} en, {} mixed), each timed {rounds}× after a warm-up, one thread",
        real.len(),
        queries.len(),
        by_lang("zh"),
        by_lang("en"),
        by_lang("mixed")
    );
    println!();
    println!("| items | engine | build (s) | p50 (ms) | p99 (ms) | recall@10 |");
    println!("| ---: | --- | ---: | ---: | ---: | ---: |");

    for &size in &sizes {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(size as u64);
        let mut corpus: Vec<Item> = real.clone();
        let mut base_of: Vec<(String, String)> = Vec::new();
        let mut n = 0;
        while corpus.len() < size {
            let (item, base) = synthetic(n, &real, &mut rng);
            base_of.push((item.id.to_string(), base));
            corpus.push(item);
            n += 1;
        }
        let relevant: Vec<BTreeSet<String>> = queries
            .iter()
            .map(|q| {
                let mut set: BTreeSet<String> = q.relevant.iter().cloned().collect();
                set.extend(
                    base_of
                        .iter()
                        .filter(|(_, b)| q.relevant.contains(b))
                        .map(|(s, _)| s.clone()),
                );
                set
            })
            .collect();
        let docs: Vec<IndexedItem> = corpus.into_iter().map(stored).collect();

        // tantivy, on disk as in production.
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let t = Instant::now();
        let (index, _) = SearchIndex::open(
            &dir.path().join("index"),
            loaded.bank.taxonomy.clone(),
            Glossary::new(loaded.bank.glossary.clone()),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        index.rebuild(&docs, 1).unwrap_or_else(|e| panic!("{e}"));
        let build = t.elapsed().as_secs_f64();
        let (lat, rec) = time_queries(&queries, &relevant, rounds, |q| {
            let mut req = SearchRequest::new(q, Audience::Public);
            req.snippets = false;
            index
                .search(&req)
                .map(|r| r.hits.into_iter().map(|h| h.id).collect())
                .unwrap_or_default()
        });
        let tantivy = Figures {
            build_s: build,
            p50_ms: percentile(&lat, 0.5),
            p99_ms: percentile(&lat, 0.99),
            recall: rec,
        };
        let (lat, _) = time_queries(&queries, &relevant, rounds, |q| {
            index
                .search(&SearchRequest::new(q, Audience::Public))
                .map(|r| r.hits.into_iter().map(|h| h.id).collect())
                .unwrap_or_default()
        });
        let with_snippets = (percentile(&lat, 0.5), percentile(&lat, 0.99));
        drop(index);

        // SQLite FTS5 with the trigram tokenizer, over the same texts.
        let file = dir.path().join("fts.db");
        let mut conn =
            SqliteConnection::establish(&file.to_string_lossy()).unwrap_or_else(|e| panic!("{e}"));
        conn.batch_execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, zh, en, tokenize = 'trigram');")
            .unwrap_or_else(|e| panic!("{e}"));
        let t = Instant::now();
        conn.transaction::<_, diesel::result::Error, _>(|c| {
            for d in &docs {
                let zh = texts(&d.latest.item, &loaded.bank.taxonomy, Lang::Zh);
                let en = texts(&d.latest.item, &loaded.bank.taxonomy, Lang::En);
                diesel::sql_query("INSERT INTO docs (id, zh, en) VALUES (?, ?, ?)")
                    .bind::<Text, _>(d.latest.item.id.as_str())
                    .bind::<Text, _>(format!("{}\n{}\n{}", zh.title, zh.body, zh.topics))
                    .bind::<Text, _>(format!("{}\n{}\n{}", en.title, en.body, en.topics))
                    .execute(c)?;
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
        let build = t.elapsed().as_secs_f64();
        let count: i32 = diesel::sql_query("SELECT count(*) AS n FROM docs")
            .get_result::<CountRow>(&mut conn)
            .map(|r| r.n)
            .unwrap_or(0);
        assert_eq!(count as usize, docs.len());
        let (lat, rec) = time_queries(&queries, &relevant, rounds, |q| fts_search(&mut conn, q));
        let fts = Figures {
            build_s: build,
            p50_ms: percentile(&lat, 0.5),
            p99_ms: percentile(&lat, 0.99),
            recall: rec,
        };
        for (name, f) in [("tantivy (tiku)", &tantivy), ("FTS5 trigram", &fts)] {
            println!(
                "| {size} | {name} | {:.2} | {:.3} | {:.3} | {:.3} |",
                f.build_s, f.p50_ms, f.p99_ms, f.recall
            );
        }
        println!(
            "| {size} | tiku API (+ snippets zh/en) | | {:.3} | {:.3} | |",
            with_snippets.0, with_snippets.1
        );
        println!(
            "| {size} | ratio FTS5 ÷ tantivy | {:.1}× | {:.1}× | {:.1}× | {:+.3} recall |",
            fts.build_s / tantivy.build_s,
            fts.p50_ms / tantivy.p50_ms,
            fts.p99_ms / tantivy.p99_ms,
            tantivy.recall - fts.recall
        );
    }
}
