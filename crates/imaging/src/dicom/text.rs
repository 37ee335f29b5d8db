//! Character sets, person names, dates and times.

use chrono::{NaiveDate, NaiveTime};
use dicom_dictionary_std::tags;
use dicom_encoding::text::{Gb18030CharacterSetCodec, SpecificCharacterSet, TextCodec};
use dicom_object::InMemDicomObject;

/// How to turn the strings dicom-rs decoded back into the right text.
///
/// dicom-rs applies only the *first* value of Specific Character Set and knows `GB18030`,
/// `GBK`, `GB2312` and `ISO 2022 IR 58`. Chinese files often declare `\ISO 2022 IR 58` (empty
/// first value), `ISO_IR 58`, or nothing at all while writing GB bytes; in those cases dicom-rs
/// falls back to ISO 8859-1, which maps bytes to chars one to one, so the original bytes are
/// recovered here and decoded as GB18030 (a superset of GBK and GB2312).
#[derive(Debug, Clone)]
pub(crate) struct Charset {
    pub(crate) declared: Vec<String>,
    /// dicom-rs decoded with a one-byte-per-char Latin codec (default or ISO_IR 100).
    latin_decoded: bool,
    /// A Chinese character set is declared (in any position).
    chinese: bool,
    /// Nothing (or only the default repertoire) is declared.
    undeclared: bool,
}

impl Charset {
    pub(crate) fn of(ds: &InMemDicomObject) -> Self {
        let declared: Vec<String> = ds
            .element_opt(tags::SPECIFIC_CHARACTER_SET)
            .ok()
            .flatten()
            .and_then(|e| e.value().to_multi_str().ok().map(|v| v.into_owned()))
            .unwrap_or_default()
            .into_iter()
            .map(|s| s.trim().to_string())
            .collect();
        Self::from_declared(declared)
    }

    pub(crate) fn from_declared(declared: Vec<String>) -> Self {
        let used = declared
            .first()
            .and_then(|f| SpecificCharacterSet::from_code(f))
            .unwrap_or_default();
        let latin_decoded = used == SpecificCharacterSet::ISO_IR_6 || used == SpecificCharacterSet::ISO_IR_100;
        let chinese = declared.iter().any(|d| {
            let d = d.to_ascii_uppercase().replace(['_', ' '], "");
            matches!(d.as_str(), "GB18030" | "GBK" | "GB2312" | "ISO2022IR58" | "ISOIR58")
        });
        let undeclared = declared
            .iter()
            .all(|d| d.is_empty() || SpecificCharacterSet::from_code(d) == Some(SpecificCharacterSet::ISO_IR_6));
        Charset {
            declared,
            latin_decoded,
            chinese,
            undeclared,
        }
    }

    /// Corrects a string dicom-rs decoded from a PN/LO/SH/ST/LT/UT value.
    pub(crate) fn fix(&self, s: &str) -> String {
        let ascii = s.is_ascii();
        if ascii {
            return strip_iso2022_escapes(s);
        }
        if self.latin_decoded && (self.chinese || self.undeclared) {
            if let Some(bytes) = latin_to_bytes(s) {
                let bytes = strip_escape_bytes(&bytes);
                if self.undeclared {
                    // Nothing declared: accept UTF-8 or well-formed GB18030, else keep as is.
                    if let Ok(u) = std::str::from_utf8(&bytes) {
                        return u.to_string();
                    }
                    if !is_well_formed_gb18030(&bytes) {
                        return s.to_string();
                    }
                }
                if let Ok(decoded) = Gb18030CharacterSetCodec.decode(&bytes) {
                    return decoded;
                }
            }
            return s.to_string();
        }
        strip_iso2022_escapes(s)
    }
}

fn latin_to_bytes(s: &str) -> Option<Vec<u8>> {
    s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect()
}

/// Removes ISO 2022 escape sequences (ESC $ ) A, ESC ( B, ...) and SO/SI shifts.
fn strip_escape_bytes(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            0x1B => {
                // ESC, then intermediate bytes 0x20..=0x2F, then one final byte.
                i += 1;
                while i < b.len() && (0x20..=0x2F).contains(&b[i]) {
                    i += 1;
                }
                i += 1;
            }
            0x0E | 0x0F => i += 1,
            x => {
                out.push(x);
                i += 1;
            }
        }
    }
    out
}

fn strip_iso2022_escapes(s: &str) -> String {
    if !s.contains(['\u{1b}', '\u{0e}', '\u{0f}']) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '\u{1b}' => {
                while it.peek().is_some_and(|c| ('\u{20}'..='\u{2f}').contains(c)) {
                    it.next();
                }
                it.next();
            }
            '\u{0e}' | '\u{0f}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Structural check of GB18030: one-byte ASCII, two-byte (81–FE, 40–7E|80–FE) or four-byte
/// (81–FE, 30–39, 81–FE, 30–39) sequences only.
pub(crate) fn is_well_formed_gb18030(b: &[u8]) -> bool {
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c < 0x80 {
            i += 1;
        } else if (0x81..=0xFE).contains(&c) && i + 1 < b.len() {
            let d = b[i + 1];
            if (0x40..=0x7E).contains(&d) || (0x80..=0xFE).contains(&d) {
                i += 2;
            } else if (0x30..=0x39).contains(&d)
                && i + 3 < b.len()
                && (0x81..=0xFE).contains(&b[i + 2])
                && (0x30..=0x39).contains(&b[i + 3])
            {
                i += 4;
            } else {
                return false;
            }
        } else {
            return false;
        }
    }
    true
}

