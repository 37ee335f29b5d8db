//! The community's central pharmacy (中心药房): purchase orders, deliveries (also the supplier's
//! invoice) accepted into stock by lot, transfers down to members, prescriptions and their
//! dispensing. Stock changes are conditional updates (`quantity >= n`), so stock never goes below
//! zero and concurrent dispensing never loses a unit; every change is a row of `stock_moves`.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;

use crate::audit::AuditEntry;
use crate::{ConstraintKind, Db, Page, Paged, StoreError, audit_insert_in_tx, dispatch, new_id, transaction};

/// The constraint a stock decrement reports when a lot no longer holds the quantity (someone
/// dispensed it first): the caller re-reads the lots and allocates again.
pub const STOCK_SHORT: &str = "stock_lots.quantity >= 0";

fn check(constraint: &str, column: &str) -> StoreError {
    StoreError::Constraint {
        kind: ConstraintKind::Check,
        constraint: constraint.into(),
        columns: vec![column.into()],
    }
}

/// Adds `$lot.quantity` units to the lot (institution, item, lot number, cost) inside `$tx`,
/// creating it; evaluates to the lot's id.
macro_rules! add_to_lot {
    ($tx:ident, $county:expr, $lot:expr) => {{
        let lot: &LotRow = $lot;
        let id: String = sqlx::query_scalar(
            "INSERT INTO stock_lots (division_code, id, institution_id, item_code, lot_no, expires_on, unit_cost, quantity, project_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (division_code, institution_id, item_code, lot_no, unit_cost) \
             DO UPDATE SET quantity = stock_lots.quantity + excluded.quantity RETURNING id",
        )
        .bind($county)
        .bind(&lot.id)
        .bind(&lot.institution_id)
        .bind(&lot.item_code)
        .bind(&lot.lot_no)
        .bind(lot.expires_on)
        .bind(lot.unit_cost)
        .bind(lot.quantity)
        .bind(&lot.project_id)
        .fetch_one(&mut *$tx)
        .await?;
        id
    }};
}

/// Appends one stock move inside `$tx`.
macro_rules! insert_move {
    ($tx:ident, $county:expr, $lot:expr, $lot_id:expr, $kind:expr, $quantity:expr, $ref_no:expr, $on:expr, $by:expr, $at:expr) => {{
        let lot: &LotRow = $lot;
        sqlx::query(
            "INSERT INTO stock_moves (division_code, id, institution_id, lot_id, item_code, kind, quantity, unit_cost, project_id, ref_no, moved_on, moved_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind($county).bind(new_id()).bind(&lot.institution_id).bind($lot_id).bind(&lot.item_code).bind($kind).bind($quantity)
        .bind(lot.unit_cost).bind(&lot.project_id).bind($ref_no).bind($on).bind($by).bind($at)
        .execute(&mut *$tx)
        .await?;
    }};
}

/// Takes `$quantity` units from lot `$lot_id` inside `$tx` only when it still holds them; returns
/// early with [`STOCK_SHORT`] otherwise (the transaction rolls back).
macro_rules! take_from_lot {
    ($tx:ident, $county:expr, $lot_id:expr, $quantity:expr) => {{
        let done = sqlx::query("UPDATE stock_lots SET quantity = quantity - $1 WHERE division_code = $2 AND id = $3 AND quantity >= $1")
            .bind($quantity)
            .bind($county)
            .bind($lot_id)
            .execute(&mut *$tx)
            .await?
            .rows_affected();
        if done != 1 {
            return Err(check(STOCK_SHORT, "quantity"));
        }
    }};
}

/// A purchase order.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct OrderRow {
    /// County.
    pub division_code: String,
    /// Id.
    pub id: String,
    /// Order number.
    pub order_no: String,
    /// Buying institution (the lead hospital's central pharmacy).
    pub institution_id: String,
    /// Supplier (配送企业).
    pub supplier: String,
    /// Ordered on.
    pub ordered_on: NaiveDate,
    /// Ordered by (user id).
    pub ordered_by: String,
    /// Created at.
    pub created_at: DateTime<Utc>,
}

/// One line of an order or a delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize, sqlx::FromRow)]
pub struct LineRow {
    /// Line number (1-based).
    pub line_no: i64,
    /// Catalogue code.
    pub item_code: String,
    /// Lot (deliveries; empty on orders).
    pub lot_no: String,
    /// Expiry (deliveries).
    pub expires_on: Option<NaiveDate>,
    /// Units.
    pub quantity: i64,
    /// Unit price, fen.
    pub unit_price: i64,
    /// The procurement project the line buys under (selected products).
    pub project_id: Option<String>,
}

