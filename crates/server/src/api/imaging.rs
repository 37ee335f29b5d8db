//! Imaging and ECG intake (DICOM 影像 · 心电): raw uploads under `/api/v1`, and DICOMweb at
//! `/dicomweb` for PACS and modalities — STOW-RS (store), QIDO-RS (search studies and instances),
//! WADO-RS (retrieve an instance, or its rendered PNG).

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use sanyi_app::imaging::{self as service, EcgView, IngestOutcome, RenderParams, StudyView};
use sanyi_app::imaging::{InstanceRow, StudyQuery};
use sanyi_app::{FieldError, ServiceError};

use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiBytes, ApiError, ApiJson, ApiPath, ApiQuery, Problem};

/// Largest DICOM instance or ECG file accepted in one request (a DR image is 5–30 MiB).
pub const INSTANCE_LIMIT: usize = 64 * 1024 * 1024;
/// Largest STOW-RS request (several instances).
pub const STOW_LIMIT: usize = 512 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    let uploads = OpenApiRouter::new()
        .routes(routes!(upload_instance))
        .routes(routes!(upload_reading_images))
        .routes(routes!(upload_reading_ecg))
        .layer(DefaultBodyLimit::max(INSTANCE_LIMIT));
    OpenApiRouter::new()
        .merge(uploads)
        .routes(routes!(reading_studies))
        .routes(routes!(reading_ecgs))
        .routes(routes!(ecg_svg))
        .routes(routes!(search_studies))
        .routes(routes!(get_study))
        .routes(routes!(match_study))
        .routes(routes!(rendered_instance))
        .routes(routes!(instance_file))
        .routes(routes!(stow))
        .routes(routes!(qido_studies))
        .routes(routes!(qido_instances))
        .routes(routes!(wado_instance))
        .routes(routes!(wado_rendered))
}

fn ingest_status(o: &IngestOutcome) -> StatusCode {
    if o.status == "duplicate" {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    }
}

/// Which reading an upload is for.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// The reading (optional: else matched by the file's AccessionNumber).
    pub reading: Option<String>,
}

/// Stores one DICOM Part-10 instance (body `application/dicom`) acquired at the caller's
/// institution. 201 when stored, 200 when the same instance was stored before (nothing changes);
/// a file that is not valid DICOM, lacks a patient identity or uses an unsupported transfer
/// syntax is refused (422) and nothing is stored.
#[utoipa::path(post, path = "/api/v1/imaging/instances", tag = "imaging", params(UploadParams),
    request_body(content = Vec<u8>, content_type = "application/dicom"),
    responses((status = 201, body = IngestOutcome), (status = 200, body = IngestOutcome),
              (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn upload_instance(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(p): ApiQuery<UploadParams>,
    ApiBytes(body): ApiBytes,
) -> Result<(StatusCode, ApiJson<IngestOutcome>), ApiError> {
    let o = service::ingest_dicom(&state.app, &a, body.to_vec(), p.reading.as_deref()).await?;
    Ok((ingest_status(&o), ApiJson(o)))
}

/// Stores one DICOM instance of a reading ordered by the caller's institution; the first one
/// makes the reading acquired.
#[utoipa::path(post, path = "/api/v1/readings/{id}/images", tag = "imaging", params(("id" = String, Path, description = "Reading id")),
    request_body(content = Vec<u8>, content_type = "application/dicom"),
    responses((status = 201, body = IngestOutcome), (status = 200, body = IngestOutcome),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn upload_reading_images(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiBytes(body): ApiBytes,
) -> Result<(StatusCode, ApiJson<IngestOutcome>), ApiError> {
    let o = service::ingest_dicom(&state.app, &a, body.to_vec(), Some(&id)).await?;
    Ok((ingest_status(&o), ApiJson(o)))
}

/// Stores the 12-lead ECG of an ECG reading: HL7 aECG XML, a DICOM 12-lead waveform or the
/// documented CSV, recognised by content; measured (rate, RR, PR, QRS, QT, QTc); the reading
/// becomes acquired.
#[utoipa::path(post, path = "/api/v1/readings/{id}/ecg", tag = "imaging", params(("id" = String, Path, description = "Reading id")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = EcgView), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn upload_reading_ecg(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiBytes(body): ApiBytes,
) -> Result<(StatusCode, ApiJson<EcgView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        ApiJson(service::ingest_ecg(&state.app, &a, &id, body.to_vec()).await?),
    ))
}

