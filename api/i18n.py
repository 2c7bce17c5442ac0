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
        "interview_assign_link": "Giao phỏng vấn (điện thoại, gặp trực tiếp)",
        "entry_progress_link": "Nhập phiếu giấy: tiến độ và phiếu cần đối chiếu",
        "nav_home": "Trang chủ",
        "nav_frames": "Danh sách hồ sơ",
        "nav_designs": "Thiết kế mẫu",
        "nav_draws": "Các lần chọn mẫu",
        "nav_campaigns": "Đợt khảo sát",
        "nav_releases": "Công bố chỉ số",
        "nav_dashboard": "Bảng phân tích",
        "nav_entry": "Nhập phiếu giấy",
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
        "size_rule": "Công thức đổi sai số mục tiêu thành cỡ mẫu",
        "sr_cochran": "Cochran: n0 = z² p(1 − p) / e², có hiệu chỉnh tổng thể hữu hạn; dùng p và "
        "độ tin cậy đã nhập",
        "sr_yamane": "Yamane: n = N / (1 + N e²), công thức cũ của Bộ Nội vụ; giả định p = 0,5 "
        "và độ tin cậy 95 % (z = 2, đúng ra là 95,45 %)",
        "size_rule_hint": "Chỉ dùng khi nhập sai số mục tiêu. Với công thức nào thì sai số dự kiến "
        "bên dưới cũng tính từ chính cỡ mẫu đó, theo p, độ tin cậy và hệ số thiết kế đã nhập.",
        "size_rule_used": "Cỡ mẫu tính theo",
        "sr_used_cochran": "công thức Cochran",
        "sr_used_yamane": "công thức Yamane, n = N / (1 + N e²)",
        "sr_used_n_total": "cỡ mẫu nhập trực tiếp",
        "domain_target": "Sai số mục tiêu cho từng nhóm (cơ quan, tỉnh), ví dụ 0,10",
        "domain_target_name": "Sai số mục tiêu cho từng nhóm",
        "domain_target_hint": "Để trống thì dùng sai số mục tiêu của thiết kế. Nhóm nào có sai số "
        "dự kiến lớn hơn sẽ được đánh dấu, kèm số người trả lời cần có.",
        "expected_respondents": "Số người trả lời dự kiến",
        "respondents_needed": "Cần có (người trả lời / hồ sơ)",
        "dom_target_col": "Đạt ±{target}?",
        "dom_reaches": "đạt",
        "dom_misses": "không đạt",
        "dom_noun_agency_code": "cơ quan",
        "dom_noun_province_code": "tỉnh",
        "dom_miss": "{missing} trên {total} {noun} không đạt ±{target}: sai số dự kiến {range}",
        "dom_reach": "Cả {total} {noun} đều đạt ±{target} (sai số dự kiến {range})",
        "dom_plain": "{total} {noun}: sai số dự kiến {range}",
        "dom_no_sample": "{n} nhóm không có người trả lời dự kiến",
        "dom_unbounded": "không xác định (không có người trả lời)",
        "dom_misses_title": "Thiết kế này không đạt sai số mục tiêu ở từng nhóm",
        "dom_misses_body": "Sai số ±{target} chỉ đúng cho toàn bộ mẫu, không cho từng cơ quan hay "
        "tỉnh dưới đây. So sánh hay xếp hạng các nhóm này sẽ dựa trên quá ít câu trả lời: tăng cỡ "
        "mẫu, đặt sai số cho từng tầng, hoặc công bố kèm sai số của từng nhóm.",
        "draw_precision_hint": "Số người trả lời dự kiến = số hồ sơ được mời trong mẫu đã chọn × "
        "tỷ lệ trả lời {rate} của thiết kế.",
        "download_precision_csv": "Độ chính xác theo nhóm (CSV)",
        "download_precision_xlsx": "Độ chính xác theo nhóm (XLSX, kèm các dòng tóm tắt)",
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
        "audit_actor_system": "hệ thống",
        "audit_actor_command_line": "dòng lệnh trên máy chủ",
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
        "interview_assign_link": "Assign interviews (phone, face to face)",
        "entry_progress_link": "Paper form entry: progress and forms to compare",
        "nav_home": "Home",
        "nav_frames": "Frames",
        "nav_designs": "Designs",
        "nav_draws": "Draws",
        "nav_campaigns": "Campaigns",
        "nav_releases": "Index releases",
        "nav_dashboard": "Analysis dashboard",
        "nav_entry": "Paper form entry",
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
        "size_rule": "Rule that turns the target margin into a sample size",
        "sr_cochran": "Cochran: n0 = z² p(1 − p) / e², with the finite population correction; "
        "uses the p and confidence given",
        "sr_yamane": "Yamane: n = N / (1 + N e²), MoHA's legacy rule; assumes p = 0.5 and 95% "
        "confidence (z = 2, strictly 95.45%)",
        "size_rule_hint": "Used only with a target margin. Whichever rule, the expected margins "
        "below are computed from the sample size itself, at the p, confidence and design effect "
        "given.",
        "size_rule_used": "Sample size by",
        "sr_used_cochran": "Cochran's formula",
        "sr_used_yamane": "Yamane's formula, n = N / (1 + N e²)",
        "sr_used_n_total": "a size given directly",
        "domain_target": "Target margin for each domain (agency, province), e.g. 0.10",
        "domain_target_name": "Target margin for each domain",
        "domain_target_hint": "Empty: the design's target margin. Domains whose expected margin "
        "is wider are flagged, with the respondents they would need.",
        "expected_respondents": "Expected respondents",
        "respondents_needed": "Needed (respondents / dossiers)",
        "dom_target_col": "Reaches ±{target}?",
        "dom_reaches": "yes",
        "dom_misses": "misses",
        "dom_noun_agency_code": "agencies",
        "dom_noun_province_code": "provinces",
        "dom_miss": "{missing} of {total} {noun} miss ±{target}: expected {range}",
        "dom_reach": "All {total} {noun} reach ±{target} (expected {range})",
        "dom_plain": "{total} {noun}: expected {range}",
        "dom_no_sample": "{n} with no respondent expected",
        "dom_unbounded": "unbounded (no respondent)",
        "dom_misses_title": "This design misses its target margin in its domains",
        "dom_misses_body": "The ±{target} holds for the whole sample, not for each agency or "
        "province below. Comparing or ranking them would rest on too few answers: enlarge the "
        "sample, set a margin for each stratum, or publish each domain's margin with it.",
        "draw_precision_hint": "Expected respondents = the invited dossiers drawn × the design's "
        "response rate of {rate}.",
        "download_precision_csv": "Precision by domain (CSV)",
        "download_precision_xlsx": "Precision by domain (XLSX, with the summary lines)",
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
        "audit_actor_system": "system",
        "audit_actor_command_line": "command line on the server",
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
        "warn_zero_width": "khoảng tin cậy bằng 0: sai số chuẩn theo thiết kế bằng 0 (cả tầng "
        "đều trả lời, hoặc mọi người trả lời như nhau), nên độ bất định chưa đo được",
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
        "doc_pdf": "Báo cáo đầy đủ, có biểu đồ và ghi chú phương pháp",
        "doc_xlsx": "Bảng tính, mỗi bảng một trang, kèm phương pháp",
        "doc_csv": "Số liệu dạng bảng",
        "doc_csv_named": "Số liệu dạng bảng, tiêu đề tiếng Việt và tên đơn vị bên cạnh mã",
        "doc_dictionary": "Từ điển dữ liệu của tệp CSV (tên, nhãn, kiểu, đơn vị từng cột)",
        "doc_json": "Dữ liệu cho máy đọc, kèm nội dung được băm SHA-256",
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
        "warn_zero_width": "zero-width interval: the design SE is 0 (the whole stratum "
        "answered, or every respondent answered alike), so the uncertainty is not measured",
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
        "doc_pdf": "Full report with charts and method note",
        "doc_xlsx": "Workbook, one sheet per table, with the method",
        "doc_csv": "Figures as a table",
        "doc_csv_named": "Figures as a table, English headers and unit names beside the codes",
        "doc_dictionary": "Data dictionary of the CSV (name, labels, type, unit of each column)",
        "doc_json": "Machine-readable data with the SHA-256-hashed content",
        "not_found": "No such release",
    },
}

