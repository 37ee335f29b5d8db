use super::LeadName;
use crate::dicom::DicomError;

/// Why an ECG file was rejected (心电图文件错误), in English ([`EcgError::message`], also
/// `Display`) and Chinese ([`EcgError::message_zh`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EcgError {
    /// Neither DICOM, XML nor CSV.
    #[error("unrecognised ECG format: expected HL7 aECG XML, DICOM waveform or CSV")]
    UnknownFormat,
    /// Some of the 12 leads are absent (after deriving limb leads from I and II).
    #[error("missing leads: {}", join(leads))]
    MissingLeads {
        /// The absent leads, in standard order.
        leads: Vec<LeadName>,
    },
    /// Leads have different numbers of samples.
    #[error("leads have unequal lengths: {}", lengths.iter().map(|(l, n)| format!("{l}={n}")).collect::<Vec<_>>().join(", "))]
    UnequalLeadLengths {
        /// Samples per lead.
        lengths: Vec<(LeadName, usize)>,
    },
    /// The sample rate is absent, not a number or outside 100–10 000 Hz.
    #[error("bad sample rate {value:?}: expected 100 to 10000 Hz")]
    BadSampleRate {
        /// The value found (or a description when absent).
        value: String,
    },
    /// The XML is not well formed.
    #[error("malformed XML at line {line}, column {column}: {detail}")]
    MalformedXml {
        /// 1-based line.
        line: u32,
        /// 1-based column.
        column: u32,
        /// Parser message.
        detail: String,
    },
    /// The XML or DICOM is well formed but lacks an ECG structure element.
    #[error("not a 12-lead ECG: {detail}")]
    NotAnEcg {
        /// What is absent, e.g. `no sequenceSet element`.
        detail: String,
    },
    /// A CSV cell is not a number.
    #[error("line {line}, column {column} ({header}): {value:?} is not a number")]
    CsvCell {
        /// 1-based line in the file.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The column's header.
        header: String,
        /// The cell text.
        value: String,
    },
    /// The CSV header or row shape is wrong.
    #[error("CSV line {line}: {detail}")]
    CsvShape {
        /// 1-based line.
        line: usize,
        /// What is wrong.
        detail: String,
    },
    /// Less than 2 seconds of signal.
    #[error("recording too short: {seconds:.2} s, at least 2 s needed")]
    TooShort {
        /// Duration found.
        seconds: f64,
    },
    /// A lead's values are malformed (aECG digits, DICOM waveform layout).
    #[error("bad waveform data: {detail}")]
    BadWaveform {
        /// What is wrong.
        detail: String,
    },
    /// The DICOM container could not be read.
    #[error("DICOM ECG: {0}")]
    Dicom(DicomError),
}

fn join(leads: &[LeadName]) -> String {
    leads.iter().map(|l| l.as_str()).collect::<Vec<_>>().join(", ")
}

impl EcgError {
    /// English message (same as `Display`).
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// Chinese message for the pages.
    pub fn message_zh(&self) -> String {
        match self {
            EcgError::UnknownFormat => "无法识别的心电图格式：应为 HL7 aECG XML、DICOM 波形或 CSV".into(),
            EcgError::MissingLeads { leads } => format!("缺少导联：{}", join(leads)),
            EcgError::UnequalLeadLengths { lengths } => format!(
                "各导联采样点数不一致：{}",
                lengths.iter().map(|(l, n)| format!("{l}={n}")).collect::<Vec<_>>().join("，")
            ),
            EcgError::BadSampleRate { value } => {
                format!("采样率 {value:?} 无效：应为 100 至 10000 Hz")
            }
            EcgError::MalformedXml { line, column, detail } => format!("XML 格式错误（第 {line} 行第 {column} 列）：{detail}"),
            EcgError::NotAnEcg { detail } => format!("不是十二导联心电图：{detail}"),
            EcgError::CsvCell {
                line,
                column,
                header,
                value,
            } => format!("第 {line} 行第 {column} 列（{header}）：{value:?} 不是数字"),
            EcgError::CsvShape { line, detail } => format!("CSV 第 {line} 行：{detail}"),
            EcgError::TooShort { seconds } => {
                format!("记录过短：{seconds:.2} 秒，至少需要 2 秒")
            }
            EcgError::BadWaveform { detail } => format!("波形数据错误：{detail}"),
            EcgError::Dicom(e) => format!("DICOM 心电图：{}", e.message_zh()),
        }
    }

    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            EcgError::UnknownFormat => "unknown_format",
            EcgError::MissingLeads { .. } => "missing_leads",
            EcgError::UnequalLeadLengths { .. } => "unequal_lead_lengths",
            EcgError::BadSampleRate { .. } => "bad_sample_rate",
            EcgError::MalformedXml { .. } => "malformed_xml",
            EcgError::NotAnEcg { .. } => "not_an_ecg",
            EcgError::CsvCell { .. } => "csv_cell",
            EcgError::CsvShape { .. } => "csv_shape",
            EcgError::TooShort { .. } => "too_short",
            EcgError::BadWaveform { .. } => "bad_waveform",
            EcgError::Dicom(_) => "dicom",
        }
    }
}
