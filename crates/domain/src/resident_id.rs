//! Resident identity numbers (居民身份证号码, GB 11643-1999) and sex (GB/T 2261.1).
//!
//! Structure of the 18 characters: 6-digit address code (GB/T 2260 division of household
//! registration), 8-digit birth date `YYYYMMDD`, 3-digit order code (odd for men, even for
//! women) and a check character computed with ISO 7064 MOD 11-2 over the first 17 digits:
//! weights `2^(18-i) mod 11` = 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, check value
//! `(12 - Σ mod 11) mod 11`, written `X` for 10. The scheme detects every single-character
//! error and every transposition of two adjacent characters.
//!
//! Source: GB 11643-1999 §5-§6 and its Annex A examples `11010519491231002X` and
//! `440524188001010014`.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::division::DivisionCode;
use crate::{InvalidValue, position, string_newtype, valid_province};

/// Sex per GB/T 2261.1 (性别): code 1 male, 2 female.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// Male (男), code 1.
    Male,
    /// Female (女), code 2.
    Female,
}

impl Sex {
    /// GB/T 2261.1 code: 1 or 2.
    pub fn code(self) -> u8 {
        match self {
            Sex::Male => 1,
            Sex::Female => 2,
        }
    }

    /// From a GB/T 2261.1 code; `None` for 0 (unknown) and 9 (unstated) as well as any other.
    pub fn from_code(c: u8) -> Option<Sex> {
        match c {
            1 => Some(Sex::Male),
            2 => Some(Sex::Female),
            _ => None,
        }
    }

    /// Chinese label: 男 / 女.
    pub fn label_zh(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }

    /// English label: male / female.
    pub fn label_en(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }
}

impl std::fmt::Display for Sex {
    /// The serde name: `male` / `female`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label_en())
    }
}

/// Resident identity number (居民身份证号码), GB 11643: 18 characters, the last an ISO 7064
/// MOD 11-2 check character (`X` = 10). Stored uppercase.
///
/// # Example
/// ```
/// use sanyi_domain::{ResidentId, Sex};
/// let id = ResidentId::parse("11010519491231002x")?;
/// assert_eq!(id.as_str(), "11010519491231002X");
/// assert_eq!(id.sex(), Sex::Female);
/// assert_eq!(id.region_code(), "110105");
/// assert_eq!(id.masked(), "110105********002X");
/// # Ok::<(), sanyi_domain::InvalidValue>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ResidentId(String);
string_newtype!(ResidentId);

/// ISO 7064 MOD 11-2 weights of the first 17 positions.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character by `Σ mod 11`.
const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// Masks an identifier-like string for lists and logs: when it has at least 11 characters the
/// first 6 and the last 4 stay and the rest become `*`; otherwise all but the last 2 become
/// `*`. Works on characters, so any input is safe.
///
/// # Example
/// ```
/// use sanyi_domain::mask_id_like;
/// assert_eq!(mask_id_like("652301198001011234"), "652301********1234");
/// assert_eq!(mask_id_like("H6523010"), "******10");
/// ```
pub fn mask_id_like(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    if n >= 11 {
        chars[..6]
            .iter()
            .copied()
            .chain(std::iter::repeat_n('*', n - 10))
            .chain(chars[n - 4..].iter().copied())
            .collect()
    } else {
        let keep = n.saturating_sub(2);
        std::iter::repeat_n('*', keep).chain(chars[keep..].iter().copied()).collect()
    }
}

/// The birth date in digits 7-14, if it is a real date in 1900 or later.
fn birth_of(s: &str) -> Option<NaiveDate> {
    let d = s.get(6..14)?;
    if !d.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let y: i32 = d[..4].parse().ok()?;
    let m: u32 = d[4..6].parse().ok()?;
    let day: u32 = d[6..].parse().ok()?;
    NaiveDate::from_ymd_opt(y, m, day).filter(|_| y >= 1900)
}