# Words of the short-link page of a printed letter (api/pages/short_links.py).
SHORT_LINK_TEXT: Mapping[str, Mapping[str, str]] = {
    "vi": {
        "code_title": "Nhập mã trên thư mời",
        "code_hint": "Gõ {n} chữ và số in trên thư, sau “/m/”. Không phân biệt chữ hoa, chữ "
        "thường; có hay không có dấu gạch ngang đều được.",
        "malformed": "Mã chưa đúng: mã gồm 26 chữ và số in trên thư. Xin kiểm tra và gõ lại đủ "
        "cả mã.",
        "unknown": "Không tìm thấy mã này. Xin kiểm tra lại từng chữ trên thư; nếu đã nhận thư "
        "mới, xin dùng mã trên thư mới.",
    },
    "en": {
        "code_title": "Type the code from your letter",
        "code_hint": "Type the {n} letters and digits printed on the letter after “/m/”. Capital "
        "or small letters, with or without dashes: all work.",
        "malformed": "That is not a complete code: it has 26 letters and digits as printed on "
        "the letter. Check it and type it again.",
        "unknown": "This code was not found. Check each character against the letter; if you "
        "received a newer letter, use the code on that one.",
    },
}

# Words of the interview pages (api/pages/interviews.py): the interviewer's call list, cases
# and questionnaire, and the coordinator's assignment page.
INTERVIEW_TEXT: Mapping[str, Mapping[str, str]] = {
    "vi": {
        "list_title": "Danh sách phỏng vấn của tôi",
        "list_intro": "Trường hợp đến hạn gọi lại ở trên cùng, sau đó là trường hợp chưa liên hệ.",
        "list_empty": "Chưa có trường hợp nào được giao cho bạn.",
        "case": "Trường hợp",
        "contact": "Liên hệ",
        "agency": "Cơ quan giải quyết hồ sơ",
        "field": "Lĩnh vực",
        "attempts": "Số lần liên hệ",
        "callback": "Hẹn lại",
        "status": "Tình trạng",
        "due": "Đến hạn",
        "open": "Mở",
        "mode": "Hình thức",
        "phone": "Số điện thoại",
        "name": "Họ tên",
        "address": "Địa chỉ",
        "mode_phone": "Điện thoại",
        "mode_face_to_face": "Gặp trực tiếp",
        "status_open": "Đang thực hiện",
        "status_completed": "Đã hoàn thành",
        "status_closed": "Đã kết thúc",
        "status_answered_elsewhere": "Đã trả lời theo hình thức khác",
        "history": "Các lần liên hệ",
        "attempt_number": "Lần",
        "outcome": "Kết quả",
        "when": "Thời gian",
        "record_title": "Ghi kết quả lần liên hệ này",
        "callback_label": "Hẹn lại vào (ngày và giờ, không bắt buộc)",
        "callback_hint": "Chỉ với kết quả tạm thời; trước khi kết thúc đợt khảo sát.",
        "record": "Ghi kết quả",
        "max_attempts": "Tối đa {n} lần liên hệ",
        "start": "Bắt đầu phỏng vấn",
        "resume": "Tiếp tục phỏng vấn",
        "back_to_list": "Về danh sách",
        "part": "Phần {n}/{total}",
        "read_aloud": "Đọc:",
        "read_scale": "Xin ông/bà cho biết mức độ hài lòng với từng nội dung sau, từ 1 là rất "
        "không hài lòng đến 5 là rất hài lòng.",
        "do_not_read": "không đọc",
        "save_continue": "Lưu và tiếp tục",
        "back": "Quay lại",
        "review_title": "Kiểm tra trước khi kết thúc",
        "review_intro": "Sau khi ghi nhận, câu trả lời được chuyển đi và bạn không mở lại được.",
        "change": "Sửa",
        "no_answer": "Chưa trả lời",
        "complete": "Kết thúc và ghi nhận phỏng vấn",
        "done": "Phỏng vấn đã được ghi nhận. Câu trả lời không còn hiển thị ở đây.",
        "answered_elsewhere": "Người này đã trả lời theo hình thức khác: trường hợp đã đóng.",
        "closed_case": "Trường hợp này đã kết thúc: không ghi thêm được.",
        "choose_outcome": "Hãy chọn kết quả của lần liên hệ",
        "callback_format": "Hãy ghi ngày giờ hẹn lại, ví dụ 2026-03-02 14:30",
        "callback_past": "Giờ hẹn lại đã qua: hãy chọn thời điểm sau bây giờ",
        "callback_after": "Giờ hẹn lại sau khi kết thúc đợt khảo sát: hãy chọn sớm hơn",
        "callback_final": "Kết quả này kết thúc trường hợp: hãy để trống giờ hẹn lại",
        "choose_criterion": "Hãy chọn một mức, hoặc “Không áp dụng / Không biết”",
        "choose_option": "Hãy chọn một câu trả lời",
        "answer_required": "Hãy ghi câu trả lời",
        "too_long": "Câu trả lời quá dài",
        "missing": "Còn câu chưa trả lời: bấm “Sửa” để hỏi tiếp",
        "optional": "(không bắt buộc)",
        "assign_title": "Giao phỏng vấn",
        "assign_intro": "Chọn điều tra viên, hình thức và các trường hợp chưa trả lời, chưa giao. "
        "Gọi điện cần số điện thoại; gặp trực tiếp cần địa chỉ.",
        "interviewer": "Điều tra viên",
        "no_interviewers": "Chưa có tài khoản điều tra viên: nhờ quản trị viên tạo.",
        "max_attempts_label": "Số lần liên hệ tối đa",
        "cases_label": "Trường hợp",
        "no_cases": "Không còn trường hợp nào để giao.",
        "assign": "Giao",
        "assigned_title": "Đã giao",
        "dossier": "Mã hồ sơ",
        "channel": "Kênh mời",
        "final_code": "Kết quả cuối",
        "tick_one": "Hãy chọn ít nhất một trường hợp",
        "choose_interviewer": "Hãy chọn một điều tra viên đang hoạt động",
        "choose_mode": "Hãy chọn điện thoại hoặc gặp trực tiếp",
        "max_attempts_range": "Số lần liên hệ tối đa là số nguyên từ 1 đến 20",
        "reason_assigned": "trường hợp {n} đã được giao",
        "reason_completed": "trường hợp {n} đã có câu trả lời",
        "reason_opted_out": "trường hợp {n}: người này đã từ chối liên hệ",
        "reason_revoked": "trường hợp {n}: lời mời đã bị huỷ",
        "reason_expired": "trường hợp {n}: đã hết thời gian khảo sát",
        "reason_no_phone": "trường hợp {n} không có số điện thoại",
        "reason_no_address": "trường hợp {n} không có địa chỉ",
        "reason_unknown": "không có trường hợp {n} trong đợt khảo sát này",
        "assign_link": "Giao phỏng vấn (điện thoại, gặp trực tiếp)",
    },
    "en": {
        "list_title": "My interviews",
        "list_intro": "Callbacks that are due come first, then cases not yet contacted.",
        "list_empty": "No case has been assigned to you yet.",
        "case": "Case",
        "contact": "Contact",
        "agency": "Agency that handled the dossier",
        "field": "Field",
        "attempts": "Attempts",
        "callback": "Callback",
        "status": "Status",
        "due": "Due",
        "open": "Open",
        "mode": "Mode",
        "phone": "Phone",
        "name": "Name",
        "address": "Address",
        "mode_phone": "Phone",
        "mode_face_to_face": "Face to face",
        "status_open": "In progress",
        "status_completed": "Completed",
        "status_closed": "Closed",
        "status_answered_elsewhere": "Answered in another mode",
        "history": "Attempts so far",
        "attempt_number": "No.",
        "outcome": "Outcome",
        "when": "When",
        "record_title": "Record this attempt",
        "callback_label": "Call back at (date and time, optional)",
        "callback_hint": "Only with a temporary outcome; before the field period ends.",
        "record": "Record outcome",
        "max_attempts": "At most {n} attempts",
        "start": "Start the interview",
        "resume": "Continue the interview",
        "back_to_list": "Back to the list",
        "part": "Part {n} of {total}",
        "read_aloud": "Read:",
        "read_scale": "Please tell me how satisfied you are with each of the following, from 1, "
        "very dissatisfied, to 5, very satisfied.",
        "do_not_read": "do not read",
        "save_continue": "Save and continue",
        "back": "Back",
        "review_title": "Check before finishing",
        "review_intro": "Once recorded, the answers are sent on and you cannot open them again.",
        "change": "Change",
        "no_answer": "Not answered",
        "complete": "Finish and record the interview",
        "done": "The interview was recorded. Its answers are no longer shown here.",
        "answered_elsewhere": "This person answered in another mode: the case is closed.",
        "closed_case": "This case is closed: nothing more can be recorded.",
        "choose_outcome": "Choose the outcome of this attempt",
        "callback_format": "Write the callback date and time, e.g. 2026-03-02 14:30",
        "callback_past": "The callback time has passed: choose a later time",
        "callback_after": "The callback is after the field period: choose an earlier time",
        "callback_final": "This outcome closes the case: leave the callback empty",
        "choose_criterion": "Choose a level, or “Not applicable / Don't know”",
        "choose_option": "Choose one of the answers",
        "answer_required": "Write the answer",
        "too_long": "The answer is too long",
        "missing": "Some questions are not answered: use “Change” to ask them",
        "optional": "(optional)",
        "assign_title": "Assign interviews",
        "assign_intro": "Choose an interviewer, a mode and cases with no response and no "
        "assignment yet. Calls need a phone number; visits need an address.",
        "interviewer": "Interviewer",
        "no_interviewers": "There is no interviewer account yet: ask an administrator.",
        "max_attempts_label": "Most attempts",
        "cases_label": "Cases",
        "no_cases": "No case is left to assign.",
        "assign": "Assign",
        "assigned_title": "Assigned",
        "dossier": "Dossier code",
        "channel": "Invited by",
        "final_code": "Final outcome",
        "tick_one": "Tick at least one case",
        "choose_interviewer": "Choose an active interviewer",
        "choose_mode": "Choose phone or face to face",
        "max_attempts_range": "Most attempts is a whole number from 1 to 20",
        "reason_assigned": "case {n} is assigned already",
        "reason_completed": "case {n} already has a response",
        "reason_opted_out": "case {n}: the person asked not to be contacted",
        "reason_revoked": "case {n}: the invitation was revoked",
        "reason_expired": "case {n}: the field period is over",
        "reason_no_phone": "case {n} has no phone number",
        "reason_no_address": "case {n} has no address",
        "reason_unknown": "there is no case {n} in this campaign",
        "assign_link": "Assign interviews (phone, face to face)",
    },
}

