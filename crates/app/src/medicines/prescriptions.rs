//! Prescriptions (处方) and dispensing (发药): a doctor prescribes drugs and consumables of the
//! catalogue in force for a resident, within the days of supply the pool's policy allows
//! (docs/rules/procurement.md#long-prescription); the selected product of a generic is offered
//! first, with why (docs/rules/procurement.md#payment-standard). The institution dispenses from
//! its own stock, first expiry first out, at purchase cost under zero mark-up
//! (docs/rules/procurement.md#dispensing); the dispensed lines are then charged on the claim.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use sanyi_domain::Fen;
use sanyi_procurement::{PrescriptionKind, SupplyLimits, check_days_supply, check_zero_markup};
use sanyi_store::pharmacy::{self as repo, DispensedLine, PrescriptionRow, RxLineRow, RxQuery, STOCK_SHORT};
use sanyi_store::registry;
use sanyi_store::residents as residents_repo;
use sanyi_store::{ConstraintKind, StoreError};

use super::catalogue::{self, InForce};
use super::pharmacy::{Selected, selected_on, shortage, takes_for};
use super::projects::{generic_of, pool_of_county};
use crate::{Actor, App, FieldError, Page, Paged, Permission, ServiceError, audit};

/// One line to prescribe.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct RxLineInput {
    /// Catalogue code of a drug or consumable.
    pub item_code: String,
    /// Units.
    pub quantity: i64,
}

/// A prescription to write.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct PrescriptionInput {
    /// Resident record id.
    pub resident_id: String,
    /// `outpatient`, `chronic` (门诊慢特病, long prescription), `inpatient` (discharge), `emergency`.
    pub kind: String,
    /// Diagnosis (ICD-10 code or words).
    pub diagnosis: String,
    /// Days of supply.
    pub days_supply: u32,
    /// Written on (default: today).
    #[serde(default)]
    pub written_on: Option<NaiveDate>,
    /// Lines.
    pub lines: Vec<RxLineInput>,
}

/// A prescription line as shown.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RxLineView {
    /// Line number.
    pub line_no: i64,
    /// Catalogue code.
    pub item_code: String,
    /// Item name.
    pub name: String,
    /// Generic name.
    pub generic_name: String,
    /// Units.
    pub quantity: i64,
    /// Unit.
    pub unit: String,
    /// Unit price once dispensed, fen.
    pub unit_price: Option<i64>,
    /// Amount once dispensed, fen.
    pub amount: Option<i64>,
    /// A selected product of a contracted project (中选产品).
    pub selected: bool,
    /// For a product that is not selected while its generic has one: the selected one and why it
    /// comes first.
    pub advice_zh: Option<String>,
}

/// A prescription as shown.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PrescriptionView {
    /// Id.
    pub id: String,
    /// Number.
    pub rx_no: String,
    /// Institution.
    pub institution_id: String,
    /// Institution name.
    pub institution: String,
    /// Resident.
    pub resident_id: String,
    /// Resident's name.
    pub resident_name: String,
    /// Prescriber's name.
    pub prescriber_name: String,
    /// Kind.
    pub kind: String,
    /// Diagnosis.
    pub diagnosis: String,
    /// Days of supply.
    pub days_supply: i64,
    /// Written on.
    pub written_on: NaiveDate,
    /// `written` or `dispensed`.
    pub state: String,
    /// Dispensed on.
    pub dispensed_on: Option<NaiveDate>,
    /// The claim that settled it.
    pub claim_key: Option<String>,
    /// Lines.
    pub lines: Vec<RxLineView>,
    /// Amount once dispensed, fen.
    pub amount: Option<i64>,
}

fn kind_of(s: &str) -> Option<PrescriptionKind> {
    match s {
        "outpatient" => Some(PrescriptionKind::Outpatient),
        "chronic" => Some(PrescriptionKind::Chronic),
        "inpatient" => Some(PrescriptionKind::Inpatient),
        "emergency" => Some(PrescriptionKind::Emergency),
        _ => None,
    }
}

