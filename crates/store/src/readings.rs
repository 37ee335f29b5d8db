//! Remote readings (远程影像/心电诊断) with their transitions, and what arrives for them: DICOM
//! studies and instances, and ECG records. File contents live in the file store; rows keep the
//! content hash.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::audit::AuditEntry;
use crate::workflow::{Side, Workflow, WorkflowEvent, insert_event};
use crate::{Db, StoreError, audit_insert_in_tx, dispatch, transaction};

/// Reading row.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ReadingRow {
    /// The ordering site's county.
    pub division_code: String,
    /// Id.
    pub id: String,
    /// Resident examined.
    pub resident_id: String,
    /// Ordering (acquiring) institution.
    pub ordering_institution_id: String,
    /// The reading centre's county.
    pub reading_division_code: String,
    /// Reading centre.
    pub reading_institution_id: String,
    /// Accession number (检查号), unique in the county; DICOM files carry it in AccessionNumber.
    pub accession_number: String,
    /// `dr`, `ct`, `mr`, `ecg`.
    pub modality: String,
    /// `routine` or `emergency`.
    pub urgency: String,
    /// Engine state (snake_case).
    pub state: String,
    /// The ordering doctor's question.
    pub clinical_question: String,
    /// Body part examined.
    pub body_part: String,
    /// Code of the exam in the recognition catalogue (互认项目), '' when none: the delivered report
    /// is indexed as the resident's result under it.
    pub item_code: String,
    /// The care engine's reading, JSON.
    pub engine: String,
    /// The structured report, JSON ('' before the preliminary report).
    pub report: String,
    /// A critical value is open (notified, not resolved).
    pub critical_open: bool,
    /// Images or waveform received at.
    pub acquired_at: Option<DateTime<Utc>>,
    /// Final signature at.
    pub signed_at: Option<DateTime<Utc>>,
    /// Minutes from acquisition to final signature.
    pub turnaround_minutes: Option<i64>,
    /// Whether the turnaround met the modality's target.
    pub met_target: Option<bool>,
    /// Remote-diagnosis fee, fen.
    pub fee_fen: i64,
    /// The ordering site's part of the fee, fen.
    pub acquisition_share_fen: i64,
    /// The reading centre's part of the fee, fen.
    pub reading_share_fen: i64,
    /// Ordering user id.
    pub ordered_by: String,
    /// Optimistic version.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "division_code, id, resident_id, ordering_institution_id, reading_division_code, reading_institution_id, \
     accession_number, modality, urgency, state, clinical_question, body_part, item_code, engine, report, critical_open, acquired_at, \
     signed_at, turnaround_minutes, met_target, fee_fen, acquisition_share_fen, reading_share_fen, ordered_by, version, \
     created_at, updated_at";

impl crate::workflow::WorkflowRow for ReadingRow {
    const WORKFLOW: Workflow = Workflow::Reading;
    const COLUMNS: &'static str = COLUMNS;
}

impl crate::workflow::HasVersion for ReadingRow {
    fn version(&self) -> i64 {
        self.version
    }
}

/// Inserts a reading row with the transaction `$tx`.
macro_rules! insert_reading {
    ($tx:ident, $r:expr) => {{
        let r: &ReadingRow = $r;
        let sql = format!(
            "INSERT INTO readings ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
             $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27)"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&r.division_code)
            .bind(&r.id)
            .bind(&r.resident_id)
            .bind(&r.ordering_institution_id)
            .bind(&r.reading_division_code)
            .bind(&r.reading_institution_id)
            .bind(&r.accession_number)
            .bind(&r.modality)
            .bind(&r.urgency)
            .bind(&r.state)
            .bind(&r.clinical_question)
            .bind(&r.body_part)
            .bind(&r.item_code)
            .bind(&r.engine)
            .bind(&r.report)
            .bind(r.critical_open)
            .bind(r.acquired_at)
            .bind(r.signed_at)
            .bind(r.turnaround_minutes)
            .bind(r.met_target)
            .bind(r.fee_fen)
            .bind(r.acquisition_share_fen)
            .bind(r.reading_share_fen)
            .bind(&r.ordered_by)
            .bind(r.version)
            .bind(r.created_at)
            .bind(r.updated_at)
            .execute(&mut *$tx)
            .await?;
    }};
}

