"""A resident's own household: who lives there, what is on record. Nothing beyond it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from models import db
from pwa import auth
from services import areas, audit, phones

bp = Blueprint("resident", __name__, url_prefix="/me")
bp.before_request(auth.require_signed_in)


@bp.get("")
def my_home() -> Any:
    person = auth.person_required()
    households = db.session.scalars(areas.own_households(person)).all()
    for household in households:
        audit.record(
            actor=person,
            community_id=household.building.community_id,
            action="view",
            subject_type="household",
            subject_id=household.id,
            detail="own household",
        )
    db.session.commit()
    return render_template(
        "resident/home.html",
        person=person,
        households=households,
        display=phones.display,
        today=auth.today(),
    )
