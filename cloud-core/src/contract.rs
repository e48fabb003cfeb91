//! The typed API contract. A handler's signature says what it takes and what it answers; this
//! module reads those types and writes them into the OpenAPI document, so the document cannot
//! describe a body the handler does not use.
//!
//! - Inputs ([`DocInput`]): `Body<T>` is the JSON request body, `Q<T>` the query parameters,
//!   `Bytes` a raw upload; state, caller, path and headers document nothing of their own (the
//!   path's parameters come from the route's path).
//! - Outputs ([`DocOutput`]): `Json<T>` is a 200 with `T`'s schema, [`Created<T>`] a 201,
//!   [`NoContent`] a 204, [`File<K>`] bytes of the media types `K` lists. A handler that
//!   answers with an untyped `Response` or a bare status does not compile into the route table.
//!   [`EventStream<T>`] is a stream of server-sent events whose data is `T`; [`SetCookie<R>`]
//!   is `R` with a `Set-Cookie` header.
//! - [`Documented`] joins them for a handler function of any arity up to nine extractors.
//!
//! Request schemas follow deserialisation (what the server accepts), response schemas
//! serialisation (what it sends); both land in `components.schemas`.

use std::marker::PhantomData;

use axum::extract::{ConnectInfo, Path, RawPathParams, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use schemars::generate::{Contract, SchemaSettings};
use schemars::{JsonSchema, SchemaGenerator};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::error::{ApiError, Body, Q};

/// Schema generators for one document: requests are described as the server reads them,
/// responses as it writes them.
pub struct Generators {
    pub requests: SchemaGenerator,
    pub responses: SchemaGenerator,
}

impl Default for Generators {
    fn default() -> Self {
        let settings = |contract: Contract| {
            SchemaSettings::draft2020_12()
                .with(|s| {
                    s.definitions_path = "/components/schemas".into();
                    s.meta_schema = None;
                    s.contract = contract;
                })
                .into_generator()
        };
        Generators {
            requests: settings(Contract::Deserialize),
            responses: settings(Contract::Serialize),
        }
    }
}

impl Generators {
    /// Every named schema either side used. A type that reads differently from how it is
    /// written (a field with a default is optional in a request, always present in a
    /// response) gets two schemas: the request side's is renamed `…Input`. Returns the
    /// schemas and a function that renames references in a request body accordingly.
    pub fn components(mut self) -> (Map<String, Value>, impl Fn(&mut Value)) {
        let requests = self.requests.take_definitions(true);
        let mut all = self.responses.take_definitions(true);
        let renamed: Vec<String> = requests
            .iter()
            .filter(|(name, schema)| all.get(*name).is_some_and(|r| r != *schema))
            .map(|(name, _)| name.clone())
            .collect();
        for (name, mut schema) in requests {
            rename_refs(&mut schema, &renamed);
            let key = if renamed.contains(&name) {
                format!("{name}Input")
            } else {
                name
            };
            all.insert(key, schema);
        }
        (all, move |v: &mut Value| rename_refs(v, &renamed))
    }
}

fn rename_refs(v: &mut Value, names: &[String]) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(r)) = o.get_mut("$ref") {
                if let Some(name) = r.strip_prefix("#/components/schemas/") {
                    if names.iter().any(|n| n == name) {
                        *r = format!("#/components/schemas/{name}Input");
                    }
                }
            }
            for x in o.values_mut() {
                rename_refs(x, names);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| rename_refs(x, names)),
        _ => {}
    }
}

/// What one operation's types say.
#[derive(Default)]
pub struct Operation {
    /// Query parameter objects.
    pub query: Vec<Value>,
    /// The `requestBody` object.
    pub request_body: Option<Value>,
    /// Responses by status code (`"200"`, `"default"`, …).
    pub responses: Map<String, Value>,
}

/// An extractor's part of the operation.
pub trait DocInput {
    fn document(_op: &mut Operation, _g: &mut Generators) {}
}

/// A handler result's part of the operation.
pub trait DocOutput {
    fn document(op: &mut Operation, g: &mut Generators);
}

/// A handler whose every extractor and whose result are documented (`Args` is inferred).
pub trait Documented<Args> {
    fn document(op: &mut Operation, g: &mut Generators);
}

macro_rules! documented {
    ($($t:ident),*) => {
        impl<F, Fut, R, $($t,)*> Documented<($($t,)*)> for F
        where
            F: FnOnce($($t),*) -> Fut,
            Fut: std::future::Future<Output = R>,
            R: DocOutput,
            $($t: DocInput,)*
        {
            fn document(op: &mut Operation, g: &mut Generators) {
                $(<$t as DocInput>::document(op, g);)*
                R::document(op, g);
            }
        }
    };
}
documented!();
documented!(T1);
documented!(T1, T2);
documented!(T1, T2, T3);
documented!(T1, T2, T3, T4);
documented!(T1, T2, T3, T4, T5);
documented!(T1, T2, T3, T4, T5, T6);
documented!(T1, T2, T3, T4, T5, T6, T7);
documented!(T1, T2, T3, T4, T5, T6, T7, T8);
documented!(T1, T2, T3, T4, T5, T6, T7, T8, T9);

