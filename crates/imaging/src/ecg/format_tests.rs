//! Round trips and bad input for every format.

use super::*;
use chrono::NaiveDate;
use proptest::prelude::*;

fn sample() -> Ecg {
    let mut e = synthetic_ecg(11, 72, 10);
    e.patient_id = Some("652301195003150016".into());
    e.acquired_at = NaiveDate::from_ymd_opt(2026, 12, 1).and_then(|d| d.and_hms_opt(9, 30, 15));
    e
}

#[test]
fn synthetic_is_deterministic_and_complete() {
    let a = synthetic_ecg(3, 75, 10);
    assert_eq!(a, synthetic_ecg(3, 75, 10));
    assert_ne!(a, synthetic_ecg(4, 75, 10));
    assert_eq!(a.sample_rate_hz, 500);
    assert_eq!(a.leads.len(), 12);
    assert_eq!(a.len_samples(), 5000);
    let names: Vec<LeadName> = a.leads.iter().map(|l| l.name).collect();
    assert_eq!(names, LeadName::ALL.to_vec());
    // Einthoven: III = II − I.
    let (i, ii, iii) = (
        a.lead(LeadName::I).unwrap(),
        a.lead(LeadName::II).unwrap(),
        a.lead(LeadName::III).unwrap(),
    );
    assert!((0..5000).all(|k| iii[k] == ii[k] - i[k]));
}

#[test]
fn csv_round_trip() {
    let e = sample();
    let text = to_csv(&e);
    assert!(text.starts_with("# sample_rate_hz=500\n"));
    assert_eq!(parse_csv(text.as_bytes()).unwrap(), e);
    let (fmt, back) = parse_any(text.as_bytes()).unwrap();
    assert_eq!((fmt, back), (EcgFormat::Csv, e));
}

#[test]
fn csv_rate_from_time_column_and_lead_order() {
    let e = synthetic_ecg(1, 60, 3);
    let mut text = String::from("time_ms,V6,V5,V4,V3,V2,V1,avf,AVL,aVR,III,II,I\n");
    for k in 0..e.len_samples() {
        text.push_str(&format!("{}", k * 2));
        for l in LeadName::ALL.iter().rev() {
            text.push_str(&format!(",{}", e.lead(*l).unwrap()[k]));
        }
        text.push('\n');
    }
    let back = parse_csv(text.as_bytes()).unwrap();
    assert_eq!(back.sample_rate_hz, 500);
    assert_eq!(back.leads, e.leads);
}

#[test]
fn csv_errors_name_line_and_column() {
    let text = "# sample_rate_hz=500\nI,II,V1,V2,V3,V4,V5,V6\n1,2,3,4,5,6,7,8\n1,2,x3,4,5,6,7,8\n";
    let e = parse_csv(text.as_bytes()).unwrap_err();
    assert_eq!(
        e,
        EcgError::CsvCell {
            line: 4,
            column: 3,
            header: "V1".into(),
            value: "x3".into()
        }
    );
    assert!(e.message().contains("line 4, column 3"), "{}", e.message());
    assert!(e.message_zh().contains("第 4 行第 3 列"));

    let missing = "# sample_rate_hz=500\nI,II,V1\n1,2,3\n";
    assert_eq!(
        parse_csv(missing.as_bytes()).unwrap_err(),
        EcgError::MissingLeads {
            leads: vec![LeadName::V2, LeadName::V3, LeadName::V4, LeadName::V5, LeadName::V6]
        }
    );
    let short = "# sample_rate_hz=500\nI,II,V1,V2,V3,V4,V5,V6\n1,2,3,4,5,6,7,8\n";
    assert!(matches!(parse_csv(short.as_bytes()), Err(EcgError::TooShort { .. })));
    let no_rate = "I,II,V1,V2,V3,V4,V5,V6\n1,2,3,4,5,6,7,8\n";
    assert!(matches!(parse_csv(no_rate.as_bytes()), Err(EcgError::BadSampleRate { .. })));
    let bad_rate = "# sample_rate_hz=fast\nI,II,V1,V2,V3,V4,V5,V6\n";
    assert_eq!(
        parse_csv(bad_rate.as_bytes()).unwrap_err(),
        EcgError::BadSampleRate { value: "fast".into() }
    );
    let bad_col = "# sample_rate_hz=500\nI,II,V7\n";
    assert!(matches!(parse_csv(bad_col.as_bytes()), Err(EcgError::CsvShape { line: 2, .. })));
    let ragged = "# sample_rate_hz=500\nI,II\n1,2\n1\n";
    assert!(matches!(parse_csv(ragged.as_bytes()), Err(EcgError::CsvShape { line: 4, .. })));
}

