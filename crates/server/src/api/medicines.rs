//! Medicines endpoints (医药): the pool's catalogue versions and search, volume-based procurement
//! projects (demand, contract, renewal), the central pharmacy (orders, deliveries, acceptance,
//! payment, stock, transfers), prescriptions with dispensing, and the completion, usage and
//! savings report (JSON and Excel).

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use sanyi_app::medicines::catalogue::{self, ImportInput, ItemView, SearchQuery, VersionView};
use sanyi_app::medicines::pharmacy::{
    self, DayInput, DeliveryInput, DeliveryView, LotView, OrderInput, OrderListItem, OrderView, TransferInput,
};
use sanyi_app::medicines::prescriptions::{self, Choice, DispenseInput, ListQuery, PrescriptionInput, PrescriptionView, RxListItem};
use sanyi_app::medicines::projects::{self, DemandInput, ProjectInput, ProjectView, RenewalInput};
use sanyi_app::medicines::report::{self, ProcurementReport, ReportQuery};
use sanyi_app::{FieldError, ServiceError};

use super::{PageOf, PageParams};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_catalogue_versions))
        .routes(routes!(search_catalogue))
        .routes(routes!(list_projects, create_project))
        .routes(routes!(get_project))
        .routes(routes!(report_demand))
        .routes(routes!(contract_project))
        .routes(routes!(renew_project))
        .routes(routes!(procurement_report))
        .routes(routes!(procurement_report_xlsx))
        .routes(routes!(list_orders, create_order))
        .routes(routes!(get_order))
        .routes(routes!(create_delivery))
        .routes(routes!(list_deliveries))
        .routes(routes!(accept_delivery))
        .routes(routes!(pay_delivery))
        .routes(routes!(get_stock))
        .routes(routes!(create_transfer))
        .routes(routes!(list_prescriptions, write_prescription))
        .routes(routes!(prescription_choices))
        .routes(routes!(get_prescription))
        .routes(routes!(dispense_prescription))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(import_catalogue_version))
                .layer(DefaultBodyLimit::disable()),
        )
}

/// The catalogue versions of the caller's pool (医保目录版本), oldest first.
#[utoipa::path(get, path = "/api/v1/catalogue/versions", tag = "medicines",
    responses((status = 200, body = Vec<VersionView>), (status = 401, body = Problem, content_type = "application/problem+json")))]
async fn list_catalogue_versions(State(state): State<AppState>, ApiActor(a): ApiActor) -> Result<ApiJson<Vec<VersionView>>, ApiError> {
    Ok(ApiJson(catalogue::versions(&state.app, &a).await?))
}

/// Where a version starts and what it is called.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionParams {
    /// Version label, e.g. `2027-v1`.
    pub version: String,
    /// First day in force (`YYYY-MM-DD`).
    pub effective_from: NaiveDate,
    /// File name (`.csv` or `.xlsx`; the format is also recognised from the content).
    pub file_name: Option<String>,
}

