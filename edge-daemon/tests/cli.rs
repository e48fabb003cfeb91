//! The binary's command line: check-config accepts the shipped example and refuses broken
//! configs and profiles with exit code 64 and a message naming the file and field.

use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_edge-daemon"))
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("edge-daemon.example.toml")
}

#[test]
fn example_config_checks_ok() {
    let out = bin().arg("check-config").arg(example()).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ok:"));
}

#[test]
fn bad_config_exits_64_naming_the_field() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(example())
        .unwrap()
        .replace("held_open_seconds = 30", "held_open_seconds = 0");
    let text = text.replace(
        "profiles_dir = \"../device-profiles\"",
        &format!(
            "profiles_dir = \"{}\"",
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../device-profiles")
                .display()
        ),
    );
    let f = tmp.path().join("bad.toml");
    std::fs::write(&f, text).unwrap();
    for args in [vec!["check-config"], vec!["run", "--config"]] {
        let out = bin().args(&args).arg(&f).output().unwrap();
        assert_eq!(out.status.code(), Some(64), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("bad.toml") && err.contains("doors[0].held_open_seconds"),
            "{err}"
        );
    }
    let out = bin()
        .arg("check-config")
        .arg(tmp.path().join("missing.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));
}

#[test]
fn malformed_profile_exits_64_naming_file_and_field() {
    let tmp = tempfile::tempdir().unwrap();
    let profiles = tmp.path().join("profiles");
    std::fs::create_dir(&profiles).unwrap();
    let src =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../device-profiles/waveshare-relay-8ch.toml");
    let text = std::fs::read_to_string(src)
        .unwrap()
        .replace("kind = \"coil\"", "kind = \"relay\"");
    std::fs::write(profiles.join("waveshare-relay-8ch.toml"), text).unwrap();
    let cfg = std::fs::read_to_string(example()).unwrap().replace(
        "profiles_dir = \"../device-profiles\"",
        "profiles_dir = \"profiles\"",
    );
    let f = tmp.path().join("edge.toml");
    std::fs::write(&f, cfg).unwrap();
    let out = bin().arg("check-config").arg(&f).output().unwrap();
    assert_eq!(out.status.code(), Some(64));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("waveshare-relay-8ch.toml") && err.contains("kind") && err.contains("relay"),
        "{err}"
    );
}

#[test]
fn signed_command_from_keygen_and_sign_onetap_is_valid_json() {
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("k");
    let out = bin()
        .arg("keygen")
        .arg("--secret-out")
        .arg(&key)
        .output()
        .unwrap();
    assert!(out.status.success());
    let public = String::from_utf8(out.stdout).unwrap();
    let vk = edge_sync::onetap::parse_public_key(public.trim()).unwrap();
    let out = bin()
        .args([
            "sign-onetap",
            "--community",
            "c",
            "--door",
            "d",
            "--person",
            "p",
            "--key",
        ])
        .arg(&key)
        .output()
        .unwrap();
    assert!(out.status.success());
    let cmd: edge_sync::SignedCommand = serde_json::from_slice(&out.stdout).unwrap();
    let now = edge_daemon::os_clock::wall_ms();
    assert!(cmd.verify(&vk, "c", now, now).is_ok());
}
