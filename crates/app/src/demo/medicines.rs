//! The demo year of medicines (医药): each community takes part in a national batch (on
//! track) and a provincial batch (behind on completion) for the year of the demo's claims; the
//! central pharmacy buys month by month, transfers down to the members what they dispense, and
//! every outpatient and chronic claim's drugs are a dispensed prescription charged on it; in
//! December the members are stocked for a month more, so that this year's prescriptions can be
//! dispensed. A renewal of the national batch for the current year waits for its contract. Everything is
//! consistent by construction: stock never goes negative, receipts − transfers − dispensing =
//! the lots' quantities.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Duration, NaiveDate, Utc};
use serde_json::{Value, json};

use sanyi_domain::Fen;
use sanyi_insurance::settlement::{Charge, MedType};
use sanyi_sim::DemoWorld;
use sanyi_store::Db;
use sanyi_store::medicines::{self as med_repo, DemandRow, PrepaymentRow, ProductRow, ProjectRow};
use sanyi_store::pharmacy::{self as repo, BulkPharmacy};
use sanyi_store::registry::Institution;

use crate::ServiceError;
use crate::insurance::claims::ChargeInput;
use crate::medicines::catalogue::{self, InForce};
use crate::medicines::projects::{ContractRules, agreed_amount, generic_of};

/// A selected product of the demo's projects: (project key, catalogue code, firm, selected
/// price, baseline price, demand factor ×100 over the year's use). One winner each: 50 % of the
/// reported demand is agreed. The national batch reports 160 % of use (agreed 80 %, bought 105 %:
/// on track); the provincial batch 300 % (agreed 150 % of use, bought 105 %: behind, and its
/// saving is not retained).
const PRODUCTS: &[(&str, &str, &str, i64, i64, i64)] = &[
    ("national", "XC08CAA001", "示例药业甲", 12, 45, 160),
    ("national", "XC09CAL001", "示例药业乙", 35, 150, 160),
    ("national", "XA10BAM001", "示例药业丙", 5, 25, 160),
    ("national", "XA02BCA001", "示例药业乙", 18, 60, 160),
    ("provincial", "XJ01DDA001", "示例药业乙", 300, 480, 300),
    ("provincial", "XB05BBA001", "示例大输液", 150, 210, 300),
];

/// The payment standard the demo's settlement applies to a non-selected product of a generic
/// with a selected one (the same rule as the claims service): the part above it is self-paid.
pub(crate) fn apply_standard(c: &InForce, inputs: &[ChargeInput], charges: &mut [Charge]) {
    for (input, charge) in inputs.iter().zip(charges.iter_mut()) {
        let Some(item) = c.item(&input.code) else { continue };
        if item.kind == "service" || PRODUCTS.iter().any(|p| p.1 == item.code) {
            continue;
        }
        let key = generic_of(item);
        let standard = PRODUCTS
            .iter()
            .filter_map(|p| c.item(p.1).filter(|s| generic_of(s) == key).map(|_| p.3))
            .max();
        if let Some(s) = standard {
            let price = input.unit_price.unwrap_or(item.price_cap);
            let over = (price - s).max(0).saturating_mul(input.quantity);
            charge.over_cap = charge.over_cap.max(Fen::new(over)).min(charge.amount);
        }
    }
}

