//! Paper-assembly benchmark: how long `tiku::paper::assemble` takes to build one full mock paper
//! (blueprint `full`: subject A's 85 items and subject B's 8 cases and written tasks), and how exposure
//! control spreads items over 1,000 candidates' papers.
//!
//! Two pools are measured. The shipped pool is every published item of `question-bank/`. The scaled pool
//! has 20,000 items derived from it: the real items themselves, then whole rounds of copies of every real
//! item under a new unique id (`<id>-x01`, `<id>-x02`, …), and a last partial round taking every k-th real
//! item so that it, too, is spread evenly over the bank. A copy keeps its original's subject, kind, tags,
//! points, rules, sources, body and template, so every section and topic keeps its share of the pool; only
//! its difficulty varies, deterministically: copies shift the level by 0, +1 and −1 in turn (reflected
//! at the ends of 1..=5), so the spread of difficulties stays close to the real bank's.
//!
//! Timing: criterion times single assemblies of each pool (a new seed each iteration), and a plain loop
//! times 300 papers with seeds 0..300 after a warm-up, for p50 and p99 per paper (nearest rank), in three
//! rounds alternating between the pools so that the spread a busy machine causes shows. Only `assemble`
//! is timed; the pool (`Vec<PoolItem>`) is built beforehand, as the server would hold it.
//!
//! Exposure: 1,000 papers for 1,000 candidates (seed = candidate number), assembled one after another as
//! the server will do it: `seen` is false (each candidate sits one paper) and, with exposure feedback,
//! every item of a paper adds 1 to its `exposure` for the papers after it. The same 1,000 papers without
//! feedback (exposure always 0) are the alternative. For both, per pool and per subject: the items the
//! blueprint admits (eligible), the distinct items used, the exposure rate of the items used (papers
//! containing the item ÷ 1,000) and the overlap over all 499,500 pairs of papers — whole papers with
//! `tiku::paper::overlap`, per subject the same measure (shared items ÷ items of the smaller paper) on
//! the subject's items; the two are checked against each other on every pair. Every paper is also
//! checked with `tiku::paper::verify`, and its mean difficulty per subject against the band.
//!
//! Run: `cargo bench --bench paper`; with `TIKU_BENCH_REPORT=benches/RESULTS-paper.md` the report is also
//! written to that file. Without `--bench` (`cargo test --benches`) everything runs once, small.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::Criterion;
use tiku::bank;
use tiku::domain::Status;
use tiku::domain::blueprint::Blueprint;
use tiku::domain::item::{Difficulty, Item, ItemId, Subject};
use tiku::paper::{Options, Paper, PoolItem, assemble, overlap, verify};

/// The size of the scaled pool.
const SCALED: usize = 20_000;
/// What the issue asks of one full paper at 20k items.
const TARGET_P99_MS: f64 = 20.0;
const CRITERION_GROUP: &str = "assemble-full";

/// How much to run: the full benchmark, or a quick check that it works.
struct Plan {
    bench: bool,
    timed_papers: usize,
    /// Rounds of the plain timing loop, so that run-to-run spread (a busy machine) shows in the report.
    rounds: usize,
    candidates: usize,
}

/// The real items, then copies under new ids with varied difficulty until there are `size` items.
fn scaled(real: &[Item], size: usize) -> Vec<Item> {
    let n = real.len();
    let mut out: Vec<Item> = real.iter().take(size).cloned().collect();
    let mut copy = 0usize;
    while out.len() < size {
        copy += 1;
        let left = size - out.len();
        // A partial round takes every k-th item, so its items, too, are spread over the whole bank.
        let picks: Vec<usize> = if left >= n {
            (0..n).collect()
        } else {
            (0..left).map(|j| j * n / left).collect()
        };
        for i in picks {
            let base = &real[i];
            let mut item = base.clone();
            item.id =
                ItemId::parse(&format!("{}-x{copy:02}", base.id)).unwrap_or_else(|e| panic!("{e}"));
            item.difficulty = varied(base.difficulty.get(), copy + i);
            out.push(item);
        }
    }
    out
}

/// Shifts a difficulty level by 0, +1 or −1 (by `k`), reflected where it would leave 1..=5.
fn varied(level: u8, k: usize) -> Difficulty {
    let shift: i16 = [0, 1, -1][k % 3];
    let mut d = i16::from(level) + shift;
    if !(1..=5).contains(&d) {
        d = i16::from(level) - shift;
    }
    u8::try_from(d)
        .ok()
        .and_then(Difficulty::new)
        .unwrap_or_else(|| panic!("difficulty {d}"))
}

