//! One-stop settlement (一站式结算, docs/rules/benefits.md#adjudication-order) of one encounter into the NHSA settlement fields.
//!
//! Order: fully self-paid items → above price cap → class-B pre-self-pay → in-scope amount →
//! deductible → pooled fund (ratio, ceiling) → co-insurance → critical illness → medical
//! assistance → personal account → cash. Each step is recorded in the [`Trace`].

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};
use sanyi_domain::{BasisPoints, Fen, MoneyError};
use serde::{Deserialize, Serialize};

use crate::policy::{CareLevel, CriticalIllnessBenefit, ItemCategory, PersonCategory, Policy, Scheme};
use crate::trace::Trace;

/// Medical type (医疗类别, NHSA `med_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MedType {
    /// `11` ordinary outpatient (普通门诊), settled by outpatient pooling.
    #[serde(rename = "11")]
    Outpatient,
    /// `14` chronic/special-disease outpatient (门诊慢特病).
    #[serde(rename = "14")]
    Chronic,
    /// `21` ordinary inpatient (普通住院).
    #[serde(rename = "21")]
    Inpatient,
}

impl MedType {
    /// NHSA code.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            MedType::Outpatient => "11",
            MedType::Chronic => "14",
            MedType::Inpatient => "21",
        }
    }
}

/// Referral status of the encounter (转诊状态, docs/rules/referral.md#insurance-linkage).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Referral {
    /// No referral; outside the county this is "unreferred" (ratio reduced).
    None,
    /// Upward referral (上转) from a lower level: only the deductible difference is paid.
    Upward {
        /// Level of the referring institution.
        from: CareLevel,
    },
    /// Down-referral (下转): the second deductible is waived.
    Downward,
    /// Out-of-area care filed in advance (异地就医备案): the filed reduction applies.
    Filed,
}

/// One itemised charge (费用明细).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charge {
    /// NHSA item code (药品/耗材/医疗服务项目编码).
    pub code: String,
    /// Catalogue class 甲/乙/丙.
    pub category: ItemCategory,
    /// Amount charged.
    pub amount: Fen,
    /// Part of `amount` above the price cap (超限价部分), or above the payment standard of a
    /// generic with selected products (docs/rules/procurement.md#payment-standard), 0 ≤ over_cap ≤ amount.
    pub over_cap: Fen,
    /// The catalogue's own pre-self-pay share of a 乙 item (乙类先自付比例), in place of the
    /// policy's `class_b_preselfpay` (docs/rules/benefits.md#adjudication-order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_pay: Option<BasisPoints>,
}

/// An encounter to settle (就诊结算申请).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Encounter {
    /// Claim key used for duplicate detection (e.g. `mdtrt_id`).
    pub claim_key: String,
    /// Scheme of the person.
    pub scheme: Scheme,
    /// Person category.
    pub person: PersonCategory,
    /// A retired employee (退休人员, recorded as an eligibility): the scheme's
    /// `retiree_ratio_bonus` is added to the ratios.
    #[serde(default)]
    pub retired: bool,
    /// Enrolled for the policy year.
    pub enrolled: bool,
    /// First day the enrolment is covered (enrolment date, after any waiting period, see
    /// [`Policy::coverage_start`]); `None`: the whole policy year.
    #[serde(default)]
    pub covered_from: Option<NaiveDate>,
    /// Settlement date (admission date for inpatients).
    pub date: NaiveDate,
    /// Level of the place of care.
    pub level: CareLevel,
    /// Referral status.
    pub referral: Referral,
    /// Medical type.
    pub med_type: MedType,
    /// Approved chronic disease code, required for [`MedType::Chronic`].
    pub chronic_disease: Option<String>,
    /// Itemised charges.
    pub charges: Vec<Charge>,
    /// Personal account balance (employees; ignored for residents).
    pub account_balance: Fen,
}

/// A person's year-to-date accumulators (年度累计), also used as a delta.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accumulators {
    /// Outpatient-pooling deductible used this year.
    pub deductible_outpatient: Fen,
    /// Chronic-disease deductible used this year.
    pub deductible_chronic: Fen,
    /// Inpatient deductibles paid this year (per admission, informational).
    pub deductible_inpatient: Fen,
    /// Pooled fund paid for inpatient and chronic care (counts against the annual ceiling).
    pub fund_paid: Fen,
    /// Pooled fund paid by outpatient pooling.
    pub outpatient_fund_paid: Fen,
    /// Pooled fund paid for chronic care (counts against the chronic limit).
    pub chronic_fund_paid: Fen,
    /// Cumulative in-scope personal share that qualifies for critical illness.
    pub critical_illness_base: Fen,
    /// Critical-illness insurance paid.
    pub critical_illness_paid: Fen,
    /// Medical assistance paid.
    pub assistance_paid: Fen,
    /// Medical-assistance deductible met this year (救助起付标准).
    #[serde(default)]
    pub assistance_deductible: Fen,
    /// Admissions this year.
    pub admissions: i64,
}

impl Accumulators {
    /// `self + delta`, field by field.
    ///
    /// # Errors
    /// [`MoneyError::Overflow`].
    pub fn apply(&self, d: &Accumulators) -> Result<Accumulators, MoneyError> {
        Ok(Accumulators {
            deductible_outpatient: self.deductible_outpatient.checked_add(d.deductible_outpatient)?,
            deductible_chronic: self.deductible_chronic.checked_add(d.deductible_chronic)?,
            deductible_inpatient: self.deductible_inpatient.checked_add(d.deductible_inpatient)?,
            fund_paid: self.fund_paid.checked_add(d.fund_paid)?,
            outpatient_fund_paid: self.outpatient_fund_paid.checked_add(d.outpatient_fund_paid)?,
            chronic_fund_paid: self.chronic_fund_paid.checked_add(d.chronic_fund_paid)?,
            critical_illness_base: self.critical_illness_base.checked_add(d.critical_illness_base)?,
            critical_illness_paid: self.critical_illness_paid.checked_add(d.critical_illness_paid)?,
            assistance_paid: self.assistance_paid.checked_add(d.assistance_paid)?,
            assistance_deductible: self.assistance_deductible.checked_add(d.assistance_deductible)?,
            admissions: self.admissions.checked_add(d.admissions).ok_or(MoneyError::Overflow)?,
        })
    }

    /// The negated accumulators (for reversal).
    ///
    /// # Errors
    /// [`MoneyError::Overflow`] (only for `i64::MIN`).
    pub fn negated(&self) -> Result<Accumulators, MoneyError> {
        Accumulators::default().sub(self)
    }

    fn sub(&self, d: &Accumulators) -> Result<Accumulators, MoneyError> {
        let n = |a: Fen, b: Fen| a.checked_sub(b);
        Ok(Accumulators {
            deductible_outpatient: n(self.deductible_outpatient, d.deductible_outpatient)?,
            deductible_chronic: n(self.deductible_chronic, d.deductible_chronic)?,
            deductible_inpatient: n(self.deductible_inpatient, d.deductible_inpatient)?,
            fund_paid: n(self.fund_paid, d.fund_paid)?,
            outpatient_fund_paid: n(self.outpatient_fund_paid, d.outpatient_fund_paid)?,
            chronic_fund_paid: n(self.chronic_fund_paid, d.chronic_fund_paid)?,
            critical_illness_base: n(self.critical_illness_base, d.critical_illness_base)?,
            critical_illness_paid: n(self.critical_illness_paid, d.critical_illness_paid)?,
            assistance_paid: n(self.assistance_paid, d.assistance_paid)?,
            assistance_deductible: n(self.assistance_deductible, d.assistance_deductible)?,
            admissions: self.admissions.checked_sub(d.admissions).ok_or(MoneyError::Overflow)?,
        })
    }
}

