//! The registry access needs: communities and grids, estates → buildings → units → rooms,
//! people and their addresses, edge boxes and doors. Every community-scoped query filters by the
//! `{community_id}` of the path (checked by the guard), so foreign ids are not found.
//! Changes that a box must learn (people, addresses, doors) take a directory change number.

use axum::extract::{Path, State};
use axum::{Extension, Json};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::contract::{Created, Items, NoContent};
use crate::db::{next_change_seq, RowExt};
use crate::error::{lat_lon, phone, text, ApiError, ApiResult, Body, Q};
use crate::keys::mask_id_number;
use crate::policy::{Caller, Role};
use crate::scope::{InCommunity, Kind};
use crate::state::AppState;
use crate::{new_id, now_ms};

// ---- API types (v1) --------------------------------------------------------------------------

/// A registry object by id and name: a community, a room, or an estate, building, unit or room
/// just made.
#[derive(Serialize, JsonSchema)]
pub struct NamedV1 {
    pub id: String,
    pub name: String,
}

/// A grid (网格) of a community: level 1, or 2/3 under a parent one level up.
#[derive(Serialize, JsonSchema)]
pub struct GridV1 {
    pub id: String,
    pub name: String,
    /// 1, 2 or 3.
    pub level: i64,
    /// The grid one level up; `null` for level 1.
    pub parent_id: Option<String>,
}

