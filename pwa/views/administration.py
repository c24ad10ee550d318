"""Administrators' pages: their communities, a new community, settings, strangers' texts.

Anyone who is not an administrator (or, for a community's settings, its secretary) gets 404.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from models import Community, Person
from models.clock import month_start
from models.roles import Permission
from pwa import audit_reads, auth, figures_cache
from pwa.forms.administration import CommunityForm, SecretaryForm, SettingsForm
from pwa.steps import run_step
from services import phones
from services.administration import operations, queries, settings, street_figures
from services.errors import DomainError, NotFound
from services.wishes.operations import CATEGORIES

bp = Blueprint("administration", __name__, url_prefix="/admin")
bp.before_request(auth.require_signed_in)

PER_PAGE = 50


def _administrator() -> Person:
    person = auth.person_required()
    if not queries.is_administrator(person, auth.today()):
        abort(404)
    return person


def _administered(code: str) -> Community:
    try:
        return queries.administered(_administrator(), code, auth.today())
    except NotFound:
        abort(404)


@bp.app_template_global()
def administers_anything() -> bool:
    """Whether the signed-in person administers a street or a community (for links)."""
    return queries.is_administrator(auth.current_person(), auth.today())


@bp.app_template_global()
def may_open_settings(community: Community) -> bool:
    person = auth.current_person()
    if person is None:
        return False
    today = auth.today()
    return queries.administers(person, community, today) or queries.is_secretary_of(
        person, community, today
    )


@bp.get("")
def home() -> Any:
    person = _administrator()
    today = auth.today()
    communities = queries.communities(person, today)
    return render_template(
        "administration/home.html",
        streets=queries.streets(person, today),
        communities=communities,
        secretaries=queries.secretaries([c.id for c in communities], today),
        mask=phones.mask,
    )


def figure_names() -> dict[str, str]:
    """Each figure's name on the page (its column and its sort choice)."""
    return {
        "name": _("Name"),
        "households": _("Households"),
        "coverage": _("Visit coverage"),
        "visited": _("Households visited"),
        "needs_open": _("Needs waiting for a decision"),
        "needs_in_hand": _("Needs in hand"),
        "needs_raised": _("Needs raised"),
        "needs_answered": _("Needs answered"),
        "in_time": _("Answered within %(days)s days", days=street_figures.ANSWER_DAYS),
        "wishes_open": _("Wishes open on the wall"),
        "wishes_posted": _("Wishes posted"),
        "wishes_fulfilled": _("Wishes fulfilled"),
        "wishes_escalated": _("Wishes escalated"),
    }


def _figures_view() -> tuple[date, str | None, str, bool]:
    """Read the month picker and the sort from the address: (month, error, sort, descending).

    A month that cannot be read is refused with a message, and this month is shown."""
    today = auth.today()
    error = None
    try:
        month = street_figures.parse_month(request.args.get("month"), today)
    except DomainError as refused:
        error, month = str(refused), month_start(today)
    sort = request.args.get("sort", "name")
    if sort not in street_figures.SORT_KEYS:
        sort = "name"
    # Names read A to Z by default; figures largest first.
    descending = request.args.get("order", "asc" if sort == "name" else "desc") == "desc"
    return month, error, sort, descending


def _figures_page(
    template: str, rows_of: Callable[[date], list[street_figures.Row]], **context: Any
) -> Any:
    month, error, sort, descending = _figures_view()
    rows = rows_of(month)
    return render_template(
        template,
        rows=street_figures.sort_rows(rows, sort, descending),
        total=street_figures.total(rows),
        month=month,
        this_month=month == month_start(auth.today()),
        typed_month=request.args.get("month", "") if error else f"{month:%Y-%m}",
        error=error,
        sort=sort,
        descending=descending,
        sort_keys=street_figures.SORT_KEYS,
        names=figure_names(),
        answer_days=street_figures.ANSWER_DAYS,
        **context,
    ), (422 if error else 200)


@bp.get("/streets/<code>")
def street(code: str) -> Any:
    """The street's communities side by side: counts only, no personal data (not audited)."""
    person = _administrator()
    try:
        found = queries.administered_street(person, code, auth.today())
    except NotFound:
        abort(404)
    return _figures_page(
        "administration/street.html",
        # Kept per process under the data version, as the coverage page's figures are: counted
        # afresh after any change, and whenever Redis cannot be asked.
        lambda month: figures_cache.kept(
            "street figures", (found.id, month), lambda: street_figures.street_rows(found, month)
        ),
        street=found,
    )


