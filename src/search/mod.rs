//! Search: a tantivy index over every item's current version (and published version), in Chinese and
//! English, with a trade glossary bridging the two. The index is derived data: it can always be rebuilt
//! from the database, and it follows the database's change feed.

pub mod analyzer;
pub mod document;
pub mod index;
pub mod query;
pub mod schema;
pub mod sync;

pub use index::{Audience, Facets, Hit, SearchError, SearchIndex, SearchRequest, SearchResults};
