//! The closed vocabulary a scheme's tables choose from: MDC entry rules, ADRG rules, DRG splits and
//! procedure-category formulas.
//!
//! Tables name these by their snake-case names (`main_dx_and_male`, `any_proc_pair`, `mcc_or_cc`, …);
//! the loader rejects any other value. The exact meaning of each is in the specification
//! (`chs-drg-1.1-grouping.md` §4–§6) and repeated on each variant.

use std::fmt;

use serde::Serialize;

/// How a major diagnostic category (主要诊断大类, MDC) is entered (`mdc.tsv`, column `entry_rule`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryRule {
    /// The procedure list is non-empty and the main procedure is on the OR list (MDC A).
    MainProcInOrList,
    /// The main diagnosis is on the MDC's list.
    MainDx,
    /// The main diagnosis is on the list and the whole years of age are 0 (MDC P).
    MainDxAndAgeUnder1,
    /// The main diagnosis is on the list and the listed diagnoses cover at least two trauma regions (MDC Z).
    MainDxAndMultiTrauma,
    /// The main diagnosis is on the list and the patient is male (MDC M).
    MainDxAndMale,
    /// The main diagnosis is on the list and the patient is female (MDC N).
    MainDxAndFemale,
}

impl EntryRule {
    /// Every entry rule, in vocabulary order.
    pub const ALL: [EntryRule; 6] = [
        EntryRule::MainProcInOrList,
        EntryRule::MainDx,
        EntryRule::MainDxAndAgeUnder1,
        EntryRule::MainDxAndMultiTrauma,
        EntryRule::MainDxAndMale,
        EntryRule::MainDxAndFemale,
    ];

    /// The name used in `mdc.tsv`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            EntryRule::MainProcInOrList => "main_proc_in_or_list",
            EntryRule::MainDx => "main_dx",
            EntryRule::MainDxAndAgeUnder1 => "main_dx_and_age_under_1",
            EntryRule::MainDxAndMultiTrauma => "main_dx_and_multi_trauma",
            EntryRule::MainDxAndMale => "main_dx_and_male",
            EntryRule::MainDxAndFemale => "main_dx_and_female",
        }
    }

    /// Parses a table value; `None` for anything outside the vocabulary.
    #[must_use]
    pub fn parse(s: &str) -> Option<EntryRule> {
        EntryRule::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether the rule tests the main diagnosis against the MDC's list.
    #[must_use]
    pub fn uses_list(self) -> bool {
        self != EntryRule::MainProcInOrList
    }

    /// A short description in Chinese.
    #[must_use]
    pub fn describe_zh(self) -> &'static str {
        match self {
            EntryRule::MainProcInOrList => "主要手术为手术室手术",
            EntryRule::MainDx => "主要诊断在本MDC列表",
            EntryRule::MainDxAndAgeUnder1 => "主要诊断在本MDC列表且年龄不足1岁",
            EntryRule::MainDxAndMultiTrauma => "主要诊断在本MDC列表且创伤涉及至少两个部位",
            EntryRule::MainDxAndMale => "主要诊断在本MDC列表且为男性",
            EntryRule::MainDxAndFemale => "主要诊断在本MDC列表且为女性",
        }
    }

    /// A short description in English.
    #[must_use]
    pub fn describe_en(self) -> &'static str {
        match self {
            EntryRule::MainProcInOrList => "main procedure is an OR procedure",
            EntryRule::MainDx => "main diagnosis on the MDC list",
            EntryRule::MainDxAndAgeUnder1 => "main diagnosis on the MDC list and age under one year",
            EntryRule::MainDxAndMultiTrauma => "main diagnosis on the MDC list and trauma in at least two regions",
            EntryRule::MainDxAndMale => "main diagnosis on the MDC list and male",
            EntryRule::MainDxAndFemale => "main diagnosis on the MDC list and female",
        }
    }
}

