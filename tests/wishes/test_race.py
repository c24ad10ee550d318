"""Claiming under concurrency: many volunteers press "claim" at once; exactly one wins."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from models import Delivery, Wish, WishEvent, WishStatus, db
from models.base import writing
from services.wishes import operations as wishes
from services.wishes.operations import WishError

CLAIMERS = 8


def test_exactly_one_of_many_simultaneous_claims_wins(app: Flask, make: Any) -> None:
    c = make.community()
    g = make.grid(c)
    b = make.building(g)
    resident = make.resident(make.household(b), phone="+8613800000011")
    volunteers = []
    for _ in range(CLAIMERS):
        v = make.person()
        make.post(v, "patroller", community=c, grid=g)
        volunteers.append(v.id)
    wish = wishes.post_wish(resident=resident, category="repair", text="修灯", by=None, via="sms")
    db.session.commit()
    wish_id = wish.id
    db.session.remove()

    start = threading.Barrier(CLAIMERS)
    outcomes: dict[int, str] = {}

    def press(volunteer_id: int) -> None:
        # Each thread is its own web request: own app context, own session, own connection.
        with app.test_request_context("/wall", method="POST"):
            from models import Person

            person = db.session.get(Person, volunteer_id)
            target = db.session.get(Wish, wish_id)
            assert person is not None and target is not None
            db.session.commit()  # end the read, as the GET that showed the wall did
            start.wait(timeout=30)
            # The POST: a write transaction, as every non-GET request declares.
            with writing():
                try:
                    wishes.claim(target, by=person, via="app")
                    db.session.commit()
                    outcomes[volunteer_id] = "won"
                except WishError as error:
                    db.session.rollback()
                    outcomes[volunteer_id] = error.code
                finally:
                    db.session.remove()

    threads = [threading.Thread(target=press, args=(v,)) for v in volunteers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)

    assert len(outcomes) == CLAIMERS
    winners = [v for v, outcome in outcomes.items() if outcome == "won"]
    assert len(winners) == 1, outcomes
    assert {o for o in outcomes.values() if o != "won"} == {"taken"}
    wish = db.session.get(Wish, wish_id)
    assert wish is not None
    assert wish.status == WishStatus.CLAIMED and wish.claimer_id == winners[0]
    claims = db.session.scalar(
        select(func.count(WishEvent.id)).where(WishEvent.action == "claimed")
    )
    told = db.session.scalar(select(func.count(Delivery.id)).where(Delivery.kind == "wish_claimed"))
    assert claims == 1 and told == 1


def test_a_claim_on_a_stale_page_loses_to_the_committed_one(app: Flask, make: Any) -> None:
    """The conditional UPDATE, not the earlier read, decides: a stale "open" wish is not won."""
    c = make.community()
    g = make.grid(c)
    resident = make.resident(make.household(make.building(g)), phone="+8613800000012")
    first, late = make.person(), make.person()
    make.post(first, "patroller", community=c, grid=g)
    make.post(late, "patroller", community=c, grid=g)
    wish = wishes.post_wish(resident=resident, category="repair", text="修灯", by=None, via="sms")
    db.session.commit()
    # The late volunteer's page loaded the wish while it was still open...
    stale = db.session.get(Wish, wish.id)
    assert stale is not None and stale.status == WishStatus.OPEN
    stale.resident.person_id  # noqa: B018  loaded now, as the page did
    db.session.expunge(stale)
    db.session.commit()

    # ...then another request claimed it and committed.
    def other_request() -> None:
        with app.test_request_context("/wall", method="POST"), writing():
            wishes.claim(db.session.get(Wish, wish.id), by=db.session.merge(first), via="app")
            db.session.commit()
            db.session.remove()

    thread = threading.Thread(target=other_request)
    thread.start()
    thread.join(timeout=60)

    db.session.add(stale)  # still says "open" in memory
    assert stale.status == WishStatus.OPEN
    try:
        wishes.claim(stale, by=late, via="app")
        raise AssertionError("the stale claim won")
    except WishError as error:
        assert error.code == "taken"
    db.session.rollback()
    fresh = db.session.get(Wish, wish.id)
    assert fresh is not None and fresh.claimer_id == first.id
