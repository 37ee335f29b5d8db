//! The community's central pharmacy (中心药房): the lead hospital orders for all members from the
//! suppliers, accepts deliveries into stock by lot (a delivery is also the supplier's invoice,
//! due within the contract's days: docs/rules/procurement.md#supplier-payment), pays them, and
//! transfers stock down to township centres and village clinics, first expiry first out.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use sanyi_domain::Fen;
use sanyi_procurement::{LotStock, allocate, due_date, overdue_days};
use sanyi_store::medicines as med_repo;
use sanyi_store::pharmacy::{self as repo, DeliveryRow, LineRow, LotRow, OrderRow, STOCK_SHORT, Take};
use sanyi_store::registry::{self, Institution};
use sanyi_store::{ConstraintKind, StoreError};

use super::catalogue::{self, InForce};
use super::projects::{ContractRules, pool_of_county};
use super::{covers_county, require_county};
use crate::{Actor, App, FieldError, Page, Paged, Permission, ServiceError, audit};

pub(crate) use super::cache::Selected;

/// The selected products of the county's contracted projects whose period covers `day`, by
/// catalogue code.
pub(crate) async fn selected_on(app: &App, county: &str, day: NaiveDate) -> Result<HashMap<String, Selected>, ServiceError> {
    Ok(app
        .medicines
        .contracted(&app.db, county)
        .await?
        .iter()
        .filter(|s| s.project.starts_on <= day && day <= s.project.ends_on)
        .map(|s| (s.product.item_code.clone(), s.clone()))
        .collect())
}

/// The institution the actor works for, which must be in its area.
async fn own_institution(app: &App, actor: &Actor) -> Result<Institution, ServiceError> {
    let id = actor.institution_id.as_deref().ok_or_else(|| {
        ServiceError::Validation(vec![FieldError::new(
            "institution_id",
            "institution.staff",
            "an account of an institution's staff",
            "This account works for no institution",
            "该账号不属于任何机构",
        )])
    })?;
    registry::institution(&app.db, id).await?.ok_or(ServiceError::NotFound)
}

/// The institution `id` (default: the actor's own) when it is in the actor's area.
async fn institution_in_area(app: &App, actor: &Actor, id: Option<&str>, field: &str) -> Result<Institution, ServiceError> {
    let inst = match id.filter(|s| !s.is_empty()) {
        Some(id) => registry::institution(&app.db, id).await?,
        None => Some(own_institution(app, actor).await?),
    };
    match inst {
        Some(i) if covers_county(actor, &i.division_code) || actor.institution_id.as_deref() == Some(i.id.as_str()) => Ok(i),
        _ => Err(ServiceError::Validation(vec![FieldError::new(
            field,
            "institution.in_area",
            "an institution of the actor's area",
            "Unknown institution, or outside the actor's area",
            "机构不存在或不在本人管辖范围内",
        )])),
    }
}

/// One line of an order.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[schema(as = PurchaseLineInput)]
pub struct OrderLineInput {
    /// Catalogue code.
    pub item_code: String,
    /// Units.
    pub quantity: i64,
    /// Unit price, fen (default: the selected price of a contracted product, else the price cap).
    #[serde(default)]
    pub unit_price: Option<i64>,
}

/// A purchase order of the central pharmacy.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[schema(as = PurchaseOrderInput)]
pub struct OrderInput {
    /// Order number, unique in the county.
    pub order_no: String,
    /// Supplier (配送企业).
    pub supplier: String,
    /// Ordered on (default: today).
    #[serde(default)]
    pub ordered_on: Option<NaiveDate>,
    /// Buying institution (default: the actor's, which must lead its community).
    #[serde(default)]
    pub institution_id: Option<String>,
    /// Lines.
    pub lines: Vec<OrderLineInput>,
}

