use thiserror::Error;

/// What went wrong in the store.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The row does not exist (or is outside the caller's scope).
    #[error("not found")]
    NotFound,
    /// The row was changed by someone else since it was read (optimistic versioning).
    #[error("version conflict: the record is at version {current}")]
    VersionConflict {
        /// The version now stored.
        current: i64,
    },
    /// A unique or foreign-key constraint rejected the write.
    #[error("constraint {constraint} violated")]
    Constraint {
        /// Constraint kind: "unique", "foreign_key" or "check".
        kind: &'static str,
        /// Constraint or column description reported by the database.
        constraint: String,
    },
    /// Any other database error.
    #[error(transparent)]
    Database(sqlx::Error),
    /// A migration failed.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(ref db) => {
                let kind = if db.is_unique_violation() {
                    Some("unique")
                } else if db.is_foreign_key_violation() {
                    Some("foreign_key")
                } else if db.is_check_violation() {
                    Some("check")
                } else {
                    None
                };
                match kind {
                    Some(kind) => StoreError::Constraint {
                        kind,
                        constraint: db.constraint().map(str::to_owned).unwrap_or_else(|| db.message().to_owned()),
                    },
                    None => StoreError::Database(e),
                }
            }
            other => StoreError::Database(other),
        }
    }
}

impl StoreError {
    /// True for a unique-constraint violation.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Constraint { kind: "unique", .. })
    }
}
