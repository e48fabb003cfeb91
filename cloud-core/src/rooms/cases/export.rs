//! Case exports (issue 6, item 6): one case as a Word document ([`case_docx`]) or a
//! print-friendly HTML page ([`case_html`]), and a list of cases as a spreadsheet
//! ([`cases_xlsx`]).
//!
//! This module owns the layout and wording of those files — bilingual labels (中文 English),
//! local times (UTC+8, `YYYY-MM-DD HH:MM`), timeliness at the caller's `now`, escaping — and
//! nothing else. The functions are pure: no I/O, no SQL, no clock. A route loads the case, its
//! history, the bytes of the attachments [`CaseExport::attachment_refs`] names and the display
//! names of the ids involved, fills a [`CaseExport`] or [`CaseRow`]s, and sends the result.
//!
//! The .docx is WordprocessingML written here and zipped with `zip` (no docx crate: the few
//! parts needed are simpler than a dependency); the .xlsx comes from `rust_xlsxwriter`.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::io::{Cursor, Write as _};

use rust_xlsxwriter::{
    Color, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, XlsxError,
};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::cases::deadline::{timeliness, Timeliness, DUE_SOON_MS};
use crate::cases::duplicate::{DupLevel, DupMatch};
use crate::cases::{
    Assignee, AttachmentRef, Case, CaseEvent, CaseKind, CaseRole, CaseStatus, CategoryPath,
    CategoryTree, GridPath, HistoryEntry, OpKind, Severity, Source, Stage, UnitKind,
};

/// Why an export could not be produced. Each names the format and the part at fault.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("docx: cannot write part `{part}` into the zip: {source}")]
    Docx {
        part: String,
        #[source]
        source: zip::result::ZipError,
    },
    #[error("xlsx: {field} of case {number} ({ms} ms) is outside Excel's years 1900–9999")]
    DateOutOfRange {
        number: String,
        field: &'static str,
        ms: i64,
    },
    #[error("xlsx: cannot write the workbook: {0}")]
    Xlsx(#[from] XlsxError),
}

// ---- what the caller supplies -------------------------------------------------------------

/// Human names for the ids a case refers to. A missing entry shows the id itself, so a partial
/// map degrades to ids rather than failing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DisplayNames {
    /// Account id → person's name (reporters, handlers, inspectors, dispatchers, actors).
    pub accounts: HashMap<String, String>,
    /// Grid id → grid name.
    pub grids: HashMap<String, String>,
    /// Unit id (an [`Assignee::unit`]) → unit name.
    pub units: HashMap<String, String>,
    /// Category names keyed by code path: `major`, `major/middle`, `major/middle/minor`
    /// (codes are unique only among siblings). [`DisplayNames::add_categories`] fills it.
    pub categories: HashMap<String, String>,
    /// Registry person id → name, for linked people.
    pub people: HashMap<String, String>,
    /// Registry house (room) id → address, for linked houses.
    pub houses: HashMap<String, String>,
}

impl DisplayNames {
    /// Adds every category name of `tree`, keyed by code path.
    pub fn add_categories(&mut self, tree: &CategoryTree) {
        for major in &tree.majors {
            self.categories
                .insert(major.code.clone(), major.name.clone());
            for middle in &major.children {
                let mid = format!("{}/{}", major.code, middle.code);
                for minor in &middle.children {
                    self.categories
                        .insert(format!("{mid}/{}", minor.code), minor.name.clone());
                }
                self.categories.insert(mid, middle.name.clone());
            }
        }
    }

    pub fn account<'a>(&'a self, id: &'a str) -> &'a str {
        lookup(&self.accounts, id)
    }

    /// Major, middle and minor category names.
    pub fn category(&self, p: &CategoryPath) -> [String; 3] {
        let mid = format!("{}/{}", p.major, p.middle);
        let minor = format!("{mid}/{}", p.minor);
        let name = |key: &str, code: &str| {
            self.categories
                .get(key)
                .cloned()
                .unwrap_or_else(|| code.to_string())
        };
        [
            name(&p.major, &p.major),
            name(&mid, &p.middle),
            name(&minor, &p.minor),
        ]
    }

    /// "level 1 / level 2 / level 3" by name.
    pub fn grid_path(&self, g: &GridPath) -> String {
        std::iter::once(g.level1.as_str())
            .chain(g.level2.as_deref())
            .chain(g.level3.as_deref())
            .map(|id| lookup(&self.grids, id))
            .collect::<Vec<_>>()
            .join(" / ")
    }

    /// "name（unit kind，unit）" for a handler, co-handler or inspector.
    pub fn assignee(&self, a: &Assignee) -> String {
        let name = self.account(&a.account_id);
        let kind = unit_kind_label(a.kind);
        if a.unit.is_empty() {
            format!("{name}（{kind}）")
        } else {
            format!("{name}（{kind}，{}）", lookup(&self.units, &a.unit))
        }
    }
}

fn lookup<'a>(map: &'a HashMap<String, String>, id: &'a str) -> &'a str {
    map.get(id).map(String::as_str).unwrap_or(id)
}

/// One attachment as the export sees it. `bytes` may be empty for [`case_html`], which links
/// pictures instead of embedding them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportFile {
    pub id: String,
    /// File name shown to people (the reference's name, else its id).
    pub name: String,
    pub media_type: String,
    pub bytes: Vec<u8>,
}

impl ExportFile {
    pub fn from_ref(r: &AttachmentRef, bytes: Vec<u8>) -> ExportFile {
        ExportFile {
            id: r.id.clone(),
            name: r.name.clone().unwrap_or_else(|| r.id.clone()),
            media_type: r.media_type.clone().unwrap_or_default(),
            bytes,
        }
    }
}

/// Everything [`case_docx`] and [`case_html`] show about one case.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseExport {
    pub case: Case,
    /// The case's history entries (any order; shown by `seq`).
    pub history: Vec<HistoryEntry>,
    /// Attachments in the order to show them; see [`CaseExport::attachment_refs`].
    pub files: Vec<ExportFile>,
    pub names: DisplayNames,
    /// "Now" for timeliness, and the export time printed on the page.
    pub now_ms: i64,
}

impl CaseExport {
    /// Every attachment the case and its history refer to — report, handling materials,
    /// evidence, closing materials — first mention first, once per id: the files to load.
    pub fn attachment_refs(case: &Case, history: &[HistoryEntry]) -> Vec<AttachmentRef> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        let mut add = |list: &[AttachmentRef]| {
            for r in list {
                if seen.insert(r.id.clone()) {
                    out.push(r.clone());
                }
            }
        };
        add(&case.data.attachments);
        let mut entries: Vec<&HistoryEntry> = history.iter().collect();
        entries.sort_by_key(|e| e.seq);
        for e in entries {
            match &e.event {
                CaseEvent::SelfResolved { materials, .. }
                | CaseEvent::MaterialsAdded { materials, .. }
                | CaseEvent::HandlingCompleted { materials, .. } => add(materials),
                CaseEvent::EvidenceSubmitted { evidence, .. } => add(evidence),
                CaseEvent::InspectionFailed {
                    inspection: Some(i),
                    ..
                } => add(&i.evidence),
                _ => {}
            }
        }
        // The case itself, in case the history handed in is partial.
        if let Some(h) = &case.handling {
            add(&h.materials);
        }
        if let Some(i) = &case.inspection {
            add(&i.evidence);
        }
        if let Some(c) = &case.closure {
            add(&c.materials);
        }
        out
    }
}

/// One line of a case list for [`cases_xlsx`]: display text resolved, codes typed.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseRow {
    pub number: String,
    pub status: CaseStatus,
    pub source: Source,
    pub supervision: bool,
    /// "major / middle / minor" by name.
    pub category: String,
    /// "level 1 / level 2 / level 3" by name.
    pub grid: String,
    pub location: String,
    pub severity: Severity,
    /// The handler with unit, once assigned.
    pub handler: Option<String>,
    /// The active deadline ([`Case::active_deadline`]); timeliness derives from it.
    pub deadline_ms: Option<i64>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

