//! Authentication: Argon2 password hashes, login, session cookies and bearer tokens.
//!
//! A session or token is 32 random bytes given to the client in hex; the store keeps only its
//! SHA-256, so a leaked database does not leak live credentials.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use chrono::{Duration, Utc};
use rand::Rng;
use sha2::{Digest, Sha256};

use sanyi_store::users::{self, User};

use crate::{Actor, App, FieldError, ServiceError, throttle};

/// Kind of credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// Browser session cookie.
    Cookie,
    /// API bearer token.
    Bearer,
}

impl TokenKind {
    fn code(self) -> &'static str {
        match self {
            TokenKind::Cookie => "cookie",
            TokenKind::Bearer => "bearer",
        }
    }

    /// Lifetime of a new credential.
    pub fn lifetime(self) -> Duration {
        match self {
            TokenKind::Cookie => Duration::hours(12),
            TokenKind::Bearer => Duration::hours(24),
        }
    }
}

/// Hashes a password (Argon2id, random salt) into a PHC string.
///
/// # Errors
/// When the hasher fails (it should not).
pub fn hash_password(password: &str) -> Result<String, ServiceError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::Internal(anyhow::anyhow!("password hashing failed: {e}")))
}

/// Checks a password against a PHC string.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// SHA-256 of a token, hex.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Checks a password policy: at least 8 characters.
///
/// # Errors
/// `Validation` naming the `password` field.
pub fn check_password_policy(password: &str) -> Result<(), ServiceError> {
    if password.chars().count() < 8 {
        return Err(ServiceError::Validation(vec![FieldError::new(
            "password",
            "password.length",
            "at least 8 characters",
            "The password must have at least 8 characters",
            "密码至少需要 8 个字符",
        )]));
    }
    Ok(())
}

/// At most this many password hashes are computed at once, on blocking threads, so that a flood
/// of logins neither stalls the async workers nor takes Argon2's memory (19 MiB each) without
/// bound.
const HASHING_AT_ONCE: usize = 2;

fn hashing_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(HASHING_AT_ONCE);
    &PERMITS
}

/// Checks a password against a PHC string on a blocking thread (at most [`HASHING_AT_ONCE`] at
/// a time).
async fn verify_off_thread(password: &str, phc: String) -> Result<bool, ServiceError> {
    let _permit = hashing_permits().acquire().await.map_err(|e| ServiceError::Internal(e.into()))?;
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || verify_password(&password, &phc))
        .await
        .map_err(|e| ServiceError::Internal(e.into()))
}

/// Verifies credentials and issues a new credential of `kind`. Returns the token and the user.
///
/// Throttled (see [`crate::throttle`]): a client address that failed too often, and an account
/// (or unknown name) after [`throttle::BACKOFF_AFTER`] consecutive failures, must wait before
/// the password is even checked; after [`throttle::LOCK_AFTER`] the account is locked for
/// [`throttle::LOCK_FOR`] unless an administrator lifts it ([`unlock`]). An unknown username
/// costs the same Argon2 check as a real one and is throttled alike, so neither timing nor
/// answers tell which usernames exist. Good logins, failures of real accounts and locks are
/// written to the audit log.
///
/// # Errors
/// `Unauthenticated` on an unknown user, a wrong password or an inactive account (one answer
/// for all three); `TooManyAttempts` while throttled or locked.
#[tracing::instrument(skip_all)]
pub async fn login(app: &App, username: &str, password: &str, kind: TokenKind, ip: &str) -> Result<(String, User), ServiceError> {
    let now = Utc::now();
    let address = throttle::address_key(ip);
    if let Some(secs) = app.throttle.blocked(&address, now) {
        return Err(ServiceError::TooManyAttempts { retry_after_secs: secs });
    }
    let name = username.trim();
    let user = users::by_username(&app.db, name).await?;
    let Some(user) = user else {
        // An unknown name: counted in memory, checked against a dummy hash, refused alike.
        let key = throttle::user_key(name);
        let Some(n) = app.throttle.begin(&key, now) else {
            let secs = app.throttle.blocked(&key, now).unwrap_or(1);
            return Err(ServiceError::TooManyAttempts { retry_after_secs: secs });
        };
        let _ = verify_off_thread(password, dummy_hash().to_owned()).await?;
        // The database statements a real account's failure costs, on no row.
        let _ = users::begin_login_attempt(&app.db, "", now).await?;
        if !throttle::account_wait(n).is_zero() {
            users::set_locked_until(&app.db, "", Some(now)).await?;
        }
        app.throttle.fail_name(&key, n, now);
        app.throttle.fail_address(&address, now);
        return Err(ServiceError::Unauthenticated);
    };
    let Some(n) = users::begin_login_attempt(&app.db, &user.id, now).await? else {
        let until = users::locked_until(&app.db, &user.id).await?.unwrap_or(now);
        return Err(ServiceError::TooManyAttempts {
            retry_after_secs: throttle::seconds_until(until, now),
        });
    };
    let ok = verify_off_thread(password, user.password_hash.clone()).await?;
    if !ok || !user.active {
        let wait = throttle::account_wait(n);
        if !wait.is_zero() {
            let until = now + Duration::from_std(wait).unwrap_or_default();
            users::set_locked_until(&app.db, &user.id, Some(until)).await?;
        }
        app.throttle.fail_address(&address, now);
        let what = if n >= throttle::LOCK_AFTER {
            format!(
                "failed login {n}; account locked until {until}",
                until = now + Duration::from_std(wait).unwrap_or_default()
            )
        } else {
            format!("failed login {n}")
        };
        // Stored beside the answer, not before it: waiting for it would make a real account's
        // failure slower than an unknown name's.
        let e = login_audit(&user, ip, if n >= throttle::LOCK_AFTER { "lock" } else { "login_failed" }, &what);
        let sink = app.audit.clone();
        tokio::spawn(async move {
            if let Err(err) = sink.record(e).await {
                tracing::error!(error = %err, "the audit row of a failed login could not be stored");
            }
        });
        return Err(ServiceError::Unauthenticated);
    }
    users::clear_login_failures(&app.db, &user.id).await?;
    let token = hex::encode(rand::rng().random::<[u8; 32]>());
    let e = login_audit(&user, ip, "login", kind.code());
    users::insert_session(&app.db, &user, &token_hash(&token), kind.code(), Utc::now() + kind.lifetime()).await?;
    sanyi_store::audit::insert_batch(&app.db, &[e]).await?;
    Ok((token, user))
}

