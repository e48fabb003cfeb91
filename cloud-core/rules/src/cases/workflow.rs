//! The case state machine: [`Case::report`] and [`Case::apply`], who may perform each
//! operation ([`Case::authorize`]), what it needs, and the [`HistoryEntry`] it records.
//!
//! Checks run in a fixed order so errors are predictable: the state first (an illegal transition
//! is refused whoever asks), then the actor, then the inputs.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::deadline::{timeliness, Timeliness};
use super::duplicate::{DupLevel, DupMatch};
use super::model::{
    assignee, attachments, optional, required, Assignee, AttachmentRef, CategoryTree, NewCase,
    MAX_LINKS, MAX_SHORT_CHARS, MAX_TEXT_CHARS,
};
use super::{Actor, CaseError, CaseRole, CaseStatus};

const DAY_MS: i64 = 86_400_000;
/// A deadline may be set at most this far ahead.
pub const MAX_DEADLINE_AHEAD_MS: i64 = 365 * DAY_MS;
/// One extension moves a deadline by at most this much.
pub const MAX_EXTENSION_MS: i64 = 90 * DAY_MS;
/// Version of the stored shapes ([`Case`], [`HistoryEntry`]); store it beside the JSON and
/// convert explicitly when it changes.
pub const RECORD_VERSION: u32 = 1;

/// Every operation, for errors, history and permission tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    Report,
    Void,
    MarkDuplicate,
    File,
    SelfResolve,
    Refile,
    Dispatch,
    Assign,
    AddCoHandler,
    Reassign,
    RequestExtension,
    DecideExtension,
    AddMaterials,
    CompleteHandling,
    AssignInspection,
    SubmitEvidence,
    FailInspection,
    Close,
}

impl OpKind {
    pub const ALL: [OpKind; 18] = [
        OpKind::Report,
        OpKind::Void,
        OpKind::MarkDuplicate,
        OpKind::File,
        OpKind::SelfResolve,
        OpKind::Refile,
        OpKind::Dispatch,
        OpKind::Assign,
        OpKind::AddCoHandler,
        OpKind::Reassign,
        OpKind::RequestExtension,
        OpKind::DecideExtension,
        OpKind::AddMaterials,
        OpKind::CompleteHandling,
        OpKind::AssignInspection,
        OpKind::SubmitEvidence,
        OpKind::FailInspection,
        OpKind::Close,
    ];
    pub fn code(self) -> &'static str {
        match self {
            OpKind::Report => "report",
            OpKind::Void => "void",
            OpKind::MarkDuplicate => "mark_duplicate",
            OpKind::File => "file",
            OpKind::SelfResolve => "self_resolve",
            OpKind::Refile => "refile",
            OpKind::Dispatch => "dispatch",
            OpKind::Assign => "assign",
            OpKind::AddCoHandler => "add_co_handler",
            OpKind::Reassign => "reassign",
            OpKind::RequestExtension => "request_extension",
            OpKind::DecideExtension => "decide_extension",
            OpKind::AddMaterials => "add_materials",
            OpKind::CompleteHandling => "complete_handling",
            OpKind::AssignInspection => "assign_inspection",
            OpKind::SubmitEvidence => "submit_evidence",
            OpKind::FailInspection => "fail_inspection",
            OpKind::Close => "close",
        }
    }
    pub fn parse(s: &str) -> Option<OpKind> {
        OpKind::ALL.into_iter().find(|v| v.code() == s)
    }
    /// The states an existing case must be in for this operation (`report` creates a case and
    /// applies to none).
    pub fn legal_in(self) -> &'static [CaseStatus] {
        use CaseStatus::*;
        match self {
            OpKind::Report => &[],
            OpKind::Void | OpKind::MarkDuplicate | OpKind::File | OpKind::SelfResolve => &[Pending],
            OpKind::Refile => &[Voided],
            OpKind::Dispatch | OpKind::Assign => &[Filed],
            OpKind::AddCoHandler | OpKind::AddMaterials | OpKind::CompleteHandling => &[Handling],
            OpKind::Reassign | OpKind::RequestExtension | OpKind::DecideExtension => {
                &[Handling, Inspection]
            }
            OpKind::AssignInspection
            | OpKind::SubmitEvidence
            | OpKind::FailInspection
            | OpKind::Close => &[Inspection],
        }
    }
}

impl fmt::Display for OpKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The two stages that run against a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Handling,
    Inspection,
}

/// The outcome of the duplicate check at filing. Build `candidates` server-side with
/// [`super::duplicate::rank`]; only `not_duplicate_reason` comes from the person filing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DuplicateCheck {
    #[serde(default)]
    pub candidates: Vec<DupMatch>,
    /// Why the case is filed although a likely duplicate exists.
    #[serde(default)]
    pub not_duplicate_reason: Option<String>,
}