/// Stores an order with its lines and the audit entry.
///
/// # Errors
/// A unique violation when the order number is taken.
pub async fn insert_order(db: &Db, o: &OrderRow, lines: &[LineRow], audit: &AuditEntry) -> Result<(), StoreError> {
    transaction!(db, tx => {
        sqlx::query("INSERT INTO purchase_orders (division_code, id, order_no, institution_id, supplier, ordered_on, ordered_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(&o.division_code).bind(&o.id).bind(&o.order_no).bind(&o.institution_id).bind(&o.supplier).bind(o.ordered_on)
            .bind(&o.ordered_by).bind(o.created_at)
            .execute(&mut *tx).await?;
        for l in lines {
            sqlx::query("INSERT INTO purchase_order_lines (division_code, order_id, line_no, item_code, quantity, unit_price, project_id) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(&o.division_code).bind(&o.id).bind(l.line_no).bind(&l.item_code).bind(l.quantity).bind(l.unit_price).bind(&l.project_id)
                .execute(&mut *tx).await?;
        }
        audit_insert_in_tx!(tx, audit);
    });
    Ok(())
}

/// The first day of `day`'s month (the key of `usage_monthly`).
fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// Adds a dispensed prescription's drug lines ($3, county $1) to the monthly usage of month $2.
const USAGE_ADD_SQL: &str = "INSERT INTO usage_monthly (division_code, month, institution_id, prescriber, generic_name, dosage_form, selected, units, amount) \
    SELECT division_code, $2, institution_id, prescriber, generic_name, dosage_form, selected, SUM(quantity), SUM(COALESCE(amount, 0)) \
    FROM prescription_lines WHERE division_code = $1 AND prescription_id = $3 AND generic_name <> '' \
    GROUP BY division_code, institution_id, prescriber, generic_name, dosage_form, selected \
    ON CONFLICT (division_code, month, institution_id, prescriber, generic_name, dosage_form, selected) \
    DO UPDATE SET units = usage_monthly.units + excluded.units, amount = usage_monthly.amount + excluded.amount";

/// The orders of the counties under `prefix`, newest first.
///
/// # Errors
/// On a database error.
pub async fn orders(db: &Db, prefix: &str, page: Page) -> Result<Paged<OrderRow>, StoreError> {
    let like = format!("{prefix}%");
    let (items, total) = dispatch!(db, p => {
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM purchase_orders WHERE division_code LIKE $1").bind(&like).fetch_one(p).await?;
        let items = sqlx::query_as::<_, OrderRow>("SELECT division_code, id, order_no, institution_id, supplier, ordered_on, ordered_by, created_at \
                                                   FROM purchase_orders WHERE division_code LIKE $1 ORDER BY ordered_on DESC, order_no DESC LIMIT $2 OFFSET $3")
            .bind(&like).bind(page.limit).bind(page.offset).fetch_all(p).await?;
        Ok::<_, sqlx::Error>((items, total))
    })?;
    Ok(Paged::new(items, total, page))
}

/// One order.
///
/// # Errors
/// On a database error.
pub async fn order(db: &Db, county: &str, id: &str) -> Result<Option<OrderRow>, StoreError> {
    Ok(
        dispatch!(db, p => sqlx::query_as::<_, OrderRow>("SELECT division_code, id, order_no, institution_id, supplier, ordered_on, ordered_by, created_at \
                                                          FROM purchase_orders WHERE division_code = $1 AND id = $2")
        .bind(county).bind(id).fetch_optional(p).await)?,
    )
}

/// The lines of an order.
///
/// # Errors
/// On a database error.
pub async fn order_lines(db: &Db, county: &str, order_id: &str) -> Result<Vec<LineRow>, StoreError> {
    Ok(
        dispatch!(db, p => sqlx::query_as::<_, LineRow>("SELECT line_no, item_code, '' AS lot_no, NULL AS expires_on, quantity, unit_price, project_id \
                                                         FROM purchase_order_lines WHERE division_code = $1 AND order_id = $2 ORDER BY line_no")
        .bind(county).bind(order_id).fetch_all(p).await)?,
    )
}

/// A delivery, which is also the supplier's invoice.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct DeliveryRow {
    /// County.
    pub division_code: String,
    /// Id.
    pub id: String,
    /// Order.
    pub order_id: String,
    /// Delivery (invoice) number.
    pub delivery_no: String,
    /// Delivered on.
    pub delivered_on: NaiveDate,
    /// Amount, fen.
    pub amount: i64,
    /// Accepted into stock on.
    pub accepted_on: Option<NaiveDate>,
    /// Accepted by (user id).
    pub accepted_by: Option<String>,
    /// Payment due on.
    pub due_on: Option<NaiveDate>,
    /// Paid on.
    pub paid_on: Option<NaiveDate>,
    /// Paid by (user id).
    pub paid_by: Option<String>,
    /// Supplier (from the order).
    pub supplier: String,
    /// Order number.
    pub order_no: String,
    /// Receiving institution (from the order).
    pub institution_id: String,
}

const DELIVERY_SELECT: &str = "SELECT d.division_code, d.id, d.order_id, d.delivery_no, d.delivered_on, d.amount, d.accepted_on, d.accepted_by, \
                               d.due_on, d.paid_on, d.paid_by, o.supplier, o.order_no, o.institution_id \
                               FROM deliveries d JOIN purchase_orders o ON o.division_code = d.division_code AND o.id = d.order_id";

/// Records a delivery note with its lines (not yet accepted).
///
/// # Errors
/// A unique violation when the delivery number is taken.
pub async fn insert_delivery(db: &Db, d: &DeliveryRow, lines: &[LineRow], audit: &AuditEntry) -> Result<(), StoreError> {
    let now = Utc::now();
    transaction!(db, tx => {
        sqlx::query("INSERT INTO deliveries (division_code, id, order_id, delivery_no, delivered_on, amount, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(&d.division_code).bind(&d.id).bind(&d.order_id).bind(&d.delivery_no).bind(d.delivered_on).bind(d.amount).bind(now)
            .execute(&mut *tx).await?;
        for l in lines {
            sqlx::query("INSERT INTO delivery_lines (division_code, delivery_id, line_no, item_code, lot_no, expires_on, quantity, unit_price, project_id) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                .bind(&d.division_code).bind(&d.id).bind(l.line_no).bind(&l.item_code).bind(&l.lot_no).bind(l.expires_on)
                .bind(l.quantity).bind(l.unit_price).bind(&l.project_id)
                .execute(&mut *tx).await?;
        }
        audit_insert_in_tx!(tx, audit);
    });
    Ok(())
}

/// One delivery.
///
/// # Errors
/// On a database error.
pub async fn delivery(db: &Db, county: &str, id: &str) -> Result<Option<DeliveryRow>, StoreError> {
    let sql = format!("{DELIVERY_SELECT} WHERE d.division_code = $1 AND d.id = $2");
    Ok(dispatch!(db, p => sqlx::query_as::<_, DeliveryRow>(sqlx::AssertSqlSafe(sql)).bind(county).bind(id).fetch_optional(p).await)?)
}

/// The lines of a delivery.
///
/// # Errors
/// On a database error.
pub async fn delivery_lines(db: &Db, county: &str, delivery_id: &str) -> Result<Vec<LineRow>, StoreError> {
    Ok(
        dispatch!(db, p => sqlx::query_as::<_, LineRow>("SELECT line_no, item_code, lot_no, expires_on, quantity, unit_price, project_id \
                                                         FROM delivery_lines WHERE division_code = $1 AND delivery_id = $2 ORDER BY line_no")
        .bind(county).bind(delivery_id).fetch_all(p).await)?,
    )
}

/// The deliveries of the counties under `prefix`: all, or only the accepted ones not yet paid
/// (by due date).
///
/// # Errors
/// On a database error.
pub async fn deliveries(db: &Db, prefix: &str, unpaid_only: bool, page: Page) -> Result<Paged<DeliveryRow>, StoreError> {
    let like = format!("{prefix}%");
    let filter = if unpaid_only {
        "WHERE d.division_code LIKE $1 AND d.accepted_on IS NOT NULL AND d.paid_on IS NULL"
    } else {
        "WHERE d.division_code LIKE $1"
    };
    let order = if unpaid_only {
        "d.due_on, d.delivery_no"
    } else {
        "d.delivered_on DESC, d.delivery_no DESC"
    };
    let count_sql = format!("SELECT COUNT(*) FROM deliveries d {filter}");
    let sql = format!("{DELIVERY_SELECT} {filter} ORDER BY {order} LIMIT $2 OFFSET $3");
    let (items, total) = dispatch!(db, p => {
        let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql)).bind(&like).fetch_one(p).await?;
        let items = sqlx::query_as::<_, DeliveryRow>(sqlx::AssertSqlSafe(sql)).bind(&like).bind(page.limit).bind(page.offset).fetch_all(p).await?;
        Ok::<_, sqlx::Error>((items, total))
    })?;
    Ok(Paged::new(items, total, page))
}

/// Accepts a delivery into the receiving institution's stock: each line adds to its lot (created
/// when new) and writes a receipt move; the payment clock starts (`due_on`).
///
/// # Errors
/// `Constraint(Check)` on `accepted_on` when the delivery was already accepted.
pub async fn accept_delivery(
    db: &Db,
    d: &DeliveryRow,
    accepted_on: NaiveDate,
    due_on: NaiveDate,
    by: &str,
    audit: &AuditEntry,
) -> Result<(), StoreError> {
    let now = Utc::now();
    transaction!(db, tx => {
        let done = sqlx::query("UPDATE deliveries SET accepted_on = $1, accepted_by = $2, due_on = $3 \
                                WHERE division_code = $4 AND id = $5 AND accepted_on IS NULL")
            .bind(accepted_on).bind(by).bind(due_on).bind(&d.division_code).bind(&d.id)
            .execute(&mut *tx).await?.rows_affected();
        if done != 1 {
            return Err(check("deliveries.accepted_once", "accepted_on"));
        }
        let lines = sqlx::query_as::<_, LineRow>("SELECT line_no, item_code, lot_no, expires_on, quantity, unit_price, project_id \
                                                  FROM delivery_lines WHERE division_code = $1 AND delivery_id = $2 ORDER BY line_no")
            .bind(&d.division_code).bind(&d.id).fetch_all(&mut *tx).await?;
        for l in &lines {
            let lot = LotRow {
                id: new_id(), institution_id: d.institution_id.clone(), item_code: l.item_code.clone(), lot_no: l.lot_no.clone(),
                expires_on: l.expires_on.unwrap_or(accepted_on), unit_cost: l.unit_price, quantity: l.quantity, project_id: l.project_id.clone(),
            };
            let lot_id = add_to_lot!(tx, &d.division_code, &lot);
            insert_move!(tx, &d.division_code, &lot, &lot_id, "receipt", l.quantity, &d.delivery_no, accepted_on, by, now);
        }
        audit_insert_in_tx!(tx, audit);
    });
    Ok(())
}

/// Marks an accepted delivery paid.
///
/// # Errors
/// `Constraint(Check)` on `paid_on` when it is not accepted or already paid.
pub async fn pay_delivery(db: &Db, county: &str, id: &str, paid_on: NaiveDate, by: &str, audit: &AuditEntry) -> Result<(), StoreError> {
    transaction!(db, tx => {
        let done = sqlx::query("UPDATE deliveries SET paid_on = $1, paid_by = $2 \
                                WHERE division_code = $3 AND id = $4 AND accepted_on IS NOT NULL AND paid_on IS NULL")
            .bind(paid_on).bind(by).bind(county).bind(id)
            .execute(&mut *tx).await?.rows_affected();
        if done != 1 {
            return Err(check("deliveries.paid_once_after_acceptance", "paid_on"));
        }
        audit_insert_in_tx!(tx, audit);
    });
    Ok(())
}

/// One lot of stock at one institution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct LotRow {
    /// Id.
    pub id: String,
    /// Institution.
    pub institution_id: String,
    /// Catalogue code.
    pub item_code: String,
    /// Lot number.
    pub lot_no: String,
    /// Expiry.
    pub expires_on: NaiveDate,
    /// Purchase price per unit, fen.
    pub unit_cost: i64,
    /// Units in stock.
    pub quantity: i64,
    /// Project bought under.
    pub project_id: Option<String>,
}

