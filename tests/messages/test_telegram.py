"""Telegram both ways: linking by deep link, notices with buttons, commands, blocking, setup."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import (
    Delivery,
    DeliveryState,
    DevInboxMessage,
    InboundMessage,
    InboxItem,
    Person,
    SmsOptOut,
    TelegramLink,
    TelegramUpdate,
    db,
    utcnow,
)
from notify import Message, commands, send_later
from notify.channels import Outgoing, PermanentFailure, TransientFailure
from notify.channels.telegram.sending import TelegramChannel, TelegramSettings, keyboard
from notify.commands import Command, Inbound, Reply
from services.sign_in import telegram_links
from tests.fakes.telegram import FakeTelegram
from tests.support import run_jobs, sign_in

SECRET = "s3cret-Webhook_Token"
WEBHOOK = "http://localhost/webhooks/telegram"
SETTINGS = (
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_BASE_URL",
    "TELEGRAM_WEBHOOK_SECRET",
    "TELEGRAM_BOT_NAME",
    "PUBLIC_BASE_URL",
)


def _forget_dispatcher() -> None:
    # The worker keeps its channels for the life of the process; each test has its own fake.
    import tasks.deliveries

    if tasks.deliveries._dispatcher is not None:
        tasks.deliveries._dispatcher.pool.shutdown()
        tasks.deliveries._dispatcher = None


@pytest.fixture
def fake(app: Flask, ctx: None) -> Iterator[FakeTelegram]:
    """A fake Bot API the app is configured for, with the webhook set up by the CLI."""
    saved = {key: app.config.get(key) for key in SETTINGS}
    with FakeTelegram() as server:
        server.app_client = app.test_client()
        app.config.update(
            TELEGRAM_BOT_TOKEN=server.token,
            TELEGRAM_API_BASE_URL=server.base_url,
            TELEGRAM_WEBHOOK_SECRET=SECRET,
            TELEGRAM_BOT_NAME=server.bot["username"],
            PUBLIC_BASE_URL="http://localhost",
        )
        _forget_dispatcher()
        result = app.test_cli_runner().invoke(args=["telegram", "setup"])
        assert result.exit_code == 0, result.output
        try:
            yield server
        finally:
            app.config.update(saved)
            _forget_dispatcher()
        assert server.crashes == []


def _send(fake: FakeTelegram, update: dict[str, Any]) -> int:
    """Post an update to the webhook, then run the jobs: the bot's answers are deliveries."""
    response = fake.send_update(update)
    assert response is not None
    assert response.status is not None
    if response.status == 200:
        # Answered at once, with nothing in the body: the answer goes through the outbox.
        assert response.text == ""
        assert fake.app_client is not None
        run_jobs(fake.app_client.application)
    return response.status


def _link(fake: FakeTelegram, person: Person, chat_id: int) -> None:
    """Link a chat the way a person does: a token from the profile, then /start <token>."""
    token = telegram_links.create_token(person, now=utcnow())
    db.session.commit()
    before = len(fake.chats.get(chat_id, []))
    assert _send(fake, fake.start_update(chat_id, chat_id, token)) == 200
    fake.wait_for(before + 1, chat_id=chat_id)
    db.session.expire_all()


def _last_text(fake: FakeTelegram, chat_id: int) -> str:
    with fake.lock:
        return str(fake.chats[chat_id][-1]["text"])


def _deliveries() -> list[Delivery]:
    """Return the deliveries of notices, leaving out the bot's answers (see _answers)."""
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Delivery).where(~Delivery.batch_key.startswith("reply:")).order_by(Delivery.id)
        )
    )


def _answers() -> list[Delivery]:
    """Return the deliveries of the bot's answers to texts and commands."""
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Delivery).where(Delivery.batch_key.startswith("reply:")).order_by(Delivery.id)
        )
    )


def _link_row(person: Person) -> TelegramLink:
    db.session.expire_all()
    row = db.session.scalar(select(TelegramLink).where(TelegramLink.person_id == person.id))
    assert row is not None
    return row


def _count(model: Any) -> int:
    db.session.expire_all()
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


# -- linking ----------------------------------------------------------------------------------


