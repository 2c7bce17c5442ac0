"""Pydantic's field checks (``Input should be ...``), which ``survey.designs.parse_design``, the
release form and the API's request validation pass on as they are.

See :mod:`api.problem_catalogue` for the shape of an entry; the values pydantic quotes (the
allowed choices, the bounds) are kept.
"""

from __future__ import annotations

# Pydantic lists choices as "'a', 'b' or 'c'"; the last "or" becomes "hoặc".
_CHOICES = r"(?P<head>'[^']*'(?:, '[^']*')*) or (?P<last>'[^']*')"

ENTRIES: tuple[tuple[str, str], ...] = (
    (r"Field required", "trường này bắt buộc phải có"),
    (r"Input should be " + _CHOICES, "hãy chọn {head} hoặc {last}"),
    (r"Input should be (?P<one>'[^']*')", "giá trị phải là {one}"),
    (r"Input should be greater than (?P<v>\S+)", "giá trị phải lớn hơn {v}"),
    (
        r"Input should be greater than or equal to (?P<v>\S+)",
        "giá trị phải lớn hơn hoặc bằng {v}",
    ),
    (r"Input should be less than (?P<v>\S+)", "giá trị phải nhỏ hơn {v}"),
    (r"Input should be less than or equal to (?P<v>\S+)", "giá trị phải nhỏ hơn hoặc bằng {v}"),
    (
        r"Input should be a valid integer(?:, unable to parse string as an integer|, got a "
        r"number with a fractional part)?",
        "hãy ghi một số nguyên",
    ),
    (
        r"Input should be a valid number(?:, unable to parse string as a number)?",
        "hãy ghi một số",
    ),
    (r"Input should be a finite number", "hãy ghi một số hữu hạn"),
    (r"Input should be a valid string", "hãy ghi một chuỗi ký tự"),
    (
        r"Input should be a valid boolean(?:, unable to interpret input)?",
        "hãy ghi đúng (true) hoặc sai (false)",
    ),
    (r"Input should be a valid list", "hãy ghi một danh sách"),
    (r"Input should be a valid dictionary", "hãy ghi một đối tượng JSON"),
    (
        r"Input should be a valid date(?: or datetime)?(?:, .*)?",
        "hãy ghi một ngày hợp lệ (YYYY-MM-DD)",
    ),
    (r"Input should be a valid datetime(?:, .*)?", "hãy ghi thời điểm hợp lệ (ISO 8601)"),
    (
        r"String should have at least (?P<n>\d+) characters?",
        "nội dung phải có ít nhất {n} ký tự",
    ),
    (
        r"String should have at most (?P<n>\d+) characters?",
        "nội dung chỉ được có tối đa {n} ký tự",
    ),
    (
        r"List should have at least (?P<n>\d+) items? after validation, not (?P<m>\d+)",
        "danh sách phải có ít nhất {n} mục (đang có {m})",
    ),
    (
        r"List should have at most (?P<n>\d+) items? after validation, not (?P<m>\d+)",
        "danh sách chỉ được có tối đa {n} mục (đang có {m})",
    ),
    (r"Extra inputs are not permitted", "trường này không được phép có"),
    (r"JSON decode error", "JSON bị lỗi"),
)