/// An audit entry of a login event of `user` (security events are audited like record access).
fn login_audit(user: &User, ip: &str, action: &str, detail: &str) -> sanyi_store::audit::AuditEntry {
    let mut e = crate::audit::system_entry(&user.division_code, action, "user", &user.id, detail);
    e.user_id.clone_from(&user.id);
    e.username.clone_from(&user.username);
    e.role.clone_from(&user.role);
    ip.clone_into(&mut e.ip);
    e
}

/// Lifts the lock of an account and forgets its failed logins (administrators whose area covers
/// the account's).
///
/// # Errors
/// `Forbidden` without user management; `NotFound` for an unknown user or one outside the area.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn unlock(app: &App, actor: &Actor, username: &str) -> Result<(), ServiceError> {
    let user = managed_user(app, actor, username).await?;
    users::clear_login_failures(&app.db, &user.id).await?;
    app.throttle.clear(&throttle::user_key(&user.username));
    let e = crate::audit::entry(actor, &user.division_code, "unlock", "user", &user.id, None, &user.username);
    sanyi_store::audit::insert_batch(&app.db, &[e]).await?;
    Ok(())
}

/// Deactivates or reactivates an account. A deactivated account's sessions and tokens stop
/// working at their next request, on every server (credentials are checked against the database
/// on every request).
///
/// # Errors
/// `Forbidden` without user management or on one's own account; `NotFound` for an unknown user
/// or one outside the area.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn set_active(app: &App, actor: &Actor, username: &str, active: bool) -> Result<(), ServiceError> {
    let user = managed_user(app, actor, username).await?;
    if user.id == actor.user_id {
        return Err(ServiceError::Validation(vec![FieldError::new(
            "username",
            "user.self",
            "another user's account",
            "You cannot deactivate your own account",
            "不能停用自己的账号",
        )]));
    }
    users::set_active(&app.db, &user.id, active).await?;
    let action = if active { "activate" } else { "deactivate" };
    let e = crate::audit::entry(actor, &user.division_code, action, "user", &user.id, None, &user.username);
    sanyi_store::audit::insert_batch(&app.db, &[e]).await?;
    Ok(())
}

/// A user the actor may manage: an administrator whose area covers the user's.
async fn managed_user(app: &App, actor: &Actor, username: &str) -> Result<User, ServiceError> {
    actor.require(crate::Permission::UserManage)?;
    users::by_username(&app.db, username.trim())
        .await?
        .filter(|u| u.scope_area.starts_with(actor.scope.prefix()))
        .ok_or(ServiceError::NotFound)
}

/// The actor behind a credential.
///
/// # Errors
/// `Unauthenticated` when the credential is unknown or expired.
#[tracing::instrument(skip_all)]
pub async fn authenticate(app: &App, token: &str, kind: TokenKind, ip: &str) -> Result<Actor, ServiceError> {
    let found = users::session_user(&app.db, &token_hash(token), kind.code(), Utc::now()).await?;
    let (user, _) = found.ok_or(ServiceError::Unauthenticated)?;
    Actor::from_user(&user, ip)
}

/// Ends a session.
///
/// # Errors
/// On a database error.
/// Deletes the sessions and tokens that have expired; returns how many.
///
/// # Errors
/// On a database error.
#[tracing::instrument(skip_all)]
pub async fn purge_expired_sessions(app: &App) -> Result<u64, ServiceError> {
    Ok(sanyi_store::users::purge_expired(&app.db, Utc::now()).await?)
}

#[tracing::instrument(skip_all)]
pub async fn logout(app: &App, token: &str) -> Result<(), ServiceError> {
    users::delete_session(&app.db, &token_hash(token)).await?;
    Ok(())
}

/// A real hash of a random password, used to equalise timing for unknown users.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&hex::encode(rand::rng().random::<[u8; 16]>())).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ() {
        let a = hash_password("correct horse").unwrap();
        let b = hash_password("correct horse").unwrap();
        assert_ne!(a, b, "salts differ");
        assert!(verify_password("correct horse", &a));
        assert!(!verify_password("wrong horse", &a));
        assert!(!verify_password("x", "not a phc string"));
    }

    #[test]
    fn token_hash_is_sha256_hex() {
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
