"""How meeting pages name a meeting's kind, an invitee's answer and each event of its history."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from models.meetings import MeetingKind, Reply
from services.meetings import operations as meetings
from services.needs.queries import CATEGORIES


def kind_names() -> dict[str, str]:
    return {
        MeetingKind.REGULAR: _("Grid regular meeting"),
        MeetingKind.FORUM: _("Residents' forum"),
        MeetingKind.JOINT: _("Joint meeting with partner units"),
        MeetingKind.QUARTERLY: _("Quarterly grid leaders' meeting"),
    }


def duration_names() -> dict[int, str]:
    return {m: _("%(hours)s hours", hours=f"{m / 60:g}") for m in meetings.DURATIONS}


def reply_names() -> dict[str, str]:
    return {Reply.ATTEND: _("Attends"), Reply.EXCUSED: _("Excused"), Reply.NONE: _("No answer")}


def action_name(action: str) -> str:
    """Return how the history names an event."""
    return {
        "called": _("called; invitations sent"),
        "replied": _("answered"),
        "reminded": _("reminded the day before"),
        "noticed": _("quarterly meeting announced ahead"),
        "attended": _("present"),
        "absent": _("absent"),
        "walk_in": _("came uninvited"),
        "minutes": _("minutes written"),
        "suggestion": _("suggestion noted"),
        "to_need": _("suggestion put on the needs list"),
        "to_work_order": _("suggestion made a work order"),
    }.get(action, action)


def helpers() -> dict[str, Any]:
    return {
        "kind_names": kind_names(),
        "reply_names": reply_names(),
        "action_name": action_name,
        "when": meetings.when_text,
        "categories": CATEGORIES,
    }
