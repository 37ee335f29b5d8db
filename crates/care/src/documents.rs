//! What travels with a referral or a consultation (转诊/会诊随附资料, docs/rules/referral.md#what-travels): attachment
//! checks, patient consent and recent results.
//!
//! Attachments are judged by their bytes, not by the name or the type a client declares: a file is
//! accepted only when its signature is one of the allowed kinds, the declared type (if any) agrees,
//! and it fits the size limit of the [`AttachmentPolicy`].

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Kind of an attachment (附件类型), recognised from the leading bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    /// PDF document (`%PDF-`).
    Pdf,
    /// PNG image.
    Png,
    /// JPEG image.
    Jpeg,
}

impl AttachmentKind {
    /// Recognises the kind from the file's first bytes.
    pub fn sniff(bytes: &[u8]) -> Option<AttachmentKind> {
        if bytes.starts_with(b"%PDF-") {
            Some(AttachmentKind::Pdf)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(AttachmentKind::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(AttachmentKind::Jpeg)
        } else {
            None
        }
    }

    /// The media type (`application/pdf`, `image/png`, `image/jpeg`).
    pub fn media_type(self) -> &'static str {
        match self {
            AttachmentKind::Pdf => "application/pdf",
            AttachmentKind::Png => "image/png",
            AttachmentKind::Jpeg => "image/jpeg",
        }
    }

    fn from_media_type(t: &str) -> Option<AttachmentKind> {
        let essence = t.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        match essence.as_str() {
            "application/pdf" => Some(AttachmentKind::Pdf),
            "image/png" => Some(AttachmentKind::Png),
            "image/jpeg" | "image/jpg" | "image/pjpeg" => Some(AttachmentKind::Jpeg),
            _ => None,
        }
    }
}

/// Limits on attachments (附件限制) [T].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentPolicy {
    /// Largest file accepted, in bytes.
    pub max_bytes: usize,
    /// Most attachments on one referral or consultation.
    pub max_per_subject: usize,
    /// Longest file name, in characters.
    pub max_name_chars: usize,
}

impl Default for AttachmentPolicy {
    fn default() -> Self {
        AttachmentPolicy {
            max_bytes: 10 * 1024 * 1024,
            max_per_subject: 20,
            max_name_chars: 120,
        }
    }
}

/// Why an attachment is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentError {
    /// Empty file.
    #[error("the file is empty")]
    Empty,
    /// Over the size limit.
    #[error("the file has {size} bytes; at most {max} are accepted")]
    TooLarge {
        /// Size received.
        size: usize,
        /// Limit.
        max: usize,
    },
    /// Not a PDF, PNG or JPEG file.
    #[error("the file is not a PDF, PNG or JPEG document (its content starts with neither signature)")]
    UnsupportedType,
    /// The declared type disagrees with the content.
    #[error("declared as {declared} but the content is {actual}")]
    TypeMismatch {
        /// Declared media type.
        declared: String,
        /// Recognised media type.
        actual: &'static str,
    },
    /// Bad file name.
    #[error("the file name must have 1 to {max} characters and no path separators or control characters")]
    BadName {
        /// Limit.
        max: usize,
    },
    /// Too many attachments on the subject.
    #[error("at most {max} attachments per referral or consultation")]
    TooMany {
        /// Limit.
        max: usize,
    },
}

impl AttachmentError {
    /// Stable rule code.
    pub fn rule(&self) -> &'static str {
        match self {
            AttachmentError::Empty => "attachment.empty",
            AttachmentError::TooLarge { .. } => "attachment.size",
            AttachmentError::UnsupportedType => "attachment.type",
            AttachmentError::TypeMismatch { .. } => "attachment.type_mismatch",
            AttachmentError::BadName { .. } => "attachment.name",
            AttachmentError::TooMany { .. } => "attachment.count",
        }
    }

    /// The message in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            AttachmentError::Empty => "文件为空".into(),
            AttachmentError::TooLarge { size, max } => format!("文件 {size} 字节，超过上限 {max} 字节"),
            AttachmentError::UnsupportedType => "仅接受 PDF、PNG、JPEG 文件".into(),
            AttachmentError::TypeMismatch { declared, actual } => format!("声明类型 {declared} 与文件内容 {actual} 不符"),
            AttachmentError::BadName { max } => format!("文件名须为 1–{max} 个字符，且不含路径分隔符或控制字符"),
            AttachmentError::TooMany { max } => format!("每个转诊或会诊最多 {max} 个附件"),
        }
    }
}

/// Checks an upload: name, size, content signature and declared type, and the count already on the
/// subject. Returns the recognised kind.
///
/// # Errors
/// The first rule the upload breaks.
pub fn check_attachment(
    policy: &AttachmentPolicy,
    name: &str,
    declared: Option<&str>,
    bytes: &[u8],
    existing: usize,
) -> Result<AttachmentKind, AttachmentError> {
    let chars = name.chars().count();
    if chars == 0 || chars > policy.max_name_chars || name.chars().any(|c| c == '/' || c == '\\' || c.is_control()) {
        return Err(AttachmentError::BadName {
            max: policy.max_name_chars,
        });
    }
    if existing >= policy.max_per_subject {
        return Err(AttachmentError::TooMany {
            max: policy.max_per_subject,
        });
    }
    if bytes.is_empty() {
        return Err(AttachmentError::Empty);
    }
    if bytes.len() > policy.max_bytes {
        return Err(AttachmentError::TooLarge {
            size: bytes.len(),
            max: policy.max_bytes,
        });
    }
    let kind = AttachmentKind::sniff(bytes).ok_or(AttachmentError::UnsupportedType)?;
    if let Some(d) = declared.filter(|d| !d.trim().is_empty() && !d.starts_with("application/octet-stream"))
        && AttachmentKind::from_media_type(d) != Some(kind)
    {
        return Err(AttachmentError::TypeMismatch {
            declared: d.to_owned(),
            actual: kind.media_type(),
        });
    }
    Ok(kind)
}

