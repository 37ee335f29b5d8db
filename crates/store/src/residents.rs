//! Master patient index (居民主索引): residents, households, merges and insurance enrolment.
//!
//! Every read is limited by a [`ResidentScope`]: the statistical-code prefix of the area the
//! caller may see (a village, a township, a county or the whole pool). A record outside the scope
//! is reported exactly like a missing one.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::audit::AuditEntry;
use crate::registry::prefix_range;
use crate::{Backend, Db, Page, Paged, StoreError, audit_insert_in_tx, dispatch, transaction};

/// Resident row.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Resident {
    /// County division code.
    pub division_code: String,
    /// Id (UUIDv7).
    pub id: String,
    /// Resident ID number (GB 11643), validated before it gets here.
    pub id_number: String,
    /// Name.
    pub name: String,
    /// `male` or `female` (derived from the ID number).
    pub sex: String,
    /// Birth date (derived from the ID number).
    pub birth_date: NaiveDate,
    /// Phone number.
    pub phone: Option<String>,
    /// 12-digit village code of the address.
    pub village_code: String,
    /// Address below the village.
    pub address: String,
    /// Household.
    pub household_id: Option<String>,
    /// Relation to the household head (户主, 配偶, 子女, ...).
    pub household_role: Option<String>,
    /// `active` or `merged`.
    pub status: String,
    /// The surviving record when merged.
    pub merged_into_id: Option<String>,
    /// Optimistic version.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last updated.
    pub updated_at: DateTime<Utc>,
}

/// Household (户) row.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Household {
    /// County division code.
    pub division_code: String,
    /// Id.
    pub id: String,
    /// Household registration number.
    pub household_no: String,
    /// Village.
    pub village_code: String,
    /// Address.
    pub address: String,
}

/// Insurance enrolment (参保登记) row.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Enrolment {
    /// County division code.
    pub division_code: String,
    /// Id.
    pub id: String,
    /// Resident.
    pub resident_id: String,
    /// NHSA insutype code (`310`, `390`, ...).
    pub insurance_type: String,
    /// Insurance year.
    pub year: i64,
    /// `active`, `suspended`, `terminated`.
    pub status: String,
    /// Date of enrolment.
    pub enrolled_on: NaiveDate,
}

/// The area a caller may see: a statistical-code prefix of 4 (pool), 6 (county), 9 (township)
/// or 12 (village) digits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResidentScope {
    prefix: String,
}

impl ResidentScope {
    /// A scope from an area prefix (digits only, at most 12; empty means everything).
    pub fn new(prefix: &str) -> Option<ResidentScope> {
        let ok = prefix.len() <= 12 && prefix.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| ResidentScope { prefix: prefix.to_owned() })
    }

    /// Everything (the operator's CLI, and reads a referral's parties are entitled to).
    pub fn all() -> ResidentScope {
        ResidentScope { prefix: String::new() }
    }

    /// The prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The county-code prefix (at most 6 digits).
    pub fn division_prefix(&self) -> &str {
        &self.prefix[..self.prefix.len().min(6)]
    }

    /// Whether a village code lies inside.
    pub fn contains(&self, village_code: &str) -> bool {
        village_code.starts_with(&self.prefix)
    }
}

const COLUMNS: &str = "division_code, id, id_number, name, sex, birth_date, phone, village_code, address, household_id, \
     household_role, status, merged_into_id, version, created_at, updated_at";
const INSERT_COLUMNS: &str = "(division_code, id, id_number, name, sex, birth_date, phone, village_code, address, \
     household_id, household_role, status, merged_into_id, version, created_at, updated_at, name_initials)";
const N_COLUMNS: usize = 17;
/// Residents per bulk statement.
const BULK_ROWS: usize = 5_000;
const BULK_INSERT_SQLITE: &str = "INSERT INTO residents (division_code, id, id_number, name, sex, birth_date, phone, village_code, \
     address, household_id, household_role, status, merged_into_id, version, created_at, updated_at, name_initials) \
     SELECT value ->> 'division_code', value ->> 'id', value ->> 'id_number', value ->> 'name', value ->> 'sex', \
     value ->> 'birth_date', value ->> 'phone', value ->> 'village_code', value ->> 'address', value ->> 'household_id', \
     value ->> 'household_role', value ->> 'status', value ->> 'merged_into_id', value ->> 'version', value ->> 'created_at', \
     value ->> 'updated_at', value ->> 'name_initials' FROM json_each($1) WHERE true ON CONFLICT (division_code, id_number) DO NOTHING";
