//! The platform commands through the real binary: demo, migrate, user, import.

use std::process::Command;

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
fn demo_user_and_import_work_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let db = db.to_str().unwrap();
    let (ok, out, err) = sanyi(&["demo", "--database", db, "--residents", "60", "--seed", "3"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("3 counties") && out.contains("60 residents") && out.contains("village_doctor"),
        "{out}"
    );
    // The demo readings' DICOM and ECG files are kept beside the database.
    assert!(out.contains("remote readings:"), "{out}");
    assert!(dir.path().join("demo.db.files").join("sha256").is_dir(), "{out}");
    // Refreshing recreates the file.
    let (ok, _, err) = sanyi(&["demo", "--database", db, "--residents", "60", "--seed", "3"]);
    assert!(ok, "{err}");
    let (ok, out, _) = sanyi(&["migrate", "--database", db]);
    assert!(ok && out.contains("migrations applied"));

    // Users.
    let (ok, out, err) = sanyi(&[
        "user",
        "add",
        "doc2",
        "--role",
        "village_doctor",
        "--scope",
        "652301103201",
        "--password",
        "longenough1",
        "--database",
        db,
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("user doc2 created"));
    let (ok, _, err) = sanyi(&[
        "user",
        "add",
        "doc2",
        "--role",
        "village_doctor",
        "--scope",
        "652301103201",
        "--password",
        "longenough1",
        "--database",
        db,
    ]);
    assert!(!ok && err.contains("taken"), "{err}");
    let (ok, _, err) = sanyi(&[
        "user",
        "add",
        "x",
        "--role",
        "root",
        "--scope",
        "6523",
        "--password",
        "longenough1",
        "--database",
        db,
    ]);
    assert!(!ok && err.contains("unknown role"), "{err}");
    let (ok, _, err) = sanyi(&[
        "user",
        "add",
        "y",
        "--role",
        "nurse",
        "--scope",
        "6523",
        "--password",
        "short",
        "--database",
        db,
    ]);
    assert!(!ok && err.contains("8 characters"), "{err}");
    let (ok, out, _) = sanyi(&["user", "list", "--database", db]);
    assert!(ok && out.contains("doc2") && out.contains("admin"));
    // Deactivate, reactivate and unlock through the binary; unknown users are named.
    let (ok, out, err) = sanyi(&["user", "deactivate", "doc2", "--database", db]);
    assert!(ok && out.contains("doc2 deactivated"), "{err}");
    let (_, out, _) = sanyi(&["user", "list", "--database", db]);
    assert!(out.lines().any(|l| l.starts_with("doc2") && l.contains("inactive")), "{out}");
    let (ok, _, err) = sanyi(&["user", "activate", "doc2", "--database", db]);
    assert!(ok, "{err}");
    let (ok, out, err) = sanyi(&["user", "unlock", "doc2", "--database", db]);
    assert!(ok && out.contains("doc2 unlocked"), "{err}");
    let (ok, _, err) = sanyi(&["user", "unlock", "nobody", "--database", db]);
    assert!(!ok && !err.is_empty());
    // The audit chains of the demo hold, and each chain's head is printed.
    let (ok, out, err) = sanyi(&["audit", "verify", "--database", db]);
    assert!(ok && out.contains("every chain holds") && out.contains("652301:"), "{out}{err}");

    // Import: one good row, one bad check digit, then the same file again.
    let csv = dir.path().join("r.csv");
    std::fs::write(
        &csv,
        "id_number,name,village_code\n652301196103095173,马建军,652301103201\n652301196103095170,错号,652301103201\n",
    )
    .unwrap();
    let (ok, out, err) = sanyi(&["import", "residents", csv.to_str().unwrap(), "--database", db]);
    assert!(ok, "{err}");
    assert!(
        out.contains("1 inserted") && out.contains("1 rejected") && out.contains("line 3: id_number"),
        "{out}"
    );
    let (ok, out, _) = sanyi(&["import", "residents", csv.to_str().unwrap(), "--database", db, "--json"]);
    assert!(ok);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    insta::assert_json_snapshot!("import_residents_json", report);
    assert_eq!(report["inserted"], 0);
    assert_eq!(report["already_present"], 1);
    // A file without the required columns is refused as a whole.
    std::fs::write(&csv, "name\nx\n").unwrap();
    let (ok, _, err) = sanyi(&["import", "residents", csv.to_str().unwrap(), "--database", db]);
    assert!(!ok && err.contains("id_number"), "{err}");
}

#[test]
fn tick_fires_timers_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let db = db.to_str().unwrap();
    let (ok, _, err) = sanyi(&["demo", "--database", db, "--residents", "400", "--seed", "11"]);
    assert!(ok, "{err}");
    // A week later, the demo's pending referrals have outlived their response SLA.
    let later = (chrono::Utc::now() + chrono::Duration::days(7)).to_rfc3339();
    let (ok, out, err) = sanyi(&["tick", "--database", db, "--now", &later]);
    assert!(ok, "{err}");
    let n: usize = out.split_whitespace().next().unwrap().parse().unwrap();
    assert!(n >= 1, "{out}");
    let (ok, out, _) = sanyi(&["tick", "--database", db, "--now", &later]);
    assert!(ok && out.starts_with("0 referral(s)"), "timers fire once: {out}");
}

/// The referral benchmark runs end to end on a small scale: seeded referrals, inbox, indicators and
/// racing HTTP transitions with no lost update (on PostgreSQL too when the test database is given).
#[test]
fn the_referral_benchmark_finds_no_lost_update() {
    let (ok, out, err) = sanyi(&["bench", "referrals", "--count", "800", "--concurrent", "100"]);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("100 concurrent transitions on 50 referrals"), "{out}");
    assert!(out.contains("no lost update"), "{out}");
}
