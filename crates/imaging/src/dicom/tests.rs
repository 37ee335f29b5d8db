use super::text::encode_gb18030;
use super::writer::DataSetWriter;
use super::*;
use proptest::prelude::*;

fn small() -> SyntheticDr {
    SyntheticDr {
        size: 48,
        ..SyntheticDr::default()
    }
}

/// A minimal instance with the given extra elements, for edge cases.
fn minimal(edit: impl FnOnce(&mut DataSetWriter)) -> Vec<u8> {
    let mut ds = DataSetWriter::new();
    ds.text(0x0008_0016, b"UI", DX_FOR_PRESENTATION)
        .text(0x0008_0018, b"UI", "1.2.3.3")
        .text(0x0010_0020, b"LO", "P1")
        .text(0x0020_000D, b"UI", "1.2.3.1")
        .text(0x0020_000E, b"UI", "1.2.3.2");
    edit(&mut ds);
    ds.to_part10(DX_FOR_PRESENTATION, "1.2.3.3")
}

#[test]
fn synthetic_dr_round_trips_every_field() {
    let spec = SyntheticDr {
        seed: 42,
        patient_id: "652301198001011234".into(),
        patient_name: "Wang^Xiaoming=王^小明".into(),
        sex: Sex::Female,
        accession_number: "ACC-7".into(),
        ..SyntheticDr::default()
    };
    let bytes = synthetic_dr(&spec);
    assert_eq!(bytes, synthetic_dr(&spec), "deterministic");
    let i = parse_instance(&bytes).unwrap();
    assert_eq!(i.study_instance_uid, derive_uid(42, "study"));
    assert_eq!(i.series_instance_uid, derive_uid(42, "series"));
    assert_eq!(i.sop_instance_uid, derive_uid(42, "sop"));
    assert_eq!(i.sop_class_uid, DX_FOR_PRESENTATION);
    assert_eq!(i.transfer_syntax_uid, EXPLICIT_VR_LE);
    assert_eq!(i.modality.as_deref(), Some("DX"));
    assert_eq!(i.patient_id.as_deref(), Some("652301198001011234"));
    assert_eq!(i.patient_name.as_deref(), Some("王小明"));
    assert_eq!(i.patient_name_raw.as_deref(), Some("Wang^Xiaoming=王^小明"));
    assert_eq!(i.patient_sex, Some(Sex::Female));
    assert_eq!(i.birth_date, NaiveDate::from_ymd_opt(1950, 3, 15));
    assert_eq!(i.accession_number.as_deref(), Some("ACC-7"));
    assert_eq!(i.study_datetime(), Some(spec.study_datetime));
    assert_eq!(i.study_description.as_deref(), Some("胸部正位 DR"));
    assert_eq!(i.institution_name.as_deref(), Some("昌吉市榆树沟镇卫生院"));
    assert_eq!(i.body_part_examined.as_deref(), Some("CHEST"));
    assert_eq!((i.series_number, i.instance_number), (Some(1), Some(1)));
    assert_eq!((i.rows, i.columns), (Some(512), Some(512)));
    assert_eq!(i.window_center, Some(2000.0));
    assert_eq!(i.window_width, Some(3600.0));
    assert_eq!(i.number_of_frames, 1);
    assert_eq!(i.specific_character_set, vec!["GB18030".to_string()]);
    assert!(i.has_pixel_data);
    assert!(i.other_patient_ids.is_empty());
    assert!(i.check_renderable().is_ok());
}

#[test]
fn four_byte_gb18030_name_survives() {
    let spec = SyntheticDr {
        patient_name: "刘^䶮㐀".into(),
        ..small()
    };
    let i = parse_instance(&synthetic_dr(&spec)).unwrap();
    assert_eq!(i.patient_name.as_deref(), Some("刘䶮㐀"));
}

