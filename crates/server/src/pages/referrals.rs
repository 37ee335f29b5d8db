//! Referral pages (双向转诊): outbox and inbox with counts by state, the referral with its timeline
//! and the actions the viewer's side may take, and the referral form from a resident's record.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use sanyi_app::ServiceError;
use sanyi_app::attachments::{AttachmentView, Workflow};
use sanyi_app::referrals::{self as service, ReferralAction, ReferralBox, ReferralForm, ReferralListItem, ReferralView, centres, criteria};
use sanyi_app::registry::Institution;

use super::BeijingTime;
use super::FieldMessages as _;
use super::{Nav, PageActor, same_origin};
use crate::AppState;
use crate::i18n::Tr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/referrals", get(boxes).post(create))
        .route("/referrals/new", get(new_form))
        .route("/referrals/{id}", get(detail))
        .route("/referrals/{id}/act", post(act))
}

#[derive(Deserialize, Default)]
struct BoxParams {
    #[serde(rename = "box")]
    side: Option<String>,
    state: Option<String>,
    offset: Option<i64>,
}

/// Referrals per list page.
const LIST_PAGE: i64 = 50;

#[derive(Template, WebTemplate)]
#[template(path = "referrals.html")]
struct BoxPage {
    t: Tr,
    nav: Option<Nav>,
    /// `out`, `in` or `down`.
    side: &'static str,
    state: String,
    counts: Vec<(String, String, i64)>,
    items: Vec<ReferralListItem>,
    /// Numbered pages with the total.
    pager: super::Pager,
}

