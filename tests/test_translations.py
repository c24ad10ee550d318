"""Every text a person reads has a Chinese translation with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "_l": None,
    "N_": None,
}
METHOD_MAP = [
    ("pwa/**.py", "python"),
    ("services/**.py", "python"),
    ("notify/**.py", "python"),
    ("pwa/templates/**.html", "jinja2"),
]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def _source_messages() -> set[str]:
    found: set[str] = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(ROOT), METHOD_MAP, keywords=KEYWORDS, options_map={"pwa/templates/**.html": {}}
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_is_translated_to_chinese() -> None:
    with open(ROOT / "pwa/translations/zh/LC_MESSAGES/messages.po", "rb") as fh:
        catalog = read_po(fh)
    translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(_source_messages() - set(translated))
    assert not missing, "untranslated (run pybabel extract/update and translate): " + repr(missing)


def test_placeholders_survive_translation() -> None:
    with open(ROOT / "pwa/translations/zh/LC_MESSAGES/messages.po", "rb") as fh:
        catalog = read_po(fh)
    for message in catalog:
        if message.id and message.string:
            assert sorted(PLACEHOLDER.findall(str(message.id))) == sorted(
                PLACEHOLDER.findall(str(message.string))
            ), message.id
