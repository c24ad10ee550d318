"""What Alibaba Cloud's HTTP pushes carry (SmsReport, SmsUp), and how they are let in.

The pushes are JSON arrays and carry no signature: the URL's path holds a long secret
(ALIBABA_PUSH_SECRET, compared in constant time), and ALIBABA_PUSH_ALLOWED_IPS may list the
addresses they come from. The service retries a push unless answered `ANSWER`.
Nothing here reads a web request: the view passes the path's secret, the address and the body.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Callable, Iterable
from typing import Any

from notify.channels.alibaba import status
from notify.channels.base import InboundText, StatusReport

ANSWER = {"code": 0, "msg": "成功"}
MAX_ADDRESS = 40
MIN_SECRET_CHARS = 24


class BadPush(ValueError):
    """The body is not the JSON array of objects the service sends."""


def secret_matches(configured: str | None, given: str) -> bool:
    """Return True when the URL's secret is the configured one (no secret: nobody gets in)."""
    if not configured or len(configured) < MIN_SECRET_CHARS:
        return False
    return hmac.compare_digest(configured.encode(), given.encode())


def allowed_networks(
    value: str | Iterable[str] | None,
) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Parse ALIBABA_PUSH_ALLOWED_IPS ("1.2.3.4, 10.0.0.0/8"); raise ValueError on a bad one."""
    items = value.split(",") if isinstance(value, str) else list(value or [])
    return [ipaddress.ip_network(item.strip(), strict=False) for item in items if item.strip()]


def address_allowed(
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network], address: str | None
) -> bool:
    """Return True when no list is set, or the address is in it."""
    if not networks:
        return True
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in network for network in networks)


def items(body: bytes) -> list[dict[str, Any]]:
    """Return the objects of a push, or raise BadPush."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise BadPush("not JSON") from error
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise BadPush("not an array of objects")
    return data


def status_reports(body: bytes) -> list[StatusReport]:
    """Read an SmsReport push: one report per message, keyed OutId@phone as we sent it."""
    reports = []
    for item in items(body):
        word, state = status.report_state(bool(item.get("success")))
        code = None if item.get("success") else str(item.get("err_code") or "") or None
        phone = str(item.get("phone_number") or "")
        reports.append(
            StatusReport(
                provider_id=f"{item.get('out_id') or ''}@{phone}",
                status=word,
                state=state,
                error_code=code,
            )
        )
    return reports


def inbound_texts(
    body: bytes, normalize_phone: Callable[[str], str | None]
) -> list[tuple[InboundText, str]]:
    """Read an SmsUp push: (the text, the sign name it answered) for each reply."""
    texts = []
    for item in items(body):
        sender = str(item.get("phone_number") or "")
        phone = normalize_phone(sender)
        texts.append(
            (
                InboundText(
                    provider_id=f"alibaba-up:{item.get('sequence_id') or ''}:{sender}",
                    address=phone or sender[:MAX_ADDRESS],
                    text=str(item.get("content") or ""),
                    phone=phone,
                ),
                str(item.get("sign_name") or ""),
            )
        )
    return texts