/// Imports a whole catalogue version of the caller's pool from CSV (`text/csv`) or Excel
/// (`.xlsx`) in the body: insurance officers and administrators of the pool. A file with any bad
/// row is refused with every bad row named (line, column, rule); nothing is stored then.
#[utoipa::path(post, path = "/api/v1/catalogue/versions", tag = "medicines", params(VersionParams),
    request_body(content = String, content_type = "text/csv",
        description = "Header: code,kind,name_zh,category,price_cap_yuan,unit[,name_en,generic_name,dosage_form,strength,pack,manufacturer,self_pay_percent,zero_markup]"),
    responses((status = 201, body = VersionView), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn import_catalogue_version(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(p): ApiQuery<VersionParams>,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    let bytes = axum::body::to_bytes(body, crate::IMPORT_BODY_LIMIT).await.map_err(|_| {
        ServiceError::Validation(vec![FieldError::new(
            "body",
            "body.size",
            "a file within the import limit",
            "The file is too large",
            "文件过大",
        )])
    })?;
    let input = ImportInput {
        version: p.version,
        effective_from: p.effective_from,
        file_name: p.file_name.unwrap_or_else(|| "catalogue.csv".into()),
        illustrative: false,
    };
    let v = catalogue::import(&state.app, &a, &input, &bytes).await?;
    Ok((StatusCode::CREATED, ApiJson(v)).into_response())
}

/// Search parameters of the catalogue.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CatalogueParams {
    /// Version id (default: the version in force today).
    pub version: Option<String>,
    /// Part of the code, name, generic name or manufacturer.
    pub q: Option<String>,
    /// `drug`, `consumable`, `service`.
    pub kind: Option<String>,
    /// `A`, `B`, `C`.
    pub category: Option<String>,
    /// Rows to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<i64>,
    /// Rows per page (1–500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// A page of catalogue items with the version they come from.
#[derive(Serialize, ToSchema)]
pub struct CatalogueSearch {
    /// The version searched (none: the pool has no catalogue in force).
    pub version: Option<VersionView>,
    /// The items.
    pub items: PageOf<ItemView>,
}

/// Searches a catalogue version of the caller's pool (the one in force today by default).
#[utoipa::path(get, path = "/api/v1/catalogue/items", tag = "medicines", params(CatalogueParams),
    responses((status = 200, body = CatalogueSearch), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn search_catalogue(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(p): ApiQuery<CatalogueParams>,
) -> Result<ApiJson<CatalogueSearch>, ApiError> {
    let page = PageParams {
        offset: p.offset,
        limit: p.limit,
    }
    .page()?;
    let q = SearchQuery {
        version: p.version,
        q: p.q,
        kind: p.kind,
        category: p.category,
    };
    let (version, items) = catalogue::search(&state.app, &a, &q, page).await?;
    Ok(ApiJson(CatalogueSearch {
        version,
        items: items.into(),
    }))
}

/// The procurement projects of the caller's area (集采项目), newest first.
#[utoipa::path(get, path = "/api/v1/procurement/projects", tag = "medicines",
    responses((status = 200, body = Vec<ProjectView>), (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn list_projects(State(state): State<AppState>, ApiActor(a): ApiActor) -> Result<ApiJson<Vec<ProjectView>>, ApiError> {
    Ok(ApiJson(projects::list(&state.app, &a).await?))
}

/// Loads a procurement project with its selected products, open for demand reporting.
#[utoipa::path(post, path = "/api/v1/procurement/projects", tag = "medicines", request_body = ProjectInput,
    responses((status = 201, body = ProjectView), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_project(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(input): ApiJson<ProjectInput>,
) -> Result<(StatusCode, ApiJson<ProjectView>), ApiError> {
    Ok((StatusCode::CREATED, ApiJson(projects::create(&state.app, &a, &input).await?)))
}

/// A procurement project with its products, demand, agreed volumes and prepayment.
#[utoipa::path(get, path = "/api/v1/procurement/projects/{id}", tag = "medicines", params(("id" = String, Path, description = "Project id")),
    responses((status = 200, body = ProjectView), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_project(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<ProjectView>, ApiError> {
    Ok(ApiJson(projects::get(&state.app, &a, &id).await?))
}

/// Reported demand of the community's institutions.
#[derive(Deserialize, ToSchema)]
pub struct DemandRequest {
    /// One row per institution and generic (a row replaces the earlier report of its pair).
    pub rows: Vec<DemandInput>,
}

/// Records reported demand; the agreed volumes follow by the winners rule.
#[utoipa::path(put, path = "/api/v1/procurement/projects/{id}/demand", tag = "medicines", request_body = DemandRequest,
    params(("id" = String, Path, description = "Project id")),
    responses((status = 200, body = ProjectView), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn report_demand(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<DemandRequest>,
) -> Result<ApiJson<ProjectView>, ApiError> {
    Ok(ApiJson(projects::report_demand(&state.app, &a, &id, &input.rows).await?))
}

/// Signs the contract: fixes the agreed volumes and credits the insurance prepayment.
#[utoipa::path(post, path = "/api/v1/procurement/projects/{id}/contract", tag = "medicines", params(("id" = String, Path, description = "Project id")),
    responses((status = 200, body = ProjectView), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn contract_project(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<ProjectView>, ApiError> {
    Ok(ApiJson(projects::contract(&state.app, &a, &id).await?))
}

/// Renews a contracted project into a new period, open for demand again.
#[utoipa::path(post, path = "/api/v1/procurement/projects/{id}/renewal", tag = "medicines", request_body = RenewalInput,
    params(("id" = String, Path, description = "Project id")),
    responses((status = 201, body = ProjectView), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn renew_project(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<RenewalInput>,
) -> Result<(StatusCode, ApiJson<ProjectView>), ApiError> {
    Ok((StatusCode::CREATED, ApiJson(projects::renew(&state.app, &a, &id, &input).await?)))
}

/// Report parameters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// As of this day (default: today).
    pub as_of: Option<NaiveDate>,
}

/// Completion of agreed volumes against time, usage rates, price cuts and savings, invoices due.
#[utoipa::path(get, path = "/api/v1/procurement/report", tag = "medicines", params(ReportParams),
    responses((status = 200, body = ProcurementReport), (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn procurement_report(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(p): ApiQuery<ReportParams>,
) -> Result<ApiJson<ProcurementReport>, ApiError> {
    Ok(ApiJson(report::report(&state.app, &a, &ReportQuery { as_of: p.as_of }).await?))
}

/// The same report as an Excel workbook.
#[utoipa::path(get, path = "/api/v1/procurement/report/xlsx", tag = "medicines", params(ReportParams),
    responses((status = 200, description = "The workbook"), (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn procurement_report_xlsx(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(p): ApiQuery<ReportParams>,
) -> Result<Response, ApiError> {
    let r = report::report(&state.app, &a, &ReportQuery { as_of: p.as_of }).await?;
    Ok(xlsx_response(&r)?)
}

pub(crate) fn xlsx_response(r: &ProcurementReport) -> Result<Response, ServiceError> {
    let bytes = sanyi_app::medicines::export::xlsx(r)?;
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"procurement-{}.xlsx\"", r.as_of)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

/// The central pharmacy's orders in the caller's area, newest first.
#[utoipa::path(get, path = "/api/v1/pharmacy/orders", tag = "medicines", params(PageParams),
    responses((status = 200, body = PageOf<OrderListItem>), (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn list_orders(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(p): ApiQuery<PageParams>,
) -> Result<ApiJson<PageOf<OrderListItem>>, ApiError> {
    Ok(ApiJson(pharmacy::orders(&state.app, &a, p.page()?).await?.into()))
}

/// Places a purchase order of the central pharmacy (the lead hospital buys for all members).
#[utoipa::path(post, path = "/api/v1/pharmacy/orders", tag = "medicines", request_body = OrderInput,
    responses((status = 201, body = OrderView), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_order(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(input): ApiJson<OrderInput>,
) -> Result<(StatusCode, ApiJson<OrderView>), ApiError> {
    Ok((StatusCode::CREATED, ApiJson(pharmacy::order(&state.app, &a, &input).await?)))
}

/// An order with its lines and deliveries.
#[utoipa::path(get, path = "/api/v1/pharmacy/orders/{id}", tag = "medicines", params(("id" = String, Path, description = "Order id")),
    responses((status = 200, body = OrderView), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_order(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<OrderView>, ApiError> {
    Ok(ApiJson(pharmacy::get_order(&state.app, &a, &id).await?))
}

/// Records a supplier's delivery against an order (also the supplier's invoice).
#[utoipa::path(post, path = "/api/v1/pharmacy/orders/{id}/deliveries", tag = "medicines", request_body = DeliveryInput,
    params(("id" = String, Path, description = "Order id")),
    responses((status = 201, body = DeliveryView), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_delivery(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<DeliveryInput>,
) -> Result<(StatusCode, ApiJson<DeliveryView>), ApiError> {
    Ok((StatusCode::CREATED, ApiJson(pharmacy::deliver(&state.app, &a, &id, &input).await?)))
}

/// Which deliveries.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryParams {
    /// Only the invoices accepted and not yet paid, by due day.
    pub unpaid: Option<bool>,
    /// Rows to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<i64>,
    /// Rows per page (1–500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// The deliveries (invoices) of the caller's area with their payment clock.
#[utoipa::path(get, path = "/api/v1/pharmacy/deliveries", tag = "medicines", params(DeliveryParams),
    responses((status = 200, body = PageOf<DeliveryView>), (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn list_deliveries(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(p): ApiQuery<DeliveryParams>,
) -> Result<ApiJson<PageOf<DeliveryView>>, ApiError> {
    let page = PageParams {
        offset: p.offset,
        limit: p.limit,
    }
    .page()?;
    Ok(ApiJson(
        pharmacy::deliveries(&state.app, &a, p.unpaid.unwrap_or(false), page).await?.into(),
    ))
}

/// Accepts a delivery into stock; its payment falls due after the contract's days.
#[utoipa::path(post, path = "/api/v1/pharmacy/deliveries/{id}/accept", tag = "medicines", request_body = DayInput,
    params(("id" = String, Path, description = "Delivery id")),
    responses((status = 200, body = DeliveryView), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
async fn accept_delivery(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<DayInput>,
) -> Result<ApiJson<DeliveryView>, ApiError> {
    Ok(ApiJson(pharmacy::accept(&state.app, &a, &id, &input).await?))
}

/// Pays an accepted delivery (回款).
#[utoipa::path(post, path = "/api/v1/pharmacy/deliveries/{id}/pay", tag = "medicines", request_body = DayInput,
    params(("id" = String, Path, description = "Delivery id")),
    responses((status = 200, body = DeliveryView), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
async fn pay_delivery(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<DayInput>,
) -> Result<ApiJson<DeliveryView>, ApiError> {
    Ok(ApiJson(pharmacy::pay(&state.app, &a, &id, &input).await?))
}

/// Whose stock.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StockParams {
    /// One institution (default: procurement staff see their whole area, others their institution).
    pub institution_id: Option<String>,
}

/// Stock by lot with expiry and purchase cost.
#[utoipa::path(get, path = "/api/v1/pharmacy/stock", tag = "medicines", params(StockParams),
    responses((status = 200, body = Vec<LotView>), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn get_stock(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(p): ApiQuery<StockParams>,
) -> Result<ApiJson<Vec<LotView>>, ApiError> {
    Ok(ApiJson(pharmacy::stock(&state.app, &a, p.institution_id.as_deref()).await?))
}

/// Transfers stock to another member of the community (调拨), first expiry first out.
#[utoipa::path(post, path = "/api/v1/pharmacy/transfers", tag = "medicines", request_body = TransferInput,
    responses((status = 201, body = Vec<LotView>), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_transfer(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(input): ApiJson<TransferInput>,
) -> Result<(StatusCode, ApiJson<Vec<LotView>>), ApiError> {
    Ok((StatusCode::CREATED, ApiJson(pharmacy::transfer(&state.app, &a, &input).await?)))
}

/// Which prescriptions.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RxParams {
    /// `written` (to dispense) or `dispensed`.
    pub state: Option<String>,
    /// Of one resident.
    pub resident_id: Option<String>,
    /// Rows to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<i64>,
    /// Rows per page (1–500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// The prescriptions of the caller's institution, newest first.
#[utoipa::path(get, path = "/api/v1/prescriptions", tag = "medicines", params(RxParams),
    responses((status = 200, body = PageOf<RxListItem>), (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn list_prescriptions(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(p): ApiQuery<RxParams>,
) -> Result<ApiJson<PageOf<RxListItem>>, ApiError> {
    let page = PageParams {
        offset: p.offset,
        limit: p.limit,
    }
    .page()?;
    let q = ListQuery {
        state: p.state,
        resident_id: p.resident_id,
    };
    Ok(ApiJson(prescriptions::list(&state.app, &a, &q, page).await?.into()))
}

/// Writes a prescription at the caller's institution, within the policy's days of supply.
#[utoipa::path(post, path = "/api/v1/prescriptions", tag = "medicines", request_body = PrescriptionInput,
    responses((status = 201, body = PrescriptionView), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn write_prescription(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(input): ApiJson<PrescriptionInput>,
) -> Result<(StatusCode, ApiJson<PrescriptionView>), ApiError> {
    Ok((StatusCode::CREATED, ApiJson(prescriptions::write(&state.app, &a, &input).await?)))
}

/// What to pick from.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChoiceParams {
    /// Part of the code, name or generic name.
    pub q: Option<String>,
}

/// Drugs and consumables to prescribe, the selected product of each generic first with why.
#[utoipa::path(get, path = "/api/v1/prescriptions/choices", tag = "medicines", params(ChoiceParams),
    responses((status = 200, body = Vec<Choice>), (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn prescription_choices(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(p): ApiQuery<ChoiceParams>,
) -> Result<ApiJson<Vec<Choice>>, ApiError> {
    Ok(ApiJson(prescriptions::choices(&state.app, &a, p.q.as_deref().unwrap_or("")).await?))
}

/// A prescription; the read is audited.
#[utoipa::path(get, path = "/api/v1/prescriptions/{id}", tag = "medicines", params(("id" = String, Path, description = "Prescription id")),
    responses((status = 200, body = PrescriptionView), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_prescription(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<PrescriptionView>, ApiError> {
    Ok(ApiJson(prescriptions::get(&state.app, &a, &id).await?))
}

/// Dispenses a prescription from the institution's stock at purchase cost (zero mark-up).
#[utoipa::path(post, path = "/api/v1/prescriptions/{id}/dispense", tag = "medicines", request_body = DispenseInput,
    params(("id" = String, Path, description = "Prescription id")),
    responses((status = 200, body = PrescriptionView), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn dispense_prescription(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<DispenseInput>,
) -> Result<ApiJson<PrescriptionView>, ApiError> {
    Ok(ApiJson(prescriptions::dispense(&state.app, &a, &id, &input).await?))
}