/// Updates a reading if still at `$expected` version with the transaction `$tx`; evaluates to
/// whether it changed.
macro_rules! update_reading {
    ($tx:ident, $r:expr, $expected:expr) => {{
        let r: &ReadingRow = $r;
        sqlx::query(
            "UPDATE readings SET state = $1, engine = $2, report = $3, critical_open = $4, acquired_at = $5, signed_at = $6, \
             turnaround_minutes = $7, met_target = $8, version = version + 1, updated_at = $9 \
             WHERE division_code = $10 AND id = $11 AND version = $12",
        )
        .bind(&r.state)
        .bind(&r.engine)
        .bind(&r.report)
        .bind(r.critical_open)
        .bind(r.acquired_at)
        .bind(r.signed_at)
        .bind(r.turnaround_minutes)
        .bind(r.met_target)
        .bind(r.updated_at)
        .bind(&r.division_code)
        .bind(&r.id)
        .bind($expected)
        .execute(&mut *$tx)
        .await?
        .rows_affected()
            == 1
    }};
}

/// A transition to save with something else in the same transaction: the reading as it becomes,
/// the version it was read at, and its event.
#[derive(Clone, Debug)]
pub struct Transition {
    /// The reading after the transition.
    pub row: ReadingRow,
    /// The version it was read at.
    pub expected_version: i64,
    /// The event.
    pub event: WorkflowEvent,
}

/// Stores a new reading with its first event and audit entry, atomically.
///
/// # Errors
/// On a constraint or database error (nothing is written then).
pub async fn insert(db: &Db, r: &ReadingRow, event: &WorkflowEvent, audit: &AuditEntry) -> Result<(), StoreError> {
    transaction!(db, tx => {
        insert_reading!(tx, r);
        insert_event!(tx, Workflow::Reading, event);
        audit_insert_in_tx!(tx, audit);
    });
    Ok(())
}

/// Saves a transition if the reading is still at its expected version, with its event, audit
/// entry and (on delivery) the report indexed as the resident's result, atomically.
///
/// # Errors
/// `VersionConflict` when someone else changed it first; a database error.
pub async fn update(db: &Db, t: &Transition, audit: &AuditEntry, result: Option<&crate::recognition::ResultRow>) -> Result<(), StoreError> {
    let changed = transaction!(db, tx => {
        let changed = update_reading!(tx, &t.row, t.expected_version);
        if changed {
            insert_event!(tx, Workflow::Reading, &t.event);
            audit_insert_in_tx!(tx, audit);
            if let Some(r) = result {
                crate::result_insert_in_tx!(tx, r);
            }
        }
        changed
    });
    if changed {
        Ok(())
    } else {
        Err(crate::workflow::version_conflict::<ReadingRow>(db, &t.row.id).await)
    }
}

/// A reading by id.
///
/// # Errors
/// On a database error.
pub async fn get(db: &Db, id: &str) -> Result<Option<ReadingRow>, StoreError> {
    crate::workflow::get(db, id).await
}

/// A reading by its accession number in a county.
///
/// # Errors
/// On a database error.
pub async fn by_accession(db: &Db, division: &str, accession: &str) -> Result<Option<ReadingRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM readings WHERE division_code = $1 AND accession_number = $2");
    Ok(dispatch!(db, pool => sqlx::query_as::<_, ReadingRow>(sqlx::AssertSqlSafe(sql))
        .bind(division).bind(accession).fetch_optional(pool).await)?)
}

/// Filter of a reading list.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    /// One state, or any.
    pub state: Option<String>,
    /// Only these states (the worklist's, from `sanyi-care`); empty for any.
    pub among_states: Vec<&'static str>,
    /// Only readings with an open critical value.
    pub critical_open: bool,
    /// One modality, or any.
    pub modality: Option<String>,
}

