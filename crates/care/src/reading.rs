//! Remote reading of images and ECGs (远程影像/心电诊断, docs/rules/remote-services.md#remote-reading) as a pure state machine:
//! ordered at the primary site → acquired → claimed by a reader of the shared centre → preliminary
//! report → final (imaging: signed by a second, reviewing doctor) → delivered to the ordering site;
//! a critical value found on the way is notified, acknowledged by the ordering site and resolved.
//! Turnaround is measured against per-modality targets held in [`ReadingPolicy`].

use chrono::{DateTime, Duration, Utc};
use sanyi_domain::{BasisPoints, Fen, MoneyError};
use serde::{Deserialize, Serialize};

use crate::state::WorkflowState;

/// Modality (检查类型).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Modality {
    /// Digital radiography (DR/CR/DX).
    Dr,
    /// CT.
    Ct,
    /// MR.
    Mr,
    /// 12-lead resting ECG.
    Ecg,
}

impl Modality {
    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Modality::Dr => "DR 摄影",
            Modality::Ct => "CT",
            Modality::Mr => "MR",
            Modality::Ecg => "心电图",
        }
    }

    /// Imaging needs a second (reviewing) signature on the final report [T].
    pub fn needs_review(self) -> bool {
        !matches!(self, Modality::Ecg)
    }
}

/// State of a reading (阅片/判读状态).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadingState {
    /// Ordered at the primary site.
    Ordered,
    /// Images or waveform received.
    Acquired,
    /// A reader of the shared centre took it.
    Claimed,
    /// Preliminary report written.
    Preliminary,
    /// Final report signed.
    Final,
    /// Delivered to the ordering site and the resident's record.
    Delivered,
}

impl ReadingState {
    /// The states of a reading centre's worklist: waiting to be read, being read, awaiting review.
    pub const WORKLIST: [ReadingState; 3] = [ReadingState::Acquired, ReadingState::Claimed, ReadingState::Preliminary];
}

impl WorkflowState for ReadingState {
    const ALL: &'static [ReadingState] = &[
        ReadingState::Ordered,
        ReadingState::Acquired,
        ReadingState::Claimed,
        ReadingState::Preliminary,
        ReadingState::Final,
        ReadingState::Delivered,
    ];

    fn code(self) -> &'static str {
        match self {
            ReadingState::Ordered => "ordered",
            ReadingState::Acquired => "acquired",
            ReadingState::Claimed => "claimed",
            ReadingState::Preliminary => "preliminary",
            ReadingState::Final => "final",
            ReadingState::Delivered => "delivered",
        }
    }

    fn label_zh(self) -> &'static str {
        match self {
            ReadingState::Ordered => "已申请",
            ReadingState::Acquired => "待阅片",
            ReadingState::Claimed => "阅片中",
            ReadingState::Preliminary => "待审核",
            ReadingState::Final => "已签发",
            ReadingState::Delivered => "已送达",
        }
    }

    fn is_final(self) -> bool {
        self == ReadingState::Delivered
    }
}

/// The codes of the reading actions, as timelines record them.
pub const COMMAND_CODES: [&str; 9] = [
    "order",
    "acquire",
    "claim",
    "preliminary",
    "sign",
    "deliver",
    "critical",
    "acknowledge",
    "resolve",
];

/// Chinese label of a reading action by its code (`order`, `acquire`, `claim`, …), as timelines show it.
pub fn command_label_zh(code: &str) -> Option<&'static str> {
    Some(match code {
        "order" => "申请",
        "acquire" => "影像/心电图已接收",
        "claim" => "领取阅片",
        "preliminary" => "书写初步报告",
        "sign" => "审核签发",
        "deliver" => "发送报告",
        "critical" => "报告危急值",
        "acknowledge" => "确认危急值",
        "resolve" => "处置危急值",
        _ => return None,
    })
}

/// Critical-value handling (危急值), alongside the reading's state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriticalValue {
    /// What was found.
    pub finding: String,
    /// Notified at.
    pub notified_at: DateTime<Utc>,
    /// Acknowledged by the ordering site at.
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// Acknowledging user.
    pub acknowledged_by: Option<String>,
    /// Action taken, when resolved.
    pub action: Option<String>,
    /// Resolved at.
    pub resolved_at: Option<DateTime<Utc>>,
}

