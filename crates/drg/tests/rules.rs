//! Each validation check, entry rule, ADRG rule and split on the hand-made fixture scheme.

mod common;

use common::{adult, infant, scheme};
use sanyi_drg::{Case, Sex, TraceStep, UngroupableReason, Weight};

fn drg(case: &Case) -> String {
    let s = scheme();
    let r = s.group(case);
    let e = s.explain(case);
    assert_eq!((r.drg, r.status), (e.drg, e.status), "trace and plain grouping disagree");
    r.drg_code().to_owned()
}

/// Source: chs-drg-1.1-grouping.md §3, validation in order.
#[test]
fn validation() {
    let s = scheme();
    let reason = |c: &Case| s.group(c).reason();
    let mut c = adult(Sex::Male, &["DB"], &[]);
    assert_eq!(reason(&c), None);
    c.sex = None;
    assert_eq!(reason(&c), Some(UngroupableReason::InvalidSex));
    c.age_years = None;
    assert_eq!(reason(&c), Some(UngroupableReason::InvalidSex), "sex is checked first");
    c.sex = Some(Sex::Female);
    assert_eq!(reason(&c), Some(UngroupableReason::MissingAge));
    c.age_years = Some(f64::NAN);
    assert_eq!(reason(&c), Some(UngroupableReason::MissingAge));
    c.age_years = Some(f64::INFINITY);
    assert_eq!(reason(&c), Some(UngroupableReason::MissingAge));
    c.age_years = Some(0.99);
    assert_eq!(reason(&c), Some(UngroupableReason::MissingAgeDays));
    c.age_years = Some(-0.5);
    assert_eq!(reason(&c), Some(UngroupableReason::MissingAgeDays), "trunc(-0.5) == 0");
    c.age_days = Some(28);
    assert_eq!(reason(&c), Some(UngroupableReason::NewbornWithoutWeight));
    c.age_days = Some(-3);
    assert_eq!(reason(&c), Some(UngroupableReason::NewbornWithoutWeight), "negative days are <= 28");
    c.weight_g = Some(0);
    assert_eq!(reason(&c), None, "a weight of 0 is present");
    c.weight_g = None;
    c.age_days = Some(29);
    assert_eq!(reason(&c), None);
    c.age_years = Some(1.0);
    c.age_days = None;
    assert_eq!(reason(&c), None, "age in days only consulted under one year");
    let t = s.explain(&adult(Sex::Male, &["DB"], &[])).trace.unwrap();
    assert_eq!(t.steps[0], TraceStep::Validated);
}

/// Source: chs-drg-1.1-grouping.md §4, entry rule `main_proc_in_or_list` (MDC A) and fall-through.
#[test]
fn mdc_a_entry_and_fall_through() {
    assert_eq!(drg(&adult(Sex::Male, &["anything"], &["PA"])), "AA19");
    assert_eq!(drg(&adult(Sex::Male, &[""], &["PA"])), "AA19", "no diagnosis condition");
    assert_eq!(drg(&adult(Sex::Male, &[], &["PA"])), "AA19", "empty diagnosis list");
    // OR procedure fitting no A ADRG: leaves A, lands in B by main_proc_in_or_list.
    let c = adult(Sex::Male, &["DB"], &["P.OR"]);
    assert_eq!(drg(&c), "BJ19");
    assert_eq!(scheme().explain(&c).trace.unwrap().entered_mdcs(), ["A", "B"]);
    // A non-OR main procedure does not enter A.
    assert_eq!(drg(&adult(Sex::Male, &["DB"], &["PNB"])), "BR15");
    // Empty main procedure with other procedures: no main procedure.
    assert_eq!(drg(&adult(Sex::Male, &["DB"], &["", "PA"])), "BR15");
}

