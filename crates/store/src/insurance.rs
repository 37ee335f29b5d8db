//! Medical insurance tables (医保): policy versions, fund years, claims with accumulators,
//! and fraud flags. The engine's documents (policy, settlement, accumulators) are
//! stored as JSON; what reports aggregate (money, month, place of care) are columns.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::audit::AuditEntry;
use crate::{Backend, Db, StoreError, audit_insert_in_tx, dispatch, transaction};

/// A stored benefit policy version.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct PolicyRow {
    /// Pool code.
    pub division_code: String,
    /// Id.
    pub id: String,
    /// Policy year.
    pub year: i64,
    /// Version label.
    pub version: String,
    /// First day in force.
    pub effective_from: NaiveDate,
    /// The engine's `Policy`, JSON.
    pub body: String,
    /// Registered at.
    pub created_at: DateTime<Utc>,
}

/// Registers a policy version with its audit entry.
///
/// # Errors
/// `Database` with a unique violation when a version starts the same day or reuses a label.
pub async fn insert_policy(db: &Db, p: &PolicyRow, audit: &AuditEntry) -> Result<(), StoreError> {
    transaction!(db, tx => {
        sqlx::query("INSERT INTO insurance_policies (division_code, id, year, version, effective_from, body, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(&p.division_code).bind(&p.id).bind(p.year).bind(&p.version).bind(p.effective_from).bind(&p.body).bind(p.created_at)
            .execute(&mut *tx).await?;
        audit_insert_in_tx!(tx, audit);
    });
    Ok(())
}

/// The policy versions of a pool, oldest first.
///
/// # Errors
/// On a database error.
pub async fn policies(db: &Db, pool: &str) -> Result<Vec<PolicyRow>, StoreError> {
    let sql = "SELECT division_code, id, year, version, effective_from, body, created_at FROM insurance_policies \
               WHERE division_code = $1 ORDER BY effective_from";
    Ok(dispatch!(db, pool_ => sqlx::query_as::<_, PolicyRow>(sql).bind(pool).fetch_all(pool_).await)?)
}

/// Stores (or replaces) the fund year of a pool.
///
/// # Errors
/// On a database error (unknown pool).
pub async fn put_fund_year(db: &Db, pool: &str, year: i64, body: &str, audit: &AuditEntry) -> Result<(), StoreError> {
    transaction!(db, tx => {
        sqlx::query("INSERT INTO fund_years (division_code, year, body, updated_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (division_code, year) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at")
            .bind(pool).bind(year).bind(body).bind(Utc::now())
            .execute(&mut *tx).await?;
        audit_insert_in_tx!(tx, audit);
    });
    Ok(())
}

/// The fund year of a pool, JSON.
///
/// # Errors
/// On a database error.
pub async fn fund_year(db: &Db, pool: &str, year: i64) -> Result<Option<String>, StoreError> {
    Ok(
        dispatch!(db, p => sqlx::query_scalar::<_, String>("SELECT body FROM fund_years WHERE division_code = $1 AND year = $2")
            .bind(pool).bind(year).fetch_optional(p).await)?,
    )
}

/// A claim row.
#[derive(Clone, Debug, Serialize, serde::Deserialize, sqlx::FromRow)]
pub struct ClaimRow {
    /// Insured person's county.
    pub division_code: String,
    /// Id.
    pub id: String,
    /// Claim key (`mdtrt_id`), unique per county.
    pub claim_key: String,
    /// Resident.
    pub resident_id: String,
    /// Pool.
    pub pool_code: String,
    /// Policy version used (none for a rejection before any policy applied).
    pub policy_id: Option<String>,
    /// County of the institution of care.
    pub institution_division_code: Option<String>,
    /// Institution of care (registry).
    pub institution_id: Option<String>,
    /// Hospital outside the pool's registry.
    pub outside_name: Option<String>,
    /// Treated inside the insured person's county.
    pub in_county: bool,
    /// `outpatient`, `chronic`, `inpatient`.
    pub med_type: String,
    /// `village`, `township`, `county`, `prefecture`, `out_of_area`.
    pub care_level: String,
    /// Date of service (admission for inpatients).
    pub service_date: NaiveDate,
    /// Discharge date (inpatients).
    pub discharge_date: Option<NaiveDate>,
    /// Settlement year: of the service, of the discharge for inpatients (the settlement run's
    /// period). The person's accumulators are those of the admission year, see
    /// [`AccumulatorWrite`].
    pub year: i64,
    /// Month of service (discharge month for inpatients).
    pub month: i64,
    /// `settled`, `rejected`, `reversed`.
    pub status: String,
    /// Rejection code.
    pub rejection: Option<String>,
    /// Total (`medfee_sumamt`).
    pub medfee_sumamt: i64,
    /// Pooled fund (`hifp_pay`).
    pub hifp_pay: i64,
    /// Critical illness (`hifmi_pay`).
    pub hifmi_pay: i64,
    /// Medical assistance (`maf_pay`).
    pub maf_pay: i64,
    /// Personal account (`acct_pay`).
    pub acct_pay: i64,
    /// Cash (`psn_cash_pay`).
    pub psn_cash_pay: i64,
    /// All funds (`fund_pay_sumamt`).
    pub fund_pay_sumamt: i64,
    /// The grouper's input line for inpatient claims (JSON).
    pub drg_input: Option<String>,
    /// Itemised charges, JSON.
    pub charges: String,
    /// The full settlement with its trace, JSON (absent on bulk-generated demo claims, whose
    /// settlement the engine recomputes on demand).
    pub settlement: Option<String>,
    /// Settled at.
    pub settled_at: DateTime<Utc>,
}

const CLAIM_COLUMNS: &str = "division_code, id, claim_key, resident_id, pool_code, policy_id, institution_division_code, institution_id, \
     outside_name, in_county, med_type, care_level, service_date, discharge_date, year, month, status, rejection, medfee_sumamt, \
     hifp_pay, hifmi_pay, maf_pay, acct_pay, psn_cash_pay, fund_pay_sumamt, drg_input, charges, settlement, settled_at";

macro_rules! bind_claim {
    ($q:expr, $c:expr) => {
        $q.bind(&$c.division_code)
            .bind(&$c.id)
            .bind(&$c.claim_key)
            .bind(&$c.resident_id)
            .bind(&$c.pool_code)
            .bind(&$c.policy_id)
            .bind(&$c.institution_division_code)
            .bind(&$c.institution_id)
            .bind(&$c.outside_name)
            .bind($c.in_county)
            .bind(&$c.med_type)
            .bind(&$c.care_level)
            .bind($c.service_date)
            .bind($c.discharge_date)
            .bind($c.year)
            .bind($c.month)
            .bind(&$c.status)
            .bind(&$c.rejection)
            .bind($c.medfee_sumamt)
            .bind($c.hifp_pay)
            .bind($c.hifmi_pay)
            .bind($c.maf_pay)
            .bind($c.acct_pay)
            .bind($c.psn_cash_pay)
            .bind($c.fund_pay_sumamt)
            .bind(&$c.drg_input)
            .bind(&$c.charges)
            .bind(&$c.settlement)
            .bind($c.settled_at)
    };
}

fn claim_insert_sql() -> String {
    let params: Vec<String> = (1..=29).map(|i| format!("${i}")).collect();
    format!("INSERT INTO claims ({CLAIM_COLUMNS}) VALUES ({})", params.join(", "))
}

/// The accumulators of a person and year: `(body, version)`.
///
/// # Errors
/// On a database error.
pub async fn accumulators(db: &Db, division: &str, resident: &str, year: i64) -> Result<Option<(String, i64)>, StoreError> {
    Ok(dispatch!(db, p => sqlx::query_as::<_, (String, i64)>(
        "SELECT body, version FROM accumulators WHERE division_code = $1 AND resident_id = $2 AND year = $3")
        .bind(division).bind(resident).bind(year).fetch_optional(p).await)?)
}

/// The accumulators a settlement writes: the accumulator year (the policy year of the admission,
/// which for a stay across New Year is not the claim's settlement `year`), the new body and the
/// version read (`None`: no row yet).
#[derive(Clone, Copy, Debug)]
pub struct AccumulatorWrite<'a> {
    /// Accumulator year.
    pub year: i64,
    /// The engine's `Accumulators` after the settlement, JSON.
    pub body: &'a str,
    /// Version read before settling (`None`: the person had no row for the year).
    pub expected_version: Option<i64>,
}

