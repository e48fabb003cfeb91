//! The layering the compiler enforces, checked where the compiler cannot: the rules crates
//! (`edge-daemon/rules` = `edge-rules`, `cloud-core/rules` = `cloud-rules`) must never gain an
//! I/O dependency — an async runtime, storage, a database, HTTP, MQTT, Modbus or the model
//! runtime — anywhere in their (non-dev) dependency tree. Read from `cargo metadata`.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

/// Crates that do I/O (or exist to). A rules crate that reaches one of them can do I/O.
const IO_CRATES: &[&str] = &[
    "tokio",
    "mio",
    "sled",
    "sqlx",
    "sqlx-core",
    "axum",
    "hyper",
    "reqwest",
    "rumqttc",
    "tokio-modbus",
    "tokio-serial",
    "serialport",
    "ort",
    "rusty-s3",
];

const RULES_CRATES: &[&str] = &["edge-rules", "cloud-rules"];

/// This machine's target triple (metadata for it alone needs no download of other platforms'
/// crates).
fn host() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = std::process::Command::new(rustc)
        .arg("-vV")
        .output()
        .expect("rustc -vV runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV names the host")
        .to_string()
}

fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .args(["--filter-platform", &host()])
        .current_dir(root)
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

/// Package names in the non-dev dependency closure of the package named `root`.
fn closure(meta: &Value, root: &str) -> BTreeSet<String> {
    let names: HashMap<&str, &str> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    let nodes: HashMap<&str, &Value> = meta["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap(), n))
        .collect();
    let start = names
        .iter()
        .find(|(_, n)| **n == root)
        .map(|(id, _)| *id)
        .unwrap_or_else(|| panic!("no package {root} in the workspace"));
    let mut seen = BTreeSet::new();
    let mut todo = vec![start];
    while let Some(id) = todo.pop() {
        if !seen.insert(id) {
            continue;
        }
        for dep in nodes[id]["deps"].as_array().unwrap() {
            let not_dev_only = dep["dep_kinds"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kind"].as_str() != Some("dev"));
            if not_dev_only {
                todo.push(dep["pkg"].as_str().unwrap());
            }
        }
    }
    seen.into_iter().map(|id| names[id].to_string()).collect()
}

#[test]
fn rules_crates_cannot_do_io() {
    let meta = metadata();
    for krate in RULES_CRATES {
        let deps = closure(&meta, krate);
        let bad: Vec<&String> = deps
            .iter()
            .filter(|d| IO_CRATES.contains(&d.as_str()))
            .collect();
        assert!(
            bad.is_empty(),
            "{krate} depends (directly or not) on I/O crates {bad:?}; rules take inputs and return decisions"
        );
        eprintln!(
            "{krate}: {} crates in its tree, none of them I/O",
            deps.len()
        );
    }
}

/// The check itself can fail: the daemon's tree has the I/O crates the rules' trees must not.
#[test]
fn the_check_sees_io_where_there_is_some() {
    let meta = metadata();
    let daemon = closure(&meta, "edge-daemon");
    for c in ["tokio", "sled", "axum", "tokio-modbus"] {
        assert!(daemon.contains(c), "edge-daemon's tree should contain {c}");
    }
    let cloud = closure(&meta, "cloud-core");
    for c in ["tokio", "sqlx", "axum"] {
        assert!(cloud.contains(c), "cloud-core's tree should contain {c}");
    }
}

/// `std` is in every crate's reach; the rules crates must still not use its clocks, files,
/// sockets or threads (time is always a parameter).
#[test]
fn rules_crates_use_no_clock_file_socket_or_thread_from_std() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let forbidden = [
        "SystemTime",
        "Instant::now",
        "std::fs",
        "std::net",
        "std::thread",
        "std::process",
    ];
    let mut files = 0;
    for dir in ["edge-daemon/rules/src", "cloud-core/rules/src"] {
        let mut todo = vec![root.join(dir)];
        while let Some(d) = todo.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let path = e.unwrap().path();
                if path.is_dir() {
                    todo.push(path);
                } else if path.extension().is_some_and(|x| x == "rs") {
                    files += 1;
                    let text = std::fs::read_to_string(&path).unwrap();
                    for word in forbidden {
                        assert!(!text.contains(word), "{} uses `{word}`", path.display());
                    }
                }
            }
        }
    }
    assert!(files >= 10, "only {files} rules files found");
}
