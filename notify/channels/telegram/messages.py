"""The bot's own answers in Telegram: linking, help, stopping and resuming notices.

Not registered on import: pwa/features.py installs MESSAGE_KINDS with the messages feature.
"""

from __future__ import annotations

from notify.templates import HOUR, MessageKind

START_HELP = MessageKind(
    name="telegram_start_help",
    zh=(
        "您好！这里是邻里社区服务。要在 Telegram 接收通知，请登录邻里网页，"
        "打开“Telegram”页面，点“生成绑定链接”，再打开生成的链接。"
    ),
    en=(
        "Hello, this is Linli. To get your notices here, sign in to Linli on the web, "
        "open the Telegram page, press “Create a link” and open the link it shows."
    ),
    example={},
    validity_seconds=HOUR,
    urgent=True,
    description="Answer to /start without a link token.",
)
ALREADY_LINKED = MessageKind(
    name="telegram_already_linked",
    zh="{name}，您的账号已绑定，通知会发到这里。发送 /help 查看指令，/stop 改用短信接收。",
    en=(
        "{name}, your account is linked: notices arrive here. Send /help for the commands, "
        "/stop to get them by SMS instead."
    ),
    example={"name": "王师傅"},
    validity_seconds=HOUR,
    urgent=True,
    description="Answer to /start in a chat that is already linked.",
)
LINK_INVALID = MessageKind(
    name="telegram_link_invalid",
    zh="这个绑定链接无效或已经用过。请在邻里网页的“Telegram”页面重新生成一个。",
    en="This link is not valid or was already used. Create a new one on Linli's Telegram page.",
    example={},
    validity_seconds=HOUR,
    urgent=True,
    description="A deep-link token that is unknown or already used.",
)
LINK_EXPIRED = MessageKind(
    name="telegram_link_expired",
    zh="这个绑定链接已过期（有效期{minutes}分钟）。请在邻里网页的“Telegram”页面重新生成一个。",
    en=(
        "This link has expired (it is valid for {minutes} minutes). "
        "Create a new one on Linli's Telegram page."
    ),
    example={"minutes": 30},
    validity_seconds=HOUR,
    urgent=True,
    description="A deep-link token past its expiry.",
)
HELP = MessageKind(
    name="telegram_help",
    zh=(
        "指令：/start 绑定账号或恢复接收通知；/help 查看帮助；/stop 停止在这里接收通知"
        "（改发短信）。{commands}有事请联系网格长。"
    ),
    en=(
        "Commands: /start links your account or resumes notices; /help shows this; "
        "/stop stops notices here (they go by SMS instead). {commands}"
        "For help call your grid leader."
    ),
    example={"commands": ""},
    validity_seconds=HOUR,
    urgent=True,
    description="Answer to /help in Telegram.",
)
STOPPED = MessageKind(
    name="telegram_stopped",
    zh="好的，今后的通知改用短信发送。发送 /start 可恢复在这里接收。",
    en="Done: notices will go to you by SMS from now on. Send /start to get them here again.",
    example={},
    validity_seconds=HOUR,
    urgent=True,
    description="Answer to /stop in Telegram.",
)
RESUMED = MessageKind(
    name="telegram_resumed",
    zh="{name}，通知会重新发到这里。",
    en="{name}, notices will arrive here again.",
    example={"name": "王师傅"},
    validity_seconds=HOUR,
    urgent=True,
    description="Answer to /start in a linked chat that had stopped notices.",
)

MESSAGE_KINDS: tuple[MessageKind, ...] = (
    START_HELP,
    ALREADY_LINKED,
    LINK_INVALID,
    LINK_EXPIRED,
    HELP,
    STOPPED,
    RESUMED,
)
