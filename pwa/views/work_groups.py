"""The grid's work group (网格工作群): its WeCom group robot, set by its grid leader or the
secretary, and a test message that says at once whether WeCom took it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, redirect, request, url_for
from flask_babel import gettext as _

from models import Grid, db, utcnow
from models.roles import Role
from notify.channels.wecom.sending import DEFAULT_WEBHOOK_BASE, WeComRobots
from pwa import auth
from pwa.forms.work_groups import RobotForm
from pwa.rendering import render
from pwa.steps import run_step
from services.errors import DomainError, NotFound
from services.work_groups import operations, queries

bp = Blueprint("work_groups", __name__, url_prefix="/work-groups")
bp.before_request(auth.require_roles({Role.SECRETARY, Role.GRID_LEADER}))


def webhook_base() -> str:
    return str(current_app.config.get("WECOM_WEBHOOK_BASE") or DEFAULT_WEBHOOK_BASE)


def _grid(grid_id: int) -> Grid:
    try:
        return queries.get_manageable(auth.person_required(), grid_id, auth.today())
    except NotFound:
        abort(404)


@bp.get("")
def index() -> Any:
    grids = queries.manageable_grids(auth.person_required(), auth.today())
    if not grids:
        abort(404)
    return render("work_groups/index.html", robots=queries.robots(grids))


def done_notices() -> dict[str, str]:
    return {
        "saved": _("The group robot is saved. Send a test message to check it."),
        "removed": _("The group robot is removed: the work group gets no more messages."),
        "tested": _("The test message reached the work group."),
    }


def _page(grid: Grid, error: str | None = None, status: int = 200) -> Any:
    robot = queries.robot_of(grid)
    response = render(
        "work_groups/grid.html",
        grid=grid,
        last4=robot.last4 if robot is not None else None,
        error=error,
        notice=done_notices().get(request.args.get("done", "")) if status == 200 else None,
        example=f"{webhook_base()}?key=xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
    )
    response.status_code = status
    return response


@bp.get("/<int:grid_id>")
def grid_page(grid_id: int) -> Any:
    return _page(_grid(grid_id))


@bp.post("/<int:grid_id>")
def set_robot(grid_id: int) -> Any:
    grid = _grid(grid_id)
    # What was typed is not shown again, refused or not: it may be a valid key mistyped.
    form = RobotForm()

    def done(_robot: Any) -> Any:
        return redirect(url_for("work_groups.grid_page", grid_id=grid.id, done="saved"))

    return run_step(
        lambda: operations.set_robot(
            grid,
            form.webhook_url.data or "",
            base=webhook_base(),
            by=auth.person_required(),
            now=utcnow(),
        ),
        refused=lambda message: _page(grid, message, 422),
        done=done,
        form=form,
    )


@bp.post("/<int:grid_id>/remove")
def remove_robot(grid_id: int) -> Any:
    grid = _grid(grid_id)

    def done(_none: None) -> Any:
        return redirect(url_for("work_groups.grid_page", grid_id=grid.id, done="removed"))

    return run_step(
        lambda: operations.remove_robot(grid, by=auth.person_required()),
        refused=lambda message: _page(grid, message, 422),
        done=done,
    )


@bp.post("/<int:grid_id>/test")
def test_robot(grid_id: int) -> Any:
    grid = _grid(grid_id)
    try:
        url = operations.robot_address(grid)
    except DomainError as error:
        return _page(grid, error.message, 422)
    grid_name = grid.name
    db.session.commit()  # no transaction (nor SQLite's write lock) held while WeCom answers
    channel = WeComRobots.from_config(current_app.config)
    try:
        result = operations.send_test(grid_id, grid_name, url, channel)
    finally:
        channel.close()
    if not result.ok:
        return _page(
            grid, _("WeCom refused the test message: %(detail)s", detail=result.detail), 502
        )
    return redirect(url_for("work_groups.grid_page", grid_id=grid.id, done="tested"))
