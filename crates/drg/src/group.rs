//! Grouping one record: validation, the MDC loop, the ADRG rules, the DRG split
//! (`chs-drg-1.1-grouping.md` §3–§6).
//!
//! The engine works on interned code ids. It is written once, generic over a trace sink: the
//! no-trace sink compiles to nothing, so grouping without `explain` allocates nothing.

use serde::Serialize;

use crate::case::{Case, Demographics, Sex};
use crate::rules::{AdrgRule, EntryRule, Split};
use crate::scheme::{Adrg, CcKind, NO_TABLE, Scheme};
use crate::trace::{Trace, TraceStep, UngroupableReason};

/// Newborn threshold of validation rule 4 (spec §3): a record under one year and at most this
/// many days old needs a birth weight.
pub const VALIDATION_NEWBORN_DAYS: i64 = 28;

/// Whether a record was grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum GroupStatus {
    /// A DRG was found.
    Grouped,
    /// No DRG: the result is `0000`.
    Ungroupable {
        /// Why.
        reason: UngroupableReason,
    },
}

/// The result of grouping one record (分组结果). Codes and names borrow from the [`Scheme`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupResult<'s> {
    /// Grouped, or ungroupable with a reason.
    #[serde(flatten)]
    pub status: GroupStatus,
    /// MDC code (e.g. `M`) when grouped.
    pub mdc: Option<&'s str>,
    /// ADRG code (e.g. `MJ1`) when grouped.
    pub adrg: Option<&'s str>,
    /// DRG code (e.g. `MJ19`) when grouped.
    pub drg: Option<&'s str>,
    /// Chinese DRG name when grouped.
    pub name_zh: Option<&'s str>,
    /// The explanation, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<Trace>,
}

/// The code of an ungroupable result.
pub const UNGROUPABLE_DRG: &str = "0000";

impl GroupResult<'_> {
    /// The DRG code, or `"0000"` when ungroupable.
    #[must_use]
    pub fn drg_code(&self) -> &str {
        self.drg.unwrap_or(UNGROUPABLE_DRG)
    }

    /// Whether a DRG was found.
    #[must_use]
    pub fn is_grouped(&self) -> bool {
        self.status == GroupStatus::Grouped
    }

    /// The reason when ungroupable.
    #[must_use]
    pub fn reason(&self) -> Option<UngroupableReason> {
        match self.status {
            GroupStatus::Grouped => None,
            GroupStatus::Ungroupable { reason } => Some(reason),
        }
    }
}

/// Where trace steps go. `NoTrace` discards them without building them.
trait Sink {
    const ON: bool;
    fn step(&mut self, f: impl FnOnce() -> TraceStep);
    fn finish(self) -> Option<Trace>;
}

struct NoTrace;

impl Sink for NoTrace {
    const ON: bool = false;
    #[inline(always)]
    fn step(&mut self, _f: impl FnOnce() -> TraceStep) {}
    #[inline(always)]
    fn finish(self) -> Option<Trace> {
        None
    }
}

impl Sink for Vec<TraceStep> {
    const ON: bool = true;
    fn step(&mut self, f: impl FnOnce() -> TraceStep) {
        self.push(f());
    }
    fn finish(self) -> Option<Trace> {
        Some(Trace { steps: self })
    }
}

/// Code ids of one record, inline for the usual short lists.
struct Ids {
    inline: [u32; 24],
    len: usize,
    heap: Vec<u32>,
}

impl Ids {
    #[inline]
    fn new() -> Ids {
        Ids {
            inline: [0; 24],
            len: 0,
            heap: Vec::new(),
        }
    }

    #[inline]
    fn push(&mut self, v: u32) {
        if self.heap.is_empty() && self.len < self.inline.len() {
            self.inline[self.len] = v;
            self.len += 1;
        } else {
            if self.heap.is_empty() {
                self.heap.extend_from_slice(&self.inline[..self.len]);
            }
            self.heap.push(v);
        }
    }

    #[inline]
    fn as_slice(&self) -> &[u32] {
        if self.heap.is_empty() {
            &self.inline[..self.len]
        } else {
            &self.heap
        }
    }
}

