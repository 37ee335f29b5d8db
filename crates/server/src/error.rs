//! The one place where errors become HTTP responses.
//!
//! API errors are RFC 9457 problem details (`application/problem+json`) listing each failing
//! field with its rule and the expected value. Server errors are logged once here and answered
//! with an opaque body.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use sanyi_app::{FieldError, ServiceError};

/// RFC 9457 problem details.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Problem type URI (`urn:sanyi:problem:<kind>`).
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// Explanation of this occurrence.
    pub detail: String,
    /// Each failing field: name, rule, expected value, messages.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
    /// Current version of the record (on a version conflict).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
    /// What to decide on when a decision is required (the recognisable prior results of an order).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub candidates: Option<serde_json::Value>,
}

/// One failing field in a [`Problem`].
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ProblemField {
    /// Field name (JSON pointer-like path for nested bodies; `line:N` prefix in imports).
    pub field: String,
    /// Rule id.
    pub rule: String,
    /// Expected value.
    pub expected: String,
    /// Message (English).
    pub message: String,
    /// Message (Chinese).
    pub message_zh: String,
}

impl From<FieldError> for ProblemField {
    fn from(f: FieldError) -> Self {
        ProblemField {
            field: f.field,
            rule: f.rule,
            expected: f.expected,
            message: f.message,
            message_zh: f.message_zh,
        }
    }
}

/// An error answered by the API.
#[derive(Debug)]
pub struct ApiError(pub ServiceError);

/// A request-shape problem found before the service runs (bad JSON, content type, query, path).
#[derive(Debug)]
pub struct RequestProblem {
    status: StatusCode,
    kind: &'static str,
    title: &'static str,
    detail: String,
    field: Option<String>,
}

impl<E: Into<ServiceError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

fn problem_response(status: StatusCode, p: Problem) -> Response {
    let mut res = (status, Json(p)).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    res
}

fn problem(status: StatusCode, kind: &str, title: &str, detail: impl Into<String>) -> Problem {
    Problem {
        kind: format!("urn:sanyi:problem:{kind}"),
        title: title.into(),
        status: status.as_u16(),
        detail: detail.into(),
        errors: vec![],
        current_version: None,
        candidates: None,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self.0 {
            ServiceError::Validation(errors) => {
                let mut p = problem(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation",
                    "Validation failed",
                    summary(&errors),
                );
                p.errors = errors.into_iter().map(Into::into).collect();
                problem_response(StatusCode::UNPROCESSABLE_ENTITY, p)
            }
            ServiceError::Conflict(errors) => {
                let mut p = problem(StatusCode::CONFLICT, "conflict", "Conflict with existing data", summary(&errors));
                p.errors = errors.into_iter().map(Into::into).collect();
                problem_response(StatusCode::CONFLICT, p)
            }
            ServiceError::DecisionRequired { errors, candidates } => {
                let mut p = problem(
                    StatusCode::CONFLICT,
                    "decision-required",
                    "A decision is required first",
                    summary(&errors),
                );
                p.errors = errors.into_iter().map(Into::into).collect();
                p.candidates = Some(candidates);
                problem_response(StatusCode::CONFLICT, p)
            }
            ServiceError::VersionConflict { current } => {
                let mut p = problem(
                    StatusCode::CONFLICT,
                    "version-conflict",
                    "The record was changed by someone else",
                    format!("The record is now at version {current}; reload it and apply your change again"),
                );
                p.current_version = Some(current);
                problem_response(StatusCode::CONFLICT, p)
            }
            ServiceError::NotFound => problem_response(
                StatusCode::NOT_FOUND,
                problem(StatusCode::NOT_FOUND, "not-found", "Not found", "No such record"),
            ),
            ServiceError::Forbidden { role, permission } => problem_response(
                StatusCode::FORBIDDEN,
                problem(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    "Forbidden",
                    format!("Role {role} does not have permission {permission}"),
                ),
            ),
            ServiceError::PoolLevelOnly { role, permission, scope } => problem_response(
                StatusCode::FORBIDDEN,
                problem(
                    StatusCode::FORBIDDEN,
                    "forbidden-level",
                    "Pool-level records need a pool-wide scope",
                    format!(
                        "Role {role} scoped to {scope} may use {permission} only on its own county's records; \
                         pool-level records need a pool-wide (4-digit) scope"
                    ),
                ),
            ),
            ServiceError::TooManyAttempts { retry_after_secs } => {
                let mut res = problem_response(
                    StatusCode::TOO_MANY_REQUESTS,
                    problem(
                        StatusCode::TOO_MANY_REQUESTS,
                        "too-many-attempts",
                        "Too many failed logins",
                        format!(
                            "Too many failed logins for this account or address; retry after {retry_after_secs} s, \
                             or ask an administrator to unlock the account"
                        ),
                    ),
                );
                if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                    res.headers_mut().insert(header::RETRY_AFTER, v);
                }
                res
            }
            ServiceError::Unavailable(why) => {
                tracing::error!(reason = why, "request refused: service unavailable");
                let mut res = problem_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    problem(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "unavailable",
                        "Temporarily unavailable",
                        format!("The request was not answered: {why}; nothing was disclosed or changed. Retry shortly"),
                    ),
                );
                res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
                res
            }
            ServiceError::Unauthenticated => {
                let mut res = problem_response(
                    StatusCode::UNAUTHORIZED,
                    problem(
                        StatusCode::UNAUTHORIZED,
                        "unauthenticated",
                        "Authentication required",
                        "Send a valid bearer token (POST /api/v1/auth/token) or session cookie",
                    ),
                );
                res.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"sanyi\""));
                res
            }
            ServiceError::Internal(e) => {
                tracing::error!(error = %e, "internal error");
                problem_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    problem(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal",
                        "Internal error",
                        "The server could not complete the request",
                    ),
                )
            }
        }
    }
}

