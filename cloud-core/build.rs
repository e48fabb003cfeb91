//! Lists `migrations/NNNN_name.sql` for `db.rs`, so adding a migration is adding a file.
//! Refuses a gap or a repeat in the numbers (a migration that would never run, or run twice).

use std::fmt::Write;

fn main() {
    let dir = std::path::Path::new("migrations");
    println!("cargo:rerun-if-changed=migrations");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .expect("cloud-core/migrations is readable")
        .map(|e| {
            e.expect("a migrations entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.ends_with(".sql"))
        .collect();
    files.sort();
    let mut out = String::from("&[\n");
    for (i, file) in files.iter().enumerate() {
        let name = file.trim_end_matches(".sql");
        let version: i64 = name
            .split('_')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| {
                panic!("migration {file}: the name must start with its number (0007_…)")
            });
        assert_eq!(
            version,
            i as i64 + 1,
            "migration {file}: numbers run 1, 2, 3… without gaps or repeats"
        );
        let path = std::fs::canonicalize(dir.join(file)).expect("migration path");
        writeln!(
            out,
            "    ({version}, {name:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .expect("write to a string");
    }
    out.push(']');
    let dest =
        std::path::Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("migrations.rs");
    std::fs::write(dest, out).expect("write migrations.rs");
}
