//! sanyi's store: the only crate that speaks SQL.
//!
//! One code path serves both backends. [`Db`] is an enum of the two concrete sqlx pools; every
//! repository function writes its SQL once (with `$n` placeholders, used in ascending order, which
//! both SQLite and PostgreSQL accept) and the [`dispatch!`] macro compiles the body once per
//! backend, so PostgreSQL keeps its native types (DATE, TIMESTAMPTZ, BOOLEAN) while SQLite stores
//! their text forms. Migrations are embedded per backend (`migrations/sqlite`,
//! `migrations/postgres`, same version numbers).
//!
//! Modules are repositories by area: [`registry`] (pool, counties, areas, communities,
//! institutions, departments, staff), [`residents`] (master patient index, households, merges,
//! enrolment), [`users`] (accounts and sessions), [`audit`] (the append-only, hash-chained audit
//! log), [`workflow`] (what referrals, consultations and readings share: events, get, lists, the
//! timers' scan, per-state counts), [`referrals`], [`consultations`] (with guests, call sessions
//! and the centre's roster), [`readings`] (with DICOM studies and instances, ECG records),
//! [`attachments`] (of referrals and consultations), [`files`] (the content-addressed file store),
//! [`recognition`] (mutual recognition of results: catalogue, participants, results, orders,
//! savings), [`drg`] (schemes per pool and their tables), [`insurance`] (policies, fund years,
//! claims with accumulators, fraud flags), [`settlement`] (settlement runs as an append-only
//! history, their approvals and the fund's ledger).
//!
//! SQLite has one writer per database: write transactions queue per database file
//! ([`sqlite_writer`]). Constraint errors say which kind and which columns
//! ([`ConstraintKind`]); the app maps them to field errors.

pub mod attachments;
pub mod audit;
pub mod consultations;
pub mod drg;
pub mod eligibility;
mod error;
pub mod files;
pub mod insurance;
pub mod medicines;
pub mod overspend;
pub mod pharmacy;
pub mod readings;
pub mod recognition;
pub mod referrals;
pub mod registry;
pub mod residents;
pub mod settlement;
pub mod users;
pub mod workflow;

pub use error::{ConstraintKind, StoreError};

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

/// Runs `$body` with `$pool` bound to the concrete pool of either backend.
#[macro_export]
macro_rules! dispatch {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::Db::Sqlite($pool) => $body,
            $crate::Db::Postgres($pool) => $body,
        }
    };
}

/// Runs one write statement `$body` with `$pool` bound to the concrete pool, queued behind the
/// other writes to the same SQLite database like [`transaction!`] (a write outside the queue would
/// meet a long transaction in SQLite's busy handler and fail after its timeout).
#[macro_export]
macro_rules! write_one {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::Db::Sqlite($pool) => {
                let writer = $crate::sqlite_writer($pool);
                let _queued = writer.lock().await;
                $body
            }
            $crate::Db::Postgres($pool) => $body,
        }
    };
}

/// The write queue of one SQLite database file (see [`transaction!`]): every pool the process opens
/// on the same file shares it, pools on other files have their own.
#[doc(hidden)]
pub fn sqlite_writer(pool: &SqlitePool) -> std::sync::Arc<tokio::sync::Mutex<()>> {
    static QUEUES: std::sync::LazyLock<
        std::sync::Mutex<std::collections::HashMap<std::path::PathBuf, std::sync::Arc<tokio::sync::Mutex<()>>>>,
    > = std::sync::LazyLock::new(Default::default);
    let file = pool.connect_options().get_filename().to_path_buf();
    let mut queues = QUEUES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    queues.entry(file).or_default().clone()
}

