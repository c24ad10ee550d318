"""One channel per way of reaching a phone or an account, chosen by configuration.

Each provider is a folder here (twilio/, alibaba/, tencent/, telegram/, wecom/) behind the
interface in base.py; adding a provider is adding its folder and its line in PROVIDERS. With
no SMS provider configured, SMS land in the phone simulator (dev_inbox.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from notify.channels.alibaba.sending import AlibabaSms
from notify.channels.base import Channel, Outgoing, PermanentFailure, Sent, TransientFailure
from notify.channels.dev_inbox import DevInbox
from notify.channels.telegram.sending import TelegramChannel
from notify.channels.tencent.sending import TencentSms
from notify.channels.twilio.sending import TwilioSms
from notify.channels.wecom.sending import WeComRobots

# How something reached Linli or a person, as a screen names it: the channels of messages, and
# the ways an action came in (a wish claimed in the app, a visit logged offline, ...).
CHANNEL_LABELS: dict[str, Any] = {
    "sms": _l("SMS"),
    "telegram": _l("Telegram"),
    "wecom": _l("WeCom"),
    "app": _l("App"),
    "web": _l("App"),
    "offline": _l("App, sent after being offline"),
    "head": _l("Posted by a head"),
    "system": _l("Automatic"),
}


def channel_label(channel: str) -> str:
    """Return how a channel or a way in reads on a screen."""
    label = CHANNEL_LABELS.get(channel)
    return str(label) if label is not None else channel


__all__ = [
    "CHANNEL_LABELS",
    "PROVIDERS",
    "Channel",
    "Outgoing",
    "PermanentFailure",
    "Provider",
    "Sent",
    "TransientFailure",
    "channel_label",
    "for_name",
    "for_provider",
    "sms_provider_configured",
]

Config = Mapping[str, Any]


@dataclass(frozen=True)
class Provider:
    channel: str  # the channel it sends on: "sms", "telegram", "wecom"
    name: str
    configured: Callable[[Config], bool]
    build: Callable[[Config], Channel]


def sms_provider_configured(config: Config) -> bool:
    return bool(config.get("TWILIO_ACCOUNT_SID") and config.get("TWILIO_AUTH_TOKEN"))


def alibaba_configured(config: Config) -> bool:
    return bool(config.get("ALIBABA_ACCESS_KEY_ID") and config.get("ALIBABA_ACCESS_KEY_SECRET"))


def tencent_configured(config: Config) -> bool:
    return bool(
        config.get("TENCENT_SECRET_ID")
        and config.get("TENCENT_SECRET_KEY")
        and config.get("TENCENT_SMS_APP_ID")
    )


def _always(config: Config) -> bool:
    return True


def _dev_inbox(config: Config) -> Channel:
    return DevInbox()


# For each channel, the first provider the configuration sets up sends its messages.
PROVIDERS: tuple[Provider, ...] = (
    Provider("sms", "twilio", sms_provider_configured, TwilioSms.from_config),
    Provider("sms", "dev_inbox", _always, _dev_inbox),
    # Template providers send only approved templates: reached by name (for_provider), for
    # the communities that chose them, never as the plain "sms" channel.
    Provider("sms", "alibaba", alibaba_configured, AlibabaSms.from_config),
    Provider("sms", "tencent", tencent_configured, TencentSms.from_config),
    Provider("telegram", "telegram", _always, TelegramChannel.from_config),
    Provider("wecom", "wecom", _always, WeComRobots.from_config),
)


def for_name(name: str, config: Config) -> Channel:
    """Return the channel object that sends on `name` ("sms" or "telegram")."""
    for provider in PROVIDERS:
        if provider.channel == name and provider.configured(config):
            return provider.build(config)
    raise KeyError(f"no channel {name!r}")


def for_provider(name: str, provider: str, config: Config) -> Channel:
    """Return the channel of this provider; in development, the phone simulator stands in
    for one whose account is not configured (and shows the provider and template)."""
    for candidate in PROVIDERS:
        if (
            candidate.channel == name
            and candidate.name == provider
            and candidate.configured(config)
        ):
            return candidate.build(config)
    if name == "sms" and config.get("DEV_INBOX"):
        return DevInbox(provider=provider)
    raise KeyError(f"the {provider} provider of {name!r} is not configured")
