//! The pool's item catalogue as versioned data (医保目录): drugs, consumables and medical service
//! items with the NHSA code as identifier, generic name and dosage form (which group the products
//! of one generic), strength, pack, manufacturer, category 甲/乙/丙, the item's own 乙 pre-self-pay
//! share, the price cap and the zero-mark-up flag. One catalogue serves procurement, prescribing
//! and settlement: claims and fraud checks price from the version in force on the day of care.
//!
//! A version is imported whole from CSV or Excel; a file with any bad row is refused with every
//! bad row named (line, column, rule), and nothing is stored.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use sanyi_domain::{BasisPoints, Fen};
use sanyi_insurance::ItemCategory;
use sanyi_insurance::catalogue::{Catalogue, CatalogueItem};
use sanyi_store::medicines::{self as repo, CatalogueItemRow, CatalogueVersionRow, ItemQuery};

use super::table::{self, Table};
use crate::{Actor, App, FieldError, Page, Paged, Permission, ServiceError, audit};

/// The columns of a catalogue file (header names).
pub const COLUMNS: [&str; 17] = [
    "code",
    "kind",
    "name_zh",
    "name_en",
    "generic_name",
    "dosage_form",
    "strength",
    "pack",
    "manufacturer",
    "category",
    "self_pay_percent",
    "price_cap_yuan",
    "unit",
    "zero_markup",
    "price_cap_village_yuan",
    "price_cap_township_yuan",
    "price_cap_county_yuan",
];

/// The columns a file must have (the others may be absent and are then empty).
const REQUIRED: [&str; 6] = ["code", "kind", "name_zh", "category", "price_cap_yuan", "unit"];

/// The demo's catalogue (illustrative, never the national list), loaded as data like any other.
pub const DEMO_CSV: &str = include_str!("../demo/catalogue.csv");

/// A catalogue version as shown.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct VersionView {
    /// Id.
    pub id: String,
    /// Pool code.
    pub pool: String,
    /// Version label.
    pub version: String,
    /// First day in force.
    pub effective_from: NaiveDate,
    /// The demo's illustrative catalogue.
    pub illustrative: bool,
    /// File it came from.
    pub source: String,
    /// Number of items.
    pub item_count: i64,
    /// Imported at.
    pub created_at: chrono::DateTime<Utc>,
}

impl From<CatalogueVersionRow> for VersionView {
    fn from(v: CatalogueVersionRow) -> Self {
        VersionView {
            id: v.id,
            pool: v.division_code,
            version: v.version,
            effective_from: v.effective_from,
            illustrative: v.illustrative,
            source: v.source,
            item_count: v.item_count,
            created_at: v.created_at,
        }
    }
}

/// One catalogue item as shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ItemView {
    /// NHSA code.
    pub code: String,
    /// `drug`, `consumable`, `service`.
    pub kind: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Generic name (drugs).
    pub generic_name: String,
    /// Dosage form (drugs).
    pub dosage_form: String,
    /// Strength.
    pub strength: String,
    /// Pack.
    pub pack: String,
    /// Manufacturer.
    pub manufacturer: String,
    /// `A` 甲, `B` 乙, `C` 丙.
    pub category: String,
    /// The item's own 乙 pre-self-pay share, basis points.
    pub self_pay_bp: Option<i64>,
    /// Price cap per unit, fen.
    pub price_cap: i64,
    /// Unit.
    pub unit: String,
    /// Sold at purchase price (零加成).
    pub zero_markup: bool,
    /// Price caps by level of care (`village`, `township`, `county`), fen, where they differ.
    pub tier_caps: std::collections::BTreeMap<String, i64>,
}

impl From<CatalogueItemRow> for ItemView {
    fn from(r: CatalogueItemRow) -> Self {
        ItemView {
            code: r.code,
            kind: r.kind,
            name_zh: r.name_zh,
            name_en: r.name_en,
            generic_name: r.generic_name,
            dosage_form: r.dosage_form,
            strength: r.strength,
            pack: r.pack,
            manufacturer: r.manufacturer,
            category: r.category,
            self_pay_bp: r.self_pay_bp,
            price_cap: r.price_cap,
            unit: r.unit,
            zero_markup: r.zero_markup,
            tier_caps: r
                .tier_caps
                .as_deref()
                .and_then(|t| serde_json::from_str(t).ok())
                .unwrap_or_default(),
        }
    }
}

