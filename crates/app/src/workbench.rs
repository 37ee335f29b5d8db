//! The workbench (工作台): the modules a user may open and the work waiting for them, per role.
//!
//! Navigation is derived from the same checks the services make (the role's permissions and
//! whether the user works at an institution), so a page never offers a link that answers 403.

use serde::Serialize;

use crate::insurance::{fraud, run};
use crate::notifications::{self, Notification};
use crate::{Actor, App, Page, Permission, Role, ServiceError};

/// A module of the platform as a navigation entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Module {
    /// The workbench itself (工作台).
    Workbench,
    /// Resident search (居民).
    Residents,
    /// Resident registration (居民登记).
    Register,
    /// Two-way referral (双向转诊).
    Referrals,
    /// Remote consultation (远程会诊).
    Consultations,
    /// Remote reading of images and ECGs (远程阅片).
    Readings,
    /// Mutual recognition of results (检查检验互认).
    Recognition,
    /// One-stop settlement at the point of care (一站式结算).
    Claim,
    /// Prescriptions and dispensing at the user's institution (处方与发药).
    Prescriptions,
    /// The pool's item catalogue (医保目录查询).
    Catalogue,
    /// Volume-based procurement projects and their progress (集采).
    Procurement,
    /// The community's central pharmacy: orders, deliveries, invoices, stock (中心药房).
    Pharmacy,
    /// DRG grouping (DRG 分组).
    Drg,
    /// The insurance bureau's pages (医保).
    Insurance,
    /// Indicators of the medical community (指标).
    Indicators,
    /// The institution tree of the communities (机构).
    Institutions,
    /// The audit log (审计日志).
    Audit,
}

impl Module {
    /// Every module in navigation order.
    pub const ALL: [Module; 17] = [
        Module::Workbench,
        Module::Residents,
        Module::Register,
        Module::Referrals,
        Module::Consultations,
        Module::Readings,
        Module::Recognition,
        Module::Claim,
        Module::Prescriptions,
        Module::Catalogue,
        Module::Procurement,
        Module::Pharmacy,
        Module::Drg,
        Module::Insurance,
        Module::Indicators,
        Module::Institutions,
        Module::Audit,
    ];

    /// The page that opens the module.
    pub fn href(self) -> &'static str {
        match self {
            Module::Workbench => "/",
            Module::Residents => "/residents",
            Module::Register => "/residents/new",
            Module::Referrals => "/referrals",
            Module::Consultations => "/consultations",
            Module::Readings => "/readings",
            Module::Recognition => "/recognition",
            Module::Claim => "/claims",
            Module::Prescriptions => "/prescriptions",
            Module::Catalogue => "/catalogue",
            Module::Procurement => "/procurement",
            Module::Pharmacy => "/pharmacy",
            Module::Drg => "/drg",
            Module::Insurance => "/insurance",
            Module::Indicators => "/indicators",
            Module::Institutions => "/institutions",
            Module::Audit => "/audit",
        }
    }

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Module::Workbench => "工作台",
            Module::Residents => "居民",
            Module::Register => "居民登记",
            Module::Referrals => "双向转诊",
            Module::Consultations => "远程会诊",
            Module::Readings => "远程阅片",
            Module::Recognition => "检查检验互认",
            Module::Claim => "医保结算",
            Module::Prescriptions => "处方",
            Module::Catalogue => "医保目录",
            Module::Procurement => "集采",
            Module::Pharmacy => "中心药房",
            Module::Drg => "DRG 分组",
            Module::Insurance => "医保",
            Module::Indicators => "指标",
            Module::Institutions => "机构",
            Module::Audit => "审计日志",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Module::Workbench => "Workbench",
            Module::Residents => "Residents",
            Module::Register => "Register",
            Module::Referrals => "Referrals",
            Module::Consultations => "Consultations",
            Module::Readings => "Readings",
            Module::Recognition => "Recognition",
            Module::Claim => "Claims",
            Module::Prescriptions => "Prescriptions",
            Module::Catalogue => "Catalogue",
            Module::Procurement => "Procurement",
            Module::Pharmacy => "Pharmacy",
            Module::Drg => "DRG",
            Module::Insurance => "Insurance",
            Module::Indicators => "Indicators",
            Module::Institutions => "Institutions",
            Module::Audit => "Audit log",
        }
    }

    /// Whether `actor` may open the module: the same conditions the services check.
    pub fn open_to(self, actor: &Actor) -> bool {
        let role = actor.role;
        let at_institution = actor.institution_id.is_some();
        match self {
            Module::Workbench | Module::Institutions | Module::Catalogue => true,
            Module::Residents | Module::Recognition | Module::Indicators => role.can(Permission::ResidentRead),
            Module::Register => role.can(Permission::ResidentWrite),
            // The workflow lists are the boxes of the user's own institution.
            Module::Referrals | Module::Consultations | Module::Readings => role.can(Permission::ResidentRead) && at_institution,
            Module::Claim => role.can(Permission::ClaimSettle),
            // The prescriptions listed are those of the user's own institution.
            Module::Prescriptions => (role.can(Permission::Prescribe) || role.can(Permission::Dispense)) && at_institution,
            Module::Procurement | Module::Pharmacy => role.can(Permission::ProcurementRead),
            Module::Drg => role.can(Permission::DrgGroup),
            Module::Insurance => role.can(Permission::InsuranceRead),
            Module::Audit => role.can(Permission::AuditRead),
        }
    }
}

