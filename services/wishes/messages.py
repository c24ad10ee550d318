"""What the wishes feature sends: its message kinds, declared here and registered by the app.

Texts are Chinese first (most residents read Chinese on a basic phone) with an English twin.
The error kinds answer an SMS or Telegram command that could not be carried out; their code
(the part after `wish_error_`) is the `WishError.code` of the refused step.
"""

from __future__ import annotations

from notify.templates import HOUR, MessageKind

WISH_POSTED = MessageKind(
    name="wish_posted",
    zh="您的心愿{ref}已发布到问题墙，有志愿者认领后会告诉您。",
    en="Your wish {ref} is on the problem wall. We will tell you when a volunteer takes it up.",
    example={"ref": "W12"},
    description="To the resident: their wish is on the wall.",
)
WISH_CLAIMED = MessageKind(
    name="wish_claimed",
    zh="您的心愿{ref}已由{name}认领。",
    en="Your wish {ref} has been taken up by {name}.",
    example={"ref": "W12", "name": "王师傅"},
    description="To the resident: a volunteer claimed their wish.",
)
WISH_HANDED_BACK = MessageKind(
    name="wish_handed_back",
    zh="{name}暂时无法完成您的心愿{ref}，已重新发布，我们会另请志愿者帮忙。",
    en="{name} cannot do your wish {ref} after all; it is back on the wall for another volunteer.",
    example={"ref": "W12", "name": "王师傅"},
    description="To the resident: the claimer handed the wish back.",
)
WISH_HANDED_BACK_HEAD = MessageKind(
    name="wish_handed_back_head",
    zh="志愿者{name}退回了心愿{ref}（{building}，{category}），已回到问题墙，请关注。",
    en="Volunteer {name} handed back wish {ref} ({building}, {category}); it is on the wall again.",
    example={"ref": "W12", "name": "王师傅", "building": "幸福小区 3号楼", "category": "小修小补"},
    description="To the building head: a wish was handed back.",
)
WISH_FULFILLED = MessageKind(
    name="wish_fulfilled",
    zh="您的心愿{ref}已完成：{note}。请回复1-5为这次服务评分（5为最满意）。",
    en="Your wish {ref} is done: {note}. Please reply 1–5 to rate the help (5 is best).",
    example={"ref": "W12", "note": "水龙头已换新"},
    validity_seconds=24 * HOUR,
    description="To the resident: the wish is fulfilled; asks for a 1–5 rating.",
)
WISH_RATED_THANKS = MessageKind(
    name="wish_rated_thanks",
    zh="谢谢！您为心愿{ref}评了{rating}分。",
    en="Thank you! You rated wish {ref} {rating} out of 5.",
    example={"ref": "W12", "rating": 5},
    validity_seconds=HOUR,
    urgent=True,
    description="Reply to a rating.",
)
WISH_RATED_CLAIMER = MessageKind(
    name="wish_rated_claimer",
    zh="居民为您完成的心愿{ref}评了{rating}分，谢谢您的付出。",
    en="The resident rated wish {ref}, which you fulfilled, {rating} out of 5. Thank you.",
    example={"ref": "W12", "rating": 5},
    description="To the claimer: the resident's rating.",
)
WISH_LOW_RATING = MessageKind(
    name="wish_low_rating",
    zh="心愿{ref}（{building}，{category}）的服务评分为{rating}分，请了解情况。",
    en="Wish {ref} ({building}, {category}) was rated {rating} out of 5. Please look into it.",
    example={"ref": "W12", "building": "幸福小区 3号楼", "category": "小修小补", "rating": 1},
    description="To the grid leader: a low rating.",
)
WISH_ESCALATED = MessageKind(
    name="wish_escalated",
    zh="心愿{ref}（{building}，{category}）已等待{hours}小时无人认领，请协调。"
    "回复“认领 {ref}”可认领。",
    en="Wish {ref} ({building}, {category}) has waited {hours} hours unclaimed. Please find help. "
    "Reply CLAIM {ref} to take it up.",
    example={"ref": "W12", "building": "幸福小区 3号楼", "category": "小修小补", "hours": 24},
    description="To a head, grid leader or secretary: a wish waits unclaimed.",
)
WISH_CLAIM_REPLY = MessageKind(
    name="wish_claim_reply",
    zh="您已认领心愿{ref}：{text}。居民{resident}，{address}，电话{phone}。"
    "完成后回复“完成 {ref} 说明”。",
    en="You took up wish {ref}: {text}. Resident {resident}, {address}, phone {phone}. "
    "When done reply DONE {ref} and a note.",
    example={
        "ref": "W12",
        "text": "厨房水龙头漏水",
        "resident": "王奶奶",
        "address": "幸福小区 3号楼 1单元501",
        "phone": "13800000001",
    },
    validity_seconds=HOUR,
    urgent=True,
    description="Reply to a claim by SMS or Telegram (the claimer may see the details).",
)
WISH_DONE_REPLY = MessageKind(
    name="wish_done_reply",
    zh="已记录心愿{ref}完成，谢谢您！",
    en="Wish {ref} is recorded as done. Thank you!",
    example={"ref": "W12"},
    validity_seconds=HOUR,
    urgent=True,
)
WISH_HANDBACK_REPLY = MessageKind(
    name="wish_handback_reply",
    zh="心愿{ref}已退回问题墙。",
    en="Wish {ref} is back on the problem wall.",
    example={"ref": "W12"},
    validity_seconds=HOUR,
    urgent=True,
)
WISH_WITHDRAWN = MessageKind(
    name="wish_withdrawn",
    zh="您的心愿{ref}已撤回。如仍需要帮助，可以再发布。",
    en="Your wish {ref} has been withdrawn. If you still need help, post it again.",
    example={"ref": "W12"},
    description="To the resident: a head withdrew their wish for them.",
)
WISH_WITHDRAWN_CLAIMER = MessageKind(
    name="wish_withdrawn_claimer",
    zh="您认领的心愿{ref}（{building}）已撤回，不用再办了，谢谢您。",
    en="Wish {ref} ({building}), which you took up, has been withdrawn: no need to do it. "
    "Thank you.",
    example={"ref": "W12", "building": "幸福小区 3号楼"},
    description="To the claimer: the wish they took up is no longer wanted.",
)
WISH_WITHDRAW_REPLY = MessageKind(
    name="wish_withdraw_reply",
    zh="心愿{ref}已撤回。",
    en="Wish {ref} is withdrawn.",
    example={"ref": "W12"},
    validity_seconds=HOUR,
    urgent=True,
)
WISH_POSTED_REPLY = MessageKind(
    name="wish_posted_reply",
    zh="已收到您的心愿{ref}，已发布到问题墙，有志愿者认领后会告诉您。",
    en="We have your wish {ref}; it is on the problem wall. We will tell you when someone "
    "takes it.",
    example={"ref": "W12"},
    validity_seconds=HOUR,
    urgent=True,
)
WISH_POSTED_REPLY_FIRST = MessageKind(
    name="wish_posted_reply_first",
    zh="已收到您的心愿{ref}，已发布到问题墙。墙上只显示心愿内容，不显示您的姓名和门牌，"
    "内容中的电话和身份证号会隐去中间几位。有志愿者认领后会告诉您。",
    en="We have your wish {ref}; it is on the problem wall. The wall shows what you wrote "
    "without your name or room, and hides the middle digits of any phone or ID number in it. "
    "We will tell you when someone takes it.",
    example={"ref": "W12"},
    validity_seconds=HOUR,
    urgent=True,
    description="Reply to a sender's first wish by SMS or Telegram: what the wall will show.",
)

