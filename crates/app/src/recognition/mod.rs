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

pub mod demo;
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

/// Replaces or adds catalogue items of the actor's pool (administrators of the whole pool). Items
/// not named stay as they are. Every field is checked first; nothing is written on an error.
///
/// # Errors
/// `Forbidden` without the permission or for an administrator of one county only; `Validation`
/// naming `items[i].field`.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn put_items(app: &App, actor: &Actor, items: &[CatalogueItem]) -> Result<Catalogue, ServiceError> {
    actor.require_pool_level(Permission::RecognitionManage)?;
    let pool = actor_pool(app, actor).await?;
    if !pool.starts_with(actor.scope.division_prefix()) {
        return Err(ServiceError::NotFound);
    }
    let mut errs = Errors::default();
    let mut seen = HashSet::new();
    let now = Utc::now();
    let mut rows = Vec::new();
    if items.is_empty() {
        errs.push(FieldError::required("items"));
    }
    for (i, it) in items.iter().enumerate() {
        let f = |name: &str| format!("items[{i}].{name}");
        let code = it.code.trim();
        if code.is_empty() || code.len() > 32 {
            errs.push(FieldError::new(
                &f("code"),
                "recognition.code",
                "1 to 32 characters",
                "Item code is required",
                "项目编码不能为空",
            ));
        } else if !seen.insert(code.to_owned()) {
            errs.push(FieldError::new(
                &f("code"),
                "unique",
                "each code once",
                "The code appears twice",
                "项目编码重复",
            ));
        }
        if it.name.trim().is_empty() {
            errs.push(FieldError::required(&f("name")));
        }
        if ItemClass::parse(&it.class).is_none() {
            let expected = ItemClass::ALL.map(ItemClass::code).join(", ");
            errs.push(FieldError::new(
                &f("class"),
                "enum",
                &expected,
                "Unknown item class",
                "项目类别无效",
            ));
        }
        if !(0..=365).contains(&it.window_days) {
            errs.push(FieldError::new(
                &f("window_days"),
                "range",
                "0 to 365",
                "The window must be 0 to 365 days",
                "有效期应为 0 到 365 天",
            ));
        }
        if it.scope.trim().is_empty() {
            errs.push(FieldError::required(&f("scope")));
        }
        if it.equivalents.iter().any(|e| e.trim().is_empty() || e.trim() == code) {
            errs.push(FieldError::new(
                &f("equivalents"),
                "recognition.equivalent",
                "other, non-empty item codes",
                "An equivalent must be another item code",
                "等效项目须为其他项目编码",
            ));
        }
        for (name, v) in [
            ("price_county", it.price_county),
            ("price_township", it.price_township),
            ("price_village", it.price_village),
        ] {
            if v < 0 {
                errs.push(FieldError::new(
                    &f(name),
                    "money.non_negative",
                    ">= 0 fen",
                    "A price cannot be negative",
                    "价格不能为负数",
                ));
            }
        }
        let equivalents: Vec<String> = it.equivalents.iter().map(|e| e.trim().to_owned()).collect();
        rows.push(ItemRow {
            division_code: pool.clone(),
            code: code.to_owned(),
            name: it.name.trim().to_owned(),
            class: it.class.clone(),
            window_days: it.window_days,
            scope: it.scope.trim().to_owned(),
            equivalents: serde_json::to_string(&equivalents).unwrap_or_else(|_| "[]".into()),
            price_county: it.price_county,
            price_township: it.price_township,
            price_village: it.price_village,
            updated_at: now,
        });
    }
    errs.finish()?;
    let a = audit::entry(
        actor,
        &pool,
        "update",
        "recognition_item",
        "-",
        None,
        &format!(
            "{} item(s): {}",
            rows.len(),
            rows.iter().map(|r| r.code.as_str()).collect::<Vec<_>>().join(", ")
        ),
    );
    repo::upsert_items(&app.db, &rows, &a).await?;
    app.recognition.invalidate();
    self::items(app, actor).await
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

