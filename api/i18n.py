"""Words of the staff pages, Vietnamese first, with an English switch remembered in a cookie.

``?lang=en`` (or ``?lang=vi``) on any page chooses the language and sets the ``sipas_lang``
cookie, so the choice survives navigation; without either, pages are in Vietnamese.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request, Response

LANG_COOKIE = "sipas_lang"
LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
ONE_YEAR = 365 * 24 * 3600

STAFF_TEXT: Mapping[str, Mapping[str, str]] = {
    "vi": {
        "service": "SIPAS – Điều phối khảo sát",
        "language_switch": "English",
        "error_title": "Có lỗi",
        "error_prefix": "Lỗi: ",
        "skip": "Chuyển đến nội dung chính",
        "nav_home": "Trang chủ",
        "nav_frames": "Danh sách hồ sơ",
        "nav_designs": "Thiết kế mẫu",
        "nav_draws": "Các lần chọn mẫu",
        "nav_campaigns": "Đợt khảo sát",
        "nav_releases": "Công bố chỉ số",
        "sign_out": "Đăng xuất",
        "citizen_page_refused_title": "Đây là trang trả lời riêng của người dân",
        "citizen_page_refused_body": "Trình duyệt này đang đăng nhập vào trang cán bộ, nên "
        "không mở được trang trả lời của người dân: cán bộ không được xem hay sửa câu trả lời. "
        "Không có gì được ghi lại hay thay đổi.",
        "citizen_page_refused_how": "Để tự trả lời hoặc thử phiếu hỏi, hãy đăng xuất, hoặc mở "
        "đường dẫn trong một cửa sổ ẩn danh.",
        "sign_in": "Đăng nhập",
        "sign_in_title": "Đăng nhập cho cán bộ",
        "username": "Tên đăng nhập",
        "password": "Mật khẩu",
        "enter_username": "Nhập tên đăng nhập",
        "enter_password": "Nhập mật khẩu",
        "wrong_credentials": "Tên đăng nhập hoặc mật khẩu không đúng",
        "account_locked": "Đăng nhập quá nhiều lần với tài khoản này. Xin thử lại sau {wait}.",
        "address_locked": "Quá nhiều lần đăng nhập từ địa chỉ mạng này. Xin thử lại sau {wait}.",
        "sign_in_busy": "Máy chủ đang bận kiểm tra các lần đăng nhập khác. Xin thử lại sau vài "
        "giây.",
        "account_disabled": "Tài khoản này đã bị khoá. Xin liên hệ quản trị viên.",
        "too_many_title": "Quá nhiều yêu cầu",
        "too_many_body": "Có quá nhiều yêu cầu từ địa chỉ mạng này. Xin chờ {wait} rồi thử lại.",
        "unavailable_title": "Hệ thống tạm thời gián đoạn",
        "unavailable_body": "Hệ thống đang tạm thời không truy cập được dữ liệu. Những câu trả "
        "lời đã lưu trước đó vẫn còn nguyên. Xin chờ khoảng {wait} rồi thử lại.",
        "try_again": "Thử lại",
        "wait_seconds": "{n} giây",
        "wait_minutes": "{n} phút",
        "signed_in_as": "Đăng nhập với tên",
        "role": "Vai trò",
        "scope": "Phạm vi",
        "scope_all": "toàn bộ",
        "home_title": "Tổng quan",
        "frames": "Danh sách hồ sơ (khung mẫu)",
        "designs": "Thiết kế mẫu",
        "draws": "Các lần chọn mẫu",
        "count": "Số lượng",
        "upload_frame": "Tải lên danh sách hồ sơ",
        "new_design": "Tạo thiết kế mẫu",
        "none_yet": "Chưa có.",
        "id": "Mã số",
        "name": "Tên",
        "status": "Trạng thái",
        "rows": "Số dòng",
        "rejected_rows": "Dòng bị loại",
        "created": "Ngày tạo",
        "file": "Tệp CSV hoặc XLSX",
        "file_hint": "Mỗi dòng là một hồ sơ đã trả kết quả trong kỳ khảo sát.",
        "frame_name": "Tên danh sách",
        "column_map": "Đổi tên cột (không bắt buộc)",
        "column_map_hint": "Mỗi dòng: tên cột trong tệp=tên trường, ví dụ: Mã hồ sơ=dossier_code",
        "accept_valid_rows": "Nhập các dòng hợp lệ, bỏ qua các dòng có lỗi",
        "upload": "Tải lên",
        "choose_file": "Chọn một tệp CSV hoặc XLSX",
        "file_too_large": "Tệp lớn hơn giới hạn tải lên {limit}: chia thành các tệp nhỏ hơn, "
        "hoặc nhờ quản trị viên tăng SIPAS_MAX_UPLOAD_MB",
        "body_too_large": "Dữ liệu gửi lên lớn hơn {limit}: hãy gửi ít hơn mỗi lần",
        "enter_frame_name": "Nhập tên danh sách",
        "import_report": "Báo cáo nhập dữ liệu",
        "rows_read": "Số dòng đọc",
        "imported": "Đã nhập",
        "not_contactable": "Không có số di động",
        "problems": "Các vấn đề",
        "row": "Dòng",
        "field": "Trường",
        "message": "Nội dung",
        "severity": "Mức độ",
        "frame_period": "Kỳ của danh sách",
        "period_hint": "Không bắt buộc. Nếu nhập, hồ sơ có ngày trả kết quả ngoài kỳ sẽ bị báo "
        "lỗi; nếu để trống, kỳ là từ ngày trả kết quả sớm nhất đến muộn nhất trong tệp.",
        "period_start": "Ngày đầu kỳ",
        "period_end": "Ngày cuối kỳ",
        "period_incomplete": "Nhập cả ngày đầu và ngày cuối kỳ, hoặc để trống cả hai",
        "period_reversed": "Ngày cuối kỳ đứng trước ngày đầu kỳ: sửa lại hoặc đổi chỗ hai ngày",
        "period_day_invalid": "“{value}” không phải là ngày: nhập theo dạng NN/TT/NNNN, ví dụ "
        "01/07/2025",
        "problem_kinds": "Tổng số vấn đề: {total}, theo loại",
        "problem_count": "Số lượng",
        "problems_listed": "Dưới đây liệt kê {shown} trong tổng số {total} vấn đề.",
        "frame_rejected": "Danh sách bị từ chối: không có hồ sơ nào được nhập. Hãy sửa các dòng "
        "dưới đây rồi tải lên lại, hoặc tải lên lại và chọn nhập các dòng hợp lệ.",
        "frame_ready": "Danh sách đã sẵn sàng để chọn mẫu.",
        "content_hash": "Mã băm nội dung (SHA-256)",
        "design_name": "Tên thiết kế",
        "frame": "Danh sách hồ sơ",
        "stratify_by": "Phân tầng theo",
        "geo_mapping": "Quy đổi mã tỉnh theo địa giới sau 1/7/2025 (63 → 34 tỉnh)",
        "selection": "Cách chọn",
        "sel_srswor": "Ngẫu nhiên đơn giản trong từng tầng",
        "sel_systematic": "Hệ thống sau khi sắp xếp",
        "sel_pps": "Hai giai đoạn, xác suất tỷ lệ với quy mô (PPS)",
        "sort_by": "Sắp xếp theo (chọn hệ thống)",
        "psu_column": "Đơn vị giai đoạn 1 (PPS)",
        "method": "Phân bổ mẫu",
        "m_proportional": "Tỷ lệ với số hồ sơ",
        "m_equal": "Đều nhau",
        "m_neyman": "Neyman (tối ưu)",
        "m_power": "Lũy thừa (Bankier)",
        "size": "Cỡ mẫu",
        "n_total": "Tổng cỡ mẫu",
        "margin": "Hoặc sai số mục tiêu (ví dụ 0,05)",
        "margin_applies_to": "Sai số áp dụng cho",
        "ma_total": "Toàn bộ danh sách",
        "ma_each_stratum": "Từng tầng",
        "p": "Tỷ lệ hài lòng dự kiến",
        "confidence": "Độ tin cậy",
        "deff": "Hiệu ứng thiết kế",
        "response_rate": "Tỷ lệ trả lời dự kiến",
        "min_per_stratum": "Tối thiểu mỗi tầng",
        "max_per_stratum": "Tối đa mỗi tầng",
        "power_q": "Số mũ q (phân bổ lũy thừa)",
        "m_per_psu": "Số hồ sơ mỗi đơn vị giai đoạn 1",
        "reserve_per_stratum": "Số dự phòng mỗi tầng",
        "preview": "Xem trước bảng phân bổ",
        "save": "Lưu thiết kế",
        "allocation_table": "Bảng phân bổ",
        "stratum": "Tầng",
        "population": "Số hồ sơ (N)",
        "sample": "Cỡ mẫu (n)",
        "take_all": "Lấy hết",
        "yes": "có",
        "se": "Sai số chuẩn",
        "margin_col": "Sai số (±%)",
        "domains": "Độ chính xác theo nhóm",
        "domain": "Nhóm",
        "total": "Tổng",
        "run_draw": "Chọn mẫu",
        "seed": "Hạt giống ngẫu nhiên (không bắt buộc)",
        "seed_hint": "Để trống để chọn mới; nhập hạt giống của lần trước để lặp lại đúng mẫu đó.",
        "draw": "Lần chọn mẫu",
        "design": "Thiết kế",
        "n_sampled": "Số được chọn",
        "n_reserve": "Số dự phòng",
        "library_version": "Phiên bản thư viện",
        "download": "Tải mẫu về",
        "download_csv_phones": "CSV có số điện thoại",
        "download_xlsx_phones": "XLSX có số điện thoại",
        "download_csv": "CSV không có số điện thoại",
        "download_xlsx": "XLSX không có số điện thoại",
        "duplicate_contacts": "Số điện thoại trùng",
        "duplicate_rule": "Một người chỉ được mời một lần: khi nhiều hồ sơ được chọn có cùng số "
        "điện thoại, chỉ mời một hồ sơ chọn ngẫu nhiên; các hồ sơ còn lại được ghi là "
        "“trùng liên hệ” và coi như không trả lời trong tầng của chúng khi tính trọng số.",
        "duplicate_count": "Số nhóm trùng / số hồ sơ không mời",
        # Designed and issued sizes of a draw (survey.draws.size_explanation).
        "draw_size": "Cỡ mẫu theo thiết kế và số hồ sơ được chọn",
        "draw_size_totals": "Thiết kế: {designed} hồ sơ; được chọn: {issued} hồ sơ.",
        "draw_size_rule_pps": "Mẫu hai giai đoạn: mỗi tầng chọn trọn đơn vị mẫu cấp 1 (làm tròn "
        "lên số hồ sơ thiết kế chia cho số hồ sơ mỗi đơn vị), rồi trong mỗi đơn vị chọn tối đa "
        "số hồ sơ đã định; vì vậy một tầng có thể nhiều hơn hoặc ít hơn thiết kế.",
        "draw_size_designed": "Theo thiết kế",
        "draw_size_issued": "Được chọn",
        "draw_size_why": "Lý do chênh lệch",
        "draw_size_rounded_up_to_whole_psus": "làm tròn lên thành {n_psu} đơn vị cấp 1 × "
        "{m_per_psu} hồ sơ",
        "draw_size_psus_smaller_than_take": "{psus_below_take} đơn vị cấp 1 có ít hơn "
        "{m_per_psu} hồ sơ nên lấy hết",
        "draw_size_too_few_psus": "tầng chỉ có {psus_in_stratum} đơn vị cấp 1",
        "not_allowed": "Bạn không có quyền thực hiện việc này.",
        "back": "Quay lại",
        "choose_frame": "Chọn một danh sách đã sẵn sàng",
        "required": "bắt buộc",
        "view": "Xem",
        # Audit log page (api/pages/audit.py).
        "audit_title": "Nhật ký kiểm toán",
        "audit_link": "Nhật ký kiểm toán: ai đã làm gì, khi nào",
        "audit_intro": (
            "Mọi lần đăng nhập, tải dữ liệu cá nhân, công bố và xoá số điện thoại được ghi "
            "lại ở đây; không ai sửa hay xoá được một mục đã ghi."
        ),
        "audit_action": "Hành động",
        "audit_all_actions": "Tất cả hành động",
        "audit_groups": "Nhóm hành động",
        "audit_actions": "Từng hành động",
        "audit_group_auth": "Đăng nhập",
        "audit_group_token": "Mã truy cập API",
        "audit_group_user": "Tài khoản",
        "audit_group_export": "Tải dữ liệu",
        "audit_group_letters": "In thư mời",
        "audit_group_questionnaire": "Bảng hỏi",
        "audit_group_release": "Công bố chỉ số",
        "audit_group_campaign": "Đợt khảo sát",
        "audit_actor": "Người thực hiện",
        "audit_actor_hint": "Tên đăng nhập, ví dụ coordinator1",
        "audit_target": "Đối tượng",
        "audit_target_hint": "Ví dụ campaign:3 hoặc draw:12",
        "audit_since": "Từ ngày",
        "audit_until": "Đến ngày",
        "audit_date_hint": "Ngày theo giờ Việt Nam, dạng 2026-12-01",
        "audit_filter": "Lọc",
        "audit_clear": "Bỏ lọc",
        "audit_verify": "Kiểm tra tính toàn vẹn",
        "audit_chain_ok": "Nhật ký nguyên vẹn: {n} mục, không mục nào bị sửa hay xoá.",
        "audit_chain_broken": "Nhật ký đã bị can thiệp, bắt đầu từ mục {id}:",
        "audit_matches": "{n} mục khớp bộ lọc.",
        "audit_time": "Thời điểm (giờ Việt Nam)",
        "audit_details": "Chi tiết",
        "audit_address": "Địa chỉ IP",
        "audit_pages": "Chuyển trang",
        "audit_previous": "← Trang trước",
        "audit_next": "Trang sau →",
        "audit_none": "Không có mục nào.",
        "audit_bad_action": "Chọn một hành động trong danh sách",
        "audit_bad_date": "Nhập ngày dạng năm-tháng-ngày, ví dụ 2026-12-01",
        "audit_until_before_since": "Ngày kết thúc phải bằng hoặc sau ngày bắt đầu",
        # Numbers typed in the design form (api.formatting.parse_number).
        "num_not_number": "{field}: không hiểu “{value}”; nhập một số, ví dụ {example}",
        "num_not_whole": "{field}: “{value}” không phải số nguyên; nhập ví dụ {example}",
        "num_out_of_range": "{field}: nhập một số {range}",
        "num_gt": "lớn hơn {x}",
        "num_ge": "từ {x} trở lên",
        "num_lt": "nhỏ hơn {x}",
        "num_le": "không quá {x}",
        "num_and": " và ",
        "num_example_percent": "0,05 hoặc 5 %",
        "num_example_decimal": "1,5",
        "num_example_whole": "1.200",
        "margin_name": "Sai số mục tiêu",
        "code": "mã",
        "col_agency_code": "Cơ quan",
        "col_province_code": "Tỉnh, thành phố",
        "col_channel": "Kênh nộp hồ sơ",
    },
    "en": {
        "service": "SIPAS – Survey coordination",
        "language_switch": "Tiếng Việt",
        "error_title": "There is a problem",
        "error_prefix": "Error: ",
        "skip": "Skip to main content",
        "nav_home": "Home",
        "nav_frames": "Frames",
        "nav_designs": "Designs",
        "nav_draws": "Draws",
        "nav_campaigns": "Campaigns",
        "nav_releases": "Index releases",
        "sign_out": "Sign out",
        "sign_in": "Sign in",
        "sign_in_title": "Staff sign-in",
        "username": "Username",
        "password": "Password",
        "enter_username": "Enter your username",
        "enter_password": "Enter your password",
        "wrong_credentials": "The username or password is wrong",
        "account_locked": "Too many sign-in attempts for this account. Try again in {wait}.",
        "address_locked": "Too many sign-in attempts from this network address. Try again in "
        "{wait}.",
        "sign_in_busy": "The server is busy checking other sign-ins. Try again in a few seconds.",
        "account_disabled": "This account is disabled. Ask an administrator.",
        "too_many_title": "Too many requests",
        "too_many_body": "There have been too many requests from this network address. Please "
        "wait {wait} and try again.",
        "unavailable_title": "The service is briefly unavailable",
        "unavailable_body": "The service cannot reach its data for a moment. Answers you saved "
        "before are kept. Please wait about {wait} and try again.",
        "try_again": "Try again",
        "wait_seconds": "{n} seconds",
        "wait_minutes": "{n} minutes",
        "signed_in_as": "Signed in as",
        "role": "Role",
        "scope": "Scope",
        "scope_all": "everything",
        "home_title": "Overview",
        "frames": "Frames (lists of dossiers)",
        "designs": "Sample designs",
        "draws": "Draws",
        "count": "Count",
        "upload_frame": "Upload a list of dossiers",
        "new_design": "Create a design",
        "none_yet": "None yet.",
        "id": "Id",
        "name": "Name",
        "status": "Status",
        "rows": "Rows",
        "rejected_rows": "Rejected rows",
        "created": "Created",
        "file": "CSV or XLSX file",
        "file_hint": "One row per dossier whose result was returned in the survey period.",
        "frame_name": "Name of the list",
        "column_map": "Rename columns (optional)",
        "column_map_hint": "One per line: file column=field, e.g. Mã hồ sơ=dossier_code",
        "accept_valid_rows": "Import the valid rows and leave out rows with errors",
        "upload": "Upload",
        "choose_file": "Choose a CSV or XLSX file",
        "file_too_large": "The file is larger than the upload limit of {limit}: split it into "
        "smaller files, or ask an administrator to raise SIPAS_MAX_UPLOAD_MB",
        "body_too_large": "The data sent is larger than {limit}: send less at once",
        "enter_frame_name": "Enter a name for the list",
        "import_report": "Import report",
        "rows_read": "Rows read",
        "imported": "Imported",
        "not_contactable": "Without a mobile phone",
        "problems": "Problems",
        "row": "Row",
        "field": "Field",
        "message": "Message",
        "severity": "Severity",
        "frame_period": "Period of the frame",
        "period_hint": "Optional. If given, dossiers completed outside it are errors; if left "
        "empty, the period runs from the first to the last completion date in the file.",
        "period_start": "First day",
        "period_end": "Last day",
        "period_incomplete": "Give both the first and the last day of the period, or neither",
        "period_reversed": "The last day is before the first day: correct or swap them",
        "period_day_invalid": "“{value}” is not a date: write it as DD/MM/YYYY, e.g. 01/07/2025",
        "problem_kinds": "Problems in all: {total}, by kind",
        "problem_count": "Count",
        "problems_listed": "Listed below: {shown} of {total} problems.",
        "frame_rejected": "The list was rejected: nothing was imported. Fix the rows below and "
        "upload again, or upload again choosing to import the valid rows.",
        "frame_ready": "The list is ready to be sampled.",
        "content_hash": "Content hash (SHA-256)",
        "design_name": "Name of the design",
        "frame": "Frame",
        "stratify_by": "Stratify by",
        "geo_mapping": "Map province codes to the units after 1 July 2025 (63 → 34)",
        "selection": "Selection",
        "sel_srswor": "Simple random sampling within strata",
        "sel_systematic": "Systematic after sorting",
        "sel_pps": "Two-stage, probability proportional to size (PPS)",
        "sort_by": "Sort by (systematic selection)",
        "psu_column": "First-stage unit (PPS)",
        "method": "Allocation",
        "m_proportional": "Proportional to the number of dossiers",
        "m_equal": "Equal",
        "m_neyman": "Neyman (optimum)",
        "m_power": "Power (Bankier)",
        "size": "Sample size",
        "n_total": "Total sample size",
        "margin": "Or target margin of error (e.g. 0.05)",
        "margin_applies_to": "The margin applies to",
        "ma_total": "The whole frame",
        "ma_each_stratum": "Each stratum",
        "p": "Anticipated share satisfied",
        "confidence": "Confidence level",
        "deff": "Design effect",
        "response_rate": "Expected response rate",
        "min_per_stratum": "Minimum per stratum",
        "max_per_stratum": "Maximum per stratum",
        "power_q": "Power q (power allocation)",
        "m_per_psu": "Dossiers per first-stage unit",
        "reserve_per_stratum": "Reserves per stratum",
        "preview": "Preview the allocation table",
        "save": "Save the design",
        "allocation_table": "Allocation table",
        "stratum": "Stratum",
        "population": "Dossiers (N)",
        "sample": "Sample (n)",
        "take_all": "Take all",
        "yes": "yes",
        "se": "Standard error",
        "margin_col": "Margin (±%)",
        "domains": "Precision by domain",
        "domain": "Domain",
        "total": "Total",
        "run_draw": "Draw the sample",
        "seed": "Random seed (optional)",
        "seed_hint": "Leave empty for a new draw; enter an earlier draw's seed to repeat it.",
        "draw": "Draw",
        "design": "Design",
        "n_sampled": "Sampled",
        "n_reserve": "Reserves",
        "library_version": "Library version",
        "download": "Download the sample",
        "download_csv_phones": "CSV with phone numbers",
        "download_xlsx_phones": "XLSX with phone numbers",
        "download_csv": "CSV without phone numbers",
        "download_xlsx": "XLSX without phone numbers",
        "duplicate_contacts": "Shared phone numbers",
        "duplicate_rule": "A person is invited once: when several sampled dossiers share a phone, "
        "one chosen at random is invited; the others are marked “duplicate contact” and count "
        "as non-respondents of their stratum when the weights are adjusted.",
        "duplicate_count": "Groups / dossiers not invited",
        "draw_size": "Designed sample size and dossiers drawn",
        "draw_size_totals": "Designed: {designed} dossiers; drawn: {issued} dossiers.",
        "draw_size_rule_pps": "Two-stage draw: each stratum takes whole primary units (the "
        "designed size divided by the dossiers per unit, rounded up), then at most that many "
        "dossiers in each unit, so a stratum can get more or fewer than designed.",
        "draw_size_designed": "Designed",
        "draw_size_issued": "Drawn",
        "draw_size_why": "Why they differ",
        "draw_size_rounded_up_to_whole_psus": "rounded up to {n_psu} primary units × "
        "{m_per_psu} dossiers",
        "draw_size_psus_smaller_than_take": "{psus_below_take} primary units have fewer than "
        "{m_per_psu} dossiers and are taken whole",
        "draw_size_too_few_psus": "the stratum has only {psus_in_stratum} primary units",
        "not_allowed": "You are not allowed to do this.",
        "back": "Back",
        "choose_frame": "Choose a ready frame",
        "required": "required",
        "view": "View",
        "citizen_page_refused_title": "This is a citizen's personal answer page",
        "citizen_page_refused_body": "This browser is signed in to the staff pages, so it cannot "
        "open a citizen's answer page: staff may not read or change answers. Nothing was "
        "recorded or changed.",
        "citizen_page_refused_how": "To answer yourself or to try the questionnaire, sign out, or "
        "open the link in a private window.",
        # Audit log page (api/pages/audit.py).
        "audit_title": "Audit log",
        "audit_link": "Audit log: who did what, and when",
        "audit_intro": (
            "Every sign-in, download of personal data, publication and purge is recorded "
            "here; no one can change or delete an entry once it is written."
        ),
        "audit_action": "Action",
        "audit_all_actions": "All actions",
        "audit_groups": "Groups of actions",
        "audit_actions": "Single actions",
        "audit_group_auth": "Sign-in",
        "audit_group_token": "API tokens",
        "audit_group_user": "Accounts",
        "audit_group_export": "Downloads",
        "audit_group_letters": "Printed letters",
        "audit_group_questionnaire": "Questionnaires",
        "audit_group_release": "Index releases",
        "audit_group_campaign": "Campaigns",
        "audit_actor": "Done by",
        "audit_actor_hint": "Username, e.g. coordinator1",
        "audit_target": "Target",
        "audit_target_hint": "E.g. campaign:3 or draw:12",
        "audit_since": "From",
        "audit_until": "To",
        "audit_date_hint": "A day in Vietnam time, as 2026-12-01",
        "audit_filter": "Filter",
        "audit_clear": "Clear",
        "audit_verify": "Check integrity",
        "audit_chain_ok": "The log is intact: {n} entries, none changed or removed.",
        "audit_chain_broken": "The log was tampered with, starting at entry {id}:",
        "audit_matches": "{n} entries match.",
        "audit_time": "Time (Vietnam)",
        "audit_details": "Details",
        "audit_address": "IP address",
        "audit_pages": "Pages",
        "audit_previous": "← Previous",
        "audit_next": "Next →",
        "audit_none": "No entries.",
        "audit_bad_action": "Choose an action from the list",
        "audit_bad_date": "Enter a date as year-month-day, e.g. 2026-12-01",
        "audit_until_before_since": "The end day must be on or after the start day",
        "num_not_number": "{field}: “{value}” is not a number; type one such as {example}",
        "num_not_whole": "{field}: “{value}” is not a whole number; type one such as {example}",
        "num_out_of_range": "{field}: type a number {range}",
        "num_gt": "greater than {x}",
        "num_ge": "of at least {x}",
        "num_lt": "less than {x}",
        "num_le": "of at most {x}",
        "num_and": " and ",
        "num_example_percent": "0.05 or 5%",
        "num_example_decimal": "1.5",
        "num_example_whole": "1,200",
        "margin_name": "Target margin of error",
        "code": "code",
        "col_agency_code": "Agency",
        "col_province_code": "Province",
        "col_channel": "Channel",
    },
}


def requested_language(request: Request) -> str | None:
    """The language asked for in ``?lang=``, if it is one we have."""
    lang = request.query_params.get("lang")
    return lang if lang in LANGUAGES else None


def choose_language(request: Request) -> str:
    """``?lang=`` first, then the remembered cookie, else Vietnamese."""
    asked = requested_language(request)
    if asked is not None:
        return asked
    cookie = request.cookies.get(LANG_COOKIE)
    return cookie if cookie in LANGUAGES else DEFAULT_LANGUAGE


def remember_language(request: Request, response: Response) -> None:
    """Set the language cookie when the request chose a language with ``?lang=``."""
    asked = requested_language(request)
    if asked is not None:
        response.set_cookie(LANG_COOKIE, asked, max_age=ONE_YEAR, samesite="lax", httponly=True)


def texts(lang: str) -> Mapping[str, str]:
    """The words of the staff pages in ``lang``."""
    return STAFF_TEXT.get(lang, STAFF_TEXT[DEFAULT_LANGUAGE])


# AAPOR Standard Definitions (2023): what each rate on the campaign page means. I complete,
# P partial, R refusal and break-off, NC non-contact, O other, UH/UO unknown eligibility.
RATE_DEFINITIONS: Mapping[str, Mapping[str, tuple[str, str, str]]] = {
    "vi": {
        "rr1": (
            "Tỷ lệ trả lời 1",
            "I / ((I + P) + (R + NC + O) + (UH + UO))",
            "Số phiếu hoàn thành chia cho mọi trường hợp đủ điều kiện hoặc chưa rõ điều kiện; "
            "đây là tỷ lệ thận trọng nhất.",
        ),
        "rr2": (
            "Tỷ lệ trả lời 2",
            "(I + P) / ((I + P) + (R + NC + O) + (UH + UO))",
            "Như tỷ lệ trả lời 1 nhưng tính cả phiếu trả lời dở.",
        ),
        "coop1": (
            "Tỷ lệ hợp tác 1",
            "I / ((I + P) + R + O)",
            "Trong số người đã liên lạc được, bao nhiêu người trả lời hoàn thành.",
        ),
        "ref1": (
            "Tỷ lệ từ chối 1",
            "R / ((I + P) + (R + NC + O) + (UH + UO))",
            "Số trường hợp từ chối hoặc bỏ dở (đã mở đường dẫn nhưng không trả lời) chia cho "
            "mọi trường hợp.",
        ),
        "con1": (
            "Tỷ lệ liên lạc 1",
            "((I + P) + R + O) / ((I + P) + R + O + NC + (UH + UO))",
            "Tỷ lệ trường hợp liên lạc được với người dân (đã mở đường dẫn, trả lời hoặc từ chối).",
        ),
    },
    "en": {
        "rr1": (
            "Response rate 1",
            "I / ((I + P) + (R + NC + O) + (UH + UO))",
            "Complete interviews divided by every eligible case and every case of unknown "
            "eligibility; the most conservative rate.",
        ),
        "rr2": (
            "Response rate 2",
            "(I + P) / ((I + P) + (R + NC + O) + (UH + UO))",
            "As response rate 1, counting partial interviews as respondents.",
        ),
        "coop1": (
            "Cooperation rate 1",
            "I / ((I + P) + R + O)",
            "Of the cases contacted, the share who completed the questionnaire.",
        ),
        "ref1": (
            "Refusal rate 1",
            "R / ((I + P) + (R + NC + O) + (UH + UO))",
            "Refusals and break-offs (link opened, no answer) divided by every case.",
        ),
        "con1": (
            "Contact rate 1",
            "((I + P) + R + O) / ((I + P) + R + O + NC + (UH + UO))",
            "The share of cases in which the citizen was reached (opened the link, answered or "
            "refused).",
        ),
    },
}

RATE_WORDS: Mapping[str, Mapping[str, str]] = {
    "vi": {
        "total": "Tổng cộng",
        "rates_title": "Các tỷ lệ nghĩa là gì (định nghĩa chuẩn AAPOR 2023)",
        "rates_letters": "I: hoàn thành; P: trả lời dở; R: từ chối hoặc bỏ dở; NC: không "
        "liên lạc được; O: lý do khác; UH, UO: chưa rõ có đủ điều kiện không (chưa mời, chờ "
        "gửi). Trường hợp trùng số điện thoại không đủ điều kiện và không được tính.",
    },
    "en": {
        "total": "Total",
        "rates_title": "What the rates mean (AAPOR Standard Definitions, 2023)",
        "rates_letters": "I: complete; P: partial; R: refusal or break-off; NC: non-contact; "
        "O: other; UH, UO: eligibility unknown (not invited, queued). Cases with a duplicate "
        "phone are not eligible and are not counted.",
    },
}

# Names of the staff roles and of the states and severities a page shows; the codes stay in
# the API and the exports.
ROLE_NAMES: Mapping[str, Mapping[str, str]] = {
    "vi": {
        "admin": "quản trị viên",
        "coordinator": "điều phối viên",
        "analyst": "phân tích viên",
        "publisher": "người công bố",
        "interviewer": "điều tra viên",
        "clerk": "nhân viên nhập phiếu",
    },
    "en": {
        "admin": "administrator",
        "coordinator": "coordinator",
        "analyst": "analyst",
        "publisher": "publisher",
        "interviewer": "interviewer",
        "clerk": "data-entry clerk",
    },
}

STATE_NAMES: Mapping[str, Mapping[str, str]] = {
    "vi": {
        "ready": "sẵn sàng",
        "importing": "đang nhập",
        "rejected": "bị từ chối",
        "failed": "lỗi khi nhập",
        "error": "lỗi",
        "warning": "cảnh báo",
        "active": "đang dùng",
        "all": "toàn bộ",
        "seed": "hạt giống",
    },
    "en": {
        "ready": "ready",
        "importing": "importing",
        "rejected": "rejected",
        "failed": "failed",
        "error": "error",
        "warning": "warning",
        "active": "active",
        "all": "all",
        "seed": "seed",
    },
}


def role_name(role: str, lang: str) -> str:
    """A role's name in ``lang`` (the code itself when it has none)."""
    return ROLE_NAMES.get(lang, ROLE_NAMES[DEFAULT_LANGUAGE]).get(role, role)


