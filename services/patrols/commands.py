"""Patrols by SMS and Telegram: "巡逻 开始", "巡逻 结束 正常", "巡逻 结束 <what was found>",
"巡逻 发现 <text>", "巡逻 报名 X12" / "巡逻 退出 X12", and "巡逻" alone for one's coming
shifts (or those open to sign up) with their codes.

Each acts on the sender's current shift (queries.current_signup: one under way, else the one
whose window holds now, else the next within an hour). Telegram sends the same text, so one
grammar serves both channels.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import select

from models import PatrolShift, Person, db
from models.clock import today_of
from models.roles import Role
from notify.commands import Command, Help, Inbound, Reply
from services.errors import DomainError
from services.patrols import operations, queries
from services.patrols.operations import SIGN_UP_ANSWERS, SignUpOutcome

START_WORDS = ("开始", "START", "BEGIN", "KS")
END_WORDS = ("结束", "END", "FINISH", "JS")
FINDING_WORDS = ("发现", "FOUND", "FX")
SIGN_UP_WORDS = ("报名", "SIGNUP", "JOIN", "BM")
WITHDRAW_WORDS = ("退出", "WITHDRAW", "TC")
SHIFT_RE = re.compile(r"^X\s*(\d{1,9})$")
# "巡逻 结束 正常" (all well) is a finish with no finding.
ALL_WELL = ("正常", "无异常", "OK", "NORMAL", "")


def _split(rest: str) -> tuple[str, str]:
    for words, name in (
        (START_WORDS, "start"),
        (END_WORDS, "end"),
        (FINDING_WORDS, "finding"),
        (SIGN_UP_WORDS, "sign_up"),
        (WITHDRAW_WORDS, "withdraw"),
    ):
        for word in words:
            if (
                rest == word
                or rest.startswith(word + " ")
                or (not word.isascii() and rest.startswith(word))
            ):
                return name, rest[len(word) :].strip(" :：,，")
    return "", rest


def _person(message: Inbound) -> Person | None:
    person = message.person
    if person is None and message.phone:
        person = db.session.scalar(select(Person).where(Person.phone == message.phone))
    message.person = person
    return person


def _params(shift: PatrolShift) -> dict[str, str]:
    return {"ref": shift.ref, "route": shift.route.name, "when": queries.when_text(shift)}


def _list(person: Person, message: Inbound) -> Reply:
    """Name one's coming shifts, else those open to sign up, each with its code."""
    shifts = queries.upcoming_for(person, today_of(message.now), message.now)
    lines = []
    for shift in shifts:
        held = any(x.person_id == person.id and x.withdrawn_at is None for x in shift.signups)
        if held:
            lines.append(f"{shift.ref} {queries.when_text(shift)} {shift.route.name}（已报名）")
        elif shift.places_free and shift.starts_at > message.now:
            lines.append(
                f"{shift.ref} {queries.when_text(shift)} {shift.route.name}"
                f"（差{shift.places_free}人）"
            )
        if len(lines) == 3:
            break
    if not lines:
        return Reply(
            "patrol_refused", {"reason": _("You have no patrol shift in the coming days.")}
        )
    return Reply("patrol_list", {"shifts": "；".join(lines)})


def _by_code(person: Person, action: str, text: str, message: Inbound) -> Reply:
    """Sign up for or withdraw from a shift named by its code: "巡逻 报名 X12"."""
    found = SHIFT_RE.match(text)
    shift = db.session.get(PatrolShift, int(found.group(1))) if found else None
    if shift is None:
        return Reply(
            "patrol_refused",
            {
                "reason": _(
                    "Name the shift by its code, e.g. 巡逻 报名 X12 (send 巡逻 for the codes)."
                )
            },
        )
    params = _params(shift)
    if action == "sign_up":
        result = operations.sign_up(
            shift, by=person, via=message.channel, now=message.now, today=today_of(message.now)
        )
        if result.outcome != SignUpOutcome.SIGNED_UP:
            return Reply("patrol_refused", {"reason": str(SIGN_UP_ANSWERS[result.outcome])})
        return Reply("patrol_signed_up", params)
    try:
        operations.withdraw(shift, by=person, via=message.channel, now=message.now)
    except DomainError as error:
        return Reply("patrol_refused", {"reason": error.message})
    return Reply("patrol_withdrawn", params)


def _patrol(message: Inbound) -> Reply | None:
    person = _person(message)
    if person is None:
        return Reply("work_order_who", {})
    action, text = _split(message.rest)
    if not action:
        if message.rest:
            return Reply(
                "patrol_refused",
                {"reason": _("Reply 巡逻 开始, 巡逻 结束 正常 or 巡逻 发现 and what you found.")},
            )
        return _list(person, message)
    if action in ("sign_up", "withdraw"):
        return _by_code(person, action, text, message)
    current = queries.current_signup(person, message.now)
    if current.signup is None:
        return Reply("patrol_refused", {"reason": current.reason})
    signup = current.signup
    params = _params(signup.shift)
    via = message.channel
    try:
        if action == "start":
            operations.start(signup, via=via, now=message.now)
            return Reply("patrol_started", params)
        if action == "finding":
            finding = operations.report_finding(signup, text=text, via=via, now=message.now)
            return Reply("patrol_finding_noted", {**params, "finding": finding.ref})
        all_well = text.upper() in ALL_WELL
        if not all_well:
            if signup.started_at is None:
                operations.start(signup, via=via, now=message.now)
            operations.report_finding(signup, text=text, via=via, now=message.now)
        operations.finish(signup, via=via, now=message.now, report="正常" if all_well else text)
        return Reply("patrol_finished", params)
    except DomainError as error:
        return Reply("patrol_refused", {"reason": error.message})


COMMANDS: tuple[Command, ...] = (
    Command(
        "patrol",
        ("巡逻", "PATROL", "XL"),
        _patrol,
        shape="text",
        help=(
            Help(
                "“巡逻 开始/结束/发现”",
                "PATROL START/END/FOUND",
                roles=frozenset({Role.PATROLLER, Role.GRID_LEADER}),
            ),
        ),
    ),
)
