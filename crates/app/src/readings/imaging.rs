//! What arrives for a reading: DICOM instances (DR, CT, MR) by upload or DICOMweb STOW-RS, and
//! 12-lead ECG files (HL7 aECG, DICOM waveform, CSV). Files are parsed by `sanyi-imaging`, kept in
//! the content-addressed file store, indexed in the database and matched to the master patient
//! index (by the resident ID number in PatientID, or by a person's confirmed manual match). A
//! file that is sent twice is stored once; a file that cannot be parsed stores nothing.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use sanyi_care::reading::{Modality, Reader, ReadingCommand, ReadingState};
use sanyi_domain::ResidentId;
use sanyi_imaging::dicom::{self, DicomError, Instance, RenderOptions};
use sanyi_imaging::ecg::{self, EcgError, EcgFormat};
use sanyi_store::files::FileStore;
use sanyi_store::readings::{self as repo, EcgRow, ReadingRow, Stored, StudyRow};
pub use sanyi_store::readings::{InstanceRow, StudyQuery};
use sanyi_store::registry;
use sanyi_store::residents::{self as residents_repo, ResidentScope};

use crate::readings::{engine_of, transition, visible};
use crate::{Actor, App, FieldError, Permission, Role, ServiceError, audit};

mod remote_ecg;
pub use remote_ecg::*;

/// SOP classes of ECG waveforms, which go to a reading's ECG upload instead.
const ECG_SOP_CLASSES: [&str; 2] = ["1.2.840.10008.5.1.4.1.1.9.1.1", "1.2.840.10008.5.1.4.1.1.9.1.2"];

/// A study as listed and searched (QIDO-RS style).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct StudyView {
    /// Id.
    pub id: String,
    /// County.
    pub division_code: String,
    /// StudyInstanceUID.
    pub study_uid: String,
    /// Acquiring institution.
    pub institution_id: String,
    /// Matched resident.
    pub resident_id: Option<String>,
    /// The reading it was taken for.
    pub reading_id: Option<String>,
    /// `matched`, `manual` or `unmatched`.
    pub match_status: String,
    /// PatientID, masked when it is an ID number.
    pub patient_id_masked: String,
    /// PatientName as decoded.
    pub patient_name: String,
    /// PatientSex.
    pub patient_sex: String,
    /// AccessionNumber.
    pub accession_number: String,
    /// Modality.
    pub modality: String,
    /// StudyDate.
    pub study_date: Option<chrono::NaiveDate>,
    /// StudyTime as sent.
    pub study_time: String,
    /// StudyDescription.
    pub description: String,
    /// Instances stored.
    pub instance_count: i64,
    /// First stored at.
    pub created_at: DateTime<Utc>,
}

impl From<StudyRow> for StudyView {
    fn from(s: StudyRow) -> StudyView {
        StudyView {
            patient_id_masked: sanyi_domain::mask_id_like(&s.patient_identifier),
            id: s.id,
            division_code: s.division_code,
            study_uid: s.study_uid,
            institution_id: s.institution_id,
            resident_id: s.resident_id,
            reading_id: s.reading_id,
            match_status: s.match_status,
            patient_name: s.patient_name,
            patient_sex: s.patient_sex,
            accession_number: s.accession_number,
            modality: s.modality,
            study_date: s.study_date,
            study_time: s.study_time,
            description: s.description,
            instance_count: s.instance_count,
            created_at: s.created_at,
        }
    }
}

/// What an upload did.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct IngestOutcome {
    /// `stored` or `duplicate` (the same instance was stored before; nothing changed).
    pub status: String,
    /// The study.
    pub study_id: String,
    /// The instance.
    pub instance_id: String,
    /// StudyInstanceUID.
    pub study_uid: String,
    /// SOPInstanceUID.
    pub sop_instance_uid: String,
    /// SOPClassUID.
    pub sop_class_uid: String,
    /// `matched`, `manual` or `unmatched`.
    pub match_status: String,
    /// The reading the study was linked to.
    pub reading_id: Option<String>,
}

fn dicom_error(e: &DicomError) -> ServiceError {
    ServiceError::Validation(vec![FieldError::new(
        "file",
        &format!("dicom.{}", e.code()),
        "a DICOM Part-10 file with study, series and SOP instance UIDs, a patient identity and a supported transfer syntax",
        &e.message(),
        &e.message_zh(),
    )])
}

