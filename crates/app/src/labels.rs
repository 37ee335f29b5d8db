//! The label registry (代码名称表): one place that names every code a person may meet, in Chinese
//! and English — workflow states and actions, timers, kinds, specialties, tiers, schemes, flags,
//! audit actions. Pages and exports name codes through it; the page crawl test fails when a page
//! shows a code that has a label here.
//!
//! The names come from the engines where they keep them (`label_zh` of the states, roles, tiers,
//! modalities, flag kinds…); the rest are listed here.

use std::sync::LazyLock;

use sanyi_care::WorkflowState;
use sanyi_care::consultation::{ConsultCommandKind, ConsultationState};
use sanyi_care::reading::ReadingState;
use sanyi_care::referral::{CommandKind, Direction, ReferralState};
use sanyi_domain::{EnrolmentStatus, InstitutionKind, InsuranceType, Tier};
use sanyi_insurance::fraud::FlagKind;

use crate::Role;

/// One code with its names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Label {
    /// What the code names, e.g. `referral_state`.
    pub kind: &'static str,
    /// The code as stored and spoken by the API.
    pub code: &'static str,
    /// Chinese name.
    pub zh: &'static str,
    /// English name.
    pub en: &'static str,
}

impl Label {
    /// Whether the code, met as a word on a Chinese page, is a raw code a person should not have
    /// to read (lower-case words of four letters or more; numbers and short codes such as
    /// `310` or `dr` may be shown beside their names).
    pub fn shows_raw(&self) -> bool {
        self.code.len() >= 4 && self.code.chars().all(|c| c.is_ascii_lowercase() || c == '_')
    }
}

/// An English name made from a code (`pending_receiver` → `pending receiver`), for the engines'
/// codes that are named in Chinese only.
fn english(code: &str) -> &'static str {
    Box::leak(code.replace('_', " ").into_boxed_str())
}

fn serde_code<T: serde::Serialize>(v: T) -> &'static str {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => Box::leak(s.into_boxed_str()),
        _ => "",
    }
}

fn states<S: WorkflowState + serde::Serialize + 'static>(kind: &'static str, out: &mut Vec<Label>) {
    for s in S::ALL {
        let code = s.code();
        out.push(Label {
            kind,
            code,
            zh: s.label_zh(),
            en: english(code),
        });
    }
}

/// Specialties offered by the pickers (专科), as clinical departments are named in Chinese
/// hospitals. Codes are the consultation engine's specialty codes.
pub const SPECIALTIES: [(&str, &str, &str); 32] = [
    ("general_practice", "全科医学科", "General practice"),
    ("internal_medicine", "内科", "Internal medicine"),
    ("cardiology", "心血管内科", "Cardiology"),
    ("neurology", "神经内科", "Neurology"),
    ("respiratory", "呼吸内科", "Respiratory medicine"),
    ("gastroenterology", "消化内科", "Gastroenterology"),
    ("endocrinology", "内分泌科", "Endocrinology"),
    ("nephrology", "肾内科", "Nephrology"),
    ("haematology", "血液内科", "Haematology"),
    ("geriatrics", "老年医学科", "Geriatrics"),
    ("infectious_diseases", "感染性疾病科", "Infectious diseases"),
    ("oncology", "肿瘤科", "Oncology"),
    ("general_surgery", "普通外科", "General surgery"),
    ("orthopaedics", "骨科", "Orthopaedics"),
    ("neurosurgery", "神经外科", "Neurosurgery"),
    ("thoracic_surgery", "胸外科", "Thoracic surgery"),
    ("cardiac_surgery", "心脏大血管外科", "Cardiac surgery"),
    ("urology", "泌尿外科", "Urology"),
    ("obstetrics_gynaecology", "妇产科", "Obstetrics and gynaecology"),
    ("paediatrics", "儿科", "Paediatrics"),
    ("emergency_medicine", "急诊医学科", "Emergency medicine"),
    ("critical_care", "重症医学科", "Critical care"),
    ("ophthalmology", "眼科", "Ophthalmology"),
    ("otolaryngology", "耳鼻咽喉科", "Otolaryngology"),
    ("stomatology", "口腔科", "Stomatology"),
    ("dermatology", "皮肤科", "Dermatology"),
    ("psychiatry", "精神科", "Psychiatry"),
    ("rehabilitation", "康复医学科", "Rehabilitation medicine"),
    ("tcm_internal", "中医内科", "TCM internal medicine"),
    ("radiology", "医学影像科", "Radiology"),
    ("electrocardiography", "心电诊断科", "Electrocardiography"),
    ("pathology", "病理科", "Pathology"),
];

