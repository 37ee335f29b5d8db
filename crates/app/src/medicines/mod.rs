//! Medicines (医药, docs/rules/procurement.md): the pool's item catalogue as versioned data, the
//! community's volume-based procurement projects, its central pharmacy (orders, deliveries with
//! acceptance, stock by lot, transfers down to members), prescriptions with dispensing, and the
//! completion, usage and savings report with the insurance prepayment and the retained saving.
//! The procurement engine (`sanyi-procurement`) computes; this layer loads, checks role and area,
//! stores and audits.

pub mod cache;
pub mod catalogue;
pub mod export;
pub mod pharmacy;
pub mod prescriptions;
pub mod projects;
pub mod report;
pub mod table;

use crate::{Actor, ServiceError};

/// Whether a county-level record of `county` lies in the actor's area (a pool-wide or county
/// area covers it; a narrower area — a township or a village — does not).
pub(crate) fn covers_county(actor: &Actor, county: &str) -> bool {
    let prefix = actor.scope.prefix();
    prefix.len() <= 6 && county.starts_with(prefix)
}

/// `NotFound` unless [`covers_county`] (a record outside the area answers like a missing one).
pub(crate) fn require_county(actor: &Actor, county: &str) -> Result<(), ServiceError> {
    if covers_county(actor, county) {
        Ok(())
    } else {
        Err(ServiceError::NotFound)
    }
}
