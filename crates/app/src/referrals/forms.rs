//! The referral pages' forms as plain text fields, turned into engine commands here so that every
//! rule about them (required slot, numbers, consent, the party a form names) lives in the app and
//! reports the failing field instead of guessing.

use chrono::{NaiveDate, NaiveDateTime};
use serde::Deserialize;

use sanyi_care::actor::{InstitutionId, UserId};
use sanyi_care::criteria::{GreenChannelCentre, UpwardCriterion};
use sanyi_care::documents::{Consent, ConsentGiver, ConsentMethod, RecentResult};
use sanyi_care::referral::{DownReferralPlan, Party, Placement, ReferralCommand, ReferralPolicy, Urgency};
use sanyi_domain::Tier;

use super::ReferralInput;
use crate::error::Errors;
use crate::{FieldError, ServiceError};

/// An action on a referral as the detail page posts it.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ReferralAction {
    /// Command code (`accept`, `reject`, `down_refer`, …).
    pub action: String,
    /// Reason (reject, cancel) or feedback (discharge home).
    #[serde(default)]
    pub reason: String,
    /// Receiving department (accept).
    #[serde(default)]
    pub department: String,
    /// Appointment, local time `YYYY-MM-DDTHH:MM` (accept).
    #[serde(default)]
    pub slot: String,
    /// Follow-up items separated by commas or semicolons (down-referral).
    #[serde(default)]
    pub items: String,
    /// Days between follow-up visits (down-referral).
    #[serde(default)]
    pub interval_days: String,
    /// Follow-up visits required (down-referral).
    #[serde(default)]
    pub visits: String,
    /// Family doctor's user id (down-referral).
    #[serde(default)]
    pub family_doctor: String,
    /// Alternative receiver (reject), new receiver (reassign) or down-referral target; empty:
    /// none (reassign keeps the receiver; a down-referral goes back to the sender).
    #[serde(default)]
    pub institution: String,
    /// The version the page showed: of two people acting on the same page, one wins.
    #[serde(default)]
    pub version: Option<i64>,
}

/// The institution a form names, by id: [`super::apply`] replaces the placeholder tier and county
/// by the registry's before the engine sees it (an unknown id is a field error there).
fn named(id: &str) -> Option<Party> {
    let id = id.trim();
    (!id.is_empty()).then(|| Party {
        institution: InstitutionId::new(id),
        tier: Tier::County,
        in_county: false,
    })
}

/// A count of the form: empty is zero, anything but a whole number is an error naming the field
/// (`(field, English label, Chinese label)`).
fn count(errors: &mut Errors, (field, en, zh): (&str, &str, &str), text: &str) -> u32 {
    let text = text.trim();
    if text.is_empty() {
        return 0;
    }
    text.parse().unwrap_or_else(|_| {
        errors.push(FieldError::new(
            field,
            "number",
            "a whole number",
            &format!("{en}: {text:?} is not a whole number"),
            &format!("{zh}须为整数"),
        ));
        0
    })
}

