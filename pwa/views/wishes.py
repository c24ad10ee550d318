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

from models import Community, Person, Photo, Resident, Wish, WishStatus, db
from models.roles import STAFF_ROLES, Permission
from pwa import audit_reads, auth, kept_lists, rendering
from pwa.forms.wishes import (
    ClaimForm,
    FulfilForm,
    HandBackForm,
    NewWishForm,
    RateForm,
    WithdrawForm,
)
from pwa.steps import Form, run_step
from services import phones, photos
from services.errors import NotFound
from services.roster import areas
from services.wishes import operations as wishes
from services.wishes import queries

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
        "level_names": queries.LEVEL_NAMES,
        "waited": lambda wish: waited(queries.hours_waiting(wish, now)),
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


def _post_wish(form: NewWishForm, resident: Resident, by: Person, via: str) -> Wish:
    """Save the photo, if one was chosen, and put the wish on the wall."""
    photo: Photo | None = None
    if form.photo.data is not None:
        photo = photos.save_photo(form.photo.data, by=by)
    return wishes.post_wish(
        resident=resident,
        category=form.category.data or "",
        text=form.text.data or "",
        by=by,
        via=via,
        photo=photo,
        now=auth.now(),
    )


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
    residents = queries.residents_of(person)
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
    residents = queries.residents_of(person)
    if not residents:
        abort(404)
    form = NewWishForm()
    return run_step(
        lambda: _post_wish(form, residents[0], person, "app"),
        refused=lambda message: _my_page(message, form.typed(), 400),
        done=lambda _wish: redirect(url_for("wishes.my_wishes")),
        form=form,
    )


def _my_step(wish_id: int, form: Form, step: Callable[[Wish, Person], object]) -> Any:
    """Run a resident's step on one of their own wishes; a refusal is shown on their page."""
    person = auth.person_required()
    mine = {r.id for r in queries.residents_of(person)}
    wish = db.session.get(Wish, wish_id)
    if wish is None or wish.resident_id not in mine:
        abort(404)
    return run_step(
        lambda: step(wish, person),
        refused=lambda message: _my_page(message, status=400),
        done=lambda _result: redirect(url_for("wishes.my_wishes")),
        form=form,
    )


@bp.post("/me/wishes/<int:wish_id>/rate")
@auth.login_required
def rate_my_wish(wish_id: int) -> Any:
    form = RateForm()
    return _my_step(
        wish_id,
        form,
        lambda wish, me: wishes.rate(wish, form.rating.data or 0, by=me, now=auth.now()),
    )


@bp.post("/me/wishes/<int:wish_id>/withdraw")
@auth.login_required
def withdraw_my_wish(wish_id: int) -> Any:
    """The resident takes back a wish they no longer need (the claimer, if any, is told)."""
    form = WithdrawForm()
    return _my_step(
        wish_id,
        form,
        lambda wish, me: wishes.withdraw(
            wish, by=me, for_resident=True, reason=form.reason.data or "", now=auth.now()
        ),
    )


# ---------------------------------------------------------------------------- the wall


def _wall() -> queries.Wall:
    wall = queries.wall_of(auth.person_required(), auth.today())
    if wall.is_empty:
        abort(404)  # not a volunteer: the wall does not exist for them
    return wall


@bp.get("/wall")
@auth.login_required
@auth.permission_required(Permission.SEE_WALL)
def wall() -> Any:
    """The problem wall: open wishes in the volunteer's grids, those waiting longest first."""
    person = auth.person_required()
    wall = _wall()
    grid_id = request.args.get("grid", type=int)
    now = auth.now()
    open_wishes = queries.open_wall(wall, grid_id)
    mine = db.session.scalars(
        select(Wish)
        .where(Wish.claimer_id == person.id, Wish.status == WishStatus.CLAIMED)
        .order_by(Wish.claimed_at)
    ).all()
    grids = queries.wall_grids(wall)
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
    details = queries.can_see_resident(person, wish, today)
    if details and wish.claimer_id != person.id:
        # Heads opening a resident's details leave a trace, as on the household pages.
        audit_reads.note(
            wish.community_id,
            "wish",
            subject_id=wish.id,
            residents=[wish.resident_id],
            detail="wish details",
        )
    events = queries.history(wish) if details else []
    return (
        render_template(
            "wishes/detail.html",
            wish=wish,
            details=details,
            can_claim=wish.status == WishStatus.OPEN
            and queries.wall_of(person, today).covers(wish)
            and wish.resident.person_id != person.id,
            is_claimer=wish.claimer_id == person.id,
            can_withdraw=wish.status in (WishStatus.OPEN, WishStatus.CLAIMED)
            and queries.can_withdraw(person, wish, today),
            events=events,
            error=error,
            **_helpers(auth.now()),
        ),
        status,
    )


def _visible(wish_id: int) -> Wish:
    return queries.get_visible(auth.person_required(), wish_id, auth.today())