/// The modules `actor` may open, in navigation order.
pub fn modules(actor: &Actor) -> Vec<Module> {
    Module::ALL.into_iter().filter(|m| m.open_to(actor)).collect()
}

/// A quick action of the workbench: a form that starts new work.
#[derive(Clone, Debug, Serialize)]
pub struct Action {
    /// The form.
    pub href: &'static str,
    /// Chinese label.
    pub label_zh: &'static str,
    /// English label.
    pub label_en: &'static str,
}

/// What a user may start from a resident's record: the forms' own permission checks.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct RecordActions {
    /// Refer the resident (发起转诊).
    pub refer: bool,
    /// Request a remote consultation.
    pub consult: bool,
    /// Order tests and examinations with the recognition check.
    pub order_tests: bool,
    /// Order a remote reading.
    pub order_reading: bool,
}

/// The actions a resident's record offers to `actor`.
pub fn record_actions(actor: &Actor) -> RecordActions {
    let role = actor.role;
    let at_institution = actor.institution_id.is_some();
    // Administrators oversee the workflows; they do not send patients themselves.
    let clinical = at_institution && role != Role::Administrator;
    RecordActions {
        refer: clinical && role.can(Permission::ReferralWrite),
        consult: clinical && role.can(Permission::ReferralWrite),
        order_tests: clinical && role.can(Permission::OrderWrite),
        order_reading: clinical && role.can(Permission::ReadingOrder),
    }
}

/// The quick actions of `actor`, from the permissions the forms need.
pub fn actions(actor: &Actor) -> Vec<Action> {
    let role = actor.role;
    let record = record_actions(actor);
    let mut out = Vec::new();
    let mut add = |ok: bool, href, label_zh, label_en| {
        if ok {
            out.push(Action { href, label_zh, label_en });
        }
    };
    add(
        role.can(Permission::ResidentWrite),
        "/residents/new",
        "登记居民",
        "Register a resident",
    );
    add(record.refer, "/referrals/new", "发起转诊", "Refer a patient");
    add(record.consult, "/consultations/new", "申请远程会诊", "Request a consultation");
    add(record.order_reading, "/readings/new", "申请远程阅片", "Order a remote reading");
    add(role.can(Permission::ClaimSettle), "/claims/new", "一站式结算", "Settle a claim");
    add(
        role.can(Permission::Prescribe) && actor.institution_id.is_some(),
        "/prescriptions/new",
        "开处方",
        "Write a prescription",
    );
    add(
        role.can(Permission::ProcurementManage),
        "/procurement/projects/new",
        "录入集采项目",
        "Load a procurement project",
    );
    add(role.can(Permission::DrgGroup), "/drg", "DRG 分组", "Group a case");
    add(
        role.can(Permission::InsuranceRead),
        "/insurance/flags",
        "审核疑点",
        "Review fraud flags",
    );
    add(role.can(Permission::AuditRead), "/audit", "查询审计日志", "Search the audit log");
    out
}

/// The insurance officer's desk: the year's open fraud flags and whether it is settled.
#[derive(Clone, Debug, Serialize)]
pub struct InsuranceDesk {
    /// The fund year (last calendar year).
    pub year: i32,
    /// Fraud flags not yet reviewed.
    pub open_flags: i64,
    /// Flags that wait for more information.
    pub needs_more_info: i64,
    /// Whether the year's settlement run has a report.
    pub settled: bool,
}

/// One procurement project that needs attention on the procurement desk.
#[derive(Clone, Debug, Serialize)]
pub struct ProjectDue {
    /// Project id (for the link only).
    pub id: String,
    /// Project code.
    pub code: String,
    /// Project name.
    pub name: String,
    /// Generics whose completion lags behind the time elapsed (进度滞后).
    pub behind: usize,
    /// Open for demand, waiting for the contract (待签约).
    pub awaiting_contract: bool,
}

