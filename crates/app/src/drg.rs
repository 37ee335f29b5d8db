//! DRG grouping as a service: schemes registered in the database (per pool, in force from a date),
//! loaded once and kept in memory, and grouping of one case or a batch with names and a trace.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};

use chrono::{Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use sanyi_drg::{Case, GroupResult, OPTIONAL_FILES, REQUIRED_FILES, Scheme, Sex};
pub use sanyi_drg::{parse_decimal, parse_truncated};
use sanyi_store::drg::{self as repo, SchemeRow};

use crate::{Actor, App, FieldError, Permission, ServiceError, audit};

/// Largest batch accepted by [`group`].
pub const MAX_BATCH: usize = 10_000;

/// Loaded schemes by id (a national scheme takes a few hundred milliseconds to load).
#[derive(Default)]
pub struct SchemeCache {
    loaded: Mutex<HashMap<String, Arc<Scheme>>>,
}

/// Reads the scheme table files of a directory (the known table names; other files are ignored).
///
/// # Errors
/// `Validation` naming an unreadable or non-UTF-8 file.
pub fn read_scheme_dir(dir: &Path) -> Result<BTreeMap<String, String>, ServiceError> {
    let mut files = BTreeMap::new();
    for name in REQUIRED_FILES.iter().chain(OPTIONAL_FILES.iter()) {
        match std::fs::read(dir.join(name)) {
            Ok(bytes) => {
                let text = String::from_utf8(bytes).map_err(|_| {
                    ServiceError::Validation(vec![FieldError::new(
                        name,
                        "drg.scheme.utf8",
                        "UTF-8 text",
                        &format!("{name} is not UTF-8"),
                        &format!("{name} 不是 UTF-8 编码"),
                    )])
                })?;
                files.insert((*name).to_owned(), text);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(ServiceError::Validation(vec![FieldError::new(
                    name,
                    "drg.scheme.read",
                    "a readable file",
                    &format!("cannot read {name}: {e}"),
                    &format!("无法读取 {name}"),
                )]));
            }
        }
    }
    Ok(files)
}

/// What to register.
#[derive(Clone, Debug)]
pub struct SchemeImport {
    /// Pool (prefecture code).
    pub pool: String,
    /// Name, e.g. `CHS-DRG`.
    pub name: String,
    /// Version, e.g. `1.1`.
    pub version: String,
    /// In force from.
    pub valid_from: NaiveDate,
}

/// Validates scheme tables and registers them for a pool.
///
/// # Errors
/// `Forbidden` without the scheme permission; `Validation` listing every problem of the tables
/// (file, line, reason) or an unknown pool; `Conflict` for an existing name and version.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn import(app: &App, actor: &Actor, what: &SchemeImport, files: BTreeMap<String, String>) -> Result<SchemeRow, ServiceError> {
    actor.require(Permission::DrgSchemeManage)?;
    if !sanyi_store::registry::pools(&app.db)
        .await?
        .iter()
        .any(|p| p.division_code == what.pool)
        || !what.pool.starts_with(actor.scope.division_prefix())
    {
        return Err(ServiceError::Validation(vec![FieldError::new(
            "pool",
            "pool.registered",
            "the prefecture code of a registered pool in your area",
            &format!("Unknown pool {}", what.pool),
            &format!("未知统筹区 {}", what.pool),
        )]));
    }
    for (field, v) in [("name", &what.name), ("version", &what.version)] {
        if v.trim().is_empty() || v.len() > 60 {
            return Err(ServiceError::Validation(vec![FieldError::new(
                field,
                "length",
                "1 to 60 characters",
                &format!("{field} must have 1 to 60 characters"),
                &format!("{field} 应为 1 至 60 个字符"),
            )]));
        }
    }
    let (row, scheme) = register(&app.db, &what.pool, what.name.trim(), what.version.trim(), what.valid_from, files).await?;
    app.drg
        .loaded
        .lock()
        .map_err(|_| anyhow::anyhow!("scheme cache poisoned"))?
        .insert(row.id.clone(), Arc::new(scheme));
    Ok(row)
}

