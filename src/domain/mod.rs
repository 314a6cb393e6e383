//! The pure core's vocabulary: bilingual items, answers, scoring, the taxonomy, blueprints and exam rules.
//!
//! Nothing here does IO or knows about HTTP, SQL, the search index or templates (the `tidy` test keeps it so).

pub mod access;
pub mod answer;
pub mod bilingual;
pub mod blueprint;
pub mod exam;
pub mod glossary;
pub mod grading;
pub mod identity;
pub mod item;
pub mod item_stats;
pub mod normalize;
pub mod practice;
pub mod regrade;
pub mod roster;
pub mod rules;
pub mod scoring;
pub mod similarity;
pub mod summary;
pub mod taxonomy;
pub mod template;
pub mod user;

pub use answer::{Answer, AnswerError};
pub use bilingual::{Bilingual, Lang, Text};
pub use blueprint::{Blueprint, BlueprintSection, TopicWeight};
pub use exam::ExamRules;
pub use item::{
    Body, Case, ChoiceOption, Criterion, Difficulty, Item, ItemId, Kind, NumericKey, Part,
    Question, Response, Status, Subject,
};
pub use rules::{RuleRegistry, RuleVersion};
pub use scoring::{Mark, MarkState};
pub use summary::BankSummary;
pub use taxonomy::{Tag, Taxonomy};
