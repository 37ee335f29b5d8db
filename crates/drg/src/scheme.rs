//! A grouping scheme (分组方案) loaded from its tables, validated, and compiled into a compact form:
//! interned codes with per-code bitsets and flags.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;

use crate::error::{SchemeError, SchemeErrorReason as R};
use crate::intern::{Interner, InternerBuilder};
use crate::rules::{AdrgRule, EntryRule, Formula, MAX_CATEGORY, Split};
use crate::table::{Problems, Row, Table, int_cell, opt_int_cell, text_cell};
use crate::weight::{DrgWeight, LosDays, Weight};

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

/// The shape of a scheme: how many of everything (for `sanyi drg scheme check` and the server).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemeSummary {
    /// `label` from `scheme_info.tsv`, if any.
    pub label: Option<String>,
    /// Number of MDCs.
    pub mdcs: usize,
    /// Number of ADRGs.
    pub adrgs: usize,
    /// Number of DRGs.
    pub drgs: usize,
    /// Rows of `mdc_diagnoses.tsv`.
    pub mdc_list_codes: usize,
    /// Rows of `adrg_diagnoses.tsv`.
    pub adrg_dx_rows: usize,
    /// Rows of `adrg_procedures.tsv`.
    pub adrg_proc_rows: usize,
    /// Rows of `mcc.tsv`.
    pub mcc: usize,
    /// Rows of `cc.tsv`.
    pub cc: usize,
    /// Rows of `cc_exclusion.tsv`.
    pub exclusions: usize,
    /// Rows of `or_procedures.tsv`.
    pub or_procedures: usize,
    /// Distinct diagnosis codes used by the grouping tables.
    pub diagnosis_codes: usize,
    /// Distinct procedure codes used by the grouping tables.
    pub procedure_codes: usize,
    /// Entries of the diagnosis dictionary.
    pub icd10_names: usize,
    /// Entries of the procedure dictionary.
    pub icd9_names: usize,
    /// Rows of `weights.tsv`.
    pub weight_rows: usize,
    /// ADRG count per rule name.
    pub adrg_rules: BTreeMap<String, usize>,
    /// Per MDC, in trying order.
    pub per_mdc: Vec<MdcSummary>,
}

/// One MDC in a [`SchemeSummary`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MdcSummary {
    /// MDC code.
    pub mdc: String,
    /// Entry rule.
    pub entry_rule: EntryRule,
    /// Codes on its main-diagnosis list.
    pub list_codes: usize,
    /// ADRGs.
    pub adrgs: usize,
    /// DRGs.
    pub drgs: usize,
}

impl fmt::Display for SchemeSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(l) = &self.label {
            writeln!(f, "scheme: {l}")?;
        }
        writeln!(f, "MDCs {}, ADRGs {}, DRGs {}", self.mdcs, self.adrgs, self.drgs)?;
        writeln!(f, "mdc_diagnoses.tsv     {:>8} rows", self.mdc_list_codes)?;
        writeln!(f, "adrg_diagnoses.tsv    {:>8} rows", self.adrg_dx_rows)?;
        writeln!(f, "adrg_procedures.tsv   {:>8} rows", self.adrg_proc_rows)?;
        writeln!(f, "mcc.tsv               {:>8} rows", self.mcc)?;
        writeln!(f, "cc.tsv                {:>8} rows", self.cc)?;
        writeln!(f, "cc_exclusion.tsv      {:>8} rows", self.exclusions)?;
        writeln!(f, "or_procedures.tsv     {:>8} rows", self.or_procedures)?;
        writeln!(f, "icd10_names.tsv       {:>8} rows", self.icd10_names)?;
        writeln!(f, "icd9_names.tsv        {:>8} rows", self.icd9_names)?;
        writeln!(f, "weights.tsv           {:>8} rows", self.weight_rows)?;
        writeln!(
            f,
            "distinct codes: {} diagnoses, {} procedures",
            self.diagnosis_codes, self.procedure_codes
        )?;
        let rules: Vec<String> = self.adrg_rules.iter().map(|(r, n)| format!("{r} {n}")).collect();
        writeln!(f, "ADRG rules: {}", rules.join(", "))?;
        writeln!(f, "per MDC (in trying order): MDC entry_rule list_codes ADRGs DRGs")?;
        for m in &self.per_mdc {
            writeln!(
                f,
                "  {:<3} {:<26} {:>6} {:>4} {:>4}",
                m.mdc,
                m.entry_rule.as_str(),
                m.list_codes,
                m.adrgs,
                m.drgs
            )?;
        }
        Ok(())
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
        let scheme = Loader::new(files, &mut p).load();
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

/// Staged loading: tables, then the structure (MDC, ADRG, DRG), then the lists, then extras.
struct Loader<'f, 'p> {
    files: &'f BTreeMap<String, String>,
    p: &'p mut Problems,
}

struct MdcRow<'a> {
    line: usize,
    seq: i64,
    code: &'a str,
    entry: EntryRule,
    adrg_count: Option<usize>,
}

