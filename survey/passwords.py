"""Passwords: Argon2id hashing (argon2-cffi), bounded verification, and the password policy.

Hashing is deliberately costly (RFC 9106 low-memory profile: 3 passes over 64 MiB, about a
quarter of a second of one core here). Unbounded, 40 parallel sign-ins take every core and 2.5 GB;
:class:`PasswordChecker` lets a process run only a few verifications at once (by default one less
than its cores) with a short queue behind them, and refuses the rest at once with
:class:`~survey.errors.TooManyRequests`, so the threads that serve citizens' pages stay free.

The policy (:func:`password_problems`) asks for 12 characters and a zxcvbn score of at least 3
(zxcvbn 4.5: dictionaries of common passwords, names, keyboard patterns, dates, repeats), and says
why a password is refused in the user's language (zxcvbn's advice translated to Vietnamese).
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterable
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from survey.errors import TooManyRequests

MIN_LENGTH = 12
MAX_LENGTH = 200
MIN_SCORE = 3
# zxcvbn's cost grows faster than linearly with the length; the first 100 characters decide.
_SCORED_PREFIX = 100

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """Argon2id hash with a random salt, in the PHC string format."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; never raises for a wrong password or a malformed hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def dummy_hash() -> str:
    """A hash of a random password, made with the same parameters as real ones.

    Unknown usernames are verified against it so that they cost the same work as known ones.
    """
    return hash_password(secrets.token_urlsafe(24))


class PasswordCheckerBusy(TooManyRequests):
    """Every verification place of this process is taken; the caller should retry shortly."""

    def __init__(self) -> None:
        super().__init__(
            "the server is busy checking other sign-ins: try again in a few seconds",
            retry_after=2,
        )


class PasswordChecker:
    """At most ``concurrency`` verifications at once, ``queue`` more waiting, the rest refused."""

    def __init__(self, concurrency: int = 0, queue: int = 4) -> None:
        self.concurrency = concurrency if concurrency > 0 else max(1, (os.cpu_count() or 2) - 1)
        self.queue = max(0, queue)
        self._slots = threading.Semaphore(self.concurrency)
        self._lock = threading.Lock()
        self._admitted = 0

    def admit(self) -> None:
        """Take a place (running or queued) or raise TooManyRequests at once."""
        with self._lock:
            if self._admitted >= self.concurrency + self.queue:
                raise PasswordCheckerBusy()
            self._admitted += 1

    def leave(self) -> None:
        """Give back a place taken by :meth:`admit`."""
        with self._lock:
            self._admitted -= 1

    @property
    def admitted(self) -> int:
        """How many verifications are running or waiting now."""
        return self._admitted

    def verify(self, password_hash: str, password: str) -> bool:
        """Verify within a place taken by :meth:`admit` (waits for a free slot)."""
        with self._slots:
            return verify_password(password_hash, password)


@cache
def password_checker(concurrency: int = 0, queue: int = 4) -> PasswordChecker:
    """The process's checker for these settings (one semaphore per process, made on first use)."""
    return PasswordChecker(concurrency, queue)


