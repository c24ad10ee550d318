"""Patrols' message kinds: replies to "巡逻 …" commands and the flag to the grid leader.

Plain constants; the registry (pwa.features) registers MESSAGE_KINDS when the app is built.
"""

from __future__ import annotations

from notify.templates import HOUR, MessageKind

EXAMPLE = {"ref": "X12", "route": "东区夜巡", "when": "11-26 19:00-21:00"}
# Replies to commands (answers to the sender; urgent so they never wait for the morning).
REPLY: dict[str, object] = {"validity_seconds": HOUR, "urgent": True}


def shift_kind(name: str, zh: str, en: str, **kw: object) -> MessageKind:
    """Return a kind whose example is a shift's (plus what kw["example"] adds)."""
    example = dict(EXAMPLE)
    example.update(kw.pop("example", {}))  # type: ignore[call-overload]
    return MessageKind(name=name, zh=zh, en=en, example=example, **kw)  # type: ignore[arg-type]


PATROL_STARTED = shift_kind(
    "patrol_started",
    "已记录：{route}巡逻开始（{when}）。结束回复“巡逻 结束 正常”。",
    "Noted: patrol {route} started ({when}). When done, reply PATROL END OK.",
    **REPLY,
)
PATROL_FINISHED = shift_kind(
    "patrol_finished",
    "已记录：{route}巡逻结束（{when}），辛苦了！",
    "Noted: patrol {route} finished ({when}). Thank you!",
    **REPLY,
)
PATROL_FINDING_NOTED = shift_kind(
    "patrol_finding_noted",
    "已记录巡逻发现{finding}，网格长会处理。",
    "Noted finding {finding}; the grid leader will take it up.",
    example={"finding": "F7"},
    **REPLY,
)
PATROL_SIGNED_UP = shift_kind(
    "patrol_signed_up",
    "已报名{route}巡逻（{when}）。开始时回复“巡逻 开始”，不能来回复“巡逻 退出 {ref}”。",
    "Signed up: patrol {route} ({when}). Reply PATROL START when you begin, "
    "or PATROL WITHDRAW {ref} if you cannot come.",
    **REPLY,
)
PATROL_WITHDRAWN = shift_kind(
    "patrol_withdrawn",
    "已退出{route}巡逻（{when}），名额已让出。",
    "You withdrew from patrol {route} ({when}); your place is open again.",
    **REPLY,
)
PATROL_REFUSED = MessageKind(
    name="patrol_refused",
    zh="巡逻：{reason}",
    en="Patrol: {reason}",
    example={"reason": "您近期没有巡逻班次。"},
    **REPLY,  # type: ignore[arg-type]
)
PATROL_LIST = MessageKind(
    name="patrol_list",
    zh="巡逻班次：{shifts}。报名回复“巡逻 报名 班次号”。",
    en="Patrol shifts: {shifts}. To sign up reply PATROL SIGNUP and the code.",
    example={"shifts": "X12 11-26 19:00-21:00 东区夜巡（差1人）"},
    **REPLY,  # type: ignore[arg-type]
)
PATROL_UNSTARTED = shift_kind(
    "patrol_unstarted",
    "{grid}{route}巡逻（{when}）开始{minutes}分钟仍无人开始，请安排。",
    "Nobody has started patrol {route} in {grid} ({when}) {minutes} minutes in: please arrange.",
    example={"grid": "第一网格", "minutes": 30},
    description="To the grid leader, once, when nobody has started a shift after its start.",
)

MESSAGE_KINDS: tuple[MessageKind, ...] = (
    PATROL_STARTED,
    PATROL_FINISHED,
    PATROL_FINDING_NOTED,
    PATROL_SIGNED_UP,
    PATROL_WITHDRAWN,
    PATROL_REFUSED,
    PATROL_LIST,
    PATROL_UNSTARTED,
)
