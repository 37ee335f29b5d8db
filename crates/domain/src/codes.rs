//! Diagnosis (ICD-10 医保版) and procedure (ICD-9-CM-3 医保版) code syntax.
//!
//! Only the *shape* is checked here; whether a code exists is a lookup in the code tables the
//! store holds. The grammars were derived from the NHSA 2.0 dictionaries shipped with the
//! CHS-DRG 1.1 tables (`shared/data/chs-drg-1.1/icd10_names.tsv`, 33 304 codes, and
//! `icd9_names.tsv`, 13 686 codes) and accept every code in them; the test
//! `shared_dictionaries_parse` checks that. Codes are case-sensitive: letters are capitals,
//! the filler and extension marker is a lowercase `x`.
//!
//! ICD-10 医保版 (`L` capital letter, `D` digit):
//!
//! ```text
//! code     = main [ "+" asterisk ]
//! main     = L D D "." (D | "x") D D [ "x" D D D ]     I21.000  I10.x00  I21.000x001
//! asterisk = L D D [ "." D [ D [ D ] ] ] "*"           +G01*  +M49.0*
//! ```
//!
//! ICD-9-CM-3 医保版:
//!
//! ```text
//! code = D D "." D (D | "x") D rest
//! rest = D [ "x" D D D ]        36.0601  51.2300x001  05.9x00  14.9x00x001
//!      | D D                    17.91100       TCM procedures (17.9x)
//!      | L D                    17.912A0       TCM procedures (17.9x)
//!      | "x" D D D D            86.700x0013    two codes of the 2.0 dictionary
//! ```
//!
//! The last three alternatives only follow a digit in the second decimal place (no `x`).

use serde::{Deserialize, Serialize};

use crate::{InvalidValue, position, string_newtype};

/// Diagnosis code, ICD-10 医保版 2.0 (诊断编码), e.g. `I21.000x001`, `K35.800x002`,
/// `I10.x00x002`, `A17.000+G01*` (dagger-asterisk pair), `N18.900`.
///
/// # Example
/// ```
/// use sanyi_domain::Icd10;
/// assert_eq!(Icd10::parse("A17.000+G01*")?.as_str(), "A17.000+G01*");
/// let e = Icd10::parse("I21..0").unwrap_err();
/// assert_eq!(e.rule, "icd10.syntax");
/// assert!(e.message.contains("position 5"));
/// # Ok::<(), sanyi_domain::InvalidValue>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Icd10(String);
string_newtype!(Icd10);

/// Procedure code, ICD-9-CM-3 医保版 2.0 (手术操作编码), e.g. `36.0601`, `51.2300x001`,
/// `63.8101`, `12.4201`, `39.7900x056`.
///
/// # Example
/// ```
/// use sanyi_domain::Icd9Cm3;
/// assert_eq!(Icd9Cm3::parse("51.2300x001")?.as_str(), "51.2300x001");
/// assert!(Icd9Cm3::parse("36.06 01").is_err());
/// # Ok::<(), sanyi_domain::InvalidValue>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Icd9Cm3(String);
string_newtype!(Icd9Cm3);

/// What the grammar wanted where it stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Want {
    Letter,
    Digit,
    DigitOrX,
    Char(u8),
    /// One of several continuations; the text is prepared for the message.
    Any(&'static str, &'static str),
    End,
}

impl Want {
    fn en(self) -> String {
        match self {
            Want::Letter => "a capital letter".into(),
            Want::Digit => "a digit".into(),
            Want::DigitOrX => "a digit or lowercase x".into(),
            Want::Char(c) => format!("'{}'", char::from(c)),
            Want::Any(en, _) => en.into(),
            Want::End => "the end of the code".into(),
        }
    }

    fn zh(self) -> String {
        match self {
            Want::Letter => "大写字母".into(),
            Want::Digit => "数字".into(),
            Want::DigitOrX => "数字或小写 x".into(),
            Want::Char(c) => format!("“{}”", char::from(c)),
            Want::Any(_, zh) => zh.into(),
            Want::End => "编码结束".into(),
        }
    }
}

/// A byte cursor that records where and why matching failed.
struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