impl CaseRow {
    pub fn from_case(case: &Case, names: &DisplayNames) -> CaseRow {
        let d = &case.data;
        CaseRow {
            number: case.number.clone(),
            status: case.status,
            source: d.source,
            supervision: d.supervision,
            category: names.category(&d.category).join(" / "),
            grid: names.grid_path(&d.grid),
            location: d.location.text.clone(),
            severity: d.severity,
            handler: case.handling.as_ref().map(|h| names.assignee(&h.handler)),
            deadline_ms: case.active_deadline(),
            created_at_ms: case.reported_at_ms,
            updated_at_ms: case.updated_at_ms,
        }
    }
}

// ---- labels -------------------------------------------------------------------------------

pub fn status_label(s: CaseStatus) -> &'static str {
    match s {
        CaseStatus::Pending => "待处理 Pending",
        CaseStatus::Filed => "已立案 Filed",
        CaseStatus::Handling => "处理中 Handling",
        CaseStatus::Inspection => "验收中 Inspection",
        CaseStatus::Closed => "已结案 Closed",
        CaseStatus::Voided => "废案 Voided",
    }
}

pub fn source_label(s: Source) -> &'static str {
    match s {
        Source::ResidentReport => "居民上报 Resident report",
        Source::SnapAndReport => "随手拍 Snap and report",
        Source::Hotline12345 => "12345 热线 Hotline",
        Source::VideoMonitoring => "视频监控 Video monitoring",
        Source::Staff => "工作人员上报 Staff report",
        Source::SeatOperator => "坐席录入 Seat operator",
        Source::Warning => "预警 Warning",
        Source::Suggestion => "意见箱 Suggestion",
        Source::EdgeAlarm => "设备告警 Edge alarm",
    }
}

/// The source with the supervision mark (督查上报) when set.
fn source_text(s: Source, supervision: bool) -> String {
    if supervision {
        format!("{}（督查上报 Supervision）", source_label(s))
    } else {
        source_label(s).to_string()
    }
}

pub fn op_label(op: OpKind) -> &'static str {
    match op {
        OpKind::Report => "上报 Report",
        OpKind::Void => "废案 Void",
        OpKind::MarkDuplicate => "标记重复 Mark duplicate",
        OpKind::File => "立案 File",
        OpKind::SelfResolve => "自行处理 Self-resolve",
        OpKind::Refile => "重新立案 Refile",
        OpKind::Dispatch => "分转 Dispatch",
        OpKind::Assign => "分配处理 Assign",
        OpKind::AddCoHandler => "添加协办 Add co-handler",
        OpKind::Reassign => "重新分配 Reassign",
        OpKind::RequestExtension => "延时申请 Request extension",
        OpKind::DecideExtension => "延时审批 Decide extension",
        OpKind::AddMaterials => "补充材料 Add materials",
        OpKind::CompleteHandling => "处理完成 Complete handling",
        OpKind::AssignInspection => "分配验收 Assign inspection",
        OpKind::SubmitEvidence => "提交凭证 Submit evidence",
        OpKind::FailInspection => "验收不通过 Fail inspection",
        OpKind::Close => "结案 Close",
    }
}

pub fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Minor => "轻微 Minor",
        Severity::Moderate => "一般 Moderate",
        Severity::Major => "严重 Major",
        Severity::Critical => "紧急 Critical",
    }
}

pub fn unit_kind_label(k: UnitKind) -> &'static str {
    match k {
        UnitKind::InternalDepartment => "内部科室 Internal department",
        UnitKind::CityBureau => "委办局 City bureau",
        UnitKind::GridOffice => "开发区网格办 Grid office",
        UnitKind::NeighbourhoodCommittee => "社区居委会 Neighbourhood committee",
        UnitKind::GridWorker => "网格员 Grid worker",
        UnitKind::StreetStaff => "街道工作人员 Street staff",
        UnitKind::CommunityWorker => "社区工作者 Community worker",
        UnitKind::Volunteer => "志愿者 Volunteer",
    }
}

pub fn role_label(r: CaseRole) -> &'static str {
    match r {
        CaseRole::StreetAdmin => "街道管理员 Street admin",
        CaseRole::CommunityStaff => "社区管理员 Community staff",
        CaseRole::Resident => "居民 Resident",
        CaseRole::Visitor => "访客 Visitor",
        CaseRole::Enterprise => "企业 Enterprise",
        CaseRole::FieldStaff => "工作端 Field staff",
        CaseRole::SeatOperator => "坐席员 Seat operator",
        CaseRole::CoHandler => "协办 Co-handler",
        CaseRole::Dispatcher => "分转员 Dispatcher",
        CaseRole::System => "系统 System",
    }
}

fn kind_label(k: CaseKind) -> &'static str {
    match k {
        CaseKind::Event => "事件 Event",
        CaseKind::Component => "部件 Component",
    }
}

fn stage_label(s: Stage) -> &'static str {
    match s {
        Stage::Handling => "处理 Handling",
        Stage::Inspection => "验收 Inspection",
    }
}

/// The timeliness class alone, as lists filter on it.
pub fn timeliness_label(t: Timeliness) -> &'static str {
    match t {
        Timeliness::NoDeadline => "无期限 No deadline",
        Timeliness::OnTime { .. } => "正常 On time",
        Timeliness::DueSoon { .. } => "即将到期 Due soon",
        Timeliness::Overdue { .. } => "已超期 Overdue",
    }
}

/// The class with how much is left or over, for a single case.
pub fn timeliness_text(t: Timeliness) -> String {
    match t {
        Timeliness::NoDeadline => timeliness_label(t).to_string(),
        Timeliness::OnTime { remaining_ms } | Timeliness::DueSoon { remaining_ms } => {
            let (zh, en) = duration_text(remaining_ms);
            format!("{}（剩余 {zh} / {en} left）", timeliness_label(t))
        }
        Timeliness::Overdue { overdue_ms } => {
            let (zh, en) = duration_text(overdue_ms);
            format!("{}（超期 {zh} / {en} over）", timeliness_label(t))
        }
    }
}

/// ("2天3小时5分", "2 d 3 h 5 min"), to the minute.
fn duration_text(ms: i64) -> (String, String) {
    let mins = ms.max(0) / 60_000;
    let (d, h, m) = (mins / 1440, mins / 60 % 24, mins % 60);
    let mut zh = String::new();
    let mut en = Vec::new();
    if d > 0 {
        let _ = write!(zh, "{d}天");
        en.push(format!("{d} d"));
    }
    if h > 0 {
        let _ = write!(zh, "{h}小时");
        en.push(format!("{h} h"));
    }
    if m > 0 || (d == 0 && h == 0) {
        let _ = write!(zh, "{m}分");
        en.push(format!("{m} min"));
    }
    (zh, en.join(" "))
}

// ---- time ---------------------------------------------------------------------------------

use crate::cases::deadline::{civil_from_days, LOCAL_OFFSET_MS};

fn civil(ms: i64) -> (i64, u32, u32, i64, i64, i64) {
    let days = ms.div_euclid(86_400_000);
    let secs = ms.rem_euclid(86_400_000) / 1000;
    let (y, mo, d) = civil_from_days(days);
    (y, mo, d, secs / 3600, secs / 60 % 60, secs % 60)
}

/// Epoch ms as local time, `YYYY-MM-DD HH:MM` (UTC+8).
pub fn local_time(ms: i64) -> String {
    let (y, mo, d, h, mi, _) = civil(ms.saturating_add(LOCAL_OFFSET_MS));
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}")
}