#[test]
fn gbk_and_gb2312_declarations() {
    for declared in ["GBK", "GB2312", "ISO 2022 IR 58", "\\ISO 2022 IR 58", "ISO_IR 58", ""] {
        let file = minimal(|ds| {
            if !declared.is_empty() {
                ds.text(0x0008_0005, b"CS", declared);
            }
            let mut name = Vec::new();
            if declared.contains("2022") {
                name.extend_from_slice(b"\x1b$)A");
            }
            name.extend_from_slice(&encode_gb18030("李^四"));
            ds.raw_text(0x0010_0010, b"PN", &name)
                .raw_text(0x0008_0080, b"LO", &encode_gb18030("昌吉州人民医院"));
        });
        let i = parse_instance(&file).unwrap();
        assert_eq!(i.patient_name.as_deref(), Some("李四"), "declared {declared:?}");
        assert_eq!(i.institution_name.as_deref(), Some("昌吉州人民医院"), "declared {declared:?}");
    }
}

#[test]
fn other_patient_ids_from_both_attributes() {
    let file = minimal(|ds| {
        let mut item = DataSetWriter::new();
        item.text(0x0010_0020, b"LO", "MRN-9").text(0x0010_0022, b"CS", "TEXT");
        ds.text(0x0010_1000, b"LO", "HIS-1\\652301195003150016")
            .sequence(0x0010_1002, &[item]);
    });
    let i = parse_instance(&file).unwrap();
    assert_eq!(i.other_patient_ids, vec!["HIS-1", "652301195003150016", "MRN-9"]);
    assert!(!i.has_pixel_data);
    assert_eq!(i.patient_name, None);
}

#[test]
fn errors_name_what_is_wrong() {
    assert_eq!(parse_instance(b"hello"), Err(DicomError::NotDicom));
    assert_eq!(parse_instance(&[0u8; 300]), Err(DicomError::NotDicom));

    let no_study = {
        let mut ds = DataSetWriter::new();
        ds.text(0x0008_0016, b"UI", DX_FOR_PRESENTATION)
            .text(0x0008_0018, b"UI", "1.2.3.3")
            .text(0x0010_0020, b"LO", "P1")
            .text(0x0020_000E, b"UI", "1.2.3.2");
        ds.to_part10(DX_FOR_PRESENTATION, "1.2.3.3")
    };
    let e = parse_instance(&no_study).unwrap_err();
    assert_eq!(
        e,
        DicomError::MissingAttribute {
            attribute: "StudyInstanceUID",
            tag: "(0020,000D)".into()
        }
    );
    assert!(e.message().contains("StudyInstanceUID"));
    assert!(e.message_zh().contains("StudyInstanceUID"));
    assert_eq!(e.code(), "missing_attribute");

    let anonymous = {
        let mut ds = DataSetWriter::new();
        ds.text(0x0008_0016, b"UI", DX_FOR_PRESENTATION)
            .text(0x0008_0018, b"UI", "1.2.3.3")
            .text(0x0010_0010, b"PN", "^")
            .text(0x0010_0020, b"LO", " ")
            .text(0x0020_000D, b"UI", "1.2.3.1")
            .text(0x0020_000E, b"UI", "1.2.3.2");
        ds.to_part10(DX_FOR_PRESENTATION, "1.2.3.3")
    };
    assert_eq!(parse_instance(&anonymous), Err(DicomError::NoPatientIdentity));
    assert!(DicomError::NoPatientIdentity.message_zh().contains("患者"));

    assert_eq!(
        render_png(&minimal(|_| {}), &RenderOptions::default()),
        Err(DicomError::NoPixelData)
    );
}

#[test]
fn unsupported_transfer_syntaxes() {
    // Deflate: the data set itself cannot be read.
    let mut ds = DataSetWriter::new();
    ds.text(0x0008_0016, b"UI", DX_FOR_PRESENTATION);
    let deflated = ds.to_part10_with_ts(DX_FOR_PRESENTATION, "1.2.3", "1.2.840.10008.1.2.1.99");
    let e = parse_instance(&deflated).unwrap_err();
    assert_eq!(
        e,
        DicomError::UnsupportedTransferSyntax {
            uid: "1.2.840.10008.1.2.1.99".into()
        }
    );
    assert!(e.message().contains("1.2.840.10008.1.2.1.99"), "{}", e.message());

    // JPEG Baseline: metadata is indexed, rendering is refused with the UID.
    let mut ds = DataSetWriter::new();
    ds.text(0x0008_0016, b"UI", DX_FOR_PRESENTATION)
        .text(0x0008_0018, b"UI", "1.2.3.3")
        .text(0x0010_0020, b"LO", "P1")
        .text(0x0020_000D, b"UI", "1.2.3.1")
        .text(0x0020_000E, b"UI", "1.2.3.2");
    let jpeg = ds.to_part10_with_ts(DX_FOR_PRESENTATION, "1.2.3.3", "1.2.840.10008.1.2.4.50");
    let i = parse_instance(&jpeg).unwrap();
    assert_eq!(i.transfer_syntax_uid, "1.2.840.10008.1.2.4.50");
    let e = i.check_renderable().unwrap_err();
    assert!(e.message().contains("JPEG Baseline"), "{}", e.message());
    assert_eq!(render_png(&jpeg, &RenderOptions::default()), Err(e));
}