/// Source: chs-drg-1.1-grouping.md §5, `any_proc_pair` (any positions; the same element may serve
/// both lists).
#[test]
fn any_proc_pair() {
    assert_eq!(drg(&adult(Sex::Male, &["x"], &["P.OR", "PC2", "PC1"])), "AC19");
    assert_eq!(drg(&adult(Sex::Male, &["x"], &["P.OR", "PBOTH"])), "AC19");
    assert_eq!(drg(&adult(Sex::Male, &["x"], &["PC1", "PC1"])), "0000", "list 2 missing");
    assert_eq!(
        drg(&adult(Sex::Male, &["DB"], &["PB1", "x", "PB2"])),
        "BB19",
        "main_dx_and_any_proc_pair"
    );
    assert_eq!(
        drg(&adult(Sex::Male, &["DB2"], &["PB1", "PB2"])),
        "BJ19",
        "main dx not on BB1's list"
    );
}

/// Source: chs-drg-1.1-grouping.md §4 (`main_dx_and_age_under_1`) and §5 newborn rules, weight bands.
#[test]
fn newborn_rules_and_weight_bands() {
    assert_eq!(drg(&infant(3, Some(3000), &["DP0"], &["PNB"])), "PB19");
    assert_eq!(drg(&infant(3, Some(3000), &["DPR"], &[])), "PR19");
    assert_eq!(drg(&infant(3, Some(1499), &["DP0", "DPS"], &[])), "PS19", "any position");
    assert_eq!(drg(&infant(3, Some(1500), &["DPS"], &[])), "PS29", "band lower bound inclusive");
    assert_eq!(drg(&infant(3, Some(2499), &["DPS"], &[])), "PS29");
    assert_eq!(drg(&infant(3, Some(2500), &["DPS"], &[])), "PV19", "upper bound exclusive");
    assert_eq!(drg(&infant(3, Some(0), &["DPS"], &[])), "PV19", "weight 0 fails every band (§9.9)");
    assert_eq!(drg(&infant(3, Some(-5), &["DPS"], &[])), "PS19", "no lower bound on PS1");
    assert_eq!(
        drg(&infant(29, None, &["DPR"], &["PNB"])),
        "PV19",
        "29 days is not a newborn (§9.8)"
    );
    assert_eq!(drg(&infant(200, Some(1000), &["DPS"], &[])), "PV19");
    // Not under one year: P is not entered; DPR is on no other list.
    let mut c = infant(3, Some(3000), &["DPR"], &[]);
    c.age_years = Some(1.2);
    assert_eq!(drg(&c), "0000");
}

/// Source: chs-drg-1.1-grouping.md §4, `main_dx_and_multi_trauma`, and §5 `no_or_proc`.
#[test]
fn multi_trauma() {
    assert_eq!(drg(&adult(Sex::Male, &["ZS1", "ZS2"], &[])), "ZZ19");
    assert_eq!(drg(&adult(Sex::Male, &["ZS1", "x", "ZS2"], &["PZ"])), "ZJ19");
    assert_eq!(drg(&adult(Sex::Male, &["ZS1", "ZS3"], &[])), "BR15", "same region counts once");
    assert_eq!(drg(&adult(Sex::Male, &["ZS2", "ZS1"], &[])), "ZZ19");
    assert_eq!(drg(&adult(Sex::Male, &["ZS2"], &[])), "0000");
    // Two regions but an OR procedure ZJ1 does not list: ZZ1 fails, Z is left, B takes it.
    let c = adult(Sex::Male, &["ZS1", "ZS2"], &["", "P.OR"]);
    assert_eq!(drg(&c), "BR15");
    let t = scheme().explain(&c).trace.unwrap();
    assert!(t.any(
        |s| matches!(s, TraceStep::MdcEntry { mdc, passed: true, trauma_regions, .. } if mdc == "Z" && trauma_regions == &["head", "leg"])
    ));
    assert!(t.any(|s| matches!(s, TraceStep::MdcLeft { mdc } if mdc == "Z")));
}

/// Source: chs-drg-1.1-grouping.md §4, `main_dx_and_male` / `main_dx_and_female` (§9.3).
#[test]
fn sex_specific_mdcs() {
    assert_eq!(drg(&adult(Sex::Male, &["DM"], &[])), "MR19");
    assert_eq!(drg(&adult(Sex::Male, &["DM"], &["PM"])), "MA19");
    assert_eq!(drg(&adult(Sex::Female, &["DM"], &[])), "0000");
    assert_eq!(drg(&adult(Sex::Female, &["DN"], &[])), "NZ19");
    assert_eq!(drg(&adult(Sex::Male, &["DN"], &[])), "0000");
}

