//! Mutual recognition of test and examination results (检查检验结果互认, docs/rules/recognition.md): which earlier
//! results of a resident can stand instead of a new order, the re-test reasons a doctor must give
//! when ordering anyway, the saving a recognition books and the recognition rate.
//!
//! Rules are data: the catalogue of recognised items (item, class, validity window, HR scope) and
//! the participating institutions (scopes they belong to, quality-control status). The doctor's
//! judgement decides; the engine only finds the candidates and records the decision.

use chrono::NaiveDate;
use sanyi_domain::{Fen, Tier};
use serde::{Deserialize, Serialize};

use crate::indicators::Ratio;

/// Class of a recognised item, which sets its usual validity window (docs/rules/recognition.md#validity-windows).
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

impl ItemClass {
    /// Every class.
    pub const ALL: [ItemClass; 5] = [
        ItemClass::RoutineLab,
        ItemClass::SlowLab,
        ItemClass::Radiography,
        ItemClass::CrossSectional,
        ItemClass::Ultrasound,
    ];

    /// Stable code (snake_case, as in JSON).
    pub fn code(self) -> &'static str {
        match self {
            ItemClass::RoutineLab => "routine_lab",
            ItemClass::SlowLab => "slow_lab",
            ItemClass::Radiography => "radiography",
            ItemClass::CrossSectional => "cross_sectional",
            ItemClass::Ultrasound => "ultrasound",
        }
    }

    /// Parses a code.
    pub fn parse(s: &str) -> Option<ItemClass> {
        ItemClass::ALL.into_iter().find(|c| c.code() == s)
    }

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            ItemClass::RoutineLab => "常规检验",
            ItemClass::SlowLab => "慢变检验",
            ItemClass::Radiography => "X线/DR",
            ItemClass::CrossSectional => "CT/MR",
            ItemClass::Ultrasound => "超声",
        }
    }

    /// The usual validity window of the class in days (docs/rules/recognition.md#validity-windows [T]; provinces publish their own).
    pub fn default_window_days(self) -> i64 {
        match self {
            ItemClass::RoutineLab | ItemClass::Ultrasound => 7,
            ItemClass::SlowLab => 90,
            ItemClass::Radiography | ItemClass::CrossSectional => 30,
        }
    }
}

/// Price of an item at each price level (收费标准), in fen: the level is the tier of the institution
/// that performs (or, when recognised, would have performed) it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierPrices {
    /// At county institutions.
    pub county: Fen,
    /// At township centres.
    pub township: Fen,
    /// At village clinics.
    pub village: Fen,
}

impl TierPrices {
    /// The price at the level of `tier`.
    pub fn at(self, tier: Tier) -> Fen {
        match tier {
            Tier::County => self.county,
            Tier::Township => self.township,
            Tier::Village => self.village,
        }
    }
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
    /// Price per level, which a recognition saves (docs/rules/recognition.md#savings-and-rates).
    #[serde(default)]
    pub prices: TierPrices,
}

/// The saving booked by a recognition (互认节约): the avoided item at the ordering institution's
/// price level (docs/rules/recognition.md#savings-and-rates).
pub fn saving(item: &RecognisedItem, ordering_tier: Tier) -> Fen {
    item.prices.at(ordering_tier)
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
    /// Every reason, the six national situations first.
    pub const ALL: [RetestReason; 8] = [
        RetestReason::ConditionChanged,
        RetestReason::FastChanging,
        RetestReason::BeforeMajorIntervention,
        RetestReason::Emergency,
        RetestReason::Assessment,
        RetestReason::ClinicallyNecessary,
        RetestReason::PatientRequest,
        RetestReason::SourceFailedQc,
    ];

    /// Stable code (snake_case, as in JSON).
    pub fn code(self) -> &'static str {
        match self {
            RetestReason::ConditionChanged => "condition_changed",
            RetestReason::FastChanging => "fast_changing",
            RetestReason::BeforeMajorIntervention => "before_major_intervention",
            RetestReason::Emergency => "emergency",
            RetestReason::Assessment => "assessment",
            RetestReason::ClinicallyNecessary => "clinically_necessary",
            RetestReason::PatientRequest => "patient_request",
            RetestReason::SourceFailedQc => "source_failed_qc",
        }
    }

    /// Parses a code.
    pub fn parse(s: &str) -> Option<RetestReason> {
        RetestReason::ALL.into_iter().find(|r| r.code() == s)
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            RetestReason::ConditionChanged => "Condition changed; the result no longer fits",
            RetestReason::FastChanging => "The item changes quickly in this disease",
            RetestReason::BeforeMajorIntervention => "Decisive before a major intervention",
            RetestReason::Emergency => "Emergency or resuscitation",
            RetestReason::Assessment => "Forensic, disability or leave assessment",
            RetestReason::ClinicallyNecessary => "Other clinical necessity (see note)",
            RetestReason::PatientRequest => "Patient or family request",
            RetestReason::SourceFailedQc => "Producing institution failed QC",
        }
    }

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
    /// Recognisable results exist: the doctor must recognise one or give a re-test reason.
    #[error("{0} recognisable result(s) exist: recognise one or give a re-test reason")]
    Required(usize),
}

