//! A small, self-consistent **illustrative** scheme (示意方案，非国家分组) and deterministic cases
//! that group into it, for the demo county and for trying the table format.
//!
//! The scheme has 11 MDCs, 25 ADRGs and 53 DRGs over a few dozen real-looking ICD-10 医保版 /
//! ICD-9-CM-3 codes (hypertension, diabetes, pneumonia, appendicitis with appendectomy, femur
//! fracture with open reduction, deliveries, newborns, multiple trauma, …), with name dictionaries
//! and relative weights for pooling region `652300`, year 2026. Lists, splits and weights are made
//! up: it is **not** the national CHS-DRG scheme and must not be used for payment.
//!
//! ```
//! use sanyi_drg::{Scheme, synthetic};
//! let files = synthetic::demo_files();
//! let scheme = Scheme::from_files(&files).unwrap();
//! assert_eq!(scheme.label(), Some(synthetic::LABEL));
//! for c in synthetic::demo_cases(100, 7) {
//!     assert!(scheme.group(&c.case).is_grouped(), "{}", c.case_id);
//! }
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::case::{Case, Sex};

/// The label written to `scheme_info.tsv`.
pub const LABEL: &str = "示意方案，非国家分组 (illustrative only)";
/// Pooling region of the demo weights (昌吉回族自治州).
pub const DEMO_POOL: &str = "652300";
/// Year of the demo weights.
pub const DEMO_YEAR: i32 = 2026;

/// (seq, MDC, entry rule).
const MDCS: &[(&str, &str)] = &[
    ("P", "main_dx_and_age_under_1"),
    ("Z", "main_dx_and_multi_trauma"),
    ("B", "main_dx"),
    ("E", "main_dx"),
    ("F", "main_dx"),
    ("G", "main_dx"),
    ("H", "main_dx"),
    ("I", "main_dx"),
    ("K", "main_dx"),
    ("L", "main_dx"),
    ("O", "main_dx"),
];

/// Main-diagnosis lists: (MDC, code, trauma region).
const MDC_DX: &[(&str, &str, &str)] = &[
    ("P", "P22.000", ""),
    ("P", "P07.100", ""),
    ("P", "P07.300", ""),
    ("P", "P59.900", ""),
    ("Z", "S72.000", "下肢创伤"),
    ("Z", "S72.100", "下肢创伤"),
    ("Z", "S82.200", "下肢创伤"),
    ("Z", "S22.300", "胸部创伤"),
    ("Z", "S27.000", "胸部创伤"),
    ("Z", "S06.000", "头颈部创伤"),
    ("Z", "S36.100", "腹部创伤"),
    ("Z", "S42.000", "上肢创伤"),
    ("Z", "S32.000", "躯干、脊柱创伤"),
    ("B", "I63.900", ""),
    ("B", "G45.900", ""),
    ("E", "J18.900", ""),
    ("E", "J15.900", ""),
    ("E", "J20.900", ""),
    ("E", "J44.100", ""),
    ("E", "J44.000", ""),
    ("E", "J44.900", ""),
    ("F", "I20.000", ""),
    ("F", "I21.900", ""),
    ("F", "I25.103", ""),
    ("F", "I50.900", ""),
    ("F", "I10.x00x002", ""),
    ("F", "I11.900", ""),
    ("G", "K29.700", ""),
    ("G", "K35.800", ""),
    ("G", "K35.800x001", ""),
    ("G", "K35.200", ""),
    ("G", "K35.300", ""),
    ("H", "K80.000", ""),
    ("H", "K80.100", ""),
    ("H", "K80.200", ""),
    ("I", "S72.000", ""),
    ("I", "S72.100", ""),
    ("I", "S82.200", ""),
    ("I", "S42.000", ""),
    ("I", "M16.900", ""),
    ("I", "M17.900", ""),
    ("K", "E11.900", ""),
    ("K", "E10.900", ""),
    ("L", "N39.000", ""),
    ("L", "N10.x00", ""),
    ("O", "O80.000", ""),
    ("O", "O70.000", ""),
    ("O", "O42.900", ""),
    ("O", "O82.000", ""),
    ("O", "O82.900", ""),
];

