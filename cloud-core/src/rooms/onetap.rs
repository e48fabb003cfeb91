//! One-tap from the app: pick the nearest door this person may pass (pure: [`nearest_door`]),
//! sign a short-lived command for its box, hand it to the box's long-poll, and answer with what
//! the box reports — or that the box is offline. The box checks its own rights again before it
//! opens; the cloud's choice is a convenience, not the authority.

use axum::extract::State;
use axum::{Extension, Json};
use edge_sync::{OneTapCommandV1, SignedCommand, COMMAND_VERSION};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::db::RowExt;
use crate::error::{lat_lon, ApiError, ApiResult, Body};
use crate::now_ms;
use crate::policy::Caller;
use crate::state::AppState;
use edge_sync::vocab::VISITOR_WINDOW_MS as VISIT_WINDOW_MS;

pub use cloud_rules::onetap::{distance_m, nearest_door, DoorSpot};

// ---- API types (v1) --------------------------------------------------------------------------

/// What a one-tap came to, told by `result`.
#[derive(Serialize, JsonSchema)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum OneTapV1 {
    /// No door this person may pass is within the one-tap radius.
    NoDoorNearby { message: String },
    /// The door's box is not connected; no command was sent.
    BoxOffline(TapUnansweredV1),
    /// The box opened the door.
    Opened(TapAnsweredV1),
    /// The box refused (it checks its own rights again).
    Denied(TapAnsweredV1),
    /// The box did not answer in time.
    Timeout(TapUnansweredV1),
}

/// A one-tap the door's box answered.
#[derive(Serialize, JsonSchema)]
pub struct TapAnsweredV1 {
    pub door_id: String,
    /// The door's name.
    pub door: String,
    /// From the caller to the door, rounded to whole metres.
    pub distance_m: f64,
    pub command_id: Uuid,
    /// The box's reason code (`resident`, `outside_visitor_window`, `replayed`, …).
    pub reason: String,
}

/// A one-tap the door's box did not answer (offline, or too slow).
#[derive(Serialize, JsonSchema)]
pub struct TapUnansweredV1 {
    pub door_id: String,
    /// The door's name.
    pub door: String,
    /// From the caller to the door, rounded to whole metres.
    pub distance_m: f64,
    pub command_id: Uuid,
    pub message: String,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TapBody {
    lat: f64,
    lon: f64,
}

pub async fn one_tap(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Body(b): Body<TapBody>,
) -> ApiResult<Json<OneTapV1>> {
    lat_lon(Some(b.lat), Some(b.lon))?;
    let person = match &caller {
        Caller::Account(a) => a
            .person_id
            .clone()
            .ok_or_else(|| ApiError::forbidden("account not linked to a person"))?,
        _ => return Err(ApiError::unauthenticated("sign in first")),
    };
    let now = now_ms();
    let rows = sqlx::query(
        "SELECT d.id, d.code, d.name, d.box_id, d.community_id, d.lat, d.lon FROM doors d \
         JOIN edge_boxes b ON b.id = d.box_id \
         WHERE b.revoked = 0 AND b.public_key IS NOT NULL AND d.mode <> 'locked' \
           AND d.lat IS NOT NULL AND d.lon IS NOT NULL \
           AND EXISTS (SELECT 1 FROM people p WHERE p.id = $1 AND p.enabled = 1) \
           AND (d.estate_id IN (SELECT estate_id FROM addresses WHERE person_id = $1) \
             OR d.estate_id IN (SELECT v.estate_id FROM visits v JOIN people h ON h.id = v.host_person_id \
                                WHERE v.visitor_person_id = $1 AND v.status = 'approved' \
                                AND v.visit_at_ms - $2 <= $3 AND v.visit_at_ms + $2 >= $3 AND h.enabled = 1 \
                                AND EXISTS (SELECT 1 FROM addresses ha WHERE ha.person_id = h.id AND ha.estate_id = v.estate_id)))",
    )
    .bind(&person)
    .bind(VISIT_WINDOW_MS)
    .bind(now)
    .fetch_all(&st.db.pool)
    .await?;
    let doors = rows
        .iter()
        .map(|r| {
            Ok(DoorSpot {
                id: r.text("id")?,
                code: r.text("code")?,
                name: r.text("name")?,
                box_id: r.text("box_id")?,
                community_id: r.text("community_id")?,
                lat: r.opt_float("lat")?.unwrap_or_default(),
                lon: r.opt_float("lon")?.unwrap_or_default(),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let Some((door, dist)) = nearest_door(&doors, b.lat, b.lon, st.cfg.onetap_radius_m) else {
        return Ok(Json(OneTapV1::NoDoorNearby {
            message: format!("no door you may pass within {} m", st.cfg.onetap_radius_m),
        }));
    };
    let door = door.clone();
    let command_id = Uuid::now_v7();
    let record = |outcome: &'static str| {
        let st = st.clone();
        let (door, person) = (door.clone(), person.clone());
        async move {
            sqlx::query(
                "INSERT INTO commands (id, community_id, box_id, door_id, person_id, issued_at_ms, outcome, finished_at_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(command_id.to_string())
            .bind(&door.community_id)
            .bind(&door.box_id)
            .bind(&door.id)
            .bind(&person)
            .bind(now)
            .bind(if outcome.is_empty() { None } else { Some(outcome) })
            .bind(if outcome.is_empty() { None } else { Some(now) })
            .execute(&st.db.pool)
            .await
        }
    };
    let distance_m = dist.round();
    let unanswered = |message: &str| TapUnansweredV1 {
        door_id: door.id.clone(),
        door: door.name.clone(),
        distance_m,
        command_id,
        message: message.to_string(),
    };
    if !st.hub.is_online(&door.box_id, now).await? {
        record("box_offline").await?;
        return Ok(Json(OneTapV1::BoxOffline(unanswered(
            "the door's box is not connected; try the gate's other ways in",
        ))));
    }
    record("").await?;
    let cmd = OneTapCommandV1 {
        version: COMMAND_VERSION,
        command_id,
        community_id: door.community_id.clone(),
        door_id: door.code.clone(),
        person_id: person.clone(),
        issued_at_ms: now,
        expires_at_ms: now + st.cfg.command_ttl_ms as i64,
    };
    let signed = SignedCommand::sign(&cmd, &st.keys.onetap);
    let rx = st
        .hub
        .push(&door.box_id, command_id, signed, cmd.expires_at_ms)
        .await?;
    let timeout = std::time::Duration::from_millis(st.cfg.onetap_timeout_ms);
    let v = match st.hub.outcome(command_id, rx, timeout).await {
        Some(outcome) => {
            let answered = TapAnsweredV1 {
                door_id: door.id.clone(),
                door: door.name.clone(),
                distance_m,
                command_id,
                reason: outcome.reason,
            };
            if outcome.opened {
                OneTapV1::Opened(answered)
            } else {
                OneTapV1::Denied(answered)
            }
        }
        None => {
            sqlx::query("UPDATE commands SET outcome = 'timeout', finished_at_ms = $1 WHERE id = $2 AND outcome IS NULL")
                .bind(now_ms())
                .bind(command_id.to_string())
                .execute(&st.db.pool)
                .await?;
            OneTapV1::Timeout(unanswered("the box did not answer in time"))
        }
    };
    Ok(Json(v))
}
