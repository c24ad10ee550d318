"""Sending SMS through Twilio's Messages API, with the official SDK.

TWILIO_API_BASE_URL points the SDK at another host (a test server or a compatible gateway).
Status callbacks come back to PUBLIC_BASE_URL/webhooks/twilio/status, with Twilio's
connection overrides (TWILIO_STATUS_RETRY) in the URL's fragment: a report the app cannot
record yet is answered 503, and Twilio retries it only when the fragment asks it to.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from notify.channels.base import Outgoing, Sent, TransientFailure
from notify.channels.twilio import status
from notify.channels.twilio.http import PooledHttpClient

TIMEOUT_SECONDS = 10.0
# Twilio's connection overrides for a callback: rc retries (at most 5), on the failures rp
# names (4xx, 5xx, ct: connect timeout, rt: read timeout, or all). The fragment never reaches
# the server, so it does not change what the signature is computed over.
DEFAULT_STATUS_RETRY = "rc=3&rp=5xx,ct,rt"
_RETRY_POLICIES = {"4xx", "5xx", "ct", "rt", "all"}
_OVERRIDE = re.compile(r"^(?:rc=[0-5]|rp=[a-z0-9]+(?:,[a-z0-9]+)*)$")


def status_retry(value: str) -> str:
    """Return the connection overrides to put after '#', or say what is wrong with them."""
    value = value.strip().lstrip("#")
    if not value:
        return ""
    for part in value.split("&"):
        if not _OVERRIDE.match(part):
            raise ValueError(
                f"TWILIO_STATUS_RETRY: “{part}” is not rc=0..5 or rp=4xx,5xx,ct,rt,all"
            )
        if part.startswith("rp="):
            unknown = set(part[3:].split(",")) - _RETRY_POLICIES
            if unknown:
                raise ValueError(
                    f"TWILIO_STATUS_RETRY: unknown retry policy {', '.join(sorted(unknown))}"
                    " (use 4xx, 5xx, ct, rt or all)"
                )
    return value


@dataclass
class TwilioSettings:
    account_sid: str
    auth_token: str
    from_number: str | None
    messaging_service_sid: str | None
    api_base_url: str | None
    status_callback: str | None


class TwilioSms:
    """The SMS channel on Twilio; one SDK client per sending thread (requests is per-thread)."""

    name = "sms"
    provider = "twilio"
    single_part_chars = 70
    multi_part_chars = 67

    def __init__(self, settings: TwilioSettings) -> None:
        if not (settings.from_number or settings.messaging_service_sid):
            raise ValueError("set TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID")
        self.settings = settings
        self._local = threading.local()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> TwilioSms:
        public = str(config.get("PUBLIC_BASE_URL") or "").rstrip("/")
        retry = status_retry(str(config.get("TWILIO_STATUS_RETRY", DEFAULT_STATUS_RETRY)))
        callback = f"{public}/webhooks/twilio/status" + (f"#{retry}" if retry else "")
        return cls(
            TwilioSettings(
                account_sid=config["TWILIO_ACCOUNT_SID"],
                auth_token=config["TWILIO_AUTH_TOKEN"],
                from_number=config.get("TWILIO_FROM_NUMBER") or None,
                messaging_service_sid=config.get("TWILIO_MESSAGING_SERVICE_SID") or None,
                api_base_url=config.get("TWILIO_API_BASE_URL") or None,
                status_callback=callback if public else None,
            )
        )

    def client(self) -> Client:
        client: Client | None = getattr(self._local, "client", None)
        if client is None:
            # The SDK over urllib3 rather than requests: a third of the CPU per message.
            http = PooledHttpClient(timeout=TIMEOUT_SECONDS)
            client = Client(self.settings.account_sid, self.settings.auth_token, http_client=http)
            if self.settings.api_base_url:
                client.api.base_url = self.settings.api_base_url.rstrip("/")
            self._local.client = client
        return client

    def send(self, outgoing: Outgoing) -> Sent:
        kwargs: dict[str, Any] = {
            "to": outgoing.address,
            "body": outgoing.text,
            "validity_period": max(1, min(36000, outgoing.validity_seconds)),
        }
        if self.settings.messaging_service_sid:
            kwargs["messaging_service_sid"] = self.settings.messaging_service_sid
        else:
            kwargs["from_"] = self.settings.from_number
        if self.settings.status_callback:
            kwargs["status_callback"] = self.settings.status_callback
        try:
            message = self.client().messages.create(**kwargs)
        except TwilioRestException as error:
            raise status.failure(error.status, error.code, error.msg) from None
        except (requests.Timeout, requests.ConnectionError) as error:
            raise TransientFailure("timeout", type(error).__name__) from None
        return Sent(
            provider_id=str(message.sid), state="sent", segments=int(message.num_segments or 1)
        )
