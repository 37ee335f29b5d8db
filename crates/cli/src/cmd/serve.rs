//! `sanyi serve`: serve the web pages and the JSON API, optionally seeding the demo prefecture first.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use sanyi_app::{App, demo};
use sanyi_server::{Application, Settings};
use sanyi_sim::DemoParams;

use super::common::{DbArgs, explain, init_logs, open, redact, runtime};

/// `sanyi serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Address and port to listen on.
    #[arg(long, env = "SANYI_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Seed the demo prefecture first when the database is empty.
    #[arg(long, env = "SANYI_DEMO")]
    demo: bool,
    /// Residents of the demo (with --demo).
    #[arg(long, default_value_t = 20_000)]
    residents: usize,
    /// Seed of the demo (with --demo).
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// CHS-DRG scheme directory for the demo pool (with --demo; default: a small illustrative scheme).
    #[arg(long)]
    drg_scheme: Option<PathBuf>,
    /// Mark the session cookie Secure (serve behind HTTPS).
    #[arg(long, env = "SANYI_SECURE_COOKIES")]
    secure_cookies: bool,
    /// STUN/TURN servers for video calls, as a JSON array of RTCIceServer objects.
    #[arg(long, env = "SANYI_ICE_SERVERS", default_value = "[]", value_parser = parse_ice_servers)]
    ice_servers: String,
}

/// Checks `--ice-servers`: a JSON array of objects with `urls`.
fn parse_ice_servers(s: &str) -> Result<String, String> {
    let v: serde_json::Value = serde_json::from_str(s).map_err(|e| format!("not JSON: {e}"))?;
    let ok = v.as_array().is_some_and(|a| a.iter().all(|x| x.get("urls").is_some()));
    if ok {
        Ok(v.to_string())
    } else {
        Err("expected a JSON array of objects with \"urls\", e.g. [{\"urls\":\"stun:stun.example:3478\"}]".into())
    }
}

/// `sanyi serve`.
pub fn run(a: ServeArgs) -> anyhow::Result<()> {
    init_logs();
    runtime()?.block_on(async move {
        let started = Instant::now();
        let db = open(&a.db.database).await?;
        let app = App::new(db.clone()).with_files(a.db.files_dir());
        let mut logins = None;
        let mut insurance_year = None;
        if a.demo && !demo::is_seeded(&app).await.map_err(explain)? {
            let params = DemoParams {
                residents: a.residents,
                seed: a.seed,
                ..DemoParams::default()
            };
            let drg = a
                .drg_scheme
                .as_deref()
                .map(sanyi_app::drg::read_scheme_dir)
                .transpose()
                .map_err(explain)?;
            let summary = demo::seed_registry(&app, &params, drg, &|_, _| {}).await.map_err(explain)?;
            eprintln!(
                "seeded the demo prefecture: {} counties, {} institutions, {} residents",
                summary.counties, summary.institutions, summary.residents
            );
            logins = Some(summary.logins);
            insurance_year = Some(params);
        } else if a.demo {
            let w = sanyi_sim::generate(&DemoParams {
                residents: 0,
                seed: a.seed,
                ..DemoParams::default()
            });
            logins = Some(demo::logins(&w));
        }
        // The demo's readings (synthetic images and ECGs through the services) and its insurance
        // year (claims of every enrolled resident) are seeded while the server already answers;
        // the reading and insurance pages fill in when the log says so.
        if let Some(params) = insurance_year {
            let app = app.clone();
            tokio::spawn(async move {
                let t = Instant::now();
                match demo::seed_readings(&app).await {
                    Ok(r) => eprintln!(
                        "seeded the demo readings: {} readings, {} DICOM images, {} ECGs in {:.1} s",
                        r.readings,
                        r.images,
                        r.ecgs,
                        t.elapsed().as_secs_f64()
                    ),
                    Err(e) => eprintln!("the demo readings could not be seeded: {e}"),
                }
                let t = Instant::now();
                match demo::seed_insurance_year(&app, &params).await {
                    Ok(y) => eprintln!(
                        "seeded the demo insurance year {}: {} outpatient and {} inpatient claims in {:.1} s",
                        y.year,
                        y.outpatient,
                        y.inpatient,
                        t.elapsed().as_secs_f64()
                    ),
                    Err(e) => eprintln!("the demo insurance year could not be seeded: {e}"),
                }
                // Settled as an officer would, so that the insurance pages show the year.
                let t = Instant::now();
                match demo::settle_insurance_year(&app, &params).await {
                    Ok(Some(r)) => eprintln!(
                        "settled the demo insurance year {} (report {}) in {:.1} s",
                        r.year,
                        &r.digest[..12.min(r.digest.len())],
                        t.elapsed().as_secs_f64()
                    ),
                    Ok(None) => {}
                    Err(e) => eprintln!("the demo insurance year could not be settled: {e}"),
                }
            });
        }
        let server = Application::build(
            Settings {
                listen: a.listen,
                secure_cookies: a.secure_cookies,
                ice_servers: a.ice_servers.clone(),
            },
            app,
        )
        .await?;
        let addr = SocketAddr::new(a.listen.ip(), server.port());
        eprintln!(
            "sanyi listening on http://{addr}/  (database {}, ready in {:.1} s)",
            redact(&a.db.database),
            started.elapsed().as_secs_f64()
        );
        if let Some(logins) = logins {
            eprintln!("demo logins (password: {}):", demo::DEMO_PASSWORD);
            for (user, role, name, note) in logins {
                eprintln!("  {user:<16} {role:<20} {name} — {note}");
            }
        }
        server.run_until_stopped().await
    })
}
