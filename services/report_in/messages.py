"""Report-in's message kinds: replies to 报到 and 反馈, the secretary's decision, and the
quarter's one-SMS summary to a unit's liaison. Registered by pwa.features."""

from __future__ import annotations

from collections.abc import Mapping

from notify.templates import HOUR, MessageKind

# Most kinds speak of one unit; their example names the same one.
UNIT = {"unit": "区供电局"}


def reply_kind(
    name: str, zh: str, en: str, example: Mapping[str, object], description: str
) -> MessageKind:
    """An answer to the sender's own text: urgent (never held for the morning), and worth
    delivering only within the hour."""
    return MessageKind(
        name=name,
        zh=zh,
        en=en,
        example=example,
        description=description,
        validity_seconds=HOUR,
        urgent=True,
    )


REPORT_IN_RECEIVED = reply_kind(
    name="report_in_received",
    zh="已收到您的报到（{unit}），待社区书记审核，结果将短信告知。",
    en="Your report-in ({unit}) is received; the community's secretary will approve it and "
    "we will text you.",
    example=UNIT,
    description="The reply to 报到: the report-in waits for the secretary.",
)
REPORT_IN_UNKNOWN_UNIT = reply_kind(
    name="report_in_unknown_unit",
    zh="未找到共建单位“{unit}”。{hint}请发“报到 单位全称 姓名”。单位全称可问本单位联络人或社区，"
    "也可在{link}查看。",
    en="No partner unit is called “{unit}”. {hint}Send CHECKIN, the unit's full name and your "
    "name. Ask your unit's liaison or the community for the name, or see {link}",
    example={
        "unit": "供电局",
        "hint": "您是否指：区供电局？",
        "link": "https://linli.example.cn/join/xf",
    },
    description="The reply to 报到 naming no partner unit of the community: how to find the name.",
)
REPORT_IN_HOW = reply_kind(
    name="report_in_how",
    zh="请发“报到 单位全称 您的姓名”报到。单位全称见{link}",
    en="Send CHECKIN, your unit's full name and your name. The units' names are at {link}",
    example={"link": "https://linli.example.cn/join/xf"},
    description="The reply to 报到 with nothing after it: how to report in.",
)
REPORT_IN_NEED_NAME = reply_kind(
    name="report_in_need_name",
    zh="请在单位名后写上您的姓名，如“报到 {unit} 张三”。",
    en="Add your name after the unit's, e.g. CHECKIN {unit} Zhang San.",
    example=UNIT,
    description="The reply to 报到 from an unknown phone without a name.",
)
REPORT_IN_ALREADY = reply_kind(
    name="report_in_already",
    zh="您已报到过（{unit}，{state}），无需重复报到。",
    en="You have already reported in ({unit}, {state}): no need to do it again.",
    example={"unit": "区供电局", "state": "待审核"},
    description="The reply to a second 报到 from the same phone.",
)
REPORT_IN_NO_COMMUNITY = reply_kind(
    name="report_in_no_community",
    zh="无法确定您要报到的社区，请扫社区报到二维码，或联系社区报到。",
    en="We cannot tell which community you report to: scan the community's QR code, or call "
    "the community.",
    example={},
    description="The reply to 报到 sent to no community's number from a phone no community knows.",
)
REPORT_IN_APPROVED = MessageKind(
    name="report_in_approved",
    zh="您的报到已通过，现为{unit}在职党员，感谢参与社区服务！发“帮助”查看可做的事。",
    en="Your report-in is approved: you serve the community as a member of {unit}. Thank you! "
    "Send HELP to see what you can do.",
    example=UNIT,
    description="The secretary approved a member's report-in.",
)
REPORT_IN_UNIT_APPROVED = MessageKind(
    name="report_in_unit_approved",
    zh="{unit}已通过社区报到，成为共驻共建单位。在职党员可发“报到 {unit} 姓名”报到。",
    en="{unit} is now a partner unit of the community. Its members report in by sending "
    "CHECKIN {unit} and their name.",
    example=UNIT,
    description="The secretary approved a unit's report-in; to its liaison.",
)
REPORT_IN_DECLINED = MessageKind(
    name="report_in_declined",
    zh="您的报到（{unit}）未通过：{reason}。如有疑问请联系社区。",
    en="Your report-in ({unit}) was not approved: {reason}. Call the community with any questions.",
    example={"unit": "区供电局", "reason": "请在居住地所在社区报到"},
    description="The secretary declined a report-in, with the reason.",
)
REPORT_IN_QUARTER_SUMMARY = MessageKind(
    name="report_in_quarter_summary",
    zh="{unit}{quarter}：在职党员{members}人服务{times}次共{hours}小时。回复“反馈 意见”评价。",
    en="{unit}, {quarter}: {members} members served {times} times, {hours} hours in all. "
    "Reply FEEDBACK and your comments.",
    example={"unit": "区供电局", "quarter": "2026年3季度", "members": 12, "times": 30, "hours": 56},
    description="A partner unit's quarter in one SMS, to its liaison (at the quarter's start).",
)
REPORT_IN_FEEDBACK_THANKS = reply_kind(
    name="report_in_feedback_thanks",
    zh="已收到{unit}对{quarter}的反馈，谢谢！",
    en="{unit}'s feedback on {quarter} is noted. Thank you!",
    example={"unit": "区供电局", "quarter": "2026年3季度"},
    description="The reply to a liaison's 反馈.",
)
REPORT_IN_FEEDBACK_EMPTY = reply_kind(
    name="report_in_feedback_empty",
    zh="请在“反馈”后写上意见，如“反馈 服务及时，希望多安排周末活动”。",
    en="Write your comments after FEEDBACK, e.g. FEEDBACK quick help, more weekend events please.",
    example={},
    description="The reply to 反馈 with nothing after it.",
)

MESSAGE_KINDS: tuple[MessageKind, ...] = (
    REPORT_IN_RECEIVED,
    REPORT_IN_UNKNOWN_UNIT,
    REPORT_IN_HOW,
    REPORT_IN_NEED_NAME,
    REPORT_IN_ALREADY,
    REPORT_IN_NO_COMMUNITY,
    REPORT_IN_APPROVED,
    REPORT_IN_UNIT_APPROVED,
    REPORT_IN_DECLINED,
    REPORT_IN_QUARTER_SUMMARY,
    REPORT_IN_FEEDBACK_THANKS,
    REPORT_IN_FEEDBACK_EMPTY,
)
