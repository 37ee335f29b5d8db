//! Bulk import of residents from CSV (居民批量导入).
//!
//! Columns by header name: `id_number`, `name`, `village_code` (required), `phone`, `address`,
//! `household_no`, `household_role` (optional); extra columns are ignored. Each bad row is
//! reported with its line number and every failing field; good rows are committed in batches.
//! A row whose ID number is already registered in its county is counted as already present and
//! changes nothing, so importing the same file twice changes nothing the second time.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::Utc;
use serde::Serialize;
use utoipa::ToSchema;

use sanyi_store::audit::AuditEntry;
use sanyi_store::registry;
use sanyi_store::residents::{self as repo, Household, Resident};

use crate::residents::{RawResident, household_id, validate_fields};
use crate::{Actor, App, FieldError, Permission, ServiceError, audit};

/// Rows parsed before they are written (in transactions of [`TRANSACTION_ROWS`]).
const BATCH: usize = 100_000;
/// Residents per write transaction (each with its audit row).
const TRANSACTION_ROWS: usize = 10_000;
/// Rejected rows listed in a report at most (all are counted).
const MAX_LISTED: usize = 1_000;

/// One rejected row.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RowError {
    /// Line number in the file (the header is line 1).
    pub line: u64,
    /// Every failing field of the row.
    pub errors: Vec<FieldError>,
}

/// Outcome of an import.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct ImportReport {
    /// Data rows read.
    pub rows: u64,
    /// Rows newly stored (residents registered, results indexed).
    pub inserted: u64,
    /// Rows already stored, left unchanged (an ID number registered in the county; a report of the
    /// same producer with the same report number).
    pub already_present: u64,
    /// Rows rejected.
    pub rejected_count: u64,
    /// The first rejected rows with reasons.
    pub rejected: Vec<RowError>,
}

struct Columns {
    id_number: usize,
    name: usize,
    village_code: usize,
    phone: Option<usize>,
    address: Option<usize>,
    household_no: Option<usize>,
    household_role: Option<usize>,
}

/// A CSV file with a header line, read row by row (shared by the imports): columns are found by
/// header name, and each row that is not well-formed CSV, has another number of cells than the
/// header or is not UTF-8 comes back as its errors.
pub(crate) struct CsvTable<R: std::io::Read> {
    reader: csv::Reader<R>,
    record: csv::ByteRecord,
    names: Vec<String>,
    line: u64,
}

impl<R: std::io::Read> CsvTable<R> {
    /// Reads the header line.
    ///
    /// # Errors
    /// `Validation` naming `file` when the file is empty or unreadable.
    pub(crate) fn open(input: R) -> Result<Self, ServiceError> {
        let mut reader = csv::ReaderBuilder::new().flexible(true).has_headers(false).from_reader(input);
        let mut record = csv::ByteRecord::new();
        let header_ok = reader.read_byte_record(&mut record).map_err(|e| {
            ServiceError::Validation(vec![FieldError::new(
                "file",
                "csv.syntax",
                "a CSV file with a header line",
                &format!("Unreadable CSV: {e}"),
                "CSV 文件无法读取",
            )])
        })?;
        if !header_ok {
            return Err(ServiceError::Validation(vec![FieldError::new(
                "file",
                "csv.empty",
                "a header line and data rows",
                "The file is empty",
                "文件为空",
            )]));
        }
        let names = record
            .iter()
            .map(|h| String::from_utf8_lossy(h).trim().trim_start_matches('\u{feff}').to_owned())
            .collect();
        Ok(CsvTable {
            reader,
            record,
            names,
            line: 1,
        })
    }

    /// The index of a column.
    pub(crate) fn find(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|h| h == name)
    }

    /// The index of a required column, recording an error in `missing` when there is none.
    pub(crate) fn require(&self, name: &str, missing: &mut Vec<FieldError>) -> usize {
        self.find(name).unwrap_or_else(|| {
            missing.push(FieldError::new(
                name,
                "csv.column",
                &format!("a header column named {name}"),
                &format!("Missing column {name}"),
                &format!("缺少列 {name}"),
            ));
            0
        })
    }

    /// The next data row as its line number and, when it is not usable, its errors; `None` at the end.
    pub(crate) fn next_row(&mut self) -> Option<(u64, Result<(), Vec<FieldError>>)> {
        let more = match self.reader.read_byte_record(&mut self.record) {
            Ok(m) => m,
            Err(e) => {
                self.line += 1;
                return Some((
                    self.line,
                    Err(vec![FieldError::new(
                        "row",
                        "csv.syntax",
                        "a well-formed CSV row",
                        &format!("Malformed CSV row: {e}"),
                        "CSV 行格式错误",
                    )]),
                ));
            }
        };
        if !more {
            return None;
        }
        self.line = self.record.position().map_or(self.line + 1, |p| p.line());
        let n_header = self.names.len();
        if self.record.len() != n_header {
            return Some((
                self.line,
                Err(vec![FieldError::new(
                    "row",
                    "csv.columns",
                    &format!("{n_header} cells"),
                    &format!("The row has {} cells, the header {}", self.record.len(), n_header),
                    "列数与表头不一致",
                )]),
            ));
        }
        if std::str::from_utf8(self.record.as_slice()).is_err() {
            return Some((
                self.line,
                Err(vec![FieldError::new(
                    "row",
                    "csv.utf8",
                    "UTF-8 text",
                    "The row is not valid UTF-8",
                    "该行不是 UTF-8 编码",
                )]),
            ));
        }
        if self.record.as_slice().contains(&0) {
            return Some((
                self.line,
                Err(vec![FieldError::new(
                    "row",
                    "text.nul",
                    "text without NUL characters",
                    "The row holds a NUL character",
                    "该行含有空字符（NUL）",
                )]),
            ));
        }
        Some((self.line, Ok(())))
    }

    /// A cell of the current row (empty when absent).
    pub(crate) fn cell(&self, i: usize) -> &str {
        self.record.get(i).and_then(|c| std::str::from_utf8(c).ok()).unwrap_or("")
    }

    /// An optional column's cell of the current row.
    pub(crate) fn opt(&self, i: Option<usize>) -> Option<&str> {
        i.map(|i| self.cell(i))
    }
}