/// Epoch ms as `YYYY-MM-DDTHH:MM:SSZ`, for document metadata.
fn utc_iso(ms: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(ms);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

// ---- the content shared by docx and html ----------------------------------------------------

/// One row of the details table; `alert` shows it in red (overdue, supervision).
struct Detail {
    label: &'static str,
    value: String,
    alert: bool,
}

fn details(v: &CaseExport) -> Vec<Detail> {
    let c = &v.case;
    let d = &c.data;
    let n = &v.names;
    let mut rows = Vec::new();
    let mut add = |label: &'static str, value: String, alert: bool| {
        rows.push(Detail {
            label,
            value: if value.trim().is_empty() {
                "—".into()
            } else {
                value
            },
            alert,
        })
    };
    let [major, middle, minor] = n.category(&d.category);
    let t = timeliness(c.active_deadline(), v.now_ms, DUE_SOON_MS);

    add("案件编号 Case number", c.number.clone(), false);
    add("状态 Status", status_label(c.status).into(), false);
    add(
        "来源 Source",
        source_text(d.source, d.supervision),
        d.supervision,
    );
    if let Some(r) = &d.source_ref {
        add("来源编号 Source reference", r.clone(), false);
    }
    add("案件类型 Kind", kind_label(d.kind).into(), false);
    add("大类 Major category", major, false);
    add("中类 Middle category", middle, false);
    add("小类 Minor category", minor, false);
    add("网格 Grid", n.grid_path(&d.grid), false);
    add("区域 Area", d.area.clone().unwrap_or_default(), false);
    add("位置 Location", d.location.text.clone(), false);
    add(
        "坐标 Coordinates",
        d.location
            .point
            .map(|p| format!("{:.6}, {:.6}", p.lat, p.lon))
            .unwrap_or_default(),
        false,
    );
    add(
        "问题程度 Severity",
        severity_label(d.severity).into(),
        false,
    );
    add(
        "上报人 Reporter",
        format!(
            "{}（{}）  {}",
            n.account(&c.reported_by.account_id),
            role_label(c.reported_by.role),
            local_time(c.reported_at_ms)
        ),
        false,
    );
    if let Some(x) = &c.dispatch {
        add("分转员 Dispatcher", n.account(&x.dispatcher).into(), false);
    }
    add(
        "处理人/单位 Handler / unit",
        c.handling
            .as_ref()
            .map(|h| n.assignee(&h.handler))
            .unwrap_or_default(),
        false,
    );
    if !c.co_handlers.is_empty() {
        let list: Vec<String> = c.co_handlers.iter().map(|x| n.assignee(&x.who)).collect();
        add("协办 Co-handlers", list.join("；"), false);
    }
    if let Some(i) = &c.inspection {
        add("验收人 Inspector", n.assignee(&i.inspector), false);
    }
    // The active deadline, else the last one set (a closed case still shows its handling one).
    let deadline = c
        .active_deadline()
        .or(c.handling.as_ref().map(|h| h.deadline_ms));
    add(
        "期限 Deadline",
        deadline.map(local_time).unwrap_or_default(),
        false,
    );
    add("时效 Timeliness", timeliness_text(t), t.is_overdue());
    add("问题描述 Problem", d.problem.clone(), false);
    add("案件描述 Description", d.description.clone(), false);
    let people: Vec<&str> = d
        .linked
        .person_ids
        .iter()
        .map(|id| lookup(&n.people, id))
        .collect();
    add("关联人员 Linked people", people.join("、"), false);
    let houses: Vec<&str> = d
        .linked
        .house_ids
        .iter()
        .map(|id| lookup(&n.houses, id))
        .collect();
    add("关联房屋 Linked houses", houses.join("、"), false);
    if let Some(x) = &c.void {
        add("废案原因 Void reason", x.reason.clone(), false);
        if let Some(dup) = &x.duplicate_of {
            add("重复于 Duplicate of", dup.number.clone(), false);
        }
    }
    if let Some(x) = &c.closure {
        add(
            "结案 Closed",
            format!("{}  {}：{}", local_time(x.at_ms), n.account(&x.by), x.note),
            false,
        );
    }
    add("导出时间 Exported at", local_time(v.now_ms), false);
    rows
}

/// One row of the history table.
struct HistoryLine {
    time: String,
    who: String,
    op: &'static str,
    states: String,
    details: Vec<String>,
}

fn history_lines(v: &CaseExport) -> Vec<HistoryLine> {
    let mut entries: Vec<&HistoryEntry> = v.history.iter().collect();
    entries.sort_by_key(|e| e.seq);
    entries
        .into_iter()
        .map(|e| HistoryLine {
            time: local_time(e.at_ms),
            who: format!(
                "{}（{}）",
                v.names.account(&e.actor.account_id),
                role_label(e.actor.role)
            ),
            op: op_label(e.op),
            states: format!(
                "{} → {}",
                e.from.map(status_label).unwrap_or("—"),
                status_label(e.to)
            ),
            details: event_details(&e.event, &v.names),
        })
        .collect()
}

fn files_text(list: &[AttachmentRef]) -> String {
    list.iter()
        .map(|r| r.name.as_deref().unwrap_or(&r.id))
        .collect::<Vec<_>>()
        .join("、")
}

fn candidates_text(list: &[DupMatch]) -> String {
    list.iter()
        .map(|m| {
            let level = match m.level {
                DupLevel::Likely => "很可能 likely",
                DupLevel::Possible => "可能 possible",
            };
            format!("{}（{level} {:.2}）", m.number, m.score)
        })
        .collect::<Vec<_>>()
        .join("、")
}

