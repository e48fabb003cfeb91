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

/// Every module of a crate's `src`, named by its file (`gate/keeper.rs` → `gate::keeper`,
/// `gate/mod.rs` and `gate.rs` → `gate`; not `lib.rs`, `main.rs` or `bin/`) and, for each, the
/// other modules its non-test code names through `crate::…`, `super::…` or `self::…` paths
/// (`use` lines, paths in code and in doc links alike). A path names the deepest module it
/// goes through: `crate::gate::keeper::Msg` names `gate::keeper`, `crate::gate::Thing` names
/// `gate`. `super::` is taken from the file's module (in an inline module of a file that reads
/// one level too high, which can only add edges). A parent's `mod child;` declares, it does not
/// import; the parent's paths relative to it (`child::x`) are not read.
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
    let mut all = Vec::new();
    rs_files(src, &mut all);
    let mut files: HashMap<String, Vec<std::path::PathBuf>> = HashMap::new();
    for path in all {
        let rel = path.strip_prefix(src).unwrap().with_extension("");
        let mut segs: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().to_string())
            .collect();
        if matches!(segs[0].as_str(), "lib" | "main" | "bin") {
            continue;
        }
        if segs.last().is_some_and(|s| s == "mod") {
            segs.pop();
        }
        files.entry(segs.join("::")).or_default().push(path);
    }
    let mut graph = std::collections::BTreeMap::new();
    for (module, fs) in &files {
        let own: Vec<&str> = module.split("::").collect();
        let mut deps = BTreeSet::new();
        for f in fs {
            let text = std::fs::read_to_string(f).unwrap();
            // Tests sit at the end of a file (`#[cfg(test)] mod tests { … }`), and may name anything.
            let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or("");
            for path in crate_paths(code) {
                let mut segs: Vec<&str> = path.iter().map(String::as_str).collect();
                let mut base: Vec<&str> = match segs.first().copied() {
                    Some("crate") => Vec::new(),
                    Some("self") => own.clone(),
                    Some("super") => own[..own.len() - 1].to_vec(),
                    _ => unreachable!("crate_paths gives crate/self/super paths"),
                };
                segs.remove(0);
                while segs.first() == Some(&"super") {
                    segs.remove(0);
                    base.pop();
                }
                base.extend(segs);
                // The deepest module on the path.
                if let Some(m) = (1..=base.len())
                    .rev()
                    .map(|n| base[..n].join("::"))
                    .find(|m| files.contains_key(m))
                {
                    if m != *module {
                        deps.insert(m);
                    }
                }
            }
        }
        graph.insert(module.clone(), deps);
    }
    graph
}

/// Every path in `code` that starts with `crate::`, `self::` or `super::`, with `{…}` groups
/// expanded (`crate::{a::{b, c}, d}` gives `crate::a::b`, `crate::a::c`, `crate::d`).
fn crate_paths(code: &str) -> Vec<Vec<String>> {
    fn ident(s: &str) -> &str {
        let end = s
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(s.len());
        &s[..end]
    }
    /// Expand the use tree at the start of `s` below `prefix`.
    fn tree(s: &str, prefix: &[String], out: &mut Vec<Vec<String>>) {
        let s = s.trim_start();
        if s.is_empty() {
            return; // after a trailing comma
        }
        if let Some(group) = s.strip_prefix('{') {
            // Split the group at its top-level commas.
            let (mut depth, mut start) = (0usize, 0usize);
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        tree(&group[start..i], prefix, out);
                        return;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        tree(&group[start..i], prefix, out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            return;
        }
        let name = ident(s);
        let mut path = prefix.to_vec();
        if !name.is_empty() && name != "self" {
            path.push(name.to_string());
        }
        match s[name.len()..].strip_prefix("::") {
            Some(rest) if !name.is_empty() => tree(rest, &path, out),
            _ => out.push(path),
        }
    }
    let mut out = Vec::new();
    for (i, _) in code.match_indices("::") {
        let head_at = code[..i]
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
            .last()
            .map_or(i, |(j, _)| j);
        let word = &code[head_at..i];
        // Not `$crate::`, and not the second `super` of `super::super::x` (one path, read from
        // its first `super`).
        let inner = code[..head_at].ends_with("::") || code[..head_at].ends_with('$');
        if matches!(word, "crate" | "self" | "super") && !inner {
            tree(&code[i + 2..], &[word.to_string()], &mut out);
        }
    }
    out
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

/// No module of a crate may reach itself through `crate::`/`super::`/`self::` paths, between
/// folders or inside one: each crate reads as layers.
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

/// The graph reads folders: a file is a module named by its path, `super::`/`self::` paths count,
/// a path names the deepest module it goes through, tests are not read, and a circle inside one
/// folder (a `mod.rs` and its own child) is found like any other.
#[test]
fn the_graph_names_modules_by_file_and_sees_circles_inside_a_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path();
    let write = |p: &str, text: &str| {
        let p = src.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    let set = |ms: &[&str]| -> BTreeSet<String> { ms.iter().map(|m| m.to_string()).collect() };
    write("lib.rs", "pub mod api;\npub mod gate;\npub mod store;\n");
    write("main.rs", "use crate::api::Thing;\n");
    write(
        "store/mod.rs",
        "pub mod outbox;\npub mod writer;\npub struct Store;\n",
    );
    write("store/outbox.rs", "use super::Store;\n");
    write(
        "store/writer.rs",
        "use super::{\n    outbox::Tag,\n    Store,\n};\n",
    );
    write(
        "gate/mod.rs",
        "pub mod keeper;\npub use self::keeper::Msg;\n",
    );
    write(
        "gate/keeper.rs",
        "use crate::store::{writer::{self, Writer},};\n/// See [`crate::api::Thing`].\n\
         #[cfg(test)]\nmod tests {\n    use crate::gate::Msg;\n}\n",
    );
    write("api.rs", "pub struct Thing(crate::gate::keeper::Msg);\n");
    let g = module_graph(src);
    assert_eq!(
        g.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "api",
            "gate",
            "gate::keeper",
            "store",
            "store::outbox",
            "store::writer"
        ]
    );
    assert_eq!(g["store"], set(&[]));
    assert_eq!(g["store::outbox"], set(&["store"]));
    assert_eq!(g["store::writer"], set(&["store", "store::outbox"]));
    assert_eq!(g["gate"], set(&["gate::keeper"]));
    assert_eq!(g["gate::keeper"], set(&["api", "store::writer"]));
    assert_eq!(g["api"], set(&["gate::keeper"]));
    assert_eq!(circles(&g), vec![set(&["api", "gate::keeper"])]);

    // `store/mod.rs` starting its own writer, which names the store: a circle in one folder
    // (the outbox, which the writer uses and which uses the store, is in it too).
    write(
        "store/mod.rs",
        "pub mod outbox;\npub mod writer;\npub struct Store;\n\
         pub fn start() { crate::store::writer::start() }\n",
    );
    let g = module_graph(src);
    assert!(circles(&g).contains(&set(&["store", "store::outbox", "store::writer"])));
}
