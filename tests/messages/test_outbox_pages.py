"""The secretary's outbox: deliveries by state, retries, inbound texts, message previews."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import AuditEntry, Delivery, DeliveryState, DevInboxMessage, InboundMessage, db, utcnow
from notify import Message, inbound, send_later, templates
from pwa.views import outbox as outbox_views
from services.messages import outbox as outbox_admin
from tests.support import run_jobs, sign_in

_n = itertools.count(1)


@pytest.fixture
def world(client: FlaskClient, make: Any) -> SimpleNamespace:
    """A community with a signed-in secretary, and a second community with its own."""
    c = make.community(sms_signature="【新丰路社区】")
    other = make.community(sms_signature="【西园社区】")
    secretary = make.person(name="李书记")
    make.post(secretary, "secretary", community=c)
    other_secretary = make.person(name="王书记")
    make.post(other_secretary, "secretary", community=other)
    client.set_cookie("linli_lang", "en")
    sign_in(client, secretary.phone)
    return SimpleNamespace(c=c, other=other, secretary=secretary, other_secretary=other_secretary)


def _delivery(community: Any, person: Any = None, *, state: str = "delivered", **kw: Any) -> Any:
    phone = person.phone if person is not None else f"+86137{next(_n):08d}"
    key = f"p{person.id}" if person is not None else f"a{phone}"
    row = Delivery(
        batch_key=kw.pop("batch_key", f"test:{next(_n)}"),
        recipient_key=key,
        kind="notice",
        params={"text": "周六上午9点社区义诊"},
        community_id=community.id,
        person_id=person.id if person is not None else None,
        channels=[f"sms:{phone}"],
        channel="sms",
        address=phone,
        state=state,
        segments=1,
        **kw,
    )
    db.session.add(row)
    db.session.commit()
    return row


def _ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-id="(\d+)"', html)]


def _states(html: str) -> list[str]:
    return re.findall(r'<tr data-id="\d+" data-state="(\w+)"', html)


def _tile(html: str, label: str) -> int:
    found = re.search(
        r'<span class="tile-n">(\d+)</span><span class="tile-l">' + label + "</span>", html
    )
    assert found, label
    return int(found.group(1))


def _page(client: FlaskClient, community: Any, **params: Any) -> str:
    response = client.get("/secretary/outbox", query_string={"community": community.id, **params})
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_counts_and_filter_by_state(client: FlaskClient, world: SimpleNamespace) -> None:
    c = world.c
    for _ in range(3):
        _delivery(c)
    failed = [
        _delivery(c, state="failed", error_code="30005", error_reason="The number does not exist.")
        for _ in range(2)
    ]
    _delivery(c, state="suppressed", error_code="opted_out", error_reason="Unsubscribed.")
    _delivery(c, state="undelivered", error_code="30003", error_reason="Switched off.")
    twice = _delivery(c, state="sent", uncertain=True)
    elsewhere = _delivery(world.other, state="failed")

    html = _page(client, c)
    assert _tile(html, "delivered") == 3
    assert _tile(html, "failed") == 2
    assert _tile(html, "undelivered") == 1
    assert _tile(html, "suppressed") == 1
    assert _tile(html, "sent") == 1
    assert _tile(html, "uncertain") == 1
    assert _tile(html, "queued") == 0
    assert len(_ids(html)) == 8 and elsewhere.id not in _ids(html)
    assert "The number does not exist." in html and "Unsubscribed." in html
    assert "may have arrived twice" in html

    html = _page(client, c, state="failed")
    assert sorted(_ids(html)) == sorted(d.id for d in failed)
    assert set(_states(html)) == {"failed"}
    assert html.count(">Retry</button>") == 2

    html = _page(client, c, state="uncertain")
    assert _ids(html) == [twice.id]

    html = _page(client, c, state="delivered")
    assert ">Retry</button>" not in html and "The number does not exist." not in html

    # A state nobody offered: said so, and everything shown.
    html = _page(client, c, state="exploded")
    assert 'role="alert"' in html and "There is no state" in html
    assert len(_ids(html)) == 8


def test_uncertain_is_counted_across_states(client: FlaskClient, world: SimpleNamespace) -> None:
    # An uncertain delivery is counted in its state's tile and in "uncertain".
    c = world.c
    _delivery(c, state="sent", uncertain=True)
    _delivery(c, state="delivered", uncertain=True)
    _delivery(c, state="delivered")
    _delivery(world.other, state="delivered", uncertain=True)
    html = _page(client, c)
    assert _tile(html, "uncertain") == 2
    assert _tile(html, "delivered") == 2
    assert _tile(html, "sent") == 1


def test_pagination_newest_first(client: FlaskClient, world: SimpleNamespace) -> None:
    start = utcnow() - timedelta(days=1)
    rows = [
        Delivery(
            batch_key=f"page:{i}",
            recipient_key=f"a+8613700{i:06d}",
            kind="notice",
            params={"text": "x"},
            community_id=world.c.id,
            channels=[],
            channel="sms",
            address=f"+8613700{i:06d}",
            state="delivered",
            created_at=start + timedelta(minutes=i),
        )
        for i in range(120)
    ]
    db.session.add_all(rows)
    db.session.commit()
    newest_first = [r.id for r in sorted(rows, key=lambda r: r.created_at, reverse=True)]
    n = outbox_views.PER_PAGE
    pages = -(-120 // n)
    first = _page(client, world.c)
    assert _ids(first) == newest_first[:n]
    assert f"Page 1 of {pages}" in first and ">Older</a>" in first and ">Newer</a>" not in first
    second = _page(client, world.c, page=2)
    assert _ids(second) == newest_first[n : 2 * n]
    last = _page(client, world.c, page=pages)
    assert _ids(last) == newest_first[(pages - 1) * n :] and ">Older</a>" not in last
    assert _ids(_page(client, world.c, page=9)) == []


def test_counts_stop_at_the_cap_and_the_list_still_pages_to_its_end(
    client: FlaskClient, world: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A community's history grows with every notice: a count reads at most COUNT_CAP + 1
    entries and says "more than" past it, and the list pages on to its last row."""
    monkeypatch.setattr(outbox_admin, "COUNT_CAP", 3)
    monkeypatch.setattr(outbox_views, "PER_PAGE", 2)
    c = world.c
    ids = [_delivery(c, state="sent").id for _ in range(5)]
    ids.append(_delivery(c, state="failed").id)
    ids.append(_delivery(c, state="delivered", uncertain=True).id)
    _delivery(world.other, state="failed")

    html = _page(client, c)
    assert '<span class="tile-n">3+</span><span class="tile-l">sent</span>' in html
    assert _tile(html, "failed") == 1 and _tile(html, "delivered") == 1
    assert _tile(html, "uncertain") == 1 and _tile(html, "queued") == 0
    assert "More than 3 messages" in html
    seen: list[int] = []
    for page in range(1, 5):
        html = _page(client, c, page=page)
        seen += _ids(html)
        assert f'<span class="meta">Page {page}</span>' in html and " of " not in html
        assert (">Older</a>" in html) == (page < 4)
        assert (">Newer</a>" in html) == (page > 1)
    assert sorted(seen) == sorted(ids)

    sent = _page(client, c, state="sent", page=3)
    assert "More than 3 messages" in sent and len(_ids(sent)) == 1 and ">Older</a>" not in sent
    # Under the cap the count is exact, and a single page needs no page links.
    failed = _page(client, c, state="failed")
    assert "1 messages" in failed and _ids(failed) == [ids[5]] and "Page 1" not in failed
    client.set_cookie("linli_lang", "zh")
    assert "超过 3 条消息" in _page(client, c)


