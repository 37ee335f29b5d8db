//! One-stop settlement (一站式结算) at the point of care: an encounter with itemised charges is
//! priced from the catalogue, settled by the insurance engine under the policy version in force on
//! its date against the person's year-to-date accumulators, and stored with its NHSA fields and
//! trace — claim and accumulators in one transaction. A settled claim can be reversed (冲正) and
//! its key settled again.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use sanyi_domain::Fen;
use sanyi_insurance::catalogue::Catalogue;
use sanyi_insurance::settlement::{
    Accumulators, Charge, CoverageGap, Encounter, MedType, Referral, Settlement, reverse as reverse_delta, settle as engine_settle,
};
use sanyi_insurance::{CareLevel, PersonCategory, Rejection, Scheme};
use sanyi_store::insurance::{self as repo, AccumulatorWrite, ClaimRow};
use sanyi_store::registry::{self, Institution};
use sanyi_store::residents as residents_repo;

use crate::error::Errors;
use crate::{Actor, App, FieldError, Page, Paged, Permission, Role, ServiceError, audit};

/// One charged item (费用明细).
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct ChargeInput {
    /// Catalogue code.
    pub code: String,
    /// Quantity (≥ 1).
    pub quantity: i64,
    /// Unit price charged in fen (default: the catalogue price).
    #[serde(default)]
    pub unit_price: Option<i64>,
}

/// An encounter to settle.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct ClaimInput {
    /// Claim key (就诊流水号 `mdtrt_id`), unique per county.
    pub claim_key: String,
    /// Resident record id.
    pub resident_id: String,
    /// Institution of care (default: the actor's).
    #[serde(default)]
    pub institution_id: Option<String>,
    /// A hospital outside the pool's registry (out-of-area care), instead of an institution.
    #[serde(default)]
    pub outside_name: Option<String>,
    /// The province of that hospital (the first two digits of its GB/T 2260 division code): a
    /// province other than the insured person's is care outside the province (省外), with the
    /// policy's out-of-province parameters. Absent: outside the county, inside the province.
    #[serde(default)]
    pub outside_province: Option<String>,
    /// `11` outpatient, `14` chronic/special-disease outpatient, `21` inpatient.
    #[schema(value_type = String)]
    pub med_type: MedType,
    /// Date of service (admission date for inpatients).
    pub date: NaiveDate,
    /// Discharge date (inpatients).
    #[serde(default)]
    pub discharge_date: Option<NaiveDate>,
    /// Approved chronic disease code (required for `14`).
    #[serde(default)]
    pub chronic_disease: Option<String>,
    /// Out-of-area care filed in advance (异地就医备案).
    #[serde(default)]
    pub filed: bool,
    /// Person category for critical illness and assistance (default `ordinary`).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub person: Option<PersonCategory>,
    /// Personal account balance (employees), fen.
    #[serde(default)]
    pub account_balance: i64,
    /// Diagnoses (inpatients, ICD-10 医保版; the first is the main one) for DRG grouping.
    #[serde(default)]
    pub diagnoses: Vec<String>,
    /// Procedures (inpatients, ICD-9-CM-3 医保版).
    #[serde(default)]
    pub procedures: Vec<String>,
    /// Itemised charges.
    #[serde(default)]
    pub charges: Vec<ChargeInput>,
    /// Dispensed prescriptions of this patient at this institution whose drugs the claim charges
    /// (at the lots' purchase cost, zero mark-up).
    #[serde(default)]
    pub prescriptions: Vec<String>,
}

/// A stored claim as the clerk and the officer see it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ClaimView {
    /// Id.
    pub id: String,
    /// Claim key.
    pub claim_key: String,
    /// `settled` or `reversed`.
    pub status: String,
    /// Resident.
    pub resident_id: String,
    /// Institution of care.
    pub institution_id: Option<String>,
    /// Date of service.
    pub service_date: NaiveDate,
    /// Inside the insured person's county (charged to the package either way).
    pub in_county: bool,
    /// Policy version used.
    pub policy_id: Option<String>,
    /// The settlement: NHSA fields, accumulators and the step-by-step trace.
    #[schema(value_type = Object)]
    pub settlement: serde_json::Value,
    /// Medical type code stored (`outpatient`, `chronic`, `inpatient`).
    pub med_type: String,
    /// The special-case review (特病单议) of an inpatient case, when the bureau made one.
    pub special_review: Option<SpecialReviewView>,
}

/// A special-case review (特病单议) as shown with its claim.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SpecialReviewView {
    /// Agreed points, ten-thousandths of a point.
    pub points_e4: i64,
    /// Agreed points as a decimal (e.g. `420.5000`).
    pub points: String,
    /// Why.
    pub reason: String,
    /// Reviewer.
    pub reviewed_by: String,
    /// Decided at.
    pub reviewed_at: chrono::DateTime<Utc>,
}

