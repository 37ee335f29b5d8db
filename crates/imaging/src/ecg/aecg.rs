//! HL7 aECG (annotated ECG, urn:hl7-org:v3) reading and writing.

use roxmltree::{Document, Node};

use super::{Ecg, EcgError, Lead, LeadName, Measurements, assemble, parse_timestamp};

const HL7: &str = "urn:hl7-org:v3";

fn child<'a, 'i>(n: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    n.children().find(|c| c.is_element() && c.tag_name().name() == name)
}

fn code_of(n: Node<'_, '_>) -> Option<String> {
    child(n, "code").and_then(|c| c.attribute("code")).map(str::to_string)
}

/// Parses an HL7 aECG document (see [`crate::ecg`] for what is read).
pub fn parse_aecg(bytes: &[u8]) -> Result<Ecg, EcgError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let before = &bytes[..e.valid_up_to()];
        let line = before.iter().filter(|b| **b == b'\n').count() as u32 + 1;
        let column = (before.len() - before.iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1)) as u32 + 1;
        EcgError::MalformedXml {
            line,
            column,
            detail: "not UTF-8".into(),
        }
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let doc = Document::parse(text).map_err(|e| {
        let pos = e.pos();
        EcgError::MalformedXml {
            line: pos.row,
            column: pos.col,
            detail: e.to_string(),
        }
    })?;
    let root = doc.root_element();
    if root.tag_name().name() != "AnnotatedECG" || root.tag_name().namespace() != Some(HL7) {
        return Err(EcgError::NotAnEcg {
            detail: format!(
                "root element is {:?}, expected AnnotatedECG in namespace {HL7}",
                root.tag_name().name()
            ),
        });
    }
    let set = root
        .descendants()
        .find(|n| n.is_element() && n.tag_name().name() == "sequenceSet")
        .ok_or_else(|| EcgError::NotAnEcg {
            detail: "no sequenceSet element".into(),
        })?;
    let mut interval_s: Option<f64> = None;
    let mut head_time = None;
    let mut found = Vec::new();
    for seq in set.descendants().filter(|n| n.is_element() && n.tag_name().name() == "sequence") {
        let Some(code) = code_of(seq) else { continue };
        let Some(value) = child(seq, "value") else {
            continue;
        };
        if code == "TIME_ABSOLUTE" || code == "TIME_RELATIVE" {
            if let Some(inc) = child(value, "increment") {
                let v = inc.attribute("value").unwrap_or("");
                let unit = inc.attribute("unit").unwrap_or("s");
                let f = v.trim().parse::<f64>().map_err(|_| EcgError::BadSampleRate {
                    value: format!("increment {v:?}"),
                })?;
                interval_s = Some(match unit {
                    "ms" => f / 1000.0,
                    "us" => f / 1e6,
                    _ => f,
                });
            }
            if code == "TIME_ABSOLUTE" {
                head_time = child(value, "head").and_then(|h| h.attribute("value")).and_then(parse_timestamp);
            }
            continue;
        }
        let Some(name) = code.strip_prefix("MDC_ECG_LEAD_").and_then(LeadName::parse) else {
            continue;
        };
        let num = |node: Option<Node<'_, '_>>, default: f64| -> Result<(f64, f64), EcgError> {
            match node {
                None => Ok((default, 1.0)),
                Some(n) => {
                    let v = n.attribute("value").unwrap_or("");
                    let f = v.trim().parse::<f64>().map_err(|_| EcgError::BadWaveform {
                        detail: format!("lead {name}: {} value {v:?} is not a number", n.tag_name().name()),
                    })?;
                    let unit = match n.attribute("unit").unwrap_or("uV") {
                        "mV" => 1000.0,
                        "V" => 1e6,
                        "nV" => 0.001,
                        _ => 1.0,
                    };
                    Ok((f, unit))
                }
            }
        };
        let (origin, ou) = num(child(value, "origin"), 0.0)?;
        let (scale, su) = num(child(value, "scale"), 1.0)?;
        let digits = child(value, "digits").and_then(|d| d.text()).unwrap_or("");
        let mut samples = Vec::new();
        for (k, d) in digits.split_ascii_whitespace().enumerate() {
            let v: f64 = d.parse().map_err(|_| EcgError::BadWaveform {
                detail: format!("lead {name}: digit {} is {d:?}, not a number", k + 1),
            })?;
            samples.push((origin * ou + scale * su * v).round() as i32);
        }
        found.push(Lead { name, samples_uv: samples });
    }
    let rate = match interval_s {
        Some(i) if i > 0.0 && i.is_finite() => (1.0 / i).round().min(1e9) as u32,
        Some(i) => {
            return Err(EcgError::BadSampleRate {
                value: format!("increment {i} s"),
            });
        }
        None => {
            return Err(EcgError::BadSampleRate {
                value: "none: no TIME_ABSOLUTE/TIME_RELATIVE increment".into(),
            });
        }
    };
    let patient_id = ["trialSubject", "patient", "patientRole"].iter().find_map(|p| {
        root.descendants()
            .find(|n| n.is_element() && n.tag_name().name() == *p)
            .and_then(|n| child(n, "id"))
            .and_then(|id| id.attribute("extension").or(id.attribute("root")))
            .map(str::to_string)
    });
    let acquired_at = head_time.or_else(|| {
        child(root, "effectiveTime")
            .and_then(|e| child(e, "low").or(Some(e)))
            .and_then(|e| e.attribute("value"))
            .and_then(parse_timestamp)
    });
    let reported = read_annotations(root);
    assemble(rate, found, patient_id, acquired_at, reported)
}