def test_link_from_the_profile_through_the_deep_link(
    fake: FakeTelegram, client: FlaskClient, make: Any
) -> None:
    person = make.person(name="王师傅")
    sign_in(client, person.phone)
    page = client.get("/me/telegram").get_data(as_text=True)
    assert "未绑定" in page and 'value="link"' in page

    page = client.post("/me/telegram", data={"action": "link"}).get_data(as_text=True)
    found = re.search(r"https://t\.me/linli_test_bot\?start=([A-Za-z0-9_-]+)", page)
    assert found, page
    token = found.group(1)
    assert len(token) <= 64
    row = _link_row(person)
    # Only the hash is kept, for 30 minutes.
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() and row.chat_id is None
    assert row.token_expires_at is not None
    assert timedelta(minutes=29) < row.token_expires_at - utcnow() <= timedelta(minutes=30)

    # Telegram's ids take up to 52 bits: a 10-digit one, as new accounts have.
    chat = 7_123_456_789
    assert _send(fake, fake.start_update(chat, chat, token)) == 200
    [reply] = fake.wait_for(1, chat_id=chat)
    assert "王师傅" in reply["text"] and "绑定" in reply["text"]
    row = _link_row(person)
    assert row.chat_id == chat and row.linked_at is not None and row.token_hash is None

    # Single use: the same token from another chat links nothing.
    assert _send(fake, fake.start_update(5002, 5002, token)) == 200
    [refused] = fake.wait_for(1, chat_id=5002)
    assert "无效或已经用过" in refused["text"]
    assert _link_row(person).chat_id == chat

    page = client.get("/me/telegram").get_data(as_text=True)
    assert "起已绑定" in page and 'value="unlink"' in page
    # Unlinking forgets the chat: notices go by SMS again.
    assert client.post("/me/telegram", data={"action": "unlink"}).status_code == 303
    assert _count(TelegramLink) == 0
    assert "未绑定" in client.get("/me/telegram").get_data(as_text=True)


def test_expired_or_unknown_token_gets_a_clear_answer(fake: FakeTelegram, make: Any) -> None:
    person = make.person()
    token = telegram_links.create_token(person, now=utcnow() - timedelta(minutes=31))
    db.session.commit()
    _send(fake, fake.start_update(5101, 5101, token))
    assert "已过期" in fake.wait_for(1, chat_id=5101)[0]["text"]
    _send(fake, fake.start_update(5101, 5101, "not-a-token"))
    _send(fake, fake.start_update(5101, 5101, "bad token with spaces!"))
    texts = [m["text"] for m in fake.wait_for(3, chat_id=5101)]
    assert "无效" in texts[1] and "无效" in texts[2]
    assert _link_row(person).chat_id is None


def test_start_without_token_and_help_explain(fake: FakeTelegram, make: Any) -> None:
    _send(fake, fake.start_update(5201, 5201))
    assert "Telegram" in fake.wait_for(1, chat_id=5201)[0]["text"]
    _send(fake, fake.text_update(5201, 5201, "/help"))
    assert "/stop" in fake.wait_for(2, chat_id=5201)[1]["text"]
    english = fake.text_update(5202, 5202, "/start", language_code="en")
    _send(fake, english)
    assert "sign in to Linli" in fake.wait_for(1, chat_id=5202)[0]["text"]
    # Bot commands are answered, not kept as inbound texts (a token is a secret).
    assert _count(InboundMessage) == 0


def test_profile_page_guards_and_bad_input(
    app: Flask, fake: FakeTelegram, client: FlaskClient, make: Any
) -> None:
    response = client.get("/me/telegram")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    assert client.post("/me/telegram", data={"action": "link"}).status_code == 302
    person = make.person()
    sign_in(client, person.phone)
    response = client.post("/me/telegram", data={"action": "explode"})
    assert response.status_code == 400
    assert "请点击本页上的按钮" in response.get_data(as_text=True)
    app.config.update(TELEGRAM_BOT_NAME="")
    response = client.post("/me/telegram", data={"action": "link"})
    assert response.status_code == 400
    assert "尚未设置 Telegram" in response.get_data(as_text=True)
    assert _count(TelegramLink) == 0


def test_no_button_pressed_is_refused_and_a_link_is_kept(
    fake: FakeTelegram, client: FlaskClient, make: Any
) -> None:
    person = make.person()
    sign_in(client, person.phone)
    assert client.post("/me/telegram", data={"action": "link"}).status_code == 200
    for data in ({}, {"action": ""}, {"action": "UNLINK"}):
        response = client.post("/me/telegram", data=data)
        assert response.status_code == 400
        assert "请点击本页上的按钮" in response.get_data(as_text=True)
    assert _count(TelegramLink) == 1
    # Unlinking twice is harmless.
    for _ in range(2):
        assert client.post("/me/telegram", data={"action": "unlink"}).status_code == 303
    assert _count(TelegramLink) == 0