/// The bureau's decision on a special-case review (特病单议).
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct SpecialReviewInput {
    /// Agreed points as a decimal with at most four places, e.g. `"420.5"`.
    pub points: String,
    /// Why the case is reviewed (required), e.g. rare disease, new technology, very long stay.
    pub reason: String,
}

fn view(c: ClaimRow) -> ClaimView {
    ClaimView {
        // A claim stored without its whole settlement (the demo's outpatient claims) still has
        // its NHSA totals as columns: the view carries those.
        settlement: c
            .settlement
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_else(|| {
                serde_json::json!({
                    "medfee_sumamt": c.medfee_sumamt,
                    "hifp_pay": c.hifp_pay,
                    "hifmi_pay": c.hifmi_pay,
                    "maf_pay": c.maf_pay,
                    "acct_pay": c.acct_pay,
                    "psn_cash_pay": c.psn_cash_pay,
                    "fund_pay_sumamt": c.fund_pay_sumamt,
                })
            }),
        id: c.id,
        claim_key: c.claim_key,
        status: c.status,
        resident_id: c.resident_id,
        institution_id: c.institution_id,
        service_date: c.service_date,
        in_county: c.in_county,
        policy_id: c.policy_id,
        med_type: c.med_type,
        special_review: None,
    }
}

/// The level of care of an institution for an insured person of `home_county`.
pub fn care_level(i: &Institution, home_county: &str) -> CareLevel {
    if i.division_code != home_county {
        return CareLevel::OutOfCounty;
    }
    match i.tier.as_str() {
        "village" => CareLevel::Village,
        "township" | "community" => CareLevel::Township,
        _ => CareLevel::County,
    }
}

/// The insurance scheme of an NHSA `insutype` code.
pub fn scheme_of(insutype: &str) -> Option<Scheme> {
    match insutype {
        "310" => Some(Scheme::Employee),
        "390" => Some(Scheme::Resident),
        _ => None,
    }
}

/// A coded rejection as a validation error (`rule` = `claim.rejected.<Code>`).
pub fn rejection_error(r: &Rejection) -> ServiceError {
    let (field, zh) = match r {
        Rejection::NotEnrolled => ("resident_id", "该参保人当年未参保"),
        Rejection::UnknownPerson => ("resident_id", "参保人不存在、已注销或不在本机构服务范围内"),
        Rejection::OutsideCoverage(CoverageGap::BeforeCoverage { .. }) => {
            ("date", "就诊日期早于参保待遇起始日（参保登记日或待遇等待期满）")
        }
        Rejection::OutsideCoverage(_) => ("date", "就诊日期或病种不在保障范围内"),
        Rejection::ItemNotCovered { .. } | Rejection::InvalidCharge { .. } | Rejection::NoCharges => ("charges", "费用明细无效"),
        Rejection::Duplicate { .. } => ("claim_key", "该就诊已结算（重复结算）"),
        Rejection::Overflow => ("charges", "金额超出范围"),
    };
    let err = FieldError::new(
        field,
        &format!("claim.rejected.{}", r.code()),
        "a claim the policy covers",
        &r.to_string(),
        zh,
    );
    if matches!(r, Rejection::Duplicate { .. }) {
        ServiceError::Conflict(vec![err])
    } else {
        ServiceError::Validation(vec![err])
    }
}

/// Prices the charges from the catalogue: unknown codes, quantities below one and negative
/// prices are named field by field.
pub fn price_charges(catalogue: &Catalogue, input: &[ChargeInput], level: CareLevel, errs: &mut Errors) -> Vec<Charge> {
    if input.is_empty() {
        errs.push(FieldError::new(
            "charges",
            "charges.required",
            "at least one charge",
            "No charges",
            "没有费用明细",
        ));
    }
    let mut out = Vec::with_capacity(input.len());
    for (i, c) in input.iter().enumerate() {
        let Some(item) = catalogue.get(c.code.trim()) else {
            errs.push(FieldError::new(
                &format!("charges[{i}].code"),
                "item.unknown",
                "a code of the pool's catalogue",
                &format!("Unknown item code {:?}", c.code),
                &format!("医保目录中没有项目编码 {}", c.code),
            ));
            continue;
        };
        if c.quantity < 1 {
            errs.push(FieldError::new(
                &format!("charges[{i}].quantity"),
                "quantity.positive",
                "a quantity of at least 1",
                "Quantity must be at least 1",
                "数量须不小于 1",
            ));
            continue;
        }
        // The cap at this level of care (分级定价), else the item's.
        let cap = item.cap_at(level).get();
        let price = c.unit_price.unwrap_or(cap);
        if price < 0 {
            errs.push(FieldError::new(
                &format!("charges[{i}].unit_price"),
                "price.non_negative",
                "a price ≥ 0 fen",
                "Negative price",
                "单价不能为负",
            ));
            continue;
        }
        let amount = price.checked_mul(c.quantity);
        let over = (price - cap).max(0).checked_mul(c.quantity);
        match (amount, over) {
            (Some(a), Some(o)) => out.push(Charge {
                code: item.code.clone(),
                category: item.category,
                amount: Fen::new(a),
                over_cap: Fen::new(o),
                self_pay: item.self_pay,
            }),
            _ => errs.push(FieldError::new(
                &format!("charges[{i}]"),
                "money.range",
                "an amount within range",
                "Amount out of range",
                "金额超出范围",
            )),
        }
    }
    out
}

