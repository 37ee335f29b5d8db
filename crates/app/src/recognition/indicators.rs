//! Recognition indicators: the recognition rate and savings by month and institution (docs/rules/recognition.md#savings-and-rates).

use super::*;

/// Period and subtree of the indicators.
#[derive(Clone, Debug, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IndicatorQuery {
    /// First day (default: the first day of the month eleven months ago).
    pub from: Option<NaiveDate>,
    /// Last day, inclusive (default today).
    pub to: Option<NaiveDate>,
    /// Only this institution and the institutions under it (village clinics under their centre, a
    /// medical community's members under its lead hospital).
    pub institution_id: Option<String>,
}

/// Recognitions, repeats and savings of a month.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct MonthRow {
    /// `YYYY-MM`.
    pub month: String,
    /// Recognitions (互认).
    pub recognitions: u64,
    /// Repeats despite recognisable results (复查).
    pub repeats: u64,
    /// Savings, fen.
    pub savings_fen: i64,
}

/// The figures of one ordering institution.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct InstitutionRow {
    /// Institution.
    pub institution_id: String,
    /// Name.
    pub name: String,
    /// Tier.
    pub tier: String,
    /// Recognitions.
    pub recognitions: u64,
    /// Repeats.
    pub repeats: u64,
    /// Recognition rate.
    pub rate: RatioView,
    /// Savings, fen.
    pub savings_fen: i64,
}

/// Recognition indicators of an area and period (docs/rules/recognition.md#savings-and-rates).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RecognitionIndicators {
    /// First day.
    pub from: NaiveDate,
    /// Last day (inclusive).
    pub to: NaiveDate,
    /// Area (county-code prefix).
    pub area: String,
    /// The subtree's root institution, when one was asked for.
    pub institution_id: Option<String>,
    /// Recognitions.
    pub recognitions: u64,
    /// Repeats of recognisable results.
    pub repeats: u64,
    /// Recognition rate = recognitions ÷ (recognitions + repeats).
    pub rate: RatioView,
    /// Savings (Σ avoided items at the ordering institutions' prices), fen.
    pub savings_fen: i64,
    /// Month by month.
    pub by_month: Vec<MonthRow>,
    /// By ordering institution, most recognitions first.
    pub by_institution: Vec<InstitutionRow>,
}

/// Recognition indicators of the actor's area, optionally of one institution's subtree.
///
/// # Errors
/// `Forbidden` without read permission; `NotFound` for an institution outside the area;
/// `Validation` for a reversed or longer than five-year period.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn indicators(app: &App, actor: &Actor, q: &IndicatorQuery) -> Result<RecognitionIndicators, ServiceError> {
    actor.require(Permission::ResidentRead)?;
    let today = results::shanghai_day(Utc::now());
    let to = q.to.unwrap_or(today);
    let from = q
        .from
        .unwrap_or_else(|| to.with_day(1).and_then(|d| d.checked_sub_months(Months::new(11))).unwrap_or(to));
    if from > to || (to - from).num_days() > 5 * 366 {
        return Err(ServiceError::Validation(vec![FieldError::new(
            "from",
            "period.order",
            "from ≤ to, at most five years",
            "The period is reversed or too long",
            "统计期间无效（起日须不晚于止日，且不超过五年）",
        )]));
    }
    let area = actor.scope.division_prefix().to_owned();
    let institutions = registry::institutions(&app.db, &area).await?;
    let subtree: Option<HashSet<String>> = match &q.institution_id {
        Some(root) => Some(crate::registry::subtree(app, &area, root).await?),
        None => None,
    };
    let rows = repo::day_counts(&app.db, &area, from, to + chrono::Duration::days(1)).await?;
    let mut months: BTreeMap<String, MonthRow> = BTreeMap::new();
    let mut m = from.with_day(1).unwrap_or(from);
    while m <= to {
        let key = m.format("%Y-%m").to_string();
        months.insert(
            key.clone(),
            MonthRow {
                month: key,
                ..Default::default()
            },
        );
        m = m.checked_add_months(Months::new(1)).unwrap_or(to + chrono::Duration::days(1));
    }
    let mut per_inst: HashMap<String, (u64, u64, i64)> = HashMap::new();
    for r in rows
        .iter()
        .filter(|r| subtree.as_ref().is_none_or(|s| s.contains(&r.institution_id)))
    {
        let n = u64::try_from(r.orders).unwrap_or(0);
        let month = months.entry(r.ordered_on.format("%Y-%m").to_string()).or_default();
        let inst = per_inst.entry(r.institution_id.clone()).or_default();
        if r.decision == "recognised" {
            month.recognitions += n;
            inst.0 += n;
        } else {
            month.repeats += n;
            inst.1 += n;
        }
        month.savings_fen += r.saved;
        inst.2 += r.saved;
    }
    let by_month: Vec<MonthRow> = months.into_values().collect();
    let recognitions = by_month.iter().map(|m| m.recognitions).sum();
    let repeats = by_month.iter().map(|m| m.repeats).sum();
    let savings_fen = by_month.iter().map(|m| m.savings_fen).sum();
    let mut by_institution: Vec<InstitutionRow> = per_inst
        .into_iter()
        .map(|(id, (rec, rep, saved))| {
            let i = institutions.iter().find(|i| i.id == id);
            InstitutionRow {
                name: i.map(|i| i.name.clone()).unwrap_or_default(),
                tier: i.map(|i| i.tier.clone()).unwrap_or_default(),
                institution_id: id,
                recognitions: rec,
                repeats: rep,
                rate: engine::recognition_rate(rec, rep).into(),
                savings_fen: saved,
            }
        })
        .collect();
    by_institution.sort_by(|a, b| b.recognitions.cmp(&a.recognitions).then_with(|| a.name.cmp(&b.name)));
    Ok(RecognitionIndicators {
        from,
        to,
        area,
        institution_id: q.institution_id.clone(),
        recognitions,
        repeats,
        rate: engine::recognition_rate(recognitions, repeats).into(),
        savings_fen,
        by_month,
        by_institution,
    })
}
