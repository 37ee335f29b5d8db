//! Volume-based procurement projects (集采项目) a community takes part in: national, provincial
//! and alliance batches with their selected products (price, firm, number of winners per
//! generic), each member's reported demand, the agreed volume the winners rule derives from it
//! (docs/rules/procurement.md#agreed-volume), the contract that fixes the volumes and credits the
//! insurance prepayment (docs/rules/procurement.md#prepayment), and renewal into a new period.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use sanyi_domain::{BasisPoints, Fen};
use sanyi_procurement::{WinnersRule, agreed_volume, prepayment};
use sanyi_store::medicines::{self as repo, DemandRow, PrepaymentRow, ProductRow, ProjectRow};
use sanyi_store::registry;

use super::{catalogue, covers_county, require_county};
use crate::{Actor, App, FieldError, Permission, ServiceError, audit};

/// The policy parameters of a contract (协议规则), stored with the project.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct ContractRules {
    /// Share of reported demand by number of winning firms.
    #[schema(value_type = Object)]
    pub winners: WinnersRule,
    /// Insurance prepayment share of the annual agreed amount (≥ 30 %).
    #[schema(value_type = u32)]
    pub prepay_share: BasisPoints,
    /// Prepayment floor, fen.
    #[schema(value_type = i64)]
    pub prepay_minimum: Fen,
    /// Share of the saving retained by the community (结余留用).
    #[schema(value_type = u32)]
    pub retained_share: BasisPoints,
    /// Completion a generic must reach for the retained saving (100 %).
    #[schema(value_type = u32)]
    pub completion_gate: BasisPoints,
    /// Alarm when completion is below this share of the time elapsed (80 %).
    #[schema(value_type = u32)]
    pub behind_threshold: BasisPoints,
    /// Days from acceptance to payment of a delivery (回款, 30).
    pub payment_days: u32,
}

impl Default for ContractRules {
    fn default() -> Self {
        ContractRules {
            winners: WinnersRule::default(),
            prepay_share: BasisPoints::new(3_000),
            prepay_minimum: Fen::ZERO,
            retained_share: BasisPoints::new(5_000),
            completion_gate: sanyi_procurement::DEFAULT_COMPLETION_GATE,
            behind_threshold: sanyi_procurement::DEFAULT_BEHIND_THRESHOLD,
            payment_days: sanyi_procurement::DEFAULT_PAYMENT_DAYS,
        }
    }
}

impl ContractRules {
    fn problems(&self) -> Vec<FieldError> {
        let mut errs = Vec::new();
        if let Err(e) = self.winners.validate() {
            errs.push(FieldError::new(
                "rules.winners",
                e.code(),
                "shares rising with the number of firms",
                &e.to_string(),
                &e.message_zh(),
            ));
        }
        if self.prepay_share.get() < 3_000 || self.prepay_share.get() > 10_000 {
            errs.push(FieldError::new(
                "rules.prepay_share",
                "prepay.share",
                "at least 30 % and at most 100 % of the agreed amount",
                "The insurance prepays at least 30 % of the agreed amount",
                "医保预付不得低于约定采购金额的 30%",
            ));
        }
        for (field, v) in [
            ("rules.retained_share", self.retained_share),
            ("rules.completion_gate", self.completion_gate),
            ("rules.behind_threshold", self.behind_threshold),
        ] {
            if v.get() > 10_000 {
                errs.push(FieldError::new(
                    field,
                    "ratio.range",
                    "0 to 100 %",
                    "A share above 100 %",
                    "比例不能超过 100%",
                ));
            }
        }
        if self.payment_days == 0 || self.payment_days > 90 {
            errs.push(FieldError::new(
                "rules.payment_days",
                "payment_days.range",
                "1 to 90 days",
                "Bad payment days",
                "回款天数须为 1–90 天",
            ));
        }
        errs
    }
}

/// A selected product of a new project.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct ProductInput {
    /// Catalogue code of the product.
    pub item_code: String,
    /// Winning firm.
    pub firm: String,
    /// Selected unit price, fen.
    pub selected_price: i64,
    /// Baseline unit price before the project (savings count from it), fen.
    pub baseline_price: i64,
}

