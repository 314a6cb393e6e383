//! The search index: open or rebuild it, keep it current with item changes, and answer searches with
//! ranked hits, bilingual snippets and facet counts.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tantivy::aggregation::agg_req::Aggregations;
use tantivy::aggregation::{AggContextParams, AggregationCollector, AggregationLimitsGuard};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::Query;
use tantivy::schema::Value;
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use super::analyzer::{self, EN, ZH};
use super::document::{plain_excerpt, tags_with_ancestors, texts};
use super::query::{self, Analysers};
use super::schema::{self, Fields, SCHEMA_VERSION};
use crate::domain::Lang;
use crate::domain::glossary::Glossary;
use crate::domain::item::{Kind, Status, Subject};
use crate::domain::taxonomy::{TagCode, Taxonomy};
use crate::storage::items::{IndexedItem, StoredItem};

/// Everything that can go wrong with the index.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("search index directory: {0}")]
    Io(#[from] std::io::Error),
    #[error("search index: {0}")]
    Other(String),
}

/// Who is searching: staff see every item's latest version; candidates the published versions only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    Staff,
    Public,
}

impl Audience {
    fn code(self) -> &'static str {
        match self {
            Audience::Staff => "staff",
            Audience::Public => "public",
        }
    }
}

/// A search.
#[derive(Clone, Debug)]
pub struct SearchRequest {
    pub q: String,
    pub subject: Option<Subject>,
    /// Matches the tag and its whole subtree.
    pub tag: Option<TagCode>,
    pub kind: Option<Kind>,
    pub difficulty: Option<u8>,
    pub status: Option<Status>,
    pub rule: Option<String>,
    /// 1-based.
    pub page: usize,
    pub per_page: usize,
    pub audience: Audience,
    /// Whether to count facets (costs a pass over every match).
    pub facets: bool,
    /// Whether to cut highlighted snippets for the hits.
    pub snippets: bool,
}

impl SearchRequest {
    /// A search for `q` by `audience` with no filters, first page of 10.
    pub fn new(q: &str, audience: Audience) -> SearchRequest {
        SearchRequest {
            q: q.to_owned(),
            subject: None,
            tag: None,
            kind: None,
            difficulty: None,
            status: None,
            rule: None,
            page: 1,
            per_page: 10,
            audience,
            facets: false,
            snippets: true,
        }
    }
}

/// One result.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Hit {
    pub id: String,
    pub version: u64,
    pub subject: String,
    pub kind: String,
    pub status: String,
    pub tags: Vec<String>,
    pub difficulty: u64,
    /// The stem (or a case's material), shortened, as plain text.
    pub stem_zh: String,
    pub stem_en: String,
    /// A passage around the matched words, as HTML with the matches in `<b>`; empty when no word matched
    /// in that language.
    pub snippet_zh: String,
    pub snippet_en: String,
    pub score: f32,
}

/// How many matches each filter value has.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Facets {
    pub subject: BTreeMap<String, u64>,
    pub kind: BTreeMap<String, u64>,
    pub difficulty: BTreeMap<String, u64>,
    pub status: BTreeMap<String, u64>,
    pub tag: BTreeMap<String, u64>,
    pub rule: BTreeMap<String, u64>,
}

/// The answer to a search.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SearchResults {
    pub total: usize,
    pub took_ms: f64,
    pub hits: Vec<Hit>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facets: Option<Facets>,
}

/// What is kept in the index's commit, to know whether it is current.
#[derive(Serialize, Deserialize, PartialEq, Eq, Debug)]
struct Payload {
    schema: u32,
    dictionary: String,
    /// Every item change up to this sequence number is in the index.
    seq: i64,
}

/// The index and what is needed to write and query it.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    glossary: Glossary,
    taxonomy: Taxonomy,
    zh: TextAnalyzer,
    en: TextAnalyzer,
    dictionary: String,
    seq: Mutex<i64>,
}

