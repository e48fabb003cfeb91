//! `edge-daemon`: run the box, check a config, and small provisioning helpers.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use edge_daemon::config::EdgeConfig;
use edge_daemon::daemon::{systemd_ready, systemd_stopping, Daemon};
use edge_sync::onetap::{encode_public_key, encode_signing_key, parse_signing_key};
use edge_sync::{OneTapCommandV1, SignedCommand, COMMAND_VERSION};

/// Exit code for configuration errors (systemd's RestartPreventExitStatus=64 stops the loop).
const EXIT_CONFIG: u8 = 64;

#[derive(Parser)]
#[command(
    name = "edge-daemon",
    version,
    about = "Per-community edge daemon: gates, door alarms, durable pass log"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the daemon.
    Run {
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Validate a config and its device profiles without touching hardware. Exit 64 if bad.
    CheckConfig { file: PathBuf },
    /// Make an Ed25519 key pair for signing one-tap commands; prints the public key for the config.
    Keygen {
        /// Where to write the secret key (base64 seed, mode 0600).
        #[arg(long)]
        secret_out: PathBuf,
    },
    /// Sign a one-tap command (what the cloud does); prints the JSON body for POST /v1/onetap.
    SignOnetap {
        #[arg(long)]
        key: PathBuf,
        #[arg(long)]
        community: String,
        #[arg(long)]
        door: String,
        #[arg(long)]
        person: String,
        #[arg(long, default_value_t = 30)]
        ttl_seconds: i64,
    },
    /// Check, with the daemon stopped, that everything the config names is there and answers:
    /// the store and its disk, serial ports, every Modbus device, the MQTT broker, the cloud
    /// with this box's identity, the clock against the cloud's, the face models. Exit 1 on a
    /// problem, 64 on a bad config.
    Doctor {
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Pulse one door as a pass would (daemon stopped) and report what its contact did.
    TestDoor {
        #[arg(long, short)]
        config: PathBuf,
        /// The door's id in the config.
        door: String,
        /// How long to watch the contact after the pulse, in seconds.
        #[arg(long, default_value_t = 5)]
        watch_seconds: u64,
    },
    /// List the Modbus unit ids that answer on the line of a configured device (daemon stopped).
    ScanBus {
        #[arg(long, short)]
        config: PathBuf,
        /// A device on the line to scan (its port or address and serial settings are used).
        #[arg(long)]
        device: String,
        #[arg(long, default_value_t = 1)]
        from: u8,
        #[arg(long, default_value_t = 247)]
        to: u8,
        /// How long to wait for each id, in milliseconds.
        #[arg(long, default_value_t = 100)]
        timeout_ms: u64,
    },
    /// Back up what this box cannot get back if lost — its identity and private key, its face
    /// template key — into a new file (0600). Keep it offline.
    Backup {
        #[arg(long, short)]
        config: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Put a backup's files where this config names them (a replacement box). Refuses to
    /// replace a file that holds other bytes.
    Restore {
        #[arg(long, short)]
        config: PathBuf,
        #[arg(long)]
        from: PathBuf,
    },
    /// Register this box with the cloud using the one-time code an admin got; writes
    /// cloud-identity.toml and box.key (0600) into --out for `[cloud] identity_file`.
    Provision {
        #[arg(long)]
        cloud: String,
        #[arg(long)]
        code: String,
        #[arg(long, default_value = "/var/lib/edge-daemon/cloud")]
        out: PathBuf,
    },
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Under systemd stderr goes to the journal, which stamps time itself and shows no colours.
    let journal = std::env::var_os("JOURNAL_STREAM").is_some();
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(!journal);
    if journal {
        b.without_time().init();
    } else {
        b.init();
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    match cli.cmd {
        Cmd::CheckConfig { file } => match EdgeConfig::load(&file) {
            Ok(cfg) => {
                println!(
                    "ok: {} — box `{}`, {} device(s) on {} bus(es), {} door(s), {} profile(s)",
                    file.display(),
                    cfg.identity.id,
                    cfg.devices.len(),
                    cfg.buses.len(),
                    cfg.doors.len(),
                    cfg.profiles.len()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("config error: {e}");
                ExitCode::from(EXIT_CONFIG)
            }
        },
        Cmd::Run { config } => {
            let cfg = match EdgeConfig::load(&config) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("config error: {e}");
                    return ExitCode::from(EXIT_CONFIG);
                }
            };
            match run(cfg) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!(error = format!("{e:#}"), "edge daemon failed");
                    // A face runtime, model or key that cannot be loaded is an installation
                    // problem a restart will not fix: exit like a config error so systemd stops.
                    let install = e
                        .downcast_ref::<edge_daemon::daemon::StartError>()
                        .is_some_and(|s| matches!(s, edge_daemon::daemon::StartError::Face(_)));
                    if install {
                        eprintln!("config error: {e}");
                        ExitCode::from(EXIT_CONFIG)
                    } else {
                        ExitCode::FAILURE
                    }
                }
            }
        }
        Cmd::Doctor { config } => installer(&config, |cfg| async move {
            println!("edge-daemon doctor: {}", cfg.file.display());
            let findings = edge_daemon::doctor::doctor(&cfg).await;
            for f in &findings {
                println!("{f}");
            }
            let count = |v| findings.iter().filter(|f| f.verdict == v).count();
            let (problems, warnings) = (
                count(edge_daemon::doctor::Verdict::Problem),
                count(edge_daemon::doctor::Verdict::Warning),
            );
            println!("{problems} problem(s), {warnings} warning(s)");
            if problems == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }),
        Cmd::TestDoor {
            config,
            door,
            watch_seconds,
        } => installer(&config, |cfg| async move {
            match edge_daemon::doctor::test_door(&cfg, &door, Duration::from_secs(watch_seconds))
                .await
            {
                Ok(t) => {
                    print!("{t}");
                    if t.driven.is_ok() {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::FAILURE
                    }
                }
                Err(e) => {
                    eprintln!("test-door: {e}");
                    ExitCode::FAILURE
                }
            }
        }),
        Cmd::ScanBus {
            config,
            device,
            from,
            to,
            timeout_ms,
        } => {
            installer(&config, |cfg| async move {
                match edge_daemon::doctor::scan_bus(
                    &cfg,
                    &device,
                    from..=to,
                    Duration::from_millis(timeout_ms),
                )
                .await
                {
                    Ok((line, found)) => {
                        println!(
                            "{line}: {} unit id(s) answered between {from} and {to}",
                            found.len()
                        );
                        for (id, a) in found {
                            match a {
                                edge_daemon::gate::modbus::bus::ScanAnswer::Read => {
                                    println!("  unit {id}: answered")
                                }
                                edge_daemon::gate::modbus::bus::ScanAnswer::Exception => {
                                    println!("  unit {id}: answered with an exception (present, no coil 0)")
                                }
                            }
                        }
                        ExitCode::SUCCESS
                    }
                    Err(e) => {
                        eprintln!("scan-bus: {e}");
                        ExitCode::FAILURE
                    }
                }
            })
        }
        Cmd::Backup { config, out } => {
            let written = edge_daemon::backup::backup(&config, edge_daemon::os_clock::wall_ms())
                .and_then(|b| {
                    edge_daemon::backup::write_new_private(&out, b.to_toml().as_bytes()).map(|()| b)
                });
            match written {
                Ok(b) => {
                    println!("backed up to {} (keep it offline):", out.display());
                    for f in &b.files {
                        println!("  {} ({}) sha256 {}", f.role, f.path, f.sha256);
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("backup: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Cmd::Restore { config, from } => {
            let restored = std::fs::read_to_string(&from)
                .map_err(|e| format!("{}: {e}", from.display()))
                .and_then(|text| edge_daemon::backup::restore(&config, &text));
            match restored {
                Ok(steps) => {
                    for (role, step) in steps {
                        println!("  {role}: {step:?}");
                    }
                    println!(
                        "restored; check with: edge-daemon doctor -c {}",
                        config.display()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("restore: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Cmd::Keygen { secret_out } => match keygen(&secret_out) {
            Ok(public) => {
                println!("{public}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("keygen: {e:#}");
                ExitCode::FAILURE
            }
        },
        Cmd::Provision { cloud, code, out } => {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("provision: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match rt.block_on(edge_daemon::cloud::provision(&cloud, &code, &out)) {
                Ok((id, path)) => {
                    println!(
                        "provisioned box `{}` ({}) of estate {} with {} door(s); identity: {}",
                        id.box_name,
                        id.box_id,
                        id.estate_id,
                        id.doors.len(),
                        path.display()
                    );
                    for d in &id.doors {
                        println!("  door `{}`: {}", d.code, d.name);
                    }
                    println!(
                        "add to the config:\n[cloud]\nidentity_file = \"{}\"",
                        path.display()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("provision: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Cmd::SignOnetap {
            key,
            community,
            door,
            person,
            ttl_seconds,
        } => match sign(&key, community, door, person, ttl_seconds) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("sign-onetap: {e:#}");
                ExitCode::FAILURE
            }
        },
    }
}

/// Load the config (exit 64 if bad) and run an installer tool on a runtime of its own.
fn installer<F, Fut>(config: &Path, tool: F) -> ExitCode
where
    F: FnOnce(EdgeConfig) -> Fut,
    Fut: std::future::Future<Output = ExitCode>,
{
    let cfg = match EdgeConfig::load(config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("config error: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    // The tools look at what the daemon runs: the file, with the cloud's revision over it.
    let (cfg, _, refusal) = edge_daemon::config::overlay::load_effective(cfg);
    if let Some(r) = refusal {
        eprintln!(
            "note: the saved configuration revision {} from the cloud does not pass with this file (field `{}`: {}); checking the file alone",
            r.revision, r.field, r.reason
        );
    }
    match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(tool(cfg)),
        Err(e) => {
            eprintln!("cannot start: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cfg: EdgeConfig) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async {
        // Handlers go in before READY=1: a SIGTERM that arrives right after READY must reach
        // the orderly stop, not the default action (a CI run lost STOPPING=1 to that race).
        let mut stop = ShutdownSignal::install()?;
        let mut reconfigured = false;
        loop {
            let mut daemon = match Daemon::start(cfg.clone()).await {
                Ok(d) => d,
                // The revision just applied passed the check, but a room cannot start on it:
                // back to the one before, the new one recorded as refused with this error.
                Err(e) if reconfigured => {
                    let why = e.to_string();
                    tracing::error!(error = %why, "cannot start on the configuration from the cloud; going back to the one before");
                    edge_daemon::config::overlay::roll_back(&cfg.store.path, &why)
                        .map_err(|r| anyhow::anyhow!("{why}; and going back failed: {r}"))?;
                    Daemon::start(cfg.clone()).await?
                }
                Err(e) => return Err(e.into()),
            };
            let watchdog = daemon.liveness().and_then(systemd_ready);
            // A configuration revision from the cloud restarts the rooms in this process
            // (about a second without decisions); a signal stops them for good.
            let again = tokio::select! {
                _ = stop.recv() => false,
                _ = daemon.reconfigured() => true,
            };
            if !again {
                systemd_stopping();
            }
            if let Some(w) = watchdog {
                w.abort();
                let _ = w.await;
            }
            daemon.stop().await;
            if !again {
                return Ok(());
            }
            tracing::info!("restarting on the configuration from the cloud");
            reconfigured = true;
        }
    })
}

/// SIGTERM (systemd's stop) or SIGINT (Ctrl-C), listened for from the moment it is installed.
struct ShutdownSignal {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl ShutdownSignal {
    fn install() -> anyhow::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Self {
            term: signal(SignalKind::terminate()).context("listening for SIGTERM")?,
            int: signal(SignalKind::interrupt()).context("listening for SIGINT")?,
        })
    }

    async fn recv(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {},
            _ = self.int.recv() => {},
        }
        tracing::info!("shutdown requested");
    }
}

fn keygen(out: &std::path::Path) -> anyhow::Result<String> {
    use rand::RngCore as _;
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    let key = ed25519_dalek::SigningKey::from_bytes(&seed);
    let text = format!("{}\n", encode_signing_key(&key));
    edge_daemon::files::write_new(out, text.as_bytes(), edge_daemon::files::Readers::Owner)
        .with_context(|| format!("creating {}", out.display()))?;
    Ok(encode_public_key(&key.verifying_key()))
}

fn sign(
    key: &std::path::Path,
    community: String,
    door: String,
    person: String,
    ttl_seconds: i64,
) -> anyhow::Result<String> {
    let text =
        std::fs::read_to_string(key).with_context(|| format!("reading {}", key.display()))?;
    let key = parse_signing_key(&text).map_err(|e| anyhow::anyhow!("{}: {e}", "secret key"))?;
    let now = edge_daemon::os_clock::wall_ms();
    let cmd = OneTapCommandV1 {
        version: COMMAND_VERSION,
        command_id: uuid::Uuid::now_v7(),
        community_id: community,
        door_id: door,
        person_id: person,
        issued_at_ms: now,
        expires_at_ms: now + ttl_seconds * 1000,
    };
    Ok(serde_json::to_string(&SignedCommand::sign(&cmd, &key))?)
}
