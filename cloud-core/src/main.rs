//! `cloud-core` binary: `run`, `check-config`, and `create-admin` (bootstrap the first street
//! account). Config errors exit 64.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use cloud_core::config::CloudConfig;
use cloud_core::policy::Role;

#[derive(Parser)]
#[command(
    name = "cloud-core",
    version,
    about = "Street cloud core: registry, accounts, visitors, edge sync, one-tap"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve the API.
    Run {
        #[arg(long)]
        config: PathBuf,
    },
    /// Parse and check a config file; exit 64 naming the field if it is wrong.
    CheckConfig { file: PathBuf },
    /// Print the OpenAPI 3.1 document (what `GET /openapi.json` serves) without a database,
    /// e.g. for generating a client.
    Openapi,
    /// Back up the keys nothing can make again (the one-tap signing key, the ID-sealing key)
    /// into a new file (0600). Keep it offline: with it, one-taps can be signed and ID numbers
    /// read.
    BackupKeys {
        #[arg(long)]
        config: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Put backed-up keys into this config's data_dir (a new machine, a new replica). Refuses
    /// to replace a different key.
    RestoreKeys {
        #[arg(long)]
        config: PathBuf,
        #[arg(long)]
        from: PathBuf,
    },
    /// Create a street admin account (the first one). The password is read from the
    /// environment variable named by --password-env, never from the command line.
    CreateAdmin {
        #[arg(long)]
        config: PathBuf,
        #[arg(long)]
        username: String,
        #[arg(long, default_value = "CLOUD_ADMIN_PASSWORD")]
        password_env: String,
    },
}

const EX_CONFIG: u8 = 64;

fn load(file: &std::path::Path) -> Result<CloudConfig, ExitCode> {
    CloudConfig::load(file).map_err(|e| {
        eprintln!("config error: {e}");
        ExitCode::from(EX_CONFIG)
    })
}

fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn".into());
    // RUST_LOG_FORMAT=json: one JSON object per line, for a log collector.
    if std::env::var("RUST_LOG_FORMAT").is_ok_and(|f| f == "json") {
        tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    }
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match cli.cmd {
        Cmd::Openapi => match cloud_core::server::openapi_document() {
            Ok(doc) => {
                println!("{doc:#}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("the OpenAPI document cannot be built: {e}");
                ExitCode::FAILURE
            }
        },
        Cmd::CheckConfig { file } => match load(&file) {
            Ok(cfg) => {
                println!(
                    "config ok: listen {}, database {}",
                    cfg.listen,
                    cloud_core::db::redact(&cfg.database_url)
                );
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
        Cmd::Run { config } => {
            let cfg = match load(&config) {
                Ok(c) => c,
                Err(code) => return code,
            };
            match rt.block_on(run(cfg)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("cloud-core: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Cmd::BackupKeys { config, out } => {
            let cfg = match load(&config) {
                Ok(c) => c,
                Err(code) => return code,
            };
            let written = cloud_core::keys::backup(&cfg.data_dir, cloud_core::now_ms())
                .map_err(|e| e.to_string())
                .and_then(|b| {
                    cloud_core::keys::write_new_secret(&out, b.to_toml().as_bytes())
                        .map_err(|e| format!("{}: {e}", out.display()))
                        .map(|()| b)
                });
            match written {
                Ok(b) => {
                    println!("backed up to {} (keep it offline):", out.display());
                    for f in &b.files {
                        println!("  {} sha256 {}", f.role, f.sha256);
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("backup-keys: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Cmd::RestoreKeys { config, from } => {
            let cfg = match load(&config) {
                Ok(c) => c,
                Err(code) => return code,
            };
            let restored = std::fs::read_to_string(&from)
                .map_err(|e| format!("{}: {e}", from.display()))
                .and_then(|text| {
                    edge_sync::backup::KeyBackupV1::parse(&text, "cloud-core")
                        .map_err(|e| format!("{}: {e}", from.display()))
                })
                .and_then(|b| cloud_core::keys::restore(&cfg.data_dir, &b));
            match restored {
                Ok(steps) => {
                    for (role, step) in steps {
                        println!("  {role}: {step:?}");
                    }
                    println!("keys restored into {}", cfg.data_dir.display());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("restore-keys: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Cmd::CreateAdmin {
            config,
            username,
            password_env,
        } => {
            let cfg = match load(&config) {
                Ok(c) => c,
                Err(code) => return code,
            };
            match rt.block_on(create_admin(cfg, &username, &password_env)) {
                Ok(id) => {
                    println!("created street admin {username} ({id})");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("cloud-core: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

async fn run(cfg: CloudConfig) -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    // Listen before announcing the address: a stop sent right after it must be orderly.
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let running = cloud_core::start(cfg).await?;
    println!("cloud-core listening on {}", running.addr);
    tokio::select! {
        _ = int.recv() => {}
        _ = term.recv() => {}
    }
    tracing::info!("stopping");
    running.stop().await;
    Ok(())
}

async fn create_admin(
    cfg: CloudConfig,
    username: &str,
    password_env: &str,
) -> anyhow::Result<String> {
    let password = std::env::var(password_env)
        .with_context(|| format!("environment variable {password_env} is not set"))?;
    cloud_core::auth::check_password_rules(&password)
        .map_err(|r| anyhow::anyhow!("password {r}"))?;
    let db = cloud_core::db::Db::connect(&cfg.database_url).await?;
    let keys = cloud_core::open_keys(&db, &cfg).await?;
    let objects = cloud_core::objects::open(&cfg).await?;
    let state = cloud_core::server::AppState::new(db, cfg, keys, objects);
    cloud_core::rooms::accounts::insert_account(
        &state,
        username,
        &password,
        Role::StreetAdmin,
        None,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{}: {}", e.code, e.message))
}
