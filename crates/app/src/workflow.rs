//! What the referral and consultation use cases share: state codes, turning an engine transition
//! into a stored event and a timeline line, the actor as the care engine sees it, refusals as
//! service errors, and the institution's side of a list.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use sanyi_care::actor::{ActorRef, InstitutionId, Role as CareRole, UserId};
use sanyi_store::workflow::{Side, WorkflowEvent};

use crate::error::Errors;
use crate::{Actor, App, FieldError, Role, ServiceError};

/// The snake_case code of an engine enum (its serde name).
pub(crate) fn code<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A transition reported by the care engine (referral or consultation event).
pub(crate) trait Transition {
    /// State before, state after and command, as codes.
    fn codes(&self) -> (String, String, String);
    /// Acting user and institution.
    fn who(&self) -> (Option<&UserId>, Option<&InstitutionId>);
    /// When.
    fn at(&self) -> DateTime<Utc>;
    /// Reason given.
    fn reason(&self) -> Option<String>;
}

macro_rules! transition {
    ($t:ty) => {
        impl Transition for $t {
            fn codes(&self) -> (String, String, String) {
                (code(&self.from), code(&self.to), code(&self.command))
            }
            fn who(&self) -> (Option<&UserId>, Option<&InstitutionId>) {
                (self.actor.as_ref(), self.institution.as_ref())
            }
            fn at(&self) -> DateTime<Utc> {
                self.at
            }
            fn reason(&self) -> Option<String> {
                self.reason.clone()
            }
        }
    };
}
transition!(sanyi_care::referral::Event);
transition!(sanyi_care::consultation::ConsultationEvent);

/// The stored form of a transition of the workflow `subject_id` in county `division`.
pub(crate) fn event_row(division: &str, subject_id: &str, e: &impl Transition) -> WorkflowEvent {
    let (from_state, to_state, command) = e.codes();
    let (actor, institution) = e.who();
    WorkflowEvent {
        division_code: division.to_owned(),
        id: sanyi_store::new_id(),
        subject_id: subject_id.to_owned(),
        from_state,
        to_state,
        command,
        actor_user_id: actor.map(|u| u.as_str().to_owned()),
        institution_id: institution.map(|i| i.as_str().to_owned()),
        at: e.at(),
        reason: e.reason(),
    }
}

/// One transition as shown on a referral's, consultation's or reading's timeline.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TimelineEntry {
    /// From state.
    pub from: String,
    /// From state in Chinese.
    pub from_zh: String,
    /// To state.
    pub to: String,
    /// To state in Chinese.
    pub to_zh: String,
    /// Command or timer.
    pub command: String,
    /// The action in Chinese.
    pub command_zh: String,
    /// Acting user (none for timers).
    pub actor_user_id: Option<String>,
    /// Institution acted for.
    pub institution_id: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
    /// Reason given.
    pub reason: Option<String>,
}

/// The timeline of a workflow whose states are `S`, naming states and actions in Chinese
/// (`command_zh` labels an action code; an unknown code shows as itself).
pub(crate) fn timeline<S: sanyi_care::WorkflowState>(
    events: Vec<WorkflowEvent>,
    command_zh: fn(&str) -> Option<&'static str>,
) -> Vec<TimelineEntry> {
    let state_zh = |c: &str| S::parse(c).map_or_else(|| c.to_owned(), |s| s.label_zh().to_owned());
    events
        .into_iter()
        .map(|e| TimelineEntry {
            from_zh: state_zh(&e.from_state),
            to_zh: state_zh(&e.to_state),
            command_zh: command_zh(&e.command).map_or_else(|| e.command.clone(), str::to_owned),
            from: e.from_state,
            to: e.to_state,
            command: e.command,
            actor_user_id: e.actor_user_id,
            institution_id: e.institution_id,
            at: e.at,
            reason: e.reason,
        })
        .collect()
}

