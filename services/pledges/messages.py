"""Pledges' message kinds: the quarter's rating question and its answers, and the
rectification reminders. Plain constants; the registry (pwa.features) registers MESSAGE_KINDS.

A rating question names the post and its holder only: the pledges themselves are on the
notice board, and an SMS must fit one segment.
"""

from __future__ import annotations

from notify.templates import HOUR, MessageKind

# Answers to a resident's digit: urgent so they never wait for the morning.
REPLY: dict[str, object] = {"validity_seconds": HOUR, "urgent": True}

PLEDGE_RATE_ASK = MessageKind(
    name="pledge_rate_ask",
    zh="社区评诺：请为{post}{name}{quarter}的承诺履行打分，回复数字1-5（5为很满意）。",
    en="Community pledges: rate how {post} {name} kept their pledges in {quarter}: reply "
    "a number 1-5 (5 very satisfied).",
    example={"post": "楼栋长", "name": "张秀兰", "quarter": "2026年3季度"},
    validity_seconds=48 * HOUR,
    description="To a household's contact phone once a quarter, one post at a time.",
)
PLEDGE_RATED = MessageKind(
    name="pledge_rated",
    zh="谢谢您的评分（{rating}分）。再次回复数字可以改分。",
    en="Thank you for your rating ({rating}). Reply another number to change it.",
    example={"rating": 4},
    description="The answer to a household's 1-5 rating when no other post waits for one.",
    **REPLY,  # type: ignore[arg-type]
)
PLEDGE_RATED_NEXT = MessageKind(
    name="pledge_rated_next",
    zh="谢谢（{rating}分）。再请为{post}{name}的承诺履行打分，回复数字1-5。",
    en="Thank you ({rating}). Now rate how {post} {name} kept their pledges: reply 1-5.",
    example={"rating": 4, "post": "网格长", "name": "李建国"},
    description="The answer to a rating that asks about the household's next post.",
    **REPLY,  # type: ignore[arg-type]
)
PLEDGE_RATE_INVALID = MessageKind(
    name="pledge_rate_invalid",
    zh="评分请回复1到5中的一个数字：5为很满意，1为很不满意。",
    en="To rate, reply one number from 1 to 5: 5 very satisfied, 1 very dissatisfied.",
    example={},
    description="The answer to a reply out of 1-5 to the rating question.",
    **REPLY,  # type: ignore[arg-type]
)
PLEDGE_RATE_CLOSED = MessageKind(
    name="pledge_rate_closed",
    zh="本季度评诺已于{closed}结束，谢谢您的关心。",
    en="This quarter's rating of pledges closed on {closed}. Thank you for caring.",
    example={"closed": "11-01"},
    description="The answer to a rating sent after the round closed.",
    **REPLY,  # type: ignore[arg-type]
)
RECTIFICATION_ACTION_DUE = MessageKind(
    name="rectification_action_due",
    zh="整改提醒：{grid}整改事项“{action}”应于{due}前完成，完成后请在平台标记。",
    en='Rectification: {grid}\'s action "{action}" is due by {due}; mark it done in the app.',
    example={"grid": "第一网格", "action": "每周二楼道巡查", "due": "12-20"},
    description="To an action's holder a few days before its deadline (once).",
)
RECTIFICATION_RECHECK_DUE = MessageKind(
    name="rectification_recheck_due",
    zh="整改复查：{grid}的整改计划复查日为{due}，请记录复查结果。",
    en="Rectification: {grid}'s plan is due for its re-check on {due}; record the result.",
    example={"grid": "第一网格", "due": "01-15"},
    description="To the community's secretary on a plan's re-check date (once).",
)

MESSAGE_KINDS: tuple[MessageKind, ...] = (
    PLEDGE_RATE_ASK,
    PLEDGE_RATED,
    PLEDGE_RATED_NEXT,
    PLEDGE_RATE_INVALID,
    PLEDGE_RATE_CLOSED,
    RECTIFICATION_ACTION_DUE,
    RECTIFICATION_RECHECK_DUE,
)