/// A project to load.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct ProjectInput {
    /// Project code, unique in the county (e.g. `GJ-YP-2026-10`).
    pub code: String,
    /// Name.
    pub name: String,
    /// `national`, `provincial`, `alliance`.
    pub level: String,
    /// Contract start.
    pub starts_on: NaiveDate,
    /// Contract end (inclusive).
    pub ends_on: NaiveDate,
    /// The community taking part (default: the actor's institution's).
    #[serde(default)]
    pub community_id: Option<String>,
    /// Contract parameters (defaults: the national rules).
    #[serde(default)]
    pub rules: Option<ContractRules>,
    /// Selected products.
    pub products: Vec<ProductInput>,
}

/// A project as shown.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ProjectView {
    /// Id.
    pub id: String,
    /// County.
    pub division_code: String,
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// `national`, `provincial`, `alliance`.
    pub level: String,
    /// Community.
    pub community_id: String,
    /// Contract start.
    pub starts_on: NaiveDate,
    /// Contract end.
    pub ends_on: NaiveDate,
    /// The period it renews.
    pub renewal_of: Option<String>,
    /// `reporting` or `contracted`.
    pub state: String,
    /// Contract parameters.
    pub rules: ContractRules,
    /// Selected products.
    pub products: Vec<ProductView>,
    /// Demand and agreed volumes by institution and generic.
    pub demands: Vec<DemandView>,
    /// The insurance prepayment, once contracted.
    pub prepayment: Option<PrepaymentView>,
}

/// A selected product.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ProductView {
    /// Catalogue code.
    pub item_code: String,
    /// Product name (catalogue).
    pub name: String,
    /// Generic name.
    pub generic_name: String,
    /// Dosage form.
    pub dosage_form: String,
    /// Winning firm.
    pub firm: String,
    /// Firms selected for this generic.
    pub winners: u32,
    /// Selected unit price, fen.
    pub selected_price: i64,
    /// Baseline unit price, fen.
    pub baseline_price: i64,
}

/// One institution's demand of a generic.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DemandView {
    /// Institution.
    pub institution_id: String,
    /// Institution name.
    pub institution: String,
    /// Generic name.
    pub generic_name: String,
    /// Dosage form.
    pub dosage_form: String,
    /// Reported annual demand, units.
    pub reported_units: i64,
    /// Agreed volume, units.
    pub agreed_units: i64,
}

/// The insurance prepayment of a contracted project.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PrepaymentView {
    /// Prepaid, fen.
    pub amount: i64,
    /// Annual agreed purchase amount, fen.
    pub agreed_amount: i64,
    /// Credited on.
    pub credited_on: NaiveDate,
}

/// The generic a product belongs to: drugs by generic name and dosage form, consumables by their
/// generic name or, without one, their own name.
pub(crate) fn generic_of(item: &sanyi_store::medicines::CatalogueItemRow) -> (String, String) {
    if item.generic_name.is_empty() {
        (item.name_zh.clone(), item.dosage_form.clone())
    } else {
        (item.generic_name.clone(), item.dosage_form.clone())
    }
}

fn rules_of(p: &ProjectRow) -> ContractRules {
    serde_json::from_str(&p.rules).unwrap_or_default()
}

/// Loads a project (and its products, demands and prepayment) in the actor's area.
///
/// # Errors
/// `NotFound` for an unknown project or one outside the area.
pub async fn get(app: &App, actor: &Actor, id: &str) -> Result<ProjectView, ServiceError> {
    actor.require(Permission::ProcurementRead)?;
    let row = find(app, actor, id).await?;
    view(app, row).await
}

/// Finds a project by id in the actor's area.
pub(crate) async fn find(app: &App, actor: &Actor, id: &str) -> Result<ProjectRow, ServiceError> {
    let county: String = actor.scope.prefix().chars().take(6).collect();
    let rows = repo::projects(&app.db, &county).await?;
    let row = rows.into_iter().find(|p| p.id == id).ok_or(ServiceError::NotFound)?;
    require_county(actor, &row.division_code)?;
    Ok(row)
}

