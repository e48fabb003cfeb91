//! Lists: a WHERE clause built from optional filters (always starting from the caller's
//! community), keyset pagination (`before` = the `next` of the previous page, newest first) and
//! the page shape `{items, next}` ([`Page`]). Shared by every list route.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// A WHERE clause built from optional filters, with `$n` placeholders in bind order.
pub(crate) struct Filter {
    clauses: Vec<String>,
    binds: Vec<Bind>,
}

pub(crate) enum Bind {
    S(String),
    I(i64),
    B(bool),
}

impl Filter {
    pub(crate) fn new(community: &str, table: &str) -> Filter {
        Filter {
            clauses: vec![format!("{table}.community_id = $1")],
            binds: vec![Bind::S(community.into())],
        }
    }
    /// A clause without a value.
    pub(crate) fn raw(&mut self, sql: &str) {
        self.clauses.push(sql.to_string());
    }
    pub(crate) fn add(&mut self, sql: &str, b: Bind) {
        let n = self.binds.len() + 1;
        self.clauses.push(sql.replace("$?", &format!("${n}")));
        self.binds.push(b);
    }
    pub(crate) fn opt_s(&mut self, sql: &str, v: &Option<String>) {
        if let Some(v) = v {
            self.add(sql, Bind::S(v.clone()));
        }
    }
    pub(crate) fn opt_i(&mut self, sql: &str, v: Option<i64>) {
        if let Some(v) = v {
            self.add(sql, Bind::I(v));
        }
    }
    pub(crate) fn before(&mut self, table: &str, before: &Option<String>) -> ApiResult<()> {
        let Some(b) = before else { return Ok(()) };
        let (at, id) = b
            .split_once(':')
            .and_then(|(a, i)| Some((a.parse::<i64>().ok()?, i.to_string())))
            .ok_or_else(|| {
                ApiError::invalid("before", "must be the `next` value of a previous page")
            })?;
        let n = self.binds.len() + 1;
        self.clauses.push(format!(
            "({table}.at_ms < ${n} OR ({table}.at_ms = ${n} AND {table}.id < ${}))",
            n + 1
        ));
        self.binds.push(Bind::I(at));
        self.binds.push(Bind::S(id));
        Ok(())
    }
    pub(crate) async fn fetch(
        self,
        st: &AppState,
        select: &str,
        limit: i64,
        table: &str,
    ) -> ApiResult<Vec<sqlx::any::AnyRow>> {
        let sql = format!(
            "{select} WHERE {} ORDER BY {table}.at_ms DESC, {table}.id DESC LIMIT {limit}",
            self.clauses.join(" AND ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for b in self.binds {
            q = match b {
                Bind::S(s) => q.bind(s),
                Bind::I(i) => q.bind(i),
                Bind::B(v) => q.bind(i64::from(v)),
            };
        }
        Ok(q.fetch_all(&st.db.pool).await?)
    }
}

pub(crate) fn limit(v: Option<i64>) -> ApiResult<i64> {
    let l = v.unwrap_or(50);
    if !(1..=500).contains(&l) {
        return Err(ApiError::invalid("limit", "must be within 1..=500"));
    }
    Ok(l)
}

/// `limit` (1..=500, default 50) and `offset` (≥ 0, default 0) of an offset-paged list (short
/// lists in a stable order: people, accounts).
pub(crate) fn offset_page(limit: Option<i64>, offset: Option<i64>) -> ApiResult<(i64, i64)> {
    let limit = self::limit(limit)?;
    let offset = offset.unwrap_or(0);
    if offset < 0 {
        return Err(ApiError::invalid("offset", "must not be negative"));
    }
    Ok((limit, offset))
}

/// A page of a newest-first list: `next` is the `before` of the following page, `null` on the
/// last page.
#[derive(serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "Page_{T}")]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `before` to get the next page; `null` when this is the last one.
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// `key` gives an item's place in the order: its time (ms) and id.
    pub fn new(items: Vec<T>, lim: i64, key: impl Fn(&T) -> (i64, &str)) -> Page<T> {
        let next = if items.len() as i64 == lim {
            items.last().map(|l| {
                let (at, id) = key(l);
                format!("{at}:{id}")
            })
        } else {
            None
        };
        Page { items, next }
    }
}
