//! Searching people by name as clerks type it (姓名检索): any part of the name, or the pinyin
//! initials (拼音首字母, 王秀兰 → `wxl`).

use pinyin::ToPinyin;

/// The pinyin initials of a name, lower case: one letter per Chinese character, other letters
/// and digits kept as they are (lower-cased), the rest dropped. 王秀兰 → `wxl`.
pub fn initials(name: &str) -> String {
    name.chars()
        .zip(name.to_pinyin())
        .filter_map(|(c, p)| match p {
            Some(p) => p.first_letter().chars().next(),
            None if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            None => None,
        })
        .collect()
}

/// Whether a search text asks for pinyin initials (ASCII letters only) rather than characters.
pub fn is_initials_query(q: &str) -> bool {
    !q.is_empty() && q.chars().all(|c| c.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_of_names() {
        assert_eq!(initials("王秀兰"), "wxl");
        assert_eq!(initials("欧阳娜娜"), "oynn");
        assert_eq!(initials("张三2"), "zs2");
        assert!(is_initials_query("WXL") && !is_initials_query("秀兰") && !is_initials_query(""));
    }
}
