//! The fund year of a pool (年度基金预算与支付政策): fund F, rigid carve-outs and every parameter of
//! the county global budget (docs/rules/global-budget.md) and of the payment methods (docs/rules/payment-methods.md) — one document per
//! pool and year, imported from TOML or JSON and validated by the engine.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use sanyi_domain::{BasisPoints, Fen};
use sanyi_insurance::budget::RigidItem;
use sanyi_insurance::fraud::FraudPolicy;
use sanyi_insurance::payment::{BedDayPolicy, BedDayStage, CapitationPolicy};
use sanyi_insurance::{BudgetPolicy, DrgPointPolicy};

use super::{actor_pool, parse_document, problems};
use crate::{Actor, App, FieldError, Permission, ServiceError, audit};

/// Budget and payment parameters of one pool and year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FundYear {
    /// Pool code.
    pub pool: String,
    /// Year.
    pub year: i32,
    /// F, the fund available for the year.
    #[schema(value_type = i64)]
    pub fund: Fen,
    /// Rigid carve-outs not packaged to counties.
    #[schema(value_type = Vec<Object>)]
    pub rigid: Vec<RigidItem>,
    /// Global budget parameters (r, a, b, p, ρ, pass mark, overspend model).
    #[schema(value_type = Object)]
    pub budget: BudgetPolicy,
    /// DRG point method parameters.
    #[schema(value_type = Object)]
    pub drg: DrgPointPolicy,
    /// Institution coefficient K by tier (`county`, `township`), basis points (10 000 = 1).
    #[schema(value_type = Object)]
    pub coefficients: BTreeMap<String, BasisPoints>,
    /// Capitation of outpatient care by enrolled persons.
    #[schema(value_type = Object)]
    pub capitation: CapitationPolicy,
    /// Per bed-day rates for long stays paid by bed-day.
    #[schema(value_type = Object)]
    pub bed_day: BedDayPolicy,
    /// Main-diagnosis prefixes paid by bed-day inside the point method (psychiatry, rehabilitation,
    /// long-term and palliative care), e.g. `F20`, `Z50`.
    #[serde(default = "bed_day_diagnoses")]
    pub bed_day_diagnoses: Vec<String>,
    /// Appraisal score per county, hundredths of a point; the year-end settlement refuses to run
    /// while a county of the pool has none.
    pub scores: BTreeMap<String, u32>,
    /// Internal distribution of a retained surplus by tier (e.g. county 6, township 3, village 1).
    pub surplus_split: BTreeMap<String, u64>,
    /// Fraud and misuse screening thresholds of the year (readmission window, low-standard
    /// admission, days without care records …); absent: the defaults of docs/rules/fraud.md.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub fraud: FraudPolicy,
    /// The point method of the pool's inpatient cases: `drg` (default) or `dip` (按病种分值, with
    /// the `dip` catalogue below).
    #[serde(default)]
    #[schema(value_type = String)]
    pub point_method: PointMethod,
    /// The DIP catalogue and parameters (needed when `point_method` is `dip`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    pub dip: Option<sanyi_insurance::dip::DipPolicy>,
}

/// The point method of a pool (点数法): DRG groups or DIP disease groups.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PointMethod {
    /// CHS-DRG groups and weights (the pool's scheme in force).
    #[default]
    Drg,
    /// Diagnosis-intervention packets (按病种分值).
    Dip,
}

fn bed_day_diagnoses() -> Vec<String> {
    ["F20", "F31", "F32", "Z50", "Z51.5"].map(String::from).to_vec()
}

impl FundYear {
    /// Every problem with the document, as field errors.
    pub fn check(&self, pool: &str) -> Vec<FieldError> {
        let mut errs = problems("budget", self.budget.validate());
        errs.extend(problems("drg", self.drg.validate()));
        errs.extend(problems("bed_day", self.bed_day.validate()));
        errs.extend(problems("fraud", self.fraud.validate()));
        match (&self.dip, self.point_method) {
            (Some(d), _) => errs.extend(problems("dip", d.validate())),
            (None, PointMethod::Dip) => errs.push(FieldError::new(
                "dip",
                "dip.required",
                "the DIP catalogue (base cost, ratios, groups) when point_method is dip",
                "A pool paying by DIP needs its DIP catalogue",
                "按病种分值付费须提供病种分值目录",
            )),
            (None, PointMethod::Drg) => {}
        }
        if self.pool != pool {
            errs.push(FieldError::new(
                "pool",
                "fund_year.pool",
                pool,
                "The document is for another pool",
                "文件所属统筹区不符",
            ));
        }
        if self.fund.get() <= 0 {
            errs.push(FieldError::new(
                "fund",
                "fund.positive",
                "a fund above zero (fen)",
                "The fund must be positive",
                "基金总额须大于零",
            ));
        }
        for (i, r) in self.rigid.iter().enumerate() {
            if r.amount.get() < 0 {
                errs.push(FieldError::new(
                    &format!("rigid[{i}].amount"),
                    "money.non_negative",
                    "an amount ≥ 0",
                    "Negative carve-out",
                    "刚性支出不能为负",
                ));
            }
        }
        for (tier, k) in &self.coefficients {
            if k.get() == 0 || k.get() > 30_000 {
                errs.push(FieldError::new(
                    &format!("coefficients.{tier}"),
                    "coefficient.range",
                    "1..=30000 bp",
                    "A coefficient must lie in (0, 3]",
                    "机构系数须在 (0, 3] 之间",
                ));
            }
        }
        if self.capitation.withhold.get() > 10_000 {
            errs.push(FieldError::new(
                "capitation.withhold",
                "ratio.max",
                "≤ 10000 bp",
                "Withhold above 100 %",
                "预留比例超过 100%",
            ));
        }
        if self.surplus_split.values().all(|v| *v == 0) {
            errs.push(FieldError::new(
                "surplus_split",
                "split.nonzero",
                "at least one share > 0",
                "No share to split a surplus",
                "结余分配比例全为零",
            ));
        }
        errs
    }

