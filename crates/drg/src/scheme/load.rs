//! Staged loading of a scheme from its table files: the [`Loader`], the tables it reads, and the
//! assembly of the compiled [`Scheme`]. The stages themselves live in the sibling modules.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use super::lists::Lists;
use super::summary::{self, SchemeSummary};
use super::{
    ADRG_DIAGNOSES_FILE, ADRG_FILE, ADRG_PROCEDURES_FILE, CC_EXCLUSION_FILE, CC_FILE, DRG_FILE, ICD9_NAMES_FILE, ICD10_NAMES_FILE,
    MCC_FILE, MDC_DIAGNOSES_FILE, MDC_FILE, OR_PROCEDURES_FILE, SCHEME_INFO_FILE, Scheme, WEIGHTS_FILE,
};
use crate::error::SchemeErrorReason as R;
use crate::table::{Problems, Table};

/// Staged loading: tables, then the structure (MDC, ADRG, DRG), then the lists, then extras.
pub(super) struct Loader<'f, 'p> {
    files: &'f BTreeMap<String, String>,
    pub(super) p: &'p mut Problems,
}

/// Every table of a scheme, parsed into rows; `None` when the file is absent or its header unusable.
struct Tables<'f> {
    mdc: Option<Table<'f>>,
    mdcdx: Option<Table<'f>>,
    adrg: Option<Table<'f>>,
    adrgdx: Option<Table<'f>>,
    adrgpx: Option<Table<'f>>,
    drg: Option<Table<'f>>,
    mcc: Option<Table<'f>>,
    cc: Option<Table<'f>>,
    excl: Option<Table<'f>>,
    or: Option<Table<'f>>,
    dxn: Option<Table<'f>>,
    pxn: Option<Table<'f>>,
    w: Option<Table<'f>>,
    info: Option<Table<'f>>,
}

impl<'f, 'p> Loader<'f, 'p> {
    pub(super) fn new(files: &'f BTreeMap<String, String>, p: &'p mut Problems) -> Self {
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

    fn tables(&mut self) -> Tables<'f> {
        Tables {
            mdc: self.table(MDC_FILE, &["seq", "mdc", "entry_rule"], false),
            mdcdx: self.table(MDC_DIAGNOSES_FILE, &["mdc", "code", "trauma_region"], false),
            adrg: self.table(
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
            ),
            adrgdx: self.table(ADRG_DIAGNOSES_FILE, &["adrg", "code"], false),
            adrgpx: self.table(ADRG_PROCEDURES_FILE, &["adrg", "list", "category", "code"], false),
            drg: self.table(DRG_FILE, &["drg", "adrg", "seq_in_adrg", "split", "name_zh"], false),
            mcc: self.table(MCC_FILE, &["code", "exclusion_table"], false),
            cc: self.table(CC_FILE, &["code", "exclusion_table"], false),
            excl: self.table(CC_EXCLUSION_FILE, &["main_dx", "exclusion_table"], false),
            or: self.table(OR_PROCEDURES_FILE, &["code"], false),
            dxn: self.table(ICD10_NAMES_FILE, &["code", "name_zh"], true),
            pxn: self.table(ICD9_NAMES_FILE, &["code", "name_zh"], true),
            w: self.table(WEIGHTS_FILE, &["pool", "year", "drg", "weight"], true),
            info: self.table(SCHEME_INFO_FILE, &["key", "value"], true),
        }
    }

    pub(super) fn load(mut self) -> Scheme {
        let t = self.tables();

        // ---- MDCs, ADRGs, DRGs
        let mdc = self.mdc_rows(t.mdc.as_ref());
        let adrg = self.adrg_rows(t.adrg.as_ref(), &mdc);
        let n_adrg = adrg.rows.len();
        let words = n_adrg.div_ceil(64).max(1);
        let (drg_rows, drg_named) = self.drg_rows(t.drg.as_ref(), &adrg);

        // ---- Structure checks and assembly. Checks that relate tables are skipped when a table they
        // read had row problems, so one typo is not reported again as a consequence.
        let clean = |p: &Problems, file: &str| !p.list.iter().any(|e| e.file == file);
        let drg_clean = t.drg.is_some() && clean(self.p, DRG_FILE);
        let adrg_clean = t.adrg.is_some() && clean(self.p, ADRG_FILE);
        let (adrgs, drgs) = self.assemble_adrgs(&adrg.rows, &drg_rows, drg_clean);
        let drg_ids: FxHashMap<Box<str>, u32> = drgs.iter().enumerate().map(|(i, d)| (d.code.clone(), i as u32)).collect();
        let mut mdcs = self.assemble_mdcs(&mdc.rows, &adrg.rows, adrg_clean);

        // ---- Lists
        let mut l = Lists::new(words, n_adrg);
        self.mdc_diagnoses(t.mdcdx.as_ref(), &mdc, &mut mdcs, &mut l);
        self.adrg_diagnoses(t.adrgdx.as_ref(), &adrg, &mut l);
        self.cc_tables(t.mcc.as_ref(), t.cc.as_ref(), &mut l);
        self.exclusions(t.excl.as_ref(), &mut l);
        self.adrg_procedures(t.adrgpx.as_ref(), &adrg, &mut l);
        self.or_procedures(t.or.as_ref(), &mut l);
        // rules that need lists
        if t.adrgdx.is_some() && t.adrgpx.is_some() {
            self.check_rule_lists(&adrg.rows, &l);
        }
        l.finish(&mut mdcs);
        let n_dx = l.dxb.codes.len();

        // ---- Dictionaries, weights, info
        let dx_names = self.dictionary(t.dxn.as_ref());
        let px_names = self.dictionary(t.pxn.as_ref());
        let (weights, weight_index) = self.weights(t.w.as_ref(), &drg_ids, t.drg.is_some(), &drg_named);
        let info = self.info(t.info.as_ref());

        let summary = SchemeSummary {
            label: info.get("label").cloned(),
            mdcs: mdcs.len(),
            adrgs: adrgs.len(),
            drgs: drgs.len(),
            mdc_list_codes: l.mdc_list_codes,
            adrg_dx_rows: l.adrg_dx_rows,
            adrg_proc_rows: l.adrg_px_rows,
            mcc: l.mcc_rows,
            cc: l.cc_rows,
            exclusions: l.excl_rows,
            or_procedures: l.or_rows,
            diagnosis_codes: n_dx,
            procedure_codes: l.pxb.codes.len(),
            icd10_names: dx_names.len(),
            icd9_names: px_names.len(),
            weight_rows: weights.len(),
            adrg_rules: summary::adrg_rules(&adrgs),
            per_mdc: summary::per_mdc(&mdcs, &adrgs),
        };
        Scheme {
            info,
            mdcs,
            adrgs,
            drgs,
            drg_ids,
            dx: l.dxb.codes.finish(),
            px: l.pxb.codes.finish(),
            dx_info: l.dxb.info,
            dx_adrg: l.dxb.adrg,
            px_or: l.pxb.or,
            px_adrg1: l.pxb.adrg1,
            px_adrg2: l.pxb.adrg2,
            words,
            regions: l.regions,
            categories: l.categories,
            dx_names,
            px_names,
            weights,
            weight_index,
            summary,
        }
    }
}
