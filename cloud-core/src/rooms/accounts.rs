//! Accounts and sessions: login (throttled), logout, sign-up for app users, staff accounts made
//! by street admins, and disabling an account (which ends its sessions at once).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::auth::{self, ThrottleVerdict};
use crate::contract::{Created, NoContent, SetCookie};
use crate::db::RowExt;
use crate::error::{phone, text, ApiError, ApiResult, Body, Q};
use crate::policy::{Account, Caller, Role};
use crate::state::AppState;
use crate::throttles::{self, Which};
use crate::{new_id, now_ms};

// ---- API types (v1) --------------------------------------------------------------------------

/// A session just opened by `POST /v1/auth/login`.
#[derive(Serialize, JsonSchema)]
pub struct SessionV1 {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_at_ms: i64,
    pub account: AccountV1,
}

/// A console session (`POST /v1/console/session`): the session token itself is in an
/// `HttpOnly` cookie; send `csrf_token` as the `X-CSRF-Token` header with every write.
#[derive(Serialize, JsonSchema)]
pub struct ConsoleSessionV1 {
    pub csrf_token: String,
    pub expires_at_ms: i64,
    pub username: String,
    pub account: AccountV1,
    /// The communities this account may work on (one for community accounts).
    pub communities: Vec<CommunityRefV1>,
    /// The route classes (`x-access` in the API document) this account passes on those
    /// communities: the console builds its menu from them. The server checks every request
    /// anyway.
    pub rights: Vec<crate::policy::Access>,
}

/// A community by id and name.
#[derive(Serialize, JsonSchema)]
pub struct CommunityRefV1 {
    pub id: String,
    pub name: String,
}

/// An account: who is signed in.
#[derive(Serialize, JsonSchema)]
pub struct AccountV1 {
    pub id: String,
    pub role: Role,
    /// Community staff: their community; residents: their home community.
    pub community_id: Option<String>,
    /// App accounts: the person they are.
    pub person_id: Option<String>,
}

/// What `POST /v1/app/signup` answers: a resident (whose activation code proved the phone)
/// learns what was made; anyone else gets the same answer whether or not the phone already had
/// an account.
#[derive(Serialize, JsonSchema)]
#[serde(untagged)]
pub enum SignupV1 {
    Resident(ResidentSignedUpV1),
    Accepted(SignupAcceptedV1),
}

/// A sign-up's status: always `created`.
#[derive(Clone, Copy, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignupStatusV1 {
    Created,
}

/// A visitor or enterprise sign-up, accepted.
#[derive(Serialize, JsonSchema)]
pub struct SignupAcceptedV1 {
    pub status: SignupStatusV1,
    pub role: Role,
    /// What to do now.
    pub next: String,
}

/// A resident's account, made.
#[derive(Serialize, JsonSchema)]
pub struct ResidentSignedUpV1 {
    pub status: SignupStatusV1,
    /// The new account's id.
    pub id: String,
    pub person_id: String,
    pub role: Role,
}

impl From<Account> for AccountV1 {
    fn from(a: Account) -> Self {
        AccountV1 {
            id: a.id,
            role: a.role,
            community_id: a.community_id,
            person_id: a.person_id,
        }
    }
}

/// A staff account just made.
#[derive(Serialize, JsonSchema)]
pub struct StaffAccountV1 {
    pub id: String,
    pub username: String,
    pub role: Role,
}

/// A staff account in the street's list.
#[derive(Serialize, JsonSchema)]
pub struct StaffAccountRowV1 {
    pub id: String,
    pub username: String,
    pub role: Role,
    /// Community staff and community case workers: their community; street-wide accounts: null.
    pub community_id: Option<String>,
    pub community_name: Option<String>,
    /// A disabled account cannot sign in; its sessions ended when it was disabled.
    pub enabled: bool,
    pub created_at_ms: i64,
}

/// A page of staff accounts (offset paging, oldest first).
#[derive(Serialize, JsonSchema)]
pub struct StaffAccountsPageV1 {
    pub items: Vec<StaffAccountRowV1>,
    pub limit: i64,
    pub offset: i64,
}

// ---- handlers -------------------------------------------------------------------------------

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    username: String,
    password: String,
}

fn too_many(retry_after_ms: i64, what: &str) -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
        format!("{what}; try again in {} s", (retry_after_ms + 999) / 1000),
    )
}

