//! Versioned benefit policy (医保待遇政策) of one pooling region (统筹区) and year.
//!
//! Every number that docs/rules/benefits.md tags \[T\], \[R\] or \[?\] is a field here. National rules \[N\] appear
//! only as validation bounds in [`Policy::validate`] (e.g. the out-of-area ratio reduction of at
//! most 20 / 10 points, 医保发〔2022〕22号).

use chrono::{Datelike, NaiveDate};
use sanyi_domain::{BasisPoints, Fen};
use serde::{Deserialize, Serialize};

/// Insurance scheme (险种, NHSA `insutype`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Scheme {
    /// `310` employee basic insurance (职工基本医疗保险).
    #[serde(rename = "310")]
    Employee,
    /// `390` urban-rural resident basic insurance (城乡居民基本医疗保险).
    #[serde(rename = "390")]
    Resident,
}

impl Scheme {
    /// NHSA `insutype` code.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Scheme::Employee => "310",
            Scheme::Resident => "390",
        }
    }
}

/// Level of the place of care used for deductible and ratio (医疗机构级别, NHSA `dedc_hosp_lv`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CareLevel {
    /// Village clinic (村卫生室).
    Village,
    /// Township or community health centre (乡镇卫生院/社区卫生服务中心).
    Township,
    /// County hospital (县级医院).
    County,
    /// Outside the county, inside the province: prefecture and provincial hospitals (县外省内).
    OutOfCounty,
    /// Outside the province (省外异地就医).
    OutOfProvince,
}

impl CareLevel {
    /// Code used in parameter paths.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            CareLevel::Village => "village",
            CareLevel::Township => "township",
            CareLevel::County => "county",
            CareLevel::OutOfCounty => "out_of_county",
            CareLevel::OutOfProvince => "out_of_province",
        }
    }
}

/// A value per level of care (分级参数).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ByLevel<T> {
    /// Village clinic.
    pub village: T,
    /// Township centre.
    pub township: T,
    /// County hospital.
    pub county: T,
    /// Outside the county, inside the province (prefecture and provincial hospitals).
    pub out_of_county: T,
    /// Outside the province. Absent: as outside the county.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_of_province: Option<T>,
}

impl<T: Copy> ByLevel<T> {
    /// The value for a level.
    #[must_use]
    pub fn get(&self, level: CareLevel) -> T {
        match level {
            CareLevel::Village => self.village,
            CareLevel::Township => self.township,
            CareLevel::County => self.county,
            CareLevel::OutOfCounty => self.out_of_county,
            CareLevel::OutOfProvince => self.out_of_province.unwrap_or(self.out_of_county),
        }
    }

    /// The five levels with their values.
    pub fn all(&self) -> [(CareLevel, T); 5] {
        [
            (CareLevel::Village, self.village),
            (CareLevel::Township, self.township),
            (CareLevel::County, self.county),
            (CareLevel::OutOfCounty, self.out_of_county),
            (CareLevel::OutOfProvince, self.get(CareLevel::OutOfProvince)),
        ]
    }
}

/// Catalogue class of a charged item (医保目录类别): 甲 / 乙 / 丙.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ItemCategory {
    /// Class A 甲类: fully in scope.
    A,
    /// Class B 乙类: in scope after the pre-self-pay share.
    B,
    /// Class C 丙类 or outside the catalogue: fully self-paid.
    C,
}

/// Person category for critical illness and medical assistance (人员类别).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonCategory {
    /// Ordinary insured person (普通参保人).
    Ordinary,
    /// Extreme-poverty person (特困人员).
    ExtremePoverty,
    /// Subsistence-allowance person (低保对象).
    Subsistence,
    /// Other low-income person (低保边缘等低收入人口).
    LowIncome,
    /// Person at risk of returning to poverty (防返贫监测对象).
    AtRisk,
}

/// The special population of 国办发〔2021〕42号 (critical illness threshold −50 %, ratio +5
/// points), the default of [`CriticalIllnessBenefit::special_categories`].
#[must_use]
pub fn default_special_categories() -> Vec<PersonCategory> {
    vec![PersonCategory::ExtremePoverty, PersonCategory::Subsistence, PersonCategory::AtRisk]
}

