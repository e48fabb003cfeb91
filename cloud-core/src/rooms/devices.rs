//! The device registry of a community: smoke detectors and elevators on the boxes' MQTT brokers,
//! with location (estate → building → unit, floor), profile, last state and last seen (reported
//! by the box), and their maintenance and repair records. Registering, changing or removing a
//! device is a directory change: its box registers or forgets it on its next sync.

use axum::extract::{Path, State};
use axum::{Extension, Json};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

use crate::contract::{Created, Items, NoContent};
use crate::db::{next_change_seq, RowExt};
use crate::error::{text, ApiError, ApiResult, Body, Q};
use crate::policy::Caller;
use crate::scope::{InCommunity, Kind};
use crate::state::AppState;
use crate::{new_id, now_ms};

pub const KINDS: [&str; 2] = ["smoke_detector", "elevator"];

// ---- API types (v1) --------------------------------------------------------------------------

/// A registered device with what its box last reported.
#[derive(Serialize, JsonSchema)]
pub struct DeviceV1 {
    pub id: String,
    pub box_id: String,
    /// The id in the device's MQTT topics.
    pub code: String,
    /// `smoke_detector` or `elevator`.
    pub kind: String,
    pub profile: String,
    pub name: String,
    pub estate_id: String,
    pub building_id: String,
    pub unit_id: Option<String>,
    pub floor: Option<i64>,
    pub heartbeat_seconds: i64,
    /// False once removed.
    pub enabled: bool,
    /// As its box last said; `null` before the box has reported it.
    pub online: Option<bool>,
    /// The decoded points its box last reported (`{"smoke": false, "battery_percent": 87, …}`);
    /// `null` before the first report. Boxes of different versions report different points,
    /// so this is a flat map of point → scalar rather than a fixed struct.
    pub last_state: Option<BTreeMap<String, PointValueV1>>,
    pub last_seen_ms: Option<i64>,
}

/// A device in the tree, with how many open alarms it has.
#[derive(Serialize, JsonSchema)]
pub struct DeviceInTreeV1 {
    #[serde(flatten)]
    pub device: DeviceV1,
    pub open_alarms: i64,
}

/// One device with its open alarms and its latest records.
#[derive(Serialize, JsonSchema)]
pub struct DeviceDetailV1 {
    #[serde(flatten)]
    pub device: DeviceV1,
    /// Newest first.
    pub open_alarms: Vec<DeviceAlarmV1>,
    /// The latest 20, newest first.
    pub records: Vec<DeviceRecordV1>,
}

/// An open alarm of a device.
#[derive(Serialize, JsonSchema)]
pub struct DeviceAlarmV1 {
    pub id: String,
    pub kind: String,
    pub severity: String,
    pub active: bool,
    pub acked: bool,
    pub at_ms: i64,
}

/// A maintenance or repair record of a device.
#[derive(Serialize, JsonSchema)]
pub struct DeviceRecordV1 {
    pub id: String,
    /// `maintenance` or `repair`.
    pub kind: String,
    pub content: String,
    pub done_at_ms: i64,
    /// The name of the account that recorded it.
    pub by: String,
    pub created_at_ms: i64,
}

/// `POST …/devices/{device_id}/records` answers with the record added.
#[derive(Serialize, JsonSchema)]
pub struct DeviceRecordAddedV1 {
    pub id: String,
    pub device_id: String,
    /// `maintenance` or `repair`.
    pub kind: String,
    pub content: String,
    pub done_at_ms: i64,
    /// The name of the account that recorded it.
    pub by: String,
}

/// Devices grouped estate → building → unit.
#[derive(Serialize, JsonSchema)]
pub struct DeviceTreeV1 {
    pub estates: Vec<TreeEstateV1>,
}

/// An estate of the device tree.
#[derive(Serialize, JsonSchema)]
pub struct TreeEstateV1 {
    pub id: String,
    pub name: Option<String>,
    pub buildings: Vec<TreeBuildingV1>,
}