BACKCHECK_TEXT: Mapping[str, Mapping[str, str]] = {
    "vi": {
        "title": "Phúc tra phiếu",
        "link": "Phúc tra phiếu do cán bộ thu thập",
        "back": "Về đợt khảo sát",
        "intro": "Một mẫu ngẫu nhiên phiếu của mỗi cán bộ nhập liệu và điều tra viên được chọn để "
        "liên hệ lại người dân: hỏi xem cuộc phỏng vấn (hoặc phiếu giấy) có thật không. Trang này "
        "không hiển thị câu trả lời.",
        "rate": "Tỷ lệ phúc tra",
        "rate_label": "Tỷ lệ phúc tra (%)",
        "rate_hint": "Phiếu đầu tiên của mỗi người luôn được chọn; các phiếu sau được chọn ngẫu "
        "nhiên theo tỷ lệ này.",
        "rate_save": "Lưu tỷ lệ",
        "rate_invalid": "Nhập một số phần trăm lớn hơn 0 và không quá 100, ví dụ 10",
        "collectors": "Theo người thu thập",
        "collector": "Người thu thập",
        "forms": "Phiếu đã thu",
        "selected": "Được chọn phúc tra",
        "checked": "Đã phúc tra",
        "failed": "Không đạt",
        "cases": "Phiếu được chọn",
        "none": "Chưa có phiếu nào được chọn phúc tra.",
        "mode": "Hình thức",
        "mode_paper": "Phiếu giấy",
        "mode_phone": "Điện thoại",
        "mode_face_to_face": "Trực tiếp",
        "contact": "Liên hệ",
        "form_number": "Số phiếu",
        "agency": "Cơ quan",
        "purged": "Đã xoá thông tin liên hệ",
        "outcome": "Kết quả phúc tra",
        "outcome_none": "Chưa phúc tra",
        "outcome_confirmed": "Xác nhận đúng",
        "outcome_not_done": "Không có cuộc phỏng vấn / không điền phiếu",
        "outcome_answers_differ": "Câu trả lời khác",
        "outcome_unreachable": "Không liên lạc được",
        "outcome_missing": "Chọn một kết quả phúc tra",
        "note": "Ghi chú (không bắt buộc)",
        "record": "Ghi kết quả",
        "flagged": "Không đạt phúc tra",
        "decision": "Quyết định",
        "decision_excluded": "Đã loại khỏi kết quả",
        "decision_kept": "Giữ lại",
        "reason": "Lý do",
        "reason_missing": "Ghi lý do loại hoặc giữ lại phiếu",
        "exclude": "Loại khỏi kết quả",
        "keep": "Giữ lại phiếu",
        "excluded_count": "Phiếu đã loại khỏi kết quả",
    },
    "en": {
        "title": "Back-checks",
        "link": "Back-checks of forms collected by staff",
        "back": "Back to the campaign",
        "intro": "A random sample of each clerk's and interviewer's forms is drawn for re-contact: "
        "ask the person whether the interview (or the paper form) really took place. This page "
        "never shows the answers.",
        "rate": "Back-check rate",
        "rate_label": "Back-check rate (%)",
        "rate_hint": "Each collector's first form is always drawn; later forms at random at this "
        "rate.",
        "rate_save": "Save the rate",
        "rate_invalid": "Enter a percentage above 0 and at most 100, e.g. 10",
        "collectors": "By collector",
        "collector": "Collector",
        "forms": "Forms collected",
        "selected": "Drawn for back-check",
        "checked": "Checked",
        "failed": "Failed",
        "cases": "Drawn forms",
        "none": "No form has been drawn for back-check yet.",
        "mode": "Mode",
        "mode_paper": "Paper",
        "mode_phone": "Phone",
        "mode_face_to_face": "Face to face",
        "contact": "Contact",
        "form_number": "Form number",
        "agency": "Agency",
        "purged": "Contacts purged",
        "outcome": "Back-check outcome",
        "outcome_none": "Not checked yet",
        "outcome_confirmed": "Confirmed",
        "outcome_not_done": "Interview not done / form not filled",
        "outcome_answers_differ": "Answers differ",
        "outcome_unreachable": "Could not reach",
        "outcome_missing": "Choose a back-check outcome",
        "note": "Note (optional)",
        "record": "Record the outcome",
        "flagged": "Failed back-check",
        "decision": "Decision",
        "decision_excluded": "Excluded from results",
        "decision_kept": "Kept",
        "reason": "Reason",
        "reason_missing": "Give the reason for excluding or keeping the form",
        "exclude": "Exclude from results",
        "keep": "Keep the form",
        "excluded_count": "Forms excluded from results",
    },
}

