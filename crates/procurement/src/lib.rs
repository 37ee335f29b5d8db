//! Volume-based procurement engine of sanyi (集中带量采购引擎): agreed volumes, zero mark-up,
//! insurance payment standards, completion and usage monitoring, savings, prepayment offsets, the
//! supplier payment clock, retained saving, FEFO dispensing and prescription supply limits.
//!
//! The crate is pure: no async, IO, web or SQL. Money is [`sanyi_domain::Fen`] (integer fen),
//! shares are [`sanyi_domain::BasisPoints`] and ratios are exact [`Rational`]s; there is no
//! floating point. Nothing panics: every function that can fail returns a typed error whose
//! variants have a stable `code()` and a Chinese `message_zh()`. The rules are described in
//! docs/rules/procurement.md.
//!
//! Organisation:
//! - [`error`]: [`ProcurementError`], the error of the volume, money and date rules.
//! - [`ratio`]: the exact ratio [`Rational`].
//! - [`volume`]: agreed volume from reported demand and the [`WinnersRule`].
//! - [`pricing`]: zero mark-up check and the insurance payment standard.
//! - [`monitoring`]: completion, elapsed time, the behind-schedule alarm and the usage rate.
//! - [`saving`](mod@saving): weighted price cut, saving and retained saving (结余留用).
//! - [`prepayment`](mod@prepayment): the insurance prepayment and its offset against settlements.
//! - [`invoice`]: the supplier payment clock (回款).
//! - [`dispensing`]: first-expiry-first-out lot allocation.
//! - [`prescription`]: days-supply limits, including long prescriptions (长处方).
#![deny(missing_docs)]

pub mod dispensing;
pub mod error;
pub mod invoice;
pub mod monitoring;
pub mod prepayment;
pub mod prescription;
pub mod pricing;
pub mod ratio;
pub mod saving;
pub mod volume;

pub use dispensing::{DispenseError, LotStock, allocate};
pub use error::ProcurementError;
pub use invoice::{DEFAULT_PAYMENT_DAYS, due_date, overdue_days};
pub use monitoring::{DEFAULT_BEHIND_THRESHOLD, behind, completion, elapsed, usage_rate};
pub use prepayment::{OffsetLine, PrepaymentOffsets, offset, prepayment};
pub use prescription::{PrescriptionKind, SupplyError, SupplyLimits, check_days_supply};
pub use pricing::{GenericKey, MarkupError, SelectedPrice, check_zero_markup, over_standard, payment_standard};
pub use ratio::Rational;
pub use saving::{
    DEFAULT_COMPLETION_GATE, GateReason, RetainedInput, RetainedLine, RetainedSaving, retained_saving, saving, weighted_price_cut,
};
pub use volume::{WinnersRule, WinnersTier, agreed_volume};
