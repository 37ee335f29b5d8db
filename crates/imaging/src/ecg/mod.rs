//! 12-lead resting ECG (十二导联静息心电图): parsers, measurements, SVG on standard paper,
//! synthetic waveforms and writers.
//!
//! # Formats
//!
//! - **HL7 aECG** ([`parse_aecg`], [`to_aecg_xml`]): `AnnotatedECG` in namespace
//!   `urn:hl7-org:v3`; the first `sequenceSet` gives the time sequence (`TIME_ABSOLUTE` or
//!   `TIME_RELATIVE`, its `increment` is the sample interval) and one `SLIST_PQ` sequence per lead
//!   coded `MDC_ECG_LEAD_*`, with value = `origin + scale × digit` (units µV or mV). Measurements
//!   in `annotation`s coded `MDC_ECG_HEART_RATE`, `MDC_ECG_TIME_PD_RR`, `_PR`, `_QRS`, `_QT`,
//!   `_QTc` are kept as [`Ecg::reported`]. The patient is the `id@extension` of `trialSubject`
//!   (or `patient`).
//! - **DICOM** ([`parse_dicom_ecg`], [`to_dicom_ecg`]): 12-Lead ECG or General ECG Waveform
//!   Storage; the first Waveform Sequence item with 16-bit signed samples; leads are found by
//!   the Channel Source code (MDC `2:1`…, SCPECG `5.6.3-9-1`…) or its meaning (`Lead I`…); value
//!   = (sample + Channel Baseline) × Channel Sensitivity × Correction Factor, in the
//!   sensitivity's units (µV or mV).
//! - **CSV** ([`parse_csv`], [`to_csv`]), UTF-8, comma separated:
//!
//!   ```text
//!   # sample_rate_hz=500
//!   # patient_id=652301195003150016
//!   # acquired_at=2026-12-01T09:30:00
//!   time_ms,I,II,III,aVR,aVL,aVF,V1,V2,V3,V4,V5,V6
//!   0,12,30,18,-21,-3,24,-40,-10,5,20,25,22
//!   2,13,31,18,-22,-3,25,-41,-11,5,21,26,22
//!   ```
//!
//!   Lines starting with `#` are comments; `# key=value` comments may give `sample_rate_hz`,
//!   `patient_id` and `acquired_at` (ISO 8601 without zone). The header names one column per
//!   lead (case-insensitive, any order); `time_ms` is optional and, without a
//!   `sample_rate_hz` comment, gives the rate from its first two rows. Values are microvolts
//!   (decimals are rounded). Blank lines are ignored.
//!
//! In every format, leads III, aVR, aVL and aVF missing from the file are derived from I and II
//! (III = II − I, aVR = −(I + II)/2, aVL = I − II/2, aVF = II − I/2). The result must then have
//! all 12 leads of equal length, a sample rate of 100–10 000 Hz and at least 2 s of signal.

mod aecg;
mod csv;
mod dicom_ecg;
mod error;
mod measure;
mod svg;
mod synthetic;

use chrono::NaiveDateTime;

pub use aecg::{parse_aecg, to_aecg_xml};
pub use csv::{parse_csv, to_csv};
pub use dicom_ecg::{TWELVE_LEAD_ECG_STORAGE, parse_dicom_ecg, to_dicom_ecg};
pub use error::EcgError;
pub use measure::measure;
pub use svg::render_svg;
pub use synthetic::synthetic_ecg;

/// One of the 12 standard leads (导联).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LeadName {
    /// Lead I
    I,
    /// Lead II
    II,
    /// Lead III
    III,
    /// aVR
    AVR,
    /// aVL
    AVL,
    /// aVF
    AVF,
    /// V1
    V1,
    /// V2
    V2,
    /// V3
    V3,
    /// V4
    V4,
    /// V5
    V5,
    /// V6
    V6,
}

impl LeadName {
    /// The 12 leads in standard order.
    pub const ALL: [LeadName; 12] = [
        LeadName::I,
        LeadName::II,
        LeadName::III,
        LeadName::AVR,
        LeadName::AVL,
        LeadName::AVF,
        LeadName::V1,
        LeadName::V2,
        LeadName::V3,
        LeadName::V4,
        LeadName::V5,
        LeadName::V6,
    ];

