//! `POST /api/v1/auth/token`, `DELETE /api/v1/auth/token`, `GET /api/v1/me`.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use sanyi_app::auth::{self, TokenKind};

use crate::AppState;
use crate::auth::{ApiActor, ClientIp};
use crate::error::{ApiError, ApiJson, ApiPath, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_token, delete_token))
        .routes(routes!(get_me))
        .routes(routes!(list_notifications))
        .routes(routes!(unlock_user))
        .routes(routes!(deactivate_user))
        .routes(routes!(activate_user))
}

/// Lifts the login lock of an account and forgets its failed logins (administrators whose area
/// covers the account). Audited.
#[utoipa::path(post, path = "/api/v1/users/{username}/unlock", tag = "auth", params(("username" = String, Path, description = "Login name")),
    responses((status = 204), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn unlock_user(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(username): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    auth::unlock(&state.app, &a, &username).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deactivates an account: its sessions and tokens stop working at their next request on every
/// server. Audited.
#[utoipa::path(post, path = "/api/v1/users/{username}/deactivate", tag = "auth", params(("username" = String, Path, description = "Login name")),
    responses((status = 204), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn deactivate_user(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(username): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    auth::set_active(&state.app, &a, &username, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Reactivates an account. Audited.
#[utoipa::path(post, path = "/api/v1/users/{username}/activate", tag = "auth", params(("username" = String, Path, description = "Login name")),
    responses((status = 204), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn activate_user(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(username): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    auth::set_active(&state.app, &a, &username, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Credentials.
#[derive(Deserialize, ToSchema)]
pub struct TokenRequest {
    /// Username.
    pub username: String,
    /// Password.
    pub password: String,
}

/// A bearer token.
#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    /// The token: send it as `Authorization: Bearer <token>`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Lifetime in seconds.
    pub expires_in: i64,
}

/// Issues a bearer token for a username and password.
#[utoipa::path(post, path = "/api/v1/auth/token", tag = "auth", security(()), request_body = TokenRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json"),
              (status = 429, description = "Too many failed logins for this account or address; `Retry-After` says when to try again", body = Problem, content_type = "application/problem+json")))]
async fn create_token(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<TokenRequest>,
) -> Result<ApiJson<TokenResponse>, ApiError> {
    let (token, _) = auth::login(&state.app, &req.username, &req.password, TokenKind::Bearer, &ip).await?;
    Ok(ApiJson(TokenResponse {
        access_token: token,
        token_type: "Bearer",
        expires_in: TokenKind::Bearer.lifetime().num_seconds(),
    }))
}

/// Revokes the bearer token used for this request.
#[utoipa::path(delete, path = "/api/v1/auth/token", tag = "auth",
    responses((status = 204), (status = 401, body = Problem, content_type = "application/problem+json")))]
async fn delete_token(State(state): State<AppState>, ApiActor(_actor): ApiActor, headers: HeaderMap) -> Result<StatusCode, ApiError> {
    if let Some(token) = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .map(|(_, t)| t.trim().to_owned())
    {
        auth::logout(&state.app, &token).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The current user.
#[derive(Serialize, ToSchema)]
pub struct Me {
    /// Username.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Role code.
    pub role: String,
    /// Role in Chinese.
    pub role_zh: String,
    /// Institution id.
    pub institution_id: Option<String>,
    /// Area scope (statistical-code prefix).
    pub scope: String,
}

/// Who am I: username, role and scope of the caller.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, body = Me), (status = 401, body = Problem, content_type = "application/problem+json")))]
async fn get_me(ApiActor(a): ApiActor) -> ApiJson<Me> {
    ApiJson(Me {
        username: a.username,
        display_name: a.display_name,
        role: a.role.code().into(),
        role_zh: a.role.label_zh().into(),
        institution_id: a.institution_id,
        scope: a.scope.prefix().into(),
    })
}

/// What waits for the caller's action (referrals to accept, consultations to triage, hold or
/// acknowledge, …), derived from current workflow states.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "auth",
    responses((status = 200, body = Vec<sanyi_app::notifications::Notification>), (status = 401, body = Problem, content_type = "application/problem+json")))]
async fn list_notifications(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<ApiJson<Vec<sanyi_app::notifications::Notification>>, ApiError> {
    Ok(ApiJson(
        sanyi_app::notifications::for_actor(&state.app, &a, chrono::Utc::now()).await?,
    ))
}
