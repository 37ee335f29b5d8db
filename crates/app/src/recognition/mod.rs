//! Mutual recognition of test and examination results (检查检验结果互认, docs/rules/recognition.md) as use cases.
//!
//! - The pool's catalogue of recognised items and the participating institutions, read by everyone
//!   and edited by administrators ([`items`], [`put_items`], [`participants`], [`put_participants`]).
//! - The cross-institution index of results ([`results`]): pushed through the API, imported from
//!   CSV, or recorded by another module (a finalised reading) with [`results::result_row`] and
//!   `sanyi_store::result_insert_in_tx!` in its own transaction, or [`results::record_result`].
//! - The order-time check ([`check`]): the recognisable prior results with their age and source.
//! - Orders ([`order`]): with candidates the doctor must recognise one (which books the saving at the
//!   ordering institution's price level) or give a re-test reason, which is written to the record.
//! - Indicators ([`indicators`]): recognitions, repeats, rate and savings by institution and month.
//!
//! The care engine (`sanyi_care::recognition`) decides; this module loads, checks scope, writes in
//! one transaction with the audit entry and shapes the views.

pub mod reference;
pub mod results;

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use sanyi_care::recognition::{
    self as engine, Candidate, DecisionError, ItemClass, Outcome, Participant, PriorResult, RecognisedItem, TierPrices,
};
use sanyi_domain::{Fen, Tier, mask_id_like};
use sanyi_store::recognition::{self as repo, ItemRow, OrderRow, ParticipantRow, ResultRow, SavingRow};
use sanyi_store::registry::{self, Institution};
use sanyi_store::residents::{self as residents_repo, Resident};

use crate::error::Errors;
use crate::indicators::RatioView;
use crate::{Actor, App, FieldError, Permission, ServiceError, audit};

pub use results::{RecordedResults, ResultInput, ResultSource, ResultView};
pub use sanyi_care::recognition::{Decision, RetestReason};

mod commands;
mod indicators;
mod queries;
pub use commands::*;
pub use indicators::*;
pub use queries::*;

/// An item of the recognition catalogue as read and written through the API (互认项目).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CatalogueItem {
    /// Item code (the price catalogue's code).
    pub code: String,
    /// Name.
    pub name: String,
    /// `routine_lab`, `slow_lab`, `radiography`, `cross_sectional` or `ultrasound`.
    pub class: String,
    /// Class in Chinese (read only).
    #[serde(default, skip_deserializing)]
    pub class_zh: String,
    /// Results younger than this many days are recognisable (0–365).
    pub window_days: i64,
    /// HR scope label of the list (e.g. `昌吉州HR`).
    pub scope: String,
    /// Codes recognised as the same item.
    #[serde(default)]
    pub equivalents: Vec<String>,
    /// Price at county institutions, fen.
    pub price_county: i64,
    /// Price at township centres, fen.
    pub price_township: i64,
    /// Price at village clinics, fen.
    pub price_village: i64,
}

impl CatalogueItem {
    fn of(r: &ItemRow) -> CatalogueItem {
        CatalogueItem {
            code: r.code.clone(),
            name: r.name.clone(),
            class_zh: ItemClass::parse(&r.class).map(ItemClass::label_zh).unwrap_or_default().to_owned(),
            class: r.class.clone(),
            window_days: r.window_days,
            scope: r.scope.clone(),
            equivalents: serde_json::from_str(&r.equivalents).unwrap_or_default(),
            price_county: r.price_county,
            price_township: r.price_township,
            price_village: r.price_village,
        }
    }
}

/// The engine's item from a stored row.
fn engine_item(r: &ItemRow) -> Result<RecognisedItem, ServiceError> {
    Ok(RecognisedItem {
        code: r.code.clone(),
        name: r.name.clone(),
        class: ItemClass::parse(&r.class).ok_or_else(|| anyhow::anyhow!("stored item class {}", r.class))?,
        window_days: r.window_days,
        scope: r.scope.clone(),
        equivalents: serde_json::from_str(&r.equivalents).map_err(|e| ServiceError::Internal(e.into()))?,
        prices: TierPrices {
            county: Fen::new(r.price_county),
            township: Fen::new(r.price_township),
            village: Fen::new(r.price_village),
        },
    })
}

fn engine_participant(r: &ParticipantRow) -> Result<Participant, ServiceError> {
    Ok(Participant {
        institution: r.institution_id.clone(),
        scopes: serde_json::from_str(&r.scopes).map_err(|e| ServiceError::Internal(e.into()))?,
        qc_passed: r.qc_passed,
    })
}

/// The catalogue of a pool.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Catalogue {
    /// Pool (prefecture code).
    pub pool: String,
    /// Items by code.
    pub items: Vec<CatalogueItem>,
}

/// The pool the actor works in: their institution's, or the pool of their division.
async fn actor_pool(app: &App, actor: &Actor) -> Result<String, ServiceError> {
    let county = match &actor.institution_id {
        Some(id) => registry::institution(&app.db, id).await?.map(|i| i.division_code),
        None => None,
    }
    .unwrap_or_else(|| actor.division_code.clone());
    if let Some(pool) = repo::pool_of(&app.db, &county).await? {
        return Ok(pool);
    }
    // A pool-level user's division is the pool itself.
    let pools = registry::pools(&app.db).await?;
    pools
        .into_iter()
        .find(|p| p.division_code == county)
        .map(|p| p.division_code)
        .ok_or(ServiceError::NotFound)
}