/// Validates scheme tables and stores them for a pool, in force from `valid_from` (no permission
/// check: callers do it). An illustrative scheme is one whose `scheme_info.tsv` carries a label.
///
/// # Errors
/// `Validation` listing every problem of the tables (file, line, reason); `Conflict` for an
/// existing name and version, or another scheme starting that day.
pub async fn register(
    db: &sanyi_store::Db,
    pool: &str,
    name: &str,
    version: &str,
    valid_from: NaiveDate,
    files: BTreeMap<String, String>,
) -> Result<(SchemeRow, Scheme), ServiceError> {
    let (scheme, files) = tokio::task::spawn_blocking(move || (Scheme::check_files(&files), files))
        .await
        .map_err(|e| ServiceError::Internal(e.into()))?;
    let scheme = scheme.map_err(|problems| {
        ServiceError::Validation(
            problems
                .iter()
                .map(|p| {
                    FieldError::new(
                        p.file,
                        "drg.scheme",
                        "a valid scheme table",
                        &p.to_string(),
                        &format!("分组方案表格错误：{p}"),
                    )
                })
                .collect(),
        )
    })?;
    let label = scheme.label().map(str::to_owned);
    let row = SchemeRow {
        division_code: pool.to_owned(),
        id: sanyi_store::new_id(),
        name: name.to_owned(),
        version: version.to_owned(),
        illustrative: label.is_some(),
        label: label.unwrap_or_else(|| format!("{name} {version}")),
        imported_at: Utc::now(),
    };
    match repo::insert(db, &row, &files, valid_from).await {
        Ok(()) => Ok((row, scheme)),
        Err(e) if e.is_unique_violation() => Err(ServiceError::Conflict(vec![FieldError::new(
            "version",
            "unique",
            "a new name/version, and one scheme per pool and start date",
            "This scheme version, or a scheme starting that day, is already registered for the pool",
            "该统筹区已登记此版本或同日生效的方案",
        )])),
        Err(e) => Err(e.into()),
    }
}

/// The scheme in force for a pool on a day, loaded.
///
/// # Errors
/// `Validation` when none is in force; `Internal` when stored tables no longer load.
#[tracing::instrument(skip_all)]
pub async fn in_force(app: &App, pool: &str, day: NaiveDate) -> Result<(SchemeRow, Arc<Scheme>), ServiceError> {
    let row = repo::in_force(&app.db, pool, day).await?.ok_or_else(|| {
        ServiceError::Validation(vec![FieldError::new(
            "date",
            "drg.scheme.in_force",
            "a date on which the pool has a DRG scheme in force",
            &format!("No DRG scheme is in force for pool {pool} on {day}"),
            &format!("统筹区 {pool} 在 {day} 没有生效的分组方案"),
        )])
    })?;
    if let Some(s) = app
        .drg
        .loaded
        .lock()
        .map_err(|_| anyhow::anyhow!("scheme cache poisoned"))?
        .get(&row.id)
    {
        return Ok((row, s.clone()));
    }
    let files = repo::files(&app.db, pool, &row.id).await?;
    let scheme = tokio::task::spawn_blocking(move || Scheme::from_files(&files))
        .await
        .map_err(|e| ServiceError::Internal(e.into()))?
        .map_err(|e| ServiceError::Internal(anyhow::anyhow!("stored scheme does not load: {e}")))?;
    let scheme = Arc::new(scheme);
    app.drg
        .loaded
        .lock()
        .map_err(|_| anyhow::anyhow!("scheme cache poisoned"))?
        .insert(row.id.clone(), scheme.clone());
    Ok((row, scheme))
}

/// One inpatient case to group (病案首页的分组要素).
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct CaseInput {
    /// Caller's id of the case, echoed back.
    #[serde(default)]
    pub case_id: Option<String>,
    /// `1` male, `2` female (anything else makes the case ungroupable).
    #[serde(default)]
    pub sex: Option<String>,
    /// Age in years (fractional below one year).
    #[serde(default)]
    pub age_years: Option<f64>,
    /// Age in days (needed below one year).
    #[serde(default)]
    pub age_days: Option<i64>,
    /// Birth weight in grams (needed for newborns up to 28 days).
    #[serde(default)]
    pub weight_g: Option<i64>,
    /// Diagnoses, ICD-10 医保版; the first is the main diagnosis.
    #[serde(default)]
    pub diagnoses: Vec<String>,
    /// Procedures, ICD-9-CM-3 医保版; the first is the main procedure (`""` for none).
    #[serde(default)]
    pub procedures: Vec<String>,
}

