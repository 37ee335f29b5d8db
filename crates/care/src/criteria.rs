//! Referral criteria (转诊标准, docs/rules/referral.md#criteria) and the urgent red-flag checker (危急征象).
//!
//! Vital signs are integers in clinical units; glucose is carried in tenths of mmol/L so that no
//! floating point enters a decision.

use serde::{Deserialize, Serialize};

/// Upward referral criterion (上转指征), docs/rules/referral.md#criteria; any one suffices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpwardCriterion {
    /// Acute critical illness beyond local rescue capacity.
    AcuteCritical,
    /// Uncertain diagnosis or complex/difficult case.
    UncertainDiagnosis,
    /// Needs exams, procedures or drugs not available or licensed at the sender.
    UnavailableService,
    /// Condition outside the sender's registered clinical subjects.
    OutsideClinicalSubjects,
    /// Chronic disease uncontrolled after protocol (two consecutive uncontrolled follow-ups or
    /// intolerable drug reactions, BPHS rule).
    ChronicUncontrolled,
    /// Mass-casualty or public-health event.
    PublicHealthEvent,
    /// Special category for a designated hospital (notifiable infectious disease, TB, severe mental
    /// disorder, occupational disease).
    DesignatedCategory,
}

impl UpwardCriterion {
    /// All criteria in the order of docs/rules/referral.md#criteria.
    pub const ALL: [UpwardCriterion; 7] = [
        UpwardCriterion::AcuteCritical,
        UpwardCriterion::UncertainDiagnosis,
        UpwardCriterion::UnavailableService,
        UpwardCriterion::OutsideClinicalSubjects,
        UpwardCriterion::ChronicUncontrolled,
        UpwardCriterion::PublicHealthEvent,
        UpwardCriterion::DesignatedCategory,
    ];

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            UpwardCriterion::AcuteCritical => "急危重症超出救治能力",
            UpwardCriterion::UncertainDiagnosis => "诊断不明或疑难复杂",
            UpwardCriterion::UnavailableService => "所需检查、治疗或药品本机构不具备",
            UpwardCriterion::OutsideClinicalSubjects => "超出本机构诊疗科目",
            UpwardCriterion::ChronicUncontrolled => "慢病规范治疗后控制不满意",
            UpwardCriterion::PublicHealthEvent => "群体性伤害或突发公共卫生事件",
            UpwardCriterion::DesignatedCategory => "需转定点机构的特殊病种",
        }
    }
}

/// Downward referral criterion (下转指征), docs/rules/referral.md#criteria.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DownwardCriterion {
    /// Diagnosis clear and treatment plan set.
    DiagnosisClear,
    /// Acute phase over; rehabilitation or long-term treatment needed.
    AcutePhaseOver,
    /// Patient prefers local care.
    PatientPreference,
    /// Common condition manageable locally.
    ManageableLocally,
}

impl DownwardCriterion {
    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            DownwardCriterion::DiagnosisClear => "诊断明确、治疗方案已定",
            DownwardCriterion::AcutePhaseOver => "急性期已过需康复或长期治疗",
            DownwardCriterion::PatientPreference => "患者自愿回基层治疗",
            DownwardCriterion::ManageableLocally => "常见病基层可处置",
        }
    }
}

/// Green-channel centre (绿色通道救治中心), docs/rules/referral.md#criteria: the five national centres.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GreenChannelCentre {
    /// Chest pain centre.
    ChestPain,
    /// Stroke centre.
    Stroke,
    /// Trauma centre.
    Trauma,
    /// Critical maternal care centre.
    CriticalMaternal,
    /// Critical neonatal care centre.
    CriticalNeonatal,
}

