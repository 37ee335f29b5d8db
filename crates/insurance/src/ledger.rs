//! The fund's payments to a community as a ledger (基金拨付台账,
//! docs/rules/global-budget.md#runs-and-ledger): an approved settlement run states what the
//! community should have been paid for each month (the prepayment) and, at the year-end, the
//! settlement that brings the total to the community's year-end amount (a negative one is a
//! clawback, 追回). The ledger is append-only: approving a run posts, for each (month, kind), only
//! the difference between what the run states and what earlier approvals posted, so that a
//! corrected run adds correcting entries and never rewrites one.

use std::collections::BTreeMap;

use sanyi_domain::Fen;
use serde::{Deserialize, Serialize};

use crate::budget::YearEnd;
use crate::trace::InsuranceError;

/// Kind of ledger entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// Monthly prepayment (月度预付).
    Prepayment,
    /// Year-end settlement (年终清算): paid when positive, clawed back when negative.
    YearEnd,
}

impl EntryKind {
    /// The stored code.
    pub const fn code(self) -> &'static str {
        match self {
            EntryKind::Prepayment => "prepayment",
            EntryKind::YearEnd => "year_end",
        }
    }

    /// From the stored code.
    pub fn parse(code: &str) -> Option<EntryKind> {
        match code {
            "prepayment" => Some(EntryKind::Prepayment),
            "year_end" => Some(EntryKind::YearEnd),
            _ => None,
        }
    }
}

/// What a ledger line is about: a community, a month (1–12) and a kind.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EntryKey {
    /// Community id.
    pub community: String,
    /// Month 1–12 (the year-end settlement is booked in month 12).
    pub month: u32,
    /// Kind.
    pub kind: EntryKind,
}

/// What is posted already for a key: the sum and the number of postings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Posted {
    /// Σ amounts.
    pub amount: Fen,
    /// Number of postings (the next one is `count + 1`).
    pub count: u32,
}

/// One entry to post.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Posting {
    /// Key.
    pub key: EntryKey,
    /// Amount (negative: a correction downwards or a clawback).
    pub amount: Fen,
    /// Sequence number of this posting for its key (1 for the first).
    pub seq: u32,
}

/// The community's year-end amount Y (年度应拨付总额): its budget, less the surplus the fund
/// keeps, plus the overspend the fund pays; equally, its spending plus the retained surplus less
/// the overspend it bears.
///
/// # Errors
/// Overflow.
///
/// # Example
/// ```
/// use sanyi_domain::Fen;
/// use sanyi_insurance::budget::{BudgetPolicy, year_end};
/// use sanyi_insurance::ledger::year_end_amount;
/// let p = BudgetPolicy::example_changji();
/// let ye = year_end(&p, Fen::new(1_000_000), Fen::new(900_000), 9_000)?;
/// let y = year_end_amount(Fen::new(1_000_000), &ye)?;
/// assert_eq!(y, Fen::new(900_000).checked_add(ye.retained)?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn year_end_amount(budget: Fen, ye: &YearEnd) -> Result<Fen, InsuranceError> {
    Ok(budget.checked_sub(ye.fund_keeps)?.checked_add(ye.fund_pays)?)
}

/// What a run states for one community: the prepayment of each month 1..=n, and with the
/// year-end amount the settlement `Y − Σ prepayments` booked in month 12.
///
/// # Errors
/// More than 12 months; overflow.
pub fn community_targets(community: &str, prepayments: &[Fen], year_end: Option<Fen>) -> Result<BTreeMap<EntryKey, Fen>, InsuranceError> {
    if prepayments.len() > 12 {
        return Err(InsuranceError::InvalidInput {
            field: format!("communities[{community}].prepayments"),
            rule: "at most 12 months",
        });
    }
    let mut out = BTreeMap::new();
    for (month, amount) in (1u32..).zip(prepayments) {
        out.insert(
            EntryKey {
                community: community.to_owned(),
                month,
                kind: EntryKind::Prepayment,
            },
            *amount,
        );
    }
    if let Some(y) = year_end {
        let prepaid = Fen::sum(prepayments.iter().copied())?;
        out.insert(
            EntryKey {
                community: community.to_owned(),
                month: 12,
                kind: EntryKind::YearEnd,
            },
            y.checked_sub(prepaid)?,
        );
    }
    Ok(out)
}