/// A study with its instances.
#[derive(Serialize, ToSchema)]
pub struct StudyDetail {
    /// The study.
    pub study: StudyView,
    /// Its instances, by series and number.
    #[schema(value_type = Vec<Object>)]
    pub instances: Vec<InstanceRow>,
}

/// The studies of a reading, with their instances.
#[utoipa::path(get, path = "/api/v1/readings/{id}/studies", tag = "imaging", params(("id" = String, Path, description = "Reading id")),
    responses((status = 200, body = Vec<StudyDetail>), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn reading_studies(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<Vec<StudyDetail>>, ApiError> {
    let list = service::studies_of_reading(&state.app, &a, &id).await?;
    Ok(ApiJson(
        list.into_iter()
            .map(|(study, instances)| StudyDetail { study, instances })
            .collect(),
    ))
}

/// The ECG records of a reading with their measurements.
#[utoipa::path(get, path = "/api/v1/readings/{id}/ecgs", tag = "imaging", params(("id" = String, Path, description = "Reading id")),
    responses((status = 200, body = Vec<EcgView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn reading_ecgs(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<Vec<EcgView>>, ApiError> {
    Ok(ApiJson(service::ecgs_of_reading(&state.app, &a, &id).await?))
}

/// An ECG on standard paper (25 mm/s, 10 mm/mV, 3×4 leads plus a 10 s lead-II rhythm strip) as SVG.
#[utoipa::path(get, path = "/api/v1/ecgs/{id}/svg", tag = "imaging", params(("id" = String, Path, description = "ECG record id")),
    responses((status = 200, content_type = "image/svg+xml", body = String), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn ecg_svg(State(state): State<AppState>, ApiActor(a): ApiActor, ApiPath(id): ApiPath<String>) -> Result<Response, ApiError> {
    let svg = service::ecg_svg(&state.app, &a, &id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        svg,
    )
        .into_response())
}

/// A study search (QIDO-RS-like, JSON).
#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct StudySearchParams {
    /// PatientID (exact), e.g. a resident ID number.
    pub patient_id: Option<String>,
    /// Matched resident record.
    pub resident_id: Option<String>,
    /// StudyInstanceUID.
    pub study_uid: Option<String>,
    /// AccessionNumber.
    pub accession_number: Option<String>,
    /// Modality (`DX`, `CR`, `CT`, `MR`).
    pub modality: Option<String>,
    /// StudyDate from (inclusive).
    pub from: Option<chrono::NaiveDate>,
    /// StudyDate to (inclusive).
    pub to: Option<chrono::NaiveDate>,
    /// `matched`, `manual` or `unmatched` (the manual-match queue).
    pub match_status: Option<String>,
    /// Rows (default 50, at most 500).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Rows to skip.
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

/// Studies the caller may see, newest first.
#[utoipa::path(get, path = "/api/v1/imaging/studies", tag = "imaging", params(StudySearchParams),
    responses((status = 200, body = Vec<StudyView>), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn search_studies(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(p): ApiQuery<StudySearchParams>,
) -> Result<ApiJson<Vec<StudyView>>, ApiError> {
    let q = StudyQuery {
        patient_id: p.patient_id,
        resident_id: p.resident_id,
        study_uid: p.study_uid,
        accession_number: p.accession_number,
        modality: p.modality,
        date_from: p.from,
        date_to: p.to,
        match_status: p.match_status,
        institution_id: None,
    };
    Ok(ApiJson(
        service::find_studies(&state.app, &a, &q, p.limit.unwrap_or(50), p.offset.unwrap_or(0)).await?,
    ))
}

/// A study with its instances; the read is audited.
#[utoipa::path(get, path = "/api/v1/imaging/studies/{id}", tag = "imaging", params(("id" = String, Path, description = "Study id")),
    responses((status = 200, body = StudyDetail), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_study(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<StudyDetail>, ApiError> {
    let (study, instances) = service::study(&state.app, &a, &id).await?;
    Ok(ApiJson(StudyDetail { study, instances }))
}

/// A confirmed manual match.
#[derive(Deserialize, ToSchema)]
pub struct MatchInput {
    /// The resident the images show.
    pub resident_id: String,
    /// Optionally, the ordered reading of that resident the study was taken for.
    #[serde(default)]
    pub reading_id: Option<String>,
}

/// Confirms which resident an unmatched study shows (人工匹配), optionally linking it to a reading.
#[utoipa::path(post, path = "/api/v1/imaging/studies/{id}/match", tag = "imaging", params(("id" = String, Path, description = "Study id")),
    request_body = MatchInput,
    responses((status = 200, body = StudyView), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn match_study(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(m): ApiJson<MatchInput>,
) -> Result<ApiJson<StudyView>, ApiError> {
    Ok(ApiJson(
        service::confirm_match(&state.app, &a, &id, &m.resident_id, m.reading_id.as_deref()).await?,
    ))
}

fn png(bytes: Vec<u8>) -> Response {
    (
        [(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "private, no-store")],
        bytes,
    )
        .into_response()
}

/// An instance rendered as PNG: window centre/width (`wc`, `ww`; default: the file's window),
/// `size` (longest edge), `invert`. The view is audited.
#[utoipa::path(get, path = "/api/v1/imaging/instances/{id}/rendered", tag = "imaging",
    params(("id" = String, Path, description = "Instance id"), RenderParams),
    responses((status = 200, content_type = "image/png", body = Vec<u8>), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn rendered_instance(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiQuery(p): ApiQuery<RenderParams>,
) -> Result<Response, ApiError> {
    Ok(png(service::render(&state.app, &a, &id, &p).await?))
}

fn dicom_file(bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/dicom"),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        bytes,
    )
        .into_response()
}

/// The stored DICOM file of an instance; the read is audited.
#[utoipa::path(get, path = "/api/v1/imaging/instances/{id}/file", tag = "imaging", params(("id" = String, Path, description = "Instance id")),
    responses((status = 200, content_type = "application/dicom", body = Vec<u8>), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn instance_file(State(state): State<AppState>, ApiActor(a): ApiActor, ApiPath(id): ApiPath<String>) -> Result<Response, ApiError> {
    Ok(dicom_file(service::instance_dicom(&state.app, &a, &id).await?))
}

// ---------------------------------------------------------------------------------------------
// DICOMweb (PS3.18)

/// The boundary of a `multipart/related; type="application/dicom"` request.
fn related_boundary(headers: &HeaderMap) -> Result<String, ServiceError> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let lower = ct.to_ascii_lowercase();
    let bad = || {
        ServiceError::Validation(vec![FieldError::new(
            "content-type",
            "stow.content_type",
            "multipart/related; type=\"application/dicom\"; boundary=…",
            "STOW-RS takes multipart/related parts of type application/dicom",
            "STOW-RS 请求应为 multipart/related（application/dicom）",
        )])
    };
    if !lower.starts_with("multipart/related") || (lower.contains("type=") && !lower.contains("application/dicom")) {
        return Err(bad());
    }
    ct.split(';')
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        .filter(|b| !b.is_empty())
        .ok_or_else(bad)
}

/// DICOM JSON attribute.
fn attr(vr: &str, value: impl Into<Value>) -> Value {
    json!({ "vr": vr, "Value": [value.into()] })
}

fn sop_ref(class: &str, instance: &str) -> Value {
    json!({ "00081150": attr("UI", class), "00081155": attr("UI", instance) })
}

/// Stores instances sent as `multipart/related; type="application/dicom"` (STOW-RS). Each part is
/// stored or refused on its own: the answer lists the stored instances (ReferencedSOPSequence) and
/// the failed ones with a reason (FailedSOPSequence, FailureReason 0xC000 = cannot understand,
/// 0xA700 = out of resources); 200 when all were stored, 202 when some failed, 409 when all failed.
#[utoipa::path(post, path = "/dicomweb/studies", tag = "imaging",
    request_body(content = Vec<u8>, content_type = "multipart/related"),
    responses((status = 200, content_type = "application/dicom+json", body = Object), (status = 202, content_type = "application/dicom+json", body = Object),
              (status = 409, content_type = "application/dicom+json", body = Object), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn stow(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    let boundary = related_boundary(&headers)?;
    let limits = multer::Constraints::new().size_limit(
        multer::SizeLimit::new()
            .whole_stream(STOW_LIMIT as u64)
            .per_field(INSTANCE_LIMIT as u64),
    );
    let mut parts = multer::Multipart::with_constraints(body.into_data_stream(), boundary, limits);
    let mut stored = Vec::new();
    let mut failed = Vec::new();
    let mut index = 0usize;
    loop {
        let field = match parts.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                return Err(ApiError(ServiceError::Validation(vec![FieldError::new(
                    "body",
                    "stow.multipart",
                    "well-formed multipart/related parts",
                    &format!("The multipart body is malformed: {e}"),
                    "multipart 请求体格式错误",
                )])));
            }
        };
        index += 1;
        let bytes = match field.bytes().await {
            Ok(b) => b,
            Err(e) => {
                failed.push(json!({ "00081197": attr("US", 0xA700), "part": index, "reason": e.to_string() }));
                continue;
            }
        };
        match service::ingest_dicom(&state.app, &a, bytes.to_vec(), None).await {
            Ok(o) => stored.push(sop_ref(&o.sop_class_uid, &o.sop_instance_uid)),
            Err(ServiceError::Validation(errs) | ServiceError::Conflict(errs)) => failed.push(json!({
                "00081197": attr("US", 0xC000),
                "part": index,
                "reason": errs.first().map(|e| e.message.clone()).unwrap_or_default(),
                "rule": errs.first().map(|e| e.rule.clone()).unwrap_or_default(),
            })),
            Err(e) => return Err(ApiError(e)),
        }
    }
    let status = match (stored.is_empty(), failed.is_empty()) {
        (_, true) => StatusCode::OK,
        (false, false) => StatusCode::ACCEPTED,
        (true, false) => StatusCode::CONFLICT,
    };
    let mut out = serde_json::Map::new();
    if !stored.is_empty() {
        out.insert("00081199".into(), json!({ "vr": "SQ", "Value": stored }));
    }
    if !failed.is_empty() {
        out.insert("00081198".into(), json!({ "vr": "SQ", "Value": failed }));
    }
    Ok(dicom_json(status, Value::Object(out)))
}

fn dicom_json(status: StatusCode, v: Value) -> Response {
    let mut res = (status, v.to_string()).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/dicom+json"));
    res
}

/// QIDO-RS query parameters (attribute keywords as in PS3.18).
#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "PascalCase")]
pub struct QidoParams {
    /// PatientID (exact).
    #[serde(rename = "PatientID")]
    pub patient_id: Option<String>,
    /// StudyInstanceUID.
    #[serde(rename = "StudyInstanceUID")]
    pub study_instance_uid: Option<String>,
    /// AccessionNumber.
    pub accession_number: Option<String>,
    /// ModalitiesInStudy (one modality).
    pub modalities_in_study: Option<String>,
    /// StudyDate: `YYYYMMDD` or a range `YYYYMMDD-YYYYMMDD` (either end may be open).
    pub study_date: Option<String>,
    /// Results (default 100, at most 500).
    #[serde(rename = "limit")]
    pub limit: Option<i64>,
    /// Results to skip.
    #[serde(rename = "offset")]
    pub offset: Option<i64>,
}

fn dicom_date(s: &str) -> Result<Option<chrono::NaiveDate>, ServiceError> {
    if s.is_empty() {
        return Ok(None);
    }
    chrono::NaiveDate::parse_from_str(s, "%Y%m%d").map(Some).map_err(|_| {
        ServiceError::Validation(vec![FieldError::new(
            "StudyDate",
            "qido.date",
            "YYYYMMDD or YYYYMMDD-YYYYMMDD",
            &format!("{s} is not a DICOM date"),
            "日期应为 YYYYMMDD 或 YYYYMMDD-YYYYMMDD",
        )])
    })
}

fn study_json(s: &StudyView, base: &str) -> Value {
    let mut o = serde_json::Map::new();
    o.insert("0020000D".into(), attr("UI", s.study_uid.clone()));
    o.insert("00080050".into(), attr("SH", s.accession_number.clone()));
    o.insert("00080061".into(), attr("CS", s.modality.clone()));
    o.insert("00100020".into(), attr("LO", s.patient_id_masked.clone()));
    o.insert(
        "00100010".into(),
        json!({ "vr": "PN", "Value": [{ "Alphabetic": s.patient_name }] }),
    );
    if let Some(d) = s.study_date {
        o.insert("00080020".into(), attr("DA", d.format("%Y%m%d").to_string()));
    }
    if !s.study_time.is_empty() {
        o.insert("00080030".into(), attr("TM", s.study_time.clone()));
    }
    if !s.description.is_empty() {
        o.insert("00081030".into(), attr("LO", s.description.clone()));
    }
    o.insert("00201208".into(), attr("IS", s.instance_count));
    o.insert("00081190".into(), attr("UR", format!("{base}/dicomweb/studies/{}", s.study_uid)));
    Value::Object(o)
}

fn base_url(headers: &HeaderMap) -> String {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| format!("http://{h}"))
        .unwrap_or_default()
}

/// Searches studies (QIDO-RS) by PatientID, StudyInstanceUID, AccessionNumber, ModalitiesInStudy
/// and StudyDate (or a range); answers DICOM JSON. Patient IDs are masked.
#[utoipa::path(get, path = "/dicomweb/studies", tag = "imaging", params(QidoParams),
    responses((status = 200, content_type = "application/dicom+json", body = Vec<Object>), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn qido_studies(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    headers: HeaderMap,
    ApiQuery(p): ApiQuery<QidoParams>,
) -> Result<Response, ApiError> {
    let (from, to) = match p.study_date.as_deref() {
        None => (None, None),
        Some(d) => match d.split_once('-') {
            Some((f, t)) => (dicom_date(f)?, dicom_date(t)?),
            None => {
                let day = dicom_date(d)?;
                (day, day)
            }
        },
    };
    let q = StudyQuery {
        patient_id: p.patient_id,
        study_uid: p.study_instance_uid,
        accession_number: p.accession_number,
        modality: p.modalities_in_study,
        date_from: from,
        date_to: to,
        ..StudyQuery::default()
    };
    let studies = service::find_studies(&state.app, &a, &q, p.limit.unwrap_or(100), p.offset.unwrap_or(0)).await?;
    let base = base_url(&headers);
    Ok(dicom_json(
        StatusCode::OK,
        Value::Array(studies.iter().map(|s| study_json(s, &base)).collect()),
    ))
}

/// The instances of a study (QIDO-RS), DICOM JSON.
#[utoipa::path(get, path = "/dicomweb/studies/{study}/instances", tag = "imaging", params(("study" = String, Path, description = "StudyInstanceUID")),
    responses((status = 200, content_type = "application/dicom+json", body = Vec<Object>), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn qido_instances(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    headers: HeaderMap,
    ApiPath(study): ApiPath<String>,
) -> Result<Response, ApiError> {
    let (s, instances) = service::study_by_uid(&state.app, &a, &study).await?;
    let base = base_url(&headers);
    let list = instances
        .iter()
        .map(|i| {
            let mut o = serde_json::Map::new();
            o.insert("0020000D".into(), attr("UI", s.study_uid.clone()));
            o.insert("0020000E".into(), attr("UI", i.series_uid.clone()));
            o.insert("00080018".into(), attr("UI", i.sop_instance_uid.clone()));
            o.insert("00080016".into(), attr("UI", i.sop_class_uid.clone()));
            o.insert("00080060".into(), attr("CS", i.modality.clone()));
            if let Some(n) = i.instance_number {
                o.insert("00200013".into(), attr("IS", n));
            }
            if let (Some(r), Some(c)) = (i.pixel_rows, i.pixel_columns) {
                o.insert("00280010".into(), attr("US", r));
                o.insert("00280011".into(), attr("US", c));
            }
            o.insert(
                "00081190".into(),
                attr(
                    "UR",
                    format!(
                        "{base}/dicomweb/studies/{}/series/{}/instances/{}",
                        s.study_uid, i.series_uid, i.sop_instance_uid
                    ),
                ),
            );
            Value::Object(o)
        })
        .collect();
    Ok(dicom_json(StatusCode::OK, Value::Array(list)))
}

async fn instance_by_uids(
    state: &AppState,
    a: &sanyi_app::Actor,
    study: &str,
    series: &str,
    sop: &str,
) -> Result<InstanceRow, ServiceError> {
    let (_, instances) = service::study_by_uid(&state.app, a, study).await?;
    instances
        .into_iter()
        .find(|i| i.series_uid == series && i.sop_instance_uid == sop)
        .ok_or(ServiceError::NotFound)
}

/// Retrieves one instance (WADO-RS) as `multipart/related; type="application/dicom"`.
#[utoipa::path(get, path = "/dicomweb/studies/{study}/series/{series}/instances/{instance}", tag = "imaging",
    params(("study" = String, Path, description = "StudyInstanceUID"), ("series" = String, Path, description = "SeriesInstanceUID"),
           ("instance" = String, Path, description = "SOPInstanceUID")),
    responses((status = 200, content_type = "multipart/related", body = Vec<u8>), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn wado_instance(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath((study, series, sop)): ApiPath<(String, String, String)>,
) -> Result<Response, ApiError> {
    let inst = instance_by_uids(&state, &a, &study, &series, &sop).await?;
    let bytes = service::instance_dicom(&state.app, &a, &inst.id).await?;
    let boundary = format!("sanyi-{}", inst.sha256.get(..16).unwrap_or("boundary"));
    let mut body = format!("--{boundary}\r\nContent-Type: application/dicom\r\n\r\n").into_bytes();
    body.extend_from_slice(&bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let ct = format!("multipart/related; type=\"application/dicom\"; boundary={boundary}");
    let mut res = body.into_response();
    if let Ok(v) = HeaderValue::from_str(&ct) {
        res.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(res)
}

/// WADO-RS rendered parameters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WadoRenderParams {
    /// `center,width[,function]` (only the linear function).
    pub window: Option<String>,
    /// Longest edge (`rows,columns` also accepted: the larger is used).
    pub viewport: Option<String>,
}

/// One instance rendered as PNG (WADO-RS rendered resource).
#[utoipa::path(get, path = "/dicomweb/studies/{study}/series/{series}/instances/{instance}/rendered", tag = "imaging",
    params(("study" = String, Path, description = "StudyInstanceUID"), ("series" = String, Path, description = "SeriesInstanceUID"),
           ("instance" = String, Path, description = "SOPInstanceUID"), WadoRenderParams),
    responses((status = 200, content_type = "image/png", body = Vec<u8>), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn wado_rendered(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath((study, series, sop)): ApiPath<(String, String, String)>,
    ApiQuery(p): ApiQuery<WadoRenderParams>,
) -> Result<Response, ApiError> {
    let bad = |field: &str, expected: &str| {
        ApiError(ServiceError::Validation(vec![FieldError::new(
            field,
            "wado.parameter",
            expected,
            &format!("{field} should be {expected}"),
            "参数格式错误",
        )]))
    };
    let mut params = RenderParams::default();
    if let Some(w) = &p.window {
        let mut it = w.split(',');
        params.wc = Some(
            it.next()
                .and_then(|v| v.trim().parse().ok())
                .ok_or_else(|| bad("window", "center,width[,linear]"))?,
        );
        params.ww = Some(
            it.next()
                .and_then(|v| v.trim().parse().ok())
                .ok_or_else(|| bad("window", "center,width[,linear]"))?,
        );
        if it.next().is_some_and(|f| !f.trim().eq_ignore_ascii_case("linear")) {
            return Err(bad("window", "center,width[,linear]"));
        }
    }
    if let Some(v) = &p.viewport {
        let edges: Option<Vec<u32>> = v.split(',').map(|x| x.trim().parse().ok()).collect();
        params.size = Some(
            edges
                .and_then(|e| e.into_iter().max())
                .ok_or_else(|| bad("viewport", "rows,columns"))?,
        );
    }
    let inst = instance_by_uids(&state, &a, &study, &series, &sop).await?;
    Ok(png(service::render(&state.app, &a, &inst.id, &params).await?))
}
