"""Wishes by SMS and Telegram: post ("心愿 …"), claim, done, hand back, withdraw, and rate.

Ratings come as "评分 W12 5" or as a bare "5" answering the latest question asked; Telegram's
rating buttons send the "评分 W12 n" text back through the same grammar.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import or_, select

from models import Household, Resident, Wish, WishStatus, db
from models.roles import Permission
from notify.commands import RESIDENT, Command, Help, Inbound, Reply
from notify.replies import Answerer, Question
from services.errors import DomainError
from services.wishes import operations as wishes
from services.wishes import queries
from services.wishes.operations import WishError

# Words in a wish that suggest its category; the first match wins, else "other".
CATEGORY_HINTS = (
    ("escort", ("医院", "看病", "陪同", "陪我", "接送", "HOSPITAL", "DOCTOR", "RIDE")),
    ("repair", ("修", "漏", "坏", "灯", "水管", "马桶", "REPAIR", "FIX", "LEAK", "BROKEN")),
    ("paperwork", ("表", "办理", "申请", "手续", "医保", "补贴", "FORM", "APPLY")),
    ("errand", ("买", "取", "代办", "快递", "SHOP", "BUY", "PICK UP")),
    ("care", ("陪伴", "聊天", "照顾", "COMPANY", "VISIT")),
)


# The channels a wish is posted from by text message (Wish.via).
TEXT_CHANNELS = ("sms", "telegram")


def guess_category(text: str) -> str:
    upper = text.upper()
    for category, words in CATEGORY_HINTS:
        if any(word in upper for word in words):
            return category
    return "other"


def _error(error: DomainError, ref: str | None) -> Reply:
    code = error.code if isinstance(error, WishError) else "wrong_state"
    return Reply(f"wish_error_{code}", {"ref": ref or ""})


def residents_of_sender(message: Inbound) -> list[Resident]:
    """Return the residents this sender speaks for: their own phone, or a household contact's."""
    clauses = []
    if message.person is not None:
        clauses.append(Resident.person_id == message.person.id)
    if message.phone:
        clauses.append(Resident.phone == message.phone)
        # A resident with no phone of their own is reached through the household's contact.
        clauses.append(
            Resident.phone.is_(None)
            & Resident.household_id.in_(
                select(Household.id).where(Household.contact_phone == message.phone)
            )
        )
    if not clauses:
        return []
    # Someone who moved out or died no longer speaks for a household here.
    return list(
        db.session.scalars(
            select(Resident)
            .join(Household, Household.id == Resident.household_id)
            .where(or_(*clauses), Household.current(), Resident.living())
            .order_by(Resident.id)
        )
    )


def _posted_by_text_before(residents: list[Resident]) -> bool:
    """Whether a wish of these residents was ever posted by SMS or Telegram."""
    return (
        db.session.scalar(
            select(Wish.id)
            .where(
                Wish.resident_id.in_([r.id for r in residents]),
                Wish.via.in_(TEXT_CHANNELS),
            )
            .limit(1)
        )
        is not None
    )


def _post(message: Inbound) -> Reply | None:
    residents = residents_of_sender(message)
    if not residents:
        return Reply("wish_error_unknown_sender", {"ref": ""})
    # The text as typed (not upper-cased): drop the keyword the grammar matched.
    text = unicodedata.normalize("NFKC", message.text)
    original = re.sub(r"^\s*(微心愿|心愿|WISH)\s*[:：,，]?\s*", "", text, flags=re.I)
    if not original.strip():
        return Reply("wish_error_text", {"ref": ""})
    first = not _posted_by_text_before(residents)
    try:
        wish = wishes.post_wish(
            resident=residents[0],
            category=guess_category(original),
            text=original,
            by=message.person,
            via=message.channel,
            now=message.now,
            tell_resident=False,  # the reply says it
        )
    except DomainError as error:
        return _error(error, None)
    # The first time, the answer also says what the wall shows: no name or room, and the
    # middle digits of any phone or ID number in the text hidden.
    return Reply("wish_posted_reply_first" if first else "wish_posted_reply", {"ref": wish.ref})


def _wish_of(message: Inbound) -> Wish | None:
    return queries.find_by_ref(message.ref or "")


def _is_wish_ref(message: Inbound) -> bool:
    return bool(message.ref and message.ref.startswith("W"))


def _claim(message: Inbound) -> Reply | None:
    if not _is_wish_ref(message):
        return None  # another feature's code (T34 …)
    wish = _wish_of(message)
    if wish is None or message.person is None:
        return Reply("wish_error_not_found", {"ref": message.ref})
    try:
        wishes.claim(wish, by=message.person, via=message.channel, now=message.now)
    except DomainError as error:
        return _error(error, message.ref)
    resident = wish.resident
    household = resident.household
    return Reply(
        "wish_claim_reply",
        {
            "ref": wish.ref,
            "text": wish.text[:60],
            "resident": resident.name,
            "address": household.address,
            "phone": (resident.phone or household.contact_phone or "").removeprefix("+86"),
        },
    )


