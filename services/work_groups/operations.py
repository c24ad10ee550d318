"""Setting a grid's WeCom group robot, removing it, and sending it a test message.

The webhook address is a secret (whoever has it can post to the group): it is checked to be
WeCom's robot address and nothing else, stored, and shown afterwards only by its last four
characters; the audit trail records each change with those four characters, never the key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _

from models import Grid, GridRobot, Person, db
from notify.channels.wecom import sending as wecom
from services import audit
from services.errors import InvalidInput
from services.work_groups import messages

MAX_URL = 300


def check_webhook(url: str, base: str) -> str:
    """Return the address as it will be stored, or refuse it with what is wrong."""
    url = (url or "").strip()
    if not url:
        raise InvalidInput(_("Paste the group robot's webhook address."))
    if len(url) > MAX_URL:
        raise InvalidInput(_("That address is too long to be a WeCom group robot's."))
    if wecom.key_of(url, base) is None:
        example = base + "?key=xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
        raise InvalidInput(
            _(
                "That is not a WeCom group robot's webhook address. It looks like "
                "%(example)s: copy it from the robot's details in the group's settings.",
                example=example,
            )
        )
    return url


def set_robot(grid: Grid, url: str, *, base: str, by: Person, now: datetime) -> GridRobot:
    """Set (or replace) the grid's robot; the caller's transaction commits it."""
    url = check_webhook(url, base)
    robot = db.session.get(GridRobot, grid.id)
    action = "work_group.robot_changed" if robot is not None else "work_group.robot_set"
    if robot is None:
        robot = GridRobot(grid_id=grid.id, community_id=grid.community_id, webhook_url=url)
        db.session.add(robot)
    robot.webhook_url = url
    robot.changed_at = now
    robot.changed_by_id = by.id
    db.session.flush()
    audit.record(
        actor=by,
        community_id=grid.community_id,
        action=action,
        subject_type="grid",
        subject_id=grid.id,
        detail=f"…{robot.last4}",
    )
    return robot


def remove_robot(grid: Grid, *, by: Person) -> None:
    """Remove the grid's robot: its work group hears nothing more from Linli."""
    robot = db.session.get(GridRobot, grid.id)
    if robot is None:
        raise InvalidInput(_("This grid has no group robot to remove."))
    last4 = robot.last4
    db.session.delete(robot)
    db.session.flush()
    audit.record(
        actor=by,
        community_id=grid.community_id,
        action="work_group.robot_removed",
        subject_type="grid",
        subject_id=grid.id,
        detail=f"…{last4}",
    )


@dataclass(frozen=True)
class TestResult:
    ok: bool
    detail: str  # WeCom's own words when it refused, for the person who pasted the address


def robot_address(grid: Grid) -> str:
    """Return the address the test message goes to, or refuse when there is none yet."""
    robot = db.session.get(GridRobot, grid.id)
    if robot is None:
        raise InvalidInput(_("This grid has no group robot yet: paste its address first."))
    return robot.webhook_url


def send_test(grid_id: int, grid_name: str, url: str, channel: wecom.WeComRobots) -> TestResult:
    """Send the test message to a grid's robot now, and say whether WeCom took it.

    It does not go through the outbox: the page answers with WeCom's own answer, and it is
    not a message to the group's people but a check of the address just pasted. It reads
    nothing from the database, so the caller holds no transaction while WeCom answers.
    """
    wait = channel.window.take(grid_id)
    if wait > 0:
        return TestResult(
            False,
            _(
                "The robot has sent 20 messages this minute; try again in %(n)d seconds.",
                n=int(wait) + 1,
            ),
        )
    text = messages.GROUP_ROBOT_TEST.render("zh", {"grid": grid_name})
    answer = channel.send_text(url, text)
    if answer.ok:
        return TestResult(True, "")
    if answer.errcode is None:
        return TestResult(False, answer.errmsg)
    return TestResult(False, f"errcode {answer.errcode}: {answer.errmsg}")
