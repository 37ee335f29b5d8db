//! The cross-institution index of results (检查检验结果索引): results pushed through the API,
//! imported from CSV, or recorded by another module (a finalised reading).
//!
//! Every result is checked the same way: a registered resident (by record id or ID number, inside
//! the caller's area), an item of the resident's pool's recognition catalogue (or an equivalent), a
//! value, a report time not in the future, the producing institution (the caller's own, or one of
//! their area for administrators). A report already stored (same producer and report number) is
//! left as it is, so sending it twice stores it once.
//!
//! For another module that writes in its own transaction:
//!
//! ```ignore
//! let row = sanyi_app::recognition::results::result_row(app, &producer_id, &input, ResultSource::Reading).await?;
//! sanyi_store::transaction!(&app.db, tx => {
//!     // … the module's own writes …
//!     sanyi_store::result_insert_in_tx!(tx, &row);
//! });
//! ```

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use sanyi_care::recognition::{self as engine, RecognisedItem};
use sanyi_domain::ResidentId;
use sanyi_store::recognition::{self as repo, ItemRow, ResultRow};
use sanyi_store::registry::{self, Institution};
use sanyi_store::residents::{self as residents_repo, Resident, ResidentScope};

use super::{engine_item, engine_participant};
use crate::import::{CsvTable, ImportReport, reject};
use crate::{Actor, App, FieldError, Permission, Role, ServiceError, audit};

/// Where a result came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResultSource {
    /// A CSV import.
    Csv,
    /// Pushed through the API.
    Api,
    /// A finalised remote reading (imaging, ECG).
    Reading,
}

impl ResultSource {
    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            ResultSource::Csv => "csv",
            ResultSource::Api => "api",
            ResultSource::Reading => "reading",
        }
    }
}

/// A result to record (检查检验结果).
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct ResultInput {
    /// Resident record id (or give `id_number`).
    #[serde(default)]
    pub resident_id: Option<String>,
    /// Resident ID number (GB 11643), looked up in the caller's area.
    #[serde(default)]
    pub id_number: Option<String>,
    /// Item code of the recognition catalogue (or an equivalent).
    pub item_code: String,
    /// Value or finding.
    pub value: String,
    /// Unit.
    #[serde(default)]
    pub unit: Option<String>,
    /// Reference range as printed.
    #[serde(default)]
    pub reference_range: Option<String>,
    /// `normal`, `high`, `low` or `abnormal`.
    #[serde(default)]
    pub abnormal: Option<String>,
    /// Report time: RFC 3339, or `YYYY-MM-DD[ HH:MM[:SS]]` in Asia/Shanghai time.
    pub reported_at: String,
    /// The producer's report number (报告单号); the same number is stored once.
    #[serde(default)]
    pub report_no: Option<String>,
    /// Producing institution (default: the caller's; administrators may name one of their area).
    #[serde(default)]
    pub institution_id: Option<String>,
}

/// A stored result with its source and HR mark.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ResultView {
    /// Id.
    pub id: String,
    /// Resident record id.
    pub resident_id: String,
    /// Item code.
    pub item_code: String,
    /// Item name (from the catalogue).
    pub item_name: String,
    /// Value or finding.
    pub value: String,
    /// Unit.
    pub unit: Option<String>,
    /// Reference range.
    pub reference_range: Option<String>,
    /// `normal`, `high`, `low`, `abnormal`.
    pub abnormal: Option<String>,
    /// Producing institution.
    pub institution_id: String,
    /// Its name.
    pub institution_name: String,
    /// Reported at.
    pub reported_at: DateTime<Utc>,
    /// Report day (Asia/Shanghai).
    pub reported_on: NaiveDate,
    /// `csv`, `api` or `reading`.
    pub source: String,
    /// Report number.
    pub report_no: String,
    /// The recognition mark (`昌吉州HR`) when the producer takes part in the item's scope in good
    /// QC standing.
    pub hr_mark: Option<String>,
}

/// What a push recorded.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RecordedResults {
    /// Results newly stored.
    pub inserted: u64,
    /// Reports already stored (unchanged).
    pub already_present: u64,
    /// The results as stored.
    pub results: Vec<ResultView>,
}