def _done(message: Inbound) -> Reply | None:
    if not _is_wish_ref(message):
        return None
    wish = _wish_of(message)
    if wish is None or message.person is None:
        return Reply("wish_error_not_found", {"ref": message.ref})
    text = unicodedata.normalize("NFKC", message.text)
    note = re.sub(r"^\s*\S+?\s*[:：,，]?\s*W\s*\d+\s*", "", text, flags=re.I)
    try:
        wishes.fulfil(wish, by=message.person, note=note, via=message.channel, now=message.now)
    except DomainError as error:
        return _error(error, message.ref)
    return Reply("wish_done_reply", {"ref": wish.ref})


def _hand_back(message: Inbound) -> Reply | None:
    if not _is_wish_ref(message):
        return None
    wish = _wish_of(message)
    if wish is None or message.person is None:
        return Reply("wish_error_not_found", {"ref": message.ref})
    try:
        wishes.hand_back(
            wish, by=message.person, reason=message.rest, via=message.channel, now=message.now
        )
    except DomainError as error:
        return _error(error, message.ref)
    return Reply("wish_handback_reply", {"ref": wish.ref})


def _withdraw(message: Inbound) -> Reply | None:
    if not _is_wish_ref(message):
        return None  # a work order's code: WITHDRAW T34 gives up a place
    wish = _wish_of(message)
    if wish is None:
        return Reply("wish_error_not_found", {"ref": message.ref})
    for_resident = wish.resident_id in {r.id for r in residents_of_sender(message)}
    if not for_resident and message.person is None:
        return Reply("wish_error_not_found", {"ref": message.ref})
    try:
        wishes.withdraw(
            wish,
            by=message.person,
            for_resident=for_resident,
            reason=message.rest,
            via=message.channel,
            now=message.now,
        )
    except DomainError as error:
        return _error(error, message.ref)
    return Reply("wish_withdraw_reply", {"ref": wish.ref})


def _rate_wish(message: Inbound, wish: Wish, value: int) -> Reply:
    try:
        wishes.rate(wish, value, by=message.person, via=message.channel, now=message.now)
    except DomainError as error:
        return _error(error, wish.ref)
    return Reply("wish_rated_thanks", {"ref": wish.ref, "rating": value})


def _rate(message: Inbound) -> Reply | None:
    if not _is_wish_ref(message):
        return None
    wish = _wish_of(message)
    mine = {r.id for r in residents_of_sender(message)}
    if wish is None or wish.resident_id not in mine:
        return Reply("wish_error_not_found", {"ref": message.ref})
    value = message.rest.strip().rstrip("!.。！")
    if not value.isdigit():
        return Reply("wish_error_rating", {"ref": wish.ref})
    return _rate_wish(message, wish, int(value))


def _rating_question(message: Inbound) -> Question | None:
    """Return the latest fulfilled, unrated wish of this sender: a bare 1–5 rates it."""
    mine = [r.id for r in residents_of_sender(message)]
    if not mine:
        return None
    wish = db.session.scalar(
        select(Wish)
        .where(
            Wish.resident_id.in_(mine),
            Wish.status == WishStatus.FULFILLED,
            Wish.rating.is_(None),
        )
        .order_by(Wish.fulfilled_at.desc())
        .limit(1)
    )
    if wish is None or wish.fulfilled_at is None:
        return None
    found = wish

    def answer(inbound: Inbound, value: int) -> Reply:
        return _rate_wish(inbound, found, value)

    return Question(asked_at=wish.fulfilled_at, answer=answer)


COMMANDS: tuple[Command, ...] = (
    Command(
        "wish_post",
        ("微心愿", "心愿", "WISH"),
        _post,
        shape="text",
        help=(Help("“心愿 内容”求助", "WISH + text", audience=RESIDENT),),
    ),
    Command(
        "wish_rate",
        ("评分", "RATE"),
        _rate,
        shape="ref",
        help=(Help("“评分 W12 5”打分", "RATE W12 5", audience=RESIDENT),),
    ),
    Command(
        "wish_claim",
        ("认领", "CLAIM"),
        _claim,
        shape="ref",
        # Claim, done and hand back take a wish's code as they take an order's: one line.
        help=(
            Help(
                "“认领/完成/退回 W12”办心愿",
                "CLAIM/DONE/RETURN W12",
                permission=Permission.CLAIM_WISHES,
            ),
        ),
    ),
    Command("wish_done", ("完成", "DONE"), _done, shape="ref"),
    Command("wish_hand_back", ("退回", "RETURN"), _hand_back, shape="ref"),
    Command(
        "wish_withdraw",
        ("撤回", "WITHDRAW"),
        _withdraw,
        shape="ref",
        help=(Help("“撤回 W12”撤回心愿", "WITHDRAW W12", audience=RESIDENT),),
    ),
)
# A bare "1"–"5" rates the sender's latest fulfilled wish.
ANSWERERS: tuple[tuple[str, Answerer], ...] = (("wishes", _rating_question),)
