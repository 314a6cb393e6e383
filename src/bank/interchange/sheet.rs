//! The spreadsheet template (xlsx or CSV): one item per row, one field per column, both languages side by
//! side. Reading gives rows of cells by column name; writing produces the template (with a filled example
//! row and a sheet explaining every column) or an export of items.
//!
//! Cases and calculation templates do not fit in one row: they are exported and imported in the bank's
//! own format instead, and reported as such.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use rust_xlsxwriter::{Format, Workbook};

use super::foreign::NotExported;
use crate::domain::item::{Body, Item, NumericKey, Response, Status};

/// The option letters a row has room for.
pub const OPTION_IDS: [&str; 6] = ["a", "b", "c", "d", "e", "f"];

/// The columns, in order, with what each holds (for the template's help sheet).
pub fn columns() -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = vec![
        (
            "id".into(),
            "Item id, e.g. T3.1-0101; blank = numbered after the primary tag",
        ),
        ("subject".into(), "A (基础) or B (实务)"),
        (
            "kind".into(),
            "single, multiple, true_false, fill, numeric or written",
        ),
        (
            "tags".into(),
            "Leaf tag codes, first = primary, separated by spaces or commas",
        ),
        ("difficulty".into(), "1 to 5"),
        (
            "rules".into(),
            "Rule versions tested, separated by ; (see rules.toml)",
        ),
        ("sources".into(), "Sources, separated by ;"),
        (
            "status".into(),
            "draft, in_review, published or retired (imports by teachers become drafts)",
        ),
        (
            "points".into(),
            "Optional: points if not the kind's default",
        ),
        ("stem_zh".into(), "Stem in Chinese (Markdown)"),
        ("stem_en".into(), "Stem in English (Markdown)"),
    ];
    for id in OPTION_IDS {
        out.push((
            format!("option_{id}_zh"),
            "Option text in Chinese (choice items)",
        ));
        out.push((
            format!("option_{id}_en"),
            "Option text in English (choice items)",
        ));
    }
    out.extend([
        ("answer".into(), "single: a letter; multiple: letters like a,c; true_false: true/false; numeric: a number"),
        ("accept".into(), "fill: accepted answers separated by |"),
        ("tolerance".into(), "numeric: allowed difference, e.g. 0.01"),
        ("unit_zh".into(), "numeric: unit in Chinese"),
        ("unit_en".into(), "numeric: unit in English"),
        ("model_answer_zh".into(), "written: model answer in Chinese"),
        ("model_answer_en".into(), "written: model answer in English"),
        ("rubric".into(), "written: criteria as 中文|English|points, separated by ;"),
        ("explanation_zh".into(), "Explanation in Chinese (why the key is right, why each distractor is wrong)"),
        ("explanation_en".into(), "Explanation in English"),
    ]);
    out
}

/// One row: cells by column name (empty cells absent), and its 1-based row number.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Row {
    pub number: usize,
    pub cells: BTreeMap<String, String>,
}

impl Row {
    pub fn get(&self, column: &str) -> &str {
        self.cells.get(column).map_or("", String::as_str)
    }
}

/// A sheet that cannot be read, or a header without the columns needed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("row {row}: {message}")]
pub struct SheetError {
    pub row: usize,
    pub message: String,
}

fn rows_from(table: Vec<Vec<String>>) -> Result<Vec<Row>, SheetError> {
    let mut iter = table.into_iter().enumerate();
    let Some((_, header)) = iter.next() else {
        return Err(SheetError {
            row: 1,
            message: "the sheet is empty: the first row must name the columns".into(),
        });
    };
    let header: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    let known: Vec<String> = columns().into_iter().map(|(c, _)| c).collect();
    for required in ["kind", "stem_zh", "stem_en"] {
        if !header.iter().any(|h| h == required) {
            return Err(SheetError {
                row: 1,
                message: format!(
                    "the header has no `{required}` column (download the template for the columns)"
                ),
            });
        }
    }
    if let Some(unknown) = header.iter().find(|h| !h.is_empty() && !known.contains(h)) {
        return Err(SheetError {
            row: 1,
            message: format!("unknown column `{unknown}` (download the template for the columns)"),
        });
    }
    let mut out = Vec::new();
    for (i, cells) in iter {
        let mut row = Row {
            number: i + 1,
            cells: BTreeMap::new(),
        };
        for (col, value) in header.iter().zip(cells) {
            if !col.is_empty() && !value.trim().is_empty() {
                row.cells.insert(col.clone(), value);
            }
        }
        if !row.cells.is_empty() {
            out.push(row);
        }
    }
    Ok(out)
}

/// Reads a CSV file (UTF-8, with or without a byte-order mark; comma-separated, quoted as usual).
pub fn read_csv(bytes: &[u8]) -> Result<Vec<Row>, SheetError> {
    rows_from(csv_table(bytes)?)
}

