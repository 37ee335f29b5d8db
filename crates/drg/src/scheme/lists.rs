//! The code lists: `mdc_diagnoses.tsv` (with trauma regions), `adrg_diagnoses.tsv`,
//! `adrg_procedures.tsv` (with categories) and `or_procedures.tsv`, interned into per-code bits.

use rustc_hash::FxHashMap;

use super::load::Loader;
use super::structure::{AdrgRow, Keyed, MdcRow};
use super::{DxInfo, MAX_TRAUMA_REGIONS, Mdc};
use crate::error::SchemeErrorReason as R;
use crate::intern::InternerBuilder;
use crate::rules::{AdrgRule, EntryRule, MAX_CATEGORY};
use crate::table::{Table, opt_int_cell, text_cell};

pub(super) struct DxBuild {
    pub codes: InternerBuilder,
    pub info: Vec<DxInfo>,
    pub adrg: Vec<u64>,
    pub words: usize,
}

impl DxBuild {
    pub fn intern(&mut self, code: &str) -> u32 {
        let (id, new) = self.codes.intern(code);
        if new {
            self.info.push(DxInfo::default());
            self.adrg.resize(self.adrg.len() + self.words, 0);
        }
        id
    }
}

pub(super) struct PxBuild {
    pub codes: InternerBuilder,
    pub or: Vec<bool>,
    pub adrg1: Vec<u64>,
    pub adrg2: Vec<u64>,
    pub words: usize,
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

/// The lists as they are read: interned diagnosis and procedure codes with their bits and flags,
/// trauma regions, procedure categories, and row counts.
pub(super) struct Lists<'f> {
    pub dxb: DxBuild,
    pub pxb: PxBuild,
    pub words: usize,
    /// Trauma region labels, index = region number - 1.
    pub regions: Vec<Box<str>>,
    /// (MDC index, diagnosis id) → region number and label.
    pub region_of: FxHashMap<(u32, u32), (u8, &'f str)>,
    /// (ADRG index, procedure id) → category bit mask (one bit).
    pub categories: FxHashMap<(u32, u32), u32>,
    pub mdc_list_codes: usize,
    pub adrg_dx_count: Vec<usize>,
    pub adrg_dx_rows: usize,
    pub mcc_rows: usize,
    pub cc_rows: usize,
    pub excl_rows: usize,
    pub adrg_px_count: Vec<[usize; 2]>,
    pub adrg_px_rows: usize,
    pub or_rows: usize,
}

impl Lists<'_> {
    /// Empty lists for `n_adrg` ADRGs, `words` u64 per code in each ADRG bitset.
    pub fn new(words: usize, n_adrg: usize) -> Self {
        Lists {
            dxb: DxBuild {
                codes: InternerBuilder::default(),
                info: Vec::new(),
                adrg: Vec::new(),
                words,
            },
            pxb: PxBuild {
                codes: InternerBuilder::default(),
                or: Vec::new(),
                adrg1: Vec::new(),
                adrg2: Vec::new(),
                words,
            },
            words,
            regions: Vec::new(),
            region_of: FxHashMap::default(),
            categories: FxHashMap::default(),
            mdc_list_codes: 0,
            adrg_dx_count: vec![0usize; n_adrg],
            adrg_dx_rows: 0,
            mcc_rows: 0,
            cc_rows: 0,
            excl_rows: 0,
            adrg_px_count: vec![[0usize; 2]; n_adrg],
            adrg_px_rows: 0,
            or_rows: 0,
        }
    }

    /// Adds the sentinel rows for the unknown id and gives each multi-trauma MDC its dense region
    /// table.
    pub fn finish(&mut self, mdcs: &mut [Mdc]) {
        let words = self.words;
        let (dxb, pxb) = (&mut self.dxb, &mut self.pxb);
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
                for (&(rm, id), &(r, _)) in &self.region_of {
                    if rm as usize == mi {
                        dense[id as usize] = r;
                    }
                }
                m.regions = Some(dense.into_boxed_slice());
            }
        }
    }
}

