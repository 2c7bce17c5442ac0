"""Reading a responses CSV: values, counts, and errors naming the line and column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis.responses_file import ResponsesFileError, _ByteTable, _read_records, read_responses

CRITERIA = ("q1", "q2")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "responses.csv"
    path.write_text(text, encoding="utf-8")
    return path


def read(path: Path, **kwargs: object) -> object:
    options: dict[str, object] = {
        "criteria": CRITERIA,
        "strata": "agency",
        "weight": "w",
        "fpc": "N",
        "by": ("province",),
    }
    options.update(kwargs)
    return read_responses(path, **options)  # type: ignore[arg-type]


def test_reads_answers_design_and_domains(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "agency,province,w,N,q1,q2\n"
        "A,Hà Nội,2.5,100,5,\n"
        "A,Hà Nội,2.5,100,0,3\n"
        "\n"
        "B,Huế,1,40, 4 ,1\n",
    )
    data = read_responses(
        path, criteria=CRITERIA, strata="agency", weight="w", fpc="N", by=("province",)
    )
    assert data.n == 3
    np.testing.assert_array_equal(data.answers, [[5, np.nan], [np.nan, 3], [4, 1]])
    assert data.not_answered.tolist() == [0, 1]
    assert data.not_applicable.tolist() == [1, 0]
    assert data.strata is not None and data.strata.tolist() == ["A", "A", "B"]
    assert data.by["province"].tolist() == ["Hà Nội", "Hà Nội", "Huế"]
    assert data.weights is not None and data.weights.tolist() == [2.5, 2.5, 1.0]
    assert data.fpc is not None and data.fpc.tolist() == [100, 100, 40]
    assert data.psu is None


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ("agency,province,w,N,q1\nA,X,1,10,4\n", 1, "q2", "missing column 'q2'"),
        ("agency,province,w,N,q1,q2\nA,X,1,10,4,5\nA,X,1,10,abc,5\n", 3, "q1", "not a number"),
        ("agency,province,w,N,q1,q2\nA,X,1,10,4,5\nA,X,1,10,4,6\n", 3, "q2", "not a valid"),
        ("agency,province,w,N,q1,q2\nA,X,1,10,4,5\nA,X,1,10,4,2.5\n", 3, "q2", "not a valid"),
        ("agency,province,w,N,q1,q2\nA,X,1,10,4,5\n,X,1,10,4,5\n", 3, "agency", "is empty"),
        ("agency,province,w,N,q1,q2\nA,X,1,10,4,5\nA,X,-1,10,4,5\n", 3, "w", "negative"),
        ("agency,province,w,N,q1,q2\nA,X,1,10,4,5\nA,X,1,ten,4,5\n", 3, "N", "not a number"),
        ("agency,province,w,N,q1,q2\nA,X,1,10,4,5\nA,X,1,10,4\n", 3, None, "has 5 fields"),
    ],
)
def test_errors_name_line_and_column(
    tmp_path: Path, text: str, line: int, column: str | None, message: str
) -> None:
    with pytest.raises(ResponsesFileError, match=message) as info:
        read(write(tmp_path, text))
    assert info.value.line == line
    assert info.value.column == column
    assert f"line {line}" in str(info.value)


def test_line_numbers_count_skipped_blank_lines(tmp_path: Path) -> None:
    text = "agency,province,w,N,q1,q2\n\nA,X,1,10,4,5\n\nA,X,1,10,9,5\n"
    with pytest.raises(ResponsesFileError) as info:
        read(write(tmp_path, text))
    assert info.value.line == 5


def test_custom_na_code(tmp_path: Path) -> None:
    path = write(tmp_path, "agency,province,w,N,q1,q2\nA,X,1,10,9,5\nA,X,1,10,0,5\n")
    with pytest.raises(
        ResponsesFileError, match="'0' is not a valid answer; answers must be 1-5, 9"
    ):
        read(path, na_code=9)
    path = write(tmp_path, "agency,province,w,N,q1,q2\nA,X,1,10,9,5\nA,X,1,10,9,5\n")
    data = read_responses(path, criteria=CRITERIA, na_code=9)
    assert data.not_applicable.tolist() == [2, 0]
    assert np.isnan(data.answers[:, 0]).all()


@pytest.mark.parametrize("cell", ["44", "4 ", "+4", "4x"])
def test_an_answer_of_more_than_one_digit_is_never_read_as_its_first(
    tmp_path: Path, cell: str
) -> None:
    # Single-digit columns are read as one-character codes: a longer or odd cell must take the
    # careful path, which reads " 4 " as 4 but refuses "44".
    text = f"agency,province,w,N,q1,q2\nA,X,1,10,4,5\nA,X,1,10,{cell},5\n"
    if cell.strip() in ("4", "+4"):
        data = read(write(tmp_path, text))
        assert data.answers[:, 0].tolist() == [4.0, 4.0]  # type: ignore[attr-defined]
        return
    with pytest.raises(ResponsesFileError) as info:
        read(write(tmp_path, text))
    assert (info.value.line, info.value.column) == (3, "q1")


def test_line_numbers_follow_records_that_span_lines(tmp_path: Path) -> None:
    text = (
        "agency,province,w,N,q1,q2\n"
        'A,"Hà Nội\n(cũ)",1,10,4,5\n'  # one record on lines 2-3
        "\n"
        "A,X,1,10,4,5\n"  # line 5
        "A,X,1,10,7,5\n"  # line 6
    )
    with pytest.raises(ResponsesFileError, match="'7' is not a valid answer") as info:
        read(write(tmp_path, text))
    assert info.value.line == 6
    good = write(tmp_path, text.replace(",7,", ",3,"))
    data = read(good)
    assert data.line_numbers.tolist() == [2, 5, 6]  # type: ignore[attr-defined]
    assert data.by["province"].tolist() == ["Hà Nội\n(cũ)", "X", "X"]  # type: ignore[attr-defined]


# The two readers: a plain file is cut with numpy on its bytes, anything else goes through the
# csv module; the cells must be the same whichever reads them.
PLAIN = [
    "agency,province,w,N,q1,q2\nA,Hà Nội,2.5,100,5,\nB, Huế ,1,40, 4 ,1\n",
    "agency,province,w,N,q1,q2\r\nA,X,1,10,4,5\r\nB,Y,2,20,,0\r\n",  # Windows line ends
    "\ufeffagency,province,w,N,q1,q2\nA,X,1,10,4,5\nB,Y,2,20,3,0",  # BOM, no final newline
    "agency,province,w,N,q1,q2\nAG-1,Đắk Lắk,1e0,1.5e1,44,5\n,\u00a0X,1,10,+4,9\n",
    "agency , province,w,N,q1,q2\n\tA\t,X,1,10,4,5\n",
]
LEFT_TO_CSV = [
    'agency,province,w,N,q1,q2\nA,"X, Y",1,10,4,5\n',  # a quoted comma
    "agency,province,w,N,q1,q2\nA,X,1,10,4,5\n\n",  # a blank line
    "agency,province,w,N,q1,q2\nA,X,1,10,4,5\n , ,,,,\n",  # a line of blank cells
    "agency,province,w,N,q1,q2\nA,X,1,10,4,5\n\u00a0,,,,,\n",  # blank to str.strip
    "agency,province,w,N,q1,q2\nA,X,1,10,4\n",  # ragged
    "agency,province,w,N,q1,q2\rA,X,1,10,4,5\r",  # old Mac line ends
    "agency,province,w,N,q1,q2\n",  # no records
]


def _same_cells(raw: bytes, path: Path) -> None:
    plain = _ByteTable.parse(raw)
    assert plain is not None
    records = _read_records(path)
    assert plain.header == records.header
    assert plain.n == records.n
    assert plain.lines.tolist() == records.lines.tolist()
    for k in range(len(records.header)):
        assert plain.cells(k) == records.cells(k)
        assert plain.stripped(k).tolist() == records.stripped(k).tolist()
        ours, theirs = plain.single_digits(k), records.single_digits(k)
        assert (ours is None) == (theirs is None)
        if ours is not None and theirs is not None:
            np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("text", PLAIN)
def test_the_byte_reader_gives_the_csv_modules_cells(tmp_path: Path, text: str) -> None:
    path = tmp_path / "responses.csv"
    path.write_bytes(text.encode("utf-8"))
    _same_cells(path.read_bytes(), path)


@pytest.mark.parametrize("text", LEFT_TO_CSV)
def test_files_that_are_not_plain_are_left_to_the_csv_module(text: str) -> None:
    assert _ByteTable.parse(text.encode("utf-8")) is None


def test_the_byte_reader_agrees_on_random_plain_files(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    alphabet = np.array(list("0123456789  \tAaĐđế.-+e"))
    for trial in range(30):
        n, width = int(rng.integers(1, 40)), int(rng.integers(1, 6))
        lengths = rng.integers(0, 4, (n, width))
        lines = [",".join("".join(rng.choice(alphabet, size=m)) for m in row) for row in lengths]
        # A leading content cell so that no line is blank (those go to the csv module).
        text = (
            "\n".join(
                ["h0," + ",".join(f"c{k}" for k in range(width))]
                + [f"x{i}," + line for i, line in enumerate(lines)]
            )
            + "\n"
        )
        path = tmp_path / f"random{trial}.csv"
        path.write_bytes(text.encode("utf-8"))
        _same_cells(path.read_bytes(), path)


def test_both_readers_give_the_same_data(tmp_path: Path) -> None:
    text = PLAIN[0]
    plain = write(tmp_path, text)
    data = read(plain)
    quoted = tmp_path / "quoted.csv"
    quoted.write_text(text.replace("Hà Nội", '"Hà Nội"'), encoding="utf-8")
    assert _ByteTable.parse(quoted.read_bytes()) is None
    other = read(quoted)
    for field in ("answers", "weights", "fpc", "line_numbers", "not_answered", "not_applicable"):
        np.testing.assert_array_equal(getattr(data, field), getattr(other, field))
    assert data.strata.tolist() == other.strata.tolist()  # type: ignore[attr-defined]
    assert data.by["province"].tolist() == other.by["province"].tolist()  # type: ignore[attr-defined]


def test_plain_decimals_are_read_as_float_reads_them(tmp_path: Path) -> None:
    # The byte reader computes M / 10^F for cells of at most 15 digits: it must give exactly
    # float(text), the careful parse's value, for any such cell.
    rng = np.random.default_rng(11)
    cells = []
    for _ in range(5000):
        digits = "".join(rng.choice(list("0123456789"), size=int(rng.integers(1, 16))))
        point = int(rng.integers(0, len(digits) + 2))
        cells.append(digits if point > len(digits) else digits[:point] + "." + digits[point:])
    text = "w,N\n" + "".join(f"1,{c}\n" for c in cells)
    plain = _ByteTable.parse(text.encode())
    assert plain is not None
    values = plain.plain_numbers(1)
    assert values is not None
    assert values.tolist() == [float(c) for c in cells]
    # Anything else is left to the careful parse, which names a bad cell's line.
    for odd in ("1e5", "-1", "", " 1", ".", "1.2.3", "1234567890123456", "1,5"):
        table = _ByteTable.parse(f"w,N\n1,2\n1,{odd}\n".encode())
        assert table is None or table.plain_numbers(1) is None, odd
