//! The explanation of one grouping (分组过程): ordered steps, each renderable in Chinese and English.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::rules::{AdrgRule, EntryRule, Split};

/// Why a record could not be grouped (不能入组原因); its DRG is `0000`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UngroupableReason {
    /// Sex missing or not `1`/`2`.
    InvalidSex,
    /// Age in years missing or not a finite number.
    MissingAge,
    /// Under one year and age in days missing.
    MissingAgeDays,
    /// Under one year, at most 28 days old, and birth weight missing.
    NewbornWithoutWeight,
    /// No MDC was entered, or no ADRG of any entered MDC matched.
    NoMdcAdrgMatched,
}

impl UngroupableReason {
    /// The snake-case name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            UngroupableReason::InvalidSex => "invalid_sex",
            UngroupableReason::MissingAge => "missing_age",
            UngroupableReason::MissingAgeDays => "missing_age_days",
            UngroupableReason::NewbornWithoutWeight => "newborn_without_weight",
            UngroupableReason::NoMdcAdrgMatched => "no_mdc_adrg_matched",
        }
    }

    /// Chinese description.
    #[must_use]
    pub fn message_zh(self) -> &'static str {
        match self {
            UngroupableReason::InvalidSex => "性别缺失或无效（须为1或2）",
            UngroupableReason::MissingAge => "年龄缺失",
            UngroupableReason::MissingAgeDays => "不足1岁但年龄（天）缺失",
            UngroupableReason::NewbornWithoutWeight => "新生儿（≤28天）出生体重缺失",
            UngroupableReason::NoMdcAdrgMatched => "无可入组的MDC/ADRG",
        }
    }

    /// English description.
    #[must_use]
    pub fn message_en(self) -> &'static str {
        match self {
            UngroupableReason::InvalidSex => "sex missing or invalid (must be 1 or 2)",
            UngroupableReason::MissingAge => "age missing",
            UngroupableReason::MissingAgeDays => "under one year but age in days missing",
            UngroupableReason::NewbornWithoutWeight => "newborn (<= 28 days) without birth weight",
            UngroupableReason::NoMdcAdrgMatched => "no MDC/ADRG matched",
        }
    }
}

impl fmt::Display for UngroupableReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One step of a grouping trace. Codes are copied into the step so a trace stands on its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
#[non_exhaustive]
pub enum TraceStep {
    /// Step 0 passed.
    Validated,
    /// Step 0 failed: the record is ungroupable.
    ValidationFailed {
        /// Which check failed.
        reason: UngroupableReason,
    },
    /// An MDC entry test.
    MdcEntry {
        /// MDC code.
        mdc: String,
        /// Its entry rule.
        rule: EntryRule,
        /// Whether the record enters the MDC.
        passed: bool,
        /// For the multi-trauma rule: the distinct regions of the listed diagnoses.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        trauma_regions: Vec<String>,
    },
    /// An ADRG rule tried inside an entered MDC.
    AdrgRule {
        /// ADRG code.
        adrg: String,
        /// Its rule.
        rule: AdrgRule,
        /// Whether it matched (the first match decides).
        matched: bool,
    },
    /// No ADRG of an entered MDC matched; the next MDC is tried.
    MdcLeft {
        /// MDC code.
        mdc: String,
    },
    /// Complications and comorbidities of the record (HAS_MCC / HAS_CC).
    Complications {
        /// The main diagnosis.
        main_dx: String,
        /// Its exclusion table, if any.
        exclusion_table: Option<u32>,
        /// Whether an MCC counts.
        has_mcc: bool,
        /// The first other diagnosis that is a counting MCC.
        mcc_code: Option<String>,
        /// Whether a CC counts.
        has_cc: bool,
        /// The first other diagnosis that is a counting CC.
        cc_code: Option<String>,
        /// Other diagnoses that are MCC/CC but excluded by the main diagnosis' table.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        excluded: Vec<String>,
    },
    /// A DRG split tried inside the chosen ADRG.
    Split {
        /// DRG code.
        drg: String,
        /// Its split condition.
        split: Split,
        /// Whether it holds (the first that holds is the result).
        taken: bool,
    },
    /// All MDCs tried without result.
    NoMatch,
}

fn yes_no_zh(b: bool) -> &'static str {
    if b { "是" } else { "否" }
}

fn split_zh(s: Split) -> &'static str {
    match s {
        Split::Mcc => "伴严重并发症或合并症",
        Split::MccOrCc => "伴并发症或合并症",
        Split::None => "无条件",
    }
}

fn split_en(s: Split) -> &'static str {
    match s {
        Split::Mcc => "needs an MCC",
        Split::MccOrCc => "needs an MCC or CC",
        Split::None => "unconditional",
    }
}

