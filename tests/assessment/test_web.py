"""The assessment in the app: compute, adjust, publish (the board shows it at once), awards,
weights with bad input, who may open what, and one's own stars."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import (
    Assessment,
    AssessmentRow,
    AssessmentWeight,
    AuditEntry,
    Award,
    Street,
    SubjectKind,
    db,
    utcnow,
)
from pwa import auth
from services.administration import operations as administration
from services.assessment import operations
from tests.assessment.world import World
from tests.support import sign_in

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def world(make: Any) -> World:
    return World(make)


def _computed(client: FlaskClient, world: World) -> Assessment:
    sign_in(client, world.secretary.phone)
    response = client.post("/assessment/compute", data={"period": "2026-Q3"})
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.rollback()
    found = db.session.scalar(select(Assessment))
    assert found is not None
    return found


def _head_row(assessment: Assessment, world: World) -> AssessmentRow:
    return next(r for r in assessment.rows if r.post_id == world.head_post.id)


def test_secretary_computes_adjusts_publishes_and_the_board_shows_it(
    client: FlaskClient, world: World, redis_server: Any
) -> None:
    board = f"/c/{world.community.code}/board"
    before = client.get(board).get_data(as_text=True)
    assert "Assessment 2026 Q3" not in before  # and now the board's parts are kept
    assessment = _computed(client, world)
    page = client.get(f"/assessment/{assessment.id}").get_data(as_text=True)
    assert "刘楼长" in page and "Visit coverage" in page and "<strong>53</strong>" in page
    head = _head_row(assessment, world)

    # Bad input: a clear message, what was typed kept, nothing changed.
    response = client.post(
        f"/assessment/{assessment.id}/rows/{head.id}", data={"manual": "很多", "comment": "好"}
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "The manual score must be a number" in text and 'value="很多"' in text
    response = client.post(
        f"/assessment/{assessment.id}/rows/{head.id}", data={"manual": "15", "comment": "好"}
    )
    assert response.status_code == 422
    assert "from -10 to 10" in response.get_data(as_text=True)
    db.session.rollback()
    assert (_head_row(assessment, world).manual, _head_row(assessment, world).comment) == (0, "")

    response = client.post(
        f"/assessment/{assessment.id}/rows/{head.id}", data={"manual": "+7", "comment": "走访扎实"}
    )
    assert response.status_code == 302
    db.session.rollback()
    assert _head_row(assessment, world).total == 60.0

    assert "Assessment 2026 Q3" not in client.get(board).get_data(as_text=True)  # a draft
    response = client.post(f"/assessment/{assessment.id}/publish")
    assert response.status_code == 302
    shown = client.get(board).get_data(as_text=True)
    assert "Assessment 2026 Q3" in shown and "一网格" in shown and "★" in shown

    # Published: frozen, and saying so.
    response = client.post(
        f"/assessment/{assessment.id}/rows/{head.id}", data={"manual": "1", "comment": ""}
    )
    assert response.status_code == 422
    assert "is published: its figures are frozen" in response.get_data(as_text=True)
    response = client.post("/assessment/compute", data={"period": "2026-Q3"})
    assert response.status_code == 422
    db.session.rollback()
    assert _head_row(assessment, world).manual == 7

    response = client.post(
        f"/assessment/{assessment.id}/awards",
        data={"row_id": str(head.id), "name": "优秀楼栋长", "citation": "走访扎实"},
    )
    assert response.status_code == 302
    assert "优秀楼栋长" in client.get(board).get_data(as_text=True)
    response = client.post(
        f"/assessment/{assessment.id}/awards", data={"row_id": "x", "name": "奖"}
    )
    assert response.status_code == 422 and "Choose who receives" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Award)) == 1
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "assessment.publish"))
    reads = db.session.scalars(
        select(AuditEntry).where(
            AuditEntry.subject_type == "assessment", AuditEntry.action == "view"
        )
    ).all()
    assert reads


def test_bad_weights_lose_nothing(client: FlaskClient, world: World) -> None:
    sign_in(client, world.secretary.phone)
    assert client.get("/assessment/weights").status_code == 200
    typed = {
        "visit_coverage": "二十",
        "needs_answered": "20",
        "wishes_fulfilled": "15",
        "wishes_not_escalated": "5",
        "residents_rating": "15",
        "patrol_shifts_kept": "10",
        "meetings_attended": "10",
        "campaign_reach": "10",
        "pledge_rating": "10",
    }
    response = client.post("/assessment/weights", data=typed)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "The weight for “Visit coverage” must be a number." in text and 'value="二十"' in text
    response = client.post("/assessment/weights", data={**typed, "visit_coverage": "-1"})
    assert response.status_code == 422 and "from 0 to 100" in response.get_data(as_text=True)
    response = client.post("/assessment/weights", data={code: "0" for code in typed})
    assert response.status_code == 422
    assert "At least one weight must be more than 0." in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(AssessmentWeight)) == 0
    response = client.post("/assessment/weights", data={**typed, "visit_coverage": "40"})
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(AssessmentWeight)) == 9


def test_who_may_open_what(client: FlaskClient, world: World, make: Any) -> None:
    assessment = _computed(client, world)
    client.post("/sign-out")

    # Staff compute and adjust, but the secretary publishes, confers and sets weights.
    sign_in(client, world.staff.phone)
    assert client.get(f"/assessment/{assessment.id}").status_code == 200
    assert client.post(f"/assessment/{assessment.id}/publish").status_code == 404
    assert client.get("/assessment/weights").status_code == 404
    client.post("/sign-out")

    # A grid leader sees no draft, then only their grid's published rows.
    sign_in(client, world.leader2.phone)
    assert client.get(f"/assessment/{assessment.id}").status_code == 404
    assert "2026 Q3" not in client.get("/assessment").get_data(as_text=True)
    assert client.post("/assessment/compute", data={"period": "2026-Q3"}).status_code == 404
    db.session.rollback()
    operations.publish(db.session.get(Assessment, assessment.id), by=world.secretary, now=utcnow())
    db.session.commit()
    page = client.get(f"/assessment/{assessment.id}").get_data(as_text=True)
    assert "二网格" in page and "刘楼长" not in page and "一网格" not in page
    assert "Manual score and comment" not in page
    client.post("/sign-out")

    # A building head: their own stars, no assessment pages.
    sign_in(client, world.head.phone)
    assert client.get("/assessment").status_code == 404
    assert client.get(f"/assessment/{assessment.id}").status_code == 404
    mine = client.get("/my/stars").get_data(as_text=True)
    assert "2026 Q3" in mine and "★" in mine
    client.post("/sign-out")

    # The street's administrator: the street's weights and its communities' published results.
    street = Street(name="城关街道", code="chengguan")
    db.session.add(street)
    db.session.flush()
    world.community.street_id = street.id
    make.community(name="后街社区", code="houjie").street_id = street.id
    admin = make.person(name="街道管理员")
    administration.grant(admin, street=street, by=None, today=auth.today())
    db.session.commit()
    sign_in(client, admin.phone)
    page = client.get("/assessment/streets/chengguan").get_data(as_text=True)
    assert world.community.name in page and "2026 Q3" in page
    # The communities side by side: ranked by their grids' mean published total, the one
    # without a published assessment last.
    ranked = client.get("/assessment/streets/chengguan?period=2026-Q3").get_data(as_text=True)
    ours = ranked.index(f'data-row="{world.community.code}"')
    theirs = ranked.index('data-row="houjie"')
    assert ours < theirs and "not published" in ranked[theirs:]
    mean = db.session.scalar(
        select(func.avg(AssessmentRow.total)).where(
            AssessmentRow.assessment_id == assessment.id, AssessmentRow.subject_kind == "grid"
        )
    )
    assert f">{round(mean, 1):g}<" in ranked[ours:theirs]
    refused = client.get("/assessment/streets/chengguan?period=2026-Q9")
    assert refused.status_code == 422 and "such as 2026-Q3" in refused.get_data(as_text=True)
    shown = client.get(f"/assessment/streets/chengguan/{assessment.id}").get_data(as_text=True)
    assert "刘楼长" in shown and "Manual score and comment" not in shown
    response = client.post("/assessment/streets/chengguan/weights", data={"visit_coverage": "x"})
    assert response.status_code == 422
    assert client.get("/assessment/streets/other").status_code == 404
    assert client.get("/assessment").status_code == 404
    db.session.rollback()
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AssessmentRow)
            .where(AssessmentRow.subject_kind == SubjectKind.GRID)
        )
        == 2
    )


def test_year_end_and_unbegun_periods(client: FlaskClient, world: World) -> None:
    sign_in(client, world.secretary.phone)
    assert client.post("/assessment/compute", data={"period": "2026-Y"}).status_code == 302
    response = client.post("/assessment/compute", data={"period": "2030-Q1"})
    assert response.status_code == 422 and "has not begun yet" in response.get_data(as_text=True)
    response = client.post("/assessment/compute", data={"period": "soon"})
    assert response.status_code == 422 and "Choose a quarter" in response.get_data(as_text=True)
