"""Micro-wish pages: a resident's wishes, the problem wall, heads' lists and figures, echo wall."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from models import Building, Community, Person, Wish, WishStatus, db
from models.roles import STAFF_ROLES
from pwa import auth
from services import audit, phones, photos, wishes
from services.errors import DomainError, NotFound
from services.roster import areas

bp = Blueprint("wishes", __name__)

STATUS_NAMES = {
    WishStatus.OPEN: _l("Waiting on the wall"),
    WishStatus.CLAIMED: _l("Taken up"),
    WishStatus.FULFILLED: _l("Done, waiting for the rating"),
    WishStatus.CONFIRMED: _l("Done and rated"),
    WishStatus.WITHDRAWN: _l("Withdrawn"),
}
VIA_NAMES = {
    "app": _l("App"),
    "sms": _l("SMS"),
    "telegram": _l("Telegram"),
    "head": _l("Posted by a head"),
    "system": _l("Automatic"),
}
ACTION_NAMES = {
    "posted": _l("Posted"),
    "claimed": _l("Taken up"),
    "handed_back": _l("Handed back"),
    "fulfilled": _l("Done"),
    "rated": _l("Rated"),
    "escalated": _l("Escalated"),
    "withdrawn": _l("Withdrawn"),
}


def waited(hours: int) -> str:
    """Return a waiting time as people say it: hours under two days, days after."""
    if hours < 1:
        return _("under an hour")
    if hours < 48:
        return _("%(n)s h", n=hours)
    return _("%(n)s days", n=hours // 24)


def _helpers(now: datetime) -> dict[str, Any]:
    return {
        "categories": wishes.CATEGORIES,
        "status_names": STATUS_NAMES,
        "via_names": VIA_NAMES,
        "action_names": ACTION_NAMES,
        "level_names": wishes.LEVEL_NAMES,
        "waited": lambda wish: waited(wishes.hours_waiting(wish, now)),
        "display": phones.display,
        "max_text": wishes.MAX_TEXT,
        "max_note": wishes.MAX_NOTE,
        "max_reason": wishes.MAX_REASON,
        "withdrawable": (WishStatus.OPEN, WishStatus.CLAIMED),
        # The whole request must fit MAX_CONTENT_LENGTH too: leave room for the other fields.
        "max_photo_bytes": min(
            photos.MAX_UPLOAD_BYTES, int(current_app.config["MAX_CONTENT_LENGTH"]) - 64 * 1024
        ),
        "statuses": WishStatus,
    }


def _upload() -> Any:
    """Return the uploaded photo field, or None when none was chosen."""
    file = request.files.get("photo")
    if file is None or not file.filename:
        return None
    return file


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> Any:
    # The upload was refused before it was read: say so in plain words, on the page.
    message = _("The photo is larger than %(mb)s MB. Take a smaller one and try again.", mb=10)
    return render_template("wishes/refused.html", message=message), 413


# ---------------------------------------------------------------------------- residents


def _my_page(
    error: str | None = None, form: dict[str, str] | None = None, status: int = 200
) -> Any:
    person = auth.person_required()
    now = auth.now()
    residents = wishes.residents_of(person)
    mine = (
        db.session.scalars(
            select(Wish)
            .where(Wish.resident_id.in_([r.id for r in residents]))
            .order_by(Wish.posted_at.desc())
            .limit(100)
        ).all()
        if residents
        else []
    )
    return (
        render_template(
            "wishes/mine.html",
            residents=residents,
            mine=mine,
            error=error,
            form=form or {},
            **_helpers(now),
        ),
        status,
    )


@bp.get("/me/wishes")
@auth.login_required
def my_wishes() -> Any:
    return _my_page()


@bp.post("/me/wishes")
@auth.login_required
def post_my_wish() -> Any:
    person = auth.person_required()
    residents = wishes.residents_of(person)
    if not residents:
        abort(404)
    form = {"category": request.form.get("category", ""), "text": request.form.get("text", "")}
    try:
        upload = _upload()
        photo = photos.save_photo(upload, by=person) if upload is not None else None
        wishes.post_wish(
            resident=residents[0],
            category=form["category"],
            text=form["text"],
            by=person,
            via="app",
            photo=photo,
            now=auth.now(),
        )
    except DomainError as error:
        db.session.rollback()
        return _my_page(error.message, form, 400)
    db.session.commit()
    return redirect(url_for("wishes.my_wishes"))


def _my_step(wish_id: int, step: Callable[[Wish, Person], object]) -> Any:
    """Run a resident's step on one of their own wishes; a refusal is shown on their page."""
    person = auth.person_required()
    mine = {r.id for r in wishes.residents_of(person)}
    wish = db.session.get(Wish, wish_id)
    if wish is None or wish.resident_id not in mine:
        abort(404)
    try:
        step(wish, person)
    except DomainError as error:
        db.session.rollback()
        return _my_page(error.message, status=400)
    db.session.commit()
    return redirect(url_for("wishes.my_wishes"))


