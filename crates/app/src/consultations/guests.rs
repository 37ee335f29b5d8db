//! Invited guests of a video consultation (受邀参会人员): the parties bring a colleague into the
//! call — the referring village doctor, the resident's family doctor, a trainee, another
//! specialist. Guests are admitted to the call page and its signalling socket and may read the
//! consultation; the engine's workflow stays with the two sides.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use sanyi_care::consultation::{ConsultMode, Consultation};
use sanyi_store::consultations::{self as repo, ConsultationRow, GuestRow};

use super::visible;
use crate::{Actor, App, FieldError, Permission, Role, ServiceError, audit};

/// At most this many guests on one call (a consultation room, not a lecture).
pub const MAX_GUESTS: usize = 8;

/// Whom to invite.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct GuestInput {
    /// The guest's login name.
    pub username: String,
}

/// An invited guest.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct GuestView {
    /// User id.
    pub user_id: String,
    /// Login name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Role code.
    pub role: String,
    /// Who invited (username).
    pub invited_by: String,
    /// When.
    pub invited_at: DateTime<Utc>,
}

/// Whether the actor is one of the two parties of the call: staff of the inviting institution, an
/// assigned expert, or an administrator of the invited institution (the consultation centre).
pub(super) fn is_party(actor: &Actor, row: &ConsultationRow, c: &Consultation) -> bool {
    party(&actor.user_id, actor.institution_id.as_deref(), actor.role, row, c)
}

fn party(user_id: &str, institution: Option<&str>, role: Role, row: &ConsultationRow, c: &Consultation) -> bool {
    institution == Some(row.inviting_institution_id.as_str())
        || c.experts().iter().any(|e| e.as_str() == user_id)
        || (institution == Some(row.invited_institution_id.as_str()) && role == Role::Administrator)
}

fn engine(row: &ConsultationRow) -> Result<Consultation, ServiceError> {
    serde_json::from_str(&row.engine).map_err(|e| ServiceError::Internal(e.into()))
}

/// The guests of a consultation, with their names.
///
/// # Errors
/// On a database error.
pub(super) async fn of(app: &App, row: &ConsultationRow) -> Result<Vec<GuestView>, ServiceError> {
    let rows = repo::guests(&app.db, &row.division_code, &row.id).await?;
    let mut out = Vec::with_capacity(rows.len());
    for g in rows {
        let user = sanyi_store::users::by_id(&app.db, &g.user_id).await?;
        out.push(GuestView {
            username: user.as_ref().map(|u| u.username.clone()).unwrap_or_default(),
            display_name: user.as_ref().map(|u| u.display_name.clone()).unwrap_or_default(),
            role: user.map(|u| u.role).unwrap_or_default(),
            user_id: g.user_id,
            invited_by: g.invited_by,
            invited_at: g.invited_at,
        });
    }
    Ok(out)
}

/// Refuses a guest change by someone who is not a party, or on a call that can no longer be joined.
fn may_change(actor: &Actor, row: &ConsultationRow, c: &Consultation) -> Result<(), ServiceError> {
    if !is_party(actor, row, c) {
        return Err(ServiceError::Forbidden {
            role: actor.role.code(),
            permission: "consultation.guests",
        });
    }
    let open = c.mode() == ConsultMode::Sync && c.state().is_open();
    if !open {
        return Err(ServiceError::Conflict(vec![FieldError::new(
            "state",
            "guest.state",
            "a synchronous consultation that is still open (requested … in session)",
            "Guests can only be invited to a video consultation that is still open",
            "只有尚未结束的视频会诊才能邀请参会人员",
        )]));
    }
    Ok(())
}

/// Invites a guest to the consultation's video call. Returns the guests.
///
/// # Errors
/// `NotFound` when the consultation is not visible; `Forbidden` for a viewer who is not a party;
/// `Conflict` when the call can no longer be joined or the user is already invited or a party;
/// `Validation` for an unknown or inactive user, a role without access to patient records, or
/// more than [`MAX_GUESTS`] guests.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn invite(app: &App, actor: &Actor, id: &str, input: &GuestInput) -> Result<Vec<GuestView>, ServiceError> {
    actor.require(Permission::ReferralWrite)?;
    let row = visible(app, actor, id).await?;
    let c = engine(&row)?;
    may_change(actor, &row, &c)?;
    let field = |rule: &str, expected: &str, en: &str, zh: &str| {
        ServiceError::Validation(vec![FieldError::new("username", rule, expected, en, zh)])
    };
    let user = sanyi_store::users::by_username(&app.db, input.username.trim())
        .await?
        .filter(|u| u.active)
        .ok_or_else(|| {
            field(
                "guest.user",
                "the login name of an active user",
                "No active user has this login name",
                "没有该登录名的在用账号",
            )
        })?;
    let role = Role::parse(&user.role);
    if !role.is_some_and(|r| r.can(Permission::ResidentRead)) || user.institution_id.is_none() {
        return Err(field(
            "guest.role",
            "a clinician of an institution (a role that may read patient records)",
            "This user's role may not take part in a consultation",
            "该用户的角色无权参加会诊",
        ));
    }
    let is_party = role.is_some_and(|r| party(&user.id, user.institution_id.as_deref(), r, &row, &c));
    if is_party {
        return Err(ServiceError::Conflict(vec![FieldError::new(
            "username",
            "guest.party",
            "someone who is not already a party of the call",
            "This user already takes part in the consultation",
            "该用户已是会诊参与方，无需邀请",
        )]));
    }
    if repo::guests(&app.db, &row.division_code, &row.id).await?.len() >= MAX_GUESTS {
        return Err(field(
            "guest.limit",
            &format!("at most {MAX_GUESTS} guests"),
            "The call already has the most guests allowed",
            "参会人员已达上限",
        ));
    }
    let g = GuestRow {
        division_code: row.division_code.clone(),
        consultation_id: row.id.clone(),
        user_division_code: user.division_code.clone(),
        user_id: user.id.clone(),
        invited_by: actor.username.clone(),
        invited_at: Utc::now(),
    };
    let a = audit::entry(
        actor,
        &row.division_code,
        "update",
        "consultation",
        &row.id,
        Some(&row.resident_id),
        &format!("invited guest {}", user.username),
    );
    match repo::insert_guest(&app.db, &g, &a).await {
        Err(e) if e.is_unique_violation() => Err(ServiceError::Conflict(vec![FieldError::new(
            "username",
            "guest.duplicate",
            "a user not yet invited",
            "This user is already invited",
            "该用户已在邀请名单中",
        )])),
        other => other.map_err(ServiceError::from),
    }?;
    of(app, &row).await
}

/// Withdraws a guest's invitation. Returns the guests.
///
/// # Errors
/// As [`invite`]; `NotFound` when the user is not a guest.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn remove(app: &App, actor: &Actor, id: &str, user_id: &str) -> Result<Vec<GuestView>, ServiceError> {
    actor.require(Permission::ReferralWrite)?;
    let row = visible(app, actor, id).await?;
    let c = engine(&row)?;
    may_change(actor, &row, &c)?;
    let a = audit::entry(
        actor,
        &row.division_code,
        "update",
        "consultation",
        &row.id,
        Some(&row.resident_id),
        &format!("withdrew guest {user_id}"),
    );
    if !repo::delete_guest(&app.db, &row.division_code, &row.id, user_id, &a).await? {
        return Err(ServiceError::NotFound);
    }
    of(app, &row).await
}
