//! The benefit policy as people read it (待遇政策一览): parameters named in Chinese and English,
//! money in yuan, ratios in percent, one column per level of care — the page's view of the
//! document the engine runs on (the TOML stays the import and export format).

use serde::Serialize;

use sanyi_domain::{BasisPoints, Fen};
use sanyi_insurance::policy::{ByLevel, Policy, Scheme};

use crate::labels;

/// A table of the sheet.
#[derive(Clone, Debug, Serialize)]
pub struct Section {
    /// Title in Chinese.
    pub title_zh: String,
    /// Title in English.
    pub title_en: String,
    /// Column headings after the parameter's name, (Chinese, English).
    pub columns: Vec<(&'static str, &'static str)>,
    /// Rows.
    pub rows: Vec<Row>,
}

/// One parameter.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// Name in Chinese.
    pub zh: String,
    /// Name in English.
    pub en: String,
    /// Values, one per column, already formatted (元, %).
    pub cells: Vec<String>,
}

fn yuan(f: Fen) -> String {
    format!("{} 元", f.to_yuan_string())
}

fn pct(b: BasisPoints) -> String {
    b.to_string()
}

const LEVELS: [(&str, &str); 5] = [
    ("村卫生室", "Village clinic"),
    ("乡镇卫生院", "Township centre"),
    ("县级医院", "County hospital"),
    ("县外省内", "Outside the county, in the province"),
    ("省外", "Outside the province"),
];

fn by_level<T: Copy>(zh: &str, en: &str, v: &ByLevel<T>, f: impl Fn(T) -> String) -> Row {
    Row {
        zh: zh.to_owned(),
        en: en.to_owned(),
        cells: v.all().into_iter().map(|(_, x)| f(x)).collect(),
    }
}

fn one(zh: &str, en: &str, value: String) -> Row {
    Row {
        zh: zh.to_owned(),
        en: en.to_owned(),
        cells: vec![value],
    }
}

fn scheme_name(s: Scheme) -> (&'static str, &'static str) {
    match s {
        Scheme::Employee => ("职工基本医疗保险", "Employee basic insurance"),
        Scheme::Resident => ("城乡居民基本医疗保险", "Resident basic insurance"),
    }
}

