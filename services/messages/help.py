"""The answer to 帮助 / HELP: what this sender can send, and nothing else.

A resident (anyone with no post: an account holder, a resident with no account, a household's
contact, a stranger) is told the few things a resident can send, in one SMS with the
community's signature: on an old phone a second part may arrive first, or not at all. Those
who hold a post or volunteer for a partner unit (N members, heads, staff) are told the
commands their posts allow (each feature's `Help` lines, `permission` checked as every page
checks it); theirs may take two parts.
"""

from __future__ import annotations

from datetime import date

from flask import current_app, has_app_context

from models import Community, Person, db
from models.clock import today_of
from notify import segments, templates
from notify.commands import (
    RESIDENT,
    VOLUNTEER,
    Command,
    Help,
    Inbound,
    Reply,
    help_lines,
    join_help,
)
from notify.dispatch import DEFAULT_SIGNATURE, Settings
from services.roster import permissions

KIND = "help_reply"


def audience_of(person: Person | None, today: date) -> str:
    """Return whom the answer is for: a volunteer (any active post, or a partner unit's
    member) or a resident."""
    if person is None or not person.active:
        return RESIDENT
    if person.partner_unit_id is not None or person.active_posts(today):
        return VOLUNTEER
    return RESIDENT


def signature_of(community_id: int | None) -> str:
    """Return the signature an SMS of this community starts with, as the dispatcher adds it."""
    community = db.session.get(Community, community_id) if community_id else None
    if community is not None and community.sms_signature:
        return community.sms_signature
    if has_app_context():
        return Settings.from_config(current_app.config).signature
    return DEFAULT_SIGNATURE


def _fitting(lines: list[Help], language: str, signature: str) -> list[Help]:
    """Return the first lines that, with the signature, still make one SMS."""
    while lines:
        params = {"commands": join_help(lines, language)}
        text = signature + templates.render(KIND, language, params)
        if segments.count(text).count <= 1:
            break
        lines = lines[:-1]
    return lines


# The pointer to the whole list (the help_all command), when a volunteer's answer leaves lines out.
MORE = Help("“帮助 全部”看全部", "HELP ALL for all")


def _fitting_two(lines: list[Help], language: str, signature: str) -> list[Help]:
    """Return the first lines that, with the signature and the pointer to the rest, make two
    SMS at most (an old phone shows a third part late or not at all)."""
    if _segments(lines, language, signature) <= 2:
        return lines
    while lines and _segments([*lines, MORE], language, signature) > 2:
        lines = lines[:-1]
    return [*lines, MORE]


def _segments(lines: list[Help], language: str, signature: str) -> int:
    text = signature + templates.render(KIND, language, {"commands": join_help(lines, language)})
    return segments.count(text).count


def commands_for(
    person: Person | None,
    today: date,
    language: str,
    *,
    signature: str | None = None,
    everything: bool = False,
) -> str:
    """Return the {commands} of the help answer for this sender.

    `signature`: the SMS will start with it; a resident's answer must fit one SMS with it and
    a volunteer's two, the rest named by "帮助 全部" (None: no SMS, e.g. Telegram, where no
    line is left out). `everything`: the volunteer asked for the whole list.
    """
    audience = audience_of(person, today)
    if audience == RESIDENT:
        lines = help_lines(RESIDENT)
        if signature is not None:
            lines = _fitting(lines, language, signature)
        return join_help(lines, language)
    held = {p.role for p in person.active_posts(today)} if person is not None else set()

    def allowed(line: Help) -> bool:
        if line.roles and not line.roles & held:
            return False
        return line.permission is None or permissions.may(person, line.permission, today)

    # A post's own duties first (lines a permission or a role lets through), then what every
    # post may send: when two SMS cannot hold them all, the general ones make way.
    lines = sorted(help_lines(VOLUNTEER, allowed), key=lambda h: not (h.permission or h.roles))
    if signature is not None and not everything:
        lines = _fitting_two(lines, language, signature)
    return join_help(lines, language)


def answer(message: Inbound, *, everything: bool = False) -> Reply:
    language = message.person.language if message.person else "zh"
    signature = signature_of(message.community_id) if message.channel == "sms" else None
    today = today_of(message.now)
    return Reply(
        KIND,
        {
            "commands": commands_for(
                message.person, today, language, signature=signature, everything=everything
            )
        },
    )


def answer_all(message: Inbound) -> Reply:
    return answer(message, everything=True)


COMMANDS = (
    Command("help", ("帮助", "HELP", "INFO", "?", "？", "BZ"), answer),
    # Exact words only: "帮助我修水管" is a resident asking, not a command.
    Command(
        "help_all", ("帮助 全部", "帮助全部", "帮助 更多", "HELP ALL", "HELP MORE"), answer_all
    ),
)