impl ResidentId {
    /// The check character for the first 17 digits, or `None` unless `first17` is exactly 17
    /// ASCII digits.
    ///
    /// # Example
    /// ```
    /// assert_eq!(sanyi_domain::ResidentId::check_char("11010519491231002"), Some('X'));
    /// assert_eq!(sanyi_domain::ResidentId::check_char("1101051949123100"), None);
    /// ```
    pub fn check_char(first17: &str) -> Option<char> {
        let b = first17.as_bytes();
        if b.len() != 17 || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let sum: u32 = b.iter().zip(WEIGHTS).map(|(c, w)| u32::from(c - b'0') * w).sum();
        Some(CHECK[(sum % 11) as usize])
    }

    /// Parses an ID number. Surrounding whitespace is trimmed and a lowercase `x` is accepted
    /// and stored as `X`.
    ///
    /// Messages never repeat the number; they name the failing position or part.
    ///
    /// # Errors
    /// The first failing rule, in this order:
    /// - `gb11643.length`: not 18 characters;
    /// - `gb11643.charset`: not 17 digits followed by a digit or `X`;
    /// - `gb11643.region`: the first 2 digits are not a province code;
    /// - `gb11643.birth_date`: digits 7-14 are not a real date in 1900 or later;
    /// - `gb11643.check_digit`: wrong check character (`expected` is e.g. `check character 7`).
    ///
    /// # Example
    /// ```
    /// use sanyi_domain::ResidentId;
    /// let e = ResidentId::parse("110105194912310021").unwrap_err();
    /// assert_eq!(e.rule, "gb11643.check_digit");
    /// assert_eq!(e.expected, "check character X");
    /// ```
    pub fn parse(s: &str) -> Result<ResidentId, InvalidValue> {
        let t = s.trim();
        let n = t.chars().count();
        if n != 18 {
            return Err(InvalidValue::new(
                "gb11643.length",
                "18 characters",
                format!("A resident ID number has 18 characters, this one has {n}"),
                format!("居民身份证号码应为 18 位，实际为 {n} 位"),
            ));
        }
        if let Some((i, _)) = t
            .char_indices()
            .enumerate()
            .find(|&(k, (_, c))| !(c.is_ascii_digit() || (k == 17 && matches!(c, 'x' | 'X'))))
        {
            let (pos_en, pos_zh) = position(i);
            let (want_en, want_zh) = if i == 17 {
                ("a digit or X", "数字或 X")
            } else {
                ("a digit", "数字")
            };
            return Err(InvalidValue::new(
                "gb11643.charset",
                "17 digits followed by a digit or X",
                format!("A resident ID number is 17 digits followed by a digit or X; {pos_en} is not {want_en}"),
                format!("居民身份证号码应为 17 位数字加 1 位数字或 X；{pos_zh}不是{want_zh}"),
            ));
        }
        let s = t.to_ascii_uppercase();
        if !valid_province(&s[..2]) {
            return Err(InvalidValue::new(
                "gb11643.region",
                "a province code (11-82) in the first 2 digits",
                format!("The first 2 digits ({}) are not a province code", &s[..2]),
                format!("前 2 位（{}）不是有效的省级行政区划代码", &s[..2]),
            ));
        }
        if birth_of(&s).is_none() {
            return Err(InvalidValue::new(
                "gb11643.birth_date",
                "a real birth date YYYYMMDD, year 1900 or later, in digits 7-14",
                "Digits 7-14 are not a valid birth date (YYYYMMDD, year 1900 or later)",
                "第 7-14 位不是有效的出生日期（YYYYMMDD，1900 年及以后）",
            ));
        }
        let want = ResidentId::check_char(&s[..17]).unwrap_or('?');
        let found = char::from(s.as_bytes()[17]);
        if found != want {
            return Err(InvalidValue::new(
                "gb11643.check_digit",
                format!("check character {want}"),
                format!("Wrong check character: the last character is {found}, by ISO 7064 MOD 11-2 it should be {want}"),
                format!("校验码错误：最后一位为 {found}，按 ISO 7064 MOD 11-2 应为 {want}"),
            ));
        }
        Ok(ResidentId(s))
    }

