//! The item catalogue of a pool (医保目录: drugs, consumables, services) as settlement reads it:
//! code, names, class 甲/乙/丙 and the price cap. The demo catalogue is illustrative.

use std::collections::HashMap;

use sanyi_domain::Fen;
use serde::{Deserialize, Serialize};

use crate::policy::{ItemCategory, PolicyProblem};

/// One catalogue item (医保目录项目).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueItem {
    /// NHSA-style item code.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Class 甲/乙/丙.
    pub category: ItemCategory,
    /// Price cap per unit (最高限价); charges above it are self-paid (`overlmt_selfpay`).
    pub price: Fen,
    /// Unit (片, 次, 日 …).
    pub unit: String,
}

/// A catalogue indexed by code (医保目录).
#[derive(Clone, Debug, Default)]
pub struct Catalogue {
    items: Vec<CatalogueItem>,
    by_code: HashMap<String, usize>,
}

impl Catalogue {
    /// Builds and checks a catalogue: codes unique and non-empty, prices positive.
    ///
    /// # Errors
    /// Every problem with its path.
    pub fn new(items: Vec<CatalogueItem>) -> Result<Catalogue, Vec<PolicyProblem>> {
        let mut problems = Vec::new();
        let mut by_code = HashMap::new();
        for (i, it) in items.iter().enumerate() {
            if it.code.trim().is_empty() {
                problems.push(PolicyProblem {
                    path: format!("items[{i}].code"),
                    rule: "must not be empty".into(),
                });
            }
            if it.price.get() <= 0 {
                problems.push(PolicyProblem {
                    path: format!("items[{i}].price"),
                    rule: "must be > 0".into(),
                });
            }
            if by_code.insert(it.code.clone(), i).is_some() {
                problems.push(PolicyProblem {
                    path: format!("items[{i}].code"),
                    rule: format!("duplicate code {}", it.code),
                });
            }
        }
        if problems.is_empty() {
            Ok(Catalogue { items, by_code })
        } else {
            Err(problems)
        }
    }

    /// The item with `code`.
    #[must_use]
    pub fn get(&self, code: &str) -> Option<&CatalogueItem> {
        self.by_code.get(code).map(|&i| &self.items[i])
    }

    /// Every item, in catalogue order.
    #[must_use]
    pub fn items(&self) -> &[CatalogueItem] {
        &self.items
    }

