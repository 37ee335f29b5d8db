//! The bureau's settlement runs and the fund's ledger (结算批次与基金拨付台账): the history of a
//! year's runs with who ran and who approved each, one run with its inputs and what changed
//! against the run before it, the second officer's approval, and the ledger of payments to each
//! community.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use sanyi_app::insurance::run_diff::DiffLine;
use sanyi_app::insurance::runs::{self, ApproveInput, Ledger, RunDetail, RunMeta};
use sanyi_app::{Permission, ServiceError};

use super::BeijingTime as _;
use super::insurance::{per_point, yuan};
use super::{Nav, PageActor, same_origin};
use crate::AppState;
use crate::i18n::Tr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/insurance/runs", get(history))
        .route("/insurance/runs/{year}/{number}", get(one).post(approve))
}

#[derive(Deserialize, Default)]
struct YearQuery {
    year: Option<i32>,
}

#[derive(Deserialize, Default)]
struct MonthQuery {
    month: Option<u32>,
}

/// A period's name: the year-end or a month.
pub fn period_name(t: &Tr, month: impl std::borrow::Borrow<u32>) -> String {
    let month = *month.borrow();
    if month == 0 {
        t.pick("年终清算", "year-end").to_owned()
    } else {
        format!("{}{month}{}", t.pick("截至 ", "through month "), t.pick(" 月", ""))
    }
}

/// A figure of a run's diff in its unit.
pub fn figure(unit: &str, v: impl std::borrow::Borrow<i64>) -> String {
    let v = *v.borrow();
    match unit {
        "fen" => yuan(v),
        "point_value" => per_point(v),
        "points" => (v / 10_000).to_string(),
        "score" => format!("{}.{:02}", v / 100, (v % 100).abs()),
        _ => v.to_string(),
    }
}

/// The run that posted a ledger entry.
pub fn posted_by_run(t: &Tr, e: &sanyi_app::insurance::runs::LedgerEntry) -> String {
    format!(
        "{} {}{}{}",
        period_name(t, u32::try_from(e.run_month).unwrap_or_default()),
        t.pick("第", "no. "),
        e.run_number,
        t.pick(" 次", "")
    )
}

/// A county's score among a run's inputs, or a dash.
pub fn score_of(i: &sanyi_app::insurance::runs::RunInputs, county: &str) -> String {
    i.scores
        .get(county)
        .map_or_else(|| "—".to_owned(), |s| figure("score", i64::from(*s)))
}

/// A community's accepted overspend among a run's inputs.
pub fn accepted_of(i: &sanyi_app::insurance::runs::RunInputs, community: &str) -> Option<String> {
    i.accepted_overspend.get(community).map(|a| yuan(*a))
}

/// The change of a diff line, signed, in its unit.
pub fn change(l: &DiffLine) -> String {
    let d = l.after - l.before;
    let text = figure(&l.unit, d.abs());
    if d >= 0 { format!("+{text}") } else { format!("-{text}") }
}

#[derive(Template, WebTemplate)]
#[template(path = "settlement_runs.html")]
struct HistoryPage {
    t: Tr,
    nav: Option<Nav>,
    year: i32,
    runs: Vec<RunMeta>,
    ledger: Ledger,
}

async fn history(State(state): State<AppState>, p: PageActor, Query(q): Query<YearQuery>) -> Response {
    let year = q.year.unwrap_or_else(sanyi_app::insurance::run::last_fund_year);
    let runs = match runs::list(&state.app, &p.actor, year).await {
        Ok(r) => r,
        Err(e) => return p.error(e),
    };
    let ledger = match runs::ledger_of(&state.app, &p.actor, year).await {
        Ok(l) => l,
        Err(e) => return p.error(e),
    };
    HistoryPage {
        nav: Some(Nav::of(&p.actor, &p.t)),
        t: p.t,
        year,
        runs,
        ledger,
    }
    .into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "settlement_run.html")]
struct RunPage {
    t: Tr,
    nav: Option<Nav>,
    detail: RunDetail,
    /// County names by code (inputs name counties by code).
    counties: Vec<(String, String)>,
    /// Community names by id.
    communities: Vec<(String, String)>,
    can_approve: bool,
    note: String,
    error: Option<String>,
}

/// Names by code or id.
type Names = Vec<(String, String)>;

fn names(detail: &RunDetail) -> (Names, Names) {
    let counties = detail.report.counties.iter().map(|c| (c.code.clone(), c.name.clone())).collect();
    let communities = detail
        .report
        .counties
        .iter()
        .flat_map(|c| c.communities.iter().map(|m| (m.id.clone(), m.name.clone())))
        .collect();
    (counties, communities)
}

/// Which run a page shows: year, number within the period, interim month.
#[derive(Clone, Copy)]
struct RunRef {
    year: i32,
    number: i64,
    month: Option<u32>,
}

async fn render_one(state: &AppState, p: PageActor, run: RunRef, note: String, error: Option<String>, status: StatusCode) -> Response {
    let RunRef { year, number, month } = run;
    let detail = match runs::detail(&state.app, &p.actor, year, month, number).await {
        Ok(d) => d,
        Err(e) => return p.error(e),
    };
    let (counties, communities) = names(&detail);
    let can_approve = p.actor.role.can(Permission::SettlementApprove) && p.actor.is_pool_level() && detail.run.status == "pending";
    (
        status,
        RunPage {
            nav: Some(Nav::of(&p.actor, &p.t)),
            t: p.t,
            detail,
            counties,
            communities,
            can_approve,
            note,
            error,
        },
    )
        .into_response()
}

async fn one(State(state): State<AppState>, p: PageActor, Path((year, number)): Path<(i32, i64)>, Query(q): Query<MonthQuery>) -> Response {
    render_one(
        &state,
        p,
        RunRef {
            year,
            number,
            month: q.month,
        },
        String::new(),
        None,
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
struct ApproveForm {
    #[serde(default)]
    note: String,
}

async fn approve(
    State(state): State<AppState>,
    p: PageActor,
    headers: HeaderMap,
    Path((year, number)): Path<(i32, i64)>,
    Query(q): Query<MonthQuery>,
    Form(f): Form<ApproveForm>,
) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    match runs::approve(&state.app, &p.actor, year, q.month, number, &ApproveInput { note: f.note.clone() }).await {
        Ok(_) => Redirect::to(&format!("/insurance/runs?year={year}#runs-ledger")).into_response(),
        Err(ServiceError::Validation(errs) | ServiceError::Conflict(errs)) => {
            let msg = super::refusal_text(&p.t, &errs);
            render_one(
                &state,
                p,
                RunRef {
                    year,
                    number,
                    month: q.month,
                },
                f.note,
                Some(msg),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => p.error(e),
    }
}
