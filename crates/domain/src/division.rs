//! Administrative division codes (行政区划代码, GB/T 2260) and statistical area codes
//! (统计用区划代码).
//!
//! A division code is 6 digits: province 2 + prefecture 2 + county 2. Trailing `00` pairs mark
//! a higher level (`650000` province, `652300` prefecture, `652301` county). Only the structure
//! and the province prefix are checked here; whether a code exists in the current edition of
//! GB/T 2260 is a table lookup for the store.
//!
//! A statistical area code (National Bureau of Statistics) extends a county-level division code
//! with a 3-digit township part and a 3-digit village part (村/居委会). Prefecture-level cities
//! without counties (for example 东莞 441900) have townships directly under the prefecture; they
//! have no county medical community and are not accepted as areas.

use serde::{Deserialize, Serialize};

use crate::{InvalidValue, code_enum, string_newtype, valid_province};

/// Administrative division code (行政区划代码), GB/T 2260: province 2 + prefecture 2 + county 2
/// digits.
///
/// # Example
/// ```
/// use sanyi_domain::{DivisionCode, DivisionLevel};
/// let county = DivisionCode::parse("652301")?;
/// assert_eq!(county.level(), DivisionLevel::County);
/// assert_eq!(county.prefecture().as_str(), "652300");
/// assert!(county.province().contains(&county));
/// assert_eq!(county.prefecture().scope_prefix(), "6523");
/// # Ok::<(), sanyi_domain::InvalidValue>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DivisionCode(String);
string_newtype!(DivisionCode);

/// Level of a division code (行政区划级别).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DivisionLevel {
    /// Province, autonomous region or municipality (省级): `xx0000`.
    Province,
    /// Prefecture (地级): `xxxx00`.
    Prefecture,
    /// County, county-level city or district (县级): any other code.
    County,
}

impl DivisionLevel {
    /// Code: `province`, `prefecture`, `county`.
    pub fn code(self) -> &'static str {
        match self {
            DivisionLevel::Province => "province",
            DivisionLevel::Prefecture => "prefecture",
            DivisionLevel::County => "county",
        }
    }

    /// Parses a code.
    ///
    /// # Errors
    /// Rule `gb2260.level`.
    pub fn parse(s: &str) -> Result<DivisionLevel, InvalidValue> {
        [DivisionLevel::Province, DivisionLevel::Prefecture, DivisionLevel::County]
            .into_iter()
            .find(|l| l.code() == s.trim())
            .ok_or_else(|| {
                InvalidValue::new(
                    "gb2260.level",
                    "province, prefecture or county",
                    format!("Unknown division level {}", crate::shown(s)),
                    format!("未知行政区划级别 {}", crate::shown(s)),
                )
            })
    }

    /// Chinese label: 省级 / 地级 / 县级.
    pub fn label_zh(self) -> &'static str {
        match self {
            DivisionLevel::Province => "省级",
            DivisionLevel::Prefecture => "地级",
            DivisionLevel::County => "县级",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        self.code()
    }
}
code_enum!(DivisionLevel);