    /// An illustrative county catalogue with 2026-like prices (fen): common drugs (some from
    /// volume-based procurement), examinations, laboratory tests, bed-days, nursing and surgery.
    #[must_use]
    pub fn demo() -> Catalogue {
        use ItemCategory::{A, B, C};
        let rows: &[(&str, &str, &str, ItemCategory, i64, &str)] = &[
            (
                "XC08CAA001",
                "苯磺酸氨氯地平片(集采)",
                "Amlodipine besylate tablet (VBP)",
                A,
                12,
                "片",
            ),
            ("XC09CAL001", "缬沙坦胶囊(集采)", "Valsartan capsule (VBP)", A, 35, "粒"),
            ("XA10BAM001", "盐酸二甲双胍片(集采)", "Metformin tablet (VBP)", A, 5, "片"),
            ("XA10AEG001", "甘精胰岛素注射液", "Insulin glargine injection", B, 7_300, "支"),
            ("XC10AAA001", "阿托伐他汀钙片(集采)", "Atorvastatin tablet (VBP)", A, 15, "片"),
            ("XB01ACA001", "阿司匹林肠溶片", "Aspirin enteric tablet", A, 4, "片"),
            ("XJ01CAA001", "阿莫西林胶囊", "Amoxicillin capsule", A, 20, "粒"),
            ("XJ01DCA001", "头孢呋辛酯片", "Cefuroxime axetil tablet", B, 150, "片"),
            ("XJ01DDA001", "注射用头孢曲松钠", "Ceftriaxone for injection", B, 480, "支"),
            ("XN02BEA001", "对乙酰氨基酚片", "Paracetamol tablet", A, 3, "片"),
            ("XR05CBA001", "氨溴索口服液", "Ambroxol oral solution", B, 1_250, "瓶"),
            ("XB05BBA001", "0.9%氯化钠注射液250ml", "Sodium chloride 0.9% 250 ml", A, 210, "袋"),
            ("XA02BCA001", "奥美拉唑肠溶胶囊(集采)", "Omeprazole capsule (VBP)", A, 18, "粒"),
            (
                "XB01ABA001",
                "低分子肝素钙注射液",
                "Low-molecular-weight heparin injection",
                B,
                3_500,
                "支",
            ),
            ("XN07XXA001", "依达拉奉注射液", "Edaravone injection", B, 12_000, "支"),
            ("XJ01DHA001", "注射用美罗培南", "Meropenem for injection", B, 9_800, "支"),
            ("250000001", "住院检验组套", "Inpatient laboratory panel", A, 35_000, "次"),
            ("311000001", "心电监护", "ECG monitoring", A, 6_000, "日"),
            ("310600001", "吸氧", "Oxygen", A, 2_400, "日"),
            ("XZZ0000001", "中药饮片(自费)", "Herbal pieces (self-pay)", C, 2_000, "剂"),
            ("110200001", "普通门诊诊查费", "Outpatient consultation", A, 500, "次"),
            ("110200005", "村卫生室一般诊疗费", "Village general service fee", A, 1_000, "次"),
            ("120100001", "输液(静脉)", "Intravenous infusion", A, 800, "组"),
            ("210102015", "数字化摄影(DR)胸部", "Chest DR", A, 9_000, "次"),
            ("220201001", "心电图(12导联)", "ECG 12-lead", A, 2_500, "次"),
            ("250101001", "血常规", "Complete blood count", A, 2_000, "次"),
            ("250301001", "血糖测定", "Blood glucose", A, 800, "次"),
            ("250305003", "糖化血红蛋白", "HbA1c", A, 6_000, "次"),
            ("250307002", "血脂四项", "Lipid panel", A, 4_800, "次"),
            ("250401001", "肝功能", "Liver function", A, 6_500, "次"),
            ("250402001", "肾功能", "Renal function", A, 4_500, "次"),
            ("220302001", "腹部彩超", "Abdominal ultrasound", A, 12_000, "次"),
            ("210300001", "头颅CT平扫", "Head CT", A, 22_000, "次"),
            ("210500001", "头颅MR平扫", "Head MR", B, 48_000, "次"),
            ("110900001", "床位费(县级)", "Bed-day, county hospital", A, 4_500, "日"),
            ("110900002", "床位费(乡镇)", "Bed-day, township centre", A, 2_500, "日"),
            ("121100001", "一级护理", "Level-1 nursing", A, 3_600, "日"),
            ("121100002", "二级护理", "Level-2 nursing", A, 2_200, "日"),
            ("331303001", "阑尾切除术", "Appendectomy", A, 150_000, "次"),
            ("331008001", "腹股沟疝修补术", "Inguinal hernia repair", A, 180_000, "次"),
            ("331004001", "胆囊切除术", "Cholecystectomy", A, 200_000, "次"),
            ("330100001", "麻醉费", "Anaesthesia", A, 80_000, "次"),
            ("320100001", "经皮冠状动脉介入", "PCI", B, 900_000, "次"),
            ("310701001", "雾化吸入", "Nebulisation", A, 1_000, "次"),
            ("340200001", "康复训练", "Rehabilitation session", B, 5_000, "次"),
            ("C0000000001", "一次性耗材", "Disposable materials", B, 3_000, "套"),
            ("HC000000001", "家庭医生签约服务费", "Family-doctor contract fee", A, 1_200, "次"),
        ];
        let items = rows
            .iter()
            .map(|&(code, zh, en, category, price, unit)| CatalogueItem {
                code: code.into(),
                name_zh: zh.into(),
                name_en: en.into(),
                category,
                price: Fen::new(price),
                unit: unit.into(),
            })
            .collect();
        // The literal rows above are unique and priced; an error here is a programming error caught by the test.
        Catalogue::new(items).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_catalogue_is_valid_and_indexed() {
        let c = Catalogue::demo();
        assert!(c.items().len() >= 40);
        assert_eq!(c.get("250101001").map(|i| i.price), Some(Fen::new(2_000)));
        assert!(c.get("nope").is_none());
    }

    #[test]
    fn duplicates_and_bad_prices_are_named() {
        let it = |code: &str, price| CatalogueItem {
            code: code.into(),
            name_zh: "x".into(),
            name_en: "x".into(),
            category: ItemCategory::A,
            price: Fen::new(price),
            unit: "次".into(),
        };
        let e = Catalogue::new(vec![it("a", 1), it("a", 0)]).unwrap_err();
        let paths: Vec<&str> = e.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, vec!["items[1].price", "items[1].code"]);
    }
}
