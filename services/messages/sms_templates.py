"""Each community's mainland SMS: which provider sends, and the codes of its approved templates.

A provider such as Alibaba Cloud sends a message kind only once its template, submitted in the
provider's own form (`${name}`), has been approved and its code recorded here.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from models import Community, Person, SmsTemplate, db, utcnow
from notify import mainland, templates
from notify.templates import MessageKind
from services.errors import InvalidInput

# The SMS providers a community may choose, in the order they are offered.
PROVIDERS = ("twilio", "alibaba", "tencent")


@dataclass(frozen=True)
class TemplateRow:
    kind: MessageKind
    text: str  # the template in the provider's form, ready to submit
    variables: list[str]
    code: str  # the approved code, "" while there is none


def rows(community_id: int, provider: str) -> list[TemplateRow]:
    """Return every message kind with its template text and the code recorded, by name."""
    codes = dict(
        db.session.execute(
            select(SmsTemplate.kind, SmsTemplate.code).where(
                SmsTemplate.community_id == community_id, SmsTemplate.provider == provider
            )
        ).all()
    )
    kinds = [kind for _name, kind in sorted(templates.KINDS.items())]
    # After the kinds, their relayed forms ("请转告…"), for residents reached through a contact.
    kinds += [mainland.relayed(kind) for kind in kinds if mainland.relayable(kind)]
    return [
        TemplateRow(
            kind,
            mainland.provider_text(kind, provider),
            mainland.variables(kind),
            codes.get(kind.name, ""),
        )
        for kind in kinds
    ]


def set_code(
    community: Community, *, provider: str, kind: str, code: str, by: Person
) -> SmsTemplate:
    """Record the code the provider approved for one kind's template."""
    if provider not in mainland.TEMPLATED:
        raise InvalidInput(str(_l("That SMS provider takes no templates.")))
    base = kind.removeprefix(mainland.RELAY_PREFIX)
    if base not in templates.KINDS or (
        kind != base and not mainland.relayable(templates.get(base))
    ):
        raise InvalidInput(str(_l("There is no message kind “%(kind)s”.", kind=kind[:40])))
    code = (code or "").strip()
    if not code:
        raise InvalidInput(str(_l("Please enter the template code the provider approved.")))
    if not mainland.CODE_FORMS[provider].match(code):
        raise InvalidInput(
            str(
                _l(
                    "“%(code)s” is not a template code of this provider (like %(example)s).",
                    code=code[:40],
                    example=mainland.CODE_EXAMPLES[provider],
                )
            )
        )
    row = db.session.scalar(
        select(SmsTemplate).where(
            SmsTemplate.community_id == community.id,
            SmsTemplate.provider == provider,
            SmsTemplate.kind == kind,
        )
    )
    if row is None:
        row = SmsTemplate(community_id=community.id, provider=provider, kind=kind)
        db.session.add(row)
    row.code = code
    row.updated_by_id = by.id
    row.updated_at = utcnow()
    db.session.flush()
    return row


def set_provider(community: Community, provider: str, *, by: Person) -> Community:
    """Choose the provider that sends the community's SMS."""
    if provider not in PROVIDERS:
        raise InvalidInput(str(_l("There is no SMS provider “%(name)s”.", name=provider[:20])))
    community.sms_provider = provider
    db.session.flush()
    return community
