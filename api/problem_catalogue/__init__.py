"""The catalogue of the use cases' error messages in Vietnamese, one module per area of ``survey/``.

Every module of this package defines ``ENTRIES: tuple[tuple[str, str], ...]``: pairs of

- an English pattern, matched with :func:`re.fullmatch` (``re.DOTALL``) on the message as the
  use case wrote it: each value the message quotes (an id, a code, a number, a file's value) is a
  named group;
- a Vietnamese template formatted with :meth:`str.format` from those groups. A group named
  ``roles`` (``"coordinator or admin"``) or ``role`` is said with the roles' names, a group named
  ``field`` with the field's name when it names a platform field (``dossier_code`` -> "Mã hồ sơ
  (dossier_code)"), a group named ``status`` with :data:`STATUS_NAMES` (a frame's, a campaign's,
  a release's status; quotes kept); every other group is quoted as it is.

Modules are found by walking the package, so an area's module needs no registration here; frame
imports come first because a frame's report holds thousands of their sentences.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from functools import cache

# Frame-import sentences are by far the most frequent: try them first.
_FIRST = ("frames",)


# The statuses the use cases quote in their refusals ("release 4 is published, not a draft").
STATUS_NAMES: dict[str, str] = {
    "draft": "bản nháp",
    "active": "đang thu thập",
    "closed": "đã đóng",
    "submitted": "đang chờ duyệt",
    "published": "đã công bố",
    "superseded": "đã được thay thế",
    "ready": "sẵn sàng",
    "importing": "đang nhập",
    "rejected": "bị từ chối",
}


def status_name(value: str) -> str:
    """A status in Vietnamese, keeping the quotes around it (``'ready'`` -> ``'sẵn sàng'``)."""
    bare = value.strip("'")
    name = STATUS_NAMES.get(bare)
    if name is None:
        return value
    return f"'{name}'" if value.startswith("'") else name


@dataclass(frozen=True)
class Entry:
    """One sentence of the catalogue and the module (area) that holds it."""

    module: str
    pattern: str
    template: str


def module_names() -> tuple[str, ...]:
    """The catalogue's modules, frame imports first, then by name."""
    found = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
    return tuple(n for n in _FIRST if n in found) + tuple(n for n in found if n not in _FIRST)


@cache
def entries() -> tuple[Entry, ...]:
    """Every module's ``ENTRIES``, in :func:`module_names` order."""
    gathered: list[Entry] = []
    for name in module_names():
        module = importlib.import_module(f"{__name__}.{name}")
        for pattern, template in getattr(module, "ENTRIES", ()):
            gathered.append(Entry(name, pattern, template))
    return tuple(gathered)
