//! DRG endpoints: group cases with the scheme in force, list schemes.

use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use sanyi_app::drg::{self as service, GroupRequest, GroupResponse, SchemeView};

use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, ApiJson, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(group_cases)).routes(routes!(list_schemes))
}

/// Groups one case (`case`) or a batch (`cases`, up to 10,000) into CHS-DRG groups with the scheme
/// in force for the pool and date; with `explain` each result carries the rules tried and the one
/// that fired, in Chinese and English. Invalid values make a case ungroupable (`0000`) with a
/// reason; they are not request errors.
#[utoipa::path(post, path = "/api/v1/drg/group", tag = "drg", request_body = GroupRequest,
    responses((status = 200, body = GroupResponse), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn group_cases(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(req): ApiJson<GroupRequest>,
) -> Result<ApiJson<GroupResponse>, ApiError> {
    Ok(ApiJson(service::group(&state.app, &a, req).await?))
}

/// DRG schemes registered for the pools in the caller's area.
#[utoipa::path(get, path = "/api/v1/drg/schemes", tag = "drg",
    responses((status = 200, body = Vec<SchemeView>), (status = 401, body = Problem, content_type = "application/problem+json")))]
async fn list_schemes(State(state): State<AppState>, ApiActor(a): ApiActor) -> Result<ApiJson<Vec<SchemeView>>, ApiError> {
    Ok(ApiJson(service::schemes(&state.app, &a).await?))
}
