//! Scheme summary: how many MDCs, ADRGs, DRGs, list rows and codes a loaded scheme has.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use super::{Adrg, Mdc};
use crate::rules::EntryRule;

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

/// ADRG count per rule name.
pub(super) fn adrg_rules(adrgs: &[Adrg]) -> BTreeMap<String, usize> {
    let mut adrg_rules = BTreeMap::new();
    for a in adrgs {
        *adrg_rules.entry(a.rule.as_str().to_owned()).or_insert(0) += 1;
    }
    adrg_rules
}

/// One [`MdcSummary`] per MDC, in trying order.
pub(super) fn per_mdc(mdcs: &[Mdc], adrgs: &[Adrg]) -> Vec<MdcSummary> {
    mdcs.iter()
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
        .collect()
}