/// One ADRG: MDC, code, rule, max age days, weight band, name, splits, diagnosis list, procedure
/// list, base weight in ten-thousandths.
struct AdrgDef {
    mdc: &'static str,
    code: &'static str,
    rule: &'static str,
    newborn: bool,
    band: (Option<i64>, Option<i64>),
    name: &'static str,
    splits: &'static [&'static str],
    dx: &'static [&'static str],
    px: &'static [&'static str],
    weight: u32,
}

#[expect(clippy::too_many_arguments, reason = "a table row written as a call reads best positionally")]
const fn adrg(
    mdc: &'static str,
    code: &'static str,
    rule: &'static str,
    name: &'static str,
    splits: &'static [&'static str],
    dx: &'static [&'static str],
    px: &'static [&'static str],
    weight: u32,
) -> AdrgDef {
    AdrgDef {
        mdc,
        code,
        rule,
        newborn: false,
        band: (None, None),
        name,
        splits,
        dx,
        px,
        weight,
    }
}

const MCC3: &[&str] = &["mcc", "mcc_or_cc", "none"];
const CC2: &[&str] = &["mcc_or_cc", "none"];
const MCC2: &[&str] = &["mcc", "none"];
const ONE: &[&str] = &["none"];

const APPENDECTOMY: &[&str] = &["47.0901", "47.0100"];
const CORONARY: &[&str] = &["I20.000", "I21.900", "I25.103"];

const ADRGS: &[AdrgDef] = &[
    AdrgDef {
        newborn: true,
        ..adrg(
            "P",
            "PR1",
            "main_dx_newborn",
            "新生儿呼吸窘迫综合征",
            MCC3,
            &["P22.000"],
            &[],
            18_000,
        )
    },
    AdrgDef {
        newborn: true,
        band: (Some(1500), Some(2500)),
        ..adrg(
            "P",
            "PS2",
            "any_dx_newborn_weight",
            "早产儿（出生体重1500-2499g）",
            MCC2,
            &["P07.100", "P07.300"],
            &[],
            22_000,
        )
    },
    adrg("P", "PV1", "always", "新生儿及婴儿其他疾患", CC2, &[], &[], 6_000),
    adrg(
        "Z",
        "ZJ1",
        "main_proc",
        "多发重要创伤的手术室操作",
        MCC2,
        &[],
        &["79.3501", "81.5100", "54.1100"],
        32_000,
    ),
    adrg("Z", "ZZ1", "no_or_proc", "多发性重要创伤无手术", MCC2, &[], &[], 14_000),
    adrg("B", "BR2", "main_dx", "脑缺血性疾患", MCC3, &["I63.900", "G45.900"], &[], 9_000),
    adrg(
        "E",
        "ES1",
        "main_dx",
        "呼吸系统感染/炎症",
        MCC3,
        &["J18.900", "J15.900", "J20.900"],
        &[],
        7_500,
    ),
    adrg(
        "E",
        "ET2",
        "main_dx",
        "慢性气道阻塞病",
        MCC3,
        &["J44.100", "J44.000", "J44.900"],
        &[],
        8_500,
    ),
    adrg(
        "F",
        "FM1",
        "main_dx_and_main_proc",
        "经皮冠状动脉支架植入",
        ONE,
        CORONARY,
        &["36.0601", "00.6600"],
        26_000,
    ),
    adrg("F", "FR3", "main_dx", "心力衰竭、休克", MCC3, &["I50.900"], &[], 10_000),
    adrg("F", "FR4", "main_dx", "冠状动脉粥样硬化/血栓/闭塞", MCC3, CORONARY, &[], 7_000),
    adrg("F", "FV3", "main_dx", "高血压", CC2, &["I10.x00x002", "I11.900"], &[], 5_500),
    adrg(
        "G",
        "GD1",
        "main_dx_and_main_proc",
        "伴穿孔、化脓、坏疽等阑尾切除术",
        CC2,
        &["K35.200", "K35.300"],
        APPENDECTOMY,
        9_500,
    ),
    adrg("G", "GD2", "main_proc", "阑尾切除术", CC2, &[], APPENDECTOMY, 8_000),
    adrg(
        "G",
        "GZ1",
        "main_dx",
        "其他消化系统诊断",
        CC2,
        &["K29.700", "K35.800", "K35.800x001", "K35.200", "K35.300"],
        &[],
        4_500,
    ),
    adrg("H", "HC2", "main_proc", "胆囊切除手术", ONE, &[], &["51.2300", "51.2200"], 10_500),
    adrg(
        "H",
        "HS2",
        "main_dx",
        "胆囊及胆道疾患",
        CC2,
        &["K80.000", "K80.100", "K80.200"],
        &[],
        6_000,
    ),
    adrg(
        "I",
        "IC2",
        "main_proc",
        "髋、膝关节置换术",
        ONE,
        &[],
        &["81.5100", "81.5200"],
        28_000,
    ),
    adrg("I", "IF3", "main_proc", "股骨手术", MCC3, &[], &["79.3501", "79.1500"], 19_000),
    adrg(
        "I",
        "IS2",
        "main_dx",
        "除前臂、腕、手足外的损伤",
        ONE,
        &["S72.000", "S72.100", "S82.200", "S42.000"],
        &[],
        6_500,
    ),
    adrg("I", "IZ1", "main_dx", "骨关节病", CC2, &["M16.900", "M17.900"], &[], 5_000),
    adrg("K", "KS1", "main_dx", "糖尿病", MCC2, &["E11.900", "E10.900"], &[], 6_000),
    adrg("L", "LU1", "main_dx", "肾及尿路感染", MCC3, &["N39.000", "N10.x00"], &[], 5_500),
    adrg("O", "OB1", "main_proc", "剖宫产术", ONE, &[], &["74.1x01", "74.1x00"], 9_000),
    adrg(
        "O",
        "OR1",
        "main_dx",
        "阴道分娩",
        CC2,
        &["O80.000", "O70.000", "O42.900"],
        &[],
        5_000,
    ),
];