/// Codes named here rather than by an engine: (kind, code, Chinese, English).
const LISTED: &[(&str, &str, &str, &str)] = &[
    ("referral_timer", "response_sla", "接收时限到期", "response deadline passed"),
    (
        "referral_timer",
        "acceptance_validity",
        "预约有效期到期",
        "appointment validity ended",
    ),
    ("referral_timer", "escalation_timeout", "改派时限到期", "escalation deadline passed"),
    (
        "referral_timer",
        "down_receipt_overdue",
        "下转接收逾期",
        "down-referral receipt overdue",
    ),
    ("referral_timer", "follow_up_due", "随访到期", "follow-up due"),
    (
        "referral_timer",
        "emergency_paperwork",
        "急诊补办手续逾期",
        "emergency paperwork overdue",
    ),
    ("referral_timer", "desk_overdue", "转诊中心处理逾期", "referral desk overdue"),
    (
        "consultation_timer",
        "response_due",
        "急会诊响应时限到期",
        "emergency response deadline passed",
    ),
    ("consultation_timer", "slot_due", "视频会诊时间待确认", "video slot not agreed yet"),
    ("consultation_timer", "opinion_due", "会诊意见时限到期", "opinion deadline passed"),
    ("referral_urgency", "routine", "普通", "routine"),
    ("referral_urgency", "emergency", "急诊绿色通道", "green-channel emergency"),
    ("consult_urgency", "routine", "普通会诊", "routine"),
    ("consult_urgency", "emergency", "急会诊", "emergency"),
    ("consult_mode", "sync", "视频会诊", "video session"),
    ("consult_mode", "async", "书面会诊", "written opinion"),
    ("title", "resident", "住院医师", "resident"),
    ("title", "attending", "主治医师", "attending"),
    ("title", "associate_chief", "副主任医师", "associate chief"),
    ("title", "chief", "主任医师", "chief"),
    ("care_level", "village", "村卫生室", "village clinic"),
    ("care_level", "township", "乡镇卫生院", "township centre"),
    ("care_level", "county", "县级医院", "county hospital"),
    ("care_level", "out_of_county", "县外省内", "outside the county, in the province"),
    ("care_level", "out_of_province", "省外", "outside the province"),
    ("result_source", "csv", "批量导入", "CSV import"),
    ("result_source", "api", "系统对接", "interface"),
    ("result_source", "reading", "远程阅片报告", "remote reading report"),
    ("nhsa_field", "medfee_sumamt", "医疗费用总额", "Total medical expenses"),
    ("nhsa_field", "fulamt_ownpay_amt", "全自费金额", "Fully self-paid"),
    ("nhsa_field", "overlmt_selfpay", "超限价自费金额", "Self-paid above price limits"),
    ("nhsa_field", "preselfpay_amt", "先行自付金额", "Pre-self-payment"),
    ("nhsa_field", "inscp_amt", "符合政策范围金额", "Amount within the policy scope"),
    ("nhsa_field", "act_pay_dedc", "实际支付起付线", "Deductible paid"),
    ("nhsa_field", "hifp_pay", "基本医疗保险统筹基金支出", "Basic insurance pooled fund"),
    ("nhsa_field", "pool_prop_selfpay", "政策范围内个人自付", "Co-insurance within scope"),
    ("nhsa_field", "hifmi_pay", "居民大病保险资金支出", "Critical illness insurance"),
    ("nhsa_field", "maf_pay", "医疗救助基金支出", "Medical assistance fund"),
    ("nhsa_field", "acct_pay", "个人账户支出", "Personal account"),
    ("nhsa_field", "psn_cash_pay", "个人现金支出", "Paid in cash by the patient"),
    ("nhsa_field", "fund_pay_sumamt", "基金支付总额", "Total paid by the funds"),
    ("field", "reason", "原因", "The reason"),
    ("field", "name", "姓名", "The name"),
    ("field", "id_number", "身份证号", "The ID number"),
    ("field", "village_code", "所在村", "The village"),
    ("field", "value", "结果值", "The value"),
    ("field", "results", "结果", "The results"),
    ("field", "area", "地区", "The area"),
    ("field", "report", "报告", "The report"),
    ("field", "question", "会诊目的", "The consultation question"),
    ("field", "participants", "参与机构", "The participating institutions"),
    ("field", "note", "说明", "The note"),
    ("field", "items", "项目", "The items"),
    ("field", "item_code", "项目编码", "The item code"),
    ("field", "institution_id", "机构", "The institution"),
    ("field", "clinical_question", "临床问题", "The clinical question"),
    ("field", "profession", "执业类别", "The profession"),
    ("field", "title", "职称", "The title"),
    ("field", "scope", "互认范围", "The scope"),
    ("field", "finding", "危急值所见", "The critical finding"),
    ("field", "action", "处置措施", "The action taken"),
    ("field", "legal_person", "法定代表人", "The legal person"),
    ("field", "licence_holder", "执业许可证持有人", "The licence holder"),
    ("field", "contract_holder", "医保协议签订方", "The insurance contract holder"),
    ("field", "supplier", "配送企业", "The supplier"),
    ("field", "diagnosis", "诊断", "The diagnosis"),
    ("field", "firm", "中选企业", "The winning firm"),
    ("field", "lot_no", "批号", "The lot number"),
    ("field", "transfer_no", "调拨单号", "The transfer number"),
    ("study_match", "matched", "已自动匹配居民", "matched to the resident"),
    ("study_match", "manual", "按申请单匹配", "matched through the order"),
    ("study_match", "unmatched", "未匹配", "not matched"),
    ("resident_status", "active", "在册", "registered"),
    ("resident_status", "merged", "已合并", "merged"),
    ("sex", "male", "男", "male"),
    ("sex", "female", "女", "female"),
    ("flag_status", "open", "待审核", "open"),
    ("flag_status", "confirmed", "已确认违规", "confirmed"),
    ("flag_status", "dismissed", "已排除", "dismissed"),
    ("flag_status", "needs_more_info", "待补充材料", "needs more information"),
    ("claim_status", "settled", "已结算", "settled"),
    ("claim_status", "reversed", "已冲销", "reversed"),
    ("med_type", "outpatient", "普通门诊", "outpatient"),
    ("med_type", "chronic", "门诊慢特病", "chronic-disease outpatient"),
    ("med_type", "inpatient", "普通住院", "inpatient"),
    ("person_category", "ordinary", "普通参保人", "ordinary"),
    ("person_category", "extreme_poverty", "特困人员", "extreme poverty"),
    ("person_category", "subsistence", "低保对象", "subsistence allowance"),
    ("person_category", "low_income", "低收入人口", "low income"),
    ("person_category", "at_risk", "防返贫监测对象", "at risk of poverty"),
    ("audit_action", "login", "登录", "log in"),
    ("audit_action", "search", "查询", "search"),
    ("audit_action", "read", "查看", "read"),
    ("audit_action", "create", "新建", "create"),
    ("audit_action", "update", "修改", "update"),
    ("audit_action", "import", "导入", "import"),
    ("audit_action", "merge", "合并", "merge"),
    ("audit_action", "refer", "转诊", "refer"),
    ("audit_action", "consult", "会诊", "consult"),
    ("audit_action", "order", "申请", "order"),
    ("audit_action", "ingest", "接收影像/心电", "ingest"),
    ("audit_action", "call", "视频会诊", "video call"),
    ("audit_action", "unlock", "解除锁定", "unlock"),
    ("audit_action", "settle", "结算", "settle"),
    ("audit_action", "reverse", "冲销", "reverse"),
    ("audit_action", "review", "审核", "review"),
    ("audit_entity", "user", "用户账号", "user account"),
    ("audit_entity", "resident", "居民档案", "resident record"),
    ("audit_entity", "result", "检查检验结果", "results"),
    ("audit_entity", "referral", "转诊", "referral"),
    ("audit_entity", "consultation", "会诊", "consultation"),
    ("audit_entity", "reading", "阅片", "reading"),
    ("audit_entity", "imaging_study", "影像检查", "imaging study"),
    ("audit_entity", "imaging_instance", "影像图像", "image"),
    ("audit_entity", "ecg", "心电图", "ECG"),
    ("audit_entity", "test_order", "检查检验申请", "test order"),
    ("audit_entity", "recognition_item", "互认项目", "recognition item"),
    ("audit_entity", "recognition_participant", "互认机构", "recognition participant"),
    ("audit_entity", "insurance_policy", "医保待遇政策", "insurance policy"),
    ("audit_entity", "fund_year", "基金年度预算", "fund year"),
    ("audit_entity", "claim", "医保结算单", "claim"),
    ("audit_entity", "fraud_flag", "疑点", "fraud flag"),
    ("audit_entity", "institution", "机构", "institution"),
    ("audit_entity", "enrolment", "参保登记", "enrolment"),
    ("audit_entity", "settlement_run", "医保结算批次", "settlement run"),
    ("audit_action", "run", "运行结算", "run"),
    ("audit_action", "approve", "复核", "approve"),
    ("audit_entity", "attachment", "附件", "attachment"),
    ("audit_entity", "catalogue_version", "医保目录版本", "catalogue version"),
    ("audit_entity", "procurement_project", "集采项目", "procurement project"),
    ("audit_entity", "purchase_order", "采购单", "purchase order"),
    ("audit_entity", "delivery", "配送单", "delivery"),
    ("audit_entity", "stock", "库存", "stock"),
    ("audit_entity", "prescription", "处方", "prescription"),
    ("audit_action", "report_demand", "报送需求量", "report demand"),
    ("audit_action", "contract", "签约", "sign the contract"),
    ("audit_action", "accept", "验收入库", "accept into stock"),
    ("audit_action", "pay", "付款", "pay"),
    ("audit_action", "transfer", "调拨", "transfer"),
    ("audit_action", "dispense", "发药", "dispense"),
    ("audit_action", "revoke", "撤销", "revoke"),
    ("audit_entity", "eligibility", "待遇资格认定", "eligibility"),
    ("audit_action", "file", "申报", "file"),
    ("audit_action", "decide", "认定", "decide"),
    ("audit_entity", "overspend_justification", "合理超支申报", "overspend justification"),
    (
        "overspend_reason",
        "epidemic",
        "重大疫情或突发公共卫生事件",
        "epidemic or public-health emergency",
    ),
    (
        "overspend_reason",
        "policy_change",
        "医保或价格政策调整",
        "insurance or price policy change",
    ),
    (
        "overspend_reason",
        "new_service",
        "新技术、新项目开展",
        "new techniques and services",
    ),
    ("overspend_reason", "case_mix", "危重病例增加", "more critical cases"),
    ("overspend_reason", "other", "其他", "other"),
    ("eligibility_kind", "chronic_disease", "门诊慢特病认定", "chronic-disease approval"),
    ("eligibility_kind", "assistance", "医疗救助对象", "medical-assistance category"),
    ("eligibility_kind", "critical_illness", "大病", "critical illness"),
    ("eligibility_kind", "retired", "退休人员", "retired person"),
    ("chronic_disease", "I10", "高血压", "hypertension"),
    ("chronic_disease", "E11", "糖尿病", "diabetes"),
    ("chronic_disease", "C97", "恶性肿瘤门诊放化疗", "outpatient chemo/radiotherapy"),
    ("chronic_disease", "N18", "尿毒症透析", "dialysis for uraemia"),
    ("chronic_disease", "Z94", "器官移植术后抗排异", "anti-rejection after transplant"),
    ("assistance_category", "extreme_poverty", "特困人员", "extreme poverty"),
    ("assistance_category", "subsistence", "低保对象", "subsistence allowance"),
    ("assistance_category", "low_income", "低收入人口", "low income"),
    (
        "assistance_category",
        "at_risk",
        "防返贫监测对象",
        "at risk of returning to poverty",
    ),
    ("prescription_kind", "outpatient", "普通门诊", "outpatient"),
    ("prescription_kind", "chronic", "门诊慢特病", "chronic-disease outpatient"),
    ("prescription_kind", "inpatient", "出院带药", "discharge medication"),
    ("prescription_kind", "emergency", "急诊", "emergency"),
    ("prescription_state", "written", "待发药", "to dispense"),
    ("prescription_state", "dispensed", "已发药", "dispensed"),
    ("project_level", "national", "国家集采", "national"),
    ("project_level", "provincial", "省级集采", "provincial"),
    ("project_level", "alliance", "联盟集采", "alliance"),
    ("project_state", "reporting", "报量中", "reporting demand"),
    ("project_state", "contracted", "已签约", "contracted"),
    ("item_kind", "drug", "药品", "drug"),
    ("item_kind", "consumable", "医用耗材", "medical consumable"),
    ("item_kind", "service", "医疗服务项目", "medical service"),
    ("item_category", "A", "甲类", "class A"),
    ("item_category", "B", "乙类", "class B"),
    ("item_category", "C", "丙类", "class C"),
    ("scheme_version", "synthetic", "示意版", "synthetic"),
    ("ecg_format", "aecg", "HL7 aECG 格式", "HL7 aECG"),
    ("ecg_format", "csv", "CSV 格式", "CSV"),
    ("audit_word", "cookie", "网页登录", "web session"),
    ("audit_word", "bearer", "接口令牌", "API token"),
    ("audit_word", "view", "查看", "view"),
    ("audit_word", "page", "页面", "page"),
    ("audit_word", "record", "档案", "record"),
    ("audit_word", "claim", "医保结算单", "claim"),
    ("audit_word", "print", "打印", "print"),
    ("run_status", "pending", "待复核", "awaiting approval"),
    ("run_status", "approved", "已复核", "approved"),
    ("run_status", "superseded", "已被重算取代", "superseded"),
    ("ledger_kind", "prepayment", "月度预付", "monthly prepayment"),
    ("ledger_kind", "year_end", "年终清算", "year-end settlement"),
    ("run_level", "pool", "统筹区", "pool"),
    ("run_level", "county", "县", "county"),
    ("run_level", "community", "医共体", "community"),
    ("run_level", "member", "成员单位", "member institution"),
    ("run_item", "fund", "年度基金", "fund of the year"),
    ("run_item", "reserve", "风险调剂金", "risk reserve"),
    ("run_item", "rigid", "刚性支出", "rigid carve-outs"),
    ("run_item", "distributable", "可分配额", "distributable"),
    ("run_item", "flags", "疑点数", "fraud flags"),
    ("run_item", "budget", "打包预算", "budget"),
    ("run_item", "monthly_prepayment", "月预付额", "monthly prepayment"),
    ("run_item", "prepaid", "已预付", "prepaid"),
    ("run_item", "spent_inside", "县域内基金支出", "spent inside the county"),
    ("run_item", "spent_outside", "县域外基金支出", "spent outside the county"),
    ("run_item", "outpatient_claims", "门诊结算人次", "outpatient claims"),
    ("run_item", "inpatient_claims", "住院结算人次", "inpatient claims"),
    ("run_item", "drg_cases", "DRG 病例数", "DRG cases"),
    ("run_item", "drg_points", "DRG 总点数", "DRG points"),
    ("run_item", "drg_pool", "按点数分配额", "amount paid by points"),
    ("run_item", "point_value", "点值", "point value"),
    ("run_item", "bed_day_payment", "按床日付费", "bed-day payment"),
    ("run_item", "score", "考核得分", "appraisal score"),
    ("run_item", "capitation_paid", "按人头当期拨付", "capitation paid"),
    ("run_item", "capitation_released", "按人头考核返还", "capitation released"),
    ("run_item", "retained", "结余留用", "retained surplus"),
    ("run_item", "fund_keeps", "基金收回结余", "surplus kept by the fund"),
    ("run_item", "reasonable", "合理超支", "reasonable overspend"),
    ("run_item", "fund_pays", "基金分担超支", "overspend paid by the fund"),
    ("run_item", "community_bears", "医共体承担超支", "overspend borne"),
    ("run_item", "payable", "年度应拨付总额", "year-end amount"),
    ("run_item", "borne", "承担超支", "overspend borne"),
];