struct AdrgRow<'a> {
    line: usize,
    mdc: u32,
    seq: i64,
    code: &'a str,
    rule: AdrgRule,
    max_age_days: Option<i64>,
    min_weight_g: Option<i64>,
    max_weight_g: Option<i64>,
    formula: Option<Formula>,
    drgs_cell: Option<&'a str>,
}

struct DrgRow<'a> {
    line: usize,
    adrg: u32,
    seq: i64,
    code: &'a str,
    split: Split,
    name_zh: &'a str,
}

struct DxBuild {
    codes: InternerBuilder,
    info: Vec<DxInfo>,
    adrg: Vec<u64>,
    words: usize,
}

impl DxBuild {
    fn intern(&mut self, code: &str) -> u32 {
        let (id, new) = self.codes.intern(code);
        if new {
            self.info.push(DxInfo::default());
            self.adrg.resize(self.adrg.len() + self.words, 0);
        }
        id
    }
}

struct PxBuild {
    codes: InternerBuilder,
    or: Vec<bool>,
    adrg1: Vec<u64>,
    adrg2: Vec<u64>,
    words: usize,
}

impl PxBuild {
    fn intern(&mut self, code: &str) -> u32 {
        let (id, new) = self.codes.intern(code);
        if new {
            self.or.push(false);
            self.adrg1.resize(self.adrg1.len() + self.words, 0);
            self.adrg2.resize(self.adrg2.len() + self.words, 0);
        }
        id
    }
}

fn set_bit(bits: &mut [u64], words: usize, id: u32, bit: usize) {
    if let Some(w) = bits.get_mut(id as usize * words + bit / 64) {
        *w |= 1u64 << (bit % 64);
    }
}

impl<'f, 'p> Loader<'f, 'p> {
    fn new(files: &'f BTreeMap<String, String>, p: &'p mut Problems) -> Self {
        Loader { files, p }
    }