# zxcvbn 4.5's advice (zxcvbn/feedback.py) in Vietnamese; an unknown sentence stays in English.
_VIETNAMESE = {
    "Use a few words, avoid common phrases.": "Hãy dùng vài từ, tránh các cụm từ thông dụng.",
    "No need for symbols, digits, or uppercase letters.": (
        "Không cần ký hiệu, chữ số hay chữ hoa."
    ),
    "Add another word or two. Uncommon words are better.": (
        "Thêm một hai từ nữa, tốt nhất là những từ ít gặp."
    ),
    "Straight rows of keys are easy to guess.": "Một hàng phím liền nhau rất dễ đoán.",
    "Short keyboard patterns are easy to guess.": "Các mẫu phím ngắn rất dễ đoán.",
    "Use a longer keyboard pattern with more turns.": "Dùng mẫu phím dài hơn, đổi hướng nhiều hơn.",
    'Repeats like "aaa" are easy to guess.': "Lặp lại như “aaa” rất dễ đoán.",
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".': (
        "Lặp lại như “abcabcabc” chỉ khó đoán hơn “abc” một chút."
    ),
    "Avoid repeated words and characters.": "Tránh lặp lại từ và ký tự.",
    'Sequences like "abc" or "6543" are easy to guess.': "Dãy như “abc” hay “6543” rất dễ đoán.",
    "Avoid sequences.": "Tránh các dãy liên tiếp.",
    "Recent years are easy to guess.": "Các năm gần đây rất dễ đoán.",
    "Avoid recent years.": "Tránh các năm gần đây.",
    "Avoid years that are associated with you.": "Tránh các năm gắn với bản thân.",
    "Dates are often easy to guess.": "Ngày tháng thường dễ đoán.",
    "Avoid dates and years that are associated with you.": (
        "Tránh ngày tháng và năm gắn với bản thân."
    ),
    "This is a top-10 common password.": "Đây là một trong 10 mật khẩu phổ biến nhất.",
    "This is a top-100 common password.": "Đây là một trong 100 mật khẩu phổ biến nhất.",
    "This is a very common password.": "Đây là mật khẩu rất phổ biến.",
    "This is similar to a commonly used password.": "Mật khẩu này giống một mật khẩu phổ biến.",
    "A word by itself is easy to guess.": "Một từ đứng riêng rất dễ đoán.",
    "Names and surnames by themselves are easy to guess.": "Tên và họ đứng riêng rất dễ đoán.",
    "Common names and surnames are easy to guess.": "Tên và họ phổ biến rất dễ đoán.",
    "Capitalization doesn't help very much.": "Viết hoa chữ đầu không giúp được nhiều.",
    "All-uppercase is almost as easy to guess as all-lowercase.": (
        "Viết hoa toàn bộ cũng dễ đoán gần như viết thường."
    ),
    "Reversed words aren't much harder to guess.": "Viết ngược từ không khó đoán hơn bao nhiêu.",
    "Predictable substitutions like '@' instead of 'a' don't help very much.": (
        "Thay chữ dễ đoán như “@” thay cho “a” không giúp được nhiều."
    ),
}

_WORDS = {
    "en": {
        "short": "the password needs at least {n} characters",
        "long": "the password may have at most {n} characters",
        "weak": "the password is too easy to guess",
        "fallback": "choose a longer password of several uncommon words",
    },
    "vi": {
        "short": "mật khẩu cần ít nhất {n} ký tự",
        "long": "mật khẩu chỉ được dài tối đa {n} ký tự",
        "weak": "mật khẩu quá dễ đoán",
        "fallback": "hãy chọn mật khẩu dài hơn gồm vài từ ít gặp",
    },
}


def _translate(sentence: str, lang: str) -> str:
    return _VIETNAMESE.get(sentence, sentence) if lang == "vi" else sentence


def password_problems(
    password: str, *, user_inputs: Iterable[str] = (), lang: str = "en"
) -> list[str]:
    """Why ``password`` is refused, in ``lang`` ("en" or "vi"); an empty list means it is fine.

    ``user_inputs`` (the username, the full name) count as known words, so a password built on
    them scores low.
    """
    words = _WORDS["vi" if lang == "vi" else "en"]
    if len(password) < MIN_LENGTH:
        return [words["short"].format(n=MIN_LENGTH)]
    if len(password) > MAX_LENGTH:
        return [words["long"].format(n=MAX_LENGTH)]
    # Imported here: zxcvbn builds its ranked dictionaries when imported (no work at start-up).
    from zxcvbn import zxcvbn

    inputs = [text for text in user_inputs if text]
    result = zxcvbn(password[:_SCORED_PREFIX], user_inputs=inputs)
    if result["score"] >= MIN_SCORE:
        return []
    feedback = result["feedback"]
    advice = [feedback["warning"], *feedback["suggestions"]]
    reasons = " ".join(_translate(s, lang) for s in advice if s) or words["fallback"]
    return [f"{words['weak']}: {reasons}"]
