//! `GET /api/v1/audit`: the audit log (administrators).

use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use sanyi_app::audit::AuditEntry;
use sanyi_app::audit::{self as service, AuditFilter};

use super::{PageOf, PageParams};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, ApiJson, ApiQuery, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

/// Audit query parameters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Only this resident record.
    pub resident_id: Option<String>,
    /// Only this user.
    pub username: Option<String>,
    /// Only this action (`read`, `lookup`, `search`, `create`, `update`, `merge`, `import`).
    pub action: Option<String>,
    /// From (RFC 3339, inclusive).
    pub from: Option<DateTime<Utc>>,
    /// To (RFC 3339, exclusive).
    pub to: Option<DateTime<Utc>>,
    /// Rows to skip.
    #[param(minimum = 0)]
    pub offset: Option<i64>,
    /// Rows per page.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// Audit entries in the caller's area, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditParams),
    responses((status = 200, body = PageOf<AuditEntry>), (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn list_audit(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> Result<ApiJson<PageOf<AuditEntry>>, ApiError> {
    let page = PageParams {
        offset: p.offset,
        limit: p.limit,
    }
    .page()?;
    let f = AuditFilter {
        resident_id: p.resident_id,
        username: p.username,
        action: p.action,
        from: p.from,
        to: p.to,
    };
    Ok(ApiJson(service::query(&state.app, &a, f, page).await?.into()))
}
