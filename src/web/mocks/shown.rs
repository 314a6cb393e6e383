//! A paper's items as the candidate sees them, with every text escaped as JSON once per item version:
//! serving a paper copies those bytes and orders the options per slot, instead of cloning and escaping
//! the same stems for every candidate. The JSON is the same as [`ItemView`]'s.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::value::RawValue;

use crate::web::present::{ItemView, QuestionView};

/// A text (or any value) as JSON, escaped once.
type Raw = Box<RawValue>;

fn raw(value: &impl Serialize) -> Raw {
    serde_json::to_string(value)
        .ok()
        .and_then(|s| RawValue::from_string(s).ok())
        .unwrap_or_default()
}

/// One question (or an item's own stem) with its texts escaped.
#[derive(Debug)]
struct Question {
    id: String,
    kind: String,
    points: u32,
    stem_zh: Raw,
    stem_en: Raw,
    /// Each option's id and the whole option as JSON, in the authored order.
    options: Option<Vec<(String, Raw)>>,
    unit_zh: Option<Raw>,
    unit_en: Option<Raw>,
}

impl Question {
    fn new(v: &QuestionView) -> Question {
        Question {
            id: v.id.clone(),
            kind: v.kind.clone(),
            points: v.points,
            stem_zh: raw(&v.stem_zh),
            stem_en: raw(&v.stem_en),
            options: v
                .options
                .as_ref()
                .map(|os| os.iter().map(|o| (o.id.clone(), raw(o))).collect()),
            unit_zh: v.unit_zh.as_ref().map(raw),
            unit_en: v.unit_en.as_ref().map(raw),
        }
    }

    /// The texts, the options in `order` (the authored order without one).
    fn entries<M: SerializeMap>(
        &self,
        map: &mut M,
        order: Option<&Vec<String>>,
    ) -> Result<(), M::Error> {
        map.serialize_entry("stem_zh", &self.stem_zh)?;
        map.serialize_entry("stem_en", &self.stem_en)?;
        if let Some(options) = &self.options {
            let shown: Vec<&RawValue> = match order {
                Some(ids) => ids
                    .iter()
                    .filter_map(|id| options.iter().find(|(o, _)| o == id))
                    .map(|(_, r)| r.as_ref())
                    .collect(),
                None => options.iter().map(|(_, r)| r.as_ref()).collect(),
            };
            map.serialize_entry("options", &shown)?;
        }
        if let Some(u) = &self.unit_zh {
            map.serialize_entry("unit_zh", u)?;
        }
        if let Some(u) = &self.unit_en {
            map.serialize_entry("unit_en", u)?;
        }
        Ok(())
    }
}

/// An item version as a candidate sees it (a template item: one variant).
#[derive(Debug)]
pub struct ShownItem {
    id: String,
    version: u32,
    subject: String,
    kind: String,
    tags: Vec<String>,
    difficulty: u8,
    main: Question,
    parts: Option<Vec<Question>>,
}

impl ShownItem {
    pub fn new(v: &ItemView) -> ShownItem {
        let main = QuestionView {
            slot_ref: None,
            id: v.id.clone(),
            kind: v.kind.clone(),
            points: v.points,
            stem_zh: v.stem_zh.clone(),
            stem_en: v.stem_en.clone(),
            options: v.options.clone(),
            unit_zh: v.unit_zh.clone(),
            unit_en: v.unit_en.clone(),
        };
        ShownItem {
            id: v.id.clone(),
            version: v.version,
            subject: v.subject.clone(),
            kind: v.kind.clone(),
            tags: v.tags.clone(),
            difficulty: v.difficulty,
            main: Question::new(&main),
            parts: v
                .parts
                .as_ref()
                .map(|ps| ps.iter().map(Question::new).collect()),
        }
    }
}

/// An item in one slot of a paper: its ref, its points there and its options' order.
pub struct SlotView {
    pub shown: Arc<ShownItem>,
    pub slot_ref: String,
    pub points: u32,
    /// Per question id, the order of its options.
    pub order: BTreeMap<String, Vec<String>>,
}

