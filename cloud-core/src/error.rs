//! The one error type every handler returns, and the JSON body extractor that turns bad input
//! into a 400 naming the field. Body shape: `{"error": {"code", "message", "field"?}}`; `code`
//! is stable, `message` is for people.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
        }
    }
    /// 400 for one field: `field` names it, `reason` says what is wrong.
    pub fn invalid(field: &str, reason: impl std::fmt::Display) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_field",
            message: format!("field `{field}`: {reason}"),
            field: Some(field.to_string()),
        }
    }
    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found in your scope"),
        )
    }
    pub fn unauthenticated(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
    }
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, code, message)
    }
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
    /// The object store failed: unreachable, or it answered with an error (the message says
    /// which). 503: nothing was stored, the caller may retry.
    pub fn object_store(e: std::io::Error) -> ApiError {
        tracing::warn!(error = %e, "object store failed");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "object_store_unavailable",
            format!("object store: {e}"),
        )
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> ApiError {
        if let sqlx::Error::Database(d) = &e {
            if d.is_unique_violation() {
                return ApiError::conflict(
                    "already_exists",
                    "an entry with that key already exists",
                );
            }
            if d.is_foreign_key_violation() {
                return ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "unknown_reference",
                    "a referenced id does not exist",
                );
            }
        }
        // The database's own message may carry data; it goes to the log, not to the caller.
        tracing::error!(error = %e, "database error");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable",
            "the database did not answer; try again",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body =
            edge_sync::error::ErrorBodyV1::new(self.code, self.message, self.field.as_deref());
        (self.status, axum::Json(body)).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// A JSON body whose errors name the field (`people[2].phone: invalid type…`).
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<S, T> FromRequest<S> for Body<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = match axum::body::Bytes::from_request(req, state).await {
            Ok(b) => b,
            Err(e) => {
                return Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "body_rejected",
                    format!("request body rejected: {e}"),
                ))
            }
        };
        parse_json(&bytes).map(Body)
    }
}

/// Query parameters whose errors name the parameter (axum's own `Query` answers in plain text).
#[derive(Debug)]
pub struct Q<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for Q<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded_parse(query));
        serde_path_to_error::deserialize(de).map(Q).map_err(|e| {
            let path = e.path().to_string();
            let msg = e.into_inner().to_string();
            let field = if path == "." || path.is_empty() {
                missing_field(&msg).unwrap_or_else(|| "query".to_string())
            } else {
                path
            };
            ApiError::invalid(&field, msg)
        })
    }
}

fn form_urlencoded_parse(q: &str) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(q.as_bytes())
}

/// Parse JSON naming the failing field by its path.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let field = if path == "." || path.is_empty() {
            // serde names a missing field in its message: use it as the field.
            missing_field(&inner.to_string()).unwrap_or_else(|| "body".to_string())
        } else {
            path
        };
        ApiError::invalid(&field, strip_position(&inner.to_string()))
    })
}

fn missing_field(msg: &str) -> Option<String> {
    let rest = msg.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_string())
}

fn strip_position(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Map axum's own JSON rejection (used nowhere we control, kept for completeness of handlers
/// that take `axum::Json`).
impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> ApiError {
        ApiError::invalid("body", e.body_text())
    }
}

// ---- small validators shared by the handlers ------------------------------------------------

/// A required text field: trimmed, non-empty, at most `max` characters.
pub fn text(field: &str, v: &str, max: usize) -> ApiResult<String> {
    let t = v.trim();
    if t.is_empty() {
        return Err(ApiError::invalid(field, "must not be empty"));
    }
    if t.chars().count() > max {
        return Err(ApiError::invalid(
            field,
            format!("longer than {max} characters"),
        ));
    }
    if t.chars().any(|c| c.is_control()) {
        return Err(ApiError::invalid(field, "contains control characters"));
    }
    Ok(t.to_string())
}

/// A phone number: 5–20 digits, optional leading `+`.
pub fn phone(field: &str, v: &str) -> ApiResult<String> {
    let t = v.trim();
    let digits = t.strip_prefix('+').unwrap_or(t);
    if !(5..=20).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid(
            field,
            "must be 5 to 20 digits, optionally after +",
        ));
    }
    Ok(t.to_string())
}

pub fn lat_lon(lat: Option<f64>, lon: Option<f64>) -> ApiResult<()> {
    if let Some(lat) = lat {
        if !(-90.0..=90.0).contains(&lat) {
            return Err(ApiError::invalid("lat", "must be within -90..=90"));
        }
    }
    if let Some(lon) = lon {
        if !(-180.0..=180.0).contains(&lon) {
            return Err(ApiError::invalid("lon", "must be within -180..=180"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct P {
        name: String,
        rooms: Vec<R>,
    }
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct R {
        floor: i64,
    }

    #[test]
    fn json_errors_name_the_field() {
        let e = parse_json::<P>(br#"{"rooms":[]}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("name"));
        let e =
            parse_json::<P>(br#"{"name":"a","rooms":[{"floor":1},{"floor":"x"}]}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("rooms[1].floor"));
        assert!(e.message.contains("invalid type"), "{}", e.message);
        let e = parse_json::<P>(br#"{"name":"a","rooms":[],"x":1}"#).unwrap_err();
        assert!(e.message.contains("unknown field"), "{}", e.message);
        let e = parse_json::<P>(b"not json").unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn validators_refuse_with_the_field_name() {
        assert!(text("name", "  ", 10).is_err());
        assert_eq!(text("name", " ab ", 10).unwrap(), "ab");
        assert!(text("name", "abcdefghijk", 10).is_err());
        assert!(phone("phone", "+8613800000000").is_ok());
        assert_eq!(
            phone("host_phone", "12ab").unwrap_err().field.as_deref(),
            Some("host_phone")
        );
        assert!(lat_lon(Some(91.0), None).is_err());
    }
}