fn pool(items: &[Item]) -> Vec<PoolItem<'_>> {
    items
        .iter()
        .map(|item| PoolItem {
            item,
            version: 1,
            seen: false,
            exposure: 0,
        })
        .collect()
}

fn options(seed: u64) -> Options {
    Options {
        seed,
        ..Options::default()
    }
}

fn assemble_or_panic(bp: &Blueprint, pool: &[PoolItem<'_>], seed: u64) -> Paper {
    assemble(bp, pool, &options(seed)).unwrap_or_else(|e| panic!("seed {seed}: {e}"))
}

/// Nearest-rank percentile of sorted values.
fn percentile<T: Copy>(sorted: &[T], p: f64) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    Some(sorted[i])
}

fn ms(d: Option<Duration>) -> String {
    d.map_or_else(
        || "n/a".into(),
        |d| format!("{:.3}", d.as_secs_f64() * 1000.0),
    )
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

/// Other work on the machine skews the timings; the report says how busy it was.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(", "))
        .unwrap_or_else(|| "unknown".into())
}

/// The command as typed, with the environment variables that change what it does.
fn command() -> String {
    let mut cmd = String::new();
    for var in ["TIKU_BENCH_REPORT", "CARGO_TARGET_DIR"] {
        if let Ok(v) = std::env::var(var) {
            let _ = write!(cmd, "{var}={v} ");
        }
    }
    cmd.push_str("cargo bench --bench paper");
    cmd
}

/// Where criterion keeps its results: where it would by default, set explicitly so they can be read.
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target"),
        PathBuf::from,
    );
    target.join("criterion")
}

/// Criterion's median time per assembly and its 95% confidence interval, in ms, from this run's estimates.
fn criterion_median(dir: &Path, name: &str) -> String {
    let file = dir
        .join(CRITERION_GROUP)
        .join(name)
        .join("new/estimates.json");
    let Ok(text) = std::fs::read_to_string(&file) else {
        return "n/a".into();
    };
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
        return "n/a".into();
    };
    let get = |path: &str| v.pointer(path).and_then(serde_json::Value::as_f64);
    match (
        get("/median/point_estimate"),
        get("/median/confidence_interval/lower_bound"),
        get("/median/confidence_interval/upper_bound"),
    ) {
        (Some(m), Some(lo), Some(hi)) => {
            format!("{:.3} [{:.3}, {:.3}]", m / 1e6, lo / 1e6, hi / 1e6)
        }
        _ => "n/a".into(),
    }
}

