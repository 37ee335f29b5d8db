//! Users (with role and scope) and their sessions / API tokens.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{Db, StoreError, dispatch, write_one};

/// User row.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct User {
    /// County of the user's institution (or the pool's prefecture code).
    pub division_code: String,
    /// Id.
    pub id: String,
    /// Login name, unique.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Argon2 PHC string.
    #[serde(skip)]
    pub password_hash: String,
    /// Role code.
    pub role: String,
    /// Institution the user works for, if any.
    pub institution_id: Option<String>,
    /// Statistical-code prefix of the area the user may see.
    pub scope_area: String,
    /// Whether the account may log in.
    pub active: bool,
}

const COLUMNS: &str = "division_code, id, username, display_name, password_hash, role, institution_id, scope_area, active";

/// Inserts a user.
///
/// # Errors
/// `Constraint { kind: "unique" }` when the username exists; another database error.
pub async fn insert(db: &Db, u: &User) -> Result<(), StoreError> {
    write_one!(db, pool => sqlx::query(
        "INSERT INTO users (division_code, id, username, display_name, password_hash, role, institution_id, scope_area, active, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
        .bind(&u.division_code).bind(&u.id).bind(&u.username).bind(&u.display_name).bind(&u.password_hash)
        .bind(&u.role).bind(&u.institution_id).bind(&u.scope_area).bind(u.active).bind(Utc::now())
        .execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A user by username.
///
/// # Errors
/// On a database error.
pub async fn by_username(db: &Db, username: &str) -> Result<Option<User>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE username = $1");
    Ok(dispatch!(db, pool => sqlx::query_as::<_, User>(sqlx::AssertSqlSafe(sql)).bind(username).fetch_optional(pool).await)?)
}

/// A user by id.
///
/// # Errors
/// On a database error.
pub async fn by_id(db: &Db, id: &str) -> Result<Option<User>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
    Ok(dispatch!(db, pool => sqlx::query_as::<_, User>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await)?)
}

/// All users, by username.
///
/// # Errors
/// On a database error.
pub async fn all(db: &Db) -> Result<Vec<User>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM users ORDER BY username");
    Ok(dispatch!(db, pool => sqlx::query_as::<_, User>(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await)?)
}

/// Sets a user's password hash.
///
/// # Errors
/// `NotFound` or a database error.
pub async fn set_password(db: &Db, username: &str, hash: &str) -> Result<(), StoreError> {
    let n = write_one!(db, pool => sqlx::query("UPDATE users SET password_hash = $1 WHERE username = $2")
        .bind(hash).bind(username).execute(pool).await.map(|r| r.rows_affected()))?;
    if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

/// Stores a session (cookie) or API token by the SHA-256 of its secret.
///
/// # Errors
/// On a database error.
pub async fn insert_session(db: &Db, user: &User, token_hash: &str, kind: &str, expires_at: DateTime<Utc>) -> Result<(), StoreError> {
    write_one!(db, pool => sqlx::query(
        "INSERT INTO sessions (division_code, token_hash, user_id, kind, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&user.division_code).bind(token_hash).bind(&user.id).bind(kind).bind(Utc::now()).bind(expires_at)
        .execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The active user of an unexpired session or token of the given kind.
///
/// # Errors
/// On a database error.
pub async fn session_user(db: &Db, token_hash: &str, kind: &str, now: DateTime<Utc>) -> Result<Option<(User, DateTime<Utc>)>, StoreError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        user: User,
        expires_at: DateTime<Utc>,
    }
    let sql = "SELECT u.division_code, u.id, u.username, u.display_name, u.password_hash, u.role, u.institution_id, \
               u.scope_area, u.active, s.expires_at FROM sessions s JOIN users u ON u.division_code = s.division_code AND u.id = s.user_id \
               WHERE s.token_hash = $1 AND s.kind = $2 AND s.expires_at > $3 AND u.active";
    let row = dispatch!(db, pool => sqlx::query_as::<_, Row>(sql).bind(token_hash).bind(kind).bind(now).fetch_optional(pool).await)?;
    Ok(row.map(|r| (r.user, r.expires_at)))
}

/// Deletes a session or token.
///
/// # Errors
/// On a database error.
pub async fn delete_session(db: &Db, token_hash: &str) -> Result<(), StoreError> {
    write_one!(db, pool => sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Deletes expired sessions; returns how many.
///
/// # Errors
/// On a database error.
pub async fn purge_expired(db: &Db, now: DateTime<Utc>) -> Result<u64, StoreError> {
    Ok(
        write_one!(db, pool => sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(pool).await.map(|r| r.rows_affected()))?,
    )
}

/// Counts a login attempt of an account before its password is checked, unless the account is
/// locked now: returns the number of consecutive attempts without success including this one,
/// or `None` while `locked_until` lies ahead. Counting first means that parallel guesses are
/// counted too (at most the lock threshold of them reach the password check).
///
/// # Errors
/// On a database error.
pub async fn begin_login_attempt(db: &Db, user_id: &str, now: DateTime<Utc>) -> Result<Option<i64>, StoreError> {
    let n: Option<i64> = write_one!(db, pool => sqlx::query_scalar(
        "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $2) \
         RETURNING CAST(failed_logins AS BIGINT)")
        .bind(user_id).bind(now).fetch_optional(pool).await)?;
    Ok(n)
}

/// When a locked account may try again.
///
/// # Errors
/// On a database error.
pub async fn locked_until(db: &Db, user_id: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
    let at: Option<Option<DateTime<Utc>>> = dispatch!(db, pool => sqlx::query_scalar("SELECT locked_until FROM users WHERE id = $1")
        .bind(user_id).fetch_optional(pool).await)?;
    Ok(at.flatten())
}

/// Sets (or clears) the instant before which the account may not log in.
///
/// # Errors
/// On a database error.
pub async fn set_locked_until(db: &Db, user_id: &str, until: Option<DateTime<Utc>>) -> Result<(), StoreError> {
    write_one!(db, pool => sqlx::query("UPDATE users SET locked_until = $1 WHERE id = $2")
        .bind(until).bind(user_id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Forgets an account's failed logins and lifts its lock (after a good login, or by an
/// administrator). Returns whether the user exists.
///
/// # Errors
/// On a database error.
pub async fn clear_login_failures(db: &Db, user_id: &str) -> Result<bool, StoreError> {
    let n = write_one!(db, pool => sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
        .bind(user_id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

/// The lock state of an account: consecutive failed logins and the lock's end.
///
/// # Errors
/// On a database error.
pub async fn login_failures(db: &Db, user_id: &str) -> Result<Option<(i64, Option<DateTime<Utc>>)>, StoreError> {
    Ok(dispatch!(db, pool => sqlx::query_as::<_, (i64, Option<DateTime<Utc>>)>(
        "SELECT CAST(failed_logins AS BIGINT), locked_until FROM users WHERE id = $1")
        .bind(user_id).fetch_optional(pool).await)?)
}

/// Activates or deactivates an account; a deactivated account's sessions and tokens stop working
/// at its next request on every server (credentials are checked against the database on each
/// request). Returns whether the user exists.
///
/// # Errors
/// On a database error.
pub async fn set_active(db: &Db, user_id: &str, active: bool) -> Result<bool, StoreError> {
    let n = write_one!(db, pool => sqlx::query("UPDATE users SET active = $1 WHERE id = $2")
        .bind(active).bind(user_id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(n > 0)
}