def test_work_and_home_pages_link_to_telegram(client: FlaskClient, make: Any) -> None:
    person = make.person()
    sign_in(client, person.phone)
    assert 'href="/me/telegram"' in client.get("/my/work").get_data(as_text=True)
    assert 'href="/me/telegram"' in client.get("/me").get_data(as_text=True)


# -- notices by Telegram --------------------------------------------------------------------


def test_notice_to_a_linked_person_goes_by_telegram_with_buttons(
    app: Flask, fake: FakeTelegram, make: Any
) -> None:
    person = make.person()
    _link(fake, person, 6001)
    message = Message(
        "notice",
        {"text": "3号楼门口积雪，需要2人清扫"},
        batch_key="wo:34",
        urgent=True,
        ref="T34",
        actions=(("认领", "认领 T34"), ("完成", "完成 T34")),
    )
    send_later(message, to=[person])
    db.session.commit()
    run_jobs(app)
    [d] = _deliveries()
    assert d.channel == "telegram" and d.address == "6001"
    assert d.state == DeliveryState.SENT and d.provider_id
    sent = fake.wait_for(2, chat_id=6001)[-1]  # after the "linked" answer
    assert sent["text"] == "3号楼门口积雪，需要2人清扫（T34）"  # no SMS signature here
    assert sent["reply_markup"] == {
        "inline_keyboard": [
            [
                {"text": "认领", "callback_data": "认领 T34"},
                {"text": "完成", "callback_data": "完成 T34"},
            ]
        ]
    }
    assert _count(DevInboxMessage) == 0  # and no SMS


def test_blocked_bot_falls_back_to_sms(app: Flask, fake: FakeTelegram, make: Any) -> None:
    person = make.person()
    _link(fake, person, 6101)
    with fake.lock:
        fake.blocked_chats.add(6101)
    send_later(Message("notice", {"text": "周六义诊"}, batch_key="b:1", urgent=True), to=[person])
    db.session.commit()
    run_jobs(app)
    [d] = _deliveries()
    assert d.state == DeliveryState.DELIVERED and d.channel == "sms" and d.address == person.phone
    assert [h["event"] for h in d.history][:2] == ["refused", "sent"]
    assert d.history[0]["code"] == "telegram_blocked"
    body = db.session.scalar(
        select(DevInboxMessage.body).where(DevInboxMessage.phone == person.phone)
    )
    assert body is not None and body.endswith("周六义诊")
    assert _link_row(person).blocked_at is not None
    # The next notice goes straight by SMS.
    send_later(Message("notice", {"text": "周日义诊"}, batch_key="b:2", urgent=True), to=[person])
    db.session.commit()
    run_jobs(app)
    assert _deliveries()[1].channels == [f"sms:{person.phone}"]


def _membership(fake: FakeTelegram, chat_id: int, old: str, new: str) -> dict[str, Any]:
    user = {"id": chat_id, "is_bot": False, "first_name": "Test"}
    with fake.lock:
        update_id = next(fake._update_ids)
    return {
        "update_id": update_id,
        "my_chat_member": {
            "chat": {"id": chat_id, "first_name": "Test", "type": "private"},
            "from": user,
            "date": int(time.time()),
            "old_chat_member": {"user": fake.bot, "status": old},
            "new_chat_member": {"user": fake.bot, "status": new},
        },
    }


def test_blocking_and_stop_switch_notices_to_sms(fake: FakeTelegram, make: Any) -> None:
    person = make.person()
    _link(fake, person, 6201)
    assert _send(fake, _membership(fake, 6201, "member", "kicked")) == 200
    assert _link_row(person).blocked_at is not None
    send_later(Message("notice", {"text": "a"}, batch_key="m:1", urgent=True), to=[person])
    db.session.commit()
    assert _send(fake, _membership(fake, 6201, "kicked", "member")) == 200
    assert _link_row(person).blocked_at is None
    send_later(Message("notice", {"text": "b"}, batch_key="m:2", urgent=True), to=[person])
    db.session.commit()
    # /stop in the chat does the same, and /start resumes.
    _send(fake, fake.text_update(6201, 6201, "/stop"))
    assert "短信" in fake.wait_for(2, chat_id=6201)[-1]["text"]
    assert _link_row(person).blocked_at is not None
    send_later(Message("notice", {"text": "c"}, batch_key="m:3", urgent=True), to=[person])
    db.session.commit()
    _send(fake, fake.text_update(6201, 6201, "/start"))
    assert "重新发到这里" in fake.wait_for(3, chat_id=6201)[-1]["text"]
    assert _link_row(person).blocked_at is None
    channels = [d.channel for d in _deliveries()]
    assert channels == ["sms", "telegram", "sms"]


