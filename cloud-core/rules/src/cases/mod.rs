//! Case management (issue 6), the sans-IO core: no SQL, no HTTP, no clock.
//!
//! This module owns the rules of a case's life — who may do what, in which state, with which
//! inputs, and what gets recorded — plus the pure helpers filing and lists need: the duplicate
//! scorer and deadline arithmetic. Storage and routes call it and persist what it returns:
//!
//! - [`Case::report`] creates a case; [`Case::apply`] performs one [`CaseOp`]. Both take the
//!   acting [`Actor`] and `now` (epoch ms) and return an [`Applied`]: the whole new [`Case`] and
//!   the one [`HistoryEntry`] to append (seq, when, who, from → to, and a typed [`CaseEvent`]).
//!   `Case::version` equals the number of history entries, so a store can update with
//!   `WHERE version = <old>` and append the entry in the same transaction.
//! - [`duplicate::rank`] scores open cases against a new one; its result goes into
//!   [`CaseOp::File`]/[`CaseOp::Refile`], which refuse a likely duplicate without a stated reason.
//! - [`deadline::timeliness`] derives on time / due soon / overdue from a deadline and `now`;
//!   nothing of that is stored.
//! - [`Case::authorize`] / [`Case::available_ops`] answer "may this actor do this now" without
//!   inputs (which buttons to show); [`Case::index`] gives the flat columns lists filter on.
//!
//! Everything stored (case, entries, ops) is serde; enum codes are snake_case and stable. What
//! this core cannot know is the caller's job: that referenced accounts, cases, grids, buildings
//! and attachments exist in scope and have the right kind (a dispatcher is a dispatcher account).
//!
//! ## States
//! `pending → filed → handling → inspection → closed`, or `pending → voided` (also as a
//! duplicate of another case); `voided → filed` again by re-filing. Inspection can fail back to
//! handling. A self-handled case (reported by staff with `self_handled`) may go `pending → closed`
//! in one step by its reporter.
//!
//! ## Who may do what
//! "Manager" = a street admin, or community staff of the case's community. Object-level: staff
//! of another community are refused everything on the case.
//!
//! | op                  | legal in              | street admin / community staff (own) | others                                  |
//! |---------------------|-----------------------|--------------------------------------|-----------------------------------------|
//! | report              | —                     | yes (community staff: own community) | see [`Source::allowed_for`]             |
//! | void                | pending               | yes                                  | no                                      |
//! | mark_duplicate      | pending               | yes                                  | no                                      |
//! | file                | pending               | yes                                  | no                                      |
//! | self_resolve        | pending (self-handled)| only if reporter                     | the reporter only                       |
//! | refile              | voided                | yes                                  | no                                      |
//! | dispatch            | filed                 | yes                                  | no                                      |
//! | assign              | filed                 | yes                                  | the case's dispatcher                   |
//! | add_co_handler      | handling              | yes                                  | the case's dispatcher                   |
//! | reassign            | handling, inspection  | yes                                  | the case's dispatcher (handling only)   |
//! | request_extension   | handling, inspection  | only if current assignee             | the current handler / inspector         |
//! | decide_extension    | handling, inspection  | yes, unless they asked for it        | no                                      |
//! | add_materials       | handling              | yes                                  | the handler, a co-handler               |
//! | complete_handling   | handling              | yes                                  | the handler                             |
//! | assign_inspection   | inspection            | yes                                  | no                                      |
//! | submit_evidence     | inspection            | yes                                  | the inspector                           |
//! | fail_inspection     | inspection            | yes                                  | no                                      |
//! | close               | inspection            | yes                                  | no                                      |
//!
//! Closed cases accept nothing; voided cases accept only `refile`. App roles (resident,
//! visitor, enterprise) and the system actor may only report. Seat operators, field staff,
//! co-handlers and dispatchers act only where the last column names them. Within a legal state
//! some operations also wait on the case (409): `assign_inspection` only while no inspector is
//! assigned, `submit_evidence`/`reassign`/`request_extension` in inspection only once one is,
//! `close` only with evidence in, one open extension request at a time, `decide_extension`
//! only with one open.

