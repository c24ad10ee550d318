"""Campaigns on the web and by SMS alone: the secretary counts, confirms and starts one; the
head ticks a household in one tap; the SMS goes through the outbox and the provider's webhook
brings the "1" back; residents read their policy; bad input keeps what was typed."""

from __future__ import annotations

import io
from datetime import time, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select

from models import AuditEntry, Campaign, CampaignHousehold, DevInboxMessage, db
from models.clock import today
from services.campaigns import operations
from tasks import campaigns as campaign_jobs
from tests.campaigns.test_campaigns import Town
from tests.messages.test_inbound import _sms, twilio_app  # noqa: F401 (a fixture)
from tests.support import run_jobs, sign_in

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def town(make: Any) -> Town:
    t = Town(make)
    # No quiet hours here, so the SMS goes whatever the clock says.
    t.community.quiet_from = t.community.quiet_until = time(0, 0)
    db.session.commit()
    return t


def _form(town: Town, **kw: Any) -> dict[str, Any]:
    form = {
        "title": "医保缴费",
        "summary": "医保12月31日前缴费，每人380元。",
        "full_text": "缴费方式：到社区服务站现场缴纳。",
        "deadline": (today() + timedelta(days=20)).isoformat(),
        "min_age": "70",
        "grids": [str(town.grid1.id)],
    }
    form.update(kw)
    return form


def test_secretary_counts_confirms_and_starts_a_campaign(client: FlaskClient, town: Town) -> None:
    sign_in(client, town.secretary.phone)
    assert client.get("/campaigns/new").status_code == 200
    counted = client.post("/campaigns/new", data={**_form(town), "preview": "1"})
    html = counted.get_data(as_text=True)
    assert counted.status_code == 200 and "4 households, 4 residents concerned" in html
    assert "3 of them can get the SMS" in html
    asked = client.post("/campaigns/new", data=_form(town))
    assert asked.status_code == 200 and 'data-count="4"' in asked.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Campaign.id))) == 0  # asked, not saved
    done = client.post("/campaigns/new", data={**_form(town), "confirmed": "4"})
    assert done.status_code == 302
    campaign = db.session.scalar(select(Campaign))
    assert campaign is not None and campaign.household_count == 4
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Campaign started: 4 households to tell" in page
    assert "0 / 4" in page


def test_bad_input_keeps_what_was_typed(client: FlaskClient, town: Town) -> None:
    sign_in(client, town.secretary.phone)
    long_title = "很" * 20
    answer = client.post("/campaigns/new", data=_form(town, title=long_title, summary="很" * 35))
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "1 characters too long for one message" in html
    assert long_title in html and "缴费方式：到社区服务站现场缴纳。" in html
    answer = client.post("/campaigns/new", data=_form(town, deadline="31/12/2026"))
    assert answer.status_code == 422 and "as a date, e.g. 2026-12-31" in answer.get_data(
        as_text=True
    )
    answer = client.post("/campaigns/new", data=_form(town, min_age="old"))
    assert answer.status_code == 422 and "age as a number" in answer.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Campaign.id))) == 0


def test_head_ticks_a_household_in_one_tap(client: FlaskClient, town: Town) -> None:
    campaign = town.campaign()
    sign_in(client, town.head1.phone)
    listing = client.get(f"/campaigns/{campaign.id}/households").get_data(as_text=True)
    # Their building's two households only, each with its buttons.
    assert listing.count("data-household=") == 2
    assert f'data-household="{town.homes[3].id}"' not in listing
    read = db.session.scalar(
        select(AuditEntry).where(AuditEntry.subject_type == "campaign households")
    )
    assert read is not None and f"campaign={campaign.id}" in read.detail
    path = f"/campaigns/{campaign.id}/households/{town.homes[0].id}"
    told = client.post(path, data={"method": "in_person"})
    assert told.status_code == 302
    page = client.get(told.headers["Location"]).get_data(as_text=True)
    assert "Marked as told: In person." in page and page.count("data-household=") == 1
    again = client.post(path, data={"method": "phone"})
    assert again.status_code == 422 and "already marked" in again.get_data(as_text=True)
    bad = client.post(f"/campaigns/{campaign.id}/households/{town.homes[1].id}", data={})
    assert bad.status_code == 422 and "Choose how" in bad.get_data(as_text=True)
    # Another building's household: refused as outside the area.
    other = client.post(
        f"/campaigns/{campaign.id}/households/{town.homes[3].id}", data={"method": "phone"}
    )
    assert other.status_code == 422
    row = db.session.scalar(
        select(CampaignHousehold).where(CampaignHousehold.household_id == town.homes[0].id)
    )
    assert row is not None and row.method == "in_person" and row.informed_by_id == town.head1.id
    # The head's campaign page shows their building's progress; no sending or closing.
    detail = client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "1 / 2" in detail and "Send by SMS" not in detail
    assert client.post(f"/campaigns/{campaign.id}/close").status_code == 404


