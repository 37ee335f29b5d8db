//! Fraud and misuse checks (医保基金监管疑点筛查, docs/rules/fraud.md): bed-hanging (挂床住院), split
//! admissions (分解住院), low-standard admissions (低标准入院) and duplicate charges (重复收费).
//! Each flag carries its evidence in Chinese and English and the amount at stake; flags are
//! queued for review, never acted on automatically. Thresholds live in [`FraudPolicy`].

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use sanyi_domain::Fen;
use serde::{Deserialize, Serialize};

/// Thresholds of the checks (筛查规则参数) [T]; a document may name only some (the rest default).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FraudPolicy {
    /// A readmission within this many days of discharge, for the same or a related group, is a
    /// suspected split admission (e.g. 15).
    pub readmission_days: i64,
    /// Groups of related ADRG (or diagnosis-category) codes; the same code is always related.
    pub related_groups: Vec<Vec<String>>,
    /// Low-standard admission: stays of at most this many days …
    pub low_standard_max_days: i64,
    /// … costing at most this much …
    pub low_standard_max_cost: Fen,
    /// … for a main diagnosis starting with one of these codes (typically managed in outpatients).
    pub low_standard_diagnoses: Vec<String>,
    /// Items billed at most once per stay (examinations, surgery fees); more is a duplicate charge.
    pub once_per_stay_items: Vec<String>,
    /// Items that record a day of care (nursing levels, billed per day): a stay that bills them,
    /// but on fewer days than it lasted, had days without orders or nursing records.
    pub care_day_items: Vec<String>,
    /// Bed-hanging: this many days or more of a stay without a care record (e.g. 2).
    pub max_days_without_care: i64,
}

impl FraudPolicy {
    /// Every problem with the thresholds (empty when valid).
    #[must_use]
    pub fn validate(&self) -> Vec<crate::PolicyProblem> {
        let mut out = Vec::new();
        let mut bad = |path: &str, rule: &str| {
            out.push(crate::PolicyProblem {
                path: path.to_owned(),
                rule: rule.to_owned(),
            })
        };
        if !(1..=90).contains(&self.readmission_days) {
            bad("readmission_days", "1..=90 days (usually 7–30, docs/rules/fraud.md)");
        }
        if self.low_standard_max_days < 0 || self.low_standard_max_cost.get() < 0 {
            bad("low_standard_max_days", "thresholds must be >= 0");
        }
        if self.max_days_without_care < 1 {
            bad("max_days_without_care", "at least 1 day");
        }
        out
    }
}

impl Default for FraudPolicy {
    fn default() -> Self {
        FraudPolicy {
            readmission_days: 15,
            related_groups: Vec::new(),
            low_standard_max_days: 3,
            low_standard_max_cost: Fen::new(150_000),
            low_standard_diagnoses: ["I10", "K29", "J20", "E11", "M54"].map(String::from).to_vec(),
            once_per_stay_items: [
                "210300001",
                "210500001",
                "220302001",
                "210102015",
                "331303001",
                "331004001",
                "331008001",
            ]
            .map(String::from)
            .to_vec(),
            care_day_items: ["121100001", "121100002", "121100003"].map(String::from).to_vec(),
            max_days_without_care: 2,
        }
    }
}

/// An inpatient stay (住院病例) as the checks read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stay {
    /// Claim id.
    pub id: String,
    /// Person.
    pub person: String,
    /// Institution of care (none outside the registry).
    pub institution: Option<String>,
    /// Admission date.
    pub admission: NaiveDate,
    /// Discharge date.
    pub discharge: NaiveDate,
    /// ADRG code when grouped, else the main diagnosis category (first three characters).
    pub group: String,
    /// Main diagnosis.
    pub diagnosis: String,
    /// Total cost.
    pub cost: Fen,
    /// Charged items: code, quantity, amount.
    pub charges: Vec<(String, i64, Fen)>,
}

/// An encounter of the same person elsewhere (门诊就诊或购药).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Elsewhere {
    /// Person.
    pub person: String,
    /// Date.
    pub date: NaiveDate,
    /// Institution.
    pub institution: Option<String>,
}

/// Kind of flag (疑点类型).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    /// 挂床住院: the inpatient was seen or dispensed elsewhere during the stay.
    BedHanging,
    /// 分解住院: readmitted for the same or a related group soon after discharge.
    SplitAdmission,
    /// 低标准入院: a short, cheap stay for a condition managed in outpatients.
    LowStandardAdmission,
    /// 重复收费: an item billed more often than it can be performed.
    DuplicateCharge,
}

