"""Pledges written and approved, the quarter's rating round opened, and households' ratings.

A household is the rater (the question goes to its contact phone; each of its residents who
signs in sees the same card), one rating per post per quarter. A second answer replaces the
first: a resident who pressed the wrong key, or whose view changed while the round is open,
is not stuck with it; the event keeps both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from models import (
    Community,
    Household,
    Person,
    Pledge,
    PledgeEvent,
    PledgePeriod,
    PledgeRating,
    PledgeRound,
    PledgeStatus,
    Post,
    db,
)
from models.roles import Role
from notify.message import Message
from notify.outbox import send_later
from notify.routing import Recipient
from services import audit
from services.errors import DomainError, InvalidInput
from services.pledges import messages
from services.pledges.queries import (
    ROLE_ZH,
    ROUND_DAYS,
    get_round,
    households_of,
    is_open,
    is_secretary,
    may_write,
    office_of,
    rated_posts,
)
from services.report_in.quarters import Quarter

MAX_LINES = 10
MAX_LINE_CHARS = 100


@dataclass(frozen=True)
class Period:
    kind: str  # PledgePeriod
    starts_on: date
    ends_on: date  # the first day after

    @classmethod
    def parse(cls, kind: str, code: str) -> Period:
        """A year ("2026") or a quarter ("2026-3"), as the form names it."""
        code = code.strip()
        if kind == PledgePeriod.YEAR:
            if not (code.isdigit() and 2000 <= int(code) <= 2100):
                raise InvalidInput(_("Write the year as four digits, e.g. 2026."))
            return cls(kind, date(int(code), 1, 1), date(int(code) + 1, 1, 1))
        if kind == PledgePeriod.QUARTER:
            quarter = Quarter.parse(code)
            if quarter is None:
                raise InvalidInput(_("Write the quarter as year-number, e.g. 2026-4."))
            return cls(kind, quarter.first, quarter.next.first)
        raise InvalidInput(_("Choose a year or a quarter."))


def _event(
    community_id: int,
    action: str,
    *,
    by: Person | None,
    now: datetime,
    post: Post | None = None,
    pledge: Pledge | None = None,
    rating: PledgeRating | None = None,
    grid_id: int | None = None,
    via: str = "app",
    detail: str = "",
) -> None:
    if grid_id is None and post is not None:
        grid_id = post.grid_id or (post.building.grid_id if post.building else None)
    db.session.add(
        PledgeEvent(
            community_id=community_id,
            grid_id=grid_id,
            post_id=post.id if post else None,
            pledge_id=pledge.id if pledge else None,
            rating_id=rating.id if rating else None,
            person_id=by.id if by else None,
            action=action,
            via=via,
            detail=detail,
            at=now,
        )
    )


def _clean(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise InvalidInput(_("Write at least one pledge, one a line."))
    if len(lines) > MAX_LINES:
        raise InvalidInput(_("At most %(n)d pledges, one a line.", n=MAX_LINES))
    if any(len(line) > MAX_LINE_CHARS for line in lines):
        raise InvalidInput(_("Each pledge fits in %(n)d characters.", n=MAX_LINE_CHARS))
    return "\n".join(lines)


def write(
    post: Post, *, by: Person, period: Period, text: str, now: datetime, today: date
) -> Pledge:
    """Write (or rewrite) a post's pledges for a period.

    The holder's words wait for the secretary; what the community's office writes is approved
    as it is written (the office is who approves).
    """
    if not may_write(by, post, today):
        raise DomainError(_("You may write pledges only for your own posts."))
    cleaned = _clean(text)
    pledge = db.session.scalar(
        select(Pledge).where(
            Pledge.post_id == post.id,
            Pledge.period == period.kind,
            Pledge.starts_on == period.starts_on,
        )
    )
    if pledge is None:
        pledge = Pledge(
            community_id=post.community_id,
            post_id=post.id,
            period=period.kind,
            starts_on=period.starts_on,
            ends_on=period.ends_on,
            written_by_id=by.id,
        )
        db.session.add(pledge)
    pledge.text = cleaned
    pledge.written_by_id = by.id
    pledge.written_at = now
    office = post.community_id in office_of(by, today)
    pledge.status = PledgeStatus.APPROVED if office else PledgeStatus.SUBMITTED
    pledge.approved_by_id = by.id if office else None
    pledge.approved_at = now if office else None
    db.session.flush()
    _event(post.community_id, "written", by=by, now=now, post=post, pledge=pledge)
    if office:
        _event(post.community_id, "approved", by=by, now=now, post=post, pledge=pledge)
    audit.record(
        actor=by,
        community_id=post.community_id,
        action="pledge.write",
        subject_type="post",
        subject_id=post.id,
        detail=f"{period.kind} {period.starts_on.isoformat()}",
    )
    db.session.flush()
    return pledge


def approve(pledge: Pledge, *, by: Person, now: datetime, today: date) -> Pledge:
    if pledge.community_id not in office_of(by, today):
        raise DomainError(_("Only the community's office approves pledges."))
    if pledge.status == PledgeStatus.APPROVED:
        raise DomainError(_("These pledges are already approved."))
    pledge.status = PledgeStatus.APPROVED
    pledge.approved_by_id = by.id
    pledge.approved_at = now
    _event(pledge.community_id, "approved", by=by, now=now, post=pledge.post, pledge=pledge)
    audit.record(
        actor=by,
        community_id=pledge.community_id,
        action="pledge.approve",
        subject_type="post",
        subject_id=pledge.post_id,
        detail=f"{pledge.period} {pledge.starts_on.isoformat()}",
    )
    db.session.flush()
    return pledge


def _posts_of(household: Household, posts: list[Post]) -> list[Post]:
    """The household's rated posts: its building's head first, then its grid's leader."""
    building = household.building
    heads = [p for p in posts if p.role == Role.BUILDING_HEAD and p.building_id == building.id]
    leaders = [p for p in posts if p.role == Role.GRID_LEADER and p.grid_id == building.grid_id]
    return heads + leaders


