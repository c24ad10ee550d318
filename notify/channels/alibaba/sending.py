"""Sending template SMS through Alibaba Cloud's dysmsapi with the official SDK.

One text to many numbers goes in one SendSms call (up to 1,000 numbers, the same parameters);
texts with each person's own parameters go in SendBatchSms calls (up to 100). Each call takes
one slot of the account's rate (ALIBABA_SMS_RATE calls a second, shared through Redis by the
dispatcher's `pace`). OutId carries the delivery id ("1234", or "1200-1299" for a call that
carries several), and the provider id we keep is OutId@phone: that is what the status
report and QuerySendDetails both give back.

The send API is not idempotent: a call whose answer never came (a read timeout, a reset
connection) may have sent. Those deliveries are marked uncertain, and before they go again
QuerySendDetails is asked, by phone and China date, for a record whose OutId covers them.

ALIBABA_SMS_ENDPOINT points the SDK at another host (the test fake): "http://127.0.0.1:PORT".
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from alibabacloud_dysmsapi20170525 import models as sms_models
from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_tea_openapi import utils_models as openapi_models
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException

from models import clock, utcnow
from notify.channels.alibaba import status
from notify.channels.base import Outgoing, PermanentFailure, Sent, TransientFailure
from notify.channels.templated import (
    Result,
    TemplateChannel,
    call_id,
    never_sent,
    split_endpoint,
)
from notify.channels.templated import call_id_covers as out_id_covers

DEFAULT_ENDPOINT = "dysmsapi.aliyuncs.com"
TIMEOUT_MS = 10_000
CONNECT_TIMEOUT_MS = 5_000
MAX_SEND_NUMBERS = 1000
MAX_BATCH_NUMBERS = 100
QUERY_PAGE = 50

__all__ = ["AlibabaSettings", "AlibabaSms", "national", "out_id_covers"]

log = logging.getLogger(__name__)


@dataclass
class AlibabaSettings:
    access_key_id: str
    access_key_secret: str
    endpoint: str = DEFAULT_ENDPOINT


def national(phone: str) -> str:
    """Return the number as the API takes it: 11 digits for +86, country code + number else."""
    digits = phone.lstrip("+")
    return digits[2:] if phone.startswith("+86") else digits


class AlibabaSms(TemplateChannel):
    """The SMS channel on Alibaba Cloud; one SDK client per sending thread."""

    provider = "alibaba"

    def __init__(self, settings: AlibabaSettings) -> None:
        super().__init__()
        self.settings = settings

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> AlibabaSms:
        return cls(
            AlibabaSettings(
                access_key_id=str(config["ALIBABA_ACCESS_KEY_ID"]),
                access_key_secret=str(config["ALIBABA_ACCESS_KEY_SECRET"]),
                endpoint=str(config.get("ALIBABA_SMS_ENDPOINT") or DEFAULT_ENDPOINT),
            )
        )

    def new_client(self) -> Client:
        protocol, endpoint = split_endpoint(self.settings.endpoint)
        config = openapi_models.Config(
            access_key_id=self.settings.access_key_id,
            access_key_secret=self.settings.access_key_secret,
            endpoint=endpoint,
            protocol=protocol,
            read_timeout=TIMEOUT_MS,
            connect_timeout=CONNECT_TIMEOUT_MS,
        )
        return Client(config)

    def send_many(
        self, outgoings: Sequence[Outgoing], pace: Callable[[], None] | None = None
    ) -> list[Result]:
        """Send these messages in as few calls as the API allows; a result for each, in order."""
        results: dict[int, Result] = {}
        to_send: list[Outgoing] = []
        for out in outgoings:
            if out.template is None:
                results[out.delivery_id] = PermanentFailure("no_template", "no template given")
            elif out.check_first:
                found = self._already_sent(out, pace)
                if isinstance(found, Sent | Exception):
                    results[out.delivery_id] = found
                else:
                    to_send.append(out)
            else:
                to_send.append(out)
        for call in _calls(to_send):
            if pace is not None:
                pace()
            results.update(self._call(call, pace))
        return [results[out.delivery_id] for out in outgoings]

    # -- calls ------------------------------------------------------------------------------

    def _call(self, call: list[Outgoing], pace: Callable[[], None] | None) -> dict[int, Result]:
        ids = [out.delivery_id for out in call]
        out_id = call_id(ids)
        first = call[0].template
        assert first is not None
        same = all(out.template == first for out in call[1:]) or len(call) == 1
        try:
            if same:
                request = sms_models.SendSmsRequest(
                    phone_numbers=",".join(national(out.address) for out in call),
                    sign_name=first.sign_name,
                    template_code=first.code,
                    template_param=json.dumps(dict(first.params), ensure_ascii=False),
                    out_id=out_id,
                )
                body: Any = self.client().send_sms(request).body
            else:
                batch = sms_models.SendBatchSmsRequest(
                    phone_number_json=json.dumps([national(out.address) for out in call]),
                    sign_name_json=json.dumps(
                        [out.template.sign_name for out in call if out.template], ensure_ascii=False
                    ),
                    template_code=first.code,
                    template_param_json=json.dumps(
                        [dict(out.template.params) for out in call if out.template],
                        ensure_ascii=False,
                    ),
                    out_id=out_id,
                )
                body = self.client().send_batch_sms(batch).body
        except AlibabaCloudException as error:
            failed = status.failure(
                str(error.code), str(error.message or ""), utcnow(), int(error.status_code or 400)
            )
            return dict.fromkeys(ids, failed)
        except Exception as error:  # the SDK wraps network errors in its own exceptions
            text = str(error)
            log.warning("Alibaba call for %d messages failed: %s", len(ids), text)
            if never_sent(text):
                return dict.fromkeys(ids, TransientFailure("timeout", "connection refused"))
            return dict.fromkeys(
                ids, TransientFailure("uncertain", type(error).__name__, uncertain=True)
            )
        code = str(body.code or "")
        if code == "OK":
            return {
                out.delivery_id: Sent(provider_id=f"{out_id}@{national(out.address)}")
                for out in call
            }
        if len(call) > 1 and code in status.PER_NUMBER:
            # One number spoils the call for all: send them one by one to find it.
            results: dict[int, Result] = {}
            for out in call:
                if pace is not None:
                    pace()
                results.update(self._call([out], pace))
            return results
        return dict.fromkeys(ids, status.failure(code, str(body.message or ""), utcnow()))

    def _already_sent(self, out: Outgoing, pace: Callable[[], None] | None) -> Result | None:
        """Ask the provider whether an earlier try of this message went; None if it did not."""
        assert out.template is not None
        today = clock.local(utcnow()).date()
        phone = national(out.address)
        for day in (today, today - timedelta(days=1)):
            if pace is not None:
                pace()
            request = sms_models.QuerySendDetailsRequest(
                phone_number=phone,
                send_date=day.strftime("%Y%m%d"),
                page_size=QUERY_PAGE,
                current_page=1,
            )
            try:
                body = self.client().query_send_details(request).body
            except AlibabaCloudException as error:
                return TransientFailure(str(error.code), "could not ask about an uncertain send")
            except Exception as error:
                return TransientFailure("timeout", type(error).__name__, uncertain=True)
            if str(body.code or "") != "OK":
                return TransientFailure(str(body.code), str(body.message or ""), uncertain=True)
            dtos = body.sms_send_detail_dtos
            for detail in (dtos.sms_send_detail_dto or []) if dtos else []:
                if detail.template_code == out.template.code and out_id_covers(
                    str(detail.out_id or ""), out.delivery_id
                ):
                    return Sent(provider_id=f"{detail.out_id}@{phone}")
        return None


def _calls(outgoings: Sequence[Outgoing]) -> list[list[Outgoing]]:
    """Group messages into API calls: the same text together (SendSms, up to 1,000 numbers),
    the rest by template code (SendBatchSms, up to 100). A phone appears once per call."""
    same_text: dict[tuple[Any, ...], list[Outgoing]] = {}
    for out in outgoings:
        assert out.template is not None
        key = (
            out.template.code,
            out.template.sign_name,
            tuple(sorted(out.template.params.items())),
        )
        same_text.setdefault(key, []).append(out)
    calls: list[list[Outgoing]] = []
    singles: dict[str, list[Outgoing]] = {}
    for group in same_text.values():
        if len(group) == 1:
            code = group[0].template.code if group[0].template else ""
            singles.setdefault(code, []).append(group[0])
            continue
        calls += _chunks(group, MAX_SEND_NUMBERS)
    for group in singles.values():
        calls += _chunks(group, MAX_BATCH_NUMBERS)
    return calls


def _chunks(group: list[Outgoing], size: int) -> list[list[Outgoing]]:
    """Split into calls of at most `size`, never the same phone twice in one call."""
    chunks: list[tuple[list[Outgoing], set[str]]] = []
    for out in group:
        for chunk, phones in chunks:
            if len(chunk) < size and out.address not in phones:
                chunk.append(out)
                phones.add(out.address)
                break
        else:
            chunks.append(([out], {out.address}))
    return [chunk for chunk, _phones in chunks]