/// A participating institution as read and written through the API (参与互认机构).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ParticipantView {
    /// Institution.
    pub institution_id: String,
    /// Institution name (read only).
    #[serde(default, skip_deserializing)]
    pub institution_name: String,
    /// Tier (read only).
    #[serde(default, skip_deserializing)]
    pub tier: String,
    /// HR scopes it belongs to (e.g. `["昌吉州HR"]`).
    pub scopes: Vec<String>,
    /// Passed its quality control (室间质评 / image QC).
    pub qc_passed: bool,
    /// Date of the last quality-control assessment.
    #[serde(default)]
    pub qc_date: Option<NaiveDate>,
}

/// A recognisable prior result as shown in the prompt (互认提示).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CandidateView {
    /// Result id (send it back to recognise it).
    pub result_id: String,
    /// Item code of the result (the ordered item or an equivalent).
    pub item_code: String,
    /// Value or finding.
    pub value: String,
    /// Unit.
    pub unit: Option<String>,
    /// Reference range.
    pub reference_range: Option<String>,
    /// `normal`, `high`, `low`, `abnormal`.
    pub abnormal: Option<String>,
    /// Report day.
    pub reported_on: NaiveDate,
    /// Age in days on the order day.
    pub age_days: i64,
    /// Producing institution.
    pub institution_id: String,
    /// Its name.
    pub institution_name: String,
    /// The HR scope that makes it recognisable (the mark printed: `昌吉州HR`).
    pub scope: String,
}

/// What to check: a resident, an item, a day.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct CheckInput {
    /// Resident record id.
    pub resident_id: String,
    /// Item code to order (a catalogue code or an equivalent).
    pub item_code: String,
    /// Order day (default today).
    #[serde(default)]
    pub on: Option<NaiveDate>,
}

/// The answer of the order-time check.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CheckView {
    /// Resident record id.
    pub resident_id: String,
    /// The catalogue item.
    pub item: CatalogueItem,
    /// Order day.
    pub on: NaiveDate,
    /// Ordering institution (the actor's).
    pub ordering_institution_id: String,
    /// Whether the ordering institution takes part in the item's scope in good QC standing.
    pub ordering_participates: bool,
    /// Recognisable prior results, youngest first.
    pub candidates: Vec<CandidateView>,
    /// True when an order must recognise one of them or give a re-test reason.
    pub decision_required: bool,
    /// The allowed re-test reasons: (code, Chinese label, English label).
    pub retest_reasons: Vec<ReasonView>,
}

/// A re-test reason (复查理由).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ReasonView {
    /// Code (`condition_changed`, …).
    pub code: String,
    /// Chinese label.
    pub label_zh: String,
    /// English label.
    pub label_en: String,
}

/// The allowed re-test reasons.
pub fn retest_reasons() -> Vec<ReasonView> {
    RetestReason::ALL
        .into_iter()
        .map(|r| ReasonView {
            code: r.code().into(),
            label_zh: r.label_zh().into(),
            label_en: r.label_en().into(),
        })
        .collect()
}

/// An order of a test or examination (检查检验申请).
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct OrderInput {
    /// Resident record id.
    pub resident_id: String,
    /// Item code (a catalogue code or an equivalent).
    pub item_code: String,
    /// Order day (default today).
    #[serde(default)]
    pub ordered_on: Option<NaiveDate>,
    /// The decision when recognisable results exist: `{"recognised": {"result": "<result id>"}}` or
    /// `{"repeated": {"reason": "emergency", "note": "…"}}`. Without candidates it may be omitted.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub decision: Option<Decision>,
}

/// An order as stored, with its decision and saving.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OrderView {
    /// Id.
    pub id: String,
    /// Resident record id.
    pub resident_id: String,
    /// Item code.
    pub item_code: String,
    /// Item name.
    pub item_name: String,
    /// Order day.
    pub ordered_on: NaiveDate,
    /// Ordering institution.
    pub ordering_institution_id: String,
    /// Ordering doctor.
    pub doctor_name: String,
    /// `recognised`, `repeated` or `ordered`.
    pub decision: String,
    /// The result recognised instead of a new test.
    pub recognised_result_id: Option<String>,
    /// Re-test reason code.
    pub retest_reason: Option<String>,
    /// Re-test reason in Chinese.
    pub retest_reason_zh: Option<String>,
    /// Doctor's note.
    pub note: String,
    /// Recognisable results at order time.
    pub candidates: i64,
    /// Saving booked by a recognition, fen.
    pub saving_fen: Option<i64>,
    /// Price level of the saving (`county`, `township`, `village`).
    pub price_level: Option<String>,
}

fn order_view(o: &OrderRow, item_name: &str, saving: Option<&SavingRow>) -> OrderView {
    OrderView {
        id: o.id.clone(),
        resident_id: o.resident_id.clone(),
        item_code: o.item_code.clone(),
        item_name: item_name.to_owned(),
        ordered_on: o.ordered_on,
        ordering_institution_id: o.ordering_institution_id.clone(),
        doctor_name: o.doctor_name.clone(),
        decision: o.decision.clone(),
        recognised_result_id: o.recognised_result_id.clone(),
        retest_reason_zh: o
            .retest_reason
            .as_deref()
            .and_then(RetestReason::parse)
            .map(|r| r.label_zh().to_owned()),
        retest_reason: o.retest_reason.clone(),
        note: o.note.clone(),
        candidates: o.candidates,
        saving_fen: saving.map(|s| s.amount),
        price_level: saving.map(|s| s.price_level.clone()),
    }
}