/// One operation on an existing case, with its inputs. Serde-tagged by `op`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum CaseOp {
    /// pending → voided (废案); the reason is required.
    Void {
        reason: String,
    },
    /// pending → voided, linked to the case it repeats.
    MarkDuplicate {
        of_case_id: String,
        of_number: String,
        #[serde(default)]
        note: String,
    },
    /// pending → filed (立案), after the duplicate check.
    File {
        #[serde(default)]
        check: DuplicateCheck,
    },
    /// pending → closed: the reporting staff member handled it alone (自行处理).
    SelfResolve {
        materials: Vec<AttachmentRef>,
        closing_note: String,
    },
    /// voided → filed (重新立案), with a reason and a fresh duplicate check.
    Refile {
        reason: String,
        #[serde(default)]
        check: DuplicateCheck,
    },
    /// filed: give the case to a dispatcher (分转) to assign.
    Dispatch {
        dispatcher: String,
        #[serde(default)]
        note: String,
    },
    /// filed → handling: handler, deadline, requirements, optional co-handlers (协办).
    Assign {
        handler: Assignee,
        deadline_ms: i64,
        requirements: String,
        #[serde(default)]
        co_handlers: Vec<Assignee>,
    },
    AddCoHandler {
        co_handler: Assignee,
    },
    /// 重新分配: another handler (in handling) or inspector (in inspection); deadline kept.
    Reassign {
        to: Assignee,
        #[serde(default)]
        reason: String,
    },
    /// 延时申请 by the current handler or inspector.
    RequestExtension {
        until_ms: i64,
        reason: String,
    },
    /// Staff approve (the deadline moves) or refuse (a note is required).
    DecideExtension {
        approve: bool,
        #[serde(default)]
        note: String,
    },
    AddMaterials {
        materials: Vec<AttachmentRef>,
        #[serde(default)]
        note: String,
    },
    /// handling → inspection (处理完成); materials must exist by now.
    CompleteHandling {
        #[serde(default)]
        materials: Vec<AttachmentRef>,
        #[serde(default)]
        note: String,
    },
    /// inspection: assign the inspector with a deadline and requirements (分配验收).
    AssignInspection {
        inspector: Assignee,
        deadline_ms: i64,
        requirements: String,
    },
    /// The inspector's evidence (资料凭证).
    SubmitEvidence {
        evidence: Vec<AttachmentRef>,
        #[serde(default)]
        note: String,
    },
    /// inspection → handling: not done; back to the handler.
    FailInspection {
        reason: String,
    },
    /// inspection → closed (验收完成, 结案) with the closing note.
    Close {
        closing_note: String,
    },
}

impl CaseOp {
    pub fn kind(&self) -> OpKind {
        match self {
            CaseOp::Void { .. } => OpKind::Void,
            CaseOp::MarkDuplicate { .. } => OpKind::MarkDuplicate,
            CaseOp::File { .. } => OpKind::File,
            CaseOp::SelfResolve { .. } => OpKind::SelfResolve,
            CaseOp::Refile { .. } => OpKind::Refile,
            CaseOp::Dispatch { .. } => OpKind::Dispatch,
            CaseOp::Assign { .. } => OpKind::Assign,
            CaseOp::AddCoHandler { .. } => OpKind::AddCoHandler,
            CaseOp::Reassign { .. } => OpKind::Reassign,
            CaseOp::RequestExtension { .. } => OpKind::RequestExtension,
            CaseOp::DecideExtension { .. } => OpKind::DecideExtension,
            CaseOp::AddMaterials { .. } => OpKind::AddMaterials,
            CaseOp::CompleteHandling { .. } => OpKind::CompleteHandling,
            CaseOp::AssignInspection { .. } => OpKind::AssignInspection,
            CaseOp::SubmitEvidence { .. } => OpKind::SubmitEvidence,
            CaseOp::FailInspection { .. } => OpKind::FailInspection,
            CaseOp::Close { .. } => OpKind::Close,
        }
    }
}

/// A case's link to another case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CaseLink {
    pub case_id: String,
    pub number: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct VoidInfo {
    pub reason: String,
    /// Set when voided as a duplicate (FixMyStreet's "duplicate" links to the original).
    #[serde(default)]
    pub duplicate_of: Option<CaseLink>,
    pub by: String,
    pub at_ms: i64,
}

