//! Resident identity numbers (居民身份证号码, GB 11643) and sex.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::division::DivisionCode;
use crate::{InvalidValue, string_newtype, valid_province};

/// Sex per GB/T 2261.1 (性别: 1 male, 2 female).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// Male (男).
    Male,
    /// Female (女).
    Female,
}

impl Sex {
    /// GB/T 2261.1 code.
    pub fn code(self) -> u8 {
        match self {
            Sex::Male => 1,
            Sex::Female => 2,
        }
    }

    /// From a GB/T 2261.1 code.
    pub fn from_code(c: u8) -> Option<Sex> {
        match c {
            1 => Some(Sex::Male),
            2 => Some(Sex::Female),
            _ => None,
        }
    }

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }
}

/// Resident identity number (居民身份证号码), GB 11643: 6-digit region, 8-digit birth date, 3-digit
/// order code (odd = male) and an ISO 7064 MOD 11-2 check character (`X` = 10). Stored uppercase.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ResidentId(String);
string_newtype!(ResidentId);

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// Masks an identifier-like string for lists and logs: the first 6 and last 4 characters stay
/// when it has at least 11, otherwise all but the last 2 become `*`.
pub fn mask_id_like(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    if n >= 11 {
        chars[..6]
            .iter()
            .chain(std::iter::repeat_n(&'*', n - 10))
            .chain(chars[n - 4..].iter())
            .collect()
    } else {
        std::iter::repeat_n('*', n.saturating_sub(2))
            .chain(chars[n.saturating_sub(2)..].iter().copied())
            .collect()
    }
}

impl ResidentId {
    /// The check character for the first 17 digits.
    pub fn check_char(first17: &str) -> Option<char> {
        if first17.len() != 17 || !first17.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let sum: u32 = first17.bytes().zip(WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
        Some(CHECK[(sum % 11) as usize])
    }

    /// Parses an ID number (surrounding spaces trimmed; lowercase `x` accepted).
    ///
    /// # Errors
    /// Rules, in order: `gb11643.length`, `gb11643.charset`, `gb11643.region`,
    /// `gb11643.birth_date`, `gb11643.check_digit`.
    ///
    /// # Example
    /// ```
    /// let id = sanyi_domain::ResidentId::parse("11010519491231002X").unwrap();
    /// assert_eq!(id.sex(), sanyi_domain::Sex::Female);
    /// ```
    pub fn parse(s: &str) -> Result<ResidentId, InvalidValue> {
        let s = s.trim().to_ascii_uppercase();
        let n = s.chars().count();
        if n != 18 {
            return Err(InvalidValue::new(
                "gb11643.length",
                "18 characters",
                format!("An ID number has 18 characters, this one has {n}"),
                format!("身份证号应为 18 位，实际 {n} 位"),
            ));
        }
        let b = s.as_bytes();
        if !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
            return Err(InvalidValue::new(
                "gb11643.charset",
                "17 digits followed by a digit or X",
                "An ID number is 17 digits followed by a digit or X",
                "身份证号应为 17 位数字加 1 位数字或 X",
            ));
        }
        if !valid_province(&s[..2]) {
            return Err(InvalidValue::new(
                "gb11643.region",
                "a valid province code in the first 2 digits",
                format!("Unknown province code {}", &s[..2]),
                format!("省级代码 {} 不存在", &s[..2]),
            ));
        }
        let birth = NaiveDate::parse_from_str(&s[6..14], "%Y%m%d").ok().filter(|d| d.year() >= 1900);
        if birth.is_none() {
            return Err(InvalidValue::new(
                "gb11643.birth_date",
                "a real birth date (YYYYMMDD, year 1900 or later) in digits 7-14",
                format!("Digits 7-14 ({}) are not a valid birth date", &s[6..14]),
                format!("第 7-14 位（{}）不是有效的出生日期", &s[6..14]),
            ));
        }
        let want = ResidentId::check_char(&s[..17]).unwrap_or('?');
        if char::from(b[17]) != want {
            return Err(InvalidValue::new(
                "gb11643.check_digit",
                format!("check character {want}"),
                format!("Wrong check character: the last character should be {want} (ISO 7064 MOD 11-2)"),
                format!("校验码错误：最后一位应为 {want}"),
            ));
        }
        Ok(ResidentId(s))
    }

    /// Parses and also rejects a birth date after `today`.
    ///
    /// # Errors
    /// As [`ResidentId::parse`], and `gb11643.birth_date` for a future birth date.
    pub fn parse_on(s: &str, today: NaiveDate) -> Result<ResidentId, InvalidValue> {
        let id = ResidentId::parse(s)?;
        if id.birth_date() > today {
            return Err(InvalidValue::new(
                "gb11643.birth_date",
                format!("a birth date not after {today}"),
                "The birth date lies in the future",
                "出生日期晚于今天",
            ));
        }
        Ok(id)
    }

