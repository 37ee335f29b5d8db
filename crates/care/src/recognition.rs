//! Mutual recognition of test and examination results (检查检验结果互认, DOMAIN §4): which earlier
//! results of a resident can stand instead of a new order, the re-test reasons a doctor must give
//! when ordering anyway, the saving a recognition books and the recognition rate.
//!
//! Rules are data: the catalogue of recognised items (item, class, validity window, HR scope) and
//! the participating institutions (scopes they belong to, quality-control status). The doctor's
//! judgement decides; the engine only finds the candidates and records the decision.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::indicators::Ratio;

/// Class of a recognised item, which sets its usual validity window (DOMAIN §4.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemClass {
    /// Routine laboratory test (blood count, biochemistry).
    RoutineLab,
    /// Slow-changing laboratory test (HbA1c, serology, tumour markers).
    SlowLab,
    /// X-ray / DR.
    Radiography,
    /// CT or MR.
    CrossSectional,
    /// Ultrasound.
    Ultrasound,
}

/// An item of the recognition catalogue (互认项目).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecognisedItem {
    /// Item code (the price catalogue's code).
    pub code: String,
    /// Name.
    pub name: String,
    /// Class.
    pub class: ItemClass,
    /// Results younger than this many days are recognisable [T].
    pub window_days: i64,
    /// HR scope label of the list the item belongs to (e.g. `昌吉州HR`, `新疆HR`).
    pub scope: String,
    /// Codes recognised as the same item (equivalents).
    #[serde(default)]
    pub equivalents: Vec<String>,
}

/// An institution taking part in recognition (参与互认机构).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    /// Institution id.
    pub institution: String,
    /// HR scopes it belongs to.
    pub scopes: Vec<String>,
    /// Passed the quality control of its scope (external quality assessment, image QC).
    pub qc_passed: bool,
}

/// An earlier result of the resident (既往结果), from the cross-institution index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorResult {
    /// Result id.
    pub id: String,
    /// Item code.
    pub item: String,
    /// Producing institution.
    pub institution: String,
    /// Report date.
    pub reported_on: NaiveDate,
}

/// A prior result that can stand instead of a new order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// Result id.
    pub result: String,
    /// Producing institution.
    pub institution: String,
    /// Age in days at the order date.
    pub age_days: i64,
    /// The HR scope that makes it recognisable.
    pub scope: String,
}

/// The item of the catalogue an order code refers to (directly or as an equivalent).
pub fn item_of<'c>(catalogue: &'c [RecognisedItem], code: &str) -> Option<&'c RecognisedItem> {
    catalogue.iter().find(|i| i.code == code || i.equivalents.iter().any(|e| e == code))
}

/// The recognisable prior results for an order of `item` by `ordering` on `today`, youngest first:
/// same item (or an equivalent), report date within the item's window, the producing institution a
/// participant in good QC standing, and both institutions in the item's HR scope.
pub fn candidates(
    catalogue: &[RecognisedItem],
    participants: &[Participant],
    ordering: &str,
    item: &str,
    today: NaiveDate,
    priors: &[PriorResult],
) -> Vec<Candidate> {
    let Some(entry) = item_of(catalogue, item) else {
        return Vec::new();
    };
    let in_scope = |inst: &str| {
        participants
            .iter()
            .any(|p| p.institution == inst && p.qc_passed && p.scopes.contains(&entry.scope))
    };
    if !in_scope(ordering) {
        return Vec::new();
    }
    let mut out: Vec<Candidate> = priors
        .iter()
        .filter(|r| r.item == entry.code || entry.equivalents.contains(&r.item))
        .filter_map(|r| {
            let age = (today - r.reported_on).num_days();
            ((0..=entry.window_days).contains(&age) && in_scope(&r.institution)).then(|| Candidate {
                result: r.id.clone(),
                institution: r.institution.clone(),
                age_days: age,
                scope: entry.scope.clone(),
            })
        })
        .collect();
    out.sort_by(|a, b| a.age_days.cmp(&b.age_days).then_with(|| a.result.cmp(&b.result)));
    out
}

/// Why a doctor orders again despite a recognisable result (复查理由): the six national situations
/// of 国卫医发〔2022〕6号 and common provincial additions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetestReason {
    /// The condition changed; the result no longer fits the clinical picture.
    ConditionChanged,
    /// The item changes quickly during the disease.
    FastChanging,
    /// Decisive before a major intervention (surgery, transfusion).
    BeforeMajorIntervention,
    /// Emergency or resuscitation.
    Emergency,
    /// Forensic, disability or leave assessment.
    Assessment,
    /// Other clinically necessary repetition (explained in the note).
    ClinicallyNecessary,
    /// The patient or family asks for it (provincial addition).
    PatientRequest,
    /// The producing laboratory failed its quality assessment (provincial addition).
    SourceFailedQc,
}

impl RetestReason {
    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            RetestReason::ConditionChanged => "病情变化，原结果与临床表现不符",
            RetestReason::FastChanging => "项目在疾病进展中变化较快",
            RetestReason::BeforeMajorIntervention => "重大医疗措施前需复查",
            RetestReason::Emergency => "急诊、急救",
            RetestReason::Assessment => "司法、伤残、病休等鉴定需要",
            RetestReason::ClinicallyNecessary => "其他临床确需复查",
            RetestReason::PatientRequest => "患者或家属要求",
            RetestReason::SourceFailedQc => "出具机构质控未通过",
        }
    }
}

