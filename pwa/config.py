"""Settings from the environment, with embedded development defaults."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from models import clock

MB = 1024 * 1024


class ConfigError(RuntimeError):
    """A setting that production needs is missing or wrong."""


def _instance_secret(instance_path: Path) -> str:
    # Development keeps a random key on disk so sessions survive restarts.
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
    return key_file.read_text().strip()


def load(instance_path: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the Flask config from LINLI_ENV and the documented environment variables."""
    env = os.environ
    overrides = overrides or {}
    linli_env = overrides.get("LINLI_ENV", env.get("LINLI_ENV", "development"))
    production = linli_env == "production"

    secret = overrides.get("SECRET_KEY") or env.get("SECRET_KEY")
    if not secret:
        if production:
            raise ConfigError("SECRET_KEY must be set when LINLI_ENV=production")
        secret = _instance_secret(instance_path)

    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'linli.sqlite3'}"
    # Hosts hand out postgres:// URLs; SQLAlchemy wants the psycopg 3 driver named.
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgres://")
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")

    config: dict[str, Any] = {
        "LINLI_ENV": linli_env,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": env.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "RQ_QUEUE": env.get("RQ_QUEUE", "linli"),
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000"),
        "MAX_CONTENT_LENGTH": 10 * MB,
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_NAME": "linli_session",
        "BABEL_DEFAULT_LOCALE": "zh",
        "BABEL_DEFAULT_TIMEZONE": clock.ZONE.key,
        "LANGUAGES": ["zh", "en"],
        # Development inbox: shows what each phone would have received. Never in production.
        "DEV_INBOX": not production,
        "STAFF_IDLE_MINUTES": 30,
        "RESIDENT_SESSION_DAYS": 30,
        "SIGN_IN_CODE_MINUTES": 10,
        "SIGN_IN_CODE_TRIES": 5,
        # Per-phone limits on sending sign-in codes: (count, seconds).
        "SIGN_IN_PHONE_LIMITS": [(1, 60), (5, 3600), (10, 86400)],
        "SIGN_IN_IP_LIMIT": env.get("SIGN_IN_IP_LIMIT", "30/hour;100/day"),
        "RATELIMIT_STORAGE_URI": env.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "WORKER_HEARTBEAT_MAX_AGE": 120,
        # SMS through Twilio; with no account configured SMS land in the phone simulator.
        "TWILIO_ACCOUNT_SID": env.get("TWILIO_ACCOUNT_SID"),
        "TWILIO_AUTH_TOKEN": env.get("TWILIO_AUTH_TOKEN"),
        "TWILIO_FROM_NUMBER": env.get("TWILIO_FROM_NUMBER"),
        "TWILIO_MESSAGING_SERVICE_SID": env.get("TWILIO_MESSAGING_SERVICE_SID"),
        "TWILIO_API_BASE_URL": env.get("TWILIO_API_BASE_URL"),
        # The Telegram bot.
        "TELEGRAM_BOT_TOKEN": env.get("TELEGRAM_BOT_TOKEN"),
        "TELEGRAM_WEBHOOK_SECRET": env.get("TELEGRAM_WEBHOOK_SECRET"),
        "TELEGRAM_API_BASE_URL": env.get("TELEGRAM_API_BASE_URL", "https://api.telegram.org"),
        "TELEGRAM_BOT_NAME": env.get("TELEGRAM_BOT_NAME", ""),
        # Sending: the provider's rate for all workers together (0 = no limit), threads per
        # worker, and the daily number of non-urgent messages one phone may get.
        "SMS_RATE_PER_SECOND": float(env.get("SMS_RATE_PER_SECOND", "0") or 0),
        "SEND_CONCURRENCY": int(env.get("SEND_CONCURRENCY", "16")),
        "MESSAGES_PER_DAY": int(env.get("MESSAGES_PER_DAY", "5")),
        # The wait before the first retry of a transient failure; later ones double it.
        "SEND_RETRY_BASE_SECONDS": float(env.get("SEND_RETRY_BASE_SECONDS", "10") or 10),
        "SMS_PRICE_PER_SEGMENT": float(env.get("SMS_PRICE_PER_SEGMENT", "0.045")),
        # Work orders: announce an unclaimed one again after this many hours, escalate to the
        # grid leader and secretary this many hours later, remind claimers this long before.
        "WORK_ORDER_ANNOUNCE_AGAIN_HOURS": float(env.get("WORK_ORDER_ANNOUNCE_AGAIN_HOURS", "2")),
        "WORK_ORDER_ESCALATE_HOURS": float(env.get("WORK_ORDER_ESCALATE_HOURS", "2")),
        "WORK_ORDER_REMIND_BEFORE_HOURS": float(env.get("WORK_ORDER_REMIND_BEFORE_HOURS", "2")),
        # Micro-wishes: hours a wish may wait unclaimed, per category, before each escalation
        # step (building head, grid leader, secretary); categories left out keep their default
        # (services.wishes.escalation.DEFAULT_ESCALATION_HOURS). E.g. "escort=4,repair=12".
        "WISH_ESCALATION_HOURS": {
            k.strip(): float(v)
            for k, _, v in (
                item.partition("=") for item in env.get("WISH_ESCALATION_HOURS", "").split(",")
            )
            if k.strip() and v.strip()
        },
        # Visit reminders: the day of the month and local hour when heads with unvisited
        # households hear, and when grid leaders get their digest. A community may set its own
        # (Coverage page); these are the defaults.
        "VISIT_REMINDER_DAY": int(env.get("VISIT_REMINDER_DAY", "20")),
        "VISIT_REMINDER_HOUR": int(env.get("VISIT_REMINDER_HOUR", "9")),
        "VISIT_DIGEST_DAY": int(env.get("VISIT_DIGEST_DAY", "25")),
        "VISIT_DIGEST_HOUR": int(env.get("VISIT_DIGEST_HOUR", "9")),
    }
    config.update(overrides)
    config.setdefault("RATELIMIT_STORAGE_URI", config["REDIS_URL"])
    if "REDIS_URL" in overrides and "RATELIMIT_STORAGE_URI" not in overrides:
        config["RATELIMIT_STORAGE_URI"] = overrides["REDIS_URL"]
    return config
