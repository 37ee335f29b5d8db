//! Demo referrals (转诊演示数据): from village clinics and township centres of the first county to
//! the lead hospital, in every state of the engine and through the emergency green channel.

use chrono::{DateTime, Utc};

use sanyi_care::WorkflowState;
use sanyi_care::actor::{ActorRef, Role as CareRole};
use sanyi_care::criteria::{GreenChannelCentre, UpwardCriterion};
use sanyi_care::documents::Consent;
use sanyi_care::referral::*;
use sanyi_store::referrals::{self as repo, DownTarget, ReferralRow};

use super::Demo;
use crate::ServiceError;
use crate::referrals::{digest_json, engine_json, party};
use crate::workflow::{code, event_row};

/// Seeds demo referrals of the first county: from village clinics and township centres to the
/// lead hospital, in every state of the engine (draft, submitted for pre-review, pending, accepted,
/// arrived, in care, feedback sent, rejected, cancelled, escalated, expired, no-show, down-referral
/// submitted and received, follow-up, closed) and through the emergency green channel. Returns
/// how many were written.
///
/// # Errors
/// On a database error.
pub async fn seed(demo: &Demo<'_>) -> Result<usize, ServiceError> {
    seed_many(demo, 54, 30).await
}

/// How many demo branches [`seed_many`] cycles through (`k % DEMO_BRANCHES`).
pub const DEMO_BRANCHES: usize = 18;