/// The procurement desk (集采与中心药房): projects behind or waiting for their contract, and the
/// suppliers' invoices due.
#[derive(Clone, Debug, Serialize)]
pub struct ProcurementDesk {
    /// Projects with generics behind schedule or waiting for the contract.
    pub projects: Vec<ProjectDue>,
    /// Invoices accepted and not yet paid.
    pub unpaid_invoices: i64,
    /// Of which past their due day.
    pub overdue_invoices: i64,
    /// Amount past due, fen.
    pub overdue_amount: i64,
}

/// What the workbench shows to one user.
#[derive(Clone, Debug, Serialize)]
pub struct Workbench {
    /// The user's institution, by name.
    pub institution: Option<String>,
    /// Work waiting for the user (counts with the list that holds them).
    pub todo: Vec<Notification>,
    /// Forms that start new work.
    pub actions: Vec<Action>,
    /// The insurance desk (insurance roles).
    pub insurance: Option<InsuranceDesk>,
    /// The procurement desk (roles that read procurement).
    pub procurement: Option<ProcurementDesk>,
}

/// The workbench of `actor` at `now`.
///
/// # Errors
/// On a database error.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn workbench(app: &App, actor: &Actor, now: chrono::DateTime<chrono::Utc>) -> Result<Workbench, ServiceError> {
    let institution = match &actor.institution_id {
        Some(id) => sanyi_store::registry::institution(&app.db, id).await?.map(|i| i.name),
        None => None,
    };
    let mut todo = notifications::for_actor(app, actor, now).await?;
    let insurance = if actor.role.can(Permission::InsuranceRead) {
        let year = run::last_fund_year();
        let count = |status: &'static str| async move {
            fraud::list(app, actor, year, Some(status), Page { offset: 0, limit: 1 })
                .await
                .map(|p| p.total)
        };
        let settled = run::is_settled(app, actor, year).await?;
        Some(InsuranceDesk {
            year,
            open_flags: count("open").await?,
            needs_more_info: count("needs_more_info").await?,
            settled,
        })
    } else {
        None
    };
    // The bureau's due work joins the list: flags to review, a year to settle.
    if let Some(d) = &insurance {
        let mut push = |kind: &str, count: i64, zh: &str, en: &str, link: String| {
            if count > 0 {
                todo.push(Notification {
                    kind: kind.into(),
                    count: usize::try_from(count).unwrap_or(0),
                    text_zh: format!("{zh}：{count}"),
                    text_en: format!("{en}: {count}"),
                    link,
                });
            }
        };
        push(
            "insurance.flags_open",
            d.open_flags,
            "待审核的疑点",
            "Fraud flags to review",
            format!("/insurance/flags?year={}&status=open", d.year),
        );
        push(
            "insurance.flags_more_info",
            d.needs_more_info,
            "待补充材料的疑点",
            "Flags waiting for information",
            format!("/insurance/flags?year={}&status=needs_more_info", d.year),
        );
        push(
            "insurance.runs_to_approve",
            crate::insurance::runs::awaiting_approval(app, actor, d.year).await?,
            "待复核的结算批次",
            "Settlement runs to approve",
            format!("/insurance/runs?year={}", d.year),
        );
        push(
            "insurance.eligibility_reviews",
            crate::insurance::eligibility::reviews_due_count(app, actor).await?,
            "30 天内待复审的待遇资格认定",
            "Eligibility approvals due for review within 30 days",
            "/insurance/eligibility-reviews".into(),
        );
        if !d.settled && actor.role.can(Permission::InsuranceManage) {
            push(
                "insurance.year_to_settle",
                1,
                &format!("{}年度基金尚待清算", d.year),
                &format!("The {} fund year waits for its settlement run", d.year),
                format!("/insurance?year={}", d.year),
            );
        }
    }
    let procurement = if actor.role.can(Permission::ProcurementRead) {
        let r = crate::medicines::report::board(app, actor, &crate::medicines::report::ReportQuery::default()).await?;
        Some(ProcurementDesk {
            projects: r
                .projects
                .iter()
                .filter(|p| p.behind > 0 || p.state == "reporting")
                .map(|p| ProjectDue {
                    id: p.id.clone(),
                    code: p.code.clone(),
                    name: p.name.clone(),
                    behind: p.behind,
                    awaiting_contract: p.state == "reporting",
                })
                .collect(),
            unpaid_invoices: r.unpaid_invoices,
            overdue_invoices: r.overdue_invoices,
            overdue_amount: r.overdue_amount,
        })
    } else {
        None
    };
    // The procurement officer's due work: invoices past due, projects to sign, generics behind.
    if let Some(d) = procurement.as_ref().filter(|_| actor.role.can(Permission::ProcurementManage)) {
        if d.overdue_invoices > 0 {
            todo.push(Notification {
                kind: "procurement.invoices_overdue".into(),
                count: usize::try_from(d.overdue_invoices).unwrap_or(0),
                text_zh: format!("逾期未付的配送发票：{}", d.overdue_invoices),
                text_en: format!("Supplier invoices past due: {}", d.overdue_invoices),
                link: "/pharmacy#invoices".into(),
            });
        }
        for p in &d.projects {
            if p.awaiting_contract {
                todo.push(Notification {
                    kind: "procurement.awaiting_contract".into(),
                    count: 1,
                    text_zh: format!("集采项目 {} 待签约", p.code),
                    text_en: format!("Procurement project {} waits for its contract", p.code),
                    link: format!("/procurement/projects/{}", p.id),
                });
            }
            if p.behind > 0 {
                todo.push(Notification {
                    kind: "procurement.behind".into(),
                    count: p.behind,
                    text_zh: format!("集采项目 {} 进度滞后的品种：{}", p.code, p.behind),
                    text_en: format!("Procurement project {}: generics behind schedule: {}", p.code, p.behind),
                    link: format!("/procurement#project-{}", p.code),
                });
            }
        }
    }
    // Prescriptions written at the dispenser's institution and not yet dispensed.
    if actor.role.can(Permission::Dispense) && actor.institution_id.is_some() {
        let q = crate::medicines::prescriptions::ListQuery {
            state: Some("written".into()),
            resident_id: None,
        };
        let waiting = crate::medicines::prescriptions::list(app, actor, &q, Page { offset: 0, limit: 1 })
            .await?
            .total;
        if waiting > 0 {
            todo.push(Notification {
                kind: "prescription.to_dispense".into(),
                count: usize::try_from(waiting).unwrap_or(0),
                text_zh: format!("待发药的处方：{waiting}"),
                text_en: format!("Prescriptions to dispense: {waiting}"),
                link: "/prescriptions?state=written".into(),
            });
        }
    }
    Ok(Workbench {
        institution,
        todo,
        actions: actions(actor),
        insurance,
        procurement,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, institution: bool) -> Actor {
        let mut a = Actor::system("6523");
        a.role = role;
        a.institution_id = institution.then(|| "i".to_owned());
        a
    }

    #[test]
    fn quick_actions_follow_the_forms_checks() {
        let hrefs = |a: &Actor| actions(a).into_iter().map(|x| x.href).collect::<Vec<_>>();
        assert!(hrefs(&actor(Role::TownshipDoctor, true)).contains(&"/prescriptions/new"));
        assert!(!hrefs(&actor(Role::Nurse, true)).contains(&"/prescriptions/new"));
        assert!(hrefs(&actor(Role::ProcurementOfficer, true)).contains(&"/procurement/projects/new"));
        assert!(!hrefs(&actor(Role::InsuranceOfficer, false)).contains(&"/procurement/projects/new"));
    }

    #[test]
    fn navigation_follows_the_services_checks() {
        let admin = modules(&actor(Role::Administrator, false));
        assert!(admin.contains(&Module::Audit) && !admin.contains(&Module::Referrals));
        let village = modules(&actor(Role::VillageDoctor, true));
        assert!(village.contains(&Module::Referrals) && village.contains(&Module::Claim));
        assert!(!village.contains(&Module::Insurance) && !village.contains(&Module::Audit));
        assert!(village.contains(&Module::Prescriptions) && village.contains(&Module::Catalogue));
        assert!(!village.contains(&Module::Procurement) && !village.contains(&Module::Pharmacy));
        let procurement = modules(&actor(Role::ProcurementOfficer, false));
        assert_eq!(
            procurement,
            vec![
                Module::Workbench,
                Module::Catalogue,
                Module::Procurement,
                Module::Pharmacy,
                Module::Institutions
            ]
        );
        // At the lead hospital the procurement officer also dispenses.
        let pharmacist = modules(&actor(Role::ProcurementOfficer, true));
        assert!(pharmacist.contains(&Module::Prescriptions) && !pharmacist.contains(&Module::Residents));
        let insurance = modules(&actor(Role::InsuranceOfficer, false));
        assert!(insurance.contains(&Module::Insurance) && !insurance.contains(&Module::Readings));
        assert!(insurance.contains(&Module::Procurement) && !insurance.contains(&Module::Prescriptions));
        // Prescribing and dispensing are the institution's own lists.
        assert!(!modules(&actor(Role::VillageDoctor, false)).contains(&Module::Prescriptions));
        assert!(!modules(&actor(Role::Reader, true)).contains(&Module::Prescriptions));
        assert!(modules(&actor(Role::Nurse, true)).contains(&Module::Prescriptions));
    }
}
