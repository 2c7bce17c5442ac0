"""Password policy in both languages, and the bounded verifier that keeps cores free."""

from __future__ import annotations

import threading

import pytest

import survey.passwords as passwords
from survey.passwords import (
    PasswordChecker,
    PasswordCheckerBusy,
    dummy_hash,
    password_problems,
    verify_password,
)


def test_the_policy_says_why_in_english_and_vietnamese() -> None:
    assert password_problems("violet tractor humming quietly") == []
    assert password_problems("correct horse battery") == []
    assert password_problems("short", lang="vi") == ["mật khẩu cần ít nhất 12 ký tự"]
    [english] = password_problems("Password123456")
    [vietnamese] = password_problems("Password123456", lang="vi")
    assert english == (
        "the password is too easy to guess: This is similar to a commonly used password. "
        "Add another word or two. Uncommon words are better. "
        "Capitalization doesn't help very much."
    )
    assert vietnamese == (
        "mật khẩu quá dễ đoán: Mật khẩu này giống một mật khẩu phổ biến. "
        "Thêm một hai từ nữa, tốt nhất là những từ ít gặp. "
        "Viết hoa chữ đầu không giúp được nhiều."
    )
    [keyboard] = password_problems("zxcvbnm,./asdf", lang="vi")
    assert "Một hàng phím liền nhau rất dễ đoán." in keyboard
    [repeats] = password_problems("aaaaaaaaaaaaaa", lang="vi")
    assert "Lặp lại như “aaa” rất dễ đoán." in repeats
    assert password_problems("x" * 201) == ["the password may have at most 200 characters"]


def test_the_username_counts_as_a_known_word() -> None:
    assert password_problems("tranthimai2026") == []
    [reason] = password_problems("tranthimai2026", user_inputs=["tranthimai"])
    assert reason.startswith("the password is too easy to guess")


def test_every_sentence_zxcvbn_can_give_has_a_vietnamese_translation() -> None:
    import ast
    import inspect

    from zxcvbn import feedback

    tree = ast.parse(inspect.getsource(feedback))
    sentences = {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "_"
    }
    assert len(sentences) > 20
    assert sentences == set(passwords._VIETNAMESE)


def test_dummy_hash_is_a_real_argon2_hash_made_once() -> None:
    assert dummy_hash() is dummy_hash()
    assert dummy_hash().startswith("$argon2id$")
    assert not verify_password(dummy_hash(), "")


def test_the_checker_runs_a_bounded_number_and_refuses_the_rest_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checker = PasswordChecker(concurrency=1, queue=1)
    release = threading.Event()
    running = threading.Event()
    calls: list[str] = []

    def slow_verify(password_hash: str, password: str) -> bool:
        calls.append(password)
        running.set()
        assert release.wait(timeout=30)
        return False

    monkeypatch.setattr(passwords, "verify_password", slow_verify)

    def sign_in(password: str) -> None:
        checker.admit()
        try:
            checker.verify("hash", password)
        finally:
            checker.leave()

    first = threading.Thread(target=sign_in, args=("first",))
    first.start()
    assert running.wait(timeout=30)
    second = threading.Thread(target=sign_in, args=("second",))
    second.start()
    # One running, one queued: a third is refused without waiting.
    while checker.admitted < 2:
        threading.Event().wait(0.001)
    with pytest.raises(PasswordCheckerBusy) as busy:
        sign_in("third")
    assert busy.value.retry_after >= 1 and busy.value.status_code == 429
    assert calls == ["first"]
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)
    assert calls == ["first", "second"]
    assert checker.admitted == 0


def test_the_default_size_leaves_a_core_free(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords.os, "cpu_count", lambda: 4)
    assert PasswordChecker().concurrency == 3
    monkeypatch.setattr(passwords.os, "cpu_count", lambda: 1)
    assert PasswordChecker().concurrency == 1
    assert PasswordChecker(concurrency=2).concurrency == 2
