"""A community's own settings: SMS signature, quiet hours, visit reminders, escalation hours.

Each has an app-wide default (pwa/config.py). A value equal to the default is kept as "follow
the app" (NULL, or no VisitSettings row), so a deployment that changes its default moves every
community that never chose otherwise.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field, replace
from datetime import time

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import delete

from models import Community, VisitSettings, db
from services.errors import InvalidInput
from services.visits import reminders
from services.wishes import escalation
from services.wishes.operations import CATEGORIES
from services.work_orders import chase

SIGNATURE_LENGTH = (2, 12)  # characters inside 【】, as Chinese SMS providers accept
ESCALATION_HOURS = (0.5, 168.0)  # half an hour to a week
PROPERTY_ANSWER_DAYS = (1, 30)


@dataclass(frozen=True)
class CommunitySettings:
    sms_signature: str  # with its brackets: 【新丰路社区】
    quiet_from: time
    quiet_until: time
    reminder_day: int
    reminder_hour: int
    digest_day: int
    digest_hour: int
    work_order_escalate_hours: float
    wish_escalation_hours: dict[str, float] = field(default_factory=dict)
    # Days the property company has to answer a property matter (services/needs/property_matters).
    property_answer_days: int = 3

    @property
    def schedule(self) -> reminders.Schedule:
        return reminders.Schedule(
            self.reminder_day, self.reminder_hour, self.digest_day, self.digest_hour
        )


def _config(name: str, default: object) -> object:
    return current_app.config.get(name, default) if has_app_context() else default


def visit_defaults() -> reminders.Schedule:
    return reminders.Schedule(
        reminder_day=int(str(_config("VISIT_REMINDER_DAY", 20))),
        reminder_hour=int(str(_config("VISIT_REMINDER_HOUR", 9))),
        digest_day=int(str(_config("VISIT_DIGEST_DAY", 25))),
        digest_hour=int(str(_config("VISIT_DIGEST_HOUR", 9))),
    )


def wish_defaults() -> dict[str, float]:
    configured = _config("WISH_ESCALATION_HOURS", {})
    return escalation.escalation_hours(configured if isinstance(configured, dict) else {})


def defaults() -> CommunitySettings:
    """Return what a new community starts with: the app's settings."""
    plan = visit_defaults()
    return CommunitySettings(
        sms_signature="",
        quiet_from=time(21, 0),
        quiet_until=time(8, 0),
        reminder_day=plan.reminder_day,
        reminder_hour=plan.reminder_hour,
        digest_day=plan.digest_day,
        digest_hour=plan.digest_hour,
        work_order_escalate_hours=chase.setting("WORK_ORDER_ESCALATE_HOURS"),
        wish_escalation_hours=wish_defaults(),
        property_answer_days=int(str(_config("PROPERTY_ANSWER_DAYS", 3))),
    )


def of(community: Community) -> CommunitySettings:
    """Return the settings in force for a community: its own, else the app's."""
    plan = reminders.schedule_of(community.id, visit_defaults())
    own_hours = community.wish_escalation_hours or {}
    base = defaults()
    return replace(
        base,
        sms_signature=community.sms_signature,
        quiet_from=community.quiet_from,
        quiet_until=community.quiet_until,
        reminder_day=plan.reminder_day,
        reminder_hour=plan.reminder_hour,
        digest_day=plan.digest_day,
        digest_hour=plan.digest_hour,
        work_order_escalate_hours=(
            base.work_order_escalate_hours
            if community.work_order_escalate_hours is None
            else community.work_order_escalate_hours
        ),
        wish_escalation_hours={
            k: float(own_hours.get(k, v)) for k, v in base.wish_escalation_hours.items()
        },
        property_answer_days=community.property_answer_days or base.property_answer_days,
    )


