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
