//! The binary's contract with operators and systemd: a bad config exits 64 naming the field,
//! the shipped example passes `check-config`, and `create-admin` refuses a weak password.

use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cloud-core"))
}

#[test]
fn example_config_checks_and_bad_configs_exit_64_naming_the_field() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/cloud-core.example.toml");
    let out = bin()
        .args(["check-config", example])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("config ok"));

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "listen = \"127.0.0.1:1\"\ndata_dir = \"d\"\nonetap_radius_m = -3.0\n",
    )
    .unwrap();
    let out = bin()
        .arg("check-config")
        .arg(&bad)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("onetap_radius_m"), "{err}");

    let out = bin()
        .args(["run", "--config"])
        .arg(dir.path().join("missing.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));

    // A postgres password in DATABASE_URL is never printed.
    let out = bin()
        .args(["check-config", example])
        .env("DATABASE_URL", "postgres://app:s3cret@db:5432/street")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("postgres://app:***@db:5432/street") && !text.contains("s3cret"),
        "{text}"
    );
}

#[test]
fn create_admin_refuses_a_weak_password_and_never_takes_it_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        format!(
            "listen = \"127.0.0.1:0\"\ndatabase_url = \"sqlite://{}?mode=rwc\"\ndata_dir = \"{}\"\n",
            dir.path().join("db").display(),
            dir.path().join("keys").display()
        ),
    )
    .unwrap();
    let run = |pw: &str| {
        bin()
            .args(["create-admin", "--config"])
            .arg(&cfg)
            .args(["--username", "root-admin"])
            .env("CLOUD_ADMIN_PASSWORD", pw)
            .env_remove("DATABASE_URL")
            .output()
            .unwrap()
    };
    let out = run("short");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 10"));
    let out = run("a-long-enough-password");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The same name twice: refused, not duplicated.
    let out = run("a-long-enough-password");
    assert!(!out.status.success());
}