/// The version of a pool's catalogue in force on a day, held in memory: the settlement engine's
/// view and the full rows.
#[derive(Debug)]
pub struct InForce {
    /// The version.
    pub version: CatalogueVersionRow,
    /// As the settlement engine reads it.
    pub engine: Catalogue,
    rows: HashMap<String, CatalogueItemRow>,
}

impl InForce {
    /// The item with `code`.
    pub fn item(&self, code: &str) -> Option<&CatalogueItemRow> {
        self.rows.get(code)
    }

    /// The drug or consumable `code` (a service item is not bought, stocked or prescribed), or the
    /// error naming `field`.
    ///
    /// # Errors
    /// `item.unknown` on `field`.
    pub fn goods(&self, code: &str, field: &str) -> Result<&CatalogueItemRow, FieldError> {
        self.item(code.trim()).filter(|it| it.kind != "service").ok_or_else(|| {
            FieldError::new(
                field,
                "item.unknown",
                "a drug or consumable of the catalogue in force",
                &format!("Unknown drug or consumable code {code:?}"),
                &format!("医保目录中没有药品或耗材编码 {code}"),
            )
        })
    }

    /// Every item.
    pub fn items(&self) -> impl Iterator<Item = &CatalogueItemRow> {
        self.rows.values()
    }

    /// Builds the in-memory form of a version's rows.
    ///
    /// # Errors
    /// `Internal` when stored rows break the engine's rules (they were checked on import).
    pub fn new(version: CatalogueVersionRow, rows: Vec<CatalogueItemRow>) -> Result<InForce, ServiceError> {
        let engine = Catalogue::new(rows.iter().map(engine_item).collect())
            .map_err(|p| ServiceError::Internal(anyhow::anyhow!("stored catalogue {} is invalid: {p:?}", version.id)))?;
        Ok(InForce {
            version,
            engine,
            rows: rows.into_iter().map(|r| (r.code.clone(), r)).collect(),
        })
    }
}

fn engine_item(r: &CatalogueItemRow) -> CatalogueItem {
    CatalogueItem {
        code: r.code.clone(),
        name_zh: r.name_zh.clone(),
        name_en: r.name_en.clone(),
        category: match r.category.as_str() {
            "A" => ItemCategory::A,
            "B" => ItemCategory::B,
            _ => ItemCategory::C,
        },
        price: Fen::new(r.price_cap),
        unit: r.unit.clone(),
        self_pay: r.self_pay_bp.and_then(|b| u32::try_from(b).ok()).map(BasisPoints::new),
        tier_caps: r
            .tier_caps
            .as_deref()
            .and_then(|t| serde_json::from_str::<std::collections::BTreeMap<String, i64>>(t).ok())
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, Fen::new(v)))
            .collect(),
    }
}

/// Loaded versions by (pool, version id).
type Loaded = HashMap<(String, String), Arc<InForce>>;

/// Versions are immutable: loaded once per id.
static LOADED: LazyLock<Mutex<Loaded>> = LazyLock::new(Default::default);

/// The version of `pool`'s catalogue in force on `day` (the latest start not after it).
///
/// # Errors
/// On a database error.
pub async fn in_force(app: &App, pool: &str, day: NaiveDate) -> Result<Option<Arc<InForce>>, ServiceError> {
    let versions = app.medicines.versions(&app.db, pool).await?;
    let Some(v) = versions.iter().rev().find(|v| v.effective_from <= day).cloned() else {
        return Ok(None);
    };
    let key = (pool.to_owned(), v.id.clone());
    if let Some(c) = LOADED.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&key) {
        return Ok(Some(c.clone()));
    }
    let rows = repo::items(&app.db, pool, &v.id).await?;
    let c = Arc::new(InForce::new(v, rows)?);
    LOADED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(key, c.clone());
    Ok(Some(c))
}

/// Every version of a pool, to pick the one in force on each day of many (a year's cases).
#[derive(Debug, Default)]
pub struct Timeline(Vec<Arc<InForce>>);

impl Timeline {
    /// Loads every version of `pool`.
    ///
    /// # Errors
    /// On a database error.
    pub async fn load(app: &App, pool: &str) -> Result<Timeline, ServiceError> {
        let mut out = Vec::new();
        for v in repo::versions(&app.db, pool).await? {
            if let Some(c) = in_force(app, pool, v.effective_from).await? {
                out.push(c);
            }
        }
        Ok(Timeline(out))
    }

