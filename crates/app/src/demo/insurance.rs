//! The demo year (演示年度): a deterministic year of insured activity for the demo prefecture —
//! about 6 outpatient visits per person-year (chronic follow-ups included), an admission rate near
//! 18 %, realistic lengths of stay and costs, about 10 % of inpatient care outside the county, and
//! a few planted misuse patterns (bed-hanging, split admissions, duplicate charges) — each claim
//! settled by the insurance engine under the demo policy, in date order per person, so that every
//! insurance page and report shows meaningful numbers. All figures are illustrative.

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use sanyi_domain::Fen;
use sanyi_insurance::settlement::{Accumulators, Encounter, MedType, Referral, settle};
use sanyi_insurance::{CareLevel, PersonCategory, Policy, Scheme};
use sanyi_sim::DemoWorld;
use sanyi_store::Db;
use sanyi_store::insurance::{self as repo, ClaimRow};
use sanyi_store::registry::Institution;

use super::Demo;
use crate::ServiceError;
use crate::error::Errors;
use crate::insurance::claims::{ChargeInput, SettledClaim, claim_row, price_charges};
use crate::insurance::fund_year::FundYear;

/// Diagnoses (and procedures) of demo admissions, all groupable with the illustrative scheme:
/// `(diagnosis, procedure, surgery fee item, typical county cost weight)`.
const ADMISSIONS: &[(&str, &str, Option<&str>)] = &[
    ("J18.900", "", None),
    ("J44.100", "", None),
    ("I63.900", "", None),
    ("I10.x00x002", "", None),
    ("I50.900", "", None),
    ("K29.700", "", None),
    ("E11.900", "", None),
    ("N39.000", "", None),
    ("I20.000", "", None),
    ("K35.800x001", "47.0901", Some("331303001")),
    ("K80.000", "51.2300", Some("331004001")),
];

/// Hospitals outside the pool where residents are treated (out-of-county care).
const OUTSIDE: &[&str] = &["新疆维吾尔自治区人民医院", "新疆医科大学第一附属医院", "乌鲁木齐市友谊医院"];

/// What the demo year wrote.
#[derive(Clone, Debug, Default)]
pub struct YearSummary {
    /// Year.
    pub year: i32,
    /// Outpatient (incl. chronic) claims.
    pub outpatient: usize,
    /// Inpatient claims.
    pub inpatient: usize,
    /// Of which outside the county.
    pub inpatient_outside: usize,
    /// Fund payments (fen).
    pub fund_paid: i64,
}

/// The demo benefit policy of `year` (the Changji-pattern example moved to that year).
pub fn demo_policy(pool: &str, year: i32) -> Policy {
    let mut p = Policy::example_changji_2026();
    p.pool = pool.to_owned();
    p.year = year;
    p.effective_from = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default();
    p.version = format!("{year}-demo");
    p
}

/// Where the demo's residents are seen: the clinic of their village, the centre of their
/// township, the lead hospital of their county (also used by the recognition demo).
pub(crate) struct Places<'w> {
    pub(crate) by_village: HashMap<&'w str, &'w Institution>,
    pub(crate) township_of: HashMap<&'w str, &'w Institution>,
    pub(crate) lead_of: HashMap<&'w str, &'w Institution>,
    other_lead: Vec<&'w Institution>,
}

