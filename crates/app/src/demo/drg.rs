//! The demo pool's DRG scheme: the national tables when given, else the small synthetic scheme
//! labelled illustrative wherever it shows.

use super::Demo;
use crate::ServiceError;
use chrono::NaiveDate;

/// Registers the scheme in force from 2000-01-01: the demo's `drg_tables` (as `CHS-DRG`, version `demo`) or the
/// synthetic scheme of `sanyi_drg::synthetic`. Returns the scheme's name (none without a pool).
///
/// # Errors
/// `Validation` when the tables do not load; a database error.
pub async fn seed(demo: &Demo<'_>) -> Result<Option<&'static str>, ServiceError> {
    let Some(pool) = &demo.world.pool else { return Ok(None) };
    let (files, name, version) = match demo.drg_tables.clone() {
        Some(f) => (f, "CHS-DRG", "demo"),
        None => (sanyi_drg::synthetic::demo_files(), "示意方案", "synthetic"),
    };
    let from = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default();
    crate::drg::register(&demo.app.db, &pool.division_code, name, version, from, files).await?;
    Ok(Some(name))
}
