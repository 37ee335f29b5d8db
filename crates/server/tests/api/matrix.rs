//! The authorization matrix (issue #12), generated from the route table: every operation of the
//! OpenAPI document × every kind of account, with the expected answer taken from one declared
//! policy table ([`POLICY`]), not from hand-picked cases. A route without a policy, or a policy
//! without a route, fails the test.
//!
//! - **Role and level**: each operation is called on a record that does not exist, with a body
//!   built from its schema. An account whose role lacks the permission, or whose area is narrower
//!   than a pool on pool-level operations, must get 403 (the permission is checked before the
//!   record is looked up, so refusals tell nothing about what exists); every other account must
//!   get past authorization (not 401, not 403, never 5xx).
//! - **Area**: the records of one county are read and changed by accounts of the same county, of
//!   another county and of another pool: outside the area they answer exactly like missing ones
//!   (404).

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::{Map, Value, json};

use crate::helpers::{PASSWORD, TestApp, spawn_app};

/// Who may call an operation.
#[derive(Clone, Copy, Debug)]
enum Who {
    /// Any authenticated account (what it sees is limited by its area).
    Anyone,
    /// Only these roles, on records of their area.
    Roles(&'static [&'static str]),
    /// Only these roles, and only staff of an institution (the lists and commands of one's own
    /// institution's referrals, consultations and readings).
    Staff(&'static [&'static str]),
    /// Only these roles, and only with a pool-wide area (pool-level records).
    PoolRoles(&'static [&'static str]),
    /// No credentials needed (the token request).
    Public,
}

const CLINICAL: &[&str] = &["village_doctor", "township_doctor", "county_specialist", "nurse", "administrator"];
const ORDERING: &[&str] = &["village_doctor", "township_doctor", "county_specialist"];
const READERS_OF_RECORDS: &[&str] = &[
    "village_doctor",
    "township_doctor",
    "county_specialist",
    "reader",
    "nurse",
    "insurance_officer",
    "administrator",
];
const RESULT_WRITERS: &[&str] = &[
    "village_doctor",
    "township_doctor",
    "county_specialist",
    "reader",
    "nurse",
    "administrator",
];
const ADMIN: &[&str] = &["administrator"];
const INSURANCE: &[&str] = &["insurance_officer", "administrator"];
const SETTLING: &[&str] = &[
    "insurance_officer",
    "administrator",
    "village_doctor",
    "township_doctor",
    "county_specialist",
];
const DRG: &[&str] = &[
    "village_doctor",
    "township_doctor",
    "county_specialist",
    "reader",
    "nurse",
    "insurance_officer",
    "administrator",
];

