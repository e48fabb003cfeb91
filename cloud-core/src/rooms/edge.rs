//! The cloud's side of the sync protocol (`edge_sync::sync`): provisioning by one-time code,
//! directory deltas down (people with their approved face photos, the community's face
//! settings), pass logs, alarms, device states and face enrolment verdicts up (idempotent by
//! record id, acknowledged only after commit), and the command long-poll. Every call but
//! provisioning arrives already authenticated by the guard as `Caller::Edge`.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use edge_sync::directory::{GrantV1, PersonV1};
use edge_sync::sync::{
    AlarmActionV1, CommandBatchV1, CommandOutcomeV1, DeviceStateV1, DoorV1, DownDeltaV1,
    ProvisionRequestV1, ProvisionResponseV1, SensorV1, UplinkAckV1, UplinkBatchV1, UplinkRecordV1,
    MAX_DELTA_ENTRIES, MAX_UPLINK_BATCH, MAX_WAIT_MS, SYNC_VERSION,
};
use serde::Deserialize;

use crate::auth::ThrottleVerdict;
use crate::contract::NoContent;
use crate::db::{current_change_seq, RowExt};
use crate::error::{ApiError, ApiResult, Body, Q};
use crate::now_ms;
use crate::policy::{Caller, EdgeBox};
use crate::scope::placeholders;
use crate::state::AppState;

fn edge(caller: &Caller) -> ApiResult<&EdgeBox> {
    match caller {
        Caller::Edge(b) => Ok(b),
        _ => Err(ApiError::forbidden("only edge boxes may call this")),
    }
}

fn version(v: u32) -> ApiResult<()> {
    if v != SYNC_VERSION {
        return Err(ApiError::invalid(
            "version",
            format!("{v} is not supported (expected {SYNC_VERSION})"),
        ));
    }
    Ok(())
}

pub async fn provision(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Body(b): Body<ProvisionRequestV1>,
) -> ApiResult<Json<ProvisionResponseV1>> {
    version(b.version)?;
    edge_sync::onetap::parse_public_key(&b.public_key)
        .map_err(|e| ApiError::invalid("public_key", e))?;
    let now = now_ms();
    let ip_key = format!("provision:{}", peer.ip());
    if let ThrottleVerdict::Refused { .. } = st
        .throttle
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .check(&ip_key, now)
    {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            "too many wrong codes; wait and retry",
        ));
    }
    let hash = crate::auth::provision_code_hash(&b.code);
    let row = sqlx::query(
        "SELECT id, community_id, estate_id, name FROM edge_boxes \
         WHERE code_hash = $1 AND code_expires_at_ms > $2 AND revoked = 0 AND public_key IS NULL",
    )
    .bind(&hash)
    .bind(now)
    .fetch_optional(&st.db.pool)
    .await?;
    let Some(row) = row else {
        st.throttle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .failure(&ip_key, now);
        return Err(ApiError::unauthenticated(
            "provisioning code unknown, already used, or expired",
        ));
    };
    let box_id = row.text("id")?;
    // Single use: only the request that clears the code wins.
    let n = sqlx::query(
        "UPDATE edge_boxes SET public_key = $1, code_hash = NULL, provisioned_at_ms = $2 \
         WHERE id = $3 AND code_hash = $4 AND public_key IS NULL",
    )
    .bind(&b.public_key)
    .bind(now)
    .bind(&box_id)
    .bind(&hash)
    .execute(&st.db.pool)
    .await?
    .rows_affected();
    if n != 1 {
        return Err(ApiError::unauthenticated("provisioning code already used"));
    }
    let doors = box_doors(&st, &box_id).await?;
    tracing::info!(box_id, doors = doors.len(), "edge box provisioned");
    Ok(Json(ProvisionResponseV1 {
        version: SYNC_VERSION,
        box_id,
        box_name: row.text("name")?,
        community_id: row.text("community_id")?,
        estate_id: row.text("estate_id")?,
        onetap_public_key: st.keys.onetap_public_b64(),
        doors,
    }))
}

