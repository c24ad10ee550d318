"""Mediation's state changes: open a case, add a party, record a session, the outcome, the
follow-up visit, and a party's 1–5 answer. Each writes a MediationEvent for the ledger.

Every step is taken by someone who sees the case (queries.reach_of): the caller passes the
reach it checked, and the step checks it again, so SMS and the app refuse alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from models import (
    CaseStatus,
    Household,
    MediationCase,
    MediationEvent,
    MediationParty,
    MediationSession,
    Need,
    Outcome,
    Person,
    Post,
    Resident,
    SessionKind,
    db,
)
from models.clock import today_of
from models.roles import Role
from notify.message import Message
from notify.outbox import send_later
from notify.routing import Recipient
from services.errors import DomainError, InvalidInput, NotFound
from services.mediation import messages
from services.mediation.queries import (
    CATEGORIES,
    OUTCOME_ZH,
    OUTCOMES,
    SOURCES,
    Reach,
    households_in_reach,
)
from services.needs import operations as needs

SUMMARY_LIMIT = 500
NOTES_LIMIT = 1000
ATTENDEES_LIMIT = 200
AGREEMENT_LIMIT = 1000
MAX_PARTIES = 10
FOLLOW_UP_DAYS = 30


@dataclass(frozen=True)
class PartyChoice:
    """A party as picked: a household, and one of its residents (or the household as a whole)."""

    household_id: int
    resident_id: int | None = None

    @classmethod
    def parse(cls, value: str) -> PartyChoice | None:
        """Read a picker's value: "h12" (a household) or "r34:12" (resident 34 of household 12)."""
        value = value.strip()
        try:
            if value.startswith("h"):
                return cls(int(value[1:]))
            if value.startswith("r"):
                resident, household = value[1:].split(":")
                return cls(int(household), int(resident))
        except ValueError:
            return None
        return None

    @property
    def value(self) -> str:
        if self.resident_id is None:
            return f"h{self.household_id}"
        return f"r{self.resident_id}:{self.household_id}"


def _event(
    case: MediationCase,
    action: str,
    *,
    by: Person | None,
    now: datetime,
    via: str = "app",
    detail: str = "",
    party: MediationParty | None = None,
    session: MediationSession | None = None,
) -> None:
    db.session.add(
        MediationEvent(
            case_id=case.id,
            community_id=case.community_id,
            grid_id=case.grid_id,
            person_id=by.id if by else None,
            party_id=party.id if party else None,
            session_id=session.id if session else None,
            action=action,
            via=via,
            detail=detail,
            at=now,
        )
    )


def _text(value: str, limit: int, empty: str | None) -> str:
    text = " ".join((value or "").split())
    if not text and empty is not None:
        raise InvalidInput(empty)
    if len(text) > limit:
        raise InvalidInput(
            _(
                "This text is %(n)d characters long; keep it under %(limit)d.",
                n=len(text),
                limit=limit,
            )
        )
    return text


def check_case(category: str, source: str, summary: str) -> str:
    """Refuse an unknown category or source and an empty or too long description."""
    if category not in CATEGORIES:
        raise InvalidInput(_("Choose what the dispute is about."))
    if source not in SOURCES:
        raise InvalidInput(_("Choose how the dispute reached you."))
    return _text(summary, SUMMARY_LIMIT, _("Describe the dispute in a few words."))


def _parties(
    reach: Reach, chosen: Sequence[PartyChoice]
) -> list[tuple[Household, Resident | None]]:
    unique = list(dict.fromkeys(chosen))
    if not unique:
        raise InvalidInput(_("Choose at least one party from the roster."))
    if len(unique) > MAX_PARTIES:
        raise InvalidInput(_("A case takes at most %(n)d parties.", n=MAX_PARTIES))
    found = households_in_reach(reach, [c.household_id for c in unique])
    result: list[tuple[Household, Resident | None]] = []
    for choice in unique:
        household = found.get(choice.household_id)
        if household is None:
            raise InvalidInput(_("A party chosen is not a household of your grids."))
        resident = None
        if choice.resident_id is not None:
            resident = next((r for r in household.residents if r.id == choice.resident_id), None)
            if resident is None or resident.deceased_on is not None:
                raise InvalidInput(_("A party chosen is not a resident of your grids."))
        result.append((household, resident))
    return result