async fn boxes(State(state): State<AppState>, p: PageActor, Query(q): Query<BoxParams>) -> Response {
    let which = match ReferralBox::parse(q.side.as_deref()) {
        Ok(b) => b,
        Err(e) => return p.error(e),
    };
    let filter = q.state.filter(|s| !s.is_empty());
    let counts = match service::counts(&state.app, &p.actor, which).await {
        Ok(c) => c,
        Err(e) => return p.error(e),
    };
    let offset = q.offset.unwrap_or(0).max(0);
    let page = sanyi_app::Page { offset, limit: LIST_PAGE };
    match service::list(&state.app, &p.actor, which, filter.as_deref(), page).await {
        Ok(list) => {
            let state_code = filter.unwrap_or_default();
            let link = |o: i64| format!("/referrals?box={}&state={}&offset={o}", which.code(), state_code);
            BoxPage {
                nav: Some(Nav::of(&p.actor, &p.t)),
                t: p.t,
                side: which.code(),
                pager: super::Pager::new(list.total, offset, LIST_PAGE, link),
                state: state_code,
                counts,
                items: list.items,
            }
            .into_response()
        }
        Err(e) => p.error(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "referral.html")]
struct DetailPage {
    t: Tr,
    nav: Option<Nav>,
    r: ReferralView,
    print: super::PrintHead,
    is_sender: bool,
    is_receiver: bool,
    /// The viewer's institution takes the patient back (down-referral target).
    is_down_target: bool,
    /// The viewer is the referral centre (administrator) of the sender or receiver.
    is_centre: bool,
    /// Institutions to name as alternative receiver, reassignment or down-referral target.
    institutions: Vec<Institution>,
    attachments: Vec<AttachmentView>,
    error: Option<String>,
}

pub(super) async fn render_detail(state: &AppState, p: PageActor, id: &str, error: Option<String>, status: StatusCode) -> Response {
    match service::get(&state.app, &p.actor, id).await {
        Ok(r) => {
            let own = p.actor.institution_id.clone().unwrap_or_default();
            let (is_sender, is_receiver) = (r.sender_institution_id == own, r.receiver_institution_id == own);
            let is_down_target = r.down_target_institution_id == own;
            let is_centre = p.actor.role == sanyi_app::Role::Administrator && (is_sender || is_receiver);
            let attachments = match sanyi_app::attachments::list(&state.app, &p.actor, Workflow::Referral, id).await {
                Ok(a) => a,
                Err(e) => return p.error(e),
            };
            let institutions = match service::receivers(&state.app, &p.actor).await {
                Ok(i) => i,
                Err(e) => return p.error(e),
            };
            (
                status,
                DetailPage {
                    nav: Some(Nav::of(&p.actor, &p.t)),
                    print: super::PrintHead::new(
                        format!("{} · {}", r.sender_name, p.t.pick("双向转诊单", "Referral slip")),
                        &format!("/referrals/{}", r.id),
                        &r.id,
                    ),
                    t: p.t,
                    r,
                    is_sender,
                    is_receiver,
                    is_down_target,
                    is_centre,
                    institutions,
                    attachments,
                    error,
                },
            )
                .into_response()
        }
        Err(e) => p.error(e),
    }
}

async fn detail(State(state): State<AppState>, p: PageActor, Path(id): Path<String>) -> Response {
    render_detail(&state, p, &id, None, StatusCode::OK).await
}

async fn act(
    State(state): State<AppState>,
    p: PageActor,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<ReferralAction>,
) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let command = f.command(&state.app.policies.referral);
    let applied = match command {
        Ok(command) => service::apply(&state.app, &p.actor, &id, command, f.version).await,
        Err(e) => Err(e),
    };
    match applied {
        Ok(_) => Redirect::to(&format!("/referrals/{id}")).into_response(),
        Err(ServiceError::Validation(errs) | ServiceError::Conflict(errs)) => {
            let msg = super::refusal_text(&p.t, &errs);
            render_detail(&state, p, &id, Some(msg), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(ServiceError::VersionConflict { .. }) => {
            let msg = p.t.pick(
                "转诊单已被他人修改，请查看最新状态后重试",
                "Someone changed the referral meanwhile; check its state and retry",
            );
            render_detail(&state, p, &id, Some(msg.to_owned()), StatusCode::CONFLICT).await
        }
        Err(e) => p.error(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "referral_new.html")]
struct NewPage {
    t: Tr,
    nav: Option<Nav>,
    /// What was typed (kept when the form comes back with errors).
    form: ReferralForm,
    /// Field → message in the user's words.
    errors: std::collections::HashMap<String, String>,
    /// Receiving institutions grouped by county and tier.
    receivers: Vec<sanyi_app::registry::InstitutionGroup>,
    /// Upward criteria (docs/rules/referral.md#criteria): (code, Chinese label).
    criteria: Vec<(String, &'static str)>,
    /// Green-channel centres: (code, Chinese label).
    centres: Vec<(String, &'static str)>,
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
    let form = ReferralForm {
        resident_id: q.resident.unwrap_or_default(),
        ..ReferralForm::default()
    };
    render_new(&state, p, form, Vec::new()).await
}

async fn render_new(state: &AppState, p: PageActor, form: ReferralForm, errs: Vec<sanyi_app::FieldError>) -> Response {
    let receivers = match service::receivers(&state.app, &p.actor).await {
        Ok(r) => r,
        Err(e) => return p.error(e),
    };
    let receivers = match sanyi_app::registry::grouped(&state.app, receivers).await {
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
            receivers,
            criteria: criteria(),
            centres: centres(),
            resident,
        },
    )
        .into_response()
}

async fn create(State(state): State<AppState>, p: PageActor, headers: HeaderMap, Form(f): Form<ReferralForm>) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let created = match f.input() {
        Ok(input) => service::create(&state.app, &p.actor, &input).await,
        Err(e) => Err(e),
    };
    match created {
        Ok(r) => Redirect::to(&format!("/referrals/{}", r.id)).into_response(),
        Err(ServiceError::Validation(errs) | ServiceError::Conflict(errs)) => render_new(&state, p, f, errs).await,
        Err(e) => p.error(e),
    }
}