/// The event's data as "标签 Label: value" lines; empty values are left out.
fn event_details(ev: &CaseEvent, n: &DisplayNames) -> Vec<String> {
    let mut out = Vec::new();
    let mut add = |label: &str, value: String| {
        if !value.trim().is_empty() {
            out.push(format!("{label}: {value}"));
        }
    };
    let lapsed = |l: bool| {
        if l {
            "延时申请已失效 Open extension request lapsed".to_string()
        } else {
            String::new()
        }
    };
    match ev {
        CaseEvent::Reported {
            source,
            supervision,
            self_handled,
        } => {
            add("来源 Source", source_text(*source, *supervision));
            if *self_handled {
                add("处理方式 Handling", "自行处理 Self-handled".into());
            }
        }
        CaseEvent::Voided { reason } => add("原因 Reason", reason.clone()),
        CaseEvent::MarkedDuplicate { of, note } => {
            add("重复于 Duplicate of", of.number.clone());
            add("备注 Note", note.clone());
        }
        CaseEvent::Filed {
            candidates,
            not_duplicate_reason,
        } => {
            add("疑似重复 Similar cases", candidates_text(candidates));
            add(
                "非重复理由 Not a duplicate because",
                not_duplicate_reason.clone().unwrap_or_default(),
            );
        }
        CaseEvent::SelfResolved {
            materials,
            closing_note,
        } => {
            add("材料 Materials", files_text(materials));
            add("结案说明 Closing note", closing_note.clone());
        }
        CaseEvent::Refiled {
            reason,
            previous_void,
            candidates,
            not_duplicate_reason,
        } => {
            add("原因 Reason", reason.clone());
            add(
                "原废案原因 Previous void reason",
                previous_void
                    .as_ref()
                    .map(|x| x.reason.clone())
                    .unwrap_or_default(),
            );
            add("疑似重复 Similar cases", candidates_text(candidates));
            add(
                "非重复理由 Not a duplicate because",
                not_duplicate_reason.clone().unwrap_or_default(),
            );
        }
        CaseEvent::Dispatched {
            dispatcher,
            previous,
            note,
        } => {
            add("分转员 Dispatcher", n.account(dispatcher).into());
            add(
                "原分转员 Previous dispatcher",
                previous
                    .as_deref()
                    .map(|p| n.account(p).to_string())
                    .unwrap_or_default(),
            );
            add("备注 Note", note.clone());
        }
        CaseEvent::Assigned {
            handler,
            deadline_ms,
            requirements,
            co_handlers,
        } => {
            add("处理人 Handler", n.assignee(handler));
            add("期限 Deadline", local_time(*deadline_ms));
            add("要求 Requirements", requirements.clone());
            let co: Vec<String> = co_handlers.iter().map(|a| n.assignee(a)).collect();
            add("协办 Co-handlers", co.join("；"));
        }
        CaseEvent::CoHandlerAdded { co_handler } => {
            add("协办 Co-handler", n.assignee(co_handler));
        }
        CaseEvent::Reassigned {
            stage,
            from,
            to,
            reason,
            lapsed_extension,
        } => {
            add("阶段 Stage", stage_label(*stage).into());
            add("原 From", n.assignee(from));
            add("新 To", n.assignee(to));
            add("原因 Reason", reason.clone());
            add("延时 Extension", lapsed(*lapsed_extension));
        }
        CaseEvent::ExtensionRequested {
            stage,
            current_deadline_ms,
            until_ms,
            reason,
        } => {
            add("阶段 Stage", stage_label(*stage).into());
            add(
                "期限 Deadline",
                format!(
                    "{} → {}",
                    local_time(*current_deadline_ms),
                    local_time(*until_ms)
                ),
            );
            add("原因 Reason", reason.clone());
        }
        CaseEvent::ExtensionApproved {
            stage,
            old_deadline_ms,
            new_deadline_ms,
            requested_by,
            note,
        } => {
            add("结果 Decision", "批准 Approved".into());
            add("阶段 Stage", stage_label(*stage).into());
            add(
                "期限 Deadline",
                format!(
                    "{} → {}",
                    local_time(*old_deadline_ms),
                    local_time(*new_deadline_ms)
                ),
            );
            add("申请人 Requested by", n.account(requested_by).into());
            add("备注 Note", note.clone());
        }
        CaseEvent::ExtensionRefused {
            stage,
            until_ms,
            requested_by,
            note,
        } => {
            add("结果 Decision", "驳回 Refused".into());
            add("阶段 Stage", stage_label(*stage).into());
            add("申请延至 Asked until", local_time(*until_ms));
            add("申请人 Requested by", n.account(requested_by).into());
            add("备注 Note", note.clone());
        }
        CaseEvent::MaterialsAdded { materials, note } => {
            add("材料 Materials", files_text(materials));
            add("备注 Note", note.clone());
        }
        CaseEvent::HandlingCompleted {
            materials,
            note,
            late,
            lapsed_extension,
        } => {
            add("材料 Materials", files_text(materials));
            add("备注 Note", note.clone());
            if *late {
                add("时效 Timeliness", "超期完成 Completed late".into());
            }
            add("延时 Extension", lapsed(*lapsed_extension));
        }
        CaseEvent::InspectionAssigned {
            inspector,
            deadline_ms,
            requirements,
        } => {
            add("验收人 Inspector", n.assignee(inspector));
            add("期限 Deadline", local_time(*deadline_ms));
            add("要求 Requirements", requirements.clone());
        }
        CaseEvent::EvidenceSubmitted { evidence, note } => {
            add("凭证 Evidence", files_text(evidence));
            add("备注 Note", note.clone());
        }
        CaseEvent::InspectionFailed {
            reason,
            lapsed_extension,
            ..
        } => {
            add("原因 Reason", reason.clone());
            add("延时 Extension", lapsed(*lapsed_extension));
        }
        CaseEvent::Closed {
            closing_note,
            lapsed_extension,
        } => {
            add("结案说明 Closing note", closing_note.clone());
            add("延时 Extension", lapsed(*lapsed_extension));
        }
    }
    out
}

// ---- pictures -----------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PicFormat {
    Png,
    Jpeg,
}

impl PicFormat {
    fn ext(self) -> &'static str {
        match self {
            PicFormat::Png => "png",
            PicFormat::Jpeg => "jpeg",
        }
    }
}

/// Does the media type claim a picture we embed (JPEG or PNG)?
fn claims_picture(media_type: &str) -> bool {
    let m = media_type.trim().to_ascii_lowercase();
    matches!(
        m.split(';').next().unwrap_or("").trim(),
        "image/png" | "image/jpeg" | "image/jpg" | "image/pjpeg"
    )
}

/// Format and pixel size from the file's own header; `None` when it is not a JPEG or PNG we
/// can size (a wrong media type must not produce a broken document).
fn picture_info(bytes: &[u8]) -> Option<(PicFormat, u32, u32)> {
    const PNG_SIG: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.starts_with(PNG_SIG) && bytes.len() >= 24 && &bytes[12..16] == b"IHDR" {
        let w = u32::from_be_bytes(bytes[16..20].try_into().ok()?);
        let h = u32::from_be_bytes(bytes[20..24].try_into().ok()?);
        return (w > 0 && h > 0).then_some((PicFormat::Png, w, h));
    }
    if bytes.starts_with(&[0xFF, 0xD8]) {
        // Walk the marker segments to the first start-of-frame, which holds the size.
        let mut i = 2;
        while i + 4 <= bytes.len() {
            if bytes[i] != 0xFF {
                return None;
            }
            let marker = bytes[i + 1];
            if marker == 0xFF {
                i += 1; // fill byte
                continue;
            }
            if marker == 0x01 || (0xD0..=0xD7).contains(&marker) {
                i += 2;
                continue;
            }
            let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
            let sof = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
            if sof {
                let s = bytes.get(i + 4..i + 9)?;
                let h = u32::from(u16::from_be_bytes([s[1], s[2]]));
                let w = u32::from(u16::from_be_bytes([s[3], s[4]]));
                return (w > 0 && h > 0).then_some((PicFormat::Jpeg, w, h));
            }
            if marker == 0xD9 || marker == 0xDA || len < 2 {
                return None;
            }
            i += 2 + len;
        }
    }
    None
}

// ---- docx ---------------------------------------------------------------------------------

/// A4 with 2.54 cm margins: the text column is 11906 − 2×1440 twips wide.
const PAGE_W_TWIPS: i64 = 11_906;
const PAGE_H_TWIPS: i64 = 16_838;
const MARGIN_TWIPS: i64 = 1_440;
const TEXT_W_TWIPS: i64 = PAGE_W_TWIPS - 2 * MARGIN_TWIPS;
const EMU_PER_TWIP: i64 = 635;
/// A picture never takes more than 60% of the text height, so it stays on a page with its
/// caption.
const MAX_PIC_H_EMU: i64 = (PAGE_H_TWIPS - 2 * MARGIN_TWIPS) * EMU_PER_TWIP * 6 / 10;

const NS_W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
const NS_R: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const REL_IMAGE: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image";
const XML_DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";

/// Text for XML content and attribute values: the five specials escaped, and characters XML 1.0
/// forbids (C0 controls other than tab/newline/CR, U+FFFE/U+FFFF) dropped, since one such
/// character would make Word refuse the whole file.
fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[derive(Clone, Copy, Default)]
struct RunStyle {
    bold: bool,
    red: bool,
    /// Half-points; 0 keeps the style's size.
    size: u32,
}

/// A run; newlines become line breaks within the paragraph.
fn w_run(text: &str, st: RunStyle) -> String {
    let mut rpr = String::new();
    if st.bold {
        rpr.push_str("<w:b/><w:bCs/>");
    }
    if st.red {
        rpr.push_str("<w:color w:val=\"C00000\"/>");
    }
    if st.size > 0 {
        let _ = write!(rpr, "<w:sz w:val=\"{0}\"/><w:szCs w:val=\"{0}\"/>", st.size);
    }
    let mut out = String::from("<w:r>");
    if !rpr.is_empty() {
        let _ = write!(out, "<w:rPr>{rpr}</w:rPr>");
    }
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push_str("<w:br/>");
        }
        let _ = write!(
            out,
            "<w:t xml:space=\"preserve\">{}</w:t>",
            xml_escape(line.trim_end_matches('\r'))
        );
    }
    out.push_str("</w:r>");
    out
}