# Words of the data-entry pages (api/pages/data_entry.py): clerks keying paper forms, and the
# supervisor's progress, disagreements and resolution.
DATA_ENTRY_TEXT: Mapping[str, Mapping[str, str]] = {
    "vi": {
        "start_title": "Nhập phiếu giấy",
        "start_intro": "Gõ số phiếu in dưới mã QR ở đầu phiếu (10 chữ số, có hoặc không có "
        "dấu gạch), rồi nhấn Enter.",
        "form_number": "Số phiếu",
        "open_form": "Mở phiếu",
        "done_keyed_once": "Đã lưu lần nhập thứ nhất của phiếu {form}. Phiếu cần một người "
        "khác nhập lần thứ hai.",
        "done_completed": "Phiếu {form}: hai lần nhập khớp nhau, phiếu đã thành câu trả lời.",
        "done_disagreement": "Phiếu {form}: hai lần nhập khác nhau ở {n} câu; giám sát viên "
        "sẽ đối chiếu.",
        "form_title": "Phiếu {form}",
        "round": "Lần nhập thứ {n}",
        "round_two_note": "Lần nhập thứ nhất do người khác thực hiện và không được hiển thị.",
        "keys_help": "Gõ số của ô được đánh dấu trên phiếu. Câu 1–5: 0 = không áp dụng / "
        "không biết. 9 = để trống. Nhiều lựa chọn: gõ liền các số, ví dụ 13. Câu hỏi người "
        "trả lời được hướng dẫn bỏ qua thì để trống. Tab để sang ô kế tiếp.",
        "campaign": "Đợt khảo sát",
        "agency": "Cơ quan",
        "question": "Câu hỏi",
        "value": "Giá trị",
        "keys": "Phím",
        "blank_key": "9 = để trống",
        "na_key": "0 = không áp dụng",
        "save_keying": "Lưu lần nhập",
        "question_no": "Câu {n}",
        "rule_blank": "{label}: chưa gõ. Gõ số của ô được đánh dấu, hoặc 9 nếu để trống.",
        "rule_scale": "{label}: gõ từ 1 đến 5, 0 nếu chọn “Không áp dụng”, 9 nếu để trống.",
        "rule_option": "{label}: gõ số của ô được đánh dấu ({keys}), hoặc 9 nếu để trống.",
        "rule_options": "{label}: gõ các số được đánh dấu ({keys}), ví dụ 13, hoặc 9 nếu "
        "không đánh dấu ô nào.",
        "rule_too_long": "{label}: dài quá {limit} ký tự; gõ lại đúng như trên phiếu.",
        "rule_required": "{label}: câu bắt buộc nhưng phiếu để trống; hỏi giám sát viên cách nhập.",
        "refused_answered": "Người dân này đã trả lời (trực tuyến, qua điện thoại hoặc trên "
        "giấy). Không nhập phiếu này: để riêng cho giám sát viên.",
        "refused_completed": "Phiếu này đã được nhập đủ hai lần và đã thành câu trả lời. Hãy "
        "nhập phiếu tiếp theo.",
        "refused_same_clerk": "Bạn đã nhập phiếu này rồi. Lần nhập thứ hai phải do một người "
        "khác: chuyển phiếu cho đồng nghiệp.",
        "refused_keyed_twice": "Phiếu này đã được nhập đủ hai lần; giám sát viên đang đối "
        "chiếu chỗ khác nhau. Hãy nhập phiếu tiếp theo.",
        "refused_not_active": "Đợt khảo sát của phiếu này không còn đang thu thập; hỏi điều "
        "phối viên.",
        "refused_race": "Một người khác vừa nhập phiếu này cùng lúc. Mở lại phiếu để xem còn "
        "cần nhập không.",
        "number_invalid": "Số phiếu không đúng: gõ đủ 10 chữ số in trên phiếu và kiểm tra "
        "từng chữ số (có thể bị đảo hai chữ số).",
        "number_unknown": "Không có phiếu số {form} trong các phiếu bạn được nhập. Kiểm tra "
        "lại số trên phiếu, hoặc hỏi điều phối viên.",
        "campaigns_title": "Tiến độ nhập phiếu giấy",
        "keyed_once": "Đã nhập 1 lần",
        "keyed_twice": "Đã nhập 2 lần",
        "disagreement": "Đang khác nhau",
        "resolved": "Đã đối chiếu",
        "agreed": "Khớp ngay",
        "responses": "Thành câu trả lời",
        "clerks_title": "Chất lượng nhập theo người nhập",
        "clerk": "Người nhập",
        "keyings": "Số lần nhập",
        "compared": "Phiếu đã so sánh",
        "disagreement_rate": "Tỷ lệ phiếu khác nhau",
        "error_rate": "Tỷ lệ ô sai so với kết quả cuối",
        "rates_note": "Tỷ lệ phiếu khác nhau: trong các phiếu đã nhập hai lần, tỷ lệ phiếu mà "
        "hai lần nhập khác nhau ít nhất một câu. Tỷ lệ ô sai: trong các ô người này nhập ở "
        "phiếu đã thành câu trả lời, tỷ lệ ô khác giá trị cuối cùng.",
        "disagreements_title": "Phiếu có chỗ khác nhau",
        "no_disagreements": "Không có phiếu nào đang chờ đối chiếu.",
        "differing": "Câu khác nhau",
        "resolve": "Đối chiếu",
        "disagreement_title": "Đối chiếu phiếu {form}",
        "disagreement_intro": "Chỉ hiện các câu mà hai lần nhập khác nhau. Xem phiếu giấy, "
        "chọn giá trị đúng hoặc gõ giá trị khác.",
        "first_keying": "Lần nhập 1 ({clerk})",
        "second_keying": "Lần nhập 2 ({clerk})",
        "other_value": "Giá trị khác",
        "blank_value": "(để trống)",
        "save_resolution": "Lưu và tạo câu trả lời",
        "resolved_notice": "Đã đối chiếu phiếu {form}; phiếu đã thành câu trả lời.",
        "choose_value": "{label}: chọn một trong hai giá trị, hoặc chọn “Giá trị khác” và gõ "
        "giá trị đúng.",
        "none_yet": "Chưa có phiếu giấy nào được nhập.",
        "open_progress": "Xem tiến độ",
    },
    "en": {
        "start_title": "Key paper forms",
        "start_intro": "Type the form number printed under the QR code at the top of the form "
        "(10 digits, with or without the dash), then press Enter.",
        "form_number": "Form number",
        "open_form": "Open the form",
        "done_keyed_once": "First keying of form {form} saved. Someone else must key it a "
        "second time.",
        "done_completed": "Form {form}: both keyings agree; the form is now a response.",
        "done_disagreement": "Form {form}: the keyings differ on {n} items; a supervisor will "
        "compare them.",
        "form_title": "Form {form}",
        "round": "Keying {n}",
        "round_two_note": "The first keying was done by someone else and is not shown.",
        "keys_help": "Type the number of the ticked box. 1–5 questions: 0 = not applicable / "
        "don't know. 9 = left blank. Several answers: type the numbers together, e.g. 13. "
        "Leave empty the questions the form told the person to skip. Tab moves to the next box.",
        "campaign": "Campaign",
        "agency": "Agency",
        "question": "Question",
        "value": "Value",
        "keys": "Keys",
        "blank_key": "9 = left blank",
        "na_key": "0 = not applicable",
        "save_keying": "Save keying",
        "question_no": "Question {n}",
        "rule_blank": "{label}: nothing typed. Type the number of the ticked box, or 9 if it "
        "was left blank.",
        "rule_scale": "{label}: type 1 to 5, 0 for “not applicable”, or 9 if it was left blank.",
        "rule_option": "{label}: type the number of the ticked box ({keys}), or 9 if it was "
        "left blank.",
        "rule_options": "{label}: type the numbers of the ticked boxes ({keys}), e.g. 13, or 9 "
        "if none was ticked.",
        "rule_too_long": "{label}: longer than {limit} characters; type it again as written.",
        "rule_required": "{label}: this question must be answered but the form is blank; ask "
        "a supervisor what to key.",
        "refused_answered": "This person has already answered (online, by phone or on paper). "
        "Do not key this form: put it aside for the supervisor.",
        "refused_completed": "This form was keyed twice and is a response already. Key the "
        "next form.",
        "refused_same_clerk": "You keyed this form already. The second keying must be by "
        "someone else: pass the form to a colleague.",
        "refused_keyed_twice": "This form was keyed twice; a supervisor is comparing the "
        "differences. Key the next form.",
        "refused_not_active": "The campaign of this form is not collecting any more; ask the "
        "coordinator.",
        "refused_race": "Someone else keyed this form at the same moment. Open it again to see "
        "whether it still needs keying.",
        "number_invalid": "This form number is not right: type all 10 digits printed on the "
        "form and check each digit (two may be swapped).",
        "number_unknown": "There is no form {form} among the forms you may key. Check the "
        "number on the form, or ask the coordinator.",
        "campaigns_title": "Paper form entry progress",
        "keyed_once": "Keyed once",
        "keyed_twice": "Keyed twice",
        "disagreement": "In disagreement",
        "resolved": "Resolved",
        "agreed": "Agreed at once",
        "responses": "Became responses",
        "clerks_title": "Keying quality by clerk",
        "clerk": "Clerk",
        "keyings": "Keyings",
        "compared": "Forms compared",
        "disagreement_rate": "Forms in disagreement",
        "error_rate": "Items differing from the final value",
        "rates_note": "Forms in disagreement: among forms keyed twice, the share whose two "
        "keyings differ on at least one item. Items differing: among the items this clerk "
        "keyed on forms that became responses, the share that differ from the final value.",
        "disagreements_title": "Forms in disagreement",
        "no_disagreements": "No form is waiting for comparison.",
        "differing": "Differing items",
        "resolve": "Compare",
        "disagreement_title": "Compare form {form}",
        "disagreement_intro": "Only the items the two keyings differ on are shown. Look at the "
        "paper form, choose the right value or type another.",
        "first_keying": "Keying 1 ({clerk})",
        "second_keying": "Keying 2 ({clerk})",
        "other_value": "Another value",
        "blank_value": "(left blank)",
        "save_resolution": "Save and make the response",
        "resolved_notice": "Form {form} compared; it is now a response.",
        "choose_value": "{label}: choose one of the two values, or choose “Another value” and "
        "type the right one.",
        "none_yet": "No paper form has been keyed yet.",
        "open_progress": "See progress",
    },
}


