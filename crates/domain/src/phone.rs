//! Phone numbers (联系电话) with masking.
//!
//! Two mainland forms are accepted:
//! - a mobile number: 11 digits, `1` then `3`-`9` (spaces and hyphens between digits are
//!   ignored), stored as the 11 digits;
//! - a landline: area code and local number, hyphen optional, stored as `area-local`. Area
//!   codes start with `0`: the 3-digit ones are `010` and `020`-`029`, all others have 4 digits
//!   (`03xx`-`09xx`), which makes the split of an unhyphenated number unambiguous. The local
//!   number has 7 or 8 digits and does not start with `0`.

use serde::{Deserialize, Serialize};

use crate::{InvalidValue, string_newtype};

/// Phone number (联系电话): a mainland mobile number (11 digits, `1[3-9]…`) or a landline
/// `0xx(x)-xxxxxxx(x)` (hyphen optional on input, always present when stored).
///
/// # Example
/// ```
/// use sanyi_domain::Phone;
/// let m = Phone::parse("138 1234 5678")?;
/// assert_eq!(m.as_str(), "13812345678");
/// assert_eq!(m.masked(), "138****5678");
/// let l = Phone::parse("09942345678")?;
/// assert_eq!(l.as_str(), "0994-2345678");
/// assert_eq!(l.masked(), "0994-***5678");
/// # Ok::<(), sanyi_domain::InvalidValue>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);
string_newtype!(Phone);

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// A valid area code: `010`, `02x`, or 4 digits `0[3-9]xx`.
fn area_ok(a: &str) -> bool {
    let b = a.as_bytes();
    all_digits(a)
        && b[0] == b'0'
        && match b.len() {
            3 => a == "010" || b[1] == b'2',
            4 => (b'3'..=b'9').contains(&b[1]),
            _ => false,
        }
}

fn local_ok(l: &str) -> bool {
    all_digits(l) && (7..=8).contains(&l.len()) && !l.starts_with('0')
}

/// Normalised form, or `None`.
fn normalise(s: &str) -> Option<String> {
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let digits: String = compact.chars().filter(|&c| c != '-').collect();
    let d = digits.as_bytes();
    if d.len() == 11 && all_digits(&digits) && d[0] == b'1' && (b'3'..=b'9').contains(&d[1]) && !compact.starts_with('-') {
        return Some(digits);
    }
    let (area, local) = match compact.split_once('-') {
        Some((a, l)) => (a, l),
        None if compact.starts_with("010") || compact.starts_with("02") => compact.split_at_checked(3)?,
        None => compact.split_at_checked(4)?,
    };
    (area_ok(area) && local_ok(local)).then(|| format!("{area}-{local}"))
}

impl Phone {
    /// Parses a phone number (see the module documentation for the accepted forms).
    ///
    /// # Errors
    /// Rule `phone.format`. The message does not repeat the number.
    pub fn parse(s: &str) -> Result<Phone, InvalidValue> {
        normalise(s).map(Phone).ok_or_else(|| {
            let digits = s.chars().filter(char::is_ascii_digit).count();
            let other = s.chars().any(|c| !(c.is_ascii_digit() || c == '-' || c.is_whitespace()));
            let (found, found_zh) = if other {
                (
                    format!("{digits} digits and other characters"),
                    format!("{digits} 位数字及其他字符"),
                )
            } else {
                (format!("{digits} digits"), format!("{digits} 位数字"))
            };
            InvalidValue::new(
                "phone.format",
                "an 11-digit mobile number 1[3-9]xxxxxxxxx or a landline 0xx(x)-xxxxxxx(x)",
                format!("Not a mainland mobile number (11 digits starting 13-19) or landline (area code, then 7-8 digits); found {found}"),
                format!("电话号码格式不正确：应为 11 位手机号（13-19 开头）或区号加 7-8 位号码的固定电话；实际为 {found_zh}"),
            )
        })
    }

    /// The number: 11 digits, or `area-local` for a landline.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a mobile number.
    pub fn is_mobile(&self) -> bool {
        !self.0.contains('-')
    }

    /// Masked for lists and logs: `138****5678`; a landline keeps its area code and the last
    /// 4 digits: `0994-***5678`.
    pub fn masked(&self) -> String {
        match self.0.split_once('-') {
            Some((area, local)) => {
                let k = local.len() - 4;
                format!("{area}-{}{}", "*".repeat(k), &local[k..])
            }
            None => format!("{}****{}", &self.0[..3], &self.0[7..]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::Error as DeError;

    #[test]
    fn mobile_numbers() {
        for (input, stored) in [
            ("13812345678", "13812345678"),
            ("138 1234 5678", "13812345678"),
            ("138-1234-5678", "13812345678"),
            (" 19912345678 ", "19912345678"),
        ] {
            let p = Phone::parse(input).unwrap();
            assert_eq!(p.as_str(), stored);
            assert!(p.is_mobile());
        }
        assert_eq!(Phone::parse("13812345678").unwrap().masked(), "138****5678");
    }

    #[test]
    fn landlines() {
        for (input, stored, masked) in [
            ("0994-2345678", "0994-2345678", "0994-***5678"),
            ("09942345678", "0994-2345678", "0994-***5678"),
            ("010-12345678", "010-12345678", "010-****5678"),
            ("01012345678", "010-12345678", "010-****5678"),
            ("02887654321", "028-87654321", "028-****4321"),
            ("0755 8765 4321", "0755-87654321", "0755-****4321"),
        ] {
            let p = Phone::parse(input).unwrap();
            assert_eq!(p.as_str(), stored, "{input}");
            assert_eq!(p.masked(), masked, "{input}");
            assert!(!p.is_mobile());
            assert_eq!(Phone::parse(p.as_str()).unwrap(), p, "stored form re-parses");
        }
    }

    #[test]
    fn rejects() {
        for bad in [
            "",
            "12812345678",
            "1381234567",
            "138123456789",
            "abc",
            "0994-12",
            "0994-02345678",
            "099-2345678",
            "0101-2345678",
            "0012345678",
            "994-2345678",
            "123-4567890",
            "1234-5678901",
            "0994-2345678-1",
            "+8613812345678",
            "1381234567a",
            "-13812345678",
            "0994--2345678",
        ] {
            let e = Phone::parse(bad).unwrap_err();
            assert_eq!(e.rule, "phone.format", "{bad}");
            assert!(bad.len() < 5 || !e.message.contains(bad));
        }
    }

    #[test]
    fn serde_goes_through_parse() {
        let p = Phone::deserialize(IntoDeserializer::<DeError>::into_deserializer(String::from("138 1234 5678"))).unwrap();
        assert_eq!(String::from(p), "13812345678");
        assert!(Phone::deserialize(IntoDeserializer::<DeError>::into_deserializer(String::from("123"))).is_err());
    }

    proptest! {
        #[test]
        fn mobiles_round_trip(second in 3u8..=9, rest in "[0-9]{9}") {
            let s = format!("1{second}{rest}");
            let p = Phone::parse(&s).unwrap();
            prop_assert_eq!(p.as_str(), s.as_str());
            let m = p.masked();
            prop_assert_eq!(&m[..3], &s[..3]);
            prop_assert_eq!(&m[3..7], "****");
            prop_assert_eq!(&m[7..], &s[7..]);
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,20}") {
            if let Ok(p) = Phone::parse(&s) {
                prop_assert_eq!(Phone::parse(p.as_str()).unwrap(), p.clone());
                let _ = p.masked();
            }
        }
    }
}
