//! `sanyi bench procurement`: the completion, usage and savings report of a prefecture-year over
//! `--lines` dispensed drug lines, then dispensing one prescription over HTTP at `--concurrency`
//! clients (stock decrement and audit), with its latency.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{Datelike, NaiveDate, Utc};
use rand::{Rng, SeedableRng};
use serde_json::json;

use sanyi_app::medicines::report::{ReportQuery, report};
use sanyi_app::{Actor, App};
use sanyi_sim::DemoParams;

use super::stats;

/// Parameters.
pub struct Params {
    /// Database (default: a temporary SQLite file).
    pub database: Option<String>,
    /// Residents of the demo prefecture.
    pub residents: usize,
    /// Dispensed drug lines to add to the demo year.
    pub lines: usize,
    /// Prescriptions dispensed over HTTP.
    pub dispenses: usize,
    /// Clients in parallel.
    pub concurrency: usize,
}

/// The drugs of the synthetic lines: (code, generic, form, selected, unit cost).
const DRUGS: &[(&str, &str, &str, bool, i64)] = &[
    ("XC08CAA001", "苯磺酸氨氯地平", "片剂", true, 12),
    ("XC08CAA002", "苯磺酸氨氯地平", "片剂", false, 460),
    ("XC09CAL001", "缬沙坦", "胶囊剂", true, 35),
    ("XC09CAL002", "缬沙坦", "胶囊剂", false, 360),
    ("XA10BAM001", "盐酸二甲双胍", "片剂", true, 5),
    ("XA10BAM002", "盐酸二甲双胍", "片剂", false, 58),
    ("XA02BCA001", "奥美拉唑", "肠溶胶囊", true, 18),
    ("XA02BCA002", "奥美拉唑", "肠溶胶囊", false, 60),
    ("XJ01CAA001", "阿莫西林", "胶囊剂", false, 20),
];

/// Adds `n` dispensed lines (three per prescription) over the demo year's institutions, each with
/// its dispensing move in the stock ledger (from one bench lot per institution and drug), as the
/// dispensing transaction writes them.
async fn add_lines(params: &DemoParams, db: &sanyi_store::Db, year: i32, n: usize) -> anyhow::Result<()> {
    // The same deterministic world the demo seeded.
    let w = sanyi_sim::generate(params);
    let institutions: Vec<(String, String)> = w.institutions.iter().map(|i| (i.division_code.clone(), i.id.clone())).collect();
    let residents: Vec<(String, String)> = w
        .residents
        .iter()
        .take(5_000)
        .map(|r| (r.division_code.clone(), r.id.clone()))
        .collect();
    anyhow::ensure!(
        !institutions.is_empty() && !residents.is_empty(),
        "the demo has no institutions or residents"
    );
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(15);
    let start = NaiveDate::from_ymd_opt(year, 1, 1).context("year")?;
    let expiry = NaiveDate::from_ymd_opt(year + 3, 12, 31).context("year")?;
    let now = Utc::now();
    let mut done = 0usize;
    let mut first = true;
    while done < n {
        let mut bulk = sanyi_store::pharmacy::BulkPharmacy::default();
        if first {
            for (i, (county, inst)) in institutions.iter().enumerate() {
                for (d, (code, _, _, _, cost)) in DRUGS.iter().enumerate() {
                    bulk.lots.push(
                        json!({"division_code": county, "id": format!("bench-lot-{i}-{d}"), "institution_id": inst, "item_code": code,
                        "lot_no": "BENCH", "expires_on": expiry, "unit_cost": cost, "quantity": 0, "project_id": null}),
                    );
                }
            }
            first = false;
        }
        while bulk.prescription_lines.len() < 300_000 && done < n {
            let i = rng.random_range(0..institutions.len());
            let (county, inst) = &institutions[i];
            let (r_county, resident) = &residents[rng.random_range(0..residents.len())];
            let id = sanyi_store::new_id();
            let rx_no = format!("B{}", &id[id.len() - 12..]);
            let prescriber = format!("bench-{}", rng.random_range(0..50));
            let day = start + chrono::Duration::days(rng.random_range(0..365));
            bulk.prescriptions.push(json!({"division_code": county, "id": id, "rx_no": rx_no,
                "institution_id": inst, "resident_division_code": r_county, "resident_id": resident, "prescriber": prescriber,
                "prescriber_name": "基准医生", "kind": "outpatient", "diagnosis": "I10", "days_supply": 7, "written_on": day, "state": "dispensed",
                "dispensed_on": day, "dispensed_by": "bench", "claim_key": null, "created_at": now}));
            for line in 1..=3 {
                let d = rng.random_range(0..DRUGS.len());
                let (code, generic, form, selected, cost) = DRUGS[d];
                let q = rng.random_range(7..60);
                bulk.prescription_lines.push(json!({"division_code": county, "prescription_id": id, "line_no": line, "institution_id": inst,
                    "prescriber": prescriber, "dispensed_on": day, "item_code": code, "generic_name": generic, "dosage_form": form, "quantity": q,
                    "unit_price": cost, "amount": cost * q, "selected": selected, "project_id": null}));
                bulk.moves.push(json!({"division_code": county, "id": sanyi_store::new_id(), "institution_id": inst, "lot_id": format!("bench-lot-{i}-{d}"),
                    "item_code": code, "kind": "dispense", "quantity": -q, "unit_cost": cost, "project_id": null, "ref_no": rx_no,
                    "moved_on": day, "moved_by": "bench", "created_at": now}));
                done += 1;
            }
        }
        sanyi_store::pharmacy::insert_bulk(db, &bulk).await?;
    }
    Ok(())
}