impl ReferralAction {
    /// The engine command of the action, with the acceptance slip valid for the policy's period.
    ///
    /// # Errors
    /// `Validation` naming the field: an unknown action, a missing or unreadable slot, a count that
    /// is not a whole number.
    pub fn command(&self, policy: &ReferralPolicy) -> Result<ReferralCommand, ServiceError> {
        let mut errors = Errors::default();
        let command = match self.action.as_str() {
            "accept" => {
                // The slot is a local (Asia/Shanghai) date-time from the form.
                let at = NaiveDateTime::parse_from_str(self.slot.trim(), "%Y-%m-%dT%H:%M")
                    .ok()
                    .map(sanyi_domain::time::from_beijing);
                let Some(at) = at else {
                    return Err(ServiceError::Validation(vec![FieldError::new(
                        "slot",
                        "datetime",
                        "the appointment's date and time",
                        "Choose the appointment's date and time",
                        "请选择就诊时间",
                    )]));
                };
                ReferralCommand::Accept {
                    placement: Placement::Slot {
                        department: self.department.trim().to_owned(),
                        at,
                    },
                    valid_until: policy.default_valid_until(at),
                }
            }
            "reject" => ReferralCommand::Reject {
                reason: self.reason.clone(),
                alternative: named(&self.institution),
            },
            "reassign" => ReferralCommand::Reassign {
                receiver: named(&self.institution),
            },
            "cancel" => ReferralCommand::Cancel {
                reason: self.reason.clone(),
            },
            "pre_review" => ReferralCommand::PreReview,
            "arrive" => ReferralCommand::Arrive,
            "start_care" => ReferralCommand::StartCare,
            "discharge_home" => ReferralCommand::DischargeHome {
                feedback: self.reason.clone(),
            },
            "down_refer" => {
                let plan = DownReferralPlan {
                    // Empty: back to the sender (resolved by `apply`).
                    target: named(&self.institution).unwrap_or(Party {
                        institution: InstitutionId::new(""),
                        tier: Tier::Village,
                        in_county: false,
                    }),
                    items: self
                        .items
                        .split(['；', ';', '，', ','])
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    interval_days: count(
                        &mut errors,
                        ("interval_days", "Days between follow-ups", "随访间隔天数"),
                        &self.interval_days,
                    ),
                    targets: Vec::new(),
                    family_doctor: UserId::new(self.family_doctor.trim()),
                    visits_required: count(&mut errors, ("visits", "Follow-up visits", "随访次数"), &self.visits),
                    high_risk: false,
                };
                ReferralCommand::DischargeWithDownReferral { plan }
            }
            "submit" => ReferralCommand::Submit,
            "receive_down" => ReferralCommand::ReceiveDown,
            "record_follow_up" => ReferralCommand::RecordFollowUp,
            "close" => ReferralCommand::Close,
            "complete_paperwork" => ReferralCommand::CompletePaperwork,
            other => {
                return Err(ServiceError::Validation(vec![FieldError::new(
                    "action",
                    "referral.command",
                    "one of the referral's actions",
                    &format!("Unknown action {other:?}"),
                    "未知的转诊操作",
                )]));
            }
        };
        errors.finish()?;
        Ok(command)
    }
}

/// The new-referral form of a resident's record.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ReferralForm {
    /// Resident record id.
    pub resident_id: String,
    /// Receiving institution.
    pub receiver_institution_id: String,
    /// Reason.
    #[serde(default)]
    pub reason: String,
    /// Clinical summary.
    #[serde(default)]
    pub summary: String,
    /// ICD-10 codes separated by commas, semicolons or lines.
    #[serde(default)]
    pub diagnoses: String,
    /// `patient`, `guardian`, `relative`; empty: no consent recorded.
    #[serde(default)]
    pub consent_by: String,
    /// Who signed (guardian's or relative's name).
    #[serde(default)]
    pub consent_signer: String,
    /// `signed_form` (default), `electronic`, `verbal_witnessed`.
    #[serde(default)]
    pub consent_method: String,
    /// One recent result: item.
    #[serde(default)]
    pub result_item: String,
    /// Value.
    #[serde(default)]
    pub result_value: String,
    /// Unit.
    #[serde(default)]
    pub result_unit: String,
    /// Date `YYYY-MM-DD`.
    #[serde(default)]
    pub result_date: String,
    /// Recognition mark (互认标识).
    #[serde(default)]
    pub result_mark: String,
    /// Upward criterion code; empty: none.
    #[serde(default)]
    pub criterion: String,
    /// `emergency` for the green channel.
    #[serde(default)]
    pub urgency: String,
    /// Green-channel centre code.
    #[serde(default)]
    pub centre: String,
    /// Checkbox: pre-review by the sending head before the receiver sees it.
    #[serde(default)]
    pub pre_review: Option<String>,
}

/// An engine enum by its code; empty: none.
fn of_code<T: serde::de::DeserializeOwned>(errors: &mut Errors, (field, zh): (&str, &str), s: &str) -> Option<T> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .inspect_err(|_| {
            errors.push(FieldError::new(
                field,
                "code",
                "one of the listed codes",
                &format!("{field}: unknown code {s:?}"),
                &format!("{zh}：请从列表中选择"),
            ))
        })
        .ok()
}

