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

# A referral, to the partner unit's contact: the link carries a secret token, so the text is
# wiped once sent (sensitive).
NEED_TO_PARTNER = MessageKind(
    name="need_to_partner",
    zh="社区转办需求{ref}：{need}（{address}）。办理后请回复“答复 {ref} 办理情况”，"
    "或打开 {link} 答复。",
    en="The community refers need {ref} to you: {need} ({address}). When handled, reply "
    "ANSWER {ref} and what was done, or answer at {link}",
    example={
        "ref": "N12",
        "need": "楼道灯不亮",
        "address": "幸福家园3号楼2单元501",
        "link": "https://linli.example.cn/p/Xq3v9dK2mP8sT1wZ",
    },
    validity_seconds=48 * HOUR,
    sensitive=True,
    description="A need referred to a partner unit, to its contact, with a link to answer.",
)
NEED_PARTNER_ANSWER = MessageKind(
    name="need_partner_answer",
    zh="您反映的“{need}”，{unit}答复：{answer}",
    en="About what you raised (“{need}”), {unit} answers: {answer}",
    example={"need": "想办理医保复审", "unit": "社区卫生服务站", "answer": "周三上午上门办理"},
    description="A partner unit's answer to a referred need, to the resident.",
)
PARTNER_REPLY: dict[str, object] = {"validity_seconds": HOUR, "urgent": True}
NEED_PARTNER_THANKS = MessageKind(
    name="need_partner_thanks",
    zh="已收到对{ref}的答复，已转告居民，谢谢！",
    en="Your answer to {ref} is noted and passed to the resident. Thank you!",
    example={"ref": "N12"},
    description="The reply to a partner unit's answer by SMS.",
    **PARTNER_REPLY,  # type: ignore[arg-type]
)
NEED_PARTNER_UNKNOWN = MessageKind(
    name="need_partner_unknown",
    zh="未找到转给您的需求{ref}，请核对编号。",
    en="No need {ref} was referred to this phone: please check the code.",
    example={"ref": "N12"},
    description="The reply to an answer naming a need not referred to this phone.",
    **PARTNER_REPLY,  # type: ignore[arg-type]
)
NEED_PARTNER_ALREADY = MessageKind(
    name="need_partner_already",
    zh="需求{ref}已经答复过了，谢谢。",
    en="Need {ref} has already been answered. Thank you.",
    example={"ref": "N12"},
    description="The reply to a second answer to the same referral.",
    **PARTNER_REPLY,  # type: ignore[arg-type]
)
NEED_PARTNER_EMPTY = MessageKind(
    name="need_partner_empty",
    zh="请在编号后写上办理情况，如“答复 {ref} 已安排维修”。",
    en="Write what was done after the code, e.g. ANSWER {ref} repair booked.",
    example={"ref": "N12"},
    description="The reply to an answer with no text.",
    **PARTNER_REPLY,  # type: ignore[arg-type]
)
# A need whose work order was called off goes back to whoever decided it.
NEED_BACK_CANCELLED = MessageKind(
    name="need_back_cancelled",
    zh="需求{ref}“{need}”已退回待处理：任务{order}已取消。请重新答复。",
    en="Need {ref} (“{need}”) is back with you: work order {order} was cancelled. "
    "Please decide it again.",
    example={"ref": "N12", "need": "楼道堆物需清理", "order": "T34"},
    description="To whoever decided a need, when the work order made of it is cancelled.",
)
NEED_BACK_EXPIRED = MessageKind(
    name="need_back_expired",
    zh="需求{ref}“{need}”已退回待处理：任务{order}到期未完成。请重新答复。",
    en="Need {ref} (“{need}”) is back with you: work order {order} ended with nothing done. "
    "Please decide it again.",
    example={"ref": "N12", "need": "楼道堆物需清理", "order": "T34"},
    description="To whoever decided a need, when the work order made of it expires undone.",
)
# Needs waiting undecided: first the grid leader, later the secretary (services/needs/chase.py).
NEED_CHASE_LEADER = MessageKind(
    name="need_chase_leader",
    zh="有{count}条需求超过{days}天未答复（{refs}），请尽快处理。",
    en="{count} needs have waited over {days} days for a decision ({refs}): please decide them.",
    example={"count": 2, "days": 3, "refs": "N12、N15"},
    description="Needs undecided too long, to the grid leader.",
)
NEED_CHASE_SECRETARY = MessageKind(
    name="need_chase_secretary",
    zh="有{count}条需求超过{days}天未答复，已提醒网格长（{refs}），请督办。",
    en="{count} needs have waited over {days} days for a decision although the grid leader "
    "was reminded ({refs}): please follow them up.",
    example={"count": 2, "days": 5, "refs": "N12、N15"},
    description="Needs still undecided after the grid leader's reminder, to the secretary.",
)

