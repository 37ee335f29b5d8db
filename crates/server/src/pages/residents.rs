//! Resident pages: search, registration form, record page; and the audit log page.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use sanyi_app::Page;
use sanyi_app::audit::AuditEntry;
use sanyi_app::audit::{self, AuditFilter};
use sanyi_app::insurance::eligibility;
use sanyi_app::residents::{self as service, ResidentDetail, ResidentInput, ResidentSearch, ResidentSummary};
use sanyi_app::{FieldError, ServiceError};

use super::BeijingTime;
use super::FieldMessages as _;
use super::{Nav, PageActor, same_origin};
use crate::AppState;
use crate::i18n::Tr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/residents", get(search).post(create))
        .route("/residents/new", get(new_form))
        .route("/residents/{id}", get(record))
        .route("/residents/{id}/eligibility", axum::routing::post(record_eligibility))
        .route(
            "/residents/{id}/eligibility/{eligibility}/revoke",
            axum::routing::post(revoke_eligibility),
        )
        .route("/audit", get(audit_page))
}

const PAGE_SIZE: i64 = 50;

#[derive(Deserialize, Default)]
struct SearchParams {
    id_number: Option<String>,
    name: Option<String>,
    area: Option<String>,
    offset: Option<i64>,
    /// The form a resident is being chosen for (`/referrals/new`, …): rows link back to it.
    pick: Option<String>,
}

/// The forms that choose a resident through the search page, with the parameter each takes.
const PICK_TARGETS: [(&str, &str); 5] = [
    ("/referrals/new", "resident"),
    ("/consultations/new", "resident"),
    ("/readings/new", "resident"),
    ("/claims/new", "resident_id"),
    ("/prescriptions/new", "resident_id"),
];

#[derive(Template, WebTemplate)]
#[template(path = "residents.html")]
struct SearchPage {
    t: Tr,
    nav: Option<Nav>,
    id_number: String,
    name: String,
    area: String,
    /// The villages of the user's area: (code, "county · village"), the area picker.
    villages: Vec<(String, String)>,
    items: Vec<ResidentSummary>,
    pager: super::Pager,
    error: Option<String>,
    /// The form being filled, and its parameter.
    pick: Option<(&'static str, &'static str)>,
}

impl SearchPage {
    fn village_name<'a>(&'a self, code: &'a str) -> &'a str {
        self.villages.iter().find(|(c, _)| c == code).map_or(code, |(_, n)| n.as_str())
    }
}

fn query_string(p: &SearchParams, offset: i64) -> String {
    let enc = |s: &Option<String>| super::url_encode(s.as_deref().unwrap_or(""));
    format!(
        "/residents?id_number={}&name={}&area={}&pick={}&offset={offset}",
        enc(&p.id_number),
        enc(&p.name),
        enc(&p.area),
        enc(&p.pick)
    )
}

