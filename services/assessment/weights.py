"""Indicator weights: the community's own, else its street's default, else the built-in one.

Weights are relative (each 0-100; what counts is each one's share of the total weight of the
indicators that have a value for a subject), so no rule that they add up to 100.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, select

from models import AssessmentWeight, Community, Person, Street, db, utcnow
from services import audit
from services.assessment.indicators import by_code
from services.errors import DomainError

MAX_WEIGHT = 100.0


def effective(community: Community) -> dict[str, float]:
    """Each indicator's weight for the community, and where it comes from."""
    weights = {code: indicator.default_weight for code, indicator in by_code().items()}
    if community.street_id is not None:
        weights.update(_stored(AssessmentWeight.street_id == community.street_id))
    weights.update(_stored(AssessmentWeight.community_id == community.id))
    return {code: weights[code] for code in by_code()}


def for_street(street: Street) -> dict[str, float]:
    weights = {code: indicator.default_weight for code, indicator in by_code().items()}
    weights.update(_stored(AssessmentWeight.street_id == street.id))
    return {code: weights[code] for code in by_code()}


def own_codes(community: Community) -> set[str]:
    """The indicators whose weight the community set itself (the rest follow the street)."""
    return set(_stored(AssessmentWeight.community_id == community.id))


def _stored(owner: ColumnElement[bool]) -> dict[str, float]:
    rows = db.session.execute(
        select(AssessmentWeight.indicator, AssessmentWeight.weight).where(owner)
    )
    known = by_code()
    return {code: float(weight) for code, weight in rows if code in known}


def parse(raw: Mapping[str, str]) -> dict[str, float]:
    """Read the weights typed on the form: every indicator a number from 0 to 100, not all 0."""
    indicators = by_code()
    values: dict[str, float] = {}
    for code, indicator in indicators.items():
        text = (raw.get(code) or "").strip().replace("，", ".").replace(",", ".")
        if not text:
            raise DomainError(_("Give a weight for “%(name)s”.", name=indicator.title))
        try:
            value = float(text)
        except ValueError:
            raise DomainError(
                _("The weight for “%(name)s” must be a number.", name=indicator.title)
            ) from None
        if not math.isfinite(value) or value < 0 or value > MAX_WEIGHT:
            raise DomainError(
                _(
                    "The weight for “%(name)s” must be from 0 to %(most)s.",
                    name=indicator.title,
                    most=int(MAX_WEIGHT),
                )
            )
        values[code] = value
    if not any(values.values()):
        raise DomainError(_("At least one weight must be more than 0."))
    return values


def set_for(
    values: Mapping[str, float],
    *,
    by: Person,
    community: Community | None = None,
    street: Street | None = None,
) -> None:
    """Store a community's (or a street's default) weights; the audit trail keeps the change."""
    owner: ColumnElement[bool]
    if community is not None and street is None:
        owner = AssessmentWeight.community_id == community.id
        communities = [community]
    elif street is not None and community is None:
        owner = AssessmentWeight.street_id == street.id
        communities = list(
            db.session.scalars(select(Community).where(Community.street_id == street.id))
        )
    else:
        raise ValueError("weights belong to a community or a street")
    rows = {w.indicator: w for w in db.session.scalars(select(AssessmentWeight).where(owner))}
    now = utcnow()
    changed = []
    for code, value in values.items():
        row = rows.get(code)
        if row is None:
            row = AssessmentWeight(
                indicator=code,
                community_id=community.id if community is not None else None,
                street_id=street.id if street is not None else None,
            )
            db.session.add(row)
        elif row.weight == value:
            continue
        changed.append(f"{code}: {row.weight if row.weight is not None else '-'} → {value:g}")
        row.weight = value
        row.set_by_id = by.id
        row.set_at = now
    db.session.flush()
    for affected in communities:
        audit.record(
            actor=by,
            community_id=affected.id,
            action="assessment.weights" if community is not None else "assessment.street_weights",
            subject_type="assessment",
            subject_id=None,
            detail="; ".join(changed),
        )
