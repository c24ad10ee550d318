"""Why a delivery failed, as a page shows it: in the reader's language, the kind by its title.

The dispatcher stores reasons in English (a worker has no reader) and with the kind's code
("no approved template for wish_claimed"), which must never reach a Chinese screen. So a page
builds the words again from the delivery's error code and kind: a refusal about the kind's
template names it by its title (notify.kind_titles), every other reason is translated as
stored.
"""

from __future__ import annotations

from flask_babel import gettext as _

from notify import kind_titles, mainland, reasons

# Provider refusals about the template of the message kind, not about the phone or account.
_ABOUT_TEMPLATE = frozenset(
    {
        "isv.SMS_TEMPLATE_ILLEGAL",
        "isv.TEMPLATE_MISSING_PARAMETERS",
        "isv.TEMPLATE_PARAMS_ILLEGAL",
        "isv.PARAM_LENGTH_LIMIT",
        "isv.PARAM_NOT_SUPPORT_URL",
        "FailedOperation.TemplateIncorrectOrUnapproved",
        "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
    }
)


def shown(code: str | None, stored: str, kind: str) -> str:
    """Return the reason a delivery of `kind` failed with `code`, for a page."""
    title = kind_titles.title(kind)
    if code == "no_template":
        return _(
            "No approved template for “%(kind)s”: enter its code on the SMS templates page.",
            kind=title,
        )
    if code == "relay_template":
        return _(
            "No approved template for “%(kind)s” relayed through a household contact (请转告…): "
            "enter the code of its relayed form on the SMS templates page.",
            kind=title,
        )
    if code == "param_too_long":
        return _(
            "“%(kind)s”: a parameter is longer than the %(n)d characters the SMS provider allows.",
            kind=title,
            n=mainland.MAX_PARAM_CHARS,
        )
    if code == "param_link":
        return _("“%(kind)s”: a parameter holds a link; the SMS provider takes none.", kind=title)
    if code == "param_empty":
        return _("“%(kind)s”: a parameter of the template is empty.", kind=title)
    if code in _ABOUT_TEMPLATE:
        return _("“%(kind)s”: %(reason)s", kind=title, reason=_(reasons.reason(code)))
    return _(stored) if stored else ""
