//! Interface language: Simplified Chinese first, English available (`/lang/en`, `/lang/zh`).

use axum::http::request::Parts;

/// Interface language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// 简体中文 (default).
    Zh,
    /// English.
    En,
}

impl Lang {
    /// From the `lang` cookie (default Chinese).
    pub fn of(parts: &Parts) -> Lang {
        let en = parts
            .headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .any(|c| c.trim() == "lang=en");
        if en { Lang::En } else { Lang::Zh }
    }

    /// BCP 47 tag for `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
}

/// Translator handed to templates as `t`.
#[derive(Clone, Copy, Debug)]
pub struct Tr {
    /// Language.
    pub lang: Lang,
}

impl Tr {
    /// The text for `key` in this language (the key itself when unknown).
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        match TEXTS.iter().find(|(k, _, _)| *k == key) {
            Some((_, zh, en)) => match self.lang {
                Lang::Zh => zh,
                Lang::En => en,
            },
            None => key,
        }
    }

    /// The name of a code from the label registry (`sanyi_app::labels`), in this language.
    pub fn label<'a>(&self, kind: &str, code: &'a str) -> &'a str {
        sanyi_app::labels::name(kind, code, self.lang == Lang::En)
    }

    /// A technical text with the registry's codes named in this language.
    pub fn humanize(&self, text: &str) -> String {
        sanyi_app::labels::humanize(text, self.lang == Lang::En)
    }

    /// Picks between a Chinese and an English text.
    pub fn pick<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        match self.lang {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// Language tag.
    pub fn tag(&self) -> &'static str {
        self.lang.tag()
    }

    /// Whether the language is English.
    pub fn is_en(&self) -> bool {
        self.lang == Lang::En
    }
}

