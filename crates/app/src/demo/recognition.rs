//! The demo's mutual recognition (互认演示数据): the prefecture's list (昌吉州HR) with windows per
//! docs/rules/recognition.md#validity-windows and illustrative prices, every institution a participant (a few failed their
//! quality control), a history of results that makes recent orders prompt recognition, and a year of
//! past orders, recognised and repeated, so that the dashboard shows figures.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use sanyi_care::recognition::{ItemClass, RetestReason};
use sanyi_sim::DemoWorld;
use sanyi_store::recognition::{self as repo, ItemRow, OrderRow, ParticipantRow, ResultRow, SavingRow};
use sanyi_store::registry::Institution;

use super::Demo;
use super::insurance::Places;
use crate::ServiceError;

/// The HR scope label of the demo prefecture's list.
pub const DEMO_SCOPE: &str = "昌吉州HR";

/// A demo item: code, name, class, unit, typical value, price at county / township / village in fen.
type DemoItem = (&'static str, &'static str, ItemClass, &'static str, &'static str, [i64; 3]);

/// The demo's items.
const ITEMS: &[DemoItem] = &[
    (
        "250101015",
        "血细胞分析（血常规）",
        ItemClass::RoutineLab,
        "",
        "WBC 6.2×10⁹/L, Hb 132 g/L, PLT 210×10⁹/L",
        [2_000, 1_800, 1_500],
    ),
    (
        "250301001",
        "血清钾测定（K）",
        ItemClass::RoutineLab,
        "mmol/L",
        "4.1",
        [800, 700, 600],
    ),
    (
        "250301002",
        "血清钠测定（Na）",
        ItemClass::RoutineLab,
        "mmol/L",
        "139",
        [800, 700, 600],
    ),
    (
        "250302001",
        "葡萄糖测定（Glu）",
        ItemClass::RoutineLab,
        "mmol/L",
        "6.8",
        [600, 500, 400],
    ),
    (
        "250305001",
        "丙氨酸氨基转移酶（ALT）",
        ItemClass::RoutineLab,
        "U/L",
        "28",
        [700, 600, 500],
    ),
    (
        "250307001",
        "肌酐测定（Cre）",
        ItemClass::RoutineLab,
        "μmol/L",
        "76",
        [700, 600, 500],
    ),
    (
        "250303001",
        "血清总胆固醇（TC）",
        ItemClass::RoutineLab,
        "mmol/L",
        "5.2",
        [700, 600, 500],
    ),
    (
        "250302005",
        "糖化血红蛋白（HbA1c）",
        ItemClass::SlowLab,
        "%",
        "7.1",
        [6_000, 5_500, 5_000],
    ),
    (
        "250403001",
        "乙型肝炎表面抗原（HBsAg）",
        ItemClass::SlowLab,
        "",
        "阴性",
        [2_000, 1_800, 1_500],
    ),
    (
        "250404005",
        "甲胎蛋白（AFP）",
        ItemClass::SlowLab,
        "ng/mL",
        "3.2",
        [3_500, 3_200, 3_000],
    ),
    (
        "250310003",
        "促甲状腺激素（TSH）",
        ItemClass::SlowLab,
        "mIU/L",
        "2.4",
        [3_000, 2_800, 2_500],
    ),
    (
        "210102015",
        "胸部DR摄影",
        ItemClass::Radiography,
        "",
        "双肺纹理清晰，心影不大",
        [12_000, 9_000, 8_000],
    ),
    (
        "210102020",
        "腰椎DR摄影",
        ItemClass::Radiography,
        "",
        "腰椎骨质增生",
        [12_000, 9_000, 8_000],
    ),
    (
        "210300001",
        "头颅CT平扫",
        ItemClass::CrossSectional,
        "",
        "颅内未见明显异常",
        [30_000, 26_000, 26_000],
    ),
    (
        "220301001",
        "腹部彩色多普勒超声",
        ItemClass::Ultrasound,
        "",
        "肝胆胰脾未见明显异常",
        [12_000, 10_000, 10_000],
    ),
];

