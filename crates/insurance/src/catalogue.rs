//! The item catalogue of a pool (医保目录: drugs, consumables, services) as settlement reads it:
//! code, names, class 甲/乙/丙, the item's own 乙 pre-self-pay share and the price cap. The
//! catalogue itself is data: versions imported per pool (`sanyi_app::medicines::catalogue`).

use std::collections::HashMap;

use sanyi_domain::{BasisPoints, Fen};
use serde::{Deserialize, Serialize};

use crate::policy::{ItemCategory, PolicyProblem};

/// One catalogue item (医保目录项目).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueItem {
    /// NHSA-style item code.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Class 甲/乙/丙.
    pub category: ItemCategory,
    /// Price cap per unit (最高限价); charges above it are self-paid (`overlmt_selfpay`).
    pub price: Fen,
    /// Unit (片, 次, 日 …).
    pub unit: String,
    /// The item's own pre-self-pay share of a 乙 item (乙类先自付比例), in place of the policy's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_pay: Option<BasisPoints>,
    /// Price caps by level of care (分级定价: village, township, county …), in place of `price`
    /// at those levels.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub tier_caps: std::collections::BTreeMap<String, Fen>,
}

impl CatalogueItem {
    /// The price cap at a level of care: the level's own cap when the catalogue gives one, else
    /// the item's.
    #[must_use]
    pub fn cap_at(&self, level: crate::policy::CareLevel) -> Fen {
        self.tier_caps.get(level.code()).copied().unwrap_or(self.price)
    }
}

/// A catalogue indexed by code (医保目录).
#[derive(Clone, Debug, Default)]
pub struct Catalogue {
    items: Vec<CatalogueItem>,
    by_code: HashMap<String, usize>,
}

impl Catalogue {
    /// Builds and checks a catalogue: codes unique and non-empty, prices positive.
    ///
    /// # Errors
    /// Every problem with its path.
    pub fn new(items: Vec<CatalogueItem>) -> Result<Catalogue, Vec<PolicyProblem>> {
        let mut problems = Vec::new();
        let mut by_code = HashMap::new();
        for (i, it) in items.iter().enumerate() {
            if it.code.trim().is_empty() {
                problems.push(PolicyProblem {
                    path: format!("items[{i}].code"),
                    rule: "must not be empty".into(),
                });
            }
            if it.price.get() <= 0 {
                problems.push(PolicyProblem {
                    path: format!("items[{i}].price"),
                    rule: "must be > 0".into(),
                });
            }
            if by_code.insert(it.code.clone(), i).is_some() {
                problems.push(PolicyProblem {
                    path: format!("items[{i}].code"),
                    rule: format!("duplicate code {}", it.code),
                });
            }
        }
        if problems.is_empty() {
            Ok(Catalogue { items, by_code })
        } else {
            Err(problems)
        }
    }

    /// The item with `code`.
    #[must_use]
    pub fn get(&self, code: &str) -> Option<&CatalogueItem> {
        self.by_code.get(code).map(|&i| &self.items[i])
    }

    /// Every item, in catalogue order.
    #[must_use]
    pub fn items(&self) -> &[CatalogueItem] {
        &self.items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_and_bad_prices_are_named() {
        let it = |code: &str, price| CatalogueItem {
            code: code.into(),
            name_zh: "x".into(),
            name_en: "x".into(),
            category: ItemCategory::A,
            price: Fen::new(price),
            unit: "次".into(),
            self_pay: None,
            tier_caps: Default::default(),
        };
        let c = Catalogue::new(vec![it("b", 5)]).unwrap();
        assert_eq!(c.get("b").map(|i| i.price), Some(Fen::new(5)));
        assert!(c.get("nope").is_none());
        let e = Catalogue::new(vec![it("a", 1), it("a", 0)]).unwrap_err();
        let paths: Vec<&str> = e.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, vec!["items[1].price", "items[1].code"]);
    }
}
