"""Bounded input: upload size limit (413), safe upload names, bounded ids/offsets/strings (422,
never 500), the one published error schema, and datetimes that always carry an offset."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import io
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, select

from api.app import create_app
from api.cli import frame as frame_cli
from api.deps import SessionDep
from api.upload_limit import upload_display_name
from survey.models import Frame
from survey.settings import Settings
from tests.api.fast_users import bearer
from tests.survey.design_frames import frame_rows, write_csv

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1


@pytest.fixture
def client(settings: Settings, session: Session) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def small_limit_app(settings: Settings) -> FastAPI:
    # 20 kB: the frame files below are larger, the forms and JSON bodies smaller.
    return create_app(dataclasses.replace(settings, max_upload_mb=0.02))


def csv_upload(tmp_path: Path, n: int) -> bytes:
    rows = frame_rows({("A", "01"): n})
    return write_csv(tmp_path / "upload.csv", rows).read_bytes()


def assert_problem_shape(body: Any) -> list[dict[str, Any]]:
    """The one published error shape: {"detail": [{"loc": [...], "msg": str, "type": str}]}."""
    assert set(body) == {"detail"}, body
    assert body["detail"], body
    for problem in body["detail"]:
        assert set(problem) == {"loc", "msg", "type"}, problem
        assert isinstance(problem["loc"], list)
        assert all(isinstance(part, str | int) for part in problem["loc"])
        assert isinstance(problem["msg"], str) and problem["msg"]
        assert isinstance(problem["type"], str) and problem["type"]
    return list(body["detail"])


# ----------------------------------------------------------------------------- upload limit


def test_an_upload_over_the_limit_is_a_413_before_it_is_read(
    settings: Settings, session: Session, tmp_path: Path
) -> None:
    headers = bearer(session, "coordinator")
    content = csv_upload(tmp_path, 400)
    assert len(content) > 20_000
    with TestClient(small_limit_app(settings)) as client:
        response = client.post(
            "/api/frames",
            headers=headers,
            files={"file": ("big.csv", content, "text/csv")},
            data={"name": "too big"},
        )
        assert response.status_code == 413, response.text
        [problem] = assert_problem_shape(response.json())
        assert problem["type"] == "request_too_large" and problem["loc"] == ["body"]
        assert "20 kB" not in problem["msg"] and "20,000 bytes" in problem["msg"]
        assert "SIPAS_MAX_UPLOAD_MB" in problem["msg"]
        # A file under the limit still goes through.
        small = client.post(
            "/api/frames",
            headers=headers,
            files={"file": ("small.csv", csv_upload(tmp_path, 5), "text/csv")},
            data={"name": "small"},
        )
        assert small.status_code == 201, small.text
    assert session.exec(select(Frame.name)).all() == ["small"]


def _run_asgi(app: FastAPI, path: str, chunks: list[bytes]) -> tuple[int, bytes, int]:
    """Send a chunked body (no Content-Length) straight to the ASGI app; return the status, the
    body and how many chunks the app pulled."""
    pulled = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        if pulled < len(chunks):
            pulled += 1
            return {
                "type": "http.request",
                "body": chunks[pulled - 1],
                "more_body": pulled < len(chunks),
            }
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"host", b"testserver")],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
        "state": {},
    }
    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], body, pulled


def test_a_chunked_body_is_counted_as_it_streams_and_cut_at_the_limit(settings: Settings) -> None:
    app = create_app(settings)
    # 4 MB is the bound of every body but a frame upload; send 64 chunks of 128 kB (8 MB).
    chunks = [b" " * (128 << 10)] * 64
    status, body, pulled = _run_asgi(app, "/api/questionnaires", chunks)
    assert status == 413
    assert b"request_too_large" in body
    # The app stopped pulling right after the limit: 33 chunks hold the first byte past 4 MiB.
    assert pulled == 33, pulled


def test_the_staff_upload_page_answers_413_with_the_form_in_the_readers_language(
    settings: Settings, session: Session, tmp_path: Path
) -> None:
    content = csv_upload(tmp_path, 400)
    with TestClient(small_limit_app(settings)) as client:
        for lang, words in [("vi", "Tệp lớn hơn giới hạn tải lên"), ("en", "larger than the")]:
            response = client.post(
                f"/staff/frames/upload?lang={lang}",
                files={"file": ("big.csv", content, "text/csv")},
                data={"name": "x", "csrf": "x"},
            )
            assert response.status_code == 413
            assert response.headers["content-type"].startswith("text/html")
            assert words in response.text
            assert 'id="f-file"' in response.text  # the form again, error beside the file field
            assert "SIPAS_MAX_UPLOAD_MB" in response.text


def test_a_json_body_over_four_megabytes_is_a_413(client: TestClient, session: Session) -> None:
    headers = bearer(session, "coordinator")
    huge = b'{"code": "' + b"x" * (5 << 20) + b'"}'
    response = client.post(
        "/api/questionnaires",
        headers={**headers, "content-type": "application/json"},
        content=huge,
    )
    assert response.status_code == 413
    assert_problem_shape(response.json())


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("..", "frame.csv"),
        (".", "frame.csv"),
        ("/", "frame.csv"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("C:\\Users\\cq\\Danh sách.csv", "Danh sách.csv"),
        ("a\x00b.csv", "ab.csv"),
        ("tab\tand\nnewline.csv", "tabandnewline.csv"),
    ],
)
def test_upload_names_are_cleaned_for_messages_and_never_paths(sent: str, shown: str) -> None:
    assert upload_display_name(sent) == shown


HOSTILE_NAMES = ["..", "../x.csv", "/", "a\x00b.csv", "..\\..\\x.csv", "x" * 300 + ".csv"]


def test_hostile_upload_names_give_no_500(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    headers = bearer(session, "coordinator")
    content = csv_upload(tmp_path, 3)
    for filename in HOSTILE_NAMES:
        response = client.post(
            "/api/frames",
            headers=headers,
            files={"file": (filename, content, "text/csv")},
            data={"name": "names"},
        )
        assert response.status_code in (201, 422), (filename, response.text)
        if response.status_code == 201:
            stored = response.json()["source_filename"]
            assert "/" not in stored and "\\" not in stored and "\x00" not in stored
            assert len(stored) <= 255
        else:
            assert_problem_shape(response.json())
    # ".." is no .csv file: refused by name; "../x.csv" is kept as "x.csv".
    names = session.exec(select(Frame.source_filename)).all()
    assert "x.csv" in names and ".." not in names


# ----------------------------------------------------------------------------- hostile XLSX


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            block = b" " * (1 << 20)
            for _ in range(64):
                member.write(block)
    return buffer.getvalue()


def test_a_zip_bomb_upload_is_a_422_naming_the_file(client: TestClient, session: Session) -> None:
    headers = bearer(session, "coordinator")
    response = client.post(
        "/api/frames",
        headers=headers,
        files={"file": ("Quý 3.xlsx", _zip_bomb(), "application/octet-stream")},
        data={"name": "bomb"},
    )
    assert response.status_code == 422, response.text
    [problem] = assert_problem_shape(response.json())
    assert problem["loc"] == ["file"] and problem["type"] == "invalid_input"
    assert problem["msg"].startswith("Quý 3.xlsx ") and "zip bomb" in problem["msg"]
    assert "sipas-upload" not in problem["msg"]  # the server's temporary path stays hidden


def test_a_truncated_xlsx_upload_is_a_422_naming_the_file(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["dossier_code", "agency_code"])
    path = tmp_path / "good.xlsx"
    workbook.save(path)
    data = path.read_bytes()
    headers = bearer(session, "coordinator")
    response = client.post(
        "/api/frames",
        headers=headers,
        files={"file": ("cut.xlsx", data[: len(data) // 2], "application/octet-stream")},
        data={"name": "cut"},
    )
    assert response.status_code == 422, response.text
    [problem] = assert_problem_shape(response.json())
    assert problem["msg"].startswith("cut.xlsx is damaged, truncated or not a workbook")


def test_the_cli_reports_a_hostile_workbook_without_a_traceback(
    settings: Settings,
    engine: object,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SIPAS_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SIPAS_SECRET_KEY", "a-test-secret-of-forty-distinct-characters-0123456789")
    bomb = tmp_path / "bomb.xlsx"
    bomb.write_bytes(_zip_bomb())
    root = argparse.ArgumentParser(prog="sipas")
    frame_cli.register(root.add_subparsers())
    args = root.parse_args(["frame", "import", str(bomb), "--name", "bomb", "--quiet"])
    code = args.handler(args)
    _, err = capsys.readouterr()
    assert code == 2
    assert "bomb.xlsx" in err and "zip bomb" in err
    assert "Traceback" not in err


# ----------------------------------------------------------------------------- bounded parameters


OUT_OF_RANGE = [
    "/api/frames/0",
    f"/api/frames/{INT32_MAX + 1}",  # an INTEGER key on PostgreSQL
    f"/api/frames/{INT64_MAX + 1}",
    f"/api/frames/{10**30}",
    f"/api/designs/{INT32_MAX + 1}",
    f"/api/draws/{INT64_MAX + 1}",
    f"/api/draws/{INT32_MAX + 1}/sample.csv",
    f"/api/campaigns/{INT64_MAX + 1}",
    f"/api/campaigns/{INT32_MAX + 1}/dispositions",
    f"/api/questionnaires/{INT64_MAX + 1}",
    f"/api/releases/{INT64_MAX + 1}",
    f"/api/designs?frame_id={INT64_MAX + 1}",
    f"/api/draws?design_id={INT32_MAX + 1}",
    f"/api/releases?campaign_id={INT64_MAX + 1}",
    f"/api/frames/1/dossiers?offset={INT64_MAX + 1}",
    "/api/frames/1/dossiers?offset=-1",
    "/api/frames/1/dossiers?limit=0",
    "/api/frames/1/dossiers?limit=1001",
    f"/api/frames/1/problems?offset={INT64_MAX + 1}",
    "/api/campaigns/1/dispositions?by=" + "x" * 200,
    "/api/campaigns/1/letters?channel=fax",
    "/api/campaigns/1/exports/dispositions.csv?by=nothing",
    "/api/campaigns/1/exports/responses.pdf",
    "/api/designs/1/preview?domains=" + "x" * 100,
]


def test_out_of_range_parameters_are_422(client: TestClient, session: Session) -> None:
    headers = bearer(session, "admin")
    answers = {path: client.get(path, headers=headers) for path in OUT_OF_RANGE}
    wrong = {path: r.status_code for path, r in answers.items() if r.status_code != 422}
    assert wrong == {}
    for response in answers.values():
        assert_problem_shape(response.json())


def test_ids_at_the_top_of_their_range_are_a_clean_404(
    client: TestClient, session: Session
) -> None:
    headers = bearer(session, "admin")
    for path in [f"/api/frames/{INT32_MAX}", f"/api/campaigns/{INT32_MAX}"]:
        response = client.get(path, headers=headers)
        assert response.status_code == 404, (path, response.text)
        [problem] = assert_problem_shape(response.json())
        assert problem["type"] == "not_found"
    listed = client.get(f"/api/frames/1/dossiers?offset={INT64_MAX}", headers=headers)
    assert listed.status_code in (200, 404), listed.text


def test_a_101_character_token_name_is_422_not_a_database_error(
    client: TestClient, session: Session
) -> None:
    response = client.post(
        "/api/auth/token",
        json={"username": "nobody", "password": "whatever it is", "token_name": "t" * 101},
    )
    assert response.status_code == 422, response.text
    [problem] = assert_problem_shape(response.json())
    assert problem["loc"] == ["body", "token_name"] and problem["type"] == "string_too_long"


CAMPAIGN_CHANGES: list[dict[str, Any]] = [
    {"draw_id": INT32_MAX + 1},
    {"questionnaire_id": INT64_MAX + 1},
    {"name": "n" * 201},
    {"sms_template": "s" * 1001},
    {"reminder_days": [2**70]},
]


def test_campaign_body_fields_are_bounded(client: TestClient, session: Session) -> None:
    headers = bearer(session, "coordinator")
    body = {
        "name": "c",
        "draw_id": 1,
        "questionnaire_id": 1,
        "field_start": "2026-03-01T00:00:00+07:00",
        "field_end": "2026-03-20T00:00:00+07:00",
    }
    for change in CAMPAIGN_CHANGES:
        response = client.post("/api/campaigns", headers=headers, json={**body, **change})
        assert response.status_code == 422, (change, response.text)
        [problem] = assert_problem_shape(response.json())
        assert problem["loc"][:2] == ["body", next(iter(change))]


def test_a_value_the_database_refuses_is_a_422_not_a_500(settings: Settings) -> None:
    """The catch-all behind the bounds: a route that sends an out-of-range value anyway gets
    the database's refusal (OverflowError on SQLite, DataError on PostgreSQL) as a 422."""
    app = create_app(settings)

    def overflowing(session: SessionDep) -> dict[str, int]:
        value = session.execute(text("SELECT CAST(:v AS SMALLINT)"), {"v": 2**70}).scalar_one()
        return {"value": int(value)}

    app.add_api_route("/api/test-overflow", overflowing)
    with TestClient(app, raise_server_exceptions=True) as client:
        response = client.get("/api/test-overflow")
    assert response.status_code == 422, response.text
    [problem] = assert_problem_shape(response.json())
    assert problem["type"] == "out_of_range"


