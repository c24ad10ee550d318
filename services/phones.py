"""Phone numbers: parse what people type, store E.164, show masked."""

from __future__ import annotations

import unicodedata

import phonenumbers
from flask_babel import lazy_gettext as _l

from services.errors import InvalidInput

DEFAULT_REGION = "CN"


def normalize(raw: str, region: str = DEFAULT_REGION) -> str:
    """Return the E.164 form of a phone number typed in any common way, or raise InvalidInput."""
    # Full-width digits and spaces come from Chinese input methods.
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if not text:
        raise InvalidInput(str(_l("Please enter a phone number.")))
    if len(text) > 30:
        raise InvalidInput(str(_l("That phone number is too long.")))
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidInput(str(_l("“%(phone)s” is not a phone number.", phone=text))) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(str(_l("“%(phone)s” is not a valid phone number.", phone=text)))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask(phone: str | None) -> str:
    """Return a phone with its middle digits hidden, e.g. 138****0001."""
    if not phone:
        return ""
    national = phone.removeprefix("+86")
    if len(national) < 7:
        return "*" * len(national)
    return f"{national[:3]}****{national[-4:]}"


def display(phone: str | None) -> str:
    """Return a phone in the form people read it at home (national form for mainland numbers)."""
    if not phone:
        return ""
    return phone.removeprefix("+86")