def test_htmx_gets_only_the_table(client: FlaskClient, world: SimpleNamespace) -> None:
    row = _delivery(world.c, state="failed", error_reason="Switched off.")
    response = client.get(
        "/secretary/outbox",
        query_string={"community": world.c.id, "state": "failed"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section class="card" id="deliveries">')
    assert "<html" not in html and "tile-n" not in html
    assert _ids(html) == [row.id]
    full = client.get("/secretary/outbox", query_string={"community": world.c.id})
    assert "HX-Request" in full.headers["Vary"]
    page = full.get_data(as_text=True)
    assert "<html" in page and 'hx-target="#deliveries"' in page


def test_retry_reaches_the_recipient_on_their_channels_as_they_are_now(
    app: Flask, client: FlaskClient, world: SimpleNamespace, make: Any
) -> None:
    household = make.household(make.building(make.grid(world.c)))
    grandma = make.resident(household, name="王奶奶", phone=None)
    send_later(
        Message(
            "notice", {"text": "周六义诊"}, batch_key="r:1", urgent=True, community_id=world.c.id
        ),
        to=[grandma],
    )
    db.session.commit()
    d = db.session.scalar(select(Delivery).where(Delivery.batch_key == "r:1"))
    assert d.state == DeliveryState.FAILED and d.error_code == "no_channel"
    # Nobody to reach yet: refused, nothing changed.
    response = client.post(f"/secretary/outbox/{d.id}/retry")
    assert response.status_code == 400
    assert "Still nobody to reach" in response.get_data(as_text=True)
    # The household gets a contact; and the failure is old enough to have gone stale.
    household.contact_phone = "+8613977778888"
    d.valid_until = utcnow() - timedelta(hours=1)
    db.session.commit()

    html = _page(client, world.c, state="failed")
    assert "王奶奶" in html and ">Retry</button>" in html
    response = client.post(f"/secretary/outbox/{d.id}/retry", data={"state": "failed"})
    assert response.status_code == 302
    assert "state=failed" in response.headers["Location"]
    db.session.expire_all()
    d = db.session.get(Delivery, d.id)
    assert d.state == DeliveryState.QUEUED and d.error_code is None and d.error_reason == ""
    assert d.channels == ["sms:+8613977778888"] and d.history[-1]["event"] == "retry"
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "delivery.retry"))
    assert audit.actor_id == world.secretary.id and audit.subject_id == d.id
    assert audit.community_id == world.c.id

    run_jobs(app)
    db.session.expire_all()
    assert db.session.get(Delivery, d.id).state == DeliveryState.DELIVERED
    body = db.session.scalar(
        select(DevInboxMessage.body).where(DevInboxMessage.phone == "+8613977778888")
    )
    assert body == "【新丰路社区】请转告王奶奶：周六义诊"