impl fmt::Display for EntryRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an ADRG (核心疾病诊断相关分组) is matched inside its MDC (`adrg.tsv`, column `rule`).
///
/// *D* is the ADRG's diagnosis list, *P1* / *P2* its procedure lists 1 and 2, "newborn" means age in
/// days present and `<= max_age_days`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AdrgRule {
    /// main diagnosis ∈ *D*.
    MainDx,
    /// main procedure ∈ *P1*.
    MainProc,
    /// main diagnosis ∈ *D* and main procedure ∈ *P1*.
    MainDxAndMainProc,
    /// main procedure on the OR list.
    MainProcInOrList,
    /// some procedure (any position) ∈ *P1* and some procedure ∈ *P2*.
    AnyProcPair,
    /// main diagnosis ∈ *D* and the [`AdrgRule::AnyProcPair`] condition.
    MainDxAndAnyProcPair,
    /// main diagnosis ∈ *D* and the categories of the listed procedures satisfy the formula.
    MainDxAndProcCategories,
    /// main procedure ∈ *P1* and newborn.
    MainProcNewborn,
    /// main diagnosis ∈ *D* and newborn.
    MainDxNewborn,
    /// some diagnosis ∈ *D*, birth weight present, non-zero and inside the band, and newborn.
    AnyDxNewbornWeight,
    /// some diagnosis ∈ *D* and main procedure on the OR list.
    AnyDxAndMainProcInOrList,
    /// no procedure (any position) on the OR list.
    NoOrProc,
    /// always.
    Always,
}

impl AdrgRule {
    /// Every ADRG rule, in vocabulary order.
    pub const ALL: [AdrgRule; 13] = [
        AdrgRule::MainDx,
        AdrgRule::MainProc,
        AdrgRule::MainDxAndMainProc,
        AdrgRule::MainProcInOrList,
        AdrgRule::AnyProcPair,
        AdrgRule::MainDxAndAnyProcPair,
        AdrgRule::MainDxAndProcCategories,
        AdrgRule::MainProcNewborn,
        AdrgRule::MainDxNewborn,
        AdrgRule::AnyDxNewbornWeight,
        AdrgRule::AnyDxAndMainProcInOrList,
        AdrgRule::NoOrProc,
        AdrgRule::Always,
    ];