impl TraceStep {
    /// The step as a sentence in Chinese.
    #[must_use]
    pub fn message_zh(&self) -> String {
        match self {
            TraceStep::Validated => "校验通过（性别、年龄、新生儿体重）".to_owned(),
            TraceStep::ValidationFailed { reason } => format!("校验失败：{} → 0000", reason.message_zh()),
            TraceStep::MdcEntry {
                mdc,
                rule,
                passed,
                trauma_regions,
            } => {
                let mut s = format!(
                    "MDC {mdc} 入组条件「{}」：{}",
                    rule.describe_zh(),
                    if *passed { "通过，进入" } else { "未通过" }
                );
                if !trauma_regions.is_empty() {
                    s.push_str(&format!("（创伤部位：{}）", trauma_regions.join("、")));
                }
                s
            }
            TraceStep::AdrgRule { adrg, rule, matched } => {
                format!(
                    "ADRG {adrg}「{}」：{}",
                    rule.describe_zh(),
                    if *matched { "匹配" } else { "不匹配" }
                )
            }
            TraceStep::MdcLeft { mdc } => format!("MDC {mdc} 内无ADRG匹配，继续尝试下一个MDC"),
            TraceStep::Complications {
                main_dx,
                exclusion_table,
                has_mcc,
                mcc_code,
                has_cc,
                cc_code,
                excluded,
            } => {
                let mut s = format!(
                    "并发症判断：主要诊断 {main_dx} 排除表 {}；HAS_MCC={}",
                    exclusion_table.map_or_else(|| "无".to_owned(), |t| t.to_string()),
                    yes_no_zh(*has_mcc)
                );
                if let Some(c) = mcc_code {
                    s.push_str(&format!("（{c}）"));
                }
                s.push_str(&format!("；HAS_CC={}", yes_no_zh(*has_cc)));
                if let Some(c) = cc_code {
                    s.push_str(&format!("（{c}）"));
                }
                if !excluded.is_empty() {
                    s.push_str(&format!("；被主要诊断排除：{}", excluded.join("、")));
                }
                s
            }
            TraceStep::Split { drg, split, taken } => {
                format!("DRG {drg}（{}）：{}", split_zh(*split), if *taken { "选中" } else { "不满足" })
            }
            TraceStep::NoMatch => "所有MDC均未能入组 → 0000".to_owned(),
        }
    }

    /// The step as a sentence in English.
    #[must_use]
    pub fn message_en(&self) -> String {
        match self {
            TraceStep::Validated => "validation passed (sex, age, newborn weight)".to_owned(),
            TraceStep::ValidationFailed { reason } => format!("validation failed: {} -> 0000", reason.message_en()),
            TraceStep::MdcEntry {
                mdc,
                rule,
                passed,
                trauma_regions,
            } => {
                let mut s = format!(
                    "MDC {mdc} entry test ({}): {}",
                    rule.describe_en(),
                    if *passed { "passed, entering" } else { "failed" }
                );
                if !trauma_regions.is_empty() {
                    s.push_str(&format!(" (trauma regions: {})", trauma_regions.join(", ")));
                }
                s
            }
            TraceStep::AdrgRule { adrg, rule, matched } => {
                format!(
                    "ADRG {adrg} ({}): {}",
                    rule.describe_en(),
                    if *matched { "match" } else { "no match" }
                )
            }
            TraceStep::MdcLeft { mdc } => format!("no ADRG of MDC {mdc} matches; trying the next MDC"),
            TraceStep::Complications {
                main_dx,
                exclusion_table,
                has_mcc,
                mcc_code,
                has_cc,
                cc_code,
                excluded,
            } => {
                let mut s = format!(
                    "complications: main diagnosis {main_dx}, exclusion table {}; HAS_MCC={has_mcc}",
                    exclusion_table.map_or_else(|| "none".to_owned(), |t| t.to_string())
                );
                if let Some(c) = mcc_code {
                    s.push_str(&format!(" ({c})"));
                }
                s.push_str(&format!("; HAS_CC={has_cc}"));
                if let Some(c) = cc_code {
                    s.push_str(&format!(" ({c})"));
                }
                if !excluded.is_empty() {
                    s.push_str(&format!("; excluded by the main diagnosis: {}", excluded.join(", ")));
                }
                s
            }
            TraceStep::Split { drg, split, taken } => {
                format!("DRG {drg} ({}): {}", split_en(*split), if *taken { "chosen" } else { "not met" })
            }
            TraceStep::NoMatch => "no MDC/ADRG matched -> 0000".to_owned(),
        }
    }
}

/// The ordered steps of one grouping, produced by [`Scheme::explain`](crate::Scheme::explain).
///
/// Serialized as a list of objects carrying the step's data plus `zh` and `en` messages.
/// `Display` prints one line per step: the English message, then the Chinese one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Trace {
    /// The steps in the order they were taken.
    pub steps: Vec<TraceStep>,
}

impl Trace {
    /// Whether some step satisfies `f` (handy in tests).
    pub fn any(&self, f: impl Fn(&TraceStep) -> bool) -> bool {
        self.steps.iter().any(f)
    }

    /// The MDCs entered (entry test passed), in order.
    #[must_use]
    pub fn entered_mdcs(&self) -> Vec<&str> {
        self.steps
            .iter()
            .filter_map(|s| match s {
                TraceStep::MdcEntry { mdc, passed: true, .. } => Some(mdc.as_str()),
                _ => None,
            })
            .collect()
    }
}

impl fmt::Display for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.steps.iter().enumerate() {
            writeln!(f, "{:>3}. {} | {}", i + 1, s.message_en(), s.message_zh())?;
        }
        Ok(())
    }
}

#[derive(Serialize)]
struct Rendered<'a> {
    #[serde(flatten)]
    step: &'a TraceStep,
    zh: String,
    en: String,
}

impl Serialize for Trace {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.steps.iter().map(|step| Rendered {
            step,
            zh: step.message_zh(),
            en: step.message_en(),
        }))
    }
}
