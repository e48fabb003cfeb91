//! Case data: the report form of §2.1.4 (type → category → grid → source → area → location →
//! severity → problem → description → linked person/house → attachments), the configurable
//! category tree, and the input checks every operation shares.

use serde::{Deserialize, Serialize};

use super::{CaseError, CaseRole, OpKind};

/// Longest free text (descriptions, notes, reasons), in characters.
pub const MAX_TEXT_CHARS: usize = 2000;
/// Longest short text (ids, names, codes, location text), in characters.
pub const MAX_SHORT_CHARS: usize = 200;
/// Most attachment references one operation may carry.
pub const MAX_ATTACHMENTS: usize = 30;
/// Most linked people or houses on a report.
pub const MAX_LINKS: usize = 50;

/// Where a case came from (§2.1, §2.1.6–2.1.8, §2.7.3.1, issue 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A resident's report from the app.
    ResidentReport,
    /// 随手拍; with `supervision` it is a 督查上报, listed in red.
    SnapAndReport,
    /// The 12345 city hotline.
    #[serde(rename = "hotline_12345")]
    Hotline12345,
    VideoMonitoring,
    /// Staff reporting from the app or the back office.
    Staff,
    /// Entered by a seat operator (坐席员).
    SeatOperator,
    /// A camera watch-list warning turned into a case (§2.1.6).
    Warning,
    /// A suggestion-box entry turned into a case (§2.7.3.1).
    Suggestion,
    /// An alarm raised at a community's edge box (smoke, elevator, door held/forced).
    EdgeAlarm,
}

impl Source {
    pub const ALL: [Source; 9] = [
        Source::ResidentReport,
        Source::SnapAndReport,
        Source::Hotline12345,
        Source::VideoMonitoring,
        Source::Staff,
        Source::SeatOperator,
        Source::Warning,
        Source::Suggestion,
        Source::EdgeAlarm,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Source::ResidentReport => "resident_report",
            Source::SnapAndReport => "snap_and_report",
            Source::Hotline12345 => "hotline_12345",
            Source::VideoMonitoring => "video_monitoring",
            Source::Staff => "staff",
            Source::SeatOperator => "seat_operator",
            Source::Warning => "warning",
            Source::Suggestion => "suggestion",
            Source::EdgeAlarm => "edge_alarm",
        }
    }
    pub fn parse(s: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|v| v.code() == s)
    }
    /// Which sources a role may report under. The public reports only for itself; turning a
    /// warning or a suggestion into a case is staff work; edge alarms come only from the system.
    pub fn allowed_for(self, role: CaseRole) -> bool {
        use Source::*;
        match role {
            CaseRole::Resident | CaseRole::Enterprise => {
                matches!(self, ResidentReport | SnapAndReport)
            }
            CaseRole::FieldStaff => matches!(self, Staff | SnapAndReport),
            CaseRole::SeatOperator => matches!(self, Hotline12345 | SeatOperator | VideoMonitoring),
            CaseRole::StreetAdmin | CaseRole::CommunityStaff => self != EdgeAlarm,
            CaseRole::System => matches!(self, EdgeAlarm | Warning | VideoMonitoring),
            CaseRole::Visitor | CaseRole::CoHandler | CaseRole::Dispatcher => false,
        }
    }
}

/// 案件类型: an event (something happened) or a component (a piece of public equipment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum CaseKind {
    Event,
    Component,
}

/// 问题程度.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Minor,
    Moderate,
    Major,
    Critical,
}

/// The kinds of unit a case is handled or co-handled by (处理类型 / 协办人员类型, §2.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// 内部科室
    InternalDepartment,
    /// 委办局
    CityBureau,
    /// 开发区网格办
    GridOffice,
    /// 社区居委会
    NeighbourhoodCommittee,
    /// 网格员
    GridWorker,
    /// 街道工作人员
    StreetStaff,
    /// 社区工作者
    CommunityWorker,
    /// 志愿者
    Volunteer,
}

/// A major → middle → minor category, by code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CategoryPath {
    pub major: String,
    pub middle: String,
    pub minor: String,
}

/// One node of the category tree; majors hold middles, middles hold minors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CategoryNode {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub children: Vec<CategoryNode>,
}

/// The configurable category tree (stored as configuration, edited by street admins).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CategoryTree {
    pub majors: Vec<CategoryNode>,
}

impl CategoryTree {
    /// A tree is usable when it is exactly three levels deep, with non-empty codes unique among
    /// siblings. Call it before storing an edited tree.
    pub fn check(&self) -> Result<(), String> {
        fn level(nodes: &[CategoryNode], depth: u8, path: &str) -> Result<(), String> {
            let mut seen = std::collections::HashSet::new();
            for n in nodes {
                if n.code.trim().is_empty() {
                    return Err(format!("a category under `{path}` has an empty code"));
                }
                if !seen.insert(n.code.as_str()) {
                    return Err(format!("category code `{}` repeats under `{path}`", n.code));
                }
                let here = format!("{path}/{}", n.code);
                match depth {
                    3 if !n.children.is_empty() => {
                        return Err(format!("minor category `{here}` has children"))
                    }
                    3 => {}
                    _ if n.children.is_empty() => {
                        return Err(format!("category `{here}` has no children"))
                    }
                    _ => level(&n.children, depth + 1, &here)?,
                }
            }
            Ok(())
        }
        level(&self.majors, 1, "")
    }