/// A building of the device tree.
#[derive(Serialize, JsonSchema)]
pub struct TreeBuildingV1 {
    pub id: String,
    pub name: Option<String>,
    pub units: Vec<TreeUnitV1>,
}

/// A unit of the device tree.
#[derive(Serialize, JsonSchema)]
pub struct TreeUnitV1 {
    /// Empty for the building's devices that are in no unit.
    pub id: String,
    /// `null` for the group of devices in no unit.
    pub name: Option<String>,
    pub devices: Vec<DeviceInTreeV1>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceBody {
    box_id: String,
    /// The id in the device's MQTT topics.
    code: String,
    kind: String,
    profile: String,
    name: String,
    building_id: String,
    #[serde(default)]
    unit_id: Option<String>,
    #[serde(default)]
    floor: Option<i64>,
    heartbeat_seconds: u32,
}

fn code_ok(field: &str, v: &str) -> ApiResult<()> {
    if v.is_empty()
        || v.len() > 64
        || !v
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'.')
    {
        return Err(ApiError::invalid(
            field,
            "must be 1 to 64 of A-Z a-z 0-9 - _ .",
        ));
    }
    Ok(())
}

/// Checks that do not need the database.
fn check(b: &DeviceBody) -> ApiResult<()> {
    code_ok("code", &b.code)?;
    code_ok("profile", &b.profile)?;
    if !KINDS.contains(&b.kind.as_str()) {
        return Err(ApiError::invalid(
            "kind",
            "must be smoke_detector or elevator",
        ));
    }
    if !(5..=86_400).contains(&b.heartbeat_seconds) {
        return Err(ApiError::invalid(
            "heartbeat_seconds",
            "must be within 5..=86400",
        ));
    }
    if let Some(f) = b.floor {
        if !(-10..=300).contains(&f) {
            return Err(ApiError::invalid("floor", "must be within -10..=300"));
        }
    }
    Ok(())
}

/// The box, the building's estate (which must be the box's), and the unit within the building.
async fn place(tx: &mut sqlx::AnyConnection, cid: &str, b: &DeviceBody) -> ApiResult<String> {
    let scope = InCommunity::new(cid);
    let bx = scope
        .row(&mut *tx, Kind::Box, "box_id", &b.box_id, "estate_id")
        .await?;
    let building = scope
        .row(
            &mut *tx,
            Kind::Building,
            "building_id",
            &b.building_id,
            "estate_id",
        )
        .await?;
    let estate = building.text("estate_id")?;
    if estate != bx.text("estate_id")? {
        return Err(ApiError::invalid(
            "building_id",
            "the building is not in the estate this box serves",
        ));
    }
    if let Some(u) = &b.unit_id {
        sqlx::query("SELECT id FROM units WHERE id = $1 AND building_id = $2")
            .bind(u)
            .bind(&b.building_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| ApiError::invalid("unit_id", "no such unit in this building"))?;
    }
    Ok(estate)
}

