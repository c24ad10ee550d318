"""Meetings' state changes: call one (invite), answer, take attendance, minutes, suggestions.

Every rule lives here so the app, SMS and Telegram behave the same. Functions flush, never
commit; the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from models import (
    Building,
    Community,
    Grid,
    Household,
    Meeting,
    MeetingEvent,
    MeetingInvitee,
    MeetingKind,
    MeetingSuggestion,
    Need,
    NeedSource,
    PartnerUnit,
    Person,
    Resident,
    db,
)
from models.clock import local, today_of
from models.meetings import MEETING_MINUTES, Reply
from models.visits import Decision
from notify.message import Message
from notify.outbox import send_later
from notify.routing import Recipient
from services.errors import DomainError, InvalidInput
from services.needs import operations as needs
from services.needs.queries import CATEGORIES
from services.work_orders import from_need
from services.work_orders.audiences import Audience, audience_people, check_audience

MAX_TITLE = 100
# The lengths the call form offers, in minutes: half an hour to half a day.
DURATIONS = (30, 60, 90, 120, 180, 240)
MAX_PLACE = 200
MAX_AGENDA = 2000
MAX_MINUTES = 5000
MAX_SUGGESTION = 500
MAX_NAME = 50
MAX_RESIDENTS = 200


@dataclass(frozen=True)
class Invitees:
    """Whom a meeting invites: posts (these roles in these grids) and named people, as a work
    order's audience does; partner units (their contact); and residents picked by search."""

    audience: Audience = field(default_factory=Audience)
    partner_units: tuple[int, ...] = ()
    residents: tuple[int, ...] = ()

    @property
    def empty(self) -> bool:
        return self.audience.empty and not self.partner_units and not self.residents

    def as_json(self) -> dict[str, Any]:
        return {
            **self.audience.as_json(),
            "partner_units": list(self.partner_units),
            "residents": list(self.residents),
        }


# -- events and messages ----------------------------------------------------------------------


def record(
    meeting: Meeting,
    action: str,
    now: datetime,
    person: Person | None = None,
    *,
    via: str = "app",
    detail: str = "",
    invitee: MeetingInvitee | None = None,
    suggestion: MeetingSuggestion | None = None,
    need_id: int | None = None,
) -> None:
    db.session.add(
        MeetingEvent(
            community_id=meeting.community_id,
            grid_id=meeting.grid_id,
            meeting_id=meeting.id,
            person_id=person.id if person else None,
            invitee_id=invitee.id if invitee else None,
            suggestion_id=suggestion.id if suggestion else None,
            need_id=need_id,
            action=action,
            via=via,
            detail=detail[:500],
            at=now,
        )
    )


def when_text(meeting: Meeting) -> str:
    """Return the start in the community's time, short enough for an SMS: "11-28 14:30"."""
    return local(meeting.starts_at).strftime("%m-%d %H:%M")


def params(meeting: Meeting) -> dict[str, Any]:
    return {"title": meeting.title, "when": when_text(meeting), "place": meeting.place}


ANSWER_BUTTONS = (("1 参加 Attend", "1"), ("2 请假 Excused", "2"))


def tell(meeting: Meeting, kind: str, to: Sequence[Recipient], now: datetime, key: str) -> int:
    """Send one kind about a meeting; the key makes each (key, recipient) go once."""
    if not to:
        return 0
    send_later(
        Message(
            kind,
            params(meeting),
            batch_key=f"meeting:{meeting.id}:{key}",
            ref=meeting.ref,
            community_id=meeting.community_id,
            actions=ANSWER_BUTTONS if kind == "meeting_invite" else (),
        ),
        to=to,
        now=now,
    )
    return len(to)


# -- calling a meeting ------------------------------------------------------------------------


