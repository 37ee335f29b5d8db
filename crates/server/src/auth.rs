//! Credentials → [`Actor`]: a bearer token (`Authorization: Bearer …`) or the session cookie.
//!
//! Every request checks its credential against the database (one indexed lookup of the token's
//! hash joined with its user): an expired session, a revoked token or a deactivated user is
//! refused at the next request on every server, with no cache to outlive it.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;

use sanyi_app::auth::{self, TokenKind};
use sanyi_app::{Actor, ServiceError};

use crate::AppState;
use crate::error::ApiError;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "sanyi_session";

/// The client's address, for the audit log.
pub fn client_ip(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// The session cookie's value, if sent.
pub fn session_cookie(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == SESSION_COOKIE && !v.is_empty()).then(|| v.to_owned())
        })
}

fn bearer(parts: &Parts) -> Option<String> {
    let v = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
}

/// Resolves the actor of a request from a bearer token, else the session cookie.
///
/// # Errors
/// `Unauthenticated` when neither is present and valid.
pub async fn actor_of(parts: &Parts, state: &AppState) -> Result<Actor, ServiceError> {
    let ip = client_ip(parts);
    let (token, kind) = match bearer(parts) {
        Some(t) => (t, TokenKind::Bearer),
        None => (session_cookie(parts).ok_or(ServiceError::Unauthenticated)?, TokenKind::Cookie),
    };
    auth::authenticate(&state.app, &token, kind, &ip).await
}

/// The client's address (for throttling and the audit log).
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts)))
    }
}

/// Extractor of an authenticated API caller (401 problem+json otherwise).
pub struct ApiActor(pub Actor);

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // Already authenticated by the permission layer for this request.
        if let Some(a) = parts.extensions.get::<Actor>() {
            return Ok(ApiActor(a.clone()));
        }
        Ok(ApiActor(actor_of(parts, state).await?))
    }
}