    /// The version in force on `day`.
    pub fn at(&self, day: NaiveDate) -> Option<&InForce> {
        self.0.iter().rev().find(|c| c.version.effective_from <= day).map(AsRef::as_ref)
    }
}

/// The catalogue in force, or a field error on `field` saying the pool has none on that day.
///
/// # Errors
/// `Validation` when no version is in force; database errors.
pub async fn require_in_force(app: &App, pool: &str, day: NaiveDate, field: &str) -> Result<Arc<InForce>, ServiceError> {
    in_force(app, pool, day).await?.ok_or_else(|| {
        ServiceError::Validation(vec![FieldError::new(
            field,
            "catalogue.in_force",
            "a day on which a catalogue version of the pool is in force",
            &format!("No catalogue of pool {pool} is in force on {day}"),
            &format!("统筹区在 {day} 没有生效的医保目录"),
        )])
    })
}

/// A quantity below one unit, named on `field`.
pub(crate) fn quantity_error(quantity: i64, field: &str) -> Option<FieldError> {
    (quantity < 1).then(|| {
        FieldError::new(
            field,
            "quantity.positive",
            "at least 1 unit",
            "Quantity must be at least 1",
            "数量须不小于 1",
        )
    })
}

fn row_error(line: u64, column: &str, rule: &str, expected: &str, en: &str, zh: &str) -> FieldError {
    FieldError::new(
        &format!("rows[{line}].{column}"),
        rule,
        expected,
        &format!("Line {line}, {column}: {en}"),
        &format!("第 {line} 行 {column}：{zh}"),
    )
}

fn yes_no(s: &str) -> Option<bool> {
    match s.to_lowercase().as_str() {
        "yes" | "y" | "true" | "1" | "是" => Some(true),
        "no" | "n" | "false" | "0" | "否" | "" => Some(false),
        _ => None,
    }
}

