//! Mock papers, pure: assembling a paper from a blueprint and the published pool (seeded, reproducible),
//! and measuring how much papers overlap.

pub mod assemble;

pub use assemble::{
    AssemblyError, Options, Paper, PaperSection, PoolItem, Prepared, Slot, assemble,
    assemble_prepared, overlap, verify,
};

use std::collections::BTreeMap;

use crate::domain::blueprint::Blueprint;
use crate::domain::item::{Item, ItemId};

/// Assembles `n` papers one after another as parallel forms: each avoids the items of the earlier ones
/// first (as if one candidate sat them all) and spreads exposure. Used to check that the bank supports
/// parallel mock papers.
pub fn parallel_forms(
    blueprint: &Blueprint,
    items: &[(&Item, u32)],
    n: usize,
    seed: u64,
) -> Result<Vec<Paper>, AssemblyError> {
    let mut exposure: BTreeMap<ItemId, u32> = BTreeMap::new();
    let mut papers: Vec<Paper> = Vec::with_capacity(n);
    for k in 0..n {
        let pool: Vec<PoolItem<'_>> = items
            .iter()
            .map(|(item, version)| {
                let e = exposure.get(&item.id).copied().unwrap_or(0);
                PoolItem {
                    item,
                    version: *version,
                    seen: e > 0,
                    exposure: e,
                }
            })
            .collect();
        let paper = assemble(
            blueprint,
            &pool,
            &Options {
                seed: seed.wrapping_add(k as u64),
                ..Options::default()
            },
        )?;
        for id in paper.item_ids() {
            *exposure.entry(id.clone()).or_default() += 1;
        }
        papers.push(paper);
    }
    Ok(papers)
}

/// The largest pairwise overlap among `papers` (0 to 1).
pub fn max_overlap(papers: &[Paper]) -> f64 {
    let mut max: f64 = 0.0;
    for (i, a) in papers.iter().enumerate() {
        for b in &papers[i + 1..] {
            max = max.max(overlap(a, b));
        }
    }
    max
}
