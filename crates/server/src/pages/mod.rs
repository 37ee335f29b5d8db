//! Server-rendered pages (askama templates in `templates/`), no JavaScript build step.
//!
//! Pages authenticate with the session cookie; an anonymous visitor is redirected to the login
//! page. Forms post back to the same URL; a rejected form is re-rendered with a message under
//! each failing field (422). POSTs from another origin are refused.

mod attachments;
pub mod call;
mod charts;
mod consultations;
mod drg;
pub mod eligibility_reviews;
pub mod indicators;
pub mod insurance;
pub mod medicines;
mod readings;
mod recognition;
mod referrals;
mod residents;
pub mod settlement_runs;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use sanyi_app::auth::{self, TokenKind};
use sanyi_app::registry::{self, InstitutionNode};
use sanyi_app::{Actor, ServiceError};

use crate::AppState;
use crate::auth::{ClientIp, SESSION_COOKIE, actor_of, session_cookie};
use crate::i18n::{Lang, Tr};

/// Page routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/institutions", get(institutions))
        .route("/ui.js", get(ui_js))
        .route("/login", get(login_form).post(login))
        .route("/logout", axum::routing::post(logout))
        .route("/lang/{lang}", get(set_lang))
        .merge(residents::router())
        .merge(drg::router())
        .merge(call::router())
        .merge(consultations::router())
        .merge(indicators::router())
        .merge(insurance::router())
        .merge(settlement_runs::router())
        .merge(eligibility_reviews::router())
        .merge(referrals::router())
        .merge(readings::router())
        .merge(recognition::router())
        .merge(attachments::router())
        .merge(medicines::router())
}

/// The logged-in user of a page, with the interface language.
pub struct PageActor {
    /// Actor.
    pub actor: Actor,
    /// Translator.
    pub t: Tr,
}

/// The interface language of a request (for anonymous pages).
pub struct PageLang(pub Tr);

impl<S: Send + Sync> FromRequestParts<S> for PageLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PageLang(Tr { lang: Lang::of(parts) }))
    }
}

impl FromRequestParts<AppState> for PageActor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let t = Tr { lang: Lang::of(parts) };
        match actor_of(parts, state).await {
            Ok(actor) => Ok(PageActor { actor, t }),
            Err(ServiceError::Unauthenticated) => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str().to_owned())
                    .unwrap_or_else(|| "/".into());
                Err(Redirect::to(&format!("/login?next={}", url_encode(&next))).into_response())
            }
            Err(e) => Err(page_error(t, e)),
        }
    }
}

/// Minimal percent-encoding of a path for the `next` parameter.
fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One link of the navigation bar.
pub struct NavLink {
    /// Target page.
    pub href: &'static str,
    /// Label in the interface language.
    pub label: &'static str,
}

/// Navigation bar data for the base template: only the modules the user may open.
pub struct Nav {
    /// Display name.
    pub user: String,
    /// Role label.
    pub role: String,
    /// The modules the user may open.
    pub links: Vec<NavLink>,
}

impl Nav {
    /// Navigation for an actor.
    pub fn of(a: &Actor, t: &Tr) -> Nav {
        Nav {
            user: a.display_name.clone(),
            role: t.pick(a.role.label_zh(), a.role.label_en()).to_owned(),
            links: sanyi_app::workbench::modules(a)
                .into_iter()
                .filter(|m| *m != sanyi_app::workbench::Module::Register)
                .map(|m| NavLink {
                    href: m.href(),
                    label: t.pick(m.label_zh(), m.label_en()),
                })
                .collect(),
        }
    }
}

impl PageActor {
    /// Renders a service error as a page that keeps the navigation.
    pub fn error(self, e: ServiceError) -> Response {
        let nav = Nav::of(&self.actor, &self.t);
        error_page(self.t, Some(nav), e)
    }

