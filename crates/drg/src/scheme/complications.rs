//! The complication tables: `mcc.tsv` and `cc.tsv` (CC/MCC codes with their exclusion table) and
//! `cc_exclusion.tsv` (the exclusion table of each main diagnosis).

use rustc_hash::FxHashMap;

use super::lists::Lists;
use super::load::Loader;
use super::{CcKind, NO_TABLE};
use crate::error::SchemeErrorReason as R;
use crate::table::{Problems, Row, Table, int_cell, text_cell};

impl<'f> Loader<'f, '_> {
    /// Reads `mcc.tsv` and `cc.tsv`: each code's kind and exclusion table; a code may not be both.
    pub(super) fn cc_tables(&mut self, t_mcc: Option<&Table<'f>>, t_cc: Option<&Table<'f>>, l: &mut Lists<'f>) {
        let mut kind_of: FxHashMap<u32, CcKind> = FxHashMap::default();
        for (t, kind) in [(t_mcc, CcKind::Mcc), (t_cc, CcKind::Cc)] {
            let Some(t) = t else { continue };
            let (c_code, c_table) = (t.req("code"), t.req("exclusion_table"));
            for row in &t.rows {
                let f = t.file;
                let code = text_cell(f, row, c_code, "code", self.p);
                let table = exclusion_id(f, row, c_table, self.p);
                let (Some(code), Some(table)) = (code, table) else { continue };
                if kind == CcKind::Mcc {
                    l.mcc_rows += 1;
                } else {
                    l.cc_rows += 1;
                }
                let id = l.dxb.intern(code);
                let info = &mut l.dxb.info[id as usize];
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
    }

    /// Reads `cc_exclusion.tsv`: the exclusion table of each main diagnosis.
    pub(super) fn exclusions(&mut self, t: Option<&Table<'f>>, l: &mut Lists<'f>) {
        let Some(t) = t else { return };
        let (c_code, c_table) = (t.req("main_dx"), t.req("exclusion_table"));
        for row in &t.rows {
            let f = t.file;
            let code = text_cell(f, row, c_code, "main_dx", self.p);
            let table = exclusion_id(f, row, c_table, self.p);
            let (Some(code), Some(table)) = (code, table) else { continue };
            l.excl_rows += 1;
            let id = l.dxb.intern(code);
            let info = &mut l.dxb.info[id as usize];
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
