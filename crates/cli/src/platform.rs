//! The platform commands: serve, demo, migrate, import, user.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use sanyi_app::{Actor, App, Role, ServiceError, auth, demo, import};
use sanyi_server::{Application, Settings};
use sanyi_sim::DemoParams;
use sanyi_store::Db;

/// Default database: a SQLite file in the working directory.
pub const DEFAULT_DATABASE: &str = "sanyi.db";

/// Where the data lives.
#[derive(Debug, Args)]
pub struct DbArgs {
    /// SQLite file path, or a `postgres://` URL.
    #[arg(long, env = "SANYI_DATABASE", default_value = DEFAULT_DATABASE)]
    pub database: String,
    /// Directory of the file store (DICOM images, ECG files); default: `<database>.files` beside a
    /// SQLite file, `sanyi-files` in the working directory for PostgreSQL.
    #[arg(long, env = "SANYI_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
}

impl DbArgs {
    /// The file store directory.
    pub fn files_dir(&self) -> PathBuf {
        files_dir(&self.database, self.data_dir.as_deref())
    }
}

/// The file store directory of a database: the one given, else beside a SQLite file, else
/// `sanyi-files` in the working directory.
pub fn files_dir(database: &str, given: Option<&std::path::Path>) -> PathBuf {
    match given {
        Some(d) => d.to_path_buf(),
        None if database.starts_with("postgres://") || database.starts_with("postgresql://") => PathBuf::from("sanyi-files"),
        None => PathBuf::from(format!("{database}.files")),
    }
}

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

/// `sanyi demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Number of residents.
    #[arg(long, default_value_t = 20_000)]
    residents: usize,
    /// Random seed (same seed, same prefecture).
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// CHS-DRG scheme directory for the demo pool (default: a small illustrative scheme).
    #[arg(long)]
    drg_scheme: Option<PathBuf>,
    /// Share of residents aged 65 or over, in percent.
    #[arg(long, default_value_t = 13.0)]
    share_65: f64,
}