async fn view(app: &App, row: ProjectRow) -> Result<ProjectView, ServiceError> {
    let products = repo::products(&app.db, &row.division_code, Some(&row.id)).await?;
    let demands = repo::demands(&app.db, &row.division_code, Some(&row.id)).await?;
    let prepayment = repo::prepayments(&app.db, &row.division_code)
        .await?
        .into_iter()
        .find(|p| p.project_id == row.id)
        .map(|p| PrepaymentView {
            amount: p.amount,
            agreed_amount: p.agreed_amount,
            credited_on: p.credited_on,
        });
    let catalogue = catalogue::in_force(app, &pool_of_county(&row.division_code), row.starts_on).await?;
    let winners = winners_of(&products);
    let ids: Vec<String> = demands.iter().map(|d| d.institution_id.clone()).collect();
    let names = registry::names(&app.db, &ids).await?;
    Ok(ProjectView {
        rules: rules_of(&row),
        products: products
            .into_iter()
            .map(|p| ProductView {
                name: catalogue
                    .as_ref()
                    .and_then(|c| c.item(&p.item_code))
                    .map_or_else(|| p.item_code.clone(), |i| i.name_zh.clone()),
                winners: winners.get(&(p.generic_name.clone(), p.dosage_form.clone())).copied().unwrap_or(1),
                item_code: p.item_code,
                generic_name: p.generic_name,
                dosage_form: p.dosage_form,
                firm: p.firm,
                selected_price: p.selected_price,
                baseline_price: p.baseline_price,
            })
            .collect(),
        demands: demands
            .into_iter()
            .map(|d| DemandView {
                institution: names.get(&d.institution_id).cloned().unwrap_or_default(),
                institution_id: d.institution_id,
                generic_name: d.generic_name,
                dosage_form: d.dosage_form,
                reported_units: d.reported_units,
                agreed_units: d.agreed_units,
            })
            .collect(),
        prepayment,
        id: row.id,
        division_code: row.division_code,
        code: row.code,
        name: row.name,
        level: row.level,
        community_id: row.community_id,
        starts_on: row.starts_on,
        ends_on: row.ends_on,
        renewal_of: row.renewal_of,
        state: row.state,
    })
}

/// The pool of a county (first four digits + `00`).
pub(crate) fn pool_of_county(county: &str) -> String {
    format!("{}00", county.get(..4).unwrap_or(county))
}

/// Winning firms per generic.
pub(crate) fn winners_of(products: &[ProductRow]) -> BTreeMap<(String, String), u32> {
    let mut out = BTreeMap::new();
    for p in products {
        *out.entry((p.generic_name.clone(), p.dosage_form.clone())).or_insert(0) += 1;
    }
    out
}

/// The projects of the actor's area, newest first.
///
/// # Errors
/// `Forbidden` without the permission.
pub async fn list(app: &App, actor: &Actor) -> Result<Vec<ProjectView>, ServiceError> {
    actor.require(Permission::ProcurementRead)?;
    let prefix: String = actor.scope.prefix().chars().take(6).collect();
    let mut out = Vec::new();
    for row in repo::projects(&app.db, &prefix).await? {
        if covers_county(actor, &row.division_code) {
            out.push(view(app, row).await?);
        }
    }
    Ok(out)
}

/// Loads a project with its selected products (state `reporting`); a renewal copies the products
/// of the period it renews when none are given.
///
/// # Errors
/// `Validation` naming each bad field and product (unknown code, price not positive, a product
/// listed twice, dates out of order, a community outside the area); `Conflict` for a code taken.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn create(app: &App, actor: &Actor, input: &ProjectInput) -> Result<ProjectView, ServiceError> {
    create_with(app, actor, input, None).await
}

