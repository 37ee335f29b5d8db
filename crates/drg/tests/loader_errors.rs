//! Every kind of scheme-table problem is reported with file, line and a typed reason.
//!
//! Source: shared/data/chs-drg-1.1/README.md ("Format", "Files", "Vocabularies") for what a valid
//! table is; chs-drg-1.1-grouping.md §6 for "the last DRG of every ADRG has split `none`" and §9.6 /
//! §9.10 for categories and exclusion tables.

mod common;

use std::collections::BTreeMap;

use sanyi_drg::{Scheme, SchemeError, SchemeErrorReason as R};

fn with(file: &str, f: impl FnOnce(&str) -> String) -> BTreeMap<String, String> {
    let mut files = common::files();
    let new = f(&files[file]);
    files.insert(file.to_owned(), new);
    files
}

fn replace(file: &str, from: &str, to: &str) -> BTreeMap<String, String> {
    with(file, |s| {
        assert!(s.contains(from), "fixture {file} has no {from:?}");
        s.replacen(from, to, 1)
    })
}

fn first_error(files: &BTreeMap<String, String>) -> SchemeError {
    match Scheme::from_files(files) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

#[track_caller]
fn expect(files: BTreeMap<String, String>, file: &'static str, line: usize, reason: R) {
    let e = first_error(&files);
    assert_eq!(e, SchemeError { file, line, reason }, "{e}");
}

#[test]
fn fixture_is_valid() {
    common::scheme();
}

#[test]
fn missing_file() {
    let mut files = common::files();
    files.remove("cc.tsv");
    expect(files, "cc.tsv", 0, R::MissingFile);
    let e = first_error(&{
        let mut f = common::files();
        f.remove("cc.tsv");
        f
    });
    assert_eq!(e.to_string(), "cc.tsv: required file is missing");
}

#[test]
fn missing_and_duplicate_columns_and_empty_file() {
    expect(
        replace("mdc.tsv", "entry_rule", "rule"),
        "mdc.tsv",
        1,
        R::MissingColumn { column: "entry_rule" },
    );
    expect(
        replace("drg.tsv", "\tname_zh", "\tsplit"),
        "drg.tsv",
        1,
        R::DuplicateColumn { column: "split".into() },
    );
    expect(with("mcc.tsv", |_| String::new()), "mcc.tsv", 0, R::Empty);
    expect(
        replace("weights.tsv", "weight\t", "w\t"),
        "weights.tsv",
        1,
        R::MissingColumn { column: "weight" },
    );
}

#[test]
fn vocabulary() {
    expect(
        replace("mdc.tsv", "main_dx_and_male", "main_dx_and_man"),
        "mdc.tsv",
        5,
        R::UnknownEntryRule {
            value: "main_dx_and_man".into(),
        },
    );
    expect(
        replace("adrg.tsv", "no_or_proc", "no_or"),
        "adrg.tsv",
        10,
        R::UnknownRule { value: "no_or".into() },
    );
    expect(
        replace("drg.tsv", "mcc_or_cc", "cc"),
        "drg.tsv",
        20,
        R::UnknownSplit { value: "cc".into() },
    );
    expect(
        replace("adrg_procedures.tsv", "AC1\t2\t\tPC2", "AC1\t3\t\tPC2"),
        "adrg_procedures.tsv",
        5,
        R::UnknownList { value: "3".into() },
    );
}

#[test]
fn references() {
    expect(
        replace("adrg.tsv", "Z\t2\tZZ1", "Q\t2\tZZ1"),
        "adrg.tsv",
        10,
        R::UnknownMdc { mdc: "Q".into() },
    );
    expect(
        replace("drg.tsv", "ZZ19\tZZ1", "ZZ19\tZX1"),
        "drg.tsv",
        10,
        R::UnknownAdrg { adrg: "ZX1".into() },
    );
    expect(
        replace("adrg_diagnoses.tsv", "NZ1\tDN", "NQ1\tDN"),
        "adrg_diagnoses.tsv",
        8,
        R::UnknownAdrg { adrg: "NQ1".into() },
    );
    expect(
        replace("mdc_diagnoses.tsv", "N\tDN", "Q\tDN"),
        "mdc_diagnoses.tsv",
        9,
        R::UnknownMdc { mdc: "Q".into() },
    );
    expect(
        replace("weights.tsv", "BR15", "BR17"),
        "weights.tsv",
        3,
        R::UnknownDrg { drg: "BR17".into() },
    );
}

#[test]
fn splits() {
    // BR1's last DRG (seq 3) with split mcc_or_cc.
    expect(
        replace("drg.tsv", "BR15\tBR1\t3\tnone", "BR15\tBR1\t3\tmcc_or_cc"),
        "drg.tsv",
        18,
        R::LastSplitNotNone {
            adrg: "BR1".into(),
            drg: "BR15".into(),
            split: "mcc_or_cc",
        },
    );
    // A `none` before the last makes the later ones unreachable (and the last not none).
    let files = replace("drg.tsv", "BR11\tBR1\t1\tmcc", "BR11\tBR1\t1\tnone");
    let all = Scheme::check_files(&files).unwrap_err();
    assert!(
        all.iter().any(|e| e.reason
            == R::UnreachableDrg {
                adrg: "BR1".into(),
                drg: "BR13".into()
            }
            && e.line == 20),
        "{all:?}"
    );
    // An ADRG without DRGs.
    let files = with("drg.tsv", |s| {
        s.lines().filter(|l| !l.starts_with("ZZ19")).map(|l| format!("{l}\n")).collect()
    });
    expect(files, "adrg.tsv", 10, R::AdrgWithoutDrg { adrg: "ZZ1".into() });
}

#[test]
fn integers_and_decimals() {
    expect(
        replace("mdc.tsv", "3\tZ", "three\tZ"),
        "mdc.tsv",
        4,
        R::BadInteger {
            column: "seq",
            value: "three".into(),
        },
    );
    expect(
        replace("adrg.tsv", "1500\t2500", "1500\t25OO"),
        "adrg.tsv",
        7,
        R::BadInteger {
            column: "max_weight_g",
            value: "25OO".into(),
        },
    );
    expect(
        replace("mcc.tsv", "X.MCC2\t2", "X.MCC2\t-2"),
        "mcc.tsv",
        3,
        R::BadInteger {
            column: "exclusion_table",
            value: "-2".into(),
        },
    );
    expect(
        replace("weights.tsv", "1.5\t", "1.50001\t"),
        "weights.tsv",
        2,
        R::BadDecimal {
            column: "weight",
            value: "1.50001".into(),
        },
    );
    expect(
        replace("weights.tsv", "9.25", "9,25"),
        "weights.tsv",
        2,
        R::BadDecimal {
            column: "avg_los_days",
            value: "9,25".into(),
        },
    );
    expect(
        replace("weights.tsv", "1500000", "15e5"),
        "weights.tsv",
        2,
        R::BadInteger {
            column: "avg_cost_fen",
            value: "15e5".into(),
        },
    );
    expect(
        replace("weights.tsv", "2026\tBR15", "MMXXVI\tBR15"),
        "weights.tsv",
        3,
        R::BadInteger {
            column: "year",
            value: "MMXXVI".into(),
        },
    );
    expect(
        replace("adrg_procedures.tsv", "\t3\tPN3", "\t33\tPN3"),
        "adrg_procedures.tsv",
        12,
        R::BadInteger {
            column: "category",
            value: "33".into(),
        },
    );
}

#[test]
fn formulas_and_rule_parameters() {
    expect(
        replace("adrg.tsv", "1|2&3", "1|2&"),
        "adrg.tsv",
        13,
        R::BadFormula {
            formula: "1|2&".into(),
            problem: "empty term".into(),
        },
    );
    expect(
        replace("adrg.tsv", "\t1|2&3\t", "\t\t"),
        "adrg.tsv",
        13,
        R::BadFormula {
            formula: String::new(),
            problem: "required by the rule".into(),
        },
    );
    expect(
        replace("adrg.tsv", "PR1\tmain_dx_newborn\t28", "PR1\tmain_dx_newborn\t"),
        "adrg.tsv",
        5,
        R::MissingMaxAgeDays {
            adrg: "PR1".into(),
            rule: "main_dx_newborn",
        },
    );
    expect(
        replace("adrg_procedures.tsv", "NA1\t1\t2\tPN2", "NA1\t1\t\tPN2"),
        "adrg_procedures.tsv",
        11,
        R::MissingCategory {
            adrg: "NA1".into(),
            code: "PN2".into(),
        },
    );
    expect(
        replace("adrg_procedures.tsv", "AC1\t2\t\tPC2\nAC1\t2\t\tPBOTH\n", ""),
        "adrg.tsv",
        3,
        R::MissingList {
            adrg: "AC1".into(),
            rule: "any_proc_pair",
            list: "procedure list 2 (adrg_procedures.tsv)",
        },
    );
    expect(
        replace("adrg_diagnoses.tsv", "MR1\tDM\n", ""),
        "adrg.tsv",
        12,
        R::MissingList {
            adrg: "MR1".into(),
            rule: "main_dx",
            list: "a diagnosis list (adrg_diagnoses.tsv)",
        },
    );
}

#[test]
fn duplicates_and_conflicts() {
    expect(
        replace("mdc.tsv", "6\tB", "5\tB"),
        "mdc.tsv",
        7,
        R::DuplicateSeq {
            column: "seq",
            group: String::new(),
            seq: 5,
        },
    );
    expect(
        replace("adrg.tsv", "B\t4\tBR1", "B\t3\tBR1"),
        "adrg.tsv",
        18,
        R::DuplicateSeq {
            column: "seq_in_mdc",
            group: "B".into(),
            seq: 3,
        },
    );
    expect(
        replace("drg.tsv", "BR13\tBR1\t2", "BR13\tBR1\t1"),
        "drg.tsv",
        20,
        R::DuplicateSeq {
            column: "seq_in_adrg",
            group: "BR1".into(),
            seq: 1,
        },
    );
    expect(
        replace("drg.tsv", "BJ19\tBJ1", "BY19\tBJ1"),
        "drg.tsv",
        17,
        R::Duplicate { key: "BY19".into() },
    );
    expect(
        replace("adrg.tsv", "B\t3\tBJ1", "B\t3\tBY1"),
        "adrg.tsv",
        17,
        R::Duplicate { key: "BY1".into() },
    );
    expect(replace("mdc.tsv", "6\tB", "6\tN"), "mdc.tsv", 7, R::Duplicate { key: "N".into() });
    expect(
        with("cc.tsv", |s| format!("{s}X.MCC\t1\n")),
        "cc.tsv",
        4,
        R::MccAndCc { code: "X.MCC".into() },
    );
    expect(
        with("mcc.tsv", |s| format!("{s}X.MCC\t7\n")),
        "mcc.tsv",
        4,
        R::Conflict {
            code: "X.MCC".into(),
            column: "exclusion_table",
            first: "1".into(),
            second: "7".into(),
        },
    );
    expect(
        with("cc_exclusion.tsv", |s| format!("{s}DB\t2\n")),
        "cc_exclusion.tsv",
        3,
        R::Conflict {
            code: "DB".into(),
            column: "exclusion_table",
            first: "1".into(),
            second: "2".into(),
        },
    );
    expect(
        with("mdc_diagnoses.tsv", |s| format!("{s}Z\tZS1\tleg\n")),
        "mdc_diagnoses.tsv",
        13,
        R::Conflict {
            code: "ZS1".into(),
            column: "trauma_region",
            first: "head".into(),
            second: "leg".into(),
        },
    );
    expect(
        replace("mdc_diagnoses.tsv", "ZS2\tleg", "ZS2\t"),
        "mdc_diagnoses.tsv",
        6,
        R::MissingTraumaRegion {
            mdc: "Z".into(),
            code: "ZS2".into(),
        },
    );
    expect(
        with("weights.tsv", |s| format!("{s}652300\t2026\tBR11\t1.6\t\t\n")),
        "weights.tsv",
        4,
        R::Duplicate {
            key: "652300 2026 BR11".into(),
        },
    );
    expect(
        with("icd10_names.tsv", |s| format!("{s}DB\t又名\n")),
        "icd10_names.tsv",
        3,
        R::Duplicate { key: "DB".into() },
    );
    // Same code twice with the same values is harmless (lists keep duplicates as given).
    Scheme::from_files(&with("mcc.tsv", |s| format!("{s}X.MCC\t1\n"))).unwrap();
    Scheme::from_files(&with("adrg_diagnoses.tsv", |s| format!("{s}BR1\tDB\n"))).unwrap();
}

#[test]
fn structure_of_lines() {
    expect(
        replace("drg.tsv", "PV19\tPV1\t1\tnone\t庚", "PV19\tPV1\t1\tnone"),
        "drg.tsv",
        8,
        R::WrongCellCount { expected: 5, found: 4 },
    );
    expect(replace("cc.tsv", "X.CC\t1\n", "X.CC\t1\n\n"), "cc.tsv", 3, R::EmptyLine);
    expect(
        replace("mcc.tsv", "X.MCC\t1", "\t1"),
        "mcc.tsv",
        2,
        R::EmptyValue { column: "code" },
    );
    // CRLF line ends and a BOM are accepted.
    let files: BTreeMap<String, String> = common::files()
        .into_iter()
        .map(|(k, v)| (k, format!("\u{feff}{}", v.replace('\n', "\r\n"))))
        .collect();
    Scheme::from_files(&files).unwrap();
}

#[test]
fn redundant_columns_must_agree() {
    expect(
        replace("mdc.tsv", "main_dx_and_female\t2", "main_dx_and_female\t3"),
        "mdc.tsv",
        6,
        R::Inconsistent {
            column: "adrg_count",
            stated: "3".into(),
            actual: "2".into(),
        },
    );
    expect(
        replace("adrg.tsv", "BR11,BR13,BR15", "BR11,BR15"),
        "adrg.tsv",
        18,
        R::Inconsistent {
            column: "drgs",
            stated: "BR11,BR15".into(),
            actual: "BR11,BR13,BR15".into(),
        },
    );
    // The columns are optional.
    let files = with("adrg.tsv", |s| {
        s.lines().map(|l| format!("{}\n", l.rsplit_once('\t').unwrap().0)).collect()
    });
    Scheme::from_files(&files).unwrap();
}

#[test]
fn several_problems_are_collected_in_file_order() {
    let mut files = replace("mdc.tsv", "main_dx_and_male", "male");
    files.insert("drg.tsv".into(), files["drg.tsv"].replace("mcc_or_cc", "cc"));
    files.remove("or_procedures.tsv");
    let all = Scheme::check_files(&files).unwrap_err();
    let brief: Vec<String> = all.iter().map(ToString::to_string).collect();
    assert_eq!(
        brief,
        [
            "or_procedures.tsv: required file is missing",
            "mdc.tsv:5: unknown entry_rule `male`",
            "drg.tsv:20: unknown split `cc`",
        ],
        "{brief:#?}"
    );
}

#[test]
fn load_dir_reads_the_known_files_only() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in common::files() {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    std::fs::write(dir.path().join("icd10_code_map.tsv"), "garbage without tabs\n\n\n").unwrap();
    let s = Scheme::load_dir(dir.path()).unwrap();
    assert_eq!(s.summary().drgs, 19);

    std::fs::write(dir.path().join("cc.tsv"), b"code\texclusion_table\nX.CC\t1\nX\xff\t3\n").unwrap();
    std::fs::remove_file(dir.path().join("mcc.tsv")).unwrap();
    let all = Scheme::check_dir(dir.path()).unwrap_err();
    assert_eq!(
        all[0],
        SchemeError {
            file: "cc.tsv",
            line: 3,
            reason: R::NotUtf8
        }
    );
    assert!(all.iter().any(|e| e.file == "mcc.tsv" && e.reason == R::MissingFile));
    let missing = Scheme::load_dir(&dir.path().join("nope")).unwrap_err();
    assert_eq!(missing.reason, R::MissingFile);
}