/// Turnaround targets per modality and urgency, in minutes [T].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadingPolicy {
    /// Routine DR.
    pub dr_routine_minutes: i64,
    /// Emergency DR.
    pub dr_emergency_minutes: i64,
    /// Routine CT/MR.
    pub ct_mr_routine_minutes: i64,
    /// Emergency CT/MR.
    pub ct_mr_emergency_minutes: i64,
    /// Routine ECG.
    pub ecg_routine_minutes: i64,
    /// Emergency (chest pain) ECG.
    pub ecg_emergency_minutes: i64,
    /// Remote-diagnosis fee of one DR reading [T] (the acquisition fee is charged separately where
    /// the exam is done, docs/rules/remote-services.md#billing).
    pub dr_fee: Fen,
    /// Remote-diagnosis fee of one CT or MR reading [T].
    pub ct_mr_fee: Fen,
    /// Remote-diagnosis fee of one ECG reading [T].
    pub ecg_fee: Fen,
    /// Share of the fee credited to the reading centre by the community's agreement [T]; the rest
    /// stays with the ordering site. Inside a county package this is an internal transfer that
    /// moves work points, not an insurance claim.
    pub reading_centre_share: BasisPoints,
}

impl Default for ReadingPolicy {
    /// docs/rules/remote-services.md#remote-reading: DR 2 h / 30 min; CT/MR 4 h / 1 h; ECG 30 min / 10 min.
    fn default() -> Self {
        ReadingPolicy {
            dr_routine_minutes: 120,
            dr_emergency_minutes: 30,
            ct_mr_routine_minutes: 240,
            ct_mr_emergency_minutes: 60,
            ecg_routine_minutes: 30,
            ecg_emergency_minutes: 10,
            dr_fee: Fen::new(3_000),
            ct_mr_fee: Fen::new(8_000),
            ecg_fee: Fen::new(1_500),
            reading_centre_share: BasisPoints::new(6_000),
        }
    }
}

/// How the fee of one reading is split between the ordering site and the reading centre
/// (费用分成, docs/rules/remote-services.md#billing).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeSplit {
    /// The remote-diagnosis fee.
    pub fee: Fen,
    /// Credited to the ordering (acquiring) site.
    pub ordering_site: Fen,
    /// Credited to the reading centre.
    pub reading_centre: Fen,
}

impl ReadingPolicy {
    /// The remote-diagnosis fee of a modality.
    pub fn fee(&self, modality: Modality) -> Fen {
        match modality {
            Modality::Dr => self.dr_fee,
            Modality::Ct | Modality::Mr => self.ct_mr_fee,
            Modality::Ecg => self.ecg_fee,
        }
    }

    /// The fee split of one reading: the centre's share rounded half away from zero, the
    /// ordering site gets the rest, so the two parts always add up to the fee.
    ///
    /// # Errors
    /// On overflow (a fee beyond the range of [`Fen`]).
    pub fn split(&self, modality: Modality) -> Result<FeeSplit, MoneyError> {
        let fee = self.fee(modality);
        let reading_centre = fee.apply_bp(self.reading_centre_share)?;
        Ok(FeeSplit {
            fee,
            ordering_site: fee.checked_sub(reading_centre)?,
            reading_centre,
        })
    }

    /// The turnaround target from acquisition to final report.
    pub fn target(&self, modality: Modality, emergency: bool) -> Duration {
        let m = match (modality, emergency) {
            (Modality::Dr, false) => self.dr_routine_minutes,
            (Modality::Dr, true) => self.dr_emergency_minutes,
            (Modality::Ct | Modality::Mr, false) => self.ct_mr_routine_minutes,
            (Modality::Ct | Modality::Mr, true) => self.ct_mr_emergency_minutes,
            (Modality::Ecg, false) => self.ecg_routine_minutes,
            (Modality::Ecg, true) => self.ecg_emergency_minutes,
        };
        Duration::minutes(m)
    }
}

/// A structured report (结构化报告): findings and impression, plus the fields of the modality's
/// template (e.g. rhythm and axis of an ECG).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Findings (检查所见 / 心电图所见).
    pub findings: String,
    /// Impression (诊断意见 / 心电图诊断).
    pub impression: String,
    /// Template fields by key, in the template's order when shown.
    #[serde(default)]
    pub fields: std::collections::BTreeMap<String, String>,
}

/// One field of a report template.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct TemplateField {
    /// Key in [`Report::fields`].
    pub key: &'static str,
    /// Chinese label.
    pub label_zh: &'static str,
    /// English label.
    pub label_en: &'static str,
}