def state_name(state: str, lang: str) -> str:
    """A status, severity or other short word in ``lang`` (the code when it has none)."""
    return STATE_NAMES.get(lang, STATE_NAMES[DEFAULT_LANGUAGE]).get(state, state)


# The public site of published releases (api.pages.public): no staff words, no sign-in.
PUBLIC_TEXT: Mapping[str, Mapping[str, str]] = {
    "vi": {
        "site": "SIPAS – Chỉ số hài lòng về sự phục vụ hành chính",
        "language_switch": "English",
        "skip": "Chuyển đến nội dung chính",
        "releases": "Các bản công bố chỉ số",
        "none_yet": "Chưa có bản công bố nào.",
        "name": "Tên bản công bố",
        "version": "Phiên bản",
        "published_at": "Ngày công bố",
        "status": "Trạng thái",
        "published": "đã công bố",
        "superseded": "đã được thay thế (xem phiên bản mới hơn)",
        "superseded_notice": "Bản này đã được thay thế bởi một bản đính chính; số liệu dưới đây "
        "được giữ nguyên để đối chiếu.",
        "back": "Các bản công bố",
        "respondents": "Số người trả lời",
        "response_rate": "Tỷ lệ trả lời",
        "national": "Số liệu chung",
        "national_note": "Mỗi ô: tỷ lệ hài lòng và khoảng tin cậy 95 % trong ngoặc.",
        "indicator": "Nội dung",
        "index": "Chỉ số (khoảng tin cậy)",
        "n": "Số người",
        "flag": "Độ tin cậy",
        "suppressed": "ẩn (quá ít người trả lời)",
        "ranking": "Xếp hạng theo chỉ số chung",
        "rank": "Hạng",
        "rank_interval": "Khoảng hạng",
        "tier": "Nhóm",
        "unit": "Đơn vị",
        "by_domain": "Chỉ số chung theo đơn vị",
        "chart_domains": "Chỉ số chung theo đơn vị, từ cao đến thấp, với khoảng tin cậy 95 %",
        "chart_elements": "Chỉ số theo yếu tố, với khoảng tin cậy 95 %",
        "chart_axis": "Tỷ lệ hài lòng (%)",
        "chart_axis_score": "Điểm trung bình (1–5)",
        "chart_suppressed": "Bị ẩn vì quá ít người trả lời:",
        "chart_overall": "Chỉ số chung",
        "cite": "Trích dẫn",
        "sha256": "Mã băm SHA-256",
        "fingerprint": "Dấu vân tay dữ liệu",
        "method": "Phương pháp",
        "method_sampling": "Mẫu được chọn ngẫu nhiên từ danh sách hồ sơ đã giải quyết, theo từng "
        "tầng (cơ quan); mỗi người trả lời có trọng số bằng nghịch đảo xác suất được chọn, điều "
        "chỉnh cho người không trả lời trong từng tầng.",
        "method_suppression": "Để bảo vệ người trả lời, ô có ít hơn {k} người trả lời luôn bị ẩn.",
        "previous_round": "Kỳ trước",
        "previous_note": "So sánh với bản công bố kỳ trước:",
        "no_previous": "Chưa có bản công bố kỳ trước cùng loại để so sánh.",
        "change": "Thay đổi",
        "change_note": "Thay đổi: điểm phần trăm so với kỳ trước, khoảng tin cậy 95 % trong "
        "ngoặc; dấu * là thay đổi có ý nghĩa thống kê.",
        "chart_ranks": "Hạng theo chỉ số chung, với khoảng hạng 95 %",
        "chart_change": "Thay đổi chỉ số chung so với kỳ trước, với khoảng tin cậy 95 %",
        "chart_axis_rank": "Hạng (1 = cao nhất)",
        "chart_axis_change": "Thay đổi (điểm phần trăm)",
        "chart_axis_change_score": "Thay đổi (điểm)",
        "charts": "Biểu đồ",
        "charts_note": "Số liệu của từng biểu đồ có trong các bảng trên trang này.",
        "warning": "Lưu ý",
        "warn_zero_width": "khoảng tin cậy bằng 0: mọi người trả lời như nhau, độ bất định "
        "chưa đo được",
        "warn_unstable": "kém ổn định (hệ số biến thiên cao)",
        "method_intervals": "Khoảng tin cậy 95 % cho biết độ chính xác của ước lượng từ mẫu: với "
        "cách chọn mẫu này, 95 % số khoảng tính được chứa chỉ số thật.",
        "method_ranks_stored": "Khoảng hạng 95 %: {draws} lần mô phỏng từ phân phối chuẩn của "
        "các ước lượng, có tính hiệp phương sai theo thiết kế (hạt giống {seed}); hai đơn vị có "
        "khoảng hạng chồng nhau thì chưa phân biệt được thứ hạng.",
        "method_ranks_simulated": "Khoảng hạng 95 %: tính từ ước lượng và sai số chuẩn đã công "
        "bố, {draws} lần mô phỏng từ phân phối chuẩn, coi các đơn vị là độc lập (hạt giống "
        "{seed}); hai đơn vị có khoảng hạng chồng nhau thì chưa phân biệt được thứ hạng.",
        "method_change": "Thay đổi so với kỳ trước = chỉ số kỳ này trừ chỉ số kỳ trước; sai số "
        "chuẩn của hiệu là căn bậc hai của tổng bình phương hai sai số chuẩn (hai mẫu độc lập).",
        "downloads": "Tải về",
        "not_found": "Không có bản công bố này",
    },
    "en": {
        "site": "SIPAS – Satisfaction Index of Public Administrative Services",
        "language_switch": "Tiếng Việt",
        "skip": "Skip to main content",
        "releases": "Published index releases",
        "none_yet": "Nothing has been published yet.",
        "name": "Release",
        "version": "Version",
        "published_at": "Published",
        "status": "Status",
        "published": "published",
        "superseded": "superseded (see the newer version)",
        "superseded_notice": "This release has been superseded by a correction; its figures "
        "stay here unchanged for reference.",
        "back": "Published releases",
        "respondents": "Respondents",
        "response_rate": "Response rate",
        "national": "Overall figures",
        "national_note": "Each cell: share satisfied, with its 95% confidence interval in "
        "brackets.",
        "indicator": "Item",
        "index": "Index (confidence interval)",
        "n": "Respondents",
        "flag": "Reliability",
        "suppressed": "suppressed (too few respondents)",
        "ranking": "Ranking on the overall index",
        "rank": "Rank",
        "rank_interval": "Rank interval",
        "tier": "Tier",
        "unit": "Unit",
        "by_domain": "Overall index by unit",
        "chart_domains": "Overall index by unit, highest first, with 95% confidence intervals",
        "chart_elements": "Index by element, with 95% confidence intervals",
        "chart_axis": "Share satisfied (%)",
        "chart_axis_score": "Mean score (1–5)",
        "chart_suppressed": "Suppressed (too few respondents):",
        "chart_overall": "Overall index",
        "cite": "Citation",
        "sha256": "SHA-256",
        "fingerprint": "Data fingerprint",
        "method": "Method",
        "method_sampling": "A random sample is drawn from the list of completed dossiers, "
        "stratum by stratum (agency); each respondent is weighted by the inverse of their "
        "probability of selection, adjusted for non-response within each stratum.",
        "method_suppression": "To protect respondents, cells of fewer than {k} respondents are "
        "always suppressed.",
        "previous_round": "Previous round",
        "previous_note": "Compared with the previous round's release:",
        "no_previous": "There is no earlier comparable release to compare with.",
        "change": "Change",
        "change_note": "Change: percentage points since the previous round, 95% confidence "
        "interval in brackets; * marks a statistically significant change.",
        "chart_ranks": "Rank on the overall index, with 95% rank intervals",
        "chart_change": "Change in the overall index since the previous round, with 95% "
        "confidence intervals",
        "chart_axis_rank": "Rank (1 = highest)",
        "chart_axis_change": "Change (percentage points)",
        "chart_axis_change_score": "Change (points)",
        "charts": "Charts",
        "charts_note": "Each chart's figures are in the tables on this page.",
        "warning": "Note",
        "warn_zero_width": "zero-width interval: every respondent answered alike, so the "
        "uncertainty is not measured",
        "warn_unstable": "unstable (high coefficient of variation)",
        "method_intervals": "A 95% confidence interval shows how precise an estimate from the "
        "sample is: with this sampling method, 95% of such intervals contain the true index.",
        "method_ranks_stored": "95% rank intervals: {draws} draws from the normal distribution "
        "of the estimates, with their design covariance (seed {seed}); units whose rank "
        "intervals overlap cannot be told apart.",
        "method_ranks_simulated": "95% rank intervals: from the published estimates and "
        "standard errors, {draws} draws from the normal distribution, units taken as "
        "independent (seed {seed}); units whose rank intervals overlap cannot be told apart.",
        "method_change": "Change since the previous round = this round's index minus the "
        "previous one; the SE of the difference is the square root of the sum of the two "
        "squared SEs (independent samples).",
        "downloads": "Downloads",
        "not_found": "No such release",
    },
}