/// Readings ordered by or addressed to an institution, at most `limit`: the centre's side sorted
/// as a worklist (emergencies first, then oldest acquisition), the ordering side newest change first.
///
/// # Errors
/// On a database error.
pub async fn list(
    db: &Db,
    division: &str,
    institution_id: &str,
    side: Side,
    f: &ListFilter,
    limit: i64,
) -> Result<Vec<ReadingRow>, StoreError> {
    let (county, who) = Workflow::Reading.side_columns(side);
    let order = match side {
        // Emergencies first, then what arrived first; orders still waiting for their images last
        // (spelled out: the backends sort NULLs differently).
        Side::In => {
            "CASE WHEN urgency = 'emergency' THEN 0 ELSE 1 END, CASE WHEN acquired_at IS NULL THEN 1 ELSE 0 END, acquired_at, created_at"
        }
        Side::Out => "updated_at DESC",
    };
    let open = if !f.among_states.is_empty() {
        format!(" AND state IN ({})", crate::workflow::state_list(&f.among_states))
    } else {
        String::new()
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM readings WHERE {county} = $1 AND {who} = $2 AND ($3 = '' OR state = $3) \
         AND ($4 = '' OR modality = $4) AND (critical_open OR NOT $5){open} ORDER BY {order} LIMIT $6"
    );
    let rows = dispatch!(db, pool => sqlx::query_as::<_, ReadingRow>(sqlx::AssertSqlSafe(sql))
        .bind(division).bind(institution_id).bind(f.state.as_deref().unwrap_or("")).bind(f.modality.as_deref().unwrap_or(""))
        .bind(f.critical_open).bind(limit).fetch_all(pool).await)?;
    Ok(rows)
}

/// The readings of a resident, newest change first.
///
/// # Errors
/// On a database error.
pub async fn of_resident(db: &Db, division: &str, resident_id: &str) -> Result<Vec<ReadingRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM readings WHERE division_code = $1 AND resident_id = $2 ORDER BY updated_at DESC LIMIT 50");
    Ok(dispatch!(db, pool => sqlx::query_as::<_, ReadingRow>(sqlx::AssertSqlSafe(sql))
        .bind(division).bind(resident_id).fetch_all(pool).await)?)
}

/// Readings created in `[from, to)` in an area (by the ordering site's county), for indicators:
/// `(modality, urgency, state, turnaround_minutes, met_target, critical_open, fee parts)`.
///
/// # Errors
/// On a database error.
pub async fn stats_between(db: &Db, division_prefix: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<ReadingStat>, StoreError> {
    let (lo, hi) = crate::registry::prefix_range(division_prefix);
    let sql = "SELECT modality, urgency, state, created_at, turnaround_minutes, met_target, critical_open, \
               acquisition_share_fen, reading_share_fen FROM readings \
               WHERE division_code >= $1 AND division_code < $2 AND created_at >= $3 AND created_at < $4";
    Ok(dispatch!(db, pool => sqlx::query_as::<_, ReadingStat>(sql).bind(&lo).bind(&hi).bind(from).bind(to).fetch_all(pool).await)?)
}

/// What indicators read of one reading.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ReadingStat {
    /// Modality.
    pub modality: String,
    /// Urgency.
    pub urgency: String,
    /// State.
    pub state: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Minutes from acquisition to final signature.
    pub turnaround_minutes: Option<i64>,
    /// Met the target.
    pub met_target: Option<bool>,
    /// Open critical value.
    pub critical_open: bool,
    /// The ordering site's part of the fee.
    pub acquisition_share_fen: i64,
    /// The reading centre's part of the fee.
    pub reading_share_fen: i64,
}

/// A DICOM study (检查) as stored.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct StudyRow {
    /// County of the acquiring institution.
    pub division_code: String,
    /// Id.
    pub id: String,
    /// StudyInstanceUID.
    pub study_uid: String,
    /// Acquiring institution (the uploader's).
    pub institution_id: String,
    /// Matched resident.
    pub resident_id: Option<String>,
    /// Reading the study was taken for.
    pub reading_id: Option<String>,
    /// `matched` (by resident ID number), `manual` (confirmed by a person) or `unmatched`.
    pub match_status: String,
    /// PatientID as sent (a resident ID number in the county's practice, or a local number).
    pub patient_identifier: String,
    /// PatientName as sent, decoded from its character set.
    pub patient_name: String,
    /// PatientSex.
    pub patient_sex: String,
    /// PatientBirthDate.
    pub patient_birth_date: Option<NaiveDate>,
    /// AccessionNumber.
    pub accession_number: String,
    /// Modality (DICOM code: DX, CR, CT, MR, ECG).
    pub modality: String,
    /// StudyDate.
    pub study_date: Option<NaiveDate>,
    /// StudyTime as sent.
    pub study_time: String,
    /// StudyDescription.
    pub description: String,
    /// Instances stored.
    pub instance_count: i64,
    /// First instance stored at.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

