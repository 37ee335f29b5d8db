//! `sanyi drg`: CHS-DRG grouping of neutral case files, and scheme tables (check, demo).
//!
//! `group` streams the input: a reader thread cuts it into chunks of whole lines, each chunk is cut
//! into parts that rayon parses and groups in parallel, and the parts' outputs are written in input
//! order through one buffered writer. A structural problem in the input stops the run with
//! `error: <file>:<line>: <column>: <reason>` and a non-zero exit; the partial output file is removed.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::sync_channel;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;

use sanyi_app::{Actor, App};
use sanyi_drg::tsv::{CaseColumns, TsvError, write_header};
use sanyi_drg::{GroupResult, Scheme, SchemeError, Trace, synthetic};

use super::common::{DbArgs, explain, init_logs, open, runtime};

/// Writes a line to stderr, ignoring failures (a closed stderr must not panic).
macro_rules! note {
    ($($t:tt)*) => {{
        let _ = writeln!(io::stderr().lock(), $($t)*);
    }};
}

/// `sanyi drg`.
#[derive(Debug, Args)]
pub struct DrgArgs {
    #[command(subcommand)]
    command: DrgCommand,
}

#[derive(Debug, Subcommand)]
enum DrgCommand {
    /// Group a neutral case TSV into DRGs (病案分组).
    Group(GroupArgs),
    /// Scheme tables: check a scheme directory, or write the illustrative demo scheme (分组方案).
    #[command(subcommand)]
    Scheme(SchemeCommand),
}

