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

use crate::{Actor, App, FieldError, ServiceError};

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

/// Verifies credentials and issues a new credential of `kind`. Returns the token and the user.
///
/// # Errors
/// `Unauthenticated` on an unknown user, a wrong password or an inactive account (one answer
/// for all three).
pub async fn login(app: &App, username: &str, password: &str, kind: TokenKind) -> Result<(String, User), ServiceError> {
    let user = users::by_username(&app.db, username.trim()).await?;
    let user = match user {
        Some(u) if u.active => u,
        _ => {
            // Spend the same time as a real check so that usernames cannot be probed by timing.
            let _ = verify_password(password, dummy_hash());
            return Err(ServiceError::Unauthenticated);
        }
    };
    let ok = {
        let hash = user.password_hash.clone();
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || verify_password(&password, &hash))
            .await
            .map_err(|e| ServiceError::Internal(e.into()))?
    };
    if !ok {
        return Err(ServiceError::Unauthenticated);
    }
    let token = hex::encode(rand::rng().random::<[u8; 32]>());
    users::insert_session(&app.db, &user, &token_hash(&token), kind.code(), Utc::now() + kind.lifetime()).await?;
    Ok((token, user))
}

/// The actor behind a credential.
///
/// # Errors
/// `Unauthenticated` when the credential is unknown or expired.
pub async fn authenticate(app: &App, token: &str, kind: TokenKind, ip: &str) -> Result<Actor, ServiceError> {
    let found = users::session_user(&app.db, &token_hash(token), kind.code(), Utc::now()).await?;
    let (user, _) = found.ok_or(ServiceError::Unauthenticated)?;
    Actor::from_user(&user, ip)
}

/// Ends a session.
///
/// # Errors
/// On a database error.
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
