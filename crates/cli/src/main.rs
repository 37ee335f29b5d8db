//! The `sanyi` binary: one command with subcommands over the application services.

mod cmd;

use clap::{Parser, Subcommand};

/// sanyi (三医): the open platform for county medical communities.
#[derive(Debug, Parser)]
#[command(name = "sanyi", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the web pages and the JSON API (启动服务).
    Serve(cmd::serve::ServeArgs),
    /// Create or refresh a demo database (生成演示数据).
    Demo(cmd::demo::DemoArgs),
    /// Apply database migrations (数据库迁移).
    Migrate(cmd::common::DbArgs),
    /// Bulk imports (批量导入).
    #[command(subcommand)]
    Import(cmd::import::ImportCommand),
    /// User accounts (用户管理).
    #[command(subcommand)]
    User(cmd::user::UserCommand),
    /// Fire due workflow timers once (referral SLA, validity, escalation; consultation deadlines), as the server does every minute.
    Tick(cmd::tick::TickArgs),
    /// Benchmark helpers (性能测试): generate inputs for the documented benchmarks.
    #[command(subcommand)]
    Bench(cmd::bench::BenchCommand),
    /// CHS-DRG grouping and schemes (DRG 分组).
    Drg(cmd::drg::DrgArgs),
    /// Settle a pool's year or month: budget, prepayment, spending, DRG points, year-end (医保结算).
    Settle(cmd::settle::SettleArgs),
    /// Insurance policies, fund years and claims (医保).
    #[command(subcommand)]
    Insurance(cmd::insurance::InsuranceCommand),
    /// Medicines (医药): catalogue versions, procurement projects and the completion and savings report.
    #[command(subcommand)]
    Procurement(cmd::procurement::ProcurementCommand),
    /// Audit log checks (审计日志).
    #[command(subcommand)]
    Audit(cmd::audit::AuditCommand),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(a) => cmd::serve::run(a),
        Command::Demo(a) => cmd::demo::run(a),
        Command::Migrate(a) => cmd::migrate::run(a),
        Command::Import(c) => cmd::import::run(c),
        Command::User(c) => cmd::user::run(c),
        Command::Bench(c) => cmd::bench::run(c),
        Command::Tick(a) => cmd::tick::run(a),
        Command::Drg(a) => cmd::drg::run(a),
        Command::Settle(a) => cmd::settle::run(a),
        Command::Insurance(c) => cmd::insurance::run(c),
        Command::Procurement(c) => cmd::procurement::run(c),
        Command::Audit(c) => cmd::audit::run(c),
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
