//! Synthetic DR (数字化X线摄影) chest images written as valid DX Part-10 files.

use chrono::{NaiveDate, NaiveDateTime};

use super::DX_FOR_PRESENTATION;
use super::Sex;
use super::text::encode_gb18030;
use super::writer::{DataSetWriter, SplitMix64, derive_uid};

/// What to put into a synthetic DX (chest PA) instance (合成 DR 影像).
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticDr {
    /// Seeds the image noise and the derived UIDs.
    pub seed: u64,
    /// Patient ID (0010,0020), typically the resident ID number.
    pub patient_id: String,
    /// Patient Name (0010,0010) as a PN value, e.g. `张^三` or `Zhang^San=张^三`; written in
    /// GB18030 with Specific Character Set `GB18030`.
    pub patient_name: String,
    /// Patient's Sex.
    pub sex: Sex,
    /// Patient's Birth Date.
    pub birth_date: NaiveDate,
    /// Accession Number (检查号).
    pub accession_number: String,
    /// Study date and time.
    pub study_datetime: NaiveDateTime,
    /// Institution Name (where the image was taken), GB18030.
    pub institution_name: String,
    /// Study Description, GB18030.
    pub study_description: String,
    /// Rows = Columns (e.g. 512).
    pub size: u16,
    /// Study Instance UID; derived from `seed` when `None`.
    pub study_instance_uid: Option<String>,
    /// Series Instance UID; derived from `seed` when `None`.
    pub series_instance_uid: Option<String>,
    /// SOP Instance UID; derived from `seed` when `None`.
    pub sop_instance_uid: Option<String>,
    /// Series Number.
    pub series_number: i32,
    /// Instance Number.
    pub instance_number: i32,
}

impl Default for SyntheticDr {
    fn default() -> Self {
        SyntheticDr {
            seed: 1,
            patient_id: "652301195003150016".into(),
            patient_name: "张^三".into(),
            sex: Sex::Male,
            birth_date: NaiveDate::from_ymd_opt(1950, 3, 15).expect("valid date"),
            accession_number: "DR202612010001".into(),
            study_datetime: NaiveDate::from_ymd_opt(2026, 12, 1)
                .and_then(|d| d.and_hms_opt(9, 30, 0))
                .expect("valid datetime"),
            institution_name: "昌吉市榆树沟镇卫生院".into(),
            study_description: "胸部正位 DR".into(),
            size: 512,
            study_instance_uid: None,
            series_instance_uid: None,
            sop_instance_uid: None,
            series_number: 1,
            instance_number: 1,
        }
    }
}

/// Window written into the file (and a good default for the synthetic image).
pub(crate) const SYNTHETIC_WINDOW: (f64, f64) = (2000.0, 3600.0);

/// Writes a Digital X-Ray (For Presentation) Part-10 file: Explicit VR Little Endian,
/// 16 bits allocated / 12 stored, MONOCHROME2, a procedural chest PA image.
pub fn synthetic_dr(spec: &SyntheticDr) -> Vec<u8> {
    let size = spec.size.max(16);
    let study = spec.study_instance_uid.clone().unwrap_or_else(|| derive_uid(spec.seed, "study"));
    let series = spec.series_instance_uid.clone().unwrap_or_else(|| derive_uid(spec.seed, "series"));
    let sop = spec.sop_instance_uid.clone().unwrap_or_else(|| derive_uid(spec.seed, "sop"));
    let date = spec.study_datetime.format("%Y%m%d").to_string();
    let time = spec.study_datetime.format("%H%M%S").to_string();
    let spacing = format!("{:.4}", 430.0 / f64::from(size));

    let mut ds = DataSetWriter::new();
    ds.text(0x0008_0005, b"CS", "GB18030")
        .text(0x0008_0008, b"CS", "ORIGINAL\\PRIMARY")
        .text(0x0008_0016, b"UI", DX_FOR_PRESENTATION)
        .text(0x0008_0018, b"UI", &sop)
        .text(0x0008_0020, b"DA", &date)
        .text(0x0008_0021, b"DA", &date)
        .text(0x0008_0023, b"DA", &date)
        .text(0x0008_0030, b"TM", &time)
        .text(0x0008_0031, b"TM", &time)
        .text(0x0008_0033, b"TM", &time)
        .raw_text(0x0008_0050, b"SH", &encode_gb18030(&spec.accession_number))
        .text(0x0008_0060, b"CS", "DX")
        .text(0x0008_0068, b"CS", "FOR PRESENTATION")
        .text(0x0008_0070, b"LO", "sanyi synthetic")
        .raw_text(0x0008_0080, b"LO", &encode_gb18030(&spec.institution_name))
        .raw_text(0x0008_1030, b"LO", &encode_gb18030(&spec.study_description))
        .raw_text(0x0010_0010, b"PN", &encode_gb18030(&spec.patient_name))
        .raw_text(0x0010_0020, b"LO", &encode_gb18030(&spec.patient_id))
        .text(0x0010_0030, b"DA", &spec.birth_date.format("%Y%m%d").to_string())
        .text(0x0010_0040, b"CS", spec.sex.code())
        .text(0x0018_0015, b"CS", "CHEST")
        .text(0x0018_5101, b"CS", "PA")
        .text(0x0020_000D, b"UI", &study)
        .text(0x0020_000E, b"UI", &series)
        .text(0x0020_0010, b"SH", "1")
        .text(0x0020_0011, b"IS", &spec.series_number.to_string())
        .text(0x0020_0013, b"IS", &spec.instance_number.to_string())
        .text(0x0020_0020, b"CS", "L\\F")
        .us(0x0028_0002, &[1])
        .text(0x0028_0004, b"CS", "MONOCHROME2")
        .us(0x0028_0010, &[size])
        .us(0x0028_0011, &[size])
        .text(0x0028_0030, b"DS", &format!("{spacing}\\{spacing}"))
        .us(0x0028_0100, &[16])
        .us(0x0028_0101, &[12])
        .us(0x0028_0102, &[11])
        .us(0x0028_0103, &[0])
        .text(0x0028_0301, b"CS", "NO")
        .text(0x0028_1040, b"CS", "LIN")
        .binary(0x0028_1041, b"SS", &1i16.to_le_bytes())
        .text(0x0028_1050, b"DS", &format!("{}", SYNTHETIC_WINDOW.0))
        .text(0x0028_1051, b"DS", &format!("{}", SYNTHETIC_WINDOW.1))
        .text(0x0028_1052, b"DS", "0")
        .text(0x0028_1053, b"DS", "1")
        .text(0x0028_1054, b"LO", "US")
        .text(0x2050_0020, b"CS", "IDENTITY")
        .binary(0x7FE0_0010, b"OW", &chest_pixels(spec.seed, usize::from(size)));
    ds.to_part10(DX_FOR_PRESENTATION, &sop)
}