@bp.get("/wall/<int:wish_id>")
@auth.login_required
def detail(wish_id: int) -> Any:
    return _detail(_visible(wish_id))


def _wall_step(
    wish_id: int,
    form: Form,
    step: Callable[[Wish, Person], object],
    refused_status: int = 409,
    then: str | None = None,
) -> Any:
    """Run a step on a wish the person may open; a refusal is shown on the wish's page."""
    wish = _visible(wish_id)
    return run_step(
        lambda: step(wish, auth.person_required()),
        refused=lambda message: _detail(wish, message, refused_status),
        done=lambda _result: redirect(then or url_for("wishes.detail", wish_id=wish.id)),
        form=form,
    )


@bp.post("/wall/<int:wish_id>/claim")
@auth.login_required
@auth.permission_required(Permission.CLAIM_WISHES)
def claim(wish_id: int) -> Any:
    return _wall_step(
        wish_id, ClaimForm(), lambda wish, me: wishes.claim(wish, by=me, now=auth.now())
    )


@bp.post("/wall/<int:wish_id>/hand-back")
@auth.login_required
@auth.permission_required(Permission.CLAIM_WISHES)
def hand_back(wish_id: int) -> Any:
    form = HandBackForm()
    return _wall_step(
        wish_id,
        form,
        lambda wish, me: wishes.hand_back(
            wish, by=me, reason=form.reason.data or "", now=auth.now()
        ),
        then=url_for("wishes.wall"),
    )


@bp.post("/wall/<int:wish_id>/fulfil")
@auth.login_required
@auth.permission_required(Permission.CLAIM_WISHES)
def fulfil(wish_id: int) -> Any:
    form = FulfilForm()
    return _wall_step(
        wish_id,
        form,
        lambda wish, me: wishes.fulfil(wish, by=me, note=form.note.data or "", now=auth.now()),
        refused_status=400,
    )


@bp.post("/wall/<int:wish_id>/withdraw")
@auth.login_required
def withdraw(wish_id: int) -> Any:
    """A head (or whoever posted it) withdraws a wish for the resident, who is told."""
    form = WithdrawForm()
    return _wall_step(
        wish_id,
        form,
        lambda wish, me: wishes.withdraw(
            wish, by=me, for_resident=False, reason=form.reason.data or "", now=auth.now()
        ),
    )


@bp.get("/wishes/<int:wish_id>/photo")
@auth.login_required
def photo(wish_id: int) -> Any:
    """A wish's photo, for those who may open the wish (never on the public echo wall)."""
    wish = _visible(wish_id)
    if wish.photo is None:
        abort(404)
    return rendering.photo(wish.photo)


# ---------------------------------------------------------------------------- heads


def _area_guard() -> None:
    result = auth.require_area_role()
    if result is not None:
        abort(404)


@bp.route("/area/residents/<int:resident_id>/wish", methods=["GET", "POST"])
@auth.login_required
@auth.permission_required(Permission.SEE_HOUSEHOLDS)
def post_for_resident(resident_id: int) -> Any:
    """A head posts a wish for a resident of their area (often one with no phone)."""
    _area_guard()
    person = auth.person_required()
    resident = areas.get_resident(auth.current_area(), resident_id)
    form = NewWishForm()

    def page(error: str | None = None) -> Any:
        audit_reads.resident(resident, detail="new wish form")
        return (
            render_template(
                "wishes/head_new.html",
                resident=resident,
                error=error,
                form=form.typed(),
                **_helpers(auth.now()),
            ),
            400 if error else 200,
        )

    if request.method != "POST":
        return page()
    return run_step(
        lambda: _post_wish(form, resident, person, "head"),
        refused=page,
        done=lambda wish: redirect(url_for("wishes.detail", wish_id=wish.id)),
        form=form,
    )


@bp.get("/area/wishes")
@auth.login_required
@auth.permission_required(Permission.SEE_HOUSEHOLDS)
def area_wishes() -> Any:
    """Every wish in a head's area, with the residents' details, newest first."""
    _area_guard()
    area = auth.current_area()
    status = request.args.get("status", "")
    found = kept_lists.area_wishes(area, status if status in set(WishStatus) else None, 200)
    person = auth.person_required()
    is_staff = any(p.role in STAFF_ROLES for p in person.active_posts(auth.today()))
    audit_reads.items("area wishes", found, detail=f"area wishes status={status}")
    return render_template(
        "wishes/area.html",
        found=found,
        status=status,
        is_staff=is_staff,
        **_helpers(auth.now()),
    )


@bp.get("/area/wishes/stats")
@auth.login_required
@auth.permission_required(Permission.SEE_COVERAGE)
def stats() -> Any:
    """The secretary's figures: counts by status, category and grid; how long wishes wait."""
    result = auth.require_staff()
    if result is not None:
        abort(404)
    now = auth.now()
    communities = [
        (c, queries.stats(c.id, now))
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
        answered=queries.echo_wall(community.id),
        **_helpers(auth.now()),
    )