# Property matters (services/needs/property_matters.py): to the company with its deadline, to
# the resident, and the chase of a late answer (the contact, then the grid leader).
NEED_TO_PROPERTY = MessageKind(
    name="need_to_property",
    zh="物业事项{ref}：{need}（{address}），请于{due}前办理，回复“答复 {ref} 办理情况”"
    "或打开 {link} 答复。",
    en="Property matter {ref}: {need} ({address}). Please handle it by {due} and reply "
    "ANSWER {ref} and what was done, or answer at {link}",
    example={
        "ref": "N12",
        "need": "5号楼路灯不亮",
        "address": "幸福家园 5号楼",
        "due": "12月8日",
        "link": "https://linli.example.cn/p/Xq3v9dK2mP8sT1wZ",
    },
    validity_seconds=48 * HOUR,
    sensitive=True,
    description="A property matter, to the property company's contact, with its deadline.",
)
NEED_PROPERTY_SENT = MessageKind(
    name="need_property_sent",
    zh="您反映的“{need}”已转{unit}办理，{due}前答复您。",
    en="What you raised (“{need}”) has gone to {unit}, who answer by {due}.",
    example={"need": "5号楼路灯不亮", "unit": "安居物业公司", "due": "12月8日"},
    description="A property matter went to the property company, to the resident or reporter.",
)
PROPERTY_CHASE_CONTACT = MessageKind(
    name="property_chase_contact",
    zh="物业事项{refs}已过答复期限，请尽快办理并回复“答复 {ref} 办理情况”。",
    en="Property matters {refs} are past their deadline: please handle them and reply "
    "ANSWER {ref} and what was done.",
    example={"count": 2, "refs": "N12、N15", "ref": "N12"},
    description="Property matters answered late, to the property company's contact.",
)
PROPERTY_CHASE_LEADER = MessageKind(
    name="property_chase_leader",
    zh="物业公司有{count}件事项超期未答复（{refs}），已催过物业，请督办。",
    en="{count} property matters are past their deadline ({refs}) although the company was "
    "chased: please follow them up.",
    example={"count": 2, "refs": "N12、N15"},
    description="Property matters still unanswered after the company was chased, to the grid "
    "leader (the secretary when the grid has none).",
)

MESSAGE_KINDS: tuple[MessageKind, ...] = (
    NEED_SOLVED,
    NEED_REFERRED,
    NEED_DECLINED,
    NEED_IN_HAND,
    NEED_SETTLED,
    NEED_LOGGED,
    NEED_TO_PARTNER,
    NEED_PARTNER_ANSWER,
    NEED_PARTNER_THANKS,
    NEED_PARTNER_UNKNOWN,
    NEED_PARTNER_ALREADY,
    NEED_PARTNER_EMPTY,
    NEED_BACK_CANCELLED,
    NEED_BACK_EXPIRED,
    NEED_CHASE_LEADER,
    NEED_CHASE_SECRETARY,
    NEED_TO_PROPERTY,
    NEED_PROPERTY_SENT,
    PROPERTY_CHASE_CONTACT,
    PROPERTY_CHASE_LEADER,
)

# What a need became, as the resident reads it (Chinese, English).
WHAT = {
    "wish": ("微心愿", "micro-wish"),
    "work_order": ("工单", "work order"),
    "mediation": ("矛盾调解", "mediation"),
}


def short(text: str, limit: int = 20) -> str:
    """Return text cut for an SMS (the need quoted back to the resident)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
