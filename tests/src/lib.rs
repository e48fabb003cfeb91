//! Test harness that starts real peers for the workspace integration tests.
//!
//! * [`ModbusPeer`]: a pymodbus slave (`tests/peers/modbus_peer.py`) serving
//!   Modbus TCP or Modbus RTU, driven through its stdin/stdout line protocol.
//! * [`PtyPair`]: a socat pseudo-terminal pair standing in for an RS-485 bus
//!   (and for the USB adapter being unplugged and plugged back).
//!
//! Everything here panics with an explanatory message when a peer cannot be
//! started: a test that silently skips would prove nothing.

use std::collections::VecDeque;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::time::{sleep, timeout, Instant};

/// How long a peer may take to start or to answer one command.
// Generous: python + pymodbus start slowly on a loaded CI machine; only a failure waits it out.
const PEER_TIMEOUT: Duration = Duration::from_secs(60);

/// Root of the cargo workspace (the parent of this crate).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .expect("tests crate has a parent directory")
        .to_path_buf()
}

/// Python interpreter that has pymodbus installed.
///
/// `EDGE_TEST_PYTHON` if set, else `<workspace root>/.venv/bin/python`.
pub fn python() -> PathBuf {
    let path = match std::env::var_os("EDGE_TEST_PYTHON") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => workspace_root().join(".venv/bin/python"),
    };
    if !path.exists() {
        panic!(
            "python for the Modbus peer not found at {}: run tests/setup.sh first \
             (or point EDGE_TEST_PYTHON at a python with pymodbus[serial]==3.16.1)",
            path.display()
        );
    }
    path
}

/// Run [`python`] with `args`; panic with its output and `what` unless it succeeds. Its stdout.
pub fn run_python<I, S>(what: &str, args: I) -> Vec<u8>
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let py = python();
    let out = std::process::Command::new(&py)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", py.display()));
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Path of the pymodbus peer script.
pub fn peer_script() -> PathBuf {
    let path = workspace_root().join("tests/peers/modbus_peer.py");
    if !path.exists() {
        panic!("Modbus peer script missing: {}", path.display());
    }
    path
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0")
        .unwrap_or_else(|e| panic!("cannot bind an ephemeral port on 127.0.0.1: {e}"));
    listener
        .local_addr()
        .unwrap_or_else(|e| panic!("cannot read the ephemeral port: {e}"))
        .port()
}

/// Which table a reported change belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    /// A coil (`co`).
    Coil,
    /// A holding register (`hr`).
    Holding,
}

/// A write by a Modbus master that changed a coil or a holding register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Change {
    pub kind: ChangeKind,
    pub dev: u8,
    pub addr: u16,
    /// 0/1 for coils.
    pub value: u16,
    /// Peer-side `CLOCK_MONOTONIC` in microseconds, taken while the write
    /// request was handled. Only differences between changes are meaningful.
    pub t_us: u64,
}

impl Change {
    fn parse(line: &str) -> Option<Change> {
        let mut it = line.split_whitespace();
        if it.next()? != "change" {
            return None;
        }
        let kind = match it.next()? {
            "co" => ChangeKind::Coil,
            "hr" => ChangeKind::Holding,
            _ => return None,
        };
        let dev = it.next()?.parse().ok()?;
        let addr = it.next()?.parse().ok()?;
        let value = it.next()?.parse().ok()?;
        let t_us = it.next()?.parse().ok()?;
        if it.next().is_some() {
            return None;
        }
        Some(Change {
            kind,
            dev,
            addr,
            value,
            t_us,
        })
    }
}

/// A pymodbus slave process serving one or more device ids.
///
/// Every device has 64 coils, discrete inputs, holding and input registers
/// (addresses 0..63), all zero at start. Dropping the peer kills it.
pub struct ModbusPeer {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Lines<BufReader<ChildStdout>>,
    changes: VecDeque<Change>,
    stderr: Arc<Mutex<String>>,
    addr: Option<SocketAddr>,
    what: String,
    killed: bool,
}

