//! Remote-reading indicators per modality: volumes, turnaround against the targets, critical values (docs/rules/remote-services.md#remote-reading).

use super::*;

/// Reading indicators of one modality over a period.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct ModalityIndicators {
    /// Modality code.
    pub modality: String,
    /// Modality in Chinese.
    pub modality_zh: String,
    /// Readings ordered.
    pub ordered: i64,
    /// Finalised reports (each counts once as a telemedicine service, docs/rules/remote-services.md#billing).
    pub finalised: i64,
    /// Finalised within the turnaround target.
    pub within_target: i64,
    /// Share within target, basis points of the finalised (none when nothing was finalised).
    pub within_target_bp: Option<i64>,
    /// Median turnaround, minutes.
    pub median_turnaround_minutes: Option<i64>,
    /// Critical values still open.
    pub open_critical: i64,
    /// Fees credited to the ordering sites, fen (finalised readings).
    pub acquisition_share_fen: i64,
    /// Fees credited to the reading centres, fen (finalised readings).
    pub reading_share_fen: i64,
}

/// Reading indicators of the actor's area over `[from, to)`.
///
/// # Errors
/// `Forbidden` without read permission.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn indicators(app: &App, actor: &Actor, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<ModalityIndicators>, ServiceError> {
    actor.require(Permission::ResidentRead)?;
    let stats = repo::stats_between(&app.db, actor.scope.division_prefix(), from, to).await?;
    let mut out = Vec::new();
    for m in [Modality::Dr, Modality::Ct, Modality::Mr, Modality::Ecg] {
        let c = code(&m);
        let rows: Vec<_> = stats.iter().filter(|s| s.modality == c).collect();
        if rows.is_empty() && matches!(m, Modality::Ct | Modality::Mr) {
            continue;
        }
        let finalised: Vec<_> = rows.iter().filter(|s| s.turnaround_minutes.is_some()).collect();
        let mut times: Vec<i64> = finalised.iter().filter_map(|s| s.turnaround_minutes).collect();
        times.sort_unstable();
        let within = finalised.iter().filter(|s| s.met_target == Some(true)).count() as i64;
        out.push(ModalityIndicators {
            modality: c,
            modality_zh: m.label_zh().to_owned(),
            ordered: rows.len() as i64,
            finalised: finalised.len() as i64,
            within_target: within,
            within_target_bp: (!finalised.is_empty()).then(|| within * 10_000 / finalised.len() as i64),
            median_turnaround_minutes: times.get(times.len() / 2).copied(),
            open_critical: rows.iter().filter(|s| s.critical_open).count() as i64,
            acquisition_share_fen: finalised.iter().map(|s| s.acquisition_share_fen).sum(),
            reading_share_fen: finalised.iter().map(|s| s.reading_share_fen).sum(),
        });
    }
    Ok(out)
}
