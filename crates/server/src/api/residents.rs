//! Resident endpoints: search, register, read, edit, merge, bulk import.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use sanyi_app::import::{self, ImportReport};
use sanyi_app::residents::{
    self as service, EnrolmentInput, ResidentDetail, ResidentInput, ResidentSearch, ResidentSummary, ResidentUpdate,
};

use super::{PageOf, PageParams};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_residents, create_resident))
        .routes(routes!(get_resident, update_resident))
        .routes(routes!(merge_resident))
        .routes(routes!(create_enrolment))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(import_residents))
                .layer(DefaultBodyLimit::disable()),
        )
}

/// Search parameters: any combination; all must hold. Results are limited to the caller's area.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResidentSearchParams {
    /// Exact resident ID number.
    pub id_number: Option<String>,
    /// Name prefix.
    pub name: Option<String>,
    /// Village or township code (prefix of the 12-digit statistical code).
    pub area: Option<String>,
    /// Rows to skip.
    #[param(minimum = 0)]
    pub offset: Option<i64>,
    /// Rows per page (1–500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// Searches residents (masked list). A lookup by ID number is audited as a read of each record.
#[utoipa::path(get, path = "/api/v1/residents", tag = "residents", params(ResidentSearchParams),
    responses((status = 200, body = PageOf<ResidentSummary>), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn list_residents(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(p): ApiQuery<ResidentSearchParams>,
) -> Result<ApiJson<PageOf<ResidentSummary>>, ApiError> {
    let page = PageParams {
        offset: p.offset,
        limit: p.limit,
    }
    .page()?;
    let s = ResidentSearch {
        id_number: p.id_number,
        name: p.name,
        area: p.area,
    };
    Ok(ApiJson(service::search(&state.app, &a, &s, page).await?.into()))
}

/// Registers a resident. The ID number's check digit, birth date and region are verified; sex and
/// birth date are derived from it; the village must be registered and inside the caller's area.
#[utoipa::path(post, path = "/api/v1/residents", tag = "residents", request_body = ResidentInput,
    responses((status = 201, body = ResidentDetail), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_resident(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(input): ApiJson<ResidentInput>,
) -> Result<(StatusCode, ApiJson<ResidentDetail>), ApiError> {
    Ok((StatusCode::CREATED, ApiJson(service::register(&state.app, &a, &input).await?)))
}

/// A resident's full record (ID and phone in clear); the read is audited.
#[utoipa::path(get, path = "/api/v1/residents/{id}", tag = "residents", params(("id" = String, Path, description = "Resident record id")),
    responses((status = 200, body = ResidentDetail), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_resident(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<ResidentDetail>, ApiError> {
    Ok(ApiJson(service::get(&state.app, &a, &id).await?))
}

/// Edits a resident; `version` must be the one read (409 otherwise).
#[utoipa::path(put, path = "/api/v1/residents/{id}", tag = "residents", params(("id" = String, Path, description = "Resident record id")),
    request_body = ResidentUpdate,
    responses((status = 200, body = ResidentDetail), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn update_resident(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(u): ApiJson<ResidentUpdate>,
) -> Result<ApiJson<ResidentDetail>, ApiError> {
    Ok(ApiJson(service::update(&state.app, &a, &id, &u).await?))
}

/// The duplicate record to merge into this one.
#[derive(Deserialize, ToSchema)]
pub struct MergeRequest {
    /// Id of the duplicate record; it becomes `merged` and points to this one.
    pub merged_id: String,
}

/// Merges a duplicate record into this one (administrators); history is kept.
#[utoipa::path(post, path = "/api/v1/residents/{id}/merge", tag = "residents", params(("id" = String, Path, description = "Surviving record id")),
    request_body = MergeRequest,
    responses((status = 200, body = ResidentDetail), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn merge_resident(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(m): ApiJson<MergeRequest>,
) -> Result<ApiJson<ResidentDetail>, ApiError> {
    Ok(ApiJson(service::merge(&state.app, &a, &id, &m.merged_id).await?))
}

/// Records an insurance enrolment (参保登记) of a resident (insurance officers, administrators).
#[utoipa::path(post, path = "/api/v1/residents/{id}/enrolments", tag = "residents", params(("id" = String, Path, description = "Resident record id")),
    request_body = EnrolmentInput,
    responses((status = 201, body = ResidentDetail), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_enrolment(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(e): ApiJson<EnrolmentInput>,
) -> Result<(StatusCode, ApiJson<ResidentDetail>), ApiError> {
    Ok((StatusCode::CREATED, ApiJson(service::enrol(&state.app, &a, &id, &e).await?)))
}

/// Imports residents from a CSV body (`Content-Type: text/csv`): every bad row is reported with
/// its line number and reasons; good rows are committed; re-importing changes nothing.
#[utoipa::path(post, path = "/api/v1/residents/import", tag = "residents", request_body(content = String, content_type = "text/csv",
        description = "Header: id_number,name,village_code[,phone,address,household_no,household_role]"),
    responses((status = 200, body = ImportReport), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 413, description = "Body over 256 MiB (refused at once when Content-Length says so)", body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn import_residents(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<ApiJson<ImportReport>, axum::response::Response> {
    let (_one_at_a_time, body) = super::import_body(&headers, body).await?;
    import::residents_csv(&state.app, &a, body.as_ref(), &|_| {})
        .await
        .map(ApiJson)
        .map_err(|e| axum::response::IntoResponse::into_response(ApiError(e)))
}
