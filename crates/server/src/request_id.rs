//! Request ids: every request gets one (or keeps the `x-request-id` a proxy gave it, when it is a
//! short token), answers with it in `x-request-id`, and runs inside a `request` span carrying it, so
//! the spans of the app services and every log line of one request share it.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use rand::Rng;
use tracing::Instrument;

/// The header that carries the id both ways.
pub const HEADER: &str = "x-request-id";

/// A proxy's id when it is a short token of letters, digits and dashes; a new random one otherwise.
fn id_of(req: &Request) -> String {
    req.headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| (8..=64).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .map_or_else(|| hex::encode(rand::rng().random::<[u8; 8]>()), str::to_owned)
}

/// The middleware.
pub async fn layer(req: Request, next: Next) -> Response {
    let id = id_of(&req);
    let span = tracing::info_span!("request", id = %id);
    let mut response = next.run(req).instrument(span).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, v);
    }
    response
}
