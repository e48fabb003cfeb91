//! Scoped lookups: the one place where an id named in a request, or in a record a box uploads,
//! is resolved — always against what the caller may reach, never against a street-wide table.
//!
//! - [`InCommunity`]: ids in a staff request's body or query (grids, buildings, rooms, people,
//!   attachments, cases, accounts) resolve only inside the path's community. An id of another
//!   community gets the same answer as an id that does not exist.
//! - Boxes: [`rights_at_estate`] is the one rule for who a box may be sent (an address in its
//!   estate, an *approved* visit there, or staff door rights there); [`sent_to_box`] / [`record_sent`] keep the ledger of
//!   what each box was sent (`box_people`). A box hears of a removal only for people in its
//!   ledger, and what it uploads is joined to personal data only through it.

use std::collections::{HashMap, HashSet};

use edge_sync::directory::AddressV1;

use crate::db::RowExt;
use crate::error::{ApiError, ApiResult};
use crate::policy::Role;

/// Every id-valued field of a staff route's request body, as JSON pointers. Each is resolved in
/// the path's community; `/openapi.json` carries the list as `x-id-fields`, and the scope
/// matrix (`tests/tests/cloud_api.rs`) sends each route, on the caller's own community, a body
/// whose one field names another community's object — and requires a refusal naming it. A
/// unit test below keeps every entry pointing at a real route.
pub const ID_FIELDS: &[(&str, &str, &[&str])] = &[
    (
        "POST",
        "/v1/communities/{community_id}/grids",
        &["/parent_id"],
    ),
    (
        "POST",
        "/v1/communities/{community_id}/estates",
        &["/grid_id"],
    ),
    (
        "POST",
        "/v1/communities/{community_id}/people/{person_id}/addresses",
        &["/room_id"],
    ),
    (
        "PUT",
        "/v1/communities/{community_id}/people/{person_id}/staff-rights",
        &["/estate_ids/0"],
    ),
    (
        "POST",
        "/v1/communities/{community_id}/boxes",
        &["/estate_id"],
    ),
    ("POST", "/v1/communities/{community_id}/doors", &["/box_id"]),
    (
        "POST",
        "/v1/communities/{community_id}/devices",
        &["/box_id", "/building_id"],
    ),
    (
        "PUT",
        "/v1/communities/{community_id}/devices/{device_id}",
        &["/box_id", "/building_id"],
    ),
    (
        "POST",
        "/v1/communities/{community_id}/cases",
        &[
            "/grid/level1",
            "/location/building_id",
            "/linked/person_ids/0",
            "/linked/house_ids/0",
            "/attachments/0/id",
        ],
    ),
    (
        "POST",
        "/v1/communities/{community_id}/alarms/{alarm_id}/case",
        &["/grid/level1"],
    ),
    (
        "POST",
        "/v1/communities/{community_id}/suggestions/{suggestion_id}/case",
        &["/grid/level1"],
    ),
    (
        "POST",
        "/v1/communities/{community_id}/cases/{case_id}/ops",
        &[
            "/dispatcher",
            "/handler/account_id",
            "/co_handlers/0/account_id",
            "/co_handler/account_id",
            "/to/account_id",
            "/inspector/account_id",
            "/of_case_id",
            "/materials/0/id",
            "/evidence/0/id",
        ],
    ),
];

/// The id fields declared for a route (empty when it has none).
pub fn id_fields(method: &str, path: &str) -> &'static [&'static str] {
    ID_FIELDS
        .iter()
        .find(|(m, p, _)| *m == method && *p == path)
        .map_or(&[], |(_, _, f)| *f)
}

/// What kind of object an id names (the table it lives in, scoped by `community_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Grid,
    Building,
    Room,
    Person,
    Attachment,
    Case,
    Estate,
    Box,
    Unit,
}

impl Kind {
    fn table(self) -> &'static str {
        match self {
            Kind::Grid => "grids",
            Kind::Building => "buildings",
            Kind::Room => "rooms",
            Kind::Person => "people",
            Kind::Attachment => "attachments",
            Kind::Case => "cases",
            Kind::Estate => "estates",
            Kind::Box => "edge_boxes",
            Kind::Unit => "units",
        }
    }
    fn noun(self) -> &'static str {
        match self {
            Kind::Grid => "grid",
            Kind::Building => "building",
            Kind::Room => "room",
            Kind::Person => "person",
            Kind::Attachment => "uploaded file",
            Kind::Case => "case",
            Kind::Estate => "estate",
            Kind::Box => "box",
            Kind::Unit => "unit",
        }
    }
}

/// Lookups inside one community (the path's, already checked against the caller by the guard).
/// Each takes the executor to run on (the pool, or the caller's transaction).
pub struct InCommunity<'a> {
    cid: &'a str,
}

