"""Reading a responses CSV: values, counts, and errors naming the line and column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis.responses_file import ResponsesFileError, read_responses

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