/// The demo's catalogue of a pool.
pub fn demo_items(pool: &str) -> Vec<ItemRow> {
    let now = Utc::now();
    ITEMS
        .iter()
        .map(|(code, name, class, _, _, p)| ItemRow {
            division_code: pool.into(),
            code: (*code).into(),
            name: (*name).into(),
            class: class.code().into(),
            window_days: class.default_window_days(),
            scope: DEMO_SCOPE.into(),
            // The older code of the blood count is recognised as the same item.
            equivalents: if *code == "250101015" {
                r#"["250101001"]"#.into()
            } else {
                "[]".into()
            },
            price_county: p[0],
            price_township: p[1],
            price_village: p[2],
            updated_at: now,
        })
        .collect()
}

/// What the recognition demo seeded.
#[derive(Clone, Debug, Default)]
pub struct DemoSummary {
    /// Results indexed.
    pub results: usize,
    /// Past orders (recognised and repeated).
    pub orders: usize,
}

fn tier_index(i: &Institution) -> usize {
    match i.tier.as_str() {
        "county" => 0,
        "township" => 1,
        _ => 2,
    }
}

/// Participants: every institution of the world; the third township centre of each county and
/// every seventh village clinic failed its last quality control.
pub fn demo_participants(w: &DemoWorld, today: NaiveDate) -> Vec<ParticipantRow> {
    let mut townships = std::collections::HashMap::<&str, usize>::new();
    w.institutions
        .iter()
        .enumerate()
        .map(|(k, i)| {
            let failed = match i.tier.as_str() {
                "township" => {
                    let n = townships.entry(i.division_code.as_str()).or_default();
                    *n += 1;
                    *n == 3
                }
                "village" => k % 7 == 3,
                _ => false,
            };
            ParticipantRow {
                division_code: i.division_code.clone(),
                institution_id: i.id.clone(),
                scopes: format!(r#"["{DEMO_SCOPE}"]"#),
                qc_passed: !failed,
                qc_date: Some(today - Duration::days(60 + (k as i64 % 90))),
                updated_at: Utc::now(),
            }
        })
        .collect()
}

fn result(r: &sanyi_store::residents::Resident, item: usize, producer: &Institution, on: NaiveDate, rng: &mut ChaCha8Rng) -> ResultRow {
    let (code, _, _, unit, value, _) = ITEMS[item];
    let at = Utc
        .from_utc_datetime(&on.and_hms_opt(1, 0, 0).unwrap_or_default())
        .checked_add_signed(Duration::minutes(rng.random_range(0..480)))
        .unwrap_or_else(Utc::now);
    let id = sanyi_store::new_id();
    ResultRow {
        division_code: r.division_code.clone(),
        report_no: id.clone(),
        id,
        resident_id: r.id.clone(),
        item_code: code.into(),
        value: value.into(),
        unit: (!unit.is_empty()).then(|| unit.to_owned()),
        reference_range: None,
        abnormal: Some(if rng.random_range(0..5) == 0 { "high" } else { "normal" }.into()),
        producer_division_code: producer.division_code.clone(),
        producer_institution_id: producer.id.clone(),
        reported_at: at,
        reported_on: on,
        source: if ITEMS[item].2 == ItemClass::Radiography {
            "reading"
        } else {
            "api"
        }
        .into(),
        created_at: Utc::now(),
    }
}

/// Seeds the catalogue, the participants, results and past orders of the demo prefecture.
///
/// # Errors
/// On a database error.
pub async fn seed(demo: &Demo<'_>) -> Result<DemoSummary, ServiceError> {
    let (db, w, today, seed) = (&demo.app.db, demo.world, demo.params.today, demo.params.seed);
    let Some(pool) = &w.pool else { return Ok(DemoSummary::default()) };
    let audit = crate::audit::system_entry(&pool.division_code, "update", "recognition_item", "-", "demo catalogue");
    repo::upsert_items(db, &demo_items(&pool.division_code), &audit).await?;
    let participants = demo_participants(w, today);
    let audit = crate::audit::system_entry(&pool.division_code, "update", "recognition_participant", "-", "demo participants");
    repo::upsert_participants(db, &participants, &audit).await?;
    let failed: std::collections::HashSet<&str> = participants
        .iter()
        .filter(|p| !p.qc_passed)
        .map(|p| p.institution_id.as_str())
        .collect();
    let places = Places::new(w);
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x4852_2026);
    let first_village = w.users.iter().find(|u| u.role == "village_doctor").map(|u| u.scope_area.clone());
    let mut results = Vec::new();
    let mut orders = Vec::new();
    let mut savings = Vec::new();
    for (k, r) in w.residents.iter().enumerate() {
        let Some(lead) = places.lead_of.get(r.division_code.as_str()).copied() else {
            continue;
        };
        let township = r
            .village_code
            .get(..9)
            .and_then(|t| places.township_of.get(t))
            .copied()
            .unwrap_or(lead);
        let clinic = places.by_village.get(r.village_code.as_str()).copied().unwrap_or(township);
        let demo_village = first_village.as_deref() == Some(r.village_code.as_str());
        if demo_village {
            // Every resident of the demo village doctor's village had a blood count at the county
            // hospital two days ago and a chest DR at the township centre ten days ago: ordering
            // either prompts recognition.
            results.push(result(r, 0, lead, today - Duration::days(2), &mut rng));
            results.push(result(r, 11, township, today - Duration::days(10), &mut rng));
            results.push(result(r, 7, lead, today - Duration::days(40), &mut rng));
        } else if k % 4 == 0 {
            for _ in 0..rng.random_range(1..4) {
                let item = rng.random_range(0..ITEMS.len());
                let producer = if rng.random_range(0..3) == 0 { lead } else { township };
                results.push(result(
                    r,
                    item,
                    producer,
                    today - Duration::days(rng.random_range(0..120)),
                    &mut rng,
                ));
            }
        }
        // A year of past orders: a result at one institution, then an order of the same item at
        // another within the window, recognised three times in four.
        if k % 9 == 0 {
            let item = rng.random_range(0..ITEMS.len());
            let window = ITEMS[item].2.default_window_days().max(1);
            let ordered_on = today - Duration::days(rng.random_range(15..365));
            let (producer, orderer) = match rng.random_range(0..3) {
                0 => (lead, township),
                1 => (township, lead),
                _ => (township, clinic),
            };
            if failed.contains(producer.id.as_str()) || failed.contains(orderer.id.as_str()) {
                continue;
            }
            let prior = result(
                r,
                item,
                producer,
                ordered_on - Duration::days(rng.random_range(0..=window.min(6))),
                &mut rng,
            );
            let recognised = rng.random_range(0..4) != 0;
            let id = sanyi_store::new_id();
            let reasons = [
                RetestReason::ConditionChanged,
                RetestReason::Emergency,
                RetestReason::BeforeMajorIntervention,
                RetestReason::PatientRequest,
            ];
            orders.push(OrderRow {
                division_code: r.division_code.clone(),
                id: id.clone(),
                resident_id: r.id.clone(),
                item_code: prior.item_code.clone(),
                ordering_division_code: orderer.division_code.clone(),
                ordering_institution_id: orderer.id.clone(),
                ordered_by: "demo".into(),
                doctor_name: "演示医生".into(),
                ordered_on,
                decision: if recognised { "recognised" } else { "repeated" }.into(),
                recognised_result_id: recognised.then(|| prior.id.clone()),
                retest_reason: (!recognised).then(|| reasons[k % reasons.len()].code().to_owned()),
                note: String::new(),
                candidates: 1,
                created_at: Utc::now(),
            });
            if recognised {
                savings.push(SavingRow {
                    division_code: r.division_code.clone(),
                    id: sanyi_store::new_id(),
                    order_id: id,
                    result_id: prior.id.clone(),
                    item_code: prior.item_code.clone(),
                    ordering_division_code: orderer.division_code.clone(),
                    ordering_institution_id: orderer.id.clone(),
                    price_level: orderer.tier.clone(),
                    amount: ITEMS[item].5[tier_index(orderer)],
                    booked_on: ordered_on,
                    created_at: Utc::now(),
                });
            }
            results.push(prior);
        }
    }
    repo::insert_results(db, &results, &[]).await?;
    repo::insert_orders(db, &orders, &savings).await?;
    Ok(DemoSummary {
        results: results.len(),
        orders: orders.len(),
    })
}
