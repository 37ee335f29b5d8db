use sanyi_domain::InvalidValue;
use sanyi_store::{ConstraintKind, StoreError};
use serde::Serialize;
use thiserror::Error;

/// One failing input field: which field, which rule, what was expected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// Field name as in the request (`id_number`, `phone`, ...); `line` prefixes it in imports.
    pub field: String,
    /// Stable rule id (`gb11643.check_digit`, `required`, `unique`, ...).
    pub rule: String,
    /// What was expected.
    pub expected: String,
    /// English message.
    pub message: String,
    /// Chinese message.
    pub message_zh: String,
}

impl FieldError {
    /// A field error from a domain parse error.
    pub fn from_invalid(field: &str, e: &InvalidValue) -> FieldError {
        FieldError {
            field: field.to_owned(),
            rule: e.rule.to_owned(),
            expected: e.expected.clone(),
            message: e.message.clone(),
            message_zh: e.message_zh.clone(),
        }
    }

    /// A field error from parts.
    pub fn new(field: &str, rule: &str, expected: &str, message: &str, message_zh: &str) -> FieldError {
        FieldError {
            field: field.into(),
            rule: rule.into(),
            expected: expected.into(),
            message: message.into(),
            message_zh: message_zh.into(),
        }
    }

    /// "required" error.
    pub fn required(field: &str) -> FieldError {
        // People read the field's name, not its code (`reason` → 转诊原因).
        let last = field.rsplit('.').next().unwrap_or(field);
        let (zh, en) = crate::labels::of("field", last).map_or((field, field), |l| (l.zh, l.en));
        FieldError::new(
            field,
            "required",
            "a non-empty value",
            &format!("{en} is required"),
            &format!("请填写{zh}"),
        )
    }
}

/// Why a use case did not happen. Mapped to HTTP in exactly one place (the server's error module).
#[derive(Debug, Error)]
pub enum ServiceError {
    /// Input failed validation; nothing was written.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// The record does not exist or lies outside the actor's scope (indistinguishable on purpose).
    #[error("not found")]
    NotFound,
    /// The actor's role does not allow the action.
    #[error("forbidden: role {role} lacks {permission}")]
    Forbidden {
        /// Role code.
        role: &'static str,
        /// Permission code.
        permission: &'static str,
    },
    /// The role allows the action, but only on records of the actor's own county: pool-level records
    /// (policies, fund years, settlement runs, the pool's catalogues) need a pool-wide scope.
    #[error("forbidden: role {role} scoped to {scope} may not use {permission} on pool-level records")]
    PoolLevelOnly {
        /// Role code.
        role: &'static str,
        /// Permission code.
        permission: &'static str,
        /// The actor's area prefix.
        scope: String,
    },
    /// Too many failed logins for this account or client address; try again after the delay.
    #[error("too many attempts; retry after {retry_after_secs} s")]
    TooManyAttempts {
        /// Seconds to wait.
        retry_after_secs: u64,
    },
    /// The request cannot be answered safely now (e.g. its audit entry could not be made durable);
    /// nothing was disclosed.
    #[error("unavailable: {0}")]
    Unavailable(&'static str),
    /// Not logged in, or wrong credentials.
    #[error("unauthenticated")]
    Unauthenticated,
    /// The record changed since it was read.
    #[error("version conflict: current version {current}")]
    VersionConflict {
        /// Current version.
        current: i64,
    },
    /// A uniqueness rule rejected the write.
    #[error("conflict")]
    Conflict(Vec<FieldError>),
    /// The action needs a decision first; nothing was written. `candidates` lists what to decide
    /// on (the recognisable prior results of an order, 互认提示).
    #[error("decision required")]
    DecisionRequired {
        /// What is missing.
        errors: Vec<FieldError>,
        /// The options to decide on, as JSON.
        candidates: serde_json::Value,
    },
    /// Unexpected failure (database down, ...). Its text never reaches the client.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ServiceError::NotFound,
            StoreError::VersionConflict { current } => ServiceError::VersionConflict { current },
            StoreError::Constraint { kind, columns, .. } => {
                // The services check their rules before writing; a constraint that still fires
                // (two writers racing, a row removed meanwhile) names its columns here.
                let field = if columns.is_empty() {
                    "record".to_owned()
                } else {
                    columns.join(",")
                };
                match kind {
                    ConstraintKind::Unique => ServiceError::Conflict(vec![FieldError {
                        field,
                        rule: "unique".into(),
                        expected: "a value no other record has".into(),
                        message: "already taken by another record".into(),
                        message_zh: "已被其他记录使用".into(),
                    }]),
                    ConstraintKind::ForeignKey => ServiceError::Validation(vec![FieldError {
                        field,
                        rule: "reference".into(),
                        expected: "an existing record".into(),
                        message: "refers to a record that does not exist or is still in use".into(),
                        message_zh: "引用的记录不存在或仍被使用".into(),
                    }]),
                    ConstraintKind::Check => ServiceError::Validation(vec![FieldError {
                        field,
                        rule: "check".into(),
                        expected: "a value the record's rules allow".into(),
                        message: "not allowed by the record's rules".into(),
                        message_zh: "不符合记录规则".into(),
                    }]),
                }
            }
            other => ServiceError::Internal(anyhow::Error::new(other)),
        }
    }
}

/// Collects field errors while parsing a form or a row.
#[derive(Default, Debug)]
pub struct Errors(pub Vec<FieldError>);

impl Errors {
    /// Parses with `f`, recording an error under `field` on failure.
    pub fn field<T>(&mut self, field: &str, r: Result<T, InvalidValue>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(FieldError::from_invalid(field, &e));
                None
            }
        }
    }

    /// Records an error.
    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }

    /// `Err(Validation)` when any error was recorded.
    pub fn finish(self) -> Result<(), ServiceError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::Validation(self.0))
        }
    }
}