type Step = Result<(), (usize, Want)>;

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn take(&mut self, want: Want) -> Step {
        let ok = match (self.peek(), want) {
            (Some(c), Want::Letter) => c.is_ascii_uppercase(),
            (Some(c), Want::Digit) => c.is_ascii_digit(),
            (Some(c), Want::DigitOrX) => c.is_ascii_digit() || c == b'x',
            (Some(c), Want::Char(w)) => c == w,
            _ => false,
        };
        if ok {
            self.i += 1;
            Ok(())
        } else {
            Err((self.i, want))
        }
    }

    fn digits(&mut self, n: usize) -> Step {
        (0..n).try_for_each(|_| self.take(Want::Digit))
    }

    /// Consumes `c` if it is next.
    fn eat(&mut self, c: u8) -> bool {
        let hit = self.peek() == Some(c);
        self.i += usize::from(hit);
        hit
    }

    fn end(&self) -> Step {
        if self.i == self.b.len() { Ok(()) } else { Err((self.i, Want::End)) }
    }
}

fn icd10_grammar(c: &mut Cursor<'_>) -> Step {
    // main = L D D "." (D | x) D D [ x D D D ]
    c.take(Want::Letter)?;
    c.digits(2)?;
    c.take(Want::Char(b'.'))?;
    c.take(Want::DigitOrX)?;
    c.digits(2)?;
    if c.eat(b'x') {
        c.digits(3)?;
    }
    // [ "+" asterisk ], asterisk = L D D [ "." D{1,3} ] "*"
    if c.eat(b'+') {
        c.take(Want::Letter)?;
        c.digits(2)?;
        if c.eat(b'.') {
            c.take(Want::Digit)?;
            for _ in 0..2 {
                if c.peek().is_some_and(|b| b.is_ascii_digit()) {
                    c.i += 1;
                }
            }
        }
        c.take(Want::Char(b'*'))?;
    }
    match c.end() {
        Ok(()) => Ok(()),
        Err((i, _)) if c.b.get(i) == Some(&b'*') => Err((i, Want::Any("'+' before an asterisk code", "星号码前的“+”"))),
        Err(e) => Err(e),
    }
}

fn icd9_grammar(c: &mut Cursor<'_>) -> Step {
    // D D "." D (D | x) D
    c.digits(2)?;
    c.take(Want::Char(b'.'))?;
    c.take(Want::Digit)?;
    let filler = c.peek() == Some(b'x');
    c.take(Want::DigitOrX)?;
    c.take(Want::Digit)?;
    match c.peek() {
        // D [ x D D D ] | D D
        Some(b) if b.is_ascii_digit() => {
            c.i += 1;
            if c.eat(b'x') {
                c.digits(3)?;
            } else if !filler && c.peek().is_some_and(|b| b.is_ascii_digit()) {
                c.i += 1;
            }
        }
        // L D (TCM)
        Some(b) if b.is_ascii_uppercase() && !filler => {
            c.i += 1;
            c.take(Want::Digit)?;
        }
        // x D D D D
        Some(b'x') if !filler => {
            c.i += 1;
            c.digits(4)?;
        }
        _ => return Err((c.i, Want::Digit)),
    }
    c.end()
}