/// A code with its dictionary name.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct NamedCode {
    /// Code.
    pub code: String,
    /// Chinese name from the scheme's dictionary, if loaded.
    pub name_zh: Option<String>,
}

/// One explanation step.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TraceLine {
    /// Chinese.
    pub zh: String,
    /// English.
    pub en: String,
}

/// The grouping of one case.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CaseResult {
    /// The caller's case id.
    pub case_id: Option<String>,
    /// `grouped` or `ungroupable`.
    pub status: String,
    /// Why ungroupable (stable code).
    pub reason: Option<String>,
    /// Why ungroupable (Chinese).
    pub reason_zh: Option<String>,
    /// MDC.
    pub mdc: Option<String>,
    /// ADRG.
    pub adrg: Option<String>,
    /// DRG (`0000` when ungroupable).
    pub drg: String,
    /// Chinese DRG name.
    pub name_zh: Option<String>,
    /// Relative weight of the DRG for the pool and year, when the scheme carries one.
    pub weight: Option<String>,
    /// Diagnoses with names.
    pub diagnoses: Vec<NamedCode>,
    /// Procedures with names.
    pub procedures: Vec<NamedCode>,
    /// Rules tried and the one that fired (when asked for).
    pub trace: Vec<TraceLine>,
}

/// A batch to group.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct GroupRequest {
    /// Pool whose scheme applies (default: the caller's pool).
    #[serde(default)]
    pub pool: Option<String>,
    /// Date whose scheme applies (default: today).
    #[serde(default)]
    pub date: Option<NaiveDate>,
    /// Return the trace of each case.
    #[serde(default)]
    pub explain: bool,
    /// The cases (1 to 10,000 with `case`).
    #[serde(default)]
    pub cases: Vec<CaseInput>,
    /// A single case (grouped before `cases`).
    #[serde(default)]
    pub case: Option<CaseInput>,
}

/// The grouped batch.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct GroupResponse {
    /// Scheme used.
    pub scheme: SchemeView,
    /// One result per case, in order.
    pub results: Vec<CaseResult>,
}

/// A scheme as shown to users.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SchemeView {
    /// Id.
    pub id: String,
    /// Pool.
    pub pool: String,
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Label.
    pub label: String,
    /// Illustrative (synthetic) scheme, not a real grouping standard.
    pub illustrative: bool,
}

impl From<&SchemeRow> for SchemeView {
    fn from(r: &SchemeRow) -> Self {
        SchemeView {
            id: r.id.clone(),
            pool: r.division_code.clone(),
            name: r.name.clone(),
            version: r.version.clone(),
            label: r.label.clone(),
            illustrative: r.illustrative,
        }
    }
}

/// The caller's pool: the prefecture of their area.
pub fn pool_of(actor: &Actor) -> String {
    let p = actor.scope.prefix();
    if p.len() >= 4 {
        format!("{}00", &p[..4])
    } else {
        actor.division_code.clone()
    }
}