# The analyst dashboard (/staff/dashboard); chart and table words come from PUBLIC_TEXT.
DASHBOARD_TEXT: Mapping[str, Mapping[str, str]] = {
    "vi": {
        "dashboard": "Bảng điều khiển phân tích",
        "choose": "Chọn",
        "campaign": "Đợt khảo sát",
        "release": "Bản tính chỉ số",
        "compare": "So sánh với",
        "compare_auto": "Kỳ trước (tự động, bản đã công bố)",
        "domain": "Đơn vị",
        "domain_all": "Tất cả",
        "show": "Xem",
        "choose_campaign_first": "Chọn một đợt khảo sát, rồi một bản tính chỉ số của đợt đó.",
        "no_releases": "Đợt này chưa có bản tính chỉ số nào.",
        "status": "Trạng thái",
        "warnings": "Khoảng tin cậy cần lưu ý",
        "warnings_none": "Không có khoảng tin cậy bằng 0 hay kém ổn định.",
        "warnings_note": "Khoảng bằng 0 không có nghĩa là chính xác tuyệt đối: sai số chuẩn "
        "theo thiết kế bằng 0 khi cả tầng đều trả lời hoặc mọi người trả lời như nhau, nhưng "
        "sai số không do chọn mẫu (ví dụ người không trả lời) vẫn còn; kém ổn định là hệ số "
        "biến thiên vượt ngưỡng của quy tắc độ tin cậy.",
        "compared_with": "So sánh với",
        "profile": "Các yếu tố và tiêu chí của đơn vị",
        "downloads": "Tải về",
        "doc_csv": "Bảng số liệu (CSV)",
        "doc_xlsx": "Sổ tính (XLSX)",
        "doc_pdf": "Báo cáo (PDF)",
        "doc_json": "Dữ liệu máy đọc (JSON)",
        "doc_dictionary": "Từ điển dữ liệu (CSV)",
        "open_release": "Mở trang bản tính",
    },
    "en": {
        "dashboard": "Analysis dashboard",
        "choose": "Choose",
        "campaign": "Campaign",
        "release": "Release",
        "compare": "Compare with",
        "compare_auto": "Previous round (automatic, published)",
        "domain": "Unit",
        "domain_all": "All",
        "show": "Show",
        "choose_campaign_first": "Choose a campaign, then one of its releases.",
        "no_releases": "This campaign has no release yet.",
        "status": "Status",
        "warnings": "Intervals to watch",
        "warnings_none": "No zero-width or unstable interval.",
        "warnings_note": "A zero-width interval is not perfect precision: the design SE is 0 "
        "when the whole stratum answered or every respondent answered alike, but non-sampling "
        "error (non-response, for one) remains; unstable means the coefficient of variation is "
        "above the reliability rule's limit.",
        "compared_with": "Compared with",
        "profile": "The unit's elements and criteria",
        "downloads": "Downloads",
        "doc_csv": "Figures (CSV)",
        "doc_xlsx": "Workbook (XLSX)",
        "doc_pdf": "Report (PDF)",
        "doc_json": "Machine-readable data (JSON)",
        "doc_dictionary": "Data dictionary (CSV)",
        "open_release": "Open the release page",
    },
}