/// Writes a claim and, for a settled one, the person's new accumulators, if they are still at
/// the version read — atomically, with the audit entry.
///
/// # Errors
/// `VersionConflict` when another settlement for the person won the race; a unique violation for a
/// duplicate claim key; a database error. Nothing is written then.
pub async fn save_claim(
    db: &Db,
    c: &ClaimRow,
    accumulators: Option<AccumulatorWrite<'_>>,
    prescriptions: &[(String, String)],
    audit: &AuditEntry,
) -> Result<(), StoreError> {
    let sql = claim_insert_sql();
    let ok = transaction!(db, tx => {
        let mut ok = true;
        if let Some(w) = accumulators {
            let n = match w.expected_version {
                Some(v) => sqlx::query("UPDATE accumulators SET body = $1, version = version + 1 \
                                        WHERE division_code = $2 AND resident_id = $3 AND year = $4 AND version = $5")
                    .bind(w.body).bind(&c.division_code).bind(&c.resident_id).bind(w.year).bind(v)
                    .execute(&mut *tx).await?.rows_affected(),
                None => sqlx::query("INSERT INTO accumulators (division_code, resident_id, year, body) VALUES ($1, $2, $3, $4) \
                                     ON CONFLICT (division_code, resident_id, year) DO NOTHING")
                    .bind(&c.division_code).bind(&c.resident_id).bind(w.year).bind(w.body)
                    .execute(&mut *tx).await?.rows_affected(),
            };
            ok = n == 1;
        }
        if ok {
            bind_claim!(sqlx::query(sqlx::AssertSqlSafe(sql.clone())), c).execute(&mut *tx).await?;
            // The dispensed prescriptions charged on the claim are linked once.
            for (county, id) in prescriptions {
                let n = sqlx::query("UPDATE prescriptions SET claim_key = $1 WHERE division_code = $2 AND id = $3 \
                                     AND state = 'dispensed' AND claim_key IS NULL")
                    .bind(&c.claim_key).bind(county).bind(id).execute(&mut *tx).await?.rows_affected();
                if n != 1 {
                    return Err(StoreError::Constraint {
                        kind: crate::ConstraintKind::Check,
                        constraint: "prescriptions.claimed_once".into(),
                        columns: vec!["claim_key".into()],
                    });
                }
            }
            audit_insert_in_tx!(tx, audit);
        }
        ok
    });
    if ok {
        Ok(())
    } else {
        Err(StoreError::VersionConflict { current: 0 })
    }
}

