//! Volume-based procurement (集采): the board of every project with each generic's completion
//! against the time elapsed (进度滞后 marked), usage rates by institution and prescriber, the
//! suppliers' invoices due and the Excel report; the form that loads a project; and a project's
//! own page with its products, the members' demand (reported while open), the contract and the
//! renewal into a new period.

use std::collections::{BTreeSet, HashMap};

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use serde::Deserialize;

use sanyi_app::medicines::projects::{self, DemandInput, ProductInput, ProjectInput, ProjectView, RenewalInput};
use sanyi_app::medicines::report::{self, ProcurementReport, ProjectFigures, ReportQuery, UsageLine};
use sanyi_app::{FieldError, Permission, ServiceError};

use super::super::FieldMessages as _;
use super::super::charts::{self, Chart};
use super::super::{Nav, PageActor, field_messages, same_origin};
use super::{CommunityChoice, field_error, number_lines};
use crate::AppState;
use crate::i18n::Tr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/procurement", get(board))
        .route("/procurement/report.xlsx", get(xlsx))
        .route("/procurement/projects", post(create))
        .route("/procurement/projects/new", get(new_form))
        .route("/procurement/projects/{id}", get(project))
        .route("/procurement/projects/{id}/demand", post(demand))
        .route("/procurement/projects/{id}/contract", post(contract))
        .route("/procurement/projects/{id}/renewal", post(renew))
}

#[derive(Deserialize, Default)]
struct AsOfParams {
    #[serde(default)]
    as_of: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "procurement.html")]
struct BoardPage {
    t: Tr,
    nav: Option<Nav>,
    as_of: String,
    as_of_error: String,
    r: ProcurementReport,
    /// Each project with the chart of its generics.
    projects: Vec<(ProjectFigures, Option<Chart>)>,
    by_institution: Vec<UsageLine>,
    by_prescriber: Vec<UsageLine>,
    can_manage: bool,
}

