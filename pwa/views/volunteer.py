"""An N member's own work: their posts, scope and duties."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from pwa import auth
from services.report_in import queries as report_in
from services.roster import posts

bp = Blueprint("volunteer", __name__, url_prefix="/my")
bp.before_request(auth.require_signed_in)


@bp.get("/work")
def my_work() -> Any:
    person = auth.person_required()
    return render_template(
        "volunteer/work.html",
        person=person,
        active=person.active_posts(auth.today()),
        role_name=posts.role_name,
        # 双报到: a partner unit's liaison reaches the unit's own page from here.
        liaison_units=report_in.liaison_units(person),
    )
