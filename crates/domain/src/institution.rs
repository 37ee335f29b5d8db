//! Tiers of care, institution classes (WS 218) and NHSA designated-institution codes.
//!
//! WS 218-2002 *卫生机构（组织）分类与代码* (still the edition in force; there is no 2012
//! revision) codes institution classes as a letter (大类), a digit (中类) and two digits (小类):
//! `A` hospitals (`A1` general, `A2` TCM, `A3` integrated, `A5` specialist), `B` community
//! health service (`B1` centre, `B2` station), `C` health centres (`C2` township: `C210` central,
//! `C220` ordinary), `D` outpatient departments and clinics (`D6` village clinic), `F` blood
//! services, `G` maternal and child health (`G1` hospital). Note that maternal and child health
//! is class `G`, not `F`.

use serde::{Deserialize, Serialize};

use crate::division::DivisionCode;
use crate::{InvalidValue, code_enum, shown, string_newtype};

/// Tier of care (医疗机构层级) in the county network. Ordered `Village < Township < County`, so
/// a referral to a greater tier is upward.
///
/// # Example
/// ```
/// use sanyi_domain::Tier;
/// assert!(Tier::Village < Tier::County);
/// assert_eq!(Tier::parse("township")?.label_zh(), "乡级");
/// # Ok::<(), sanyi_domain::InvalidValue>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Village (村级): village clinics, community health stations.
    Village,
    /// Township (乡级): township health centres, community health centres.
    Township,
    /// County (县级): county hospitals, the lead hospital (牵头医院).
    County,
}

impl Tier {
    /// Every tier, lowest first.
    pub fn all() -> &'static [Tier] {
        &[Tier::Village, Tier::Township, Tier::County]
    }

    /// Code: `county`, `township`, `village`.
    pub fn code(self) -> &'static str {
        match self {
            Tier::County => "county",
            Tier::Township => "township",
            Tier::Village => "village",
        }
    }

    /// Parses a code (surrounding whitespace trimmed).
    ///
    /// # Errors
    /// Rule `tier.code`.
    pub fn parse(s: &str) -> Result<Tier, InvalidValue> {
        Tier::all().iter().copied().find(|t| t.code() == s.trim()).ok_or_else(|| {
            InvalidValue::new(
                "tier.code",
                "county, township or village",
                format!("Unknown tier {}", shown(s)),
                format!("未知机构层级 {}", shown(s)),
            )
        })
    }

    /// Chinese label: 县级 / 乡级 / 村级.
    pub fn label_zh(self) -> &'static str {
        match self {
            Tier::County => "县级",
            Tier::Township => "乡级",
            Tier::Village => "村级",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        self.code()
    }
}
code_enum!(Tier);

/// Institution class (卫生机构类别), WS 218-2002, restricted to the classes that take part in
/// a county medical community.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstitutionKind {
    /// General hospital (综合医院), WS 218 `A1`.
    GeneralHospital,
    /// Traditional Chinese medicine hospital (中医医院), `A2`.
    TcmHospital,
    /// Integrated Chinese and Western medicine hospital (中西医结合医院), `A3`.
    IntegratedMedicineHospital,
    /// Specialist hospital (专科医院), `A5`.
    SpecialistHospital,
    /// Maternal and child health hospital (妇幼保健院), `G1`.
    MaternalChildHealth,
    /// Community health service centre (社区卫生服务中心), `B1`.
    CommunityHealthCentre,
    /// Community health service station (社区卫生服务站), `B2`.
    CommunityHealthStation,
    /// Central township health centre (中心卫生院), `C210`.
    CentralTownshipHealthCentre,
    /// Township health centre (乡镇卫生院; WS 218 乡卫生院), `C220`.
    TownshipHealthCentre,
    /// Village clinic (村卫生室), `D6`.
    VillageClinic,
}

impl InstitutionKind {
    /// Every kind, in declaration order.
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