/// (code, exclusion table).
const MCC: &[(&str, u32)] = &[
    ("J96.000", 109),
    ("I50.900", 95),
    ("A41.900", 4),
    ("R57.000", 191),
    ("J44.100", 104),
    ("I21.900", 93),
    ("I61.900", 96),
    ("N17.900", 145),
];
const CC: &[(&str, u32)] = &[
    ("N18.900", 145),
    ("E87.100", 52),
    ("J18.900", 101),
    ("I11.900", 92),
    ("S72.100", 203),
    ("P07.300", 163),
    ("P07.100", 163),
    ("D64.900", 41),
    ("I48.900", 150),
];
const EXCLUSIONS: &[(&str, u32)] = &[
    ("J18.900", 101),
    ("J15.900", 101),
    ("J20.900", 102),
    ("J44.100", 104),
    ("J44.000", 104),
    ("J44.900", 104),
    ("I50.900", 95),
    ("I21.900", 93),
    ("I20.000", 93),
    ("I25.103", 93),
    ("I10.x00x002", 92),
    ("I11.900", 92),
    ("I63.900", 96),
    ("G45.900", 96),
    ("S72.000", 203),
    ("S72.100", 203),
    ("P07.300", 163),
    ("P07.100", 163),
    ("P22.000", 165),
    ("E11.900", 46),
    ("N39.000", 148),
];
/// (code, name) of the OR procedures.
const OR: &[&str] = &[
    "47.0901", "47.0100", "51.2300", "51.2200", "54.1100", "79.3501", "79.1500", "81.5100", "81.5200", "74.1x01", "74.1x00", "36.0601",
    "00.6600",
];

