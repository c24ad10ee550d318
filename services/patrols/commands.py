"""Patrols by SMS and Telegram: "巡逻 开始", "巡逻 结束 正常", "巡逻 结束 <what was found>",
"巡逻 发现 <text>", and "巡逻" alone for one's coming shifts.

Each acts on the sender's current shift (queries.current_signup: one under way, else the one
whose window holds now, else the next within an hour). Telegram sends the same text, so one
grammar serves both channels.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from models import PatrolShift, Person, db
from models.clock import today_of
from notify.commands import Command, Help, Inbound, Reply
from services.errors import DomainError
from services.patrols import operations, queries

START_WORDS = ("开始", "START", "BEGIN", "KS")
END_WORDS = ("结束", "END", "FINISH", "JS")
FINDING_WORDS = ("发现", "FOUND", "FX")
# "巡逻 结束 正常" (all well) is a finish with no finding.
ALL_WELL = ("正常", "无异常", "OK", "NORMAL", "")


def _split(rest: str) -> tuple[str, str]:
    for words, name in ((START_WORDS, "start"), (END_WORDS, "end"), (FINDING_WORDS, "finding")):
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
    shifts = queries.upcoming_for(person, today_of(message.now), message.now)
    mine = [
        s
        for s in shifts
        if any(x.person_id == person.id and x.withdrawn_at is None for x in s.signups)
    ]
    if not mine:
        return Reply(
            "patrol_refused",
            {"reason": _("You have no patrol shift in the coming days. Sign up in the app.")},
        )
    lines = [f"{queries.when_text(s)} {s.route.name}" for s in mine[:3]]
    return Reply("patrol_list", {"shifts": "；".join(lines)})


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
        help=(Help("“巡逻 开始/结束/发现”", "PATROL START/END/FOUND"),),
    ),
)
