//! Remote reading endpoints (远程影像/心电诊断): orders, the centre's worklist, commands, indicators.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use sanyi_app::readings::{
    self as service, ModalityIndicators, ReadingCommandInput, ReadingList, ReadingListQuery, ReadingOrderInput, ReadingView,
};

use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_readings, order_reading))
        .routes(routes!(get_reading))
        .routes(routes!(apply_reading_command))
        .routes(routes!(reading_indicators))
}

/// Which readings to list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReadingListParams {
    /// `in` (the reading centre's worklist; default for readers) or `out` (ordered by my institution).
    #[serde(rename = "box")]
    #[param(pattern = "^(in|out)$")]
    pub side: Option<String>,
    /// Only this state (`ordered`, `acquired`, `claimed`, `preliminary`, `final`, `delivered`).
    pub state: Option<String>,
    /// Only the open worklist (acquired, claimed, preliminary).
    pub open: Option<bool>,
    /// Only readings with an open critical value (the alarm board).
    pub critical: Option<bool>,
    /// Only one modality (`dr`, `ct`, `mr`, `ecg`).
    pub modality: Option<String>,
    /// At most this many (default 100, at most 500).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// The caller's institution's readings with counts by state: the centre's worklist sorted
/// emergencies first, then by waiting time; or the ordering site's orders, newest change first.
#[utoipa::path(get, path = "/api/v1/readings", tag = "readings", params(ReadingListParams),
    responses((status = 200, body = ReadingList), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn list_readings(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(p): ApiQuery<ReadingListParams>,
) -> Result<ApiJson<ReadingList>, ApiError> {
    let q = ReadingListQuery {
        r#box: p.side,
        state: p.state,
        open: p.open,
        critical: p.critical,
        modality: p.modality,
        limit: p.limit,
    };
    Ok(ApiJson(service::list(&state.app, &a, &q).await?))
}

/// Orders a reading of a resident of the caller's area at a reading centre (default: the lead
/// institution of the caller's medical community). The answer carries the accession number that
/// the modality writes into the DICOM files.
#[utoipa::path(post, path = "/api/v1/readings", tag = "readings", request_body = ReadingOrderInput,
    responses((status = 201, body = ReadingView), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn order_reading(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(input): ApiJson<ReadingOrderInput>,
) -> Result<(StatusCode, ApiJson<ReadingView>), ApiError> {
    Ok((StatusCode::CREATED, ApiJson(service::order(&state.app, &a, &input).await?)))
}

/// A reading with its timeline (ordering site's and centre's staff); the read is audited.
#[utoipa::path(get, path = "/api/v1/readings/{id}", tag = "readings", params(("id" = String, Path, description = "Reading id")),
    responses((status = 200, body = ReadingView), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_reading(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<ReadingView>, ApiError> {
    Ok(ApiJson(service::get(&state.app, &a, &id).await?))
}

/// Applies a command: `{"command": "claim"}`, `{"command": "preliminary", "report": {"findings": "…",
/// "impression": "…", "fields": {…}}}`, `"sign"` (imaging: a second doctor), `"deliver"`,
/// `{"command": "critical", "finding": "…"}`, `"acknowledge"` and `{"command": "resolve", "action":
/// "…"}` (the ordering site). Optional `expected_version`: refused with 409 when the reading
/// changed since.
#[utoipa::path(post, path = "/api/v1/readings/{id}/commands", tag = "readings", params(("id" = String, Path, description = "Reading id")),
    request_body = ReadingCommandInput,
    responses((status = 200, body = ReadingView), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn apply_reading_command(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<ReadingCommandInput>,
) -> Result<ApiJson<ReadingView>, ApiError> {
    Ok(ApiJson(service::apply(&state.app, &a, &id, &input).await?))
}

/// Period of the reading indicators.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReadingIndicatorParams {
    /// First day (default: 365 days ago).
    pub from: Option<chrono::NaiveDate>,
    /// Last day, inclusive (default: today).
    pub to: Option<chrono::NaiveDate>,
}

/// Reading indicators of the caller's area by modality: ordered, finalised, within the turnaround
/// target, median turnaround, open critical values, fee parts.
#[utoipa::path(get, path = "/api/v1/readings/indicators", tag = "readings", params(ReadingIndicatorParams),
    responses((status = 200, body = Vec<ModalityIndicators>), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn reading_indicators(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(p): ApiQuery<ReadingIndicatorParams>,
) -> Result<ApiJson<Vec<ModalityIndicators>>, ApiError> {
    let (from, to) = period(p.from, p.to)?;
    Ok(ApiJson(service::indicators(&state.app, &a, from, to).await?))
}

/// `[from, to + 1 day)` as instants; default the last 365 days.
pub(crate) fn period(
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
) -> Result<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>), sanyi_app::ServiceError> {
    let today = sanyi_domain::time::today();
    let to = to.unwrap_or(today);
    let from = from.unwrap_or(to - chrono::Duration::days(364));
    if from > to {
        return Err(sanyi_app::ServiceError::Validation(vec![sanyi_app::FieldError::new(
            "from",
            "period.order",
            "from on or before to",
            "The period starts after it ends",
            "开始日期晚于结束日期",
        )]));
    }
    let start = from.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let end = (to + chrono::Duration::days(1)).and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    Ok((start, end))
}
