//! sanyi's HTTP server: the only crate that speaks HTTP.
//!
//! - [`Application`] binds a listener from [`Settings`], builds the router and runs until stopped.
//! - [`api`]: the JSON API under `/api/v1`, documented by OpenAPI generated from the handlers
//!   (`/api/openapi.json`); errors are RFC 9457 problem+json.
//! - [`pages`]: server-rendered pages (askama), Simplified Chinese first with English available.
//! - [`auth`]: credentials → [`sanyi_app::Actor`] (bearer token or session cookie), with a short
//!   in-memory cache.
//! - [`error`]: the one place where service errors become HTTP responses.

pub mod api;
pub mod auth;
pub mod error;
pub mod guard;
pub mod i18n;
pub mod pages;
pub mod request_id;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;

use sanyi_app::App;

/// Server settings (validated by the CLI before they get here).
#[derive(Clone, Debug)]
pub struct Settings {
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    pub listen: SocketAddr,
    /// Mark session cookies `Secure` (when served behind HTTPS).
    pub secure_cookies: bool,
    /// ICE servers handed to the call page, as the JSON array `RTCPeerConnection` takes
    /// (e.g. `[{"urls":"turn:turn.example:3478","username":"u","credential":"p"}]`).
    pub ice_servers: String,
}

/// State shared by every handler.
#[derive(Clone)]
pub struct AppState {
    /// Application services.
    pub app: App,
    /// Settings.
    pub settings: Arc<Settings>,
    /// Video call rooms.
    pub calls: Arc<pages::call::CallHub>,
}

/// Largest request body accepted outside the import endpoint.
pub const BODY_LIMIT: usize = 1024 * 1024;
/// Largest import body.
pub const IMPORT_BODY_LIMIT: usize = 256 * 1024 * 1024;

/// The API's routes with their OpenAPI document.
fn api_with_document() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let (api_router, mut openapi) = api::router().split_for_parts();
    api::document::complete(&mut openapi);
    (api_router, openapi)
}

/// The OpenAPI document served at `/api/openapi.json`.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    api_with_document().1
}

/// The whole router for a state.
pub fn router(state: AppState) -> Router {
    let (api_router, openapi) = api_with_document();
    let openapi = Arc::new(openapi);
    Router::new()
        .route("/healthz", get(healthz))
        .route(
            "/api/openapi.json",
            get(move || {
                let doc = openapi.clone();
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .merge(api_router.route_layer(axum::middleware::from_fn_with_state(state.clone(), api::permissions::check)))
        .merge(pages::router())
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard::layer))
        .layer(axum::middleware::from_fn(request_id::layer))
        // Spans name the method and path only: query strings may carry ID numbers (never logged).
        .layer(tower_http::trace::TraceLayer::new_for_http().make_span_with(
            |req: &axum::http::Request<axum::body::Body>| tracing::info_span!("http", method = %req.method(), path = %req.uri().path()),
        ))
        .with_state(state)
}

async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match state.app.ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}

/// A bound, ready-to-run server.
pub struct Application {
    listener: TcpListener,
    router: Router,
    app: App,
    /// Stopped when the server is dropped (after serving, or never run).
    _jobs: BackgroundJobs,
}

/// The server's background jobs, aborted on drop so that none outlives its server (and its
/// database pool).
struct BackgroundJobs(Vec<tokio::task::JoinHandle<()>>);

impl Drop for BackgroundJobs {
    fn drop(&mut self) {
        for job in &self.0 {
            job.abort();
        }
    }
}

impl Application {
    /// Binds the listener and assembles the router over a migrated database.
    ///
    /// # Errors
    /// When the address cannot be bound.
    pub async fn build(settings: Settings, app: App) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(settings.listen).await?;
        let state = AppState {
            app: app.clone(),
            settings: Arc::new(settings),
            calls: Arc::default(),
        };
        let jobs = spawn_background_jobs(&app);
        Ok(Application {
            listener,
            router: router(state),
            app,
            _jobs: jobs,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// Serves until `shutdown` resolves, then drains connections and flushes the audit log.
    ///
    /// # Errors
    /// On a server error.
    pub async fn run_until(self, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        axum::serve(self.listener, self.router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown)
            .await?;
        self.app.audit.flush().await;
        Ok(())
    }

    /// Serves until Ctrl-C or SIGTERM.
    ///
    /// # Errors
    /// On a server error.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }
}

/// Jobs of a running server: workflow timers every minute (referral SLA, validity and escalation;
/// consultation deadlines) and the hourly purge of expired sessions.
fn spawn_background_jobs(app: &App) -> BackgroundJobs {
    let timers = app.clone();
    let workflow = tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            every.tick().await;
            let now = chrono::Utc::now();
            match sanyi_app::referrals::tick(&timers, now).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(referrals.changed = n, "referral timers fired"),
                Err(e) => tracing::warn!(error = %e, "referral timers failed"),
            }
            match sanyi_app::consultations::tick(&timers, now).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(consultations.changed = n, "consultation timers fired"),
                Err(e) => tracing::warn!(error = %e, "consultation timers failed"),
            }
        }
    });
    let app = app.clone();
    let sessions = tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            if let Err(e) = sanyi_app::auth::purge_expired_sessions(&app).await {
                tracing::warn!(error = %e, "purging expired sessions failed");
            }
        }
    });
    BackgroundJobs(vec![workflow, sessions])
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
