"""Campaigns' message kinds: the policy's SMS (answered with "1") and the thanks for it.

Plain constants; the registry (pwa.features) registers MESSAGE_KINDS when the app is built.
Mainland template providers get {title} and {summary} as variables (each at most 35
characters: services.campaigns.operations checks it when the campaign is written).
"""

from __future__ import annotations

from notify.templates import HOUR, MessageKind

CAMPAIGN_NOTICE = MessageKind(
    name="campaign_notice",
    zh="【政策】{title}：{summary}已知晓请回复1",
    en="[Policy] {title}: {summary} Reply 1 once you have read it.",
    example={"title": "医保缴费", "summary": "2027年城乡居民医保12月31日前缴费，每人380元。"},
    validity_seconds=24 * HOUR,
    description="A policy campaign's summary to the residents it concerns; 1 acknowledges it.",
)
CAMPAIGN_THANKS = MessageKind(
    name="campaign_thanks",
    zh="已收到，谢谢！“{title}”详情可在邻里应用查看或咨询社区。",
    en="Thank you, noted. Details of “{title}” are in the Linli app or at the community office.",
    example={"title": "医保缴费"},
    validity_seconds=HOUR,
    urgent=True,
    description="The answer to a resident who acknowledged a campaign's SMS with 1.",
)

CAMPAIGN_TOLD = MessageKind(
    name="campaign_told",
    zh="已记：{address}已告知“{title}”（{how}），您负责的还有{left}户未告知。",
    en="Noted: {address} told of “{title}” ({how}); {left} households left in your area.",
    example={"address": "3-2-501", "title": "医保缴费", "how": "电话告知", "left": 12},
    validity_seconds=HOUR,
    urgent=True,
    description="The answer to a head or publicist who recorded a household told by SMS.",
)
CAMPAIGN_CORRECTION = MessageKind(
    name="campaign_correction",
    zh="{problem} 格式：告知 C3 楼-单元-房号 当面/电话",
    en="{problem} Write: TOLD C3 building-unit-room IN/PHONE",
    example={"problem": "您的片区没有3-2-509这户。"},
    validity_seconds=HOUR,
    urgent=True,
    description="A household told, sent by SMS, that could not be recorded, and how to write it.",
)

CAMPAIGN_LIST = MessageKind(
    name="campaign_list",
    zh="进行中的宣传：{campaigns}。告知后回复“告知 C3 房号 当面/电话”。",
    en="Open campaigns: {campaigns}. Once told, write: TOLD C3 room IN/PHONE",
    example={"campaigns": "C3 医保缴费（12户未告知）"},
    validity_seconds=HOUR,
    urgent=True,
    description="The answer to 告知 alone: the sender's open campaigns and households left.",
)

MESSAGE_KINDS: tuple[MessageKind, ...] = (
    CAMPAIGN_NOTICE,
    CAMPAIGN_THANKS,
    CAMPAIGN_TOLD,
    CAMPAIGN_CORRECTION,
    CAMPAIGN_LIST,
)
