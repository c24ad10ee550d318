"""What Tencent Cloud's SMS callbacks carry (状态回调 reports, 回复回调 replies).

Reports come as a JSON array, each keyed by `sid`, the SerialNo SendSms gave the number (the
provider id we keep); a reply comes as one object (extend, mobile, nationcode, sign, text,
time) with no id of its own. Neither is signed: the URL's path holds TENCENT_PUSH_SECRET and
TENCENT_PUSH_ALLOWED_IPS may list where they come from (notify/channels/push.py). Tencent
calls again unless answered `ANSWER`. Nothing here reads a web request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from notify.channels.base import InboundText, StatusReport
from notify.channels.push import MAX_ADDRESS, items
from notify.channels.tencent import status

ANSWER = {"result": 0, "errmsg": "OK"}


def _phone(item: dict[str, object]) -> str:
    """Return the number as Tencent writes it with its country code: "+8613900000000"."""
    mobile = str(item.get("mobile") or "").strip()
    nation = str(item.get("nationcode") or "86").strip().lstrip("+")
    if mobile.startswith("+"):
        return mobile
    return f"+{nation}{mobile}" if mobile else ""


def status_reports(body: bytes) -> list[StatusReport]:
    """Read a status callback: one report per number, keyed by its sid (SerialNo)."""
    reports = []
    for item in items(body):
        word, state = status.report_state(str(item.get("report_status") or ""))
        failed = state is not None and word != "delivered"
        reports.append(
            StatusReport(
                provider_id=str(item.get("sid") or ""),
                status=word,
                state=state,
                error_code=(str(item.get("errmsg") or "") or None) if failed else None,
            )
        )
    return reports


def reply_id(item: dict[str, object]) -> str:
    """An id for a reply, the same each time Tencent calls again with it (it gives none).

    A digest of the phone, the time and the text: the same length whatever they hold.
    """
    seen = f"{_phone(item)}|{item.get('time') or ''}|{item.get('text') or ''}"
    return "tencent-up:" + hashlib.sha256(seen.encode("utf-8")).hexdigest()[:40]


def inbound_texts(
    body: bytes, normalize_phone: Callable[[str], str | None]
) -> list[tuple[InboundText, str]]:
    """Read a reply callback: (the text, the sign name it answered) for each reply."""
    texts = []
    for item in items(body):
        sender = _phone(item)
        phone = normalize_phone(sender) if sender else None
        texts.append(
            (
                InboundText(
                    provider_id=reply_id(item),
                    address=phone or sender[:MAX_ADDRESS],
                    text=str(item.get("text") or ""),
                    phone=phone,
                ),
                str(item.get("sign") or ""),
            )
        )
    return texts