    /// The navigation bar of this user.
    pub fn nav(&self) -> Option<Nav> {
        Some(Nav::of(&self.actor, &self.t))
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage {
    t: Tr,
    nav: Option<Nav>,
    title: String,
    message: String,
    /// What the user can do next.
    hint: &'static str,
}

/// Times on pages are shown in the pool's time zone, Beijing time (UTC+8, no daylight saving), and
/// entered in it; they are stored in UTC.
pub trait BeijingTime {
    /// The instant in Beijing time.
    fn bj(&self) -> chrono::DateTime<chrono::FixedOffset>;
}

impl BeijingTime for chrono::DateTime<chrono::Utc> {
    fn bj(&self) -> chrono::DateTime<chrono::FixedOffset> {
        sanyi_domain::time::to_beijing(*self)
    }
}

/// Renders a service error as a page (for anonymous pages; a logged-in user's page uses
/// [`PageActor::error`], which keeps the navigation).
pub fn page_error(t: Tr, e: ServiceError) -> Response {
    error_page(t, None, e)
}

fn error_page(t: Tr, nav: Option<Nav>, e: ServiceError) -> Response {
    let (status, key) = match &e {
        ServiceError::NotFound => (StatusCode::NOT_FOUND, "error.not_found"),
        ServiceError::Forbidden { .. } => (StatusCode::FORBIDDEN, "error.forbidden"),
        ServiceError::PoolLevelOnly { .. } => (StatusCode::FORBIDDEN, "error.pool_level"),
        ServiceError::TooManyAttempts { .. } => (StatusCode::TOO_MANY_REQUESTS, "error.too_many"),
        ServiceError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "error.unavailable"),
        ServiceError::Unauthenticated => return Redirect::to("/login").into_response(),
        ServiceError::Internal(err) => {
            tracing::error!(error = %err, "page failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "error.internal")
        }
        ServiceError::Validation(_) => (StatusCode::UNPROCESSABLE_ENTITY, "error.bad_request"),
        ServiceError::Conflict(_) => (StatusCode::CONFLICT, "error.bad_request"),
        ServiceError::VersionConflict { .. } => (StatusCode::CONFLICT, "error.stale"),
        _ => (StatusCode::BAD_REQUEST, "error.bad_request"),
    };
    let hint = match status {
        StatusCode::NOT_FOUND => t.t("error.hint.not_found"),
        StatusCode::FORBIDDEN => t.t("error.hint.forbidden"),
        StatusCode::CONFLICT => t.t("error.hint.conflict"),
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => t.t("error.hint.bad_request"),
        _ => t.t("error.hint.retry"),
    };
    let title = t.t(match status {
        StatusCode::NOT_FOUND => "error.title.not_found",
        StatusCode::FORBIDDEN => "error.title.forbidden",
        StatusCode::CONFLICT => "error.title.conflict",
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => "error.title.bad_request",
        StatusCode::TOO_MANY_REQUESTS => "error.title.too_many",
        _ => "error.title.failed",
    });
    let message = match &e {
        ServiceError::Validation(errs) | ServiceError::Conflict(errs) => errs
            .iter()
            .map(|f| t.pick(&f.message_zh, &f.message).to_owned())
            .collect::<Vec<_>>()
            .join("；"),
        _ => t.t(key).to_owned(),
    };
    (
        status,
        ErrorPage {
            t,
            nav,
            title: title.to_owned(),
            message,
            hint,
        },
    )
        .into_response()
}

/// Refuses a form POST whose `Origin` names another host (cross-site request forgery).
pub fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    origin == "null" && host.is_empty() || origin.split_once("://").is_some_and(|(_, h)| h == host)
}

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginPage {
    t: Tr,
    nav: Option<Nav>,
    next: String,
    username: String,
    failed: bool,
    retry_after: Option<u64>,
}

#[derive(Deserialize)]
struct NextParam {
    next: Option<String>,
}

fn safe_next(next: Option<String>) -> String {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//"))
        .unwrap_or_else(|| "/".into())
}

async fn login_form(PageLang(t): PageLang, Query(q): Query<NextParam>) -> impl IntoResponse {
    LoginPage {
        t,
        nav: None,
        next: safe_next(q.next),
        username: String::new(),
        failed: false,
        retry_after: None,
    }
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    PageLang(t): PageLang,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    match auth::login(&state.app, &f.username, &f.password, TokenKind::Cookie, &ip).await {
        Ok((token, _)) => {
            let secure = if state.settings.secure_cookies { "; Secure" } else { "" };
            let cookie = format!(
                "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
                TokenKind::Cookie.lifetime().num_seconds()
            );
            let mut res = Redirect::to(&safe_next(f.next)).into_response();
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                res.headers_mut().insert(header::SET_COOKIE, v);
            }
            res
        }
        Err(ServiceError::Unauthenticated) => (
            StatusCode::UNAUTHORIZED,
            LoginPage {
                t,
                nav: None,
                next: safe_next(f.next),
                username: f.username,
                failed: true,
                retry_after: None,
            },
        )
            .into_response(),
        Err(ServiceError::TooManyAttempts { retry_after_secs }) => {
            let mut res = (
                StatusCode::TOO_MANY_REQUESTS,
                LoginPage {
                    t,
                    nav: None,
                    next: safe_next(f.next),
                    username: f.username,
                    failed: false,
                    retry_after: Some(retry_after_secs),
                },
            )
                .into_response();
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            res
        }
        Err(e) => page_error(t, e),
    }
}