impl ModbusPeer {
    /// Serve Modbus TCP on a free port of 127.0.0.1.
    pub async fn tcp(devices: &[u8]) -> ModbusPeer {
        let mut last_err = String::new();
        // The port can be taken between free_port() and the peer's bind: retry.
        for _ in 0..5 {
            let port = free_port();
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let args = vec!["--tcp".to_string(), addr.to_string()];
            match Self::start(args, devices, format!("Modbus TCP peer on {addr}")).await {
                Ok(mut peer) => {
                    peer.addr = Some(addr);
                    return peer;
                }
                // Only a lost race for the port is worth another try.
                Err(e) if e.contains("cannot listen") => last_err = e,
                Err(e) => panic!("{e}"),
            }
        }
        panic!("{last_err}");
    }

    /// Serve Modbus TCP on a given address, e.g. the one of a peer that was
    /// killed (a gateway coming back). Retries for a few seconds while the
    /// address is still held by the dying process.
    pub async fn tcp_at(addr: SocketAddr, devices: &[u8]) -> ModbusPeer {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let args = vec!["--tcp".to_string(), addr.to_string()];
            match Self::start(args, devices, format!("Modbus TCP peer on {addr}")).await {
                Ok(mut peer) => {
                    peer.addr = Some(addr);
                    return peer;
                }
                Err(e) if e.contains("cannot listen") && Instant::now() < deadline => {
                    sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("{e}"),
            }
        }
    }

    /// Serve Modbus RTU at 9600 8N1 on a serial device (e.g. [`PtyPair::bus_a`]).
    pub async fn rtu(path: &Path, devices: &[u8]) -> ModbusPeer {
        Self::rtu_with_baud(path, 9600, devices).await
    }

    /// Serve Modbus RTU at `baud`, 8N1, on a serial device.
    pub async fn rtu_with_baud(path: &Path, baud: u32, devices: &[u8]) -> ModbusPeer {
        let args = vec![
            "--rtu".to_string(),
            path.display().to_string(),
            "--baud".to_string(),
            baud.to_string(),
        ];
        let what = format!("Modbus RTU peer on {} @ {baud}", path.display());
        match Self::start(args, devices, what).await {
            Ok(peer) => peer,
            Err(e) => panic!("{e}"),
        }
    }

    async fn start(mut args: Vec<String>, devices: &[u8], what: String) -> Result<Self, String> {
        assert!(
            !devices.is_empty(),
            "ModbusPeer needs at least one device id"
        );
        for dev in devices {
            args.push("--device".to_string());
            args.push(dev.to_string());
        }
        let python = python();
        let mut child = Command::new(&python)
            .arg("-u")
            .arg(peer_script())
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what} with {}: {e}", python.display()));
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr_pipe = child.stderr.take().expect("piped stderr");