const ABNORMAL: [&str; 4] = ["normal", "high", "low", "abnormal"];

fn shanghai() -> FixedOffset {
    sanyi_domain::time::beijing()
}

/// Parses a report time: RFC 3339, or a local (Asia/Shanghai) date with an optional time.
fn parse_reported(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let local = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .or_else(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)))?;
    shanghai().from_local_datetime(&local).single().map(|t| t.with_timezone(&Utc))
}

/// The Asia/Shanghai calendar day of an instant.
pub fn shanghai_day(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&shanghai()).date_naive()
}

fn trimmed(s: Option<&str>, max: usize) -> Result<Option<String>, ()> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(v) if v.chars().count() <= max => Ok(Some(v.to_owned())),
        Some(_) => Err(()),
    }
}

fn too_long(field: &str, max: usize) -> FieldError {
    FieldError::new(
        field,
        "length",
        &format!("at most {max} characters"),
        &format!("{field} is too long"),
        &format!("{field} 不能超过 {max} 个字符"),
    )
}

/// Checks results and turns them into rows, with caches for the lookups a file repeats.
struct Intake<'a> {
    app: &'a App,
    scope: ResidentScope,
    /// The producer when the input names none.
    own: Option<String>,
    /// A division prefix under which the caller may name another producer.
    may_name: Option<String>,
    pools: HashMap<String, String>,
    catalogues: HashMap<String, Vec<RecognisedItem>>,
    producers: HashMap<String, Option<Institution>>,
    now: DateTime<Utc>,
}

