//! The pool's item catalogue as versioned data (医保目录) and the community's volume-based
//! procurement projects (集采项目): selected products, reported demand and agreed volumes, and the
//! insurance prepayment of a contracted project.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::audit::AuditEntry;
use crate::{Db, Page, Paged, StoreError, audit_insert_in_tx, dispatch, transaction};

/// A catalogue version of a pool.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct CatalogueVersionRow {
    /// Pool code.
    pub division_code: String,
    /// Id.
    pub id: String,
    /// Version label.
    pub version: String,
    /// First day in force.
    pub effective_from: NaiveDate,
    /// The demo's illustrative catalogue (never the national list).
    pub illustrative: bool,
    /// File or origin it was imported from.
    pub source: String,
    /// Number of items.
    pub item_count: i64,
    /// Imported by (user id).
    pub created_by: String,
    /// Imported at.
    pub created_at: DateTime<Utc>,
}

/// One catalogue item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct CatalogueItemRow {
    /// NHSA code.
    pub code: String,
    /// `drug`, `consumable`, `service`.
    pub kind: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Generic name (drugs; empty otherwise).
    pub generic_name: String,
    /// Dosage form (drugs).
    pub dosage_form: String,
    /// Strength.
    pub strength: String,
    /// Pack.
    pub pack: String,
    /// Manufacturer.
    pub manufacturer: String,
    /// `A`, `B`, `C` (甲/乙/丙).
    pub category: String,
    /// Self-paid share of a 乙 item before pooling, basis points (none: the policy's).
    pub self_pay_bp: Option<i64>,
    /// Price cap per unit, fen.
    pub price_cap: i64,
    /// Unit.
    pub unit: String,
    /// Sold at purchase price (零加成).
    pub zero_markup: bool,
    /// Price caps by level of care, JSON `{level: fen}` (none: `price_cap` everywhere).
    pub tier_caps: Option<String>,
}

const ITEM_COLUMNS: &str = "code, kind, name_zh, name_en, generic_name, dosage_form, strength, pack, manufacturer, category, \
                            self_pay_bp, price_cap, unit, zero_markup, tier_caps";

