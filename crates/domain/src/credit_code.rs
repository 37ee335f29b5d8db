//! Unified social credit codes (统一社会信用代码, GB 32100-2015) with the embedded organisation
//! code (组织机构代码, GB 11714-1997).
//!
//! Layout of the 18 characters (character set `0-9 A-H J-N P-R T U W X Y`: no I, O, S, V, Z):
//!
//! | positions | content |
//! |---|---|
//! | 1 | registration department (登记管理部门): `1` establishment office (public institutions such as public hospitals), `5` civil affairs, `9` market regulation, … |
//! | 2 | organisation type within the department (机构类别) |
//! | 3-8 | division code of the registering authority (GB/T 2260; `100000` for national registrations) |
//! | 9-17 | organisation code (主体标识码, GB 11714): 8-character body + check character |
//! | 18 | check character |
//!
//! GB 32100 check: character values 0-30 in the order of the character set, weights
//! `3^(i-1) mod 31` = 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28, check value
//! `(31 - Σ mod 31) mod 31`. Because 31 is prime and adjacent weights differ, it detects every
//! single substitution and every adjacent transposition.
//!
//! GB 11714 check over positions 9-16: values `0-9` and `A`=10 … `Z`=35, weights
//! 3 7 9 10 5 8 4 2, `c = 11 - Σ mod 11`, written `X` for 10 and `0` for 11. Letters whose
//! values differ by 11 (`0`/`B`, `A`/`L`, …) are not told apart by this check alone; the GB
//! 32100 check above them is.
//!
//! Source: GB 32100-2015 §4 and its worked example `91350100M000100Y43`; GB 11714-1997 §2.1.2.
//! Some codes issued in early pilot regions (e.g. Fujian, 2015) do not satisfy the checks; they
//! are rejected here and need a manual override upstream.

use serde::{Deserialize, Serialize};

use crate::division::DivisionCode;
use crate::{InvalidValue, position, string_newtype};

/// The GB 32100 character set; a character's value is its index.
const CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// Unified social credit code (统一社会信用代码), GB 32100-2015: registration department,
/// organisation type, division code, GB 11714 organisation code with its own check character,
/// and a mod-31 check character.
///
/// # Example
/// ```
/// use sanyi_domain::CreditCode;
/// let c = CreditCode::parse("91350100M000100Y43")?;
/// assert_eq!(c.division(), "350100");
/// assert_eq!(c.organization_code(), "M000100Y4");
/// assert_eq!(CreditCode::parse("91350100M000100Y44").unwrap_err().expected, "check character 3");
/// # Ok::<(), sanyi_domain::InvalidValue>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CreditCode(String);
string_newtype!(CreditCode);

/// GB 32100 value of a character.
fn value(c: u8) -> Option<u32> {
    CHARSET.iter().position(|&x| x == c).map(|p| p as u32)
}

/// GB 11714 value of a character: digits 0-9, letters A=10 … Z=35.
fn org_value(c: u8) -> Option<u32> {
    match c {
        b'0'..=b'9' => Some(u32::from(c - b'0')),
        b'A'..=b'Z' => Some(u32::from(c - b'A') + 10),
        _ => None,
    }
}

impl CreditCode {
    /// The GB 32100 check character of the first 17 characters, or `None` unless `first17` is
    /// 17 characters of the GB 32100 set (uppercase).
    ///
    /// # Example
    /// ```
    /// assert_eq!(sanyi_domain::CreditCode::check_char("91350100M000100Y4"), Some('3'));
    /// ```
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

    /// The GB 11714 check character of an 8-character organisation code body (digits and
    /// uppercase letters), or `None` for any other input.
    ///
    /// # Example
    /// ```
    /// assert_eq!(sanyi_domain::CreditCode::organization_check_char("M000100Y"), Some('4'));
    /// assert_eq!(sanyi_domain::CreditCode::organization_check_char("71526726"), Some('X'));
    /// ```
    pub fn organization_check_char(body8: &str) -> Option<char> {
        let b = body8.as_bytes();
        if b.len() != 8 {
            return None;
        }
        let mut sum = 0;
        for (c, w) in b.iter().zip(ORG_WEIGHTS) {
            sum += org_value(*c)? * w;
        }
        Some(match 11 - sum % 11 {
            10 => 'X',
            11 => '0',
            n => char::from(b'0' + n as u8),
        })
    }