const BULK_INSERT_POSTGRES: &str = "INSERT INTO residents (division_code, id, id_number, name, sex, birth_date, phone, village_code, \
     address, household_id, household_role, status, merged_into_id, version, created_at, updated_at, name_initials) \
     SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(division_code text, id text, id_number text, name text, sex text, \
     birth_date date, phone text, village_code text, address text, household_id text, household_role text, status text, \
     merged_into_id text, version bigint, created_at timestamptz, updated_at timestamptz, name_initials text) \
     ON CONFLICT (division_code, id_number) DO NOTHING";
/// The counties whose code lies in [$1, $2): lets both backends look residents up by the keys that
/// lead with `division_code`, one county at a time.
const COUNTIES_IN_RANGE: &str = "SELECT division_code FROM counties WHERE division_code >= $1 AND division_code < $2";

/// A resident as the bulk insert sends it: its columns and its name's pinyin initials (plain
/// fields: `#[serde(flatten)]` goes through a map and made a million-row import 20 s slower).
#[derive(Serialize)]
struct BulkRow<'a> {
    division_code: &'a str,
    id: &'a str,
    id_number: &'a str,
    name: &'a str,
    sex: &'a str,
    birth_date: NaiveDate,
    phone: Option<&'a str>,
    village_code: &'a str,
    address: &'a str,
    household_id: Option<&'a str>,
    household_role: Option<&'a str>,
    status: &'a str,
    merged_into_id: Option<&'a str>,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    name_initials: String,
}

impl<'a> BulkRow<'a> {
    fn of(r: &'a Resident) -> BulkRow<'a> {
        BulkRow {
            division_code: &r.division_code,
            id: &r.id,
            id_number: &r.id_number,
            name: &r.name,
            sex: &r.sex,
            birth_date: r.birth_date,
            phone: r.phone.as_deref(),
            village_code: &r.village_code,
            address: &r.address,
            household_id: r.household_id.as_deref(),
            household_role: r.household_role.as_deref(),
            status: &r.status,
            merged_into_id: r.merged_into_id.as_deref(),
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            name_initials: sanyi_domain::name_search::initials(&r.name),
        }
    }
}

/// Binds the columns of a resident, in `COLUMNS` order, to a query (either backend).
macro_rules! bind_resident {
    ($q:expr, $r:expr) => {
        $q.bind(&$r.division_code)
            .bind(&$r.id)
            .bind(&$r.id_number)
            .bind(&$r.name)
            .bind(&$r.sex)
            .bind($r.birth_date)
            .bind(&$r.phone)
            .bind(&$r.village_code)
            .bind(&$r.address)
            .bind(&$r.household_id)
            .bind(&$r.household_role)
            .bind(&$r.status)
            .bind(&$r.merged_into_id)
            .bind($r.version)
            .bind($r.created_at)
            .bind($r.updated_at)
            .bind(sanyi_domain::name_search::initials(&$r.name))
    };
}

/// `($1, ..., $cols), ($cols+1, ...)` for `rows` rows on PostgreSQL; anonymous `?` on SQLite,
/// where named parameters make sqlx look each name up in a linear list (quadratic in the number of
/// parameters of a statement: a 500-row insert was 25 times slower).
fn placeholders(rows: usize, cols: usize, backend: Backend) -> String {
    if backend == Backend::Sqlite {
        let row = format!("({})", vec!["?"; cols].join(", "));
        return vec![row; rows].join(", ");
    }
    let mut s = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push_str(", ");
            }
            s.push('$');
            s.push_str(&(r * cols + c + 1).to_string());
        }
        s.push(')');
    }
    s
}

