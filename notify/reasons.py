"""Provider error codes in plain words, for the outbox page."""

from __future__ import annotations

REASONS = {
    "21211": "The phone number is not valid.",
    "21408": "SMS to this region is not enabled for the account.",
    "21610": "The recipient has unsubscribed from SMS.",
    "21612": "This number cannot receive SMS from our number.",
    "21614": "The number is not a mobile phone.",
    "30003": "The phone is switched off or out of reach.",
    "30004": "The recipient's operator blocked the message.",
    "30005": "The number does not exist or is no longer in service.",
    "30006": "The number is a landline or cannot receive SMS.",
    "30007": "The operator filtered the message as spam.",
    "30008": "The operator could not deliver it (unknown error).",
    "20429": "The SMS provider is busy (too many requests).",
    "telegram_blocked": "The person blocked the Linli bot on Telegram.",
    "opted_out": "The recipient has unsubscribed from SMS (replied 退订/STOP).",
    "stale": "It could not be sent before it went out of date.",
    "duplicate": "The same text already went to this phone in the last 24 hours.",
    "no_channel": "No phone, no household contact and no Telegram: nobody to reach.",
    "timeout": "The provider did not answer in time.",
    "retries_exhausted": "The provider kept failing; gave up after several tries.",
}


def reason(code: str | None, fallback: str = "") -> str:
    if code is None:
        return fallback
    return REASONS.get(str(code), fallback or f"Provider error {code}.")
