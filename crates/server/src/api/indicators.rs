//! `GET /api/v1/indicators`: referral and consultation indicators of the caller's area.

use axum::extract::State;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use sanyi_app::indicators::{self as service, IndicatorReport};

use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, ApiJson, ApiQuery, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_indicators))
}

/// The period (default: the last 365 days).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodParams {
    /// Start, RFC 3339 (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// End, RFC 3339 (exclusive).
    pub to: Option<DateTime<Utc>>,
    /// Only this institution's subtree: the institution, those under it and, for a medical
    /// community's lead hospital, the whole community.
    pub institution_id: Option<String>,
}

/// Referral and consultation indicators over a period of the caller's area or of one institution's
/// subtree (docs/rules/referral.md#indicators).
#[utoipa::path(get, path = "/api/v1/indicators", tag = "referrals", params(PeriodParams),
    responses((status = 200, body = IndicatorReport), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn get_indicators(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(p): ApiQuery<PeriodParams>,
) -> Result<ApiJson<IndicatorReport>, ApiError> {
    let to = p.to.unwrap_or_else(|| Utc::now() + Duration::seconds(1));
    let from = p.from.unwrap_or(to - Duration::days(365));
    Ok(ApiJson(
        service::compute(&state.app, &a, from, to, p.institution_id.as_deref()).await?,
    ))
}
