//! The configuration the cloud keeps for this box (`edge_sync::boxconfig`) laid over the TOML
//! file: its four sections (`[[devices]]`, `[[doors]]`, `[[face.doors]]`, `[[face.cameras]]`)
//! replace the file's, and the result goes through [`EdgeConfig::parse`] — the very check the
//! file alone goes through. Everything else (identity, cloud link, store, API, MQTT, models,
//! sensors' profiles) stays the file's: what the box needs before it can reach the cloud.
//!
//! What the box made of the revisions it was sent is kept in one JSON file beside the store
//! ([`OverlayState`], [`state_path`]), written atomically: the revision applied (absent: the
//! file alone) and the last one refused, with the field and the reason.

use std::path::{Path, PathBuf};

use edge_sync::boxconfig::{
    source, BoxConfigReportV1, BoxConfigV1, BoxSectionsV1, CameraV1, ConfigRefusalV1, DoorWiringV1,
    FaceDoorV1, ModbusDeviceV1, PresenceV1, RtuV1, TcpV1, BOX_CONFIG_VERSION,
};
use serde::{Deserialize, Serialize};

use crate::config::gate_profile::Parity;
use crate::config::{ConfigError, EdgeConfig};

/// What the box made of the cloud's revisions. Missing file: nothing yet.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverlayState {
    pub version: u32,
    #[serde(default)]
    pub applied: Option<BoxConfigV1>,
    #[serde(default)]
    pub refused: Option<ConfigRefusalV1>,
    /// The revision applied before `applied`, kept until the box has started on `applied`: if
    /// it cannot, the box goes back to this one ([`roll_back`]).
    #[serde(default)]
    pub previous: Option<BoxConfigV1>,
}

impl OverlayState {
    /// The newest revision judged (applied or refused): the box asks the cloud for newer ones.
    pub fn judged(&self) -> i64 {
        let a = self.applied.as_ref().map_or(0, |c| c.revision);
        let r = self.refused.as_ref().map_or(0, |r| r.revision);
        a.max(r)
    }
}

/// `<store path>.cloud-config.json`: beside the store, never inside sled's own folder.
pub fn state_path(store_path: &Path) -> PathBuf {
    let mut name = store_path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "store".into());
    name.push(".cloud-config.json");
    store_path.with_file_name(name)
}

pub fn load_state(path: &Path) -> Result<OverlayState, String> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| format!("{}: cannot read: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(OverlayState::default()),
        Err(e) => Err(format!("{}: cannot read: {e}", path.display())),
    }
}

/// Write `state` so that a crash leaves the old file or the new one, never a mix: a temporary
/// file, fsync, rename, fsync of the folder.
pub fn save_state(path: &Path, state: &OverlayState) -> Result<(), String> {
    use std::io::Write;
    let fail = |e: std::io::Error| format!("{}: cannot write: {e}", path.display());
    let tmp = path.with_extension("json.tmp");
    let bytes = serde_json::to_vec_pretty(state).map_err(|e| e.to_string())?;
    let mut f = std::fs::File::create(&tmp).map_err(fail)?;
    f.write_all(&bytes).map_err(fail)?;
    f.sync_all().map_err(fail)?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(fail)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(fail)?;
    }
    Ok(())
}

/// The file at `file` with `sections` in place of its own, checked as the file alone is.
/// Errors name the field as the cloud's document does (`face_doors[0].door`, `cameras[1]…`).
pub fn compose(file: &Path, sections: &BoxSectionsV1) -> Result<EdgeConfig, ConfigError> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| ConfigError::new(file, "-", format!("cannot read file: {e}")))?;
    compose_text(file, &text, sections)
}

