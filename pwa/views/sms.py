"""Tools for anyone writing an SMS: the live count of characters, parts and cost."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request

from notify import segments
from pwa import auth

bp = Blueprint("sms", __name__, url_prefix="/sms")
bp.before_request(auth.require_signed_in)

MAX_SMS_CHARS = segments.MAX_SMS_CHARS


def money(value: float) -> str:
    """Return a price in yuan with two decimals, or three when a fen is split (¥0.045)."""
    text = f"{value:.3f}"
    return text[:-1] if text.endswith("0") else text


def summary(text: str, signature: str = "") -> dict[str, Any]:
    """Return what the count fragment shows for a text (with the signature it will carry)."""
    full = f"{signature}{text}"
    counted = segments.count(full)
    price = float(current_app.config.get("SMS_PRICE_PER_SEGMENT", 0) or 0)
    return {
        "chars": len(full),
        "parts": counted.count,
        "encoding": counted.encoding,
        "cost": money(counted.cost(price)),
        "too_long": len(full) > MAX_SMS_CHARS,
        "max_chars": MAX_SMS_CHARS,
    }


def count_fragment(text: str, signature: str = "") -> str:
    """Render _partials/segments.html for a text: any page where a message is written uses it."""
    return render_template("_partials/segments.html", **summary(text, signature))


@bp.get("/segments")
def segment_count() -> Any:
    text = request.args.get("text", "")[: MAX_SMS_CHARS * 4]
    signature = request.args.get("signature", "")[:30]
    return count_fragment(text, signature)
