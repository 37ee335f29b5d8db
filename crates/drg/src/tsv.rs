//! The neutral case TSV (`shared/data/chs-drg-1.1/README.md`): reading records and writing results.
//!
//! Pure: works over `&str`, `&[u8]`, [`BufRead`] and [`Write`]. Columns are found by name in the
//! header (extra columns are ignored) and cells are trimmed. *Structural* problems — no header, a
//! missing required column, a line with the wrong number of cells, a blank line, a line that is not
//! UTF-8 — are errors naming the line and column. *Values* are never errors: a non-numeric age or an
//! unknown sex just becomes a missing value, and the record groups to `0000`. No line is skipped.
//!
//! ```
//! use sanyi_drg::tsv::CaseColumns;
//! let cols = CaseColumns::from_header("case_id\tsex\tage_years\tage_days\tweight_g\tmain_dx\tother_dx\tmain_proc\tother_procs").unwrap();
//! let row = cols.parse_line("C1\t1\t43\t\t\tN50.802\tQ87.800x902;\t63.8101\t", 2).unwrap();
//! assert_eq!(row.case_id, "C1");
//! assert_eq!(row.diagnoses().collect::<Vec<_>>(), ["N50.802", "Q87.800x902"]);
//! assert_eq!(row.to_case().age_years, Some(43.0));
//! assert!(cols.parse_line("C2\t1", 3).is_err());
//! ```

use std::io::{self, BufRead, Write};

use crate::case::{Case, Demographics, Sex, parse_decimal, parse_truncated};

/// The columns a case file must have, by name.
pub const CASE_COLUMNS: [&str; 9] = [
    "case_id",
    "sex",
    "age_years",
    "age_days",
    "weight_g",
    "main_dx",
    "other_dx",
    "main_proc",
    "other_procs",
];

/// Header of the grouper output.
pub const RESULT_HEADER: &str = "case_id\tdrg";

/// A structural problem in a case file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct TsvError {
    /// 1-based line number (header = 1).
    pub line: usize,
    /// The column concerned, when one is.
    pub column: Option<String>,
    /// What is wrong.
    pub reason: TsvErrorReason,
}

impl std::fmt::Display for TsvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.column {
            Some(c) => write!(f, "line {}: {}: {}", self.line, c, self.reason),
            None => write!(f, "line {}: {}", self.line, self.reason),
        }
    }
}

/// Why a case file was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TsvErrorReason {
    /// The input has no header line.
    #[error("empty input: no header line")]
    Empty,
    /// A required column is missing from the header.
    #[error("missing required column")]
    MissingColumn,
    /// A required column appears twice in the header.
    #[error("duplicate column")]
    DuplicateColumn,
    /// A line has a different number of cells than the header.
    #[error("expected {expected} tab-separated cells, found {found}")]
    WrongCellCount {
        /// Cells in the header.
        expected: usize,
        /// Cells on the line.
        found: usize,
    },
    /// A blank line.
    #[error("empty line")]
    EmptyLine,
    /// The line is not valid UTF-8.
    #[error("not valid UTF-8")]
    NotUtf8,
    /// Reading failed.
    #[error("read error: {kind}")]
    Io {
        /// The IO error kind.
        kind: io::ErrorKind,
    },
}

fn err(line: usize, column: Option<&str>, reason: TsvErrorReason) -> TsvError {
    TsvError {
        line,
        column: column.map(str::to_owned),
        reason,
    }
}

/// The layout of a case file, from its header: where each required column is.
#[derive(Debug, Clone)]
pub struct CaseColumns {
    header: Vec<String>,
    /// For each header position, which required column it is (index into [`CASE_COLUMNS`]).
    slot_of: Vec<Option<u8>>,
}

/// One record of a case file, borrowing the trimmed cells of its line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseRow<'a> {
    /// Record id.
    pub case_id: &'a str,
    /// Sex cell.
    pub sex: &'a str,
    /// Age in years cell.
    pub age_years: &'a str,
    /// Age in days cell.
    pub age_days: &'a str,
    /// Birth weight cell.
    pub weight_g: &'a str,
    /// Main diagnosis.
    pub main_dx: &'a str,
    /// Other diagnoses, `;`-separated.
    pub other_dx: &'a str,
    /// Main procedure.
    pub main_proc: &'a str,
    /// Other procedures, `;`-separated.
    pub other_procs: &'a str,
}

