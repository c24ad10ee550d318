"""A partner unit's contact answers a referred need by SMS: "答复 N12 已安排维修".

Only the phone the referral went to may answer it; anyone else is told no such need was
referred to them (the same answer as for an unknown code, so codes cannot be probed).
COMMANDS is declared to the registry (pwa.features).
"""

from __future__ import annotations

import re
import unicodedata

from notify.commands import Command, Inbound, Reply
from services.errors import DomainError
from services.needs import operations, referrals


def as_typed(message: Inbound) -> str:
    """Return what follows the code as the contact typed it (the grammar upper-cases it)."""
    folded = unicodedata.normalize("NFKC", message.text or "").replace("\u3000", " ")
    folded = re.sub(r"\s+", " ", folded).strip()
    rest = message.rest
    if rest and len(folded) == len(message.normalized) and folded.upper().endswith(rest):
        return folded[len(folded) - len(rest) :]
    return rest


def _answer(message: Inbound) -> Reply | None:
    if not message.ref or not message.ref.startswith("N"):
        return None
    ref = message.ref
    # By SMS the sender's phone; by Telegram, the phone of the person the chat is linked to.
    phone = message.phone or (message.person.phone if message.person is not None else None)
    referral = referrals.for_phone(ref, phone)
    if referral is None:
        return Reply("need_partner_unknown", {"ref": ref})
    # A long text message is kept to the answer's limit rather than refused.
    text = as_typed(message).strip()[: operations.ANSWER_LIMIT]
    if not text:
        return Reply("need_partner_empty", {"ref": ref})
    if referral.answered_at is not None:
        return Reply("need_partner_already", {"ref": ref})
    try:
        operations.answer_referral(referral, text, via=message.channel, now=message.now)
    except DomainError:
        return Reply("need_partner_already", {"ref": ref})
    return Reply("need_partner_thanks", {"ref": ref})


COMMANDS: tuple[Command, ...] = (
    # No help line: only partner units' contacts use it, and their referral text explains it.
    Command("need_answer", ("答复", "ANSWER", "DF"), _answer, shape="ref"),
)
