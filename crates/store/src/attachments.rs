//! Attachments (附件) of referrals and consultations: the file content lives beside its metadata.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::audit::AuditEntry;
use crate::workflow::Workflow;
use crate::{Db, StoreError, audit_insert_in_tx, dispatch, transaction};

/// An attachment without its content.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct AttachmentMeta {
    /// County of the referral or consultation.
    pub division_code: String,
    /// Id.
    pub id: String,
    /// Resident the document is about.
    pub resident_id: String,
    /// Original file name.
    pub filename: String,
    /// `application/pdf`, `image/png` or `image/jpeg` (recognised from the content).
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    /// Uploading user id.
    pub uploaded_by: String,
    /// Uploaded at.
    pub uploaded_at: DateTime<Utc>,
}

const META: &str = "division_code, id, resident_id, filename, content_type, size_bytes, sha256, uploaded_by, uploaded_at";

/// Stores an attachment of `subject` with its audit entry, atomically.
///
/// # Errors
/// On a constraint or database error (nothing is written then).
pub async fn insert(
    db: &Db,
    subject: Workflow,
    subject_id: &str,
    m: &AttachmentMeta,
    content: &[u8],
    audit: &AuditEntry,
) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO attachments ({META}, {}, content) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        subject.subject_column()
    );
    transaction!(db, tx => {
        sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(&m.division_code).bind(&m.id).bind(&m.resident_id).bind(&m.filename).bind(&m.content_type)
            .bind(m.size_bytes).bind(&m.sha256).bind(&m.uploaded_by).bind(m.uploaded_at).bind(subject_id).bind(content)
            .execute(&mut *tx).await?;
        audit_insert_in_tx!(tx, audit);
    });
    Ok(())
}

/// The attachments of one referral or consultation, oldest first.
///
/// # Errors
/// On a database error.
pub async fn list(db: &Db, subject: Workflow, division_code: &str, subject_id: &str) -> Result<Vec<AttachmentMeta>, StoreError> {
    let sql = format!(
        "SELECT {META} FROM attachments WHERE division_code = $1 AND {} = $2 ORDER BY uploaded_at, id",
        subject.subject_column()
    );
    Ok(
        dispatch!(db, pool => sqlx::query_as::<_, AttachmentMeta>(sqlx::AssertSqlSafe(sql)).bind(division_code).bind(subject_id).fetch_all(pool).await)?,
    )
}

/// One attachment of a referral or consultation, with its content.
///
/// # Errors
/// On a database error.
pub async fn get(db: &Db, subject: Workflow, subject_id: &str, id: &str) -> Result<Option<(AttachmentMeta, Vec<u8>)>, StoreError> {
    let sql = format!(
        "SELECT {META}, content FROM attachments WHERE id = $1 AND {} = $2",
        subject.subject_column()
    );
    let row = dispatch!(db, pool => {
        sqlx::query_as::<_, (String, String, String, String, String, i64, String, String, DateTime<Utc>, Vec<u8>)>(sqlx::AssertSqlSafe(sql))
            .bind(id).bind(subject_id).fetch_optional(pool).await
    })?;
    Ok(row.map(
        |(division_code, id, resident_id, filename, content_type, size_bytes, sha256, uploaded_by, uploaded_at, content)| {
            (
                AttachmentMeta {
                    division_code,
                    id,
                    resident_id,
                    filename,
                    content_type,
                    size_bytes,
                    sha256,
                    uploaded_by,
                    uploaded_at,
                },
                content,
            )
        },
    ))
}