impl DivisionCode {
    /// Parses a 6-digit code (surrounding whitespace trimmed).
    ///
    /// # Errors
    /// The first failing rule of:
    /// - `gb2260.format`: not 6 digits;
    /// - `gb2260.province`: the first 2 digits are not a province code (11-15, 21-23, 31-37,
    ///   41-46, 50-54, 61-65, 71, 81, 82);
    /// - `gb2260.structure`: a county part under a `00` prefecture part (`xx00yy`, `yy` ≠ `00`).
    pub fn parse(s: &str) -> Result<DivisionCode, InvalidValue> {
        let s = s.trim();
        if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InvalidValue::new(
                "gb2260.format",
                "6 digits",
                format!("A division code has 6 digits; found {}", describe(s)),
                format!("行政区划代码应为 6 位数字；实际为{}", describe_zh(s)),
            ));
        }
        if !valid_province(&s[..2]) {
            return Err(InvalidValue::new(
                "gb2260.province",
                "a province code (11-82) in the first 2 digits",
                format!("{} is not a province code", &s[..2]),
                format!("{} 不是省级行政区划代码", &s[..2]),
            ));
        }
        if &s[2..4] == "00" && &s[4..] != "00" {
            return Err(InvalidValue::new(
                "gb2260.structure",
                "a county part only under a prefecture part (not xx00yy)",
                format!("{s} has a county part without a prefecture part"),
                format!("{s} 有县级部分但地级部分为 00"),
            ));
        }
        Ok(DivisionCode(s.to_owned()))
    }

    /// Wraps 6 characters already known to form a valid code.
    pub(crate) fn from_validated(s: &str) -> DivisionCode {
        debug_assert!(DivisionCode::parse(s).is_ok(), "{s}");
        DivisionCode(s.to_owned())
    }

    /// The 6 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Level from the trailing `00` pairs.
    pub fn level(&self) -> DivisionLevel {
        if &self.0[2..] == "0000" {
            DivisionLevel::Province
        } else if &self.0[4..] == "00" {
            DivisionLevel::Prefecture
        } else {
            DivisionLevel::County
        }
    }

    /// The province containing this code (`xx0000`).
    pub fn province(&self) -> DivisionCode {
        DivisionCode(format!("{}0000", &self.0[..2]))
    }

    /// The prefecture containing this code (`xxxx00`); for a province code, the province.
    pub fn prefecture(&self) -> DivisionCode {
        match self.level() {
            DivisionLevel::Province => self.clone(),
            _ => DivisionCode(format!("{}00", &self.0[..4])),
        }
    }

    /// Significant prefix by level: `65`, `6523` or `652301`.
    pub fn scope_prefix(&self) -> &str {
        match self.level() {
            DivisionLevel::Province => &self.0[..2],
            DivisionLevel::Prefecture => &self.0[..4],
            DivisionLevel::County => &self.0,
        }
    }

    /// Whether `other` lies within this division (itself included).
    pub fn contains(&self, other: &DivisionCode) -> bool {
        other.0.starts_with(self.scope_prefix())
    }
}

/// Statistical area code (统计用区划代码), 12 digits: county 6 + township 3 + village 3.
///
/// # Example
/// ```
/// use sanyi_domain::{AreaCode, AreaLevel, DivisionCode};
/// let county = DivisionCode::parse("652301")?;
/// let village = AreaCode::village(&county, 101, 201)?;
/// assert_eq!(village.as_str(), "652301101201");
/// assert_eq!(village.level(), AreaLevel::Village);
/// assert!(AreaCode::township(&county, 101)?.contains(&village));
/// assert!(AreaCode::county(&county).contains(&village));
/// # Ok::<(), sanyi_domain::InvalidValue>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AreaCode(String);
string_newtype!(AreaCode);

/// Level of a statistical area code (统计用区划级别).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaLevel {
    /// The county itself (县级): township and village parts `000`.
    County,
    /// A township or street (乡级: 乡、镇、街道): village part `000`.
    Township,
    /// A village or residents' committee (村级: 村委会、居委会).
    Village,
}

impl AreaLevel {
    /// Code: `county`, `township`, `village`.
    pub fn code(self) -> &'static str {
        match self {
            AreaLevel::County => "county",
            AreaLevel::Township => "township",
            AreaLevel::Village => "village",
        }
    }

    /// Parses a code.
    ///
    /// # Errors
    /// Rule `area.level`.
    pub fn parse(s: &str) -> Result<AreaLevel, InvalidValue> {
        [AreaLevel::County, AreaLevel::Township, AreaLevel::Village]
            .into_iter()
            .find(|l| l.code() == s.trim())
            .ok_or_else(|| {
                InvalidValue::new(
                    "area.level",
                    "county, township or village",
                    format!("Unknown area level {}", crate::shown(s)),
                    format!("未知区划级别 {}", crate::shown(s)),
                )
            })
    }

    /// Chinese label: 县级 / 乡级 / 村级.
    pub fn label_zh(self) -> &'static str {
        match self {
            AreaLevel::County => "县级",
            AreaLevel::Township => "乡级",
            AreaLevel::Village => "村级",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        self.code()
    }
}
code_enum!(AreaLevel);

