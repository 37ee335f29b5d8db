//! DICOM 12-Lead ECG / General ECG waveform reading and writing.

use dicom_core::Tag;
use dicom_core::value::{PrimitiveValue, Value};
use dicom_dictionary_std::tags;

use super::{Ecg, EcgError, Lead, LeadName, assemble, parse_timestamp};
use crate::dicom::writer::{DataSetWriter, derive_uid};
use crate::dicom::{element, first_f64, get_ascii, get_int, open};

/// 12-lead ECG Waveform Storage.
pub const TWELVE_LEAD_ECG_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.9.1.1";

const WAVEFORM_SEQUENCE: Tag = Tag(0x5400, 0x0100);
const WAVEFORM_DATA: Tag = Tag(0x5400, 0x1010);

fn bad(detail: impl Into<String>) -> EcgError {
    EcgError::BadWaveform { detail: detail.into() }
}

/// Parses a DICOM waveform file: the first Waveform Sequence item holding 16-bit signed ECG
/// channels that name standard leads (see [`crate::ecg`]).
pub fn parse_dicom_ecg(bytes: &[u8]) -> Result<Ecg, EcgError> {
    let obj = open(bytes, None).map_err(EcgError::Dicom)?;
    let ds = &*obj;
    let items = element(ds, WAVEFORM_SEQUENCE)
        .and_then(|e| e.items())
        .filter(|i| !i.is_empty())
        .ok_or_else(|| EcgError::NotAnEcg {
            detail: "no Waveform Sequence (5400,0100)".into(),
        })?;
    let patient_id = crate::dicom::get_ascii(ds, tags::PATIENT_ID);
    let acquired_at = get_ascii(ds, tags::ACQUISITION_DATE_TIME)
        .as_deref()
        .and_then(parse_timestamp)
        .or_else(|| {
            let d = get_ascii(ds, tags::CONTENT_DATE)?;
            let t = get_ascii(ds, tags::CONTENT_TIME).unwrap_or_default();
            parse_timestamp(&format!("{d}{}", t.split('.').next().unwrap_or("")))
        });
    let mut last_err = None;
    for item in items {
        match read_group(item) {
            Ok((rate, leads)) => {
                return assemble(rate, leads, patient_id, acquired_at, None);
            }
            Err(e) => last_err = Some(e),
        }
    }
    Err(last_err.unwrap_or_else(|| bad("no usable waveform group")))
}

fn read_group(item: &dicom_object::InMemDicomObject) -> Result<(u32, Vec<Lead>), EcgError> {
    let channels: usize =
        get_int(item, tags::NUMBER_OF_WAVEFORM_CHANNELS).ok_or_else(|| bad("Number of Waveform Channels (003A,0005) missing"))?;
    let samples: usize =
        get_int(item, tags::NUMBER_OF_WAVEFORM_SAMPLES).ok_or_else(|| bad("Number of Waveform Samples (003A,0010) missing"))?;
    let fs = first_f64(item, tags::SAMPLING_FREQUENCY).ok_or_else(|| EcgError::BadSampleRate {
        value: "Sampling Frequency (003A,001A) missing".into(),
    })?;
    if !(fs > 0.0 && fs <= 1e6 && fs.fract().abs() < 1e-6) {
        return Err(EcgError::BadSampleRate { value: fs.to_string() });
    }
    let bits: u16 = get_int(item, tags::WAVEFORM_BITS_ALLOCATED).unwrap_or(16);
    let interp = get_ascii(item, tags::WAVEFORM_SAMPLE_INTERPRETATION).unwrap_or_else(|| "SS".into());
    if bits != 16 || interp != "SS" {
        return Err(bad(format!(
            "waveform samples are {bits}-bit {interp}; only 16-bit signed (SS) is supported"
        )));
    }
    let data: Vec<u8> = match element(item, WAVEFORM_DATA).map(|e| e.value()) {
        Some(Value::Primitive(PrimitiveValue::U8(v))) => v.to_vec(),
        Some(Value::Primitive(PrimitiveValue::U16(v))) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        Some(Value::Primitive(PrimitiveValue::I16(v))) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        _ => return Err(bad("Waveform Data (5400,1010) missing")),
    };
    if channels == 0 || data.len() < channels.saturating_mul(samples).saturating_mul(2) {
        return Err(bad(format!(
            "Waveform Data has {} bytes, {channels} channels × {samples} samples × 2 needed",
            data.len()
        )));
    }
    let defs = element(item, tags::CHANNEL_DEFINITION_SEQUENCE)
        .and_then(|e| e.items())
        .ok_or_else(|| bad("Channel Definition Sequence (003A,0200) missing"))?;
    let mut leads = Vec::new();
    for (c, def) in defs.iter().enumerate().take(channels) {
        let source = element(def, tags::CHANNEL_SOURCE_SEQUENCE)
            .and_then(|e| e.items())
            .and_then(|i| i.first());
        let name = source.and_then(|s| {
            get_ascii(s, tags::CODE_VALUE)
                .as_deref()
                .and_then(LeadName::from_dicom_code)
                .or_else(|| get_ascii(s, tags::CODE_MEANING).as_deref().and_then(LeadName::parse))
        });
        let Some(name) = name else { continue };
        let sensitivity = first_f64(def, tags::CHANNEL_SENSITIVITY).unwrap_or(1.0);
        let correction = first_f64(def, tags::CHANNEL_SENSITIVITY_CORRECTION_FACTOR).unwrap_or(1.0);
        let baseline = first_f64(def, tags::CHANNEL_BASELINE).unwrap_or(0.0);
        let unit = element(def, tags::CHANNEL_SENSITIVITY_UNITS_SEQUENCE)
            .and_then(|e| e.items())
            .and_then(|i| i.first())
            .and_then(|u| get_ascii(u, tags::CODE_VALUE))
            .unwrap_or_else(|| "uV".into());
        let unit_factor = match unit.as_str() {
            "mV" => 1000.0,
            "V" => 1e6,
            "nV" => 0.001,
            _ => 1.0,
        };
        let k = sensitivity * correction * unit_factor;
        let samples_uv = (0..samples)
            .map(|s| {
                let at = (s * channels + c) * 2;
                let raw = i16::from_le_bytes([data[at], data[at + 1]]);
                ((f64::from(raw) + baseline) * k).round().clamp(-1e9, 1e9) as i32
            })
            .collect();
        leads.push(Lead { name, samples_uv });
    }
    Ok((fs.round() as u32, leads))
}

