//! The central pharmacy (中心药房): the suppliers' invoices with their due days (overdue marked),
//! the purchase orders with the form that places one, each order with its deliveries (accepted
//! into stock, then paid), the stock by institution and lot (expired and selected marked) and the
//! transfer form down to the members. Procurement readers see it; procurement managers act.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use sanyi_app::medicines::pharmacy::{
    self, DayInput, DeliveryInput, DeliveryLineInput, DeliveryView, LotView, OrderInput, OrderLineInput, OrderView, TransferInput,
};
use sanyi_app::{FieldError, Page, Permission, ServiceError};

use super::super::FieldMessages as _;
use super::super::{Nav, PageActor, Pager, field_messages, same_origin, url_encode};
use super::{CommunityChoice, field_error, number_lines};
use crate::AppState;
use crate::i18n::Tr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/pharmacy", get(overview))
        .route("/pharmacy/orders", post(create_order))
        .route("/pharmacy/transfers", post(transfer))
        .route("/pharmacy/orders/{id}", get(order_page))
        .route("/pharmacy/orders/{id}/deliveries", post(deliver))
        .route("/pharmacy/deliveries/{id}/accept", post(accept))
        .route("/pharmacy/deliveries/{id}/pay", post(pay))
}

/// Rows per list page.
const PAGE: i64 = 50;

#[derive(Deserialize, Default, Clone)]
struct Params {
    /// Orders page.
    offset: Option<i64>,
    /// `all`: every delivery; otherwise the invoices accepted and not paid.
    #[serde(default)]
    invoices: String,
    inv_offset: Option<i64>,
    /// Stock of one institution.
    #[serde(default)]
    institution: String,
    /// Stock of items whose code or name contains this.
    #[serde(default)]
    item: String,
    stock_offset: Option<i64>,
    /// A transfer was just made (a notice says so).
    moved: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
struct OrderForm {
    #[serde(default)]
    order_no: String,
    #[serde(default)]
    supplier: String,
    #[serde(default)]
    ordered_on: String,
    #[serde(default)]
    institution_id: String,
    /// One line each: `编码 数量 [单价分]`.
    #[serde(default)]
    lines: String,
}

#[derive(Deserialize, Default, Clone)]
struct TransferForm {
    #[serde(default)]
    transfer_no: String,
    #[serde(default)]
    from_institution_id: String,
    #[serde(default)]
    to_institution_id: String,
    #[serde(default)]
    item_code: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    on: String,
}

/// An order of the list with its buyer's name.
struct OrderRow {
    id: String,
    order_no: String,
    supplier: String,
    institution: String,
    ordered_on: chrono::NaiveDate,
}

#[derive(Template, WebTemplate)]
#[template(path = "pharmacy.html")]
struct PharmacyPage {
    t: Tr,
    nav: Option<Nav>,
    can_manage: bool,
    params: Params,
    orders: Vec<OrderRow>,
    orders_pager: Pager,
    /// Deliveries with the receiving institution's name.
    invoices: Vec<(DeliveryView, String)>,
    invoices_all: bool,
    invoices_pager: Pager,
    stock: Vec<LotView>,
    stock_pager: Pager,
    communities: Vec<CommunityChoice>,
    /// The user works at an institution (orders and transfers default to it).
    own_institution: String,
    order: OrderForm,
    order_errors: HashMap<String, String>,
    transfer: TransferForm,
    transfer_errors: HashMap<String, String>,
}

impl PharmacyPage {
    /// The message under an order field.
    fn oerr(&self, field: &str) -> &str {
        self.order_errors.get(field).map_or("", String::as_str)
    }

