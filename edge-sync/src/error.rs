//! The one error body of every HTTP API in the project, the box's local API and the cloud's:
//! `{"error": {"code": "...", "message": "...", "field": "..."}}` — `code` for programs,
//! `message` for people, `field` (when one input is to blame) naming it as the request spells
//! it (`people[0].kind`, `mode`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ErrorBodyV1 {
    pub error: ErrorV1,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ErrorV1 {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ErrorBodyV1 {
    pub fn new(code: &str, message: impl Into<String>, field: Option<&str>) -> ErrorBodyV1 {
        ErrorBodyV1 {
            error: ErrorV1 {
                code: code.to_string(),
                message: message.into(),
                field: field.map(str::to_string),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shape_is_error_code_message_and_field_only_when_named() {
        let v = serde_json::to_value(ErrorBodyV1::new("bad", "field `x`: why", Some("x"))).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"error": {"code": "bad", "message": "field `x`: why", "field": "x"}})
        );
        let v = serde_json::to_value(ErrorBodyV1::new("busy", "later", None)).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"error": {"code": "busy", "message": "later"}})
        );
    }
}