impl<'a> InCommunity<'a> {
    pub fn new(cid: &'a str) -> InCommunity<'a> {
        InCommunity { cid }
    }

    /// The object's `cols` if it exists in this community; otherwise 400 naming `field` ("no
    /// such … in this community" — the same whether it is elsewhere or nowhere).
    pub async fn row<'e, E>(
        &self,
        db: E,
        kind: Kind,
        field: &str,
        id: &str,
        cols: &'static str,
    ) -> ApiResult<sqlx::any::AnyRow>
    where
        E: sqlx::Executor<'e, Database = sqlx::Any>,
    {
        self.find(db, kind, id, cols).await?.ok_or_else(|| {
            ApiError::invalid(field, format!("no such {} in this community", kind.noun()))
        })
    }

    /// The object's `cols` if it exists in this community.
    async fn find<'e, E>(
        &self,
        db: E,
        kind: Kind,
        id: &str,
        cols: &'static str,
    ) -> ApiResult<Option<sqlx::any::AnyRow>>
    where
        E: sqlx::Executor<'e, Database = sqlx::Any>,
    {
        let sql = format!(
            "SELECT {cols} FROM {} WHERE id = $1 AND community_id = $2",
            kind.table()
        );
        Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(self.cid)
            .fetch_optional(db)
            .await?)
    }

    /// An id from the request's path: the object exists in this community, or 404 naming its
    /// kind (the same whether it is elsewhere or nowhere).
    pub async fn in_path<'e, E>(&self, db: E, kind: Kind, id: &str) -> ApiResult<()>
    where
        E: sqlx::Executor<'e, Database = sqlx::Any>,
    {
        self.find(db, kind, id, "id")
            .await?
            .map(|_| ())
            .ok_or_else(|| ApiError::not_found(kind.noun()))
    }

    /// The object exists in this community (see [`InCommunity::row`]).
    pub async fn require<'e, E>(&self, db: E, kind: Kind, field: &str, id: &str) -> ApiResult<()>
    where
        E: sqlx::Executor<'e, Database = sqlx::Any>,
    {
        self.row(db, kind, field, id, "id").await.map(|_| ())
    }

    /// An account this community's work may be handed to: enabled, of one of `roles`, and of
    /// this community or street-wide. Anything else — another community's account, an app
    /// user, an unknown id — gets one answer, so the error tells nothing about other accounts.
    pub async fn account<'e, E>(
        &self,
        db: E,
        field: &str,
        id: &str,
        roles: &[Role],
    ) -> ApiResult<()>
    where
        E: sqlx::Executor<'e, Database = sqlx::Any>,
    {
        let row = sqlx::query(
            "SELECT role, enabled FROM accounts WHERE id = $1 \
             AND (community_id = $2 OR community_id IS NULL)",
        )
        .bind(id)
        .bind(self.cid)
        .fetch_optional(db)
        .await?;
        let names: Vec<&str> = roles.iter().map(|r| r.code()).collect();
        let refused = || {
            ApiError::invalid(
                field,
                format!(
                    "no enabled account of role {} serves this community with this id",
                    names.join(" or ")
                ),
            )
        };
        let Some(row) = row else {
            return Err(refused());
        };
        let role = Role::parse(&row.text("role")?);
        // Street-wide accounts without a community are street staff or street-wide case
        // workers; app users (also without a community) never fit a staff role list.
        match role {
            Some(r) if roles.contains(&r) && row.flag("enabled")? => Ok(()),
            _ => Err(refused()),
        }
    }
}

// ---- plain lookups shared by handlers ---------------------------------------------------------

pub async fn community_exists(st: &crate::state::AppState, id: &str) -> ApiResult<bool> {
    Ok(sqlx::query("SELECT id FROM communities WHERE id = $1")
        .bind(id)
        .fetch_optional(&st.db.pool)
        .await?
        .is_some())
}

/// An account's user name, for "by whom" records.
pub async fn username(st: &crate::state::AppState, account_id: &str) -> ApiResult<String> {
    Ok(sqlx::query("SELECT username FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(&st.db.pool)
        .await?
        .ok_or_else(|| ApiError::unauthenticated("the account no longer exists"))?
        .text("username")?)
}

/// Of `ids`, who has rights at `estate` today, with their addresses there: an address in the
/// estate, or an **approved** visit there (a pending, refused or cancelled one gives nothing).
/// The one rule for what a box may be sent — people in its delta and face photos it may fetch.
pub async fn rights_at_estate(
    pool: &sqlx::AnyPool,
    estate: &str,
    ids: &[String],
) -> Result<EstateRights, sqlx::Error> {
    let mut addresses: HashMap<String, Vec<AddressV1>> = HashMap::new();
    let mut visiting = HashSet::new();
    let mut staffing = HashSet::new();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT person_id, building_id, unit_id, room_id FROM addresses \
             WHERE estate_id = $1 AND person_id IN ({}) ORDER BY person_id, room_id",
            placeholders(2, chunk.len())
        );
        let mut qy = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(estate);
        for id in chunk {
            qy = qy.bind(id);
        }
        for a in qy.fetch_all(pool).await? {
            addresses
                .entry(a.text("person_id")?)
                .or_default()
                .push(AddressV1 {
                    estate: estate.to_string(),
                    building: a.text("building_id")?,
                    unit: a.text("unit_id")?,
                    room: a.text("room_id")?,
                });
        }
        let sql = format!(
            "SELECT DISTINCT visitor_person_id FROM visits WHERE estate_id = $1 \
             AND status = 'approved' AND visitor_person_id IN ({})",
            placeholders(2, chunk.len())
        );
        let mut qy = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(estate);
        for id in chunk {
            qy = qy.bind(id);
        }
        for v in qy.fetch_all(pool).await? {
            visiting.insert(v.text("visitor_person_id")?);
        }
        let sql = format!(
            "SELECT person_id FROM staff_door_rights WHERE estate_id = $1 AND person_id IN ({})",
            placeholders(2, chunk.len())
        );
        let mut qy = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(estate);
        for id in chunk {
            qy = qy.bind(id);
        }
        for r in qy.fetch_all(pool).await? {
            staffing.insert(r.text("person_id")?);
        }
    }
    Ok(EstateRights {
        addresses,
        visiting,
        staffing,
    })
}

