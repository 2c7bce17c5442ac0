"""Settings read from environment variables with the prefix ``SIPAS_``.

Every setting has a default that runs on an embedded SQLite database with no environment at all, so
a newcomer can start the service with one command: ``sipas demo``. The one exception is the secret
key: :func:`load_settings` (the environment, as the service reads it) refuses a missing, built-in or
short ``SIPAS_SECRET_KEY``, and so does :func:`api.app.create_app` for any ``Settings`` not marked
``development=True``. Only ``sipas demo`` and the test fixtures set that flag, in code; no
environment variable can, so a production server cannot slip into development mode.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path

from survey.errors import InvalidInput, Problem
from survey.keys import DerivedKeys, derive_keys

PREFIX = "SIPAS_"
DEV_SECRET_KEY = "dev-only-secret-change-me"
MIN_SECRET_KEY_LENGTH = 32
MAKE_SECRET_KEY = 'python3 -c "import secrets; print(secrets.token_urlsafe(48))"'

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class InsecureSecretKey(InvalidInput):
    """The secret key is missing, the built-in development key, or too weak to sign with."""


def _env(name: str, default: str) -> str:
    return os.environ.get(PREFIX + name, default)


def _default_database_url() -> str:
    data_dir = Path(_env("DATA_DIR", "var"))
    return f"sqlite:///{data_dir / 'sipas.db'}"


@dataclass(frozen=True)
class Settings:
    """Runtime configuration; build with :func:`load_settings`."""

    database_url: str = field(default_factory=_default_database_url)
    secret_key: str = field(default=DEV_SECRET_KEY, repr=False)
    public_base_url: str = "http://127.0.0.1:8000"
    sms_gateway: str = "outbox"
    kannel_sendsms_url: str = "http://127.0.0.1:13013/cgi-bin/sendsms"
    kannel_username: str = "sipas"
    kannel_password: str = field(default="sipas", repr=False)
    sms_sender: str = "SIPAS"
    sms_rate_per_second: float = 20.0
    quiet_hours_start: str = "21:00"
    quiet_hours_end: str = "07:00"
    timezone: str = "Asia/Ho_Chi_Minh"
    sql_echo: bool = False
    # Largest frame upload accepted, in MB (10^6 bytes); larger bodies get 413 unread.
    max_upload_mb: float = 200.0
    # Sessions and tokens (survey.users): a web session ends after this much idle time or this
    # long after sign-in, whichever comes first; a script's token after its lifetime.
    session_idle_minutes: int = 8 * 60
    session_max_hours: int = 12
    api_token_days: int = 90
    # Rate limits (survey.rate_limits) in the `limits` notation: "COUNT/[N] second|minute|hour".
    login_limit_per_account: str = "10/15 minutes"
    login_limit_per_address: str = "30/15 minutes"
    citizen_limit_per_address: str = "120/minute"
    callback_limit_per_address: str = "600/minute"
    # The official header and signature of printed letters (survey/letter_pdf.py), in the
    # administrative document layout of Decree 30/2020/ND-CP: the governing body above the
    # issuing agency, the place before the date, the signer's title above the name.
    letter_parent_agency: str = "ỦY BAN NHÂN DÂN TỈNH"
    letter_agency: str = "SỞ NỘI VỤ"
    letter_place: str = "Hà Nội"
    letter_signer_title: str = "GIÁM ĐỐC"
    letter_signer_name: str = ""
    # Concurrent Argon2 verifications per process (0: one less than the cores, at least 1) and
    # how many sign-ins may wait for one (on the event loop, holding no thread, at most 10 s);
    # the rest are refused at once with 429.
    password_checks: int = 0
    password_check_queue: int = 64
    kannel_allowed_addresses: tuple[IPNetwork, ...] = ()
    """Addresses Kannel's callbacks may come from (empty: any; the signature still decides)."""
    development: bool = False
    """Set in code by ``sipas demo`` and the test fixtures only: the secret key is not checked."""

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def keys(self) -> DerivedKeys:
        """The per-purpose keys derived from the secret key (:mod:`survey.keys`)."""
        return derive_keys(self.secret_key)


def secret_key_problem(secret_key: str) -> str | None:
    """Why ``secret_key`` cannot sign production links and forms, or ``None`` when it can."""
    if not secret_key:
        return "is not set"
    if secret_key == DEV_SECRET_KEY:
        return "is the built-in development key, which anyone can read in the source code"
    if len(secret_key) < MIN_SECRET_KEY_LENGTH:
        return f"has {len(secret_key)} characters; it needs at least {MIN_SECRET_KEY_LENGTH}"
    if len(set(secret_key)) < 8:
        return "repeats a few characters; it must be random"
    return None