/// Stores a new catalogue version with all its items and the audit entry, in one transaction.
///
/// # Errors
/// A unique violation when the label or the start day is taken.
pub async fn insert_version(db: &Db, v: &CatalogueVersionRow, items: &[CatalogueItemRow], audit: &AuditEntry) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO catalogue_items (division_code, version_id, {ITEM_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
    );
    transaction!(db, tx => {
        sqlx::query("INSERT INTO catalogue_versions (division_code, id, version, effective_from, illustrative, source, item_count, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(&v.division_code).bind(&v.id).bind(&v.version).bind(v.effective_from).bind(v.illustrative)
            .bind(&v.source).bind(v.item_count).bind(&v.created_by).bind(v.created_at)
            .execute(&mut *tx).await?;
        for it in items {
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(&v.division_code).bind(&v.id).bind(&it.code).bind(&it.kind).bind(&it.name_zh).bind(&it.name_en)
                .bind(&it.generic_name).bind(&it.dosage_form).bind(&it.strength).bind(&it.pack).bind(&it.manufacturer)
                .bind(&it.category).bind(it.self_pay_bp).bind(it.price_cap).bind(&it.unit).bind(it.zero_markup)
                .bind(&it.tier_caps)
                .execute(&mut *tx).await?;
        }
        audit_insert_in_tx!(tx, audit);
    });
    Ok(())
}

/// The catalogue versions of a pool, oldest first.
///
/// # Errors
/// On a database error.
pub async fn versions(db: &Db, pool: &str) -> Result<Vec<CatalogueVersionRow>, StoreError> {
    let sql = "SELECT division_code, id, version, effective_from, illustrative, source, item_count, created_by, created_at \
               FROM catalogue_versions WHERE division_code = $1 ORDER BY effective_from";
    Ok(dispatch!(db, p => sqlx::query_as::<_, CatalogueVersionRow>(sql).bind(pool).fetch_all(p).await)?)
}

/// Every item of a version, by code.
///
/// # Errors
/// On a database error.
pub async fn items(db: &Db, pool: &str, version_id: &str) -> Result<Vec<CatalogueItemRow>, StoreError> {
    let sql = format!("SELECT {ITEM_COLUMNS} FROM catalogue_items WHERE division_code = $1 AND version_id = $2 ORDER BY code");
    Ok(
        dispatch!(db, p => sqlx::query_as::<_, CatalogueItemRow>(sqlx::AssertSqlSafe(sql.clone())).bind(pool).bind(version_id).fetch_all(p).await)?,
    )
}

/// A search of a version's items.
#[derive(Clone, Debug, Default)]
pub struct ItemQuery {
    /// Part of the code, name, generic name or manufacturer.
    pub text: Option<String>,
    /// `drug`, `consumable`, `service`.
    pub kind: Option<String>,
    /// `A`, `B`, `C`.
    pub category: Option<String>,
}

/// One page of a version's items matching the query, by code.
///
/// # Errors
/// On a database error.
pub async fn search(db: &Db, pool: &str, version_id: &str, q: &ItemQuery, page: Page) -> Result<Paged<CatalogueItemRow>, StoreError> {
    let text = q.text.as_deref().map(|t| format!("%{}%", t.replace(['%', '_'], "")));
    let filter = "FROM catalogue_items WHERE division_code = $1 AND version_id = $2 \
                  AND ($3 IS NULL OR code LIKE $3 OR name_zh LIKE $3 OR lower(name_en) LIKE lower($3) OR generic_name LIKE $3 OR manufacturer LIKE $3) \
                  AND ($4 IS NULL OR kind = $4) AND ($5 IS NULL OR category = $5)";
    let count_sql = format!("SELECT COUNT(*) {filter}");
    let sql = format!("SELECT {ITEM_COLUMNS} {filter} ORDER BY code LIMIT $6 OFFSET $7");
    let (items, total) = dispatch!(db, p => {
        let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql.clone())).bind(pool).bind(version_id).bind(&text).bind(&q.kind).bind(&q.category)
            .fetch_one(p).await?;
        let items = sqlx::query_as::<_, CatalogueItemRow>(sqlx::AssertSqlSafe(sql.clone())).bind(pool).bind(version_id).bind(&text).bind(&q.kind).bind(&q.category)
            .bind(page.limit).bind(page.offset).fetch_all(p).await?;
        Ok::<_, sqlx::Error>((items, total))
    })?;
    Ok(Paged::new(items, total, page))
}

/// A procurement project row.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ProjectRow {
    /// County of the community.
    pub division_code: String,
    /// Id.
    pub id: String,
    /// Project code (e.g. the batch number).
    pub code: String,
    /// Name.
    pub name: String,
    /// `national`, `provincial`, `alliance`.
    pub level: String,
    /// Community taking part.
    pub community_id: String,
    /// Contract start.
    pub starts_on: NaiveDate,
    /// Contract end (inclusive).
    pub ends_on: NaiveDate,
    /// The contract period this one renews.
    pub renewal_of: Option<String>,
    /// The contract's policy parameters, JSON.
    pub rules: String,
    /// `reporting` (demand open) or `contracted` (agreed volumes fixed).
    pub state: String,
    /// When the agreed volumes were fixed.
    pub contracted_at: Option<DateTime<Utc>>,
    /// Created by (user id).
    pub created_by: String,
    /// Created at.
    pub created_at: DateTime<Utc>,
}

/// A selected product of a project.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ProductRow {
    /// Project.
    pub project_id: String,
    /// Catalogue code.
    pub item_code: String,
    /// Generic name.
    pub generic_name: String,
    /// Dosage form.
    pub dosage_form: String,
    /// Winning firm.
    pub firm: String,
    /// Selected unit price, fen.
    pub selected_price: i64,
    /// Baseline unit price, fen.
    pub baseline_price: i64,
}

const PROJECT_COLUMNS: &str = "division_code, id, code, name, level, community_id, starts_on, ends_on, renewal_of, rules, state, \
                               contracted_at, created_by, created_at";

