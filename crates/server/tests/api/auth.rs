use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn health_and_openapi_are_served() {
    let app = spawn_app().await;
    let r = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let doc: serde_json::Value = app.openapi().await;
    for path in [
        "/api/v1/auth/token",
        "/api/v1/residents",
        "/api/v1/residents/{id}",
        "/api/v1/residents/import",
        "/api/v1/audit",
        "/api/v1/institutions/tree",
    ] {
        assert!(doc["paths"][path].is_object(), "missing {path}");
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    // Every operation but token creation requires the bearer scheme and documents a 4xx problem.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (verb, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.keys().any(|k| k.starts_with('4')), "{verb} {path} documents no 4xx");
        }
    }
}

#[tokio::test]
async fn credentials_are_checked_and_401_differs_from_403() {
    let app = spawn_app().await;
    // No credential: 401 with a challenge.
    let r = app.client.get(app.url("/api/v1/residents")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    assert!(r.headers().contains_key("www-authenticate"));
    // Wrong password and unknown user: the same 401.
    for (u, p) in [("admin", "wrong-password"), ("nobody", "sanyi2026")] {
        let r = app
            .client
            .post(app.url("/api/v1/auth/token"))
            .json(&json!({"username": u, "password": p}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{u}");
    }
    // A forged token.
    let (s, _) = app.get("0123456789abcdef", "/api/v1/me").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // Authenticated but not allowed: 403.
    let procurement = app.token("procurement").await;
    let (s, body) = app.get(&procurement, "/api/v1/residents").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["type"], "urn:sanyi:problem:forbidden");
    let doctor = app.token("village_doctor").await;
    let (s, _) = app.get(&doctor, "/api/v1/audit").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn tokens_can_be_revoked() {
    let app = spawn_app().await;
    let t = app.token("nurse").await;
    assert_eq!(app.me(&t).await["role"], "nurse");
    let r = app
        .client
        .delete(app.url("/api/v1/auth/token"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (s, _) = app.get(&t, "/api/v1/me").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn malformed_requests_get_problem_details() {
    let app = spawn_app().await;
    let t = app.token("village_doctor").await;
    // Malformed JSON.
    let r = app
        .client
        .post(app.url("/api/v1/residents"))
        .bearer_auth(&t)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    // Wrong type names the field.
    let (s, body) = app
        .post(&t, "/api/v1/residents", &json!({"id_number": 5, "name": "x", "village_code": "1"}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["field"], "id_number");
    // Wrong content type.
    let r = app
        .client
        .post(app.url("/api/v1/residents"))
        .bearer_auth(&t)
        .body("id_number=1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Oversize body.
    let big = "x".repeat(2 * 1024 * 1024);
    let r = app
        .client
        .post(app.url("/api/v1/residents"))
        .bearer_auth(&t)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Bad pagination.
    let (s, body) = app.get(&t, "/api/v1/residents?limit=0&offset=-1").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"].as_array().unwrap().len(), 2);
}