/// The declared policy: every operation of the API and who may call it.
const PROCUREMENT_READERS: &[&str] = &["procurement_officer", "insurance_officer", "administrator"];
const PROCUREMENT: &[&str] = &["procurement_officer", "administrator"];
const STOCK_READERS: &[&str] = &[
    "village_doctor",
    "township_doctor",
    "county_specialist",
    "nurse",
    "procurement_officer",
    "insurance_officer",
    "administrator",
];
const DISPENSING: &[&str] = &[
    "village_doctor",
    "township_doctor",
    "county_specialist",
    "nurse",
    "procurement_officer",
];
const POLICY: &[(&str, Who)] = &[
    ("GET /api/v1/audit", Who::Roles(ADMIN)),
    ("POST /api/v1/auth/token", Who::Public),
    ("DELETE /api/v1/auth/token", Who::Anyone),
    ("POST /api/v1/claims", Who::Roles(SETTLING)),
    ("GET /api/v1/claims/{id}", Who::Roles(SETTLING)),
    ("POST /api/v1/claims/{id}/reverse", Who::Roles(SETTLING)),
    ("PUT /api/v1/claims/{id}/special-review", Who::Roles(INSURANCE)),
    ("GET /api/v1/consultation-roster", Who::Staff(CLINICAL)),
    ("PUT /api/v1/consultation-roster", Who::Roles(ADMIN)),
    ("GET /api/v1/consultations", Who::Staff(READERS_OF_RECORDS)),
    ("POST /api/v1/consultations", Who::Staff(CLINICAL)),
    ("GET /api/v1/consultations/{id}", Who::Roles(READERS_OF_RECORDS)),
    ("GET /api/v1/consultations/{id}/attachments", Who::Roles(READERS_OF_RECORDS)),
    ("POST /api/v1/consultations/{id}/attachments", Who::Roles(CLINICAL)),
    (
        "GET /api/v1/consultations/{id}/attachments/{attachment}",
        Who::Roles(READERS_OF_RECORDS),
    ),
    ("POST /api/v1/consultations/{id}/commands", Who::Roles(CLINICAL)),
    ("POST /api/v1/consultations/{id}/guests", Who::Roles(CLINICAL)),
    ("DELETE /api/v1/consultations/{id}/guests/{user_id}", Who::Roles(CLINICAL)),
    ("POST /api/v1/drg/group", Who::Roles(DRG)),
    ("GET /api/v1/catalogue/versions", Who::Anyone),
    ("POST /api/v1/catalogue/versions", Who::PoolRoles(INSURANCE)),
    ("GET /api/v1/catalogue/items", Who::Anyone),
    ("GET /api/v1/procurement/projects", Who::Roles(PROCUREMENT_READERS)),
    ("POST /api/v1/procurement/projects", Who::Roles(PROCUREMENT)),
    ("GET /api/v1/procurement/projects/{id}", Who::Roles(PROCUREMENT_READERS)),
    ("PUT /api/v1/procurement/projects/{id}/demand", Who::Roles(PROCUREMENT)),
    ("POST /api/v1/procurement/projects/{id}/contract", Who::Roles(PROCUREMENT)),
    ("POST /api/v1/procurement/projects/{id}/renewal", Who::Roles(PROCUREMENT)),
    ("GET /api/v1/procurement/report", Who::Roles(PROCUREMENT_READERS)),
    ("GET /api/v1/procurement/report/xlsx", Who::Roles(PROCUREMENT_READERS)),
    ("GET /api/v1/pharmacy/orders", Who::Roles(PROCUREMENT_READERS)),
    ("POST /api/v1/pharmacy/orders", Who::Roles(PROCUREMENT)),
    ("GET /api/v1/pharmacy/orders/{id}", Who::Roles(PROCUREMENT_READERS)),
    ("POST /api/v1/pharmacy/orders/{id}/deliveries", Who::Roles(PROCUREMENT)),
    ("GET /api/v1/pharmacy/deliveries", Who::Roles(PROCUREMENT_READERS)),
    ("POST /api/v1/pharmacy/deliveries/{id}/accept", Who::Roles(PROCUREMENT)),
    ("POST /api/v1/pharmacy/deliveries/{id}/pay", Who::Roles(PROCUREMENT)),
    ("GET /api/v1/pharmacy/stock", Who::Roles(STOCK_READERS)),
    ("POST /api/v1/pharmacy/transfers", Who::Roles(PROCUREMENT)),
    ("GET /api/v1/prescriptions", Who::Staff(DISPENSING)),
    ("POST /api/v1/prescriptions", Who::Staff(ORDERING)),
    ("GET /api/v1/prescriptions/choices", Who::Roles(DISPENSING)),
    ("GET /api/v1/prescriptions/{id}", Who::Roles(DISPENSING)),
    ("POST /api/v1/prescriptions/{id}/dispense", Who::Roles(DISPENSING)),
    ("GET /api/v1/drg/schemes", Who::Anyone),
    ("GET /api/v1/ecgs/{id}/svg", Who::Roles(READERS_OF_RECORDS)),
    ("POST /api/v1/imaging/instances", Who::Staff(CLINICAL)),
    ("GET /api/v1/imaging/instances/{id}/file", Who::Roles(READERS_OF_RECORDS)),
    ("GET /api/v1/imaging/instances/{id}/rendered", Who::Roles(READERS_OF_RECORDS)),
    ("GET /api/v1/imaging/studies", Who::Roles(READERS_OF_RECORDS)),
    ("GET /api/v1/imaging/studies/{id}", Who::Roles(READERS_OF_RECORDS)),
    ("POST /api/v1/imaging/studies/{id}/match", Who::Roles(CLINICAL)),
    ("GET /api/v1/indicators", Who::Roles(READERS_OF_RECORDS)),
    ("POST /api/v1/institutions", Who::Roles(ADMIN)),
    ("GET /api/v1/institutions/tree", Who::Anyone),
    ("GET /api/v1/institutions/{id}", Who::Anyone),
    ("PUT /api/v1/institutions/{id}", Who::Roles(ADMIN)),
    ("GET /api/v1/institutions/{id}/departments", Who::Anyone),
    ("POST /api/v1/institutions/{id}/departments", Who::Roles(ADMIN)),
    ("GET /api/v1/institutions/{id}/staff", Who::Anyone),
    ("POST /api/v1/institutions/{id}/staff", Who::Roles(ADMIN)),
    ("GET /api/v1/insurance/flags", Who::Roles(INSURANCE)),
    ("POST /api/v1/insurance/flags/{id}/review", Who::Roles(INSURANCE)),
    ("GET /api/v1/insurance/fund-years/{year}", Who::Roles(INSURANCE)),
    ("PUT /api/v1/insurance/fund-years/{year}", Who::PoolRoles(INSURANCE)),
    ("GET /api/v1/insurance/policies", Who::Roles(INSURANCE)),
    ("POST /api/v1/insurance/policies", Who::PoolRoles(INSURANCE)),
    ("POST /api/v1/insurance/settlements", Who::PoolRoles(INSURANCE)),
    ("GET /api/v1/insurance/settlements/{year}", Who::Roles(INSURANCE)),
    ("GET /api/v1/insurance/settlements/{year}/xlsx", Who::Roles(INSURANCE)),
    ("GET /api/v1/insurance/settlements/{year}/runs", Who::Roles(INSURANCE)),
    ("GET /api/v1/insurance/settlements/{year}/runs/{number}", Who::Roles(INSURANCE)),
    (
        "POST /api/v1/insurance/settlements/{year}/runs/{number}/approval",
        Who::PoolRoles(&["insurance_officer"]),
    ),
    ("GET /api/v1/insurance/ledger/{year}", Who::Roles(INSURANCE)),
    ("GET /api/v1/insurance/eligibility-reviews", Who::Roles(INSURANCE)),
    ("GET /api/v1/me", Who::Anyone),
    ("GET /api/v1/notifications", Who::Anyone),
    ("POST /api/v1/orders", Who::Roles(ORDERING)),
    ("GET /api/v1/readings", Who::Staff(READERS_OF_RECORDS)),
    ("POST /api/v1/readings", Who::Staff(CLINICAL)),
    ("GET /api/v1/readings/indicators", Who::Roles(READERS_OF_RECORDS)),
    ("GET /api/v1/readings/{id}", Who::Roles(READERS_OF_RECORDS)),
    ("POST /api/v1/readings/{id}/commands", Who::Anyone),
    ("POST /api/v1/readings/{id}/ecg", Who::Roles(CLINICAL)),
    ("GET /api/v1/readings/{id}/ecgs", Who::Roles(READERS_OF_RECORDS)),
    ("POST /api/v1/readings/{id}/images", Who::Staff(CLINICAL)),
    ("GET /api/v1/readings/{id}/studies", Who::Roles(READERS_OF_RECORDS)),
    ("POST /api/v1/recognition/check", Who::Roles(ORDERING)),
    ("GET /api/v1/recognition/indicators", Who::Roles(READERS_OF_RECORDS)),
    ("GET /api/v1/recognition/items", Who::Anyone),
    ("PUT /api/v1/recognition/items", Who::PoolRoles(ADMIN)),
    ("GET /api/v1/recognition/participants", Who::Roles(READERS_OF_RECORDS)),
    ("PUT /api/v1/recognition/participants", Who::Roles(ADMIN)),
    ("GET /api/v1/referrals", Who::Staff(READERS_OF_RECORDS)),
    ("POST /api/v1/referrals", Who::Staff(CLINICAL)),
    ("GET /api/v1/referrals/{id}", Who::Roles(READERS_OF_RECORDS)),
    ("GET /api/v1/referrals/{id}/attachments", Who::Roles(READERS_OF_RECORDS)),
    ("POST /api/v1/referrals/{id}/attachments", Who::Roles(CLINICAL)),
    (
        "GET /api/v1/referrals/{id}/attachments/{attachment}",
        Who::Roles(READERS_OF_RECORDS),
    ),
    ("POST /api/v1/referrals/{id}/commands", Who::Roles(CLINICAL)),
    ("GET /api/v1/residents", Who::Roles(READERS_OF_RECORDS)),
    ("POST /api/v1/residents", Who::Roles(CLINICAL)),
    ("POST /api/v1/residents/import", Who::Roles(ADMIN)),
    ("GET /api/v1/residents/{id}", Who::Roles(READERS_OF_RECORDS)),
    ("PUT /api/v1/residents/{id}", Who::Roles(CLINICAL)),
    ("POST /api/v1/residents/{id}/enrolments", Who::Roles(INSURANCE)),
    ("GET /api/v1/insurance/overspend-justifications/{year}", Who::Roles(INSURANCE)),
    ("POST /api/v1/insurance/overspend-justifications/{year}", Who::Roles(ADMIN)),
    (
        "POST /api/v1/insurance/overspend-justifications/{year}/{community}/decision",
        Who::Roles(&["insurance_officer"]),
    ),
    ("GET /api/v1/residents/{id}/eligibility", Who::Roles(READERS_OF_RECORDS)),
    ("POST /api/v1/residents/{id}/eligibility", Who::Roles(INSURANCE)),
    (
        "POST /api/v1/residents/{id}/eligibility/{eligibility}/revoke",
        Who::Roles(INSURANCE),
    ),
    ("POST /api/v1/residents/{id}/merge", Who::Roles(ADMIN)),
    ("GET /api/v1/residents/{id}/results", Who::Roles(READERS_OF_RECORDS)),
    ("POST /api/v1/results", Who::Roles(RESULT_WRITERS)),
    ("POST /api/v1/results/import", Who::Roles(ADMIN)),
    ("POST /api/v1/users/{username}/activate", Who::Roles(ADMIN)),
    ("POST /api/v1/users/{username}/deactivate", Who::Roles(ADMIN)),
    ("POST /api/v1/users/{username}/unlock", Who::Roles(ADMIN)),
    ("GET /dicomweb/studies", Who::Roles(READERS_OF_RECORDS)),
    ("POST /dicomweb/studies", Who::Roles(CLINICAL)),
    ("GET /dicomweb/studies/{study}/instances", Who::Roles(READERS_OF_RECORDS)),
    (
        "GET /dicomweb/studies/{study}/series/{series}/instances/{instance}",
        Who::Roles(READERS_OF_RECORDS),
    ),
    (
        "GET /dicomweb/studies/{study}/series/{series}/instances/{instance}/rendered",
        Who::Roles(READERS_OF_RECORDS),
    ),
];