/// A dispatch task (分转任务): the dispatcher is to assign the case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DispatchTask {
    pub dispatcher: String,
    pub by: String,
    pub at_ms: i64,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct HandlingStage {
    pub handler: Assignee,
    pub deadline_ms: i64,
    pub requirements: String,
    pub assigned_by: String,
    pub assigned_at_ms: i64,
    /// Materials the handler and co-handlers uploaded (references).
    #[serde(default)]
    pub materials: Vec<AttachmentRef>,
    /// When handling was reported done; cleared when inspection fails.
    #[serde(default)]
    pub completed_at_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CoHandling {
    pub who: Assignee,
    pub by: String,
    pub at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct InspectionStage {
    pub inspector: Assignee,
    pub deadline_ms: i64,
    pub requirements: String,
    pub assigned_by: String,
    pub assigned_at_ms: i64,
    #[serde(default)]
    pub evidence: Vec<AttachmentRef>,
    #[serde(default)]
    pub evidence_at_ms: Option<i64>,
}

/// An open extension request; at most one at a time, dropped when the stage changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ExtensionRequest {
    pub stage: Stage,
    pub until_ms: i64,
    pub reason: String,
    pub by: String,
    pub at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Closure {
    pub note: String,
    pub by: String,
    pub at_ms: i64,
    /// True when the reporter resolved it alone; then `materials` holds their uploads.
    #[serde(default)]
    pub self_resolved: bool,
    #[serde(default)]
    pub materials: Vec<AttachmentRef>,
}

/// A case: its report data and where its workflow stands. Persist it whole (JSON) or by
/// columns; `version` is the number of history entries so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Case {
    pub id: String,
    /// Human case number, see [`super::deadline::case_number`].
    pub number: String,
    pub status: CaseStatus,
    pub data: NewCase,
    pub reported_by: Actor,
    pub reported_at_ms: i64,
    pub updated_at_ms: i64,
    pub version: u32,
    #[serde(default)]
    pub filed_at_ms: Option<i64>,
    #[serde(default)]
    pub void: Option<VoidInfo>,
    #[serde(default)]
    pub dispatch: Option<DispatchTask>,
    #[serde(default)]
    pub handling: Option<HandlingStage>,
    #[serde(default)]
    pub co_handlers: Vec<CoHandling>,
    #[serde(default)]
    pub inspection: Option<InspectionStage>,
    #[serde(default)]
    pub extension: Option<ExtensionRequest>,
    #[serde(default)]
    pub closure: Option<Closure>,
}

/// What happened, with its data, as recorded in a history entry. Serde-tagged by `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CaseEvent {
    Reported {
        source: super::Source,
        supervision: bool,
        self_handled: bool,
    },
    Voided {
        reason: String,
    },
    MarkedDuplicate {
        of: CaseLink,
        note: String,
    },
    Filed {
        candidates: Vec<DupMatch>,
        not_duplicate_reason: Option<String>,
    },
    SelfResolved {
        materials: Vec<AttachmentRef>,
        closing_note: String,
    },
    Refiled {
        reason: String,
        previous_void: Option<VoidInfo>,
        candidates: Vec<DupMatch>,
        not_duplicate_reason: Option<String>,
    },
    Dispatched {
        dispatcher: String,
        previous: Option<String>,
        note: String,
    },
    Assigned {
        handler: Assignee,
        deadline_ms: i64,
        requirements: String,
        co_handlers: Vec<Assignee>,
    },
    CoHandlerAdded {
        co_handler: Assignee,
    },
    Reassigned {
        stage: Stage,
        from: Assignee,
        to: Assignee,
        reason: String,
        lapsed_extension: bool,
    },
    ExtensionRequested {
        stage: Stage,
        current_deadline_ms: i64,
        until_ms: i64,
        reason: String,
    },
    ExtensionApproved {
        stage: Stage,
        old_deadline_ms: i64,
        new_deadline_ms: i64,
        requested_by: String,
        note: String,
    },
    ExtensionRefused {
        stage: Stage,
        until_ms: i64,
        requested_by: String,
        note: String,
    },
    MaterialsAdded {
        materials: Vec<AttachmentRef>,
        note: String,
    },
    HandlingCompleted {
        materials: Vec<AttachmentRef>,
        note: String,
        /// Done after the handling deadline.
        late: bool,
        lapsed_extension: bool,
    },
    InspectionAssigned {
        inspector: Assignee,
        deadline_ms: i64,
        requirements: String,
    },
    EvidenceSubmitted {
        evidence: Vec<AttachmentRef>,
        note: String,
    },
    InspectionFailed {
        reason: String,
        /// The failed inspection round, kept here since the case clears it.
        inspection: Option<InspectionStage>,
        lapsed_extension: bool,
    },
    Closed {
        closing_note: String,
        lapsed_extension: bool,
    },
}

/// One line of a case's record: who did what, when, from which state to which.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct HistoryEntry {
    pub case_id: String,
    /// 0 for the report, then +1 per accepted operation.
    pub seq: u32,
    pub at_ms: i64,
    pub actor: Actor,
    pub op: OpKind,
    /// `None` for the report.
    pub from: Option<CaseStatus>,
    pub to: CaseStatus,
    pub event: CaseEvent,
}

/// The columns the lists of §2.1 filter on (time range, handling type and unit, number, grid,
/// source, keyword; pending, finished, co-handling, dispatch, my and self-handled cases;
/// overdue via `active_deadline_ms < now`). Derived from the case on every write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CaseIndex {
    pub id: String,
    pub number: String,
    pub community_id: String,
    pub status: &'static str,
    pub source: &'static str,
    pub supervision: bool,
    pub self_handled: bool,
    pub category_major: String,
    pub category_middle: String,
    pub category_minor: String,
    pub grid_level1: String,
    pub grid_level2: Option<String>,
    pub grid_level3: Option<String>,
    pub handling_kind: Option<super::UnitKind>,
    pub handling_unit: Option<String>,
    pub handler: Option<String>,
    pub inspector: Option<String>,
    pub dispatcher: Option<String>,
    /// Co-handler accounts (a child table, for the co-handling task list).
    pub co_handlers: Vec<String>,
    /// Who must act now ("my tasks").
    pub assignee: Option<String>,
    pub active_deadline_ms: Option<i64>,
    pub extension_open: bool,
    pub reported_by: String,
    pub reported_at_ms: i64,
    pub updated_at_ms: i64,
    /// Number, problem, description and location text, for keyword search.
    pub keywords: String,
    pub version: u32,
}

/// An accepted operation: the case to store and the entry to append.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    pub case: Case,
    pub entry: HistoryEntry,
}

fn staff_reporter(role: CaseRole) -> bool {
    matches!(
        role,
        CaseRole::StreetAdmin | CaseRole::CommunityStaff | CaseRole::FieldStaff
    )
}

fn deadline_ahead(op: OpKind, field: &'static str, d: i64, now: i64) -> Result<i64, CaseError> {
    let inv = |reason: &str| CaseError::Invalid {
        op,
        field,
        reason: reason.to_string(),
    };
    if d <= now {
        return Err(inv("must be in the future"));
    }
    if d > now.saturating_add(MAX_DEADLINE_AHEAD_MS) {
        return Err(inv("must be within 365 days"));
    }
    Ok(d)
}