/// What an order records (the decision as stored).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A candidate stands instead of the new test (互认); books a saving.
    Recognised(Candidate),
    /// Ordered anyway despite candidates (复查); counts against the recognition rate.
    Repeated {
        /// Reason written to the record.
        reason: RetestReason,
        /// Note.
        note: String,
    },
    /// Nothing recognisable existed: a plain order (a reason given anyway is kept).
    Ordered {
        /// Reason, if the doctor gave one.
        reason: Option<RetestReason>,
        /// Note.
        note: String,
    },
}

/// Decides an order: with candidates a decision is required (recognise one, or repeat with a
/// reason); without candidates the order simply stands.
///
/// # Errors
/// `Required` when candidates exist and no decision was given; the errors of [`check_decision`].
pub fn decide(decision: Option<&Decision>, candidates: &[Candidate]) -> Result<Outcome, DecisionError> {
    let Some(decision) = decision else {
        return if candidates.is_empty() {
            Ok(Outcome::Ordered {
                reason: None,
                note: String::new(),
            })
        } else {
            Err(DecisionError::Required(candidates.len()))
        };
    };
    check_decision(decision, candidates)?;
    Ok(match decision {
        Decision::Recognised { result } => {
            let chosen = candidates.iter().find(|c| &c.result == result).cloned();
            chosen
                .map(Outcome::Recognised)
                .ok_or_else(|| DecisionError::NotACandidate(result.clone()))?
        }
        Decision::Repeated { reason, note } if candidates.is_empty() => Outcome::Ordered {
            reason: Some(*reason),
            note: note.trim().to_owned(),
        },
        Decision::Repeated { reason, note } => Outcome::Repeated {
            reason: *reason,
            note: note.trim().to_owned(),
        },
    })
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

/// Recognition rate = recognitions ÷ (recognitions + repeats of recognisable results) (docs/rules/recognition.md#savings-and-rates).
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
            prices: TierPrices {
                county: Fen::new(2_000),
                township: Fen::new(1_500),
                village: Fen::new(1_200),
            },
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

    #[test]
    fn an_order_with_candidates_needs_a_decision_and_a_recognition_saves_the_orderers_price() {
        let (items, parts) = setup();
        let priors = vec![prior("r1", "250101001", "township", d(3, 8))];
        let c = candidates(&items, &parts, "county", "250101001", d(3, 10), &priors);
        assert_eq!(decide(None, &c), Err(DecisionError::Required(1)));
        assert!(matches!(decide(None, &[]), Ok(Outcome::Ordered { reason: None, .. })));
        let recognised = decide(Some(&Decision::Recognised { result: "r1".into() }), &c);
        assert!(matches!(recognised, Ok(Outcome::Recognised(ref k)) if k.result == "r1" && k.age_days == 2));
        let repeat = Decision::Repeated {
            reason: RetestReason::Emergency,
            note: " 胸痛 ".into(),
        };
        assert_eq!(
            decide(Some(&repeat), &c),
            Ok(Outcome::Repeated {
                reason: RetestReason::Emergency,
                note: "胸痛".into()
            })
        );
        assert!(matches!(
            decide(Some(&repeat), &[]),
            Ok(Outcome::Ordered {
                reason: Some(RetestReason::Emergency),
                ..
            })
        ));
        assert_eq!(
            decide(Some(&Decision::Recognised { result: "r9".into() }), &c),
            Err(DecisionError::NotACandidate("r9".into()))
        );
        assert_eq!(saving(&items[0], Tier::Township), Fen::new(1_500));
        assert_eq!(saving(&items[0], Tier::County), Fen::new(2_000));
    }

    #[test]
    fn codes_round_trip() {
        for r in RetestReason::ALL {
            assert_eq!(RetestReason::parse(r.code()), Some(r));
            assert_eq!(serde_json::to_value(r).ok(), Some(serde_json::Value::String(r.code().into())));
        }
        for c in ItemClass::ALL {
            assert_eq!(ItemClass::parse(c.code()), Some(c));
        }
        assert_eq!(RetestReason::parse("because"), None);
    }
}
