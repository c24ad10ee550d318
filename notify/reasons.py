"""Provider error codes in plain words, for the outbox page.

The reasons are stored in English (workers have no reader's language) and translated when a
page shows them: N_() marks them for the catalogue without translating.
"""

from __future__ import annotations


def N_(text: str) -> str:
    """Mark text for the catalogue without translating it (the gettext convention)."""
    return text


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
    "telegram_blocked": N_("The person blocked the Linli bot on Telegram."),
    "opted_out": N_("The recipient has unsubscribed from SMS (replied 退订/STOP)."),
    "stale": N_("It could not be sent before it went out of date."),
    "duplicate": N_("The same text already went to this phone in the last 24 hours."),
    "no_channel": N_("No phone, no household contact and no Telegram: nobody to reach."),
    "timeout": N_("The provider did not answer in time."),
    "retries_exhausted": N_("The provider kept failing; gave up after several tries."),
}


def reason(code: str | None, fallback: str = "") -> str:
    if code is None:
        return fallback
    return REASONS.get(str(code), fallback or f"Provider error {code}.")