async fn box_doors(st: &AppState, box_id: &str) -> ApiResult<Vec<DoorV1>> {
    let rows = sqlx::query(
        "SELECT code, name, estate_id, mode FROM doors WHERE box_id = $1 ORDER BY code",
    )
    .bind(box_id)
    .fetch_all(&st.db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(DoorV1 {
                code: r.text("code")?,
                name: r.text("name")?,
                estate_id: r.text("estate_id")?,
                mode: r.text("mode")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DownQuery {
    cursor: i64,
    /// The newest configuration revision the box has judged (applied or refused); a newer one
    /// comes with the delta. Absent from a box that predates configuration from the cloud.
    #[serde(default)]
    config: i64,
}

pub use cloud_rules::sync::delta_end;

/// Placeholders for a bulk insert. For each of a statement's named `$n` parameters, sqlx asks
/// SQLite for its name, and SQLite finds it by a linear scan: quadratic, ~300 ms for a batch of
/// 14,000 parameters (seen with perf). There the positional `?` is used instead; the values are
/// bound in the same order either way, so the SQL is otherwise the same.
fn bulk_placeholders(engine: crate::db::Engine, start: usize, n: usize) -> String {
    match engine {
        crate::db::Engine::Sqlite => vec!["?"; n].join(", "),
        crate::db::Engine::Postgres => placeholders(start, n),
    }
}

pub async fn sync_down(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: axum::http::HeaderMap,
    Q(q): Q<DownQuery>,
) -> ApiResult<Json<DownDeltaV1>> {
    let bx = edge(&caller)?;
    if q.cursor < 0 {
        return Err(ApiError::invalid("cursor", "must not be negative"));
    }
    let estate = &bx.estate_id;
    // Everything ≤ upper is committed (see db::next_change_seq); rows above wait.
    let upper = current_change_seq(&st.db).await?;
    let limit = MAX_DELTA_ENTRIES / 5;
    let people = sqlx::query(
        "SELECT id, name, kind, enabled, change_seq FROM people WHERE change_seq > $1 AND change_seq <= $2 \
         ORDER BY change_seq LIMIT $3",
    )
    .bind(q.cursor)
    .bind(upper)
    .bind(limit as i64)
    .fetch_all(&st.db.pool)
    .await?;
    let changed = |cols: &'static str, table: &'static str, key_col: &'static str, key: String| {
        changed_rows(
            st.clone(),
            cols,
            table,
            key_col,
            key,
            q.cursor,
            upper,
            limit as i64,
        )
    };
    let visits = changed(
        "id, visitor_person_id, host_person_id, visit_at_ms, status, change_seq",
        "visits",
        "estate_id",
        estate.clone(),
    )
    .await?;
    let doors = changed(
        "code, name, estate_id, mode, change_seq",
        "doors",
        "box_id",
        bx.box_id.clone(),
    )
    .await?;
    let sensors = changed("*", "devices", "box_id", bx.box_id.clone()).await?;
    let actions = changed("*", "alarm_actions", "box_id", bx.box_id.clone()).await?;
    let seqs = |rows: &[sqlx::any::AnyRow]| {
        rows.iter()
            .map(|r| r.int("change_seq"))
            .collect::<Result<Vec<_>, _>>()
    };
    let (ps, vs, ds) = (seqs(&people)?, seqs(&visits)?, seqs(&doors)?);
    let (ss, acts) = (seqs(&sensors)?, seqs(&actions)?);
    let (cursor, more) = delta_end(&[&ps, &vs, &ds, &ss, &acts], limit, upper);
    let sensors = sensors
        .iter()
        .zip(ss)
        .filter(|(_, s)| *s <= cursor)
        .map(|(r, _)| {
            Ok(SensorV1 {
                code: r.text("code")?,
                kind: r.text("kind")?,
                profile: r.text("profile")?,
                name: r.text("name")?,
                estate: r.text("estate_id")?,
                building: r.text("building_id")?,
                unit: r.opt_text("unit_id")?.unwrap_or_default(),
                floor: r.opt_int("floor")?,
                heartbeat_seconds: u32::try_from(r.int("heartbeat_seconds")?).unwrap_or(u32::MAX),
                enabled: r.flag("enabled")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let alarm_actions = actions
        .iter()
        .zip(acts)
        .filter(|(_, s)| *s <= cursor)
        .map(|(r, _)| {
            Ok(AlarmActionV1 {
                id: r
                    .text("id")?
                    .parse()
                    .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                source: r.text("source")?,
                kind: r.text("kind")?,
                action: r.text("action")?,
                by: r.text("by_name")?,
                at_ms: r.int("at_ms")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;

    // People: rights here (`scope::rights_at_estate`: an address in this estate, an approved
    // visit here, or staff door rights here) → upsert; no rights but once sent to this box → removal; anyone
    // else is none of this box's business and is not mentioned at all.
    let people: Vec<_> = people
        .into_iter()
        .zip(ps)
        .filter(|(_, s)| *s <= cursor)
        .map(|(r, _)| r)
        .collect();
    let visits: Vec<_> = visits
        .into_iter()
        .zip(vs)
        .filter(|(_, s)| *s <= cursor)
        .map(|(r, _)| r)
        .collect();
    let mut wanted: Vec<String> = people
        .iter()
        .map(|r| r.text("id"))
        .collect::<Result<_, _>>()?;
    for v in &visits {
        wanted.push(v.text("visitor_person_id")?);
    }
    wanted.sort();
    wanted.dedup();
    let mut rights = crate::scope::rights_at_estate(&st.db.pool, estate, &wanted).await?;
    let sent_before = crate::scope::sent_to_box(&st.db.pool, &bx.box_id, &wanted).await?;
    let concerns = |id: &String| rights.any(id) || sent_before.contains(id);
    // Visitors of changed visits whose own row did not change: send them too (if they concern
    // this box at all).
    let changed: HashSet<String> = people
        .iter()
        .map(|r| r.text("id"))
        .collect::<Result<_, _>>()?;
    let missing: Vec<&String> = wanted
        .iter()
        .filter(|id| !changed.contains(*id) && concerns(id))
        .collect();
    let mut extra_people = Vec::new();
    for chunk in missing.chunks(500) {
        let sql = format!(
            "SELECT id, name, kind, enabled FROM people WHERE id IN ({})",
            placeholders(1, chunk.len())
        );
        let mut qy = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            qy = qy.bind(*id);
        }
        extra_people.extend(qy.fetch_all(&st.db.pool).await?);
    }
    let upserted: Vec<String> = wanted.iter().filter(|id| rights.any(id)).cloned().collect();
    // All approved photos of each person sent whose consent is given (the box diffs the list).
    let mut photos = crate::rooms::faces::photos_for(&st.db.pool, &upserted).await?;
    let mut out_people = Vec::new();
    let mut removed = Vec::new();
    for r in people.iter().chain(extra_people.iter()) {
        let id = r.text("id")?;
        let is_visitor = r.text("kind")? == "visitor";
        let staff = rights.staffing.contains(&id);
        let addrs = rights.addresses.remove(&id).unwrap_or_default();
        if addrs.is_empty() && !rights.visiting.contains(&id) && !staff {
            if sent_before.contains(&id) {
                removed.push(id);
            }
            continue;
        }
        let face_photos = photos.remove(&id).unwrap_or_default();
        // Staff rights here cover every door of the estate, which is all this box has: a
        // resident who is also staff here goes as staff (the box's rule takes one kind).
        let kind = if staff {
            "staff"
        } else if is_visitor && addrs.is_empty() {
            "visitor"
        } else {
            "resident"
        };
        out_people.push(PersonV1 {
            id,
            name: r.text("name")?,
            kind: kind.into(),
            addresses: addrs,
            staff_estates: if staff {
                vec![estate.clone()]
            } else {
                Vec::new()
            },
            staff_all_estates: false,
            enabled: r.flag("enabled")?,
            face_photos,
        });
    }
    // A grant goes to the box when it is approved, or when the box was sent its visitor (it may
    // hold an earlier approval that this change cancels). Pending and refused requests of
    // strangers stay in the cloud.
    let mut granted = Vec::with_capacity(visits.len());
    for v in visits {
        if v.text("status")? == "approved" || sent_before.contains(&v.text("visitor_person_id")?) {
            granted.push(v);
        }
    }
    // The ledger is written before the answer leaves: a later change can then reach the box.
    let sent_now: Vec<String> = out_people.iter().map(|p| p.id.clone()).collect();
    crate::scope::record_sent(&st.db.pool, &bx.box_id, &sent_now, now_ms()).await?;
    let grants = granted
        .iter()
        .map(|v| {
            Ok(GrantV1 {
                id: v.text("id")?,
                visitor_id: v.text("visitor_person_id")?,
                host_id: v.text("host_person_id")?,
                estate: estate.clone(),
                appointment_at_ms: v.int("visit_at_ms")?,
                status: v.text("status")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let doors = doors
        .iter()
        .zip(ds)
        .filter(|(_, s)| *s <= cursor)
        .map(|(r, _)| {
            Ok(DoorV1 {
                code: r.text("code")?,
                name: r.text("name")?,
                estate_id: r.text("estate_id")?,
                mode: r.text("mode")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let settings = crate::rooms::faces::settings_of(&st.db.pool, &bx.community_id).await?;
    let config = crate::rooms::boxconfig::newer_than(&st, &bx.box_id, q.config).await?;
    touch(&st, &bx.box_id, software_of(&headers)).await;
    Ok(Json(DownDeltaV1 {
        version: SYNC_VERSION,
        from_cursor: q.cursor,
        cursor,
        more,
        people: out_people,
        removed_people: removed,
        grants,
        doors,
        sensors,
        alarm_actions,
        settings: Some(settings.into()),
        config,
    }))
}

/// Rows of `table` whose `key_col` is `key`, changed in (cursor, upper], oldest change first.
#[allow(clippy::too_many_arguments)]
async fn changed_rows(
    st: AppState,
    cols: &'static str,
    table: &'static str,
    key_col: &'static str,
    key: String,
    cursor: i64,
    upper: i64,
    limit: i64,
) -> Result<Vec<sqlx::any::AnyRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {cols} FROM {table} WHERE {key_col} = $1 AND change_seq > $2 AND change_seq <= $3 \
         ORDER BY change_seq LIMIT $4"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(key)
        .bind(cursor)
        .bind(upper)
        .bind(limit)
        .fetch_all(&st.db.pool)
        .await
}

/// The box's `x-edge-software` (e.g. `edge-daemon/0.1.0`): informational, so only a short
/// printable value is kept.
fn software_of(headers: &axum::http::HeaderMap) -> Option<String> {
    let v = headers
        .get(edge_sync::auth::HEADER_SOFTWARE)?
        .to_str()
        .ok()?
        .trim();
    (!v.is_empty() && v.len() <= 64 && v.chars().all(|c| c.is_ascii_graphic()))
        .then(|| v.to_string())
}

async fn touch(st: &AppState, box_id: &str, software: Option<String>) {
    if let Err(e) = sqlx::query(
        "UPDATE edge_boxes SET last_seen_ms = $1, software = COALESCE($2, software) WHERE id = $3",
    )
    .bind(now_ms())
    .bind(software)
    .bind(box_id)
    .execute(&st.db.pool)
    .await
    {
        tracing::warn!(box_id, error = %e, "could not record last_seen");
    }
}

fn check_record(i: usize, r: &UplinkRecordV1) -> ApiResult<()> {
    let f = |name: &str| format!("records[{i}].{name}");
    let short = |name: &str, v: &str, max: usize| {
        if v.len() > max {
            Err(ApiError::invalid(
                &f(name),
                format!("longer than {max} bytes"),
            ))
        } else {
            Ok(())
        }
    };
    if r.id().is_nil() {
        return Err(ApiError::invalid(&f("id"), "must not be nil"));
    }
    use edge_sync::sync::limits::{DETAIL, ID, WORD};
    match r {
        UplinkRecordV1::Pass(p) => {
            short("door", &p.door, ID)?;
            short("person_id", &p.person_id, ID)?;
            short("method", &p.method, WORD)?;
            short("reason", &p.reason, ID)?;
            short("grant_id", p.grant_id.as_deref().unwrap_or(""), ID)?;
        }
        UplinkRecordV1::Alarm(a) => {
            short("source", &a.source, ID)?;
            short("kind", &a.kind, WORD)?;
            short("severity", &a.severity, WORD)?;
            short("state", &a.state, WORD)?;
            short("detail", &a.detail, DETAIL)?;
        }
        UplinkRecordV1::DeviceState(d) => {
            short("device", &d.device, ID)?;
            short("state", &d.state, DETAIL)?;
            if serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&d.state).is_err()
            {
                return Err(ApiError::invalid(&f("state"), "must be a JSON object"));
            }
        }
        // Reasons are clipped, not refused (faces::clip_reasons); a pass's thumbnail is checked
        // where it is stored, and a bad one is dropped without refusing the pass.
        UplinkRecordV1::FaceEnrolment(e) => {
            short("person_id", &e.person_id, ID)?;
            short("photo_id", &e.photo_id, ID)?;
        }
    }
    Ok(())
}

/// Store a batch; answer only after commit. Each record is stored once whatever how often it
/// arrives (`ON CONFLICT (id) DO NOTHING`).
pub async fn sync_up(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Body(b): Body<UplinkBatchV1>,
) -> ApiResult<Json<UplinkAckV1>> {
    let bx = edge(&caller)?.clone();
    version(b.version)?;
    if b.records.len() > MAX_UPLINK_BATCH {
        return Err(ApiError::invalid(
            "records",
            format!("more than {MAX_UPLINK_BATCH} records"),
        ));
    }
    for (i, r) in b.records.iter().enumerate() {
        check_record(i, r)?;
    }
    let door_ids: HashMap<String, String> =
        sqlx::query("SELECT code, id FROM doors WHERE box_id = $1")
            .bind(&bx.box_id)
            .fetch_all(&st.db.pool)
            .await?
            .iter()
            .map(|r| Ok((r.text("code")?, r.text("id")?)))
            .collect::<Result<_, sqlx::Error>>()?;
    let received = now_ms();
    let (mut passes, mut alarms, mut states, mut verdicts) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for r in &b.records {
        match r {
            UplinkRecordV1::Pass(p) => passes.push(p),
            UplinkRecordV1::Alarm(a) => alarms.push(a),
            UplinkRecordV1::DeviceState(d) => states.push(d),
            UplinkRecordV1::FaceEnrolment(f) => verdicts.push(f),
        }
    }
    // Read before the transaction (SQLite has one connection, which the transaction holds).
    let face_settings = if passes.iter().any(|p| p.face_thumbnail.is_some()) {
        crate::rooms::faces::settings_of(&st.db.pool, &bx.community_id).await?
    } else {
        crate::faces::FaceSettings::default()
    };
    let mut tx = st.db.pool.begin().await?;
    // Before the passes: only a pass stored for the first time brings its thumbnail.
    let thumbnails =
        crate::rooms::faces::store_thumbnails(&st, &mut tx, &bx, &passes, face_settings, received)
            .await?;
    let mut stored = 0u64;
    let mut by_kind = [0u64; 4];
    const PASS_COLS: usize = 14;
    for chunk in passes.chunks(st.db.max_params() / PASS_COLS) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| {
                format!(
                    "({})",
                    bulk_placeholders(st.db.engine, i * PASS_COLS + 1, PASS_COLS)
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO passes (id, community_id, estate_id, box_id, door_code, door_id, person_id, method, allowed, reason, grant_id, command_id, at_ms, received_at_ms) \
             VALUES {} ON CONFLICT (id) DO NOTHING",
            rows.join(", ")
        );
        let mut qy = sqlx::query(sqlx::AssertSqlSafe(sql));
        for p in chunk {
            qy = qy
                .bind(p.id.to_string())
                .bind(&bx.community_id)
                .bind(&bx.estate_id)
                .bind(&bx.box_id)
                .bind(&p.door)
                .bind(door_ids.get(&p.door).cloned())
                .bind(&p.person_id)
                .bind(&p.method)
                .bind(i64::from(p.allowed))
                .bind(&p.reason)
                .bind(p.grant_id.clone())
                .bind(p.command_id.map(|c| c.to_string()))
                .bind(p.at_ms)
                .bind(received);
        }
        let n = qy.execute(&mut *tx).await?.rows_affected();
        stored += n;
        by_kind[0] += n;
    }
    // Alarms are few: one by one, so that a transition is folded into its alarm exactly when
    // its record is stored for the first time.
    let mut changed_alarms = Vec::new();
    for a in &alarms {
        by_kind[1] += store_alarm(&mut tx, &bx, a, received, &mut changed_alarms).await?;
    }
    for d in &states {
        by_kind[2] += store_state(&mut tx, &bx, d).await?;
    }
    for f in &verdicts {
        by_kind[3] += crate::rooms::faces::store_verdict(&mut tx, &bx, f, received).await?;
    }
    stored += by_kind[1] + by_kind[2] + by_kind[3];
    sqlx::query("UPDATE edge_boxes SET last_seen_ms = $1 WHERE id = $2")
        .bind(received)
        .bind(&bx.box_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    st.feed.publish_alarms(&bx.community_id, changed_alarms);
    for (kind, n) in ["pass", "alarm", "device_state", "face_verdict"]
        .into_iter()
        .zip(by_kind)
    {
        if n > 0 {
            st.metrics
                .uplink_records
                .get_or_create(&crate::metrics::KindLabels { kind: kind.into() })
                .inc_by(n);
        }
    }
    let total = b.records.len() as u64;
    tracing::debug!(box_id = %bx.box_id, records = total, stored, thumbnails, "uplink batch committed");
    Ok(Json(UplinkAckV1 {
        version: SYNC_VERSION,
        stored: stored as u32,
        duplicates: total.saturating_sub(stored) as u32,
    }))
}

async fn store_alarm(
    tx: &mut sqlx::AnyConnection,
    bx: &EdgeBox,
    a: &edge_sync::sync::AlarmV1,
    received: i64,
    changed: &mut Vec<String>,
) -> Result<u64, sqlx::Error> {
    let n = sqlx::query(
        "INSERT INTO alarm_events (id, community_id, estate_id, box_id, source, kind, severity, state, detail, at_ms, received_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING",
    )
    .bind(a.id.to_string())
    .bind(&bx.community_id)
    .bind(&bx.estate_id)
    .bind(&bx.box_id)
    .bind(&a.source)
    .bind(&a.kind)
    .bind(&a.severity)
    .bind(&a.state)
    .bind(&a.detail)
    .bind(a.at_ms)
    .bind(received)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Ok(0);
    }
    if let Some(t) = crate::rooms::alarms::Transition::from_record(&a.state, &a.severity, &a.detail)
    {
        let key = crate::rooms::alarms::AlarmKey {
            community_id: &bx.community_id,
            estate_id: &bx.estate_id,
            box_id: &bx.box_id,
            source: &a.source,
            kind: &a.kind,
        };
        let (alarm_id, _) = crate::rooms::alarms::fold(tx, &key, &t, a.at_ms).await?;
        if let Some(alarm_id) = alarm_id {
            sqlx::query("UPDATE alarm_events SET alarm_id = $1 WHERE id = $2")
                .bind(&alarm_id)
                .bind(a.id.to_string())
                .execute(&mut *tx)
                .await?;
            changed.push(alarm_id);
        }
    }
    Ok(n)
}

/// A device's latest state; an older report (by the box's clock) never overwrites a newer one.
async fn store_state(
    tx: &mut sqlx::AnyConnection,
    bx: &EdgeBox,
    d: &DeviceStateV1,
) -> Result<u64, sqlx::Error> {
    sqlx::query(
        "UPDATE devices SET online = $1, last_state = $2, last_seen_ms = $3, state_at_ms = $4 \
         WHERE box_id = $5 AND code = $6 AND (state_at_ms IS NULL OR state_at_ms < $4)",
    )
    .bind(i64::from(d.online))
    .bind(&d.state)
    .bind(d.last_seen_ms)
    .bind(d.at_ms)
    .bind(&bx.box_id)
    .bind(&d.device)
    .execute(&mut *tx)
    .await?;
    // Counted as stored: a state is applied or superseded, never kept as a record.
    Ok(1)
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PollQuery {
    #[serde(default)]
    wait_ms: Option<u64>,
}

pub async fn poll_commands(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Q(q): Q<PollQuery>,
) -> ApiResult<Json<CommandBatchV1>> {
    let bx = edge(&caller)?;
    let wait = q.wait_ms.unwrap_or(25_000);
    if wait > MAX_WAIT_MS {
        return Err(ApiError::invalid(
            "wait_ms",
            format!("must be at most {MAX_WAIT_MS}"),
        ));
    }
    let _open = crate::metrics::Open::new(&st.metrics.long_polls_open);
    let commands = st.hub.poll(&bx.box_id, Duration::from_millis(wait)).await;
    Ok(Json(CommandBatchV1 {
        version: SYNC_VERSION,
        commands,
    }))
}

pub async fn command_outcome(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Body(o): Body<CommandOutcomeV1>,
) -> ApiResult<NoContent> {
    let bx = edge(&caller)?;
    version(o.version)?;
    if o.reason.len() > 64 {
        return Err(ApiError::invalid("reason", "longer than 64 bytes"));
    }
    let n = sqlx::query(
        "UPDATE commands SET outcome = $1, reason = $2, finished_at_ms = $3 \
         WHERE id = $4 AND box_id = $5 AND (outcome IS NULL OR outcome = 'timeout')",
    )
    .bind(if o.opened { "opened" } else { "denied" })
    .bind(&o.reason)
    .bind(now_ms())
    .bind(o.command_id.to_string())
    .bind(&bx.box_id)
    .execute(&st.db.pool)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(ApiError::not_found("command"));
    }
    st.hub.complete(o).await;
    Ok(NoContent)
}
