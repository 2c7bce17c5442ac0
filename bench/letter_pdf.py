"""Benchmark: laying out letters (and their paper forms) as PDF, per letter and per part.

Runs :func:`survey.letter_pdf.compose_letters_pdf` for ``n`` synthetic letters (no database:
names, addresses, codes are made up) on the built-in SIPAS questionnaire (WeasyPrint lays out
the letters, the form once and the stamps; pypdf copies the form after each letter) and prints
seconds, pages and bytes, with and without the paper form. A campaign prints in parts of
``PART_SIZE`` letters, so the time of one part is what a coordinator waits for; the machine's
load is printed beside it.

Usage::

    .venv/bin/python bench/letter_pdf.py                 # 10 and 50 letters
    .venv/bin/python bench/letter_pdf.py --sizes 200


No baseline: ``../shared/baselines/`` has none for laying out PDFs, and the issue (11) sets no
ratio, only that batches print for thousands; the figure is the absolute time of one part, not a
ratio against a plain implementation.
"""

from __future__ import annotations

import argparse
import io
import os
import time
from datetime import date

from pypdf import PdfReader

from survey.letter_pdf import LetterHeader, PrintedLetter, compose_letters_pdf
from survey.models import Campaign, Questionnaire
from survey.paper_forms import new_form_number
from survey.questionnaires import builtin_definition
from survey.settings import Settings
from survey.short_links import make_short_code, short_link


def _letters(n: int, settings: Settings) -> list[PrintedLetter]:
    letters = []
    for i in range(n):
        code = make_short_code(settings.secret_key, f"salt-{i}")
        letters.append(
            PrintedLetter(
                invitation_id=i + 1,
                form_number=new_form_number(),
                short_code=code,
                link=short_link(settings, code),
                full_name=f"Nguyễn Thị Hồng Nhung {i}",
                postal_address=f"Số {i} ngõ 34 phố Đội Cấn, phường Ngọc Hà, thành phố Hà Nội",
                agency="UBND phường Ngọc Hà",
                procedure="Hộ tịch",
            )
        )
    return letters


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50])
    args = parser.parse_args()
    settings = Settings()
    campaign = Campaign(name="Đợt 2026", draw_id=1, questionnaire_id=1)  # type: ignore[call-arg]
    questionnaire = Questionnaire(
        code="sipas-service", version=1, title_vi="Phiếu", definition=builtin_definition()
    )
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    for n in args.sizes:
        letters = _letters(n, settings)
        for form in (None, questionnaire):
            started = time.perf_counter()
            pdf = compose_letters_pdf(
                campaign=campaign,
                questionnaire=form,
                letters=letters,
                header=LetterHeader.from_settings(settings),
                deadline="16/03/2026",
                today=date(2026, 3, 2),
            )
            seconds = time.perf_counter() - started
            pages = len(PdfReader(io.BytesIO(pdf)).pages)
            what = "letters + forms" if form else "letters only   "
            print(
                f"{n:5d} {what}: {seconds:6.2f} s ({seconds / n * 1000:6.0f} ms a letter), "
                f"{pages} pages, {len(pdf) / 1e6:.2f} MB"
            )


if __name__ == "__main__":
    main()