const STUDY_COLUMNS: &str = "division_code, id, study_uid, institution_id, resident_id, reading_id, match_status, patient_identifier, \
     patient_name, patient_sex, patient_birth_date, accession_number, modality, study_date, study_time, description, \
     instance_count, created_at, updated_at";

/// A stored DICOM instance.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct InstanceRow {
    /// County.
    pub division_code: String,
    /// Id.
    pub id: String,
    /// Study.
    pub study_id: String,
    /// SeriesInstanceUID.
    pub series_uid: String,
    /// SOPInstanceUID.
    pub sop_instance_uid: String,
    /// SOPClassUID.
    pub sop_class_uid: String,
    /// TransferSyntaxUID.
    pub transfer_syntax: String,
    /// Modality.
    pub modality: String,
    /// SeriesNumber.
    pub series_number: Option<i64>,
    /// InstanceNumber.
    pub instance_number: Option<i64>,
    /// Rows.
    pub pixel_rows: Option<i64>,
    /// Columns.
    pub pixel_columns: Option<i64>,
    /// NumberOfFrames (1 when absent).
    pub frames: i64,
    /// WindowCenter.
    pub window_center: Option<f64>,
    /// WindowWidth.
    pub window_width: Option<f64>,
    /// SHA-256 of the file, hex (its key in the file store).
    pub sha256: String,
    /// File size.
    pub size_bytes: i64,
    /// Stored at.
    pub stored_at: DateTime<Utc>,
}

const INSTANCE_COLUMNS: &str = "division_code, id, study_id, series_uid, sop_instance_uid, sop_class_uid, transfer_syntax, \
     modality, series_number, instance_number, pixel_rows, pixel_columns, frames, window_center, window_width, sha256, \
     size_bytes, stored_at";

/// What [`store_instance`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stored {
    /// A new instance (and the study, when it was the first).
    New {
        /// The study id.
        study_id: String,
        /// The instance id.
        instance_id: String,
    },
    /// The same instance (same SOP Instance UID and same content) was already stored.
    Duplicate {
        /// The study id.
        study_id: String,
        /// The instance id.
        instance_id: String,
    },
    /// An instance with this SOP Instance UID but other content is stored.
    Conflict {
        /// SHA-256 of the stored content.
        stored_sha256: String,
    },
}

