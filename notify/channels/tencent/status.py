"""Tencent Cloud SMS codes in the outbox's terms (each number has its own in SendStatusSet)."""

from __future__ import annotations

from datetime import datetime

from models import DeliveryState
from notify.channels.alibaba.status import BALANCE_RETRY_SECONDS, flow_wait
from notify.channels.base import N_, PermanentFailure, TransientFailure

OK = "Ok"
BALANCE_EMPTY = "FailedOperation.InsufficientBalanceInSmsPackage"
INVALID_NUMBER = "InvalidParameterValue.IncorrectPhoneNumber"
# Per-number frequency limits: held until the limit frees (30 s, an hour, a day).
LIMITS = {
    "LimitExceeded.PhoneNumberThirtySecondLimit": "分钟级",
    "LimitExceeded.PhoneNumberOneHourLimit": "小时级",
    "LimitExceeded.PhoneNumberDailyLimit": "天级",
    "LimitExceeded.DeliveryFrequencyLimit": "分钟级",
}
TRANSIENT = frozenset(
    {"InternalError", "InternalError.Timeout", "InternalError.OtherError", "RequestLimitExceeded"}
)

REASONS = {
    BALANCE_EMPTY: N_("The SMS account's balance is empty; sending resumes once it is topped up."),
    INVALID_NUMBER: N_("The phone number is not valid."),
    **dict.fromkeys(
        LIMITS, N_("Too many SMS to this phone for now (provider limit); it will go later.")
    ),
    "FailedOperation.TemplateIncorrectOrUnapproved": N_(
        "The template code is not approved by the provider."
    ),
    "FailedOperation.SignatureIncorrectOrUnapproved": N_(
        "The SMS sign name is not approved by the provider."
    ),
    "FailedOperation.PhoneNumberInBlacklist": N_("The recipient has unsubscribed from SMS."),
}


def failure(code: str, message: str, now: datetime) -> Exception:
    """Return the outbox's kind of failure for a refused number or call."""
    if code in LIMITS:
        return TransientFailure(code, message, retry_after=flow_wait(LIMITS[code], now), hold=True)
    if code == BALANCE_EMPTY:
        return TransientFailure(
            code, message, retry_after=BALANCE_RETRY_SECONDS, hold=True, stop_provider=True
        )
    if code in TRANSIENT or code.startswith("InternalError"):
        return TransientFailure(code, message or "provider busy")
    return PermanentFailure(code, message or "refused")


def report_state(report_status: str) -> tuple[str, DeliveryState | None]:
    """Return the word kept in the history and the state a status callback means."""
    if report_status.upper() == "SUCCESS":
        return "delivered", DeliveryState.DELIVERED
    if report_status.upper() == "FAIL":
        return "undelivered", DeliveryState.UNDELIVERED
    return report_status.lower()[:20], None