/// The referral treatment of an encounter (docs/rules/referral.md#insurance-linkage): an accepted upward referral to this
/// institution, a down-referral back to it (the down-referral plan's target), or out-of-area filing.
async fn referral_of(
    app: &App,
    resident: &str,
    institution: Option<&Institution>,
    level: CareLevel,
    filed: bool,
) -> Result<Referral, ServiceError> {
    if let Some(inst) = institution {
        for r in sanyi_store::referrals::of_resident(&app.db, resident).await? {
            let Ok(engine) = serde_json::from_str::<sanyi_care::Referral>(&r.engine) else {
                continue;
            };
            // An upward referral counts where it was received; a down-referral where the patient
            // went back to (the plan's target, the sender by default).
            if engine.insurance_institution().as_str() != inst.id {
                continue;
            }
            match engine.insurance_status() {
                sanyi_care::InsuranceReferralStatus::Upward | sanyi_care::InsuranceReferralStatus::Emergency => {
                    let from = match engine.sender().tier {
                        sanyi_domain::Tier::Village => CareLevel::Village,
                        sanyi_domain::Tier::Township => CareLevel::Township,
                        _ => CareLevel::County,
                    };
                    return Ok(Referral::Upward { from });
                }
                sanyi_care::InsuranceReferralStatus::Downward => return Ok(Referral::Downward),
                sanyi_care::InsuranceReferralStatus::None => {}
            }
        }
    }
    Ok(if filed && matches!(level, CareLevel::OutOfCounty | CareLevel::OutOfProvince) {
        Referral::Filed
    } else {
        Referral::None
    })
}

