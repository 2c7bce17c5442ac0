"""Invitation tokens: 256-bit keyed tokens that the database stores only as a SHA-256 hash.

A token is ``HMAC-SHA256(K_inv, "invitation:" + salt)`` in URL-safe base64 (43 characters,
256 bits), where ``K_inv`` is the invitation key derived from the secret key
(:func:`survey.keys.derive_keys`; HKDF-SHA256, RFC 5869), so no other use of the secret key
can produce or reveal a token. The database keeps the random per-invitation ``salt`` and
``sha256(token)``: a copy of the database alone does not reveal any link, while the service
(which holds the secret key) can print the same link again on a letter or in a reminder.
Revoking an invitation changes its salt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from survey.keys import derive_keys


def new_salt() -> str:
    """A random 192-bit salt (32 URL-safe characters): the token's entropy comes from here."""
    return secrets.token_urlsafe(24)


def make_token(secret_key: str, salt: str) -> str:
    """The invitation token for ``salt`` under ``secret_key``'s invitation key (RFC 2104 HMAC)."""
    key = derive_keys(secret_key).invitation
    digest = hmac.new(key, f"invitation:{salt}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def hash_token(token: str) -> str:
    """What the database stores and looks up: the hex SHA-256 of the token."""
    return hashlib.sha256(token.encode()).hexdigest()
