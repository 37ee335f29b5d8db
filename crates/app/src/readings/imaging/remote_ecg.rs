//! Remote ECG (远程心电): ingesting a 12-lead record (HL7 aECG, DICOM waveform, CSV) for a reading, its measurements, and drawing it on standard paper.

use super::*;

/// An ECG record as shown.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EcgView {
    /// Id.
    pub id: String,
    /// The reading.
    pub reading_id: String,
    /// `aecg`, `dicom` or `csv`.
    pub format: String,
    /// Samples per second.
    pub sample_rate_hz: i64,
    /// Length, ms.
    pub duration_ms: i64,
    /// Heart rate, bpm.
    pub heart_rate_bpm: Option<i64>,
    /// RR, ms.
    pub rr_ms: Option<i64>,
    /// PR, ms.
    pub pr_ms: Option<i64>,
    /// QRS, ms.
    pub qrs_ms: Option<i64>,
    /// QT, ms.
    pub qt_ms: Option<i64>,
    /// QTc (Bazett), ms.
    pub qtc_ms: Option<i64>,
    /// Measurements the device reported, when the file carried them.
    #[schema(value_type = Option<Object>)]
    pub reported: Option<serde_json::Value>,
    /// Stored at.
    pub stored_at: DateTime<Utc>,
}

impl From<EcgRow> for EcgView {
    fn from(e: EcgRow) -> EcgView {
        EcgView {
            reported: serde_json::from_str(&e.reported).ok(),
            id: e.id,
            reading_id: e.reading_id,
            format: e.format,
            sample_rate_hz: e.sample_rate_hz,
            duration_ms: e.duration_ms,
            heart_rate_bpm: e.heart_rate_bpm,
            rr_ms: e.rr_ms,
            pr_ms: e.pr_ms,
            qrs_ms: e.qrs_ms,
            qt_ms: e.qt_ms,
            qtc_ms: e.qtc_ms,
            stored_at: e.stored_at,
        }
    }
}

pub(super) fn ecg_error(e: &EcgError) -> ServiceError {
    ServiceError::Validation(vec![FieldError::new(
        "file",
        &format!("ecg.{}", e.code()),
        "a 12-lead ECG as HL7 aECG XML, DICOM waveform or the documented CSV, at least 2 s",
        &e.message(),
        &e.message_zh(),
    )])
}