async fn search(State(state): State<AppState>, p: PageActor, Query(q): Query<SearchParams>) -> Response {
    let offset = q.offset.unwrap_or(0).max(0);
    let s = ResidentSearch {
        id_number: q.id_number.clone(),
        name: q.name.clone(),
        area: q.area.clone(),
    };
    let villages = match sanyi_app::registry::villages(&state.app, &p.actor).await {
        Ok(v) => v,
        Err(e) => return p.error(e),
    };
    let pick = q
        .pick
        .as_deref()
        .and_then(|t| PICK_TARGETS.into_iter().find(|(path, _)| *path == t));
    let mut page = SearchPage {
        nav: Some(Nav::of(&p.actor, &p.t)),
        t: p.t,
        id_number: q.id_number.clone().unwrap_or_default(),
        name: q.name.clone().unwrap_or_default(),
        area: q.area.clone().unwrap_or_default(),
        villages,
        items: vec![],
        pager: super::Pager::new(0, 0, PAGE_SIZE, |_| String::new()),
        error: None,
        pick,
    };
    match service::search(&state.app, &p.actor, &s, Page { offset, limit: PAGE_SIZE }).await {
        Ok(r) => {
            page.pager = super::Pager::new(r.total, offset, PAGE_SIZE, |o| query_string(&q, o));
            page.items = r.items;
            page.into_response()
        }
        Err(ServiceError::Validation(errs)) => {
            page.error = Some(
                errs.iter()
                    .map(|e| p.t.pick(&e.message_zh, &e.message).to_owned())
                    .collect::<Vec<_>>()
                    .join("；"),
            );
            (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
        }
        Err(e) => p.error(e),
    }
}

/// The resident a form is for, by name and masked ID number (empty when none is chosen yet); the
/// read is audited as a read of the record.
pub async fn picked(state: &AppState, p: &PageActor, id: &str) -> Result<String, ServiceError> {
    if id.trim().is_empty() {
        return Ok(String::new());
    }
    let r = service::summary_of(&state.app, &p.actor, id).await?;
    Ok(format!("{} {}", r.name, r.id_number_masked))
}

#[derive(Template, WebTemplate)]
#[template(path = "resident_new.html")]
struct NewPage {
    t: Tr,
    nav: Option<Nav>,
    form: ResidentForm,
    errors: HashMap<String, String>,
    villages: Vec<(String, String)>,
}

impl super::FieldMessages for NewPage {
    fn messages(&self) -> &std::collections::HashMap<String, String> {
        &self.errors
    }
}

#[derive(Deserialize, Default, Clone)]
struct ResidentForm {
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    village_code: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    household_no: String,
    #[serde(default)]
    household_role: String,
}

async fn new_form(State(state): State<AppState>, p: PageActor) -> Response {
    if let Err(e) = p.actor.require(sanyi_app::Permission::ResidentWrite) {
        return p.error(e);
    }
    let villages = match sanyi_app::registry::villages(&state.app, &p.actor).await {
        Ok(v) => v,
        Err(e) => return p.error(e),
    };
    let form = ResidentForm {
        village_code: villages.first().map(|v| v.0.clone()).unwrap_or_default(),
        ..Default::default()
    };
    NewPage {
        nav: Some(Nav::of(&p.actor, &p.t)),
        t: p.t,
        form,
        errors: HashMap::new(),
        villages,
    }
    .into_response()
}

fn opt(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

async fn create(State(state): State<AppState>, p: PageActor, headers: HeaderMap, Form(f): Form<ResidentForm>) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let input = ResidentInput {
        id_number: f.id_number.clone(),
        name: f.name.clone(),
        phone: opt(&f.phone),
        village_code: f.village_code.clone(),
        address: f.address.clone(),
        household_no: opt(&f.household_no),
        household_role: opt(&f.household_role),
    };
    match service::register(&state.app, &p.actor, &input).await {
        Ok(r) => Redirect::to(&format!("/residents/{}", r.id)).into_response(),
        Err(ServiceError::Validation(errs) | ServiceError::Conflict(errs)) => {
            let errors = field_messages(&p.t, &errs);
            let villages = match sanyi_app::registry::villages(&state.app, &p.actor).await {
                Ok(v) => v,
                Err(e) => return p.error(e),
            };
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                NewPage {
                    nav: Some(Nav::of(&p.actor, &p.t)),
                    t: p.t,
                    form: f,
                    errors,
                    villages,
                },
            )
                .into_response()
        }
        Err(e) => p.error(e),
    }
}

fn field_messages(t: &Tr, errs: &[FieldError]) -> HashMap<String, String> {
    let mut m: HashMap<String, String> = HashMap::new();
    for e in errs {
        let msg = format!(
            "{}（{}: {}）",
            t.pick(&e.message_zh, &e.message),
            t.pick("应为", "expected"),
            e.expected
        );
        m.entry(e.field.clone())
            .and_modify(|v| {
                v.push('；');
                v.push_str(&msg);
            })
            .or_insert(msg);
    }
    m
}

#[derive(Template, WebTemplate)]
#[template(path = "resident.html")]
struct RecordPage {
    t: Tr,
    nav: Option<Nav>,
    r: ResidentDetail,
    readings: Vec<(sanyi_app::readings::ReadingView, bool)>,
    may: sanyi_app::workbench::RecordActions,
    /// Chronic-disease approvals, assistance categories, critical illness (待遇资格认定).
    eligibility: Vec<eligibility::EligibilityView>,
    /// The officer may record and revoke them.
    may_approve: bool,
    /// The approval form as typed, with its messages, when it came back.
    approval: ApprovalForm,
    approval_errors: Vec<String>,
}

/// The approval form on a resident's record (insurance officers).
#[derive(Deserialize, Default, Clone)]
struct ApprovalForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    valid_from: String,
    #[serde(default)]
    valid_to: String,
    #[serde(default)]
    review_on: String,
    #[serde(default)]
    evidence: String,
    #[serde(default)]
    reason: String,
}

async fn record(State(state): State<AppState>, p: PageActor, Path(id): Path<String>) -> Response {
    record_page(&state, p, &id, ApprovalForm::default(), Vec::new()).await
}

