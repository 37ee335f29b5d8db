//! Tiers, institution kinds (WS 218) and NHSA institution codes.

use serde::{Deserialize, Serialize};

use crate::division::DivisionCode;
use crate::{InvalidValue, string_newtype};

/// Tier of care (医疗机构层级). Ordered Village < Township < County, so an upward referral goes
/// to a greater tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Village (村级).
    Village,
    /// Township (乡级).
    Township,
    /// County (县级).
    County,
}

impl Tier {
    /// Code.
    pub fn code(self) -> &'static str {
        match self {
            Tier::County => "county",
            Tier::Township => "township",
            Tier::Village => "village",
        }
    }

    /// Parses a code.
    ///
    /// # Errors
    /// Rule `tier.code`.
    pub fn parse(s: &str) -> Result<Tier, InvalidValue> {
        [Tier::County, Tier::Township, Tier::Village]
            .into_iter()
            .find(|t| t.code() == s.trim())
            .ok_or_else(|| {
                InvalidValue::new(
                    "tier.code",
                    "county, township or village",
                    format!("Unknown tier {s:?}"),
                    format!("未知层级 {s:?}"),
                )
            })
    }

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Tier::County => "县级",
            Tier::Township => "乡级",
            Tier::Village => "村级",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Tier::County => "county",
            Tier::Township => "township",
            Tier::Village => "village",
        }
    }
}

/// Institution class (卫生机构类别), WS 218.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstitutionKind {
    /// General hospital (综合医院, A1).
    GeneralHospital,
    /// Traditional Chinese medicine hospital (中医医院, A2).
    TcmHospital,
    /// Integrated Chinese and Western medicine hospital (中西医结合医院, A3).
    IntegratedMedicineHospital,
    /// Specialist hospital (专科医院, A5).
    SpecialistHospital,
    /// Maternal and child health institution (妇幼保健院, class F).
    MaternalChildHealth,
    /// Community health centre (社区卫生服务中心, B1).
    CommunityHealthCentre,
    /// Community health station (社区卫生服务站, B2).
    CommunityHealthStation,
    /// Central township health centre (中心卫生院, class C).
    CentralTownshipHealthCentre,
    /// Township health centre (乡镇卫生院, class C).
    TownshipHealthCentre,
    /// Village clinic (村卫生室, class D).
    VillageClinic,
}

impl InstitutionKind {
    /// Every kind.
    pub fn all() -> &'static [InstitutionKind] {
        use InstitutionKind::*;
        &[
            GeneralHospital,
            TcmHospital,
            IntegratedMedicineHospital,
            SpecialistHospital,
            MaternalChildHealth,
            CommunityHealthCentre,
            CommunityHealthStation,
            CentralTownshipHealthCentre,
            TownshipHealthCentre,
            VillageClinic,
        ]
    }

    /// WS 218 class code. Sub-codes are given where the class letter is unambiguous for our use;
    /// township centres and village clinics carry their class letter (C, D) only.
    pub fn ws218_code(self) -> &'static str {
        use InstitutionKind::*;
        match self {
            GeneralHospital => "A1",
            TcmHospital => "A2",
            IntegratedMedicineHospital => "A3",
            SpecialistHospital => "A5",
            MaternalChildHealth => "F",
            CommunityHealthCentre => "B1",
            CommunityHealthStation => "B2",
            CentralTownshipHealthCentre | TownshipHealthCentre => "C",
            VillageClinic => "D",
        }
    }

    /// Code (snake_case).
    pub fn code(self) -> &'static str {
        use InstitutionKind::*;
        match self {
            GeneralHospital => "general_hospital",
            TcmHospital => "tcm_hospital",
            IntegratedMedicineHospital => "integrated_medicine_hospital",
            SpecialistHospital => "specialist_hospital",
            MaternalChildHealth => "maternal_child_health",
            CommunityHealthCentre => "community_health_centre",
            CommunityHealthStation => "community_health_station",
            CentralTownshipHealthCentre => "central_township_health_centre",
            TownshipHealthCentre => "township_health_centre",
            VillageClinic => "village_clinic",
        }
    }

    /// Parses a snake_case code.
    ///
    /// # Errors
    /// Rule `institution.kind`.
    pub fn parse(s: &str) -> Result<InstitutionKind, InvalidValue> {
        InstitutionKind::all()
            .iter()
            .copied()
            .find(|k| k.code() == s.trim())
            .ok_or_else(|| {
                InvalidValue::new(
                    "institution.kind",
                    "a WS 218 institution kind code such as general_hospital",
                    format!("Unknown institution kind {s:?}"),
                    format!("未知机构类别 {s:?}"),
                )
            })
    }

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        use InstitutionKind::*;
        match self {
            GeneralHospital => "综合医院",
            TcmHospital => "中医医院",
            IntegratedMedicineHospital => "中西医结合医院",
            SpecialistHospital => "专科医院",
            MaternalChildHealth => "妇幼保健院",
            CommunityHealthCentre => "社区卫生服务中心",
            CommunityHealthStation => "社区卫生服务站",
            CentralTownshipHealthCentre => "中心卫生院",
            TownshipHealthCentre => "乡镇卫生院",
            VillageClinic => "村卫生室",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        use InstitutionKind::*;
        match self {
            GeneralHospital => "general hospital",
            TcmHospital => "TCM hospital",
            IntegratedMedicineHospital => "integrated medicine hospital",
            SpecialistHospital => "specialist hospital",
            MaternalChildHealth => "maternal and child health",
            CommunityHealthCentre => "community health centre",
            CommunityHealthStation => "community health station",
            CentralTownshipHealthCentre => "central township health centre",
            TownshipHealthCentre => "township health centre",
            VillageClinic => "village clinic",
        }
    }

    /// The tier such an institution usually has.
    pub fn default_tier(self) -> Tier {
        use InstitutionKind::*;
        match self {
            GeneralHospital | TcmHospital | IntegratedMedicineHospital | SpecialistHospital | MaternalChildHealth => Tier::County,
            CommunityHealthCentre | CentralTownshipHealthCentre | TownshipHealthCentre => Tier::Township,
            CommunityHealthStation | VillageClinic => Tier::Village,
        }
    }
}

