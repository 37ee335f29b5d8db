//! Demo remote readings (远程影像/心电演示数据): DR studies and ECGs ordered, acquired, read, signed
//! and delivered through the same services as the pages; and the open worklist of `sanyi bench
//! imaging`.

use chrono::Utc;

use sanyi_care::reading::{Modality, Reader, Reading, ReadingCommand};
use sanyi_imaging::{dicom, ecg};
use sanyi_store::readings as repo;
use sanyi_store::registry;
use sanyi_store::residents as residents_repo;

use super::Demo;
use super::demo_actor;
use crate::readings::imaging::{blocking_failed, ingest_dicom, ingest_ecg};
use crate::readings::{self, NewRow, ReadingCommandInput, ReadingOrderInput, accession, default_centre, new_row};
use crate::{Actor, App, ServiceError, audit};

/// What [`seed`] wrote.
#[derive(Clone, Debug, Default)]
pub struct DemoReadings {
    /// Readings ordered.
    pub readings: usize,
    /// DICOM instances stored.
    pub images: usize,
    /// ECG records stored.
    pub ecgs: usize,
}

fn command(command: &str) -> crate::readings::ReadingCommandInput {
    crate::readings::ReadingCommandInput {
        command: command.into(),
        report: None,
        finding: None,
        action: None,
        expected_version: None,
    }
}

/// Seeds the demo's remote readings: a township centre orders DR studies and ECGs of its residents
/// at the lead hospital's centre, synthetic DICOM images and aECG/CSV waveforms arrive, readers claim,
/// report, sign (a second reader for imaging) and deliver them — leaving readings in every state,
/// open, acknowledged and resolved critical values, and two studies without a matching resident in
/// the manual-match queue. Everything goes through the same services as the pages.
///
/// # Errors
/// On a database or file-store error.
#[tracing::instrument(skip_all)]
pub async fn seed(demo: &Demo<'_>) -> Result<DemoReadings, ServiceError> {
    seed_count(demo.app, demo.readings).await
}

/// [`seed`] with `count` readings; it needs only the seeded registry and logins, not the
/// generated world.
///
/// # Errors
/// As [`seed`].
pub(crate) async fn seed_count(app: &App, count: usize) -> Result<DemoReadings, ServiceError> {
    let (Some(site), Some(reader), Some(reviewer)) = (
        demo_actor(app, "township_doctor").await?,
        demo_actor(app, "reader").await?,
        demo_actor(app, "reviewer").await?,
    ) else {
        return Ok(DemoReadings::default());
    };
    let people = residents_repo::search(
        &app.db,
        &site.scope,
        &residents_repo::ResidentQuery::default(),
        sanyi_store::Page {
            offset: 0,
            limit: count.max(1) as i64,
        },
    )
    .await?
    .items;
    let institution = match &site.institution_id {
        Some(i) => registry::institution(&app.db, i).await?.map(|i| i.name).unwrap_or_default(),
        None => String::new(),
    };
    // The chest radiograph of the pool's recognition catalogue, when it has one: delivered DR
    // reports join the resident's results.
    let county = site.division_code.clone();
    let chest_dr = match sanyi_store::recognition::pool_of(&app.db, &county).await? {
        Some(pool) => sanyi_store::recognition::items(&app.db, &pool)
            .await?
            .into_iter()
            .find(|i| i.class == "radiography" && i.name.contains('胸'))
            .map(|i| i.code),
        None => None,
    };
    let mut out = DemoReadings::default();
    for (k, person) in people.iter().enumerate().take(count) {
        let ecg = k % 3 == 2;
        let order = ReadingOrderInput {
            resident_id: person.id.clone(),
            modality: if ecg { "ecg" } else { "dr" }.into(),
            urgency: Some(if k % 7 == 0 { "emergency" } else { "routine" }.into()),
            reading_institution_id: None,
            clinical_question: if ecg {
                "胸闷、心悸，排除心肌缺血"
            } else {
                "咳嗽两周，排除肺部感染"
            }
            .into(),
            body_part: if ecg { "心脏" } else { "胸部" }.into(),
            item_code: if ecg { None } else { chest_dr.clone() },
            // A recent film elsewhere does not answer this question: the condition changed.
            decision: (!ecg && chest_dr.is_some()).then(|| sanyi_care::recognition::Decision::Repeated {
                reason: sanyi_care::recognition::RetestReason::ConditionChanged,
                note: "咳嗽加重，需复查胸片".into(),
            }),
        };
        let r = readings::order(app, &site, &order).await?;
        out.readings += 1;
        // Stages reached: 0 ordered … 5 delivered (most readings are delivered).
        let stage = [0, 1, 2, 3, 4, 5, 5, 5, 5, 5][k % 10];
        if stage == 0 {
            continue;
        }
        let seed = 0x5EED_0000 + k as u64;
        if ecg {
            let e = ecg::synthetic_ecg(seed, 60 + (k as u32 * 7) % 50, 10);
            let file = if k % 2 == 0 {
                ecg::to_aecg_xml(&e).into_bytes()
            } else {
                ecg::to_csv(&e).into_bytes()
            };
            ingest_ecg(app, &site, &r.id, file).await?;
            out.ecgs += 1;
        } else {
            let birth = person.birth_date;
            let spec = dicom::SyntheticDr {
                seed,
                patient_id: person.id_number.clone(),
                patient_name: person.name.clone(),
                sex: if person.sex == "female" {
                    dicom::Sex::Female
                } else {
                    dicom::Sex::Male
                },
                birth_date: birth,
                accession_number: r.accession_number.clone(),
                study_datetime: Utc::now().naive_utc(),
                institution_name: institution.clone(),
                study_description: "胸部正位 DR".into(),
                ..dicom::SyntheticDr::default()
            };
            let bytes = tokio::task::spawn_blocking(move || dicom::synthetic_dr(&spec))
                .await
                .map_err(blocking_failed)?;
            ingest_dicom(app, &site, bytes, Some(&r.id)).await?;
            out.images += 1;
        }
        if stage >= 2 {
            readings::apply(app, &reader, &r.id, &command("claim")).await?;
        }
        if k % 10 == 2 || k % 10 == 6 || k % 10 == 7 {
            let finding = if ecg { "急性下壁 ST 段抬高" } else { "右侧大量气胸" };
            readings::apply(
                app,
                &reader,
                &r.id,
                &ReadingCommandInput {
                    finding: Some(finding.into()),
                    ..command("critical")
                },
            )
            .await?;
            if k % 10 >= 6 {
                readings::apply(app, &site, &r.id, &command("acknowledge")).await?;
            }
            if k % 10 == 7 {
                readings::apply(
                    app,
                    &site,
                    &r.id,
                    &ReadingCommandInput {
                        action: Some("已电话通知患者，急诊转县医院".into()),
                        ..command("resolve")
                    },
                )
                .await?;
            }
        }
        if stage >= 3 {
            let t = readings::parse_modality(&r.modality).unwrap_or(Modality::Dr).template();
            let report = sanyi_care::reading::Report {
                findings: t.normal_findings.into(),
                impression: t.normal_impression.into(),
                fields: t
                    .fields
                    .iter()
                    .map(|f| (f.key.to_owned(), if ecg { "窦性" } else { "后前位" }.to_owned()))
                    .take(1)
                    .collect(),
            };
            readings::apply(
                app,
                &reader,
                &r.id,
                &ReadingCommandInput {
                    report: Some(report),
                    ..command("preliminary")
                },
            )
            .await?;
        }
        if stage >= 4 {
            let signer = if ecg { &reader } else { &reviewer };
            readings::apply(app, signer, &r.id, &command("sign")).await?;
        }
        if stage >= 5 {
            readings::apply(app, &reader, &r.id, &command("deliver")).await?;
        }
    }
    // Two studies whose PatientID is a hospital number: they wait in the manual-match queue.
    for k in 0..2u64 {
        let spec = dicom::SyntheticDr {
            seed: 0x0DD0_0000 + k,
            patient_id: format!("TS{:08}", 1200 + k),
            patient_name: if k == 0 { "李^明".into() } else { "赵^芳".into() },
            accession_number: format!("EXT{:06}", 31 + k),
            study_datetime: Utc::now().naive_utc(),
            institution_name: institution.clone(),
            ..dicom::SyntheticDr::default()
        };
        let bytes = tokio::task::spawn_blocking(move || dicom::synthetic_dr(&spec))
            .await
            .map_err(blocking_failed)?;
        ingest_dicom(app, &site, bytes, None).await?;
        out.images += 1;
    }
    Ok(out)
}

