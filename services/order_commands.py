"""Work orders by SMS and Telegram: "认领 T34", "退出 T34", "开始 T34", "完成 T34 已清扫", "任务".

Telegram buttons send the same text back, so one grammar serves both channels. This module
also registers the work-order and broadcast message kinds, and (by importing
services.broadcasts) the "1" answerer for mobilisations.
"""

from __future__ import annotations

from notify import commands, templates
from notify.commands import Command, Inbound, Reply
from notify.templates import HOUR, MessageKind
from services import work_orders
from services.errors import DomainError
from services.work_orders import ClaimOutcome, ClaimResult

_EXAMPLE = {
    "ref": "T34",
    "title": "清扫幸福家园积雪",
    "when": "11-26 07:00-09:00",
    "location": "幸福家园1-6号楼路段",
    "needed": 20,
    "missing": 5,
}


def _kind(name: str, zh: str, en: str, **kw: object) -> MessageKind:
    example = dict(_EXAMPLE)
    example.update(kw.pop("example", {}))  # type: ignore[call-overload]
    return templates.register(MessageKind(name=name, zh=zh, en=en, example=example, **kw))  # type: ignore[arg-type]


_kind(
    "work_order_new",
    "新任务{ref}：{title}，{when}，地点：{location}，需{needed}人。回复“认领 {ref}”认领。",
    "New work order {ref}: {title}, {when}, at {location}, {needed} needed. "
    "Reply CLAIM {ref} to take it.",
    description="A work order sent to its audience.",
)
_kind(
    "work_order_again",
    "任务{ref}“{title}”还差{missing}人（{when}，{location}）。回复“认领 {ref}”认领。",
    "Work order {ref} ({title}) still needs {missing} ({when}, {location}). "
    "Reply CLAIM {ref} to take it.",
    description="An unclaimed work order, announced once more.",
)
_kind(
    "work_order_escalate",
    "任务{ref}“{title}”（{when}）仍差{missing}人，请协调安排。",
    "Work order {ref} ({title}, {when}) still needs {missing} people: please arrange it.",
    description="An order still unclaimed after the second call, to grid leader and secretary.",
)
_kind(
    "work_order_before_window",
    "提醒：您认领的任务{ref}“{title}”将于{when}开始，地点：{location}。"
    "开始时回复“开始 {ref}”，不能参加请回复“退出 {ref}”。",
    "Reminder: work order {ref} ({title}) starts {when} at {location}. Reply START {ref} when "
    "you begin, or WITHDRAW {ref} if you cannot come.",
    description="One reminder before the window to a claimer who has not started.",
)
_kind(
    "work_order_to_check",
    "任务{ref}“{title}”已全部完成，请验收。",
    "Work order {ref} ({title}) is reported done: please check it.",
    description="To the order's creator when every claimer reported done.",
)
_kind(
    "work_order_verified",
    "任务{ref}“{title}”已验收，谢谢您的付出！",
    "Work order {ref} ({title}) was checked and accepted. Thank you!",
    description="To the claimers when the work is verified.",
)
_kind(
    "work_order_reopened",
    "任务{ref}“{title}”需要返工：{reason}",
    "Work order {ref} ({title}) was reopened: {reason}",
    example={"reason": "3号楼门口还有积雪"},
    description="To the claimers when the work is sent back with a reason.",
)
_kind(
    "work_order_cancelled",
    "任务{ref}“{title}”已取消，谢谢您。",
    "Work order {ref} ({title}) was cancelled. Thank you.",
    description="To the claimers when an order is cancelled.",
)
# Replies to commands (answers to the sender; urgent so they never wait for the morning).
_REPLY = {"validity_seconds": HOUR, "urgent": True}
_kind(
    "work_order_claimed",
    "已认领任务{ref}“{title}”：{when}，地点：{location}。不能参加请回复“退出 {ref}”。",
    "You claimed {ref} ({title}): {when} at {location}. Reply WITHDRAW {ref} if you cannot come.",
    **_REPLY,
)
_kind(
    "work_order_already",
    "您已认领任务{ref}，{when}见。",
    "You already hold a place on {ref}. See you {when}.",
    **_REPLY,
)
_kind(
    "work_order_filled",
    "任务{ref}已满员，谢谢您的热心！",
    "{ref} is already filled. Thank you for offering!",
    **_REPLY,
)
_kind(
    "work_order_closed",
    "任务{ref}已结束或不存在。",
    "{ref} is closed or does not exist.",
    **_REPLY,
)
_kind(
    "work_order_not_for_you",
    "任务{ref}不在您的范围内，有疑问请联系网格长。",
    "{ref} is not for your area. Ask your grid leader if in doubt.",
    **_REPLY,
)
_kind(
    "work_order_withdrawn",
    "已退出任务{ref}，名额已让出。",
    "You withdrew from {ref}; your place is open again.",
    **_REPLY,
)
_kind(
    "work_order_started",
    "已记录：任务{ref}开始。完成后回复“完成 {ref} 情况说明”。",
    "Noted: {ref} has begun. When done, reply DONE {ref} and a short note.",
    **_REPLY,
)
_kind(
    "work_order_done",
    "已记录：任务{ref}完成，谢谢！",
    "Noted: {ref} is done. Thank you!",
    **_REPLY,
)
_kind(
    "work_order_refused",
    "任务{ref}：{reason}",
    "{ref}: {reason}",
    example={"reason": "您没有认领这个任务。"},
    **_REPLY,
)
_kind(
    "work_order_not_yours",
    "您没有认领任务{ref}。认领请回复“认领 {ref}”。",
    "You hold no place on {ref}. Reply CLAIM {ref} to take one.",
    **_REPLY,
)
_kind(
    "work_order_who",
    "未找到您的志愿者登记，请联系社区。",
    "We could not find you among the volunteers. Please contact the community.",
    example={},
    **_REPLY,
)
_kind(
    "work_order_list",
    "您的任务：{orders}",
    "Your work orders: {orders}",
    example={"orders": "T34 清扫积雪 11-26 07:00-09:00（已认领）"},
    **_REPLY,
)
_kind(
    "mobilisation",
    "【动员】{text}",
    "[Call for help] {text}",
    example={"text": "需要20人07:00清扫积雪，回复1报名"},
    validity_seconds=2 * HOUR,
    urgent=True,
    description="An urgent mobilisation; a reply of 1 signs the person up.",
)
_kind(
    "mobilisation_how",
    "报名请回复1，或回复“认领 {ref}”。",
    "To join, reply 1, or CLAIM {ref}.",
    **_REPLY,
)
_kind(
    "policy_notice",
    "{text}",
    "{text}",
    example={"text": "80周岁以上老人可申领高龄补贴，请本人或家属带身份证到社区办理。"},
    validity_seconds=24 * HOUR,
    description="An information broadcast to the residents it concerns.",
)

