//! Browser-facing defences applied to every response in one layer:
//!
//! - **Cross-site requests**: a request that authenticates by the session cookie (no bearer token)
//!   and changes something (any method but GET, HEAD, OPTIONS), or opens a WebSocket, must come
//!   from sanyi's own pages: its `Origin` (else `Sec-Fetch-Site`, else `Referer`) must name this
//!   host. A request that carries none of the three is not from a browser (which cannot send the
//!   victim's cookie without them) and passes. Refused with 403 `csrf.origin`.
//! - **Headers**: a Content-Security-Policy with a per-response script nonce (the only inline
//!   script, the call page's, carries it), `frame-ancestors 'none'` and `X-Frame-Options: DENY`,
//!   `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin`, a Permissions-Policy that
//!   lets only this origin use camera and microphone (video calls), and HSTS when served over TLS
//!   (`--secure-cookies`).

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;

use crate::AppState;

/// The script nonce of a response, for templates with an inline script.
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);

/// Whether the request's browser headers name another site than `Host`.
pub fn cross_site(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let same_host = |url: &str| {
        url.split_once("://")
            .map(|(_, rest)| rest.split('/').next().unwrap_or(""))
            .is_some_and(|h| !host.is_empty() && h.eq_ignore_ascii_case(host))
    };
    if let Some(origin) = headers.get(header::ORIGIN) {
        return !origin.to_str().is_ok_and(same_host);
    }
    if let Some(site) = headers.get("sec-fetch-site") {
        return !matches!(site.to_str(), Ok("same-origin" | "none"));
    }
    if let Some(referer) = headers.get(header::REFERER) {
        return !referer.to_str().is_ok_and(same_host);
    }
    false
}

fn refused(path: &str) -> Response {
    if path.starts_with("/api/") || path.starts_with("/dicomweb/") {
        crate::error::csrf_problem()
    } else {
        (StatusCode::FORBIDDEN, "Cross-site request refused (csrf.origin)").into_response()
    }
}

/// The layer: refuses cross-site cookie writes and adds the security headers.
pub async fn layer(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let writes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let websocket = req
        .headers()
        .get(header::UPGRADE)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"));
    let cookie_only = req.headers().get(header::AUTHORIZATION).is_none()
        && req
            .headers()
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.contains(crate::auth::SESSION_COOKIE));
    if (writes || websocket) && cookie_only && cross_site(req.headers()) {
        tracing::warn!(path = %req.uri().path(), "cross-site request refused");
        return refused(req.uri().path());
    }
    let nonce = hex::encode(rand::rng().random::<[u8; 16]>());
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let csp = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: blob:; media-src 'self' blob: mediastream:; connect-src 'self'; object-src 'none'; \
         base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(self), microphone=(self), geolocation=()"),
    );
    if state.settings.secure_cookies {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn origin_decides_then_fetch_metadata_then_referer() {
        assert!(!cross_site(&headers(&[
            ("host", "sanyi.example:8080"),
            ("origin", "http://sanyi.example:8080")
        ])));
        assert!(cross_site(&headers(&[
            ("host", "sanyi.example:8080"),
            ("origin", "http://evil.example")
        ])));
        assert!(cross_site(&headers(&[("host", "sanyi.example"), ("origin", "null")])));
        assert!(cross_site(&headers(&[("host", "sanyi.example"), ("sec-fetch-site", "cross-site")])));
        assert!(!cross_site(&headers(&[
            ("host", "sanyi.example"),
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(cross_site(&headers(&[
            ("host", "sanyi.example"),
            ("referer", "https://evil.example/x")
        ])));
        assert!(!cross_site(&headers(&[
            ("host", "sanyi.example"),
            ("referer", "https://sanyi.example/residents")
        ])));
        assert!(
            !cross_site(&headers(&[("host", "sanyi.example")])),
            "no browser headers: not a browser"
        );
    }
}