/// Encodes text as GB18030 (for the synthetic writers).
pub(crate) fn encode_gb18030(s: &str) -> Vec<u8> {
    Gb18030CharacterSetCodec.encode(s).unwrap_or_else(|_| s.as_bytes().to_vec())
}

fn is_cjk(c: char) -> bool {
    matches!(u32::from(c), 0x2E80..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3FFFF)
}

/// Display form of a PN value: ideographic group if present, else alphabetic.
pub(crate) fn display_person_name(raw: &str) -> Option<String> {
    let groups: Vec<&str> = raw.split('=').collect();
    let pick = groups
        .get(1)
        .filter(|g| !g.replace('^', "").trim().is_empty())
        .or_else(|| groups.first())?;
    let parts: Vec<&str> = pick.split('^').map(str::trim).filter(|p| !p.is_empty()).collect();
    if parts.is_empty() {
        return None;
    }
    let sep = if pick.chars().any(is_cjk) { "" } else { " " };
    Some(parts.join(sep))
}

/// DA: `YYYYMMDD`, also the legacy `YYYY.MM.DD` and `YYYY-MM-DD`.
pub(crate) fn parse_da(s: &str) -> Option<NaiveDate> {
    let digits: String = s.trim().chars().filter(|c| *c != '.' && *c != '-').collect();
    if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDate::from_ymd_opt(digits[0..4].parse().ok()?, digits[4..6].parse().ok()?, digits[6..8].parse().ok()?)
}

/// TM: `HH[MM[SS[.FFFFFF]]]`, also the legacy `HH:MM:SS`.
pub(crate) fn parse_tm(s: &str) -> Option<NaiveTime> {
    let s: String = s.trim().chars().filter(|c| *c != ':').collect();
    let (main, frac) = match s.split_once('.') {
        Some((m, f)) => (m.to_string(), f.to_string()),
        None => (s.clone(), String::new()),
    };
    if main.len() < 2 || main.len() > 6 || main.len() % 2 == 1 || !main.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: u32 = main[0..2].parse().ok()?;
    let m: u32 = main.get(2..4).map_or(Some(0), |x| x.parse().ok())?;
    let sec: u32 = main.get(4..6).map_or(Some(0), |x| x.parse().ok())?;
    let micro: u32 = if frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
        0
    } else {
        let f = format!("{:0<6}", &frac[..frac.len().min(6)]);
        f.parse().ok()?
    };
    NaiveTime::from_hms_micro_opt(h, m, sec.min(59), micro)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn person_names() {
        assert_eq!(display_person_name("张^三").as_deref(), Some("张三"));
        assert_eq!(display_person_name("Zhang^San=张^三").as_deref(), Some("张三"));
        assert_eq!(display_person_name("ZHANG^SAN").as_deref(), Some("ZHANG SAN"));
        assert_eq!(display_person_name("ZHANG^SAN==").as_deref(), Some("ZHANG SAN"));
        assert_eq!(display_person_name("^^"), None);
    }

    #[test]
    fn dates_and_times() {
        assert_eq!(parse_da("19800131"), NaiveDate::from_ymd_opt(1980, 1, 31));
        assert_eq!(parse_da("1980.01.31"), NaiveDate::from_ymd_opt(1980, 1, 31));
        assert_eq!(parse_da("19800231"), None);
        assert_eq!(parse_da(""), None);
        assert_eq!(parse_tm("0930"), NaiveTime::from_hms_opt(9, 30, 0));
        assert_eq!(parse_tm("093015.5"), NaiveTime::from_hms_micro_opt(9, 30, 15, 500_000));
        assert_eq!(parse_tm("09:30:15"), NaiveTime::from_hms_opt(9, 30, 15));
        assert_eq!(parse_tm("9"), None);
    }

    #[test]
    fn gb_bytes_recovered_from_latin_fallback() {
        // 王小明 in GB2312/GBK, with ISO 2022 IR 58 escapes, as dicom-rs's Latin-1 fallback sees it.
        let gb = encode_gb18030("王小明");
        let mut bytes = b"\x1b$)A".to_vec();
        bytes.extend_from_slice(&gb);
        let latin: String = bytes.iter().map(|b| char::from(*b)).collect();
        let cs = Charset::from_declared(vec![String::new(), "ISO 2022 IR 58".into()]);
        assert_eq!(cs.fix(&latin), "王小明");
        let cs = Charset::from_declared(vec!["ISO_IR 58".into()]);
        assert_eq!(cs.fix(&latin), "王小明");
        // Undeclared: GB18030 guessed when well formed.
        let cs = Charset::from_declared(vec![]);
        let latin: String = gb.iter().map(|b| char::from(*b)).collect();
        assert_eq!(cs.fix(&latin), "王小明");
        // Declared Latin-1 stays Latin-1.
        let cs = Charset::from_declared(vec!["ISO_IR 100".into()]);
        assert_eq!(cs.fix("Müller"), "Müller");
    }

    #[test]
    fn four_byte_gb18030() {
        // 㐀 (U+3400) is a four-byte GB18030 character.
        let b = encode_gb18030("刘㐀");
        assert_eq!(b.len(), 6);
        assert!(is_well_formed_gb18030(&b));
        assert_eq!(Gb18030CharacterSetCodec.decode(&b).unwrap(), "刘㐀");
        assert!(!is_well_formed_gb18030(&[0x81, 0x20]));
    }
}
