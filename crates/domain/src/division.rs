//! Administrative division codes (行政区划代码, GB/T 2260) and statistical area codes.

use serde::{Deserialize, Serialize};

use crate::{InvalidValue, string_newtype, valid_province};

/// Administrative division code (行政区划代码), GB/T 2260: province 2 + prefecture 2 + county 2.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DivisionCode(String);
string_newtype!(DivisionCode);

/// Level of a division code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DivisionLevel {
    /// `xx0000`.
    Province,
    /// `xxxx00`.
    Prefecture,
    /// Any other.
    County,
}

impl DivisionCode {
    /// Parses a 6-digit code.
    ///
    /// # Errors
    /// Rules `gb2260.format`, `gb2260.province`, `gb2260.structure`.
    pub fn parse(s: &str) -> Result<DivisionCode, InvalidValue> {
        let s = s.trim();
        if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InvalidValue::new(
                "gb2260.format",
                "6 digits",
                "A division code has 6 digits",
                "行政区划代码应为 6 位数字",
            ));
        }
        if !valid_province(&s[..2]) {
            return Err(InvalidValue::new(
                "gb2260.province",
                "a valid province code in the first 2 digits",
                format!("Unknown province code {}", &s[..2]),
                format!("省级代码 {} 不存在", &s[..2]),
            ));
        }
        if &s[2..4] == "00" && &s[4..] != "00" {
            return Err(InvalidValue::new(
                "gb2260.structure",
                "a county part only under a prefecture part",
                "A county code needs a prefecture part",
                "县级代码必须有地级部分",
            ));
        }
        Ok(DivisionCode(s.to_owned()))
    }

    /// The 6 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Level.
    pub fn level(&self) -> DivisionLevel {
        if &self.0[2..] == "0000" {
            DivisionLevel::Province
        } else if &self.0[4..] == "00" {
            DivisionLevel::Prefecture
        } else {
            DivisionLevel::County
        }
    }

    /// The province of this code.
    pub fn province(&self) -> DivisionCode {
        DivisionCode(format!("{}0000", &self.0[..2]))
    }

    /// The prefecture of this code.
    pub fn prefecture(&self) -> DivisionCode {
        DivisionCode(format!("{}00", &self.0[..4]))
    }

    /// Significant prefix: 2, 4 or 6 digits by level.
    pub fn scope_prefix(&self) -> &str {
        match self.level() {
            DivisionLevel::Province => &self.0[..2],
            DivisionLevel::Prefecture => &self.0[..4],
            DivisionLevel::County => &self.0,
        }
    }

    /// Whether `other` lies within this division.
    pub fn contains(&self, other: &DivisionCode) -> bool {
        other.0.starts_with(self.scope_prefix())
    }
}

/// Statistical area code (统计用区划代码): county 6 + township 3 + village 3 digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AreaCode(String);
string_newtype!(AreaCode);

/// Level of an area code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AreaLevel {
    /// Township and village parts zero.
    County,
    /// Village part zero.
    Township,
    /// A village (村/居委会).
    Village,
}

impl AreaCode {
    /// Parses a 12-digit code.
    ///
    /// # Errors
    /// Rules `area.format`, `area.county`, `area.structure`.
    pub fn parse(s: &str) -> Result<AreaCode, InvalidValue> {
        let s = s.trim();
        if s.len() != 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InvalidValue::new(
                "area.format",
                "12 digits",
                "A statistical area code has 12 digits",
                "统计用区划代码应为 12 位数字",
            ));
        }
        match DivisionCode::parse(&s[..6]) {
            Ok(d) if d.level() == DivisionLevel::County => {}
            _ => {
                return Err(InvalidValue::new(
                    "area.county",
                    "a county-level division code in the first 6 digits",
                    "The first 6 digits are not a county code",
                    "前 6 位不是县级行政区划代码",
                ));
            }
        }
        if &s[6..9] == "000" && &s[9..] != "000" {
            return Err(InvalidValue::new(
                "area.structure",
                "a village part only under a township part",
                "A village code needs a township part",
                "村级代码必须有乡级部分",
            ));
        }
        Ok(AreaCode(s.to_owned()))
    }

    /// The county itself.
    pub fn county(county: &DivisionCode) -> AreaCode {
        AreaCode(format!("{}000000", county.as_str()))
    }

    /// A township of a county (1..=999).
    ///
    /// # Errors
    /// `area.structure` out of range.
    pub fn township(county: &DivisionCode, township: u16) -> Result<AreaCode, InvalidValue> {
        if !(1..=999).contains(&township) {
            return Err(InvalidValue::new(
                "area.structure",
                "township 1 to 999",
                "Township number out of range",
                "乡级编号超出范围",
            ));
        }
        AreaCode::parse(&format!("{}{township:03}000", county.as_str()))
    }

    /// A village of a township (1..=999 each).
    ///
    /// # Errors
    /// `area.structure` out of range.
    pub fn village(county: &DivisionCode, township: u16, village: u16) -> Result<AreaCode, InvalidValue> {
        if !(1..=999).contains(&township) || !(1..=999).contains(&village) {
            return Err(InvalidValue::new(
                "area.structure",
                "township and village 1 to 999",
                "Number out of range",
                "编号超出范围",
            ));
        }
        AreaCode::parse(&format!("{}{township:03}{village:03}", county.as_str()))
    }

    /// The 12 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The county.
    pub fn county_code(&self) -> DivisionCode {
        DivisionCode(self.0[..6].to_owned())
    }

    /// Level.
    pub fn level(&self) -> AreaLevel {
        if &self.0[6..] == "000000" {
            AreaLevel::County
        } else if &self.0[9..] == "000" {
            AreaLevel::Township
        } else {
            AreaLevel::Village
        }
    }

    /// Significant prefix: 6, 9 or 12 digits.
    pub fn scope_prefix(&self) -> &str {
        match self.level() {
            AreaLevel::County => &self.0[..6],
            AreaLevel::Township => &self.0[..9],
            AreaLevel::Village => &self.0,
        }
    }

    /// Whether `other` lies within this area.
    pub fn contains(&self, other: &AreaCode) -> bool {
        other.0.starts_with(self.scope_prefix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn divisions() {
        let d = DivisionCode::parse("652301").unwrap();
        assert_eq!(d.level(), DivisionLevel::County);
        assert_eq!(d.prefecture().as_str(), "652300");
        assert!(d.prefecture().contains(&d));
        assert_eq!(DivisionCode::parse("65230").unwrap_err().rule, "gb2260.format");
        assert_eq!(DivisionCode::parse("992301").unwrap_err().rule, "gb2260.province");
        assert_eq!(DivisionCode::parse("650001").unwrap_err().rule, "gb2260.structure");
    }

    #[test]
    fn areas() {
        let d = DivisionCode::parse("652301").unwrap();
        let v = AreaCode::village(&d, 101, 201).unwrap();
        assert_eq!(v.as_str(), "652301101201");
        assert_eq!(v.level(), AreaLevel::Village);
        let t = AreaCode::township(&d, 101).unwrap();
        assert!(t.contains(&v));
        assert_eq!(AreaCode::parse("652301000201").unwrap_err().rule, "area.structure");
        assert_eq!(AreaCode::parse("652300101201").unwrap_err().rule, "area.county");
    }
}
