//! Medical insurance use cases (医保): benefit policy versions, the fund year of a pool, one-stop
//! settlement of claims with accumulators, the settlement run from the pool's budget to year-end,
//! and fraud flags with their review. The insurance engine computes; this layer loads, checks
//! scope, stores and audits.

pub mod claims;
pub mod eligibility;
pub mod export;
pub mod fraud;
pub mod fund_year;
pub mod overspend;
pub mod policies;
pub mod policy_sheet;
pub mod run;
pub mod run_diff;
pub mod runs;

use sanyi_insurance::PolicyProblem;
pub use sanyi_insurance::fraud::ReviewOutcome;
pub use sanyi_insurance::settlement::MedType;

use crate::{Actor, FieldError, ServiceError};

/// The pool the actor works in (the first four digits of the division code + `00`), and a check
/// that a requested pool is the actor's.
pub(crate) fn actor_pool(actor: &Actor, requested: Option<&str>) -> Result<String, ServiceError> {
    let own = crate::drg::pool_of(actor);
    match requested {
        Some(p) if p != own => Err(ServiceError::NotFound),
        _ => Ok(own),
    }
}

/// Engine policy problems as field errors (`rule` names the broken rule, `field` the path).
pub(crate) fn problems(prefix: &str, ps: Vec<PolicyProblem>) -> Vec<FieldError> {
    ps.into_iter()
        .map(|p| {
            let field = if prefix.is_empty() {
                p.path.clone()
            } else {
                format!("{prefix}.{}", p.path)
            };
            FieldError::new(
                &field,
                "policy.rule",
                &p.rule,
                &format!("{}: {}", p.path, p.rule),
                &format!("{}：{}", p.path, p.rule),
            )
        })
        .collect()
}

/// Parses a JSON or TOML document (TOML when `toml` is true), naming the format's error.
pub(crate) fn parse_document<T: serde::de::DeserializeOwned>(text: &str, toml: bool, what: &str) -> Result<T, ServiceError> {
    let parsed = if toml {
        toml::from_str::<T>(text).map_err(|e| e.to_string())
    } else {
        serde_json::from_str::<T>(text).map_err(|e| e.to_string())
    };
    parsed.map_err(|e| {
        ServiceError::Validation(vec![FieldError::new(
            what,
            "document.parse",
            if toml {
                "a TOML document of the documented shape"
            } else {
                "a JSON document of the documented shape"
            },
            &e,
            &format!("文件格式错误：{e}"),
        )])
    })
}
