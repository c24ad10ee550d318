"""Mediation's message kinds: the parties' "is it settled?" question, the mediator's reminder,
and the answers to the mediator's commands.

No text to a party names the dispute, the other side or the agreement: a family may share one
phone. Plain constants; the registry (pwa.features) registers MESSAGE_KINDS.
"""

from __future__ import annotations

from notify.templates import HOUR, MessageKind

# Replies to commands: answers to the sender, urgent so they never wait for the morning.
REPLY: dict[str, object] = {"validity_seconds": HOUR, "urgent": True}

MEDIATION_ASK = MessageKind(
    name="mediation_ask",
    zh="社区回访：您前些天找社区调解的事情现在解决了吗？请回复数字1-5（5为已解决，1为未解决）。",
    en="Community follow-up: is the matter you brought to the community settled now? "
    "Reply with a number 1-5 (5 settled, 1 not settled).",
    example={},
    validity_seconds=48 * HOUR,
    description="To each party with a phone after a case's outcome; names no detail of it.",
)
MEDIATION_RATED = MessageKind(
    name="mediation_rated",
    zh="谢谢您的回复（{rating}分），社区会继续关注。",
    en="Thank you for your answer ({rating}); the community will keep an eye on it.",
    example={"rating": 4},
    description="The answer to a party's 1–5 reply.",
    **REPLY,  # type: ignore[arg-type]
)
MEDIATION_FOLLOW_UP_DUE = MessageKind(
    name="mediation_follow_up_due",
    zh="调解{ref}应于{due}回访。回访后回复“调解 {ref} 回访 情况”记录。",
    en="Mediation {ref} is due for its follow-up visit on {due}. After the visit, reply "
    "MEDIATION {ref} FOLLOWUP and a note.",
    example={"ref": "M3", "due": "12-05"},
    description="To the case's mediator when its follow-up visit (30 days after) is due.",
)
MEDIATION_LIST = MessageKind(
    name="mediation_list",
    zh="您的调解：{cases}",
    en="Your mediation cases: {cases}",
    example={"cases": "M3 王/李 邻里纠纷 待调解；M5 张 噪音扰民 待回访"},
    **REPLY,  # type: ignore[arg-type]
)
MEDIATION_RECORDED = MessageKind(
    name="mediation_recorded",
    zh="已记录：调解{ref}{what}。",
    en="Noted: mediation {ref} {what}.",
    example={"ref": "M3", "what": "已达成协议"},
    **REPLY,  # type: ignore[arg-type]
)
MEDIATION_REFUSED = MessageKind(
    name="mediation_refused",
    zh="调解{ref}：{reason}",
    en="Mediation {ref}: {reason}",
    example={"ref": "M3", "reason": "请在“已达成”后写上协议内容。"},
    **REPLY,  # type: ignore[arg-type]
)
MEDIATION_UNKNOWN = MessageKind(
    name="mediation_unknown",
    zh="没有找到您负责的调解{ref}。",
    en="No mediation {ref} of yours was found.",
    example={"ref": "M3"},
    **REPLY,  # type: ignore[arg-type]
)
MEDIATION_HOW = MessageKind(
    name="mediation_how",
    zh="请回复“调解 {ref} 已达成 协议内容”，或“转司法”“转派出所”“结案”“回访 情况”。",
    en="Reply MEDIATION {ref} AGREED and the agreement, or JUDICIAL, POLICE, CLOSE, "
    "FOLLOWUP and a note.",
    example={"ref": "M3"},
    **REPLY,  # type: ignore[arg-type]
)

MESSAGE_KINDS: tuple[MessageKind, ...] = (
    MEDIATION_ASK,
    MEDIATION_RATED,
    MEDIATION_FOLLOW_UP_DUE,
    MEDIATION_LIST,
    MEDIATION_RECORDED,
    MEDIATION_REFUSED,
    MEDIATION_UNKNOWN,
    MEDIATION_HOW,
)
