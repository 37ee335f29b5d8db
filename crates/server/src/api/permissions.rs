//! The permission each writing operation needs, checked by one layer before the request's body
//! is read: a role without it is refused with 403 whatever it sent (it learns nothing of the
//! body's rules), and pool-level operations need a pool-wide area. The services check the same
//! permissions again (and the area of each record); this layer only makes the refusal come first.

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use sanyi_app::Permission;

use crate::AppState;
use crate::error::ApiError;

/// Whether an operation needs a pool-wide area.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Records of the caller's area.
    Area,
    /// Pool-level records.
    Pool,
}

/// The permission (and level) an operation needs before its body is read; `None` for reads and
/// for operations any authenticated caller may attempt (the service decides).
pub fn required(method: &Method, path: &str) -> Option<(Permission, Level)> {
    use Level::{Area, Pool};
    use Permission::*;
    let m = method.as_str();
    Some(match (m, path) {
        ("POST", "/api/v1/claims") | ("POST", "/api/v1/claims/{id}/reverse") => (ClaimSettle, Area),
        ("PUT", "/api/v1/claims/{id}/special-review") | ("POST", "/api/v1/insurance/flags/{id}/review") => (InsuranceManage, Area),
        ("PUT", "/api/v1/insurance/fund-years/{year}")
        | ("POST", "/api/v1/insurance/policies")
        | ("POST", "/api/v1/insurance/settlements") => (InsuranceManage, Pool),
        ("POST", "/api/v1/insurance/settlements/{year}/runs/{number}/approval") => (SettlementApprove, Pool),
        ("PUT", "/api/v1/consultation-roster")
        | ("POST", "/api/v1/institutions")
        | ("PUT", "/api/v1/institutions/{id}")
        | ("POST", "/api/v1/institutions/{id}/departments")
        | ("POST", "/api/v1/institutions/{id}/staff") => (RegistryWrite, Area),
        ("POST", "/api/v1/consultations")
        | ("POST", "/api/v1/consultations/{id}/commands")
        | ("POST", "/api/v1/consultations/{id}/guests")
        | ("DELETE", "/api/v1/consultations/{id}/guests/{user_id}")
        | ("POST", "/api/v1/consultations/{id}/attachments")
        | ("POST", "/api/v1/referrals")
        | ("POST", "/api/v1/referrals/{id}/commands")
        | ("POST", "/api/v1/referrals/{id}/attachments") => (ReferralWrite, Area),
        ("POST", "/api/v1/readings")
        | ("POST", "/api/v1/readings/{id}/ecg")
        | ("POST", "/api/v1/readings/{id}/images")
        | ("POST", "/api/v1/imaging/instances")
        | ("POST", "/api/v1/imaging/studies/{id}/match")
        | ("POST", "/dicomweb/studies") => (ReadingOrder, Area),
        ("POST", "/api/v1/orders") | ("POST", "/api/v1/recognition/check") => (OrderWrite, Area),
        ("POST", "/api/v1/results") => (ResultWrite, Area),
        ("POST", "/api/v1/results/import") => (ResultImport, Area),
        ("POST", "/api/v1/residents") | ("PUT", "/api/v1/residents/{id}") => (ResidentWrite, Area),
        ("POST", "/api/v1/residents/import") => (ResidentImport, Area),
        ("POST", "/api/v1/residents/{id}/enrolments")
        | ("POST", "/api/v1/residents/{id}/eligibility")
        | ("POST", "/api/v1/residents/{id}/eligibility/{eligibility}/revoke") => (EnrolmentWrite, Area),
        ("POST", "/api/v1/residents/{id}/merge") => (ResidentMerge, Area),
        ("PUT", "/api/v1/recognition/items") => (RecognitionManage, Pool),
        ("PUT", "/api/v1/recognition/participants") => (RecognitionManage, Area),
        ("POST", "/api/v1/drg/group") => (DrgGroup, Area),
        ("POST", "/api/v1/catalogue/versions") => (CatalogueManage, Pool),
        ("POST", "/api/v1/procurement/projects")
        | ("PUT", "/api/v1/procurement/projects/{id}/demand")
        | ("POST", "/api/v1/procurement/projects/{id}/contract")
        | ("POST", "/api/v1/procurement/projects/{id}/renewal")
        | ("POST", "/api/v1/pharmacy/orders")
        | ("POST", "/api/v1/pharmacy/orders/{id}/deliveries")
        | ("POST", "/api/v1/pharmacy/deliveries/{id}/accept")
        | ("POST", "/api/v1/pharmacy/deliveries/{id}/pay")
        | ("POST", "/api/v1/pharmacy/transfers") => (ProcurementManage, Area),
        ("POST", "/api/v1/prescriptions") => (Prescribe, Area),
        ("POST", "/api/v1/prescriptions/{id}/dispense") => (Dispense, Area),
        ("POST", "/api/v1/users/{username}/unlock")
        | ("POST", "/api/v1/users/{username}/activate")
        | ("POST", "/api/v1/users/{username}/deactivate") => (UserManage, Area),
        _ => return None,
    })
}

/// The layer: authenticates and checks the operation's permission before the handler's
/// extractors read the body; the actor is handed on to [`crate::auth::ApiActor`].
pub async fn check(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(path) = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()) else {
        return next.run(req).await;
    };
    let Some((permission, level)) = required(req.method(), &path) else {
        return next.run(req).await;
    };
    let (mut parts, body) = req.into_parts();
    let actor = match crate::auth::actor_of(&parts, &state).await {
        Ok(a) => a,
        Err(e) => return ApiError(e).into_response(),
    };
    let allowed = match level {
        Level::Area => actor.require(permission),
        Level::Pool => actor.require_pool_level(permission),
    };
    if let Err(e) = allowed {
        return ApiError(e).into_response();
    }
    parts.extensions.insert(actor);
    next.run(Request::from_parts(parts, body)).await
}
