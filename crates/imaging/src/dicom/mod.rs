//! DICOM Part-10 intake (DICOM 影像接收): metadata for indexing, PNG rendering for the browser,
//! and a synthetic DR generator for the demo and tests.
//!
//! [`parse_instance`] reads the data set only up to Pixel Data (7FE0,0010) and never converts
//! pixels, so it is cheap enough for bulk ingest. [`render_png`] reads the whole file.

mod error;
mod guard;
mod render;
mod synthetic;
mod text;
pub(crate) mod writer;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_object::file::ReadPreamble;
use dicom_object::{DefaultDicomObject, InMemDicomObject, OpenFileOptions};

pub use error::DicomError;
pub use render::{RenderOptions, render_png};
pub use synthetic::{SyntheticDr, synthetic_dr};
pub use writer::derive_uid;

use text::Charset;

/// Other Patient IDs (0010,1000), retired but still written by many modalities.
const OTHER_PATIENT_IDS: Tag = Tag(0x0010, 0x1000);

/// Implicit VR Little Endian.
pub const IMPLICIT_VR_LE: &str = "1.2.840.10008.1.2";
/// Explicit VR Little Endian.
pub const EXPLICIT_VR_LE: &str = "1.2.840.10008.1.2.1";
/// Explicit VR Big Endian (retired).
pub const EXPLICIT_VR_BE: &str = "1.2.840.10008.1.2.2";
/// Digital X-Ray Image Storage – For Presentation (DX).
pub const DX_FOR_PRESENTATION: &str = "1.2.840.10008.5.1.4.1.1.1.1";

/// Patient sex (患者性别) as coded in (0010,0040).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    /// `M`
    Male,
    /// `F`
    Female,
    /// `O`
    Other,
}

impl Sex {
    /// The DICOM code string: `M`, `F` or `O`.
    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "M",
            Sex::Female => "F",
            Sex::Other => "O",
        }
    }

    fn from_code(s: &str) -> Option<Self> {
        match s.trim() {
            "M" | "m" => Some(Sex::Male),
            "F" | "f" => Some(Sex::Female),
            "O" | "o" => Some(Sex::Other),
            _ => None,
        }
    }
}

/// The indexable metadata of one DICOM instance (DICOM 实例), e.g. one DR image.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    /// Study Instance UID (0020,000D).
    pub study_instance_uid: String,
    /// Series Instance UID (0020,000E).
    pub series_instance_uid: String,
    /// SOP Instance UID (0008,0018).
    pub sop_instance_uid: String,
    /// SOP Class UID (0008,0016), falling back to the file meta group.
    pub sop_class_uid: String,
    /// Transfer Syntax UID from the file meta group (0002,0010).
    pub transfer_syntax_uid: String,
    /// Modality (0008,0060), e.g. `DX`, `CR`, `CT`.
    pub modality: Option<String>,
    /// Patient ID (0010,0020); in China usually the resident ID number or a hospital number.
    pub patient_id: Option<String>,
    /// Other Patient IDs (0010,1000) and the Patient IDs of Other Patient IDs Sequence (0010,1002).
    pub other_patient_ids: Vec<String>,
    /// Patient Name (0010,0010) for display: the ideographic group when present, else the
    /// alphabetic one; components joined without spaces for Chinese, with spaces otherwise.
    pub patient_name: Option<String>,
    /// Patient Name exactly as decoded, with `^` and `=` separators.
    pub patient_name_raw: Option<String>,
    /// Patient's Sex (0010,0040).
    pub patient_sex: Option<Sex>,
    /// Patient's Birth Date (0010,0030).
    pub birth_date: Option<NaiveDate>,
    /// Accession Number (0008,0050).
    pub accession_number: Option<String>,
    /// Study Date (0008,0020).
    pub study_date: Option<NaiveDate>,
    /// Study Time (0008,0030).
    pub study_time: Option<NaiveTime>,
    /// Study Description (0008,1030).
    pub study_description: Option<String>,
    /// Body Part Examined (0018,0015).
    pub body_part_examined: Option<String>,
    /// Series Number (0020,0011).
    pub series_number: Option<i32>,
    /// Instance Number (0020,0013).
    pub instance_number: Option<i32>,
    /// Institution Name (0008,0080).
    pub institution_name: Option<String>,
    /// Rows (0028,0010).
    pub rows: Option<u16>,
    /// Columns (0028,0011).
    pub columns: Option<u16>,
    /// First Window Center (0028,1050).
    pub window_center: Option<f64>,
    /// First Window Width (0028,1051).
    pub window_width: Option<f64>,
    /// Number of Frames (0028,0008); 1 when absent.
    pub number_of_frames: u32,
    /// Specific Character Set (0008,0005) values as declared.
    pub specific_character_set: Vec<String>,
    /// Whether a top-level Pixel Data element appears to follow the parsed header
    /// (found by a byte scan, without reading the pixels).
    pub has_pixel_data: bool,
    /// Bytes the declared pixel matrix needs uncompressed: Rows × Columns × Number of Frames ×
    /// Samples per Pixel × Bits Allocated / 8 (`None` when Rows, Columns or Bits Allocated is
    /// absent).
    pub declared_pixel_bytes: Option<u64>,
    /// Size of the whole file.
    pub file_bytes: u64,
}