def test_rate_limit_defers_and_server_errors_retry(
    app: Flask, fake: FakeTelegram, make: Any
) -> None:
    from tasks.deliveries import dispatcher

    person = make.person()
    _link(fake, person, 6301)
    fake.fail_next(1, 429, retry_after=120)
    start = utcnow()
    send_later(Message("notice", {"text": "x"}, batch_key="r:1", urgent=True), to=[person])
    db.session.commit()
    run_jobs(app)
    [d] = _deliveries()
    assert d.state == DeliveryState.DEFERRED and d.error_code == "telegram_429"
    assert d.channel == "telegram" and d.not_before is not None
    assert d.not_before >= start + timedelta(seconds=120)
    # A 502 (an HTML page from the front end) is retried too, not failed.
    fake.fail_next(1, 502)
    dispatcher(app).deliver([d.id], now=d.not_before + timedelta(seconds=1))
    [d] = _deliveries()
    assert d.state == DeliveryState.DEFERRED and d.error_code == "telegram_502"
    assert d.not_before is not None
    dispatcher(app).deliver([d.id], now=d.not_before + timedelta(seconds=1))
    [d] = _deliveries()
    assert d.state == DeliveryState.SENT and d.channel == "telegram"
    assert len(fake.wait_for(2, chat_id=6301)) == 2


def test_long_message_is_cut_into_two(app: Flask, fake: FakeTelegram, make: Any) -> None:
    person = make.person()
    _link(fake, person, 6401)
    text = "这是一条很长的社区通知，请大家仔细阅读。" * 250  # 5,000 characters
    assert len(text) == 5000
    send_later(Message("notice", {"text": text}, batch_key="l:1", urgent=True), to=[person])
    db.session.commit()
    run_jobs(app)
    parts = fake.wait_for(3, chat_id=6401)[1:]
    assert len(parts) == 2 and all(len(p["text"]) <= 4096 for p in parts)
    assert "".join(p["text"] for p in parts) == text
    [d] = _deliveries()
    assert d.state == DeliveryState.SENT and d.segments == 2


# -- commands in Telegram ---------------------------------------------------------------------


def test_the_same_update_twice_is_handled_once(fake: FakeTelegram, make: Any) -> None:
    update = fake.text_update(7001, 7001, "你好，楼道灯坏了")
    assert _send(fake, update) == 200
    response = fake.resend(update)
    assert response is not None and response.status == 200
    assert _count(InboundMessage) == 1 and _count(TelegramUpdate) == 1
    time.sleep(0.2)
    assert len(fake.chats.get(7001, [])) == 1


def test_wrong_or_missing_secret_is_refused(
    app: Flask, fake: FakeTelegram, client: FlaskClient
) -> None:
    update = fake.text_update(7101, 7101, "STOP")
    for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "guess"}):
        assert client.post(WEBHOOK, json=update, headers=headers).status_code == 403
    app.config.update(TELEGRAM_WEBHOOK_SECRET="")
    empty = {"X-Telegram-Bot-Api-Secret-Token": ""}
    assert client.post(WEBHOOK, json=update, headers=empty).status_code == 403
    assert _count(TelegramUpdate) == 0 and _count(InboundMessage) == 0
    assert fake.chats.get(7101) is None


def test_malformed_bodies_are_refused_and_odd_updates_ignored(
    fake: FakeTelegram, client: FlaskClient
) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    for body in (b"{not json", b"[1, 2]", b'{"update_id": "7"}', b'{"message": {}}', b""):
        assert client.post(WEBHOOK, data=body, headers=headers).status_code == 400, body
    assert _count(TelegramUpdate) == 0
    # Well-formed updates with nothing for the bot: accepted (or Telegram retries) and ignored.
    for update in (
        {"update_id": 9001},
        {"update_id": 9002, "edited_message": {"text": "x"}},
        {"update_id": 9003, "message": "x"},
        {"update_id": 9004, "message": {"chat": {"id": 1, "type": "private"}, "sticker": {}}},
        {"update_id": 9005, "message": {"chat": {"id": -5, "type": "group"}, "text": "STOP"}},
    ):
        assert client.post(WEBHOOK, json=update, headers=headers).status_code == 200
    assert _count(TelegramUpdate) == 5 and _count(InboundMessage) == 0
    assert fake.sent == []