/// NHSA designated institution code (定点医疗机构代码): `H` (or `P` for pharmacies) + 6-digit
/// division code + 5-digit serial.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NhsaCode(String);
string_newtype!(NhsaCode);

impl NhsaCode {
    /// Parses a code.
    ///
    /// # Errors
    /// Rules `nhsa.format`, `nhsa.division`.
    pub fn parse(s: &str) -> Result<NhsaCode, InvalidValue> {
        let s = s.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        if b.len() != 12 || !(b[0] == b'H' || b[0] == b'P') || !b[1..].iter().all(u8::is_ascii_digit) {
            return Err(InvalidValue::new(
                "nhsa.format",
                "H or P followed by 11 digits, e.g. H65230100001",
                "Not an NHSA institution code",
                "医保定点机构代码格式不正确",
            ));
        }
        DivisionCode::parse(&s[1..7]).map_err(|_| {
            InvalidValue::new(
                "nhsa.division",
                "a valid division code in positions 2-7",
                "Positions 2-7 are not a division code",
                "第 2-7 位不是有效的行政区划代码",
            )
        })?;
        Ok(NhsaCode(s))
    }

    /// Builds a code.
    ///
    /// # Errors
    /// `nhsa.format` when `serial` > 99 999.
    pub fn from_parts(pharmacy: bool, division: &DivisionCode, serial: u32) -> Result<NhsaCode, InvalidValue> {
        if serial > 99_999 {
            return Err(InvalidValue::new(
                "nhsa.format",
                "serial 0 to 99999",
                "Serial out of range",
                "序号超出范围",
            ));
        }
        NhsaCode::parse(&format!("{}{}{serial:05}", if pharmacy { 'P' } else { 'H' }, division.as_str()))
    }

    /// The 12 characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Division part.
    pub fn division(&self) -> DivisionCode {
        DivisionCode::parse(&self.0[1..7]).unwrap_or_else(|_| unreachable_division())
    }

    /// Whether it is a pharmacy code.
    pub fn is_pharmacy(&self) -> bool {
        self.0.starts_with('P')
    }
}

fn unreachable_division() -> DivisionCode {
    DivisionCode::parse("110000").unwrap_or_else(|_| panic!("static division code is valid"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip() {
        for k in InstitutionKind::all() {
            assert_eq!(InstitutionKind::parse(k.code()).unwrap(), *k);
        }
        assert!(Tier::Village < Tier::County);
        assert_eq!(Tier::parse("township").unwrap(), Tier::Township);
    }

    #[test]
    fn nhsa_codes() {
        let d = DivisionCode::parse("652301").unwrap();
        let c = NhsaCode::from_parts(false, &d, 7).unwrap();
        assert_eq!(c.as_str(), "H65230100007");
        assert_eq!(c.division(), d);
        assert_eq!(NhsaCode::parse("X65230100007").unwrap_err().rule, "nhsa.format");
        assert_eq!(NhsaCode::parse("H99230100007").unwrap_err().rule, "nhsa.division");
    }
}
