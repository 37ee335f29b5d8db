//! CHS-DRG schemes stored in the database: their table files, and which one is in force for a pool
//! from which date.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::{Db, StoreError, dispatch, transaction};

/// A registered scheme.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct SchemeRow {
    /// Pool (prefecture code).
    pub division_code: String,
    /// Id.
    pub id: String,
    /// Name, e.g. `CHS-DRG`.
    pub name: String,
    /// Version, e.g. `1.1`.
    pub version: String,
    /// Label shown with results (e.g. "示意方案" for an illustrative scheme).
    pub label: String,
    /// Whether the scheme is illustrative (synthetic), not a real grouping standard.
    pub illustrative: bool,
    /// When it was imported.
    pub imported_at: DateTime<Utc>,
}

/// Stores a scheme and its files, and puts it in force from `valid_from`, in one transaction.
///
/// # Errors
/// `Constraint { kind: "unique" }` when the pool already has that name and version, or an
/// assignment on that date; other database errors.
pub async fn insert(db: &Db, s: &SchemeRow, files: &BTreeMap<String, String>, valid_from: NaiveDate) -> Result<(), StoreError> {
    transaction!(db, tx => {
        sqlx::query("INSERT INTO drg_schemes (division_code, id, name, version, label, illustrative, imported_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(&s.division_code).bind(&s.id).bind(&s.name).bind(&s.version).bind(&s.label).bind(s.illustrative).bind(s.imported_at)
            .execute(&mut *tx).await?;
        for (name, content) in files {
            sqlx::query("INSERT INTO drg_scheme_files (division_code, scheme_id, file_name, content) VALUES ($1, $2, $3, $4)")
                .bind(&s.division_code).bind(&s.id).bind(name).bind(content)
                .execute(&mut *tx).await?;
        }
        sqlx::query("INSERT INTO drg_scheme_assignments (division_code, id, scheme_id, valid_from, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&s.division_code).bind(crate::new_id()).bind(&s.id).bind(valid_from).bind(Utc::now())
            .execute(&mut *tx).await?;
    });
    Ok(())
}

/// Schemes of pools whose code starts with `prefix`, newest first.
///
/// # Errors
/// On a database error.
pub async fn list(db: &Db, prefix: &str) -> Result<Vec<SchemeRow>, StoreError> {
    let (lo, hi) = crate::registry::prefix_range(prefix);
    Ok(dispatch!(db, pool => sqlx::query_as::<_, SchemeRow>(
        "SELECT division_code, id, name, version, label, illustrative, imported_at FROM drg_schemes \
         WHERE division_code >= $1 AND division_code < $2 ORDER BY imported_at DESC")
        .bind(lo).bind(hi).fetch_all(pool).await)?)
}

/// The scheme in force for `pool` on `day`.
///
/// # Errors
/// On a database error.
pub async fn in_force(db: &Db, pool: &str, day: NaiveDate) -> Result<Option<SchemeRow>, StoreError> {
    Ok(dispatch!(db, pool_ => sqlx::query_as::<_, SchemeRow>(
        "SELECT s.division_code, s.id, s.name, s.version, s.label, s.illustrative, s.imported_at \
         FROM drg_scheme_assignments a JOIN drg_schemes s ON s.division_code = a.division_code AND s.id = a.scheme_id \
         WHERE a.division_code = $1 AND a.valid_from <= $2 ORDER BY a.valid_from DESC LIMIT 1")
        .bind(pool).bind(day).fetch_optional(pool_).await)?)
}

/// The table files of a scheme.
///
/// # Errors
/// On a database error.
pub async fn files(db: &Db, pool: &str, scheme_id: &str) -> Result<BTreeMap<String, String>, StoreError> {
    let rows: Vec<(String, String)> = dispatch!(db, p => sqlx::query_as(
        "SELECT file_name, content FROM drg_scheme_files WHERE division_code = $1 AND scheme_id = $2")
        .bind(pool).bind(scheme_id).fetch_all(p).await)?;
    Ok(rows.into_iter().collect())
}