def test_retrying_what_did_not_fail_is_refused(
    client: FlaskClient, world: SimpleNamespace, make: Any
) -> None:
    for state in ("delivered", "queued", "sending", "suppressed"):
        d = _delivery(world.c, make.person(), state=state)
        response = client.post(f"/secretary/outbox/{d.id}/retry")
        assert response.status_code == 400, state
        assert "Only a failed or undelivered message can be sent again" in response.get_data(
            as_text=True
        )
        db.session.expire_all()
        assert db.session.get(Delivery, d.id).state == state
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 0


def test_retry_all_failed_in_the_filter(
    app: Flask, client: FlaskClient, world: SimpleNamespace, make: Any
) -> None:
    people = [make.person() for _ in range(3)]
    failed = [_delivery(world.c, p, state="failed", error_code="30003") for p in people[:2]]
    undelivered = _delivery(world.c, people[2], state="undelivered", error_code="30003")
    done = _delivery(world.c, make.person())
    elsewhere = _delivery(world.other, make.person(), state="failed")
    for row in (*failed, undelivered):
        row.urgent = True  # not held for quiet hours, whatever the time of the test run
    db.session.commit()

    response = client.post(
        "/secretary/outbox/retry-all", data={"community": world.c.id, "state": "failed"}
    )
    assert response.status_code == 302 and "retried=2" in response.headers["Location"]
    db.session.expire_all()
    assert [db.session.get(Delivery, d.id).state for d in failed] == ["queued", "queued"]
    assert db.session.get(Delivery, undelivered.id).state == "undelivered"

    response = client.post(
        "/secretary/outbox/retry-all", data={"community": world.c.id, "state": "all"}
    )
    assert "retried=1" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 messages queued to be sent again." in page
    run_jobs(app)
    db.session.expire_all()
    for d in (*failed, undelivered, done):
        assert db.session.get(Delivery, d.id).state == "delivered"
    assert db.session.get(Delivery, elsewhere.id).state == "failed"
    changes = select(func.count(AuditEntry.id)).where(AuditEntry.action != "view")
    assert db.session.scalar(changes) == 3
    # Opening the outbox page (phones, residents) is a read, audited apart from the retries.
    views = select(AuditEntry.subject_type).where(AuditEntry.action == "view")
    assert db.session.scalars(views).all() == ["outbox"]
    # A filter with nothing to retry retries nothing.
    response = client.post(
        "/secretary/outbox/retry-all", data={"community": world.c.id, "state": "queued"}
    )
    assert "retried=0" in response.headers["Location"]