@bp.post("/me/wishes/<int:wish_id>/rate")
@auth.login_required
def rate_my_wish(wish_id: int) -> Any:
    rating = request.form.get("rating", type=int) or 0
    return _my_step(wish_id, lambda wish, me: wishes.rate(wish, rating, by=me, now=auth.now()))


@bp.post("/me/wishes/<int:wish_id>/withdraw")
@auth.login_required
def withdraw_my_wish(wish_id: int) -> Any:
    """The resident takes back a wish they no longer need (the claimer, if any, is told)."""
    reason = request.form.get("reason", "")
    return _my_step(
        wish_id,
        lambda wish, me: wishes.withdraw(
            wish, by=me, for_resident=True, reason=reason, now=auth.now()
        ),
    )


# ---------------------------------------------------------------------------- the wall


def _wall() -> wishes.Wall:
    wall = wishes.wall_of(auth.person_required(), auth.today())
    if wall.is_empty:
        abort(404)  # not a volunteer: the wall does not exist for them
    return wall


@bp.get("/wall")
@auth.login_required
def wall() -> Any:
    """The problem wall: open wishes in the volunteer's grids, those waiting longest first."""
    person = auth.person_required()
    wall = _wall()
    grid_id = request.args.get("grid", type=int)
    now = auth.now()
    open_wishes = wishes.open_wall(wall, grid_id)
    mine = db.session.scalars(
        select(Wish)
        .where(Wish.claimer_id == person.id, Wish.status == WishStatus.CLAIMED)
        .order_by(Wish.claimed_at)
    ).all()
    grids = wishes.wall_grids(wall)
    return render_template(
        "wishes/wall.html",
        open_wishes=open_wishes,
        mine=mine,
        grids=grids,
        grid_id=grid_id,
        **_helpers(now),
    )


def _detail(wish: Wish, error: str | None = None, status: int = 200) -> Any:
    person = auth.person_required()
    today = auth.today()
    details = wishes.can_see_resident(person, wish, today)
    if details and wish.claimer_id != person.id:
        # Heads opening a resident's details leave a trace, as on the household pages.
        audit.record(
            actor=person,
            community_id=wish.community_id,
            action="view",
            subject_type="wish",
            subject_id=wish.id,
        )
        db.session.commit()
    events = wishes.history(wish) if details else []
    return (
        render_template(
            "wishes/detail.html",
            wish=wish,
            details=details,
            can_claim=wish.status == WishStatus.OPEN
            and wishes.wall_of(person, today).covers(wish)
            and wish.resident.person_id != person.id,
            is_claimer=wish.claimer_id == person.id,
            can_withdraw=wish.status in (WishStatus.OPEN, WishStatus.CLAIMED)
            and wishes.can_withdraw(person, wish, today),
            events=events,
            error=error,
            **_helpers(auth.now()),
        ),
        status,
    )


def _visible(wish_id: int) -> Wish:
    return wishes.get_visible(auth.person_required(), wish_id, auth.today())


@bp.get("/wall/<int:wish_id>")
@auth.login_required
def detail(wish_id: int) -> Any:
    return _detail(_visible(wish_id))


def _wall_step(
    wish_id: int,
    step: Callable[[Wish, Person], object],
    refused_status: int = 409,
    then: str | None = None,
) -> Any:
    """Run a step on a wish the person may open; a refusal is shown on the wish's page."""
    wish = _visible(wish_id)
    try:
        step(wish, auth.person_required())
    except DomainError as error:
        db.session.rollback()
        return _detail(wish, error.message, refused_status)
    db.session.commit()
    return redirect(then or url_for("wishes.detail", wish_id=wish.id))


@bp.post("/wall/<int:wish_id>/claim")
@auth.login_required
def claim(wish_id: int) -> Any:
    return _wall_step(wish_id, lambda wish, me: wishes.claim(wish, by=me, now=auth.now()))