fn w_para(style: Option<&str>, runs: &str) -> String {
    match style {
        Some(s) => format!("<w:p><w:pPr><w:pStyle w:val=\"{s}\"/></w:pPr>{runs}</w:p>"),
        None => format!("<w:p>{runs}</w:p>"),
    }
}

const BORDERS: &str = "<w:tblBorders>\
<w:top w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"808080\"/>\
<w:left w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"808080\"/>\
<w:bottom w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"808080\"/>\
<w:right w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"808080\"/>\
<w:insideH w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"808080\"/>\
<w:insideV w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"808080\"/>\
</w:tblBorders>";

/// A bordered table over the text width. Each cell is a list of paragraphs' XML; `header`
/// marks the first row as a heading row that repeats on every page.
fn w_table(widths: &[i64], rows: &[Vec<String>], header: bool) -> String {
    let mut out = format!(
        "<w:tbl><w:tblPr><w:tblW w:w=\"{TEXT_W_TWIPS}\" w:type=\"dxa\"/>{BORDERS}\
         <w:tblLayout w:type=\"fixed\"/></w:tblPr><w:tblGrid>"
    );
    for w in widths {
        let _ = write!(out, "<w:gridCol w:w=\"{w}\"/>");
    }
    out.push_str("</w:tblGrid>");
    for (r, row) in rows.iter().enumerate() {
        out.push_str("<w:tr>");
        if header && r == 0 {
            out.push_str("<w:trPr><w:tblHeader/></w:trPr>");
        }
        for (cell, w) in row.iter().zip(widths) {
            let shade = if header && r == 0 {
                "<w:shd w:val=\"clear\" w:color=\"auto\" w:fill=\"E7E6E6\"/>"
            } else {
                ""
            };
            let _ = write!(
                out,
                "<w:tc><w:tcPr><w:tcW w:w=\"{w}\" w:type=\"dxa\"/>{shade}</w:tcPr>{cell}</w:tc>"
            );
        }
        out.push_str("</w:tr>");
    }
    out.push_str("</w:tbl>");
    out
}

/// An inline picture scaled to the text width (height capped, aspect kept).
fn w_picture(rel_id: &str, pic_no: usize, name: &str, w_px: u32, h_px: u32) -> String {
    let mut cx = TEXT_W_TWIPS * EMU_PER_TWIP;
    let mut cy = (cx as i128 * i128::from(h_px) / i128::from(w_px)) as i64;
    if cy > MAX_PIC_H_EMU {
        cx = (cx as i128 * i128::from(MAX_PIC_H_EMU) / cy as i128) as i64;
        cy = MAX_PIC_H_EMU;
    }
    let name = xml_escape(name);
    format!(
        "<w:p><w:pPr><w:keepLines/><w:jc w:val=\"center\"/></w:pPr><w:r><w:drawing>\
         <wp:inline distT=\"0\" distB=\"0\" distL=\"0\" distR=\"0\">\
         <wp:extent cx=\"{cx}\" cy=\"{cy}\"/>\
         <wp:docPr id=\"{pic_no}\" name=\"Picture {pic_no}\" descr=\"{name}\"/>\
         <wp:cNvGraphicFramePr><a:graphicFrameLocks noChangeAspect=\"1\"/></wp:cNvGraphicFramePr>\
         <a:graphic><a:graphicData uri=\"http://schemas.openxmlformats.org/drawingml/2006/picture\">\
         <pic:pic><pic:nvPicPr><pic:cNvPr id=\"{pic_no}\" name=\"{name}\"/><pic:cNvPicPr/></pic:nvPicPr>\
         <pic:blipFill><a:blip r:embed=\"{rel_id}\"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>\
         <pic:spPr><a:xfrm><a:off x=\"0\" y=\"0\"/><a:ext cx=\"{cx}\" cy=\"{cy}\"/></a:xfrm>\
         <a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom></pic:spPr></pic:pic>\
         </a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>"
    )
}

/// Where an attachment came from in the case, for its caption.
fn attachment_origin(case: &Case, history: &[HistoryEntry], id: &str) -> &'static str {
    let has = |l: &[AttachmentRef]| l.iter().any(|r| r.id == id);
    if has(&case.data.attachments) {
        return "上报 Report";
    }
    for e in history {
        match &e.event {
            CaseEvent::MaterialsAdded { materials, .. }
            | CaseEvent::HandlingCompleted { materials, .. }
                if has(materials) =>
            {
                return "处理材料 Handling materials"
            }
            CaseEvent::SelfResolved { materials, .. } if has(materials) => {
                return "自行处理材料 Self-handling materials"
            }
            CaseEvent::EvidenceSubmitted { evidence, .. } if has(evidence) => {
                return "验收凭证 Inspection evidence"
            }
            _ => {}
        }
    }
    "附件 Attachment"
}

const STYLES_XML: &str = "<w:styles xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">\
<w:docDefaults><w:rPrDefault><w:rPr>\
<w:rFonts w:ascii=\"Calibri\" w:hAnsi=\"Calibri\" w:eastAsia=\"SimSun\" w:cs=\"Calibri\"/>\
<w:sz w:val=\"21\"/><w:szCs w:val=\"21\"/><w:lang w:val=\"en-US\" w:eastAsia=\"zh-CN\"/>\
</w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after=\"60\"/></w:pPr></w:pPrDefault>\
</w:docDefaults>\
<w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name w:val=\"Normal\"/><w:qFormat/></w:style>\
<w:style w:type=\"paragraph\" w:styleId=\"Title\"><w:name w:val=\"Title\"/><w:basedOn w:val=\"Normal\"/>\
<w:next w:val=\"Normal\"/><w:qFormat/><w:pPr><w:spacing w:after=\"120\"/></w:pPr>\
<w:rPr><w:b/><w:bCs/><w:sz w:val=\"36\"/><w:szCs w:val=\"36\"/></w:rPr></w:style>\
<w:style w:type=\"paragraph\" w:styleId=\"Heading1\"><w:name w:val=\"heading 1\"/><w:basedOn w:val=\"Normal\"/>\
<w:next w:val=\"Normal\"/><w:qFormat/><w:pPr><w:keepNext/><w:spacing w:before=\"240\" w:after=\"120\"/>\
<w:outlineLvl w:val=\"0\"/></w:pPr><w:rPr><w:b/><w:bCs/><w:sz w:val=\"28\"/><w:szCs w:val=\"28\"/></w:rPr></w:style>\
<w:style w:type=\"paragraph\" w:styleId=\"Caption\"><w:name w:val=\"caption\"/><w:basedOn w:val=\"Normal\"/>\
<w:next w:val=\"Normal\"/><w:qFormat/><w:pPr><w:keepNext/><w:spacing w:before=\"240\"/></w:pPr></w:style>\
<w:style w:type=\"table\" w:default=\"1\" w:styleId=\"TableNormal\"><w:name w:val=\"Normal Table\"/>\
<w:tblPr><w:tblInd w:w=\"0\" w:type=\"dxa\"/><w:tblCellMar><w:top w:w=\"0\" w:type=\"dxa\"/>\
<w:left w:w=\"108\" w:type=\"dxa\"/><w:bottom w:w=\"0\" w:type=\"dxa\"/><w:right w:w=\"108\" w:type=\"dxa\"/>\
</w:tblCellMar></w:tblPr></w:style></w:styles>";

