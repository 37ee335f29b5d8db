//! Mutual recognition pages (检查检验结果互认): a resident's results across institutions with their HR
//! marks, the order form with the recognition prompt (recognise a prior result, or order anyway
//! with a re-test reason), and the dashboard with server-drawn SVG charts.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::NaiveDate;
use serde::Deserialize;

use sanyi_app::ServiceError;
use sanyi_app::recognition::{
    self as service, CandidateView, CatalogueItem, IndicatorQuery, OrderInput, ParticipantView, ReasonView, RecognitionIndicators,
    ResidentResults,
};
use sanyi_app::recognition::{Decision, RetestReason};

use super::charts::{self, Chart};
use super::insurance::yuan;
use super::{Nav, PageActor, same_origin};
use crate::AppState;
use crate::i18n::Tr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/residents/{id}/results", get(results_page))
        .route("/residents/{id}/orders", get(order_form).post(order_submit))
        .route("/recognition", get(dashboard))
}

#[derive(Deserialize, Default)]
struct DoneParams {
    done: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "recognition_results.html")]
struct ResultsPage {
    t: Tr,
    nav: Option<Nav>,
    r: ResidentResults,
    done: Option<String>,
    may_order: bool,
}

/// The text of an abnormal flag (↑ high, ↓ low, * abnormal).
pub fn flag(a: &Option<String>) -> &'static str {
    match a.as_deref() {
        Some("high") => "↑",
        Some("low") => "↓",
        Some("abnormal") => "*",
        _ => "",
    }
}

/// Yuan text of an optional amount in fen.
pub fn opt_yuan(f: &Option<i64>) -> String {
    f.map(yuan).unwrap_or_default()
}

