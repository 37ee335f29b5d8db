//! `sanyi user …`: user accounts — add, list, unlock, deactivate, activate.

use anyhow::{Context, bail};
use clap::Subcommand;

use sanyi_app::{Actor, App, Role, auth};

use super::common::{DbArgs, explain, init_logs, open, runtime};

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

/// `sanyi user ...`.
pub fn run(c: UserCommand) -> anyhow::Result<()> {
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
