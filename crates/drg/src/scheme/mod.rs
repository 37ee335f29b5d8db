//! A grouping scheme (分组方案) loaded from its tables, validated, and compiled into a compact form:
//! interned codes with per-code bitsets and flags.
//!
//! This module holds the table names, the compiled [`Scheme`] type and its public API. Loading is
//! split by stage: `load` drives it; `structure` reads `mdc.tsv`, `adrg.tsv` and `drg.tsv` and
//! assembles the trying order; `validate` holds the checks that relate the tables; `lists` reads
//! the diagnosis and procedure lists; `complications` the CC/MCC and exclusion tables; `extras`
//! the optional dictionaries, weights and scheme info; `summary` the [`SchemeSummary`].

mod complications;
mod extras;
mod lists;
mod load;
mod structure;
mod summary;
mod validate;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use rustc_hash::FxHashMap;

pub use self::summary::{MdcSummary, SchemeSummary};
use crate::error::{SchemeError, SchemeErrorReason as R};
use crate::intern::Interner;
use crate::rules::{AdrgRule, EntryRule, Formula, Split};
use crate::table::Problems;
use crate::weight::DrgWeight;

/// `mdc.tsv`: the MDCs in the order they are tried.
pub const MDC_FILE: &str = "mdc.tsv";
/// `mdc_diagnoses.tsv`: main-diagnosis list of each MDC.
pub const MDC_DIAGNOSES_FILE: &str = "mdc_diagnoses.tsv";
/// `adrg.tsv`: the ADRGs of each MDC in the order they are tried.
pub const ADRG_FILE: &str = "adrg.tsv";
/// `adrg_diagnoses.tsv`: diagnosis list of each ADRG.
pub const ADRG_DIAGNOSES_FILE: &str = "adrg_diagnoses.tsv";
/// `adrg_procedures.tsv`: procedure lists of each ADRG.
pub const ADRG_PROCEDURES_FILE: &str = "adrg_procedures.tsv";
/// `drg.tsv`: the DRGs of each ADRG in order, with their split and name.
pub const DRG_FILE: &str = "drg.tsv";
/// `mcc.tsv`: MCC codes with their exclusion table.
pub const MCC_FILE: &str = "mcc.tsv";
/// `cc.tsv`: CC codes with their exclusion table.
pub const CC_FILE: &str = "cc.tsv";
/// `cc_exclusion.tsv`: exclusion table of main diagnoses.
pub const CC_EXCLUSION_FILE: &str = "cc_exclusion.tsv";
/// `or_procedures.tsv`: operating-room procedures.
pub const OR_PROCEDURES_FILE: &str = "or_procedures.tsv";
/// `icd10_names.tsv`: diagnosis names (optional).
pub const ICD10_NAMES_FILE: &str = "icd10_names.tsv";
/// `icd9_names.tsv`: procedure names (optional).
pub const ICD9_NAMES_FILE: &str = "icd9_names.tsv";
/// `weights.tsv`: relative weights per pooling region and year (optional).
pub const WEIGHTS_FILE: &str = "weights.tsv";
/// `scheme_info.tsv`: `key`/`value` pairs describing the scheme, e.g. `label` (optional).
pub const SCHEME_INFO_FILE: &str = "scheme_info.tsv";

/// The tables a scheme must have.
pub const REQUIRED_FILES: [&str; 10] = [
    MDC_FILE,
    MDC_DIAGNOSES_FILE,
    ADRG_FILE,
    ADRG_DIAGNOSES_FILE,
    ADRG_PROCEDURES_FILE,
    DRG_FILE,
    MCC_FILE,
    CC_FILE,
    CC_EXCLUSION_FILE,
    OR_PROCEDURES_FILE,
];

/// The tables a scheme may have; any other file in a scheme directory is ignored.
pub const OPTIONAL_FILES: [&str; 4] = [ICD10_NAMES_FILE, ICD9_NAMES_FILE, WEIGHTS_FILE, SCHEME_INFO_FILE];

/// Most MDCs a scheme may define (one bit each in a per-code mask).
pub const MAX_MDCS: usize = 64;
/// Most distinct trauma regions of one multi-trauma MDC.
pub const MAX_TRAUMA_REGIONS: usize = 64;

/// No exclusion table.
pub(crate) const NO_TABLE: u32 = u32::MAX;

/// Whether a diagnosis is a complication or comorbidity, and of which severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum CcKind {
    #[default]
    None,
    Cc,
    Mcc,
}

/// What the scheme knows about one diagnosis code.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DxInfo {
    /// Bit `i` set when the code is on the list of the `i`-th MDC (in trying order).
    pub mdc_mask: u64,
    pub cc_kind: CcKind,
    /// Exclusion table of the code as a CC/MCC.
    pub cc_table: u32,
    /// Exclusion table of the code as a main diagnosis.
    pub main_table: u32,
}