/// Write a device's registration (new, or over the old one: box and code never change), enabled,
/// with a new change number so its box hears of it.
async fn save(
    tx: &mut sqlx::AnyConnection,
    id: &str,
    cid: &str,
    b: &DeviceBody,
    name: &str,
    estate: &str,
    seq: i64,
) -> ApiResult<()> {
    sqlx::query(
        "INSERT INTO devices (id, community_id, box_id, code, kind, profile, name, estate_id, building_id, \
         unit_id, floor, heartbeat_seconds, enabled, created_at_ms, change_seq) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, $13, $14) \
         ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, profile = excluded.profile, name = excluded.name, \
         estate_id = excluded.estate_id, building_id = excluded.building_id, unit_id = excluded.unit_id, \
         floor = excluded.floor, heartbeat_seconds = excluded.heartbeat_seconds, enabled = 1, \
         change_seq = excluded.change_seq",
    )
    .bind(id)
    .bind(cid)
    .bind(&b.box_id)
    .bind(&b.code)
    .bind(&b.kind)
    .bind(&b.profile)
    .bind(name)
    .bind(estate)
    .bind(&b.building_id)
    .bind(b.unit_id.clone())
    .bind(b.floor)
    .bind(i64::from(b.heartbeat_seconds))
    .bind(now_ms())
    .bind(seq)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Register a device.
pub async fn create(
    State(st): State<AppState>,
    Path(cid): Path<String>,
    Body(b): Body<DeviceBody>,
) -> ApiResult<Created<DeviceV1>> {
    check(&b)?;
    let name = text("name", &b.name, 100)?;
    let mut tx = st.db.pool.begin().await?;
    let estate = place(&mut tx, &cid, &b).await?;
    if sqlx::query("SELECT id FROM devices WHERE box_id = $1 AND code = $2")
        .bind(&b.box_id)
        .bind(&b.code)
        .fetch_optional(&mut *tx)
        .await?
        .is_some()
    {
        return Err(ApiError::conflict(
            "device_exists",
            "this box already has a device with that code",
        ));
    }
    let seq = next_change_seq(&mut tx).await?;
    let id = new_id();
    save(&mut tx, &id, &cid, &b, &name, &estate, seq).await?;
    let row = sqlx::query("SELECT * FROM devices WHERE id = $1")
        .bind(&id)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Created(device_json(&row)?))
}

/// Move or re-describe a device (same body as registering; the box and code stay).
pub async fn update(
    State(st): State<AppState>,
    Path((cid, id)): Path<(String, String)>,
    Body(b): Body<DeviceBody>,
) -> ApiResult<Json<DeviceV1>> {
    check(&b)?;
    let name = text("name", &b.name, 100)?;
    let mut tx = st.db.pool.begin().await?;
    let cur = sqlx::query("SELECT box_id, code FROM devices WHERE id = $1 AND community_id = $2")
        .bind(&id)
        .bind(&cid)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| ApiError::not_found("device"))?;
    if cur.text("box_id")? != b.box_id {
        return Err(ApiError::invalid(
            "box_id",
            "a device cannot move to another box; remove it and register it there",
        ));
    }
    if cur.text("code")? != b.code {
        return Err(ApiError::invalid("code", "a device's code cannot change"));
    }
    let estate = place(&mut tx, &cid, &b).await?;
    let seq = next_change_seq(&mut tx).await?;
    save(&mut tx, &id, &cid, &b, &name, &estate, seq).await?;
    let row = sqlx::query("SELECT * FROM devices WHERE id = $1")
        .bind(&id)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Json(device_json(&row)?))
}

/// Remove a device: the box forgets it on its next sync; its alarms and records stay.
pub async fn remove(
    State(st): State<AppState>,
    Path((cid, id)): Path<(String, String)>,
) -> ApiResult<NoContent> {
    let mut tx = st.db.pool.begin().await?;
    let seq = next_change_seq(&mut tx).await?;
    let n = sqlx::query(
        "UPDATE devices SET enabled = 0, change_seq = $1 WHERE id = $2 AND community_id = $3 AND enabled = 1",
    )
    .bind(seq)
    .bind(&id)
    .bind(&cid)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(ApiError::not_found("device"));
    }
    tx.commit().await?;
    Ok(NoContent)
}

/// One reported point's value.
#[derive(Serialize, JsonSchema)]
#[serde(untagged)]
pub enum PointValueV1 {
    Flag(bool),
    Number(serde_json::Number),
    Text(String),
    /// Not reported by this device.
    Null,
}