/// Parses a catalogue file into items; every bad row is reported (line, column, rule).
///
/// # Errors
/// `Validation` listing every problem; nothing is half-read.
pub fn parse(bytes: &[u8], name: &str) -> Result<Vec<CatalogueItemRow>, ServiceError> {
    let t: Table = table::read(bytes, name)?;
    t.require(&REQUIRED)?;
    let mut errs = Vec::new();
    let mut items = Vec::with_capacity(t.rows.len());
    let mut seen: HashMap<String, u64> = HashMap::new();
    for (line, row) in &t.rows {
        let line = *line;
        let c = |col: &str| t.cell(row, col).to_owned();
        let before = errs.len();
        let code = c("code");
        if code.is_empty() || code.len() > 40 || code.chars().any(char::is_whitespace) {
            errs.push(row_error(
                line,
                "code",
                "code.format",
                "1 to 40 characters without spaces",
                "bad code",
                "编码须为 1–40 位且不含空格",
            ));
        } else if let Some(first) = seen.insert(code.clone(), line) {
            errs.push(row_error(
                line,
                "code",
                "code.duplicate",
                "each code once per file",
                &format!("code {code} already on line {first}"),
                &format!("编码 {code} 与第 {first} 行重复"),
            ));
        }
        let kind = match c("kind").as_str() {
            "drug" | "药品" => "drug",
            "consumable" | "耗材" | "医用耗材" => "consumable",
            "service" | "服务" | "医疗服务项目" => "service",
            _ => {
                errs.push(row_error(
                    line,
                    "kind",
                    "kind.one_of",
                    "drug, consumable or service",
                    "unknown kind",
                    "类别须为 药品、耗材 或 医疗服务项目",
                ));
                ""
            }
        };
        let name_zh = c("name_zh");
        if name_zh.is_empty() {
            errs.push(row_error(
                line,
                "name_zh",
                "required",
                "a Chinese name",
                "missing",
                "请填写中文名称",
            ));
        }
        let (generic_name, dosage_form) = (c("generic_name"), c("dosage_form"));
        if kind == "drug" && (generic_name.is_empty() || dosage_form.is_empty()) {
            errs.push(row_error(
                line,
                "generic_name",
                "drug.generic",
                "a generic name and a dosage form for every drug",
                "drugs need a generic name and a dosage form",
                "药品须填写通用名和剂型",
            ));
        }
        let category = match c("category").as_str() {
            "A" | "a" | "甲" | "甲类" => "A",
            "B" | "b" | "乙" | "乙类" => "B",
            "C" | "c" | "丙" | "丙类" | "自费" => "C",
            _ => {
                errs.push(row_error(
                    line,
                    "category",
                    "category.one_of",
                    "A/甲, B/乙 or C/丙",
                    "unknown category",
                    "医保类别须为 甲、乙 或 丙",
                ));
                ""
            }
        };
        let self_pay = c("self_pay_percent");
        let self_pay_bp = if self_pay.is_empty() {
            None
        } else {
            match BasisPoints::parse_percent(&self_pay) {
                Ok(bp) if category == "B" => Some(i64::from(bp.get())),
                Ok(_) => {
                    errs.push(row_error(
                        line,
                        "self_pay_percent",
                        "self_pay.class_b",
                        "a share only on 乙 items",
                        "only 乙 items have a pre-self-pay share",
                        "只有乙类项目有先自付比例",
                    ));
                    None
                }
                Err(e) => {
                    errs.push(row_error(
                        line,
                        "self_pay_percent",
                        "percent.format",
                        "a percentage from 0 to 100",
                        &e.message,
                        &e.message_zh,
                    ));
                    None
                }
            }
        };
        let price_cap = match Fen::parse_yuan(&c("price_cap_yuan")) {
            Ok(f) if f.get() > 0 => f.get(),
            Ok(_) => {
                errs.push(row_error(
                    line,
                    "price_cap_yuan",
                    "price.positive",
                    "a price above 0 yuan",
                    "must be above 0",
                    "限价须大于 0 元",
                ));
                0
            }
            Err(e) => {
                errs.push(row_error(
                    line,
                    "price_cap_yuan",
                    "money.yuan",
                    "yuan with at most two decimals, e.g. 4.60",
                    &e.message,
                    &e.message_zh,
                ));
                0
            }
        };
        // Caps by level of care (分级定价), each optional.
        let mut tier_caps = std::collections::BTreeMap::new();
        for (column, level) in [
            ("price_cap_village_yuan", "village"),
            ("price_cap_township_yuan", "township"),
            ("price_cap_county_yuan", "county"),
        ] {
            let text = c(column);
            if text.is_empty() {
                continue;
            }
            match Fen::parse_yuan(&text) {
                Ok(f) if f.get() > 0 => {
                    tier_caps.insert(level.to_owned(), f.get());
                }
                Ok(_) => errs.push(row_error(
                    line,
                    column,
                    "price.positive",
                    "a price above 0 yuan",
                    "must be above 0",
                    "限价须大于 0 元",
                )),
                Err(e) => errs.push(row_error(
                    line,
                    column,
                    "money.yuan",
                    "yuan with at most two decimals, e.g. 4.60",
                    &e.message,
                    &e.message_zh,
                )),
            }
        }
        let unit = c("unit");
        if unit.is_empty() {
            errs.push(row_error(
                line,
                "unit",
                "required",
                "a unit (片, 支, 次 …)",
                "missing",
                "请填写计价单位",
            ));
        }
        let zero_markup = yes_no(&c("zero_markup")).unwrap_or_else(|| {
            errs.push(row_error(
                line,
                "zero_markup",
                "yes_no",
                "yes/no (是/否)",
                "not yes or no",
                "零加成须填 是 或 否",
            ));
            false
        });
        if kind == "service" && zero_markup {
            errs.push(row_error(
                line,
                "zero_markup",
                "zero_markup.goods",
                "zero mark-up only on drugs and consumables",
                "services have no purchase price",
                "零加成只适用于药品和耗材",
            ));
        }
        if errs.len() == before {
            items.push(CatalogueItemRow {
                code,
                kind: kind.into(),
                name_zh,
                name_en: c("name_en"),
                generic_name,
                dosage_form,
                strength: c("strength"),
                pack: c("pack"),
                manufacturer: c("manufacturer"),
                category: category.into(),
                self_pay_bp,
                price_cap,
                unit,
                zero_markup,
                tier_caps: if tier_caps.is_empty() {
                    None
                } else {
                    serde_json::to_string(&tier_caps).ok()
                },
            });
        }
    }
    if items.is_empty() && errs.is_empty() {
        errs.push(FieldError::new(
            "file",
            "file.rows",
            "at least one item",
            "The file has no items",
            "文件中没有目录条目",
        ));
    }
    if errs.is_empty() {
        Ok(items)
    } else {
        Err(ServiceError::Validation(errs))
    }
}