/// `sanyi import ...`.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import residents from a CSV file (header: id_number,name,village_code[,phone,address,household_no,household_role]).
    Residents {
        /// The CSV file (`-` for standard input).
        file: PathBuf,
        #[command(flatten)]
        db: DbArgs,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Import results into the cross-institution index (header: id_number or resident_id,item_code,value,reported_at[,unit,reference_range,abnormal,report_no,institution_id]).
    Results {
        /// The CSV file (`-` for standard input).
        file: PathBuf,
        #[command(flatten)]
        db: DbArgs,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `sanyi user ...`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user account.
    Add {
        /// Login name.
        username: String,
        /// Role: village_doctor, township_doctor, county_specialist, reader, nurse, insurance_officer, procurement_officer, administrator.
        #[arg(long)]
        role: String,
        /// Institution id the user works for (its service area becomes the scope).
        #[arg(long)]
        institution: Option<String>,
        /// Area scope (statistical-code prefix: 4-digit pool, 6-digit county, 9-digit township, 12-digit village) for users without an institution.
        #[arg(long)]
        scope: Option<String>,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        /// Password (read from SANYI_PASSWORD when absent).
        #[arg(long, env = "SANYI_PASSWORD", hide_env_values = true)]
        password: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List user accounts (with their login lock, if any).
    List {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Lift an account's login lock and forget its failed logins (解除锁定).
    Unlock {
        /// Login name.
        username: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Deactivate an account: its sessions and tokens stop working at once (停用账号).
    Deactivate {
        /// Login name.
        username: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Reactivate an account (启用账号).
    Activate {
        /// Login name.
        username: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

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
pub fn bench(c: BenchCommand) -> anyhow::Result<()> {
    let (count, seed, out) = match c {
        BenchCommand::ResidentsCsv { count, seed, out } => (count, seed, out),
        BenchCommand::Claims {
            count: n,
            concurrency,
            residents,
        } => {
            init_logs();
            return runtime()?.block_on(crate::bench_claims::run(n, concurrency, residents));
        }
        BenchCommand::Imaging {
            database,
            images,
            concurrency,
            open,
        } => {
            init_logs();
            return runtime()?.block_on(crate::bench_imaging::run(crate::bench_imaging::Params {
                database,
                images,
                concurrency,
                open,
            }));
        }
        BenchCommand::Recognition {
            database,
            results,
            residents,
            checks,
        } => {
            init_logs();
            return runtime()?.block_on(crate::bench_recognition::run(crate::bench_recognition::Params {
                database,
                results,
                residents,
                checks,
            }));
        }
        BenchCommand::Referrals {
            database,
            count,
            concurrent,
        } => {
            init_logs();
            return runtime()?.block_on(crate::bench_referrals::run(crate::bench_referrals::Params {
                database,
                count,
                concurrent,
            }));
        }
    };
    let w = sanyi_sim::generate(&DemoParams {
        residents: count,
        seed,
        ..DemoParams::default()
    });
    let sink: Box<dyn std::io::Write> = if out.as_os_str() == "-" {
        Box::new(std::io::stdout().lock())
    } else {
        Box::new(std::fs::File::create(&out).with_context(|| format!("cannot create {}", out.display()))?)
    };
    let mut csv = csv::Writer::from_writer(std::io::BufWriter::with_capacity(1 << 20, sink));
    csv.write_record([
        "id_number",
        "name",
        "phone",
        "village_code",
        "address",
        "household_no",
        "household_role",
    ])?;
    let households: std::collections::HashMap<&str, &str> = w.households.iter().map(|h| (h.id.as_str(), h.household_no.as_str())).collect();
    for r in &w.residents {
        let household = r.household_id.as_deref().and_then(|h| households.get(h)).copied().unwrap_or("");
        csv.write_record([
            r.id_number.as_str(),
            &r.name,
            r.phone.as_deref().unwrap_or(""),
            &r.village_code,
            &r.address,
            household,
            r.household_role.as_deref().unwrap_or(""),
        ])?;
    }
    csv.flush()?;
    Ok(())
}

pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

pub(crate) fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SANYI_LOG").unwrap_or_else(|_| "info,sqlx=warn,tower_http=warn".into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

pub(crate) async fn open(database: &str) -> anyhow::Result<Db> {
    let db = Db::connect(database)
        .await
        .with_context(|| format!("cannot open database {}", redact(database)))?;
    db.migrate().await.context("migration failed")?;
    Ok(db)
}

/// Hides a password in a database URL.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => match url[s + 3..at].split_once(':') {
            Some((user, _)) => format!("{}{}:***{}", &url[..s + 3], user, &url[at..]),
            None => url.to_owned(),
        },
        _ => url.to_owned(),
    }
}

pub(crate) fn explain(e: ServiceError) -> anyhow::Error {
    match e {
        ServiceError::Validation(errs) | ServiceError::Conflict(errs) => {
            let lines: Vec<String> = errs
                .iter()
                .map(|f| format!("{}: {} (rule {}, expected {})", f.field, f.message, f.rule, f.expected))
                .collect();
            anyhow::anyhow!(lines.join("\n"))
        }
        other => anyhow::Error::new(other),
    }
}

/// A bar of `len` steps with a message (hidden when stderr is not a terminal).
pub(crate) fn bar(len: u64, what: &str) -> ProgressBar {
    let pb = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        ProgressBar::new(len)
    } else {
        ProgressBar::hidden()
    };
    pb.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({per_sec}, {eta})").unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    pb.set_message(what.to_owned());
    pb
}

/// Readings of the demo (DR studies and ECGs in every state).
const DEMO_READINGS: usize = 40;

/// `sanyi serve`.
pub fn serve(a: ServeArgs) -> anyhow::Result<()> {
    init_logs();
    runtime()?.block_on(async move {
        let started = Instant::now();
        let db = open(&a.db.database).await?;
        let mut logins = None;
        let mut insurance_year = None;
        if a.demo && !demo::is_seeded(&db).await.map_err(explain)? {
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
            let summary = demo::seed_registry(&db, &params, drg, &|_, _| {}).await.map_err(explain)?;
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
        let app = App::new(db.clone()).with_files(a.db.files_dir());
        // The demo's readings (synthetic images and ECGs through the services) and its insurance
        // year (claims of every enrolled resident) are seeded while the server already answers;
        // the reading and insurance pages fill in when the log says so.
        if let Some(params) = insurance_year {
            let app = app.clone();
            tokio::spawn(async move {
                let t = Instant::now();
                match sanyi_app::imaging::seed_demo(&app, DEMO_READINGS).await {
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
                match demo::seed_insurance_year(&db, &params).await {
                    Ok(y) => eprintln!(
                        "seeded the demo insurance year {}: {} outpatient and {} inpatient claims in {:.1} s",
                        y.year,
                        y.outpatient,
                        y.inpatient,
                        t.elapsed().as_secs_f64()
                    ),
                    Err(e) => eprintln!("the demo insurance year could not be seeded: {e}"),
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

/// `sanyi demo`.
pub fn demo(a: DemoArgs) -> anyhow::Result<()> {
    init_logs();
    if !(0.0..=100.0).contains(&a.share_65) {
        bail!("--share-65 must be a percentage between 0 and 100, got {}", a.share_65);
    }
    let url = a.db.database.clone();
    let is_pg = url.starts_with("postgres://") || url.starts_with("postgresql://");
    if !is_pg {
        // Refresh: a demo SQLite file is recreated from scratch.
        for suffix in ["", "-wal", "-shm"] {
            let p = format!("{url}{suffix}");
            if std::path::Path::new(&p).exists() {
                std::fs::remove_file(&p).with_context(|| format!("cannot remove {p}"))?;
            }
        }
    }
    runtime()?.block_on(async move {
        let db = open(&url).await?;
        let params = DemoParams {
            residents: a.residents,
            seed: a.seed,
            share_65_bp: (a.share_65 * 100.0).round() as u32,
            ..DemoParams::default()
        };
        let pb = bar(a.residents as u64, "residents");
        let started = Instant::now();
        let drg = a
            .drg_scheme
            .as_deref()
            .map(sanyi_app::drg::read_scheme_dir)
            .transpose()
            .map_err(explain)?;
        let summary = demo::seed(&db, &params, drg, &|_, n| pb.set_position(n as u64))
            .await
            .map_err(explain)?;
        pb.finish_and_clear();
        let app = App::new(db.clone()).with_files(a.db.files_dir());
        let readings = sanyi_app::imaging::seed_demo(&app, DEMO_READINGS).await.map_err(explain)?;
        app.audit.flush().await;
        db.close().await;
        println!(
            "demo prefecture written to {} in {:.1} s: {} counties, {} institutions, {} residents",
            redact(&url),
            started.elapsed().as_secs_f64(),
            summary.counties,
            summary.institutions,
            summary.residents
        );
        println!(
            "remote readings: {} ({} DICOM images, {} ECGs) in {}",
            readings.readings,
            readings.images,
            readings.ecgs,
            a.db.files_dir().display()
        );
        println!("logins (password: {}):", demo::DEMO_PASSWORD);
        for (user, role, name, _) in summary.logins {
            println!("  {user:<16} {role:<20} {name}");
        }
        Ok(())
    })
}

/// `sanyi drg scheme import`.
pub fn drg_scheme_import(
    dir: &std::path::Path,
    name: String,
    version: String,
    pool: String,
    valid_from: Option<chrono::NaiveDate>,
    db: &DbArgs,
) -> anyhow::Result<()> {
    init_logs();
    runtime()?.block_on(async move {
        let database = open(&db.database).await?;
        let app = App::new(database.clone());
        let files = sanyi_app::drg::read_scheme_dir(dir).map_err(explain)?;
        let what = sanyi_app::drg::SchemeImport {
            pool,
            name,
            version,
            valid_from: valid_from.unwrap_or_else(|| chrono::Utc::now().date_naive()),
        };
        let row = sanyi_app::drg::import(&app, &Actor::system(""), &what, files)
            .await
            .map_err(explain)?;
        database.close().await;
        println!(
            "scheme {} {} registered for pool {} (id {}), in force from {}{}",
            row.name,
            row.version,
            row.division_code,
            row.id,
            what.valid_from,
            if row.illustrative { " — illustrative" } else { "" }
        );
        Ok(())
    })
}

/// `sanyi tick`.
#[derive(Debug, Args)]
pub struct TickArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The instant to evaluate timers at (RFC 3339; default now) — lets tests and drills move time.
    #[arg(long)]
    now: Option<chrono::DateTime<chrono::Utc>>,
}

/// `sanyi tick`.
pub fn tick(a: TickArgs) -> anyhow::Result<()> {
    init_logs();
    runtime()?.block_on(async move {
        let db = open(&a.db.database).await?;
        let app = App::new(db.clone());
        let now = a.now.unwrap_or_else(chrono::Utc::now);
        let n = sanyi_app::referrals::tick(&app, now).await.map_err(explain)?;
        let m = sanyi_app::consultations::tick(&app, now).await.map_err(explain)?;
        db.close().await;
        println!("{n} referral(s) and {m} consultation(s) changed at {now}");
        Ok(())
    })
}

/// `sanyi migrate`.
pub fn migrate(a: DbArgs) -> anyhow::Result<()> {
    init_logs();
    runtime()?.block_on(async move {
        let db = open(&a.database).await?;
        db.close().await;
        println!("migrations applied to {}", redact(&a.database));
        Ok(())
    })
}

/// `sanyi import residents`.
pub fn import(c: ImportCommand) -> anyhow::Result<()> {
    init_logs();
    let (results, file, db, json) = match c {
        ImportCommand::Residents { file, db, json } => (false, file, db, json),
        ImportCommand::Results { file, db, json } => (true, file, db, json),
    };
    runtime()?.block_on(async move {
        let database = open(&db.database).await?;
        let app = App::new(database.clone());
        let actor = Actor::system("");
        let started = Instant::now();
        let input: Box<dyn std::io::Read> = if file.as_os_str() == "-" {
            Box::new(std::io::stdin().lock())
        } else {
            let len = std::fs::metadata(&file)
                .with_context(|| format!("cannot read {}", file.display()))?
                .len();
            let _ = len;
            Box::new(std::io::BufReader::with_capacity(
                1 << 20,
                std::fs::File::open(&file).with_context(|| format!("cannot open {}", file.display()))?,
            ))
        };
        let pb = bar(0, "rows");
        pb.set_length(u64::MAX);
        let progress = |n| pb.set_position(n);
        let report = if results {
            sanyi_app::recognition::results::results_csv(&app, &actor, input, &progress).await
        } else {
            import::residents_csv(&app, &actor, input, &progress).await
        }
        .map_err(explain)?;
        pb.finish_and_clear();
        app.audit.flush().await;
        database.close().await;
        let secs = started.elapsed().as_secs_f64();
        if json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            println!(
                "{} rows in {:.1} s ({:.0} rows/s): {} inserted, {} already present, {} rejected",
                report.rows,
                secs,
                report.rows as f64 / secs.max(1e-9),
                report.inserted,
                report.already_present,
                report.rejected_count
            );
            for r in &report.rejected {
                for e in &r.errors {
                    println!(
                        "  line {}: {}: {} (rule {}, expected {})",
                        r.line, e.field, e.message, e.rule, e.expected
                    );
                }
            }
            if report.rejected_count as usize > report.rejected.len() {
                println!("  … {} more rejected rows", report.rejected_count as usize - report.rejected.len());
            }
        }
        Ok(())
    })
}

/// `sanyi user ...`.
pub fn user(c: UserCommand) -> anyhow::Result<()> {
    init_logs();
    runtime()?.block_on(async move {
        match c {
            UserCommand::Add {
                username,
                role,
                institution,
                scope,
                name,
                password,
                db,
            } => {
                let db = open(&db.database).await?;
                let role = Role::parse(&role)
                    .with_context(|| format!("unknown role {role:?}; one of: {}", Role::ALL.map(|r| r.code()).join(", ")))?;
                auth::check_password_policy(&password).map_err(explain)?;
                if username.trim().is_empty()
                    || username.len() > 64
                    || !username.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
                {
                    bail!("username: 1 to 64 characters of letters, digits, '.', '_' or '-'");
                }
                let (division, scope_area, institution_id) = match (&institution, &scope) {
                    (Some(id), None) => {
                        let i = sanyi_store::registry::institution(&db, id)
                            .await?
                            .with_context(|| format!("no institution with id {id}"))?;
                        let area = sanyi_domain::AreaCode::parse(&i.area_code)
                            .map(|a| a.scope_prefix().to_owned())
                            .unwrap_or_else(|_| i.division_code.clone());
                        (i.division_code, area, Some(i.id))
                    }
                    (None, Some(s)) => {
                        if !(s.len() == 4 || s.len() == 6 || s.len() == 9 || s.len() == 12) || !s.bytes().all(|b| b.is_ascii_digit()) {
                            bail!("--scope: a 4, 6, 9 or 12-digit statistical-code prefix, got {s:?}");
                        }
                        let division: String = s.chars().chain(std::iter::repeat('0')).take(6).collect();
                        (division, s.clone(), None)
                    }
                    _ => bail!("give exactly one of --institution or --scope"),
                };
                let hash = auth::hash_password(&password).map_err(explain)?;
                let user = sanyi_store::users::User {
                    division_code: division,
                    id: sanyi_store::new_id(),
                    username: username.clone(),
                    display_name: name.unwrap_or_else(|| username.clone()),
                    password_hash: hash,
                    role: role.code().into(),
                    institution_id,
                    scope_area,
                    active: true,
                };
                match sanyi_store::users::insert(&db, &user).await {
                    Ok(()) => println!("user {username} created ({}, scope {})", role.code(), user.scope_area),
                    Err(e) if e.is_unique_violation() => bail!("username {username} is taken"),
                    Err(e) => return Err(e.into()),
                }
                db.close().await;
            }
            UserCommand::List { db } => {
                let db = open(&db.database).await?;
                for u in sanyi_store::users::all(&db).await? {
                    let lock = match sanyi_store::users::login_failures(&db, &u.id).await? {
                        Some((_, Some(until))) if until > chrono::Utc::now() => format!("locked until {until}"),
                        Some((n, _)) if n > 0 => format!("{n} failed logins"),
                        _ => String::new(),
                    };
                    let active = if u.active { "" } else { "inactive" };
                    println!(
                        "{:<16} {:<20} {:<12} {} {active} {lock}",
                        u.username, u.role, u.scope_area, u.display_name
                    );
                }
                db.close().await;
            }
            UserCommand::Unlock { username, db } => {
                let app = App::new(open(&db.database).await?);
                auth::unlock(&app, &Actor::system(""), &username).await.map_err(explain)?;
                println!("user {username} unlocked");
                app.close().await;
            }
            UserCommand::Deactivate { username, db } => {
                let app = App::new(open(&db.database).await?);
                auth::set_active(&app, &Actor::system(""), &username, false)
                    .await
                    .map_err(explain)?;
                println!("user {username} deactivated");
                app.close().await;
            }
            UserCommand::Activate { username, db } => {
                let app = App::new(open(&db.database).await?);
                auth::set_active(&app, &Actor::system(""), &username, true).await.map_err(explain)?;
                println!("user {username} activated");
                app.close().await;
            }
        }
        Ok(())
    })
}
