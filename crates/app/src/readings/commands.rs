//! Reading commands: order an exam for remote reading, and the transitions (claim, report, sign, deliver, critical values).

use super::*;

/// The reading centre of an ordering institution: the lead institution of its medical community.
pub(crate) async fn default_centre(app: &App, ordering: &Institution) -> Result<Option<Institution>, ServiceError> {
    let Some(community) = &ordering.community_id else { return Ok(None) };
    let lead = registry::communities(&app.db, &ordering.division_code)
        .await?
        .into_iter()
        .find(|c| &c.id == community)
        .and_then(|c| c.lead_institution_id);
    Ok(match lead {
        Some(id) => registry::institution(&app.db, &id).await?,
        None => None,
    })
}

/// A fresh accession number: modality letters, the date and a short random part (unique per
/// county by constraint).
pub(crate) fn accession(modality: Modality, now: DateTime<Utc>) -> String {
    let prefix = match modality {
        Modality::Dr => "DR",
        Modality::Ct => "CT",
        Modality::Mr => "MR",
        Modality::Ecg => "EC",
    };
    let id = uuid::Uuid::now_v7().simple().to_string();
    let tail = id.get(id.len() - 8..).unwrap_or_default().to_uppercase();
    format!("{prefix}{}{tail}", now.format("%Y%m%d"))
}

/// What a new reading row is made of besides the engine state.
pub(crate) struct NewRow<'a> {
    pub(crate) ordering: &'a Institution,
    pub(crate) centre: &'a Institution,
    pub(crate) resident_id: &'a str,
    pub(crate) accession_number: String,
    pub(crate) question: &'a str,
    pub(crate) body_part: &'a str,
    pub(crate) item_code: &'a str,
    pub(crate) split: sanyi_care::reading::FeeSplit,
}