/// The report template of a modality (报告模板): its fields and the normal text a reader starts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ReportTemplate {
    /// Fields besides findings and impression.
    pub fields: &'static [TemplateField],
    /// Normal findings to start from.
    pub normal_findings: &'static str,
    /// Normal impression to start from.
    pub normal_impression: &'static str,
}

const fn field(key: &'static str, label_zh: &'static str, label_en: &'static str) -> TemplateField {
    TemplateField { key, label_zh, label_en }
}

const DR_FIELDS: &[TemplateField] = &[
    field("projection", "投照体位", "Projection"),
    field("image_quality", "图像质量", "Image quality"),
];
const CT_MR_FIELDS: &[TemplateField] = &[field("technique", "检查技术", "Technique"), field("contrast", "增强", "Contrast")];
const ECG_FIELDS: &[TemplateField] = &[
    field("rhythm", "心律", "Rhythm"),
    field("axis", "电轴", "Axis"),
    field("st_t", "ST-T", "ST-T"),
];

impl Modality {
    /// The structured report template of the modality.
    pub fn template(self) -> ReportTemplate {
        match self {
            Modality::Dr => ReportTemplate {
                fields: DR_FIELDS,
                normal_findings: "胸廓对称，气管居中。双肺纹理清晰，未见明显实变影。心影大小形态正常。双膈面光整，肋膈角锐利。",
                normal_impression: "心肺膈未见明显异常。",
            },
            Modality::Ct | Modality::Mr => ReportTemplate {
                fields: CT_MR_FIELDS,
                normal_findings: "扫描范围内未见明显异常密度/信号。",
                normal_impression: "未见明显异常。",
            },
            Modality::Ecg => ReportTemplate {
                fields: ECG_FIELDS,
                normal_findings: "窦性心律，各导联P波、QRS波群及ST-T未见明显异常。",
                normal_impression: "正常心电图。",
            },
        }
    }
}

/// A command on a reading.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadingCommand {
    /// The study or waveform arrived.
    Acquire,
    /// A reader takes it.
    Claim,
    /// Preliminary report.
    Preliminary {
        /// Findings, impression and template fields.
        report: Report,
    },
    /// Final signature (imaging: by a reviewer other than the preliminary reader).
    Sign,
    /// Delivered to the ordering site.
    Deliver,
    /// A critical value is reported to the ordering site.
    Critical {
        /// What was found.
        finding: String,
    },
    /// The ordering site acknowledges the critical value.
    Acknowledge,
    /// The ordering site records the action taken.
    Resolve {
        /// Action.
        action: String,
    },
}

/// Why a command is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReadingError {
    /// Not allowed in this state.
    #[error("{command} is not allowed when the reading is {state:?}")]
    InvalidTransition {
        /// State.
        state: ReadingState,
        /// Command.
        command: &'static str,
    },
    /// Wrong person: only the claiming reader reports; the reviewer must differ from the reader;
    /// only the ordering site acknowledges and resolves.
    #[error("{0}")]
    NotAllowed(&'static str),
    /// Empty text.
    #[error("the {0} must not be empty")]
    Empty(&'static str),
}

/// Who acts: a user, and whether at the ordering site or the reading centre.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reader {
    /// User id.
    pub user: String,
    /// Works at the ordering site (else: the reading centre).
    pub ordering_site: bool,
}

/// A reading with its times.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reading {
    /// Modality.
    pub modality: Modality,
    /// Emergency.
    pub emergency: bool,
    /// State.
    pub state: ReadingState,
    /// Claiming reader.
    pub reader: Option<String>,
    /// Reviewing (signing) doctor.
    pub reviewer: Option<String>,
    /// The report.
    pub report: Option<Report>,
    /// Acquired at.
    pub acquired_at: Option<DateTime<Utc>>,
    /// Final signature at.
    pub signed_at: Option<DateTime<Utc>>,
    /// Critical value, if any.
    pub critical: Option<CriticalValue>,
}

impl Reading {
    /// A new order.
    pub fn order(modality: Modality, emergency: bool) -> Reading {
        Reading {
            modality,
            emergency,
            state: ReadingState::Ordered,
            reader: None,
            reviewer: None,
            report: None,
            acquired_at: None,
            signed_at: None,
            critical: None,
        }
    }