/// One case as a Word document: title, details table, pictures (JPEG/PNG embedded at text
/// width; other files named), and the full history as a table.
pub fn case_docx(view: &CaseExport) -> Result<Vec<u8>, ExportError> {
    let c = &view.case;
    let mut body = String::new();
    body.push_str(&w_para(
        Some("Title"),
        &w_run(&format!("案件 Case {}", c.number), RunStyle::default()),
    ));

    body.push_str(&w_para(
        Some("Heading1"),
        &w_run("基本信息 Details", RunStyle::default()),
    ));
    let rows: Vec<Vec<String>> = details(view)
        .into_iter()
        .map(|d| {
            vec![
                w_para(
                    None,
                    &w_run(
                        d.label,
                        RunStyle {
                            bold: true,
                            ..RunStyle::default()
                        },
                    ),
                ),
                w_para(
                    None,
                    &w_run(
                        &d.value,
                        RunStyle {
                            red: d.alert,
                            ..RunStyle::default()
                        },
                    ),
                ),
            ]
        })
        .collect();
    body.push_str(&w_table(&[3000, TEXT_W_TWIPS - 3000], &rows, false));

    body.push_str(&w_para(
        Some("Heading1"),
        &w_run("图片与附件 Pictures and attachments", RunStyle::default()),
    ));
    let mut media: Vec<(String, PicFormat, &[u8])> = Vec::new();
    for f in &view.files {
        let origin = attachment_origin(c, &view.history, &f.id);
        let info = claims_picture(&f.media_type)
            .then(|| picture_info(&f.bytes))
            .flatten();
        match info {
            Some((fmt, w, h)) => {
                let n = media.len() + 1;
                let rel = format!("rIdImg{n}");
                // The Caption style keeps with the next paragraph: no caption alone at a page end.
                body.push_str(&w_para(
                    Some("Caption"),
                    &w_run(
                        &format!("{n}. {}（{origin}）", f.name),
                        RunStyle {
                            bold: true,
                            ..RunStyle::default()
                        },
                    ),
                ));
                body.push_str(&w_picture(&rel, n, &f.name, w, h));
                media.push((rel, fmt, &f.bytes));
            }
            None => {
                let why = if claims_picture(&f.media_type) {
                    "图片无法读取，未嵌入 Unreadable picture, not embedded"
                } else {
                    "非图片，未嵌入 Not a picture, not embedded"
                };
                let kind = if f.media_type.is_empty() {
                    String::new()
                } else {
                    format!(", {}", f.media_type)
                };
                body.push_str(&w_para(
                    None,
                    &w_run(
                        &format!("{}（{origin}{kind}）— {why}", f.name),
                        RunStyle::default(),
                    ),
                ));
            }
        }
    }
    if view.files.is_empty() {
        body.push_str(&w_para(None, &w_run("无 None", RunStyle::default())));
    }

    body.push_str(&w_para(
        Some("Heading1"),
        &w_run("处理记录 History", RunStyle::default()),
    ));
    let small = RunStyle {
        size: 18,
        ..RunStyle::default()
    };
    let head = RunStyle {
        bold: true,
        size: 18,
        ..RunStyle::default()
    };
    let mut rows: Vec<Vec<String>> = vec![[
        "时间 Time",
        "操作人 By",
        "操作 Operation",
        "状态 From → To",
        "详情 Details",
    ]
    .iter()
    .map(|h| w_para(None, &w_run(h, head)))
    .collect()];
    let lines = history_lines(view);
    for l in &lines {
        let details = if l.details.is_empty() {
            w_para(None, &w_run("", small))
        } else {
            l.details
                .iter()
                .map(|d| w_para(None, &w_run(d, small)))
                .collect()
        };
        rows.push(vec![
            w_para(None, &w_run(&l.time, small)),
            w_para(None, &w_run(&l.who, small)),
            w_para(None, &w_run(l.op, small)),
            w_para(None, &w_run(&l.states, small)),
            details,
        ]);
    }
    body.push_str(&w_table(
        &[1650, 1600, 1400, 1700, TEXT_W_TWIPS - 6350],
        &rows,
        true,
    ));
    if lines.is_empty() {
        body.push_str(&w_para(
            None,
            &w_run("无记录 No history", RunStyle::default()),
        ));
    }

    let document = format!(
        "{XML_DECL}<w:document xmlns:w=\"{NS_W}\" xmlns:r=\"{NS_R}\" \
         xmlns:wp=\"http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing\" \
         xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" \
         xmlns:pic=\"http://schemas.openxmlformats.org/drawingml/2006/picture\"><w:body>{body}\
         <w:sectPr><w:pgSz w:w=\"{PAGE_W_TWIPS}\" w:h=\"{PAGE_H_TWIPS}\"/>\
         <w:pgMar w:top=\"{MARGIN_TWIPS}\" w:right=\"{MARGIN_TWIPS}\" w:bottom=\"{MARGIN_TWIPS}\" \
         w:left=\"{MARGIN_TWIPS}\" w:header=\"708\" w:footer=\"708\" w:gutter=\"0\"/></w:sectPr>\
         </w:body></w:document>"
    );

    let mut doc_rels = format!(
        "{XML_DECL}<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
         <Relationship Id=\"rIdStyles\" \
         Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" \
         Target=\"styles.xml\"/>"
    );
    for (i, (rel, fmt, _)) in media.iter().enumerate() {
        let _ = write!(
            doc_rels,
            "<Relationship Id=\"{rel}\" Type=\"{REL_IMAGE}\" Target=\"media/image{}.{}\"/>",
            i + 1,
            fmt.ext()
        );
    }
    doc_rels.push_str("</Relationships>");

    let content_types = format!(
        "{XML_DECL}<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
         <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
         <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
         <Default Extension=\"png\" ContentType=\"image/png\"/>\
         <Default Extension=\"jpeg\" ContentType=\"image/jpeg\"/>\
         <Override PartName=\"/word/document.xml\" \
         ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>\
         <Override PartName=\"/word/styles.xml\" \
         ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/>\
         <Override PartName=\"/docProps/core.xml\" \
         ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/></Types>"
    );
    let package_rels = format!(
        "{XML_DECL}<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
         <Relationship Id=\"rId1\" \
         Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" \
         Target=\"word/document.xml\"/>\
         <Relationship Id=\"rId2\" \
         Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" \
         Target=\"docProps/core.xml\"/></Relationships>"
    );
    let core = format!(
        "{XML_DECL}<cp:coreProperties \
         xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\
         <dc:title>{}</dc:title>\
         <dcterms:created xsi:type=\"dcterms:W3CDTF\">{}</dcterms:created></cp:coreProperties>",
        xml_escape(&format!("案件 Case {}", c.number)),
        utc_iso(view.now_ms)
    );

    let mut zip = DocxZip::new();
    zip.add("[Content_Types].xml", content_types.as_bytes(), true)?;
    zip.add("_rels/.rels", package_rels.as_bytes(), true)?;
    zip.add("docProps/core.xml", core.as_bytes(), true)?;
    zip.add("word/document.xml", document.as_bytes(), true)?;
    zip.add(
        "word/styles.xml",
        format!("{XML_DECL}{STYLES_XML}").as_bytes(),
        true,
    )?;
    zip.add("word/_rels/document.xml.rels", doc_rels.as_bytes(), true)?;
    for (i, (_, fmt, bytes)) in media.iter().enumerate() {
        // Pictures are compressed already; storing them saves time for nothing lost.
        zip.add(
            &format!("word/media/image{}.{}", i + 1, fmt.ext()),
            bytes,
            false,
        )?;
    }
    zip.finish()
}

struct DocxZip(ZipWriter<Cursor<Vec<u8>>>);

impl DocxZip {
    fn new() -> DocxZip {
        DocxZip(ZipWriter::new(Cursor::new(Vec::new())))
    }

    fn add(&mut self, part: &str, bytes: &[u8], deflate: bool) -> Result<(), ExportError> {
        let method = if deflate {
            CompressionMethod::Deflated
        } else {
            CompressionMethod::Stored
        };
        let err = |source| ExportError::Docx {
            part: part.to_string(),
            source,
        };
        self.0
            .start_file(
                part,
                SimpleFileOptions::default().compression_method(method),
            )
            .map_err(err)?;
        self.0
            .write_all(bytes)
            .map_err(|e| err(zip::result::ZipError::Io(e)))
    }