#[derive(Debug, Subcommand)]
enum SchemeCommand {
    /// Validate a scheme directory and print its shape; exits non-zero listing `file:line: reason`.
    Check {
        /// The scheme directory (mdc.tsv, adrg.tsv, drg.tsv, …).
        dir: PathBuf,
        /// Print the shape as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write the illustrative demo scheme (示意方案，非国家分组) to a directory.
    Demo {
        /// Target directory (created if needed).
        dir: PathBuf,
        /// Also write this many demo records to `demo_cases.tsv` (0 = none).
        #[arg(long, default_value_t = 200)]
        cases: usize,
        /// Seed of the demo records.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Overwrite existing files.
        #[arg(long)]
        force: bool,
    },
    /// Register a scheme directory in the database for a pool, in force from a date.
    Import {
        /// The scheme directory.
        dir: PathBuf,
        /// Scheme name, e.g. `CHS-DRG`.
        #[arg(long)]
        name: String,
        /// Scheme version, e.g. `1.1`.
        #[arg(long)]
        version: String,
        /// Pool (prefecture division code) that uses it.
        #[arg(long, default_value = "652300")]
        pool: String,
        /// First day the scheme is in force (YYYY-MM-DD; default today).
        #[arg(long)]
        valid_from: Option<chrono::NaiveDate>,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// `case_id<TAB>drg` with a header line.
    Tsv,
    /// One JSON object per line (JSON Lines).
    Json,
}

/// `sanyi drg group`.
#[derive(Debug, Args)]
struct GroupArgs {
    /// Scheme directory (e.g. shared/data/chs-drg-1.1).
    #[arg(long)]
    scheme: PathBuf,
    /// Neutral case TSV; `-` reads standard input.
    #[arg(long)]
    input: PathBuf,
    /// Output file; `-` or absent writes standard output.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Tsv)]
    format: Format,
    /// Include the grouping trace (needs --format json).
    #[arg(long)]
    explain: bool,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// No progress bar and no closing summary.
    #[arg(long, short)]
    quiet: bool,
}

/// Runs `sanyi drg …`. Problems with the input or the scheme are printed as `error: …` on stderr
/// and end the process with exit code 1.
pub fn run(args: DrgArgs) -> anyhow::Result<()> {
    let result = match args.command {
        DrgCommand::Group(a) => group(a),
        DrgCommand::Scheme(SchemeCommand::Check { dir, json }) => check(&dir, json),
        DrgCommand::Scheme(SchemeCommand::Demo { dir, cases, seed, force }) => demo(&dir, cases, seed, force),
        DrgCommand::Scheme(SchemeCommand::Import {
            dir,
            name,
            version,
            pool,
            valid_from,
            db,
        }) => scheme_import(&dir, name, version, pool, valid_from, &db).map_err(Failure::Other),
    };
    match result {
        Ok(()) => Ok(()),
        Err(Failure::Reported) => std::process::exit(1),
        Err(Failure::Other(e)) => {
            note!("error: {e:#}");
            std::process::exit(1)
        }
    }
}

/// How a subcommand failed: already printed, or to be printed by [`run`].
enum Failure {
    Reported,
    Other(anyhow::Error),
}

impl<E: Into<anyhow::Error>> From<E> for Failure {
    fn from(e: E) -> Failure {
        Failure::Other(e.into())
    }
}

fn scheme_error_line(dir: &Path, e: &SchemeError) -> String {
    let path = dir.join(e.file);
    if e.line == 0 {
        format!("error: {}: {}", path.display(), e.reason)
    } else {
        format!("error: {}:{}: {}", path.display(), e.line, e.reason)
    }
}

/// Writes to stdout; a closed pipe (`| head`) ends quietly.
fn stdout(text: &str) -> Result<(), Failure> {
    match io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(anyhow::Error::from(e).context("writing standard output").into()),
        _ => Ok(()),
    }
}

fn check(dir: &Path, json: bool) -> Result<(), Failure> {
    match Scheme::check_dir(dir) {
        Ok(scheme) => {
            let text = if json {
                format!("{}\n", serde_json::to_string_pretty(scheme.summary())?)
            } else {
                format!("{}: OK\n{}", dir.display(), scheme.summary())
            };
            stdout(&text)
        }
        Err(problems) => {
            for p in &problems {
                note!("{}", scheme_error_line(dir, p));
            }
            note!("{} problem(s) in {}", problems.len(), dir.display());
            Err(Failure::Reported)
        }
    }
}

fn demo(dir: &Path, cases: usize, seed: u64, force: bool) -> Result<(), Failure> {
    let mut files = synthetic::demo_files();
    if cases > 0 {
        files.insert("demo_cases.tsv".to_owned(), synthetic::demo_cases_tsv(cases, seed));
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    if !force && let Some(existing) = files.keys().map(|n| dir.join(n)).find(|p| p.exists()) {
        return Err(anyhow::anyhow!("{} exists (use --force to overwrite)", existing.display()).into());
    }
    for (name, text) in &files {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    // The written scheme must load: it is the format's example.
    let scheme = Scheme::load_dir(dir).map_err(|e| anyhow::anyhow!(scheme_error_line(dir, &e)))?;
    let mut text = format!(
        "wrote {} files to {} — {}\n{}",
        files.len(),
        dir.display(),
        synthetic::LABEL,
        scheme.summary()
    );
    if cases > 0 {
        text.push_str(&format!(
            "try: sanyi drg group --scheme {0} --input {0}/demo_cases.tsv\n",
            dir.display()
        ));
    }
    stdout(&text)
}

/// `sanyi drg scheme import`.
fn scheme_import(
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

/// Bytes read per chunk.
const CHUNK: usize = 8 << 20;
/// Inputs at least this large get a progress bar (when stderr is a terminal).
const PROGRESS_MIN_BYTES: u64 = 32 << 20;

/// The output of one part of a chunk.
struct Part<'s> {
    out: Vec<u8>,
    lines: usize,
    ungroupable: u64,
    counts: FxHashMap<&'s str, u64>,
    /// The first structural error: (line index inside the part, error).
    error: Option<(usize, TsvError)>,
}

#[derive(Serialize)]
struct JsonRow<'a> {
    case_id: &'a str,
    status: &'static str,
    reason: Option<&'static str>,
    mdc: Option<&'a str>,
    adrg: Option<&'a str>,
    drg: &'a str,
    name_zh: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trace: Option<&'a Trace>,
}

fn write_result(out: &mut Vec<u8>, format: Format, case_id: &str, r: &GroupResult<'_>) {
    match format {
        Format::Tsv => {
            out.extend_from_slice(case_id.as_bytes());
            out.push(b'\t');
            out.extend_from_slice(r.drg_code().as_bytes());
            out.push(b'\n');
        }
        Format::Json => {
            let row = JsonRow {
                case_id,
                status: if r.is_grouped() { "grouped" } else { "ungroupable" },
                reason: r.reason().map(|x| x.as_str()),
                mdc: r.mdc,
                adrg: r.adrg,
                drg: r.drg_code(),
                name_zh: r.name_zh,
                trace: r.trace.as_ref(),
            };
            // Serializing plain strings into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut *out, &row);
            out.push(b'\n');
        }
    }
}

fn process_part<'s>(scheme: &'s Scheme, cols: &CaseColumns, part: &[u8], format: Format, explain: bool) -> Part<'s> {
    let mut p = Part {
        out: Vec::with_capacity(if format == Format::Tsv { part.len() / 5 } else { part.len() * 2 }),
        lines: 0,
        ungroupable: 0,
        counts: FxHashMap::default(),
        error: None,
    };
    let mut rest = part;
    while !rest.is_empty() {
        let (line, next) = match memchr::memchr(b'\n', rest) {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = next;
        match cols.parse_bytes(line, 0) {
            Ok(row) => {
                let r = scheme.group_codes(&row.demographics(), row.diagnoses(), row.procedures(), explain);
                match r.drg {
                    Some(d) => *p.counts.entry(d).or_insert(0) += 1,
                    None => p.ungroupable += 1,
                }
                write_result(&mut p.out, format, row.case_id, &r);
            }
            Err(e) => {
                p.error = Some((p.lines, e));
                return p;
            }
        }
        p.lines += 1;
    }
    p
}

/// Cuts a chunk of whole lines into about `n` parts at line ends.
fn split_parts(chunk: &[u8], n: usize) -> Vec<&[u8]> {
    let mut parts = Vec::with_capacity(n);
    let target = chunk.len().div_ceil(n.max(1)).max(1);
    let mut rest = chunk;
    while !rest.is_empty() {
        if rest.len() <= target {
            parts.push(rest);
            break;
        }
        let cut = memchr::memchr(b'\n', &rest[target..]).map_or(rest.len(), |i| target + i + 1);
        parts.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    parts
}

/// Reads `reader` in chunks that end at a line end (the last one may not), sending each.
fn read_chunks(mut reader: impl Read, tx: std::sync::mpsc::SyncSender<io::Result<Vec<u8>>>) {
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let mut buf = Vec::with_capacity(CHUNK + carry.len() + 4096);
        buf.append(&mut carry);
        let mut eof = false;
        loop {
            let want = (CHUNK + 4096).saturating_sub(buf.len()).max(64 << 10);
            match (&mut reader).take(want as u64).read_to_end(&mut buf) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(_) => {
                    if buf.len() >= CHUNK && memchr::memchr(b'\n', &buf).is_some() {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            }
        }
        if !eof && let Some(last) = memchr::memrchr(b'\n', &buf) {
            carry = buf.split_off(last + 1);
        }
        if !buf.is_empty() && tx.send(Ok(buf)).is_err() {
            return;
        }
        if eof {
            return;
        }
    }
}

enum Output {
    Stdout(BufWriter<io::StdoutLock<'static>>),
    File { w: BufWriter<File>, tmp: PathBuf, path: PathBuf },
}

impl Output {
    fn open(path: Option<&Path>) -> anyhow::Result<Output> {
        match path {
            None => Ok(Output::Stdout(BufWriter::with_capacity(1 << 20, io::stdout().lock()))),
            Some(p) if p.as_os_str() == "-" => Ok(Output::Stdout(BufWriter::with_capacity(1 << 20, io::stdout().lock()))),
            Some(p) => {
                let mut name = p.file_name().context("output path has no file name")?.to_os_string();
                name.push(".partial");
                let tmp = p.with_file_name(name);
                let f = File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
                Ok(Output::File {
                    w: BufWriter::with_capacity(1 << 20, f),
                    tmp,
                    path: p.to_owned(),
                })
            }
        }
    }

    fn writer(&mut self) -> &mut dyn Write {
        match self {
            Output::Stdout(w) => w,
            Output::File { w, .. } => w,
        }
    }

    fn finish(self) -> anyhow::Result<()> {
        match self {
            Output::Stdout(mut w) => w.flush().context("writing standard output"),
            Output::File { w, tmp, path } => {
                let f = w
                    .into_inner()
                    .map_err(|e| e.into_error())
                    .with_context(|| format!("writing {}", tmp.display()))?;
                f.sync_all().ok();
                std::fs::rename(&tmp, &path).with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))
            }
        }
    }

    fn abandon(self) {
        if let Output::File { w, tmp, .. } = self {
            drop(w);
            let _ = std::fs::remove_file(tmp);
        }
    }
}

fn input_error(input: &str, e: &TsvError) -> String {
    match &e.column {
        Some(c) => format!("error: {input}:{}: {c}: {}", e.line, e.reason),
        None => format!("error: {input}:{}: {}", e.line, e.reason),
    }
}

#[expect(clippy::too_many_lines, reason = "the streaming pipeline reads best in one place")]
fn group(a: GroupArgs) -> Result<(), Failure> {
    if a.explain && a.format != Format::Json {
        return Err(anyhow::anyhow!("--explain needs --format json (a trace does not fit a TSV cell)").into());
    }
    let threads = a
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
        .max(1);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
    let started = Instant::now();

    let scheme = match Scheme::load_dir(&a.scheme) {
        Ok(s) => s,
        Err(e) => {
            note!("{}", scheme_error_line(&a.scheme, &e));
            return Err(Failure::Reported);
        }
    };
    let load_time = started.elapsed();

    let stdin = a.input.as_os_str() == "-";
    let input_name = if stdin {
        "<stdin>".to_owned()
    } else {
        a.input.display().to_string()
    };
    let (reader, size): (Box<dyn Read + Send>, Option<u64>) = if stdin {
        (Box::new(io::stdin()), None)
    } else {
        let f = File::open(&a.input).with_context(|| format!("opening {input_name}"))?;
        let size = f.metadata().ok().map(|m| m.len());
        (Box::new(f), size)
    };
    let mut reader = BufReader::with_capacity(1 << 20, reader);
    let mut header = Vec::new();
    reader
        .read_until(b'\n', &mut header)
        .with_context(|| format!("reading {input_name}"))?;
    let cols = if header.is_empty() {
        CaseColumns::from_header("")
    } else {
        CaseColumns::from_header_bytes(&header)
    };
    let cols = match cols {
        Ok(c) => c,
        Err(e) => {
            note!("{}", input_error(&input_name, &e));
            return Err(Failure::Reported);
        }
    };

    let show_progress = !a.quiet && io::stderr().is_terminal() && size.is_some_and(|s| s >= PROGRESS_MIN_BYTES);
    let bar = if show_progress {
        let pb = ProgressBar::new(size.unwrap_or(0));
        pb.set_style(
            ProgressStyle::with_template("grouping [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        pb.set_position(header.len() as u64);
        pb
    } else {
        ProgressBar::hidden()
    };

    let mut out = Output::open(a.output.as_deref())?;
    if a.format == Format::Tsv
        && let Err(e) = write_header(out.writer())
    {
        out.abandon();
        return Err(anyhow::Error::from(e).context("writing the output").into());
    }

    let (tx, rx) = sync_channel::<io::Result<Vec<u8>>>(2);
    let mut line_base = 2usize; // the first data line
    let mut total = 0u64;
    let mut ungroupable = 0u64;
    let mut counts: FxHashMap<&str, u64> = FxHashMap::default();
    let scheme_ref = &scheme;
    let outcome: Result<(), Failure> = std::thread::scope(|scope| {
        scope.spawn(move || read_chunks(reader, tx));
        for chunk in rx {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => return Err(anyhow::Error::from(e).context(format!("reading {input_name}")).into()),
            };
            let parts = split_parts(&chunk, threads * 4);
            let results: Vec<Part<'_>> = pool.install(|| {
                parts
                    .par_iter()
                    .map(|p| process_part(scheme_ref, &cols, p, a.format, a.explain))
                    .collect()
            });
            for r in results {
                if let Some((i, mut e)) = r.error {
                    e.line = line_base + i;
                    note!("{}", input_error(&input_name, &e));
                    return Err(Failure::Reported);
                }
                if let Err(e) = out.writer().write_all(&r.out) {
                    if e.kind() == io::ErrorKind::BrokenPipe {
                        return Err(Failure::Reported);
                    }
                    return Err(anyhow::Error::from(e).context("writing the output").into());
                }
                line_base += r.lines;
                total += r.lines as u64;
                ungroupable += r.ungroupable;
                for (k, v) in r.counts {
                    *counts.entry(k).or_insert(0) += v;
                }
            }
            bar.inc(chunk.len() as u64);
        }
        Ok(())
    });
    bar.finish_and_clear();
    if let Err(e) = outcome {
        out.abandon();
        return Err(e);
    }
    out.finish()?;

