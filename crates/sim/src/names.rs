//! Invented names for the demo population.

use rand::Rng;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马", "罗", "梁", "宋",
    "郑", "谢", "韩", "唐", "冯", "于", "董", "曹", "袁", "邓", "许", "傅", "沈", "曾", "彭", "吕", "苏", "卢",
];
const MALE: &[&str] = &[
    "伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "刚", "平", "辉", "建国", "建华", "志强", "海军", "文", "斌", "鹏", "浩然",
    "子轩", "宇航", "俊杰", "国庆",
];
const FEMALE: &[&str] = &[
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "燕", "玲", "桂英", "秀兰", "秀英", "婷", "雪", "慧", "欣怡", "梓涵", "雨桐", "红梅",
    "凤英", "玉兰", "淑珍",
];
/// Names of villages (second part).
pub const VILLAGE_NAMES: &[&str] = &[
    "东",
    "西",
    "南",
    "北",
    "新湖",
    "红星",
    "庙尔沟",
    "头屯",
    "二畦",
    "三畦",
    "光明",
    "胜利",
    "幸福",
    "团结",
    "永丰",
    "园艺",
    "下营",
    "上营",
    "阿什里",
    "沙梁子",
];

/// A surname.
pub fn surname(rng: &mut impl Rng) -> &'static str {
    SURNAMES[rng.random_range(0..SURNAMES.len())]
}

/// A given name.
pub fn given_name(rng: &mut impl Rng, male: bool) -> &'static str {
    let list = if male { MALE } else { FEMALE };
    list[rng.random_range(0..list.len())]
}

/// A full name.
pub fn person_name(rng: &mut impl Rng, male: bool) -> String {
    format!("{}{}", surname(rng), given_name(rng, male))
}