impl CriticalIllnessBenefit {
    /// Whether a person category belongs to the policy's special population.
    #[must_use]
    pub fn is_special(&self, c: PersonCategory) -> bool {
        self.special_categories.contains(&c)
    }
}

/// Inpatient benefit (住院待遇).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InpatientBenefit {
    /// Deductible per admission by level (起付线).
    pub deductible: ByLevel<Fen>,
    /// In-scope reimbursement ratio by level (报销比例).
    pub ratio: ByLevel<BasisPoints>,
    /// Share of the deductible applied to the second and later admissions of a year.
    pub repeat_admission_deductible: BasisPoints,
}

/// Outpatient pooling benefit (门诊统筹).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutpatientBenefit {
    /// Annual deductible by level.
    pub annual_deductible: ByLevel<Fen>,
    /// Ratio by level.
    pub ratio: ByLevel<BasisPoints>,
    /// Fund limit per visit by level (0 = not covered at that level).
    pub per_visit_limit: ByLevel<Fen>,
    /// Annual fund limit.
    pub annual_limit: Fen,
}

/// One disease of the chronic/special-disease list (门诊慢特病病种).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChronicDisease {
    /// Disease code (ICD-10 医保版 or local code).
    pub code: String,
    /// Name.
    pub name: String,
}

/// Chronic and special-disease outpatient benefit (门诊慢特病).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChronicBenefit {
    /// Disease list.
    pub diseases: Vec<ChronicDisease>,
    /// One annual deductible.
    pub annual_deductible: Fen,
    /// Ratio.
    pub ratio: BasisPoints,
    /// Annual fund limit (also counted against the pooled-fund ceiling).
    pub annual_limit: Fen,
}

/// A cost band of critical-illness insurance, measured above the threshold (大病保险分段).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CiBand {
    /// Band start, as the amount above the threshold; the band runs to the next band's start.
    pub from: Fen,
    /// Ratio in the band.
    pub ratio: BasisPoints,
}

/// Resident critical-illness insurance (城乡居民大病保险).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriticalIllnessBenefit {
    /// Annual threshold on the cumulative in-scope personal share (起付标准).
    pub threshold: Fen,
    /// Bands, ascending, the first starting at 0.
    pub bands: Vec<CiBand>,
    /// Annual limit (ordinary persons).
    pub annual_limit: Fen,
    /// Threshold reduction for the special population (e.g. 50 %).
    pub special_threshold_reduction: BasisPoints,
    /// Ratio bonus for the special population (e.g. 500 bp = 5 points).
    pub special_ratio_bonus: BasisPoints,
    /// Special population has no annual limit.
    pub special_no_limit: bool,
    /// Who the special population is (特殊人群). Absent: the population of 国办发〔2021〕42号 —
    /// extreme-poverty persons, subsistence-allowance persons and persons at risk of returning to
    /// poverty.
    #[serde(default = "default_special_categories")]
    pub special_categories: Vec<PersonCategory>,
    /// Whether outpatient-pooling claims (普通门诊统筹) add to the layer's base and are paid by it,
    /// as inpatient and chronic outpatient care always are. The national rule does not restrict the
    /// layer to inpatient care; pools differ (docs/rules/benefits.md#critical-illness-and-assistance).
    /// Absent: no.
    #[serde(default)]
    pub covers_outpatient_pooling: bool,
}

/// Benefits of one scheme (险种待遇).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemeBenefit {
    /// Scheme.
    pub scheme: Scheme,
    /// Annual ceiling of the pooled fund for inpatient and chronic care (统筹基金年度最高支付限额).
    pub annual_ceiling: Fen,
    /// Inpatient benefit.
    pub inpatient: InpatientBenefit,
    /// Outpatient pooling.
    pub outpatient: OutpatientBenefit,
    /// Chronic and special-disease outpatient.
    pub chronic: ChronicBenefit,
    /// Critical-illness layer (residents); `None` for schemes without it.
    pub critical_illness: Option<CriticalIllnessBenefit>,
    /// Points added to the inpatient, outpatient and chronic ratios for retired persons
    /// (退休人员, e.g. 500 = 5 points; never above 100 %). Absent: none.
    #[serde(default)]
    pub retiree_ratio_bonus: BasisPoints,
}