/// A box's state text as point → scalar; `None` when it is not a JSON object. Points whose
/// value is a list or an object (no box sends those) are left out.
fn points(text: &str) -> Option<BTreeMap<String, PointValueV1>> {
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) else {
        return None;
    };
    Some(
        map.into_iter()
            .filter_map(|(k, v)| {
                let v = match v {
                    Value::Bool(b) => PointValueV1::Flag(b),
                    Value::Number(n) => PointValueV1::Number(n),
                    Value::String(t) => PointValueV1::Text(t),
                    Value::Null => PointValueV1::Null,
                    Value::Array(_) | Value::Object(_) => return None,
                };
                Some((k, v))
            })
            .collect(),
    )
}

fn device_json(r: &sqlx::any::AnyRow) -> Result<DeviceV1, sqlx::Error> {
    let state = r.opt_text("last_state")?.as_deref().and_then(points);
    let online = r.opt_int("online")?.map(|v| v != 0);
    Ok(DeviceV1 {
        id: r.text("id")?,
        box_id: r.text("box_id")?,
        code: r.text("code")?,
        kind: r.text("kind")?,
        profile: r.text("profile")?,
        name: r.text("name")?,
        estate_id: r.text("estate_id")?,
        building_id: r.text("building_id")?,
        unit_id: r.opt_text("unit_id")?,
        floor: r.opt_int("floor")?,
        heartbeat_seconds: r.int("heartbeat_seconds")?,
        enabled: r.flag("enabled")?,
        online,
        last_state: state,
        last_seen_ms: r.opt_int("last_seen_ms")?,
    })
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceQuery {
    kind: Option<String>,
    estate_id: Option<String>,
    building_id: Option<String>,
    box_id: Option<String>,
    /// Include removed devices.
    #[serde(default)]
    removed: bool,
}

async fn fetch(st: &AppState, cid: &str, q: &DeviceQuery) -> ApiResult<Vec<sqlx::any::AnyRow>> {
    if let Some(k) = &q.kind {
        if !KINDS.contains(&k.as_str()) {
            return Err(ApiError::invalid(
                "kind",
                "must be smoke_detector or elevator",
            ));
        }
    }
    Ok(sqlx::query(
        "SELECT * FROM devices WHERE community_id = $1 AND ($2 = '' OR kind = $2) \
         AND ($3 = '' OR estate_id = $3) AND ($4 = '' OR building_id = $4) AND ($5 = '' OR box_id = $5) \
         AND (enabled = 1 OR $6 = 1) ORDER BY estate_id, building_id, unit_id, floor, name, id",
    )
    .bind(cid)
    .bind(q.kind.clone().unwrap_or_default())
    .bind(q.estate_id.clone().unwrap_or_default())
    .bind(q.building_id.clone().unwrap_or_default())
    .bind(q.box_id.clone().unwrap_or_default())
    .bind(i64::from(q.removed))
    .fetch_all(&st.db.pool)
    .await?)
}

/// Devices, flat, in location order.
pub async fn list(
    State(st): State<AppState>,
    Path(cid): Path<String>,
    Q(q): Q<DeviceQuery>,
) -> ApiResult<Json<Items<DeviceV1>>> {
    let items = fetch(&st, &cid, &q)
        .await?
        .iter()
        .map(device_json)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(Items { items }))
}