/// A fingerprint of what the analysers depend on (the user dictionary); a change means a rebuild.
fn dictionary_fingerprint(taxonomy: &Taxonomy, glossary: &Glossary) -> String {
    let mut words: Vec<&str> = taxonomy
        .tags()
        .iter()
        .flat_map(|t| [t.name.zh.as_str(), t.name.en.as_str()])
        .collect();
    words.extend(glossary.all_terms());
    crate::storage::sha256_hex(words.join("\n").as_bytes())
}

fn writer_of(index: &Index) -> Result<IndexWriter, SearchError> {
    // One indexing thread: this runs beside the web server on small machines.
    Ok(index.writer_with_num_threads(1, 64_000_000)?)
}

impl SearchIndex {
    /// Opens the index in `dir`. When it is missing, unreadable, of another schema or built with another
    /// dictionary, it is recreated empty and `true` says that it must be rebuilt from the database.
    pub fn open(
        dir: &Path,
        taxonomy: Taxonomy,
        glossary: Glossary,
    ) -> Result<(SearchIndex, bool), SearchError> {
        let dictionary = dictionary_fingerprint(&taxonomy, &glossary);
        let (schema, fields) = schema::build();
        let existing = Index::open_in_dir(dir).ok().and_then(|index| {
            let payload: Payload =
                serde_json::from_str(index.load_metas().ok()?.payload.as_deref()?).ok()?;
            (payload.schema == SCHEMA_VERSION
                && payload.dictionary == dictionary
                && index.schema() == schema)
                .then_some((index, payload.seq))
        });
        let (index, seq, fresh) = match existing {
            Some((index, seq)) => (index, seq, false),
            None => {
                if dir.exists() {
                    std::fs::remove_dir_all(dir)?;
                }
                std::fs::create_dir_all(dir)?;
                (Index::create_in_dir(dir, schema)?, 0, true)
            }
        };
        Ok((
            Self::with_index(index, fields, taxonomy, glossary, dictionary, seq)?,
            fresh,
        ))
    }

    /// An index in memory (tests and benchmarks).
    pub fn in_memory(taxonomy: Taxonomy, glossary: Glossary) -> Result<SearchIndex, SearchError> {
        let dictionary = dictionary_fingerprint(&taxonomy, &glossary);
        let (schema, fields) = schema::build();
        Self::with_index(
            Index::create_in_ram(schema),
            fields,
            taxonomy,
            glossary,
            dictionary,
            0,
        )
    }

    fn with_index(
        index: Index,
        fields: Fields,
        taxonomy: Taxonomy,
        glossary: Glossary,
        dictionary: String,
        seq: i64,
    ) -> Result<SearchIndex, SearchError> {
        let words: Vec<&str> = taxonomy
            .tags()
            .iter()
            .map(|t| t.name.zh.as_str())
            .chain(glossary.chinese_terms())
            .collect();
        let zh = analyzer::chinese(words);
        let en = analyzer::english();
        // Custom tokenizers are not stored in the index: register them every time it is opened.
        index.tokenizers().register(ZH, zh.clone());
        index.tokenizers().register(EN, en.clone());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let writer = writer_of(&index)?;
        Ok(SearchIndex {
            index,
            reader,
            writer: Mutex::new(writer),
            fields,
            glossary,
            taxonomy,
            zh,
            en,
            dictionary,
            seq: Mutex::new(seq),
        })
    }

    /// The knowledge-point tree the index was built with.
    pub fn taxonomy(&self) -> &Taxonomy {
        &self.taxonomy
    }

    /// The last item change the index holds.
    pub fn seq(&self) -> i64 {
        self.seq.lock().map(|s| *s).unwrap_or(0)
    }