pub mod deadline;
pub mod duplicate;
pub mod model;
pub mod workflow;

pub use deadline::{case_number, timeliness, Timeliness, DUE_SOON_MS};
pub use duplicate::{rank, DupConfig, DupLevel, DupMatch, DupReason, DupSubject};
pub use model::*;
pub use workflow::*;

use std::fmt;

use serde::{Deserialize, Serialize};

/// Roles as the case workflow sees them. The account roles of [`crate::policy::Role`] map onto
/// the first five; the others are back-office account kinds of §2.6 (seat operators, co-handlers,
/// dispatchers), app-side staff (工作端) and the system itself (edge alarms, camera warnings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum CaseRole {
    StreetAdmin,
    CommunityStaff,
    Resident,
    Visitor,
    Enterprise,
    /// 工作端: street/community/property staff and volunteers working from the app.
    FieldStaff,
    /// 坐席员: enters hotline and seat cases.
    SeatOperator,
    /// 协办: departments, bureaus, committees… helping with a case.
    CoHandler,
    /// 分转员: forwards filed cases to the unit that handles them.
    Dispatcher,
    /// Automatic reports (edge alarms, camera warnings); never acts on a case.
    System,
}

impl CaseRole {
    pub const ALL: [CaseRole; 10] = [
        CaseRole::StreetAdmin,
        CaseRole::CommunityStaff,
        CaseRole::Resident,
        CaseRole::Visitor,
        CaseRole::Enterprise,
        CaseRole::FieldStaff,
        CaseRole::SeatOperator,
        CaseRole::CoHandler,
        CaseRole::Dispatcher,
        CaseRole::System,
    ];
    pub fn code(self) -> &'static str {
        match self {
            CaseRole::StreetAdmin => "street_admin",
            CaseRole::CommunityStaff => "community_staff",
            CaseRole::Resident => "resident",
            CaseRole::Visitor => "visitor",
            CaseRole::Enterprise => "enterprise",
            CaseRole::FieldStaff => "field_staff",
            CaseRole::SeatOperator => "seat_operator",
            CaseRole::CoHandler => "co_handler",
            CaseRole::Dispatcher => "dispatcher",
            CaseRole::System => "system",
        }
    }
    pub fn parse(s: &str) -> Option<CaseRole> {
        CaseRole::ALL.into_iter().find(|r| r.code() == s)
    }
    /// Phone-app accounts of the public: they report, and never act on a case.
    pub fn is_public(self) -> bool {
        matches!(
            self,
            CaseRole::Resident | CaseRole::Visitor | CaseRole::Enterprise
        )
    }
}

impl From<crate::policy::Role> for CaseRole {
    fn from(r: crate::policy::Role) -> CaseRole {
        use crate::policy::Role;
        match r {
            Role::StreetAdmin => CaseRole::StreetAdmin,
            Role::CommunityStaff => CaseRole::CommunityStaff,
            Role::Resident => CaseRole::Resident,
            Role::Visitor => CaseRole::Visitor,
            Role::Enterprise => CaseRole::Enterprise,
            Role::FieldStaff => CaseRole::FieldStaff,
            Role::SeatOperator => CaseRole::SeatOperator,
            Role::CoHandler => CaseRole::CoHandler,
            Role::Dispatcher => CaseRole::Dispatcher,
        }
    }
}

/// Who performs an operation; recorded as-is in the history entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Actor {
    pub account_id: String,
    pub role: CaseRole,
    /// The community of community staff (their scope); `None` for street-wide accounts.
    #[serde(default)]
    pub community_id: Option<String>,
}

