"""The development inbox: records what each phone would have received, in the database."""

from __future__ import annotations

from models import DevInboxMessage, db


class DevInbox:
    """A channel that keeps messages for the development inbox page instead of sending them."""

    name = "dev_inbox"
    single_part_chars = 70
    multi_part_chars = 67

    def send(self, phone: str, body: str) -> DevInboxMessage:
        message = DevInboxMessage(phone=phone, body=body)
        db.session.add(message)
        db.session.flush()
        return message
