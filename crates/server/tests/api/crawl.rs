//! Every demo role, crawling its pages as a person clicking every link would: no followed link
//! answers 4xx or 5xx, and no page shows what a person should not have to read (a UUID, a UTC
//! timestamp, or a code where the label registry names it).

use std::collections::{BTreeMap, HashSet, VecDeque};

use reqwest::StatusCode;

use crate::helpers::spawn_app;

/// Each demo login with the role it stands for.
const USERS: [&str; 11] = [
    "admin",
    "county_admin",
    "village_doctor",
    "township_doctor",
    "specialist",
    "cardiologist",
    "reader",
    "reviewer",
    "nurse",
    "insurance",
    "procurement",
];

/// Pages of one shape (ids and numbers replaced) fetched per role: enough to meet every template
/// with real data without reading all 2,000 residents.
const PER_SHAPE: usize = 2;

/// The `href` targets of a page's links (same site only).
pub fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in html.split("href=\"").skip(1) {
        let Some(end) = part.find('"') else { continue };
        let href = part[..end].replace("&amp;", "&");
        if href.starts_with('/') && !href.starts_with("//") {
            out.push(href);
        }
    }
    out
}

/// The text a person reads: the page without its tags, scripts and styles.
pub fn visible_text(html: &str) -> String {
    let mut s = html.to_owned();
    for tag in ["script", "style", "title"] {
        while let Some(a) = s.find(&format!("<{tag}")) {
            let close = format!("</{tag}>");
            let b = s[a..].find(&close).map_or(s.len(), |i| a + i + close.len());
            s.replace_range(a..b, " ");
        }
    }
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
}

/// A path with its ids, numbers and query values blanked: the page's shape.
fn shape(path: &str) -> String {
    let (p, q) = path.split_once('?').unwrap_or((path, ""));
    let segments: Vec<String> = p
        .split('/')
        .map(|s| {
            if s.len() >= 8 && s.chars().any(|c| c.is_ascii_digit()) {
                "{id}".to_owned()
            } else {
                s.to_owned()
            }
        })
        .collect();
    let keys: Vec<&str> = q.split('&').filter_map(|kv| kv.split('=').next()).collect();
    format!("{}?{}", segments.join("/"), keys.join("&"))
}

/// Whether `text` holds something shaped like a UUID.
fn has_uuid(text: &str) -> Option<String> {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(35)).find_map(|i| {
        let w = &b[i..i + 36];
        let ok = w.iter().enumerate().all(|(j, c)| match j {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit() && !c.is_ascii_uppercase(),
        });
        ok.then(|| text[i..i + 36].to_owned())
    })
}

/// Whether `text` holds an RFC 3339 timestamp (times on pages are Beijing time, written out).
fn has_utc_stamp(text: &str) -> Option<String> {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(15)).find_map(|i| {
        let w = &b[i..i + 16];
        let ok = w[..4].iter().all(u8::is_ascii_digit) && w[4] == b'-' && w[7] == b'-' && w[10] == b'T' && w[13] == b':';
        ok.then(|| text[i..i + 16].to_owned())
    })
}

/// The codes the label registry names, as whole words in `text`.
fn raw_codes(text: &str) -> Vec<String> {
    let words: HashSet<&str> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    sanyi_app::labels::all()
        .filter(|l| l.shows_raw())
        .filter(|l| words.contains(l.code))
        .map(|l| format!("{} ({}: {})", l.code, l.kind, l.zh))
        .collect()
}

#[tokio::test]
async fn every_role_follows_every_link_and_reads_no_raw_code() {
    let app = spawn_app().await;
    // The demo as `serve --demo` fills it in: readings with images and ECGs, the year settled.
    sanyi_app::demo::seed_readings(&app.app).await.expect("seed readings");
    sanyi_app::demo::settle_insurance_year(&app.app, &crate::helpers::demo_params())
        .await
        .expect("settle the demo year");
    let mut problems = Vec::new();
    let mut fetched = BTreeMap::new();
    for user in USERS {
        let client = app.browser(user).await;
        let mut seen = HashSet::new();
        let mut shapes: BTreeMap<String, usize> = BTreeMap::new();
        let mut queue = VecDeque::from(["/".to_owned()]);
        let mut count = 0;
        while let Some(path) = queue.pop_front() {
            if !seen.insert(path.clone()) || path.starts_with("/lang/") || path.starts_with("/logout") {
                continue;
            }
            let n = shapes.entry(shape(&path)).or_default();
            if *n >= PER_SHAPE {
                continue;
            }
            *n += 1;
            count += 1;
            let r = client.get(app.url(&path)).send().await.unwrap();
            let status = r.status();
            if status.is_redirection() {
                if let Some(to) = r.headers().get("location").and_then(|l| l.to_str().ok())
                    && !to.starts_with("/login")
                {
                    queue.push_back(to.to_owned());
                }
                continue;
            }
            if status.is_client_error() || status.is_server_error() {
                problems.push(format!("{user}: {path} answers {status}"));
                continue;
            }
            assert_eq!(status, StatusCode::OK);
            let html_page = r
                .headers()
                .get("content-type")
                .and_then(|c| c.to_str().ok())
                .is_some_and(|c| c.starts_with("text/html"));
            if !html_page {
                continue;
            }
            let html = r.text().await.unwrap();
            let text = visible_text(&html);
            if let Some(u) = has_uuid(&text) {
                problems.push(format!("{user}: {path} shows the id {u}"));
            }
            if let Some(s) = has_utc_stamp(&text) {
                problems.push(format!("{user}: {path} shows the timestamp {s}"));
            }
            for code in raw_codes(&text) {
                problems.push(format!("{user}: {path} shows the raw code {code}"));
            }
            for link in links(&html) {
                if !seen.contains(&link) {
                    queue.push_back(link);
                }
            }
        }
        fetched.insert(user, count);
    }
    problems.sort();
    problems.dedup();
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
    eprintln!("pages fetched per role: {fetched:?}");
    for (user, n) in &fetched {
        assert!(*n >= 2, "{user} reached only {n} page(s)");
    }
}

#[test]
fn helpers_find_what_they_look_for() {
    assert_eq!(
        links(r#"<a href="/a?x=1&amp;y=2">a</a><a href="https://x">b</a>"#),
        vec!["/a?x=1&y=2"]
    );
    assert_eq!(visible_text("<p>转诊<script>var x='pending_receiver'</script></p>").trim(), "转诊");
    assert!(has_uuid("id 01a250a7-da8b-762d-baa2-6e0e62686389 .").is_some());
    assert!(has_utc_stamp("at 2026-12-07T03:20:00Z").is_some() && has_utc_stamp("2026-12-07 11:20").is_none());
    assert_eq!(
        shape("/referrals/01a250a7-da8b-762d-baa2-6e0e62686389?box=in"),
        "/referrals/{id}?box"
    );
    assert!(raw_codes("状态 pending_receiver").iter().any(|c| c.starts_with("pending_receiver")));
}

/// Percent-encodes a query value (names are Chinese).
pub fn crawl_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