// ---- inputs ---------------------------------------------------------------------------------

impl<S> DocInput for State<S> {}
impl<T> DocInput for Extension<T> {}
impl<T> DocInput for Path<T> {}
impl<T> DocInput for ConnectInfo<T> {}
impl DocInput for RawPathParams {}
impl DocInput for HeaderMap {}

/// Open311 reads its own query and form parameters (GeoReport names); its summary lists them.
impl DocInput for RawQuery {}

impl<T: JsonSchema> DocInput for Body<T> {
    fn document(op: &mut Operation, g: &mut Generators) {
        let schema = g.requests.subschema_for::<T>();
        op.request_body = Some(json!({
            "required": true,
            "content": {"application/json": {"schema": schema}}
        }));
    }
}

impl<T: JsonSchema> DocInput for Q<T> {
    fn document(op: &mut Operation, _g: &mut Generators) {
        // Parameters are listed one by one, so the type is inlined rather than referenced.
        let schema = SchemaSettings::draft2020_12()
            .with(|s| {
                s.inline_subschemas = true;
                s.meta_schema = None;
                s.contract = Contract::Deserialize;
            })
            .into_generator()
            .into_root_schema_for::<T>();
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (name, s) in props {
                let mut p = json!({
                    "name": name,
                    "in": "query",
                    "required": required.contains(&name.as_str()),
                    "schema": s,
                });
                if let Some(d) = s.get("description") {
                    p["description"] = d.clone();
                }
                op.query.push(p);
            }
        }
    }
}

/// A raw upload: the media types a handler accepts are in its summary.
impl DocInput for axum::body::Body {
    fn document(op: &mut Operation, g: &mut Generators) {
        <axum::body::Bytes as DocInput>::document(op, g);
    }
}

impl DocInput for axum::body::Bytes {
    fn document(op: &mut Operation, _g: &mut Generators) {
        op.request_body = Some(json!({
            "required": true,
            "content": {"application/octet-stream": {"schema": {"type": "string", "contentMediaType": "application/octet-stream"}}}
        }));
    }
}

// ---- outputs --------------------------------------------------------------------------------

fn json_response(op: &mut Operation, status: &str, description: &str, schema: Value) {
    op.responses.insert(
        status.to_string(),
        json!({"description": description, "content": {"application/json": {"schema": schema}}}),
    );
}

impl<T: JsonSchema> DocOutput for Json<T> {
    fn document(op: &mut Operation, g: &mut Generators) {
        let schema = g.responses.subschema_for::<T>().to_value();
        json_response(op, "200", "success", schema);
    }
}

/// A whole (unpaged) list: `{"items": [...]}`.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "Items_{T}")]
pub struct Items<T> {
    pub items: Vec<T>,
}

impl<T> From<Vec<T>> for Items<T> {
    fn from(items: Vec<T>) -> Self {
        Items { items }
    }
}

/// 201 with the created object.
pub struct Created<T>(pub T);

impl<T: Serialize> IntoResponse for Created<T> {
    fn into_response(self) -> Response {
        (StatusCode::CREATED, Json(self.0)).into_response()
    }
}

impl<T: JsonSchema> DocOutput for Created<T> {
    fn document(op: &mut Operation, g: &mut Generators) {
        let schema = g.responses.subschema_for::<T>().to_value();
        json_response(op, "201", "created", schema);
    }
}

/// 204: done, nothing to say.
pub struct NoContent;

impl IntoResponse for NoContent {
    fn into_response(self) -> Response {
        StatusCode::NO_CONTENT.into_response()
    }
}

impl DocOutput for NoContent {
    fn document(op: &mut Operation, _g: &mut Generators) {
        op.responses
            .insert("204".into(), json!({"description": "done"}));
    }
}

/// The media types a [`File`] response may carry.
pub trait FileKind {
    const MEDIA_TYPES: &'static [&'static str];
}

/// A face photo or thumbnail.
pub struct Image;
impl FileKind for Image {
    const MEDIA_TYPES: &'static [&'static str] = &["image/jpeg", "image/png"];
}

/// An uploaded case attachment.
pub struct Attachment;
impl FileKind for Attachment {
    const MEDIA_TYPES: &'static [&'static str] = &["image/jpeg", "image/png", "application/pdf"];
}

/// A Word document.
pub struct Docx;
impl FileKind for Docx {
    const MEDIA_TYPES: &'static [&'static str] =
        &["application/vnd.openxmlformats-officedocument.wordprocessingml.document"];
}