/// The lots of an institution (one item, or all; empty lots left out), earliest expiry first.
///
/// # Errors
/// On a database error.
pub async fn lots(db: &Db, county: &str, institution: &str, item: Option<&str>) -> Result<Vec<LotRow>, StoreError> {
    let sql = "SELECT id, institution_id, item_code, lot_no, expires_on, unit_cost, quantity, project_id FROM stock_lots \
               WHERE division_code = $1 AND institution_id = $2 AND ($3 IS NULL OR item_code = $3) AND quantity > 0 \
               ORDER BY item_code, expires_on, lot_no";
    Ok(dispatch!(db, p => sqlx::query_as::<_, LotRow>(sql).bind(county).bind(institution).bind(item).fetch_all(p).await)?)
}

/// The lots with stock of every institution of the counties under `prefix`.
///
/// # Errors
/// On a database error.
pub async fn all_lots(db: &Db, prefix: &str) -> Result<Vec<LotRow>, StoreError> {
    let sql = "SELECT id, institution_id, item_code, lot_no, expires_on, unit_cost, quantity, project_id FROM stock_lots \
               WHERE division_code LIKE $1 AND quantity > 0 ORDER BY institution_id, item_code, expires_on, lot_no";
    let like = format!("{prefix}%");
    Ok(dispatch!(db, p => sqlx::query_as::<_, LotRow>(sql).bind(&like).fetch_all(p).await)?)
}