/// A record whose codes are already resolved to the scheme's ids: grouping it does no hashing.
/// Made by [`Scheme::prepare`]; tied to that scheme by its lifetime.
#[derive(Debug, Clone)]
pub struct PreparedCase<'s> {
    scheme: &'s Scheme,
    demographics: Demographics,
    dx: Vec<u32>,
    px: Vec<u32>,
}

impl<'s> PreparedCase<'s> {
    /// Groups the record (no trace).
    #[must_use]
    pub fn group(&self) -> GroupResult<'s> {
        self.scheme.run(&self.demographics, &self.dx, &self.px, NoTrace)
    }

    /// Groups the record with a trace.
    #[must_use]
    pub fn explain(&self) -> GroupResult<'s> {
        self.scheme.run(&self.demographics, &self.dx, &self.px, Vec::new())
    }
}

/// Outcome of the engine before it is turned into a [`GroupResult`].
enum Outcome {
    Drg { mdc: u32, adrg: u32, drg: u32 },
    Fail(UngroupableReason),
}

/// Facts about the record the rules read.
struct Ctx<'c> {
    sex: Sex,
    infant: bool,
    age_days: Option<i64>,
    weight_g: Option<i64>,
    dx: &'c [u32],
    px: &'c [u32],
    main: u32,
    main_proc: u32,
}