impl Default for DxInfo {
    fn default() -> DxInfo {
        DxInfo {
            mdc_mask: 0,
            cc_kind: CcKind::None,
            cc_table: NO_TABLE,
            main_table: NO_TABLE,
        }
    }
}

/// A major diagnostic category in trying order.
#[derive(Debug)]
pub(crate) struct Mdc {
    pub code: Box<str>,
    pub entry: EntryRule,
    /// Its ADRGs: `adrgs[first..end]`, in trying order.
    pub adrgs: (u32, u32),
    /// For multi-trauma MDCs: region number (1-based, 0 = none) of every diagnosis id.
    pub regions: Option<Box<[u8]>>,
    pub list_codes: usize,
}

/// An ADRG in trying order.
#[derive(Debug)]
pub(crate) struct Adrg {
    pub code: Box<str>,
    pub rule: AdrgRule,
    pub max_age_days: Option<i64>,
    pub min_weight_g: Option<i64>,
    pub max_weight_g: Option<i64>,
    pub formula: Option<Formula>,
    /// Its DRGs: `drgs[first..end]`, in trying order.
    pub drgs: (u32, u32),
}

/// A DRG.
#[derive(Debug)]
pub(crate) struct Drg {
    pub code: Box<str>,
    pub split: Split,
    pub name_zh: Box<str>,
}

/// A loaded, validated CHS-DRG grouping scheme (分组方案): MDCs, ADRGs and DRGs with their code lists,
/// complication tables, optional dictionaries and relative weights.
///
/// A `Scheme` is immutable, `Send + Sync`, and cheap to share behind an `Arc`.
///
/// # Example
///
/// ```
/// use sanyi_drg::{Scheme, synthetic};
/// let scheme = Scheme::from_files(&synthetic::demo_files()).unwrap();
/// assert!(scheme.summary().drgs > 0);
/// ```
pub struct Scheme {
    pub(crate) info: BTreeMap<String, String>,
    pub(crate) mdcs: Vec<Mdc>,
    pub(crate) adrgs: Vec<Adrg>,
    pub(crate) drgs: Vec<Drg>,
    drg_ids: FxHashMap<Box<str>, u32>,
    pub(crate) dx: Interner,
    pub(crate) px: Interner,
    /// Indexed by diagnosis id; one extra all-empty row for the unknown id.
    pub(crate) dx_info: Vec<DxInfo>,
    /// `words` u64 per diagnosis id: bit `a` set when the code is on ADRG `a`'s diagnosis list.
    pub(crate) dx_adrg: Vec<u64>,
    /// Indexed by procedure id: on the OR list.
    pub(crate) px_or: Vec<bool>,
    /// `words` u64 per procedure id for list 1 and list 2 of each ADRG.
    pub(crate) px_adrg1: Vec<u64>,
    pub(crate) px_adrg2: Vec<u64>,
    pub(crate) words: usize,
    /// Trauma region labels, index = region number - 1.
    pub(crate) regions: Vec<Box<str>>,
    /// (ADRG index, procedure id) → category bit mask (one bit).
    pub(crate) categories: FxHashMap<(u32, u32), u32>,
    dx_names: FxHashMap<Box<str>, Box<str>>,
    px_names: FxHashMap<Box<str>, Box<str>>,
    weights: Vec<DrgWeight>,
    weight_index: FxHashMap<Box<str>, FxHashMap<(i32, u32), u32>>,
    summary: SchemeSummary,
}

impl fmt::Debug for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scheme").field("summary", &self.summary).finish_non_exhaustive()
    }
}

impl Scheme {
    /// Loads a scheme from a directory of tables (the required ones, plus any optional ones
    /// present); other files in the directory are ignored.
    ///
    /// # Errors
    ///
    /// The first problem found, with file, line and reason; see [`Scheme::check_dir`] for all.
    pub fn load_dir(dir: &Path) -> Result<Scheme, SchemeError> {
        Scheme::check_dir(dir).map_err(first)
    }

    /// Loads a scheme from in-memory table contents keyed by file name (`"mdc.tsv"`, …), as stored
    /// by the server. Unknown keys are ignored.
    ///
    /// # Errors
    ///
    /// The first problem found, with file, line and reason; see [`Scheme::check_files`] for all.
    pub fn from_files(files: &BTreeMap<String, String>) -> Result<Scheme, SchemeError> {
        Scheme::check_files(files).map_err(first)
    }

