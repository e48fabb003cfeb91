//! Errors of the face pass. Each message names the field or file and the reason.

use std::path::PathBuf;

use thiserror::Error;

/// Why an image could not be turned into pixels. Returned before any large allocation.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DecodeError {
    #[error("image: empty input")]
    Empty,
    #[error("image: input is {bytes} bytes, more than max_input_bytes = {max}")]
    InputTooLarge { bytes: usize, max: usize },
    #[error("image: format not recognised (only JPEG and PNG are accepted)")]
    UnknownFormat,
    #[error("image: {field} over the limit: {reason}")]
    TooLarge { field: &'static str, reason: String },
    #[error("image: corrupt or truncated: {reason}")]
    Corrupt { reason: String },
    #[error("image: {width}x{height} is smaller than the minimum {min}x{min}")]
    TooSmall { width: u32, height: u32, min: u32 },
}

/// Errors of the runtime, the models and inference.
#[derive(Debug, Error)]
pub enum FaceError {
    #[error(
        "runtime.library_path = {path}: cannot load ONNX Runtime: {reason} \
         (run `bash models/fetch.sh`, which installs models/runtime/libonnxruntime.so 1.31.1)"
    )]
    RuntimeLoad { path: PathBuf, reason: String },
    #[error("runtime: {reason}")]
    Runtime { reason: String },
    #[error("model manifest {path}: {reason}")]
    Manifest { path: PathBuf, reason: String },
    #[error("model {model}: {reason} (run `bash models/fetch.sh`)")]
    ModelFile { model: String, reason: String },
    #[error("model {model}: {reason}")]
    Model { model: String, reason: String },
    #[error("model {model}: inference failed: {reason}")]
    Inference { model: String, reason: String },
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error("gallery: {reason}")]
    Gallery { reason: String },
}