#[test]
fn aecg_round_trip_with_reported_measurements() {
    let mut e = sample();
    e.reported = Some(measure(&e));
    let xml = to_aecg_xml(&e);
    assert!(xml.contains("MDC_ECG_LEAD_AVR"));
    let back = parse_aecg(xml.as_bytes()).unwrap();
    assert_eq!(back, e);
    let (fmt, _) = parse_any(xml.as_bytes()).unwrap();
    assert_eq!(fmt, EcgFormat::Aecg);
    // Without a time, TIME_RELATIVE is written and read.
    let mut e2 = synthetic_ecg(2, 80, 3);
    e2.patient_id = Some("A&B<1>".into());
    let back = parse_aecg(to_aecg_xml(&e2).as_bytes()).unwrap();
    assert_eq!(back, e2);
}

#[test]
fn aecg_with_origin_scale_mv_and_eight_leads() {
    let e = synthetic_ecg(5, 70, 3);
    let mut xml = String::from(
        "<?xml version=\"1.0\"?>\n<AnnotatedECG xmlns=\"urn:hl7-org:v3\"><effectiveTime><low value=\"20261201093015\"/></effectiveTime>\
         <component><series><component><sequenceSet>\
         <component><sequence><code code=\"TIME_RELATIVE\"/><value><head value=\"0\" unit=\"s\"/><increment value=\"2\" unit=\"ms\"/></value></sequence></component>",
    );
    for l in [
        LeadName::I,
        LeadName::II,
        LeadName::V1,
        LeadName::V2,
        LeadName::V3,
        LeadName::V4,
        LeadName::V5,
        LeadName::V6,
    ] {
        // digits d with value = origin + scale * d, origin 0.1 mV, scale 5 uV.
        let digits: Vec<String> = e.lead(l).unwrap().iter().map(|v| ((v - 100) / 5).to_string()).collect();
        xml.push_str(&format!(
            "<component><sequence><code code=\"{}\"/><value><origin value=\"0.1\" unit=\"mV\"/><scale value=\"5\" unit=\"uV\"/><digits>{}</digits></value></sequence></component>",
            l.mdc_code(),
            digits.join(" ")
        ));
    }
    xml.push_str("</sequenceSet></component></series></component></AnnotatedECG>");
    let back = parse_aecg(xml.as_bytes()).unwrap();
    assert_eq!(back.sample_rate_hz, 500);
    assert_eq!(
        back.acquired_at,
        NaiveDate::from_ymd_opt(2026, 12, 1).and_then(|d| d.and_hms_opt(9, 30, 15))
    );
    let v1 = e.lead(LeadName::V1).unwrap();
    let got = back.lead(LeadName::V1).unwrap();
    assert!(v1.iter().zip(got).all(|(a, b)| (a - b).abs() <= 5));
    assert_eq!(back.leads.len(), 12, "limb leads derived");
}