    /// An illustrative fund year for the demo pool (Changji pattern: r 5 %, a 0.7 / b 0.3, p 90 %,
    /// surplus retained, overspend borne by the community; K county 1.0, township 0.85; split 6:3:1).
    pub fn example(pool: &str, year: i32, fund: Fen, rigid: Fen, overall_mean_cost: Fen) -> FundYear {
        let bp = BasisPoints::new;
        FundYear {
            pool: pool.to_owned(),
            year,
            fund,
            rigid: vec![RigidItem {
                name: "大病保险保费".into(),
                amount: rigid,
            }],
            budget: BudgetPolicy::example_changji(),
            drg: DrgPointPolicy::example(overall_mean_cost),
            coefficients: [("county".to_owned(), bp(10_000)), ("township".to_owned(), bp(8_500))].into(),
            capitation: CapitationPolicy {
                monthly_rate: Fen::new(1_500),
                withhold: bp(1_500),
                pass_mark: 6_000,
                basis: sanyi_insurance::payment::CapitationBasis::Enrolled,
                charge_outside_care: false,
            },
            bed_day: BedDayPolicy {
                stages: vec![
                    BedDayStage {
                        from_day: 1,
                        daily_rate: Fen::new(30_000),
                    },
                    BedDayStage {
                        from_day: 61,
                        daily_rate: Fen::new(25_000),
                    },
                    BedDayStage {
                        from_day: 181,
                        daily_rate: Fen::new(20_000),
                    },
                ],
                annual_cap: Fen::new(6_000_000),
                readmission_merge_days: 15,
            },
            bed_day_diagnoses: bed_day_diagnoses(),
            scores: BTreeMap::new(),
            surplus_split: [("county".to_owned(), 6), ("township".to_owned(), 3), ("village".to_owned(), 1)].into(),
            fraud: FraudPolicy::default(),
            point_method: PointMethod::Drg,
            dip: None,
        }
    }
}

/// Validates and stores (or replaces) the fund year of the actor's pool. The fund year is a
/// pool-level record: only pool-wide officers may change it. `year`, when given (the API's path),
/// must be the document's year.
///
/// # Errors
/// `PoolLevelOnly` for a county-scoped officer; `Validation` naming every broken rule; nothing is
/// stored then.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn import(app: &App, actor: &Actor, text: &str, toml: bool, year: Option<i32>) -> Result<FundYear, ServiceError> {
    actor.require_pool_level(Permission::InsuranceManage)?;
    let pool = actor_pool(actor, None)?;
    let fy: FundYear = parse_document(text, toml, "fund_year")?;
    let mut errs = fy.check(&pool);
    if let Some(y) = year.filter(|y| *y != fy.year) {
        errs.push(FieldError::new(
            "year",
            "fund_year.year",
            &y.to_string(),
            "The document's year differs from the path",
            "文件年度与路径不符",
        ));
    }
    if !errs.is_empty() {
        return Err(ServiceError::Validation(errs));
    }
    let body = serde_json::to_string(&fy).map_err(|e| ServiceError::Internal(e.into()))?;
    let a = audit::entry(
        actor,
        &pool,
        "update",
        "fund_year",
        &format!("{pool}/{}", fy.year),
        None,
        "fund year",
    );
    sanyi_store::insurance::put_fund_year(&app.db, &pool, i64::from(fy.year), &body, &a).await?;
    Ok(fy)
}

/// Stores a fund year without an actor (demo seeding), checked like [`import`].
///
/// # Errors
/// `Validation` as for [`import`].
#[tracing::instrument(skip_all)]
pub async fn seed(app: &App, fy: &FundYear) -> Result<(), ServiceError> {
    let errs = fy.check(&fy.pool);
    if !errs.is_empty() {
        return Err(ServiceError::Validation(errs));
    }
    let body = serde_json::to_string(fy).map_err(|e| ServiceError::Internal(e.into()))?;
    let a = audit::system_entry(
        &fy.pool,
        "update",
        "fund_year",
        &format!("{}/{}", fy.pool, fy.year),
        "demo fund year",
    );
    sanyi_store::insurance::put_fund_year(&app.db, &fy.pool, i64::from(fy.year), &body, &a).await?;
    Ok(())
}

/// The fund year of a pool.
///
/// # Errors
/// `NotFound` when none is stored.
#[tracing::instrument(skip_all)]
pub async fn load(app: &App, pool: &str, year: i32) -> Result<FundYear, ServiceError> {
    let body = sanyi_store::insurance::fund_year(&app.db, pool, i64::from(year))
        .await?
        .ok_or(ServiceError::NotFound)?;
    serde_json::from_str(&body).map_err(|e| ServiceError::Internal(e.into()))
}

/// The fund year of the actor's pool. A county-scoped reader sees the pool's parameters but only
/// its own county's appraisal score.
///
/// # Errors
/// `Forbidden`; `NotFound`.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn get(app: &App, actor: &Actor, year: i32) -> Result<FundYear, ServiceError> {
    actor.require(Permission::InsuranceRead)?;
    let pool = actor_pool(actor, None)?;
    let mut fy = load(app, &pool, year).await?;
    if !actor.is_pool_level() {
        let own = actor.scope.division_prefix();
        fy.scores.retain(|county, _| county.starts_with(own));
    }
    Ok(fy)
}
