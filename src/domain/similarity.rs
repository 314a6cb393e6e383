//! Near-duplicate detection: MinHash signatures over character shingles of an item's text in both
//! languages, compared by their estimated Jaccard similarity, with locality-sensitive hashing (bands of
//! the signature) to find candidate pairs without comparing every pair.
//!
//! Written here rather than taken from a crate: the MinHash crates on the registry are either early
//! experiments (datasketch-minhash-lsh 0.0.1) or pull in several generations of `rand` (gaoya); the
//! algorithm itself is a few dozen lines.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{Hash, Hasher};

use super::item::{Body, Item, Response};
use super::normalize::fold_for_search;

/// Signature length: the standard error of the similarity estimate is about 1/√128 ≈ 0.09 at 0.5 and
/// much smaller near 1.
pub const SIGNATURE_LEN: usize = 128;
/// LSH bands × rows = signature length. With 32 bands of 4 rows, a pair at similarity 0.7 becomes a
/// candidate with probability 1 − (1 − 0.7⁴)³² ≈ 0.9998 and one at 0.3 with probability ≈ 0.23; every
/// candidate is then checked on the whole signature.
const BANDS: usize = 32;
const ROWS: usize = SIGNATURE_LEN / BANDS;
/// Shingle length in characters: three characters suit Chinese (words of two to four characters) and
/// still discriminate English.
const SHINGLE: usize = 3;
/// Similarity at and above which `tiku check` and imports report two items as near-duplicates: at 0.7 of
/// their three-character shingles shared, two items say nearly the same thing in both languages.
pub const NEAR_DUPLICATE: f64 = 0.7;

/// A MinHash signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature([u32; SIGNATURE_LEN]);

/// The text that identifies an item: stem (or case material and part stems), options and accepted
/// fill-in answers, both languages. Explanations are left out: two different questions may share one.
pub fn identifying_text(item: &Item) -> String {
    let mut out = String::new();
    let mut push = |s: &str| {
        out.push_str(s);
        out.push('\n');
    };
    let question = |q: &super::item::Question, push: &mut dyn FnMut(&str)| {
        push(&q.stem.zh);
        push(&q.stem.en);
        match &q.response {
            Response::Single { options, .. } | Response::Multiple { options, .. } => {
                for o in options {
                    push(&o.text.zh);
                    push(&o.text.en);
                }
            }
            // A short stem ("give the Chinese term for …") says little; the answers say what is asked.
            Response::Fill { accept } => {
                for a in accept {
                    push(a);
                    push(a);
                }
            }
            _ => {}
        }
    };
    match &item.body {
        Body::Question(q) => question(q, &mut push),
        Body::Case(c) => {
            push(&c.material.zh);
            push(&c.material.en);
            for p in &c.parts {
                question(&p.question, &mut push);
            }
        }
    }
    out
}

/// The set of hashed character shingles of `text` (folded, without spaces and punctuation).
fn shingles(text: &str) -> BTreeSet<u64> {
    let chars: Vec<char> = fold_for_search(text)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect();
    let mut out = BTreeSet::new();
    if chars.len() < SHINGLE {
        if !chars.is_empty() {
            out.insert(hash(&chars));
        }
        return out;
    }
    for w in chars.windows(SHINGLE) {
        out.insert(hash(w));
    }
    out
}

/// A fixed, portable hash (FNV-1a), so signatures are the same on every machine and in every run.
fn hash(chars: &[char]) -> u64 {
    struct Fnv(u64);
    impl Hasher for Fnv {
        fn finish(&self) -> u64 {
            self.0
        }
        fn write(&mut self, bytes: &[u8]) {
            for b in bytes {
                self.0 ^= u64::from(*b);
                self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
            }
        }
    }
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    for c in chars {
        c.hash(&mut h);
    }
    h.finish()
}

/// The i-th of the hash functions: a multiply-shift universal hash with fixed odd multipliers.
fn permute(i: usize, x: u64) -> u32 {
    // Multipliers from a fixed splitmix sequence, so the family is the same everywhere.
    let mut z = (i as u64)
        .wrapping_add(1)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    let a = (z ^ (z >> 31)) | 1;
    (a.wrapping_mul(x ^ (z >> 17)) >> 32) as u32
}

impl Signature {
    /// The signature of `text`.
    pub fn of_text(text: &str) -> Signature {
        let set = shingles(text);
        let mut sig = [u32::MAX; SIGNATURE_LEN];
        for x in set {
            for (i, slot) in sig.iter_mut().enumerate() {
                let v = permute(i, x);
                if v < *slot {
                    *slot = v;
                }
            }
        }
        Signature(sig)
    }

    /// The signature of an item's identifying text.
    pub fn of_item(item: &Item) -> Signature {
        Signature::of_text(&identifying_text(item))
    }

    /// The estimated Jaccard similarity of the two shingle sets (0 to 1).
    pub fn similarity(&self, other: &Signature) -> f64 {
        let same = self
            .0
            .iter()
            .zip(other.0.iter())
            .filter(|(a, b)| a == b)
            .count();
        same as f64 / SIGNATURE_LEN as f64
    }

