//! Registry repository: pool, counties, areas, communities, institutions, departments, staff.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{Db, StoreError, dispatch, transaction, write_one};

/// Prefecture insurance pool (统筹区) row.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Pool {
    /// Prefecture division code.
    pub division_code: String,
    /// Name.
    pub name: String,
}

/// County row.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct County {
    /// County division code.
    pub division_code: String,
    /// Prefecture code of its pool.
    pub pool_code: String,
    /// Name.
    pub name: String,
}

/// Township or village (统计用区划) row.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Area {
    /// County division code.
    pub division_code: String,
    /// 12-digit statistical code.
    pub code: String,
    /// Name.
    pub name: String,
    /// `county`, `township` or `village`.
    pub level: String,
    /// Code of the enclosing area.
    pub parent_code: Option<String>,
}

/// Medical community (医共体) row.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Community {
    /// County division code.
    pub division_code: String,
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Lead institution (牵头医院).
    pub lead_institution_id: Option<String>,
}

/// Institution row (also the API's institution schema).
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Institution {
    /// County division code.
    pub division_code: String,
    /// Id.
    pub id: String,
    /// Parent institution (a village clinic's township centre).
    pub parent_id: Option<String>,
    /// Medical community it belongs to.
    pub community_id: Option<String>,
    /// Name.
    pub name: String,
    /// `county`, `township` or `village`.
    pub tier: String,
    /// Institution kind (snake_case of `InstitutionKind`).
    pub kind: String,
    /// Unified social credit code of its legal person.
    pub credit_code: Option<String>,
    /// NHSA designated-institution code.
    pub nhsa_code: Option<String>,
    /// Service area (statistical code; its significant prefix is the scope).
    pub area_code: String,
    /// Legal person (法人).
    pub legal_person: String,
    /// Licence holder (执业许可证持有者).
    pub licence_holder: String,
    /// Insurance contract holder (医保协议主体).
    pub contract_holder: String,
    /// Optimistic version.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last updated.
    pub updated_at: DateTime<Utc>,
}

/// Department row.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Department {
    /// County division code.
    pub division_code: String,
    /// Id.
    pub id: String,
    /// Institution.
    pub institution_id: String,
    /// Name.
    pub name: String,
    /// Specialty code (e.g. `neurology`).
    pub specialty: String,
}

/// Staff member row.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Staff {
    /// County division code.
    pub division_code: String,
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Profession (physician, nurse, technician, ...).
    pub profession: String,
    /// Professional title.
    pub title: String,
    /// Qualifications as a JSON array of strings.
    pub qualifications: String,
    /// Post-owner institution (编制所在单位).
    pub post_institution_id: String,
    /// Working institution.
    pub working_institution_id: String,
    /// Department at the working institution.
    pub department_id: Option<String>,
    /// Optimistic version.
    pub version: i64,
}

const INSTITUTION_COLUMNS: &str = "division_code, id, parent_id, community_id, name, tier, kind, credit_code, nhsa_code, \
     area_code, legal_person, licence_holder, contract_holder, version, created_at, updated_at";