@pytest.mark.parametrize("word", ["退订", "STOP"])
def test_opt_out_words_work_in_telegram(fake: FakeTelegram, make: Any, word: str) -> None:
    person = make.person()
    _link(fake, person, 7201)
    _send(fake, fake.text_update(7201, 7201, word))
    assert "退订" in fake.wait_for(2, chat_id=7201)[-1]["text"]
    db.session.expire_all()
    assert db.session.get(SmsOptOut, person.phone) is not None
    [row] = db.session.scalars(select(InboundMessage)).all()
    assert row.channel == "telegram" and row.person_id == person.id and row.command == "stop"
    assert row.from_address == "7201"


def test_unknown_text_gets_one_reply(fake: FakeTelegram, make: Any) -> None:
    _send(fake, fake.text_update(7301, 7301, "在吗"))
    _send(fake, fake.text_update(7301, 7301, "有人吗"))
    time.sleep(0.2)
    [reply] = fake.wait_for(1, chat_id=7301)
    assert "帮助" in reply["text"]
    assert len(fake.chats[7301]) == 1
    rows = db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)).all()
    assert [r.outcome for r in rows] == ["unknown", "unknown"]


def test_button_press_goes_through_the_grammar(fake: FakeTelegram, make: Any) -> None:
    seen: list[tuple[str | None, str | None, int | None]] = []

    def claim(message: Inbound) -> Reply | None:
        seen.append((message.channel, message.ref, message.person.id if message.person else None))
        return Reply("notice", {"text": f"已认领{message.ref}"})

    # Keywords of no real feature, so the features' own commands do not answer first.
    commands.register(Command("test_claim", ("试领", "TRYCLAIM"), claim, shape="ref"))
    try:
        person = make.person()
        _link(fake, person, 7401)
        _send(fake, fake.callback_update(7401, 7401, "试领 T34", message_id=1))
    finally:
        commands.REGISTRY[:] = [c for c in commands.REGISTRY if c.name != "test_claim"]
    assert seen == [("telegram", "T34", person.id)]
    [answer] = fake.callback_answers
    assert answer["text"] == "已认领T34"
    assert fake.wait_for(2, chat_id=7401)[-1]["text"] == "已认领T34"
    # The answer is an urgent delivery to the chat, with a copy in the person's inbox.
    [row] = db.session.scalars(select(InboundMessage)).all()
    d = _answers()[-1]
    assert d.batch_key == f"reply:in{row.id}" and d.urgent is True
    assert d.channel == "telegram" and d.address == "7401" and d.person_id == person.id
    assert d.state == DeliveryState.SENT and d.body == "已认领T34"
    assert db.session.scalar(select(InboxItem.body).where(InboxItem.batch_key == d.batch_key)) == (
        "已认领T34"
    )


def test_a_reply_to_a_chat_that_blocked_the_bot_marks_the_link(
    fake: FakeTelegram, make: Any
) -> None:
    person = make.person()
    _link(fake, person, 7501)
    with fake.lock:
        fake.blocked_chats.add(7501)
    assert _send(fake, fake.text_update(7501, 7501, "帮助")) == 200
    assert _link_row(person).blocked_at is not None
    # The answer was a delivery to that chat only: refused, it is not sent by SMS instead.
    answer = _answers()[-1]
    assert answer.kind == "help_reply" and answer.channels == ["telegram:7501"]
    assert answer.state == DeliveryState.FAILED and answer.error_code == "telegram_blocked"
    assert _count(DevInboxMessage) == 0


# -- setup and the channel itself -------------------------------------------------------------