/// One allocation of units from a lot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Take {
    /// The lot as read (its institution, item, cost and project travel with the units).
    pub lot: LotRow,
    /// Units taken.
    pub quantity: i64,
}

/// Moves units from lots of one institution to another of the same county (调拨): each taken lot
/// is recreated (or topped up) at the receiver with the same lot number, expiry, cost and project.
///
/// # Errors
/// [`STOCK_SHORT`] when a lot no longer holds what was allocated (nothing is moved).
#[allow(clippy::too_many_arguments)]
pub async fn transfer(
    db: &Db,
    county: &str,
    to_institution: &str,
    takes: &[Take],
    transfer_no: &str,
    on: NaiveDate,
    by: &str,
    audit: &AuditEntry,
) -> Result<(), StoreError> {
    let now = Utc::now();
    transaction!(db, tx => {
        for t in takes {
            take_from_lot!(tx, county, &t.lot.id, t.quantity);
            insert_move!(tx, county, &t.lot, &t.lot.id, "transfer_out", -t.quantity, transfer_no, on, by, now);
            let arriving = LotRow { id: new_id(), institution_id: to_institution.to_owned(), quantity: t.quantity, ..t.lot.clone() };
            let lot_id = add_to_lot!(tx, county, &arriving);
            insert_move!(tx, county, &arriving, &lot_id, "transfer_in", t.quantity, transfer_no, on, by, now);
        }
        audit_insert_in_tx!(tx, audit);
    });
    Ok(())
}

/// A prescription.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct PrescriptionRow {
    /// Institution's county.
    pub division_code: String,
    /// Id.
    pub id: String,
    /// Prescription number.
    pub rx_no: String,
    /// Institution.
    pub institution_id: String,
    /// Resident's county.
    pub resident_division_code: String,
    /// Resident.
    pub resident_id: String,
    /// Prescriber (user id).
    pub prescriber: String,
    /// Prescriber's name.
    pub prescriber_name: String,
    /// `outpatient`, `chronic`, `inpatient`, `emergency`.
    pub kind: String,
    /// Diagnosis (ICD-10 code or words).
    pub diagnosis: String,
    /// Days of supply.
    pub days_supply: i64,
    /// Written on.
    pub written_on: NaiveDate,
    /// `written` or `dispensed`.
    pub state: String,
    /// Dispensed on.
    pub dispensed_on: Option<NaiveDate>,
    /// Dispensed by (user id).
    pub dispensed_by: Option<String>,
    /// The claim that settled it.
    pub claim_key: Option<String>,
}

/// One prescription line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize, sqlx::FromRow)]
pub struct RxLineRow {
    /// Line number.
    pub line_no: i64,
    /// Catalogue code.
    pub item_code: String,
    /// Generic name.
    pub generic_name: String,
    /// Dosage form.
    pub dosage_form: String,
    /// Units.
    pub quantity: i64,
    /// Unit sale price once dispensed (the lots' purchase cost; a mixed-cost line: amount ÷ units).
    pub unit_price: Option<i64>,
    /// Amount once dispensed, fen.
    pub amount: Option<i64>,
    /// A selected product of a project in force.
    pub selected: bool,
    /// That project.
    pub project_id: Option<String>,
}

const RX_COLUMNS: &str = "division_code, id, rx_no, institution_id, resident_division_code, resident_id, prescriber, prescriber_name, kind, diagnosis, days_supply, \
                          written_on, state, dispensed_on, dispensed_by, claim_key";

