//! tiku (题库): the question bank and adaptive practice engine for the 跨境电商(B2B)岗位能力水平测试.
//!
//! Layers, from the pure core outwards (see ARCHITECTURE.md):
//! - [`domain`]: items, answers, scoring, taxonomy, blueprints — pure types and rules, no IO;
//! - [`bank`]: reads and checks the `question-bank/` files, reporting every problem as `file:line`.

pub mod adaptive;
pub mod auth;
pub mod bank;
pub mod cli;
pub mod config;
pub mod delivery;
pub mod domain;
pub mod lti;
pub mod paper;
pub mod search;
pub mod startup;
pub mod storage;
pub mod web;
