"""Who is signed in, and guards that keep each audience to its own pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from sqlalchemy.exc import OperationalError

from models import Person, clock, db, utcnow
from models.roles import AREA_ROLES, STAFF_ROLES, Permission
from services.roster import areas, permissions
from services.sign_in import sessions

F = TypeVar("F", bound=Callable[..., Any])
SESSION_KEY = "sid"
# A session's last-seen time is written at most this often, to keep GETs read-only.
TOUCH_EVERY_SECONDS = 60


def now() -> datetime:
    return utcnow()


def today() -> date:
    """Return today's date in the community's calendar."""
    return clock.today()


def current_person() -> Person | None:
    return getattr(g, "person", None)


def person_required() -> Person:
    person = current_person()
    if person is None:
        abort(401)
    return person


def current_area() -> areas.Area:
    """Return the area the signed-in person may act in on this page.

    On a page that needs a permission, only the posts whose role carries it count: someone
    both building head and grid leader, with "see households" taken from one of the two
    roles, sees households through the other post alone.
    """
    person = current_person()
    if person is None:
        return areas.Area()
    permission: Permission | None = g.get("area_permission")
    known: dict[Permission | None, areas.Area] = g.setdefault("areas", {})
    if permission not in known:
        known[permission] = (
            areas.area_of(person, today())
            if permission is None
            else permissions.area_with(person, permission, today())
        )
    return known[permission]


def _load_person() -> None:
    g.person = None
    # The app context (and g) can outlive a request, e.g. in tests: never reuse an area.
    g.pop("areas", None)
    g.pop("area_permission", None)
    if request.endpoint == "static":
        return
    permissions.forget()  # the session (and what it remembers) may outlive a request
    token = session.get(SESSION_KEY)
    if not token:
        return
    cfg = current_app.config
    moment = now()
    live = sessions.find_live(
        token,
        now=moment,
        staff_minutes=cfg["STAFF_IDLE_MINUTES"],
        other_days=cfg["RESIDENT_SESSION_DAYS"],
    )
    if live is None:
        session.pop(SESSION_KEY, None)
        _commit_quietly()
        return
    if (moment - live.last_seen_at).total_seconds() > TOUCH_EVERY_SECONDS:
        live.last_seen_at = moment
        _commit_quietly()
    g.person = live.person


def _commit_quietly() -> None:
    # Recording "last seen" is bookkeeping: a busy database must not fail the page for it.
    try:
        db.session.commit()
    except OperationalError:
        db.session.rollback()


def sign_in(person: Person) -> None:
    """Start a server-side session for the person and put its token in the cookie."""
    session.clear()
    token = sessions.start(person, now=now(), user_agent=request.headers.get("User-Agent", ""))
    session[SESSION_KEY] = token
    session.permanent = True


def sign_out() -> None:
    token = session.get(SESSION_KEY)
    if token:
        sessions.end(token, now=now())
    session.clear()


def login_required(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_person() is None:
            return redirect(url_for("auth.sign_in_form", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def require_signed_in() -> Any:
    """A before_request guard: send strangers to the sign-in page."""
    if current_person() is None:
        return redirect(url_for("auth.sign_in_form", next=request.full_path.rstrip("?")))
    return None


def require_roles(roles: set[Any]) -> Callable[[], Any]:
    """Return a before_request guard that lets in only holders of an active post in `roles`.

    Others get 404, the same answer as for a record outside their area.
    """

    def guard() -> Any:
        person = current_person()
        if person is None:
            return redirect(url_for("auth.sign_in_form", next=request.full_path.rstrip("?")))
        if not any(post.role in roles for post in person.active_posts(today())):
            abort(404)
        return None

    return guard


def may(permission: Permission) -> bool:
    """Return whether the signed-in person's posts carry the permission today."""
    return permissions.may(current_person(), permission, today())


def require_permission(permission: Permission) -> Callable[[], Any]:
    """Return a before_request guard: strangers sign in, those without the permission get 404."""

    def guard() -> Any:
        if current_person() is None:
            return redirect(url_for("auth.sign_in_form", next=request.full_path.rstrip("?")))
        if not may(permission):
            abort(404)
        return None

    return guard


def permission_required(permission: Permission) -> Callable[[F], F]:
    """Decorate a view that needs the permission; without it the page does not exist (404)."""
    check = require_permission(permission)

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            refused = check()
            if refused is not None:
                return refused
            g.area_permission = permission
            return view(*args, **kwargs)

        wrapped.permission = permission  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorate


require_area_role = require_roles(set(AREA_ROLES))
require_staff = require_roles(set(STAFF_ROLES))


def init_app(app: Flask) -> None:
    app.permanent_session_lifetime = timedelta(days=app.config["RESIDENT_SESSION_DAYS"])
    app.before_request(_load_person)
    # Templates show a link only to a page the person may open: {% if may("see_needs") %}.
    app.add_template_global(lambda name: may(Permission(name)), "may")