    /// Like [`Scheme::load_dir`], but reports every problem found (up to 200), in file order.
    ///
    /// # Errors
    ///
    /// The problems: unreadable or non-UTF-8 files, then everything [`Scheme::check_files`] finds.
    pub fn check_dir(dir: &Path) -> Result<Scheme, Vec<SchemeError>> {
        let mut files = BTreeMap::new();
        let mut problems = Vec::new();
        for name in REQUIRED_FILES.iter().chain(OPTIONAL_FILES.iter()) {
            match std::fs::read(dir.join(name)) {
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => {
                        files.insert((*name).to_owned(), text);
                    }
                    Err(e) => {
                        let line = e.as_bytes()[..e.utf8_error().valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
                        problems.push(SchemeError::new(name, line, R::NotUtf8));
                    }
                },
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => problems.push(SchemeError::new(name, 0, R::Unreadable { kind: e.kind() })),
            }
        }
        if !problems.is_empty() {
            // Report missing required files as well, so one run shows everything.
            for name in REQUIRED_FILES {
                if !files.contains_key(name) && !problems.iter().any(|p| p.file == name) {
                    problems.push(SchemeError::new(name, 0, R::MissingFile));
                }
            }
            return Err(problems);
        }
        Scheme::check_files(&files)
    }

    /// Like [`Scheme::from_files`], but reports every problem found (up to 200), in file order.
    ///
    /// # Errors
    ///
    /// The problems found: missing files or columns, malformed rows, values outside the vocabulary,
    /// dangling references, inconsistent orders or splits.
    pub fn check_files(files: &BTreeMap<String, String>) -> Result<Scheme, Vec<SchemeError>> {
        let mut p = Problems { list: Vec::new() };
        let scheme = load::Loader::new(files, &mut p).load();
        if p.list.is_empty() { Ok(scheme) } else { Err(p.list) }
    }

    /// The shape of the scheme.
    #[must_use]
    pub fn summary(&self) -> &SchemeSummary {
        &self.summary
    }

    /// The scheme's label (`label` in `scheme_info.tsv`), e.g. "示意方案，非国家分组 (illustrative only)".
    #[must_use]
    pub fn label(&self) -> Option<&str> {
        self.info.get("label").map(String::as_str)
    }

    /// All `key`/`value` pairs of `scheme_info.tsv`.
    #[must_use]
    pub fn info(&self) -> &BTreeMap<String, String> {
        &self.info
    }

    /// Name of a diagnosis code from `icd10_names.tsv`.
    #[must_use]
    pub fn diagnosis_name(&self, code: &str) -> Option<&str> {
        self.dx_names.get(code).map(|n| &**n)
    }

    /// Name of a procedure code from `icd9_names.tsv`.
    #[must_use]
    pub fn procedure_name(&self, code: &str) -> Option<&str> {
        self.px_names.get(code).map(|n| &**n)
    }

    /// Chinese name of a DRG from `drg.tsv`.
    #[must_use]
    pub fn drg_name(&self, drg: &str) -> Option<&str> {
        self.drg_ids.get(drg).map(|&i| &*self.drgs[i as usize].name_zh)
    }

    /// Whether `drg` is a DRG of this scheme.
    #[must_use]
    pub fn has_drg(&self, drg: &str) -> bool {
        self.drg_ids.contains_key(drg)
    }

    /// Every DRG as `(code, name_zh)`, in MDC/ADRG trying order.
    pub fn drgs(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.drgs.iter().map(|d| (&*d.code, &*d.name_zh))
    }

    /// The MDC codes in trying order.
    pub fn mdc_codes(&self) -> impl Iterator<Item = &str> + '_ {
        self.mdcs.iter().map(|m| &*m.code)
    }

    /// The relative weight of a DRG in a pooling region and year, from `weights.tsv`.
    ///
    /// ```
    /// use sanyi_drg::{Scheme, synthetic};
    /// let scheme = Scheme::from_files(&synthetic::demo_files()).unwrap();
    /// let w = scheme.weight("652300", 2026, "GD15").unwrap();
    /// assert!(w.weight.ten_thousandths() > 0);
    /// assert!(scheme.weight("652300", 1999, "GD15").is_none());
    /// ```
    #[must_use]
    pub fn weight(&self, pool: &str, year: i32, drg: &str) -> Option<&DrgWeight> {
        let &d = self.drg_ids.get(drg)?;
        let &row = self.weight_index.get(pool)?.get(&(year, d))?;
        self.weights.get(row as usize)
    }

    /// Every row of `weights.tsv`, in file order.
    #[must_use]
    pub fn weights(&self) -> &[DrgWeight] {
        &self.weights
    }
}

fn first(mut v: Vec<SchemeError>) -> SchemeError {
    if v.is_empty() {
        SchemeError::new("", 0, R::Empty)
    } else {
        v.swap_remove(0)
    }
}
