//! The optional tables: the code dictionaries `icd10_names.tsv` and `icd9_names.tsv`, the relative
//! weights of `weights.tsv`, and the `key`/`value` pairs of `scheme_info.tsv`.

use std::collections::BTreeMap;

use rustc_hash::{FxHashMap, FxHashSet};

use super::load::Loader;
use crate::error::SchemeErrorReason as R;
use crate::table::{Row, Table, int_cell, opt_int_cell, text_cell};
use crate::weight::{DrgWeight, LosDays, Weight};

impl<'f> Loader<'f, '_> {
    /// Reads a code dictionary (`icd10_names.tsv` or `icd9_names.tsv`): code → name.
    pub(super) fn dictionary(&mut self, t: Option<&Table<'f>>) -> FxHashMap<Box<str>, Box<str>> {
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

    /// Reads `weights.tsv`: its rows in file order, and per pool the row of each (year, DRG id).
    #[expect(clippy::type_complexity, reason = "private helper returning the two halves of the weight table")]
    pub(super) fn weights(
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
            let cost = self.avg_cost(f, row, c_cost);
            let los = self.avg_los(f, row, c_los);
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

    /// The optional `avg_cost_fen` cell of a weight row: a non-negative integer; `Err` when bad (reported).
    fn avg_cost(&mut self, f: &'static str, row: &Row<'f>, c_cost: Option<usize>) -> Result<Option<i64>, ()> {
        match opt_int_cell::<i64>(f, row, c_cost, "avg_cost_fen", self.p) {
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
        }
    }

    /// The optional `avg_los_days` cell of a weight row; `Err` when bad (reported).
    fn avg_los(&mut self, f: &'static str, row: &Row<'f>, c_los: Option<usize>) -> Result<Option<LosDays>, ()> {
        match c_los.map(|c| row.get(c)).filter(|v| !v.is_empty()) {
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
        }
    }

    /// Reads `scheme_info.tsv`: its `key`/`value` pairs.
    pub(super) fn info(&mut self, t: Option<&Table<'f>>) -> BTreeMap<String, String> {
        let mut info = BTreeMap::new();
        if let Some(t) = t {
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
        info
    }
}