def open_case(
    reach: Reach,
    *,
    by: Person,
    parties: Sequence[PartyChoice],
    category: str,
    source: str,
    summary: str,
    now: datetime,
    via: str = "app",
    need: Need | None = None,
) -> MediationCase:
    """Open a case in the first party's grid; every party must be in the opener's grids."""
    text = check_case(category, source, summary)
    picked = _parties(reach, parties)
    first = picked[0][0].building
    if len({h.building.community_id for h, _r in picked}) > 1:
        raise InvalidInput(_("The parties of one case live in one community."))
    case = MediationCase(
        community_id=first.community_id,
        grid_id=first.grid_id,
        category=category,
        source=source,
        summary=text,
        status=CaseStatus.OPEN,
        mediator_id=_mediator_for(first.grid_id, by, today_of(now)).id,
        need_id=need.id if need is not None else None,
        opened_by_id=by.id,
        opened_at=now,
    )
    db.session.add(case)
    db.session.flush()
    _event(case, "opened", by=by, now=now, via=via, detail=category)
    for household, resident in picked:
        _add(case, household, resident, by=by, now=now, via=via, event=False)
    db.session.flush()
    return case


def _mediator_for(grid_id: int, by: Person, today: date) -> Person:
    """Who looks after a new case: its opener if they mediate in the grid, else the grid's
    first mediator (a grid leader or the secretary opening it hands it on), else the opener."""
    if any(p.role == Role.MEDIATOR and p.grid_id == grid_id for p in by.active_posts(today)):
        return by
    found = db.session.scalar(
        select(Person)
        .join(Post, Post.person_id == Person.id)
        .where(
            Post.role == Role.MEDIATOR,
            Post.grid_id == grid_id,
            Post.active_on(today),
            Person.active.is_(True),
        )
        .order_by(Post.id)
        .limit(1)
    )
    return found or by


def _add(
    case: MediationCase,
    household: Household,
    resident: Resident | None,
    *,
    by: Person,
    now: datetime,
    via: str,
    event: bool = True,
) -> MediationParty:
    party = MediationParty(
        case_id=case.id, household_id=household.id, resident_id=resident.id if resident else None
    )
    db.session.add(party)
    db.session.flush()
    if event:
        _event(case, "party_added", by=by, now=now, via=via, party=party)
    return party


def add_party(
    reach: Reach, case: MediationCase, choice: PartyChoice, *, by: Person, now: datetime
) -> MediationParty:
    _check_reach(reach, case)
    if case.status != CaseStatus.OPEN:
        raise DomainError(_("The case has its outcome: parties can no longer be added."))
    if any(
        p.household_id == choice.household_id and p.resident_id == choice.resident_id
        for p in case.parties
    ):
        raise InvalidInput(_("This party is already in the case."))
    if len(case.parties) >= MAX_PARTIES:
        raise InvalidInput(_("A case takes at most %(n)d parties.", n=MAX_PARTIES))
    [(household, resident)] = _parties(reach, [choice])
    if household.building.community_id != case.community_id:
        raise InvalidInput(_("The parties of one case live in one community."))
    party = _add(case, household, resident, by=by, now=now, via="app")
    db.session.refresh(case, ["parties"])
    return party


def _check_reach(reach: Reach, case: MediationCase) -> None:
    if not reach.covers(case):
        raise NotFound(_("No such mediation case."))


def record_session(
    reach: Reach,
    case: MediationCase,
    *,
    by: Person,
    held_on: date | None,
    attendees: str,
    notes: str,
    today: date,
    now: datetime,
    via: str = "app",
) -> MediationSession:
    """Record a mediation meeting: its day (not in the future), who came, what was said."""
    _check_reach(reach, case)
    if case.status != CaseStatus.OPEN:
        raise DomainError(
            _("The case has its outcome: record the follow-up visit instead of a session.")
        )
    return _session(
        case, SessionKind.SESSION, by, held_on, attendees, notes, today, now, via, "session"
    )


def _session(
    case: MediationCase,
    kind: str,
    by: Person,
    held_on: date | None,
    attendees: str,
    notes: str,
    today: date,
    now: datetime,
    via: str,
    action: str,
) -> MediationSession:
    if held_on is None:
        raise InvalidInput(_("Give the day it took place."))
    if held_on > today:
        raise InvalidInput(_("The day cannot be in the future."))
    if held_on < today_of(case.opened_at):
        raise InvalidInput(_("The day cannot be before the case was opened."))
    session = MediationSession(
        case_id=case.id,
        kind=kind,
        held_on=held_on,
        attendees=_text(attendees, ATTENDEES_LIMIT, None),
        notes=_text(notes, NOTES_LIMIT, _("Write what was said or agreed.")),
        recorded_by_id=by.id,
        recorded_at=now,
        via=via,
    )
    db.session.add(session)
    db.session.flush()
    _event(case, action, by=by, now=now, via=via, session=session, detail=held_on.isoformat())
    db.session.refresh(case, ["sessions"])
    return session