/// Largest frame sanyi renders: 2^28 pixels (a 16 384 × 16 384 image); a digital radiograph is
/// about 3 000 × 3 000.
pub const MAX_FRAME_PIXELS: u64 = 1 << 28;

impl Instance {
    /// Study date and time combined (time 00:00 when only the date is known).
    pub fn study_datetime(&self) -> Option<NaiveDateTime> {
        self.study_date.map(|d| d.and_time(self.study_time.unwrap_or(NaiveTime::MIN)))
    }

    /// `Ok` when [`render_png`] can decode this instance's transfer syntax; otherwise the
    /// [`DicomError::UnsupportedTransferSyntax`] that rendering would return.
    ///
    /// Also refuses a declared matrix that the file cannot hold (uncompressed pixel data shorter
    /// than Rows × Columns × … declares) or that is larger than [`MAX_FRAME_PIXELS`], so that such
    /// a file is refused at intake rather than failing (or exhausting memory) when rendered.
    pub fn check_renderable(&self) -> Result<(), DicomError> {
        render::check_transfer_syntax(&self.transfer_syntax_uid)?;
        let (Some(rows), Some(columns)) = (self.rows, self.columns) else {
            return Ok(());
        };
        let frame = u64::from(rows) * u64::from(columns);
        if frame > MAX_FRAME_PIXELS {
            return Err(DicomError::UnsupportedPixelData {
                detail: format!("{rows} × {columns} pixels per frame, more than the {MAX_FRAME_PIXELS} rendered"),
            });
        }
        let native = matches!(
            self.transfer_syntax_uid.trim_end_matches('\0'),
            "1.2.840.10008.1.2" | "1.2.840.10008.1.2.1" | "1.2.840.10008.1.2.2"
        );
        match self.declared_pixel_bytes {
            Some(declared) if native && declared > self.file_bytes => Err(DicomError::UnsupportedPixelData {
                detail: format!(
                    "{rows} × {columns} pixels × {} frames declare {declared} bytes of pixel data, the file holds {}",
                    self.number_of_frames, self.file_bytes
                ),
            }),
            _ => Ok(()),
        }
    }
}