/// Registers a resident (and its household when given and new) with its audit entry, atomically.
///
/// # Errors
/// `Constraint { kind: "unique" }` when the ID number is already registered in the county, or
/// another constraint/database error; nothing is written then.
pub async fn create(db: &Db, r: &Resident, household: Option<&Household>, audit: &AuditEntry) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO residents {INSERT_COLUMNS} VALUES {}",
        placeholders(1, N_COLUMNS, db.backend())
    );
    transaction!(db, tx => {
        if let Some(h) = household {
            sqlx::query("INSERT INTO households (division_code, id, household_no, village_code, address, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (division_code, id) DO NOTHING")
                .bind(&h.division_code).bind(&h.id).bind(&h.household_no).bind(&h.village_code).bind(&h.address).bind(Utc::now())
                .execute(&mut *tx).await?;
        }
        bind_resident!(sqlx::query(sqlx::AssertSqlSafe(sql.clone())), r).execute(&mut *tx).await?;
        audit_insert_in_tx!(tx, audit);
    });
    Ok(())
}

/// Household by id.
///
/// # Errors
/// On a database error.
pub async fn household(db: &Db, division: &str, id: &str) -> Result<Option<Household>, StoreError> {
    Ok(dispatch!(db, pool => sqlx::query_as::<_, Household>(
        "SELECT division_code, id, household_no, village_code, address FROM households WHERE division_code = $1 AND id = $2")
        .bind(division).bind(id).fetch_optional(pool).await)?)
}

/// Inserts residents (and households) in one transaction, skipping ID numbers already registered
/// in the county and households already known. Returns the number of residents inserted. `audit`,
/// when given, is written in the same transaction with the counts appended to its detail, so that
/// every committed batch carries its audit row.
///
/// # Errors
/// On a database error; nothing of this batch is written then.
pub async fn insert_batch(
    db: &Db,
    households: &[Household],
    residents: &[Resident],
    audit: Option<&AuditEntry>,
) -> Result<u64, StoreError> {
    const ROWS: usize = 500;
    let mut inserted = 0;
    transaction!(db, tx => {
        for chunk in households.chunks(ROWS) {
            let sql = format!(
                "INSERT INTO households (division_code, id, household_no, village_code, address, created_at) VALUES {} \
                 ON CONFLICT (division_code, id) DO NOTHING",
                placeholders(chunk.len(), 6, db.backend())
            );
            let now = Utc::now();
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for h in chunk {
                q = q.bind(&h.division_code).bind(&h.id).bind(&h.household_no).bind(&h.village_code).bind(&h.address).bind(now);
            }
            q.execute(&mut *tx).await?;
        }
        // Rows travel as one JSON document per statement: binding thousands of parameters costs
        // more in the driver than the inserts themselves.
        let sql = match db.backend() {
            Backend::Sqlite => BULK_INSERT_SQLITE,
            Backend::Postgres => BULK_INSERT_POSTGRES,
        };
        for chunk in residents.chunks(BULK_ROWS) {
            // Each row with its name's pinyin initials (not a field of `Resident`).
            let rows: Vec<BulkRow<'_>> = chunk.iter().map(BulkRow::of).collect();
            let json = serde_json::to_string(&rows).map_err(|e| StoreError::Database(sqlx::Error::Encode(Box::new(e))))?;
            inserted += sqlx::query(sql).bind(json).execute(&mut *tx).await?.rows_affected();
        }
        if let Some(a) = audit {
            let mut e = a.clone();
            e.detail = format!("{}; inserted {inserted} of {} rows", a.detail, residents.len());
            audit_insert_in_tx!(tx, &e);
        }
    });
    Ok(inserted)
}

/// A resident by id, inside the scope.
///
/// # Errors
/// On a database error.
pub async fn get(db: &Db, scope: &ResidentScope, id: &str) -> Result<Option<Resident>, StoreError> {
    let (lo, hi) = prefix_range(scope.division_prefix());
    let sql = format!("SELECT {COLUMNS} FROM residents WHERE division_code IN ({COUNTIES_IN_RANGE}) AND id = $3");
    let row = dispatch!(db, pool => sqlx::query_as::<_, Resident>(sqlx::AssertSqlSafe(sql))
        .bind(lo).bind(hi).bind(id).fetch_optional(pool).await)?;
    Ok(row.filter(|r| scope.contains(&r.village_code)))
}