/// The days of supply of the benefit policy in force (the pool's rule), or the national defaults.
async fn supply_limits(app: &App, pool: &str, day: NaiveDate) -> Result<SupplyLimits, ServiceError> {
    let d = crate::insurance::policies::in_force(app, pool, day)
        .await?
        .map(|(_, p)| p.prescription_days)
        .unwrap_or_default();
    Ok(SupplyLimits {
        outpatient: d.outpatient,
        emergency: d.emergency,
        chronic: d.chronic,
        inpatient: d.inpatient,
    })
}

/// Why the selected product comes first, for a product of a generic with a selected one.
fn advice(item: &sanyi_store::medicines::CatalogueItemRow, selected: &HashMap<String, Selected>, c: &InForce) -> Option<String> {
    if selected.contains_key(&item.code) {
        return None;
    }
    let key = generic_of(item);
    let best = selected
        .values()
        .filter(|s| (s.product.generic_name.clone(), s.product.dosage_form.clone()) == key)
        .min_by_key(|s| s.product.selected_price)?;
    let name = c
        .item(&best.product.item_code)
        .map_or(best.product.item_code.as_str(), |i| i.name_zh.as_str());
    Some(format!(
        "同通用名有中选产品 {name}（{} 元/{}），应优先使用；医保按中选价支付，{} 元以上部分由患者自付。",
        Fen::new(best.product.selected_price),
        item.unit,
        Fen::new(best.product.selected_price)
    ))
}

/// A drug or consumable to pick when prescribing: selected products first.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Choice {
    /// Catalogue code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Generic name.
    pub generic_name: String,
    /// Strength.
    pub strength: String,
    /// Unit.
    pub unit: String,
    /// Category `A`/`B`/`C`.
    pub category: String,
    /// A selected product of a contracted project.
    pub selected: bool,
    /// Insurance payment standard per unit, fen (the selected price of its generic).
    pub payment_standard: Option<i64>,
    /// Units in stock at the actor's institution.
    pub in_stock: i64,
    /// Why a selected product comes first (on the others of its generic).
    pub advice_zh: Option<String>,
}

/// The drugs and consumables of the catalogue in force matching `q` (code, name or generic), the
/// selected products of each generic first, with the stock of the actor's institution.
///
/// # Errors
/// `Forbidden` without the permission to prescribe or dispense.
pub async fn choices(app: &App, actor: &Actor, q: &str) -> Result<Vec<Choice>, ServiceError> {
    if actor.require(Permission::Prescribe).is_err() {
        actor.require(Permission::Dispense)?;
    }
    let today = sanyi_domain::time::today();
    let inst = match &actor.institution_id {
        Some(id) => registry::institution(&app.db, id).await?,
        None => None,
    };
    let county = inst
        .as_ref()
        .map_or_else(|| actor.division_code.clone(), |i| i.division_code.clone());
    let Some(c) = catalogue::in_force(app, &pool_of_county(&county), today).await? else {
        return Ok(Vec::new());
    };
    let selected = selected_on(app, &county, today).await?;
    let stock: HashMap<String, i64> = match &inst {
        Some(i) => repo::lots(&app.db, &i.division_code, &i.id, None)
            .await?
            .into_iter()
            .filter(|l| l.expires_on >= today)
            .fold(HashMap::new(), |mut m, l| {
                *m.entry(l.item_code).or_insert(0) += l.quantity;
                m
            }),
        None => HashMap::new(),
    };
    let q = q.trim();
    let mut out: Vec<Choice> = c
        .items()
        .filter(|i| i.kind != "service")
        .filter(|i| q.is_empty() || i.code.contains(q) || i.name_zh.contains(q) || i.generic_name.contains(q))
        .map(|i| {
            let key = generic_of(i);
            let standard = selected
                .values()
                .filter(|s| (s.product.generic_name.clone(), s.product.dosage_form.clone()) == key)
                .map(|s| s.product.selected_price)
                .max();
            Choice {
                code: i.code.clone(),
                name: i.name_zh.clone(),
                generic_name: key.0,
                strength: i.strength.clone(),
                unit: i.unit.clone(),
                category: i.category.clone(),
                selected: selected.contains_key(&i.code),
                payment_standard: selected.get(&i.code).map(|s| s.product.selected_price).or(standard),
                in_stock: stock.get(&i.code).copied().unwrap_or(0),
                advice_zh: advice(i, &selected, &c),
            }
        })
        .collect();
    out.sort_by(|a, b| (&a.generic_name, !a.selected, &a.name).cmp(&(&b.generic_name, !b.selected, &b.name)));
    out.truncate(100);
    Ok(out)
}