    /// Builds an ID number from its parts, computing the check character.
    ///
    /// # Errors
    /// `gb11643.order_code` when `sequence` > 999; `gb11643.birth_date` before 1900.
    pub fn from_parts(division: &DivisionCode, birth: NaiveDate, sequence: u16) -> Result<ResidentId, InvalidValue> {
        if sequence > 999 {
            return Err(InvalidValue::new(
                "gb11643.order_code",
                "0 to 999",
                "The order code has 3 digits",
                "顺序码应为 3 位",
            ));
        }
        if birth.year() < 1900 {
            return Err(InvalidValue::new(
                "gb11643.birth_date",
                "year 1900 or later",
                "Birth year before 1900",
                "出生年份早于 1900",
            ));
        }
        let body = format!("{}{}{:03}", division.as_str(), birth.format("%Y%m%d"), sequence);
        let c = ResidentId::check_char(&body).unwrap_or('0');
        ResidentId::parse(&format!("{body}{c}"))
    }

    /// The 18 characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Birth date (digits 7-14).
    pub fn birth_date(&self) -> NaiveDate {
        NaiveDate::parse_from_str(&self.0[6..14], "%Y%m%d").unwrap_or_default()
    }

    /// Sex from the order code (odd = male).
    pub fn sex(&self) -> Sex {
        if (self.0.as_bytes()[16] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// Region code of the birth registration (first 6 digits).
    pub fn region_code(&self) -> &str {
        &self.0[..6]
    }

    /// Masked for lists and logs: `652301********1234`.
    pub fn masked(&self) -> String {
        mask_id_like(&self.0)
    }

    /// Age in whole years on `day`.
    pub fn age_on(&self, day: NaiveDate) -> u32 {
        let b = self.birth_date();
        let mut age = day.year() - b.year();
        if (day.month(), day.day()) < (b.month(), b.day()) {
            age -= 1;
        }
        age.max(0) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn standard_example_is_valid() {
        let id = ResidentId::parse("11010519491231002x").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id.birth_date(), NaiveDate::from_ymd_opt(1949, 12, 31).unwrap());
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.masked(), "110105********002X");
    }

    #[test]
    fn every_rule_reports() {
        let rule = |s: &str| ResidentId::parse(s).unwrap_err().rule;
        assert_eq!(rule("1101051949123100"), "gb11643.length");
        assert_eq!(rule("1101051949123100AX"), "gb11643.charset");
        assert_eq!(rule("99010519491231002X"), "gb11643.region");
        assert_eq!(rule("110105194913310020"), "gb11643.birth_date");
        let e = ResidentId::parse("110105194912310021").unwrap_err();
        assert_eq!(e.rule, "gb11643.check_digit");
        assert_eq!(e.expected, "check character X");
        let today = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let future = ResidentId::from_parts(
            &DivisionCode::parse("652301").unwrap(),
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
            1,
        )
        .unwrap();
        assert_eq!(ResidentId::parse_on(future.as_str(), today).unwrap_err().rule, "gb11643.birth_date");
    }

    #[test]
    fn masking() {
        assert_eq!(mask_id_like("13812345678"), "138123*5678");
        assert_eq!(mask_id_like("abc"), "*bc");
        assert_eq!(mask_id_like(""), "");
    }

    fn body() -> impl Strategy<Value = String> {
        (0usize..PROVINCES_LEN, 0u32..=9999, 1900i32..2026, 1u32..=12, 1u32..=28, 0u16..=999)
            .prop_map(|(p, county, y, m, d, seq)| format!("{:02}{:04}{:04}{:02}{:02}{:03}", crate::PROVINCES[p], county, y, m, d, seq))
    }
    const PROVINCES_LEN: usize = 34;

    proptest! {
        #[test]
        fn computed_check_char_validates(b in body()) {
            let c = ResidentId::check_char(&b).unwrap();
            let full = format!("{b}{c}");
            prop_assert!(ResidentId::parse(&full).is_ok());
        }

        #[test]
        fn any_single_substitution_is_detected(b in body(), pos in 0usize..18, d in 0u8..11) {
            let c = ResidentId::check_char(&b).unwrap();
            let mut s: Vec<u8> = format!("{b}{c}").into_bytes();
            let new = if pos == 17 { CHECK[d as usize] as u8 } else { b'0' + (d % 10) };
            prop_assume!(s[pos] != new);
            s[pos] = new;
            let s = String::from_utf8(s).unwrap();
            prop_assert!(ResidentId::parse(&s).is_err());
        }

        #[test]
        fn adjacent_transpositions_are_detected(b in body(), pos in 0usize..16) {
            let c = ResidentId::check_char(&b).unwrap();
            let mut s: Vec<u8> = format!("{b}{c}").into_bytes();
            prop_assume!(s[pos] != s[pos + 1]);
            s.swap(pos, pos + 1);
            let s = String::from_utf8(s).unwrap();
            let first17 = &s[..17];
            prop_assert_ne!(ResidentId::check_char(first17), Some(char::from(s.as_bytes()[17])));
        }

        #[test]
        fn parse_never_panics(s in ".{0,40}") {
            let _ = ResidentId::parse(&s);
        }
    }
}
