"""The development SMS channel: each SMS lands in the phone simulator instead of a phone."""

from __future__ import annotations

import uuid

from sqlalchemy import insert

from models import DevInboxMessage, db
from notify.channels.base import Outgoing, Sent


class DevInbox:
    """Keeps SMS in the database for the phone simulator page; used when no provider is set."""

    name = "sms"
    provider = "dev_inbox"
    single_part_chars = 70
    multi_part_chars = 67

    def __init__(self, provider: str = "") -> None:
        # Bound at construction (in an app context); send() runs in the sender threads.
        self.engine = db.engine
        # The provider it stands in for (a community's choice with no account configured).
        self.carrier = provider

    def send(self, outgoing: Outgoing) -> Sent:
        # A short transaction of its own: the simulator is the "network" here, not the outbox.
        with self.engine.begin() as conn:
            conn.execute(
                insert(DevInboxMessage).values(
                    phone=outgoing.address,
                    body=outgoing.text,
                    provider=self.carrier,
                    template=outgoing.template.code if outgoing.template else "",
                )
            )
        return Sent(provider_id=f"DEV{uuid.uuid4().hex[:29]}", state="delivered")