/// Refuse a likely duplicate unless a reason is given; other cases' matches only.
fn duplicate_check(
    op: OpKind,
    self_id: &str,
    check: &DuplicateCheck,
) -> Result<(Vec<DupMatch>, Option<String>), CaseError> {
    let candidates: Vec<DupMatch> = check
        .candidates
        .iter()
        .filter(|m| m.case_id != self_id)
        .cloned()
        .collect();
    let reason = match check.not_duplicate_reason.as_deref() {
        Some(r) if !r.trim().is_empty() => {
            Some(optional(op, "not_duplicate_reason", r, MAX_TEXT_CHARS)?)
        }
        _ => None,
    };
    let likely: Vec<String> = candidates
        .iter()
        .filter(|m| m.level == DupLevel::Likely)
        .map(|m| m.number.clone())
        .collect();
    if !likely.is_empty() && reason.is_none() {
        return Err(CaseError::LikelyDuplicate {
            op,
            numbers: likely,
        });
    }
    Ok((candidates, reason))
}

impl Case {
    /// A new pending case from a report. `id` and `number` come from storage.
    pub fn report(
        id: &str,
        number: &str,
        new: &NewCase,
        actor: &Actor,
        tree: &CategoryTree,
        now_ms: i64,
    ) -> Result<Applied, CaseError> {
        let op = OpKind::Report;
        if !new.source.allowed_for(actor.role) {
            return Err(CaseError::Forbidden {
                op,
                reason: "this role may not report a case from this source",
            });
        }
        let id = required(op, "id", id, MAX_SHORT_CHARS)?;
        let number = required(op, "number", number, MAX_SHORT_CHARS)?;
        let data = new.validated(tree)?;
        if actor.role == CaseRole::CommunityStaff
            && actor.community_id.as_deref() != Some(data.community_id.as_str())
        {
            return Err(CaseError::Forbidden {
                op,
                reason: "community staff report cases of their own community only",
            });
        }
        // A supervision report is an official finding, so it is staff's; so is handling alone.
        if data.supervision && !staff_reporter(actor.role) {
            return Err(CaseError::Forbidden {
                op,
                reason: "only staff make supervision reports",
            });
        }
        if data.self_handled && !staff_reporter(actor.role) {
            return Err(CaseError::Forbidden {
                op,
                reason: "only staff handle a case themselves",
            });
        }
        let event = CaseEvent::Reported {
            source: data.source,
            supervision: data.supervision,
            self_handled: data.self_handled,
        };
        let case = Case {
            id: id.clone(),
            number,
            status: CaseStatus::Pending,
            data,
            reported_by: actor.clone(),
            reported_at_ms: now_ms,
            updated_at_ms: now_ms,
            version: 1,
            filed_at_ms: None,
            void: None,
            dispatch: None,
            handling: None,
            co_handlers: Vec::new(),
            inspection: None,
            extension: None,
            closure: None,
        };
        let entry = HistoryEntry {
            case_id: id,
            seq: 0,
            at_ms: now_ms,
            actor: actor.clone(),
            op,
            from: None,
            to: CaseStatus::Pending,
            event,
        };
        Ok(Applied { case, entry })
    }

    /// A street admin, or community staff of this case's community.
    pub fn is_manager(&self, actor: &Actor) -> bool {
        match actor.role {
            CaseRole::StreetAdmin => true,
            CaseRole::CommunityStaff => {
                actor.community_id.as_deref() == Some(self.data.community_id.as_str())
            }
            _ => false,
        }
    }

    fn is_dispatcher(&self, actor: &Actor) -> bool {
        actor.role == CaseRole::Dispatcher
            && self
                .dispatch
                .as_ref()
                .is_some_and(|d| d.dispatcher == actor.account_id)
    }

    /// The stage running against a deadline now, if any.
    pub fn active_stage(&self) -> Option<Stage> {
        match self.status {
            CaseStatus::Handling => Some(Stage::Handling),
            CaseStatus::Inspection => Some(Stage::Inspection),
            _ => None,
        }
    }

    /// The deadline that counts now: the handler's in handling, the inspector's in inspection
    /// (none until one is assigned). Store it in a column to list overdue cases with
    /// `active_deadline_ms < now`.
    pub fn active_deadline(&self) -> Option<i64> {
        match self.status {
            CaseStatus::Handling => self.handling.as_ref().map(|h| h.deadline_ms),
            CaseStatus::Inspection => self.inspection.as_ref().map(|i| i.deadline_ms),
            _ => None,
        }
    }

    /// Who must act now: the handler in handling, the inspector in inspection ("my tasks").
    pub fn current_assignee(&self) -> Option<&Assignee> {
        match self.status {
            CaseStatus::Handling => self.handling.as_ref().map(|h| &h.handler),
            CaseStatus::Inspection => self.inspection.as_ref().map(|i| &i.inspector),
            _ => None,
        }
    }

    /// On time / due soon / overdue against the active deadline.
    pub fn timeliness(&self, now_ms: i64, due_soon_ms: i64) -> Timeliness {
        timeliness(self.active_deadline(), now_ms, due_soon_ms)
    }

    /// The operations `actor` may start on this case now (which buttons to show). Inputs are
    /// checked only when the operation is applied.
    pub fn available_ops(&self, actor: &Actor) -> Vec<OpKind> {
        OpKind::ALL
            .into_iter()
            .filter(|&op| self.authorize(op, actor).is_ok())
            .collect()
    }