    /// Is `p` a path of this tree?
    pub fn contains(&self, p: &CategoryPath) -> Result<(), &'static str> {
        let major = self
            .majors
            .iter()
            .find(|n| n.code == p.major)
            .ok_or("no such major category")?;
        let middle = major
            .children
            .iter()
            .find(|n| n.code == p.middle)
            .ok_or("no such middle category under this major")?;
        middle
            .children
            .iter()
            .find(|n| n.code == p.minor)
            .map(|_| ())
            .ok_or("no such minor category under this middle")
    }
}

/// Grid levels 1–3 by grid id (the registry's `grids`); a finer level needs the coarser one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GridPath {
    pub level1: String,
    #[serde(default)]
    pub level2: Option<String>,
    #[serde(default)]
    pub level3: Option<String>,
}

impl GridPath {
    /// The finest grid given.
    pub fn finest(&self) -> &str {
        self.level3
            .as_deref()
            .or(self.level2.as_deref())
            .unwrap_or(&self.level1)
    }
}

/// WGS-84 coordinates in degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GeoPoint {
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Location {
    /// As a person would say it: "3 栋 2 单元门口".
    pub text: String,
    #[serde(default)]
    pub point: Option<GeoPoint>,
    /// The registry building it is at, when known.
    #[serde(default)]
    pub building_id: Option<String>,
}

/// A reference to a stored file (picture, document); the bytes live elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AttachmentRef {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub media_type: Option<String>,
}

/// People and houses (rooms) the case concerns, by registry id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Linked {
    #[serde(default)]
    pub person_ids: Vec<String>,
    #[serde(default)]
    pub house_ids: Vec<String>,
}

/// A report as submitted: the case's data, fixed once reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NewCase {
    /// The community whose staff manage it (the data scope).
    pub community_id: String,
    pub kind: CaseKind,
    pub category: CategoryPath,
    pub grid: GridPath,
    pub source: Source,
    /// 督查上报: only on snap-and-report, only from staff.
    #[serde(default)]
    pub supervision: bool,
    /// 区域
    #[serde(default)]
    pub area: Option<String>,
    pub location: Location,
    pub severity: Severity,
    /// 问题描述: what is wrong, as reported.
    pub problem: String,
    /// 案件描述: the case as written up; may be empty at report time.
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub linked: Linked,
    #[serde(default)]
    pub attachments: Vec<AttachmentRef>,
    /// What it came from: an alarm id, hotline ticket, warning or suggestion id.
    #[serde(default)]
    pub source_ref: Option<String>,
    /// 自行处理: the reporting staff member handles it alone (§2.1.5).
    #[serde(default)]
    pub self_handled: bool,
}

/// A handler, co-handler or inspector: which kind of unit, which unit, which account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Assignee {
    pub kind: UnitKind,
    /// The unit's name or id (department, bureau, committee…); may be empty for a person.
    #[serde(default)]
    pub unit: String,
    pub account_id: String,
}

// ---- input checks shared by report and the operations -------------------------------------

/// Trimmed, non-empty, at most `max` characters.
pub(crate) fn required(
    op: OpKind,
    field: &'static str,
    s: &str,
    max: usize,
) -> Result<String, CaseError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(CaseError::Missing { op, field });
    }
    bounded(op, field, t, max)
}

/// Trimmed, possibly empty, at most `max` characters.
pub(crate) fn optional(
    op: OpKind,
    field: &'static str,
    s: &str,
    max: usize,
) -> Result<String, CaseError> {
    bounded(op, field, s.trim(), max)
}

fn bounded(op: OpKind, field: &'static str, t: &str, max: usize) -> Result<String, CaseError> {
    if t.chars().count() > max {
        return Err(CaseError::Invalid {
            op,
            field,
            reason: format!("is longer than {max} characters"),
        });
    }
    if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(CaseError::Invalid {
            op,
            field,
            reason: "contains control characters".into(),
        });
    }
    Ok(t.to_string())
}