/// An order or delivery line as shown.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LineView {
    /// Line number.
    pub line_no: i64,
    /// Catalogue code.
    pub item_code: String,
    /// Item name.
    pub name: String,
    /// Lot (deliveries).
    pub lot_no: String,
    /// Expiry (deliveries).
    pub expires_on: Option<NaiveDate>,
    /// Units.
    pub quantity: i64,
    /// Unit price, fen.
    pub unit_price: i64,
    /// Bought under this procurement project (selected product).
    pub project_id: Option<String>,
}

/// An order as shown.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[schema(as = PurchaseOrderView)]
pub struct OrderView {
    /// Id.
    pub id: String,
    /// Order number.
    pub order_no: String,
    /// Buying institution.
    pub institution_id: String,
    /// Its name.
    pub institution: String,
    /// Supplier.
    pub supplier: String,
    /// Ordered on.
    pub ordered_on: NaiveDate,
    /// Lines.
    pub lines: Vec<LineView>,
    /// Amount, fen.
    pub amount: i64,
    /// Deliveries against it.
    pub deliveries: Vec<DeliveryView>,
}

fn line_view(l: LineRow, c: Option<&InForce>) -> LineView {
    LineView {
        name: c
            .and_then(|c| c.item(&l.item_code))
            .map_or_else(|| l.item_code.clone(), |i| i.name_zh.clone()),
        line_no: l.line_no,
        item_code: l.item_code,
        lot_no: l.lot_no,
        expires_on: l.expires_on,
        quantity: l.quantity,
        unit_price: l.unit_price,
        project_id: l.project_id,
    }
}

fn conflict(field: &str, rule: &str, en: &str, zh: &str) -> ServiceError {
    ServiceError::Conflict(vec![FieldError::new(field, rule, "a step not yet taken", en, zh)])
}