/// Writes a prescription at the actor's institution.
///
/// # Errors
/// `Validation` naming each bad field and line: an unknown resident, kind or code, a quantity
/// below one, days of supply beyond the policy's limit for the kind (long prescriptions only for
/// chronic care); nothing is stored then.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn write(app: &App, actor: &Actor, input: &PrescriptionInput) -> Result<PrescriptionView, ServiceError> {
    actor.require(Permission::Prescribe)?;
    let inst_id = actor.institution_id.clone().ok_or(ServiceError::Forbidden {
        role: actor.role.code(),
        permission: Permission::Prescribe.code(),
    })?;
    let inst = registry::institution(&app.db, &inst_id).await?.ok_or(ServiceError::NotFound)?;
    let resident = residents_repo::get(&app.db, &actor.scope, &input.resident_id)
        .await?
        .filter(|r| r.status == "active");
    let mut errs = Vec::new();
    if resident.is_none() {
        errs.push(FieldError::new(
            "resident_id",
            "resident.in_area",
            "an active resident of the actor's area",
            "Unknown resident, or outside the actor's area",
            "居民不存在、已注销或不在本人管辖范围内",
        ));
    }
    let day = input.written_on.unwrap_or_else(sanyi_domain::time::today);
    let pool = pool_of_county(&inst.division_code);
    let kind = kind_of(&input.kind);
    match kind {
        None => errs.push(FieldError::new(
            "kind",
            "kind.one_of",
            "outpatient, chronic, inpatient or emergency",
            "Unknown prescription kind",
            "处方类别须为 普通门诊、门诊慢特病、出院带药 或 急诊",
        )),
        Some(k) => {
            let limits = supply_limits(app, &pool, day).await?;
            if let Err(e) = check_days_supply(input.days_supply, k, &limits) {
                errs.push(FieldError::new(
                    "days_supply",
                    e.code(),
                    &format!("at most {} days for this kind", limits.limit(k)),
                    &e.to_string(),
                    &e.message_zh(),
                ));
            }
        }
    }
    if input.diagnosis.trim().is_empty() {
        errs.push(FieldError::required("diagnosis"));
    }
    if input.lines.is_empty() {
        errs.push(FieldError::new(
            "lines",
            "lines.required",
            "at least one drug",
            "No drugs",
            "请至少开一种药品",
        ));
    }
    let c = catalogue::require_in_force(app, &pool, day, "written_on").await?;
    let mut lines = Vec::new();
    for (i, l) in input.lines.iter().enumerate() {
        let field = |f: &str| format!("lines[{i}].{f}");
        let item = match c.goods(&l.item_code, &field("item_code")) {
            Ok(item) => item,
            Err(e) => {
                errs.push(e);
                continue;
            }
        };
        errs.extend(catalogue::quantity_error(l.quantity, &field("quantity")));
        let (generic_name, dosage_form) = generic_of(item);
        lines.push(RxLineRow {
            line_no: i as i64 + 1,
            item_code: item.code.clone(),
            generic_name: if item.kind == "drug" { generic_name } else { String::new() },
            dosage_form,
            quantity: l.quantity,
            unit_price: None,
            amount: None,
            selected: false,
            project_id: None,
        });
    }
    if !errs.is_empty() {
        return Err(ServiceError::Validation(errs));
    }
    let Some(resident) = resident else {
        return Err(ServiceError::NotFound);
    };
    let id = sanyi_store::new_id();
    let row = PrescriptionRow {
        division_code: inst.division_code.clone(),
        rx_no: format!("RX{}{}", day.format("%Y%m%d"), &id[id.len() - 12..]).to_uppercase(),
        id,
        institution_id: inst.id.clone(),
        resident_division_code: resident.division_code.clone(),
        resident_id: resident.id.clone(),
        prescriber: actor.user_id.clone(),
        prescriber_name: actor.display_name.clone(),
        kind: input.kind.clone(),
        diagnosis: input.diagnosis.trim().to_owned(),
        days_supply: i64::from(input.days_supply),
        written_on: day,
        state: "written".into(),
        dispensed_on: None,
        dispensed_by: None,
        claim_key: None,
    };
    let a = audit::entry(
        actor,
        &row.division_code,
        "create",
        "prescription",
        &row.id,
        Some(&resident.id),
        &format!("kind={} lines={}", row.kind, lines.len()),
    );
    repo::insert_prescription(&app.db, &row, &lines, &a).await?;
    view_of(app, row, lines, &resident.name, inst.name.clone()).await
}