/// A body over the size an endpoint accepts (413, problem+json naming the body and the limit).
pub fn body_too_large(limit: usize) -> RequestProblem {
    RequestProblem {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        kind: "body.size",
        title: "The body is larger than this endpoint accepts",
        detail: format!("The body is larger than {} MiB; split the file", limit / (1024 * 1024)),
        field: Some("body".into()),
    }
}

/// The answer to a cross-site write made with the session cookie (see [`crate::guard`]).
pub fn csrf_problem() -> Response {
    let mut p = problem(
        StatusCode::FORBIDDEN,
        "csrf",
        "Cross-site request refused",
        "A request authenticated by the session cookie must come from sanyi's own pages (Origin of this host); API clients send a bearer token",
    );
    p.errors.push(ProblemField {
        field: "Origin".into(),
        rule: "csrf.origin".into(),
        expected: "this server's origin".into(),
        message: "The request comes from another site".into(),
        message_zh: "请求来自其他网站，已拒绝".into(),
    });
    problem_response(StatusCode::FORBIDDEN, p)
}

fn summary(errors: &[FieldError]) -> String {
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    format!("{} field(s) rejected: {}", errors.len(), fields.join(", "))
}

impl IntoResponse for RequestProblem {
    fn into_response(self) -> Response {
        let mut p = problem(self.status, self.kind, self.title, self.detail.clone());
        if let Some(field) = self.field {
            p.errors.push(ProblemField {
                field,
                rule: self.kind.into(),
                expected: "a value of the documented type".into(),
                message: self.detail.clone(),
                message_zh: "请求格式错误".into(),
            });
        }
        problem_response(self.status, p)
    }
}

/// The field path in a serde error text such as `name: invalid type ... at line 1 column 9`.
fn serde_field(text: &str) -> Option<String> {
    let rest = text.split_once("target type: ").map_or(text, |(_, r)| r);
    let (path, _) = rest.split_once(": ")?;
    (!path.contains(' ') && !path.is_empty()).then(|| path.to_owned())
}

impl From<JsonRejection> for RequestProblem {
    fn from(r: JsonRejection) -> Self {
        let text = r.body_text();
        let (status, kind, title) = match &r {
            JsonRejection::JsonDataError(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "json-data",
                "The JSON body does not match the expected shape",
            ),
            JsonRejection::JsonSyntaxError(_) => (StatusCode::BAD_REQUEST, "json-syntax", "The body is not valid JSON"),
            JsonRejection::MissingJsonContentType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "content-type",
                "Expected Content-Type: application/json",
            ),
            _ => (r.status(), "body", "The request body could not be read"),
        };
        let field = matches!(r, JsonRejection::JsonDataError(_)).then(|| serde_field(&text)).flatten();
        RequestProblem {
            status,
            kind,
            title,
            detail: text,
            field,
        }
    }
}

