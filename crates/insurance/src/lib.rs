//! Insurance engine of sanyi (医保引擎): benefit policy, one-stop settlement, county global budget
//! and payment methods for a tight county medical community (紧密型县域医共体).
//!
//! The crate is pure: no async, IO, web or SQL. Money is [`sanyi_domain::Fen`] (integer fen),
//! ratios are [`sanyi_domain::BasisPoints`]; there is no floating point on any money path. Every
//! policy number tagged \[T\], \[R\] or \[?\] in docs/rules/README.md#source-marks is a field of a parameter struct, never a
//! constant in code, and every computation returns a [`Trace`] naming the rule, the parameters,
//! the base and the result of each step, in Chinese and English.
//!
//! Organisation:
//! - [`trace`]: [`Trace`], [`InsuranceError`] and the exact [`largest_remainder`] split.
//! - [`catalogue`]: the item catalogue (医保目录) with classes and price caps.
//! - [`dip`]: diagnosis-intervention packet scores (按病种分值, DIP), the alternative point method.
//! - [`fraud`]: fraud and misuse checks with evidence (挂床, 分解住院, 低标准入院, 重复收费).
//! - [`policy`]: the versioned benefit [`Policy`] of a pool and year, with [`Policy::validate`].
//! - [`settlement`]: one-stop settlement (一站式结算) of an encounter into NHSA fields.
//! - [`budget`]: the county global budget (医共体医保基金打包付费).
//! - [`payment`]: DRG point method (点数法), per bed-day (按床日) and capitation (按人头).
//! - [`ledger`]: the fund's payments to a community as append-only ledger postings (基金拨付台账).
//! - [`settlement_run`]: the money rules of a settlement run (结算运行): spending tally against the
//!   time-proportional budget, community split, year-end distribution, a county's point settlement.
#![deny(missing_docs)]

pub mod budget;
pub mod catalogue;
pub mod dip;
pub mod fraud;
pub mod ledger;
pub mod payment;
pub mod policy;
pub mod settlement;
pub mod settlement_run;
pub mod trace;

pub use budget::{BudgetPolicy, OverspendModel};
pub use payment::{DrgPointPolicy, Points};
pub use policy::{CareLevel, ItemCategory, PersonCategory, Policy, PolicyProblem, Scheme};
pub use settlement::{Accumulators, Encounter, MedType, Referral, Rejection, Settlement, reverse, settle};
pub use trace::{InsuranceError, Param, Trace, TraceStep, largest_remainder};