def conclude(
    reach: Reach,
    case: MediationCase,
    *,
    by: Person,
    outcome: str,
    agreement: str,
    today: date,
    now: datetime,
    via: str = "app",
) -> MediationCase:
    """Record the outcome; the follow-up falls due 30 days later and each party is asked."""
    _check_reach(reach, case)
    if case.status != CaseStatus.OPEN:
        raise DomainError(_("This case already has its outcome."))
    if outcome not in OUTCOMES:
        raise InvalidInput(_("Choose the outcome."))
    empty = _("Write the agreement's text.") if outcome == Outcome.AGREED else None
    text = _text(agreement, AGREEMENT_LIMIT, empty)
    case.status = CaseStatus.CONCLUDED
    case.outcome = outcome
    case.agreement = text
    case.concluded_at = now
    case.concluded_by_id = by.id
    case.follow_up_due = today + timedelta(days=FOLLOW_UP_DAYS)
    db.session.flush()
    _event(case, "outcome", by=by, now=now, via=via, detail=outcome)
    ask_parties(case, now)
    if case.need_id is not None:
        # The need it came from is answered with the outcome only: no agreement's text.
        needs.settle_from(case.ref, f"调解{OUTCOME_ZH[Outcome(outcome)]}", now)
    db.session.flush()
    return case


def record_follow_up(
    reach: Reach,
    case: MediationCase,
    *,
    by: Person,
    held_on: date | None,
    attendees: str,
    notes: str,
    today: date,
    now: datetime,
    via: str = "app",
) -> MediationSession:
    """Record the follow-up visit (a session of kind follow_up) after the outcome."""
    _check_reach(reach, case)
    if case.status != CaseStatus.CONCLUDED:
        raise DomainError(_("Record the outcome first: the follow-up visit comes after it."))
    if case.followed_up_at is not None:
        raise DomainError(_("The follow-up visit is already recorded."))
    if (
        held_on is not None
        and case.concluded_at is not None
        and held_on < today_of(case.concluded_at)
    ):
        raise InvalidInput(_("The follow-up visit comes after the outcome."))
    session = _session(
        case, SessionKind.FOLLOW_UP, by, held_on, attendees, notes, today, now, via, "follow_up"
    )
    case.followed_up_at = now
    db.session.flush()
    return session


def _phone_of(party: MediationParty) -> tuple[Recipient, str] | None:
    """Return whom to ask and the phone a reply will come from, or None (no phone)."""
    resident = party.resident
    if resident is not None and not resident.gone:
        if resident.person is not None:
            return resident, resident.person.phone
        if resident.phone:
            return resident.phone, resident.phone
    contact = party.household.contact_phone
    if contact and party.household.moved_out_on is None:
        return contact, contact
    return None


def ask_parties(case: MediationCase, now: datetime) -> int:
    """Ask each party with a phone whether the matter is settled (once per phone)."""
    asked: set[str] = set()
    for party in case.parties:
        found = _phone_of(party)
        if found is None:
            continue
        recipient, phone = found
        if phone in asked:
            continue
        asked.add(phone)
        party.asked_phone = phone
        party.asked_at = now
        # One batch per party: two parties sharing nothing get one question each.
        send_later(
            Message(
                kind=messages.MEDIATION_ASK.name,
                params={},
                batch_key=f"mediation:{case.id}:ask:{party.id}",
                community_id=case.community_id,
            ),
            [recipient],
            now=now,
        )
        _event(case, "asked", by=None, now=now, party=party)
    return len(asked)


def rate(party: MediationParty, value: int, *, via: str, now: datetime) -> MediationParty:
    """Record a party's 1–5 answer to "is it settled?" (once)."""
    if not 1 <= value <= 5:
        raise InvalidInput(_("Answer with a number from 1 to 5."))
    if party.rating is not None:
        raise DomainError(_("Your answer is already recorded. Thank you."))
    party.rating = value
    party.rated_at = now
    _event(party.case, "rated", by=None, now=now, via=via, party=party, detail=str(value))
    db.session.flush()
    return party


def remind_follow_up(case: MediationCase, now: datetime, to: Sequence[Person]) -> None:
    """Tell the case's mediator (or whoever `to` names) the follow-up visit is due (once)."""
    if case.follow_up_reminded_at is not None or case.follow_up_due is None:
        return
    case.follow_up_reminded_at = now
    send_later(
        Message(
            kind=messages.MEDIATION_FOLLOW_UP_DUE.name,
            params={"ref": case.ref, "due": case.follow_up_due.strftime("%m-%d")},
            batch_key=f"mediation:{case.id}:follow_up_due",
            ref=case.ref,
            community_id=case.community_id,
        ),
        list(to),
        now=now,
    )
    _event(case, "reminded", by=None, now=now)
    db.session.flush()


def outcome_words(outcome: str) -> str:
    return OUTCOME_ZH.get(outcome, "")