    /// May `actor` perform `op` on this case in its present state? Inputs aside.
    pub fn authorize(&self, op: OpKind, actor: &Actor) -> Result<(), CaseError> {
        let state = self.status;
        if !op.legal_in().contains(&state) {
            return Err(CaseError::IllegalTransition { op, state });
        }
        if actor.role.is_public() || actor.role == CaseRole::System {
            return Err(CaseError::Forbidden {
                op,
                reason: "only staff act on a case",
            });
        }
        let me = actor.account_id.as_str();
        let manager = self.is_manager(actor);
        let forbid = |reason| Err(CaseError::Forbidden { op, reason });
        let conflict = |reason| Err(CaseError::Conflict { op, state, reason });
        let managers_only = "needs a street admin or staff of the case's community";
        match op {
            OpKind::Report => Err(CaseError::IllegalTransition { op, state }),
            OpKind::Void
            | OpKind::MarkDuplicate
            | OpKind::File
            | OpKind::Refile
            | OpKind::Dispatch
            | OpKind::FailInspection => {
                if manager {
                    Ok(())
                } else {
                    forbid(managers_only)
                }
            }
            OpKind::SelfResolve => {
                if !self.data.self_handled {
                    conflict("the case was not reported as self-handled")
                } else if self.reported_by.account_id != me {
                    forbid("only the reporter resolves a self-handled case")
                } else {
                    Ok(())
                }
            }
            OpKind::Assign | OpKind::AddCoHandler => {
                if manager || self.is_dispatcher(actor) {
                    Ok(())
                } else {
                    forbid("needs a manager of the case's community or its dispatcher")
                }
            }
            OpKind::Reassign => match (&self.inspection, state) {
                (_, CaseStatus::Handling) if manager || self.is_dispatcher(actor) => Ok(()),
                (_, CaseStatus::Handling) => {
                    forbid("needs a manager of the case's community or its dispatcher")
                }
                (None, _) => conflict("no inspector is assigned yet; assign the inspection"),
                (Some(_), _) if manager => Ok(()),
                (Some(_), _) => forbid(managers_only),
            },
            OpKind::RequestExtension => match self.current_assignee() {
                None => conflict("no inspector is assigned yet"),
                Some(a) if a.account_id != me => {
                    forbid("only the current handler or inspector asks for more time")
                }
                Some(_) if self.extension.is_some() => {
                    conflict("an extension request is already open")
                }
                Some(_) => Ok(()),
            },
            OpKind::DecideExtension => match &self.extension {
                _ if !manager => forbid(managers_only),
                None => conflict("no extension request is open"),
                // Four eyes: a manager who is also the handler cannot grant themselves time.
                Some(r) if r.by == me => forbid("nobody decides their own extension request"),
                Some(_) => Ok(()),
            },
            OpKind::AddMaterials => {
                let handler = self
                    .handling
                    .as_ref()
                    .is_some_and(|h| h.handler.account_id == me);
                let co = self.co_handlers.iter().any(|c| c.who.account_id == me);
                if manager || handler || co {
                    Ok(())
                } else {
                    forbid("only the handler, a co-handler or a manager adds materials")
                }
            }
            OpKind::CompleteHandling => {
                let handler = self
                    .handling
                    .as_ref()
                    .is_some_and(|h| h.handler.account_id == me);
                if manager || handler {
                    Ok(())
                } else {
                    forbid("only the handler or a manager completes handling")
                }
            }
            OpKind::AssignInspection => {
                if !manager {
                    forbid(managers_only)
                } else if self.inspection.is_some() {
                    conflict("an inspector is already assigned; reassign instead")
                } else {
                    Ok(())
                }
            }
            OpKind::SubmitEvidence => match &self.inspection {
                None => conflict("no inspector is assigned yet"),
                Some(i) if manager || i.inspector.account_id == me => Ok(()),
                Some(_) => forbid("only the inspector or a manager submits evidence"),
            },
            OpKind::Close => match &self.inspection {
                _ if !manager => forbid(managers_only),
                Some(i) if !i.evidence.is_empty() => Ok(()),
                _ => conflict("the inspector's evidence is not in yet"),
            },
        }
    }

