//! The consultation page's action form as plain text fields, turned into an engine command here:
//! every rule about it (required time, star count, the experts named) reports its field.

use chrono::NaiveDateTime;
use serde::Deserialize;

use sanyi_care::actor::ExpertId;
use sanyi_care::consultation::ConsultationCommand;

use crate::error::Errors;
use crate::{FieldError, ServiceError};

/// An action on a consultation as the detail page posts it.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ConsultationAction {
    /// Command code (`triage`, `assign`, `schedule`, `opinion`, …, or `auto_assign`).
    pub action: String,
    /// Free text: reason, impression, decision or summary, by action.
    #[serde(default)]
    pub text: String,
    /// Advice of an opinion.
    #[serde(default)]
    pub advice: String,
    /// The expert to assign (the first of an MDT).
    #[serde(default)]
    pub expert: String,
    /// Session time, local `YYYY-MM-DDTHH:MM` (schedule).
    #[serde(default)]
    pub at: String,
    /// Rating 1–5.
    #[serde(default)]
    pub stars: String,
    /// Second MDT expert.
    #[serde(default)]
    pub expert2: String,
    /// Third MDT expert.
    #[serde(default)]
    pub expert3: String,
    /// MDT chair, one of the experts.
    #[serde(default)]
    pub chair: String,
}

impl ConsultationAction {
    /// Whether the action asks the rule to choose the expert (no command of its own).
    pub fn is_auto_assign(&self) -> bool {
        self.action == "auto_assign"
    }

    /// The engine command of the action.
    ///
    /// # Errors
    /// `Validation` naming the field: an unknown action, a missing or unreadable session time, a
    /// rating that is not a whole number.
    pub fn command(&self) -> Result<ConsultationCommand, ServiceError> {
        let mut errors = Errors::default();
        let command = match self.action.as_str() {
            "triage" => ConsultationCommand::Triage,
            "assign" => {
                let mut experts: Vec<ExpertId> = Vec::new();
                for e in [&self.expert, &self.expert2, &self.expert3].map(|e| e.trim()) {
                    if !e.is_empty() && !experts.iter().any(|x| x.as_str() == e) {
                        experts.push(ExpertId::new(e));
                    }
                }
                let chair = self.chair.trim();
                ConsultationCommand::Assign {
                    experts,
                    chair: (!chair.is_empty()).then(|| ExpertId::new(chair)),
                }
            }
            "return_for_info" => ConsultationCommand::ReturnForInfo { reason: self.text.clone() },
            "provide_info" => ConsultationCommand::ProvideInfo,
            "chair_summary" => ConsultationCommand::ChairSummary {
                summary: self.text.clone(),
            },
            "schedule" => {
                let at = NaiveDateTime::parse_from_str(self.at.trim(), "%Y-%m-%dT%H:%M")
                    .ok()
                    .map(sanyi_domain::time::from_beijing);
                match at {
                    Some(at) => ConsultationCommand::Schedule { at },
                    None => {
                        return Err(ServiceError::Validation(vec![FieldError::new(
                            "at",
                            "datetime",
                            "the session's date and time",
                            "Choose the session's date and time",
                            "请选择会诊时间",
                        )]));
                    }
                }
            }
            "start_session" => ConsultationCommand::StartSession,
            "opinion" => ConsultationCommand::SubmitOpinion {
                impression: self.text.clone(),
                advice: self.advice.clone(),
                recommend_referral: false,
            },
            "acknowledge" => ConsultationCommand::Acknowledge {
                decision: self.text.clone(),
            },
            "close" => ConsultationCommand::Close,
            "rate" => ConsultationCommand::Rate {
                stars: self.stars.trim().parse().unwrap_or_else(|_| {
                    errors.push(FieldError::new(
                        "stars",
                        "number",
                        "a rating from 1 to 5",
                        "Choose a rating from 1 to 5",
                        "请选择 1–5 星评价",
                    ));
                    0
                }),
            },
            "reject" => ConsultationCommand::Reject { reason: self.text.clone() },
            "cancel" => ConsultationCommand::Cancel { reason: self.text.clone() },
            other => {
                return Err(ServiceError::Validation(vec![FieldError::new(
                    "action",
                    "consultation.command",
                    "one of the consultation's actions",
                    &format!("Unknown action {other:?}"),
                    "未知的会诊操作",
                )]));
            }
        };
        errors.finish()?;
        Ok(command)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_without_a_time_names_the_field() {
        let a = ConsultationAction {
            action: "schedule".into(),
            ..Default::default()
        };
        let Err(ServiceError::Validation(errs)) = a.command() else {
            panic!("scheduled without a time")
        };
        assert_eq!(errs[0].field, "at");
    }

    #[test]
    fn a_rating_must_be_a_number_and_experts_are_not_repeated() {
        let rate = ConsultationAction {
            action: "rate".into(),
            stars: "five".into(),
            ..Default::default()
        };
        assert!(matches!(rate.command(), Err(ServiceError::Validation(_))));
        let assign = ConsultationAction {
            action: "assign".into(),
            expert: "u1".into(),
            expert2: "u1".into(),
            expert3: "u2".into(),
            ..Default::default()
        };
        let Ok(ConsultationCommand::Assign { experts, chair }) = assign.command() else {
            panic!()
        };
        assert_eq!(experts.len(), 2);
        assert!(chair.is_none());
    }
}
