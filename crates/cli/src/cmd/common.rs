//! Helpers shared by the commands: the database arguments, opening (and migrating) a database,
//! redacting a password in a database URL, the async runtime, log set-up, service-error
//! explanation and progress bars.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use sanyi_app::ServiceError;
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
pub(crate) fn redact(url: &str) -> String {
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
