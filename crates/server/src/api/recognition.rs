//! Mutual recognition endpoints (检查检验结果互认): the catalogue and participants, the results
//! index (push, CSV import, a resident's results), the order-time check, orders and indicators.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use sanyi_app::import::ImportReport;
use sanyi_app::recognition::{
    self as service, Catalogue, CatalogueItem, CheckInput, CheckView, IndicatorQuery, OrderInput, OrderView, ParticipantView,
    RecognitionIndicators, RecordedResults, ResidentResults, ResultInput, results,
};
use sanyi_app::{FieldError, ServiceError};

use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_recognition_items, put_recognition_items))
        .routes(routes!(get_recognition_participants, put_recognition_participants))
        .routes(routes!(create_results))
        .routes(routes!(get_resident_results))
        .routes(routes!(check_recognition))
        .routes(routes!(create_order))
        .routes(routes!(get_recognition_indicators))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(import_results))
                .layer(DefaultBodyLimit::disable()),
        )
}

/// The recognition catalogue of the caller's pool (互认项目目录).
#[utoipa::path(get, path = "/api/v1/recognition/items", tag = "recognition",
    responses((status = 200, body = Catalogue), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_recognition_items(State(state): State<AppState>, ApiActor(a): ApiActor) -> Result<ApiJson<Catalogue>, ApiError> {
    Ok(ApiJson(service::items(&state.app, &a).await?))
}

/// Catalogue items to add or replace.
#[derive(Deserialize, ToSchema)]
pub struct ItemsRequest {
    /// Items (by code); items not named stay as they are.
    pub items: Vec<CatalogueItem>,
}

/// Adds or replaces items of the pool's catalogue (administrators of the pool); every field is
/// checked first and nothing is written on an error.
#[utoipa::path(put, path = "/api/v1/recognition/items", tag = "recognition", request_body = ItemsRequest,
    responses((status = 200, body = Catalogue), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn put_recognition_items(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(body): ApiJson<ItemsRequest>,
) -> Result<ApiJson<Catalogue>, ApiError> {
    Ok(ApiJson(service::put_items(&state.app, &a, &body.items).await?))
}

/// Participating institutions (参与互认机构).
#[derive(Serialize, Deserialize, ToSchema)]
pub struct Participants {
    /// Institutions with their HR scopes and quality-control standing.
    pub participants: Vec<ParticipantView>,
}

/// The participating institutions of the caller's area.
#[utoipa::path(get, path = "/api/v1/recognition/participants", tag = "recognition",
    responses((status = 200, body = Participants), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn get_recognition_participants(State(state): State<AppState>, ApiActor(a): ApiActor) -> Result<ApiJson<Participants>, ApiError> {
    Ok(ApiJson(Participants {
        participants: service::participants(&state.app, &a).await?,
    }))
}

/// Adds or replaces participants of the caller's area (administrators).
#[utoipa::path(put, path = "/api/v1/recognition/participants", tag = "recognition", request_body = Participants,
    responses((status = 200, body = Participants), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn put_recognition_participants(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(body): ApiJson<Participants>,
) -> Result<ApiJson<Participants>, ApiError> {
    Ok(ApiJson(Participants {
        participants: service::put_participants(&state.app, &a, &body.participants).await?,
    }))
}

/// One result, or `{"results": [...]}` for a batch.
#[derive(ToSchema)]
#[expect(dead_code, reason = "documents the body shape; the handler reads it as JSON")]
pub enum ResultsRequest {
    /// One result.
    One(Box<ResultInput>),
    /// A batch.
    Batch {
        /// Results.
        results: Vec<ResultInput>,
    },
}

fn parse<T: serde::de::DeserializeOwned>(v: serde_json::Value, field: &str) -> Result<T, ServiceError> {
    serde_json::from_value(v).map_err(|e| {
        ServiceError::Validation(vec![FieldError::new(
            field,
            "json.shape",
            "a result: item_code, value, reported_at and resident_id or id_number",
            &format!("Not a result: {e}"),
            "结果格式错误",
        )])
    })
}

/// Records results into the cross-institution index: one result, or `{"results": [...]}` (at most
/// 10 000). All are checked first; nothing is stored when one fails. A report already stored (same
/// producer and report number) is left as it is and counted in `already_present`.
#[utoipa::path(post, path = "/api/v1/results", tag = "recognition", request_body = ResultsRequest,
    responses((status = 201, body = RecordedResults), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_results(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, ApiJson<RecordedResults>), ApiError> {
    let (inputs, batch) = match body {
        serde_json::Value::Object(mut m) if m.contains_key("results") => {
            let list = m.remove("results").unwrap_or_default();
            let items: Vec<serde_json::Value> = parse(list, "results")?;
            let mut inputs = Vec::with_capacity(items.len());
            for (i, v) in items.into_iter().enumerate() {
                inputs.push(parse(v, &format!("results[{i}]"))?);
            }
            (inputs, true)
        }
        other => (vec![parse(other, "body")?], false),
    };
    Ok((StatusCode::CREATED, ApiJson(results::push(&state.app, &a, &inputs, batch).await?)))
}

/// Imports results from a CSV body (`Content-Type: text/csv`; administrators): every bad row is
/// reported with its line and rules; good rows are committed; a report already stored is counted
/// as present.
#[utoipa::path(post, path = "/api/v1/results/import", tag = "recognition", request_body(content = String, content_type = "text/csv",
        description = "Header: id_number (or resident_id),item_code,value,reported_at[,unit,reference_range,abnormal,report_no,institution_id]"),
    responses((status = 200, body = ImportReport), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 413, description = "Body over 256 MiB (refused at once when Content-Length says so)", body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn import_results(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<ApiJson<ImportReport>, axum::response::Response> {
    let (_one_at_a_time, body) = super::import_body(&headers, body).await?;
    results::results_csv(&state.app, &a, body.as_ref(), &|_| {})
        .await
        .map(ApiJson)
        .map_err(|e| axum::response::IntoResponse::into_response(ApiError(e)))
}

/// A resident's results across institutions (with HR marks) and orders; the read is audited.
#[utoipa::path(get, path = "/api/v1/residents/{id}/results", tag = "recognition", params(("id" = String, Path, description = "Resident record id")),
    responses((status = 200, body = ResidentResults), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_resident_results(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<ResidentResults>, ApiError> {
    Ok(ApiJson(service::resident_results(&state.app, &a, &id).await?))
}

/// The order-time check (互认提示): the recognisable prior results of the resident for the item,
/// with their age in days and their source; the read is audited.
#[utoipa::path(post, path = "/api/v1/recognition/check", tag = "recognition", request_body = CheckInput,
    responses((status = 200, body = CheckView), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn check_recognition(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(input): ApiJson<CheckInput>,
) -> Result<ApiJson<CheckView>, ApiError> {
    Ok(ApiJson(service::check(&state.app, &a, &input).await?))
}

/// Orders a test or examination (检查检验申请). When recognisable results exist the `decision` is
/// required: 409 `decision-required` lists them as `candidates` and nothing is stored. Recognising
/// one books the saving at the ordering institution's price level; ordering anyway records the
/// re-test reason.
#[utoipa::path(post, path = "/api/v1/orders", tag = "recognition", request_body = OrderInput,
    responses((status = 201, body = OrderView), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json", description = "A decision is required: the problem carries the candidates"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_order(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(input): ApiJson<OrderInput>,
) -> Result<(StatusCode, ApiJson<OrderView>), ApiError> {
    Ok((StatusCode::CREATED, ApiJson(service::order(&state.app, &a, &input).await?)))
}

/// Recognition indicators of the caller's area (docs/rules/recognition.md#savings-and-rates): recognitions, repeats, rate,
/// savings, by month and by ordering institution; optionally one institution's subtree.
#[utoipa::path(get, path = "/api/v1/recognition/indicators", tag = "recognition", params(IndicatorQuery),
    responses((status = 200, body = RecognitionIndicators), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn get_recognition_indicators(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(q): ApiQuery<IndicatorQuery>,
) -> Result<ApiJson<RecognitionIndicators>, ApiError> {
    Ok(ApiJson(service::indicators(&state.app, &a, &q).await?))
}