    /// WS 218-2002 class code: the middle class (中类, letter + digit) where it identifies the
    /// kind, the small class (小类) for the two township kinds, which share middle class `C2`:
    ///
    /// | kind | code | WS 218-2002 small classes |
    /// |---|---|---|
    /// | general hospital | `A1` | `A100` |
    /// | TCM hospital | `A2` | `A210` general, `A220`-`A229` specialist |
    /// | integrated medicine hospital | `A3` | `A300` |
    /// | specialist hospital | `A5` | `A511`-`A539` |
    /// | maternal and child health hospital | `G1` | `G100` |
    /// | community health centre | `B1` | `B100` |
    /// | community health station | `B2` | `B200` |
    /// | central township health centre | `C210` | |
    /// | township health centre | `C220` | |
    /// | village clinic | `D6` | `D600` |
    pub fn ws218_code(self) -> &'static str {
        use InstitutionKind::*;
        match self {
            GeneralHospital => "A1",
            TcmHospital => "A2",
            IntegratedMedicineHospital => "A3",
            SpecialistHospital => "A5",
            MaternalChildHealth => "G1",
            CommunityHealthCentre => "B1",
            CommunityHealthStation => "B2",
            CentralTownshipHealthCentre => "C210",
            TownshipHealthCentre => "C220",
            VillageClinic => "D6",
        }
    }

    /// Code (the serde name): `general_hospital`, `tcm_hospital`, ….
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

    /// Parses a code ([`InstitutionKind::code`]) or a WS 218 code: the [`ws218_code`] of a
    /// kind, or a 4-character small-class code under it (`A100`, `A210`, `A514`, `G100`,
    /// `D600`, …). Surrounding whitespace is trimmed; WS 218 codes are matched
    /// case-insensitively.
    ///
    /// [`ws218_code`]: InstitutionKind::ws218_code
    ///
    /// # Errors
    /// Rule `institution.kind`.
    ///
    /// # Example
    /// ```
    /// use sanyi_domain::InstitutionKind;
    /// assert_eq!(InstitutionKind::parse("general_hospital")?, InstitutionKind::GeneralHospital);
    /// assert_eq!(InstitutionKind::parse("C210")?, InstitutionKind::CentralTownshipHealthCentre);
    /// assert_eq!(InstitutionKind::parse("A514")?, InstitutionKind::SpecialistHospital);
    /// # Ok::<(), sanyi_domain::InvalidValue>(())
    /// ```
    pub fn parse(s: &str) -> Result<InstitutionKind, InvalidValue> {
        let t = s.trim();
        let upper = t.to_ascii_uppercase();
        let all = InstitutionKind::all().iter().copied();
        let found = all.clone().find(|k| k.code() == t || k.ws218_code() == upper).or_else(|| {
            // A small class under a kind's middle class: letter, digit, two digits.
            let b = upper.as_bytes();
            let small = b.len() == 4 && b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_digit);
            all.clone()
                .find(|k| small && k.ws218_code().len() == 2 && upper.starts_with(k.ws218_code()))
        });
        found.ok_or_else(|| {
            InvalidValue::new(
                "institution.kind",
                "an institution kind such as general_hospital, or its WS 218 code such as A1",
                format!("Unknown institution kind {}", shown(s)),
                format!("未知卫生机构类别 {}", shown(s)),
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
            IntegratedMedicineHospital => "integrated Chinese and Western medicine hospital",
            SpecialistHospital => "specialist hospital",
            MaternalChildHealth => "maternal and child health hospital",
            CommunityHealthCentre => "community health centre",
            CommunityHealthStation => "community health station",
            CentralTownshipHealthCentre => "central township health centre",
            TownshipHealthCentre => "township health centre",
            VillageClinic => "village clinic",
        }
    }

    /// The tier such an institution usually has in a county community (docs/rules/institutions.md#tiers); a
    /// member's actual tier is its own attribute.
    pub fn default_tier(self) -> Tier {
        use InstitutionKind::*;
        match self {
            GeneralHospital | TcmHospital | IntegratedMedicineHospital | SpecialistHospital | MaternalChildHealth => Tier::County,
            CommunityHealthCentre | CentralTownshipHealthCentre | TownshipHealthCentre => Tier::Township,
            CommunityHealthStation | VillageClinic => Tier::Village,
        }
    }
}
code_enum!(InstitutionKind);