async fn create_with(app: &App, actor: &Actor, input: &ProjectInput, renewal_of: Option<&ProjectRow>) -> Result<ProjectView, ServiceError> {
    actor.require(Permission::ProcurementManage)?;
    let mut errs = Vec::new();
    let community_id = match &input.community_id {
        Some(c) => Some(c.clone()),
        None => match &actor.institution_id {
            Some(i) => registry::institution(&app.db, i).await?.and_then(|i| i.community_id),
            None => None,
        },
    };
    let prefix: String = actor.scope.prefix().chars().take(6).collect();
    let community = match &community_id {
        Some(id) => registry::communities(&app.db, &prefix)
            .await?
            .into_iter()
            .find(|c| &c.id == id && covers_county(actor, &c.division_code)),
        None => None,
    };
    if community.is_none() {
        errs.push(FieldError::new(
            "community_id",
            "community.in_area",
            "a medical community of the actor's county",
            "Unknown community, or outside the actor's area",
            "医共体不存在或不在本人管辖范围内",
        ));
    }
    if input.code.trim().is_empty() || input.code.chars().count() > 40 {
        errs.push(FieldError::new(
            "code",
            "code.format",
            "1 to 40 characters",
            "Bad project code",
            "项目编号须为 1–40 个字符",
        ));
    }
    if input.name.trim().is_empty() {
        errs.push(FieldError::required("name"));
    }
    if !matches!(input.level.as_str(), "national" | "provincial" | "alliance") {
        errs.push(FieldError::new(
            "level",
            "level.one_of",
            "national, provincial or alliance",
            "Unknown level",
            "层级须为 国家、省级 或 联盟",
        ));
    }
    if input.ends_on < input.starts_on {
        errs.push(FieldError::new(
            "ends_on",
            "period.order",
            "an end on or after the start",
            "The contract ends before it starts",
            "协议期结束日早于开始日",
        ));
    }
    let rules = input.rules.clone().unwrap_or_default();
    errs.extend(rules.problems());
    let county = community.as_ref().map(|c| c.division_code.clone()).unwrap_or_default();
    let catalogue = catalogue::in_force(app, &pool_of_county(&county), input.starts_on).await?;
    if catalogue.is_none() && community.is_some() {
        errs.push(FieldError::new(
            "starts_on",
            "catalogue.in_force",
            "a start on which the pool's catalogue is in force",
            "No catalogue is in force on the start day",
            "开始日没有生效的医保目录",
        ));
    }
    let mut products: Vec<ProductRow> = Vec::new();
    let given: Vec<ProductInput> = if input.products.is_empty() {
        match renewal_of {
            Some(old) => repo::products(&app.db, &old.division_code, Some(&old.id))
                .await?
                .into_iter()
                .map(|p| ProductInput {
                    item_code: p.item_code,
                    firm: p.firm,
                    selected_price: p.selected_price,
                    baseline_price: p.baseline_price,
                })
                .collect(),
            None => {
                errs.push(FieldError::new(
                    "products",
                    "products.required",
                    "at least one selected product",
                    "No products",
                    "请至少列出一个中选产品",
                ));
                Vec::new()
            }
        }
    } else {
        input.products.clone()
    };
    let mut seen = HashMap::new();
    for (i, p) in given.iter().enumerate() {
        let field = |f: &str| format!("products[{i}].{f}");
        let Some(catalogue) = catalogue.as_ref() else { continue };
        match catalogue.goods(&p.item_code, &field("item_code")) {
            Ok(it) => {
                let (generic_name, dosage_form) = generic_of(it);
                if seen.insert(it.code.clone(), i).is_some() {
                    errs.push(FieldError::new(
                        &field("item_code"),
                        "product.duplicate",
                        "each product once",
                        "Product listed twice",
                        "中选产品重复",
                    ));
                }
                if p.selected_price <= 0 || p.baseline_price <= 0 {
                    errs.push(FieldError::new(
                        &field("selected_price"),
                        "price.positive",
                        "prices above 0 fen",
                        "Prices must be above 0",
                        "价格须大于 0",
                    ));
                }
                if p.firm.trim().is_empty() {
                    errs.push(FieldError::required(&field("firm")));
                }
                products.push(ProductRow {
                    project_id: String::new(),
                    item_code: it.code.clone(),
                    generic_name,
                    dosage_form,
                    firm: p.firm.trim().to_owned(),
                    selected_price: p.selected_price,
                    baseline_price: p.baseline_price,
                });
            }
            Err(e) => errs.push(e),
        }
    }
    if !errs.is_empty() {
        return Err(ServiceError::Validation(errs));
    }
    let Some(community) = community else {
        return Err(ServiceError::NotFound);
    };
    let id = sanyi_store::new_id();
    for p in &mut products {
        p.project_id.clone_from(&id);
    }
    let row = ProjectRow {
        division_code: community.division_code.clone(),
        id: id.clone(),
        code: input.code.trim().to_owned(),
        name: input.name.trim().to_owned(),
        level: input.level.clone(),
        community_id: community.id.clone(),
        starts_on: input.starts_on,
        ends_on: input.ends_on,
        renewal_of: renewal_of.map(|r| r.id.clone()),
        rules: serde_json::to_string(&rules).map_err(|e| ServiceError::Internal(e.into()))?,
        state: "reporting".into(),
        contracted_at: None,
        created_by: actor.user_id.clone(),
        created_at: Utc::now(),
    };
    let a = audit::entry(
        actor,
        &row.division_code,
        "create",
        "procurement_project",
        &id,
        None,
        &format!("code={} products={}", row.code, products.len()),
    );
    repo::insert_project(&app.db, &row, &products, &a).await?;
    app.medicines.invalidate();
    view(app, row).await
}

