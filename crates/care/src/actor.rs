//! Identifiers and the acting user.
//!
//! Identifiers are opaque strings parsed at the edge (store, server); the engine only compares them.

use serde::{Deserialize, Serialize};

macro_rules! id_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps an identifier already validated at the edge.
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// The identifier as a string.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_newtype!(
    /// User (staff member) identifier (用户编号).
    UserId
);
id_newtype!(
    /// Institution identifier (机构编号) of a community member or outside hospital.
    InstitutionId
);
id_newtype!(
    /// Referral identifier (转诊单号).
    ReferralId
);
id_newtype!(
    /// Remote consultation identifier (会诊单号).
    ConsultationId
);
id_newtype!(
    /// Consulting expert identifier (会诊专家); equals the expert's [`UserId`] string.
    ExpertId
);

impl ExpertId {
    /// Whether this expert is the given user.
    pub fn is_user(&self, user: &UserId) -> bool {
        self.0 == user.0
    }
}

/// Role of a user for care coordination (角色).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Doctor (医师).
    Doctor,
    /// Department head (科主任), may pre-review referrals.
    DepartmentHead,
    /// Referral centre staff (双向转诊服务中心), may pre-review and reassign escalated referrals.
    ReferralCentre,
    /// Remote consultation centre staff (远程会诊中心), triages and assigns consultations.
    ConsultCentre,
    /// Family doctor (家庭医生).
    FamilyDoctor,
}

impl Role {
    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Doctor => "医师",
            Role::DepartmentHead => "科主任",
            Role::ReferralCentre => "转诊中心",
            Role::ConsultCentre => "会诊中心",
            Role::FamilyDoctor => "家庭医生",
        }
    }
}

/// The acting user (操作人): who, at which institution, in which role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActorRef {
    /// User.
    pub user: UserId,
    /// Institution the user acts for.
    pub institution: InstitutionId,
    /// Role.
    pub role: Role,
}

impl ActorRef {
    /// Builds an actor.
    pub fn new(user: impl Into<String>, institution: impl Into<String>, role: Role) -> Self {
        ActorRef {
            user: UserId::new(user),
            institution: InstitutionId::new(institution),
            role,
        }
    }
}
