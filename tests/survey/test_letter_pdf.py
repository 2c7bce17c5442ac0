"""Letters as PDF, read back the way a printer and a phone would: text, pages and the QR code.

The PDF is rasterised with poppler's ``pdftoppm`` and the QR code decoded with ZBar's
``zbarimg`` (independent implementations of PDF rendering and ISO/IEC 18004 decoding); the text
is extracted with ``pdftotext``. Nothing here trusts the code that wrote the PDF.
"""

from __future__ import annotations

import dataclasses
import io
import re
import subprocess
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from survey.audit import list_events
from survey.campaigns import close_campaign
from survey.errors import Conflict, InvalidInput, NotFound
from survey.frames import import_frame
from survey.invitations import create_invitations, invitation_token, revoke_invitation
from survey.letter_pdf import count_letters, letter_date, print_letters
from survey.models import Dossier, DossierContact, Invitation, PaperForm, Questionnaire
from survey.paper_forms import find_invitation_by_form_number, format_form_number
from survey.paper_questionnaire import paper_form
from survey.purge import purge_contacts
from survey.questionnaires import ANSWER_MINUTES, display_numbers
from survey.settings import Settings
from survey.short_links import (
    CROCKFORD,
    SHORT_CODE_BITS,
    format_short_code,
    make_short_code,
    normalise_short_code,
    token_for_short_code,
)
from survey.users import Scope
from tests.survey.campaign_factory import NOW, build_fieldwork
from tests.survey.national_form_fixture import typed_definition

NAME = "Nguyễn Thị Hồng Nhung"
ADDRESS = "Số 12 ngõ 34 phố Đội Cấn, phường Ngọc Hà, thành phố Hà Nội"


def pdf_text(pdf: bytes, tmp_path: Path, page: int | None = None) -> str:
    path = tmp_path / "letters.pdf"
    path.write_bytes(pdf)
    pages = ["-f", str(page), "-l", str(page)] if page else []
    out = subprocess.run(["pdftotext", *pages, str(path), "-"], check=True, capture_output=True)
    return out.stdout.decode()


def qr_codes(pdf: bytes, tmp_path: Path, page: int = 1) -> list[str]:
    path = tmp_path / "letters.pdf"
    path.write_bytes(pdf)
    prefix = tmp_path / f"page{page}"
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "200",
            "-gray",
            "-png",
            "-f",
            str(page),
            "-l",
            str(page),
            str(path),
            str(prefix),
        ],
        check=True,
    )
    (image,) = tmp_path.glob(f"page{page}*.png")
    out = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(image)],
        capture_output=True,
    )
    image.unlink()
    return [line for line in out.stdout.decode().splitlines() if line]


def build_letter_world(
    session: Session, settings: Settings, n: int = 3, now: datetime = NOW
) -> tuple[int, list[int]]:
    """``n`` phoneless dossiers with names and addresses (agencies AGA, AGB alternating), their
    campaign on the typed questionnaire, and its letter invitations (ids in order)."""
    fw = build_fieldwork(session, n=n, without_phone=tuple(range(n)), now=now)
    assert fw.campaign.id is not None
    for i, dossier_id in enumerate(fw.dossier_ids):
        session.add(
            DossierContact(
                dossier_id=dossier_id, full_name=f"{NAME} {i}", postal_address=f"{ADDRESS} {i}"
            )
        )
    questionnaire = session.get(Questionnaire, fw.campaign.questionnaire_id)
    assert questionnaire is not None
    questionnaire.definition = typed_definition()
    session.add(questionnaire)
    session.commit()
    create_invitations(session=session, settings=settings, campaign_id=fw.campaign.id, now=now)
    ids = [
        int(i or 0)
        for i in session.exec(
            select(Invitation.id)
            .where(col(Invitation.campaign_id) == fw.campaign.id)
            .order_by(col(Invitation.id))
        ).all()
    ]
    return fw.campaign.id, ids