/// A renewal of a contract into a new period (续约).
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct RenewalInput {
    /// New project code.
    pub code: String,
    /// New period start.
    pub starts_on: NaiveDate,
    /// New period end.
    pub ends_on: NaiveDate,
}

/// Renews a contracted project into a new period with the same products and rules, open for
/// demand again.
///
/// # Errors
/// `Validation` when the project is not contracted yet or the new period does not follow it.
pub async fn renew(app: &App, actor: &Actor, id: &str, input: &RenewalInput) -> Result<ProjectView, ServiceError> {
    actor.require(Permission::ProcurementManage)?;
    let old = find(app, actor, id).await?;
    let mut errs = Vec::new();
    if old.state != "contracted" {
        errs.push(FieldError::new(
            "state",
            "renewal.contracted",
            "a contracted project",
            "Only a contracted project is renewed",
            "只有已签约的项目可以续约",
        ));
    }
    if input.starts_on <= old.ends_on {
        errs.push(FieldError::new(
            "starts_on",
            "renewal.after",
            "a start after the current period's end",
            "The new period must start after the current one ends",
            "续约期须在原协议期结束后开始",
        ));
    }
    if !errs.is_empty() {
        return Err(ServiceError::Validation(errs));
    }
    let input = ProjectInput {
        code: input.code.clone(),
        name: old.name.clone(),
        level: old.level.clone(),
        starts_on: input.starts_on,
        ends_on: input.ends_on,
        community_id: Some(old.community_id.clone()),
        rules: Some(rules_of(&old)),
        products: Vec::new(),
    };
    create_with(app, actor, &input, Some(&old)).await
}

/// One institution's reported demand of one generic.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct DemandInput {
    /// Institution of the community.
    pub institution_id: String,
    /// Generic name (as listed in the project).
    pub generic_name: String,
    /// Dosage form.
    pub dosage_form: String,
    /// Reported annual demand, units.
    pub reported_units: i64,
}

/// Records reported demand; each row's agreed volume is derived by the winners rule.
///
/// # Errors
/// `Validation` naming each bad row (an institution outside the community, a generic not in the
/// project, negative demand) or a project no longer open for reporting; nothing is stored then.
pub async fn report_demand(app: &App, actor: &Actor, id: &str, rows: &[DemandInput]) -> Result<ProjectView, ServiceError> {
    actor.require(Permission::ProcurementManage)?;
    let project = find(app, actor, id).await?;
    let rules = rules_of(&project);
    let products = repo::products(&app.db, &project.division_code, Some(&project.id)).await?;
    let winners = winners_of(&products);
    let members: HashMap<String, String> = registry::institutions(&app.db, &project.division_code)
        .await?
        .into_iter()
        .filter(|i| i.community_id.as_deref() == Some(project.community_id.as_str()))
        .map(|i| (i.id, i.name))
        .collect();
    let mut errs = Vec::new();
    if project.state != "reporting" {
        errs.push(FieldError::new(
            "state",
            "demand.reporting",
            "a project open for demand reporting",
            "The agreed volumes are fixed: the project is contracted",
            "项目已签约，约定采购量已确定，不能再报送需求",
        ));
    }
    let mut out = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let field = |f: &str| format!("rows[{i}].{f}");
        if !members.contains_key(&r.institution_id) {
            errs.push(FieldError::new(
                &field("institution_id"),
                "institution.member",
                "an institution of the project's community",
                "Not a member of the community",
                "该机构不是本医共体成员",
            ));
        }
        let key = (r.generic_name.clone(), r.dosage_form.clone());
        let Some(&n) = winners.get(&key) else {
            errs.push(FieldError::new(
                &field("generic_name"),
                "generic.in_project",
                "a generic with selected products in the project",
                &format!("{} {} has no selected product in this project", r.generic_name, r.dosage_form),
                &format!("本项目没有 {}（{}）的中选产品", r.generic_name, r.dosage_form),
            ));
            continue;
        };
        match agreed_volume(r.reported_units, n, &rules.winners) {
            Ok(agreed) => out.push(DemandRow {
                project_id: project.id.clone(),
                institution_id: r.institution_id.clone(),
                generic_name: r.generic_name.clone(),
                dosage_form: r.dosage_form.clone(),
                reported_units: r.reported_units,
                agreed_units: agreed,
            }),
            Err(e) => errs.push(FieldError::new(
                &field("reported_units"),
                e.code(),
                "a demand of 0 units or more",
                &e.to_string(),
                &e.message_zh(),
            )),
        }
    }
    if !errs.is_empty() {
        return Err(ServiceError::Validation(errs));
    }
    let a = audit::entry(
        actor,
        &project.division_code,
        "report_demand",
        "procurement_project",
        &project.id,
        None,
        &format!("rows={}", out.len()),
    );
    repo::put_demands(&app.db, &project.division_code, &project.id, &out, &a).await?;
    app.medicines.invalidate();
    view(app, project).await
}