fn strip_eol(line: &str) -> &str {
    let line = line.strip_suffix('\n').unwrap_or(line);
    line.strip_suffix('\r').unwrap_or(line)
}

fn strip_eol_bytes(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

impl CaseColumns {
    /// Reads the header line (line 1).
    ///
    /// # Errors
    ///
    /// An empty header, or a required column missing or duplicated.
    pub fn from_header(line: &str) -> Result<CaseColumns, TsvError> {
        let line = strip_eol(line.strip_prefix('\u{feff}').unwrap_or(line));
        if line.trim().is_empty() {
            return Err(err(1, None, TsvErrorReason::Empty));
        }
        let header: Vec<String> = line.split('\t').map(|c| c.trim().to_owned()).collect();
        let mut slot_of = vec![None; header.len()];
        for (slot, name) in CASE_COLUMNS.iter().enumerate() {
            let mut found = header.iter().enumerate().filter(|(_, h)| h == name).map(|(i, _)| i);
            let Some(i) = found.next() else {
                return Err(err(1, Some(name), TsvErrorReason::MissingColumn));
            };
            if found.next().is_some() {
                return Err(err(1, Some(name), TsvErrorReason::DuplicateColumn));
            }
            slot_of[i] = Some(slot as u8);
        }
        Ok(CaseColumns { header, slot_of })
    }

    /// Reads the header line given as bytes.
    ///
    /// # Errors
    ///
    /// As [`CaseColumns::from_header`], plus a header that is not UTF-8.
    pub fn from_header_bytes(line: &[u8]) -> Result<CaseColumns, TsvError> {
        let line = std::str::from_utf8(line).map_err(|_| err(1, None, TsvErrorReason::NotUtf8))?;
        CaseColumns::from_header(line)
    }

    /// Number of columns in the header.
    #[must_use]
    pub fn width(&self) -> usize {
        self.header.len()
    }

    /// The header cells.
    #[must_use]
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// Parses one data line (with or without its line end); `line_no` is used in errors.
    ///
    /// # Errors
    ///
    /// A blank line, or a number of cells different from the header's.
    pub fn parse_line<'a>(&self, line: &'a str, line_no: usize) -> Result<CaseRow<'a>, TsvError> {
        let line = strip_eol(line);
        if line.is_empty() {
            return Err(err(line_no, None, TsvErrorReason::EmptyLine));
        }
        let mut cells = [""; 9];
        let mut n = 0usize;
        let mut start = 0usize;
        // One pass over the bytes; a tab is ASCII, so every cut is on a char boundary.
        for (i, &b) in line.as_bytes().iter().enumerate() {
            if b == b'\t' {
                if let Some(Some(slot)) = self.slot_of.get(n) {
                    cells[*slot as usize] = trim(line.get(start..i).unwrap_or(""));
                }
                n += 1;
                start = i + 1;
            }
        }
        if let Some(Some(slot)) = self.slot_of.get(n) {
            cells[*slot as usize] = trim(line.get(start..).unwrap_or(""));
        }
        n += 1;
        if n != self.header.len() {
            let column = if n < self.header.len() {
                self.header.get(n).map(String::as_str)
            } else {
                None
            };
            return Err(err(
                line_no,
                column,
                TsvErrorReason::WrongCellCount {
                    expected: self.header.len(),
                    found: n,
                },
            ));
        }
        let [
            case_id,
            sex,
            age_years,
            age_days,
            weight_g,
            main_dx,
            other_dx,
            main_proc,
            other_procs,
        ] = cells;
        Ok(CaseRow {
            case_id,
            sex,
            age_years,
            age_days,
            weight_g,
            main_dx,
            other_dx,
            main_proc,
            other_procs,
        })
    }

    /// Parses one data line given as bytes, checking UTF-8 first.
    ///
    /// # Errors
    ///
    /// As [`CaseColumns::parse_line`], plus a line that is not UTF-8 (naming the column where the
    /// invalid byte is).
    pub fn parse_bytes<'a>(&self, line: &'a [u8], line_no: usize) -> Result<CaseRow<'a>, TsvError> {
        let line = strip_eol_bytes(line);
        match std::str::from_utf8(line) {
            Ok(s) => self.parse_line(s, line_no),
            Err(e) => {
                let col = line[..e.valid_up_to()].iter().filter(|&&b| b == b'\t').count();
                Err(err(
                    line_no,
                    Some(self.header.get(col).map_or("(beyond the header)", String::as_str)),
                    TsvErrorReason::NotUtf8,
                ))
            }
        }
    }
}

