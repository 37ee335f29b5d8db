//! Snapshots of the API's interface: a change to an operation, a schema or a status shows in review
//! as a diff of `tests/snapshots/interface__openapi.snap` (accept it with `cargo insta review` or
//! `INSTA_UPDATE=always cargo test -p sanyi-server --test interface`).

#[test]
fn openapi_document() {
    let doc = serde_json::to_value(sanyi_server::openapi_document()).expect("the document serialises");
    insta::assert_json_snapshot!("openapi", doc);
}
