"""Paper forms keyed through the JSON API (scripts): the same double entry as ``/staff/entry``.

A clerk reads a form's fields and keys it by its printed number; a coordinator in scope lists
the forms whose two keyings differ, reads both values side by side and resolves them. The
second clerk never receives the first keying (a keying answers only with what it led to), and
every value is typed as on the page (``survey.data_entry.keying_form``: 1-5, 0 not
applicable, 9 left blank, option numbers as printed).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from api.deps import AddressDep, SessionDep
from api.params import INT64_MAX, CampaignId
from api.policy import AsClerk, AsCoordinator
from survey.data_entry import (
    KeyingField,
    KeyingInvalid,
    get_disagreement,
    key_form,
    keying_target,
    list_disagreements,
    resolve_disagreement,
)
from survey.errors import Problem

router = APIRouter(prefix="/api/entry", tags=["data entry"])

FormNumber = Annotated[
    str,
    Path(
        min_length=1,
        max_length=32,
        description="the form number printed on the paper form (10 digits, spaces or dashes ok)",
        examples=["1000000008"],
    ),
]
EntryId = Annotated[
    int, Path(ge=1, le=INT64_MAX, description="the disagreement's (paper entry's) id", examples=[1])
]
# A field code and a value as typed; a text answer is at most a few thousand characters.
FieldCode = Annotated[str, Field(min_length=1, max_length=64)]
TypedValue = Annotated[str, Field(max_length=4000)]


class KeyOptionPublic(BaseModel):
    key: str = Field(description="what to type: the number printed beside the box")
    code: str
    text: dict[str, str]


class KeyingFieldPublic(BaseModel):
    """One value to key, in printed order."""

    code: str
    kind: str = Field(description="scale, single, multiple or text")
    number: str = Field(description="the question's number on the printed form")
    label: dict[str, str]
    group: dict[str, str]
    options: list[KeyOptionPublic]
    max_length: int = Field(description="for text: the longest answer accepted; 0 otherwise")

    @classmethod
    def of(cls, field: KeyingField) -> KeyingFieldPublic:
        return cls(
            code=field.code,
            kind=field.kind,
            number=field.number,
            label=dict(field.label),
            group=dict(field.group),
            options=[
                KeyOptionPublic(key=o.key, code=o.code, text=dict(o.text)) for o in field.options
            ],
            max_length=field.max_length,
        )


class KeyingTargetPublic(BaseModel):
    """A form the caller may key now: which keying this is and the fields to type."""

    form_number: str
    campaign_id: int
    campaign_name: str
    agency_name: str
    round: int = Field(description="1 for the first keying, 2 for the second")
    fields: list[KeyingFieldPublic]


class KeyingRequest(BaseModel):
    """Every field's value as typed (field code -> text); see the field list for the keys."""

    model_config = ConfigDict(extra="forbid")

    values: dict[FieldCode, TypedValue] = Field(max_length=2000)


class KeyingOutcomePublic(BaseModel):
    status: str = Field(description="keyed_once, completed or disagreement")
    form_number: str
    differing_items: int


class DisagreementRowPublic(BaseModel):
    entry_id: int
    form_number: str
    differing: list[str] = Field(description="codes of the fields the two keyings differ on")


class DifferingValuePublic(BaseModel):
    field: KeyingFieldPublic
    first: str
    second: str


class DisagreementPublic(BaseModel):
    """A form whose two keyings differ, with both values where they differ."""

    entry_id: int
    campaign_id: int
    form_number: str
    first_clerk: str
    second_clerk: str
    values: list[DifferingValuePublic]


class ResolveRequest(BaseModel):
    """The right value of every differing field (typed as a clerk would)."""

    model_config = ConfigDict(extra="forbid")

    values: dict[FieldCode, TypedValue] = Field(max_length=2000)


class ResolvedPublic(BaseModel):
    entry_id: int
    status: str = Field(description="completed: the form is now a response (mode paper)")


def _in_values(error: KeyingInvalid) -> KeyingInvalid:
    """The keying's problems located in the request body (``values.<code>``)."""
    problems = [Problem(("body", "values", *p.loc), p.msg) for p in error.problems]
    return KeyingInvalid(problems, error.rules)


@router.get("/forms/{form_number}")
def read_form(form_number: FormNumber, session: SessionDep, caller: AsClerk) -> KeyingTargetPublic:
    """The fields to key for a printed form, or why it cannot be keyed now (409: answered,
    keyed by you already, keyed twice, fieldwork not running)."""
    target = keying_target(
        session=session, form_number=form_number, clerk=caller.user, scope=caller.scope
    )
    return KeyingTargetPublic(
        form_number=target.form_number,
        campaign_id=target.campaign_id,
        campaign_name=target.campaign_name,
        agency_name=target.agency_name,
        round=target.round,
        fields=[KeyingFieldPublic.of(f) for f in target.fields],
    )


@router.post("/forms/{form_number}")
def key(
    form_number: FormNumber,
    body: KeyingRequest,
    session: SessionDep,
    caller: AsClerk,
    address: AddressDep,
) -> KeyingOutcomePublic:
    """Store the caller's keying; the second one (another clerk's) is compared with the first
    and, when they agree, the form becomes a response. 422 names each value to fix."""
    try:
        outcome = key_form(
            session=session,
            form_number=form_number,
            clerk=caller.user,
            scope=caller.scope,
            form=body.values,
            address=address,
        )
    except KeyingInvalid as error:
        raise _in_values(error) from None
    return KeyingOutcomePublic(
        status=outcome.status,
        form_number=outcome.form_number,
        differing_items=outcome.differing_items,
    )


@router.get("/campaigns/{campaign_id}/disagreements")
def disagreements(
    campaign_id: CampaignId, session: SessionDep, caller: AsCoordinator
) -> list[DisagreementRowPublic]:
    """The campaign's forms (in the caller's scope) whose two keyings differ."""
    rows = list_disagreements(session=session, campaign_id=campaign_id, scope=caller.scope)
    return [
        DisagreementRowPublic(
            entry_id=r.entry_id, form_number=r.form_number, differing=[f.code for f in r.fields]
        )
        for r in rows
    ]


@router.get("/disagreements/{entry_id}")
def disagreement(
    entry_id: EntryId, session: SessionDep, caller: AsCoordinator
) -> DisagreementPublic:
    """Both keyings' values where they differ, and who keyed them."""
    shown = get_disagreement(session=session, entry_id=entry_id, scope=caller.scope)
    return DisagreementPublic(
        entry_id=shown.entry_id,
        campaign_id=shown.campaign_id,
        form_number=shown.form_number,
        first_clerk=shown.first_clerk,
        second_clerk=shown.second_clerk,
        values=[
            DifferingValuePublic(
                field=KeyingFieldPublic.of(v.field), first=v.first, second=v.second
            )
            for v in shown.values
        ],
    )


@router.post("/disagreements/{entry_id}")
def resolve(
    entry_id: EntryId,
    body: ResolveRequest,
    session: SessionDep,
    caller: AsCoordinator,
    address: AddressDep,
) -> ResolvedPublic:
    """Settle the differences and make the response (403 if you keyed the form yourself; 409
    once resolved or when fieldwork is over; 422 names a value missing or not possible)."""
    try:
        resolve_disagreement(
            session=session,
            entry_id=entry_id,
            supervisor=caller.user,
            scope=caller.scope,
            values=body.values,
            address=address,
        )
    except KeyingInvalid as error:
        raise _in_values(error) from None
    return ResolvedPublic(entry_id=entry_id, status="completed")