    /// The message under a transfer field.
    fn terr(&self, field: &str) -> &str {
        self.transfer_errors.get(field).map_or("", String::as_str)
    }
}

fn stamp(prefix: &str) -> String {
    format!(
        "{prefix}{}",
        sanyi_domain::time::to_beijing(chrono::Utc::now()).format("%Y%m%d%H%M%S")
    )
}

async fn overview(State(state): State<AppState>, p: PageActor, Query(q): Query<Params>) -> Response {
    let order = OrderForm {
        order_no: stamp("CG"),
        ordered_on: sanyi_domain::time::today().to_string(),
        ..OrderForm::default()
    };
    let transfer = TransferForm {
        transfer_no: stamp("DB"),
        ..TransferForm::default()
    };
    render(&state, p, q, order, Vec::new(), transfer, Vec::new()).await
}

#[allow(clippy::too_many_arguments)]
async fn render(
    state: &AppState,
    p: PageActor,
    q: Params,
    order: OrderForm,
    order_errs: Vec<FieldError>,
    transfer: TransferForm,
    transfer_errs: Vec<FieldError>,
) -> Response {
    let names = match super::institution_names(state, &p.actor).await {
        Ok(n) => n,
        Err(e) => return p.error(e),
    };
    let offset = q.offset.unwrap_or(0).max(0);
    let orders = match pharmacy::orders(&state.app, &p.actor, Page { offset, limit: PAGE }).await {
        Ok(o) => o,
        Err(e) => return p.error(e),
    };
    let invoices_all = q.invoices == "all";
    let inv_offset = q.inv_offset.unwrap_or(0).max(0);
    let invoices = match pharmacy::deliveries(
        &state.app,
        &p.actor,
        !invoices_all,
        Page {
            offset: inv_offset,
            limit: PAGE,
        },
    )
    .await
    {
        Ok(d) => d,
        Err(e) => return p.error(e),
    };
    let lots = match pharmacy::stock(&state.app, &p.actor, Some(q.institution.as_str())).await {
        Ok(l) => l,
        Err(ServiceError::Validation(_)) => Vec::new(),
        Err(e) => return p.error(e),
    };
    let item = q.item.trim().to_owned();
    let mut lots: Vec<LotView> = lots
        .into_iter()
        .filter(|l| l.quantity > 0)
        .filter(|l| item.is_empty() || l.item_code.contains(&item) || l.name.contains(&item))
        .collect();
    lots.sort_by(|a, b| (&a.institution, &a.name, a.expires_on).cmp(&(&b.institution, &b.name, b.expires_on)));
    let stock_total = lots.len() as i64;
    let stock_offset = q.stock_offset.unwrap_or(0).max(0);
    let stock: Vec<LotView> = lots
        .into_iter()
        .skip(usize::try_from(stock_offset).unwrap_or(0))
        .take(PAGE as usize)
        .collect();
    let communities = match super::communities(state, &p.actor).await {
        Ok(c) => c,
        Err(e) => return p.error(e),
    };
    let link = |orders: i64, inv: i64, stock: i64| {
        format!(
            "/pharmacy?offset={orders}&invoices={}&inv_offset={inv}&institution={}&item={}&stock_offset={stock}",
            url_encode(&q.invoices),
            url_encode(&q.institution),
            url_encode(&q.item)
        )
    };
    let orders_pager = Pager::new(orders.total, offset, PAGE, |o| {
        format!("{}#orders", link(o, inv_offset, stock_offset))
    });
    let invoices_pager = Pager::new(invoices.total, inv_offset, PAGE, |o| {
        format!("{}#invoices", link(offset, o, stock_offset))
    });
    let stock_pager = Pager::new(stock_total, stock_offset, PAGE, |o| {
        format!("{}#stock", link(offset, inv_offset, o))
    });
    let status = if order_errs.is_empty() && transfer_errs.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let name_of = |id: &str| names.get(id).cloned().unwrap_or_default();
    (
        status,
        PharmacyPage {
            nav: p.nav(),
            can_manage: p.actor.role.can(Permission::ProcurementManage),
            own_institution: p.actor.institution_id.clone().unwrap_or_default(),
            orders: orders
                .items
                .into_iter()
                .map(|o| OrderRow {
                    institution: name_of(&o.institution_id),
                    id: o.id,
                    order_no: o.order_no,
                    supplier: o.supplier,
                    ordered_on: o.ordered_on,
                })
                .collect(),
            orders_pager,
            invoices: invoices
                .items
                .into_iter()
                .map(|d| {
                    let n = name_of(&d.institution_id);
                    (d, n)
                })
                .collect(),
            invoices_all,
            invoices_pager,
            stock,
            stock_pager,
            communities,
            order_errors: field_messages(&p.t, &order_errs),
            transfer_errors: field_messages(&p.t, &transfer_errs),
            t: p.t,
            params: q,
            order,
            transfer,
        },
    )
        .into_response()
}

/// The order lines typed one per line: `code quantity [unit price in fen]`.
fn parse_order_lines(text: &str, errs: &mut Vec<FieldError>) -> Vec<OrderLineInput> {
    let mut out = Vec::new();
    for (i, line) in text.lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
        let n = i + 1;
        let parts: Vec<&str> = line.split_whitespace().collect();
        let quantity = match parts.get(1).map(|q| q.parse::<i64>()) {
            Some(Ok(q)) => q,
            _ => {
                errs.push(field_error(
                    &format!("lines[{i}]"),
                    &format!("Line {n}: write the code and a whole quantity"),
                    &format!("第 {n} 行：请填写编码和整数数量"),
                ));
                continue;
            }
        };
        let unit_price = match parts.get(2).map(|p| p.parse::<i64>()) {
            Some(Ok(p)) => Some(p),
            Some(Err(_)) => {
                errs.push(field_error(
                    &format!("lines[{i}]"),
                    &format!("Line {n}: the unit price is a whole number of fen"),
                    &format!("第 {n} 行：单价须为整数（分）"),
                ));
                None
            }
            None => None,
        };
        out.push(OrderLineInput {
            item_code: parts[0].to_owned(),
            quantity,
            unit_price,
        });
    }
    out
}