async fn logout(State(state): State<AppState>, headers: HeaderMap, parts: Parts) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    if let Some(token) = session_cookie(&parts) {
        let _ = auth::logout(&state.app, &token).await;
    }
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("sanyi_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    res
}

async fn set_lang(axum::extract::Path(lang): axum::extract::Path<String>, headers: HeaderMap) -> Response {
    let value = if lang == "en" {
        "lang=en; Path=/; SameSite=Lax; Max-Age=31536000"
    } else {
        "lang=zh; Path=/; SameSite=Lax; Max-Age=31536000"
    };
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| {
            r.split_once("://")
                .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_owned()))
        })
        .unwrap_or_else(|| "/".into());
    let mut res = Redirect::to(&back).into_response();
    res.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_static(value));
    res
}

/// One line of the flattened institution tree.
pub struct TreeRow {
    /// Nesting depth.
    pub depth: usize,
    /// The institution.
    pub node: InstitutionNode,
}

fn flatten(nodes: &[InstitutionNode], depth: usize, out: &mut Vec<TreeRow>) {
    for n in nodes {
        let mut shallow = n.clone();
        shallow.children = Vec::new();
        out.push(TreeRow { depth, node: shallow });
        flatten(&n.children, depth + 1, out);
    }
}

/// A community as shown on the home page.
pub struct CommunityBlock {
    /// Name.
    pub name: String,
    /// Number of members.
    pub member_count: usize,
    /// Rows.
    pub rows: Vec<TreeRow>,
}

/// A county as shown on the home page.
pub struct CountyBlock {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Residents.
    pub residents: i64,
    /// Communities.
    pub communities: Vec<CommunityBlock>,
    /// Unaffiliated institutions.
    pub unaffiliated: Vec<TreeRow>,
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct HomePage {
    t: Tr,
    nav: Option<Nav>,
    user: String,
    role: &'static str,
    today: String,
    wb: sanyi_app::workbench::Workbench,
}

/// The workbench (工作台): the user's due work, quick actions and desk.
async fn home(State(state): State<AppState>, p: PageActor) -> Response {
    let wb = match sanyi_app::workbench::workbench(&state.app, &p.actor, chrono::Utc::now()).await {
        Ok(w) => w,
        Err(e) => return p.error(e),
    };
    let today = sanyi_domain::time::today();
    HomePage {
        nav: p.nav(),
        user: p.actor.display_name.clone(),
        role: p.t.pick(p.actor.role.label_zh(), p.actor.role.label_en()),
        today: if p.t.is_en() {
            today.format("%-d %B %Y").to_string()
        } else {
            today.format("%Y年%-m月%-d日").to_string()
        },
        t: p.t,
        wb,
    }
    .into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "institutions.html")]
struct InstitutionsPage {
    t: Tr,
    nav: Option<Nav>,
    counties: Vec<CountyBlock>,
}