async fn view(app: &App, row: PrescriptionRow, resident_name: &str) -> Result<PrescriptionView, ServiceError> {
    let names = registry::names(&app.db, std::slice::from_ref(&row.institution_id)).await?;
    let institution = names.get(&row.institution_id).cloned().unwrap_or_default();
    let lines = repo::prescription_lines(&app.db, &row.division_code, &row.id).await?;
    view_of(app, row, lines, resident_name, institution).await
}

/// The view of a prescription from its rows in hand (just written or dispensed: nothing re-read).
async fn view_of(
    app: &App,
    row: PrescriptionRow,
    lines: Vec<RxLineRow>,
    resident_name: &str,
    institution: String,
) -> Result<PrescriptionView, ServiceError> {
    let pool = pool_of_county(&row.division_code);
    let c = catalogue::in_force(app, &pool, row.written_on).await?;
    let selected = selected_on(app, &row.division_code, row.dispensed_on.unwrap_or(row.written_on)).await?;
    let lines: Vec<RxLineView> = lines
        .into_iter()
        .map(|l| {
            let item = c.as_ref().and_then(|c| c.item(&l.item_code));
            RxLineView {
                name: item.map_or_else(|| l.item_code.clone(), |i| i.name_zh.clone()),
                unit: item.map(|i| i.unit.clone()).unwrap_or_default(),
                advice_zh: item.zip(c.as_deref()).and_then(|(i, c)| advice(i, &selected, c)),
                selected: l.selected || (row.state == "written" && selected.contains_key(&l.item_code)),
                line_no: l.line_no,
                item_code: l.item_code,
                generic_name: l.generic_name,
                quantity: l.quantity,
                unit_price: l.unit_price,
                amount: l.amount,
            }
        })
        .collect();
    let amount = lines.iter().map(|l| l.amount).sum::<Option<i64>>();
    Ok(PrescriptionView {
        institution,
        resident_name: resident_name.to_owned(),
        id: row.id,
        rx_no: row.rx_no,
        institution_id: row.institution_id,
        resident_id: row.resident_id,
        prescriber_name: row.prescriber_name,
        kind: row.kind,
        diagnosis: row.diagnosis,
        days_supply: row.days_supply,
        written_on: row.written_on,
        state: row.state,
        dispensed_on: row.dispensed_on,
        claim_key: row.claim_key,
        lines,
        amount,
    })
}

/// A prescription the actor may see: written at their institution, or (with read rights over
/// records) for a resident of their area. The read is audited.
async fn visible(app: &App, actor: &Actor, id: &str) -> Result<(PrescriptionRow, String), ServiceError> {
    if let Some(rx) = repo::prescription_by_id(&app.db, id).await? {
        let own = actor.institution_id.as_deref() == Some(rx.institution_id.as_str());
        let resident = residents_repo::get(&app.db, &actor.scope, &rx.resident_id).await?;
        let name = match (&resident, own) {
            (Some(r), _) if actor.role.can(Permission::ResidentRead) => r.name.clone(),
            (_, true) => residents_repo::get(&app.db, &sanyi_store::residents::ResidentScope::all(), &rx.resident_id)
                .await?
                .map(|r| r.name)
                .unwrap_or_default(),
            _ => return Err(ServiceError::NotFound),
        };
        app.audit
            .record(audit::entry(
                actor,
                &rx.division_code,
                "read",
                "prescription",
                &rx.id,
                Some(&rx.resident_id),
                "prescription",
            ))
            .await?;
        return Ok((rx, name));
    }
    Err(ServiceError::NotFound)
}

