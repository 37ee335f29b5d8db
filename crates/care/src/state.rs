//! The states of a workflow (referral, consultation, reading) in one place: their stored codes,
//! screen labels and which of them are final. The store receives its state lists from here.

/// A state of a workflow state machine.
pub trait WorkflowState: Copy + Eq + Sized + 'static {
    /// Every state, in the order of the workflow.
    const ALL: &'static [Self];

    /// Stable code, as stored and in the API (snake case).
    fn code(self) -> &'static str;

    /// Chinese screen label.
    fn label_zh(self) -> &'static str;

    /// Whether no further transition is possible (timers no longer run).
    fn is_final(self) -> bool;

    /// The state of a code.
    fn parse(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|s| s.code() == code)
    }

    /// The codes of the final states.
    fn final_codes() -> Vec<&'static str> {
        Self::ALL.iter().filter(|s| s.is_final()).map(|s| s.code()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::WorkflowState;
    use crate::consultation::ConsultationState;
    use crate::reading::ReadingState;
    use crate::referral::ReferralState;

    fn round_trips<S: WorkflowState + serde::Serialize + std::fmt::Debug>() {
        for s in S::ALL {
            assert_eq!(S::parse(s.code()), Some(*s));
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::Value::String(s.code().to_owned()),
                "{s:?}"
            );
            assert!(!s.label_zh().is_empty());
        }
        assert_eq!(S::parse("no_such_state"), None);
    }

    #[test]
    fn codes_parse_back_and_match_serde() {
        round_trips::<ReferralState>();
        round_trips::<ConsultationState>();
        round_trips::<ReadingState>();
    }

    #[test]
    fn final_states() {
        assert_eq!(
            ReferralState::final_codes(),
            ["rejected", "expired", "no_show", "cancelled", "closed"]
        );
        assert!(!ReferralState::FeedbackSent.is_final(), "a feedback-sent referral still closes");
        assert_eq!(ConsultationState::final_codes(), ["rated", "rejected", "cancelled", "expired"]);
        assert!(!ConsultationState::Closed.is_final(), "a closed consultation may still be rated");
        assert_eq!(ReadingState::final_codes(), ["delivered"]);
    }
}
