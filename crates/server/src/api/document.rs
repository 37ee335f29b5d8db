//! The answers every operation can give besides its own, added to the OpenAPI document in one
//! place so that the document lists every status the server can answer:
//!
//! - 400: a query, path parameter or JSON body that cannot be read (problem `query`, `path`,
//!   `json-syntax`);
//! - 401: no valid bearer token or session cookie (every operation but the token request);
//! - 403: the role lacks the permission, the area or level is not the caller's, or a cross-site
//!   request made with the session cookie (`csrf.origin`);
//! - 404: a record that does not exist or lies outside the caller's area (operations on one);
//! - 413 and 415: a body over the size limit or of another content type (operations with one);
//! - 422: a body or parameter of the right shape whose values break a rule;
//! - 503: the request was not answered because its audit entry could not be stored.

use utoipa::openapi::path::Operation;
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};

fn problem(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build(),
            )
            .build(),
    )
}

fn add(op: &mut Operation, status: &str, description: &str) {
    op.responses
        .responses
        .entry(status.to_owned())
        .or_insert_with(|| problem(description));
}

/// Adds the common answers to every operation of `doc`.
pub fn complete(doc: &mut OpenApi) {
    for (path, item) in &mut doc.paths.paths {
        let ops = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for op in ops.into_iter().flatten() {
            let public = op
                .security
                .as_ref()
                .is_some_and(|s| s.iter().all(|r| serde_json::to_value(r).is_ok_and(|v| v == serde_json::json!({}))));
            let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty()) || path.contains('{');
            let has_body = op.request_body.is_some();
            if has_params || has_body {
                add(op, "400", "The query, a path parameter or the body cannot be read");
                add(op, "422", "A value breaks a rule (each field named with its rule)");
            }
            if !public {
                add(op, "401", "No valid bearer token or session cookie");
                add(
                    op,
                    "403",
                    "The role, area or level does not allow this, or a cross-site cookie request",
                );
                add(op, "503", "Not answered: its audit entry could not be stored");
            }
            if path.contains('{') {
                add(op, "404", "No such record in the caller's area");
            }
            if has_body {
                add(op, "413", "The body is larger than this operation accepts");
                add(op, "415", "The body is not of the documented content type");
            }
        }
    }
}
