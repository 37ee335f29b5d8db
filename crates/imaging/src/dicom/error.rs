use dicom_core::Tag;

/// Why a DICOM file was rejected (DICOM 文件错误). Every variant names what is wrong, in
/// English ([`DicomError::message`], also `Display`) and in Chinese ([`DicomError::message_zh`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DicomError {
    /// No `DICM` marker at byte 128: not a DICOM Part-10 file.
    #[error("not a DICOM file: no 'DICM' marker after the 128-byte preamble")]
    NotDicom,
    /// The file ends early or its structure cannot be read.
    #[error("truncated or corrupt DICOM file: {detail}")]
    Corrupt {
        /// What the parser reported.
        detail: String,
    },
    /// A required attribute is absent or empty.
    #[error("required attribute {attribute} {tag} is missing or empty")]
    MissingAttribute {
        /// Keyword, e.g. `StudyInstanceUID`.
        attribute: &'static str,
        /// Tag as `(gggg,eeee)`.
        tag: String,
    },
    /// Neither Patient ID nor Patient Name is present.
    #[error("no patient identity: neither PatientID (0010,0020) nor PatientName (0010,0010) is present")]
    NoPatientIdentity,
    /// The transfer syntax cannot be read (or, for rendering, decoded).
    #[error("unsupported transfer syntax {uid} ({})", transfer_syntax_name(uid))]
    UnsupportedTransferSyntax {
        /// The Transfer Syntax UID.
        uid: String,
    },
    /// The file has no Pixel Data (7FE0,0010).
    #[error("the file has no pixel data (7FE0,0010)")]
    NoPixelData,
    /// The pixel data cannot be rendered (format or size).
    #[error("unsupported or inconsistent pixel data: {detail}")]
    UnsupportedPixelData {
        /// What is wrong, e.g. `PhotometricInterpretation PALETTE COLOR`.
        detail: String,
    },
}

impl DicomError {
    /// English message (same as `Display`).
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// Chinese message for the pages.
    pub fn message_zh(&self) -> String {
        match self {
            DicomError::NotDicom => "不是 DICOM 文件：128 字节前导区之后没有“DICM”标记".into(),
            DicomError::Corrupt { detail } => format!("DICOM 文件不完整或已损坏：{detail}"),
            DicomError::MissingAttribute { attribute, tag } => {
                format!("缺少必需的属性 {attribute} {tag}，或其值为空")
            }
            DicomError::NoPatientIdentity => "没有患者身份信息：既无患者 ID (0010,0020)，也无患者姓名 (0010,0010)".into(),
            DicomError::UnsupportedTransferSyntax { uid } => {
                format!("不支持的传输语法 {uid}（{}）", transfer_syntax_name(uid))
            }
            DicomError::NoPixelData => "文件中没有像素数据 (7FE0,0010)".into(),
            DicomError::UnsupportedPixelData { detail } => {
                format!("像素数据不受支持或不一致：{detail}")
            }
        }
    }

    /// A stable machine-readable code, e.g. for a problem+json `type`.
    pub fn code(&self) -> &'static str {
        match self {
            DicomError::NotDicom => "not_dicom",
            DicomError::Corrupt { .. } => "corrupt",
            DicomError::MissingAttribute { .. } => "missing_attribute",
            DicomError::NoPatientIdentity => "no_patient_identity",
            DicomError::UnsupportedTransferSyntax { .. } => "unsupported_transfer_syntax",
            DicomError::NoPixelData => "no_pixel_data",
            DicomError::UnsupportedPixelData { .. } => "unsupported_pixel_data",
        }
    }
}

/// A readable name for common transfer syntaxes.
pub fn transfer_syntax_name(uid: &str) -> &'static str {
    match uid {
        "1.2.840.10008.1.2" => "Implicit VR Little Endian",
        "1.2.840.10008.1.2.1" => "Explicit VR Little Endian",
        "1.2.840.10008.1.2.1.99" => "Deflated Explicit VR Little Endian",
        "1.2.840.10008.1.2.2" => "Explicit VR Big Endian",
        "1.2.840.10008.1.2.4.50" => "JPEG Baseline",
        "1.2.840.10008.1.2.4.51" => "JPEG Extended",
        "1.2.840.10008.1.2.4.57" | "1.2.840.10008.1.2.4.70" => "JPEG Lossless",
        "1.2.840.10008.1.2.4.80" | "1.2.840.10008.1.2.4.81" => "JPEG-LS",
        "1.2.840.10008.1.2.4.90" | "1.2.840.10008.1.2.4.91" => "JPEG 2000",
        "1.2.840.10008.1.2.4.201" | "1.2.840.10008.1.2.4.202" | "1.2.840.10008.1.2.4.203" => "HTJ2K",
        "1.2.840.10008.1.2.5" => "RLE Lossless",
        _ => "unknown",
    }
}

pub(crate) fn tag_string(tag: Tag) -> String {
    format!("({:04X},{:04X})", tag.group(), tag.element())
}

pub(crate) fn describe_dicom_rs_error(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    let mut depth = 0;
    while let Some(s) = src {
        let msg = s.to_string();
        if !out.contains(&msg) {
            out.push_str(": ");
            out.push_str(&msg);
        }
        src = s.source();
        depth += 1;
        if depth > 8 {
            break;
        }
    }
    out
}
