//! `sanyi bench …`: the benchmark commands of docs/PERFORMANCE.md (one file each), and what they
//! share: latency statistics and the real server on a loopback port.

mod claims;
mod imaging;
mod procurement;
mod recognition;
mod referrals;
mod residents_csv;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Subcommand;

use sanyi_app::App;
use sanyi_server::{Application, Settings};

use super::common::{init_logs, runtime};

/// `sanyi bench ...`.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Write a CSV of synthetic residents living in the demo prefecture's villages (input of the
    /// import and lookup benchmarks; see docs/PERFORMANCE.md).
    ResidentsCsv {
        /// Number of residents.
        #[arg(long, default_value_t = 1_000_000)]
        count: usize,
        /// Seed (use another seed than the demo database's to avoid collisions).
        #[arg(long, default_value_t = 99)]
        seed: u64,
        /// Output file (`-` for standard output).
        #[arg(long, default_value = "-")]
        out: PathBuf,
    },
    /// Referral benchmarks on a fresh database: inbox first page and a year of indicators over
    /// `--count` referrals, then `--concurrent` transitions racing over HTTP, checked for lost updates.
    Referrals {
        /// An empty database to use (SQLite path or `postgres://` URL); default: a temporary SQLite file.
        #[arg(long)]
        database: Option<String>,
        /// Referrals to seed.
        #[arg(long, default_value_t = 100_000)]
        count: usize,
        /// Concurrent transitions (accept and reject racing in pairs).
        #[arg(long, default_value_t = 1_000)]
        concurrent: usize,
    },
    /// Remote-reading benchmarks on a fresh database: `--images` DR instances ingested over HTTP by
    /// `--concurrency` clients (checked for lost or duplicated instances), then the centre's
    /// worklist with `--open` open studies.
    Imaging {
        /// An empty database to use (SQLite path or `postgres://` URL); default: a temporary SQLite file.
        #[arg(long)]
        database: Option<String>,
        /// DR instances to ingest.
        #[arg(long, default_value_t = 1_000)]
        images: usize,
        /// Clients sending in parallel.
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
        /// Open studies in the worklist.
        #[arg(long, default_value_t = 10_000)]
        open: usize,
    },
    /// The order-time recognition check on a fresh database seeded with `--results` results:
    /// latency of the check over many random residents and items.
    Recognition {
        /// An empty database to use (SQLite path or `postgres://` URL); default: a temporary SQLite file.
        #[arg(long)]
        database: Option<String>,
        /// Results to seed.
        #[arg(long, default_value_t = 1_000_000)]
        results: usize,
        /// Residents of the demo prefecture.
        #[arg(long, default_value_t = 20_000)]
        residents: usize,
        /// Checks to time.
        #[arg(long, default_value_t = 2_000)]
        checks: usize,
    },
    /// The procurement report of a prefecture-year over `--lines` dispensed drug lines added to
    /// the demo year, then dispensing prescriptions over HTTP at `--concurrency` clients.
    Procurement {
        /// An empty database to use (SQLite path or `postgres://` URL); default: a temporary SQLite file.
        #[arg(long)]
        database: Option<String>,
        /// Residents of the demo prefecture.
        #[arg(long, default_value_t = 20_000)]
        residents: usize,
        /// Dispensed drug lines to add.
        #[arg(long, default_value_t = 20_000_000)]
        lines: usize,
        /// Prescriptions dispensed over HTTP.
        #[arg(long, default_value_t = 2_000)]
        dispenses: usize,
        /// Clients in parallel.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
    },
    /// One-stop settlement of single claims over HTTP against the real server on a fresh demo
    /// database: throughput and latency (p50/p99).
    Claims {
        /// Claims to settle.
        #[arg(long, default_value_t = 5_000)]
        count: usize,
        /// Clients in parallel.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// Residents of the demo database.
        #[arg(long, default_value_t = 20_000)]
        residents: usize,
    },
}

/// `sanyi bench`.
pub fn run(c: BenchCommand) -> anyhow::Result<()> {
    match c {
        BenchCommand::ResidentsCsv { count, seed, out } => residents_csv::run(count, seed, out),
        BenchCommand::Claims {
            count: n,
            concurrency,
            residents,
        } => {
            init_logs();
            runtime()?.block_on(claims::run(n, concurrency, residents))
        }
        BenchCommand::Imaging {
            database,
            images,
            concurrency,
            open,
        } => {
            init_logs();
            runtime()?.block_on(imaging::run(imaging::Params {
                database,
                images,
                concurrency,
                open,
            }))
        }
        BenchCommand::Recognition {
            database,
            results,
            residents,
            checks,
        } => {
            init_logs();
            runtime()?.block_on(recognition::run(recognition::Params {
                database,
                results,
                residents,
                checks,
            }))
        }
        BenchCommand::Procurement {
            database,
            residents,
            lines,
            dispenses,
            concurrency,
        } => {
            init_logs();
            runtime()?.block_on(procurement::run(procurement::Params {
                database,
                residents,
                lines,
                dispenses,
                concurrency,
            }))
        }
        BenchCommand::Referrals {
            database,
            count,
            concurrent,
        } => {
            init_logs();
            runtime()?.block_on(referrals::run(referrals::Params {
                database,
                count,
                concurrent,
            }))
        }
    }
}

/// Latency figures of a set of durations: min, median, p99, max.
pub(crate) fn stats(mut d: Vec<Duration>) -> String {
    d.sort();
    let ms = |x: Duration| x.as_secs_f64() * 1e3;
    let at = |q: f64| d[((d.len() as f64 - 1.0) * q).round() as usize];
    format!(
        "min {:.1} ms, median {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(d[0]),
        ms(at(0.5)),
        ms(at(0.99)),
        ms(d[d.len() - 1])
    )
}

/// The real server on an ephemeral loopback port, for the HTTP parts of the benchmarks.
pub(crate) struct LiveServer {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    stop: tokio::sync::oneshot::Sender<()>,
    serving: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl LiveServer {
    /// Starts the server over `app`.
    pub(crate) async fn start(app: &App) -> anyhow::Result<LiveServer> {
        let settings = Settings {
            listen: "127.0.0.1:0".parse()?,
            secure_cookies: false,
            ice_servers: "[]".into(),
        };
        let server = Application::build(settings, app.clone()).await?;
        let base = format!("http://127.0.0.1:{}", server.port());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(server.run_until(async {
            let _ = stopped.await;
        }));
        Ok(LiveServer { base, stop, serving })
    }

    /// A bearer token of a demo user.
    pub(crate) async fn token(&self, client: &reqwest::Client, username: &str) -> anyhow::Result<String> {
        let login: serde_json::Value = client
            .post(format!("{}/api/v1/auth/token", self.base))
            .json(&serde_json::json!({"username": username, "password": sanyi_app::demo::DEMO_PASSWORD}))
            .send()
            .await?
            .json()
            .await?;
        Ok(login["access_token"].as_str().context("no token")?.to_owned())
    }

    /// Stops the server and waits for it (the audit log is flushed).
    pub(crate) async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.serving.await?
    }
}