const DX_NAMES: &[(&str, &str)] = &[
    ("A41.900", "脓毒症"),
    ("D64.900", "贫血"),
    ("E10.900", "1型糖尿病"),
    ("E11.900", "2型糖尿病"),
    ("E78.500", "高脂血症"),
    ("E87.100", "低渗透性和低钠血症"),
    ("G45.900", "短暂性大脑缺血性发作"),
    ("I10.x00x002", "高血压"),
    ("I11.900", "高血压心脏病不伴有（充血性）心力衰竭"),
    ("I20.000", "不稳定型心绞痛"),
    ("I21.900", "急性心肌梗死"),
    ("I25.103", "冠状动脉粥样硬化性心脏病"),
    ("I48.900", "心房颤动和心房扑动，未特指"),
    ("I50.900", "心力衰竭"),
    ("I61.900", "脑内出血"),
    ("I63.900", "脑梗死"),
    ("J15.900", "细菌性肺炎"),
    ("J18.900", "肺炎"),
    ("J20.900", "急性支气管炎"),
    ("J44.000", "慢性阻塞性肺病伴有急性下呼吸道感染"),
    ("J44.100", "慢性阻塞性肺病伴有急性加重"),
    ("J44.900", "慢性阻塞性肺病"),
    ("J96.000", "急性呼吸衰竭"),
    ("K29.700", "胃炎"),
    ("K35.200", "急性阑尾炎伴有弥漫性腹膜炎"),
    ("K35.300", "急性阑尾炎伴局限性腹膜炎"),
    ("K35.800", "急性阑尾炎，其他未特指"),
    ("K35.800x001", "急性阑尾炎"),
    ("K80.000", "胆囊结石伴有急性胆囊炎"),
    ("K80.100", "胆囊结石伴有其他胆囊炎"),
    ("K80.200", "胆囊结石不伴有胆囊炎"),
    ("M16.900", "髋关节病"),
    ("M17.900", "膝关节病"),
    ("N10.x00", "急性肾小管-间质肾炎"),
    ("N17.900", "急性肾衰竭"),
    ("N18.900", "慢性肾脏病，未特指"),
    ("N39.000", "泌尿道感染"),
    ("O42.900", "胎膜早破"),
    ("O70.000", "分娩时Ⅰ度会阴裂伤"),
    ("O80.000", "头位顺产"),
    ("O82.000", "经选择性剖宫产术的分娩"),
    ("O82.900", "经剖宫产术分娩"),
    ("P07.100", "其他低出生体重（1000-2499克）"),
    ("P07.300", "早产婴儿，其他的"),
    ("P22.000", "新生儿呼吸窘迫综合征"),
    ("P59.900", "新生儿黄疸"),
    ("R57.000", "心源性休克"),
    ("S06.000", "脑震荡"),
    ("S22.300", "肋骨骨折"),
    ("S27.000", "创伤性气胸"),
    ("S32.000", "腰椎骨折"),
    ("S36.100", "肝或胆囊损伤"),
    ("S42.000", "锁骨骨折"),
    ("S72.000", "股骨颈骨折"),
    ("S72.100", "经大转子骨折"),
    ("S82.200", "胫骨骨干骨折"),
    ("Z37.000", "单一活产"),
];

const PX_NAMES: &[(&str, &str)] = &[
    ("00.6600", "经皮冠状动脉腔内血管成形术[PTCA]"),
    ("36.0601", "冠状动脉药物涂层支架置入术"),
    ("38.9300", "静脉导管插入术"),
    ("47.0100", "腹腔镜下阑尾切除术"),
    ("47.0901", "阑尾切除术"),
    ("51.2200", "胆囊切除术"),
    ("51.2300", "腹腔镜下胆囊切除术"),
    ("54.1100", "开腹探查术"),
    ("73.5900", "其他手法助产"),
    ("74.1x00", "低位子宫下段剖宫产"),
    ("74.1x01", "剖宫产术，子宫下段横切口"),
    ("79.1500", "股骨骨折闭合性复位术伴内固定"),
    ("79.3501", "股骨骨折切开复位内固定术"),
    ("81.5100", "全髋关节置换"),
    ("81.5200", "髋关节部分置换"),
    ("93.9601", "吸氧"),
    ("96.7100", "少于96小时连续的持续性侵入性机械性通气"),
    ("99.1000", "血栓溶解药的注射或输注"),
];

