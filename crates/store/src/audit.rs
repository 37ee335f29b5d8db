//! The append-only audit log (访问审计日志): who read or changed which record, when, from where.
//!
//! Writes that change a resident's record insert their audit row in the same transaction (see
//! [`insert_in_tx!`](crate::audit_insert_in_tx)); reads are queued by the server and written in
//! batches with [`insert_batch`]. Triggers on both backends reject UPDATE and DELETE.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::registry::prefix_range;
use crate::{Db, Page, Paged, StoreError, dispatch, transaction};

/// One audit entry.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AuditEntry {
    /// County of the record touched (the acting user's scope division when no record applies).
    pub division_code: String,
    /// Id (UUIDv7).
    pub id: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Acting user id.
    pub user_id: String,
    /// Acting username.
    pub username: String,
    /// Acting role.
    pub role: String,
    /// What was done: `read`, `read_full`, `create`, `update`, `merge`, `import`, `search`, ...
    pub action: String,
    /// Entity kind: `resident`, `enrolment`, ...
    pub entity: String,
    /// Entity id.
    pub entity_id: String,
    /// The resident whose record was touched, if any.
    pub resident_id: Option<String>,
    /// Client address.
    pub ip: String,
    /// Free detail (never contains an ID number or phone number in clear).
    pub detail: String,
}

/// SQL of one audit insert (used inside write transactions).
pub const INSERT_SQL: &str = "INSERT INTO audit_log (division_code, id, at, user_id, username, role, action, entity, \
     entity_id, resident_id, ip, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";

const BULK_INSERT_SQLITE: &str = "INSERT INTO audit_log (division_code, id, at, user_id, username, role, action, entity, \
     entity_id, resident_id, ip, detail) SELECT value ->> 'division_code', value ->> 'id', value ->> 'at', value ->> 'user_id', \
     value ->> 'username', value ->> 'role', value ->> 'action', value ->> 'entity', value ->> 'entity_id', \
     value ->> 'resident_id', value ->> 'ip', value ->> 'detail' FROM json_each($1)";
const BULK_INSERT_POSTGRES: &str = "INSERT INTO audit_log (division_code, id, at, user_id, username, role, action, entity, \
     entity_id, resident_id, ip, detail) SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(division_code text, id text, \
     at timestamptz, user_id text, username text, role text, action text, entity text, entity_id text, resident_id text, \
     ip text, detail text)";

/// SQL inserting a JSON array of audit entries (`$1`) in one statement, for bulk writes inside a
/// transaction of another repository.
pub fn bulk_insert_sql(backend: crate::Backend) -> &'static str {
    match backend {
        crate::Backend::Sqlite => BULK_INSERT_SQLITE,
        crate::Backend::Postgres => BULK_INSERT_POSTGRES,
    }
}

/// Inserts one audit entry with the transaction `$tx` of a [`transaction!`](crate::transaction) body.
#[macro_export]
macro_rules! audit_insert_in_tx {
    ($tx:ident, $e:expr) => {{
        let e: &$crate::audit::AuditEntry = $e;
        sqlx::query($crate::audit::INSERT_SQL)
            .bind(&e.division_code)
            .bind(&e.id)
            .bind(e.at)
            .bind(&e.user_id)
            .bind(&e.username)
            .bind(&e.role)
            .bind(&e.action)
            .bind(&e.entity)
            .bind(&e.entity_id)
            .bind(&e.resident_id)
            .bind(&e.ip)
            .bind(&e.detail)
            .execute(&mut *$tx)
            .await?;
    }};
}

/// Writes entries in one transaction.
///
/// # Errors
/// On a database error (nothing is written then).
pub async fn insert_batch(db: &Db, entries: &[AuditEntry]) -> Result<(), StoreError> {
    if entries.is_empty() {
        return Ok(());
    }
    let sql = bulk_insert_sql(db.backend());
    transaction!(db, tx => {
        for chunk in entries.chunks(2_000) {
            let json = serde_json::to_string(chunk).map_err(|e| StoreError::Database(sqlx::Error::Encode(Box::new(e))))?;
            sqlx::query(sql).bind(json).execute(&mut *tx).await?;
        }
    });
    Ok(())
}

/// Filter of an audit query.
#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    /// Only entries of counties under this prefix (the reader's scope).
    pub division_prefix: String,
    /// Only this resident.
    pub resident_id: Option<String>,
    /// Only this user.
    pub username: Option<String>,
    /// Only this action.
    pub action: Option<String>,
    /// From this instant (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Until this instant (exclusive).
    pub to: Option<DateTime<Utc>>,
}

/// Audit entries matching `q`, newest first.
///
/// # Errors
/// On a database error.
pub async fn query(db: &Db, q: &AuditQuery, page: Page) -> Result<Paged<AuditEntry>, StoreError> {
    let (lo, hi) = prefix_range(&q.division_prefix);
    let epoch = DateTime::<Utc>::from_timestamp(0, 0).unwrap_or_default();
    let far = DateTime::<Utc>::from_timestamp(32_503_680_000, 0).unwrap_or_default();
    let from = q.from.unwrap_or(epoch);
    let to = q.to.unwrap_or(far);
    // Optional filters are written as `($n = '' OR col = $n)` so one SQL text serves all cases.
    let resident = q.resident_id.clone().unwrap_or_default();
    let user = q.username.clone().unwrap_or_default();
    let action = q.action.clone().unwrap_or_default();
    const WHERE: &str = "WHERE division_code >= $1 AND division_code < $2 AND at >= $3 AND at < $4 \
         AND ($5 = '' OR resident_id = $5) AND ($6 = '' OR username = $6) AND ($7 = '' OR action = $7)";
    let count_sql = format!("SELECT COUNT(*) FROM audit_log {WHERE}");
    let rows_sql = format!(
        "SELECT division_code, id, at, user_id, username, role, action, entity, entity_id, resident_id, ip, detail \
         FROM audit_log {WHERE} ORDER BY at DESC, id DESC LIMIT $8 OFFSET $9"
    );
    let (total, items) = dispatch!(db, pool => {
        let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql))
            .bind(&lo).bind(&hi).bind(from).bind(to).bind(&resident).bind(&user).bind(&action)
            .fetch_one(pool).await?;
        let items = sqlx::query_as::<_, AuditEntry>(sqlx::AssertSqlSafe(rows_sql))
            .bind(&lo).bind(&hi).bind(from).bind(to).bind(&resident).bind(&user).bind(&action)
            .bind(page.limit).bind(page.offset)
            .fetch_all(pool).await?;
        Ok::<_, sqlx::Error>((total, items))
    })?;
    Ok(Paged {
        items,
        total,
        offset: page.offset,
        limit: page.limit,
    })
}
