"""The demo community has wishes in every state, and the demo people each have one to act on."""

from __future__ import annotations

from collections import Counter

from flask import Flask
from sqlalchemy import select

from models import Delivery, Wish, WishEvent, db
from models.clock import today
from services.ledgers.demo import since_spare
from services.roster.demo import DEMO_PHONES
from tests.support import load_demo, sign_in


def test_demo_wishes_in_every_state_for_each_role(app: Flask) -> None:
    load_demo(app)
    with app.test_request_context():
        # Wishes' own demo: the ledgers' demo adds fulfilled ones in a past quarter.
        found = db.session.scalars(select(Wish).where(Wish.posted_at >= since_spare(today()))).all()
        assert Counter(w.status for w in found) == {
            "open": 4,
            "claimed": 2,
            "fulfilled": 1,
            "confirmed": 5,
        }
        assert {w.escalation_level for w in found} == {0, 1, 2}
        # Times make sense: escalated and claimed after posting, done after claiming.
        for wish in found:
            if wish.escalated_at:
                assert wish.escalated_at > wish.posted_at
            if wish.claimed_at:
                assert wish.claimed_at > wish.posted_at
                assert wish.escalated_at is None or wish.claimed_at > wish.escalated_at
            if wish.fulfilled_at:
                assert wish.claimed_at and wish.fulfilled_at > wish.claimed_at
        assert db.session.scalar(select(WishEvent.id).limit(1)) is not None
        assert db.session.scalar(select(Delivery.id).where(Delivery.kind.like("wish_%"))) is None

    client = app.test_client()
    with app.app_context():
        sign_in(client, DEMO_PHONES["resident"])
    page = client.get("/me/wishes").get_data(as_text=True)
    assert 'name="rating"' in page  # a fulfilled wish waits for their rating
    client.post("/sign-out")
    with app.app_context():
        sign_in(client, DEMO_PHONES["N member"])
    page = client.get("/wall").get_data(as_text=True)
    assert "Taken up by me" in page or "我认领的" in page
    client.post("/sign-out")
    with app.app_context():
        sign_in(client, DEMO_PHONES["secretary"])
    assert client.get("/area/wishes/stats").status_code == 200