/// Parses the metadata of a DICOM Part-10 file (with the 128-byte preamble and `DICM`).
///
/// Stops before Pixel Data; fails with a [`DicomError`] (never panics) on anything that is not
/// a well-formed instance with study/series/SOP UIDs and a patient identity.
pub fn parse_instance(bytes: &[u8]) -> Result<Instance, DicomError> {
    let obj = open(bytes, Some(tags::PIXEL_DATA))?;
    let ts = obj.meta().transfer_syntax().to_string();
    let meta_sop_class = obj.meta().media_storage_sop_class_uid().to_string();
    let ds: &InMemDicomObject = &obj;
    let cs = Charset::of(ds);

    let required = |tag: Tag, name: &'static str| -> Result<String, DicomError> {
        get_ascii(ds, tag).ok_or(DicomError::MissingAttribute {
            attribute: name,
            tag: error::tag_string(tag),
        })
    };
    let study_instance_uid = required(tags::STUDY_INSTANCE_UID, "StudyInstanceUID")?;
    let series_instance_uid = required(tags::SERIES_INSTANCE_UID, "SeriesInstanceUID")?;
    let sop_instance_uid = required(tags::SOP_INSTANCE_UID, "SOPInstanceUID")?;
    let sop_class_uid = match get_ascii(ds, tags::SOP_CLASS_UID) {
        Some(s) => s,
        None if !meta_sop_class.is_empty() => meta_sop_class,
        None => {
            return Err(DicomError::MissingAttribute {
                attribute: "SOPClassUID",
                tag: error::tag_string(tags::SOP_CLASS_UID),
            });
        }
    };

    let patient_id = get_text(ds, tags::PATIENT_ID, &cs);
    let patient_name_raw = get_text(ds, tags::PATIENT_NAME, &cs);
    let patient_name = patient_name_raw.as_deref().and_then(text::display_person_name);
    if patient_id.is_none() && patient_name.is_none() {
        return Err(DicomError::NoPatientIdentity);
    }

    let mut other_patient_ids: Vec<String> = get_multi_text(ds, OTHER_PATIENT_IDS, &cs);
    if let Some(items) = element(ds, tags::OTHER_PATIENT_I_DS_SEQUENCE).and_then(|e| e.items()) {
        for item in items {
            if let Some(id) = get_text(item, tags::PATIENT_ID, &cs)
                && !other_patient_ids.contains(&id)
            {
                other_patient_ids.push(id);
            }
        }
    }

    let (window_center, window_width) = match (first_f64(ds, tags::WINDOW_CENTER), first_f64(ds, tags::WINDOW_WIDTH)) {
        (Some(c), Some(w)) if w >= 1.0 => (Some(c), Some(w)),
        _ => (None, None),
    };

    Ok(Instance {
        study_instance_uid,
        series_instance_uid,
        sop_instance_uid,
        sop_class_uid,
        transfer_syntax_uid: ts,
        modality: get_ascii(ds, tags::MODALITY),
        patient_id,
        other_patient_ids,
        patient_name,
        patient_name_raw,
        patient_sex: get_ascii(ds, tags::PATIENT_SEX).as_deref().and_then(Sex::from_code),
        birth_date: get_ascii(ds, tags::PATIENT_BIRTH_DATE).as_deref().and_then(text::parse_da),
        accession_number: get_text(ds, tags::ACCESSION_NUMBER, &cs),
        study_date: get_ascii(ds, tags::STUDY_DATE).as_deref().and_then(text::parse_da),
        study_time: get_ascii(ds, tags::STUDY_TIME).as_deref().and_then(text::parse_tm),
        study_description: get_text(ds, tags::STUDY_DESCRIPTION, &cs),
        body_part_examined: get_ascii(ds, tags::BODY_PART_EXAMINED),
        series_number: get_int(ds, tags::SERIES_NUMBER),
        instance_number: get_int(ds, tags::INSTANCE_NUMBER),
        institution_name: get_text(ds, tags::INSTITUTION_NAME, &cs),
        rows: get_int(ds, tags::ROWS),
        columns: get_int(ds, tags::COLUMNS),
        window_center,
        window_width,
        number_of_frames: get_int::<u32>(ds, tags::NUMBER_OF_FRAMES).filter(|n| *n > 0).unwrap_or(1),
        specific_character_set: cs.declared.clone(),
        has_pixel_data: pixel_data_follows(bytes),
        declared_pixel_bytes: declared_pixel_bytes(ds),
        file_bytes: bytes.len() as u64,
    })
}

/// Rows × Columns × Number of Frames × Samples per Pixel × Bits Allocated / 8, in bytes.
fn declared_pixel_bytes(ds: &InMemDicomObject) -> Option<u64> {
    let rows: u64 = get_int::<u16>(ds, tags::ROWS)?.into();
    let columns: u64 = get_int::<u16>(ds, tags::COLUMNS)?.into();
    let bits: u64 = get_int::<u16>(ds, tags::BITS_ALLOCATED)?.into();
    let samples: u64 = get_int::<u16>(ds, tags::SAMPLES_PER_PIXEL).unwrap_or(1).into();
    let frames: u64 = get_int::<u32>(ds, tags::NUMBER_OF_FRAMES).filter(|n| *n > 0).unwrap_or(1).into();
    Some(rows * columns * frames * samples * bits.div_ceil(8))
}

