"""Mediation by SMS and Telegram, one grammar for both.

A mediator (grid leader, secretary) sends "调解" for their open cases, by code and surnames
only ("M3 王/李 邻里纠纷 待调解"), and "调解 M3 已达成 协议内容", "调解 M3 转司法", "调解 M3
转派出所", "调解 M3 结案", "调解 M3 回访 情况" to record an outcome or the follow-up visit.
Someone who does not see a case is answered as for a case that does not exist.

A party answers "is it settled?" with a bare 1–5: the answerer matches it to the question last
asked of that phone.
"""

from __future__ import annotations

from sqlalchemy import select

from models import CaseStatus, MediationCase, MediationParty, Outcome, Person, db
from models.clock import today_of
from models.roles import Permission
from notify.commands import Command, Help, Inbound, Reply
from notify.replies import Answerer, Question
from services.errors import DomainError
from services.mediation import operations, queries
from services.needs.commands import as_typed

# What follows "调解 M3": the first word that starts the rest decides (Chinese or English).
ACTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (Outcome.AGREED, ("已达成", "达成", "AGREED", "AGREE")),
    (Outcome.JUDICIAL, ("转司法所", "转司法", "司法所", "司法", "JUDICIAL")),
    (Outcome.POLICE, ("转派出所", "派出所", "转公安", "POLICE")),
    (Outcome.CLOSED, ("结案", "CLOSE", "CLOSED")),
    ("follow_up", ("回访", "FOLLOWUP", "FOLLOW-UP")),
)
LIST_CHARS = 35  # a template provider's parameter limit (notify.mainland.MAX_PARAM_CHARS)


def _person(message: Inbound) -> Person | None:
    if message.person is None and message.phone:
        message.person = db.session.scalar(select(Person).where(Person.phone == message.phone))
    return message.person


def _line(case: MediationCase) -> str:
    names = "/".join(dict.fromkeys(queries.surname(p) for p in case.parties))
    state = "待调解" if case.status == CaseStatus.OPEN else "待回访"
    return f"{case.ref} {names} {queries.CATEGORY_ZH.get(case.category, '')} {state}"


def _list(message: Inbound) -> Reply | None:
    person = _person(message)
    reach = queries.reach_of(person, today_of(message.now))
    if person is None or reach.is_empty:
        return None  # not a mediator: the "unknown text" answer, as for any stranger
    cases = queries.open_cases_for_sms(reach)
    text = ""
    for case in cases:
        candidate = f"{text}；{_line(case)}" if text else _line(case)
        if len(candidate) > LIST_CHARS - 4:
            # What does not fit is counted: the app lists them all.
            text = f"{text or candidate[: LIST_CHARS - 8]}…共{len(cases)}件"
            break
        text = candidate
    return Reply("mediation_list", {"cases": text or "-"})


def _split(rest: str) -> tuple[str, str] | None:
    upper = rest.upper()
    for action, words in ACTIONS:
        for word in words:
            if upper.startswith(word):
                return action, rest[len(word) :].lstrip(" :：,，")
    return None


def _act(message: Inbound) -> Reply | None:
    if not message.ref or not message.ref.startswith("M"):
        return None
    ref = message.ref
    person = _person(message)
    now = message.now
    today = today_of(now)
    reach = queries.reach_of(person, today)
    case = queries.find(ref)
    if person is None or case is None or not reach.covers(case):
        return Reply("mediation_unknown", {"ref": ref})
    found = _split(as_typed(message).strip())
    if found is None:
        return Reply("mediation_how", {"ref": ref})
    action, text = found
    try:
        if action == "follow_up":
            operations.record_follow_up(
                reach,
                case,
                by=person,
                held_on=today,
                attendees="",
                notes=text,
                today=today,
                now=now,
                via=message.channel,
            )
            return Reply("mediation_recorded", {"ref": ref, "what": "回访"})
        operations.conclude(
            reach,
            case,
            by=person,
            outcome=action,
            agreement=text,
            today=today,
            now=now,
            via=message.channel,
        )
    except DomainError as error:
        # Every step checks before it changes anything: nothing to undo.
        return Reply("mediation_refused", {"ref": ref, "reason": error.message})
    return Reply("mediation_recorded", {"ref": ref, "what": operations.outcome_words(action)})


def _rate(party: MediationParty, message: Inbound, value: int) -> Reply:
    try:
        operations.rate(party, value, via=message.channel, now=message.now)
    except DomainError as error:
        return Reply("mediation_refused", {"ref": "", "reason": error.message})
    return Reply("mediation_rated", {"rating": value})


def _question(message: Inbound) -> Question | None:
    """Return the latest "is it settled?" asked of this phone and not yet answered."""
    phones = {p for p in (message.phone, message.person.phone if message.person else None) if p}
    if not phones:
        return None
    party = db.session.scalar(
        select(MediationParty)
        .where(
            MediationParty.asked_phone.in_(phones),
            MediationParty.asked_at.is_not(None),
            MediationParty.rating.is_(None),
        )
        .order_by(MediationParty.asked_at.desc(), MediationParty.id.desc())
        .limit(1)
    )
    if party is None or party.asked_at is None:
        return None
    found = party

    def answer(inbound: Inbound, value: int) -> Reply:
        return _rate(found, inbound, value)

    return Question(asked_at=party.asked_at, answer=answer)


COMMANDS: tuple[Command, ...] = (
    Command(
        "mediation_list",
        ("调解", "MEDIATION", "TJ"),
        _list,
        help=(Help("“调解”看调解", "MEDIATION", permission=Permission.SEE_MEDIATION),),
    ),
    Command(
        "mediation_act",
        ("调解", "MEDIATION", "TJ"),
        _act,
        shape="ref",
        # No help line of its own: a grid leader's 帮助 must stay within two SMS; "调解 M3"
        # with anything it does not understand answers how to write it (mediation_how).
    ),
)
# A bare "1"–"5" from a party's phone answers "is it settled?".
ANSWERERS: tuple[tuple[str, Answerer], ...] = (("mediation", _question),)
