//! The ECG on standard paper as a self-contained SVG (no scripts, mm-based viewBox).

use std::fmt::Write;

use super::{Ecg, LeadName, Measurements};

/// Paper speed, mm per second.
const MM_PER_S: f64 = 25.0;
/// Gain, mm per millivolt.
const MM_PER_MV: f64 = 10.0;
const WIDTH: f64 = 275.0;
const HEIGHT: f64 = 172.0;
const GRID_X: f64 = 5.0;
const GRID_Y: f64 = 27.0;
const GRID_W: f64 = 265.0;
const ROW_H: f64 = 35.0;
const TRACE_X: f64 = 15.0;
/// Horizontal resolution of the decimated polylines, mm (min/max kept per bucket).
const BUCKET_MM: f64 = 0.2;

const LAYOUT: [[LeadName; 4]; 3] = [
    [LeadName::I, LeadName::AVR, LeadName::V1, LeadName::V4],
    [LeadName::II, LeadName::AVL, LeadName::V2, LeadName::V5],
    [LeadName::III, LeadName::AVF, LeadName::V3, LeadName::V6],
];

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn fmt_ms(v: Option<u32>) -> String {
    v.map_or_else(|| "—".to_string(), |v| v.to_string())
}

fn measurement_line(m: &Measurements) -> String {
    format!(
        "HR {} bpm   RR {} ms   PR {} ms   QRS {} ms   QT/QTc {}/{} ms",
        fmt_ms(m.heart_rate_bpm),
        fmt_ms(m.rr_ms),
        fmt_ms(m.pr_ms),
        fmt_ms(m.qrs_ms),
        fmt_ms(m.qt_ms),
        fmt_ms(m.qtc_ms)
    )
}

/// Appends a polyline of `samples[from..to]` starting at (`x0`, baseline `y0`), decimated to
/// the min and max of each 0.2 mm bucket so QRS peaks survive.
fn trace(out: &mut String, samples: &[i32], fs: f64, from: usize, to: usize, x0: f64, y0: f64) {
    let to = to.min(samples.len());
    if from >= to {
        return;
    }
    let per_bucket = ((BUCKET_MM / MM_PER_S) * fs).max(1.0);
    let y = |uv: i32| y0 - f64::from(uv) / 1000.0 * MM_PER_MV;
    let x = |i: usize| x0 + (i - from) as f64 / fs * MM_PER_S;
    out.push_str("<polyline class=\"t\" points=\"");
    let mut start = from as f64;
    while (start as usize) < to {
        let a = start as usize;
        let b = ((start + per_bucket) as usize).clamp(a + 1, to);
        let (mut lo, mut hi) = (a, a);
        for i in a..b {
            if samples[i] < samples[lo] {
                lo = i;
            }
            if samples[i] > samples[hi] {
                hi = i;
            }
        }
        let (first, second) = if lo <= hi { (lo, hi) } else { (hi, lo) };
        let _ = write!(out, "{:.2},{:.2} ", x(first), y(samples[first]));
        if second != first {
            let _ = write!(out, "{:.2},{:.2} ", x(second), y(samples[second]));
        }
        start += per_bucket;
    }
    out.push_str("\"/>\n");
}