/// Places a purchase order of the central pharmacy (the lead hospital buys for all members).
///
/// # Errors
/// `Validation` naming each bad field and line: an institution that does not lead its community,
/// an unknown code or a service item, a quantity below one, a price above the catalogue's cap, a
/// selected product ordered at another price than the contract's; `Conflict` for a number taken.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn order(app: &App, actor: &Actor, input: &OrderInput) -> Result<OrderView, ServiceError> {
    actor.require(Permission::ProcurementManage)?;
    let inst = institution_in_area(app, actor, input.institution_id.as_deref(), "institution_id").await?;
    let mut errs = Vec::new();
    let leads = registry::communities(&app.db, &inst.division_code).await?;
    if !leads.iter().any(|c| c.lead_institution_id.as_deref() == Some(inst.id.as_str())) {
        errs.push(FieldError::new(
            "institution_id",
            "pharmacy.central",
            "the lead hospital of a community (its central pharmacy buys for all members)",
            "Only the lead hospital's central pharmacy places orders",
            "只有医共体牵头医院的中心药房可以采购",
        ));
    }
    if input.order_no.trim().is_empty() || input.order_no.chars().count() > 40 {
        errs.push(FieldError::new(
            "order_no",
            "order_no.format",
            "1 to 40 characters",
            "Bad order number",
            "采购单号须为 1–40 个字符",
        ));
    }
    if input.supplier.trim().is_empty() {
        errs.push(FieldError::required("supplier"));
    }
    if input.lines.is_empty() {
        errs.push(FieldError::new(
            "lines",
            "lines.required",
            "at least one line",
            "No lines",
            "请至少填写一行",
        ));
    }
    let day = input.ordered_on.unwrap_or_else(sanyi_domain::time::today);
    let catalogue = catalogue::require_in_force(app, &pool_of_county(&inst.division_code), day, "ordered_on").await?;
    let selected = selected_on(app, &inst.division_code, day).await?;
    let mut lines = Vec::new();
    for (i, l) in input.lines.iter().enumerate() {
        let field = |f: &str| format!("lines[{i}].{f}");
        let item = match catalogue.goods(&l.item_code, &field("item_code")) {
            Ok(item) => item,
            Err(e) => {
                errs.push(e);
                continue;
            }
        };
        errs.extend(catalogue::quantity_error(l.quantity, &field("quantity")));
        let sel = selected.get(&item.code);
        let price = l
            .unit_price
            .unwrap_or_else(|| sel.map_or(item.price_cap, |s| s.product.selected_price));
        if price <= 0 || price > item.price_cap {
            errs.push(FieldError::new(
                &field("unit_price"),
                "price.cap",
                "a price above 0 and at most the catalogue's cap (最高限价)",
                &format!("Price {} above the cap {}", Fen::new(price), Fen::new(item.price_cap)),
                &format!("单价 {} 元高于目录限价 {} 元", Fen::new(price), Fen::new(item.price_cap)),
            ));
        }
        if let Some(s) = sel.filter(|s| s.product.selected_price != price) {
            errs.push(FieldError::new(
                &field("unit_price"),
                "procurement.selected_price",
                "the contract's selected price",
                &format!("{} is a selected product at {}", item.name_zh, Fen::new(s.product.selected_price)),
                &format!(
                    "{} 是中选产品，须按中选价 {} 元采购",
                    item.name_zh,
                    Fen::new(s.product.selected_price)
                ),
            ));
        }
        lines.push(LineRow {
            line_no: i as i64 + 1,
            item_code: item.code.clone(),
            lot_no: String::new(),
            expires_on: None,
            quantity: l.quantity,
            unit_price: price,
            project_id: sel.map(|s| s.project.id.clone()),
        });
    }
    if !errs.is_empty() {
        return Err(ServiceError::Validation(errs));
    }
    let row = OrderRow {
        division_code: inst.division_code.clone(),
        id: sanyi_store::new_id(),
        order_no: input.order_no.trim().to_owned(),
        institution_id: inst.id.clone(),
        supplier: input.supplier.trim().to_owned(),
        ordered_on: day,
        ordered_by: actor.user_id.clone(),
        created_at: chrono::Utc::now(),
    };
    let a = audit::entry(
        actor,
        &row.division_code,
        "create",
        "purchase_order",
        &row.id,
        None,
        &format!("order_no={} lines={}", row.order_no, lines.len()),
    );
    repo::insert_order(&app.db, &row, &lines, &a).await?;
    get_order(app, actor, &row.id).await
}

/// An order with its lines and deliveries.
///
/// # Errors
/// `NotFound` outside the area.
pub async fn get_order(app: &App, actor: &Actor, id: &str) -> Result<OrderView, ServiceError> {
    actor.require(Permission::ProcurementRead)?;
    let county: String = actor.scope.prefix().chars().take(6).collect();
    let o = find_order(app, actor, &county, id).await?;
    let c = catalogue::in_force(app, &pool_of_county(&o.division_code), o.ordered_on).await?;
    let lines: Vec<LineView> = repo::order_lines(&app.db, &o.division_code, &o.id)
        .await?
        .into_iter()
        .map(|l| line_view(l, c.as_deref()))
        .collect();
    let deliveries = repo::deliveries(&app.db, &o.division_code, false, Page { offset: 0, limit: 1_000 })
        .await?
        .items
        .into_iter()
        .filter(|d| d.order_id == o.id)
        .map(|d| delivery_view(d, sanyi_domain::time::today()))
        .collect();
    let names = registry::names(&app.db, std::slice::from_ref(&o.institution_id)).await?;
    Ok(OrderView {
        amount: lines.iter().map(|l| l.quantity * l.unit_price).sum(),
        institution: names.get(&o.institution_id).cloned().unwrap_or_default(),
        id: o.id,
        order_no: o.order_no,
        institution_id: o.institution_id,
        supplier: o.supplier,
        ordered_on: o.ordered_on,
        lines,
        deliveries,
    })
}

