//! The knowledge-point tree: tag codes such as `T3.1`, their bilingual names, and subtree queries.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::bilingual::Text;

/// A knowledge-point code such as `T2.3`. A code's parent is the code without its last `.`-part.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TagCode(String);

impl TagCode {
    /// Checks the form `T<n>(.<n>)*`.
    pub fn parse(raw: &str) -> Result<TagCode, String> {
        let ok = raw.strip_prefix('T').is_some_and(|rest| {
            !rest.is_empty()
                && rest
                    .split('.')
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        });
        if ok {
            Ok(TagCode(raw.to_owned()))
        } else {
            Err(format!(
                "tag code `{raw}` is not of the form T<number>(.<number>)*, e.g. T3.1"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The parent's code (`T3.1` → `T3`); top-level codes have none.
    pub fn parent(&self) -> Option<TagCode> {
        self.0.rsplit_once('.').map(|(p, _)| TagCode(p.to_owned()))
    }

    /// True when `self` is `root` or lies below it (`T3.1` is within `T3`, `T31` is not).
    pub fn is_within(&self, root: &TagCode) -> bool {
        self.0 == root.0
            || (self.0.starts_with(root.0.as_str()) && self.0[root.0.len()..].starts_with('.'))
    }
}

impl fmt::Display for TagCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One knowledge point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tag {
    pub code: TagCode,
    pub name: Text,
}

/// The tag tree, in file order (parents before children).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Taxonomy {
    tags: Vec<Tag>,
    #[serde(skip)]
    index: HashMap<TagCode, usize>,
}

impl Taxonomy {
    /// Builds the tree. Fails, naming the code, on a duplicate or on a child listed without its parent.
    pub fn new(tags: Vec<Tag>) -> Result<Taxonomy, String> {
        let mut index = HashMap::new();
        for (i, tag) in tags.iter().enumerate() {
            if let Some(parent) = tag.code.parent()
                && !index.contains_key(&parent)
            {
                return Err(format!(
                    "tag {} is listed before (or without) its parent {parent}",
                    tag.code
                ));
            }
            if index.insert(tag.code.clone(), i).is_some() {
                return Err(format!("tag {} is listed twice", tag.code));
            }
        }
        Ok(Taxonomy { tags, index })
    }

    /// Rebuilds the lookup index after deserialising.
    pub fn reindexed(self) -> Result<Taxonomy, String> {
        Taxonomy::new(self.tags)
    }

    pub fn tags(&self) -> &[Tag] {
        &self.tags
    }

    pub fn get(&self, code: &TagCode) -> Option<&Tag> {
        self.index.get(code).map(|&i| &self.tags[i])
    }

    pub fn contains(&self, code: &TagCode) -> bool {
        self.index.contains_key(code)
    }

    /// Direct children, in file order.
    pub fn children<'a>(&'a self, code: &'a TagCode) -> impl Iterator<Item = &'a Tag> + 'a {
        self.tags
            .iter()
            .filter(move |t| t.code.parent().as_ref() == Some(code))
    }

    pub fn is_leaf(&self, code: &TagCode) -> bool {
        self.contains(code) && self.children(code).next().is_none()
    }

    pub fn leaves(&self) -> impl Iterator<Item = &Tag> {
        self.tags.iter().filter(|t| self.is_leaf(&t.code))
    }

    /// Top-level tags (T1 … T11).
    pub fn roots(&self) -> impl Iterator<Item = &Tag> {
        self.tags.iter().filter(|t| t.code.parent().is_none())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(code: &str) -> Tag {
        Tag {
            code: TagCode::parse(code).unwrap_or_else(|e| panic!("{e}")),
            name: Text::same(code),
        }
    }

    fn code(raw: &str) -> TagCode {
        TagCode::parse(raw).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn codes_know_their_subtree() {
        assert!(code("T3.1").is_within(&code("T3")));
        assert!(code("T3").is_within(&code("T3")));
        assert!(!code("T31").is_within(&code("T3")));
        assert!(!code("T3").is_within(&code("T3.1")));
        assert_eq!(code("T3.1").parent(), Some(code("T3")));
        assert!(TagCode::parse("3.1").is_err());
        assert!(TagCode::parse("T3.").is_err());
    }

    #[test]
    fn tree_answers_leaves_and_children() -> Result<(), String> {
        let tax = Taxonomy::new(vec![tag("T1"), tag("T1.1"), tag("T1.2"), tag("T2")])?;
        assert!(tax.is_leaf(&code("T1.1")));
        assert!(!tax.is_leaf(&code("T1")));
        assert!(tax.is_leaf(&code("T2")));
        assert_eq!(tax.leaves().count(), 3);
        assert_eq!(tax.roots().count(), 2);
        Ok(())
    }

    #[test]
    fn rejects_orphans_and_duplicates() {
        assert!(Taxonomy::new(vec![tag("T1.1")]).is_err());
        assert!(Taxonomy::new(vec![tag("T1"), tag("T1")]).is_err());
    }
}