/// NHSA designated institution code (定点医疗机构代码, `fixmedins_code`): `H` (medical
/// institution) or `P` (pharmacy), 6-digit division code, 5-digit serial.
///
/// # Example
/// ```
/// use sanyi_domain::{DivisionCode, NhsaCode};
/// let c = NhsaCode::parse("h65230100007")?;
/// assert_eq!(c.as_str(), "H65230100007");
/// assert_eq!(c.division(), DivisionCode::parse("652301")?);
/// assert!(!c.is_pharmacy());
/// # Ok::<(), sanyi_domain::InvalidValue>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NhsaCode(String);
string_newtype!(NhsaCode);

impl NhsaCode {
    /// Parses a code (surrounding whitespace trimmed, the letter uppercased).
    ///
    /// # Errors
    /// `nhsa.format` when it is not `H` or `P` followed by 11 digits; `nhsa.division` when
    /// positions 2-7 are not a valid [`DivisionCode`].
    pub fn parse(s: &str) -> Result<NhsaCode, InvalidValue> {
        let s = s.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        if b.len() != 12 || !(b[0] == b'H' || b[0] == b'P') || !b[1..].iter().all(u8::is_ascii_digit) {
            return Err(InvalidValue::new(
                "nhsa.format",
                "H or P followed by 11 digits, e.g. H65230100001",
                "An NHSA institution code is H (or P for a pharmacy) followed by 11 digits",
                "医保定点机构代码应为 H（药店为 P）加 11 位数字",
            ));
        }
        if let Err(e) = DivisionCode::parse(&s[1..7]) {
            return Err(InvalidValue::new(
                "nhsa.division",
                "a valid division code in positions 2-7",
                format!("Positions 2-7 are not a division code: {}", e.message),
                format!("第 2-7 位不是有效的行政区划代码：{}", e.message_zh),
            ));
        }
        Ok(NhsaCode(s))
    }

    /// Builds a code from its parts.
    ///
    /// # Errors
    /// `nhsa.format` when `serial` > 99 999.
    pub fn from_parts(pharmacy: bool, division: &DivisionCode, serial: u32) -> Result<NhsaCode, InvalidValue> {
        if serial > 99_999 {
            return Err(InvalidValue::new(
                "nhsa.format",
                "a serial from 0 to 99999",
                format!("The serial has 5 digits; {serial} is too large"),
                format!("序号为 5 位数字，{serial} 超出范围"),
            ));
        }
        Ok(NhsaCode(format!(
            "{}{}{serial:05}",
            if pharmacy { 'P' } else { 'H' },
            division.as_str()
        )))
    }

    /// The 12 characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The division code (positions 2-7).
    pub fn division(&self) -> DivisionCode {
        DivisionCode::from_validated(&self.0[1..7])
    }

    /// The 5-digit serial.
    pub fn serial(&self) -> u32 {
        self.0[7..].parse().unwrap_or_default()
    }

    /// Whether it is a pharmacy code (`P`).
    pub fn is_pharmacy(&self) -> bool {
        self.0.starts_with('P')
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::Error as DeError;

    #[test]
    fn tiers() {
        assert!(Tier::Village < Tier::Township && Tier::Township < Tier::County);
        for t in Tier::all() {
            assert_eq!(Tier::parse(t.code()).unwrap(), *t);
            assert_eq!(t.to_string(), t.code());
            let d = Tier::deserialize(IntoDeserializer::<DeError>::into_deserializer(t.code())).unwrap();
            assert_eq!(d, *t);
        }
        assert_eq!(Tier::County.label_zh(), "县级");
        assert_eq!(Tier::parse("County").unwrap_err().rule, "tier.code");
        assert_eq!("village".parse::<Tier>().unwrap(), Tier::Village);
    }

    #[test]
    fn kinds_round_trip() {
        for k in InstitutionKind::all() {
            assert_eq!(InstitutionKind::parse(k.code()).unwrap(), *k);
            assert_eq!(InstitutionKind::parse(k.ws218_code()).unwrap(), *k);
            assert_eq!(InstitutionKind::parse(&k.ws218_code().to_lowercase()).unwrap(), *k);
            let d = InstitutionKind::deserialize(IntoDeserializer::<DeError>::into_deserializer(k.code())).unwrap();
            assert_eq!(d, *k);
            assert!(!k.label_zh().is_empty() && !k.label_en().is_empty());
        }
        let mut codes: Vec<_> = InstitutionKind::all().iter().map(|k| k.ws218_code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), InstitutionKind::all().len(), "WS 218 codes are distinct");
    }

