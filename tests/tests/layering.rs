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

/// Top-level modules of a crate's `src` (files and folders, not `lib.rs`/`main.rs`) and, for
/// each, the other top-level modules its non-test code names through `crate::…`.
fn module_graph(src: &std::path::Path) -> std::collections::BTreeMap<String, BTreeSet<String>> {
    fn rs_files(p: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        if p.is_dir() {
            for e in std::fs::read_dir(p).unwrap() {
                rs_files(&e.unwrap().path(), out);
            }
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p.to_path_buf());
        }
    }
    let mut files: HashMap<String, Vec<std::path::PathBuf>> = HashMap::new();
    for e in std::fs::read_dir(src).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if name == "lib" || name == "main" || name == "bin" {
            continue;
        }
        let mut fs = Vec::new();
        rs_files(&path, &mut fs);
        if !fs.is_empty() {
            files.entry(name).or_default().extend(fs);
        }
    }
    let mut graph = std::collections::BTreeMap::new();
    for (module, fs) in &files {
        let mut deps = BTreeSet::new();
        for f in fs {
            let text = std::fs::read_to_string(f).unwrap();
            // Tests sit at the end of a file (`#[cfg(test)] mod tests { … }`), and may name anything.
            let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or("");
            for (i, _) in code.match_indices("crate::") {
                let rest = &code[i + "crate::".len()..];
                let names: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
                    let end = group.find('}').unwrap_or(group.len());
                    group[..end]
                        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .collect()
                } else {
                    vec![rest
                        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .next()
                        .unwrap_or("")]
                };
                for n in names {
                    if n != module && files.contains_key(n) {
                        deps.insert(n.to_string());
                    }
                }
            }
        }
        graph.insert(module.clone(), deps);
    }
    graph
}

/// Every group of modules that reach each other (strongly connected, more than one module).
fn circles(graph: &std::collections::BTreeMap<String, BTreeSet<String>>) -> Vec<BTreeSet<String>> {
    let reach = |from: &String| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(m) = todo.pop() {
            for d in &graph[&m] {
                if seen.insert(d.clone()) {
                    todo.push(d.clone());
                }
            }
        }
        seen
    };
    let reaches: HashMap<&String, BTreeSet<String>> = graph.keys().map(|m| (m, reach(m))).collect();
    let mut out: Vec<BTreeSet<String>> = Vec::new();
    for m in graph.keys() {
        let group: BTreeSet<String> = graph
            .keys()
            .filter(|n| *n == m || (reaches[m].contains(*n) && reaches[*n].contains(m)))
            .cloned()
            .collect();
        if group.len() > 1 && !out.contains(&group) {
            out.push(group);
        }
    }
    out
}

/// No module of a crate may reach itself through `crate::` imports: each crate reads as layers.
#[test]
fn no_import_circles_between_modules() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for krate in [
        "cloud-core/src",
        "cloud-core/rules/src",
        "edge-daemon/src",
        "edge-daemon/rules/src",
        "edge-sync/src",
        "edge-face/src",
    ] {
        let graph = module_graph(&root.join(krate));
        assert!(
            graph.len() >= 3,
            "{krate}: only {} modules found",
            graph.len()
        );
        let found = circles(&graph);
        assert!(
            found.is_empty(),
            "{krate}: modules that import each other in a circle: {found:?}"
        );
        eprintln!("{krate}: {} modules, no circle", graph.len());
    }
}

/// The circle finder finds circles.
#[test]
fn the_circle_finder_finds_circles() {
    let g: std::collections::BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
    .collect();
    let found = circles(&g);
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0],
        ["a", "b", "c"].into_iter().map(String::from).collect()
    );
}