pub(crate) fn blocking_failed(e: tokio::task::JoinError) -> ServiceError {
    ServiceError::Internal(anyhow::anyhow!("blocking task: {e}"))
}

async fn put_file(files: &FileStore, bytes: std::sync::Arc<Vec<u8>>) -> Result<String, ServiceError> {
    let files = files.clone();
    tokio::task::spawn_blocking(move || files.put(&bytes))
        .await
        .map_err(blocking_failed)?
        .map_err(|e| ServiceError::Internal(anyhow::anyhow!("file store: {e}")))
}

async fn read_file(files: &FileStore, sha256: String) -> Result<Vec<u8>, ServiceError> {
    let files = files.clone();
    tokio::task::spawn_blocking(move || files.get(&sha256))
        .await
        .map_err(blocking_failed)?
        .map_err(|e| ServiceError::Internal(anyhow::anyhow!("file store: {e}")))?
        .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("a stored file is missing from the file store")))
}

/// The reading modality a DICOM modality code is read as.
fn modality_of(code: &str) -> Option<Modality> {
    match code {
        "DX" | "CR" | "DR" | "RG" => Some(Modality::Dr),
        "CT" => Some(Modality::Ct),
        "MR" => Some(Modality::Mr),
        "ECG" => Some(Modality::Ecg),
        _ => None,
    }
}

/// The resident of the actor's area whose ID number is `patient_id` (or one of the other ids).
async fn match_resident(app: &App, scope: &ResidentScope, ids: impl Iterator<Item = &str>) -> Result<Option<String>, ServiceError> {
    for id in ids {
        let Ok(rid) = ResidentId::parse(id.trim()) else { continue };
        let found: Vec<_> = residents_repo::by_id_number(&app.db, scope, rid.as_str())
            .await?
            .into_iter()
            .filter(|r| r.status == "active")
            .collect();
        if let [one] = found.as_slice() {
            return Ok(Some(one.id.clone()));
        }
    }
    Ok(None)
}

fn mismatch(what: &str, message: &str, message_zh: &str) -> ServiceError {
    ServiceError::Validation(vec![FieldError::new(
        "file",
        what,
        "the reading's resident and modality",
        message,
        message_zh,
    )])
}

/// The acquisition transition of a reading (ordered → acquired) by the actor, if still ordered.
fn acquire(app: &App, actor: &Actor, row: &ReadingRow, now: DateTime<Utc>) -> Result<Option<repo::Transition>, ServiceError> {
    let reading = engine_of(row)?;
    if reading.state != ReadingState::Ordered {
        return Ok(None);
    }
    let who = Reader {
        user: actor.user_id.clone(),
        ordering_site: true,
    };
    let next = reading
        .apply(&who, ReadingCommand::Acquire, now)
        .map_err(|e| ServiceError::Internal(anyhow::anyhow!("acquire: {e}")))?;
    Ok(Some(transition(app, row, &next, "acquire", Some(actor), None, now)))
}

/// The reading an upload is for, checked: the actor's institution ordered it.
async fn reading_for_upload(app: &App, actor: &Actor, reading_id: &str) -> Result<ReadingRow, ServiceError> {
    let row = visible(app, actor, reading_id).await?;
    if actor.institution_id.as_deref() != Some(row.ordering_institution_id.as_str()) {
        return Err(ServiceError::Forbidden {
            role: actor.role.code(),
            permission: "reading.acquire",
        });
    }
    Ok(row)
}

