//! Phone numbers (联系电话) with masking.

use serde::{Deserialize, Serialize};

use crate::{InvalidValue, string_newtype};

/// Phone number (联系电话): a mainland mobile number (11 digits, `1[3-9]…`) or a landline
/// `0xx(x)-xxxxxxx(x)` (hyphen optional).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);
string_newtype!(Phone);

impl Phone {
    /// Parses a phone number (spaces removed).
    ///
    /// # Errors
    /// Rule `phone.format`.
    pub fn parse(s: &str) -> Result<Phone, InvalidValue> {
        let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
        let mobile = t.len() == 11 && digits(&t) && t.starts_with('1') && (b'3'..=b'9').contains(&t.as_bytes()[1]);
        let landline = {
            let (area, local) = match t.split_once('-') {
                Some((a, l)) => (a.to_owned(), l.to_owned()),
                None if t.starts_with('0') && (t.len() == 10 || t.len() == 11 || t.len() == 12) => {
                    // Without a hyphen: 3-digit area codes (010, 02x) or 4-digit ones.
                    let k = if t.starts_with("01") || t.starts_with("02") { 3 } else { 4 };
                    (t[..k].to_owned(), t[k..].to_owned())
                }
                None => (String::new(), String::new()),
            };
            digits(&area) && area.starts_with('0') && (3..=4).contains(&area.len()) && digits(&local) && (7..=8).contains(&local.len())
        };
        if mobile || landline {
            Ok(Phone(t))
        } else {
            Err(InvalidValue::new(
                "phone.format",
                "an 11-digit mobile number (1[3-9]…) or a landline 0xxx-xxxxxxx",
                "Not a phone number",
                "电话号码格式不正确",
            ))
        }
    }

    /// The number.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Masked: `138****1234`, or the area code and the last 4 digits of a landline.
    pub fn masked(&self) -> String {
        let n = self.0.len();
        if let Some((area, local)) = self.0.split_once('-') {
            return format!(
                "{area}-{}{}",
                "*".repeat(local.len().saturating_sub(4)),
                &local[local.len().saturating_sub(4)..]
            );
        }
        let keep = if self.0.starts_with('1') { 3 } else { 4.min(n) };
        format!(
            "{}{}{}",
            &self.0[..keep],
            "*".repeat(n.saturating_sub(keep + 4)),
            &self.0[n.saturating_sub(4)..]
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobile_and_landline() {
        assert_eq!(Phone::parse("138 1234 5678").unwrap().masked(), "138****5678");
        assert_eq!(Phone::parse("0994-2345678").unwrap().masked(), "0994-***5678");
        assert!(Phone::parse("01012345678").is_ok());
        for bad in ["12812345678", "1381234567", "abc", "", "0994-12"] {
            assert_eq!(Phone::parse(bad).unwrap_err().rule, "phone.format", "{bad}");
        }
    }
}