/// A prescribed and dispensed line, kept month by month per institution.
#[derive(Default)]
pub(crate) struct Dispensing {
    prescriptions: Vec<Value>,
    lines: Vec<Value>,
    /// (institution id, item code, month) → units.
    used: BTreeMap<(String, String, u32), i64>,
    /// Institution id → (prescriber staff id, name).
    prescribers: HashMap<String, (String, String)>,
    /// (county, level) → the year's project, with its products.
    projects: HashMap<(String, &'static str), (ProjectRow, Vec<ProductRow>)>,
    year: i32,
}

impl Dispensing {
    /// Registers each community's projects of `year` (open for demand until the year is known)
    /// and the staff who prescribe at each institution (the first of its staff).
    ///
    /// # Errors
    /// On a database error.
    pub(crate) async fn start(db: &Db, w: &DemoWorld, year: i32) -> Result<Dispensing, ServiceError> {
        let mut prescribers = HashMap::new();
        for s in &w.staff {
            prescribers
                .entry(s.working_institution_id.clone())
                .or_insert_with(|| (s.id.clone(), s.name.clone()));
        }
        let mut projects = HashMap::new();
        if let Some(pool) = &w.pool {
            let c = catalogue::demo_in_force(&pool.division_code, NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default())?;
            for community in w.communities.iter().filter(|c| c.lead_institution_id.is_some()) {
                let county = community.division_code.clone();
                for (level, code, name) in [
                    (
                        "national",
                        format!("GJ-{year}-{}", &county[4..]),
                        "国家组织药品集中采购（示例批次）",
                    ),
                    (
                        "provincial",
                        format!("SJ-{year}-{}", &county[4..]),
                        "省级药品集中带量采购（示例批次）",
                    ),
                ] {
                    let p = project_row(&county, &community.id, &code, name, level, year, None);
                    let products: Vec<ProductRow> = PRODUCTS
                        .iter()
                        .filter(|x| x.0 == level)
                        .filter_map(|x| {
                            let item = c.item(x.1)?;
                            let (g, f) = generic_of(item);
                            Some(ProductRow {
                                project_id: p.id.clone(),
                                item_code: x.1.into(),
                                generic_name: g,
                                dosage_form: f,
                                firm: x.2.into(),
                                selected_price: x.3,
                                baseline_price: x.4,
                            })
                        })
                        .collect();
                    let a = crate::audit::system_entry(&county, "create", "procurement_project", &p.id, "demo project");
                    med_repo::insert_project(db, &p, &products, &a).await?;
                    projects.insert((county.clone(), level), (p, products));
                }
            }
        }
        Ok(Dispensing {
            prescribers,
            projects,
            year,
            ..Dispensing::default()
        })
    }

    fn project_of(&self, county: &str, item: &str) -> Option<&ProjectRow> {
        let level = PRODUCTS.iter().find(|x| x.1 == item)?.0;
        self.projects.get(&(county.to_owned(), level)).map(|(p, _)| p)
    }

    /// Writes the prescriptions gathered so far (the demo year is written in short transactions).
    ///
    /// # Errors
    /// On a database error.
    pub(crate) async fn flush(&mut self, db: &Db) -> Result<(), ServiceError> {
        let bulk = BulkPharmacy {
            prescriptions: std::mem::take(&mut self.prescriptions),
            prescription_lines: std::mem::take(&mut self.lines),
            ..BulkPharmacy::default()
        };
        repo::insert_bulk(db, &bulk).await?;
        Ok(())
    }