fn smoothstep(edge0: f64, edge1: f64, x: f64) -> f64 {
    let t = ((x - edge0) / (edge1 - edge0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// Inside-ness (1 inside, 0 outside, soft edge) of an ellipse.
fn ellipse(u: f64, v: f64, cu: f64, cv: f64, ru: f64, rv: f64, soft: f64) -> f64 {
    let d = (((u - cu) / ru).powi(2) + ((v - cv) / rv).powi(2)).sqrt();
    1.0 - smoothstep(1.0 - soft, 1.0 + soft, d)
}

/// A 12-bit chest PA radiograph: body, lungs with vessels, ribs, spine, heart, clavicles,
/// diaphragm; shown with the image's left = patient's right. Little-endian u16 samples.
fn chest_pixels(seed: u64, n: usize) -> Vec<u8> {
    let mut rng = SplitMix64::new(seed);
    // Per-image variation.
    let heart_w = 0.24 + 0.06 * rng.next_f64();
    let lung_h = 0.52 + 0.06 * rng.next_f64();
    let rib_phase = 0.03 * rng.next_f64();
    let vessel_f = 9.0 + 4.0 * rng.next_f64();
    let mut out = Vec::with_capacity(n * n * 2);
    for y in 0..n {
        let v = (y as f64 + 0.5) / n as f64 * 2.0 - 1.0;
        for x in 0..n {
            let u = (x as f64 + 0.5) / n as f64 * 2.0 - 1.0;
            let au = u.abs();
            // Torso and shoulders.
            let body = ellipse(u, v, 0.0, 0.15, 0.86, 1.1, 0.04).max(ellipse(u, v, 0.0, -0.62, 0.98, 0.28, 0.08));
            let mut a = 250.0 + 1350.0 * body;
            // Lungs: air lowers attenuation.
            let lung = ellipse(au, v, 0.36, -0.06, 0.27, lung_h, 0.08);
            let vessels = 0.5 + 0.5 * ((u * vessel_f + (v * 7.0).sin()).sin() * (v * vessel_f * 0.8).cos());
            a -= lung * (850.0 - 180.0 * vessels * (1.0 - (au - 0.1).abs()).max(0.0));
            // Ribs: curved bands over each lung field.
            if au > 0.05 && au < 0.72 {
                for k in 0..10 {
                    let centre = -0.62 + rib_phase + f64::from(k) * 0.115 + 0.22 * (au - 0.1).powi(2);
                    let d = (v - centre).abs();
                    let rib = 1.0 - smoothstep(0.012, 0.03, d);
                    a += rib * 330.0 * body;
                }
            }
            // Clavicles.
            let clav_centre = -0.66 + 0.12 * (au - 0.35).powi(2);
            if au > 0.06 && au < 0.62 {
                a += (1.0 - smoothstep(0.015, 0.035, (v - clav_centre).abs())) * 500.0;
            }
            // Heart (to the patient's left, i.e. the image's right) and mediastinum.
            a += 650.0 * ellipse(u, v, 0.12, 0.22, heart_w, 0.26, 0.1);
            a += 420.0 * ellipse(u, v, 0.0, -0.2, 0.11, 0.5, 0.2);
            // Spine.
            a += 700.0 * (1.0 - smoothstep(0.05, 0.08, au)) * body;
            let vert = ((v * 26.0).sin() * 0.5 + 0.5) * (1.0 - smoothstep(0.05, 0.08, au));
            a += 120.0 * vert * body;
            // Diaphragm / abdomen below the lungs.
            let dome = 0.45 + 0.16 * (au - 0.36).powi(2) / 0.07;
            a += 600.0 * smoothstep(dome - 0.03, dome + 0.05, v) * body;
            // Quantum noise.
            a += 28.0 * rng.next_gauss();
            let value = a.round().clamp(0.0, 4095.0) as u16;
            out.extend_from_slice(&value.to_le_bytes());
        }
    }
    out
}