/// Ratio reduction for out-of-area care (异地就医降比例).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutOfAreaRule {
    /// Reduction when filed (备案), ≤ 10 points \[N\].
    pub filed_reduction: BasisPoints,
    /// Reduction without referral or filing, ≤ 20 points \[N\].
    pub unreferred_reduction: BasisPoints,
}

/// Medical-assistance ratio of a person category (医疗救助比例).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssistanceRatio {
    /// Category.
    pub category: PersonCategory,
    /// Ratio on the remaining in-scope personal share.
    pub ratio: BasisPoints,
    /// Annual deductible of the category (救助起付标准, e.g. for low-income families): the
    /// remaining share below it is not assisted. Absent: none.
    #[serde(default)]
    pub deductible: Fen,
}

/// Medical assistance (医疗救助).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssistanceBenefit {
    /// Ratios by category; categories not listed get none.
    pub ratios: Vec<AssistanceRatio>,
    /// Annual assistance limit per person.
    pub annual_limit: Fen,
}

impl AssistanceBenefit {
    /// Ratio of a category (0 if not listed).
    #[must_use]
    pub fn ratio(&self, c: PersonCategory) -> BasisPoints {
        self.ratios
            .iter()
            .find(|r| r.category == c)
            .map_or(BasisPoints::new(0), |r| r.ratio)
    }

    /// Annual deductible of a category (0 if not listed).
    #[must_use]
    pub fn deductible(&self, c: PersonCategory) -> Fen {
        self.ratios.iter().find(|r| r.category == c).map_or(Fen::ZERO, |r| r.deductible)
    }
}

/// The versioned benefit policy of a pool and year (医保待遇政策版本).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Pooling region code (统筹区), e.g. `652300`.
    pub pool: String,
    /// Policy year.
    pub year: i32,
    /// First day the policy applies.
    pub effective_from: NaiveDate,
    /// Version label.
    pub version: String,
    /// Benefits per scheme.
    pub schemes: Vec<SchemeBenefit>,
    /// Class-B pre-self-pay share (乙类先自付比例).
    pub class_b_preselfpay: BasisPoints,
    /// Out-of-area reductions.
    pub out_of_area: OutOfAreaRule,
    /// Medical assistance.
    pub assistance: AssistanceBenefit,
    /// Item codes excluded from payment in this pool (rejected as `ItemNotCovered`).
    pub excluded_items: Vec<String>,
    /// Waiting period after a late or interrupted enrolment (待遇等待期, docs/rules/benefits.md#schemes-and-enrolment); absent:
    /// benefits start on the enrolment date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting_period: Option<WaitingPeriod>,
    /// Days of supply a prescription may carry, by kind (处方用量), with the long prescription
    /// (长处方) of chronic care (docs/rules/procurement.md#long-prescription).
    #[serde(default)]
    pub prescription_days: PrescriptionDays,
    /// Share of the part of a drug's price above its payment standard that the patient pays
    /// (docs/rules/procurement.md#payment-standard; 100 %: all of it).
    #[serde(default = "full_share")]
    pub over_standard_selfpay: BasisPoints,
}

fn full_share() -> BasisPoints {
    BasisPoints::new(10_000)
}

/// Days of supply by prescription kind (处方用量天数).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrescriptionDays {
    /// Ordinary outpatient (7).
    pub outpatient: u32,
    /// Emergency (3).
    pub emergency: u32,
    /// Chronic and special-disease outpatient, the long prescription (84, twelve weeks).
    pub chronic: u32,
    /// Discharge medication (14).
    pub inpatient: u32,
}

impl Default for PrescriptionDays {
    fn default() -> Self {
        PrescriptionDays {
            outpatient: 7,
            emergency: 3,
            chronic: 84,
            inpatient: 14,
        }
    }
}

/// Waiting period of a late or interrupted enrolment (待遇等待期) [N, 国办发〔2024〕38号]: enrolling
/// after the enrolment window closes, or after a gap, starts benefits `months` after the enrolment
/// date, plus `extra_months_per_gap_year` for every year of gap beyond the first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitingPeriod {
    /// Last day of the enrolment window for the policy year (集中参保期截止日), e.g. 31 December of
    /// the year before.
    pub window_end: NaiveDate,
    /// Fixed waiting period in months (national rule: 3).
    pub months: u32,
    /// Extra months per further year of gap (national rule: 1).
    pub extra_months_per_gap_year: u32,
}