    /// Parses like [`ResidentId::parse`] and also rejects a birth date after `today`.
    ///
    /// # Errors
    /// As [`ResidentId::parse`], and `gb11643.birth_date` for a birth date after `today`.
    ///
    /// # Example
    /// ```
    /// use chrono::NaiveDate;
    /// use sanyi_domain::ResidentId;
    /// let before_birth = NaiveDate::from_ymd_opt(1949, 12, 30).unwrap();
    /// let e = ResidentId::parse_on("11010519491231002X", before_birth).unwrap_err();
    /// assert_eq!(e.rule, "gb11643.birth_date");
    /// ```
    pub fn parse_on(s: &str, today: NaiveDate) -> Result<ResidentId, InvalidValue> {
        let id = ResidentId::parse(s)?;
        if id.birth_date() > today {
            return Err(InvalidValue::new(
                "gb11643.birth_date",
                format!("a birth date not after {today}"),
                format!("The birth date in digits 7-14 is after {today}"),
                format!("第 7-14 位的出生日期晚于 {today}"),
            ));
        }
        Ok(id)
    }

    /// Builds an ID number from a division code, a birth date and a 3-digit order code
    /// (`sequence`, odd for men), computing the check character.
    ///
    /// # Errors
    /// `gb11643.order_code` when `sequence` > 999; `gb11643.birth_date` for a birth year
    /// outside 1900-9999.
    ///
    /// # Example
    /// ```
    /// use chrono::NaiveDate;
    /// use sanyi_domain::{DivisionCode, ResidentId, Sex};
    /// let d = DivisionCode::parse("110105")?;
    /// let id = ResidentId::from_parts(&d, NaiveDate::from_ymd_opt(1949, 12, 31).unwrap(), 2)?;
    /// assert_eq!(id.as_str(), "11010519491231002X");
    /// assert_eq!(id.sex(), Sex::Female);
    /// # Ok::<(), sanyi_domain::InvalidValue>(())
    /// ```
    pub fn from_parts(division: &DivisionCode, birth: NaiveDate, sequence: u16) -> Result<ResidentId, InvalidValue> {
        if sequence > 999 {
            return Err(InvalidValue::new(
                "gb11643.order_code",
                "an order code from 0 to 999",
                format!("The order code has 3 digits; {sequence} is too large"),
                format!("顺序码为 3 位数字，{sequence} 超出范围"),
            ));
        }
        if !(1900..=9999).contains(&birth.year()) {
            return Err(InvalidValue::new(
                "gb11643.birth_date",
                "a birth year from 1900 to 9999",
                "The birth year must be from 1900 to 9999",
                "出生年份应在 1900 至 9999 之间",
            ));
        }
        let body = format!("{}{}{:03}", division.as_str(), birth.format("%Y%m%d"), sequence);
        let c = ResidentId::check_char(&body).unwrap_or('?');
        ResidentId::parse(&format!("{body}{c}"))
    }

    /// The 18 characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Birth date (digits 7-14).
    pub fn birth_date(&self) -> NaiveDate {
        // Validated by `parse`, the only constructor.
        birth_of(&self.0).unwrap_or_default()
    }