@bp.get("/communities/<code>")
def community(code: str) -> Any:
    """One community's figures per grid: counts only, no personal data (not audited)."""
    found = _administered(code)
    return _figures_page(
        "administration/community.html",
        lambda month: figures_cache.kept(
            "community figures by grid",
            (found.id, month),
            lambda: street_figures.grid_rows(found, month),
        ),
        community=found,
        street=found.street,
        street_administrator=found.street is not None
        and found.street in queries.streets(auth.person_required(), auth.today()),
    )


def _community_form(form: CommunityForm | None, error: str | None, status: int) -> Any:
    person = _administrator()
    streets = queries.streets(person, auth.today())
    if not streets:
        abort(404)  # a community's administrator runs that one; a street's adds communities
    return render_template(
        "administration/community_form.html",
        streets=streets,
        # What was typed, when a refusal shows the form again.
        values=request.form if form is not None else None,
        defaults=settings.defaults(),
        categories=CATEGORIES,
        error=error,
    ), status


@bp.get("/communities/new")
def new_community() -> Any:
    return _community_form(None, None, 200)


@bp.post("/communities/new")
def create_community() -> Any:
    person = _administrator()
    today = auth.today()
    streets = {s.id: s for s in queries.streets(person, today)}
    if not streets:
        abort(404)
    form = CommunityForm()

    def step() -> Community:
        street = streets.get(form.street_id.data or 0)
        if street is None:
            street = next(iter(streets.values())) if len(streets) == 1 else None
        if street is None:
            raise NotFound("street")
        return operations.create_community(
            street=street,
            name=form.name.data or "",
            code=form.code.data or "",
            values=form.values(),
            secretary=form.secretary(),
            by=person,
            today=today,
        )

    return run_step(
        step,
        form=form,
        refused=lambda message: _community_form(form, message, 422),
        done=lambda community: redirect(
            url_for("administration.community_settings", code=community.code, created=1)
        ),
    )


def _settings_page(
    community: Community,
    form: SettingsForm | SecretaryForm | None,
    error: str | None,
    status: int,
) -> Any:
    person = auth.person_required()
    today = auth.today()
    return render_template(
        "administration/settings.html",
        community=community,
        current=settings.of(community),
        values=request.form if isinstance(form, SettingsForm) else None,
        secretary_typed=request.form if isinstance(form, SecretaryForm) else {},
        categories=CATEGORIES,
        secretaries=queries.secretaries([community.id], today).get(community.id, []),
        administrator=queries.administers(person, community, today),
        # The set-up steps a new community goes through, and where its secretary does them.
        setup=queries.setup(community),
        may_import=queries.is_secretary_of(person, community, today)
        and auth.may(Permission.MANAGE_ROSTER),
        error=error,
        saved=request.args.get("saved"),
        created=request.args.get("created"),
        mask=phones.mask,
    ), status


def _for_settings(code: str) -> Community:
    try:
        return queries.for_settings(auth.person_required(), code, auth.today())
    except NotFound:
        abort(404)


@bp.get("/communities/<code>/settings")
def community_settings(code: str) -> Any:
    return _settings_page(_for_settings(code), None, None, 200)


@bp.post("/communities/<code>/settings")
def change_settings(code: str) -> Any:
    community = _for_settings(code)
    form = SettingsForm()
    return run_step(
        lambda: operations.change_settings(community, form.values(), by=auth.person_required()),
        form=form,
        refused=lambda message: _settings_page(community, form, message, 422),
        done=lambda _changes: redirect(
            url_for("administration.community_settings", code=community.code, saved=1)
        ),
    )


@bp.post("/communities/<code>/secretary")
def name_secretary(code: str) -> Any:
    community = _administered(code)
    form = SecretaryForm()
    return run_step(
        lambda: operations.name_secretary(
            community,
            name=form.name.data or "",
            phone=form.phone.data,
            by=auth.person_required(),
            today=auth.today(),
        ),
        form=form,
        refused=lambda message: _settings_page(community, form, message, 422),
        done=lambda _post: redirect(
            url_for("administration.community_settings", code=community.code, saved=1)
        ),
    )


@bp.get("/texts")
def strangers_texts() -> Any:
    person = _administrator()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    rows = queries.strangers_texts(person, auth.today(), page=page, per_page=PER_PAGE)
    shown = rows[:PER_PAGE]
    for community_id in sorted({m.community_id for m in shown if m.community_id is not None}):
        audit_reads.note(
            community_id,
            "inbound",
            detail="strangers page="
            + str(page)
            + " texts="
            + ",".join(str(m.id) for m in shown if m.community_id == community_id),
        )
    names = {c.id: c.name for c in queries.communities(person, auth.today())}
    return render_template(
        "administration/texts.html",
        rows=shown,
        has_more=len(rows) > PER_PAGE,
        page=page,
        names=names,
        mask=phones.mask,
    )