impl<'a> Intake<'a> {
    fn for_actor(app: &'a App, actor: &Actor) -> Intake<'a> {
        Intake {
            app,
            scope: actor.scope.clone(),
            own: actor.institution_id.clone(),
            may_name: (actor.role == Role::Administrator).then(|| actor.scope.division_prefix().to_owned()),
            pools: HashMap::new(),
            catalogues: HashMap::new(),
            producers: HashMap::new(),
            now: Utc::now(),
        }
    }

    fn for_producer(app: &'a App, producer: &str) -> Intake<'a> {
        Intake {
            app,
            scope: ResidentScope::all(),
            own: Some(producer.to_owned()),
            may_name: None,
            pools: HashMap::new(),
            catalogues: HashMap::new(),
            producers: HashMap::new(),
            now: Utc::now(),
        }
    }

    async fn resident(&self, input: &ResultInput, errs: &mut Vec<FieldError>) -> Result<Option<Resident>, ServiceError> {
        let unknown = |field: &str| {
            FieldError::new(
                field,
                "resident.unknown",
                "a resident registered in your area",
                "Unknown resident",
                "居民不存在或不在您的服务范围内",
            )
        };
        if let Some(id) = input.resident_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            let r = residents_repo::get(&self.app.db, &self.scope, id)
                .await?
                .filter(|r| r.status == "active");
            if r.is_none() {
                errs.push(unknown("resident_id"));
            }
            return Ok(r);
        }
        let Some(number) = input.id_number.as_deref().map(str::trim).filter(|s| !s.is_empty()) else {
            errs.push(FieldError::required("id_number"));
            return Ok(None);
        };
        let parsed = match ResidentId::parse(number) {
            Ok(p) => p,
            Err(e) => {
                errs.push(FieldError::from_invalid("id_number", &e));
                return Ok(None);
            }
        };
        let mut found: Vec<Resident> = residents_repo::by_id_number(&self.app.db, &self.scope, parsed.as_str())
            .await?
            .into_iter()
            .filter(|r| r.status == "active")
            .collect();
        match found.len() {
            0 => errs.push(unknown("id_number")),
            1 => return Ok(found.pop()),
            _ => errs.push(FieldError::new(
                "id_number",
                "resident.ambiguous",
                "an ID number registered in one county of your area",
                "The ID number is registered in several counties; give resident_id",
                "该身份证号在多个县登记，请使用居民档案 ID",
            )),
        }
        Ok(None)
    }

    async fn producer(&mut self, input: &ResultInput, errs: &mut Vec<FieldError>) -> Result<Option<Institution>, ServiceError> {
        let named = input.institution_id.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let Some(id) = named.or(self.own.as_deref()).map(str::to_owned) else {
            errs.push(FieldError::required("institution_id"));
            return Ok(None);
        };
        if self.own.as_deref() != Some(id.as_str()) && self.may_name.is_none() {
            errs.push(FieldError::new(
                "institution_id",
                "institution.own",
                "your own institution",
                "Only administrators record results of another institution",
                "只能上传本机构的结果",
            ));
            return Ok(None);
        }
        if !self.producers.contains_key(&id) {
            let found = registry::institution(&self.app.db, &id).await?;
            self.producers.insert(id.clone(), found);
        }
        let prefix = self.may_name.as_deref().unwrap_or("");
        let found = self
            .producers
            .get(&id)
            .cloned()
            .flatten()
            .filter(|i| self.own.as_deref() == Some(i.id.as_str()) || i.division_code.starts_with(prefix));
        if found.is_none() {
            errs.push(FieldError::new(
                "institution_id",
                "institution.scope",
                "an institution of your area",
                "Unknown producing institution",
                "出具机构不存在或不在您的管辖范围内",
            ));
        }
        Ok(found)
    }

    /// The catalogue item of the resident's pool that `code` names (directly or as an equivalent).
    async fn item(&mut self, county: &str, code: &str) -> Result<Option<RecognisedItem>, ServiceError> {
        if !self.pools.contains_key(county) {
            let pool = repo::pool_of(&self.app.db, county).await?.unwrap_or_default();
            self.pools.insert(county.to_owned(), pool);
        }
        let pool = self.pools.get(county).cloned().unwrap_or_default();
        if !self.catalogues.contains_key(&pool) {
            let items = repo::items(&self.app.db, &pool)
                .await?
                .iter()
                .map(engine_item)
                .collect::<Result<Vec<_>, _>>()?;
            self.catalogues.insert(pool.clone(), items);
        }
        Ok(self.catalogues.get(&pool).and_then(|c| engine::item_of(c, code)).cloned())
    }

    /// The row of one input, or every failing field.
    async fn row(&mut self, input: &ResultInput, source: ResultSource) -> Result<Result<ResultRow, Vec<FieldError>>, ServiceError> {
        let mut errs = Vec::new();
        let resident = self.resident(input, &mut errs).await?;
        let producer = self.producer(input, &mut errs).await?;
        let code = input.item_code.trim();
        if code.is_empty() {
            errs.push(FieldError::required("item_code"));
        } else if let Some(r) = &resident
            && self.item(&r.division_code.clone(), code).await?.is_none()
        {
            errs.push(FieldError::new(
                "item_code",
                "recognition.item",
                "an item of the recognition catalogue",
                &format!("Unknown item code {code}"),
                &format!("互认目录中没有项目 {code}"),
            ));
        }
        let value = input.value.trim();
        if value.is_empty() {
            errs.push(FieldError::required("value"));
        } else if value.chars().count() > 500 {
            errs.push(too_long("value", 500));
        }
        let abnormal = input.abnormal.as_deref().map(str::trim).filter(|s| !s.is_empty());
        if let Some(a) = abnormal
            && !ABNORMAL.contains(&a)
        {
            errs.push(FieldError::new(
                "abnormal",
                "enum",
                "normal, high, low or abnormal",
                "Unknown abnormal flag",
                "异常标志应为 normal、high、low 或 abnormal",
            ));
        }
        let reported_at = parse_reported(&input.reported_at);
        match reported_at {
            None => errs.push(FieldError::new(
                "reported_at",
                "datetime",
                "RFC 3339, or YYYY-MM-DD[ HH:MM[:SS]] in Asia/Shanghai time",
                "Unreadable report time",
                "报告时间格式错误",
            )),
            Some(t) if t > self.now + chrono::Duration::minutes(5) => errs.push(FieldError::new(
                "reported_at",
                "date.past",
                "a time not in the future",
                "The report time lies in the future",
                "报告时间不能晚于当前时间",
            )),
            Some(_) => {}
        }
        let mut text = |field: &str, v: Option<&str>, max: usize| {
            trimmed(v, max).unwrap_or_else(|()| {
                errs.push(too_long(field, max));
                None
            })
        };
        let unit = text("unit", input.unit.as_deref(), 32);
        let reference_range = text("reference_range", input.reference_range.as_deref(), 64);
        let report_no = text("report_no", input.report_no.as_deref(), 64);
        let (Some(resident), Some(producer), Some(reported_at), true) = (resident, producer, reported_at, errs.is_empty()) else {
            return Ok(Err(errs));
        };
        let id = sanyi_store::new_id();
        Ok(Ok(ResultRow {
            division_code: resident.division_code,
            report_no: report_no.unwrap_or_else(|| id.clone()),
            id,
            resident_id: resident.id,
            item_code: code.to_owned(),
            value: value.to_owned(),
            unit,
            reference_range,
            abnormal: abnormal.map(str::to_owned),
            producer_division_code: producer.division_code,
            producer_institution_id: producer.id,
            reported_on: shanghai_day(reported_at),
            reported_at,
            source: source.code().into(),
            created_at: self.now,
        }))
    }
}

fn entry_for(actor: &Actor, r: &ResultRow, action: &str) -> sanyi_store::audit::AuditEntry {
    audit::entry(
        actor,
        &r.division_code,
        action,
        "result",
        &r.id,
        Some(&r.resident_id),
        &format!("{} from {} ({})", r.item_code, r.producer_institution_id, r.source),
    )
}

/// Views of stored results with item names, producer names and HR marks.
pub(crate) async fn views(app: &App, catalogue: &[ItemRow], rows: &[ResultRow]) -> Result<Vec<ResultView>, ServiceError> {
    let items = catalogue.iter().map(engine_item).collect::<Result<Vec<_>, _>>()?;
    let mut ids: Vec<String> = rows.iter().map(|r| r.producer_institution_id.clone()).collect();
    ids.sort();
    ids.dedup();
    let names = registry::names(&app.db, &ids).await?;
    let participants = repo::participants_of(&app.db, &ids)
        .await?
        .iter()
        .map(engine_participant)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows
        .iter()
        .map(|r| {
            let item = engine::item_of(&items, &r.item_code);
            let hr_mark = item.and_then(|i| {
                participants
                    .iter()
                    .any(|p| p.institution == r.producer_institution_id && p.qc_passed && p.scopes.contains(&i.scope))
                    .then(|| i.scope.clone())
            });
            ResultView {
                id: r.id.clone(),
                resident_id: r.resident_id.clone(),
                item_code: r.item_code.clone(),
                item_name: item.map(|i| i.name.clone()).unwrap_or_default(),
                value: r.value.clone(),
                unit: r.unit.clone(),
                reference_range: r.reference_range.clone(),
                abnormal: r.abnormal.clone(),
                institution_id: r.producer_institution_id.clone(),
                institution_name: names.get(&r.producer_institution_id).cloned().unwrap_or_default(),
                reported_at: r.reported_at,
                reported_on: r.reported_on,
                source: r.source.clone(),
                report_no: r.report_no.clone(),
                hr_mark,
            }
        })
        .collect())
}

