//! Owns ONNX Runtime: loading the shared library from the configured path (never downloaded,
//! never linked at build time), the one process-wide environment with one shared intra-op pool,
//! and model sessions. This is the only module that touches `ort` and the only one with `unsafe`
//! (MXCSR, see [`set_ftz_daz`]).
//!
//! Why the pool is global: on a 2-core box a spinning pool per session made four models fight
//! for two cores (95 ms end to end vs 31 ms with one shared non-spinning pool, as recorded in
//! the build machine's recipes). Why FTZ/DAZ: the recogniser has subnormal weights, and x86
//! handles subnormals in microcode (80 ms vs 11 ms for a MobileFaceNet, same source).

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use ort::environment::{Environment, GlobalThreadPoolOptions};
use ort::session::builder::GraphOptimizationLevel;
use ort::session::Session;
use ort::value::TensorRef;
use serde::Deserialize;

use crate::error::FaceError;
use crate::manifest::ModelManifest;

/// The runtime section of the daemon config.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeConfig {
    /// Path of `libonnxruntime.so` (1.31.x; `models/fetch.sh` installs it in `models/runtime/`).
    pub library_path: PathBuf,
    /// Threads of the shared intra-op pool; 0 = one per core.
    #[serde(default)]
    pub intra_threads: usize,
}

/// Sets the x86 flush-to-zero and denormals-are-zero bits on the calling thread and returns
/// whether both are now set (always `false` off x86-64). Call on every thread that runs a
/// session; the shared pool's own threads get the same from `with_flush_to_zero`.
#[allow(unsafe_code, deprecated)]
pub fn set_ftz_daz() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_getcsr, _mm_setcsr};
        // SAFETY: MXCSR is per-thread control state; setting bit 15 (FTZ) and bit 6 (DAZ) only
        // changes how this thread's SSE arithmetic treats subnormal numbers, and no memory is
        // touched. The intrinsics are deprecated only in favour of inline assembly, which would
        // be no safer.
        unsafe {
            _mm_setcsr(_mm_getcsr() | 0x8040);
            _mm_getcsr() & 0x8040 == 0x8040
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The loaded runtime. ONNX Runtime allows one environment per process: create this once.
pub struct Runtime {
    env: Environment,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Runtime")
    }
}

impl Runtime {
    /// Loads the library and builds the environment. A missing file, a library that is not ONNX
    /// Runtime, or one older than 1.31 is an error naming `runtime.library_path`, never a panic.
    pub fn init(cfg: &RuntimeConfig) -> Result<Self, FaceError> {
        let path = &cfg.library_path;
        let load_err = |reason: String| FaceError::RuntimeLoad {
            path: path.clone(),
            reason,
        };
        if !path.is_file() {
            return Err(load_err("file not found".into()));
        }
        let started = Instant::now();
        let builder = ort::init_from(path).map_err(|e| load_err(e.to_string()))?;
        let rt = |e: ort::Error| FaceError::Runtime {
            reason: e.to_string(),
        };
        let threads = if cfg.intra_threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            cfg.intra_threads
        };
        let pool = GlobalThreadPoolOptions::default()
            .with_intra_threads(threads)
            .map_err(rt)?
            .with_inter_threads(1)
            .map_err(rt)?
            .with_spin_control(false)
            .map_err(rt)?
            .with_flush_to_zero()
            .map_err(rt)?;
        let env = builder
            .with_name("edge-face")
            .with_telemetry(false)
            .with_global_thread_pool(pool)
            .build()
            .map_err(rt)?;
        tracing::info!(
            library = %path.display(),
            intra_threads = threads,
            duration_ms = started.elapsed().as_millis() as u64,
            "onnx runtime loaded"
        );
        Ok(Self { env })
    }

    /// Opens the model a manifest describes, checking the file's sha256 first.
    pub fn load_model(
        &self,
        manifest: ModelManifest,
        manifest_dir: &Path,
    ) -> Result<OnnxModel, FaceError> {
        let path = manifest.model_path(manifest_dir);
        let name = manifest.name.clone();
        let file_err = |reason: String| FaceError::ModelFile {
            model: name.clone(),
            reason,
        };
        let bytes = std::fs::read(&path)
            .map_err(|e| file_err(format!("cannot read {}: {e}", path.display())))?;
        let got = sha256_hex(&bytes);
        if !got.eq_ignore_ascii_case(&manifest.sha256) {
            return Err(file_err(format!(
                "{} has sha256 {got}, the manifest pins {}",
                path.display(),
                manifest.sha256
            )));
        }
        let model_err = |e: ort::Error| FaceError::Model {
            model: name.clone(),
            reason: e.to_string(),
        };
        let started = Instant::now();
        let session = Session::builder(&self.env)
            .map_err(model_err)?
            .with_optimization_level(GraphOptimizationLevel::Level3)
            .map_err(|e| model_err(e.into()))?
            .with_flush_to_zero()
            .map_err(|e| model_err(e.into()))?
            .commit_from_memory(&bytes)
            .map_err(model_err)?;
        let inputs: Vec<String> = session
            .inputs()
            .iter()
            .map(|o| o.name().to_owned())
            .collect();
        if !inputs.contains(&manifest.input.name) {
            return Err(FaceError::Model {
                model: name,
                reason: format!(
                    "input.name = {:?} but the model's inputs are {inputs:?}",
                    manifest.input.name
                ),
            });
        }
        let outputs: Vec<String> = session
            .outputs()
            .iter()
            .map(|o| o.name().to_owned())
            .collect();
        tracing::info!(
            model = %manifest.name,
            duration_ms = started.elapsed().as_millis() as u64,
            outputs = ?outputs,
            "model loaded"
        );
        Ok(OnnxModel {
            manifest,
            outputs,
            session: Mutex::new(session),
        })
    }
}

