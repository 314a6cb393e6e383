//! Blueprints: the shape of a mock paper (sections, counts, points, topic weights), read from bank files.

use serde::{Deserialize, Serialize};

use super::bilingual::Text;
use super::item::{Item, Kind, Subject};
use super::taxonomy::TagCode;

/// One section of a subject paper: `count` items of `kind`, each worth exactly `points`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BlueprintSection {
    pub title: Text,
    pub kind: Kind,
    pub count: u32,
    pub points: u32,
    /// When not empty, an item qualifies only if its primary tag lies within one of these subtrees.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<TagCode>,
}

impl BlueprintSection {
    /// Whether `item` (of the paper's subject) may fill a slot of this section.
    pub fn admits(&self, item: &Item) -> bool {
        item.kind() == self.kind
            && item.points() == self.points
            && (self.tags.is_empty()
                || item
                    .primary_tag()
                    .is_some_and(|p| self.tags.iter().any(|t| p.is_within(t))))
    }
}

/// A share of a subject paper's items whose primary tag lies within `tags`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopicWeight {
    pub tags: Vec<TagCode>,
    pub percent: u32,
}

impl TopicWeight {
    pub fn covers(&self, item: &Item) -> bool {
        item.primary_tag()
            .is_some_and(|p| self.tags.iter().any(|t| p.is_within(t)))
    }
}

/// One subject's paper.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SubjectPaper {
    pub subject: Subject,
    pub title: Text,
    pub sections: Vec<BlueprintSection>,
    /// Topic weights over the sections without a tag filter; empty when the sections carry the topics.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topics: Vec<TopicWeight>,
}

impl SubjectPaper {
    pub fn max_points(&self) -> u32 {
        self.sections.iter().map(|s| s.count * s.points).sum()
    }

    pub fn item_count(&self) -> u32 {
        self.sections.iter().map(|s| s.count).sum()
    }

    /// Items of the sections the topic weights apply to (those without their own tag filter).
    pub fn weighted_count(&self) -> u32 {
        self.sections
            .iter()
            .filter(|s| s.tags.is_empty())
            .map(|s| s.count)
            .sum()
    }

    /// The number of items each topic should get, by largest remainder so the counts add up exactly.
    pub fn topic_targets(&self) -> Vec<u32> {
        largest_remainder(
            self.weighted_count(),
            &self.topics.iter().map(|t| t.percent).collect::<Vec<_>>(),
        )
    }
}

/// A mock paper's blueprint: one or more subject papers sat in one timed sitting.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Blueprint {
    pub id: String,
    pub title: Text,
    pub minutes: u32,
    pub papers: Vec<SubjectPaper>,
}

impl Blueprint {
    pub fn max_points(&self) -> u32 {
        self.papers.iter().map(SubjectPaper::max_points).sum()
    }
}

/// Splits `total` in proportion to `weights` into whole numbers that add up to `total`
/// (Hamilton's method: floors first, then the largest remainders get one more each).
pub fn largest_remainder(total: u32, weights: &[u32]) -> Vec<u32> {
    let sum: u64 = weights.iter().map(|&w| u64::from(w)).sum();
    if sum == 0 {
        return vec![0; weights.len()];
    }
    let exact: Vec<(u32, u64)> = weights
        .iter()
        .map(|&w| {
            let num = u64::from(total) * u64::from(w);
            ((num / sum) as u32, num % sum)
        })
        .collect();
    let mut out: Vec<u32> = exact.iter().map(|&(floor, _)| floor).collect();
    let short = total - out.iter().sum::<u32>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    // Largest remainder first; ties go to the earlier topic so the split is deterministic.
    order.sort_by(|&a, &b| exact[b].1.cmp(&exact[a].1).then(a.cmp(&b)));
    for &i in order.iter().take(short as usize) {
        out[i] += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn largest_remainder_adds_up() {
        // Subject A: 85 items over the weights of ../shared/exam.md.
        let split = largest_remainder(85, &[8, 27, 15, 8, 14, 14, 8, 6]);
        assert_eq!(split.iter().sum::<u32>(), 85);
        assert_eq!(split, vec![7, 23, 12, 7, 12, 12, 7, 5]);
        assert_eq!(largest_remainder(3, &[1, 1, 1]), vec![1, 1, 1]);
        assert_eq!(largest_remainder(2, &[1, 1, 1]), vec![1, 1, 0]);
        assert_eq!(largest_remainder(5, &[0, 0]), vec![0, 0]);
    }
}
