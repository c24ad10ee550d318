"""Safe to deploy: production unless told otherwise, its settings checked, proxies trusted."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, request

from bench.harness import base_environment
from pwa import config, create_app, launcher
from pwa.config import ConfigError
from tests.processes import job_environment
from tests.procfile import environment
from tests.support import RedisServer

HTTPS = "https://linli.example.cn"


@pytest.fixture
def bare_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No Linli setting in the environment, as on a host where someone forgot them all."""
    for name in ("LINLI_ENV", "SECRET_KEY", "PUBLIC_BASE_URL", "TRUSTED_PROXIES"):
        monkeypatch.delenv(name, raising=False)


def _app(app: Flask, redis_server: RedisServer, **settings: Any) -> Flask:
    other = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": redis_server.url,
            "RATELIMIT_STORAGE_URI": redis_server.url,
            "WTF_CSRF_ENABLED": False,
            **settings,
        }
    )
    other.config["TESTING"] = True
    return other


# Production by default.


def test_without_linli_env_it_is_production_and_says_what_to_set(
    bare_env: None, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError) as refused:
        config.load(tmp_path)
    message = str(refused.value)
    assert "LINLI_ENV=development" in message
    assert "SECRET_KEY:" in message and "PUBLIC_BASE_URL:" in message
    assert "https://" in message
    # Nothing was written for a development key.
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize("linli_env", [None, "", "production", " Production "])
def test_production_needs_a_secret_key(
    bare_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, linli_env: str | None
) -> None:
    if linli_env is not None:
        monkeypatch.setenv("LINLI_ENV", linli_env)
    monkeypatch.setenv("PUBLIC_BASE_URL", HTTPS)
    with pytest.raises(ConfigError) as refused:
        config.load(tmp_path)
    assert "SECRET_KEY:" in str(refused.value)
    assert "PUBLIC_BASE_URL:" not in str(refused.value)


@pytest.mark.parametrize(
    "public",
    ["", "http://linli.example.cn", "linli.example.cn", "https://", "ftp://linli.example.cn"],
)
def test_production_needs_an_https_public_base_url(
    bare_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, public: str
) -> None:
    monkeypatch.setenv("SECRET_KEY", "a-production-secret")
    monkeypatch.setenv("PUBLIC_BASE_URL", public)
    with pytest.raises(ConfigError) as refused:
        config.load(tmp_path)
    message = str(refused.value)
    assert "PUBLIC_BASE_URL: the https address" in message, message
    assert "SECRET_KEY:" not in message
    if public:
        assert repr(public) in message