def test_a_letter_reads_back_with_its_qr_code_leading_to_the_answer_page(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    settings = dataclasses.replace(
        settings,
        public_base_url="https://khaosat.example.vn",
        letter_agency="Sở Nội vụ tỉnh Bắc Ninh",
        letter_place="Bắc Ninh",
        letter_signer_title="Giám đốc",
        letter_signer_name="Trần Văn Đức",
    )
    campaign_id, ids = build_letter_world(session, settings)
    pdf = print_letters(
        session=session,
        settings=settings,
        campaign_id=campaign_id,
        invitation_ids=[ids[1]],
        with_form=False,
        now=NOW,
    )
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    resources: Any = reader.pages[0]["/Resources"]
    fonts = {str(font.get_object()["/BaseFont"]) for font in resources["/Font"].values()}
    assert any("DejaVu" in f for f in fonts), fonts

    text = pdf_text(pdf, tmp_path)
    flat = " ".join(text.split())
    assert f"Ông/Bà {NAME} 1" in flat and f"{ADDRESS} 1" in flat
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in flat and "Độc lập - Tự do - Hạnh phúc" in flat
    assert "SỞ NỘI VỤ TỈNH BẮC NINH" in flat or "Sở Nội vụ tỉnh Bắc Ninh" in flat
    assert letter_date(NOW.date(), "Bắc Ninh") in flat
    assert "Bắc Ninh, ngày 02 tháng 03 năm 2026" in flat
    assert "Giám đốc" in flat and "Trần Văn Đức" in flat
    assert f"khoảng {ANSWER_MINUTES} phút" in flat and "16/03/2026" in flat
    number = session.exec(
        select(PaperForm.form_number).where(col(PaperForm.invitation_id) == ids[1])
    ).one()
    assert format_form_number(number) in flat
    assert find_invitation_by_form_number(session=session, form_number=number).id == ids[1]

    (decoded,) = qr_codes(pdf, tmp_path)
    assert decoded.startswith("https://khaosat.example.vn/m/")
    code = decoded.rsplit("/", 1)[1]
    assert len(code.replace("-", "")) * 5 == SHORT_CODE_BITS >= 128
    # The printed link is the QR's link (the citizen may type either).
    assert code in flat
    invitation = session.get(Invitation, ids[1])
    assert invitation is not None
    token = token_for_short_code(session=session, settings=settings, code=code.lower())
    assert token == invitation_token(settings, invitation)
    # No other invitation's name is in this letter, and no phone is in any letter.
    assert f"{NAME} 0" not in flat and "+84" not in flat
    event = list_events(session=session, action="letters.printed").events[0]
    assert event.details["letters"] == 1 and event.details["format"] == "pdf"
    assert NAME not in str(event.details)


def test_a_batch_prints_one_letter_page_per_invitation_then_its_form(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    campaign_id, ids = build_letter_world(session, settings, n=4)
    pdf = print_letters(
        session=session, settings=settings, campaign_id=campaign_id, with_form=False
    )
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 4
    with_forms = print_letters(session=session, settings=settings, campaign_id=campaign_id)
    reader = PdfReader(io.BytesIO(with_forms))
    letter_pages = [
        i + 1
        for i in range(len(reader.pages))
        if "THƯ MỜI" in pdf_text(with_forms, tmp_path, page=i + 1)
    ]
    assert len(letter_pages) == 4
    form_pages = len(reader.pages) // 4
    assert len(reader.pages) == 4 * form_pages and form_pages >= 2
    numbers = dict(session.exec(select(PaperForm.invitation_id, PaperForm.form_number)).all())
    # Every page of a form carries that form's number as a QR code and in print.
    for k, invitation_id in enumerate(ids):
        first = letter_pages[k]
        for page in range(first + 1, first + form_pages):
            assert qr_codes(with_forms, tmp_path, page=page) == [numbers[invitation_id]]
            assert format_form_number(numbers[invitation_id]) in pdf_text(
                with_forms, tmp_path, page=page
            )
    assert count_letters(session=session, campaign_id=campaign_id, part_size=3).parts == 2
    second = print_letters(
        session=session,
        settings=settings,
        campaign_id=campaign_id,
        part=2,
        part_size=3,
        with_form=False,
    )
    assert len(PdfReader(io.BytesIO(second)).pages) == 1
    with pytest.raises(InvalidInput):
        print_letters(
            session=session, settings=settings, campaign_id=campaign_id, part=3, part_size=3
        )


def test_the_paper_form_prints_every_question_type_and_skip_instructions(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    campaign_id, _ids = build_letter_world(session, settings, n=1)
    pdf = print_letters(session=session, settings=settings, campaign_id=campaign_id)
    flat = " ".join(pdf_text(pdf, tmp_path).split())
    definition = typed_definition()
    for question in definition["questions"]:
        assert question["text"]["vi"].split()[0] in flat
        for option in question.get("options") or []:
            assert option["text"]["vi"] in flat
        for row in question.get("rows") or []:
            assert " ".join(row["text"]["vi"].split()) in flat
    for element in definition["elements"]:
        assert element["title"]["vi"] in flat
    assert "Rất không hài lòng" in flat and "Không áp dụng" in flat
    # show_if becomes "Nếu ... chuyển đến câu ..." (the elements depend on q8_procedure).
    assert re.search(
        r"Nếu ở câu \d+, dòng «[^»]+» Ông/Bà không chọn «Có», chuyển đến câu \d+", flat
    )
    assert "Có thể chọn nhiều" in flat and "Mỗi dòng chọn một" in flat


def test_letters_in_scope_only_and_none_for_revoked_or_unknown(
    session: Session, settings: Settings
) -> None:
    campaign_id, ids = build_letter_world(session, settings, n=4)
    # build_fieldwork alternates agencies AGA, AGB.
    scope = Scope(agencies=frozenset({"AGA"}), provinces=None)
    assert count_letters(session=session, campaign_id=campaign_id, scope=scope).letters == 2
    with pytest.raises(NotFound):
        print_letters(
            session=session,
            settings=settings,
            campaign_id=campaign_id,
            invitation_ids=[ids[1]],
            scope=scope,
        )
    print_letters(session=session, settings=settings, campaign_id=campaign_id, with_form=False)
    code_before = session.exec(
        select(PaperForm.short_code_hash).where(col(PaperForm.invitation_id) == ids[0])
    ).one()
    assert code_before is not None
    revoke_invitation(session=session, invitation_id=ids[0])
    with pytest.raises(NotFound):
        print_letters(
            session=session, settings=settings, campaign_id=campaign_id, invitation_ids=[ids[0]]
        )


def test_skip_instructions_send_past_every_section_on_the_same_condition() -> None:
    definition = typed_definition()
    form = paper_form(definition)
    numbers = display_numbers(definition)
    kinds = {item.kind for section in form.sections for item in section.items}
    assert kinds == {"criterion", "single", "band", "multiple", "text", "yesno_grid", "priority"}
    elements = [s for s in form.sections if s.kind == "element"]
    after_elements = form.sections[form.sections.index(elements[-1]) + 1]
    first_after = after_elements.items[0].number
    grid = numbers["q8"]
    for section in elements:
        assert section.condition == (
            f"Nếu ở câu {grid}, dòng «Giải quyết thủ tục hành chính» Ông/Bà không chọn «Có», "
            f"chuyển đến câu {first_after}."
        )
    # A conditioned question sends to the next number.
    conditioned = [i for s in form.sections for i in s.items if i.condition]
    assert conditioned and all(
        f"chuyển đến câu {i.number + 1}." in i.condition for i in conditioned
    )


def test_the_importer_reads_names_and_addresses_and_the_purge_removes_them(
    engine: Engine, session: Session, settings: Settings, tmp_path: Path
) -> None:
    header = [
        "Mã hồ sơ",
        "Mã cơ quan",
        "Tên cơ quan",
        "Mã tỉnh",
        "Cấp",
        "Kênh tiếp nhận",
        "Ngày tiếp nhận",
        "Ngày trả kết quả",
        "Số điện thoại",
        "Họ và tên",
        "Địa chỉ",
    ]
    rows = [
        [
            "HS-1",
            "AG1",
            "UBND xã A",
            "01",
            "commune",
            "direct",
            "2026-01-05",
            "2026-01-20",
            "0912345678",
            NAME,
            ADDRESS,
        ],
        # No phone, but an address: kept as a contact, to be invited by letter.
        [
            "HS-2",
            "AG1",
            "UBND xã A",
            "01",
            "commune",
            "direct",
            "2026-01-05",
            "2026-01-20",
            "",
            "Lê Văn Đạt",
            "Thôn Đông, xã Yên Phong",
        ],
        # Nothing to contact.
        [
            "HS-3",
            "AG1",
            "UBND xã A",
            "01",
            "commune",
            "direct",
            "2026-01-05",
            "2026-01-20",
            "",
            "",
            "",
        ],
    ]
    path = tmp_path / "frame.csv"
    path.write_text(
        "\n".join(",".join(f'"{v}"' for v in row) for row in [header, *rows]), encoding="utf-8"
    )
    report = import_frame(
        engine=engine, source=path, name="Khung có địa chỉ", today=date(2026, 11, 23)
    )
    assert report.frame_id is not None and report.imported == 3, report
    contacts = {
        code: (c.phone_e164, c.full_name, c.postal_address)
        for c, code in session.exec(
            select(DossierContact, Dossier.dossier_code).join(
                Dossier, col(Dossier.id) == col(DossierContact.dossier_id)
            )
        ).all()
    }
    assert contacts == {
        "HS-1": ("+84912345678", NAME, ADDRESS),
        "HS-2": (None, "Lê Văn Đạt", "Thôn Đông, xã Yên Phong"),
    }


def test_the_purge_removes_names_and_addresses_and_letters_stop(
    session: Session, settings: Settings
) -> None:
    campaign_id, _ids = build_letter_world(session, settings, n=2)
    print_letters(session=session, settings=settings, campaign_id=campaign_id, with_form=False)
    assert session.exec(select(DossierContact)).all()
    close_campaign(session=session, campaign_id=campaign_id)
    report = purge_contacts(session=session, campaign_id=campaign_id)
    assert report.contacts == 2
    assert session.exec(select(DossierContact)).all() == []
    with pytest.raises(Conflict):
        print_letters(session=session, settings=settings, campaign_id=campaign_id)


def test_short_codes_keep_130_bits_and_read_back_as_people_type_them() -> None:
    codes = {make_short_code("k" * 40, f"salt-{i}") for i in range(500)}
    assert len(codes) == 500
    assert all(len(c) == 26 and set(c) <= set(CROCKFORD) for c in codes)
    # Every character position varies (the 130 bits are spread over all 26 characters).
    assert all(len({c[i] for c in codes}) > 16 for i in range(26))
    code = sorted(codes)[0]
    printed = format_short_code(code)
    assert [len(g) for g in printed.split("-")] == [4, 4, 4, 4, 4, 3, 3]
    typed = printed.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert normalise_short_code(typed) == code
    for bad in ("", code[:25], code + "A", code[:25] + "U"):
        with pytest.raises(InvalidInput) as caught:
            normalise_short_code(bad)
        assert caught.value.problems[0].loc == ("code",)
    assert make_short_code("k" * 40, "salt-0") != make_short_code("j" * 40, "salt-0")
