//! Attachments of referrals and consultations (转诊/会诊附件): PDF reports and images that the
//! receiving side reads without leaving the referral. Uploads are checked by content against the
//! attachment policy; every upload and every view is written to the audit log.

use chrono::Utc;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

pub use sanyi_care::documents::AttachmentPolicy;
use sanyi_care::documents::check_attachment;
use sanyi_store::attachments::{self as repo, AttachmentMeta};
pub use sanyi_store::workflow::Workflow;

use crate::{Actor, App, FieldError, Permission, ServiceError, audit};

/// An attachment as listed on its referral or consultation.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AttachmentView {
    /// Id.
    pub id: String,
    /// File name.
    pub filename: String,
    /// Media type recognised from the content.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// SHA-256 of the content (hex).
    pub sha256: String,
    /// Uploaded at.
    pub uploaded_at: chrono::DateTime<Utc>,
}

impl From<AttachmentMeta> for AttachmentView {
    fn from(m: AttachmentMeta) -> Self {
        AttachmentView {
            id: m.id,
            filename: m.filename,
            content_type: m.content_type,
            size_bytes: m.size_bytes,
            sha256: m.sha256,
            uploaded_at: m.uploaded_at,
        }
    }
}

/// The subject's county and resident, once the actor is known to see it.
async fn subject(app: &App, actor: &Actor, kind: Workflow, id: &str) -> Result<(String, String), ServiceError> {
    match kind {
        Workflow::Referral => crate::referrals::visible(app, actor, id)
            .await
            .map(|r| (r.division_code, r.resident_id)),
        Workflow::Consultation => crate::consultations::visible(app, actor, id)
            .await
            .map(|c| (c.division_code, c.resident_id)),
        // Readings carry their DICOM studies and ECG records instead of attachments.
        Workflow::Reading => Err(ServiceError::NotFound),
    }
}

fn entity(kind: Workflow) -> &'static str {
    match kind {
        Workflow::Referral => "referral",
        Workflow::Consultation => "consultation",
        Workflow::Reading => "reading",
    }
}

/// Attaches a file to a referral or consultation the actor takes part in.
///
/// # Errors
/// `NotFound` outside the actor's referrals or consultations; `Validation` naming the broken rule
/// (type by content, declared type, size, name, count); nothing is stored then.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn upload(
    app: &App,
    actor: &Actor,
    kind: Workflow,
    subject_id: &str,
    filename: &str,
    declared_type: Option<&str>,
    bytes: &[u8],
) -> Result<AttachmentView, ServiceError> {
    actor.require(Permission::ReferralWrite)?;
    let (division, resident) = subject(app, actor, kind, subject_id).await?;
    let existing = repo::list(&app.db, kind, &division, subject_id).await?.len();
    let filename = filename.trim();
    let kind_of_file = check_attachment(&app.policies.attachments, filename, declared_type, bytes, existing).map_err(|e| {
        ServiceError::Validation(vec![FieldError::new(
            "file",
            e.rule(),
            "a PDF, PNG or JPEG file within the size limit",
            &e.to_string(),
            &e.message_zh(),
        )])
    })?;
    let meta = AttachmentMeta {
        division_code: division.clone(),
        id: sanyi_store::new_id(),
        resident_id: resident.clone(),
        filename: filename.to_owned(),
        content_type: kind_of_file.media_type().to_owned(),
        size_bytes: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
        sha256: hex::encode(Sha256::digest(bytes)),
        uploaded_by: actor.user_id.clone(),
        uploaded_at: Utc::now(),
    };
    let a = audit::entry(
        actor,
        &division,
        "attach",
        entity(kind),
        subject_id,
        Some(&resident),
        &format!("{} ({} bytes)", meta.id, bytes.len()),
    );
    repo::insert(&app.db, kind, subject_id, &meta, bytes, &a).await?;
    Ok(meta.into())
}

/// The attachments of a referral or consultation the actor takes part in.
///
/// # Errors
/// `NotFound` outside the actor's referrals or consultations.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn list(app: &App, actor: &Actor, kind: Workflow, subject_id: &str) -> Result<Vec<AttachmentView>, ServiceError> {
    actor.require(Permission::ResidentRead)?;
    let (division, _) = subject(app, actor, kind, subject_id).await?;
    Ok(repo::list(&app.db, kind, &division, subject_id)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// One attachment's content; the view is audited as a read of the resident's record.
///
/// # Errors
/// `NotFound` outside the actor's referrals or consultations or for an unknown attachment.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn open(app: &App, actor: &Actor, kind: Workflow, subject_id: &str, id: &str) -> Result<(AttachmentView, Vec<u8>), ServiceError> {
    actor.require(Permission::ResidentRead)?;
    subject(app, actor, kind, subject_id).await?;
    let (meta, content) = repo::get(&app.db, kind, subject_id, id).await?.ok_or(ServiceError::NotFound)?;
    app.audit
        .record(audit::entry(
            actor,
            &meta.division_code,
            "read",
            "attachment",
            &meta.id,
            Some(&meta.resident_id),
            &format!("{} {}", entity(kind), subject_id),
        ))
        .await?;
    Ok((meta.into(), content))
}
