//! `sanyi drg …` end to end: the built binary on the shared CHS-DRG 1.1 sample, JSON output,
//! `scheme check`, `scheme demo`, and malformed input.
//!
//! Tests that need `../shared` print `SKIPPED: ../shared not found` when it is absent, and fail
//! instead under `CI=true`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sanyi"))
}

fn shared() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/chs-drg-1.1"));
    if dir.join("mdc.tsv").exists() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "../shared not found at {} (required under CI)",
        dir.display()
    );
    println!("SKIPPED: ../shared not found");
    None
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("the sanyi binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Source: chs-drg-1.1-grouping.md §8 and shared/data/chs-drg-1.1/README.md — the CLI output for
/// the 2,000 sample records equals the `expected_drg` column, in input order, with the header.
#[test]
fn group_sample_cases_tsv_matches_expected() {
    let Some(dir) = shared() else { return };
    let input = dir.join("sample_cases.tsv");
    let out_dir = tempfile::tempdir().unwrap();
    let out_file = out_dir.path().join("out.tsv");
    for threads in ["1", "2", "7"] {
        let o = run(bin()
            .args(["drg", "group", "--scheme"])
            .arg(&dir)
            .arg("--input")
            .arg(&input)
            .arg("--output")
            .arg(&out_file)
            .args(["--threads", threads]));
        assert!(o.status.success(), "{}", text(&o.stderr));
        let stderr = text(&o.stderr);
        assert!(stderr.contains("grouped 2,000 cases"), "{stderr}");
        assert!(stderr.contains("ungroupable (0000): 90"), "{stderr}");
        let expected: String = std::fs::read_to_string(&input)
            .unwrap()
            .lines()
            .enumerate()
            .map(|(i, l)| {
                let cells: Vec<&str> = l.split('\t').collect();
                if i == 0 {
                    "case_id\tdrg\n".to_owned()
                } else {
                    format!("{}\t{}\n", cells[0], cells[11])
                }
            })
            .collect();
        assert_eq!(std::fs::read_to_string(&out_file).unwrap(), expected, "threads {threads}");
    }
    assert!(!out_dir.path().join("out.tsv.partial").exists());
}

/// The same through standard input and output.
#[test]
fn group_stdin_to_stdout() {
    let Some(dir) = shared() else { return };
    let sample = std::fs::read_to_string(dir.join("sample_cases.tsv")).unwrap();
    let head: String = sample.lines().take(4).map(|l| format!("{l}\n")).collect();
    let mut child = bin()
        .args(["drg", "group", "-q", "--scheme"])
        .arg(&dir)
        .args(["--input", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(head.as_bytes()).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "case_id\tdrg\nS000001\tMJ19\nS000002\t0000\nS000003\tRC19\n");
    assert_eq!(text(&o.stderr), "", "--quiet prints no summary");
}

/// Source: chs-drg-1.1-grouping.md §8, examples 1 and 8 — JSON Lines with status, reason, codes,
/// name and (with --explain) the trace.
#[test]
fn group_json_with_trace() {
    let Some(dir) = shared() else { return };
    let sample = std::fs::read_to_string(dir.join("sample_cases.tsv")).unwrap();
    let mut lines = sample.lines();
    let mut input = format!("{}\n", lines.next().unwrap());
    for l in sample.lines().filter(|l| l.starts_with("S000001\t") || l.starts_with("S000553\t")) {
        input.push_str(l);
        input.push('\n');
    }
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("in.tsv");
    std::fs::write(&path, input).unwrap();

    let o = run(bin()
        .args(["drg", "group", "-q", "--format", "json", "--scheme"])
        .arg(&dir)
        .arg("--input")
        .arg(&path));
    assert!(o.status.success(), "{}", text(&o.stderr));
    let rows: Vec<serde_json::Value> = text(&o.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 2);
    // The JSON Lines interface as a whole: a changed field shows in review.
    insta::assert_json_snapshot!("drg_group_json", rows);
    assert_eq!(rows[0]["case_id"], "S000001");
    assert_eq!(rows[0]["status"], "grouped");
    assert_eq!(rows[0]["reason"], serde_json::Value::Null);
    assert_eq!(
        (rows[0]["mdc"].as_str(), rows[0]["adrg"].as_str(), rows[0]["drg"].as_str()),
        (Some("M"), Some("MJ1"), Some("MJ19"))
    );
    assert!(rows[0]["name_zh"].as_str().is_some_and(|n| !n.is_empty()));
    assert!(rows[0].get("trace").is_none());
    assert_eq!(rows[1]["drg"], "0000");
    assert_eq!(rows[1]["status"], "ungroupable");
    assert_eq!(rows[1]["reason"], "newborn_without_weight");

    let o = run(bin()
        .args(["drg", "group", "-q", "--format", "json", "--explain", "--scheme"])
        .arg(&dir)
        .arg("--input")
        .arg(&path));
    assert!(o.status.success(), "{}", text(&o.stderr));
    let rows: Vec<serde_json::Value> = text(&o.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let trace = rows[0]["trace"].as_array().unwrap();
    let entered: Vec<&str> = trace
        .iter()
        .filter(|s| s["step"] == "mdc_entry" && s["passed"] == true)
        .map(|s| s["mdc"].as_str().unwrap())
        .collect();
    assert_eq!(entered, ["A", "M"]);
    assert!(trace.iter().all(|s| s["zh"].is_string() && s["en"].is_string()));
    assert_eq!(rows[1]["trace"][0]["step"], "validation_failed");

    // A trace does not fit the TSV output.
    let o = run(bin()
        .args(["drg", "group", "--explain", "--scheme"])
        .arg(&dir)
        .arg("--input")
        .arg(&path));
    assert!(!o.status.success());
    assert!(text(&o.stderr).starts_with("error: --explain needs --format json"));
}

/// `scheme check` prints the shape of the national scheme.
#[test]
fn scheme_check_national() {
    let Some(dir) = shared() else { return };
    let o = run(bin().args(["drg", "scheme", "check"]).arg(&dir));
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("MDCs 26, ADRGs 376, DRGs 628"), "{out}");
    assert!(out.contains("mdc_diagnoses.tsv        29541 rows"), "{out}");
    assert!(out.contains("or_procedures.tsv        10251 rows"), "{out}");
    let o = run(bin().args(["drg", "scheme", "check", "--json"]).arg(&dir));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["drgs"], 628);
    assert_eq!(v["per_mdc"][0]["mdc"], "A");
}

/// `scheme demo` writes a scheme that `scheme check` accepts and whose demo records all group;
/// a broken table is reported as `file:line: reason` with a non-zero exit.
#[test]
fn scheme_demo_check_and_problems() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let o = run(bin().args(["drg", "scheme", "demo", "--cases", "500"]).arg(&dir));
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("示意方案，非国家分组"));
    assert!(dir.join("README.txt").exists());
    // Refuses to overwrite without --force.
    let o = run(bin().args(["drg", "scheme", "demo"]).arg(&dir));
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("--force"));

    let o = run(bin().args(["drg", "scheme", "check"]).arg(&dir));
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("scheme: 示意方案，非国家分组 (illustrative only)"));

    let out = tmp.path().join("demo.out.tsv");
    let o = run(bin()
        .args(["drg", "group", "--scheme"])
        .arg(&dir)
        .arg("--input")
        .arg(dir.join("demo_cases.tsv"))
        .arg("--output")
        .arg(&out));
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("ungroupable (0000): 0 "), "{}", text(&o.stderr));
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 501);

    // Break two tables.
    let adrg = std::fs::read_to_string(dir.join("adrg.tsv"))
        .unwrap()
        .replacen("\tmain_proc\t", "\tmain_procedure\t", 1);
    let line = adrg.lines().position(|l| l.contains("main_procedure")).unwrap() + 1;
    std::fs::write(dir.join("adrg.tsv"), adrg).unwrap();
    std::fs::remove_file(dir.join("cc.tsv")).unwrap();
    let o = run(bin().args(["drg", "scheme", "check"]).arg(&dir));
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains(&format!("adrg.tsv:{line}: unknown rule `main_procedure`")), "{err}");
    assert!(err.contains("cc.tsv: required file is missing"), "{err}");
    assert!(err.contains("2 problem(s)"), "{err}");

    // Grouping with a broken scheme fails the same way.
    let o = run(bin()
        .args(["drg", "group", "--scheme"])
        .arg(&dir)
        .arg("--input")
        .arg(dir.join("demo_cases.tsv")));
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).starts_with("error: "), "{}", text(&o.stderr));
}

