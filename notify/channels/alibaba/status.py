"""Alibaba Cloud SMS error codes in the outbox's terms: what a person reads, what the queue does.

Business refusals come back as HTTP 200 with a Code other than "OK". Per-number flow control
holds the message until the limit frees; an empty balance stops the community's sending
through Alibaba (deliveries deferred, staff told once); a bad number fails for good.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from models import DeliveryState, clock
from notify.channels.base import N_, PermanentFailure, TransientFailure

LIMIT_CONTROL = "isv.BUSINESS_LIMIT_CONTROL"
BALANCE_EMPTY = "isv.AMOUNT_NOT_ENOUGH"
INVALID_NUMBER = "isv.MOBILE_NUMBER_ILLEGAL"
# Refusals about one number: a call to many numbers is split to find it.
PER_NUMBER = frozenset({LIMIT_CONTROL, INVALID_NUMBER, "isv.BLACK_KEY_CONTROL_LIMIT"})
# Worth trying again later: the service or our pace, not the message.
TRANSIENT = frozenset(
    {
        "isp.SYSTEM_ERROR",
        "isp.GATEWAY_ERROR",
        "Throttling.User",
        "Throttling.Api",
        "Throttling",
        "ServiceUnavailable",
        "InternalError",
        "isv.DAY_LIMIT_CONTROL",
    }
)
# How long an empty balance stops sending before one batch tries again.
BALANCE_RETRY_SECONDS = 600

REASONS = {
    LIMIT_CONTROL: N_("Too many SMS to this phone for now (provider limit); it will go later."),
    BALANCE_EMPTY: N_("The SMS account's balance is empty; sending resumes once it is topped up."),
    INVALID_NUMBER: N_("The phone number is not valid."),
    "isv.SMS_SIGNATURE_ILLEGAL": N_("The SMS sign name is not approved by the provider."),
    "isv.SMS_SIGN_ILLEGAL": N_("The SMS sign name is not approved by the provider."),
    "isv.SMS_TEMPLATE_ILLEGAL": N_("The template code is not approved by the provider."),
    "isv.TEMPLATE_MISSING_PARAMETERS": N_("The template's parameters do not match the text."),
    "isv.TEMPLATE_PARAMS_ILLEGAL": N_("A parameter holds words the provider does not allow."),
    "isv.PARAM_LENGTH_LIMIT": N_("A parameter is longer than the provider allows."),
    "isv.PARAM_NOT_SUPPORT_URL": N_("A parameter holds a link; the provider takes none."),
    "isv.BLACK_KEY_CONTROL_LIMIT": N_("The operator blocked the message's words."),
    "isv.MOBILE_COUNT_OVER_LIMIT": N_("Too many numbers in one call."),
    "isv.OUT_OF_SERVICE": N_("The SMS account is out of service (in arrears)."),
    "isv.ACCOUNT_ABNORMAL": N_("The SMS account is suspended."),
    "isv.DAY_LIMIT_CONTROL": N_("The SMS account's daily limit is reached."),
    "isp.SYSTEM_ERROR": N_("The SMS provider failed; trying again."),
    "Throttling.User": N_("The SMS provider is busy (too many requests)."),
    "SignatureDoesNotMatch": N_("The SMS account's access key secret is wrong."),
    "InvalidAccessKeyId.NotFound": N_("The SMS account's access key is wrong."),
    "uncertain": N_(
        "The provider did not answer; checking whether it sent it before trying again."
    ),
    "no_template": N_("No approved template for this message kind."),
    "relay_template": N_(
        "No approved template for this message relayed through a household contact."
    ),
    "no_sign_name": N_("The community has no approved SMS sign name."),
    "param_too_long": N_("A parameter is longer than the SMS provider allows."),
    "param_link": N_("A parameter holds a link; the SMS provider takes none."),
    "param_empty": N_("A parameter of the template is empty."),
    "provider_unconfigured": N_("The community's SMS provider is not set up on the server."),
    "balance_empty": N_(
        "The SMS account's balance is empty; sending resumes once it is topped up."
    ),
}


def flow_wait(message: str, now: datetime) -> float:
    """Return seconds until a per-number limit frees: next minute, hour or day (China time)."""
    local = now.astimezone(clock.ZONE)
    if "天" in message or "日" in message or "day" in message.lower():
        resume = (local + timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
    elif "小时" in message or "hour" in message.lower():
        resume = (local + timedelta(hours=1)).replace(minute=0, second=5, microsecond=0)
    else:
        resume = (local + timedelta(minutes=1)).replace(second=5, microsecond=0)
    return max(1.0, (resume - local).total_seconds())


def failure(code: str, message: str, now: datetime, status: int = 200) -> Exception:
    """Return the outbox's kind of failure for a refused call."""
    if code == LIMIT_CONTROL:
        return TransientFailure(code, message, retry_after=flow_wait(message, now), hold=True)
    if code == BALANCE_EMPTY:
        return TransientFailure(
            code, message, retry_after=BALANCE_RETRY_SECONDS, hold=True, stop_provider=True
        )
    if code in TRANSIENT or status == 429 or status >= 500:
        return TransientFailure(code, message or "provider busy")
    return PermanentFailure(code, message or "refused")


def report_state(success: bool) -> tuple[str, DeliveryState]:
    """Return the word kept in the history and the state a SmsReport means."""
    return (
        ("delivered", DeliveryState.DELIVERED)
        if success
        else (
            "undelivered",
            DeliveryState.UNDELIVERED,
        )
    )
