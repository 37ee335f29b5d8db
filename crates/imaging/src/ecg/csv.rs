//! The documented CSV format (see the module documentation of [`crate::ecg`]).

use super::{Ecg, EcgError, Lead, LeadName, assemble, parse_timestamp};

/// The header line: the `time_ms` column, the lead columns, every column's name.
type Header = (Option<usize>, Vec<(usize, LeadName)>, Vec<String>);

/// Parses the documented CSV.
pub fn parse_csv(bytes: &[u8]) -> Result<Ecg, EcgError> {
    let text = std::str::from_utf8(bytes).map_err(|e| EcgError::CsvShape {
        line: bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1,
        detail: "not UTF-8 text".into(),
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rate: Option<Result<u32, String>> = None;
    let mut patient_id = None;
    let mut acquired_at = None;
    let mut header: Option<Header> = None;
    let mut columns: Vec<Vec<i32>> = Vec::new();
    let mut times: Vec<f64> = Vec::new();
    for (idx, raw) in text.lines().enumerate() {
        let line_no = idx + 1;
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            if let Some((k, v)) = comment.split_once('=') {
                let v = v.trim();
                match k.trim() {
                    "sample_rate_hz" => {
                        rate = Some(
                            v.parse::<f64>()
                                .ok()
                                .filter(|r| r.fract() == 0.0 && *r > 0.0 && *r <= 1e6)
                                .map(|r| r as u32)
                                .ok_or_else(|| v.to_string()),
                        );
                    }
                    "patient_id" if !v.is_empty() => patient_id = Some(v.to_string()),
                    "acquired_at" => acquired_at = parse_timestamp(v),
                    _ => {}
                }
            }
            continue;
        }
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        match &header {
            None => {
                let mut time_col = None;
                let mut leads = Vec::new();
                for (c, name) in cells.iter().enumerate() {
                    if name.eq_ignore_ascii_case("time_ms") {
                        time_col = Some(c);
                    } else if let Some(l) = LeadName::parse(name) {
                        if leads.iter().any(|(_, x)| *x == l) {
                            return Err(EcgError::CsvShape {
                                line: line_no,
                                detail: format!("lead {l} appears twice in the header"),
                            });
                        }
                        leads.push((c, l));
                    } else {
                        return Err(EcgError::CsvShape {
                            line: line_no,
                            detail: format!("unknown column {name:?}: expected time_ms, I, II, III, aVR, aVL, aVF, V1 … V6"),
                        });
                    }
                }
                columns = vec![Vec::new(); leads.len()];
                header = Some((time_col, leads, cells.iter().map(|s| s.to_string()).collect()));
            }
            Some((time_col, leads, names)) => {
                if cells.len() != names.len() {
                    return Err(EcgError::CsvShape {
                        line: line_no,
                        detail: format!("{} cells, the header has {}", cells.len(), names.len()),
                    });
                }
                let num = |c: usize| -> Result<f64, EcgError> {
                    cells[c]
                        .parse::<f64>()
                        .ok()
                        .filter(|v| v.is_finite() && v.abs() < 1e9)
                        .ok_or_else(|| EcgError::CsvCell {
                            line: line_no,
                            column: c + 1,
                            header: names[c].clone(),
                            value: cells[c].to_string(),
                        })
                };
                if let Some(tc) = time_col {
                    let t = num(*tc)?;
                    if times.len() < 2 {
                        times.push(t);
                    }
                }
                for (k, (c, _)) in leads.iter().enumerate() {
                    columns[k].push(num(*c)?.round() as i32);
                }
            }
        }
    }
    let Some((_, leads, _)) = header else {
        return Err(EcgError::CsvShape {
            line: 1,
            detail: "no header line".into(),
        });
    };
    let rate = match rate {
        Some(Ok(r)) => r,
        Some(Err(v)) => return Err(EcgError::BadSampleRate { value: v }),
        None if times.len() == 2 && times[1] > times[0] => (1000.0 / (times[1] - times[0])).round() as u32,
        None => {
            return Err(EcgError::BadSampleRate {
                value: "none: no '# sample_rate_hz=' line and no time_ms column".into(),
            });
        }
    };
    let found = leads
        .into_iter()
        .zip(columns)
        .map(|((_, name), samples_uv)| Lead { name, samples_uv })
        .collect();
    assemble(rate, found, patient_id, acquired_at, None)
}

/// Writes the documented CSV (with `time_ms`, all 12 leads, metadata comments).
pub fn to_csv(ecg: &Ecg) -> String {
    let mut out = String::with_capacity(ecg.len_samples() * 12 * 6 + 200);
    out.push_str(&format!("# sample_rate_hz={}\n", ecg.sample_rate_hz));
    if let Some(p) = &ecg.patient_id {
        out.push_str(&format!("# patient_id={p}\n"));
    }
    if let Some(t) = ecg.acquired_at {
        out.push_str(&format!("# acquired_at={}\n", t.format("%Y-%m-%dT%H:%M:%S")));
    }
    out.push_str("time_ms");
    for l in &ecg.leads {
        out.push(',');
        out.push_str(l.name.as_str());
    }
    out.push('\n');
    let fs = f64::from(ecg.sample_rate_hz.max(1));
    for i in 0..ecg.len_samples() {
        let t = i as f64 * 1000.0 / fs;
        if t.fract() == 0.0 {
            out.push_str(&format!("{t:.0}"));
        } else {
            out.push_str(&format!("{t:.3}"));
        }
        for l in &ecg.leads {
            out.push(',');
            out.push_str(&l.samples_uv.get(i).copied().unwrap_or(0).to_string());
        }
        out.push('\n');
    }
    out
}