impl From<QueryRejection> for RequestProblem {
    fn from(r: QueryRejection) -> Self {
        let text = r.body_text();
        RequestProblem {
            status: StatusCode::BAD_REQUEST,
            kind: "query",
            title: "Bad query parameters",
            field: serde_field(&text),
            detail: text,
        }
    }
}

impl From<PathRejection> for RequestProblem {
    fn from(r: PathRejection) -> Self {
        RequestProblem {
            status: StatusCode::BAD_REQUEST,
            kind: "path",
            title: "Bad path parameter",
            detail: r.body_text(),
            field: None,
        }
    }
}

/// `Json` extractor whose rejections are problem+json; a body whose text holds a NUL character
/// (`\u0000`, which no text column of PostgreSQL can store) is refused as 422 `text.nul`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = RequestProblem;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(value) = axum::Json::<serde_json::Value>::from_request(req, state).await?;
        if holds_nul(&value) {
            return Err(nul_problem("body"));
        }
        serde_path_to_error::deserialize(value).map(ApiJson).map_err(|e| {
            let text = e.to_string();
            RequestProblem {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                kind: "json-data",
                title: "The JSON body does not match the expected shape",
                field: serde_field(&text).or_else(|| serde_missing_field(&text)),
                detail: format!("Failed to deserialize the JSON body into the target type: {text}"),
            }
        })
    }
}

/// Whether any string of a JSON value (key or value) holds a NUL character.
fn holds_nul(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::String(s) => s.contains('\0'),
        serde_json::Value::Array(a) => a.iter().any(holds_nul),
        serde_json::Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)),
        _ => false,
    }
}

/// The field a serde error names as missing (`missing field `name``).
fn serde_missing_field(text: &str) -> Option<String> {
    let rest = text.split_once("missing field `")?.1;
    Some(rest.split_once('`')?.0.to_owned())
}

/// 422 for text holding a NUL character.
pub fn nul_problem(field: &str) -> RequestProblem {
    RequestProblem {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        kind: "text.nul",
        title: "Text must not hold a NUL character",
        detail: "A text value holds a NUL character (U+0000), which cannot be stored".into(),
        field: Some(field.to_owned()),
    }
}

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        Json(self.0).into_response()
    }
}

/// `Query` extractor whose rejections are problem+json (a NUL character is refused as 422).
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = RequestProblem;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        if parts.uri.query().is_some_and(|q| q.contains("%00")) {
            return Err(nul_problem("query"));
        }
        let axum::extract::Query(v) = axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(ApiQuery(v))
    }
}

/// `Path` extractor whose rejections are problem+json (a NUL character is refused as 422).
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiPath<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for ApiPath<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = RequestProblem;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        if parts.uri.path().contains("%00") {
            return Err(nul_problem("path"));
        }
        let axum::extract::Path(v) = axum::extract::Path::<T>::from_request_parts(parts, state).await?;
        Ok(ApiPath(v))
    }
}

/// Raw body extractor whose rejections (above all: over the size limit, 413) are problem+json.
#[derive(Debug, Clone)]
pub struct ApiBytes(pub axum::body::Bytes);

impl<S: Send + Sync> axum::extract::FromRequest<S> for ApiBytes {
    type Rejection = RequestProblem;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::body::Bytes::from_request(req, state).await.map(ApiBytes).map_err(|r| {
            let status = r.status();
            let too_large = status == StatusCode::PAYLOAD_TOO_LARGE;
            RequestProblem {
                status,
                kind: if too_large { "attachment.size" } else { "body" },
                title: if too_large {
                    "The body is larger than this endpoint accepts"
                } else {
                    "The request body could not be read"
                },
                detail: r.body_text(),
                field: too_large.then(|| "file".to_owned()),
            }
        })
    }
}
