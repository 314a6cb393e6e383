//! The learner model and what is built on it (pure, no IO): [`model`] (abilities per knowledge point and
//! item parameters, updated by every answer), [`review`] (FSRS spaced repetition of missed questions),
//! [`forecast`] (the exam as the model sees it, knowledge-point weights, predicted scores, pass chance and
//! grade band) and [`select`] (adaptive practice: the next item and the pace toward the test date).

pub mod forecast;
pub mod model;
pub mod review;
pub mod select;