pub fn compose_text(
    file: &Path,
    text: &str,
    sections: &BoxSectionsV1,
) -> Result<EdgeConfig, ConfigError> {
    let mut table: toml::Table =
        toml::from_str(text).map_err(|e| ConfigError::toml(file, text, &e))?;
    let value = |name: &str, v: Result<toml::Value, toml::ser::Error>| {
        v.map_err(|e| ConfigError::new(file, name, format!("cannot be written as TOML: {e}")))
    };
    table.insert(
        "devices".into(),
        value("devices", toml::Value::try_from(&sections.devices))?,
    );
    table.insert(
        "doors".into(),
        value("doors", toml::Value::try_from(&sections.doors))?,
    );
    let face_wanted = !sections.face_doors.is_empty() || !sections.cameras.is_empty();
    match table.get_mut("face").and_then(|f| f.as_table_mut()) {
        Some(face) => {
            face.insert(
                "doors".into(),
                value("face_doors", toml::Value::try_from(&sections.face_doors))?,
            );
            face.insert(
                "cameras".into(),
                value("cameras", toml::Value::try_from(&sections.cameras))?,
            );
        }
        None if face_wanted => {
            let field = if sections.face_doors.is_empty() {
                "cameras"
            } else {
                "face_doors"
            };
            return Err(ConfigError::new(
                file,
                field,
                "this box has no [face] section in its file (ONNX Runtime, models, template key): \
                 it cannot run face doors or cameras",
            ));
        }
        None => {}
    }
    let composed = toml::to_string(&table)
        .map_err(|e| ConfigError::new(file, "-", format!("cannot be written as TOML: {e}")))?;
    EdgeConfig::parse(file, &composed).map_err(|mut e| {
        e.field = cloud_field(&e.field);
        e
    })
}

/// The TOML path of a field as the cloud's document names it; line numbers of the composed
/// text mean nothing to the operator and are dropped.
fn cloud_field(toml_field: &str) -> String {
    let f = toml_field
        .split(" (line ")
        .next()
        .unwrap_or(toml_field)
        .to_string();
    if let Some(rest) = f.strip_prefix("face.doors") {
        format!("face_doors{rest}")
    } else if let Some(rest) = f.strip_prefix("face.cameras") {
        format!("cameras{rest}")
    } else {
        f
    }
}

/// The effective configuration at start: the file, with the applied cloud revision laid over it.
/// A revision that no longer passes with today's file (the file or the profiles changed since)
/// is not used: the file alone runs, and the returned refusal says why.
pub fn effective(
    file_cfg: EdgeConfig,
    state: &OverlayState,
) -> (EdgeConfig, Option<ConfigRefusalV1>) {
    let Some(applied) = &state.applied else {
        return (file_cfg, None);
    };
    match compose(&file_cfg.file, &applied.sections) {
        Ok(cfg) => (cfg, None),
        Err(e) => (
            file_cfg,
            Some(ConfigRefusalV1 {
                revision: applied.revision,
                field: e.field,
                reason: e.reason,
            }),
        ),
    }
}

/// The file's configuration with the saved cloud revision laid over it, for a box with a cloud
/// link (a box alone runs its file): what runs, what was judged, and why a saved revision was
/// not used, if it was not.
pub fn load_effective(file_cfg: EdgeConfig) -> (EdgeConfig, OverlayState, Option<ConfigRefusalV1>) {
    if file_cfg.cloud.is_none() {
        return (file_cfg, OverlayState::default(), None);
    }
    let state = match load_state(&state_path(&file_cfg.store.path)) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "the saved configuration from the cloud is unreadable; running on the file alone until the cloud sends it again");
            OverlayState::default()
        }
    };
    let (cfg, refusal) = effective(file_cfg, &state);
    if let Some(r) = &refusal {
        tracing::error!(revision = r.revision, field = %r.field, reason = %r.reason, "the saved configuration from the cloud no longer passes with this file; running on the file alone");
    }
    (cfg, state, refusal)
}

/// The daemon could not start on the revision it just applied (it passed the check, but a
/// room failed on it, e.g. a face door's models): go back to the revision before it and record
/// the new one as refused with the start's error, so the box neither crash-loops nor asks for
/// it again.
pub fn roll_back(store_path: &Path, error: &str) -> Result<(), String> {
    let path = state_path(store_path);
    let state = load_state(&path)?;
    let Some(failed) = state.applied else {
        return Err("no revision from the cloud was in use".into());
    };
    let back = OverlayState {
        version: BOX_CONFIG_VERSION,
        applied: state.previous,
        refused: Some(ConfigRefusalV1 {
            revision: failed.revision,
            field: "-".into(),
            reason: format!("the box could not start on it: {error}"),
        }),
        previous: None,
    };
    save_state(&path, &back)
}