/// A catalogue version to import.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct ImportInput {
    /// Version label, e.g. `2026-v2`.
    pub version: String,
    /// First day in force.
    pub effective_from: NaiveDate,
    /// File name (`.csv` or `.xlsx`).
    pub file_name: String,
    /// Marks the demo's illustrative catalogue.
    #[serde(default)]
    pub illustrative: bool,
}

/// Imports a whole catalogue version of the actor's pool from a CSV or Excel file.
///
/// # Errors
/// `Forbidden`/`PoolLevelOnly` without the pool-wide permission; `Validation` listing every bad
/// row, a bad label, or a start day taken by another version; nothing is stored then.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn import(app: &App, actor: &Actor, input: &ImportInput, bytes: &[u8]) -> Result<VersionView, ServiceError> {
    actor.require_pool_level(Permission::CatalogueManage)?;
    let pool = crate::drg::pool_of(actor);
    let version = input.version.trim();
    if version.is_empty() || version.chars().count() > 40 {
        return Err(ServiceError::Validation(vec![FieldError::new(
            "version",
            "version.format",
            "a label of 1 to 40 characters",
            "Bad version label",
            "版本号须为 1–40 个字符",
        )]));
    }
    let items = parse(bytes, &input.file_name)?;
    let existing = repo::versions(&app.db, &pool).await?;
    let mut errs = Vec::new();
    if existing.iter().any(|v| v.version == version) {
        errs.push(FieldError::new(
            "version",
            "version.unique",
            "a new label",
            "This version label is taken",
            "该版本号已存在",
        ));
    }
    if existing.iter().any(|v| v.effective_from == input.effective_from) {
        errs.push(FieldError::new(
            "effective_from",
            "effective_from.unique",
            "a day no other version starts on",
            "Another version starts that day",
            "已有版本在该日生效",
        ));
    }
    if !errs.is_empty() {
        return Err(ServiceError::Validation(errs));
    }
    let row = CatalogueVersionRow {
        division_code: pool.clone(),
        id: sanyi_store::new_id(),
        version: version.to_owned(),
        effective_from: input.effective_from,
        illustrative: input.illustrative,
        source: input.file_name.chars().take(120).collect(),
        item_count: items.len() as i64,
        created_by: actor.user_id.clone(),
        created_at: Utc::now(),
    };
    let a = audit::entry(
        actor,
        &pool,
        "import",
        "catalogue_version",
        &row.id,
        None,
        &format!("version={version} from={} items={}", input.effective_from, items.len()),
    );
    repo::insert_version(&app.db, &row, &items, &a).await?;
    app.medicines.invalidate();
    Ok(row.into())
}

/// The versions of the actor's pool, oldest first.
///
/// # Errors
/// On a database error.
pub async fn versions(app: &App, actor: &Actor) -> Result<Vec<VersionView>, ServiceError> {
    let pool = crate::drg::pool_of(actor);
    Ok(repo::versions(&app.db, &pool).await?.into_iter().map(VersionView::from).collect())
}

/// A search of a catalogue version.
#[derive(Clone, Debug, Default, Deserialize, ToSchema, utoipa::IntoParams)]
pub struct SearchQuery {
    /// Version id (default: the version in force today).
    pub version: Option<String>,
    /// Part of the code, name, generic name or manufacturer.
    pub q: Option<String>,
    /// `drug`, `consumable`, `service`.
    pub kind: Option<String>,
    /// `A`, `B`, `C`.
    pub category: Option<String>,
}

/// One page of a version's items.
///
/// # Errors
/// `NotFound` for an unknown version of the actor's pool.
pub async fn search(app: &App, actor: &Actor, q: &SearchQuery, page: Page) -> Result<(Option<VersionView>, Paged<ItemView>), ServiceError> {
    let pool = crate::drg::pool_of(actor);
    let all = repo::versions(&app.db, &pool).await?;
    let today = sanyi_domain::time::today();
    let version = match q.version.as_deref().filter(|v| !v.is_empty()) {
        Some(id) => Some(all.into_iter().find(|v| v.id == id).ok_or(ServiceError::NotFound)?),
        None => {
            let mut all = all;
            let current = all.iter().rposition(|v| v.effective_from <= today);
            current.map(|i| all.swap_remove(i))
        }
    };
    let Some(version) = version else {
        return Ok((None, Paged::new(Vec::new(), 0, page)));
    };
    let filter = ItemQuery {
        text: q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned),
        kind: q.kind.clone().filter(|k| !k.is_empty()),
        category: q.category.clone().filter(|c| !c.is_empty()),
    };
    let items = repo::search(&app.db, &pool, &version.id, &filter, page).await?;
    Ok((Some(version.into()), items.map(ItemView::from)))
}