/// The sheet of a policy.
pub fn sheet(p: &Policy) -> Vec<Section> {
    let value = vec![("取值", "Value")];
    let mut out = vec![Section {
        title_zh: "通用规定".into(),
        title_en: "General rules".into(),
        columns: value.clone(),
        rows: vec![
            one("乙类先行自付比例", "Class B pre-self-pay share", pct(p.class_b_preselfpay)),
            one(
                "异地就医已备案降低比例",
                "Out-of-area care, filed: ratio reduction",
                pct(p.out_of_area.filed_reduction),
            ),
            one(
                "异地就医未转诊降低比例",
                "Out-of-area care, not referred: ratio reduction",
                pct(p.out_of_area.unreferred_reduction),
            ),
            one(
                "医疗救助年度限额",
                "Medical assistance annual limit",
                yuan(p.assistance.annual_limit),
            ),
            one(
                "不予支付项目",
                "Items never paid",
                if p.excluded_items.is_empty() {
                    "—".into()
                } else {
                    p.excluded_items.join("、")
                },
            ),
        ],
    }];
    if let Some(w) = &p.waiting_period {
        out[0].rows.push(one(
            "集中参保期后参保的待遇等待期",
            "Waiting period after the enrolment window",
            format!(
                "{} 个月（{} 之后参保；每断保一年加 {} 个月）",
                w.months, w.window_end, w.extra_months_per_gap_year
            ),
        ));
    }
    out.push(Section {
        title_zh: "医疗救助比例".into(),
        title_en: "Medical assistance ratios".into(),
        columns: value.clone(),
        rows: p
            .assistance
            .ratios
            .iter()
            .map(|r| {
                let code = serde_json::to_value(r.category)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                let l = labels::of("person_category", &code);
                let value = if r.deductible.get() > 0 {
                    format!("{}（起付 {}）", pct(r.ratio), yuan(r.deductible))
                } else {
                    pct(r.ratio)
                };
                one(l.map_or(&code[..], |l| l.zh), l.map_or(&code[..], |l| l.en), value)
            })
            .collect(),
    });
    for s in &p.schemes {
        let (zh, en) = scheme_name(s.scheme);
        out.push(Section {
            title_zh: format!("{zh} · 住院"),
            title_en: format!("{en} · inpatient"),
            columns: LEVELS.to_vec(),
            rows: vec![
                by_level("起付标准", "Deductible", &s.inpatient.deductible, yuan),
                by_level("报销比例", "Reimbursement ratio", &s.inpatient.ratio, pct),
                Row {
                    zh: "再次住院起付标准（占首次）".into(),
                    en: "Deductible of a repeat admission (share of the first)".into(),
                    cells: vec![pct(s.inpatient.repeat_admission_deductible); 4],
                },
            ],
        });
        out.push(Section {
            title_zh: format!("{zh} · 普通门诊"),
            title_en: format!("{en} · outpatient"),
            columns: LEVELS.to_vec(),
            rows: vec![
                by_level("年度起付标准", "Annual deductible", &s.outpatient.annual_deductible, yuan),
                by_level("报销比例", "Reimbursement ratio", &s.outpatient.ratio, pct),
                by_level("每次限额", "Limit per visit", &s.outpatient.per_visit_limit, |f: Fen| {
                    if f.get() == 0 { "不限".into() } else { yuan(f) }
                }),
                Row {
                    zh: "年度限额".into(),
                    en: "Annual limit".into(),
                    cells: vec![yuan(s.outpatient.annual_limit); 4],
                },
            ],
        });
        let diseases = s.chronic.diseases.iter().map(|d| d.name.clone()).collect::<Vec<_>>().join("、");
        let mut rows = vec![
            one(
                "年度统筹基金最高支付限额",
                "Annual ceiling of the pooled fund",
                yuan(s.annual_ceiling),
            ),
            one("门诊慢特病病种", "Chronic and special diseases", diseases),
            one("退休人员报销比例提高", "Retired persons: ratio bonus", pct(s.retiree_ratio_bonus)),
            one(
                "门诊慢特病年度起付标准",
                "Chronic outpatient deductible",
                yuan(s.chronic.annual_deductible),
            ),
            one("门诊慢特病报销比例", "Chronic outpatient ratio", pct(s.chronic.ratio)),
            one(
                "门诊慢特病年度限额",
                "Chronic outpatient annual limit",
                yuan(s.chronic.annual_limit),
            ),
        ];
        if let Some(ci) = &s.critical_illness {
            rows.push(one("大病保险起付线", "Critical illness threshold", yuan(ci.threshold)));
            for b in &ci.bands {
                rows.push(one(
                    &format!("大病保险 {} 以上部分报销比例", yuan(b.from)),
                    &format!("Critical illness ratio above {}", yuan(b.from)),
                    pct(b.ratio),
                ));
            }
            rows.push(one("大病保险年度限额", "Critical illness annual limit", yuan(ci.annual_limit)));
            rows.push(one(
                "特殊人群起付线降低",
                "Special populations: threshold reduction",
                pct(ci.special_threshold_reduction),
            ));
            rows.push(one(
                "特殊人群报销比例提高",
                "Special populations: ratio bonus",
                pct(ci.special_ratio_bonus),
            ));
            rows.push(one(
                "大病保险特殊人群",
                "Critical illness special populations",
                ci.special_categories
                    .iter()
                    .map(|c| {
                        let code = serde_json::to_value(c)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default();
                        crate::labels::name("person_category", &code, false).to_owned()
                    })
                    .collect::<Vec<_>>()
                    .join("、"),
            ));
            rows.push(one(
                "特殊人群不设大病保险限额",
                "Special populations: no critical illness limit",
                if ci.special_no_limit { "是".into() } else { "否".into() },
            ));
            rows.push(one(
                "普通门诊统筹费用计入大病保险",
                "Outpatient pooling counts toward critical illness",
                if ci.covers_outpatient_pooling { "是".into() } else { "否".into() },
            ));
        }
        out.push(Section {
            title_zh: format!("{zh} · 限额、慢特病与大病保险"),
            title_en: format!("{en} · limits, chronic care and critical illness"),
            columns: value.clone(),
            rows,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_policy_reads_in_yuan_and_percent() {
        let p = crate::demo::insurance::demo_policy("652300", 2026);
        let s = sheet(&p);
        let general = &s[0];
        assert_eq!(general.rows[0].cells, vec!["10.00%".to_owned()]);
        let inpatient = s.iter().find(|x| x.title_zh.ends_with("住院")).unwrap();
        assert_eq!(inpatient.columns.len(), 5);
        assert!(
            inpatient.rows[0].cells.iter().all(|c| c.ends_with(" 元")),
            "{:?}",
            inpatient.rows[0]
        );
        assert!(s.iter().all(|x| x.rows.iter().all(|r| r.cells.iter().all(|c| !c.contains('_')))));
    }
}