/// The four sections as the box runs them.
pub fn sections_of(cfg: &EdgeConfig) -> BoxSectionsV1 {
    let parity = |p: Parity| {
        match p {
            Parity::None => "none",
            Parity::Even => "even",
            Parity::Odd => "odd",
        }
        .to_string()
    };
    let devices = cfg
        .devices
        .iter()
        .map(|d| ModbusDeviceV1 {
            id: d.id.clone(),
            profile: d.profile.clone(),
            slave_id: d.slave_id,
            rtu: d.rtu.as_ref().map(|r| RtuV1 {
                port: r.port.display().to_string(),
                baud: r.baud,
                parity: r.parity.map(parity),
                data_bits: r.data_bits,
                stop_bits: r.stop_bits,
            }),
            tcp: d.tcp.as_ref().map(|t| TcpV1 {
                address: t.address.to_string(),
            }),
        })
        .collect();
    let doors = cfg
        .doors
        .iter()
        .map(|d| DoorWiringV1 {
            id: d.id.clone(),
            name: d.name.clone(),
            estate: d.estate.clone(),
            device: d.device.clone(),
            channel: d.channel,
            contact_device: d.contact_device.clone(),
            contact_channel: d.contact_channel,
            monitor_contact: Some(d.monitor_contact),
            pulse_ms: Some(d.pulse_ms),
            held_open_seconds: Some(d.held_open_seconds),
        })
        .collect();
    let (face_doors, cameras) = match &cfg.face {
        None => (Vec::new(), Vec::new()),
        Some(f) => (
            f.doors
                .iter()
                .map(|d| FaceDoorV1 {
                    door: d.door.clone(),
                    threshold: Some(d.threshold),
                    margin: Some(d.margin),
                    confirm_frames: Some(d.confirm_frames),
                    max_gap_ms: Some(d.max_gap_ms),
                    repeat_ms: Some(d.repeat_ms),
                })
                .collect(),
            f.cameras
                .iter()
                .map(|c| CameraV1 {
                    door: c.door.clone(),
                    snapshot_url: c.snapshot_url.clone(),
                    interval_ms: Some(c.interval_ms),
                    timeout_ms: Some(c.timeout_ms),
                    presence: c.presence.as_ref().map(|p| PresenceV1 {
                        device: p.device.clone(),
                        discrete_input: p.discrete_input,
                        poll_ms: Some(p.poll_ms),
                    }),
                })
                .collect(),
        ),
    };
    BoxSectionsV1 {
        devices,
        doors,
        face_doors,
        cameras,
    }
}

/// The report for the cloud: what runs, and the last refusal newer than it.
pub fn report(
    running: &EdgeConfig,
    state: &OverlayState,
    start_refusal: Option<&ConfigRefusalV1>,
) -> BoxConfigReportV1 {
    let applied_revision = match (start_refusal, &state.applied) {
        (None, Some(a)) => a.revision,
        _ => 0,
    };
    let refused = start_refusal
        .or(state.refused.as_ref())
        .filter(|r| r.revision > applied_revision)
        .cloned();
    BoxConfigReportV1 {
        version: BOX_CONFIG_VERSION,
        source: if applied_revision > 0 {
            source::CLOUD
        } else {
            source::FILE
        }
        .into(),
        applied_revision,
        refused,
        effective: sections_of(running),
    }
}

/// The outcome of judging a revision the cloud sent.
#[derive(Debug)]
pub enum Judgement {
    /// Passed the check: saved as applied; the daemon restarts its rooms on it.
    Apply(OverlayState),
    /// Refused: saved with the field and the reason; the box keeps what it runs.
    Refuse(OverlayState),
}

