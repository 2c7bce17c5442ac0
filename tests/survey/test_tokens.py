"""Invitation tokens: long, keyed, reproducible from the salt, never stored in clear."""

from __future__ import annotations

import base64
import hmac

from survey.keys import INVITATION, hkdf_sha256
from survey.tokens import hash_token, make_token, new_salt


def test_token_carries_256_bits_and_is_url_safe() -> None:
    token = make_token("secret", new_salt())
    raw = base64.urlsafe_b64decode(token + "=")
    assert len(raw) * 8 == 256
    assert token.isascii() and "/" not in token and "+" not in token


def test_same_salt_gives_same_token_and_other_key_or_salt_differs() -> None:
    salt = new_salt()
    assert make_token("k1", salt) == make_token("k1", salt)
    assert make_token("k2", salt) != make_token("k1", salt)
    assert make_token("k1", new_salt()) != make_token("k1", salt)


def test_hash_is_not_the_token() -> None:
    token = make_token("k", new_salt())
    digest = hash_token(token)
    assert len(digest) == 64 and token not in digest and digest == hash_token(token)


def test_salts_carry_192_random_bits_and_fit_the_column() -> None:
    salts = {new_salt() for _ in range(1000)}
    assert len(salts) == 1000
    assert all(len(s) == 32 and len(base64.urlsafe_b64decode(s)) * 8 == 192 for s in salts)


def test_token_is_keyed_by_the_derived_invitation_key_not_the_secret() -> None:
    secret, salt = "a-secret-key-for-this-test-0123456789", new_salt()
    message = f"invitation:{salt}".encode()

    def b64(digest: bytes) -> str:
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    invitation_key = hkdf_sha256(secret.encode(), info=INVITATION)
    assert make_token(secret, salt) == b64(hmac.new(invitation_key, message, "sha256").digest())
    # The construction before derived keys: someone holding another derived key cannot use it.
    assert make_token(secret, salt) != b64(hmac.new(secret.encode(), message, "sha256").digest())