def test_cli_setup_registers_webhook_and_menu(app: Flask, fake: FakeTelegram) -> None:
    assert fake.webhook["url"] == WEBHOOK
    assert fake.webhook["secret_token"] == SECRET
    assert fake.webhook["allowed_updates"] == ["message", "callback_query", "my_chat_member"]
    menu = fake.commands[('{"type": "default"}', "")]
    assert [c["command"] for c in menu] == ["start", "help", "stop"]
    assert all(re.search(r"[\u4e00-\u9fff]", c["description"]) for c in menu)
    assert [c["command"] for c in fake.commands[('{"type": "default"}', "en")]] == [
        "start",
        "help",
        "stop",
    ]
    runner = app.test_cli_runner()
    app.config.update(TELEGRAM_WEBHOOK_SECRET="")
    result = runner.invoke(args=["telegram", "setup"])
    assert result.exit_code != 0 and "TELEGRAM_WEBHOOK_SECRET is not set" in result.output
    app.config.update(TELEGRAM_WEBHOOK_SECRET="has spaces", TELEGRAM_BOT_TOKEN="")
    result = runner.invoke(args=["telegram", "setup"])
    assert "TELEGRAM_BOT_TOKEN is not set" in result.output
    assert "may hold only" in result.output
    # A refusal from Telegram is reported, not hidden.
    app.config.update(TELEGRAM_WEBHOOK_SECRET=SECRET, TELEGRAM_BOT_TOKEN="1:wrong")
    result = runner.invoke(args=["telegram", "setup"])
    assert result.exit_code != 0 and "Telegram refused getMe: Unauthorized" in result.output


def test_channel_maps_failures(fake: FakeTelegram) -> None:
    channel = TelegramChannel(
        TelegramSettings(fake.token, fake.base_url), timeout=httpx.Timeout(0.5)
    )
    try:
        out = Outgoing(1, "8001", "你好", 3600)
        assert channel.send(out).segments == 1
        fake.hang_next(1)
        with pytest.raises(TransientFailure) as transient:
            channel.send(out)
        assert transient.value.code == "timeout"
        fake.fail_next(1, 500)
        with pytest.raises(TransientFailure):
            channel.send(out)
        with pytest.raises(PermanentFailure) as bad:
            channel.send(Outgoing(1, "8001", "   ", 3600))  # empty text: 400
        assert bad.value.code == "telegram_400"
        with pytest.raises(PermanentFailure) as gone:
            channel.send(Outgoing(1, "not-a-chat", "x", 3600))
        assert gone.value.code == "telegram_400"
    finally:
        channel.close()
    unconfigured = TelegramChannel(TelegramSettings("", fake.base_url))
    with pytest.raises(PermanentFailure):
        unconfigured.send(Outgoing(1, "8001", "x", 3600))
    unconfigured.close()


def test_keyboard_drops_buttons_telegram_would_refuse() -> None:
    too_long = "认领 " + "W" * 70
    markup = keyboard([("认领", too_long), ("完成", "完成 T1"), ("", "x")])
    assert markup == {"inline_keyboard": [[{"text": "完成", "callback_data": "完成 T1"}]]}
    assert keyboard([]) is None
    many = keyboard([(str(i), f"C{i}") for i in range(5)])
    assert many is not None and [len(r) for r in many["inline_keyboard"]] == [3, 2]


def test_the_guided_visit_flow_has_buttons(fake: FakeTelegram, make: Any) -> None:
    from models import Visit
    from tests.visits.test_visits import build_place

    place = build_place(make)
    _link(fake, place.head, 7501)
    _send(fake, fake.text_update(7501, 7501, "走访"))
    asked = fake.wait_for(2, chat_id=7501)[-1]
    assert "1) 3-2-501" in asked["text"]
    assert asked["reply_markup"] == {
        "inline_keyboard": [
            [
                {"text": "1) 3-2-501", "callback_data": "1"},
                {"text": "2) 3-2-601", "callback_data": "2"},
            ]
        ]
    }
    _send(fake, fake.callback_update(7501, 7501, "2", message_id=asked["message_id"]))
    outcome = fake.wait_for(3, chat_id=7501)[-1]
    assert "3-2-601" in outcome["text"]
    assert outcome["reply_markup"] == {
        "inline_keyboard": [[{"text": "1 · 一切都好", "callback_data": "1"}]]
    }
    _send(fake, fake.callback_update(7501, 7501, "1", message_id=outcome["message_id"]))
    done = fake.wait_for(4, chat_id=7501)[-1]
    assert "1/2" in done["text"] and "reply_markup" not in done
    db.session.expire_all()
    [visit] = db.session.scalars(select(Visit)).all()
    assert visit.household_id == place.h601.id and visit.via == "telegram"