import services.broadcasts  # noqa: E402,F401  the "1" answerer for mobilisations


def claim_reply(order: work_orders.WorkOrder, result: ClaimResult) -> Reply:
    """Return the answer a claim gets, on any channel."""
    kinds = {
        ClaimOutcome.CLAIMED: "work_order_claimed",
        ClaimOutcome.ALREADY: "work_order_already",
        ClaimOutcome.FILLED: "work_order_filled",
        ClaimOutcome.CLOSED: "work_order_closed",
        ClaimOutcome.NOT_FOR_YOU: "work_order_not_for_you",
    }
    return Reply(kinds[result.outcome], work_orders.params(order))


def _context(message: Inbound) -> tuple[work_orders.WorkOrder, object] | Reply | None:
    if not message.ref or not message.ref.startswith("T"):
        return None  # another feature's code (W12…)
    person = message.person
    if person is None and message.phone:
        from sqlalchemy import select

        from models import Person, db

        person = db.session.scalar(select(Person).where(Person.phone == message.phone))
    if person is None:
        return Reply("work_order_who", {})
    order = work_orders.find(message.ref)
    if order is None:
        return Reply("work_order_closed", {"ref": message.ref})
    message.person = person
    return order, person


def _today(message: Inbound) -> object:
    return message.now.astimezone(work_orders.quiet.SHANGHAI).date()


def _claim(message: Inbound) -> Reply | None:
    found = _context(message)
    if not isinstance(found, tuple):
        return found
    order, _person = found
    assert message.person is not None
    result = work_orders.claim(
        order,
        by=message.person,
        via=message.channel,
        now=message.now,
        today=_today(message),  # type: ignore[arg-type]
    )
    return claim_reply(order, result)


def _act(message: Inbound, action: str) -> Reply | None:
    found = _context(message)
    if not isinstance(found, tuple):
        return found
    order, _person = found
    person = message.person
    assert person is not None
    # Answer the usual refusals with their own kinds, in the person's language.
    if not order.live:
        return Reply("work_order_closed", work_orders.params(order))
    mine = work_orders.claim_of(order, person)
    if mine is None or mine.withdrawn_at is not None:
        return Reply("work_order_not_yours", work_orders.params(order))
    try:
        if action == "withdraw":
            work_orders.withdraw(order, by=person, via=message.channel, now=message.now)
            return Reply("work_order_withdrawn", work_orders.params(order))
        if action == "start":
            work_orders.start(order, by=person, via=message.channel, now=message.now)
            return Reply("work_order_started", work_orders.params(order))
        work_orders.mark_done(
            order, by=person, via=message.channel, now=message.now, note=message.rest
        )
        return Reply("work_order_done", work_orders.params(order))
    except DomainError as error:
        return Reply("work_order_refused", {"ref": order.ref, "reason": error.message})


def _list(message: Inbound) -> Reply | None:
    person = message.person
    if person is None:
        return Reply("work_order_who", {})
    orders = work_orders.orders_for(person, _today(message), message.now)  # type: ignore[arg-type]
    lines = []
    for order in orders[:5]:
        mine = work_orders.claim_of(order, person)
        held = mine is not None and mine.withdrawn_at is None
        lines.append(
            f"{order.ref} {order.title} {work_orders.when_text(order)}"
            + ("（已认领）" if held else f"（差{order.places_free}人）")
        )
    return Reply("work_order_list", {"orders": "；".join(lines) if lines else "-"})


commands.register(
    Command(
        "order_claim",
        ("认领", "CLAIM", "RL"),
        _claim,
        shape="ref",
        help_zh="“认领 T34”认领任务",
        help_en="CLAIM T34 to take a work order.",
    )
)
commands.register(
    Command(
        "order_withdraw",
        ("退出", "WITHDRAW", "TC"),
        lambda m: _act(m, "withdraw"),
        shape="ref",
        help_zh="“退出 T34”退出任务",
        help_en="WITHDRAW T34 to give up your place.",
    )
)
commands.register(
    Command("order_start", ("开始", "BEGIN", "START"), lambda m: _act(m, "start"), shape="ref")
)
commands.register(
    Command(
        "order_done",
        ("完成", "DONE", "WC"),
        lambda m: _act(m, "done"),
        shape="ref",
        help_zh="“完成 T34 情况”报告完成",
        help_en="DONE T34 and a note when finished.",
    )
)
commands.register(Command("order_list", ("任务", "ORDERS", "RW"), _list))
