//! Credentials → [`Actor`]: a bearer token (`Authorization: Bearer …`) or the session cookie.
//!
//! Verified credentials are cached in memory for [`CACHE_TTL`] so that a busy API does not read
//! the sessions table on every request; logging out removes the entry at once.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;

use sanyi_app::auth::{self, TokenKind};
use sanyi_app::{Actor, ServiceError};

use crate::AppState;
use crate::error::ApiError;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "sanyi_session";
/// How long a verified credential is trusted without asking the database again.
pub const CACHE_TTL: Duration = Duration::from_secs(30);

/// Cache of verified credentials, keyed by token hash.
#[derive(Default)]
pub struct AuthCache {
    entries: RwLock<HashMap<String, (Actor, Instant)>>,
}

impl AuthCache {
    fn get(&self, key: &str) -> Option<Actor> {
        let map = self.entries.read().ok()?;
        map.get(key).filter(|(_, at)| at.elapsed() < CACHE_TTL).map(|(a, _)| a.clone())
    }

    fn put(&self, key: String, actor: Actor) {
        if let Ok(mut map) = self.entries.write() {
            if map.len() > 10_000 {
                map.retain(|_, (_, at)| at.elapsed() < CACHE_TTL);
            }
            map.insert(key, (actor, Instant::now()));
        }
    }

    /// Forgets a token (on logout).
    pub fn remove(&self, token: &str) {
        if let Ok(mut map) = self.entries.write() {
            map.retain(|k, _| !k.ends_with(&auth::token_hash(token)));
        }
    }
}

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
    let key = format!("{kind:?}:{}", auth::token_hash(&token));
    if let Some(mut a) = state.auth_cache.get(&key) {
        a.ip = ip;
        return Ok(a);
    }
    let actor = auth::authenticate(&state.app, &token, kind, &ip).await?;
    state.auth_cache.put(key, actor.clone());
    Ok(actor)
}

/// Extractor of an authenticated API caller (401 problem+json otherwise).
pub struct ApiActor(pub Actor);

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ApiActor(actor_of(parts, state).await?))
    }
}