/// Inserts a pool.
///
/// # Errors
/// On a constraint or database error.
pub async fn insert_pool(db: &Db, p: &Pool) -> Result<(), StoreError> {
    write_one!(db, pool => sqlx::query("INSERT INTO pools (division_code, name, created_at) VALUES ($1, $2, $3)")
        .bind(&p.division_code).bind(&p.name).bind(Utc::now()).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// All pools.
///
/// # Errors
/// On a database error.
pub async fn pools(db: &Db) -> Result<Vec<Pool>, StoreError> {
    Ok(
        dispatch!(db, pool => sqlx::query_as::<_, Pool>("SELECT division_code, name FROM pools ORDER BY division_code")
        .fetch_all(pool).await)?,
    )
}

/// Inserts a county.
///
/// # Errors
/// On a constraint or database error.
pub async fn insert_county(db: &Db, c: &County) -> Result<(), StoreError> {
    write_one!(db, pool => sqlx::query("INSERT INTO counties (division_code, pool_code, name, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&c.division_code).bind(&c.pool_code).bind(&c.name).bind(Utc::now()).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// All counties, by code.
///
/// # Errors
/// On a database error.
pub async fn counties(db: &Db) -> Result<Vec<County>, StoreError> {
    Ok(
        dispatch!(db, pool => sqlx::query_as::<_, County>("SELECT division_code, pool_code, name FROM counties ORDER BY division_code")
        .fetch_all(pool).await)?,
    )
}

/// Inserts areas in one transaction.
///
/// # Errors
/// On a constraint or database error (nothing is written then).
pub async fn insert_areas(db: &Db, areas: &[Area]) -> Result<(), StoreError> {
    transaction!(db, tx => {
        for a in areas {
            sqlx::query("INSERT INTO areas (division_code, code, name, level, parent_code) VALUES ($1, $2, $3, $4, $5)")
                .bind(&a.division_code).bind(&a.code).bind(&a.name).bind(&a.level).bind(&a.parent_code)
                .execute(&mut *tx).await?;
        }
    });
    Ok(())
}

/// Areas of a county whose code lies under `prefix`, by code.
///
/// # Errors
/// On a database error.
pub async fn areas(db: &Db, county: &str, prefix: &str) -> Result<Vec<Area>, StoreError> {
    let (lo, hi) = prefix_range(prefix);
    Ok(dispatch!(db, pool => sqlx::query_as::<_, Area>(
        "SELECT division_code, code, name, level, parent_code FROM areas \
         WHERE division_code = $1 AND code >= $2 AND code < $3 ORDER BY code")
        .bind(county).bind(lo).bind(hi).fetch_all(pool).await)?)
}

/// One area by its 12-digit code.
///
/// # Errors
/// On a database error.
pub async fn area(db: &Db, code: &str) -> Result<Option<Area>, StoreError> {
    let county = code.get(..6).unwrap_or_default();
    Ok(dispatch!(db, pool => sqlx::query_as::<_, Area>(
        "SELECT division_code, code, name, level, parent_code FROM areas WHERE division_code = $1 AND code = $2")
        .bind(county).bind(code).fetch_optional(pool).await)?)
}

/// Inserts a community (its lead institution may be set later with [`set_community_lead`]).
///
/// # Errors
/// On a constraint or database error.
pub async fn insert_community(db: &Db, c: &Community) -> Result<(), StoreError> {
    write_one!(db, pool => sqlx::query(
        "INSERT INTO communities (division_code, id, name, lead_institution_id, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&c.division_code).bind(&c.id).bind(&c.name).bind(&c.lead_institution_id).bind(Utc::now())
        .execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Sets the lead institution of a community.
///
/// # Errors
/// On a constraint or database error; `NotFound` when the community does not exist.
pub async fn set_community_lead(db: &Db, division: &str, community: &str, lead: &str) -> Result<(), StoreError> {
    let n = write_one!(db, pool => sqlx::query(
        "UPDATE communities SET lead_institution_id = $1 WHERE division_code = $2 AND id = $3")
        .bind(lead).bind(division).bind(community).execute(pool).await.map(|r| r.rows_affected()))?;
    if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

/// Communities in counties whose code starts with `division_prefix`.
///
/// # Errors
/// On a database error.
pub async fn communities(db: &Db, division_prefix: &str) -> Result<Vec<Community>, StoreError> {
    let (lo, hi) = prefix_range(division_prefix);
    Ok(dispatch!(db, pool => sqlx::query_as::<_, Community>(
        "SELECT division_code, id, name, lead_institution_id FROM communities \
         WHERE division_code >= $1 AND division_code < $2 ORDER BY division_code, name")
        .bind(lo).bind(hi).fetch_all(pool).await)?)
}

/// Inserts an institution.
///
/// # Errors
/// On a constraint or database error.
pub async fn insert_institution(db: &Db, i: &Institution) -> Result<(), StoreError> {
    write_one!(db, pool => sqlx::query(
        "INSERT INTO institutions (division_code, id, parent_id, community_id, name, tier, kind, credit_code, nhsa_code, \
         area_code, legal_person, licence_holder, contract_holder, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)")
        .bind(&i.division_code).bind(&i.id).bind(&i.parent_id).bind(&i.community_id).bind(&i.name)
        .bind(&i.tier).bind(&i.kind).bind(&i.credit_code).bind(&i.nhsa_code).bind(&i.area_code)
        .bind(&i.legal_person).bind(&i.licence_holder).bind(&i.contract_holder).bind(i.version)
        .bind(i.created_at).bind(i.updated_at)
        .execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Institutions in counties whose code starts with `division_prefix`, ordered for a tree.
///
/// # Errors
/// On a database error.
pub async fn institutions(db: &Db, division_prefix: &str) -> Result<Vec<Institution>, StoreError> {
    let (lo, hi) = prefix_range(division_prefix);
    let sql = format!(
        "SELECT {INSTITUTION_COLUMNS} FROM institutions WHERE division_code >= $1 AND division_code < $2 \
         ORDER BY division_code, area_code, tier, name"
    );
    Ok(dispatch!(db, pool => sqlx::query_as::<_, Institution>(sqlx::AssertSqlSafe(sql))
        .bind(lo).bind(hi).fetch_all(pool).await)?)
}

/// One institution by id.
///
/// # Errors
/// On a database error.
pub async fn institution(db: &Db, id: &str) -> Result<Option<Institution>, StoreError> {
    let sql = format!("SELECT {INSTITUTION_COLUMNS} FROM institutions WHERE id = $1");
    Ok(dispatch!(db, pool => sqlx::query_as::<_, Institution>(sqlx::AssertSqlSafe(sql))
        .bind(id).fetch_optional(pool).await)?)
}

/// Editable attributes of an institution.
#[derive(Clone, Debug)]
pub struct InstitutionChanges {
    /// Name.
    pub name: String,
    /// Legal person.
    pub legal_person: String,
    /// Licence holder.
    pub licence_holder: String,
    /// Insurance contract holder.
    pub contract_holder: String,
    /// Unified social credit code.
    pub credit_code: Option<String>,
    /// NHSA code.
    pub nhsa_code: Option<String>,
}

/// Updates an institution if it is still at `expected_version`.
///
/// # Errors
/// `NotFound`, `VersionConflict`, or a constraint/database error.
pub async fn update_institution(db: &Db, id: &str, expected_version: i64, c: &InstitutionChanges) -> Result<Institution, StoreError> {
    let n = write_one!(db, pool => sqlx::query(
        "UPDATE institutions SET name = $1, legal_person = $2, licence_holder = $3, contract_holder = $4, \
         credit_code = $5, nhsa_code = $6, version = version + 1, updated_at = $7 WHERE id = $8 AND version = $9")
        .bind(&c.name).bind(&c.legal_person).bind(&c.licence_holder).bind(&c.contract_holder)
        .bind(&c.credit_code).bind(&c.nhsa_code).bind(Utc::now()).bind(id).bind(expected_version)
        .execute(pool).await.map(|r| r.rows_affected()))?;
    let current = institution(db, id).await?.ok_or(StoreError::NotFound)?;
    if n == 0 {
        return Err(StoreError::VersionConflict { current: current.version });
    }
    Ok(current)
}

/// Inserts a department.
///
/// # Errors
/// On a constraint or database error.
pub async fn insert_department(db: &Db, d: &Department) -> Result<(), StoreError> {
    write_one!(db, pool => sqlx::query(
        "INSERT INTO departments (division_code, id, institution_id, name, specialty, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&d.division_code).bind(&d.id).bind(&d.institution_id).bind(&d.name).bind(&d.specialty).bind(Utc::now())
        .execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Departments of an institution.
///
/// # Errors
/// On a database error.
pub async fn departments(db: &Db, division: &str, institution_id: &str) -> Result<Vec<Department>, StoreError> {
    Ok(dispatch!(db, pool => sqlx::query_as::<_, Department>(
        "SELECT division_code, id, institution_id, name, specialty FROM departments \
         WHERE division_code = $1 AND institution_id = $2 ORDER BY name")
        .bind(division).bind(institution_id).fetch_all(pool).await)?)
}

/// Inserts a staff member.
///
/// # Errors
/// On a constraint or database error.
pub async fn insert_staff(db: &Db, s: &Staff) -> Result<(), StoreError> {
    write_one!(db, pool => sqlx::query(
        "INSERT INTO staff (division_code, id, name, profession, title, qualifications, post_institution_id, \
         working_institution_id, department_id, version, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
        .bind(&s.division_code).bind(&s.id).bind(&s.name).bind(&s.profession).bind(&s.title).bind(&s.qualifications)
        .bind(&s.post_institution_id).bind(&s.working_institution_id).bind(&s.department_id).bind(s.version).bind(Utc::now())
        .execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Staff working at an institution (whatever their post-owner institution).
///
/// # Errors
/// On a database error.
pub async fn staff_working_at(db: &Db, division: &str, institution_id: &str) -> Result<Vec<Staff>, StoreError> {
    Ok(dispatch!(db, pool => sqlx::query_as::<_, Staff>(
        "SELECT division_code, id, name, profession, title, qualifications, post_institution_id, working_institution_id, \
         department_id, version FROM staff WHERE division_code = $1 AND working_institution_id = $2 ORDER BY name")
        .bind(division).bind(institution_id).fetch_all(pool).await)?)
}

/// The half-open range `[prefix, prefix + ':')` of digit strings starting with `prefix`
/// (':' sorts right after '9'), usable by an index on both backends.
pub fn prefix_range(prefix: &str) -> (String, String) {
    (prefix.to_owned(), format!("{prefix}:"))
}

/// Names of institutions by id (ids not found are absent).
///
/// # Errors
/// On a database error.
pub async fn names(db: &Db, ids: &[String]) -> Result<std::collections::HashMap<String, String>, StoreError> {
    let mut out = std::collections::HashMap::new();
    for (chunk, list) in crate::id_chunks(ids) {
        let sql = format!("SELECT id, name FROM institutions WHERE id IN ({list})");
        let rows: Vec<(String, String)> = dispatch!(db, pool => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()));
            for id in &chunk {
                q = q.bind(*id);
            }
            q.fetch_all(pool).await
        })?;
        out.extend(rows);
    }
    Ok(out)
}
