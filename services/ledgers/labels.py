"""How a ledger names the states of the records it lists (codes never reach a page)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from models import NeedStatus, OrderStatus
from models.wishes import WishStatus

NEED_STATUS: dict[str, Any] = {
    NeedStatus.OPEN: _l("Waiting for a decision"),
    NeedStatus.IN_HAND: _l("In hand"),
    NeedStatus.ANSWERED: _l("Answered"),
}
WISH_STATUS: dict[str, Any] = {
    WishStatus.OPEN: _l("On the problem wall"),
    WishStatus.CLAIMED: _l("Claimed"),
    WishStatus.FULFILLED: _l("Fulfilled"),
    WishStatus.CONFIRMED: _l("Confirmed by the resident"),
    WishStatus.WITHDRAWN: _l("Withdrawn"),
}
ORDER_STATUS: dict[str, Any] = {
    OrderStatus.OPEN: _l("Places free"),
    OrderStatus.FILLED: _l("Every place claimed"),
    OrderStatus.DONE: _l("Done, waiting for the check"),
    OrderStatus.VERIFIED: _l("Checked"),
    OrderStatus.CANCELLED: _l("Cancelled"),
    OrderStatus.EXPIRED: _l("Expired with nothing done"),
}
BROADCAST_KIND: dict[str, Any] = {
    "mobilisation": _l("Mobilisation"),
    "information": _l("Notice"),
}
MEETING_KIND: dict[str, Any] = {
    "regular": _l("Grid regular meeting"),
    "quarterly": _l("Quarterly grid leaders' meeting"),
    "forum": _l("Residents' forum"),
    "joint": _l("Joint meeting with partner units"),
}


def label(labels: dict[str, Any], code: str | None) -> str:
    """The label of a code; an unknown code (a community's own) is shown as a dash, not raw."""
    if code is None:
        return ""
    found = labels.get(code)
    return str(found) if found is not None else "—"