/// Stores one instance: the study row when it is the first instance of its study (else the
/// existing study gains an instance), the instance row, an optional reading transition (the
/// reading the study was taken for becomes acquired) and the audit entry, atomically. Sending the
/// same file twice stores it once.
///
/// # Errors
/// `VersionConflict` when the reading changed meanwhile (nothing is written then); a database error.
pub async fn store_instance(
    db: &Db,
    study: &StudyRow,
    instance: &InstanceRow,
    acquire: Option<&Transition>,
    audit: &AuditEntry,
) -> Result<Stored, StoreError> {
    let insert_study = format!(
        "INSERT INTO imaging_studies ({STUDY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
         $15, $16, $17, $18, $19) ON CONFLICT (division_code, study_uid) DO NOTHING"
    );
    let insert_instance = format!(
        "INSERT INTO imaging_instances ({INSTANCE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
         $14, $15, $16, $17, $18)"
    );
    transaction!(db, tx => {
        let existing: Option<(String, String, String)> =
            sqlx::query_as("SELECT study_id, id, sha256 FROM imaging_instances WHERE division_code = $1 AND sop_instance_uid = $2")
            .bind(&instance.division_code).bind(&instance.sop_instance_uid).fetch_optional(&mut *tx).await?;
        if let Some((study_id, instance_id, sha)) = existing {
            if sha == instance.sha256 {
                Ok(Stored::Duplicate { study_id, instance_id })
            } else {
                Ok(Stored::Conflict { stored_sha256: sha })
            }
        } else {
            sqlx::query(sqlx::AssertSqlSafe(insert_study.clone()))
                .bind(&study.division_code).bind(&study.id).bind(&study.study_uid).bind(&study.institution_id)
                .bind(&study.resident_id).bind(&study.reading_id).bind(&study.match_status).bind(&study.patient_identifier)
                .bind(&study.patient_name).bind(&study.patient_sex).bind(study.patient_birth_date).bind(&study.accession_number)
                .bind(&study.modality).bind(study.study_date).bind(&study.study_time).bind(&study.description)
                .bind(0_i64).bind(study.created_at).bind(study.updated_at)
                .execute(&mut *tx).await?;
            let (study_id,): (String,) = sqlx::query_as("SELECT id FROM imaging_studies WHERE division_code = $1 AND study_uid = $2")
                .bind(&study.division_code).bind(&study.study_uid).fetch_one(&mut *tx).await?;
            sqlx::query("UPDATE imaging_studies SET instance_count = instance_count + 1, updated_at = $1 WHERE division_code = $2 AND id = $3")
                .bind(instance.stored_at).bind(&study.division_code).bind(&study_id).execute(&mut *tx).await?;
            sqlx::query(sqlx::AssertSqlSafe(insert_instance.clone()))
                .bind(&instance.division_code).bind(&instance.id).bind(&study_id).bind(&instance.series_uid)
                .bind(&instance.sop_instance_uid).bind(&instance.sop_class_uid).bind(&instance.transfer_syntax)
                .bind(&instance.modality).bind(instance.series_number).bind(instance.instance_number)
                .bind(instance.pixel_rows).bind(instance.pixel_columns).bind(instance.frames).bind(instance.window_center)
                .bind(instance.window_width).bind(&instance.sha256).bind(instance.size_bytes).bind(instance.stored_at)
                .execute(&mut *tx).await?;
            if let Some(t) = acquire {
                if !update_reading!(tx, &t.row, t.expected_version) {
                    return Err(StoreError::VersionConflict { current: t.expected_version + 1 });
                }
                insert_event!(tx, Workflow::Reading, &t.event);
                sqlx::query("UPDATE imaging_studies SET reading_id = $1 WHERE division_code = $2 AND id = $3")
                    .bind(&t.row.id).bind(&study.division_code).bind(&study_id).execute(&mut *tx).await?;
            }
            audit_insert_in_tx!(tx, audit);
            Ok(Stored::New { study_id, instance_id: instance.id.clone() })
        }
    })
}

/// A study by id.
///
/// # Errors
/// On a database error.
pub async fn study(db: &Db, id: &str) -> Result<Option<StudyRow>, StoreError> {
    let sql = format!("SELECT {STUDY_COLUMNS} FROM imaging_studies WHERE id = $1");
    Ok(dispatch!(db, pool => sqlx::query_as::<_, StudyRow>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await)?)
}

/// A study by its StudyInstanceUID, in any county of an area.
///
/// # Errors
/// On a database error.
pub async fn study_by_uid(db: &Db, division_prefix: &str, study_uid: &str) -> Result<Option<StudyRow>, StoreError> {
    let (lo, hi) = crate::registry::prefix_range(division_prefix);
    let sql = format!("SELECT {STUDY_COLUMNS} FROM imaging_studies WHERE division_code >= $1 AND division_code < $2 AND study_uid = $3");
    Ok(dispatch!(db, pool => sqlx::query_as::<_, StudyRow>(sqlx::AssertSqlSafe(sql))
        .bind(&lo).bind(&hi).bind(study_uid).fetch_optional(pool).await)?)
}

/// The studies of a reading.
///
/// # Errors
/// On a database error.
pub async fn studies_of_reading(db: &Db, division: &str, reading_id: &str) -> Result<Vec<StudyRow>, StoreError> {
    let sql = format!("SELECT {STUDY_COLUMNS} FROM imaging_studies WHERE division_code = $1 AND reading_id = $2 ORDER BY created_at");
    Ok(dispatch!(db, pool => sqlx::query_as::<_, StudyRow>(sqlx::AssertSqlSafe(sql))
        .bind(division).bind(reading_id).fetch_all(pool).await)?)
}

