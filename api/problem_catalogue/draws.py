"""Draws (survey/draws.py): drawing a design's sample and downloading it.

See :mod:`api.problem_catalogue` for the shape of an entry.
"""

from __future__ import annotations

ENTRIES: tuple[tuple[str, str], ...] = (
    (r"the design's frame is not ready", "danh sách hồ sơ của thiết kế chưa sẵn sàng"),
    (
        r"import the frame again; only a ready frame can be drawn",
        "hãy nhập lại danh sách: chỉ chọn mẫu được từ danh sách sẵn sàng",
    ),
    (r"the seed is out of range", "hạt giống nằm ngoài khoảng cho phép"),
    (
        r"the seed must be a whole number from 0 to (?P<max>\d+)",
        "hạt giống phải là số nguyên từ 0 đến {max}",
    ),
    (
        r"the seed is a whole number, e\.g\. (?P<n>\d+)",
        "hạt giống là một số nguyên, ví dụ {n}",
    ),
    (r"no dossiers", "không có hồ sơ nào"),
    (r"no draw with id (?P<id>\S+)", "không có lần chọn mẫu số {id}"),
    (r"unknown format", "định dạng không được hỗ trợ"),
    (r"use csv or xlsx", "hãy chọn csv hoặc xlsx"),
    # The precision of a draw by domain (survey/draw_precision.py).
    (r"unknown domain column", "cột miền không có trong danh sách"),
    (
        r"(?P<q>'[^']*') is not a frame column; use agency_code",
        "{q} không phải cột của danh sách hồ sơ: hãy dùng agency_code",
    ),
)
