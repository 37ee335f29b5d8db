//! Seeding the demo prefecture into a database.

use chrono::Datelike;
use std::collections::BTreeMap;

use chrono::NaiveDate;
use sanyi_sim::{DemoParams, DemoWorld};
use sanyi_store::users::User;
use sanyi_store::{Db, registry, residents, users};

use crate::{ServiceError, auth};

/// Password of every demo login.
pub const DEMO_PASSWORD: &str = "sanyi2026";

/// What was seeded.
#[derive(Clone, Debug)]
pub struct DemoSummary {
    /// Counties.
    pub counties: usize,
    /// Institutions.
    pub institutions: usize,
    /// Residents.
    pub residents: usize,
    /// Logins: (username, role, display name, note).
    pub logins: Vec<(String, String, String, String)>,
}

/// The demo logins, from a generated world (used to print them when the server starts).
pub fn logins(world: &DemoWorld) -> Vec<(String, String, String, String)> {
    world
        .users
        .iter()
        .map(|u| (u.username.clone(), u.role.to_owned(), u.display_name.clone(), u.note.to_owned()))
        .collect()
}

/// Whether the database already holds a pool (then it is not seeded again).
///
/// # Errors
/// On a database error.
pub async fn is_seeded(db: &Db) -> Result<bool, ServiceError> {
    Ok(!registry::pools(db).await?.is_empty())
}

/// Writes a generated world into an empty, migrated database. `progress` receives
/// (step label, residents written so far).
///
/// # Errors
/// `Validation` when the database is not empty; a database error.
///
/// The pool gets a DRG scheme in force from 2000-01-01: the tables given in `drg_scheme` (registered
/// as `CHS-DRG`, version `demo`), or else the small synthetic scheme of `sanyi_drg::synthetic`,
/// labelled illustrative on every page that shows it.
pub async fn seed(
    db: &Db,
    params: &DemoParams,
    drg_scheme: Option<BTreeMap<String, String>>,
    progress: &(dyn Fn(&str, usize) + Sync),
) -> Result<DemoSummary, ServiceError> {
    seed_with(db, params, drg_scheme, progress, true).await
}

/// [`seed`] without the insurance year, which [`seed_insurance_year`] adds later (`serve --demo`
/// starts answering first and seeds the year in the background).
///
/// # Errors
/// As [`seed`].
pub async fn seed_registry(
    db: &Db,
    params: &DemoParams,
    drg_scheme: Option<BTreeMap<String, String>>,
    progress: &(dyn Fn(&str, usize) + Sync),
) -> Result<DemoSummary, ServiceError> {
    seed_with(db, params, drg_scheme, progress, false).await
}

/// Seeds last year's insured activity and this year's policy for the demo prefecture of `params`
/// (the same deterministic world as [`seed_registry`]).
///
/// # Errors
/// On a database error.
pub async fn seed_insurance_year(db: &Db, params: &DemoParams) -> Result<crate::insurance::demo::YearSummary, ServiceError> {
    let w = sanyi_sim::generate(params);
    insurance_year(db, &w, params).await
}

async fn insurance_year(db: &Db, w: &DemoWorld, params: &DemoParams) -> Result<crate::insurance::demo::YearSummary, ServiceError> {
    let Some(pool) = &w.pool else {
        return Ok(crate::insurance::demo::YearSummary::default());
    };
    let summary = crate::insurance::demo::seed_year(db, w, params.today.year() - 1, params.seed).await?;
    // This year's policy, so that claims of today settle at the point of care.
    crate::insurance::demo::seed_policy(db, &crate::insurance::demo::demo_policy(&pool.division_code, params.today.year())).await?;
    Ok(summary)
}

async fn seed_with(
    db: &Db,
    params: &DemoParams,
    drg_scheme: Option<BTreeMap<String, String>>,
    progress: &(dyn Fn(&str, usize) + Sync),
    with_insurance_year: bool,
) -> Result<DemoSummary, ServiceError> {
    if is_seeded(db).await? {
        return Err(ServiceError::Validation(vec![crate::FieldError::new(
            "database",
            "demo.empty_database",
            "an empty database",
            "The database already holds a registry; the demo is only seeded into an empty database",
            "数据库已有数据，演示数据只能写入空数据库",
        )]));
    }
    progress("generating", 0);
    let w = sanyi_sim::generate(params);
    progress("registry", 0);
    if let Some(p) = &w.pool {
        registry::insert_pool(db, p).await?;
    }
    for c in &w.counties {
        registry::insert_county(db, c).await?;
    }
    registry::insert_areas(db, &w.areas).await?;
    for c in &w.communities {
        let mut c = c.clone();
        let lead = c.lead_institution_id.take();
        registry::insert_community(db, &c).await?;
        // Parents first: county and township institutions precede village clinics.
        for i in w.institutions.iter().filter(|i| i.community_id.as_deref() == Some(&c.id)) {
            registry::insert_institution(db, i).await?;
        }
        if let Some(lead) = lead {
            registry::set_community_lead(db, &c.division_code, &c.id, &lead).await?;
        }
    }
    for d in &w.departments {
        registry::insert_department(db, d).await?;
    }
    for s in &w.staff {
        registry::insert_staff(db, s).await?;
    }
    let hash = auth::hash_password(DEMO_PASSWORD)?;
    for u in &w.users {
        users::insert(
            db,
            &User {
                division_code: u.division_code.clone(),
                id: sanyi_store::new_id(),
                username: u.username.clone(),
                display_name: u.display_name.clone(),
                password_hash: hash.clone(),
                role: u.role.to_owned(),
                institution_id: u.institution_id.clone(),
                scope_area: u.scope_area.clone(),
                active: true,
            },
        )
        .await?;
    }
    let mut written = 0;
    let mut households = w.households.as_slice();
    for chunk in w.residents.chunks(20_000) {
        // Households of this chunk's residents come first (they are generated in order).
        let last_household = chunk.last().and_then(|r| r.household_id.clone());
        let upto = last_household
            .and_then(|h| households.iter().position(|x| x.id == h))
            .map_or(0, |i| i + 1);
        let audit = chunk
            .first()
            .map(|r| crate::audit::system_entry(&r.division_code, "import", "resident", "-", "demo residents"));
        residents::insert_batch(db, &households[..upto], chunk, audit.as_ref()).await?;
        households = &households[upto..];
        written += chunk.len();
        progress("residents", written);
    }
    residents::insert_enrolments(db, &w.enrolments).await?;
    progress("referrals", written);
    crate::referrals::seed_demo(db, &w, chrono::Utc::now()).await?;
    crate::consultations::seed_demo(db, &w, chrono::Utc::now()).await?;
    progress("recognition", written);
    crate::recognition::demo::seed(db, &w, params.today, params.seed).await?;
    if let Some(pool) = &w.pool {
        progress("drg scheme", written);
        seed_drg_scheme(db, &pool.division_code, drg_scheme).await?;
    }
    if with_insurance_year {
        progress("insurance year", written);
        insurance_year(db, &w, params).await?;
    }
    Ok(DemoSummary {
        counties: w.counties.len(),
        institutions: w.institutions.len(),
        residents: w.residents.len(),
        logins: logins(&w),
    })
}

async fn seed_drg_scheme(db: &Db, pool: &str, files: Option<BTreeMap<String, String>>) -> Result<(), ServiceError> {
    let (files, name, version) = match files {
        Some(f) => (f, "CHS-DRG", "demo"),
        None => (sanyi_drg::synthetic::demo_files(), "示意方案", "synthetic"),
    };
    let from = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default();
    crate::drg::register(db, pool, name, version, from, files).await?;
    Ok(())
}
