"""Keying paper forms twice and settling their differences (``survey.data_entry``) in
Vietnamese."""

from __future__ import annotations

ENTRIES: tuple[tuple[str, str], ...] = (
    (
        r"no form (?P<form>[\d-]+) among the forms you may key",
        "không có phiếu số {form} trong các phiếu bạn được nhập",
    ),
    (r"paper form entry (?P<id>\d+) does not exist", "không có lượt nhập phiếu giấy số {id}"),
    (
        r"this form is not waiting for a supervisor",
        "phiếu này không ở trạng thái chờ giám sát viên đối chiếu",
    ),
    (
        r"you keyed this form; another supervisor settles its differences",
        "bạn đã nhập phiếu này; một giám sát viên khác sẽ đối chiếu chỗ khác nhau",
    ),
    (
        r"choose a value for every field the keyings differ on",
        "hãy chọn giá trị cho mọi câu mà hai lần nhập khác nhau",
    ),
    (
        r"this citizen has already answered; the paper form is not keyed: put it aside for "
        r"the supervisor",
        "người dân này đã trả lời; phiếu giấy không được nhập: hãy để riêng cho giám sát viên",
    ),
    (
        r"nothing more to key for this form; take the next one",
        "phiếu này không cần nhập thêm; hãy nhập phiếu tiếp theo",
    ),
    (
        r"pass this form to another clerk for its second keying",
        "hãy chuyển phiếu này cho một nhân viên nhập phiếu khác để nhập lần thứ hai",
    ),
    (
        r"paper forms are keyed while the campaign is active; ask the coordinator",
        "phiếu giấy chỉ được nhập khi đợt khảo sát đang thu thập; hãy hỏi điều phối viên",
    ),
    (
        r"open it from the list of forms in disagreement",
        "hãy mở phiếu từ danh sách các phiếu có hai lần nhập khác nhau",
    ),
    (
        r"it was resolved already, or is still being keyed",
        "phiếu đã được đối chiếu xong, hoặc vẫn đang được nhập",
    ),
    (
        r"forms are resolved while the campaign is active",
        "phiếu chỉ được đối chiếu khi đợt khảo sát đang thu thập",
    ),
    (
        r"ask another coordinator to resolve this form",
        "hãy nhờ một điều phối viên khác đối chiếu phiếu này",
    ),
    (
        r"choose one of the two keyed values or type the right one",
        "hãy chọn một trong hai giá trị đã nhập hoặc gõ giá trị đúng",
    ),
    (
        r"open the form again to see whether it still needs keying",
        "hãy mở lại phiếu để xem còn cần nhập không",
    ),
    (
        r"another clerk keyed this form at the same moment",
        "một nhân viên khác vừa nhập phiếu này cùng lúc",
    ),
    (
        r"fieldwork of campaign (?P<name>.+) is not running \(status (?P<status>\w+)\)",
        "đợt khảo sát {name} không ở giai đoạn thu thập (trạng thái “{status}”)",
    ),
    (
        r"fieldwork of this form's campaign is closed: no response can be made any more",
        "đợt khảo sát của phiếu này đã đóng: không thể tạo thêm câu trả lời",
    ),
    (
        r"this form was keyed twice already and is a response",
        "phiếu này đã được nhập đủ hai lần và đã thành câu trả lời",
    ),
    (
        r"this form was keyed twice already; a supervisor is settling the differences",
        "phiếu này đã được nhập đủ hai lần; giám sát viên đang đối chiếu chỗ khác nhau",
    ),
    (
        r"this form's invitation was already answered \(online, by phone or on paper\)",
        "lời mời của phiếu này đã được trả lời (trực tuyến, qua điện thoại hoặc trên giấy)",
    ),
    (
        r"you keyed this form already; the second keying must be by another clerk",
        "bạn đã nhập phiếu này rồi; lần nhập thứ hai phải do một nhân viên khác",
    ),
    # survey.data_entry.keying_form: a keying with values to fix, and the rule of each field.
    (
        r"some keyed values are not possible on this form",
        "một số giá trị đã nhập không có trên phiếu này",
    ),
    (
        r"type the answer ticked on the form, or 9 if it was left blank",
        "hãy gõ câu trả lời được đánh dấu trên phiếu, hoặc 9 nếu để trống",
    ),
    (
        r"type 1 to 5, 0 for 'not applicable', or 9 if it was left blank",
        "hãy gõ từ 1 đến 5, 0 nếu chọn “Không áp dụng”, hoặc 9 nếu để trống",
    ),
    (
        r"type the number of the ticked answer, or 9 if it was left blank",
        "hãy gõ số của ô được đánh dấu, hoặc 9 nếu để trống",
    ),
    (
        r"type the numbers of the ticked answers \(e\.g\. 13\), or 9 if none was ticked",
        "hãy gõ các số được đánh dấu (ví dụ 13), hoặc 9 nếu không đánh dấu ô nào",
    ),
    (
        r"the text is longer than this question allows; shorten it as written",
        "câu trả lời dài hơn mức câu hỏi cho phép; hãy rút gọn, giữ đúng ý như trên phiếu",
    ),
    (
        r"this question must be answered; ask a supervisor what to key",
        "câu này bắt buộc phải trả lời; hãy hỏi giám sát viên cách nhập",
    ),
)