/// Settles an encounter.
///
/// # Errors
/// `Validation` naming the field for malformed input (unknown item, quantity, price, missing
/// institution) and `claim.rejected.<Code>` for the engine's coded rejections (not enrolled,
/// outside coverage — before the enrolment date or within a waiting period — …), and
/// `claim.rejected.UnknownPerson` on `resident_id` for a person who is not an active resident of
/// the actor's area (a record outside the scope answers the same); `Conflict` for a key already
/// settled. Nothing is stored then.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn settle(app: &App, actor: &Actor, input: &ClaimInput) -> Result<ClaimView, ServiceError> {
    actor.require(Permission::ClaimSettle)?;
    let resident = residents_repo::get(&app.db, &actor.scope, &input.resident_id)
        .await?
        .filter(|r| r.status == "active")
        .ok_or_else(|| rejection_error(&Rejection::UnknownPerson))?;
    let pool = format!("{}00", &resident.division_code[..4]);
    let mut errs = Errors::default();
    if input.claim_key.trim().is_empty() || input.claim_key.len() > 64 {
        errs.push(FieldError::new(
            "claim_key",
            "claim_key.format",
            "1 to 64 characters",
            "Bad claim key",
            "就诊流水号格式不正确",
        ));
    }
    // Place of care: an institution of the pool (clinicians: their own) or a named outside hospital.
    let institution_id = input.institution_id.clone().or_else(|| {
        if input.outside_name.is_some() || actor.role == Role::InsuranceOfficer {
            None
        } else {
            actor.institution_id.clone()
        }
    });
    let institution = match &institution_id {
        Some(id) => {
            let i = registry::institution(&app.db, id)
                .await?
                .filter(|i| i.division_code.get(..4) == resident.division_code.get(..4));
            let own =
                matches!(actor.role, Role::InsuranceOfficer | Role::Administrator) || actor.institution_id.as_deref() == Some(id.as_str());
            match i {
                Some(i) if own => Some(i),
                _ => {
                    errs.push(FieldError::new(
                        "institution_id",
                        "institution.settle",
                        "the actor's own institution (officers: any institution of the pool)",
                        "Unknown institution, or not one the actor settles for",
                        "机构不存在或无权为该机构结算",
                    ));
                    None
                }
            }
        }
        None => {
            if input.outside_name.as_deref().is_none_or(|n| n.trim().is_empty()) {
                errs.push(FieldError::new(
                    "institution_id",
                    "institution.required",
                    "an institution of the pool or outside_name",
                    "Name the place of care",
                    "请填写就诊机构",
                ));
            }
            None
        }
    };
    if input.med_type == MedType::Inpatient && input.discharge_date.is_none_or(|d| d < input.date) {
        errs.push(FieldError::new(
            "discharge_date",
            "discharge.order",
            "a discharge date on or after admission",
            "Inpatient claims need a discharge date on or after the admission date",
            "住院结算须填写不早于入院日期的出院日期",
        ));
    }
    let catalogue = crate::medicines::catalogue::in_force(app, &pool, input.date).await?;
    let mut all_charges = input.charges.clone();
    let mut rx_links = Vec::new();
    if !input.prescriptions.is_empty() {
        match &institution {
            Some(inst) => {
                let (rx_charges, links, rx_errs) =
                    crate::medicines::prescriptions::claim_charges(app, inst, &resident.id, &input.prescriptions).await?;
                all_charges.extend(rx_charges);
                rx_links = links;
                for e in rx_errs {
                    errs.push(e);
                }
            }
            None => errs.push(FieldError::new(
                "prescriptions",
                "prescription.chargeable",
                "prescriptions dispensed at an institution of the pool",
                "Prescriptions are charged at the institution that dispensed them",
                "处方只能在发药机构结算",
            )),
        }
    }
    let level = match &institution {
        Some(i) => care_level(i, &resident.division_code),
        None => match input.outside_province.as_deref() {
            Some(p) if p.len() != 2 || !p.bytes().all(|b| b.is_ascii_digit()) => {
                return Err(ServiceError::Validation(vec![FieldError::new(
                    "outside_province",
                    "division.province",
                    "the two-digit province code of GB/T 2260 (e.g. 65)",
                    &format!("{p:?} is not a province code"),
                    "省份代码应为两位数字（如 65）",
                )]));
            }
            Some(p) if !resident.division_code.starts_with(p) => CareLevel::OutOfProvince,
            _ => CareLevel::OutOfCounty,
        },
    };
    let mut charges = match &catalogue {
        Some(c) => price_charges(&c.engine, &all_charges, level, &mut errs),
        None => Vec::new(),
    };
    let policy = super::policies::in_force(app, &pool, input.date).await?;
    if policy.is_none() {
        errs.push(FieldError::new(
            "date",
            "claim.rejected.OutsideCoverage",
            "a date covered by a policy version of the pool",
            &format!("No benefit policy of pool {pool} is in force on {}", input.date),
            &format!("统筹区 {pool} 在 {} 没有生效的待遇政策", input.date),
        ));
    }
    // Eligibility records: the approval of a chronic disease, the person category.
    // (A disease off the pool's list is refused by the engine as outside coverage.)
    let listed = |code: &str| {
        policy
            .as_ref()
            .is_some_and(|(_, p)| p.schemes.iter().any(|s| s.chronic.diseases.iter().any(|d| d.code == code)))
    };
    let chronic = if input.med_type == MedType::Chronic {
        input.chronic_disease.as_deref().filter(|c| listed(c))
    } else {
        None
    };
    let (person, retired, eligibility_errors) =
        super::eligibility::for_claim(app, &resident.division_code, &resident.id, input.date, chronic, input.person).await?;
    for e in eligibility_errors {
        errs.push(e);
    }
    if catalogue.is_none() && policy.is_some() {
        errs.push(FieldError::new(
            "date",
            "catalogue.in_force",
            "a day on which a catalogue version of the pool is in force",
            &format!("No catalogue of pool {pool} is in force on {}", input.date),
            &format!("统筹区在 {} 没有生效的医保目录", input.date),
        ));
    }
    errs.finish()?;
    let (policy_id, policy) = policy.ok_or(ServiceError::NotFound)?;
    if let (Some(c), Some(inst)) = (&catalogue, &institution) {
        crate::medicines::prescriptions::apply_payment_standards(
            app,
            &inst.division_code,
            input.date,
            c,
            &all_charges,
            &mut charges,
            policy.over_standard_selfpay,
        )
        .await?;
    }
    // Accumulators belong to the policy year of the service (the admission for a stay across New
    // Year), like the deductible and ceiling the engine applies.
    let year = input.date.year();
    let enrolments = residents_repo::enrolments_of(&app.db, &resident.division_code, &resident.id).await?;
    let enrolment = enrolments
        .iter()
        .find(|e| e.year == i64::from(year) && e.status == "active" && scheme_of(&e.insurance_type).is_some());
    let last_year_before = enrolments
        .iter()
        .filter(|e| e.year < i64::from(year) && e.status != "terminated")
        .filter_map(|e| i32::try_from(e.year).ok())
        .max();
    let covered_from = enrolment.map(|e| policy.coverage_start(e.enrolled_on, last_year_before).from);
    let referral = referral_of(app, &resident.id, institution.as_ref(), level, input.filed).await?;
    let encounter = Encounter {
        claim_key: input.claim_key.trim().to_owned(),
        scheme: enrolment
            .as_ref()
            .and_then(|e| scheme_of(&e.insurance_type))
            .unwrap_or(Scheme::Resident),
        person,
        retired,
        enrolled: enrolment.is_some(),
        covered_from,
        date: input.date,
        level,
        referral,
        med_type: input.med_type,
        chronic_disease: input.chronic_disease.clone(),
        charges,
        account_balance: Fen::new(input.account_balance.max(0)),
    };
    let drg_input = (input.med_type == MedType::Inpatient).then(|| {
        serde_json::json!({
            "sex": if resident.sex == "male" { "1" } else { "2" },
            "age_years": input.date.years_since(resident.birth_date).unwrap_or(0),
            "diagnoses": input.diagnoses,
            "procedures": input.procedures,
        })
        .to_string()
    });
    // Optimistic on the accumulators: a concurrent settlement for the same person retries.
    for _ in 0..5 {
        let stored = repo::accumulators(&app.db, &resident.division_code, &resident.id, i64::from(year)).await?;
        let acc: Accumulators = match &stored {
            Some((body, _)) => serde_json::from_str(body).map_err(|e| ServiceError::Internal(e.into()))?,
            None => Accumulators::default(),
        };
        let s = engine_settle(&policy, &encounter, &acc, &Default::default()).map_err(|r| rejection_error(&r))?;
        let row = claim_row(SettledClaim {
            county: &resident.division_code,
            pool: &pool,
            policy_id: &policy_id,
            resident: &resident.id,
            institution: institution.as_ref(),
            outside_name: input.outside_name.as_deref(),
            claim_key: &input.claim_key,
            med_type: input.med_type,
            date: input.date,
            discharge_date: input.discharge_date,
            charges: &all_charges,
            settlement: &s,
            keep_settlement: true,
            drg_input: drg_input.clone(),
            settled_at: Utc::now(),
        })?;
        let acc_body = serde_json::to_string(&s.accumulators).map_err(|e| ServiceError::Internal(e.into()))?;
        let a = audit::entry(
            actor,
            &resident.division_code,
            "settle",
            "claim",
            &row.id,
            Some(&resident.id),
            &format!("{} fund {} cash {}", row.claim_key, s.fund_pay_sumamt, s.psn_cash_pay),
        );
        let write = AccumulatorWrite {
            year: i64::from(year),
            body: &acc_body,
            expected_version: stored.as_ref().map(|(_, v)| *v),
        };
        match repo::save_claim(&app.db, &row, Some(write), &rx_links, &a).await {
            Ok(()) => return Ok(view(row)),
            Err(sanyi_store::StoreError::VersionConflict { .. }) => continue,
            Err(sanyi_store::StoreError::Constraint { constraint, .. }) if constraint == "prescriptions.claimed_once" => {
                return Err(ServiceError::Conflict(vec![FieldError::new(
                    "prescriptions",
                    "prescription.chargeable",
                    "prescriptions not yet charged",
                    "A prescription was charged on another claim meanwhile",
                    "处方已在其他结算中收费",
                )]));
            }
            Err(e) if e.is_unique_violation() => {
                return Err(rejection_error(&Rejection::Duplicate {
                    claim_key: encounter.claim_key.clone(),
                }));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(ServiceError::VersionConflict { current: 0 })
}

/// What a settled claim is stored from: the encounter as submitted (or generated by the demo
/// year) and the engine's settlement. One builder for the settlement endpoint and the demo year.
pub(crate) struct SettledClaim<'a> {
    /// The insured person's county (the row's division).
    pub county: &'a str,
    /// Pool code.
    pub pool: &'a str,
    /// The policy version that settled it.
    pub policy_id: &'a str,
    /// Resident record id.
    pub resident: &'a str,
    /// Institution of care (none: a hospital outside the registry).
    pub institution: Option<&'a Institution>,
    /// The outside hospital's name (kept only without an institution).
    pub outside_name: Option<&'a str>,
    /// Claim key (trimmed when stored).
    pub claim_key: &'a str,
    /// Medical type.
    pub med_type: MedType,
    /// Date of service (admission for inpatients).
    pub date: NaiveDate,
    /// Discharge date (inpatients).
    pub discharge_date: Option<NaiveDate>,
    /// Itemised charges as submitted.
    pub charges: &'a [ChargeInput],
    /// The engine's settlement.
    pub settlement: &'a Settlement,
    /// Store the whole settlement with its trace (the demo keeps it for inpatients only; the
    /// NHSA fields are columns either way).
    pub keep_settlement: bool,
    /// The DRG grouper's input (inpatients).
    pub drg_input: Option<String>,
    /// When it was settled.
    pub settled_at: DateTime<Utc>,
}

/// The stored row of a settled claim. Its settlement year and month are those of the discharge
/// for an inpatient stay, else of the date of service.
///
/// # Errors
/// `Internal` when the charges or the settlement cannot be serialised.
pub(crate) fn claim_row(c: SettledClaim<'_>) -> Result<ClaimRow, ServiceError> {
    let s = c.settlement;
    let month_day = c.discharge_date.filter(|_| c.med_type == MedType::Inpatient).unwrap_or(c.date);
    let settlement = if c.keep_settlement {
        Some(serde_json::to_string(s).map_err(|e| ServiceError::Internal(e.into()))?)
    } else {
        None
    };
    Ok(ClaimRow {
        division_code: c.county.to_owned(),
        id: sanyi_store::new_id(),
        claim_key: c.claim_key.trim().to_owned(),
        resident_id: c.resident.to_owned(),
        pool_code: c.pool.to_owned(),
        policy_id: Some(c.policy_id.to_owned()),
        institution_division_code: c.institution.map(|i| i.division_code.clone()),
        institution_id: c.institution.map(|i| i.id.clone()),
        outside_name: c.outside_name.filter(|_| c.institution.is_none()).map(str::to_owned),
        in_county: c.institution.is_some_and(|i| i.division_code == c.county),
        med_type: med_type_code(c.med_type).into(),
        care_level: s.dedc_hosp_lv.code().into(),
        service_date: c.date,
        discharge_date: c.discharge_date,
        year: i64::from(month_day.year()),
        month: i64::from(month_day.month()),
        status: "settled".into(),
        rejection: None,
        medfee_sumamt: s.medfee_sumamt.get(),
        hifp_pay: s.hifp_pay.get(),
        hifmi_pay: s.hifmi_pay.get(),
        maf_pay: s.maf_pay.get(),
        acct_pay: s.acct_pay.get(),
        psn_cash_pay: s.psn_cash_pay.get(),
        fund_pay_sumamt: s.fund_pay_sumamt.get(),
        drg_input: c.drg_input,
        charges: serde_json::to_string(c.charges).map_err(|e| ServiceError::Internal(e.into()))?,
        settlement,
        settled_at: c.settled_at,
    })
}

/// The accumulator year of a claim: the year of its service date (the admission for an inpatient
/// stay), whose policy settled it — not the settlement `year` of the claim row, which is the
/// discharge year.
pub fn accumulator_year(c: &ClaimRow) -> i64 {
    i64::from(c.service_date.year())
}

/// The stored code of a medical type.
pub fn med_type_code(m: MedType) -> &'static str {
    match m {
        MedType::Outpatient => "outpatient",
        MedType::Chronic => "chronic",
        MedType::Inpatient => "inpatient",
    }
}

