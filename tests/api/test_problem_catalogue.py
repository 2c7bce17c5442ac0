"""Issue 14: every message a use case can show a person reads in Vietnamese.

The raise sites are read from the source (:mod:`tests.api.raise_sites`): a new message without a
Vietnamese entry in :mod:`api.problem_catalogue` fails here, named by file, line and text. Each
area of ``survey/`` is a case of its own, so a failure says whose catalogue module lacks it.
"""

from __future__ import annotations

import re
import string
from collections import defaultdict

import pytest

from api.problem_catalogue import entries, module_names
from api.problem_text import known, problem_text
from tests.api.raise_sites import (
    RaiseSite,
    frame_problem_sites,
    library_sites,
    survey_sites,
    web_sites,
)

# survey/ file (or folder) -> the catalogue module that says its messages.
AREAS: dict[str, str] = {
    "questionnaires": "questionnaires",
    "questionnaire_data": "questionnaires",
    "releases": "releases",
    "release_pipeline": "releases",
    "release_charts": "releases",
    "release_documents": "releases",
    "public_releases": "releases",
    "release_rows": "releases",
    "release_csv": "releases",
    "calibration_margins": "calibration",
    "designs": "designs",
    "draws": "draws",
    "draw_precision": "draws",
    "campaigns": "campaigns",
    "frames": "frames",
    "frame_files": "frames",
    "frame_staging": "frames",
    "geography": "frames",
    "interviews": "interviews",
    "users": "users",
    "passwords": "users",
    "backchecks": "backchecks",
    "data_entry": "data_entry",
    "backups": "backups",
    "outbox": "outbox",
    "sms": "outbox",
    "paper_forms": "paper_forms",
    "paper_questionnaire": "paper_forms",
    "letters": "letters",
    "letter_pdf": "letters",
    "letter_templates": "letters",
    "invitations": "invitations",
    "reminders": "invitations",
    "optouts": "invitations",
    "tokens": "invitations",
    "responses": "responses",
    "short_links": "responses",
}
OPERATIONS = "operations"
for _name in (
    "purge",
    "audit",
    "errors",
    "worker",
    "dispositions",
    "rate_limits",
    "settings",
    "logging_setup",
    "monitoring",
    "models",
):
    AREAS[_name] = OPERATIONS
LIBRARY = {"sampling": "sampling", "analysis": "estimation"}


def area_of(site: RaiseSite) -> str:
    """The catalogue module responsible for a raise site's message."""
    parts = site.path.removesuffix(".py").split("/")
    if parts[0] == "api":
        return "web"
    if parts[0] in LIBRARY:
        # The questionnaire tree's errors reach users through the questionnaire check.
        return "questionnaires" if parts[-1] == "questionnaire_tree" else LIBRARY[parts[0]]
    # A new module of survey/ gets an area here (and its messages an entry there).
    return AREAS.get(parts[1], f"no area for {parts[1]}: add it to AREAS")


def _by_area() -> dict[str, list[RaiseSite]]:
    grouped: dict[str, list[RaiseSite]] = defaultdict(list)
    for site in survey_sites() + frame_problem_sites() + library_sites() + web_sites():
        if site.example is not None:
            grouped[area_of(site)].append(site)
    return grouped


SITES = _by_area()
ALL_AREAS = sorted(set(AREAS.values()) | {OPERATIONS, "web"} | set(LIBRARY.values()) | set(SITES))


def said(site: RaiseSite) -> bool:
    """Whether the catalogue says the site's message (for one of its placeholder values)."""
    return any(known(example) for example in site.alternatives)


def test_the_walk_finds_the_raise_sites() -> None:
    # A walk that finds nothing would pass every test below.
    assert sum(len(s) for s in SITES.values()) > 400
    assert any("does not exist" in s.example for s in SITES["campaigns"] if s.example)
    assert SITES["sampling"] and SITES["estimation"]


@pytest.mark.parametrize("area", ALL_AREAS)
def test_every_message_of_an_area_has_a_vietnamese_entry(area: str) -> None:
    missing = [str(s) for s in SITES.get(area, []) if not said(s)]
    assert not missing, f"{len(missing)} messages lack an entry in api/problem_catalogue/" + (
        f"{area}.py:\n" + "\n".join(missing)
    )


def test_every_entry_compiles_and_its_template_uses_only_its_groups() -> None:
    formatter = string.Formatter()
    for entry in entries():
        groups = set(re.compile(entry.pattern).groupindex)
        used = {name for _, name, _, _ in formatter.parse(entry.template) if name is not None}
        assert used <= groups, (entry.module, entry.pattern, used - groups)


def test_the_package_gathers_every_module() -> None:
    names = module_names()
    assert names[0] == "frames"
    assert {"questionnaires", "releases", "designs", "draws", "campaigns"} <= set(names)
    assert {e.module for e in entries()} <= set(names)


# Words of English sentences; a Vietnamese sentence may quote a code or a value, but four of
# these in a row outside quotes is an untranslated sentence.
_ENGLISH = frozenset(
    " ".join(
        (
            "a an the is are was were be been not no and or but of in on at to for from with by",
            "as it its this that these those there their they you your we our one two each every",
            "any all some must can cannot may need needs give use used has have had do does did",
            "here than then so if only already more less first last new same other which what",
            "when where who how about into over under after before between again should would",
            "could will shall per please check make take set get put call list name names file",
            "files row rows column columns value values number field fields page form data user",
            "role release campaign design draw frame questionnaire",
        )
    ).split()
)
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|“[^”]*”|\{[^}]*\}|`[^`]*`|\([^)]*\)")


def english_runs(text: str) -> list[str]:
    """Runs of four or more common English words outside quoted values."""
    words = re.findall(r"[A-Za-zÀ-ỹ_]+", _QUOTED.sub(" ", text))
    runs, current = [], []
    for word in [*words, "·"]:
        if word.lower() in _ENGLISH:
            current.append(word)
            continue
        if len(current) >= 4:
            runs.append(" ".join(current))
        current = []
    return runs


def test_the_english_check_finds_an_english_sentence() -> None:
    assert english_runs("hãy kiểm tra: the file is not valid") == ["the file is not"]
    assert english_runs("tệp 'the file is not' không hợp lệ") == []


@pytest.mark.parametrize("area", ALL_AREAS)
def test_the_vietnamese_leaves_no_english_sentence(area: str) -> None:
    leftover = []
    for site in SITES.get(area, []):
        for example in filter(known, site.alternatives):
            vietnamese = problem_text(example, "vi")
            if english_runs(vietnamese):
                leftover.append(f"{site}\n    -> {vietnamese}")
    assert not leftover, "\n".join(leftover)
