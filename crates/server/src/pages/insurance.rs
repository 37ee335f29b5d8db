//! Insurance officers' pages (医保): the settlement overview with SVG charts (budget against
//! spending by county, monthly burn against the time-proportional line, DRG point value by
//! month), Excel export, the fraud review queue, the policy in force, and the clerk's one-stop
//! settlement form with the claim and its trace.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;

use sanyi_app::ServiceError;
use sanyi_app::insurance::claims::{self, ChargeInput, ClaimInput, ClaimView, SpecialReviewInput};
use sanyi_app::insurance::fraud::{self, FlagView, ReviewInput};
use sanyi_app::insurance::policies::{self, PolicyView};
use sanyi_app::insurance::run::{self, RunReport};
use sanyi_app::insurance::{MedType, ReviewOutcome};

use super::BeijingTime;
use super::FieldMessages as _;
use super::charts::{self, Chart};
use super::{Nav, PageActor, same_origin};
use crate::AppState;
use crate::i18n::Tr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/insurance", get(overview))
        .route("/insurance/run", post(run_now))
        .route("/insurance/settlement.xlsx", get(xlsx))
        .route("/insurance/flags", get(flags))
        .route("/insurance/flags/{id}/review", post(review))
        .route("/insurance/policy", get(policy))
        .route("/claims/new", get(claim_form))
        .route("/claims", get(claims_list).post(claim_submit))
        .route("/claims/{id}", get(claim_page))
        .route("/claims/{id}/reverse", post(claim_reverse))
        .route("/claims/{id}/special-review", post(claim_special_review))
}

/// Yuan with two decimals from fen.
pub fn yuan(fen: impl std::borrow::Borrow<i64>) -> String {
    // Thousands separators on the engine's exact yuan text.
    let text = sanyi_domain::Fen::new(*fen.borrow()).to_yuan_string();
    let (sign, digits) = text.strip_prefix('-').map_or(("", text.as_str()), |d| ("-", d));
    let (whole, cents) = digits.split_once('.').unwrap_or((digits, "00"));
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{cents}")
}

/// The persons a county's capitation counts (Σ over its members).
pub fn capitation_persons(c: &sanyi_app::insurance::run::CountyLine) -> u64 {
    c.capitation_members.iter().map(|m| m.persons).sum()
}

/// A weight in basis points as a percentage (`6035` → `60.35%`).
pub fn percent_bp(bp: impl std::borrow::Borrow<i64>) -> String {
    let bp = *bp.borrow();
    format!("{}.{:02}%", bp / 100, (bp % 100).abs())
}

/// A point value (ten-thousandths of a fen per point) in yuan per point, two decimals.
pub fn per_point(e4_fen: impl std::borrow::Borrow<i64>) -> String {
    let e4 = *e4_fen.borrow();
    yuan((e4 + 5_000) / 10_000)
}

fn ten_thousand_yuan(fen: i64) -> String {
    format!("{:.1}万", fen as f64 / 1_000_000.0)
}

#[derive(Deserialize, Default)]
struct YearParams {
    year: Option<i32>,
    month: Option<u32>,
    status: Option<String>,
    offset: Option<i64>,
    saved: Option<String>,
    kind: Option<String>,
    sort: Option<String>,
}

/// Flags per page.
const FLAG_PAGE: i64 = 50;

fn default_year() -> i32 {
    run::last_fund_year()
}

#[derive(Template, WebTemplate)]
#[template(path = "insurance.html")]
struct OverviewPage {
    t: Tr,
    nav: Option<Nav>,
    year: i32,
    can_run: bool,
    report: Option<RunReport>,
    budget_chart: Option<Chart>,
    burn_chart: Option<Chart>,
    point_chart: Option<Chart>,
    error: Option<String>,
    /// The print heading of the year's report.
    print: Option<super::PrintHead>,
    /// The communities' overspend justifications of the year, with the bureau's decisions.
    justifications: Vec<sanyi_app::insurance::overspend::JustificationView>,
}