    /// Conventional label: `I`, `II`, `III`, `aVR`, `aVL`, `aVF`, `V1` … `V6`.
    pub fn as_str(self) -> &'static str {
        match self {
            LeadName::I => "I",
            LeadName::II => "II",
            LeadName::III => "III",
            LeadName::AVR => "aVR",
            LeadName::AVL => "aVL",
            LeadName::AVF => "aVF",
            LeadName::V1 => "V1",
            LeadName::V2 => "V2",
            LeadName::V3 => "V3",
            LeadName::V4 => "V4",
            LeadName::V5 => "V5",
            LeadName::V6 => "V6",
        }
    }

    /// Index in [`LeadName::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Parses a label (`aVR`, `AVR`, `Lead aVR`, `MDC_ECG_LEAD_AVR`), case-insensitively.
    pub fn parse(s: &str) -> Option<LeadName> {
        let s = s.trim();
        let s = s
            .strip_prefix("MDC_ECG_LEAD_")
            .or_else(|| s.strip_prefix("Lead "))
            .or_else(|| s.strip_prefix("lead "))
            .unwrap_or(s)
            .trim();
        let up = s.to_ascii_uppercase();
        LeadName::ALL.into_iter().find(|l| l.as_str().eq_ignore_ascii_case(&up))
    }

    /// The HL7 aECG / MDC code, e.g. `MDC_ECG_LEAD_AVR`.
    pub fn mdc_code(self) -> String {
        format!("MDC_ECG_LEAD_{}", self.as_str().to_ascii_uppercase())
    }

    /// The numeric MDC code used in DICOM (`2:1` = I … `2:64` = aVF).
    pub fn mdc_numeric(self) -> &'static str {
        match self {
            LeadName::I => "2:1",
            LeadName::II => "2:2",
            LeadName::V1 => "2:3",
            LeadName::V2 => "2:4",
            LeadName::V3 => "2:5",
            LeadName::V4 => "2:6",
            LeadName::V5 => "2:7",
            LeadName::V6 => "2:8",
            LeadName::III => "2:61",
            LeadName::AVR => "2:62",
            LeadName::AVL => "2:63",
            LeadName::AVF => "2:64",
        }
    }

    /// From a DICOM channel source code value (MDC `2:n` or SCPECG `5.6.3-9-n`).
    pub(crate) fn from_dicom_code(code: &str) -> Option<LeadName> {
        let code = code.trim();
        let n = code.strip_prefix("2:").or_else(|| code.strip_prefix("5.6.3-9-"))?;
        let n = format!("2:{n}");
        LeadName::ALL.into_iter().find(|l| l.mdc_numeric() == n)
    }
}

impl std::fmt::Display for LeadName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One lead's samples (导联数据) in microvolts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lead {
    /// Which lead.
    pub name: LeadName,
    /// Samples in µV at [`Ecg::sample_rate_hz`].
    pub samples_uv: Vec<i32>,
}

/// Global ECG measurements (心电图测量值), integers in ms or bpm; `None` when not determinable
/// (e.g. no P wave in atrial fibrillation) or not carried by the file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Measurements {
    /// Heart rate (心率), beats per minute.
    pub heart_rate_bpm: Option<u32>,
    /// RR interval, ms.
    pub rr_ms: Option<u32>,
    /// PR interval (P onset to QRS onset), ms.
    pub pr_ms: Option<u32>,
    /// QRS duration, ms.
    pub qrs_ms: Option<u32>,
    /// QT interval (QRS onset to T end), ms.
    pub qt_ms: Option<u32>,
    /// QT corrected for rate by Bazett (QT / √RR), ms.
    pub qtc_ms: Option<u32>,
}

/// A 12-lead resting ECG (十二导联静息心电图).
#[derive(Debug, Clone, PartialEq)]
pub struct Ecg {
    /// Samples per second.
    pub sample_rate_hz: u32,
    /// The 12 leads in [`LeadName::ALL`] order, all of equal length.
    pub leads: Vec<Lead>,
    /// Patient identifier carried by the file, if any.
    pub patient_id: Option<String>,
    /// Acquisition time (local, as written in the file), if any.
    pub acquired_at: Option<NaiveDateTime>,
    /// Measurements written in the file by the acquiring device, if any.
    pub reported: Option<Measurements>,
}

impl Ecg {
    /// Samples of one lead.
    pub fn lead(&self, name: LeadName) -> Option<&[i32]> {
        self.leads.iter().find(|l| l.name == name).map(|l| l.samples_uv.as_slice())
    }