/// Source: chs-drg-1.1-grouping.md §5, `main_dx_and_proc_categories` with formula `1|2&3`.
#[test]
fn procedure_categories() {
    assert_eq!(drg(&adult(Sex::Female, &["DN"], &["PN1"])), "NA19");
    assert_eq!(drg(&adult(Sex::Female, &["DN"], &["PN2"])), "NZ19");
    assert_eq!(drg(&adult(Sex::Female, &["DN"], &["x", "PN3", "PN2"])), "NA19", "any position");
    assert_eq!(drg(&adult(Sex::Female, &["DN"], &["PN3", "PN3"])), "NZ19");
    assert_eq!(drg(&adult(Sex::Female, &["x"], &["PN1"])), "0000", "main dx must be on the list");
}

/// Source: chs-drg-1.1-grouping.md §5, `any_dx_and_main_proc_in_or_list` and `main_proc_in_or_list`.
#[test]
fn or_list_rules() {
    assert_eq!(drg(&adult(Sex::Male, &["DB", "DBY"], &["P.OR"])), "BY19");
    assert_eq!(drg(&adult(Sex::Male, &["DB", "DBY"], &["PNB"])), "BR15");
    assert_eq!(drg(&adult(Sex::Male, &["DB2"], &["P.OR"])), "BJ19");
}

/// Source: chs-drg-1.1-grouping.md §6, splits, HAS_MCC / HAS_CC and the exclusion tables (§9.10).
#[test]
fn splits_and_exclusions() {
    assert_eq!(drg(&adult(Sex::Male, &["DB"], &[])), "BR15");
    assert_eq!(
        drg(&adult(Sex::Male, &["DB", "X.MCC"], &[])),
        "BR15",
        "same exclusion table as the main dx"
    );
    assert_eq!(drg(&adult(Sex::Male, &["DB", "X.MCC2"], &[])), "BR11");
    assert_eq!(drg(&adult(Sex::Male, &["DB", "X.CC"], &[])), "BR15");
    assert_eq!(drg(&adult(Sex::Male, &["DB", "X.CC2"], &[])), "BR13");
    assert_eq!(drg(&adult(Sex::Male, &["DB", "X.CC2", "X.MCC2"], &[])), "BR11");
    assert_eq!(
        drg(&adult(Sex::Male, &["DB2", "X.MCC"], &[])),
        "BR11",
        "main dx without a table: every MCC counts"
    );
    assert_eq!(drg(&adult(Sex::Male, &["X.MCC2"], &[])), "0000");
    assert_eq!(drg(&adult(Sex::Male, &["DB2", "DB2"], &[])), "BR15");
    assert_eq!(drg(&adult(Sex::Male, &["DB", "x.mcc2"], &[])), "BR15", "codes are case-sensitive");
    assert_eq!(
        drg(&adult(Sex::Male, &["DB", " X.MCC2"], &[])),
        "BR15",
        "no trimming inside the engine"
    );

    let s = scheme();
    let r = s.explain(&adult(Sex::Male, &["DB", "X.MCC", "X.CC2"], &[]));
    assert_eq!(r.drg_code(), "BR13");
    let t = r.trace.unwrap();
    let comp = t.steps.iter().find(|s| matches!(s, TraceStep::Complications { .. })).unwrap();
    assert_eq!(
        comp,
        &TraceStep::Complications {
            main_dx: "DB".into(),
            exclusion_table: Some(1),
            has_mcc: false,
            mcc_code: None,
            has_cc: true,
            cc_code: Some("X.CC2".into()),
            excluded: vec!["X.MCC".into()],
        }
    );
    let splits: Vec<_> = t
        .steps
        .iter()
        .filter_map(|s| match s {
            TraceStep::Split { drg, taken, .. } => Some((drg.as_str(), *taken)),
            _ => None,
        })
        .collect();
    assert_eq!(splits, [("BR11", false), ("BR13", true)]);
    assert!(comp.message_zh().contains("HAS_CC=是（X.CC2）"));
    assert!(comp.message_en().contains("excluded by the main diagnosis: X.MCC"));
}