/// Stores one DICOM instance sent by the actor's institution: parsed (nothing stored when it is
/// not a valid instance), matched to a resident, linked to the reading given or named by its
/// AccessionNumber (which then becomes acquired), kept in the file store and indexed.
///
/// # Errors
/// `Validation` naming what is wrong with the file or why it does not fit the reading;
/// `Conflict` when another file with the same SOP Instance UID is stored; `Forbidden` without the
/// permission or an institution.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn ingest_dicom(app: &App, actor: &Actor, bytes: Vec<u8>, reading_id: Option<&str>) -> Result<IngestOutcome, ServiceError> {
    actor.require(Permission::ReadingOrder)?;
    let institution_id = actor.institution_id.clone().ok_or(ServiceError::Forbidden {
        role: actor.role.code(),
        permission: "imaging.institution",
    })?;
    let bytes = std::sync::Arc::new(bytes);
    let parsed = {
        let b = bytes.clone();
        tokio::task::spawn_blocking(move || dicom::parse_instance(&b))
            .await
            .map_err(blocking_failed)?
    };
    let inst: Instance = parsed.map_err(|e| dicom_error(&e))?;
    if ECG_SOP_CLASSES.contains(&inst.sop_class_uid.as_str()) {
        return Err(mismatch(
            "dicom.ecg_waveform",
            "This is an ECG waveform: upload it to the ECG reading (POST /api/v1/readings/{id}/ecg)",
            "这是心电波形文件，请在心电图阅片申请中上传",
        ));
    }
    // A study the centre cannot display cannot be read: refused at the door, so the modality can
    // send it again uncompressed.
    inst.check_renderable().map_err(|e| dicom_error(&e))?;
    let institution = registry::institution(&app.db, &institution_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let division = institution.division_code.clone();
    let ids = inst.patient_id.iter().chain(inst.other_patient_ids.iter()).map(String::as_str);
    let matched = match_resident(app, &actor.scope, ids).await?;
    let accession = inst.accession_number.clone().unwrap_or_default();
    let reading = match reading_id {
        Some(id) => Some(reading_for_upload(app, actor, id).await?),
        None if !accession.is_empty() => repo::by_accession(&app.db, &division, &accession)
            .await?
            .filter(|r| r.ordering_institution_id == institution_id),
        None => None,
    };
    let modality_code = inst.modality.clone().unwrap_or_default();
    let (resident_id, match_status) = match (&reading, matched) {
        (Some(r), Some(m)) if m != r.resident_id => {
            return Err(mismatch(
                "dicom.patient_mismatch",
                "The file's PatientID names another resident than the reading's",
                "文件中的患者身份证号与申请单的居民不一致",
            ));
        }
        (_, Some(m)) => (Some(m), "matched"),
        // Uploaded by a person for this reading: a confirmed manual match.
        (Some(r), None) if reading_id.is_some() => (Some(r.resident_id.clone()), "manual"),
        _ => (None, "unmatched"),
    };
    if let Some(r) = &reading
        && crate::readings::parse_modality(&r.modality) != modality_of(&modality_code)
    {
        return Err(mismatch(
            "dicom.modality_mismatch",
            &format!("A {modality_code} image does not fit a {} reading", r.modality),
            "影像类型与阅片申请的检查类型不符",
        ));
    }
    let sha = put_file(&app.files, bytes.clone()).await?;
    let now = Utc::now();
    let acquire_t = match &reading {
        Some(r) => acquire(app, actor, r, now)?,
        None => None,
    };
    let study = StudyRow {
        division_code: division.clone(),
        id: sanyi_store::new_id(),
        study_uid: inst.study_instance_uid.clone(),
        institution_id: institution_id.clone(),
        resident_id: resident_id.clone(),
        reading_id: reading.as_ref().map(|r| r.id.clone()),
        match_status: match_status.into(),
        patient_identifier: inst.patient_id.clone().unwrap_or_default(),
        patient_name: inst.patient_name.clone().unwrap_or_default(),
        patient_sex: inst.patient_sex.map(|s| s.code().to_owned()).unwrap_or_default(),
        patient_birth_date: inst.birth_date,
        accession_number: accession,
        modality: modality_code.clone(),
        study_date: inst.study_date,
        study_time: inst.study_time.map(|t| t.format("%H%M%S").to_string()).unwrap_or_default(),
        description: inst.study_description.clone().unwrap_or_default(),
        instance_count: 0,
        created_at: now,
        updated_at: now,
    };
    let row = InstanceRow {
        division_code: division.clone(),
        id: sanyi_store::new_id(),
        study_id: study.id.clone(),
        series_uid: inst.series_instance_uid.clone(),
        sop_instance_uid: inst.sop_instance_uid.clone(),
        sop_class_uid: inst.sop_class_uid.clone(),
        transfer_syntax: inst.transfer_syntax_uid.clone(),
        modality: modality_code,
        series_number: inst.series_number.map(i64::from),
        instance_number: inst.instance_number.map(i64::from),
        pixel_rows: inst.rows.map(i64::from),
        pixel_columns: inst.columns.map(i64::from),
        frames: i64::from(inst.number_of_frames),
        window_center: inst.window_center,
        window_width: inst.window_width,
        sha256: sha,
        size_bytes: bytes.len() as i64,
        stored_at: now,
    };
    let a = audit::entry(
        actor,
        &division,
        "ingest",
        "imaging_study",
        &study.id,
        resident_id.as_deref(),
        &format!("{} {}", row.modality, match_status),
    );
    let stored = repo::store_instance(&app.db, &study, &row, acquire_t.as_ref(), &a).await?;
    let (status, study_id, instance_id) = match stored {
        Stored::New { study_id, instance_id } => ("stored", study_id, instance_id),
        Stored::Duplicate { study_id, instance_id } => ("duplicate", study_id, instance_id),
        Stored::Conflict { .. } => {
            return Err(ServiceError::Conflict(vec![FieldError::new(
                "file",
                "dicom.sop_instance_conflict",
                "a new SOP Instance UID for different content",
                "Another file with this SOP Instance UID is already stored",
                "已存储相同 SOP 实例 UID 但内容不同的文件",
            )]));
        }
    };
    Ok(IngestOutcome {
        status: status.into(),
        study_id,
        instance_id,
        study_uid: inst.study_instance_uid,
        sop_instance_uid: inst.sop_instance_uid,
        sop_class_uid: inst.sop_class_uid,
        match_status: match_status.into(),
        reading_id: reading.map(|r| r.id),
    })
}

