//! Reading reads: one reading with its media, the worklists and boxes, a resident's readings.

use super::*;

/// A reading with its timeline; the read is audited as a read of the resident's record.
///
/// # Errors
/// `NotFound` unless the actor's institution orders or reads it.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn get(app: &App, actor: &Actor, id: &str) -> Result<ReadingView, ServiceError> {
    actor.require(Permission::ResidentRead)?;
    let row = visible(app, actor, id).await?;
    shown(app, actor, row).await
}

/// The reading page: the reading with its studies and ECGs, found visible once for all of it; the
/// reads are audited.
///
/// # Errors
/// `NotFound` unless the actor's institution ordered or reads it.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn detail(app: &App, actor: &Actor, id: &str) -> Result<(ReadingView, crate::imaging::ReadingMedia), ServiceError> {
    actor.require(Permission::ResidentRead)?;
    let row = visible(app, actor, id).await?;
    let media = crate::imaging::media_of(app, actor, &row).await?;
    Ok((shown(app, actor, row).await?, media))
}

/// A visible reading as shown, with its timeline and the names of its doctors; the read is audited.
pub(super) async fn shown(app: &App, actor: &Actor, row: ReadingRow) -> Result<ReadingView, ServiceError> {
    let timeline = workflow_repo::events(&app.db, Workflow::Reading, &row.division_code, &row.id).await?;
    app.audit
        .record(audit::entry(
            actor,
            &row.division_code,
            "read",
            "reading",
            &row.id,
            Some(&row.resident_id),
            "reading page",
        ))
        .await?;
    let mut v = view(app, row, timeline).await?;
    let name = |id: Option<String>| async move {
        match id {
            Some(id) => sanyi_store::users::by_id(&app.db, &id).await.map(|u| u.map(|u| u.display_name)),
            None => Ok(None),
        }
    };
    v.reader_name = name(v.reader.clone()).await?;
    v.reviewer_name = name(v.reviewer.clone()).await?;
    Ok(v)
}

/// Which readings of a list.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct ReadingListQuery {
    /// `in` (the centre's worklist, default for readers) or `out` (ordered by the institution).
    #[serde(default, rename = "box")]
    pub r#box: Option<String>,
    /// One state.
    #[serde(default)]
    pub state: Option<String>,
    /// Only the open worklist (acquired, claimed, preliminary).
    #[serde(default)]
    pub open: Option<bool>,
    /// Only open critical values.
    #[serde(default)]
    pub critical: Option<bool>,
    /// One modality.
    #[serde(default)]
    pub modality: Option<String>,
    /// At most this many (default 100, at most 500).
    #[serde(default)]
    pub limit: Option<i64>,
}

/// A list of readings with the counts by state of the same side.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ReadingList {
    /// `in` or `out`.
    pub r#box: String,
    /// The readings.
    pub items: Vec<ReadingView>,
    /// (state, Chinese label, count) of the side.
    pub counts: Vec<(String, String, i64)>,
}

/// The actor's institution's readings: the centre's worklist (`in`) or the ordering site's (`out`).
///
/// # Errors
/// `Forbidden` without an institution; `Validation` for an unknown box or state.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn list(app: &App, actor: &Actor, q: &ReadingListQuery) -> Result<ReadingList, ServiceError> {
    actor.require(Permission::ResidentRead)?;
    let institution = actor.institution_id.clone().ok_or(ServiceError::Forbidden {
        role: actor.role.code(),
        permission: "reading.institution",
    })?;
    let inst = registry::institution(&app.db, &institution).await?.ok_or(ServiceError::NotFound)?;
    let default_box = if actor.role.can(Permission::ReadingReport) { "in" } else { "out" };
    let side = match q.r#box.as_deref().unwrap_or(default_box) {
        "in" => Side::In,
        "out" => Side::Out,
        other => {
            return Err(ServiceError::Validation(vec![FieldError::new(
                "box",
                "reading.box",
                "in or out",
                &format!("Unknown box {other}"),
                "列表应为 in 或 out",
            )]));
        }
    };
    if let Some(s) = &q.state
        && parse_state(s).is_none()
    {
        return Err(ServiceError::Validation(vec![FieldError::new(
            "state",
            "reading.state",
            "ordered, acquired, claimed, preliminary, final or delivered",
            &format!("Unknown state {s}"),
            "未知的状态",
        )]));
    }
    let filter = ListFilter {
        state: q.state.clone(),
        among_states: if q.open.unwrap_or(false) {
            ReadingState::WORKLIST.iter().map(|s| s.code()).collect()
        } else {
            Vec::new()
        },
        critical_open: q.critical.unwrap_or(false),
        modality: q.modality.clone(),
    };
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let rows = repo::list(&app.db, &inst.division_code, &inst.id, side, &filter, limit).await?;
    let names = names_of(app, &rows).await?;
    let now = Utc::now();
    let items = rows.into_iter().map(|r| render(r, Vec::new(), &names, app, now)).collect();
    let counts = workflow_repo::count_by_state(&app.db, Workflow::Reading, &inst.division_code, &inst.id, side)
        .await?
        .into_iter()
        .map(|(state, n)| {
            let zh = parse_state(&state).map(ReadingState::label_zh).unwrap_or_default().to_owned();
            (state, zh, n)
        })
        .collect();
    Ok(ReadingList {
        r#box: if side == Side::In { "in" } else { "out" }.into(),
        items,
        counts,
    })
}

/// The readings of a resident the actor may see, newest change first.
///
/// # Errors
/// `NotFound` for a resident outside the area.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn of_resident(app: &App, actor: &Actor, resident_id: &str) -> Result<Vec<ReadingView>, ServiceError> {
    actor.require(Permission::ResidentRead)?;
    let resident = residents_repo::get(&app.db, &actor.scope, resident_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    // The resident is in the actor's area: their readings are part of the record the actor sees.
    let rows = repo::of_resident(&app.db, &resident.division_code, &resident.id).await?;
    let names = names_of(app, &rows).await?;
    let now = Utc::now();
    Ok(rows.into_iter().map(|r| render(r, Vec::new(), &names, app, now)).collect())
}