/// When the benefits of one enrolment start (待遇享受起始日), and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoverageStart {
    /// First day covered.
    pub from: NaiveDate,
    /// Months of waiting applied (0: none).
    pub waiting_months: u32,
}

/// One problem found by [`Policy::validate`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyProblem {
    /// Field path, e.g. `schemes[1].inpatient.ratio.county`.
    pub path: String,
    /// The rule broken.
    pub rule: String,
}

fn yuan(y: i64) -> Fen {
    Fen::new(y * 100)
}

fn bp(v: u32) -> BasisPoints {
    BasisPoints::new(v)
}

impl Policy {
    /// Benefits of a scheme.
    #[must_use]
    pub fn scheme(&self, s: Scheme) -> Option<&SchemeBenefit> {
        self.schemes.iter().find(|b| b.scheme == s)
    }

    /// The first day an enrolment of the policy year is covered: the enrolment date (not before
    /// 1 January of the year), moved on by the [`WaitingPeriod`] when the person enrolled after the
    /// window closed or comes back after a gap. `last_year_before` is the latest earlier year the
    /// person was enrolled (`None`: first enrolment).
    ///
    /// # Example
    /// ```
    /// use chrono::NaiveDate;
    /// use sanyi_insurance::policy::WaitingPeriod;
    /// let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    /// let mut p = sanyi_insurance::Policy::example_changji_2026();
    /// p.waiting_period = Some(WaitingPeriod { window_end: d(2025, 12, 31), months: 3, extra_months_per_gap_year: 1 });
    /// // Enrolled in the window, insured last year: covered from 1 January.
    /// assert_eq!(p.coverage_start(d(2025, 11, 20), Some(2025)).from, d(2026, 1, 1));
    /// // Enrolled late on 10 March: three months of waiting.
    /// assert_eq!(p.coverage_start(d(2026, 3, 10), Some(2025)).from, d(2026, 6, 10));
    /// // Back after a three-year gap (last insured 2022): 3 + 2 months.
    /// assert_eq!(p.coverage_start(d(2025, 12, 1), Some(2022)).waiting_months, 5);
    /// ```
    #[must_use]
    pub fn coverage_start(&self, enrolled_on: NaiveDate, last_year_before: Option<i32>) -> CoverageStart {
        let year_start = NaiveDate::from_ymd_opt(self.year, 1, 1).unwrap_or(enrolled_on);
        let start = enrolled_on.max(year_start);
        let Some(w) = &self.waiting_period else {
            return CoverageStart {
                from: start,
                waiting_months: 0,
            };
        };
        let gap_years = last_year_before.map_or(0, |y| (self.year - y - 1).max(0));
        let late = enrolled_on > w.window_end;
        let waiting_months = if late || gap_years > 0 {
            let extra = u32::try_from((gap_years - 1).max(0)).unwrap_or(u32::MAX);
            w.months.saturating_add(w.extra_months_per_gap_year.saturating_mul(extra))
        } else {
            0
        };
        let from = if waiting_months == 0 {
            start
        } else {
            enrolled_on
                .checked_add_months(chrono::Months::new(waiting_months))
                .unwrap_or(NaiveDate::MAX)
                .max(year_start)
        };
        CoverageStart { from, waiting_months }
    }