/// Confirms that an unmatched study shows a resident of the actor's area (人工匹配), and
/// optionally links it to an ordered reading of that resident (which then becomes acquired).
///
/// # Errors
/// `NotFound` for a study or resident outside the actor's reach; `Validation` when the reading is
/// of another resident or modality.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn confirm_match(
    app: &App,
    actor: &Actor,
    study_id: &str,
    resident_id: &str,
    reading_id: Option<&str>,
) -> Result<StudyView, ServiceError> {
    actor.require(Permission::ReadingOrder)?;
    let study = visible_study(app, actor, study_id).await?;
    let resident = residents_repo::get(&app.db, &actor.scope, resident_id)
        .await?
        .filter(|r| r.status == "active" && r.division_code == study.division_code)
        .ok_or(ServiceError::NotFound)?;
    let now = Utc::now();
    let acquire_t = match reading_id {
        Some(id) => {
            let r = reading_for_upload(app, actor, id).await?;
            if r.resident_id != resident.id {
                return Err(mismatch(
                    "reading.resident",
                    "The reading is of another resident",
                    "阅片申请属于其他居民",
                ));
            }
            if crate::readings::parse_modality(&r.modality) != modality_of(&study.modality) {
                return Err(mismatch(
                    "dicom.modality_mismatch",
                    "The study does not fit the reading's modality",
                    "影像类型与阅片申请不符",
                ));
            }
            acquire(app, actor, &r, now)?
        }
        None => None,
    };
    let a = audit::entry(
        actor,
        &study.division_code,
        "match",
        "imaging_study",
        &study.id,
        Some(&resident.id),
        "manual match",
    );
    repo::match_study(&app.db, &study.division_code, &study.id, &resident.id, acquire_t.as_ref(), &a).await?;
    let updated = repo::study(&app.db, &study.id).await?.ok_or(ServiceError::NotFound)?;
    Ok(updated.into())
}

/// Whether the actor may see a study: administrators and readers of the centre in their area,
/// others at the acquiring institution.
fn may_see_study(actor: &Actor, s: &StudyRow) -> bool {
    let in_area = s.division_code.starts_with(actor.scope.division_prefix());
    let own = actor.institution_id.as_deref() == Some(s.institution_id.as_str());
    own || (in_area && (actor.role == Role::Administrator || actor.role.can(Permission::ReadingReport)))
}

async fn visible_study(app: &App, actor: &Actor, id: &str) -> Result<StudyRow, ServiceError> {
    actor.require(Permission::ResidentRead)?;
    repo::study(&app.db, id)
        .await?
        .filter(|s| may_see_study(actor, s))
        .ok_or(ServiceError::NotFound)
}