/// The stored rows for what was sent: a report already stored is returned as it is stored.
async fn as_stored(app: &App, rows: Vec<ResultRow>) -> Result<Vec<ResultRow>, ServiceError> {
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let stored = repo::result_by_report(&app.db, &r.division_code, &r.producer_institution_id, &r.report_no).await?;
        out.push(stored.unwrap_or(r));
    }
    Ok(out)
}

async fn views_of(app: &App, rows: &[ResultRow]) -> Result<Vec<ResultView>, ServiceError> {
    let mut pools: Vec<String> = Vec::new();
    for county in rows
        .iter()
        .map(|r| r.division_code.as_str())
        .collect::<std::collections::BTreeSet<_>>()
    {
        pools.extend(repo::pool_of(&app.db, county).await?);
    }
    pools.dedup();
    let mut catalogue = Vec::new();
    for p in pools {
        catalogue.extend(repo::items(&app.db, &p).await?);
    }
    views(app, &catalogue, rows).await
}

/// Records results pushed through the API: all are checked first, and nothing is stored when one
/// fails (`batch` prefixes the fields with `results[i].`). Each result is audited in the same
/// transaction.
///
/// # Errors
/// `Forbidden` without the permission; `Validation` naming every failing field.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn push(app: &App, actor: &Actor, inputs: &[ResultInput], batch: bool) -> Result<RecordedResults, ServiceError> {
    actor.require(Permission::ResultWrite)?;
    if inputs.is_empty() {
        return Err(ServiceError::Validation(vec![FieldError::required("results")]));
    }
    if inputs.len() > 10_000 {
        return Err(ServiceError::Validation(vec![FieldError::new(
            "results",
            "length",
            "at most 10 000 results per request",
            "Too many results in one request; import a CSV file instead",
            "单次最多上传 10 000 条结果，更多请用 CSV 导入",
        )]));
    }
    let mut intake = Intake::for_actor(app, actor);
    let mut rows = Vec::with_capacity(inputs.len());
    let mut errs = Vec::new();
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    for (i, input) in inputs.iter().enumerate() {
        let prefix = |f: &str| if batch { format!("results[{i}].{f}") } else { f.to_owned() };
        match intake.row(input, ResultSource::Api).await? {
            Ok(r) => {
                let key = (r.producer_institution_id.clone(), r.report_no.clone());
                if let Some(first) = seen.insert(key, i) {
                    errs.push(FieldError::new(
                        &prefix("report_no"),
                        "unique",
                        "each report number once per request",
                        &format!("Same report number as results[{first}]"),
                        &format!("与第 {first} 条结果的报告单号重复"),
                    ));
                }
                rows.push(r);
            }
            Err(e) => errs.extend(e.into_iter().map(|mut f| {
                f.field = prefix(&f.field);
                f
            })),
        }
    }
    if !errs.is_empty() {
        return Err(ServiceError::Validation(errs));
    }
    let audits: Vec<_> = rows.iter().map(|r| entry_for(actor, r, "create")).collect();
    let inserted = repo::insert_results(&app.db, &rows, &audits).await?;
    let stored = as_stored(app, rows).await?;
    Ok(RecordedResults {
        inserted,
        already_present: stored.len() as u64 - inserted,
        results: views_of(app, &stored).await?,
    })
}