fn build_charts(r: &RunReport, t: &Tr) -> (Chart, Chart, Chart) {
    let groups: Vec<charts::BarGroup> = r
        .counties
        .iter()
        .map(|c| {
            (
                c.name.clone(),
                vec![
                    (c.budget, "#0b5394", format!("{} {}", t.t("ins.budget"), yuan(c.budget))),
                    (c.spent_inside, "#6aa84f", format!("{} {}", t.t("ins.inside"), yuan(c.spent_inside))),
                    (
                        c.spent_outside,
                        "#e69138",
                        format!("{} {}", t.t("ins.outside"), yuan(c.spent_outside)),
                    ),
                ],
            )
        })
        .collect();
    let budget = charts::grouped_bars(&groups, &ten_thousand_yuan);
    let months: Vec<String> = (1..=r.through_month).map(|m| format!("{m:02}")).collect();
    let colours = ["#0b5394", "#6aa84f", "#e69138", "#674ea7"];
    let mut burn = Vec::new();
    let mut points = Vec::new();
    for (i, c) in r.counties.iter().enumerate() {
        let colour = colours[i % colours.len()];
        burn.push((
            format!("{} {}", c.name, t.t("ins.cumulative")),
            colour,
            false,
            c.months.iter().map(|m| m.cumulative).collect(),
        ));
        burn.push((
            format!("{} {}", c.name, t.t("ins.time_line")),
            colour,
            true,
            c.months.iter().map(|m| m.time_proportional).collect(),
        ));
        points.push((
            c.name.clone(),
            colour,
            false,
            c.months.iter().map(|m| m.point_value_e4_fen).collect(),
        ));
    }
    (
        budget,
        charts::lines(&months, burn, &ten_thousand_yuan),
        charts::lines(&months, points, &|v| format!("{:.0} 元/点", v as f64 / 1_000_000.0)),
    )
}

async fn overview(State(state): State<AppState>, p: PageActor, Query(q): Query<YearParams>) -> Response {
    render_overview(&state, p, q.year.unwrap_or_else(default_year), None, StatusCode::OK).await
}

async fn render_overview(state: &AppState, p: PageActor, year: i32, error: Option<String>, status: StatusCode) -> Response {
    let report = match run::report(&state.app, &p.actor, year, None).await {
        Ok(r) => Some(r),
        Err(ServiceError::NotFound) => None,
        Err(e) => return p.error(e),
    };
    let justifications = match sanyi_app::insurance::overspend::list(&state.app, &p.actor, year).await {
        Ok(j) => j,
        Err(ServiceError::Forbidden { .. }) => Vec::new(),
        Err(e) => return p.error(e),
    };
    let pool_name = match &report {
        Some(r) => match sanyi_app::registry::pool_name(&state.app, &r.pool).await {
            Ok(n) => n,
            Err(e) => return p.error(e),
        },
        None => None,
    };
    let (budget_chart, burn_chart, point_chart) = match &report {
        Some(r) => {
            let (a, b, c) = build_charts(r, &p.t);
            (Some(a), Some(b), Some(c))
        }
        None => (None, None, None),
    };
    (
        status,
        OverviewPage {
            print: report.as_ref().map(|r| {
                super::PrintHead::new(
                    format!(
                        "{}{} {year}{}",
                        pool_name.as_deref().map(|n| format!("{n} · ")).unwrap_or_default(),
                        p.t.pick("医保基金", "Insurance fund"),
                        if r.year_end {
                            p.t.pick("年度清算报告", " year-end settlement report")
                        } else {
                            p.t.pick("年度预结算报告", " interim settlement report")
                        }
                    ),
                    &format!("/insurance?year={year}"),
                    &r.digest,
                )
            }),
            nav: Some(Nav::of(&p.actor, &p.t)),
            can_run: p.actor.role.can(sanyi_app::Permission::InsuranceManage),
            t: p.t,
            year,
            report,
            budget_chart,
            burn_chart,
            point_chart,
            error,
            justifications,
        },
    )
        .into_response()
}

