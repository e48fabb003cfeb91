//! Every response the cloud sends in a test is checked against what `/openapi.json` says that
//! route answers: the status must be documented, and a JSON body must match the documented
//! schema. A response that does not is replaced by a 500 naming the route and the mismatch, so
//! the test that provoked it fails with the reason. In-process clouds (`InProcess`) carry this
//! layer, so every scenario of the suite is also a contract test.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        cloud_core::server::openapi_document()
            .unwrap_or_else(|e| panic!("the OpenAPI document cannot be built: {e}"))
    })
}

type Validators = Mutex<HashMap<String, Arc<jsonschema::Validator>>>;

fn validator(key: &str, schema: &Value) -> Result<Arc<jsonschema::Validator>, String> {
    static CACHE: OnceLock<Validators> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(v) = cache.lock().unwrap().get(key) {
        return Ok(v.clone());
    }
    // The schema's `$ref`s point into `#/components/schemas`: carry the components along.
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": document()["components"],
        "allOf": [schema],
    });
    let v = Arc::new(
        jsonschema::draft202012::new(&root)
            .map_err(|e| format!("documented schema does not compile: {e}"))?,
    );
    cache.lock().unwrap().insert(key.to_string(), v.clone());
    Ok(v)
}

/// What the document says about one answer; `Err` says why the answer is not documented.
fn check(
    method: &Method,
    path: &str,
    status: StatusCode,
    media: &str,
    body: &[u8],
) -> Result<(), String> {
    let op = &document()["paths"][path][method.as_str().to_lowercase()];
    if op.is_null() {
        // A path that exists without this method: the router's 405, in the error shape.
        if status == StatusCode::METHOD_NOT_ALLOWED {
            return check(&Method::GET, "/v1/health", status, media, body);
        }
        return Err("the route is not in the document".into());
    }
    let code = status.as_u16().to_string();
    let documented = if op["responses"][&code].is_object() {
        &op["responses"][&code]
    } else if !status.is_success() && op["responses"]["default"].is_object() {
        &op["responses"]["default"]
    } else {
        return Err(format!("status {code} is not documented"));
    };
    let content = &documented["content"];
    if content.is_null() {
        return if body.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "status {code} is documented without a body, but one was sent"
            ))
        };
    }
    let bare = media.split(';').next().unwrap_or("").trim();
    let Some((_, entry)) = content
        .as_object()
        .into_iter()
        .flatten()
        .find(|(t, _)| t.split(';').next().unwrap_or("").trim() == bare)
    else {
        return Err(format!("media type `{media}` is not documented for {code}"));
    };
    if bare != "application/json" {
        // Files, pages and event streams: the media type is what the document promises.
        return Ok(());
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let v = validator(&format!("{method} {path} {code}"), &entry["schema"])?;
    let errors: Vec<String> = v
        .iter_errors(&value)
        .take(5)
        .map(|e| format!("at `{}`: {e}", e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

/// The middleware (`axum::middleware::from_fn(contract_check::layer)`).
pub async fn layer(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let Some(path) = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
    else {
        return next.run(req).await;
    };
    // Prometheus' text for a scraper, outside the API and its document (cloud-core metrics.rs).
    if path == "/metrics" {
        return next.run(req).await;
    }
    let resp = next.run(req).await;
    if method == Method::HEAD {
        return resp;
    }
    let streamed = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    if streamed {
        // An event stream never ends by itself: check that it is documented, pass it on as is.
        return match check(&method, &path, resp.status(), "text/event-stream", b"") {
            Ok(()) => resp,
            Err(why) => contract_violation(&method, &path, why),
        };
    }
    let (parts, body) = resp.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => return contract_violation(&method, &path, format!("unreadable body: {e}")),
    };
    let media = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    match check(&method, &path, parts.status, &media, &bytes) {
        Ok(()) => Response::from_parts(parts, Body::from(bytes)),
        Err(why) => contract_violation(
            &method,
            &path,
            format!(
                "{} answered {}: {why}; body: {}",
                method,
                parts.status.as_u16(),
                String::from_utf8_lossy(&bytes[..bytes.len().min(400)])
            ),
        ),
    }
}

fn contract_violation(method: &Method, path: &str, why: String) -> Response {
    eprintln!("CONTRACT VIOLATION {method} {path}: {why}");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        axum::Json(json!({"error": {"code": "contract_violation", "message": format!("{method} {path}: {why}")}})),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_off_the_contract_is_caught() {
        let ok = br#"{"status":"ok","database":"sqlite"}"#;
        check(
            &Method::GET,
            "/v1/health",
            StatusCode::OK,
            "application/json",
            ok,
        )
        .unwrap();
        let wrong = br#"{"status":"ok","database":3}"#;
        let e = check(
            &Method::GET,
            "/v1/health",
            StatusCode::OK,
            "application/json",
            wrong,
        )
        .unwrap_err();
        assert!(e.contains("database"), "{e}");
        let e = check(
            &Method::GET,
            "/v1/health",
            StatusCode::CREATED,
            "application/json",
            ok,
        )
        .unwrap_err();
        assert!(e.contains("not documented"), "{e}");
        let err = br#"{"error":{"code":"x","message":"y"}}"#;
        check(
            &Method::GET,
            "/v1/health",
            StatusCode::SERVICE_UNAVAILABLE,
            "application/json",
            err,
        )
        .unwrap();
        let e = check(
            &Method::GET,
            "/v1/health",
            StatusCode::SERVICE_UNAVAILABLE,
            "application/json",
            b"{}",
        )
        .unwrap_err();
        assert!(e.contains("error"), "{e}");
    }
}
