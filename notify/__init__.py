"""Messages to people, in both directions: one outbox, every channel, the same rules."""

from notify.message import Message
from notify.outbox import send_later
from notify.sign_in import send_sign_in_code

__all__ = ["Message", "send_later", "send_sign_in_code"]