/// Loads a claim the actor may see: officers of the pool; clinicians of the institution of care.
async fn visible(app: &App, actor: &Actor, id: &str) -> Result<ClaimRow, ServiceError> {
    let c = repo::claim(&app.db, id).await?.ok_or(ServiceError::NotFound)?;
    let officer =
        matches!(actor.role, Role::InsuranceOfficer | Role::Administrator) && c.division_code.starts_with(actor.scope.division_prefix());
    let own = actor.institution_id.is_some() && actor.institution_id == c.institution_id;
    if officer || own { Ok(c) } else { Err(ServiceError::NotFound) }
}

/// A claim with its settlement; the read is audited.
///
/// # Errors
/// `NotFound` outside the actor's scope.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn get(app: &App, actor: &Actor, id: &str) -> Result<ClaimView, ServiceError> {
    actor.require(Permission::ClaimSettle)?;
    let c = visible(app, actor, id).await?;
    app.audit
        .record(audit::entry(
            actor,
            &c.division_code,
            "read",
            "claim",
            &c.id,
            Some(&c.resident_id),
            "claim",
        ))
        .await?;
    let review = repo::special_review(&app.db, &c.division_code, &c.id).await?;
    let mut v = view(c);
    v.special_review = review.map(review_view);
    Ok(v)
}