async fn find_order(app: &App, actor: &Actor, county: &str, id: &str) -> Result<OrderRow, ServiceError> {
    // An id names one order in one county: try the actor's county (a pool-wide actor: each county of the pool).
    if county.len() == 6 {
        let o = repo::order(&app.db, county, id).await?.ok_or(ServiceError::NotFound)?;
        require_county(actor, &o.division_code)?;
        return Ok(o);
    }
    for c in registry::counties(&app.db)
        .await?
        .into_iter()
        .filter(|c| c.division_code.starts_with(county))
    {
        if let Some(o) = repo::order(&app.db, &c.division_code, id).await? {
            return Ok(o);
        }
    }
    Err(ServiceError::NotFound)
}

/// One row of the order list.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[schema(as = PurchaseOrderListItem)]
pub struct OrderListItem {
    /// Id.
    pub id: String,
    /// Order number.
    pub order_no: String,
    /// Supplier.
    pub supplier: String,
    /// Buying institution.
    pub institution_id: String,
    /// Ordered on.
    pub ordered_on: NaiveDate,
}

/// The orders of the actor's area, newest first.
///
/// # Errors
/// `Forbidden` without the permission.
pub async fn orders(app: &App, actor: &Actor, page: Page) -> Result<Paged<OrderListItem>, ServiceError> {
    actor.require(Permission::ProcurementRead)?;
    Ok(repo::orders(&app.db, &area_prefix(actor), page).await?.map(|o| OrderListItem {
        id: o.id,
        order_no: o.order_no,
        supplier: o.supplier,
        institution_id: o.institution_id,
        ordered_on: o.ordered_on,
    }))
}

/// The county prefix of the actor's area (at most six digits).
pub(crate) fn area_prefix(actor: &Actor) -> String {
    actor.scope.prefix().chars().take(6).collect()
}

/// One line of a delivery note.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct DeliveryLineInput {
    /// Catalogue code (a code of the order).
    pub item_code: String,
    /// Lot number.
    pub lot_no: String,
    /// Expiry.
    pub expires_on: NaiveDate,
    /// Units.
    pub quantity: i64,
}

/// A delivery against an order (配送单, also the supplier's invoice).
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct DeliveryInput {
    /// Delivery (invoice) number, unique in the county.
    pub delivery_no: String,
    /// Delivered on (default: today).
    #[serde(default)]
    pub delivered_on: Option<NaiveDate>,
    /// Lines, each priced as ordered.
    pub lines: Vec<DeliveryLineInput>,
}

/// A delivery as shown, with its payment clock.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    /// Id.
    pub id: String,
    /// Order.
    pub order_id: String,
    /// Order number.
    pub order_no: String,
    /// Delivery (invoice) number.
    pub delivery_no: String,
    /// Supplier.
    pub supplier: String,
    /// Receiving institution.
    pub institution_id: String,
    /// Delivered on.
    pub delivered_on: NaiveDate,
    /// Amount, fen.
    pub amount: i64,
    /// Accepted on.
    pub accepted_on: Option<NaiveDate>,
    /// Due on (acceptance + the contract's days).
    pub due_on: Option<NaiveDate>,
    /// Paid on.
    pub paid_on: Option<NaiveDate>,
    /// Days past due (unpaid: as of today; paid: how late it was paid).
    pub overdue_days: i64,
}

fn delivery_view(d: DeliveryRow, today: NaiveDate) -> DeliveryView {
    DeliveryView {
        overdue_days: d.due_on.map_or(0, |due| overdue_days(due, d.paid_on, today)),
        id: d.id,
        order_id: d.order_id,
        order_no: d.order_no,
        delivery_no: d.delivery_no,
        supplier: d.supplier,
        institution_id: d.institution_id,
        delivered_on: d.delivered_on,
        amount: d.amount,
        accepted_on: d.accepted_on,
        due_on: d.due_on,
        paid_on: d.paid_on,
    }
}