/// The chart of one project: each generic's completion against the time elapsed.
fn completion_chart(f: &ProjectFigures, t: &Tr) -> Option<Chart> {
    // Completion counts from the contract: a project still open for demand has no chart yet.
    if f.generics.is_empty() || f.state != "contracted" {
        return None;
    }
    let bars: Vec<(String, i64, &'static str, String)> = f
        .generics
        .iter()
        .map(|g| {
            let value = g.completion_bp.unwrap_or(0);
            (
                g.generic_name.clone(),
                value,
                if g.behind { "#b71c1c" } else { "#6aa84f" },
                format!(
                    "{}（{}） {} {}（{} {} / {} {}）{}",
                    g.generic_name,
                    g.dosage_form,
                    t.pick("完成", "completion"),
                    super::pct(g.completion_bp),
                    t.pick("已采购", "bought"),
                    g.purchased_units,
                    t.pick("约定", "agreed"),
                    g.agreed_units,
                    if g.behind {
                        t.pick(" · 进度滞后", " · behind schedule")
                    } else {
                        ""
                    }
                ),
            )
        })
        .collect();
    Some(charts::bars_against_line(
        &bars,
        (
            f.elapsed_bp,
            "#52606d",
            format!(
                "{} {}",
                t.pick("时间进度", "Time elapsed"),
                crate::pages::insurance::percent_bp(f.elapsed_bp)
            ),
        ),
        &|v| format!("{}%", v / 100),
    ))
}

/// Prescribers' names where the report could not name them (prescriptions of staff without an
/// account): from the staff of the institutions in the report; a dash rather than an id.
async fn name_prescribers(state: &AppState, p: &PageActor, lines: &mut [UsageLine], institutions: &[UsageLine]) {
    if lines.iter().all(|l| l.name != l.who) {
        return;
    }
    let mut names: HashMap<String, String> = HashMap::new();
    let ids: BTreeSet<&str> = institutions.iter().map(|l| l.who.as_str()).collect();
    for id in ids {
        if let Ok(staff) = sanyi_app::registry::staff(&state.app, &p.actor, id).await {
            names.extend(staff.into_iter().map(|s| (s.id, s.name)));
        }
    }
    for l in lines.iter_mut().filter(|l| l.name == l.who) {
        l.name = names.get(&l.who).cloned().unwrap_or_else(|| "—".into());
    }
}

async fn board(State(state): State<AppState>, p: PageActor, Query(q): Query<AsOfParams>) -> Response {
    let mut errs = Vec::new();
    let as_of = super::optional_date("as_of", &q.as_of, &mut errs);
    let mut r = match report::report(&state.app, &p.actor, &ReportQuery { as_of }).await {
        Ok(r) => r,
        Err(e) => return p.error(e),
    };
    let mut by_institution = std::mem::take(&mut r.by_institution);
    for l in by_institution.iter_mut().filter(|l| l.name == l.who) {
        l.name = "—".into();
    }
    let mut by_prescriber = std::mem::take(&mut r.by_prescriber);
    name_prescribers(&state, &p, &mut by_prescriber, &by_institution).await;
    let projects = std::mem::take(&mut r.projects)
        .into_iter()
        .map(|f| {
            let chart = completion_chart(&f, &p.t);
            (f, chart)
        })
        .collect();
    let status = if errs.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (
        status,
        BoardPage {
            nav: p.nav(),
            can_manage: p.actor.role.can(Permission::ProcurementManage),
            as_of_error: errs
                .first()
                .map(|e| p.t.pick(&e.message_zh, &e.message).to_owned())
                .unwrap_or_default(),
            as_of: q.as_of,
            t: p.t,
            r,
            projects,
            by_institution,
            by_prescriber,
        },
    )
        .into_response()
}

/// The report as an Excel workbook, for the page's download link (cookie session).
async fn xlsx(State(state): State<AppState>, p: PageActor, Query(q): Query<AsOfParams>) -> Response {
    let mut errs = Vec::new();
    let as_of = super::optional_date("as_of", &q.as_of, &mut errs);
    if !errs.is_empty() {
        return p.error(ServiceError::Validation(errs));
    }
    let response = match report::report(&state.app, &p.actor, &ReportQuery { as_of }).await {
        Ok(r) => crate::api::medicines::xlsx_response(&r),
        Err(e) => Err(e),
    };
    match response {
        Ok(r) => r,
        Err(e) => p.error(e),
    }
}

// ---------------------------------------------------------------------------------------------
// Loading a project.

#[derive(Deserialize, Default, Clone)]
struct ProjectForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
    #[serde(default)]
    community_id: String,
    /// One product per line: `目录编码 中选企业 中选价(元) 基线价(元)`.
    #[serde(default)]
    products: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "procurement_project_new.html")]
struct NewProjectPage {
    t: Tr,
    nav: Option<Nav>,
    form: ProjectForm,
    errors: HashMap<String, String>,
    /// Communities to choose from (users who work at no institution).
    communities: Vec<CommunityChoice>,
}

impl super::super::FieldMessages for NewProjectPage {
    fn messages(&self) -> &HashMap<String, String> {
        &self.errors
    }
}

async fn new_form(State(state): State<AppState>, p: PageActor) -> Response {
    if let Err(e) = p.actor.require(Permission::ProcurementManage) {
        return p.error(e);
    }
    let year = sanyi_domain::time::today().format("%Y").to_string().parse::<i32>().unwrap_or(2026) + 1;
    let form = ProjectForm {
        level: "national".into(),
        starts_on: format!("{year}-01-01"),
        ends_on: format!("{year}-12-31"),
        ..ProjectForm::default()
    };
    render_new(&state, p, form, Vec::new()).await
}