impl Actor {
    pub fn new(account_id: &str, role: CaseRole, community_id: Option<&str>) -> Actor {
        Actor {
            account_id: account_id.to_string(),
            role,
            community_id: community_id.map(str::to_string),
        }
    }
}

/// The state of a case: exactly one at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// 待处理
    Pending,
    /// 立案
    Filed,
    /// 处理
    Handling,
    /// 验收
    Inspection,
    /// 结案
    Closed,
    /// 废案
    Voided,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 6] = [
        CaseStatus::Pending,
        CaseStatus::Filed,
        CaseStatus::Handling,
        CaseStatus::Inspection,
        CaseStatus::Closed,
        CaseStatus::Voided,
    ];
    pub fn code(self) -> &'static str {
        match self {
            CaseStatus::Pending => "pending",
            CaseStatus::Filed => "filed",
            CaseStatus::Handling => "handling",
            CaseStatus::Inspection => "inspection",
            CaseStatus::Closed => "closed",
            CaseStatus::Voided => "voided",
        }
    }
    pub fn parse(s: &str) -> Option<CaseStatus> {
        CaseStatus::ALL.into_iter().find(|v| v.code() == s)
    }
    /// Closed and voided cases are "finished" (已完结) in the lists.
    pub fn is_finished(self) -> bool {
        matches!(self, CaseStatus::Closed | CaseStatus::Voided)
    }
    /// Open311 GeoReport v2 knows only `open` and `closed`; the full code travels as an
    /// extension field.
    pub fn open311(self) -> &'static str {
        if self.is_finished() {
            "closed"
        } else {
            "open"
        }
    }
}

impl fmt::Display for CaseStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// How a route should answer a [`CaseError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// 400: a field is missing or wrong.
    BadRequest,
    /// 403: this actor may not do this to this case.
    Forbidden,
    /// 409: the case's state does not allow it (now).
    Conflict,
}

/// Why an operation was refused. Every message names the operation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CaseError {
    #[error("{op} needs `{field}`")]
    Missing { op: OpKind, field: &'static str },
    #[error("{op}: `{field}` {reason}")]
    Invalid {
        op: OpKind,
        field: &'static str,
        reason: String,
    },
    #[error("cannot {op} a case that is {state}")]
    IllegalTransition { op: OpKind, state: CaseStatus },
    #[error("cannot {op} this {state} case: {reason}")]
    Conflict {
        op: OpKind,
        state: CaseStatus,
        reason: &'static str,
    },
    #[error("{op} is not allowed: {reason}")]
    Forbidden { op: OpKind, reason: &'static str },
    #[error("{op}: likely a duplicate of case {}; mark it a duplicate, or give `not_duplicate_reason`", .numbers.join(", "))]
    LikelyDuplicate { op: OpKind, numbers: Vec<String> },
}

impl CaseError {
    pub fn op(&self) -> OpKind {
        match self {
            CaseError::Missing { op, .. }
            | CaseError::Invalid { op, .. }
            | CaseError::IllegalTransition { op, .. }
            | CaseError::Conflict { op, .. }
            | CaseError::Forbidden { op, .. }
            | CaseError::LikelyDuplicate { op, .. } => *op,
        }
    }
    /// The input field at fault, for a 400's `field`.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            CaseError::Missing { field, .. } | CaseError::Invalid { field, .. } => Some(field),
            CaseError::LikelyDuplicate { .. } => Some("not_duplicate_reason"),
            _ => None,
        }
    }
    pub fn class(&self) -> ErrorClass {
        match self {
            CaseError::Missing { .. } | CaseError::Invalid { .. } => ErrorClass::BadRequest,
            CaseError::Forbidden { .. } => ErrorClass::Forbidden,
            CaseError::IllegalTransition { .. }
            | CaseError::Conflict { .. }
            | CaseError::LikelyDuplicate { .. } => ErrorClass::Conflict,
        }
    }
}

#[cfg(test)]
mod tests;
