//! The procurement report as an Excel workbook (集采报表导出): completion by generic and by
//! institution, usage rates, and the savings of each project — money in yuan with two decimals
//! (display) beside the exact fen columns, ratios in percent beside basis points.

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::report::{ProcurementReport, UsageLine};
use crate::ServiceError;

fn header(ws: &mut Worksheet, cols: &[&str], bold: &Format) -> Result<(), XlsxError> {
    for (i, c) in cols.iter().enumerate() {
        ws.write_string_with_format(0, u16::try_from(i).unwrap_or(u16::MAX), *c, bold)?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

fn level_zh(level: &str) -> &'static str {
    match level {
        "national" => "国家集采",
        "provincial" => "省级集采",
        _ => "联盟采购",
    }
}

fn write_bp(ws: &mut Worksheet, row: u32, col: u16, bp: Option<i64>, pct: &Format) -> Result<(), XlsxError> {
    match bp {
        // Display only: the exact ratio is the basis-point column beside it.
        Some(b) => {
            ws.write_number_with_format(row, col, b as f64 / 10_000.0, pct)?;
            ws.write_number(row, col + 1, b as f64)?;
        }
        None => {
            ws.write_string(row, col, "—")?;
        }
    }
    Ok(())
}

fn usage_sheet(wb: &mut Workbook, name: &str, who: &str, lines: &[UsageLine], bold: &Format, pct: &Format) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet().set_name(name)?;
    header(
        ws,
        &[
            who,
            "通用名 Generic",
            "剂型 Form",
            "中选数量 Selected",
            "非中选数量 Other",
            "使用率 Usage",
            "使用率(bp)",
        ],
        bold,
    )?;
    for (i, u) in lines.iter().enumerate() {
        let row = u32::try_from(i + 1).unwrap_or(u32::MAX);
        ws.write_string(row, 0, &u.name)?;
        ws.write_string(row, 1, &u.generic_name)?;
        ws.write_string(row, 2, &u.dosage_form)?;
        ws.write_number(row, 3, u.selected_units as f64)?;
        ws.write_number(row, 4, u.other_units as f64)?;
        write_bp(ws, row, 5, u.usage_bp, pct)?;
    }
    Ok(())
}

fn build(r: &ProcurementReport) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00");
    let pct = Format::new().set_num_format("0.00%");
    let ws = wb.add_worksheet().set_name("项目与节约 Savings")?;
    header(
        ws,
        &[
            "项目编号 Code",
            "项目 Project",
            "层级 Level",
            "开始 Start",
            "结束 End",
            "时间进度 Elapsed",
            "时间进度(bp)",
            "约定金额(元) Agreed",
            "医保预付(元) Prepaid",
            "加权降价幅度 Price cut",
            "降价(bp)",
            "节约金额(元) Saving",
            "节约(分) Saving fen",
            "进度滞后品种 Behind",
        ],
        &bold,
    )?;
    for (i, p) in r.projects.iter().enumerate() {
        let row = u32::try_from(i + 1).unwrap_or(u32::MAX);
        ws.write_string(row, 0, &p.code)?;
        ws.write_string(row, 1, &p.name)?;
        ws.write_string(row, 2, level_zh(&p.level))?;
        ws.write_string(row, 3, p.starts_on.to_string())?;
        ws.write_string(row, 4, p.ends_on.to_string())?;
        write_bp(ws, row, 5, Some(p.elapsed_bp), &pct)?;
        ws.write_number_with_format(row, 7, p.agreed_amount as f64 / 100.0, &money)?;
        ws.write_number_with_format(row, 8, p.prepayment as f64 / 100.0, &money)?;
        write_bp(ws, row, 9, p.price_cut_bp, &pct)?;
        ws.write_number_with_format(row, 11, p.saving as f64 / 100.0, &money)?;
        ws.write_number(row, 12, p.saving as f64)?;
        ws.write_number(row, 13, p.behind as f64)?;
    }
    let ws = wb.add_worksheet().set_name("完成进度 Completion")?;
    header(
        ws,
        &[
            "项目 Project",
            "机构 Institution",
            "通用名 Generic",
            "剂型 Form",
            "约定量 Agreed",
            "已采购 Purchased",
            "完成率 Completion",
            "完成率(bp)",
            "进度滞后 Behind",
        ],
        &bold,
    )?;
    let mut row = 1u32;
    for p in &r.projects {
        for c in p.generics.iter().chain(p.institutions.iter()) {
            ws.write_string(row, 0, &p.code)?;
            ws.write_string(row, 1, c.institution.as_deref().unwrap_or("医共体合计"))?;
            ws.write_string(row, 2, &c.generic_name)?;
            ws.write_string(row, 3, &c.dosage_form)?;
            ws.write_number(row, 4, c.agreed_units as f64)?;
            ws.write_number(row, 5, c.purchased_units as f64)?;
            write_bp(ws, row, 6, c.completion_bp, &pct)?;
            ws.write_string(row, 8, if c.behind { "是" } else { "否" })?;
            row += 1;
        }
    }
    usage_sheet(
        &mut wb,
        "机构使用率 Usage by institution",
        "机构 Institution",
        &r.by_institution,
        &bold,
        &pct,
    )?;
    usage_sheet(
        &mut wb,
        "医生使用率 Usage by prescriber",
        "医生 Prescriber",
        &r.by_prescriber,
        &bold,
        &pct,
    )?;
    wb.save_to_buffer()
}

/// The report as an `.xlsx` file.
///
/// # Errors
/// `Internal` if the workbook cannot be written.
pub fn xlsx(r: &ProcurementReport) -> Result<Vec<u8>, ServiceError> {
    build(r).map_err(|e| ServiceError::Internal(e.into()))
}