async fn render_new(state: &AppState, p: PageActor, form: ProjectForm, errs: Vec<FieldError>) -> Response {
    let communities = if p.actor.institution_id.is_none() {
        match super::communities(state, &p.actor).await {
            Ok(c) => c,
            Err(e) => return p.error(e),
        }
    } else {
        Vec::new()
    };
    let status = if errs.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (
        status,
        NewProjectPage {
            nav: p.nav(),
            errors: field_messages(&p.t, &errs),
            t: p.t,
            form,
            communities,
        },
    )
        .into_response()
}

/// The products typed one per line: code, firm, selected price and baseline price in yuan.
fn parse_products(text: &str, errs: &mut Vec<FieldError>) -> Vec<ProductInput> {
    let mut out = Vec::new();
    for (i, line) in text.lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
        let n = i + 1;
        let parts: Vec<&str> = line.split_whitespace().collect();
        if parts.len() < 4 {
            errs.push(field_error(
                &format!("products[{i}]"),
                &format!("Line {n}: write code, firm, selected price and baseline price (yuan)"),
                &format!("第 {n} 行：请按“目录编码 中选企业 中选价(元) 基线价(元)”填写"),
            ));
            continue;
        }
        let mut price = |text: &str, what_en: &str, what_zh: &str| match sanyi_domain::Fen::parse_yuan(text) {
            Ok(f) => f.get(),
            Err(e) => {
                errs.push(field_error(
                    &format!("products[{i}]"),
                    &format!("Line {n}, {what_en}: {}", e.message),
                    &format!("第 {n} 行{what_zh}：{}", e.message_zh),
                ));
                0
            }
        };
        let selected_price = price(parts[parts.len() - 2], "selected price", "中选价");
        let baseline_price = price(parts[parts.len() - 1], "baseline price", "基线价");
        out.push(ProductInput {
            item_code: parts[0].to_owned(),
            firm: parts[1..parts.len() - 2].join(" "),
            selected_price,
            baseline_price,
        });
    }
    out
}

async fn create(State(state): State<AppState>, p: PageActor, headers: HeaderMap, Form(f): Form<ProjectForm>) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let mut errs = Vec::new();
    let starts_on = super::date_field("starts_on", &f.starts_on, &mut errs);
    let ends_on = super::date_field("ends_on", &f.ends_on, &mut errs);
    let products = parse_products(&f.products, &mut errs);
    let (Some(starts_on), Some(ends_on)) = (starts_on, ends_on) else {
        return render_new(&state, p, f, errs).await;
    };
    if !errs.is_empty() {
        return render_new(&state, p, f, errs).await;
    }
    let input = ProjectInput {
        code: f.code.clone(),
        name: f.name.clone(),
        level: f.level.clone(),
        starts_on,
        ends_on,
        community_id: Some(f.community_id.clone()).filter(|c| !c.is_empty()),
        rules: None,
        products,
    };
    match projects::create(&state.app, &p.actor, &input).await {
        Ok(v) => Redirect::to(&format!("/procurement/projects/{}", v.id)).into_response(),
        Err(ServiceError::Validation(errs) | ServiceError::Conflict(errs)) => {
            render_new(&state, p, f, number_lines(errs, "products")).await
        }
        Err(e) => p.error(e),
    }
}

// ---------------------------------------------------------------------------------------------
// One project.

/// One demand input: a member institution × a generic of the project.
struct DemandCell {
    /// Input name (`u:<institution>:<generic index>`).
    input: String,
    value: String,
    error: String,
}

/// One member's row of the demand form.
struct DemandRow {
    name: String,
    cells: Vec<DemandCell>,
}

#[derive(Deserialize, Default, Clone)]
struct RenewalForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "procurement_project.html")]
struct ProjectPage {
    t: Tr,
    nav: Option<Nav>,
    p: ProjectView,
    can_manage: bool,
    /// The project's generics: (generic name, dosage form).
    generics: Vec<(String, String)>,
    /// The demand form (open projects, managers).
    demand_rows: Vec<DemandRow>,
    /// A message at the top (a refused contract, demand).
    error: Option<String>,
    renewal: RenewalForm,
    errors: HashMap<String, String>,
}

