"""Meetings' state changes: calling one (whom it invites, and telling them), and what the
feature's other changes share: the history, the messages, the limits on text. Answers and
attendance are in services.meetings.attendance; minutes and suggestions in
services.meetings.minutes.

The app, SMS and Telegram all come here, so they behave the same. Functions flush, never
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
    PartnerUnit,
    Person,
    Resident,
    db,
)
from models.clock import local
from models.meetings import MEETING_MINUTES, Reply
from notify.message import Message
from notify.outbox import send_later
from notify.routing import Recipient
from services.errors import InvalidInput
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


def phone_of(resident: Resident) -> str | None:
    """The number a resident is reached on: their own person's, else the one on the roster."""
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
            phone=phone_of(r),
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