impl GreenChannelCentre {
    /// All five centres in the order of docs/rules/referral.md#criteria.
    pub const ALL: [GreenChannelCentre; 5] = [
        GreenChannelCentre::ChestPain,
        GreenChannelCentre::Stroke,
        GreenChannelCentre::Trauma,
        GreenChannelCentre::CriticalMaternal,
        GreenChannelCentre::CriticalNeonatal,
    ];

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            GreenChannelCentre::ChestPain => "胸痛中心",
            GreenChannelCentre::Stroke => "卒中中心",
            GreenChannelCentre::Trauma => "创伤中心",
            GreenChannelCentre::CriticalMaternal => "危重孕产妇救治中心",
            GreenChannelCentre::CriticalNeonatal => "危重新生儿救治中心",
        }
    }
}

/// Vital signs and findings at referral (生命体征); absent values are not judged.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VitalSigns {
    /// Glasgow coma scale, 3–15.
    pub gcs: Option<u8>,
    /// Systolic blood pressure, mmHg.
    pub sbp: Option<u16>,
    /// Diastolic blood pressure, mmHg.
    pub dbp: Option<u16>,
    /// Oxygen saturation, percent.
    pub spo2_pct: Option<u8>,
    /// Respiratory rate, per minute.
    pub resp_rate: Option<u16>,
    /// Blood glucose in tenths of mmol/L (16.7 mmol/L = 167).
    pub glucose_tenth_mmol: Option<u16>,
    /// Minutes of chest pain unrelieved by nitroglycerin.
    pub chest_pain_unrelieved_min: Option<u32>,
    /// Minutes since stroke symptom onset.
    pub stroke_onset_min: Option<u32>,
    /// Haemoptysis volume over 24 h, ml.
    pub haemoptysis_ml_24h: Option<u32>,
    /// Gastro-intestinal bleeding present.
    pub gi_bleeding: bool,
    /// Injury severity score.
    pub iss: Option<u8>,
}

/// Thresholds of the urgent red flags (危急征象阈值); defaults from docs/rules/referral.md#criteria.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedFlagPolicy {
    /// GCS at or below this is a red flag (12).
    pub gcs_max: u8,
    /// Chest pain unrelieved longer than this many minutes (15).
    pub chest_pain_min: u32,
    /// Respiratory rate above this (30/min).
    pub resp_rate_above: u16,
    /// Oxygen saturation below this percent (90).
    pub spo2_below: u8,
    /// Stroke within this many minutes of onset (270 = 4.5 h).
    pub stroke_window_min: u32,
    /// Haemoptysis above this many ml per 24 h (500).
    pub haemoptysis_ml_above: u32,
    /// SBP below this with GI bleeding (90 mmHg).
    pub gi_bleed_sbp_below: u16,
    /// ISS at or above this (16).
    pub iss_min: u8,
    /// SBP at or above this (180 mmHg).
    pub sbp_crisis: u16,
    /// DBP at or above this (110 mmHg).
    pub dbp_crisis: u16,
    /// Glucose at or above this, tenths of mmol/L (167).
    pub glucose_high_tenth: u16,
    /// Glucose at or below this, tenths of mmol/L (39).
    pub glucose_low_tenth: u16,
}

impl Default for RedFlagPolicy {
    fn default() -> Self {
        RedFlagPolicy {
            gcs_max: 12,
            chest_pain_min: 15,
            resp_rate_above: 30,
            spo2_below: 90,
            stroke_window_min: 270,
            haemoptysis_ml_above: 500,
            gi_bleed_sbp_below: 90,
            iss_min: 16,
            sbp_crisis: 180,
            dbp_crisis: 110,
            glucose_high_tenth: 167,
            glucose_low_tenth: 39,
        }
    }
}

/// An urgent red flag (危急征象) that forces urgent upward referral.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RedFlag {
    /// Depressed consciousness.
    LowGcs,
    /// Chest pain unrelieved by nitroglycerin.
    ChestPain,
    /// Respiratory distress (high respiratory rate or low oxygen saturation).
    RespiratoryDistress,
    /// Stroke inside the treatment window.
    StrokeWindow,
    /// Massive haemoptysis.
    MassiveHaemoptysis,
    /// GI bleeding with hypotension.
    GiBleedingShock,
    /// Major trauma.
    MajorTrauma,
    /// Hypertensive crisis.
    HypertensiveCrisis,
    /// Glucose out of safe range.
    GlucoseCritical,
}