impl<'w> Places<'w> {
    pub(crate) fn new(w: &'w DemoWorld) -> Places<'w> {
        let mut p = Places {
            by_village: HashMap::new(),
            township_of: HashMap::new(),
            lead_of: HashMap::new(),
            other_lead: Vec::new(),
        };
        for i in &w.institutions {
            match i.tier.as_str() {
                "village" => {
                    p.by_village.insert(i.area_code.as_str(), i);
                }
                "township" => {
                    if let Some(t) = i.area_code.get(..9) {
                        p.township_of.insert(t, i);
                    }
                }
                _ => {}
            }
        }
        for c in &w.communities {
            if let Some(lead) = w.institutions.iter().find(|i| Some(&i.id) == c.lead_institution_id.as_ref()) {
                p.lead_of.entry(c.division_code.as_str()).or_insert(lead);
                p.other_lead.push(lead);
            }
        }
        p
    }
}

fn day_in(year: i32, rng: &mut ChaCha8Rng) -> NaiveDate {
    let start = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default();
    start + Duration::days(rng.random_range(0..365))
}

/// One encounter before settlement.
struct Planned {
    key: String,
    date: NaiveDate,
    discharge: Option<NaiveDate>,
    med_type: MedType,
    place: Option<Institution>,
    outside: Option<String>,
    chronic: Option<String>,
    charges: Vec<ChargeInput>,
    drg_input: Option<String>,
}

fn charge(code: &str, quantity: i64) -> ChargeInput {
    ChargeInput {
        code: code.into(),
        quantity,
        unit_price: None,
    }
}

/// Generates and settles the demo year for every enrolled resident of the world, writing claims
/// and accumulators in bulk; also registers the demo policy and fund year. Returns a summary.
///
/// # Errors
/// On a database error.
pub async fn seed_year(db: &Db, w: &DemoWorld, year: i32, seed: u64) -> Result<YearSummary, ServiceError> {
    let Some(pool) = w.pool.as_ref().map(|p| p.division_code.clone()) else {
        return Ok(YearSummary::default());
    };
    let policy = demo_policy(&pool, year);
    let policy_id = seed_policy(db, &policy).await?;
    let jan1 = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default();
    crate::medicines::catalogue::seed_demo(db, &pool, jan1).await?;
    let in_force = crate::medicines::catalogue::demo_in_force(&pool, jan1)?;
    let catalogue = &in_force.engine;
    let mut dispensing = super::medicines::Dispensing::start(db, w, year).await?;
    let mut approvals: Vec<sanyi_store::eligibility::EligibilityRow> = Vec::new();
    let places = Places::new(w);
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5A17_2025);
    let enrolled: HashMap<&str, &str> = w
        .enrolments
        .iter()
        .filter(|e| e.year == i64::from(year) && e.status == "active")
        .map(|e| (e.resident_id.as_str(), e.insurance_type.as_str()))
        .collect();
    let mut summary = YearSummary {
        year,
        ..YearSummary::default()
    };
    let mut claims: Vec<ClaimRow> = Vec::new();
    let mut accs: Vec<(String, String, i64, String)> = Vec::new();
    let now = Utc::now();
    let mut n = 0usize;
    for r in &w.residents {
        let Some(insutype) = enrolled.get(r.id.as_str()) else { continue };
        let scheme = if *insutype == "310" { Scheme::Employee } else { Scheme::Resident };
        let age = year - r.birth_date.year();
        let village = places.by_village.get(r.village_code.as_str()).copied();
        let township = r.village_code.get(..9).and_then(|t| places.township_of.get(t)).copied();
        let lead = places.lead_of.get(r.division_code.as_str()).copied();
        let mut plan: Vec<Planned> = Vec::new();
        n += 1;
        let key = |k: &str, i: usize| format!("D{year}-{}-{k}{i}", &r.id[..8]);
        // Chronic patients (hypertension, diabetes) are followed up monthly at the village or township.
        let chronic = if age >= 45 && rng.random_range(0..100) < 28 {
            Some(if rng.random_range(0..100) < 70 { "I10" } else { "E11" })
        } else {
            None
        };
        let general_visits = if chronic.is_some() {
            rng.random_range(0..=3)
        } else {
            rng.random_range(0..=10) + usize::from(age >= 65) * 2
        };
        for v in 0..general_visits {
            let roll = rng.random_range(0..100);
            let place = if roll < 55 {
                village.or(township)
            } else if roll < 87 {
                township
            } else {
                lead
            };
            let mut charges = vec![charge(
                if place.is_some_and(|p| p.tier == "village") {
                    "110200005"
                } else {
                    "110200001"
                },
                1,
            )];
            for _ in 0..rng.random_range(1..=2) {
                let drug = ["XJ01CAA001", "XN02BEA001", "XR05CBA001", "XA02BCA001", "XJ01DCA001"][rng.random_range(0..5)];
                charges.push(charge(drug, rng.random_range(6..=24)));
            }
            if rng.random_range(0..100) < 25 {
                charges.push(charge(
                    ["250101001", "250301001", "220201001", "210102015"][rng.random_range(0..4)],
                    1,
                ));
            }
            plan.push(Planned {
                key: key("O", v),
                date: day_in(year, &mut rng),
                discharge: None,
                med_type: MedType::Outpatient,
                place: place.cloned(),
                outside: None,
                chronic: None,
                charges,
                drg_input: None,
            });
        }
        if let Some(code) = chronic {
            // The disease was assessed and approved (门诊慢特病认定) at the township centre or the
            // lead hospital, for this year and the next, to be reviewed before it ends.
            let approver = township.or(lead);
            approvals.push(sanyi_store::eligibility::EligibilityRow {
                division_code: r.division_code.clone(),
                id: sanyi_store::new_id(),
                resident_id: r.id.clone(),
                kind: "chronic_disease".into(),
                code: code.into(),
                institution_division_code: approver.map(|i| i.division_code.clone()),
                institution_id: approver.map(|i| i.id.clone()),
                valid_from: NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default(),
                valid_to: NaiveDate::from_ymd_opt(year + 1, 12, 31).unwrap_or_default(),
                review_on: NaiveDate::from_ymd_opt(year + 1, 12, 1),
                evidence: format!("{}诊断证明（示例）", if code == "I10" { "高血压" } else { "2型糖尿病" }),
                status: "active".into(),
                recorded_by: "system".into(),
                created_at: now,
                revoked_at: None,
                revoke_reason: None,
            });
            for m in 1..=12u32 {
                if rng.random_range(0..100) < 15 {
                    continue;
                }
                let date = NaiveDate::from_ymd_opt(year, m, rng.random_range(1..=28)).unwrap_or_default();
                let mut charges = vec![charge("110200001", 1)];
                if code == "I10" {
                    // One patient in five keeps the originator (not selected; above the payment standard).
                    let originator = r.id.bytes().map(u32::from).sum::<u32>() % 5 == 0;
                    charges.push(charge(if originator { "XC08CAA002" } else { "XC08CAA001" }, 30));
                    charges.push(charge("XC09CAL001", 30));
                } else {
                    charges.push(charge("XA10BAM001", 60));
                    charges.push(charge("250301001", 1));
                    if m % 3 == 0 {
                        charges.push(charge("250305003", 1));
                    }
                }
                plan.push(Planned {
                    key: key("C", m as usize),
                    date,
                    discharge: None,
                    med_type: MedType::Chronic,
                    place: township.or(village).cloned(),
                    outside: None,
                    chronic: Some(code.into()),
                    charges,
                    drg_input: None,
                });
            }
        }
        // Admissions: about 18 % of enrollees a year, more among the old.
        let p_admit = if age >= 65 {
            34
        } else if age < 15 {
            10
        } else {
            15
        };
        let admissions = usize::from(rng.random_range(0..100) < p_admit) + usize::from(rng.random_range(0..100) < 2);
        for a in 0..admissions {
            let (dx, px, surgery) = ADMISSIONS[rng.random_range(0..ADMISSIONS.len())];
            let roll = rng.random_range(0..100);
            let (place, outside) = if roll < 10 {
                (None, Some(OUTSIDE[rng.random_range(0..OUTSIDE.len())].to_owned()))
            } else if roll < 45 && surgery.is_none() {
                (township.cloned(), None)
            } else {
                (lead.cloned(), None)
            };
            let county_level = place.as_ref().is_none_or(|p| p.tier != "township");
            let los = if county_level {
                rng.random_range(6..=10)
            } else {
                rng.random_range(4..=7)
            } + i64::from(rng.random_range(0..100) < 8) * rng.random_range(5..=15);
            let date = day_in(year, &mut rng).min(NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default() - Duration::days(los));
            let bed = if county_level { "110900001" } else { "110900002" };
            let mut charges = vec![
                charge(bed, los),
                charge(if county_level { "121100001" } else { "121100002" }, los),
                charge("250101001", 2),
                charge("250401001", 1),
                charge("250402001", 1),
                charge("XB05BBA001", los * 2),
                charge("120100001", los),
                charge(if county_level { "XJ01DDA001" } else { "XJ01DCA001" }, los * 2),
                charge("C0000000001", los),
            ];
            charges.push(charge("250000001", 1 + los / 4));
            if county_level {
                charges.push(charge(["210300001", "220302001", "210102015"][rng.random_range(0..3)], 1));
                charges.push(charge("311000001", los / 2 + 1));
                charges.push(charge(
                    match dx {
                        "I63.900" => "XN07XXA001",
                        "J18.900" | "J44.100" => "XJ01DHA001",
                        _ => "XB01ABA001",
                    },
                    los,
                ));
            }
            if rng.random_range(0..100) < 50 {
                charges.push(charge("310600001", los));
            }
            if let Some(fee) = surgery {
                charges.push(charge(fee, 1));
                charges.push(charge("330100001", 1));
            }
            if outside.is_some() {
                // Prefecture and provincial hospitals cost more: more days of tests and drugs.
                charges.push(charge("210500001", 1));
                charges.push(charge("XJ01DDA001", los * 4));
            }
            let drg_input = serde_json::json!({
                "sex": if r.sex == "male" { "1" } else { "2" },
                "age_years": age.max(0),
                "diagnoses": [dx],
                "procedures": if px.is_empty() { Vec::<&str>::new() } else { vec![px] },
            })
            .to_string();
            plan.push(Planned {
                key: key("I", a),
                date,
                discharge: Some(date + Duration::days(los)),
                med_type: MedType::Inpatient,
                place,
                outside,
                chronic: None,
                charges,
                drg_input: Some(drg_input),
            });
        }
        // Rehabilitation after a stroke or a fracture: a long stay paid per bed-day.
        if age >= 60 && rng.random_range(0..1000) < 12 {
            let los = rng.random_range(25..=45);
            let date = day_in(year, &mut rng).min(NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default() - Duration::days(los));
            plan.push(Planned {
                key: key("R", 0),
                date,
                discharge: Some(date + Duration::days(los)),
                med_type: MedType::Inpatient,
                place: lead.cloned(),
                outside: None,
                chronic: None,
                charges: vec![charge("110900001", los), charge("121100002", los), charge("340200001", los), charge("250000001", 2)],
                drg_input: Some(
                    serde_json::json!({"sex": if r.sex == "male" { "1" } else { "2" }, "age_years": age, "diagnoses": ["Z50.900"], "procedures": []})
                        .to_string(),
                ),
            });
        }
        plant_misuse(year, n, &mut plan, &key, township, lead);
        // An inpatient is not seen in outpatients during the stay — except where misuse was planted.
        let stays: Vec<(NaiveDate, NaiveDate)> = plan.iter().filter_map(|p| p.discharge.map(|d| (p.date, d))).collect();
        let planted = key("H", 0);
        plan.retain(|p| p.discharge.is_some() || p.key == planted || !stays.iter().any(|(a, d)| p.date > *a && p.date < *d));
        plan.sort_by_key(|p| (p.discharge.unwrap_or(p.date), p.key.clone()));
        let mut acc = Accumulators::default();
        for p in plan {
            let mut errs = Errors::default();
            let level = p.place.as_ref().map_or(CareLevel::OutOfCounty, |i| {
                crate::insurance::claims::care_level(i, &r.division_code)
            });
            let mut charges = price_charges(catalogue, &p.charges, level, &mut errs);
            super::medicines::apply_standard(&in_force, &p.charges, &mut charges);
            let enc = Encounter {
                claim_key: p.key.clone(),
                scheme,
                person: PersonCategory::Ordinary,
                retired: false,
                enrolled: true,
                covered_from: None,
                date: p.date,
                level,
                referral: Referral::None,
                med_type: p.med_type,
                chronic_disease: p.chronic.clone(),
                charges,
                account_balance: Fen::ZERO,
            };
            let Ok(s) = settle(&policy, &enc, &acc, &Default::default()) else {
                continue;
            };
            acc = s.accumulators;
            if p.med_type == MedType::Inpatient {
                summary.inpatient += 1;
                summary.inpatient_outside += usize::from(p.place.is_none());
            } else {
                summary.outpatient += 1;
            }
            summary.fund_paid += s.fund_pay_sumamt.get();
            if let Some(place) = &p.place {
                dispensing.add(
                    &in_force,
                    (&r.division_code, &r.id),
                    place,
                    &p.key,
                    p.date,
                    p.med_type,
                    p.chronic.as_deref(),
                    &p.charges,
                );
            }
            claims.push(claim_row(SettledClaim {
                county: &r.division_code,
                pool: &pool,
                policy_id: &policy_id,
                resident: &r.id,
                institution: p.place.as_ref(),
                outside_name: p.outside.as_deref(),
                claim_key: &p.key,
                med_type: p.med_type,
                date: p.date,
                discharge_date: p.discharge,
                charges: &p.charges,
                settlement: &s,
                // Outpatient demo claims keep their NHSA fields in columns only (the database stays
                // small); inpatient claims keep the whole settlement with its trace.
                keep_settlement: p.med_type == MedType::Inpatient,
                drg_input: p.drg_input,
                settled_at: now,
            })?);
        }
        accs.push((
            r.division_code.clone(),
            r.id.clone(),
            i64::from(year),
            serde_json::to_string(&acc).map_err(|e| ServiceError::Internal(e.into()))?,
        ));
        // Short write transactions: the server answers (logins, pages) while the demo year is written.
        if claims.len() >= 10_000 {
            repo::insert_claims_bulk(db, &claims, &accs).await?;
            claims.clear();
            accs.clear();
            dispensing.flush(db).await?;
            seed_approvals(db, &mut approvals).await?;
        }
    }
    repo::insert_claims_bulk(db, &claims, &accs).await?;
    seed_approvals(db, &mut approvals).await?;
    super::medicines::finish(db, w, dispensing).await?;
    // The fund year: F set so that the pool's budget is close to what the year cost — some counties
    // end with a surplus, some with an overspend.
    let fund = Fen::new(summary.fund_paid * 100 / 90);
    let rigid = Fen::new(summary.fund_paid / 25);
    let mut fy = FundYear::example(&pool, year, fund, rigid, Fen::new(800_000));
    // Every county's appraisal score of the year (hundredths of a point), all above the pass mark
    // of 60 but different.
    fy.scores = (0u32..)
        .zip(&w.counties)
        .map(|(i, c)| (c.division_code.clone(), 7_150 + (i * 737) % 2_300))
        .collect();
    let body = serde_json::to_string(&fy).map_err(|e| ServiceError::Internal(e.into()))?;
    repo::put_fund_year(
        db,
        &pool,
        i64::from(year),
        &body,
        &crate::audit::system_entry(&pool, "update", "fund_year", &pool, "demo fund year"),
    )
    .await?;
    Ok(summary)
}

