"""Free text shown to people who may not see the resident: phone and ID-card numbers masked.

A resident writes "请打我女儿电话139 1234 5678" in a wish; the echo wall is public and the
problem wall is read by every volunteer of the grid. Pages like those pass free text through
`mask_personal_numbers` (the `mask_numbers` template filter): phone numbers found by
libphonenumber's matcher (mainland mobiles and landlines, with spaces, dashes, brackets, +86 or
0086, full-width digits) keep their first 3 and last 4 digits (139****5678); Chinese
resident ID-card numbers (18 characters, the last may be X, or the old 15 digits) keep their
first 3 and last 2 (610*************34). Everything else is left exactly as typed.
"""

from __future__ import annotations

import re

import phonenumbers

REGION = "CN"
PHONE_STARS = "****"

# Resident ID-card numbers: 6 digits of region, the birth date (8 digits, or 6 in the old
# 15-digit form), 3 of sequence and, in the new form, a check character that may be X. A
# single space or dash is allowed between those groups, as people copy them from a card.
# `\d` also matches full-width digits; the number must not be part of a longer run.
_ID_CARD = re.compile(
    r"(?<![0-9A-Za-z０-９Ｘｘ])"
    r"(?:\d{6}[ \-]?\d{8}[ \-]?\d{3}[\dXxＸｘ]|\d{6}[ \-]?\d{6}[ \-]?\d{3})"
    r"(?![0-9A-Za-z０-９Ｘｘ])"
)
# A mainland mobile the matcher's metadata might not know yet (a new 1xx prefix): 11 digits
# starting 1[3-9], optionally grouped 3-4-4 by spaces or dashes.
_MOBILE = re.compile(r"(?<![0-9０-９])1[3-9]\d[ \-]?\d{4}[ \-]?\d{4}(?![0-9０-９])")


def _digits(text: str) -> str:
    return "".join(str(int(ch)) for ch in text if ch.isdigit())


def _mask_id(match: re.Match[str]) -> str:
    kept = [ch for ch in match.group(0) if ch not in " -"]
    return "".join(kept[:3]) + "*" * (len(kept) - 5) + "".join(kept[-2:])


def _mask_phone_digits(digits: str) -> str:
    if len(digits) < 8:
        return "*" * len(digits)
    return f"{digits[:3]}{PHONE_STARS}{digits[-4:]}"


def _mask_phones(text: str) -> str:
    pieces: list[str] = []
    last = 0
    for found in phonenumbers.PhoneNumberMatcher(text, REGION):
        # The national form, digits only: 13912345678 for a mobile, 01062345678 for a
        # Beijing landline (the trunk 0 kept, so the area code stays readable).
        national = phonenumbers.format_number(found.number, phonenumbers.PhoneNumberFormat.NATIONAL)
        pieces.append(text[last : found.start])
        pieces.append(_mask_phone_digits(_digits(national)))
        last = found.end
    pieces.append(text[last:])
    masked = "".join(pieces)
    return _MOBILE.sub(lambda match: _mask_phone_digits(_digits(match.group(0))), masked)


def mask_personal_numbers(text: str | None) -> str:
    """Return `text` with its phone and ID-card numbers masked (139****5678)."""
    if not text:
        return ""
    # ID numbers first: their digits must not be read as a phone number.
    return _mask_phones(_ID_CARD.sub(_mask_id, text))