/// Trims surrounding whitespace: ASCII quickly, Unicode (e.g. U+3000) when a non-ASCII byte is at
/// an end.
#[inline]
fn trim(s: &str) -> &str {
    let t = s.trim_ascii();
    match (t.as_bytes().first(), t.as_bytes().last()) {
        (Some(&f), Some(&l)) if f >= 0x80 || l >= 0x80 => t.trim(),
        _ => t,
    }
}

fn items(s: &str) -> impl Iterator<Item = &str> + Clone {
    s.split(';').map(trim).filter(|x| !x.is_empty())
}

impl<'a> CaseRow<'a> {
    /// The demographic cells parsed: bad values become `None`.
    #[must_use]
    pub fn demographics(&self) -> Demographics {
        Demographics {
            sex: Sex::from_code(self.sex),
            age_years: parse_decimal(self.age_years),
            age_days: parse_truncated(self.age_days),
            weight_g: parse_truncated(self.weight_g),
        }
    }

    /// The diagnosis list: `main_dx` (possibly empty) then the non-empty items of `other_dx`.
    pub fn diagnoses(&self) -> impl Iterator<Item = &'a str> + Clone + use<'a> {
        std::iter::once(self.main_dx).chain(items(self.other_dx))
    }

    /// The procedure list: empty when `main_proc` and `other_procs` are both empty; otherwise
    /// `main_proc` (possibly empty) then the non-empty items of `other_procs`.
    pub fn procedures(&self) -> impl Iterator<Item = &'a str> + Clone + use<'a> {
        let any = !self.main_proc.is_empty() || items(self.other_procs).next().is_some();
        std::iter::once(self.main_proc).filter(move |_| any).chain(items(self.other_procs))
    }

    /// The record as an owned [`Case`].
    #[must_use]
    pub fn to_case(&self) -> Case {
        let d = self.demographics();
        Case {
            sex: d.sex,
            age_years: d.age_years,
            age_days: d.age_days,
            weight_g: d.weight_g,
            diagnoses: self.diagnoses().map(str::to_owned).collect(),
            procedures: self.procedures().map(str::to_owned).collect(),
        }
    }
}

/// A record read from a case file, with its id.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseRecord {
    /// The `case_id` cell.
    pub case_id: String,
    /// The record.
    pub case: Case,
}

/// Reads a whole case file.
///
/// # Errors
///
/// The first structural problem (see the module docs) or read error, with its line.
pub fn read_cases<R: BufRead>(mut reader: R) -> Result<Vec<CaseRecord>, TsvError> {
    let mut buf = Vec::new();
    let io_err = |line, e: io::Error| err(line, None, TsvErrorReason::Io { kind: e.kind() });
    if reader.read_until(b'\n', &mut buf).map_err(|e| io_err(1, e))? == 0 {
        return Err(err(1, None, TsvErrorReason::Empty));
    }
    let cols = CaseColumns::from_header_bytes(&buf)?;
    let mut out = Vec::new();
    let mut line_no = 1;
    loop {
        buf.clear();
        line_no += 1;
        if reader.read_until(b'\n', &mut buf).map_err(|e| io_err(line_no, e))? == 0 {
            break;
        }
        let row = cols.parse_bytes(&buf, line_no)?;
        out.push(CaseRecord {
            case_id: row.case_id.to_owned(),
            case: row.to_case(),
        });
    }
    Ok(out)
}

/// Writes the result header `case_id<TAB>drg`.
///
/// # Errors
///
/// Write errors.
pub fn write_header<W: Write + ?Sized>(w: &mut W) -> io::Result<()> {
    w.write_all(RESULT_HEADER.as_bytes())?;
    w.write_all(b"\n")
}