/// Stores a written prescription with its lines and the audit entry.
///
/// # Errors
/// A unique violation when the number is taken.
pub async fn insert_prescription(db: &Db, rx: &PrescriptionRow, lines: &[RxLineRow], audit: &AuditEntry) -> Result<(), StoreError> {
    let now = Utc::now();
    transaction!(db, tx => {
        sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO prescriptions ({RX_COLUMNS}, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)")))
            .bind(&rx.division_code).bind(&rx.id).bind(&rx.rx_no).bind(&rx.institution_id).bind(&rx.resident_division_code).bind(&rx.resident_id).bind(&rx.prescriber)
            .bind(&rx.prescriber_name).bind(&rx.kind).bind(&rx.diagnosis).bind(rx.days_supply).bind(rx.written_on).bind(&rx.state)
            .bind(rx.dispensed_on).bind(&rx.dispensed_by).bind(&rx.claim_key).bind(now)
            .execute(&mut *tx).await?;
        for l in lines {
            sqlx::query("INSERT INTO prescription_lines (division_code, prescription_id, line_no, institution_id, prescriber, dispensed_on, item_code, \
                         generic_name, dosage_form, quantity, unit_price, amount, selected, project_id) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)")
                .bind(&rx.division_code).bind(&rx.id).bind(l.line_no).bind(&rx.institution_id).bind(&rx.prescriber).bind(rx.dispensed_on)
                .bind(&l.item_code).bind(&l.generic_name).bind(&l.dosage_form).bind(l.quantity).bind(l.unit_price).bind(l.amount)
                .bind(l.selected).bind(&l.project_id)
                .execute(&mut *tx).await?;
        }
        audit_insert_in_tx!(tx, audit);
    });
    Ok(())
}

/// One prescription (in a county).
///
/// # Errors
/// On a database error.
pub async fn prescription(db: &Db, county: &str, id: &str) -> Result<Option<PrescriptionRow>, StoreError> {
    let sql = format!("SELECT {RX_COLUMNS} FROM prescriptions WHERE division_code = $1 AND id = $2");
    Ok(dispatch!(db, p => sqlx::query_as::<_, PrescriptionRow>(sqlx::AssertSqlSafe(sql)).bind(county).bind(id).fetch_optional(p).await)?)
}

/// One prescription by id alone (ids are unique UUIDs: one query whatever county holds it).
///
/// # Errors
/// On a database error.
pub async fn prescription_by_id(db: &Db, id: &str) -> Result<Option<PrescriptionRow>, StoreError> {
    let sql = format!("SELECT {RX_COLUMNS} FROM prescriptions WHERE id = $1");
    Ok(dispatch!(db, p => sqlx::query_as::<_, PrescriptionRow>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(p).await)?)
}

/// The lines of a prescription.
///
/// # Errors
/// On a database error.
pub async fn prescription_lines(db: &Db, county: &str, id: &str) -> Result<Vec<RxLineRow>, StoreError> {
    Ok(
        dispatch!(db, p => sqlx::query_as::<_, RxLineRow>("SELECT line_no, item_code, generic_name, dosage_form, quantity, unit_price, amount, selected, project_id \
                                                          FROM prescription_lines WHERE division_code = $1 AND prescription_id = $2 ORDER BY line_no")
        .bind(county).bind(id).fetch_all(p).await)?,
    )
}

/// Which prescriptions to list.
#[derive(Clone, Debug, Default)]
pub struct RxQuery {
    /// Of one institution.
    pub institution_id: Option<String>,
    /// Of one resident.
    pub resident_id: Option<String>,
    /// Written by one prescriber (user id).
    pub prescriber: Option<String>,
    /// In one state.
    pub state: Option<String>,
}

/// Prescriptions of the counties under `prefix`, newest first.
///
/// # Errors
/// On a database error.
pub async fn prescriptions(db: &Db, prefix: &str, q: &RxQuery, page: Page) -> Result<Paged<PrescriptionRow>, StoreError> {
    let like = format!("{prefix}%");
    let filter = "FROM prescriptions WHERE division_code LIKE $1 AND ($2 IS NULL OR institution_id = $2) AND ($3 IS NULL OR resident_id = $3) \
                  AND ($4 IS NULL OR state = $4) AND ($5 IS NULL OR prescriber = $5)";
    let count_sql = format!("SELECT COUNT(*) {filter}");
    let sql = format!("SELECT {RX_COLUMNS} {filter} ORDER BY written_on DESC, rx_no DESC LIMIT $6 OFFSET $7");
    let (items, total) = dispatch!(db, p => {
        let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql)).bind(&like).bind(&q.institution_id).bind(&q.resident_id).bind(&q.state)
            .bind(&q.prescriber).fetch_one(p).await?;
        let items = sqlx::query_as::<_, PrescriptionRow>(sqlx::AssertSqlSafe(sql)).bind(&like).bind(&q.institution_id).bind(&q.resident_id)
            .bind(&q.state).bind(&q.prescriber).bind(page.limit).bind(page.offset).fetch_all(p).await?;
        Ok::<_, sqlx::Error>((items, total))
    })?;
    Ok(Paged::new(items, total, page))
}

/// What dispensing one line takes and charges.
#[derive(Clone, Debug)]
pub struct DispensedLine {
    /// Line number.
    pub line_no: i64,
    /// The lots it takes from.
    pub takes: Vec<Take>,
    /// Amount charged, fen (Σ lot cost × units under zero mark-up).
    pub amount: i64,
    /// Unit price shown (amount ÷ units, rounded).
    pub unit_price: i64,
    /// A selected product of a project in force.
    pub selected: bool,
    /// That project.
    pub project_id: Option<String>,
}