async fn results_page(State(state): State<AppState>, p: PageActor, Path(id): Path<String>, Query(q): Query<DoneParams>) -> Response {
    match service::resident_results(&state.app, &p.actor, &id).await {
        Ok(r) => {
            let done = q.done.filter(|d| ["recognised", "repeated", "ordered"].contains(&d.as_str()));
            ResultsPage {
                may_order: sanyi_app::workbench::record_actions(&p.actor).order_tests,
                nav: Some(Nav::of(&p.actor, &p.t)),
                t: p.t,
                r,
                done,
            }
            .into_response()
        }
        Err(e) => p.error(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "recognition_order.html")]
struct OrderPage {
    t: Tr,
    nav: Option<Nav>,
    resident_id: String,
    resident_name: String,
    items: Vec<CatalogueItem>,
    item_code: String,
    item_name: String,
    ordered_on: String,
    candidates: Vec<CandidateView>,
    reasons: Vec<ReasonView>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
struct OrderForm {
    #[serde(default)]
    item_code: String,
    #[serde(default)]
    ordered_on: String,
    #[serde(default)]
    choice: String,
    #[serde(default)]
    result_id: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
}

async fn render_order(
    state: &AppState,
    p: PageActor,
    id: &str,
    f: OrderForm,
    candidates: Vec<CandidateView>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let resident = match sanyi_app::residents::get(&state.app, &p.actor, id).await {
        Ok(r) => r,
        Err(e) => return p.error(e),
    };
    let items = match service::items(&state.app, &p.actor).await {
        Ok(c) => c.items,
        Err(e) => return p.error(e),
    };
    let item_name = items
        .iter()
        .find(|i| i.code == f.item_code)
        .map(|i| i.name.clone())
        .unwrap_or_default();
    (
        status,
        OrderPage {
            nav: Some(Nav::of(&p.actor, &p.t)),
            t: p.t,
            resident_id: resident.id,
            resident_name: resident.name,
            items,
            item_code: f.item_code,
            item_name,
            ordered_on: f.ordered_on,
            candidates,
            reasons: service::retest_reasons(),
            error,
        },
    )
        .into_response()
}

async fn order_form(State(state): State<AppState>, p: PageActor, Path(id): Path<String>) -> Response {
    if let Err(e) = p.actor.require(sanyi_app::Permission::OrderWrite) {
        return p.error(e);
    }
    render_order(&state, p, &id, OrderForm::default(), Vec::new(), None, StatusCode::OK).await
}

fn messages(t: &Tr, errs: &[sanyi_app::FieldError]) -> String {
    errs.iter()
        .map(|e| t.pick(&e.message_zh, &e.message).to_owned())
        .collect::<Vec<_>>()
        .join("；")
}

async fn order_submit(
    State(state): State<AppState>,
    p: PageActor,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(f): Form<OrderForm>,
) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let decision = match f.choice.as_str() {
        "recognise" => Some(Decision::Recognised {
            result: f.result_id.clone(),
        }),
        "repeat" => match RetestReason::parse(&f.reason) {
            Some(reason) => Some(Decision::Repeated {
                reason,
                note: f.note.clone(),
            }),
            None => {
                let msg = p.t.pick("请选择复查理由", "Choose a re-test reason").to_owned();
                return render_order(&state, p, &id, f, Vec::new(), Some(msg), StatusCode::UNPROCESSABLE_ENTITY).await;
            }
        },
        _ => None,
    };
    let ordered_on = match f.ordered_on.trim() {
        "" => None,
        d => match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                let msg =
                    p.t.pick("申请日期格式应为 YYYY-MM-DD", "The order day must be YYYY-MM-DD")
                        .to_owned();
                return render_order(&state, p, &id, f, Vec::new(), Some(msg), StatusCode::UNPROCESSABLE_ENTITY).await;
            }
        },
    };
    let input = OrderInput {
        resident_id: id.clone(),
        item_code: f.item_code.clone(),
        ordered_on,
        decision,
    };
    match service::order(&state.app, &p.actor, &input).await {
        Ok(o) => Redirect::to(&format!("/residents/{id}/results?done={}", o.decision)).into_response(),
        Err(ServiceError::DecisionRequired { candidates, .. }) => {
            let list: Vec<CandidateView> = serde_json::from_value(candidates).unwrap_or_default();
            render_order(&state, p, &id, f, list, None, StatusCode::OK).await
        }
        Err(ServiceError::Validation(errs)) => {
            let msg = messages(&p.t, &errs);
            render_order(&state, p, &id, f, Vec::new(), Some(msg), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => p.error(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "recognition.html")]
struct DashboardPage {
    t: Tr,
    nav: Option<Nav>,
    r: RecognitionIndicators,
    monthly: Chart,
    savings: Chart,
    rates: Chart,
    catalogue: Vec<CatalogueItem>,
    participants: Vec<ParticipantView>,
}

fn build_charts(r: &RecognitionIndicators, t: &Tr) -> (Chart, Chart, Chart) {
    let groups: Vec<charts::BarGroup> = r
        .by_month
        .iter()
        .map(|m| {
            let label = m.month.get(5..).unwrap_or_default().to_owned();
            (
                label,
                vec![
                    (
                        m.recognitions as i64,
                        "#0b5394",
                        format!("{} {} {}", m.month, t.t("rec.recognitions"), m.recognitions),
                    ),
                    (
                        m.repeats as i64,
                        "#e69138",
                        format!("{} {} {}", m.month, t.t("rec.repeats"), m.repeats),
                    ),
                ],
            )
        })
        .collect();
    let monthly = charts::grouped_bars(&groups, &|v| v.to_string());
    let labels: Vec<String> = r.by_month.iter().map(|m| m.month.get(5..).unwrap_or_default().to_owned()).collect();
    let savings = charts::lines(
        &labels,
        vec![(
            t.t("rec.savings").to_owned(),
            "#6aa84f",
            false,
            r.by_month.iter().map(|m| m.savings_fen).collect(),
        )],
        &|v| format!("{} 元", yuan(v)),
    );
    let rate_groups: Vec<charts::BarGroup> = r
        .by_institution
        .iter()
        .take(12)
        .map(|i| {
            let bp = i.rate.basis_points.unwrap_or(0) as i64;
            let short: String = i.name.chars().take(6).collect();
            (
                short,
                vec![(bp, "#674ea7", format!("{} {}", i.name, super::indicators::pct(&i.rate)))],
            )
        })
        .collect();
    let rates = charts::grouped_bars(&rate_groups, &|v| format!("{}%", v / 100));
    (monthly, savings, rates)
}

async fn dashboard(State(state): State<AppState>, p: PageActor, Query(q): Query<IndicatorQuery>) -> Response {
    let r = match service::indicators(&state.app, &p.actor, &q).await {
        Ok(r) => r,
        Err(e) => return p.error(e),
    };
    let catalogue = match service::items(&state.app, &p.actor).await {
        Ok(c) => c.items,
        Err(ServiceError::NotFound) => Vec::new(),
        Err(e) => return p.error(e),
    };
    let participants = match service::participants(&state.app, &p.actor).await {
        Ok(list) => list,
        Err(ServiceError::NotFound) => Vec::new(),
        Err(e) => return p.error(e),
    };
    let (monthly, savings, rates) = build_charts(&r, &p.t);
    DashboardPage {
        nav: Some(Nav::of(&p.actor, &p.t)),
        t: p.t,
        r,
        monthly,
        savings,
        rates,
        catalogue,
        participants,
    }
    .into_response()
}