/// The row of a new reading in the engine state `reading`, and its first event (`order`).
pub(crate) fn new_row(
    n: NewRow<'_>,
    reading: &Reading,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(ReadingRow, WorkflowEvent), ServiceError> {
    let id = sanyi_store::new_id();
    let row = ReadingRow {
        division_code: n.ordering.division_code.clone(),
        id: id.clone(),
        resident_id: n.resident_id.to_owned(),
        ordering_institution_id: n.ordering.id.clone(),
        reading_division_code: n.centre.division_code.clone(),
        reading_institution_id: n.centre.id.clone(),
        accession_number: n.accession_number,
        modality: code(&reading.modality),
        urgency: if reading.emergency { "emergency" } else { "routine" }.into(),
        state: code(&reading.state),
        clinical_question: n.question.to_owned(),
        body_part: n.body_part.to_owned(),
        item_code: n.item_code.to_owned(),
        engine: serde_json::to_string(reading).map_err(|e| ServiceError::Internal(e.into()))?,
        report: String::new(),
        critical_open: false,
        acquired_at: reading.acquired_at,
        signed_at: None,
        turnaround_minutes: None,
        met_target: None,
        fee_fen: n.split.fee.get(),
        acquisition_share_fen: n.split.ordering_site.get(),
        reading_share_fen: n.split.reading_centre.get(),
        ordered_by: actor.user_id.clone(),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let event = WorkflowEvent {
        division_code: row.division_code.clone(),
        id: sanyi_store::new_id(),
        subject_id: id,
        from_state: String::new(),
        to_state: row.state.clone(),
        command: "order".into(),
        actor_user_id: Some(actor.user_id.clone()),
        institution_id: Some(n.ordering.id.clone()),
        at: now,
        reason: None,
    };
    Ok((row, event))
}

/// Orders a reading of a resident of the actor's area from the actor's institution.
///
/// # Errors
/// `Forbidden` without the permission or an institution; `NotFound` for a resident outside the
/// area; `Validation` for an unknown modality, urgency or reading centre, or an empty question.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn order(app: &App, actor: &Actor, input: &ReadingOrderInput) -> Result<ReadingView, ServiceError> {
    actor.require(Permission::ReadingOrder)?;
    let ordering_id = actor.institution_id.clone().ok_or(ServiceError::Forbidden {
        role: actor.role.code(),
        permission: "reading.institution",
    })?;
    let resident = residents_repo::get(&app.db, &actor.scope, &input.resident_id)
        .await?
        .filter(|r| r.status == "active")
        .ok_or(ServiceError::NotFound)?;
    let ordering = registry::institution(&app.db, &ordering_id).await?.ok_or(ServiceError::NotFound)?;
    let mut errs = Errors::default();
    let modality = parse_modality(&input.modality);
    if modality.is_none() {
        errs.push(FieldError::new(
            "modality",
            "reading.modality",
            "dr, ct, mr or ecg",
            &format!("Unknown modality {}", input.modality),
            "检查类型应为 dr、ct、mr 或 ecg",
        ));
    }
    let emergency = match input.urgency.as_deref().unwrap_or("routine") {
        "routine" => false,
        "emergency" => true,
        other => {
            errs.push(FieldError::new(
                "urgency",
                "reading.urgency",
                "routine or emergency",
                &format!("Unknown urgency {other}"),
                "紧急程度应为 routine 或 emergency",
            ));
            false
        }
    };
    if input.clinical_question.trim().is_empty() {
        errs.push(FieldError::required("clinical_question"));
    }
    let centre = match &input.reading_institution_id {
        Some(id) => registry::institution(&app.db, id)
            .await?
            .filter(|i| i.division_code.get(..4) == ordering.division_code.get(..4)),
        None => default_centre(app, &ordering).await?,
    };
    if centre.is_none() {
        errs.push(FieldError::new(
            "reading_institution_id",
            "institution.pool",
            "a reading centre of the same insurance pool",
            "Unknown reading centre (and no lead institution of the community to default to)",
            "阅片中心不存在（且本医共体无牵头医院可默认）",
        ));
    }
    let item_code = input.item_code.as_deref().map(str::trim).unwrap_or_default().to_owned();
    if !item_code.is_empty() {
        let pool = sanyi_store::recognition::pool_of(&app.db, &ordering.division_code).await?;
        let known = match &pool {
            Some(pool) => sanyi_store::recognition::item(&app.db, pool, &item_code).await?.is_some(),
            None => false,
        };
        if !known {
            errs.push(FieldError::new(
                "item_code",
                "recognition.item",
                "a code of the pool's recognition catalogue",
                &format!("Unknown exam code {item_code}"),
                "互认目录中没有该检查项目",
            ));
        }
    }
    if matches!(input.decision, Some(sanyi_care::recognition::Decision::Recognised { .. })) {
        errs.push(FieldError::new(
            "decision",
            "reading.recognised",
            "a re-test reason (recognising a prior result needs no new reading)",
            "A recognised prior result needs no reading: record it on the test order instead",
            "互认既往结果无需再次检查，请在检查检验申请中办理互认",
        ));
    }
    errs.finish()?;
    let (Some(modality), Some(centre)) = (modality, centre) else {
        return Err(ServiceError::NotFound);
    };
    // Mutual recognition first: with recognisable prior results the doctor must give a re-test
    // reason (409 with the candidates otherwise), which is written to the record.
    if !item_code.is_empty() {
        crate::recognition::order(
            app,
            actor,
            &crate::recognition::OrderInput {
                resident_id: resident.id.clone(),
                item_code: item_code.clone(),
                ordered_on: None,
                decision: input.decision.clone(),
            },
        )
        .await?;
    }
    let now = Utc::now();
    let split = app
        .policies
        .reading
        .split(modality)
        .map_err(|e| ServiceError::Internal(anyhow::anyhow!("fee split: {e}")))?;
    let reading = Reading::order(modality, emergency);
    let (row, event) = new_row(
        NewRow {
            ordering: &ordering,
            centre: &centre,
            resident_id: &resident.id,
            accession_number: accession(modality, now),
            question: input.clinical_question.trim(),
            body_part: input.body_part.trim(),
            item_code: &item_code,
            split,
        },
        &reading,
        actor,
        now,
    )?;
    let id = row.id.clone();
    let a = audit::entry(
        actor,
        &resident.division_code,
        "order",
        "reading",
        &id,
        Some(&resident.id),
        &format!("{} at {}", row.modality, centre.id),
    );
    repo::insert(&app.db, &row, &event, &a).await?;
    view(app, row, Vec::new()).await
}

/// Applies a command as the actor. The engine checks the person and side before the state.
///
/// # Errors
/// `Forbidden` when the actor's side or role may not do it; `Conflict` when the state does not
/// allow it or someone changed the reading meanwhile; `Validation` for an incomplete command.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn apply(app: &App, actor: &Actor, id: &str, input: &ReadingCommandInput) -> Result<ReadingView, ServiceError> {
    let command = input.parse()?;
    let row = visible(app, actor, id).await?;
    let ordering_site = actor.institution_id.as_deref() == Some(row.ordering_institution_id.as_str());
    let at_centre = actor.institution_id.as_deref() == Some(row.reading_institution_id.as_str());
    let needed = match command {
        ReadingCommand::Acknowledge | ReadingCommand::Resolve { .. } | ReadingCommand::Acquire => Permission::ReadingOrder,
        _ => Permission::ReadingReport,
    };
    actor.require(needed)?;
    if !ordering_site && !at_centre {
        return Err(ServiceError::Forbidden {
            role: actor.role.code(),
            permission: "workflow.act",
        });
    }
    if let Some(v) = input.expected_version
        && v != row.version
    {
        return Err(sanyi_store::StoreError::VersionConflict { current: row.version }.into());
    }
    let reading = engine_of(&row)?;
    let who = Reader {
        user: actor.user_id.clone(),
        // Someone of the centre acts as the centre even when the centre orders for itself.
        ordering_site: ordering_site && !(at_centre && needed == Permission::ReadingReport),
    };
    let now = Utc::now();
    let reason = match &command {
        ReadingCommand::Critical { finding } => Some(finding.clone()),
        ReadingCommand::Resolve { action } => Some(action.clone()),
        _ => None,
    };
    let next = reading.apply(&who, command, now).map_err(|e| refusal(actor, e))?;
    let t = transition(app, &row, &next, &input.command, Some(actor), reason, now);
    let result = match (&next.state, &next.report) {
        (ReadingState::Delivered, Some(report)) if !row.item_code.is_empty() => delivered_result(app, &row, report, now).await?,
        _ => None,
    };
    let a = crate::workflow::transition_audit(actor, "reading", &t.event, &row.resident_id);
    repo::update(&app.db, &t, &a, result.as_ref()).await?;
    get(app, actor, id).await
}

/// The delivered report as the resident's result in the cross-institution index (mutual
/// recognition): the exam's catalogue code, the impression as its value, produced by the ordering
/// site where the images were taken, the accession number as the report number.
pub(super) async fn delivered_result(
    app: &App,
    row: &ReadingRow,
    report: &Report,
    now: DateTime<Utc>,
) -> Result<Option<sanyi_store::recognition::ResultRow>, ServiceError> {
    let input = crate::recognition::ResultInput {
        resident_id: Some(row.resident_id.clone()),
        id_number: None,
        item_code: row.item_code.clone(),
        value: report.impression.clone(),
        unit: None,
        reference_range: None,
        abnormal: None,
        reported_at: now.to_rfc3339(),
        report_no: Some(row.accession_number.clone()),
        institution_id: None,
    };
    match crate::recognition::results::result_row(app, &row.ordering_institution_id, &input, crate::recognition::ResultSource::Reading)
        .await
    {
        Ok(r) => Ok(Some(r)),
        // The catalogue changed since the order: deliver the report without indexing it.
        Err(ServiceError::Validation(errs)) => {
            tracing::warn!(reading = %row.id, rule = %errs.first().map(|e| e.rule.as_str()).unwrap_or(""), "delivered report not indexed as a result");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}
