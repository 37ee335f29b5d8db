//! Consultation pages (远程会诊): the requester's list, the consultation centre's triage board (the
//! invited institution's inbox), the expert's queue, the request form and the consultation with
//! the actions of the viewer's side and the link to its video call.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use sanyi_app::ServiceError;
use sanyi_app::attachments::Workflow;
use sanyi_app::consultations::{self as service, ConsultUrgency, ConsultationAction, ConsultationInput, ConsultationView, ExpertChoice};

use super::BeijingTime;
use super::FieldMessages as _;
use super::{Nav, PageActor, same_origin};
use crate::AppState;
use crate::i18n::Tr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/consultations", get(lists).post(create))
        .route("/consultations/new", get(new_form))
        .route("/consultations/{id}", get(detail))
        .route("/consultations/{id}/act", post(act))
        .route("/consultations/{id}/guests", post(invite_guest))
        .route("/consultations/{id}/guests/{user_id}/remove", post(remove_guest))
}

#[derive(Deserialize, Default)]
struct ListParams {
    view: Option<String>,
    state: Option<String>,
    offset: Option<i64>,
}

/// The newest consultations a queue shows (an expert's own, a guest's: short lists).
const LIST_PAGE: sanyi_app::Page = sanyi_app::Page { offset: 0, limit: 200 };
/// Consultations per page of the request and centre lists.
const BOARD_PAGE: i64 = 50;

#[derive(Template, WebTemplate)]
#[template(path = "consultations.html")]
struct ListPage {
    t: Tr,
    nav: Option<Nav>,
    view: String,
    /// The state the list is narrowed to.
    state: String,
    items: Vec<ConsultationView>,
    /// Numbered pages (the request and centre lists).
    pager: Option<super::Pager>,
}

async fn lists(State(state): State<AppState>, p: PageActor, Query(q): Query<ListParams>) -> Response {
    let view = q.view.unwrap_or_else(|| "out".into());
    let filter = q.state.filter(|s| !s.is_empty());
    let offset = q.offset.unwrap_or(0).max(0);
    if view == "in" || view == "out" {
        let page = sanyi_app::Page { offset, limit: BOARD_PAGE };
        return match service::list(&state.app, &p.actor, view == "in", filter.as_deref(), page).await {
            Ok(list) => {
                let code = filter.clone().unwrap_or_default();
                let link = |o: i64| format!("/consultations?view={view}&state={code}&offset={o}");
                ListPage {
                    pager: Some(super::Pager::new(list.total, offset, BOARD_PAGE, link)),
                    nav: p.nav(),
                    t: p.t,
                    state: code.clone(),
                    view,
                    items: list.items,
                }
                .into_response()
            }
            Err(e) => p.error(e),
        };
    }
    let result = match view.as_str() {
        "guest" => service::as_guest(&state.app, &p.actor).await,
        // The expert's queue: consultations of the institution that list the viewer as expert.
        "mine" => service::list(&state.app, &p.actor, true, None, LIST_PAGE).await.map(|all| {
            all.items
                .into_iter()
                .filter(|c| {
                    c.detail
                        .get("experts")
                        .and_then(|e| e.as_array())
                        .is_some_and(|e| e.iter().any(|x| x.as_str() == Some(p.actor.user_id.as_str())))
                })
                .collect()
        }),
        _ => service::as_guest(&state.app, &p.actor).await,
    };
    match result {
        Ok(items) => ListPage {
            nav: Some(Nav::of(&p.actor, &p.t)),
            t: p.t,
            view,
            state: String::new(),
            items,
            pager: None,
        }
        .into_response(),
        Err(e) => p.error(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "consultation.html")]
struct DetailPage {
    t: Tr,
    nav: Option<Nav>,
    c: ConsultationView,
    print: super::PrintHead,
    is_inviting: bool,
    is_centre: bool,
    is_expert: bool,
    /// The viewer is an invited guest of the call.
    is_guest: bool,
    /// The viewer may invite and withdraw guests (a party, while the video consultation is open).
    can_invite: bool,
    /// The viewer (the MDT chair writes the summary).
    user_id: String,
    experts: Vec<ExpertChoice>,
    attachments: Vec<sanyi_app::attachments::AttachmentView>,
    error: Option<String>,
}

pub(super) async fn render(state: &AppState, p: PageActor, id: &str, error: Option<String>, status: StatusCode) -> Response {
    let c = match service::get(&state.app, &p.actor, id).await {
        Ok(c) => c,
        Err(e) => return p.error(e),
    };
    let rights = match service::viewer_rights(&state.app, &p.actor, &c).await {
        Ok(r) => r,
        Err(e) => return p.error(e),
    };
    let attachments = match sanyi_app::attachments::list(&state.app, &p.actor, Workflow::Consultation, id).await {
        Ok(a) => a,
        Err(e) => return p.error(e),
    };
    (
        status,
        DetailPage {
            nav: Some(Nav::of(&p.actor, &p.t)),
            print: super::PrintHead::new(
                format!("{} · {}", c.invited_name(), p.t.pick("远程会诊意见书", "Consultation opinion")),
                &format!("/consultations/{}", c.id),
                &c.id,
            ),
            t: p.t,
            c,
            is_inviting: rights.is_inviting,
            is_centre: rights.is_centre,
            is_expert: rights.is_expert,
            is_guest: rights.is_guest,
            can_invite: rights.can_invite,
            user_id: p.actor.user_id.clone(),
            experts: rights.experts,
            attachments,
            error,
        },
    )
        .into_response()
}

async fn detail(State(state): State<AppState>, p: PageActor, Path(id): Path<String>) -> Response {
    render(&state, p, &id, None, StatusCode::OK).await
}

async fn act(
    State(state): State<AppState>,
    p: PageActor,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<ConsultationAction>,
) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let outcome = if f.is_auto_assign() {
        service::auto_assign(&state.app, &p.actor, &id).await
    } else {
        match f.command() {
            Ok(c) => service::apply(&state.app, &p.actor, &id, c).await,
            Err(e) => Err(e),
        }
    };
    after_form(&state, p, &id, outcome).await
}