/// Writes a 12-lead ECG Waveform Storage file (Explicit VR Little Endian, one waveform group of
/// 16-bit signed samples at 1 µV per unit, leads coded with MDC), with UIDs derived from `seed`.
/// Samples beyond ±32 767 µV are clipped.
pub fn to_dicom_ecg(ecg: &Ecg, seed: u64) -> Vec<u8> {
    let sop = derive_uid(seed, "ecg-sop");
    let n = ecg.len_samples();
    let mut defs = Vec::new();
    for (i, l) in ecg.leads.iter().enumerate() {
        let mut source = DataSetWriter::new();
        source
            .text(0x0008_0100, b"SH", l.name.mdc_numeric())
            .text(0x0008_0102, b"SH", "MDC")
            .text(0x0008_0104, b"LO", &format!("Lead {}", l.name));
        let mut units = DataSetWriter::new();
        units
            .text(0x0008_0100, b"SH", "uV")
            .text(0x0008_0102, b"SH", "UCUM")
            .text(0x0008_0104, b"LO", "microvolt");
        let mut def = DataSetWriter::new();
        def.text(0x003A_0202, b"IS", &(i + 1).to_string())
            .sequence(0x003A_0208, &[source])
            .text(0x003A_0210, b"DS", "1")
            .sequence(0x003A_0211, &[units])
            .text(0x003A_0212, b"DS", "1")
            .text(0x003A_0213, b"DS", "0")
            .us(0x003A_021A, &[16]);
        defs.push(def);
    }
    let mut data = Vec::with_capacity(n * ecg.leads.len() * 2);
    for s in 0..n {
        for l in &ecg.leads {
            let v = l
                .samples_uv
                .get(s)
                .copied()
                .unwrap_or(0)
                .clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16;
            data.extend_from_slice(&v.to_le_bytes());
        }
    }
    let mut group = DataSetWriter::new();
    group
        .text(0x003A_0004, b"CS", "ORIGINAL")
        .us(0x003A_0005, &[ecg.leads.len() as u16])
        .ul(0x003A_0010, n as u32)
        .text(0x003A_001A, b"DS", &ecg.sample_rate_hz.to_string())
        .sequence(0x003A_0200, &defs)
        .us(0x5400_1004, &[16])
        .text(0x5400_1006, b"CS", "SS")
        .binary(0x5400_1010, b"OW", &data);
    let mut ds = DataSetWriter::new();
    ds.text(0x0008_0016, b"UI", TWELVE_LEAD_ECG_STORAGE)
        .text(0x0008_0018, b"UI", &sop)
        .text(0x0008_0060, b"CS", "ECG")
        .text(0x0010_0010, b"PN", "")
        .text(0x0010_0020, b"LO", ecg.patient_id.as_deref().unwrap_or(""))
        .text(0x0020_000D, b"UI", &derive_uid(seed, "ecg-study"))
        .text(0x0020_000E, b"UI", &derive_uid(seed, "ecg-series"))
        .sequence(0x5400_0100, &[group]);
    if let Some(t) = ecg.acquired_at {
        ds.text(0x0008_002A, b"DT", &t.format("%Y%m%d%H%M%S").to_string())
            .text(0x0008_0020, b"DA", &t.format("%Y%m%d").to_string())
            .text(0x0008_0023, b"DA", &t.format("%Y%m%d").to_string())
            .text(0x0008_0033, b"TM", &t.format("%H%M%S").to_string());
    }
    ds.to_part10(TWELVE_LEAD_ECG_STORAGE, &sop)
}
