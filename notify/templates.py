"""Every message kind is a template with named parameters, in Chinese and English.

Mainland SMS providers send only registered templates under a registered signature, so no
feature writes free text to a channel: it names a kind and gives its parameters. Each kind
carries an example, used by the preview page and the snapshot tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

HOUR = 3600


@dataclass(frozen=True)
class MessageKind:
    name: str
    zh: str
    en: str
    example: Mapping[str, Any]
    # How long an SMS stays worth delivering; the provider drops it after that.
    validity_seconds: int = 12 * HOUR
    urgent: bool = False
    description: str = ""
    params: tuple[str, ...] = field(default=())
    # Secret content (a sign-in code): no inbox copy, and the text is wiped once it has gone.
    sensitive: bool = False
    # Sent by SMS even to a phone that opted out: the confirmation of that opt-out.
    reaches_opted_out: bool = False

    def render(self, language: str, params: Mapping[str, Any]) -> str:
        template = self.en if language == "en" else self.zh
        return template.format(**params)


KINDS: dict[str, MessageKind] = {}


def register(kind: MessageKind) -> MessageKind:
    """Add a message kind; pwa.features.install registers every feature's (safe to repeat)."""
    if kind.name in KINDS and KINDS[kind.name] != kind:
        raise ValueError(f"message kind {kind.name!r} registered twice")
    KINDS[kind.name] = kind
    return kind


def get(name: str) -> MessageKind:
    try:
        return KINDS[name]
    except KeyError:
        raise KeyError(f"unknown message kind {name!r}") from None


def render(name: str, language: str, params: Mapping[str, Any]) -> str:
    return get(name).render(language, params)


SIGN_IN_CODE = MessageKind(
    name="sign_in_code",
    zh="您的登录验证码是{code}，{minutes}分钟内有效。请勿告诉他人。",
    en="Your sign-in code is {code}. It is valid for {minutes} minutes. Do not share it.",
    example={"code": "482913", "minutes": 10},
    validity_seconds=600,
    urgent=True,
    sensitive=True,
    description="One-time sign-in code.",
)
NOTICE = MessageKind(
    name="notice",
    zh="{text}",
    en="{text}",
    example={"text": "明天上午9点社区活动室开展医保复审政策宣讲，欢迎参加。"},
    description="A notice written by community staff.",
)
URGENT_NOTICE = MessageKind(
    name="urgent_notice",
    zh="【紧急】{text}",
    en="[Urgent] {text}",
    example={"text": "需要20人07:00清扫积雪，回复1报名。"},
    validity_seconds=2 * HOUR,
    urgent=True,
    description="An urgent notice or mobilisation; ignores quiet hours.",
)
OPTED_OUT = MessageKind(
    name="sms_opted_out",
    zh="您已退订社区短信通知。回复“订阅”可恢复。",
    en="You have unsubscribed from community SMS. Reply START to subscribe again.",
    example={},
    validity_seconds=HOUR,
    urgent=True,
    reaches_opted_out=True,
)
OPTED_IN = MessageKind(
    name="sms_opted_in",
    zh="您已恢复接收社区短信通知。回复“退订”可停止。",
    en="You will receive community SMS again. Reply STOP to unsubscribe.",
    example={},
    validity_seconds=HOUR,
    urgent=True,
)
HELP = MessageKind(
    name="help_reply",
    zh="回复{commands}“退订”停收短信。",
    en="Reply {commands}STOP to opt out.",
    # A resident's answer (services/messages/help.py): it fits one SMS with the signature.
    example={
        "commands": "“需求 内容”反映问题，“心愿 内容”求助，“评分 W12 5”打分，“撤回 W12”撤回心愿，"
    },
    validity_seconds=HOUR,
    urgent=True,
    description=(
        "Answer to 帮助 / HELP: what this sender can send. A resident's fits one SMS; "
        "volunteers, heads and staff get the commands of their posts."
    ),
)
UNKNOWN = MessageKind(
    name="unknown_reply",
    zh="没有看懂您的短信。回复“帮助”查看可用的指令，有事请直接联系网格长。",
    en="Sorry, we did not understand. Reply HELP for the commands, or call your grid leader.",
    example={},
    validity_seconds=HOUR,
    urgent=True,
)
TELEGRAM_LINKED = MessageKind(
    name="telegram_linked",
    zh="{name}，您的邻里账号已绑定 Telegram，今后的通知会发到这里。",
    en="{name}, your Linli account is linked: notices will arrive here from now on.",
    example={"name": "王师傅"},
    validity_seconds=HOUR,
    urgent=True,
)
SMS_BALANCE_EMPTY = MessageKind(
    name="sms_balance_empty",
    zh="{community}的{provider}短信账户余额不足，短信已暂停发送（不会丢失）。请尽快充值，充值后自动恢复。",
    en=(
        "{community}: the {provider} SMS account's balance is empty. SMS are held, not lost; "
        "top it up and sending resumes by itself."
    ),
    example={"community": "西苑社区", "provider": "阿里云"},
    validity_seconds=24 * HOUR,
    urgent=True,
    description="To a community's staff when its SMS provider's balance is empty.",
)

# The kinds notify itself sends (sign-in codes, notices, the core commands' answers).
MESSAGE_KINDS = (
    SIGN_IN_CODE,
    NOTICE,
    URGENT_NOTICE,
    OPTED_OUT,
    OPTED_IN,
    HELP,
    UNKNOWN,
    TELEGRAM_LINKED,
    SMS_BALANCE_EMPTY,
)