/// Runs `$body` inside one transaction `$tx` on either backend; commits when it returns `Ok`.
#[macro_export]
macro_rules! transaction {
    ($db:expr, $tx:ident => $body:expr) => {
        match $db {
            $crate::Db::Sqlite(pool) => {
                // SQLite has one writer per database: queue write transactions to the same file
                // (first come, first served) instead of letting them collide and back off in the
                // busy handler; other databases the process opens have their own queue.
                let writer = $crate::sqlite_writer(pool);
                let _queued = writer.lock().await;
                let mut $tx = pool.begin().await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
            $crate::Db::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
        }
    };
}

/// A connection pool to one of the two supported databases.
#[derive(Clone, Debug)]
pub enum Db {
    /// Embedded SQLite file (WAL, foreign keys on).
    Sqlite(SqlitePool),
    /// PostgreSQL server.
    Postgres(PgPool),
}

/// Which backend a [`Db`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Db {
    /// Connects to `url`: `postgres://` or `postgresql://` selects PostgreSQL, anything else is a
    /// SQLite file path (created when missing; `sqlite:` prefix optional).
    ///
    /// # Errors
    /// When the database cannot be opened or reached.
    pub async fn connect(url: &str) -> Result<Db, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await?;
            Ok(Db::Postgres(pool))
        } else {
            let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
            let options = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))?
                .create_if_missing(true)
                .foreign_keys(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .pragma("cache_size", "-262144")
                .pragma("mmap_size", "2147418112")
                .pragma("temp_store", "memory");
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .min_connections(1)
                .connect_with(options)
                .await?;
            Ok(Db::Sqlite(pool))
        }
    }

    /// A pool of a single connection to the same database, for bulk writers: on SQLite every
    /// connection has its own page cache, and a pool handing out connections in turn keeps them
    /// all cold. On PostgreSQL the pool itself is returned.
    ///
    /// # Errors
    /// When the connection cannot be opened.
    pub async fn single_connection(&self) -> Result<Db, StoreError> {
        match self {
            Db::Sqlite(pool) => {
                let options = (*pool.connect_options()).clone();
                Ok(Db::Sqlite(SqlitePoolOptions::new().max_connections(1).connect_with(options).await?))
            }
            Db::Postgres(_) => Ok(self.clone()),
        }
    }

    /// The backend of this pool.
    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies the embedded migrations of this backend.
    ///
    /// # Errors
    /// When a migration fails or an applied migration was edited.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Db::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await?,
            Db::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await?,
        }
        residents::fill_name_initials(self).await?;
        Ok(())
    }

    /// Answers whether the database is reachable.
    ///
    /// # Errors
    /// When it is not.
    pub async fn ping(&self) -> Result<(), StoreError> {
        dispatch!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    /// Runs SQL text without parameters (administration and tests: `CREATE DATABASE`, ...).
    ///
    /// # Errors
    /// On a database error.
    pub async fn execute_unprepared(&self, sql: &str) -> Result<u64, StoreError> {
        use sqlx::Executor;
        let sql = sql.to_owned();
        Ok(match self {
            Db::Sqlite(pool) => pool.execute(sqlx::AssertSqlSafe(sql)).await?.rows_affected(),
            Db::Postgres(pool) => pool.execute(sqlx::AssertSqlSafe(sql)).await?.rows_affected(),
        })
    }

    /// Closes every connection (flushes the SQLite WAL on the last one).
    pub async fn close(&self) {
        dispatch!(self, pool => pool.close().await);
    }

    /// Names of the user tables and their columns, sorted: used by schema-convention tests.
    ///
    /// # Errors
    /// On a database error.
    pub async fn schema(&self) -> Result<Vec<(String, Vec<String>)>, StoreError> {
        let rows: Vec<(String, String)> = match self {
            Db::Sqlite(pool) => {
                sqlx::query_as(
                    "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p \
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%' \
                     ORDER BY m.name, p.name",
                )
                .fetch_all(pool)
                .await?
            }
            Db::Postgres(pool) => {
                sqlx::query_as(
                    "SELECT table_name::text, column_name::text FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name NOT LIKE '_sqlx%' \
                     ORDER BY table_name, column_name",
                )
                .fetch_all(pool)
                .await?
            }
        };
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for (table, column) in rows {
            match out.last_mut() {
                Some((t, cols)) if *t == table => cols.push(column),
                _ => out.push((table, vec![column])),
            }
        }
        Ok(out)
    }

    /// Primary and unique keys as `(table, key name, columns)`: used by the schema-convention test
    /// that keeps every key shardable by `division_code`.
    ///
    /// # Errors
    /// On a database error.
    pub async fn unique_keys(&self) -> Result<Vec<(String, String, Vec<String>)>, StoreError> {
        let rows: Vec<(String, String, String)> = match self {
            Db::Sqlite(pool) => {
                sqlx::query_as(
                    "SELECT m.name, l.name, i.name FROM sqlite_master m, pragma_index_list(m.name) l, pragma_index_info(l.name) i \
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%' AND l.\"unique\" = 1 \
                     ORDER BY 1, 2, i.seqno",
                )
                .fetch_all(pool)
                .await?
            }
            Db::Postgres(pool) => {
                sqlx::query_as(
                    "SELECT t.relname::text, c.relname::text, a.attname::text FROM pg_index x \
                     JOIN pg_class c ON c.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid \
                     JOIN pg_namespace n ON n.oid = t.relnamespace \
                     JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord) ON true \
                     JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
                     WHERE x.indisunique AND n.nspname = current_schema() AND t.relname NOT LIKE '_sqlx%' \
                     ORDER BY 1, 2, k.ord",
                )
                .fetch_all(pool)
                .await?
            }
        };
        let mut out: Vec<(String, String, Vec<String>)> = Vec::new();
        for (table, key, column) in rows {
            match out.last_mut() {
                Some((t, k, cols)) if *t == table && *k == key => cols.push(column),
                _ => out.push((table, key, vec![column])),
            }
        }
        Ok(out)
    }

    /// Foreign keys as `(table, column)` pairs of the referencing side.
    ///
    /// # Errors
    /// On a database error.
    pub async fn foreign_key_columns(&self) -> Result<Vec<(String, String)>, StoreError> {
        let rows: Vec<(String, String)> = match self {
            Db::Sqlite(pool) => {
                sqlx::query_as(
                    "SELECT m.name, f.\"from\" FROM sqlite_master m, pragma_foreign_key_list(m.name) f \
                     WHERE m.type = 'table' ORDER BY 1, 2",
                )
                .fetch_all(pool)
                .await?
            }
            Db::Postgres(pool) => {
                sqlx::query_as(
                    "SELECT kcu.table_name::text, kcu.column_name::text \
                     FROM information_schema.table_constraints tc \
                     JOIN information_schema.key_column_usage kcu \
                       ON tc.constraint_name = kcu.constraint_name AND tc.table_schema = kcu.table_schema \
                     WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema() \
                     ORDER BY 1, 2",
                )
                .fetch_all(pool)
                .await?
            }
        };
        Ok(rows)
    }
}