/// Opens a Part-10 file from memory, optionally stopping before `read_until`.
pub(crate) fn open(bytes: &[u8], read_until: Option<Tag>) -> Result<DefaultDicomObject, DicomError> {
    if bytes.len() < 132 || &bytes[128..132] != b"DICM" {
        return Err(DicomError::NotDicom);
    }
    guard::check_lengths(bytes).map_err(|detail| DicomError::Corrupt { detail })?;
    let body = &bytes[128..];
    let mut options = OpenFileOptions::new().read_preamble(ReadPreamble::Never);
    if let Some(tag) = read_until {
        options = options.read_until(tag);
    }
    match options.from_reader(body) {
        Ok(obj) => Ok(obj),
        Err(e) => {
            // Tell an unsupported transfer syntax apart from corruption.
            if let Ok(meta) = dicom_object::FileMetaTable::from_reader(body) {
                let ts = meta.transfer_syntax();
                if !render::dataset_readable(ts) {
                    return Err(DicomError::UnsupportedTransferSyntax { uid: ts.to_string() });
                }
            }
            Err(DicomError::Corrupt {
                detail: error::describe_dicom_rs_error(&e),
            })
        }
    }
}

/// Scans for a Pixel Data tag (7FE0,0010) followed by a plausible VR or length.
/// Cheap (a byte search), does not read the pixels; a heuristic good for a `has_pixel_data` flag.
fn pixel_data_follows(bytes: &[u8]) -> bool {
    const TAG: [u8; 4] = [0xE0, 0x7F, 0x10, 0x00];
    let mut i = 132;
    while i + 8 <= bytes.len() {
        match bytes[i..].windows(4).position(|w| w == TAG) {
            None => return false,
            Some(p) => {
                let at = i + p;
                if at + 8 <= bytes.len() {
                    let vr = &bytes[at + 4..at + 6];
                    if vr == b"OW" || vr == b"OB" {
                        return true;
                    }
                    let len = u32::from_le_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]]);
                    if len == u32::MAX || (len as usize) <= bytes.len() - at - 8 {
                        return true;
                    }
                }
                i = at + 1;
            }
        }
    }
    false
}

pub(crate) type Elem = dicom_object::mem::InMemElement;

pub(crate) fn element(ds: &InMemDicomObject, tag: Tag) -> Option<&Elem> {
    ds.element_opt(tag).ok().flatten()
}

/// A value of a character-set-independent VR (UI, CS, DA, TM, IS, DS, AS), trimmed; `None` if
/// absent or empty.
pub(crate) fn get_ascii(ds: &InMemDicomObject, tag: Tag) -> Option<String> {
    let s = element(ds, tag)?.to_str().ok()?;
    let t = s.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    (!t.is_empty()).then(|| t.to_string())
}

/// A text value (PN, LO, SH, LT, ST, UT) decoded with the data set's character set.
pub(crate) fn get_text(ds: &InMemDicomObject, tag: Tag, cs: &Charset) -> Option<String> {
    let s = element(ds, tag)?.to_str().ok()?;
    let fixed = cs.fix(&s);
    let t = fixed.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    (!t.is_empty()).then(|| t.to_string())
}

fn get_multi_text(ds: &InMemDicomObject, tag: Tag, cs: &Charset) -> Vec<String> {
    let Some(e) = element(ds, tag) else {
        return Vec::new();
    };
    let Ok(values) = e.value().to_multi_str() else {
        return Vec::new();
    };
    values
        .iter()
        .map(|v| cs.fix(v).trim().to_string())
        .filter(|v| !v.is_empty())
        .collect()
}

pub(crate) fn get_int<T>(ds: &InMemDicomObject, tag: Tag) -> Option<T>
where
    T: Clone + num_traits_shim::NumCastShim,
{
    let e = element(ds, tag)?;
    let v: i64 = e.to_int::<i64>().ok()?;
    T::from_i64(v)
}

pub(crate) fn first_f64(ds: &InMemDicomObject, tag: Tag) -> Option<f64> {
    let e = element(ds, tag)?;
    let v = e.to_multi_float64().ok()?;
    v.first().copied().filter(|f| f.is_finite())
}

/// Conversion from i64 without pulling `num-traits` into the public dependency list.
pub(crate) mod num_traits_shim {
    pub trait NumCastShim: Sized {
        fn from_i64(v: i64) -> Option<Self>;
    }
    macro_rules! shim {
        ($($t:ty),*) => {$(
            impl NumCastShim for $t {
                fn from_i64(v: i64) -> Option<Self> {
                    <$t>::try_from(v).ok()
                }
            }
        )*};
    }
    shim!(u16, u32, i32, i64, usize);
}

#[cfg(test)]
mod tests;