        // Forward the peer's stderr to the test output and keep a copy for
        // failure messages.
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        let tag = what.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr_pipe).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                eprintln!("[{tag}] {line}");
                if let Ok(mut buf) = sink.lock() {
                    buf.push_str(&line);
                    buf.push('\n');
                }
            }
        });

        let mut peer = ModbusPeer {
            child,
            stdin: Some(stdin),
            lines: BufReader::new(stdout).lines(),
            changes: VecDeque::new(),
            stderr,
            addr: None,
            what,
            killed: false,
        };
        match timeout(PEER_TIMEOUT, peer.lines.next_line()).await {
            Ok(Ok(Some(line))) if line.trim() == "READY" => Ok(peer),
            Ok(Ok(Some(line))) => Err(peer
                .failure(&format!("said {line:?} instead of READY"))
                .await),
            Ok(Ok(None)) => Err(peer.failure("exited before READY").await),
            Ok(Err(e)) => Err(peer.failure(&format!("stdout read failed: {e}")).await),
            Err(_) => Err(peer.failure("did not print READY in time").await),
        }
    }

    /// Build a failure message that includes the peer's stderr and exit status.
    async fn failure(&mut self, msg: &str) -> String {
        // Let the process finish and the stderr forwarder collect a traceback.
        let status = match timeout(Duration::from_millis(500), self.child.wait()).await {
            Ok(Ok(s)) => format!("{s}"),
            Ok(Err(e)) => format!("unknown ({e})"),
            Err(_) => "still running".to_string(),
        };
        sleep(Duration::from_millis(50)).await;
        let stderr = self.stderr_log();
        format!("{} {msg} (status: {status}); stderr:\n{stderr}", self.what)
    }

    /// The Modbus TCP address served (panics for an RTU peer).
    pub fn addr(&self) -> SocketAddr {
        self.addr
            .unwrap_or_else(|| panic!("{} has no TCP address", self.what))
    }

    /// Everything the peer wrote on stderr so far.
    pub fn stderr_log(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Send one command and return its answer, buffering change lines.
    async fn command(&mut self, cmd: &str) -> String {
        assert!(!self.killed, "{}: command {cmd:?} after kill()", self.what);
        let stdin = self.stdin.as_mut().expect("peer stdin open");
        let sent = async {
            stdin.write_all(cmd.as_bytes()).await?;
            stdin.write_all(b"\n").await?;
            stdin.flush().await
        }
        .await;
        if let Err(e) = sent {
            let msg = self
                .failure(&format!("cannot take command {cmd:?}: {e}"))
                .await;
            panic!("{msg}");
        }
        let deadline = Instant::now() + PEER_TIMEOUT;
        loop {
            let line = match timeout_at_line(&mut self.lines, deadline).await {
                LineResult::Line(l) => l,
                LineResult::Eof => {
                    let msg = self
                        .failure(&format!("exited while answering {cmd:?}"))
                        .await;
                    panic!("{msg}");
                }
                LineResult::Error(e) => {
                    let msg = self
                        .failure(&format!("stdout failed while answering {cmd:?}: {e}"))
                        .await;
                    panic!("{msg}");
                }
                LineResult::Timeout => {
                    let msg = self
                        .failure(&format!("did not answer {cmd:?} in time"))
                        .await;
                    panic!("{msg}");
                }
            };
            if let Some(change) = Change::parse(&line) {
                self.changes.push_back(change);
                continue;
            }
            if line.starts_with("err") {
                let msg = self.failure(&format!("rejected {cmd:?}: {line}")).await;
                panic!("{msg}");
            }
            return line;
        }
    }

    async fn set(&mut self, table: &str, dev: u8, addr: u16, value: u16) {
        let cmd = format!("set {table} {dev} {addr} {value}");
        let answer = self.command(&cmd).await;
        assert_eq!(answer, "ok", "{}: unexpected answer to {cmd:?}", self.what);
    }

    async fn get(&mut self, table: &str, dev: u8, addr: u16) -> u16 {
        let cmd = format!("get {table} {dev} {addr}");
        let answer = self.command(&cmd).await;
        let prefix = format!("{table} {dev} {addr} ");
        answer
            .strip_prefix(&prefix)
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{}: bad answer {answer:?} to {cmd:?}", self.what))
    }

    /// Set a discrete input (e.g. a door contact) from the slave side.
    pub async fn set_di(&mut self, dev: u8, addr: u16, on: bool) {
        self.set("di", dev, addr, u16::from(on)).await;
    }

    /// Set an input register from the slave side.
    pub async fn set_ir(&mut self, dev: u8, addr: u16, value: u16) {
        self.set("ir", dev, addr, value).await;
    }

    /// Set a holding register from the slave side (not reported as a change).
    pub async fn set_hr(&mut self, dev: u8, addr: u16, value: u16) {
        self.set("hr", dev, addr, value).await;
    }

    /// Set a coil from the slave side (not reported as a change).
    pub async fn set_coil(&mut self, dev: u8, addr: u16, on: bool) {
        self.set("co", dev, addr, u16::from(on)).await;
    }

    /// Current value of a coil.
    pub async fn get_coil(&mut self, dev: u8, addr: u16) -> bool {
        self.get("co", dev, addr).await != 0
    }

    /// Current value of a discrete input.
    pub async fn get_di(&mut self, dev: u8, addr: u16) -> bool {
        self.get("di", dev, addr).await != 0
    }

    /// Current value of a holding register.
    pub async fn get_hr(&mut self, dev: u8, addr: u16) -> u16 {
        self.get("hr", dev, addr).await
    }

    /// Current value of an input register.
    pub async fn get_ir(&mut self, dev: u8, addr: u16) -> u16 {
        self.get("ir", dev, addr).await
    }

    /// Next coil/holding-register change made by a Modbus master, oldest
    /// first; `None` if none arrives within `wait` (or the peer was killed).
    pub async fn next_change(&mut self, wait: Duration) -> Option<Change> {
        if let Some(c) = self.changes.pop_front() {
            return Some(c);
        }
        if self.killed {
            return None;
        }
        let deadline = Instant::now() + wait;
        match timeout_at_line(&mut self.lines, deadline).await {
            LineResult::Line(line) => match Change::parse(&line) {
                Some(c) => Some(c),
                None => panic!("{}: unexpected line {line:?}", self.what),
            },
            LineResult::Timeout => None,
            LineResult::Eof => {
                let msg = self.failure("exited unexpectedly").await;
                panic!("{msg}");
            }
            LineResult::Error(e) => {
                let msg = self.failure(&format!("stdout failed: {e}")).await;
                panic!("{msg}");
            }
        }
    }

    /// All changes that arrive within `wait` (waits the whole period).
    pub async fn changes_for(&mut self, wait: Duration) -> Vec<Change> {
        let deadline = Instant::now() + wait;
        let mut out = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_change(left).await {
                Some(c) => out.push(c),
                None => return out,
            }
            if left.is_zero() {
                return out;
            }
        }
    }

    /// SIGKILL the peer (a slave dropping off the bus / the gateway dying).
    pub fn kill(&mut self) {
        self.killed = true;
        self.stdin = None;
        let _ = self.child.start_kill();
    }
}

