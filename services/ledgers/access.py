"""Whose ledgers a person may open, and what they see in them.

The secretary and staff open their community's ledger (any grid's, any post's); a grid
leader their grid's (and the posts of their grid); every other post-holder their own post's
(their own work). Administrators open the ledgers of the communities they administer (the
view passes those in: their grants live in services/administration, which may later show
ledgers, so this package never imports it). Anything else is refused as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from models import Community, Grid, Person, Post, db
from models.roles import Permission, Role
from services.errors import InvalidInput, NotFound
from services.ledgers.rows import Scope, Viewer
from services.mediation.queries import reach_of as mediation_reach
from services.roster import permissions
from services.roster.posts import role_name


@dataclass(frozen=True)
class Reach:
    communities: frozenset[int]  # whole communities (secretary, staff, administrators)
    grids: frozenset[int]  # whole grids (grid leaders)
    posts: tuple[int, ...]  # the person's own posts

    @property
    def is_empty(self) -> bool:
        return not (self.communities or self.grids or self.posts)


def reach_of(person: Person, today: date, administered: Iterable[int] = ()) -> Reach:
    communities = set(administered)
    grids: set[int] = set()
    posts: list[int] = []
    for post in permissions.posts_with(person, Permission.SEE_LEDGERS, today):
        if post.role in (Role.SECRETARY, Role.STAFF):
            communities.add(post.community_id)
        elif post.role == Role.GRID_LEADER and post.grid_id is not None:
            grids.add(post.grid_id)
        posts.append(post.id)
    return Reach(frozenset(communities), frozenset(grids), tuple(posts))


def _community(community_id: int) -> Community:
    community = db.session.get(Community, community_id)
    if community is None:
        raise NotFound(_("Not found."))
    return community


def _grid_scope(grid: Grid) -> Scope:
    community = _community(grid.community_id)
    return Scope(community.id, community.name, grid_id=grid.id, grid_name=grid.name)


def _post_scope(post: Post) -> Scope:
    community = _community(post.community_id)
    grid = post.grid if post.grid is not None else (post.building.grid if post.building else None)
    return Scope(
        community.id,
        community.name,
        grid_name=grid.name if grid is not None else "",
        person_id=post.person_id,
        person_name=f"{post.person.name} · {role_name(post.role, post.community_id)}",
        post_id=post.id,
    )


def _post_grid(post: Post) -> int | None:
    if post.grid_id is not None:
        return post.grid_id
    return post.building.grid_id if post.building is not None else None


def resolve(
    reach: Reach,
    *,
    community_id: int | None = None,
    grid_id: int | None = None,
    post_id: int | None = None,
) -> Scope:
    """Return the ledger asked for, if the reach covers it.

    A community outside the reach is NotFound (the page answers 404). A grid or post that does
    not exist or lies outside is refused alike with a message (InvalidInput), so asking tells
    nothing about other communities.
    """
    if community_id is not None and community_id not in reach.communities:
        raise NotFound(_("Not found."))
    if post_id is not None:
        post = db.session.get(Post, post_id)
        if post is None or not (
            post.id in reach.posts
            or post.community_id in reach.communities
            or _post_grid(post) in reach.grids
        ):
            raise InvalidInput(_("That post is not among the ledgers you may open."))
        if community_id is not None and post.community_id != community_id:
            raise InvalidInput(_("That post is not among the ledgers you may open."))
        return _post_scope(post)
    if grid_id is not None:
        grid = db.session.get(Grid, grid_id)
        if grid is None or not (grid.community_id in reach.communities or grid.id in reach.grids):
            raise InvalidInput(_("That grid is not among the ledgers you may open."))
        if community_id is not None and grid.community_id != community_id:
            raise InvalidInput(_("That grid is not among the ledgers you may open."))
        return _grid_scope(grid)
    if community_id is not None:
        community = _community(community_id)
        return Scope(community.id, community.name)
    return default_scope(reach)


def default_scope(reach: Reach) -> Scope:
    """The widest ledger the person keeps: their community, else their grid, else their post."""
    if reach.communities:
        community = _community(min(reach.communities))
        return Scope(community.id, community.name)
    if reach.grids:
        grid = db.session.get(Grid, min(reach.grids))
        if grid is not None:
            return _grid_scope(grid)
    for post_id in reach.posts:
        post = db.session.get(Post, post_id)
        if post is not None:
            return _post_scope(post)
    raise NotFound(_("Not found."))


def viewer_of(person: Person, scope: Scope, today: date) -> Viewer:
    """What this person may see in this ledger besides counts and references.

    Residents' names, rooms and visit notes: only when their posts that may read visit notes
    cover the ledger's community or grid (an administrator, with no post, sees none).
    """
    area = permissions.area_with(person, Permission.SEE_VISIT_NOTES, today)
    grid_id = scope.grid_id
    if scope.kind == "post" and scope.post_id is not None:
        post = db.session.get(Post, scope.post_id)
        grid_id = _post_grid(post) if post is not None else None
    personal = scope.community_id in area.community_ids or (
        grid_id is not None and grid_id in area.grid_ids
    )
    disputes = mediation_reach(person, today)
    return Viewer(
        personal=personal,
        dispute_grids=disputes.grids,
        dispute_communities=disputes.communities,
    )


@dataclass(frozen=True)
class Choice:
    """One ledger the picker offers."""

    community_id: int
    grid_id: int | None
    post_id: int | None
    label: str


def choices(reach: Reach) -> list[Choice]:
    """Every ledger the person may open: communities, their grids, then posts."""
    out: list[Choice] = []
    communities = list(
        db.session.scalars(
            select(Community).where(Community.id.in_(reach.communities)).order_by(Community.name)
        )
    )
    grids = list(
        db.session.scalars(
            select(Grid)
            .where(Grid.community_id.in_(reach.communities) | Grid.id.in_(reach.grids))
            .order_by(Grid.community_id, Grid.number)
        )
    )
    names = {c.id: c.name for c in communities}
    for c in communities:
        out.append(Choice(c.id, None, None, c.name))
    for g in grids:
        prefix = names.get(g.community_id)
        out.append(Choice(g.community_id, g.id, None, f"{prefix} · {g.name}" if prefix else g.name))
    for post_id in reach.posts:
        post = db.session.get(Post, post_id)
        if post is not None:
            out.append(
                Choice(
                    post.community_id,
                    None,
                    post.id,
                    _("My work as %(role)s", role=role_name(post.role, post.community_id)),
                )
            )
    return out
