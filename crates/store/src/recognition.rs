//! Mutual recognition of results (检查检验结果互认): the pool's catalogue of recognised items, the
//! participating institutions, the cross-institution results index, orders with the doctor's
//! decision and the savings ledger.
//!
//! Results and orders live in the resident's county (`division_code`); the producing and the
//! ordering institution carry their own division code for their foreign keys.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::audit::AuditEntry;
use crate::registry::prefix_range;
use crate::{Backend, Db, StoreError, audit_insert_in_tx, dispatch, transaction};

/// An item of a pool's recognition catalogue (互认项目).
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ItemRow {
    /// The pool (prefecture code).
    pub division_code: String,
    /// Item code (the price catalogue's code).
    pub code: String,
    /// Name.
    pub name: String,
    /// Class code (`routine_lab`, `slow_lab`, `radiography`, `cross_sectional`, `ultrasound`).
    pub class: String,
    /// Validity window in days.
    pub window_days: i64,
    /// HR scope label (`昌吉州HR`).
    pub scope: String,
    /// Equivalent item codes, JSON array.
    pub equivalents: String,
    /// Price at county institutions, fen.
    pub price_county: i64,
    /// Price at township centres, fen.
    pub price_township: i64,
    /// Price at village clinics, fen.
    pub price_village: i64,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// An institution taking part in recognition (参与互认机构).
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ParticipantRow {
    /// The institution's county.
    pub division_code: String,
    /// Institution.
    pub institution_id: String,
    /// HR scopes, JSON array.
    pub scopes: String,
    /// Passed its quality control.
    pub qc_passed: bool,
    /// Date of the last quality-control assessment.
    pub qc_date: Option<NaiveDate>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A result of the cross-institution index (检查检验结果).
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ResultRow {
    /// The resident's county.
    pub division_code: String,
    /// Id.
    pub id: String,
    /// Resident.
    pub resident_id: String,
    /// Item code.
    pub item_code: String,
    /// Value or finding.
    pub value: String,
    /// Unit.
    pub unit: Option<String>,
    /// Reference range as printed.
    pub reference_range: Option<String>,
    /// `normal`, `high`, `low`, `abnormal` (none: not flagged).
    pub abnormal: Option<String>,
    /// The producing institution's county.
    pub producer_division_code: String,
    /// Producing institution.
    pub producer_institution_id: String,
    /// Reported at.
    pub reported_at: DateTime<Utc>,
    /// Report day (Asia/Shanghai), which the validity window counts.
    pub reported_on: NaiveDate,
    /// `csv`, `api` or `reading`.
    pub source: String,
    /// The producer's report number (the row id when none was given).
    pub report_no: String,
    /// Stored at.
    pub created_at: DateTime<Utc>,
}

/// An order of a test or examination with the doctor's decision (检查检验申请).
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct OrderRow {
    /// The resident's county.
    pub division_code: String,
    /// Id.
    pub id: String,
    /// Resident.
    pub resident_id: String,
    /// Item ordered.
    pub item_code: String,
    /// The ordering institution's county.
    pub ordering_division_code: String,
    /// Ordering institution.
    pub ordering_institution_id: String,
    /// Username of the ordering doctor.
    pub ordered_by: String,
    /// Name of the ordering doctor.
    pub doctor_name: String,
    /// Order day.
    pub ordered_on: NaiveDate,
    /// `recognised`, `repeated` or `ordered`.
    pub decision: String,
    /// The result recognised instead.
    pub recognised_result_id: Option<String>,
    /// Re-test reason code.
    pub retest_reason: Option<String>,
    /// Doctor's note.
    pub note: String,
    /// Recognisable results at order time.
    pub candidates: i64,
    /// Stored at.
    pub created_at: DateTime<Utc>,
}

/// One row of the savings ledger (互认节约台账).
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct SavingRow {
    /// The resident's county (as the order).
    pub division_code: String,
    /// Id.
    pub id: String,
    /// The order that recognised.
    pub order_id: String,
    /// The result recognised.
    pub result_id: String,
    /// Item avoided.
    pub item_code: String,
    /// The ordering institution's county.
    pub ordering_division_code: String,
    /// Ordering institution.
    pub ordering_institution_id: String,
    /// Price level applied (`county`, `township`, `village`).
    pub price_level: String,
    /// Saving in fen.
    pub amount: i64,
    /// Day booked.
    pub booked_on: NaiveDate,
    /// Stored at.
    pub created_at: DateTime<Utc>,
}

/// Recognitions, repeats and savings of one ordering institution on one day (for indicators).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DayCount {
    /// Ordering institution.
    pub institution_id: String,
    /// Day.
    pub ordered_on: NaiveDate,
    /// `recognised` or `repeated`.
    pub decision: String,
    /// Orders.
    pub orders: i64,
    /// Savings booked, fen.
    pub saved: i64,
}

const ITEM_COLUMNS: &str =
    "division_code, code, name, class, window_days, scope, equivalents, price_county, price_township, price_village, updated_at";
const PARTICIPANT_COLUMNS: &str = "division_code, institution_id, scopes, qc_passed, qc_date, updated_at";
const RESULT_COLUMNS: &str = "division_code, id, resident_id, item_code, value, unit, reference_range, abnormal, \
     producer_division_code, producer_institution_id, reported_at, reported_on, source, report_no, created_at";
const ORDER_COLUMNS: &str = "division_code, id, resident_id, item_code, ordering_division_code, ordering_institution_id, \
     ordered_by, doctor_name, ordered_on, decision, recognised_result_id, retest_reason, note, candidates, created_at";
const SAVING_COLUMNS: &str = "division_code, id, order_id, result_id, item_code, ordering_division_code, ordering_institution_id, \
     price_level, amount, booked_on, created_at";

/// SQL of one result insert; a report already stored (same producer and report number) is skipped.
pub const RESULT_INSERT_SQL: &str = "INSERT INTO results (division_code, id, resident_id, item_code, value, unit, reference_range, \
     abnormal, producer_division_code, producer_institution_id, reported_at, reported_on, source, report_no, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
     ON CONFLICT (division_code, producer_institution_id, report_no) DO NOTHING";

const RESULTS_BULK_SQLITE: &str = "INSERT INTO results (division_code, id, resident_id, item_code, value, unit, reference_range, \
     abnormal, producer_division_code, producer_institution_id, reported_at, reported_on, source, report_no, created_at) \
     SELECT value ->> 'division_code', value ->> 'id', value ->> 'resident_id', value ->> 'item_code', value ->> 'value', \
     value ->> 'unit', value ->> 'reference_range', value ->> 'abnormal', value ->> 'producer_division_code', \
     value ->> 'producer_institution_id', value ->> 'reported_at', value ->> 'reported_on', value ->> 'source', \
     value ->> 'report_no', value ->> 'created_at' FROM json_each($1) WHERE true \
     ON CONFLICT (division_code, producer_institution_id, report_no) DO NOTHING";
const RESULTS_BULK_POSTGRES: &str = "INSERT INTO results (division_code, id, resident_id, item_code, value, unit, reference_range, \
     abnormal, producer_division_code, producer_institution_id, reported_at, reported_on, source, report_no, created_at) \
     SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(division_code text, id text, resident_id text, item_code text, \
     value text, unit text, reference_range text, abnormal text, producer_division_code text, producer_institution_id text, \
     reported_at timestamptz, reported_on date, source text, report_no text, created_at timestamptz) \
     ON CONFLICT (division_code, producer_institution_id, report_no) DO NOTHING";
/// Results per bulk statement.
const BULK_ROWS: usize = 5_000;

/// Inserts one result with the transaction `$tx` of a [`transaction!`](crate::transaction) body,
/// skipping a report already stored; evaluates to the number of rows inserted (0 or 1). Lets
/// another module (a finalised reading) index its result in its own transaction.
#[macro_export]
macro_rules! result_insert_in_tx {
    ($tx:ident, $r:expr) => {{
        let r: &$crate::recognition::ResultRow = $r;
        sqlx::query($crate::recognition::RESULT_INSERT_SQL)
            .bind(&r.division_code)
            .bind(&r.id)
            .bind(&r.resident_id)
            .bind(&r.item_code)
            .bind(&r.value)
            .bind(&r.unit)
            .bind(&r.reference_range)
            .bind(&r.abnormal)
            .bind(&r.producer_division_code)
            .bind(&r.producer_institution_id)
            .bind(r.reported_at)
            .bind(r.reported_on)
            .bind(&r.source)
            .bind(&r.report_no)
            .bind(r.created_at)
            .execute(&mut *$tx)
            .await?
            .rows_affected()
    }};
}

/// `$first, $first+1, …` for `n` values.
fn params(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

fn encode_err(e: serde_json::Error) -> StoreError {
    StoreError::Database(sqlx::Error::Encode(Box::new(e)))
}

/// The insurance pool of a county.
///
/// # Errors
/// On a database error.
pub async fn pool_of(db: &Db, county: &str) -> Result<Option<String>, StoreError> {
    Ok(
        dispatch!(db, pool => sqlx::query_scalar::<_, String>("SELECT pool_code FROM counties WHERE division_code = $1")
        .bind(county).fetch_optional(pool).await)?,
    )
}

/// The catalogue of a pool, by code.
///
/// # Errors
/// On a database error.
pub async fn items(db: &Db, pool_code: &str) -> Result<Vec<ItemRow>, StoreError> {
    let sql = format!("SELECT {ITEM_COLUMNS} FROM recognition_items WHERE division_code = $1 ORDER BY code");
    Ok(dispatch!(db, pool => sqlx::query_as::<_, ItemRow>(sqlx::AssertSqlSafe(sql)).bind(pool_code).fetch_all(pool).await)?)
}

/// One item of a pool's catalogue by its own code.
///
/// # Errors
/// On a database error.
pub async fn item(db: &Db, pool_code: &str, code: &str) -> Result<Option<ItemRow>, StoreError> {
    let sql = format!("SELECT {ITEM_COLUMNS} FROM recognition_items WHERE division_code = $1 AND code = $2");
    Ok(dispatch!(db, pool => sqlx::query_as::<_, ItemRow>(sqlx::AssertSqlSafe(sql)).bind(pool_code).bind(code).fetch_optional(pool).await)?)
}

/// Inserts or replaces catalogue items with the audit entry, atomically.
///
/// # Errors
/// On a constraint or database error (nothing is written then).
pub async fn upsert_items(db: &Db, rows: &[ItemRow], audit: &AuditEntry) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO recognition_items ({ITEM_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (division_code, code) DO UPDATE SET name = excluded.name, class = excluded.class, \
         window_days = excluded.window_days, scope = excluded.scope, equivalents = excluded.equivalents, \
         price_county = excluded.price_county, price_township = excluded.price_township, \
         price_village = excluded.price_village, updated_at = excluded.updated_at"
    );
    transaction!(db, tx => {
        for r in rows {
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(&r.division_code).bind(&r.code).bind(&r.name).bind(&r.class).bind(r.window_days).bind(&r.scope)
                .bind(&r.equivalents).bind(r.price_county).bind(r.price_township).bind(r.price_village).bind(r.updated_at)
                .execute(&mut *tx).await?;
        }
        audit_insert_in_tx!(tx, audit);
    });
    Ok(())
}

/// Participants whose county lies under `division_prefix`.
///
/// # Errors
/// On a database error.
pub async fn participants(db: &Db, division_prefix: &str) -> Result<Vec<ParticipantRow>, StoreError> {
    let (lo, hi) = prefix_range(division_prefix);
    let sql = format!(
        "SELECT {PARTICIPANT_COLUMNS} FROM recognition_participants WHERE division_code >= $1 AND division_code < $2 \
         ORDER BY division_code, institution_id"
    );
    Ok(dispatch!(db, pool => sqlx::query_as::<_, ParticipantRow>(sqlx::AssertSqlSafe(sql)).bind(lo).bind(hi).fetch_all(pool).await)?)
}

/// The participant rows of these institutions (absent ones do not take part).
///
/// # Errors
/// On a database error.
pub async fn participants_of(db: &Db, institution_ids: &[String]) -> Result<Vec<ParticipantRow>, StoreError> {
    if institution_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {PARTICIPANT_COLUMNS} FROM recognition_participants WHERE institution_id IN ({})",
        params(1, institution_ids.len())
    );
    Ok(dispatch!(db, pool => {
        let mut q = sqlx::query_as::<_, ParticipantRow>(sqlx::AssertSqlSafe(sql));
        for id in institution_ids {
            q = q.bind(id);
        }
        q.fetch_all(pool).await
    })?)
}

/// Inserts or replaces participants with the audit entry, atomically.
///
/// # Errors
/// On a constraint or database error (nothing is written then).
pub async fn upsert_participants(db: &Db, rows: &[ParticipantRow], audit: &AuditEntry) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO recognition_participants ({PARTICIPANT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (division_code, institution_id) DO UPDATE SET scopes = excluded.scopes, \
         qc_passed = excluded.qc_passed, qc_date = excluded.qc_date, updated_at = excluded.updated_at"
    );
    transaction!(db, tx => {
        for r in rows {
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(&r.division_code).bind(&r.institution_id).bind(&r.scopes).bind(r.qc_passed).bind(r.qc_date).bind(r.updated_at)
                .execute(&mut *tx).await?;
        }
        audit_insert_in_tx!(tx, audit);
    });
    Ok(())
}

/// Stores one result with its audit entry, atomically. Returns whether it was new (a report
/// already stored is left as it is).
///
/// # Errors
/// On a constraint or database error (nothing is written then).
pub async fn insert_result(db: &Db, r: &ResultRow, audit: &AuditEntry) -> Result<bool, StoreError> {
    let n = transaction!(db, tx => {
        let n = result_insert_in_tx!(tx, r);
        if n == 1 {
            audit_insert_in_tx!(tx, audit);
        }
        n
    });
    Ok(n == 1)
}

/// Stores results and their audit entries in one transaction, skipping reports already stored.
/// Returns the number of results inserted.
///
/// # Errors
/// On a constraint or database error (nothing of this batch is written then).
pub async fn insert_results(db: &Db, rows: &[ResultRow], audits: &[AuditEntry]) -> Result<u64, StoreError> {
    let sql = match db.backend() {
        Backend::Sqlite => RESULTS_BULK_SQLITE,
        Backend::Postgres => RESULTS_BULK_POSTGRES,
    };
    let mut inserted = 0;
    transaction!(db, tx => {
        // Rows travel as one JSON document per statement (see `residents::insert_batch`).
        for chunk in rows.chunks(BULK_ROWS) {
            let json = serde_json::to_string(chunk).map_err(encode_err)?;
            inserted += sqlx::query(sql).bind(json).execute(&mut *tx).await?.rows_affected();
        }
        crate::audit_insert_many_in_tx!(tx, db.backend(), audits);
    });
    Ok(inserted)
}

/// The stored result of a producer's report number.
///
/// # Errors
/// On a database error.
pub async fn result_by_report(
    db: &Db,
    division: &str,
    producer_institution_id: &str,
    report_no: &str,
) -> Result<Option<ResultRow>, StoreError> {
    let sql = format!("SELECT {RESULT_COLUMNS} FROM results WHERE division_code = $1 AND producer_institution_id = $2 AND report_no = $3");
    Ok(dispatch!(db, pool => sqlx::query_as::<_, ResultRow>(sqlx::AssertSqlSafe(sql))
        .bind(division).bind(producer_institution_id).bind(report_no).fetch_optional(pool).await)?)
}

/// A resident's results, newest report first (at most `limit`).
///
/// # Errors
/// On a database error.
pub async fn results_of(db: &Db, division: &str, resident_id: &str, limit: i64) -> Result<Vec<ResultRow>, StoreError> {
    let sql = format!(
        "SELECT {RESULT_COLUMNS} FROM results WHERE division_code = $1 AND resident_id = $2 \
         ORDER BY reported_on DESC, reported_at DESC, id DESC LIMIT $3"
    );
    Ok(dispatch!(db, pool => sqlx::query_as::<_, ResultRow>(sqlx::AssertSqlSafe(sql))
        .bind(division).bind(resident_id).bind(limit).fetch_all(pool).await)?)
}

/// A resident's results of these item codes reported in `[from, to]` (the order-time check),
/// newest first, at most 100.
///
/// # Errors
/// On a database error.
pub async fn priors(
    db: &Db,
    division: &str,
    resident_id: &str,
    item_codes: &[String],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<ResultRow>, StoreError> {
    if item_codes.is_empty() {
        return Ok(Vec::new());
    }
    let n = item_codes.len();
    let sql = format!(
        "SELECT {RESULT_COLUMNS} FROM results WHERE division_code = $1 AND resident_id = $2 AND item_code IN ({}) \
         AND reported_on >= ${} AND reported_on <= ${} ORDER BY reported_on DESC, id DESC LIMIT 100",
        params(3, n),
        n + 3,
        n + 4
    );
    Ok(dispatch!(db, pool => {
        let mut q = sqlx::query_as::<_, ResultRow>(sqlx::AssertSqlSafe(sql)).bind(division).bind(resident_id);
        for c in item_codes {
            q = q.bind(c);
        }
        q.bind(from).bind(to).fetch_all(pool).await
    })?)
}

/// Binds the columns of an order, in `ORDER_COLUMNS` order.
macro_rules! bind_order {
    ($q:expr, $o:expr) => {
        $q.bind(&$o.division_code)
            .bind(&$o.id)
            .bind(&$o.resident_id)
            .bind(&$o.item_code)
            .bind(&$o.ordering_division_code)
            .bind(&$o.ordering_institution_id)
            .bind(&$o.ordered_by)
            .bind(&$o.doctor_name)
            .bind($o.ordered_on)
            .bind(&$o.decision)
            .bind(&$o.recognised_result_id)
            .bind(&$o.retest_reason)
            .bind(&$o.note)
            .bind($o.candidates)
            .bind($o.created_at)
    };
}

/// Binds the columns of a saving, in `SAVING_COLUMNS` order.
macro_rules! bind_saving {
    ($q:expr, $s:expr) => {
        $q.bind(&$s.division_code)
            .bind(&$s.id)
            .bind(&$s.order_id)
            .bind(&$s.result_id)
            .bind(&$s.item_code)
            .bind(&$s.ordering_division_code)
            .bind(&$s.ordering_institution_id)
            .bind(&$s.price_level)
            .bind($s.amount)
            .bind($s.booked_on)
            .bind($s.created_at)
    };
}

/// The INSERT statements of an order and of a saving.
fn order_inserts() -> (String, String) {
    (
        format!("INSERT INTO test_orders ({ORDER_COLUMNS}) VALUES ({})", params(1, 15)),
        format!("INSERT INTO recognition_savings ({SAVING_COLUMNS}) VALUES ({})", params(1, 11)),
    )
}

/// Stores an order, its saving (for a recognition) and the audit entry, atomically.
///
/// # Errors
/// On a constraint or database error (nothing is written then).
pub async fn insert_order(db: &Db, o: &OrderRow, saving: Option<&SavingRow>, audit: &AuditEntry) -> Result<(), StoreError> {
    let (order_sql, saving_sql) = order_inserts();
    transaction!(db, tx => {
        bind_order!(sqlx::query(sqlx::AssertSqlSafe(order_sql.clone())), o).execute(&mut *tx).await?;
        if let Some(s) = saving {
            bind_saving!(sqlx::query(sqlx::AssertSqlSafe(saving_sql.clone())), s).execute(&mut *tx).await?;
        }
        audit_insert_in_tx!(tx, audit);
    });
    Ok(())
}

/// Stores orders and their savings in one transaction (demo and benchmark seeding).
///
/// # Errors
/// On a constraint or database error (nothing is written then).
pub async fn insert_orders(db: &Db, orders: &[OrderRow], savings: &[SavingRow]) -> Result<(), StoreError> {
    let (order_sql, saving_sql) = order_inserts();
    transaction!(db, tx => {
        for o in orders {
            bind_order!(sqlx::query(sqlx::AssertSqlSafe(order_sql.clone())), o).execute(&mut *tx).await?;
        }
        for s in savings {
            bind_saving!(sqlx::query(sqlx::AssertSqlSafe(saving_sql.clone())), s).execute(&mut *tx).await?;
        }
    });
    Ok(())
}

/// A resident's orders, newest first (at most 100).
///
/// # Errors
/// On a database error.
pub async fn orders_of(db: &Db, division: &str, resident_id: &str) -> Result<Vec<OrderRow>, StoreError> {
    let sql = format!(
        "SELECT {ORDER_COLUMNS} FROM test_orders WHERE division_code = $1 AND resident_id = $2 \
         ORDER BY ordered_on DESC, created_at DESC LIMIT 100"
    );
    Ok(dispatch!(db, pool => sqlx::query_as::<_, OrderRow>(sqlx::AssertSqlSafe(sql))
        .bind(division).bind(resident_id).fetch_all(pool).await)?)
}

/// The saving booked by an order, if any.
///
/// # Errors
/// On a database error.
pub async fn saving_of(db: &Db, division: &str, order_id: &str) -> Result<Option<SavingRow>, StoreError> {
    let sql = format!("SELECT {SAVING_COLUMNS} FROM recognition_savings WHERE division_code = $1 AND order_id = $2");
    Ok(dispatch!(db, pool => sqlx::query_as::<_, SavingRow>(sqlx::AssertSqlSafe(sql))
        .bind(division).bind(order_id).fetch_optional(pool).await)?)
}

/// Recognitions and repeats (with their savings) per ordering institution and day, for orders of
/// institutions in counties under `division_prefix` on days in `[from, to)`.
///
/// # Errors
/// On a database error.
pub async fn day_counts(db: &Db, division_prefix: &str, from: NaiveDate, to: NaiveDate) -> Result<Vec<DayCount>, StoreError> {
    let (lo, hi) = prefix_range(division_prefix);
    let sql = "SELECT o.ordering_institution_id AS institution_id, o.ordered_on, o.decision, COUNT(*) AS orders, \
               CAST(COALESCE(SUM(s.amount), 0) AS BIGINT) AS saved \
               FROM test_orders o LEFT JOIN recognition_savings s ON s.division_code = o.division_code AND s.order_id = o.id \
               WHERE o.ordering_division_code >= $1 AND o.ordering_division_code < $2 AND o.ordered_on >= $3 AND o.ordered_on < $4 \
               AND o.decision IN ('recognised', 'repeated') \
               GROUP BY o.ordering_institution_id, o.ordered_on, o.decision";
    Ok(dispatch!(db, pool => sqlx::query_as::<_, DayCount>(sql).bind(&lo).bind(&hi).bind(from).bind(to).fetch_all(pool).await)?)
}