/// Groups a batch with the scheme in force for the pool and date.
///
/// # Errors
/// `Validation` for an empty or oversized batch, a pool outside the caller's area, or no scheme in
/// force.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn group(app: &App, actor: &Actor, mut req: GroupRequest) -> Result<GroupResponse, ServiceError> {
    actor.require(Permission::DrgGroup)?;
    if let Some(c) = req.case.take() {
        req.cases.insert(0, c);
    }
    if req.cases.is_empty() || req.cases.len() > MAX_BATCH {
        return Err(ServiceError::Validation(vec![FieldError::new(
            "cases",
            "drg.batch",
            &format!("1 to {MAX_BATCH} cases"),
            "The batch must hold 1 to 10,000 cases",
            "每批 1 至 10000 例",
        )]));
    }
    let pool = match req.pool.as_deref() {
        Some(p) => sanyi_domain::DivisionCode::parse(p)
            .map_err(|e| ServiceError::Validation(vec![FieldError::from_invalid("pool", &e)]))?
            .as_str()
            .to_owned(),
        None => pool_of(actor),
    };
    // The pool is a prefecture (4 significant digits): the caller's area must lie in it.
    if !actor.scope.division_prefix().starts_with(&pool[..4]) && !pool.starts_with(actor.scope.division_prefix()) {
        return Err(ServiceError::Validation(vec![FieldError::new(
            "pool",
            "scope.pool",
            "your own pool",
            "The pool lies outside your area",
            "该统筹区不在您的范围内",
        )]));
    }
    let day = req.date.unwrap_or_else(sanyi_domain::time::today);
    let (row, scheme) = in_force(app, &pool, day).await?;
    let explain = req.explain;
    let year = day.year();
    let pool2 = pool.clone();
    let n = req.cases.len();
    let results = tokio::task::spawn_blocking(move || req.cases.iter().map(|c| one(&scheme, &pool2, year, c, explain)).collect::<Vec<_>>())
        .await
        .map_err(|e| ServiceError::Internal(e.into()))?;
    app.audit
        .record(audit::entry(
            actor,
            &actor.division_code,
            "drg_group",
            "drg",
            &row.id,
            None,
            &format!("{n} cases"),
        ))
        .await?;
    Ok(GroupResponse {
        scheme: (&row).into(),
        results,
    })
}

/// The grouper's case from an API case.
pub fn case_of(c: &CaseInput) -> Case {
    Case {
        sex: c.sex.as_deref().and_then(Sex::from_code),
        age_years: c.age_years.filter(|v| v.is_finite()),
        age_days: c.age_days,
        weight_g: c.weight_g,
        diagnoses: c.diagnoses.iter().map(|d| d.trim().to_owned()).collect(),
        procedures: c.procedures.iter().map(|p| p.trim().to_owned()).collect(),
    }
}

fn one(scheme: &Scheme, pool: &str, year: i32, c: &CaseInput, explain: bool) -> CaseResult {
    let case = case_of(c);
    let r: GroupResult<'_> = if explain { scheme.explain(&case) } else { scheme.group(&case) };
    let named = |codes: &[String], f: &dyn Fn(&str) -> Option<String>| {
        codes
            .iter()
            .filter(|c| !c.is_empty())
            .map(|c| NamedCode {
                code: c.clone(),
                name_zh: f(c),
            })
            .collect()
    };
    CaseResult {
        case_id: c.case_id.clone(),
        status: if r.is_grouped() { "grouped".into() } else { "ungroupable".into() },
        reason: r.reason().map(|x| x.as_str().to_owned()),
        reason_zh: r.reason().map(|x| x.message_zh().to_owned()),
        mdc: r.mdc.map(str::to_owned),
        adrg: r.adrg.map(str::to_owned),
        drg: r.drg_code().to_owned(),
        name_zh: r.name_zh.map(str::to_owned),
        weight: r.drg.and_then(|d| scheme.weight(pool, year, d)).map(|w| w.weight.to_string()),
        diagnoses: named(&case.diagnoses, &|c| scheme.diagnosis_name(c).map(str::to_owned)),
        procedures: named(&case.procedures, &|c| scheme.procedure_name(c).map(str::to_owned)),
        trace: r
            .trace
            .as_ref()
            .map(|t| {
                t.steps
                    .iter()
                    .map(|s| TraceLine {
                        zh: s.message_zh(),
                        en: s.message_en(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// Schemes registered for the pools in the caller's area.
///
/// # Errors
/// On a database error.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn schemes(app: &App, actor: &Actor) -> Result<Vec<SchemeView>, ServiceError> {
    Ok(repo::list(
        &app.db,
        actor.scope.division_prefix().get(..4).unwrap_or(actor.scope.division_prefix()),
    )
    .await?
    .iter()
    .map(Into::into)
    .collect())
}
