"""Micro-wishes: posting, claiming, handing back, fulfilling, rating; who sees what; bad input."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select

from models import Delivery, Person, Photo, Resident, Wish, WishEvent, WishStatus, clock, db, utcnow
from pwa.views.needs import NEED_CONVERSIONS
from services.wishes import operations as wishes
from services.wishes import queries
from services.wishes.operations import WishError
from tests.support import sign_in

# The messages these tests read are the English ones.
pytestmark = pytest.mark.usefixtures("english")


@dataclass
class World:
    community: Any
    grid: Any
    building: Any
    household: Any
    resident: Resident
    resident_person: Person
    volunteer: Person  # an N member in the grid
    other_volunteer: Person  # another N member in the same grid
    far_volunteer: Person  # an N member in another grid
    head: Person  # the building head
    leader: Person  # the grid leader
    secretary: Person


@pytest.fixture
def w(make: Any) -> World:
    return build_world(make)


def build_world(make: Any) -> World:
    """Build a community with a resident, volunteers in and out of her grid, and the heads."""
    c = make.community()
    g = make.grid(c)
    g2 = make.grid(c)
    b = make.building(g, compound="幸福小区", name="3号楼")
    b2 = make.building(g2)
    h = make.household(b, unit="1", room="501")
    resident = make.resident(h, name="王奶奶", phone="+8613800000001")
    resident_person = make.person(name="王奶奶", phone="+8613800000001")
    resident.person_id = resident_person.id
    db.session.commit()
    volunteer = make.person(name="王师傅")
    make.post(volunteer, "patroller", community=c, grid=g)
    other = make.person(name="李师傅")
    make.post(other, "observer", community=c, building=b)
    far = make.person(name="赵师傅")
    make.post(far, "patroller", community=c, grid=g2)
    head = make.person(name="张楼长")
    make.post(head, "building_head", community=c, building=b)
    leader = make.person(name="刘组长")
    make.post(leader, "grid_leader", community=c, grid=g)
    secretary = make.person(name="陈书记")
    make.post(secretary, "secretary", community=c)
    make.household(b2)
    return World(
        c, g, b, h, resident, resident_person, volunteer, other, far, head, leader, secretary
    )


def _deliveries(kind: str) -> list[Delivery]:
    return list(db.session.scalars(select(Delivery).where(Delivery.kind == kind)))


def _count(model: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def _post(w: World, text: str = "厨房水龙头漏水，请帮忙看看", **kw: Any) -> Wish:
    wish = wishes.post_wish(
        resident=w.resident,
        category=kw.pop("category", "repair"),
        text=text,
        by=kw.pop("by", w.resident_person),
        via=kw.pop("via", "app"),
        **kw,
    )
    db.session.commit()
    return wish


# -- the whole life of a wish, in the service layer -------------------------------------------


def test_post_claim_fulfil_rate_tells_the_resident_at_each_step(w: World) -> None:
    wish = _post(w, need_id=77)
    assert wish.ref == f"W{wish.id}" and wish.status == WishStatus.OPEN
    assert wish.need_id == 77 and wish.grid_id == w.grid.id and wish.community_id == w.community.id
    [posted] = _deliveries("wish_posted")
    assert posted.person_id == w.resident_person.id and posted.ref == wish.ref

    wishes.claim(wish, by=w.volunteer, via="app")
    db.session.commit()
    assert wish.status == WishStatus.CLAIMED and wish.claimer_id == w.volunteer.id
    assert wish.resolved_level == 0
    [claimed] = _deliveries("wish_claimed")
    assert claimed.person_id == w.resident_person.id
    assert claimed.params["name"] == "王师傅"
    from notify import templates

    text = templates.render("wish_claimed", "zh", claimed.params)
    assert text == f"您的心愿{wish.ref}已由王师傅认领。"

    wishes.fulfil(wish, by=w.volunteer, note="换了新的水龙头")
    db.session.commit()
    [done] = _deliveries("wish_fulfilled")
    assert done.person_id == w.resident_person.id and done.params["note"] == "换了新的水龙头"
    # Telegram buttons send "评分 W12 n" back.
    assert [a[1] for a in done.params["_actions"]] == [f"评分 {wish.ref} {n}" for n in range(1, 6)]

    wishes.rate(wish, 5, by=w.resident_person)
    db.session.commit()
    assert wish.status == WishStatus.CONFIRMED and wish.rating == 5
    assert [d.person_id for d in _deliveries("wish_rated_claimer")] == [w.volunteer.id]
    assert _deliveries("wish_low_rating") == []  # a good rating troubles nobody

    events = queries.history(wish)
    assert [(e.action, e.actor_id) for e in events] == [
        ("posted", w.resident_person.id),
        ("claimed", w.volunteer.id),
        ("fulfilled", w.volunteer.id),
        ("rated", w.resident_person.id),
    ]
    assert events[3].detail == {"rating": 5}


def test_a_low_rating_goes_to_the_grid_leader(w: World) -> None:
    wish = _post(w)
    wishes.claim(wish, by=w.volunteer)
    wishes.fulfil(wish, by=w.volunteer, note="来看过了")
    wishes.rate(wish, 2, by=w.resident_person)
    db.session.commit()
    [low] = _deliveries("wish_low_rating")
    assert low.person_id == w.leader.id and low.params["rating"] == 2


def test_hand_back_returns_it_to_the_wall_and_tells_the_head(w: World) -> None:
    wish = _post(w)
    wishes.claim(wish, by=w.volunteer)
    db.session.commit()
    wishes.hand_back(wish, by=w.volunteer, reason="这周出差")
    db.session.commit()
    assert wish.status == WishStatus.OPEN and wish.claimer_id is None
    assert [d.person_id for d in _deliveries("wish_handed_back_head")] == [w.head.id]
    assert [d.person_id for d in _deliveries("wish_handed_back")] == [w.resident_person.id]
    # Another volunteer can now take it up; the first is told again on a second claim.
    wishes.claim(wish, by=w.other_volunteer)
    db.session.commit()
    assert len(_deliveries("wish_claimed")) == 2
    assert [e.action for e in queries.history(wish)] == [
        "posted",
        "claimed",
        "handed_back",
        "claimed",
    ]


def test_steps_out_of_turn_are_refused_and_change_nothing(w: World) -> None:
    wish = _post(w)
    with pytest.raises(WishError) as far:
        wishes.claim(wish, by=w.far_volunteer)  # another grid's volunteer
    assert far.value.code == "not_found"
    with pytest.raises(WishError) as own:
        wishes.claim(wish, by=w.resident_person)
    assert own.value.code in ("own", "not_found")
    with pytest.raises(WishError):
        wishes.fulfil(wish, by=w.volunteer, note="x")  # not claimed
    wishes.claim(wish, by=w.volunteer)
    db.session.commit()
    with pytest.raises(WishError) as taken:
        wishes.claim(wish, by=w.other_volunteer)
    assert taken.value.code == "taken"
    with pytest.raises(WishError) as not_yours:
        wishes.hand_back(wish, by=w.other_volunteer)
    assert not_yours.value.code == "not_yours"
    for note in ("", "   ", "x" * 501):
        with pytest.raises(WishError):
            wishes.fulfil(wish, by=w.volunteer, note=note)
    db.session.rollback()
    with pytest.raises(WishError):
        wishes.rate(wish, 5, by=w.resident_person)  # not fulfilled yet
    wishes.fulfil(wish, by=w.volunteer, note="好了")
    for bad in (0, 6, -1):
        with pytest.raises(WishError):
            wishes.rate(wish, bad, by=w.resident_person)
    wishes.rate(wish, 4, by=w.resident_person)
    with pytest.raises(WishError):
        wishes.rate(wish, 1, by=w.resident_person)
    db.session.commit()
    assert wish.status == WishStatus.CONFIRMED and wish.rating == 4
    assert wish.claimer_id == w.volunteer.id


def test_a_need_turned_into_a_wish_is_settled_when_the_wish_is_fulfilled(w: World) -> None:
    needs = pytest.importorskip("services.needs.operations")
    now = utcnow()
    need = needs.raise_need(
        community_id=w.community.id,
        household=w.household,
        source="visit",
        by=w.head,
        category="repairs",
        text="厨房水龙头漏水",
        now=now,
        resident_id=w.resident.id,
    )
    needs.decide(
        need,
        by=w.leader,
        decision="wish",
        today=clock.today_of(now),
        now=now,
        conversions=NEED_CONVERSIONS,
    )
    db.session.commit()
    wish = db.session.scalar(select(Wish).where(Wish.need_id == need.id))
    assert wish is not None and need.converted_ref == wish.ref
    assert wish.status == WishStatus.OPEN and wish.category == "repair"
    wishes.claim(wish, by=w.volunteer)
    wishes.fulfil(wish, by=w.volunteer, note="换了新的水龙头")
    db.session.commit()
    db.session.refresh(need)
    assert need.status == "answered" and "换了新的水龙头" in (need.answer or "")


# -- pages: privacy ------------------------------------------------------------------------------


PRIVATE = ("王奶奶", "501", "13800000001")


def _page(client: FlaskClient, path: str) -> tuple[int, str]:
    response = client.get(path)
    return response.status_code, response.get_data(as_text=True)


def test_only_the_claimer_and_the_heads_see_the_residents_details(
    w: World, client: FlaskClient
) -> None:
    wish = _post(w, via="app")
    wishes.claim(wish, by=w.volunteer)
    db.session.commit()
    wall_wish = _post(w, text="帮忙取快递", category="errand")

    # Another volunteer of the grid: the wall, but no name, room or phone anywhere in the HTML.
    sign_in(client, w.other_volunteer.phone)
    status, page = _page(client, "/wall")
    assert status == 200 and "帮忙取快递" in page and "3号楼" in page
    for secret in PRIVATE:
        assert secret not in page
    for target in (wish, wall_wish):
        status, page = _page(client, f"/wall/{target.id}")
        assert status == 200
        for secret in PRIVATE:
            assert secret not in page
    client.post("/sign-out")

    # The claimer sees them on the claimed wish.
    sign_in(client, w.volunteer.phone)
    status, page = _page(client, f"/wall/{wish.id}")
    assert status == 200 and all(secret in page for secret in PRIVATE)
    status, page = _page(client, f"/wall/{wall_wish.id}")  # not claimed by them
    assert not any(secret in page for secret in PRIVATE)
    client.post("/sign-out")

    for overseer in (w.head, w.leader, w.secretary):
        sign_in(client, overseer.phone)
        status, page = _page(client, f"/wall/{wall_wish.id}")
        assert status == 200 and all(secret in page for secret in PRIVATE), overseer.name
        status, page = _page(client, "/area/wishes")
        assert status == 200 and "王奶奶" in page
        client.post("/sign-out")

    # A volunteer of another grid does not even find it; a plain resident has no wall.
    sign_in(client, w.far_volunteer.phone)
    assert _page(client, f"/wall/{wish.id}")[0] == 404
    assert "帮忙取快递" not in _page(client, "/wall")[1]
    client.post("/sign-out")
    sign_in(client, w.resident_person.phone)
    assert _page(client, "/wall")[0] == 404
    assert _page(client, "/area/wishes")[0] == 404


def test_the_echo_wall_is_public_and_shows_no_personal_details(
    w: World, client: FlaskClient
) -> None:
    wish = _post(w)
    wishes.claim(wish, by=w.volunteer)
    wishes.fulfil(wish, by=w.volunteer, note="换了新的水龙头")
    wishes.rate(wish, 5, by=w.resident_person)
    open_one = _post(w, text="还没人认领的心愿")
    db.session.commit()
    status, page = _page(client, f"/c/{w.community.code}/echo")  # signed out
    assert status == 200
    assert "厨房水龙头漏水" in page and "换了新的水龙头" in page
    assert open_one.text not in page
    for secret in (*PRIVATE, "王师傅", "3号楼"):
        assert secret not in page
    assert _page(client, "/c/nope/echo")[0] == 404
    assert f"/c/{w.community.code}/echo" in _page(client, f"/c/{w.community.code}/board")[1]


def test_html_in_a_wish_is_shown_escaped(w: World, client: FlaskClient) -> None:
    sign_in(client, w.resident_person.phone)
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    response = client.post("/me/wishes", data={"category": "other", "text": evil})
    assert response.status_code == 302
    wish = db.session.scalar(select(Wish))
    assert wish is not None and wish.text == evil
    page = _page(client, "/me/wishes")[1]
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    # The page wrote since this test read (its audit read, the session): SQLite refuses to
    # turn that older read into a write ("database is locked"), so begin again.
    db.session.rollback()
    wish = db.session.get(Wish, wish.id)
    assert wish is not None
    wishes.claim(wish, by=w.volunteer)
    wishes.fulfil(wish, by=w.volunteer, note="<b>done</b>")
    db.session.commit()
    page = _page(client, f"/c/{w.community.code}/echo")[1]
    assert "<script>alert" not in page and "<img src=x" not in page and "<b>done" not in page
    assert "&lt;b&gt;done" in page


# -- pages: posting, with bad input ----------------------------------------------------------


def _png(size: tuple[int, int] = (2400, 1200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def test_a_resident_posts_a_wish_with_a_photo_and_volunteers_see_it(
    w: World, client: FlaskClient
) -> None:
    sign_in(client, w.resident_person.phone)
    assert "/me/wishes" in _page(client, "/me")[1]
    response = client.post(
        "/me/wishes",
        data={"category": "repair", "text": "楼道灯坏了", "photo": (io.BytesIO(_png()), "a.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    wish = db.session.scalar(select(Wish))
    assert wish is not None and wish.via == "app" and wish.photo is not None
    assert (wish.photo.width, wish.photo.height) == (1600, 800)
    page = _page(client, "/me/wishes")[1]
    assert wish.ref in page and "楼道灯坏了" in page
    client.post("/sign-out")
    # Not signed in: no photo.
    assert client.get(f"/wishes/{wish.id}/photo").status_code == 302
    sign_in(client, w.other_volunteer.phone)
    photo = client.get(f"/wishes/{wish.id}/photo")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert photo.headers["X-Content-Type-Options"] == "nosniff"
    client.post("/sign-out")
    sign_in(client, w.far_volunteer.phone)
    assert client.get(f"/wishes/{wish.id}/photo").status_code == 404


@pytest.mark.parametrize(
    ("text", "photo", "message"),
    [
        ("", None, "at most 500 characters"),
        ("   ", None, "at most 500 characters"),
        ("水" * 5000, None, "at most 500 characters"),
        ("楼道灯坏了", b"GIF89a this is not really a picture", "not a picture"),
        ("楼道灯坏了", b"<html><script>alert(1)</script></html>", "not a picture"),
    ],
)
def test_bad_wishes_get_a_clear_message_and_nothing_is_stored(
    w: World, client: FlaskClient, text: str, photo: bytes | None, message: str
) -> None:
    sign_in(client, w.resident_person.phone)
    data: dict[str, Any] = {"category": "repair", "text": text}
    if photo is not None:
        data["photo"] = (io.BytesIO(photo), "x.jpg")
    response = client.post("/me/wishes", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _count(Wish) == 0 and _count(Photo) == 0 and _count(WishEvent) == 0
    assert _deliveries("wish_posted") == []


def test_an_unknown_category_is_refused(w: World, client: FlaskClient) -> None:
    sign_in(client, w.resident_person.phone)
    response = client.post("/me/wishes", data={"category": "bribe", "text": "帮忙"})
    assert response.status_code == 400 and _count(Wish) == 0


class CountingStream(io.RawIOBase):
    """A 50 MB request body made up on the fly, counting how much the app reads of it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.pos = 0
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self.pos = self.size + offset if whence == io.SEEK_END else offset
        return self.pos

    def readinto(self, buffer: Any) -> int:
        n = max(min(len(buffer), self.size - self.pos), 0)
        buffer[:n] = b"\xff" * n
        self.pos += n
        self.read_bytes += n
        return n


