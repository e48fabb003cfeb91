//! The case exports read back by real readers the project did not write: a case taken through
//! its whole life with the core (report → file → assign → complete → inspection → evidence →
//! close), exported as .docx and .xlsx, then opened with python-docx and openpyxl by
//! `tests/check_exports.py`. Needs `bash tests/setup.sh` (it installs both into `.venv`); the
//! test fails, never skips, without them.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;

use cloud_core::cases::{
    Actor, Applied, Assignee, AttachmentRef, Case, CaseKind, CaseOp, CaseRole, CategoryNode,
    CategoryPath, CategoryTree, DuplicateCheck, GeoPoint, GridPath, HistoryEntry, Linked, Location,
    NewCase, Severity, Source, UnitKind,
};
use cloud_core::rooms::cases::export::{
    case_docx, case_html, cases_xlsx, CaseExport, CaseRow, DisplayNames, ExportFile, XLSX_HEADERS,
};

const H: i64 = 3_600_000;
const DAY: i64 = 24 * H;
/// 2026-11-18 09:00 in Beijing.
const T0: i64 = 1_794_963_600_000;

fn tree() -> CategoryTree {
    let node = |code: &str, name: &str, children| CategoryNode {
        code: code.into(),
        name: name.into(),
        children,
    };
    CategoryTree {
        majors: vec![node(
            "city",
            "市容环境",
            vec![node(
                "road",
                "道路设施",
                vec![node("manhole", "井盖缺失", vec![])],
            )],
        )],
    }
}

fn att(id: &str, name: &str, media_type: &str) -> AttachmentRef {
    AttachmentRef {
        id: id.into(),
        name: Some(name.into()),
        media_type: Some(media_type.into()),
    }
}

fn who(id: &str) -> Assignee {
    Assignee {
        kind: UnitKind::CommunityWorker,
        unit: "u-east".into(),
        account_id: id.into(),
    }
}

const DESCRIPTION: &str = "幸福小区 3 栋北侧井盖缺失，夜间有行人踩空风险；已设临时围挡。";

fn picture(format: image::ImageFormat, w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 128])
    });
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), format).unwrap();
    out
}

/// A hotline case through its whole life; returns the case and its history.
fn closed_case() -> (Case, Vec<HistoryEntry>) {
    let seat = Actor::new("o1", CaseRole::SeatOperator, None);
    let mgr = Actor::new("m1", CaseRole::CommunityStaff, Some("c1"));
    let w1 = Actor::new("w1", CaseRole::FieldStaff, None);
    let w2 = Actor::new("w2", CaseRole::FieldStaff, None);
    let new = NewCase {
        community_id: "c1".into(),
        kind: CaseKind::Component,
        category: CategoryPath {
            major: "city".into(),
            middle: "road".into(),
            minor: "manhole".into(),
        },
        grid: GridPath {
            level1: "g1".into(),
            level2: Some("g12".into()),
            level3: None,
        },
        source: Source::Hotline12345,
        supervision: false,
        area: Some("东区".into()),
        location: Location {
            text: "幸福小区 3 栋北侧".into(),
            point: Some(GeoPoint {
                lat: 30.274_1,
                lon: 120.155_2,
            }),
            building_id: Some("b3".into()),
        },
        severity: Severity::Major,
        problem: "井盖丢失".into(),
        description: DESCRIPTION.into(),
        linked: Linked {
            person_ids: vec!["p1".into()],
            house_ids: vec!["h301".into()],
        },
        attachments: vec![
            att("photo1", "现场照片.png", "image/png"),
            att("ticket", "工单.pdf", "application/pdf"),
        ],
        source_ref: Some("12345-20261118-0007".into()),
        self_handled: false,
    };
    let Applied { case, entry } =
        Case::report("case1", "AJ20261118-0001", &new, &seat, &tree(), T0).unwrap();
    let mut history = vec![entry];
    let steps: Vec<(CaseOp, &Actor, i64)> = vec![
        (
            CaseOp::File {
                check: DuplicateCheck::default(),
            },
            &mgr,
            T0 + H,
        ),
        (
            CaseOp::Assign {
                handler: who("w1"),
                deadline_ms: T0 + 3 * DAY,
                requirements: "48 小时内补装井盖".into(),
                co_handlers: vec![],
            },
            &mgr,
            T0 + 2 * H,
        ),
        (
            CaseOp::CompleteHandling {
                materials: vec![att("done1", "补装后.jpg", "image/jpeg")],
                note: "已补装新井盖".into(),
            },
            &w1,
            T0 + DAY,
        ),
        (
            CaseOp::AssignInspection {
                inspector: who("w2"),
                deadline_ms: T0 + 4 * DAY,
                requirements: "现场核验".into(),
            },
            &mgr,
            T0 + DAY + H,
        ),
        (
            CaseOp::SubmitEvidence {
                evidence: vec![att("check1", "验收.png", "image/png")],
                note: "核验通过".into(),
            },
            &w2,
            T0 + 2 * DAY,
        ),
        (
            CaseOp::Close {
                closing_note: "已修复，结案".into(),
            },
            &mgr,
            T0 + 2 * DAY + H,
        ),
    ];
    let mut case = case;
    for (op, actor, at) in steps {
        let a = case
            .apply(&op, actor, at)
            .unwrap_or_else(|e| panic!("{} refused: {e}", op.kind()));
        history.push(a.entry);
        case = a.case;
    }
    (case, history)
}