    fn band(&self, b: usize) -> &[u32] {
        &self.0[b * ROWS..(b + 1) * ROWS]
    }
}

/// A pair of near-duplicates.
#[derive(Clone, Debug, PartialEq)]
pub struct NearPair<K> {
    pub a: K,
    pub b: K,
    pub similarity: f64,
}

/// Every pair of `signatures` with similarity at least `threshold`, found through LSH buckets and then
/// verified on the whole signature. Pairs come out sorted, most similar first.
pub fn near_pairs<K: Clone + Ord>(
    signatures: &[(K, Signature)],
    threshold: f64,
) -> Vec<NearPair<K>> {
    let mut candidates: BTreeSet<(usize, usize)> = BTreeSet::new();
    for b in 0..BANDS {
        let mut buckets: HashMap<&[u32], Vec<usize>> = HashMap::new();
        for (i, (_, sig)) in signatures.iter().enumerate() {
            buckets.entry(sig.band(b)).or_default().push(i);
        }
        for list in buckets.values().filter(|l| l.len() > 1) {
            for (x, &i) in list.iter().enumerate() {
                for &j in &list[x + 1..] {
                    candidates.insert((i.min(j), i.max(j)));
                }
            }
        }
    }
    let mut out: Vec<NearPair<K>> = candidates
        .into_iter()
        .filter_map(|(i, j)| {
            let s = signatures[i].1.similarity(&signatures[j].1);
            (s >= threshold).then(|| NearPair {
                a: signatures[i].0.clone(),
                b: signatures[j].0.clone(),
                similarity: s,
            })
        })
        .collect();
    out.sort_by(|x, y| y.similarity.total_cmp(&x.similarity).then(x.a.cmp(&y.a)));
    out
}

/// The entries of `signatures` at least `threshold` similar to `probe`, most similar first.
pub fn similar_to<'a, K: Ord + Clone + 'a>(
    probe: &Signature,
    signatures: impl IntoIterator<Item = (&'a K, &'a Signature)>,
    threshold: f64,
) -> Vec<(K, f64)> {
    let mut found: BTreeMap<K, f64> = BTreeMap::new();
    for (k, sig) in signatures {
        let s = probe.similarity(sig);
        if s >= threshold {
            found.insert(k.clone(), s);
        }
    }
    let mut out: Vec<(K, f64)> = found.into_iter().collect();
    out.sort_by(|x, y| y.1.total_cmp(&x.1));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEM: &str = "按照《2020年国际贸易术语解释通则》，采用FOB术语成交时，货物灭失或损坏的风险何时由卖方转移给买方？ \
                        Under Incoterms 2020, when does the risk of loss of or damage to the goods pass from the seller to the buyer under FOB?";

    #[test]
    fn identical_text_is_one_and_unrelated_text_is_near_zero() {
        let a = Signature::of_text(STEM);
        assert_eq!(a.similarity(&Signature::of_text(STEM)), 1.0);
        let other = Signature::of_text(
            "阿里巴巴国际站的星等级由四个维度评定。The star rating has four dimensions.",
        );
        assert!(a.similarity(&other) < 0.1, "{}", a.similarity(&other));
    }

    #[test]
    fn small_edits_stay_near_and_a_different_question_does_not() {
        let a = Signature::of_text(STEM);
        let reworded = STEM
            .replace("何时", "在什么时候")
            .replace("when does", "at what moment does");
        let s = a.similarity(&Signature::of_text(&reworded));
        assert!(
            s >= NEAR_DUPLICATE,
            "a light rewording is a near-duplicate: {s}"
        );
        let cif = STEM
            .replace("FOB", "CIF")
            .replace("风险", "保险费")
            .replace(
                "risk of loss of or damage to the goods pass",
                "insurance premium get paid",
            );
        let s2 = a.similarity(&Signature::of_text(&cif));
        assert!(s2 < s, "{s2} vs {s}");
    }

    #[test]
    fn lsh_finds_the_pair_among_many() {
        let mut sigs: Vec<(String, Signature)> = (0..200)
            .map(|i| {
                (
                    format!("x{i:03}"),
                    Signature::of_text(&format!(
                        "第{i}题：关于主题{} 的问题，编号{} question number {i} about topic {}",
                        i * 7919 % 1000,
                        i * 31,
                        i * 13
                    )),
                )
            })
            .collect();
        sigs.push(("dup".into(), Signature::of_text(STEM)));
        sigs.push(("orig".into(), Signature::of_text(&format!("{STEM} "))));
        let pairs = near_pairs(&sigs, NEAR_DUPLICATE);
        assert!(
            pairs
                .iter()
                .any(|p| (p.a == "dup" && p.b == "orig") || (p.a == "orig" && p.b == "dup")),
            "{pairs:?}"
        );
        assert!(pairs.iter().all(|p| p.similarity >= NEAR_DUPLICATE));
        let close = similar_to(
            &Signature::of_text(STEM),
            sigs.iter().map(|(k, s)| (k, s)),
            NEAR_DUPLICATE,
        );
        assert_eq!(close.len(), 2, "{close:?}");
    }
}
