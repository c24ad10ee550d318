"""The needs tests' world (no quiet hours), the fake Twilio and the fake Bot API, shared here."""

from tests.messages.test_telegram import fake
from tests.needs.test_referrals import place, twilio

__all__ = ["fake", "place", "twilio"]