#[derive(Deserialize)]
struct GuestForm {
    username: String,
}

/// Re-renders the consultation with the refusal of a form, or returns to it.
async fn after_form<T>(state: &AppState, p: PageActor, id: &str, outcome: Result<T, ServiceError>) -> Response {
    match outcome {
        Ok(_) => Redirect::to(&format!("/consultations/{id}")).into_response(),
        Err(ServiceError::Validation(errs) | ServiceError::Conflict(errs)) => {
            let msg = super::refusal_text(&p.t, &errs);
            render(state, p, id, Some(msg), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => p.error(e),
    }
}

async fn invite_guest(
    State(state): State<AppState>,
    p: PageActor,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<GuestForm>,
) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let input = service::GuestInput { username: f.username };
    let outcome = service::guests::invite(&state.app, &p.actor, &id, &input).await;
    after_form(&state, p, &id, outcome).await
}

async fn remove_guest(
    State(state): State<AppState>,
    p: PageActor,
    headers: HeaderMap,
    Path((id, user_id)): Path<(String, String)>,
) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let outcome = service::guests::remove(&state.app, &p.actor, &id, &user_id).await;
    after_form(&state, p, &id, outcome).await
}

#[derive(Template, WebTemplate)]
#[template(path = "consultation_new.html")]
struct NewPage {
    t: Tr,
    nav: Option<Nav>,
    /// What was typed (kept when the form comes back with errors).
    form: NewForm,
    errors: std::collections::HashMap<String, String>,
    /// Institutions that can be invited, grouped by county and tier.
    institutions: Vec<sanyi_app::registry::InstitutionGroup>,
    /// The resident, by name and masked ID number.
    resident: String,
}

impl super::FieldMessages for NewPage {
    fn messages(&self) -> &std::collections::HashMap<String, String> {
        &self.errors
    }
}

#[derive(Deserialize, Default)]
struct NewParams {
    resident: Option<String>,
}

async fn new_form(State(state): State<AppState>, p: PageActor, Query(q): Query<NewParams>) -> Response {
    let form = NewForm {
        resident_id: q.resident.unwrap_or_default(),
        ..NewForm::default()
    };
    render_new(&state, p, form, Vec::new()).await
}

async fn render_new(state: &AppState, p: PageActor, form: NewForm, errs: Vec<sanyi_app::FieldError>) -> Response {
    let institutions = match service::consultants(&state.app, &p.actor).await {
        Ok(i) => i,
        Err(e) => return p.error(e),
    };
    let institutions = match sanyi_app::registry::grouped(&state.app, institutions).await {
        Ok(g) => g,
        Err(e) => return p.error(e),
    };
    let super::FormState { resident, status, errors } = match super::FormState::of(state, &p, &form.resident_id, &errs).await {
        Ok(f) => f,
        Err(e) => return p.error(e),
    };
    (
        status,
        NewPage {
            nav: p.nav(),
            t: p.t,
            form,
            errors,
            institutions,
            resident,
        },
    )
        .into_response()
}

#[derive(Deserialize, Default)]
struct NewForm {
    #[serde(default)]
    resident_id: String,
    #[serde(default)]
    invited_institution_id: String,
    #[serde(default)]
    specialty: String,
    #[serde(default)]
    question: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    emergency: Option<String>,
}

async fn create(State(state): State<AppState>, p: PageActor, headers: HeaderMap, Form(f): Form<NewForm>) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let input = ConsultationInput {
        resident_id: f.resident_id.clone(),
        invited_institution_id: f.invited_institution_id.clone(),
        specialty: f.specialty.clone(),
        named_expert: None,
        urgency: Some(if f.emergency.is_some() {
            ConsultUrgency::Emergency
        } else {
            ConsultUrgency::Routine
        }),
        mode: None,
        mdt: false,
        question: f.question.clone(),
        summary: f.summary.clone(),
    };
    match service::request(&state.app, &p.actor, &input).await {
        Ok(c) => Redirect::to(&format!("/consultations/{}", c.id)).into_response(),
        Err(ServiceError::Validation(errs) | ServiceError::Conflict(errs)) => render_new(&state, p, f, errs).await,
        Err(e) => p.error(e),
    }
}