pub(crate) fn attachments(
    op: OpKind,
    field: &'static str,
    list: &[AttachmentRef],
    need_one: bool,
) -> Result<Vec<AttachmentRef>, CaseError> {
    if need_one && list.is_empty() {
        return Err(CaseError::Missing { op, field });
    }
    if list.len() > MAX_ATTACHMENTS {
        return Err(CaseError::Invalid {
            op,
            field,
            reason: format!("has more than {MAX_ATTACHMENTS} entries"),
        });
    }
    list.iter()
        .map(|a| {
            Ok(AttachmentRef {
                id: required(op, field, &a.id, MAX_SHORT_CHARS)?,
                name: a
                    .name
                    .as_deref()
                    .map(|n| optional(op, field, n, MAX_SHORT_CHARS))
                    .transpose()?,
                media_type: a
                    .media_type
                    .as_deref()
                    .map(|n| optional(op, field, n, MAX_SHORT_CHARS))
                    .transpose()?,
            })
        })
        .collect()
}

pub(crate) fn assignee(
    op: OpKind,
    field: &'static str,
    a: &Assignee,
) -> Result<Assignee, CaseError> {
    let account_id = a.account_id.trim();
    if account_id.is_empty() {
        return Err(CaseError::Missing { op, field });
    }
    Ok(Assignee {
        kind: a.kind,
        unit: optional(op, field, &a.unit, MAX_SHORT_CHARS)?,
        account_id: bounded(op, field, account_id, MAX_SHORT_CHARS)?,
    })
}

fn ids(op: OpKind, field: &'static str, list: &[String]) -> Result<Vec<String>, CaseError> {
    if list.len() > MAX_LINKS {
        return Err(CaseError::Invalid {
            op,
            field,
            reason: format!("has more than {MAX_LINKS} entries"),
        });
    }
    list.iter()
        .map(|s| required(op, field, s, MAX_SHORT_CHARS))
        .collect()
}

impl NewCase {
    /// The report checked and normalised (trimmed), or the first field at fault.
    pub(crate) fn validated(&self, tree: &CategoryTree) -> Result<NewCase, CaseError> {
        let op = OpKind::Report;
        let inv = |field, reason: &str| CaseError::Invalid {
            op,
            field,
            reason: reason.to_string(),
        };
        let community_id = required(op, "community_id", &self.community_id, MAX_SHORT_CHARS)?;
        let category = CategoryPath {
            major: required(op, "category.major", &self.category.major, MAX_SHORT_CHARS)?,
            middle: required(
                op,
                "category.middle",
                &self.category.middle,
                MAX_SHORT_CHARS,
            )?,
            minor: required(op, "category.minor", &self.category.minor, MAX_SHORT_CHARS)?,
        };
        tree.contains(&category).map_err(|r| inv("category", r))?;
        let grid = GridPath {
            level1: required(op, "grid.level1", &self.grid.level1, MAX_SHORT_CHARS)?,
            level2: self
                .grid
                .level2
                .as_deref()
                .map(|g| required(op, "grid.level2", g, MAX_SHORT_CHARS))
                .transpose()?,
            level3: self
                .grid
                .level3
                .as_deref()
                .map(|g| required(op, "grid.level3", g, MAX_SHORT_CHARS))
                .transpose()?,
        };
        if grid.level3.is_some() && grid.level2.is_none() {
            return Err(inv("grid.level2", "is needed when level 3 is given"));
        }
        if self.supervision && self.source != Source::SnapAndReport {
            return Err(inv("supervision", "applies only to snap-and-report"));
        }
        let point = match self.location.point {
            Some(p) if !(p.lat.is_finite() && (-90.0..=90.0).contains(&p.lat)) => {
                return Err(inv("location.point.lat", "must be within -90..90"))
            }
            Some(p) if !(p.lon.is_finite() && (-180.0..=180.0).contains(&p.lon)) => {
                return Err(inv("location.point.lon", "must be within -180..180"))
            }
            p => p,
        };
        Ok(NewCase {
            community_id,
            kind: self.kind,
            category,
            grid,
            source: self.source,
            supervision: self.supervision,
            area: match self.area.as_deref().map(str::trim) {
                Some(a) if !a.is_empty() => Some(optional(op, "area", a, MAX_SHORT_CHARS)?),
                _ => None,
            },
            location: Location {
                text: required(op, "location.text", &self.location.text, MAX_SHORT_CHARS)?,
                point,
                building_id: self
                    .location
                    .building_id
                    .as_deref()
                    .map(|b| required(op, "location.building_id", b, MAX_SHORT_CHARS))
                    .transpose()?,
            },
            severity: self.severity,
            problem: required(op, "problem", &self.problem, MAX_TEXT_CHARS)?,
            description: optional(op, "description", &self.description, MAX_TEXT_CHARS)?,
            linked: Linked {
                person_ids: ids(op, "linked.person_ids", &self.linked.person_ids)?,
                house_ids: ids(op, "linked.house_ids", &self.linked.house_ids)?,
            },
            attachments: attachments(op, "attachments", &self.attachments, false)?,
            source_ref: self
                .source_ref
                .as_deref()
                .map(|s| required(op, "source_ref", s, MAX_SHORT_CHARS))
                .transpose()?,
            self_handled: self.self_handled,
        })
    }
}