/// Records a supplier's delivery against an order (not yet in stock until accepted).
///
/// # Errors
/// `Validation` naming each bad line (a code not on the order, an expired lot, a quantity below
/// one); `Conflict` for a number taken.
pub async fn deliver(app: &App, actor: &Actor, order_id: &str, input: &DeliveryInput) -> Result<DeliveryView, ServiceError> {
    actor.require(Permission::ProcurementManage)?;
    let o = find_order(app, actor, &area_prefix(actor), order_id).await?;
    let ordered = repo::order_lines(&app.db, &o.division_code, &o.id).await?;
    let day = input.delivered_on.unwrap_or_else(sanyi_domain::time::today);
    let mut errs = Vec::new();
    if input.delivery_no.trim().is_empty() || input.delivery_no.chars().count() > 40 {
        errs.push(FieldError::new(
            "delivery_no",
            "delivery_no.format",
            "1 to 40 characters",
            "Bad delivery number",
            "配送单号须为 1–40 个字符",
        ));
    }
    if input.lines.is_empty() {
        errs.push(FieldError::new(
            "lines",
            "lines.required",
            "at least one line",
            "No lines",
            "请至少填写一行",
        ));
    }
    let mut lines = Vec::new();
    for (i, l) in input.lines.iter().enumerate() {
        let field = |f: &str| format!("lines[{i}].{f}");
        let Some(ol) = ordered.iter().find(|x| x.item_code == l.item_code.trim()) else {
            errs.push(FieldError::new(
                &field("item_code"),
                "delivery.on_order",
                "a code of the order",
                "Not on the order",
                "该品种不在采购单上",
            ));
            continue;
        };
        if l.lot_no.trim().is_empty() {
            errs.push(FieldError::required(&field("lot_no")));
        }
        if l.expires_on <= day {
            errs.push(FieldError::new(
                &field("expires_on"),
                "lot.expired",
                "a lot that expires after the delivery day",
                "The lot has expired",
                "该批号已过有效期，不得入库",
            ));
        }
        errs.extend(catalogue::quantity_error(l.quantity, &field("quantity")));
        lines.push(LineRow {
            line_no: i as i64 + 1,
            item_code: ol.item_code.clone(),
            lot_no: l.lot_no.trim().to_owned(),
            expires_on: Some(l.expires_on),
            quantity: l.quantity,
            unit_price: ol.unit_price,
            project_id: ol.project_id.clone(),
        });
    }
    if !errs.is_empty() {
        return Err(ServiceError::Validation(errs));
    }
    let amount = lines.iter().try_fold(Fen::ZERO, |acc, l| {
        Fen::new(l.unit_price).checked_mul(l.quantity).and_then(|x| acc.checked_add(x))
    });
    let amount = amount.map_err(|e| ServiceError::Internal(e.into()))?;
    let d = DeliveryRow {
        division_code: o.division_code.clone(),
        id: sanyi_store::new_id(),
        order_id: o.id.clone(),
        delivery_no: input.delivery_no.trim().to_owned(),
        delivered_on: day,
        amount: amount.get(),
        accepted_on: None,
        accepted_by: None,
        due_on: None,
        paid_on: None,
        paid_by: None,
        supplier: o.supplier.clone(),
        order_no: o.order_no.clone(),
        institution_id: o.institution_id.clone(),
    };
    let a = audit::entry(
        actor,
        &d.division_code,
        "create",
        "delivery",
        &d.id,
        None,
        &format!("delivery_no={} amount={}", d.delivery_no, d.amount),
    );
    repo::insert_delivery(&app.db, &d, &lines, &a).await?;
    Ok(delivery_view(d, day))
}