/// A claim as its printed settlement slip shows it (结算单): with the insured person's name and
/// masked ID number and the institution's name.
#[derive(Clone, Debug, Serialize)]
pub struct ClaimSlip {
    /// The claim.
    pub claim: ClaimView,
    /// Insured person's name.
    pub resident_name: String,
    /// Insured person's ID number, masked.
    pub id_number_masked: String,
    /// Where the care was given.
    pub institution_name: String,
}

/// The claim with the names its slip prints; the read is audited as [`get`].
///
/// # Errors
/// As [`get`].
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn slip(app: &App, actor: &Actor, id: &str) -> Result<ClaimSlip, ServiceError> {
    let claim = get(app, actor, id).await?;
    let resident = sanyi_store::residents::get(&app.db, &sanyi_store::residents::ResidentScope::all(), &claim.resident_id).await?;
    let institution_name = match &claim.institution_id {
        Some(i) => sanyi_store::registry::names(&app.db, std::slice::from_ref(i))
            .await?
            .remove(i)
            .unwrap_or_default(),
        None => String::new(),
    };
    Ok(ClaimSlip {
        resident_name: resident.as_ref().map(|r| r.name.clone()).unwrap_or_default(),
        id_number_masked: resident.map(|r| sanyi_domain::mask_id_like(&r.id_number)).unwrap_or_default(),
        institution_name,
        claim,
    })
}

fn review_view(r: repo::SpecialReviewRow) -> SpecialReviewView {
    SpecialReviewView {
        points: sanyi_insurance::Points::from_ten_thousandths(r.points).to_string(),
        points_e4: r.points,
        reason: r.reason,
        reviewed_by: r.reviewed_by,
        reviewed_at: r.reviewed_at,
    }
}

