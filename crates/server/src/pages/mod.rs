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
pub mod indicators;
pub mod insurance;
mod readings;
mod recognition;
mod referrals;
mod residents;

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
use sanyi_app::{Actor, Permission, ServiceError};

use crate::AppState;
use crate::auth::{ClientIp, SESSION_COOKIE, actor_of, session_cookie};
use crate::i18n::{Lang, Tr};

/// Page routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_form).post(login))
        .route("/logout", axum::routing::post(logout))
        .route("/lang/{lang}", get(set_lang))
        .merge(residents::router())
        .merge(drg::router())
        .merge(call::router())
        .merge(consultations::router())
        .merge(indicators::router())
        .merge(insurance::router())
        .merge(referrals::router())
        .merge(readings::router())
        .merge(recognition::router())
        .merge(attachments::router())
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

/// Navigation bar data for the base template.
pub struct Nav {
    /// Display name.
    pub user: String,
    /// Role label.
    pub role: String,
    /// Show the audit link.
    pub audit: bool,
    /// Show the register link.
    pub register: bool,
    /// Show the insurance link.
    pub insurance: bool,
}

impl Nav {
    /// Navigation for an actor.
    pub fn of(a: &Actor, t: &Tr) -> Nav {
        Nav {
            user: a.display_name.clone(),
            role: t.pick(a.role.label_zh(), a.role.label_en()).to_owned(),
            audit: a.role.can(Permission::AuditRead),
            register: a.role.can(Permission::ResidentWrite),
            insurance: a.role.can(Permission::InsuranceRead) || a.role.can(Permission::ClaimSettle),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage {
    t: Tr,
    nav: Option<Nav>,
    title: String,
    message: String,
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

/// Renders a service error as a page.
pub fn page_error(t: Tr, e: ServiceError) -> Response {
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
            nav: None,
            title: status.to_string(),
            message,
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
    notifications: Vec<sanyi_app::notifications::Notification>,
    counties: Vec<CountyBlock>,
}

async fn home(State(state): State<AppState>, p: PageActor) -> Response {
    let tree = match registry::tree(&state.app, &p.actor).await {
        Ok(t) => t,
        Err(e) => return page_error(p.t, e),
    };
    let counts = match sanyi_app::residents::count_by_county(&state.app, &p.actor).await {
        Ok(c) => c,
        Err(e) => return page_error(p.t, e),
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
    let notifications = match sanyi_app::notifications::for_actor(&state.app, &p.actor, chrono::Utc::now()).await {
        Ok(n) => n,
        Err(e) => return page_error(p.t, e),
    };
    HomePage {
        nav: Some(Nav::of(&p.actor, &p.t)),
        t: p.t,
        notifications,
        counties,
    }
    .into_response()
}