def test_a_50_mb_photo_is_refused_unread_with_a_clear_page(
    app: Flask, w: World, client: FlaskClient
) -> None:
    sign_in(client, w.resident_person.phone)
    size = 50 * 1024 * 1024
    body = CountingStream(size)
    response = client.post(
        "/me/wishes",
        input_stream=body,
        content_type="multipart/form-data; boundary=XyZ",
        headers={"Content-Length": str(size)},
    )
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "larger than 10 MB" in page and "Nothing was posted" in page
    assert body.read_bytes < 1024 * 1024  # refused on its declared length, not buffered
    assert _count(Wish) == 0 and _count(Photo) == 0

    # With CSRF checking on, as in every real configuration, the form is read first by the
    # CSRF guard: the same clear page, still unread.
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        body = CountingStream(size)
        response = client.post(
            "/me/wishes",
            input_stream=body,
            content_type="multipart/form-data; boundary=XyZ",
            headers={"Content-Length": str(size)},
        )
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 413 and "larger than 10 MB" in response.get_data(as_text=True)
    assert body.read_bytes < 1024 * 1024
    assert _count(Wish) == 0 and _count(Photo) == 0


def test_a_head_posts_for_a_resident_without_a_phone(w: World, make: Any) -> None:
    h = make.household(
        w.building, room="602", contact_name="王小明", contact_phone="+8613900000002"
    )
    granny = make.resident(h, name="李奶奶", phone=None)
    from flask import current_app

    client = current_app.test_client()
    sign_in(client, w.head.phone)
    assert f"/area/residents/{granny.id}/wish" in _page(client, f"/residents/{granny.id}")[1]
    assert _page(client, f"/area/residents/{granny.id}/wish")[0] == 200
    response = client.post(
        f"/area/residents/{granny.id}/wish",
        data={"category": "escort", "text": "下周二想去医院复查，需要有人陪同"},
    )
    assert response.status_code == 302
    wish = db.session.scalar(select(Wish))
    assert wish is not None and wish.via == "head" and wish.posted_by_id == w.head.id
    assert wish.resident_id == granny.id
    # The resident hears of it through the household contact, who passes it on.
    [told] = _deliveries("wish_posted")
    assert told.resident_id == granny.id and told.address == "+8613900000002"
    # Bad input on this form too.
    response = client.post(f"/area/residents/{granny.id}/wish", data={"category": "escort"})
    assert response.status_code == 400 and _count(Wish) == 1
    client.post("/sign-out")
    # A head of another area cannot post for her.
    sign_in(client, w.far_volunteer.phone)
    assert _page(client, f"/area/residents/{granny.id}/wish")[0] == 404