/// Devices grouped estate → building → unit, with names, each with its last state and how
/// many open alarms it has.
pub async fn tree(
    State(st): State<AppState>,
    Path(cid): Path<String>,
    Q(q): Q<DeviceQuery>,
) -> ApiResult<Json<DeviceTreeV1>> {
    let rows = fetch(&st, &cid, &q).await?;
    let names = |table: &'static str| {
        let st = st.clone();
        let cid = cid.clone();
        async move {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT id, name FROM {table} WHERE community_id = $1"
            )))
            .bind(&cid)
            .fetch_all(&st.db.pool)
            .await?
            .iter()
            .map(|r| Ok((r.text("id")?, r.text("name")?)))
            .collect::<Result<std::collections::HashMap<String, String>, sqlx::Error>>()
        }
    };
    let (estates, buildings, units) = (
        names("estates").await?,
        names("buildings").await?,
        names("units").await?,
    );
    let open: std::collections::HashMap<String, i64> = sqlx::query(
        "SELECT device_id, COUNT(*) AS n FROM alarms WHERE community_id = $1 AND closed = 0 \
         AND device_id IS NOT NULL GROUP BY device_id",
    )
    .bind(&cid)
    .fetch_all(&st.db.pool)
    .await?
    .iter()
    .map(|r| Ok((r.text("device_id")?, r.int("n")?)))
    .collect::<Result<_, sqlx::Error>>()?;
    // Rows come sorted by estate, building, unit: group consecutive runs.
    let mut out: Vec<TreeEstateV1> = Vec::new();
    for r in &rows {
        let (e, b) = (r.text("estate_id")?, r.text("building_id")?);
        let u = r.opt_text("unit_id")?.unwrap_or_default();
        let device = device_json(r)?;
        let open_alarms = open.get(&device.id).copied().unwrap_or(0);
        let d = DeviceInTreeV1 {
            device,
            open_alarms,
        };
        if out.last().is_none_or(|x| x.id != e) {
            out.push(TreeEstateV1 {
                name: estates.get(&e).cloned(),
                id: e.clone(),
                buildings: Vec::new(),
            });
        }
        let bs = &mut out.last_mut().expect("pushed above").buildings;
        if bs.last().is_none_or(|x| x.id != b) {
            bs.push(TreeBuildingV1 {
                name: buildings.get(&b).cloned(),
                id: b.clone(),
                units: Vec::new(),
            });
        }
        let us = &mut bs.last_mut().expect("pushed above").units;
        if us.last().is_none_or(|x| x.id != u) {
            us.push(TreeUnitV1 {
                name: units.get(&u).cloned(),
                id: u.clone(),
                devices: Vec::new(),
            });
        }
        us.last_mut().expect("pushed above").devices.push(d);
    }
    Ok(Json(DeviceTreeV1 { estates: out }))
}

