//! Medicines pages (医药): the pool's item catalogue with version import, the procurement board
//! with each project's completion against the time elapsed, the projects' own pages (demand,
//! contract, renewal), the central pharmacy (orders, deliveries, invoices, stock, transfers), and
//! prescriptions with dispensing. The services decide; these pages ask, show and keep what was
//! typed when a form comes back.

mod catalogue;
mod pharmacy;
mod prescriptions;
mod procurement;

use std::borrow::Borrow;

use axum::Router;
use chrono::NaiveDate;

use sanyi_app::{Actor, FieldError, ServiceError};

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(catalogue::router())
        .merge(procurement::router())
        .merge(pharmacy::router())
        .merge(prescriptions::router())
}

/// A ratio in basis points as a percentage, or a dash when there is none.
pub fn pct(bp: impl Borrow<Option<i64>>) -> String {
    bp.borrow().map_or_else(|| "—".to_owned(), super::insurance::percent_bp)
}

/// Yuan of an optional amount in fen, or a dash.
pub fn yuan_or_dash(fen: impl Borrow<Option<i64>>) -> String {
    fen.borrow().map_or_else(|| "—".to_owned(), super::insurance::yuan)
}

/// A date or a dash.
pub fn day(d: impl Borrow<Option<NaiveDate>>) -> String {
    d.borrow().map_or_else(|| "—".to_owned(), |d| d.to_string())
}

/// A form field error with the same text in both rules (the page's own parsing).
pub(crate) fn field_error(field: &str, en: &str, zh: &str) -> FieldError {
    FieldError::new(field, "format", en, en, zh)
}

/// The service's errors on the lines of a list (`lines[2].quantity`) named by their line on the
/// form (第 3 行), so the message under the textarea says which line to fix.
pub(crate) fn number_lines(errs: Vec<FieldError>, list: &str) -> Vec<FieldError> {
    errs.into_iter()
        .map(|mut e| {
            let index = e
                .field
                .strip_prefix(list)
                .and_then(|rest| rest.strip_prefix('['))
                .and_then(|rest| rest.split(']').next())
                .and_then(|n| n.parse::<usize>().ok());
            if let Some(i) = index {
                let n = i + 1;
                if !e.message_zh.starts_with('第') {
                    e.message_zh = format!("第 {n} 行：{}", e.message_zh);
                }
                if !e.message.starts_with("Line") {
                    e.message = format!("Line {n}: {}", e.message);
                }
            }
            e
        })
        .collect()
}

/// A required date typed on a form, or a message under its field.
pub(crate) fn date_field(field: &str, text: &str, errs: &mut Vec<FieldError>) -> Option<NaiveDate> {
    match NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errs.push(field_error(field, "A date (YYYY-MM-DD)", "请填写日期（年-月-日）"));
            None
        }
    }
}

/// An optional date typed on a form (empty: none), or a message under its field.
pub(crate) fn optional_date(field: &str, text: &str, errs: &mut Vec<FieldError>) -> Option<NaiveDate> {
    if text.trim().is_empty() {
        None
    } else {
        date_field(field, text, errs)
    }
}

/// The messages of a rejected form joined for one line at the top of a page.
pub(crate) fn joined(t: &crate::i18n::Tr, errs: &[FieldError]) -> String {
    errs.iter()
        .map(|e| t.pick(&e.message_zh, &e.message).to_owned())
        .collect::<Vec<_>>()
        .join("；")
}

/// A medical community of the user's area with its member institutions, for the pickers.
pub struct CommunityChoice {
    /// Id.
    pub id: String,
    /// "县 · 医共体".
    pub name: String,
    /// Lead institution (its central pharmacy).
    pub lead: Option<(String, String)>,
    /// Members, lead first: (id, name).
    pub members: Vec<(String, String)>,
}

fn collect_members(nodes: &[sanyi_app::registry::InstitutionNode], out: &mut Vec<(String, String)>) {
    for n in nodes {
        out.push((n.id.clone(), n.name.clone()));
        collect_members(&n.children, out);
    }
}

/// The communities of the actor's area with their members.
pub(crate) async fn communities(state: &AppState, actor: &Actor) -> Result<Vec<CommunityChoice>, ServiceError> {
    let tree = sanyi_app::registry::tree(&state.app, actor).await?;
    let mut out = Vec::new();
    for county in tree {
        for c in county.communities {
            let mut members = Vec::new();
            collect_members(&c.members, &mut members);
            let lead = c
                .lead_institution_id
                .as_ref()
                .and_then(|l| members.iter().find(|(id, _)| id == l).cloned());
            out.push(CommunityChoice {
                id: c.id,
                name: format!("{} · {}", county.name, c.name),
                lead,
                members,
            });
        }
    }
    Ok(out)
}

/// Institution id → name over the actor's area (lists that carry ids only).
pub(crate) async fn institution_names(state: &AppState, actor: &Actor) -> Result<std::collections::HashMap<String, String>, ServiceError> {
    Ok(sanyi_app::registry::institutions(&state.app, actor)
        .await?
        .into_iter()
        .map(|i| (i.id, i.name))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_errors_name_their_line() {
        let errs = vec![
            FieldError::new("lines[2].quantity", "q", "x", "Quantity must be at least 1", "数量须不小于 1"),
            FieldError::new("diagnosis", "required", "x", "Required", "请填写诊断"),
        ];
        let out = number_lines(errs, "lines");
        assert_eq!(out[0].message_zh, "第 3 行：数量须不小于 1");
        assert_eq!(out[0].message, "Line 3: Quantity must be at least 1");
        assert_eq!(out[1].message_zh, "请填写诊断");
        assert_eq!(pct(Some(12_345)), "123.45%");
        assert_eq!(pct(None), "—");
    }
}