    fn table(&mut self, file: &'static str, required: &[&'static str], optional_file: bool) -> Option<Table<'f>> {
        let files = self.files;
        match files.get(file) {
            Some(text) => Table::parse(file, text, required, self.p),
            None => {
                if !optional_file {
                    self.p.push(file, 0, R::MissingFile);
                }
                None
            }
        }
    }

    #[expect(clippy::too_many_lines, reason = "one linear pass over the tables reads best in one place")]
    fn load(mut self) -> Scheme {
        let t_mdc = self.table(MDC_FILE, &["seq", "mdc", "entry_rule"], false);
        let t_mdcdx = self.table(MDC_DIAGNOSES_FILE, &["mdc", "code", "trauma_region"], false);
        let t_adrg = self.table(
            ADRG_FILE,
            &[
                "mdc",
                "seq_in_mdc",
                "adrg",
                "rule",
                "max_age_days",
                "min_weight_g",
                "max_weight_g",
                "proc_category_formula",
            ],
            false,
        );
        let t_adrgdx = self.table(ADRG_DIAGNOSES_FILE, &["adrg", "code"], false);
        let t_adrgpx = self.table(ADRG_PROCEDURES_FILE, &["adrg", "list", "category", "code"], false);
        let t_drg = self.table(DRG_FILE, &["drg", "adrg", "seq_in_adrg", "split", "name_zh"], false);
        let t_mcc = self.table(MCC_FILE, &["code", "exclusion_table"], false);
        let t_cc = self.table(CC_FILE, &["code", "exclusion_table"], false);
        let t_excl = self.table(CC_EXCLUSION_FILE, &["main_dx", "exclusion_table"], false);
        let t_or = self.table(OR_PROCEDURES_FILE, &["code"], false);
        let t_dxn = self.table(ICD10_NAMES_FILE, &["code", "name_zh"], true);
        let t_pxn = self.table(ICD9_NAMES_FILE, &["code", "name_zh"], true);
        let t_w = self.table(WEIGHTS_FILE, &["pool", "year", "drg", "weight"], true);
        let t_info = self.table(SCHEME_INFO_FILE, &["key", "value"], true);

        // ---- MDCs
        let mut mdc_rows: Vec<MdcRow<'f>> = Vec::new();
        // Every MDC code mentioned (also on rows with other problems), to avoid cascading errors.
        let mut mdc_named: FxHashSet<&str> = FxHashSet::default();
        if let Some(t) = &t_mdc {
            let (c_seq, c_mdc, c_rule, c_count) = (t.req("seq"), t.req("mdc"), t.req("entry_rule"), t.col("adrg_count"));
            let mut seqs = FxHashSet::default();
            for row in &t.rows {
                let seq = int_cell::<i64>(t.file, row, c_seq, "seq", self.p);
                let code = text_cell(t.file, row, c_mdc, "mdc", self.p);
                let rule = text_cell(t.file, row, c_rule, "entry_rule", self.p).and_then(|v| {
                    let r = EntryRule::parse(v);
                    if r.is_none() {
                        self.p.push(t.file, row.line, R::UnknownEntryRule { value: v.to_owned() });
                    }
                    r
                });
                let count = opt_int_cell::<usize>(t.file, row, c_count, "adrg_count", self.p);
                if let Some(code) = code
                    && !mdc_named.insert(code)
                {
                    self.p.push(t.file, row.line, R::Duplicate { key: code.to_owned() });
                    continue;
                }
                if let Some(s) = seq
                    && !seqs.insert(s)
                {
                    self.p.push(
                        t.file,
                        row.line,
                        R::DuplicateSeq {
                            column: "seq",
                            group: String::new(),
                            seq: s,
                        },
                    );
                    continue;
                }
                if let (Some(seq), Some(code), Some(entry), Ok(adrg_count)) = (seq, code, rule, count) {
                    mdc_rows.push(MdcRow {
                        line: row.line,
                        seq,
                        code,
                        entry,
                        adrg_count,
                    });
                }
            }
            mdc_rows.sort_by_key(|m| m.seq);
            if mdc_rows.len() > MAX_MDCS {
                self.p.push(
                    t.file,
                    0,
                    R::TooMany {
                        what: "MDCs",
                        max: MAX_MDCS,
                    },
                );
                mdc_rows.truncate(MAX_MDCS);
            }
        }
        let mdc_index: FxHashMap<&str, u32> = mdc_rows.iter().enumerate().map(|(i, m)| (m.code, i as u32)).collect();

        // ---- ADRGs
        let mut adrg_rows: Vec<AdrgRow<'f>> = Vec::new();
        let mut adrg_named: FxHashSet<&str> = FxHashSet::default();
        if let Some(t) = &t_adrg {
            let c = |n: &str| t.req(n);
            let (c_mdc, c_seq, c_code, c_rule) = (c("mdc"), c("seq_in_mdc"), c("adrg"), c("rule"));
            let (c_age, c_min, c_max, c_formula, c_drgs) = (
                t.col("max_age_days"),
                t.col("min_weight_g"),
                t.col("max_weight_g"),
                c("proc_category_formula"),
                t.col("drgs"),
            );
            let mut seqs: FxHashSet<(u32, i64)> = FxHashSet::default();
            for row in &t.rows {
                let f = t.file;
                let mdc = text_cell(f, row, c_mdc, "mdc", self.p).and_then(|m| match mdc_index.get(m) {
                    Some(&i) => Some(i),
                    None => {
                        if t_mdc.is_some() && !mdc_named.contains(m) {
                            self.p.push(f, row.line, R::UnknownMdc { mdc: m.to_owned() });
                        }
                        None
                    }
                });
                let seq = int_cell::<i64>(f, row, c_seq, "seq_in_mdc", self.p);
                let code = text_cell(f, row, c_code, "adrg", self.p);
                let rule = text_cell(f, row, c_rule, "rule", self.p).and_then(|v| {
                    let r = AdrgRule::parse(v);
                    if r.is_none() {
                        self.p.push(f, row.line, R::UnknownRule { value: v.to_owned() });
                    }
                    r
                });
                let age = opt_int_cell::<i64>(f, row, c_age, "max_age_days", self.p);
                let min = opt_int_cell::<i64>(f, row, c_min, "min_weight_g", self.p);
                let max = opt_int_cell::<i64>(f, row, c_max, "max_weight_g", self.p);
                let ftext = row.get(c_formula);
                let mut formula_ok = true;
                let formula = if ftext.is_empty() {
                    if rule == Some(AdrgRule::MainDxAndProcCategories) {
                        self.p.push(
                            f,
                            row.line,
                            R::BadFormula {
                                formula: String::new(),
                                problem: "required by the rule".into(),
                            },
                        );
                        formula_ok = false;
                    }
                    None
                } else {
                    match Formula::parse(ftext) {
                        Ok(x) => Some(x),
                        Err(e) => {
                            self.p.push(
                                f,
                                row.line,
                                R::BadFormula {
                                    formula: ftext.to_owned(),
                                    problem: e.to_owned(),
                                },
                            );
                            formula_ok = false;
                            None
                        }
                    }
                };
                if let (Some(r), Ok(None)) = (rule, age)
                    && r.is_newborn()
                {
                    self.p.push(
                        f,
                        row.line,
                        R::MissingMaxAgeDays {
                            adrg: code.unwrap_or("").to_owned(),
                            rule: r.as_str(),
                        },
                    );
                    formula_ok = false;
                }
                if let Some(code) = code
                    && !adrg_named.insert(code)
                {
                    self.p.push(f, row.line, R::Duplicate { key: code.to_owned() });
                    continue;
                }
                if let (Some(m), Some(s)) = (mdc, seq)
                    && !seqs.insert((m, s))
                {
                    let group = mdc_rows[m as usize].code.to_owned();
                    self.p.push(
                        f,
                        row.line,
                        R::DuplicateSeq {
                            column: "seq_in_mdc",
                            group,
                            seq: s,
                        },
                    );
                    continue;
                }
                if let (Some(mdc), Some(seq), Some(code), Some(rule), Ok(max_age_days), Ok(min_weight_g), Ok(max_weight_g), true) =
                    (mdc, seq, code, rule, age, min, max, formula_ok)
                {
                    let drgs_cell = c_drgs.map(|c| row.get(c));
                    adrg_rows.push(AdrgRow {
                        line: row.line,
                        mdc,
                        seq,
                        code,
                        rule,
                        max_age_days,
                        min_weight_g,
                        max_weight_g,
                        formula,
                        drgs_cell,
                    });
                }
            }
        }
        adrg_rows.sort_by_key(|a| (a.mdc, a.seq));
        let adrg_index: FxHashMap<&str, u32> = adrg_rows.iter().enumerate().map(|(i, a)| (a.code, i as u32)).collect();
        let n_adrg = adrg_rows.len();
        let words = n_adrg.div_ceil(64).max(1);

        // ---- DRGs
        let mut drg_rows: Vec<DrgRow<'f>> = Vec::new();
        let mut drg_named: FxHashSet<&str> = FxHashSet::default();
        if let Some(t) = &t_drg {
            let (c_drg, c_adrg, c_seq, c_split, c_name) =
                (t.req("drg"), t.req("adrg"), t.req("seq_in_adrg"), t.req("split"), t.req("name_zh"));
            let mut seqs: FxHashSet<(u32, i64)> = FxHashSet::default();
            for row in &t.rows {
                let f = t.file;
                let code = text_cell(f, row, c_drg, "drg", self.p);
                let adrg = text_cell(f, row, c_adrg, "adrg", self.p).and_then(|a| match adrg_index.get(a) {
                    Some(&i) => Some(i),
                    None => {
                        if t_adrg.is_some() && !adrg_named.contains(a) {
                            self.p.push(f, row.line, R::UnknownAdrg { adrg: a.to_owned() });
                        }
                        None
                    }
                });
                let seq = int_cell::<i64>(f, row, c_seq, "seq_in_adrg", self.p);
                let split = text_cell(f, row, c_split, "split", self.p).and_then(|v| {
                    let s = Split::parse(v);
                    if s.is_none() {
                        self.p.push(f, row.line, R::UnknownSplit { value: v.to_owned() });
                    }
                    s
                });
                if let Some(code) = code
                    && !drg_named.insert(code)
                {
                    self.p.push(f, row.line, R::Duplicate { key: code.to_owned() });
                    continue;
                }
                if let (Some(a), Some(s)) = (adrg, seq)
                    && !seqs.insert((a, s))
                {
                    let group = adrg_rows[a as usize].code.to_owned();
                    self.p.push(
                        f,
                        row.line,
                        R::DuplicateSeq {
                            column: "seq_in_adrg",
                            group,
                            seq: s,
                        },
                    );
                    continue;
                }
                if let (Some(code), Some(adrg), Some(seq), Some(split)) = (code, adrg, seq, split) {
                    drg_rows.push(DrgRow {
                        line: row.line,
                        adrg,
                        seq,
                        code,
                        split,
                        name_zh: row.get(c_name),
                    });
                }
            }
        }
        drg_rows.sort_by_key(|d| (d.adrg, d.seq));

        // ---- Structure checks and assembly. Checks that relate tables are skipped when a table they
        // read had row problems, so one typo is not reported again as a consequence.
        let clean = |p: &Problems, file: &str| !p.list.iter().any(|e| e.file == file);
        let drg_clean = t_drg.is_some() && clean(self.p, DRG_FILE);
        let adrg_clean = t_adrg.is_some() && clean(self.p, ADRG_FILE);
        let mut drgs = Vec::with_capacity(drg_rows.len());
        let mut adrgs = Vec::with_capacity(n_adrg);
        let mut start = 0usize;
        for (ai, a) in adrg_rows.iter().enumerate() {
            let mut end = start;
            while end < drg_rows.len() && drg_rows[end].adrg as usize == ai {
                end += 1;
            }
            let mine = &drg_rows[start..end];
            if !drg_clean {
                // nothing to check
            } else if mine.is_empty() {
                self.p.push(ADRG_FILE, a.line, R::AdrgWithoutDrg { adrg: a.code.to_owned() });
            } else if let Some(last) = mine.last() {
                if last.split != Split::None {
                    self.p.push(
                        DRG_FILE,
                        last.line,
                        R::LastSplitNotNone {
                            adrg: a.code.to_owned(),
                            drg: last.code.to_owned(),
                            split: last.split.as_str(),
                        },
                    );
                }
                if let Some(pos) = mine.iter().position(|d| d.split == Split::None) {
                    for d in &mine[pos + 1..] {
                        self.p.push(
                            DRG_FILE,
                            d.line,
                            R::UnreachableDrg {
                                adrg: a.code.to_owned(),
                                drg: d.code.to_owned(),
                            },
                        );
                    }
                }
            }
            if let Some(cell) = a.drgs_cell
                && !cell.is_empty()
                && drg_clean
                && !mine.is_empty()
            {
                let stated: Vec<&str> = cell.split(',').map(str::trim).collect();
                let actual: Vec<&str> = mine.iter().map(|d| d.code).collect();
                if stated != actual {
                    self.p.push(
                        ADRG_FILE,
                        a.line,
                        R::Inconsistent {
                            column: "drgs",
                            stated: cell.to_owned(),
                            actual: actual.join(","),
                        },
                    );
                }
            }
            adrgs.push(Adrg {
                code: a.code.into(),
                rule: a.rule,
                max_age_days: a.max_age_days,
                min_weight_g: a.min_weight_g,
                max_weight_g: a.max_weight_g,
                formula: a.formula.clone(),
                drgs: (start as u32, end as u32),
            });
            drgs.extend(mine.iter().map(|d| Drg {
                code: d.code.into(),
                split: d.split,
                name_zh: d.name_zh.into(),
            }));
            start = end;
        }
        let drg_ids: FxHashMap<Box<str>, u32> = drgs.iter().enumerate().map(|(i, d)| (d.code.clone(), i as u32)).collect();

        let mut mdcs = Vec::with_capacity(mdc_rows.len());
        let mut start = 0usize;
        for (mi, m) in mdc_rows.iter().enumerate() {
            let mut end = start;
            while end < adrg_rows.len() && adrg_rows[end].mdc as usize == mi {
                end += 1;
            }
            if let Some(stated) = m.adrg_count
                && stated != end - start
                && adrg_clean
            {
                self.p.push(
                    MDC_FILE,
                    m.line,
                    R::Inconsistent {
                        column: "adrg_count",
                        stated: stated.to_string(),
                        actual: (end - start).to_string(),
                    },
                );
            }
            mdcs.push(Mdc {
                code: m.code.into(),
                entry: m.entry,
                adrgs: (start as u32, end as u32),
                regions: None,
                list_codes: 0,
            });
            start = end;
        }

        // ---- Lists
        let mut dxb = DxBuild {
            codes: InternerBuilder::default(),
            info: Vec::new(),
            adrg: Vec::new(),
            words,
        };
        let mut pxb = PxBuild {
            codes: InternerBuilder::default(),
            or: Vec::new(),
            adrg1: Vec::new(),
            adrg2: Vec::new(),
            words,
        };

        // mdc_diagnoses
        let mut regions: Vec<Box<str>> = Vec::new();
        let mut region_of: FxHashMap<(u32, u32), (u8, &str)> = FxHashMap::default();
        let mut mdc_list_codes = 0;
        if let Some(t) = &t_mdcdx {
            let (c_mdc, c_code, c_region) = (t.req("mdc"), t.req("code"), t.req("trauma_region"));
            for row in &t.rows {
                let f = t.file;
                let mdc = text_cell(f, row, c_mdc, "mdc", self.p);
                let code = text_cell(f, row, c_code, "code", self.p);
                let (Some(mdc), Some(code)) = (mdc, code) else { continue };
                let Some(&mi) = mdc_index.get(mdc) else {
                    if t_mdc.is_some() && !mdc_named.contains(mdc) {
                        self.p.push(f, row.line, R::UnknownMdc { mdc: mdc.to_owned() });
                    }
                    continue;
                };
                mdc_list_codes += 1;
                mdcs[mi as usize].list_codes += 1;
                let id = dxb.intern(code);
                dxb.info[id as usize].mdc_mask |= 1u64 << mi;
                if mdcs[mi as usize].entry == EntryRule::MainDxAndMultiTrauma {
                    let region = row.get(c_region);
                    if region.is_empty() {
                        self.p.push(
                            f,
                            row.line,
                            R::MissingTraumaRegion {
                                mdc: mdc.to_owned(),
                                code: code.to_owned(),
                            },
                        );
                        continue;
                    }
                    let r = match regions.iter().position(|x| &**x == region) {
                        Some(i) => i + 1,
                        None => {
                            if regions.len() >= MAX_TRAUMA_REGIONS {
                                self.p.push(
                                    f,
                                    row.line,
                                    R::TooMany {
                                        what: "trauma regions",
                                        max: MAX_TRAUMA_REGIONS,
                                    },
                                );
                                continue;
                            }
                            regions.push(region.into());
                            regions.len()
                        }
                    };
                    let r = r as u8;
                    match region_of.get(&(mi, id)) {
                        Some(&(old, old_name)) if old != r => self.p.push(
                            f,
                            row.line,
                            R::Conflict {
                                code: code.to_owned(),
                                column: "trauma_region",
                                first: old_name.to_owned(),
                                second: region.to_owned(),
                            },
                        ),
                        Some(_) => {}
                        None => {
                            region_of.insert((mi, id), (r, region));
                        }
                    }
                }
            }
        }

        // adrg_diagnoses
        let mut adrg_dx_count = vec![0usize; n_adrg];
        let mut adrg_dx_rows = 0;
        if let Some(t) = &t_adrgdx {
            let (c_adrg, c_code) = (t.req("adrg"), t.req("code"));
            for row in &t.rows {
                let f = t.file;
                let (Some(a), Some(code)) = (text_cell(f, row, c_adrg, "adrg", self.p), text_cell(f, row, c_code, "code", self.p)) else {
                    continue;
                };
                let Some(&ai) = adrg_index.get(a) else {
                    if t_adrg.is_some() && !adrg_named.contains(a) {
                        self.p.push(f, row.line, R::UnknownAdrg { adrg: a.to_owned() });
                    }
                    continue;
                };
                adrg_dx_rows += 1;
                adrg_dx_count[ai as usize] += 1;
                let id = dxb.intern(code);
                set_bit(&mut dxb.adrg, words, id, ai as usize);
            }
        }

        // complication tables
        let mut mcc_rows = 0;
        let mut cc_rows = 0;
        let mut kind_of: FxHashMap<u32, CcKind> = FxHashMap::default();
        for (t, kind) in [(&t_mcc, CcKind::Mcc), (&t_cc, CcKind::Cc)] {
            let Some(t) = t else { continue };
            let (c_code, c_table) = (t.req("code"), t.req("exclusion_table"));
            for row in &t.rows {
                let f = t.file;
                let code = text_cell(f, row, c_code, "code", self.p);
                let table = exclusion_id(f, row, c_table, self.p);
                let (Some(code), Some(table)) = (code, table) else { continue };
                if kind == CcKind::Mcc {
                    mcc_rows += 1;
                } else {
                    cc_rows += 1;
                }
                let id = dxb.intern(code);
                let info = &mut dxb.info[id as usize];
                match kind_of.get(&id) {
                    Some(&k) if k != kind => {
                        self.p.push(f, row.line, R::MccAndCc { code: code.to_owned() });
                    }
                    Some(_) if info.cc_table != table => self.p.push(
                        f,
                        row.line,
                        R::Conflict {
                            code: code.to_owned(),
                            column: "exclusion_table",
                            first: info.cc_table.to_string(),
                            second: table.to_string(),
                        },
                    ),
                    Some(_) => {}
                    None => {
                        kind_of.insert(id, kind);
                        info.cc_kind = kind;
                        info.cc_table = table;
                    }
                }
            }
        }
        let mut excl_rows = 0;
        if let Some(t) = &t_excl {
            let (c_code, c_table) = (t.req("main_dx"), t.req("exclusion_table"));
            for row in &t.rows {
                let f = t.file;
                let code = text_cell(f, row, c_code, "main_dx", self.p);
                let table = exclusion_id(f, row, c_table, self.p);
                let (Some(code), Some(table)) = (code, table) else { continue };
                excl_rows += 1;
                let id = dxb.intern(code);
                let info = &mut dxb.info[id as usize];
                if info.main_table == NO_TABLE {
                    info.main_table = table;
                } else if info.main_table != table {
                    self.p.push(
                        f,
                        row.line,
                        R::Conflict {
                            code: code.to_owned(),
                            column: "exclusion_table",
                            first: info.main_table.to_string(),
                            second: table.to_string(),
                        },
                    );
                }
            }
        }

        // procedures
        let mut adrg_px_count = vec![[0usize; 2]; n_adrg];
        let mut adrg_px_rows = 0;
        let mut categories: FxHashMap<(u32, u32), u32> = FxHashMap::default();
        if let Some(t) = &t_adrgpx {
            let (c_adrg, c_list, c_cat, c_code) = (t.req("adrg"), t.req("list"), t.req("category"), t.req("code"));
            for row in &t.rows {
                let f = t.file;
                let a = text_cell(f, row, c_adrg, "adrg", self.p);
                let code = text_cell(f, row, c_code, "code", self.p);
                let list = text_cell(f, row, c_list, "list", self.p).and_then(|l| match l {
                    "1" => Some(1usize),
                    "2" => Some(2),
                    _ => {
                        self.p.push(f, row.line, R::UnknownList { value: l.to_owned() });
                        None
                    }
                });
                let cat = match opt_int_cell::<u8>(f, row, Some(c_cat), "category", self.p) {
                    Ok(Some(c)) if c == 0 || c > MAX_CATEGORY => {
                        self.p.push(
                            f,
                            row.line,
                            R::BadInteger {
                                column: "category",
                                value: row.get(c_cat).to_owned(),
                            },
                        );
                        continue;
                    }
                    Ok(c) => c,
                    Err(()) => continue,
                };
                let (Some(a), Some(code), Some(list)) = (a, code, list) else {
                    continue;
                };
                let Some(&ai) = adrg_index.get(a) else {
                    if t_adrg.is_some() && !adrg_named.contains(a) {
                        self.p.push(f, row.line, R::UnknownAdrg { adrg: a.to_owned() });
                    }
                    continue;
                };
                adrg_px_rows += 1;
                adrg_px_count[ai as usize][list - 1] += 1;
                let id = pxb.intern(code);
                let bits = if list == 1 { &mut pxb.adrg1 } else { &mut pxb.adrg2 };
                set_bit(bits, words, id, ai as usize);
                let rule = adrg_rows[ai as usize].rule;
                match cat {
                    Some(c) => {
                        // Spec §9.6: a code's category is the one of its first occurrence.
                        categories.entry((ai, id)).or_insert(1u32 << (c - 1));
                    }
                    None if rule == AdrgRule::MainDxAndProcCategories && list == 1 => {
                        self.p.push(
                            f,
                            row.line,
                            R::MissingCategory {
                                adrg: a.to_owned(),
                                code: code.to_owned(),
                            },
                        );
                    }
                    None => {}
                }
            }
        }
        let mut or_rows = 0;
        if let Some(t) = &t_or {
            let c_code = t.req("code");
            for row in &t.rows {
                let Some(code) = text_cell(t.file, row, c_code, "code", self.p) else {
                    continue;
                };
                or_rows += 1;
                let id = pxb.intern(code);
                pxb.or[id as usize] = true;
            }
        }

        // rules that need lists
        if t_adrgdx.is_some() && t_adrgpx.is_some() {
            for (ai, a) in adrg_rows.iter().enumerate() {
                let mut need = |cond: bool, count: usize, list: &'static str| {
                    if cond && count == 0 {
                        self.p.push(
                            ADRG_FILE,
                            a.line,
                            R::MissingList {
                                adrg: a.code.to_owned(),
                                rule: a.rule.as_str(),
                                list,
                            },
                        );
                    }
                };
                need(a.rule.uses_dx_list(), adrg_dx_count[ai], "a diagnosis list (adrg_diagnoses.tsv)");
                need(
                    a.rule.uses_proc_list(),
                    adrg_px_count[ai][0],
                    "procedure list 1 (adrg_procedures.tsv)",
                );
                need(
                    a.rule.uses_second_proc_list(),
                    adrg_px_count[ai][1],
                    "procedure list 2 (adrg_procedures.tsv)",
                );
            }
        }

        // sentinel rows for the unknown id
        dxb.info.push(DxInfo::default());
        dxb.adrg.resize(dxb.adrg.len() + words, 0);
        pxb.or.push(false);
        pxb.adrg1.resize(pxb.adrg1.len() + words, 0);
        pxb.adrg2.resize(pxb.adrg2.len() + words, 0);
        let n_dx = dxb.codes.len();
        for (mi, m) in mdcs.iter_mut().enumerate() {
            if m.entry == EntryRule::MainDxAndMultiTrauma {
                let mut dense = vec![0u8; n_dx + 1];
                for (&(rm, id), &(r, _)) in &region_of {
                    if rm as usize == mi {
                        dense[id as usize] = r;
                    }
                }
                m.regions = Some(dense.into_boxed_slice());
            }
        }

        // ---- Dictionaries, weights, info
        let dx_names = self.dictionary(t_dxn.as_ref());
        let px_names = self.dictionary(t_pxn.as_ref());
        let (weights, weight_index) = self.weights(t_w.as_ref(), &drg_ids, t_drg.is_some(), &drg_named);
        let mut info = BTreeMap::new();
        if let Some(t) = &t_info {
            let (c_key, c_value) = (t.req("key"), t.req("value"));
            for row in &t.rows {
                let Some(k) = text_cell(t.file, row, c_key, "key", self.p) else {
                    continue;
                };
                if info.insert(k.to_owned(), row.get(c_value).to_owned()).is_some() {
                    self.p.push(t.file, row.line, R::Duplicate { key: k.to_owned() });
                }
            }
        }

        let mut adrg_rules = BTreeMap::new();
        for a in &adrgs {
            *adrg_rules.entry(a.rule.as_str().to_owned()).or_insert(0) += 1;
        }
        let per_mdc = mdcs
            .iter()
            .map(|m| {
                let (a0, a1) = m.adrgs;
                let drgs_n = adrgs[a0 as usize..a1 as usize].iter().map(|a| (a.drgs.1 - a.drgs.0) as usize).sum();
                MdcSummary {
                    mdc: m.code.to_string(),
                    entry_rule: m.entry,
                    list_codes: m.list_codes,
                    adrgs: (a1 - a0) as usize,
                    drgs: drgs_n,
                }
            })
            .collect();
        let summary = SchemeSummary {
            label: info.get("label").cloned(),
            mdcs: mdcs.len(),
            adrgs: adrgs.len(),
            drgs: drgs.len(),
            mdc_list_codes,
            adrg_dx_rows,
            adrg_proc_rows: adrg_px_rows,
            mcc: mcc_rows,
            cc: cc_rows,
            exclusions: excl_rows,
            or_procedures: or_rows,
            diagnosis_codes: n_dx,
            procedure_codes: pxb.codes.len(),
            icd10_names: dx_names.len(),
            icd9_names: px_names.len(),
            weight_rows: weights.len(),
            adrg_rules,
            per_mdc,
        };
        Scheme {
            info,
            mdcs,
            adrgs,
            drgs,
            drg_ids,
            dx: dxb.codes.finish(),
            px: pxb.codes.finish(),
            dx_info: dxb.info,
            dx_adrg: dxb.adrg,
            px_or: pxb.or,
            px_adrg1: pxb.adrg1,
            px_adrg2: pxb.adrg2,
            words,
            regions,
            categories,
            dx_names,
            px_names,
            weights,
            weight_index,
            summary,
        }
    }

    fn dictionary(&mut self, t: Option<&Table<'f>>) -> FxHashMap<Box<str>, Box<str>> {
        let mut map = FxHashMap::default();
        let Some(t) = t else { return map };
        map.reserve(t.rows.len());
        let (c_code, c_name) = (t.req("code"), t.req("name_zh"));
        for row in &t.rows {
            let Some(code) = text_cell(t.file, row, c_code, "code", self.p) else {
                continue;
            };
            if map.insert(Box::<str>::from(code), Box::<str>::from(row.get(c_name))).is_some() {
                self.p.push(t.file, row.line, R::Duplicate { key: code.to_owned() });
            }
        }
        map
    }

    #[expect(clippy::type_complexity, reason = "private helper returning the two halves of the weight table")]
    fn weights(
        &mut self,
        t: Option<&Table<'f>>,
        drg_ids: &FxHashMap<Box<str>, u32>,
        drgs_loaded: bool,
        drg_named: &FxHashSet<&str>,
    ) -> (Vec<DrgWeight>, FxHashMap<Box<str>, FxHashMap<(i32, u32), u32>>) {
        let mut rows = Vec::new();
        let mut index: FxHashMap<Box<str>, FxHashMap<(i32, u32), u32>> = FxHashMap::default();
        let Some(t) = t else { return (rows, index) };
        let (c_pool, c_year, c_drg, c_weight) = (t.req("pool"), t.req("year"), t.req("drg"), t.req("weight"));
        let (c_cost, c_los) = (t.col("avg_cost_fen"), t.col("avg_los_days"));
        for row in &t.rows {
            let f = t.file;
            let pool = text_cell(f, row, c_pool, "pool", self.p);
            let year = int_cell::<i32>(f, row, c_year, "year", self.p);
            let drg = text_cell(f, row, c_drg, "drg", self.p).and_then(|d| match drg_ids.get(d) {
                Some(&i) => Some((d, i)),
                None => {
                    // A DRG named in drg.tsv but dropped for another problem is not reported again.
                    if drgs_loaded && !drg_named.contains(d) {
                        self.p.push(f, row.line, R::UnknownDrg { drg: d.to_owned() });
                    }
                    None
                }
            });
            let weight = text_cell(f, row, c_weight, "weight", self.p).and_then(|w| match w.parse::<Weight>() {
                Ok(w) => Some(w),
                Err(_) => {
                    self.p.push(
                        f,
                        row.line,
                        R::BadDecimal {
                            column: "weight",
                            value: w.to_owned(),
                        },
                    );
                    None
                }
            });
            let cost = match opt_int_cell::<i64>(f, row, c_cost, "avg_cost_fen", self.p) {
                Ok(Some(c)) if c < 0 => {
                    self.p.push(
                        f,
                        row.line,
                        R::BadInteger {
                            column: "avg_cost_fen",
                            value: c.to_string(),
                        },
                    );
                    Err(())
                }
                other => other,
            };
            let los = match c_los.map(|c| row.get(c)).filter(|v| !v.is_empty()) {
                None => Ok(None),
                Some(v) => match v.parse::<LosDays>() {
                    Ok(l) => Ok(Some(l)),
                    Err(_) => {
                        self.p.push(
                            f,
                            row.line,
                            R::BadDecimal {
                                column: "avg_los_days",
                                value: v.to_owned(),
                            },
                        );
                        Err(())
                    }
                },
            };
            let (Some(pool), Some(year), Some((drg, di)), Some(weight), Ok(avg_cost_fen), Ok(avg_los_days)) =
                (pool, year, drg, weight, cost, los)
            else {
                continue;
            };
            let slot = index.entry(pool.into()).or_default();
            if slot.contains_key(&(year, di)) {
                self.p.push(
                    f,
                    row.line,
                    R::Duplicate {
                        key: format!("{pool} {year} {drg}"),
                    },
                );
                continue;
            }
            slot.insert((year, di), rows.len() as u32);
            rows.push(DrgWeight {
                pool: pool.to_owned(),
                year,
                drg: drg.to_owned(),
                weight,
                avg_cost_fen,
                avg_los_days,
            });
        }
        (rows, index)
    }
}

/// Parses an exclusion-table id (a non-negative integer below `u32::MAX`).
fn exclusion_id(file: &'static str, row: &Row<'_>, col: usize, p: &mut Problems) -> Option<u32> {
    let v = int_cell::<u32>(file, row, col, "exclusion_table", p)?;
    if v == NO_TABLE {
        p.push(
            file,
            row.line,
            R::BadInteger {
                column: "exclusion_table",
                value: v.to_string(),
            },
        );
        return None;
    }
    Some(v)
}