/// A CSV file's cells, row by row (the first is the file's line 1).
pub fn csv_table(bytes: &[u8]) -> Result<Vec<Vec<String>>, SheetError> {
    let text = std::str::from_utf8(bytes).map_err(|e| SheetError {
        row: 1,
        message: format!("the file is not UTF-8 text ({e}); save the sheet as CSV UTF-8"),
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut table = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| SheetError {
            row: e.position().map_or(table.len() + 1, |p| p.line() as usize),
            message: format!("not valid CSV: {e}"),
        })?;
        table.push(record.iter().map(str::to_owned).collect());
    }
    Ok(table)
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                f.to_string()
            }
        }
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}

/// Reads the first sheet of an xlsx workbook.
pub fn read_xlsx(bytes: &[u8]) -> Result<Vec<Row>, SheetError> {
    rows_from(xlsx_table(bytes)?)
}

/// The cells of an xlsx workbook's first sheet, row by row as the spreadsheet numbers them (from 1).
pub fn xlsx_table(bytes: &[u8]) -> Result<Vec<Vec<String>>, SheetError> {
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).map_err(|e| SheetError {
        row: 1,
        message: format!("not an xlsx workbook: {e}"),
    })?;
    let names = book.sheet_names();
    let first = names.first().cloned().ok_or_else(|| SheetError {
        row: 1,
        message: "the workbook has no sheet".into(),
    })?;
    let range = book.worksheet_range(&first).map_err(|e| SheetError {
        row: 1,
        message: format!("cannot read sheet `{first}`: {e}"),
    })?;
    // Rows are numbered as the spreadsheet shows them, from the range's first row.
    let start = range.start().map_or(0, |(r, _)| r as usize);
    let mut table: Vec<Vec<String>> = vec![Vec::new(); start];
    table.extend(range.rows().map(|r| r.iter().map(cell_text).collect()));
    Ok(table)
}

/// The cells of `item` by column, or why it does not fit a row.
pub fn item_cells(item: &Item, status: Status) -> Result<BTreeMap<String, String>, String> {
    if item.template.is_some() {
        return Err(
            "calculation templates do not fit a spreadsheet row; use the bank format".into(),
        );
    }
    let Body::Question(q) = &item.body else {
        return Err("cases do not fit a spreadsheet row; use the bank format".into());
    };
    let mut c = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        if !v.is_empty() {
            c.insert(k.to_owned(), v);
        }
    };
    put("id", item.id.to_string());
    put("subject", item.subject.code().into());
    put("kind", q.kind().code().into());
    put(
        "tags",
        item.tags
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" "),
    );
    put("difficulty", item.difficulty.get().to_string());
    put("rules", item.rules.join("; "));
    put("sources", item.sources.join("; "));
    put("status", status.code().into());
    let default_points = match &q.response {
        Response::Written { rubric, .. } => rubric.iter().map(|r| r.points).sum(),
        _ => q.kind().default_points(),
    };
    if q.points != default_points {
        put("points", q.points.to_string());
    }
    put("stem_zh", q.stem.zh.clone());
    put("stem_en", q.stem.en.clone());
    match &q.response {
        Response::Single { options, .. } | Response::Multiple { options, .. } => {
            if options.len() > OPTION_IDS.len()
                || options.iter().zip(OPTION_IDS).any(|(o, id)| o.id != id)
            {
                return Err("only options a to f, in that order, fit the spreadsheet".into());
            }
            for o in options {
                put(&format!("option_{}_zh", o.id), o.text.zh.clone());
                put(&format!("option_{}_en", o.id), o.text.en.clone());
            }
        }
        _ => {}
    }
    match &q.response {
        Response::Single { key, .. } => put("answer", key.clone()),
        Response::Multiple { keys, .. } => put("answer", keys.join(",")),
        Response::TrueFalse { key } => put("answer", key.to_string()),
        Response::Fill { accept } => {
            if accept.iter().any(|a| a.contains('|')) {
                return Err(
                    "an accepted answer contains `|`, which the spreadsheet uses as separator"
                        .into(),
                );
            }
            put("accept", accept.join("|"));
        }
        Response::Numeric {
            value,
            tolerance,
            unit,
        } => {
            let NumericKey::Number(v) = value else {
                return Err("formula keys belong to calculation templates".into());
            };
            put("answer", v.to_string());
            put("tolerance", tolerance.to_string());
            if let Some(u) = unit {
                put("unit_zh", u.zh.clone());
                put("unit_en", u.en.clone());
            }
        }
        Response::Written {
            model_answer,
            rubric,
        } => {
            put("model_answer_zh", model_answer.zh.clone());
            put("model_answer_en", model_answer.en.clone());
            if rubric
                .iter()
                .any(|r| r.text.zh.contains(['|', ';']) || r.text.en.contains(['|', ';']))
            {
                return Err("a rubric criterion contains `|` or `;`, which the spreadsheet uses as separators".into());
            }
            put(
                "rubric",
                rubric
                    .iter()
                    .map(|r| format!("{}|{}|{}", r.text.zh, r.text.en, r.points))
                    .collect::<Vec<_>>()
                    .join("; "),
            );
        }
    }
    put("explanation_zh", q.explanation.zh.clone());
    put("explanation_en", q.explanation.en.clone());
    if item
        .rules
        .iter()
        .chain(&item.sources)
        .any(|s| s.contains(';'))
    {
        return Err(
            "a rule or source contains `;`, which the spreadsheet uses as separator".into(),
        );
    }
    Ok(c)
}