/// Judge `sent` against the file as it is now. Pure apart from reading the file and profiles.
pub fn judge(file: &Path, state: &OverlayState, sent: &BoxConfigV1) -> Judgement {
    let refuse = |field: String, reason: String| {
        Judgement::Refuse(OverlayState {
            version: BOX_CONFIG_VERSION,
            applied: state.applied.clone(),
            refused: Some(ConfigRefusalV1 {
                revision: sent.revision,
                field,
                reason,
            }),
            previous: None,
        })
    };
    if sent.version != BOX_CONFIG_VERSION {
        return refuse(
            "version".into(),
            format!(
                "version {} is not understood (this box reads {BOX_CONFIG_VERSION})",
                sent.version
            ),
        );
    }
    if let Some(section) = sent.sections.oversized() {
        return refuse(
            section.into(),
            format!(
                "more than {} entries",
                edge_sync::boxconfig::MAX_SECTION_ENTRIES
            ),
        );
    }
    match compose(file, &sent.sections) {
        Ok(_) => Judgement::Apply(OverlayState {
            version: BOX_CONFIG_VERSION,
            applied: Some(sent.clone()),
            refused: None,
            previous: state.applied.clone(),
        }),
        Err(e) => refuse(e.field, e.reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> (PathBuf, String) {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("edge-daemon.example.toml");
        let text = std::fs::read_to_string(&file).unwrap();
        (file, text)
    }

    fn sent(revision: i64, sections: BoxSectionsV1) -> BoxConfigV1 {
        BoxConfigV1 {
            version: BOX_CONFIG_VERSION,
            revision,
            sections,
        }
    }

    #[test]
    fn what_the_box_runs_laid_over_the_file_is_what_it_ran() {
        let (file, text) = example();
        let cfg = EdgeConfig::parse(&file, &text).unwrap();
        let sections = sections_of(&cfg);
        assert_eq!(sections.doors.len(), cfg.doors.len());
        let again = compose_text(&file, &text, &sections).unwrap();
        assert_eq!(sections_of(&again), sections);
        assert_eq!(again.buses.len(), cfg.buses.len());
    }

    #[test]
    fn the_cloud_sections_replace_the_files() {
        let (file, text) = example();
        let cfg = EdgeConfig::parse(&file, &text).unwrap();
        let mut s = sections_of(&cfg);
        s.doors.truncate(1);
        s.doors[0].pulse_ms = Some(900);
        s.doors[0].monitor_contact = None;
        let got = compose_text(&file, &text, &s).unwrap();
        assert_eq!(got.doors.len(), 1);
        assert_eq!(got.doors[0].pulse_ms, 900);
        assert!(
            got.doors[0].monitor_contact,
            "an absent field takes the file's default"
        );
    }

    #[test]
    fn a_bad_revision_is_refused_with_the_field_the_cloud_knows() {
        let (file, text) = example();
        let cfg = EdgeConfig::parse(&file, &text).unwrap();
        let base = sections_of(&cfg);
        type Change = Box<dyn Fn(&mut BoxSectionsV1)>;
        let cases: Vec<(Change, &str)> = vec![
            (
                Box::new(|s| s.doors[0].device = "nowhere".into()),
                "doors[0].device",
            ),
            (
                Box::new(|s| s.devices[0].profile = "no-such-model".into()),
                "devices[0].profile",
            ),
            (
                Box::new(|s| s.devices[0].slave_id = 0),
                "devices[0].slave_id",
            ),
            (
                Box::new(|s| s.doors[1].id = s.doors[0].id.clone()),
                "doors[1].id",
            ),
            (
                Box::new(|s| {
                    s.face_doors.push(FaceDoorV1 {
                        door: "east-gate".into(),
                        threshold: None,
                        margin: None,
                        confirm_frames: None,
                        max_gap_ms: None,
                        repeat_ms: None,
                    })
                }),
                "face_doors",
            ),
        ];
        for (change, field) in cases {
            let mut s = base.clone();
            change(&mut s);
            let e = compose_text(&file, &text, &s).unwrap_err();
            assert_eq!(e.field, field, "{e}");
            assert!(!e.reason.is_empty());
        }
    }

    #[test]
    fn face_doors_are_checked_as_in_the_file() {
        let (file, text) = example();
        let cfg = EdgeConfig::parse(&file, &text).unwrap();
        let face = "\n[face]\nlibrary_path = \"/opt/ort.so\"\nmodels_dir = \"models\"\ntemplate_key_file = \"/tmp/k\"\n";
        let text = text + face;
        let mut s = sections_of(&cfg);
        s.face_doors.push(FaceDoorV1 {
            door: "east-gate".into(),
            threshold: Some(0.6),
            margin: None,
            confirm_frames: None,
            max_gap_ms: None,
            repeat_ms: None,
        });
        let got = compose_text(&file, &text, &s).unwrap();
        assert_eq!(got.face.as_ref().unwrap().doors[0].threshold, 0.6);
        s.face_doors[0].door = "no-door".into();
        assert_eq!(
            compose_text(&file, &text, &s).unwrap_err().field,
            "face_doors[0].door"
        );
        s.face_doors[0].door = "east-gate".into();
        s.cameras.push(CameraV1 {
            door: "north-gate".into(),
            snapshot_url: "http://127.0.0.1:9/snap.jpg".into(),
            interval_ms: None,
            timeout_ms: None,
            presence: None,
        });
        assert_eq!(
            compose_text(&file, &text, &s).unwrap_err().field,
            "cameras[0].door"
        );
    }

    #[test]
    fn judging_keeps_the_applied_revision_through_a_refusal() {
        let (file, _) = example();
        let cfg = EdgeConfig::load(&file).unwrap();
        let good = sections_of(&cfg);
        let state = match judge(&file, &OverlayState::default(), &sent(1, good.clone())) {
            Judgement::Apply(s) => s,
            other => panic!("{other:?}"),
        };
        assert_eq!(state.judged(), 1);
        let mut bad = good.clone();
        bad.doors[0].channel = 999;
        let state = match judge(&file, &state, &sent(2, bad)) {
            Judgement::Refuse(s) => s,
            other => panic!("{other:?}"),
        };
        assert_eq!(state.applied.as_ref().unwrap().revision, 1);
        let r = state.refused.clone().unwrap();
        assert_eq!((r.revision, r.field.as_str()), (2, "doors[0].channel"));
        assert_eq!(state.judged(), 2);
        // The report says what runs (revision 1) and why 2 was refused.
        let rep = report(&cfg, &state, None);
        assert_eq!((rep.source.as_str(), rep.applied_revision), ("cloud", 1));
        assert_eq!(rep.refused.unwrap().revision, 2);
        // A newer version of the document is refused by name, not misread.
        let mut v2 = sent(3, good);
        v2.version = 2;
        match judge(&file, &state, &v2) {
            Judgement::Refuse(s) => assert_eq!(s.refused.unwrap().field, "version"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_state_is_saved_beside_the_store_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        let path = state_path(&store);
        assert_eq!(path, dir.path().join("store.cloud-config.json"));
        assert_eq!(load_state(&path).unwrap(), OverlayState::default());
        let st = OverlayState {
            version: 1,
            applied: Some(sent(4, BoxSectionsV1::default())),
            refused: None,
            previous: Some(sent(3, BoxSectionsV1::default())),
        };
        save_state(&path, &st).unwrap();
        assert_eq!(load_state(&path).unwrap(), st);
        // A start that failed on revision 4 goes back to 3 and records 4 as refused.
        roll_back(&store, "face pass: no models").unwrap();
        let back = load_state(&path).unwrap();
        assert_eq!(back.applied.unwrap().revision, 3);
        let r = back.refused.unwrap();
        assert_eq!(r.revision, 4);
        assert!(r.reason.contains("no models"), "{}", r.reason);
        assert_eq!(back.previous, None);
        std::fs::write(&path, b"{not json").unwrap();
        assert!(load_state(&path).unwrap_err().contains("cannot read"));
    }
}
