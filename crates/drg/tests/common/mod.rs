//! A tiny hand-made scheme that exercises every entry rule, every ADRG rule and every split.
#![allow(dead_code, reason = "each test binary uses a different part of the fixture")]

use std::collections::BTreeMap;

use sanyi_drg::{Case, Scheme, Sex};

pub const MDC: &str = "\
seq\tmdc\tentry_rule\tadrg_count
1\tA\tmain_proc_in_or_list\t2
2\tP\tmain_dx_and_age_under_1\t5
3\tZ\tmain_dx_and_multi_trauma\t2
4\tM\tmain_dx_and_male\t2
5\tN\tmain_dx_and_female\t2
6\tB\tmain_dx\t4
";

pub const MDC_DX: &str = "\
mdc\tcode\ttrauma_region
P\tDPR\t
P\tDPS\t
P\tDP0\t
Z\tZS1\thead
Z\tZS2\tleg
Z\tZS3\thead
M\tDM\t
N\tDN\t
B\tDB\t
B\tDB2\t
B\tZS1\t
";

pub const ADRG: &str = "\
mdc\tseq_in_mdc\tadrg\trule\tmax_age_days\tmin_weight_g\tmax_weight_g\tproc_category_formula\tdrgs
A\t1\tAA1\tmain_proc\t\t\t\t\tAA19
A\t2\tAC1\tany_proc_pair\t\t\t\t\tAC19
P\t1\tPB1\tmain_proc_newborn\t28\t\t\t\tPB19
P\t2\tPR1\tmain_dx_newborn\t28\t\t\t\tPR19
P\t3\tPS1\tany_dx_newborn_weight\t28\t\t1500\t\tPS19
P\t4\tPS2\tany_dx_newborn_weight\t28\t1500\t2500\t\tPS29
P\t5\tPV1\talways\t\t\t\t\tPV19
Z\t1\tZJ1\tmain_proc\t\t\t\t\tZJ19
Z\t2\tZZ1\tno_or_proc\t\t\t\t\tZZ19
M\t1\tMA1\tmain_dx_and_main_proc\t\t\t\t\tMA19
M\t2\tMR1\tmain_dx\t\t\t\t\tMR19
N\t1\tNA1\tmain_dx_and_proc_categories\t\t\t\t1|2&3\tNA19
N\t2\tNZ1\tmain_dx\t\t\t\t\tNZ19
B\t1\tBB1\tmain_dx_and_any_proc_pair\t\t\t\t\tBB19
B\t2\tBY1\tany_dx_and_main_proc_in_or_list\t\t\t\t\tBY19
B\t3\tBJ1\tmain_proc_in_or_list\t\t\t\t\tBJ19
B\t4\tBR1\tmain_dx\t\t\t\t\tBR11,BR13,BR15
";

pub const ADRG_DX: &str = "\
adrg\tcode
PR1\tDPR
PS1\tDPS
PS2\tDPS
MA1\tDM
MR1\tDM
NA1\tDN
NZ1\tDN
BB1\tDB
BY1\tDBY
BR1\tDB
BR1\tDB2
BR1\tZS1
";

pub const ADRG_PX: &str = "\
adrg\tlist\tcategory\tcode
AA1\t1\t\tPA
AC1\t1\t\tPC1
AC1\t1\t\tPBOTH
AC1\t2\t\tPC2
AC1\t2\t\tPBOTH
PB1\t1\t\tPNB
ZJ1\t1\t\tPZ
MA1\t1\t\tPM
NA1\t1\t1\tPN1
NA1\t1\t2\tPN2
NA1\t1\t3\tPN3
BB1\t1\t\tPB1
BB1\t2\t\tPB2
";

pub const DRG: &str = "\
drg\tadrg\tseq_in_adrg\tsplit\tname_zh
AA19\tAA1\t1\tnone\t甲
AC19\tAC1\t1\tnone\t乙
PB19\tPB1\t1\tnone\t丙
PR19\tPR1\t1\tnone\t丁
PS19\tPS1\t1\tnone\t戊
PS29\tPS2\t1\tnone\t己
PV19\tPV1\t1\tnone\t庚
ZJ19\tZJ1\t1\tnone\t辛
ZZ19\tZZ1\t1\tnone\t壬
MA19\tMA1\t1\tnone\t癸
MR19\tMR1\t1\tnone\t子
NA19\tNA1\t1\tnone\t丑
NZ19\tNZ1\t1\tnone\t寅
BB19\tBB1\t1\tnone\t卯
BY19\tBY1\t1\tnone\t辰
BJ19\tBJ1\t1\tnone\t巳
BR15\tBR1\t3\tnone\t午，不伴
BR11\tBR1\t1\tmcc\t午，伴严重
BR13\tBR1\t2\tmcc_or_cc\t午，伴
";

pub const MCC: &str = "code\texclusion_table\nX.MCC\t1\nX.MCC2\t2\n";
pub const CC: &str = "code\texclusion_table\nX.CC\t1\nX.CC2\t3\n";
pub const EXCL: &str = "main_dx\texclusion_table\nDB\t1\n";
pub const OR: &str = "code\tname_zh\nPA\t\nPC1\t\nPZ\t\nPB1\t\nP.OR\t\nPM\t\nPN1\t\n";
pub const WEIGHTS: &str =
    "pool\tyear\tdrg\tweight\tavg_cost_fen\tavg_los_days\n652300\t2026\tBR11\t1.5\t1500000\t9.25\n652300\t2026\tBR15\t0.8\t\t\n";

/// The fixture's files.
pub fn files() -> BTreeMap<String, String> {
    [
        ("mdc.tsv", MDC),
        ("mdc_diagnoses.tsv", MDC_DX),
        ("adrg.tsv", ADRG),
        ("adrg_diagnoses.tsv", ADRG_DX),
        ("adrg_procedures.tsv", ADRG_PX),
        ("drg.tsv", DRG),
        ("mcc.tsv", MCC),
        ("cc.tsv", CC),
        ("cc_exclusion.tsv", EXCL),
        ("or_procedures.tsv", OR),
        ("weights.tsv", WEIGHTS),
        ("icd10_names.tsv", "code\tname_zh\nDB\t乙病\n"),
        ("icd9_names.tsv", "code\tname_zh\nPA\t甲术\n"),
        ("scheme_info.tsv", "key\tvalue\nlabel\tfixture\n"),
        ("notes.md", "ignored"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// The fixture scheme.
pub fn scheme() -> Scheme {
    Scheme::from_files(&files()).unwrap_or_else(|e| panic!("fixture does not load: {e}"))
}

/// An adult record.
pub fn adult(sex: Sex, dx: &[&str], px: &[&str]) -> Case {
    Case {
        sex: Some(sex),
        age_years: Some(40.0),
        age_days: None,
        weight_g: None,
        diagnoses: dx.iter().map(|s| (*s).to_owned()).collect(),
        procedures: px.iter().map(|s| (*s).to_owned()).collect(),
    }
}

/// A record under one year.
pub fn infant(days: i64, weight: Option<i64>, dx: &[&str], px: &[&str]) -> Case {
    Case {
        sex: Some(Sex::Female),
        age_years: Some(days as f64 / 365.0),
        age_days: Some(days),
        weight_g: weight,
        diagnoses: dx.iter().map(|s| (*s).to_owned()).collect(),
        procedures: px.iter().map(|s| (*s).to_owned()).collect(),
    }
}