#[test]
fn aecg_errors() {
    let e = parse_aecg(b"<AnnotatedECG xmlns=\"urn:hl7-org:v3\">\n  <component>\n</AnnotatedECG>").unwrap_err();
    match &e {
        EcgError::MalformedXml { line, .. } => assert_eq!(*line, 3, "{e}"),
        other => panic!("{other:?}"),
    }
    assert!(e.message().contains("line 3"));
    let e = parse_aecg(b"<foo/>").unwrap_err();
    assert!(matches!(e, EcgError::NotAnEcg { .. }), "{e:?}");
    let e = parse_aecg(b"<AnnotatedECG xmlns=\"urn:hl7-org:v3\"/>").unwrap_err();
    assert_eq!(
        e,
        EcgError::NotAnEcg {
            detail: "no sequenceSet element".into()
        }
    );
    let mut xml = to_aecg_xml(&synthetic_ecg(1, 60, 3));
    xml = xml.replacen("<digits>", "<digits>12 abc ", 1);
    assert!(matches!(parse_aecg(xml.as_bytes()), Err(EcgError::BadWaveform { .. })));
    // Drop V3: named as missing.
    let xml = to_aecg_xml(&synthetic_ecg(1, 60, 3)).replace("MDC_ECG_LEAD_V3", "MDC_ECG_LEAD_V3R");
    assert_eq!(
        parse_aecg(xml.as_bytes()).unwrap_err(),
        EcgError::MissingLeads { leads: vec![LeadName::V3] }
    );
}

#[test]
fn dicom_round_trip() {
    let e = sample();
    let bytes = to_dicom_ecg(&e, 77);
    assert_eq!(parse_dicom_ecg(&bytes).unwrap(), e);
    let (fmt, _) = parse_any(&bytes).unwrap();
    assert_eq!(fmt, EcgFormat::Dicom);
    // A DR image is a DICOM file but not an ECG.
    let dr = crate::dicom::synthetic_dr(&crate::dicom::SyntheticDr {
        size: 32,
        ..Default::default()
    });
    assert!(matches!(parse_dicom_ecg(&dr), Err(EcgError::NotAnEcg { .. })));
    // Truncations: errors, never panics.
    for cut in (0..bytes.len()).step_by(997) {
        assert!(parse_any(&bytes[..cut]).is_err());
    }
}

#[test]
fn unknown_format() {
    assert_eq!(parse_any(&[0xFF, 0xFE, 0x00, 0x81]).unwrap_err(), EcgError::UnknownFormat);
}

#[test]
fn svg_has_grid_leads_calibration_and_text() {
    let e = sample();
    let m = measure(&e);
    let svg = render_svg(&e, &m);
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 275 172\""));
    assert!(!svg.contains("<script"));
    for l in LeadName::ALL {
        assert!(svg.contains(&format!(">{}</text>", l.as_str())), "{l}");
    }
    assert_eq!(svg.matches("<polyline").count(), 13);
    assert_eq!(svg.matches("h1 v-10 h5 v10 h2").count(), 4, "calibration pulses");
    assert!(svg.contains(&format!("HR {} bpm", m.heart_rate_bpm.unwrap())));
    assert!(svg.contains("25 mm/s"));
    assert!(svg.contains("652301195003150016"));
    assert!(svg.len() < 400_000, "decimated: {} bytes", svg.len());
    // Well-formed XML.
    roxmltree::Document::parse(&svg).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    #[test]
    fn parse_any_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_any(&bytes);
    }

    #[test]
    fn csv_and_xml_splices_never_panic(at in 0usize..3000, junk in "[0-9a-zA-Z<>/=\",# \n.-]{1,12}") {
        let e = synthetic_ecg(1, 60, 2);
        for text in [to_csv(&e), to_aecg_xml(&e)] {
            let mut b = text.into_bytes();
            let at = at.min(b.len());
            b.splice(at..at, junk.bytes());
            let _ = parse_any(&b);
        }
    }
}

#[test]
fn hand_built_unequal_leads_do_not_panic() {
    let mut e = synthetic_ecg(1, 75, 4);
    e.leads[5].samples_uv.truncate(10);
    e.leads.remove(7);
    let m = measure(&e);
    assert_eq!(m.heart_rate_bpm.map(|h| h.abs_diff(75) <= 3), Some(true));
    let _ = render_svg(&e, &m);
    let _ = to_csv(&e);
    let _ = to_aecg_xml(&e);
    assert!(parse_dicom_ecg(&to_dicom_ecg(&e, 1)).is_err());
}
