"""The release CSV written for people: headers in Vietnamese or English, names beside codes.

``release.csv`` (:func:`survey.releases.release_csv`) keeps its machine keys: scripts read it and
published releases' documents cite it. :func:`named_release_csv` writes the same rows with the
same values, for a reader who opens the file in a spreadsheet: the header is each column's label
in the chosen language (:mod:`survey.release_documents.dictionary`, which describes both forms)
and a name column follows each code a person would otherwise have to look up (agency name from
the frame, province by its name since 1 July 2025, channel in words, the item's title).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Literal

from survey.release_documents.dictionary import COLUMNS, NAME_COLUMNS, named_csv_columns
from survey.release_documents.source import DocumentSource
from survey.releases import release_csv_cells
from survey.spreadsheet_cells import safe_cell

CsvLanguage = Literal["vi", "en"]
CSV_LANGUAGES: tuple[CsvLanguage, ...] = ("vi", "en")


def named_release_csv(
    source: DocumentSource, *, lang: CsvLanguage, channel_names: Mapping[str, str]
) -> str:
    """The rows of ``source`` as CSV text with ``lang`` headers and name columns.

    ``channel_names`` gives the words for a channel code in ``lang`` (the web layer's catalogue,
    so the CSV says what the pages say). A code without a known name keeps the code as its name;
    a row not broken down by a column leaves both blank.
    """
    release = source.release
    columns = named_csv_columns(tuple(release.parameters.get("by") or ()))
    named_by = {column.name: code for code, column in NAME_COLUMNS}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    label = "label_vi" if lang == "vi" else "label_en"
    writer.writerow([getattr(COLUMNS[c], label) for c in columns])
    for row in source.rows:
        cells = release_csv_cells(release, row)
        for name_column, code_column in named_by.items():
            if code_column == "node":
                name = source.label(row.node, lang)
            else:
                code = row.domain_value(code_column)
                if code is None:
                    name = ""
                elif code_column == "channel":
                    name = channel_names.get(code, code)
                else:
                    name = source.unit_name(code_column, code)
            # Names come from imported files and questionnaires, like the codes.
            cells[name_column] = safe_cell(name)
        writer.writerow([cells[c] for c in columns])
    return buffer.getvalue()
