"""What the mainland template-SMS senders share (Alibaba Cloud, Tencent Cloud).

Each keeps one SDK client per sending thread (the SDKs' clients are not meant to be shared),
takes its endpoint setting as a host or, for a test server, a URL ("http://127.0.0.1:PORT"),
names the deliveries a call carries by one id ("1234", or "1200-1299": Alibaba's OutId,
Tencent's SessionContext), and tells a network error that proves nothing was sent from one
after which the call may have gone (uncertain: asked about before it goes again).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from notify.channels.base import Outgoing, Sent

Result = Sent | Exception
# Words of a network error that prove the request never left (so it is not uncertain).
NEVER_SENT = ("Connection refused", "NewConnectionError", "Name or service not known")


def split_endpoint(endpoint: str) -> tuple[str, str]:
    """Return (scheme, host[:port]) of an endpoint setting: a bare host means HTTPS."""
    if "://" in endpoint:
        parts = urlsplit(endpoint)
        return parts.scheme, parts.netloc
    return "https", endpoint


def never_sent(error_text: str) -> bool:
    """Return True when a network error shows the request never reached the provider."""
    return any(word in error_text for word in NEVER_SENT)


def call_id(delivery_ids: Sequence[int]) -> str:
    """Return the id one API call carries for its deliveries: "7", or "3-9" for several."""
    ids = list(delivery_ids)
    return str(ids[0]) if len(ids) == 1 else f"{min(ids)}-{max(ids)}"


def call_id_covers(value: str, delivery_id: int) -> bool:
    """Return True when a call id we sent ("7" or "3-9") names this delivery."""
    first, _, last = (value or "").partition("-")
    try:
        low, high = int(first), int(last or first)
    except ValueError:
        return False
    return low <= delivery_id <= high


class TemplateChannel:
    """The SMS channel of a template provider: `send_many` is the provider's own."""

    name = "sms"
    provider = ""
    single_part_chars = 70
    multi_part_chars = 67

    def __init__(self) -> None:
        self._local = threading.local()

    def new_client(self) -> Any:
        raise NotImplementedError

    def client(self) -> Any:
        """Return this thread's SDK client, built on first use."""
        client = getattr(self._local, "client", None)
        if client is None:
            client = self.new_client()
            self._local.client = client
        return client

    def send_many(
        self, outgoings: Sequence[Outgoing], pace: Callable[[], None] | None = None
    ) -> list[Result]:
        raise NotImplementedError

    def send(self, outgoing: Outgoing) -> Sent:
        result = self.send_many([outgoing])[0]
        if isinstance(result, Exception):
            raise result
        return result