/// One prescription.
///
/// # Errors
/// `NotFound` for one the actor may not see.
pub async fn get(app: &App, actor: &Actor, id: &str) -> Result<PrescriptionView, ServiceError> {
    if actor.require(Permission::Prescribe).is_err() {
        actor.require(Permission::Dispense)?;
    }
    let (rx, name) = visible(app, actor, id).await?;
    view(app, rx, &name).await
}

/// Which prescriptions to list.
#[derive(Clone, Debug, Default, Deserialize, ToSchema, utoipa::IntoParams)]
pub struct ListQuery {
    /// `written` (to dispense) or `dispensed`.
    pub state: Option<String>,
    /// Of one resident.
    pub resident_id: Option<String>,
}

/// One row of the prescription list.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RxListItem {
    /// Id.
    pub id: String,
    /// Number.
    pub rx_no: String,
    /// Kind.
    pub kind: String,
    /// Diagnosis.
    pub diagnosis: String,
    /// Prescriber.
    pub prescriber_name: String,
    /// Written on.
    pub written_on: NaiveDate,
    /// State.
    pub state: String,
    /// Days of supply.
    pub days_supply: i64,
}

/// The prescriptions of the actor's institution, newest first (no names: the list is not a record).
///
/// # Errors
/// `Forbidden` without the permission, or for an account of no institution.
pub async fn list(app: &App, actor: &Actor, q: &ListQuery, page: Page) -> Result<Paged<RxListItem>, ServiceError> {
    if actor.require(Permission::Prescribe).is_err() {
        actor.require(Permission::Dispense)?;
    }
    let inst = actor.institution_id.clone().ok_or(ServiceError::Forbidden {
        role: actor.role.code(),
        permission: Permission::Dispense.code(),
    })?;
    let i = registry::institution(&app.db, &inst).await?.ok_or(ServiceError::NotFound)?;
    let rq = RxQuery {
        institution_id: Some(inst),
        resident_id: q.resident_id.clone().filter(|s| !s.is_empty()),
        state: q.state.clone().filter(|s| !s.is_empty()),
        prescriber: None,
    };
    Ok(repo::prescriptions(&app.db, &i.division_code, &rq, page)
        .await?
        .map(|r| RxListItem {
            id: r.id,
            rx_no: r.rx_no,
            kind: r.kind,
            diagnosis: r.diagnosis,
            prescriber_name: r.prescriber_name,
            written_on: r.written_on,
            state: r.state,
            days_supply: r.days_supply,
        }))
}

/// A sale price the pharmacy states for a line (checked against zero mark-up).
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct SalePrice {
    /// Line number.
    pub line_no: i64,
    /// Unit sale price, fen.
    pub unit_price: i64,
}

/// Dispensing a prescription.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct DispenseInput {
    /// Day (default: today).
    #[serde(default)]
    pub on: Option<NaiveDate>,
    /// Sale prices stated by the pharmacy's system, if any: each must not exceed the lots' purchase
    /// cost on a zero-mark-up line.
    #[serde(default)]
    pub sale_prices: Vec<SalePrice>,
}