/// Stores the 12-lead ECG of an ECG reading ordered by the actor's institution: parsed (nothing
/// stored when leads are missing or the file is malformed), measured, kept in the file store; the
/// reading becomes acquired.
///
/// # Errors
/// `Validation` naming what is wrong with the file; `Conflict` when the reading is not waiting
/// for its ECG; `Forbidden` at another institution.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn ingest_ecg(app: &App, actor: &Actor, reading_id: &str, bytes: Vec<u8>) -> Result<EcgView, ServiceError> {
    actor.require(Permission::ReadingOrder)?;
    let reading = reading_for_upload(app, actor, reading_id).await?;
    if reading.modality != "ecg" {
        return Err(mismatch(
            "ecg.modality_mismatch",
            "This reading is not an ECG reading",
            "该阅片申请不是心电图检查",
        ));
    }
    let bytes = std::sync::Arc::new(bytes);
    let parsed = {
        let b = bytes.clone();
        tokio::task::spawn_blocking(move || {
            ecg::parse_any(&b).map(|(f, e)| {
                let m = ecg::measure(&e);
                (f, e, m)
            })
        })
        .await
        .map_err(blocking_failed)?
    };
    let (format, e, m) = parsed.map_err(|e| ecg_error(&e))?;
    if let Some(pid) = &e.patient_id
        && let Ok(rid) = ResidentId::parse(pid.trim())
    {
        let resident = residents_repo::get(&app.db, &ResidentScope::all(), &reading.resident_id).await?;
        if resident.is_some_and(|r| r.id_number != rid.as_str()) {
            return Err(mismatch(
                "ecg.patient_mismatch",
                "The file's patient ID names another resident than the reading's",
                "文件中的患者身份证号与申请单的居民不一致",
            ));
        }
    }
    let now = Utc::now();
    let Some(t) = acquire(app, actor, &reading, now)? else {
        return Err(ServiceError::Conflict(vec![FieldError::new(
            "reading",
            "reading.state",
            "a reading waiting for its ECG (ordered)",
            "The reading already has its ECG",
            "该申请已上传心电图",
        )]));
    };
    let sha = put_file(&app.files, bytes.clone()).await?;
    let n = |v: Option<u32>| v.map(i64::from);
    let row = EcgRow {
        division_code: reading.division_code.clone(),
        id: sanyi_store::new_id(),
        reading_id: reading.id.clone(),
        resident_id: reading.resident_id.clone(),
        format: match format {
            EcgFormat::Aecg => "aecg",
            EcgFormat::Dicom => "dicom",
            EcgFormat::Csv => "csv",
        }
        .into(),
        sha256: sha,
        size_bytes: bytes.len() as i64,
        sample_rate_hz: i64::from(e.sample_rate_hz),
        duration_ms: e.duration_ms() as i64,
        heart_rate_bpm: n(m.heart_rate_bpm),
        rr_ms: n(m.rr_ms),
        pr_ms: n(m.pr_ms),
        qrs_ms: n(m.qrs_ms),
        qt_ms: n(m.qt_ms),
        qtc_ms: n(m.qtc_ms),
        reported: e.reported.map(|r| measurements_json(&r).to_string()).unwrap_or_default(),
        acquired_at: e.acquired_at.map(|t| t.and_utc()),
        stored_at: now,
    };
    let a = audit::entry(
        actor,
        &reading.division_code,
        "ingest",
        "ecg",
        &row.id,
        Some(&reading.resident_id),
        &row.format,
    );
    repo::store_ecg(&app.db, &row, &t, &a).await?;
    Ok(row.into())
}

pub(super) fn measurements_json(m: &ecg::Measurements) -> serde_json::Value {
    serde_json::json!({
        "heart_rate_bpm": m.heart_rate_bpm, "rr_ms": m.rr_ms, "pr_ms": m.pr_ms,
        "qrs_ms": m.qrs_ms, "qt_ms": m.qt_ms, "qtc_ms": m.qtc_ms,
    })
}

/// The ECG records of a reading the actor may see.
///
/// # Errors
/// `NotFound` outside the actor's readings.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn ecgs_of_reading(app: &App, actor: &Actor, reading_id: &str) -> Result<Vec<EcgView>, ServiceError> {
    let r = visible(app, actor, reading_id).await?;
    Ok(repo::ecgs_of_reading(&app.db, &r.division_code, &r.id)
        .await?
        .into_iter()
        .map(EcgView::from)
        .collect())
}

/// An ECG drawn on standard paper (25 mm/s, 10 mm/mV; 3×4 leads and a lead-II rhythm strip) as
/// SVG; the view is audited.
///
/// # Errors
/// `NotFound` outside the actor's readings.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn ecg_svg(app: &App, actor: &Actor, ecg_id: &str) -> Result<String, ServiceError> {
    actor.require(Permission::ResidentRead)?;
    let row = repo::ecg(&app.db, ecg_id).await?.ok_or(ServiceError::NotFound)?;
    visible(app, actor, &row.reading_id).await?;
    draw_ecg(app, actor, &row).await
}

/// Draws a stored ECG; the view is audited.
pub(super) async fn draw_ecg(app: &App, actor: &Actor, row: &EcgRow) -> Result<String, ServiceError> {
    let bytes = read_file(&app.files, row.sha256.clone()).await?;
    let svg = tokio::task::spawn_blocking(move || {
        ecg::parse_any(&bytes).map(|(_, e)| {
            let m = ecg::measure(&e);
            ecg::render_svg(&e, &m)
        })
    })
    .await
    .map_err(blocking_failed)?
    .map_err(|e| ecg_error(&e))?;
    app.audit
        .record(audit::entry(
            actor,
            &row.division_code,
            "read",
            "ecg",
            &row.id,
            Some(&row.resident_id),
            "view",
        ))
        .await?;
    Ok(svg)
}