/// One device with its open alarms and its latest records.
pub async fn get(
    State(st): State<AppState>,
    Path((cid, id)): Path<(String, String)>,
) -> ApiResult<Json<DeviceDetailV1>> {
    let row = sqlx::query("SELECT * FROM devices WHERE id = $1 AND community_id = $2")
        .bind(&id)
        .bind(&cid)
        .fetch_optional(&st.db.pool)
        .await?
        .ok_or_else(|| ApiError::not_found("device"))?;
    let device = device_json(&row)?;
    let alarms = sqlx::query(
        "SELECT id, kind, severity, active, acked, at_ms FROM alarms WHERE device_id = $1 AND closed = 0 \
         ORDER BY at_ms DESC",
    )
    .bind(&id)
    .fetch_all(&st.db.pool)
    .await?
    .iter()
    .map(|r| {
        Ok(DeviceAlarmV1 {
            id: r.text("id")?,
            kind: r.text("kind")?,
            severity: r.text("severity")?,
            active: r.flag("active")?,
            acked: r.flag("acked")?,
            at_ms: r.int("at_ms")?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Json(DeviceDetailV1 {
        device,
        open_alarms: alarms,
        records: records_of(&st, &id, 20).await?,
    }))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordBody {
    /// maintenance (elevators) | repair
    kind: String,
    content: String,
    /// When the work was done; now if absent.
    #[serde(default)]
    done_at_ms: Option<i64>,
}

/// Add a maintenance record (elevators) or a repair record (any device).
pub async fn add_record(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((cid, id)): Path<(String, String)>,
    Body(b): Body<RecordBody>,
) -> ApiResult<Created<DeviceRecordAddedV1>> {
    let content = text("content", &b.content, 2000)?;
    let now = now_ms();
    let done = b.done_at_ms.unwrap_or(now);
    // Records are of work done: not in the future (a minute of clock skew allowed), not before 2000.
    if !(946_684_800_000..=now + 60_000).contains(&done) {
        return Err(ApiError::invalid(
            "done_at_ms",
            "must be a past time (epoch ms) after 2000",
        ));
    }
    let Caller::Account(acct) = &caller else {
        return Err(ApiError::forbidden("an account is needed"));
    };
    let dev = sqlx::query("SELECT kind FROM devices WHERE id = $1 AND community_id = $2")
        .bind(&id)
        .bind(&cid)
        .fetch_optional(&st.db.pool)
        .await?
        .ok_or_else(|| ApiError::not_found("device"))?;
    match (b.kind.as_str(), dev.text("kind")?.as_str()) {
        ("repair", _) | ("maintenance", "elevator") => {}
        ("maintenance", _) => {
            return Err(ApiError::invalid(
                "kind",
                "maintenance records are for elevators; use repair",
            ))
        }
        _ => return Err(ApiError::invalid("kind", "must be maintenance or repair")),
    }
    let by = crate::scope::username(&st, &acct.id).await?;
    let rid = new_id();
    sqlx::query(
        "INSERT INTO device_records (id, community_id, device_id, kind, content, done_at_ms, by_account, by_name, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&rid)
    .bind(&cid)
    .bind(&id)
    .bind(&b.kind)
    .bind(&content)
    .bind(done)
    .bind(&acct.id)
    .bind(&by)
    .bind(now)
    .execute(&st.db.pool)
    .await?;
    Ok(Created(DeviceRecordAddedV1 {
        id: rid,
        device_id: id,
        kind: b.kind,
        content,
        done_at_ms: done,
        by,
    }))
}

async fn records_of(st: &AppState, device: &str, limit: i64) -> ApiResult<Vec<DeviceRecordV1>> {
    Ok(sqlx::query(
        "SELECT id, kind, content, done_at_ms, by_name, created_at_ms FROM device_records WHERE device_id = $1 \
         ORDER BY done_at_ms DESC, id DESC LIMIT $2",
    )
    .bind(device)
    .bind(limit)
    .fetch_all(&st.db.pool)
    .await?
    .iter()
    .map(|r| {
        Ok(DeviceRecordV1 {
            id: r.text("id")?,
            kind: r.text("kind")?,
            content: r.text("content")?,
            done_at_ms: r.int("done_at_ms")?,
            by: r.text("by_name")?,
            created_at_ms: r.int("created_at_ms")?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?)
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordQuery {
    limit: Option<i64>,
}

/// A device's maintenance and repair records, newest first.
pub async fn records(
    State(st): State<AppState>,
    Path((cid, id)): Path<(String, String)>,
    Q(q): Q<RecordQuery>,
) -> ApiResult<Json<Items<DeviceRecordV1>>> {
    let lim = crate::paging::limit(q.limit)?;
    sqlx::query("SELECT id FROM devices WHERE id = $1 AND community_id = $2")
        .bind(&id)
        .bind(&cid)
        .fetch_optional(&st.db.pool)
        .await?
        .ok_or_else(|| ApiError::not_found("device"))?;
    Ok(Json(Items {
        items: records_of(&st, &id, lim).await?,
    }))
}

/// The home page's device figures: devices in service and how many of them their box reports
/// offline (a device no box has reported on yet is not counted offline).
pub(crate) async fn device_counts(st: &AppState, cid: &str) -> ApiResult<(i64, i64)> {
    let r = sqlx::query(
        "SELECT COUNT(*) AS n, SUM(CASE WHEN online = 0 THEN 1 ELSE 0 END) AS offline \
         FROM devices WHERE community_id = $1 AND enabled = 1",
    )
    .bind(cid)
    .fetch_one(&st.db.pool)
    .await?;
    Ok((r.int("n")?, r.opt_int("offline")?.unwrap_or(0)))
}
