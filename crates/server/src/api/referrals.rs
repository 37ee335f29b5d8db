//! Two-way referral endpoints (双向转诊).

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use axum::http::HeaderMap;
use sanyi_app::referrals::{self as service, ReferralBox, ReferralInput, ReferralListItem, ReferralView};

use super::{PageOf, PageParams};
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
    /// `out` (sent by my institution, default), `in` (received) or `down` (down-referred to my
    /// institution by a discharge plan).
    #[serde(rename = "box")]
    #[param(pattern = "^(in|out|down)$")]
    pub side: Option<String>,
    /// Only this state (e.g. `pending_receiver`).
    #[param(
        pattern = "^(draft|submitted|pending_receiver|accepted|rejected|escalated|expired|no_show|cancelled|arrived|in_care|down_submitted|down_received|follow_up|feedback_sent|closed)$"
    )]
    pub state: Option<String>,
    /// Rows to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<i64>,
    /// Rows per page (1–500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// One page of the referrals sent, received or down-referred to the caller's institution, newest
/// change first, in the list shape, with the total over all pages.
#[utoipa::path(get, path = "/api/v1/referrals", tag = "referrals", params(ReferralListParams),
    responses((status = 200, body = PageOf<ReferralListItem>), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn list_referrals(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(p): ApiQuery<ReferralListParams>,
) -> Result<ApiJson<PageOf<ReferralListItem>>, ApiError> {
    let which = ReferralBox::parse(p.side.as_deref())?;
    let page = PageParams {
        offset: p.offset,
        limit: p.limit,
    }
    .page()?;
    Ok(ApiJson(
        service::list(&state.app, &a, which, p.state.as_deref(), page).await?.into(),
    ))
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

/// Applies a command: `"submit"`, `"pre_review"`, `{"accept": {"placement": {"slot": {"department": "神经内科", "at": "…"}}, "valid_until": "…"}}`,
/// `{"reject": {"reason": "…", "alternative": null}}` (an alternative institution id creates the
/// referral to it), `{"cancel": {"reason": "…"}}`, `{"reassign": {"receiver": "…"}}` (referral
/// centre, escalated referrals), `"arrive"`, `"start_care"`, `{"discharge_home": {"feedback": "…"}}`,
/// `{"discharge_with_down_referral": {"plan": {"target": "…", "items": […], "interval_days": 14,
/// "targets": [], "family_doctor": "…", "visits_required": 2, "high_risk": false}}}` (target
/// defaults to the sender), `"receive_down"`, `"record_follow_up"`, `"close"`,
/// `"complete_paperwork"`. Institutions are named by id; their tier and county come from the
/// registry. Only the receiving side may accept, reject or mark arrival; only the sender may cancel
/// (checked before the state: 403 whatever the state). With `If-Match: <version>` the command
/// applies only to that version (409 with `current_version` otherwise).
#[utoipa::path(post, path = "/api/v1/referrals/{id}/commands", tag = "referrals",
    params(("id" = String, Path, description = "Referral id"),
           ("If-Match" = Option<String>, Header, description = "The version read; the command fails with 409 if the referral changed since")),
    request_body(content = Object, description = "The command, as described above"),
    responses((status = 200, body = ReferralView), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn apply_referral_command(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<ApiJson<ReferralView>, ApiError> {
    let expected = super::if_match(&headers)?;
    let command = service::parse_command(body)?;
    Ok(ApiJson(service::apply(&state.app, &a, &id, command, expected).await?))
}