/// Adds or replaces participants of the actor's area (administrators). Others stay as they are.
///
/// # Errors
/// `Forbidden` without the permission; `Validation` naming `participants[i].field` (an institution
/// outside the area reads as unknown); nothing is written then.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn put_participants(app: &App, actor: &Actor, input: &[ParticipantView]) -> Result<Vec<ParticipantView>, ServiceError> {
    actor.require(Permission::RecognitionManage)?;
    let mut errs = Errors::default();
    let mut rows = Vec::new();
    let today = results::shanghai_day(Utc::now());
    let mut seen = HashSet::new();
    if input.is_empty() {
        errs.push(FieldError::required("participants"));
    }
    for (i, p) in input.iter().enumerate() {
        let f = |name: &str| format!("participants[{i}].{name}");
        let inst = registry::institution(&app.db, &p.institution_id)
            .await?
            .filter(|x| x.division_code.starts_with(actor.scope.division_prefix()));
        match &inst {
            None => errs.push(FieldError::new(
                &f("institution_id"),
                "institution.scope",
                "an institution of your area",
                "Unknown institution",
                "机构不存在或不在您的管辖范围内",
            )),
            Some(x) if !seen.insert(x.id.clone()) => errs.push(FieldError::new(
                &f("institution_id"),
                "unique",
                "each institution once",
                "Named twice",
                "机构重复",
            )),
            Some(_) => {}
        }
        if p.scopes.is_empty() || p.scopes.iter().any(|s| s.trim().is_empty()) {
            errs.push(FieldError::new(
                &f("scopes"),
                "recognition.scopes",
                "one or more HR scope labels",
                "Name the HR scopes",
                "须填写互认范围",
            ));
        }
        if p.qc_date.is_some_and(|d| d > today) {
            errs.push(FieldError::new(
                &f("qc_date"),
                "date.past",
                "a date not after today",
                "The QC date lies in the future",
                "质控日期不能晚于今天",
            ));
        }
        if let Some(x) = inst {
            let scopes: Vec<String> = p.scopes.iter().map(|s| s.trim().to_owned()).collect();
            rows.push(ParticipantRow {
                division_code: x.division_code,
                institution_id: x.id,
                scopes: serde_json::to_string(&scopes).unwrap_or_else(|_| "[]".into()),
                qc_passed: p.qc_passed,
                qc_date: p.qc_date,
                updated_at: Utc::now(),
            });
        }
    }
    errs.finish()?;
    let a = audit::entry(
        actor,
        &actor.division_code,
        "update",
        "recognition_participant",
        "-",
        None,
        &format!("{} participant(s)", rows.len()),
    );
    repo::upsert_participants(&app.db, &rows, &a).await?;
    app.recognition.invalidate();
    participants(app, actor).await
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

/// Everything an order or a check needs, loaded once.
struct Context {
    resident: Resident,
    ordering: Institution,
    tier: Tier,
    item: ItemRow,
    on: NaiveDate,
    candidates: Vec<Candidate>,
    priors: Vec<ResultRow>,
    ordering_participates: bool,
}

