//! Zero mark-up (零加成) and the insurance payment standard (医保支付标准).
//!
//! Rules: docs/rules/procurement.md#zero-mark-up and docs/rules/procurement.md#payment-standard.

use serde::{Deserialize, Serialize};

use sanyi_domain::Fen;

use crate::error::{ProcurementError, non_negative};

/// A refused sale price on a drug or consumable line (零加成检查错误).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarkupError {
    /// A zero-mark-up line sold above its purchase price.
    #[error("zero mark-up line sold at {sale} above its purchase price {purchase}")]
    Violated {
        /// Purchase price (进价).
        purchase: Fen,
        /// Sale price (售价).
        sale: Fen,
    },
    /// A negative price.
    #[error("negative price {price}")]
    NegativePrice {
        /// The price given.
        price: Fen,
    },
}

impl MarkupError {
    /// Stable machine-readable code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            MarkupError::Violated { .. } => "zero_markup.violated",
            MarkupError::NegativePrice { .. } => "zero_markup.negative_price",
        }
    }

    /// Message in Chinese.
    #[must_use]
    pub fn message_zh(&self) -> String {
        match self {
            MarkupError::Violated { purchase, sale } => {
                format!("零加成项目售价 {sale} 元高于进价 {purchase} 元")
            }
            MarkupError::NegativePrice { price } => format!("价格 {price} 元为负数"),
        }
    }
}

/// Zero mark-up check (零加成): on a zero-mark-up line the sale price may not exceed the purchase
/// price; other lines are only checked for negative prices. Selling below purchase is allowed.
/// See docs/rules/procurement.md#zero-mark-up.
///
/// # Errors
/// [`MarkupError::Violated`] naming both prices; [`MarkupError::NegativePrice`].
pub fn check_zero_markup(purchase_price: Fen, sale_price: Fen, zero_markup: bool) -> Result<(), MarkupError> {
    for price in [purchase_price, sale_price] {
        if price < Fen::ZERO {
            return Err(MarkupError::NegativePrice { price });
        }
    }
    if zero_markup && sale_price > purchase_price {
        return Err(MarkupError::Violated {
            purchase: purchase_price,
            sale: sale_price,
        });
    }
    Ok(())
}

/// A generic (通用名): generic name plus dosage form, the unit products are grouped by. Names are
/// compared exactly; the caller normalises them.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct GenericKey {
    /// Generic name, e.g. 阿托伐他汀钙.
    pub generic_name: String,
    /// Dosage form (剂型), e.g. 片剂.
    pub dosage_form: String,
}

/// A selected product's unit price in force (中选价格).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectedPrice {
    /// The generic the product belongs to.
    pub generic: GenericKey,
    /// Selected unit price.
    pub unit_price: Fen,
}

/// Insurance payment standard (医保支付标准) of a charged product: a selected product's own unit
/// price; for a non-selected product, the highest selected unit price of its generic among
/// `selected_in_force` (the caller passes the prices in force on the charge date); `None` when its
/// generic has no selection. See docs/rules/procurement.md#payment-standard.
#[must_use]
pub fn payment_standard(generic: &GenericKey, unit_price: Fen, is_selected: bool, selected_in_force: &[SelectedPrice]) -> Option<Fen> {
    if is_selected {
        return Some(unit_price);
    }
    selected_in_force
        .iter()
        .filter(|s| &s.generic == generic)
        .map(|s| s.unit_price)
        .max()
}

/// The part of a charge above the payment standard, paid by the patient:
/// `max(price − standard, 0) × quantity`. See docs/rules/procurement.md#payment-standard.
///
/// # Errors
/// `input.negative` for a negative price, standard or quantity; overflow.
pub fn over_standard(price: Fen, standard: Fen, quantity: i64) -> Result<Fen, ProcurementError> {
    non_negative("price", price.get())?;
    non_negative("standard", standard.get())?;
    non_negative("quantity", quantity)?;
    let above = price.checked_sub(standard)?.max(Fen::ZERO);
    Ok(above.checked_mul(quantity)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str, form: &str) -> GenericKey {
        GenericKey {
            generic_name: name.into(),
            dosage_form: form.into(),
        }
    }

    #[test]
    fn zero_markup() {
        assert_eq!(check_zero_markup(Fen::new(1_000), Fen::new(1_000), true), Ok(()));
        assert_eq!(check_zero_markup(Fen::new(1_000), Fen::new(900), true), Ok(()));
        assert_eq!(check_zero_markup(Fen::new(1_000), Fen::new(1_200), false), Ok(()));
        let e = check_zero_markup(Fen::new(1_000), Fen::new(1_001), true).unwrap_err();
        assert_eq!(e.code(), "zero_markup.violated");
        assert_eq!(e.message_zh(), "零加成项目售价 10.01 元高于进价 10.00 元");
        assert!(e.to_string().contains("10.01") && e.to_string().contains("10.00"));
        let e = check_zero_markup(Fen::new(-1), Fen::new(0), false).unwrap_err();
        assert_eq!(e.code(), "zero_markup.negative_price");
    }

    #[test]
    fn payment_standard_rules() {
        let tab = key("阿托伐他汀钙", "片剂");
        let selected = [
            SelectedPrice {
                generic: tab.clone(),
                unit_price: Fen::new(12),
            },
            SelectedPrice {
                generic: tab.clone(),
                unit_price: Fen::new(18),
            },
            SelectedPrice {
                generic: key("阿托伐他汀钙", "胶囊"),
                unit_price: Fen::new(40),
            },
        ];
        // A selected product: its own price.
        assert_eq!(payment_standard(&tab, Fen::new(12), true, &selected), Some(Fen::new(12)));
        // A non-selected original: the highest selected price of the same generic and form.
        assert_eq!(payment_standard(&tab, Fen::new(300), false, &selected), Some(Fen::new(18)));
        // No selection for this generic and form.
        assert_eq!(
            payment_standard(&key("阿托伐他汀钙", "注射剂"), Fen::new(300), false, &selected),
            None
        );
        assert_eq!(payment_standard(&tab, Fen::new(300), false, &[]), None);
    }

    #[test]
    fn patient_pays_above_standard() {
        assert_eq!(over_standard(Fen::new(300), Fen::new(18), 28), Ok(Fen::new(282 * 28)));
        assert_eq!(over_standard(Fen::new(18), Fen::new(18), 28), Ok(Fen::ZERO));
        assert_eq!(over_standard(Fen::new(10), Fen::new(18), 28), Ok(Fen::ZERO));
        assert_eq!(over_standard(Fen::new(10), Fen::new(18), -1).unwrap_err().code(), "input.negative");
        assert_eq!(
            over_standard(Fen::new(i64::MAX), Fen::ZERO, 2).unwrap_err().code(),
            "money.overflow"
        );
    }
}
