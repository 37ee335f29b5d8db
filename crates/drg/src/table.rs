//! Reading one scheme table: header, columns by name, rows with their line numbers.

use crate::error::{SchemeError, SchemeErrorReason as R};

/// A parsed table: column positions and rows of trimmed cells.
pub(crate) struct Table<'a> {
    pub file: &'static str,
    columns: Vec<&'a str>,
    pub rows: Vec<Row<'a>>,
}

/// One data row.
pub(crate) struct Row<'a> {
    /// 1-based line number (header = 1).
    pub line: usize,
    pub cells: Vec<&'a str>,
}

/// Collects problems while loading; stops recording after a cap so a broken file does not flood.
pub(crate) struct Problems {
    pub list: Vec<SchemeError>,
}

pub(crate) const MAX_PROBLEMS: usize = 200;

impl Problems {
    pub fn push(&mut self, file: &'static str, line: usize, reason: R) {
        if self.list.len() < MAX_PROBLEMS {
            self.list.push(SchemeError::new(file, line, reason));
        }
    }
}

impl<'a> Table<'a> {
    /// Parses `text`; the header must contain every `required` column. Rows with the wrong number of
    /// cells are reported and dropped. Returns `None` when the header itself is unusable.
    pub fn parse(file: &'static str, text: &'a str, required: &[&'static str], problems: &mut Problems) -> Option<Table<'a>> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = text.split('\n');
        let header = lines.next().map(|h| h.strip_suffix('\r').unwrap_or(h)).unwrap_or("");
        if header.trim().is_empty() {
            problems.push(file, if text.is_empty() { 0 } else { 1 }, R::Empty);
            return None;
        }
        let columns: Vec<&str> = header.split('\t').map(str::trim).collect();
        let mut ok = true;
        for (i, c) in columns.iter().enumerate() {
            if columns[..i].contains(c) {
                problems.push(file, 1, R::DuplicateColumn { column: (*c).to_owned() });
                ok = false;
            }
        }
        for &r in required {
            if !columns.contains(&r) {
                problems.push(file, 1, R::MissingColumn { column: r });
                ok = false;
            }
        }
        if !ok {
            return None;
        }
        let mut rows = Vec::new();
        let mut pending_blank: Option<usize> = None;
        for (i, raw) in lines.enumerate() {
            let line = i + 2;
            let raw = raw.strip_suffix('\r').unwrap_or(raw);
            if raw.is_empty() {
                // A final empty fragment after the last newline is not a line; a blank line followed
                // by more content is reported once that content is seen.
                pending_blank.get_or_insert(line);
                continue;
            }
            if let Some(b) = pending_blank.take() {
                problems.push(file, b, R::EmptyLine);
            }
            let cells: Vec<&str> = raw.split('\t').map(str::trim).collect();
            if cells.len() != columns.len() {
                problems.push(
                    file,
                    line,
                    R::WrongCellCount {
                        expected: columns.len(),
                        found: cells.len(),
                    },
                );
                continue;
            }
            rows.push(Row { line, cells });
        }
        // A blank line right before the end: only the single trailing newline is tolerated.
        if let Some(b) = pending_blank {
            let last_fragment = text.split('\n').count();
            if b < last_fragment {
                problems.push(file, b, R::EmptyLine);
            }
        }
        Some(Table { file, columns, rows })
    }

    /// Position of a column (`None` if absent: only for optional columns).
    pub fn col(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| *c == name)
    }

    /// Position of a required column (present by construction).
    pub fn req(&self, name: &str) -> usize {
        self.col(name).unwrap_or(usize::MAX)
    }
}

impl<'a> Row<'a> {
    /// The cell at `col` (empty when the column is absent).
    pub fn get(&self, col: usize) -> &'a str {
        self.cells.get(col).copied().unwrap_or("")
    }
}

/// Parses an integer cell, reporting a problem on failure.
pub(crate) fn int_cell<T: std::str::FromStr>(
    file: &'static str,
    row: &Row<'_>,
    col: usize,
    name: &'static str,
    problems: &mut Problems,
) -> Option<T> {
    let v = row.get(col);
    if v.is_empty() {
        problems.push(file, row.line, R::EmptyValue { column: name });
        return None;
    }
    match v.parse::<T>() {
        Ok(x) => Some(x),
        Err(_) => {
            problems.push(
                file,
                row.line,
                R::BadInteger {
                    column: name,
                    value: v.to_owned(),
                },
            );
            None
        }
    }
}

/// Parses an optional integer cell (empty = `None`), reporting a problem on a bad value.
pub(crate) fn opt_int_cell<T: std::str::FromStr>(
    file: &'static str,
    row: &Row<'_>,
    col: Option<usize>,
    name: &'static str,
    problems: &mut Problems,
) -> Result<Option<T>, ()> {
    let Some(col) = col else { return Ok(None) };
    let v = row.get(col);
    if v.is_empty() {
        return Ok(None);
    }
    match v.parse::<T>() {
        Ok(x) => Ok(Some(x)),
        Err(_) => {
            problems.push(
                file,
                row.line,
                R::BadInteger {
                    column: name,
                    value: v.to_owned(),
                },
            );
            Err(())
        }
    }
}

/// Returns a required non-empty text cell, reporting a problem when empty.
pub(crate) fn text_cell<'a>(file: &'static str, row: &Row<'a>, col: usize, name: &'static str, problems: &mut Problems) -> Option<&'a str> {
    let v = row.get(col);
    if v.is_empty() {
        problems.push(file, row.line, R::EmptyValue { column: name });
        None
    } else {
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems() -> Problems {
        Problems { list: Vec::new() }
    }

    #[test]
    fn trailing_newline_is_not_a_line_but_blank_lines_are_reported() {
        let mut p = problems();
        let t = Table::parse("x.tsv", "a\tb\n1\t2\n", &["a", "b"], &mut p).unwrap();
        assert_eq!(t.rows.len(), 1);
        assert!(p.list.is_empty());

        let mut p = problems();
        Table::parse("x.tsv", "a\tb\n1\t2\n\n3\t4\n", &["a"], &mut p).unwrap();
        assert_eq!(p.list.len(), 1);
        assert_eq!(p.list[0].line, 3);
        assert_eq!(p.list[0].reason, R::EmptyLine);

        let mut p = problems();
        Table::parse("x.tsv", "a\tb\n1\t2\n\n", &["a"], &mut p).unwrap();
        assert_eq!(p.list.len(), 1, "{:?}", p.list);
        assert_eq!(p.list[0].line, 3);
    }

    #[test]
    fn header_problems() {
        let mut p = problems();
        assert!(Table::parse("x.tsv", "", &["a"], &mut p).is_none());
        assert_eq!(p.list[0].reason, R::Empty);
        let mut p = problems();
        assert!(Table::parse("x.tsv", "a\ta\n", &["a"], &mut p).is_none());
        assert!(matches!(p.list[0].reason, R::DuplicateColumn { .. }));
        let mut p = problems();
        assert!(Table::parse("x.tsv", "a\n", &["a", "b"], &mut p).is_none());
        assert_eq!(p.list[0].reason, R::MissingColumn { column: "b" });
    }

    #[test]
    fn cell_count_and_crlf() {
        let mut p = problems();
        let t = Table::parse("x.tsv", "\u{feff}a\tb\r\n1\t2\r\n1\r\n", &["a", "b"], &mut p).unwrap();
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.rows[0].cells, ["1", "2"]);
        assert_eq!(p.list[0].line, 3);
        assert_eq!(p.list[0].reason, R::WrongCellCount { expected: 2, found: 1 });
    }
}
