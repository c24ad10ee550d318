"""Meetings' message kinds: the invitation, the reminders, and the answers to "1"/"2".

Plain constants; the registry (pwa.features) registers MESSAGE_KINDS when the app is built.
Each Chinese text fits one SMS with the signature for a usual title and place.
"""

from __future__ import annotations

from notify.templates import HOUR, MessageKind

EXAMPLE = {"title": "三网格11月例会", "when": "11-28 14:30", "place": "社区二楼会议室"}


def meeting_kind(name: str, zh: str, en: str, **kw: object) -> MessageKind:
    """Return a kind whose example is a meeting's (plus what kw["example"] adds)."""
    example = dict(EXAMPLE)
    example.update(kw.pop("example", {}))  # type: ignore[call-overload]
    return MessageKind(name=name, zh=zh, en=en, example=example, **kw)  # type: ignore[arg-type]


MEETING_INVITE = meeting_kind(
    "meeting_invite",
    "邀请您参加{title}：{when}，{place}。回复1参加，回复2请假。",
    "You are invited to {title}: {when}, {place}. Reply 1 to attend, 2 to be excused.",
    description="The invitation to everyone picked: posts, partner units' contacts, residents.",
)
MEETING_REMINDER = meeting_kind(
    "meeting_reminder",
    "提醒：{title}明天{when}在{place}召开，请准时参加。",
    "Reminder: {title} is tomorrow, {when}, at {place}. See you there.",
    description="The day before, to those who answered that they attend.",
)
MEETING_QUARTERLY_AHEAD = meeting_kind(
    "meeting_quarterly_ahead",
    "{title}将于{when}在{place}召开，请提前准备本网格工作汇报。",
    "{title} is on {when} at {place}: please prepare your grid's report.",
    example={"title": "第四季度网格长例会", "when": "12-18 09:00"},
    description="The quarterly grid leaders' meeting, some days ahead, to all invited.",
)
MEETING_QUARTER_UNSCHEDULED = MessageKind(
    name="meeting_quarter_unscheduled",
    zh="本季度（{quarter}）尚未安排季度网格长例会，请在{deadline}前安排。",
    en="No quarterly grid leaders' meeting is scheduled for {quarter}: please call one by "
    "{deadline}.",
    example={"quarter": "2026年第4季度", "deadline": "12-31"},
    validity_seconds=24 * HOUR,
    description="To the secretary when the quarter's grid leaders' meeting is not called yet.",
)
# Answers to a bare "1" / "2" (to the sender; urgent so they never wait for the morning).
REPLY: dict[str, object] = {"validity_seconds": HOUR, "urgent": True}
MEETING_ATTENDING = meeting_kind(
    "meeting_attending",
    "已记录：您将参加{title}（{when}，{place}）。",
    "Noted: you will attend {title} ({when}, {place}).",
    **REPLY,
)
MEETING_EXCUSED = meeting_kind(
    "meeting_excused",
    "已记录您请假：{title}（{when}）。",
    "Noted: you are excused from {title} ({when}).",
    **REPLY,
)
MEETING_HOW = meeting_kind(
    "meeting_how",
    "关于{title}（{when}）：回复1参加，回复2请假。",
    "About {title} ({when}): reply 1 to attend, 2 to be excused.",
    **REPLY,
)

MEETING_LIST = MessageKind(
    name="meeting_list",
    zh="您的会议：{meetings}",
    en="Your meetings: {meetings}",
    example={"meetings": "11-28 14:30 三网格11月例会（参加）"},
    validity_seconds=HOUR,
    urgent=True,
)
MEETING_LIST_EMPTY = MessageKind(
    name="meeting_list_empty",
    zh="您近期没有要参加的会议。有新会议时会短信通知您。",
    en="You have no meetings coming up. You will get a text when one is called.",
    example={},
    validity_seconds=HOUR,
    urgent=True,
)

MESSAGE_KINDS: tuple[MessageKind, ...] = (
    MEETING_INVITE,
    MEETING_REMINDER,
    MEETING_QUARTERLY_AHEAD,
    MEETING_QUARTER_UNSCHEDULED,
    MEETING_ATTENDING,
    MEETING_EXCUSED,
    MEETING_HOW,
    MEETING_LIST,
    MEETING_LIST_EMPTY,
)