    /// Samples per lead.
    pub fn len_samples(&self) -> usize {
        self.leads.first().map_or(0, |l| l.samples_uv.len())
    }

    /// Duration in milliseconds.
    pub fn duration_ms(&self) -> u64 {
        if self.sample_rate_hz == 0 {
            return 0;
        }
        self.len_samples() as u64 * 1000 / u64::from(self.sample_rate_hz)
    }
}

/// The format detected by [`parse_any`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EcgFormat {
    /// HL7 aECG XML.
    Aecg,
    /// DICOM waveform.
    Dicom,
    /// The documented CSV.
    Csv,
}

/// Detects the format by content (DICM marker, XML prolog/element, otherwise CSV) and parses.
pub fn parse_any(bytes: &[u8]) -> Result<(EcgFormat, Ecg), EcgError> {
    if bytes.len() >= 132 && &bytes[128..132] == b"DICM" {
        return parse_dicom_ecg(bytes).map(|e| (EcgFormat::Dicom, e));
    }
    let start = bytes.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(bytes);
    let first = start.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        Some(b'<') => parse_aecg(bytes).map(|e| (EcgFormat::Aecg, e)),
        Some(_) if std::str::from_utf8(start).is_ok() => parse_csv(bytes).map(|e| (EcgFormat::Csv, e)),
        _ => Err(EcgError::UnknownFormat),
    }
}

/// Validates and completes parsed leads: derives missing limb leads, orders the 12 leads,
/// checks names, lengths, rate and duration.
pub(crate) fn assemble(
    sample_rate_hz: u32,
    mut found: Vec<Lead>,
    patient_id: Option<String>,
    acquired_at: Option<NaiveDateTime>,
    reported: Option<Measurements>,
) -> Result<Ecg, EcgError> {
    if !(100..=10_000).contains(&sample_rate_hz) {
        return Err(EcgError::BadSampleRate {
            value: sample_rate_hz.to_string(),
        });
    }
    // First occurrence of each lead wins.
    let mut slots: [Option<Vec<i32>>; 12] = Default::default();
    for lead in found.drain(..) {
        let slot = &mut slots[lead.name.index()];
        if slot.is_none() {
            *slot = Some(lead.samples_uv);
        }
    }
    // Einthoven / Goldberger derivation of missing limb leads.
    if let (Some(i), Some(ii)) = (slots[0].clone(), slots[1].clone())
        && i.len() == ii.len()
    {
        let derive = |f: &dyn Fn(i32, i32) -> i32| -> Vec<i32> { i.iter().zip(&ii).map(|(a, b)| f(*a, *b)).collect() };
        if slots[2].is_none() {
            slots[2] = Some(derive(&|a, b| b - a));
        }
        if slots[3].is_none() {
            slots[3] = Some(derive(&|a, b| -(a + b) / 2));
        }
        if slots[4].is_none() {
            slots[4] = Some(derive(&|a, b| a - b / 2));
        }
        if slots[5].is_none() {
            slots[5] = Some(derive(&|a, b| b - a / 2));
        }
    }
    let missing: Vec<LeadName> = LeadName::ALL.into_iter().filter(|l| slots[l.index()].is_none()).collect();
    if !missing.is_empty() {
        return Err(EcgError::MissingLeads { leads: missing });
    }
    let leads: Vec<Lead> = LeadName::ALL
        .into_iter()
        .zip(slots)
        .map(|(name, s)| Lead {
            name,
            samples_uv: s.unwrap_or_default(),
        })
        .collect();
    let n = leads[0].samples_uv.len();
    if leads.iter().any(|l| l.samples_uv.len() != n) {
        return Err(EcgError::UnequalLeadLengths {
            lengths: leads.iter().map(|l| (l.name, l.samples_uv.len())).collect(),
        });
    }
    let seconds = n as f64 / f64::from(sample_rate_hz);
    if seconds < 2.0 {
        return Err(EcgError::TooShort { seconds });
    }
    Ok(Ecg {
        sample_rate_hz,
        leads,
        patient_id,
        acquired_at,
        reported,
    })
}

