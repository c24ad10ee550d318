"""SMS segments as the network counts them: GSM-7 160/153, otherwise UCS-2 70/67."""

from __future__ import annotations

from dataclasses import dataclass

# The GSM 03.38 basic set; the extension set's characters take two septets each.
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = set("^{}\\[~]|€\f")

# Twilio takes at most 1,600 characters in one message.
MAX_SMS_CHARS = 1600


@dataclass(frozen=True)
class Segments:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    count: int
    per_segment: int
    # Characters (units) left in the last segment before another one is needed.
    remaining: int

    def cost(self, price_per_segment: float) -> float:
        return round(self.count * price_per_segment, 4)


def count(text: str) -> Segments:
    """Return how many SMS parts a text takes and how it will be encoded."""
    if all(ch in GSM_BASIC or ch in GSM_EXTENSION for ch in text):
        units = sum(2 if ch in GSM_EXTENSION else 1 for ch in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        # Characters outside the Basic Multilingual Plane (emoji) take two UTF-16 units.
        units = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)
        single, multi, encoding = 70, 67, "UCS-2"
    if units <= single:
        return Segments(encoding, units, 1 if units else 0, single, single - units)
    parts = -(-units // multi)
    return Segments(encoding, units, parts, multi, parts * multi - units)


def cut(text: str, limit: int) -> list[str]:
    """Split text into pieces of at most `limit` characters, at line or word breaks if possible."""
    if limit <= 0:
        raise ValueError("limit must be positive")
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut_at = max(window.rfind("\n"), window.rfind(" "), window.rfind("。"), window.rfind("，"))
        if cut_at < limit // 2:
            cut_at = limit - 1
        pieces.append(rest[: cut_at + 1].rstrip())
        rest = rest[cut_at + 1 :].lstrip("\n ")
    if rest or not pieces:
        pieces.append(rest)
    return pieces
