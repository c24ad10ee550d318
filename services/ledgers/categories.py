"""The ledger's categories, as a street office checks them: one declaration each, in order.

A later feature adds its category here: a code, a Chinese title (the one place titles are
kept) and a rows-function `(scope, period, viewer, limit) -> Part` that reads its records.
`scopes` says which ledgers it belongs in: a category kept community-wide (partner units'
service) has no grid or post ledger of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from services.ledgers import community_work, duties, household_work
from services.ledgers.periods import Period
from services.ledgers.rows import Part, Scope, Viewer

RowsFunction = Callable[[Scope, Period, Viewer, int], Part]
ALL_SCOPES = frozenset({"community", "grid", "post"})


@dataclass(frozen=True)
class Category:
    code: str  # also the sheet's order and the page's anchor
    title: Any  # lazy: the street office's name for this ledger
    rows: RowsFunction
    scopes: frozenset[str] = ALL_SCOPES


CATEGORIES: tuple[Category, ...] = (
    Category("visits", _l("Home visits ledger"), household_work.visits),
    Category("needs", _l("Residents' needs ledger"), household_work.needs),
    Category("wishes", _l("Micro-wishes ledger"), household_work.wishes),
    Category("work_orders", _l("Work orders ledger"), community_work.work_orders),
    Category("broadcasts", _l("Notices and mobilisation ledger"), community_work.broadcasts),
    Category("patrols", _l("Patrols ledger"), community_work.patrols),
    Category("mediation", _l("Dispute mediation ledger"), duties.mediation),
    Category("campaigns", _l("Policy publicity ledger"), duties.campaigns),
    Category("meetings", _l("Meetings ledger"), duties.meetings),
    Category(
        "partner_service",
        _l("Partner units' service ledger"),
        duties.partner_service,
        scopes=frozenset({"community"}),
    ),
)


def for_scope(scope: Scope) -> list[Category]:
    return [c for c in CATEGORIES if scope.kind in c.scopes]