async fn create_order(State(state): State<AppState>, p: PageActor, headers: HeaderMap, Form(f): Form<OrderForm>) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let mut errs = Vec::new();
    let ordered_on = super::optional_date("ordered_on", &f.ordered_on, &mut errs);
    let lines = parse_order_lines(&f.lines, &mut errs);
    let transfer = TransferForm {
        transfer_no: stamp("DB"),
        ..TransferForm::default()
    };
    if !errs.is_empty() {
        return render(&state, p, Params::default(), f, errs, transfer, Vec::new()).await;
    }
    let input = OrderInput {
        order_no: f.order_no.clone(),
        supplier: f.supplier.clone(),
        ordered_on,
        institution_id: Some(f.institution_id.clone()).filter(|s| !s.is_empty()),
        lines,
    };
    match pharmacy::order(&state.app, &p.actor, &input).await {
        Ok(o) => Redirect::to(&format!("/pharmacy/orders/{}", o.id)).into_response(),
        Err(ServiceError::Validation(errs) | ServiceError::Conflict(errs)) => {
            render(&state, p, Params::default(), f, number_lines(errs, "lines"), transfer, Vec::new()).await
        }
        Err(e) => p.error(e),
    }
}

async fn transfer(State(state): State<AppState>, p: PageActor, headers: HeaderMap, Form(f): Form<TransferForm>) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let mut errs = Vec::new();
    let on = super::optional_date("on", &f.on, &mut errs);
    let quantity = f.quantity.trim().parse::<i64>().unwrap_or_else(|_| {
        errs.push(field_error("quantity", "A whole number of units", "数量须为整数"));
        0
    });
    if f.item_code.trim().is_empty() {
        errs.push(field_error("item_code", "Give the item code", "请填写药品或耗材编码"));
    }
    let order = OrderForm {
        order_no: stamp("CG"),
        ordered_on: sanyi_domain::time::today().to_string(),
        ..OrderForm::default()
    };
    if !errs.is_empty() {
        return render(&state, p, Params::default(), order, Vec::new(), f, errs).await;
    }
    let input = TransferInput {
        transfer_no: f.transfer_no.clone(),
        from_institution_id: Some(f.from_institution_id.clone()).filter(|s| !s.is_empty()),
        to_institution_id: f.to_institution_id.clone(),
        item_code: f.item_code.trim().to_owned(),
        quantity,
        on,
    };
    match pharmacy::transfer(&state.app, &p.actor, &input).await {
        Ok(_) => Redirect::to(&format!(
            "/pharmacy?institution={}&item={}&moved=1#stock",
            url_encode(&f.to_institution_id),
            url_encode(f.item_code.trim())
        ))
        .into_response(),
        Err(ServiceError::Validation(errs) | ServiceError::Conflict(errs)) => {
            render(&state, p, Params::default(), order, Vec::new(), f, errs).await
        }
        Err(e) => p.error(e),
    }
}

// ---------------------------------------------------------------------------------------------
// One order.