fn write(path: &Path, s: &str) {
    std::fs::write(path, s).unwrap();
}

/// Structural input problems: `error: <file>:<line>: <column>: <reason>`, exit 1, no output file.
#[test]
fn malformed_input_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let scheme = tmp.path().join("scheme");
    let o = run(bin().args(["drg", "scheme", "demo", "--cases", "0"]).arg(&scheme));
    assert!(o.status.success(), "{}", text(&o.stderr));
    let header = "case_id\tsex\tage_years\tage_days\tweight_g\tmain_dx\tother_dx\tmain_proc\tother_procs\tlos_days";
    let input = tmp.path().join("bad.tsv");
    let out = tmp.path().join("out.tsv");
    let group = |extra: &[&str]| {
        run(bin()
            .args(["drg", "group", "--scheme"])
            .arg(&scheme)
            .arg("--input")
            .arg(&input)
            .arg("--output")
            .arg(&out)
            .args(extra))
    };

    // A short line (line 3).
    write(&input, &format!("{header}\nC1\t1\t40\t\t\tJ18.900\t\t\t\t3\nC2\t2\t55\n"));
    let o = group(&[]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        text(&o.stderr).trim_end(),
        format!("error: {}:3: age_days: expected 10 tab-separated cells, found 3", input.display())
    );
    assert!(!out.exists() && !tmp.path().join("out.tsv.partial").exists());

    // A missing column.
    write(&input, "case_id\tsex\tage_years\nC1\t1\t40\n");
    let o = group(&[]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        text(&o.stderr).trim_end(),
        format!("error: {}:1: age_days: missing required column", input.display())
    );

    // A line that is not UTF-8, in the main_dx column, far into the file (several parts).
    let mut bytes = format!("{header}\n").into_bytes();
    for i in 0..5000 {
        bytes.extend_from_slice(format!("C{i}\t1\t40\t\t\tJ18.900\t\t\t\t3\n").as_bytes());
    }
    bytes.extend_from_slice(b"C5000\t1\t40\t\t\tJ18\xff\t\t\t\t3\n");
    std::fs::write(&input, &bytes).unwrap();
    let o = group(&["--threads", "2"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        text(&o.stderr).trim_end(),
        format!("error: {}:5002: main_dx: not valid UTF-8", input.display())
    );

    // A blank line.
    write(
        &input,
        &format!("{header}\nC1\t1\t40\t\t\tJ18.900\t\t\t\t3\n\nC2\t1\t40\t\t\tJ18.900\t\t\t\t3\n"),
    );
    let o = group(&[]);
    assert_eq!(text(&o.stderr).trim_end(), format!("error: {}:3: empty line", input.display()));

    // An empty file, and a missing one.
    write(&input, "");
    let o = group(&[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains(":1: empty input: no header line"), "{}", text(&o.stderr));
    let o = run(bin()
        .args(["drg", "group", "--scheme"])
        .arg(&scheme)
        .args(["--input", "/nonexistent/x.tsv"]));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).starts_with("error: opening /nonexistent/x.tsv"),
        "{}",
        text(&o.stderr)
    );

    // Bad values are not errors: they group to 0000.
    write(&input, &format!("{header}\nC1\tX\tforty\tNaN\t\tJ18.900\t\t\t\t3\n"));
    let o = group(&[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "case_id\tdrg\nC1\t0000\n");
}