impl RedFlag {
    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            RedFlag::LowGcs => "意识障碍",
            RedFlag::ChestPain => "持续胸痛",
            RedFlag::RespiratoryDistress => "呼吸窘迫",
            RedFlag::StrokeWindow => "急性卒中时间窗内",
            RedFlag::MassiveHaemoptysis => "大咯血",
            RedFlag::GiBleedingShock => "消化道出血伴低血压",
            RedFlag::MajorTrauma => "严重创伤",
            RedFlag::HypertensiveCrisis => "高血压危象",
            RedFlag::GlucoseCritical => "血糖危急值",
        }
    }
}

impl RedFlagPolicy {
    /// The red flags raised by `v`, in declaration order; empty when none.
    ///
    /// # Example
    /// ```
    /// use sanyi_care::{RedFlag, RedFlagPolicy, VitalSigns};
    /// let v = VitalSigns { sbp: Some(185), dbp: Some(95), ..VitalSigns::default() };
    /// assert_eq!(RedFlagPolicy::default().check(&v), vec![RedFlag::HypertensiveCrisis]);
    /// ```
    pub fn check(&self, v: &VitalSigns) -> Vec<RedFlag> {
        let mut flags = Vec::new();
        if v.gcs.is_some_and(|g| g <= self.gcs_max) {
            flags.push(RedFlag::LowGcs);
        }
        if v.chest_pain_unrelieved_min.is_some_and(|m| m > self.chest_pain_min) {
            flags.push(RedFlag::ChestPain);
        }
        if v.resp_rate.is_some_and(|r| r > self.resp_rate_above) || v.spo2_pct.is_some_and(|s| s < self.spo2_below) {
            flags.push(RedFlag::RespiratoryDistress);
        }
        if v.stroke_onset_min.is_some_and(|m| m <= self.stroke_window_min) {
            flags.push(RedFlag::StrokeWindow);
        }
        if v.haemoptysis_ml_24h.is_some_and(|ml| ml > self.haemoptysis_ml_above) {
            flags.push(RedFlag::MassiveHaemoptysis);
        }
        if v.gi_bleeding && v.sbp.is_some_and(|s| s < self.gi_bleed_sbp_below) {
            flags.push(RedFlag::GiBleedingShock);
        }
        if v.iss.is_some_and(|i| i >= self.iss_min) {
            flags.push(RedFlag::MajorTrauma);
        }
        if v.sbp.is_some_and(|s| s >= self.sbp_crisis) || v.dbp.is_some_and(|d| d >= self.dbp_crisis) {
            flags.push(RedFlag::HypertensiveCrisis);
        }
        if v.glucose_tenth_mmol
            .is_some_and(|g| g >= self.glucose_high_tenth || g <= self.glucose_low_tenth)
        {
            flags.push(RedFlag::GlucoseCritical);
        }
        flags
    }