#[derive(Deserialize, Default, Clone)]
struct DeliveryForm {
    #[serde(default)]
    delivery_no: String,
    #[serde(default)]
    delivered_on: String,
    /// One line each: `编码 批号 有效期 数量`.
    #[serde(default)]
    lines: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pharmacy_order.html")]
struct OrderPage {
    t: Tr,
    nav: Option<Nav>,
    o: OrderView,
    can_manage: bool,
    form: DeliveryForm,
    /// An example line for the delivery form, from the order's first line.
    example: String,
    errors: HashMap<String, String>,
}

impl super::super::FieldMessages for OrderPage {
    fn messages(&self) -> &HashMap<String, String> {
        &self.errors
    }
}

async fn order_page(State(state): State<AppState>, p: PageActor, Path(id): Path<String>) -> Response {
    let form = DeliveryForm {
        delivery_no: stamp("PS"),
        delivered_on: sanyi_domain::time::today().to_string(),
        lines: String::new(),
    };
    render_order(&state, p, &id, form, Vec::new()).await
}

async fn render_order(state: &AppState, p: PageActor, id: &str, form: DeliveryForm, errs: Vec<FieldError>) -> Response {
    let o = match pharmacy::get_order(&state.app, &p.actor, id).await {
        Ok(o) => o,
        Err(e) => return p.error(e),
    };
    let expiry = sanyi_domain::time::today()
        .checked_add_months(chrono::Months::new(24))
        .unwrap_or_else(sanyi_domain::time::today);
    let example = o
        .lines
        .first()
        .map(|l| format!("{} L{} {expiry} {}", l.item_code, expiry.format("%y%m"), l.quantity))
        .unwrap_or_default();
    let status = if errs.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (
        status,
        OrderPage {
            nav: p.nav(),
            can_manage: p.actor.role.can(Permission::ProcurementManage),
            errors: field_messages(&p.t, &errs),
            t: p.t,
            o,
            form,
            example,
        },
    )
        .into_response()
}

/// The delivery lines typed one per line: `code lot expiry quantity`.
fn parse_delivery_lines(text: &str, errs: &mut Vec<FieldError>) -> Vec<DeliveryLineInput> {
    let mut out = Vec::new();
    for (i, line) in text.lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
        let n = i + 1;
        let parts: Vec<&str> = line.split_whitespace().collect();
        let bad = |errs: &mut Vec<FieldError>| {
            errs.push(field_error(
                &format!("lines[{i}]"),
                &format!("Line {n}: write code, lot, expiry (YYYY-MM-DD) and a whole quantity"),
                &format!("第 {n} 行：请按“编码 批号 有效期(年-月-日) 数量”填写"),
            ));
        };
        if parts.len() != 4 {
            bad(errs);
            continue;
        }
        let (Ok(expires_on), Ok(quantity)) = (chrono::NaiveDate::parse_from_str(parts[2], "%Y-%m-%d"), parts[3].parse::<i64>()) else {
            bad(errs);
            continue;
        };
        out.push(DeliveryLineInput {
            item_code: parts[0].to_owned(),
            lot_no: parts[1].to_owned(),
            expires_on,
            quantity,
        });
    }
    out
}

async fn deliver(
    State(state): State<AppState>,
    p: PageActor,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<DeliveryForm>,
) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let mut errs = Vec::new();
    let delivered_on = super::optional_date("delivered_on", &f.delivered_on, &mut errs);
    let lines = parse_delivery_lines(&f.lines, &mut errs);
    if !errs.is_empty() {
        return render_order(&state, p, &id, f, errs).await;
    }
    let input = DeliveryInput {
        delivery_no: f.delivery_no.clone(),
        delivered_on,
        lines,
    };
    match pharmacy::deliver(&state.app, &p.actor, &id, &input).await {
        Ok(_) => Redirect::to(&format!("/pharmacy/orders/{id}#deliveries")).into_response(),
        Err(ServiceError::Validation(errs) | ServiceError::Conflict(errs)) => {
            render_order(&state, p, &id, f, number_lines(errs, "lines")).await
        }
        Err(e) => p.error(e),
    }
}

#[derive(Deserialize, Default)]
struct StepForm {
    #[serde(default)]
    on: String,
    /// The page to return to.
    #[serde(default)]
    back: String,
}

fn back_to(f: &StepForm) -> String {
    if f.back.starts_with("/pharmacy") && !f.back.starts_with("//") {
        f.back.clone()
    } else {
        "/pharmacy#invoices".into()
    }
}

async fn step(state: &AppState, p: PageActor, headers: &HeaderMap, id: &str, f: StepForm, pay: bool) -> Response {
    if !same_origin(headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let mut errs = Vec::new();
    let on = super::optional_date("on", &f.on, &mut errs);
    if !errs.is_empty() {
        return p.error(ServiceError::Validation(errs));
    }
    let input = DayInput { on };
    let done = if pay {
        pharmacy::pay(&state.app, &p.actor, id, &input).await
    } else {
        pharmacy::accept(&state.app, &p.actor, id, &input).await
    };
    match done {
        Ok(_) => Redirect::to(&back_to(&f)).into_response(),
        Err(e) => p.error(e),
    }
}

async fn accept(
    State(state): State<AppState>,
    p: PageActor,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<StepForm>,
) -> Response {
    step(&state, p, &headers, &id, f, false).await
}

async fn pay(State(state): State<AppState>, p: PageActor, headers: HeaderMap, Path(id): Path<String>, Form(f): Form<StepForm>) -> Response {
    step(&state, p, &headers, &id, f, true).await
}
