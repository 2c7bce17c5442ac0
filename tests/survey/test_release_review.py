"""Four eyes, versions and immutability of index releases (survey.releases, migration t4releases).

Each test runs on SQLite and PostgreSQL on the migrated schema, so the triggers tested here are
the ones the migration creates.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from survey.audit import verify_audit_chain
from survey.errors import Conflict, InvalidInput, PermissionDenied
from survey.models import AuditEvent, IndexRelease, Response, StaffUser
from survey.release_hashing import canonical_json, content_sha256, release_content
from survey.releases import (
    compute_release,
    correct_release,
    get_release,
    list_releases,
    publish_release,
    release_steps,
    release_versions,
    send_back_release,
    submit_release,
    verify_release,
)
from survey.users import Scope
from tests.api.fast_users import make_user
from tests.survey.release_fixtures import build_release_campaign


def _people(session: Session) -> dict[str, StaffUser]:
    return {
        "maker": make_user(session, "analyst", "nguoi-lap"),
        "checker": make_user(session, "analyst", "nguoi-nop"),
        "publisher": make_user(session, "publisher", "nguoi-cong-bo"),
        "admin": make_user(session, "admin", "quan-tri"),
    }


def _draft(session: Session, maker: StaffUser, name: str = "Quý I") -> IndexRelease:
    rc = build_release_campaign(session)
    return compute_release(
        session=session, campaign_id=rc.campaign_id, name=name, created_by=maker.id
    )


def _published(session: Session, people: dict[str, StaffUser]) -> IndexRelease:
    release = _draft(session, people["maker"])
    assert release.id is not None
    submit_release(session=session, release_id=release.id, actor=people["checker"])
    return publish_release(session=session, release_id=release.id, actor=people["publisher"])


def _actions(session: Session) -> list[tuple[str, str, str]]:
    events = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
    return [(e.action, e.target, e.actor_name) for e in events if e.action.startswith("release.")]


def test_draft_submitted_published_records_who_and_when(session: Session) -> None:
    people = _people(session)
    release = _draft(session, people["maker"])
    assert release.id is not None and release.status == "draft"
    assert release.content_sha256 is None and release.fingerprint["responses"]["count"] == 107

    submitted = submit_release(session=session, release_id=release.id, actor=people["checker"])
    assert submitted.status == "submitted"
    assert submitted.submitted_by == people["checker"].id and submitted.submitted_at is not None
    assert submitted.content_sha256 == content_sha256(submitted)

    published = publish_release(session=session, release_id=release.id, actor=people["publisher"])
    assert published.status == "published" and published.published_at is not None
    assert published.published_by == people["publisher"].id
    assert published.created_by == people["maker"].id
    rid = f"release:{release.id}"
    assert _actions(session) == [
        ("release.computed", rid, "nguoi-lap"),
        ("release.submitted", rid, "nguoi-nop"),
        ("release.published", rid, "nguoi-cong-bo"),
    ]
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "release.published")).one()
    assert event.details["sha256"] == published.content_sha256
    assert verify_audit_chain(session=session).ok


def test_the_publisher_is_neither_the_maker_nor_the_submitter(session: Session) -> None:
    people = _people(session)
    release = _draft(session, people["admin"])  # an administrator computed it
    assert release.id is not None
    with pytest.raises(Conflict, match="draft"):
        publish_release(session=session, release_id=release.id, actor=people["publisher"])
    with pytest.raises(PermissionDenied, match="role"):
        submit_release(session=session, release_id=release.id, actor=people["publisher"])
    submit_release(session=session, release_id=release.id, actor=people["checker"])
    with pytest.raises(PermissionDenied, match="you computed"):
        publish_release(session=session, release_id=release.id, actor=people["admin"])
    with pytest.raises(PermissionDenied, match="role"):
        publish_release(session=session, release_id=release.id, actor=people["maker"])
    session.rollback()
    assert get_release(session=session, release_id=release.id).status == "submitted"

    other = _draft(session, people["maker"], "Quý II")
    assert other.id is not None
    submit_release(session=session, release_id=other.id, actor=people["admin"])
    with pytest.raises(PermissionDenied, match="you submitted"):
        publish_release(session=session, release_id=other.id, actor=people["admin"])
    published = publish_release(session=session, release_id=other.id, actor=people["publisher"])
    assert published.status == "published"
    with pytest.raises(Conflict, match="already published"):
        publish_release(session=session, release_id=other.id, actor=people["admin"])
    with pytest.raises(Conflict, match="not a draft"):
        submit_release(session=session, release_id=other.id, actor=people["checker"])


def test_a_reviewer_sends_a_submitted_release_back_with_a_reason(session: Session) -> None:
    people = _people(session)
    release = _draft(session, people["maker"])
    assert release.id is not None
    submitted = submit_release(session=session, release_id=release.id, actor=people["checker"])
    reviewed_sha = submitted.content_sha256
    reason = "  Thiếu phiếu giấy của tỉnh Lào Cai  "
    back = send_back_release(
        session=session, release_id=release.id, reason=reason, actor=people["publisher"]
    )
    # A draft again, without the hash or submitter of the round that was refused.
    assert back.status == "draft" and back.content_sha256 is None
    assert back.submitted_by is None and back.submitted_at is None
    rid = f"release:{release.id}"
    assert _actions(session)[-1] == ("release.sent_back", rid, "nguoi-cong-bo")
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "release.sent_back")).one()
    assert event.details["reason"] == reason.strip() and event.details["sha256"] == reviewed_sha
    with pytest.raises(Conflict, match="draft"):
        publish_release(session=session, release_id=release.id, actor=people["admin"])

    # The preparer submits it again; the one who sent it back may now publish it.
    submit_release(session=session, release_id=release.id, actor=people["maker"])
    published = publish_release(session=session, release_id=release.id, actor=people["publisher"])
    assert published.status == "published"
    steps = release_steps(session=session, release=published, review_rounds=True)
    assert [(s.step, s.by) for s in steps] == [
        ("computed", "nguoi-lap"),
        ("submitted", "nguoi-nop"),
        ("sent_back", "nguoi-cong-bo"),
        ("submitted", "nguoi-lap"),
        ("published", "nguoi-cong-bo"),
    ]
    assert steps[2].reason == reason.strip() and not steps[1].reason
    assert [s.at for s in steps] == sorted(s.at for s in steps)
    # Documents cite the submission in force, not the refused round.
    cited = release_steps(session=session, release=published)
    assert [(s.step, s.by) for s in cited] == [
        ("computed", "nguoi-lap"),
        ("submitted", "nguoi-lap"),
        ("published", "nguoi-cong-bo"),
    ]
    assert verify_audit_chain(session=session).ok


def test_sending_back_needs_another_reviewer_a_reason_and_a_submitted_release(
    session: Session,
) -> None:
    people = _people(session)
    release = _draft(session, people["admin"])  # an administrator computed it
    assert release.id is not None
    reason = "Cần tính lại với bản đồ tỉnh 2025"
    with pytest.raises(Conflict, match="a draft, not submitted"):
        send_back_release(
            session=session, release_id=release.id, reason=reason, actor=people["publisher"]
        )
    submit_release(session=session, release_id=release.id, actor=people["checker"])
    # Self-review: the one who computed it, or who submitted it, does not send it back.
    with pytest.raises(PermissionDenied, match=r"you computed .* four eyes"):
        send_back_release(
            session=session, release_id=release.id, reason=reason, actor=people["admin"]
        )
    with pytest.raises(PermissionDenied, match="role"):
        send_back_release(
            session=session, release_id=release.id, reason=reason, actor=people["checker"]
        )
    for short_or_long in ("", "  sai ", "x" * 501):
        with pytest.raises(InvalidInput) as refused:
            send_back_release(
                session=session,
                release_id=release.id,
                reason=short_or_long,
                actor=people["publisher"],
            )
        assert refused.value.problems[0].loc == ("reason",)
        assert "5 to 500 characters" in refused.value.problems[0].msg
    session.rollback()
    assert get_release(session=session, release_id=release.id).status == "submitted"
    assert not [a for a in _actions(session) if a[0] == "release.sent_back"]
    send_back_release(
        session=session, release_id=release.id, reason="x" * 500, actor=people["publisher"]
    )

    other = _draft(session, people["maker"], "Quý II")
    assert other.id is not None
    submit_release(session=session, release_id=other.id, actor=people["admin"])
    with pytest.raises(PermissionDenied, match="you submitted"):
        send_back_release(
            session=session, release_id=other.id, reason=reason, actor=people["admin"]
        )
    publish_release(session=session, release_id=other.id, actor=people["publisher"])
    with pytest.raises(Conflict, match="already published") as refused_published:
        send_back_release(
            session=session, release_id=other.id, reason=reason, actor=people["publisher"]
        )
    assert "correction, which is a new version" in refused_published.value.problems[0].msg
    assert get_release(session=session, release_id=other.id).status == "published"


def test_a_correction_supersedes_the_published_version_which_stays_readable(
    session: Session,
) -> None:
    people = _people(session)
    old = _published(session, people)
    assert old.id is not None
    with pytest.raises(InvalidInput) as error:
        correct_release(session=session, release_id=old.id, reason="  ", actor=people["maker"])
    assert error.value.problems[0].loc == ("reason",)
    # A late paper questionnaire was keyed in: one more completed response.
    late = session.exec(select(Response).where(col(Response.status) == "in_progress")).first()
    assert late is not None
    late.status, late.invitation_id = "completed", None
    late.answers = dict.fromkeys(late.answers or {"x": 1}, 5)
    session.add(late)
    session.commit()

    new = correct_release(
        session=session, release_id=old.id, reason="Bổ sung phiếu giấy", actor=people["maker"]
    )
    assert new.id is not None
    assert (new.version, new.supersedes_id, new.status) == (2, old.id, "draft")
    assert new.parameters == old.parameters
    assert new.fingerprint["responses"]["count"] == old.fingerprint["responses"]["count"] + 1
    assert get_release(session=session, release_id=old.id).status == "published"  # until then

    submit_release(session=session, release_id=new.id, actor=people["checker"])
    publish_release(session=session, release_id=new.id, actor=people["admin"])
    session.expire_all()
    before = get_release(session=session, release_id=old.id)
    assert before.status == "superseded" and before.superseded_by_id == new.id
    assert before.superseded_at is not None and before.content_sha256 == content_sha256(before)
    assert [r.id for r in release_versions(session=session, release=before)] == [old.id, new.id]
    # Readable by a scoped account too, marked as superseded.
    scoped = Scope(agencies=frozenset({"AG-A"}), provinces=None)
    listed = {r.id: r.status for r in list_releases(session=session, scope=scoped)}
    assert listed == {old.id: "superseded", new.id: "published"}
    assert get_release(session=session, release_id=old.id, scope=scoped).results["rows"]
    assert ("release.superseded", f"release:{old.id}", "quan-tri") in _actions(session)

    with pytest.raises(Conflict, match="superseded"):
        correct_release(session=session, release_id=old.id, reason="again", actor=people["maker"])


def test_a_second_correction_of_the_same_version_cannot_be_published(session: Session) -> None:
    people = _people(session)
    old = _published(session, people)
    assert old.id is not None
    first, second = (
        correct_release(session=session, release_id=old.id, reason=r, actor=people["maker"])
        for r in ("one", "two")
    )
    for release in (first, second):
        assert release.id is not None
        submit_release(session=session, release_id=release.id, actor=people["checker"])
    assert first.id is not None and second.id is not None
    publish_release(session=session, release_id=first.id, actor=people["publisher"])
    with pytest.raises(Conflict) as error:
        publish_release(session=session, release_id=second.id, actor=people["publisher"])
    assert f"release {first.id}" in error.value.problems[0].msg


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE index_release SET results = '{}' WHERE id = :id",
        "UPDATE index_release SET name = 'sửa' WHERE id = :id",
        "UPDATE index_release SET status = 'draft' WHERE id = :id",
        "UPDATE index_release SET content_sha256 = NULL WHERE id = :id",
        "UPDATE index_release SET published_at = NULL WHERE id = :id",
        # The one allowed step, carrying a change it must not carry:
        "UPDATE index_release SET status = 'superseded', superseded_at = created_at,"
        " superseded_by_id = id, summary = '{}' WHERE id = :id",
        # ... and the step without saying what superseded it.
        "UPDATE index_release SET status = 'superseded', superseded_at = created_at WHERE id = :id",
        "DELETE FROM index_release WHERE id = :id",
    ],
)
def test_the_database_refuses_changes_to_a_published_release(
    session: Session, statement: str
) -> None:
    people = _people(session)
    release = _published(session, people)
    with pytest.raises(DBAPIError, match="index_release"):
        session.execute(text(statement), {"id": release.id})
        session.commit()
    session.rollback()
    session.expire_all()
    again = get_release(session=session, release_id=release.id or 0)
    assert again.status == "published" and again.content_sha256 == content_sha256(again)


def test_the_database_allows_published_to_superseded_alone_then_freezes_it(
    session: Session,
) -> None:
    people = _people(session)
    release = _published(session, people)
    session.execute(
        text(
            "UPDATE index_release SET status = 'superseded', superseded_at = published_at,"
            " superseded_by_id = id WHERE id = :id"
        ),
        {"id": release.id},
    )
    session.commit()
    for statement in (
        "UPDATE index_release SET status = 'published' WHERE id = :id",
        "UPDATE index_release SET superseded_by_id = NULL WHERE id = :id",
        "DELETE FROM index_release WHERE id = :id",
    ):
        with pytest.raises(DBAPIError, match="index_release"):
            session.execute(text(statement), {"id": release.id})
            session.commit()
        session.rollback()


def test_the_database_refuses_publication_by_the_maker_or_submitter(session: Session) -> None:
    people = _people(session)
    release = _draft(session, people["maker"])
    assert release.id is not None
    submit_release(session=session, release_id=release.id, actor=people["checker"])
    for publisher in (None, people["maker"].id, people["checker"].id):
        with pytest.raises(DBAPIError, match="index_release"):
            session.execute(
                update(IndexRelease)
                .where(col(IndexRelease.id) == release.id)
                .values(status="published", published_by=publisher)
            )
            session.commit()
        session.rollback()
    # Drafts and submitted releases are not frozen by the database (the application moves them).
    session.execute(
        update(IndexRelease).where(col(IndexRelease.id) == release.id).values(name="Quý I (sửa)")
    )
    session.commit()


def test_the_hash_is_sha256_of_the_documented_canonical_json(session: Session) -> None:
    people = _people(session)
    release = _published(session, people)
    # An independent serialisation: the stored JSON re-read, floats at 12 significant digits.
    content = json.loads(json.dumps(release_content(release)))

    def fix(value: object) -> object:
        if isinstance(value, float):
            return float(format(value, ".12g"))
        if isinstance(value, dict):
            return {k: fix(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fix(v) for v in value]
        return value

    text_ = json.dumps(fix(content), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    assert canonical_json(content) == text_.replace(".0,", ",").replace(".0}", "}").replace(
        ".0]", "]"
    )
    assert release.content_sha256 == hashlib.sha256(canonical_json(content).encode()).hexdigest()
    assert canonical_json({"b": [1.0, 0.1 + 0.2, -0.0], "a": "ả"}) == (
        '{"a":"\\u1ea3","b":[1,0.3,0]}'
    )
    with pytest.raises(ValueError):
        canonical_json(float("nan"))


def test_verify_recomputes_the_figures_and_the_hash(session: Session) -> None:
    people = _people(session)
    release = _published(session, people)
    assert release.id is not None
    result = verify_release(session=session, release_id=release.id)
    assert result.ok, result.checks
    assert [c.name for c in result.checks] == ["hash", "data", "figures", "recomputed hash"]

    # An answer changed behind the release's back: the data and the figures no longer match.
    response = session.exec(
        select(Response).where(col(Response.status) == "completed").order_by(col(Response.id))
    ).first()
    assert response is not None
    answers = dict(response.answers)
    first = sorted(answers)[0]
    answers[first] = 1 if answers[first] != 1 else 5
    response.answers = answers
    session.add(response)
    session.commit()
    result = verify_release(session=session, release_id=release.id)
    failed = {c.name: c.detail for c in result.checks if not c.ok}
    assert not result.ok and set(failed) == {"data", "figures", "recomputed hash"}
    assert "responses.sha256" in failed["data"]
    assert "estimate" in failed["figures"]


def test_verify_finds_stored_figures_edited_without_the_triggers(session: Session) -> None:
    people = _people(session)
    release = _draft(session, people["maker"])
    assert release.id is not None
    submit_release(session=session, release_id=release.id, actor=people["checker"])
    rows = [dict(r) for r in release.results["rows"]]
    rows[0]["estimate"] = 0.99
    session.execute(
        update(IndexRelease)
        .where(col(IndexRelease.id) == release.id)
        .values(results={**release.results, "rows": rows})
    )
    session.commit()
    result = verify_release(session=session, release_id=release.id)
    failed = {c.name: c.detail for c in result.checks if not c.ok}
    assert set(failed) == {"hash", "figures"}
    assert "[overall] overall estimate: stored 0.99" in failed["figures"]
    with pytest.raises(Conflict, match="changed since it was submitted"):
        publish_release(session=session, release_id=release.id, actor=people["publisher"])


def test_a_draft_has_no_hash_to_verify(session: Session) -> None:
    people = _people(session)
    release = _draft(session, people["maker"])
    result = verify_release(session=session, release_id=release.id or 0)
    assert [c.name for c in result.checks if not c.ok] == ["hash"]