static ALL: LazyLock<Vec<Label>> = LazyLock::new(|| {
    let mut out = Vec::new();
    states::<ReferralState>("referral_state", &mut out);
    states::<ConsultationState>("consultation_state", &mut out);
    states::<ReadingState>("reading_state", &mut out);
    use CommandKind as C;
    for k in [
        C::Submit,
        C::PreReview,
        C::Accept,
        C::Reject,
        C::Cancel,
        C::Reassign,
        C::Arrive,
        C::StartCare,
        C::DischargeWithDownReferral,
        C::DischargeHome,
        C::ReceiveDown,
        C::RecordFollowUp,
        C::Close,
        C::CompletePaperwork,
        C::SubmitEmergency,
        C::Timer,
    ] {
        let code = serde_code(k);
        out.push(Label {
            kind: "referral_command",
            code,
            zh: k.label_zh(),
            en: english(code),
        });
    }
    use ConsultCommandKind as K;
    for k in [
        K::Request,
        K::Triage,
        K::ReturnForInfo,
        K::ProvideInfo,
        K::Assign,
        K::Schedule,
        K::StartSession,
        K::SubmitOpinion,
        K::ChairSummary,
        K::Acknowledge,
        K::Close,
        K::Rate,
        K::Reject,
        K::Cancel,
        K::Timer,
    ] {
        let code = serde_code(k);
        out.push(Label {
            kind: "consultation_command",
            code,
            zh: k.label_zh(),
            en: english(code),
        });
    }
    for d in [Direction::Upward, Direction::Downward, Direction::Lateral] {
        let code = serde_code(d);
        out.push(Label {
            kind: "direction",
            code,
            zh: d.label_zh(),
            en: english(code),
        });
    }
    // The reading actions are named by the engine (`command_label_zh`).
    for code in sanyi_care::reading::COMMAND_CODES {
        out.push(Label {
            kind: "reading_command",
            code,
            zh: sanyi_care::reading::command_label_zh(code).unwrap_or(code),
            en: english(code),
        });
    }
    use sanyi_care::reading::Modality as M;
    for m in [M::Dr, M::Ct, M::Mr, M::Ecg] {
        let code = serde_code(m);
        out.push(Label {
            kind: "modality",
            code,
            zh: m.label_zh(),
            en: Box::leak(code.to_uppercase().into_boxed_str()),
        });
    }
    for r in Role::ALL {
        out.push(Label {
            kind: "role",
            code: r.code(),
            zh: r.label_zh(),
            en: r.label_en(),
        });
    }
    for t in Tier::all() {
        out.push(Label {
            kind: "tier",
            code: t.code(),
            zh: t.label_zh(),
            en: t.label_en(),
        });
    }
    for k in InstitutionKind::all() {
        out.push(Label {
            kind: "institution_kind",
            code: k.code(),
            zh: k.label_zh(),
            en: k.label_en(),
        });
    }
    for i in InsuranceType::all() {
        out.push(Label {
            kind: "insurance_type",
            code: i.code(),
            zh: i.label_zh(),
            en: i.label_en(),
        });
    }
    for s in EnrolmentStatus::all() {
        out.push(Label {
            kind: "enrolment_status",
            code: s.code(),
            zh: s.label_zh(),
            en: s.label_en(),
        });
    }
    for k in [
        FlagKind::BedHanging,
        FlagKind::SplitAdmission,
        FlagKind::LowStandardAdmission,
        FlagKind::DuplicateCharge,
    ] {
        out.push(Label {
            kind: "flag_kind",
            code: k.code(),
            zh: k.label_zh(),
            en: english(k.code()),
        });
    }
    for (code, zh, en) in SPECIALTIES {
        out.push(Label {
            kind: "specialty",
            code,
            zh,
            en,
        });
    }
    for (kind, code, zh, en) in LISTED {
        out.push(Label { kind, code, zh, en });
    }
    out
});