impl super::super::FieldMessages for ProjectPage {
    fn messages(&self) -> &HashMap<String, String> {
        &self.errors
    }
}

/// What a project page shows besides the project after a form was sent.
#[derive(Default)]
struct ProjectState {
    /// Demand values typed, by input name.
    typed: HashMap<String, String>,
    /// Messages under demand inputs, by input name.
    cell_errors: HashMap<String, String>,
    error: Option<String>,
    renewal: Option<RenewalForm>,
    renewal_errors: Vec<FieldError>,
}

fn generics_of(p: &ProjectView) -> Vec<(String, String)> {
    p.products
        .iter()
        .map(|x| (x.generic_name.clone(), x.dosage_form.clone()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

async fn project(State(state): State<AppState>, p: PageActor, Path(id): Path<String>) -> Response {
    render_project(&state, p, &id, ProjectState::default()).await
}

async fn render_project(state: &AppState, p: PageActor, id: &str, s: ProjectState) -> Response {
    let view = match projects::get(&state.app, &p.actor, id).await {
        Ok(v) => v,
        Err(e) => return p.error(e),
    };
    let can_manage = p.actor.role.can(Permission::ProcurementManage);
    let generics = generics_of(&view);
    let mut demand_rows = Vec::new();
    if can_manage && view.state == "reporting" {
        let members = match super::communities(state, &p.actor).await {
            Ok(c) => c.into_iter().find(|c| c.id == view.community_id).map(|c| c.members),
            Err(e) => return p.error(e),
        };
        let members = members.unwrap_or_else(|| {
            let mut seen = BTreeSet::new();
            view.demands
                .iter()
                .filter(|d| seen.insert(d.institution_id.clone()))
                .map(|d| (d.institution_id.clone(), d.institution.clone()))
                .collect()
        });
        for (inst, name) in members {
            let cells = generics
                .iter()
                .enumerate()
                .map(|(gi, (g, f))| {
                    let input = format!("u:{inst}:{gi}");
                    let reported = view
                        .demands
                        .iter()
                        .find(|d| d.institution_id == inst && &d.generic_name == g && &d.dosage_form == f)
                        .map(|d| d.reported_units.to_string())
                        .unwrap_or_default();
                    DemandCell {
                        value: s.typed.get(&input).cloned().unwrap_or(reported),
                        error: s.cell_errors.get(&input).cloned().unwrap_or_default(),
                        input,
                    }
                })
                .collect();
            demand_rows.push(DemandRow { name, cells });
        }
    }
    let renewal = s.renewal.unwrap_or_else(|| {
        let start = view.ends_on.succ_opt().unwrap_or(view.ends_on);
        let end = start
            .checked_add_months(chrono::Months::new(12))
            .and_then(|d| d.pred_opt())
            .unwrap_or(start);
        RenewalForm {
            code: format!("{}-续约", view.code),
            starts_on: start.to_string(),
            ends_on: end.to_string(),
        }
    });
    let status = if s.error.is_some() || !s.cell_errors.is_empty() || !s.renewal_errors.is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    (
        status,
        ProjectPage {
            nav: p.nav(),
            errors: field_messages(&p.t, &s.renewal_errors),
            t: p.t,
            p: view,
            can_manage,
            generics,
            demand_rows,
            error: s.error,
            renewal,
        },
    )
        .into_response()
}

async fn demand(
    State(state): State<AppState>,
    p: PageActor,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let view = match projects::get(&state.app, &p.actor, &id).await {
        Ok(v) => v,
        Err(e) => return p.error(e),
    };
    let generics = generics_of(&view);
    let mut s = ProjectState::default();
    let mut rows = Vec::new();
    let mut inputs = Vec::new();
    for (key, value) in fields {
        let Some(rest) = key.strip_prefix("u:") else { continue };
        let value = value.trim().to_owned();
        s.typed.insert(key.clone(), value.clone());
        if value.is_empty() {
            continue;
        }
        let Some((inst, gi)) = rest.rsplit_once(':') else { continue };
        let Some((g, f)) = gi.parse::<usize>().ok().and_then(|i| generics.get(i)) else {
            continue;
        };
        match value.parse::<i64>() {
            Ok(units) => {
                rows.push(DemandInput {
                    institution_id: inst.to_owned(),
                    generic_name: g.clone(),
                    dosage_form: f.clone(),
                    reported_units: units,
                });
                inputs.push(key);
            }
            Err(_) => {
                s.cell_errors.insert(key, p.t.pick("须为整数", "A whole number").to_owned());
            }
        }
    }
    if !s.cell_errors.is_empty() {
        s.error = Some(
            p.t.pick("需求量须为整数（最小包装单位数）。", "Demand is a whole number of units.")
                .to_owned(),
        );
        return render_project(&state, p, &id, s).await;
    }
    match projects::report_demand(&state.app, &p.actor, &id, &rows).await {
        Ok(_) => Redirect::to(&format!("/procurement/projects/{id}#demand")).into_response(),
        Err(ServiceError::Validation(errs) | ServiceError::Conflict(errs)) => {
            let mut general = Vec::new();
            for e in errs {
                let index = e
                    .field
                    .strip_prefix("rows[")
                    .and_then(|r| r.split(']').next())
                    .and_then(|n| n.parse::<usize>().ok());
                match index.and_then(|i| inputs.get(i)) {
                    Some(key) => {
                        s.cell_errors.insert(key.clone(), p.t.pick(&e.message_zh, &e.message).to_owned());
                    }
                    None => general.push(e),
                }
            }
            s.error = Some(if general.is_empty() {
                p.t.pick("请按提示修改标出的需求量。", "Please correct the marked demand.")
                    .to_owned()
            } else {
                super::joined(&p.t, &general)
            });
            render_project(&state, p, &id, s).await
        }
        Err(e) => p.error(e),
    }
}

async fn contract(State(state): State<AppState>, p: PageActor, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    match projects::contract(&state.app, &p.actor, &id).await {
        Ok(_) => Redirect::to(&format!("/procurement/projects/{id}")).into_response(),
        Err(ServiceError::Validation(errs) | ServiceError::Conflict(errs)) => {
            let s = ProjectState {
                error: Some(super::joined(&p.t, &errs)),
                ..ProjectState::default()
            };
            render_project(&state, p, &id, s).await
        }
        Err(e) => p.error(e),
    }
}

async fn renew(
    State(state): State<AppState>,
    p: PageActor,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<RenewalForm>,
) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let mut errs = Vec::new();
    let starts_on = super::date_field("starts_on", &f.starts_on, &mut errs);
    let ends_on = super::date_field("ends_on", &f.ends_on, &mut errs);
    let dates: Option<(NaiveDate, NaiveDate)> = starts_on.zip(ends_on);
    let result = match dates {
        Some((starts_on, ends_on)) if errs.is_empty() => {
            let input = RenewalInput {
                code: f.code.clone(),
                starts_on,
                ends_on,
            };
            projects::renew(&state.app, &p.actor, &id, &input).await
        }
        _ => Err(ServiceError::Validation(errs)),
    };
    match result {
        Ok(v) => Redirect::to(&format!("/procurement/projects/{}", v.id)).into_response(),
        Err(ServiceError::Validation(errs) | ServiceError::Conflict(errs)) => {
            let s = ProjectState {
                renewal: Some(f),
                renewal_errors: errs,
                ..ProjectState::default()
            };
            render_project(&state, p, &id, s).await
        }
        Err(e) => p.error(e),
    }
}