/// Login. Throttled by `auth::LoginKeys`: a name guessed from one address is refused from that
/// address only, an address failing for many names is refused, and a name guessed from many
/// addresses is refused except from addresses it signed in from before. Successes never count.
pub async fn login(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Body(b): Body<LoginBody>,
) -> ApiResult<Json<SessionV1>> {
    let (token, expires_at_ms, account) = open_session(&st, peer, &b).await?;
    Ok(Json(SessionV1 {
        token,
        expires_at_ms,
        account,
    }))
}

/// Check the password (throttled, see [`login`]) and open a session: its token, expiry and
/// account.
async fn open_session(
    st: &AppState,
    peer: SocketAddr,
    b: &LoginBody,
) -> ApiResult<(String, i64, AccountV1)> {
    let now = now_ms();
    let keys = auth::LoginKeys::new(&b.username, &peer.ip().to_string());
    let touched = [
        keys.pair.as_str(),
        keys.address.as_str(),
        keys.name.as_str(),
    ];
    let verdict = throttles::run(st, Which::Login, &touched, |t| {
        let v = keys.check(t, now);
        if v == ThrottleVerdict::Allowed {
            keys.count(t, now);
        }
        v
    })
    .await?;
    if let ThrottleVerdict::Refused { retry_after_ms } = verdict {
        return Err(too_many(retry_after_ms, "too many failed logins"));
    }
    let row = sqlx::query(
        "SELECT id, password_hash, role, community_id, person_id, enabled FROM accounts \
         WHERE username = $1",
    )
    .bind(b.username.trim())
    .fetch_optional(&st.db.pool)
    .await?;
    // Hash verification is slow on purpose; run it off the async workers.
    let stored = match &row {
        Some(r) => r.text("password_hash")?,
        None => auth::dummy_hash().to_string(),
    };
    let ok = auth::verify_password_bounded(b.password.clone(), stored).await;
    let enabled = match &row {
        Some(r) => r.flag("enabled")?,
        None => false,
    };
    let Some(row) = row.filter(|_| ok && enabled) else {
        throttles::run(st, Which::Login, &touched, |t| keys.failed(t, now)).await?;
        tracing::info!(peer = %peer.ip(), "login refused");
        return Err(ApiError::unauthenticated(
            "user name or password is wrong, or the account is disabled",
        ));
    };
    throttles::run(st, Which::Login, &touched, |t| keys.succeeded(t, now)).await?;
    let (token, hash) = auth::new_token();
    let expires = now + (st.cfg.session_ttl_seconds * 1000) as i64;
    let account_id = row.text("id")?;
    // Every stored role was written by `Role::code`; the same check as for a session's token.
    let role = Role::parse(&row.text("role")?)
        .ok_or_else(|| ApiError::internal("account has an unknown role"))?;
    sqlx::query(
        "INSERT INTO sessions (token_hash, account_id, expires_at_ms, created_at_ms) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(&hash)
    .bind(&account_id)
    .bind(expires)
    .bind(now)
    .execute(&st.db.pool)
    .await?;
    let account = AccountV1 {
        id: account_id,
        role,
        community_id: row.opt_text("community_id")?,
        person_id: row.opt_text("person_id")?,
    };
    Ok((token, expires, account))
}

/// The console's login: the same check and throttle as [`login`], but the session token goes
/// into an `HttpOnly` cookie that page scripts cannot read; the answer carries the session's
/// CSRF token instead. Staff accounts only: the app signs in with bearer tokens.
pub async fn console_login(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Body(b): Body<LoginBody>,
) -> ApiResult<SetCookie<Json<ConsoleSessionV1>>> {
    let (token, expires_at_ms, account) = open_session(&st, peer, &b).await?;
    if account.role.is_app() {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(auth::token_hash(&token))
            .execute(&st.db.pool)
            .await?;
        return Err(ApiError::forbidden(
            "the console is for street, community and case staff; sign in with the app",
        ));
    }
    let session = console_session_of(&st, &token, expires_at_ms, account).await?;
    Ok(SetCookie {
        cookie: auth::session_cookie(
            &token,
            st.cfg.session_ttl_seconds,
            st.cfg.console.secure_cookie,
        ),
        response: Json(session),
    })
}

/// The console's session after a reload: who is signed in, the CSRF token again, the
/// communities the account may work on. Only with the session cookie.
pub async fn console_session(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: axum::http::HeaderMap,
) -> ApiResult<Json<ConsoleSessionV1>> {
    let Caller::Account(a) = caller else {
        return Err(ApiError::unauthenticated("sign in first"));
    };
    let Some(auth::Presented::Cookie(token)) = auth::presented_token(&headers) else {
        return Err(ApiError::unauthenticated("no console session cookie"));
    };
    let expires_at_ms = sqlx::query("SELECT expires_at_ms FROM sessions WHERE token_hash = $1")
        .bind(auth::token_hash(&token))
        .fetch_optional(&st.db.pool)
        .await?
        .ok_or_else(|| ApiError::unauthenticated("session unknown or expired"))?
        .int("expires_at_ms")?;
    Ok(Json(
        console_session_of(&st, &token, expires_at_ms, a.into()).await?,
    ))
}

async fn console_session_of(
    st: &AppState,
    token: &str,
    expires_at_ms: i64,
    account: AccountV1,
) -> ApiResult<ConsoleSessionV1> {
    let username = crate::scope::username(st, &account.id).await?;
    // The communities this account may work on: its own, or every one for street-wide staff.
    let rows = match &account.community_id {
        Some(cid) => {
            sqlx::query("SELECT id, name FROM communities WHERE id = $1")
                .bind(cid)
                .fetch_all(&st.db.pool)
                .await?
        }
        None => {
            sqlx::query("SELECT id, name FROM communities ORDER BY name, id")
                .fetch_all(&st.db.pool)
                .await?
        }
    };
    let communities = rows
        .iter()
        .map(|r| {
            Ok(CommunityRefV1 {
                id: r.text("id")?,
                name: r.text("name")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let caller = Caller::Account(Account {
        id: account.id.clone(),
        role: account.role,
        community_id: account.community_id.clone(),
        person_id: account.person_id.clone(),
    });
    // Every community of the list is alike for the account, so the first stands for all.
    let probe = communities
        .first()
        .map(|c| c.id.clone())
        .or_else(|| account.community_id.clone());
    use crate::policy::Access;
    let rights = [
        Access::Account,
        Access::Street,
        Access::Community,
        Access::Cases,
    ]
    .into_iter()
    .filter(|a| crate::policy::decide(*a, &caller, probe.as_deref()).is_ok())
    .collect();
    Ok(ConsoleSessionV1 {
        rights,
        csrf_token: auth::csrf_token(token),
        expires_at_ms,
        username,
        account,
        communities,
    })
}

/// End the session the request came with (bearer token, or the console's cookie, which is
/// also removed from the browser).
pub async fn logout(
    State(st): State<AppState>,
    headers: axum::http::HeaderMap,
) -> ApiResult<SetCookie<NoContent>> {
    if let Some(auth::Presented::Bearer(token) | auth::Presented::Cookie(token)) =
        auth::presented_token(&headers)
    {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(auth::token_hash(&token))
            .execute(&st.db.pool)
            .await?;
    }
    Ok(SetCookie {
        cookie: auth::expired_session_cookie(st.cfg.console.secure_cookie),
        response: NoContent,
    })
}

pub async fn me(Extension(caller): Extension<Caller>) -> ApiResult<Json<AccountV1>> {
    match caller {
        Caller::Account(a) => Ok(Json(a.into())),
        _ => Err(ApiError::unauthenticated("not an account")),
    }
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupBody {
    phone: String,
    name: String,
    password: String,
    /// visitor | enterprise | resident
    role: String,
    /// Residents only: the activation code community staff gave them (proves the phone's owner
    /// is the registered resident).
    #[serde(default)]
    activation_code: Option<String>,
}

/// App sign-up. The phone number is the user name. A resident must already be registered by
/// staff with this phone and bring the activation code staff gave them; visitors and
/// enterprises get a person record of their own.
///
/// Abuse limits: sign-ups per client address are throttled (`signup_max_per_address` per
/// `signup_window_seconds`), everything cheap is checked before the password is hashed, and
/// hashing runs on `auth::HASH_THREADS` dedicated threads. A visitor or enterprise sign-up answers
/// the same whether or not the phone already has an account (nothing is created then), so the
/// route tells nobody which phones are registered. A resident's valid activation code proves
/// the phone: an account that squats on it (made without a code) is disabled and renamed, and
/// the resident's account is made.
pub async fn signup(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Body(b): Body<SignupBody>,
) -> ApiResult<Created<SignupV1>> {
    let phone = phone("phone", &b.phone)?;
    let name = text("name", &b.name, 100)?;
    auth::check_password_rules(&b.password).map_err(|r| ApiError::invalid("password", r))?;
    let role = match Role::parse(&b.role) {
        Some(r) if r.is_app() => r,
        _ => {
            return Err(ApiError::invalid(
                "role",
                "must be visitor, enterprise or resident",
            ))
        }
    };
    if role == Role::Resident && b.activation_code.is_none() {
        return Err(ApiError::invalid(
            "activation_code",
            "residents sign up with the code community staff gave them",
        ));
    }
    let now = now_ms();
    {
        let key = format!("signup:{}", peer.ip());
        let verdict = throttles::run(&st, Which::Signup, &[&key], |t| {
            let v = t.check(&key, now);
            if v == ThrottleVerdict::Allowed {
                t.failure(&key, now);
            }
            v
        })
        .await?;
        if let ThrottleVerdict::Refused { retry_after_ms } = verdict {
            return Err(too_many(
                retry_after_ms,
                "too many sign-ups from this address",
            ));
        }
    }
    let accepted = || {
        Created(SignupV1::Accepted(SignupAcceptedV1 {
            status: SignupStatusV1::Created,
            role,
            next: "log in with this phone and password".into(),
        }))
    };
    // Cheap checks first; the hash is computed only for a sign-up that will be stored.
    let resident = match b.activation_code.as_deref() {
        Some(code) if role == Role::Resident => {
            Some(resident_by_code(&st.db.pool, &phone, code, now).await?)
        }
        _ => None,
    };
    if resident.is_none() && username_taken(&st.db.pool, &phone).await? {
        tracing::info!("app sign-up for a phone that has an account; nothing created");
        return Ok(accepted());
    }
    let hash = auth::hash_password_bounded(b.password.clone())
        .await
        .map_err(ApiError::internal)?;
    let mut tx = st.db.pool.begin().await?;
    let (person_id, community_id) = if let Some((id, community)) = resident {
        // Again inside the transaction: the code is single use.
        let n = sqlx::query(
            "UPDATE people SET activation_hash = NULL WHERE id = $1 AND activation_hash = $2 \
             AND activation_expires_at_ms > $3",
        )
        .bind(&id)
        .bind(auth::provision_code_hash(
            b.activation_code.as_deref().unwrap_or(""),
        ))
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n != 1 {
            return Err(bad_code());
        }
        supersede_squatter(&mut tx, &phone, &id).await?;
        (id, community)
    } else {
        if username_taken(&mut *tx, &phone).await? {
            return Ok(accepted());
        }
        let id = new_id();
        let seq = crate::db::next_change_seq(&mut tx).await?;
        sqlx::query(
            "INSERT INTO people (id, community_id, name, kind, phone, enabled, change_seq, created_at_ms) \
             VALUES ($1, NULL, $2, 'visitor', $3, 1, $4, $5)",
        )
        .bind(&id)
        .bind(&name)
        .bind(&phone)
        .bind(seq)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        (id, None)
    };
    let account_id = new_id();
    sqlx::query(
        "INSERT INTO accounts (id, username, password_hash, role, community_id, person_id, enabled, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7)",
    )
    .bind(&account_id)
    .bind(&phone)
    .bind(&hash)
    .bind(role.code())
    .bind(&community_id)
    .bind(&person_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    if role == Role::Resident {
        // The code proved who this is: the answer may say what was made.
        return Ok(Created(SignupV1::Resident(ResidentSignedUpV1 {
            status: SignupStatusV1::Created,
            id: account_id,
            person_id,
            role,
        })));
    }
    Ok(accepted())
}

fn bad_code() -> ApiError {
    ApiError::invalid(
        "activation_code",
        "no resident with this phone and this code (codes expire; ask community staff for a new one)",
    )
}

/// The registered resident (person id, community) this phone and activation code belong to.
async fn resident_by_code(
    pool: &sqlx::AnyPool,
    phone: &str,
    code: &str,
    now: i64,
) -> ApiResult<(String, Option<String>)> {
    let row = sqlx::query(
        "SELECT id, community_id FROM people WHERE phone = $1 AND kind <> 'visitor' \
         AND activation_hash = $2 AND activation_expires_at_ms > $3 ORDER BY created_at_ms LIMIT 1",
    )
    .bind(phone)
    .bind(auth::provision_code_hash(code))
    .bind(now)
    .fetch_optional(pool)
    .await?
    .ok_or_else(bad_code)?;
    Ok((row.text("id")?, row.opt_text("community_id")?))
}

async fn username_taken<'e, E>(db: E, username: &str) -> ApiResult<bool>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query("SELECT id FROM accounts WHERE username = $1")
        .bind(username)
        .fetch_optional(db)
        .await?
        .is_some())
}

/// An account holding the phone that a resident just proved with their activation code, made
/// without one (a visitor or enterprise sign-up), loses the name: disabled, renamed aside, its
/// sessions ended. Its history stays.
async fn supersede_squatter(
    tx: &mut sqlx::AnyConnection,
    phone: &str,
    resident: &str,
) -> ApiResult<()> {
    let Some(row) = sqlx::query("SELECT id, person_id FROM accounts WHERE username = $1")
        .bind(phone)
        .fetch_optional(&mut *tx)
        .await?
    else {
        return Ok(());
    };
    let id = row.text("id")?;
    if row.opt_text("person_id")?.as_deref() == Some(resident) {
        return Err(ApiError::conflict(
            "already_exists",
            "this resident already has an account; log in",
        ));
    }
    sqlx::query("UPDATE accounts SET enabled = 0, username = $1 WHERE id = $2")
        .bind(format!("{phone}~superseded~{id}"))
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE account_id = $1")
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    tracing::warn!(account_id = %id, "an account made without an activation code held a resident's phone; disabled and renamed");
    Ok(())
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffBody {
    username: String,
    password: String,
    /// street_admin | community_staff
    role: String,
    #[serde(default)]
    community_id: Option<String>,
}

pub async fn create_staff(
    State(st): State<AppState>,
    Body(b): Body<StaffBody>,
) -> ApiResult<Created<StaffAccountV1>> {
    let username = text("username", &b.username, 64)?;
    auth::check_password_rules(&b.password).map_err(|r| ApiError::invalid("password", r))?;
    let role = match Role::parse(&b.role) {
        Some(r) if !r.is_app() => r,
        _ => {
            return Err(ApiError::invalid(
                "role",
                "must be street_admin, community_staff, field_staff, seat_operator, co_handler or dispatcher",
            ))
        }
    };
    let community = match (role, b.community_id.as_deref()) {
        (Role::StreetAdmin, Some(_)) => {
            return Err(ApiError::invalid(
                "community_id",
                "street accounts have no community",
            ))
        }
        // Case workers may serve one community or the whole street.
        (r, Some(c)) if r == Role::CommunityStaff || r.is_case_worker() => {
            crate::scope::community_exists(&st, c)
                .await?
                .then_some(())
                .ok_or_else(|| ApiError::invalid("community_id", "no such community"))?;
            Some(c.to_string())
        }
        (Role::CommunityStaff, None) => {
            return Err(ApiError::invalid(
                "community_id",
                "required for community staff",
            ))
        }
        (_, Some(_)) => {
            return Err(ApiError::invalid(
                "community_id",
                "street accounts have no community",
            ))
        }
        (_, None) => None,
    };
    let id = insert_account(&st, &username, &b.password, role, community.as_deref()).await?;
    Ok(Created(StaffAccountV1 { id, username, role }))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffListQuery {
    /// Part of the user name (case-insensitive).
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    community_id: Option<String>,
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    limit: Option<i64>,
    #[serde(default)]
    offset: Option<i64>,
}

/// The street's staff accounts (app accounts are residents', visitors' and enterprises' own and
/// are not listed here), oldest first, filtered by name, role, community and status.
pub async fn list_staff(
    State(st): State<AppState>,
    Q(q): Q<StaffListQuery>,
) -> ApiResult<Json<StaffAccountsPageV1>> {
    let (limit, offset) = crate::paging::offset_page(q.limit, q.offset)?;
    let role = match q.role.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        None => None,
        Some(r) => match Role::parse(r) {
            Some(r) if !r.is_app() => Some(r),
            _ => {
                return Err(ApiError::invalid(
                    "role",
                    "must be a staff role: street_admin, community_staff, field_staff, seat_operator, co_handler or dispatcher",
                ))
            }
        },
    };
    let staff: Vec<&str> = Role::ALL
        .iter()
        .filter(|r| !r.is_app())
        .map(|r| r.code())
        .collect();
    let needle = crate::db::contains_pattern(&q.q.unwrap_or_default().trim().to_lowercase());
    let placeholders = crate::scope::placeholders(5, staff.len());
    let sql = format!(
        "SELECT a.id, a.username, a.role, a.community_id, c.name AS community_name, a.enabled, a.created_at_ms \
         FROM accounts a LEFT JOIN communities c ON c.id = a.community_id \
         WHERE LOWER(a.username) LIKE $1 ESCAPE '\\' \
           AND ($2 = '' OR a.role = $2) AND ($3 = '' OR a.community_id = $3) AND ($4 < 0 OR a.enabled = $4) \
           AND a.role IN ({placeholders}) \
         ORDER BY a.created_at_ms, a.id LIMIT {limit} OFFSET {offset}"
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(needle)
        .bind(role.map(|r| r.code()).unwrap_or(""))
        .bind(q.community_id.unwrap_or_default())
        .bind(q.enabled.map(i64::from).unwrap_or(-1));
    for code in staff {
        query = query.bind(code);
    }
    let rows = query.fetch_all(&st.db.pool).await?;
    let items = rows
        .iter()
        .map(|r| {
            Ok(StaffAccountRowV1 {
                id: r.text("id")?,
                username: r.text("username")?,
                role: Role::parse(&r.text("role")?)
                    .ok_or_else(|| ApiError::internal("account has an unknown role"))?,
                community_id: r.opt_text("community_id")?,
                community_name: r.opt_text("community_name")?,
                enabled: r.flag("enabled")?,
                created_at_ms: r.int("created_at_ms")?,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Json(StaffAccountsPageV1 {
        items,
        limit,
        offset,
    }))
}

/// Create a staff account (also the `create-admin` bootstrap command).
pub async fn insert_account(
    st: &AppState,
    username: &str,
    password: &str,
    role: Role,
    community: Option<&str>,
) -> ApiResult<String> {
    let hash = auth::hash_password_bounded(password.to_string())
        .await
        .map_err(ApiError::internal)?;
    let id = new_id();
    sqlx::query(
        "INSERT INTO accounts (id, username, password_hash, role, community_id, person_id, enabled, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, NULL, 1, $6)",
    )
    .bind(&id)
    .bind(username)
    .bind(&hash)
    .bind(role.code())
    .bind(community)
    .bind(now_ms())
    .execute(&st.db.pool)
    .await?;
    Ok(id)
}

pub async fn disable(
    State(st): State<AppState>,
    Path(account_id): Path<String>,
) -> ApiResult<NoContent> {
    let mut tx = st.db.pool.begin().await?;
    let n = sqlx::query("UPDATE accounts SET enabled = 0 WHERE id = $1")
        .bind(&account_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(ApiError::not_found("account"));
    }
    sqlx::query("DELETE FROM sessions WHERE account_id = $1")
        .bind(&account_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    tracing::info!(account_id, "account disabled; sessions ended");
    Ok(NoContent)
}

/// The account a live session token belongs to (also Open311's `api_key`).
pub async fn account_by_token(st: &AppState, token: &str) -> Result<Account, ApiError> {
    let row = sqlx::query(
        "SELECT a.id, a.role, a.community_id, a.person_id FROM sessions s \
         JOIN accounts a ON a.id = s.account_id \
         WHERE s.token_hash = $1 AND s.expires_at_ms > $2 AND a.enabled = 1",
    )
    .bind(auth::token_hash(token.trim()))
    .bind(now_ms())
    .fetch_optional(&st.db.pool)
    .await?;
    let Some(row) = row else {
        return Err(ApiError::unauthenticated(
            "session unknown, expired, or its account is disabled",
        ));
    };
    let role = Role::parse(&row.text("role")?)
        .ok_or_else(|| ApiError::internal("account has an unknown role"))?;
    Ok(Account {
        id: row.text("id")?,
        role,
        community_id: row.opt_text("community_id")?,
        person_id: row.opt_text("person_id")?,
    })
}