/// Marks a settled claim reversed (冲正) and writes the person's restored accumulators of the
/// accumulator year `accumulators.year`, atomically.
///
/// # Errors
/// `VersionConflict` when the claim is no longer settled or the accumulators moved meanwhile.
pub async fn reverse_claim(db: &Db, c: &ClaimRow, accumulators: AccumulatorWrite<'_>, audit: &AuditEntry) -> Result<(), StoreError> {
    let expected = accumulators.expected_version.ok_or(StoreError::VersionConflict { current: 0 })?;
    transaction!(db, tx => {
        let a = sqlx::query("UPDATE claims SET status = 'reversed' WHERE division_code = $1 AND id = $2 AND status = 'settled'")
            .bind(&c.division_code).bind(&c.id).execute(&mut *tx).await?.rows_affected();
        let b = if a == 1 {
            sqlx::query("UPDATE accumulators SET body = $1, version = version + 1 \
                         WHERE division_code = $2 AND resident_id = $3 AND year = $4 AND version = $5")
                .bind(accumulators.body).bind(&c.division_code).bind(&c.resident_id).bind(accumulators.year).bind(expected)
                .execute(&mut *tx).await?.rows_affected()
        } else {
            0
        };
        if b != 1 {
            // Dropping the transaction rolls the claim's status back.
            return Err(StoreError::VersionConflict { current: 0 });
        }
        // Its prescriptions may be charged again on the claim that replaces it.
        sqlx::query("UPDATE prescriptions SET claim_key = NULL WHERE resident_division_code = $1 AND resident_id = $2 AND claim_key = $3")
            .bind(&c.division_code).bind(&c.resident_id).bind(&c.claim_key).execute(&mut *tx).await?;
        audit_insert_in_tx!(tx, audit);
    });
    Ok(())
}

/// A claim by id.
///
/// # Errors
/// On a database error.
pub async fn claim(db: &Db, id: &str) -> Result<Option<ClaimRow>, StoreError> {
    let sql = format!("SELECT {CLAIM_COLUMNS} FROM claims WHERE id = $1");
    Ok(dispatch!(db, p => sqlx::query_as::<_, ClaimRow>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(p).await)?)
}

/// The claims of a resident, newest first (at most `limit`).
///
/// # Errors
/// On a database error.
pub async fn claims_of(db: &Db, division: &str, resident: &str, limit: i64) -> Result<Vec<ClaimRow>, StoreError> {
    let sql =
        format!("SELECT {CLAIM_COLUMNS} FROM claims WHERE division_code = $1 AND resident_id = $2 ORDER BY service_date DESC LIMIT $3");
    Ok(
        dispatch!(db, p => sqlx::query_as::<_, ClaimRow>(sqlx::AssertSqlSafe(sql)).bind(division).bind(resident).bind(limit).fetch_all(p).await)?,
    )
}

const BULK_CLAIMS_SQLITE: &str = "INSERT INTO claims (division_code, id, claim_key, resident_id, pool_code, policy_id, \
     institution_division_code, institution_id, outside_name, in_county, med_type, care_level, service_date, discharge_date, year, \
     month, status, rejection, medfee_sumamt, hifp_pay, hifmi_pay, maf_pay, acct_pay, psn_cash_pay, fund_pay_sumamt, drg_input, \
     charges, settlement, settled_at) \
     SELECT value ->> 'division_code', value ->> 'id', value ->> 'claim_key', value ->> 'resident_id', value ->> 'pool_code', \
     value ->> 'policy_id', value ->> 'institution_division_code', value ->> 'institution_id', value ->> 'outside_name', \
     value ->> 'in_county', value ->> 'med_type', value ->> 'care_level', value ->> 'service_date', value ->> 'discharge_date', \
     value ->> 'year', value ->> 'month', value ->> 'status', value ->> 'rejection', value ->> 'medfee_sumamt', value ->> 'hifp_pay', \
     value ->> 'hifmi_pay', value ->> 'maf_pay', value ->> 'acct_pay', value ->> 'psn_cash_pay', value ->> 'fund_pay_sumamt', \
     value ->> 'drg_input', value ->> 'charges', value ->> 'settlement', value ->> 'settled_at' FROM json_each($1) WHERE true \
     ON CONFLICT (division_code, claim_key) WHERE status <> 'reversed' DO NOTHING";
