//! The teachers' area: listing, writing, reviewing, importing and exporting items.

pub mod form;
