"""WeCom's answers in the outbox's terms: sent, retry later, or never through this robot."""

from __future__ import annotations

from notify.channels.base import N_, PermanentFailure, TransientFailure

OK = 0
SYSTEM_BUSY = -1
INVALID_KEY = 93000  # the webhook key is wrong, or the robot was removed from the group
RATE_LIMITED = 45009  # more than 20 messages in a minute from this robot
# How long WeCom holds a robot back once it has refused for rate (its limit is per minute).
RATE_PAUSE_SECONDS = 60.0

NO_ROBOT = "wecom_no_robot"
BAD_KEY = "wecom_93000"
PACED = "wecom_rate"

REASONS = {
    NO_ROBOT: N_("The grid has no WeCom group robot any more (its webhook address was removed)."),
    BAD_KEY: N_(
        "WeCom refused the group robot's webhook address (invalid key, or the robot was "
        "removed from the group): paste its address again on the work group page."
    ),
    PACED: N_("The grid's group robot had sent 20 messages this minute; sent when it may."),
    f"wecom_{RATE_LIMITED}": N_("WeCom limits a group robot to 20 messages a minute; sent later."),
}


def failure(errcode: int | None, errmsg: str) -> TransientFailure | PermanentFailure:
    """Return the kind of failure for an answer of WeCom's (errcode None: no answer came)."""
    if errcode is None:
        return TransientFailure("timeout", errmsg)
    if errcode == RATE_LIMITED:
        return TransientFailure(f"wecom_{errcode}", errmsg, RATE_PAUSE_SECONDS)
    if errcode == SYSTEM_BUSY:  # also a 5xx or 429 from WeCom's front end
        return TransientFailure(f"wecom_{errcode}", errmsg)
    return PermanentFailure(f"wecom_{errcode}", errmsg)