/// One model session. `run` needs `&mut Session`, so concurrent callers take turns.
pub struct OnnxModel {
    pub manifest: ModelManifest,
    outputs: Vec<String>,
    session: Mutex<Session>,
}

impl std::fmt::Debug for OnnxModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OnnxModel({})", self.manifest.name)
    }
}

impl OnnxModel {
    /// Output names, in model order.
    pub fn output_names(&self) -> &[String] {
        &self.outputs
    }

    /// Runs the model on one input tensor (shape from the manifest) and copies out the named
    /// f32 outputs, in the order asked.
    pub fn run(&self, input: &[f32], outputs: &[&str]) -> Result<Vec<Vec<f32>>, FaceError> {
        let name = &self.manifest.name;
        let inf = |reason: String| FaceError::Inference {
            model: name.clone(),
            reason,
        };
        let spec = &self.manifest.input;
        if input.len() != spec.len() {
            return Err(inf(format!(
                "input has {} values, the manifest says {}",
                input.len(),
                spec.len()
            )));
        }
        let _ = set_ftz_daz();
        let tensor =
            TensorRef::from_array_view((spec.shape(), input)).map_err(|e| inf(e.to_string()))?;
        // A panic while holding the lock cannot leave the session half-updated in a way we could
        // observe; keep serving rather than poison every later frame.
        let mut session = self.session.lock().unwrap_or_else(|p| p.into_inner());
        let out = session
            .run(ort::inputs![spec.name.as_str() => tensor])
            .map_err(|e| inf(e.to_string()))?;
        let mut res = Vec::with_capacity(outputs.len());
        for o in outputs {
            let v = out
                .get(*o)
                .ok_or_else(|| inf(format!("model has no output {o:?}")))?;
            let (_, data) = v
                .try_extract_tensor::<f32>()
                .map_err(|e| inf(format!("output {o:?}: {e}")))?;
            res.push(data.to_vec());
        }
        Ok(res)
    }
}

/// Lower-case hex sha256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_known_answers() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let long = vec![b'a'; 1000];
        assert_eq!(
            sha256_hex(&long),
            "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"
        );
    }

    #[test]
    fn ftz_daz_is_set_on_this_thread() {
        assert!(set_ftz_daz());
        // A subnormal times one is flushed to zero once FTZ/DAZ are on.
        let tiny = std::hint::black_box(f32::MIN_POSITIVE / 4.0);
        assert_eq!(
            std::hint::black_box(tiny) * std::hint::black_box(1.0f32),
            0.0
        );
    }

    #[test]
    fn a_library_that_is_not_onnx_runtime_is_an_error() {
        // Any shared library without OrtGetApiBase; this test binary never loads the real one.
        let Some(lib) = [
            "/lib/x86_64-linux-gnu/libz.so.1",
            "/usr/lib/x86_64-linux-gnu/libz.so.1",
        ]
        .into_iter()
        .find(|p| Path::new(p).is_file()) else {
            panic!("libz.so.1 not found: this test needs some non-ONNX shared library");
        };
        let cfg = RuntimeConfig {
            library_path: lib.into(),
            intra_threads: 1,
        };
        let e = Runtime::init(&cfg).unwrap_err().to_string();
        assert!(e.contains("runtime.library_path"), "{e}");
    }

    #[test]
    fn missing_library_is_an_error_naming_the_field() {
        let cfg = RuntimeConfig {
            library_path: "/nonexistent/libonnxruntime.so".into(),
            intra_threads: 1,
        };
        let e = Runtime::init(&cfg).unwrap_err().to_string();
        assert!(
            e.contains("runtime.library_path") && e.contains("fetch.sh"),
            "{e}"
        );
    }
}
