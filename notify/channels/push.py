"""What the mainland providers' HTTP pushes share: a secret path, allowed addresses, JSON items.

Alibaba Cloud and Tencent Cloud push status reports and replies to a URL we register, and sign
neither: the URL's path holds a long secret (compared in constant time), and an optional list
of networks says where pushes may come from. Nothing here reads a web request.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Iterable
from typing import Any

MIN_SECRET_CHARS = 24
# An address kept for a sender we cannot read as a phone (shown masked, never trusted).
MAX_ADDRESS = 40

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class BadPush(ValueError):
    """The body is not the JSON object or array of objects the service sends."""


def secret_matches(configured: str | None, given: str) -> bool:
    """Return True when the URL's secret is the configured one (no secret: nobody gets in)."""
    if not configured or len(configured) < MIN_SECRET_CHARS:
        return False
    return hmac.compare_digest(configured.encode(), given.encode())


def allowed_networks(value: str | Iterable[str] | None) -> list[Network]:
    """Parse an allowed-addresses setting ("1.2.3.4, 10.0.0.0/8"); raise ValueError on a bad one."""
    items = value.split(",") if isinstance(value, str) else list(value or [])
    return [ipaddress.ip_network(item.strip(), strict=False) for item in items if item.strip()]


def address_allowed(networks: list[Network], address: str | None) -> bool:
    """Return True when no list is set, or the address is in it."""
    if not networks:
        return True
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in network for network in networks)


def items(body: bytes) -> list[dict[str, Any]]:
    """Return the objects of a push (an array, or one object), or raise BadPush."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise BadPush("not JSON") from error
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise BadPush("not an array of objects")
    return data
