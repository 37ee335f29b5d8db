//! The structure tables `mdc.tsv`, `adrg.tsv` and `drg.tsv`: their rows in trying order, and their
//! assembly into the scheme's MDCs, ADRGs and DRGs.

use rustc_hash::{FxHashMap, FxHashSet};

use super::load::Loader;
use super::{Adrg, Drg, MAX_MDCS, Mdc};
use crate::error::SchemeErrorReason as R;
use crate::rules::{AdrgRule, EntryRule, Formula, Split};
use crate::table::{Problems, Row, Table, int_cell, opt_int_cell, text_cell};

pub(super) struct MdcRow<'a> {
    pub line: usize,
    pub seq: i64,
    pub code: &'a str,
    pub entry: EntryRule,
    pub adrg_count: Option<usize>,
}

pub(super) struct AdrgRow<'a> {
    pub line: usize,
    pub mdc: u32,
    pub seq: i64,
    pub code: &'a str,
    pub rule: AdrgRule,
    pub max_age_days: Option<i64>,
    pub min_weight_g: Option<i64>,
    pub max_weight_g: Option<i64>,
    pub formula: Option<Formula>,
    pub drgs_cell: Option<&'a str>,
}

pub(super) struct DrgRow<'a> {
    pub line: usize,
    pub adrg: u32,
    pub seq: i64,
    pub code: &'a str,
    pub split: Split,
    pub name_zh: &'a str,
}

/// The rows of `mdc.tsv` or `adrg.tsv` in trying order, with lookups by code for the tables that
/// refer to them.
pub(super) struct Keyed<'f, T> {
    pub rows: Vec<T>,
    /// Position in `rows` of each code.
    pub index: FxHashMap<&'f str, u32>,
    /// Every code mentioned (also on rows with other problems), to avoid cascading errors.
    pub named: FxHashSet<&'f str>,
    /// Whether the table was read at all.
    pub loaded: bool,
}

impl<'f, T> Keyed<'f, T> {
    /// Position of a code another table refers to. An unknown code is reported (as `unknown(code)`)
    /// unless its table is missing or the code was named on a row dropped for another problem.
    pub fn resolve(&self, code: &str, file: &'static str, line: usize, p: &mut Problems, unknown: fn(String) -> R) -> Option<u32> {
        match self.index.get(code) {
            Some(&i) => Some(i),
            None => {
                if self.loaded && !self.named.contains(code) {
                    p.push(file, line, unknown(code.to_owned()));
                }
                None
            }
        }
    }
}

/// Column positions of `adrg.tsv`.
struct AdrgColumns {
    mdc: usize,
    seq: usize,
    code: usize,
    rule: usize,
    age: Option<usize>,
    min: Option<usize>,
    max: Option<usize>,
    formula: usize,
    drgs: Option<usize>,
}