fn decode_png(png_bytes: &[u8]) -> (u32, u32, png::ColorType, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width, info.height, info.color_type, buf)
}

#[test]
fn renders_a_recognisable_chest() {
    let bytes = synthetic_dr(&SyntheticDr::default());
    let out = render_png(&bytes, &RenderOptions::default()).unwrap();
    let (w, h, color, px) = decode_png(&out);
    assert_eq!((w, h, color), (512, 512, png::ColorType::Grayscale));
    let at = |x: usize, y: usize| px[y * 512 + x];
    // Lung fields darker than the spine, corners (air) darkest.
    let lung = at(512 / 2 - 180, 230);
    let spine = at(256, 230);
    assert!(spine > lung + 40, "spine {spine} lung {lung}");
    assert!(at(3, 500) < lung, "air {} lung {lung}", at(3, 500));

    let small = render_png(
        &bytes,
        &RenderOptions {
            max_edge: Some(128),
            invert: true,
            ..RenderOptions::default()
        },
    )
    .unwrap();
    let (w, h, _, spx) = decode_png(&small);
    assert_eq!((w, h), (128, 128));
    assert!(spx[230 / 4 * 128 + 64] < spx[230 / 4 * 128 + 64 - 45], "inverted: spine darker");

    // A narrow window saturates.
    let narrow = render_png(
        &bytes,
        &RenderOptions {
            window_center: Some(100.0),
            window_width: Some(10.0),
            ..RenderOptions::default()
        },
    )
    .unwrap();
    let (_, _, _, npx) = decode_png(&narrow);
    assert!(npx.iter().filter(|p| **p == 255).count() > npx.len() * 9 / 10);
}

#[test]
fn renders_monochrome1_signed_and_8_bit() {
    let mk = |photometric: &str, bits: u16, signed: bool, data: Vec<u8>| {
        minimal(|ds| {
            ds.us(0x0028_0002, &[1])
                .text(0x0028_0004, b"CS", photometric)
                .us(0x0028_0010, &[1])
                .us(0x0028_0011, &[4])
                .us(0x0028_0100, &[bits])
                .us(0x0028_0101, &[bits])
                .us(0x0028_0102, &[bits - 1])
                .us(0x0028_0103, &[u16::from(signed)])
                .binary(0x7FE0_0010, if bits == 8 { b"OB" } else { b"OW" }, &data);
        })
    };
    let gray = |file: &[u8]| decode_png(&render_png(file, &RenderOptions::default()).unwrap()).3;
    // 8-bit MONOCHROME2, full range window: 0 → 0, 255 → 255.
    assert_eq!(gray(&mk("MONOCHROME2", 8, false, vec![0, 85, 170, 255])), vec![0, 85, 170, 255]);
    // MONOCHROME1 inverts.
    assert_eq!(gray(&mk("MONOCHROME1", 8, false, vec![0, 85, 170, 255])), vec![255, 170, 85, 0]);
    // Signed 16-bit: -1000 is the darkest.
    let data: Vec<u8> = [-1000i16, 0, 500, 1000].iter().flat_map(|v| v.to_le_bytes()).collect();
    let px = gray(&mk("MONOCHROME2", 16, true, data));
    assert_eq!(px[0], 0);
    assert_eq!(px[3], 255);
    assert!(px[1] < px[2]);
    // RGB.
    let rgb = minimal(|ds| {
        ds.us(0x0028_0002, &[3])
            .text(0x0028_0004, b"CS", "RGB")
            .us(0x0028_0006, &[0])
            .us(0x0028_0010, &[1])
            .us(0x0028_0011, &[2])
            .us(0x0028_0100, &[8])
            .us(0x0028_0101, &[8])
            .us(0x0028_0102, &[7])
            .us(0x0028_0103, &[0])
            .binary(0x7FE0_0010, b"OB", &[255, 0, 0, 0, 0, 255]);
    });
    let (w, h, c, px) = decode_png(&render_png(&rgb, &RenderOptions::default()).unwrap());
    assert_eq!((w, h, c), (2, 1, png::ColorType::Rgb));
    assert_eq!(px, vec![255, 0, 0, 0, 0, 255]);
    // Palette colour is refused with its name.
    let pal = mk("PALETTE COLOR", 8, false, vec![0, 1, 2, 3]);
    let e = render_png(&pal, &RenderOptions::default()).unwrap_err();
    assert!(e.message().contains("PALETTE COLOR"), "{}", e.message());
    // Pixel data shorter than declared.
    let short = mk("MONOCHROME2", 16, false, vec![0, 0, 1, 0]);
    assert!(matches!(
        render_png(&short, &RenderOptions::default()),
        Err(DicomError::Corrupt { .. })
    ));
}

