"""Visits' message kinds: the month's reminders and digests, and the SMS/Telegram replies."""

from __future__ import annotations

from notify.templates import HOUR, MessageKind

VISIT_REMINDER = MessageKind(
    name="visit_reminder",
    zh="{building}：本月已走访{done}/{total}户，还剩{days}天。",
    en="{building}: {done}/{total} households visited this month, {days} days left.",
    example={"building": "楼栋3", "done": 14, "total": 22, "days": 9},
    description="Around day 20: a building head whose building is not fully visited.",
)
VISIT_DIGEST = MessageKind(
    name="visit_digest",
    zh="{grid}本月走访：{lines}。还剩{days}天。",
    en="{grid} visits this month: {lines}. {days} days left.",
    example={"grid": "第一网格", "lines": "3号楼14/22、5号楼20/20", "days": 6},
    description="Around day 25: a grid leader's digest of their buildings.",
)
VISIT_LOGGED = MessageKind(
    name="visit_logged",
    zh="已记录走访{address}（{date}）。{building}本月已走访{done}/{total}户。",
    en="Visit to {address} on {date} logged. {building}: {done}/{total} households "
    "visited this month.",
    example={
        "address": "3-2-501",
        "date": "11-25",
        "building": "3号楼",
        "done": 15,
        "total": 22,
    },
    validity_seconds=HOUR,
    urgent=True,
    description="The reply to a visit logged by SMS or Telegram.",
)
VISIT_CORRECTION = MessageKind(
    name="visit_correction",
    zh="{problem} 格式：走访 楼-单元-房号 情况，例如：走访 3-2-501 好",
    en="{problem} Write: VISIT building-unit-room note, e.g. VISIT 3-2-501 all well",
    example={"problem": "您的片区没有3-2-509这户。"},
    validity_seconds=HOUR,
    urgent=True,
    description="A visit by SMS that could not be logged, and how to write it.",
)
VISIT_CHOOSE = MessageKind(
    name="visit_choose",
    zh="本月还未走访：{choices}。回复序号选择这户，或发送“走访 3-2-501 好”。",
    en="Not yet visited this month: {choices}. Reply the number, or send VISIT 3-2-501 ok.",
    example={"choices": "1) 3-2-501 2) 3-2-601"},
    validity_seconds=HOUR,
    urgent=True,
    description="The first step of the guided visit flow.",
)
VISIT_ALL_DONE = MessageKind(
    name="visit_all_done",
    zh="您负责的住户本月都已走访，辛苦了！再记走访请发送“走访 3-2-501 好”。",
    en="Every household of yours is visited this month, thank you! To log another, "
    "send VISIT 3-2-501 ok.",
    example={},
    validity_seconds=HOUR,
    urgent=True,
)
VISIT_OUTCOME = MessageKind(
    name="visit_outcome",
    zh="{address}：回复1表示一切都好；有需求请回复“需求 内容”。",
    en="{address}: reply 1 if all is well, or NEED and what is needed.",
    example={"address": "3-2-501"},
    validity_seconds=HOUR,
    urgent=True,
    description="The second step of the guided visit flow.",
)
VISIT_NOT_ALLOWED = MessageKind(
    name="visit_not_allowed",
    zh="您没有需要走访的住户。走访由楼栋长、网格长和N员记录。",
    en="You have no households to visit: visits are logged by heads and N members.",
    example={},
    validity_seconds=HOUR,
    urgent=True,
)

MESSAGE_KINDS: tuple[MessageKind, ...] = (
    VISIT_REMINDER,
    VISIT_DIGEST,
    VISIT_LOGGED,
    VISIT_CORRECTION,
    VISIT_CHOOSE,
    VISIT_ALL_DONE,
    VISIT_OUTCOME,
    VISIT_NOT_ALLOWED,
)