    fn finish(self) -> Result<Vec<u8>, ExportError> {
        self.0
            .finish()
            .map(Cursor::into_inner)
            .map_err(|source| ExportError::Docx {
                part: "central directory".into(),
                source,
            })
    }
}

// ---- xlsx ---------------------------------------------------------------------------------

/// Column headers of [`cases_xlsx`], in order.
pub const XLSX_HEADERS: [&str; 12] = [
    "案件编号 Number",
    "状态 Status",
    "来源 Source",
    "类别 Category",
    "网格 Grid",
    "位置 Location",
    "问题程度 Severity",
    "处理人 Handler",
    "期限 Deadline",
    "时效 Timeliness",
    "上报时间 Created",
    "更新时间 Updated",
];
const XLSX_WIDTHS: [f64; 12] = [
    18.0, 16.0, 24.0, 30.0, 26.0, 30.0, 17.0, 42.0, 17.0, 18.0, 17.0, 17.0,
];

/// A list of cases as a spreadsheet: header row (frozen, with an autofilter), one row per case,
/// deadline and times as real Excel dates in local time (UTC+8), timeliness at `now_ms`.
pub fn cases_xlsx(rows: &[CaseRow], now_ms: i64) -> Result<Vec<u8>, ExportError> {
    let mut wb = Workbook::new();
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xE7E6E6))
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::VerticalCenter);
    let text = Format::new();
    let red = Format::new().set_font_color(Color::RGB(0xC00000));
    let date = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let red_date = date.clone().set_font_color(Color::RGB(0xC00000));

    let ws = wb.add_worksheet();
    ws.set_name("案件 Cases")?;
    for (col, (h, w)) in XLSX_HEADERS.iter().zip(XLSX_WIDTHS).enumerate() {
        let col = col as u16;
        ws.write_string_with_format(0, col, *h, &header)?;
        ws.set_column_width(col, w)?;
    }
    let excel_date = |r: &CaseRow, field: &'static str, ms: i64| {
        // Excel has no time zones: write the local wall-clock time.
        ExcelDateTime::from_timestamp(ms.saturating_add(LOCAL_OFFSET_MS).div_euclid(1000)).map_err(
            |_| ExportError::DateOutOfRange {
                number: r.number.clone(),
                field,
                ms,
            },
        )
    };
    for (i, r) in rows.iter().enumerate() {
        let row = u32::try_from(i + 1).map_err(|_| XlsxError::RowColumnLimitError)?;
        let t = timeliness(r.deadline_ms, now_ms, DUE_SOON_MS);
        let source = source_text(r.source, r.supervision);
        let cells: [(&str, &Format); 8] = [
            (&r.number, &text),
            (status_label(r.status), &text),
            (&source, if r.supervision { &red } else { &text }),
            (&r.category, &text),
            (&r.grid, &text),
            (&r.location, &text),
            (severity_label(r.severity), &text),
            (r.handler.as_deref().unwrap_or(""), &text),
        ];
        for (col, (s, f)) in cells.into_iter().enumerate() {
            ws.write_string_with_format(row, col as u16, s, f)?;
        }
        if let Some(d) = r.deadline_ms {
            let f = if t.is_overdue() { &red_date } else { &date };
            ws.write_datetime_with_format(row, 8, excel_date(r, "deadline", d)?, f)?;
        }
        let tf = if t.is_overdue() { &red } else { &text };
        ws.write_string_with_format(row, 9, timeliness_label(t), tf)?;
        ws.write_datetime_with_format(
            row,
            10,
            excel_date(r, "created at", r.created_at_ms)?,
            &date,
        )?;
        ws.write_datetime_with_format(
            row,
            11,
            excel_date(r, "updated at", r.updated_at_ms)?,
            &date,
        )?;
    }
    ws.set_freeze_panes(1, 0)?;
    // Printed: A4 landscape, all columns on one page width, the header on every page.
    ws.set_paper_size(9)
        .set_landscape()
        .set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(0, 0)?;
    let last = u32::try_from(rows.len()).map_err(|_| XlsxError::RowColumnLimitError)?;
    ws.autofilter(0, 0, last, (XLSX_HEADERS.len() - 1) as u16)?;
    Ok(wb.save_to_buffer()?)
}

// ---- html ---------------------------------------------------------------------------------

/// Text for HTML content and attribute values.
fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An id as one URL path segment: unreserved characters kept, the rest percent-encoded (UTF-8).
fn url_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

const HTML_CSS: &str = "\
body{font-family:\"PingFang SC\",\"Microsoft YaHei\",\"Noto Sans CJK SC\",\"Source Han Sans SC\",sans-serif;\
color:#222;line-height:1.5;max-width:60em;margin:2em auto;padding:0 1em}\
h1{font-size:1.6em;margin:0 0 .2em}\
h2{font-size:1.2em;border-bottom:1px solid #888;margin-top:1.6em;padding-bottom:.2em}\
table{border-collapse:collapse;width:100%;margin:.5em 0}\
th,td{border:1px solid #999;padding:.3em .5em;text-align:left;vertical-align:top}\
th{background:#eee}\
.details th{width:13em}\
.history td,.history th{font-size:.9em}\
.text{white-space:pre-wrap}\
.alert{color:#b00000;font-weight:bold}\
.muted{color:#666}\
figure{margin:1em 0;text-align:center}\
figure img{max-width:100%;max-height:20cm}\
figcaption{color:#555;font-size:.9em}\
@media print{\
@page{size:A4;margin:15mm}\
body{max-width:none;margin:0;padding:0;font-size:10.5pt}\
thead{display:table-header-group}\
tr,figure{break-inside:avoid;page-break-inside:avoid}\
h2{break-after:avoid;page-break-after:avoid}\
a{color:inherit;text-decoration:none}\
}";

