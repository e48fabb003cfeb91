//! Serving the built web console (`[console] dir`): files under the folder, `index.html` for
//! every other page path (the console routes in the browser), long caching for the hashed files
//! under `assets/`, and the headers that keep the pages safe: a Content-Security-Policy with no
//! inline or foreign scripts, no framing, no sniffing, no referrer. API paths never fall back to
//! the page: an unknown API path stays a JSON 404.

use std::path::{Component, Path, PathBuf};

use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// Scripts only from this origin; styles from this origin plus the `style` attributes the
/// component library sets; images also as `blob:` (previews of files about to be uploaded) and
/// `data:` (the library's icons); nothing may frame the console.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; font-src 'self' data:; \
     connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// Paths that belong to the API: never answered with the console's page.
fn is_api_path(path: &str) -> bool {
    path.starts_with("/v1/")
        || path == "/v1"
        || path.starts_with("/open311/")
        || path == "/openapi.json"
}

fn media_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The file under `dir` a request path names, if it names one safely (no `..`, no absolute
/// parts, no hidden files).
fn file_for(dir: &Path, path: &str) -> Option<PathBuf> {
    let rel = path.trim_start_matches('/');
    let decoded = percent_decode(rel)?;
    let mut out = dir.to_path_buf();
    for c in Path::new(&decoded).components() {
        match c {
            Component::Normal(part) if !part.to_string_lossy().starts_with('.') => out.push(part),
            _ => return None,
        }
    }
    Some(out)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn with_page_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    resp
}

/// Answer a path the API has no route for: a console file, the console's page, or a JSON 404.
pub async fn serve(
    dir: Option<PathBuf>,
    method: Method,
    uri: Uri,
    request_headers: HeaderMap,
) -> Response {
    let path = uri.path();
    let reads = method == Method::GET || method == Method::HEAD;
    let Some(dir) = dir.filter(|_| reads && !is_api_path(path)) else {
        return ApiError::new(StatusCode::NOT_FOUND, "no_such_route", "no such route")
            .into_response();
    };
    let Some(file) = file_for(&dir, path) else {
        return ApiError::new(StatusCode::NOT_FOUND, "no_such_file", "no such file")
            .into_response();
    };
    let hashed = path.starts_with("/assets/");
    let is_file =
        |p: PathBuf| async move { tokio::fs::metadata(&p).await.is_ok_and(|m| m.is_file()) };
    let (file, found) = if is_file(file.clone()).await {
        (file, true)
    } else if hashed
        || path
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains('.'))
    {
        // A missing script or image is a 404, not the page (which would be run as a script).
        (file, false)
    } else {
        (dir.join("index.html"), true)
    };
    if !found {
        return with_page_headers(
            ApiError::new(StatusCode::NOT_FOUND, "no_such_file", "no such file").into_response(),
        );
    }
    let media = media_type(&file);
    // Hashed bundles are precompressed at build time (`.gz` beside them).
    let accepts_gzip = request_headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    let gz = PathBuf::from(format!("{}.gz", file.display()));
    let (bytes, gzipped) = if accepts_gzip && is_file(gz.clone()).await {
        (tokio::fs::read(&gz).await, true)
    } else {
        (tokio::fs::read(&file).await, false)
    };
    let Ok(bytes) = bytes else {
        return ApiError::internal("console file unreadable").into_response();
    };
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if gzipped {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if hashed {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        }),
    );
    with_page_headers(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_climb_out_or_name_hidden_files_are_refused() {
        let dir = Path::new("/srv/console");
        assert_eq!(file_for(dir, "/assets/a.js"), Some(dir.join("assets/a.js")));
        assert_eq!(file_for(dir, "/../etc/passwd"), None);
        assert_eq!(file_for(dir, "/assets/%2e%2e/%2e%2e/etc/passwd"), None);
        assert_eq!(file_for(dir, "/.env"), None);
        assert_eq!(file_for(dir, "/a/%zz"), None);
    }

    #[test]
    fn api_paths_are_never_the_page() {
        assert!(is_api_path("/v1/nothing"));
        assert!(is_api_path("/openapi.json"));
        assert!(is_api_path("/open311/v2/x"));
        assert!(!is_api_path("/alarms"));
        assert!(!is_api_path("/v1x"));
    }

    #[test]
    fn the_policy_forbids_inline_scripts_and_framing() {
        assert!(CONTENT_SECURITY_POLICY.contains("script-src 'self';"));
        assert!(!CONTENT_SECURITY_POLICY.contains("script-src 'self' 'unsafe-inline'"));
        assert!(CONTENT_SECURITY_POLICY.contains("frame-ancestors 'none'"));
    }
}
