"""Observers' reports: a public problem with a place and a photo, from the page, by SMS through
the fake Twilio and on Telegram through the fake Bot API; it lands on the grid's needs list
with its source and reporter, and the reporter hears the answer. Bad input is refused with a
clear message and nothing is saved."""

from __future__ import annotations

import io
import itertools
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select

from models import Delivery, Need, NeedEvent, NeedSource, NeedStatus, db, utcnow
from notify import inbound
from pwa import auth
from services.needs import operations as needs
from services.reports import commands as report_commands
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio
from tests.messages.test_telegram import _link, _send
from tests.needs.test_referrals import FROM, PUBLIC
from tests.support import run_jobs
from tests.visits.test_visits import Place, sign_in_en

_ids = itertools.count(1)


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 120, 10)).save(out, format="PNG")
    return out.getvalue()


def _needs() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(Need.id))) or 0


def _sms(phone: str, text: str, channel: str = "sms", person: Any = None) -> str:
    handled = inbound.handle(
        channel=channel,
        provider_id=f"R{next(_ids)}",
        address=phone if channel == "sms" else "5151",
        phone=phone,
        person=person,
        text=text,
        now=utcnow(),
    )
    db.session.commit()
    return handled.reply or ""


def test_an_observer_reports_with_a_building_and_a_photo_and_hears_the_answer(
    client: FlaskClient, place: Place, make: Any
) -> None:
    sign_in_en(client, place.observer.phone)
    form = client.get("/reports/new").get_data(as_text=True)
    # The buildings of the observer's grid, not another grid's.
    assert "3号楼" in form and "5号楼" in form and "9号楼" not in form
    response = client.post(
        "/reports/new",
        data={
            "text": "路灯不亮，晚上很黑",
            "category": "repairs",
            "building_id": str(place.neighbour.id),
            "place": "2单元门口",
            "photo": (io.BytesIO(_png()), "light.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "the grid leader answers it" in page and "路灯不亮" in page  # my reports
    need = db.session.scalar(select(Need))
    assert need is not None
    assert need.household_id is None and need.building_id == place.neighbour.id
    assert need.grid_id == place.grid.id and need.place == "2单元门口"
    assert need.source == NeedSource.OBSERVER and need.raised_by_id == place.observer.id
    assert need.photo is not None and need.where.endswith("5号楼 2单元门口")
    assert db.session.scalar(select(NeedEvent.action)) == "reported"
    # The reporter sees the photo; so does the grid leader, on the needs list.
    assert client.get(f"/needs/{need.id}/photo").status_code == 200
    client.get("/sign-out")
    sign_in_en(client, place.leader.phone)
    listed = client.get("/needs").get_data(as_text=True)
    assert "路灯不亮" in listed and "5号楼 2单元门口" in listed and "Observer" in listed
    assert f"/needs/{need.id}/photo" in listed
    shown = client.get(f"/needs/{need.id}/photo")
    assert shown.status_code == 200 and shown.mimetype.startswith("image/")
    # The head of 3号楼 does not see a problem at 5号楼 (nor its photo).
    head = make.person()
    make.post(head, "building_head", community=place.community, building=place.building)
    other = client.application.test_client()
    sign_in_en(other, head.phone)
    assert other.get(f"/needs/{need.id}/photo").status_code == 404
    # The grid leader answers: the reporter hears it.
    decided = client.post(
        f"/needs/{need.id}/decide", data={"decision": "solved", "answer": "物业已换灯泡"}
    )
    assert decided.status_code == 302
    told = db.session.scalar(select(Delivery).where(Delivery.kind == "need_solved"))
    assert told is not None and told.person_id == place.observer.id
    assert told.params["answer"] == "物业已换灯泡"


def test_bad_reports_are_refused_with_what_was_typed_kept(
    client: FlaskClient, place: Place
) -> None:
    sign_in_en(client, place.observer.phone)

    def post(**data: Any) -> str:
        fields = {"text": "下水道堵了", "category": "environment", "building_id": "", "place": ""}
        fields.update(data)
        response = client.post("/reports/new", data=fields, content_type="multipart/form-data")
        assert response.status_code == 422
        return response.get_data(as_text=True)

    nowhere = post()
    assert "Say where the problem is" in nowhere and "下水道堵了" in nowhere
    elsewhere = post(building_id=str(place.far.id))
    assert "Choose a building of your area" in elsewhere
    assert "Choose a building of your area" in post(building_id="abc")
    empty = post(text="  ", place="东门")
    assert "its text is empty" in empty and 'value="东门"' in empty
    assert "Choose a category" in post(category="plumbing", place="东门")
    assert "under 100" in post(place="长" * 101)
    picture = post(place="东门", photo=(io.BytesIO(b"not an image"), "x.png"))
    assert "not a picture" in picture and "下水道堵了" in picture
    assert _needs() == 0


def test_those_without_a_post_that_notes_needs_cannot_report(
    client: FlaskClient, make: Any, place: Place
) -> None:
    patroller = make.person()
    make.post(patroller, "patroller", community=place.community, grid=place.grid)
    sign_in_en(client, patroller.phone)
    assert client.get("/reports/new").status_code == 404
    assert client.post("/reports/new", data={"text": "x"}).status_code == 404
    assert "需求" in _sms(patroller.phone, "反映 5号楼路灯坏了")
    assert _needs() == 0


def test_a_report_by_sms_through_twilio_and_the_answer_back(
    app: Flask, client: FlaskClient, place: Place, twilio: FakeTwilio
) -> None:
    twilio.app_client = client
    hook = PUBLIC + "/webhooks/twilio/sms"
    assert (
        twilio.send_inbound_sms(hook, place.observer.phone, FROM, "反映 5号楼路灯坏了").status
        == 200
    )
    run_jobs(app)
    [reply] = twilio.wait_for(1)
    assert reply["to"] == place.observer.phone and "已记录问题N" in reply["body"]
    need = db.session.scalar(select(Need))
    assert need is not None and need.text == "5号楼路灯坏了"
    # The building named in the text is the need's building, in the observer's grid.
    assert need.building_id == place.neighbour.id and need.grid_id == place.grid.id
    assert need.category == "other" and need.source == NeedSource.OBSERVER
    needs.decide(
        need,
        by=place.leader,
        decision="solved",
        answer="已报修，今晚修好",
        today=auth.today(),
        now=utcnow(),
    )
    db.session.commit()
    run_jobs(app)
    answer = twilio.wait_for(2)[1]
    assert answer["to"] == place.observer.phone
    assert "5号楼路灯坏了" in answer["body"] and "已报修，今晚修好" in answer["body"]


def test_reports_by_sms_with_a_place_a_category_or_nothing(place: Place) -> None:
    observer = place.observer.phone
    assert "请写上问题和地点" in _sms(observer, "反映")
    assert "请写上问题和地点" in _sms(observer, "反映 物业")
    assert _needs() == 0
    # No building named: the text is the place, in the observer's grid; a category word files it.
    assert "已记录问题" in _sms(observer, "反映 安全：东门外井盖松动")
    need = db.session.scalar(select(Need))
    assert need is not None and need.category == "safety" and need.text == "东门外井盖松动"
    assert need.building_id is None and need.grid_id == place.grid.id
    assert need.place == "东门外井盖松动"
    # English and full-width forms are the same command; a category needs its separator.
    assert "已记录问题" in _sms(observer, "ＲＥＰＯＲＴ 物业公司没人接电话")
    latest = db.session.scalar(select(Need).order_by(Need.id.desc()))
    assert latest is not None and latest.category == "other"
    assert latest.text == "物业公司没人接电话"
    assert report_commands.split_category("物业 电梯停了") == ("property", "电梯停了")
    assert report_commands.split_category("property: lift") == ("property", "lift")


def test_a_report_on_telegram_goes_to_the_needs_list(
    fake: FakeTelegram,
    place: Place,
) -> None:
    _link(fake, place.observer, 8801)
    assert _send(fake, fake.text_update(8801, 8801, "反映 3号楼楼道堆满杂物")) == 200
    fake.wait_for(2, chat_id=8801)
    assert "已记录问题N" in str(fake.chats[8801][-1]["text"])
    need = db.session.scalar(select(Need))
    assert need is not None and need.building_id == place.building.id
    assert need.raised_by_id == place.observer.id and need.status == NeedStatus.OPEN


def test_help_lists_the_report_command_for_observers(place: Place) -> None:
    assert "反映" in _sms(place.observer.phone, "帮助")
