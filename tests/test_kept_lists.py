"""Rows kept between pages (pwa/kept_lists.py): never stale, never another viewer's, and every
request's read still in the audit trail."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from models import AuditEntry, Household, Need, Person, Resident, Wish, db
from pwa import figures_cache
from tests.support import sign_in


def _views(subject_type: str) -> list[AuditEntry]:
    db.session.rollback()  # a fresh snapshot: the reads were written by their own transaction
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "view", AuditEntry.subject_type == subject_type)
            .order_by(AuditEntry.id)
        )
    )


def _place(make: Any) -> dict[str, Any]:
    community = make.community()
    grid = make.grid(community)
    other_grid = make.grid(community)
    building = make.building(grid)
    other_building = make.building(other_grid)
    secretary = make.person(name="王书记")
    make.post(secretary, "secretary", community=community)
    leader = make.person(name="李组长")
    make.post(leader, "grid_leader", community=community, grid=grid)
    household = make.household(building, room="501")
    resident = make.resident(household, name="王奶奶")
    far = make.household(other_building, room="301")
    far_resident = make.resident(far, name="王大爷")
    return {
        "c": community,
        "building": building,
        "secretary": secretary,
        "leader": leader,
        "household": household,
        "resident": resident,
        "far_resident": far_resident,
    }


def test_posts_list_rows_follow_every_change(client: FlaskClient, make: Any) -> None:
    place = _place(make)
    sign_in(client, place["secretary"].phone)
    url = f"/secretary/posts?community={place['c'].id}"
    page = client.get(url).get_data(as_text=True)
    assert "李组长" in page and "王书记" in page
    kept = len(figures_cache.KEPT._items)
    assert client.get(url).get_data(as_text=True) == page  # served from what was kept
    assert len(figures_cache.KEPT._items) == kept

    # A holder's name changed, a post added, a post ended: each shows at the next page.
    db.session.execute(update(Person).where(Person.id == place["leader"].id).values(name="李新"))
    db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert "李新" in page and "李组长" not in page
    newcomer = make.person(name="赵楼长")
    post = make.post(newcomer, "building_head", community=place["c"], building=place["building"])
    assert "赵楼长" in client.get(url).get_data(as_text=True)
    post.ends_on = date(2021, 1, 1)
    db.session.commit()
    assert "赵楼长" not in client.get(url).get_data(as_text=True)
    assert "赵楼长" in client.get(url + "&ended=1").get_data(as_text=True)

    # Another community's list is its own, even right after this one was kept.
    other = make.community()
    make.post(make.person(name="周书记"), "secretary", community=other)
    secretary = place["secretary"]
    make.post(secretary, "secretary", community=other)
    assert "周书记" not in client.get(url).get_data(as_text=True)
    page = client.get(f"/secretary/posts?community={other.id}").get_data(as_text=True)
    assert "周书记" in page and "李新" not in page


def test_a_buildings_households_follow_changes_and_every_read_is_audited(
    client: FlaskClient, make: Any
) -> None:
    place = _place(make)
    sign_in(client, place["secretary"].phone)
    url = f"/buildings/{place['building'].id}"
    assert "王奶奶" in client.get(url).get_data(as_text=True)
    assert "王奶奶" in client.get(url).get_data(as_text=True)
    # Kept rows or not, each page's read is recorded with the records it showed.
    reads = _views("building")
    assert len(reads) == 2
    for read in reads:
        assert read.actor_id == place["secretary"].id
        assert f" household:{place['household'].id} " in read.records
        assert f" resident:{place['resident'].id} " in read.records

    db.session.execute(
        update(Resident).where(Resident.id == place["resident"].id).values(name="王阿婆")
    )
    db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert "王阿婆" in page and "王奶奶" not in page
    make.resident(place["household"], name="王小妹")
    assert "王小妹" in client.get(url).get_data(as_text=True)
    db.session.execute(
        update(Household)
        .where(Household.id == place["household"].id)
        .values(moved_out_on=date(2021, 1, 1))
    )
    db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert "王阿婆" not in page and "王小妹" not in page
    assert len(_views("building")) == 4  # the last page showed nobody: nothing to record


def test_search_is_kept_per_area_and_every_read_is_audited(
    app: Flask, client: FlaskClient, make: Any
) -> None:
    place = _place(make)
    sign_in(client, place["secretary"].phone)
    page = client.get("/search?q=王").get_data(as_text=True)
    assert "王奶奶" in page and "王大爷" in page

    # The grid leader asks the same right after: only their grid, though the secretary's
    # results for the same words are kept.
    leader = app.test_client()
    sign_in(leader, place["leader"].phone)
    page = leader.get("/search?q=王").get_data(as_text=True)
    assert "王奶奶" in page and "王大爷" not in page
    page = leader.get("/search?q=王").get_data(as_text=True)
    assert "王大爷" not in page

    reads = _views("search")
    assert [r.actor_id for r in reads] == [place["secretary"].id] + [place["leader"].id] * 2
    assert f" resident:{place['far_resident'].id} " in reads[0].records
    for read in reads[1:]:
        assert f" resident:{place['far_resident'].id} " not in read.records
        assert f" resident:{place['resident'].id} " in read.records

    db.session.execute(
        update(Resident).where(Resident.id == place["resident"].id).values(name="王阿婆")
    )
    db.session.commit()
    page = leader.get("/search?q=王").get_data(as_text=True)
    assert "王阿婆" in page and "王奶奶" not in page


def _need_and_wish(place: dict[str, Any]) -> tuple[Need, Wish]:
    building, household = place["building"], place["household"]
    need = Need(
        community_id=place["c"].id,
        grid_id=building.grid_id,
        building_id=building.id,
        household_id=household.id,
        resident_id=place["resident"].id,
        source="visit",
        category="other",
        text="楼道灯坏了",
    )
    wish = Wish(
        community_id=place["c"].id,
        grid_id=building.grid_id,
        building_id=building.id,
        resident_id=place["resident"].id,
        category="other",
        text="想要一把椅子",
        via="head",
    )
    db.session.add_all([need, wish])
    db.session.commit()
    return need, wish


def test_needs_and_wishes_follow_changes_and_every_read_is_audited(
    app: Flask, client: FlaskClient, make: Any
) -> None:
    place = _place(make)
    need, wish = _need_and_wish(place)
    sign_in(client, place["secretary"].phone)
    leader = app.test_client()
    sign_in(leader, place["leader"].phone)
    for _ in range(2):
        page = client.get("/needs").get_data(as_text=True)
        assert "楼道灯坏了" in page and "处理并答复" in page
        page = leader.get("/needs").get_data(as_text=True)
        assert "楼道灯坏了" in page
        assert "想要一把椅子" in client.get("/area/wishes").get_data(as_text=True)
    needs_read, wishes_read = _views("needs"), _views("area wishes")
    assert [r.actor_id for r in needs_read] == [place["secretary"].id, place["leader"].id] * 2
    assert len(wishes_read) == 2
    for read in (*needs_read, *wishes_read):
        assert f" resident:{place['resident'].id} " in read.records

    db.session.execute(update(Need).where(Need.id == need.id).values(text="楼道灯还是坏的"))
    db.session.execute(update(Wish).where(Wish.id == wish.id).values(claimer_id=place["leader"].id))
    db.session.commit()
    assert "楼道灯还是坏的" in client.get("/needs").get_data(as_text=True)
    assert "李组长" in client.get("/area/wishes").get_data(as_text=True)
    db.session.execute(update(Need).where(Need.id == need.id).values(status="in_hand"))
    db.session.commit()
    assert "楼道灯还是坏的" not in client.get("/needs").get_data(as_text=True)
    assert "楼道灯还是坏的" in client.get("/needs?status=in_hand").get_data(as_text=True)


def test_coverage_and_the_visit_list_follow_changes_and_every_read_is_audited(
    app: Flask, client: FlaskClient, make: Any
) -> None:
    place = _place(make)
    place["household"].room = "甲501"  # room numbers alone are found in tokens too
    db.session.commit()
    sign_in(client, place["secretary"].phone)
    leader = app.test_client()
    sign_in(leader, place["leader"].phone)
    for _ in range(2):
        for who in (client, leader):
            for url in ("/coverage", "/visits"):
                page = who.get(url).get_data(as_text=True)
                assert "甲501" in page, url
    household = f" household:{place['household'].id} "
    for subject in ("coverage", "visit list"):
        reads = _views(subject)
        assert [r.actor_id for r in reads] == [place["secretary"].id, place["leader"].id] * 2
        assert all(household in r.records for r in reads)

    # The room renamed: both pages show it at once, for both viewers.
    db.session.execute(
        update(Household).where(Household.id == place["household"].id).values(room="乙909")
    )
    db.session.commit()
    for who in (client, leader):
        for url in ("/coverage", "/visits"):
            page = who.get(url).get_data(as_text=True)
            assert "乙909" in page and "甲501" not in page, url
    # Another grid's household is the secretary's only, though the leader's rows were kept.
    assert "1-301" in client.get("/coverage").get_data(as_text=True)
    assert "1-301" not in leader.get("/visits").get_data(as_text=True)
    assert "1-301" not in leader.get("/coverage").get_data(as_text=True)
