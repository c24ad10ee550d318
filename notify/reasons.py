"""Why a delivery failed or was held, in plain words, for the outbox page.

The reasons are stored in English (workers have no reader's language) and translated when a
page shows them: N_() marks them for the catalogue without translating. Each provider's own
error codes are in its folder (notify/channels/<provider>/status.py).
"""

from __future__ import annotations

from notify.channels.alibaba import status as alibaba_status
from notify.channels.base import N_
from notify.channels.telegram import status as telegram_status
from notify.channels.tencent import status as tencent_status
from notify.channels.twilio import status as twilio_status
from notify.channels.wecom import status as wecom_status

__all__ = ["N_", "REASONS", "reason"]

REASONS = {
    **twilio_status.REASONS,
    **alibaba_status.REASONS,
    **tencent_status.REASONS,
    **telegram_status.REASONS,
    **wecom_status.REASONS,
    "opted_out": N_("The recipient has unsubscribed from SMS (replied 退订/STOP)."),
    "stale": N_("It could not be sent before it went out of date."),
    "duplicate": N_("The same text already went to this phone in the last 24 hours."),
    "gone": N_("The resident has moved out or died: nothing is sent to them."),
    "no_channel": N_("No phone, no household contact and no Telegram: nobody to reach."),
    "timeout": N_("The provider did not answer in time."),
    "retries_exhausted": N_("The provider kept failing; gave up after several tries."),
}


def reason(code: str | None, fallback: str = "") -> str:
    if code is None:
        return fallback
    return REASONS.get(str(code), fallback or f"Provider error {code}.")
