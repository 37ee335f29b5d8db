//! Prescriptions (处方) of the user's institution: the list by state, the prescription form with
//! the resident picker and the drug choices (selected products first, with the payment standard,
//! the stock and why), the prescription with its lines, the 发药 button for the institution's
//! dispensers, and — once dispensed — the way to its settlement.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use sanyi_app::medicines::prescriptions::{
    self, Choice, DispenseInput, ListQuery, PrescriptionInput, PrescriptionView, RxLineInput, RxListItem,
};
use sanyi_app::{FieldError, Permission, ServiceError};

use super::super::FieldMessages as _;
use super::super::{FormState, Nav, PageActor, Pager, same_origin, url_encode};
use super::{field_error, number_lines};
use crate::AppState;
use crate::i18n::Tr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/prescriptions", get(list).post(write))
        .route("/prescriptions/new", get(new_form))
        .route("/prescriptions/{id}", get(detail))
        .route("/prescriptions/{id}/dispense", post(dispense))
}

/// Rows per list page.
const PAGE: i64 = 50;

/// The prescription kinds in the order the form offers them.
pub const KINDS: [&str; 4] = ["outpatient", "chronic", "inpatient", "emergency"];

#[derive(Deserialize, Default)]
struct ListParams {
    #[serde(default)]
    state: String,
    offset: Option<i64>,
}

#[derive(Template, WebTemplate)]
#[template(path = "prescriptions.html")]
struct ListPage {
    t: Tr,
    nav: Option<Nav>,
    state: String,
    items: Vec<RxListItem>,
    pager: Pager,
    can_prescribe: bool,
}

async fn list(State(state): State<AppState>, p: PageActor, Query(q): Query<ListParams>) -> Response {
    let offset = q.offset.unwrap_or(0).max(0);
    let query = ListQuery {
        state: Some(q.state.clone()).filter(|s| !s.is_empty()),
        resident_id: None,
    };
    match prescriptions::list(&state.app, &p.actor, &query, sanyi_app::Page { offset, limit: PAGE }).await {
        Ok(list) => {
            let link = |o: i64| format!("/prescriptions?state={}&offset={o}", url_encode(&q.state));
            ListPage {
                pager: Pager::new(list.total, offset, PAGE, link),
                nav: p.nav(),
                can_prescribe: p.actor.role.can(Permission::Prescribe),
                t: p.t,
                state: q.state,
                items: list.items,
            }
            .into_response()
        }
        Err(e) => p.error(e),
    }
}

#[derive(Deserialize, Default, Clone)]
struct RxForm {
    #[serde(default)]
    resident_id: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    diagnosis: String,
    #[serde(default)]
    days_supply: String,
    /// One line each: `编码 数量`.
    #[serde(default)]
    lines: String,
    /// Search of the drug choices.
    #[serde(default)]
    q: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "prescription_new.html")]
struct NewPage {
    t: Tr,
    nav: Option<Nav>,
    form: RxForm,
    errors: HashMap<String, String>,
    /// The resident chosen, by name and masked ID number.
    resident: String,
    choices: Vec<Choice>,
}

impl super::super::FieldMessages for NewPage {
    fn messages(&self) -> &HashMap<String, String> {
        &self.errors
    }
}

async fn new_form(State(state): State<AppState>, p: PageActor, Query(mut form): Query<RxForm>) -> Response {
    if form.kind.is_empty() {
        form.kind = "outpatient".into();
    }
    if form.days_supply.is_empty() {
        form.days_supply = "7".into();
    }
    render_new(&state, p, form, Vec::new()).await
}

async fn render_new(state: &AppState, p: PageActor, form: RxForm, errs: Vec<FieldError>) -> Response {
    if let Err(e) = p.actor.require(Permission::Prescribe) {
        return p.error(e);
    }
    // A record that cannot be shown is reported under its field rather than failing the form.
    let shown = match FormState::of(state, &p, &form.resident_id, &errs).await {
        Err(ServiceError::NotFound) => {
            let mut errs = errs;
            errs.push(field_error("resident_id", "No such resident in your area", "本辖区没有这位居民"));
            FormState::of(state, &p, "", &errs).await
        }
        other => other,
    };
    let FormState { resident, status, errors } = match shown {
        Ok(f) => f,
        Err(e) => return p.error(e),
    };
    let choices = match prescriptions::choices(&state.app, &p.actor, &form.q).await {
        Ok(c) => c,
        Err(e) => return p.error(e),
    };
    (
        status,
        NewPage {
            nav: p.nav(),
            t: p.t,
            form,
            errors,
            resident,
            choices,
        },
    )
        .into_response()
}