    /// Records the drugs of a settled claim: outpatient and chronic ones as a dispensed
    /// prescription charged on the claim, inpatient ones as the ward's use.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn add(
        &mut self,
        c: &InForce,
        resident: (&str, &str),
        place: &Institution,
        claim_key: &str,
        date: NaiveDate,
        med_type: MedType,
        diagnosis: Option<&str>,
        charges: &[ChargeInput],
    ) {
        let goods: Vec<(&ChargeInput, &sanyi_store::medicines::CatalogueItemRow)> = charges
            .iter()
            .filter_map(|ch| c.item(&ch.code).filter(|i| i.kind != "service").map(|i| (ch, i)))
            .collect();
        if goods.is_empty() {
            return;
        }
        for (ch, _) in &goods {
            *self.used.entry((place.id.clone(), ch.code.clone(), date.month())).or_insert(0) += ch.quantity;
        }
        if med_type == MedType::Inpatient {
            return;
        }
        let id = sanyi_store::new_id();
        let (prescriber, name) = self
            .prescribers
            .get(&place.id)
            .cloned()
            .unwrap_or_else(|| ("system".into(), "示例医生".into()));
        let chronic = med_type == MedType::Chronic;
        self.prescriptions.push(json!({
            "division_code": place.division_code, "id": id,
            "rx_no": format!("RX{}{}", date.format("%Y%m%d"), &id[id.len() - 12..]).to_uppercase(),
            "institution_id": place.id, "resident_division_code": resident.0, "resident_id": resident.1,
            "prescriber": prescriber, "prescriber_name": name,
            "kind": if chronic { "chronic" } else { "outpatient" },
            "diagnosis": diagnosis.unwrap_or(if chronic { "I10" } else { "J06.900" }),
            "days_supply": if chronic { 30 } else { 5 },
            "written_on": date, "state": "dispensed", "dispensed_on": date, "dispensed_by": prescriber,
            "claim_key": claim_key, "created_at": Utc::now(),
        }));
        for (n, (ch, item)) in goods.iter().enumerate() {
            let project = self.project_of(&place.division_code, &item.code).map(|p| p.id.clone());
            let price = PRODUCTS
                .iter()
                .find(|p| p.1 == item.code)
                .filter(|_| project.is_some())
                .map_or(item.price_cap, |p| p.3);
            let (generic_name, dosage_form) = generic_of(item);
            self.lines.push(json!({
                "division_code": place.division_code, "prescription_id": id, "line_no": n + 1,
                "institution_id": place.id, "prescriber": prescriber, "dispensed_on": date,
                "item_code": item.code, "generic_name": if item.kind == "drug" { generic_name } else { String::new() },
                "dosage_form": dosage_form, "quantity": ch.quantity, "unit_price": price, "amount": price * ch.quantity,
                "selected": project.is_some(), "project_id": project,
            }));
        }
    }
}

fn project_row(county: &str, community: &str, code: &str, name: &str, level: &str, year: i32, renewal_of: Option<String>) -> ProjectRow {
    ProjectRow {
        division_code: county.to_owned(),
        id: sanyi_store::new_id(),
        code: code.to_owned(),
        name: name.to_owned(),
        level: level.to_owned(),
        community_id: community.to_owned(),
        starts_on: NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default(),
        ends_on: NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default(),
        renewal_of,
        rules: serde_json::to_string(&ContractRules::default()).unwrap_or_default(),
        state: "reporting".into(),
        contracted_at: None,
        created_by: "system".into(),
        created_at: Utc::now(),
    }
}

