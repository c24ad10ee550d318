"""What goes to the grids' work groups, and how: a delivery per grid through the outbox.

The features call these as their events happen (a need raised, a wish escalated, a work
order created or short of people near its start, a mobilisation, the monthly visit digest),
in the transaction that records the event. Only grids with a robot get a delivery; a grid
without one gets nothing and nothing fails. Retries, rate, quiet hours (for all but
mobilisations) and the outbox page apply as to every message.

The group sees what it needs to organise the work and no more: places as building and room,
free text with phone and ID numbers masked and cut short, no names, never health notes (a
need in the health category goes without its text: the grid leader reads it in Linli).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import select

from models import Grid, GridRobot, Need, Wish, WorkOrder, db
from models.wishes import LEVEL_BUILDING_HEAD, LEVEL_GRID_LEADER, LEVEL_SECRETARY
from notify.message import Message
from notify.outbox import send_later
from notify.routing import GridGroup
from services.privacy import mask_personal_numbers
from services.work_groups import messages

TEXT_CHARS = 200
# Markdown WeCom acts on, replaced by their full-width look-alikes in people's text, so a
# need cannot post a link, a heading or a mention into the group.
_MARKDOWN = str.maketrans(
    {"<": "＜", ">": "＞", "[": "［", "]": "］", "*": "＊", "`": "｀", "#": "＃"}
)
NEED_CATEGORY_ZH = {
    "repairs": "维修",
    "health": "健康照护",
    "elderly": "助老",
    "paperwork": "政策办事",
    "neighbours": "邻里纠纷",
    "environment": "环境卫生",
    "safety": "安全",
    "property": "物业",
    "other": "其他",
}
# Needs whose text may hold health details: the group hears only that there is one.
WITHHELD_CATEGORIES = {"health"}
WITHHELD_TEXT = "（涉及健康，详情请在邻里查看）"
LEVEL_ZH = {LEVEL_BUILDING_HEAD: "楼栋长", LEVEL_GRID_LEADER: "网格长", LEVEL_SECRETARY: "书记"}


def clean(text: str, limit: int = TEXT_CHARS) -> str:
    """Return free text fit for a group: numbers masked, one line, no markdown, cut short.

    A masked phone reads 139＊＊＊＊5678: plain stars would be bold markers in markdown.
    """
    one_line = " ".join(mask_personal_numbers(text or "").split()).translate(_MARKDOWN)
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


def grids_with_robots(grid_ids: Iterable[int]) -> list[int]:
    """Return those of these grids whose work group has a robot."""
    wanted = sorted(set(grid_ids))
    if not wanted:
        return []
    return list(
        db.session.scalars(
            select(GridRobot.grid_id)
            .where(GridRobot.grid_id.in_(wanted))
            .order_by(GridRobot.grid_id)
        )
    )


def to_groups(
    kind: str,
    params: Mapping[str, Any],
    grid_ids: Iterable[int],
    *,
    batch_key: str,
    community_id: int,
    now: datetime,
    ref: str | None = None,
) -> list[int]:
    """Record a delivery of one message kind to each grid's work group that has a robot."""
    grids = grids_with_robots(grid_ids)
    if not grids:
        return []
    return send_later(
        Message(kind, dict(params), batch_key=batch_key, ref=ref, community_id=community_id),
        to=[GridGroup(g) for g in grids],
        now=now,
    )


def _grid_name(grid_id: int) -> str:
    grid = db.session.get(Grid, grid_id)
    return grid.name if grid is not None else ""


def need_raised(need: Need, now: datetime) -> list[int]:
    """Tell the need's grid of a new need (a need with no place in a grid goes nowhere)."""
    if need.grid_id is None:
        return []
    # The household's address, or a reported problem's building and place.
    where = need.where or "-"
    text = WITHHELD_TEXT if need.category in WITHHELD_CATEGORIES else clean(need.text)
    return to_groups(
        messages.GROUP_NEED.name,
        {
            "ref": need.ref,
            "grid": _grid_name(need.grid_id),
            "category": NEED_CATEGORY_ZH.get(need.category, "其他"),
            "where": clean(where, 60),
            "text": text,
        },
        [need.grid_id],
        batch_key=f"group:need:{need.id}",
        community_id=need.community_id,
        now=now,
        ref=need.ref,
    )


