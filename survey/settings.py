"""Settings read from environment variables with the prefix ``SIPAS_``.

Every setting has a default that runs on an embedded SQLite database with no environment at all, so
a newcomer can start the service with one command.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PREFIX = "SIPAS_"


def _env(name: str, default: str) -> str:
    return os.environ.get(PREFIX + name, default)


def _default_database_url() -> str:
    data_dir = Path(_env("DATA_DIR", "var"))
    return f"sqlite:///{data_dir / 'sipas.db'}"


@dataclass(frozen=True)
class Settings:
    """Runtime configuration; build with :func:`load_settings`."""

    database_url: str = field(default_factory=_default_database_url)
    secret_key: str = "dev-only-secret-change-me"
    public_base_url: str = "http://127.0.0.1:8000"
    sms_gateway: str = "outbox"
    kannel_sendsms_url: str = "http://127.0.0.1:13013/cgi-bin/sendsms"
    kannel_username: str = "sipas"
    kannel_password: str = "sipas"
    sms_sender: str = "SIPAS"
    sms_rate_per_second: float = 20.0
    quiet_hours_start: str = "21:00"
    quiet_hours_end: str = "07:00"
    timezone: str = "Asia/Ho_Chi_Minh"
    sql_echo: bool = False
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
    # Concurrent Argon2 verifications per process (0: one less than the cores, at least 1) and
    # how many sign-ins may wait for one; the rest are refused at once with 429.
    password_checks: int = 0
    password_check_queue: int = 4

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings() -> Settings:
    """Read the settings from ``SIPAS_*`` environment variables (unset ones keep their default)."""
    defaults = Settings()
    return Settings(
        database_url=_env("DATABASE_URL", defaults.database_url),
        secret_key=_env("SECRET_KEY", defaults.secret_key),
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
        password_check_queue=int(_env("PASSWORD_CHECK_QUEUE", str(defaults.password_check_queue))),
    )