/// Renders the 12 leads on standard ECG paper: 25 mm/s, 10 mm/mV, pink 1 mm / 5 mm grid, a
/// 3×4 layout (I, aVR, V1, V4 / II, aVL, V2, V5 / III, aVF, V3, V6; 2.5 s each) and a 10 s
/// lead II rhythm strip, each row starting with a 1 mV calibration pulse; the measurements
/// (and the file's own, when it carries some) printed above. A self-contained SVG document.
pub fn render_svg(ecg: &Ecg, m: &Measurements) -> String {
    let fs = f64::from(ecg.sample_rate_hz.max(1));
    let mut s = String::with_capacity(120_000);
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"{WIDTH}mm\" height=\"{HEIGHT}mm\" font-family=\"sans-serif\">"
    );
    s.push_str(concat!(
        "<defs><pattern id=\"minor\" width=\"1\" height=\"1\" patternUnits=\"userSpaceOnUse\">",
        "<path d=\"M1,0 V1 H0\" fill=\"none\" stroke=\"#f6c1c7\" stroke-width=\"0.05\"/></pattern>",
        "<pattern id=\"major\" width=\"5\" height=\"5\" patternUnits=\"userSpaceOnUse\">",
        "<rect width=\"5\" height=\"5\" fill=\"url(#minor)\"/>",
        "<path d=\"M5,0 V5 H0\" fill=\"none\" stroke=\"#e8838f\" stroke-width=\"0.15\"/></pattern></defs>\n",
        "<style>.t{fill:none;stroke:#000;stroke-width:0.25;stroke-linejoin:round}",
        ".l{font-size:3px;fill:#000}.h{font-size:3.2px;fill:#000}.c{fill:none;stroke:#000;stroke-width:0.3}</style>\n",
    ));
    let _ = writeln!(s, "<rect width=\"{WIDTH}\" height=\"{HEIGHT}\" fill=\"#fff\"/>");
    let _ = writeln!(
        s,
        "<rect x=\"{GRID_X}\" y=\"{GRID_Y}\" width=\"{GRID_W}\" height=\"{}\" fill=\"url(#major)\" stroke=\"#e8838f\" stroke-width=\"0.15\"/>",
        ROW_H * 4.0
    );
    // Header text.
    let mut who = String::new();
    if let Some(p) = &ecg.patient_id {
        who.push_str(&format!("ID {}   ", escape(p)));
    }
    if let Some(t) = ecg.acquired_at {
        who.push_str(&t.format("%Y-%m-%d %H:%M:%S").to_string());
    }
    let _ = writeln!(s, "<text class=\"h\" x=\"{GRID_X}\" y=\"6\">{who}</text>");
    let _ = writeln!(s, "<text class=\"h\" x=\"{GRID_X}\" y=\"12\">{}</text>", measurement_line(m));
    if let Some(r) = &ecg.reported {
        let _ = writeln!(
            s,
            "<text class=\"h\" x=\"{GRID_X}\" y=\"18\">Device: {}</text>",
            measurement_line(r)
        );
    }
    let _ = writeln!(
        s,
        "<text class=\"h\" x=\"{GRID_X}\" y=\"24\">25 mm/s   10 mm/mV   {} Hz</text>",
        ecg.sample_rate_hz
    );
    let cell_s = 2.5;
    let cell_mm = cell_s * MM_PER_S;
    let cell_n = (cell_s * fs) as usize;
    #[allow(clippy::needless_range_loop)] // row 3 is the rhythm strip, not in LAYOUT
    for row in 0..4 {
        let y0 = GRID_Y + ROW_H * row as f64 + ROW_H * 0.6;
        // Calibration pulse: 1 mV high, 0.2 s wide.
        let _ = writeln!(
            s,
            "<path class=\"c\" d=\"M{:.2},{y0:.2} h1 v-{MM_PER_MV} h5 v{MM_PER_MV} h2\"/>",
            GRID_X + 1.0
        );
        if row < 3 {
            for (col, lead) in LAYOUT[row].iter().enumerate() {
                let x0 = TRACE_X + cell_mm * col as f64;
                if let Some(samples) = ecg.lead(*lead) {
                    trace(&mut s, samples, fs, col * cell_n, (col + 1) * cell_n, x0, y0);
                }
                let _ = writeln!(
                    s,
                    "<text class=\"l\" x=\"{:.2}\" y=\"{:.2}\">{}</text>",
                    x0 + 1.0,
                    y0 - 12.0,
                    lead.as_str()
                );
                if col > 0 {
                    let _ = writeln!(s, "<path class=\"c\" d=\"M{x0:.2},{:.2} v4\"/>", y0 - 2.0);
                }
            }
        } else if let Some(samples) = ecg.lead(LeadName::II) {
            trace(&mut s, samples, fs, 0, (10.0 * fs) as usize, TRACE_X, y0);
            let _ = writeln!(s, "<text class=\"l\" x=\"{:.2}\" y=\"{:.2}\">II</text>", TRACE_X + 1.0, y0 - 12.0);
        }
    }
    s.push_str("</svg>\n");
    s
}