/// The accounts of the matrix: (username, role, pool-wide area, staff of an institution).
const ACCOUNTS: &[(&str, &str, bool, bool)] = &[
    ("village_doctor", "village_doctor", false, true),
    ("township_doctor", "township_doctor", false, true),
    ("specialist", "county_specialist", false, true),
    ("reader", "reader", false, true),
    ("nurse", "nurse", false, true),
    ("insurance", "insurance_officer", true, false),
    ("county_insurance", "insurance_officer", false, false),
    ("procurement", "procurement_officer", false, true),
    ("admin", "administrator", true, false),
    ("county_admin", "administrator", false, true),
];

/// A value of a JSON schema with every required field filled (first enum value, first variant).
fn example(schema: &Value, doc: &Value, depth: usize) -> Value {
    if depth > 8 {
        return Value::Null;
    }
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap();
        return example(&doc["components"]["schemas"][name], doc, depth + 1);
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(first) = schema[key].as_array().and_then(|a| a.iter().find(|s| s["type"] != "null")) {
            return example(first, doc, depth + 1);
        }
    }
    if let Some(e) = schema["enum"].as_array().and_then(|e| e.first()) {
        return e.clone();
    }
    let ty = match &schema["type"] {
        Value::Array(types) => types.iter().find(|t| *t != "null").cloned().unwrap_or(Value::Null),
        t => t.clone(),
    };
    match ty.as_str() {
        Some("string") => json!("x"),
        Some("integer") => json!(schema["minimum"].as_i64().unwrap_or(1).max(1)),
        Some("number") => json!(1),
        Some("boolean") => json!(false),
        Some("array") => json!([]),
        _ => {
            let mut m = Map::new();
            for name in schema["required"].as_array().into_iter().flatten() {
                let name = name.as_str().unwrap();
                m.insert(name.to_owned(), example(&schema["properties"][name], doc, depth + 1));
            }
            Value::Object(m)
        }
    }
}

