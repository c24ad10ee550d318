"""Messages to people, in both directions. For now: sign-in codes through the development inbox."""

from notify.sign_in import send_sign_in_code

__all__ = ["send_sign_in_code"]