/// Stores a project with its products and the audit entry.
///
/// # Errors
/// A unique violation when the code is taken in the county.
pub async fn insert_project(db: &Db, p: &ProjectRow, products: &[ProductRow], audit: &AuditEntry) -> Result<(), StoreError> {
    transaction!(db, tx => {
        sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO procurement_projects ({PROJECT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)")))
            .bind(&p.division_code).bind(&p.id).bind(&p.code).bind(&p.name).bind(&p.level).bind(&p.community_id)
            .bind(p.starts_on).bind(p.ends_on).bind(&p.renewal_of).bind(&p.rules).bind(&p.state).bind(p.contracted_at)
            .bind(&p.created_by).bind(p.created_at)
            .execute(&mut *tx).await?;
        for pr in products {
            sqlx::query("INSERT INTO procurement_products (division_code, project_id, item_code, generic_name, dosage_form, firm, selected_price, baseline_price) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(&p.division_code).bind(&p.id).bind(&pr.item_code).bind(&pr.generic_name).bind(&pr.dosage_form).bind(&pr.firm)
                .bind(pr.selected_price).bind(pr.baseline_price)
                .execute(&mut *tx).await?;
        }
        audit_insert_in_tx!(tx, audit);
    });
    Ok(())
}

/// The projects of the counties under `prefix` (a county code or a pool prefix), newest first.
///
/// # Errors
/// On a database error.
pub async fn projects(db: &Db, prefix: &str) -> Result<Vec<ProjectRow>, StoreError> {
    let sql = format!("SELECT {PROJECT_COLUMNS} FROM procurement_projects WHERE division_code LIKE $1 ORDER BY starts_on DESC, code");
    let like = format!("{prefix}%");
    Ok(dispatch!(db, p => sqlx::query_as::<_, ProjectRow>(sqlx::AssertSqlSafe(sql.clone())).bind(&like).fetch_all(p).await)?)
}

/// One project.
///
/// # Errors
/// On a database error.
pub async fn project(db: &Db, county: &str, id: &str) -> Result<Option<ProjectRow>, StoreError> {
    let sql = format!("SELECT {PROJECT_COLUMNS} FROM procurement_projects WHERE division_code = $1 AND id = $2");
    Ok(dispatch!(db, p => sqlx::query_as::<_, ProjectRow>(sqlx::AssertSqlSafe(sql.clone())).bind(county).bind(id).fetch_optional(p).await)?)
}

/// The selected products of the projects of a county (all, or one project), by generic.
///
/// # Errors
/// On a database error.
pub async fn products(db: &Db, county: &str, project_id: Option<&str>) -> Result<Vec<ProductRow>, StoreError> {
    let sql = "SELECT project_id, item_code, generic_name, dosage_form, firm, selected_price, baseline_price FROM procurement_products \
               WHERE division_code = $1 AND ($2 IS NULL OR project_id = $2) ORDER BY generic_name, dosage_form, item_code";
    Ok(dispatch!(db, p => sqlx::query_as::<_, ProductRow>(sql).bind(county).bind(project_id).fetch_all(p).await)?)
}

/// One institution's demand of one generic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct DemandRow {
    /// Project.
    pub project_id: String,
    /// Institution.
    pub institution_id: String,
    /// Generic name.
    pub generic_name: String,
    /// Dosage form.
    pub dosage_form: String,
    /// Reported annual demand, units.
    pub reported_units: i64,
    /// Agreed volume, units.
    pub agreed_units: i64,
}

/// Replaces the reported demand (and derived agreed volumes) of the given institutions' rows of a
/// project still open for reporting, with the audit entry; refuses once the project is contracted.
///
/// # Errors
/// `Constraint(Check)` when the project is no longer open for reporting.
pub async fn put_demands(db: &Db, county: &str, project_id: &str, rows: &[DemandRow], audit: &AuditEntry) -> Result<(), StoreError> {
    let now = Utc::now();
    transaction!(db, tx => {
        let open: Option<String> = sqlx::query_scalar("SELECT state FROM procurement_projects WHERE division_code = $1 AND id = $2")
            .bind(county).bind(project_id).fetch_optional(&mut *tx).await?;
        if open.as_deref() != Some("reporting") {
            return Err(StoreError::Constraint {
                kind: crate::ConstraintKind::Check,
                constraint: "procurement_projects.state = reporting".into(),
                columns: vec!["state".into()],
            });
        }
        for r in rows {
            sqlx::query("INSERT INTO procurement_demands (division_code, project_id, institution_id, generic_name, dosage_form, reported_units, agreed_units, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                         ON CONFLICT (division_code, project_id, institution_id, generic_name, dosage_form) \
                         DO UPDATE SET reported_units = excluded.reported_units, agreed_units = excluded.agreed_units, updated_at = excluded.updated_at")
                .bind(county).bind(project_id).bind(&r.institution_id).bind(&r.generic_name).bind(&r.dosage_form)
                .bind(r.reported_units).bind(r.agreed_units).bind(now)
                .execute(&mut *tx).await?;
        }
        audit_insert_in_tx!(tx, audit);
    });
    Ok(())
}

/// The demands of a project (or of every project of the county), by institution and generic.
///
/// # Errors
/// On a database error.
pub async fn demands(db: &Db, county: &str, project_id: Option<&str>) -> Result<Vec<DemandRow>, StoreError> {
    let sql = "SELECT project_id, institution_id, generic_name, dosage_form, reported_units, agreed_units FROM procurement_demands \
               WHERE division_code = $1 AND ($2 IS NULL OR project_id = $2) ORDER BY institution_id, generic_name, dosage_form";
    Ok(dispatch!(db, p => sqlx::query_as::<_, DemandRow>(sql).bind(county).bind(project_id).fetch_all(p).await)?)
}

/// A project's insurance prepayment.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct PrepaymentRow {
    /// County.
    pub division_code: String,
    /// Project.
    pub project_id: String,
    /// Prepaid, fen.
    pub amount: i64,
    /// The annual agreed purchase amount it was computed from, fen.
    pub agreed_amount: i64,
    /// Credited on (the contract start).
    pub credited_on: NaiveDate,
}