impl FlagKind {
    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            FlagKind::BedHanging => "bed_hanging",
            FlagKind::SplitAdmission => "split_admission",
            FlagKind::LowStandardAdmission => "low_standard_admission",
            FlagKind::DuplicateCharge => "duplicate_charge",
        }
    }

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            FlagKind::BedHanging => "挂床住院",
            FlagKind::SplitAdmission => "分解住院",
            FlagKind::LowStandardAdmission => "低标准入院",
            FlagKind::DuplicateCharge => "重复收费",
        }
    }
}

/// One line of evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// In Chinese.
    pub zh: String,
    /// In English.
    pub en: String,
}

/// A suspected case (疑点), to be reviewed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    /// Kind.
    pub kind: FlagKind,
    /// The claim flagged.
    pub claim_id: String,
    /// Person.
    pub person: String,
    /// Amount at stake.
    pub amount: Fen,
    /// Evidence lines.
    pub evidence: Vec<Evidence>,
}

fn related(policy: &FraudPolicy, a: &str, b: &str) -> bool {
    a == b
        || policy
            .related_groups
            .iter()
            .any(|g| g.iter().any(|x| x == a) && g.iter().any(|x| x == b))
}

/// Runs every check; flags come out sorted by kind, then claim id (deterministic).
pub fn check(policy: &FraudPolicy, stays: &[Stay], elsewhere: &[Elsewhere]) -> Vec<Flag> {
    let mut flags = Vec::new();
    // Index the encounters elsewhere by person: sorted dates with their institution.
    let mut seen: HashMap<&str, Vec<(NaiveDate, Option<&str>)>> = HashMap::new();
    for e in elsewhere {
        seen.entry(e.person.as_str()).or_default().push((e.date, e.institution.as_deref()));
    }
    for v in seen.values_mut() {
        v.sort_unstable();
    }
    let mut by_person: HashMap<&str, Vec<&Stay>> = HashMap::new();
    for s in stays {
        by_person.entry(s.person.as_str()).or_default().push(s);
        // Bed-hanging: a day strictly inside the stay with an encounter at another institution, or
        // days of the stay without any care record (orders/nursing billed per day).
        let los = (s.discharge - s.admission).num_days().max(1);
        let mut evidence = Vec::new();
        let mut days_at_stake = 0i64;
        if let Some(days) = seen.get(s.person.as_str()) {
            let start = days.partition_point(|(d, _)| *d <= s.admission);
            let distinct: BTreeSet<NaiveDate> = days[start..]
                .iter()
                .take_while(|(d, _)| *d < s.discharge)
                .filter(|(_, inst)| *inst != s.institution.as_deref())
                .map(|(d, _)| *d)
                .collect();
            days_at_stake += i64::try_from(distinct.len()).unwrap_or(1);
            evidence.extend(distinct.iter().map(|d| Evidence {
                zh: format!("住院期间（{} 至 {}）于 {d} 在其他机构门诊就诊或购药", s.admission, s.discharge),
                en: format!(
                    "seen or dispensed at another institution on {d}, during the stay {} to {}",
                    s.admission, s.discharge
                ),
            }));
        }
        let care_days: i64 = s
            .charges
            .iter()
            .filter(|(code, _, _)| policy.care_day_items.iter().any(|c| c == code))
            .map(|(_, q, _)| *q)
            .sum();
        // Only where the stay records care by the day at all (the data allows the check).
        let uncared = los - care_days;
        if care_days > 0 && uncared >= policy.max_days_without_care {
            days_at_stake += uncared;
            evidence.push(Evidence {
                zh: format!("住院 {los} 天，仅 {care_days} 天有医嘱或护理收费记录，{uncared} 天无记录"),
                en: format!("{los}-day stay with orders or nursing billed on {care_days} day(s): {uncared} day(s) without any record"),
            });
        }
        if !evidence.is_empty() {
            let per_day = s.cost.get() / los;
            flags.push(Flag {
                kind: FlagKind::BedHanging,
                claim_id: s.id.clone(),
                person: s.person.clone(),
                amount: Fen::new((per_day * days_at_stake).min(s.cost.get())),
                evidence,
            });
        }
        // Low-standard admission.
        let los = (s.discharge - s.admission).num_days();
        if los <= policy.low_standard_max_days
            && s.cost <= policy.low_standard_max_cost
            && policy.low_standard_diagnoses.iter().any(|p| s.diagnosis.starts_with(p.as_str()))
        {
            flags.push(Flag {
                kind: FlagKind::LowStandardAdmission,
                claim_id: s.id.clone(),
                person: s.person.clone(),
                amount: s.cost,
                evidence: vec![Evidence {
                    zh: format!(
                        "主诊断 {}，住院 {los} 天，费用 {} 元，符合门诊可治疗的低标准入院特征",
                        s.diagnosis, s.cost
                    ),
                    en: format!(
                        "main diagnosis {}, {los} day(s), cost {} yuan: manageable in outpatients",
                        s.diagnosis, s.cost
                    ),
                }],
            });
        }
        // Duplicate charges.
        let mut counts: HashMap<&str, (i64, Fen)> = HashMap::new();
        for (code, qty, amount) in &s.charges {
            if policy.once_per_stay_items.iter().any(|c| c == code) {
                let e = counts.entry(code.as_str()).or_insert((0, Fen::ZERO));
                e.0 += qty;
                e.1 = e.1.checked_add(*amount).unwrap_or(e.1);
            }
        }
        let mut dups: Vec<(&str, i64, Fen)> = counts
            .into_iter()
            .filter(|(_, (q, _))| *q > 1)
            .map(|(c, (q, a))| (c, q, a))
            .collect();
        dups.sort_unstable_by(|a, b| a.0.cmp(b.0));
        if !dups.is_empty() {
            let amount = dups.iter().map(|(_, q, a)| a.get() - a.get() / q.max(&1)).sum();
            flags.push(Flag {
                kind: FlagKind::DuplicateCharge,
                claim_id: s.id.clone(),
                person: s.person.clone(),
                amount: Fen::new(amount),
                evidence: dups
                    .iter()
                    .map(|(c, q, _)| Evidence {
                        zh: format!("项目 {c} 在一次住院中收费 {q} 次（应不超过 1 次）"),
                        en: format!("item {c} billed {q} times in one stay (at most once)"),
                    })
                    .collect(),
            });
        }
    }
    // Split admissions: consecutive stays of a person.
    for list in by_person.values_mut() {
        list.sort_by_key(|s| (s.admission, s.id.as_str()));
        for pair in list.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let gap = (b.admission - a.discharge).num_days();
            if (0..=policy.readmission_days).contains(&gap) && related(policy, &a.group, &b.group) {
                flags.push(Flag {
                    kind: FlagKind::SplitAdmission,
                    claim_id: b.id.clone(),
                    person: b.person.clone(),
                    amount: b.cost,
                    evidence: vec![Evidence {
                        zh: format!(
                            "{} 出院后 {gap} 天再次入院（{}），同一或相关病组 {}/{}（上次单据 {}）",
                            a.discharge, b.admission, a.group, b.group, a.id
                        ),
                        en: format!(
                            "readmitted {gap} day(s) after discharge on {} ({}), same or related group {}/{} (previous claim {})",
                            a.discharge, b.admission, a.group, b.group, a.id
                        ),
                    }],
                });
            }
        }
    }
    flags.sort_by(|a, b| (a.kind, &a.claim_id).cmp(&(b.kind, &b.claim_id)));
    flags
}

