"""Telegram's errors in the outbox's terms: retry later, or never reach this chat again."""

from __future__ import annotations

from notify.channels.base import N_, PermanentFailure, TransientFailure

# Telegram's words for a chat the bot can no longer write to: the person blocked the bot,
# deleted their account, or the chat is gone. Only SMS can reach them now.
UNREACHABLE = ("blocked by the user", "user is deactivated", "chat not found", "kicked")
BLOCKED = "telegram_blocked"

REASONS = {
    BLOCKED: N_("The person blocked the Linli bot on Telegram."),
}


def failure(
    status: int | None, description: str, retry_after: float | None = None
) -> TransientFailure | PermanentFailure:
    """Return the kind of failure for a Bot API error (status None: no answer came)."""
    if status is None:
        return TransientFailure("timeout", description)
    if status == 429:
        return TransientFailure("telegram_429", description, retry_after)
    if status >= 500:
        return TransientFailure(f"telegram_{status}", description)
    lowered = description.lower()
    if status == 403 or any(words in lowered for words in UNREACHABLE):
        return PermanentFailure(BLOCKED, description)
    return PermanentFailure(f"telegram_{status}", description)
