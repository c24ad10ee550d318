"""What Alibaba Cloud's HTTP pushes carry (SmsReport, SmsUp), and how they are let in.

The pushes are JSON arrays and carry no signature: the URL's path holds a long secret
(ALIBABA_PUSH_SECRET, compared in constant time), and ALIBABA_PUSH_ALLOWED_IPS may list the
addresses they come from (notify/channels/push.py, shared with Tencent's). The service retries
a push unless answered `ANSWER`.
Nothing here reads a web request: the view passes the path's secret, the address and the body.
"""

from __future__ import annotations

from collections.abc import Callable

from notify.channels.alibaba import status
from notify.channels.base import InboundText, StatusReport
from notify.channels.push import (
    MAX_ADDRESS,
    MIN_SECRET_CHARS,
    BadPush,
    address_allowed,
    allowed_networks,
    items,
    secret_matches,
)

__all__ = [
    "ANSWER",
    "MIN_SECRET_CHARS",
    "BadPush",
    "address_allowed",
    "allowed_networks",
    "inbound_texts",
    "secret_matches",
    "status_reports",
]

ANSWER = {"code": 0, "msg": "成功"}


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