/// A study query (QIDO-RS style): every given attribute must match; dates are inclusive.
#[derive(Clone, Debug, Default)]
pub struct StudyQuery {
    /// PatientID (exact).
    pub patient_id: Option<String>,
    /// Matched resident.
    pub resident_id: Option<String>,
    /// StudyInstanceUID (exact).
    pub study_uid: Option<String>,
    /// AccessionNumber (exact).
    pub accession_number: Option<String>,
    /// Modality (exact).
    pub modality: Option<String>,
    /// StudyDate from.
    pub date_from: Option<NaiveDate>,
    /// StudyDate to.
    pub date_to: Option<NaiveDate>,
    /// Only these match statuses.
    pub match_status: Option<String>,
    /// Acquiring institution.
    pub institution_id: Option<String>,
}

/// Studies of an area matching a query, newest first, at most `limit` from `offset`.
///
/// # Errors
/// On a database error.
pub async fn find_studies(db: &Db, division_prefix: &str, q: &StudyQuery, limit: i64, offset: i64) -> Result<Vec<StudyRow>, StoreError> {
    let (lo, hi) = crate::registry::prefix_range(division_prefix);
    let sql = format!(
        "SELECT {STUDY_COLUMNS} FROM imaging_studies WHERE division_code >= $1 AND division_code < $2 \
         AND ($3 = '' OR patient_identifier = $3) AND ($4 = '' OR resident_id = $4) AND ($5 = '' OR study_uid = $5) \
         AND ($6 = '' OR accession_number = $6) AND ($7 = '' OR modality = $7) \
         AND (NOT $8 OR (study_date >= $9 AND study_date <= $10)) \
         AND ($11 = '' OR match_status = $11) AND ($12 = '' OR institution_id = $12) \
         ORDER BY created_at DESC LIMIT $13 OFFSET $14"
    );
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    // Without bounds, studies without a StudyDate match too. Four-digit years: SQLite compares
    // dates as text.
    let bounded = q.date_from.is_some() || q.date_to.is_some();
    let from = q.date_from.unwrap_or(NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or_default());
    let to = q.date_to.unwrap_or(NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or_default());
    Ok(dispatch!(db, pool => sqlx::query_as::<_, StudyRow>(sqlx::AssertSqlSafe(sql))
        .bind(&lo).bind(&hi).bind(s(&q.patient_id)).bind(s(&q.resident_id)).bind(s(&q.study_uid))
        .bind(s(&q.accession_number)).bind(s(&q.modality)).bind(bounded).bind(from).bind(to).bind(s(&q.match_status))
        .bind(s(&q.institution_id)).bind(limit).bind(offset).fetch_all(pool).await)?)
}

/// The instances of a study, by series and instance number.
///
/// # Errors
/// On a database error.
pub async fn instances(db: &Db, division: &str, study_id: &str) -> Result<Vec<InstanceRow>, StoreError> {
    let sql = format!(
        "SELECT {INSTANCE_COLUMNS} FROM imaging_instances WHERE division_code = $1 AND study_id = $2 \
         ORDER BY series_number, series_uid, instance_number, sop_instance_uid"
    );
    Ok(dispatch!(db, pool => sqlx::query_as::<_, InstanceRow>(sqlx::AssertSqlSafe(sql))
        .bind(division).bind(study_id).fetch_all(pool).await)?)
}

/// An instance by id.
///
/// # Errors
/// On a database error.
pub async fn instance(db: &Db, id: &str) -> Result<Option<InstanceRow>, StoreError> {
    let sql = format!("SELECT {INSTANCE_COLUMNS} FROM imaging_instances WHERE id = $1");
    Ok(dispatch!(db, pool => sqlx::query_as::<_, InstanceRow>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await)?)
}

/// Confirms a manual match of a study to a resident (and optionally links it to a reading, whose
/// transition is saved with it), with its audit entry, atomically.
///
/// # Errors
/// `VersionConflict` when the reading changed meanwhile; a database error.
pub async fn match_study(
    db: &Db,
    division: &str,
    study_id: &str,
    resident_id: &str,
    acquire: Option<&Transition>,
    audit: &AuditEntry,
) -> Result<(), StoreError> {
    transaction!(db, tx => {
        sqlx::query("UPDATE imaging_studies SET resident_id = $1, match_status = 'manual', updated_at = $2 WHERE division_code = $3 AND id = $4")
            .bind(resident_id).bind(audit.at).bind(division).bind(study_id).execute(&mut *tx).await?;
        if let Some(t) = acquire {
            if !update_reading!(tx, &t.row, t.expected_version) {
                return Err(StoreError::VersionConflict { current: t.expected_version + 1 });
            }
            insert_event!(tx, Workflow::Reading, &t.event);
            sqlx::query("UPDATE imaging_studies SET reading_id = $1 WHERE division_code = $2 AND id = $3")
                .bind(&t.row.id).bind(division).bind(study_id).execute(&mut *tx).await?;
        }
        audit_insert_in_tx!(tx, audit);
    });
    Ok(())
}

