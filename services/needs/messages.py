"""The needs list's message kinds: the answers a resident hears, and the SMS receipt."""

from __future__ import annotations

from notify.templates import HOUR, MessageKind

NEED_SOLVED = MessageKind(
    name="need_solved",
    zh="您反映的“{need}”已解决：{answer}",
    en="What you raised (“{need}”) is solved: {answer}",
    example={"need": "楼道灯不亮", "answer": "物业已更换灯泡。"},
    description="A need was solved; the answer goes to the resident.",
)
NEED_REFERRED = MessageKind(
    name="need_referred",
    zh="您反映的“{need}”已转交{unit}办理，他们会与您联系。{note}",
    en="What you raised (“{need}”) has been passed to {unit}, who will contact you. {note}",
    example={"need": "想办理医保复审", "unit": "社区卫生服务站", "note": ""},
    description="A need was referred to a partner unit.",
)
NEED_DECLINED = MessageKind(
    name="need_declined",
    zh="您反映的“{need}”暂时无法办理：{reason}。如有疑问请联系网格长。",
    en="We cannot take up what you raised (“{need}”): {reason}. Call your grid leader "
    "with any questions.",
    example={"need": "想在楼下加装健身器材", "reason": "小区场地不足，已记录待规划"},
    description="A need was declined, with the reason.",
)
NEED_IN_HAND = MessageKind(
    name="need_in_hand",
    zh="您反映的“{need}”已列为{what}（编号{ref}），办好后会告诉您。",
    en="What you raised (“{need}”) is now {what} {ref}; we will tell you when it is done.",
    example={"need": "水管漏水", "what": "工单", "ref": "T34"},
    description="A need became a micro-wish or a work order.",
)
NEED_SETTLED = MessageKind(
    name="need_settled",
    zh="您反映的“{need}”已办好：{answer}",
    en="What you raised (“{need}”) is done: {answer}",
    example={"need": "水管漏水", "answer": "志愿者已上门修好。"},
    description="The micro-wish or work order made from a need is done.",
)
NEED_LOGGED = MessageKind(
    name="need_logged",
    zh="已记录需求N{id}：{need}。网格长会尽快答复您。",
    en="Need N{id} noted: {need}. Your grid leader will answer soon.",
    example={"id": 12, "need": "楼道灯不亮"},
    validity_seconds=HOUR,
    urgent=True,
    description="The reply when a need is sent by SMS or Telegram.",
)

MESSAGE_KINDS: tuple[MessageKind, ...] = (
    NEED_SOLVED,
    NEED_REFERRED,
    NEED_DECLINED,
    NEED_IN_HAND,
    NEED_SETTLED,
    NEED_LOGGED,
)

# What a need became, as the resident reads it (Chinese, English).
WHAT = {"wish": ("微心愿", "micro-wish"), "work_order": ("工单", "work order")}


def short(text: str, limit: int = 20) -> str:
    """Return text cut for an SMS (the need quoted back to the resident)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
