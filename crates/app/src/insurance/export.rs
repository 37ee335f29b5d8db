//! The settlement report as an Excel workbook (结算报表导出): one sheet per level — counties,
//! months, DRG institutions, communities, the internal distribution to the members — money in yuan with two decimals (from integer fen) and
//! the fen columns kept beside for reconciliation.

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::run::RunReport;
use crate::ServiceError;

fn yuan(fen: i64) -> f64 {
    // Display only: the exact figure is the fen column written beside it.
    fen as f64 / 100.0
}

fn header(ws: &mut Worksheet, cols: &[&str], bold: &Format) -> Result<(), XlsxError> {
    for (i, c) in cols.iter().enumerate() {
        ws.write_string_with_format(0, u16::try_from(i).unwrap_or(u16::MAX), *c, bold)?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

fn build(r: &RunReport, names: &std::collections::BTreeMap<String, String>) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00");
    let ws = wb.add_worksheet().set_name("县域包干 Counties")?;
    header(
        ws,
        &[
            "县 County",
            "代码 Code",
            "参保人数 Enrollees",
            "65岁以上 65+",
            "权重(bp) Weight",
            "预算(元) Budget",
            "月预付(元) Monthly prepayment",
            "已预付(元) Prepaid",
            "县内支出(元) Inside",
            "县外支出(元) Outside",
            "合计支出(元) Spent",
            "外流占比(bp) Outflow",
            "DRG点数 Points",
            "点值(分/点) Point value",
            "结余留用(元) Retained",
            "基金收回(元) Fund keeps",
            "超支(元) Overspend",
            "基金分担(元) Fund shares",
            "医共体承担(元) Community bears",
            "预算(分) Budget fen",
            "支出(分) Spent fen",
        ],
        &bold,
    )?;
    for (i, c) in r.counties.iter().enumerate() {
        let row = u32::try_from(i + 1).unwrap_or(u32::MAX);
        ws.write_string(row, 0, &c.name)?;
        ws.write_string(row, 1, &c.code)?;
        ws.write_number(row, 2, c.enrollees as f64)?;
        ws.write_number(row, 3, c.elderly as f64)?;
        ws.write_number(row, 4, c.weight_bp as f64)?;
        for (col, v) in [
            (5, c.budget),
            (6, c.monthly_prepayment),
            (7, c.prepaid),
            (8, c.spent_inside),
            (9, c.spent_outside),
            (10, c.spent),
        ] {
            ws.write_number_with_format(row, col, yuan(v), &money)?;
        }
        ws.write_number(row, 11, c.outflow_bp as f64)?;
        ws.write_number(row, 12, c.drg.total_points as f64 / 10_000.0)?;
        ws.write_number(row, 13, c.drg.point_value_e4_fen as f64 / 10_000.0)?;
        if let Some(y) = &c.year_end {
            for (col, v) in [
                (14, y.retained),
                (15, y.fund_keeps),
                (16, y.overspend),
                (17, y.fund_pays),
                (18, y.community_bears),
            ] {
                ws.write_number_with_format(row, col, yuan(v.get()), &money)?;
            }
        }
        ws.write_number(row, 19, c.budget as f64)?;
        ws.write_number(row, 20, c.spent as f64)?;
    }
    ws.autofit();
    let ws = wb.add_worksheet().set_name("月度 Months")?;
    header(
        ws,
        &[
            "县 County",
            "月 Month",
            "县内(元) Inside",
            "县外(元) Outside",
            "累计(元) Cumulative",
            "时序进度(元) Time-proportional",
            "点值(分/点) Point value",
        ],
        &bold,
    )?;
    let mut row = 1u32;
    for c in &r.counties {
        for m in &c.months {
            ws.write_string(row, 0, &c.name)?;
            ws.write_number(row, 1, f64::from(m.month))?;
            for (col, v) in [
                (2, m.spent_inside),
                (3, m.spent_outside),
                (4, m.cumulative),
                (5, m.time_proportional),
            ] {
                ws.write_number_with_format(row, col, yuan(v), &money)?;
            }
            ws.write_number(row, 6, m.point_value_e4_fen as f64 / 10_000.0)?;
            row += 1;
        }
    }
    ws.autofit();
    let ws = wb.add_worksheet().set_name("DRG机构 Institutions")?;
    header(
        ws,
        &[
            "县 County",
            "机构 Institution",
            "病例 Cases",
            "点数 Points",
            "应付(元) Gross",
            "患者负担(元) Patient shares",
            "其他基金支付(元) Other funds",
            "实付(元) Net",
        ],
        &bold,
    )?;
    let mut row = 1u32;
    for c in &r.counties {
        for i in &c.drg.institutions {
            ws.write_string(row, 0, &c.name)?;
            // People read institutions by name (the report keeps the id).
            ws.write_string(row, 1, names.get(&i.institution).unwrap_or(&i.institution))?;
            ws.write_number(row, 2, f64::from(i.cases))?;
            ws.write_number(row, 3, i.points.ten_thousandths() as f64 / 10_000.0)?;
            for (col, v) in [(4, i.gross), (5, i.patient_shares), (6, i.other_funds), (7, i.net)] {
                ws.write_number_with_format(row, col, yuan(v.get()), &money)?;
            }
            row += 1;
        }
    }
    ws.autofit();
    let ws = wb.add_worksheet().set_name("医共体 Communities")?;
    header(
        ws,
        &[
            "县 County",
            "医共体 Community",
            "参保人数 Enrollees",
            "预算(元) Budget",
            "已预付(元) Prepaid",
            "县内支出(元) Inside",
            "县外支出(元) Outside",
            "DRG点数 Points",
            "结余留用(元) Retained",
            "超支(元) Overspend",
            "医共体承担(元) Community bears",
            "集采预付(元) VBP prepaid",
            "已冲抵(元) Offset",
            "待冲抵(元) Outstanding",
            "集采结余留用(元) VBP retained saving",
            "集采结余留用(分) VBP retained fen",
        ],
        &bold,
    )?;
    let mut row = 1u32;
    for c in &r.counties {
        for m in &c.communities {
            let p = &m.procurement;
            for (col, v) in [(11, p.prepaid), (12, p.offset), (13, p.outstanding), (14, p.retained)] {
                ws.write_number_with_format(row, col, yuan(v), &money)?;
            }
            ws.write_number(row, 15, p.retained as f64)?;
            ws.write_string(row, 0, &c.name)?;
            ws.write_string(row, 1, &m.name)?;
            ws.write_number(row, 2, m.enrollees as f64)?;
            for (col, v) in [(3, m.budget), (4, m.prepaid), (5, m.spent_inside), (6, m.spent_outside)] {
                ws.write_number_with_format(row, col, yuan(v), &money)?;
            }
            ws.write_number(row, 7, m.drg_points as f64 / 10_000.0)?;
            if let Some(y) = &m.year_end {
                for (col, v) in [(8, y.retained), (9, y.overspend), (10, y.community_bears)] {
                    ws.write_number_with_format(row, col, yuan(v.get()), &money)?;
                }
            }
            row += 1;
        }
    }
    ws.autofit();
    let ws = wb.add_worksheet().set_name("内部分配 Members")?;
    header(
        ws,
        &[
            "县 County",
            "成员单位 Member",
            "层级 Tier",
            "结余留用(元) Retained",
            "分担超支(元) Overspend borne",
            "结余(分) Retained fen",
            "超支(分) Borne fen",
        ],
        &bold,
    )?;
    let mut row = 1u32;
    for c in &r.counties {
        for m in &c.members {
            ws.write_string(row, 0, &c.name)?;
            ws.write_string(row, 1, &m.name)?;
            ws.write_string(row, 2, crate::labels::name("tier", &m.tier, false))?;
            ws.write_number_with_format(row, 3, yuan(m.retained), &money)?;
            ws.write_number_with_format(row, 4, yuan(m.borne), &money)?;
            ws.write_number(row, 5, m.retained as f64)?;
            ws.write_number(row, 6, m.borne as f64)?;
            row += 1;
        }
    }
    ws.autofit();
    let ws = wb.add_worksheet().set_name("按人头 Capitation")?;
    let mut cols = vec!["县 County", "成员单位 Member", "人数 Persons"];
    let months: Vec<String> = (1..=r.through_month).map(|m| format!("{m}月(元) M{m}")).collect();
    cols.extend(months.iter().map(String::as_str));
    cols.extend([
        "当期拨付(元) Paid",
        "预留(元) Withheld",
        "考核返还(元) Released",
        "外出就诊扣减(元) Charged elsewhere",
        "实得(元) Net",
    ]);
    header(ws, &cols, &bold)?;
    let mut row = 1u32;
    for c in &r.counties {
        for m in &c.capitation_members {
            ws.write_string(row, 0, &c.name)?;
            ws.write_string(row, 1, &m.name)?;
            ws.write_number(row, 2, m.persons as f64)?;
            let mut col = 3u16;
            for v in &m.monthly {
                ws.write_number_with_format(row, col, yuan(*v), &money)?;
                col += 1;
            }
            ws.write_number_with_format(row, col, yuan(m.paid), &money)?;
            ws.write_number_with_format(row, col + 1, yuan(m.withheld), &money)?;
            ws.write_number_with_format(row, col + 2, yuan(m.released), &money)?;
            ws.write_number_with_format(row, col + 3, yuan(m.charged_outside), &money)?;
            ws.write_number_with_format(row, col + 4, yuan(m.net), &money)?;
            row += 1;
        }
    }
    ws.autofit();
    let ws = wb.add_worksheet().set_name("按床日 Bed-days")?;
    header(
        ws,
        &[
            "县 County",
            "床日病例 Cases",
            "床日数 Days",
            "按床日付费(元) Paid",
            "按床日付费(分) Paid fen",
        ],
        &bold,
    )?;
    for (row, c) in (1u32..).zip(&r.counties) {
        ws.write_string(row, 0, &c.name)?;
        ws.write_number(row, 1, f64::from(c.drg.bed_day_cases))?;
        ws.write_number(row, 2, c.drg.bed_days as f64)?;
        ws.write_number_with_format(row, 3, yuan(c.drg.bed_day_payment), &money)?;
        ws.write_number(row, 4, c.drg.bed_day_payment as f64)?;
    }
    ws.autofit();
    wb.save_to_buffer()
}

/// The report as an `.xlsx` workbook, institutions by name.
///
/// # Errors
/// `Internal` when the workbook cannot be written; a database error reading the names.
pub async fn xlsx(app: &crate::App, r: &RunReport) -> Result<Vec<u8>, ServiceError> {
    let ids: Vec<String> = r
        .counties
        .iter()
        .flat_map(|c| c.drg.institutions.iter().map(|i| i.institution.clone()))
        .collect();
    let names = sanyi_store::registry::names(&app.db, &ids).await?;
    let names: std::collections::BTreeMap<String, String> = names.into_iter().collect();
    build(r, &names).map_err(|e| ServiceError::Internal(anyhow::anyhow!("xlsx: {e}")))
}
