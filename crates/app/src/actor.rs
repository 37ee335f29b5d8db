//! The acting user of a request or command.

use sanyi_store::residents::ResidentScope;
use sanyi_store::users::User;

use crate::{Permission, Role, ServiceError};

/// Who is acting: identity, role, area scope and client address.
#[derive(Clone, Debug)]
pub struct Actor {
    /// User id.
    pub user_id: String,
    /// Username.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// County (or pool) code of the user.
    pub division_code: String,
    /// Institution the user works for.
    pub institution_id: Option<String>,
    /// The area whose residents the user may see.
    pub scope: ResidentScope,
    /// Client address.
    pub ip: String,
}

impl Actor {
    /// An actor from a user row.
    ///
    /// # Errors
    /// `Internal` when the stored role or scope is corrupt.
    pub fn from_user(u: &User, ip: &str) -> Result<Actor, ServiceError> {
        let role = Role::parse(&u.role).ok_or_else(|| anyhow::anyhow!("user {} has unknown role", u.username))?;
        let scope = ResidentScope::new(&u.scope_area).ok_or_else(|| anyhow::anyhow!("user {} has a bad scope", u.username))?;
        Ok(Actor {
            user_id: u.id.clone(),
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role,
            division_code: u.division_code.clone(),
            institution_id: u.institution_id.clone(),
            scope,
            ip: ip.to_owned(),
        })
    }

    /// The built-in actor of CLI commands run by the operator on the server machine.
    pub fn system(scope_prefix: &str) -> Actor {
        Actor {
            user_id: "system".into(),
            username: "system".into(),
            display_name: "sanyi CLI".into(),
            role: Role::Administrator,
            division_code: scope_prefix.chars().chain(std::iter::repeat('0')).take(6).collect(),
            institution_id: None,
            scope: ResidentScope::new(scope_prefix).unwrap_or_else(ResidentScope::all),
            ip: "cli".into(),
        }
    }

    /// Whether the actor's area covers a whole insurance pool (a 4-digit prefecture prefix, or
    /// everything): only such actors may change or run pool-level records (policies, fund years,
    /// settlement runs, the recognition catalogue).
    pub fn is_pool_level(&self) -> bool {
        self.scope.prefix().len() <= 4
    }

    /// `Ok` when the role grants `p` and the actor's area covers the whole pool.
    ///
    /// # Errors
    /// `Forbidden` without the permission; `PoolLevelOnly` for a county (or narrower) scope.
    pub fn require_pool_level(&self, p: Permission) -> Result<(), ServiceError> {
        self.require(p)?;
        if self.is_pool_level() {
            Ok(())
        } else {
            Err(ServiceError::PoolLevelOnly {
                role: self.role.code(),
                permission: p.code(),
                scope: self.scope.prefix().to_owned(),
            })
        }
    }

    /// `Ok` when the role grants `p`.
    ///
    /// # Errors
    /// `Forbidden` otherwise.
    pub fn require(&self, p: Permission) -> Result<(), ServiceError> {
        if self.role.can(p) {
            Ok(())
        } else {
            Err(ServiceError::Forbidden {
                role: self.role.code(),
                permission: p.code(),
            })
        }
    }
}
