"""Derived keys: HKDF-SHA256 against RFC 5869 test vectors, one independent key per purpose."""

from __future__ import annotations

import pytest

from survey.keys import derive_keys, hkdf_sha256


def test_hkdf_matches_rfc5869_test_case_1() -> None:
    # RFC 5869, Appendix A.1 (SHA-256, basic case).
    okm = hkdf_sha256(
        bytes([0x0B] * 22), salt=bytes(range(0x0D)), info=bytes(range(0xF0, 0xFA)), length=42
    )
    assert okm.hex() == (
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
    )


def test_hkdf_matches_rfc5869_test_case_3() -> None:
    # RFC 5869, Appendix A.3 (SHA-256, zero-length salt and info).
    okm = hkdf_sha256(bytes([0x0B] * 22), salt=b"", info=b"", length=42)
    assert okm.hex() == (
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
    )


def test_hkdf_refuses_impossible_lengths() -> None:
    with pytest.raises(ValueError, match="1 to 8160 bytes"):
        hkdf_sha256(b"k", info=b"x", length=255 * 32 + 1)
    with pytest.raises(ValueError):
        hkdf_sha256(b"k", info=b"x", length=0)


def test_every_purpose_has_its_own_key_and_none_is_the_secret() -> None:
    secret = "a-long-enough-secret-for-the-test-0123456789"
    keys = derive_keys(secret)
    values = [
        keys.invitation,
        keys.staff_csrf,
        keys.answer_form,
        keys.sms_delivery_report,
        keys.sms_inbound,
    ]
    assert all(len(value) == 32 for value in values)
    assert len(set(values)) == len(values)
    assert secret.encode() not in values
    assert all(value.hex() not in repr(keys) for value in values)


def test_keys_follow_the_secret() -> None:
    one = derive_keys("secret-one-0123456789-0123456789-abc")
    two = derive_keys("secret-two-0123456789-0123456789-abc")
    assert one.invitation != two.invitation
    assert one.sms_inbound_credential != two.sms_inbound_credential
    assert derive_keys("secret-one-0123456789-0123456789-abc") == one