/// Writes one result line `case_id<TAB>drg`.
///
/// # Errors
///
/// Write errors.
pub fn write_row<W: Write + ?Sized>(w: &mut W, case_id: &str, drg: &str) -> io::Result<()> {
    w.write_all(case_id.as_bytes())?;
    w.write_all(b"\t")?;
    w.write_all(drg.as_bytes())?;
    w.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "case_id\tsex\tage_years\tage_days\tweight_g\tmain_dx\tother_dx\tmain_proc\tother_procs\tlos_days";

    #[test]
    fn columns_by_name_and_extra_ignored() {
        let h = "other_procs\tmain_proc\tx\tother_dx\tmain_dx\tweight_g\tage_days\tage_years\tsex\tcase_id";
        let cols = CaseColumns::from_header(h).unwrap();
        let row = cols
            .parse_line(" ; 99.0 \t 47.0901 \tjunk\tA;;\u{3000}B\tK35\t\t\t0.5\t2\tid7\r\n", 5)
            .unwrap();
        assert_eq!(row.case_id, "id7");
        assert_eq!(row.procedures().collect::<Vec<_>>(), ["47.0901", "99.0"]);
        assert_eq!(row.diagnoses().collect::<Vec<_>>(), ["K35", "A", "B"]);
        let c = row.to_case();
        assert_eq!(c.sex, Some(Sex::Female));
        assert_eq!(c.age_years, Some(0.5));
        assert_eq!(c.age_days, None);
    }

    /// Source: shared/data/chs-drg-1.1/README.md, neutral case format (positions are kept).
    #[test]
    fn empty_main_proc_keeps_position() {
        let cols = CaseColumns::from_header(HEADER).unwrap();
        let row = cols.parse_line("a\t1\t3\t\t\t\t\t\t54.1100\t2", 2).unwrap();
        assert_eq!(row.procedures().collect::<Vec<_>>(), ["", "54.1100"]);
        assert_eq!(row.diagnoses().collect::<Vec<_>>(), [""]);
        let row = cols.parse_line("a\t1\t3\t\t\t\t\t\t;\t2", 2).unwrap();
        assert_eq!(row.procedures().count(), 0);
    }

    #[test]
    fn bad_values_are_missing_not_errors() {
        let cols = CaseColumns::from_header(HEADER).unwrap();
        let row = cols.parse_line("a\tM\tforty\tNaN\tinf\tX\t\t\t\t", 2).unwrap();
        let d = row.demographics();
        assert_eq!(d, Demographics::default());
    }

    #[test]
    fn structural_errors_name_line_and_column() {
        assert_eq!(CaseColumns::from_header("").unwrap_err().reason, TsvErrorReason::Empty);
        let e = CaseColumns::from_header("case_id\tsex").unwrap_err();
        assert_eq!(
            (e.line, e.column.as_deref(), e.reason),
            (1, Some("age_years"), TsvErrorReason::MissingColumn)
        );
        let e = CaseColumns::from_header(&format!("{HEADER}\tsex")).unwrap_err();
        assert_eq!(e.reason, TsvErrorReason::DuplicateColumn);

        let cols = CaseColumns::from_header(HEADER).unwrap();
        let e = cols.parse_line("a\t1\t3", 7).unwrap_err();
        assert_eq!(e.line, 7);
        assert_eq!(e.column.as_deref(), Some("age_days"));
        assert_eq!(e.reason, TsvErrorReason::WrongCellCount { expected: 10, found: 3 });
        assert_eq!(e.to_string(), "line 7: age_days: expected 10 tab-separated cells, found 3");
        let e = cols.parse_line("\r\n", 8).unwrap_err();
        assert_eq!(e.reason, TsvErrorReason::EmptyLine);
        let e = cols.parse_bytes(b"a\t1\t3\t\t\tK\xff\t\t\t\t\n", 9).unwrap_err();
        assert_eq!((e.column.as_deref(), e.reason), (Some("main_dx"), TsvErrorReason::NotUtf8));
    }

    #[test]
    fn read_and_write() {
        let text = format!("{HEADER}\na\t1\t43\t\t\tN50.802\t\t63.8101\t\t5\nb\t2\t70\t\t\tI10\t\t\t\t3\n");
        let cases = read_cases(text.as_bytes()).unwrap();
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[1].case_id, "b");
        assert!(cases[1].case.procedures.is_empty());
        let e = read_cases(format!("{HEADER}\na\t1\n").as_bytes()).unwrap_err();
        assert_eq!(e.line, 2);
        let e = read_cases(format!("{HEADER}\n\nb\t2\t70\t\t\tI10\t\t\t\t3\n").as_bytes()).unwrap_err();
        assert_eq!((e.line, e.reason), (2, TsvErrorReason::EmptyLine));
        assert_eq!(read_cases(&b""[..]).unwrap_err().reason, TsvErrorReason::Empty);
        let mut out = Vec::new();
        write_header(&mut out).unwrap();
        write_row(&mut out, "a", "MJ19").unwrap();
        assert_eq!(out, b"case_id\tdrg\na\tMJ19\n");
    }
}
