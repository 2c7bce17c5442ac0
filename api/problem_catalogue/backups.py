"""Backing up and restoring the database (``survey.backups``) in Vietnamese."""

from __future__ import annotations

# A backup's path as the command line gave it.
_PATH = r"(?P<path>\S+)"

ENTRIES: tuple[tuple[str, str], ...] = (
    (
        r"an in-memory SQLite database cannot be backed up",
        "không sao lưu được cơ sở dữ liệu SQLite nằm trong bộ nhớ",
    ),
    (r"point it at a database file", "hãy trỏ tới một tệp cơ sở dữ liệu"),
    (r"(?P<tool>pg_dump|pg_restore) is not installed", "máy chưa cài {tool}"),
    (
        r"install postgresql-client \(the server's major version or newer\)",
        "hãy cài postgresql-client (cùng phiên bản chính với máy chủ hoặc mới hơn)",
    ),
    (r"(?P<tool>pg_dump|pg_restore) failed", "{tool} bị lỗi"),
    (_PATH + r" exists already", "tệp {path} đã tồn tại"),
    (
        r"name a new file, or pass --force to replace it",
        "hãy ghi tên một tệp mới, hoặc thêm --force để ghi đè tệp đó",
    ),
    (r"no database at " + _PATH, "không có cơ sở dữ liệu tại {path}"),
    (_PATH + r" is not a SQLite backup", "tệp {path} không phải là bản sao lưu SQLite"),
    (_PATH + r" is damaged", "tệp {path} bị hỏng"),
    (r"PRAGMA quick_check: (?P<verdict>.*)", "PRAGMA quick_check báo: {verdict}"),
    (r"no backup at " + _PATH, "không có bản sao lưu tại {path}"),
    (r"name an existing backup", "hãy ghi tên một bản sao lưu đang có"),
    (
        r"the database is not empty; a restore would replace its rows",
        "cơ sở dữ liệu đang có dữ liệu; khôi phục sẽ thay thế các dòng đang có",
    ),
    (
        r"rows in (?P<tables>.+); pass --force to replace them",
        "có dữ liệu trong {tables}; hãy thêm --force để thay thế",
    ),
)