/// Parses `YYYYMMDDHHMMSS[.fff]` (HL7 TS / DICOM DT, zone suffix ignored) or ISO 8601.
pub(crate) fn parse_timestamp(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(t);
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S") {
        return Some(t);
    }
    let end = s.find(['+', '-']).unwrap_or(s.len());
    let s = &s[..end];
    let (main, frac) = s.split_once('.').unwrap_or((s, ""));
    if main.len() < 8 || !main.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let padded = format!("{main:0<14}");
    let mut t = NaiveDateTime::parse_from_str(&padded[..14], "%Y%m%d%H%M%S").ok()?;
    if !frac.is_empty() && frac.bytes().all(|b| b.is_ascii_digit()) {
        let f = format!("{:0<6}", &frac[..frac.len().min(6)]);
        t += chrono::Duration::microseconds(f.parse().ok()?);
    }
    Some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lead_names() {
        assert_eq!(LeadName::parse("aVR"), Some(LeadName::AVR));
        assert_eq!(LeadName::parse("AVL"), Some(LeadName::AVL));
        assert_eq!(LeadName::parse("Lead III"), Some(LeadName::III));
        assert_eq!(LeadName::parse("MDC_ECG_LEAD_V6"), Some(LeadName::V6));
        assert_eq!(LeadName::parse("V7"), None);
        assert_eq!(LeadName::AVF.mdc_code(), "MDC_ECG_LEAD_AVF");
        assert_eq!(LeadName::from_dicom_code("5.6.3-9-62"), Some(LeadName::AVR));
        assert_eq!(LeadName::from_dicom_code("2:8"), Some(LeadName::V6));
        for l in LeadName::ALL {
            assert_eq!(LeadName::parse(l.as_str()), Some(l));
            assert_eq!(LeadName::parse(&l.mdc_code()), Some(l));
            assert_eq!(LeadName::from_dicom_code(l.mdc_numeric()), Some(l));
        }
    }

    #[test]
    fn limb_leads_are_derived_and_missing_ones_listed() {
        let n = 1000;
        let lead = |name, v: i32| Lead {
            name,
            samples_uv: vec![v; n],
        };
        let mut found = vec![lead(LeadName::I, 100), lead(LeadName::II, 300)];
        for v in [LeadName::V1, LeadName::V2, LeadName::V3, LeadName::V4, LeadName::V5, LeadName::V6] {
            found.push(lead(v, 0));
        }
        let ecg = assemble(500, found.clone(), None, None, None).unwrap();
        assert_eq!(ecg.lead(LeadName::III).unwrap()[0], 200);
        assert_eq!(ecg.lead(LeadName::AVR).unwrap()[0], -200);
        assert_eq!(ecg.lead(LeadName::AVL).unwrap()[0], -50);
        assert_eq!(ecg.lead(LeadName::AVF).unwrap()[0], 250);
        assert_eq!(ecg.duration_ms(), 2000);

        let without: Vec<Lead> = found
            .iter()
            .filter(|l| !matches!(l.name, LeadName::II | LeadName::V5))
            .cloned()
            .collect();
        let e = assemble(500, without, None, None, None).unwrap_err();
        assert_eq!(
            e,
            EcgError::MissingLeads {
                leads: vec![
                    LeadName::II,
                    LeadName::III,
                    LeadName::AVR,
                    LeadName::AVL,
                    LeadName::AVF,
                    LeadName::V5
                ]
            }
        );
        assert!(e.message().contains("II, III, aVR, aVL, aVF, V5"), "{}", e.message());
        assert!(e.message_zh().contains("V5"));

        let mut short = found.clone();
        short[7].samples_uv.pop();
        assert!(matches!(
            assemble(500, short, None, None, None),
            Err(EcgError::UnequalLeadLengths { .. })
        ));
        assert!(matches!(
            assemble(0, found.clone(), None, None, None),
            Err(EcgError::BadSampleRate { .. })
        ));
        assert!(matches!(assemble(1000, found, None, None, None), Err(EcgError::TooShort { .. })));
    }

    #[test]
    fn timestamps() {
        let t = NaiveDateTime::parse_from_str("2026-12-01 09:30:15", "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(parse_timestamp("20261201093015"), Some(t));
        assert_eq!(parse_timestamp("20261201093015.000+0800"), Some(t));
        assert_eq!(parse_timestamp("2026-12-01T09:30:15"), Some(t));
        assert_eq!(parse_timestamp("202612"), None);
    }
}

#[cfg(test)]
mod format_tests;
