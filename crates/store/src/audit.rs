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

/// SQL of one audit insert (used inside write transactions); `$13` is the row's place in its
/// county's chain, `$14` its chain hash.
pub const INSERT_SQL: &str = "INSERT INTO audit_log (division_code, id, at, user_id, username, role, action, entity, \
     entity_id, resident_id, ip, detail, seq, chain_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";

/// Reserves `$2` places in the chain of county `$1` and returns the last reserved place with the
/// hash of the row before the first: the upsert locks the county's head row until the
/// transaction ends, so concurrent writers queue here and the chain never forks.
pub const CHAIN_RESERVE_SQL: &str = "INSERT INTO audit_chain (division_code, seq, head_hash) VALUES ($1, $2, '') \
     ON CONFLICT (division_code) DO UPDATE SET seq = audit_chain.seq + excluded.seq RETURNING seq, head_hash";

/// Moves the head of county `$2`'s chain to hash `$1`.
pub const CHAIN_HEAD_SQL: &str = "UPDATE audit_chain SET head_hash = $1 WHERE division_code = $2";

const BULK_INSERT_SQLITE: &str = "INSERT INTO audit_log (division_code, id, at, user_id, username, role, action, entity, \
     entity_id, resident_id, ip, detail, seq, chain_hash) SELECT value ->> 'division_code', value ->> 'id', value ->> 'at', \
     value ->> 'user_id', value ->> 'username', value ->> 'role', value ->> 'action', value ->> 'entity', value ->> 'entity_id', \
     value ->> 'resident_id', value ->> 'ip', value ->> 'detail', value ->> 'seq', value ->> 'chain_hash' FROM json_each($1)";
const BULK_INSERT_POSTGRES: &str = "INSERT INTO audit_log (division_code, id, at, user_id, username, role, action, entity, \
     entity_id, resident_id, ip, detail, seq, chain_hash) SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(division_code text, \
     id text, at timestamptz, user_id text, username text, role text, action text, entity text, entity_id text, \
     resident_id text, ip text, detail text, seq bigint, chain_hash text)";

/// SQL inserting a JSON array of [`ChainedEntry`] (`$1`) in one statement.
pub fn bulk_insert_sql(backend: crate::Backend) -> &'static str {
    match backend {
        crate::Backend::Sqlite => BULK_INSERT_SQLITE,
        crate::Backend::Postgres => BULK_INSERT_POSTGRES,
    }
}

/// An instant cut to whole microseconds (both databases keep microseconds; PostgreSQL rounds a
/// finer value, which would change the hashed time).
pub fn micros(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at)
}

/// An audit entry with its place in its county's chain, as stored.
#[derive(Clone, Debug, Serialize)]
pub struct ChainedEntry {
    /// The entry (its time cut to microseconds).
    #[serde(flatten)]
    pub entry: AuditEntry,
    /// Place in the county's chain (1, 2, …).
    pub seq: i64,
    /// SHA-256 (hex) of the previous row's hash and this row's fields.
    pub chain_hash: String,
}

/// The chain hash of `e` at place `seq` after a row whose hash is `prev` (empty for the first):
/// SHA-256 over `prev`, `seq` and every field, each length-prefixed so that no two rows hash
/// alike by shifting text between fields; the time counts in whole microseconds (what both
/// databases keep).
pub fn chain_hash(prev: &str, seq: i64, e: &AuditEntry) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    let micros = e.at.timestamp_micros().to_string();
    let seq = seq.to_string();
    let fields: [&str; 14] = [
        prev,
        &seq,
        &e.division_code,
        &e.id,
        &micros,
        &e.user_id,
        &e.username,
        &e.role,
        &e.action,
        &e.entity,
        &e.entity_id,
        e.resident_id.as_deref().unwrap_or("\u{0}"),
        &e.ip,
        &e.detail,
    ];
    for f in fields {
        h.update((f.len() as u64).to_le_bytes());
        h.update(f.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Links `entries` (all of one county) after the row `last_seq - entries.len()` whose hash is
/// `prev`, as returned by [`CHAIN_RESERVE_SQL`]. Returns the rows and the new head hash.
pub fn link(prev: &str, last_seq: i64, entries: &[&AuditEntry]) -> (Vec<ChainedEntry>, String) {
    let mut prev = prev.to_owned();
    let first = last_seq - entries.len() as i64 + 1;
    let rows = entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let seq = first + i as i64;
            let hash = chain_hash(&prev, seq, e);
            prev.clone_from(&hash);
            ChainedEntry {
                entry: AuditEntry {
                    at: micros(e.at),
                    ..(*e).clone()
                },
                seq,
                chain_hash: hash,
            }
        })
        .collect();
    (rows, prev)
}