const BULK_CLAIMS_POSTGRES: &str = "INSERT INTO claims (division_code, id, claim_key, resident_id, pool_code, policy_id, \
     institution_division_code, institution_id, outside_name, in_county, med_type, care_level, service_date, discharge_date, year, \
     month, status, rejection, medfee_sumamt, hifp_pay, hifmi_pay, maf_pay, acct_pay, psn_cash_pay, fund_pay_sumamt, drg_input, \
     charges, settlement, settled_at) \
     SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(division_code text, id text, claim_key text, resident_id text, pool_code text, \
     policy_id text, institution_division_code text, institution_id text, outside_name text, in_county boolean, med_type text, \
     care_level text, service_date date, discharge_date date, year bigint, month bigint, status text, rejection text, \
     medfee_sumamt bigint, hifp_pay bigint, hifmi_pay bigint, maf_pay bigint, acct_pay bigint, psn_cash_pay bigint, \
     fund_pay_sumamt bigint, drg_input text, charges text, settlement text, settled_at timestamptz) \
     ON CONFLICT (division_code, claim_key) WHERE status <> 'reversed' DO NOTHING";

/// Inserts generated claims and their final accumulators in one transaction (the demo year);
/// claims already present (same key) are skipped. Returns the claims inserted.
///
/// # Errors
/// On a database error (nothing is written then).
pub async fn insert_claims_bulk(db: &Db, claims: &[ClaimRow], accumulators: &[(String, String, i64, String)]) -> Result<u64, StoreError> {
    let sql = match db.backend() {
        Backend::Sqlite => BULK_CLAIMS_SQLITE,
        Backend::Postgres => BULK_CLAIMS_POSTGRES,
    };
    let mut inserted = 0;
    transaction!(db, tx => {
        for chunk in claims.chunks(5_000) {
            let json = serde_json::to_string(chunk).map_err(|e| StoreError::Database(sqlx::Error::Encode(Box::new(e))))?;
            inserted += sqlx::query(sql).bind(json).execute(&mut *tx).await?.rows_affected();
        }
        for (division, resident, year, body) in accumulators {
            sqlx::query("INSERT INTO accumulators (division_code, resident_id, year, body) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (division_code, resident_id, year) DO UPDATE SET body = excluded.body, version = accumulators.version + 1")
                .bind(division).bind(resident).bind(year).bind(body).execute(&mut *tx).await?;
        }
    });
    Ok(inserted)
}

/// Spending of one county's insured in one month, inside or outside the county.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct MonthSpend {
    /// Insured person's county.
    pub division_code: String,
    /// Month.
    pub month: i64,
    /// Treated inside the county.
    pub in_county: bool,
    /// `outpatient`, `chronic`, `inpatient`.
    pub med_type: String,
    /// Settled claims.
    pub claims: i64,
    /// Σ medfee_sumamt.
    pub medfee: i64,
    /// Σ hifp_pay (charged to the package).
    pub hifp: i64,
    /// Σ fund_pay_sumamt.
    pub fund: i64,
}

/// Settled spending of a pool's insured in a year (up to `through_month`), by county, month, place
/// and medical type.
///
/// # Errors
/// On a database error.
pub async fn spending(db: &Db, pool: &str, year: i64, through_month: i64) -> Result<Vec<MonthSpend>, StoreError> {
    let (lo, hi) = crate::registry::prefix_range(&pool[..pool.len().min(4)]);
    let sql = "SELECT division_code, month, in_county, med_type, COUNT(*) AS claims, CAST(COALESCE(SUM(medfee_sumamt), 0) AS BIGINT) AS medfee, \
               CAST(COALESCE(SUM(hifp_pay), 0) AS BIGINT) AS hifp, CAST(COALESCE(SUM(fund_pay_sumamt), 0) AS BIGINT) AS fund FROM claims \
               WHERE division_code >= $1 AND division_code < $2 AND year = $3 AND month <= $4 AND status = 'settled' \
               GROUP BY division_code, month, in_county, med_type ORDER BY division_code, month, in_county, med_type";
    Ok(dispatch!(db, p => sqlx::query_as::<_, MonthSpend>(sql).bind(&lo).bind(&hi).bind(year).bind(through_month).fetch_all(p).await)?)
}