def test_production_starts_with_both_set(
    bare_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRET_KEY", "a-production-secret")
    monkeypatch.setenv("PUBLIC_BASE_URL", HTTPS)
    settings = config.load(tmp_path)
    assert settings["LINLI_ENV"] == "production"
    assert settings["DEV_INBOX"] is False and settings["SESSION_COOKIE_SECURE"] is True
    assert settings["TRUSTED_PROXIES"] == 0


@pytest.mark.parametrize("linli_env", ["prod", "testing", "dev"])
def test_an_unknown_linli_env_is_refused(
    bare_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, linli_env: str
) -> None:
    monkeypatch.setenv("LINLI_ENV", linli_env)
    with pytest.raises(ConfigError, match=r"LINLI_ENV=production \(the default\) or"):
        config.load(tmp_path)


def test_dev_pages_are_404_by_default(
    bare_env: None, app: Flask, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRET_KEY", "a-production-secret")
    monkeypatch.setenv("PUBLIC_BASE_URL", HTTPS)
    client = _app(app, redis_server).test_client()
    for url in ("/dev/inbox", "/dev/phones", "/dev/phones/+8613900000000"):
        assert client.get(url).status_code == 404, url
    assert client.post("/dev/phones/+8613900000000", data={"text": "1"}).status_code == 404


def test_dev_pages_are_served_in_development(app: Flask, redis_server: RedisServer) -> None:
    client = _app(app, redis_server, LINLI_ENV="development", SECRET_KEY="dev").test_client()
    assert client.get("/dev/inbox").status_code == 200
    assert client.get("/dev/phones").status_code == 200


# The development key file.


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask that lets everyone read new files: the key file must not depend on it."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def test_development_key_file_is_readable_by_its_owner_only(
    bare_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, open_umask: None
) -> None:
    monkeypatch.setenv("LINLI_ENV", "development")
    instance = tmp_path / "instance"
    first = config.load(instance)["SECRET_KEY"]
    key_file = instance / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first) == 64
    # Kept: sessions survive a restart.
    assert config.load(instance)["SECRET_KEY"] == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_development_key_file_is_never_written_through_a_link(
    bare_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINLI_ENV", "development")
    instance = tmp_path / "instance"
    instance.mkdir()
    target = tmp_path / "elsewhere"
    (instance / "secret_key").symlink_to(target)
    # A dangling link is not followed to create a file elsewhere (O_EXCL).
    with pytest.raises(OSError):
        config.load(instance)
    assert not target.exists()


# Development is asked for explicitly.


def test_make_run_asks_for_development(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LINLI_ENV", raising=False)
    assert launcher.child_environment("redis://127.0.0.1:1/0", 8123)["LINLI_ENV"] == "development"


def test_test_and_bench_processes_ask_for_development(app: Flask) -> None:
    assert app.config["LINLI_ENV"] == "development"
    os.environ.setdefault("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    assert environment("redis://127.0.0.1:1/0")["LINLI_ENV"] == "development"
    assert job_environment("redis://127.0.0.1:1/0")["LINLI_ENV"] == "development"
    assert base_environment("sqlite://", "redis://127.0.0.1:1/0")["LINLI_ENV"] == "development"


# Behind a reverse proxy.


@pytest.mark.parametrize("value", ["one", "-1", "1.5"])
def test_trusted_proxies_must_be_a_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("TRUSTED_PROXIES", value)
    with pytest.raises(ConfigError, match=r"TRUSTED_PROXIES=.* set it to how many reverse proxies"):
        config.load(tmp_path, {"LINLI_ENV": "development", "SECRET_KEY": "x"})


def _sign_in_tries(client: Any, forwarded_for: str, phones: list[str]) -> list[int]:
    return [
        client.post(
            "/sign-in",
            data={"phone": phone},
            headers={"X-Forwarded-For": forwarded_for},
            environ_base={"REMOTE_ADDR": "10.0.0.1"},  # the proxy
        ).status_code
        for phone in phones
    ]


@pytest.mark.parametrize("proxies", [1, 0])
def test_per_ip_limits_key_on_the_client_behind_trusted_proxies(
    app: Flask, redis_server: RedisServer, make: Any, proxies: int
) -> None:
    behind = _app(
        app,
        redis_server,
        LINLI_ENV="development",
        SECRET_KEY="test-secret",
        SIGN_IN_IP_LIMIT="2/hour",
        TRUSTED_PROXIES=proxies,
    )
    phones = [make.phone() for _ in range(4)]
    first = _sign_in_tries(behind.test_client(), "203.0.113.5", phones[:3])
    second = _sign_in_tries(behind.test_client(), "198.51.100.7", phones[3:])
    assert first == [302, 302, 429]
    if proxies:
        assert second == [302]  # a client of its own: its own bucket
    else:
        assert second == [429]  # everyone behind the proxy shares the proxy's bucket


def test_trusted_proxy_sets_scheme_and_host(app: Flask, redis_server: RedisServer) -> None:
    behind = _app(app, redis_server, LINLI_ENV="development", SECRET_KEY="x", TRUSTED_PROXIES=1)
    seen: dict[str, str] = {}

    @behind.get("/_probe")
    def _probe() -> str:
        seen.update(url=request.url, ip=str(request.remote_addr))
        return ""

    behind.test_client().get(
        "/_probe",
        headers={
            "X-Forwarded-For": "198.51.100.9",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "linli.example.cn",
        },
    )
    assert seen == {"url": "https://linli.example.cn/_probe", "ip": "198.51.100.9"}