    /// Perform `op` as `actor` at `now_ms`: the new case and the history entry to append, or
    /// why not (and then nothing changed).
    pub fn apply(&self, op: &CaseOp, actor: &Actor, now_ms: i64) -> Result<Applied, CaseError> {
        let kind = op.kind();
        self.authorize(kind, actor)?;
        let me = actor.account_id.clone();
        let mut c = self.clone();
        let event = match op {
            CaseOp::Void { reason } => {
                let reason = required(kind, "reason", reason, MAX_TEXT_CHARS)?;
                c.status = CaseStatus::Voided;
                c.void = Some(VoidInfo {
                    reason: reason.clone(),
                    duplicate_of: None,
                    by: me,
                    at_ms: now_ms,
                });
                CaseEvent::Voided { reason }
            }
            CaseOp::MarkDuplicate {
                of_case_id,
                of_number,
                note,
            } => {
                let of = CaseLink {
                    case_id: required(kind, "of_case_id", of_case_id, MAX_SHORT_CHARS)?,
                    number: required(kind, "of_number", of_number, MAX_SHORT_CHARS)?,
                };
                if of.case_id == self.id {
                    return Err(CaseError::Invalid {
                        op: kind,
                        field: "of_case_id",
                        reason: "is this case itself".into(),
                    });
                }
                let note = optional(kind, "note", note, MAX_TEXT_CHARS)?;
                c.status = CaseStatus::Voided;
                c.void = Some(VoidInfo {
                    reason: if note.is_empty() {
                        format!("duplicate of {}", of.number)
                    } else {
                        note.clone()
                    },
                    duplicate_of: Some(of.clone()),
                    by: me,
                    at_ms: now_ms,
                });
                CaseEvent::MarkedDuplicate { of, note }
            }
            CaseOp::File { check } => {
                let (candidates, not_duplicate_reason) = duplicate_check(kind, &self.id, check)?;
                c.status = CaseStatus::Filed;
                c.filed_at_ms = Some(now_ms);
                CaseEvent::Filed {
                    candidates,
                    not_duplicate_reason,
                }
            }
            CaseOp::SelfResolve {
                materials,
                closing_note,
            } => {
                let materials = attachments(kind, "materials", materials, true)?;
                let closing_note = required(kind, "closing_note", closing_note, MAX_TEXT_CHARS)?;
                c.status = CaseStatus::Closed;
                c.closure = Some(Closure {
                    note: closing_note.clone(),
                    by: me,
                    at_ms: now_ms,
                    self_resolved: true,
                    materials: materials.clone(),
                });
                CaseEvent::SelfResolved {
                    materials,
                    closing_note,
                }
            }
            CaseOp::Refile { reason, check } => {
                let reason = required(kind, "reason", reason, MAX_TEXT_CHARS)?;
                let (candidates, not_duplicate_reason) = duplicate_check(kind, &self.id, check)?;
                c.status = CaseStatus::Filed;
                c.filed_at_ms = Some(now_ms);
                c.void = None;
                CaseEvent::Refiled {
                    reason,
                    previous_void: self.void.clone(),
                    candidates,
                    not_duplicate_reason,
                }
            }
            CaseOp::Dispatch { dispatcher, note } => {
                let dispatcher = required(kind, "dispatcher", dispatcher, MAX_SHORT_CHARS)?;
                let note = optional(kind, "note", note, MAX_TEXT_CHARS)?;
                let previous = self.dispatch.as_ref().map(|d| d.dispatcher.clone());
                if previous.as_deref() == Some(dispatcher.as_str()) {
                    return Err(CaseError::Invalid {
                        op: kind,
                        field: "dispatcher",
                        reason: "already holds this dispatch task".into(),
                    });
                }
                c.dispatch = Some(DispatchTask {
                    dispatcher: dispatcher.clone(),
                    by: me,
                    at_ms: now_ms,
                    note: note.clone(),
                });
                CaseEvent::Dispatched {
                    dispatcher,
                    previous,
                    note,
                }
            }
            CaseOp::Assign {
                handler,
                deadline_ms,
                requirements,
                co_handlers,
            } => {
                let handler = assignee(kind, "handler", handler)?;
                let deadline_ms = deadline_ahead(kind, "deadline_ms", *deadline_ms, now_ms)?;
                let requirements = required(kind, "requirements", requirements, MAX_TEXT_CHARS)?;
                if co_handlers.len() > MAX_LINKS {
                    return Err(CaseError::Invalid {
                        op: kind,
                        field: "co_handlers",
                        reason: format!("has more than {MAX_LINKS} entries"),
                    });
                }
                let mut cos: Vec<Assignee> = Vec::new();
                for a in co_handlers {
                    let a = assignee(kind, "co_handlers", a)?;
                    if a.account_id == handler.account_id
                        || cos.iter().any(|x| x.account_id == a.account_id)
                    {
                        return Err(CaseError::Invalid {
                            op: kind,
                            field: "co_handlers",
                            reason: format!("names account {} twice", a.account_id),
                        });
                    }
                    cos.push(a);
                }
                c.status = CaseStatus::Handling;
                c.handling = Some(HandlingStage {
                    handler: handler.clone(),
                    deadline_ms,
                    requirements: requirements.clone(),
                    assigned_by: me.clone(),
                    assigned_at_ms: now_ms,
                    materials: Vec::new(),
                    completed_at_ms: None,
                });
                c.co_handlers.extend(cos.iter().map(|who| CoHandling {
                    who: who.clone(),
                    by: me.clone(),
                    at_ms: now_ms,
                }));
                CaseEvent::Assigned {
                    handler,
                    deadline_ms,
                    requirements,
                    co_handlers: cos,
                }
            }
            CaseOp::AddCoHandler { co_handler } => {
                let who = assignee(kind, "co_handler", co_handler)?;
                let is_handler = self
                    .handling
                    .as_ref()
                    .is_some_and(|h| h.handler.account_id == who.account_id);
                if is_handler
                    || self
                        .co_handlers
                        .iter()
                        .any(|x| x.who.account_id == who.account_id)
                {
                    return Err(CaseError::Invalid {
                        op: kind,
                        field: "co_handler",
                        reason: "already works on this case".into(),
                    });
                }
                if self.co_handlers.len() >= MAX_LINKS {
                    return Err(CaseError::Invalid {
                        op: kind,
                        field: "co_handler",
                        reason: format!("the case already has {MAX_LINKS} co-handlers"),
                    });
                }
                c.co_handlers.push(CoHandling {
                    who: who.clone(),
                    by: me,
                    at_ms: now_ms,
                });
                CaseEvent::CoHandlerAdded { co_handler: who }
            }
            CaseOp::Reassign { to, reason } => {
                let to = assignee(kind, "to", to)?;
                let reason = optional(kind, "reason", reason, MAX_TEXT_CHARS)?;
                let (stage, slot) = match (self.status, c.handling.as_mut(), c.inspection.as_mut())
                {
                    (CaseStatus::Handling, Some(h), _) => (Stage::Handling, &mut h.handler),
                    (CaseStatus::Inspection, _, Some(i)) => (Stage::Inspection, &mut i.inspector),
                    _ => {
                        return Err(CaseError::Conflict {
                            op: kind,
                            state: self.status,
                            reason: "nobody is assigned to reassign from",
                        })
                    }
                };
                if slot.account_id == to.account_id {
                    return Err(CaseError::Invalid {
                        op: kind,
                        field: "to",
                        reason: "is already assigned".into(),
                    });
                }
                let from = std::mem::replace(slot, to.clone());
                if stage == Stage::Handling {
                    // The new handler leads now; they are no longer also a co-handler.
                    c.co_handlers.retain(|x| x.who.account_id != to.account_id);
                }
                // An open request was the old assignee's to make; it goes with them.
                let lapsed_extension = c.extension.take().is_some();
                CaseEvent::Reassigned {
                    stage,
                    from,
                    to,
                    reason,
                    lapsed_extension,
                }
            }
            CaseOp::RequestExtension { until_ms, reason } => {
                let reason = required(kind, "reason", reason, MAX_TEXT_CHARS)?;
                let (Some(stage), Some(current)) = (self.active_stage(), self.active_deadline())
                else {
                    return Err(CaseError::Conflict {
                        op: kind,
                        state: self.status,
                        reason: "there is no deadline to extend",
                    });
                };
                let inv = |reason: &str| CaseError::Invalid {
                    op: kind,
                    field: "until_ms",
                    reason: reason.to_string(),
                };
                if *until_ms <= current {
                    return Err(inv("must be later than the current deadline"));
                }
                if *until_ms <= now_ms {
                    return Err(inv("must be in the future"));
                }
                if *until_ms > current.saturating_add(MAX_EXTENSION_MS) {
                    return Err(inv("may extend the deadline by at most 90 days"));
                }
                c.extension = Some(ExtensionRequest {
                    stage,
                    until_ms: *until_ms,
                    reason: reason.clone(),
                    by: me,
                    at_ms: now_ms,
                });
                CaseEvent::ExtensionRequested {
                    stage,
                    current_deadline_ms: current,
                    until_ms: *until_ms,
                    reason,
                }
            }
            CaseOp::DecideExtension { approve, note } => {
                let note = if *approve {
                    optional(kind, "note", note, MAX_TEXT_CHARS)?
                } else {
                    required(kind, "note", note, MAX_TEXT_CHARS)?
                };
                let Some(req) = c.extension.take() else {
                    return Err(CaseError::Conflict {
                        op: kind,
                        state: self.status,
                        reason: "no extension request is open",
                    });
                };
                if !approve {
                    CaseEvent::ExtensionRefused {
                        stage: req.stage,
                        until_ms: req.until_ms,
                        requested_by: req.by,
                        note,
                    }
                } else {
                    let slot = match (req.stage, c.handling.as_mut(), c.inspection.as_mut()) {
                        (Stage::Handling, Some(h), _) => &mut h.deadline_ms,
                        (Stage::Inspection, _, Some(i)) => &mut i.deadline_ms,
                        _ => {
                            return Err(CaseError::Conflict {
                                op: kind,
                                state: self.status,
                                reason: "the request's stage has no deadline",
                            })
                        }
                    };
                    let old_deadline_ms = std::mem::replace(slot, req.until_ms);
                    CaseEvent::ExtensionApproved {
                        stage: req.stage,
                        old_deadline_ms,
                        new_deadline_ms: req.until_ms,
                        requested_by: req.by,
                        note,
                    }
                }
            }
            CaseOp::AddMaterials { materials, note } => {
                let materials = attachments(kind, "materials", materials, true)?;
                let note = optional(kind, "note", note, MAX_TEXT_CHARS)?;
                if let Some(h) = c.handling.as_mut() {
                    h.materials.extend(materials.iter().cloned());
                }
                CaseEvent::MaterialsAdded { materials, note }
            }
            CaseOp::CompleteHandling { materials, note } => {
                let materials = attachments(kind, "materials", materials, false)?;
                let note = optional(kind, "note", note, MAX_TEXT_CHARS)?;
                let Some(h) = c.handling.as_mut() else {
                    return Err(CaseError::Conflict {
                        op: kind,
                        state: self.status,
                        reason: "the case has no handler",
                    });
                };
                h.materials.extend(materials.iter().cloned());
                // Handling is done when something shows it was done.
                if h.materials.is_empty() {
                    return Err(CaseError::Missing {
                        op: kind,
                        field: "materials",
                    });
                }
                h.completed_at_ms = Some(now_ms);
                let late = now_ms > h.deadline_ms;
                c.status = CaseStatus::Inspection;
                c.inspection = None;
                let lapsed_extension = c.extension.take().is_some();
                CaseEvent::HandlingCompleted {
                    materials,
                    note,
                    late,
                    lapsed_extension,
                }
            }
            CaseOp::AssignInspection {
                inspector,
                deadline_ms,
                requirements,
            } => {
                let inspector = assignee(kind, "inspector", inspector)?;
                let deadline_ms = deadline_ahead(kind, "deadline_ms", *deadline_ms, now_ms)?;
                let requirements = required(kind, "requirements", requirements, MAX_TEXT_CHARS)?;
                c.inspection = Some(InspectionStage {
                    inspector: inspector.clone(),
                    deadline_ms,
                    requirements: requirements.clone(),
                    assigned_by: me,
                    assigned_at_ms: now_ms,
                    evidence: Vec::new(),
                    evidence_at_ms: None,
                });
                CaseEvent::InspectionAssigned {
                    inspector,
                    deadline_ms,
                    requirements,
                }
            }
            CaseOp::SubmitEvidence { evidence, note } => {
                let evidence = attachments(kind, "evidence", evidence, true)?;
                let note = optional(kind, "note", note, MAX_TEXT_CHARS)?;
                if let Some(i) = c.inspection.as_mut() {
                    i.evidence.extend(evidence.iter().cloned());
                    i.evidence_at_ms = Some(now_ms);
                }
                CaseEvent::EvidenceSubmitted { evidence, note }
            }
            CaseOp::FailInspection { reason } => {
                let reason = required(kind, "reason", reason, MAX_TEXT_CHARS)?;
                c.status = CaseStatus::Handling;
                // The next round starts clean; the failed one stays in the history entry.
                let inspection = c.inspection.take();
                if let Some(h) = c.handling.as_mut() {
                    h.completed_at_ms = None;
                }
                let lapsed_extension = c.extension.take().is_some();
                CaseEvent::InspectionFailed {
                    reason,
                    inspection,
                    lapsed_extension,
                }
            }
            CaseOp::Close { closing_note } => {
                let closing_note = required(kind, "closing_note", closing_note, MAX_TEXT_CHARS)?;
                c.status = CaseStatus::Closed;
                c.closure = Some(Closure {
                    note: closing_note.clone(),
                    by: me,
                    at_ms: now_ms,
                    self_resolved: false,
                    materials: Vec::new(),
                });
                let lapsed_extension = c.extension.take().is_some();
                CaseEvent::Closed {
                    closing_note,
                    lapsed_extension,
                }
            }
        };
        c.version = self.version.saturating_add(1);
        c.updated_at_ms = now_ms;
        let entry = HistoryEntry {
            case_id: self.id.clone(),
            seq: self.version,
            at_ms: now_ms,
            actor: actor.clone(),
            op: kind,
            from: Some(self.status),
            to: c.status,
            event,
        };
        Ok(Applied { case: c, entry })
    }