/// Active residents with this ID number inside the scope (one per county at most).
///
/// # Errors
/// On a database error.
pub async fn by_id_number(db: &Db, scope: &ResidentScope, id_number: &str) -> Result<Vec<Resident>, StoreError> {
    let (lo, hi) = prefix_range(scope.division_prefix());
    let sql = format!("SELECT {COLUMNS} FROM residents WHERE division_code IN ({COUNTIES_IN_RANGE}) AND id_number = $3");
    let rows = dispatch!(db, pool => sqlx::query_as::<_, Resident>(sqlx::AssertSqlSafe(sql))
        .bind(lo).bind(hi).bind(id_number).fetch_all(pool).await)?;
    Ok(rows.into_iter().filter(|r| scope.contains(&r.village_code)).collect())
}

/// Filter of a resident search; all given conditions must hold.
#[derive(Clone, Debug, Default)]
pub struct ResidentQuery {
    /// Exact ID number.
    pub id_number: Option<String>,
    /// Any part of the name, or its pinyin initials when only letters are given (`wxl`).
    pub name: Option<String>,
    /// Village (or township) code prefix.
    pub area: Option<String>,
    /// Include merged records.
    pub include_merged: bool,
}

/// Residents matching `q` inside the scope, ordered by village and name.
///
/// # Errors
/// On a database error.
pub async fn search(db: &Db, scope: &ResidentScope, q: &ResidentQuery, page: Page) -> Result<Paged<Resident>, StoreError> {
    // Narrow the area to the intersection of the scope and the requested area.
    let area = match &q.area {
        Some(a) if a.starts_with(scope.prefix()) => a.clone(),
        Some(a) if scope.prefix().starts_with(a.as_str()) => scope.prefix().to_owned(),
        Some(_) => {
            return Ok(Paged {
                items: vec![],
                total: 0,
                offset: page.offset,
                limit: page.limit,
            });
        }
        None => scope.prefix().to_owned(),
    };
    // Only the conditions in force are written, so that each backend can use the matching key.
    let (div_lo, div_hi) = prefix_range(&area[..area.len().min(6)]);
    let mut conds =
        vec!["division_code IN (SELECT division_code FROM counties WHERE division_code >= $1 AND division_code < $2)".to_owned()];
    let mut args = vec![div_lo, div_hi];
    let next = |args: &mut Vec<String>, v: String| {
        args.push(v);
        format!("${}", args.len())
    };
    if area.len() > 6 {
        let (lo, hi) = prefix_range(&area);
        let (a, b) = (next(&mut args, lo), next(&mut args, hi));
        conds.push(format!("village_code >= {a} AND village_code < {b}"));
    }
    if let Some(id_number) = &q.id_number {
        let a = next(&mut args, id_number.clone());
        conds.push(format!("id_number = {a}"));
    }
    // Over a whole county, SQLite reads a name search best from the (division_code, name) index
    // (the LIKE is tested on the index, only matches are fetched: 0.4 s instead of 1.6 s over a
    // million residents) and an initials search by scanning the table; inside a village the
    // village index is better. PostgreSQL plans for itself.
    let mut table = "residents";
    if let Some(name) = q.name.as_ref().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        // `%` and `_` in the text match themselves (ESCAPE '\').
        let escaped = name.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        let whole_county = area.len() <= 6 && q.id_number.is_none() && db.backend() == Backend::Sqlite;
        if sanyi_domain::name_search::is_initials_query(name) {
            if whole_county {
                table = "residents NOT INDEXED";
            }
            let a = next(&mut args, format!("%{}%", escaped.to_ascii_lowercase()));
            conds.push(format!("name_initials LIKE {a} ESCAPE '\\'"));
        } else {
            if whole_county {
                table = "residents INDEXED BY residents_name";
            }
            let a = next(&mut args, format!("%{escaped}%"));
            conds.push(format!("name LIKE {a} ESCAPE '\\'"));
        }
    }
    if !q.include_merged {
        conds.push("status = 'active'".to_owned());
    }
    let where_ = conds.join(" AND ");
    let count_sql = format!("SELECT COUNT(*) FROM {table} WHERE {where_}");
    let rows_sql = format!(
        "SELECT {COLUMNS} FROM {table} WHERE {where_} ORDER BY village_code, name, id LIMIT ${} OFFSET ${}",
        args.len() + 1,
        args.len() + 2
    );
    let (total, items) = dispatch!(db, pool => {
        let mut count = sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql));
        let mut rows = sqlx::query_as::<_, Resident>(sqlx::AssertSqlSafe(rows_sql));
        for a in &args {
            count = count.bind(a);
            rows = rows.bind(a);
        }
        let items = rows.bind(page.limit).bind(page.offset).fetch_all(pool).await?;
        // A first page that is not full already tells the total (the common lookup case).
        let total: i64 = if page.offset == 0 && (items.len() as i64) < page.limit {
            items.len() as i64
        } else {
            count.fetch_one(pool).await?
        };
        Ok::<_, sqlx::Error>((total, items))
    })?;
    Ok(Paged {
        items,
        total,
        offset: page.offset,
        limit: page.limit,
    })
}

