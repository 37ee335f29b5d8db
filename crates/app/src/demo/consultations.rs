//! Demo consultations: township centres of the first county ask the lead hospital, and the demo
//! year holds consultations in every state of the engine — single and MDT, synchronous (video)
//! and written, routine and emergency — so that the boards, queues and indicators show real numbers.

use chrono::Duration;

use sanyi_care::actor::{ActorRef, ConsultationId, ExpertId, InstitutionId, Role as CareRole};
use sanyi_care::consultation::{
    AssignmentRequest, ConsultMode, ConsultUrgency, Consultation, ConsultationCommand as C, ConsultationPolicy, NewConsultation, Specialty,
};
use sanyi_store::consultations::{self as repo, ConsultationRow};

use super::Demo;
use crate::ServiceError;
use crate::workflow::{code, event_row};

/// The demo's branches, in the order they are cycled: the final state each one is left in.
pub const DEMO_STATES: [&str; 16] = [
    "requested",
    "returned_for_info",
    "triaged",
    "assigned",
    "scheduled",
    "in_session",
    "opinion_issued",
    "acknowledged",
    "closed",
    "rated",
    "rejected",
    "cancelled",
    "expired",
    // MDT (two experts and a chair's summary), acknowledged.
    "acknowledged",
    // Written (asynchronous) consultation, closed.
    "closed",
    // Emergency video consultation, closed.
    "closed",
];

/// How a branch asks: mode, urgency and whether it is an MDT.
fn branch(b: usize) -> (ConsultMode, ConsultUrgency, bool) {
    match b {
        13 => (ConsultMode::Sync, ConsultUrgency::Routine, true),
        14 => (ConsultMode::Async, ConsultUrgency::Routine, false),
        15 => (ConsultMode::Sync, ConsultUrgency::Emergency, false),
        _ => (ConsultMode::Sync, ConsultUrgency::Routine, false),
    }
}

