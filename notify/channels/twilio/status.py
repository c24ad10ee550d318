"""Twilio's words for where a message is, and its error codes, in the outbox's terms."""

from __future__ import annotations

from models import DeliveryState
from notify.channels.base import N_, PermanentFailure, TransientFailure

STATES: dict[str, DeliveryState] = {
    "accepted": DeliveryState.SENDING,
    "queued": DeliveryState.SENDING,
    "sending": DeliveryState.SENDING,
    "sent": DeliveryState.SENT,
    "delivered": DeliveryState.DELIVERED,
    "undelivered": DeliveryState.UNDELIVERED,
    "failed": DeliveryState.FAILED,
}

# Error codes in plain words, stored in English and translated when a page shows them.
REASONS = {
    "21211": N_("The phone number is not valid."),
    "21408": N_("SMS to this region is not enabled for the account."),
    "21610": N_("The recipient has unsubscribed from SMS."),
    "21612": N_("This number cannot receive SMS from our number."),
    "21614": N_("The number is not a mobile phone."),
    "30003": N_("The phone is switched off or out of reach."),
    "30004": N_("The recipient's operator blocked the message."),
    "30005": N_("The number does not exist or is no longer in service."),
    "30006": N_("The number is a landline or cannot receive SMS."),
    "30007": N_("The operator filtered the message as spam."),
    "30008": N_("The operator could not deliver it (unknown error)."),
    "20429": N_("The SMS provider is busy (too many requests)."),
}
# The number told Twilio to stop (STOP to our number): record it as our own opt-out.
UNSUBSCRIBED = "21610"
# Too many requests: Twilio's code, or the bare HTTP status.
RATE_LIMITED = frozenset({"20429", "429"})


def state_of(status: str | None) -> DeliveryState | None:
    """Return the delivery state for a Twilio MessageStatus, None for one we do not know."""
    return STATES.get((status or "").lower())


def failure(status: int, code: int | None, message: str | None) -> Exception:
    """Return the outbox's kind of failure for a refused API call: retry later, or never."""
    reported = str(code or status)
    if status == 429 or status >= 500:
        return TransientFailure(reported, message or "provider busy")
    return PermanentFailure(reported, message or "refused")
