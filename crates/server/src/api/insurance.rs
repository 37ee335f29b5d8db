//! Medical insurance endpoints (医保): policy versions, fund years, one-stop settlement of claims,
//! settlement runs with their report (JSON or Excel) and fraud flags with their review.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use sanyi_app::insurance::claims::{self, ClaimInput, ClaimView, SpecialReviewInput};
use sanyi_app::insurance::eligibility::{self, DueReview, EligibilityInput, EligibilityView, RevokeInput};
use sanyi_app::insurance::fraud::{self, FlagView, ReviewInput};
use sanyi_app::insurance::fund_year::{self, FundYear};
use sanyi_app::insurance::overspend::{self, DecideInput, FileInput, JustificationView};
use sanyi_app::insurance::policies::{self, PolicyView};
use sanyi_app::insurance::run::{self, RunReport};
use sanyi_app::insurance::runs::{self, ApproveInput, Ledger, RunDetail, RunMeta};
use sanyi_app::{FieldError, ServiceError};

use super::PageOf;
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiBytes, ApiError, ApiJson, ApiPath, ApiQuery, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_policies, import_policy))
        .routes(routes!(get_fund_year, put_fund_year))
        .routes(routes!(settle_claim))
        .routes(routes!(get_claim))
        .routes(routes!(reverse_claim))
        .routes(routes!(put_special_review))
        .routes(routes!(run_settlement))
        .routes(routes!(get_settlement))
        .routes(routes!(settlement_xlsx))
        .routes(routes!(list_runs))
        .routes(routes!(get_run))
        .routes(routes!(approve_run))
        .routes(routes!(get_ledger))
        .routes(routes!(list_flags))
        .routes(routes!(review_flag))
        .routes(routes!(list_eligibility, record_eligibility))
        .routes(routes!(revoke_eligibility))
        .routes(routes!(eligibility_reviews))
        .routes(routes!(list_justifications, file_justification))
        .routes(routes!(decide_justification))
}