/// The institution tree of the communities in the user's area (机构).
async fn institutions(State(state): State<AppState>, p: PageActor) -> Response {
    let tree = match registry::tree(&state.app, &p.actor).await {
        Ok(t) => t,
        Err(e) => return p.error(e),
    };
    let counts = match sanyi_app::residents::count_by_county(&state.app, &p.actor).await {
        Ok(c) => c,
        Err(e) => return p.error(e),
    };
    let counties = tree
        .into_iter()
        .map(|c| {
            let residents = counts.iter().find(|(k, _)| *k == c.division_code).map_or(0, |(_, n)| *n);
            CountyBlock {
                residents,
                communities: c
                    .communities
                    .iter()
                    .map(|m| {
                        let mut rows = Vec::new();
                        flatten(&m.members, 0, &mut rows);
                        CommunityBlock {
                            name: m.name.clone(),
                            member_count: m.member_count,
                            rows,
                        }
                    })
                    .collect(),
                unaffiliated: {
                    let mut rows = Vec::new();
                    flatten(&c.unaffiliated, 0, &mut rows);
                    rows
                },
                code: c.division_code,
                name: c.name,
            }
        })
        .collect();
    InstitutionsPage {
        nav: p.nav(),
        t: p.t,
        counties,
    }
    .into_response()
}

/// One entry of a numbered pager.
pub struct PagerLink {
    /// Page number, from 1 (0 marks a gap "…").
    pub number: i64,
    /// Link, none for the current page and gaps.
    pub href: Option<String>,
}

/// Numbered paging with the total (共 N 条 · 1 2 3 … 9).
pub struct Pager {
    /// Rows over all pages.
    pub total: i64,
    /// Previous page.
    pub prev: Option<String>,
    /// Next page.
    pub next: Option<String>,
    /// Numbered links around the current page, the first and the last.
    pub links: Vec<PagerLink>,
}

impl Pager {
    /// A pager over `total` rows of `limit` each at `offset`; `link(offset)` makes a page's URL.
    pub fn new(total: i64, offset: i64, limit: i64, link: impl Fn(i64) -> String) -> Pager {
        let limit = limit.max(1);
        let pages = (total + limit - 1) / limit;
        let current = offset / limit + 1;
        let mut links = Vec::new();
        let mut last_shown = 0;
        for n in 1..=pages {
            if n == 1 || n == pages || (n - current).abs() <= 2 {
                if n > last_shown + 1 {
                    links.push(PagerLink { number: 0, href: None });
                }
                links.push(PagerLink {
                    number: n,
                    href: (n != current).then(|| link((n - 1) * limit)),
                });
                last_shown = n;
            }
        }
        Pager {
            total,
            prev: (offset > 0).then(|| link((offset - limit).max(0))),
            next: (offset + limit < total).then(|| link(offset + limit)),
            links,
        }
    }
}

/// Field errors as the forms show them under each field: field → message in the page's language
/// (several messages for one field joined). A field the form does not show (`resident_id`) is
/// also listed under `_form`.
pub fn field_messages(t: &Tr, errs: &[sanyi_app::FieldError]) -> std::collections::HashMap<String, String> {
    let mut out: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for e in errs {
        let msg = t.pick(&e.message_zh, &e.message).to_owned();
        // `charges[2].code` is shown under the `charges` field as well.
        let root = e.field.split(['[', '.']).next().unwrap_or(&e.field).to_owned();
        let mut keys = vec![e.field.clone(), "_form".to_owned()];
        if root != e.field {
            keys.push(root);
        }
        for key in keys {
            out.entry(key)
                .and_modify(|m| {
                    m.push('；');
                    m.push_str(&msg);
                })
                .or_insert_with(|| msg.clone());
        }
    }
    out
}

/// What a form page shows besides its fields, when first shown and when it comes back with
/// errors: the patient chosen (by name and masked ID number), the status, and the messages under
/// each field.
pub struct FormState {
    /// The resident chosen for the form, by name and masked ID number (empty: none yet).
    pub resident: String,
    /// 200, or 422 when the form comes back with errors.
    pub status: StatusCode,
    /// Field → message in the page's language.
    pub errors: std::collections::HashMap<String, String>,
}

