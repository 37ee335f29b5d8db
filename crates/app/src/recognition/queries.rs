//! Recognition reads: the catalogue, participants, the order-time check with its candidates, a resident's recognisable results.

use super::*;

/// The recognition catalogue of the actor's pool.
///
/// # Errors
/// `NotFound` when the actor belongs to no pool.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn items(app: &App, actor: &Actor) -> Result<Catalogue, ServiceError> {
    let pool = actor_pool(app, actor).await?;
    let items = repo::items(&app.db, &pool).await?.iter().map(CatalogueItem::of).collect();
    Ok(Catalogue { pool, items })
}

/// The imaging exams of the actor's pool's catalogue (radiography and cross-sectional classes), as
/// (code, name): what a reading can be ordered as. Empty when the actor belongs to no pool.
///
/// # Errors
/// On a database error.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn imaging_items(app: &App, actor: &Actor) -> Result<Vec<(String, String)>, ServiceError> {
    match items(app, actor).await {
        Ok(c) => Ok(c
            .items
            .into_iter()
            .filter(|i| matches!(i.class.as_str(), "radiography" | "cross_sectional"))
            .map(|i| (i.code, i.name))
            .collect()),
        Err(ServiceError::NotFound) => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// Participants of the actor's area.
///
/// # Errors
/// `Forbidden` without read permission.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn participants(app: &App, actor: &Actor) -> Result<Vec<ParticipantView>, ServiceError> {
    actor.require(Permission::ResidentRead)?;
    let rows = repo::participants(&app.db, actor.scope.division_prefix()).await?;
    let institutions: HashMap<String, Institution> = registry::institutions(&app.db, actor.scope.division_prefix())
        .await?
        .into_iter()
        .map(|i| (i.id.clone(), i))
        .collect();
    let mut out: Vec<ParticipantView> = rows
        .iter()
        .map(|r| {
            let i = institutions.get(&r.institution_id);
            Ok(ParticipantView {
                institution_id: r.institution_id.clone(),
                institution_name: i.map(|i| i.name.clone()).unwrap_or_default(),
                tier: i.map(|i| i.tier.clone()).unwrap_or_default(),
                scopes: engine_participant(r)?.scopes,
                qc_passed: r.qc_passed,
                qc_date: r.qc_date,
            })
        })
        .collect::<Result<_, ServiceError>>()?;
    // County first, then township, then village.
    out.sort_by(|a, b| {
        Tier::parse(&b.tier)
            .ok()
            .cmp(&Tier::parse(&a.tier).ok())
            .then_with(|| a.institution_name.cmp(&b.institution_name))
    });
    Ok(out)
}

/// Everything an order or a check needs, loaded once.
pub(super) struct Context {
    pub(super) resident: Resident,
    pub(super) ordering: Institution,
    pub(super) tier: Tier,
    pub(super) item: ItemRow,
    pub(super) on: NaiveDate,
    pub(super) candidates: Vec<Candidate>,
    pub(super) priors: Vec<ResultRow>,
    pub(super) ordering_participates: bool,
}

