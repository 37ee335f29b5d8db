//! Referral pages (双向转诊): outbox and inbox with counts by state, the referral with its timeline
//! and the actions the viewer's side may take, and the referral form from a resident's record.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{Duration, NaiveDateTime, TimeZone, Utc};
use serde::Deserialize;

use sanyi_app::ServiceError;
use sanyi_app::attachments::AttachmentView;
use sanyi_app::referrals::{self as service, ReferralBox, ReferralInput, ReferralListItem, ReferralView};
use sanyi_care::actor::InstitutionId;
use sanyi_care::criteria::{GreenChannelCentre, UpwardCriterion};
use sanyi_care::documents::{Consent, ConsentGiver, ConsentMethod, RecentResult};
use sanyi_care::referral::{DownReferralPlan, Party, Placement, ReferralCommand, ReferralPolicy, Urgency};
use sanyi_domain::Tier;
use sanyi_store::registry::Institution;
use sanyi_store::workflow::Workflow;

use super::{Nav, PageActor, page_error, same_origin};
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
    /// Rows over all pages.
    total: i64,
    /// Links to the previous and next pages.
    prev: Option<String>,
    next: Option<String>,
}

async fn boxes(State(state): State<AppState>, p: PageActor, Query(q): Query<BoxParams>) -> Response {
    let which = match ReferralBox::parse(q.side.as_deref()) {
        Ok(b) => b,
        Err(e) => return page_error(p.t, e),
    };
    let filter = q.state.filter(|s| !s.is_empty());
    let counts = match service::counts(&state.app, &p.actor, which).await {
        Ok(c) => c,
        Err(e) => return page_error(p.t, e),
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
                prev: (offset > 0).then(|| link((offset - LIST_PAGE).max(0))),
                next: (offset + LIST_PAGE < list.total).then(|| link(offset + LIST_PAGE)),
                state: state_code,
                counts,
                total: list.total,
                items: list.items,
            }
            .into_response()
        }
        Err(e) => page_error(p.t, e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "referral.html")]
