"""Keys derived from ``SIPAS_SECRET_KEY``, one per purpose, so that no two uses share a key.

Each purpose gets its own 256-bit key from HKDF-SHA256 (RFC 5869, "HMAC-based Extract-and-Expand
Key Derivation Function"), with the secret key as input keying material and the purpose's label
as ``info``. A key that leaks through one use (say the inbound SMS URL written into Kannel's
configuration) tells nothing about the others (invitation tokens, staff form tokens, delivery
report signatures): HKDF outputs for different ``info`` are independent pseudorandom keys as long
as the secret key is not known (RFC 5869 section 3.2; Krawczyk, CRYPTO 2010).

Rotating ``SIPAS_SECRET_KEY`` rotates every derived key, so all links already sent stop working.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["DerivedKeys", "derive_keys", "hkdf_sha256"]

_HASH_LEN = 32  # SHA-256 output, bytes

# Labels are part of the key: changing one changes that key (and invalidates what it signed).
INVITATION = b"sipas/v1/invitation-token"
STAFF_CSRF = b"sipas/v1/staff-session-csrf"
ANSWER_FORM = b"sipas/v1/answer-form-csrf"
SMS_DELIVERY_REPORT = b"sipas/v1/sms-delivery-report"
SMS_INBOUND = b"sipas/v1/sms-inbound"


def hkdf_sha256(ikm: bytes, *, info: bytes, length: int = _HASH_LEN, salt: bytes = b"") -> bytes:
    """HKDF-SHA256 (RFC 5869): ``Expand(Extract(salt, ikm), info, length)``.

    Parameters
    ----------
    ikm
        Input keying material (here the secret key's UTF-8 bytes).
    info
        Context label; different labels give independent keys.
    length
        Output length in bytes, at most 255 * 32.
    salt
        Optional salt; empty means HashLen zero bytes (RFC 5869 section 2.2), which HMAC treats
        identically.

    Returns
    -------
    bytes
        The output keying material ``OKM``.
    """
    if not 0 < length <= 255 * _HASH_LEN:
        raise ValueError(f"HKDF-SHA256 can produce 1 to {255 * _HASH_LEN} bytes, not {length}")
    prk = hmac.new(salt or bytes(_HASH_LEN), ikm, hashlib.sha256).digest()
    okm, block = b"", b""
    counter = 1
    while len(okm) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        okm += block
        counter += 1
    return okm[:length]


@dataclass(frozen=True)
class DerivedKeys:
    """The per-purpose keys of one secret key. ``repr`` shows none of them."""

    invitation: bytes
    """Invitation tokens (:func:`survey.tokens.make_token`)."""
    staff_csrf: bytes
    """Form tokens of staff pages, bound to the staff session."""
    answer_form: bytes
    """Form tokens of the citizen's answer pages, bound to the invitation."""
    sms_delivery_report: bytes
    """Signatures of the per-message delivery-report URLs given to Kannel."""
    sms_inbound: bytes
    """The credential in the inbound (MO) URL written into Kannel's configuration."""

    def __repr__(self) -> str:
        return "DerivedKeys(<hidden>)"

    @property
    def sms_inbound_credential(self) -> str:
        """The inbound key as it travels in a URL path (hex: no ``%`` for Kannel to expand)."""
        return self.sms_inbound.hex()


@lru_cache(maxsize=16)
def derive_keys(secret_key: str) -> DerivedKeys:
    """All purpose keys of ``secret_key`` (cached: HKDF runs once per secret per process)."""
    ikm = secret_key.encode()
    return DerivedKeys(
        invitation=hkdf_sha256(ikm, info=INVITATION),
        staff_csrf=hkdf_sha256(ikm, info=STAFF_CSRF),
        answer_form=hkdf_sha256(ikm, info=ANSWER_FORM),
        sms_delivery_report=hkdf_sha256(ikm, info=SMS_DELIVERY_REPORT),
        sms_inbound=hkdf_sha256(ikm, info=SMS_INBOUND),
    )
