//! Integration tests: one binary, every test isolated with its own data directory and database.

mod accounts;
mod auth;
mod bank_import;
mod browser;
mod candidates;
mod cli;
mod content;
mod durability;
mod grading;
mod health;
mod helpers;
mod imports;
mod invitations;
mod learner;
mod lti;
mod lti_platform;
mod mocks;
mod pages;
mod pg;
mod practice;
mod quality;
mod schools;
mod search;
mod teach;
mod tidy;
mod xss;