def test_retry_all_in_a_state_nobody_offered_is_refused_and_changes_nothing(
    client: FlaskClient, world: SimpleNamespace, make: Any
) -> None:
    failed = _delivery(world.c, make.person(), state="failed", error_code="30003")
    response = client.post(
        "/secretary/outbox/retry-all", data={"community": world.c.id, "state": "exploded"}
    )
    assert response.status_code == 400
    assert "There is no state “exploded”" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Delivery, failed.id).state == "failed"
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 0


def test_one_retry_goes_back_to_the_whole_list_from_a_filter_or_page_it_cannot_read(
    client: FlaskClient, world: SimpleNamespace, make: Any
) -> None:
    d = _delivery(world.c, make.person(), state="failed", error_code="30003")
    response = client.post(
        f"/secretary/outbox/{d.id}/retry", data={"state": "exploded", "page": "two"}
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "retried=1" in location and "state=" not in location and "page=" not in location
    response = client.post(f"/secretary/outbox/{d.id}/retry", data={"state": "failed", "page": "3"})
    # Retried once already: the second is refused with the reason, on the error page.
    assert response.status_code == 400
    assert "this one is “queued”" in response.get_data(as_text=True)


def test_another_communitys_secretary_sees_nothing_and_cannot_retry(
    app: Flask, world: SimpleNamespace, make: Any
) -> None:
    mine = _delivery(world.c, make.person(), state="failed")
    theirs = _delivery(world.other, make.person(), state="failed")
    other_client = app.test_client()
    other_client.set_cookie("linli_lang", "en")
    sign_in(other_client, world.other_secretary.phone)
    html = _page(other_client, world.other)
    assert _ids(html) == [theirs.id]
    assert other_client.post(f"/secretary/outbox/{mine.id}/retry").status_code == 404
    assert (
        other_client.get("/secretary/outbox", query_string={"community": world.c.id}).status_code
        == 404
    )
    response = other_client.post(
        "/secretary/outbox/retry-all", data={"community": world.c.id, "state": "failed"}
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Delivery, mine.id).state == "failed"


def test_a_building_head_has_no_outbox(app: Flask, make: Any) -> None:
    c = make.community()
    head = make.person()
    make.post(head, "building_head", community=c, building=make.building(make.grid(c)))
    d = _delivery(c, make.person(), state="failed")
    client = app.test_client()
    sign_in(client, head.phone)
    for url in ("/secretary/outbox", "/secretary/outbox/inbound", "/secretary/outbox/kinds"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/secretary/outbox/{d.id}/retry").status_code == 404
    # Strangers are sent to sign in.
    assert app.test_client().get("/secretary/outbox").status_code == 302


def test_inbound_texts_with_unknown_senders(
    client: FlaskClient, world: SimpleNamespace, make: Any
) -> None:
    volunteer = make.person(name="张阿姨")
    make.post(volunteer, "patroller", community=world.c)
    stranger = make.person(name="外社区")
    make.post(stranger, "patroller", community=world.other)
    now = utcnow()
    for phone, text, sid in (
        (volunteer.phone, "帮助", "a"),
        ("+8613900009999", "楼道灯坏了", "b"),
        (stranger.phone, "别的社区的短信", "c"),
    ):
        inbound.handle(
            channel="sms", provider_id=f"SM{sid}", address=phone, phone=phone, text=text, now=now
        )
    db.session.commit()
    response = client.get("/secretary/outbox/inbound", query_string={"community": world.c.id})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # The command and the outcome by their names (the page is in English here), not their codes.
    assert "张阿姨" in html and ">HELP<" in html and "Understood and answered" in html
    assert ">help<" not in html and "handled" not in html
    assert "别的社区的短信" not in html
    # A stranger's text to no community's number is kept, but no community's staff see it
    # (issue 10: there is no district administrator to show it to).
    assert "楼道灯坏了" not in html and "unknown sender" not in html
    other_html = _inbound_as(client, world)
    assert "别的社区的短信" in other_html
    assert "张阿姨" not in other_html and "楼道灯坏了" not in other_html
    [kept] = db.session.scalars(select(InboundMessage).where(InboundMessage.text == "楼道灯坏了"))
    assert kept.community_id is None and kept.person_id is None


def test_each_community_sees_the_strangers_who_texted_its_own_number(
    client: FlaskClient, world: SimpleNamespace, make: Any
) -> None:
    world.c.sms_number = "+861069990001"
    world.other.sms_number = "+861069990002"
    resident_of_c = make.resident(make.household(make.building(make.grid(world.c))))
    resident_of_c.phone = "+8613900007777"
    db.session.commit()
    now = utcnow()
    for phone, to, text, sid in (
        ("+8613900009999", world.c.sms_number, "楼道灯坏了", "a"),
        ("+8613900008888", world.other.sms_number, "西园的路灯坏了", "b"),
        (resident_of_c.phone, world.c.sms_number, "谢谢社区", "c"),
    ):
        inbound.handle(
            channel="sms",
            provider_id=f"SM{sid}",
            address=phone,
            phone=phone,
            text=text,
            now=now,
            to=to,
        )
    db.session.commit()
    html = client.get("/secretary/outbox/inbound", query_string={"community": world.c.id}).get_data(
        as_text=True
    )
    assert "楼道灯坏了" in html and "139****9999" in html and "谢谢社区" in html
    assert html.count("unknown sender") == 1  # the resident on the roster is no stranger
    assert "西园的路灯坏了" not in html
    other_html = _inbound_as(client, world)
    assert "西园的路灯坏了" in other_html and "unknown sender" in other_html
    assert "楼道灯坏了" not in other_html and "谢谢社区" not in other_html


def _inbound_as(client: FlaskClient, world: SimpleNamespace) -> str:
    client.post("/sign-out")
    sign_in(client, world.other_secretary.phone)
    response = client.get("/secretary/outbox/inbound")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_every_message_kind_is_previewed(client: FlaskClient, world: SimpleNamespace) -> None:
    response = client.get("/secretary/outbox/kinds", query_string={"community": world.c.id})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert templates.KINDS
    for name, kind in templates.KINDS.items():
        assert f'id="kind-{name}"' in html
        zh = "【新丰路社区】" + kind.render("zh", kind.example)
        en = "【新丰路社区】" + kind.render("en", kind.example)
        assert _escaped(zh) in html and _escaped(en) in html
    assert "The example lacks" not in html and "too long for an SMS" not in html


def _escaped(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def test_the_area_page_links_the_outbox(client: FlaskClient, world: SimpleNamespace) -> None:
    html = client.get("/area").get_data(as_text=True)
    assert f"/secretary/outbox?community={world.c.id}" in html
    assert f"/secretary/outbox/inbound?community={world.c.id}" in html


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("中" * 71, "71 characters · 2 SMS (UCS-2) · ¥0.09"),
        ("中" * 70, "70 characters · 1 SMS (UCS-2) · ¥0.045"),
        ("a" * 160, "160 characters · 1 SMS (GSM-7) · ¥0.045"),
        ("", "0 characters · 0 SMS (GSM-7) · ¥0.00"),
    ],
)
def test_segment_count_for_anyone_signed_in(
    app: Flask, make: Any, text: str, expected: str
) -> None:
    client = app.test_client()
    client.set_cookie("linli_lang", "en")
    assert client.get("/sms/segments", query_string={"text": text}).status_code == 302
    sign_in(client, make.person().phone)  # no post at all: any signed-in person
    response = client.get("/sms/segments", query_string={"text": text})
    assert response.status_code == 200
    assert response.get_data(as_text=True).strip() == expected


def test_segment_count_includes_the_signature_and_warns_when_too_long(
    client: FlaskClient, world: SimpleNamespace
) -> None:
    signed = client.get(
        "/sms/segments", query_string={"text": "中" * 64, "signature": "【新丰路社区】"}
    ).get_data(as_text=True)
    assert signed.startswith("71 characters · 2 SMS (UCS-2)")
    long = client.get("/sms/segments", query_string={"text": "中" * 1601}).get_data(as_text=True)
    assert "1601 characters · 24 SMS (UCS-2)" in long and "Too long: at most 1600" in long


def test_a_communitys_number_is_set_from_the_command_line(
    app: Flask, world: SimpleNamespace
) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["sms-number", world.c.code, "010 6999 0001"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert world.c.sms_number == "+861069990001"
    taken = runner.invoke(args=["sms-number", world.other.code, "+861069990001"])
    assert taken.exit_code != 0 and world.c.code in taken.output
    assert runner.invoke(args=["sms-number", "nope", "+861069990002"]).exit_code != 0
    assert runner.invoke(args=["sms-number", world.c.code, "--clear"]).exit_code == 0
    db.session.expire_all()
    assert world.c.sms_number is None
