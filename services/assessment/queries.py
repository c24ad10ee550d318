"""What the assessment pages read: assessments, their rows, stars' history, the board's part."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.orm import selectinload

from models import (
    Assessment,
    AssessmentRow,
    AssessmentStatus,
    Award,
    Community,
    SubjectKind,
    db,
)
from models.roles import Role
from services.assessment.indicators import INDICATORS
from services.assessment.operations import period_of
from services.assessment.periods import Period


def of_community(community: Community, *, published_only: bool = False) -> list[Assessment]:
    query = select(Assessment).where(Assessment.community_id == community.id)
    if published_only:
        query = query.where(Assessment.status == AssessmentStatus.PUBLISHED)
    return list(
        db.session.scalars(query.order_by(Assessment.year.desc(), Assessment.quarter.desc()))
    )


def get(community: Community, assessment_id: int) -> Assessment | None:
    found = db.session.get(Assessment, assessment_id)
    if found is None or found.community_id != community.id:
        return None
    return found


def find(community: Community, period: Period) -> Assessment | None:
    return db.session.scalar(
        select(Assessment).where(
            Assessment.community_id == community.id,
            Assessment.year == period.year,
            Assessment.quarter == period.quarter,
        )
    )


def rows(assessment: Assessment, grid_ids: set[int] | None = None) -> list[AssessmentRow]:
    """Its rows, grids first then post-holders by role, each by rank; only these grids' when
    grid_ids is given (a grid leader's own grid)."""
    found = db.session.scalars(
        select(AssessmentRow)
        .where(AssessmentRow.assessment_id == assessment.id)
        .options(selectinload(AssessmentRow.values))
    ).all()
    if grid_ids is not None:
        found = [r for r in found if r.grid_id in grid_ids]
    return sorted(
        found,
        key=lambda r: (
            r.subject_kind != SubjectKind.GRID,
            r.role,
            r.rank is None,
            r.rank or 0,
            r.name,
        ),
    )


def indicator_columns() -> list[tuple[str, object]]:
    return [(i.code, i.title) for i in INDICATORS]


def awards(assessment: Assessment) -> list[Award]:
    return list(
        db.session.scalars(
            select(Award)
            .where(Award.assessment_id == assessment.id)
            .options(selectinload(Award.row))
            .order_by(Award.id)
        )
    )


@dataclass(frozen=True)
class Suggestion:
    row_id: int
    name: str  # the award's
    who: str


def suggestions(assessment: Assessment) -> list[Suggestion]:
    """Awards the stars suggest: every five-star grid (the best first), the best building head
    and N member with four stars or more."""
    found: list[Suggestion] = []
    best_head: AssessmentRow | None = None
    best_member: AssessmentRow | None = None
    for row in sorted(rows(assessment), key=lambda r: -(r.total or 0)):
        if row.stars is None:
            continue
        if row.subject_kind == SubjectKind.GRID and row.stars == 5:
            found.append(Suggestion(row.id, "五星网格", row.name))
        elif row.stars < 4:
            continue
        elif row.role == Role.BUILDING_HEAD:
            if best_head is None or (row.total or 0) > (best_head.total or 0):
                best_head = row
        elif row.subject_kind == SubjectKind.POST and (
            best_member is None or (row.total or 0) > (best_member.total or 0)
        ):
            best_member = row
    if best_head is not None:
        found.append(Suggestion(best_head.id, "优秀楼栋长", best_head.name))
    if best_member is not None:
        found.append(Suggestion(best_member.id, "优秀网格员", best_member.name))
    given = {(a.row_id, a.name) for a in awards(assessment)}
    return [s for s in found if (s.row_id, s.name) not in given]


@dataclass(frozen=True)
class StarsHistory:
    """One subject's stars per published period, oldest first."""

    name: str
    kind: str
    role: str
    stars: list[tuple[str, int | None, float | None]]  # (period label, stars, total)


def history(community: Community, *, grid_ids: set[int] | None = None) -> list[StarsHistory]:
    """Every starred subject's stars over the community's published assessments: grids by
    grid, post-holders by person and role."""
    published = of_community(community, published_only=True)[::-1]
    if not published:
        return []
    labels = {a.id: period_of(a).label for a in published}
    found = db.session.scalars(
        select(AssessmentRow).where(
            AssessmentRow.assessment_id.in_(labels), AssessmentRow.stars.is_not(None)
        )
    ).all()
    order = {a.id: n for n, a in enumerate(published)}
    by_subject: dict[tuple[str, int, str], list[AssessmentRow]] = {}
    key: tuple[str, int, str]
    for row in found:
        if grid_ids is not None and row.grid_id not in grid_ids:
            continue
        key = (
            (SubjectKind.GRID, row.grid_id or 0, "")
            if row.subject_kind == SubjectKind.GRID
            else (SubjectKind.POST, row.person_id or 0, row.role)
        )
        by_subject.setdefault(key, []).append(row)
    result = []
    for key, subject_rows in by_subject.items():
        subject_rows.sort(key=lambda r: order[r.assessment_id])
        latest = subject_rows[-1]
        result.append(
            StarsHistory(
                name=latest.name,
                kind=key[0],
                role=key[2],
                stars=[(labels[r.assessment_id], r.stars, r.total) for r in subject_rows],
            )
        )
    result.sort(key=lambda h: (h.kind != SubjectKind.GRID, h.role, h.name))
    return result


def person_history(person_id: int) -> list[tuple[str, str, int | None, float | None]]:
    """A person's stars in every published assessment: (community period, role, stars, total)."""
    found = db.session.execute(
        select(AssessmentRow, Assessment)
        .join(Assessment, Assessment.id == AssessmentRow.assessment_id)
        .where(
            AssessmentRow.person_id == person_id,
            AssessmentRow.stars.is_not(None),
            Assessment.status == AssessmentStatus.PUBLISHED,
        )
        .order_by(Assessment.year, Assessment.quarter)
    ).all()
    return [(period_of(a).label, r.role, r.stars, r.total) for r, a in found]


@dataclass(frozen=True)
class BoardPart:
    period: str
    grids: list[tuple[int | None, str, float | None, int | None]]  # rank, name, total, stars
    awards: list[tuple[str, str, str, str]]  # award, who, place, citation


def for_board(community: Community) -> BoardPart | None:
    """The latest published assessment's grids by rank with their stars, and its awards."""
    latest = db.session.scalar(
        select(Assessment)
        .where(
            Assessment.community_id == community.id,
            Assessment.status == AssessmentStatus.PUBLISHED,
        )
        .order_by(Assessment.year.desc(), Assessment.quarter.desc())
        .limit(1)
    )
    if latest is None:
        return None
    grids = [
        (r.rank, r.name, r.total, r.stars)
        for r in rows(latest)
        if r.subject_kind == SubjectKind.GRID
    ]
    return BoardPart(
        period=period_of(latest).label,
        grids=grids,
        awards=[(a.name, a.row.name, a.row.place, a.citation) for a in awards(latest)],
    )


@dataclass(frozen=True)
class Standing:
    """A community's place among its street's for one period: its grids' published totals."""

    community: str
    code: str
    assessment_id: int | None  # its published assessment of the period, if any
    average: float | None  # the mean of its grids' totals
    grids: int
    five_star_grids: int
    rank: int | None  # 1 is the best; None without a published assessment


def street_ranking(street_id: int, period: Period) -> list[Standing]:
    """The street's communities ranked by their grids' mean total in the period's published
    assessment, best first; those without one last, by name. One grouped query."""
    found = db.session.execute(
        select(
            Community.name,
            Community.code,
            Assessment.id,
            func.avg(AssessmentRow.total),
            func.count(AssessmentRow.id),
            func.count(AssessmentRow.id).filter(AssessmentRow.stars == 5),
        )
        .select_from(Community)
        .outerjoin(
            Assessment,
            and_(
                Assessment.community_id == Community.id,
                Assessment.year == period.year,
                Assessment.quarter == period.quarter,
                Assessment.status == AssessmentStatus.PUBLISHED,
            ),
        )
        .outerjoin(
            AssessmentRow,
            and_(
                AssessmentRow.assessment_id == Assessment.id,
                AssessmentRow.subject_kind == SubjectKind.GRID,
            ),
        )
        .where(Community.street_id == street_id)
        .group_by(Community.id, Community.name, Community.code, Assessment.id)
    ).all()
    ranked = sorted(
        found, key=lambda r: (r[3] is None, -(r[3] or 0.0), r[0])
    )  # the best mean first; ties and the unassessed by name
    out: list[Standing] = []
    for name, code, assessment_id, average, grids, five in ranked:
        rank = None
        if average is not None:
            rank = sum(1 for other in found if other[3] is not None and other[3] > average) + 1
        out.append(
            Standing(
                name,
                code,
                assessment_id,
                None if average is None else round(float(average), 1),
                int(grids),
                int(five),
                rank,
            )
        )
    return out
