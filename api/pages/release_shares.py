"""A release's judgement and expectation shares as its pages show them (the staff release page,
the public site, the analyst dashboard): one section per published question, in the page's
language with the wording in the other language beside it, from the stored rows
(:func:`survey.release_documents.shares.share_sections`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.formatting import PERCENT_SUFFIX, number
from api.i18n import SHARES_TEXT
from survey.models import IndexRelease
from survey.release_documents.shares import share_sections
from survey.release_rows import ShareRow

OTHER = {"vi": "en", "en": "vi"}


def share_cell(row: ShareRow, lang: str) -> dict[str, str]:
    """A share as "85,3 % (80,1–89,4)" and its flag in words; blank text when suppressed."""
    w = SHARES_TEXT[lang]
    flag = w.get(f"flag_{row.flag}", row.flag)
    if row.suppressed or row.estimate is None:
        return {"text": "", "flag": flag, "kind": "suppressed"}
    text = number(row.estimate * 100.0, lang, 1) + PERCENT_SUFFIX[lang]
    if row.ci_lower is not None and row.ci_upper is not None:
        text += (
            f" ({number(row.ci_lower * 100.0, lang, 1)}–{number(row.ci_upper * 100.0, lang, 1)})"
        )
    return {"text": text, "flag": flag, "kind": row.flag}


def share_view(
    release: IndexRelease | Mapping[str, Any], lang: str, domain_name: str | None = None
) -> dict[str, Any]:
    """``{"w": words, "sections": [...], "other": lang}`` for ``_shares.html``; no sections for a
    release without shares. ``domain_name`` shows that domain instead of the whole campaign."""
    other = OTHER.get(lang, "en")
    w = SHARES_TEXT[lang]
    sections = []
    for section in share_sections(release, domain_name):
        counted = section.counted(lang)
        sections.append(
            {
                "id": f"share-{section.item.question}",
                "title": section.title(lang),
                "title_other": section.title(other),
                "counted": w["counted"].format(answers=counted) if counted else "",
                "first_column": w["item"] if counted else w["answer"],
                "lines": [
                    {
                        "label": line.label[lang],
                        "cell": share_cell(line.row, lang),
                        "n": number(line.row.n_base, lang),
                    }
                    for line in section.lines
                ],
            }
        )
    return {"w": w, "sections": sections, "other": other}