/// The catalogue item an order code names in a pool (directly or as an equivalent).
async fn context(app: &App, actor: &Actor, resident_id: &str, item_code: &str, on: Option<NaiveDate>) -> Result<Context, ServiceError> {
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

async fn candidate_views(app: &App, c: &Context) -> Result<Vec<CandidateView>, ServiceError> {
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

/// Orders an item for a resident. With recognisable prior results the decision is required: a
/// recognition books the saving (the avoided item at the ordering institution's price level), a
/// repeat writes its re-test reason to the record. Order, saving and audit entry are one transaction.
///
/// # Errors
/// `DecisionRequired` (with the candidates) when candidates exist and no decision was given;
/// `Validation` for a result that is not a candidate or a missing note; as [`check`].
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn order(app: &App, actor: &Actor, input: &OrderInput) -> Result<OrderView, ServiceError> {
    let c = context(app, actor, &input.resident_id, &input.item_code, input.ordered_on).await?;
    let outcome = match engine::decide(input.decision.as_ref(), &c.candidates) {
        Ok(o) => o,
        Err(DecisionError::Required(n)) => {
            let views = candidate_views(app, &c).await?;
            return Err(ServiceError::DecisionRequired {
                errors: vec![FieldError::new(
                    "decision",
                    "recognition.decision_required",
                    "recognise one of the candidates or give a re-test reason",
                    &format!("{n} recognisable result(s) exist: recognise one or order anyway with a re-test reason"),
                    &format!("该居民有 {n} 项可互认结果：请选择互认，或填写复查理由后再开单"),
                )],
                candidates: serde_json::to_value(&views).map_err(|e| ServiceError::Internal(e.into()))?,
            });
        }
        Err(DecisionError::NotACandidate(id)) => {
            return Err(ServiceError::Validation(vec![FieldError::new(
                "decision.recognised.result",
                "recognition.candidate",
                "the id of one of the candidates",
                &format!("Result {id} is not recognisable for this order"),
                "所选结果不可用于本次互认",
            )]));
        }
        Err(DecisionError::NoteRequired) => {
            return Err(ServiceError::Validation(vec![FieldError::new(
                "decision.repeated.note",
                "required",
                "a note explaining the clinical necessity",
                "A repeat for other clinical necessity needs a note",
                "因其他临床需要复查时须填写说明",
            )]));
        }
    };
    let now = Utc::now();
    let id = sanyi_store::new_id();
    let (decision, result_id, reason, note) = match &outcome {
        Outcome::Recognised(k) => ("recognised", Some(k.result.clone()), None, String::new()),
        Outcome::Repeated { reason, note } => ("repeated", None, Some(*reason), note.clone()),
        Outcome::Ordered { reason, note } => ("ordered", None, *reason, note.clone()),
    };
    if note.chars().count() > 500 {
        return Err(ServiceError::Validation(vec![FieldError::new(
            "decision.repeated.note",
            "length",
            "at most 500 characters",
            "The note is too long",
            "说明不能超过 500 字",
        )]));
    }
    let row = OrderRow {
        division_code: c.resident.division_code.clone(),
        id: id.clone(),
        resident_id: c.resident.id.clone(),
        item_code: c.item.code.clone(),
        ordering_division_code: c.ordering.division_code.clone(),
        ordering_institution_id: c.ordering.id.clone(),
        ordered_by: actor.username.clone(),
        doctor_name: actor.display_name.clone(),
        ordered_on: c.on,
        decision: decision.into(),
        recognised_result_id: result_id.clone(),
        retest_reason: reason.map(|r| r.code().to_owned()),
        note,
        candidates: c.candidates.len() as i64,
        created_at: now,
    };
    let saving = match &outcome {
        Outcome::Recognised(k) => Some(SavingRow {
            division_code: row.division_code.clone(),
            id: sanyi_store::new_id(),
            order_id: id.clone(),
            result_id: k.result.clone(),
            item_code: c.item.code.clone(),
            ordering_division_code: c.ordering.division_code.clone(),
            ordering_institution_id: c.ordering.id.clone(),
            price_level: c.tier.code().into(),
            amount: engine::saving(&engine_item(&c.item)?, c.tier).get(),
            booked_on: c.on,
            created_at: now,
        }),
        _ => None,
    };
    let detail = match &outcome {
        Outcome::Recognised(k) => format!("{} recognised result {} ({} days old)", c.item.code, k.result, k.age_days),
        Outcome::Repeated { reason, .. } => format!("{} repeated: {}", c.item.code, reason.code()),
        Outcome::Ordered { .. } => format!("{} ordered (nothing recognisable)", c.item.code),
    };
    let a = audit::entry(
        actor,
        &row.division_code,
        "order",
        "test_order",
        &id,
        Some(&row.resident_id),
        &detail,
    );
    repo::insert_order(&app.db, &row, saving.as_ref(), &a).await?;
    Ok(order_view(&row, &c.item.name, saving.as_ref()))
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