/// Parses points written as a decimal with at most four places into ten-thousandths.
fn parse_points(text: &str) -> Option<i64> {
    let t = text.trim();
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty() || frac.len() > 4 || !whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let w: i64 = whole.parse().ok()?;
    let f: i64 = format!("{frac:0<4}").parse().ok()?;
    w.checked_mul(10_000)?.checked_add(f)
}

/// Marks an inpatient case for special-case review (特病单议) with the points the bureau agreed, or
/// replaces an earlier decision; the settlement run then prices the case with these points
/// instead of its DRG group. Audited.
///
/// # Errors
/// `Forbidden` without the bureau's permission; `NotFound` outside scope; `Validation` for points
/// that are not a positive decimal of at most four places (≤ 100 000 points), an empty reason, or
/// a claim that is not a settled inpatient case inside the insured person's county (only those are
/// priced by points).
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn set_special_review(app: &App, actor: &Actor, id: &str, input: &SpecialReviewInput) -> Result<ClaimView, ServiceError> {
    actor.require(Permission::InsuranceManage)?;
    let c = visible(app, actor, id).await?;
    let mut errs = Errors::default();
    let points = parse_points(&input.points).filter(|p| *p > 0 && *p <= 100_000 * 10_000);
    if points.is_none() {
        errs.push(FieldError::new(
            "points",
            "special_review.points",
            "a decimal above 0 and at most 100000, with at most four places",
            "Points must be a positive decimal, e.g. 420.5",
            "点数须为大于 0 的数值（最多四位小数），如 420.5",
        ));
    }
    if input.reason.trim().is_empty() {
        errs.push(FieldError::required("reason"));
    }
    if c.status != "settled" || c.med_type != "inpatient" || !c.in_county || c.institution_id.is_none() {
        errs.push(FieldError::new(
            "claim",
            "special_review.case",
            "a settled inpatient case treated inside the insured person's county",
            "Only settled in-county inpatient cases are paid by points",
            "仅县域内已结算的住院病例按点数付费，可申请特病单议",
        ));
    }
    errs.finish()?;
    let points = points.ok_or_else(|| ServiceError::Validation(vec![]))?;
    let row = repo::SpecialReviewRow {
        division_code: c.division_code.clone(),
        claim_id: c.id.clone(),
        points,
        reason: input.reason.trim().to_owned(),
        reviewed_by: actor.username.clone(),
        reviewed_at: Utc::now(),
    };
    let a = audit::entry(
        actor,
        &c.division_code,
        "special_review",
        "claim",
        &c.id,
        Some(&c.resident_id),
        &format!("{} points", sanyi_insurance::Points::from_ten_thousandths(points)),
    );
    repo::put_special_review(&app.db, &row, &a).await?;
    let mut v = view(c);
    v.special_review = Some(review_view(row));
    Ok(v)
}

/// Reverses a settled claim (冲正): the accumulators are restored by the settlement's delta and the
/// claim key may be settled again.
///
/// # Errors
/// `NotFound` outside scope; `Conflict` when the claim is not settled (already reversed) or has no
/// stored settlement; `VersionConflict` when the person's accumulators moved meanwhile (retry).
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn reverse(app: &App, actor: &Actor, id: &str) -> Result<ClaimView, ServiceError> {
    actor.require(Permission::ClaimSettle)?;
    let c = visible(app, actor, id).await?;
    let conflict =
        |rule: &str, en: &str, zh: &str| ServiceError::Conflict(vec![FieldError::new("status", rule, "a settled claim", en, zh)]);
    if c.status != "settled" {
        return Err(conflict(
            "claim.reverse.state",
            "Only a settled claim can be reversed",
            "只能冲正已结算的单据",
        ));
    }
    let s: Settlement = c.settlement.as_deref().and_then(|s| serde_json::from_str(s).ok()).ok_or_else(|| {
        conflict(
            "claim.reverse.detail",
            "The claim has no stored settlement detail",
            "该单据无结算明细，无法冲正",
        )
    })?;
    let acc_year = accumulator_year(&c);
    let (body, version) = repo::accumulators(&app.db, &c.division_code, &c.resident_id, acc_year)
        .await?
        .ok_or_else(|| {
            conflict(
                "claim.reverse.accumulators",
                "No accumulators for the claim's year",
                "无该年度累计记录",
            )
        })?;
    let acc: Accumulators = serde_json::from_str(&body).map_err(|e| ServiceError::Internal(e.into()))?;
    let restored = reverse_delta(&s)
        .and_then(|d| acc.apply(&d))
        .map_err(|e| ServiceError::Internal(anyhow::anyhow!("accumulator overflow: {e}")))?;
    let restored = serde_json::to_string(&restored).map_err(|e| ServiceError::Internal(e.into()))?;
    let a = audit::entry(
        actor,
        &c.division_code,
        "reverse",
        "claim",
        &c.id,
        Some(&c.resident_id),
        &c.claim_key,
    );
    let write = AccumulatorWrite {
        year: acc_year,
        body: &restored,
        expected_version: Some(version),
    };
    repo::reverse_claim(&app.db, &c, write, &a).await?;
    let mut out = view(c);
    out.status = "reversed".into();
    Ok(out)
}