fn read_annotations(root: Node<'_, '_>) -> Option<Measurements> {
    let mut m = Measurements::default();
    let mut any = false;
    for a in root.descendants().filter(|n| n.is_element() && n.tag_name().name() == "annotation") {
        let Some(code) = code_of(a) else { continue };
        let Some(value) = child(a, "value") else {
            continue;
        };
        let Some(v) = value.attribute("value").and_then(|v| v.trim().parse::<f64>().ok()) else {
            continue;
        };
        if !v.is_finite() || v < 0.0 {
            continue;
        }
        let ms = match value.attribute("unit") {
            Some("s") => v * 1000.0,
            _ => v,
        };
        let slot = match code.as_str() {
            "MDC_ECG_HEART_RATE" => {
                m.heart_rate_bpm = Some(v.round() as u32);
                any = true;
                continue;
            }
            "MDC_ECG_TIME_PD_RR" | "MDC_ECG_TIME_PD_RRI" => &mut m.rr_ms,
            "MDC_ECG_TIME_PD_PR" => &mut m.pr_ms,
            "MDC_ECG_TIME_PD_QRS" => &mut m.qrs_ms,
            "MDC_ECG_TIME_PD_QT" => &mut m.qt_ms,
            "MDC_ECG_TIME_PD_QTc" | "MDC_ECG_TIME_PD_QTcB" => &mut m.qtc_ms,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(ms.round() as u32);
            any = true;
        }
    }
    any.then_some(m)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Writes a minimal HL7 aECG document: one rhythm series with a `TIME_ABSOLUTE` (or
/// `TIME_RELATIVE` when the time is unknown) sequence, the 12 leads (origin 0, scale 1 µV), the
/// patient id under `trialSubject`, and `reported` measurements as annotations.
pub fn to_aecg_xml(ecg: &Ecg) -> String {
    let mut x = String::with_capacity(ecg.len_samples() * 12 * 5 + 4000);
    let interval = 1.0 / f64::from(ecg.sample_rate_hz.max(1));
    let time = ecg.acquired_at.map(|t| t.format("%Y%m%d%H%M%S%.3f").to_string());
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str("<AnnotatedECG xmlns=\"urn:hl7-org:v3\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n");
    x.push_str("  <id root=\"2.25.1\"/>\n  <code code=\"93000\" codeSystem=\"2.16.840.1.113883.6.12\"/>\n");
    if let Some(t) = &time {
        x.push_str(&format!("  <effectiveTime><low value=\"{t}\"/></effectiveTime>\n"));
    }
    if let Some(p) = &ecg.patient_id {
        x.push_str(&format!(
            "  <componentOf><timepointEvent><componentOf><subjectAssignment><subject><trialSubject><id extension=\"{}\"/></trialSubject></subject></subjectAssignment></componentOf></timepointEvent></componentOf>\n",
            escape(p)
        ));
    }
    x.push_str("  <component><series><code code=\"RHYTHM\" codeSystem=\"2.16.840.1.113883.5.4\"/>\n");
    x.push_str("    <component><sequenceSet>\n");
    match &time {
        Some(t) => x.push_str(&format!(
            "      <component><sequence><code code=\"TIME_ABSOLUTE\" codeSystem=\"2.16.840.1.113883.5.4\"/><value xsi:type=\"GLIST_TS\"><head value=\"{t}\"/><increment value=\"{interval}\" unit=\"s\"/></value></sequence></component>\n"
        )),
        None => x.push_str(&format!(
            "      <component><sequence><code code=\"TIME_RELATIVE\" codeSystem=\"2.16.840.1.113883.5.4\"/><value xsi:type=\"GLIST_PQ\"><head value=\"0\" unit=\"s\"/><increment value=\"{interval}\" unit=\"s\"/></value></sequence></component>\n"
        )),
    }
    for l in &ecg.leads {
        x.push_str(&format!(
            "      <component><sequence><code code=\"{}\" codeSystem=\"2.16.840.1.113883.6.24\"/><value xsi:type=\"SLIST_PQ\"><origin value=\"0\" unit=\"uV\"/><scale value=\"1\" unit=\"uV\"/><digits>",
            l.name.mdc_code()
        ));
        let mut first = true;
        for s in &l.samples_uv {
            if !first {
                x.push(' ');
            }
            first = false;
            x.push_str(&s.to_string());
        }
        x.push_str("</digits></value></sequence></component>\n");
    }
    x.push_str("    </sequenceSet></component>\n");
    if let Some(m) = &ecg.reported {
        x.push_str("    <subjectOf><annotationSet>\n");
        let items = [
            ("MDC_ECG_HEART_RATE", m.heart_rate_bpm, "bpm"),
            ("MDC_ECG_TIME_PD_RR", m.rr_ms, "ms"),
            ("MDC_ECG_TIME_PD_PR", m.pr_ms, "ms"),
            ("MDC_ECG_TIME_PD_QRS", m.qrs_ms, "ms"),
            ("MDC_ECG_TIME_PD_QT", m.qt_ms, "ms"),
            ("MDC_ECG_TIME_PD_QTc", m.qtc_ms, "ms"),
        ];
        for (code, v, unit) in items {
            if let Some(v) = v {
                x.push_str(&format!(
                    "      <component><annotation><code code=\"{code}\" codeSystem=\"2.16.840.1.113883.6.24\"/><value xsi:type=\"PQ\" value=\"{v}\" unit=\"{unit}\"/></annotation></component>\n"
                ));
            }
        }
        x.push_str("    </annotationSet></subjectOf>\n");
    }
    x.push_str("  </series></component>\n</AnnotatedECG>\n");
    x
}