impl<'f> Loader<'f, '_> {
    /// Reads `mdc.tsv`: the MDCs sorted by `seq`, at most [`MAX_MDCS`].
    pub(super) fn mdc_rows(&mut self, t: Option<&Table<'f>>) -> Keyed<'f, MdcRow<'f>> {
        let mut mdc_rows: Vec<MdcRow<'f>> = Vec::new();
        // Every MDC code mentioned (also on rows with other problems), to avoid cascading errors.
        let mut mdc_named: FxHashSet<&str> = FxHashSet::default();
        if let Some(t) = t {
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
        Keyed {
            rows: mdc_rows,
            index: mdc_index,
            named: mdc_named,
            loaded: t.is_some(),
        }
    }

    /// Reads `adrg.tsv`: the ADRGs sorted by MDC and `seq_in_mdc`.
    pub(super) fn adrg_rows(&mut self, t: Option<&Table<'f>>, mdc: &Keyed<'f, MdcRow<'f>>) -> Keyed<'f, AdrgRow<'f>> {
        let mut adrg_rows: Vec<AdrgRow<'f>> = Vec::new();
        let mut adrg_named: FxHashSet<&str> = FxHashSet::default();
        if let Some(t) = t {
            let c = |n: &str| t.req(n);
            let cols = AdrgColumns {
                mdc: c("mdc"),
                seq: c("seq_in_mdc"),
                code: c("adrg"),
                rule: c("rule"),
                age: t.col("max_age_days"),
                min: t.col("min_weight_g"),
                max: t.col("max_weight_g"),
                formula: c("proc_category_formula"),
                drgs: t.col("drgs"),
            };
            let mut seqs: FxHashSet<(u32, i64)> = FxHashSet::default();
            for row in &t.rows {
                if let Some(a) = self.adrg_row(t.file, row, &cols, mdc, &mut adrg_named, &mut seqs) {
                    adrg_rows.push(a);
                }
            }
        }
        adrg_rows.sort_by_key(|a| (a.mdc, a.seq));
        let adrg_index: FxHashMap<&str, u32> = adrg_rows.iter().enumerate().map(|(i, a)| (a.code, i as u32)).collect();
        Keyed {
            rows: adrg_rows,
            index: adrg_index,
            named: adrg_named,
            loaded: t.is_some(),
        }
    }

    /// One row of `adrg.tsv`; `None` when it has a problem (reported).
    fn adrg_row(
        &mut self,
        f: &'static str,
        row: &Row<'f>,
        c: &AdrgColumns,
        mdc: &Keyed<'f, MdcRow<'f>>,
        adrg_named: &mut FxHashSet<&'f str>,
        seqs: &mut FxHashSet<(u32, i64)>,
    ) -> Option<AdrgRow<'f>> {
        let mdc_i = text_cell(f, row, c.mdc, "mdc", self.p).and_then(|m| mdc.resolve(m, f, row.line, self.p, |mdc| R::UnknownMdc { mdc }));
        let seq = int_cell::<i64>(f, row, c.seq, "seq_in_mdc", self.p);
        let code = text_cell(f, row, c.code, "adrg", self.p);
        let rule = text_cell(f, row, c.rule, "rule", self.p).and_then(|v| {
            let r = AdrgRule::parse(v);
            if r.is_none() {
                self.p.push(f, row.line, R::UnknownRule { value: v.to_owned() });
            }
            r
        });
        let age = opt_int_cell::<i64>(f, row, c.age, "max_age_days", self.p);
        let min = opt_int_cell::<i64>(f, row, c.min, "min_weight_g", self.p);
        let max = opt_int_cell::<i64>(f, row, c.max, "max_weight_g", self.p);
        let (formula, mut formula_ok) = self.formula(f, row, c.formula, rule);
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
            return None;
        }
        if let (Some(m), Some(s)) = (mdc_i, seq)
            && !seqs.insert((m, s))
        {
            let group = mdc.rows[m as usize].code.to_owned();
            self.p.push(
                f,
                row.line,
                R::DuplicateSeq {
                    column: "seq_in_mdc",
                    group,
                    seq: s,
                },
            );
            return None;
        }
        if let (Some(mdc), Some(seq), Some(code), Some(rule), Ok(max_age_days), Ok(min_weight_g), Ok(max_weight_g), true) =
            (mdc_i, seq, code, rule, age, min, max, formula_ok)
        {
            let drgs_cell = c.drgs.map(|c| row.get(c));
            return Some(AdrgRow {
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
        None
    }

    /// The `proc_category_formula` cell of an ADRG row, and whether it is acceptable for `rule`.
    fn formula(&mut self, f: &'static str, row: &Row<'f>, c_formula: usize, rule: Option<AdrgRule>) -> (Option<Formula>, bool) {
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
        (formula, formula_ok)
    }

    /// Reads `drg.tsv`: the DRGs sorted by ADRG and `seq_in_adrg`, and every DRG code mentioned.
    pub(super) fn drg_rows(&mut self, t: Option<&Table<'f>>, adrg: &Keyed<'f, AdrgRow<'f>>) -> (Vec<DrgRow<'f>>, FxHashSet<&'f str>) {
        let mut drg_rows: Vec<DrgRow<'f>> = Vec::new();
        let mut drg_named: FxHashSet<&str> = FxHashSet::default();
        if let Some(t) = t {
            let (c_drg, c_adrg, c_seq, c_split, c_name) =
                (t.req("drg"), t.req("adrg"), t.req("seq_in_adrg"), t.req("split"), t.req("name_zh"));
            let mut seqs: FxHashSet<(u32, i64)> = FxHashSet::default();
            for row in &t.rows {
                let f = t.file;
                let code = text_cell(f, row, c_drg, "drg", self.p);
                let adrg_i = text_cell(f, row, c_adrg, "adrg", self.p)
                    .and_then(|a| adrg.resolve(a, f, row.line, self.p, |adrg| R::UnknownAdrg { adrg }));
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
                if let (Some(a), Some(s)) = (adrg_i, seq)
                    && !seqs.insert((a, s))
                {
                    let group = adrg.rows[a as usize].code.to_owned();
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
                if let (Some(code), Some(adrg), Some(seq), Some(split)) = (code, adrg_i, seq, split) {
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
        (drg_rows, drg_named)
    }

    /// The ADRGs in trying order, each with its run of DRGs; checks each ADRG's DRGs when
    /// `drg.tsv` had no row problems.
    pub(super) fn assemble_adrgs(&mut self, adrg_rows: &[AdrgRow<'f>], drg_rows: &[DrgRow<'f>], drg_clean: bool) -> (Vec<Adrg>, Vec<Drg>) {
        let mut drgs = Vec::with_capacity(drg_rows.len());
        let mut adrgs = Vec::with_capacity(adrg_rows.len());
        let mut start = 0usize;
        for (ai, a) in adrg_rows.iter().enumerate() {
            let mut end = start;
            while end < drg_rows.len() && drg_rows[end].adrg as usize == ai {
                end += 1;
            }
            let mine = &drg_rows[start..end];
            self.check_adrg_drgs(a, mine, drg_clean);
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
        (adrgs, drgs)
    }

    /// The MDCs in trying order, each with its run of ADRGs; checks a stated `adrg_count` when
    /// `adrg.tsv` had no row problems.
    pub(super) fn assemble_mdcs(&mut self, mdc_rows: &[MdcRow<'f>], adrg_rows: &[AdrgRow<'f>], adrg_clean: bool) -> Vec<Mdc> {
        let mut mdcs = Vec::with_capacity(mdc_rows.len());
        let mut start = 0usize;
        for (mi, m) in mdc_rows.iter().enumerate() {
            let mut end = start;
            while end < adrg_rows.len() && adrg_rows[end].mdc as usize == mi {
                end += 1;
            }
            self.check_adrg_count(m, end - start, adrg_clean);
            mdcs.push(Mdc {
                code: m.code.into(),
                entry: m.entry,
                adrgs: (start as u32, end as u32),
                regions: None,
                list_codes: 0,
            });
            start = end;
        }
        mdcs
    }
}