    /// Source: WS 218-2002 small classes (A100 综合医院, A210 中医（综合）医院, A300, A514 肿瘤医院,
    /// B100, B200, C210 中心卫生院, C220 乡卫生院, D600 村卫生室, G100 妇幼保健院).
    #[test]
    fn ws218_small_classes() {
        use InstitutionKind::*;
        for (code, kind) in [
            ("A100", GeneralHospital),
            ("A210", TcmHospital),
            ("A229", TcmHospital),
            ("A300", IntegratedMedicineHospital),
            ("A514", SpecialistHospital),
            ("B100", CommunityHealthCentre),
            ("B200", CommunityHealthStation),
            ("C210", CentralTownshipHealthCentre),
            ("C220", TownshipHealthCentre),
            ("D600", VillageClinic),
            ("G100", MaternalChildHealth),
        ] {
            assert_eq!(InstitutionKind::parse(code).unwrap(), kind, "{code}");
        }
        for bad in [
            "F",
            "F100",
            "C2",
            "C200",
            "A4",
            "A411",
            "D110",
            "E100",
            "A",
            "",
            "A1000",
            "综合医院",
        ] {
            assert_eq!(InstitutionKind::parse(bad).unwrap_err().rule, "institution.kind", "{bad}");
        }
    }

    #[test]
    fn default_tiers() {
        use InstitutionKind::*;
        assert_eq!(GeneralHospital.default_tier(), Tier::County);
        assert_eq!(MaternalChildHealth.default_tier(), Tier::County);
        assert_eq!(CentralTownshipHealthCentre.default_tier(), Tier::Township);
        assert_eq!(CommunityHealthCentre.default_tier(), Tier::Township);
        assert_eq!(VillageClinic.default_tier(), Tier::Village);
        assert_eq!(CommunityHealthStation.default_tier(), Tier::Village);
    }

    #[test]
    fn nhsa_codes() {
        let d = DivisionCode::parse("652301").unwrap();
        let c = NhsaCode::from_parts(false, &d, 7).unwrap();
        assert_eq!(c.as_str(), "H65230100007");
        assert_eq!(c.division(), d);
        assert_eq!(c.serial(), 7);
        let p = NhsaCode::from_parts(true, &d, 99_999).unwrap();
        assert_eq!(p.as_str(), "P65230199999");
        assert!(p.is_pharmacy());
        assert_eq!(NhsaCode::parse(p.as_str()).unwrap(), p);
        assert_eq!(NhsaCode::from_parts(true, &d, 100_000).unwrap_err().rule, "nhsa.format");
        for bad in ["X65230100007", "H6523010000", "H652301000071", "H65230100O07", "", "H６5230100007"] {
            assert_eq!(NhsaCode::parse(bad).unwrap_err().rule, "nhsa.format", "{bad}");
        }
        assert_eq!(NhsaCode::parse("H99230100007").unwrap_err().rule, "nhsa.division");
        assert_eq!(NhsaCode::parse("H65000100007").unwrap_err().rule, "nhsa.division");
        let e = NhsaCode::deserialize(IntoDeserializer::<DeError>::into_deserializer(String::from("H99230100007"))).unwrap_err();
        assert!(e.to_string().contains("division code"));
    }
}