/// Outcome of a review (复核结论).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewOutcome {
    /// Confirmed: recover the amount.
    Confirmed,
    /// Dismissed: no misuse.
    Dismissed,
    /// More information requested from the institution.
    NeedsMoreInfo,
}

impl ReviewOutcome {
    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            ReviewOutcome::Confirmed => "confirmed",
            ReviewOutcome::Dismissed => "dismissed",
            ReviewOutcome::NeedsMoreInfo => "needs_more_info",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, m, day).unwrap_or_default()
    }

    fn stay(id: &str, person: &str, from: NaiveDate, to: NaiveDate, group: &str, dx: &str, cost: i64) -> Stay {
        Stay {
            id: id.into(),
            person: person.into(),
            institution: Some("H".into()),
            admission: from,
            discharge: to,
            group: group.into(),
            diagnosis: dx.into(),
            cost: Fen::new(cost),
            charges: vec![],
        }
    }

    /// Source: docs/rules/fraud.md bed-hanging, "no orders/nursing records for ≥ 2 days while still
    /// admitted": an 8-day stay with nursing billed on 5 days leaves 3 days without records; a stay
    /// nursed every day, or one whose institution bills no care by the day, is not flagged.
    #[test]
    fn days_without_care_records_are_bed_hanging() {
        let p = FraudPolicy::default();
        let nursing = |days: i64| vec![("121100002".to_owned(), days, Fen::new(2_200 * days))];
        let mut gap = stay("gap", "a", d(3, 1), d(3, 9), "ES3", "J18.900", 800_000);
        gap.charges = nursing(5);
        let mut full = stay("full", "b", d(3, 1), d(3, 9), "ES3", "J18.900", 800_000);
        full.charges = nursing(8);
        let mut one = stay("one", "c", d(3, 1), d(3, 9), "ES3", "J18.900", 800_000);
        one.charges = nursing(7);
        let flags = check(
            &p,
            &[gap, full, one, stay("none", "d", d(3, 1), d(3, 9), "ES3", "J18.900", 800_000)],
            &[],
        );
        assert_eq!(
            flags.iter().map(|f| (f.kind, f.claim_id.as_str())).collect::<Vec<_>>(),
            vec![(FlagKind::BedHanging, "gap")]
        );
        assert!(flags[0].evidence[0].zh.contains("3 天无记录"), "{:?}", flags[0].evidence);
        assert_eq!(flags[0].amount, Fen::new(300_000), "three days of an 8-day stay");
        // The window is a policy parameter.
        let strict = FraudPolicy {
            max_days_without_care: 1,
            ..FraudPolicy::default()
        };
        let mut one = stay("one", "c", d(3, 1), d(3, 9), "ES3", "J18.900", 800_000);
        one.charges = nursing(7);
        assert_eq!(check(&strict, &[one], &[]).len(), 1);
        assert!(FraudPolicy::default().validate().is_empty());
        let bad = FraudPolicy {
            readmission_days: 0,
            ..FraudPolicy::default()
        };
        assert_eq!(bad.validate()[0].path, "readmission_days");
    }

    #[test]
    fn each_pattern_is_flagged_with_evidence_and_clean_stays_are_not() {
        let p = FraudPolicy::default();
        let mut dup = stay("s4", "d", d(5, 1), d(5, 8), "GD2", "K35.800x001", 900_000);
        dup.charges = vec![("210300001".into(), 1, Fen::new(22_000)), ("210300001".into(), 1, Fen::new(22_000))];
        let stays = vec![
            stay("s1", "a", d(3, 1), d(3, 8), "ES3", "J18.900", 700_000),
            stay("s2", "b", d(4, 1), d(4, 7), "ES3", "J18.900", 600_000),
            stay("s3", "b", d(4, 10), d(4, 15), "ES3", "J18.900", 500_000),
            dup,
            stay("s5", "e", d(6, 1), d(6, 3), "FU1", "I10.x00x002", 90_000),
            stay("clean", "f", d(7, 1), d(7, 9), "BR2", "I63.900", 1_200_000),
        ];
        let elsewhere = vec![
            Elsewhere {
                person: "a".into(),
                date: d(3, 4),
                institution: Some("T".into()),
            },
            Elsewhere {
                person: "a".into(),
                date: d(3, 8),
                institution: Some("T".into()),
            },
            Elsewhere {
                person: "f".into(),
                date: d(7, 12),
                institution: Some("T".into()),
            },
        ];
        let flags = check(&p, &stays, &elsewhere);
        let got: Vec<(FlagKind, &str)> = flags.iter().map(|f| (f.kind, f.claim_id.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (FlagKind::BedHanging, "s1"),
                (FlagKind::SplitAdmission, "s3"),
                (FlagKind::LowStandardAdmission, "s5"),
                (FlagKind::DuplicateCharge, "s4"),
            ]
        );
        assert!(flags[0].evidence[0].zh.contains("2025-03-04"), "the day seen elsewhere is named");
        assert_eq!(flags[0].amount, Fen::new(100_000), "one day of a 7-day stay");
        assert_eq!(flags[3].amount, Fen::new(22_000), "one extra CT");
    }

    #[test]
    fn readmission_outside_the_window_or_unrelated_is_not_split() {
        let p = FraudPolicy::default();
        let stays = vec![
            stay("a1", "x", d(1, 1), d(1, 5), "ES3", "J18.900", 1),
            stay("a2", "x", d(1, 25), d(1, 30), "ES3", "J18.900", 1),
            stay("a3", "x", d(2, 2), d(2, 6), "GD2", "K35.800", 1),
        ];
        assert!(check(&p, &stays, &[]).iter().all(|f| f.kind != FlagKind::SplitAdmission));
    }
}
