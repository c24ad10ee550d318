"""Every message kind's example, in Chinese and English, against a committed snapshot.

A changed wording shows up here for review. After an intended change run
`UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/messages/test_message_kinds.py` and commit the file.
"""

from __future__ import annotations

import json
import os
import string
from pathlib import Path

import pytest
from flask import Flask

from notify import templates
from notify.dispatch import DEFAULT_SIGNATURE
from services.messages import outbox as outbox_admin

SNAPSHOT = Path(__file__).resolve().parent / "snapshots" / "message_kinds.json"


def _rendered() -> dict[str, dict[str, str]]:
    return {
        name: {
            language: outbox_admin.preview(name, language, DEFAULT_SIGNATURE).text
            for language in ("zh", "en")
        }
        for name in sorted(templates.KINDS)
    }


def test_examples_match_the_snapshot(app: Flask) -> None:
    # The app is built so that every feature has registered its kinds.
    current = _rendered()
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(
            json.dumps(current, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        )
    assert SNAPSHOT.exists(), "no snapshot yet: run with UPDATE_SNAPSHOTS=1 and commit it"
    saved = json.loads(SNAPSHOT.read_text())
    assert sorted(current) == sorted(saved), "kinds added or removed: update the snapshot"
    for name in current:
        assert current[name] == saved[name], name


def _fields(template: str) -> set[str]:
    return {field for _text, field, _spec, _conv in string.Formatter().parse(template) if field}


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_example_renders_with_all_its_parameters(app: Flask, language: str) -> None:
    assert templates.KINDS
    for name, kind in templates.KINDS.items():
        template = kind.zh if language == "zh" else kind.en
        assert _fields(template) <= set(kind.example), (name, language)
        shown = outbox_admin.preview(name, language)
        assert shown.missing is None and shown.text.startswith(DEFAULT_SIGNATURE), name
        assert "{" not in shown.text.removeprefix(DEFAULT_SIGNATURE), (name, language)
    # Both languages name the same parameters, so a feature fills both the same way.
    for name, kind in templates.KINDS.items():
        assert _fields(kind.zh) == _fields(kind.en), name


def test_chinese_sms_examples_are_a_reasonable_size(app: Flask) -> None:
    for name in templates.KINDS:
        text = outbox_admin.preview(name, "zh", DEFAULT_SIGNATURE).text
        assert 0 < len(text) <= outbox_admin.REASONABLE_SMS_CHARS, name


def test_a_missing_parameter_is_reported_not_raised() -> None:
    kind = templates.MessageKind(
        name="test_missing_param", zh="{who}来了", en="{who} came", example={}
    )
    templates.KINDS[kind.name] = kind
    try:
        shown = outbox_admin.preview(kind.name, "zh")
    finally:
        del templates.KINDS[kind.name]
    assert shown.missing == "who" and shown.text == "" and shown.segments is None