fn columns<R: std::io::Read>(table: &CsvTable<R>) -> Result<Columns, ServiceError> {
    let mut missing = Vec::new();
    let c = Columns {
        id_number: table.require("id_number", &mut missing),
        name: table.require("name", &mut missing),
        village_code: table.require("village_code", &mut missing),
        phone: table.find("phone"),
        address: table.find("address"),
        household_no: table.find("household_no"),
        household_role: table.find("household_role"),
    };
    if missing.is_empty() {
        Ok(c)
    } else {
        Err(ServiceError::Validation(missing))
    }
}

/// Imports residents from CSV text. `progress` is called with the number of rows read so far.
///
/// # Errors
/// `Forbidden` without the import permission; `Validation` when the header lacks a required
/// column (nothing is written); a database error (batches committed before it stay).
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn residents_csv<R: std::io::Read>(
    app: &App,
    actor: &Actor,
    input: R,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ImportReport, ServiceError> {
    actor.require(Permission::ResidentImport)?;
    let mut table = CsvTable::open(input)?;
    let mut report = ImportReport::default();
    let cols = columns(&table)?;

    // Villages this deployment knows, for the "registered village" rule.
    let mut villages = HashSet::new();
    for c in registry::counties(&app.db).await? {
        for a in registry::areas(&app.db, &c.division_code, &c.division_code).await? {
            if a.level == "village" {
                villages.insert(a.code);
            }
        }
    }
    let today = sanyi_domain::time::today();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut residents: Vec<Resident> = Vec::with_capacity(BATCH);
    let mut households: BTreeMap<String, Household> = BTreeMap::new();
    let mut per_county: BTreeMap<String, u64> = BTreeMap::new();
    let mut writer = Writer {
        pending: None,
        audit: audit::entry(actor, actor.scope.division_prefix(), "import", "resident", "-", None, "batch"),
    };
    let db = app.db.single_connection().await?;
    while let Some((line, usable)) = table.next_row() {
        report.rows += 1;
        if report.rows % 10_000 == 0 {
            progress(report.rows);
        }
        if let Err(errs) = usable {
            reject(&mut report, line, errs);
            continue;
        }
        let cell = |i: usize| table.cell(i);
        let opt = |i: Option<usize>| table.opt(i);
        let raw = RawResident {
            id_number: cell(cols.id_number),
            name: cell(cols.name),
            phone: opt(cols.phone),
            village_code: cell(cols.village_code),
            address: opt(cols.address).unwrap_or(""),
            household_no: opt(cols.household_no),
            household_role: opt(cols.household_role),
        };
        let v = match validate_fields(raw, today) {
            Ok(v) => v,
            Err(errs) => {
                reject(&mut report, line, errs);
                continue;
            }
        };
        if !villages.contains(v.village.as_str()) {
            reject(
                &mut report,
                line,
                vec![FieldError::new(
                    "village_code",
                    "area.registered",
                    "a village registered in the county",
                    "Unknown village code",
                    "未登记的村（居）代码",
                )],
            );
            continue;
        }
        if !actor.scope.contains(v.village.as_str()) {
            reject(
                &mut report,
                line,
                vec![FieldError::new(
                    "village_code",
                    "scope.area",
                    &format!("a village under {}", actor.scope.prefix()),
                    "The village lies outside your area",
                    "该村不在您的服务范围内",
                )],
            );
            continue;
        }
        let division = v.village.county_code().as_str().to_owned();
        let key = format!("{division}{}", v.id.as_str());
        if let Some(first) = seen.get(&key) {
            reject(
                &mut report,
                line,
                vec![FieldError::new(
                    "id_number",
                    "csv.duplicate",
                    "each ID number once per file",
                    &format!("Same ID number as line {first}"),
                    &format!("与第 {first} 行身份证号重复"),
                )],
            );
            continue;
        }
        seen.insert(key, line);
        let now = Utc::now();
        let hid = v.household_no.as_ref().map(|no| {
            let id = household_id(&division, no);
            households.entry(id.clone()).or_insert_with(|| Household {
                division_code: division.clone(),
                id: id.clone(),
                household_no: no.clone(),
                village_code: v.village.as_str().to_owned(),
                address: v.address.clone(),
            });
            id
        });
        residents.push(Resident {
            division_code: division,
            id: sanyi_store::new_id(),
            sex: match v.id.sex() {
                sanyi_domain::Sex::Male => "male".into(),
                sanyi_domain::Sex::Female => "female".into(),
            },
            birth_date: v.id.birth_date(),
            id_number: v.id.as_str().to_owned(),
            name: v.name,
            phone: v.phone.map(|p| p.as_str().to_owned()),
            village_code: v.village.as_str().to_owned(),
            address: v.address,
            household_id: hid,
            household_role: v.household_role,
            status: "active".into(),
            merged_into_id: None,
            version: 1,
            created_at: now,
            updated_at: now,
        });
        if residents.len() >= BATCH {
            writer
                .flush(&db, &mut residents, &mut households, &mut report, &mut per_county)
                .await?;
        }
    }
    writer
        .flush(&db, &mut residents, &mut households, &mut report, &mut per_county)
        .await?;
    writer.settle(&mut report, &mut per_county).await?;
    progress(report.rows);
    // The summary of the whole file (the batches carry their own audit rows).
    let audits: Vec<AuditEntry> = per_county
        .into_iter()
        .map(|(county, inserted)| {
            audit::entry(
                actor,
                &county,
                "import",
                "resident",
                "-",
                None,
                &format!("file done: inserted {inserted}; file rows {}", report.rows),
            )
        })
        .collect();
    sanyi_store::audit::insert_batch(&app.db, &audits).await?;
    Ok(report)
}

pub(crate) fn reject(report: &mut ImportReport, line: u64, errors: Vec<FieldError>) {
    report.rejected_count += 1;
    if report.rejected.len() < MAX_LISTED {
        report.rejected.push(RowError { line, errors });
    }
}

/// Rows written per county by one batch: (county, inserted, rows).
type Written = Vec<(String, u64, u64)>;

/// Writes a batch: one transaction per county, so that each county's count is exact, each carrying
/// its audit row (a copy of `audit` for that county, completed with the counts): a crash or an
/// abandoned upload never leaves committed residents without their audit.
async fn write_batch(
    db: sanyi_store::Db,
    households: Vec<Household>,
    mut residents: Vec<Resident>,
    audit: AuditEntry,
) -> Result<Written, ServiceError> {
    residents.sort_by(|a, b| a.division_code.cmp(&b.division_code));
    let mut out = Vec::new();
    let mut households = Some(households);
    let of_county = |county: &str| AuditEntry {
        division_code: county.to_owned(),
        id: sanyi_store::new_id(),
        ..audit.clone()
    };
    for county in residents.chunk_by(|a, b| a.division_code == b.division_code) {
        // Short transactions: on SQLite other writes (the audit rows that reads wait for) queue
        // behind each one, so none may hold the writer for long.
        for chunk in county.chunks(TRANSACTION_ROWS) {
            let hs = households.take().unwrap_or_default();
            let a = of_county(&chunk[0].division_code);
            let inserted = repo::insert_batch(&db, &hs, chunk, Some(&a)).await?;
            out.push((chunk[0].division_code.clone(), inserted, chunk.len() as u64));
        }
    }
    if let Some(hs) = households.filter(|h| !h.is_empty()) {
        let a = of_county(&hs[0].division_code);
        repo::insert_batch(&db, &hs, &[], Some(&a)).await?;
    }
    Ok(out)
}

/// Pipelines batches: the next batch is parsed while the previous one is written.
struct Writer {
    pending: Option<tokio::task::JoinHandle<Result<Written, ServiceError>>>,
    /// The audit row of each batch, before its county and counts are filled in.
    audit: AuditEntry,
}

impl Writer {
    /// Waits for the batch being written and accounts for it.
    async fn settle(&mut self, report: &mut ImportReport, per_county: &mut BTreeMap<String, u64>) -> Result<(), ServiceError> {
        if let Some(h) = self.pending.take() {
            let written = h.await.map_err(|e| ServiceError::Internal(e.into()))??;
            for (county, inserted, rows) in written {
                *per_county.entry(county).or_default() += inserted;
                report.inserted += inserted;
                report.already_present += rows - inserted;
            }
        }
        Ok(())
    }

    /// Starts writing the collected batch (after the previous one is stored).
    async fn flush(
        &mut self,
        db: &sanyi_store::Db,
        residents: &mut Vec<Resident>,
        households: &mut BTreeMap<String, Household>,
        report: &mut ImportReport,
        per_county: &mut BTreeMap<String, u64>,
    ) -> Result<(), ServiceError> {
        self.settle(report, per_county).await?;
        if residents.is_empty() && households.is_empty() {
            return Ok(());
        }
        let hs: Vec<Household> = std::mem::take(households).into_values().collect();
        let rs = std::mem::replace(residents, Vec::with_capacity(BATCH));
        self.pending = Some(tokio::spawn(write_batch(db.clone(), hs, rs, self.audit.clone())));
        Ok(())
    }
}