# Frame import reports, their downloads and the column-mapping form (api.pages.coordinator).
FRAME_IMPORT_TEXT: Mapping[str, Mapping[str, str]] = {
    "vi": {
        "file_column": "Cột trong tệp",
        "download_problems": "Tải toàn bộ danh sách vấn đề (số dòng, cột trong tệp, nội dung):",
        "download_csv": "CSV",
        "download_xlsx": "Excel (XLSX)",
        "problems_sheet": "van_de",
        "mapping_title": "Ghép cột của tệp với các trường",
        "mapping_intro": (
            "Tệp {file} có cột mà hệ thống chưa nhận ra hoặc thiếu trường bắt buộc. Với mỗi "
            "trường, hãy chọn cột của tệp chứa trường đó, rồi bấm “Nhập danh sách”."
        ),
        "mapping_unknown": "Cột chưa nhận ra: {headers}",
        "mapping_kept": "Tệp được giữ tạm trong một giờ, chỉ tài khoản của bạn dùng được.",
        "mapping_field": "Trường",
        "mapping_column": "Cột trong tệp",
        "mapping_none": "(không có trong tệp)",
        "mapping_required": "bắt buộc",
        "mapping_submit": "Nhập danh sách",
        "mapping_restart": "Tải lên tệp khác",
        "mapping_twice": (
            "Cột “{column}” đã được chọn cho trường “{other}”: mỗi cột chỉ ghép với một trường"
        ),
        "mapping_missing": "Chọn cột của tệp cho trường bắt buộc “{field}”",
        "mapping_bad_choice": "Lựa chọn không hợp lệ: hãy chọn một cột trong danh sách",
        "field_dossier_code": "Mã hồ sơ",
        "field_agency_code": "Mã cơ quan",
        "field_agency_name": "Tên cơ quan",
        "field_province_code": "Mã tỉnh, thành phố",
        "field_commune_code": "Mã xã, phường",
        "field_level": "Cấp giải quyết",
        "field_procedure_code": "Mã thủ tục hành chính",
        "field_procedure_field": "Lĩnh vực",
        "field_channel": "Kênh nộp hồ sơ",
        "field_received_date": "Ngày tiếp nhận",
        "field_due_date": "Ngày hẹn trả",
        "field_completed_date": "Ngày trả kết quả",
        "field_phone": "Số điện thoại",
        "field_full_name": "Họ và tên người nộp",
        "field_postal_address": "Địa chỉ nhận thư",
    },
    "en": {
        "file_column": "Column in the file",
        "download_problems": "Download every problem (row, the file's column, message):",
        "download_csv": "CSV",
        "download_xlsx": "Excel (XLSX)",
        "problems_sheet": "problems",
        "mapping_title": "Match the file's columns to the fields",
        "mapping_intro": (
            "The file {file} has columns the platform does not recognise, or lacks a required "
            "field. For each field choose the file's column that holds it, then press "
            "“Import the frame”."
        ),
        "mapping_unknown": "Columns not recognised: {headers}",
        "mapping_kept": "The file is kept for an hour, for your account only.",
        "mapping_field": "Field",
        "mapping_column": "Column in the file",
        "mapping_none": "(not in the file)",
        "mapping_required": "required",
        "mapping_submit": "Import the frame",
        "mapping_restart": "Upload another file",
        "mapping_twice": (
            "The column “{column}” is already chosen for “{other}”: match each column to one field"
        ),
        "mapping_missing": "Choose the file's column for the required field “{field}”",
        "mapping_bad_choice": "Not a valid choice: choose one of the file's columns",
        "field_dossier_code": "Dossier code",
        "field_agency_code": "Agency code",
        "field_agency_name": "Agency name",
        "field_province_code": "Province code",
        "field_commune_code": "Commune code",
        "field_level": "Level",
        "field_procedure_code": "Procedure code",
        "field_procedure_field": "Field of procedure",
        "field_channel": "Channel",
        "field_received_date": "Date received",
        "field_due_date": "Date due",
        "field_completed_date": "Date completed",
        "field_phone": "Phone",
        "field_full_name": "Applicant's name",
        "field_postal_address": "Postal address",
    },
}