/// An inpatient case for the point method and the fraud checks.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct InpatientCase {
    /// Insured person's county.
    pub division_code: String,
    /// Claim id.
    pub id: String,
    /// Resident.
    pub resident_id: String,
    /// Institution (none outside the registry).
    pub institution_id: Option<String>,
    /// Inside the insured person's county.
    pub in_county: bool,
    /// Admission.
    pub service_date: NaiveDate,
    /// Discharge.
    pub discharge_date: Option<NaiveDate>,
    /// Month.
    pub month: i64,
    /// Total cost.
    pub medfee_sumamt: i64,
    /// Pooled fund.
    pub hifp_pay: i64,
    /// Critical-illness insurance (大病保险).
    pub hifmi_pay: i64,
    /// Medical assistance (医疗救助).
    pub maf_pay: i64,
    /// The grouper's input (JSON).
    pub drg_input: Option<String>,
    /// Charges (JSON).
    pub charges: String,
}

/// The settled inpatient cases of a pool's insured in a year (up to `through_month`).
///
/// # Errors
/// On a database error.
pub async fn inpatient_cases(db: &Db, pool: &str, year: i64, through_month: i64) -> Result<Vec<InpatientCase>, StoreError> {
    let (lo, hi) = crate::registry::prefix_range(&pool[..pool.len().min(4)]);
    let sql = "SELECT division_code, id, resident_id, institution_id, in_county, service_date, discharge_date, month, medfee_sumamt, \
               hifp_pay, hifmi_pay, maf_pay, drg_input, charges FROM claims WHERE division_code >= $1 AND division_code < $2 AND year = $3 AND month <= $4 \
               AND status = 'settled' AND med_type = 'inpatient' ORDER BY division_code, id";
    Ok(dispatch!(db, p => sqlx::query_as::<_, InpatientCase>(sql).bind(&lo).bind(&hi).bind(year).bind(through_month).fetch_all(p).await)?)
}

/// Outpatient visits and dispensing of a pool's insured that fall inside one of their inpatient
/// stays of `year` (the only ones the bed-hanging check needs): `(resident, date, institution)`.
/// Driven from the stays through the per-resident index, so it reads a few rows per stay rather
/// than every outpatient claim of the year.
///
/// # Errors
/// On a database error.
pub async fn outpatient_days(db: &Db, pool: &str, year: i64) -> Result<Vec<(String, NaiveDate, Option<String>)>, StoreError> {
    let (lo, hi) = crate::registry::prefix_range(&pool[..pool.len().min(4)]);
    let sql = "SELECT DISTINCT o.resident_id, o.service_date, o.institution_id FROM claims i \
               JOIN claims o ON o.division_code = i.division_code AND o.resident_id = i.resident_id \
               AND o.service_date > i.service_date AND o.service_date < i.discharge_date \
               WHERE i.division_code >= $1 AND i.division_code < $2 AND i.year = $3 AND i.status = 'settled' \
               AND i.med_type = 'inpatient' AND o.status = 'settled' AND o.med_type <> 'inpatient'";
    Ok(dispatch!(db, p => sqlx::query_as::<_, (String, NaiveDate, Option<String>)>(sql).bind(&lo).bind(&hi).bind(year).fetch_all(p).await)?)
}

/// Enrollees and enrollees aged 65 or more at the start of `year`, per county of a pool.
///
/// # Errors
/// On a database error.
pub async fn enrollees(db: &Db, pool: &str, year: i64) -> Result<Vec<(String, i64, i64)>, StoreError> {
    let (lo, hi) = crate::registry::prefix_range(&pool[..pool.len().min(4)]);
    let born_by = NaiveDate::from_ymd_opt(i32::try_from(year - 65).unwrap_or(1900), 1, 1).unwrap_or_default();
    let sql = "SELECT e.division_code, COUNT(DISTINCT e.resident_id), COUNT(DISTINCT CASE WHEN r.birth_date <= $4 THEN e.resident_id END) \
               FROM enrolments e JOIN residents r ON r.division_code = e.division_code AND r.id = e.resident_id \
               WHERE e.division_code >= $1 AND e.division_code < $2 AND e.year = $3 AND e.status = 'active' AND r.status = 'active' \
               GROUP BY e.division_code ORDER BY e.division_code";
    Ok(dispatch!(db, p => sqlx::query_as::<_, (String, i64, i64)>(sql).bind(&lo).bind(&hi).bind(year).bind(born_by).fetch_all(p).await)?)
}

/// A fraud or misuse flag.
#[derive(Clone, Debug, Serialize, serde::Deserialize, sqlx::FromRow)]
pub struct FlagRow {
    /// Insured person's county.
    pub division_code: String,
    /// Id.
    pub id: String,
    /// Year of the run.
    pub year: i64,
    /// `bed_hanging`, `split_admission`, `low_standard_admission`, `duplicate_charge`.
    pub kind: String,
    /// The claim flagged.
    pub claim_id: String,
    /// Resident.
    pub resident_id: String,
    /// Amount at stake (fen).
    pub amount: i64,
    /// Evidence lines, JSON.
    pub evidence: String,
    /// `open`, `confirmed`, `dismissed`, `needs_more_info`.
    pub status: String,
    /// Reviewer's note.
    pub review_note: Option<String>,
    /// Reviewer (username).
    pub reviewed_by: Option<String>,
    /// Reviewed at.
    pub reviewed_at: Option<DateTime<Utc>>,
    /// Flagged at.
    pub created_at: DateTime<Utc>,
}

