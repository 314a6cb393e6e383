//! The index schema: one document per item and audience (staff see the latest version, candidates the
//! published one), with text fields per language and fast fields for filters and facets.

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

use super::analyzer::{EN, ZH};

/// Bumped whenever the schema or the analysis changes: an index of another version is rebuilt.
pub const SCHEMA_VERSION: u32 = 2;

/// The index's fields.
#[derive(Clone, Copy, Debug)]
pub struct Fields {
    pub id: Field,
    pub version: Field,
    pub audience: Field,
    pub subject: Field,
    pub kind: Field,
    pub status: Field,
    pub difficulty: Field,
    /// Every tag and its ancestors, so a filter on `T3` matches `T3.1`.
    pub tags: Field,
    /// The item's own tags, in order (stored for display).
    pub own_tags: Field,
    pub rules: Field,
    pub title_zh: Field,
    pub title_en: Field,
    pub body_zh: Field,
    pub body_en: Field,
    pub topic_zh: Field,
    pub topic_en: Field,
    /// Glossary concepts mentioned anywhere in the item, in any spelling (`c17` once per mention), so a
    /// query for FOB, free on board or 离岸价 is one term.
    pub concepts: Field,
    /// Glossary concepts mentioned in the title.
    pub title_concepts: Field,
}

fn text(tokenizer: &str, stored: bool) -> TextOptions {
    let options = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    if stored {
        options.set_stored()
    } else {
        options
    }
}

/// An untokenised field whose repeated values count (term frequency), for concept ids.
fn counted() -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("raw")
            .set_index_option(IndexRecordOption::WithFreqs),
    )
}

/// The term a glossary concept is indexed as.
pub fn concept_term(entry: usize) -> String {
    format!("c{entry}")
}

/// Builds the schema.
pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED | FAST),
        version: b.add_u64_field("version", STORED),
        audience: b.add_text_field("audience", STRING),
        subject: b.add_text_field("subject", STRING | STORED | FAST),
        kind: b.add_text_field("kind", STRING | STORED | FAST),
        status: b.add_text_field("status", STRING | STORED | FAST),
        difficulty: b.add_u64_field("difficulty", INDEXED | STORED | FAST),
        tags: b.add_text_field("tags", STRING | FAST),
        own_tags: b.add_text_field("own_tags", STORED),
        rules: b.add_text_field("rules", STRING | FAST),
        title_zh: b.add_text_field("title_zh", text(ZH, true)),
        title_en: b.add_text_field("title_en", text(EN, true)),
        body_zh: b.add_text_field("body_zh", text(ZH, true)),
        body_en: b.add_text_field("body_en", text(EN, true)),
        topic_zh: b.add_text_field("topic_zh", text(ZH, false)),
        topic_en: b.add_text_field("topic_en", text(EN, false)),
        concepts: b.add_text_field("concepts", counted()),
        title_concepts: b.add_text_field("title_concepts", counted()),
    };
    (b.build(), fields)
}
