//! Errors of scheme loading: each names the file, the line (1 = header) and a typed reason.

use std::fmt;

/// A problem found while loading a scheme: which file, which line, and why.
///
/// `line` is 1-based and counts the header as line 1; it is 0 when the problem concerns the whole
/// file (missing, unreadable, empty) or the relation between tables rather than one row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SchemeError {
    /// File name inside the scheme, e.g. `adrg.tsv` (one of the known table names).
    pub file: &'static str,
    /// 1-based line number (header = 1), or 0 for the whole file.
    pub line: usize,
    /// What is wrong.
    pub reason: SchemeErrorReason,
}

impl SchemeError {
    pub(crate) fn new(file: &'static str, line: usize, reason: SchemeErrorReason) -> SchemeError {
        SchemeError { file, line, reason }
    }
}

impl fmt::Display for SchemeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.reason)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.reason)
        }
    }
}

/// Why a scheme table was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemeErrorReason {
    /// A required table is absent.
    #[error("required file is missing")]
    MissingFile,
    /// The file could not be read.
    #[error("cannot read file: {kind}")]
    Unreadable {
        /// The IO error kind.
        kind: std::io::ErrorKind,
    },
    /// The file is not valid UTF-8.
    #[error("file is not valid UTF-8")]
    NotUtf8,
    /// The file has no header line.
    #[error("file is empty (no header line)")]
    Empty,
    /// A required column is absent from the header.
    #[error("missing column `{column}`")]
    MissingColumn {
        /// The column name.
        column: &'static str,
    },
    /// A column name appears twice in the header.
    #[error("duplicate column `{column}`")]
    DuplicateColumn {
        /// The column name.
        column: String,
    },
    /// A row has a different number of cells than the header.
    #[error("expected {expected} tab-separated cells, found {found}")]
    WrongCellCount {
        /// Cells in the header.
        expected: usize,
        /// Cells in the row.
        found: usize,
    },
    /// A blank line inside a table.
    #[error("empty line")]
    EmptyLine,
    /// A required cell is empty.
    #[error("column `{column}` is empty")]
    EmptyValue {
        /// The column name.
        column: &'static str,
    },
    /// A cell that must be an integer is not one (or is out of range).
    #[error("column `{column}`: `{value}` is not a valid integer")]
    BadInteger {
        /// The column name.
        column: &'static str,
        /// The cell.
        value: String,
    },
    /// A cell that must be a decimal with at most four decimals is not one.
    #[error("column `{column}`: `{value}` is not a non-negative decimal with at most 4 decimals")]
    BadDecimal {
        /// The column name.
        column: &'static str,
        /// The cell.
        value: String,
    },
    /// `entry_rule` outside the vocabulary.
    #[error("unknown entry_rule `{value}`")]
    UnknownEntryRule {
        /// The cell.
        value: String,
    },
    /// `rule` outside the vocabulary.
    #[error("unknown rule `{value}`")]
    UnknownRule {
        /// The cell.
        value: String,
    },
    /// `split` outside the vocabulary.
    #[error("unknown split `{value}`")]
    UnknownSplit {
        /// The cell.
        value: String,
    },
    /// `list` is neither 1 nor 2.
    #[error("unknown procedure list `{value}` (expected 1 or 2)")]
    UnknownList {
        /// The cell.
        value: String,
    },
    /// `proc_category_formula` cannot be parsed, or is missing for a category rule.
    #[error("bad proc_category_formula `{formula}`: {problem}")]
    BadFormula {
        /// The cell.
        formula: String,
        /// What is wrong.
        problem: String,
    },
    /// A reference to an MDC that `mdc.tsv` does not define.
    #[error("unknown MDC `{mdc}`")]
    UnknownMdc {
        /// The MDC code.
        mdc: String,
    },
    /// A reference to an ADRG that `adrg.tsv` does not define.
    #[error("unknown ADRG `{adrg}`")]
    UnknownAdrg {
        /// The ADRG code.
        adrg: String,
    },
    /// A reference to a DRG that `drg.tsv` does not define.
    #[error("unknown DRG `{drg}`")]
    UnknownDrg {
        /// The DRG code.
        drg: String,
    },
    /// A code (MDC, ADRG, DRG, dictionary or weight key) is defined twice.
    #[error("duplicate `{key}`")]
    Duplicate {
        /// The duplicated key.
        key: String,
    },
    /// Two rows share the same order number inside their group.
    #[error("duplicate {column} {seq} in `{group}`")]
    DuplicateSeq {
        /// The order column.
        column: &'static str,
        /// The group (MDC or ADRG, empty for `mdc.tsv`).
        group: String,
        /// The repeated number.
        seq: i64,
    },
    /// A code is listed twice with different values (exclusion table, trauma region).
    #[error("`{code}` listed twice with different {column}: `{first}` and `{second}`")]
    Conflict {
        /// The code.
        code: String,
        /// The column that differs.
        column: &'static str,
        /// The first value.
        first: String,
        /// The second value.
        second: String,
    },
    /// A code is both in `mcc.tsv` and in `cc.tsv`.
    #[error("`{code}` is in both mcc.tsv and cc.tsv")]
    MccAndCc {
        /// The code.
        code: String,
    },
    /// An ADRG has no DRG in `drg.tsv`.
    #[error("ADRG `{adrg}` has no DRG in drg.tsv")]
    AdrgWithoutDrg {
        /// The ADRG code.
        adrg: String,
    },
    /// The last DRG of an ADRG does not have split `none`, so a DRG might not be found.
    #[error("last DRG `{drg}` of ADRG `{adrg}` has split `{split}`, expected `none`")]
    LastSplitNotNone {
        /// The ADRG code.
        adrg: String,
        /// The DRG code.
        drg: String,
        /// Its split.
        split: &'static str,
    },
    /// A DRG follows a DRG with split `none` and can never be chosen.
    #[error("DRG `{drg}` of ADRG `{adrg}` follows a `none` split and is unreachable")]
    UnreachableDrg {
        /// The ADRG code.
        adrg: String,
        /// The DRG code.
        drg: String,
    },
    /// A rule needs a code list that the tables do not provide.
    #[error("ADRG `{adrg}` with rule `{rule}` needs {list}, which is empty")]
    MissingList {
        /// The ADRG code.
        adrg: String,
        /// The rule.
        rule: &'static str,
        /// Which list (`adrg_diagnoses.tsv`, procedure list 1, …).
        list: &'static str,
    },
    /// A newborn rule without `max_age_days`.
    #[error("ADRG `{adrg}` with rule `{rule}` needs max_age_days")]
    MissingMaxAgeDays {
        /// The ADRG code.
        adrg: String,
        /// The rule.
        rule: &'static str,
    },
    /// A procedure of a category ADRG without a category.
    #[error("procedure `{code}` of ADRG `{adrg}` (category rule) has no category")]
    MissingCategory {
        /// The ADRG code.
        adrg: String,
        /// The procedure code.
        code: String,
    },
    /// A code on a multi-trauma MDC list without a `trauma_region`.
    #[error("`{code}` on the list of multi-trauma MDC `{mdc}` has no trauma_region")]
    MissingTraumaRegion {
        /// The MDC code.
        mdc: String,
        /// The diagnosis code.
        code: String,
    },
    /// A redundant count or list column disagrees with the tables it summarises.
    #[error("column `{column}` says `{stated}` but the tables give `{actual}`")]
    Inconsistent {
        /// The column (`adrg_count`, `drgs`).
        column: &'static str,
        /// The value in the cell.
        stated: String,
        /// The value derived from the other tables.
        actual: String,
    },
    /// A limit of the engine is exceeded.
    #[error("too many {what} (at most {max})")]
    TooMany {
        /// What (MDCs, trauma regions, …).
        what: &'static str,
        /// The limit.
        max: usize,
    },
}