/// Which claims a list shows (the page's filters).
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct ClaimListQuery {
    /// Only this year.
    #[serde(default)]
    pub year: Option<i64>,
    /// Only this kind of care (`outpatient`, `chronic`, `inpatient`).
    #[serde(default)]
    pub med_type: Option<String>,
    /// Only `settled` or `reversed` claims.
    #[serde(default)]
    pub status: Option<String>,
    /// `amount`: largest first; otherwise newest first.
    #[serde(default)]
    pub sort: Option<String>,
}

/// One row of a claims list (结算单列表).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ClaimListItem {
    /// Id.
    pub id: String,
    /// Claim key.
    pub claim_key: String,
    /// Insured person's name.
    pub resident_name: String,
    /// Insured person's ID number, masked.
    pub id_number_masked: String,
    /// Where the care was given.
    pub institution_name: String,
    /// `outpatient`, `chronic`, `inpatient`.
    pub med_type: String,
    /// Date of care.
    pub service_date: NaiveDate,
    /// `settled` or `reversed`.
    pub status: String,
    /// Total expenses (fen).
    pub medfee_sumamt: i64,
    /// Paid by the funds (fen).
    pub fund_pay_sumamt: i64,
    /// Paid by the patient in cash (fen).
    pub psn_cash_pay: i64,
}

/// The claims the actor may see, filtered and paged: the bureau's officers and administrators see
/// the claims of the insured in their area, a clerk at the point of care those of their own
/// institution. Names and masked ID numbers only (the list is not a read of anyone's record).
///
/// # Errors
/// `Forbidden` without the permission or an institution; `Validation` for an unknown filter value.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn list(app: &App, actor: &Actor, q: &ClaimListQuery, page: Page) -> Result<Paged<ClaimListItem>, ServiceError> {
    actor.require(Permission::ClaimSettle)?;
    let mut errs = Errors::default();
    let known = |field: &str, v: &Option<String>, allowed: &[&str], zh: &str| -> Option<FieldError> {
        v.as_deref()
            .filter(|s| !s.is_empty() && !allowed.contains(s))
            .map(|s| FieldError::new(field, "enum", &allowed.join(", "), &format!("Unknown {field} {s:?}"), zh))
    };
    if let Some(e) = known("med_type", &q.med_type, &["outpatient", "chronic", "inpatient"], "未知的医疗类别") {
        errs.push(e);
    }
    if let Some(e) = known("status", &q.status, &["settled", "reversed"], "未知的结算状态") {
        errs.push(e);
    }
    errs.finish()?;
    let bureau = actor.role.can(Permission::InsuranceRead);
    if !bureau && actor.institution_id.is_none() {
        return Err(ServiceError::Forbidden {
            role: actor.role.code(),
            permission: "claim.institution",
        });
    }
    let filter = repo::ClaimFilter {
        prefix: if bureau {
            actor.scope.division_prefix().to_owned()
        } else {
            String::new()
        },
        institution_id: if bureau { None } else { actor.institution_id.clone() },
        year: q.year,
        med_type: q.med_type.clone().filter(|s| !s.is_empty()),
        status: q.status.clone().filter(|s| !s.is_empty()),
        by_amount: q.sort.as_deref() == Some("amount"),
    };
    let lines = repo::claim_lines(&app.db, &filter, page).await?;
    let names = crate::workflow::Names::load(
        app,
        lines.items.iter().filter_map(|l| l.institution_id.clone()).collect(),
        lines.items.iter().map(|l| l.resident_id.clone()).collect(),
    )
    .await?;
    let items = lines
        .items
        .into_iter()
        .map(|l| {
            let (resident_name, id_number) = names.residents.get(&l.resident_id).cloned().unwrap_or_default();
            ClaimListItem {
                institution_name: l
                    .institution_id
                    .as_ref()
                    .and_then(|i| names.institutions.get(i).cloned())
                    .or(l.outside_name)
                    .unwrap_or_default(),
                id_number_masked: sanyi_domain::mask_id_like(&id_number),
                resident_name,
                id: l.id,
                claim_key: l.claim_key,
                med_type: l.med_type,
                service_date: l.service_date,
                status: l.status,
                medfee_sumamt: l.medfee_sumamt,
                fund_pay_sumamt: l.fund_pay_sumamt,
                psn_cash_pay: l.psn_cash_pay,
            }
        })
        .collect();
    Ok(Paged {
        items,
        total: lines.total,
        offset: lines.offset,
        limit: lines.limit,
    })
}
