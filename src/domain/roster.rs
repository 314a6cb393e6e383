//! A school's class lists as a table (CSV or the first sheet of an xlsx workbook): one student per row,
//! columns named in Chinese or English. Every row is checked and every problem reported with its row.

use std::collections::HashMap;

use super::identity::{self, FieldError};

/// The columns: (canonical name, accepted headers). `student_no`, `name` and `class` are required.
pub const COLUMNS: [(&str, &[&str]); 5] = [
    ("student_no", &["student_no", "student no", "学号"]),
    ("name", &["name", "姓名"]),
    ("class", &["class", "班级"]),
    ("email", &["email", "e-mail", "邮箱", "电子邮箱"]),
    ("phone", &["phone", "mobile", "手机", "手机号"]),
];

/// One student as the file gives them, checked.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RosterRow {
    /// The row in the file (1 is the header).
    pub row: usize,
    pub student_no: String,
    pub name: String,
    pub class: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// A problem with one row (or with the header, row 1).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    pub row: usize,
    pub field: String,
    pub message: String,
}

/// Reads the table: every good row, and every problem. A file with any problem imports nothing.
pub fn parse(table: &[Vec<String>]) -> (Vec<RosterRow>, Vec<RowError>) {
    let mut errors = Vec::new();
    let Some(header) = table.first() else {
        errors.push(RowError {
            row: 1,
            field: "header".into(),
            message: "the file is empty: the first row must name the columns (学号, 姓名, 班级)"
                .into(),
        });
        return (Vec::new(), errors);
    };
    let mut at: HashMap<&str, usize> = HashMap::new();
    for (i, h) in header.iter().enumerate() {
        let h = h.trim().trim_start_matches('\u{feff}').to_lowercase();
        if h.is_empty() {
            continue;
        }
        match COLUMNS.iter().find(|(_, names)| names.contains(&h.as_str())) {
            Some((canon, _)) => {
                at.insert(canon, i);
            }
            None => errors.push(RowError {
                row: 1,
                field: "header".into(),
                message: format!(
                    "unknown column `{h}`; the columns are 学号/student_no, 姓名/name, 班级/class, 邮箱/email, 手机/phone"
                ),
            }),
        }
    }
    for required in ["student_no", "name", "class"] {
        if !at.contains_key(required) {
            errors.push(RowError {
                row: 1,
                field: required.into(),
                message: format!("the header has no `{required}` column"),
            });
        }
    }
    if !errors.is_empty() {
        return (Vec::new(), errors);
    }
    let cell = |cells: &[String], col: &str| -> String {
        at.get(col)
            .and_then(|i| cells.get(*i))
            .map(|c| c.trim().to_owned())
            .unwrap_or_default()
    };
    let mut rows = Vec::new();
    let mut first_row_of: HashMap<String, usize> = HashMap::new();
    for (i, cells) in table.iter().enumerate().skip(1) {
        let row = i + 1;
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut bad = |e: FieldError| {
            errors.push(RowError {
                row,
                field: e.field.into(),
                message: e.message,
            })
        };
        let student_no = cell(cells, "student_no");
        let ok_no = !student_no.is_empty()
            && student_no.chars().count() <= 40
            && !student_no
                .chars()
                .any(|c| c.is_control() || c.is_whitespace());
        if !ok_no {
            bad(FieldError {
                field: "student_no",
                message: "a student number is 1–40 characters without spaces".into(),
            });
        }
        let name = identity::name(&cell(cells, "name")).map_err(&mut bad).ok();
        let class = cell(cells, "class");
        if class.is_empty() || class.chars().count() > 60 {
            bad(FieldError {
                field: "class",
                message: "the class name is 1–60 characters".into(),
            });
        }
        let email = match cell(cells, "email") {
            e if e.is_empty() => None,
            e => identity::email(&e).map_err(&mut bad).ok(),
        };
        let phone = match cell(cells, "phone") {
            p if p.is_empty() => None,
            p => identity::phone(&p).map_err(&mut bad).ok(),
        };
        if ok_no && let Some(first) = first_row_of.insert(student_no.clone(), row) {
            bad(FieldError {
                field: "student_no",
                message: format!("student number {student_no} is also on row {first}"),
            });
        }
        if let Some(name) = name {
            rows.push(RosterRow {
                row,
                student_no,
                name,
                class,
                email,
                phone,
            });
        }
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push(RowError {
            row: 2,
            field: "student_no".into(),
            message: "the file lists no student".into(),
        });
    }
    (rows, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Vec<Vec<String>> {
        text.lines()
            .map(|l| l.split(',').map(str::to_owned).collect())
            .collect()
    }

    #[test]
    fn reads_chinese_headers_and_optional_columns() {
        let (rows, errors) = parse(&table(
            "学号,姓名,班级,邮箱\n2025001,张伟,跨境1班,zw@example.com\n2025002,李娜,跨境1班,",
        ));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].email.as_deref(), Some("zw@example.com"));
        assert_eq!(rows[1].row, 3);
        assert_eq!(rows[1].email, None);
    }

    #[test]
    fn reports_every_problem_with_its_row() {
        let (_, errors) = parse(&table(
            "student_no,name,class,phone\n1,张伟,A,12345\n1,李娜,,\n,X,A,",
        ));
        let at: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.field.as_str())).collect();
        assert!(at.contains(&(2, "phone")), "{at:?}");
        assert!(at.contains(&(3, "student_no")), "duplicate: {at:?}");
        assert!(at.contains(&(3, "class")), "{at:?}");
        assert!(at.contains(&(4, "student_no")), "{at:?}");
        assert!(at.contains(&(4, "name")), "{at:?}");
    }

    #[test]
    fn a_missing_or_unknown_column_is_named() {
        let (_, errors) = parse(&table("学号,姓名,座位\n1,张伟,3"));
        assert!(errors.iter().any(|e| e.message.contains("座位")));
        assert!(errors.iter().any(|e| e.field == "class"));
    }
}