/// One case as a print-friendly HTML page (inline CSS, `@media print`). Pictures are linked as
/// `picture_url_prefix` + the attachment id (percent-encoded), so `bytes` may be empty; every
/// interpolated string is escaped.
pub fn case_html(view: &CaseExport, picture_url_prefix: &str) -> String {
    let c = &view.case;
    let e = html_escape;
    let mut out = String::new();
    let title = e(&format!("案件 Case {}", c.number));
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>{HTML_CSS}</style></head><body>\n<h1>{title}</h1>\n\
         <p class=\"muted\">导出时间 Exported at {}</p>\n",
        e(&local_time(view.now_ms))
    );

    out.push_str("<h2>基本信息 Details</h2>\n<table class=\"details\"><tbody>\n");
    for d in details(view) {
        let class = if d.alert { "text alert" } else { "text" };
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\">{}</th><td class=\"{class}\">{}</td></tr>",
            e(d.label),
            e(&d.value)
        );
    }
    out.push_str("</tbody></table>\n");

    out.push_str("<h2>图片与附件 Pictures and attachments</h2>\n");
    if view.files.is_empty() {
        out.push_str("<p>无 None</p>\n");
    }
    for f in &view.files {
        let origin = attachment_origin(c, &view.history, &f.id);
        let url = format!("{picture_url_prefix}{}", url_segment(&f.id));
        if claims_picture(&f.media_type) {
            let _ = writeln!(
                out,
                "<figure><img src=\"{}\" alt=\"{}\"><figcaption>{}（{}）</figcaption></figure>",
                e(&url),
                e(&f.name),
                e(&f.name),
                e(origin)
            );
        } else {
            let _ = writeln!(
                out,
                "<p>附件 Attachment: <a href=\"{}\">{}</a> <span class=\"muted\">（{}{}{}）</span></p>",
                e(&url),
                e(&f.name),
                e(origin),
                if f.media_type.is_empty() { "" } else { ", " },
                e(&f.media_type)
            );
        }
    }

    out.push_str(
        "<h2>处理记录 History</h2>\n<table class=\"history\"><thead><tr><th>时间 Time</th>\
         <th>操作人 By</th><th>操作 Operation</th><th>状态 From → To</th><th>详情 Details</th>\
         </tr></thead><tbody>\n",
    );
    let lines = history_lines(view);
    for l in &lines {
        let details: Vec<String> = l.details.iter().map(|d| e(d)).collect();
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"text\">{}</td></tr>",
            e(&l.time),
            e(&l.who),
            e(l.op),
            e(&l.states),
            details.join("<br>")
        );
    }
    if lines.is_empty() {
        out.push_str("<tr><td colspan=\"5\">无记录 No history</td></tr>\n");
    }
    out.push_str("</tbody></table>\n</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::{
        Actor, CaseKind, CategoryNode, GeoPoint, Linked, Location, NewCase, Severity, Source,
    };

    const T0: i64 = 1_795_000_000_000;
    const H: i64 = 3_600_000;

    fn tree() -> CategoryTree {
        let node = |code: &str, name: &str, children| CategoryNode {
            code: code.into(),
            name: name.into(),
            children,
        };
        CategoryTree {
            majors: vec![node(
                "city",
                "市容",
                vec![node("road", "道路", vec![node("manhole", "井盖", vec![])])],
            )],
        }
    }

    fn view(problem: &str) -> CaseExport {
        let new = NewCase {
            community_id: "c1".into(),
            kind: CaseKind::Event,
            category: CategoryPath {
                major: "city".into(),
                middle: "road".into(),
                minor: "manhole".into(),
            },
            grid: GridPath {
                level1: "g1".into(),
                level2: None,
                level3: None,
            },
            source: Source::Hotline12345,
            supervision: false,
            area: None,
            location: Location {
                text: "3 栋门口 & <北侧>".into(),
                point: Some(GeoPoint {
                    lat: 30.0,
                    lon: 120.0,
                }),
                building_id: None,
            },
            severity: Severity::Major,
            problem: problem.into(),
            description: String::new(),
            linked: Linked::default(),
            attachments: vec![],
            source_ref: None,
            self_handled: false,
        };
        let actor = Actor::new("o1", CaseRole::SeatOperator, None);
        let a = Case::report("case1", "AJ20261118-0001", &new, &actor, &tree(), T0).unwrap();
        let mut names = DisplayNames::default();
        names.add_categories(&tree());
        CaseExport {
            case: a.case,
            history: vec![a.entry],
            files: vec![],
            names,
            now_ms: T0 + H,
        }
    }

    #[test]
    fn escapes_xml_and_drops_forbidden_characters() {
        assert_eq!(
            xml_escape("a&b<c>d\"e'f\u{1}g\u{FFFF}\n中"),
            "a&amp;b&lt;c&gt;d&quot;e&apos;fg\n中"
        );
        assert_eq!(
            html_escape("<script>alert('x&y')</script>"),
            "&lt;script&gt;alert(&#39;x&amp;y&#39;)&lt;/script&gt;"
        );
        assert_eq!(url_segment("a b/井"), "a%20b%2F%E4%BA%95");
    }

    #[test]
    fn html_escapes_every_interpolated_string() {
        let mut v = view("<script>alert(1)</script>");
        v.names.accounts.insert("o1".into(), "<b>坐席</b>".into());
        v.files.push(ExportFile {
            id: "p\"1".into(),
            name: "<img onerror=x>.png".into(),
            media_type: "image/png".into(),
            bytes: vec![],
        });
        let html = case_html(&v, "/api/v1/files/");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!html.contains("<b>坐席"));
        assert!(!html.contains("<img onerror"));
        assert!(html.contains("src=\"/api/v1/files/p%221\""));
        assert!(html.contains("3 栋门口 &amp; &lt;北侧&gt;"));
        assert!(html.contains("@media print"));
        assert!(html.contains("井盖"));
    }

    #[test]
    fn docx_escapes_text_and_is_a_zip() {
        let v = view("<w:t>&破坏</w:t>");
        let bytes = case_docx(&v).unwrap();
        assert!(bytes.starts_with(b"PK"));
        let mut z = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut doc = String::new();
        std::io::Read::read_to_string(&mut z.by_name("word/document.xml").unwrap(), &mut doc)
            .unwrap();
        assert!(doc.contains("&lt;w:t&gt;&amp;破坏&lt;/w:t&gt;"));
        assert!(doc.contains("AJ20261118-0001"));
        assert!(z.by_name("[Content_Types].xml").is_ok());
        assert!(z.by_name("word/_rels/document.xml.rels").is_ok());
    }

    #[test]
    fn empty_history_still_renders() {
        let mut v = view("井盖丢失");
        v.history.clear();
        let html = case_html(&v, "/f/");
        assert!(html.contains("无记录 No history"));
        let bytes = case_docx(&v).unwrap();
        let mut z = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut doc = String::new();
        std::io::Read::read_to_string(&mut z.by_name("word/document.xml").unwrap(), &mut doc)
            .unwrap();
        assert!(doc.contains("无记录 No history"));
        assert!(cases_xlsx(&[], T0).unwrap().starts_with(b"PK"));
    }

    #[test]
    fn timeliness_labels() {
        let d = Some(T0);
        let t = |now| timeliness_label(timeliness(d, now, DUE_SOON_MS));
        assert_eq!(t(T0 - 25 * H), "正常 On time");
        assert_eq!(t(T0 - 2 * H), "即将到期 Due soon");
        assert_eq!(t(T0 + 1), "已超期 Overdue");
        assert_eq!(
            timeliness_label(timeliness(None, T0, DUE_SOON_MS)),
            "无期限 No deadline"
        );
        assert_eq!(
            timeliness_text(timeliness(d, T0 + 26 * H + 5 * 60_000, DUE_SOON_MS)),
            "已超期 Overdue（超期 1天2小时5分 / 1 d 2 h 5 min over）"
        );
        assert_eq!(
            timeliness_text(timeliness(d, T0, DUE_SOON_MS)),
            "即将到期 Due soon（剩余 0分 / 0 min left）"
        );
    }

    #[test]
    fn local_times_are_utc_plus_8() {
        // 2026-11-29T15:59:59Z is 23:59 in Beijing; a minute later is the 30th.
        assert_eq!(local_time(1_795_967_940_000), "2026-11-29 23:59");
        assert_eq!(local_time(1_795_968_000_000), "2026-11-30 00:00");
        assert_eq!(utc_iso(1_795_968_000_000), "2026-11-29T16:00:00Z");
    }

    #[test]
    fn picture_headers_are_sized_and_others_refused() {
        let mut png = Vec::new();
        image::RgbImage::new(7, 3)
            .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        assert_eq!(picture_info(&png), Some((PicFormat::Png, 7, 3)));
        let mut jpg = Vec::new();
        image::RgbImage::new(5, 9)
            .write_to(&mut Cursor::new(&mut jpg), image::ImageFormat::Jpeg)
            .unwrap();
        assert_eq!(picture_info(&jpg), Some((PicFormat::Jpeg, 5, 9)));
        assert_eq!(picture_info(b"%PDF-1.4"), None);
        assert_eq!(picture_info(&[0xFF, 0xD8, 0xFF]), None);
        assert!(claims_picture("image/JPEG; q=1"));
        assert!(!claims_picture("application/pdf"));
    }

    #[test]
    fn category_and_grid_names_fall_back_to_codes() {
        let mut n = DisplayNames::default();
        n.add_categories(&tree());
        let p = CategoryPath {
            major: "city".into(),
            middle: "road".into(),
            minor: "lamp".into(),
        };
        assert_eq!(n.category(&p), ["市容", "道路", "lamp"]);
        n.grids.insert("g1".into(), "一网格".into());
        let g = GridPath {
            level1: "g1".into(),
            level2: Some("g9".into()),
            level3: None,
        };
        assert_eq!(n.grid_path(&g), "一网格 / g9");
    }
}
