"""Questionnaires (survey/questionnaires.py and the aggregation tree it checks with
analysis/questionnaire_tree.py): the definition's checks, versions, and the answers' checks.

See :mod:`api.problem_catalogue` for the shape of an entry.
"""

from __future__ import annotations

# Codes and values are quoted ('e1') or listed ("a, b"): kept as written.
_Q = r"(?P<q>'[^']*')"

ENTRIES: tuple[tuple[str, str], ...] = (
    # The definition as a whole, its versions.
    (r"the questionnaire definition is not valid", "định nghĩa phiếu hỏi chưa hợp lệ"),
    (r"the file is not JSON", "tệp không phải JSON"),
    (
        r"(?P<error>.+): fix the JSON at column (?P<col>\S+)",
        "JSON có lỗi ({error}): hãy sửa JSON ở cột {col}",
    ),
    (
        r"a questionnaire is a JSON object with code, version and elements",
        "phiếu hỏi là một đối tượng JSON có code (mã), version (phiên bản) và elements (các "
        "nhóm tiêu chí)",
    ),
    (
        r"(?P<code>.+) version (?P<version>\S+) exists already: use a new version number",
        "phiếu hỏi {code} phiên bản {version} đã có: hãy dùng số phiên bản mới",
    ),
    (
        r"(?P<code>.+) version (?P<version>\S+) is published and cannot change: create a new "
        r"version for new wording",
        "phiếu hỏi {code} phiên bản {version} đã công bố nên không sửa được: muốn đổi câu chữ, "
        "hãy tạo phiên bản mới",
    ),
    (
        r"code and version cannot change in a draft",
        "không đổi được mã và phiên bản của bản nháp",
    ),
    (
        r"keep code (?P<code>.+) and version (?P<version>\S+)",
        "hãy giữ mã {code} và phiên bản {version}",
    ),
    (r"no questionnaire with id (?P<id>\S+)", "không có phiếu hỏi số {id}"),
    (
        r"maps_from is the code it had in the earlier version",
        "maps_from là mã của mục này trong phiên bản trước",
    ),
    # Texts, codes, structure.
    (
        r'give the text as \{"vi": \.\.\., "en": \.\.\.\}; Vietnamese first',
        'hãy ghi nội dung dạng {{"vi": ..., "en": ...}}: tiếng Việt trước',
    ),
    (
        r"code: lowercase letters, digits, '_' or '-'",
        "mã: chỉ gồm chữ thường không dấu, chữ số, '_' hoặc '-'",
    ),
    (r"version must be a whole number >= 1", "phiên bản phải là số nguyên từ 1 trở lên"),
    (
        r"a code is lowercase letters, digits and '_' \(max 64\)",
        "mã chỉ gồm chữ thường không dấu, chữ số và '_' (tối đa 64 ký tự)",
    ),
    (
        r"code (?P<q>.+) is used twice; codes must be unique",
        "mã {q} được dùng hai lần: mỗi mã chỉ được dùng một lần",
    ),
    (
        r"list at least one element with its criteria",
        "hãy ghi ít nhất một nhóm tiêu chí cùng các tiêu chí của nhóm",
    ),
    (r"an element is an object", "mỗi nhóm tiêu chí (element) là một đối tượng JSON"),
    (r"an element needs criteria", "nhóm tiêu chí cần có tiêu chí (criteria)"),
    (r"a criterion is an object", "mỗi tiêu chí là một đối tượng JSON"),
    (
        r"blocks is a list of \{code, title, position\}",
        "blocks là danh sách các {{code, title, position}} (mã, tiêu đề, vị trí)",
    ),
    (r"a block is an object", "mỗi phần câu hỏi (block) là một đối tượng JSON"),
    (
        r"position is 'before' or 'after' the elements",
        "position (vị trí) là 'before' (trước) hoặc 'after' (sau) các nhóm tiêu chí",
    ),
    (r"a question is an object", "mỗi câu hỏi là một đối tượng JSON"),
    (r"type is one of (?P<types>.+)", "type (loại câu hỏi) là một trong {types}"),
    (
        r"block (?P<q>.+) is not in 'blocks'",
        "phần câu hỏi {q} không có trong 'blocks'",
    ),
    (
        r"a grid needs rows, each with code and text",
        "câu hỏi dạng bảng cần có các dòng (rows), mỗi dòng có code (mã) và text (nội dung)",
    ),
    (r"a row is an object", "mỗi dòng là một đối tượng JSON"),
    (
        r"max_length is a whole number from 1 to (?P<n>\S+)",
        "max_length (độ dài tối đa) là số nguyên từ 1 đến {n}",
    ),
    # Indices and the SIPAS rule.
    (
        r"indices is a list of \{\"code\", \"title\"\}",
        'indices là danh sách các {{"code", "title"}} (mã, tên chỉ số)',
    ),
    (r"an index is \{\"code\", \"title\"\}", 'mỗi chỉ số là {{"code", "title"}} (mã, tên)'),
    (
        r"sipas_rule needs 'indices' to combine",
        "sipas_rule cần có 'indices' (các chỉ số) để tổng hợp",
    ),
    (
        r"list the questionnaire's 'indices' first",
        "hãy khai báo 'indices' (các chỉ số) của phiếu hỏi trước",
    ),
    (r"sipas_rule is one of (?P<rules>.+)", "sipas_rule là một trong {rules}"),
    (
        r"(?P<q>.+) names the root: call the index else",
        "{q} là tên của gốc cây chỉ số: hãy đặt tên khác cho chỉ số",
    ),
    (
        r"(?P<q>.+) names the root: rename that item",
        "{q} là tên của gốc cây chỉ số: hãy đổi tên mục đó",
    ),
    (
        r"name the index this element counts in: one of (?P<known>.+)",
        "hãy ghi chỉ số mà nhóm tiêu chí này được tính vào: một trong {known}",
    ),
    (
        r"no element counts in index (?P<q>.+): give it elements",
        "không có nhóm tiêu chí nào được tính vào chỉ số {q}: hãy gán nhóm tiêu chí cho chỉ số",
    ),
    # Options, scales, bands.
    (r"give at least two options", "hãy ghi ít nhất hai lựa chọn"),
    (
        r"a priority scale has exactly (?P<n>\S+) levels",
        "thang mức ưu tiên có đúng {n} mức",
    ),
    (r"an option is \{code, text\}", "mỗi lựa chọn là {{code, text}} (mã, nội dung)"),
    (
        r"an option code is lowercase letters, digits, '_'",
        "mã lựa chọn chỉ gồm chữ thường không dấu, chữ số và '_'",
    ),
    (
        r"option code (?P<q>.+) is used twice here: give each option its own code",
        "mã lựa chọn {q} được dùng hai lần ở đây: hãy cho mỗi lựa chọn một mã riêng",
    ),
    (
        r"publish_as is 'shares' or 'top_two'",
        "publish_as là 'shares' (tỷ lệ từng lựa chọn) hoặc 'top_two' (tỷ lệ hai mức cao nhất)",
    ),
    (
        r"(?P<how>'\w+') is for questions of type (?P<allowed>.+), not (?P<kind>'\w+')",
        "{how} dùng cho câu hỏi loại {allowed}, không dùng cho loại {kind}",
    ),
    (
        r"publish_categories goes with publish_as 'top_two' \('shares' publishes every option\)",
        "publish_categories đi cùng publish_as 'top_two' ('shares' đã công bố mọi lựa chọn)",
    ),
    (
        r"list the option codes that count, each once, leaving at least one out: "
        r"(?P<options>.+)",
        "hãy ghi các mã lựa chọn được tính, mỗi mã một lần, và để lại ít nhất một mã: {options}",
    ),
    (
        r"a band gives min, max or both \(e\.g\. 18 and 24\)",
        "mỗi khoảng ghi min (từ), max (đến) hoặc cả hai (ví dụ 18 và 24)",
    ),
    (r"min (?P<low>\S+) is above max (?P<high>\S+)", "min {low} lớn hơn max {high}"),
    (
        r"bands go upwards without overlap: start above (?P<previous>\S+)",
        "các khoảng phải tăng dần và không chồng lên nhau: hãy bắt đầu từ trên {previous}",
    ),
    (r"(?P<name>\S+) is a number", "{name} phải là một số"),
    # Conditions (show_if).
    (
        r"show_if names an earlier choice question or grid row by its code",
        "show_if ghi mã của một câu hỏi lựa chọn hoặc một dòng của câu hỏi dạng bảng ở trang trước",
    ),
    (
        r"(?P<q>.+) is on the same or a later page: conditions use earlier pages",
        "{q} ở cùng trang hoặc trang sau: điều kiện chỉ dùng câu hỏi ở các trang trước",
    ),
    (
        r"list option codes of (?P<q>'[^']*'): (?P<options>.*)",
        "hãy ghi các mã lựa chọn của {q}: {options}",
    ),
    # Answers (a citizen's or an interviewer's page).
    (
        r"choose an answer, or 'not applicable'",
        "hãy chọn một câu trả lời, hoặc 'không áp dụng'",
    ),
    (r"answer this question", "hãy trả lời câu hỏi này"),
    (r"answer this row", "hãy trả lời dòng này"),
    (r"choose one of the answers shown", "hãy chọn một trong các câu trả lời"),
    (r"choose among the answers shown", "hãy chọn trong các câu trả lời"),
    (r"keep it under (?P<n>\S+) characters", "hãy viết dưới {n} ký tự"),
    # The aggregation tree (analysis/questionnaire_tree.py).
    (
        r"(?P<where>.+): expected a non-empty string code, got (?P<value>.+)",
        "{where}: cần một mã dạng chuỗi không trống, nhưng nhận được {value}",
    ),
    (
        r"questionnaire: expected an object with an \"elements\" key .*",
        'phiếu hỏi: cần một đối tượng có khoá "elements" (dạng {{"elements": {{"e1": '
        '["e1_q1", ...]}}}} hoặc một phiếu hỏi của hệ thống)',
    ),
    (r"sipas_rule: use one of (?P<rules>.+)", "sipas_rule: hãy dùng một trong {rules}"),
    (
        r"sipas_rule (?P<q>'[^']*'): use one of (?P<rules>.+)",
        "sipas_rule {q}: hãy dùng một trong {rules}",
    ),
    (
        r"\"indices\" must be an object \{index: \[elements\]\}, or a list of \{\"code\": "
        r"\.\.\.\} with element objects naming their \"index\"",
        '"indices" phải là đối tượng {{chỉ số: [các nhóm tiêu chí]}}, hoặc danh sách '
        '{{"code": ...}} với mỗi nhóm tiêu chí ghi "index" của mình',
    ),
    (
        r"\"elements\" must be an object \{element: \[criteria\]\} or a list of element objects",
        '"elements" phải là đối tượng {{nhóm: [các tiêu chí]}} hoặc danh sách các nhóm tiêu chí',
    ),
    (
        r"questionnaire (?P<q>.+) has no elements: give at least one element with at least "
        r"one criterion",
        "phiếu hỏi {q} không có nhóm tiêu chí nào: hãy ghi ít nhất một nhóm có ít nhất một "
        "tiêu chí",
    ),
    (
        r"code (?P<q>'[^']*') names the root of a tree with indices: rename that (?P<what>.+)",
        "mã {q} là tên gốc của cây chỉ số: hãy đổi tên mục {what} đó",
    ),
    (
        r"element\(s\) (?P<codes>.+) belong to no index: give each an \"index\"",
        'nhóm tiêu chí {codes} không thuộc chỉ số nào: hãy ghi "index" cho từng nhóm',
    ),
    (
        r"elements\[(?P<e>[^]]*)\] \((?P<code>[^)]*)\)\.index: (?P<q>.+) is not one of the "
        r"indices \((?P<codes>.*)\)",
        "elements[{e}] ({code}).index: {q} không phải một trong các chỉ số ({codes})",
    ),
    (
        r"unknown built-in questionnaire (?P<q>'[^']*'): use one of (?P<names>.+) or give a "
        r"questionnaire JSON file",
        "không có phiếu hỏi dựng sẵn {q}: hãy dùng một trong {names}, hoặc đưa tệp JSON của "
        "phiếu hỏi",
    ),
    (
        r"element code (?P<q>.+) is reserved or empty: rename the element",
        "mã nhóm tiêu chí {q} đang trống hoặc là mã dành riêng: hãy đổi tên nhóm",
    ),
    (r"element code (?P<q>.+) appears twice", "mã nhóm tiêu chí {q} xuất hiện hai lần"),
    (
        r"element (?P<q>'[^']*') has no criteria: list at least one criterion code",
        "nhóm tiêu chí {q} không có tiêu chí nào: hãy ghi ít nhất một mã tiêu chí",
    ),
    (
        r"index code (?P<q>.+) is empty, reserved or used twice: rename the index",
        "mã chỉ số {q} đang trống, là mã dành riêng hoặc bị dùng hai lần: hãy đổi tên chỉ số",
    ),
    (
        r"index (?P<q>'[^']*') has no elements: give each element an \"index\"",
        'chỉ số {q} không có nhóm tiêu chí nào: hãy ghi "index" cho từng nhóm',
    ),
    (
        r"elements\.(?P<e>\S+): expected a list of criterion codes, got (?P<value>.+)",
        "elements.{e}: cần danh sách mã tiêu chí, nhưng nhận được {value}",
    ),
    (
        r"indices\.(?P<i>\S+): expected a list of element codes, got (?P<value>.+)",
        "indices.{i}: cần danh sách mã nhóm tiêu chí, nhưng nhận được {value}",
    ),
    (
        r"criterion code (?P<q>.+) in element (?P<e>'[^']*') is reserved or empty: rename it",
        "mã tiêu chí {q} trong nhóm {e} đang trống hoặc là mã dành riêng: hãy đổi tên",
    ),
    (
        r"code (?P<q>'[^']*') \(element (?P<e>'[^']*')\) is used twice: every criterion and "
        r"element code must be unique",
        "mã {q} (nhóm {e}) được dùng hai lần: mỗi mã tiêu chí và mã nhóm chỉ được dùng một lần",
    ),
    (
        r"index (?P<i>'[^']*') names (?P<q>'[^']*'), which is not an element",
        "chỉ số {i} ghi {q}, nhưng đó không phải nhóm tiêu chí",
    ),
    (
        r"element (?P<q>'[^']*') is in indices (?P<a>'[^']*') and (?P<b>'[^']*'): an element "
        r"belongs to one index",
        "nhóm tiêu chí {q} thuộc cả chỉ số {a} và {b}: mỗi nhóm chỉ thuộc một chỉ số",
    ),
    (
        r"elements\[(?P<e>[^]]*)\]: expected an object with code/criteria",
        "elements[{e}]: cần một đối tượng có code (mã) và criteria (các tiêu chí)",
    ),
    (
        r"elements\[(?P<e>[^]]*)\] \((?P<code>[^)]*)\)\.criteria: expected a list of criteria "
        r"objects",
        "elements[{e}] ({code}).criteria: cần danh sách các tiêu chí",
    ),
)