    /// Applies a command; the person is checked before the state.
    ///
    /// # Errors
    /// `NotAllowed` for the wrong person, `InvalidTransition` for the wrong state, `Empty` for an
    /// empty report, finding or action.
    pub fn apply(&self, who: &Reader, cmd: ReadingCommand, now: DateTime<Utc>) -> Result<Reading, ReadingError> {
        use ReadingState as S;
        let mut next = self.clone();
        let invalid = |command| ReadingError::InvalidTransition {
            state: self.state,
            command,
        };
        match cmd {
            ReadingCommand::Acquire => {
                if !who.ordering_site {
                    return Err(ReadingError::NotAllowed("the ordering site acquires the study"));
                }
                if self.state != S::Ordered {
                    return Err(invalid("acquire"));
                }
                next.state = S::Acquired;
                next.acquired_at = Some(now);
            }
            ReadingCommand::Claim => {
                if who.ordering_site {
                    return Err(ReadingError::NotAllowed("a reader of the centre claims the study"));
                }
                if self.state != S::Acquired {
                    return Err(invalid("claim"));
                }
                next.state = S::Claimed;
                next.reader = Some(who.user.clone());
            }
            ReadingCommand::Preliminary { report } => {
                if self.reader.as_deref() != Some(who.user.as_str()) {
                    return Err(ReadingError::NotAllowed("only the claiming reader reports"));
                }
                if self.state != S::Claimed {
                    return Err(invalid("preliminary"));
                }
                if report.impression.trim().is_empty() {
                    return Err(ReadingError::Empty("impression"));
                }
                next.state = S::Preliminary;
                next.report = Some(report);
            }
            ReadingCommand::Sign => {
                if who.ordering_site {
                    return Err(ReadingError::NotAllowed("the reading centre signs"));
                }
                let own = self.reader.as_deref() == Some(who.user.as_str());
                if self.modality.needs_review() && own {
                    return Err(ReadingError::NotAllowed("imaging needs a second doctor's signature"));
                }
                if !self.modality.needs_review() && !own {
                    return Err(ReadingError::NotAllowed("only the claiming reader signs an ECG"));
                }
                if self.state != S::Preliminary {
                    return Err(invalid("sign"));
                }
                next.state = S::Final;
                next.reviewer = Some(who.user.clone());
                next.signed_at = Some(now);
            }
            ReadingCommand::Deliver => {
                if who.ordering_site {
                    return Err(ReadingError::NotAllowed("the reading centre delivers"));
                }
                if self.state != S::Final {
                    return Err(invalid("deliver"));
                }
                next.state = S::Delivered;
            }
            ReadingCommand::Critical { finding } => {
                if who.ordering_site {
                    return Err(ReadingError::NotAllowed("the reading centre reports critical values"));
                }
                if !matches!(self.state, S::Claimed | S::Preliminary | S::Final) || self.critical.is_some() {
                    return Err(invalid("critical"));
                }
                if finding.trim().is_empty() {
                    return Err(ReadingError::Empty("finding"));
                }
                next.critical = Some(CriticalValue {
                    finding,
                    notified_at: now,
                    acknowledged_at: None,
                    acknowledged_by: None,
                    action: None,
                    resolved_at: None,
                });
            }
            ReadingCommand::Acknowledge => {
                if !who.ordering_site {
                    return Err(ReadingError::NotAllowed("the ordering site acknowledges"));
                }
                let Some(c) = next.critical.as_mut().filter(|c| c.acknowledged_at.is_none()) else {
                    return Err(invalid("acknowledge"));
                };
                c.acknowledged_at = Some(now);
                c.acknowledged_by = Some(who.user.clone());
            }
            ReadingCommand::Resolve { action } => {
                if !who.ordering_site {
                    return Err(ReadingError::NotAllowed("the ordering site resolves"));
                }
                if action.trim().is_empty() {
                    return Err(ReadingError::Empty("action"));
                }
                let Some(c) = next
                    .critical
                    .as_mut()
                    .filter(|c| c.acknowledged_at.is_some() && c.resolved_at.is_none())
                else {
                    return Err(invalid("resolve"));
                };
                c.action = Some(action);
                c.resolved_at = Some(now);
            }
        }
        Ok(next)
    }

    /// An open alarm: a critical value not yet resolved.
    pub fn open_alarm(&self) -> bool {
        self.critical.as_ref().is_some_and(|c| c.resolved_at.is_none())
    }