/// A spreadsheet.
pub struct Xlsx;
impl FileKind for Xlsx {
    const MEDIA_TYPES: &'static [&'static str] =
        &["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"];
}

/// A printable HTML page.
pub struct Html;
impl FileKind for Html {
    const MEDIA_TYPES: &'static [&'static str] = &["text/html; charset=utf-8"];
}

/// Bytes of one of `K`'s media types, with the headers the handler sets (type, disposition,
/// caching).
pub struct File<K> {
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
    kind: PhantomData<K>,
}

impl<K: FileKind> File<K> {
    /// `content_type` must be one of `K::MEDIA_TYPES` (a programming error otherwise: the
    /// document would lie).
    pub fn new(content_type: &str, bytes: Vec<u8>) -> Result<File<K>, ApiError> {
        if !K::MEDIA_TYPES.contains(&content_type) {
            return Err(ApiError::internal(format!(
                "a file of type {content_type} is not one this route documents"
            )));
        }
        let mut headers = HeaderMap::new();
        let value = HeaderValue::from_str(content_type)
            .map_err(|_| ApiError::internal("unreadable content type"))?;
        headers.insert(header::CONTENT_TYPE, value);
        Ok(File {
            headers,
            bytes,
            kind: PhantomData,
        })
    }

    /// Add a header (`Content-Disposition`, `Cache-Control`, …).
    pub fn with_header(mut self, name: header::HeaderName, value: &str) -> Result<Self, ApiError> {
        let value =
            HeaderValue::from_str(value).map_err(|_| ApiError::internal("unreadable header"))?;
        self.headers.insert(name, value);
        Ok(self)
    }
}

impl<K> IntoResponse for File<K> {
    fn into_response(self) -> Response {
        (self.headers, self.bytes).into_response()
    }
}

impl<K: FileKind> DocOutput for File<K> {
    fn document(op: &mut Operation, _g: &mut Generators) {
        let content: Map<String, Value> = K::MEDIA_TYPES
            .iter()
            .map(|t| {
                let bare = t.split(';').next().unwrap_or(t).trim();
                (
                    (*t).to_string(),
                    json!({"schema": {"type": "string", "contentMediaType": bare}}),
                )
            })
            .collect();
        op.responses.insert(
            "200".into(),
            json!({"description": "file", "content": content}),
        );
    }
}

/// A stream of server-sent events (`text/event-stream`), each event's data `T` as JSON. The
/// document names `T` under `x-event-data`, so clients generated from it know the event type.
/// A comment line goes out every 15 s so proxies keep the connection open.
pub struct EventStream<T> {
    response: Response,
    kind: PhantomData<T>,
}

impl<T: Serialize + Send + 'static> EventStream<T> {
    /// `events` yields `(event name, data)`; the stream ends when it does.
    pub fn new<S>(events: S) -> EventStream<T>
    where
        S: futures_util::Stream<Item = (&'static str, T)> + Send + 'static,
    {
        use axum::response::sse::{Event, KeepAlive, Sse};
        use futures_util::StreamExt as _;
        let events = events.map(|(name, data)| {
            let event = Event::default().event(name);
            // A serialisation failure becomes an error event rather than a broken stream.
            Ok::<_, std::convert::Infallible>(match serde_json::to_string(&data) {
                Ok(json) => event.data(json),
                Err(_) => Event::default().event("error").data("{}"),
            })
        });
        let mut response = Sse::new(events)
            .keep_alive(KeepAlive::new().interval(std::time::Duration::from_secs(15)))
            .into_response();
        // Proxies (nginx) must pass events on at once, not buffer them.
        response
            .headers_mut()
            .insert("x-accel-buffering", HeaderValue::from_static("no"));
        EventStream {
            response,
            kind: PhantomData,
        }
    }
}

impl<T> IntoResponse for EventStream<T> {
    fn into_response(self) -> Response {
        self.response
    }
}

impl<T: JsonSchema> DocOutput for EventStream<T> {
    fn document(op: &mut Operation, g: &mut Generators) {
        let data = g.responses.subschema_for::<T>().to_value();
        op.responses.insert(
            "200".into(),
            json!({
                "description": "server-sent events; each event's data is JSON of the schema in x-event-data",
                "content": {"text/event-stream": {"schema": {"type": "string"}, "x-event-data": data}},
            }),
        );
    }
}

/// `R` with a `Set-Cookie` header (the console's session cookie).
pub struct SetCookie<R> {
    pub cookie: String,
    pub response: R,
}

impl<R: IntoResponse> IntoResponse for SetCookie<R> {
    fn into_response(self) -> Response {
        let mut response = self.response.into_response();
        match HeaderValue::from_str(&self.cookie) {
            Ok(v) => {
                response.headers_mut().append(header::SET_COOKIE, v);
                response
            }
            Err(_) => ApiError::internal("unreadable cookie").into_response(),
        }
    }
}