/// Result fields, names, weights, dictionaries, summary.
#[test]
fn result_fields_names_weights() {
    let s = scheme();
    let r = s.group(&adult(Sex::Male, &["DB", "X.MCC2"], &[]));
    assert_eq!(
        (r.mdc, r.adrg, r.drg, r.name_zh),
        (Some("B"), Some("BR1"), Some("BR11"), Some("午，伴严重"))
    );
    assert!(r.trace.is_none());
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["status"], "grouped");
    assert_eq!(json["drg"], "BR11");
    let r = s.group(&adult(Sex::Male, &["nothing"], &[]));
    assert_eq!(r.drg_code(), "0000");
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(
        (json["status"].as_str(), json["reason"].as_str()),
        (Some("ungroupable"), Some("no_mdc_adrg_matched"))
    );

    let w = s.weight("652300", 2026, "BR11").unwrap();
    assert_eq!(w.weight, Weight::from_ten_thousandths(15_000));
    assert_eq!(w.weight.to_string(), "1.5000");
    assert_eq!(w.avg_cost_fen, Some(1_500_000));
    assert_eq!(w.avg_los_days.unwrap().to_string(), "9.2500");
    assert_eq!(s.weight("652300", 2026, "BR15").unwrap().avg_cost_fen, None);
    assert!(s.weight("652300", 2025, "BR11").is_none());
    assert!(s.weight("652301", 2026, "BR11").is_none());
    assert!(s.weight("652300", 2026, "BR13").is_none());
    assert_eq!(s.weights().len(), 2);

    assert_eq!(s.diagnosis_name("DB"), Some("乙病"));
    assert_eq!(s.procedure_name("PA"), Some("甲术"));
    assert_eq!(s.drg_name("BR13"), Some("午，伴"));
    assert_eq!(s.drg_name("BR1"), None);
    assert_eq!(s.label(), Some("fixture"));

    let sum = s.summary();
    assert_eq!((sum.mdcs, sum.adrgs, sum.drgs), (6, 17, 19));
    assert_eq!(
        (sum.mcc, sum.cc, sum.exclusions, sum.or_procedures, sum.weight_rows),
        (2, 2, 1, 7, 2)
    );
    assert_eq!(sum.per_mdc[5].mdc, "B");
    assert_eq!(sum.per_mdc[5].drgs, 6);
    assert!(sum.to_string().contains("MDCs 6, ADRGs 17, DRGs 19"));
    // DRGs come out in trying order, splits in seq order.
    let codes: Vec<&str> = s.drgs().map(|d| d.0).collect();
    assert_eq!(&codes[codes.len() - 3..], ["BR11", "BR13", "BR15"]);
}

/// Prepared cases give the same answers and can be reused.
#[test]
fn prepared_cases() {
    let s = scheme();
    let cases = [
        adult(Sex::Male, &["DB", "X.CC2"], &[]),
        adult(Sex::Male, &["ZS1", "ZS2"], &["PZ"]),
        infant(3, Some(1600), &["DPS"], &[]),
        adult(Sex::Female, &["DN"], &["x", "PN3", "PN2"]),
    ];
    let mut p = s.prepare(&cases[0]);
    for c in &cases {
        s.prepare_into(c, &mut p);
        assert_eq!(p.group(), s.group(c));
        assert_eq!(p.explain(), s.explain(c));
    }
    // More codes than the inline buffer holds.
    let mut many: Vec<&str> = vec!["DB"];
    many.extend(std::iter::repeat_n("x", 40));
    many.push("X.MCC2");
    assert_eq!(drg(&adult(Sex::Male, &many, &[])), "BR11");
}

/// The JSON form of a trace carries each step's data and both messages.
#[test]
fn trace_json() {
    let s = scheme();
    let r = s.explain(&adult(Sex::Male, &["DB"], &[]));
    let v = serde_json::to_value(&r).unwrap();
    let steps = v["trace"].as_array().unwrap();
    assert_eq!(steps[0]["step"], "validated");
    assert!(steps.iter().all(|s| s["zh"].is_string() && s["en"].is_string()));
    let entry = steps.iter().find(|s| s["step"] == "mdc_entry" && s["mdc"] == "B").unwrap();
    assert_eq!(entry["passed"], true);
    assert_eq!(entry["rule"], "main_dx");
}