/// Seeds `count` acquired readings of residents of the actor's area ordered by the actor's
/// institution at its community's centre (each waiting for a reader), for `sanyi bench imaging`.
/// Returns how many were written.
///
/// # Errors
/// `Forbidden` without an institution; on a database error.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn seed_open(app: &App, actor: &Actor, count: usize) -> Result<usize, ServiceError> {
    let ordering_id = actor.institution_id.clone().ok_or(ServiceError::Forbidden {
        role: actor.role.code(),
        permission: "reading.institution",
    })?;
    let ordering = registry::institution(&app.db, &ordering_id).await?.ok_or(ServiceError::NotFound)?;
    let centre = default_centre(app, &ordering).await?.ok_or(ServiceError::NotFound)?;
    let people = residents_repo::search(
        &app.db,
        &actor.scope,
        &residents_repo::ResidentQuery::default(),
        sanyi_store::Page { offset: 0, limit: 500 },
    )
    .await?
    .items;
    if people.is_empty() {
        return Ok(0);
    }
    let who = Reader {
        user: actor.user_id.clone(),
        ordering_site: true,
    };
    for k in 0..count {
        let person = &people[k % people.len()];
        let now = Utc::now();
        let modality = if k % 4 == 3 { Modality::Ecg } else { Modality::Dr };
        let emergency = k % 9 == 0;
        let reading = Reading::order(modality, emergency)
            .apply(&who, ReadingCommand::Acquire, now)
            .map_err(|e| ServiceError::Internal(anyhow::anyhow!("acquire: {e}")))?;
        let split = app
            .policies
            .reading
            .split(modality)
            .map_err(|e| ServiceError::Internal(anyhow::anyhow!("fee split: {e}")))?;
        let (row, event) = new_row(
            NewRow {
                ordering: &ordering,
                centre: &centre,
                resident_id: &person.id,
                accession_number: format!("{}{k:07}", accession(modality, now)),
                question: "胸部正位",
                body_part: "胸部",
                item_code: "",
                split,
            },
            &reading,
            actor,
            now,
        )?;
        let id = row.id.clone();
        let a = audit::entry(actor, &row.division_code, "order", "reading", &id, Some(&person.id), "bench");
        repo::insert(&app.db, &row, &event, &a).await?;
    }
    Ok(count)
}
