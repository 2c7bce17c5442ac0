"""Printed form numbers and the paper questionnaire (``survey.paper_forms``,
``survey.paper_questionnaire``) in Vietnamese."""

from __future__ import annotations

ENTRIES: tuple[tuple[str, str], ...] = (
    (r"a form number has only digits", "số phiếu chỉ gồm chữ số"),
    (
        r"type the 10 digits printed under the code on the form, e\.g\. 12345-67890",
        "hãy gõ 10 chữ số in dưới mã trên phiếu, ví dụ 12345-67890",
    ),
    (
        r"a form number has (?P<n>\d+) digits, not (?P<given>\d+)",
        "số phiếu có {n} chữ số, không phải {given}",
    ),
    (r"type all (?P<n>\d+) digits printed on the form", "hãy gõ đủ {n} chữ số in trên phiếu"),
    (
        r"this form number is mistyped \(its check digit does not match\)",
        "số phiếu bị gõ sai (chữ số kiểm tra không khớp)",
    ),
    (
        r"check each digit against the form; two digits may be swapped",
        "hãy đối chiếu từng chữ số với phiếu; có thể hai chữ số bị đảo chỗ",
    ),
    (r"invitation (?P<id>\d+) does not exist", "không có lời mời số {id}"),
    (r"no invitation (?P<id>\d+)", "không có lời mời {id}"),
    (
        r"no form was printed with number (?P<form>[\d-]+)",
        "không có phiếu nào được in với số {form}",
    ),
    (
        r"check the number against the form, or ask the coordinator",
        "hãy đối chiếu số với phiếu, hoặc hỏi điều phối viên",
    ),
)