impl Drop for ModbusPeer {
    fn drop(&mut self) {
        self.kill();
        let _ = self.child.try_wait();
    }
}

enum LineResult {
    Line(String),
    Eof,
    Error(std::io::Error),
    Timeout,
}

async fn timeout_at_line(
    lines: &mut Lines<BufReader<ChildStdout>>,
    deadline: Instant,
) -> LineResult {
    // `Lines::next_line` is cancel safe: a timed-out read loses nothing.
    match tokio::time::timeout_at(deadline, lines.next_line()).await {
        Ok(Ok(Some(line))) => LineResult::Line(line.trim_end().to_string()),
        Ok(Ok(None)) => LineResult::Eof,
        Ok(Err(e)) => LineResult::Error(e),
        Err(_) => LineResult::Timeout,
    }
}

/// A socat pseudo-terminal pair standing in for an RS-485 bus.
///
/// `dir/bus-a` is for the peer (the slaves), `dir/bus-b` for the daemon
/// (the master). Dropping the pair kills socat.
pub struct PtyPair {
    child: Option<Child>,
    a: PathBuf,
    b: PathBuf,
}

impl PtyPair {
    /// Start socat and wait until both links exist.
    pub async fn new(dir: &Path) -> PtyPair {
        let mut pair = PtyPair {
            child: None,
            a: dir.join("bus-a"),
            b: dir.join("bus-b"),
        };
        pair.spawn().await;
        pair
    }

    /// The peer's end of the bus.
    pub fn bus_a(&self) -> &Path {
        &self.a
    }

    /// The daemon's end of the bus.
    pub fn bus_b(&self) -> &Path {
        &self.b
    }

    fn remove_links(&self) {
        for link in [&self.a, &self.b] {
            let _ = std::fs::remove_file(link);
        }
    }

    async fn spawn(&mut self) {
        // Links left by a SIGKILLed socat would look like a live bus.
        self.remove_links();
        let end = |p: &Path| format!("pty,raw,echo=0,link={}", p.display());
        let mut child = match Command::new("socat")
            .arg(end(&self.a))
            .arg(end(&self.b))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
        {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                panic!("socat is not on PATH: install it (run tests/setup.sh first)")
            }
            Err(e) => panic!("cannot start socat: {e}"),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !(self.a.exists() && self.b.exists()) {
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "socat exited ({status}) before creating {} and {}",
                    self.a.display(),
                    self.b.display()
                );
            }
            if Instant::now() > deadline {
                let _ = child.start_kill();
                panic!(
                    "socat did not create {} and {} within 10 s",
                    self.a.display(),
                    self.b.display()
                );
            }
            sleep(Duration::from_millis(5)).await;
        }
        self.child = Some(child);
    }

    /// Kill socat and remove the links: the adapter is unplugged.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.start_kill();
            let _ = child.try_wait();
        }
        self.remove_links();
    }

    /// Unplug and plug back: kill socat and start it again on the same links.
    pub async fn restart(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
        self.spawn().await;
    }
}

impl Drop for PtyPair {
    fn drop(&mut self) {
        self.kill();
    }
}

pub mod cloud;
pub mod contract_check;
pub mod powercut;
pub mod s3;

// ---- PostgreSQL and the project's own binaries ------------------------------------------------

