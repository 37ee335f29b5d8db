//! What changed between two runs of a period (结算批次比对): the figures of the pool, each
//! county, each community and each member institution, compared by id; only the lines whose
//! value differs are listed. A pure function of the two reports.

use serde::Serialize;
use utoipa::ToSchema;

use super::run::{CommunityLine, CountyLine, RunReport};

/// One changed figure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct DiffLine {
    /// `pool`, `county`, `community` or `member`.
    pub level: String,
    /// Id of the county, community or institution (the pool's code for `pool`).
    pub id: String,
    /// Its name.
    pub name: String,
    /// The figure (its names: `labels`, kind `run_item`).
    pub item: String,
    /// `fen`, `count`, `point_value` (ten-thousandths of a fen per point), `points`
    /// (ten-thousandths of a point) or `score` (hundredths of a point).
    pub unit: String,
    /// Value in the earlier run (0 when the line did not exist).
    pub before: i64,
    /// Value in the later run (0 when the line no longer exists).
    pub after: i64,
}

/// The figures compared, with their unit.
type Figures = Vec<(&'static str, &'static str, i64)>;

fn pool_figures(r: &RunReport) -> Figures {
    vec![
        ("fund", "fen", r.fund),
        ("reserve", "fen", r.reserve),
        ("rigid", "fen", r.rigid),
        ("distributable", "fen", r.distributable),
        ("flags", "count", i64::try_from(r.flags.values().sum::<usize>()).unwrap_or(i64::MAX)),
    ]
}

fn county_figures(c: &CountyLine) -> Figures {
    let mut f = vec![
        ("budget", "fen", c.budget),
        ("monthly_prepayment", "fen", c.monthly_prepayment),
        ("prepaid", "fen", c.prepaid),
        ("spent_inside", "fen", c.spent_inside),
        ("spent_outside", "fen", c.spent_outside),
        ("outpatient_claims", "count", c.outpatient_claims),
        ("inpatient_claims", "count", c.inpatient_claims),
        ("drg_cases", "count", i64::from(c.drg.cases)),
        ("drg_points", "points", c.drg.total_points),
        ("drg_pool", "fen", c.drg.pool),
        ("point_value", "point_value", c.drg.point_value_e4_fen),
        ("bed_day_payment", "fen", c.drg.bed_day_payment),
        ("score", "score", i64::from(c.score)),
    ];
    if let Some(cap) = &c.capitation {
        f.push(("capitation_paid", "fen", cap.paid_now.get()));
        f.push(("capitation_released", "fen", cap.released.get()));
    }
    if let Some(ye) = &c.year_end {
        f.extend([
            ("retained", "fen", ye.retained.get()),
            ("fund_keeps", "fen", ye.fund_keeps.get()),
            ("reasonable", "fen", ye.reasonable.get()),
            ("fund_pays", "fen", ye.fund_pays.get()),
            ("community_bears", "fen", ye.community_bears.get()),
        ]);
    }
    f
}

fn community_figures(c: &CommunityLine) -> Figures {
    let mut f = vec![
        ("budget", "fen", c.budget),
        ("prepaid", "fen", c.prepaid),
        ("spent_inside", "fen", c.spent_inside),
        ("spent_outside", "fen", c.spent_outside),
        ("drg_points", "points", c.drg_points),
    ];
    if let Some(p) = c.payable {
        f.push(("payable", "fen", p));
    }
    if let Some(ye) = &c.year_end {
        f.push(("retained", "fen", ye.retained.get()));
        f.push(("community_bears", "fen", ye.community_bears.get()));
    }
    f
}

struct Line<'a> {
    level: &'static str,
    id: &'a str,
    name: &'a str,
    figures: Figures,
}

fn lines(r: &RunReport) -> Vec<Line<'_>> {
    let mut out = vec![Line {
        level: "pool",
        id: &r.pool,
        name: "",
        figures: pool_figures(r),
    }];
    for c in &r.counties {
        out.push(Line {
            level: "county",
            id: &c.code,
            name: &c.name,
            figures: county_figures(c),
        });
        for m in &c.communities {
            out.push(Line {
                level: "community",
                id: &m.id,
                name: &m.name,
                figures: community_figures(m),
            });
        }
        for m in &c.members {
            out.push(Line {
                level: "member",
                id: &m.id,
                name: &m.name,
                figures: vec![("retained", "fen", m.retained), ("borne", "fen", m.borne)],
            });
        }
    }
    out
}

/// The changed figures from `before` to `after`, in the order of `after` (lines that exist only
/// in `before` at the end).
pub fn diff(before: &RunReport, after: &RunReport) -> Vec<DiffLine> {
    let old = lines(before);
    let new = lines(after);
    let mut out = Vec::new();
    let find = |ls: &[Line<'_>], level: &str, id: &str| -> Option<usize> { ls.iter().position(|l| l.level == level && l.id == id) };
    let mut push = |l: &Line<'_>, item: &str, unit: &str, b: i64, a: i64| {
        if a != b {
            out.push(DiffLine {
                level: l.level.into(),
                id: l.id.into(),
                name: l.name.into(),
                item: item.into(),
                unit: unit.into(),
                before: b,
                after: a,
            });
        }
    };
    for l in &new {
        let prev = find(&old, l.level, l.id).map(|i| &old[i].figures);
        for (item, unit, v) in &l.figures {
            let b = prev.and_then(|f| f.iter().find(|x| x.0 == *item)).map_or(0, |x| x.2);
            push(l, item, unit, b, *v);
        }
        // A figure the earlier run had and this one does not (e.g. a year-end part) went to 0.
        if let Some(f) = prev {
            for (item, unit, v) in f {
                if !l.figures.iter().any(|x| x.0 == *item) {
                    push(l, item, unit, *v, 0);
                }
            }
        }
    }
    for l in &old {
        if find(&new, l.level, l.id).is_none() {
            for (item, unit, v) in &l.figures {
                push(l, item, unit, *v, 0);
            }
        }
    }
    out
}

/// Every `run_item` code a diff can show (the label registry names each).
pub const ITEMS: &[&str] = &[
    "fund",
    "reserve",
    "rigid",
    "distributable",
    "flags",
    "budget",
    "monthly_prepayment",
    "prepaid",
    "spent_inside",
    "spent_outside",
    "outpatient_claims",
    "inpatient_claims",
    "drg_cases",
    "drg_points",
    "drg_pool",
    "point_value",
    "bed_day_payment",
    "score",
    "capitation_paid",
    "capitation_released",
    "retained",
    "fund_keeps",
    "reasonable",
    "fund_pays",
    "community_bears",
    "payable",
    "borne",
];