fn suffix(split: &str, digit: char) -> (char, &'static str) {
    match (split, digit) {
        ("mcc", _) => ('1', "，伴严重并发症或合并症"),
        ("mcc_or_cc", _) => ('3', "，伴并发症或合并症"),
        (_, '9') => ('9', ""),
        _ => ('5', "，不伴并发症或合并症"),
    }
}

/// The DRGs of an ADRG: (code, split, name, weight in ten-thousandths).
fn drgs_of(a: &AdrgDef) -> Vec<(String, &'static str, String, u32)> {
    let last = if a.splits.len() == 1 { '9' } else { '5' };
    a.splits
        .iter()
        .map(|&s| {
            let (d, suf) = suffix(s, last);
            let factor = match d {
                '1' => 16_000,
                '3' => 12_500,
                _ => 10_000,
            };
            (format!("{}{d}", a.code), s, format!("{}{suf}", a.name), a.weight * factor / 10_000)
        })
        .collect()
}

/// The table files of the illustrative scheme, keyed by file name (as [`Scheme::from_files`]
/// takes them), plus a `README.txt` that the loader ignores.
///
/// [`Scheme::from_files`]: crate::Scheme::from_files
#[must_use]
pub fn demo_files() -> BTreeMap<String, String> {
    let mut f = BTreeMap::new();
    let mut t = String::from("seq\tmdc\tentry_rule\tadrg_count\n");
    for (i, (m, rule)) in MDCS.iter().enumerate() {
        let n = ADRGS.iter().filter(|a| a.mdc == *m).count();
        let _ = writeln!(t, "{}\t{m}\t{rule}\t{n}", i + 1);
    }
    f.insert("mdc.tsv".to_owned(), t);

    let mut t = String::from("mdc\tcode\ttrauma_region\n");
    for (m, c, r) in MDC_DX {
        let _ = writeln!(t, "{m}\t{c}\t{r}");
    }
    f.insert("mdc_diagnoses.tsv".to_owned(), t);

    let mut ta = String::from("mdc\tseq_in_mdc\tadrg\trule\tmax_age_days\tmin_weight_g\tmax_weight_g\tproc_category_formula\tdrgs\n");
    let mut td = String::from("drg\tadrg\tseq_in_adrg\tsplit\tname_zh\n");
    let mut tdx = String::from("adrg\tcode\n");
    let mut tpx = String::from("adrg\tlist\tcategory\tcode\n");
    let mut tw = String::from("pool\tyear\tdrg\tweight\tavg_cost_fen\tavg_los_days\n");
    for (m, _) in MDCS {
        for (seq, a) in ADRGS.iter().filter(|a| a.mdc == *m).enumerate() {
            let drgs = drgs_of(a);
            let codes: Vec<&str> = drgs.iter().map(|d| d.0.as_str()).collect();
            let opt = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
            let age = if a.newborn { "28" } else { "" };
            let _ = writeln!(
                ta,
                "{m}\t{}\t{}\t{}\t{age}\t{}\t{}\t\t{}",
                seq + 1,
                a.code,
                a.rule,
                opt(a.band.0),
                opt(a.band.1),
                codes.join(",")
            );
            for (i, (code, split, name, w)) in drgs.iter().enumerate() {
                let _ = writeln!(td, "{code}\t{}\t{}\t{split}\t{name}", a.code, i + 1);
                // Average cost: 10,000 yuan per unit of weight; stay 3 + 6 days per unit of weight.
                let cost_fen = u64::from(*w) * 100;
                let los_tt = 30_000 + u64::from(*w) * 6;
                let _ = writeln!(
                    tw,
                    "{DEMO_POOL}\t{DEMO_YEAR}\t{code}\t{}.{:04}\t{cost_fen}\t{}.{:04}",
                    w / 10_000,
                    w % 10_000,
                    los_tt / 10_000,
                    los_tt % 10_000
                );
            }
            for c in a.dx {
                let _ = writeln!(tdx, "{}\t{c}", a.code);
            }
            for c in a.px {
                let _ = writeln!(tpx, "{}\t1\t\t{c}", a.code);
            }
        }
    }
    f.insert("adrg.tsv".to_owned(), ta);
    f.insert("drg.tsv".to_owned(), td);
    f.insert("adrg_diagnoses.tsv".to_owned(), tdx);
    f.insert("adrg_procedures.tsv".to_owned(), tpx);
    f.insert("weights.tsv".to_owned(), tw);

    let pairs = |header: &str, rows: &[(&str, u32)]| {
        let mut t = format!("{header}\n");
        for (c, x) in rows {
            let _ = writeln!(t, "{c}\t{x}");
        }
        t
    };
    f.insert("mcc.tsv".to_owned(), pairs("code\texclusion_table", MCC));
    f.insert("cc.tsv".to_owned(), pairs("code\texclusion_table", CC));
    f.insert("cc_exclusion.tsv".to_owned(), pairs("main_dx\texclusion_table", EXCLUSIONS));

    let px_name = |c: &str| PX_NAMES.iter().find(|(k, _)| *k == c).map_or("", |(_, n)| n);
    let mut t = String::from("code\tname_zh\n");
    for c in OR {
        let _ = writeln!(t, "{c}\t{}", px_name(c));
    }
    f.insert("or_procedures.tsv".to_owned(), t);
    let names = |rows: &[(&str, &str)]| {
        let mut t = String::from("code\tname_zh\n");
        for (c, n) in rows {
            let _ = writeln!(t, "{c}\t{n}");
        }
        t
    };
    f.insert("icd10_names.tsv".to_owned(), names(DX_NAMES));
    f.insert("icd9_names.tsv".to_owned(), names(PX_NAMES));
    f.insert(
        "scheme_info.tsv".to_owned(),
        format!(
            "key\tvalue\nlabel\t{LABEL}\nversion\tdemo-{DEMO_YEAR}\nsource\tsanyi synthetic demo scheme; made-up lists over ICD-10 医保版 / ICD-9-CM-3 style codes\n"
        ),
    );
    f.insert(
        "README.txt".to_owned(),
        format!(
            "{LABEL}\n\n\
             This directory holds a small illustrative grouping scheme generated by `sanyi drg scheme demo`.\n\
             It uses the same table format as the national CHS-DRG 1.1 tables, but its lists, splits\n\
             and weights are made up for the demo county. It is NOT the national scheme: do not use it\n\
             for payment or comparison.\n\n\
             本目录为演示用的示意分组方案，表格格式与国家 CHS-DRG 1.1 相同，但编码列表、分组与权重均为虚构，\n\
             不可用于医保支付或结算。\n\n\
             Weights: pooling region {DEMO_POOL}, year {DEMO_YEAR} (weights.tsv).\n"
        ),
    );
    f
}