/// Editable attributes of a resident (the ID number, and so sex and birth date, are not editable:
/// a wrong ID number is corrected by registering the right one and merging).
#[derive(Clone, Debug)]
pub struct ResidentChanges {
    /// Name.
    pub name: String,
    /// Phone.
    pub phone: Option<String>,
    /// Village code.
    pub village_code: String,
    /// Address.
    pub address: String,
    /// Household.
    pub household_id: Option<String>,
    /// Relation to the household head.
    pub household_role: Option<String>,
}

/// Updates a resident if it is still at `expected_version`, with its audit entry, atomically.
///
/// # Errors
/// `NotFound` (also outside the scope), `VersionConflict`, or a database error.
pub async fn update(
    db: &Db,
    scope: &ResidentScope,
    id: &str,
    expected_version: i64,
    c: &ResidentChanges,
    audit: &AuditEntry,
) -> Result<Resident, StoreError> {
    let current = get(db, scope, id).await?.ok_or(StoreError::NotFound)?;
    if current.status != "active" {
        return Err(StoreError::NotFound);
    }
    let updated = transaction!(db, tx => {
        let n = sqlx::query(
            "UPDATE residents SET name = $1, phone = $2, village_code = $3, address = $4, household_id = $5, \
             household_role = $6, version = version + 1, updated_at = $7, name_initials = $11 \
             WHERE division_code = $8 AND id = $9 AND version = $10")
            .bind(&c.name).bind(&c.phone).bind(&c.village_code).bind(&c.address).bind(&c.household_id)
            .bind(&c.household_role).bind(Utc::now()).bind(&current.division_code).bind(id).bind(expected_version)
            .bind(sanyi_domain::name_search::initials(&c.name))
            .execute(&mut *tx).await?.rows_affected();
        if n == 1 {
            audit_insert_in_tx!(tx, audit);
        }
        n == 1
    });
    let now = get(db, scope, id).await?.ok_or(StoreError::NotFound)?;
    if !updated {
        return Err(StoreError::VersionConflict { current: now.version });
    }
    Ok(now)
}

/// A merge in the history of a resident.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Merge {
    /// County.
    pub division_code: String,
    /// Id.
    pub id: String,
    /// Surviving record.
    pub survivor_id: String,
    /// Merged (retired) record.
    pub merged_id: String,
    /// JSON of the merged record as it was.
    pub snapshot: String,
    /// Who merged.
    pub actor_username: String,
    /// When.
    pub merged_at: DateTime<Utc>,
}