    /// The flat values lists filter on, for indexed columns beside the stored JSON.
    pub fn index(&self) -> CaseIndex {
        let d = &self.data;
        CaseIndex {
            id: self.id.clone(),
            number: self.number.clone(),
            community_id: d.community_id.clone(),
            status: self.status.code(),
            source: d.source.code(),
            supervision: d.supervision,
            self_handled: d.self_handled,
            category_major: d.category.major.clone(),
            category_middle: d.category.middle.clone(),
            category_minor: d.category.minor.clone(),
            grid_level1: d.grid.level1.clone(),
            grid_level2: d.grid.level2.clone(),
            grid_level3: d.grid.level3.clone(),
            handling_kind: self.handling.as_ref().map(|h| h.handler.kind),
            handling_unit: self.handling.as_ref().map(|h| h.handler.unit.clone()),
            handler: self.handling.as_ref().map(|h| h.handler.account_id.clone()),
            inspector: self
                .inspection
                .as_ref()
                .map(|i| i.inspector.account_id.clone()),
            dispatcher: self.dispatch.as_ref().map(|x| x.dispatcher.clone()),
            co_handlers: self
                .co_handlers
                .iter()
                .map(|x| x.who.account_id.clone())
                .collect(),
            assignee: self.current_assignee().map(|a| a.account_id.clone()),
            active_deadline_ms: self.active_deadline(),
            extension_open: self.extension.is_some(),
            reported_by: self.reported_by.account_id.clone(),
            reported_at_ms: self.reported_at_ms,
            updated_at_ms: self.updated_at_ms,
            keywords: format!(
                "{} {} {} {}",
                self.number, d.problem, d.description, d.location.text
            ),
            version: self.version,
        }
    }