/// A generated record of the demo county, in the neutral case format's terms.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoCase {
    /// Record id, `D` + 7 digits.
    pub case_id: String,
    /// The record.
    pub case: Case,
    /// Length of stay in days (not used by grouping).
    pub los_days: u32,
}

/// SplitMix64: small, fast, deterministic across platforms.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }

    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs.get(self.below(xs.len() as u64) as usize).copied().unwrap_or("")
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// Who a template applies to.
#[derive(Clone, Copy)]
enum Who {
    Adult(u64, u64),
    Woman(u64, u64),
    Newborn,
    Infant,
}

/// A kind of admission: relative frequency, patients, main diagnoses, procedure choices
/// (main first; empty = none), extra diagnoses always added.
struct Template {
    share: u64,
    who: Who,
    dx: &'static [&'static str],
    procs: &'static [&'static str],
    extra: &'static [&'static str],
}

const fn tpl(share: u64, who: Who, dx: &'static [&'static str], procs: &'static [&'static str]) -> Template {
    Template {
        share,
        who,
        dx,
        procs,
        extra: &[],
    }
}

const TEMPLATES: &[Template] = &[
    tpl(12, Who::Adult(18, 92), &["J18.900", "J15.900", "J20.900"], &[]),
    tpl(8, Who::Adult(50, 92), &["J44.100", "J44.000", "J44.900"], &[]),
    tpl(9, Who::Adult(45, 95), &["I63.900", "G45.900"], &["", "99.1000"]),
    tpl(10, Who::Adult(35, 95), &["I10.x00x002", "I11.900"], &[]),
    tpl(3, Who::Adult(40, 90), CORONARY, &["36.0601", "00.6600"]),
    tpl(6, Who::Adult(40, 92), CORONARY, &[]),
    tpl(5, Who::Adult(55, 96), &["I50.900"], &[]),
    tpl(4, Who::Adult(8, 75), &["K35.800x001", "K35.200", "K35.300"], APPENDECTOMY),
    tpl(5, Who::Adult(18, 85), &["K29.700", "K35.800"], &[]),
    tpl(3, Who::Adult(30, 80), &["K80.200", "K80.100", "K80.000"], &["51.2300", "51.2200"]),
    tpl(3, Who::Adult(30, 85), &["K80.200", "K80.100", "K80.000"], &[]),
    tpl(3, Who::Adult(60, 95), &["S72.000", "S72.100"], &["79.3501", "79.1500"]),
    tpl(2, Who::Adult(55, 88), &["M16.900", "M17.900", "S72.000"], &["81.5100", "81.5200"]),
    tpl(3, Who::Adult(10, 85), &["S82.200", "S42.000", "M16.900", "M17.900"], &[]),
    Template {
        share: 2,
        who: Who::Adult(18, 80),
        dx: &["S72.000", "S82.200"],
        procs: &["79.3501", ""],
        extra: &["S22.300", "S06.000"],
    },
    tpl(8, Who::Adult(30, 90), &["E11.900", "E10.900"], &[]),
    tpl(4, Who::Woman(18, 90), &["N39.000", "N10.x00"], &[]),
    Template {
        share: 5,
        who: Who::Woman(20, 42),
        dx: &["O80.000", "O70.000", "O42.900"],
        procs: &["", "73.5900"],
        extra: &["Z37.000"],
    },
    Template {
        share: 3,
        who: Who::Woman(20, 42),
        dx: &["O82.000", "O82.900"],
        procs: &["74.1x01", "74.1x00"],
        extra: &["Z37.000"],
    },
    tpl(1, Who::Newborn, &["P22.000"], &[]),
    tpl(1, Who::Newborn, &["P07.100", "P07.300"], &[]),
    tpl(1, Who::Infant, &["P59.900"], &[]),
];

