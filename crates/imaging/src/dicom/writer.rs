//! Minimal Part-10 writer (Explicit VR Little Endian) used by the synthetic generators.
//!
//! Elements are kept in a map by tag so that they are always written in ascending order,
//! whatever order the caller adds them in. Sequences and items use explicit lengths.

use std::collections::BTreeMap;

/// Explicit VR Little Endian.
pub(crate) const EXPLICIT_VR_LE: &str = "1.2.840.10008.1.2.1";
/// Implementation Class UID written into the file meta group (a 2.25 UUID-derived root).
pub(crate) const IMPLEMENTATION_CLASS_UID: &str = "2.25.302603212361829186385394262187328403251";
const IMPLEMENTATION_VERSION: &str = "SANYI_IMAGING_01";

/// A data set under construction.
#[derive(Debug, Default, Clone)]
pub(crate) struct DataSetWriter {
    elements: BTreeMap<u32, Vec<u8>>,
}

fn long_length(vr: &[u8; 2]) -> bool {
    matches!(
        vr,
        b"OB" | b"OW" | b"OF" | b"OD" | b"OL" | b"OV" | b"SQ" | b"UT" | b"UN" | b"UC" | b"UR"
    )
}

fn encode_element(out: &mut Vec<u8>, tag: u32, vr: [u8; 2], value: &[u8]) {
    let padded = value.len() % 2 == 1;
    let len = value.len() + usize::from(padded);
    out.extend_from_slice(&((tag >> 16) as u16).to_le_bytes());
    out.extend_from_slice(&((tag & 0xFFFF) as u16).to_le_bytes());
    out.extend_from_slice(&vr);
    if long_length(&vr) {
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&(len as u32).to_le_bytes());
    } else {
        out.extend_from_slice(&(len as u16).to_le_bytes());
    }
    out.extend_from_slice(value);
    if padded {
        // UI and binary values pad with NUL, text with a space (PS3.5 §6.2).
        out.push(if matches!(&vr, b"UI" | b"OB" | b"UN") { 0 } else { b' ' });
    }
}

impl DataSetWriter {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    fn put(&mut self, tag: u32, vr: [u8; 2], value: &[u8]) {
        let mut buf = Vec::with_capacity(value.len() + 12);
        encode_element(&mut buf, tag, vr, value);
        self.elements.insert(tag, buf);
    }

    /// A text element (already encoded bytes, e.g. GB18030 for PN/LO).
    pub(crate) fn raw_text(&mut self, tag: u32, vr: &[u8; 2], value: &[u8]) -> &mut Self {
        self.put(tag, *vr, value);
        self
    }

    /// An ASCII text element (UI, CS, DA, TM, DS, IS, ...).
    pub(crate) fn text(&mut self, tag: u32, vr: &[u8; 2], value: &str) -> &mut Self {
        self.put(tag, *vr, value.as_bytes());
        self
    }

    pub(crate) fn us(&mut self, tag: u32, values: &[u16]) -> &mut Self {
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.put(tag, *b"US", &bytes);
        self
    }

    pub(crate) fn ul(&mut self, tag: u32, value: u32) -> &mut Self {
        self.put(tag, *b"UL", &value.to_le_bytes());
        self
    }

    pub(crate) fn binary(&mut self, tag: u32, vr: &[u8; 2], value: &[u8]) -> &mut Self {
        self.put(tag, *vr, value);
        self
    }