# ----------------------------------------------------------------------------- error schema


def test_every_error_has_loc_msg_and_type(client: TestClient, session: Session) -> None:
    unauthenticated = client.get("/api/frames")
    assert unauthenticated.status_code == 401
    assert assert_problem_shape(unauthenticated.json())[0]["type"] == "not_authenticated"
    headers = bearer(session, "analyst")
    forbidden = client.post("/api/questionnaires/1/publish", headers=headers)
    assert forbidden.status_code == 403
    assert assert_problem_shape(forbidden.json())[0]["type"] == "permission_denied"
    invalid = client.get("/api/frames/abc", headers=headers)
    assert invalid.status_code == 422
    [problem] = assert_problem_shape(invalid.json())
    assert problem == {
        "loc": ["path", "frame_id"],
        "msg": problem["msg"],
        "type": "int_parsing",
    }
    unknown = client.get("/api/no-such-thing", headers=headers)
    assert unknown.status_code == 404
    assert assert_problem_shape(unknown.json())[0]["type"] == "http_404"
    unparsable = client.post(
        "/api/frames",
        headers={**headers, "content-type": "multipart/form-data; boundary=x"},
        content=b"--x\r\nnot a part",
    )
    assert unparsable.status_code in (400, 403, 422)
    assert_problem_shape(unparsable.json())


