//! A tabular file as people send it: CSV (UTF-8, with or without BOM) or Excel (the first sheet of
//! an `.xlsx`/`.xls`), read into text cells by header name. Used by the catalogue and project
//! imports, so that both formats give the same rows and the same line numbers.

use std::collections::HashMap;
use std::io::Cursor;

use calamine::Reader as _;

use crate::{FieldError, ServiceError};

/// The rows of a file, each with its line number (the header is line 1).
#[derive(Clone, Debug, Default)]
pub struct Table {
    columns: HashMap<String, usize>,
    /// `(line, cells)` of each non-empty data row.
    pub rows: Vec<(u64, Vec<String>)>,
}

impl Table {
    /// The trimmed cell of `column` in `row` (empty when the column is absent).
    pub fn cell<'a>(&self, row: &'a [String], column: &str) -> &'a str {
        self.columns.get(column).and_then(|&i| row.get(i)).map_or("", |s| s.trim())
    }

    /// Whether the header names `column`.
    pub fn has(&self, column: &str) -> bool {
        self.columns.contains_key(column)
    }

    /// `Validation` naming the first required column the header lacks.
    ///
    /// # Errors
    /// When a column is missing.
    pub fn require(&self, columns: &[&str]) -> Result<(), ServiceError> {
        let missing: Vec<&str> = columns.iter().copied().filter(|c| !self.has(c)).collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(ServiceError::Validation(vec![FieldError::new(
            "file",
            "file.columns",
            &format!("a header row with the columns {}", columns.join(", ")),
            &format!("Missing columns: {}", missing.join(", ")),
            &format!("文件缺少列：{}", missing.join("、")),
        )]))
    }
}

fn bad_file(e: &str) -> ServiceError {
    ServiceError::Validation(vec![FieldError::new(
        "file",
        "file.format",
        "a CSV file (UTF-8) or an Excel workbook (.xlsx) with a header row",
        &format!("Unreadable file: {e}"),
        &format!("无法读取文件：{e}"),
    )])
}

/// Reads `bytes` as Excel when they start like a workbook (ZIP or OLE) or `name` ends in
/// `.xlsx`/`.xls`, as CSV otherwise.
///
/// # Errors
/// `Validation` on `file` when the file cannot be read or has no header.
pub fn read(bytes: &[u8], name: &str) -> Result<Table, ServiceError> {
    let lower = name.to_ascii_lowercase();
    let excel = bytes.starts_with(b"PK\x03\x04")
        || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0])
        || lower.ends_with(".xlsx")
        || lower.ends_with(".xls");
    let mut lines: Vec<(u64, Vec<String>)> = if excel { read_excel(bytes)? } else { read_csv(bytes)? };
    if lines.is_empty() {
        return Err(bad_file("no header row"));
    }
    let (_, header) = lines.remove(0);
    let columns = header
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim().trim_start_matches('\u{feff}').to_owned(), i))
        .collect();
    lines.retain(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()));
    Ok(Table { columns, rows: lines })
}

fn read_csv(bytes: &[u8]) -> Result<Vec<(u64, Vec<String>)>, ServiceError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut out = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| bad_file(&e.to_string()))?;
        let line = rec.position().map_or(out.len() as u64 + 1, csv::Position::line);
        out.push((line, rec.iter().map(str::to_owned).collect()));
    }
    Ok(out)
}

fn read_excel(bytes: &[u8]) -> Result<Vec<(u64, Vec<String>)>, ServiceError> {
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes.to_vec())).map_err(|e| bad_file(&e.to_string()))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| bad_file("the workbook has no sheet"))?
        .map_err(|e| bad_file(&e.to_string()))?;
    let first = u64::from(range.start().map_or(0, |(r, _)| r));
    Ok(range
        .rows()
        .enumerate()
        .map(|(i, row)| (first + i as u64 + 1, row.iter().map(cell_text).collect()))
        .collect())
}

/// A cell as the text a person typed: whole numbers without a trailing `.0`.
fn cell_text(d: &calamine::Data) -> String {
    match d {
        calamine::Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_keep_their_line_numbers_and_skip_blank_lines() {
        let t = read("\u{feff}code,name\nA,甲\n,\nB,乙\n".as_bytes(), "x.csv").unwrap();
        assert!(t.has("code"));
        let cells: Vec<(u64, &str)> = t.rows.iter().map(|(l, r)| (*l, t.cell(r, "name"))).collect();
        assert_eq!(cells, vec![(2, "甲"), (4, "乙")]);
        assert!(t.require(&["code", "price"]).is_err());
    }

    #[test]
    fn an_excel_workbook_reads_like_its_csv() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "code").unwrap();
        sheet.write_string(0, 1, "price").unwrap();
        sheet.write_number(1, 0, 250_000_001.0).unwrap();
        sheet.write_number(1, 1, 4.6).unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let t = read(&bytes, "upload").unwrap();
        let (line, row) = &t.rows[0];
        assert_eq!((*line, t.cell(row, "code"), t.cell(row, "price")), (2, "250000001", "4.6"));
    }

    #[test]
    fn garbage_is_a_named_error() {
        assert!(read(b"PK\x03\x04garbage", "x.xlsx").is_err());
        assert!(read(b"", "x.csv").is_err());
    }
}
