"""Settings from the environment.

Linli runs in production unless `LINLI_ENV=development` says otherwise (`make run` and the
tests do): a deployment that forgets a variable must not serve the development inbox.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from models import clock
from notify.channels.push import allowed_networks
from notify.channels.twilio.sending import status_retry

MB = 1024 * 1024
SMS_PROVIDERS = ("twilio", "alibaba", "tencent")
DEV_BASE_URL = "http://127.0.0.1:8000"


class ConfigError(RuntimeError):
    """A setting that production needs is missing or wrong."""


ENVIRONMENTS = ("production", "development")
PRODUCTION_NEEDS = (
    "Linli runs in production unless LINLI_ENV=development is set, and production needs:"
)


def _instance_secret(instance_path: Path) -> str:
    # Development keeps a random key on disk so sessions survive restarts. It is created
    # readable by its owner only (O_EXCL: never through another file or a link put there).
    key_file = instance_path / "secret_key"
    instance_path.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_hex(32))
    return key_file.read_text().strip()


def _environment(value: object) -> str:
    name = str(value).strip().lower()
    if name not in ENVIRONMENTS:
        raise ConfigError(
            f"LINLI_ENV={value!r} is not known: set LINLI_ENV=production (the default) or "
            "LINLI_ENV=development (the development inbox and phone simulator, never on a "
            "server others can reach)."
        )
    return name


def _trusted_proxies(value: object) -> int:
    try:
        count = int(str(value).strip() or "0")
    except ValueError:
        count = -1
    if count < 0:
        raise ConfigError(
            f"TRUSTED_PROXIES={value!r} is not a number of proxies: set it to how many "
            "reverse proxies stand in front of Linli and add X-Forwarded-For (1 for one TLS "
            "proxy), or 0 when clients connect directly."
        )
    return count


def _production_problems(config: dict[str, Any]) -> list[str]:
    problems = []
    if not config.get("SECRET_KEY"):
        problems.append(
            "SECRET_KEY: a long random string kept secret and the same for every process "
            "(e.g. the output of `python -c 'import secrets; print(secrets.token_hex(32))'`)"
        )
    public = str(config.get("PUBLIC_BASE_URL") or "")
    parts = urlsplit(public)
    if parts.scheme != "https" or not parts.hostname:
        got = f" (it is {public!r})" if public else ""
        problems.append(
            "PUBLIC_BASE_URL: the https address people reach Linli at, e.g. "
            f"https://linli.example.cn{got}"
        )
    return problems


def load(instance_path: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the Flask config from LINLI_ENV and the documented environment variables."""
    env = os.environ
    overrides = overrides or {}
    linli_env = _environment(overrides.get("LINLI_ENV", env.get("LINLI_ENV") or "production"))
    production = linli_env == "production"

    secret = overrides.get("SECRET_KEY") or env.get("SECRET_KEY")
    if not secret and not production:
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
        # A server can drop a pooled connection (a restart, a proxy's idle timeout): test it
        # before use. A SQLite file has no server, and under a crowd the ping's release of
        # the GIL cost each request a wait behind the other threads for its return.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": not database_url.startswith("sqlite")},
        "REDIS_URL": env.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "RQ_QUEUE": env.get("RQ_QUEUE", "linli"),
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL") or ("" if production else DEV_BASE_URL),
        # Reverse proxies in front of the web server whose X-Forwarded-* headers are believed
        # (Werkzeug's ProxyFix); 0 = none, clients connect directly.
        "TRUSTED_PROXIES": _trusted_proxies(env.get("TRUSTED_PROXIES", "0")),
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
        # Reads of personal data whose audit entry could not be written yet wait here (one
        # JSON object a line) until the "audit-spool" job writes them (services/audit.py).
        "AUDIT_SPOOL": env.get("AUDIT_SPOOL") or str(instance_path / "audit-spool.jsonl"),
        # SMS through Twilio; with no account configured SMS land in the phone simulator.
        "TWILIO_ACCOUNT_SID": env.get("TWILIO_ACCOUNT_SID"),
        "TWILIO_AUTH_TOKEN": env.get("TWILIO_AUTH_TOKEN"),
        "TWILIO_FROM_NUMBER": env.get("TWILIO_FROM_NUMBER"),
        "TWILIO_MESSAGING_SERVICE_SID": env.get("TWILIO_MESSAGING_SERVICE_SID"),
        "TWILIO_API_BASE_URL": env.get("TWILIO_API_BASE_URL"),
        # Twilio retries a status callback answered 5xx only as the URL's fragment says.
        "TWILIO_STATUS_RETRY": env.get("TWILIO_STATUS_RETRY", "rc=3&rp=5xx,ct,rt"),
        # The SMS provider of a community that has not chosen one: "twilio" or "alibaba".
        "SMS_PROVIDER": env.get("SMS_PROVIDER", "twilio"),
        # Alibaba Cloud SMS (mainland template SMS); the endpoint may point at a test server.
        "ALIBABA_ACCESS_KEY_ID": env.get("ALIBABA_ACCESS_KEY_ID"),
        "ALIBABA_ACCESS_KEY_SECRET": env.get("ALIBABA_ACCESS_KEY_SECRET"),
        "ALIBABA_SMS_ENDPOINT": env.get("ALIBABA_SMS_ENDPOINT", "dysmsapi.aliyuncs.com"),
        # API calls a second for all workers together (0 = no limit).
        "ALIBABA_SMS_RATE": float(env.get("ALIBABA_SMS_RATE", "0") or 0),
        # Tencent Cloud SMS (mainland template SMS): the API key, the SMS application, the
        # region, and an endpoint that may point at a test server; API calls a second.
        "TENCENT_SECRET_ID": env.get("TENCENT_SECRET_ID"),
        "TENCENT_SECRET_KEY": env.get("TENCENT_SECRET_KEY"),
        "TENCENT_SMS_APP_ID": env.get("TENCENT_SMS_APP_ID"),
        "TENCENT_SMS_REGION": env.get("TENCENT_SMS_REGION", "ap-guangzhou"),
        "TENCENT_SMS_ENDPOINT": env.get("TENCENT_SMS_ENDPOINT", "sms.tencentcloudapi.com"),
        "TENCENT_SMS_RATE": float(env.get("TENCENT_SMS_RATE", "0") or 0),
        # The pushes (SmsReport, SmsUp) come to /webhooks/alibaba/<secret>/report and /up.
        "ALIBABA_PUSH_SECRET": env.get("ALIBABA_PUSH_SECRET"),
        "ALIBABA_PUSH_ALLOWED_IPS": env.get("ALIBABA_PUSH_ALLOWED_IPS", ""),
        # Tencent's callbacks come to /webhooks/tencent/<secret>/report and /reply.
        "TENCENT_PUSH_SECRET": env.get("TENCENT_PUSH_SECRET"),
        "TENCENT_PUSH_ALLOWED_IPS": env.get("TENCENT_PUSH_ALLOWED_IPS", ""),
        # The Telegram bot.
        "TELEGRAM_BOT_TOKEN": env.get("TELEGRAM_BOT_TOKEN"),
        "TELEGRAM_WEBHOOK_SECRET": env.get("TELEGRAM_WEBHOOK_SECRET"),
        "TELEGRAM_API_BASE_URL": env.get("TELEGRAM_API_BASE_URL", "https://api.telegram.org"),
        "TELEGRAM_BOT_NAME": env.get("TELEGRAM_BOT_NAME", ""),
        # An HTTP(S) proxy the Bot API is reached through (CONNECT for https), e.g.
        # http://proxy:3128, where api.telegram.org is not reachable directly.
        "TELEGRAM_PROXY_URL": env.get("TELEGRAM_PROXY_URL", ""),
        # A PEM file of CAs the Bot API client trusts instead of the system's (a proxy that
        # inspects TLS presents its own certificate).
        "TELEGRAM_CA_FILE": env.get("TELEGRAM_CA_FILE", ""),
        # WeCom group robots: the webhook address a grid's robot must have (tests point it at
        # the fake), and each robot's rate (WeCom's: 20 messages a minute).
        "WECOM_WEBHOOK_BASE": env.get(
            "WECOM_WEBHOOK_BASE", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
        ),
        "WECOM_MESSAGES_PER_MINUTE": int(env.get("WECOM_MESSAGES_PER_MINUTE", "20")),
        "WECOM_WINDOW_SECONDS": float(env.get("WECOM_WINDOW_SECONDS", "60") or 60),
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
        # Needs: days undecided before the grid leader is chased, then days more before the
        # secretary is; days a partner unit's answer link works.
        "NEED_CHASE_DAYS": float(env.get("NEED_CHASE_DAYS", "3")),
        "NEED_CHASE_SECRETARY_DAYS": float(env.get("NEED_CHASE_SECRETARY_DAYS", "2")),
        "NEED_REFERRAL_LINK_DAYS": int(env.get("NEED_REFERRAL_LINK_DAYS", "14")),
        # Property matters: days the property company has to answer (a community may set its
        # own), then days after chasing its contact before the grid leader hears.
        "PROPERTY_ANSWER_DAYS": int(env.get("PROPERTY_ANSWER_DAYS", "3")),
        "PROPERTY_CHASE_LEADER_DAYS": float(env.get("PROPERTY_CHASE_LEADER_DAYS", "1")),
        # Rectification (整改): a grid whose residents' satisfaction in a quarter is below this
        # (of 5), over at least this many ratings, is listed for a plan.
        "RECTIFICATION_THRESHOLD": float(env.get("RECTIFICATION_THRESHOLD", "3.5")),
        "RECTIFICATION_MIN_RATINGS": int(env.get("RECTIFICATION_MIN_RATINGS", "5")),
        # Assessment (考核): days within which a need counts as answered in time; the totals
        # from which 2, 3, 4 and 5 stars are given (below the first: 1 star).
        "ASSESSMENT_ANSWER_DAYS": int(env.get("ASSESSMENT_ANSWER_DAYS", "7")),
        "ASSESSMENT_STAR_THRESHOLDS": tuple(
            float(t) for t in env.get("ASSESSMENT_STAR_THRESHOLDS", "60,70,80,90").split(",")
        ),
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
    config["LINLI_ENV"] = linli_env
    config["TRUSTED_PROXIES"] = _trusted_proxies(config["TRUSTED_PROXIES"])
    try:
        config["TWILIO_STATUS_RETRY"] = status_retry(str(config["TWILIO_STATUS_RETRY"]))
    except ValueError as error:
        raise ConfigError(str(error)) from None
    if config["SMS_PROVIDER"] not in SMS_PROVIDERS:
        raise ConfigError(
            f"SMS_PROVIDER={config['SMS_PROVIDER']!r} is not known: set it to "
            + " or ".join(SMS_PROVIDERS)
        )
    for setting in ("ALIBABA_PUSH_ALLOWED_IPS", "TENCENT_PUSH_ALLOWED_IPS"):
        try:
            allowed_networks(config[setting])
        except ValueError as error:
            raise ConfigError(
                f"{setting}: {error} (list addresses or networks, comma-separated, "
                "e.g. 106.11.0.0/16, 140.205.1.2)"
            ) from None
    if production:
        problems = _production_problems(config)
        if problems:
            raise ConfigError("\n  ".join([PRODUCTION_NEEDS, *problems]))
    config.setdefault("RATELIMIT_STORAGE_URI", config["REDIS_URL"])
    if "REDIS_URL" in overrides and "RATELIMIT_STORAGE_URI" not in overrides:
        config["RATELIMIT_STORAGE_URI"] = overrides["REDIS_URL"]
    return config