/// The doctor's decision at order time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The prior result is used; no new order (互认).
    Recognised {
        /// The result recognised.
        result: String,
    },
    /// Ordered anyway, with the reason written to the record (复查).
    Repeated {
        /// Reason.
        reason: RetestReason,
        /// Note (required for `clinically_necessary`).
        note: String,
    },
}

/// Why a decision is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecisionError {
    /// The result recognised is not among the candidates.
    #[error("result {0} is not a recognisable result for this order")]
    NotACandidate(String),
    /// `clinically_necessary` needs a note.
    #[error("a repeat for other clinical necessity needs a note")]
    NoteRequired,
}

/// Checks a decision against the candidates.
///
/// # Errors
/// A recognised result that is not a candidate; a missing note.
pub fn check_decision(decision: &Decision, candidates: &[Candidate]) -> Result<(), DecisionError> {
    match decision {
        Decision::Recognised { result } if !candidates.iter().any(|c| &c.result == result) => {
            Err(DecisionError::NotACandidate(result.clone()))
        }
        Decision::Repeated {
            reason: RetestReason::ClinicallyNecessary,
            note,
        } if note.trim().is_empty() => Err(DecisionError::NoteRequired),
        _ => Ok(()),
    }
}

/// Recognition rate = recognitions ÷ (recognitions + repeats of recognisable results) (DOMAIN §4.4).
pub fn recognition_rate(recognitions: u64, repeats: u64) -> Ratio {
    Ratio::new(recognitions, recognitions + repeats)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap_or_default()
    }

    fn setup() -> (Vec<RecognisedItem>, Vec<Participant>) {
        let items = vec![RecognisedItem {
            code: "250101001".into(),
            name: "血常规".into(),
            class: ItemClass::RoutineLab,
            window_days: 7,
            scope: "昌吉州HR".into(),
            equivalents: vec!["250101002".into()],
        }];
        let p = |id: &str, qc| Participant {
            institution: id.into(),
            scopes: vec!["昌吉州HR".into()],
            qc_passed: qc,
        };
        (items, vec![p("county", true), p("township", true), p("failed", false)])
    }

    fn prior(id: &str, item: &str, inst: &str, on: NaiveDate) -> PriorResult {
        PriorResult {
            id: id.into(),
            item: item.into(),
            institution: inst.into(),
            reported_on: on,
        }
    }

    #[test]
    fn window_scope_quality_and_equivalents_decide() {
        let (items, parts) = setup();
        let priors = vec![
            prior("fresh", "250101001", "township", d(3, 8)),
            prior("edge", "250101002", "township", d(3, 3)),
            prior("old", "250101001", "township", d(3, 2)),
            prior("bad-qc", "250101001", "failed", d(3, 9)),
            prior("outsider", "250101001", "elsewhere", d(3, 9)),
            prior("other-item", "250301001", "township", d(3, 9)),
        ];
        let c = candidates(&items, &parts, "county", "250101001", d(3, 10), &priors);
        let ids: Vec<&str> = c.iter().map(|c| c.result.as_str()).collect();
        assert_eq!(ids, vec!["fresh", "edge"], "youngest first; 7 days is still inside");
        assert_eq!(c[1].age_days, 7);
        assert!(
            candidates(&items, &parts, "elsewhere", "250101001", d(3, 10), &priors).is_empty(),
            "the orderer must take part"
        );
        assert!(
            candidates(&items, &parts, "county", "999", d(3, 10), &priors).is_empty(),
            "not a recognised item"
        );
    }

    proptest::proptest! {
        /// Every candidate is of the item, inside its window and from a participant in good standing.
        #[test]
        fn candidates_respect_window_scope_and_quality(rows in proptest::collection::vec((0usize..4, 0usize..3, 0i64..30), 0..40)) {
            let (items, parts) = setup();
            let insts = ["county", "township", "failed", "elsewhere"];
            let codes = ["250101001", "250101002", "250301001"];
            let today = d(6, 30);
            let priors: Vec<PriorResult> = rows
                .iter()
                .enumerate()
                .map(|(i, (inst, code, age))| prior(&format!("r{i}"), codes[*code], insts[*inst], today - chrono::Duration::days(*age)))
                .collect();
            for c in candidates(&items, &parts, "county", "250101001", today, &priors) {
                let p = priors.iter().find(|p| p.id == c.result).unwrap_or(&priors[0]);
                proptest::prop_assert!(p.item != "250301001");
                proptest::prop_assert!((0..=7).contains(&c.age_days));
                proptest::prop_assert!(c.institution == "county" || c.institution == "township");
            }
        }
    }

    #[test]
    fn decisions_are_checked_and_rates_exact() {
        let (items, parts) = setup();
        let priors = vec![prior("r1", "250101001", "township", d(3, 8))];
        let c = candidates(&items, &parts, "county", "250101001", d(3, 10), &priors);
        assert_eq!(check_decision(&Decision::Recognised { result: "r1".into() }, &c), Ok(()));
        assert!(check_decision(&Decision::Recognised { result: "zz".into() }, &c).is_err());
        let repeat = |reason, note: &str| Decision::Repeated { reason, note: note.into() };
        assert_eq!(
            check_decision(&repeat(RetestReason::ClinicallyNecessary, " "), &c),
            Err(DecisionError::NoteRequired)
        );
        assert_eq!(check_decision(&repeat(RetestReason::Emergency, ""), &c), Ok(()));
        assert_eq!(recognition_rate(3, 1).basis_points(), Some(7_500));
    }
}