    if !a.quiet {
        summary(&scheme, total, ungroupable, &counts, started.elapsed(), load_time, threads);
    }
    Ok(())
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn summary(
    scheme: &Scheme,
    total: u64,
    ungroupable: u64,
    counts: &FxHashMap<&str, u64>,
    elapsed: Duration,
    load: Duration,
    threads: usize,
) {
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 { (total as f64 / secs) as u64 } else { 0 };
    let share = if total > 0 {
        ungroupable as f64 * 100.0 / total as f64
    } else {
        0.0
    };
    note!(
        "grouped {} cases in {:.3} s ({} cases/s, {} threads; scheme load {:.0} ms)",
        thousands(total),
        secs,
        thousands(rate),
        threads,
        load.as_secs_f64() * 1000.0
    );
    note!("ungroupable (0000): {} ({share:.2}%)", thousands(ungroupable));
    let mut top: Vec<(&str, u64)> = counts.iter().map(|(k, v)| (*k, *v)).collect();
    top.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(y.0)));
    if !top.is_empty() {
        note!("top DRGs ({} distinct):", top.len());
        for (drg, n) in top.iter().take(10) {
            note!("  {drg:<6} {:>12}  {}", thousands(*n), scheme.drg_name(drg).unwrap_or(""));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_cut_at_line_ends() {
        let text = b"a\nbb\nccc\ndddd\ne";
        for n in 1..8 {
            let parts = split_parts(text, n);
            assert_eq!(parts.concat(), text);
            for p in &parts[..parts.len() - 1] {
                assert_eq!(p.last(), Some(&b'\n'));
            }
        }
        assert!(split_parts(b"", 4).is_empty());
    }

    #[test]
    fn chunks_end_at_line_ends() {
        let mut text = Vec::new();
        for i in 0..400_000 {
            text.extend_from_slice(format!("line {i}\tsome text\n").as_bytes());
        }
        text.extend_from_slice(b"last line without end");
        let (tx, rx) = sync_channel(2);
        let src = text.clone();
        std::thread::spawn(move || read_chunks(&src[..], tx));
        let chunks: Vec<Vec<u8>> = rx.into_iter().map(Result::unwrap).collect();
        assert!(chunks.len() > 1);
        for c in &chunks[..chunks.len() - 1] {
            assert_eq!(c.last(), Some(&b'\n'));
        }
        assert_eq!(chunks.concat(), text);
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