/// Sends one operation as `token` on records that do not exist.
async fn call(app: &TestApp, token: &str, method: &str, path: &str, op: &Value, doc: &Value) -> StatusCode {
    let url = path
        .replace("{year}", "2025")
        .replace("{username}", "no_such_user")
        .split('/')
        .map(|seg| if seg.starts_with('{') { "0" } else { seg })
        .collect::<Vec<_>>()
        .join("/");
    // Required query parameters get a value of their type.
    let mut query = Vec::new();
    for p in op["parameters"].as_array().into_iter().flatten() {
        if p["in"] == "query" && p["required"] == true {
            let v = example(&p["schema"], doc, 0);
            query.push((
                p["name"].as_str().unwrap().to_owned(),
                v.as_str().map_or(v.to_string(), str::to_owned),
            ));
        }
    }
    let mut req = app
        .client
        .request(method.parse().unwrap(), app.url(&url))
        .query(&query)
        .bearer_auth(token);
    if let Some(content) = op["requestBody"]["content"].as_object() {
        let (ct, media) = content.iter().next().unwrap();
        req = if ct == "application/json" {
            req.json(&example(&media["schema"], doc, 0))
        } else {
            req.header("content-type", ct.as_str()).body("x")
        };
    }
    req.send().await.unwrap().status()
}

