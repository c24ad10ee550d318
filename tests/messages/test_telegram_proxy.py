"""Telegram behind an HTTPS proxy (TELEGRAM_PROXY_URL): the webhook setup and every message
go through a CONNECT tunnel, and nothing goes around the proxy when it is down.

The fake Bot API serves HTTPS with a certificate made for the test (trusted through
TELEGRAM_CA_FILE); the proxy is a real one that only tunnels and counts its tunnels.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from models import Delivery, DeliveryState, db, utcnow
from notify import Message, send_later
from services.sign_in import telegram_links
from tests.fakes.proxy import ConnectProxy
from tests.fakes.telegram import FakeTelegram
from tests.fakes.tls import self_signed
from tests.support import run_jobs

SECRET = "s3cret-Webhook_Token"
SETTINGS = (
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_BASE_URL",
    "TELEGRAM_WEBHOOK_SECRET",
    "TELEGRAM_BOT_NAME",
    "TELEGRAM_PROXY_URL",
    "TELEGRAM_CA_FILE",
    "PUBLIC_BASE_URL",
)


def _forget_dispatcher() -> None:
    import tasks.deliveries

    if tasks.deliveries._dispatcher is not None:
        tasks.deliveries._dispatcher.pool.shutdown()
        tasks.deliveries._dispatcher = None


@pytest.fixture
def behind_proxy(
    app: Flask, ctx: None, tmp_path: Path
) -> Iterator[tuple[FakeTelegram, ConnectProxy]]:
    saved = {key: app.config.get(key) for key in SETTINGS}
    certificate = self_signed(tmp_path)
    fake = FakeTelegram()
    fake.ssl_context = certificate.server_context()
    fake.app_client = app.test_client()
    with fake, ConnectProxy(credentials=("linli", "proxy-pass")) as proxy:
        app.config.update(
            TELEGRAM_BOT_TOKEN=fake.token,
            TELEGRAM_API_BASE_URL=fake.base_url,
            TELEGRAM_WEBHOOK_SECRET=SECRET,
            TELEGRAM_BOT_NAME=fake.bot["username"],
            TELEGRAM_PROXY_URL=proxy.url,
            TELEGRAM_CA_FILE=str(certificate.cert),
            PUBLIC_BASE_URL="http://localhost",
        )
        _forget_dispatcher()
        try:
            yield fake, proxy
        finally:
            app.config.update(saved)
            _forget_dispatcher()
        assert fake.crashes == []


def test_webhook_setup_and_messages_go_through_the_proxy(
    app: Flask, behind_proxy: tuple[FakeTelegram, ConnectProxy], make: Any
) -> None:
    fake, proxy = behind_proxy
    assert fake.base_url.startswith("https://")
    result = app.test_cli_runner().invoke(args=["telegram", "setup"])
    assert result.exit_code == 0, result.output
    assert fake.webhook["url"] == "http://localhost/webhooks/telegram"
    tunnels = proxy.tunnel_count()
    assert tunnels >= 1
    assert set(proxy.tunnels) == {("127.0.0.1", fake.port)}

    # A person links their chat; the bot's answer and then a notice go out through the proxy.
    person = make.person(name="王师傅")
    token = telegram_links.create_token(person, now=utcnow())
    db.session.commit()
    response = fake.send_update(fake.start_update(5001, 5001, token))
    assert response.status == 200
    run_jobs(app)
    fake.wait_for(1, chat_id=5001)
    db.session.expire_all()
    # A community without quiet hours: the test runs at any hour.
    quiet_free = make.community(quiet_from=time(0, 0), quiet_until=time(0, 0))
    send_later(
        Message("notice", {"text": "明天9点开会"}, batch_key="proxy:1", community_id=quiet_free.id),
        to=[person],
    )
    db.session.commit()
    run_jobs(app)
    [_linked, notice] = fake.wait_for(2, chat_id=5001)
    assert "明天9点开会" in notice["text"]
    assert proxy.tunnel_count() > tunnels  # the worker's client tunnelled too
    assert set(proxy.tunnels) == {("127.0.0.1", fake.port)}
    assert proxy.refused == []


def test_with_the_proxy_down_nothing_goes_around_it(
    app: Flask, behind_proxy: tuple[FakeTelegram, ConnectProxy], make: Any
) -> None:
    fake, proxy = behind_proxy
    assert app.test_cli_runner().invoke(args=["telegram", "setup"]).exit_code == 0
    person = make.person(name="李阿姨")
    token = telegram_links.create_token(person, now=utcnow())
    db.session.commit()
    assert fake.send_update(fake.start_update(5002, 5002, token)).status == 200
    run_jobs(app)
    fake.wait_for(1, chat_id=5002)
    db.session.expire_all()
    proxy.stop()
    _forget_dispatcher()  # no kept-alive tunnel from before
    quiet_free = make.community(quiet_from=time(0, 0), quiet_until=time(0, 0))
    send_later(
        Message("notice", {"text": "停水通知"}, batch_key="proxy:2", community_id=quiet_free.id),
        to=[person],
    )
    db.session.commit()
    run_jobs(app)
    db.session.expire_all()
    delivery = db.session.scalar(select(Delivery).where(Delivery.batch_key == "proxy:2"))
    assert delivery is not None
    # Not sent directly: held for a retry through the proxy, on Telegram still.
    assert delivery.state == DeliveryState.DEFERRED and delivery.channel == "telegram"
    assert len(fake.chats[5002]) == 1


def test_a_proxy_that_refuses_our_credentials_sends_nothing(
    app: Flask, behind_proxy: tuple[FakeTelegram, ConnectProxy]
) -> None:
    fake, proxy = behind_proxy
    app.config["TELEGRAM_PROXY_URL"] = proxy.url.replace("proxy-pass", "wrong")
    result = app.test_cli_runner().invoke(args=["telegram", "setup"])
    assert result.exit_code != 0
    assert "Telegram refused getMe" in result.output
    assert proxy.tunnel_count() == 0 and len(proxy.refused) == 1
    assert fake.webhook["url"] == ""
