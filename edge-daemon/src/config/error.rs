//! How every configuration and profile error reads: ``file: field `x`: reason``, with TOML
//! syntax and type errors turned into the key on the line the parser points at. Below every
//! config module (`config`, `config::gate_profile`, `config::face`, `config::sensor*`, the cloud
//! link's settings in `config::cloud`), so none of them needs another to report an error.

use std::fmt;
use std::path::{Path, PathBuf};

/// A configuration or profile problem: which file, which field, why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub file: PathBuf,
    pub field: String,
    pub reason: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: field `{}`: {}",
            self.file.display(),
            self.field,
            self.reason
        )
    }
}

impl ConfigError {
    pub fn new(file: &Path, field: &str, reason: impl Into<String>) -> ConfigError {
        ConfigError {
            file: file.to_path_buf(),
            field: field.to_string(),
            reason: reason.into(),
        }
    }

    /// Turn a TOML syntax/type error into file + field + reason. The field is the key on the
    /// line the parser points at (or the table header there), so the installer can find it.
    pub fn toml(file: &Path, text: &str, e: &toml::de::Error) -> ConfigError {
        let field = e
            .span()
            .map(|span| field_at(text, span.start))
            .unwrap_or_else(|| "-".to_string());
        ConfigError::new(file, &field, e.message().trim().to_string())
    }
}

fn field_at(text: &str, offset: usize) -> String {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let line_no = text[..start].matches('\n').count() + 1;
    let line = text[start..end].trim();
    let key = match line.split_once('=') {
        Some((k, _)) => k.trim(),
        None => line.trim_matches(|c| c == '[' || c == ']'),
    };
    format!("{key} (line {line_no})")
}

/// Parse TOML text with errors that name the field.
pub fn parse_toml<T: serde::de::DeserializeOwned>(
    file: &Path,
    text: &str,
) -> Result<T, ConfigError> {
    toml::from_str(text).map_err(|e| ConfigError::toml(file, text, &e))
}
