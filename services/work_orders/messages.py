"""Work orders' message kinds: to the audience, the claimers, the creator, and replies to commands.

Plain constants; the registry (pwa.features) registers MESSAGE_KINDS when the app is built.
"""

from __future__ import annotations

from notify.templates import HOUR, MessageKind

EXAMPLE = {
    "ref": "T34",
    "title": "清扫幸福家园积雪",
    "when": "11-26 07:00-09:00",
    "location": "幸福家园1-6号楼路段",
    "needed": 20,
    "missing": 5,
}


def order_kind(name: str, zh: str, en: str, **kw: object) -> MessageKind:
    """Return a kind whose example is an order's (plus what kw["example"] adds)."""
    example = dict(EXAMPLE)
    example.update(kw.pop("example", {}))  # type: ignore[call-overload]
    return MessageKind(name=name, zh=zh, en=en, example=example, **kw)  # type: ignore[arg-type]


WORK_ORDER_NEW = order_kind(
    "work_order_new",
    "新任务{ref}：{title}，{when}，地点：{location}，需{needed}人。回复“认领 {ref}”认领。",
    "New work order {ref}: {title}, {when}, at {location}, {needed} needed. "
    "Reply CLAIM {ref} to take it.",
    description="A work order sent to its audience.",
)
WORK_ORDER_AGAIN = order_kind(
    "work_order_again",
    "任务{ref}“{title}”还差{missing}人（{when}，{location}）。回复“认领 {ref}”认领。",
    "Work order {ref} ({title}) still needs {missing} ({when}, {location}). "
    "Reply CLAIM {ref} to take it.",
    description="An unclaimed work order, announced once more.",
)
WORK_ORDER_ESCALATE = order_kind(
    "work_order_escalate",
    "任务{ref}“{title}”（{when}）仍差{missing}人，请协调安排。",
    "Work order {ref} ({title}, {when}) still needs {missing} people: please arrange it.",
    description="An order still unclaimed after the second call, to grid leader and secretary.",
)
WORK_ORDER_BEFORE_WINDOW = order_kind(
    "work_order_before_window",
    "提醒：您认领的任务{ref}“{title}”将于{when}开始，地点：{location}。"
    "开始时回复“开始 {ref}”，不能参加请回复“退出 {ref}”。",
    "Reminder: work order {ref} ({title}) starts {when} at {location}. Reply START {ref} when "
    "you begin, or WITHDRAW {ref} if you cannot come.",
    description="One reminder before the window to a claimer who has not started.",
)
WORK_ORDER_TO_CHECK = order_kind(
    "work_order_to_check",
    "任务{ref}“{title}”已全部完成，请验收。",
    "Work order {ref} ({title}) is reported done: please check it.",
    description="To the order's creator when every claimer reported done.",
)
WORK_ORDER_VERIFIED = order_kind(
    "work_order_verified",
    "任务{ref}“{title}”已验收，谢谢您的付出！",
    "Work order {ref} ({title}) was checked and accepted. Thank you!",
    description="To the claimers when the work is verified.",
)
WORK_ORDER_REOPENED = order_kind(
    "work_order_reopened",
    "任务{ref}“{title}”需要返工：{reason}",
    "Work order {ref} ({title}) was reopened: {reason}",
    example={"reason": "3号楼门口还有积雪"},
    description="To the claimers when the work is sent back with a reason.",
)
WORK_ORDER_CANCELLED = order_kind(
    "work_order_cancelled",
    "任务{ref}“{title}”已取消，谢谢您。",
    "Work order {ref} ({title}) was cancelled. Thank you.",
    description="To the claimers when an order is cancelled.",
)
# Replies to commands (answers to the sender; urgent so they never wait for the morning).
REPLY: dict[str, object] = {"validity_seconds": HOUR, "urgent": True}
WORK_ORDER_CLAIMED = order_kind(
    "work_order_claimed",
    "已认领任务{ref}“{title}”：{when}，地点：{location}。不能参加请回复“退出 {ref}”。",
    "You claimed {ref} ({title}): {when} at {location}. Reply WITHDRAW {ref} if you cannot come.",
    **REPLY,
)
WORK_ORDER_ALREADY = order_kind(
    "work_order_already",
    "您已认领任务{ref}，{when}见。",
    "You already hold a place on {ref}. See you {when}.",
    **REPLY,
)
WORK_ORDER_FILLED = order_kind(
    "work_order_filled",
    "任务{ref}已满员，谢谢您的热心！",
    "{ref} is already filled. Thank you for offering!",
    **REPLY,
)
WORK_ORDER_CLOSED = order_kind(
    "work_order_closed",
    "任务{ref}已结束或不存在。",
    "{ref} is closed or does not exist.",
    **REPLY,
)
WORK_ORDER_NOT_FOR_YOU = order_kind(
    "work_order_not_for_you",
    "任务{ref}不在您的范围内，有疑问请联系网格长。",
    "{ref} is not for your area. Ask your grid leader if in doubt.",
    **REPLY,
)
WORK_ORDER_WITHDRAWN = order_kind(
    "work_order_withdrawn",
    "已退出任务{ref}，名额已让出。",
    "You withdrew from {ref}; your place is open again.",
    **REPLY,
)
WORK_ORDER_STARTED = order_kind(
    "work_order_started",
    "已记录：任务{ref}开始。完成后回复“完成 {ref} 情况说明”。",
    "Noted: {ref} has begun. When done, reply DONE {ref} and a short note.",
    **REPLY,
)
WORK_ORDER_DONE = order_kind(
    "work_order_done",
    "已记录：任务{ref}完成，谢谢！",
    "Noted: {ref} is done. Thank you!",
    **REPLY,
)
WORK_ORDER_REFUSED = order_kind(
    "work_order_refused",
    "任务{ref}：{reason}",
    "{ref}: {reason}",
    example={"reason": "您没有认领这个任务。"},
    **REPLY,
)
WORK_ORDER_NOT_YOURS = order_kind(
    "work_order_not_yours",
    "您没有认领任务{ref}。认领请回复“认领 {ref}”。",
    "You hold no place on {ref}. Reply CLAIM {ref} to take one.",
    **REPLY,
)
WORK_ORDER_WHO = order_kind(
    "work_order_who",
    "未找到您的志愿者登记，请联系社区。",
    "We could not find you among the volunteers. Please contact the community.",
    example={},
    **REPLY,
)
WORK_ORDER_LIST = order_kind(
    "work_order_list",
    "您的任务：{orders}",
    "Your work orders: {orders}",
    example={"orders": "T34 清扫积雪 11-26 07:00-09:00（已认领）"},
    **REPLY,
)

MESSAGE_KINDS: tuple[MessageKind, ...] = (
    WORK_ORDER_NEW,
    WORK_ORDER_AGAIN,
    WORK_ORDER_ESCALATE,
    WORK_ORDER_BEFORE_WINDOW,
    WORK_ORDER_TO_CHECK,
    WORK_ORDER_VERIFIED,
    WORK_ORDER_REOPENED,
    WORK_ORDER_CANCELLED,
    WORK_ORDER_CLAIMED,
    WORK_ORDER_ALREADY,
    WORK_ORDER_FILLED,
    WORK_ORDER_CLOSED,
    WORK_ORDER_NOT_FOR_YOU,
    WORK_ORDER_WITHDRAWN,
    WORK_ORDER_STARTED,
    WORK_ORDER_DONE,
    WORK_ORDER_REFUSED,
    WORK_ORDER_NOT_YOURS,
    WORK_ORDER_WHO,
    WORK_ORDER_LIST,
)