fn names() -> DisplayNames {
    let mut n = DisplayNames::default();
    n.add_categories(&tree());
    for (id, name) in [
        ("o1", "王坐席"),
        ("m1", "李主任"),
        ("w1", "张师傅"),
        ("w2", "陈验收"),
    ] {
        n.accounts.insert(id.into(), name.into());
    }
    n.grids.insert("g1".into(), "幸福社区".into());
    n.grids.insert("g12".into(), "第二网格".into());
    n.units.insert("u-east".into(), "东区物业".into());
    n.people.insert("p1".into(), "赵居民".into());
    n.houses.insert("h301".into(), "3 栋 301".into());
    n
}

fn export_view(case: Case, history: Vec<HistoryEntry>, now_ms: i64) -> CaseExport {
    let files = CaseExport::attachment_refs(&case, &history)
        .iter()
        .map(|r| {
            let bytes = match r.id.as_str() {
                "photo1" => picture(image::ImageFormat::Png, 32, 24),
                "done1" => picture(image::ImageFormat::Jpeg, 40, 30),
                "check1" => picture(image::ImageFormat::Png, 16, 16),
                _ => b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec(),
            };
            ExportFile::from_ref(r, bytes)
        })
        .collect();
    CaseExport {
        case,
        history,
        files,
        names: names(),
        now_ms,
    }
}

