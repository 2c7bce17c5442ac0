"""Short links for letters: 26 characters a person can type from paper, keeping 130 bits.

The code is the first 130 bits of ``HMAC-SHA256(K_short, "short-link:" + salt)`` (RFC 2104),
where ``salt`` is the invitation's token salt and ``K_short`` a key derived from the secret key
for this purpose only (HKDF-SHA256, RFC 5869, :func:`survey.keys.hkdf_sha256`), written in
Crockford's base32 (https://www.crockford.com/base32.html): digits and capital letters without
I, L, O and U, so nothing looks like anything else. 26 characters x 5 bits = 130 bits, above
the 128 bits the platform asks of anything that opens an answer page; guessing one of a
campaign's ``n`` live codes takes about ``2**130 / n`` tries, against a per-address rate limit.

It is printed in groups (``ABCD-EFGH-JKMN-PQRS-TVWX-YZ0-123``) and read back case-insensitively,
with or without dashes or spaces, with ``O`` read as ``0`` and ``I``/``L`` as ``1`` (Crockford's
decoding rules), so a misread letter still works. The database keeps only the SHA-256 of the
code (``paper_form.short_code_hash``), like the invitation token: a copy of the database opens
nothing. Because the code is derived from the salt, revoking or reissuing an invitation (which
changes the salt) kills the old code; printing the letter again registers the new one.

SMS invitations and reminders carry the same code (:func:`register_sms_short_links`), written
without dashes (:func:`sms_short_link`): a link in an SMS is tapped, not typed, and the six
dashes would cost six of the 160 characters of one GSM-7 message. The code is registered in the
same ``paper_form`` row a letter would use, so ``/m/<code>`` opens both, and a letter printed
later for the same invitation carries the same code and form number.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from functools import lru_cache

from sqlalchemy import update
from sqlmodel import Session, col, select

from survey.errors import InvalidInput, Problem
from survey.keys import hkdf_sha256
from survey.models import Invitation, PaperForm
from survey.paper_forms import assign_form_numbers
from survey.settings import Settings
from survey.tokens import make_token

SHORT_LINK_PATH = "/m/"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SHORT_CODE_CHARS = 26
SHORT_CODE_BITS = SHORT_CODE_CHARS * 5  # 130
GROUPS = (4, 4, 4, 4, 4, 3, 3)
_SHORT_LINK_KEY = b"sipas/v1/letter-short-link"
_DECODE = {c: c for c in CROCKFORD} | {"O": "0", "I": "1", "L": "1"}
_IGNORED = frozenset(" -\t\u00a0.")


@lru_cache(maxsize=8)
def _key(secret_key: str) -> bytes:
    return hkdf_sha256(secret_key.encode(), info=_SHORT_LINK_KEY)


def make_short_code(secret_key: str, salt: str) -> str:
    """The 26-character code (130 bits) of the invitation whose token salt is ``salt``."""
    digest = hmac.new(_key(secret_key), f"short-link:{salt}".encode(), hashlib.sha256).digest()
    value = int.from_bytes(digest, "big") >> (256 - SHORT_CODE_BITS)
    return "".join(
        CROCKFORD[(value >> (5 * (SHORT_CODE_CHARS - 1 - i))) & 31] for i in range(SHORT_CODE_CHARS)
    )


def format_short_code(code: str) -> str:
    """``ABCDEFGH...`` -> ``ABCD-EFGH-JKMN-PQRS-TVWX-YZ0-123`` (as printed)."""
    parts, start = [], 0
    for size in GROUPS:
        parts.append(code[start : start + size])
        start += size
    return "-".join(parts)


def normalise_short_code(text: str) -> str:
    """The canonical 26 characters of a typed code, or :class:`InvalidInput` naming the fix."""
    canonical = []
    for ch in text.strip().upper():
        if ch in _IGNORED:
            continue
        decoded = _DECODE.get(ch)
        if decoded is None:
            raise InvalidInput(
                f"{ch!r} is not used in these codes",
                [Problem(("code",), "type the letters and digits printed on the letter")],
            )
        canonical.append(decoded)
    if len(canonical) != SHORT_CODE_CHARS:
        raise InvalidInput(
            f"the code has {SHORT_CODE_CHARS} characters, not {len(canonical)}",
            [Problem(("code",), f"type all {SHORT_CODE_CHARS} characters printed on the letter")],
        )
    return "".join(canonical)


def hash_short_code(code: str) -> str:
    """What the database stores: the hex SHA-256 of the canonical code."""
    return hashlib.sha256(code.encode()).hexdigest()


def short_link(settings: Settings, code: str) -> str:
    """The printed link: ``public_base_url + "/m/" + grouped code``."""
    return f"{settings.public_base_url.rstrip('/')}{SHORT_LINK_PATH}{format_short_code(code)}"


def sms_short_link(settings: Settings, code: str) -> str:
    """The SMS link: ``public_base_url + "/m/" + code`` (26 characters, no dashes)."""
    return f"{settings.public_base_url.rstrip('/')}{SHORT_LINK_PATH}{code}"


def register_sms_short_links(
    session: Session, settings: Settings, salts: Sequence[tuple[int, str]]
) -> dict[int, str]:
    """Register the short code of each ``(invitation_id, salt)`` and return its SMS link.

    A step of queueing SMS (flushed, not committed): each invitation gets its ``paper_form``
    row if it has none (:func:`survey.paper_forms.assign_form_numbers`; the number is only
    printed if a letter ever is) and the hash of its current code, in one executemany.
    """
    if not salts:
        return {}
    assign_form_numbers(session, [invitation_id for invitation_id, _salt in salts])
    codes = {
        invitation_id: make_short_code(settings.secret_key, salt) for invitation_id, salt in salts
    }
    session.execute(
        update(PaperForm),
        [
            {"invitation_id": invitation_id, "short_code_hash": hash_short_code(code)}
            for invitation_id, code in codes.items()
        ],
    )
    return {invitation_id: sms_short_link(settings, code) for invitation_id, code in codes.items()}


def register_short_codes(
    session: Session, settings: Settings, salts: Iterable[tuple[int, str]]
) -> dict[int, str]:
    """Store the hash of each invitation's current code (flushed, not committed); return codes.

    A step of printing letters: the invitations must already have a ``paper_form`` row
    (:func:`survey.paper_forms.assign_form_numbers`).
    """
    codes: dict[int, str] = {}
    for invitation_id, salt in salts:
        code = make_short_code(settings.secret_key, salt)
        codes[invitation_id] = code
        session.execute(
            update(PaperForm)
            .where(col(PaperForm.invitation_id) == invitation_id)
            .values(short_code_hash=hash_short_code(code))
        )
    return codes


def token_for_short_code(*, session: Session, settings: Settings, code: str) -> str | None:
    """The invitation token a typed short code stands for, or ``None`` when it leads nowhere.

    The stored hash finds the invitation; the code is then derived again from its current salt
    and compared in constant time, so a code printed before a revocation or reissue is dead.

    Raises
    ------
    InvalidInput
        When the text cannot be a code (wrong length or characters).
    """
    canonical = normalise_short_code(code)
    salt = session.exec(
        select(Invitation.token_salt)
        .join(PaperForm, col(PaperForm.invitation_id) == col(Invitation.id))
        .where(col(PaperForm.short_code_hash) == hash_short_code(canonical))
    ).first()
    if salt is None or not hmac.compare_digest(
        make_short_code(settings.secret_key, salt), canonical
    ):
        return None
    return make_token(settings.secret_key, salt)
