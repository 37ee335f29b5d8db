//! Attachment upload (multipart form) and inline viewing from the referral and consultation pages;
//! the rules and the audit are the service's, as for the API.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use sanyi_app::attachments as service;
use sanyi_app::attachments::AttachmentPolicy;
use sanyi_app::attachments::Workflow;
use sanyi_app::{FieldError, ServiceError};

use super::{PageActor, same_origin};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/referrals/{id}/attachments", post(upload_referral))
        .route("/consultations/{id}/attachments", post(upload_consultation))
        .route("/referrals/{id}/attachments/{attachment}", get(open_referral))
        .route("/consultations/{id}/attachments/{attachment}", get(open_consultation))
        .layer(DefaultBodyLimit::max(AttachmentPolicy::default().max_bytes.saturating_mul(2)))
}

/// The `file` part of the form: name, declared type and bytes.
async fn file_part(mut form: Multipart) -> Result<(String, Option<String>, Vec<u8>), ServiceError> {
    let missing = || {
        ServiceError::Validation(vec![FieldError::new(
            "file",
            "attachment.missing",
            "a file in the form's file field within the size limit",
            "Choose a file (PDF, PNG or JPEG, at most 10 MiB)",
            "请选择文件（PDF、PNG 或 JPEG，不超过 10 MiB）",
        )])
    };
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or_default().to_owned();
            let declared = field.content_type().map(str::to_owned);
            let bytes = field.bytes().await.map_err(|_| missing())?;
            return Ok((name, declared, bytes.to_vec()));
        }
    }
    Err(missing())
}

async fn upload(state: &AppState, p: PageActor, headers: &HeaderMap, kind: Workflow, id: &str, form: Multipart) -> Response {
    if !same_origin(headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let result = match file_part(form).await {
        Ok((name, declared, bytes)) => service::upload(&state.app, &p.actor, kind, id, &name, declared.as_deref(), &bytes)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    let base = match kind {
        Workflow::Referral => "/referrals",
        Workflow::Consultation => "/consultations",
        Workflow::Reading => "/readings",
    };
    match result {
        Ok(()) => Redirect::to(&format!("{base}/{id}#attachments")).into_response(),
        Err(ServiceError::Validation(errs)) => {
            let error = errs
                .iter()
                .map(|e| p.t.pick(&e.message_zh, &e.message).to_owned())
                .collect::<Vec<_>>()
                .join("；");
            match kind {
                Workflow::Referral => super::referrals::render_detail(state, p, id, Some(error), StatusCode::UNPROCESSABLE_ENTITY).await,
                Workflow::Consultation => super::consultations::render(state, p, id, Some(error), StatusCode::UNPROCESSABLE_ENTITY).await,
                Workflow::Reading => p.error(ServiceError::NotFound),
            }
        }
        Err(e) => p.error(e),
    }
}

async fn upload_referral(
    State(state): State<AppState>,
    p: PageActor,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Multipart,
) -> Response {
    upload(&state, p, &headers, Workflow::Referral, &id, form).await
}

async fn upload_consultation(
    State(state): State<AppState>,
    p: PageActor,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Multipart,
) -> Response {
    upload(&state, p, &headers, Workflow::Consultation, &id, form).await
}

async fn open(state: &AppState, p: PageActor, kind: Workflow, id: &str, attachment: &str) -> Response {
    match service::open(&state.app, &p.actor, kind, id, attachment).await {
        Ok((meta, content)) => crate::api::attachments::file_response(&meta, content),
        Err(e) => p.error(e),
    }
}

async fn open_referral(State(state): State<AppState>, p: PageActor, Path((id, a)): Path<(String, String)>) -> Response {
    open(&state, p, Workflow::Referral, &id, &a).await
}

async fn open_consultation(State(state): State<AppState>, p: PageActor, Path((id, a)): Path<(String, String)>) -> Response {
    open(&state, p, Workflow::Consultation, &id, &a).await
}