async fn make_account(app: &TestApp, username: &str, role: &str, scope: &str, institution: Option<&str>) {
    let user = sanyi_store::users::User {
        division_code: scope.chars().chain(std::iter::repeat('0')).take(6).collect(),
        id: sanyi_store::new_id(),
        username: username.into(),
        display_name: username.into(),
        password_hash: sanyi_app::auth::hash_password(PASSWORD).unwrap(),
        role: role.into(),
        institution_id: institution.map(str::to_owned),
        scope_area: scope.into(),
        active: true,
    };
    sanyi_store::users::insert(&app.db, &user).await.unwrap();
}

#[tokio::test]
async fn every_route_answers_every_role_as_the_policy_table_says() {
    let app = spawn_app().await;
    make_account(&app, "county_insurance", "insurance_officer", "652301", None).await;
    let doc: Value = app.openapi().await;
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations.push((method.to_uppercase(), path.clone(), op.clone()));
        }
    }
    let routes: BTreeSet<String> = operations.iter().map(|(m, p, _)| format!("{m} {p}")).collect();
    let declared: BTreeSet<String> = POLICY.iter().map(|(k, _)| (*k).to_owned()).collect();
    assert_eq!(
        routes.difference(&declared).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "routes without a declared policy"
    );
    assert_eq!(
        declared.difference(&routes).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "policies without a route"
    );
    let mut tokens = Vec::new();
    for (user, role, pool, staff) in ACCOUNTS {
        tokens.push((*user, *role, *pool, *staff, app.token(user).await));
    }
    let mut wrong = Vec::new();
    let mut checked = 0;
    for (method, path, op) in &operations {
        let who = POLICY.iter().find(|(k, _)| *k == format!("{method} {path}")).unwrap().1;
        if matches!(who, Who::Public) || (method == "DELETE" && path == "/api/v1/auth/token") {
            continue;
        }
        for (user, role, pool, staff, token) in &tokens {
            let allowed = match who {
                Who::Anyone | Who::Public => true,
                Who::Roles(roles) => roles.contains(role),
                Who::Staff(roles) => roles.contains(role) && *staff,
                Who::PoolRoles(roles) => roles.contains(role) && *pool,
            };
            let status = call(&app, token, method, path, op, &doc).await;
            checked += 1;
            let ok = if allowed {
                status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN && !status.is_server_error()
            } else {
                status == StatusCode::FORBIDDEN
            };
            if !ok {
                wrong.push(format!(
                    "{method} {path} as {user}: {status}, expected {}",
                    if allowed { "allowed" } else { "403" }
                ));
            }
        }
        // No credentials: 401 on every operation.
        let anonymous = app
            .client
            .request(method.parse().unwrap(), app.url(&path.replace(['{', '}'], "")))
            .send()
            .await
            .unwrap()
            .status();
        if anonymous != StatusCode::UNAUTHORIZED {
            wrong.push(format!("{method} {path} without credentials: {anonymous}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {checked} calls broke the policy:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    eprintln!("authorization matrix: {checked} calls over {} operations", operations.len());
}

#[tokio::test]
async fn records_outside_the_area_or_pool_answer_like_missing_ones() {
    let app = spawn_app().await;
    let pool = app.token("admin").await;
    let (_, tree) = app.get(&pool, "/api/v1/institutions/tree").await;
    let second_county_lead = tree[1]["communities"][0]["members"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(tree[1]["division_code"], "652302");
    make_account(&app, "other_county_admin", "administrator", "652302", Some(&second_county_lead)).await;
    make_account(&app, "other_pool_admin", "administrator", "6524", None).await;
    let own = app.token("county_admin").await;
    let other_county = app.token("other_county_admin").await;
    let other_pool = app.token("other_pool_admin").await;
    let doctor = app.token("village_doctor").await;
    let specialist = app.token("specialist").await;
    // Records of county 652301: a resident, an institution, a referral, a consultation.
    let resident = app.residents(&doctor, "limit=1").await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let institution = tree[0]["communities"][0]["members"][0]["id"].as_str().unwrap().to_owned();
    let (_, inbox) = app.get(&specialist, "/api/v1/referrals?box=in&limit=1").await;
    let referral = inbox["items"][0]["id"].as_str().unwrap().to_owned();
    let reads = [
        format!("/api/v1/residents/{resident}"),
        format!("/api/v1/residents/{resident}/results"),
        format!("/api/v1/institutions/{institution}"),
        format!("/api/v1/institutions/{institution}/staff"),
    ];
    for path in &reads {
        for (who, token, expected) in [
            ("own county", &own, StatusCode::OK),
            ("pool", &pool, StatusCode::OK),
            ("other county", &other_county, StatusCode::NOT_FOUND),
            ("other pool", &other_pool, StatusCode::NOT_FOUND),
        ] {
            let (s, body) = app.get(token, path).await;
            assert_eq!(s, expected, "{path} as {who}: {body}");
        }
    }
    for (who, token) in [("other county", &other_county), ("other pool", &other_pool)] {
        let (s, _) = app.get(token, &format!("/api/v1/referrals/{referral}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "referral as {who}");
        let (_, inst) = app.get(&pool, &format!("/api/v1/institutions/{institution}")).await;
        let mut edit = inst.clone();
        edit["name"] = json!("改名");
        let (s, _) = app.put(token, &format!("/api/v1/institutions/{institution}"), &edit).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "institution edit as {who}");
        let (s, p) = app
            .post(
                token,
                &format!("/api/v1/referrals/{referral}/commands"),
                &json!({"cancel": {"reason": "x"}}),
            )
            .await;
        // Staff of another county: like a missing referral. Without an institution (the other
        // pool's administrator): refused for that, whatever the referral.
        let expected = if who == "other county" {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(s, expected, "referral command as {who}: {p}");
        let (s, list) = app.get(token, "/api/v1/residents?limit=500").await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            list["items"].as_array().unwrap().iter().all(|r| r["id"] != resident.as_str()),
            "resident listed as {who}"
        );
        let (s, p) = app.put(token, "/api/v1/insurance/fund-years/2025", &json!({})).await;
        assert!(
            s == StatusCode::FORBIDDEN || s == StatusCode::UNPROCESSABLE_ENTITY,
            "{who}: {s} {p}"
        );
    }
    let (_, log) = app.get(&other_pool, "/api/v1/audit?limit=500").await;
    assert!(
        log["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["division_code"].as_str().unwrap().starts_with("6524")),
        "another pool's administrator reads none of this pool's audit log: {log}"
    );
}