const TEXTS: &[(&str, &str, &str)] = &[
    ("app.name", "三医 · 县域医共体平台", "sanyi · County Medical Community Platform"),
    ("nav.home", "医共体", "Communities"),
    ("nav.residents", "居民档案", "Residents"),
    ("nav.register", "登记居民", "Register resident"),
    ("nav.audit", "审计日志", "Audit log"),
    ("nav.logout", "退出", "Log out"),
    ("nav.lang", "English", "中文"),
    ("login.title", "登录", "Log in"),
    ("login.username", "用户名", "Username"),
    ("login.password", "密码", "Password"),
    ("login.submit", "登录", "Log in"),
    ("login.failed", "用户名或密码错误", "Wrong username or password"),
    (
        "login.throttled",
        "登录失败次数过多，请等待后再试（或请管理员解除锁定）：",
        "Too many failed logins; wait before trying again (or ask an administrator to unlock the account):",
    ),
    ("login.seconds", "秒", "s"),
    ("list.total", "共", "Total"),
    ("home.todo", "待办事项", "Waiting for you"),
    ("home.title", "医共体机构", "Medical communities and institutions"),
    ("home.residents", "在册居民", "Registered residents"),
    ("home.lead", "牵头医院", "Lead hospital"),
    ("home.members", "成员机构", "Member institutions"),
    ("home.unaffiliated", "未加入医共体的机构", "Institutions outside a community"),
    ("inst.name", "机构名称", "Institution"),
    ("inst.tier", "层级", "Tier"),
    ("inst.kind", "类别", "Kind"),
    ("inst.nhsa", "医保定点编码", "NHSA code"),
    ("inst.credit", "统一社会信用代码", "Credit code"),
    (
        "inst.holders",
        "法人 / 执业许可 / 医保协议",
        "Legal person / licence / insurance contract",
    ),
    ("res.search", "查询", "Search"),
    ("res.id_number", "身份证号", "ID number"),
    ("res.name", "姓名", "Name"),
    ("res.area", "区划代码（村/乡镇）", "Area code (village/township)"),
    ("res.sex", "性别", "Sex"),
    ("res.age", "年龄", "Age"),
    ("res.birth", "出生日期", "Birth date"),
    ("res.phone", "联系电话", "Phone"),
    ("res.village", "村（居）代码", "Village code"),
    ("res.village_name", "村（居）", "Village"),
    ("res.address", "详细地址", "Address"),
    ("res.household_no", "户号", "Household number"),
    ("res.household_role", "与户主关系", "Relation to head"),
    ("res.household", "家庭成员", "Household members"),
    ("res.enrolment", "参保记录", "Insurance enrolment"),
    ("res.merges", "合并记录", "Merge history"),
    ("res.status", "状态", "Status"),
    ("res.total", "共", "Total"),
    ("res.none", "没有符合条件的居民", "No resident matches"),
    ("res.new", "登记居民", "Register a resident"),
    ("res.save", "保存", "Save"),
    ("res.fix", "请更正以下标记的内容", "Please correct the marked fields"),
    ("res.record", "居民档案", "Resident record"),
    (
        "res.audited",
        "查看完整证件号与电话的操作已记入审计日志",
        "Viewing the full ID and phone number is recorded in the audit log",
    ),
    ("res.prev", "上一页", "Previous"),
    ("res.next", "下一页", "Next"),
    ("res.male", "男", "Male"),
    ("res.female", "女", "Female"),
    ("res.scheme", "险种", "Scheme"),
    ("res.year", "年度", "Year"),
    ("audit.title", "审计日志", "Audit log"),
    ("audit.at", "时间", "Time"),
    ("audit.user", "用户", "User"),
    ("audit.role", "角色", "Role"),
    ("audit.action", "操作", "Action"),
    ("audit.entity", "对象", "Record"),
    ("audit.ip", "来源地址", "Address"),
    ("audit.detail", "说明", "Detail"),
    ("audit.filter", "筛选", "Filter"),
    ("error.not_found", "未找到该记录", "Record not found"),
    ("error.forbidden", "您的角色无权执行此操作", "Your role does not allow this"),
    ("error.internal", "服务器内部错误", "Internal server error"),
    (
        "error.pool_level",
        "此操作只能由统筹区（州级）人员执行，您的账号只管辖本县",
        "Only pool-wide (prefecture) staff may do this; your account covers one county",
    ),
    (
        "error.too_many",
        "登录失败次数过多，请稍后再试，或请管理员解除锁定",
        "Too many failed logins; try again later or ask an administrator to unlock the account",
    ),
    (
        "error.unavailable",
        "系统暂时无法记录审计日志，为保护数据未显示内容，请稍后重试",
        "The audit log cannot be written right now; nothing was shown. Try again shortly",
    ),
    (
        "error.stale",
        "该记录已被他人修改，请刷新后重试",
        "Someone else changed this record; reload and try again",
    ),
    ("error.bad_request", "请求无法处理", "The request cannot be processed"),
    ("error.title.not_found", "找不到该页面或记录", "Not found"),
    ("error.title.forbidden", "无权访问", "Not allowed"),
    ("error.title.conflict", "记录已变化", "The record changed"),
    ("error.title.bad_request", "提交的内容有误", "Something in the request is wrong"),
    ("error.title.too_many", "请稍后再试", "Try again later"),
    ("error.title.failed", "暂时无法完成", "This could not be done"),
    (
        "error.hint.not_found",
        "记录可能已被合并、撤销，或不在您的辖区内。请从工作台或列表重新查找。",
        "The record may have been merged or withdrawn, or lies outside your area. Find it again from your workbench or a list.",
    ),
    (
        "error.hint.forbidden",
        "您的角色或辖区不能打开此页面。请回到工作台，或请管理员调整您的权限。",
        "Your role or area does not open this page. Go back to your workbench, or ask an administrator to change your rights.",
    ),
    (
        "error.hint.conflict",
        "请返回上一页刷新，查看最新状态后再操作。",
        "Go back, reload the page to see its latest state, then try again.",
    ),
    (
        "error.hint.bad_request",
        "请返回上一页，按提示修改后重新提交。",
        "Go back, correct what the message names and submit again.",
    ),
    (
        "error.hint.retry",
        "请稍后重试；如果问题持续，请联系系统管理员。",
        "Try again shortly; if it persists, contact the system administrator.",
    ),
    ("nav.menu", "菜单", "Menu"),
    ("nav.workbench", "返回工作台", "Back to the workbench"),
    ("wb.title", "工作台", "Workbench"),
    ("wb.todo", "待办", "Waiting for you"),
    ("wb.none", "目前没有待办事项。", "Nothing is waiting for you."),
    ("wb.actions", "常用操作", "Start"),
    ("wb.modules", "全部功能", "All modules"),
    ("wb.insurance", "医保经办", "Insurance desk"),
    ("wb.open_flags", "待审核的疑点", "Fraud flags to review"),
    ("wb.more_info", "待补充材料的疑点", "Flags waiting for information"),
    ("wb.settled", "年度清算已完成", "Year settled"),
    ("wb.not_settled", "年度清算尚未完成", "Year not settled yet"),
    ("wb.procurement", "集采与中心药房", "Procurement and the central pharmacy"),
    ("inst.title", "医共体机构", "Medical communities and institutions"),
    ("nav.drg", "DRG 分组", "DRG grouping"),
    ("nav.referrals", "双向转诊", "Referrals"),
    ("nav.consultations", "远程会诊", "Consultations"),
    ("nav.indicators", "指标", "Indicators"),
    (
        "ind.title",
        "转诊与会诊指标（近一年）",
        "Referral and consultation indicators (last year)",
    ),
    ("ind.upward", "上转", "Upward"),
    ("ind.downward", "下转", "Downward"),
    ("ind.down_referred", "其中闭环下转", "of which loop down-referrals"),
    (
        "ind.downward_rate",
        "下转率（转诊出院口径）",
        "Down-referral rate (of referral discharges)",
    ),
    ("ind.lateral", "平转", "Lateral"),
    (
        "ind.acceptance",
        "接收用时（中位数 / 90%分位）",
        "Time to acceptance (median / p90)",
    ),
    ("ind.no_show", "爽约率", "No-show rate"),
    ("ind.closure", "闭环率", "Closure rate"),
    ("ind.follow_up", "下转随访完成率", "Down-referral follow-up completion"),
    ("ind.consultations", "远程会诊", "Consultations"),
    ("ind.on_time", "会诊按时完成率", "Consultations on time"),
    ("ind.by_month", "按月统计", "By month"),
    ("ind.from", "起始日期", "From"),
    ("ind.to", "截止日期", "To"),
    ("ind.institution", "机构（含下属）", "Institution (with those under it)"),
    ("ind.whole_area", "全部辖区", "The whole area"),
    ("ind.show", "查询", "Show"),
    ("con.title", "远程会诊", "Remote consultations"),
    ("con.requested", "我方申请", "Requested"),
    ("con.board", "会诊中心分诊台", "Triage board"),
    ("con.queue", "我的会诊", "My queue"),
    ("con.none", "暂无会诊", "No consultations"),
    ("con.specialty", "专科", "Specialty"),
    ("con.question", "会诊问题", "Question"),
    ("con.urgency", "紧急程度", "Urgency"),
    ("con.one", "会诊单", "Consultation"),
    ("con.join_call", "进入视频会诊", "Join the video call"),
    ("con.guests", "受邀参会人员", "Invited guests"),
    ("con.no_guests", "暂无外部列席人员", "No outside guests invited"),
    ("con.timeline", "会诊时间线", "Timeline"),
    ("con.invited_by", "邀请人", "invited by"),
    ("con.guest_username", "登录名", "Login name"),
    ("con.guest_invite", "邀请参会", "Invite to the call"),
    ("con.guest_remove", "撤销邀请", "Withdraw"),
    ("con.as_guest", "受邀参加", "Invited to"),
    ("con.triage", "分诊", "Triage"),
    ("con.expert", "会诊专家", "Expert"),
    ("con.scheduled_at", "会诊时间", "Scheduled at"),
    ("con.assign", "指派", "Assign"),
    ("con.schedule", "预约", "Schedule"),
    ("con.start", "开始会诊", "Start session"),
    ("con.impression", "会诊意见", "Impression"),
    ("con.advice", "处理建议", "Advice"),
    ("con.sign", "签署意见", "Sign the opinion"),
    ("con.decision", "处理决定", "Decision"),
    ("con.acknowledge", "确认意见", "Acknowledge"),
    ("con.close", "结束会诊", "Close"),
    ("con.opinions", "专家意见", "Opinions"),
    ("con.new", "申请远程会诊", "Request a consultation"),
    ("con.invited", "受邀机构", "Invited institution"),
    ("con.emergency", "急会诊", "Emergency"),
    ("con.submit", "提交申请", "Submit"),
    ("call.title", "远程视频会诊", "Video consultation"),
    ("call.connecting", "正在连接…", "Connecting…"),
    ("call.local", "本端", "You"),
    ("call.remote", "对端", "Remote"),
    ("call.leave", "离开会诊", "Leave"),
    ("call.no_media", "无法打开摄像头或麦克风", "Camera or microphone unavailable"),
    ("call.joining", "对方已在线，正在建立连接", "The other side is here, connecting"),
    ("call.waiting", "等待对方加入", "Waiting for the other side"),
    ("call.left", "对方已离开", "The other side left"),
    ("call.connected", "已连接，在线人数", "Connected, participants"),
    ("nav.insurance", "医保结算", "Insurance"),
    ("ins.title", "医保基金结算", "Insurance settlement"),
    ("ins.communities", "各医共体包干", "Community packages"),
    ("ins.community", "医共体", "Community"),
    ("ins.members", "成员单位内部分配", "internal distribution to the members"),
    ("ins.member", "成员单位", "Member institution"),
    ("ins.tier", "层级", "Tier"),
    ("ins.borne", "分担超支", "Overspend borne"),
    ("claim.special_review", "特病单议", "Special-case review"),
    (
        "claim.special_review_mark",
        "申报特病单议（医保部门）",
        "Special-case review (bureau)",
    ),
    ("claim.special_points", "评议点数", "Agreed points"),
    ("claim.special_reason", "理由", "Reason"),
    ("claim.special_save", "保存评议结果", "Save the decision"),
    (
        "claim.special_hint",
        "结算时该病例按评议点数付费，不再按DRG分组；每次评议均记入审计日志。",
        "The settlement run pays this case by the agreed points instead of its DRG group; every decision is audited.",
    ),
    ("ins.year", "年度", "Year"),
    ("ins.show", "查看", "Show"),
    ("ins.run", "运行年度结算", "Run the year-end settlement"),
    ("ins.flags", "疑点复核", "Fraud review"),
    ("ins.policy", "待遇政策", "Benefit policy"),
    ("ins.claim_new", "一站式结算", "One-stop settlement"),
    ("ins.fund", "基金总额 F", "Fund F"),
    ("ins.reserve", "风险调剂金 R", "Risk reserve R"),
    ("ins.rigid", "刚性支出", "Rigid carve-outs"),
    ("ins.distributable", "可分配总额 A", "Distributable A"),
    ("ins.county", "县", "County"),
    ("ins.enrollees", "参保人数", "Enrollees"),
    ("ins.weight", "分配权重", "Weight"),
    ("ins.budget", "预算", "Budget"),
    ("ins.prepaid", "已预付", "Prepaid"),
    ("ins.inside", "县内支出", "Spent inside"),
    ("ins.outside", "县外支出", "Spent outside"),
    ("ins.points", "DRG点数", "DRG points"),
    ("ins.point_value", "点值", "Point value"),
    ("ins.yuan_per_point", "元/点", "yuan/point"),
    ("ins.year_end", "年终清算", "Year-end"),
    ("ins.retained", "结余留用", "Surplus retained"),
    ("ins.overspend", "超支", "Overspend"),
    ("ins.community_bears", "医共体承担", "community bears"),
    ("ins.export", "导出 Excel", "Export Excel"),
    ("ins.chart_budget", "各县预算与支出", "Budget and spending by county"),
    (
        "ins.chart_burn",
        "月度累计支出与时序进度",
        "Monthly burn against the time-proportional line",
    ),
    ("ins.chart_points", "DRG月度点值", "DRG point value by month"),
    ("ins.cumulative", "累计支出", "cumulative"),
    ("ins.time_line", "时序进度", "time-proportional"),
    ("ins.not_run", "本年度尚未结算。", "This year has not been settled yet."),
    ("flag.open", "待复核", "Open"),
    ("flag.needs_more_info", "待补充材料", "Needs more information"),
    ("flag.confirmed", "已确认", "Confirmed"),
    ("flag.dismissed", "已排除", "Dismissed"),
    ("flag.kind", "疑点类型", "Kind"),
    ("flag.amount", "涉及金额", "Amount at stake"),
    ("flag.evidence", "证据", "Evidence"),
    ("flag.review", "复核", "Review"),
    ("flag.note", "复核意见", "Note"),
    ("flag.save", "保存", "Save"),
    ("flag.none", "没有疑点", "No flags"),
    ("pol.version", "版本", "Version"),
    ("pol.year", "年度", "Year"),
    ("pol.from", "生效日期", "In force from"),
    ("pol.in_force", "现行政策", "In force"),
    ("pol.none", "尚无生效政策", "No policy in force"),
    ("claim.key", "就诊流水号", "Claim key"),
    ("claim.resident", "居民档案号", "Resident record id"),
    ("claim.med_type", "医疗类别", "Medical type"),
    ("claim.outpatient", "普通门诊", "Outpatient"),
    ("claim.chronic", "门诊慢特病", "Chronic outpatient"),
    ("claim.inpatient", "住院", "Inpatient"),
    ("claim.date", "就诊/入院日期", "Date / admission"),
    ("claim.discharge", "出院日期", "Discharge"),
    ("claim.chronic_disease", "慢特病编码", "Chronic disease code"),
    (
        "claim.charges",
        "费用明细（每行：编码 数量 [单价分]）",
        "Charges (one per line: code quantity [unit price, fen])",
    ),
    ("claim.settle", "结算", "Settle"),
    ("claim.title", "结算单", "Claim"),
    ("claim.in_county", "县内就医", "Inside the county"),
    ("claim.out_county", "县外就医", "Outside the county"),
    ("claim.trace", "结算过程", "Settlement trace"),
    ("claim.reverse", "冲正", "Reverse"),
    (
        "ind.upward_rate",
        "上转率（每千基层门诊人次）",
        "Upward referrals per 1,000 primary visits",
    ),
    ("ind.county_rate", "县域内住院率（县域就诊率）", "Admissions inside the county"),
    ("ind.primary_share", "基层就诊率", "Primary-care visit share"),
    ("ins.warning", "预警", "Early warning"),
    ("ins.alarm", "预计超预算", "projected over budget"),
    ("ins.on_track", "正常", "on track"),
    ("ins.projected", "预计全年", "projected"),
    ("ref.title", "双向转诊", "Two-way referrals"),
    ("ref.consent", "知情同意", "Consent"),
    ("ref.consent_yes", "已签署", "Given"),
    ("ref.consent_no", "未记录知情同意", "No consent recorded"),
    ("ref.consent_by", "同意人", "Given by"),
    ("ref.consent_patient", "患者本人", "Patient"),
    ("ref.consent_guardian", "监护人", "Guardian"),
    ("ref.consent_relative", "近亲属", "Relative"),
    ("ref.consent_signer", "签字人姓名", "Signer's name"),
    ("ref.consent_method", "方式", "Method"),
    ("ref.consent_signed_form", "纸质签字", "Signed form"),
    ("ref.consent_electronic", "电子签名", "Electronic signature"),
    ("ref.consent_verbal", "口头同意（有见证人）", "Verbal, witnessed"),
    ("ref.results", "近期检查检验结果", "Recent results"),
    ("ref.result_item", "项目", "Item"),
    ("ref.result_value", "结果", "Result"),
    ("ref.result_unit", "单位", "Unit"),
    ("ref.result_date", "日期", "Date"),
    ("ref.result_mark", "互认标识", "Recognition mark"),
    ("att.title", "附件", "Attachments"),
    ("att.none", "暂无附件", "No attachments"),
    ("att.file", "文件（PDF/PNG/JPEG，≤10 MiB）", "File (PDF/PNG/JPEG, ≤ 10 MiB)"),
    ("att.upload", "上传", "Upload"),
    ("con.auto_assign", "按规则自动分配", "Assign by rule"),
    ("con.missing", "需补充的资料", "What is missing"),
    ("con.return_for_info", "退回补充资料", "Return for information"),
    ("con.provide_info", "已补充资料，重新提交", "Information provided, resubmit"),
    ("con.chair", "MDT 主持人", "MDT chair"),
    ("con.chair_summary", "MDT 主持人总结", "MDT chair's summary"),
    ("con.sign_summary", "签发总结", "Sign the summary"),
    ("ref.outbox", "转出", "Sent"),
    ("ref.inbox", "转入", "Received"),
    ("ref.all", "全部", "All"),
    ("ref.none", "暂无转诊", "No referrals"),
    ("ref.from_to", "转出 → 接收机构", "From → to"),
    ("ref.direction", "方向", "Direction"),
    ("ref.updated", "更新时间", "Updated"),
    ("ref.one", "转诊单", "Referral"),
    ("ref.reason", "转诊原因", "Reason"),
    ("ref.summary", "病情摘要", "Summary"),
    ("ref.diagnoses", "初步诊断", "Diagnoses"),
    ("ref.department", "接诊科室", "Department"),
    ("ref.slot", "预约时间", "Appointment"),
    ("ref.appointment", "接诊安排", "Appointment"),
    ("ref.bed", "床位", "Bed"),
    ("ref.valid_until", "转诊单有效至", "Slip valid until"),
    ("ref.accept", "接收", "Accept"),
    ("ref.reject", "退回", "Reject"),
    ("ref.arrive", "到诊", "Arrived"),
    ("ref.start_care", "开始诊疗", "Start care"),
    ("ref.feedback", "结果回传", "Feedback to sender"),
    ("ref.discharge", "出院并回传", "Discharge and report back"),
    ("ref.cancel", "作废", "Cancel"),
    ("ref.plan_items", "随访项目", "Follow-up items"),
    ("ref.interval", "间隔（天）", "Interval (days)"),
    ("ref.visits", "随访次数", "Visits"),
    ("ref.family_doctor", "家庭医生", "Family doctor"),
    ("ref.down", "下转回基层", "Refer down"),
    ("ref.receive_down", "接收下转", "Receive the down-referral"),
    ("ref.follow_up", "记录随访", "Record a follow-up"),
    ("ref.close", "结案", "Close"),
    ("ref.timeline", "转诊时间线", "Timeline"),
    ("ref.new", "发起转诊", "Refer this resident"),
    ("ref.receiver", "接收机构", "Receiving institution"),
    ("ref.submit", "提交转诊", "Submit referral"),
    ("ref.downbox", "下转接收", "Down-referred to us"),
    ("res.opinions", "远程会诊意见", "Consultation opinions"),
    ("res.no_opinions", "暂无会诊意见", "No consultation opinions"),
    ("res.signed_at", "签发时间", "Signed"),
    ("res.expert", "会诊专家", "Expert"),
    ("res.impression", "诊断印象", "Impression"),
    ("res.advice", "处理建议", "Advice"),
    ("res.recommend_referral", "建议转诊", "referral recommended"),
    ("res.chair_summary", "MDT 主持人总结", "MDT chair's summary"),
    ("res.referrals", "转诊记录", "Referrals"),
    ("res.note", "结果/说明", "Outcome"),
    ("ref.criterion", "上转指征", "Upward criterion"),
    ("ref.criterion_hint", "上转必选", "required for upward referrals"), // docs/rules/referral.md#criteria
    ("ref.urgency", "紧急程度", "Urgency"),
    ("ref.routine", "普通", "Routine"),
    ("ref.green_channel", "急诊绿色通道", "Emergency green channel"),
    ("ref.centre", "救治中心", "Centre"),
    (
        "ref.pre_review_needed",
        "提交前由本院科主任/转诊中心审核",
        "Pre-review by our department head or referral centre",
    ),
    ("ref.pre_review", "审核通过并发送", "Approve and send"),
    ("ref.alternative", "建议改转机构", "Alternative receiver"),
    ("ref.reassign_to", "改派接收机构", "Reassign to"),
    ("ref.reassign", "改派", "Reassign"),
    ("ref.down_target", "下转接收机构", "Down-referral to"),
    ("ref.paperwork", "补全绿色通道手续", "Complete the paperwork"),
    ("drg.title", "DRG 分组（病案编码）", "DRG grouping (case coding)"),
    (
        "drg.illustrative",
        "示意方案：此分组方案为演示用合成数据，不是国家或地方分组标准",
        "Illustrative scheme: synthetic demo tables, not a national or regional grouping standard",
    ),
    ("drg.scheme", "分组方案", "Scheme"),
    (
        "drg.no_scheme",
        "本统筹区尚无生效的分组方案（sanyi drg scheme import）",
        "No DRG scheme is in force for your pool (sanyi drg scheme import)",
    ),
    ("drg.sex_unknown", "未知", "unknown"),
    ("drg.age_years", "年龄（岁）", "Age (years)"),
    ("drg.age_days", "年龄（天）", "Age (days)"),
    ("drg.weight_g", "出生体重（克）", "Birth weight (g)"),
    ("drg.main_dx", "主要诊断", "Main diagnosis"),
    ("drg.other_dx", "其他诊断（分号分隔）", "Other diagnoses (; separated)"),
    ("drg.main_proc", "主要手术操作", "Main procedure"),
    ("drg.other_procs", "其他手术操作（分号分隔）", "Other procedures (; separated)"),
    ("drg.group", "分组", "Group"),
    ("drg.weight", "相对权重", "Relative weight"),
    ("drg.ungroupable", "不能入组（0000）", "Ungroupable (0000)"),
    ("drg.codes", "编码", "Code"),
    ("drg.code_name", "名称", "Name"),
    ("drg.trace", "分组过程", "How the group was found"),
    (
        "demo.notice",
        "演示数据：全部为虚构人员和机构",
        "Demo data: all people and institutions are invented",
    ),
    ("nav.recognition", "结果互认", "Recognition"),
    ("rec.title", "检查检验结果互认", "Mutual recognition of results"),
    ("rec.results", "检查检验结果（跨机构）", "Results across institutions"),
    ("rec.results_link", "检查检验结果", "Test results"),
    ("rec.order_link", "开具检查检验申请", "Order a test"),
    ("rec.reported_on", "报告日期", "Reported"),
    ("rec.item", "项目", "Item"),
    ("rec.value", "结果", "Result"),
    ("rec.unit", "单位", "Unit"),
    ("rec.range", "参考范围", "Reference range"),
    ("rec.flag", "异常", "Flag"),
    ("rec.producer", "出具机构", "Producing institution"),
    ("rec.source", "来源", "Source"),
    ("rec.mark", "互认标识", "Recognition mark"),
    ("rec.no_results", "暂无检查检验结果", "No results yet"),
    ("rec.orders", "检查检验申请记录", "Orders"),
    ("rec.ordered_on", "申请日期", "Ordered"),
    ("rec.decision", "处理", "Decision"),
    ("rec.decision_recognised", "互认（未重复检查）", "Recognised (not repeated)"),
    ("rec.decision_repeated", "复查", "Repeated"),
    ("rec.decision_ordered", "开单", "Ordered"),
    ("rec.reason", "复查理由", "Re-test reason"),
    ("rec.note", "说明", "Note"),
    ("rec.saving", "节约费用", "Saving"),
    ("rec.doctor", "开单医生", "Doctor"),
    ("rec.new_order", "开具检查检验申请", "Order a test or examination"),
    ("rec.choose_item", "检查检验项目", "Test or examination"),
    ("rec.submit_order", "开单", "Order"),
    ("rec.prompt", "该居民有可互认的既往结果", "Recognisable prior results exist"),
    (
        "rec.prompt_hint",
        "以下结果在有效期内，由质控合格的互认机构出具。请选择互认（不再重复检查），或说明复查理由后仍然开单。",
        "These results are within their validity window and come from participants in good QC standing. Recognise one (no repeat), or order anyway with a re-test reason.",
    ),
    ("rec.age", "距今天数", "Age (days)"),
    ("rec.recognise", "互认此结果", "Recognise this result"),
    ("rec.order_anyway", "仍需复查，开单", "Order anyway"),
    (
        "rec.done_recognised",
        "已互认，未重复检查，节约费用已记入台账。",
        "Recognised: no repeat; the saving is booked.",
    ),
    (
        "rec.done_repeated",
        "已开单，复查理由已记入病历。",
        "Ordered; the re-test reason is on the record.",
    ),
    (
        "rec.done_ordered",
        "已开单（无可互认的既往结果）。",
        "Ordered (nothing recognisable).",
    ),
    ("rec.recognitions", "互认次数", "Recognitions"),
    ("rec.repeats", "复查次数", "Repeats"),
    ("rec.rate", "互认率", "Recognition rate"),
    ("rec.savings", "节约费用（元）", "Savings (yuan)"),
    ("rec.by_month", "每月互认与复查", "Recognitions and repeats by month"),
    ("rec.savings_by_month", "每月节约费用", "Savings by month"),
    ("rec.rate_by_institution", "各机构互认率", "Recognition rate by institution"),
    ("rec.by_institution", "按机构", "By institution"),
    ("rec.catalogue", "互认项目目录", "Recognition catalogue"),
    ("rec.class", "类别", "Class"),
    ("rec.window", "有效期（天）", "Window (days)"),
    ("rec.scope", "互认范围", "Scope"),
    ("rec.price", "价格（县/乡/村，元）", "Price (county/township/village, yuan)"),
    ("rec.participants", "参与互认机构", "Participating institutions"),
    ("rec.qc", "质控", "Quality control"),
    ("rec.qc_passed", "合格", "Passed"),
    ("rec.qc_failed", "未通过", "Failed"),
    ("rec.institution", "机构", "Institution"),
    (
        "rec.rate_formula",
        "互认率 = 互认次数 ÷（互认次数 + 有效期内可互认结果的复查次数）",
        "Rate = recognitions ÷ (recognitions + repeats of recognisable results)",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_translated() {
        let mut keys: Vec<_> = TEXTS.iter().map(|(k, _, _)| *k).collect();
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(n, keys.len(), "duplicate translation keys");
        assert!(TEXTS.iter().all(|(_, zh, en)| !zh.is_empty() && !en.is_empty()));
        assert_eq!(Tr { lang: Lang::En }.t("nav.audit"), "Audit log");
        assert_eq!(Tr { lang: Lang::Zh }.t("nav.audit"), "审计日志");
    }

    /// Every `t.t("key")` in the templates has a translation.
    #[test]
    fn every_template_key_exists() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let mut missing = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for part in text.split("t.t(\"").skip(1) {
                let key = part.split('"').next().unwrap();
                if !TEXTS.iter().any(|(k, _, _)| *k == key) {
                    missing.push(format!("{}: {key}", path.display()));
                }
            }
        }
        assert!(missing.is_empty(), "untranslated keys: {missing:?}");
    }
}
