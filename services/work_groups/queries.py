"""Who may set a grid's robot, and what the settings page shows of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select

from models import Grid, GridRobot, Person, Post, db
from models.roles import Role
from services.errors import NotFound


def manageable_grids(person: Person, today: date) -> list[Grid]:
    """Return the grids whose robot the person may set: their grid as its grid leader, every
    grid of the community as its secretary."""
    posts = select(Post).where(
        Post.person_id == person.id,
        Post.active_on(today),
        Post.role.in_([Role.SECRETARY, Role.GRID_LEADER]),
    )
    communities = set()
    grids = set()
    for post in db.session.scalars(posts):
        if post.role == Role.SECRETARY:
            communities.add(post.community_id)
        elif post.grid_id is not None:
            grids.add(post.grid_id)
    if not communities and not grids:
        return []
    return list(
        db.session.scalars(
            select(Grid)
            .where(or_(Grid.community_id.in_(communities), Grid.id.in_(grids)))
            .order_by(Grid.community_id, Grid.number)
        )
    )


def get_manageable(person: Person, grid_id: int, today: date) -> Grid:
    """Return the grid when the person may set its robot; NotFound otherwise (as for none)."""
    for grid in manageable_grids(person, today):
        if grid.id == grid_id:
            return grid
    raise NotFound("not found")


@dataclass(frozen=True)
class RobotView:
    """What a page may show of a robot: never its address, only the last four characters."""

    grid: Grid
    last4: str | None


def robots(grids: list[Grid]) -> list[RobotView]:
    ids = [g.id for g in grids]
    found = {
        r.grid_id: r.last4
        for r in db.session.scalars(select(GridRobot).where(GridRobot.grid_id.in_(ids)))
    }
    return [RobotView(g, found.get(g.id)) for g in grids]


def robot_of(grid: Grid) -> GridRobot | None:
    return db.session.get(GridRobot, grid.id)
