"""A resident's own household: who lives there, what is on record. Nothing beyond it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from sqlalchemy.orm import joinedload, selectinload

from models import Building, Grid, Household, db
from pwa import audit_reads, auth
from pwa.steps import run_step
from services import phones
from services.messages import inbox, outbox
from services.pledges import queries as pledge_queries
from services.report_in import queries as report_in
from services.report_in.quarters import Quarter
from services.roster import areas
from services.roster import posts as roster_posts

bp = Blueprint("resident", __name__, url_prefix="/me")
bp.before_request(auth.require_signed_in)


@bp.get("")
def my_home() -> Any:
    person = auth.person_required()
    # With the list: its residents and its building's community (four lazy loads a home).
    households = db.session.scalars(
        areas.own_households(person).options(
            selectinload(Household.residents),
            joinedload(Household.building).joinedload(Building.grid).joinedload(Grid.community),
        )
    ).all()
    for household in households:
        audit_reads.household(household, detail="own household")
    return render_template(
        "resident/home.html",
        person=person,
        households=households,
        display=phones.display,
        today=auth.today(),
        # 双报到: a partner unit's liaison reaches the unit's own page from here.
        liaison_units=report_in.liaison_units(person),
        # The quarter's rating of the household's heads' pledges, while it is open.
        pledge_card=pledge_queries.card_for(person, auth.today(), [h.id for h in households]),
        pledge_role=lambda post: roster_posts.role_name(post.role, post.community_id),
        pledge_quarter=lambda first: Quarter(first).label(),
    )


@bp.get("/inbox")
def my_inbox() -> Any:
    """Every message sent to the signed-in person, newest first."""
    person = auth.person_required()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    found = inbox.items(person, page)
    unread = inbox.unread_count(person)
    now = auth.now()
    return render_template(
        "resident/inbox.html",
        held=inbox.held(person, found[: inbox.PAGE_SIZE]),
        goes=lambda moment: outbox.goes_at(moment, now),
        messages=found[: inbox.PAGE_SIZE],
        has_more=len(found) > inbox.PAGE_SIZE,
        page=page,
        unread=unread,
    )


@bp.post("/inbox/read")
def mark_inbox_read() -> Any:
    back = redirect(url_for("resident.my_inbox"))
    return run_step(
        lambda: inbox.mark_all_read(auth.person_required(), auth.now()),
        refused=lambda _message: back,
        done=lambda _marked: back,
    )