/// Every label.
pub fn all() -> impl Iterator<Item = &'static Label> {
    ALL.iter()
}

/// The label of `code` as a `kind`.
pub fn of(kind: &str, code: &str) -> Option<&'static Label> {
    ALL.iter().find(|l| l.kind == kind && l.code == code)
}

/// The name of `code` as a `kind` in Chinese or English; the code itself when unnamed (free
/// codes such as a specialty the pool added).
pub fn name<'a>(kind: &str, code: &'a str, english: bool) -> &'a str {
    match of(kind, code) {
        Some(l) if english => l.en,
        Some(l) => l.zh,
        None => code,
    }
}

/// A technical text (an audit detail) with each code the registry names replaced by its name,
/// and arrows written as arrows: `acquired -> claimed` → `已接收 → 已领取`.
pub fn humanize(text: &str, english: bool) -> String {
    let text = shorten_ids(text);
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if !word.is_empty() {
            // The words of audit details first ("claim" is a claim there, not claiming a reading).
            let found = of("audit_word", word).or_else(|| ALL.iter().find(|l| l.code == word.as_str() && l.shows_raw()));
            match found {
                Some(l) => out.push_str(if english { l.en } else { l.zh }),
                None => out.push_str(word),
            }
            word.clear();
        }
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out.replace("->", "→")
}