/// The catalogue item an order code names in a pool (directly or as an equivalent).
pub(super) async fn context(
    app: &App,
    actor: &Actor,
    resident_id: &str,
    item_code: &str,
    on: Option<NaiveDate>,
) -> Result<Context, ServiceError> {
    actor.require(Permission::OrderWrite)?;
    let institution_id = actor.institution_id.clone().ok_or(ServiceError::Forbidden {
        role: actor.role.code(),
        permission: "order.institution",
    })?;
    let resident = residents_repo::get(&app.db, &actor.scope, resident_id)
        .await?
        .filter(|r| r.status == "active")
        .ok_or(ServiceError::NotFound)?;
    let ordering = registry::institution(&app.db, &institution_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let tier = Tier::parse(&ordering.tier).map_err(|e| anyhow::anyhow!("stored tier: {e}"))?;
    let today = results::shanghai_day(Utc::now());
    let on = on.unwrap_or(today);
    let mut errs = Errors::default();
    if on > today {
        errs.push(FieldError::new(
            "on",
            "date.past",
            "a day not after today",
            "The order day lies in the future",
            "申请日期不能晚于今天",
        ));
    }
    let reference = app.recognition.get(&app.db).await?;
    let pool = reference.pool_of(&resident.division_code);
    let found = reference.item(pool, item_code.trim());
    if found.is_none() {
        errs.push(FieldError::new(
            "item_code",
            "recognition.item",
            "an item of the recognition catalogue",
            "Unknown item code",
            "互认目录中没有该项目",
        ));
    }
    errs.finish()?;
    let (item, e) = found.ok_or(ServiceError::NotFound)?;
    let (item, e) = (item.clone(), e.clone());
    let mut codes = vec![item.code.clone()];
    codes.extend(e.equivalents.iter().cloned());
    let from = on - chrono::Duration::days(e.window_days);
    let priors = repo::priors(&app.db, &resident.division_code, &resident.id, &codes, from, on).await?;
    let mut ids: Vec<String> = priors.iter().map(|p| p.producer_institution_id.clone()).collect();
    ids.push(ordering.id.clone());
    ids.sort();
    ids.dedup();
    let participants = reference.participants_of(&ids);
    let prior_results: Vec<PriorResult> = priors
        .iter()
        .map(|p| PriorResult {
            id: p.id.clone(),
            item: p.item_code.clone(),
            institution: p.producer_institution_id.clone(),
            reported_on: p.reported_on,
        })
        .collect();
    let candidates = engine::candidates(
        std::slice::from_ref(&e),
        &participants,
        &ordering.id,
        &item.code,
        on,
        &prior_results,
    );
    let ordering_participates = participants
        .iter()
        .any(|p| p.institution == ordering.id && p.qc_passed && p.scopes.contains(&e.scope));
    Ok(Context {
        resident,
        ordering,
        tier,
        item,
        on,
        candidates,
        priors,
        ordering_participates,
    })
}

pub(super) async fn candidate_views(app: &App, c: &Context) -> Result<Vec<CandidateView>, ServiceError> {
    let ids: Vec<String> = c.candidates.iter().map(|k| k.institution.clone()).collect();
    let names = registry::names(&app.db, &ids).await?;
    Ok(c.candidates
        .iter()
        .filter_map(|k| {
            let r = c.priors.iter().find(|p| p.id == k.result)?;
            Some(CandidateView {
                result_id: r.id.clone(),
                item_code: r.item_code.clone(),
                value: r.value.clone(),
                unit: r.unit.clone(),
                reference_range: r.reference_range.clone(),
                abnormal: r.abnormal.clone(),
                reported_on: r.reported_on,
                age_days: k.age_days,
                institution_name: names.get(&k.institution).cloned().unwrap_or_default(),
                institution_id: k.institution.clone(),
                scope: k.scope.clone(),
            })
        })
        .collect())
}

/// The order-time check (互认提示): the resident's recognisable prior results for an item, with
/// their age and source. The read of the resident's results is audited.
///
/// # Errors
/// `Forbidden` without order permission or institution; `NotFound` for a resident outside the
/// area; `Validation` for an unknown item or a future day.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn check(app: &App, actor: &Actor, input: &CheckInput) -> Result<CheckView, ServiceError> {
    let c = context(app, actor, &input.resident_id, &input.item_code, input.on).await?;
    let candidates = candidate_views(app, &c).await?;
    app.audit
        .record(audit::entry(
            actor,
            &c.resident.division_code,
            "read",
            "result",
            &c.item.code,
            Some(&c.resident.id),
            &format!("recognition check {}: {} candidate(s)", c.item.code, candidates.len()),
        ))
        .await?;
    Ok(CheckView {
        resident_id: c.resident.id.clone(),
        item: CatalogueItem::of(&c.item),
        on: c.on,
        ordering_institution_id: c.ordering.id.clone(),
        ordering_participates: c.ordering_participates,
        decision_required: !candidates.is_empty(),
        candidates,
        retest_reasons: retest_reasons(),
    })
}

/// A resident's results across institutions and orders (the ordering site's results page).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ResidentResults {
    /// Resident record id.
    pub resident_id: String,
    /// Name.
    pub name: String,
    /// Masked ID number.
    pub id_number_masked: String,
    /// Results, newest first (at most 200), with their HR marks.
    pub results: Vec<ResultView>,
    /// Orders, newest first (at most 100).
    pub orders: Vec<OrderView>,
}

/// A resident's results and orders; the read is audited.
///
/// # Errors
/// `Forbidden` without read permission; `NotFound` for a resident outside the area.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn resident_results(app: &App, actor: &Actor, resident_id: &str) -> Result<ResidentResults, ServiceError> {
    actor.require(Permission::ResidentRead)?;
    let r = residents_repo::get(&app.db, &actor.scope, resident_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let rows = repo::results_of(&app.db, &r.division_code, &r.id, 200).await?;
    let pool = repo::pool_of(&app.db, &r.division_code).await?.unwrap_or_default();
    let catalogue = repo::items(&app.db, &pool).await?;
    let results = results::views(app, &catalogue, &rows).await?;
    let names: HashMap<String, String> = catalogue.iter().map(|i| (i.code.clone(), i.name.clone())).collect();
    let mut orders = Vec::new();
    for o in repo::orders_of(&app.db, &r.division_code, &r.id).await? {
        let saving = if o.decision == "recognised" {
            repo::saving_of(&app.db, &o.division_code, &o.id).await?
        } else {
            None
        };
        orders.push(order_view(&o, names.get(&o.item_code).map_or("", String::as_str), saving.as_ref()));
    }
    app.audit
        .record(audit::entry(
            actor,
            &r.division_code,
            "read",
            "result",
            "-",
            Some(&r.id),
            &format!("results page: {} result(s)", results.len()),
        ))
        .await?;
    Ok(ResidentResults {
        resident_id: r.id.clone(),
        id_number_masked: mask_id_like(&r.id_number),
        name: r.name,
        results,
        orders,
    })
}