/// Checks the result of another module (e.g. a finalised DR reading) and returns the row to store,
/// without writing: the module stores it in its own transaction with
/// `sanyi_store::result_insert_in_tx!(tx, &row)` beside its audit entry. The producing institution
/// is the one given; the resident is looked up by record id (or ID number) in every county, as the
/// module has checked its own scope.
///
/// # Errors
/// `Validation` naming every failing field; a database error.
#[tracing::instrument(skip_all)]
pub async fn result_row(
    app: &App,
    producer_institution_id: &str,
    input: &ResultInput,
    source: ResultSource,
) -> Result<ResultRow, ServiceError> {
    Intake::for_producer(app, producer_institution_id)
        .row(input, source)
        .await?
        .map_err(ServiceError::Validation)
}

/// Records one result of another module by itself (checked as [`result_row`], stored with its
/// audit entry for `actor` in one transaction). A report already stored is returned as stored.
///
/// # Errors
/// As [`result_row`].
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn record_result(
    app: &App,
    actor: &Actor,
    producer_institution_id: &str,
    input: &ResultInput,
    source: ResultSource,
) -> Result<ResultView, ServiceError> {
    let row = result_row(app, producer_institution_id, input, source).await?;
    repo::insert_result(&app.db, &row, &entry_for(actor, &row, "create")).await?;
    let stored = as_stored(app, vec![row]).await?;
    views_of(app, &stored)
        .await?
        .pop()
        .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("recorded result vanished")))
}

/// Rows per write of an import.
const BATCH: usize = 10_000;