    /// Parses a code; surrounding whitespace is trimmed and lowercase letters are uppercased.
    ///
    /// # Errors
    /// The first failing rule of:
    /// - `gb32100.length`: not 18 characters;
    /// - `gb32100.charset`: a character outside the GB 32100 set (names the position);
    /// - `gb32100.region`: positions 3-8 are not 6 digits;
    /// - `gb11714.check_character`: position 17 is not the organisation-code check character;
    /// - `gb32100.check_character`: position 18 is not the check character
    ///   (`expected` is e.g. `check character 3`).
    pub fn parse(s: &str) -> Result<CreditCode, InvalidValue> {
        let t = s.trim();
        let n = t.chars().count();
        if n != 18 {
            return Err(InvalidValue::new(
                "gb32100.length",
                "18 characters",
                format!("A unified social credit code has 18 characters, this one has {n}"),
                format!("统一社会信用代码应为 18 位，实际为 {n} 位"),
            ));
        }
        let s = t.to_ascii_uppercase();
        if let Some((i, c)) = s.chars().enumerate().find(|&(_, c)| !c.is_ascii() || !CHARSET.contains(&(c as u8))) {
            let (pos_en, pos_zh) = position(i);
            let shown = if c.is_ascii_graphic() { format!(" ({c})") } else { String::new() };
            return Err(InvalidValue::new(
                "gb32100.charset",
                "digits and capital letters except I, O, S, V, Z",
                format!("The character at {pos_en}{shown} is not allowed: GB 32100 uses digits and capital letters except I, O, S, V, Z"),
                format!("{pos_zh}{shown}为不允许的字符：统一社会信用代码只用数字和除 I、O、S、V、Z 以外的大写字母"),
            ));
        }
        let b = s.as_bytes();
        if !b[2..8].iter().all(u8::is_ascii_digit) {
            return Err(InvalidValue::new(
                "gb32100.region",
                "a 6-digit division code in positions 3-8",
                "Positions 3-8 must be the 6-digit division code of the registering authority",
                "第 3-8 位应为登记管理机关的 6 位行政区划代码",
            ));
        }
        let org = CreditCode::organization_check_char(&s[8..16]).unwrap_or('?');
        let found = char::from(b[16]);
        if found != org {
            return Err(InvalidValue::new(
                "gb11714.check_character",
                format!("organisation-code check character {org}"),
                format!("Wrong organisation-code check character: position 17 is {found}, by GB 11714 it should be {org}"),
                format!("组织机构代码校验码错误：第 17 位为 {found}，按 GB 11714 应为 {org}"),
            ));
        }
        let want = CreditCode::check_char(&s[..17]).unwrap_or('?');
        let found = char::from(b[17]);
        if found != want {
            return Err(InvalidValue::new(
                "gb32100.check_character",
                format!("check character {want}"),
                format!("Wrong check character: the last character is {found}, by GB 32100 it should be {want}"),
                format!("校验码错误：最后一位为 {found}，按 GB 32100 应为 {want}"),
            ));
        }
        Ok(CreditCode(s))
    }

    /// Builds a code from its parts, computing both check characters.
    ///
    /// # Errors
    /// `gb32100.charset` when `registration_dept`, `org_type` or a body character is outside
    /// the GB 32100 set; `gb11714.body` when `org_code_body` is not 8 characters.
    ///
    /// # Example
    /// ```
    /// use sanyi_domain::{CreditCode, DivisionCode};
    /// let d = DivisionCode::parse("350100")?;
    /// let c = CreditCode::from_parts('9', '1', &d, "M000100Y")?;
    /// assert_eq!(c.as_str(), "91350100M000100Y43");
    /// # Ok::<(), sanyi_domain::InvalidValue>(())
    /// ```
    pub fn from_parts(
        registration_dept: char,
        org_type: char,
        division: &DivisionCode,
        org_code_body: &str,
    ) -> Result<CreditCode, InvalidValue> {
        let body = org_code_body.to_ascii_uppercase();
        if body.chars().count() != 8 {
            return Err(InvalidValue::new(
                "gb11714.body",
                "an organisation code body of 8 characters",
                format!("The organisation code body has 8 characters, not {}", body.chars().count()),
                format!("组织机构代码本体应为 8 位，而不是 {} 位", body.chars().count()),
            ));
        }
        let bad_char = || {
            InvalidValue::new(
                "gb32100.charset",
                "digits and capital letters except I, O, S, V, Z",
                "A part of the code uses a character outside the GB 32100 set (digits and capital letters except I, O, S, V, Z)",
                "代码的某一部分含有统一社会信用代码不允许的字符（只用数字和除 I、O、S、V、Z 以外的大写字母）",
            )
        };
        let org = CreditCode::organization_check_char(&body).ok_or_else(bad_char)?;
        let first17 = format!("{registration_dept}{org_type}{}{body}{org}", division.as_str()).to_ascii_uppercase();
        let c = CreditCode::check_char(&first17).ok_or_else(bad_char)?;
        CreditCode::parse(&format!("{first17}{c}"))
    }

