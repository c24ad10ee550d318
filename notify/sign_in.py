"""The sign-in code message, in Chinese and English."""

from __future__ import annotations

import logging

from notify.channels.dev_inbox import DevInbox

log = logging.getLogger(__name__)

TEMPLATES = {
    "zh": "【邻里】您的登录验证码是{code}，{minutes}分钟内有效。请勿告诉他人。",
    "en": (
        "[Linli] Your sign-in code is {code}. It is valid for {minutes} minutes. Do not share it."
    ),
}
# The example every message kind carries, for previews and snapshot tests.
EXAMPLE = {"code": "482913", "minutes": 10}


def render(language: str, *, code: str, minutes: int) -> str:
    """Return the text of a sign-in code message in the given language (Chinese by default)."""
    template = TEMPLATES.get(language, TEMPLATES["zh"])
    return template.format(code=code, minutes=minutes)


def send_sign_in_code(phone: str, code: str, *, language: str, minutes: int) -> None:
    """Send a sign-in code to a phone; until an SMS provider exists it lands in the dev inbox."""
    DevInbox().send(phone, render(language, code=code, minutes=minutes))