/// Imports results from CSV text (header line; columns by name: `id_number` or `resident_id`,
/// `item_code`, `value`, `reported_at` required; `unit`, `reference_range`, `abnormal`,
/// `report_no`, `institution_id` optional). Every bad row is reported with its line and the rules it
/// broke; good rows are committed in batches; a report already stored is counted as present.
///
/// # Errors
/// `Forbidden` without the import permission; `Validation` when the header lacks a required column
/// (nothing is written); a database error (batches committed before it stay).
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn results_csv<R: std::io::Read>(
    app: &App,
    actor: &Actor,
    input: R,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ImportReport, ServiceError> {
    actor.require(Permission::ResultImport)?;
    let mut table = CsvTable::open(input)?;
    let mut missing = Vec::new();
    let item_code = table.require("item_code", &mut missing);
    let value = table.require("value", &mut missing);
    let reported_at = table.require("reported_at", &mut missing);
    let (id_number, resident_id) = (table.find("id_number"), table.find("resident_id"));
    if id_number.is_none() && resident_id.is_none() {
        table.require("id_number", &mut missing);
    }
    if !missing.is_empty() {
        return Err(ServiceError::Validation(missing));
    }
    let optional = ["unit", "reference_range", "abnormal", "report_no", "institution_id"].map(|c| table.find(c));
    let mut report = ImportReport::default();
    let mut intake = Intake::for_actor(app, actor);
    let mut seen: HashMap<(String, String), u64> = HashMap::new();
    let mut rows = Vec::with_capacity(BATCH);
    while let Some((line, usable)) = table.next_row() {
        report.rows += 1;
        if report.rows % 10_000 == 0 {
            progress(report.rows);
        }
        if let Err(errs) = usable {
            reject(&mut report, line, errs);
            continue;
        }
        let own = |i: Option<usize>| table.opt(i).map(str::to_owned);
        let [unit, reference_range, abnormal, report_no, institution_id] = optional.map(own);
        let input = ResultInput {
            resident_id: own(resident_id),
            id_number: own(id_number),
            item_code: table.cell(item_code).to_owned(),
            value: table.cell(value).to_owned(),
            unit,
            reference_range,
            abnormal,
            reported_at: table.cell(reported_at).to_owned(),
            report_no,
            institution_id,
        };
        let row = match intake.row(&input, ResultSource::Csv).await? {
            Ok(r) => r,
            Err(errs) => {
                reject(&mut report, line, errs);
                continue;
            }
        };
        if let Some(first) = seen.get(&(row.producer_institution_id.clone(), row.report_no.clone())) {
            reject(
                &mut report,
                line,
                vec![FieldError::new(
                    "report_no",
                    "csv.duplicate",
                    "each report number of a producer once per file",
                    &format!("Same report number as line {first}"),
                    &format!("与第 {first} 行报告单号重复"),
                )],
            );
            continue;
        }
        seen.insert((row.producer_institution_id.clone(), row.report_no.clone()), line);
        rows.push(row);
        if rows.len() >= BATCH {
            write(app, actor, &mut rows, &mut report).await?;
        }
    }
    write(app, actor, &mut rows, &mut report).await?;
    progress(report.rows);
    Ok(report)
}

async fn write(app: &App, actor: &Actor, rows: &mut Vec<ResultRow>, report: &mut ImportReport) -> Result<(), ServiceError> {
    if rows.is_empty() {
        return Ok(());
    }
    let audits: Vec<_> = rows.iter().map(|r| entry_for(actor, r, "import")).collect();
    let inserted = repo::insert_results(&app.db, rows, &audits).await?;
    report.inserted += inserted;
    report.already_present += rows.len() as u64 - inserted;
    rows.clear();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_times_are_read_in_shanghai_time() {
        let t = parse_reported("2026-03-08 07:30").unwrap_or_default();
        assert_eq!(t.to_rfc3339(), "2026-03-07T23:30:00+00:00");
        assert_eq!(shanghai_day(t), NaiveDate::from_ymd_opt(2026, 3, 8).unwrap_or_default());
        let z = parse_reported("2026-03-07T23:30:00Z").unwrap_or_default();
        assert_eq!(z, t);
        assert_eq!(parse_reported("2026-03-08").map(shanghai_day), NaiveDate::from_ymd_opt(2026, 3, 8));
        assert_eq!(parse_reported("08/03/2026"), None);
        assert_eq!(parse_reported("2026-02-30"), None);
    }
}
