//! `sanyi settle` and `sanyi insurance` through the real binary on a demo database.

use std::process::Command;

use chrono::Datelike;

fn sanyi(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sanyi"))
        .args(args)
        .env("SANYI_LOG", "error")
        .output()
        .expect("run sanyi");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_bureau_settles_the_demo_year_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ins.db");
    let db = db.to_str().unwrap();
    let (ok, _, err) = sanyi(&["demo", "--database", db, "--residents", "300", "--seed", "5"]);
    assert!(ok, "{err}");
    let year = (chrono::Utc::now().year() - 1).to_string();
    let xlsx = dir.path().join("r.xlsx");
    let (ok, out, err) = sanyi(&[
        "settle",
        "--database",
        db,
        "--year",
        &year,
        "--format",
        "json",
        "--xlsx",
        xlsx.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert!(!err.contains("settling"), "no progress bar when stderr is not a terminal: {err}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    let budgets: i64 = r["counties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["budget"].as_i64().unwrap())
        .sum();
    assert_eq!(budgets, r["distributable"].as_i64().unwrap(), "all in fen, allocations add up");
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"));
    // Text output, an interim month, and the same digest when re-run.
    let (ok, text, _) = sanyi(&["settle", "--database", db, "--year", &year]);
    assert!(
        ok && text.contains("distributable A") && text.contains(r["digest"].as_str().unwrap()),
        "{text}"
    );
    let (ok, text, _) = sanyi(&["settle", "--database", db, "--year", &year, "--month", "3"]);
    assert!(ok && text.contains("through month 3"), "{text}");
    let (ok, _, err) = sanyi(&["settle", "--database", db, "--year", "1999"]);
    assert!(!ok && err.contains("fund_year.missing"), "{err}");

    // A policy version from TOML: the demo's own start day is refused as an overlap.
    let (ok, toml_text, _) = sanyi(&["insurance", "policy-example", "--pool", "652300", "--year", &year]);
    assert!(ok && toml_text.contains("effective_from"));
    let file = dir.path().join("policy.toml");
    std::fs::write(&file, &toml_text).unwrap();
    let (ok, _, err) = sanyi(&["insurance", "policy-import", file.to_str().unwrap(), "--database", db]);
    assert!(!ok && err.contains("policy.overlap"), "{err}");
    let moved = toml_text
        .replace(&format!("{year}-01-01"), &format!("{year}-07-01"))
        .replace(&format!("{year}-demo"), &format!("{year}-h2"));
    std::fs::write(&file, moved).unwrap();
    let (ok, out, err) = sanyi(&["insurance", "policy-import", file.to_str().unwrap(), "--database", db]);
    assert!(ok, "{err}");
    assert!(out.contains(&format!("{year}-07-01")), "{out}");
}

#[test]
fn a_claim_is_settled_and_reversed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("claims.db");
    let db = db.to_str().unwrap();
    let (ok, _, err) = sanyi(&["demo", "--database", db, "--residents", "200", "--seed", "3"]);
    assert!(ok, "{err}");
    let year = chrono::Utc::now().year() - 1;
    // An insured person of the demo year (one with a stay).
    let resident = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let store = sanyi_store::Db::connect(db).await.unwrap();
            let cases = sanyi_store::insurance::inpatient_cases(&store, "652300", i64::from(year), 12)
                .await
                .unwrap();
            store.close().await;
            cases[0].resident_id.clone()
        });
    let claim = serde_json::json!({"claim_key": "CLI-1", "resident_id": resident, "outside_name": "自治区人民医院", "filed": true,
        "med_type": "11", "date": format!("{year}-06-15"), "charges": [{"code": "110200001", "quantity": 1}, {"code": "250101001", "quantity": 1}]});
    let file = dir.path().join("claim.json");
    std::fs::write(&file, claim.to_string()).unwrap();
    let (ok, out, err) = sanyi(&["insurance", "claim", file.to_str().unwrap(), "--database", db]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let s = &v["settlement"];
    assert_eq!(s["medfee_sumamt"], 2_500);
    assert_eq!(
        s["fund_pay_sumamt"].as_i64().unwrap() + s["acct_pay"].as_i64().unwrap() + s["psn_cash_pay"].as_i64().unwrap(),
        2_500
    );
    // The same key again is a duplicate; reversal works once.
    let (ok, _, err) = sanyi(&["insurance", "claim", file.to_str().unwrap(), "--database", db]);
    assert!(!ok && err.contains("claim.rejected.Duplicate"), "{err}");
    let id = v["id"].as_str().unwrap();
    let (ok, out, err) = sanyi(&["insurance", "reverse", id, "--database", db]);
    assert!(ok && out.contains("reversed"), "{out}{err}");
    let (ok, _, err) = sanyi(&["insurance", "reverse", id, "--database", db]);
    assert!(!ok && err.contains("claim.reverse.state"), "{err}");
    let (ok, _, err) = sanyi(&["insurance", "claim", file.to_str().unwrap(), "--database", db]);
    assert!(ok, "the key settles again after the reversal: {err}");
}
