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
use sanyi_app::registry::Institution;

use super::BeijingTime;
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
}

/// The newest consultations a list page shows.
const LIST_PAGE: sanyi_app::Page = sanyi_app::Page { offset: 0, limit: 200 };

#[derive(Template, WebTemplate)]
#[template(path = "consultations.html")]
struct ListPage {
    t: Tr,
    nav: Option<Nav>,
    view: String,
    items: Vec<ConsultationView>,
}

async fn lists(State(state): State<AppState>, p: PageActor, Query(q): Query<ListParams>) -> Response {
    let view = q.view.unwrap_or_else(|| "out".into());
    let result = match view.as_str() {
        "in" => service::list(&state.app, &p.actor, true, None, LIST_PAGE).await.map(|l| l.items),
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
        _ => service::list(&state.app, &p.actor, false, None, LIST_PAGE).await.map(|l| l.items),
    };
    match result {
        Ok(items) => ListPage {
            nav: Some(Nav::of(&p.actor, &p.t)),
            t: p.t,
            view,
            items,
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
                p.t.pick("远程会诊意见书", "Consultation opinion"),
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
            let msg = errs
                .iter()
                .map(|e| p.t.pick(&e.message_zh, &e.message).to_owned())
                .collect::<Vec<_>>()
                .join("；");
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
    resident_id: String,
    institutions: Vec<Institution>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
struct NewParams {
    resident: Option<String>,
}

async fn new_form(State(state): State<AppState>, p: PageActor, Query(q): Query<NewParams>) -> Response {
    let institutions = match service::consultants(&state.app, &p.actor).await {
        Ok(i) => i,
        Err(e) => return p.error(e),
    };
    NewPage {
        nav: Some(Nav::of(&p.actor, &p.t)),
        t: p.t,
        resident_id: q.resident.unwrap_or_default(),
        institutions,
        error: None,
    }
    .into_response()
}

#[derive(Deserialize, Default)]
struct NewForm {
    resident_id: String,
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
        Err(ServiceError::Validation(errs)) => {
            let error = Some(
                errs.iter()
                    .map(|e| p.t.pick(&e.message_zh, &e.message).to_owned())
                    .collect::<Vec<_>>()
                    .join("；"),
            );
            let institutions = match service::consultants(&state.app, &p.actor).await {
                Ok(i) => i,
                Err(e) => return p.error(e),
            };
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                NewPage {
                    nav: Some(Nav::of(&p.actor, &p.t)),
                    t: p.t,
                    resident_id: f.resident_id,
                    institutions,
                    error,
                },
            )
                .into_response()
        }
        Err(e) => p.error(e),
    }
}