@bp.post("/wall/<int:wish_id>/hand-back")
@auth.login_required
def hand_back(wish_id: int) -> Any:
    reason = request.form.get("reason", "")
    return _wall_step(
        wish_id,
        lambda wish, me: wishes.hand_back(wish, by=me, reason=reason, now=auth.now()),
        then=url_for("wishes.wall"),
    )


@bp.post("/wall/<int:wish_id>/fulfil")
@auth.login_required
def fulfil(wish_id: int) -> Any:
    note = request.form.get("note", "")
    return _wall_step(
        wish_id,
        lambda wish, me: wishes.fulfil(wish, by=me, note=note, now=auth.now()),
        refused_status=400,
    )


@bp.post("/wall/<int:wish_id>/withdraw")
@auth.login_required
def withdraw(wish_id: int) -> Any:
    """A head (or whoever posted it) withdraws a wish for the resident, who is told."""
    reason = request.form.get("reason", "")
    return _wall_step(
        wish_id,
        lambda wish, me: wishes.withdraw(
            wish, by=me, for_resident=False, reason=reason, now=auth.now()
        ),
    )


@bp.get("/wishes/<int:wish_id>/photo")
@auth.login_required
def photo(wish_id: int) -> Any:
    """A wish's photo, for those who may open the wish (never on the public echo wall)."""
    wish = _visible(wish_id)
    if wish.photo is None:
        abort(404)
    return photos.photo_response(wish.photo)


# ---------------------------------------------------------------------------- heads


def _area_guard() -> None:
    result = auth.require_area_role()
    if result is not None:
        abort(404)


@bp.route("/area/residents/<int:resident_id>/wish", methods=["GET", "POST"])
@auth.login_required
def post_for_resident(resident_id: int) -> Any:
    """A head posts a wish for a resident of their area (often one with no phone)."""
    _area_guard()
    person = auth.person_required()
    resident = areas.get_resident(auth.current_area(), resident_id)
    form = {"category": request.form.get("category", ""), "text": request.form.get("text", "")}
    error = None
    if request.method == "POST":
        try:
            upload = _upload()
            photo = photos.save_photo(upload, by=person) if upload is not None else None
            wish = wishes.post_wish(
                resident=resident,
                category=form["category"],
                text=form["text"],
                by=person,
                via="head",
                photo=photo,
                now=auth.now(),
            )
        except DomainError as err:
            db.session.rollback()
            error = err.message
        else:
            db.session.commit()
            return redirect(url_for("wishes.detail", wish_id=wish.id))
    return (
        render_template(
            "wishes/head_new.html",
            resident=resident,
            error=error,
            form=form,
            **_helpers(auth.now()),
        ),
        400 if error else 200,
    )


@bp.get("/area/wishes")
@auth.login_required
def area_wishes() -> Any:
    """Every wish in a head's area, with the residents' details, newest first."""
    _area_guard()
    area = auth.current_area()
    status = request.args.get("status", "")
    query = select(Wish).where(
        Wish.building_id.in_(select(Building.id).where(area.building_clause()))
    )
    if status in set(WishStatus):
        query = query.where(Wish.status == status)
    found = db.session.scalars(query.order_by(Wish.posted_at.desc()).limit(200)).all()
    person = auth.person_required()
    is_staff = any(p.role in STAFF_ROLES for p in person.active_posts(auth.today()))
    return render_template(
        "wishes/area.html",
        found=found,
        status=status,
        is_staff=is_staff,
        **_helpers(auth.now()),
    )


@bp.get("/area/wishes/stats")
@auth.login_required
def stats() -> Any:
    """The secretary's figures: counts by status, category and grid; how long wishes wait."""
    result = auth.require_staff()
    if result is not None:
        abort(404)
    now = auth.now()
    communities = [
        (c, wishes.stats(c.id, now))
        for c in db.session.scalars(areas.visible_communities(auth.current_area()))
    ]
    return render_template("wishes/stats.html", communities=communities, **_helpers(now))


# ---------------------------------------------------------------------------- public


@bp.get("/c/<code>/echo")
def echo(code: str) -> Any:
    """The echo wall (回音壁): answered wishes, with no names, rooms or phones."""
    community = db.session.scalar(select(Community).where(Community.code == code))
    if community is None:
        raise NotFound(_("Not found."))
    return render_template(
        "wishes/echo.html",
        community=community,
        answered=wishes.echo_wall(community.id),
        **_helpers(auth.now()),
    )