# -- pages: claiming, handing back, fulfilling, rating ---------------------------------------


def test_claim_hand_back_fulfil_and_rate_through_the_pages(w: World, client: FlaskClient) -> None:
    wish = _post(w)
    sign_in(client, w.volunteer.phone)
    assert "/wall" in _page(client, "/my/work")[1]
    assert wish.ref in _page(client, "/wall")[1]
    assert client.post(f"/wall/{wish.id}/claim").status_code == 302
    page = _page(client, f"/wall/{wish.id}")[1]
    assert "王奶奶" in page and "Mark it done" in page
    assert client.post(f"/wall/{wish.id}/hand-back", data={"reason": "没空"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Wish, wish.id).status == WishStatus.OPEN
    client.post(f"/wall/{wish.id}/claim")
    response = client.post(f"/wall/{wish.id}/fulfil", data={"note": ""})
    assert response.status_code == 400 and "what was done" in response.get_data(as_text=True)
    assert client.post(f"/wall/{wish.id}/fulfil", data={"note": "修好了"}).status_code == 302
    client.post("/sign-out")

    # A second volunteer pressing claim late is told, politely.
    sign_in(client, w.other_volunteer.phone)
    response = client.post(f"/wall/{wish.id}/claim")
    assert response.status_code == 409
    client.post("/sign-out")

    sign_in(client, w.resident_person.phone)
    page = _page(client, "/me/wishes")[1]
    assert "修好了" in page and 'name="rating"' in page
    assert client.post(f"/me/wishes/{wish.id}/rate", data={"rating": "9"}).status_code == 400
    assert client.post(f"/me/wishes/{wish.id}/rate", data={"rating": "4"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Wish, wish.id).rating == 4


def test_secretary_figures(w: World, client: FlaskClient) -> None:
    now = utcnow()
    first = _post(w, now=now - timedelta(hours=30))
    wishes.claim(first, by=w.volunteer, now=now - timedelta(hours=20))
    _post(w, text="帮忙填表", category="paperwork", now=now - timedelta(hours=26))
    db.session.commit()
    result = queries.stats(w.community.id, now)
    assert result.total == 2
    assert result.by_status == {"claimed": 1, "open": 1}
    assert result.by_category == {"repair": 1, "paperwork": 1}
    assert result.median_wait_hours == 10.0
    assert result.open_over_a_day == 1 and result.longest_open_hours == 26.0
    grid_counts = dict((g.id, counts) for g, counts in result.by_grid)
    assert grid_counts[w.grid.id] == {"claimed": 1, "open": 1}

    sign_in(client, w.secretary.phone)
    status, page = _page(client, "/area/wishes/stats")
    assert status == 200 and "Median hours" in page
    client.post("/sign-out")
    sign_in(client, w.head.phone)
    assert _page(client, "/area/wishes/stats")[0] == 404
