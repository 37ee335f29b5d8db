//! Remote consultation endpoints (远程会诊).

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use sanyi_app::consultations::{self as service, ConsultationInput, ConsultationView, GuestInput, GuestView, RosterInput, RosterView};

use super::PageOf;
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_consultations, create_consultation))
        .routes(routes!(get_consultation))
        .routes(routes!(apply_consultation_command))
        .routes(routes!(get_roster, set_roster))
        .routes(routes!(invite_guest))
        .routes(routes!(remove_guest))
}

/// Invites a guest to the consultation's video call (a party of the call invites; at most eight
/// guests; only while a synchronous consultation is open). Guests may join the call and read the
/// consultation. Returns the guests.
#[utoipa::path(post, path = "/api/v1/consultations/{id}/guests", tag = "consultations", request_body = GuestInput,
    params(("id" = String, Path, description = "Consultation id")),
    responses((status = 201, body = Vec<GuestView>), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn invite_guest(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<GuestInput>,
) -> Result<(StatusCode, ApiJson<Vec<GuestView>>), ApiError> {
    Ok((
        StatusCode::CREATED,
        ApiJson(service::guests::invite(&state.app, &a, &id, &input).await?),
    ))
}

/// Withdraws a guest's invitation. Returns the guests.
#[utoipa::path(delete, path = "/api/v1/consultations/{id}/guests/{user_id}", tag = "consultations",
    params(("id" = String, Path, description = "Consultation id"), ("user_id" = String, Path, description = "The guest's user id")),
    responses((status = 200, body = Vec<GuestView>), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
async fn remove_guest(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath((id, user_id)): ApiPath<(String, String)>,
) -> Result<ApiJson<Vec<GuestView>>, ApiError> {
    Ok(ApiJson(service::guests::remove(&state.app, &a, &id, &user_id).await?))
}

/// The expert roster of the caller's consultation centre, with each expert's open queue.
#[utoipa::path(get, path = "/api/v1/consultation-roster", tag = "consultations",
    responses((status = 200, body = Vec<RosterView>), (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn get_roster(State(state): State<AppState>, ApiActor(a): ApiActor) -> Result<ApiJson<Vec<RosterView>>, ApiError> {
    Ok(ApiJson(service::roster(&state.app, &a).await?))
}

/// Adds or changes a roster line (expert, specialty, title, on duty); automatic assignment reads it.
#[utoipa::path(put, path = "/api/v1/consultation-roster", tag = "consultations", request_body = RosterInput,
    responses((status = 200, body = Vec<RosterView>), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn set_roster(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(input): ApiJson<RosterInput>,
) -> Result<ApiJson<Vec<RosterView>>, ApiError> {
    Ok(ApiJson(service::set_roster(&state.app, &a, &input).await?))
}

/// Which consultations to list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsultationListParams {
    /// `out` (requested by my institution, default), `in` (received by it) or `guest` (the calls
    /// the caller is invited to).
    #[serde(rename = "box")]
    #[param(pattern = "^(in|out|guest)$")]
    pub side: Option<String>,
    /// Only this state (e.g. `pending_receiver`).
    pub state: Option<String>,
    /// Rows to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<i64>,
    /// Rows per page (1–500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// Consultations requested or received by the caller's institution, newest change first.
#[utoipa::path(get, path = "/api/v1/consultations", tag = "consultations", params(ConsultationListParams),
    responses((status = 200, body = PageOf<ConsultationView>), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn list_consultations(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(p): ApiQuery<ConsultationListParams>,
) -> Result<ApiJson<PageOf<ConsultationView>>, ApiError> {
    let page = super::PageParams {
        offset: p.offset,
        limit: p.limit,
    }
    .page()?;
    if p.side.as_deref() == Some("guest") {
        // The calls one is invited to: few, listed whole.
        let items = service::as_guest(&state.app, &a).await?;
        let total = items.len() as i64;
        let items = items
            .into_iter()
            .skip(usize::try_from(page.offset).unwrap_or(usize::MAX))
            .take(usize::try_from(page.limit).unwrap_or(0))
            .collect();
        return Ok(ApiJson(PageOf {
            items,
            total,
            offset: page.offset,
            limit: page.limit,
        }));
    }
    let inbox = super::inbox(p.side.as_deref())?;
    Ok(ApiJson(
        service::list(&state.app, &a, inbox, p.state.as_deref(), page).await?.into(),
    ))
}

/// Requests a remote consultation for a resident of the caller's area.
#[utoipa::path(post, path = "/api/v1/consultations", tag = "consultations", request_body = ConsultationInput,
    responses((status = 201, body = ConsultationView), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_consultation(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(input): ApiJson<ConsultationInput>,
) -> Result<(StatusCode, ApiJson<ConsultationView>), ApiError> {
    Ok((StatusCode::CREATED, ApiJson(service::request(&state.app, &a, &input).await?)))
}

/// A consultation with its timeline (both institutions and assigned experts); the read is audited.
#[utoipa::path(get, path = "/api/v1/consultations/{id}", tag = "consultations", params(("id" = String, Path, description = "Consultation id")),
    responses((status = 200, body = ConsultationView), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_consultation(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<ConsultationView>, ApiError> {
    Ok(ApiJson(service::get(&state.app, &a, &id).await?))
}

/// Applies a command: `"triage"`, `{"return_for_info": {"reason": "…"}}`, `"provide_info"`,
/// `{"assign": {"experts": ["<user id>"], "chair": null}}`, `"auto_assign"` (the roster rule of docs/rules/remote-services.md#consultation), `{"schedule": {"at": "…"}}`, `"start_session"`,
/// `{"submit_opinion": {"impression": "…", "advice": "…", "recommend_referral": false}}`,
/// `{"chair_summary": {"summary": "…"}}`, `{"acknowledge": {"decision": "…"}}`, `"close"`,
/// `{"rate": {"stars": 5}}`, `{"reject": {"reason": "…"}}`, `{"cancel": {"reason": "…"}}`. The consultation
/// centre of the invited institution triages and assigns; assigned experts sign opinions; the inviting
/// side acknowledges (the side is checked before the state).
#[utoipa::path(post, path = "/api/v1/consultations/{id}/commands", tag = "consultations", params(("id" = String, Path, description = "Consultation id")),
    request_body(content = Object, description = "The command, as described above"),
    responses((status = 200, body = ConsultationView), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn apply_consultation_command(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<ApiJson<ConsultationView>, ApiError> {
    if body.as_str() == Some("auto_assign") {
        return Ok(ApiJson(service::auto_assign(&state.app, &a, &id).await?));
    }
    let command = super::command(body, "consultation", "会诊")?;
    Ok(ApiJson(service::apply(&state.app, &a, &id, command).await?))
}