/// The overspend justifications of a year in the area (合理超支申报), with the bureau's decisions.
#[utoipa::path(get, path = "/api/v1/insurance/overspend-justifications/{year}", tag = "insurance", params(("year" = i32, Path, description = "Year")),
    responses((status = 200, body = Vec<JustificationView>), (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn list_justifications(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(year): ApiPath<i32>,
) -> Result<ApiJson<Vec<JustificationView>>, ApiError> {
    Ok(ApiJson(overspend::list(&state.app, &a, year).await?))
}

/// Files (or refiles, until the bureau decides) a community's justification of its overspend in
/// the year: its reasons with amounts (the community's administrator).
#[utoipa::path(post, path = "/api/v1/insurance/overspend-justifications/{year}", tag = "insurance", request_body = FileInput,
    params(("year" = i32, Path, description = "Year")),
    responses((status = 201, body = JustificationView), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn file_justification(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(year): ApiPath<i32>,
    ApiJson(input): ApiJson<FileInput>,
) -> Result<(StatusCode, ApiJson<JustificationView>), ApiError> {
    Ok((StatusCode::CREATED, ApiJson(overspend::file(&state.app, &a, year, &input).await?)))
}

/// The bureau's decision on a filed justification: the amount accepted as reasonable, once
/// (insurance officers). Where the pool's shared band needs justification, the year-end shares
/// only this amount.
#[utoipa::path(post, path = "/api/v1/insurance/overspend-justifications/{year}/{community}/decision", tag = "insurance", request_body = DecideInput,
    params(("year" = i32, Path, description = "Year"), ("community" = String, Path, description = "Community id")),
    responses((status = 200, body = JustificationView), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn decide_justification(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath((year, community)): ApiPath<(i32, String)>,
    ApiJson(input): ApiJson<DecideInput>,
) -> Result<ApiJson<JustificationView>, ApiError> {
    Ok(ApiJson(overspend::decide(&state.app, &a, year, &community, &input).await?))
}

/// A resident's eligibility records (待遇资格认定: chronic diseases, assistance category,
/// critical illness); the read is audited.
#[utoipa::path(get, path = "/api/v1/residents/{id}/eligibility", tag = "insurance", params(("id" = String, Path, description = "Resident record id")),
    responses((status = 200, body = Vec<EligibilityView>), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn list_eligibility(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<Vec<EligibilityView>>, ApiError> {
    Ok(ApiJson(eligibility::of_resident(&state.app, &a, &id).await?))
}

/// Records an eligibility of a resident (insurance officers): the approval of a chronic disease
/// of the pool's list, an assistance category or critical-illness status, with its validity.
#[utoipa::path(post, path = "/api/v1/residents/{id}/eligibility", tag = "insurance", request_body = EligibilityInput,
    params(("id" = String, Path, description = "Resident record id")),
    responses((status = 201, body = EligibilityView), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn record_eligibility(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<EligibilityInput>,
) -> Result<(StatusCode, ApiJson<EligibilityView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        ApiJson(eligibility::record(&state.app, &a, &id, &input).await?),
    ))
}

/// Revokes an eligibility record with its reason.
#[utoipa::path(post, path = "/api/v1/residents/{id}/eligibility/{eligibility}/revoke", tag = "insurance", request_body = RevokeInput,
    params(("id" = String, Path, description = "Resident record id"), ("eligibility" = String, Path, description = "Eligibility record id")),
    responses((status = 200, body = Vec<EligibilityView>), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn revoke_eligibility(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath((id, eligibility_id)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<RevokeInput>,
) -> Result<ApiJson<Vec<EligibilityView>>, ApiError> {
    Ok(ApiJson(eligibility::revoke(&state.app, &a, &id, &eligibility_id, &input).await?))
}

/// TOML when the body says so (`application/toml`), JSON otherwise.
fn document(headers: &HeaderMap, body: &[u8]) -> Result<(String, bool), ApiError> {
    let toml = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.contains("toml"));
    let text = String::from_utf8(body.to_vec()).map_err(|_| {
        ServiceError::Validation(vec![FieldError::new(
            "body",
            "utf8",
            "UTF-8 text",
            "The document is not UTF-8",
            "文件不是 UTF-8 编码",
        )])
    })?;
    Ok((text, toml))
}

/// The benefit policy versions of the caller's pool, oldest first.
#[utoipa::path(get, path = "/api/v1/insurance/policies", tag = "insurance",
    responses((status = 200, body = Vec<PolicyView>), (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn list_policies(State(state): State<AppState>, ApiActor(a): ApiActor) -> Result<ApiJson<Vec<PolicyView>>, ApiError> {
    Ok(ApiJson(policies::list(&state.app, &a).await?))
}

/// Registers a policy version (`application/json` or `application/toml`); validated by the engine:
/// every ratio ≤ 100 %, money ≥ 0, no other version of the pool starting the same day.
#[utoipa::path(post, path = "/api/v1/insurance/policies", tag = "insurance", request_body(content = Object, description = "The policy document"),
    responses((status = 201, body = PolicyView), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn import_policy(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    headers: HeaderMap,
    ApiBytes(body): ApiBytes,
) -> Result<(StatusCode, ApiJson<PolicyView>), ApiError> {
    let (text, toml) = document(&headers, &body)?;
    Ok((StatusCode::CREATED, ApiJson(policies::import(&state.app, &a, &text, toml).await?)))
}

/// The fund year of the caller's pool (budget and payment parameters).
#[utoipa::path(get, path = "/api/v1/insurance/fund-years/{year}", tag = "insurance", params(("year" = i32, Path, description = "Year")),
    responses((status = 200, body = FundYear), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_fund_year(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(year): ApiPath<i32>,
) -> Result<ApiJson<FundYear>, ApiError> {
    Ok(ApiJson(fund_year::get(&state.app, &a, year).await?))
}

/// Stores (or replaces) the fund year (`application/json` or `application/toml`).
#[utoipa::path(put, path = "/api/v1/insurance/fund-years/{year}", tag = "insurance", params(("year" = i32, Path, description = "Year")),
    request_body(content = FundYear),
    responses((status = 200, body = FundYear), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn put_fund_year(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(year): ApiPath<i32>,
    headers: HeaderMap,
    ApiBytes(body): ApiBytes,
) -> Result<ApiJson<FundYear>, ApiError> {
    let (text, toml) = document(&headers, &body)?;
    let fy = fund_year::import(&state.app, &a, &text, toml, Some(year)).await?;
    Ok(ApiJson(fy))
}

/// One-stop settlement (一站式结算) of an encounter: priced from the catalogue, settled under the
/// policy in force on its date against the person's accumulators; NHSA fields and a trace.
/// Coded rejections: `claim.rejected.NotEnrolled`, `…OutsideCoverage`, `…Duplicate` (409), and
/// field rules for unknown items, quantities and prices.
#[utoipa::path(post, path = "/api/v1/claims", tag = "insurance", request_body = ClaimInput,
    responses((status = 201, body = ClaimView), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn settle_claim(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(input): ApiJson<ClaimInput>,
) -> Result<(StatusCode, ApiJson<ClaimView>), ApiError> {
    Ok((StatusCode::CREATED, ApiJson(claims::settle(&state.app, &a, &input).await?)))
}

/// A claim with its settlement (the read is audited).
#[utoipa::path(get, path = "/api/v1/claims/{id}", tag = "insurance", params(("id" = String, Path, description = "Claim id")),
    responses((status = 200, body = ClaimView), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_claim(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<ClaimView>, ApiError> {
    Ok(ApiJson(claims::get(&state.app, &a, &id).await?))
}

/// Reverses a settled claim (冲正): accumulators restored; the key may be settled again.
#[utoipa::path(post, path = "/api/v1/claims/{id}/reverse", tag = "insurance", params(("id" = String, Path, description = "Claim id")),
    responses((status = 200, body = ClaimView), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
async fn reverse_claim(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<ClaimView>, ApiError> {
    Ok(ApiJson(claims::reverse(&state.app, &a, &id).await?))
}

/// Marks an inpatient case for special-case review (特病单议) with the points the bureau agreed (or
/// replaces the decision); the settlement run prices it with these points. Audited.
#[utoipa::path(put, path = "/api/v1/claims/{id}/special-review", tag = "insurance", params(("id" = String, Path, description = "Claim id")),
    request_body = SpecialReviewInput,
    responses((status = 200, body = ClaimView), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn put_special_review(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<SpecialReviewInput>,
) -> Result<ApiJson<ClaimView>, ApiError> {
    Ok(ApiJson(claims::set_special_review(&state.app, &a, &id, &input).await?))
}

/// The period of a settlement run.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodParams {
    /// Year.
    pub year: i32,
    /// Through this month (interim); absent: the whole year with the year-end.
    pub month: Option<u32>,
}

/// Runs the settlement of the caller's pool for a period and stores it as the period's next run
/// (earlier runs stay; `run` in the answer names its number). It becomes final when a second
/// officer approves it.
#[utoipa::path(post, path = "/api/v1/insurance/settlements", tag = "insurance", params(PeriodParams),
    responses((status = 200, body = RunReport), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn run_settlement(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(p): ApiQuery<PeriodParams>,
) -> Result<ApiJson<RunReport>, ApiError> {
    Ok(ApiJson(run::run_as(&state.app, &a, p.year, p.month).await?))
}

/// A stored settlement report (all money in fen).
#[utoipa::path(get, path = "/api/v1/insurance/settlements/{year}", tag = "insurance",
    params(("year" = i32, Path, description = "Year"), ("month" = Option<u32>, Query, description = "Interim month; absent: year-end")),
    responses((status = 200, body = RunReport), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_settlement(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(year): ApiPath<i32>,
    ApiQuery(m): ApiQuery<MonthParam>,
) -> Result<ApiJson<RunReport>, ApiError> {
    Ok(ApiJson(run::report(&state.app, &a, year, m.month).await?))
}

/// Every settlement run of the caller's pool in a year, the year-end's first, newest first within
/// a period, with who ran and who approved each.
#[utoipa::path(get, path = "/api/v1/insurance/settlements/{year}/runs", tag = "insurance",
    params(("year" = i32, Path, description = "Year")),
    responses((status = 200, body = Vec<RunMeta>), (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn list_runs(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(year): ApiPath<i32>,
) -> Result<ApiJson<Vec<RunMeta>>, ApiError> {
    Ok(ApiJson(runs::list(&state.app, &a, year).await?))
}

/// One run of a period with its inputs, report and the figures that changed against the run
/// before it.
#[utoipa::path(get, path = "/api/v1/insurance/settlements/{year}/runs/{number}", tag = "insurance",
    params(("year" = i32, Path, description = "Year"), ("number" = i64, Path, description = "Run number within the period"),
           ("month" = Option<u32>, Query, description = "Interim month; absent: year-end")),
    responses((status = 200, body = RunDetail), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_run(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath((year, number)): ApiPath<(i32, i64)>,
    ApiQuery(m): ApiQuery<MonthParam>,
) -> Result<ApiJson<RunDetail>, ApiError> {
    Ok(ApiJson(runs::detail(&state.app, &a, year, m.month, number).await?))
}

/// A second insurance officer approves the latest run of a period (复核), which makes it final
/// and posts its payments (monthly prepayments; at the year-end the settlement or clawback) to
/// the fund's ledger. The officer who ran it cannot approve it.
#[utoipa::path(post, path = "/api/v1/insurance/settlements/{year}/runs/{number}/approval", tag = "insurance", request_body = ApproveInput,
    params(("year" = i32, Path, description = "Year"), ("number" = i64, Path, description = "Run number within the period"),
           ("month" = Option<u32>, Query, description = "Interim month; absent: year-end")),
    responses((status = 200, body = RunMeta), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn approve_run(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath((year, number)): ApiPath<(i32, i64)>,
    ApiQuery(m): ApiQuery<MonthParam>,
    ApiJson(input): ApiJson<ApproveInput>,
) -> Result<ApiJson<RunMeta>, ApiError> {
    Ok(ApiJson(runs::approve(&state.app, &a, year, m.month, number, &input).await?))
}

/// The fund's ledger of a year (基金拨付台账): every prepayment and year-end entry posted to each
/// community by approved runs, with totals.
#[utoipa::path(get, path = "/api/v1/insurance/ledger/{year}", tag = "insurance",
    params(("year" = i32, Path, description = "Year")),
    responses((status = 200, body = Ledger), (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn get_ledger(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(year): ApiPath<i32>,
) -> Result<ApiJson<Ledger>, ApiError> {
    Ok(ApiJson(runs::ledger_of(&state.app, &a, year).await?))
}

/// An optional month.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MonthParam {
    /// Interim month; absent: the year-end.
    pub month: Option<u32>,
}

/// The stored report as an Excel workbook.
#[utoipa::path(get, path = "/api/v1/insurance/settlements/{year}/xlsx", tag = "insurance",
    params(("year" = i32, Path, description = "Year"), ("month" = Option<u32>, Query, description = "Interim month")),
    responses((status = 200, description = "The workbook"), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn settlement_xlsx(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(year): ApiPath<i32>,
    ApiQuery(m): ApiQuery<MonthParam>,
) -> Result<Response, ApiError> {
    let r = run::report(&state.app, &a, year, m.month).await?;
    Ok(xlsx_response(&state.app, &r).await?)
}

/// A report as an `.xlsx` download.
pub(crate) async fn xlsx_response(app: &sanyi_app::App, r: &RunReport) -> Result<Response, ServiceError> {
    let bytes = sanyi_app::insurance::export::xlsx(app, r).await?;
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    );
    let name = format!(
        "attachment; filename=\"settlement-{}-{}-{}.xlsx\"",
        r.pool,
        r.year,
        if r.year_end {
            "year".to_owned()
        } else {
            format!("m{}", r.through_month)
        }
    );
    if let Ok(v) = HeaderValue::from_str(&name) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

/// Which flags.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FlagParams {
    /// Year screened.
    pub year: i32,
    /// Only this status (`open`, `confirmed`, `dismissed`, `needs_more_info`).
    #[param(pattern = "^(open|confirmed|dismissed|needs_more_info)$")]
    pub status: Option<String>,
    /// Rows to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<i64>,
    /// Rows per page (1–500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// The window of the review list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReviewParams {
    /// Days ahead (0–366, default 30); overdue reviews are always listed.
    #[param(minimum = 0, maximum = 366)]
    pub within_days: Option<i64>,
    /// Rows to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<i64>,
    /// Rows per page (1–500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// The eligibility approvals of the caller's area whose review is due (待复审), overdue first;
/// the list is audited.
#[utoipa::path(get, path = "/api/v1/insurance/eligibility-reviews", tag = "insurance", params(ReviewParams),
    responses((status = 200, body = PageOf<DueReview>), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn eligibility_reviews(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(p): ApiQuery<ReviewParams>,
) -> Result<ApiJson<PageOf<DueReview>>, ApiError> {
    let page = super::PageParams {
        offset: p.offset,
        limit: p.limit,
    }
    .page()?;
    Ok(ApiJson(
        eligibility::due_for_review(&state.app, &a, p.within_days.unwrap_or(30), page)
            .await?
            .into(),
    ))
}

/// One page of the fraud and misuse flags of the caller's area (evidence in Chinese and English),
/// with the total over all pages.
#[utoipa::path(get, path = "/api/v1/insurance/flags", tag = "insurance", params(FlagParams),
    responses((status = 200, body = PageOf<FlagView>), (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn list_flags(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(p): ApiQuery<FlagParams>,
) -> Result<ApiJson<PageOf<FlagView>>, ApiError> {
    let page = super::PageParams {
        offset: p.offset,
        limit: p.limit,
    }
    .page()?;
    Ok(ApiJson(
        fraud::list(&state.app, &a, p.year, p.status.as_deref(), page).await?.into(),
    ))
}

/// Records a review outcome (`confirmed`, `dismissed`, `needs_more_info`) with a note.
#[utoipa::path(post, path = "/api/v1/insurance/flags/{id}/review", tag = "insurance", params(("id" = String, Path, description = "Flag id")),
    request_body = ReviewInput,
    responses((status = 200, body = FlagView), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn review_flag(
    State(state): State<AppState>,
    ApiActor(a): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<ReviewInput>,
) -> Result<ApiJson<FlagView>, ApiError> {
    Ok(ApiJson(fraud::review(&state.app, &a, &id, &input).await?))
}
