//! Unified social credit codes (统一社会信用代码, GB 32100-2015).

use serde::{Deserialize, Serialize};

use crate::division::DivisionCode;
use crate::{InvalidValue, string_newtype};

const CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// Unified social credit code (统一社会信用代码), GB 32100-2015: registration department (1),
/// organisation type (1), division code (6), organisation code per GB 11714 (9, with its own
/// check character) and a mod-31 check character.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CreditCode(String);
string_newtype!(CreditCode);

fn value(c: u8) -> Option<u32> {
    CHARSET.iter().position(|&x| x == c).map(|p| p as u32)
}

/// GB 11714 check character of an 8-character organisation code body.
fn org_check(body: &[u8]) -> Option<char> {
    if body.len() != 8 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in body.iter().zip(ORG_WEIGHTS) {
        let v = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            _ => return None,
        };
        sum += v * w;
    }
    Some(match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        n => char::from(b'0' + n as u8),
    })
}

impl CreditCode {
    /// The mod-31 check character of the first 17 characters.
    pub fn check_char(first17: &str) -> Option<char> {
        let b = first17.as_bytes();
        if b.len() != 17 {
            return None;
        }
        let mut sum = 0;
        for (c, w) in b.iter().zip(WEIGHTS) {
            sum += value(*c)? * w;
        }
        Some(char::from(CHARSET[((31 - sum % 31) % 31) as usize]))
    }

    /// Parses a code (trimmed, uppercased).
    ///
    /// # Errors
    /// Rules `gb32100.length`, `gb32100.charset`, `gb32100.region`, `gb11714.check_character`,
    /// `gb32100.check_character`.
    ///
    /// # Example
    /// ```
    /// assert!(sanyi_domain::CreditCode::parse("91350100M000100Y43").is_ok());
    /// ```
    pub fn parse(s: &str) -> Result<CreditCode, InvalidValue> {
        let s = s.trim().to_ascii_uppercase();
        if s.chars().count() != 18 {
            return Err(InvalidValue::new(
                "gb32100.length",
                "18 characters",
                "A unified social credit code has 18 characters",
                "统一社会信用代码应为 18 位",
            ));
        }
        let b = s.as_bytes();
        if !b.iter().all(|c| CHARSET.contains(c)) {
            return Err(InvalidValue::new(
                "gb32100.charset",
                "digits and capital letters except I, O, Z, S, V",
                "The code contains a character not allowed by GB 32100",
                "含有 GB 32100 不允许的字符",
            ));
        }
        if !b[2..8].iter().all(u8::is_ascii_digit) {
            return Err(InvalidValue::new(
                "gb32100.region",
                "a 6-digit division code in positions 3-8",
                "Positions 3-8 must be a division code",
                "第 3-8 位应为行政区划代码",
            ));
        }
        let org = org_check(&b[8..16]).unwrap_or('?');
        if char::from(b[16]) != org {
            return Err(InvalidValue::new(
                "gb11714.check_character",
                format!("organisation-code check character {org}"),
                format!("Wrong organisation-code check character: position 17 should be {org}"),
                format!("组织机构代码校验码错误：第 17 位应为 {org}"),
            ));
        }
        let want = CreditCode::check_char(&s[..17]).unwrap_or('?');
        if char::from(b[17]) != want {
            return Err(InvalidValue::new(
                "gb32100.check_character",
                format!("check character {want}"),
                format!("Wrong check character: the last character should be {want}"),
                format!("校验码错误：最后一位应为 {want}"),
            ));
        }
        Ok(CreditCode(s))
    }

    /// Builds a code from its parts, computing both check characters.
    ///
    /// # Errors
    /// As [`CreditCode::parse`] when a part is malformed.
    pub fn from_parts(
        registration_dept: char,
        org_type: char,
        division: &DivisionCode,
        org_code_body: &str,
    ) -> Result<CreditCode, InvalidValue> {
        let org = org_check(org_code_body.as_bytes()).ok_or_else(|| {
            InvalidValue::new(
                "gb11714.body",
                "8 digits or capital letters",
                "Bad organisation code body",
                "组织机构代码本体格式错误",
            )
        })?;
        let first17 = format!("{registration_dept}{org_type}{}{org_code_body}{org}", division.as_str());
        let c = CreditCode::check_char(&first17).ok_or_else(|| {
            InvalidValue::new(
                "gb32100.charset",
                "GB 32100 characters",
                "Bad character in the code parts",
                "代码含有不允许的字符",
            )
        })?;
        CreditCode::parse(&format!("{first17}{c}"))
    }

    /// The 18 characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The division code in positions 3-8.
    pub fn division(&self) -> &str {
        &self.0[2..8]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn published_example() {
        let c = CreditCode::parse("91350100M000100Y43").unwrap();
        assert_eq!(c.division(), "350100");
        assert_eq!(CreditCode::parse("91350100M000100Y44").unwrap_err().rule, "gb32100.check_character");
        assert_eq!(CreditCode::parse("91350100M000100Y53").unwrap_err().rule, "gb11714.check_character");
        assert_eq!(CreditCode::parse("91350100M000100I43").unwrap_err().rule, "gb32100.charset");
    }

    proptest! {
        #[test]
        fn built_codes_parse_and_single_changes_fail(body in "[0-9A-HJ-NPQRTUWXY]{8}", pos in 0usize..18, repl in 0usize..31) {
            let d = DivisionCode::parse("652301").unwrap();
            let c = CreditCode::from_parts('1', '2', &d, &body).unwrap();
            let mut s = c.as_str().as_bytes().to_vec();
            prop_assume!(s[pos] != CHARSET[repl]);
            s[pos] = CHARSET[repl];
            let changed = String::from_utf8(s).unwrap();
            prop_assert!(CreditCode::parse(&changed).is_err());
        }
    }
}
