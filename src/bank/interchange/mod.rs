//! Moving items in and out of other formats: Moodle GIFT and Moodle XML (read and write), and the
//! spreadsheet template (xlsx and CSV). Foreign formats are read into [`foreign::Foreign`] records, which
//! the import turns into the bank's own form and checks with the bank's validator.

pub mod foreign;
pub mod gift;
pub mod moodle;
pub mod sheet;