def clean_signature(raw: str) -> str:
    """Return the signature in its brackets, 【…】, or refuse it with the rule."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    text = text.strip("【】[]").strip()
    low, high = SIGNATURE_LENGTH
    if not low <= len(text) <= high:
        raise InvalidInput(
            _(
                "An SMS signature is %(low)d to %(high)d characters, e.g. 新丰路社区.",
                low=low,
                high=high,
            )
        )
    if any(c in "【】[]" or not c.isprintable() for c in text):
        raise InvalidInput(_("An SMS signature may not contain brackets."))
    return f"【{text}】"


def labels() -> dict[str, str]:
    """Return the names people read for each setting, for messages that name one."""
    return {
        "sms_signature": _("SMS signature"),
        "quiet_from": _("Quiet hours from"),
        "quiet_until": _("Quiet hours until"),
        "reminder_day": _("Day building heads are reminded"),
        "reminder_hour": _("Hour building heads are reminded"),
        "digest_day": _("Day grid leaders get their digest"),
        "digest_hour": _("Hour grid leaders get their digest"),
        "work_order_escalate_hours": _("Hours before an unclaimed work order goes up"),
        "property_answer_days": _("Days the property company has to answer"),
        **{
            f"wish_{k}": _("Hours before an unclaimed wish goes up: %(category)s", category=v)
            for k, v in CATEGORIES.items()
        },
    }


def check(values: CommunitySettings) -> CommunitySettings:
    """Return the settings with a clean signature, or refuse the first value out of range."""
    names = labels()
    for name, value in (
        ("reminder_day", values.reminder_day),
        ("digest_day", values.digest_day),
    ):
        if not 1 <= value <= 28:
            raise InvalidInput(_("%(field)s: a day of the month from 1 to 28.", field=names[name]))
    for name, value in (
        ("reminder_hour", values.reminder_hour),
        ("digest_hour", values.digest_hour),
    ):
        if not 0 <= value <= 23:
            raise InvalidInput(_("%(field)s: an hour from 0 to 23.", field=names[name]))
    if values.quiet_from == values.quiet_until:
        raise InvalidInput(_("Quiet hours must start and end at different times."))
    low, high = ESCALATION_HOURS
    hours: list[tuple[str, float]] = [
        ("work_order_escalate_hours", values.work_order_escalate_hours)
    ]
    unknown = set(values.wish_escalation_hours) - set(CATEGORIES)
    if unknown:
        raise InvalidInput(_("“%(category)s” is not a wish category.", category=min(unknown)))
    hours += [(f"wish_{k}", v) for k, v in values.wish_escalation_hours.items()]
    for name, hour in hours:
        if not low <= hour <= high:
            raise InvalidInput(
                _(
                    "%(field)s: from %(low)s to %(high)d hours (a week).",
                    field=names[name],
                    low="0.5",
                    high=int(high),
                )
            )
    first, last = PROPERTY_ANSWER_DAYS
    if not first <= values.property_answer_days <= last:
        raise InvalidInput(
            _(
                "%(field)s: from %(low)d to %(high)d days.",
                field=names["property_answer_days"],
                low=first,
                high=last,
            )
        )
    return replace(values, sms_signature=clean_signature(values.sms_signature))


def apply(community: Community, values: CommunitySettings) -> list[str]:
    """Put checked settings on the community; return what changed, as "label: old → new"
    (the labels people read, for the audit trail)."""
    values = check(values)
    before = of(community)
    base = defaults()
    community.sms_signature = values.sms_signature
    community.quiet_from = values.quiet_from
    community.quiet_until = values.quiet_until
    community.work_order_escalate_hours = (
        None
        if values.work_order_escalate_hours == base.work_order_escalate_hours
        else values.work_order_escalate_hours
    )
    own = {
        k: v
        for k, v in values.wish_escalation_hours.items()
        if v != base.wish_escalation_hours.get(k)
    }
    community.wish_escalation_hours = own or None
    community.property_answer_days = (
        None
        if values.property_answer_days == base.property_answer_days
        else values.property_answer_days
    )
    if values.schedule == visit_defaults():
        db.session.execute(delete(VisitSettings).where(VisitSettings.community_id == community.id))
    else:
        reminders.save_schedule(community.id, values.schedule)
    db.session.flush()
    after = of(community)
    return [f"{name}: {old} → {new}" for name, old, new in _fields(before, after) if old != new]


def _fields(
    before: CommunitySettings, after: CommunitySettings
) -> list[tuple[str, object, object]]:
    rows: list[tuple[str, object, object]] = [
        (name, getattr(before, name), getattr(after, name))
        for name in (
            "sms_signature",
            "quiet_from",
            "quiet_until",
            "reminder_day",
            "reminder_hour",
            "digest_day",
            "digest_hour",
            "work_order_escalate_hours",
            "property_answer_days",
        )
    ]
    rows += [
        (f"wish_{k}", before.wish_escalation_hours.get(k), v)
        for k, v in after.wish_escalation_hours.items()
    ]
    return rows
