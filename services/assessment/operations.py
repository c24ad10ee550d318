"""Computing a draft assessment, the secretary's manual scores, publishing, awards.

A draft may be computed again as often as wanted (each subject's manual score and comment are
kept); publishing freezes it: its rows are never written again, and any attempt says so.

The manual score is an adjustment of −10 to +10 points added to the weighted indicators
(the total stays within 0-100): the secretary's judgement moves a result, it does not
replace it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import (
    Assessment,
    AssessmentRow,
    AssessmentStatus,
    AssessmentValue,
    Award,
    Community,
    Grid,
    Person,
    Post,
    SubjectKind,
    db,
)
from models.roles import N_MEMBER_ROLES, Role
from notify.message import Message
from notify.outbox import send_later
from services import audit
from services.assessment import weights as weights_of
from services.assessment.indicators import GRID, INDICATORS, Scope, Subject, SubjectKey
from services.assessment.periods import YEAR, Period
from services.errors import DomainError

MANUAL_RANGE = (-10.0, 10.0)
DEFAULT_STAR_THRESHOLDS = (60.0, 70.0, 80.0, 90.0)  # 2, 3, 4 and 5 stars from these totals
DEFAULT_ANSWER_DAYS = 7
# Who is assessed besides the grids: the post-holders of the method (两长N员).
ASSESSED_ROLES = frozenset({Role.GRID_LEADER, Role.BUILDING_HEAD} | N_MEMBER_ROLES)
# Who gets stars: grids, building heads and N members.
STARRED_ROLES = frozenset({GRID, Role.BUILDING_HEAD} | {str(r) for r in N_MEMBER_ROLES})
AWARD_NAME_LENGTH = 40


def star_thresholds() -> tuple[float, ...]:
    if has_app_context():
        found = current_app.config.get("ASSESSMENT_STAR_THRESHOLDS")
        if found:
            return tuple(float(t) for t in found)
    return DEFAULT_STAR_THRESHOLDS


def answer_days() -> int:
    if has_app_context():
        return int(current_app.config.get("ASSESSMENT_ANSWER_DAYS", DEFAULT_ANSWER_DAYS))
    return DEFAULT_ANSWER_DAYS


def stars_for(total: float | None, thresholds: Sequence[float] | None = None) -> int | None:
    """1 star below the first threshold, one more for each threshold reached (5 at most)."""
    if total is None:
        return None
    found = thresholds if thresholds is not None else star_thresholds()
    return min(5, 1 + sum(1 for t in found if total >= t))


def refuse_if_published(assessment: Assessment) -> None:
    if assessment.published:
        raise DomainError(
            _(
                "The assessment of %(period)s is published: its figures are frozen and cannot "
                "be changed.",
                period=period_of(assessment).label,
            )
        )


def period_of(assessment: Assessment) -> Period:
    return Period(assessment.year, assessment.quarter)


# -- subjects ------------------------------------------------------------------------------


def _subjects(community: Community, period: Period) -> list[tuple[Subject, str, str]]:
    """Every grid, and every post of an assessed role held during the period: (subject,
    name, place)."""
    found: list[tuple[Subject, str, str]] = []
    for grid in db.session.scalars(
        select(Grid).where(Grid.community_id == community.id).order_by(Grid.number)
    ):
        found.append((Subject((GRID, grid.id), GRID, grid.id, None, None), grid.name, ""))
    posts = db.session.scalars(
        select(Post)
        .where(
            Post.community_id == community.id,
            Post.role.in_([str(r) for r in ASSESSED_ROLES]),
            Post.starts_on < period.ends,
            (Post.ends_on.is_(None)) | (Post.ends_on > period.starts),
        )
        .options(selectinload(Post.person), selectinload(Post.grid), selectinload(Post.building))
        .order_by(Post.role, Post.id)
    )
    for post in posts:
        grid_id = post.grid_id or (post.building.grid_id if post.building else None)
        place = post.building.label if post.building else (post.grid.name if post.grid else "")
        subject = Subject(
            (SubjectKind.POST, post.id), post.role, grid_id, post.building_id, post.person_id
        )
        found.append((subject, post.person.name, place))
    return found


# -- computing ------------------------------------------------------------------------------


def compute(
    community: Community, period: Period, *, by: Person, now: datetime, today: date
) -> Assessment:
    """Compute (or compute again) the draft assessment of a period from the records."""
    if period.starts > today:
        raise DomainError(_("%(period)s has not begun yet.", period=period.label))
    assessment = db.session.scalar(
        select(Assessment).where(
            Assessment.community_id == community.id,
            Assessment.year == period.year,
            Assessment.quarter == period.quarter,
        )
    )
    kept: dict[SubjectKey, tuple[float, str]] = {}
    if assessment is None:
        assessment = Assessment(community_id=community.id, year=period.year, quarter=period.quarter)
        db.session.add(assessment)
    else:
        refuse_if_published(assessment)
        kept = {_key(row): (row.manual, row.comment) for row in assessment.rows}
        assessment.rows.clear()
        db.session.flush()
    assessment.status = AssessmentStatus.DRAFT
    assessment.computed_at = now
    assessment.computed_by_id = by.id

    subjects = _subjects(community, period)
    scope = Scope(
        community_id=community.id,
        period=period,
        subjects=tuple(s for s, _name, _place in subjects),
        today=today,
        now=now,
        answer_days=answer_days(),
    )
    weights = weights_of.effective(community)
    values = {indicator.code: indicator.compute(scope) for indicator in INDICATORS}
    for subject, name, place in subjects:
        manual, comment = kept.get(subject.key, (0.0, ""))
        row = AssessmentRow(
            subject_kind=subject.key[0],
            grid_id=subject.grid_id,
            post_id=subject.key[1] if subject.key[0] == SubjectKind.POST else None,
            person_id=subject.person_id,
            role="" if subject.role == GRID else subject.role,
            name=name,
            place=place,
            manual=manual,
            comment=comment,
        )
        for indicator in INDICATORS:
            if subject.role in indicator.applies_to:
                row.values.append(
                    AssessmentValue(
                        indicator=indicator.code,
                        value=values[indicator.code].get(subject.key),
                        weight=weights[indicator.code],
                    )
                )
        assessment.rows.append(row)
        _total(row)
    _rank(assessment)
    db.session.flush()
    return assessment


def _key(row: AssessmentRow) -> SubjectKey:
    if row.subject_kind == SubjectKind.GRID:
        return (GRID, row.grid_id or 0)
    return (SubjectKind.POST, row.post_id or 0)


def _total(row: AssessmentRow) -> None:
    counted = [(v.value, v.weight) for v in row.values if v.value is not None and v.weight > 0]
    weight = sum(w for _v, w in counted)
    row.computed = round(sum(v * w for v, w in counted) / weight, 1) if weight else None
    if row.computed is None:
        row.total = None
    else:
        row.total = round(min(100.0, max(0.0, row.computed + row.manual)), 1)
    starred = GRID if row.subject_kind == SubjectKind.GRID else row.role
    row.stars = stars_for(row.total) if starred in STARRED_ROLES else None


def _rank(assessment: Assessment) -> None:
    """Rank grids among grids and post-holders among those of the same role (ties share)."""
    groups: dict[str, list[AssessmentRow]] = {}
    for row in assessment.rows:
        groups.setdefault(row.role if row.subject_kind == SubjectKind.POST else GRID, []).append(
            row
        )
    for rows in groups.values():
        ranked = sorted((r for r in rows if r.total is not None), key=lambda r: -(r.total or 0))
        previous: float | None = None
        rank = 0
        for place, row in enumerate(ranked, start=1):
            if row.total != previous:
                rank, previous = place, row.total
            row.rank = rank
        for row in rows:
            if row.total is None:
                row.rank = None


def score(row: AssessmentRow, *, manual: float, comment: str, by: Person) -> AssessmentRow:
    """The secretary's adjustment (−10 … +10) and comment on one subject of a draft."""
    assessment = row.assessment
    refuse_if_published(assessment)
    low, high = MANUAL_RANGE
    if not low <= manual <= high:
        raise DomainError(
            _("The manual score must be from %(low)s to %(high)s.", low=int(low), high=int(high))
        )
    comment = comment.strip()
    if len(comment) > 500:
        raise DomainError(_("The comment is too long (500 characters at most)."))
    row.manual = manual
    row.comment = comment
    _total(row)
    _rank(assessment)
    db.session.flush()
    return row