    /// The 18 characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The division code of the registering authority (positions 3-8). Not necessarily a valid
    /// [`DivisionCode`]: national registrations use `100000`.
    pub fn division(&self) -> &str {
        &self.0[2..8]
    }

    /// Registration department (position 1), e.g. `1` establishment office, `5` civil affairs,
    /// `9` market regulation.
    pub fn registration_dept(&self) -> char {
        char::from(self.0.as_bytes()[0])
    }

    /// Organisation type within the department (position 2).
    pub fn org_type(&self) -> char {
        char::from(self.0.as_bytes()[1])
    }

    /// The GB 11714 organisation code (positions 9-17, body and check character).
    pub fn organization_code(&self) -> &str {
        &self.0[8..17]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::Error as DeError;

    /// Source: GB 32100-2015 worked example (`91350100M000100Y4Z` is its invalid input; the
    /// computed check character is 3), and codes published by their holders (university and
    /// company notices): 浙江大学, 复旦大学 and 上海工程技术大学 (public institutions, `12`),
    /// 腾讯科技（深圳）有限公司, 深圳市腾讯计算机系统有限公司, 阿里巴巴（中国）有限公司 (`91`).
    #[test]
    fn published_codes() {
        for code in [
            "91350100M000100Y43",
            "12100000470095016Q",
            "12100000425006117P",
            "12310000425022547M",
            "9144030071526726XG",
            "91440300708461136T",
            "91330100799655058B",
        ] {
            let c = CreditCode::parse(code).unwrap_or_else(|e| panic!("{code}: {}", e.message));
            assert_eq!(c.as_str(), code);
        }
        let c = CreditCode::parse(" 12100000470095016q ").unwrap();
        assert_eq!(c.as_str(), "12100000470095016Q");
        assert_eq!(c.division(), "100000");
        assert_eq!(c.registration_dept(), '1');
        assert_eq!(c.org_type(), '2');
        assert_eq!(c.organization_code(), "470095016");
    }

    #[test]
    fn every_rule_reports() {
        let rule = |s: &str| CreditCode::parse(s).unwrap_err().rule;
        assert_eq!(rule("91350100M000100Y4"), "gb32100.length");
        assert_eq!(rule(""), "gb32100.length");
        assert_eq!(rule("91350100M000100I43"), "gb32100.charset");
        assert_eq!(rule("91350100M000100Y4O"), "gb32100.charset");
        assert_eq!(rule("91350100M000100Y4-"), "gb32100.charset");
        assert_eq!(rule("9135010０M000100Y43"), "gb32100.charset");
        assert_eq!(rule("913501A0M000100Y43"), "gb32100.region");
        assert_eq!(rule("91350100M000100Y53"), "gb11714.check_character");
        // The standard's own invalid example ends in Z, which is outside the character set.
        assert_eq!(rule("91350100M000100Y4Z"), "gb32100.charset");
        let e = CreditCode::parse("91350100M000100Y44").unwrap_err();
        assert_eq!(e.rule, "gb32100.check_character");
        assert_eq!(e.expected, "check character 3");
        let e = CreditCode::parse("91350100M000100Y53").unwrap_err();
        assert_eq!(e.expected, "organisation-code check character 4");
        let e = CreditCode::parse("91350100M000100I43").unwrap_err();
        assert!(e.message.contains("position 16 (I)"), "{}", e.message);
    }

    /// GB 32100-2015: `W_i = 3^(i-1) mod 31`.
    #[test]
    fn weights_are_powers_of_three() {
        let mut w = 1u32;
        for (i, table) in WEIGHTS.iter().enumerate() {
            assert_eq!(*table, w, "position {}", i + 1);
            w = w * 3 % 31;
        }
    }

    /// GB 11714-1997 rule: 10 is written X, 11 is written 0.
    #[test]
    fn organisation_check_special_values() {
        assert_eq!(CreditCode::organization_check_char("71526726"), Some('X'));
        assert_eq!(CreditCode::organization_check_char("00000000"), Some('0'));
        assert_eq!(CreditCode::organization_check_char("0000000"), None);
        assert_eq!(CreditCode::organization_check_char("0000000a"), None);
    }

    #[test]
    fn from_parts_errors() {
        let d = DivisionCode::parse("652301").unwrap();
        assert_eq!(CreditCode::from_parts('1', '2', &d, "1234567").unwrap_err().rule, "gb11714.body");
        assert_eq!(
            CreditCode::from_parts('1', '2', &d, "1234567I").unwrap_err().rule,
            "gb32100.charset"
        );
        assert_eq!(
            CreditCode::from_parts('Z', '2', &d, "12345678").unwrap_err().rule,
            "gb32100.charset"
        );
        let c = CreditCode::from_parts('1', '2', &d, "4580a8x1").unwrap();
        assert_eq!(c.division(), "652301");
        assert_eq!(&c.organization_code()[..8], "4580A8X1");
    }

    #[test]
    fn serde_goes_through_parse() {
        let c = CreditCode::deserialize(IntoDeserializer::<DeError>::into_deserializer(String::from("91350100M000100Y43"))).unwrap();
        assert_eq!(String::from(c), "91350100M000100Y43");
        let e = CreditCode::deserialize(IntoDeserializer::<DeError>::into_deserializer(String::from("91350100M000100Y44"))).unwrap_err();
        assert!(e.to_string().contains("should be 3"));
    }

    fn charset_char() -> impl Strategy<Value = u8> {
        proptest::sample::select(CHARSET.to_vec())
    }

    fn built() -> impl Strategy<Value = Vec<u8>> {
        (
            charset_char(),
            charset_char(),
            1u32..=99,
            proptest::collection::vec(charset_char(), 8),
        )
            .prop_map(|(r, t, county, body)| {
                let d = DivisionCode::parse(&format!("6523{county:02}")).unwrap();
                let body = String::from_utf8(body).unwrap();
                let c = CreditCode::from_parts(char::from(r), char::from(t), &d, &body).unwrap();
                c.as_str().as_bytes().to_vec()
            })
    }

    fn gb32100_checks(s: &[u8]) -> bool {
        std::str::from_utf8(&s[..17])
            .ok()
            .and_then(CreditCode::check_char)
            .is_some_and(|c| c as u8 == s[17])
    }

    proptest! {
        #[test]
        fn built_codes_parse(s in built()) {
            let s = String::from_utf8(s).unwrap();
            let c = CreditCode::parse(&s).unwrap();
            prop_assert_eq!(c.as_str(), s.as_str());
        }

        /// Mod 31 with non-zero weights detects every single substitution on its own.
        #[test]
        fn single_substitutions_are_detected(s in built(), pos in 0usize..18, repl in charset_char()) {
            let mut s = s;
            prop_assume!(s[pos] != repl);
            s[pos] = repl;
            prop_assert!(!gb32100_checks(&s));
            prop_assert!(CreditCode::parse(std::str::from_utf8(&s).unwrap()).is_err());
        }

        /// Adjacent weights differ mod 31, so every adjacent transposition is detected.
        #[test]
        fn adjacent_transpositions_are_detected(s in built(), pos in 0usize..17) {
            let mut s = s;
            prop_assume!(s[pos] != s[pos + 1]);
            s.swap(pos, pos + 1);
            prop_assert!(!gb32100_checks(&s));
            prop_assert!(CreditCode::parse(std::str::from_utf8(&s).unwrap()).is_err());
        }

        /// GB 11714 alone: every substitution between characters whose values differ mod 11
        /// (in particular any digit for another digit) changes the check character, and so
        /// does every adjacent transposition of such characters, the check included.
        #[test]
        fn gb11714_detects_errors_mod_11(body in proptest::collection::vec(charset_char(), 8), pos in 0usize..9, repl in charset_char(), swap in 0usize..8) {
            let body = String::from_utf8(body).unwrap();
            let check = CreditCode::organization_check_char(&body).unwrap();
            let code: Vec<u8> = format!("{body}{check}").into_bytes();
            let holds = |c: &[u8]| {
                CreditCode::organization_check_char(std::str::from_utf8(&c[..8]).unwrap()) == Some(char::from(c[8]))
            };
            // `X` in the check position stands for 10.
            let val = |i: usize, c: u8| if i == 8 && c == b'X' { Some(10) } else { org_value(c) };
            let mut sub = code.clone();
            sub[pos] = repl;
            if pos < 8 || repl.is_ascii_digit() || repl == b'X' {
                let differ = val(pos, code[pos]).unwrap() % 11 != val(pos, repl).unwrap() % 11;
                prop_assert_eq!(holds(&sub), !differ);
            }
            // Across the check position only digits keep their value when moved.
            if swap < 7 || (code[7].is_ascii_digit() && code[8].is_ascii_digit()) {
                let mut tr = code.clone();
                tr.swap(swap, swap + 1);
                let (a, b) = (org_value(code[swap]).unwrap(), org_value(code[swap + 1]).unwrap());
                if a % 11 != b % 11 {
                    prop_assert!(!holds(&tr));
                }
            }
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,20}") {
            let _ = CreditCode::parse(&s);
        }
    }
}