fn criterion_benches(c: &mut Criterion, bp: &Blueprint, pools: &[(&str, &[PoolItem<'_>])]) {
    let mut group = c.benchmark_group(CRITERION_GROUP);
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    for (name, pool) in pools {
        let mut seed = 0u64;
        group.bench_function(*name, |b| {
            b.iter(|| {
                seed = seed.wrapping_add(1);
                assemble(black_box(bp), black_box(pool), &options(seed))
            })
        });
    }
    group.finish();
}

/// Times `n` papers with seeds `0..n` after a short warm-up; sorted latencies.
fn time_papers(bp: &Blueprint, pool: &[PoolItem<'_>], n: usize) -> Vec<Duration> {
    for seed in 0..5 {
        black_box(assemble_or_panic(bp, pool, 1_000_000 + seed));
    }
    let mut lat: Vec<Duration> = (0..n as u64)
        .map(|seed| {
            let t = Instant::now();
            let paper = assemble(bp, pool, &options(seed));
            let elapsed = t.elapsed();
            black_box(paper.unwrap_or_else(|e| panic!("seed {seed}: {e}")));
            elapsed
        })
        .collect();
    lat.sort();
    lat
}

/// Which row of the statistics an item counts in.
fn subject_index(s: Subject) -> usize {
    match s {
        Subject::A => 1,
        Subject::B => 2,
    }
}

const SCOPES: [&str; 3] = ["both", "A", "B"];

/// The papers of one 1,000-candidate run, as sorted pool indices per scope (both subjects, A, B).
struct Run {
    papers: Vec<Paper>,
    picks: Vec<[Vec<u32>; 3]>,
    /// Papers containing each pool item.
    counts: Vec<u32>,
    latencies: Vec<Duration>,
    violations: usize,
    /// Papers whose mean difficulty lies in the band, per subject (A, B).
    in_band: [usize; 2],
}

fn simulate(bp: &Blueprint, items: &[Item], feedback: bool, n: usize) -> Run {
    let mut pool = pool(items);
    let index: HashMap<&ItemId, u32> = items
        .iter()
        .enumerate()
        .map(|(i, item)| (&item.id, i as u32))
        .collect();
    let by_id: BTreeMap<ItemId, &Item> = items.iter().map(|i| (i.id.clone(), i)).collect();
    let band = Options::default().difficulty_band;
    let mut run = Run {
        papers: Vec::with_capacity(n),
        picks: Vec::with_capacity(n),
        counts: vec![0; items.len()],
        latencies: Vec::with_capacity(n),
        violations: 0,
        in_band: [0, 0],
    };
    for candidate in 0..n as u64 {
        let t = Instant::now();
        let paper = assemble(bp, &pool, &options(candidate));
        run.latencies.push(t.elapsed());
        let paper = paper.unwrap_or_else(|e| panic!("candidate {candidate}: {e}"));
        run.violations += verify(bp, &paper, &by_id).len();
        let mut picks: [Vec<u32>; 3] = Default::default();
        let mut level = [(0u32, 0u32); 2];
        for id in paper.item_ids() {
            let i = index[id];
            let item = &items[i as usize];
            let s = subject_index(item.subject);
            picks[0].push(i);
            picks[s].push(i);
            level[s - 1].0 += u32::from(item.difficulty.get());
            level[s - 1].1 += 1;
            run.counts[i as usize] += 1;
            if feedback {
                pool[i as usize].exposure += 1;
            }
        }
        for (s, (sum, count)) in level.into_iter().enumerate() {
            let mean = f64::from(sum) / f64::from(count.max(1));
            if band.0 <= mean && mean <= band.1 {
                run.in_band[s] += 1;
            }
        }
        for p in &mut picks {
            p.sort_unstable();
        }
        run.picks.push(picks);
        run.papers.push(paper);
    }
    run.latencies.sort();
    run
}

/// Shared items ÷ items of the smaller set, for sorted index lists (the measure of `overlap`).
fn share(a: &[u32], b: &[u32]) -> f64 {
    let smaller = a.len().min(b.len());
    if smaller == 0 {
        return 0.0;
    }
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    common as f64 / smaller as f64
}

struct Stats {
    eligible: usize,
    used: usize,
    mean_rate: f64,
    max_rate: f64,
    pairs: usize,
    mean_overlap: f64,
    p99_overlap: f64,
    max_overlap: f64,
}

/// Exposure and pairwise overlap per scope (both subjects, A, B).
fn stats(bp: &Blueprint, items: &[Item], run: &Run) -> [Stats; 3] {
    let n = run.papers.len();
    let mut overlaps: [Vec<f64>; 3] = Default::default();
    for v in &mut overlaps {
        v.reserve(n * n.saturating_sub(1) / 2);
    }
    for i in 0..n {
        for j in i + 1..n {
            let whole = overlap(&run.papers[i], &run.papers[j]);
            let check = share(&run.picks[i][0], &run.picks[j][0]);
            assert!(
                (whole - check).abs() < 1e-12,
                "papers {i} and {j}: overlap {whole} but {check} from the pool indices"
            );
            overlaps[0].push(whole);
            for (s, list) in overlaps.iter_mut().enumerate().skip(1) {
                list.push(share(&run.picks[i][s], &run.picks[j][s]));
            }
        }
    }
    let eligible = |item: &Item, scope: usize| {
        (scope == 0 || subject_index(item.subject) == scope)
            && bp
                .papers
                .iter()
                .filter(|p| p.subject == item.subject)
                .any(|p| p.sections.iter().any(|s| s.admits(item)))
    };
    std::array::from_fn(|scope| {
        let rates: Vec<f64> = items
            .iter()
            .zip(&run.counts)
            .filter(|(item, c)| **c > 0 && (scope == 0 || subject_index(item.subject) == scope))
            .map(|(_, &c)| f64::from(c) / n as f64)
            .collect();
        let ov = &mut overlaps[scope];
        let pairs = ov.len();
        let mean_overlap = ov.iter().sum::<f64>() / pairs.max(1) as f64;
        ov.sort_unstable_by(f64::total_cmp);
        Stats {
            eligible: items.iter().filter(|i| eligible(i, scope)).count(),
            used: rates.len(),
            mean_rate: rates.iter().sum::<f64>() / rates.len().max(1) as f64,
            max_rate: rates.iter().copied().fold(0.0, f64::max),
            pairs,
            mean_overlap,
            p99_overlap: percentile(ov, 0.99).unwrap_or(0.0),
            max_overlap: ov.last().copied().unwrap_or(0.0),
        }
    })
}

fn main() {
    let plan = if std::env::args().any(|a| a == "--bench") {
        Plan {
            bench: true,
            timed_papers: 300,
            rounds: 3,
            candidates: 1_000,
        }
    } else {
        Plan {
            bench: false,
            timed_papers: 10,
            rounds: 1,
            candidates: 10,
        }
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let loaded = bank::load(&root.join("question-bank"));
    let real: Vec<Item> = loaded
        .bank
        .items
        .iter()
        .filter(|b| b.status == Status::Published)
        .map(|b| b.item.clone())
        .collect();
    let bp = loaded
        .bank
        .blueprints
        .iter()
        .find(|b| b.id == "full")
        .unwrap_or_else(|| panic!("the shipped bank has no blueprint `full`"));
    let big = scaled(&real, SCALED);
    let pools: [(String, &[Item]); 2] = [
        (format!("shipped-{}", real.len()), &real),
        (format!("scaled-{}", big.len()), &big),
    ];
    let pool_items: Vec<Vec<PoolItem<'_>>> = pools.iter().map(|(_, items)| pool(items)).collect();

    // 1. Time per paper: criterion first, then the plain loop.
    let crit_dir = criterion_dir();
    let mut c = Criterion::default()
        .output_directory(&crit_dir)
        .configure_from_args();
    let named: Vec<(&str, &[PoolItem<'_>])> = pools
        .iter()
        .zip(&pool_items)
        .map(|((name, _), p)| (name.as_str(), p.as_slice()))
        .collect();
    criterion_benches(&mut c, bp, &named);
    c.final_summary();
    // Rounds alternate between the pools, so that a burst of other work does not hit one pool only.
    let mut timed: Vec<Vec<Vec<Duration>>> = vec![Vec::new(); pool_items.len()];
    for _ in 0..plan.rounds {
        for (p, lat) in pool_items.iter().zip(&mut timed) {
            lat.push(time_papers(bp, p, plan.timed_papers));
        }
    }

    // 2. Exposure and overlap, with and without exposure feedback.
    let mut exposure = Vec::new();
    for (name, items) in &pools {
        for feedback in [true, false] {
            let run = simulate(bp, items, feedback, plan.candidates);
            let s = stats(bp, items, &run);
            exposure.push((name.as_str(), feedback, run, s));
        }
    }

    // 3. The report.
    let mut r = String::new();
    let date = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year]-[month]-[day] [hour]:[minute] UTC"
        ))
        .unwrap_or_else(|e| panic!("{e}"));
    let paper_items: usize = bp.papers.iter().map(|p| p.item_count() as usize).sum();
    let _ = writeln!(r, "# Paper-assembly benchmark (recorded {date})");
    let _ = writeln!(r);
    let _ = writeln!(
        r,
        "What: `tiku::paper::assemble` building one full mock paper (blueprint `{}`: {} subject papers, {} items, {} points, {} minutes), its time per paper and, over {} candidates' papers, how exposure control spreads the items.",
        bp.id,
        bp.papers.len(),
        paper_items,
        bp.max_points(),
        bp.minutes,
        plan.candidates
    );
    let _ = writeln!(
        r,
        "How: see the `//!` header of `benches/paper.rs`. Pools: the shipped bank's {} published items, and {} items made from them (copies under new ids keeping subject, kind, tags, points and body, difficulty shifted by 0/+1/−1 in turn). One thread; only `assemble` is timed, the pool is built beforehand.",
        real.len(),
        big.len()
    );
    let _ = writeln!(r);
    let _ = writeln!(r, "- command: `{}`", command());
    let _ = writeln!(r, "- machine: {}", machine());
    let _ = writeln!(
        r,
        "- load average when the report was written (1, 5, 15 min): {}",
        load_average()
    );
    let _ = writeln!(
        r,
        "- mode: {}",
        if plan.bench {
            "benchmark (release)"
        } else {
            "quick check (no `--bench`): figures not meaningful"
        }
    );
    let _ = writeln!(r);
    let _ = writeln!(r, "## Time per full paper");
    let _ = writeln!(r);
    let _ = writeln!(
        r,
        "Plain loop: {} rounds of {} papers (seeds 0..{}, exposure 0, after 5 warm-up papers), the rounds alternating between the pools; nearest-rank percentiles per round and over all rounds. Criterion: median time of one assembly with its 95% confidence interval (20 samples, 4 s). Target: p99 ≤ {TARGET_P99_MS} ms at {SCALED} items.",
        plan.rounds, plan.timed_papers, plan.timed_papers
    );
    let _ = writeln!(r);
    let _ = writeln!(
        r,
        "| pool | items | papers | p50 (ms) | p99 (ms) | max (ms) | mean (ms) | criterion median (ms) [95% CI] | p99 ≤ {TARGET_P99_MS} ms |"
    );
    let _ = writeln!(
        r,
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |"
    );
    for ((name, items), rounds) in pools.iter().zip(&timed) {
        let mut all: Vec<Duration> = rounds.iter().flatten().copied().collect();
        all.sort();
        let rows = rounds
            .iter()
            .enumerate()
            .map(|(k, lat)| (format!("round {}", k + 1), lat, "".to_owned()))
            .chain(std::iter::once((
                format!("all {}", all.len()),
                &all,
                criterion_median(&crit_dir, name),
            )));
        for (label, lat, crit) in rows {
            let mean = lat.iter().sum::<Duration>() / lat.len().max(1) as u32;
            let p99 = percentile(lat, 0.99);
            let verdict = match p99 {
                Some(p) if p.as_secs_f64() * 1000.0 <= TARGET_P99_MS => "yes",
                Some(_) => "**no**",
                None => "n/a",
            };
            let _ = writeln!(
                r,
                "| {name} | {} | {label} | {} | {} | {} | {} | {crit} | {verdict} |",
                items.len(),
                ms(percentile(lat, 0.5)),
                ms(p99),
                ms(lat.last().copied()),
                ms(Some(mean)),
            );
        }
    }
    let _ = writeln!(r);
    let _ = writeln!(
        r,
        "The same, timed inside the {}-paper runs below (seed = candidate, exposure as in the run):",
        plan.candidates
    );
    let _ = writeln!(r);
    let _ = writeln!(
        r,
        "| pool | exposure feedback | p50 (ms) | p99 (ms) | max (ms) |"
    );
    let _ = writeln!(r, "| --- | --- | ---: | ---: | ---: |");
    for (name, feedback, run, _) in &exposure {
        let _ = writeln!(
            r,
            "| {name} | {} | {} | {} | {} |",
            if *feedback { "yes" } else { "no" },
            ms(percentile(&run.latencies, 0.5)),
            ms(percentile(&run.latencies, 0.99)),
            ms(run.latencies.last().copied()),
        );
    }
    let _ = writeln!(r);
    let _ = writeln!(r, "## Exposure and overlap over {} papers", plan.candidates);
    let _ = writeln!(r);
    let _ = writeln!(
        r,
        "One paper per candidate, seed = candidate number, `seen` false. With feedback every paper's items add 1 to their `exposure` for the papers after it; without, exposure stays 0. Eligible: pool items some section of the blueprint admits. Exposure rate: papers containing the item ÷ {}, over the items used. Overlap: shared items ÷ items of the smaller paper, over all pairs (whole papers with `tiku::paper::overlap`, per subject on that subject's items).",
        plan.candidates
    );
    let _ = writeln!(r);
    let _ = writeln!(
        r,
        "| pool | exposure feedback | subject | eligible items | distinct items used | mean exposure rate | max exposure rate | pairs | mean overlap | p99 overlap | max overlap |"
    );
    let _ = writeln!(
        r,
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for (name, feedback, _, stats) in &exposure {
        for (scope, s) in SCOPES.iter().zip(stats) {
            let _ = writeln!(
                r,
                "| {name} | {} | {scope} | {} | {} | {:.4} | {:.4} | {} | {:.4} | {:.4} | {:.4} |",
                if *feedback { "yes" } else { "no" },
                s.eligible,
                s.used,
                s.mean_rate,
                s.max_rate,
                s.pairs,
                s.mean_overlap,
                s.p99_overlap,
                s.max_overlap,
            );
        }
    }
    let _ = writeln!(r);
    let _ = writeln!(r, "Checks on the same papers:");
    let _ = writeln!(r);
    let _ = writeln!(
        r,
        "| pool | exposure feedback | papers | `verify` violations | mean difficulty in band {:?}: A | B |",
        Options::default().difficulty_band
    );
    let _ = writeln!(r, "| --- | --- | ---: | ---: | ---: | ---: |");
    for (name, feedback, run, _) in &exposure {
        let _ = writeln!(
            r,
            "| {name} | {} | {} | {} | {} | {} |",
            if *feedback { "yes" } else { "no" },
            run.papers.len(),
            run.violations,
            run.in_band[0],
            run.in_band[1],
        );
    }

    println!();
    print!("{r}");
    if plan.bench
        && let Ok(path) = std::env::var("TIKU_BENCH_REPORT")
    {
        std::fs::write(&path, &r).unwrap_or_else(|e| panic!("{path}: {e}"));
        println!("\nreport written to {path}");
    }
}