# Answers to a command that could not be carried out: WishError.code → (Chinese, English).
ERROR_TEXTS: dict[str, tuple[str, str]] = {
    "not_found": (
        "找不到心愿{ref}，或您不能处理它。",
        "There is no wish {ref} that you can act on.",
    ),
    "taken": (
        "心愿{ref}已被他人认领，谢谢您的热心。",
        "Wish {ref} was already taken up by someone else.",
    ),
    "not_yours": ("心愿{ref}不是由您认领的。", "Wish {ref} is not claimed by you."),
    "wrong_state": ("心愿{ref}现在不能这样处理。", "Wish {ref} cannot take that step now."),
    "text": (
        "心愿内容不能为空，也不能超过500字。请发送“心愿 内容”，例如“心愿 厨房水龙头漏水”。",
        "A wish needs some text, at most 500 characters. Send WISH and the text.",
    ),
    "note": (
        "请写明完成情况，例如“完成 {ref} 已换新水龙头”。",
        "Add a note: DONE {ref} and what was done.",
    ),
    "rating": (
        "请回复1到5之间的数字评分（5为最满意）。",
        "Please reply with a number from 1 to 5 (5 is best).",
    ),
    "rated": ("心愿{ref}已经评过分了，谢谢。", "Wish {ref} has already been rated. Thank you."),
    "unknown_sender": (
        "您的号码还没有登记在社区住户名单中，请联系楼栋长代为发布心愿。",
        "Your number is not on the community's list of residents. Ask your building head.",
    ),
    "own": ("不能认领自己的心愿。", "You cannot take up your own wish."),
    "withdrawn": ("心愿{ref}已撤回，不用再办了。", "Wish {ref} was withdrawn: no need to do it."),
    "reason": (
        "撤回原因请不超过200字，例如“撤回 {ref} 已自己修好”。",
        "Keep the reason under 200 characters: WITHDRAW {ref} and why.",
    ),
}
ERROR_KINDS: tuple[MessageKind, ...] = tuple(
    MessageKind(
        name=f"wish_error_{code}",
        zh=zh,
        en=en,
        example={"ref": "W12"},
        validity_seconds=HOUR,
        urgent=True,
        description="Answer to a wish command that could not be carried out.",
    )
    for code, (zh, en) in ERROR_TEXTS.items()
)

MESSAGE_KINDS: tuple[MessageKind, ...] = (
    WISH_POSTED,
    WISH_CLAIMED,
    WISH_HANDED_BACK,
    WISH_HANDED_BACK_HEAD,
    WISH_FULFILLED,
    WISH_RATED_THANKS,
    WISH_RATED_CLAIMER,
    WISH_LOW_RATING,
    WISH_ESCALATED,
    WISH_CLAIM_REPLY,
    WISH_DONE_REPLY,
    WISH_HANDBACK_REPLY,
    WISH_WITHDRAWN,
    WISH_WITHDRAWN_CLAIMER,
    WISH_WITHDRAW_REPLY,
    WISH_POSTED_REPLY,
    WISH_POSTED_REPLY_FIRST,
    *ERROR_KINDS,
)