impl<R: DocOutput> DocOutput for SetCookie<R> {
    fn document(op: &mut Operation, g: &mut Generators) {
        R::document(op, g);
    }
}

impl<T: DocOutput> DocOutput for Result<T, ApiError> {
    fn document(op: &mut Operation, g: &mut Generators) {
        T::document(op, g);
        json_response(
            op,
            "default",
            "error",
            json!({"$ref": "#/components/schemas/Error"}),
        );
    }
}

/// Places in an OpenAPI document where a body is not typed: a schema that accepts anything
/// (`true`, `{}`, a description alone) or an object open to any extra property. Each entry
/// names the route and the path to the spot.
pub fn untyped_spots(doc: &Value) -> Vec<String> {
    fn walk(s: &Value, at: String, doc: &Value, seen: &mut Vec<String>, out: &mut Vec<String>) {
        match s {
            Value::Bool(true) => out.push(at),
            Value::Object(o) => {
                if let Some(r) = o.get("$ref").and_then(Value::as_str) {
                    if seen.iter().any(|x| x == r) {
                        return;
                    }
                    seen.push(r.to_string());
                    let name = r.trim_start_matches("#/components/schemas/");
                    match doc["components"]["schemas"].get(name) {
                        Some(t) => walk(t, format!("{at} → {name}"), doc, seen, out),
                        None => out.push(format!("{at}: dangling {r}")),
                    }
                    return;
                }
                let shaped = ["type", "anyOf", "oneOf", "allOf", "enum", "const"]
                    .iter()
                    .any(|k| o.contains_key(*k));
                if !shaped {
                    out.push(at.clone());
                }
                if o.get("additionalProperties") == Some(&Value::Bool(true)) {
                    out.push(format!("{at} (any extra property)"));
                }
                for key in ["anyOf", "oneOf", "allOf", "prefixItems"] {
                    if let Some(a) = o.get(key).and_then(Value::as_array) {
                        for (i, v) in a.iter().enumerate() {
                            walk(v, format!("{at}.{key}[{i}]"), doc, seen, out);
                        }
                    }
                }
                if let Some(p) = o.get("properties").and_then(Value::as_object) {
                    for (k, v) in p {
                        walk(v, format!("{at}.{k}"), doc, seen, out);
                    }
                }
                for key in ["items", "additionalProperties"] {
                    if let Some(v @ Value::Object(_)) = o.get(key) {
                        walk(v, format!("{at}[{key}]"), doc, seen, out);
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    let Some(paths) = doc["paths"].as_object() else {
        return vec!["no paths".into()];
    };
    for (path, ops) in paths {
        let Some(ops) = ops.as_object() else { continue };
        for (method, op) in ops {
            let route = format!("{} {path}", method.to_uppercase());
            let mut bodies = Vec::new();
            if let Some(c) = op["requestBody"]["content"].as_object() {
                for (t, m) in c {
                    bodies.push((format!("{route} request {t}"), m["schema"].clone()));
                }
            }
            for p in op["parameters"].as_array().into_iter().flatten() {
                bodies.push((
                    format!("{route} parameter {}", p["name"]),
                    p["schema"].clone(),
                ));
            }
            if let Some(rs) = op["responses"].as_object() {
                if rs.is_empty() {
                    out.push(format!("{route}: no responses"));
                }
                for (status, r) in rs {
                    for (t, m) in r["content"].as_object().into_iter().flatten() {
                        bodies.push((format!("{route} {status} {t}"), m["schema"].clone()));
                    }
                }
            }
            for (at, schema) in bodies {
                walk(&schema, at, doc, &mut Vec::new(), &mut out);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole API is typed: every route's bodies, parameters and responses have a schema
    /// that says what they carry.
    #[test]
    fn every_body_in_the_document_is_typed() {
        let doc = crate::server::openapi_document().expect("document");
        let spots = untyped_spots(&doc);
        assert!(
            spots.is_empty(),
            "{} untyped spots:\n{}",
            spots.len(),
            spots.join("\n")
        );
    }

    /// The check itself can fail.
    #[test]
    fn untyped_spots_finds_a_free_form_body() {
        let doc = json!({
            "paths": {"/x": {"get": {"responses": {
                "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}}
            }}}},
            "components": {"schemas": {"A": {"type": "object", "properties": {
                "fine": {"type": "string"}, "free": true, "map": {"type": "object", "additionalProperties": true}
            }}}}
        });
        let spots = untyped_spots(&doc);
        assert_eq!(spots.len(), 2, "{spots:?}");
        assert!(spots[0].contains("free") || spots[1].contains("free"));
    }
}
