//! Attachments of referrals and consultations (附件): upload the raw file with its media type in
//! `Content-Type` and its name in `?filename=`; list; download (every download is audited).

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use sanyi_app::attachments::Workflow;
use sanyi_app::attachments::{self as service, AttachmentView};

use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiBytes, ApiError, ApiJson, ApiPath, ApiQuery, Problem};

/// Body limit of the upload routes: the policy's limit plus room, so that the service (not the
/// transport) names the size rule for anything up to twice the limit.
pub fn router(max_bytes: usize) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_referral_attachments, upload_referral_attachment))
        .routes(routes!(open_referral_attachment))
        .routes(routes!(list_consultation_attachments, upload_consultation_attachment))
        .routes(routes!(open_consultation_attachment))
        .layer(DefaultBodyLimit::max(max_bytes.saturating_mul(2)))
}

/// The file name of an upload.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// Original file name (e.g. `血常规.pdf`).
    pub filename: String,
}

async fn upload(
    state: &AppState,
    a: &sanyi_app::Actor,
    kind: Workflow,
    id: &str,
    p: &UploadParams,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(StatusCode, ApiJson<AttachmentView>), ApiError> {
    let declared = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let v = service::upload(&state.app, a, kind, id, &p.filename, declared, body).await?;
    Ok((StatusCode::CREATED, ApiJson(v)))
}

async fn download(state: &AppState, a: &sanyi_app::Actor, kind: Workflow, id: &str, attachment: &str) -> Result<Response, ApiError> {
    let (meta, content) = service::open(&state.app, a, kind, id, attachment).await?;
    Ok(file_response(&meta, content))
}

/// An attachment as an inline download: its recognised type, its name (RFC 5987), no sniffing, no caching.
pub(crate) fn file_response(meta: &AttachmentView, content: Vec<u8>) -> Response {
    let mut res = content.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&meta.content_type).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    let encoded: String = meta
        .filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename*=UTF-8''{encoded}")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    res
}

/// Attachments of a referral (sender's and receiver's staff).
#[utoipa::path(get, path = "/api/v1/referrals/{id}/attachments", tag = "referrals", params(("id" = String, Path, description = "Referral id")),
    responses((status = 200, body = Vec<AttachmentView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn list_referral_attachments(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<Vec<AttachmentView>>, ApiError> {
    Ok(ApiJson(service::list(&state.app, &a, Workflow::Referral, &id).await?))
}

/// Attaches a PDF, PNG or JPEG file (raw body; type recognised from the content and checked
/// against `Content-Type`; size limit 10 MiB by default).
#[utoipa::path(post, path = "/api/v1/referrals/{id}/attachments", tag = "referrals",
    params(("id" = String, Path, description = "Referral id"), UploadParams),
    request_body(content = Vec<u8>, content_type = "application/pdf"),
    responses((status = 201, body = AttachmentView), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 413, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn upload_referral_attachment(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiQuery(p): ApiQuery<UploadParams>,
    headers: HeaderMap,
    ApiBytes(body): ApiBytes,
) -> Result<(StatusCode, ApiJson<AttachmentView>), ApiError> {
    upload(&state, &a, Workflow::Referral, &id, &p, &headers, &body).await
}

/// One attachment's content (audited as a read of the resident's record).
#[utoipa::path(get, path = "/api/v1/referrals/{id}/attachments/{attachment}", tag = "referrals",
    params(("id" = String, Path, description = "Referral id"), ("attachment" = String, Path, description = "Attachment id")),
    responses((status = 200, description = "The file"), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn open_referral_attachment(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath((id, attachment)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    download(&state, &a, Workflow::Referral, &id, &attachment).await
}

/// Attachments of a consultation (both institutions and assigned experts).
#[utoipa::path(get, path = "/api/v1/consultations/{id}/attachments", tag = "consultations", params(("id" = String, Path, description = "Consultation id")),
    responses((status = 200, body = Vec<AttachmentView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn list_consultation_attachments(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<Vec<AttachmentView>>, ApiError> {
    Ok(ApiJson(service::list(&state.app, &a, Workflow::Consultation, &id).await?))
}

/// Attaches a PDF, PNG or JPEG file to a consultation (as for referrals).
#[utoipa::path(post, path = "/api/v1/consultations/{id}/attachments", tag = "consultations",
    params(("id" = String, Path, description = "Consultation id"), UploadParams),
    request_body(content = Vec<u8>, content_type = "application/pdf"),
    responses((status = 201, body = AttachmentView), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 413, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn upload_consultation_attachment(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiQuery(p): ApiQuery<UploadParams>,
    headers: HeaderMap,
    ApiBytes(body): ApiBytes,
) -> Result<(StatusCode, ApiJson<AttachmentView>), ApiError> {
    upload(&state, &a, Workflow::Consultation, &id, &p, &headers, &body).await
}

/// One attachment of a consultation (audited).
#[utoipa::path(get, path = "/api/v1/consultations/{id}/attachments/{attachment}", tag = "consultations",
    params(("id" = String, Path, description = "Consultation id"), ("attachment" = String, Path, description = "Attachment id")),
    responses((status = 200, description = "The file"), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn open_consultation_attachment(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath((id, attachment)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    download(&state, &a, Workflow::Consultation, &id, &attachment).await
}
