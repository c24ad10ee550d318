"""Work orders by SMS and Telegram: "认领 T34", "退出 T34", "开始 T34", "完成 T34 已清扫", "任务".

Telegram buttons send the same text back, so one grammar serves both channels. COMMANDS is
declared to the registry (pwa.features), which registers it when the app is built.
"""

from __future__ import annotations

from sqlalchemy import select

from models import Person, WorkOrder, db
from models.clock import today_of
from notify.commands import Command, Help, Inbound, Reply
from services.errors import DomainError
from services.work_orders import claims, operations, queries
from services.work_orders.claims import ClaimOutcome, ClaimResult


def claim_reply(order: WorkOrder, result: ClaimResult) -> Reply:
    """Return the answer a claim gets, on any channel."""
    kinds = {
        ClaimOutcome.CLAIMED: "work_order_claimed",
        ClaimOutcome.ALREADY: "work_order_already",
        ClaimOutcome.FILLED: "work_order_filled",
        ClaimOutcome.CLOSED: "work_order_closed",
        ClaimOutcome.NOT_FOR_YOU: "work_order_not_for_you",
    }
    return Reply(kinds[result.outcome], operations.params(order))


def _context(message: Inbound) -> tuple[WorkOrder, Person] | Reply | None:
    if not message.ref or not message.ref.startswith("T"):
        return None  # another feature's code (W12…)
    person = message.person
    if person is None and message.phone:
        person = db.session.scalar(select(Person).where(Person.phone == message.phone))
    if person is None:
        return Reply("work_order_who", {})
    order = queries.find(message.ref)
    if order is None:
        return Reply("work_order_closed", {"ref": message.ref})
    message.person = person
    return order, person


def _claim(message: Inbound) -> Reply | None:
    found = _context(message)
    if not isinstance(found, tuple):
        return found
    order, person = found
    result = claims.claim(
        order, by=person, via=message.channel, now=message.now, today=today_of(message.now)
    )
    return claim_reply(order, result)


def _act(message: Inbound, action: str) -> Reply | None:
    found = _context(message)
    if not isinstance(found, tuple):
        return found
    order, person = found
    # Answer the usual refusals with their own kinds, in the person's language.
    if not order.live:
        return Reply("work_order_closed", operations.params(order))
    mine = queries.claim_of(order, person)
    if mine is None or mine.withdrawn_at is not None:
        return Reply("work_order_not_yours", operations.params(order))
    try:
        if action == "withdraw":
            claims.withdraw(order, by=person, via=message.channel, now=message.now)
            return Reply("work_order_withdrawn", operations.params(order))
        if action == "start":
            claims.start(order, by=person, via=message.channel, now=message.now)
            return Reply("work_order_started", operations.params(order))
        claims.mark_done(order, by=person, via=message.channel, now=message.now, note=message.rest)
        return Reply("work_order_done", operations.params(order))
    except DomainError as error:
        return Reply("work_order_refused", {"ref": order.ref, "reason": error.message})


def _withdraw(message: Inbound) -> Reply | None:
    return _act(message, "withdraw")


def _start(message: Inbound) -> Reply | None:
    return _act(message, "start")


def _done(message: Inbound) -> Reply | None:
    return _act(message, "done")


def _list(message: Inbound) -> Reply | None:
    person = message.person
    if person is None:
        return Reply("work_order_who", {})
    orders = queries.orders_for(person, today_of(message.now), message.now)
    lines = []
    for order in orders[:5]:
        mine = queries.claim_of(order, person)
        held = mine is not None and mine.withdrawn_at is None
        lines.append(
            f"{order.ref} {order.title} {queries.when_text(order)}"
            + ("（已认领）" if held else f"（差{order.places_free}人）")
        )
    return Reply("work_order_list", {"orders": "；".join(lines) if lines else "-"})


COMMANDS: tuple[Command, ...] = (
    Command(
        "order_claim",
        ("认领", "CLAIM", "RL"),
        _claim,
        shape="ref",
        help=(Help("“认领 T34”接任务", "CLAIM T34"),),
    ),
    Command(
        "order_withdraw",
        ("退出", "WITHDRAW", "TC"),
        _withdraw,
        shape="ref",
        help=(Help("“退出 T34”退出", "WITHDRAW T34"),),
    ),
    Command("order_start", ("开始", "BEGIN", "START"), _start, shape="ref"),
    Command(
        "order_done",
        ("完成", "DONE", "WC"),
        _done,
        shape="ref",
        help=(Help("“完成 T34 情况”报完成", "DONE T34 + note"),),
    ),
    Command(
        "order_list",
        ("任务", "ORDERS", "RW"),
        _list,
        help=(Help("“任务”看任务", "ORDERS"),),
    ),
)