/// Dispenses a written prescription (发药): takes each line's lots, prices the lines and marks it
/// dispensed, in one transaction with the audit entry.
///
/// # Errors
/// `Constraint(Check)` on `state` when it is not `written` (dispensed twice); [`STOCK_SHORT`] when
/// a lot no longer holds its allocation (nothing is taken).
pub async fn dispense(
    db: &Db,
    rx: &PrescriptionRow,
    lines: &[DispensedLine],
    on: NaiveDate,
    by: &str,
    audit: &AuditEntry,
) -> Result<(), StoreError> {
    let now = Utc::now();
    transaction!(db, tx => {
        let done = sqlx::query("UPDATE prescriptions SET state = 'dispensed', dispensed_on = $1, dispensed_by = $2 \
                                WHERE division_code = $3 AND id = $4 AND state = 'written'")
            .bind(on).bind(by).bind(&rx.division_code).bind(&rx.id)
            .execute(&mut *tx).await?.rows_affected();
        if done != 1 {
            return Err(check("prescriptions.dispensed_once", "state"));
        }
        for l in lines {
            for t in &l.takes {
                take_from_lot!(tx, &rx.division_code, &t.lot.id, t.quantity);
                insert_move!(tx, &rx.division_code, &t.lot, &t.lot.id, "dispense", -t.quantity, &rx.rx_no, on, by, now);
            }
            sqlx::query("UPDATE prescription_lines SET unit_price = $1, amount = $2, selected = $3, project_id = $4, dispensed_on = $5 \
                         WHERE division_code = $6 AND prescription_id = $7 AND line_no = $8")
                .bind(l.unit_price).bind(l.amount).bind(l.selected).bind(&l.project_id).bind(on)
                .bind(&rx.division_code).bind(&rx.id).bind(l.line_no)
                .execute(&mut *tx).await?;
        }
        sqlx::query(USAGE_ADD_SQL).bind(&rx.division_code).bind(month_of(on)).bind(&rx.id).execute(&mut *tx).await?;
        audit_insert_in_tx!(tx, audit);
    });
    Ok(())
}

/// Net units of selected products an institution received under a project (receipts and transfers
/// in, less transfers out), by item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ReceivedRow {
    /// Project.
    pub project_id: String,
    /// Institution.
    pub institution_id: String,
    /// Catalogue code.
    pub item_code: String,
    /// Net units.
    pub units: i64,
    /// Net amount at purchase cost, fen.
    pub amount: i64,
}

/// Units received under projects by institutions of the counties under `prefix`, moved on days in
/// `[from, to]`.
///
/// # Errors
/// On a database error.
pub async fn received(db: &Db, prefix: &str, from: NaiveDate, to: NaiveDate) -> Result<Vec<ReceivedRow>, StoreError> {
    let like = format!("{prefix}%");
    let sql = "SELECT project_id, institution_id, item_code, CAST(SUM(quantity) AS BIGINT) AS units, CAST(SUM(quantity * unit_cost) AS BIGINT) AS amount FROM stock_moves \
               WHERE division_code LIKE $1 AND project_id IS NOT NULL AND kind IN ('receipt', 'transfer_in', 'transfer_out') \
               AND moved_on >= $2 AND moved_on <= $3 GROUP BY project_id, institution_id, item_code";
    Ok(dispatch!(db, p => sqlx::query_as::<_, ReceivedRow>(sql).bind(&like).bind(from).bind(to).fetch_all(p).await)?)
}

/// Units dispensed of one generic, selected or not, at one institution by one prescriber.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct UsageRow {
    /// Institution.
    pub institution_id: String,
    /// Prescriber (user id).
    pub prescriber: String,
    /// Generic name.
    pub generic_name: String,
    /// Dosage form.
    pub dosage_form: String,
    /// Selected products.
    pub selected: bool,
    /// Units.
    pub units: i64,
    /// Amount, fen.
    pub amount: i64,
}

/// Dispensed units of drugs by institution, prescriber, generic and selection, over `[from, to]`,
/// in the counties under `prefix`: the whole months inside the range from the monthly totals kept
/// at write time, the part-months at either end from the lines themselves.
///
/// # Errors
/// On a database error.
pub async fn usage(db: &Db, prefix: &str, from: NaiveDate, to: NaiveDate) -> Result<Vec<UsageRow>, StoreError> {
    if from > to {
        return Ok(Vec::new());
    }
    // The first whole month's first day, and the day after the last whole month.
    let whole_from = if from.day() == 1 { from } else { next_month(from) };
    let whole_to = month_of(to.succ_opt().unwrap_or(to));
    if whole_from >= whole_to {
        return usage_from_lines(db, prefix, from, to).await;
    }
    let like = format!("{prefix}%");
    let sql = "SELECT institution_id, prescriber, generic_name, dosage_form, selected, CAST(SUM(units) AS BIGINT) AS units, CAST(SUM(amount) AS BIGINT) AS amount \
               FROM usage_monthly WHERE division_code LIKE $1 AND month >= $2 AND month < $3 \
               GROUP BY institution_id, prescriber, generic_name, dosage_form, selected";
    let mut rows = dispatch!(db, p => sqlx::query_as::<_, UsageRow>(sql).bind(&like).bind(whole_from).bind(whole_to).fetch_all(p).await)?;
    if from < whole_from {
        rows.extend(usage_from_lines(db, prefix, from, whole_from.pred_opt().unwrap_or(from)).await?);
    }
    if whole_to <= to {
        rows.extend(usage_from_lines(db, prefix, whole_to, to).await?);
    }
    Ok(merge_usage(rows))
}

fn next_month(day: NaiveDate) -> NaiveDate {
    month_of(day).checked_add_months(chrono::Months::new(1)).unwrap_or(day)
}

/// Sums rows of the same institution, prescriber, generic and selection.
fn merge_usage(rows: Vec<UsageRow>) -> Vec<UsageRow> {
    let mut by: std::collections::BTreeMap<(String, String, String, String, bool), UsageRow> = Default::default();
    for r in rows {
        let key = (
            r.institution_id.clone(),
            r.prescriber.clone(),
            r.generic_name.clone(),
            r.dosage_form.clone(),
            r.selected,
        );
        match by.get_mut(&key) {
            Some(t) => {
                t.units += r.units;
                t.amount += r.amount;
            }
            None => {
                by.insert(key, r);
            }
        }
    }
    by.into_values().collect()
}

