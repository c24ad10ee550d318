"""A need from the needs list taken up for mediation (the needs list's "mediation" decision).

The needs list does not import mediation: the caller hands `needs.operations.decide` this
conversion. The need's household (and resident) is the case's first party; the mediator adds
the other side on the case's page. The outcome settles the need (operations.conclude).
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _

from models import Need, Person
from services.errors import DomainError
from services.mediation import operations, queries


def to_case(need: Need, by: Person, today: date, now: datetime) -> str:
    """Open a case for the need's household and return its ref."""
    if need.household_id is None:
        raise DomainError(
            _("This need names no household: open the case on the mediation page instead.")
        )
    reach = queries.reach_of(by, today)
    if need.grid_id is None or need.grid_id not in queries.grids_ids(reach):
        raise DomainError(
            _("Only the grid's mediators, its grid leader and the secretary mediate.")
        )
    case = operations.open_case(
        reach,
        by=by,
        parties=[operations.PartyChoice(need.household_id, need.resident_id)],
        category="other",
        source="need",
        summary=need.text[: operations.SUMMARY_LIMIT],
        now=now,
        need=need,
    )
    return case.ref
