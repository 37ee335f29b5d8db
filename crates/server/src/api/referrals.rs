//! Two-way referral endpoints (双向转诊).

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use sanyi_app::referrals::{self as service, ReferralInput, ReferralView};

use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_referrals, create_referral))
        .routes(routes!(get_referral))
        .routes(routes!(apply_referral_command))
}

/// Which referrals to list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReferralListParams {
    /// `out` (sent by my institution, default) or `in` (received).
    #[serde(rename = "box")]
    pub side: Option<String>,
    /// Only this state (e.g. `pending_receiver`).
    pub state: Option<String>,
}

/// Referrals sent or received by the caller's institution, newest change first.
#[utoipa::path(get, path = "/api/v1/referrals", tag = "referrals", params(ReferralListParams),
    responses((status = 200, body = Vec<ReferralView>), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn list_referrals(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(p): ApiQuery<ReferralListParams>,
) -> Result<ApiJson<Vec<ReferralView>>, ApiError> {
    let inbox = super::inbox(p.side.as_deref())?;
    Ok(ApiJson(service::list(&state.app, &a, inbox, p.state.as_deref()).await?))
}

/// Refers a resident of the caller's area to another institution (submitted at once unless
/// `submit` is false).
#[utoipa::path(post, path = "/api/v1/referrals", tag = "referrals", request_body = ReferralInput,
    responses((status = 201, body = ReferralView), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_referral(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(input): ApiJson<ReferralInput>,
) -> Result<(StatusCode, ApiJson<ReferralView>), ApiError> {
    Ok((StatusCode::CREATED, ApiJson(service::create(&state.app, &a, &input).await?)))
}

/// A referral with its timeline (sender's and receiver's staff); the read is audited.
#[utoipa::path(get, path = "/api/v1/referrals/{id}", tag = "referrals", params(("id" = String, Path, description = "Referral id")),
    responses((status = 200, body = ReferralView), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_referral(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<ReferralView>, ApiError> {
    Ok(ApiJson(service::get(&state.app, &a, &id).await?))
}

/// Applies a command: `"submit"`, `{"accept": {"placement": {"slot": {"department": "神经内科", "at": "…"}}, "valid_until": "…"}}`,
/// `{"reject": {"reason": "…", "alternative": null}}`, `{"cancel": {"reason": "…"}}`, `"arrive"`,
/// `"start_care"`, `{"discharge_home": {"feedback": "…"}}`, `{"discharge_with_down_referral": {"plan": …}}`,
/// `"receive_down"`, `"record_follow_up"`, `"close"`. Only the receiving side may accept, reject or
/// mark arrival; only the sender may cancel (checked before the state: 403 whatever the state).
#[utoipa::path(post, path = "/api/v1/referrals/{id}/commands", tag = "referrals", params(("id" = String, Path, description = "Referral id")),
    request_body(content = Object, description = "The command, as described above"),
    responses((status = 200, body = ReferralView), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn apply_referral_command(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<ApiJson<ReferralView>, ApiError> {
    let command = super::command(body, "referral", "转诊")?;
    Ok(ApiJson(service::apply(&state.app, &a, &id, command).await?))
}
