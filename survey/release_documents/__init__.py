"""A release's documents, made from its stored figures (never recomputed).

- :mod:`~survey.release_documents.source`: the release read once, with names and review steps;
- :mod:`~survey.release_documents.tables`: the tables the documents print;
- :mod:`~survey.release_documents.method`: method and provenance facts;
- :mod:`~survey.release_documents.dictionary`: the data dictionary of the CSV;
- :mod:`~survey.release_documents.machine`: machine-readable JSON;
- :mod:`~survey.release_documents.workbook`: the XLSX workbook;
- :mod:`~survey.release_documents.report`: the PDF report (WeasyPrint, Jinja2 template).
"""
