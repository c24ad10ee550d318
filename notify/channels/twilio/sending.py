"""Sending SMS through Twilio's Messages API, with the official SDK.

TWILIO_API_BASE_URL points the SDK at another host (a test server or a compatible gateway).
Status callbacks come back to PUBLIC_BASE_URL/webhooks/twilio/status.
"""

from __future__ import annotations

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
        return cls(
            TwilioSettings(
                account_sid=config["TWILIO_ACCOUNT_SID"],
                auth_token=config["TWILIO_AUTH_TOKEN"],
                from_number=config.get("TWILIO_FROM_NUMBER") or None,
                messaging_service_sid=config.get("TWILIO_MESSAGING_SERVICE_SID") or None,
                api_base_url=config.get("TWILIO_API_BASE_URL") or None,
                status_callback=f"{public}/webhooks/twilio/status" if public else None,
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