/// Comorbidities drawn as other diagnoses (some are CC or MCC).
const COMORBIDITIES: &[&str] = &[
    "I10.x00x002",
    "E11.900",
    "E78.500",
    "N18.900",
    "E87.100",
    "D64.900",
    "I48.900",
    "J96.000",
    "I50.900",
    "A41.900",
    "N17.900",
    "R57.000",
];

/// `n` deterministic records of the demo county (same `n` and `seed`, same records), all of which
/// group into the illustrative scheme (none is `0000`).
#[must_use]
pub fn demo_cases(n: usize, seed: u64) -> Vec<DemoCase> {
    let mut rng = Rng(seed ^ 0x5A4E_5949_4452_4721);
    let total: u64 = TEMPLATES.iter().map(|t| t.share).sum();
    (0..n)
        .map(|i| {
            let mut roll = rng.below(total);
            let t = TEMPLATES
                .iter()
                .find(|t| {
                    if roll < t.share {
                        true
                    } else {
                        roll -= t.share;
                        false
                    }
                })
                .unwrap_or(&TEMPLATES[0]);
            let mut case = Case {
                diagnoses: vec![rng.pick(t.dx).to_owned()],
                ..Case::default()
            };
            match t.who {
                Who::Adult(lo, hi) => {
                    case.sex = Some(if rng.chance(50) { Sex::Male } else { Sex::Female });
                    case.age_years = Some(rng.range(lo, hi) as f64);
                }
                Who::Woman(lo, hi) => {
                    case.sex = Some(Sex::Female);
                    case.age_years = Some(rng.range(lo, hi) as f64);
                }
                Who::Newborn | Who::Infant => {
                    let days = if matches!(t.who, Who::Newborn) {
                        rng.range(0, 28)
                    } else {
                        rng.range(29, 330)
                    };
                    case.sex = Some(if rng.chance(50) { Sex::Male } else { Sex::Female });
                    case.age_days = Some(days as i64);
                    case.age_years = Some((days as f64 / 365.0 * 1000.0).floor() / 1000.0);
                    case.weight_g = Some(if case.diagnoses[0] == "P22.000" {
                        rng.range(1000, 3800)
                    } else {
                        rng.range(1500, 2499)
                    } as i64);
                    if matches!(t.who, Who::Infant) {
                        case.weight_g = None;
                    }
                }
            }
            for e in t.extra {
                if !rng.chance(20) {
                    case.diagnoses.push((*e).to_owned());
                }
            }
            if !matches!(t.who, Who::Newborn | Who::Infant) {
                let k = rng.below(4);
                for _ in 0..k {
                    let c = rng.pick(COMORBIDITIES);
                    if !case.diagnoses.iter().any(|d| d == c) {
                        case.diagnoses.push(c.to_owned());
                    }
                }
            }
            let p = rng.pick(t.procs);
            if !p.is_empty() {
                case.procedures.push(p.to_owned());
                if rng.chance(30) {
                    case.procedures.push(rng.pick(&["93.9601", "38.9300"]).to_owned());
                }
            }
            let los_days = rng.range(2, 12) as u32 + u32::from(case.procedures.is_empty()) * 2;
            DemoCase {
                case_id: format!("D{:07}", i + 1),
                case,
                los_days,
            }
        })
        .collect()
}