/// The demo's catalogue as the settlement engine reads it.
///
/// # Errors
/// `Internal` if the embedded file were broken (a test parses it).
pub fn demo_engine() -> Result<Catalogue, ServiceError> {
    let items = parse(DEMO_CSV.as_bytes(), "catalogue.csv")?;
    Catalogue::new(items.iter().map(engine_item).collect()).map_err(|p| ServiceError::Internal(anyhow::anyhow!("demo catalogue: {p:?}")))
}

/// The demo's catalogue as if in force from `from` (without reading the database).
///
/// # Errors
/// `Internal` if the embedded file were broken (a test parses it).
pub fn demo_in_force(pool: &str, from: NaiveDate) -> Result<InForce, ServiceError> {
    let items = parse(DEMO_CSV.as_bytes(), "catalogue.csv")?;
    let version = CatalogueVersionRow {
        division_code: pool.to_owned(),
        id: "demo".into(),
        version: "示例目录 demo-1".into(),
        effective_from: from,
        illustrative: true,
        source: "demo/catalogue.csv".into(),
        item_count: items.len() as i64,
        created_by: "system".into(),
        created_at: Utc::now(),
    };
    InForce::new(version, items)
}

/// Registers the demo's illustrative catalogue for `pool` from `from`, unless the pool has one.
///
/// # Errors
/// On a database error.
pub async fn seed_demo(db: &sanyi_store::Db, pool: &str, from: NaiveDate) -> Result<(), ServiceError> {
    if !repo::versions(db, pool).await?.is_empty() {
        return Ok(());
    }
    let items = parse(DEMO_CSV.as_bytes(), "catalogue.csv")?;
    let row = CatalogueVersionRow {
        division_code: pool.to_owned(),
        id: sanyi_store::new_id(),
        version: "示例目录 demo-1".into(),
        effective_from: from,
        illustrative: true,
        source: "demo/catalogue.csv".into(),
        item_count: items.len() as i64,
        created_by: "system".into(),
        created_at: Utc::now(),
    };
    let a = audit::system_entry(pool, "import", "catalogue_version", &row.id, "demo catalogue (illustrative)");
    repo::insert_version(db, &row, &items, &a).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_catalogue_parses_and_keeps_its_prices() {
        let items = parse(DEMO_CSV.as_bytes(), "catalogue.csv").unwrap();
        assert!(items.len() >= 50);
        let by = |c: &str| items.iter().find(|i| i.code == c).unwrap();
        assert_eq!(by("250101001").price_cap, 2_000);
        assert_eq!(by("XA10AEG001").self_pay_bp, Some(2_000));
        assert!(by("XC08CAA002").zero_markup);
        assert_eq!(by("XC08CAA002").generic_name, by("XC08CAA001").generic_name);
        assert!(!by("110200005").zero_markup);
    }

    #[test]
    fn every_bad_row_is_named_and_nothing_is_kept() {
        let csv = "code,kind,name_zh,category,price_cap_yuan,unit,zero_markup,self_pay_percent,generic_name,dosage_form\n\
                   A1,drug,甲药,A,1.00,片,是,,甲,片剂\n\
                   A1,drug,重复,A,1.00,片,是,,甲,片剂\n\
                   B1,pill,乙,X,-1,,maybe,10,,\n\
                   S1,service,服务,A,5,次,yes,,,\n";
        let ServiceError::Validation(errs) = parse(csv.as_bytes(), "c.csv").unwrap_err() else {
            panic!()
        };
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "rows[3].code",
                "rows[4].kind",
                "rows[4].category",
                "rows[4].self_pay_percent",
                "rows[4].price_cap_yuan",
                "rows[4].unit",
                "rows[4].zero_markup",
                "rows[5].zero_markup",
            ]
        );
        assert!(errs[0].message_zh.contains("第 3 行"));
    }
}