/// Runs the benchmark.
///
/// # Errors
/// On set-up failures or a refused request.
pub async fn run(p: Params) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("sanyi-bench-procurement-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = p.database.clone().unwrap_or_else(|| dir.join("bench.db").display().to_string());
    let db = sanyi_store::Db::connect(&url).await?;
    db.migrate().await?;
    let params = DemoParams {
        residents: p.residents,
        ..DemoParams::default()
    };
    let app = App::new(db.clone());
    let t = Instant::now();
    sanyi_app::demo::seed(&app, &params, None, &|_, _| {}).await?;
    println!(
        "demo with {} residents and its year of medicines seeded in {:.1} s",
        p.residents,
        t.elapsed().as_secs_f64()
    );
    let year = params.today.year() - 1;
    let t = Instant::now();
    add_lines(&params, &db, year, p.lines).await?;
    println!("{} dispensed drug lines added in {:.1} s", p.lines, t.elapsed().as_secs_f64());
    let as_of = NaiveDate::from_ymd_opt(year, 12, 31);
    for round in 1..=2 {
        let t = Instant::now();
        let r = report(&app, &Actor::system("6523"), &ReportQuery { as_of })
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        println!(
            "report of the prefecture-year (round {round}): {:.2} s — {} projects, {} usage lines by institution, {} by prescriber, saving {} yuan",
            t.elapsed().as_secs_f64(),
            r.projects.len(),
            r.by_institution.len(),
            r.by_prescriber.len(),
            sanyi_domain::Fen::new(r.total_saving).to_yuan_string()
        );
    }

    // Dispensing over HTTP: stock for the village clinic, prescriptions written (not timed), then
    // dispensed by `concurrency` clients.
    let server = super::LiveServer::start(&app).await?;
    let base = server.base.clone();
    let client = reqwest::Client::builder().pool_max_idle_per_host(p.concurrency).build()?;
    let officer = server.token(&client, "procurement").await?;
    let doctor = server.token(&client, "village_doctor").await?;
    let me: serde_json::Value = client
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(&doctor)
        .send()
        .await?
        .json()
        .await?;
    let clinic = me["institution_id"].as_str().context("village doctor without clinic")?.to_owned();
    let post = |path: String, token: String, body: serde_json::Value| {
        let client = client.clone();
        let base = base.clone();
        async move {
            let r = client.post(format!("{base}{path}")).bearer_auth(token).json(&body).send().await?;
            let s = r.status();
            let v: serde_json::Value = r.json().await.unwrap_or_default();
            anyhow::ensure!(s.is_success(), "{path}: {s} {v}");
            Ok::<_, anyhow::Error>(v)
        }
    };
    let units = i64::try_from(p.dispenses).unwrap_or(i64::MAX) * 2;
    let order = post(
        "/api/v1/pharmacy/orders".into(),
        officer.clone(),
        json!({"order_no": "BENCH-1", "supplier": "基准配送", "lines": [{"item_code": "XJ01CAA001", "quantity": units}]}),
    )
    .await?;
    let expiry = (Utc::now().date_naive() + chrono::Duration::days(700)).to_string();
    let delivery = post(
        format!("/api/v1/pharmacy/orders/{}/deliveries", order["id"].as_str().unwrap_or_default()),
        officer.clone(),
        json!({"delivery_no": "BENCH-1", "lines": [{"item_code": "XJ01CAA001", "lot_no": "B1", "expires_on": expiry, "quantity": units}]}),
    )
    .await?;
    post(
        format!("/api/v1/pharmacy/deliveries/{}/accept", delivery["id"].as_str().unwrap_or_default()),
        officer.clone(),
        json!({}),
    )
    .await?;
    post(
        "/api/v1/pharmacy/transfers".into(),
        officer.clone(),
        json!({"transfer_no": "BENCH-1", "to_institution_id": clinic, "item_code": "XJ01CAA001", "quantity": units}),
    )
    .await?;
    let page: serde_json::Value = client
        .get(format!("{base}/api/v1/residents?limit=1"))
        .bearer_auth(&doctor)
        .send()
        .await?
        .json()
        .await?;
    let resident = page["items"][0]["id"].as_str().context("no resident")?.to_owned();
    let mut ids = Vec::with_capacity(p.dispenses);
    for _ in 0..p.dispenses {
        let rx = post(
            "/api/v1/prescriptions".into(),
            doctor.clone(),
            json!({"resident_id": resident, "kind": "outpatient", "diagnosis": "J06.900", "days_supply": 3, "lines": [{"item_code": "XJ01CAA001", "quantity": 2}]}),
        )
        .await?;
        ids.push(rx["id"].as_str().unwrap_or_default().to_owned());
    }
    println!("{} prescriptions written; dispensing", ids.len());
    let queue = Arc::new(std::sync::Mutex::new(ids));
    let t = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..p.concurrency {
        let (queue, client, base, doctor) = (queue.clone(), client.clone(), base.clone(), doctor.clone());
        set.spawn(async move {
            let mut took: Vec<Duration> = Vec::new();
            loop {
                let Some(id) = queue.lock().map_err(|_| anyhow::anyhow!("queue"))?.pop() else {
                    break;
                };
                let s = Instant::now();
                let r = client
                    .post(format!("{base}/api/v1/prescriptions/{id}/dispense"))
                    .bearer_auth(&doctor)
                    .json(&json!({}))
                    .send()
                    .await?;
                anyhow::ensure!(r.status().is_success(), "dispense {id}: {}", r.status());
                took.push(s.elapsed());
            }
            Ok::<_, anyhow::Error>(took)
        });
    }
    let mut all = Vec::new();
    while let Some(r) = set.join_next().await {
        all.extend(r??);
    }
    let wall = t.elapsed();
    println!(
        "dispensing {} prescriptions at {} clients: {:.0} per second; {}",
        all.len(),
        p.concurrency,
        all.len() as f64 / wall.as_secs_f64(),
        stats(all)
    );
    let left: serde_json::Value = client
        .get(format!("{base}/api/v1/pharmacy/stock?institution_id={clinic}"))
        .bearer_auth(&officer)
        .send()
        .await?
        .json()
        .await?;
    let remaining: i64 = left
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|l| l["item_code"] == "XJ01CAA001" && l["lot_no"] == "B1")
                .filter_map(|l| l["quantity"].as_i64())
                .sum()
        })
        .unwrap_or(0);
    anyhow::ensure!(
        remaining == 0,
        "stock left after dispensing everything: {remaining} (lost or duplicated decrements)"
    );
    println!("stock after dispensing: {remaining} units left of {units} (none lost, none taken twice)");
    server.stop().await?;
    Ok(())
}