/// A new time-ordered id (UUIDv7, hyphenated text).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A page request: `limit` rows after skipping `offset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    /// Rows to skip.
    pub offset: i64,
    /// Rows to return at most.
    pub limit: i64,
}

/// One page of results with the total count.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Paged<T> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// All rows matching, over all pages.
    pub total: i64,
    /// Offset of this page.
    pub offset: i64,
    /// Limit of this page.
    pub limit: i64,
}

impl<T> Paged<T> {
    /// The page `page` of `items`, out of `total` matching rows.
    pub fn new(items: Vec<T>, total: i64, page: Page) -> Paged<T> {
        Paged {
            items,
            total,
            offset: page.offset,
            limit: page.limit,
        }
    }

    /// The same page with each row turned into something else.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Paged<U> {
        Paged {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            offset: self.offset,
            limit: self.limit,
        }
    }
}

/// The distinct ids of `ids` in chunks of at most 500, each with its `$1, $2, …` placeholder list:
/// a caller may pass one id per row of a large report, and a statement holds a bounded number of
/// parameters (32 766 on SQLite, 65 535 on PostgreSQL).
pub(crate) fn id_chunks(ids: &[String]) -> Vec<(Vec<&String>, String)> {
    let mut unique: Vec<&String> = ids.iter().collect();
    unique.sort_unstable();
    unique.dedup();
    unique
        .chunks(500)
        .map(|c| {
            let list: Vec<String> = (1..=c.len()).map(|i| format!("${i}")).collect();
            (c.to_vec(), list.join(", "))
        })
        .collect()
}
