"""Package boundaries and privacy guards that the whole code base must keep."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

from pydantic import BaseModel

import survey.models
from survey.models import designs, fieldwork, frames, questionnaires, users

ROOT = Path(__file__).resolve().parents[1]
PURE_PACKAGES = ("sampling", "analysis")
FORBIDDEN_IN_PURE = {"fastapi", "starlette", "sqlmodel", "sqlalchemy", "alembic", "api", "survey"}


def _imported_top_level_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_pure_libraries_import_no_web_or_database_code() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported_top_level_names(path) & FORBIDDEN_IN_PURE)
        for package in PURE_PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if _imported_top_level_names(path) & FORBIDDEN_IN_PURE
    }
    assert offenders == {}


def test_survey_never_imports_api() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "survey").rglob("*.py")
        if "api" in _imported_top_level_names(path)
    ]
    assert offenders == []


def test_import_linter_contracts_hold() -> None:
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(linter)], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken" in result.stdout


def test_no_public_schema_exposes_a_phone() -> None:
    """``*Public`` classes are what API callers receive: none may carry contact data."""
    modules = [designs, fieldwork, frames, questionnaires, users, survey.models]
    public = {
        cls
        for module in modules
        for _name, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, BaseModel) and cls.__name__.endswith("Public")
    }
    assert public, "expected Public schemas"
    leaking = {
        cls.__name__: field
        for cls in public
        for field in cls.model_fields
        if "phone" in field or "e164" in field
    }
    assert leaking == {}


def test_response_table_has_no_contact_data() -> None:
    columns = set(fieldwork.Response.__table__.columns.keys())  # type: ignore[attr-defined]
    assert not {c for c in columns if "phone" in c or "e164" in c or "dossier" in c}