/// Who of the people asked about has rights at an estate, and why.
#[derive(Debug, Default)]
pub struct EstateRights {
    /// People with an address in the estate, with those addresses.
    pub addresses: HashMap<String, Vec<AddressV1>>,
    /// People with an approved visit there.
    pub visiting: HashSet<String>,
    /// People with staff door rights there (`staff_door_rights`).
    pub staffing: HashSet<String>,
}

impl EstateRights {
    pub fn any(&self, id: &str) -> bool {
        self.addresses.contains_key(id) || self.visiting.contains(id) || self.staffing.contains(id)
    }
}

/// The same rule as [`rights_at_estate`] as an SQL condition, for queries that check one
/// person inside a larger statement: `person` is a column, `estate` a placeholder.
pub fn rights_at_estate_sql(person: &str, estate: &str) -> String {
    format!(
        "(EXISTS (SELECT 1 FROM addresses ra WHERE ra.person_id = {person} AND ra.estate_id = {estate}) \
         OR EXISTS (SELECT 1 FROM visits rv WHERE rv.visitor_person_id = {person} \
                    AND rv.estate_id = {estate} AND rv.status = 'approved') \
         OR EXISTS (SELECT 1 FROM staff_door_rights rs WHERE rs.person_id = {person} AND rs.estate_id = {estate}))"
    )
}

/// The SQL condition "this box was sent `person`" (`box_id` a placeholder).
pub fn sent_to_box_sql(person: &str, box_id: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM box_people bp WHERE bp.box_id = {box_id} AND bp.person_id = {person})"
    )
}

/// Of `ids`, the people this box was ever sent.
pub async fn sent_to_box(
    pool: &sqlx::AnyPool,
    box_id: &str,
    ids: &[String],
) -> Result<HashSet<String>, sqlx::Error> {
    let mut out = HashSet::new();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT person_id FROM box_people WHERE box_id = $1 AND person_id IN ({})",
            placeholders(2, chunk.len())
        );
        let mut qy = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(box_id);
        for id in chunk {
            qy = qy.bind(id);
        }
        for r in qy.fetch_all(pool).await? {
            out.insert(r.text("person_id")?);
        }
    }
    Ok(out)
}

/// Add people to the box's ledger (before the delta that carries them is answered).
pub async fn record_sent(
    pool: &sqlx::AnyPool,
    box_id: &str,
    ids: &[String],
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    for chunk in ids.chunks(300) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| format!("($1, ${}, $2)", i + 3))
            .collect();
        let sql = format!(
            "INSERT INTO box_people (box_id, person_id, first_sent_ms) VALUES {} \
             ON CONFLICT (box_id, person_id) DO NOTHING",
            rows.join(", ")
        );
        let mut qy = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(box_id)
            .bind(now_ms);
        for id in chunk {
            qy = qy.bind(id);
        }
        qy.execute(pool).await?;
    }
    Ok(())
}

pub(crate) use crate::db::placeholders;

/// The person the calling account is linked to (residents, and visitors once they are
/// registered); 403 for an account without one, 401 for anyone else.
pub fn caller_person(caller: &crate::policy::Caller) -> Result<String, ApiError> {
    match caller {
        crate::policy::Caller::Account(a) => a
            .person_id
            .clone()
            .ok_or_else(|| ApiError::forbidden("this account is not linked to a person")),
        _ => Err(ApiError::unauthenticated("sign in first")),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn declared_id_fields_belong_to_real_community_routes() {
        let routes = crate::server::routes();
        for (m, p, fields) in super::ID_FIELDS {
            let r = routes
                .iter()
                .find(|r| r.method.as_str() == *m && r.path == *p)
                .unwrap_or_else(|| panic!("ID_FIELDS names {m} {p}, which is not a route"));
            assert!(
                r.path.starts_with("/v1/communities/{community_id}/"),
                "{m} {p}: id fields are resolved in the path's community"
            );
            assert!(!fields.is_empty() && fields.iter().all(|f| f.starts_with('/')));
        }
    }
}