const FLAG_COLUMNS: &str =
    "division_code, id, year, kind, claim_id, resident_id, amount, evidence, status, review_note, reviewed_by, reviewed_at, created_at";

/// Adds flags not raised before (same kind and claim); reviewed flags are never touched. Returns
/// how many were new.
///
/// # Errors
/// On a database error.
pub async fn add_flags(db: &Db, flags: &[FlagRow]) -> Result<u64, StoreError> {
    let params: Vec<String> = (1..=13).map(|i| format!("${i}")).collect();
    let sql = format!(
        "INSERT INTO fraud_flags ({FLAG_COLUMNS}) VALUES ({}) ON CONFLICT (division_code, kind, claim_id) DO NOTHING",
        params.join(", ")
    );
    let mut n = 0;
    transaction!(db, tx => {
        for f in flags {
            n += sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(&f.division_code).bind(&f.id).bind(f.year).bind(&f.kind).bind(&f.claim_id).bind(&f.resident_id)
                .bind(f.amount).bind(&f.evidence).bind(&f.status).bind(&f.review_note).bind(&f.reviewed_by).bind(f.reviewed_at)
                .bind(f.created_at).execute(&mut *tx).await?.rows_affected();
        }
    });
    Ok(n)
}

/// The filters and order of a flag list.
#[derive(Clone, Debug, Default)]
pub struct FlagQuery {
    /// Only this status.
    pub status: Option<String>,
    /// Only this kind.
    pub kind: Option<String>,
    /// Largest amount first.
    pub by_amount: bool,
}

/// One page of the flags of an area and year, optionally of one status, newest first.
///
/// # Errors
/// On a database error.
pub async fn flags(db: &Db, prefix: &str, year: i64, q: &FlagQuery, page: crate::Page) -> Result<crate::Paged<FlagRow>, StoreError> {
    let (lo, hi) = crate::registry::prefix_range(prefix);
    const WHERE: &str =
        "WHERE division_code >= $1 AND division_code < $2 AND year = $3 AND ($4 = '' OR status = $4) AND ($5 = '' OR kind = $5)";
    let order = if q.by_amount {
        "amount DESC, kind, id"
    } else {
        "kind, amount DESC, id"
    };
    let count = format!("SELECT COUNT(*) FROM fraud_flags {WHERE}");
    let sql = format!("SELECT {FLAG_COLUMNS} FROM fraud_flags {WHERE} ORDER BY {order} LIMIT $6 OFFSET $7");
    let status = q.status.as_deref().unwrap_or("");
    let kind = q.kind.as_deref().unwrap_or("");
    let (total, items) = dispatch!(db, p => {
        let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count)).bind(&lo).bind(&hi).bind(year).bind(status)
            .bind(kind).fetch_one(p).await?;
        let items = sqlx::query_as::<_, FlagRow>(sqlx::AssertSqlSafe(sql)).bind(&lo).bind(&hi).bind(year)
            .bind(status).bind(kind).bind(page.limit).bind(page.offset).fetch_all(p).await?;
        Ok::<_, sqlx::Error>((total, items))
    })?;
    Ok(crate::Paged::new(items, total, page))
}

/// Records a review outcome on an open flag (or one waiting for information), with its audit entry.
///
/// # Errors
/// `VersionConflict` when the flag was already closed; a database error.
pub async fn review_flag(db: &Db, id: &str, status: &str, note: &str, reviewer: &str, audit: &AuditEntry) -> Result<(), StoreError> {
    let ok = transaction!(db, tx => {
        let n = sqlx::query("UPDATE fraud_flags SET status = $1, review_note = $2, reviewed_by = $3, reviewed_at = $4 \
                             WHERE id = $5 AND status IN ('open', 'needs_more_info')")
            .bind(status).bind(note).bind(reviewer).bind(Utc::now()).bind(id).execute(&mut *tx).await?.rows_affected();
        if n == 1 {
            audit_insert_in_tx!(tx, audit);
        }
        n == 1
    });
    if ok {
        Ok(())
    } else {
        Err(StoreError::VersionConflict { current: 0 })
    }
}

/// One flag by id.
///
/// # Errors
/// On a database error.
pub async fn flag(db: &Db, id: &str) -> Result<Option<FlagRow>, StoreError> {
    let sql = format!("SELECT {FLAG_COLUMNS} FROM fraud_flags WHERE id = $1");
    Ok(dispatch!(db, p => sqlx::query_as::<_, FlagRow>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(p).await)?)
}

