//! The JSON API under `/api/v1`. Every handler carries `#[utoipa::path]` and is registered
//! through [`OpenApiRouter`], so the OpenAPI document cannot drift from the routing.

pub(crate) mod attachments;
mod audit;
mod auth;
mod consultations;
pub(crate) mod document;
mod drg;
pub(crate) mod imaging;
mod indicators;
pub(crate) mod insurance;
pub(crate) mod medicines;
pub mod permissions;
mod readings;
mod recognition;
mod referrals;
mod registry;
mod residents;

use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;

use sanyi_app::Page;
use sanyi_app::{FieldError, ServiceError};

use crate::AppState;
use crate::error::{Problem, ProblemField};

#[derive(OpenApi)]
#[openapi(
    info(title = "sanyi API", version = "1", description = "sanyi (三医): the open platform for county medical communities. Money is integer fen; errors are RFC 9457 problem+json."),
    modifiers(&SecurityAddon),
    components(schemas(Problem, ProblemField)),
    security(("bearer" = [])),
    tags(
        (name = "auth", description = "Tokens and the current user"),
        (name = "registry", description = "Counties, medical communities, institutions, departments, staff"),
        (name = "residents", description = "Master patient index (居民主索引)"),
        (name = "audit", description = "Append-only audit log"),
        (name = "drg", description = "CHS-DRG grouping (DRG 分组)"),
        (name = "referrals", description = "Two-way referral (双向转诊)"),
        (name = "consultations", description = "Remote consultation (远程会诊)"),
        (name = "readings", description = "Remote reading of images and ECGs (远程影像/心电诊断)"),
        (name = "imaging", description = "DICOM intake, DICOMweb (STOW-RS, QIDO-RS, WADO) and ECG files"),
        (name = "recognition", description = "Mutual recognition of test and examination results (检查检验结果互认): catalogue, participants, results index, order-time check, orders, savings"),
        (name = "insurance", description = "Medical insurance: policies, one-stop settlement, global budget, DRG points, fraud flags (医保)"),
    )
)]
struct ApiDoc;

struct SecurityAddon;

impl Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API routes with their OpenAPI document.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(auth::router())
        .merge(registry::router())
        .merge(residents::router())
        .merge(audit::router())
        .merge(drg::router())
        .merge(referrals::router())
        .merge(consultations::router())
        .merge(attachments::router(sanyi_app::attachments::AttachmentPolicy::default().max_bytes))
        .merge(indicators::router())
        .merge(insurance::router())
        .merge(readings::router())
        .merge(imaging::router())
        .merge(recognition::router())
        .merge(medicines::router())
}

/// Imports read one body at a time: with the 256 MiB limit, at most that much is held in memory
/// for imports however many arrive.
static IMPORTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// Reads the body of a CSV import: `Content-Type: text/csv` (415 otherwise), refused at once (413,
/// problem+json) when its declared `Content-Length` is over [`crate::IMPORT_BODY_LIMIT`] and
/// while reading when it grows past it; one import body at a time. The permit is held until the
/// import is done.
///
/// # Errors
/// As said, as problem+json.
pub async fn import_body(
    headers: &axum::http::HeaderMap,
    body: axum::body::Body,
) -> Result<(tokio::sync::SemaphorePermit<'static>, axum::body::Bytes), axum::response::Response> {
    use axum::response::IntoResponse;
    require_csv(headers).map_err(|e| crate::error::ApiError(e).into_response())?;
    let limit = crate::IMPORT_BODY_LIMIT;
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(crate::error::body_too_large(limit).into_response());
    }
    let permit = IMPORTS
        .acquire()
        .await
        .map_err(|e| crate::error::ApiError(ServiceError::Internal(e.into())).into_response())?;
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| crate::error::body_too_large(limit).into_response())?;
    Ok((permit, bytes))
}