    /// Turnaround from acquisition to final signature, and whether it met the target.
    pub fn turnaround(&self, policy: &ReadingPolicy) -> Option<(Duration, bool)> {
        let t = self.signed_at? - self.acquired_at?;
        Some((t, t <= policy.target(self.modality, self.emergency)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000 + min * 60, 0).unwrap_or_default()
    }

    fn site(u: &str) -> Reader {
        Reader {
            user: u.into(),
            ordering_site: true,
        }
    }

    fn report(impression: &str) -> Report {
        Report {
            impression: impression.into(),
            ..Report::default()
        }
    }

    #[test]
    fn the_fee_split_adds_up_and_empty_impressions_are_refused() {
        let p = ReadingPolicy {
            dr_fee: Fen::new(3_333),
            ..ReadingPolicy::default()
        };
        let s = p.split(Modality::Dr).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.reading_centre, Fen::new(2_000));
        assert_eq!(s.ordering_site.checked_add(s.reading_centre).ok(), Some(s.fee));
        let r = Reading::order(Modality::Ecg, false)
            .apply(&site("n"), ReadingCommand::Acquire, at(0))
            .and_then(|r| r.apply(&centre("z"), ReadingCommand::Claim, at(1)))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            r.apply(&centre("z"), ReadingCommand::Preliminary { report: report("  ") }, at(2)),
            Err(ReadingError::Empty("impression"))
        );
        assert!(!Modality::Ecg.template().fields.is_empty());
    }

    fn centre(u: &str) -> Reader {
        Reader {
            user: u.into(),
            ordering_site: false,
        }
    }

    #[test]
    fn a_dr_study_is_read_reviewed_and_delivered_with_a_critical_value() {
        let r = Reading::order(Modality::Dr, false);
        let r = r
            .apply(&site("tech"), ReadingCommand::Acquire, at(0))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            r.apply(&site("tech"), ReadingCommand::Claim, at(1)).unwrap_err(),
            ReadingError::NotAllowed("a reader of the centre claims the study")
        );
        let r = r
            .apply(&centre("wang"), ReadingCommand::Claim, at(5))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            r.apply(&centre("li"), ReadingCommand::Preliminary { report: report("x") }, at(6))
                .is_err(),
            "only the claimer"
        );
        let r = r
            .apply(
                &centre("wang"),
                ReadingCommand::Preliminary {
                    report: report("右下肺炎"),
                },
                at(20),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        let r = r
            .apply(
                &centre("wang"),
                ReadingCommand::Critical {
                    finding: "张力性气胸".into(),
                },
                at(21),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(r.open_alarm());
        assert!(
            r.apply(&centre("wang"), ReadingCommand::Sign, at(30)).is_err(),
            "imaging needs a second signature"
        );
        let r = r
            .apply(&centre("li"), ReadingCommand::Sign, at(40))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            r.apply(
                &site("doc"),
                ReadingCommand::Resolve {
                    action: "转上级".into()
                },
                at(41)
            )
            .is_err(),
            "acknowledge first"
        );
        let r = r
            .apply(&site("doc"), ReadingCommand::Acknowledge, at(42))
            .unwrap_or_else(|e| panic!("{e}"));
        let r = r
            .apply(
                &site("doc"),
                ReadingCommand::Resolve {
                    action: "胸腔闭式引流后转院".into(),
                },
                at(60),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!r.open_alarm());
        let r = r
            .apply(&centre("li"), ReadingCommand::Deliver, at(61))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.state, ReadingState::Delivered);
        let (t, ok) = r.turnaround(&ReadingPolicy::default()).unwrap_or((Duration::zero(), false));
        assert_eq!(t, Duration::minutes(40));
        assert!(ok, "within the 2 h DR target");
    }

    #[test]
    fn an_emergency_ecg_is_signed_by_its_reader_and_late_is_late() {
        let r = Reading::order(Modality::Ecg, true);
        let r = r
            .apply(&site("nurse"), ReadingCommand::Acquire, at(0))
            .unwrap_or_else(|e| panic!("{e}"));
        let r = r
            .apply(&centre("zhao"), ReadingCommand::Claim, at(2))
            .unwrap_or_else(|e| panic!("{e}"));
        let r = r
            .apply(
                &centre("zhao"),
                ReadingCommand::Preliminary {
                    report: report("窦性心律"),
                },
                at(9),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(r.apply(&centre("other"), ReadingCommand::Sign, at(10)).is_err());
        let r = r
            .apply(&centre("zhao"), ReadingCommand::Sign, at(15))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            r.turnaround(&ReadingPolicy::default()).map(|x| x.1),
            Some(false),
            "15 min > 10 min target"
        );
        assert!(r.apply(&centre("zhao"), ReadingCommand::Claim, at(16)).is_err(), "state checked");
    }
}