#[test]
fn every_truncation_is_an_error_not_a_panic() {
    let bytes = synthetic_dr(&small());
    let header_end = bytes.len() - 48 * 48 * 2;
    let mut cut = 0;
    while cut < bytes.len() {
        let t = &bytes[..cut];
        let _ = parse_instance(t);
        assert!(render_png(t, &RenderOptions::default()).is_err(), "cut at {cut}");
        cut += if cut < header_end + 16 { 1 } else { 61 };
    }
    assert!(render_png(&bytes, &RenderOptions::default()).is_ok());
}

#[test]
fn corrupted_bytes_do_not_panic() {
    let bytes = synthetic_dr(&small());
    let header_end = bytes.len() - 48 * 48 * 2;
    for i in 132..header_end {
        for v in [0x00, 0xFF, 0x7F] {
            let mut b = bytes.clone();
            b[i] = v;
            let _ = parse_instance(&b);
            let _ = render_png(
                &b,
                &RenderOptions {
                    max_edge: Some(7),
                    ..Default::default()
                },
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn arbitrary_bytes_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut b = vec![0u8; 128];
        b.extend_from_slice(b"DICM");
        b.extend_from_slice(&tail);
        let _ = parse_instance(&b);
        let _ = render_png(&b, &RenderOptions::default());
        let _ = parse_instance(&tail);
    }

    #[test]
    fn splices_of_a_valid_header_never_panic(at in 132usize..1400, junk in proptest::collection::vec(any::<u8>(), 1..40)) {
        let mut b = synthetic_dr(&small());
        let at = at.min(b.len());
        let end = (at + junk.len()).min(b.len());
        b.splice(at..end, junk);
        let _ = parse_instance(&b);
        let _ = render_png(&b, &RenderOptions::default());
    }
}

#[test]
fn a_declared_matrix_the_file_cannot_hold_is_refused_before_rendering() {
    let mk = |rows: u16, columns: u16, data: usize| {
        minimal(|ds| {
            ds.us(0x0028_0002, &[1])
                .text(0x0028_0004, b"CS", "MONOCHROME2")
                .us(0x0028_0010, &[rows])
                .us(0x0028_0011, &[columns])
                .us(0x0028_0100, &[8])
                .us(0x0028_0101, &[8])
                .us(0x0028_0102, &[7])
                .us(0x0028_0103, &[0])
                .binary(0x7FE0_0010, b"OB", &vec![0; data]);
        })
    };
    // 65535 × 65535 declared with 8 KiB of pixels: too large a frame.
    let huge = parse_instance(&mk(65535, 65535, 8192)).unwrap();
    let e = huge.check_renderable().unwrap_err();
    assert!(matches!(e, DicomError::UnsupportedPixelData { .. }), "{e:?}");
    // 4096 × 4096 (a plausible size) with 8 KiB: the file cannot hold what it declares.
    let short = parse_instance(&mk(4096, 4096, 8192)).unwrap();
    let e = short.check_renderable().unwrap_err();
    assert!(e.message().contains("declare"), "{}", e.message());
    // 64 × 128 with its 8 KiB: fine.
    assert!(parse_instance(&mk(64, 128, 8192)).unwrap().check_renderable().is_ok());
}