/// [`usage`] read from the dispensed lines themselves.
///
/// # Errors
/// On a database error.
pub async fn usage_from_lines(db: &Db, prefix: &str, from: NaiveDate, to: NaiveDate) -> Result<Vec<UsageRow>, StoreError> {
    let like = format!("{prefix}%");
    let sql = "SELECT institution_id, prescriber, generic_name, dosage_form, selected, CAST(SUM(quantity) AS BIGINT) AS units, CAST(SUM(COALESCE(amount, 0)) AS BIGINT) AS amount \
               FROM prescription_lines WHERE division_code LIKE $1 AND dispensed_on >= $2 AND dispensed_on <= $3 AND generic_name <> '' \
               GROUP BY institution_id, prescriber, generic_name, dosage_form, selected";
    let rows = dispatch!(db, p => sqlx::query_as::<_, UsageRow>(sql).bind(&like).bind(from).bind(to).fetch_all(p).await)?;
    Ok(merge_usage(rows))
}

/// The units a dispensed prescription took, by item and purchase cost (what its claim charges).
///
/// # Errors
/// On a database error.
pub async fn dispensed_costs(db: &Db, county: &str, rx_no: &str) -> Result<Vec<(String, i64, i64)>, StoreError> {
    // Summed here, not by a GROUP BY: with one, SQLite's planner walks the county's whole ledger
    // by the item index for the grouping order instead of the few moves of this reference.
    let sql = "SELECT item_code, unit_cost, quantity FROM stock_moves WHERE division_code = $1 AND ref_no = $2 AND kind = 'dispense'";
    let moves = dispatch!(db, p => sqlx::query_as::<_, (String, i64, i64)>(sql).bind(county).bind(rx_no).fetch_all(p).await)?;
    let mut by: std::collections::BTreeMap<(String, i64), i64> = Default::default();
    for (item, cost, quantity) in moves {
        *by.entry((item, cost)).or_default() -= quantity;
    }
    Ok(by.into_iter().map(|((item, cost), units)| (item, cost, units)).collect())
}

/// A column of a bulk insert: name and PostgreSQL type.
type Col = (&'static str, &'static str);

/// `INSERT … SELECT` from a JSON array of objects (one statement per chunk), on either backend.
fn bulk_sql(backend: crate::Backend, table: &str, cols: &[Col]) -> String {
    let names: Vec<&str> = cols.iter().map(|c| c.0).collect();
    match backend {
        crate::Backend::Sqlite => {
            let values: Vec<String> = cols.iter().map(|(c, _)| format!("value ->> '{c}'")).collect();
            format!(
                "INSERT INTO {table} ({}) SELECT {} FROM json_each($1) WHERE true",
                names.join(", "),
                values.join(", ")
            )
        }
        crate::Backend::Postgres => {
            let types: Vec<String> = cols.iter().map(|(c, t)| format!("{c} {t}")).collect();
            format!(
                "INSERT INTO {table} ({}) SELECT * FROM jsonb_to_recordset($1::jsonb) AS x({})",
                names.join(", "),
                types.join(", ")
            )
        }
    }
}

const RX_COLS: &[Col] = &[
    ("division_code", "text"),
    ("id", "text"),
    ("rx_no", "text"),
    ("institution_id", "text"),
    ("resident_division_code", "text"),
    ("resident_id", "text"),
    ("prescriber", "text"),
    ("prescriber_name", "text"),
    ("kind", "text"),
    ("diagnosis", "text"),
    ("days_supply", "bigint"),
    ("written_on", "date"),
    ("state", "text"),
    ("dispensed_on", "date"),
    ("dispensed_by", "text"),
    ("claim_key", "text"),
    ("created_at", "timestamptz"),
];
const RX_LINE_COLS: &[Col] = &[
    ("division_code", "text"),
    ("prescription_id", "text"),
    ("line_no", "bigint"),
    ("institution_id", "text"),
    ("prescriber", "text"),
    ("dispensed_on", "date"),
    ("item_code", "text"),
    ("generic_name", "text"),
    ("dosage_form", "text"),
    ("quantity", "bigint"),
    ("unit_price", "bigint"),
    ("amount", "bigint"),
    ("selected", "boolean"),
    ("project_id", "text"),
];
const LOT_COLS: &[Col] = &[
    ("division_code", "text"),
    ("id", "text"),
    ("institution_id", "text"),
    ("item_code", "text"),
    ("lot_no", "text"),
    ("expires_on", "date"),
    ("unit_cost", "bigint"),
    ("quantity", "bigint"),
    ("project_id", "text"),
];
const MOVE_COLS: &[Col] = &[
    ("division_code", "text"),
    ("id", "text"),
    ("institution_id", "text"),
    ("lot_id", "text"),
    ("item_code", "text"),
    ("kind", "text"),
    ("quantity", "bigint"),
    ("unit_cost", "bigint"),
    ("project_id", "text"),
    ("ref_no", "text"),
    ("moved_on", "date"),
    ("moved_by", "text"),
    ("created_at", "timestamptz"),
];
const ORDER_COLS: &[Col] = &[
    ("division_code", "text"),
    ("id", "text"),
    ("order_no", "text"),
    ("institution_id", "text"),
    ("supplier", "text"),
    ("ordered_on", "date"),
    ("ordered_by", "text"),
    ("created_at", "timestamptz"),
];
const ORDER_LINE_COLS: &[Col] = &[
    ("division_code", "text"),
    ("order_id", "text"),
    ("line_no", "bigint"),
    ("item_code", "text"),
    ("quantity", "bigint"),
    ("unit_price", "bigint"),
    ("project_id", "text"),
];
const DELIVERY_COLS: &[Col] = &[
    ("division_code", "text"),
    ("id", "text"),
    ("order_id", "text"),
    ("delivery_no", "text"),
    ("delivered_on", "date"),
    ("amount", "bigint"),
    ("accepted_on", "date"),
    ("accepted_by", "text"),
    ("due_on", "date"),
    ("paid_on", "date"),
    ("paid_by", "text"),
    ("created_at", "timestamptz"),
];
const DELIVERY_LINE_COLS: &[Col] = &[
    ("division_code", "text"),
    ("delivery_id", "text"),
    ("line_no", "bigint"),
    ("item_code", "text"),
    ("lot_no", "text"),
    ("expires_on", "date"),
    ("quantity", "bigint"),
    ("unit_price", "bigint"),
    ("project_id", "text"),
];