def check_secret_key(settings: Settings) -> None:
    """Refuse to serve with a weak secret key unless ``settings.development`` is set.

    Raises
    ------
    InsecureSecretKey
        Naming ``SIPAS_SECRET_KEY`` and how to make one.
    """
    if settings.development:
        return
    problem = secret_key_problem(settings.secret_key)
    if problem is None:
        return
    raise InsecureSecretKey(
        f"{PREFIX}SECRET_KEY {problem}: the service will not start without a real secret key",
        [
            Problem(
                (PREFIX + "SECRET_KEY",),
                f"make one with `{MAKE_SECRET_KEY}` and set {PREFIX}SECRET_KEY to it (at least "
                f"{MIN_SECRET_KEY_LENGTH} random characters); keep it stable and private, since "
                "every invitation link and callback signature is derived from it",
            )
        ],
    )


def parse_allowed_addresses(value: str) -> tuple[IPNetwork, ...]:
    """``"10.0.0.5, 192.168.1.0/24"`` as networks; a bad entry is an error naming the variable."""
    networks: list[IPNetwork] = []
    for entry in (part.strip() for part in value.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as error:
            raise InvalidInput(
                f"{PREFIX}KANNEL_ALLOWED_ADDRESSES has {entry!r}, which is not an IP address",
                [
                    Problem(
                        (PREFIX + "KANNEL_ALLOWED_ADDRESSES",),
                        "give comma-separated IP addresses or CIDR networks, e.g. "
                        "'127.0.0.1, 10.1.2.0/24' (or leave it unset to accept any address)",
                    )
                ],
            ) from error
    return tuple(networks)


def load_settings(*, development: bool = False) -> Settings:
    """Read the settings from ``SIPAS_*`` environment variables (unset ones keep their default).

    Parameters
    ----------
    development
        Only ``sipas demo`` passes ``True``: an unset secret key then falls back to the
        built-in development key. Otherwise the secret key must pass :func:`check_secret_key`.

    Raises
    ------
    InsecureSecretKey
        When the secret key is missing, built-in or short (and ``development`` is not set).
    InvalidInput
        When ``SIPAS_KANNEL_ALLOWED_ADDRESSES`` has an entry that is not an address.
    """
    defaults = Settings()
    settings = Settings(
        database_url=_env("DATABASE_URL", defaults.database_url),
        secret_key=_env("SECRET_KEY", defaults.secret_key if development else ""),
        public_base_url=_env("PUBLIC_BASE_URL", defaults.public_base_url).rstrip("/"),
        sms_gateway=_env("SMS_GATEWAY", defaults.sms_gateway),
        kannel_sendsms_url=_env("KANNEL_SENDSMS_URL", defaults.kannel_sendsms_url),
        kannel_username=_env("KANNEL_USERNAME", defaults.kannel_username),
        kannel_password=_env("KANNEL_PASSWORD", defaults.kannel_password),
        sms_sender=_env("SMS_SENDER", defaults.sms_sender),
        sms_rate_per_second=float(_env("SMS_RATE_PER_SECOND", str(defaults.sms_rate_per_second))),
        quiet_hours_start=_env("QUIET_HOURS_START", defaults.quiet_hours_start),
        quiet_hours_end=_env("QUIET_HOURS_END", defaults.quiet_hours_end),
        timezone=_env("TIMEZONE", defaults.timezone),
        sql_echo=_env("SQL_ECHO", "0") in {"1", "true", "yes"},
        max_upload_mb=float(_env("MAX_UPLOAD_MB", str(defaults.max_upload_mb))),
        session_idle_minutes=int(_env("SESSION_IDLE_MINUTES", str(defaults.session_idle_minutes))),
        session_max_hours=int(_env("SESSION_MAX_HOURS", str(defaults.session_max_hours))),
        api_token_days=int(_env("API_TOKEN_DAYS", str(defaults.api_token_days))),
        login_limit_per_account=_env("LOGIN_LIMIT_PER_ACCOUNT", defaults.login_limit_per_account),
        login_limit_per_address=_env("LOGIN_LIMIT_PER_ADDRESS", defaults.login_limit_per_address),
        citizen_limit_per_address=_env(
            "CITIZEN_LIMIT_PER_ADDRESS", defaults.citizen_limit_per_address
        ),
        callback_limit_per_address=_env(
            "CALLBACK_LIMIT_PER_ADDRESS", defaults.callback_limit_per_address
        ),
        password_checks=int(_env("PASSWORD_CHECKS", str(defaults.password_checks))),
        letter_parent_agency=_env("LETTER_PARENT_AGENCY", defaults.letter_parent_agency),
        letter_agency=_env("LETTER_AGENCY", defaults.letter_agency),
        letter_place=_env("LETTER_PLACE", defaults.letter_place),
        letter_signer_title=_env("LETTER_SIGNER_TITLE", defaults.letter_signer_title),
        letter_signer_name=_env("LETTER_SIGNER_NAME", defaults.letter_signer_name),
        password_check_queue=int(_env("PASSWORD_CHECK_QUEUE", str(defaults.password_check_queue))),
        kannel_allowed_addresses=parse_allowed_addresses(_env("KANNEL_ALLOWED_ADDRESSES", "")),
        development=development,
    )
    check_secret_key(settings)
    return settings