def _phone_of(household: Household) -> str | None:
    """The phone a household is asked on, if it may be texted (a resident consents).

    The contact phone first (who answers for the household), else a consenting resident's own.
    Opt-outs (退订) are kept at sending, as for every message.
    """
    living = [r for r in household.residents if r.deceased_on is None]
    consenting = [r for r in living if r.sms_consent or r.person_id is not None]
    if not consenting:
        return None
    if household.contact_phone:
        return household.contact_phone
    return next((r.phone for r in consenting if r.phone), None)


def _recipients(phones: set[str]) -> dict[str, Recipient]:
    """Whom each phone reaches: a person with that phone where they prefer (Telegram), else
    the phone by SMS. The reply comes from that phone either way, so the answerer finds it."""
    found: dict[str, Recipient] = {phone: phone for phone in phones}
    for person in db.session.scalars(select(Person).where(Person.phone.in_(phones))):
        found[person.phone] = person
    return found


def open_round(
    community: Community, quarter: Quarter, *, by: Person | None, now: datetime, today: date
) -> PledgeRound:
    """Open the rating of a quarter's pledges: a row per household and rated post, and each
    household with a phone asked about its first post (the next is asked on its answer)."""
    if by is not None and not is_secretary(by, community.id, today):
        raise DomainError(_("Only the secretary opens the rating of pledges."))
    if quarter.first > today:
        raise InvalidInput(_("A quarter can be rated once it has begun."))
    if get_round(community.id, quarter) is not None:
        raise DomainError(_("The rating of %(q)s is already open.", q=quarter.label()))
    round_ = PledgeRound(
        community_id=community.id,
        quarter_first=quarter.first,
        opened_at=now,
        opened_by_id=by.id if by else None,
        closes_on=today + timedelta(days=ROUND_DAYS),
    )
    db.session.add(round_)
    db.session.flush()
    last_day = min(quarter.next.first - timedelta(days=1), today)
    posts = rated_posts(community.id, last_day)
    # The first row of each household that may be texted, by the phone it is asked on; a
    # phone shared by two households answers for the first (one voice per phone).
    first: dict[str, PledgeRating] = {}
    for household in households_of(community.id):
        rows = [
            PledgeRating(
                round_id=round_.id,
                community_id=community.id,
                grid_id=household.building.grid_id,
                post_id=post.id,
                household_id=household.id,
            )
            for post in _posts_of(household, posts)
        ]
        if not rows:
            continue
        db.session.add_all(rows)
        phone = _phone_of(household)
        if phone is not None and phone not in first:
            first[phone] = rows[0]
    db.session.flush()
    _ask_all(round_, list(first.items()), quarter, now)
    asked = len(first)
    _event(
        community.id,
        "round_opened",
        by=by,
        now=now,
        detail=f"{quarter.code} asked={asked}",
    )
    if by is not None:
        audit.record(
            actor=by,
            community_id=community.id,
            action="pledge.round",
            subject_type="community",
            subject_id=community.id,
            detail=quarter.code,
        )
    db.session.flush()
    return round_