/// Fixes the demand and contracts of the year's projects, seeds the central pharmacy's year and
/// the remaining prescriptions, and this year's renewal waiting for its contract.
///
/// # Errors
/// On a database error.
pub(crate) async fn finish(db: &Db, w: &DemoWorld, mut d: Dispensing) -> Result<(), ServiceError> {
    let Some(pool) = w.pool.as_ref().map(|p| p.division_code.clone()) else {
        return Ok(());
    };
    let year = d.year;
    let c = catalogue::demo_in_force(&pool, NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default())?;
    d.flush(db).await?;
    let mut bulk = BulkPharmacy::default();
    let now = Utc::now();
    let audit =
        |county: &str, action: &str, id: &str, detail: &str| crate::audit::system_entry(county, action, "procurement_project", id, detail);
    for community in &w.communities {
        let Some(lead) = community.lead_institution_id.clone() else {
            continue;
        };
        let county = community.division_code.clone();
        let members: Vec<&Institution> = w
            .institutions
            .iter()
            .filter(|i| i.community_id.as_deref() == Some(community.id.as_str()))
            .collect();
        let used = |inst: &str, item: &str, m: u32| d.used.get(&(inst.to_owned(), item.to_owned(), m)).copied().unwrap_or(0);
        let yearly = |inst: &str, item: &str| (1..=12).map(|m| used(inst, item, m)).sum::<i64>();
        let mut project_of_item: HashMap<String, String> = HashMap::new();
        for level in ["national", "provincial"] {
            let Some((p, products)) = d.projects.get(&(county.clone(), level)) else {
                continue;
            };
            let rules = ContractRules::default();
            let winners = crate::medicines::projects::winners_of(products);
            let mut demands = Vec::new();
            for m in &members {
                for pr in products {
                    let use_year = yearly(&m.id, &pr.item_code);
                    if use_year == 0 {
                        continue;
                    }
                    let factor = PRODUCTS.iter().find(|x| x.1 == pr.item_code).map_or(100, |x| x.5);
                    let reported = use_year * factor / 100;
                    // The winners rule of the project's own products, as `report_demand` applies it.
                    let n = winners
                        .get(&(pr.generic_name.clone(), pr.dosage_form.clone()))
                        .copied()
                        .unwrap_or(1);
                    let agreed = sanyi_procurement::agreed_volume(reported, n, &rules.winners).unwrap_or(0);
                    demands.push(DemandRow {
                        project_id: p.id.clone(),
                        institution_id: m.id.clone(),
                        generic_name: pr.generic_name.clone(),
                        dosage_form: pr.dosage_form.clone(),
                        reported_units: reported,
                        agreed_units: agreed,
                    });
                }
            }
            if demands.is_empty() {
                continue;
            }
            med_repo::put_demands(db, &county, &p.id, &demands, &audit(&county, "report_demand", &p.id, "demo demand")).await?;
            let agreed = agreed_amount(products, &demands)?;
            let prepaid = sanyi_procurement::prepayment(agreed, rules.prepay_share, rules.prepay_minimum).unwrap_or(Fen::ZERO);
            let pre = PrepaymentRow {
                division_code: county.clone(),
                project_id: p.id.clone(),
                amount: prepaid.get(),
                agreed_amount: agreed.get(),
                credited_on: p.starts_on,
            };
            med_repo::contract(db, &pre, &audit(&county, "contract", &p.id, "demo contract")).await?;
            for pr in products {
                project_of_item.insert(pr.item_code.clone(), p.id.clone());
            }
            if level == "national" {
                // This year's renewal: demand reported, waiting for the officer to sign.
                let r = project_row(
                    &county,
                    &community.id,
                    &format!("GJ-{}-{}", year + 1, &county[4..]),
                    &p.name,
                    level,
                    year + 1,
                    Some(p.id.clone()),
                );
                let rp: Vec<ProductRow> = products
                    .iter()
                    .map(|x| ProductRow {
                        project_id: r.id.clone(),
                        ..x.clone()
                    })
                    .collect();
                let rd: Vec<DemandRow> = demands
                    .iter()
                    .map(|x| DemandRow {
                        project_id: r.id.clone(),
                        ..x.clone()
                    })
                    .collect();
                med_repo::insert_project(db, &r, &rp, &audit(&county, "create", &r.id, "demo renewal")).await?;
                med_repo::put_demands(db, &county, &r.id, &rd, &audit(&county, "report_demand", &r.id, "demo demand")).await?;
            }
        }
        // Month by month: the lead buys what the community dispenses and a little more; it
        // transfers each member's use down; each institution dispenses its use.
        let items: Vec<String> = {
            let mut v: Vec<String> = d
                .used
                .keys()
                .filter(|(i, _, _)| members.iter().any(|m| &m.id == i))
                .map(|(_, item, _)| item.clone())
                .collect();
            v.sort();
            v.dedup();
            v
        };
        for m in 1..=12u32 {
            let ordered_on = NaiveDate::from_ymd_opt(year, m, 1).unwrap_or_default();
            let accepted_on = ordered_on + Duration::days(2);
            let order_id = sanyi_store::new_id();
            let delivery_id = sanyi_store::new_id();
            let no = format!("{}-{year}{m:02}", &county[4..]);
            let mut amount = 0i64;
            let mut line_no = 0;
            for item_code in &items {
                let need: i64 = members.iter().map(|i| used(&i.id, item_code, m)).sum();
                if need == 0 {
                    continue;
                }
                let Some(item) = c.item(item_code) else { continue };
                let project = project_of_item.get(item_code).cloned();
                let price = PRODUCTS
                    .iter()
                    .find(|x| x.1 == item_code)
                    .filter(|_| project.is_some())
                    .map_or(item.price_cap, |x| x.3);
                // In December the members are also stocked for the first month of the new year.
                let stock_up = |u: i64| if m == 12 { u } else { 0 };
                let q = need
                    + (need + 19) / 20
                    + members
                        .iter()
                        .filter(|i| i.id != lead)
                        .map(|i| stock_up(used(&i.id, item_code, m)))
                        .sum::<i64>();
                line_no += 1;
                amount += q * price;
                let lot_no = format!("L{}{m:02}{}", year % 100, &item_code[item_code.len().saturating_sub(3)..]);
                let expires = accepted_on + Duration::days(730);
                bulk.order_lines.push(
                    json!({"division_code": county, "order_id": order_id, "line_no": line_no, "item_code": item_code,
                    "quantity": q, "unit_price": price, "project_id": project}),
                );
                bulk.delivery_lines.push(
                    json!({"division_code": county, "delivery_id": delivery_id, "line_no": line_no, "item_code": item_code,
                    "lot_no": lot_no, "expires_on": expires, "quantity": q, "unit_price": price, "project_id": project}),
                );
                let lead_lot = sanyi_store::new_id();
                let mut lead_left = q;
                let mv = |inst: &str, lot: &str, kind: &str, qty: i64, r: &str, on: NaiveDate| {
                    json!({"division_code": county, "id": sanyi_store::new_id(), "institution_id": inst, "lot_id": lot, "item_code": item_code,
                        "kind": kind, "quantity": qty, "unit_cost": price, "project_id": project, "ref_no": r, "moved_on": on,
                        "moved_by": "system", "created_at": now})
                };
                bulk.moves.push(mv(&lead, &lead_lot, "receipt", q, &format!("PS{no}"), accepted_on));
                for inst in &members {
                    let u = used(&inst.id, item_code, m);
                    if u == 0 {
                        continue;
                    }
                    let day = accepted_on + Duration::days(1);
                    let issue = NaiveDate::from_ymd_opt(year, m, 28).unwrap_or(day);
                    if inst.id == lead {
                        bulk.moves.push(mv(&lead, &lead_lot, "dispense", -u, &format!("FY{no}"), issue));
                    } else {
                        let lot = sanyi_store::new_id();
                        let sent = u + stock_up(u);
                        bulk.moves
                            .push(mv(&lead, &lead_lot, "transfer_out", -sent, &format!("DB{no}"), day));
                        bulk.moves.push(mv(&inst.id, &lot, "transfer_in", sent, &format!("DB{no}"), day));
                        bulk.moves.push(mv(&inst.id, &lot, "dispense", -u, &format!("FY{no}"), issue));
                        bulk.lots.push(
                            json!({"division_code": county, "id": lot, "institution_id": inst.id, "item_code": item_code, "lot_no": lot_no,
                            "expires_on": expires, "unit_cost": price, "quantity": sent - u, "project_id": project}),
                        );
                        lead_left -= stock_up(u);
                    }
                    lead_left -= u;
                }
                bulk.lots.push(
                    json!({"division_code": county, "id": lead_lot, "institution_id": lead, "item_code": item_code, "lot_no": lot_no,
                    "expires_on": expires, "unit_cost": price, "quantity": lead_left, "project_id": project}),
                );
            }
            if line_no == 0 {
                continue;
            }
            // Paid within the 30 days, except a few months paid late.
            let paid_on = accepted_on + Duration::days(if m % 5 == 0 { 41 } else { 21 });
            bulk.orders.push(
                json!({"division_code": county, "id": order_id, "order_no": format!("CG{no}"), "institution_id": lead,
                "supplier": "示例医药配送有限公司", "ordered_on": ordered_on, "ordered_by": "system", "created_at": now}),
            );
            bulk.deliveries.push(
                json!({"division_code": county, "id": delivery_id, "order_id": order_id, "delivery_no": format!("PS{no}"),
                "delivered_on": accepted_on, "amount": amount, "accepted_on": accepted_on, "accepted_by": "system",
                "due_on": accepted_on + Duration::days(30), "paid_on": paid_on, "paid_by": "system", "created_at": now}),
            );
        }
    }
    repo::insert_bulk(db, &bulk).await?;
    Ok(())
}