/// The annual agreed purchase amount of a project: Σ agreed units × the lowest selected price of
/// the generic (the volume can be bought from any winner; the floor keeps the prepayment within
/// what will surely be bought).
pub(crate) fn agreed_amount(products: &[ProductRow], demands: &[DemandRow]) -> Result<Fen, ServiceError> {
    let mut lowest: BTreeMap<(&str, &str), i64> = BTreeMap::new();
    for p in products {
        let e = lowest
            .entry((p.generic_name.as_str(), p.dosage_form.as_str()))
            .or_insert(p.selected_price);
        *e = (*e).min(p.selected_price);
    }
    let mut total = Fen::ZERO;
    for d in demands {
        let price = lowest.get(&(d.generic_name.as_str(), d.dosage_form.as_str())).copied().unwrap_or(0);
        total = total
            .checked_add(
                Fen::new(price)
                    .checked_mul(d.agreed_units)
                    .map_err(|e| ServiceError::Internal(e.into()))?,
            )
            .map_err(|e| ServiceError::Internal(e.into()))?;
    }
    Ok(total)
}

/// Signs the contract: fixes the agreed volumes and credits the insurance prepayment (≥ the
/// rules' share of the annual agreed amount) on the contract start.
///
/// # Errors
/// `Validation` when no agreed volume was reported (an agreed volume needs a contract, and a
/// contract needs agreed volumes) or the project is contracted already.
pub async fn contract(app: &App, actor: &Actor, id: &str) -> Result<ProjectView, ServiceError> {
    actor.require(Permission::ProcurementManage)?;
    let project = find(app, actor, id).await?;
    let rules = rules_of(&project);
    let products = repo::products(&app.db, &project.division_code, Some(&project.id)).await?;
    let demands = repo::demands(&app.db, &project.division_code, Some(&project.id)).await?;
    if project.state != "reporting" {
        return Err(ServiceError::Validation(vec![FieldError::new(
            "state",
            "contract.once",
            "a project not yet contracted",
            "Already contracted",
            "项目已签约",
        )]));
    }
    if demands.iter().all(|d| d.agreed_units == 0) {
        return Err(ServiceError::Validation(vec![FieldError::new(
            "demands",
            "contract.volumes",
            "reported demand with agreed volumes",
            "No agreed volume: report demand first",
            "尚无约定采购量，请先报送需求",
        )]));
    }
    let agreed = agreed_amount(&products, &demands)?;
    let prepaid =
        prepayment(agreed, rules.prepay_share, rules.prepay_minimum).map_err(|e| ServiceError::Internal(anyhow::anyhow!("{e}")))?;
    let row = PrepaymentRow {
        division_code: project.division_code.clone(),
        project_id: project.id.clone(),
        amount: prepaid.get(),
        agreed_amount: agreed.get(),
        credited_on: project.starts_on,
    };
    let a = audit::entry(
        actor,
        &project.division_code,
        "contract",
        "procurement_project",
        &project.id,
        None,
        &format!("agreed_amount={} prepayment={}", agreed.get(), prepaid.get()),
    );
    repo::contract(&app.db, &row, &a).await?;
    app.medicines.invalidate();
    let project = find(app, actor, id).await?;
    view(app, project).await
}