/// Entries grouped by county in code order (the order in which chain heads are locked, the same
/// in every transaction, so that two writers never wait for each other's heads).
pub fn by_county<'a>(entries: impl IntoIterator<Item = &'a AuditEntry>) -> std::collections::BTreeMap<&'a str, Vec<&'a AuditEntry>> {
    let mut m: std::collections::BTreeMap<&str, Vec<&AuditEntry>> = std::collections::BTreeMap::new();
    for e in entries {
        m.entry(e.division_code.as_str()).or_default().push(e);
    }
    m
}

/// Inserts one audit entry, linked into its county's chain, with the transaction `$tx` of a
/// [`transaction!`](crate::transaction) body.
#[macro_export]
macro_rules! audit_insert_in_tx {
    ($tx:ident, $e:expr) => {{
        let e: &$crate::audit::AuditEntry = $e;
        let (last, prev): (i64, String) = sqlx::query_as($crate::audit::CHAIN_RESERVE_SQL)
            .bind(&e.division_code)
            .bind(1_i64)
            .fetch_one(&mut *$tx)
            .await?;
        let hash = $crate::audit::chain_hash(&prev, last, e);
        sqlx::query($crate::audit::INSERT_SQL)
            .bind(&e.division_code)
            .bind(&e.id)
            .bind($crate::audit::micros(e.at))
            .bind(&e.user_id)
            .bind(&e.username)
            .bind(&e.role)
            .bind(&e.action)
            .bind(&e.entity)
            .bind(&e.entity_id)
            .bind(&e.resident_id)
            .bind(&e.ip)
            .bind(&e.detail)
            .bind(last)
            .bind(&hash)
            .execute(&mut *$tx)
            .await?;
        sqlx::query($crate::audit::CHAIN_HEAD_SQL)
            .bind(&hash)
            .bind(&e.division_code)
            .execute(&mut *$tx)
            .await?;
    }};
}