    /// Checks the policy and returns every problem (empty when valid).
    ///
    /// # Example
    /// ```
    /// let mut p = sanyi_insurance::Policy::example_changji_2026();
    /// assert!(p.validate().is_empty());
    /// p.class_b_preselfpay = sanyi_domain::BasisPoints::new(12_000);
    /// assert_eq!(p.validate()[0].path, "class_b_preselfpay");
    /// ```
    #[must_use]
    pub fn validate(&self) -> Vec<PolicyProblem> {
        let mut out = Vec::new();
        let mut bad = |path: String, rule: &str| {
            out.push(PolicyProblem {
                path,
                rule: rule.to_owned(),
            })
        };
        let ratio = |b: BasisPoints| b.get() <= 10_000;
        if self.pool.trim().is_empty() {
            bad("pool".into(), "must not be empty");
        }
        if self.effective_from.year() != self.year {
            bad("effective_from".into(), "must fall in the policy year");
        }
        if !ratio(self.class_b_preselfpay) {
            bad("class_b_preselfpay".into(), "ratio must be <= 10000 bp");
        }
        if !ratio(self.over_standard_selfpay) {
            bad("over_standard_selfpay".into(), "ratio must be <= 10000 bp");
        }
        let d = self.prescription_days;
        for (name, days) in [
            ("outpatient", d.outpatient),
            ("emergency", d.emergency),
            ("chronic", d.chronic),
            ("inpatient", d.inpatient),
        ] {
            if days == 0 || days > 180 {
                bad(format!("prescription_days.{name}"), "1 to 180 days");
            }
        }
        if let Some(w) = &self.waiting_period {
            if w.months > 12 || w.extra_months_per_gap_year > 12 {
                bad("waiting_period.months".into(), "at most 12 months each");
            }
            if w.window_end.year() > self.year {
                bad("waiting_period.window_end".into(), "must not fall after the policy year");
            }
        }
        if self.out_of_area.filed_reduction.get() > 1_000 {
            bad("out_of_area.filed_reduction".into(), "at most 10 points [N, 医保发〔2022〕22号]");
        }
        if self.out_of_area.unreferred_reduction.get() > 2_000 {
            bad(
                "out_of_area.unreferred_reduction".into(),
                "at most 20 points [N, 医保发〔2022〕22号]",
            );
        }
        for (i, r) in self.assistance.ratios.iter().enumerate() {
            if !ratio(r.ratio) {
                bad(format!("assistance.ratios[{i}].ratio"), "ratio must be <= 10000 bp");
            }
        }
        if self.assistance.annual_limit.get() < 0 {
            bad("assistance.annual_limit".into(), "must be >= 0");
        }
        if self.schemes.is_empty() {
            bad("schemes".into(), "at least one scheme");
        }
        for (i, s) in self.schemes.iter().enumerate() {
            let p = format!("schemes[{i}]");
            if self.schemes[..i].iter().any(|o| o.scheme == s.scheme) {
                bad(format!("{p}.scheme"), "duplicate scheme");
            }
            if s.annual_ceiling.get() < 0 {
                bad(format!("{p}.annual_ceiling"), "must be >= 0");
            }
            for (lv, v) in s.inpatient.deductible.all() {
                if v.get() < 0 {
                    bad(format!("{p}.inpatient.deductible.{}", lv.code()), "must be >= 0");
                }
            }
            for (lv, v) in s.inpatient.ratio.all() {
                if !ratio(v) {
                    bad(format!("{p}.inpatient.ratio.{}", lv.code()), "ratio must be <= 10000 bp");
                }
            }
            if !ratio(s.inpatient.repeat_admission_deductible) {
                bad(format!("{p}.inpatient.repeat_admission_deductible"), "ratio must be <= 10000 bp");
            }
            for (lv, v) in s.outpatient.ratio.all() {
                if !ratio(v) {
                    bad(format!("{p}.outpatient.ratio.{}", lv.code()), "ratio must be <= 10000 bp");
                }
            }
            for (lv, v) in s
                .outpatient
                .per_visit_limit
                .all()
                .into_iter()
                .chain(s.outpatient.annual_deductible.all())
            {
                if v.get() < 0 {
                    bad(format!("{p}.outpatient.{}", lv.code()), "limits and deductibles must be >= 0");
                }
            }
            if s.outpatient.annual_limit.get() < 0 {
                bad(format!("{p}.outpatient.annual_limit"), "must be >= 0");
            }
            if !ratio(s.chronic.ratio) {
                bad(format!("{p}.chronic.ratio"), "ratio must be <= 10000 bp");
            }
            if s.chronic.annual_deductible.get() < 0 || s.chronic.annual_limit.get() < 0 {
                bad(format!("{p}.chronic"), "deductible and limit must be >= 0");
            }
            for (j, d) in s.chronic.diseases.iter().enumerate() {
                if d.code.trim().is_empty() || s.chronic.diseases[..j].iter().any(|o| o.code == d.code) {
                    bad(format!("{p}.chronic.diseases[{j}].code"), "must be non-empty and unique");
                }
            }
            if let Some(ci) = &s.critical_illness {
                let q = format!("{p}.critical_illness");
                if ci.threshold.get() < 0 || ci.annual_limit.get() < 0 {
                    bad(q.clone(), "threshold and limit must be >= 0");
                }
                if ci.bands.first().is_none_or(|b| b.from != Fen::ZERO) {
                    bad(format!("{q}.bands"), "first band must start at 0");
                }
                for (j, b) in ci.bands.iter().enumerate() {
                    if j > 0 && b.from <= ci.bands[j - 1].from {
                        bad(format!("{q}.bands[{j}].from"), "bands must be strictly ascending");
                    }
                    if b.ratio.get() < 6_000 || b.ratio.get() + ci.special_ratio_bonus.get() > 10_000 {
                        bad(
                            format!("{q}.bands[{j}].ratio"),
                            "ratio >= 60 % [N, 国办发〔2021〕42号] and with the bonus <= 100 %",
                        );
                    }
                }
                if !ratio(ci.special_threshold_reduction) {
                    bad(format!("{q}.special_threshold_reduction"), "ratio must be <= 10000 bp");
                }
            }
        }
        out
    }

