"""Messages to people, in both directions: one outbox, every channel, the same rules."""

from notify.message import Message
from notify.outbox import send_later

__all__ = ["Message", "send_later"]