def publish(assessment: Assessment, *, by: Person, now: datetime) -> int:
    """Freeze the assessment and tell each starred post-holder their stars; returns how many."""
    refuse_if_published(assessment)
    if not assessment.rows:
        raise DomainError(_("There is nothing to publish: compute the assessment first."))
    assessment.status = AssessmentStatus.PUBLISHED
    assessment.published_at = now
    assessment.published_by_id = by.id
    audit.record(
        actor=by,
        community_id=assessment.community_id,
        action="assessment.publish",
        subject_type="assessment",
        subject_id=assessment.id,
        detail=period_of(assessment).code,
    )
    db.session.flush()
    return _tell_stars(assessment, now)


def _tell_stars(assessment: Assessment, now: datetime) -> int:
    period = period_of(assessment)
    rows = [
        r
        for r in assessment.rows
        if r.subject_kind == SubjectKind.POST and r.stars is not None and r.person_id
    ]
    people = {
        p.id: p
        for p in db.session.scalars(
            select(Person).where(Person.id.in_([r.person_id for r in rows]))
        )
    }
    told = 0
    for row in rows:
        person = people.get(row.person_id or 0)
        if person is None:
            continue
        send_later(
            Message(
                "assessment_stars_year" if period.quarter == YEAR else "assessment_stars",
                {
                    "year": period.year,
                    "quarter": period.quarter,
                    "stars": row.stars,
                    "total": f"{row.total:g}",
                },
                batch_key=f"assessment:{assessment.id}:stars:{row.id}",
                community_id=assessment.community_id,
            ),
            to=[person],
            now=now,
        )
        told += 1
    return told


# -- awards -------------------------------------------------------------------------------


def confer(
    assessment: Assessment,
    row: AssessmentRow,
    *,
    name: str,
    citation: str,
    by: Person,
    now: datetime,
) -> Award:
    """An award (优秀楼栋长, 五星网格) to one subject of a published assessment."""
    if not assessment.published:
        raise DomainError(_("Awards are conferred once the assessment is published."))
    if row.assessment_id != assessment.id:
        raise DomainError(_("That subject is not in this assessment."))
    name = name.strip()
    if not name:
        raise DomainError(_("Give the award a name."))
    if len(name) > AWARD_NAME_LENGTH:
        raise DomainError(
            _("The award's name is too long (%(most)s characters at most).", most=AWARD_NAME_LENGTH)
        )
    citation = citation.strip()
    if len(citation) > 300:
        raise DomainError(_("The citation is too long (300 characters at most)."))
    award = Award(
        community_id=assessment.community_id,
        assessment_id=assessment.id,
        row_id=row.id,
        name=name,
        citation=citation,
        conferred_by_id=by.id,
        conferred_at=now,
    )
    db.session.add(award)
    db.session.flush()
    audit.record(
        actor=by,
        community_id=assessment.community_id,
        action="assessment.award",
        subject_type="assessment",
        subject_id=assessment.id,
        detail=f"{name}: {row.name}",
    )
    return award