def wish_escalated(wish: Wish, category: str, hours: int, now: datetime) -> list[int]:
    """Tell the wish's grid that it waits unclaimed and went up a level."""
    level = wish.escalation_level
    return to_groups(
        messages.GROUP_WISH_ESCALATED.name,
        {
            "ref": wish.ref,
            "hours": hours,
            "level": LEVEL_ZH.get(level, ""),
            "category": category,
            "building": clean(wish.building.label, 60),
            "text": clean(wish.text),
        },
        [wish.grid_id],
        batch_key=f"group:wish:{wish.id}:escalated:{level}",
        community_id=wish.community_id,
        now=now,
        ref=wish.ref,
    )


def grids_of(order: WorkOrder) -> list[int]:
    """Return the grids whose work groups hear of an order.

    A grid's order: that grid. An order to chosen grids: those. An order to posts across the
    community (all patrollers): every grid of it. An order only to partner units or named
    people is not the grids' business.
    """
    if order.grid_id is not None:
        return [order.grid_id]
    audience = order.audience or {}
    chosen = [int(g) for g in audience.get("grids", ())]
    if chosen:
        return chosen
    if audience.get("roles"):
        everywhere = select(Grid.id).where(Grid.community_id == order.community_id)
        return list(db.session.scalars(everywhere))
    return []


def _order_params(order: WorkOrder, when: str) -> dict[str, Any]:
    return {
        "ref": order.ref,
        "title": clean(order.title, 60),
        "when": when,
        "location": clean(order.location, 80) or "-",
        "needed": order.places_needed,
        "missing": order.places_free,
    }


def order_created(order: WorkOrder, when: str, now: datetime) -> list[int]:
    """Tell the order's grids of a new work order (`when`: its window as people read it)."""
    return to_groups(
        messages.GROUP_WORK_ORDER.name,
        _order_params(order, when),
        grids_of(order),
        batch_key=f"group:work_order:{order.id}:new",
        community_id=order.community_id,
        now=now,
        ref=order.ref,
    )


def order_short(order: WorkOrder, when: str, now: datetime) -> list[int]:
    """Tell the order's grids, once, that places are still free close to the start."""
    if order.places_free <= 0:
        return []
    return to_groups(
        messages.GROUP_WORK_ORDER_SHORT.name,
        _order_params(order, when),
        grids_of(order),
        batch_key=f"group:work_order:{order.id}:short",
        community_id=order.community_id,
        now=now,
        ref=order.ref,
    )


def live_link(broadcast_id: int) -> str:
    """Return the address of a broadcast's live count page (PUBLIC_BASE_URL)."""
    base = str(current_app.config.get("PUBLIC_BASE_URL") or "") if has_app_context() else ""
    return f"{base.rstrip('/')}/broadcasts/{broadcast_id}"


def mobilised(
    broadcast_id: int, text: str, order: WorkOrder, when: str, now: datetime
) -> list[int]:
    """Send a mobilisation to the work groups of its grids, with its live count's link.

    Urgent, as the mobilisation itself: it goes in quiet hours too.
    """
    grids = grids_with_robots(grids_of(order))
    if not grids:
        return []
    params = _order_params(order, when)
    params.update(text=clean(text, 300), link=live_link(broadcast_id))
    return send_later(
        Message(
            messages.GROUP_MOBILISATION.name,
            params,
            batch_key=f"group:broadcast:{broadcast_id}",
            urgent=True,
            ref=order.ref,
            community_id=order.community_id,
        ),
        to=[GridGroup(g) for g in grids],
        now=now,
    )


def visit_digest(
    grid_id: int,
    community_id: int,
    month: date,
    buildings: Sequence[tuple[str, int, int]],
    days_left: int,
    now: datetime,
) -> list[int]:
    """Send the month's visit coverage of a grid (building label, visited, households)."""
    counted = [(label, done, total) for label, done, total in buildings if total]
    if not counted:
        return []
    lines = "\n".join(f"> {clean(label, 60)}：{done}/{total}" for label, done, total in counted)
    return to_groups(
        messages.GROUP_VISIT_DIGEST.name,
        {
            "grid": _grid_name(grid_id),
            "month": month.month,
            "done": sum(done for _l, done, _t in counted),
            "total": sum(total for _l, _d, total in counted),
            "days": days_left,
            "lines": lines,
        },
        [grid_id],
        batch_key=f"group:visit-digest:{month:%Y-%m}:{grid_id}",
        community_id=community_id,
        now=now,
    )