/// Fixes the agreed volumes of a project (state `reporting` → `contracted`) and credits its
/// prepayment, in one transaction with the audit entry.
///
/// # Errors
/// `Constraint(Check)` when the project is not open for reporting (contracted twice).
pub async fn contract(db: &Db, prepayment: &PrepaymentRow, audit: &AuditEntry) -> Result<(), StoreError> {
    let now = Utc::now();
    transaction!(db, tx => {
        let done = sqlx::query("UPDATE procurement_projects SET state = 'contracted', contracted_at = $1 \
                                WHERE division_code = $2 AND id = $3 AND state = 'reporting'")
            .bind(now).bind(&prepayment.division_code).bind(&prepayment.project_id)
            .execute(&mut *tx).await?.rows_affected();
        if done != 1 {
            return Err(StoreError::Constraint {
                kind: crate::ConstraintKind::Check,
                constraint: "procurement_projects.state = reporting".into(),
                columns: vec!["state".into()],
            });
        }
        sqlx::query("INSERT INTO procurement_prepayments (division_code, project_id, amount, agreed_amount, credited_on, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&prepayment.division_code).bind(&prepayment.project_id).bind(prepayment.amount).bind(prepayment.agreed_amount)
            .bind(prepayment.credited_on).bind(now)
            .execute(&mut *tx).await?;
        audit_insert_in_tx!(tx, audit);
    });
    Ok(())
}

/// The prepayments of the counties under `prefix`.
///
/// # Errors
/// On a database error.
pub async fn prepayments(db: &Db, prefix: &str) -> Result<Vec<PrepaymentRow>, StoreError> {
    let sql = "SELECT division_code, project_id, amount, agreed_amount, credited_on FROM procurement_prepayments \
               WHERE division_code LIKE $1 ORDER BY credited_on, project_id";
    let like = format!("{prefix}%");
    Ok(dispatch!(db, p => sqlx::query_as::<_, PrepaymentRow>(sql).bind(&like).fetch_all(p).await)?)
}