/// The interpreter with python-docx and openpyxl: `EDGE_TEST_PYTHON` (tests/run.sh sets it),
/// else the workspace's `.venv`. Missing either is a failure, never a skip.
fn python() -> PathBuf {
    let py = match std::env::var_os("EDGE_TEST_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python"),
    };
    assert!(
        py.exists(),
        "no Python at {} (EDGE_TEST_PYTHON unset or wrong): run `bash tests/setup.sh` to \
         create .venv with python-docx and openpyxl",
        py.display()
    );
    let probe = Command::new(&py)
        .args(["-c", "import docx, openpyxl"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", py.display()));
    assert!(
        probe.status.success(),
        "{} cannot import python-docx/openpyxl: run `bash tests/setup.sh`\n{}",
        py.display(),
        String::from_utf8_lossy(&probe.stderr)
    );
    py
}

#[test]
fn docx_and_xlsx_read_back_with_python_docx_and_openpyxl() {
    let py = python();
    let (case, history) = closed_case();
    assert_eq!(history.len(), 7);
    let now = T0 + 3 * DAY;
    let view = export_view(case.clone(), history, now);
    assert_eq!(view.files.len(), 4, "photo, ticket, done1, check1");

    // A second, open case that is overdue, for the list.
    let open = {
        let seat = Actor::new("o1", CaseRole::SeatOperator, None);
        let mgr = Actor::new("m1", CaseRole::CommunityStaff, Some("c1"));
        let mut new = case.data.clone();
        new.description = "路灯不亮".into();
        let a = Case::report("case2", "AJ20261118-0002", &new, &seat, &tree(), T0).unwrap();
        let filed = a
            .case
            .apply(
                &CaseOp::File {
                    check: DuplicateCheck::default(),
                },
                &mgr,
                T0 + H,
            )
            .unwrap()
            .case;
        filed
            .apply(
                &CaseOp::Assign {
                    handler: who("w1"),
                    deadline_ms: T0 + DAY,
                    requirements: "尽快修复".into(),
                    co_handlers: vec![],
                },
                &mgr,
                T0 + 2 * H,
            )
            .unwrap()
            .case
    };
    let n = names();
    let rows = vec![CaseRow::from_case(&case, &n), CaseRow::from_case(&open, &n)];

    let dir = tempfile::tempdir().unwrap();
    let docx_path = dir.path().join("case.docx");
    let xlsx_path = dir.path().join("cases.xlsx");
    std::fs::write(&docx_path, case_docx(&view).unwrap()).unwrap();
    std::fs::write(&xlsx_path, cases_xlsx(&rows, now).unwrap()).unwrap();
    // CASE_EXPORTS_KEEP=<dir> keeps copies to open by hand.
    if let Some(keep) = std::env::var_os("CASE_EXPORTS_KEEP") {
        let keep = PathBuf::from(keep);
        std::fs::create_dir_all(&keep).unwrap();
        std::fs::copy(&docx_path, keep.join("case.docx")).unwrap();
        std::fs::copy(&xlsx_path, keep.join("cases.xlsx")).unwrap();
        std::fs::write(keep.join("case.html"), case_html(&view, "")).unwrap();
    }

    // What the readers must find, written down here rather than derived from the exporter.
    let expect = serde_json::json!({
        "number": "AJ20261118-0001",
        "description": DESCRIPTION,
        "details": {
            "状态 Status": "已结案 Closed",
            "来源 Source": "12345 热线 Hotline",
            "大类 Major category": "市容环境",
            "中类 Middle category": "道路设施",
            "小类 Minor category": "井盖缺失",
            "网格 Grid": "幸福社区 / 第二网格",
            "坐标 Coordinates": "30.274100, 120.155200",
            "处理人/单位 Handler / unit": "张师傅（社区工作者 Community worker，东区物业）",
            "期限 Deadline": "2026-11-21 09:00",
            "关联人员 Linked people": "赵居民",
            "关联房屋 Linked houses": "3 栋 301",
        },
        "ops": [
            "上报 Report",
            "立案 File",
            "分配处理 Assign",
            "处理完成 Complete handling",
            "分配验收 Assign inspection",
            "提交凭证 Submit evidence",
            "结案 Close",
        ],
        "first_time": "2026-11-18 09:00",
        "pictures": 3,
        "picture_types": ["image/png", "image/jpeg", "image/png"],
        "skipped": ["工单.pdf"],
        "xlsx_headers": XLSX_HEADERS,
        "xlsx_rows": [
            {
                "案件编号 Number": "AJ20261118-0001",
                "状态 Status": "已结案 Closed",
                "类别 Category": "市容环境 / 道路设施 / 井盖缺失",
                "网格 Grid": "幸福社区 / 第二网格",
                "位置 Location": "幸福小区 3 栋北侧",
                "问题程度 Severity": "严重 Major",
                "处理人 Handler": "张师傅（社区工作者 Community worker，东区物业）",
                "期限 Deadline": null,
                "时效 Timeliness": "无期限 No deadline",
                "上报时间 Created": "2026-11-18 09:00",
                "更新时间 Updated": "2026-11-20 10:00",
            },
            {
                "案件编号 Number": "AJ20261118-0002",
                "状态 Status": "处理中 Handling",
                "期限 Deadline": "2026-11-19 09:00",
                "时效 Timeliness": "已超期 Overdue",
                "上报时间 Created": "2026-11-18 09:00",
                "更新时间 Updated": "2026-11-18 11:00",
            },
        ],
    });
    let expect_path = dir.path().join("expect.json");
    std::fs::write(&expect_path, serde_json::to_vec_pretty(&expect).unwrap()).unwrap();
    if let Some(keep) = std::env::var_os("CASE_EXPORTS_KEEP") {
        std::fs::copy(&expect_path, PathBuf::from(keep).join("expect.json")).unwrap();
    }

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/check_exports.py");
    let out = Command::new(&py)
        .arg(&script)
        .args([&docx_path, &xlsx_path, &expect_path])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "check_exports.py failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(stdout.contains("exports ok"), "{stdout}");
}

#[test]
fn html_is_escaped_print_friendly_and_links_pictures() {
    let (mut case, history) = closed_case();
    case.data.description = "<script>alert('井盖')</script>".into();
    let view = export_view(case, history, T0 + 3 * DAY);
    let html = case_html(&view, "/api/v1/cases/case1/files/");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<meta charset=\"utf-8\">"));
    assert!(html.contains("@media print"));
    assert!(!html.contains("<script>"));
    assert!(html.contains("&lt;script&gt;alert(&#39;井盖&#39;)&lt;/script&gt;"));
    assert!(html.contains("<img src=\"/api/v1/cases/case1/files/photo1\" alt=\"现场照片.png\">"));
    assert!(html.contains("<a href=\"/api/v1/cases/case1/files/ticket\">工单.pdf</a>"));
    // History in order.
    let mut at = 0;
    for op in ["上报 Report", "立案 File", "分配处理 Assign", "结案 Close"] {
        let i = html[at..]
            .find(&format!("<td>{op}</td>"))
            .unwrap_or_else(|| panic!("{op} missing or out of order"));
        at += i + 1;
    }
}