def _ask_all(
    round_: PledgeRound, asked: list[tuple[str, PledgeRating]], quarter: Quarter, now: datetime
) -> None:
    """Ask each household about its first post: one batch per post (the same words to all
    of its households), so a community's round is a few dozen sends, not thousands."""
    recipients = _recipients({phone for phone, _row in asked})
    by_post: dict[int, list[tuple[str, PledgeRating]]] = {}
    for phone, row in asked:
        row.asked_phone = phone
        row.asked_at = now
        by_post.setdefault(row.post_id, []).append((phone, row))
    for rows in by_post.values():
        post = rows[0][1].post
        send_later(
            Message(
                kind=messages.PLEDGE_RATE_ASK.name,
                params={
                    "post": ROLE_ZH.get(post.role, ""),
                    "name": post.person.name,
                    "quarter": quarter.sms_label(),
                },
                batch_key=f"pledge:{round_.id}:ask:post:{post.id}",
                community_id=round_.community_id,
            ),
            [recipients[phone] for phone, _row in rows],
            now=now,
        )
        for _phone, row in rows:
            _event(row.community_id, "asked", by=None, now=now, post=post, rating=row)


def rate(
    rating: PledgeRating, value: int, *, by: Person | None, via: str, now: datetime, today: date
) -> PledgeRating:
    """Record a household's 1-5 rating of a post's pledges; a second one replaces the first."""
    if not 1 <= value <= 5:
        raise InvalidInput(_("Rate with a number from 1 to 5."))
    if not is_open(rating.round, today):
        raise DomainError(_("This rating closed on %(day)s.", day=rating.round.closes_on))
    again = rating.value is not None
    detail = f"{rating.value}->{value}" if again else str(value)
    rating.value = value
    rating.rated_at = now
    rating.rated_via = via
    rating.rated_by_id = by.id if by else None
    _event(
        rating.community_id,
        "rerated" if again else "rated",
        by=by,
        now=now,
        post=rating.post,
        rating=rating,
        grid_id=rating.grid_id,
        via=via,
        detail=detail,
    )
    return rating


def ask_next(rating: PledgeRating, now: datetime) -> PledgeRating | None:
    """After a household's SMS answer, ask about its next post not yet asked (if any)."""
    if rating.asked_phone is None:
        return None
    following = db.session.scalar(
        select(PledgeRating)
        .where(
            PledgeRating.round_id == rating.round_id,
            PledgeRating.household_id == rating.household_id,
            PledgeRating.asked_at.is_(None),
            PledgeRating.value.is_(None),
        )
        .order_by(PledgeRating.id)
        .limit(1)
    )
    if following is None:
        return None
    following.asked_phone = rating.asked_phone
    following.asked_at = now
    _event(following.community_id, "asked", by=None, now=now, post=following.post, rating=following)
    db.session.flush()
    return following


def latest_question(phones: set[str]) -> PledgeRating | None:
    """The rating question last asked of these phones (answered or not: a new digit replaces)."""
    if not phones:
        return None
    return db.session.scalar(
        select(PledgeRating)
        .where(PledgeRating.asked_phone.in_(phones), PledgeRating.asked_at.is_not(None))
        .order_by(PledgeRating.asked_at.desc(), PledgeRating.id.desc())
        .limit(1)
    )


def open_due_rounds(now: datetime, today: date) -> list[PledgeRound]:
    """The periodic job: in a quarter's first days, open the rating of the quarter just ended
    in every community that has rated posts and has not opened it (a repeat opens nothing)."""
    quarter = Quarter.of(today).previous
    opened: list[PledgeRound] = []
    for community in db.session.scalars(select(Community).order_by(Community.id)):
        if get_round(community.id, quarter) is not None:
            continue
        if not rated_posts(community.id, quarter.next.first - timedelta(days=1)):
            continue
        opened.append(open_round(community, quarter, by=None, now=now, today=today))
    return opened