/// Studies the actor may see that match a query (QIDO-RS style), newest first.
///
/// # Errors
/// `Forbidden` without read permission.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn find_studies(app: &App, actor: &Actor, q: &StudyQuery, limit: i64, offset: i64) -> Result<Vec<StudyView>, ServiceError> {
    actor.require(Permission::ResidentRead)?;
    let mut q = q.clone();
    if !(actor.role == Role::Administrator || actor.role.can(Permission::ReadingReport)) {
        q.institution_id = Some(actor.institution_id.clone().unwrap_or_else(|| "-".into()));
    }
    let rows = repo::find_studies(&app.db, actor.scope.division_prefix(), &q, limit.clamp(1, 500), offset.max(0)).await?;
    let out: Vec<StudyView> = rows.into_iter().filter(|s| may_see_study(actor, s)).map(StudyView::from).collect();
    app.audit
        .record(audit::entry(
            actor,
            &actor.division_code,
            "search",
            "imaging_study",
            "",
            None,
            &format!("{} studies", out.len()),
        ))
        .await?;
    Ok(out)
}

/// A study with its instances; the read is audited.
///
/// # Errors
/// `NotFound` outside the actor's reach.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn study(app: &App, actor: &Actor, id: &str) -> Result<(StudyView, Vec<InstanceRow>), ServiceError> {
    let s = visible_study(app, actor, id).await?;
    let instances = repo::instances(&app.db, &s.division_code, &s.id).await?;
    app.audit
        .record(audit::entry(
            actor,
            &s.division_code,
            "read",
            "imaging_study",
            &s.id,
            s.resident_id.as_deref(),
            "study",
        ))
        .await?;
    Ok((s.into(), instances))
}

/// A study by its StudyInstanceUID (DICOMweb paths name studies by UID).
///
/// # Errors
/// `NotFound` outside the actor's reach.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn study_by_uid(app: &App, actor: &Actor, uid: &str) -> Result<(StudyView, Vec<InstanceRow>), ServiceError> {
    actor.require(Permission::ResidentRead)?;
    let s = repo::study_by_uid(&app.db, actor.scope.division_prefix(), uid)
        .await?
        .filter(|s| may_see_study(actor, s))
        .ok_or(ServiceError::NotFound)?;
    study(app, actor, &s.id).await
}

/// The studies of a reading the actor may see.
///
/// # Errors
/// `NotFound` outside the actor's readings.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn studies_of_reading(app: &App, actor: &Actor, reading_id: &str) -> Result<Vec<(StudyView, Vec<InstanceRow>)>, ServiceError> {
    let r = visible(app, actor, reading_id).await?;
    studies_of(app, &r).await
}

async fn studies_of(app: &App, r: &ReadingRow) -> Result<Vec<(StudyView, Vec<InstanceRow>)>, ServiceError> {
    let mut out = Vec::new();
    for s in repo::studies_of_reading(&app.db, &r.division_code, &r.id).await? {
        let instances = repo::instances(&app.db, &s.division_code, &s.id).await?;
        out.push((s.into(), instances));
    }
    Ok(out)
}

/// What the reading page shows beside the report: the studies with their instances, and the ECGs
/// with their drawing on standard paper.
#[derive(Clone, Debug, Default)]
pub struct ReadingMedia {
    /// Studies and their instances.
    pub studies: Vec<(StudyView, Vec<InstanceRow>)>,
    /// ECGs and their SVG drawing (empty when the stored file cannot be drawn; logged).
    pub ecgs: Vec<(EcgView, String)>,
}

/// The media of a reading the caller has already found visible to the actor; each ECG drawing is
/// audited as a view.
///
/// # Errors
/// On a database error.
pub(crate) async fn media_of(app: &App, actor: &Actor, r: &ReadingRow) -> Result<ReadingMedia, ServiceError> {
    let studies = studies_of(app, r).await?;
    let mut ecgs = Vec::new();
    for row in repo::ecgs_of_reading(&app.db, &r.division_code, &r.id).await? {
        let svg = match draw_ecg(app, actor, &row).await {
            Ok(svg) => svg,
            Err(e) => {
                tracing::warn!(ecg = %row.id, error = ?e, "an ECG could not be drawn");
                String::new()
            }
        };
        ecgs.push((EcgView::from(row), svg));
    }
    Ok(ReadingMedia { studies, ecgs })
}