impl<'f> Loader<'f, '_> {
    /// Reads `mdc_diagnoses.tsv`: each MDC's main-diagnosis list, and trauma regions for
    /// multi-trauma MDCs.
    pub(super) fn mdc_diagnoses(&mut self, t: Option<&Table<'f>>, mdc: &Keyed<'f, MdcRow<'f>>, mdcs: &mut [Mdc], l: &mut Lists<'f>) {
        let Some(t) = t else { return };
        let (c_mdc, c_code, c_region) = (t.req("mdc"), t.req("code"), t.req("trauma_region"));
        for row in &t.rows {
            let f = t.file;
            let mdc_code = text_cell(f, row, c_mdc, "mdc", self.p);
            let code = text_cell(f, row, c_code, "code", self.p);
            let (Some(mdc_code), Some(code)) = (mdc_code, code) else { continue };
            let Some(mi) = mdc.resolve(mdc_code, f, row.line, self.p, |mdc| R::UnknownMdc { mdc }) else {
                continue;
            };
            l.mdc_list_codes += 1;
            mdcs[mi as usize].list_codes += 1;
            let id = l.dxb.intern(code);
            l.dxb.info[id as usize].mdc_mask |= 1u64 << mi;
            if mdcs[mi as usize].entry == EntryRule::MainDxAndMultiTrauma {
                let region = row.get(c_region);
                if region.is_empty() {
                    self.p.push(
                        f,
                        row.line,
                        R::MissingTraumaRegion {
                            mdc: mdc_code.to_owned(),
                            code: code.to_owned(),
                        },
                    );
                    continue;
                }
                let r = match l.regions.iter().position(|x| &**x == region) {
                    Some(i) => i + 1,
                    None => {
                        if l.regions.len() >= MAX_TRAUMA_REGIONS {
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
                        l.regions.push(region.into());
                        l.regions.len()
                    }
                };
                let r = r as u8;
                match l.region_of.get(&(mi, id)) {
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
                        l.region_of.insert((mi, id), (r, region));
                    }
                }
            }
        }
    }

    /// Reads `adrg_diagnoses.tsv`: each ADRG's diagnosis list.
    pub(super) fn adrg_diagnoses(&mut self, t: Option<&Table<'f>>, adrg: &Keyed<'f, AdrgRow<'f>>, l: &mut Lists<'f>) {
        let Some(t) = t else { return };
        let (c_adrg, c_code) = (t.req("adrg"), t.req("code"));
        for row in &t.rows {
            let f = t.file;
            let (Some(a), Some(code)) = (text_cell(f, row, c_adrg, "adrg", self.p), text_cell(f, row, c_code, "code", self.p)) else {
                continue;
            };
            let Some(ai) = adrg.resolve(a, f, row.line, self.p, |adrg| R::UnknownAdrg { adrg }) else {
                continue;
            };
            l.adrg_dx_rows += 1;
            l.adrg_dx_count[ai as usize] += 1;
            let id = l.dxb.intern(code);
            set_bit(&mut l.dxb.adrg, l.words, id, ai as usize);
        }
    }

    /// Reads `adrg_procedures.tsv`: each ADRG's procedure lists 1 and 2, with categories.
    pub(super) fn adrg_procedures(&mut self, t: Option<&Table<'f>>, adrg: &Keyed<'f, AdrgRow<'f>>, l: &mut Lists<'f>) {
        let Some(t) = t else { return };
        let (c_adrg, c_list, c_cat, c_code) = (t.req("adrg"), t.req("list"), t.req("category"), t.req("code"));
        for row in &t.rows {
            let f = t.file;
            let a = text_cell(f, row, c_adrg, "adrg", self.p);
            let code = text_cell(f, row, c_code, "code", self.p);
            let list = text_cell(f, row, c_list, "list", self.p).and_then(|v| match v {
                "1" => Some(1usize),
                "2" => Some(2),
                _ => {
                    self.p.push(f, row.line, R::UnknownList { value: v.to_owned() });
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
            let Some(ai) = adrg.resolve(a, f, row.line, self.p, |adrg| R::UnknownAdrg { adrg }) else {
                continue;
            };
            l.adrg_px_rows += 1;
            l.adrg_px_count[ai as usize][list - 1] += 1;
            let id = l.pxb.intern(code);
            let bits = if list == 1 { &mut l.pxb.adrg1 } else { &mut l.pxb.adrg2 };
            set_bit(bits, l.words, id, ai as usize);
            let rule = adrg.rows[ai as usize].rule;
            match cat {
                Some(c) => {
                    // Spec §9.6: a code's category is the one of its first occurrence.
                    l.categories.entry((ai, id)).or_insert(1u32 << (c - 1));
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

    /// Reads `or_procedures.tsv`: the operating-room procedures.
    pub(super) fn or_procedures(&mut self, t: Option<&Table<'f>>, l: &mut Lists<'f>) {
        let Some(t) = t else { return };
        let c_code = t.req("code");
        for row in &t.rows {
            let Some(code) = text_cell(t.file, row, c_code, "code", self.p) else {
                continue;
            };
            l.or_rows += 1;
            let id = l.pxb.intern(code);
            l.pxb.or[id as usize] = true;
        }
    }
}