    /// An EXAMPLE policy for Changji prefecture (昌吉州, pool `652300`), 2026, with numbers taken
    /// from the typical ranges of docs/rules/benefits.md — not the real Changji table. For tests and demos.
    #[must_use]
    pub fn example_changji_2026() -> Policy {
        let chronic_list = [
            ("I10", "高血压"),
            ("E11", "糖尿病"),
            ("C97", "恶性肿瘤门诊放化疗"),
            ("N18", "尿毒症透析"),
            ("Z94", "器官移植术后抗排异"),
        ]
        .into_iter()
        .map(|(c, n)| ChronicDisease {
            code: c.into(),
            name: n.into(),
        })
        .collect::<Vec<_>>();
        let resident = SchemeBenefit {
            scheme: Scheme::Resident,
            annual_ceiling: yuan(180_000),
            inpatient: InpatientBenefit {
                deductible: ByLevel {
                    village: yuan(100),
                    township: yuan(200),
                    county: yuan(500),
                    out_of_county: yuan(1_000),
                    out_of_province: Some(yuan(1_500)),
                },
                ratio: ByLevel {
                    village: bp(9_000),
                    township: bp(8_500),
                    county: bp(7_500),
                    out_of_county: bp(6_000),
                    out_of_province: Some(bp(5_000)),
                },
                repeat_admission_deductible: bp(5_000),
            },
            outpatient: OutpatientBenefit {
                annual_deductible: ByLevel {
                    village: yuan(0),
                    township: yuan(0),
                    county: yuan(100),
                    out_of_county: yuan(200),
                    out_of_province: None,
                },
                ratio: ByLevel {
                    village: bp(6_500),
                    township: bp(6_000),
                    county: bp(5_000),
                    out_of_county: bp(5_000),
                    out_of_province: None,
                },
                per_visit_limit: ByLevel {
                    village: yuan(50),
                    township: yuan(80),
                    county: yuan(100),
                    out_of_county: yuan(0),
                    out_of_province: None,
                },
                annual_limit: yuan(500),
            },
            chronic: ChronicBenefit {
                diseases: chronic_list.clone(),
                annual_deductible: yuan(200),
                ratio: bp(7_000),
                annual_limit: yuan(20_000),
            },
            critical_illness: Some(CriticalIllnessBenefit {
                threshold: yuan(15_000),
                bands: vec![
                    CiBand {
                        from: Fen::ZERO,
                        ratio: bp(6_000),
                    },
                    CiBand {
                        from: yuan(100_000),
                        ratio: bp(7_000),
                    },
                ],
                annual_limit: yuan(400_000),
                special_threshold_reduction: bp(5_000),
                special_ratio_bonus: bp(500),
                special_no_limit: true,
                special_categories: default_special_categories(),
                covers_outpatient_pooling: false,
            }),
            retiree_ratio_bonus: bp(0),
        };
        let employee = SchemeBenefit {
            scheme: Scheme::Employee,
            annual_ceiling: yuan(300_000),
            inpatient: InpatientBenefit {
                deductible: ByLevel {
                    village: yuan(100),
                    township: yuan(200),
                    county: yuan(600),
                    out_of_county: yuan(1_200),
                    out_of_province: Some(yuan(2_000)),
                },
                ratio: ByLevel {
                    village: bp(9_000),
                    township: bp(9_000),
                    county: bp(8_500),
                    out_of_county: bp(7_500),
                    out_of_province: Some(bp(6_500)),
                },
                repeat_admission_deductible: bp(5_000),
            },
            outpatient: OutpatientBenefit {
                annual_deductible: ByLevel {
                    village: yuan(200),
                    township: yuan(200),
                    county: yuan(200),
                    out_of_county: yuan(200),
                    out_of_province: None,
                },
                ratio: ByLevel {
                    village: bp(6_000),
                    township: bp(6_000),
                    county: bp(5_500),
                    out_of_county: bp(5_000),
                    out_of_province: None,
                },
                per_visit_limit: ByLevel {
                    village: yuan(200),
                    township: yuan(200),
                    county: yuan(300),
                    out_of_county: yuan(300),
                    out_of_province: None,
                },
                annual_limit: yuan(3_000),
            },
            chronic: ChronicBenefit {
                diseases: chronic_list,
                annual_deductible: yuan(200),
                ratio: bp(8_500),
                annual_limit: yuan(30_000),
            },
            critical_illness: None,
            // Retired employees: 5 points more on every ratio.
            retiree_ratio_bonus: bp(500),
        };
        Policy {
            pool: "652300".into(),
            year: 2026,
            effective_from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
            version: "example-2026.1".into(),
            schemes: vec![employee, resident],
            class_b_preselfpay: bp(1_000),
            prescription_days: PrescriptionDays::default(),
            over_standard_selfpay: bp(10_000),
            out_of_area: OutOfAreaRule {
                filed_reduction: bp(1_000),
                unreferred_reduction: bp(2_000),
            },
            assistance: AssistanceBenefit {
                ratios: vec![
                    AssistanceRatio {
                        category: PersonCategory::ExtremePoverty,
                        ratio: bp(8_000),
                        deductible: Fen::ZERO,
                    },
                    AssistanceRatio {
                        category: PersonCategory::Subsistence,
                        ratio: bp(7_000),
                        deductible: Fen::ZERO,
                    },
                    AssistanceRatio {
                        category: PersonCategory::LowIncome,
                        ratio: bp(5_000),
                        deductible: Fen::ZERO,
                    },
                    AssistanceRatio {
                        category: PersonCategory::AtRisk,
                        ratio: bp(5_000),
                        deductible: Fen::ZERO,
                    },
                ],
                annual_limit: yuan(50_000),
            },
            excluded_items: vec!["COSMETIC-001".into()],
            waiting_period: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_is_valid_and_round_trips() {
        let p = Policy::example_changji_2026();
        assert_eq!(p.validate(), vec![]);
        let j = serde_json::to_string(&p).unwrap();
        assert!(j.contains("\"390\""));
        let back: Policy = serde_json::from_str(&j).unwrap();
        assert_eq!(back, p);
    }

    /// Source: docs/rules/referral.md#insurance-linkage (≤ 10 / ≤ 20 points) and docs/rules/benefits.md#critical-illness-and-assistance (critical-illness ratio ≥ 60 %).
    #[test]
    fn validate_reports_every_problem_with_path() {
        let mut p = Policy::example_changji_2026();
        p.out_of_area.unreferred_reduction = bp(2_500);
        p.out_of_area.filed_reduction = bp(1_500);
        p.schemes[1].inpatient.ratio.county = bp(10_001);
        if let Some(ci) = p.schemes[1].critical_illness.as_mut() {
            ci.bands[1].from = Fen::ZERO;
            ci.bands[0].ratio = bp(5_000);
        }
        p.schemes.push(p.schemes[0].clone());
        p.effective_from = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
        let paths: Vec<String> = p.validate().into_iter().map(|x| x.path).collect();
        for want in [
            "effective_from",
            "out_of_area.filed_reduction",
            "out_of_area.unreferred_reduction",
            "schemes[1].inpatient.ratio.county",
            "schemes[1].critical_illness.bands[1].from",
            "schemes[1].critical_illness.bands[0].ratio",
            "schemes[2].scheme",
        ] {
            assert!(paths.iter().any(|p| p == want), "missing {want} in {paths:?}");
        }
    }
}
