//! Diagnosis (ICD-10 医保版) and procedure (ICD-9-CM-3 医保版) code syntax.

use serde::{Deserialize, Serialize};

use crate::{InvalidValue, string_newtype};

/// Diagnosis code, ICD-10 医保版 (诊断编码), e.g. `I21.000x001`, `I10.x00x002`, `A17.000+G01*`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Icd10(String);
string_newtype!(Icd10);

/// Procedure code, ICD-9-CM-3 医保版 (手术操作编码), e.g. `36.0601`, `51.2300x001`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Icd9Cm3(String);
string_newtype!(Icd9Cm3);

/// One ICD-10 element: letter, 2 digits (or digit+x), optional `.` + 1–3 of digit/x, optional
/// `x` + 3 digits extension, optional dagger `+` or asterisk `*` marker.
fn icd10_element(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 3 || !b[0].is_ascii_uppercase() || !b[1].is_ascii_digit() || !(b[2].is_ascii_digit() || b[2] == b'x' || b[2] == b'X') {
        return false;
    }
    let mut rest = &s[3..];
    if let Some(r) = rest.strip_prefix('.') {
        let n = r
            .bytes()
            .take_while(|c| c.is_ascii_digit() || *c == b'x' || *c == b'X')
            .count()
            .min(4);
        let n = if n == 4 { 3 } else { n };
        if n == 0 {
            return false;
        }
        rest = &r[n..];
    }
    if let Some(r) = rest.strip_prefix('x').or_else(|| rest.strip_prefix('X')) {
        if r.len() < 3 || !r.as_bytes()[..3].iter().all(u8::is_ascii_digit) {
            return false;
        }
        rest = &r[3..];
    }
    rest.is_empty() || rest == "+" || rest == "*" || rest == "†"
}

impl Icd10 {
    /// Parses a code (trimmed; case kept: codes compare exactly).
    ///
    /// # Errors
    /// Rule `icd10.syntax`.
    pub fn parse(s: &str) -> Result<Icd10, InvalidValue> {
        let t = s.trim();
        // A dagger/asterisk pair is written as one string: `A17.000+G01*`.
        let ok = match t.split_once('+') {
            Some((a, b)) if !b.is_empty() => icd10_element(a) && icd10_element(b),
            _ => icd10_element(t),
        };
        if ok {
            Ok(Icd10(t.to_owned()))
        } else {
            Err(InvalidValue::new(
                "icd10.syntax",
                "ICD-10 医保版 form such as I21.000x001",
                format!("Not an ICD-10 code: {t:?}"),
                format!("不是 ICD-10 编码：{t:?}"),
            ))
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Icd9Cm3 {
    /// Parses a code.
    ///
    /// # Errors
    /// Rule `icd9cm3.syntax`.
    pub fn parse(s: &str) -> Result<Icd9Cm3, InvalidValue> {
        let t = s.trim();
        // Split off an `x` + 3 digits extension, then expect `DD` or `DD.` + 1-4 of digit/x.
        let core = match t.rfind('x') {
            Some(i) if (4..=5).contains(&(t.len() - i)) && t[i + 1..].bytes().all(|c| c.is_ascii_digit()) && t[..i].contains('.') => {
                &t[..i]
            }
            _ => t,
        };
        let b = core.as_bytes();
        let ok = b.len() >= 2
            && b[..2].iter().all(u8::is_ascii_digit)
            && match core[2..].strip_prefix('.') {
                Some(r) => {
                    (1..=5).contains(&r.len())
                        && r.bytes().all(|c| c.is_ascii_digit() || c == b'x' || c.is_ascii_uppercase())
                        && r.as_bytes()[0].is_ascii_digit()
                }
                None => core.len() == 2,
            };
        if ok { Ok(Icd9Cm3(t.to_owned())) } else { Err(err(t)) }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn err(t: &str) -> InvalidValue {
    InvalidValue::new(
        "icd9cm3.syntax",
        "ICD-9-CM-3 医保版 form such as 36.0601",
        format!("Not an ICD-9-CM-3 code: {t:?}"),
        format!("不是 ICD-9-CM-3 编码：{t:?}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples() {
        for ok in [
            "I21.000x001",
            "K35.800x002",
            "I10.x00x002",
            "A17.000+G01*",
            "N18.900",
            "E11.900",
            "I10",
        ] {
            assert!(Icd10::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["ABC", "I21..0", "i21.000", "I21.000;", "", "I21.000x01"] {
            assert!(Icd10::parse(bad).is_err(), "{bad}");
        }
        for ok in ["36.0601", "51.2300x001", "63.8101", "12.4201", "39.7900x056", "99"] {
            assert!(Icd9Cm3::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["36.06 01", "3a.06", "36.", "36.0601x1", ""] {
            assert!(Icd9Cm3::parse(bad).is_err(), "{bad}");
        }
    }

    /// Source: the shared CHS-DRG 1.1 dictionaries; every code must parse.
    #[test]
    fn shared_dictionaries_parse() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/chs-drg-1.1");
        let Ok(icd10) = std::fs::read_to_string(format!("{dir}/icd10_names.tsv")) else {
            assert!(std::env::var("CI").as_deref() != Ok("true"), "../shared is required in CI");
            eprintln!("SKIPPED: ../shared not found");
            return;
        };
        let bad10: Vec<&str> = icd10
            .lines()
            .skip(1)
            .filter_map(|l| l.split('\t').next())
            .filter(|c| Icd10::parse(c).is_err())
            .collect();
        let icd9 = std::fs::read_to_string(format!("{dir}/icd9_names.tsv")).unwrap();
        let bad9: Vec<&str> = icd9
            .lines()
            .skip(1)
            .filter_map(|l| l.split('\t').next())
            .filter(|c| Icd9Cm3::parse(c).is_err())
            .collect();
        assert!(
            bad10.is_empty(),
            "{} ICD-10 codes rejected, e.g. {:?}",
            bad10.len(),
            &bad10[..bad10.len().min(10)]
        );
        assert!(
            bad9.is_empty(),
            "{} ICD-9 codes rejected, e.g. {:?}",
            bad9.len(),
            &bad9[..bad9.len().min(10)]
        );
    }
}