    /// The name used in `adrg.tsv`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            AdrgRule::MainDx => "main_dx",
            AdrgRule::MainProc => "main_proc",
            AdrgRule::MainDxAndMainProc => "main_dx_and_main_proc",
            AdrgRule::MainProcInOrList => "main_proc_in_or_list",
            AdrgRule::AnyProcPair => "any_proc_pair",
            AdrgRule::MainDxAndAnyProcPair => "main_dx_and_any_proc_pair",
            AdrgRule::MainDxAndProcCategories => "main_dx_and_proc_categories",
            AdrgRule::MainProcNewborn => "main_proc_newborn",
            AdrgRule::MainDxNewborn => "main_dx_newborn",
            AdrgRule::AnyDxNewbornWeight => "any_dx_newborn_weight",
            AdrgRule::AnyDxAndMainProcInOrList => "any_dx_and_main_proc_in_or_list",
            AdrgRule::NoOrProc => "no_or_proc",
            AdrgRule::Always => "always",
        }
    }

    /// Parses a table value; `None` for anything outside the vocabulary.
    #[must_use]
    pub fn parse(s: &str) -> Option<AdrgRule> {
        AdrgRule::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether the rule reads the ADRG's diagnosis list.
    #[must_use]
    pub fn uses_dx_list(self) -> bool {
        matches!(
            self,
            AdrgRule::MainDx
                | AdrgRule::MainDxAndMainProc
                | AdrgRule::MainDxAndAnyProcPair
                | AdrgRule::MainDxAndProcCategories
                | AdrgRule::MainDxNewborn
                | AdrgRule::AnyDxNewbornWeight
                | AdrgRule::AnyDxAndMainProcInOrList
        )
    }

    /// Whether the rule reads the ADRG's procedure list 1.
    #[must_use]
    pub fn uses_proc_list(self) -> bool {
        matches!(
            self,
            AdrgRule::MainProc
                | AdrgRule::MainDxAndMainProc
                | AdrgRule::AnyProcPair
                | AdrgRule::MainDxAndAnyProcPair
                | AdrgRule::MainDxAndProcCategories
                | AdrgRule::MainProcNewborn
        )
    }

    /// Whether the rule reads the ADRG's procedure list 2 (the pair rules).
    #[must_use]
    pub fn uses_second_proc_list(self) -> bool {
        matches!(self, AdrgRule::AnyProcPair | AdrgRule::MainDxAndAnyProcPair)
    }

    /// Whether the rule needs `max_age_days` (the newborn rules).
    #[must_use]
    pub fn is_newborn(self) -> bool {
        matches!(
            self,
            AdrgRule::MainProcNewborn | AdrgRule::MainDxNewborn | AdrgRule::AnyDxNewbornWeight
        )
    }

    /// A short description in Chinese.
    #[must_use]
    pub fn describe_zh(self) -> &'static str {
        match self {
            AdrgRule::MainDx => "主要诊断在ADRG诊断表",
            AdrgRule::MainProc => "主要手术在ADRG手术表",
            AdrgRule::MainDxAndMainProc => "主要诊断在诊断表且主要手术在手术表",
            AdrgRule::MainProcInOrList => "主要手术为手术室手术",
            AdrgRule::AnyProcPair => "同时有手术表1和手术表2的手术",
            AdrgRule::MainDxAndAnyProcPair => "主要诊断在诊断表且同时有手术表1和手术表2的手术",
            AdrgRule::MainDxAndProcCategories => "主要诊断在诊断表且手术类别组合满足公式",
            AdrgRule::MainProcNewborn => "新生儿且主要手术在手术表",
            AdrgRule::MainDxNewborn => "新生儿且主要诊断在诊断表",
            AdrgRule::AnyDxNewbornWeight => "新生儿、任一诊断在诊断表且出生体重在范围内",
            AdrgRule::AnyDxAndMainProcInOrList => "任一诊断在诊断表且主要手术为手术室手术",
            AdrgRule::NoOrProc => "无手术室手术",
            AdrgRule::Always => "无条件",
        }
    }

    /// A short description in English.
    #[must_use]
    pub fn describe_en(self) -> &'static str {
        match self {
            AdrgRule::MainDx => "main diagnosis on the ADRG diagnosis list",
            AdrgRule::MainProc => "main procedure on the ADRG procedure list",
            AdrgRule::MainDxAndMainProc => "main diagnosis and main procedure on the ADRG lists",
            AdrgRule::MainProcInOrList => "main procedure is an OR procedure",
            AdrgRule::AnyProcPair => "procedures from both procedure lists",
            AdrgRule::MainDxAndAnyProcPair => "main diagnosis on the list and procedures from both procedure lists",
            AdrgRule::MainDxAndProcCategories => "main diagnosis on the list and procedure categories satisfy the formula",
            AdrgRule::MainProcNewborn => "newborn and main procedure on the list",
            AdrgRule::MainDxNewborn => "newborn and main diagnosis on the list",
            AdrgRule::AnyDxNewbornWeight => "newborn, a diagnosis on the list and birth weight in the band",
            AdrgRule::AnyDxAndMainProcInOrList => "a diagnosis on the list and main procedure is an OR procedure",
            AdrgRule::NoOrProc => "no OR procedure",
            AdrgRule::Always => "always",
        }
    }
}

impl fmt::Display for AdrgRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The condition a DRG (疾病诊断相关分组) imposes inside its ADRG (`drg.tsv`, column `split`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    /// The record has an MCC not excluded by the main diagnosis (伴严重并发症或合并症).
    Mcc,
    /// The record has an MCC or a CC not excluded by the main diagnosis (伴并发症或合并症).
    MccOrCc,
    /// Always (不伴并发症或合并症, or an ADRG that is not split); the last DRG of every ADRG.
    None,
}

