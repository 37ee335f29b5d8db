use thiserror::Error;

/// Which kind of constraint rejected a write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConstraintKind {
    /// A unique key: the value is taken.
    Unique,
    /// A foreign key: the referenced row does not exist (or is still referenced).
    ForeignKey,
    /// A check constraint (or a rule the store checks itself, like a merge inside one county).
    Check,
}

impl ConstraintKind {
    /// Stable code of the kind (`unique`, `foreign_key`, `check`).
    pub fn code(self) -> &'static str {
        match self {
            ConstraintKind::Unique => "unique",
            ConstraintKind::ForeignKey => "foreign_key",
            ConstraintKind::Check => "check",
        }
    }
}

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
    /// A unique, foreign-key or check constraint rejected the write.
    #[error("{} constraint {constraint} violated", kind.code())]
    Constraint {
        /// Constraint kind.
        kind: ConstraintKind,
        /// Constraint name or description reported by the database.
        constraint: String,
        /// The columns of the constraint, when the database names them (never their values: they
        /// may be ID numbers); `division_code`, the shard key, is left out.
        columns: Vec<String>,
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
                    Some(ConstraintKind::Unique)
                } else if db.is_foreign_key_violation() {
                    Some(ConstraintKind::ForeignKey)
                } else if db.is_check_violation() {
                    Some(ConstraintKind::Check)
                } else {
                    None
                };
                match kind {
                    Some(kind) => {
                        let detail = db
                            .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                            .and_then(|pg| pg.detail())
                            .unwrap_or_default();
                        StoreError::Constraint {
                            kind,
                            constraint: db.constraint().map(str::to_owned).unwrap_or_else(|| db.message().to_owned()),
                            columns: constraint_columns(db.message(), detail),
                        }
                    }
                    None => StoreError::Database(e),
                }
            }
            other => StoreError::Database(other),
        }
    }
}

/// The columns a constraint error names: SQLite says `UNIQUE constraint failed: t.a, t.b`,
/// PostgreSQL's detail says `Key (a, b)=(…) already exists.` (the values are dropped).
fn constraint_columns(message: &str, pg_detail: &str) -> Vec<String> {
    let list = if let Some(rest) = pg_detail.strip_prefix("Key (") {
        rest.split_once(")=").map_or("", |(cols, _)| cols)
    } else if let Some((_, cols)) = message.split_once("constraint failed: ") {
        cols
    } else {
        ""
    };
    list.split(',')
        .map(|c| c.trim().rsplit('.').next().unwrap_or_default().to_owned())
        .filter(|c| !c.is_empty() && c != "division_code" && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_'))
        .collect()
}

impl StoreError {
    /// True for a unique-constraint violation.
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            StoreError::Constraint {
                kind: ConstraintKind::Unique,
                ..
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::constraint_columns;

    #[test]
    fn columns_of_both_backends_without_values() {
        assert_eq!(
            constraint_columns("UNIQUE constraint failed: residents.division_code, residents.id_number", ""),
            ["id_number"]
        );
        assert_eq!(
            constraint_columns(
                "duplicate key value",
                "Key (division_code, nhsa_code)=(652323, H652323001) already exists."
            ),
            ["nhsa_code"]
        );
        assert!(constraint_columns("FOREIGN KEY constraint failed", "").is_empty());
    }
}