/// The Chinese label of an engine command kind by its code.
pub(crate) fn kind_label<K: serde::de::DeserializeOwned>(code: &str, label: fn(K) -> &'static str) -> Option<&'static str> {
    serde_json::from_value::<K>(serde_json::Value::String(code.to_owned()))
        .ok()
        .map(label)
}

/// The actor as the care engine sees it: their institution, and `centre` (the referral or
/// consultation centre role) for administrators, doctors otherwise.
///
/// # Errors
/// `Forbidden` when the actor works for no institution.
pub(crate) fn care_actor(actor: &Actor, centre: CareRole) -> Result<ActorRef, ServiceError> {
    let institution = actor.institution_id.clone().ok_or(ServiceError::Forbidden {
        role: actor.role.code(),
        permission: "workflow.institution",
    })?;
    let role = if actor.role == Role::Administrator {
        centre
    } else {
        CareRole::Doctor
    };
    Ok(ActorRef::new(actor.user_id.clone(), institution, role))
}

/// A refused command: `NotAllowed` is 403 (checked before the state), a command the state does not
/// allow is a conflict, anything else an invalid command. `what` names the workflow in rule ids
/// (`referral.state`) and English; `what_zh` in Chinese.
pub(crate) enum Refusal {
    /// The actor's side may not do it.
    NotAllowed,
    /// The state does not allow it: (state code, state label, command code).
    State(String, &'static str, String),
    /// The command is incomplete or breaks a rule.
    Invalid(String),
}

pub(crate) fn refusal(actor: &Actor, r: Refusal, what: &'static str, what_zh: &str) -> ServiceError {
    match r {
        Refusal::NotAllowed => ServiceError::Forbidden {
            role: actor.role.code(),
            permission: "workflow.act",
        },
        Refusal::State(from, from_zh, command) => ServiceError::Conflict(vec![FieldError::new(
            "command",
            &format!("{what}.state"),
            "a command allowed in the current state",
            &format!("Cannot {command} a {what} that is {from}"),
            &format!("当前状态（{from_zh}）不能执行该操作"),
        )]),
        Refusal::Invalid(message) => ServiceError::Validation(vec![FieldError::new(
            "command",
            &format!("{what}.rule"),
            "a complete and valid command",
            &message,
            &format!("{what_zh}操作无效：{message}"),
        )]),
    }
}

/// The side of an institution's list.
pub(crate) fn side(inbox: bool) -> Side {
    if inbox { Side::In } else { Side::Out }
}

/// Counts per state code with the state's Chinese label: (code, label, count).
pub(crate) fn labelled<S: serde::de::DeserializeOwned>(
    rows: Vec<(String, i64)>,
    label: fn(S) -> &'static str,
) -> Vec<(String, String, i64)> {
    rows.into_iter()
        .map(|(state, n)| {
            let zh = serde_json::from_value::<S>(serde_json::Value::String(state.clone()))
                .map(|s| label(s).to_owned())
                .unwrap_or_default();
            (state, zh, n)
        })
        .collect()
}

/// Institution and resident names of the rows of a workflow list, loaded in two queries.
pub(crate) struct Names {
    pub(crate) institutions: std::collections::HashMap<String, String>,
    /// Resident id → (name, ID number).
    pub(crate) residents: std::collections::HashMap<String, (String, String)>,
}

impl Names {
    /// The names of the given institutions and residents (duplicates are asked once).
    pub(crate) async fn load(app: &crate::App, mut institutions: Vec<String>, mut residents: Vec<String>) -> Result<Names, ServiceError> {
        for v in [&mut institutions, &mut residents] {
            v.sort();
            v.dedup();
        }
        let (ids, people) = (institutions, residents);
        Ok(Names {
            institutions: sanyi_store::registry::names(&app.db, &ids).await?,
            residents: sanyi_store::residents::names(&app.db, &people).await?,
        })
    }
}

/// What a new referral or consultation starts from: the acting party, the field errors found so
/// far and the parties (see [`parties`]).
pub(crate) struct Opening {
    /// The actor as the engine sees them.
    pub who: ActorRef,
    /// Field errors collected so far (an unknown counterpart).
    pub errs: Errors,
    /// The resident.
    pub resident: sanyi_store::residents::Resident,
    /// The actor's institution.
    pub own: sanyi_store::registry::Institution,
    /// The counterpart institution, when it is one of the pool's.
    pub counterpart: Option<sanyi_store::registry::Institution>,
}

/// The audit entry of a transition `e` of a `kind` of workflow (`referral`, `consultation`,
/// `reading`) about `resident_id`: an update naming the states it went between.
pub(crate) fn transition_audit(actor: &Actor, kind: &str, e: &WorkflowEvent, resident_id: &str) -> sanyi_store::audit::AuditEntry {
    crate::audit::entry(
        actor,
        &e.division_code,
        "update",
        kind,
        &e.subject_id,
        Some(resident_id),
        &format!("{} -> {}", e.from_state, e.to_state),
    )
}

/// The audit entry of a new referral or consultation `id` of `resident`, sent `to` an
/// institution: `action` (`refer`, `consult`) on a `kind` (`referral`, `consultation`).
pub(crate) fn opened_audit(
    actor: &Actor,
    resident: &sanyi_store::residents::Resident,
    (action, kind): (&str, &str),
    id: &str,
    to: &str,
) -> sanyi_store::audit::AuditEntry {
    crate::audit::entry(
        actor,
        &resident.division_code,
        action,
        kind,
        id,
        Some(&resident.id),
        &format!("to {to}"),
    )
}

/// Checks that the actor may start a referral or consultation acting as `role` for their
/// institution, and loads its parties.
///
/// # Errors
/// `Forbidden` without write permission or institution; as [`parties`].
pub(crate) async fn open(
    app: &App,
    actor: &Actor,
    role: sanyi_care::actor::Role,
    resident_id: &str,
    counterpart_id: &str,
    labels: (&str, &str, &str),
) -> Result<Opening, ServiceError> {
    actor.require(crate::Permission::ReferralWrite)?;
    let who = care_actor(actor, role)?;
    let mut errs = Errors::default();
    let (resident, own, counterpart) = parties(app, actor, &who, resident_id, counterpart_id, labels, &mut errs).await?;
    Ok(Opening {
        who,
        errs,
        resident,
        own,
        counterpart,
    })
}

/// Who a new referral or consultation involves: the resident (active, inside the actor's area), the
/// actor's institution and the counterpart institution named by the input field `field`, which must
/// belong to the same insurance pool — a field error in `errs` otherwise (`None` then).
///
/// # Errors
/// `NotFound` for a resident outside the area or a missing own institution; a database error.
async fn parties(
    app: &App,
    actor: &Actor,
    who: &ActorRef,
    resident_id: &str,
    counterpart_id: &str,
    (field, en, zh): (&str, &str, &str),
    errs: &mut Errors,
) -> Result<
    (
        sanyi_store::residents::Resident,
        sanyi_store::registry::Institution,
        Option<sanyi_store::registry::Institution>,
    ),
    ServiceError,
> {
    let resident = sanyi_store::residents::get(&app.db, &actor.scope, resident_id)
        .await?
        .filter(|r| r.status == "active")
        .ok_or(ServiceError::NotFound)?;
    let own = sanyi_store::registry::institution(&app.db, who.institution.as_str())
        .await?
        .ok_or(ServiceError::NotFound)?;
    let counterpart = sanyi_store::registry::institution(&app.db, counterpart_id)
        .await?
        .filter(|i| i.division_code.get(..4) == own.division_code.get(..4));
    if counterpart.is_none() {
        errs.push(FieldError::new(
            field,
            "institution.pool",
            "an institution of the same insurance pool",
            en,
            zh,
        ));
    }
    Ok((resident, own, counterpart))
}
