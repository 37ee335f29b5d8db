//! Agreed volume (约定采购量) from reported demand and the number of winning firms.
//!
//! Rule: docs/rules/procurement.md#agreed-volume.

use serde::{Deserialize, Serialize};

use sanyi_domain::BasisPoints;

use crate::error::{ProcurementError, non_negative, to_i64};

/// One tier of the [`WinnersRule`]: from `min_winners` winning firms on (up to the next tier),
/// `share` of the reported demand becomes the agreed volume (约定采购比例).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WinnersTier {
    /// Smallest number of winning firms this tier applies to.
    pub min_winners: u32,
    /// Share of the reported demand.
    pub share: BasisPoints,
}

/// Winning-firms rule (中选企业数量规则): the share of reported demand that becomes the agreed
/// volume, by number of winning firms of the generic. The last tier applies to any larger number.
/// See docs/rules/procurement.md#agreed-volume.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WinnersRule {
    /// Tiers in strictly increasing `min_winners`, the first at 1 firm.
    pub tiers: Vec<WinnersTier>,
}

impl Default for WinnersRule {
    /// Later national batches: 1 firm 50 %, 2 firms 60 %, 3 firms 70 %, 4 or more firms 80 %.
    fn default() -> Self {
        let tier = |min_winners, bp| WinnersTier {
            min_winners,
            share: BasisPoints::new(bp),
        };
        WinnersRule {
            tiers: vec![tier(1, 5_000), tier(2, 6_000), tier(3, 7_000), tier(4, 8_000)],
        }
    }
}

impl WinnersRule {
    /// Checks the rule: at least one tier, the first at 1 firm, firm counts strictly increasing,
    /// shares within 1..=10 000 bp and non-decreasing.
    ///
    /// # Errors
    /// The first problem found, as a `winners_rule.*` [`ProcurementError`].
    pub fn validate(&self) -> Result<(), ProcurementError> {
        let first = self.tiers.first().ok_or(ProcurementError::RuleEmpty)?;
        if first.min_winners != 1 {
            return Err(ProcurementError::RuleFirstTier {
                min_winners: first.min_winners,
            });
        }
        for (index, t) in self.tiers.iter().enumerate() {
            if !(1..=10_000).contains(&t.share.get()) {
                return Err(ProcurementError::RuleShare { index, share: t.share });
            }
            if let Some(prev) = index.checked_sub(1).and_then(|i| self.tiers.get(i)) {
                if t.min_winners <= prev.min_winners {
                    return Err(ProcurementError::RuleOrder { index });
                }
                if t.share < prev.share {
                    return Err(ProcurementError::RuleDecreasing { index });
                }
            }
        }
        Ok(())
    }

    /// The share for `winners` firms (the tier with the largest `min_winners` not above it).
    ///
    /// # Errors
    /// [`ProcurementError::NoWinners`] for 0 firms; any error of [`WinnersRule::validate`].
    pub fn share_for(&self, winners: u32) -> Result<BasisPoints, ProcurementError> {
        self.validate()?;
        if winners == 0 {
            return Err(ProcurementError::NoWinners);
        }
        self.tiers
            .iter()
            .rev()
            .find(|t| t.min_winners <= winners)
            .map(|t| t.share)
            .ok_or(ProcurementError::NoWinners)
    }
}

/// Agreed volume (约定采购量) in whole units: `reported_units × share(winners)`, rounded half up.
/// See docs/rules/procurement.md#agreed-volume.
///
/// # Errors
/// `input.negative` for negative demand, `agreed_volume.no_winners` for 0 firms, or an invalid
/// rule.
pub fn agreed_volume(reported_units: i64, winners: u32, rule: &WinnersRule) -> Result<i64, ProcurementError> {
    non_negative("reported_units", reported_units)?;
    let share = rule.share_for(winners)?;
    // reported ≥ 0 and share ≤ 10 000 bp: the i128 product cannot overflow, the result fits.
    to_i64((i128::from(reported_units) * i128::from(share.get()) + 5_000) / 10_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_shares_by_winners() {
        let r = WinnersRule::default();
        assert_eq!(r.validate(), Ok(()));
        assert_eq!(agreed_volume(1_000, 1, &r), Ok(500));
        assert_eq!(agreed_volume(1_000, 2, &r), Ok(600));
        assert_eq!(agreed_volume(1_000, 3, &r), Ok(700));
        assert_eq!(agreed_volume(1_000, 4, &r), Ok(800));
        assert_eq!(agreed_volume(1_000, 9, &r), Ok(800));
        assert_eq!(agreed_volume(0, 2, &r), Ok(0));
    }

    #[test]
    fn rounds_half_up_to_whole_units() {
        let r = WinnersRule::default();
        assert_eq!(agreed_volume(333, 3, &r), Ok(233)); // 233.1
        assert_eq!(agreed_volume(5, 2, &r), Ok(3)); // 3.0
        assert_eq!(agreed_volume(1, 1, &r), Ok(1)); // 0.5 → 1
        assert_eq!(agreed_volume(3, 1, &r), Ok(2)); // 1.5 → 2
        assert_eq!(agreed_volume(i64::MAX, 4, &r), Ok(7_378_697_629_483_820_646));
    }

    #[test]
    fn refuses_bad_inputs() {
        let r = WinnersRule::default();
        assert_eq!(agreed_volume(-1, 2, &r).unwrap_err().code(), "input.negative");
        assert_eq!(agreed_volume(100, 0, &r), Err(ProcurementError::NoWinners));
    }

    #[test]
    fn validate_finds_each_problem() {
        let t = |min_winners, bp| WinnersTier {
            min_winners,
            share: BasisPoints::new(bp),
        };
        let code = |tiers: Vec<WinnersTier>| WinnersRule { tiers }.validate().unwrap_err().code();
        assert_eq!(code(vec![]), "winners_rule.empty");
        assert_eq!(code(vec![t(2, 5_000)]), "winners_rule.first_tier");
        assert_eq!(code(vec![t(1, 5_000), t(1, 6_000)]), "winners_rule.order");
        assert_eq!(code(vec![t(1, 0)]), "winners_rule.share_range");
        assert_eq!(code(vec![t(1, 10_001)]), "winners_rule.share_range");
        assert_eq!(code(vec![t(1, 6_000), t(3, 5_000)]), "winners_rule.share_decreasing");
        let bad = WinnersRule { tiers: vec![] };
        assert_eq!(agreed_volume(10, 1, &bad).unwrap_err().code(), "winners_rule.empty");
        // Gaps are allowed: 2 firms fall back to the 1-firm tier.
        let gap = WinnersRule {
            tiers: vec![t(1, 6_000), t(3, 7_000)],
        };
        assert_eq!(agreed_volume(100, 2, &gap), Ok(60));
    }
}