/// Seeds `count` referrals like [`seed`], spread over the `days` before `now` (two in
/// eighteen sent two hours ago and still pending). A resident already holding an open referral
/// gets a cancelled one, so the seed never breaks the one-open-referral rule. Used by the demo and
/// by `sanyi bench referrals`.
///
/// # Errors
/// On a database error.
pub async fn seed_many(demo: &Demo<'_>, count: usize, days: i64) -> Result<usize, ServiceError> {
    let (db, world, now) = (&demo.app.db, demo.world, demo.now);
    let days = days.max(1);
    let Some(community) = world.communities.first() else { return Ok(0) };
    let Some(lead) = world
        .institutions
        .iter()
        .find(|i| Some(&i.id) == community.lead_institution_id.as_ref())
    else {
        return Ok(0);
    };
    let county = lead.division_code.clone();
    // The institution serving a village: its clinic, else the centre of its township.
    let serving = |village: &str| {
        world.institutions.iter().find(|i| i.area_code == village).or_else(|| {
            world
                .institutions
                .iter()
                .find(|i| i.tier == "township" && i.area_code.get(..9) == village.get(..9))
        })
    };
    let policy = ReferralPolicy::default();
    let mut written = 0;
    let mut open = std::collections::HashSet::new();
    let residents = world
        .residents
        .iter()
        .filter(|r| r.division_code == county)
        .cycle()
        .step_by(37)
        .take(count);
    for (k, r) in residents.enumerate() {
        let Some(sender) = serving(&r.village_code) else { continue };
        let branch = if open.contains(&r.id) { 6 } else { k % DEMO_BRANCHES };
        let id = sanyi_store::new_id();
        // Pending ones were sent this morning (their response SLA has not run out); the others over the
        // past month, the ones whose timers must have run out at least three weeks ago.
        let start = match branch {
            0 | 9 => now - chrono::Duration::hours(2),
            8 | 10 => now - chrono::Duration::days((days - (k as i64 % days)).max(21)) - chrono::Duration::hours(3),
            _ => now - chrono::Duration::days(days - (k as i64 % days)) - chrono::Duration::hours(3),
        };
        let who_sender = ActorRef::new("demo-sender", sender.id.clone(), CareRole::ReferralCentre);
        let who_receiver = ActorRef::new("demo-receiver", lead.id.clone(), CareRole::Doctor);
        let rid = sanyi_care::actor::ReferralId::new(id.clone());
        let mut events = Vec::new();
        let (from, to) = (party(sender, &county)?, party(lead, &county)?);
        let mut referral = if branch == 17 {
            let new = EmergencyReferral {
                id: rid,
                sender: from,
                receiver: to,
                centre: GreenChannelCentre::ChestPain,
                team: format!("{}急救团队", GreenChannelCentre::ChestPain.label_zh()),
                eta: start + chrono::Duration::hours(1),
            };
            let Ok((referral, e)) = Referral::submit_emergency(new, &who_sender, start) else {
                continue;
            };
            events.push(event_row(&county, &id, &e));
            referral
        } else {
            let new = NewReferral {
                id: rid,
                sender: from,
                receiver: to,
                criterion: Some(UpwardCriterion::UncertainDiagnosis),
                requires_pre_review: branch == 12,
            };
            let Ok(referral) = Referral::draft(new, &who_sender, start) else {
                continue;
            };
            referral
        };
        let mut step = |referral: &mut Referral, who: &ActorRef, cmd: ReferralCommand, at: DateTime<Utc>| -> bool {
            match referral.apply(who, cmd, at) {
                Ok((next, e)) => {
                    events.push(event_row(&county, &id, &e));
                    *referral = next;
                    true
                }
                Err(_) => false,
            }
        };
        let h = |n: i64| start + chrono::Duration::hours(n);
        if !matches!(branch, 11 | 17) {
            step(&mut referral, &who_sender, ReferralCommand::Submit, h(0));
        }
        let accept = ReferralCommand::Accept {
            placement: Placement::Slot {
                department: "心血管内科".into(),
                at: h(30),
            },
            valid_until: if branch == 10 { h(72) } else { policy.default_valid_until(now) },
        };
        let plan = sanyi_care::referral::DownReferralPlan {
            target: party(sender, &county)?,
            items: vec!["血压监测".into(), "规律服药".into()],
            interval_days: 14,
            targets: vec!["血压 < 140/90 mmHg".into()],
            family_doctor: sanyi_care::actor::UserId::new("demo-family-doctor"),
            visits_required: 1,
            high_risk: false,
        };
        match branch {
            1 | 2 | 3 | 4 | 10 | 13..=16 => {
                step(&mut referral, &who_receiver, accept, h(5));
                if branch != 1 && branch != 10 {
                    step(&mut referral, &who_receiver, ReferralCommand::Arrive, h(30));
                }
                if branch >= 3 && branch != 10 {
                    step(&mut referral, &who_receiver, ReferralCommand::StartCare, h(31));
                }
                if branch == 4 {
                    step(
                        &mut referral,
                        &who_receiver,
                        ReferralCommand::DischargeHome {
                            feedback: "病情稳定，回基层随访".into(),
                        },
                        h(120),
                    );
                }
                if branch >= 13 {
                    step(
                        &mut referral,
                        &who_receiver,
                        ReferralCommand::DischargeWithDownReferral { plan },
                        h(120),
                    );
                }
                if branch >= 14 {
                    step(&mut referral, &who_sender, ReferralCommand::ReceiveDown, h(130));
                }
                if branch >= 15 {
                    step(&mut referral, &who_sender, ReferralCommand::RecordFollowUp, h(200));
                }
                if branch == 16 {
                    step(&mut referral, &who_sender, ReferralCommand::Close, h(201));
                }
            }
            5 => {
                step(
                    &mut referral,
                    &who_receiver,
                    ReferralCommand::Reject {
                        reason: "建议转上级专科医院".into(),
                        alternative: None,
                    },
                    h(6),
                );
            }
            6 => {
                step(
                    &mut referral,
                    &who_sender,
                    ReferralCommand::Cancel {
                        reason: "患者选择暂不转诊".into(),
                    },
                    h(2),
                );
            }
            _ => {}
        }
        // Timers: the response SLA escalates (7), then the escalation timeout expires (8); a slip
        // not used in time is a no-show (10).
        if matches!(branch, 7 | 8 | 10) {
            let first = if branch == 8 { h(24 * 5) } else { now };
            if let Some((next, e)) = referral.tick(&policy, first) {
                events.push(event_row(&county, &id, &e));
                referral = next;
            }
            if branch == 8
                && let Some((next, e)) = referral.tick(&policy, now)
            {
                events.push(event_row(&county, &id, &e));
                referral = next;
            }
        }
        if !referral.state().is_final() {
            open.insert(r.id.clone());
        }
        let down = referral.down_plan().map(|_| DownTarget {
            division_code: sender.division_code.clone(),
            institution_id: sender.id.clone(),
        });
        let row = ReferralRow {
            division_code: county.clone(),
            id: id.clone(),
            resident_id: r.id.clone(),
            sender_institution_id: sender.id.clone(),
            receiver_division_code: lead.division_code.clone(),
            receiver_institution_id: lead.id.clone(),
            direction: code(&referral.direction()),
            urgency: code(&referral.urgency()),
            state: code(&referral.state()),
            reason: "诊断不明确，需上级医院进一步检查".into(),
            summary: "反复胸闷、头晕".into(),
            diagnoses: "[\"I10.x00x002\"]".into(),
            engine: engine_json(&referral)?,
            digest: digest_json(&referral),
            consent: serde_json::to_string(&Consent {
                given_by: sanyi_care::documents::ConsentGiver::Patient,
                signer_name: None,
                method: sanyi_care::documents::ConsentMethod::SignedForm,
                date: start.date_naive(),
            })
            .unwrap_or_else(|_| "null".into()),
            results: "[]".into(),
            version: 1 + events.len() as i64,
            created_at: start,
            updated_at: events.last().map_or(start, |e| e.at),
        };
        let a = sanyi_store::audit::AuditEntry {
            at: start,
            resident_id: Some(r.id.clone()),
            ..crate::audit::system_entry(&county, "refer", "referral", &id, "demo data")
        };
        match repo::insert(db, &row, &events, down.as_ref(), &a).await {
            Ok(()) => written += 1,
            // Seeded before (a second `seed_many` over the demo): the resident's referral is still open.
            Err(e) if e.is_unique_violation() => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(written)
}