/// Stores the demo's chronic-disease approvals gathered so far, each with its audit entry.
async fn seed_approvals(db: &Db, approvals: &mut Vec<sanyi_store::eligibility::EligibilityRow>) -> Result<(), ServiceError> {
    let rows: Vec<_> = approvals
        .drain(..)
        .map(|e| {
            let a = crate::audit::system_entry(&e.division_code, "create", "eligibility", &e.id, "demo approval");
            (e, a)
        })
        .collect();
    sanyi_store::eligibility::insert(db, &rows).await?;
    Ok(())
}

/// Seeds last year's insured activity (claims, the fund year and its settlement inputs) and this
/// year's policy, so that claims of today settle at the point of care.
///
/// # Errors
/// On a database error.
pub async fn seed(demo: &Demo<'_>) -> Result<YearSummary, ServiceError> {
    let Some(pool) = &demo.world.pool else {
        return Ok(YearSummary::default());
    };
    let year = demo.params.today.year();
    let summary = seed_year(&demo.app.db, demo.world, year - 1, demo.params.seed).await?;
    seed_policy(&demo.app.db, &demo_policy(&pool.division_code, year)).await?;
    // Its catalogue and projects were written to the store directly.
    demo.app.medicines.invalidate();
    Ok(summary)
}

/// Registers a demo policy version; returns its id.
///
/// # Errors
/// On a database error (a version of the pool already starting that day).
pub async fn seed_policy(db: &Db, policy: &Policy) -> Result<String, ServiceError> {
    let id = sanyi_store::new_id();
    let row = repo::PolicyRow {
        division_code: policy.pool.clone(),
        id: id.clone(),
        year: i64::from(policy.year),
        version: policy.version.clone(),
        effective_from: policy.effective_from,
        body: serde_json::to_string(policy).map_err(|e| ServiceError::Internal(e.into()))?,
        created_at: Utc::now(),
    };
    repo::insert_policy(
        db,
        &row,
        &crate::audit::system_entry(&policy.pool, "create", "insurance_policy", &id, "demo policy"),
    )
    .await?;
    Ok(id)
}

