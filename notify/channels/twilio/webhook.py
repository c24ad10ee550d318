"""What Twilio's webhooks carry: the signature, an inbound SMS, a status callback; the answer.

Nothing here reads a web request: the view passes the URL Twilio called, the form and the
X-Twilio-Signature header, and sends back what `empty_answer` returns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from notify.channels.base import InboundText, StatusReport
from notify.channels.twilio import status

ANSWER_MIMETYPE = "text/xml"
MAX_ADDRESS = 40


def signed(auth_token: str | None, url: str, form: Mapping[str, str], signature: str) -> bool:
    """Return True when Twilio signed this form for this URL with the account's token.

    `url` is the public URL Twilio called (behind a TLS proxy the request's own URL is not).
    With no token configured nobody can prove to be Twilio: everyone is refused.
    """
    if not auth_token or not signature:
        return False
    return bool(RequestValidator(auth_token).validate(url, dict(form), signature))


def inbound(form: Mapping[str, str], normalize_phone: Callable[[str], str | None]) -> InboundText:
    """Read an inbound SMS; `normalize_phone` gives an E.164 phone, or None.

    `to` is the number the text was sent to: the community whose number it is owns the text.
    """
    sender = form.get("From", "")
    phone = normalize_phone(sender)
    return InboundText(
        provider_id=form.get("MessageSid") or form.get("SmsSid") or "",
        address=phone or sender[:MAX_ADDRESS],
        text=form.get("Body", ""),
        phone=phone,
        to=normalize_phone(form.get("To", "")) if form.get("To") else None,
    )


def status_report(form: Mapping[str, str]) -> StatusReport:
    """Read a status callback: which message, its state now, and the error code if any."""
    word = form.get("MessageStatus") or form.get("SmsStatus") or ""
    return StatusReport(
        provider_id=form.get("MessageSid") or form.get("SmsSid") or "",
        status=word,
        state=status.state_of(word),
        error_code=form.get("ErrorCode") or None,
    )


def empty_answer() -> str:
    """The TwiML to answer an inbound SMS with: nothing. Replies go out through the outbox."""
    return str(MessagingResponse())