/// Items as an xlsx workbook (first sheet: the items; second: what each column holds). Returns the bytes
/// and the items that do not fit, with the reason.
pub fn write_xlsx(items: &[(&Item, Status)]) -> Result<(Vec<u8>, NotExported), String> {
    let cols = columns();
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    let mut skipped = Vec::new();
    {
        let sheet = book.add_worksheet();
        sheet.set_name("items").map_err(|e| e.to_string())?;
        for (c, (name, _)) in cols.iter().enumerate() {
            sheet
                .write_string_with_format(0, c as u16, name, &bold)
                .map_err(|e| e.to_string())?;
            sheet
                .set_column_width(
                    c as u16,
                    if name.ends_with("_zh") || name.ends_with("_en") {
                        36
                    } else {
                        14
                    },
                )
                .map_err(|e| e.to_string())?;
        }
        sheet.set_freeze_panes(1, 0).map_err(|e| e.to_string())?;
        let mut r = 1u32;
        for (item, status) in items {
            match item_cells(item, *status) {
                Ok(cells) => {
                    for (c, (name, _)) in cols.iter().enumerate() {
                        if let Some(v) = cells.get(name) {
                            sheet
                                .write_string_with_format(r, c as u16, v, &wrap)
                                .map_err(|e| e.to_string())?;
                        }
                    }
                    r += 1;
                }
                Err(reason) => skipped.push((item.id.to_string(), reason)),
            }
        }
    }
    {
        let help = book.add_worksheet();
        help.set_name("columns").map_err(|e| e.to_string())?;
        help.write_string_with_format(0, 0, "column", &bold)
            .map_err(|e| e.to_string())?;
        help.write_string_with_format(0, 1, "what it holds", &bold)
            .map_err(|e| e.to_string())?;
        help.set_column_width(0, 18).map_err(|e| e.to_string())?;
        help.set_column_width(1, 90).map_err(|e| e.to_string())?;
        for (i, (name, what)) in cols.iter().enumerate() {
            help.write_string(i as u32 + 1, 0, name)
                .map_err(|e| e.to_string())?;
            help.write_string(i as u32 + 1, 1, *what)
                .map_err(|e| e.to_string())?;
        }
    }
    let bytes = book.save_to_buffer().map_err(|e| e.to_string())?;
    Ok((bytes, skipped))
}

/// Items as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese correctly).
pub fn write_csv(items: &[(&Item, Status)]) -> Result<(String, NotExported), String> {
    let cols = columns();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(cols.iter().map(|(c, _)| c.as_str()))
        .map_err(|e| e.to_string())?;
    let mut skipped = Vec::new();
    for (item, status) in items {
        match item_cells(item, *status) {
            Ok(cells) => w
                .write_record(
                    cols.iter()
                        .map(|(c, _)| cells.get(c).map_or("", String::as_str)),
                )
                .map_err(|e| e.to_string())?,
            Err(reason) => skipped.push((item.id.to_string(), reason)),
        }
    }
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    let text = String::from_utf8(bytes).map_err(|e| e.to_string())?;
    Ok((format!("\u{feff}{text}"), skipped))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::bank;

    #[test]
    fn csv_and_xlsx_carry_the_same_rows() -> Result<(), String> {
        let loaded = bank::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("question-bank"));
        let items: Vec<(&Item, Status)> = loaded
            .bank
            .items
            .iter()
            .take(80)
            .map(|b| (&b.item, b.status))
            .collect();
        let (csv_text, skipped_csv) = write_csv(&items)?;
        let (xlsx, skipped_xlsx) = write_xlsx(&items)?;
        assert_eq!(skipped_csv, skipped_xlsx);
        let from_csv = read_csv(csv_text.as_bytes()).map_err(|e| e.to_string())?;
        let from_xlsx = read_xlsx(&xlsx).map_err(|e| e.to_string())?;
        assert_eq!(from_csv.len(), items.len() - skipped_csv.len());
        for (a, b) in from_csv.iter().zip(&from_xlsx) {
            assert_eq!(a.cells, b.cells);
        }
        assert_eq!(
            from_csv[0].number, 2,
            "rows are numbered as the sheet shows them"
        );
        Ok(())
    }

    #[test]
    fn a_bad_header_says_which_column() {
        let e = read_csv(b"kind,stem_zh,stem_en,colour\nsingle,x,y,red\n");
        assert!(
            matches!(e, Err(SheetError { row: 1, ref message }) if message.contains("colour")),
            "{e:?}"
        );
        let e = read_csv(b"kind,stem_zh\n");
        assert!(
            matches!(e, Err(SheetError { ref message, .. }) if message.contains("stem_en")),
            "{e:?}"
        );
        assert!(read_xlsx(b"not a zip").is_err());
    }
}