/// Plants misuse patterns on a few residents (every 97th: bed-hanging; every 89th: a split
/// admission; every 79th: a low-standard admission; every 83rd: a duplicated charge line) so that the fraud checks have work.
#[allow(clippy::too_many_arguments)]
fn plant_misuse(
    year: i32,
    n: usize,
    plan: &mut Vec<Planned>,
    key: &dyn Fn(&str, usize) -> String,
    township: Option<&Institution>,
    lead: Option<&Institution>,
) {
    let first_inpatient = plan.iter().position(|p| p.med_type == MedType::Inpatient && p.place.is_some());
    if n.is_multiple_of(97)
        && let (Some(i), Some(t)) = (first_inpatient, township)
    {
        // Bed-hanging: the patient is seen at the township clinic on a day of the stay.
        let (date, discharge) = (plan[i].date, plan[i].discharge);
        if let Some(d) = discharge.filter(|d| *d > date + Duration::days(2)) {
            plan.push(Planned {
                key: key("H", 0),
                date: date + Duration::days(2).min(d - date),
                discharge: None,
                med_type: MedType::Outpatient,
                place: Some(t.clone()),
                outside: None,
                chronic: None,
                charges: vec![charge("110200001", 1), charge("XJ01CAA001", 12)],
                drg_input: None,
            });
        }
    }
    if n.is_multiple_of(89)
        && let (Some(i), Some(l)) = (first_inpatient, lead)
    {
        // Split admission: readmitted with the same diagnosis three days after discharge.
        let p = &plan[i];
        if let Some(d) = p.discharge.filter(|d| d.month() < 12) {
            let again = Planned {
                key: key("S", 0),
                date: d + Duration::days(3),
                discharge: Some(d + Duration::days(8)),
                med_type: MedType::Inpatient,
                place: Some(l.clone()),
                outside: None,
                chronic: None,
                charges: vec![charge("110900001", 5), charge("121100001", 5), charge("XB05BBA001", 10)],
                drg_input: p.drg_input.clone(),
            };
            plan.push(again);
        }
    }
    if n.is_multiple_of(79)
        && let Some(t) = township
    {
        // Low-standard admission: two days in a township bed for hypertension.
        let date = NaiveDate::from_ymd_opt(year, 6, 1 + u32::try_from(n % 20).unwrap_or(0)).unwrap_or_default();
        plan.push(Planned {
            key: key("L", 0),
            date,
            discharge: Some(date + Duration::days(2)),
            med_type: MedType::Inpatient,
            place: Some(t.clone()),
            outside: None,
            chronic: None,
            charges: vec![charge("110900002", 2), charge("121100002", 2), charge("XC08CAA001", 6)],
            drg_input: Some(r#"{"sex":"1","age_years":60,"diagnoses":["I10.x00x002"],"procedures":[]}"#.into()),
        });
    }
    if n.is_multiple_of(83)
        && let Some(p) = plan.iter_mut().find(|p| p.med_type == MedType::Inpatient)
    {
        // Duplicate charge: the same examination billed twice.
        p.charges.push(charge("210300001", 1));
        p.charges.push(charge("210300001", 1));
    }
}