def check_text(value: str, what: str, limit: int, *, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(_("Enter %(what)s.", what=what))
    if len(text) > limit:
        raise InvalidInput(_("%(what)s is too long: at most %(n)d characters.", what=what, n=limit))
    return text


def _residents(community: Community, grid: Grid | None, ids: tuple[int, ...]) -> list[Resident]:
    if len(ids) > MAX_RESIDENTS:
        raise InvalidInput(_("At most %(n)d residents per meeting.", n=MAX_RESIDENTS))
    if not ids:
        return []
    query = (
        select(Resident)
        .join(Household)
        .join(Building)
        .where(
            Resident.id.in_(ids),
            Building.community_id == community.id,
            Household.current(),
            Resident.living(),
        )
    )
    if grid is not None:
        query = query.where(Building.grid_id == grid.id)
    found = list(db.session.scalars(query.order_by(Resident.id)))
    if {r.id for r in found} != set(ids):
        raise InvalidInput(_("That resident is not in your area."))
    return found


def _units(community: Community, ids: tuple[int, ...]) -> list[PartnerUnit]:
    if not ids:
        return []
    found = list(
        db.session.scalars(
            select(PartnerUnit)
            .where(
                PartnerUnit.id.in_(ids),
                PartnerUnit.community_id == community.id,
                PartnerUnit.taking_part(),
            )
            .order_by(PartnerUnit.id)
        )
    )
    if {u.id for u in found} != set(ids):
        raise InvalidInput(_("That partner unit is not in this community."))
    for unit in found:
        if not unit.contact_phone:
            raise InvalidInput(
                _(
                    "%(unit)s has no contact phone to invite: add one on the partner units page.",
                    unit=unit.name,
                )
            )
    return found


@dataclass(frozen=True)
class Invited:
    """Everyone a meeting's invitees pick, each once."""

    people: list[Person]
    residents: list[Resident]
    units: list[PartnerUnit]

    @property
    def count(self) -> int:
        return len(self.people) + len(self.residents) + len(self.units)


def invited(community: Community, grid: Grid | None, invitees: Invitees, today: date) -> Invited:
    """Return whom the invitees reach (refusing any outside the caller's scope).

    A resident who also holds a post (or an account picked as a person) is invited once, as
    the person.
    """
    if invitees.empty:
        raise InvalidInput(_("Choose whom to invite: posts, partner units or residents."))
    people: list[Person] = []
    if not invitees.audience.empty:
        check_audience(community, invitees.audience, grid)
        people = audience_people(community.id, invitees.audience, today, grid.id if grid else None)
    taken = {p.id for p in people}
    residents = [
        r
        for r in _residents(community, grid, invitees.residents)
        if r.person_id is None or r.person_id not in taken
    ]
    return Invited(people, residents, _units(community, invitees.partner_units))


def check_meeting(
    community: Community,
    *,
    kind: str,
    title: str,
    starts_at: datetime,
    place: str,
    agenda: str,
    invitees: Invitees,
    now: datetime,
    today: date,
    grid: Grid | None = None,
    duration_minutes: int = MEETING_MINUTES,
) -> Invited:
    """Refuse what call_meeting would refuse, saving nothing; return whom it invites."""
    if kind not in set(MeetingKind):
        raise InvalidInput(_("Choose the kind of meeting."))
    if kind == MeetingKind.QUARTERLY and grid is not None:
        raise InvalidInput(_("The quarterly grid leaders' meeting is called by the secretary."))
    check_text(title, _("a title"), MAX_TITLE, required=True)
    check_text(place, _("the place"), MAX_PLACE, required=True)
    check_text(agenda, _("the agenda"), MAX_AGENDA, required=False)
    if starts_at <= now:
        raise InvalidInput(_("The meeting must start later than now."))
    if duration_minutes not in DURATIONS:
        raise InvalidInput(_("Choose how long the meeting lasts."))
    if grid is not None and grid.community_id != community.id:
        raise InvalidInput(_("That grid is not in your area."))
    found = invited(community, grid, invitees, today)
    if not found.count:
        raise InvalidInput(_("Nobody serves in the posts you chose yet."))
    return found


def _phone_of(resident: Resident) -> str | None:
    return resident.person.phone if resident.person is not None else resident.phone


def call_meeting(
    community: Community,
    *,
    kind: str,
    title: str,
    starts_at: datetime,
    place: str,
    agenda: str = "",
    invitees: Invitees,
    by: Person,
    now: datetime,
    today: date,
    grid: Grid | None = None,
    duration_minutes: int = MEETING_MINUTES,
) -> Meeting:
    """Save a meeting, its invitees, and send each the invitation (answer 1 attend, 2 excused)."""
    found = check_meeting(
        community,
        kind=kind,
        title=title,
        starts_at=starts_at,
        place=place,
        agenda=agenda,
        invitees=invitees,
        now=now,
        today=today,
        grid=grid,
        duration_minutes=duration_minutes,
    )
    meeting = Meeting(
        community_id=community.id,
        grid_id=grid.id if grid else None,
        kind=kind,
        title=title.strip(),
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        place=place.strip(),
        agenda=(agenda or "").strip(),
        audience=invitees.as_json(),
        called_by_id=by.id,
        called_at=now,
        minutes="",
        decisions="",
    )
    db.session.add(meeting)
    db.session.flush()
    rows = [
        MeetingInvitee(meeting_id=meeting.id, person_id=p.id, name=p.name, phone=p.phone)
        for p in found.people
    ]
    rows += [
        MeetingInvitee(
            meeting_id=meeting.id,
            resident_id=r.id,
            person_id=r.person_id,
            name=r.name,
            phone=_phone_of(r),
        )
        for r in found.residents
    ]
    rows += [
        MeetingInvitee(
            meeting_id=meeting.id,
            partner_unit_id=u.id,
            name=f"{u.name}（{u.contact_name}）" if u.contact_name else u.name,
            phone=u.contact_phone,
        )
        for u in found.units
    ]
    for row in rows:
        row.reply = Reply.NONE
        row.replied_via = ""
        row.walk_in = False
    db.session.add_all(rows)
    db.session.flush()
    to: list[Recipient] = [*found.people, *found.residents]
    to += [u.contact_phone for u in found.units if u.contact_phone]
    tell(meeting, "meeting_invite", to, now, "invite")
    record(meeting, "called", now, by, detail=str(found.count))
    return meeting


# -- answers and attendance -------------------------------------------------------------------


def answer(invitee: MeetingInvitee, reply: str, *, via: str, now: datetime) -> MeetingInvitee:
    """Record an invitee's answer (attend or excused); a later answer replaces an earlier one."""
    meeting = invitee.meeting
    if reply not in (Reply.ATTEND, Reply.EXCUSED):
        raise InvalidInput(_("Answer 1 to attend or 2 to be excused."))
    if meeting.starts_at <= now:
        raise DomainError(_("This meeting has already begun."))
    invitee.reply = reply
    invitee.replied_at = now
    invitee.replied_via = via
    person = db.session.get(Person, invitee.person_id) if invitee.person_id else None
    record(meeting, "replied", now, person, via=via, detail=reply, invitee=invitee)
    db.session.flush()
    return invitee


def check_door_open(meeting: Meeting, now: datetime) -> None:
    """Attendance is taken on the meeting's own day (or later, to correct it)."""
    if today_of(now) < today_of(meeting.starts_at):
        raise DomainError(_("Attendance is taken on the day of the meeting."))


def mark(
    meeting: Meeting, invitee: MeetingInvitee, *, present: bool, by: Person, now: datetime
) -> MeetingInvitee:
    """Mark one invitee present or absent at the door (a second tap corrects the first)."""
    if invitee.meeting_id != meeting.id:
        raise DomainError(_("That person is not on this meeting's list."))
    check_door_open(meeting, now)
    invitee.present = present
    invitee.marked_at = now
    record(meeting, "attended" if present else "absent", now, by, invitee=invitee)
    db.session.flush()
    return invitee


def walk_in(
    meeting: Meeting,
    *,
    by: Person,
    now: datetime,
    resident: Resident | None = None,
    name: str = "",
) -> MeetingInvitee:
    """Add someone who came uninvited, present: a resident of the area, or a name typed."""
    check_door_open(meeting, now)
    if resident is not None:
        existing = db.session.scalar(
            select(MeetingInvitee).where(
                MeetingInvitee.meeting_id == meeting.id,
                (MeetingInvitee.resident_id == resident.id)
                | (
                    MeetingInvitee.person_id == resident.person_id
                    if resident.person_id is not None
                    else MeetingInvitee.id.is_(None)
                ),
            )
        )
        if existing is not None:
            return mark(meeting, existing, present=True, by=by, now=now)
        row = MeetingInvitee(
            meeting_id=meeting.id,
            resident_id=resident.id,
            person_id=resident.person_id,
            name=resident.name,
            phone=_phone_of(resident),
        )
    else:
        typed = check_text(name, _("the name"), MAX_NAME, required=True)
        row = MeetingInvitee(meeting_id=meeting.id, name=typed)
    row.reply = Reply.NONE
    row.replied_via = ""
    row.walk_in = True
    row.present = True
    row.marked_at = now
    db.session.add(row)
    db.session.flush()
    record(meeting, "walk_in", now, by, invitee=row, detail=row.name)
    return row


# -- minutes and suggestions ------------------------------------------------------------------


def save_minutes(
    meeting: Meeting, *, minutes: str, decisions: str, by: Person, now: datetime
) -> Meeting:
    """Keep the minutes and decisions (written once the meeting has begun; may be corrected)."""
    if meeting.starts_at > now:
        raise DomainError(_("Minutes are written once the meeting has begun."))
    text = check_text(minutes, _("the minutes"), MAX_MINUTES, required=True)
    meeting.minutes = text
    meeting.decisions = check_text(decisions, _("the decisions"), MAX_MINUTES, required=False)
    first = meeting.minutes_at is None
    meeting.minutes_at = now
    record(meeting, "minutes", now, by, detail="" if first else "corrected")
    db.session.flush()
    return meeting


def add_suggestion(
    meeting: Meeting,
    *,
    text: str,
    by: Person,
    now: datetime,
    resident: Resident | None = None,
) -> MeetingSuggestion:
    """Note a resident's suggestion heard at the meeting."""
    if meeting.starts_at > now:
        raise DomainError(_("Suggestions are noted once the meeting has begun."))
    said = check_text(text, _("the suggestion"), MAX_SUGGESTION, required=True)
    suggestion = MeetingSuggestion(
        meeting_id=meeting.id,
        resident_id=resident.id if resident else None,
        text=said,
        by_id=by.id,
        created_at=now,
    )
    db.session.add(suggestion)
    db.session.flush()
    record(meeting, "suggestion", now, by, suggestion=suggestion)
    return suggestion


def to_need(suggestion: MeetingSuggestion, *, category: str, by: Person, now: datetime) -> Need:
    """Put a suggestion on the needs list (source: meeting), linked both ways."""
    meeting = suggestion.meeting
    if suggestion.need_id is not None:
        raise DomainError(_("This suggestion is already on the needs list."))
    if category not in CATEGORIES:
        raise InvalidInput(_("Choose a category for the need."))
    resident = db.session.get(Resident, suggestion.resident_id) if suggestion.resident_id else None
    need = needs.raise_need(
        community_id=meeting.community_id,
        household=resident.household if resident is not None else None,
        source=NeedSource.MEETING,
        by=by,
        category=category,
        text=suggestion.text,
        resident_id=resident.id if resident is not None else None,
        now=now,
    )
    if need.grid_id is None:
        need.grid_id = meeting.grid_id  # a grid meeting's suggestion belongs to that grid
    suggestion.need_id = need.id
    record(meeting, "to_need", now, by, suggestion=suggestion, need_id=need.id, detail=need.ref)
    db.session.flush()
    return need


def to_work_order(
    suggestion: MeetingSuggestion, *, category: str, by: Person, now: datetime, today: date
) -> str:
    """Turn a suggestion into a work order for its grid, through the needs list (the resident
    hears when it is done); return the order's code."""
    if suggestion.work_order_ref:
        raise DomainError(_("This suggestion is already a work order."))
    need = db.session.get(Need, suggestion.need_id) if suggestion.need_id is not None else None
    if need is None:
        need = to_need(suggestion, category=category, by=by, now=now)
    if need.grid_id is None:
        raise DomainError(
            _(
                "This suggestion belongs to no grid: it is on the needs list; decide it there "
                "or name the resident it came from."
            )
        )
    needs.decide(
        need,
        by=by,
        decision=Decision.WORK_ORDER,
        today=today,
        now=now,
        conversions={Decision.WORK_ORDER: from_need.to_order},
    )
    ref = need.converted_ref or ""
    suggestion.work_order_ref = ref
    meeting = suggestion.meeting
    record(meeting, "to_work_order", now, by, suggestion=suggestion, need_id=need.id, detail=ref)
    db.session.flush()
    return ref
