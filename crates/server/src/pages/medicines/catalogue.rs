//! The item catalogue (医保目录查询): the version in force or any other, searched by code, name,
//! generic name or manufacturer and filtered by kind and category; pool-level insurance officers
//! and administrators import a new version from CSV or Excel, and a file with bad rows comes
//! back with every bad row named.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use sanyi_app::medicines::catalogue::{self, ImportInput, ItemView, SearchQuery, VersionView};
use sanyi_app::{FieldError, Permission, ServiceError};

use super::super::BeijingTime as _;
use super::super::FieldMessages as _;
use super::super::{Nav, PageActor, Pager, same_origin, url_encode};
use super::field_error;
use crate::AppState;
use crate::i18n::Tr;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/catalogue",
        get(search).post(import).layer(DefaultBodyLimit::max(crate::IMPORT_BODY_LIMIT)),
    )
}

/// Items per page.
const PAGE: i64 = 50;

#[derive(Deserialize, Default, Clone)]
struct SearchParams {
    #[serde(default)]
    version: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    category: String,
    offset: Option<i64>,
    /// Items of a version just imported (a notice says so).
    imported: Option<i64>,
}

/// What the import form keeps when it comes back.
#[derive(Default, Clone)]
struct ImportForm {
    version: String,
    effective_from: String,
    file_name: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "catalogue.html")]
struct CataloguePage {
    t: Tr,
    nav: Option<Nav>,
    versions: Vec<VersionView>,
    /// The version shown.
    current: Option<VersionView>,
    /// The version in force today.
    in_force: Option<String>,
    params: SearchParams,
    items: Vec<ItemView>,
    pager: Pager,
    can_import: bool,
    form: ImportForm,
    /// Field → message (`version`, `effective_from`).
    errors: HashMap<String, String>,
    /// Every message about the file's rows, one per bad cell.
    row_errors: Vec<String>,
}

impl super::super::FieldMessages for CataloguePage {
    fn messages(&self) -> &HashMap<String, String> {
        &self.errors
    }
}

async fn search(State(state): State<AppState>, p: PageActor, Query(q): Query<SearchParams>) -> Response {
    render(&state, p, q, ImportForm::default(), Vec::new()).await
}

async fn render(state: &AppState, p: PageActor, q: SearchParams, form: ImportForm, errs: Vec<FieldError>) -> Response {
    let versions = match catalogue::versions(&state.app, &p.actor).await {
        Ok(v) => v,
        Err(e) => return p.error(e),
    };
    let today = sanyi_domain::time::today();
    let in_force = versions
        .iter()
        .filter(|v| v.effective_from <= today)
        .max_by_key(|v| v.effective_from)
        .map(|v| v.id.clone());
    let offset = q.offset.unwrap_or(0).max(0);
    let query = SearchQuery {
        version: Some(q.version.clone()).filter(|v| !v.is_empty()),
        q: Some(q.q.clone()),
        kind: Some(q.kind.clone()),
        category: Some(q.category.clone()),
    };
    let (current, items) = match catalogue::search(&state.app, &p.actor, &query, sanyi_app::Page { offset, limit: PAGE }).await {
        Ok(r) => r,
        Err(e) => return p.error(e),
    };
    let link = |o: i64| {
        format!(
            "/catalogue?version={}&q={}&kind={}&category={}&offset={o}",
            url_encode(&q.version),
            url_encode(&q.q),
            url_encode(&q.kind),
            url_encode(&q.category)
        )
    };
    let pager = Pager::new(items.total, offset, PAGE, link);
    let status = if errs.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let row_errors = errs
        .iter()
        .filter(|e| e.field != "version" && e.field != "effective_from")
        .map(|e| p.t.pick(&e.message_zh, &e.message).to_owned())
        .collect();
    let errors = super::super::field_messages(&p.t, &errs);
    (
        status,
        CataloguePage {
            nav: p.nav(),
            can_import: p.actor.role.can(Permission::CatalogueManage) && p.actor.is_pool_level(),
            t: p.t,
            versions,
            current,
            in_force,
            params: q,
            items: items.items,
            pager,
            form,
            errors,
            row_errors,
        },
    )
        .into_response()
}

/// The import form: label, first day in force and the file.
async fn read_form(mut multipart: Multipart) -> Result<(ImportForm, Vec<u8>), FieldError> {
    let mut form = ImportForm::default();
    let mut bytes = Vec::new();
    let too_large = || field_error("file", "The file cannot be read or is too large", "文件无法读取或超过大小限制");
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return Err(too_large()),
        };
        match field.name() {
            Some("file") => {
                form.file_name = field.file_name().unwrap_or_default().to_owned();
                bytes = field.bytes().await.map_err(|_| too_large())?.to_vec();
            }
            Some("version") => form.version = field.text().await.unwrap_or_default(),
            Some("effective_from") => form.effective_from = field.text().await.unwrap_or_default(),
            _ => {}
        }
    }
    Ok((form, bytes))
}

async fn import(State(state): State<AppState>, p: PageActor, headers: HeaderMap, multipart: Multipart) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    if let Err(e) = p.actor.require_pool_level(Permission::CatalogueManage) {
        return p.error(e);
    }
    let (form, bytes) = match read_form(multipart).await {
        Ok(x) => x,
        Err(e) => return render(&state, p, SearchParams::default(), ImportForm::default(), vec![e]).await,
    };
    let mut errs = Vec::new();
    let effective_from = super::date_field("effective_from", &form.effective_from, &mut errs);
    if bytes.is_empty() {
        errs.push(field_error(
            "file",
            "Choose the catalogue file (CSV or Excel)",
            "请选择目录文件（CSV 或 Excel）",
        ));
    }
    let Some(effective_from) = effective_from.filter(|_| errs.is_empty()) else {
        return render(&state, p, SearchParams::default(), form, errs).await;
    };
    let input = ImportInput {
        version: form.version.clone(),
        effective_from,
        file_name: if form.file_name.is_empty() {
            "catalogue.csv".into()
        } else {
            form.file_name.clone()
        },
        illustrative: false,
    };
    match catalogue::import(&state.app, &p.actor, &input, &bytes).await {
        Ok(v) => Redirect::to(&format!("/catalogue?version={}&imported={}", v.id, v.item_count)).into_response(),
        Err(ServiceError::Validation(errs) | ServiceError::Conflict(errs)) => render(&state, p, SearchParams::default(), form, errs).await,
        Err(e) => p.error(e),
    }
}