/// Record ids (UUIDs) in a text shortened to their last eight characters, as record numbers (the
/// first characters of a time-ordered id are its creation time, shared by records made together).
fn shorten_ids(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let is_uuid = i + 36 <= b.len()
            && b[i..i + 36].iter().enumerate().all(|(j, c)| match j {
                8 | 13 | 18 | 23 => *c == b'-',
                _ => c.is_ascii_hexdigit(),
            });
        if is_uuid {
            out.push_str(&text[i + 28..i + 36]);
            i += 36;
        } else {
            let c = text[i..].chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_named_once_per_kind_in_both_languages() {
        let mut seen = std::collections::HashSet::new();
        for l in all() {
            assert!(!l.code.is_empty() && !l.zh.is_empty() && !l.en.is_empty(), "{l:?}");
            assert!(seen.insert((l.kind, l.code)), "{} {} named twice", l.kind, l.code);
            assert!(l.zh != l.code, "{} {} has no Chinese name", l.kind, l.code);
        }
        assert_eq!(
            name("referral_state", "pending_receiver", false),
            ReferralState::PendingReceiver.label_zh()
        );
        assert_eq!(name("specialty", "neurology", false), "神经内科");
        assert_eq!(name("specialty", "sports_medicine", false), "sports_medicine");
    }

    #[test]
    fn every_figure_a_run_diff_shows_is_named() {
        for item in crate::insurance::run_diff::ITEMS {
            assert!(of("run_item", item).is_some(), "run_item {item} has no name");
        }
    }

    #[test]
    fn details_read_in_words() {
        assert_eq!(
            humanize("acquired -> claimed", false),
            format!("{} → {}", ReadingState::Acquired.label_zh(), ReadingState::Claimed.label_zh())
        );
        assert_eq!(humanize("name= area= results=12", false), "姓名= 地区= 结果=12");
        assert_eq!(humanize("dr at 47dd6c81-238b-5458-97c3-76f3e48fe56e", false), "dr at e48fe56e");
        assert_eq!(humanize("claim record page via cookie", false), "医保结算单 档案 页面 via 网页登录");
    }
}