/// Rows generated elsewhere (the demo year, the benchmark) for the pharmacy tables, as JSON
/// objects keyed by column name; inserted in bulk, in dependency order, in one transaction.
#[derive(Debug, Default)]
pub struct BulkPharmacy {
    /// `purchase_orders` rows.
    pub orders: Vec<serde_json::Value>,
    /// `purchase_order_lines` rows.
    pub order_lines: Vec<serde_json::Value>,
    /// `deliveries` rows.
    pub deliveries: Vec<serde_json::Value>,
    /// `delivery_lines` rows.
    pub delivery_lines: Vec<serde_json::Value>,
    /// `stock_lots` rows (final quantities).
    pub lots: Vec<serde_json::Value>,
    /// `stock_moves` rows.
    pub moves: Vec<serde_json::Value>,
    /// `prescriptions` rows.
    pub prescriptions: Vec<serde_json::Value>,
    /// `prescription_lines` rows.
    pub prescription_lines: Vec<serde_json::Value>,
}

/// Inserts generated pharmacy rows in bulk (chunks of 5 000 per statement), one transaction.
///
/// # Errors
/// On a database error (nothing is stored then).
pub async fn insert_bulk(db: &Db, b: &BulkPharmacy) -> Result<(), StoreError> {
    let backend = db.backend();
    let tables: [(&str, &[Col], &Vec<serde_json::Value>); 8] = [
        ("purchase_orders", ORDER_COLS, &b.orders),
        ("purchase_order_lines", ORDER_LINE_COLS, &b.order_lines),
        ("deliveries", DELIVERY_COLS, &b.deliveries),
        ("delivery_lines", DELIVERY_LINE_COLS, &b.delivery_lines),
        ("stock_lots", LOT_COLS, &b.lots),
        ("stock_moves", MOVE_COLS, &b.moves),
        ("prescriptions", RX_COLS, &b.prescriptions),
        ("prescription_lines", RX_LINE_COLS, &b.prescription_lines),
    ];
    let usage = monthly_usage(&b.prescription_lines);
    let usage_sql = format!(
        "{} ON CONFLICT (division_code, month, institution_id, prescriber, generic_name, dosage_form, selected) \
         DO UPDATE SET units = usage_monthly.units + excluded.units, amount = usage_monthly.amount + excluded.amount",
        bulk_sql(backend, "usage_monthly", USAGE_COLS)
    );
    transaction!(db, tx => {
        for (table, cols, rows) in tables.into_iter().chain([("usage_monthly", USAGE_COLS, &usage)]) {
            let sql = if table == "usage_monthly" { usage_sql.clone() } else { bulk_sql(backend, table, cols) };
            for chunk in rows.chunks(5_000) {
                let json = serde_json::to_string(chunk).map_err(|e| StoreError::Database(sqlx::Error::Encode(Box::new(e))))?;
                sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(json).execute(&mut *tx).await?;
            }
        }
    });
    Ok(())
}

const USAGE_COLS: &[Col] = &[
    ("division_code", "text"),
    ("month", "date"),
    ("institution_id", "text"),
    ("prescriber", "text"),
    ("generic_name", "text"),
    ("dosage_form", "text"),
    ("selected", "boolean"),
    ("units", "bigint"),
    ("amount", "bigint"),
];

/// The `usage_monthly` additions of generated `prescription_lines` rows (dispensed drug lines
/// only), summed per key as the dispensing transaction adds them.
fn monthly_usage(lines: &[serde_json::Value]) -> Vec<serde_json::Value> {
    let mut by: std::collections::BTreeMap<[String; 6], (bool, i64, i64)> = Default::default();
    for l in lines {
        let text = |k: &str| l.get(k).and_then(serde_json::Value::as_str).unwrap_or_default().to_owned();
        let (Some(day), generic) = (l.get("dispensed_on").and_then(serde_json::Value::as_str), text("generic_name")) else {
            continue;
        };
        let Some(month) = day.get(..7) else { continue };
        if generic.is_empty() {
            continue;
        }
        let selected = l.get("selected").and_then(serde_json::Value::as_bool).unwrap_or(false);
        let key = [
            text("division_code"),
            format!("{month}-01"),
            text("institution_id"),
            text("prescriber"),
            generic,
            format!("{}{}", if selected { '1' } else { '0' }, text("dosage_form")),
        ];
        let t = by.entry(key).or_insert((selected, 0, 0));
        t.1 += l.get("quantity").and_then(serde_json::Value::as_i64).unwrap_or(0);
        t.2 += l.get("amount").and_then(serde_json::Value::as_i64).unwrap_or(0);
    }
    by.into_iter()
        .map(|([division_code, month, institution_id, prescriber, generic_name, form], (selected, units, amount))| {
            serde_json::json!({"division_code": division_code, "month": month, "institution_id": institution_id, "prescriber": prescriber,
                "generic_name": generic_name, "dosage_form": &form[1..], "selected": selected, "units": units, "amount": amount})
        })
        .collect()
}