/// What a malformed code looks like, without repeating it (it could be personal data typed
/// into the wrong field).
fn describe(s: &str) -> String {
    let n = s.chars().count();
    if s.chars().all(|c| c.is_ascii_digit()) {
        format!("{n} digits")
    } else {
        format!("{n} characters, not all digits")
    }
}

fn describe_zh(s: &str) -> String {
    let n = s.chars().count();
    if s.chars().all(|c| c.is_ascii_digit()) {
        format!(" {n} 位数字")
    } else {
        format!(" {n} 个字符且含非数字")
    }
}

fn number_error(what: &str, what_zh: &str, n: u16) -> InvalidValue {
    InvalidValue::new(
        "area.structure",
        format!("a {what} number from 1 to 999"),
        format!("The {what} number must be from 1 to 999, not {n}"),
        format!("{what_zh}编号应在 1 至 999 之间，而不是 {n}"),
    )
}

fn county_error(county: &DivisionCode) -> InvalidValue {
    InvalidValue::new(
        "area.county",
        "a county-level division code in the first 6 digits",
        format!("{county} is a {} code, not a county code", county.level().code()),
        format!("{county} 是{}代码，不是县级代码", county.level().label_zh()),
    )
}

impl AreaCode {
    /// Parses a 12-digit code (surrounding whitespace trimmed).
    ///
    /// # Errors
    /// The first failing rule of:
    /// - `area.format`: not 12 digits;
    /// - `area.county`: the first 6 digits are not a valid county-level [`DivisionCode`];
    /// - `area.structure`: a non-zero village part under a `000` township part.
    pub fn parse(s: &str) -> Result<AreaCode, InvalidValue> {
        let s = s.trim();
        if s.len() != 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InvalidValue::new(
                "area.format",
                "12 digits",
                format!("A statistical area code has 12 digits; found {}", describe(s)),
                format!("统计用区划代码应为 12 位数字；实际为{}", describe_zh(s)),
            ));
        }
        match DivisionCode::parse(&s[..6]) {
            Ok(d) if d.level() == DivisionLevel::County => {}
            Ok(d) => return Err(county_error(&d)),
            Err(e) => {
                return Err(InvalidValue::new(
                    "area.county",
                    "a county-level division code in the first 6 digits",
                    format!("The first 6 digits are not a division code: {}", e.message),
                    format!("前 6 位不是有效的行政区划代码：{}", e.message_zh),
                ));
            }
        }
        if &s[6..9] == "000" && &s[9..] != "000" {
            return Err(InvalidValue::new(
                "area.structure",
                "a village part only under a township part",
                format!("{s} has a village part without a township part"),
                format!("{s} 有村级部分但乡级部分为 000"),
            ));
        }
        Ok(AreaCode(s.to_owned()))
    }

    /// The area of a whole county: `xxxxxx000000`.
    ///
    /// # Panics
    /// If `county` is not of county level; use [`AreaCode::try_county`] when that is not
    /// known.
    pub fn county(county: &DivisionCode) -> AreaCode {
        match AreaCode::try_county(county) {
            Ok(a) => a,
            Err(e) => panic!("AreaCode::county: {}", e.message),
        }
    }

    /// The area of a whole county, checked.
    ///
    /// # Errors
    /// `area.county` when `county` is not of county level.
    pub fn try_county(county: &DivisionCode) -> Result<AreaCode, InvalidValue> {
        if county.level() != DivisionLevel::County {
            return Err(county_error(county));
        }
        Ok(AreaCode(format!("{}000000", county.as_str())))
    }

    /// A township (乡/镇/街道) of a county, numbered 1..=999.
    ///
    /// # Errors
    /// `area.structure` when `township` is out of range; `area.county` when `county` is not of
    /// county level.
    pub fn township(county: &DivisionCode, township: u16) -> Result<AreaCode, InvalidValue> {
        if !(1..=999).contains(&township) {
            return Err(number_error("township", "乡级", township));
        }
        let c = AreaCode::try_county(county)?;
        Ok(AreaCode(format!("{}{township:03}000", &c.0[..6])))
    }

    /// A village (村/居委会) of a township, each numbered 1..=999.
    ///
    /// # Errors
    /// `area.structure` when a number is out of range; `area.county` when `county` is not of
    /// county level.
    pub fn village(county: &DivisionCode, township: u16, village: u16) -> Result<AreaCode, InvalidValue> {
        if !(1..=999).contains(&village) {
            return Err(number_error("village", "村级", village));
        }
        let t = AreaCode::township(county, township)?;
        Ok(AreaCode(format!("{}{village:03}", &t.0[..9])))
    }

    /// The 12 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The county (first 6 digits).
    pub fn county_code(&self) -> DivisionCode {
        DivisionCode(self.0[..6].to_owned())
    }

    /// Level from the zero parts.
    pub fn level(&self) -> AreaLevel {
        if &self.0[6..] == "000000" {
            AreaLevel::County
        } else if &self.0[9..] == "000" {
            AreaLevel::Township
        } else {
            AreaLevel::Village
        }
    }

    /// The township containing this area; for a county area, the county area itself.
    pub fn township_area(&self) -> AreaCode {
        match self.level() {
            AreaLevel::County => self.clone(),
            _ => AreaCode(format!("{}000", &self.0[..9])),
        }
    }

    /// Significant prefix by level: 6, 9 or 12 digits.
    pub fn scope_prefix(&self) -> &str {
        match self.level() {
            AreaLevel::County => &self.0[..6],
            AreaLevel::Township => &self.0[..9],
            AreaLevel::Village => &self.0,
        }
    }

    /// Whether `other` lies within this area (itself included).
    pub fn contains(&self, other: &AreaCode) -> bool {
        other.0.starts_with(self.scope_prefix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::Error as DeError;

    fn div(s: &str) -> DivisionCode {
        DivisionCode::parse(s).unwrap()
    }

    /// Real GB/T 2260 codes: 新疆 650000, 昌吉回族自治州 652300, 昌吉市 652301, 北京市 110000,
    /// 市辖区 110100, 朝阳区 110105, 仙桃市 429004 (省直辖县级市, prefecture part 90).
    #[test]
    fn divisions() {
        assert_eq!(div("650000").level(), DivisionLevel::Province);
        assert_eq!(div("652300").level(), DivisionLevel::Prefecture);
        assert_eq!(div(" 652301 ").level(), DivisionLevel::County);
        assert_eq!(div("110105").prefecture(), div("110100"));
        assert_eq!(div("429004").level(), DivisionLevel::County);
        assert_eq!(div("429004").prefecture().as_str(), "429000");
        let d = div("652301");
        assert_eq!(d.province(), div("650000"));
        assert_eq!(d.province().prefecture(), div("650000"));
        assert_eq!(d.scope_prefix(), "652301");
        assert_eq!(d.prefecture().scope_prefix(), "6523");
        assert_eq!(d.province().scope_prefix(), "65");
        assert!(d.prefecture().contains(&d));
        assert!(d.province().contains(&d.prefecture()));
        assert!(d.contains(&d));
        assert!(!d.contains(&d.prefecture()));
        assert!(!div("652300").contains(&div("652801")));
        assert!(!div("650000").contains(&div("110105")));
    }

    #[test]
    fn division_rules() {
        let rule = |s: &str| DivisionCode::parse(s).unwrap_err().rule;
        for bad in ["65230", "6523011", "65230a", "", "６５２３０１"] {
            assert_eq!(rule(bad), "gb2260.format", "{bad}");
        }
        for bad in ["992301", "002301", "162301", "702301"] {
            assert_eq!(rule(bad), "gb2260.province", "{bad}");
        }
        assert_eq!(rule("650001"), "gb2260.structure");
        assert_eq!(rule("650099"), "gb2260.structure");
    }

    #[test]
    fn areas() {
        let d = div("652301");
        let v = AreaCode::village(&d, 101, 201).unwrap();
        assert_eq!(v.as_str(), "652301101201");
        assert_eq!(v.level(), AreaLevel::Village);
        assert_eq!(v.county_code(), d);
        assert_eq!(v.scope_prefix(), "652301101201");
        let t = AreaCode::township(&d, 101).unwrap();
        assert_eq!(t.as_str(), "652301101000");
        assert_eq!(t.scope_prefix(), "652301101");
        assert_eq!(v.township_area(), t);
        assert!(t.contains(&v));
        assert!(!v.contains(&t));
        assert!(!AreaCode::township(&d, 102).unwrap().contains(&v));
        let c = AreaCode::county(&d);
        assert_eq!(c.as_str(), "652301000000");
        assert_eq!(c.level(), AreaLevel::County);
        assert_eq!(c.scope_prefix(), "652301");
        assert!(c.contains(&t) && c.contains(&v) && c.contains(&c));
        assert_eq!(AreaCode::parse(v.as_str()).unwrap(), v);
    }

    #[test]
    fn area_rules() {
        let rule = |s: &str| AreaCode::parse(s).unwrap_err().rule;
        assert_eq!(rule("65230110120"), "area.format");
        assert_eq!(rule("65230110120a"), "area.format");
        assert_eq!(rule("652300101201"), "area.county");
        assert_eq!(rule("650000101201"), "area.county");
        assert_eq!(rule("992301101201"), "area.county");
        assert_eq!(rule("652301000201"), "area.structure");
        let d = div("652301");
        assert_eq!(AreaCode::township(&d, 0).unwrap_err().rule, "area.structure");
        assert_eq!(AreaCode::township(&d, 1000).unwrap_err().rule, "area.structure");
        assert_eq!(AreaCode::village(&d, 1, 0).unwrap_err().rule, "area.structure");
        assert_eq!(AreaCode::village(&d, 0, 1).unwrap_err().rule, "area.structure");
        assert_eq!(AreaCode::township(&div("652300"), 1).unwrap_err().rule, "area.county");
        assert_eq!(AreaCode::try_county(&div("652300")).unwrap_err().rule, "area.county");
    }

    #[test]
    #[should_panic(expected = "not a county code")]
    fn county_area_of_a_prefecture_panics() {
        let _ = AreaCode::county(&div("652300"));
    }

    #[test]
    fn levels_and_serde() {
        assert_eq!(DivisionLevel::parse("prefecture").unwrap(), DivisionLevel::Prefecture);
        assert_eq!(AreaLevel::parse("village").unwrap(), AreaLevel::Village);
        assert_eq!(AreaLevel::Township.label_zh(), "乡级");
        assert_eq!(DivisionLevel::County.to_string(), "county");
        assert!(AreaLevel::parse("town").is_err());
        let l = AreaLevel::deserialize(IntoDeserializer::<DeError>::into_deserializer("township")).unwrap();
        assert_eq!(l, AreaLevel::Township);
        let d = DivisionCode::deserialize(IntoDeserializer::<DeError>::into_deserializer(String::from("652301"))).unwrap();
        assert_eq!(d, div("652301"));
        let e = AreaCode::deserialize(IntoDeserializer::<DeError>::into_deserializer(String::from("652300101201"))).unwrap_err();
        assert!(e.to_string().contains("not a county code"));
    }

    proptest! {
        #[test]
        fn built_areas_parse_and_nest(t in 1u16..=999, v in 1u16..=999, county in 1u32..=99) {
            let d = div(&format!("6523{county:02}"));
            let village = AreaCode::village(&d, t, v).unwrap();
            prop_assert_eq!(AreaCode::parse(village.as_str()).unwrap(), village.clone());
            let township = AreaCode::township(&d, t).unwrap();
            prop_assert!(township.contains(&village));
            prop_assert!(AreaCode::county(&d).contains(&township));
            prop_assert!(d.prefecture().contains(&village.county_code()));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,14}") {
            let _ = DivisionCode::parse(&s);
            let _ = AreaCode::parse(&s);
        }
    }
}
