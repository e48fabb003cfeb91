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

/// Under systemd (`Type=notify`) the daemon says READY=1 once it serves, and STOPPING=1 on
/// SIGTERM, then exits 0.
#[test]
fn speaks_sd_notify_and_stops_cleanly_on_sigterm() {
    use std::os::unix::net::UnixDatagram;
    use std::time::Duration;
    let tmp = tempfile::tempdir().unwrap();
    let sock_path = tmp.path().join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    // Generous: the first start of a freshly linked debug binary on a loaded 2-core machine
    // has been seen to take over 30 s (a CI run with a parallel build).
    sock.set_read_timeout(Some(Duration::from_secs(120)))
        .unwrap();
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let profiles = Path::new(env!("CARGO_MANIFEST_DIR")).join("../device-profiles");
    let cfg = format!(
        "profiles_dir = \"{}\"\n[box]\nid = \"b\"\ncommunity = \"c\"\n[store]\npath = \"{}\"\n[api]\nlisten = \"127.0.0.1:0\"\nonetap_public_key = \"{}\"\n",
        profiles.display(),
        tmp.path().join("store").display(),
        edge_sync::onetap::encode_public_key(&key.verifying_key())
    );
    let f = tmp.path().join("edge.toml");
    std::fs::write(&f, cfg).unwrap();
    struct KillOnDrop(std::process::Child);
    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    // systemd names the watched process by pid: `exec` keeps the shell's.
    let mut child = KillOnDrop(
        Command::new("sh")
            .arg("-c")
            .arg("WATCHDOG_PID=$$ exec \"$0\" run --config \"$1\"")
            .arg(env!("CARGO_BIN_EXE_edge-daemon"))
            .arg(&f)
            .env("NOTIFY_SOCKET", &sock_path)
            .env("WATCHDOG_USEC", "400000")
            .spawn()
            .unwrap(),
    );
    let mut buf = [0u8; 256];
    let mut next = || {
        let n = sock
            .recv(&mut buf)
            .expect("no notification from the daemon");
        String::from_utf8_lossy(&buf[..n]).trim().to_string()
    };
    assert_eq!(next(), "READY=1");
    // The watchdog is fed (every 200 ms: half of WATCHDOG_USEC) while the core answers.
    assert_eq!(next(), "WATCHDOG=1");
    assert_eq!(next(), "WATCHDOG=1");
    let status = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut said = next();
    while said == "WATCHDOG=1" {
        said = next();
    }
    assert_eq!(said, "STOPPING=1");
    let exit = child.0.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
}