async fn record_page(state: &AppState, p: PageActor, id: &str, approval: ApprovalForm, approval_errors: Vec<String>) -> Response {
    let r = match service::get(&state.app, &p.actor, id).await {
        Ok(r) => r,
        Err(e) => return p.error(e),
    };
    let eligibility = match eligibility::of_resident(&state.app, &p.actor, id).await {
        Ok(e) => e,
        Err(e) => return p.error(e),
    };
    let status = if approval_errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    match sanyi_app::readings::of_resident(&state.app, &p.actor, id).await {
        Ok(readings) => (
            status,
            RecordPage {
                eligibility,
                may_approve: p.actor.role.can(sanyi_app::Permission::EnrolmentWrite),
                approval,
                approval_errors,
                readings: readings
                    .into_iter()
                    .map(|v| {
                        let open = sanyi_app::readings::openable(&p.actor, &v);
                        (v, open)
                    })
                    .collect(),
                may: sanyi_app::workbench::record_actions(&p.actor),
                nav: Some(Nav::of(&p.actor, &p.t)),
                t: p.t,
                r,
            },
        )
            .into_response(),
        Err(e) => p.error(e),
    }
}

fn parse_day(text: &str) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

/// Records an eligibility from the form on the record; comes back with the messages and the
/// values typed on an error.
async fn record_eligibility(
    State(state): State<AppState>,
    p: PageActor,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<ApprovalForm>,
) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let (from, to) = (parse_day(&f.valid_from), parse_day(&f.valid_to));
    let (Some(valid_from), Some(valid_to)) = (from, to) else {
        let msg =
            p.t.pick("请填写有效期起止日期（年-月-日）", "Give the first and last day valid (YYYY-MM-DD)")
                .to_owned();
        return record_page(&state, p, &id, f, vec![msg]).await;
    };
    let input = eligibility::EligibilityInput {
        kind: f.kind.clone(),
        code: f.code.clone(),
        institution_id: None,
        valid_from,
        valid_to,
        review_on: parse_day(&f.review_on),
        evidence: f.evidence.clone(),
    };
    match eligibility::record(&state.app, &p.actor, &id, &input).await {
        Ok(_) => Redirect::to(&format!("/residents/{id}#eligibility")).into_response(),
        Err(ServiceError::Validation(errs)) => {
            let msgs = errs.iter().map(|e| p.t.pick(&e.message_zh, &e.message).to_owned()).collect();
            record_page(&state, p, &id, f, msgs).await
        }
        Err(e) => p.error(e),
    }
}

/// Revokes an eligibility with its reason.
async fn revoke_eligibility(
    State(state): State<AppState>,
    p: PageActor,
    headers: HeaderMap,
    Path((id, eligibility_id)): Path<(String, String)>,
    Form(f): Form<ApprovalForm>,
) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let input = eligibility::RevokeInput { reason: f.reason.clone() };
    match eligibility::revoke(&state.app, &p.actor, &id, &eligibility_id, &input).await {
        Ok(_) => Redirect::to(&format!("/residents/{id}#eligibility")).into_response(),
        Err(ServiceError::Validation(errs)) => {
            let msgs = errs.iter().map(|e| p.t.pick(&e.message_zh, &e.message).to_owned()).collect();
            record_page(&state, p, &id, ApprovalForm::default(), msgs).await
        }
        Err(e) => p.error(e),
    }
}

#[derive(Deserialize, Default)]
struct AuditParams {
    username: Option<String>,
    resident_id: Option<String>,
    action: Option<String>,
    offset: Option<i64>,
}

#[derive(Template, WebTemplate)]
#[template(path = "audit.html")]
struct AuditPage {
    t: Tr,
    nav: Option<Nav>,
    username: String,
    resident_id: String,
    action: String,
    items: Vec<AuditEntry>,
    names: std::collections::BTreeMap<String, String>,
    pager: super::Pager,
}

async fn audit_page(State(state): State<AppState>, p: PageActor, Query(q): Query<AuditParams>) -> Response {
    let offset = q.offset.unwrap_or(0).max(0);
    let f = AuditFilter {
        username: q.username.as_deref().and_then(opt),
        resident_id: q.resident_id.as_deref().and_then(opt),
        action: q.action.as_deref().and_then(opt),
        ..Default::default()
    };
    let found = match audit::query(&state.app, &p.actor, f, Page { offset, limit: 100 }).await {
        Ok(r) => audit::user_names(&state.app, &r.items).await.map(|names| (r, names)),
        Err(e) => Err(e),
    };
    match found {
        Ok((r, names)) => {
            let pager = super::Pager::new(r.total, offset, 100, |o| {
                format!(
                    "/audit?username={}&resident_id={}&action={}&offset={o}",
                    super::url_encode(q.username.as_deref().unwrap_or("")),
                    super::url_encode(q.resident_id.as_deref().unwrap_or("")),
                    super::url_encode(q.action.as_deref().unwrap_or("")),
                )
            });
            AuditPage {
                nav: Some(Nav::of(&p.actor, &p.t)),
                t: p.t,
                username: q.username.unwrap_or_default(),
                resident_id: q.resident_id.unwrap_or_default(),
                action: q.action.unwrap_or_default(),
                items: r.items,
                names,
                pager,
            }
            .into_response()
        }
        Err(e) => p.error(e),
    }
}