    /// The case's parts agree with its state (exactly one state, and what it implies). For tests
    /// and for checking a record loaded from storage.
    pub fn check_consistent(&self) -> Result<(), String> {
        let s = self.status;
        let fail = |what: &str| Err(format!("{s} case {}: {what}", self.id));
        let handled = self.handling.is_some();
        let no_work = !handled && self.inspection.is_none() && self.co_handlers.is_empty();
        if self.version == 0 {
            return fail("has no history");
        }
        if self.void.is_some() != (s == CaseStatus::Voided) {
            return fail("void record and state disagree");
        }
        if self.closure.is_some() != (s == CaseStatus::Closed) {
            return fail("closure record and state disagree");
        }
        if self.extension.is_some()
            && self.active_stage() != self.extension.as_ref().map(|e| e.stage)
        {
            return fail("an extension request outside its stage");
        }
        match s {
            CaseStatus::Pending | CaseStatus::Voided if !no_work || self.filed_at_ms.is_some() => {
                fail("unfiled case with work on it")
            }
            CaseStatus::Filed if !no_work || self.filed_at_ms.is_none() => {
                fail("filed case with work on it, or no filing time")
            }
            CaseStatus::Handling if !handled || self.inspection.is_some() => {
                fail("handling without a handler, or with an inspection")
            }
            CaseStatus::Inspection
                if !self
                    .handling
                    .as_ref()
                    .is_some_and(|h| h.completed_at_ms.is_some() && !h.materials.is_empty()) =>
            {
                fail("inspection before handling was completed with materials")
            }
            CaseStatus::Closed => {
                let self_resolved = self.closure.as_ref().is_some_and(|c| c.self_resolved);
                let inspected = self
                    .inspection
                    .as_ref()
                    .is_some_and(|i| !i.evidence.is_empty());
                if self_resolved || inspected {
                    Ok(())
                } else {
                    fail("closed without inspection evidence")
                }
            }
            _ => Ok(()),
        }
    }
}
