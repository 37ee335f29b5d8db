//! # sanyi-drg — CHS-DRG grouping engine (DRG 分组器)
//!
//! Assigns an inpatient record to a diagnosis-related group under a CHS-DRG scheme such as the
//! national CHS-DRG 1.1 (26 MDCs, 376 ADRGs, 628 DRGs), exactly as specified in
//! `shared/docs/chs-drg-1.1-grouping.md`. It is a pure engine: no async, network or database; the
//! only IO is [`Scheme::load_dir`] reading table files.
//!
//! ## The scheme is data
//!
//! A [`Scheme`] is loaded from plain TSV tables (`mdc.tsv`, `mdc_diagnoses.tsv`, `adrg.tsv`,
//! `adrg_diagnoses.tsv`, `adrg_procedures.tsv`, `drg.tsv`, `mcc.tsv`, `cc.tsv`, `cc_exclusion.tsv`,
//! `or_procedures.tsv`; optionally `icd10_names.tsv`, `icd9_names.tsv`, `weights.tsv`,
//! `scheme_info.tsv`), either from a directory ([`Scheme::load_dir`]) or from file contents held in
//! memory ([`Scheme::from_files`], as the server stores them). All codes, lists, orders, rules,
//! splits, weight bands and category formulas come from the tables; rules are chosen by name from a
//! closed vocabulary ([`EntryRule`], [`AdrgRule`], [`Split`]). A regional scheme that differs only
//! in its tables loads the same way. Loading validates everything and reports problems with file,
//! line and reason ([`SchemeError`]).
//!
//! ### `weights.tsv` (optional)
//!
//! Relative weights are not part of CHS-DRG 1.1 (each pooling region publishes its own). Columns:
//! `pool` (pooling-region code, e.g. `652300`), `year` (integer), `drg` (a DRG of `drg.tsv`),
//! `weight` (non-negative decimal, at most 4 decimals, e.g. `1.2345`), and optionally
//! `avg_cost_fen` (integer fen) and `avg_los_days` (decimal, at most 4 decimals). One row per
//! (pool, year, drg). Weights are exact: [`Weight`] holds ten-thousandths in a `u32`, never a float.
//! Look them up with [`Scheme::weight`].
//!
//! ## Grouping
//!
//! [`Scheme::group`] takes a [`Case`] and returns a [`GroupResult`]: status (grouped, or
//! ungroupable with an [`UngroupableReason`]), MDC, ADRG, DRG and its Chinese name;
//! [`GroupResult::drg_code`] gives `"0000"` when ungroupable. [`Scheme::explain`] adds a [`Trace`]:
//! validation, every MDC entry test, every ADRG rule tried, the complication analysis (HAS_MCC /
//! HAS_CC and the code that caused each) and each DRG split, every step in Chinese and English.
//! Grouping is total (never panics, whatever the strings and numbers) and deterministic.
//!
//! ## How it is fast
//!
//! At load time every diagnosis and procedure code that appears in a grouping table is interned
//! to a dense id. Per diagnosis id the scheme keeps a bit mask of the MDC lists it is on, its
//! CC/MCC kind and exclusion tables, and a bitset of the ADRG diagnosis lists it is on; per
//! procedure id an OR flag and bitsets of ADRG procedure lists 1 and 2; per multi-trauma MDC a
//! dense region table. Grouping a record hashes each of its codes once and then only tests bits.
//! A [`PreparedCase`] keeps the resolved ids for repeated grouping. The trace is produced through
//! a generic sink that compiles to nothing when no trace is asked for.
//!
//! ## Modules
//!
//! * [`rules`] — the vocabulary of entry rules, ADRG rules, splits and category formulas;
//! * [`tsv`] — the neutral case TSV: reading records, writing `case_id<TAB>drg`;
//! * [`synthetic`] — a small illustrative scheme (示意方案) and deterministic cases for demos.
//!
//! ## Example
//!
//! ```
//! use sanyi_drg::{Case, Scheme, Sex, synthetic};
//! let scheme = Scheme::from_files(&synthetic::demo_files()).unwrap();
//! let case = Case {
//!     sex: Some(Sex::Female),
//!     age_years: Some(67.0),
//!     diagnoses: vec!["J18.900".into(), "J96.000".into()],
//!     ..Case::default()
//! };
//! let r = scheme.group(&case);
//! assert_eq!(r.drg_code(), "ES11");
//! assert_eq!(r.name_zh, Some("呼吸系统感染/炎症，伴严重并发症或合并症"));
//! ```
#![deny(missing_docs)]

mod case;
mod error;
mod group;
mod intern;
pub mod rules;
mod scheme;
pub mod synthetic;
mod table;
mod trace;
pub mod tsv;
mod weight;

pub use case::{Case, Demographics, Sex, parse_decimal, parse_truncated};
pub use error::{SchemeError, SchemeErrorReason};
pub use group::{GroupResult, GroupStatus, PreparedCase, UNGROUPABLE_DRG, VALIDATION_NEWBORN_DAYS};
pub use rules::{AdrgRule, EntryRule, Formula, Split};
pub use scheme::{
    ADRG_DIAGNOSES_FILE, ADRG_FILE, ADRG_PROCEDURES_FILE, CC_EXCLUSION_FILE, CC_FILE, DRG_FILE, ICD9_NAMES_FILE, ICD10_NAMES_FILE,
    MAX_MDCS, MAX_TRAUMA_REGIONS, MCC_FILE, MDC_DIAGNOSES_FILE, MDC_FILE, MdcSummary, OPTIONAL_FILES, OR_PROCEDURES_FILE, REQUIRED_FILES,
    SCHEME_INFO_FILE, Scheme, SchemeSummary, WEIGHTS_FILE,
};
pub use trace::{Trace, TraceStep, UngroupableReason};
pub use weight::{DecimalError, DrgWeight, LosDays, Weight};
