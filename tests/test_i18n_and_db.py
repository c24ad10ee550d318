"""Chinese by default, English by the browser or the switch; SQLite takes concurrent writers."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask, render_template_string
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext, lazy_gettext, refresh
from sqlalchemy import func, select

from models import Person, SignInCode, db
from tests.support import sign_in


def test_chinese_is_the_default(client: FlaskClient) -> None:
    page = client.get("/sign-in").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert "登录" in page


def test_browser_language_picks_english(client: FlaskClient) -> None:
    page = client.get("/sign-in", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(
        as_text=True
    )
    assert '<html lang="en">' in page and "Sign in" in page
    zh = client.get("/sign-in", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert '<html lang="zh-CN">' in zh.get_data(as_text=True)


def test_switch_overrides_the_browser(client: FlaskClient) -> None:
    response = client.post("/lang", data={"lang": "en", "next": "/sign-in"})
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"
    page = client.get("/sign-in", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert '<html lang="en">' in page
    client.post("/lang", data={"lang": "zh"})
    page = client.get("/sign-in", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    # An unknown language falls back to Chinese; an outside "next" is not followed.
    response = client.post("/lang", data={"lang": "xx", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_switch_remembers_the_language_and_goes_back_where_it_was_pressed(
    client: FlaskClient, make: Any
) -> None:
    person = make.person(language="zh")
    sign_in(client, person.phone)
    response = client.post("/lang", data={"lang": "en"}, headers={"Referer": "/me"})
    assert response.status_code == 302 and response.headers["Location"] == "/me"
    assert "linli_lang=en" in response.headers["Set-Cookie"]
    db.session.expire_all()
    assert db.session.get(Person, person.id).language == "en"
    # Bad input is not refused: no language means Chinese, a page elsewhere means the front page.
    for data, referer in (({}, "//evil.example/x"), ({"lang": "", "next": ""}, "https://x.y/")):
        response = client.post("/lang", data=data, headers={"Referer": referer})
        assert response.status_code == 302 and response.headers["Location"] == "/"
        assert "linli_lang=zh" in response.headers["Set-Cookie"]
    db.session.expire_all()
    assert db.session.get(Person, person.id).language == "zh"


def test_times_are_shown_in_shanghai(app: Flask) -> None:
    from datetime import UTC, datetime

    from pwa.i18n import local_time

    with app.test_request_context():
        assert local_time(datetime(2026, 1, 1, 16, 30, tzinfo=UTC)) == "2026-01-02 00:30"


def test_concurrent_writers_do_not_fail(app: Flask, make: Any) -> None:
    """Eight threads sending sign-in codes at once: none fails with 'database is locked'."""
    phones = [make.person().phone for _ in range(40)]
    db.session.commit()  # hold no lock while the other threads write
    statuses: list[int] = []
    errors: list[BaseException] = []

    def worker(batch: list[str]) -> None:
        client = app.test_client()
        try:
            for phone in batch:
                statuses.append(client.post("/sign-in", data={"phone": phone}).status_code)
        except BaseException as error:  # collected and reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(phones[i::8],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert statuses == [302] * 40
    db.session.rollback()  # end this thread's read snapshot to see the others' writes
    assert db.session.scalar(select(func.count(SignInCode.id))) == 40


def test_sqlite_runs_in_wal_mode(app: Flask) -> None:
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            assert db.engine.dialect.name == "postgresql"
            return
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_gettext_works_in_a_job_without_a_request(app: Any) -> None:
    from flask_babel import gettext

    with app.app_context():
        assert gettext("Sign in") == "登录"


def test_kept_translations_follow_a_change_of_language_within_a_request(app: Flask) -> None:
    # pwa.i18n.RequestDomain keeps the translations found on the request's Babel context.
    name = lazy_gettext("Name")
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert gettext("Name") == "姓名" and str(name) == "姓名"
        with force_locale("en"):
            assert gettext("Name") == "Name" and str(name) == "Name"
        assert gettext("Name") == "姓名"
        refresh()
        assert gettext("Name") == "姓名"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert gettext("Name") == "Name"
        template = app.jinja_env.from_string("{{ _('Name') }}")
        assert template.render() == "Name"
        with force_locale("zh"):
            assert template.render() == "姓名"


def test_a_rendering_s_own_gettext_says_what_babel_s_says(app: Flask) -> None:
    # pwa.i18n.template_gettext: found once per rendering, formatted as Jinja's newstyle.
    page = (
        "{{ _('Name') }}|{{ gettext('Name') }}|{{ _('%(n)d messages', n=3) }}"
        "|{{ _('Hi %(who)s', who='<b>') }}|{% trans %}Name{% endtrans %}"
        "|{% trans n=2 %}{{ n }} thing{% pluralize %}{{ n }} things{% endtrans %}"
        "|{{ _('100%') }}"
    )
    with app.test_request_context(headers={"Accept-Language": "en"}):
        app.preprocess_request()
        with force_locale("en"):
            expected = (
                f"{gettext('Name')}|{gettext('Name')}|{gettext('%(n)d messages', n=3)}"
                "|Hi &lt;b&gt;|Name|2 things|100%"
            )
        assert render_template_string(page) == expected
        with force_locale("zh"):
            chinese = render_template_string(page)
        assert chinese.startswith("姓名|姓名|") and gettext("%(n)d messages", n=3) not in chinese
        # The translations are those of the rendering's language, not the first one's.
        assert render_template_string("{{ _('Name') }}") == "Name"
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        app.preprocess_request()
        assert render_template_string("{{ _('Name') }}") == "姓名"


def test_wtforms_own_messages_follow_each_request_s_language(app: Flask) -> None:
    # pwa.steps keeps WTForms' catalogue per language: each request still gets its own.
    from wtforms import StringField
    from wtforms.validators import InputRequired

    from pwa.steps import Form

    class Named(Form):
        name = StringField(validators=[InputRequired()])

    for language, expected in (
        ("zh-CN", "该字段是必填字段。"),
        ("en", "This field is required."),
        ("zh-CN", "该字段是必填字段。"),
    ):
        with app.test_request_context(
            "/", method="POST", data={}, headers={"Accept-Language": language}
        ):
            app.preprocess_request()
            form = Named()
            assert not form.validate()
            assert form.first_error() == expected
