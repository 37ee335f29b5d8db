//! A structural pre-scan that refuses impossible lengths before dicom-rs sees the data.
//!
//! dicom-rs allocates a buffer of an element's declared length before reading it, so a 300-byte
//! file declaring a 4 GiB value would make it allocate 4 GiB. This scan walks the element
//! headers (descending into sequences and items) and checks each defined length against the
//! bytes that are actually there. It stops, accepting, at anything it does not understand and
//! leaves the real parsing to dicom-rs.

use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry};
use dicom_core::{Tag, VR};
use dicom_object::StandardDataDictionary;

const UNDEFINED: u32 = u32::MAX;

/// `Err(detail)` if some declared length exceeds the file. `file` is the whole Part-10 file.
pub(crate) fn check_lengths(file: &[u8]) -> Result<(), String> {
    let (start, ts) = scan_meta(file)?;
    let (explicit, big_endian) = match ts.as_deref() {
        Some("1.2.840.10008.1.2") => (false, false),
        Some("1.2.840.10008.1.2.2") => (true, true),
        Some(t) if t.starts_with("1.2.840.10008.1.2.1") && t != "1.2.840.10008.1.2.1.99" => (true, false),
        Some(t) if t.starts_with("1.2.840.10008.1.2.4.") || t == "1.2.840.10008.1.2.5" => (true, false),
        _ => return Ok(()),
    };
    walk(file, start, explicit, big_endian)
}

/// Walks the group-2 elements after `DICM` (explicit VR little endian, whatever the group
/// length says); returns where the data set starts and the transfer syntax.
fn scan_meta(file: &[u8]) -> Result<(usize, Option<String>), String> {
    let mut pos = 132;
    let mut ts = None;
    while pos + 8 <= file.len() && file[pos..pos + 2] == [0x02, 0x00] {
        let elem = u16::from_le_bytes([file[pos + 2], file[pos + 3]]);
        let vr_bytes = [file[pos + 4], file[pos + 5]];
        let vr = VR::from_binary(vr_bytes)
            .filter(|_| vr_bytes.iter().all(u8::is_ascii_uppercase))
            .ok_or_else(|| format!("file meta element (0002,{elem:04X}) at byte {pos} has an invalid VR"))?;
        let (len, header) = if is_long(vr) {
            let b = file
                .get(pos + 8..pos + 12)
                .ok_or_else(|| format!("file meta element (0002,{elem:04X}) is cut off"))?;
            (u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize, 12)
        } else {
            (u16::from_le_bytes([file[pos + 6], file[pos + 7]]) as usize, 8)
        };
        let end = (pos + header).checked_add(len).filter(|e| *e <= file.len()).ok_or_else(|| {
            format!(
                "file meta element (0002,{elem:04X}) at byte {pos} declares {len} bytes, only {} remain",
                file.len().saturating_sub(pos + header)
            )
        })?;
        if elem == 0x0010 {
            let s = String::from_utf8_lossy(&file[pos + header..end]);
            ts = Some(s.trim_end_matches(['\0', ' ']).to_string());
        }
        pos = end;
    }
    Ok((pos, ts))
}

fn is_long(vr: VR) -> bool {
    matches!(
        vr,
        VR::OB | VR::OW | VR::OF | VR::OD | VR::OL | VR::OV | VR::SQ | VR::UT | VR::UN | VR::UC | VR::UR | VR::SV | VR::UV
    )
}

fn walk(d: &[u8], mut pos: usize, explicit: bool, be: bool) -> Result<(), String> {
    let u16_at = |p: usize| {
        let b = [d[p], d[p + 1]];
        if be { u16::from_be_bytes(b) } else { u16::from_le_bytes(b) }
    };
    let u32_at = |p: usize| {
        let b = [d[p], d[p + 1], d[p + 2], d[p + 3]];
        if be { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) }
    };
    let too_long = |tag: (u16, u16), len: u32, at: usize| {
        format!(
            "element ({:04X},{:04X}) at byte {at} declares {len} bytes, only {} remain",
            tag.0,
            tag.1,
            d.len().saturating_sub(at)
        )
    };
    while pos + 8 <= d.len() {
        let tag = (u16_at(pos), u16_at(pos + 2));
        if tag.0 == 0xFFFE {
            // Item or delimiter: lengths of items are checked, contents walked.
            let len = u32_at(pos + 4);
            if tag.1 == 0xE000 && len != UNDEFINED && len as usize > d.len() - pos - 8 {
                return Err(too_long(tag, len, pos + 8));
            }
            pos += 8;
            continue;
        }
        let (vr, len, header) = if explicit {
            let vr_bytes = [d[pos + 4], d[pos + 5]];
            let vr = VR::from_binary(vr_bytes)
                .filter(|_| vr_bytes.iter().all(u8::is_ascii_uppercase))
                .ok_or_else(|| format!("element ({:04X},{:04X}) at byte {pos} has an invalid VR", tag.0, tag.1))?;
            if is_long(vr) {
                if pos + 12 > d.len() {
                    return Ok(());
                }
                (vr, u32_at(pos + 8), 12)
            } else {
                (vr, u32::from(u16_at(pos + 6)), 8)
            }
        } else {
            let vr = StandardDataDictionary
                .by_tag(Tag(tag.0, tag.1))
                .map(|e| e.vr().relaxed())
                .unwrap_or(VR::UN);
            (vr, u32_at(pos + 4), 8)
        };
        let body = pos + header;
        if len == UNDEFINED {
            if vr == VR::SQ {
                pos = body;
                continue;
            }
            // Encapsulated pixel data or UN of undefined length: leave the rest to dicom-rs.
            return Ok(());
        }
        if len as usize > d.len() - body {
            return Err(too_long(tag, len, body));
        }
        if vr == VR::SQ {
            pos = body;
        } else {
            pos = body + len as usize;
        }
    }
    Ok(())
}