/// Dispenses a written prescription from the institution's stock: each line takes lots first
/// expiry first out, is priced at their purchase cost, and is marked selected when a contracted
/// project's selected product; racing dispensers never take the same unit twice.
///
/// # Errors
/// `Validation` for not enough unexpired stock (`dispensing.shortage`) or a sale price above cost
/// on a zero-mark-up line (`zero_markup.violated`); `Conflict` when dispensed already; nothing
/// changes then.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn dispense(app: &App, actor: &Actor, id: &str, input: &DispenseInput) -> Result<PrescriptionView, ServiceError> {
    actor.require(Permission::Dispense)?;
    // Dispensed where it was written, from that institution's stock: found in the dispenser's own
    // institution (another institution's prescription answers like a missing one). The
    // dispensing's audit entry, written in its transaction, records the access.
    let inst_id = actor.institution_id.as_deref().ok_or(ServiceError::NotFound)?;
    let inst = registry::institution(&app.db, inst_id).await?.ok_or(ServiceError::NotFound)?;
    let rx = repo::prescription(&app.db, &inst.division_code, id)
        .await?
        .filter(|r| r.institution_id == inst.id)
        .ok_or(ServiceError::NotFound)?;
    if rx.state != "written" {
        return Err(ServiceError::Conflict(vec![FieldError::new(
            "id",
            "prescription.dispensed_once",
            "a prescription not yet dispensed",
            "Dispensed already",
            "该处方已发药",
        )]));
    }
    let on = input.on.unwrap_or_else(sanyi_domain::time::today);
    let c = catalogue::require_in_force(app, &pool_of_county(&rx.division_code), on, "on").await?;
    let selected = selected_on(app, &rx.division_code, on).await?;
    let lines = repo::prescription_lines(&app.db, &rx.division_code, &rx.id).await?;
    for _ in 0..8 {
        let lots = repo::lots(&app.db, &rx.division_code, &rx.institution_id, None).await?;
        let mut errs = Vec::new();
        let mut out = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            let takes = match takes_for(&lots, &l.item_code, l.quantity, on) {
                Ok(t) => t,
                Err(e) => {
                    let ServiceError::Validation(mut v) = shortage(&format!("lines[{i}].quantity"), &e) else {
                        continue;
                    };
                    errs.append(&mut v);
                    continue;
                }
            };
            let amount: i64 = takes.iter().map(|t| t.lot.unit_cost * t.quantity).sum();
            let unit_price = (amount + l.quantity / 2) / l.quantity;
            if let Some(sp) = input.sale_prices.iter().find(|s| s.line_no == l.line_no) {
                let zero = c.item(&l.item_code).is_none_or(|it| it.zero_markup);
                let cost = takes.iter().map(|t| t.lot.unit_cost).max().unwrap_or(0);
                if let Err(e) = check_zero_markup(Fen::new(cost), Fen::new(sp.unit_price), zero) {
                    errs.push(FieldError::new(
                        &format!("sale_prices[{i}].unit_price"),
                        e.code(),
                        "the purchase price (零加成)",
                        &e.to_string(),
                        &e.message_zh(),
                    ));
                }
            }
            let sel = selected.get(&l.item_code);
            out.push(DispensedLine {
                line_no: l.line_no,
                takes,
                amount,
                unit_price,
                selected: sel.is_some(),
                project_id: sel.map(|s| s.project.id.clone()),
            });
        }
        if !errs.is_empty() {
            return Err(ServiceError::Validation(errs));
        }
        let a = audit::entry(
            actor,
            &rx.division_code,
            "dispense",
            "prescription",
            &rx.id,
            Some(&rx.resident_id),
            &format!("lines={}", out.len()),
        );
        match repo::dispense(&app.db, &rx, &out, on, &actor.user_id, &a).await {
            Err(StoreError::Constraint { constraint, .. }) if constraint == STOCK_SHORT => continue,
            Err(StoreError::Constraint {
                kind: ConstraintKind::Check,
                ..
            }) => {
                return Err(ServiceError::Conflict(vec![FieldError::new(
                    "id",
                    "prescription.dispensed_once",
                    "a prescription not yet dispensed",
                    "Dispensed already",
                    "该处方已发药",
                )]));
            }
            other => other?,
        }
        // The answer from what was just written, not read back.
        let name = residents_repo::get(&app.db, &sanyi_store::residents::ResidentScope::all(), &rx.resident_id)
            .await?
            .map(|r| r.name)
            .unwrap_or_default();
        let mut rx = rx;
        rx.state = "dispensed".into();
        rx.dispensed_on = Some(on);
        rx.dispensed_by = Some(actor.user_id.clone());
        let lines = lines
            .into_iter()
            .map(|l| match out.iter().find(|d| d.line_no == l.line_no) {
                Some(d) => RxLineRow {
                    unit_price: Some(d.unit_price),
                    amount: Some(d.amount),
                    selected: d.selected,
                    project_id: d.project_id.clone(),
                    ..l
                },
                None => l,
            })
            .collect();
        return view_of(app, rx, lines, &name, inst.name.clone()).await;
    }
    Err(ServiceError::Conflict(vec![FieldError::new(
        "id",
        "stock.busy",
        "a retry",
        "Stock changed while dispensing; try again",
        "库存正在变动，请重试",
    )]))
}

