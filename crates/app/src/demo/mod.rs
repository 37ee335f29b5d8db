//! Seeding the demo prefecture (演示数据): the registry, logins and residents here, then every area
//! in its own module with one signature, `seed(&Demo) -> Result<Summary, ServiceError>`:
//! [`referrals`], [`consultations`], [`recognition`], [`drg`], [`insurance`] and [`readings`].

pub mod consultations;
pub mod drg;
pub mod insurance;
pub mod medicines;
pub mod readings;
pub mod recognition;
pub mod referrals;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sanyi_sim::{DemoParams, DemoWorld};
use sanyi_store::users::User;
use sanyi_store::{registry, residents, users};

use crate::{Actor, App, ServiceError, auth};

/// What every area's seeding receives.
pub struct Demo<'a> {
    /// The services; their database is the one seeded.
    pub app: &'a App,
    /// The generated prefecture.
    pub world: &'a DemoWorld,
    /// Size, seed and "today" of the demo.
    pub params: &'a DemoParams,
    /// The clock of workflow timestamps.
    pub now: DateTime<Utc>,
    /// How many remote readings [`readings::seed`] orders.
    pub readings: usize,
    /// The DRG tables [`drg::seed`] registers (file name → text); none: the synthetic scheme.
    pub drg_tables: Option<BTreeMap<String, String>>,
}

impl<'a> Demo<'a> {
    /// The context of a demo seeded now.
    pub fn new(app: &'a App, world: &'a DemoWorld, params: &'a DemoParams) -> Demo<'a> {
        Demo {
            app,
            world,
            params,
            now: Utc::now(),
            readings: DEMO_READINGS,
            drg_tables: None,
        }
    }
}

/// Remote readings the demo seeds (each through every service, with its DICOM or ECG file).
pub const DEMO_READINGS: usize = 40;

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
pub async fn is_seeded(app: &App) -> Result<bool, ServiceError> {
    Ok(!registry::pools(&app.db).await?.is_empty())
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
    app: &App,
    params: &DemoParams,
    drg_scheme: Option<BTreeMap<String, String>>,
    progress: &(dyn Fn(&str, usize) + Sync),
) -> Result<DemoSummary, ServiceError> {
    seed_with(app, params, drg_scheme, progress, true).await
}

/// [`seed`] without the insurance year, which [`seed_insurance_year`] adds later (`serve --demo`
/// starts answering first and seeds the year in the background).
///
/// # Errors
/// As [`seed`].
pub async fn seed_registry(
    app: &App,
    params: &DemoParams,
    drg_scheme: Option<BTreeMap<String, String>>,
    progress: &(dyn Fn(&str, usize) + Sync),
) -> Result<DemoSummary, ServiceError> {
    seed_with(app, params, drg_scheme, progress, false).await
}

/// Seeds last year's insured activity and this year's policy for the demo prefecture of `params`
/// (the same deterministic world as [`seed_registry`]).
///
/// # Errors
/// On a database error.
pub async fn seed_insurance_year(app: &App, params: &DemoParams) -> Result<insurance::YearSummary, ServiceError> {
    let w = sanyi_sim::generate(params);
    insurance::seed(&Demo::new(app, &w, params)).await
}

/// Runs the settlement of the demo's insurance year (last year) for the pool, as an officer would
/// press the button, so that the insurance pages show a settled year. Returns its report (none
/// without a pool).
///
/// # Errors
/// As the settlement run.
pub async fn settle_insurance_year(app: &App, params: &DemoParams) -> Result<Option<crate::insurance::run::RunReport>, ServiceError> {
    let Some(pool) = crate::registry::pools(app).await?.into_iter().next() else {
        return Ok(None);
    };
    let year = chrono::Datelike::year(&params.today) - 1;
    // The bureau's officer runs the year, a second officer approves it (posting the ledger).
    let officer = demo_actor(app, "insurance").await?;
    let report = crate::insurance::run::run(app, &pool, year, None, officer.as_ref(), &|_, _, _| {}).await?;
    if let (Some(_), Some(chief), Some(run)) = (&officer, demo_actor(app, "insurance_chief").await?, &report.run) {
        crate::insurance::runs::approve(
            app,
            &chief,
            year,
            None,
            run.number,
            &crate::insurance::runs::ApproveInput {
                note: "演示：已核对基金预算、考核得分与结算明细".into(),
            },
        )
        .await?;
    }
    Ok(Some(report))
}

/// The demo account `username` as an actor (none when the demo has no such account).
pub(crate) async fn demo_actor(app: &App, username: &str) -> Result<Option<Actor>, ServiceError> {
    Ok(match sanyi_store::users::by_username(&app.db, username).await? {
        Some(u) => Some(Actor::from_user(&u, "demo")?),
        None => None,
    })
}

/// The demo's remote readings (after [`seed`] or [`seed_registry`], which they need): `serve
/// --demo` seeds them in the background.
///
/// # Errors
/// On a database or file-store error.
pub async fn seed_readings(app: &App) -> Result<readings::DemoReadings, ServiceError> {
    readings::seed_count(app, DEMO_READINGS).await
}

async fn seed_with(
    app: &App,
    params: &DemoParams,
    drg_scheme: Option<BTreeMap<String, String>>,
    progress: &(dyn Fn(&str, usize) + Sync),
    with_insurance_year: bool,
) -> Result<DemoSummary, ServiceError> {
    let db = &app.db;
    if is_seeded(app).await? {
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
    let demo = Demo {
        drg_tables: drg_scheme,
        ..Demo::new(app, &w, params)
    };
    progress("referrals", written);
    referrals::seed(&demo).await?;
    consultations::seed(&demo).await?;
    progress("recognition", written);
    recognition::seed(&demo).await?;
    progress("drg scheme", written);
    drg::seed(&demo).await?;
    if with_insurance_year {
        progress("insurance year", written);
        insurance::seed(&demo).await?;
    }
    Ok(DemoSummary {
        counties: w.counties.len(),
        institutions: w.institutions.len(),
        residents: w.residents.len(),
        logins: logins(&w),
    })
}