def test_the_openapi_document_publishes_the_one_error_schema(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert schemas["ErrorResponse"]["required"] == ["detail"]
    assert set(schemas["ProblemDetail"]["required"]) == {"loc", "msg", "type"}
    operations = [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]
    assert len(operations) > 30
    for path, method, operation in operations:
        for status in ("400", "401", "403", "404", "409", "413", "422", "429"):
            content = operation["responses"][status]["content"]["application/json"]
            assert content["schema"] == {"$ref": "#/components/schemas/ErrorResponse"}, (
                path,
                method,
                status,
            )


# ----------------------------------------------------------------------------- datetimes


def test_datetimes_always_carry_an_offset(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    headers = bearer(session, "coordinator")
    created = client.post(
        "/api/frames",
        headers=headers,
        files={"file": ("f.csv", csv_upload(tmp_path, 3), "text/csv")},
        data={"name": "dated"},
    )
    assert created.status_code == 201, created.text
    [listed] = client.get("/api/frames", headers=headers).json()
    moment = datetime.fromisoformat(listed["created_at"])
    assert moment.utcoffset() is not None and moment.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    # Straight from the database too (SQLite stores no offset: the column type restores it).
    session.expire_all()
    frame = session.exec(select(Frame)).one()
    assert frame.created_at.tzinfo is not None
    assert abs((frame.created_at - moment).total_seconds()) < 1
