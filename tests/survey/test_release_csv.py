"""The release CSV for people (survey.release_csv): same rows and values as the machine CSV,
headers in Vietnamese or English, names beside the codes; the dictionary describes both."""

from __future__ import annotations

import csv
import io

from sqlalchemy import update
from sqlmodel import Session, col

from survey.models import Dossier
from survey.release_csv import named_release_csv
from survey.release_documents.dictionary import (
    COLUMNS,
    NAME_COLUMNS,
    csv_dictionary,
    dictionary_csv,
    named_csv_columns,
)
from survey.release_documents.source import load_document_source
from survey.releases import CSV_COLUMNS, compute_release, release_csv
from tests.survey.release_fixtures import build_release_campaign

CHANNELS = {
    "vi": {"direct": "Trực tiếp", "online": "Trực tuyến"},
    "en": {"direct": "In person", "online": "Online"},
}


def _table(text: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]


def test_named_csv_keeps_the_values_and_adds_names_beside_the_codes(session: Session) -> None:
    spec = {"A": ("AG-A", "24", 400, 60, 45), "B": ("AG-B", "27", 300, 50, 40)}
    rc = build_release_campaign(session, strata_spec=spec)
    session.execute(
        update(Dossier).where(col(Dossier.agency_code) == "AG-A").values(agency_name="Sở Tư pháp")
    )
    session.commit()
    release = compute_release(
        session=session,
        campaign_id=rc.campaign_id,
        name="Theo cơ quan và kênh",
        by=("agency_code", "channel"),
        min_respondents=5,
    )
    assert release.id is not None
    machine_header, machine_rows = _table(release_csv(release))
    assert machine_header == list(CSV_COLUMNS)  # the machine keys do not move

    source = load_document_source(session=session, release_id=release.id)
    for lang in ("vi", "en"):
        header, rows = _table(named_release_csv(source, lang=lang, channel_names=CHANNELS[lang]))
        columns = named_csv_columns(("agency_code", "channel"))
        label = "label_vi" if lang == "vi" else "label_en"
        assert header == [getattr(COLUMNS[c], label) for c in columns]
        assert len(set(header)) == len(header)
        assert len(rows) == len(machine_rows)
        records = [dict(zip(columns, r, strict=True)) for r in rows]
        # Every machine value is there, in the same row, beside the names.
        for record, machine in zip(records, machine_rows, strict=True):
            assert [record[c] for c in CSV_COLUMNS] == machine
        by_key = {(r["agency_code"], r["channel"], r["node"]): r for r in records}
        a_online = by_key[("AG-A", "online", "overall")]
        assert a_online["agency_name"] == "Sở Tư pháp"
        assert a_online["channel_name"] == CHANNELS[lang]["online"]
        assert a_online["province_name"] == "" and a_online["province_code"] == ""
        # An agency the frame does not name keeps its code as its name.
        assert by_key[("AG-B", "direct", "overall")]["agency_name"] == "AG-B"
        overall = by_key[("", "", "overall")]
        assert overall["node_name"] == (
            "Chỉ số hài lòng chung" if lang == "vi" else "Overall satisfaction index"
        )
        criteria = [r for r in records if r["level_of_node"] == "criterion"]
        assert criteria and all(r["node_name"] and r["node_name"] != r["node"] for r in criteria)
    vi_header, _ = _table(named_release_csv(source, lang="vi", channel_names=CHANNELS["vi"]))
    assert vi_header[:3] == ["Mã cơ quan", "Tên cơ quan", "Mã tỉnh"]


def test_named_csv_names_provinces_by_their_2025_name(session: Session) -> None:
    spec = {"A": ("AG-A", "24", 400, 60, 45), "B": ("AG-B", "79", 300, 50, 40)}
    rc = build_release_campaign(session, strata_spec=spec)
    release = compute_release(
        session=session,
        campaign_id=rc.campaign_id,
        name="Theo tỉnh",
        by=("province_code",),
        min_respondents=5,
    )
    assert release.id is not None
    source = load_document_source(session=session, release_id=release.id)
    header, rows = _table(named_release_csv(source, lang="en", channel_names=CHANNELS["en"]))
    assert header[2:4] == ["Province code", "Province (name since 1 July 2025)"]
    names = {r[2]: r[3] for r in rows if r[2]}
    assert names == {"24": "Bắc Ninh", "79": "Hồ Chí Minh"}


def test_the_dictionary_describes_both_forms() -> None:
    rows = list(csv.DictReader(io.StringIO(dictionary_csv())))
    names = [r["name"] for r in rows]
    assert names == [*CSV_COLUMNS, *(c.name for _, c in NAME_COLUMNS)]
    for r in rows[len(CSV_COLUMNS) :]:
        assert r["description"].startswith("release.csv?lang=vi|en only")
        assert r["label_vi"] and r["label_en"] and r["type"] == "string"
    named = [c.name for c in csv_dictionary(named=True)]
    assert named.index("agency_name") == named.index("agency_code") + 1
    assert named.index("node_name") == named.index("node") + 1
    assert [c.name for c in csv_dictionary()] == list(CSV_COLUMNS)
