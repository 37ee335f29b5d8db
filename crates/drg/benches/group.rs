//! Benchmarks of the grouper on the national CHS-DRG 1.1 tables (`../shared`):
//! scheme load, grouping of parsed records (plain, prepared, with trace), and the TSV path
//! (parse + group + write). Run with `cargo bench -p sanyi-drg`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use divan::{Bencher, black_box, counter::ItemsCount};
use sanyi_drg::tsv::{CaseColumns, write_header, write_row};
use sanyi_drg::{Case, Scheme, synthetic};

fn dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/chs-drg-1.1"))
}

fn files() -> &'static BTreeMap<String, String> {
    static F: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    F.get_or_init(|| {
        sanyi_drg::REQUIRED_FILES
            .iter()
            .chain(sanyi_drg::OPTIONAL_FILES.iter())
            .filter_map(|n| std::fs::read_to_string(dir().join(n)).ok().map(|t| ((*n).to_owned(), t)))
            .collect()
    })
}

fn scheme() -> &'static Scheme {
    static S: OnceLock<Scheme> = OnceLock::new();
    S.get_or_init(|| Scheme::from_files(files()).unwrap())
}

fn sample_text() -> &'static str {
    static T: OnceLock<String> = OnceLock::new();
    T.get_or_init(|| std::fs::read_to_string(dir().join("sample_cases.tsv")).unwrap())
}

/// The 2,000 sample records.
fn cases() -> &'static [Case] {
    static C: OnceLock<Vec<Case>> = OnceLock::new();
    C.get_or_init(|| {
        let text = sample_text();
        let mut lines = text.lines();
        let cols = CaseColumns::from_header(lines.next().unwrap()).unwrap();
        lines
            .enumerate()
            .map(|(i, l)| cols.parse_line(l, i + 2).unwrap().to_case())
            .collect()
    })
}

/// The sample file with its records repeated `REPEAT` times (one header).
const REPEAT: usize = 10;
fn big_text() -> &'static str {
    static T: OnceLock<String> = OnceLock::new();
    T.get_or_init(|| {
        let text = sample_text();
        let (header, body) = text.split_once('\n').unwrap();
        let mut s = format!("{header}\n");
        for _ in 0..REPEAT {
            s.push_str(body);
        }
        s
    })
}

fn main() {
    if !dir().join("mdc.tsv").exists() {
        println!("SKIPPED: ../shared not found (benchmarks need shared/data/chs-drg-1.1)");
        return;
    }
    // Warm the statics outside the measurements.
    let _ = (scheme(), cases(), big_text());
    divan::main();
}

/// Loading the national scheme from file contents in memory (parse, validate, compile).
#[divan::bench(sample_count = 20)]
fn load_scheme_from_files() -> Scheme {
    Scheme::from_files(black_box(files())).unwrap()
}

/// Loading the national scheme from its directory (read files + the above).
#[divan::bench(sample_count = 20)]
fn load_scheme_dir() -> Scheme {
    Scheme::load_dir(black_box(&dir())).unwrap()
}

/// Loading the illustrative demo scheme.
#[divan::bench]
fn load_demo_scheme(b: Bencher<'_, '_>) {
    let files = synthetic::demo_files();
    b.bench(|| Scheme::from_files(black_box(&files)).unwrap());
}

/// Grouping the 2,000 parsed sample records (codes hashed per record), no trace.
#[divan::bench]
fn group_parsed(b: Bencher<'_, '_>) {
    let (s, cases) = (scheme(), cases());
    b.counter(ItemsCount::new(cases.len())).bench(|| {
        let mut n = 0usize;
        for c in cases {
            n += usize::from(s.group(black_box(c)).is_grouped());
        }
        n
    });
}

/// Grouping the 2,000 records with codes already resolved to ids ([`Scheme::prepare`]).
#[divan::bench]
fn group_prepared(b: Bencher<'_, '_>) {
    let s = scheme();
    let prepared: Vec<_> = cases().iter().map(|c| s.prepare(c)).collect();
    b.counter(ItemsCount::new(prepared.len())).bench(|| {
        let mut n = 0usize;
        for p in &prepared {
            n += usize::from(black_box(p).group().is_grouped());
        }
        n
    });
}

/// Grouping the 2,000 records with a full trace.
#[divan::bench]
fn group_explained(b: Bencher<'_, '_>) {
    let (s, cases) = (scheme(), cases());
    b.counter(ItemsCount::new(cases.len())).bench(|| {
        let mut n = 0usize;
        for c in cases {
            n += s.explain(black_box(c)).trace.map_or(0, |t| t.steps.len());
        }
        n
    });
}

/// The TSV path on one thread: parse each line, group, write `case_id<TAB>drg` into a buffer
/// (20,000 records).
#[divan::bench]
fn tsv_parse_group_write(b: Bencher<'_, '_>) {
    let (s, text) = (scheme(), big_text());
    let n = text.lines().count() - 1;
    let mut out: Vec<u8> = Vec::with_capacity(n * 16);
    b.counter(ItemsCount::new(n)).bench_local(|| {
        out.clear();
        let mut lines = black_box(text).lines();
        let cols = CaseColumns::from_header(lines.next().unwrap()).unwrap();
        write_header(&mut out).unwrap();
        for (i, l) in lines.enumerate() {
            let row = cols.parse_line(l, i + 2).unwrap();
            let r = s.group_codes(&row.demographics(), row.diagnoses(), row.procedures(), false);
            write_row(&mut out, row.case_id, r.drg_code()).unwrap();
        }
        out.len()
    });
}