#[derive(Deserialize)]
struct RunForm {
    year: i32,
}

async fn run_now(State(state): State<AppState>, p: PageActor, headers: HeaderMap, Form(f): Form<RunForm>) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    match run::run_as(&state.app, &p.actor, f.year, None).await {
        Ok(_) => Redirect::to(&format!("/insurance?year={}", f.year)).into_response(),
        Err(ServiceError::Validation(errs)) => {
            let msg = super::refusal_text(&p.t, &errs);
            render_overview(&state, p, f.year, Some(msg), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => p.error(e),
    }
}

async fn xlsx(State(state): State<AppState>, p: PageActor, Query(q): Query<YearParams>) -> Response {
    let year = q.year.unwrap_or_else(default_year);
    let response = match run::report(&state.app, &p.actor, year, q.month).await {
        Ok(r) => crate::api::insurance::xlsx_response(&state.app, &r).await,
        Err(e) => Err(e),
    };
    match response {
        Ok(r) => r,
        Err(e) => p.error(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "insurance_flags.html")]
struct FlagsPage {
    t: Tr,
    nav: Option<Nav>,
    year: i32,
    status: String,
    flags: Vec<FlagView>,
    can_review: bool,
    pager: super::Pager,
    pager_offset: i64,
    kind: String,
    sort: String,
    /// The flag just reviewed (a notice says so).
    saved: bool,
}

async fn flags(State(state): State<AppState>, p: PageActor, Query(q): Query<YearParams>) -> Response {
    let year = q.year.unwrap_or_else(default_year);
    let status = q.status.filter(|s| !s.is_empty()).unwrap_or_else(|| "open".into());
    let offset = q.offset.unwrap_or(0).max(0);
    let page = sanyi_app::Page { offset, limit: FLAG_PAGE };
    let kind = q.kind.clone().unwrap_or_default();
    let sort = q.sort.clone().unwrap_or_default();
    let filter = fraud::FlagFilter {
        status: Some(status.clone()),
        kind: Some(kind.clone()),
        by_amount: sort == "amount",
    };
    match fraud::list_filtered(&state.app, &p.actor, year, &filter, page).await {
        Ok(list) => {
            let link = |o: i64| {
                format!(
                    "/insurance/flags?year={year}&status={status}&kind={}&sort={}&offset={o}",
                    super::url_encode(&kind),
                    super::url_encode(&sort)
                )
            };
            let pager = super::Pager::new(list.total, offset, FLAG_PAGE, link);
            FlagsPage {
                nav: Some(Nav::of(&p.actor, &p.t)),
                can_review: p.actor.role.can(sanyi_app::Permission::InsuranceManage),
                t: p.t,
                year,
                pager,
                pager_offset: offset,
                kind: kind.clone(),
                sort: sort.clone(),
                saved: q.saved.is_some(),
                status,
                flags: list.items,
            }
            .into_response()
        }
        Err(e) => p.error(e),
    }
}

#[derive(Deserialize)]
struct ReviewForm {
    outcome: String,
    note: String,
    year: i32,
    #[serde(default)]
    status: String,
    #[serde(default)]
    offset: i64,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    sort: String,
}

async fn review(
    State(state): State<AppState>,
    p: PageActor,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<ReviewForm>,
) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let outcome = match f.outcome.as_str() {
        "confirmed" => ReviewOutcome::Confirmed,
        "dismissed" => ReviewOutcome::Dismissed,
        "needs_more_info" => ReviewOutcome::NeedsMoreInfo,
        _ => {
            return p.error(ServiceError::Validation(vec![sanyi_app::FieldError::new(
                "outcome",
                "required",
                "confirmed, dismissed or needs_more_info",
                "Choose the outcome of the review",
                "请选择审核结论",
            )]));
        }
    };
    match fraud::review(&state.app, &p.actor, &id, &ReviewInput { outcome, note: f.note }).await {
        // Back to the same page of the same list, at the list, with a notice.
        Ok(_) => Redirect::to(&format!(
            "/insurance/flags?year={}&status={}&kind={}&sort={}&offset={}&saved=1#flag-list",
            f.year,
            super::url_encode(&f.status),
            super::url_encode(&f.kind),
            super::url_encode(&f.sort),
            f.offset.max(0)
        ))
        .into_response(),
        Err(e) => p.error(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "insurance_policy.html")]
struct PolicyPage {
    t: Tr,
    nav: Option<Nav>,
    versions: Vec<PolicyView>,
    current: Option<PolicyView>,
    sheet: Vec<sanyi_app::insurance::policy_sheet::Section>,
}

async fn policy(State(state): State<AppState>, p: PageActor) -> Response {
    match policies::list(&state.app, &p.actor).await {
        Ok(versions) => {
            let today = sanyi_domain::time::today();
            let current = versions
                .iter()
                .filter(|v| v.effective_from <= today)
                .max_by_key(|v| v.effective_from)
                .cloned();
            let sheet = match current.as_ref().map(PolicyView::policy).transpose() {
                Ok(policy) => policy.map(|p| sanyi_app::insurance::policy_sheet::sheet(&p)).unwrap_or_default(),
                Err(e) => return p.error(e),
            };
            PolicyPage {
                nav: Some(Nav::of(&p.actor, &p.t)),
                t: p.t,
                versions,
                current,
                sheet,
            }
            .into_response()
        }
        Err(e) => p.error(e),
    }
}

/// Claims per list page.
const CLAIM_PAGE: i64 = 50;

#[derive(Deserialize, Default)]
struct ClaimListParams {
    year: Option<String>,
    med_type: Option<String>,
    status: Option<String>,
    sort: Option<String>,
    offset: Option<i64>,
}

#[derive(Template, WebTemplate)]
#[template(path = "claims.html")]
struct ClaimsPage {
    t: Tr,
    nav: Option<Nav>,
    year: String,
    med_type: String,
    status: String,
    sort: String,
    items: Vec<claims::ClaimListItem>,
    pager: super::Pager,
}

/// The claims list (结算单): the clerk's institution's or the bureau's area's, with filters,
/// sorting and numbered pages.
async fn claims_list(State(state): State<AppState>, p: PageActor, Query(q): Query<ClaimListParams>) -> Response {
    let year = q.year.clone().unwrap_or_default();
    let parsed_year = match year.trim() {
        "" => None,
        y => match y.parse::<i64>() {
            Ok(y) => Some(y),
            Err(_) => {
                return p.error(ServiceError::Validation(vec![sanyi_app::FieldError::new(
                    "year",
                    "integer",
                    "a year such as 2025",
                    "The year is a number such as 2025",
                    "年度须为数字，例如 2025",
                )]));
            }
        },
    };
    let query = claims::ClaimListQuery {
        year: parsed_year,
        med_type: q.med_type.clone(),
        status: q.status.clone(),
        sort: q.sort.clone(),
    };
    let offset = q.offset.unwrap_or(0).max(0);
    match claims::list(&state.app, &p.actor, &query, sanyi_app::Page { offset, limit: CLAIM_PAGE }).await {
        Ok(list) => {
            let enc = |s: &Option<String>| super::url_encode(s.as_deref().unwrap_or(""));
            let link = |o: i64| {
                format!(
                    "/claims?year={}&med_type={}&status={}&sort={}&offset={o}",
                    enc(&q.year),
                    enc(&q.med_type),
                    enc(&q.status),
                    enc(&q.sort)
                )
            };
            ClaimsPage {
                pager: super::Pager::new(list.total, offset, CLAIM_PAGE, link),
                nav: p.nav(),
                t: p.t,
                year,
                med_type: q.med_type.unwrap_or_default(),
                status: q.status.unwrap_or_default(),
                sort: q.sort.unwrap_or_default(),
                items: list.items,
            }
            .into_response()
        }
        Err(e) => p.error(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "claim_new.html")]
struct ClaimFormPage {
    t: Tr,
    nav: Option<Nav>,
    form: ClaimForm,
    errors: std::collections::HashMap<String, String>,
    /// The insured person chosen, by name and masked ID number.
    resident: String,
}

impl super::FieldMessages for ClaimFormPage {
    fn messages(&self) -> &std::collections::HashMap<String, String> {
        &self.errors
    }
}

#[derive(Deserialize, Default, Clone)]
struct ClaimForm {
    #[serde(default)]
    claim_key: String,
    #[serde(default)]
    resident_id: String,
    /// The insured person's ID number, when no record was picked.
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    med_type: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    discharge_date: String,
    #[serde(default)]
    chronic_disease: String,
    #[serde(default)]
    diagnoses: String,
    /// One charge per line: `code quantity [unit price in fen]`.
    #[serde(default)]
    charges: String,
    /// A dispensed prescription whose drugs the claim charges (from the dispensing page).
    #[serde(default)]
    prescription: String,
}

async fn claim_form(State(state): State<AppState>, p: PageActor, Query(q): Query<ClaimForm>) -> Response {
    let mut form = q;
    if form.date.is_empty() {
        form.date = sanyi_domain::time::today().to_string();
    }
    if form.claim_key.is_empty() {
        form.claim_key = format!("MZ{}", sanyi_domain::time::to_beijing(Utc::now()).format("%Y%m%d%H%M%S"));
    }
    if form.charges.is_empty() && form.prescription.is_empty() {
        form.charges = "110200001 1\nXC08CAA001 30".into();
    }
    render_claim_form(&state, p, form, Vec::new()).await
}

async fn render_claim_form(state: &AppState, p: PageActor, form: ClaimForm, errs: Vec<sanyi_app::FieldError>) -> Response {
    // A record that cannot be shown is reported under its field rather than failing the form.
    let shown = match super::FormState::of(state, &p, &form.resident_id, &errs).await {
        Err(ServiceError::NotFound) => {
            let mut errs = errs;
            errs.push(field_error(
                "resident_id",
                "No such insured person in your area",
                "本辖区没有这位参保人",
            ));
            super::FormState::of(state, &p, "", &errs).await
        }
        other => other,
    };
    let super::FormState { resident, status, errors } = match shown {
        Ok(f) => f,
        Err(e) => return p.error(e),
    };
    (
        status,
        ClaimFormPage {
            nav: p.nav(),
            t: p.t,
            form,
            errors,
            resident,
        },
    )
        .into_response()
}

fn field_error(field: &str, en: &str, zh: &str) -> sanyi_app::FieldError {
    sanyi_app::FieldError::new(field, "format", en, en, zh)
}

fn parse_claim(f: &ClaimForm) -> Result<ClaimInput, Vec<sanyi_app::FieldError>> {
    let mut errs = Vec::new();
    let date = NaiveDate::parse_from_str(f.date.trim(), "%Y-%m-%d")
        .map_err(|_| errs.push(field_error("date", "The date of care is a date (YYYY-MM-DD)", "请填写就诊日期")))
        .ok();
    let discharge_date = if f.discharge_date.trim().is_empty() {
        None
    } else {
        NaiveDate::parse_from_str(f.discharge_date.trim(), "%Y-%m-%d")
            .map_err(|_| {
                errs.push(field_error(
                    "discharge_date",
                    "The discharge date is a date (YYYY-MM-DD)",
                    "出院日期格式不正确",
                ))
            })
            .ok()
    };
    let med_type = match f.med_type.as_str() {
        "14" => MedType::Chronic,
        "21" => MedType::Inpatient,
        _ => MedType::Outpatient,
    };
    let mut charges = Vec::new();
    for (i, line) in f.charges.lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        let n = i + 1;
        let quantity = parts.get(1).map_or(Some(1), |q| q.parse::<i64>().ok()).unwrap_or_else(|| {
            errs.push(field_error(
                "charges",
                &format!("Line {n}: the quantity is a whole number"),
                &format!("第 {n} 行：数量须为整数"),
            ));
            1
        });
        let unit_price = match parts.get(2).map(|p| p.parse::<i64>()) {
            Some(Ok(p)) => Some(p),
            Some(Err(_)) => {
                errs.push(field_error(
                    "charges",
                    &format!("Line {n}: the unit price is a whole number of fen"),
                    &format!("第 {n} 行：单价须为整数（分）"),
                ));
                None
            }
            None => None,
        };
        charges.push(ChargeInput {
            code: parts.first().copied().unwrap_or_default().to_owned(),
            quantity,
            unit_price,
        });
    }
    let Some(date) = date.filter(|_| errs.is_empty()) else {
        return Err(errs);
    };
    Ok(ClaimInput {
        claim_key: f.claim_key.trim().to_owned(),
        resident_id: f.resident_id.trim().to_owned(),
        institution_id: None,
        outside_name: None,
        outside_province: None,
        med_type,
        date,
        discharge_date,
        chronic_disease: Some(f.chronic_disease.trim().to_owned()).filter(|s| !s.is_empty()),
        filed: false,
        person: None,
        account_balance: 0,
        diagnoses: f
            .diagnoses
            .split([',', '，', ';', ' '])
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        procedures: Vec::new(),
        charges,
        prescriptions: Some(f.prescription.trim().to_owned())
            .filter(|s| !s.is_empty())
            .into_iter()
            .collect(),
    })
}

/// The insured person's record from the ID number typed on the form (in the clerk's area).
async fn resident_by_id_number(state: &AppState, p: &PageActor, f: &mut ClaimForm) -> Result<(), Vec<sanyi_app::FieldError>> {
    if !f.resident_id.trim().is_empty() {
        return Ok(());
    }
    let id_number = f.id_number.trim();
    if id_number.is_empty() {
        return Err(vec![field_error(
            "id_number",
            "Give the insured person's ID number or choose the record",
            "请填写参保人身份证号，或查找并选择居民",
        )]);
    }
    let search = sanyi_app::residents::ResidentSearch {
        id_number: Some(id_number.to_owned()),
        ..Default::default()
    };
    match sanyi_app::residents::search(&state.app, &p.actor, &search, sanyi_app::Page { offset: 0, limit: 2 }).await {
        Ok(found) if found.items.len() == 1 => {
            f.resident_id = found.items[0].id.clone();
            Ok(())
        }
        Ok(_) => Err(vec![field_error(
            "id_number",
            "No insured person with this ID number in your area",
            "本辖区没有这个身份证号的参保人",
        )]),
        Err(ServiceError::Validation(errs)) => Err(errs
            .into_iter()
            .map(|mut e| {
                e.field = "id_number".into();
                e
            })
            .collect()),
        Err(_) => Err(vec![field_error(
            "id_number",
            "The ID number cannot be looked up now",
            "暂时无法查询该身份证号",
        )]),
    }
}

async fn claim_submit(State(state): State<AppState>, p: PageActor, headers: HeaderMap, Form(mut f): Form<ClaimForm>) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    if let Err(errs) = resident_by_id_number(&state, &p, &mut f).await {
        return render_claim_form(&state, p, f, errs).await;
    }
    let input = match parse_claim(&f) {
        Ok(input) => input,
        Err(errs) => return render_claim_form(&state, p, f, errs).await,
    };
    match claims::settle(&state.app, &p.actor, &input).await {
        Ok(c) => Redirect::to(&format!("/claims/{}", c.id)).into_response(),
        Err(ServiceError::Validation(errs) | ServiceError::Conflict(errs)) => render_claim_form(&state, p, f, errs).await,
        Err(e) => p.error(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "claim.html")]
struct ClaimPage {
    t: Tr,
    nav: Option<Nav>,
    can_review: bool,
    review_error: Option<String>,
    c: ClaimView,
    slip: claims::ClaimSlip,
    /// QR code of the claim's page.
    qr: String,
    fields: Vec<(&'static str, i64)>,
    trace: Vec<(String, String, String)>,
    /// Printed on an 80 mm receipt printer instead of A4.
    paper80: bool,
}

#[derive(Deserialize, Default)]
struct PaperParam {
    paper: Option<String>,
}

async fn claim_page(State(state): State<AppState>, p: PageActor, Path(id): Path<String>, Query(q): Query<PaperParam>) -> Response {
    render_claim(&state, p, &id, None, q.paper.as_deref() == Some("80")).await
}

async fn render_claim(state: &AppState, p: PageActor, id: &str, review_error: Option<String>, paper80: bool) -> Response {
    let status = if review_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    match claims::slip(&state.app, &p.actor, id).await {
        Ok(slip) => {
            let c = slip.claim.clone();
            let s = &c.settlement;
            let fields = [
                "medfee_sumamt",
                "fulamt_ownpay_amt",
                "overlmt_selfpay",
                "preselfpay_amt",
                "inscp_amt",
                "act_pay_dedc",
                "hifp_pay",
                "pool_prop_selfpay",
                "hifmi_pay",
                "maf_pay",
                "acct_pay",
                "psn_cash_pay",
                "fund_pay_sumamt",
            ]
            .into_iter()
            // Only the fields the claim has (a claim kept with its totals only shows those).
            .filter_map(|k| Some((k, s.get(k).and_then(serde_json::Value::as_i64)?)))
            .collect();
            let en = p.t.is_en();
            let trace = s
                .get("trace")
                .and_then(|t| t.get("steps"))
                .and_then(|s| s.as_array())
                .map(|steps| {
                    steps
                        .iter()
                        .map(|st| {
                            let txt = |k: &str| st.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
                            (
                                txt("rule"),
                                if en { txt("message_en") } else { txt("message_zh") },
                                // The policy step names the version applied, not an amount.
                                if txt("rule") == "settlement.policy" {
                                    st.get("params")
                                        .and_then(|ps| ps.as_array())
                                        .and_then(|ps| ps.iter().find(|p| p["name"] == "version"))
                                        .and_then(|p| p["value"].as_str())
                                        .unwrap_or_default()
                                        .to_owned()
                                } else {
                                    st.get("result").and_then(serde_json::Value::as_i64).map(yuan).unwrap_or_default()
                                },
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let page = ClaimPage {
                nav: Some(Nav::of(&p.actor, &p.t)),
                can_review: p.actor.role.can(sanyi_app::Permission::InsuranceManage) && c.med_type == "inpatient" && c.status == "settled",
                review_error,
                t: p.t,
                qr: super::qr_svg(&format!("/claims/{}", c.id)),
                paper80,
                c,
                slip,
                fields,
                trace,
            };
            (status, page).into_response()
        }
        Err(e) => p.error(e),
    }
}

async fn claim_reverse(State(state): State<AppState>, p: PageActor, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    match claims::reverse(&state.app, &p.actor, &id).await {
        Ok(_) => Redirect::to(&format!("/claims/{id}")).into_response(),
        Err(e) => p.error(e),
    }
}

#[derive(Deserialize)]
struct SpecialReviewForm {
    points: String,
    reason: String,
}

async fn claim_special_review(
    State(state): State<AppState>,
    p: PageActor,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<SpecialReviewForm>,
) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let input = SpecialReviewInput {
        points: f.points,
        reason: f.reason,
    };
    match claims::set_special_review(&state.app, &p.actor, &id, &input).await {
        Ok(_) => Redirect::to(&format!("/claims/{id}")).into_response(),
        Err(ServiceError::Validation(errs)) => {
            let msg = errs
                .iter()
                .map(|e| format!("{}: {}", e.field, p.t.pick(&e.message_zh, &e.message)))
                .collect::<Vec<_>>()
                .join("；");
            render_claim(&state, p, &id, Some(msg), false).await
        }
        Err(e) => p.error(e),
    }
}