/// Seeds demo consultations (two of every branch of [`DEMO_STATES`]) with the demo specialist and
/// cardiologist as experts on the lead hospital's roster. Open ones were asked in the last day and
/// are within their deadlines; finished ones spread over the past two months. Returns how many
/// were written.
///
/// # Errors
/// On a database error.
pub async fn seed(demo: &Demo<'_>) -> Result<usize, ServiceError> {
    let (db, world, now) = (&demo.app.db, demo.world, demo.now);
    let Some(community) = world.communities.first() else { return Ok(0) };
    let Some(lead) = world
        .institutions
        .iter()
        .find(|i| Some(&i.id) == community.lead_institution_id.as_ref())
    else {
        return Ok(0);
    };
    let Some(neurologist) = sanyi_store::users::by_username(db, "specialist").await? else {
        return Ok(0);
    };
    let cardiologist = sanyi_store::users::by_username(db, "cardiologist")
        .await?
        .unwrap_or_else(|| neurologist.clone());
    let county = lead.division_code.clone();
    // The lead hospital's roster: the neurologist reads neurology and cardiology, the cardiologist cardiology.
    for (user, specialty) in [
        (&neurologist, "neurology"),
        (&neurologist, "cardiology"),
        (&cardiologist, "cardiology"),
    ] {
        repo::upsert_roster(
            db,
            &repo::RosterEntry {
                division_code: county.clone(),
                institution_id: lead.id.clone(),
                user_id: user.id.clone(),
                specialty: specialty.into(),
                title: "associate_chief".into(),
                on_duty: true,
                updated_at: now,
            },
        )
        .await?;
    }
    let centres: Vec<_> = world
        .institutions
        .iter()
        .filter(|i| i.division_code == county && i.tier == "township")
        .collect();
    if centres.is_empty() {
        return Ok(0);
    }
    let policy = ConsultationPolicy::default();
    let centre = ActorRef::new("demo-centre", lead.id.clone(), CareRole::ConsultCentre);
    let neuro = ActorRef::new(neurologist.id.clone(), lead.id.clone(), CareRole::Doctor);
    let cardio = ActorRef::new(cardiologist.id.clone(), lead.id.clone(), CareRole::Doctor);
    let mut written = 0;
    for k in 0..2 * DEMO_STATES.len() {
        let b = k % DEMO_STATES.len();
        let inviting = centres[k % centres.len()];
        let Some(resident) = world
            .residents
            .iter()
            .filter(|r| r.village_code.get(..9) == inviting.area_code.get(..9))
            .nth(k / centres.len())
        else {
            continue;
        };
        let (mode, urgency, mdt) = branch(b);
        // Open consultations (requested … in session) were asked in the last day; finished ones
        // over the past two months.
        let start = match b {
            0..=5 => now - Duration::hours(1 + k as i64),
            12 => now - Duration::days(10 + k as i64),
            _ => now - Duration::days(2 + 2 * k as i64) - Duration::hours(3),
        };
        let specialty = if mdt { "cardiology" } else { "neurology" };
        let id = sanyi_store::new_id();
        let doctor = ActorRef::new("demo-doctor", inviting.id.clone(), CareRole::Doctor);
        let new = NewConsultation {
            id: ConsultationId::new(id.clone()),
            inviting: InstitutionId::new(inviting.id.clone()),
            invited: InstitutionId::new(lead.id.clone()),
            urgency,
            mode,
            request: AssignmentRequest {
                specialty: Specialty::new(specialty),
                named_expert: None,
            },
            mdt,
            question: match (mdt, urgency) {
                (true, _) => "冠心病合并糖尿病，胸闷反复发作，请心内科、神经内科多学科会诊".into(),
                (_, ConsultUrgency::Emergency) => "突发言语不清伴右侧肢体无力 1 小时，请急会诊".into(),
                _ => "头晕伴肢体麻木，请神经内科会诊".into(),
            },
        };
        let Ok(mut c) = Consultation::request(new, &doctor, start) else {
            continue;
        };
        let step = Duration::minutes(if urgency == ConsultUrgency::Emergency { 10 } else { 20 });
        let at = |n: usize| start + step * (n as i32 + 1);
        let experts = if mdt {
            vec![ExpertId::new(cardiologist.id.clone()), ExpertId::new(neurologist.id.clone())]
        } else {
            vec![ExpertId::new(neurologist.id.clone())]
        };
        let chair = mdt.then(|| ExpertId::new(cardiologist.id.clone()));
        let opinion = |impression: &str| C::SubmitOpinion {
            impression: impression.into(),
            advice: "完善头颅影像，必要时上转".into(),
            recommend_referral: false,
        };
        let mut script: Vec<(ActorRef, C)> = match b {
            1 => vec![(
                centre.clone(),
                C::ReturnForInfo {
                    reason: "请补充近期头颅 CT 报告".into(),
                },
            )],
            10 => vec![
                (centre.clone(), C::Triage),
                (
                    centre.clone(),
                    C::Reject {
                        reason: "该病例宜直接上转住院，已建议走转诊绿色通道".into(),
                    },
                ),
            ],
            11 => vec![(
                doctor.clone(),
                C::Cancel {
                    reason: "患者已自行前往县医院就诊".into(),
                },
            )],
            _ => vec![(centre.clone(), C::Triage), (centre.clone(), C::Assign { experts, chair })],
        };
        if !matches!(b, 1 | 10 | 11) {
            // Sync: a slot (the next step's time, or this afternoon for the ones left scheduled);
            // async: the written deadline.
            let slot = match b {
                4 => now + Duration::hours(4),
                12 => start + Duration::days(1),
                _ if mode == ConsultMode::Async => start + Duration::hours(24),
                _ => at(3),
            };
            script.push((centre.clone(), C::Schedule { at: slot }));
            if mode == ConsultMode::Sync {
                script.push((neuro.clone(), C::StartSession));
            }
            if mdt {
                script.push((cardio.clone(), opinion("稳定型心绞痛，血糖控制欠佳")));
                script.push((neuro.clone(), opinion("未见急性脑血管事件征象")));
                script.push((
                    cardio.clone(),
                    C::ChairSummary {
                        summary: "规范抗血小板与降糖治疗，一月后复诊；胸痛加重即上转".into(),
                    },
                ));
            } else {
                script.push((neuro.clone(), opinion("考虑短暂性脑缺血发作")));
            }
            script.push((
                doctor.clone(),
                C::Acknowledge {
                    decision: "按专家意见处理".into(),
                },
            ));
            if !mdt {
                script.push((doctor.clone(), C::Close));
            }
            if b == 9 {
                script.push((doctor.clone(), C::Rate { stars: 4 }));
            }
        }
        // Branches 2–9 stop after `b - 1` steps of the full script (triaged … rated); the expired
        // branch once scheduled, then its opinion deadline passes.
        let keep = match b {
            0 => 0,
            2..=9 => b - 1,
            12 => 3,
            _ => script.len(),
        };
        let mut events = Vec::new();
        for (n, (who, cmd)) in script.into_iter().take(keep).enumerate() {
            match c.apply(&who, cmd, at(n)) {
                Ok((next, e)) => {
                    events.push(event_row(&county, &id, &e));
                    c = next;
                }
                Err(_) => break,
            }
        }
        if b == 12
            && let Some((next, e)) = c.tick(&policy, c.opinion_by(&policy) + Duration::minutes(1))
        {
            events.push(event_row(&county, &id, &e));
            c = next;
        }
        let row = ConsultationRow {
            division_code: inviting.division_code.clone(),
            id: id.clone(),
            resident_id: resident.id.clone(),
            inviting_institution_id: inviting.id.clone(),
            invited_division_code: lead.division_code.clone(),
            invited_institution_id: lead.id.clone(),
            specialty: specialty.into(),
            urgency: code(&c.urgency()),
            mode: code(&c.mode()),
            state: code(&c.state()),
            question: c.question().to_owned(),
            summary: "高血压病史 8 年".into(),
            engine: serde_json::to_string(&c).map_err(|e| ServiceError::Internal(e.into()))?,
            version: 1 + events.len() as i64,
            created_at: start,
            updated_at: events.last().map_or(start, |e| e.at),
        };
        let a = sanyi_store::audit::AuditEntry {
            at: start,
            resident_id: Some(resident.id.clone()),
            ..crate::audit::system_entry(&county, "consult", "consultation", &id, "demo data")
        };
        repo::insert(db, &row, &events, &a).await?;
        written += 1;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_branches_name_every_state_of_the_engine() {
        let states: std::collections::BTreeSet<&str> = DEMO_STATES.iter().copied().collect();
        for s in sanyi_care::consultation::ConsultationState::ALL {
            assert!(states.contains(code(&s).as_str()), "{s:?} has no demo branch");
        }
    }
}
