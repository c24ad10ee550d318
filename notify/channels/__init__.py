"""One channel per way of reaching a phone or an account, chosen by configuration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from notify.channels.base import Channel, Outgoing, PermanentFailure, Sent, TransientFailure

__all__ = ["Channel", "Outgoing", "PermanentFailure", "Sent", "TransientFailure", "for_name"]


def sms_provider_configured(config: Mapping[str, Any]) -> bool:
    return bool(config.get("TWILIO_ACCOUNT_SID") and config.get("TWILIO_AUTH_TOKEN"))


def for_name(name: str, config: Mapping[str, Any]) -> Channel:
    """Return the channel object that sends on `name` ("sms" or "telegram")."""
    if name == "sms":
        if sms_provider_configured(config):
            from notify.channels.twilio_sms import TwilioSms

            return TwilioSms.from_config(config)
        from notify.channels.dev_inbox import DevInbox

        return DevInbox()
    if name == "telegram":
        from notify.channels.telegram import TelegramChannel

        return TelegramChannel.from_config(config)
    raise KeyError(f"no channel {name!r}")