async fn find_delivery(app: &App, actor: &Actor, id: &str) -> Result<DeliveryRow, ServiceError> {
    let prefix = area_prefix(actor);
    for c in registry::counties(&app.db)
        .await?
        .into_iter()
        .filter(|c| c.division_code.starts_with(&prefix) || prefix.starts_with(&c.division_code))
    {
        if let Some(d) = repo::delivery(&app.db, &c.division_code, id).await? {
            require_county(actor, &d.division_code)?;
            return Ok(d);
        }
    }
    Err(ServiceError::NotFound)
}

/// A step on a delivery (acceptance, payment) with its day.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct DayInput {
    /// The day (default: today).
    #[serde(default)]
    pub on: Option<NaiveDate>,
}

/// Accepts a delivery into the central pharmacy's stock; its payment falls due after the
/// contract's days (30 by default).
///
/// # Errors
/// `Conflict` (`delivery.accepted_once`) when it was accepted already; nothing changes then.
pub async fn accept(app: &App, actor: &Actor, id: &str, input: &DayInput) -> Result<DeliveryView, ServiceError> {
    actor.require(Permission::ProcurementManage)?;
    let d = find_delivery(app, actor, id).await?;
    let on = input.on.unwrap_or_else(sanyi_domain::time::today);
    if on < d.delivered_on {
        return Err(ServiceError::Validation(vec![FieldError::new(
            "on",
            "accept.after_delivery",
            "a day on or after delivery",
            "Accepted before it was delivered",
            "验收日期早于配送日期",
        )]));
    }
    let lines = repo::delivery_lines(&app.db, &d.division_code, &d.id).await?;
    let mut days = sanyi_procurement::DEFAULT_PAYMENT_DAYS;
    if let Some(pid) = lines.iter().find_map(|l| l.project_id.clone())
        && let Some(p) = med_repo::project(&app.db, &d.division_code, &pid).await?
    {
        days = serde_json::from_str::<ContractRules>(&p.rules).unwrap_or_default().payment_days;
    }
    let due = due_date(on, days).map_err(|e| ServiceError::Internal(anyhow::anyhow!("{e}")))?;
    let a = audit::entry(actor, &d.division_code, "accept", "delivery", &d.id, None, &format!("due_on={due}"));
    match repo::accept_delivery(&app.db, &d, on, due, &actor.user_id, &a).await {
        Err(StoreError::Constraint {
            kind: ConstraintKind::Check,
            ..
        }) => {
            return Err(conflict(
                "id",
                "delivery.accepted_once",
                "This delivery was accepted already",
                "该配送单已验收入库，不能重复验收",
            ));
        }
        other => other?,
    }
    let d = repo::delivery(&app.db, &d.division_code, &d.id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok(delivery_view(d, sanyi_domain::time::today()))
}

/// Pays an accepted delivery (回款).
///
/// # Errors
/// `Conflict` (`delivery.paid_once`) when it is not accepted or already paid.
pub async fn pay(app: &App, actor: &Actor, id: &str, input: &DayInput) -> Result<DeliveryView, ServiceError> {
    actor.require(Permission::ProcurementManage)?;
    let d = find_delivery(app, actor, id).await?;
    let on = input.on.unwrap_or_else(sanyi_domain::time::today);
    if d.accepted_on.is_some_and(|a| on < a) {
        return Err(ServiceError::Validation(vec![FieldError::new(
            "on",
            "pay.after_acceptance",
            "a day on or after acceptance",
            "Paid before acceptance",
            "付款日期早于验收日期",
        )]));
    }
    let a = audit::entry(
        actor,
        &d.division_code,
        "pay",
        "delivery",
        &d.id,
        None,
        &format!("amount={}", d.amount),
    );
    match repo::pay_delivery(&app.db, &d.division_code, &d.id, on, &actor.user_id, &a).await {
        Err(StoreError::Constraint {
            kind: ConstraintKind::Check,
            ..
        }) => {
            return Err(conflict(
                "id",
                "delivery.paid_once",
                "Not accepted yet, or paid already",
                "该配送单未验收或已付款",
            ));
        }
        other => other?,
    }
    let d = repo::delivery(&app.db, &d.division_code, &d.id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok(delivery_view(d, sanyi_domain::time::today()))
}

/// The deliveries of the actor's area: all, or only the invoices accepted and not yet paid, by due day.
///
/// # Errors
/// `Forbidden` without the permission.
pub async fn deliveries(app: &App, actor: &Actor, unpaid_only: bool, page: Page) -> Result<Paged<DeliveryView>, ServiceError> {
    actor.require(Permission::ProcurementRead)?;
    let today = sanyi_domain::time::today();
    Ok(repo::deliveries(&app.db, &area_prefix(actor), unpaid_only, page)
        .await?
        .map(|d| delivery_view(d, today)))
}

/// A lot in stock as shown.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LotView {
    /// Lot id.
    pub id: String,
    /// Institution.
    pub institution_id: String,
    /// Institution name.
    pub institution: String,
    /// Catalogue code.
    pub item_code: String,
    /// Item name.
    pub name: String,
    /// Lot number.
    pub lot_no: String,
    /// Expiry.
    pub expires_on: NaiveDate,
    /// Expired (not dispensed any more).
    pub expired: bool,
    /// Purchase price per unit, fen.
    pub unit_cost: i64,
    /// Units.
    pub quantity: i64,
    /// A selected product bought under a project.
    pub selected: bool,
}

/// The stock of the actor's area (one institution, or all it covers), lot by lot.
///
/// # Errors
/// `Forbidden` without a permission to read stock.
pub async fn stock(app: &App, actor: &Actor, institution_id: Option<&str>) -> Result<Vec<LotView>, ServiceError> {
    if actor.require(Permission::ProcurementRead).is_err() {
        actor.require(Permission::Dispense)?;
    }
    let lots: Vec<LotRow> = match institution_id.filter(|s| !s.is_empty()) {
        Some(id) => {
            let inst = institution_in_area(app, actor, Some(id), "institution_id").await?;
            repo::lots(&app.db, &inst.division_code, &inst.id, None).await?
        }
        None if actor.role.can(Permission::ProcurementRead) => repo::all_lots(&app.db, &area_prefix(actor)).await?,
        None => {
            let inst = own_institution(app, actor).await?;
            repo::lots(&app.db, &inst.division_code, &inst.id, None).await?
        }
    };
    let today = sanyi_domain::time::today();
    let pool = crate::drg::pool_of(actor);
    let c = catalogue::in_force(app, &pool, today).await?;
    let ids: Vec<String> = lots.iter().map(|l| l.institution_id.clone()).collect();
    let names = registry::names(&app.db, &ids).await?;
    Ok(lots
        .into_iter()
        .map(|l| LotView {
            institution: names.get(&l.institution_id).cloned().unwrap_or_default(),
            name: c
                .as_ref()
                .and_then(|c| c.item(&l.item_code))
                .map_or_else(|| l.item_code.clone(), |i| i.name_zh.clone()),
            expired: l.expires_on < today,
            selected: l.project_id.is_some(),
            id: l.id,
            institution_id: l.institution_id,
            item_code: l.item_code,
            lot_no: l.lot_no,
            expires_on: l.expires_on,
            unit_cost: l.unit_cost,
            quantity: l.quantity,
        })
        .collect())
}

/// Allocates `need` units of `item` from an institution's lots, first expiry first out.
pub(crate) fn takes_for(lots: &[LotRow], item: &str, need: i64, today: NaiveDate) -> Result<Vec<Take>, sanyi_procurement::DispenseError> {
    let of_item: Vec<&LotRow> = lots.iter().filter(|l| l.item_code == item).collect();
    let stock: Vec<LotStock> = of_item
        .iter()
        .map(|l| LotStock {
            lot_id: l.id.clone(),
            expiry: l.expires_on,
            quantity: l.quantity,
        })
        .collect();
    let plan = allocate(&stock, need, today)?;
    Ok(plan
        .into_iter()
        .filter_map(|(id, q)| {
            of_item.iter().find(|l| l.id == id).map(|l| Take {
                lot: (*l).clone(),
                quantity: q,
            })
        })
        .collect())
}

/// A transfer of stock down the community (调拨).
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct TransferInput {
    /// Transfer number, recorded on the stock moves.
    pub transfer_no: String,
    /// Sending institution (default: the actor's).
    #[serde(default)]
    pub from_institution_id: Option<String>,
    /// Receiving institution of the same community.
    pub to_institution_id: String,
    /// Catalogue code.
    pub item_code: String,
    /// Units.
    pub quantity: i64,
    /// Day (default: today).
    #[serde(default)]
    pub on: Option<NaiveDate>,
}

/// Transfers units from one institution to another of its community, first expiry first out;
/// lots keep their number, expiry, cost and project.
///
/// # Errors
/// `Validation` for a receiver outside the community, or not enough unexpired stock
/// (`dispensing.shortage` with what is available); nothing moves then.
pub async fn transfer(app: &App, actor: &Actor, input: &TransferInput) -> Result<Vec<LotView>, ServiceError> {
    actor.require(Permission::ProcurementManage)?;
    let from = institution_in_area(app, actor, input.from_institution_id.as_deref(), "from_institution_id").await?;
    let to = registry::institution(&app.db, &input.to_institution_id).await?;
    let mut errs = Vec::new();
    let to = match to {
        Some(t)
            if t.community_id.is_some()
                && t.community_id == from.community_id
                && t.id != from.id
                && t.division_code == from.division_code =>
        {
            Some(t)
        }
        _ => {
            errs.push(FieldError::new(
                "to_institution_id",
                "transfer.community",
                "another institution of the sender's community",
                "The receiver is not another member of the same community",
                "调入机构须为同一医共体的其他成员",
            ));
            None
        }
    };
    if input.transfer_no.trim().is_empty() {
        errs.push(FieldError::required("transfer_no"));
    }
    errs.extend(catalogue::quantity_error(input.quantity, "quantity"));
    if !errs.is_empty() {
        return Err(ServiceError::Validation(errs));
    }
    let Some(to) = to else { return Err(ServiceError::NotFound) };
    let on = input.on.unwrap_or_else(sanyi_domain::time::today);
    for _ in 0..5 {
        let lots = repo::lots(&app.db, &from.division_code, &from.id, Some(input.item_code.trim())).await?;
        let takes = takes_for(&lots, input.item_code.trim(), input.quantity, on).map_err(|e| shortage("quantity", &e))?;
        let a = audit::entry(
            actor,
            &from.division_code,
            "transfer",
            "stock",
            &input.transfer_no,
            None,
            &format!("item={} quantity={} from={} to={}", input.item_code, input.quantity, from.id, to.id),
        );
        match repo::transfer(
            &app.db,
            &from.division_code,
            &to.id,
            &takes,
            input.transfer_no.trim(),
            on,
            &actor.user_id,
            &a,
        )
        .await
        {
            Err(StoreError::Constraint { constraint, .. }) if constraint == STOCK_SHORT => continue,
            other => other?,
        }
        return stock(app, actor, Some(&to.id)).await;
    }
    Err(ServiceError::Conflict(vec![FieldError::new(
        "quantity",
        "stock.busy",
        "a retry",
        "Stock changed while transferring; try again",
        "库存正在变动，请重试",
    )]))
}

/// A dispensing or transfer error as a field error naming the rule and what is available.
pub(crate) fn shortage(field: &str, e: &sanyi_procurement::DispenseError) -> ServiceError {
    ServiceError::Validation(vec![FieldError::new(
        field,
        e.code(),
        "no more than the unexpired stock",
        &e.to_string(),
        &e.message_zh(),
    )])
}