/// Why an encounter lies outside coverage (不在保障范围).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CoverageGap {
    /// The date precedes the policy's `effective_from`.
    BeforePolicy,
    /// The date is in another policy year.
    OtherYear,
    /// A chronic encounter without an approved disease.
    NoChronicDisease,
    /// The disease is not on the chronic list.
    DiseaseNotOnList {
        /// Disease code.
        code: String,
    },
    /// The scheme has no benefits in this policy.
    SchemeNotInPolicy,
    /// The date precedes the first covered day of the enrolment (enrolment date or the end of a
    /// waiting period, 待遇等待期).
    BeforeCoverage {
        /// First covered day.
        from: NaiveDate,
    },
}

/// A coded rejection (拒付原因).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum Rejection {
    /// The person is not enrolled (未参保或待遇等待期).
    #[error("not enrolled / 未参保")]
    NotEnrolled,
    /// No active person of that id in the registry (参保人不存在或已注销).
    #[error("unknown person / 参保人不存在或已注销")]
    UnknownPerson,
    /// Outside coverage (不在保障范围).
    #[error("outside coverage / 不在保障范围: {0:?}")]
    OutsideCoverage(CoverageGap),
    /// One item is not covered in this pool; it is moved to self-pay (项目不予支付).
    #[error("item {index} ({code}) not covered / 项目不予支付")]
    ItemNotCovered {
        /// Index in `charges`.
        index: usize,
        /// Item code.
        code: String,
    },
    /// A charge is malformed: negative amount, or the over-cap part outside 0..=amount.
    #[error("invalid charge {index} / 费用明细无效")]
    InvalidCharge {
        /// Index in `charges`.
        index: usize,
    },
    /// No charges (无费用明细).
    #[error("no charges / 无费用明细")]
    NoCharges,
    /// Already settled (重复结算).
    #[error("duplicate claim {claim_key} / 重复结算")]
    Duplicate {
        /// The claim key.
        claim_key: String,
    },
    /// An amount left the range of [`Fen`].
    #[error("amount out of range / 金额超出范围")]
    Overflow,
}

impl Rejection {
    /// Stable code of the reason.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::NotEnrolled => "NotEnrolled",
            Rejection::UnknownPerson => "UnknownPerson",
            Rejection::OutsideCoverage(_) => "OutsideCoverage",
            Rejection::ItemNotCovered { .. } => "ItemNotCovered",
            Rejection::InvalidCharge { .. } => "InvalidCharge",
            Rejection::NoCharges => "NoCharges",
            Rejection::Duplicate { .. } => "Duplicate",
            Rejection::Overflow => "Overflow",
        }
    }
}

impl From<MoneyError> for Rejection {
    fn from(_: MoneyError) -> Rejection {
        Rejection::Overflow
    }
}

/// The result of one-stop settlement (结算结果), with NHSA field names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settlement {
    /// Claim key.
    pub claim_key: String,
    /// Scheme (`insutype`).
    pub insutype: Scheme,
    /// Medical type.
    pub med_type: MedType,
    /// Level used for the deductible (`dedc_hosp_lv`).
    pub dedc_hosp_lv: CareLevel,
    /// Referral settlement flag (`refd_setl_flag`).
    pub refd_setl_flag: bool,
    /// Total (`medfee_sumamt`).
    pub medfee_sumamt: Fen,
    /// Fully self-paid: class C and rejected items (`fulamt_ownpay_amt`).
    pub fulamt_ownpay_amt: Fen,
    /// Above the price cap (`overlmt_selfpay`).
    pub overlmt_selfpay: Fen,
    /// Class-B pre-self-pay (`preselfpay_amt`).
    pub preselfpay_amt: Fen,
    /// In-scope amount (`inscp_amt`).
    pub inscp_amt: Fen,
    /// Deductible applied (`act_pay_dedc`).
    pub act_pay_dedc: Fen,
    /// Pooled fund (`hifp_pay`).
    pub hifp_pay: Fen,
    /// Co-insurance within scope, including any part above the ceiling (`pool_prop_selfpay`).
    pub pool_prop_selfpay: Fen,
    /// Resident critical illness (`hifmi_pay`).
    pub hifmi_pay: Fen,
    /// Medical assistance (`maf_pay`).
    pub maf_pay: Fen,
    /// Personal account (`acct_pay`).
    pub acct_pay: Fen,
    /// Cash (`psn_cash_pay`).
    pub psn_cash_pay: Fen,
    /// All funds (`fund_pay_sumamt`) = hifp + hifmi + maf.
    pub fund_pay_sumamt: Fen,
    /// Item-level rejections ([`Rejection::ItemNotCovered`]); those items are self-paid.
    pub item_rejections: Vec<Rejection>,
    /// What this settlement added to the accumulators.
    pub delta: Accumulators,
    /// The accumulators after this settlement.
    pub accumulators: Accumulators,
    /// Step-by-step trace.
    pub trace: Trace,
}

/// The accumulator delta that undoes a settlement (冲正/退费): apply it to the accumulators.
///
/// # Errors
/// [`MoneyError::Overflow`].
pub fn reverse(s: &Settlement) -> Result<Accumulators, MoneyError> {
    s.delta.negated()
}

fn nonneg(f: Fen) -> Fen {
    f.max(Fen::ZERO)
}

