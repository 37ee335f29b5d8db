//! Roles (角色) and what each may do.

use serde::{Deserialize, Serialize};

/// A user's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Village doctor (乡村医生).
    VillageDoctor,
    /// Township clinician (乡镇卫生院医生).
    TownshipDoctor,
    /// County specialist (县级专科医生).
    CountySpecialist,
    /// Imaging / ECG reader at a shared centre (影像/心电诊断医生).
    Reader,
    /// Nurse, including home-care nurses (护士).
    Nurse,
    /// Insurance bureau officer (医保经办人员).
    InsuranceOfficer,
    /// Procurement / pharmacy officer (药品采购人员).
    ProcurementOfficer,
    /// Administrator (管理员).
    Administrator,
}

/// An action that needs a permission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// Read residents' records in scope.
    ResidentRead,
    /// Register and edit residents in scope.
    ResidentWrite,
    /// Merge duplicate resident records.
    ResidentMerge,
    /// Bulk-import residents.
    ResidentImport,
    /// Record insurance enrolment.
    EnrolmentWrite,
    /// Edit institutions, departments and staff.
    RegistryWrite,
    /// Query the audit log.
    AuditRead,
    /// Manage user accounts.
    UserManage,
    /// Group inpatient cases into DRGs.
    DrgGroup,
    /// Register DRG schemes and weights.
    DrgSchemeManage,
    /// Send, accept and progress two-way referrals.
    ReferralWrite,
    /// Read insurance policies, budgets, settlement reports and fraud flags.
    InsuranceRead,
    /// Register policies and fund years, run settlements, review fraud flags.
    InsuranceManage,
    /// Settle and reverse claims at the point of care (一站式结算).
    ClaimSettle,
    /// Order remote readings, send their images or ECGs, acknowledge critical values.
    ReadingOrder,
    /// Read images and ECGs at a shared centre: claim, report, sign, deliver.
    ReadingReport,
    /// Edit the recognition catalogue and the participating institutions (互认目录与机构).
    RecognitionManage,
    /// Record results into the cross-institution index (检查检验结果上传).
    ResultWrite,
    /// Bulk-import results from CSV.
    ResultImport,
    /// Order tests and examinations, deciding on recognisable prior results (检查检验申请).
    OrderWrite,
    /// Import versions of the pool's item catalogue (医保目录).
    CatalogueManage,
    /// Read procurement projects, stock, invoices and the completion and savings reports.
    ProcurementRead,
    /// Load procurement projects, report demand, fix agreed volumes, order, accept deliveries,
    /// pay invoices and transfer stock (集采与中心药房).
    ProcurementManage,
    /// Write prescriptions (开处方).
    Prescribe,
    /// Dispense prescriptions from the institution's stock (发药).
    Dispense,
    /// File a community's justification of its overspend (合理超支申报).
    OverspendFile,
    /// Decide how much of a filed overspend the fund accepts as reasonable (合理超支认定): the
    /// bureau's officers only, never the community's side that filed it.
    OverspendDecide,
    /// Approve a settlement run as its second officer (结算复核), which posts its payments to the
    /// fund's ledger: a pool-wide insurance officer other than the one who ran it.
    SettlementApprove,
}