/// Inserts many audit entries (of any counties), each county's linked into its chain, with the
/// transaction `$tx` of a [`transaction!`](crate::transaction) body on `$backend`.
#[macro_export]
macro_rules! audit_insert_many_in_tx {
    ($tx:ident, $backend:expr, $entries:expr) => {{
        let sql = $crate::audit::bulk_insert_sql($backend);
        for (county, group) in $crate::audit::by_county($entries) {
            let (last, prev): (i64, String) = sqlx::query_as($crate::audit::CHAIN_RESERVE_SQL)
                .bind(county)
                .bind(group.len() as i64)
                .fetch_one(&mut *$tx)
                .await?;
            let (rows, head) = $crate::audit::link(&prev, last, &group);
            for chunk in rows.chunks(2_000) {
                let json = serde_json::to_string(chunk).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
                sqlx::query(sql).bind(json).execute(&mut *$tx).await?;
            }
            sqlx::query($crate::audit::CHAIN_HEAD_SQL)
                .bind(&head)
                .bind(county)
                .execute(&mut *$tx)
                .await?;
        }
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
    let backend = db.backend();
    transaction!(db, tx => {
        crate::audit_insert_many_in_tx!(tx, backend, entries);
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
    Ok(crate::Paged::new(items, total, page))
}

/// What a verification of the audit chains found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ChainReport {
    /// Each county's chain: rows checked and whether its head matches the last row.
    pub counties: Vec<CountyChain>,
    /// Rows written before the chain existed (no place in a chain).
    pub unchained: i64,
    /// Every place where a chain does not hold (at most the first per county).
    pub breaks: Vec<ChainBreak>,
}

/// One county's chain.
#[derive(Clone, Debug, Serialize)]
pub struct CountyChain {
    /// County code.
    pub division_code: String,
    /// Rows checked.
    pub rows: i64,
    /// The chain's last place and hash as recomputed: kept outside the database, a later
    /// verification that does not extend them shows a chain rewritten as a whole.
    pub head_seq: i64,
    /// Hash of the last row.
    pub head_hash: String,
}

/// A place where a chain does not hold: a row whose hash does not follow from the row before and
/// its own fields (rewritten), a missing place (removed), or a head that is not the last row.
#[derive(Clone, Debug, Serialize)]
pub struct ChainBreak {
    /// County code.
    pub division_code: String,
    /// Place in the chain.
    pub seq: i64,
    /// Row id, when a row is there.
    pub id: Option<String>,
    /// What is wrong.
    pub reason: String,
}

#[derive(sqlx::FromRow)]
struct ChainRow {
    #[sqlx(flatten)]
    entry: AuditEntry,
    seq: i64,
    chain_hash: String,
}

/// Recomputes every county's chain from its first row and compares it with the stored hashes and
/// the head: any row rewritten (even by someone who dropped the append-only triggers), removed or
/// moved shows as a break.
///
/// # Errors
/// On a database error.
pub async fn verify(db: &Db) -> Result<ChainReport, StoreError> {
    let heads: Vec<(String, i64, String)> = dispatch!(db, pool => sqlx::query_as(
        "SELECT division_code, CAST(seq AS BIGINT), head_hash FROM audit_chain ORDER BY division_code").fetch_all(pool).await)?;
    let logged: Vec<String> = dispatch!(db, pool => sqlx::query_scalar(
        "SELECT DISTINCT division_code FROM audit_log WHERE seq IS NOT NULL ORDER BY division_code").fetch_all(pool).await)?;
    let unchained: i64 =
        dispatch!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE seq IS NULL").fetch_one(pool).await)?;
    let mut report = ChainReport {
        unchained,
        ..ChainReport::default()
    };
    for county in logged.iter().filter(|c| !heads.iter().any(|h| &h.0 == *c)) {
        report.breaks.push(ChainBreak {
            division_code: county.clone(),
            seq: 0,
            id: None,
            reason: "rows of a county without a chain head".into(),
        });
    }
    const PAGE: i64 = 10_000;
    let sql = "SELECT division_code, id, at, user_id, username, role, action, entity, entity_id, resident_id, ip, detail, \
               CAST(seq AS BIGINT) AS seq, chain_hash FROM audit_log WHERE division_code = $1 AND seq > $2 ORDER BY seq LIMIT $3";
    for (county, head_seq, head_hash) in heads {
        let (mut last, mut prev, mut rows, mut broken) = (0_i64, String::new(), 0_i64, None);
        loop {
            let page: Vec<ChainRow> = dispatch!(db, pool => sqlx::query_as::<_, ChainRow>(sql)
                .bind(&county).bind(last).bind(PAGE).fetch_all(pool).await)?;
            let n = page.len();
            for r in page {
                rows += 1;
                if broken.is_none() {
                    if r.seq != last + 1 {
                        broken = Some((last + 1, None, format!("rows {} to {} are missing", last + 1, r.seq - 1)));
                    } else if chain_hash(&prev, r.seq, &r.entry) != r.chain_hash {
                        broken = Some((
                            r.seq,
                            Some(r.entry.id.clone()),
                            "the row does not match its chain hash (rewritten)".into(),
                        ));
                    }
                }
                last = r.seq;
                prev = r.chain_hash;
            }
            if n < PAGE as usize {
                break;
            }
        }
        if broken.is_none() && (last != head_seq || prev != head_hash) {
            broken = Some((head_seq, None, format!("the head names place {head_seq}, the last row is {last}")));
        }
        if let Some((seq, id, reason)) = broken {
            report.breaks.push(ChainBreak {
                division_code: county.clone(),
                seq,
                id,
                reason,
            });
        }
        report.counties.push(CountyChain {
            division_code: county,
            rows,
            head_seq: last,
            head_hash: prev,
        });
    }
    Ok(report)
}