    /// Whether any red flag is raised (urgent upward referral required).
    pub fn is_urgent(&self, v: &VitalSigns) -> bool {
        !self.check(v).is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> RedFlagPolicy {
        RedFlagPolicy::default()
    }

    /// Source: docs/rules/referral.md#criteria, clinical red flags; each threshold checked at its boundary.
    #[test]
    fn thresholds_at_their_boundaries() {
        let gcs = |g| VitalSigns {
            gcs: Some(g),
            ..VitalSigns::default()
        };
        assert_eq!(p().check(&gcs(12)), vec![RedFlag::LowGcs]);
        assert!(p().check(&gcs(13)).is_empty());

        let cp = |m| VitalSigns {
            chest_pain_unrelieved_min: Some(m),
            ..VitalSigns::default()
        };
        assert!(p().check(&cp(15)).is_empty());
        assert_eq!(p().check(&cp(16)), vec![RedFlag::ChestPain]);

        let rr = |r| VitalSigns {
            resp_rate: Some(r),
            ..VitalSigns::default()
        };
        assert!(p().check(&rr(30)).is_empty());
        assert_eq!(p().check(&rr(31)), vec![RedFlag::RespiratoryDistress]);
        let sp = |s| VitalSigns {
            spo2_pct: Some(s),
            ..VitalSigns::default()
        };
        assert!(p().check(&sp(90)).is_empty());
        assert_eq!(p().check(&sp(89)), vec![RedFlag::RespiratoryDistress]);

        let st = |m| VitalSigns {
            stroke_onset_min: Some(m),
            ..VitalSigns::default()
        };
        assert_eq!(p().check(&st(270)), vec![RedFlag::StrokeWindow]);
        assert!(p().check(&st(271)).is_empty());

        let hm = |ml| VitalSigns {
            haemoptysis_ml_24h: Some(ml),
            ..VitalSigns::default()
        };
        assert!(p().check(&hm(500)).is_empty());
        assert_eq!(p().check(&hm(501)), vec![RedFlag::MassiveHaemoptysis]);

        let gi = VitalSigns {
            gi_bleeding: true,
            sbp: Some(89),
            ..VitalSigns::default()
        };
        assert_eq!(p().check(&gi), vec![RedFlag::GiBleedingShock]);
        let gi_ok = VitalSigns {
            gi_bleeding: true,
            sbp: Some(90),
            ..VitalSigns::default()
        };
        assert!(p().check(&gi_ok).is_empty());

        let iss = |i| VitalSigns {
            iss: Some(i),
            ..VitalSigns::default()
        };
        assert_eq!(p().check(&iss(16)), vec![RedFlag::MajorTrauma]);
        assert!(p().check(&iss(15)).is_empty());

        let bp = |s, d| VitalSigns {
            sbp: Some(s),
            dbp: Some(d),
            ..VitalSigns::default()
        };
        assert_eq!(p().check(&bp(180, 80)), vec![RedFlag::HypertensiveCrisis]);
        assert_eq!(p().check(&bp(150, 110)), vec![RedFlag::HypertensiveCrisis]);
        assert!(p().check(&bp(179, 109)).is_empty());

        let gl = |g| VitalSigns {
            glucose_tenth_mmol: Some(g),
            ..VitalSigns::default()
        };
        assert_eq!(p().check(&gl(167)), vec![RedFlag::GlucoseCritical]);
        assert_eq!(p().check(&gl(39)), vec![RedFlag::GlucoseCritical]);
        assert!(p().check(&gl(40)).is_empty());
        assert!(p().check(&gl(166)).is_empty());
    }

    #[test]
    fn several_flags_and_custom_policy() {
        let v = VitalSigns {
            gcs: Some(8),
            spo2_pct: Some(85),
            iss: Some(25),
            ..VitalSigns::default()
        };
        assert_eq!(
            p().check(&v),
            vec![RedFlag::LowGcs, RedFlag::RespiratoryDistress, RedFlag::MajorTrauma]
        );
        assert!(!p().is_urgent(&VitalSigns::default()));
        let strict = RedFlagPolicy {
            gcs_max: 14,
            ..RedFlagPolicy::default()
        };
        assert!(strict.is_urgent(&VitalSigns {
            gcs: Some(14),
            ..VitalSigns::default()
        }));
    }

    #[test]
    fn labels_are_chinese_and_distinct() {
        let mut seen = std::collections::HashSet::new();
        for c in UpwardCriterion::ALL {
            assert!(seen.insert(c.label_zh()));
        }
        assert_eq!(GreenChannelCentre::Stroke.label_zh(), "卒中中心");
        assert_eq!(DownwardCriterion::AcutePhaseOver.label_zh(), "急性期已过需康复或长期治疗");
        assert_eq!(RedFlag::LowGcs.label_zh(), "意识障碍");
    }
}