/// The demo records as a neutral case TSV (header included), for `sanyi drg group`.
#[must_use]
pub fn demo_cases_tsv(n: usize, seed: u64) -> String {
    let mut t = String::from(
        "case_id\tsex\tage_years\tage_days\tweight_g\tmain_dx\tother_dx\tmain_proc\tother_procs\tlos_days\tdischarge_status\n",
    );
    for c in demo_cases(n, seed) {
        let k = &c.case;
        let opt = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
        let _ = writeln!(
            t,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t1",
            c.case_id,
            k.sex.map_or("", |s| s.code()),
            k.age_years.map(|a| a.to_string()).unwrap_or_default(),
            opt(k.age_days),
            opt(k.weight_g),
            k.diagnoses.first().map_or("", String::as_str),
            k.diagnoses.get(1..).unwrap_or(&[]).join(";"),
            k.procedures.first().map_or("", String::as_str),
            k.procedures.get(1..).unwrap_or(&[]).join(";"),
            c.los_days,
        );
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scheme;

    #[test]
    fn demo_scheme_loads_and_every_demo_case_groups() {
        let scheme = Scheme::from_files(&demo_files()).unwrap_or_else(|e| panic!("{e}"));
        let s = scheme.summary();
        assert_eq!(s.mdcs, MDCS.len());
        assert_eq!(s.adrgs, ADRGS.len());
        assert_eq!(s.weight_rows, s.drgs);
        let cases = demo_cases(3000, 42);
        let mut seen = std::collections::BTreeSet::new();
        for c in &cases {
            let r = scheme.group(&c.case);
            assert!(
                r.is_grouped(),
                "{} {:?} {}",
                c.case_id,
                c.case,
                scheme.explain(&c.case).trace.unwrap()
            );
            seen.insert(r.drg_code().to_owned());
        }
        assert!(seen.len() > 30, "only {} DRGs reached", seen.len());
        assert_eq!(demo_cases(50, 42), cases[..50]);
        assert_ne!(demo_cases(50, 43), cases[..50]);
    }

    #[test]
    fn demo_tsv_round_trips() {
        let text = demo_cases_tsv(200, 1);
        let recs = crate::tsv::read_cases(text.as_bytes()).unwrap();
        let cases = demo_cases(200, 1);
        for (r, c) in recs.iter().zip(&cases) {
            assert_eq!(r.case_id, c.case_id);
            assert_eq!(r.case, c.case);
        }
    }
}