/// Merges the duplicate `merged` into `survivor` (same county): the duplicate becomes `merged`,
/// its enrolments move to the survivor unless the survivor has the same one, and the history
/// keeps a snapshot. Both audit entries are written in the same transaction.
///
/// # Errors
/// `NotFound` when either record is missing, merged already or outside the scope;
/// `Constraint { kind: "check" }` when they are in different counties; a database error.
pub async fn merge(
    db: &Db,
    scope: &ResidentScope,
    survivor_id: &str,
    merged_id: &str,
    actor: &str,
    audits: &[AuditEntry],
) -> Result<Merge, StoreError> {
    let survivor = get(db, scope, survivor_id)
        .await?
        .filter(|r| r.status == "active")
        .ok_or(StoreError::NotFound)?;
    let merged = get(db, scope, merged_id)
        .await?
        .filter(|r| r.status == "active")
        .ok_or(StoreError::NotFound)?;
    if survivor.division_code != merged.division_code || survivor.id == merged.id {
        return Err(StoreError::Constraint {
            kind: crate::ConstraintKind::Check,
            constraint: "merge_same_county_distinct".into(),
            columns: Vec::new(),
        });
    }
    let m = Merge {
        division_code: survivor.division_code.clone(),
        id: crate::new_id(),
        survivor_id: survivor.id.clone(),
        merged_id: merged.id.clone(),
        snapshot: serde_json::to_string(&merged).unwrap_or_default(),
        actor_username: actor.to_owned(),
        merged_at: Utc::now(),
    };
    transaction!(db, tx => {
        let n = sqlx::query("UPDATE residents SET status = 'merged', merged_into_id = $1, version = version + 1, updated_at = $2 \
                             WHERE division_code = $3 AND id = $4 AND status = 'active'")
            .bind(&survivor.id).bind(m.merged_at).bind(&m.division_code).bind(&merged.id)
            .execute(&mut *tx).await?.rows_affected();
        if n != 1 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("UPDATE enrolments SET resident_id = $1 WHERE division_code = $2 AND resident_id = $3 \
                     AND NOT EXISTS (SELECT 1 FROM enrolments e2 WHERE e2.division_code = $2 AND e2.resident_id = $1 \
                     AND e2.insurance_type = enrolments.insurance_type AND e2.year = enrolments.year)")
            .bind(&survivor.id).bind(&m.division_code).bind(&merged.id)
            .execute(&mut *tx).await?;
        sqlx::query("INSERT INTO resident_merges (division_code, id, survivor_id, merged_id, snapshot, actor_username, merged_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(&m.division_code).bind(&m.id).bind(&m.survivor_id).bind(&m.merged_id).bind(&m.snapshot)
            .bind(&m.actor_username).bind(m.merged_at)
            .execute(&mut *tx).await?;
        for a in audits {
            audit_insert_in_tx!(tx, a);
        }
    });
    Ok(m)
}

/// Merge history in which the resident is the survivor or the merged record.
///
/// # Errors
/// On a database error.
pub async fn merges_of(db: &Db, division: &str, resident_id: &str) -> Result<Vec<Merge>, StoreError> {
    Ok(dispatch!(db, pool => sqlx::query_as::<_, Merge>(
        "SELECT division_code, id, survivor_id, merged_id, snapshot, actor_username, merged_at FROM resident_merges \
         WHERE division_code = $1 AND (survivor_id = $2 OR merged_id = $2) ORDER BY merged_at")
        .bind(division).bind(resident_id).fetch_all(pool).await)?)
}

/// Members of a household.
///
/// # Errors
/// On a database error.
pub async fn household_members(db: &Db, division: &str, household_id: &str) -> Result<Vec<Resident>, StoreError> {
    let sql =
        format!("SELECT {COLUMNS} FROM residents WHERE division_code = $1 AND household_id = $2 AND status = 'active' ORDER BY birth_date");
    Ok(dispatch!(db, pool => sqlx::query_as::<_, Resident>(sqlx::AssertSqlSafe(sql))
        .bind(division).bind(household_id).fetch_all(pool).await)?)
}

/// Inserts enrolments, skipping those already recorded (same resident, type and year).
/// Returns how many were inserted.
///
/// # Errors
/// On a database error; nothing is written then.
pub async fn insert_enrolments(db: &Db, rows: &[Enrolment]) -> Result<u64, StoreError> {
    let mut inserted = 0;
    transaction!(db, tx => {
        for chunk in rows.chunks(1000) {
            let sql = format!(
                "INSERT INTO enrolments (division_code, id, resident_id, insurance_type, year, status, enrolled_on, created_at) \
                 VALUES {} ON CONFLICT (division_code, resident_id, insurance_type, year) DO NOTHING",
                placeholders(chunk.len(), 8, db.backend())
            );
            let now = Utc::now();
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for e in chunk {
                q = q.bind(&e.division_code).bind(&e.id).bind(&e.resident_id).bind(&e.insurance_type)
                    .bind(e.year).bind(&e.status).bind(e.enrolled_on).bind(now);
            }
            inserted += q.execute(&mut *tx).await?.rows_affected();
        }
    });
    Ok(inserted)
}

/// Records one enrolment with its audit entry, atomically.
///
/// # Errors
/// `Constraint { kind: "unique" }` when the resident already has that scheme for that year.
pub async fn insert_enrolment(db: &Db, e: &Enrolment, audit: &AuditEntry) -> Result<(), StoreError> {
    transaction!(db, tx => {
        sqlx::query("INSERT INTO enrolments (division_code, id, resident_id, insurance_type, year, status, enrolled_on, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(&e.division_code).bind(&e.id).bind(&e.resident_id).bind(&e.insurance_type).bind(e.year)
            .bind(&e.status).bind(e.enrolled_on).bind(Utc::now())
            .execute(&mut *tx).await?;
        audit_insert_in_tx!(tx, audit);
    });
    Ok(())
}

/// Enrolments of a resident, newest year first.
///
/// # Errors
/// On a database error.
pub async fn enrolments_of(db: &Db, division: &str, resident_id: &str) -> Result<Vec<Enrolment>, StoreError> {
    Ok(dispatch!(db, pool => sqlx::query_as::<_, Enrolment>(
        "SELECT division_code, id, resident_id, insurance_type, year, status, enrolled_on FROM enrolments \
         WHERE division_code = $1 AND resident_id = $2 ORDER BY year DESC, insurance_type")
        .bind(division).bind(resident_id).fetch_all(pool).await)?)
}

/// Number of active residents per county under a division prefix.
///
/// # Errors
/// On a database error.
pub async fn count_by_county(db: &Db, division_prefix: &str) -> Result<Vec<(String, i64)>, StoreError> {
    let (lo, hi) = prefix_range(division_prefix);
    Ok(dispatch!(db, pool => sqlx::query_as::<_, (String, i64)>(
        "SELECT division_code, COUNT(*) FROM residents WHERE division_code >= $1 AND division_code < $2 AND status = 'active' \
         GROUP BY division_code ORDER BY division_code")
        .bind(lo).bind(hi).fetch_all(pool).await)?)
}

/// Names and ID numbers of residents by record id (for lists that show whom a workflow concerns;
/// callers mask the ID numbers).
///
/// # Errors
/// On a database error.
pub async fn names(db: &Db, ids: &[String]) -> Result<std::collections::HashMap<String, (String, String)>, StoreError> {
    let mut out = std::collections::HashMap::new();
    for (chunk, list) in crate::id_chunks(ids) {
        let sql = format!("SELECT id, name, id_number FROM residents WHERE id IN ({list})");
        let rows: Vec<(String, String, String)> = dispatch!(db, pool => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()));
            for id in &chunk {
                q = q.bind(*id);
            }
            q.fetch_all(pool).await
        })?;
        out.extend(rows.into_iter().map(|(id, name, number)| (id, (name, number))));
    }
    Ok(out)
}

/// Writes the pinyin initials of residents registered before the `name_initials` column existed
/// (run after the migrations; a no-op once every row has them).
///
/// # Errors
/// On a database error.
pub async fn fill_name_initials(db: &Db) -> Result<u64, StoreError> {
    let mut filled = 0;
    loop {
        let rows: Vec<(String, String, String)> = dispatch!(db, pool => sqlx::query_as(
            "SELECT division_code, id, name FROM residents WHERE name_initials = '' AND name <> '' LIMIT 5000")
            .fetch_all(pool).await)?;
        let pending: Vec<(String, String, String)> = rows
            .into_iter()
            .map(|(d, id, name)| (d, id, sanyi_domain::name_search::initials(&name)))
            .collect();
        if pending.is_empty() {
            return Ok(filled);
        }
        transaction!(db, tx => {
            for (d, id, initials) in &pending {
                // A name without a letter or a Chinese character keeps a marker so it is not read again.
                let value = if initials.is_empty() { "-" } else { initials.as_str() };
                sqlx::query("UPDATE residents SET name_initials = $1 WHERE division_code = $2 AND id = $3")
                    .bind(value).bind(d).bind(id).execute(&mut *tx).await?;
            }
        });
        filled += pending.len() as u64;
    }
}