    /// The number of documents searchable now.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    fn document(&self, item: &StoredItem, audiences: &[Audience]) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, item.item.id.as_str());
        doc.add_u64(f.version, u64::from(item.version));
        for a in audiences {
            doc.add_text(f.audience, a.code());
        }
        doc.add_text(f.subject, item.item.subject.code());
        doc.add_text(f.kind, item.item.kind().code());
        doc.add_text(f.status, item.status.code());
        doc.add_u64(f.difficulty, u64::from(item.item.difficulty.get()));
        for t in tags_with_ancestors(&item.item) {
            doc.add_text(f.tags, &t);
        }
        for t in item.item.all_tags() {
            doc.add_text(f.own_tags, t.as_str());
        }
        for r in &item.item.rules {
            doc.add_text(f.rules, r);
        }
        for (lang, title, body, topic) in [
            (Lang::Zh, f.title_zh, f.body_zh, f.topic_zh),
            (Lang::En, f.title_en, f.body_en, f.topic_en),
        ] {
            let t = texts(&item.item, &self.taxonomy, lang);
            for (entry, n) in self.glossary.concepts_in(&t.title) {
                for _ in 0..n {
                    doc.add_text(f.title_concepts, schema::concept_term(entry));
                    doc.add_text(f.concepts, schema::concept_term(entry));
                }
            }
            for (entry, n) in self.glossary.concepts_in(&t.body) {
                for _ in 0..n {
                    doc.add_text(f.concepts, schema::concept_term(entry));
                }
            }
            doc.add_text(title, &t.title);
            doc.add_text(body, &t.body);
            doc.add_text(topic, &t.topics);
        }
        doc
    }

    fn add(&self, writer: &IndexWriter, entry: &IndexedItem) -> Result<(), SearchError> {
        match &entry.published {
            Some(p) if p.version == entry.latest.version => {
                writer.add_document(
                    self.document(&entry.latest, &[Audience::Staff, Audience::Public]),
                )?;
            }
            Some(p) => {
                writer.add_document(self.document(&entry.latest, &[Audience::Staff]))?;
                writer.add_document(self.document(p, &[Audience::Public]))?;
            }
            None => {
                writer.add_document(self.document(&entry.latest, &[Audience::Staff]))?;
            }
        }
        Ok(())
    }

    fn commit(&self, writer: &mut IndexWriter, seq: i64) -> Result<(), SearchError> {
        let payload = serde_json::to_string(&Payload {
            schema: SCHEMA_VERSION,
            dictionary: self.dictionary.clone(),
            seq,
        })
        .map_err(|e| SearchError::Other(e.to_string()))?;
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        self.reader.reload()?;
        if let Ok(mut s) = self.seq.lock() {
            *s = seq;
        }
        Ok(())
    }

    fn lock_writer(&self) -> Result<std::sync::MutexGuard<'_, IndexWriter>, SearchError> {
        self.writer.lock().map_err(|_| {
            SearchError::Other("the index writer was poisoned by an earlier panic".into())
        })
    }

    /// Replaces the whole index with `items`, holding every change up to `seq`.
    pub fn rebuild(&self, items: &[IndexedItem], seq: i64) -> Result<(), SearchError> {
        let mut writer = self.lock_writer()?;
        writer.delete_all_documents()?;
        for entry in items {
            self.add(&writer, entry)?;
        }
        self.commit(&mut writer, seq)
    }

    /// Re-indexes the given items (replacing their documents) and removes `gone`; then every change up to
    /// `seq` is searchable.
    pub fn update(
        &self,
        items: &[IndexedItem],
        gone: &[String],
        seq: i64,
    ) -> Result<(), SearchError> {
        let mut writer = self.lock_writer()?;
        for id in items
            .iter()
            .map(|e| e.latest.item.id.as_str())
            .chain(gone.iter().map(String::as_str))
        {
            writer.delete_term(Term::from_field_text(self.fields.id, id));
        }
        for entry in items {
            self.add(&writer, entry)?;
        }
        self.commit(&mut writer, seq)
    }

    /// Answers a search (at most 100 hits a page).
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResults, SearchError> {
        let mut r = req.clone();
        r.per_page = req.per_page.clamp(1, 100);
        self.search_unbounded(&r)
    }

    fn search_unbounded(&self, req: &SearchRequest) -> Result<SearchResults, SearchError> {
        let started = Instant::now();
        let searcher = self.reader.searcher();
        let f = &self.fields;
        let mut analysers = Analysers {
            zh: self.zh.clone(),
            en: self.en.clone(),
        };
        let plan = query::plan(f, &mut analysers, &self.glossary, &req.q);
        let mut filters = vec![(f.audience, req.audience.code().to_owned())];
        if let Some(s) = req.subject {
            filters.push((f.subject, s.code().to_owned()));
        }
        if let Some(k) = req.kind {
            filters.push((f.kind, k.code().to_owned()));
        }
        if let Some(s) = req.status {
            filters.push((f.status, s.code().to_owned()));
        }
        if let Some(t) = &req.tag {
            filters.push((f.tags, t.to_string()));
        }
        if let Some(r) = &req.rule {
            filters.push((f.rules, r.clone()));
        }
        let difficulty = req.difficulty.map(|d| (f.difficulty, u64::from(d)));
        let per_page = req.per_page.max(1);
        let offset = (req.page.max(1) - 1) * per_page;
        let top_docs = || {
            TopDocs::with_limit(per_page)
                .and_offset(offset)
                .order_by_score()
        };
        let q = query::filtered(
            plan.as_ref().map(|p| p.query.box_clone()),
            &filters,
            difficulty,
        );
        // One pass: the ranked page and the count together.
        let (mut top, mut total) = searcher.search(&*q, &(top_docs(), Count))?;
        let mut q = q;
        if total == 0
            && let Some(p) = &plan
            && p.clauses.len() > 1
        {
            // No item has every word: fall back to items with any of them, best first.
            q = query::filtered(Some(query::any_of(&p.clauses)), &filters, difficulty);
            (top, total) = searcher.search(&*q, &(top_docs(), Count))?;
        }
        let hits = self.hits(&searcher, &top, plan.as_ref().filter(|_| req.snippets))?;
        let facets = if req.facets {
            Some(self.facets(&searcher, &*q)?)
        } else {
            None
        };
        Ok(SearchResults {
            total,
            took_ms: started.elapsed().as_secs_f64() * 1000.0,
            hits,
            facets,
        })
    }

    /// The ids of every item a search matches (no pagination), best first.
    pub fn matching_ids(&self, req: &SearchRequest) -> Result<Vec<String>, SearchError> {
        let n = self.reader.searcher().num_docs() as usize;
        let mut all = req.clone();
        all.page = 1;
        all.per_page = n.max(1);
        all.facets = false;
        all.snippets = false;
        Ok(self
            .search_unbounded(&all)?
            .hits
            .into_iter()
            .map(|h| h.id)
            .collect())
    }

    fn hits(
        &self,
        searcher: &tantivy::Searcher,
        top: &[(f32, DocAddress)],
        plan: Option<&query::Plan>,
    ) -> Result<Vec<Hit>, SearchError> {
        let f = &self.fields;
        let generator =
            |field, analyzer: &TextAnalyzer, words: &[String]| -> Option<SnippetGenerator> {
                if words.is_empty() {
                    return None;
                }
                let terms: BTreeMap<String, f32> = words.iter().map(|w| (w.clone(), 1.0)).collect();
                Some(SnippetGenerator::new(terms, analyzer.clone(), field, 160))
            };
        let gens = match plan {
            Some(p) => [
                (
                    generator(f.title_zh, &self.zh, &p.highlight_zh),
                    generator(f.body_zh, &self.zh, &p.highlight_zh),
                ),
                (
                    generator(f.title_en, &self.en, &p.highlight_en),
                    generator(f.body_en, &self.en, &p.highlight_en),
                ),
            ],
            None => [(None, None), (None, None)],
        };
        let mut out = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(*address)?;
            let text = |field| -> String {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            let number = |field| -> u64 {
                doc.get_first(field)
                    .and_then(|v| v.as_u64())
                    .unwrap_or_default()
            };
            let snippet =
                |(title, body): &(Option<SnippetGenerator>, Option<SnippetGenerator>)| -> String {
                    for g in [title, body].into_iter().flatten() {
                        let s = g.snippet_from_doc(&doc);
                        if !s.highlighted().is_empty() {
                            return s.to_html();
                        }
                    }
                    String::new()
                };
            out.push(Hit {
                id: text(f.id),
                version: number(f.version),
                subject: text(f.subject),
                kind: text(f.kind),
                status: text(f.status),
                tags: doc
                    .get_all(f.own_tags)
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
                difficulty: number(f.difficulty),
                stem_zh: plain_excerpt(&text(f.title_zh), 160),
                stem_en: plain_excerpt(&text(f.title_en), 240),
                snippet_zh: snippet(&gens[0]),
                snippet_en: snippet(&gens[1]),
                score: *score,
            });
        }
        Ok(out)
    }

    fn facets(&self, searcher: &tantivy::Searcher, q: &dyn Query) -> Result<Facets, SearchError> {
        let request = serde_json::json!({
            "subject": {"terms": {"field": "subject", "size": 10}},
            "kind": {"terms": {"field": "kind", "size": 20}},
            "status": {"terms": {"field": "status", "size": 10}},
            "difficulty": {"terms": {"field": "difficulty", "size": 10}},
            "tag": {"terms": {"field": "tags", "size": 1000}},
            "rule": {"terms": {"field": "rules", "size": 200}},
        });
        let aggs: Aggregations =
            serde_json::from_value(request).map_err(|e| SearchError::Other(e.to_string()))?;
        let collector = AggregationCollector::from_aggs(
            aggs,
            AggContextParams::new(
                AggregationLimitsGuard::default(),
                self.index.tokenizers().clone(),
            ),
        );
        let result = searcher.search(q, &collector)?;
        let json = serde_json::to_value(&result).map_err(|e| SearchError::Other(e.to_string()))?;
        let buckets = |name: &str| -> BTreeMap<String, u64> {
            json[name]["buckets"]
                .as_array()
                .map(|list| {
                    list.iter()
                        .filter_map(|b| {
                            let key = match &b["key"] {
                                serde_json::Value::String(s) => s.clone(),
                                serde_json::Value::Number(n) => {
                                    n.as_f64().map(|v| format!("{v:.0}"))?
                                }
                                _ => return None,
                            };
                            Some((key, b["doc_count"].as_u64()?))
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        Ok(Facets {
            subject: buckets("subject"),
            kind: buckets("kind"),
            difficulty: buckets("difficulty"),
            status: buckets("status"),
            tag: buckets("tag"),
            rule: buckets("rule"),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use time::macros::datetime;

    use super::*;
    use crate::bank;

    /// The test bank, indexed in memory (every item published, latest = published).
    fn fixture() -> SearchIndex {
        let loaded = bank::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bank"));
        let b = loaded.bank;
        let index = SearchIndex::in_memory(b.taxonomy.clone(), Glossary::new(b.glossary.clone()))
            .unwrap_or_else(|e| panic!("{e}"));
        let items: Vec<IndexedItem> = b
            .items
            .iter()
            .map(|bi| {
                let stored = StoredItem {
                    item: bi.item.clone(),
                    version: 1,
                    status: bi.status,
                    latest_version: 1,
                    published_version: Some(1),
                    created_at: datetime!(2026-01-01 0:00),
                    created_by: "test".into(),
                };
                IndexedItem {
                    latest: stored.clone(),
                    published: Some(stored),
                }
            })
            .collect();
        index.rebuild(&items, 7).unwrap_or_else(|e| panic!("{e}"));
        index
    }

    fn ids(index: &SearchIndex, q: &str) -> Vec<String> {
        let r = index
            .search(&SearchRequest::new(q, Audience::Public))
            .unwrap_or_else(|e| panic!("{e}"));
        r.hits.into_iter().map(|h| h.id).collect()
    }

    #[test]
    fn one_concept_in_three_spellings_finds_the_same_items() {
        let index = fixture();
        let fob = ids(&index, "FOB");
        assert!(fob.contains(&"T3.1-0001".to_owned()), "{fob:?}");
        let mut a = ids(&index, "free on board");
        let mut b = ids(&index, "离岸价");
        a.sort();
        b.sort();
        let mut c = fob.clone();
        c.sort();
        assert_eq!(a, c, "free on board = FOB");
        assert_eq!(b, c, "离岸价 = FOB");
    }

    #[test]
    fn chinese_and_english_queries_find_items_and_highlight_both_languages() {
        let index = fixture();
        let r = index
            .search(&SearchRequest::new("风险 转移", Audience::Public))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(r.hits.iter().any(|h| h.id == "T3.1-0001"), "{:?}", r.hits);
        let hit = &r.hits[0];
        assert!(hit.snippet_zh.contains("<b>"), "{hit:?}");
        let r = index
            .search(&SearchRequest::new(
                "Institute Cargo Clauses",
                Audience::Public,
            ))
            .unwrap_or_else(|e| panic!("{e}"));
        let hit = r
            .hits
            .iter()
            .find(|h| h.id == "T3.1-0003")
            .unwrap_or_else(|| panic!("{:?}", r.hits));
        assert!(hit.snippet_en.contains("<b>"), "{hit:?}");
        assert!(
            hit.snippet_zh.contains("<b>"),
            "the glossary also finds 协会货物条款: {hit:?}"
        );
    }

    #[test]
    fn filters_facets_and_subtrees() {
        let index = fixture();
        let mut req = SearchRequest::new("", Audience::Public);
        req.facets = true;
        let all = index.search(&req).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(all.total, 6);
        let facets = all.facets.unwrap_or_default();
        assert_eq!(facets.subject.get("A"), Some(&4));
        assert_eq!(facets.kind.get("case"), Some(&1));
        assert_eq!(
            facets.tag.get("T3"),
            Some(&6),
            "T3 counts items tagged with its leaves"
        );
        req.tag = TagCode::parse("T3").ok();
        req.kind = Some(Kind::Single);
        let r = index.search(&req).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            r.hits.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(),
            vec!["T3.1-0001"]
        );
        req.kind = None;
        req.difficulty = Some(3);
        req.tag = None;
        let r = index.search(&req).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            r.hits.iter().all(|h| h.difficulty == 3) && r.total >= 1,
            "{:?}",
            r.hits
        );
    }

    #[test]
    fn staff_see_drafts_candidates_do_not() {
        let index = fixture();
        let loaded = bank::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bank"));
        let mut draft = loaded.bank.items[0].item.clone();
        draft.id = crate::domain::ItemId::parse("DRAFT-1").unwrap_or_else(|e| panic!("{e}"));
        let stored = StoredItem {
            item: draft,
            version: 1,
            status: Status::Draft,
            latest_version: 1,
            published_version: None,
            created_at: datetime!(2026-01-01 0:00),
            created_by: "t".into(),
        };
        index
            .update(
                &[IndexedItem {
                    latest: stored,
                    published: None,
                }],
                &[],
                8,
            )
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(index.seq(), 8);
        let staff = index
            .search(&SearchRequest::new("FOB", Audience::Staff))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            staff
                .hits
                .iter()
                .any(|h| h.id == "DRAFT-1" && h.status == "draft")
        );
        assert!(!ids(&index, "FOB").contains(&"DRAFT-1".to_owned()));
        index
            .update(&[], &["DRAFT-1".into()], 9)
            .unwrap_or_else(|e| panic!("{e}"));
        let staff = index
            .search(&SearchRequest::new("FOB", Audience::Staff))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!staff.hits.iter().any(|h| h.id == "DRAFT-1"));
    }

    #[test]
    fn all_words_first_then_any_word() {
        let index = fixture();
        assert!(
            ids(&index, "FOB zzzqqq").contains(&"T3.1-0001".to_owned()),
            "falls back to any word"
        );
    }
}