/// Enrollees of a year per township (the first nine digits of their village code).
///
/// # Errors
/// On a database error.
pub async fn enrollees_by_township(db: &Db, pool: &str, year: i64) -> Result<Vec<(String, i64)>, StoreError> {
    let (lo, hi) = crate::registry::prefix_range(&pool[..pool.len().min(4)]);
    let sql = "SELECT substr(r.village_code, 1, 9), COUNT(DISTINCT e.resident_id) FROM enrolments e \
               JOIN residents r ON r.division_code = e.division_code AND r.id = e.resident_id \
               WHERE e.division_code >= $1 AND e.division_code < $2 AND e.year = $3 AND e.status = 'active' AND r.status = 'active' \
               GROUP BY substr(r.village_code, 1, 9)";
    Ok(dispatch!(db, p => sqlx::query_as::<_, (String, i64)>(sql).bind(&lo).bind(&hi).bind(year).fetch_all(p).await)?)
}

/// Settled claims of one place and kind.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct VisitCount {
    /// The institution (none for claims from outside the registry).
    pub institution_id: Option<String>,
    /// Inside the insured person's county.
    pub in_county: bool,
    /// Level of care.
    pub care_level: String,
    /// Medical type.
    pub med_type: String,
    /// Claims.
    pub count: i64,
}

/// Settled claims of an area's insured in `[from, to)` by institution, place and kind.
///
/// # Errors
/// On a database error.
pub async fn visit_counts(db: &Db, prefix: &str, from: NaiveDate, to: NaiveDate) -> Result<Vec<VisitCount>, StoreError> {
    let (lo, hi) = crate::registry::prefix_range(prefix);
    let sql = "SELECT institution_id, in_county, care_level, med_type, COUNT(*) AS count FROM claims WHERE division_code >= $1 AND division_code < $2 \
               AND service_date >= $3 AND service_date < $4 AND status = 'settled' GROUP BY institution_id, in_county, care_level, med_type";
    Ok(dispatch!(db, p => sqlx::query_as::<_, VisitCount>(sql).bind(&lo).bind(&hi).bind(from).bind(to).fetch_all(p).await)?)
}

/// A special-case review (特病单议) of an inpatient claim: the points the bureau agreed.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct SpecialReviewRow {
    /// Insured person's county (the claim's).
    pub division_code: String,
    /// The claim reviewed.
    pub claim_id: String,
    /// Agreed points, ten-thousandths of a point.
    pub points: i64,
    /// Why the case was reviewed.
    pub reason: String,
    /// Reviewer (username).
    pub reviewed_by: String,
    /// Decided at.
    pub reviewed_at: DateTime<Utc>,
}

/// Records (or replaces) the special-case review of a claim, with its audit entry, atomically.
///
/// # Errors
/// A foreign-key violation for an unknown claim; a database error.
pub async fn put_special_review(db: &Db, r: &SpecialReviewRow, audit: &AuditEntry) -> Result<(), StoreError> {
    transaction!(db, tx => {
        sqlx::query("INSERT INTO special_reviews (division_code, claim_id, points, reason, reviewed_by, reviewed_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (division_code, claim_id) DO UPDATE SET points = excluded.points, \
                     reason = excluded.reason, reviewed_by = excluded.reviewed_by, reviewed_at = excluded.reviewed_at")
            .bind(&r.division_code).bind(&r.claim_id).bind(r.points).bind(&r.reason).bind(&r.reviewed_by).bind(r.reviewed_at)
            .execute(&mut *tx).await?;
        audit_insert_in_tx!(tx, audit);
    });
    Ok(())
}

/// The special-case review of a claim.
///
/// # Errors
/// On a database error.
pub async fn special_review(db: &Db, division: &str, claim_id: &str) -> Result<Option<SpecialReviewRow>, StoreError> {
    let sql = "SELECT division_code, claim_id, points, reason, reviewed_by, reviewed_at FROM special_reviews \
               WHERE division_code = $1 AND claim_id = $2";
    Ok(dispatch!(db, p => sqlx::query_as::<_, SpecialReviewRow>(sql).bind(division).bind(claim_id).fetch_optional(p).await)?)
}

/// The agreed points of the reviewed inpatient claims of a pool's insured in a settlement year:
/// `(claim id, points)`.
///
/// # Errors
/// On a database error.
pub async fn special_review_points(db: &Db, pool: &str, year: i64) -> Result<Vec<(String, i64)>, StoreError> {
    let (lo, hi) = crate::registry::prefix_range(&pool[..pool.len().min(4)]);
    let sql = "SELECT s.claim_id, s.points FROM special_reviews s JOIN claims c ON c.division_code = s.division_code AND c.id = s.claim_id \
               WHERE s.division_code >= $1 AND s.division_code < $2 AND c.year = $3 ORDER BY s.claim_id";
    Ok(dispatch!(db, p => sqlx::query_as::<_, (String, i64)>(sql).bind(&lo).bind(&hi).bind(year).fetch_all(p).await)?)
}

