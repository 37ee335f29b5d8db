//! Ingest-path benchmarks: `cargo bench --bench parse`.
//!
//! The server's budget is ≥ 100 DR instances/s for parse + hash + store, so `parse_instance`
//! on a 512×512 16-bit DX file should stay far below 10 ms.

use sanyi_imaging::dicom::{RenderOptions, SyntheticDr, parse_instance, render_png, synthetic_dr};
use sanyi_imaging::ecg::{measure, parse_any, render_svg, synthetic_ecg, to_aecg_xml};

fn main() {
    divan::main();
}

fn dr() -> Vec<u8> {
    synthetic_dr(&SyntheticDr::default())
}

#[divan::bench]
fn parse_instance_dr_512(bencher: divan::Bencher<'_, '_>) {
    let bytes = dr();
    bencher.bench(|| parse_instance(divan::black_box(&bytes)).expect("valid"));
}

#[divan::bench]
fn render_png_dr_512_to_256(bencher: divan::Bencher<'_, '_>) {
    let bytes = dr();
    let options = RenderOptions {
        max_edge: Some(256),
        ..RenderOptions::default()
    };
    bencher.bench(|| render_png(divan::black_box(&bytes), &options).expect("renders"));
}

#[divan::bench]
fn synthetic_dr_512() -> Vec<u8> {
    dr()
}

#[divan::bench]
fn ecg_parse_aecg_measure_svg(bencher: divan::Bencher<'_, '_>) {
    let xml = to_aecg_xml(&synthetic_ecg(1, 75, 10));
    bencher.bench(|| {
        let (_, ecg) = parse_any(divan::black_box(xml.as_bytes())).expect("valid");
        let m = measure(&ecg);
        render_svg(&ecg, &m)
    });
}