impl Split {
    /// Every split, in vocabulary order.
    pub const ALL: [Split; 3] = [Split::Mcc, Split::MccOrCc, Split::None];

    /// The name used in `drg.tsv`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Split::Mcc => "mcc",
            Split::MccOrCc => "mcc_or_cc",
            Split::None => "none",
        }
    }

    /// Parses a table value; `None` for anything outside the vocabulary.
    #[must_use]
    pub fn parse(s: &str) -> Option<Split> {
        Split::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether the split holds for a record with these complication flags.
    #[must_use]
    pub fn holds(self, has_mcc: bool, has_cc: bool) -> bool {
        match self {
            Split::Mcc => has_mcc,
            Split::MccOrCc => has_mcc || has_cc,
            Split::None => true,
        }
    }
}

impl fmt::Display for Split {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A procedure-category formula such as `1&2|1&3&4`: a disjunction (`|`) of conjunctions (`&`) of
/// category numbers `1`…`32`. It holds when all categories of at least one alternative are present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Formula {
    /// One bit mask per alternative (bit `c - 1` for category `c`).
    alternatives: Vec<u32>,
    text: Box<str>,
}

/// The largest procedure category a formula or `adrg_procedures.tsv` may use.
pub const MAX_CATEGORY: u8 = 32;

impl Formula {
    /// Parses a formula; the error is a short English reason.
    ///
    /// # Errors
    ///
    /// An empty formula, an empty alternative or term, or a term that is not an integer in
    /// `1..=32`.
    pub fn parse(text: &str) -> Result<Formula, &'static str> {
        if text.trim().is_empty() {
            return Err("empty formula");
        }
        let mut alternatives = Vec::new();
        for alt in text.split('|') {
            let mut mask = 0u32;
            for term in alt.split('&') {
                let term = term.trim();
                if term.is_empty() {
                    return Err("empty term");
                }
                let c: u8 = term.parse().map_err(|_| "term is not a category number")?;
                if c == 0 || c > MAX_CATEGORY {
                    return Err("category out of range 1..=32");
                }
                mask |= 1 << (c - 1);
            }
            alternatives.push(mask);
        }
        Ok(Formula {
            alternatives,
            text: text.into(),
        })
    }

    /// Whether the formula holds for a set of present categories (bit `c - 1` for category `c`).
    #[must_use]
    pub fn holds(&self, present: u32) -> bool {
        self.alternatives.iter().any(|&m| m & !present == 0)
    }

    /// The formula as written in the table.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Formula {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabulary_round_trips() {
        for r in EntryRule::ALL {
            assert_eq!(EntryRule::parse(r.as_str()), Some(r));
        }
        for r in AdrgRule::ALL {
            assert_eq!(AdrgRule::parse(r.as_str()), Some(r));
        }
        for s in Split::ALL {
            assert_eq!(Split::parse(s.as_str()), Some(s));
        }
        assert_eq!(AdrgRule::parse("MAIN_DX"), None);
    }

    /// Source: chs-drg-1.1-grouping.md §5, procedure categories.
    #[test]
    fn formulas() {
        let f = Formula::parse("1&2|1&3&4").unwrap();
        assert!(f.holds(0b0011));
        assert!(f.holds(0b1101));
        assert!(!f.holds(0b0101));
        assert!(!f.holds(0b1110));
        let g = Formula::parse("1|2&3").unwrap();
        assert!(g.holds(0b001));
        assert!(g.holds(0b110));
        assert!(!g.holds(0b010));
        for bad in ["", "1&", "|1", "a", "0", "33", "1&&2"] {
            assert!(Formula::parse(bad).is_err(), "{bad}");
        }
    }
}