impl FormState {
    /// The form state of a page for `resident_id` with the errors of the last submission.
    ///
    /// # Errors
    /// When the resident cannot be read (outside the area: `NotFound`).
    pub async fn of(state: &AppState, p: &PageActor, resident_id: &str, errs: &[sanyi_app::FieldError]) -> Result<FormState, ServiceError> {
        let resident = residents::picked(state, p, resident_id).await?;
        Ok(FormState {
            resident,
            status: if errs.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            },
            errors: field_messages(&p.t, errs),
        })
    }
}

/// A form page's messages under its fields.
pub trait FieldMessages {
    /// Field → message.
    fn messages(&self) -> &std::collections::HashMap<String, String>;

    /// The message under a field (empty when it has none).
    fn err(&self, field: &str) -> &str {
        self.messages().get(field).map_or("", String::as_str)
    }
}

/// The audit actions the audit page filters by.
pub fn audit_actions() -> Vec<&'static sanyi_app::labels::Label> {
    labels_of("audit_action")
}

/// The labels of one kind, as a filter's options.
pub fn labels_of(kind: &str) -> Vec<&'static sanyi_app::labels::Label> {
    sanyi_app::labels::all().filter(|l| l.kind == kind).collect()
}

/// A QR code (SVG) of a page's address on this server, printed on slips so the record can be
/// found again by scanning; empty when the text cannot be encoded.
pub fn qr_svg(path: &str) -> String {
    qrcode::QrCode::new(path.as_bytes())
        .map(|c| {
            c.render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(96, 96)
                .quiet_zone(true)
                .build()
        })
        .unwrap_or_default()
}

/// The short record number printed on slips: the last eight characters of the record's id (its
/// first ones are the creation time, shared by records made together; the audit log shortens ids
/// the same way).
pub fn record_no(id: &str) -> &str {
    id.get(id.len().saturating_sub(8)..).unwrap_or(id)
}

/// The messages of a refusal in the page's language, joined into one line for a form's notice.
pub fn refusal_text(t: &Tr, errs: &[sanyi_app::FieldError]) -> String {
    errs.iter()
        .map(|e| t.pick(&e.message_zh, &e.message).to_owned())
        .collect::<Vec<_>>()
        .join("；")
}

/// Now in Beijing time, as a print view stamps it.
pub fn printed_at() -> String {
    chrono::Utc::now().bj().format("%Y-%m-%d %H:%M").to_string()
}

/// The pages' one script (menu toggle, current link, table cells named for phones, print
/// buttons), served from the binary so the content security policy needs no inline script.
async fn ui_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/ui.js"),
    )
        .into_response()
}

/// The heading a print view carries (institution, title, record number and a QR code that finds
/// the record again).
pub struct PrintHead {
    /// What the paper is, e.g. 双向转诊单.
    pub title: String,
    /// Record number.
    pub number: String,
    /// QR code of the record's page (SVG).
    pub qr: String,
}

impl PrintHead {
    /// The heading of the record at `path` with id `id`.
    pub fn new(title: impl Into<String>, path: &str, id: &str) -> PrintHead {
        PrintHead {
            title: title.into(),
            number: record_no(id).to_owned(),
            qr: qr_svg(path),
        }
    }
}

#[cfg(test)]
mod pager_tests {
    use super::Pager;

    #[test]
    fn numbered_pages_with_gaps() {
        let p = Pager::new(341, 100, 50, |o| format!("?offset={o}"));
        let numbers: Vec<i64> = p.links.iter().map(|l| l.number).collect();
        assert_eq!(numbers, vec![1, 2, 3, 4, 5, 0, 7]);
        assert!(p.links[2].href.is_none(), "page 3 is the current one");
        assert_eq!(p.prev.as_deref(), Some("?offset=50"));
        assert_eq!(p.next.as_deref(), Some("?offset=150"));
        assert!(Pager::new(0, 0, 50, |o| o.to_string()).links.is_empty());
    }
}