impl Scheme {
    /// Groups one record (no trace).
    ///
    /// Never panics, whatever the input; deterministic.
    ///
    /// # Example
    ///
    /// ```
    /// use sanyi_drg::{Case, Scheme, Sex, synthetic};
    /// let scheme = Scheme::from_files(&synthetic::demo_files()).unwrap();
    /// let case = Case {
    ///     sex: Some(Sex::Male),
    ///     age_years: Some(35.0),
    ///     diagnoses: vec!["K35.800x001".into()],
    ///     procedures: vec!["47.0901".into()],
    ///     ..Case::default()
    /// };
    /// let r = scheme.group(&case);
    /// assert_eq!(r.drg_code(), "GD25");
    /// assert!(r.trace.is_none());
    /// ```
    #[must_use]
    pub fn group(&self, case: &Case) -> GroupResult<'_> {
        self.group_codes(
            &case.demographics(),
            case.diagnoses.iter().map(String::as_str),
            case.procedures.iter().map(String::as_str),
            false,
        )
    }

    /// Groups one record and returns the trace of every test tried.
    ///
    /// ```
    /// use sanyi_drg::{Case, Scheme, Sex, synthetic};
    /// let scheme = Scheme::from_files(&synthetic::demo_files()).unwrap();
    /// let case = Case { sex: Some(Sex::Female), age_years: Some(70.0), diagnoses: vec!["I10.x00x002".into()], ..Case::default() };
    /// let r = scheme.explain(&case);
    /// let trace = r.trace.unwrap();
    /// assert_eq!(trace.entered_mdcs(), ["F"]);
    /// println!("{trace}");
    /// ```
    #[must_use]
    pub fn explain(&self, case: &Case) -> GroupResult<'_> {
        self.group_codes(
            &case.demographics(),
            case.diagnoses.iter().map(String::as_str),
            case.procedures.iter().map(String::as_str),
            true,
        )
    }

    /// Groups a record given as parts, without building a [`Case`]: demographics, the diagnosis
    /// codes (main first) and the procedure codes (main first). With `explain` the result has a trace.
    pub fn group_codes<'a>(
        &self,
        demographics: &Demographics,
        diagnoses: impl IntoIterator<Item = &'a str>,
        procedures: impl IntoIterator<Item = &'a str>,
        explain: bool,
    ) -> GroupResult<'_> {
        let mut dx = Ids::new();
        for c in diagnoses {
            dx.push(self.dx.id(c));
        }
        let mut px = Ids::new();
        for c in procedures {
            px.push(self.px.id(c));
        }
        if explain {
            self.run(demographics, dx.as_slice(), px.as_slice(), Vec::new())
        } else {
            self.run(demographics, dx.as_slice(), px.as_slice(), NoTrace)
        }
    }

    /// Resolves a record's codes to ids once, for repeated or allocation-free grouping.
    #[must_use]
    pub fn prepare(&self, case: &Case) -> PreparedCase<'_> {
        let mut p = PreparedCase {
            scheme: self,
            demographics: Demographics::default(),
            dx: Vec::new(),
            px: Vec::new(),
        };
        self.prepare_into(case, &mut p);
        p
    }

    /// Like [`Scheme::prepare`], reusing the buffers of `out` (which may come from another scheme).
    pub fn prepare_into<'s>(&'s self, case: &Case, out: &mut PreparedCase<'s>) {
        out.scheme = self;
        out.demographics = case.demographics();
        out.dx.clear();
        out.dx.extend(case.diagnoses.iter().map(|c| self.dx.id(c)));
        out.px.clear();
        out.px.extend(case.procedures.iter().map(|c| self.px.id(c)));
    }

    fn run<S: Sink>(&self, d: &Demographics, dx: &[u32], px: &[u32], mut sink: S) -> GroupResult<'_> {
        let outcome = self.engine(d, dx, px, &mut sink);
        let trace = sink.finish();
        match outcome {
            Outcome::Drg { mdc, adrg, drg } => {
                let mdc = self.mdcs.get(mdc as usize).map(|m| &*m.code);
                let adrg = self.adrgs.get(adrg as usize).map(|a| &*a.code);
                let drg = self.drgs.get(drg as usize);
                GroupResult {
                    status: GroupStatus::Grouped,
                    mdc,
                    adrg,
                    drg: drg.map(|d| &*d.code),
                    name_zh: drg.map(|d| &*d.name_zh),
                    trace,
                }
            }
            Outcome::Fail(reason) => GroupResult {
                status: GroupStatus::Ungroupable { reason },
                mdc: None,
                adrg: None,
                drg: None,
                name_zh: None,
                trace,
            },
        }
    }

    fn engine<S: Sink>(&self, d: &Demographics, dx: &[u32], px: &[u32], sink: &mut S) -> Outcome {
        // Step 0: validation (§3).
        let fail = |sink: &mut S, reason| {
            sink.step(|| TraceStep::ValidationFailed { reason });
            Outcome::Fail(reason)
        };
        let Some(sex) = d.sex else {
            return fail(sink, UngroupableReason::InvalidSex);
        };
        let Some(age) = d.age_years.filter(|a| a.is_finite()) else {
            return fail(sink, UngroupableReason::MissingAge);
        };
        let infant = age.trunc() == 0.0;
        if infant {
            match d.age_days {
                None => return fail(sink, UngroupableReason::MissingAgeDays),
                Some(days) if days <= VALIDATION_NEWBORN_DAYS && d.weight_g.is_none() => {
                    return fail(sink, UngroupableReason::NewbornWithoutWeight);
                }
                Some(_) => {}
            }
        }
        sink.step(|| TraceStep::Validated);

        let unknown_dx = self.dx.unknown();
        let unknown_px = self.px.unknown();
        let ctx = Ctx {
            sex,
            infant,
            age_days: d.age_days,
            weight_g: d.weight_g,
            dx,
            px,
            main: dx.first().copied().unwrap_or(unknown_dx),
            main_proc: px.first().copied().unwrap_or(unknown_px),
        };
        let main_mask = self.dx_info.get(ctx.main as usize).map_or(0, |i| i.mdc_mask);

        // Step 1: the MDC loop (§4).
        for (mi, mdc) in self.mdcs.iter().enumerate() {
            let on_list = (main_mask >> mi) & 1 == 1;
            let passed = match mdc.entry {
                EntryRule::MainProcInOrList => self.is_or(ctx.main_proc),
                EntryRule::MainDx => on_list,
                EntryRule::MainDxAndAgeUnder1 => on_list && ctx.infant,
                EntryRule::MainDxAndMale => on_list && ctx.sex == Sex::Male,
                EntryRule::MainDxAndFemale => on_list && ctx.sex == Sex::Female,
                EntryRule::MainDxAndMultiTrauma => on_list && self.trauma_region_mask(mdc.regions.as_deref(), dx).count_ones() >= 2,
            };
            sink.step(|| TraceStep::MdcEntry {
                mdc: mdc.code.to_string(),
                rule: mdc.entry,
                passed,
                trauma_regions: if mdc.entry == EntryRule::MainDxAndMultiTrauma {
                    self.region_names(mdc.regions.as_deref(), dx)
                } else {
                    Vec::new()
                },
            });
            if !passed {
                continue;
            }
            // Step 2: the ADRG rules in order (§5).
            let (first, end) = mdc.adrgs;
            for ai in first..end {
                let Some(adrg) = self.adrgs.get(ai as usize) else { break };
                let matched = self.adrg_matches(ai, adrg, &ctx);
                sink.step(|| TraceStep::AdrgRule {
                    adrg: adrg.code.to_string(),
                    rule: adrg.rule,
                    matched,
                });
                if matched {
                    // Step 3: the DRG (§6).
                    let drg = self.choose_drg(adrg, dx, sink);
                    return Outcome::Drg {
                        mdc: mi as u32,
                        adrg: ai,
                        drg,
                    };
                }
            }
            sink.step(|| TraceStep::MdcLeft { mdc: mdc.code.to_string() });
        }
        sink.step(|| TraceStep::NoMatch);
        Outcome::Fail(UngroupableReason::NoMdcAdrgMatched)
    }

    #[inline]
    fn is_or(&self, px: u32) -> bool {
        self.px_or.get(px as usize).copied().unwrap_or(false)
    }

    #[inline]
    fn bit(&self, bits: &[u64], id: u32, adrg: u32) -> bool {
        let a = adrg as usize;
        bits.get(id as usize * self.words + a / 64)
            .is_some_and(|w| (w >> (a % 64)) & 1 == 1)
    }

    #[inline]
    fn dx_on(&self, id: u32, adrg: u32) -> bool {
        self.bit(&self.dx_adrg, id, adrg)
    }

    #[inline]
    fn px_on1(&self, id: u32, adrg: u32) -> bool {
        self.bit(&self.px_adrg1, id, adrg)
    }

    #[inline]
    fn px_on2(&self, id: u32, adrg: u32) -> bool {
        self.bit(&self.px_adrg2, id, adrg)
    }

    fn adrg_matches(&self, ai: u32, a: &Adrg, c: &Ctx<'_>) -> bool {
        let newborn = || match (c.age_days, a.max_age_days) {
            (Some(days), Some(max)) => days <= max,
            _ => false,
        };
        let pair = || c.px.iter().any(|&p| self.px_on1(p, ai)) && c.px.iter().any(|&p| self.px_on2(p, ai));
        match a.rule {
            AdrgRule::MainDx => self.dx_on(c.main, ai),
            AdrgRule::MainProc => self.px_on1(c.main_proc, ai),
            AdrgRule::MainDxAndMainProc => self.dx_on(c.main, ai) && self.px_on1(c.main_proc, ai),
            AdrgRule::MainProcInOrList => self.is_or(c.main_proc),
            AdrgRule::AnyProcPair => pair(),
            AdrgRule::MainDxAndAnyProcPair => self.dx_on(c.main, ai) && pair(),
            AdrgRule::MainDxAndProcCategories => {
                self.dx_on(c.main, ai) && {
                    let mut present = 0u32;
                    for &p in c.px {
                        if self.px_on1(p, ai)
                            && let Some(&bit) = self.categories.get(&(ai, p))
                        {
                            present |= bit;
                        }
                    }
                    a.formula.as_ref().is_some_and(|f| f.holds(present))
                }
            }
            AdrgRule::MainProcNewborn => self.px_on1(c.main_proc, ai) && newborn(),
            AdrgRule::MainDxNewborn => self.dx_on(c.main, ai) && newborn(),
            AdrgRule::AnyDxNewbornWeight => {
                let weight_ok = c
                    .weight_g
                    .is_some_and(|w| w != 0 && a.min_weight_g.is_none_or(|min| min <= w) && a.max_weight_g.is_none_or(|max| w < max));
                weight_ok && newborn() && c.dx.iter().any(|&d| self.dx_on(d, ai))
            }
            AdrgRule::AnyDxAndMainProcInOrList => self.is_or(c.main_proc) && c.dx.iter().any(|&d| self.dx_on(d, ai)),
            AdrgRule::NoOrProc => !c.px.iter().any(|&p| self.is_or(p)),
            AdrgRule::Always => true,
        }
    }

    fn trauma_region_mask(&self, regions: Option<&[u8]>, dx: &[u32]) -> u64 {
        let Some(regions) = regions else { return 0 };
        let mut mask = 0u64;
        for &d in dx {
            let r = regions.get(d as usize).copied().unwrap_or(0);
            if r != 0 {
                mask |= 1u64 << ((r - 1) % 64);
            }
        }
        mask
    }

    fn region_names(&self, regions: Option<&[u8]>, dx: &[u32]) -> Vec<String> {
        let mask = self.trauma_region_mask(regions, dx);
        (0..64)
            .filter(|b| (mask >> b) & 1 == 1)
            .filter_map(|b| self.regions.get(b).map(|r| r.to_string()))
            .collect()
    }

    /// HAS_MCC and HAS_CC (§6): other diagnoses that are MCC/CC with an exclusion table different
    /// from the main diagnosis' one.
    fn complications(&self, dx: &[u32]) -> (bool, bool) {
        let Some((&main, others)) = dx.split_first() else {
            return (false, false);
        };
        let t = self.dx_info.get(main as usize).map_or(NO_TABLE, |i| i.main_table);
        let (mut mcc, mut cc) = (false, false);
        for &o in others {
            let Some(i) = self.dx_info.get(o as usize) else { continue };
            if i.cc_table != t {
                match i.cc_kind {
                    CcKind::Mcc => mcc = true,
                    CcKind::Cc => cc = true,
                    CcKind::None => {}
                }
            }
            if mcc && cc {
                break;
            }
        }
        (mcc, cc)
    }

    fn complications_step(&self, dx: &[u32]) -> TraceStep {
        let main = dx.first().copied().unwrap_or(self.dx.unknown());
        let t = self.dx_info.get(main as usize).map_or(NO_TABLE, |i| i.main_table);
        let (mut mcc_code, mut cc_code, mut excluded) = (None, None, Vec::new());
        for &o in dx.iter().skip(1) {
            let Some(i) = self.dx_info.get(o as usize) else { continue };
            if i.cc_kind == CcKind::None {
                continue;
            }
            let code = self.dx.code(o).to_owned();
            if i.cc_table == t {
                excluded.push(code);
            } else if i.cc_kind == CcKind::Mcc {
                mcc_code.get_or_insert(code);
            } else {
                cc_code.get_or_insert(code);
            }
        }
        TraceStep::Complications {
            main_dx: self.dx.code(main).to_owned(),
            exclusion_table: (t != NO_TABLE).then_some(t),
            has_mcc: mcc_code.is_some(),
            mcc_code,
            has_cc: cc_code.is_some(),
            cc_code,
            excluded,
        }
    }

    fn choose_drg<S: Sink>(&self, a: &Adrg, dx: &[u32], sink: &mut S) -> u32 {
        let (first, end) = a.drgs;
        let mut flags: Option<(bool, bool)> = None;
        if S::ON {
            sink.step(|| self.complications_step(dx));
        }
        for di in first..end {
            let Some(d) = self.drgs.get(di as usize) else { break };
            let taken = match d.split {
                Split::None => true,
                s => {
                    let (m, c) = *flags.get_or_insert_with(|| self.complications(dx));
                    s.holds(m, c)
                }
            };
            sink.step(|| TraceStep::Split {
                drg: d.code.to_string(),
                split: d.split,
                taken,
            });
            if taken {
                return di;
            }
        }
        // Unreachable for a validated scheme (the last split is `none`); stay total anyway.
        if end > first { end - 1 } else { u32::MAX }
    }
}