/// Settles one encounter against the policy and the person's accumulators (一站式结算).
/// `settled` holds the claim keys already settled.
///
/// # Errors
/// A coded [`Rejection`] for claim-level problems; item-level problems are listed in
/// [`Settlement::item_rejections`] instead.
///
/// # Example
/// ```
/// use sanyi_domain::Fen;
/// use sanyi_insurance::settlement::{Accumulators, Charge, Encounter, MedType, Referral, settle};
/// use sanyi_insurance::{CareLevel, ItemCategory, PersonCategory, Policy, Scheme};
/// let enc = Encounter {
///     claim_key: "M1".into(), scheme: Scheme::Resident, person: PersonCategory::Ordinary, retired: false,
///     enrolled: true, covered_from: None, date: chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
///     level: CareLevel::County, referral: Referral::None, med_type: MedType::Inpatient,
///     chronic_disease: None, account_balance: Fen::ZERO,
///     charges: vec![Charge { code: "X".into(), category: ItemCategory::A, amount: Fen::from_yuan(1_500)?, over_cap: Fen::ZERO, self_pay: None }],
/// };
/// let s = settle(&Policy::example_changji_2026(), &enc, &Accumulators::default(), &Default::default()).unwrap();
/// // 1 500 − 500 deductible = 1 000 × 75 % = 750 yuan from the pooled fund.
/// assert_eq!(s.hifp_pay, Fen::from_yuan(750)?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn settle(policy: &Policy, enc: &Encounter, acc: &Accumulators, settled: &BTreeSet<String>) -> Result<Settlement, Rejection> {
    if settled.contains(&enc.claim_key) {
        return Err(Rejection::Duplicate {
            claim_key: enc.claim_key.clone(),
        });
    }
    if !enc.enrolled {
        return Err(Rejection::NotEnrolled);
    }
    let benefit = policy
        .scheme(enc.scheme)
        .ok_or(Rejection::OutsideCoverage(CoverageGap::SchemeNotInPolicy))?;
    if enc.date.year() != policy.year {
        return Err(Rejection::OutsideCoverage(CoverageGap::OtherYear));
    }
    if enc.date < policy.effective_from {
        return Err(Rejection::OutsideCoverage(CoverageGap::BeforePolicy));
    }
    if let Some(from) = enc.covered_from.filter(|f| enc.date < *f) {
        return Err(Rejection::OutsideCoverage(CoverageGap::BeforeCoverage { from }));
    }
    if enc.med_type == MedType::Chronic {
        let Some(d) = &enc.chronic_disease else {
            return Err(Rejection::OutsideCoverage(CoverageGap::NoChronicDisease));
        };
        if !benefit.chronic.diseases.iter().any(|x| &x.code == d) {
            return Err(Rejection::OutsideCoverage(CoverageGap::DiseaseNotOnList { code: d.clone() }));
        }
    }
    if enc.charges.is_empty() {
        return Err(Rejection::NoCharges);
    }
    for (index, c) in enc.charges.iter().enumerate() {
        if c.amount.get() < 0 || c.over_cap.get() < 0 || c.over_cap > c.amount {
            return Err(Rejection::InvalidCharge { index });
        }
    }

    let mut t = Trace::new();
    t.push(
        "settlement.policy",
        &[
            ("pool", policy.pool.clone()),
            ("year", policy.year.to_string()),
            ("version", policy.version.clone()),
            ("insutype", enc.scheme.code().to_owned()),
            ("med_type", enc.med_type.code().to_owned()),
        ],
        Fen::ZERO,
        Fen::ZERO,
        "Policy version applied",
        "适用的待遇政策版本",
    );
    let lv = enc.level;
    let mut item_rejections = Vec::new();

    // 1. Item classification.
    let (mut medfee, mut fulamt, mut overlmt, mut presp, mut inscp) = (Fen::ZERO, Fen::ZERO, Fen::ZERO, Fen::ZERO, Fen::ZERO);
    for (index, c) in enc.charges.iter().enumerate() {
        medfee = medfee.checked_add(c.amount)?;
        if policy.excluded_items.iter().any(|x| x == &c.code) {
            item_rejections.push(Rejection::ItemNotCovered {
                index,
                code: c.code.clone(),
            });
            fulamt = fulamt.checked_add(c.amount)?;
            continue;
        }
        match c.category {
            ItemCategory::C => fulamt = fulamt.checked_add(c.amount)?,
            ItemCategory::A | ItemCategory::B => {
                overlmt = overlmt.checked_add(c.over_cap)?;
                let rest = c.amount.checked_sub(c.over_cap)?;
                let pre = if c.category == ItemCategory::B {
                    rest.apply_bp(c.self_pay.unwrap_or(policy.class_b_preselfpay))?
                } else {
                    Fen::ZERO
                };
                presp = presp.checked_add(pre)?;
                inscp = inscp.checked_add(rest.checked_sub(pre)?)?;
            }
        }
    }
    t.push(
        "settlement.total",
        &[("items", enc.charges.len().to_string())],
        medfee,
        medfee,
        "Total of itemised charges",
        "费用总额 medfee_sumamt",
    );
    t.push(
        "settlement.fully_self_paid",
        &[("rejected_items", item_rejections.len().to_string())],
        medfee,
        fulamt,
        "Class C and rejected items are fully self-paid",
        "丙类及不予支付项目全自费 fulamt_ownpay_amt",
    );
    t.push(
        "settlement.over_price_cap",
        &[],
        medfee,
        overlmt,
        "Parts above the price cap",
        "超限价自付 overlmt_selfpay",
    );
    t.push(
        "settlement.class_b_preselfpay",
        &[("class_b_preselfpay", policy.class_b_preselfpay.to_string())],
        medfee,
        presp,
        "Class B pre-self-pay share",
        "乙类先自付 preselfpay_amt",
    );
    t.push(
        "settlement.in_scope",
        &[],
        medfee,
        inscp,
        "In-scope amount",
        "政策范围内费用 inscp_amt",
    );

    // 2. Deductible.
    let mut delta = Accumulators::default();
    let (dedc, dedc_param): (Fen, Vec<(String, String)>) = match enc.med_type {
        MedType::Inpatient => {
            let ip = &benefit.inpatient;
            let repeat = acc.admissions >= 1;
            let scale = |f: Fen| {
                if repeat {
                    f.apply_bp(ip.repeat_admission_deductible)
                } else {
                    Ok(f)
                }
            };
            let own = scale(ip.deductible.get(lv))?;
            let d = match enc.referral {
                Referral::Downward => Fen::ZERO,
                Referral::Upward { from } => nonneg(own.checked_sub(scale(ip.deductible.get(from))?)?),
                Referral::None | Referral::Filed => own,
            };
            delta.admissions = 1;
            let mut ps = vec![
                (format!("inpatient.deductible.{}", lv.code()), ip.deductible.get(lv).to_string()),
                ("referral".to_owned(), format!("{:?}", enc.referral)),
            ];
            if repeat {
                ps.push((
                    "inpatient.repeat_admission_deductible".to_owned(),
                    ip.repeat_admission_deductible.to_string(),
                ));
            }
            (d.min(inscp), ps)
        }
        MedType::Outpatient => {
            let full = benefit.outpatient.annual_deductible.get(lv);
            let rem = nonneg(full.checked_sub(acc.deductible_outpatient)?);
            (
                rem.min(inscp),
                vec![
                    (format!("outpatient.annual_deductible.{}", lv.code()), full.to_string()),
                    ("used".to_owned(), acc.deductible_outpatient.to_string()),
                ],
            )
        }
        MedType::Chronic => {
            let full = benefit.chronic.annual_deductible;
            let rem = nonneg(full.checked_sub(acc.deductible_chronic)?);
            (
                rem.min(inscp),
                vec![
                    ("chronic.annual_deductible".to_owned(), full.to_string()),
                    ("used".to_owned(), acc.deductible_chronic.to_string()),
                ],
            )
        }
    };
    match enc.med_type {
        MedType::Inpatient => delta.deductible_inpatient = dedc,
        MedType::Outpatient => delta.deductible_outpatient = dedc,
        MedType::Chronic => delta.deductible_chronic = dedc,
    }
    t.push_owned(
        "settlement.deductible",
        dedc_param,
        inscp,
        dedc,
        "Deductible applied",
        "起付线 act_pay_dedc",
    );

    // 3. Ratio.
    let (base_ratio, ratio_name) = match enc.med_type {
        MedType::Inpatient => (benefit.inpatient.ratio.get(lv), format!("inpatient.ratio.{}", lv.code())),
        MedType::Outpatient => (benefit.outpatient.ratio.get(lv), format!("outpatient.ratio.{}", lv.code())),
        MedType::Chronic => (benefit.chronic.ratio, "chronic.ratio".to_owned()),
    };
    // Retired employees: the scheme's bonus on every ratio (never above 100 %).
    let retiree_bonus = if enc.retired {
        benefit.retiree_ratio_bonus
    } else {
        BasisPoints::new(0)
    };
    let base_ratio = BasisPoints::new(base_ratio.get().saturating_add(retiree_bonus.get()).min(10_000));
    let reduction = match (lv, enc.referral) {
        (CareLevel::OutOfCounty | CareLevel::OutOfProvince, Referral::None) => policy.out_of_area.unreferred_reduction,
        (CareLevel::OutOfCounty | CareLevel::OutOfProvince, Referral::Filed) => policy.out_of_area.filed_reduction,
        _ => BasisPoints::new(0),
    };
    let ratio = BasisPoints::new(base_ratio.get().saturating_sub(reduction.get()));
    let remainder = inscp.checked_sub(dedc)?;
    let raw = remainder.apply_bp(ratio)?;
    t.push(
        "settlement.ratio",
        &[
            (ratio_name.as_str(), base_ratio.to_string()),
            ("retiree_ratio_bonus", retiree_bonus.to_string()),
            ("out_of_area.reduction", reduction.to_string()),
            ("ratio", ratio.to_string()),
        ],
        remainder,
        raw,
        "Pooled fund before limits = (in-scope − deductible) × ratio",
        "统筹基金（限额前）=（政策范围内费用 − 起付线）× 报销比例",
    );

    // 4. Ceiling / limits.
    let (cap, cap_params): (Fen, Vec<(String, String)>) = match enc.med_type {
        MedType::Inpatient => {
            let c = nonneg(benefit.annual_ceiling.checked_sub(acc.fund_paid)?);
            (
                c,
                vec![
                    ("annual_ceiling".to_owned(), benefit.annual_ceiling.to_string()),
                    ("fund_paid".to_owned(), acc.fund_paid.to_string()),
                ],
            )
        }
        MedType::Chronic => {
            let c1 = nonneg(benefit.annual_ceiling.checked_sub(acc.fund_paid)?);
            let c2 = nonneg(benefit.chronic.annual_limit.checked_sub(acc.chronic_fund_paid)?);
            (
                c1.min(c2),
                vec![
                    ("annual_ceiling".to_owned(), benefit.annual_ceiling.to_string()),
                    ("chronic.annual_limit".to_owned(), benefit.chronic.annual_limit.to_string()),
                ],
            )
        }
        MedType::Outpatient => {
            let pv = benefit.outpatient.per_visit_limit.get(lv);
            let c2 = nonneg(benefit.outpatient.annual_limit.checked_sub(acc.outpatient_fund_paid)?);
            (
                pv.min(c2),
                vec![
                    (format!("outpatient.per_visit_limit.{}", lv.code()), pv.to_string()),
                    ("outpatient.annual_limit".to_owned(), benefit.outpatient.annual_limit.to_string()),
                ],
            )
        }
    };
    let hifp = raw.min(cap);
    let coins = remainder.checked_sub(hifp)?;
    t.push_owned(
        "settlement.fund_limit",
        cap_params,
        raw,
        hifp,
        "Pooled fund capped by the remaining ceiling/limit",
        "统筹基金按剩余限额封顶 hifp_pay",
    );
    t.push(
        "settlement.coinsurance",
        &[],
        remainder,
        coins,
        "Co-insurance (incl. above ceiling)",
        "政策范围内个人自付 pool_prop_selfpay",
    );
    match enc.med_type {
        MedType::Inpatient => delta.fund_paid = hifp,
        MedType::Chronic => {
            delta.fund_paid = hifp;
            delta.chronic_fund_paid = hifp;
        }
        MedType::Outpatient => delta.outpatient_fund_paid = hifp,
    }

    // 5. Critical illness.
    let personal_in_scope = dedc.checked_add(coins)?;
    let mut hifmi = Fen::ZERO;
    match (&benefit.critical_illness, enc.med_type) {
        (Some(ci), MedType::Inpatient | MedType::Chronic)
        | (
            Some(
                ci @ CriticalIllnessBenefit {
                    covers_outpatient_pooling: true,
                    ..
                },
            ),
            MedType::Outpatient,
        ) => {
            let special = ci.is_special(enc.person);
            let threshold = if special {
                ci.threshold.checked_sub(ci.threshold.apply_bp(ci.special_threshold_reduction)?)?
            } else {
                ci.threshold
            };
            let bonus = if special { ci.special_ratio_bonus.get() } else { 0 };
            let c0 = acc.critical_illness_base;
            let c1 = c0.checked_add(personal_in_scope)?;
            let lo = nonneg(c0.checked_sub(threshold)?);
            let hi = nonneg(c1.checked_sub(threshold)?);
            let mut sum = Fen::ZERO;
            for (i, b) in ci.bands.iter().enumerate() {
                let end = ci.bands.get(i + 1).map(|n| n.from);
                let s = lo.max(b.from);
                let e = end.map_or(hi, |e| hi.min(e));
                if e > s {
                    let r = BasisPoints::new(b.ratio.get().saturating_add(bonus).min(10_000));
                    let portion = e.checked_sub(s)?;
                    let pay = portion.apply_bp(r)?;
                    let pname = format!("critical_illness.bands[{i}].ratio");
                    t.push(
                        "settlement.critical_illness.band",
                        &[(pname.as_str(), r.to_string()), ("threshold", threshold.to_string())],
                        portion,
                        pay,
                        "Critical illness on the band above the threshold",
                        "大病保险：起付标准以上分段支付",
                    );
                    sum = sum.checked_add(pay)?;
                }
            }
            let limit = if special && ci.special_no_limit {
                sum
            } else {
                nonneg(ci.annual_limit.checked_sub(acc.critical_illness_paid)?)
            };
            hifmi = sum.min(limit).min(personal_in_scope);
            delta.critical_illness_base = personal_in_scope;
            t.push(
                "settlement.critical_illness",
                &[
                    ("critical_illness.annual_limit", ci.annual_limit.to_string()),
                    ("special_population", special.to_string()),
                ],
                personal_in_scope,
                hifmi,
                "Critical-illness insurance on the in-scope personal share",
                "大病保险 hifmi_pay",
            );
        }
        _ => t.push(
            "settlement.critical_illness",
            &[],
            personal_in_scope,
            Fen::ZERO,
            "No critical-illness layer for this scheme/type",
            "本险种/类别无大病保险",
        ),
    }
    delta.critical_illness_paid = hifmi;

    // 6. Medical assistance.
    let maf_base = personal_in_scope.checked_sub(hifmi)?;
    let maf_ratio = policy.assistance.ratio(enc.person);
    // The category's annual deductible is met first (what the person still owes below it is
    // not assisted).
    let maf_deductible = policy.assistance.deductible(enc.person);
    let maf_ded = maf_base.min(nonneg(maf_deductible.checked_sub(acc.assistance_deductible)?));
    delta.assistance_deductible = maf_ded;
    let maf_raw = maf_base.checked_sub(maf_ded)?.apply_bp(maf_ratio)?;
    let maf_left = nonneg(policy.assistance.annual_limit.checked_sub(acc.assistance_paid)?);
    let maf = maf_raw.min(maf_left);
    delta.assistance_paid = maf;
    t.push(
        "settlement.assistance",
        &[
            ("assistance.ratio", maf_ratio.to_string()),
            ("assistance.deductible", maf_deductible.to_string()),
            ("assistance_deductible_met", acc.assistance_deductible.to_string()),
            ("assistance.annual_limit", policy.assistance.annual_limit.to_string()),
            ("assistance_paid", acc.assistance_paid.to_string()),
        ],
        maf_base,
        maf,
        "Medical assistance on the remaining in-scope personal share",
        "医疗救助 maf_pay",
    );

    // 7. Personal share.
    let fund_sum = Fen::sum([hifp, hifmi, maf])?;
    let personal = medfee.checked_sub(fund_sum)?;
    let acct = if enc.scheme == Scheme::Employee {
        nonneg(enc.account_balance).min(personal)
    } else {
        Fen::ZERO
    };
    let cash = personal.checked_sub(acct)?;
    t.push(
        "settlement.fund_total",
        &[],
        medfee,
        fund_sum,
        "All funds = pooled + critical illness + assistance",
        "基金支付合计 fund_pay_sumamt",
    );
    t.push(
        "settlement.account",
        &[("account_balance", enc.account_balance.to_string())],
        personal,
        acct,
        "Personal account pays first (employees)",
        "个人账户支付 acct_pay",
    );
    t.push(
        "settlement.cash",
        &[],
        personal,
        cash,
        "Cash paid by the person",
        "个人现金支付 psn_cash_pay",
    );

    let accumulators = acc.apply(&delta)?;
    Ok(Settlement {
        claim_key: enc.claim_key.clone(),
        insutype: enc.scheme,
        med_type: enc.med_type,
        dedc_hosp_lv: lv,
        refd_setl_flag: matches!(enc.referral, Referral::Upward { .. } | Referral::Downward),
        medfee_sumamt: medfee,
        fulamt_ownpay_amt: fulamt,
        overlmt_selfpay: overlmt,
        preselfpay_amt: presp,
        inscp_amt: inscp,
        act_pay_dedc: dedc,
        hifp_pay: hifp,
        pool_prop_selfpay: coins,
        hifmi_pay: hifmi,
        maf_pay: maf,
        acct_pay: acct,
        psn_cash_pay: cash,
        fund_pay_sumamt: fund_sum,
        item_rejections,
        delta,
        accumulators,
        trace: t,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn y(v: i64) -> Fen {
        Fen::new(v * 100)
    }

    fn ch(code: &str, category: ItemCategory, amount: Fen, over_cap: Fen) -> Charge {
        Charge {
            code: code.into(),
            category,
            amount,
            over_cap,
            self_pay: None,
        }
    }

    fn enc(scheme: Scheme, level: CareLevel, med_type: MedType, charges: Vec<Charge>) -> Encounter {
        Encounter {
            claim_key: "K1".into(),
            scheme,
            person: PersonCategory::Ordinary,
            retired: false,
            enrolled: true,
            covered_from: None,
            date: NaiveDate::from_ymd_opt(2026, 5, 10).unwrap(),
            level,
            referral: Referral::None,
            med_type,
            chronic_disease: None,
            charges,
            account_balance: Fen::ZERO,
        }
    }

    fn inpatient_charges() -> Vec<Charge> {
        vec![
            ch("A1", ItemCategory::A, y(6_000), Fen::ZERO),
            ch("B1", ItemCategory::B, y(3_000), Fen::ZERO),
            ch("C1", ItemCategory::C, y(1_000), Fen::ZERO),
            ch("A2", ItemCategory::A, y(500), y(200)),
        ]
    }

    fn run(e: &Encounter, acc: &Accumulators) -> Settlement {
        settle(&Policy::example_changji_2026(), e, acc, &BTreeSet::new()).unwrap()
    }

    fn check_sums(s: &Settlement) {
        let parts = Fen::sum([s.fulamt_ownpay_amt, s.overlmt_selfpay, s.preselfpay_amt, s.inscp_amt]).unwrap();
        assert_eq!(parts, s.medfee_sumamt);
        assert_eq!(Fen::sum([s.act_pay_dedc, s.hifp_pay, s.pool_prop_selfpay]).unwrap(), s.inscp_amt);
        assert_eq!(Fen::sum([s.fund_pay_sumamt, s.acct_pay, s.psn_cash_pay]).unwrap(), s.medfee_sumamt);
    }

    /// A 乙 item's own pre-self-pay share from the catalogue replaces the policy's 10 %
    /// (docs/rules/benefits.md#adjudication-order): 3 000 yuan at 20 % → 600 pre-self-paid.
    #[test]
    fn a_catalogue_self_pay_share_replaces_the_policys() {
        let mut c = ch("B1", ItemCategory::B, y(3_000), Fen::ZERO);
        let s = run(
            &enc(Scheme::Resident, CareLevel::County, MedType::Inpatient, vec![c.clone()]),
            &Accumulators::default(),
        );
        assert_eq!(s.preselfpay_amt, y(300));
        c.self_pay = Some(BasisPoints::new(2_000));
        let s = run(
            &enc(Scheme::Resident, CareLevel::County, MedType::Inpatient, vec![c]),
            &Accumulators::default(),
        );
        assert_eq!(s.preselfpay_amt, y(600));
        check_sums(&s);
    }

    /// Source: docs/rules/benefits.md#adjudication-order order, docs/rules/benefits.md#inpatient resident county row (example policy: deductible 500,
    /// ratio 75 %), class B pre-self-pay 10 %. Total 10 500 = C 1 000 + over cap 200 + pre 300 +
    /// in scope 9 000; (9 000 − 500) × 75 % = 6 375; co-insurance 2 125; cash 4 125.
    #[test]
    fn resident_inpatient_county() {
        let s = run(
            &enc(Scheme::Resident, CareLevel::County, MedType::Inpatient, inpatient_charges()),
            &Accumulators::default(),
        );
        assert_eq!(s.medfee_sumamt, y(10_500));
        assert_eq!(s.fulamt_ownpay_amt, y(1_000));
        assert_eq!(s.overlmt_selfpay, y(200));
        assert_eq!(s.preselfpay_amt, y(300));
        assert_eq!(s.inscp_amt, y(9_000));
        assert_eq!(s.act_pay_dedc, y(500));
        assert_eq!(s.hifp_pay, y(6_375));
        assert_eq!(s.pool_prop_selfpay, y(2_125));
        assert_eq!((s.hifmi_pay, s.maf_pay, s.acct_pay), (Fen::ZERO, Fen::ZERO, Fen::ZERO));
        assert_eq!(s.psn_cash_pay, y(4_125));
        assert_eq!(s.fund_pay_sumamt, y(6_375));
        assert_eq!(s.accumulators.admissions, 1);
        assert_eq!(s.accumulators.fund_paid, y(6_375));
        assert_eq!(s.accumulators.critical_illness_base, y(2_625));
        check_sums(&s);
        assert_eq!(s.trace.step("settlement.deductible").unwrap().result, y(500));
        // The trace follows the adjudication order of docs/rules/benefits.md#adjudication-order.
        let rules: Vec<&str> = s.trace.steps.iter().map(|x| x.rule.as_str()).collect();
        assert_eq!(
            rules,
            vec![
                "settlement.policy",
                "settlement.total",
                "settlement.fully_self_paid",
                "settlement.over_price_cap",
                "settlement.class_b_preselfpay",
                "settlement.in_scope",
                "settlement.deductible",
                "settlement.ratio",
                "settlement.fund_limit",
                "settlement.coinsurance",
                "settlement.critical_illness",
                "settlement.assistance",
                "settlement.fund_total",
                "settlement.account",
                "settlement.cash",
            ]
        );
        let ratio = s.trace.step("settlement.ratio").unwrap();
        assert_eq!((ratio.base, ratio.result), (y(8_500), y(6_375)));
        assert!(
            ratio
                .params
                .iter()
                .any(|p| p.name == "inpatient.ratio.county" && p.value == "75.00%")
        );
        assert!(!ratio.message_zh.is_empty() && !ratio.message_en.is_empty());
        let back: Settlement = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(back, s);
    }

    /// Source: docs/rules/referral.md#insurance-linkage and docs/rules/benefits.md#inpatient: upward referral pays the deductible difference
    /// (500 − 200 = 300); down-referral waives it; a second admission pays 50 % (250); out of
    /// county without referral the ratio drops by 20 points (60 % → 40 %), filed by 10 (→ 50 %).
    #[test]
    fn referral_and_repeat_admission() {
        let mut e = enc(Scheme::Resident, CareLevel::County, MedType::Inpatient, inpatient_charges());
        e.referral = Referral::Upward { from: CareLevel::Township };
        let s = run(&e, &Accumulators::default());
        assert_eq!(s.act_pay_dedc, y(300));
        assert!(s.refd_setl_flag);
        e.referral = Referral::Downward;
        assert_eq!(run(&e, &Accumulators::default()).act_pay_dedc, Fen::ZERO);
        e.referral = Referral::None;
        let second = Accumulators {
            admissions: 1,
            ..Accumulators::default()
        };
        assert_eq!(run(&e, &second).act_pay_dedc, y(250));

        e.level = CareLevel::OutOfCounty;
        let s = run(&e, &Accumulators::default());
        // (9 000 − 1 000) × 40 % = 3 200.
        assert_eq!(s.hifp_pay, y(3_200));
        e.referral = Referral::Filed;
        assert_eq!(run(&e, &Accumulators::default()).hifp_pay, y(4_000));
        e.referral = Referral::Upward { from: CareLevel::County };
        // Referred: no reduction, deductible 1 000 − 500 = 500: (9 000 − 500) × 60 % = 5 100.
        assert_eq!(run(&e, &Accumulators::default()).hifp_pay, y(5_100));
    }

    /// Source: docs/rules/benefits.md#inpatient annual ceiling: 179 000 already paid of 180 000 → fund pays 1 000,
    /// the other 5 375 of the 6 375 falls into co-insurance.
    #[test]
    fn annual_ceiling() {
        let acc = Accumulators {
            fund_paid: y(179_000),
            ..Accumulators::default()
        };
        let s = run(
            &enc(Scheme::Resident, CareLevel::County, MedType::Inpatient, inpatient_charges()),
            &acc,
        );
        assert_eq!(s.hifp_pay, y(1_000));
        assert_eq!(s.pool_prop_selfpay, y(7_500));
        assert_eq!(s.accumulators.fund_paid, y(180_000));
        check_sums(&s);
    }

    /// Source: docs/rules/benefits.md#critical-illness-and-assistance: critical illness above the threshold (example 15 000, 60 %); the
    /// special population has the threshold halved (7 500) and +5 points (65 %); medical
    /// assistance for subsistence-allowance persons 70 % of what remains.
    #[test]
    fn critical_illness_and_assistance() {
        let acc = Accumulators {
            critical_illness_base: y(14_000),
            ..Accumulators::default()
        };
        let e = enc(Scheme::Resident, CareLevel::County, MedType::Inpatient, inpatient_charges());
        let s = run(&e, &acc);
        // Personal in-scope 2 625; cumulative 16 625; 1 625 above 15 000 × 60 % = 975.
        assert_eq!(s.hifmi_pay, y(975));
        check_sums(&s);

        let mut e = e;
        e.person = PersonCategory::Subsistence;
        let s = run(&e, &acc);
        // All 2 625 above 7 500 × 65 % = 1 706.25.
        assert_eq!(s.hifmi_pay, Fen::new(170_625));
        // (2 625 − 1 706.25) × 70 % = 643.125 → 643.13 (half away from zero).
        assert_eq!(s.maf_pay, Fen::new(64_313));
        assert_eq!(
            s.fund_pay_sumamt,
            Fen::sum([y(6_375), Fen::new(170_625), Fen::new(64_313)]).unwrap()
        );
        check_sums(&s);

        // A deductible of the category (救助起付标准): 500 yuan, 300 met already → the first 200 of
        // the 918.75 still owed are not assisted: (918.75 − 200) × 70 % = 503.125 → 503.13.
        let mut policy = Policy::example_changji_2026();
        for r in &mut policy.assistance.ratios {
            r.deductible = y(500);
        }
        let met = Accumulators {
            assistance_deductible: y(300),
            ..acc
        };
        let s = settle(&policy, &e, &met, &BTreeSet::new()).unwrap();
        assert_eq!(s.maf_pay, Fen::new(50_313));
        assert_eq!(s.accumulators.assistance_deductible, y(500));
        check_sums(&s);
        // Met in full: as without a deductible.
        let met = Accumulators {
            assistance_deductible: y(500),
            ..acc
        };
        assert_eq!(settle(&policy, &e, &met, &BTreeSet::new()).unwrap().maf_pay, Fen::new(64_313));

        // Assistance limited by the remaining annual limit.
        let acc = Accumulators {
            assistance_paid: y(49_900),
            ..acc
        };
        assert_eq!(run(&e, &acc).maf_pay, y(100));
    }

    /// Five levels of care: care outside the province takes the policy's out-of-province
    /// parameters (resident inpatient: deductible 1 500, ratio 50 % in the example) and, without
    /// them, those outside the county.
    #[test]
    fn care_outside_the_province_has_its_own_level() {
        let mut e = enc(Scheme::Resident, CareLevel::OutOfProvince, MedType::Inpatient, inpatient_charges());
        e.referral = Referral::Filed;
        let s = run(&e, &Accumulators::default());
        assert_eq!(s.act_pay_dedc, y(1_500));
        check_sums(&s);
        let mut policy = Policy::example_changji_2026();
        for b in &mut policy.schemes {
            b.inpatient.deductible.out_of_province = None;
            b.inpatient.ratio.out_of_province = None;
        }
        let s = settle(&policy, &e, &Accumulators::default(), &BTreeSet::new()).unwrap();
        e.level = CareLevel::OutOfCounty;
        let t = settle(&policy, &e, &Accumulators::default(), &BTreeSet::new()).unwrap();
        assert_eq!((s.act_pay_dedc, s.hifp_pay), (t.act_pay_dedc, t.hifp_pay));
    }

    /// Ratios by person type: a retired employee gets the scheme's bonus (5 points in the
    /// example) on the ratio, an employed one does not.
    #[test]
    fn retirees_get_the_schemes_ratio_bonus() {
        let mut e = enc(Scheme::Employee, CareLevel::County, MedType::Inpatient, inpatient_charges());
        let employed = run(&e, &Accumulators::default());
        e.retired = true;
        let retired = run(&e, &Accumulators::default());
        let ratio = |s: &Settlement| {
            s.trace
                .step("settlement.ratio")
                .unwrap()
                .params
                .iter()
                .find(|p| p.name == "ratio")
                .unwrap()
                .value
                .clone()
        };
        assert_eq!((ratio(&employed), ratio(&retired)), ("85.00%".to_owned(), "90.00%".to_owned()));
        assert!(retired.hifp_pay > employed.hifp_pay);
        check_sums(&retired);
    }

    /// The special population of the critical-illness layer is policy data: a pool that counts
    /// low-income persons in it halves their threshold and adds 5 points, one that leaves
    /// subsistence-allowance persons out treats them as ordinary (975 as above).
    #[test]
    fn the_special_population_is_policy_data() {
        let acc = Accumulators {
            critical_illness_base: y(14_000),
            ..Accumulators::default()
        };
        let mut e = enc(Scheme::Resident, CareLevel::County, MedType::Inpatient, inpatient_charges());
        let mut policy = Policy::example_changji_2026();
        for b in &mut policy.schemes {
            if let Some(ci) = &mut b.critical_illness {
                ci.special_categories = vec![PersonCategory::LowIncome];
            }
        }
        e.person = PersonCategory::LowIncome;
        assert_eq!(settle(&policy, &e, &acc, &BTreeSet::new()).unwrap().hifmi_pay, Fen::new(170_625));
        e.person = PersonCategory::Subsistence;
        assert_eq!(settle(&policy, &e, &acc, &BTreeSet::new()).unwrap().hifmi_pay, y(975));
    }

    /// Source: docs/rules/benefits.md#inpatient band crossing: base 114 000 + 2 625 → 101 625 above the 15 000
    /// threshold; 100 000 band boundary: 1 000 × 60 % + 1 625 × 70 % = 600 + 1 137.50.
    #[test]
    fn critical_illness_band_crossing() {
        let acc = Accumulators {
            critical_illness_base: y(114_000),
            ..Accumulators::default()
        };
        let s = run(
            &enc(Scheme::Resident, CareLevel::County, MedType::Inpatient, inpatient_charges()),
            &acc,
        );
        assert_eq!(s.hifmi_pay, Fen::new(173_750));
        assert_eq!(
            s.trace
                .steps
                .iter()
                .filter(|x| x.rule == "settlement.critical_illness.band")
                .count(),
            2
        );
    }

    /// The critical-illness layer and outpatient pooling (docs/rules/benefits.md#critical-illness-and-assistance):
    /// by default an outpatient claim neither adds to the layer's base nor is paid by it; with the
    /// pool's switch on, a resident at the threshold gets 30 × 60 % = 18 of the 30 yuan personal
    /// share, and the base grows by 30.
    #[test]
    fn critical_illness_covers_outpatient_pooling_only_where_the_pool_says() {
        let e = enc(
            Scheme::Resident,
            CareLevel::Village,
            MedType::Outpatient,
            vec![ch("A", ItemCategory::A, y(80), Fen::ZERO)],
        );
        let acc = Accumulators {
            critical_illness_base: y(15_000),
            ..Accumulators::default()
        };
        let s = run(&e, &acc);
        assert_eq!((s.hifmi_pay, s.accumulators.critical_illness_base), (Fen::ZERO, y(15_000)));
        let mut policy = Policy::example_changji_2026();
        for scheme in &mut policy.schemes {
            if let Some(ci) = scheme.critical_illness.as_mut() {
                ci.covers_outpatient_pooling = true;
            }
        }
        let s = settle(&policy, &e, &acc, &BTreeSet::new()).unwrap();
        assert_eq!((s.hifp_pay, s.hifmi_pay), (y(50), y(18)));
        assert_eq!(s.accumulators.critical_illness_base, y(15_030));
        check_sums(&s);
    }

    /// Source: docs/rules/benefits.md#outpatient-pooling: village outpatient 80 × 65 % = 52, per-visit limit 50; annual
    /// limit 500 with 480 used → 20.
    #[test]
    fn outpatient_pooling_limits() {
        let e = enc(
            Scheme::Resident,
            CareLevel::Village,
            MedType::Outpatient,
            vec![ch("A", ItemCategory::A, y(80), Fen::ZERO)],
        );
        let s = run(&e, &Accumulators::default());
        assert_eq!((s.act_pay_dedc, s.hifp_pay, s.pool_prop_selfpay), (Fen::ZERO, y(50), y(30)));
        assert_eq!(s.accumulators.outpatient_fund_paid, y(50));
        assert_eq!(s.accumulators.fund_paid, Fen::ZERO);
        let acc = Accumulators {
            outpatient_fund_paid: y(480),
            ..Accumulators::default()
        };
        assert_eq!(run(&e, &acc).hifp_pay, y(20));
        // County outpatient: annual deductible 100, 40 used → 60; (200 − 60) × 50 % = 70.
        let e = enc(
            Scheme::Resident,
            CareLevel::County,
            MedType::Outpatient,
            vec![ch("A", ItemCategory::A, y(200), Fen::ZERO)],
        );
        let acc = Accumulators {
            deductible_outpatient: y(40),
            ..Accumulators::default()
        };
        let s = run(&e, &acc);
        assert_eq!((s.act_pay_dedc, s.hifp_pay), (y(60), y(70)));
        assert_eq!(s.accumulators.deductible_outpatient, y(100));
    }

    /// Source: docs/rules/benefits.md#outpatient-pooling chronic outpatient: one annual deductible (example 200), ratio 70 %:
    /// (1 000 − 200) × 70 % = 560; a disease not on the list is rejected.
    #[test]
    fn chronic_outpatient() {
        let mut e = enc(
            Scheme::Resident,
            CareLevel::Township,
            MedType::Chronic,
            vec![ch("A", ItemCategory::A, y(1_000), Fen::ZERO)],
        );
        e.chronic_disease = Some("I10".into());
        let s = run(&e, &Accumulators::default());
        assert_eq!((s.act_pay_dedc, s.hifp_pay), (y(200), y(560)));
        assert_eq!(s.accumulators.chronic_fund_paid, y(560));
        assert_eq!(s.accumulators.fund_paid, y(560));
        e.chronic_disease = Some("J45".into());
        let r = settle(&Policy::example_changji_2026(), &e, &Accumulators::default(), &BTreeSet::new()).unwrap_err();
        assert_eq!(r, Rejection::OutsideCoverage(CoverageGap::DiseaseNotOnList { code: "J45".into() }));
        e.chronic_disease = None;
        assert_eq!(
            settle(&Policy::example_changji_2026(), &e, &Accumulators::default(), &BTreeSet::new())
                .unwrap_err()
                .code(),
            "OutsideCoverage"
        );
    }

    /// Source: docs/rules/benefits.md#adjudication-order employee: account first, then cash. (10 000 − 600) × 85 % = 7 990;
    /// personal 2 010: account 1 000, cash 1 010. No critical-illness layer for 310.
    #[test]
    fn employee_account_then_cash() {
        let mut e = enc(
            Scheme::Employee,
            CareLevel::County,
            MedType::Inpatient,
            vec![ch("A", ItemCategory::A, y(10_000), Fen::ZERO)],
        );
        e.account_balance = y(1_000);
        let s = run(
            &e,
            &Accumulators {
                critical_illness_base: y(1_000_000),
                ..Accumulators::default()
            },
        );
        assert_eq!(
            (s.hifp_pay, s.hifmi_pay, s.acct_pay, s.psn_cash_pay),
            (y(7_990), Fen::ZERO, y(1_000), y(1_010))
        );
        check_sums(&s);
    }

    #[test]
    fn rejections() {
        let p = Policy::example_changji_2026();
        let base = enc(Scheme::Resident, CareLevel::County, MedType::Inpatient, inpatient_charges());
        let acc = Accumulators::default();
        let none = BTreeSet::new();
        let dup: BTreeSet<String> = ["K1".to_owned()].into();
        assert_eq!(
            settle(&p, &base, &acc, &dup).unwrap_err(),
            Rejection::Duplicate { claim_key: "K1".into() }
        );
        let e = Encounter {
            enrolled: false,
            ..base.clone()
        };
        assert_eq!(settle(&p, &e, &acc, &none).unwrap_err(), Rejection::NotEnrolled);
        let e = Encounter {
            date: NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(),
            ..base.clone()
        };
        assert_eq!(
            settle(&p, &e, &acc, &none).unwrap_err(),
            Rejection::OutsideCoverage(CoverageGap::OtherYear)
        );
        // Before the enrolment's first covered day (enrolment date or end of a waiting period).
        let from = NaiveDate::from_ymd_opt(2026, 5, 11).unwrap();
        let e = Encounter {
            covered_from: Some(from),
            ..base.clone()
        };
        assert_eq!(
            settle(&p, &e, &acc, &none).unwrap_err(),
            Rejection::OutsideCoverage(CoverageGap::BeforeCoverage { from })
        );
        let e = Encounter {
            covered_from: Some(base.date),
            ..base.clone()
        };
        assert!(settle(&p, &e, &acc, &none).is_ok(), "the first covered day is covered");
        let e = Encounter {
            charges: vec![],
            ..base.clone()
        };
        assert_eq!(settle(&p, &e, &acc, &none).unwrap_err(), Rejection::NoCharges);
        let e = Encounter {
            charges: vec![ch("A", ItemCategory::A, y(1), y(2))],
            ..base.clone()
        };
        assert_eq!(settle(&p, &e, &acc, &none).unwrap_err(), Rejection::InvalidCharge { index: 0 });
        // An excluded item is rejected per item and becomes fully self-paid.
        let mut e = base;
        e.charges.push(ch("COSMETIC-001", ItemCategory::A, y(800), Fen::ZERO));
        let s = settle(&p, &e, &acc, &none).unwrap();
        assert_eq!(
            s.item_rejections,
            vec![Rejection::ItemNotCovered {
                index: 4,
                code: "COSMETIC-001".into()
            }]
        );
        assert_eq!(s.fulamt_ownpay_amt, y(1_800));
        assert_eq!(s.hifp_pay, y(6_375));
        check_sums(&s);
    }

    #[test]
    fn reversal_restores_accumulators() {
        let acc = Accumulators {
            fund_paid: y(1_000),
            admissions: 2,
            ..Accumulators::default()
        };
        let s = run(
            &enc(Scheme::Resident, CareLevel::County, MedType::Inpatient, inpatient_charges()),
            &acc,
        );
        let back = s.accumulators.apply(&reverse(&s).unwrap()).unwrap();
        assert_eq!(back, acc);
        let j = serde_json::to_value(&s).unwrap();
        // Third admission: deductible 250, (9 000 − 250) × 75 % = 6 562.50.
        assert_eq!(j["hifp_pay"], serde_json::json!(656_250));
        assert_eq!(j["med_type"], serde_json::json!("21"));
    }

    fn arb_charge() -> impl Strategy<Value = Charge> {
        (0usize..3, 0i64..5_000_000, 0u32..=100, prop::bool::weighted(0.05)).prop_map(|(c, amt, cap_pct, excl)| {
            let category = [ItemCategory::A, ItemCategory::B, ItemCategory::C][c];
            let over = amt * i64::from(cap_pct) / 400;
            Charge {
                code: if excl { "COSMETIC-001".into() } else { format!("I{c}") },
                category,
                amount: Fen::new(amt),
                over_cap: Fen::new(over),
                self_pay: None,
            }
        })
    }

    fn arb_encounter() -> impl Strategy<Value = Encounter> {
        (
            prop::collection::vec(arb_charge(), 1..8),
            prop::bool::ANY,
            0usize..5,
            0usize..5,
            0usize..4,
            0usize..3,
            0i64..500_000,
        )
            .prop_map(|(charges, emp, person, level, referral, mt, bal)| {
                let levels = [
                    CareLevel::Village,
                    CareLevel::Township,
                    CareLevel::County,
                    CareLevel::OutOfCounty,
                    CareLevel::OutOfProvince,
                ];
                let referrals = [
                    Referral::None,
                    Referral::Upward { from: CareLevel::Township },
                    Referral::Downward,
                    Referral::Filed,
                ];
                let persons = [
                    PersonCategory::Ordinary,
                    PersonCategory::ExtremePoverty,
                    PersonCategory::Subsistence,
                    PersonCategory::LowIncome,
                    PersonCategory::AtRisk,
                ];
                let mts = [MedType::Outpatient, MedType::Chronic, MedType::Inpatient];
                Encounter {
                    claim_key: "P".into(),
                    scheme: if emp { Scheme::Employee } else { Scheme::Resident },
                    person: persons[person],
                    retired: false,
                    enrolled: true,
                    covered_from: None,
                    date: NaiveDate::from_ymd_opt(2026, 7, 1).unwrap(),
                    level: levels[level],
                    referral: referrals[referral],
                    med_type: mts[mt],
                    chronic_disease: Some("E11".into()),
                    charges,
                    account_balance: Fen::new(bal),
                }
            })
    }

    fn arb_acc() -> impl Strategy<Value = Accumulators> {
        (
            0i64..40_000_000,
            0i64..60_000,
            0i64..3_000_000,
            0i64..50_000_000,
            0i64..6_000_000,
            0i64..3,
            0i64..30_000,
        )
            .prop_map(|(fund, od, ch, ci, maf, adm, cd)| Accumulators {
                deductible_outpatient: Fen::new(od),
                deductible_chronic: Fen::new(cd),
                deductible_inpatient: Fen::ZERO,
                fund_paid: Fen::new(fund),
                outpatient_fund_paid: Fen::new(od),
                chronic_fund_paid: Fen::new(ch),
                critical_illness_base: Fen::new(ci),
                critical_illness_paid: Fen::new(ci / 3),
                assistance_paid: Fen::new(maf),
                assistance_deductible: Fen::new(maf / 7),
                admissions: adm,
            })
    }

    proptest! {
        #[test]
        fn settlement_invariants(e in arb_encounter(), acc in arb_acc()) {
            let p = Policy::example_changji_2026();
            let s = settle(&p, &e, &acc, &BTreeSet::new()).unwrap();
            for f in [s.medfee_sumamt, s.fulamt_ownpay_amt, s.overlmt_selfpay, s.preselfpay_amt, s.inscp_amt, s.act_pay_dedc, s.hifp_pay,
                      s.pool_prop_selfpay, s.hifmi_pay, s.maf_pay, s.acct_pay, s.psn_cash_pay, s.fund_pay_sumamt] {
                prop_assert!(f.get() >= 0);
            }
            check_sums(&s);
            let b = p.scheme(e.scheme).unwrap();
            match e.med_type {
                MedType::Inpatient | MedType::Chronic => prop_assert!(s.accumulators.fund_paid <= b.annual_ceiling.max(acc.fund_paid)),
                MedType::Outpatient => prop_assert!(s.accumulators.outpatient_fund_paid <= b.outpatient.annual_limit.max(acc.outpatient_fund_paid)),
            }
            prop_assert!(s.accumulators.assistance_paid <= p.assistance.annual_limit.max(acc.assistance_paid));
            // The fund never pays beyond policy: (eligible − deductible) × ratio, the per-visit and
            // chronic limits, and the critical-illness limit on the personal in-scope share.
            let remainder = s.inscp_amt.checked_sub(s.act_pay_dedc).unwrap();
            let ratio = match e.med_type {
                MedType::Inpatient => b.inpatient.ratio.get(e.level),
                MedType::Outpatient => b.outpatient.ratio.get(e.level),
                MedType::Chronic => b.chronic.ratio,
            };
            prop_assert!(s.hifp_pay <= remainder.apply_bp(ratio).unwrap());
            match e.med_type {
                MedType::Outpatient => prop_assert!(s.hifp_pay <= b.outpatient.per_visit_limit.get(e.level)),
                MedType::Chronic => {
                    prop_assert!(s.hifp_pay <= nonneg(b.chronic.annual_limit.checked_sub(acc.chronic_fund_paid).unwrap()));
                    prop_assert!(s.accumulators.chronic_fund_paid <= b.chronic.annual_limit.max(acc.chronic_fund_paid));
                }
                MedType::Inpatient => {}
            }
            let personal_in_scope = s.act_pay_dedc.checked_add(s.pool_prop_selfpay).unwrap();
            prop_assert!(s.hifmi_pay <= personal_in_scope);
            match &b.critical_illness {
                Some(ci) if !(ci.is_special(e.person) && ci.special_no_limit) => {
                    prop_assert!(s.hifmi_pay <= nonneg(ci.annual_limit.checked_sub(acc.critical_illness_paid).unwrap()));
                }
                Some(_) => {}
                None => prop_assert_eq!(s.hifmi_pay, Fen::ZERO),
            }
            if e.med_type == MedType::Outpatient {
                prop_assert_eq!(s.hifmi_pay, Fen::ZERO);
            }
            prop_assert!(s.maf_pay <= personal_in_scope.checked_sub(s.hifmi_pay).unwrap());
            // Deterministic.
            prop_assert_eq!(&settle(&p, &e, &acc, &BTreeSet::new()).unwrap(), &s);
            // Reversal restores the accumulators.
            prop_assert_eq!(s.accumulators.apply(&reverse(&s).unwrap()).unwrap(), acc);
        }
    }
}