impl ReferralForm {
    /// The referral to create (submitted at once).
    ///
    /// # Errors
    /// `Validation` naming the field: an unknown criterion, centre or consent method, an unreadable
    /// result date.
    pub fn input(&self) -> Result<ReferralInput, ServiceError> {
        let mut errors = Errors::default();
        let criterion: Option<UpwardCriterion> = of_code(&mut errors, ("criterion", "上转指征"), &self.criterion);
        let centre: Option<GreenChannelCentre> = of_code(&mut errors, ("centre", "绿色通道中心"), &self.centre);
        let consent = self.consent(&mut errors);
        let results = self.results(&mut errors);
        errors.finish()?;
        Ok(ReferralInput {
            resident_id: self.resident_id.clone(),
            receiver_institution_id: self.receiver_institution_id.clone(),
            reason: self.reason.clone(),
            summary: self.summary.clone(),
            diagnoses: self
                .diagnoses
                .split([';', '；', ',', '，', '\n'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            criterion,
            consent,
            results,
            submit: true,
            urgency: if self.urgency == "emergency" {
                Urgency::Emergency
            } else {
                Urgency::Routine
            },
            centre,
            pre_review: self.pre_review.is_some(),
        })
    }

    fn consent(&self, errors: &mut Errors) -> Option<Consent> {
        let given_by = match self.consent_by.as_str() {
            "patient" => ConsentGiver::Patient,
            "guardian" => ConsentGiver::Guardian,
            "relative" => ConsentGiver::Relative,
            _ => return None,
        };
        let method = match self.consent_method.as_str() {
            "electronic" => ConsentMethod::Electronic,
            "verbal_witnessed" => ConsentMethod::VerbalWitnessed,
            "" | "signed_form" => ConsentMethod::SignedForm,
            other => {
                errors.push(FieldError::new(
                    "consent_method",
                    "code",
                    "signed_form, electronic or verbal_witnessed",
                    &format!("Unknown consent method {other:?}"),
                    "请选择知情同意方式",
                ));
                ConsentMethod::SignedForm
            }
        };
        let signer = self.consent_signer.trim();
        Some(Consent {
            given_by,
            signer_name: (!signer.is_empty()).then(|| signer.to_owned()),
            method,
            date: sanyi_domain::time::today(),
        })
    }

    /// The one result row of the form, when filled in.
    fn results(&self, errors: &mut Errors) -> Vec<RecentResult> {
        if self.result_item.trim().is_empty() && self.result_value.trim().is_empty() {
            return Vec::new();
        }
        let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        let date = match self.result_date.trim() {
            "" => sanyi_domain::time::today(),
            text => NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_else(|_| {
                errors.push(FieldError::new(
                    "result_date",
                    "date",
                    "a date YYYY-MM-DD",
                    &format!("{text:?} is not a date"),
                    "请填写检查日期（年-月-日）",
                ));
                sanyi_domain::time::today()
            }),
        };
        vec![RecentResult {
            item: self.result_item.trim().to_owned(),
            value: self.result_value.trim().to_owned(),
            unit: opt(&self.result_unit),
            date,
            recognition_mark: opt(&self.result_mark),
        }]
    }
}

/// The upward criteria a form offers: (code, Chinese label).
pub fn criteria() -> Vec<(String, &'static str)> {
    UpwardCriterion::ALL
        .iter()
        .map(|c| (crate::workflow::code(c), c.label_zh()))
        .collect()
}

/// The green-channel centres a form offers: (code, Chinese label).
pub fn centres() -> Vec<(String, &'static str)> {
    GreenChannelCentre::ALL
        .iter()
        .map(|c| (crate::workflow::code(c), c.label_zh()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_accept_without_a_slot_names_the_field() {
        let a = ReferralAction {
            action: "accept".into(),
            ..Default::default()
        };
        let Err(ServiceError::Validation(errs)) = a.command(&ReferralPolicy::default()) else {
            panic!("accepted without a slot")
        };
        assert_eq!(errs[0].field, "slot");
    }

    #[test]
    fn counts_must_be_whole_numbers() {
        let a = ReferralAction {
            action: "down_refer".into(),
            interval_days: "两周".into(),
            visits: "3".into(),
            ..Default::default()
        };
        let Err(ServiceError::Validation(errs)) = a.command(&ReferralPolicy::default()) else {
            panic!("accepted a bad count")
        };
        assert_eq!(errs.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), ["interval_days"]);
    }

    #[test]
    fn an_unknown_action_is_refused() {
        let a = ReferralAction {
            action: "teleport".into(),
            ..Default::default()
        };
        assert!(matches!(a.command(&ReferralPolicy::default()), Err(ServiceError::Validation(_))));
    }

    #[test]
    fn a_bad_result_date_is_reported() {
        let f = ReferralForm {
            result_item: "血糖".into(),
            result_value: "7.1".into(),
            result_date: "yesterday".into(),
            ..Default::default()
        };
        let Err(ServiceError::Validation(errs)) = f.input() else {
            panic!("accepted")
        };
        assert_eq!(errs[0].field, "result_date");
    }
}