/// The charges of dispensed prescriptions for a claim at `institution` for `resident`: one per
/// item and purchase cost, exactly what the lots cost; with the prescriptions to link.
///
/// # Errors
/// Field errors on `prescriptions[i]` for one that is not a dispensed prescription of this
/// patient at this institution, or is charged on another claim already.
pub(crate) async fn claim_charges(
    app: &App,
    institution: &sanyi_store::registry::Institution,
    resident_id: &str,
    ids: &[String],
) -> Result<(Vec<crate::insurance::claims::ChargeInput>, Vec<(String, String)>, Vec<FieldError>), ServiceError> {
    let mut charges = Vec::new();
    let mut links = Vec::new();
    let mut errs = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let rx = repo::prescription(&app.db, &institution.division_code, id).await?;
        match rx {
            Some(rx)
                if rx.institution_id == institution.id
                    && rx.resident_id == resident_id
                    && rx.state == "dispensed"
                    && rx.claim_key.is_none() =>
            {
                for (code, cost, quantity) in repo::dispensed_costs(&app.db, &rx.division_code, &rx.rx_no).await? {
                    charges.push(crate::insurance::claims::ChargeInput {
                        code,
                        quantity,
                        unit_price: Some(cost),
                    });
                }
                links.push((rx.division_code, rx.id));
            }
            _ => errs.push(FieldError::new(
                &format!("prescriptions[{i}]"),
                "prescription.chargeable",
                "a dispensed prescription of this patient at this institution, not yet charged",
                "Not a dispensed prescription of this patient here, or charged on a claim already",
                "不是该患者在本机构已发药的处方，或已在其他结算中收费",
            )),
        }
    }
    Ok((charges, links, errs))
}

/// Applies the payment standard of generics with selected products (docs/rules/procurement.md#payment-standard):
/// the part of a unit price above the standard, times the policy's share, is self-paid like a
/// part above the price cap (the larger of the two counts).
///
/// # Errors
/// `Internal` on an amount out of range.
pub(crate) async fn apply_payment_standards(
    app: &App,
    county: &str,
    day: NaiveDate,
    catalogue: &InForce,
    inputs: &[crate::insurance::claims::ChargeInput],
    charges: &mut [sanyi_insurance::settlement::Charge],
    share: sanyi_domain::BasisPoints,
) -> Result<(), ServiceError> {
    let selected = selected_on(app, county, day).await?;
    if selected.is_empty() {
        return Ok(());
    }
    let prices: Vec<sanyi_procurement::SelectedPrice> = selected
        .values()
        .map(|s| sanyi_procurement::SelectedPrice {
            generic: sanyi_procurement::GenericKey {
                generic_name: s.product.generic_name.clone(),
                dosage_form: s.product.dosage_form.clone(),
            },
            unit_price: Fen::new(s.product.selected_price),
        })
        .collect();
    let internal = |e: &dyn std::fmt::Display| ServiceError::Internal(anyhow::anyhow!("payment standard: {e}"));
    for (input, charge) in inputs.iter().zip(charges.iter_mut()) {
        let Some(item) = catalogue.item(&input.code).filter(|i| i.kind != "service") else {
            continue;
        };
        let (generic_name, dosage_form) = generic_of(item);
        let key = sanyi_procurement::GenericKey { generic_name, dosage_form };
        let price = Fen::new(input.unit_price.unwrap_or(item.price_cap));
        let Some(standard) = sanyi_procurement::payment_standard(&key, price, selected.contains_key(&item.code), &prices) else {
            continue;
        };
        let over = sanyi_procurement::over_standard(price, standard, input.quantity).map_err(|e| internal(&e))?;
        let over = over.apply_bp(share).map_err(|e| internal(&e))?;
        charge.over_cap = charge.over_cap.max(over).min(charge.amount);
    }
    Ok(())
}
