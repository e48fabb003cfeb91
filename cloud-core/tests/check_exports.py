#!/usr/bin/env python3
"""Reads the case exports with python-docx and openpyxl (readers the project did not write)
and checks their content against what cloud-core/tests/case_exports.rs expects.

Usage: check_exports.py CASE.docx CASES.xlsx EXPECT.json
Prints "exports ok" and exits 0, or names the first mismatch and exits 1.
"""

import datetime
import json
import sys

try:
    import docx
    import openpyxl
except ImportError as e:  # the Rust test probes first; this is for running it by hand
    sys.exit(f"check_exports.py: {e}; run `bash tests/setup.sh`")

DATE_COLUMNS = {"期限 Deadline", "上报时间 Created", "更新时间 Updated"}
PICTURE_MAGIC = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8"}


def fail(msg):
    print(f"check_exports.py: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def all_text(doc):
    parts = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        for row in t.rows:
            for cell in row.cells:
                parts.append(cell.text)
    return "\n".join(parts)


def check_docx(path, ex):
    doc = docx.Document(path)
    title = doc.paragraphs[0]
    check(ex["number"] in title.text, f"title {title.text!r} lacks the case number")
    check(title.style.name == "Title", f"title paragraph has style {title.style.name!r}")
    text = all_text(doc)
    check(ex["description"] in text, "the Chinese description is missing")
    check(doc.core_properties.title and ex["number"] in doc.core_properties.title,
          f"core title {doc.core_properties.title!r}")

    details = {row.cells[0].text: row.cells[1].text for row in doc.tables[0].rows}
    check(details.get("案件编号 Case number") == ex["number"],
          f"details number {details.get('案件编号 Case number')!r}")
    for label, want in ex["details"].items():
        check(details.get(label) == want,
              f"details {label!r} is {details.get(label)!r}, want {want!r}")
    check(any(ex["description"] == v for v in details.values()),
          "no details cell holds exactly the description")

    history = [t for t in doc.tables if t.rows[0].cells[0].text == "时间 Time"]
    check(len(history) == 1, f"{len(history)} history tables")
    rows = history[0].rows[1:]
    ops = [r.cells[2].text for r in rows]
    check(ops == ex["ops"], f"history operations {ops}, want {ex['ops']}")
    check(rows[0].cells[0].text == ex["first_time"],
          f"first history time {rows[0].cells[0].text!r}, want {ex['first_time']!r}")
    check(all(len(r.cells) == 5 for r in rows), "a history row lacks a column")

    shapes = list(doc.inline_shapes)
    check(len(shapes) == ex["pictures"], f"{len(shapes)} inline pictures, want {ex['pictures']}")
    types = []
    for s in shapes:
        rid = s._inline.graphic.graphicData.pic.blipFill.blip.embed
        part = doc.part.related_parts[rid]
        types.append(part.content_type)
        magic = PICTURE_MAGIC.get(part.content_type)
        check(magic is not None and part.blob.startswith(magic),
              f"picture part {part.partname} ({part.content_type}) does not hold such an image")
        check(s.width > 0 and s.height > 0, "a picture has no size")
        # Scaled to the text width of an A4 page with 2.54 cm margins (15.92 cm), unless
        # that would make it taller than 60% of the text height (14.77 cm).
        check(abs(s.width.cm - 15.92) < 0.05 or abs(s.height.cm - 14.77) < 0.05,
              f"picture {s.width.cm:.2f} × {s.height.cm:.2f} cm is not scaled to the page")
    check(types == ex["picture_types"], f"picture types {types}, want {ex['picture_types']}")
    for name in ex["skipped"]:
        line = [p.text for p in doc.paragraphs if name in p.text]
        check(line and "未嵌入" in line[0], f"no line names the skipped file {name!r}")


def check_xlsx(path, ex):
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    headers = [c.value for c in ws[1]]
    check(headers == ex["xlsx_headers"], f"header row {headers}")
    check(ws.freeze_panes == "A2", f"freeze panes at {ws.freeze_panes!r}, want 'A2'")
    last_col = openpyxl.utils.get_column_letter(len(headers))
    want_ref = f"A1:{last_col}{1 + len(ex['xlsx_rows'])}"
    check(ws.auto_filter.ref == want_ref, f"autofilter {ws.auto_filter.ref!r}, want {want_ref!r}")
    check(ws.max_row == 1 + len(ex["xlsx_rows"]), f"{ws.max_row - 1} data rows")
    for col in range(1, len(headers) + 1):
        width = ws.column_dimensions[openpyxl.utils.get_column_letter(col)].width
        check(width and width >= 10, f"column {col} width {width!r}")

    saw_date = False
    for i, want in enumerate(ex["xlsx_rows"]):
        values = {h: c.value for h, c in zip(headers, ws[i + 2])}
        for key, v in want.items():
            got = values.get(key)
            if v is None:
                check(got is None, f"row {i + 1} {key!r} is {got!r}, want empty")
            elif key in DATE_COLUMNS:
                check(isinstance(got, datetime.datetime),
                      f"row {i + 1} {key!r} is {type(got).__name__} {got!r}, want a datetime")
                check(got.strftime("%Y-%m-%d %H:%M") == v, f"row {i + 1} {key!r} is {got}, want {v}")
                saw_date = True
            else:
                check(got == v, f"row {i + 1} {key!r} is {got!r}, want {v!r}")
    check(saw_date, "no date cell was checked")


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    docx_path, xlsx_path, expect_path = sys.argv[1:]
    with open(expect_path, encoding="utf-8") as f:
        ex = json.load(f)
    check_docx(docx_path, ex)
    check_xlsx(xlsx_path, ex)
    print("exports ok")


if __name__ == "__main__":
    main()