def test_a_patroller_sees_no_campaign(client: FlaskClient, town: Town) -> None:
    campaign = town.campaign()
    sign_in(client, town.patroller.phone)
    assert client.get("/campaigns").status_code == 404
    assert client.get(f"/campaigns/{campaign.id}").status_code == 404
    assert client.get(f"/campaigns/policies/{campaign.id}").status_code == 404


def test_attachment_is_checked_and_served_to_who_may_read(
    client: FlaskClient, town: Town, make: Any
) -> None:
    campaign = town.campaign()
    resident = town.old[0]
    person = make.person(name=resident.name, phone=resident.phone)
    resident.person_id = person.id
    db.session.commit()
    sign_in(client, town.secretary.phone)
    path = f"/campaigns/{campaign.id}/attachment"
    none = client.post(path, data={}, content_type="multipart/form-data")
    assert none.status_code == 422 and "Choose the policy" in none.get_data(as_text=True)
    junk = client.post(
        path,
        data={"attachment": (io.BytesIO(b"not a picture at all"), "x.doc")},
        content_type="multipart/form-data",
    )
    assert junk.status_code == 422 and "as a PDF or a picture" in junk.get_data(as_text=True)
    broken = client.post(
        path,
        data={"attachment": (io.BytesIO(b"%PDF-1.4 cut short"), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert broken.status_code == 422 and "incomplete" in broken.get_data(as_text=True)
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    saved = client.post(
        path,
        data={"attachment": (io.BytesIO(pdf), "医保政策.pdf")},
        content_type="multipart/form-data",
    )
    assert saved.status_code == 302
    got = client.get(path)
    assert got.data == pdf and got.mimetype == "application/pdf"
    assert got.headers["Content-Disposition"].startswith("attachment;")
    picture = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(picture, format="PNG")
    picture.seek(0)
    client.post(
        path, data={"attachment": (picture, "poster.png")}, content_type="multipart/form-data"
    )
    assert client.get(path).mimetype == "image/jpeg"  # cleaned and resized as photos are
    client.post("/sign-out")
    # The resident the campaign concerns reads the page and the attachment.
    sign_in(client, resident.phone)
    mine = client.get("/campaigns/policies").get_data(as_text=True)
    assert "医保缴费" in mine
    page = client.get(f"/campaigns/policies/{campaign.id}").get_data(as_text=True)
    assert "缴费方式" in page and path in page
    assert client.get(path).status_code == 200
    client.post("/sign-out")
    # A resident of a household outside the target does not.
    outsider = make.person(name="年轻人", phone=make.phone())
    young = make.resident(town.young, name="年轻人", phone=outsider.phone)
    young.person_id = outsider.id
    db.session.commit()
    sign_in(client, outsider.phone)
    assert "医保缴费" not in client.get("/campaigns/policies").get_data(as_text=True)
    assert client.get(f"/campaigns/policies/{campaign.id}").status_code == 404
    assert client.get(path).status_code == 404


def test_the_whole_path_by_sms(
    twilio_app: Flask,  # noqa: F811
    client: FlaskClient,
    town: Town,
) -> None:
    campaign = town.campaign()
    sign_in(client, town.secretary.phone)
    asked = client.post(f"/campaigns/{campaign.id}/sms")
    assert asked.status_code == 200 and 'data-count="4"' in asked.get_data(as_text=True)
    sent = client.post(f"/campaigns/{campaign.id}/sms", data={"confirmed": "4"})
    assert sent.status_code == 302
    again = client.post(f"/campaigns/{campaign.id}/sms", data={"confirmed": "4"})
    assert again.status_code == 422 and "already been sent" in again.get_data(as_text=True)
    db.session.rollback()
    campaign_jobs.sweep()
    run_jobs(twilio_app)
    reader = town.old[1]
    db.session.expire_all()
    texts = db.session.scalars(
        select(DevInboxMessage.body).where(DevInboxMessage.phone == reader.phone)
    ).all()
    expected = operations.sms_text(town.community.id, campaign.title, campaign.summary)
    assert texts == [expected] and len(expected) <= 70
    reply = _sms(client, reader.phone, "１")  # a full-width digit from an old phone
    assert reply is not None and reply.startswith("【邻里】已收到，谢谢！")
    db.session.expire_all()
    row = db.session.scalar(
        select(CampaignHousehold).where(CampaignHousehold.household_id == town.homes[1].id)
    )
    assert row is not None and row.method == "sms"
    detail = client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "1 / 5" in detail