struct DetailPage {
    t: Tr,
    nav: Option<Nav>,
    r: ReferralView,
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
            let attachments = sanyi_app::attachments::list(&state.app, &p.actor, Workflow::Referral, id)
                .await
                .unwrap_or_default();
            let institutions = service::receivers(&state.app, &p.actor).await.unwrap_or_default();
            (
                status,
                DetailPage {
                    nav: Some(Nav::of(&p.actor, &p.t)),
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
        Err(e) => page_error(p.t, e),
    }
}

async fn detail(State(state): State<AppState>, p: PageActor, Path(id): Path<String>) -> Response {
    render_detail(&state, p, &id, None, StatusCode::OK).await
}

#[derive(Deserialize, Default)]
struct ActForm {
    action: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    slot: String,
    #[serde(default)]
    items: String,
    #[serde(default)]
    interval_days: String,
    #[serde(default)]
    visits: String,
    #[serde(default)]
    family_doctor: String,
    /// Alternative receiver (reject), new receiver (reassign) or down-referral target; empty: none
    /// (reassign: keep the receiver; down-referral: the sender).
    #[serde(default)]
    institution: String,
    /// The version the page showed: of two people acting on the same page, one wins.
    #[serde(default)]
    version: Option<i64>,
}

/// A party named by the form; the service takes its tier and county from the registry.
fn named(id: &str) -> Option<Party> {
    let id = id.trim();
    (!id.is_empty()).then(|| Party {
        institution: InstitutionId::new(id),
        tier: Tier::County,
        in_county: false,
    })
}

/// The down-referral plan of the form; the patient goes back to the named institution (the
/// service resolves an empty one to the sender).
fn down_plan(f: &ActForm) -> ReferralCommand {
    let plan = DownReferralPlan {
        target: named(&f.institution).unwrap_or(Party {
            institution: InstitutionId::new(""),
            tier: Tier::Village,
            in_county: false,
        }),
        items: f
            .items
            .split(['；', ';', '，', ','])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        interval_days: f.interval_days.trim().parse().unwrap_or(0),
        targets: Vec::new(),
        family_doctor: sanyi_care::actor::UserId::new(f.family_doctor.trim()),
        visits_required: f.visits.trim().parse().unwrap_or(0),
        high_risk: false,
    };
    ReferralCommand::DischargeWithDownReferral { plan }
}

fn command_of(f: &ActForm, policy: &ReferralPolicy) -> Result<ReferralCommand, String> {
    let now = Utc::now();
    Ok(match f.action.as_str() {
        "accept" => {
            // The slot is a local (Asia/Shanghai) date-time from the form.
            let at = NaiveDateTime::parse_from_str(f.slot.trim(), "%Y-%m-%dT%H:%M")
                .ok()
                .and_then(|t| chrono::FixedOffset::east_opt(8 * 3600).and_then(|tz| tz.from_local_datetime(&t).single()))
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or(now + Duration::days(1));
            ReferralCommand::Accept {
                placement: Placement::Slot {
                    department: f.department.trim().to_owned(),
                    at,
                },
                // The slip stays valid for the policy's period (DOMAIN §2.5: 7 days by default) from the slot.
                valid_until: policy.default_valid_until(at),
            }
        }
        "reject" => ReferralCommand::Reject {
            reason: f.reason.clone(),
            alternative: named(&f.institution),
        },
        "reassign" => ReferralCommand::Reassign {
            receiver: named(&f.institution),
        },
        "cancel" => ReferralCommand::Cancel { reason: f.reason.clone() },
        "pre_review" => ReferralCommand::PreReview,
        "arrive" => ReferralCommand::Arrive,
        "start_care" => ReferralCommand::StartCare,
        "discharge_home" => ReferralCommand::DischargeHome {
            feedback: f.reason.clone(),
        },
        "down_refer" => down_plan(f),
        "submit" => ReferralCommand::Submit,
        "receive_down" => ReferralCommand::ReceiveDown,
        "record_follow_up" => ReferralCommand::RecordFollowUp,
        "close" => ReferralCommand::Close,
        "complete_paperwork" => ReferralCommand::CompletePaperwork,
        other => return Err(format!("unknown action {other:?}")),
    })
}

async fn act(State(state): State<AppState>, p: PageActor, headers: HeaderMap, Path(id): Path<String>, Form(f): Form<ActForm>) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let command = match command_of(&f, &state.app.policies.referral) {
        Ok(c) => c,
        Err(e) => return render_detail(&state, p, &id, Some(e), StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    match service::apply(&state.app, &p.actor, &id, command, f.version).await {
        Ok(_) => Redirect::to(&format!("/referrals/{id}")).into_response(),
        Err(ServiceError::Validation(errs) | ServiceError::Conflict(errs)) => {
            let msg = errs
                .iter()
                .map(|e| p.t.pick(&e.message_zh, &e.message).to_owned())
                .collect::<Vec<_>>()
                .join("；");
            render_detail(&state, p, &id, Some(msg), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(ServiceError::VersionConflict { .. }) => {
            let msg = p.t.pick(
                "转诊单已被他人修改，请查看最新状态后重试",
                "Someone changed the referral meanwhile; check its state and retry",
            );
            render_detail(&state, p, &id, Some(msg.to_owned()), StatusCode::CONFLICT).await
        }
        Err(e) => page_error(p.t, e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "referral_new.html")]
struct NewPage {
    t: Tr,
    nav: Option<Nav>,
    resident_id: String,
    receivers: Vec<Institution>,
    /// Upward criteria (DOMAIN §2.3): (code, Chinese label).
    criteria: Vec<(String, &'static str)>,
    /// Green-channel centres: (code, Chinese label).
    centres: Vec<(String, &'static str)>,
    error: Option<String>,
}

fn criteria() -> Vec<(String, &'static str)> {
    UpwardCriterion::ALL.iter().map(|c| (code(c), c.label_zh())).collect()
}

fn centres() -> Vec<(String, &'static str)> {
    GreenChannelCentre::ALL.iter().map(|c| (code(c), c.label_zh())).collect()
}

/// The serde code of an engine enum.
fn code<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// An enum of the form by its serde code; empty or unknown: none.
fn of_code<T: serde::de::DeserializeOwned>(s: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(s.trim().to_owned())).ok()
}

#[derive(Deserialize, Default)]
struct NewParams {
    resident: Option<String>,
}

async fn new_form(State(state): State<AppState>, p: PageActor, Query(q): Query<NewParams>) -> Response {
    let receivers = service::receivers(&state.app, &p.actor).await.unwrap_or_default();
    NewPage {
        nav: Some(Nav::of(&p.actor, &p.t)),
        t: p.t,
        resident_id: q.resident.unwrap_or_default(),
        receivers,
        criteria: criteria(),
        centres: centres(),
        error: None,
    }
    .into_response()
}

#[derive(Deserialize, Default)]
struct NewForm {
    resident_id: String,
    receiver_institution_id: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    diagnoses: String,
    /// `patient`, `guardian`, `relative`; empty: no consent recorded.
    #[serde(default)]
    consent_by: String,
    #[serde(default)]
    consent_signer: String,
    #[serde(default)]
    consent_method: String,
    #[serde(default)]
    result_item: String,
    #[serde(default)]
    result_value: String,
    #[serde(default)]
    result_unit: String,
    #[serde(default)]
    result_date: String,
    #[serde(default)]
    result_mark: String,
    /// Upward criterion code; empty: none.
    #[serde(default)]
    criterion: String,
    /// `emergency` for the green channel.
    #[serde(default)]
    urgency: String,
    /// Green-channel centre code.
    #[serde(default)]
    centre: String,
    /// Checkbox: pre-review by the sending head before the receiver sees it.
    #[serde(default)]
    pre_review: Option<String>,
}

impl NewForm {
    fn consent(&self) -> Option<Consent> {
        let given_by = match self.consent_by.as_str() {
            "patient" => ConsentGiver::Patient,
            "guardian" => ConsentGiver::Guardian,
            "relative" => ConsentGiver::Relative,
            _ => return None,
        };
        let method = match self.consent_method.as_str() {
            "electronic" => ConsentMethod::Electronic,
            "verbal_witnessed" => ConsentMethod::VerbalWitnessed,
            _ => ConsentMethod::SignedForm,
        };
        let signer = self.consent_signer.trim();
        Some(Consent {
            given_by,
            signer_name: (!signer.is_empty()).then(|| signer.to_owned()),
            method,
            date: Utc::now().date_naive(),
        })
    }

    /// The one result row of the form, when filled in (an unreadable date becomes today's, which
    /// the page shows back).
    fn results(&self) -> Vec<RecentResult> {
        if self.result_item.trim().is_empty() && self.result_value.trim().is_empty() {
            return Vec::new();
        }
        let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        vec![RecentResult {
            item: self.result_item.trim().to_owned(),
            value: self.result_value.trim().to_owned(),
            unit: opt(&self.result_unit),
            date: chrono::NaiveDate::parse_from_str(self.result_date.trim(), "%Y-%m-%d").unwrap_or_else(|_| Utc::now().date_naive()),
            recognition_mark: opt(&self.result_mark),
        }]
    }
}

async fn create(State(state): State<AppState>, p: PageActor, headers: HeaderMap, Form(f): Form<NewForm>) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let input = ReferralInput {
        resident_id: f.resident_id.clone(),
        receiver_institution_id: f.receiver_institution_id.clone(),
        reason: f.reason.clone(),
        summary: f.summary.clone(),
        diagnoses: f
            .diagnoses
            .split([';', '；', ',', '，', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        criterion: of_code(&f.criterion),
        consent: f.consent(),
        results: f.results(),
        submit: true,
        urgency: if f.urgency == "emergency" {
            Urgency::Emergency
        } else {
            Urgency::Routine
        },
        centre: of_code(&f.centre),
        pre_review: f.pre_review.is_some(),
    };
    match service::create(&state.app, &p.actor, &input).await {
        Ok(r) => Redirect::to(&format!("/referrals/{}", r.id)).into_response(),
        Err(ServiceError::Validation(errs) | ServiceError::Conflict(errs)) => {
            let error = Some(
                errs.iter()
                    .map(|e| p.t.pick(&e.message_zh, &e.message).to_owned())
                    .collect::<Vec<_>>()
                    .join("；"),
            );
            let receivers = service::receivers(&state.app, &p.actor).await.unwrap_or_default();
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                NewPage {
                    nav: Some(Nav::of(&p.actor, &p.t)),
                    t: p.t,
                    resident_id: f.resident_id,
                    receivers,
                    criteria: criteria(),
                    centres: centres(),
                    error,
                },
            )
                .into_response()
        }
        Err(e) => page_error(p.t, e),
    }
}