/// The lines typed one per line: `code quantity`.
fn parse_lines(text: &str, errs: &mut Vec<FieldError>) -> Vec<RxLineInput> {
    let mut out = Vec::new();
    for (i, line) in text.lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
        let n = i + 1;
        let parts: Vec<&str> = line.split_whitespace().collect();
        match (parts.first(), parts.get(1).map(|q| q.parse::<i64>()), parts.len()) {
            (Some(code), Some(Ok(quantity)), 2) => out.push(RxLineInput {
                item_code: (*code).to_owned(),
                quantity,
            }),
            _ => errs.push(field_error(
                &format!("lines[{i}]"),
                &format!("Line {n}: write the code and a whole quantity"),
                &format!("第 {n} 行：请按“编码 数量”填写，数量为整数"),
            )),
        }
    }
    out
}

async fn write(State(state): State<AppState>, p: PageActor, headers: HeaderMap, Form(f): Form<RxForm>) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let mut errs = Vec::new();
    let days_supply = match f.days_supply.trim().parse::<u32>() {
        Ok(d) => d,
        Err(_) => {
            errs.push(field_error(
                "days_supply",
                "The days of supply is a whole number of days",
                "用药天数须为整数（天）",
            ));
            0
        }
    };
    if f.resident_id.trim().is_empty() {
        errs.push(field_error("resident_id", "Find and choose the resident", "请查找并选择居民"));
    }
    let lines = parse_lines(&f.lines, &mut errs);
    if !errs.is_empty() {
        return render_new(&state, p, f, errs).await;
    }
    let input = PrescriptionInput {
        resident_id: f.resident_id.trim().to_owned(),
        kind: f.kind.clone(),
        diagnosis: f.diagnosis.clone(),
        days_supply,
        written_on: None,
        lines,
    };
    match prescriptions::write(&state.app, &p.actor, &input).await {
        Ok(rx) => Redirect::to(&format!("/prescriptions/{}", rx.id)).into_response(),
        Err(ServiceError::Validation(errs) | ServiceError::Conflict(errs)) => render_new(&state, p, f, number_lines(errs, "lines")).await,
        Err(e) => p.error(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "prescription.html")]
struct DetailPage {
    t: Tr,
    nav: Option<Nav>,
    rx: PrescriptionView,
    /// The viewer dispenses at the prescription's institution.
    can_dispense: bool,
    /// The viewer settles claims (the 结算 link).
    can_settle: bool,
    error: Option<String>,
}

async fn detail(State(state): State<AppState>, p: PageActor, Path(id): Path<String>) -> Response {
    render_detail(&state, p, &id, None).await
}

async fn render_detail(state: &AppState, p: PageActor, id: &str, error: Option<String>) -> Response {
    match prescriptions::get(&state.app, &p.actor, id).await {
        Ok(rx) => {
            let status = if error.is_some() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            (
                status,
                DetailPage {
                    nav: p.nav(),
                    can_dispense: p.actor.role.can(Permission::Dispense)
                        && p.actor.institution_id.as_deref() == Some(rx.institution_id.as_str()),
                    can_settle: p.actor.role.can(Permission::ClaimSettle) && p.actor.role.can(Permission::ResidentRead),
                    t: p.t,
                    rx,
                    error,
                },
            )
                .into_response()
        }
        Err(e) => p.error(e),
    }
}

async fn dispense(State(state): State<AppState>, p: PageActor, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    match prescriptions::dispense(&state.app, &p.actor, &id, &DispenseInput::default()).await {
        Ok(_) => Redirect::to(&format!("/prescriptions/{id}")).into_response(),
        Err(ServiceError::Validation(errs) | ServiceError::Conflict(errs)) => {
            let msg = super::joined(&p.t, &number_lines(errs, "lines"));
            render_detail(&state, p, &id, Some(msg)).await
        }
        Err(e) => p.error(e),
    }
}
