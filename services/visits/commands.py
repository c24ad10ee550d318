"""Logging visits and needs by SMS or Telegram, for heads without a smartphone.

Syntax (Chinese or English keyword; full-width characters and extra spaces are fine):

    走访 3-2-501 好            a visit to building 3, unit 2, room 501 today, note "好"
    走访 2-501 好 / 走访 501 好  the same, when the unit and room (or the room) alone are unique
                              in the sender's area
    走访 3-2-501 好 需：水管漏水  a visit with a need raised (after 需： or 需求：)
    需求 3-2-501 水管漏水        a need heard outside a visit (observers, heads)
    需求 水管漏水               a resident's own need, from the resident's phone
    VISIT 3-2-501 ok / NEED 3-2-501 leaking pipe   the English forms

Guided flow (Telegram, and SMS too): "走访" alone lists up to nine households not yet visited
this month, numbered; reply the number, then reply 1 ("all well") or "需求 内容" to note a need.
"走访 3-2-501" without a note starts at the second step. Each step is answered within 30
minutes; a bare number goes to the question asked last (notify.replies).
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from models import (
    Household,
    NeedSource,
    Person,
    Resident,
    VisitConversation,
    db,
)
from models.clock import today_of
from models.roles import Permission
from notify import replies
from notify.commands import RESIDENT, Command, Help, Inbound, Reply
from notify.replies import Answerer
from services.errors import DomainError
from services.needs import operations as needs
from services.needs.messages import short
from services.roster.areas import Area
from services.visits import coverage, queries
from services.visits import operations as visits

CODE_RE = re.compile(r"^[0-9A-Za-z]+(?:[-－/][0-9A-Za-z]+){0,2}$")
NEED_SPLIT_RE = re.compile(r"(?:需求|需|NEED)\s*[:：]\s*", re.I)
FLOW_MINUTES = 30
MAX_CHOICES = 9


def _phone_resident(phone: str | None) -> Resident | None:
    """Return the resident this phone is, or speaks for as the household's contact (a resident
    with no phone of their own)."""
    if not phone:
        return None
    own = db.session.scalar(select(Resident).where(Resident.phone == phone).limit(1))
    if own is not None:
        return own
    return db.session.scalar(
        select(Resident)
        .join(Household, Household.id == Resident.household_id)
        .where(Household.contact_phone == phone, Resident.phone.is_(None))
        .order_by(Resident.id)
        .limit(1)
    )


def _problem(error: DomainError) -> Reply:
    return Reply("visit_correction", {"problem": error.message})


def _logged(household_id: int, visit_date: str, now: datetime) -> Reply:
    household = db.session.get(Household, household_id)
    assert household is not None
    total = len(household.building.households)
    done = queries.visited_in_building(household.building_id, today_of(now))
    return Reply(
        "visit_logged",
        {
            "address": queries.address_code(household),
            "date": visit_date,
            "building": household.building.name,
            "done": done,
            "total": total,
        },
    )


def _log(
    person: Person,
    household_id: int,
    note: str,
    need_text: str,
    channel: str,
    now: datetime,
) -> Reply:
    today = today_of(now)
    data = visits.VisitInput(
        key=f"{channel}-{uuid.uuid4().hex}",
        household_id=household_id,
        visited_on=today,
        note=note,
        needs=[visits.NeedInput("other", need_text)] if need_text else [],
        via=channel if channel in visits.VIA else "sms",
    )
    area = queries.visit_area(person, today)
    visits.log_visit(data, by=person, area=area, today=today, now=now)
    return _logged(household_id, today.strftime("%m-%d"), now)


def _with_locale(message: Inbound) -> str:
    return message.person.language if message.person is not None else "zh"


def _visit(message: Inbound) -> Reply | None:
    person = message.person
    if person is None:
        return None
    today = today_of(message.now)
    area = queries.visit_area(person, today)
    if area.is_empty:
        return Reply("visit_not_allowed")
    with force_locale(_with_locale(message)):
        rest = message.rest.strip()
        if not rest:
            return _start_flow(person, area, message.now)
        code, _sep, after = rest.partition(" ")
        try:
            household = queries.find_by_code(area, code)
            parts = NEED_SPLIT_RE.split(after.strip(), maxsplit=1)
            note = parts[0].strip()
            need_text = parts[1].strip() if len(parts) > 1 else ""
            if not note and not need_text:
                _save_flow(person, "outcome", [], household.id, message.now)
                return _outcome(household)
            reply = _log(person, household.id, note, need_text, message.channel, message.now)
        except DomainError as error:
            return _problem(error)
        _end_flow(person)
        return reply


def _start_flow(person: Person, area: Area, now: datetime) -> Reply:
    today = today_of(now)
    left = coverage.to_visit(area, today, limit=MAX_CHOICES)
    if not left:
        return Reply("visit_all_done")
    _save_flow(person, "household", [h.id for h in left], None, now)
    choices = " ".join(f"{i}) {h.code}" for i, h in enumerate(left, 1))
    # On Telegram each choice is a button that sends its number, as an SMS reply would.
    buttons = tuple((f"{i}) {h.code}", str(i)) for i, h in enumerate(left, 1))
    return Reply("visit_choose", {"choices": choices}, actions=buttons)


def _outcome(household: Household) -> Reply:
    """Ask how the visit went; on Telegram "all well" is a button that sends 1."""
    return Reply(
        "visit_outcome",
        {"address": queries.address_code(household)},
        actions=((_("1 · All well"), "1"),),
    )


def _save_flow(
    person: Person, step: str, choices: list[int], household_id: int | None, now: datetime
) -> None:
    flow = db.session.get(VisitConversation, person.id)
    if flow is None:
        flow = VisitConversation(person_id=person.id)
        db.session.add(flow)
    flow.step = step
    flow.choices = choices
    flow.household_id = household_id
    flow.asked_at = now
    db.session.flush()


def _end_flow(person: Person) -> None:
    flow = db.session.get(VisitConversation, person.id)
    if flow is not None:
        db.session.delete(flow)
        db.session.flush()


def _open_flow(person: Person | None, now: datetime) -> VisitConversation | None:
    if person is None:
        return None
    flow = db.session.get(VisitConversation, person.id)
    if flow is None or now - flow.asked_at > timedelta(minutes=FLOW_MINUTES):
        return None
    return flow


def _answer_number(message: Inbound, value: int) -> Reply | None:
    person = message.person
    flow = _open_flow(person, message.now)
    if person is None or flow is None:
        return None
    with force_locale(_with_locale(message)):
        if flow.step == "household":
            if not 1 <= value <= len(flow.choices):
                return Reply(
                    "visit_correction",
                    {"problem": f"{value}?"},
                )
            household_id = int(flow.choices[value - 1])
            household = db.session.get(Household, household_id)
            assert household is not None
            _save_flow(person, "outcome", [], household_id, message.now)
            return _outcome(household)
        if flow.step == "outcome" and flow.household_id is not None and value == 1:
            try:
                reply = _log(
                    person, flow.household_id, "一切都好", "", message.channel, message.now
                )
            except DomainError as error:
                return _problem(error)
            _end_flow(person)
            return reply
    return None


def _question(message: Inbound) -> replies.Question | None:
    flow = _open_flow(message.person, message.now)
    if flow is None:
        return None
    return replies.Question(asked_at=flow.asked_at, answer=_answer_number)


def _need(message: Inbound) -> Reply | None:
    person = message.person
    rest = message.rest.strip()
    today = today_of(message.now)
    with force_locale(_with_locale(message)):
        try:
            flow = _open_flow(person, message.now)
            if person is not None and flow is not None and flow.step == "outcome":
                assert flow.household_id is not None
                needs.check_need("other", rest)
                reply = _log(person, flow.household_id, "", rest, message.channel, message.now)
                _end_flow(person)
                return reply
            code, _sep, after = rest.partition(" ")
            if person is not None and CODE_RE.match(code) and after.strip():
                area = queries.visit_area(person, today)
                if not area.is_empty:
                    household = queries.find_by_code(area, code)
                    need = needs.raise_need(
                        community_id=household.building.community_id,
                        household=household,
                        source=NeedSource.OBSERVER,
                        by=person,
                        category="other",
                        text=after,
                        now=message.now,
                    )
                    return Reply("need_logged", {"id": need.id, "need": short(need.text)})
            resident = _phone_resident(message.phone)
            if resident is not None:
                need = needs.resident_need(
                    resident, category="other", text=rest, by=person, now=message.now
                )
                return Reply("need_logged", {"id": need.id, "need": short(need.text)})
            if person is not None and not queries.visit_area(person, today).is_empty:
                raise DomainError(_("Name the household first, e.g. 需求 3-2-501 水管漏水."))
        except DomainError as error:
            return _problem(error)
    return None


VISIT = Command(
    "visit",
    ("走访", "VISIT"),
    _visit,
    shape="text",
    help=(
        Help(
            "“走访 3-2-501 好”记走访",
            "VISIT 3-2-501 ok",
            permission=Permission.LOG_VISITS,
        ),
    ),
)
NEED = Command(
    "need",
    ("需求", "NEED"),
    _need,
    shape="text",
    help=(
        Help("“需求 内容”反映问题", "NEED + text", audience=RESIDENT),
        Help(
            "“需求 3-2-501 内容”记需求",
            "NEED 3-2-501 + text",
            permission=Permission.RAISE_NEEDS,
        ),
    ),
)

# In this order: the keywords are matched as they are listed.
COMMANDS: tuple[Command, ...] = (VISIT, NEED)
ANSWERERS: tuple[tuple[str, Answerer], ...] = (("visits", _question),)
