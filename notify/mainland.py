"""Template SMS for mainland providers: the approved code, the sign name, checked parameters.

Alibaba Cloud and Tencent Cloud send only a template approved beforehand under an approved
sign name; the parameters fill its variables. So a delivery through them names the code its
community recorded for the message kind (models.SmsTemplate), and its parameters are checked
against the provider's rules before the call: a refusal here is a clear reason on the
delivery, never free text sent instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy import select

from models import Delivery, SmsTemplate, db
from notify import templates
from notify.channels.base import TemplateSms
from notify.templates import MessageKind

# Providers that send only approved templates (the others send the rendered text).
TEMPLATED = frozenset({"alibaba", "tencent"})
# Alibaba: a variable of a notification template holds 1 to 35 characters (since 2018), and
# neither provider takes a link in a variable.
MAX_PARAM_CHARS = 35
_LINK = re.compile(r"(https?://|www\.|[a-z0-9-]+\.(com|cn|net|org|top|cc|io)\b)", re.IGNORECASE)
_FIELD = re.compile(r"\{(\w+)\}")
# What a provider's template code looks like: Alibaba SMS_123456789, Tencent digits.
CODE_FORMS = {"alibaba": re.compile(r"^SMS_\d{6,12}$"), "tencent": re.compile(r"^\d{4,10}$")}
CODE_EXAMPLES = {"alibaba": "SMS_123456789", "tencent": "1234567"}


# The codes of a delivery refused here, before any provider is called.
REFUSAL_CODES = (
    "no_template",
    "relay_template",
    "no_sign_name",
    "param_too_long",
    "param_link",
    "param_empty",
)


# A message relayed through a household contact ("请转告王奶奶：…") is a template of its own:
# the kind's text after "请转告{relay_for}：", recorded under this prefix and the kind's name.
RELAY_PREFIX = "relay:"
RELAY_PARAM = "relay_for"
# Kinds never relayed: they go to staff or to a Telegram chat, or carry a secret.
_NEVER_RELAYED = ("telegram_", "group_", "sign_in_code", "sms_balance_empty")


class TemplateRefused(Exception):
    """This delivery cannot go through a template provider; `reason` says why in plain words."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def sign_name(signature: str) -> str:
    """Return the sign name a provider approved: the community's 【signature】 without 【】."""
    return signature.strip().strip("【】[] ").strip()


def provider_text(kind: MessageKind, provider: str = "alibaba") -> str:
    """Return the kind's Chinese text in the provider's variable form, to submit for approval.

    Alibaba writes ${name}; Tencent numbers its variables {1}, {2} in order of appearance.
    """
    if provider == "tencent":
        order: list[str] = []

        def number(found: re.Match[str]) -> str:
            if found.group(1) not in order:
                order.append(found.group(1))
            return "{" + str(order.index(found.group(1)) + 1) + "}"

        return _FIELD.sub(number, kind.zh)
    return _FIELD.sub(lambda found: "${" + found.group(1) + "}", kind.zh)


def relayed(kind: MessageKind) -> MessageKind:
    """Return the kind as relayed through a household contact: its own template to approve.

    The words are the ones notify.dispatch.render_for puts around the text, so the phone
    shows the same with or without a template provider.
    """
    return replace(
        kind,
        name=RELAY_PREFIX + kind.name,
        zh="请转告{" + RELAY_PARAM + "}：" + kind.zh,
        en="Please tell {" + RELAY_PARAM + "}: " + kind.en,
        example={RELAY_PARAM: "王秀英", **kind.example},
    )


def relayable(kind: MessageKind) -> bool:
    """Return True for a kind that may reach a resident through a household contact."""
    return not kind.sensitive and not kind.name.startswith(_NEVER_RELAYED)


def template_kind(name: str) -> MessageKind:
    """Return the kind a template row is for: a registered kind, or one relayed."""
    if name.startswith(RELAY_PREFIX):
        return relayed(templates.get(name.removeprefix(RELAY_PREFIX)))
    return templates.get(name)


def variables(kind: MessageKind) -> list[str]:
    """Return the kind's parameter names in order of appearance."""
    names: list[str] = []
    for name in _FIELD.findall(kind.zh):
        if name not in names:
            names.append(name)
    return names


def check_params(kind: MessageKind, params: Mapping[str, Any]) -> dict[str, str]:
    """Return the kind's parameters as strings, or raise TemplateRefused saying which is wrong."""
    values: dict[str, str] = {}
    for name in variables(kind):
        value = str(params.get(name, "") if params.get(name) is not None else "")
        if not value:
            raise TemplateRefused("param_empty", f"The parameter “{name}” is empty.")
        if len(value) > MAX_PARAM_CHARS:
            raise TemplateRefused(
                "param_too_long",
                f"The parameter “{name}” has {len(value)} characters; the SMS provider allows "
                f"{MAX_PARAM_CHARS}.",
            )
        if _LINK.search(value):
            raise TemplateRefused(
                "param_link", f"The parameter “{name}” holds a link; the SMS provider takes none."
            )
        values[name] = value
    return values


class Codes:
    """The approved codes, read once per community and provider for a batch of deliveries."""

    def __init__(self) -> None:
        self._codes: dict[tuple[int | None, str], dict[str, str]] = {}

    def of(self, community_id: int | None, provider: str) -> dict[str, str]:
        key = (community_id, provider)
        if key not in self._codes:
            rows = (
                db.session.execute(
                    select(SmsTemplate.kind, SmsTemplate.code).where(
                        SmsTemplate.community_id == community_id, SmsTemplate.provider == provider
                    )
                ).all()
                if community_id is not None
                else []
            )
            self._codes[key] = {kind: code for kind, code in rows}
        return self._codes[key]


def template_sms(d: Delivery, provider: str, signature: str, codes: Codes) -> TemplateSms:
    """Return the template call for this delivery, or raise TemplateRefused."""
    kind = templates.get(d.kind)
    params = dict(d.params or {})
    relay = params.get("_relay_for")
    if relay:
        # "请转告…" is text around the kind's template: the relayed template carries it.
        kind = relayed(kind)
        params[RELAY_PARAM] = relay
    code = codes.of(d.community_id, provider).get(kind.name)
    if not code:
        if relay:
            raise TemplateRefused(
                "relay_template",
                f"no approved template for {d.kind} relayed through a household contact",
            )
        raise TemplateRefused("no_template", f"no approved template for {d.kind}")
    name = sign_name(signature)
    if not name:
        raise TemplateRefused("no_sign_name", "The community has no approved SMS sign name.")
    return TemplateSms(kind.name, code, name, check_params(kind, params))