impl Permission {
    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Permission::ResidentRead => "resident.read",
            Permission::ResidentWrite => "resident.write",
            Permission::ResidentMerge => "resident.merge",
            Permission::ResidentImport => "resident.import",
            Permission::EnrolmentWrite => "enrolment.write",
            Permission::RegistryWrite => "registry.write",
            Permission::AuditRead => "audit.read",
            Permission::UserManage => "user.manage",
            Permission::DrgGroup => "drg.group",
            Permission::DrgSchemeManage => "drg.scheme",
            Permission::ReferralWrite => "referral.write",
            Permission::InsuranceRead => "insurance.read",
            Permission::InsuranceManage => "insurance.manage",
            Permission::ClaimSettle => "claim.settle",
            Permission::ReadingOrder => "reading.order",
            Permission::ReadingReport => "reading.report",
            Permission::RecognitionManage => "recognition.manage",
            Permission::ResultWrite => "result.write",
            Permission::ResultImport => "result.import",
            Permission::OrderWrite => "order.write",
            Permission::CatalogueManage => "catalogue.manage",
            Permission::ProcurementRead => "procurement.read",
            Permission::ProcurementManage => "procurement.manage",
            Permission::Prescribe => "prescription.write",
            Permission::Dispense => "prescription.dispense",
            Permission::OverspendFile => "overspend.file",
            Permission::OverspendDecide => "overspend.decide",
            Permission::SettlementApprove => "settlement.approve",
        }
    }
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 8] = [
        Role::VillageDoctor,
        Role::TownshipDoctor,
        Role::CountySpecialist,
        Role::Reader,
        Role::Nurse,
        Role::InsuranceOfficer,
        Role::ProcurementOfficer,
        Role::Administrator,
    ];

    /// Stable code (snake_case).
    pub fn code(self) -> &'static str {
        match self {
            Role::VillageDoctor => "village_doctor",
            Role::TownshipDoctor => "township_doctor",
            Role::CountySpecialist => "county_specialist",
            Role::Reader => "reader",
            Role::Nurse => "nurse",
            Role::InsuranceOfficer => "insurance_officer",
            Role::ProcurementOfficer => "procurement_officer",
            Role::Administrator => "administrator",
        }
    }

    /// Parses a code.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == s)
    }

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Role::VillageDoctor => "乡村医生",
            Role::TownshipDoctor => "乡镇卫生院医生",
            Role::CountySpecialist => "县级专科医生",
            Role::Reader => "影像/心电诊断医生",
            Role::Nurse => "护士",
            Role::InsuranceOfficer => "医保经办人员",
            Role::ProcurementOfficer => "药品采购人员",
            Role::Administrator => "管理员",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Role::VillageDoctor => "Village doctor",
            Role::TownshipDoctor => "Township doctor",
            Role::CountySpecialist => "County specialist",
            Role::Reader => "Image/ECG reader",
            Role::Nurse => "Nurse",
            Role::InsuranceOfficer => "Insurance officer",
            Role::ProcurementOfficer => "Procurement officer",
            Role::Administrator => "Administrator",
        }
    }

    /// Whether the role grants `p`.
    pub fn can(self, p: Permission) -> bool {
        use Permission::*;
        use Role::*;
        match p {
            ResidentRead => !matches!(self, ProcurementOfficer),
            ResidentWrite => matches!(self, VillageDoctor | TownshipDoctor | CountySpecialist | Nurse | Administrator),
            ResidentMerge | ResidentImport | RegistryWrite | AuditRead | UserManage | RecognitionManage | ResultImport => {
                matches!(self, Administrator)
            }
            ResultWrite => matches!(
                self,
                VillageDoctor | TownshipDoctor | CountySpecialist | Reader | Nurse | Administrator
            ),
            OrderWrite => matches!(self, VillageDoctor | TownshipDoctor | CountySpecialist),
            EnrolmentWrite | DrgSchemeManage => matches!(self, InsuranceOfficer | Administrator),
            DrgGroup => !matches!(self, ProcurementOfficer),
            ReferralWrite => matches!(self, VillageDoctor | TownshipDoctor | CountySpecialist | Nurse | Administrator),
            InsuranceRead | InsuranceManage => matches!(self, InsuranceOfficer | Administrator),
            ReadingOrder => matches!(self, VillageDoctor | TownshipDoctor | CountySpecialist | Nurse | Administrator),
            ReadingReport => matches!(self, Reader | CountySpecialist),
            ClaimSettle => matches!(
                self,
                InsuranceOfficer | Administrator | VillageDoctor | TownshipDoctor | CountySpecialist
            ),
            CatalogueManage => matches!(self, InsuranceOfficer | Administrator),
            ProcurementRead => matches!(self, ProcurementOfficer | InsuranceOfficer | Administrator),
            ProcurementManage => matches!(self, ProcurementOfficer | Administrator),
            Prescribe => matches!(self, VillageDoctor | TownshipDoctor | CountySpecialist),
            Dispense => matches!(self, VillageDoctor | TownshipDoctor | CountySpecialist | Nurse | ProcurementOfficer),
            OverspendFile => matches!(self, Administrator),
            OverspendDecide | SettlementApprove => matches!(self, InsuranceOfficer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn only_administrators_read_the_audit_log() {
        let readers: Vec<_> = Role::ALL.into_iter().filter(|r| r.can(Permission::AuditRead)).collect();
        assert_eq!(readers, vec![Role::Administrator]);
        assert!(!Role::ProcurementOfficer.can(Permission::ResidentRead));
        assert!(Role::VillageDoctor.can(Permission::ResidentWrite));
        assert!(!Role::InsuranceOfficer.can(Permission::ResidentWrite));
        assert!(Role::TownshipDoctor.can(Permission::OrderWrite) && !Role::Nurse.can(Permission::OrderWrite));
        assert!(Role::Administrator.can(Permission::RecognitionManage) && !Role::CountySpecialist.can(Permission::RecognitionManage));
    }
}