impl Serialize for SlotView {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let s = &self.shown;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("ref", &self.slot_ref)?;
        map.serialize_entry("id", &s.id)?;
        map.serialize_entry("version", &s.version)?;
        map.serialize_entry("subject", &s.subject)?;
        map.serialize_entry("kind", &s.kind)?;
        map.serialize_entry("tags", &s.tags)?;
        map.serialize_entry("difficulty", &s.difficulty)?;
        map.serialize_entry("points", &self.points)?;
        s.main.entries(&mut map, self.order.get(&s.id))?;
        if let Some(parts) = &s.parts {
            map.serialize_entry("parts", &Parts(parts, self))?;
        }
        map.end()
    }
}

/// A case's parts in a slot: each with the ref `{slot}.{part}`.
struct Parts<'a>(&'a [Question], &'a SlotView);

impl Serialize for Parts<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|q| Part(q, self.1)))
    }
}

struct Part<'a>(&'a Question, &'a SlotView);

impl Serialize for Part<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (q, slot) = (self.0, self.1);
        let key = q.id.rsplit_once('.').map(|(_, k)| k).unwrap_or_default();
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("ref", &format!("{}.{key}", slot.slot_ref))?;
        map.serialize_entry("id", &q.id)?;
        map.serialize_entry("kind", &q.kind)?;
        map.serialize_entry("points", &q.points)?;
        q.entries(&mut map, slot.order.get(&q.id))?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::web::present::{authored_order, present};

    /// The view as the paper served it before: `present` with the slot's ref, points and order.
    fn presented(item: &crate::domain::item::Item, slot: &SlotView) -> serde_json::Value {
        let order = |qid: &str| slot.order.get(qid).cloned();
        let mut v = present(item, slot.shown.version, &order);
        v.slot_ref = Some(slot.slot_ref.clone());
        v.points = slot.points;
        for p in v.parts.iter_mut().flatten() {
            let key = p.id.rsplit_once('.').map(|(_, k)| k).unwrap_or_default();
            p.slot_ref = Some(format!("{}.{key}", slot.slot_ref));
        }
        serde_json::to_value(&v).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn every_shipped_item_is_shown_exactly_as_present_shows_it_in_any_option_order() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("question-bank");
        let bank = crate::bank::load(&dir).bank;
        assert!(bank.items.len() > 500);
        for (n, stored) in bank.items.iter().enumerate() {
            let (item, _) = stored
                .item
                .instantiate(n as u64)
                .unwrap_or_else(|e| panic!("{}: {e}", stored.item.id));
            // Options reversed: an order that differs from the authored one.
            let order: BTreeMap<String, Vec<String>> = item
                .questions()
                .into_iter()
                .filter_map(|(qid, q)| match &q.response {
                    crate::domain::item::Response::Single { options, .. }
                    | crate::domain::item::Response::Multiple { options, .. } => {
                        Some((qid, options.iter().rev().map(|o| o.id.clone()).collect()))
                    }
                    _ => None,
                })
                .collect();
            let slot = SlotView {
                shown: Arc::new(ShownItem::new(&present(&item, 3, &authored_order))),
                slot_ref: format!("A1-{n:02}"),
                points: 7,
                order,
            };
            let fast = serde_json::to_value(&slot).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(fast, presented(&item, &slot), "{}", item.id);
            // And the bytes parse back to the same value.
            let text = serde_json::to_string(&slot).unwrap_or_else(|e| panic!("{e}"));
            let back: serde_json::Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(back, fast, "{}", item.id);
        }
    }

    #[test]
    fn a_template_item_stripped_to_what_is_shown_shows_every_variant_as_the_whole_item_does() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("question-bank");
        let bank = crate::bank::load(&dir).bank;
        let templates: Vec<&crate::domain::item::Item> = bank
            .items
            .iter()
            .map(|s| &s.item)
            .filter(|i| i.template.is_some())
            .collect();
        assert!(!templates.is_empty());
        for item in templates {
            let stripped = crate::web::present::shown_only(item);
            assert!(
                stripped
                    .questions()
                    .iter()
                    .all(|(_, q)| q.explanation.zh.is_empty())
            );
            for variant in 0..20u64 {
                let shown = |i: &crate::domain::item::Item| {
                    let (v, _) = i
                        .instantiate(variant)
                        .unwrap_or_else(|e| panic!("{}: {e}", i.id));
                    serde_json::to_value(present(&v, 1, &authored_order))
                        .unwrap_or_else(|e| panic!("{e}"))
                };
                assert_eq!(
                    shown(&stripped),
                    shown(item),
                    "{} variant {variant}",
                    item.id
                );
            }
        }
    }
}