    /// Sex from the order code: the 17th digit is odd for men, even for women.
    pub fn sex(&self) -> Sex {
        if (self.0.as_bytes()[16] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// The address code: first 6 digits (division of the household registration at the time the
    /// number was issued; it does not follow later moves or re-codings).
    pub fn region_code(&self) -> &str {
        &self.0[..6]
    }

    /// Masked for lists and logs: `652301********1234` (first 6, 8 stars, last 4).
    pub fn masked(&self) -> String {
        mask_id_like(&self.0)
    }

    /// Age in whole years on `day` (0 before the birth date). A person born on 29 February
    /// turns a year older on 1 March in common years.
    ///
    /// # Example
    /// ```
    /// use chrono::NaiveDate;
    /// let id = sanyi_domain::ResidentId::parse("11010519491231002X")?;
    /// assert_eq!(id.age_on(NaiveDate::from_ymd_opt(2024, 12, 30).unwrap()), 74);
    /// assert_eq!(id.age_on(NaiveDate::from_ymd_opt(2024, 12, 31).unwrap()), 75);
    /// # Ok::<(), sanyi_domain::InvalidValue>(())
    /// ```
    pub fn age_on(&self, day: NaiveDate) -> u32 {
        let b = self.birth_date();
        let mut age = day.year() - b.year();
        if (day.month(), day.day()) < (b.month(), b.day()) {
            age -= 1;
        }
        u32::try_from(age).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::Error as DeError;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// Source: GB 11643-1999 Annex A, the two example numbers.
    #[test]
    fn standard_examples() {
        let id = ResidentId::parse("11010519491231002x").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id.birth_date(), date(1949, 12, 31));
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.region_code(), "110105");
        assert_eq!(id.masked(), "110105********002X");
        assert_eq!(id.to_string(), "11010519491231002X");
        // The second example (广东省汕头市潮阳县, born 1880-01-01, male): its check character is
        // right, but sanyi only accepts birth years from 1900.
        assert_eq!(ResidentId::check_char("44052418800101001"), Some('4'));
        assert_eq!(ResidentId::parse("440524188001010014").unwrap_err().rule, "gb11643.birth_date");
    }

    #[test]
    fn every_rule_reports_in_order() {
        let rule = |s: &str| ResidentId::parse(s).unwrap_err().rule;
        assert_eq!(rule(""), "gb11643.length");
        assert_eq!(rule("1101051949123100"), "gb11643.length");
        assert_eq!(rule("11010519491231002X1"), "gb11643.length");
        assert_eq!(rule("1101051949123100AX"), "gb11643.charset");
        assert_eq!(rule("11010519491231002Y"), "gb11643.charset");
        assert_eq!(rule("X10105194912310021"), "gb11643.charset");
        assert_eq!(rule("１１010519491231002X"), "gb11643.charset");
        assert_eq!(rule("99010519491231002X"), "gb11643.region");
        assert_eq!(rule("10010519491231002X"), "gb11643.region");
        assert_eq!(rule("110105194913310020"), "gb11643.birth_date");
        assert_eq!(rule("110105190002290020"), "gb11643.birth_date");
        assert_eq!(rule("110105189912310020"), "gb11643.birth_date");
        let e = ResidentId::parse("110105194912310021").unwrap_err();
        assert_eq!(e.rule, "gb11643.check_digit");
        assert_eq!(e.expected, "check character X");
        // Region before birth date before check digit.
        assert_eq!(rule("990105194913310021"), "gb11643.region");
        assert_eq!(rule("110105194913310021"), "gb11643.birth_date");
    }

    #[test]
    fn messages_never_repeat_the_number() {
        for s in [
            "11010519491231002",
            "1101051949123100AX",
            "99010519491231002X",
            "110105194913310020",
            "110105194912310021",
        ] {
            let e = ResidentId::parse(s).unwrap_err();
            for m in [&e.message, &e.message_zh, &e.expected] {
                assert!(!m.contains(&s[..10]), "{m}");
            }
            assert!(!e.message_zh.is_empty() && e.message != e.message_zh);
        }
    }

    #[test]
    fn leap_days_and_future_births() {
        let d = DivisionCode::parse("652301").unwrap();
        let leap = ResidentId::from_parts(&d, date(2000, 2, 29), 1).unwrap();
        assert_eq!(leap.sex(), Sex::Male);
        assert_eq!(leap.age_on(date(2001, 2, 28)), 0);
        assert_eq!(leap.age_on(date(2001, 3, 1)), 1);
        assert_eq!(leap.age_on(date(1999, 1, 1)), 0);
        let today = date(2026, 1, 1);
        let future = ResidentId::from_parts(&d, date(2027, 1, 1), 1).unwrap();
        assert_eq!(ResidentId::parse_on(future.as_str(), today).unwrap_err().rule, "gb11643.birth_date");
        assert!(ResidentId::parse_on(leap.as_str(), today).is_ok());
        assert!(ResidentId::parse_on(leap.as_str(), date(2000, 2, 29)).is_ok());
    }

    #[test]
    fn from_parts_rejects_out_of_range() {
        let d = DivisionCode::parse("652301").unwrap();
        assert_eq!(
            ResidentId::from_parts(&d, date(1990, 1, 1), 1000).unwrap_err().rule,
            "gb11643.order_code"
        );
        assert_eq!(
            ResidentId::from_parts(&d, date(1899, 12, 31), 1).unwrap_err().rule,
            "gb11643.birth_date"
        );
        assert_eq!(
            ResidentId::from_parts(&d, date(10_000, 1, 1), 1).unwrap_err().rule,
            "gb11643.birth_date"
        );
        let zero = ResidentId::from_parts(&d, date(1990, 1, 1), 0).unwrap();
        assert_eq!(&zero.as_str()[14..17], "000");
    }

    /// ISO 7064 MOD 11-2: the weight of position i (1-based, 18 positions) is 2^(18-i) mod 11.
    #[test]
    fn weights_are_powers_of_two() {
        for (i, w) in WEIGHTS.iter().enumerate() {
            assert_eq!(*w, (1u32 << (17 - i)) % 11, "position {}", i + 1);
        }
    }

    #[test]
    fn masking() {
        assert_eq!(mask_id_like("13812345678"), "138123*5678");
        assert_eq!(mask_id_like("1381234567"), "********67");
        assert_eq!(mask_id_like("abc"), "*bc");
        assert_eq!(mask_id_like("a"), "a");
        assert_eq!(mask_id_like(""), "");
        assert_eq!(mask_id_like("居民身份证号码一二三四五"), "居民身份证号**二三四五");
    }

    #[test]
    fn sex_codes() {
        for s in [Sex::Male, Sex::Female] {
            assert_eq!(Sex::from_code(s.code()), Some(s));
        }
        assert_eq!(Sex::from_code(0), None);
        assert_eq!(Sex::from_code(9), None);
        assert_eq!(Sex::Female.label_zh(), "女");
        assert_eq!(Sex::Male.to_string(), "male");
        let s = Sex::deserialize(IntoDeserializer::<DeError>::into_deserializer("female")).unwrap();
        assert_eq!(s, Sex::Female);
    }

    #[test]
    fn serde_goes_through_parse() {
        let ok = ResidentId::deserialize(IntoDeserializer::<DeError>::into_deserializer(String::from("11010519491231002x")));
        assert_eq!(ok.unwrap().as_str(), "11010519491231002X");
        let bad = ResidentId::deserialize(IntoDeserializer::<DeError>::into_deserializer(String::from("110105194912310021")));
        assert!(bad.unwrap_err().to_string().contains("check character"));
        let id: ResidentId = "11010519491231002X".parse().unwrap();
        assert_eq!(String::from(id.clone()), "11010519491231002X");
        assert_eq!(ResidentId::try_from(String::from("11010519491231002X")).unwrap(), id);
    }

    /// A valid 17-digit body: province prefix, any 4 digits, a real date from 1900 to 2099,
    /// any order code.
    fn body() -> impl Strategy<Value = String> {
        (
            proptest::sample::select(crate::PROVINCES.to_vec()),
            0u32..=9999,
            0u32..(200 * 366),
            0u16..=999,
        )
            .prop_map(|(p, county, days, seq)| {
                let d = date(1900, 1, 1) + chrono::Days::new(u64::from(days));
                format!("{p:02}{county:04}{}{seq:03}", d.format("%Y%m%d"))
            })
    }

    /// A valid body, or any 17 digits (for the checksum alone).
    fn any_body() -> impl Strategy<Value = String> {
        prop_oneof![body(), "[0-9]{17}"]
    }

    fn with_check(b: &str) -> Vec<u8> {
        let c = ResidentId::check_char(b).unwrap();
        format!("{b}{c}").into_bytes()
    }

    /// The MOD 11-2 check relation over 18 characters.
    fn checks(s: &[u8]) -> bool {
        std::str::from_utf8(&s[..17])
            .ok()
            .and_then(ResidentId::check_char)
            .is_some_and(|c| c as u8 == s[17])
    }

    proptest! {
        #[test]
        fn computed_check_char_validates(b in body()) {
            let s = String::from_utf8(with_check(&b)).unwrap();
            let id = ResidentId::parse(&s).unwrap();
            prop_assert_eq!(id.as_str(), s.as_str());
            prop_assert_eq!(&id.as_str()[..17], b.as_str());
        }

        /// The table implementation satisfies the ISO 7064 MOD 11-2 relation for any 17 digits:
        /// Σ a_i · 2^(18-i) ≡ 1 (mod 11) over all 18 positions, the check character counting
        /// 10 for `X`.
        #[test]
        fn iso7064_relation_holds_for_any_digits(b in "[0-9]{17}") {
            let c = ResidentId::check_char(&b).unwrap();
            let values = b.bytes().map(|d| u32::from(d - b'0')).chain([if c == 'X' { 10 } else { c.to_digit(10).unwrap() }]);
            let sum: u32 = values.enumerate().map(|(i, a)| a * (1u32 << (17 - i)) % 11).sum();
            prop_assert_eq!(sum % 11, 1);
        }

        /// MOD 11-2 detects every single substitution, including in the check position.
        #[test]
        fn any_single_substitution_is_detected(b in any_body(), pos in 0usize..18, d in 0usize..11) {
            let mut s = with_check(&b);
            let new = if pos == 17 { CHECK[d] as u8 } else { b'0' + (d % 10) as u8 };
            prop_assume!(s[pos] != new);
            s[pos] = new;
            prop_assert!(!checks(&s));
            prop_assert!(ResidentId::parse(std::str::from_utf8(&s).unwrap()).is_err());
        }

        /// MOD 11-2 detects every transposition of two adjacent distinct characters.
        #[test]
        fn adjacent_transpositions_are_detected(b in any_body(), pos in 0usize..17) {
            let mut s = with_check(&b);
            prop_assume!(s[pos] != s[pos + 1]);
            s.swap(pos, pos + 1);
            // Swapping an X into position 17 breaks the charset; otherwise the check fails.
            prop_assert!(!checks(&s));
            prop_assert!(ResidentId::parse(std::str::from_utf8(&s).unwrap()).is_err());
        }

        #[test]
        fn from_parts_agrees_with_parse(b in body()) {
            let d = DivisionCode::parse(&format!("{}0000", &b[..2])).unwrap();
            let birth = NaiveDate::parse_from_str(&b[6..14], "%Y%m%d").unwrap();
            let seq: u16 = b[14..17].parse().unwrap();
            let id = ResidentId::from_parts(&d, birth, seq).unwrap();
            prop_assert_eq!(id.birth_date(), birth);
            prop_assert_eq!(id.sex() == Sex::Male, seq % 2 == 1);
            prop_assert_eq!(id.masked().len(), 18);
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = ResidentId::parse(&s);
            let _ = mask_id_like(&s);
        }
    }
}