/// A 12-lead ECG record (十二导联心电图记录).
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct EcgRow {
    /// County (the reading's).
    pub division_code: String,
    /// Id.
    pub id: String,
    /// The reading it was taken for.
    pub reading_id: String,
    /// Resident.
    pub resident_id: String,
    /// `aecg`, `dicom` or `csv`.
    pub format: String,
    /// SHA-256 of the file (its key in the file store).
    pub sha256: String,
    /// File size.
    pub size_bytes: i64,
    /// Samples per second.
    pub sample_rate_hz: i64,
    /// Length of the recording.
    pub duration_ms: i64,
    /// Heart rate computed from the waveform.
    pub heart_rate_bpm: Option<i64>,
    /// RR interval.
    pub rr_ms: Option<i64>,
    /// PR interval.
    pub pr_ms: Option<i64>,
    /// QRS duration.
    pub qrs_ms: Option<i64>,
    /// QT interval.
    pub qt_ms: Option<i64>,
    /// QTc (Bazett).
    pub qtc_ms: Option<i64>,
    /// Measurements reported by the device, JSON ('' when none).
    pub reported: String,
    /// Acquisition time in the file.
    pub acquired_at: Option<DateTime<Utc>>,
    /// Stored at.
    pub stored_at: DateTime<Utc>,
}

const ECG_COLUMNS: &str = "division_code, id, reading_id, resident_id, format, sha256, size_bytes, sample_rate_hz, duration_ms, \
     heart_rate_bpm, rr_ms, pr_ms, qrs_ms, qt_ms, qtc_ms, reported, acquired_at, stored_at";

/// Stores an ECG record with the transition of its reading (acquired) and the audit entry, atomically.
///
/// # Errors
/// `VersionConflict` when the reading changed meanwhile (nothing is written then); a database error.
pub async fn store_ecg(db: &Db, e: &EcgRow, acquire: &Transition, audit: &AuditEntry) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO ecg_records ({ECG_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"
    );
    transaction!(db, tx => {
        if !update_reading!(tx, &acquire.row, acquire.expected_version) {
            return Err(StoreError::VersionConflict { current: acquire.expected_version + 1 });
        }
        insert_event!(tx, Workflow::Reading, &acquire.event);
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&e.division_code).bind(&e.id).bind(&e.reading_id).bind(&e.resident_id).bind(&e.format).bind(&e.sha256)
            .bind(e.size_bytes).bind(e.sample_rate_hz).bind(e.duration_ms).bind(e.heart_rate_bpm).bind(e.rr_ms)
            .bind(e.pr_ms).bind(e.qrs_ms).bind(e.qt_ms).bind(e.qtc_ms).bind(&e.reported).bind(e.acquired_at).bind(e.stored_at)
            .execute(&mut *tx).await?;
        audit_insert_in_tx!(tx, audit);
    });
    Ok(())
}

/// The ECG records of a reading, oldest first.
///
/// # Errors
/// On a database error.
pub async fn ecgs_of_reading(db: &Db, division: &str, reading_id: &str) -> Result<Vec<EcgRow>, StoreError> {
    let sql = format!("SELECT {ECG_COLUMNS} FROM ecg_records WHERE division_code = $1 AND reading_id = $2 ORDER BY stored_at");
    Ok(dispatch!(db, pool => sqlx::query_as::<_, EcgRow>(sqlx::AssertSqlSafe(sql))
        .bind(division).bind(reading_id).fetch_all(pool).await)?)
}

/// An ECG record by id.
///
/// # Errors
/// On a database error.
pub async fn ecg(db: &Db, id: &str) -> Result<Option<EcgRow>, StoreError> {
    let sql = format!("SELECT {ECG_COLUMNS} FROM ecg_records WHERE id = $1");
    Ok(dispatch!(db, pool => sqlx::query_as::<_, EcgRow>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await)?)
}
