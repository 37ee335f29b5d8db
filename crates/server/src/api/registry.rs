//! Registry endpoints: the institution tree, institutions, departments and staff.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use sanyi_app::ServiceError;
use sanyi_app::registry::{self as service, CountyTree, DepartmentInput, InstitutionInput, InstitutionUpdate, StaffInput};
use sanyi_app::registry::{Department, Institution, Staff};

use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, ApiJson, ApiPath, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_institution_tree))
        .routes(routes!(create_institution))
        .routes(routes!(get_institution, update_institution))
        .routes(routes!(list_departments, create_department))
        .routes(routes!(list_staff, create_staff))
}

/// The institution tree of the counties in the caller's scope: county → medical community →
/// lead hospital, TCM hospital, township centres → village clinics.
#[utoipa::path(get, path = "/api/v1/institutions/tree", tag = "registry",
    responses((status = 200, body = Vec<CountyTree>), (status = 401, body = Problem, content_type = "application/problem+json")))]
async fn get_institution_tree(State(state): State<AppState>, ApiActor(a): ApiActor) -> Result<ApiJson<Vec<CountyTree>>, ApiError> {
    Ok(ApiJson(service::tree(&state.app, &a).await?))
}

async fn visible(state: &AppState, a: &sanyi_app::Actor, id: &str) -> Result<Institution, ServiceError> {
    service::visible_institution(&state.app, a, id).await
}

/// Creates an institution (administrators): tier, WS 218 kind, service area, codes, and the legal
/// person, licence holder and insurance contract holder as separate attributes.
#[utoipa::path(post, path = "/api/v1/institutions", tag = "registry", request_body = InstitutionInput,
    responses((status = 201, body = Institution), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_institution(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(input): ApiJson<InstitutionInput>,
) -> Result<(StatusCode, ApiJson<Institution>), ApiError> {
    Ok((
        StatusCode::CREATED,
        ApiJson(service::create_institution(&state.app, &a, &input).await?),
    ))
}

/// Adds a department (administrators).
#[utoipa::path(post, path = "/api/v1/institutions/{id}/departments", tag = "registry", params(("id" = String, Path, description = "Institution id")),
    request_body = DepartmentInput,
    responses((status = 201, body = DepartmentView), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_department(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(d): ApiJson<DepartmentInput>,
) -> Result<(StatusCode, ApiJson<DepartmentView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        ApiJson(service::create_department(&state.app, &a, &id, &d).await?.into()),
    ))
}

/// Adds a staff member working at the institution (administrators); the post-owner institution
/// may be another institution of the county (staffing pool).
#[utoipa::path(post, path = "/api/v1/institutions/{id}/staff", tag = "registry", params(("id" = String, Path, description = "Working institution id")),
    request_body = StaffInput,
    responses((status = 201, body = StaffView), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_staff(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(s): ApiJson<StaffInput>,
) -> Result<(StatusCode, ApiJson<StaffView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        ApiJson(service::create_staff(&state.app, &a, &id, &s).await?.into()),
    ))
}

/// One institution.
#[utoipa::path(get, path = "/api/v1/institutions/{id}", tag = "registry", params(("id" = String, Path, description = "Institution id")),
    responses((status = 200, body = Institution), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_institution(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<Institution>, ApiError> {
    Ok(ApiJson(visible(&state, &a, &id).await?))
}

/// Edits an institution (administrators).
#[utoipa::path(put, path = "/api/v1/institutions/{id}", tag = "registry", params(("id" = String, Path, description = "Institution id")),
    request_body = InstitutionUpdate,
    responses((status = 200, body = Institution), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn update_institution(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(u): ApiJson<InstitutionUpdate>,
) -> Result<ApiJson<Institution>, ApiError> {
    Ok(ApiJson(service::update_institution(&state.app, &a, &id, &u).await?))
}

/// Departments of an institution.
#[derive(Serialize, ToSchema)]
pub struct DepartmentView {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Specialty code.
    pub specialty: String,
}

impl From<Department> for DepartmentView {
    fn from(d: Department) -> Self {
        DepartmentView {
            id: d.id,
            name: d.name,
            specialty: d.specialty,
        }
    }
}

/// Departments of an institution.
#[utoipa::path(get, path = "/api/v1/institutions/{id}/departments", tag = "registry", params(("id" = String, Path, description = "Institution id")),
    responses((status = 200, body = Vec<DepartmentView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn list_departments(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<Vec<DepartmentView>>, ApiError> {
    Ok(ApiJson(
        service::departments(&state.app, &a, &id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// A staff member.
#[derive(Serialize, ToSchema)]
pub struct StaffView {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Profession.
    pub profession: String,
    /// Title.
    pub title: String,
    /// Qualifications.
    pub qualifications: Vec<String>,
    /// Post-owner institution (编制所在单位).
    pub post_institution_id: String,
    /// Working institution.
    pub working_institution_id: String,
}

impl From<Staff> for StaffView {
    fn from(s: Staff) -> Self {
        StaffView {
            qualifications: serde_json::from_str(&s.qualifications).unwrap_or_default(),
            id: s.id,
            name: s.name,
            profession: s.profession,
            title: s.title,
            post_institution_id: s.post_institution_id,
            working_institution_id: s.working_institution_id,
        }
    }
}

/// Staff working at an institution (post-owner institution may differ: staffing pool).
#[utoipa::path(get, path = "/api/v1/institutions/{id}/staff", tag = "registry", params(("id" = String, Path, description = "Institution id")),
    responses((status = 200, body = Vec<StaffView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn list_staff(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<Vec<StaffView>>, ApiError> {
    Ok(ApiJson(
        service::staff(&state.app, &a, &id).await?.into_iter().map(Into::into).collect(),
    ))
}