/// The postings that bring the ledger from `posted` to `targets`: one per key whose target
/// differs from what is posted, for the difference. Keys the run does not state are left alone.
///
/// # Errors
/// Overflow.
pub fn postings(targets: &BTreeMap<EntryKey, Fen>, posted: &BTreeMap<EntryKey, Posted>) -> Result<Vec<Posting>, InsuranceError> {
    let mut out = Vec::new();
    for (key, target) in targets {
        let before = posted.get(key).copied().unwrap_or_default();
        let diff = target.checked_sub(before.amount)?;
        if diff != Fen::ZERO {
            out.push(Posting {
                key: key.clone(),
                amount: diff,
                seq: before.count + 1,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn apply(posted: &mut BTreeMap<EntryKey, Posted>, ps: &[Posting]) {
        for p in ps {
            let e = posted.entry(p.key.clone()).or_default();
            assert_eq!(p.seq, e.count + 1, "postings are numbered in order");
            e.amount = e.amount.checked_add(p.amount).unwrap();
            e.count += 1;
        }
    }

    fn total(posted: &BTreeMap<EntryKey, Posted>, community: &str) -> Fen {
        Fen::sum(posted.iter().filter(|(k, _)| k.community == community).map(|(_, p)| p.amount)).unwrap()
    }

    #[test]
    fn approving_the_same_run_twice_posts_nothing_the_second_time() {
        let t = community_targets("A", &[Fen::new(100), Fen::new(100)], None).unwrap();
        let mut posted = BTreeMap::new();
        let first = postings(&t, &posted).unwrap();
        assert_eq!(first.len(), 2);
        apply(&mut posted, &first);
        assert!(postings(&t, &posted).unwrap().is_empty());
    }

    #[test]
    fn a_year_end_below_the_prepayments_is_a_clawback() {
        let t = community_targets("A", &[Fen::new(100); 12], Some(Fen::new(1_000))).unwrap();
        let ye = &t[&EntryKey {
            community: "A".into(),
            month: 12,
            kind: EntryKind::YearEnd,
        }];
        assert_eq!(*ye, Fen::new(-200));
    }

    #[test]
    fn more_than_twelve_months_is_refused() {
        assert!(community_targets("A", &[Fen::new(1); 13], None).is_err());
    }

    proptest! {
        /// Conservation: whatever interim runs were approved before (with whatever prepayments),
        /// once a year-end run is approved the community's entries add up to its year-end
        /// amount to the fen, and each key's entries to the last run's figure.
        #[test]
        fn prepayments_and_settlement_add_up_to_the_year_end_amount(
            interims in proptest::collection::vec((1usize..=12, 0i64..10_000_000), 0..6),
            monthly in proptest::collection::vec(0i64..10_000_000, 12),
            y in -10_000_000i64..200_000_000,
        ) {
            let mut posted = BTreeMap::new();
            for (through, amount) in &interims {
                let t = community_targets("A", &vec![Fen::new(*amount); *through], None).unwrap();
                let ps = postings(&t, &posted).unwrap();
                apply(&mut posted, &ps);
            }
            let months: Vec<Fen> = monthly.iter().map(|m| Fen::new(*m)).collect();
            let t = community_targets("A", &months, Some(Fen::new(y))).unwrap();
            let ps = postings(&t, &posted).unwrap();
            apply(&mut posted, &ps);
            prop_assert_eq!(total(&posted, "A"), Fen::new(y));
            for (k, v) in &t {
                prop_assert_eq!(posted[k].amount, *v);
            }
            // Approving it again changes nothing.
            prop_assert!(postings(&t, &posted).unwrap().is_empty());
        }
    }
}