    /// A sequence of items with explicit lengths.
    pub(crate) fn sequence(&mut self, tag: u32, items: &[DataSetWriter]) -> &mut Self {
        let mut value = Vec::new();
        for item in items {
            let body = item.to_bytes();
            value.extend_from_slice(&0xFFFEu16.to_le_bytes());
            value.extend_from_slice(&0xE000u16.to_le_bytes());
            value.extend_from_slice(&(body.len() as u32).to_le_bytes());
            value.extend_from_slice(&body);
        }
        self.put(tag, *b"SQ", &value);
        self
    }

    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let len = self.elements.values().map(Vec::len).sum();
        let mut out = Vec::with_capacity(len);
        for e in self.elements.values() {
            out.extend_from_slice(e);
        }
        out
    }

    /// The complete Part-10 file: preamble, `DICM`, file meta group, then this data set.
    pub(crate) fn to_part10(&self, sop_class_uid: &str, sop_instance_uid: &str) -> Vec<u8> {
        self.to_part10_with_ts(sop_class_uid, sop_instance_uid, EXPLICIT_VR_LE)
    }

    /// As [`Self::to_part10`] but declaring another transfer syntax (the body is written as is).
    pub(crate) fn to_part10_with_ts(&self, sop_class_uid: &str, sop_instance_uid: &str, transfer_syntax: &str) -> Vec<u8> {
        let mut meta = DataSetWriter::new();
        meta.binary(0x0002_0001, b"OB", &[0, 1])
            .text(0x0002_0002, b"UI", sop_class_uid)
            .text(0x0002_0003, b"UI", sop_instance_uid)
            .text(0x0002_0010, b"UI", transfer_syntax)
            .text(0x0002_0012, b"UI", IMPLEMENTATION_CLASS_UID)
            .text(0x0002_0013, b"SH", IMPLEMENTATION_VERSION);
        let meta_bytes = meta.to_bytes();
        let body = self.to_bytes();
        let mut out = Vec::with_capacity(132 + 12 + meta_bytes.len() + body.len());
        out.extend_from_slice(&[0u8; 128]);
        out.extend_from_slice(b"DICM");
        encode_element(&mut out, 0x0002_0000, *b"UL", &(meta_bytes.len() as u32).to_le_bytes());
        out.extend_from_slice(&meta_bytes);
        out.extend_from_slice(&body);
        out
    }
}

/// Deterministic 64-bit generator (SplitMix64): enough for synthetic data, no dependency.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub(crate) fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Approximately normal (mean 0, sd 1): sum of four uniforms, rescaled.
    pub(crate) fn next_gauss(&mut self) -> f64 {
        let s: f64 = (0..4).map(|_| self.next_f64()).sum();
        (s - 2.0) * (3.0f64).sqrt()
    }
}

/// A UID `2.25.<decimal of a 128-bit UUIDv4-shaped value>` derived from a seed and a purpose,
/// so the same (seed, kind) always gives the same UID and different kinds never collide.
pub fn derive_uid(seed: u64, kind: &str) -> String {
    // FNV-1a of the kind, mixed with the seed.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in kind.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let mut rng = SplitMix64::new(seed ^ h.rotate_left(17));
    let hi = rng.next_u64();
    let lo = rng.next_u64();
    let mut v = (u128::from(hi) << 64) | u128::from(lo);
    // UUID version 4 and RFC 4122 variant bits, as PS3.5 §B.2 expects for 2.25 UIDs.
    v &= !(0xF_u128 << 76);
    v |= 0x4_u128 << 76;
    v &= !(0x3_u128 << 62);
    v |= 0x2_u128 << 62;
    format!("2.25.{v}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_are_deterministic_distinct_and_valid() {
        let a = derive_uid(7, "study");
        assert_eq!(a, derive_uid(7, "study"));
        assert_ne!(a, derive_uid(7, "series"));
        assert_ne!(a, derive_uid(8, "study"));
        assert!(a.len() <= 64, "{a}");
        assert!(a.starts_with("2.25."));
        assert!(a[5..].bytes().all(|b| b.is_ascii_digit()));
        assert!(!a[5..].starts_with('0'));
    }

    #[test]
    fn elements_are_sorted_and_padded() {
        let mut w = DataSetWriter::new();
        w.text(0x0010_0020, b"LO", "ABC").text(0x0008_0060, b"CS", "DX");
        let b = w.to_bytes();
        assert_eq!(&b[0..4], &[0x08, 0x00, 0x60, 0x00]);
        assert_eq!(&b[4..6], b"CS");
        assert_eq!(&b[10..14], &[0x10, 0x00, 0x20, 0x00]);
        assert_eq!(&b[16..18], &[4, 0]);
        assert_eq!(&b[18..22], b"ABC ");
    }
}
