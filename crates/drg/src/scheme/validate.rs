//! Checks that relate the tables: each ADRG's DRG order and splits, stated counts and DRG lists
//! against the rows found, and the lists each ADRG rule needs.
//!
//! Checks that relate tables are skipped when a table they read had row problems, so one typo is
//! not reported again as a consequence.

use super::lists::Lists;
use super::load::Loader;
use super::structure::{AdrgRow, DrgRow, MdcRow};
use super::{ADRG_FILE, DRG_FILE, MDC_FILE};
use crate::error::SchemeErrorReason as R;
use crate::rules::Split;

impl<'f> Loader<'f, '_> {
    /// Checks the DRGs of one ADRG (`mine`, in order): there is at least one, the last has split
    /// `none`, none follows a `none`, and they match the ADRG's `drgs` column when it has one.
    pub(super) fn check_adrg_drgs(&mut self, a: &AdrgRow<'f>, mine: &[DrgRow<'f>], drg_clean: bool) {
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
    }

    /// Checks an MDC's stated `adrg_count` against the `actual` number of its ADRGs.
    pub(super) fn check_adrg_count(&mut self, m: &MdcRow<'f>, actual: usize, adrg_clean: bool) {
        if let Some(stated) = m.adrg_count
            && stated != actual
            && adrg_clean
        {
            self.p.push(
                MDC_FILE,
                m.line,
                R::Inconsistent {
                    column: "adrg_count",
                    stated: stated.to_string(),
                    actual: actual.to_string(),
                },
            );
        }
    }

    /// Checks that every ADRG has the diagnosis and procedure lists its rule reads.
    pub(super) fn check_rule_lists(&mut self, adrg_rows: &[AdrgRow<'f>], lists: &Lists<'f>) {
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
            need(
                a.rule.uses_dx_list(),
                lists.adrg_dx_count[ai],
                "a diagnosis list (adrg_diagnoses.tsv)",
            );
            need(
                a.rule.uses_proc_list(),
                lists.adrg_px_count[ai][0],
                "procedure list 1 (adrg_procedures.tsv)",
            );
            need(
                a.rule.uses_second_proc_list(),
                lists.adrg_px_count[ai][1],
                "procedure list 2 (adrg_procedures.tsv)",
            );
        }
    }
}