/// Settled pooled-fund payments (`hifp_pay`) of one county's insured in a settlement year (up to
/// `through_month`) by the insured person's township (first nine digits of the village code) and
/// place (inside the county or not): `(township, in_county, hifp)`. Used to split a county package
/// between several communities by service area.
///
/// # Errors
/// On a database error.
pub async fn spending_by_township(db: &Db, county: &str, year: i64, through_month: i64) -> Result<Vec<(String, bool, i64)>, StoreError> {
    let sql = "SELECT substr(r.village_code, 1, 9), c.in_county, CAST(COALESCE(SUM(c.hifp_pay), 0) AS BIGINT) FROM claims c \
               JOIN residents r ON r.division_code = c.division_code AND r.id = c.resident_id \
               WHERE c.division_code = $1 AND c.year = $2 AND c.month <= $3 AND c.status = 'settled' \
               GROUP BY substr(r.village_code, 1, 9), c.in_county ORDER BY 1, 2";
    Ok(dispatch!(db, p => sqlx::query_as::<_, (String, bool, i64)>(sql).bind(county).bind(year).bind(through_month).fetch_all(p).await)?)
}

/// Outpatient (pooling) fund payments of a county's insured for care outside their own
/// township's institutions — at another township's, at the county hospital or outside the
/// registry — by the insured person's township and month: `(township, month, fund)`.
///
/// # Errors
/// On a database error.
pub async fn outpatient_outside_township(
    db: &Db,
    county: &str,
    year: i64,
    through_month: i64,
) -> Result<Vec<(String, i64, i64)>, StoreError> {
    let sql = "SELECT substr(r.village_code, 1, 9), c.month, CAST(COALESCE(SUM(c.hifp_pay), 0) AS BIGINT) FROM claims c \
               JOIN residents r ON r.division_code = c.division_code AND r.id = c.resident_id \
               LEFT JOIN institutions i ON i.division_code = c.institution_division_code AND i.id = c.institution_id \
               WHERE c.division_code = $1 AND c.year = $2 AND c.month <= $3 AND c.status = 'settled' AND c.med_type = 'outpatient' \
               AND (i.id IS NULL OR substr(i.area_code, 1, 9) <> substr(r.village_code, 1, 9)) \
               GROUP BY substr(r.village_code, 1, 9), c.month ORDER BY 1, 2";
    Ok(dispatch!(db, p => sqlx::query_as::<_, (String, i64, i64)>(sql).bind(county).bind(year).bind(through_month).fetch_all(p).await)?)
}

/// One line of a claims list: what the list shows, without the settlement document.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ClaimLine {
    /// Insured person's county.
    pub division_code: String,
    /// Id.
    pub id: String,
    /// Claim key.
    pub claim_key: String,
    /// Resident.
    pub resident_id: String,
    /// Institution (none outside the pool).
    pub institution_id: Option<String>,
    /// Outside institution's name.
    pub outside_name: Option<String>,
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

/// Which claims a list shows.
#[derive(Clone, Debug, Default)]
pub struct ClaimFilter {
    /// Insured persons' county prefix (the reader's area).
    pub prefix: String,
    /// Only the claims of this institution (a clerk's own).
    pub institution_id: Option<String>,
    /// Only this year.
    pub year: Option<i64>,
    /// Only this kind of care.
    pub med_type: Option<String>,
    /// Only this status.
    pub status: Option<String>,
    /// Largest total first instead of newest first.
    pub by_amount: bool,
}

/// Claims matching a filter, newest (or largest) first, with the number of all matching.
///
/// # Errors
/// On a database error.
pub async fn claim_lines(db: &Db, f: &ClaimFilter, page: crate::Page) -> Result<crate::Paged<ClaimLine>, StoreError> {
    let (lo, hi) = crate::registry::prefix_range(&f.prefix);
    let where_ = "WHERE division_code >= $1 AND division_code < $2 AND ($3 = '' OR institution_id = $3) \
                  AND ($4 = 0 OR year = $4) AND ($5 = '' OR med_type = $5) AND ($6 = '' OR status = $6)";
    let order = if f.by_amount {
        "medfee_sumamt DESC, service_date DESC, id"
    } else {
        "service_date DESC, settled_at DESC, id"
    };
    let count = format!("SELECT COUNT(*) FROM claims {where_}");
    let sql = format!(
        "SELECT division_code, id, claim_key, resident_id, institution_id, outside_name, med_type, service_date, status, \
         medfee_sumamt, fund_pay_sumamt, psn_cash_pay FROM claims {where_} ORDER BY {order} LIMIT $7 OFFSET $8"
    );
    let institution = f.institution_id.clone().unwrap_or_default();
    let year = f.year.unwrap_or(0);
    let med_type = f.med_type.clone().unwrap_or_default();
    let status = f.status.clone().unwrap_or_default();
    let (total, items) = dispatch!(db, p => {
        let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count)).bind(&lo).bind(&hi).bind(&institution).bind(year)
            .bind(&med_type).bind(&status).fetch_one(p).await?;
        let items = sqlx::query_as::<_, ClaimLine>(sqlx::AssertSqlSafe(sql)).bind(&lo).bind(&hi).bind(&institution).bind(year)
            .bind(&med_type).bind(&status).bind(page.limit).bind(page.offset).fetch_all(p).await?;
        Ok::<_, sqlx::Error>((total, items))
    })?;
    Ok(crate::Paged::new(items, total, page))
}