/// Runs a grammar over the trimmed input and renders the failure.
fn check(
    s: &str,
    grammar: fn(&mut Cursor<'_>) -> Step,
    rule: &'static str,
    expected: &'static str,
    name: &str,
) -> Result<String, InvalidValue> {
    let t = s.trim();
    let mut c = Cursor { b: t.as_bytes(), i: 0 };
    match grammar(&mut c) {
        Ok(()) => Ok(t.to_owned()),
        Err((i, want)) => {
            // Report a character position (the input may hold multi-byte characters).
            let ch = t.char_indices().take_while(|&(b, _)| b < i).count();
            let (pos_en, pos_zh) = position(ch);
            let (message, message_zh) = if t.is_empty() {
                (format!("The {name} code is empty"), format!("{name} 编码为空"))
            } else if i >= t.len() {
                (
                    format!("Not a complete {name} code: it ends where {} was expected", want.en()),
                    format!("不是完整的 {name} 编码：在应为{}处结束", want.zh()),
                )
            } else {
                (
                    format!("Not a {name} code: {pos_en} should be {}", want.en()),
                    format!("不是 {name} 编码：{pos_zh}应为{}", want.zh()),
                )
            };
            Err(InvalidValue::new(rule, expected, message, message_zh))
        }
    }
}

impl Icd10 {
    /// Parses a code. Surrounding whitespace is trimmed; case is kept (codes compare exactly,
    /// so `i21.000` is rejected rather than fixed).
    ///
    /// # Errors
    /// Rule `icd10.syntax`; the message names the first position that does not fit.
    pub fn parse(s: &str) -> Result<Icd10, InvalidValue> {
        check(
            s,
            icd10_grammar,
            "icd10.syntax",
            "ICD-10 医保版 form such as I21.000x001",
            "ICD-10 医保版",
        )
        .map(Icd10)
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 3-character category (类目), e.g. `I21`.
    pub fn category(&self) -> &str {
        &self.0[..3]
    }

    /// The code without its dagger-asterisk part: `A17.000` for `A17.000+G01*`.
    pub fn main_code(&self) -> &str {
        self.0.split_once('+').map_or(&self.0, |(m, _)| m)
    }

    /// The asterisk (manifestation) code of a dagger-asterisk pair, without the `*`: `G01`.
    pub fn asterisk_code(&self) -> Option<&str> {
        self.0.split_once('+').map(|(_, a)| a.trim_end_matches('*'))
    }
}

impl Icd9Cm3 {
    /// Parses a code. Surrounding whitespace is trimmed; case is kept.
    ///
    /// # Errors
    /// Rule `icd9cm3.syntax`; the message names the first position that does not fit.
    pub fn parse(s: &str) -> Result<Icd9Cm3, InvalidValue> {
        check(
            s,
            icd9_grammar,
            "icd9cm3.syntax",
            "ICD-9-CM-3 医保版 form such as 36.0601",
            "ICD-9-CM-3 医保版",
        )
        .map(Icd9Cm3)
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 2-digit chapter part before the point, e.g. `36`.
    pub fn category(&self) -> &str {
        &self.0[..2]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::Error as DeError;

    #[test]
    fn icd10_examples() {
        for ok in [
            "I21.000x001",
            "K35.800x002",
            "I10.x00x002",
            "A17.000+G01*",
            "N18.900",
            "E11.900",
            "A18.114+N74.1*",
            "A17.000x001+G01*",
            "I10.x00+H32.0*",
            " J18.900 ",
        ] {
            assert!(Icd10::parse(ok).is_ok(), "{ok}");
        }
        let c = Icd10::parse("A17.000x001+G01*").unwrap();
        assert_eq!(c.category(), "A17");
        assert_eq!(c.main_code(), "A17.000x001");
        assert_eq!(c.asterisk_code(), Some("G01"));
        assert_eq!(Icd10::parse("N18.900").unwrap().asterisk_code(), None);
    }

    #[test]
    fn icd10_garbage() {
        for (bad, at) in [
            ("ABC", "position 2"),
            ("I21..0", "position 5"),
            ("i21.000", "position 1"),
            ("I21.000;", "position 8"),
            ("I21.000,I10.x00", "position 8"),
            ("I21.000|x", "position 8"),
            ("I21.000\tI10", "position 8"),
            ("I21.000x01", "ends"),
            ("I21.000X001", "position 8"),
            ("I21.0", "ends"),
            ("I21", "ends"),
            ("I21.00x", "position 7"),
            ("I21.000+G01", "ends"),
            ("I21.000*", "position 8"),
            ("I21.000+g01*", "position 9"),
            ("I21.000++G01*", "position 9"),
            ("I21.000x001x001", "position 12"),
            ("I2１.000", "position 3"),
            ("", "empty"),
        ] {
            let e = Icd10::parse(bad).unwrap_err();
            assert_eq!(e.rule, "icd10.syntax", "{bad}");
            assert_eq!(e.expected, "ICD-10 医保版 form such as I21.000x001");
            assert!(e.message.contains(at), "{bad}: {}", e.message);
            assert!(!e.message_zh.is_empty());
        }
    }

    #[test]
    fn icd9_examples() {
        for ok in [
            "36.0601",
            "51.2300x001",
            "63.8101",
            "12.4201",
            "39.7900x056",
            "05.9x00",
            "14.9x00x001",
            "17.91100",
            "17.912A0",
            "86.700x0013",
        ] {
            assert!(Icd9Cm3::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(Icd9Cm3::parse("36.0601").unwrap().category(), "36");
    }

    #[test]
    fn icd9_garbage() {
        for bad in [
            "36.06 01",
            "3a.06",
            "36.",
            "36",
            "36.06",
            "36.060",
            "36.0601x1",
            "36.0601x0001",
            "36.060101",
            "05.9x001",
            "05.9xA0",
            "05.9x0x0001",
            "36.0601;",
            "36,0601",
            "36.0601|",
            "36.06\t01",
            "36.0601 x",
            "A6.0601",
            "36.0X01",
            "36.06a1",
            "",
        ] {
            let e = Icd9Cm3::parse(bad).unwrap_err();
            assert_eq!(e.rule, "icd9cm3.syntax", "{bad}");
        }
        // A trailing tab is whitespace and trimmed.
        assert!(Icd9Cm3::parse("36.0601\t").is_ok());
    }

    #[test]
    fn serde_goes_through_parse() {
        let c = Icd10::deserialize(IntoDeserializer::<DeError>::into_deserializer(String::from("I10.x00x002"))).unwrap();
        assert_eq!(String::from(c), "I10.x00x002");
        let e = Icd9Cm3::deserialize(IntoDeserializer::<DeError>::into_deserializer(String::from("36..0601"))).unwrap_err();
        assert!(e.to_string().contains("position 4"), "{e}");
    }

    /// Splits a TSV file into its header and rows; `None` when the shared data is missing.
    fn read_tsv(name: &str) -> Option<(Vec<String>, Vec<Vec<String>>)> {
        let path = format!("{}/../../../shared/data/chs-drg-1.1/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(path).ok()?;
        let mut lines = text.lines();
        let header = lines.next()?.split('\t').map(str::to_owned).collect();
        let rows = lines.map(|l| l.split('\t').map(str::to_owned).collect()).collect();
        Some((header, rows))
    }

    fn column(name: &str, col: &str) -> Vec<String> {
        let (header, rows) = read_tsv(name).unwrap_or_else(|| panic!("{name} missing"));
        let i = header
            .iter()
            .position(|h| h == col)
            .unwrap_or_else(|| panic!("{name} has no column {col}"));
        rows.into_iter().map(|r| r[i].clone()).filter(|c| !c.is_empty()).collect()
    }

    /// Whether the shared data is present; panics in CI when it is not.
    fn shared_data_present() -> bool {
        if read_tsv("icd10_names.tsv").is_some() {
            return true;
        }
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "../shared/data/chs-drg-1.1 is required in CI"
        );
        eprintln!("SKIPPED: ../shared not found");
        false
    }

    /// Source: shared/data/chs-drg-1.1 (`OpenDRG` commit 5d523a2, NHSA 医保版 2.0 dictionaries):
    /// every code of both dictionaries parses.
    #[test]
    fn shared_dictionaries_parse() {
        if !shared_data_present() {
            return;
        }
        let icd10 = column("icd10_names.tsv", "code");
        let icd9 = column("icd9_names.tsv", "code");
        assert_eq!((icd10.len(), icd9.len()), (33_304, 13_686));
        let bad10: Vec<&String> = icd10.iter().filter(|c| Icd10::parse(c).is_err()).collect();
        let bad9: Vec<&String> = icd9.iter().filter(|c| Icd9Cm3::parse(c).is_err()).collect();
        assert!(
            bad10.is_empty(),
            "{} ICD-10 codes rejected: {:?}",
            bad10.len(),
            &bad10[..bad10.len().min(20)]
        );
        assert!(
            bad9.is_empty(),
            "{} ICD-9-CM-3 codes rejected: {:?}",
            bad9.len(),
            &bad9[..bad9.len().min(20)]
        );
    }

    /// Source: shared/data/chs-drg-1.1: every code the grouper tables use parses too.
    #[test]
    fn shared_scheme_tables_parse() {
        if !shared_data_present() {
            return;
        }
        for (file, col) in [
            ("mdc_diagnoses.tsv", "code"),
            ("adrg_diagnoses.tsv", "code"),
            ("mcc.tsv", "code"),
            ("cc.tsv", "code"),
            ("cc_exclusion.tsv", "main_dx"),
            ("icd10_code_map.tsv", "to_code"),
        ] {
            let bad: Vec<String> = column(file, col).into_iter().filter(|c| Icd10::parse(c).is_err()).collect();
            assert!(
                bad.is_empty(),
                "{file}: {} rejected, e.g. {:?}",
                bad.len(),
                &bad[..bad.len().min(10)]
            );
        }
        for (file, col) in [
            ("adrg_procedures.tsv", "code"),
            ("or_procedures.tsv", "code"),
            ("icd9_code_map.tsv", "to_code"),
        ] {
            let bad: Vec<String> = column(file, col).into_iter().filter(|c| Icd9Cm3::parse(c).is_err()).collect();
            assert!(
                bad.is_empty(),
                "{file}: {} rejected, e.g. {:?}",
                bad.len(),
                &bad[..bad.len().min(10)]
            );
        }
    }

    /// Source: shared/data/chs-drg-1.1/sample_cases.tsv, whose README says about 1 % of the
    /// records carry deliberately invalid input (malformed codes among it). Everything else
    /// parses; the rejected codes are printed.
    #[test]
    fn shared_sample_cases_mostly_parse() {
        if !shared_data_present() {
            return;
        }
        let split = |v: Vec<String>| -> Vec<String> {
            v.iter()
                .flat_map(|s| s.split(';'))
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let dx: Vec<String> = [column("sample_cases.tsv", "main_dx"), split(column("sample_cases.tsv", "other_dx"))].concat();
        let px: Vec<String> = [
            column("sample_cases.tsv", "main_proc"),
            split(column("sample_cases.tsv", "other_procs")),
        ]
        .concat();
        let bad: Vec<&String> = dx
            .iter()
            .filter(|c| Icd10::parse(c).is_err())
            .chain(px.iter().filter(|c| Icd9Cm3::parse(c).is_err()))
            .collect();
        eprintln!("sample_cases: {} of {} codes rejected: {bad:?}", bad.len(), dx.len() + px.len());
        assert!(bad.len() <= 20, "{bad:?}");
    }

    proptest! {
        #[test]
        fn generated_icd10_parse(l in "[A-Z]", d in "[0-9]{2}", f in "[0-9x]", r in "[0-9]{2}", ext in proptest::option::of("x[0-9]{3}"), ast in proptest::option::of("\\+[A-Z][0-9]{2}(\\.[0-9]{1,3})?\\*")) {
            let s = format!("{l}{d}.{f}{r}{}{}", ext.unwrap_or_default(), ast.unwrap_or_default());
            prop_assert!(Icd10::parse(&s).is_ok(), "{}", s);
        }

        #[test]
        fn generated_icd9_parse(s in "[0-9]{2}\\.[0-9][0-9x][0-9]{2}(x[0-9]{3})?") {
            prop_assert!(Icd9Cm3::parse(&s).is_ok(), "{}", s);
        }

        /// Inserting a separator or a space anywhere inside a valid code makes it invalid.
        #[test]
        fn separators_are_rejected(i in 1usize..11, sep in proptest::sample::select(vec![";", ",", "|", "\t", " ", "..", "/"])) {
            let code = "I21.000x001";
            let s = format!("{}{sep}{}", &code[..i], &code[i..]);
            prop_assert!(Icd10::parse(&s).is_err(), "{:?}", s);
            let code9 = "51.2300x001";
            let s9 = format!("{}{sep}{}", &code9[..i], &code9[i..]);
            prop_assert!(Icd9Cm3::parse(&s9).is_err(), "{:?}", s9);
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,20}") {
            let _ = Icd10::parse(&s);
            let _ = Icd9Cm3::parse(&s);
        }
    }
}