/// An instance and its file, for the actor: via its study, or via a reading of theirs.
async fn instance_file(app: &App, actor: &Actor, instance_id: &str) -> Result<(InstanceRow, StudyRow, Vec<u8>), ServiceError> {
    actor.require(Permission::ResidentRead)?;
    let inst = repo::instance(&app.db, instance_id).await?.ok_or(ServiceError::NotFound)?;
    let s = repo::study(&app.db, &inst.study_id).await?.ok_or(ServiceError::NotFound)?;
    let via_reading = match &s.reading_id {
        Some(r) => repo::get(&app.db, r).await?.is_some_and(|r| crate::readings::may_see(actor, &r)),
        None => false,
    };
    if !(may_see_study(actor, &s) || via_reading) {
        return Err(ServiceError::NotFound);
    }
    let bytes = read_file(&app.files, inst.sha256.clone()).await?;
    Ok((inst, s, bytes))
}

/// Audits a read of an instance's file (`dicom`) or of its rendering (`view`).
async fn audit_instance_read(app: &App, actor: &Actor, s: &StudyRow, inst: &InstanceRow, what: &str) -> Result<(), ServiceError> {
    app.audit
        .record(audit::entry(
            actor,
            &s.division_code,
            "read",
            "imaging_instance",
            &inst.id,
            s.resident_id.as_deref(),
            what,
        ))
        .await
}

/// The DICOM file of an instance (WADO); the read is audited.
///
/// # Errors
/// `NotFound` outside the actor's reach.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn instance_dicom(app: &App, actor: &Actor, instance_id: &str) -> Result<Vec<u8>, ServiceError> {
    let (inst, s, bytes) = instance_file(app, actor, instance_id).await?;
    audit_instance_read(app, actor, &s, &inst, "dicom").await?;
    Ok(bytes)
}

/// Display parameters of a rendered image, as sent by the viewer.
#[derive(Clone, Debug, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RenderParams {
    /// Window centre (窗位).
    pub wc: Option<f64>,
    /// Window width (窗宽), ≥ 1.
    pub ww: Option<f64>,
    /// Longest edge in pixels (16–4096; default: the image's size).
    pub size: Option<u32>,
    /// Invert grey levels.
    pub invert: Option<bool>,
}

/// An instance rendered as PNG with the given window; the view is audited.
///
/// # Errors
/// `Validation` for a bad window or size, or an image this build cannot decode (compressed);
/// `NotFound` outside the actor's reach.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn render(app: &App, actor: &Actor, instance_id: &str, p: &RenderParams) -> Result<Vec<u8>, ServiceError> {
    let mut errs = crate::error::Errors::default();
    if p.ww.is_some_and(|w| !(w >= 1.0 && w.is_finite())) {
        errs.push(FieldError::new(
            "ww",
            "render.window_width",
            "a window width of at least 1",
            "Window width must be at least 1",
            "窗宽至少为 1",
        ));
    }
    if p.wc.is_some_and(|c| !c.is_finite()) {
        errs.push(FieldError::new(
            "wc",
            "render.window_center",
            "a number",
            "Window centre must be a number",
            "窗位应为数字",
        ));
    }
    if p.size.is_some_and(|s| !(16..=4096).contains(&s)) {
        errs.push(FieldError::new(
            "size",
            "render.size",
            "16 to 4096",
            "Size must be between 16 and 4096 pixels",
            "尺寸应在 16 到 4096 像素之间",
        ));
    }
    errs.finish()?;
    let (inst, s, bytes) = instance_file(app, actor, instance_id).await?;
    let options = RenderOptions {
        window_center: p.wc,
        window_width: p.ww,
        max_edge: p.size,
        invert: p.invert.unwrap_or(false),
    };
    let png = tokio::task::spawn_blocking(move || dicom::render_png(&bytes, &options))
        .await
        .map_err(blocking_failed)?
        .map_err(|e| dicom_error(&e))?;
    audit_instance_read(app, actor, &s, &inst, "view").await?;
    Ok(png)
}
