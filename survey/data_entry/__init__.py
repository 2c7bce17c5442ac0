"""Double data entry of returned paper forms: keying fields, the two keyings and their
comparison, supervisors' resolution, and progress with each clerk's quality."""

from survey.data_entry.entry import (
    Disagreement,
    DisagreementRow,
    KeyingOutcome,
    KeyingRefused,
    KeyingTarget,
    discard_unfinished_keyings,
    get_disagreement,
    key_form,
    keying_target,
    list_disagreements,
    resolve_disagreement,
)
from survey.data_entry.keying_form import (
    NO_ANSWER,
    KeyingField,
    KeyingInvalid,
    keyed_answers,
    keying_fields,
    read_keying,
)
from survey.data_entry.progress import ClerkQuality, EntryProgress, entry_progress

__all__ = [
    "NO_ANSWER",
    "ClerkQuality",
    "Disagreement",
    "DisagreementRow",
    "EntryProgress",
    "KeyingField",
    "KeyingInvalid",
    "KeyingOutcome",
    "KeyingRefused",
    "KeyingTarget",
    "discard_unfinished_keyings",
    "entry_progress",
    "get_disagreement",
    "key_form",
    "keyed_answers",
    "keying_fields",
    "keying_target",
    "list_disagreements",
    "read_keying",
    "resolve_disagreement",
]
