"""Each event reaches the grid's work group through the outbox and real jobs; a grid without
a robot gets nothing; WeCom's rate and refusals are deferred or failed as the outbox does."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from flask import Flask
from redis import Redis
from sqlalchemy import select

from models import (
    Delivery,
    DeliveryState,
    GridRobot,
    NeedSource,
    VisitSettings,
    Wish,
    db,
    utcnow,
)
from notify.channels.wecom.sending import MARKDOWN_BYTES
from notify.dispatch import Dispatcher
from notify.queueing import enqueue_now
from notify.sweep import sweep
from services.broadcasts import operations as broadcasts
from services.needs import operations as needs
from services.work_orders import operations as work_orders
from services.work_orders.audiences import Audience
from tasks import visits as visit_jobs
from tasks import wishes as wish_jobs
from tasks import work_orders as work_order_jobs
from tests.fakes.wecom import FakeWeCom
from tests.support import run_jobs
from tests.work_groups.conftest import World


def _group_deliveries() -> list[Delivery]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Delivery).where(Delivery.channel == "wecom").order_by(Delivery.id)
        )
    )


def _raise(world: World, text: str, *, category: str = "repairs", other: bool = False) -> Any:
    need = needs.raise_need(
        community_id=world.community.id,
        household=world.other_household if other else world.household,
        source=NeedSource.OBSERVER,
        by=world.leader,
        category=category,
        text=text,
        now=utcnow(),
    )
    db.session.commit()
    return need


def test_a_new_need_reaches_the_work_group_masked(
    app: Flask, world: World, wecom: FakeWeCom
) -> None:
    need = _raise(world, "楼道灯不亮，请联系13912345678，*紧急* [点我](http://x.cn)")
    run_jobs(app)
    [message] = wecom.wait_for(1, key=world.key)
    assert message["msgtype"] == "markdown"
    content = message["content"]
    assert f"新需求 {need.ref}" in content and "第一网格" in content
    assert "幸福小区 3号楼 2单元501" in content and "维修" in content
    # The phone is masked (full-width stars: "****" would be bold in markdown); markdown in
    # people's text is defused; no resident's name.
    assert "139＊＊＊＊5678" in content and "13912345678" not in content
    assert "[点我]" not in content and "*紧急*" not in content
    assert "王奶奶" not in content
    [delivery] = _group_deliveries()
    assert delivery.state == DeliveryState.DELIVERED
    assert delivery.address == f"g{world.grid.id}" and delivery.person_id is None


def test_a_health_need_goes_without_its_text(app: Flask, world: World, wecom: FakeWeCom) -> None:
    _raise(world, "王奶奶高血压，需要每天量血压", category="health")
    run_jobs(app)
    [message] = wecom.wait_for(1, key=world.key)
    assert "高血压" not in message["content"]
    assert "涉及健康" in message["content"]


def test_a_grid_without_a_robot_gets_nothing_and_nothing_fails(
    app: Flask, world: World, wecom: FakeWeCom
) -> None:
    need = _raise(world, "9号楼门口积水", other=True)
    assert need.grid_id == world.other_grid.id
    run_jobs(app)
    assert _group_deliveries() == []
    assert wecom.requests_seen == 0
    db.session.expire_all()
    failed = db.session.scalars(
        select(Delivery).where(Delivery.state == DeliveryState.FAILED)
    ).all()
    assert failed == []


def test_an_escalated_wish_reaches_the_work_group(
    app: Flask, world: World, wecom: FakeWeCom
) -> None:
    wish = Wish(
        community_id=world.community.id,
        grid_id=world.grid.id,
        building_id=world.building.id,
        resident_id=world.resident.id,
        category="repair",
        text="帮忙修水龙头，电话13900000077",
        via="head",
        posted_at=utcnow() - timedelta(hours=30),
        waiting_since=utcnow() - timedelta(hours=30),
    )
    db.session.add(wish)
    db.session.commit()
    assert wish_jobs.escalate() == 1
    run_jobs(app)
    [message] = wecom.wait_for(1, key=world.key)
    content = message["content"]
    assert f"微心愿 {wish.ref} 待认领" in content and "已上报楼栋长" in content
    assert "小修小补" in content and "幸福小区 3号楼" in content
    assert "139＊＊＊＊0077" in content and "13900000077" not in content


def _order(world: World, *, hours: float, grid: Any = None, **kw: Any) -> Any:
    now = utcnow()
    order = work_orders.create_order(
        world.community,
        title="学校周边巡逻",
        location="实验小学门口",
        starts_at=now + timedelta(hours=hours),
        ends_at=now + timedelta(hours=hours + 1),
        places_needed=kw.pop("places_needed", 3),
        audience=kw.pop("audience", Audience(roles=("patroller",))),
        by=world.secretary,
        now=now,
        today=now.date(),
        grid=grid,
        **kw,
    )
    db.session.commit()
    return order


def test_a_work_order_and_its_unclaimed_places_near_the_start(
    app: Flask, world: World, wecom: FakeWeCom
) -> None:
    order = _order(world, hours=2.5)
    run_jobs(app)
    [created] = wecom.wait_for(1, key=world.key)
    assert f"新任务 {order.ref}" in created["content"] and "需3人" in created["content"]
    assert "实验小学门口" in created["content"]
    # Starting within 3 hours with nobody signed up: the chase tells the group, once.
    db.session.commit()  # the jobs' own sessions write: hold no transaction here
    work_order_jobs.chase()
    work_order_jobs.chase()
    run_jobs(app)
    messages = wecom.wait_for(2, key=world.key)
    assert len(messages) == 2
    assert f"任务 {order.ref} 还差3人" in messages[1]["content"]


def test_an_order_only_for_named_people_stays_out_of_the_groups(
    app: Flask, world: World, wecom: FakeWeCom
) -> None:
    _order(world, hours=5, audience=Audience(people=(world.patrollers[0].id,)))
    run_jobs(app)
    assert _group_deliveries() == []


def test_a_mobilisation_reaches_the_group_with_its_live_count_link(
    app: Flask, world: World, wecom: FakeWeCom
) -> None:
    now = utcnow()
    broadcast = broadcasts.mobilise(
        world.community,
        text="今晚大雪，需要志愿者明早清扫积雪，回复1报名",
        title="清扫积雪",
        location="幸福小区主干道",
        starts_at=now + timedelta(hours=8),
        ends_at=now + timedelta(hours=10),
        places_needed=10,
        audience=Audience(roles=("patroller",)),
        by=world.secretary,
        now=now,
        today=now.date(),
        grid=world.grid,
    )
    db.session.commit()
    run_jobs(app)
    [message] = wecom.wait_for(1, key=world.key)
    content = message["content"]
    assert "【动员】" in content and "清扫积雪" in content and "需10人" in content
    assert f"[查看实时报名人数](https://linli.example.cn/broadcasts/{broadcast.id})" in content
    [delivery] = _group_deliveries()
    assert delivery.urgent and delivery.batch_key == f"group:broadcast:{broadcast.id}"
    # The broadcast's own count is of people: the group's delivery is not among them.
    assert delivery.batch_key != broadcast.batch_key


def test_the_monthly_visit_digest_reaches_the_group(
    app: Flask, world: World, wecom: FakeWeCom, make: Any
) -> None:
    make.household(world.building, unit="2", room="502")
    db.session.add(
        VisitSettings(
            community_id=world.community.id,
            reminder_day=1,
            reminder_hour=0,
            digest_day=1,
            digest_hour=0,
        )
    )
    db.session.commit()
    visit_jobs.remind()
    visit_jobs.remind()  # a second run sends nothing more
    run_jobs(app)
    [message] = wecom.wait_for(1, key=world.key)
    assert "第一网格" in message["content"] and "已走访0/2户" in message["content"]
    assert "> 幸福小区 3号楼：0/2" in message["content"]
    assert len(_group_deliveries()) == 1  # the robotless grid got none


def test_the_21st_message_in_a_minute_is_deferred_not_lost(
    app: Flask, world: World, wecom: FakeWeCom
) -> None:
    for i in range(25):
        _raise(world, f"第{i}件事")
    run_jobs(app)
    wecom.wait_for(20, key=world.key)
    deferred = [d for d in _group_deliveries() if d.state == DeliveryState.DEFERRED]
    assert len(deferred) == 5
    assert {d.error_code for d in deferred} == {"wecom_rate"}
    assert {d.attempts for d in deferred} == {0}  # waiting for the window is not a try
    assert wecom.rejections == []  # held back here, not refused by WeCom
    # Once the window has passed, the sweep sends them.
    time.sleep(2.2)
    enqueue_now(
        sweep(),
        redis=Redis.from_url(app.config["REDIS_URL"]),
        queue_name=app.config["RQ_QUEUE"],
    )
    run_jobs(app)
    assert len(wecom.wait_for(25, key=world.key)) == 25
    assert {d.state for d in _group_deliveries()} == {DeliveryState.DELIVERED}


def test_wecoms_own_rate_refusal_is_deferred_and_sent_later(
    app: Flask, world: World, wecom: FakeWeCom
) -> None:
    # Another sender used the robot: WeCom itself refuses with 45009.
    with wecom.lock:
        wecom.per_minute = 1
    _raise(world, "第一件")
    _raise(world, "第二件")
    run_jobs(app)
    wecom.wait_for(1, key=world.key)
    [held] = [d for d in _group_deliveries() if d.state == DeliveryState.DEFERRED]
    assert held.error_code == "wecom_45009"
    assert held.not_before is not None and held.not_before >= utcnow() + timedelta(seconds=50)
    time.sleep(2.2)  # the fake's window; the outbox waits WeCom's minute
    later = utcnow() + timedelta(seconds=61)
    dispatcher = Dispatcher(app.config, Redis.from_url(app.config["REDIS_URL"]))
    try:
        assert held.id in sweep(now=later)
        dispatcher.deliver([held.id], now=later)
    finally:
        dispatcher.pool.shutdown()
    assert len(wecom.wait_for(2, key=world.key)) == 2


def test_a_refused_key_fails_with_a_reason_the_outbox_page_shows(
    app: Flask, world: World, wecom: FakeWeCom, client: Any
) -> None:
    with wecom.lock:
        wecom.keys.clear()  # the robot was removed from the group in WeCom
    _raise(world, "楼道灯不亮")
    run_jobs(app)
    [delivery] = _group_deliveries()
    assert delivery.state == DeliveryState.FAILED
    assert delivery.error_code == "wecom_93000"
    assert "paste its address again" in delivery.error_reason
    from tests.support import sign_in

    sign_in(client, world.secretary.phone)
    page = client.get(f"/secretary/outbox?community={world.community.id}&state=failed")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "第一网格" in html and world.key not in html


def test_a_robot_removed_after_queueing_fails_the_delivery_plainly(
    app: Flask, world: World, wecom: FakeWeCom
) -> None:
    _raise(world, "楼道灯不亮")
    db.session.delete(db.session.get(GridRobot, world.grid.id))
    db.session.commit()
    run_jobs(app)
    [delivery] = _group_deliveries()
    assert delivery.state == DeliveryState.FAILED and delivery.error_code == "wecom_no_robot"
    assert wecom.requests_seen == 0


def test_long_text_is_cut_at_a_character_boundary_within_the_byte_limit() -> None:
    from notify.channels.wecom.sending import fit

    text = "邻" * 2000  # 6,000 bytes of UTF-8
    cut = fit(text, MARKDOWN_BYTES)
    assert len(cut.encode("utf-8")) <= MARKDOWN_BYTES
    assert cut.endswith("…") and set(cut[:-1]) == {"邻"}
    assert fit("short", MARKDOWN_BYTES) == "short"