/// `Ok` when the body is declared `text/csv` (the CSV imports).
///
/// # Errors
/// `Validation` naming `Content-Type` otherwise.
pub fn require_csv(headers: &axum::http::HeaderMap) -> Result<(), ServiceError> {
    let ct = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ct.starts_with("text/csv") {
        Ok(())
    } else {
        Err(ServiceError::Validation(vec![FieldError::new(
            "Content-Type",
            "content_type",
            "text/csv",
            &format!("Expected Content-Type text/csv, got {ct:?}"),
            "请求类型应为 text/csv",
        )]))
    }
}

/// Pagination parameters (`offset` ≥ 0, `limit` 1–500, default 50).
#[derive(Clone, Copy, Debug, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Rows to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<i64>,
    /// Rows per page (default 50, at most 500).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

impl PageParams {
    /// Validated page.
    ///
    /// # Errors
    /// `Validation` naming `offset` or `limit`.
    pub fn page(self) -> Result<Page, ServiceError> {
        let offset = self.offset.unwrap_or(0);
        let limit = self.limit.unwrap_or(50);
        let mut errs = Vec::new();
        if offset < 0 {
            errs.push(FieldError::new(
                "offset",
                "range",
                ">= 0",
                "offset must not be negative",
                "offset 不能为负数",
            ));
        }
        if !(1..=500).contains(&limit) {
            errs.push(FieldError::new(
                "limit",
                "range",
                "1 to 500",
                "limit must be between 1 and 500",
                "limit 应在 1 到 500 之间",
            ));
        }
        if errs.is_empty() {
            Ok(Page { offset, limit })
        } else {
            Err(ServiceError::Validation(errs))
        }
    }
}

/// A page of results.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PageOf<T: ToSchema> {
    /// Rows of this page.
    pub items: Vec<T>,
    /// Rows matching over all pages.
    pub total: i64,
    /// Offset of this page.
    pub offset: i64,
    /// Limit of this page.
    pub limit: i64,
}

impl<T: ToSchema> From<sanyi_app::Paged<T>> for PageOf<T> {
    fn from(p: sanyi_app::Paged<T>) -> Self {
        PageOf {
            items: p.items,
            total: p.total,
            offset: p.offset,
            limit: p.limit,
        }
    }
}

/// `in` or `out` (the default) of a referral or consultation list.
///
/// # Errors
/// `Validation` naming `box` otherwise.
pub fn inbox(side: Option<&str>) -> Result<bool, ServiceError> {
    match side {
        None | Some("out") => Ok(false),
        Some("in") => Ok(true),
        Some(_) => Err(ServiceError::Validation(vec![FieldError::new(
            "box",
            "enum",
            "in or out",
            "box must be in or out",
            "box 应为 in 或 out",
        )])),
    }
}

/// The version of an `If-Match` header (`3` or `"3"`), if any.
///
/// # Errors
/// `Validation` naming `If-Match` when it is not a version number.
pub fn if_match(headers: &axum::http::HeaderMap) -> Result<Option<i64>, ServiceError> {
    let Some(v) = headers.get(axum::http::header::IF_MATCH) else {
        return Ok(None);
    };
    v.to_str()
        .ok()
        .map(|s| s.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|s| s.parse::<i64>().ok())
        .map(Some)
        .ok_or_else(|| {
            ServiceError::Validation(vec![FieldError::new(
                "If-Match",
                "version",
                "the version number read, e.g. \"3\"",
                "If-Match must carry the version read",
                "If-Match 须为读取时的版本号",
            )])
        })
}

/// A referral or consultation command from its JSON body; `what` names the workflow in the rule id
/// and English (`referral`), `what_zh` in Chinese.
///
/// # Errors
/// `Validation` naming `command` when the body is none of the documented commands.
pub fn command<T: serde::de::DeserializeOwned>(body: serde_json::Value, what: &str, what_zh: &str) -> Result<T, ServiceError> {
    serde_json::from_value(body).map_err(|e| {
        ServiceError::Validation(vec![FieldError::new(
            "command",
            &format!("{what}.command"),
            "one of the documented commands",
            &format!("Not a {what} command: {e}"),
            &format!("不是有效的{what_zh}操作"),
        )])
    })
}
