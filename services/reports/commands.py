"""Reporting a public problem by SMS or Telegram: "反映 5号楼路灯坏了".

The text is the problem and its place. A building of the reporter's area named in it (5号楼)
becomes the need's building; otherwise the text stands as the place, in the reporter's grid.
A first word naming a category files it there ("反映 物业 3号楼电梯停了" goes to the property
company); anything else is filed under "other" for the grid leader to sort. COMMANDS is
declared to the registry (pwa.features).
"""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _

from models.clock import today_of
from models.roles import Permission
from notify.commands import Command, Help, Inbound, Reply
from services.errors import DomainError
from services.needs.commands import as_typed
from services.needs.messages import short
from services.reports import operations

# A first word that names the category (what a reporter would type).
CATEGORY_WORDS = {
    "物业": "property",
    "维修": "repairs",
    "环境": "environment",
    "卫生": "environment",
    "安全": "safety",
    "PROPERTY": "property",
    "REPAIRS": "repairs",
    "SAFETY": "safety",
}


def split_category(text: str) -> tuple[str, str]:
    """Return (category, text) for a report's text; "other" when no category word leads it.

    The word must be followed by a space or a colon ("物业公司不管" is not the category).
    """
    text = text.strip()
    for word, category in CATEGORY_WORDS.items():
        if text.upper().rstrip(":：") == word:
            return category, ""  # the category alone: nothing reported yet
        if text.upper().startswith(word) and text[len(word) : len(word) + 1] in (" ", ":", "："):
            rest = text[len(word) :].lstrip(" :：")
            if rest:
                return category, rest
    return "other", text


def _report(message: Inbound) -> Reply | None:
    person = message.person
    language = person.language if person is not None else "zh"
    with force_locale(language):
        who = operations.reporter(person, today_of(message.now))
        if who is None:
            return Reply(
                "report_problem",
                {
                    "problem": _(
                        "your post does not note problems with 反映: on patrol send 巡逻 发现 and "
                        "what you found; residents send 需求 and what they need."
                    )
                },
            )
        # The grammar upper-cases the text; the report keeps it as typed.
        category, text = split_category(as_typed(message))
        if not text:
            return Reply(
                "report_problem",
                {"problem": _("write the problem and where it is, e.g. 反映 5号楼路灯坏了.")},
            )
        building = operations.building_in_text(who, text)
        try:
            need = operations.report(
                who,
                category=category,
                text=text,
                now=message.now,
                building_id=building.id if building is not None else None,
                place="" if building is not None else short(text, 100),
            )
        except DomainError as error:
            return Reply("report_problem", {"problem": error.message})
    return Reply("report_logged", {"ref": need.ref, "need": short(need.text)})


COMMANDS: tuple[Command, ...] = (
    Command(
        "report",
        ("反映", "REPORT"),
        _report,
        shape="text",
        help=(
            Help(
                "“反映 问题和地点”报问题",
                "REPORT + problem and place",
                permission=Permission.RAISE_NEEDS,
            ),
        ),
    ),
)