/// A throwaway PostgreSQL cluster on its own port and temp dir (initdb + pg_ctl as the
/// `postgres` user, trust auth on 127.0.0.1). Stopped and deleted on drop. Panics with the
/// reason when the server cannot be started: a test that needs it must not pass without it.
pub struct Postgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
    pub url: String,
}

fn pg_bin() -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path().join("bin"))
                .collect()
        })
        .unwrap_or_default();
    found.retain(|p| p.join("initdb").exists());
    found.sort();
    found.pop().unwrap_or_else(|| {
        panic!("PostgreSQL server binaries not found under /usr/lib/postgresql: run tests/setup.sh")
    })
}

fn as_postgres(bin: &Path, tool: &str, args: &[&str]) -> std::process::Output {
    let out = std::process::Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(bin.join(tool))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {tool} as postgres: {e}"));
    if !out.status.success() {
        panic!(
            "{tool} {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out
}

impl Postgres {
    pub fn start() -> Postgres {
        use std::os::unix::fs::PermissionsExt;
        let bin = pg_bin();
        let dir = tempfile::tempdir().expect("temp dir for PostgreSQL");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod the PostgreSQL temp dir");
        let data = dir.path().join("data");
        let run = dir.path().join("run");
        for d in [&data, &run] {
            std::fs::create_dir(d).expect("create PostgreSQL dirs");
        }
        let chown = std::process::Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(dir.path())
            .status()
            .expect("run chown");
        assert!(chown.success(), "chown of the PostgreSQL temp dir failed");
        let data_s = data.display().to_string();
        as_postgres(
            &bin,
            "initdb",
            &[
                "-D",
                &data_s,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
        );
        let port = free_port();
        let opts = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -k {} -c fsync=on -c max_connections=100",
            run.display()
        );
        let log = dir.path().join("log").display().to_string();
        as_postgres(
            &bin,
            "pg_ctl",
            &[
                "-D", &data_s, "-l", &log, "-o", &opts, "-w", "-t", "60", "start",
            ],
        );
        let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
        Postgres {
            dir,
            bin,
            port,
            url,
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.dir.path().join("data").display().to_string();
        let _ = std::process::Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .args(["-D", &data, "-m", "immediate", "-w", "stop"])
            .output();
    }
}

/// Path of one of the workspace's binaries (built by `cargo build --workspace --bins`, which
/// tests/run.sh does first). Panics with the fix when it is missing.
pub fn workspace_bin(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let path = target.join("debug").join(name);
    if !path.exists() {
        panic!(
            "{} not found: run `cargo build --workspace --bins` (tests/run.sh does) before the tests",
            path.display()
        );
    }
    path
}

/// A child process with its output captured to a file (shown when a test fails).
pub struct Proc {
    pub child: Option<tokio::process::Child>,
    pub log: PathBuf,
    program: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

impl Proc {
    pub fn spawn(program: PathBuf, args: &[&str], env: &[(&str, &str)], log: PathBuf) -> Proc {
        let mut p = Proc {
            child: None,
            log,
            program,
            args: args.iter().map(|s| s.to_string()).collect(),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        p.start();
        p
    }

    /// (Re)start with the same arguments, appending to the same log.
    pub fn start(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("open process log");
        let mut cmd = tokio::process::Command::new(&self.program);
        cmd.args(&self.args)
            .stdout(log.try_clone().expect("dup log"))
            .stderr(log)
            .kill_on_drop(true);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        self.child = Some(
            cmd.spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.program.display())),
        );
    }

    /// The child is gone (exited, or never started).
    pub fn has_exited(&mut self) -> bool {
        match self.child.as_mut() {
            None => true,
            Some(c) => !matches!(c.try_wait(), Ok(None)),
        }
    }

    /// SIGKILL and reap.
    pub async fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.start_kill();
            let _ = c.wait().await;
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// Wait until `url` answers 200, or panic with the process log.
pub async fn wait_http_ok(url: &str, proc: &mut Proc, within: Duration) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + within;
    loop {
        if let Ok(r) = client.get(url).timeout(Duration::from_secs(2)).send().await {
            if r.status().is_success() {
                return;
            }
        }
        if proc.has_exited() {
            panic!(
                "{url}: the process exited before answering; log:\n{}",
                proc.log_text()
            );
        }
        if Instant::now() > deadline {
            panic!(
                "{url} did not come up within {within:?}; log:\n{}",
                proc.log_text()
            );
        }
        sleep(Duration::from_millis(100)).await;
    }
}

// ---- mosquitto ----------------------------------------------------------------------------

/// A mosquitto broker on its own port and temp dir, with persistence (saved every second and on
/// stop), so a restart keeps persistent sessions and their queued QoS 1 messages. Killed on drop.
pub struct Mosquitto {
    dir: tempfile::TempDir,
    pub port: u16,
    child: Option<std::process::Child>,
    /// Set for a TLS listener: the CA that signed its certificate (publishers verify it).
    pub ca_file: Option<PathBuf>,
}

/// A throwaway certificate authority and a broker certificate for 127.0.0.1, made with the
/// `openssl` command line (no test key is ever committed).
pub struct TestPki {
    pub ca_cert: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
}

impl TestPki {
    pub fn generate(dir: &Path) -> TestPki {
        let run = |args: &[&str]| {
            let out = std::process::Command::new("openssl")
                .args(args)
                .current_dir(dir)
                .output()
                .unwrap_or_else(|e| panic!("cannot run openssl: {e}"));
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        std::fs::write(
            dir.join("san.ext"),
            "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
        )
        .expect("write san.ext");
        run(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=edge test CA",
        ]);
        run(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ]);
        run(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "san.ext",
        ]);
        // The broker may drop root for its own user: let it read the (throwaway) files.
        use std::os::unix::fs::PermissionsExt;
        for f in [
            dir.to_path_buf(),
            dir.join("server.key"),
            dir.join("server.pem"),
            dir.join("ca.pem"),
        ] {
            let mode = if f.is_dir() { 0o755 } else { 0o644 };
            std::fs::set_permissions(&f, std::fs::Permissions::from_mode(mode)).expect("chmod pki");
        }
        TestPki {
            ca_cert: dir.join("ca.pem"),
            server_cert: dir.join("server.pem"),
            server_key: dir.join("server.key"),
        }
    }
}

impl Mosquitto {
    /// For tests: state saved every second, so a restart loses next to nothing.
    pub async fn start() -> Mosquitto {
        Mosquitto::start_with_autosave(1).await
    }

    /// `autosave_seconds`: how often the broker writes its whole state (mosquitto's default is
    /// 1800; every second costs it a full write of its queue per second under load).
    pub async fn start_with_autosave(autosave_seconds: u32) -> Mosquitto {
        Mosquitto::start_with(autosave_seconds, None).await
    }

    /// A broker whose only listener speaks TLS with `pki`'s server certificate.
    pub async fn start_tls(pki: &TestPki) -> Mosquitto {
        Mosquitto::start_with(1, Some(pki)).await
    }

    async fn start_with(autosave_seconds: u32, pki: Option<&TestPki>) -> Mosquitto {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("temp dir for mosquitto");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777))
            .expect("chmod mosquitto dir");
        let port = free_port();
        let conf = dir.path().join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!(
                "listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location {}/\nautosave_interval {autosave_seconds}\nmax_queued_messages 1000000\nmax_inflight_messages 100\nlog_dest stderr\nlog_type error\nlog_type warning\n",
                dir.path().display()
            ) + &pki.map_or(String::new(), |k| {
                format!(
                    "cafile {}\ncertfile {}\nkeyfile {}\nrequire_certificate false\n",
                    k.ca_cert.display(),
                    k.server_cert.display(),
                    k.server_key.display()
                )
            }),
        )
        .expect("write mosquitto.conf");
        let mut m = Mosquitto {
            dir,
            port,
            child: None,
            ca_file: pki.map(|k| k.ca_cert.clone()),
        };
        m.restart().await;
        m
    }

    /// (Re)start the broker on the same port and persistence directory.
    pub async fn restart(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("broker.log"))
            .expect("broker log");
        let child = std::process::Command::new("mosquitto")
            .arg("-c")
            .arg(self.dir.path().join("mosquitto.conf"))
            .stdout(log.try_clone().expect("dup"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start mosquitto (run tests/setup.sh): {e}"));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if Instant::now() > deadline {
                panic!("mosquitto did not listen on {}: {}", self.port, self.log());
            }
            sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stop the broker: `graceful` = SIGTERM (it saves its state), else SIGKILL.
    pub async fn stop(&mut self, graceful: bool) {
        if let Some(mut c) = self.child.take() {
            let sig = if graceful { "-TERM" } else { "-KILL" };
            let _ = std::process::Command::new("kill")
                .arg(sig)
                .arg(c.id().to_string())
                .status();
            let _ = tokio::task::spawn_blocking(move || c.wait()).await;
        }
    }

    /// Leave a persistent session for `client_id` on the broker that holds only a subscription
    /// to `topic` (what a daemon stopped between connect and subscribe, or one with an older
    /// config, leaves behind).
    pub fn leave_session(&self, client_id: &str, topic: &str) {
        let out = std::process::Command::new("mosquitto_sub")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-i", client_id, "-c", "-q", "1", "-t", topic, "-E"])
            .output()
            .unwrap_or_else(|e| panic!("cannot run mosquitto_sub (run tests/setup.sh): {e}"));
        assert!(
            out.status.success(),
            "mosquitto_sub failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("broker.log")).unwrap_or_default()
    }

    /// Publish with `mosquitto_pub` (a separate process, as a sensor would).
    pub fn publish(&self, topic: &str, payload: &[u8], qos: u8) {
        use std::io::Write;
        let mut child = std::process::Command::new("mosquitto_pub")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-q",
                &qos.to_string(),
                "-t",
                topic,
                "-s",
            ])
            .args(
                self.ca_file
                    .iter()
                    .flat_map(|ca| ["--cafile".into(), ca.display().to_string()]),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run mosquitto_pub (run tests/setup.sh): {e}"));
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(payload)
            .expect("write payload");
        let out = child.wait_with_output().expect("mosquitto_pub");
        assert!(
            out.status.success(),
            "mosquitto_pub failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

// ---- benchmark helpers ----------------------------------------------------------------------

/// The release daemon the benchmarks run (`EDGE_DAEMON_BIN`, else `target/release`).
pub fn release_daemon() -> PathBuf {
    let p = std::env::var_os("EDGE_DAEMON_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/release/edge-daemon"));
    assert!(
        p.exists(),
        "{} missing: run `cargo build --release -p edge-daemon` (tests/bench.sh does)",
        p.display()
    );
    p
}

/// Start the release daemon with `config` and wait until `base` answers `/v1/health`.
pub async fn start_release_daemon(config: &Path, base: &str) -> std::process::Child {
    let child = std::process::Command::new(release_daemon())
        .args(["run", "--config"])
        .arg(config)
        .env("RUST_LOG", "warn")
        .spawn()
        .expect("start the release daemon");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while http.get(format!("{base}/v1/health")).send().await.is_err() {
        assert!(Instant::now() < deadline, "daemon did not come up");
        sleep(Duration::from_millis(50)).await;
    }
    child
}

/// A `/proc/<pid>/status` figure in kB (`VmRSS:`, `VmHWM:`).
pub fn rss_kb(pid: u32, field: &str) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap()
}

/// A test photo from `models/test-images` (public test photos fetched from registry packages by
/// `models/fetch.sh`).
pub fn test_image(name: &str) -> Vec<u8> {
    let p = workspace_root().join("models/test-images").join(name);
    std::fs::read(&p).unwrap_or_else(|e| {
        panic!(
            "{}: {e} — run `bash models/fetch.sh` (tests/setup.sh does)",
            p.display()
        )
    })
}

/// The lower half of a portrait (shoulders, no face), as a JPEG: a photo a box must refuse.
pub fn no_face_photo() -> Vec<u8> {
    let img = image::load_from_memory(&test_image("obama.jpg"))
        .unwrap()
        .to_rgb8();
    let (w, h) = img.dimensions();
    let lower = image::imageops::crop_imm(&img, 0, h / 2 + h / 8, w, h / 2 - h / 8).to_image();
    let mut out = std::io::Cursor::new(Vec::new());
    lower.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

/// A box's `GET /v1/sensors` (sensors, alarms and counters) with its admin token; panics unless
/// it answers 200 with JSON.
pub async fn box_sensors(
    http: &reqwest::Client,
    base: &str,
    admin_token: &str,
) -> serde_json::Value {
    let r = http
        .get(format!("{base}/v1/sensors"))
        .bearer_auth(admin_token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {base}/v1/sensors: {e}"));
    let status = r.status().as_u16();
    assert_eq!(status, 200, "GET {base}/v1/sensors answered {status}");
    r.json()
        .await
        .unwrap_or_else(|e| panic!("GET {base}/v1/sensors: not JSON: {e}"))
}