/// An estate (小区) as listed.
#[derive(Serialize, JsonSchema)]
pub struct EstateV1 {
    pub id: String,
    pub name: String,
    pub grid_id: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

/// An estate with its buildings, units and rooms.
#[derive(Serialize, JsonSchema)]
pub struct EstateTreeV1 {
    pub id: String,
    pub name: String,
    pub buildings: Vec<BuildingV1>,
}

/// A building of an estate tree.
#[derive(Serialize, JsonSchema)]
pub struct BuildingV1 {
    pub id: String,
    pub name: String,
    pub units: Vec<UnitV1>,
}

/// A unit of a building, with its rooms.
#[derive(Serialize, JsonSchema)]
pub struct UnitV1 {
    pub id: String,
    pub name: String,
    pub rooms: Vec<NamedV1>,
}

/// A person just registered.
#[derive(Serialize, JsonSchema)]
pub struct PersonCreatedV1 {
    pub id: String,
    pub name: String,
    /// `local`, `non_local` or `foreign`.
    pub kind: String,
    pub phone: Option<String>,
    /// The ID number, masked.
    pub id_number: Option<String>,
}

/// A person as listed.
#[derive(Serialize, JsonSchema)]
pub struct PersonSummaryV1 {
    pub id: String,
    pub name: String,
    /// `local`, `non_local`, `foreign` or `visitor`.
    pub kind: String,
    pub phone: Option<String>,
    /// The ID number, masked.
    pub id_number: Option<String>,
    /// Whether the person's door rights are on.
    pub enabled: bool,
}

/// A page of people (offset paging, in registration order).
#[derive(Serialize, JsonSchema)]
pub struct PeoplePageV1 {
    pub items: Vec<PersonSummaryV1>,
    pub limit: i64,
    pub offset: i64,
}

/// One person with their addresses.
#[derive(Serialize, JsonSchema)]
pub struct PersonV1 {
    pub id: String,
    pub name: String,
    /// `local`, `non_local`, `foreign` or `visitor`.
    pub kind: String,
    pub phone: Option<String>,
    /// The ID number: masked, or in full when a street account asked `reveal=true`.
    pub id_number: Option<String>,
    /// Whether the person's door rights are on.
    pub enabled: bool,
    pub addresses: Vec<AddressV1>,
}

/// A room a person lives in, with the estate, building and unit it belongs to.
#[derive(Serialize, JsonSchema)]
pub struct AddressV1 {
    pub room_id: String,
    /// The room's name.
    pub room: String,
    pub estate_id: String,
    pub building_id: String,
    pub unit_id: String,
}

/// A resident's one-time app activation code.
#[derive(Serialize, JsonSchema)]
pub struct ActivationCodeV1 {
    pub activation_code: String,
    pub expires_at_ms: i64,
}

/// A person linked to a room.
#[derive(Serialize, JsonSchema)]
pub struct AddressAddedV1 {
    pub person_id: String,
    pub room_id: String,
}

/// An edge box just registered, with its one-time provisioning code.
#[derive(Serialize, JsonSchema)]
pub struct BoxCreatedV1 {
    pub id: String,
    pub name: String,
    pub estate_id: String,
    /// One-time code the box presents when it provisions itself.
    pub provisioning_code: String,
    pub code_expires_at_ms: i64,
}

/// A new one-time provisioning code for a box.
#[derive(Serialize, JsonSchema)]
pub struct ProvisioningCodeV1 {
    pub provisioning_code: String,
    pub code_expires_at_ms: i64,
}

/// An edge box as listed.
#[derive(Serialize, JsonSchema)]
pub struct BoxV1 {
    pub id: String,
    pub name: String,
    pub estate_id: String,
    pub revoked: bool,
    /// When the box provisioned itself; `null` if it has not yet.
    pub provisioned_at_ms: Option<i64>,
    /// When the box last talked to the cloud.
    pub last_seen_ms: Option<i64>,
    /// Whether the box is connected now.
    pub online: bool,
    /// The software the box last said it runs (e.g. `edge-daemon/0.1.0`).
    pub software: Option<String>,
}

/// A door just registered.
#[derive(Serialize, JsonSchema)]
pub struct DoorCreatedV1 {
    pub id: String,
    /// The door's id on its box.
    pub code: String,
    pub name: String,
    pub estate_id: String,
    pub box_id: String,
}

/// A door as listed.
#[derive(Serialize, JsonSchema)]
pub struct DoorV1 {
    pub id: String,
    /// The door's id on its box.
    pub code: String,
    pub name: String,
    pub estate_id: String,
    pub box_id: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// `normal`, `held_open`, `locked` or `emergency_release`.
    pub mode: String,
}

// ---- handlers -------------------------------------------------------------------------------

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NameBody {
    name: String,
}

pub async fn create_community(
    State(st): State<AppState>,
    Body(b): Body<NameBody>,
) -> ApiResult<Created<NamedV1>> {
    let name = text("name", &b.name, 100)?;
    let id = new_id();
    sqlx::query("INSERT INTO communities (id, name, created_at_ms) VALUES ($1, $2, $3)")
        .bind(&id)
        .bind(&name)
        .bind(now_ms())
        .execute(&st.db.pool)
        .await?;
    Ok(Created(NamedV1 { id, name }))
}

pub async fn list_communities(State(st): State<AppState>) -> ApiResult<Json<Items<NamedV1>>> {
    let rows = sqlx::query("SELECT id, name FROM communities ORDER BY name")
        .fetch_all(&st.db.pool)
        .await?;
    let items = rows
        .iter()
        .map(|r| {
            Ok(NamedV1 {
                id: r.text("id")?,
                name: r.text("name")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Json(items.into()))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GridBody {
    name: String,
    level: i64,
    #[serde(default)]
    parent_id: Option<String>,
}

pub async fn create_grid(
    State(st): State<AppState>,
    Path(cid): Path<String>,
    Body(b): Body<GridBody>,
) -> ApiResult<Created<GridV1>> {
    let name = text("name", &b.name, 100)?;
    match (b.level, &b.parent_id) {
        (1, None) => {}
        (1, Some(_)) => {
            return Err(ApiError::invalid(
                "parent_id",
                "a level-1 grid has no parent",
            ))
        }
        (2 | 3, Some(p)) => {
            let parent = InCommunity::new(&cid)
                .row(&st.db.pool, Kind::Grid, "parent_id", p, "level")
                .await?;
            if parent.int("level")? != b.level - 1 {
                return Err(ApiError::invalid(
                    "parent_id",
                    "parent must be one level up",
                ));
            }
        }
        (2 | 3, None) => {
            return Err(ApiError::invalid(
                "parent_id",
                "levels 2 and 3 need a parent",
            ))
        }
        _ => return Err(ApiError::invalid("level", "must be 1, 2 or 3")),
    }
    let id = new_id();
    sqlx::query(
        "INSERT INTO grids (id, community_id, parent_id, level, name) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(&cid)
    .bind(&b.parent_id)
    .bind(b.level)
    .bind(&name)
    .execute(&st.db.pool)
    .await?;
    Ok(Created(GridV1 {
        id,
        name,
        level: b.level,
        parent_id: b.parent_id,
    }))
}

pub async fn list_grids(
    State(st): State<AppState>,
    Path(cid): Path<String>,
) -> ApiResult<Json<Items<GridV1>>> {
    let rows = sqlx::query(
        "SELECT id, parent_id, level, name FROM grids WHERE community_id = $1 ORDER BY level, name",
    )
    .bind(&cid)
    .fetch_all(&st.db.pool)
    .await?;
    let items = rows
        .iter()
        .map(|r| {
            Ok(GridV1 {
                id: r.text("id")?,
                parent_id: r.opt_text("parent_id")?,
                level: r.int("level")?,
                name: r.text("name")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Json(items.into()))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EstateBody {
    name: String,
    #[serde(default)]
    grid_id: Option<String>,
    #[serde(default)]
    lat: Option<f64>,
    #[serde(default)]
    lon: Option<f64>,
}

pub async fn create_estate(
    State(st): State<AppState>,
    Path(cid): Path<String>,
    Body(b): Body<EstateBody>,
) -> ApiResult<Created<NamedV1>> {
    let name = text("name", &b.name, 100)?;
    lat_lon(b.lat, b.lon)?;
    if let Some(g) = &b.grid_id {
        InCommunity::new(&cid)
            .require(&st.db.pool, Kind::Grid, "grid_id", g)
            .await?;
    }
    let id = new_id();
    let q = sqlx::query("INSERT INTO estates (id, community_id, grid_id, name, lat, lon) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&id)
        .bind(&cid)
        .bind(&b.grid_id)
        .bind(&name);
    q.bind(b.lat).bind(b.lon).execute(&st.db.pool).await?;
    Ok(Created(NamedV1 { id, name }))
}

pub async fn list_estates(
    State(st): State<AppState>,
    Path(cid): Path<String>,
) -> ApiResult<Json<Items<EstateV1>>> {
    let rows = sqlx::query(
        "SELECT id, name, grid_id, lat, lon FROM estates WHERE community_id = $1 ORDER BY name",
    )
    .bind(&cid)
    .fetch_all(&st.db.pool)
    .await?;
    let items = rows
        .iter()
        .map(|r| {
            Ok(EstateV1 {
                id: r.text("id")?,
                name: r.text("name")?,
                grid_id: r.opt_text("grid_id")?,
                lat: r.opt_float("lat")?,
                lon: r.opt_float("lon")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Json(items.into()))
}

pub async fn estate_tree(
    State(st): State<AppState>,
    Path((cid, eid)): Path<(String, String)>,
) -> ApiResult<Json<EstateTreeV1>> {
    let estate = sqlx::query("SELECT id, name FROM estates WHERE id = $1 AND community_id = $2")
        .bind(&eid)
        .bind(&cid)
        .fetch_optional(&st.db.pool)
        .await?
        .ok_or_else(|| ApiError::not_found("estate"))?;
    let rows = sqlx::query(
        "SELECT b.id AS bid, b.name AS bname, u.id AS uid, u.name AS uname, r.id AS rid, r.name AS rname \
         FROM buildings b LEFT JOIN units u ON u.building_id = b.id LEFT JOIN rooms r ON r.unit_id = u.id \
         WHERE b.estate_id = $1 ORDER BY b.name, b.id, u.name, u.id, r.name, r.id",
    )
    .bind(&eid)
    .fetch_all(&st.db.pool)
    .await?;
    let mut buildings: Vec<BuildingV1> = Vec::new();
    for r in &rows {
        let bid = r.text("bid")?;
        if buildings.last().is_none_or(|b| b.id != bid) {
            buildings.push(BuildingV1 {
                id: bid,
                name: r.text("bname")?,
                units: Vec::new(),
            });
        }
        let Some(uid) = r.opt_text("uid")? else {
            continue;
        };
        let b = buildings
            .last_mut()
            .ok_or_else(|| ApiError::internal("tree"))?;
        let units = &mut b.units;
        if units.last().is_none_or(|u| u.id != uid) {
            units.push(UnitV1 {
                id: uid,
                name: r.text("uname")?,
                rooms: Vec::new(),
            });
        }
        if let Some(rid) = r.opt_text("rid")? {
            let u = units.last_mut().ok_or_else(|| ApiError::internal("tree"))?;
            u.rooms.push(NamedV1 {
                id: rid,
                name: r.text("rname")?,
            });
        }
    }
    Ok(Json(EstateTreeV1 {
        id: estate.text("id")?,
        name: estate.text("name")?,
        buildings,
    }))
}

/// Insert a child (building, unit, room) under a parent that must be in this community.
async fn create_child(
    st: &AppState,
    cid: &str,
    parent_sql: &'static str,
    parent_field: &str,
    parent_id: &str,
    insert_sql: &'static str,
    name: &str,
) -> ApiResult<Created<NamedV1>> {
    let name = text("name", name, 100)?;
    sqlx::query(parent_sql)
        .bind(parent_id)
        .bind(cid)
        .fetch_optional(&st.db.pool)
        .await?
        .ok_or_else(|| ApiError::not_found(parent_field))?;
    let id = new_id();
    sqlx::query(insert_sql)
        .bind(&id)
        .bind(cid)
        .bind(parent_id)
        .bind(&name)
        .execute(&st.db.pool)
        .await?;
    Ok(Created(NamedV1 { id, name }))
}

pub async fn create_building(
    State(st): State<AppState>,
    Path((cid, eid)): Path<(String, String)>,
    Body(b): Body<NameBody>,
) -> ApiResult<Created<NamedV1>> {
    create_child(
        &st,
        &cid,
        "SELECT id FROM estates WHERE id = $1 AND community_id = $2",
        "estate",
        &eid,
        "INSERT INTO buildings (id, community_id, estate_id, name) VALUES ($1, $2, $3, $4)",
        &b.name,
    )
    .await
}

pub async fn create_unit(
    State(st): State<AppState>,
    Path((cid, bid)): Path<(String, String)>,
    Body(b): Body<NameBody>,
) -> ApiResult<Created<NamedV1>> {
    create_child(
        &st,
        &cid,
        "SELECT id FROM buildings WHERE id = $1 AND community_id = $2",
        "building",
        &bid,
        "INSERT INTO units (id, community_id, building_id, name) VALUES ($1, $2, $3, $4)",
        &b.name,
    )
    .await
}

pub async fn create_room(
    State(st): State<AppState>,
    Path((cid, uid)): Path<(String, String)>,
    Body(b): Body<NameBody>,
) -> ApiResult<Created<NamedV1>> {
    create_child(
        &st,
        &cid,
        "SELECT id FROM units WHERE id = $1 AND community_id = $2",
        "unit",
        &uid,
        "INSERT INTO rooms (id, community_id, unit_id, name) VALUES ($1, $2, $3, $4)",
        &b.name,
    )
    .await
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonBody {
    name: String,
    /// local | non_local | foreign
    kind: String,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    id_number: Option<String>,
}

pub async fn create_person(
    State(st): State<AppState>,
    Path(cid): Path<String>,
    Body(b): Body<PersonBody>,
) -> ApiResult<Created<PersonCreatedV1>> {
    let name = text("name", &b.name, 100)?;
    if !matches!(b.kind.as_str(), "local" | "non_local" | "foreign") {
        return Err(ApiError::invalid(
            "kind",
            "must be local, non_local or foreign",
        ));
    }
    let phone = b.phone.as_deref().map(|p| phone("phone", p)).transpose()?;
    let (sealed, masked) = match b.id_number.as_deref().map(str::trim) {
        Some(n)
            if !(5..=32).contains(&n.len()) || !n.bytes().all(|c| c.is_ascii_alphanumeric()) =>
        {
            return Err(ApiError::invalid(
                "id_number",
                "must be 5 to 32 letters or digits",
            ))
        }
        Some(n) => (Some(st.keys.seal(n)), Some(mask_id_number(n))),
        None => (None, None),
    };
    let id = new_id();
    let mut tx = st.db.pool.begin().await?;
    let seq = next_change_seq(&mut tx).await?;
    sqlx::query(
        "INSERT INTO people (id, community_id, name, kind, phone, id_number_sealed, id_number_masked, enabled, change_seq, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9)",
    )
    .bind(&id)
    .bind(&cid)
    .bind(&name)
    .bind(&b.kind)
    .bind(&phone)
    .bind(&sealed)
    .bind(&masked)
    .bind(seq)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Created(PersonCreatedV1 {
        id,
        name,
        kind: b.kind,
        phone,
        id_number: masked,
    }))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
    #[serde(default)]
    offset: Option<i64>,
}

pub async fn list_people(
    State(st): State<AppState>,
    Path(cid): Path<String>,
    Q(q): Q<ListQuery>,
) -> ApiResult<Json<PeoplePageV1>> {
    let (limit, offset) = crate::paging::offset_page(q.limit, q.offset)?;
    // LIKE behaves the same on both engines only case-folded.
    let pattern = crate::db::contains_pattern(&q.q.unwrap_or_default().trim().to_lowercase());
    let rows = sqlx::query(
        "SELECT id, name, kind, phone, id_number_masked, enabled FROM people \
         WHERE community_id = $1 AND (LOWER(name) LIKE $2 ESCAPE '\\' OR phone LIKE $2 ESCAPE '\\') \
         ORDER BY created_at_ms, id LIMIT $3 OFFSET $4",
    )
    .bind(&cid)
    .bind(&pattern)
    .bind(limit)
    .bind(offset)
    .fetch_all(&st.db.pool)
    .await?;
    let items = rows
        .iter()
        .map(|r| {
            Ok(PersonSummaryV1 {
                id: r.text("id")?,
                name: r.text("name")?,
                kind: r.text("kind")?,
                phone: r.opt_text("phone")?,
                id_number: r.opt_text("id_number_masked")?,
                enabled: r.flag("enabled")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Json(PeoplePageV1 {
        items,
        limit,
        offset,
    }))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RevealQuery {
    #[serde(default)]
    reveal: Option<bool>,
}

pub async fn get_person(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((cid, pid)): Path<(String, String)>,
    Q(q): Q<RevealQuery>,
) -> ApiResult<Json<PersonV1>> {
    let r = sqlx::query(
        "SELECT id, name, kind, phone, id_number_sealed, id_number_masked, enabled FROM people \
         WHERE id = $1 AND community_id = $2",
    )
    .bind(&pid)
    .bind(&cid)
    .fetch_optional(&st.db.pool)
    .await?
    .ok_or_else(|| ApiError::not_found("person"))?;
    let mut id_number = r.opt_text("id_number_masked")?;
    if q.reveal == Some(true) {
        let street = matches!(&caller, Caller::Account(a) if a.role == Role::StreetAdmin);
        if !street {
            return Err(ApiError::forbidden(
                "only street accounts may reveal ID numbers",
            ));
        }
        if let Some(sealed) = r.opt_text("id_number_sealed")? {
            id_number = st.keys.open(&sealed);
            // Who looked at whose number is worth knowing; the number itself is not logged.
            if let Caller::Account(a) = &caller {
                tracing::info!(account_id = %a.id, person_id = %pid, "ID number revealed");
            }
        }
    }
    let addrs = sqlx::query(
        "SELECT a.room_id, a.estate_id, a.building_id, a.unit_id, r.name AS room FROM addresses a \
         JOIN rooms r ON r.id = a.room_id WHERE a.person_id = $1 ORDER BY a.created_at_ms",
    )
    .bind(&pid)
    .fetch_all(&st.db.pool)
    .await?
    .iter()
    .map(|a| {
        Ok(AddressV1 {
            room_id: a.text("room_id")?,
            room: a.text("room")?,
            estate_id: a.text("estate_id")?,
            building_id: a.text("building_id")?,
            unit_id: a.text("unit_id")?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Json(PersonV1 {
        id: r.text("id")?,
        name: r.text("name")?,
        kind: r.text("kind")?,
        phone: r.opt_text("phone")?,
        id_number,
        enabled: r.flag("enabled")?,
        addresses: addrs,
    }))
}

/// A one-time activation code for a resident's app sign-up (7 days; a new one replaces the old).
pub async fn new_activation_code(
    State(st): State<AppState>,
    Path((cid, pid)): Path<(String, String)>,
) -> ApiResult<Created<ActivationCodeV1>> {
    let code = crate::auth::new_provision_code();
    let expires = now_ms() + ACTIVATION_TTL_MS;
    let n = sqlx::query(
        "UPDATE people SET activation_hash = $1, activation_expires_at_ms = $2 \
         WHERE id = $3 AND community_id = $4 AND kind <> 'visitor' AND phone IS NOT NULL",
    )
    .bind(crate::auth::provision_code_hash(&code))
    .bind(expires)
    .bind(&pid)
    .bind(&cid)
    .execute(&st.db.pool)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(ApiError::not_found("resident with a phone"));
    }
    Ok(Created(ActivationCodeV1 {
        activation_code: code,
        expires_at_ms: expires,
    }))
}

const ACTIVATION_TTL_MS: i64 = 7 * 86_400_000;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnabledBody {
    enabled: bool,
}

pub async fn set_person_enabled(
    State(st): State<AppState>,
    Path((cid, pid)): Path<(String, String)>,
    Body(b): Body<EnabledBody>,
) -> ApiResult<NoContent> {
    let mut tx = st.db.pool.begin().await?;
    let seq = next_change_seq(&mut tx).await?;
    let n = sqlx::query(
        "UPDATE people SET enabled = $1, change_seq = $2 WHERE id = $3 AND community_id = $4",
    )
    .bind(i64::from(b.enabled))
    .bind(seq)
    .bind(&pid)
    .bind(&cid)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(ApiError::not_found("person"));
    }
    tx.commit().await?;
    Ok(NoContent)
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressBody {
    room_id: String,
}

/// Link a person of this community to a room of this community (a second address in another
/// community goes through a multi-address application instead).
pub async fn add_address(
    State(st): State<AppState>,
    Path((cid, pid)): Path<(String, String)>,
    Body(b): Body<AddressBody>,
) -> ApiResult<Created<AddressAddedV1>> {
    let mut tx = st.db.pool.begin().await?;
    InCommunity::new(&cid)
        .in_path(&mut *tx, Kind::Person, &pid)
        .await?;
    InCommunity::new(&cid)
        .require(&mut *tx, Kind::Room, "room_id", &b.room_id)
        .await?;
    insert_address(&mut tx, &pid, &b.room_id, Some(&cid)).await?;
    tx.commit().await?;
    Ok(Created(AddressAddedV1 {
        person_id: pid,
        room_id: b.room_id,
    }))
}

/// Insert an address (room must exist, and be in `community` when given) and bump the person.
pub async fn insert_address(
    tx: &mut sqlx::AnyConnection,
    person_id: &str,
    room_id: &str,
    community: Option<&str>,
) -> ApiResult<()> {
    let room = sqlx::query(
        "SELECT r.community_id, u.id AS unit_id, b.id AS building_id, b.estate_id FROM rooms r \
         JOIN units u ON u.id = r.unit_id JOIN buildings b ON b.id = u.building_id WHERE r.id = $1",
    )
    .bind(room_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| ApiError::invalid("room_id", "no such room in this community"))?;
    let room_community = room.text("community_id")?;
    if community.is_some_and(|c| c != room_community) {
        return Err(ApiError::invalid(
            "room_id",
            "no such room in this community",
        ));
    }
    let seq = next_change_seq(tx).await?;
    sqlx::query(
        "INSERT INTO addresses (person_id, room_id, community_id, estate_id, building_id, unit_id, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(person_id)
    .bind(room_id)
    .bind(&room_community)
    .bind(room.text("estate_id")?)
    .bind(room.text("building_id")?)
    .bind(room.text("unit_id")?)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE people SET change_seq = $1 WHERE id = $2")
        .bind(seq)
        .bind(person_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

pub async fn remove_address(
    State(st): State<AppState>,
    Path((cid, pid, room_id)): Path<(String, String, String)>,
) -> ApiResult<NoContent> {
    let mut tx = st.db.pool.begin().await?;
    let seq = next_change_seq(&mut tx).await?;
    let n = sqlx::query(
        "DELETE FROM addresses WHERE person_id = $1 AND room_id = $2 AND community_id = $3",
    )
    .bind(&pid)
    .bind(&room_id)
    .bind(&cid)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(ApiError::not_found("address"));
    }
    sqlx::query("UPDATE people SET change_seq = $1 WHERE id = $2")
        .bind(seq)
        .bind(&pid)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(NoContent)
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveBody {
    community_id: String,
}

/// Street only: a person moves to another community. Their addresses were rooms of the old
/// community, so they are removed; boxes there drop the person on their next sync.
pub async fn move_person(
    State(st): State<AppState>,
    Path(pid): Path<String>,
    Body(b): Body<MoveBody>,
) -> ApiResult<NoContent> {
    if !crate::scope::community_exists(&st, &b.community_id).await? {
        return Err(ApiError::invalid("community_id", "no such community"));
    }
    let mut tx = st.db.pool.begin().await?;
    let seq = next_change_seq(&mut tx).await?;
    let n = sqlx::query(
        "UPDATE people SET community_id = $1, change_seq = $2 WHERE id = $3 AND kind <> 'visitor'",
    )
    .bind(&b.community_id)
    .bind(seq)
    .bind(&pid)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(ApiError::not_found("person"));
    }
    sqlx::query("DELETE FROM addresses WHERE person_id = $1")
        .bind(&pid)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE accounts SET community_id = $1 WHERE person_id = $2")
        .bind(&b.community_id)
        .bind(&pid)
        .execute(&mut *tx)
        .await?;
    // Face photos and consent belong to the person: the new community's staff manage them.
    for table in ["face_photos", "face_consents"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {table} SET community_id = $1 WHERE person_id = $2"
        )))
        .bind(&b.community_id)
        .bind(&pid)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(NoContent)
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BoxBody {
    estate_id: String,
    name: String,
}

pub async fn create_box(
    State(st): State<AppState>,
    Path(cid): Path<String>,
    Body(b): Body<BoxBody>,
) -> ApiResult<Created<BoxCreatedV1>> {
    let name = text("name", &b.name, 100)?;
    InCommunity::new(&cid)
        .require(&st.db.pool, Kind::Estate, "estate_id", &b.estate_id)
        .await?;
    let id = new_id();
    let code = crate::auth::new_provision_code();
    let expires = now_ms() + (st.cfg.provision_code_ttl_seconds * 1000) as i64;
    sqlx::query(
        "INSERT INTO edge_boxes (id, community_id, estate_id, name, code_hash, code_expires_at_ms, revoked, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7)",
    )
    .bind(&id)
    .bind(&cid)
    .bind(&b.estate_id)
    .bind(&name)
    .bind(crate::auth::provision_code_hash(&code))
    .bind(expires)
    .bind(now_ms())
    .execute(&st.db.pool)
    .await?;
    Ok(Created(BoxCreatedV1 {
        id,
        name,
        estate_id: b.estate_id,
        provisioning_code: code,
        code_expires_at_ms: expires,
    }))
}

pub async fn new_box_code(
    State(st): State<AppState>,
    Path((cid, box_id)): Path<(String, String)>,
) -> ApiResult<Json<ProvisioningCodeV1>> {
    let code = crate::auth::new_provision_code();
    let expires = now_ms() + (st.cfg.provision_code_ttl_seconds * 1000) as i64;
    let n = sqlx::query(
        "UPDATE edge_boxes SET code_hash = $1, code_expires_at_ms = $2 \
         WHERE id = $3 AND community_id = $4 AND public_key IS NULL AND revoked = 0",
    )
    .bind(crate::auth::provision_code_hash(&code))
    .bind(expires)
    .bind(&box_id)
    .bind(&cid)
    .execute(&st.db.pool)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(ApiError::not_found("unprovisioned, unrevoked box"));
    }
    Ok(Json(ProvisioningCodeV1 {
        provisioning_code: code,
        code_expires_at_ms: expires,
    }))
}

pub async fn list_boxes(
    State(st): State<AppState>,
    Path(cid): Path<String>,
) -> ApiResult<Json<Items<BoxV1>>> {
    let now = now_ms();
    let rows = sqlx::query(
        "SELECT id, name, estate_id, revoked, provisioned_at_ms, last_seen_ms, software \
         FROM edge_boxes WHERE community_id = $1 ORDER BY name",
    )
    .bind(&cid)
    .fetch_all(&st.db.pool)
    .await?;
    let ids = rows
        .iter()
        .map(|r| r.text("id"))
        .collect::<Result<Vec<_>, _>>()?;
    let online = st.hub.online_among(&ids, now).await?;
    let items = rows
        .iter()
        .map(|r| {
            let id = r.text("id")?;
            Ok(BoxV1 {
                online: online.contains(&id),
                id,
                name: r.text("name")?,
                estate_id: r.text("estate_id")?,
                revoked: r.flag("revoked")?,
                provisioned_at_ms: r.opt_int("provisioned_at_ms")?,
                last_seen_ms: r.opt_int("last_seen_ms")?,
                software: r.opt_text("software")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Json(items.into()))
}

/// The home page's box figures: boxes in service (provisioned, not revoked) and how many of
/// them hold no connection to this cloud now.
pub(crate) async fn box_counts(st: &AppState, cid: &str, now: i64) -> ApiResult<(i64, i64)> {
    let rows = sqlx::query(
        "SELECT id FROM edge_boxes WHERE community_id = $1 AND revoked = 0 \
         AND provisioned_at_ms IS NOT NULL",
    )
    .bind(cid)
    .fetch_all(&st.db.pool)
    .await?;
    let ids = rows
        .iter()
        .map(|r| r.text("id"))
        .collect::<Result<Vec<_>, _>>()?;
    let online = st.hub.online_among(&ids, now).await?;
    let offline = ids.iter().filter(|id| !online.contains(*id)).count();
    Ok((rows.len() as i64, offline as i64))
}

pub async fn revoke_box(
    State(st): State<AppState>,
    Path((cid, box_id)): Path<(String, String)>,
) -> ApiResult<NoContent> {
    let n = sqlx::query(
        "UPDATE edge_boxes SET revoked = 1, code_hash = NULL WHERE id = $1 AND community_id = $2",
    )
    .bind(&box_id)
    .bind(&cid)
    .execute(&st.db.pool)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(ApiError::not_found("box"));
    }
    tracing::info!(box_id, "edge box revoked");
    Ok(NoContent)
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DoorBody {
    box_id: String,
    code: String,
    name: String,
    #[serde(default)]
    lat: Option<f64>,
    #[serde(default)]
    lon: Option<f64>,
}

pub async fn create_door(
    State(st): State<AppState>,
    Path(cid): Path<String>,
    Body(b): Body<DoorBody>,
) -> ApiResult<Created<DoorCreatedV1>> {
    let name = text("name", &b.name, 100)?;
    if b.code.is_empty()
        || b.code.len() > 64
        || !b
            .code
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    {
        return Err(ApiError::invalid(
            "code",
            "must be 1 to 64 of A-Z a-z 0-9 - _ (the door's id on its box)",
        ));
    }
    lat_lon(b.lat, b.lon)?;
    let mut tx = st.db.pool.begin().await?;
    let bx = InCommunity::new(&cid)
        .row(&mut *tx, Kind::Box, "box_id", &b.box_id, "estate_id")
        .await?;
    let estate = bx.text("estate_id")?;
    let seq = next_change_seq(&mut tx).await?;
    let id = new_id();
    let q = sqlx::query(
        "INSERT INTO doors (id, community_id, estate_id, box_id, code, name, lat, lon, mode, change_seq) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'normal', $9)",
    )
    .bind(&id)
    .bind(&cid)
    .bind(&estate)
    .bind(&b.box_id)
    .bind(&b.code)
    .bind(&name);
    q.bind(b.lat)
        .bind(b.lon)
        .bind(seq)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Created(DoorCreatedV1 {
        id,
        code: b.code,
        name,
        estate_id: estate,
        box_id: b.box_id,
    }))
}

pub async fn list_doors(
    State(st): State<AppState>,
    Path(cid): Path<String>,
) -> ApiResult<Json<Items<DoorV1>>> {
    let rows = sqlx::query(
        "SELECT id, code, name, estate_id, box_id, lat, lon, mode FROM doors WHERE community_id = $1 ORDER BY name",
    )
    .bind(&cid)
    .fetch_all(&st.db.pool)
    .await?;
    let items = rows
        .iter()
        .map(|r| {
            Ok(DoorV1 {
                id: r.text("id")?,
                code: r.text("code")?,
                name: r.text("name")?,
                estate_id: r.text("estate_id")?,
                box_id: r.text("box_id")?,
                lat: r.opt_float("lat")?,
                lon: r.opt_float("lon")?,
                mode: r.text("mode")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Json(items.into()))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModeBody {
    mode: String,
}

pub async fn set_door_mode(
    State(st): State<AppState>,
    Path((cid, door_id)): Path<(String, String)>,
    Body(b): Body<ModeBody>,
) -> ApiResult<NoContent> {
    if edge_sync::vocab::DoorMode::parse(&b.mode).is_none() {
        return Err(ApiError::invalid(
            "mode",
            format!("must be {}", edge_sync::vocab::DoorMode::EXPECTED),
        ));
    }
    let mut tx = st.db.pool.begin().await?;
    let seq = next_change_seq(&mut tx).await?;
    let n = sqlx::query(
        "UPDATE doors SET mode = $1, change_seq = $2 WHERE id = $3 AND community_id = $4",
    )
    .bind(&b.mode)
    .bind(seq)
    .bind(&door_id)
    .bind(&cid)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(ApiError::not_found("door"));
    }
    tx.commit().await?;
    Ok(NoContent)
}