def frame_import_texts(lang: str) -> Mapping[str, str]:
    """The words of the import report, its downloads and the column-mapping form."""
    return FRAME_IMPORT_TEXT.get(lang, FRAME_IMPORT_TEXT[DEFAULT_LANGUAGE])


# The judgement and expectation shares of a release (api/templates/releases/_shares.html), on the
# staff release page, the public site and the analyst dashboard.
SHARES_TEXT: Mapping[str, Mapping[str, str]] = {
    "vi": {
        "title": "Đánh giá và mong đợi của người dân",
        "note": "Tỷ lệ có trọng số trong số người được hỏi và đã trả lời câu hỏi, với khoảng tin "
        "cậy; người không được hỏi hoặc bỏ trống không được tính.",
        "answer": "Phương án trả lời",
        "item": "Nội dung",
        "counted": "Tỷ lệ chọn: {answers}",
        "share": "Tỷ lệ (khoảng tin cậy)",
        "n": "Số người trả lời",
        "flag": "Độ tin cậy",
        "download": "Tải tỷ lệ (CSV)",
        "flag_ok": "đạt",
        "flag_unreliable": "kém tin cậy",
        "flag_suppressed": "ẩn (quá ít người trả lời)",
    },
    "en": {
        "title": "Judgements and expectations",
        "note": "Weighted share among those asked who answered the question, with its "
        "confidence interval; people not asked or who left it blank do not count.",
        "answer": "Answer",
        "item": "Item",
        "counted": "Share choosing: {answers}",
        "share": "Share (confidence interval)",
        "n": "Respondents",
        "flag": "Reliability",
        "download": "Download the shares (CSV)",
        "flag_ok": "reliable",
        "flag_unreliable": "unreliable",
        "flag_suppressed": "hidden (too few respondents)",
    },
}
