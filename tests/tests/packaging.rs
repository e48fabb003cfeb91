//! The Debian packages, installed for real: `packaging/deb/build.sh` builds each from this
//! build's binary, `dpkg -i` installs it, and the result is checked as an installer would find
//! it — the system user (edge-daemon in dialout, for the serial ports), the state directory, the
//! config skeleton that passes `check-config`, a unit systemd accepts — then purged. Needs root
//! or password-less sudo for dpkg (as `tests/setup.sh` does); the CI machine runs as root.

use std::path::Path;
use std::process::Command;

fn run(cmd: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd}: {e}"));
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// `dpkg` as root: directly when the tests run as root (the CI machine), else through
/// `sudo -n` (as `tests/setup.sh` installs its packages).
fn try_as_root(args: &[&str]) -> (bool, String) {
    let (_, uid) = run("id", &["-u"]);
    if uid.trim() == "0" {
        return run(args[0], &args[1..]);
    }
    let (ok, said) = run("sudo", &["-n", "true"]);
    assert!(
        ok,
        "installing packages needs root or password-less sudo (tests/setup.sh needs the same): {said}"
    );
    run("sudo", &[&["-n"], args].concat())
}

fn as_root(args: &[&str]) -> String {
    let (ok, said) = try_as_root(args);
    assert!(ok, "{args:?} failed:\n{said}");
    said
}

fn must(cmd: &str, args: &[&str]) -> String {
    let (ok, said) = run(cmd, args);
    assert!(ok, "{cmd} {args:?} failed:\n{said}");
    said
}

fn install_and_check(name: &str, serial_group: bool) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let tmp = tempfile::tempdir().unwrap();
    let bin = tests::workspace_bin(name);
    let out = must(
        "bash",
        &[
            root.join("packaging/deb/build.sh").to_str().unwrap(),
            name,
            "--bin",
            bin.to_str().unwrap(),
            "--out",
            tmp.path().to_str().unwrap(),
        ],
    );
    let deb = out.trim().lines().last().unwrap().to_string();
    let contents = must("dpkg-deb", &["--contents", &deb]);
    for path in [
        format!("./usr/bin/{name}"),
        format!("./lib/systemd/system/{name}.service"),
        format!("./etc/{name}/{name}.toml"),
    ] {
        assert!(contents.contains(&path), "{path} missing:\n{contents}");
    }
    // Left over from an interrupted run, if anything.
    let _ = try_as_root(&["dpkg", "--purge", name]);
    let said = as_root(&["dpkg", "-i", &deb]);
    assert!(
        said.contains("check-config"),
        "postinst says what to do next:\n{said}"
    );
    let passwd = must("getent", &["passwd", name]);
    assert!(passwd.contains("/var/lib/"), "{passwd}");
    let groups = must("id", &["-nG", name]);
    assert_eq!(groups.contains("dialout"), serial_group, "{groups}");
    let state = must("stat", &["-c", "%U %a", &format!("/var/lib/{name}")]);
    assert_eq!(state.trim(), format!("{name} 750"));
    let conf = format!("/etc/{name}/{name}.toml");
    let perms = must("stat", &["-c", "%U:%G %a", &conf]);
    assert_eq!(perms.trim(), format!("root:{name} 640"));
    // The unit as systemd reads it (the binary it names is there).
    let (ok, said) = run(
        "systemd-analyze",
        &["verify", &format!("/lib/systemd/system/{name}.service")],
    );
    assert!(ok, "systemd-analyze verify:\n{said}");
    let unit = std::fs::read_to_string(format!("/lib/systemd/system/{name}.service")).unwrap();
    assert!(
        unit.contains(&format!("User={name}")) && !unit.contains("DynamicUser"),
        "{unit}"
    );
    if serial_group {
        // The skeleton is the documented example, pointed at the packaged profiles.
        must(&format!("/usr/bin/{name}"), &["check-config", &conf]);
        assert!(
            unit.contains("char-ttyAMA"),
            "ARM boards' UARTs are allowed:\n{unit}"
        );
    }
    as_root(&["dpkg", "--purge", name]);
    assert!(!Path::new(&format!("/usr/bin/{name}")).exists());
    // The state directory survives a purge (the box's identity and its pass log).
    assert!(Path::new(&format!("/var/lib/{name}")).exists());
}

#[test]
fn the_debian_packages_install_a_user_a_unit_and_a_config_skeleton() {
    install_and_check("edge-daemon", true);
    install_and_check("cloud-core", false);
}