/// Who consented (知情同意人).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentGiver {
    /// The patient.
    Patient,
    /// A guardian (监护人).
    Guardian,
    /// A close relative (近亲属) when the patient cannot consent.
    Relative,
}

/// How consent was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentMethod {
    /// Signed paper form, kept at the sender.
    SignedForm,
    /// Electronic signature.
    Electronic,
    /// Verbal, witnessed by a second staff member.
    VerbalWitnessed,
}

/// Patient consent to a referral (转诊知情同意).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    /// Who gave it.
    pub given_by: ConsentGiver,
    /// Name of the person who signed when not the patient.
    #[serde(default)]
    pub signer_name: Option<String>,
    /// How.
    pub method: ConsentMethod,
    /// Date given.
    pub date: NaiveDate,
}

/// Why a consent record is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConsentError {
    /// A guardian or relative must be named.
    #[error("a guardian or relative who consents must be named (signer_name)")]
    SignerRequired,
    /// Date in the future.
    #[error("the consent date {0} lies in the future")]
    FutureDate(NaiveDate),
}

impl Consent {
    /// Checks the record against `today`.
    ///
    /// # Errors
    /// A missing signer for a guardian or relative; a future date.
    pub fn check(&self, today: NaiveDate) -> Result<(), ConsentError> {
        if self.given_by != ConsentGiver::Patient && self.signer_name.as_deref().is_none_or(|n| n.trim().is_empty()) {
            return Err(ConsentError::SignerRequired);
        }
        if self.date > today {
            return Err(ConsentError::FutureDate(self.date));
        }
        Ok(())
    }
}

/// A recent result sent with a referral (近期检查检验结果), with its mutual-recognition mark.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentResult {
    /// Item name as printed (e.g. `血红蛋白`, `胸部DR`).
    pub item: String,
    /// Value or finding.
    pub value: String,
    /// Unit, if any.
    #[serde(default)]
    pub unit: Option<String>,
    /// Date the sample was taken or the exam done.
    pub date: NaiveDate,
    /// Mutual-recognition mark printed on the report (互认标识, e.g. `HR`), if any.
    #[serde(default)]
    pub recognition_mark: Option<String>,
}

/// Why a recent result is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResultError {
    /// Item or value missing.
    #[error("a result needs the item and the value")]
    Incomplete,
    /// Date in the future.
    #[error("the result date {0} lies in the future")]
    FutureDate(NaiveDate),
}

impl RecentResult {
    /// Checks the result against `today`.
    ///
    /// # Errors
    /// An empty item or value; a future date.
    pub fn check(&self, today: NaiveDate) -> Result<(), ResultError> {
        if self.item.trim().is_empty() || self.value.trim().is_empty() {
            return Err(ResultError::Incomplete);
        }
        if self.date > today {
            return Err(ResultError::FutureDate(self.date));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n";
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    #[test]
    fn accepts_by_content_and_refuses_mismatch_size_and_type() {
        let p = AttachmentPolicy::default();
        assert_eq!(
            check_attachment(&p, "a.pdf", Some("application/pdf"), PDF, 0),
            Ok(AttachmentKind::Pdf)
        );
        assert_eq!(check_attachment(&p, "x.png", None, PNG, 0), Ok(AttachmentKind::Png));
        assert_eq!(
            check_attachment(&p, "j.jpg", Some("image/jpeg"), &[0xFF, 0xD8, 0xFF, 0xE0], 0),
            Ok(AttachmentKind::Jpeg)
        );
        let e = check_attachment(&p, "a.png", Some("image/png"), PDF, 0).unwrap_err();
        assert_eq!(e.rule(), "attachment.type_mismatch");
        assert_eq!(
            check_attachment(&p, "a.exe", None, b"MZ\x90\0", 0).unwrap_err().rule(),
            "attachment.type"
        );
        let small = AttachmentPolicy { max_bytes: 8, ..p.clone() };
        assert_eq!(
            check_attachment(&small, "a.pdf", None, PDF, 0).unwrap_err().rule(),
            "attachment.size"
        );
        assert_eq!(
            check_attachment(&p, "../a.pdf", None, PDF, 0).unwrap_err().rule(),
            "attachment.name"
        );
        assert_eq!(check_attachment(&p, "a.pdf", None, b"", 0).unwrap_err().rule(), "attachment.empty");
        assert_eq!(check_attachment(&p, "a.pdf", None, PDF, 20).unwrap_err().rule(), "attachment.count");
    }

    #[test]
    fn consent_by_a_relative_names_the_signer() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap_or_default();
        let mut c = Consent {
            given_by: ConsentGiver::Relative,
            signer_name: None,
            method: ConsentMethod::SignedForm,
            date: today,
        };
        assert_eq!(c.check(today), Err(ConsentError::SignerRequired));
        c.signer_name = Some("王芳".into());
        assert_eq!(c.check(today), Ok(()));
        c.date = today.succ_opt().unwrap_or(today);
        assert!(matches!(c.check(today), Err(ConsentError::FutureDate(_))));
    }
}
