//! The `sanyi` binary: one command with subcommands over the application services.

mod audit_cmd;
mod bench_claims;
mod bench_imaging;
mod bench_recognition;
mod bench_referrals;
mod drg_cmd;
mod insurance_cmd;
mod platform;

use clap::{Parser, Subcommand};

/// sanyi (三医): the open platform for county medical communities.
#[derive(Debug, Parser)]
#[command(name = "sanyi", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the web pages and the JSON API (启动服务).
    Serve(platform::ServeArgs),
    /// Create or refresh a demo database (生成演示数据).
    Demo(platform::DemoArgs),
    /// Apply database migrations (数据库迁移).
    Migrate(platform::DbArgs),
    /// Bulk imports (批量导入).
    #[command(subcommand)]
    Import(platform::ImportCommand),
    /// User accounts (用户管理).
    #[command(subcommand)]
    User(platform::UserCommand),
    /// Fire due workflow timers once (referral SLA, validity, escalation; consultation deadlines), as the server does every minute.
    Tick(platform::TickArgs),
    /// Benchmark helpers (性能测试): generate inputs for the documented benchmarks.
    #[command(subcommand)]
    Bench(platform::BenchCommand),
    /// CHS-DRG grouping and schemes (DRG 分组).
    Drg(drg_cmd::DrgArgs),
    /// Settle a pool's year or month: budget, prepayment, spending, DRG points, year-end (医保结算).
    Settle(insurance_cmd::SettleArgs),
    /// Insurance policies, fund years and claims (医保).
    #[command(subcommand)]
    Insurance(insurance_cmd::InsuranceCommand),
    /// Audit log checks (审计日志).
    #[command(subcommand)]
    Audit(audit_cmd::AuditCommand),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(a) => platform::serve(a),
        Command::Demo(a) => platform::demo(a),
        Command::Migrate(a) => platform::migrate(a),
        Command::Import(c) => platform::import(c),
        Command::User(c) => platform::user(c),
        Command::Bench(c) => platform::bench(c),
        Command::Tick(a) => platform::tick(a),
        Command::Drg(a) => drg_cmd::run(a),
        Command::Settle(a) => insurance_cmd::settle(a),
        Command::Insurance(c) => insurance_cmd::insurance(c),
        Command::Audit(c) => audit_cmd::run(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }
}
