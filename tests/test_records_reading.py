"""Reading and checking council records without a store: formats, dates, rejections, aggregates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from records import reading
from records.errors import UploadInvalid
from records.gazetteer import Gazetteer
from records.ingest import read_records
from records.report import rejected_csv
from records.safety import redact_postcode, safe_cell

TODAY = dt.date(2025, 12, 1)
GAZ = Gazetteer.build(
    [("QA10AA", "E00000001", False), ("QA10AB", "E00000002", False), ("QA10AD", "E00000001", True)],
    [("E00000001", "oa"), ("E00000002", "oa"), ("E01000001", "lsoa"), ("E05000001", "ward")],
    [13, 280],
)


def read(tmp_path: Path, text: str | bytes, **kwargs: object):  # type: ignore[no-untyped-def]
    path = tmp_path / "upload"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return read_records(path, GAZ, max_rows=kwargs.pop("max_rows", 1000), today=TODAY, **kwargs)  # type: ignore[arg-type]


def cells(result) -> dict[tuple, int]:  # type: ignore[no-untyped-def]
    t = result.aggregates.to_pylist()
    return {
        (
            r["level"],
            r["area_code"],
            r["service_code"],
            r["channel"],
            str(r["month"]),
            r["interaction_id"],
        ): r["contacts"]
        for r in t
    }


@pytest.mark.parametrize(
    ("line", "delimiter"), [("a,b,c", ","), ("a;b;c", ";"), ("a\tb\tc", "\t"), ('"a;b",c', ",")]
)
def test_the_delimiter_is_sniffed_from_the_header(line: str, delimiter: str) -> None:
    assert reading.sniff_delimiter(line) == delimiter


def test_dates_in_every_accepted_form_fall_in_their_month(tmp_path: Path) -> None:
    dates = ["2025-03-04", "04/03/2025", "4/3/2025 10:00", "2025-03-31T23:59:59", "20250301", "1.3.2025"]
    text = "postcode,service,channel,date\n" + "".join(f"qa1 0aa,13,Web,{d}\n" for d in dates)
    result = read(tmp_path, text)
    assert result.report.rows_matched == 6
    assert cells(result) == {("oa", "E00000001", 13, "web", "2025-03-01", -1): 6}
    assert (result.report.date_from, result.report.date_to) == (dt.date(2025, 3, 1), dt.date(2025, 3, 31))


def test_rejections_are_counted_listed_and_named(tmp_path: Path) -> None:
    text = (
        "Postcode;LGSL;Channel;Date;Count;Interaction\n"
        "QA1 0AA;13;telephone;2025-01-02;2;4\n"  # row 2: fine
        "QA1 0AD;280;web;2025-01-03;1;\n"  # row 3: terminated, still matched
        ";13;web;2025-01-03;1;\n"  # row 4: no postcode
        "NOT A PC;13;web;2025-01-03;1;\n"  # row 5
        "QA9 9ZZ;13;web;2025-01-03;1;\n"  # row 6: not in the lookup
        "QA1 0AA;999;web;2025-01-03;1;\n"  # row 7: unknown service
        "QA1 0AA;13;carrier pigeon;2025-01-03;1;\n"  # row 8: unknown channel
        "QA1 0AA;13;web;2025-12-25;1;\n"  # row 9: future
        "QA1 0AA;13;web;30/02/2025;1;\n"  # row 10: no such day
        "QA1 0AA;13;web;2025-01-03;0;\n"  # row 11: bad count
        "QA1 0AA;13;web;2025-01-03;1;x\n"  # row 12: bad interaction
        ";;;;;\n"  # blank: skipped
    )
    result = read(tmp_path, text)
    report = result.report
    assert (report.rows_read, report.rows_matched, report.rows_rejected, report.rows_blank) == (11, 2, 9, 1)
    assert report.terminated_postcodes == 1 and report.contacts == 3
    listed = [(r.row, r.field) for r in report.listed]
    assert listed == [
        (4, "postcode"),
        (5, "postcode"),
        (6, "postcode"),
        (7, "service"),
        (8, "channel"),
        (9, "date"),
        (10, "date"),
        (11, "count"),
        (12, "interaction"),
    ]
    as_dict = report.as_dict()
    assert as_dict["unknown_services"] == [{"code": "999", "rows": 1}]
    assert as_dict["unknown_channels"] == [{"code": "carrier pigeon", "rows": 1}]
    assert cells(result) == {
        ("oa", "E00000001", 13, "telephone", "2025-01-01", 4): 2,
        ("oa", "E00000001", 280, "web", "2025-01-01", -1): 1,
    }


def test_area_codes_at_each_level_and_codes_of_the_wrong_kind(tmp_path: Path) -> None:
    text = "area,service,channel,date\nE00000001,13,web,2025-02-01\ne01000001,13,web,2025-02-01\nE05000001,13,web,2025-02-01\nE08000009,13,web,2025-02-01\nE01000009,13,web,2025-02-01\n"
    result = read(tmp_path, text, mapping={"area": "area"})
    assert result.report.by_level == {"oa": 1, "lsoa": 1, "ward": 1}
    reasons = {(r.row, r.reason) for r in result.report.listed}
    assert reasons == {(5, "not an OA, LSOA or ward GSS code"), (6, "unknown area code")}


def test_batches_add_up_and_the_row_limit_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "CSV_BLOCK_BYTES", 4096)  # many small batches
    rows = [
        f"QA1 0A{'AB'[i % 2]},13,{['web', 'phone'][i % 3 == 0]},2025-0{1 + i % 3}-05\n" for i in range(3000)
    ]
    result = read(tmp_path, "postcode,service,channel,date\n" + "".join(rows), max_rows=5000)
    assert result.report.rows_matched == 3000
    assert sum(cells(result).values()) == 3000
    expected: dict[tuple, int] = {}
    for i in range(3000):
        key = (
            "oa",
            f"E0000000{1 + i % 2}",
            13,
            "telephone" if i % 3 == 0 else "web",
            f"2025-0{1 + i % 3}-01",
            -1,
        )
        expected[key] = expected.get(key, 0) + 1
    assert cells(result) == expected
    with pytest.raises(UploadInvalid, match="INSIGHT_UPLOAD_MAX_ROWS"):
        read(tmp_path, "postcode,service,channel,date\n" + "".join(rows), max_rows=1000)


def test_ragged_lines_are_rejected_not_fatal(tmp_path: Path) -> None:
    text = "postcode,service,channel,date\nQA1 0AA,13,web,2025-01-01\nQA1 0AA,13\nQA1 0AA,13,web,2025-01-01,extra\n"
    report = read(tmp_path, text).report
    assert (report.rows_read, report.rows_matched, report.rows_rejected) == (3, 1, 2)
    assert all(r.field == "row" for r in report.listed)


def test_a_bom_and_the_synthetic_mark(tmp_path: Path) -> None:
    text = "\ufeffpostcode,service,channel,date,synthetic\nQA1 0AA,13,web,2025-01-01,synthetic\n"
    result = read(tmp_path, text)
    assert result.report.columns["postcode"] == "postcode" and result.synthetic
    assert not read(tmp_path, text.replace(",synthetic\n", ",\n")).synthetic


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty"),
        (b"\xff\xfep\x00o\x00", "UTF-16"),
        (b"%PDF-1.7 ...", "PDF"),
        (b"postcode,service,channel,date\nCaf\xe9,13,web,2025-01-01\n", "not UTF-8"),
        (b"postcode,service,channel,date\n", "no data rows"),
        (b"who,what\nx,y\n", "Columns found: who, what"),
        (b"PK\x03\x04not really a zip", "not a readable XLSX"),
    ],
)
def test_unreadable_files_are_named(tmp_path: Path, content: bytes, words: str) -> None:
    with pytest.raises(UploadInvalid, match=words):
        read(tmp_path, content)


def test_a_formula_header_is_not_echoed_as_a_formula(tmp_path: Path) -> None:
    with pytest.raises(UploadInvalid) as caught:
        read(tmp_path, b"=cmd|' /C calc'!A0,b\n1,2\n")
    assert "'=cmd" in caught.value.message and " =cmd" not in caught.value.message


def test_xlsx_cells_are_read_as_a_csv_export_would_hold_them(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Postcode", "LGSL", "Channel", "Date", "Count"])
    sheet.append(["QA1 0AB", 280, "Telephone", dt.datetime(2025, 4, 30, 17, 0), 3.0])
    sheet.append([None, None, None, None, None])
    sheet.append(["QA1 0AB", 280.0, "E-mail", dt.date(2025, 5, 1), 1])
    path = tmp_path / "book.xlsx"
    book.save(path)
    result = read_records(path, GAZ, max_rows=10, today=TODAY)
    assert result.report.kind == "xlsx" and result.report.rows_blank == 1
    assert cells(result) == {
        ("oa", "E00000002", 280, "telephone", "2025-04-01", -1): 3,
        ("oa", "E00000002", 280, "e-mail", "2025-05-01", -1): 1,
    }


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("M1 1AE", "M1 1AE"),
        ("x" * 60, "x" * 39 + "…"),
    ],
)
def test_cells_are_echoed_safely(value: str, shown: str) -> None:
    assert safe_cell(value) == shown


def test_the_rejected_csv_never_starts_a_cell_with_a_formula() -> None:
    report = {"rejected_rows": [{"row": 2, "field": "service", "reason": "unknown", "value": "=1+2"}]}
    text = rejected_csv(report)
    assert text.splitlines() == ["row,field,reason,value", "2,service,unknown,'=1+2"]


@pytest.mark.parametrize(
    ("value", "shown"),
    [("M1 1AE", "M1 ***"), ("sw1a2aa", "SW1A ***"), ("John Smith", "(not shown: 10 characters)"), ("", "")],
)
def test_rejected_postcodes_keep_their_outward_code_only(value: str, shown: str) -> None:
    assert redact_postcode(value) == shown
