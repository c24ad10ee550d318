"""Report-in's changes: a member or a unit reports in, the secretary approves or declines,
the quarter's summary goes to a unit's liaison, the unit's feedback and the community's
evaluation are kept. Flush, never commit."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from models import (
    PartnerUnit,
    Person,
    ReportIn,
    ReportKind,
    ReportStatus,
    UnitQuarter,
    db,
)
from notify.message import Message
from notify.outbox import send_later
from services import audit, phones
from services.errors import DomainError, InvalidInput
from services.report_in import queries
from services.report_in.quarters import Quarter
from services.roster import operations as roster
from services.roster import partners

VIAS = ("sms", "telegram", "page", "liaison", "secretary")
REASON_LIMIT = 200
FEEDBACK_LIMIT = 1000
COMMENT_LIMIT = 1000
# The summary names the unit in at most this many characters, so the SMS stays one segment.
SMS_UNIT_NAME = 16


class AlreadyReported(DomainError):
    """The phone has a report-in waiting or approved in this community (or is a member)."""

    def __init__(self, message: str, unit_name: str, approved: bool) -> None:
        super().__init__(message)
        self.unit_name = unit_name
        self.approved = approved


def _name(value: str, *, required: bool) -> str:
    return roster.clean_text(value, limit=roster.MAX_NAME, what=_("Name"), required=required)


def report_member(
    community_id: int,
    unit: PartnerUnit,
    *,
    name: str,
    phone: str,
    via: str,
    now: datetime,
    by: Person | None = None,
) -> ReportIn:
    """An in-service party member reports in with a partner unit; waits for the secretary
    (entered by the secretary, it is approved at once)."""
    if unit.community_id != community_id or unit.ended_on is not None:
        raise InvalidInput(_("Choose one of the community's partner units."))
    phone = phones.normalize(phone)
    person = db.session.scalar(select(Person).where(Person.phone == phone))
    name = _name(name, required=person is None) or (person.name if person else "")
    if person is not None and person.partner_unit_id is not None:
        member_of = db.session.get(PartnerUnit, person.partner_unit_id)
        unit_name = member_of.name if member_of else unit.name
        raise AlreadyReported(
            _("%(name)s is already a member of %(unit)s.", name=person.name, unit=unit_name),
            unit_name,
            approved=True,
        )
    earlier = queries.open_report(community_id, phone)
    if earlier is not None:
        unit_name = earlier.partner_unit.name if earlier.partner_unit else unit.name
        raise AlreadyReported(
            _(
                "%(phone)s has already reported in (%(unit)s).",
                phone=phones.mask(phone),
                unit=unit_name,
            ),
            unit_name,
            approved=earlier.status == ReportStatus.APPROVED,
        )
    report = ReportIn(
        community_id=community_id,
        kind=ReportKind.MEMBER,
        partner_unit_id=unit.id,
        partner_unit=unit,
        name=name,
        phone=phone,
        person_id=person.id if person else None,
        via=via,
        created_at=now,
        entered_by_id=by.id if by else None,
    )
    db.session.add(report)
    db.session.flush()
    if by is not None:
        audit.record(
            actor=by,
            community_id=community_id,
            action="report_in.enter",
            subject_type="report_in",
            subject_id=report.id,
            detail=f"{unit.name} {name}",
        )
    return report


def report_unit(
    community_id: int,
    *,
    unit_name: str,
    contact_name: str,
    contact_phone: str,
    via: str,
    now: datetime,
) -> ReportIn:
    """A unit asks to become a partner unit; it is one when the secretary approves."""
    unit_name = roster.clean_text(unit_name, limit=100, what=_("The unit's name"), required=True)
    contact_name = _name(contact_name, required=True)
    phone = phones.normalize(contact_phone)
    taken = db.session.scalar(
        select(PartnerUnit.id).where(
            PartnerUnit.community_id == community_id, PartnerUnit.name == unit_name
        )
    )
    if taken is not None:
        raise InvalidInput(_("%(name)s is already a partner unit.", name=unit_name))
    waiting = db.session.scalar(
        select(ReportIn.id).where(
            ReportIn.community_id == community_id,
            ReportIn.kind == ReportKind.UNIT,
            ReportIn.status == ReportStatus.PENDING,
            ReportIn.unit_name == unit_name,
        )
    )
    if waiting is not None:
        raise InvalidInput(
            _("%(name)s has already reported in and waits for approval.", name=unit_name)
        )
    report = ReportIn(
        community_id=community_id,
        kind=ReportKind.UNIT,
        unit_name=unit_name,
        name=contact_name,
        phone=phone,
        via=via,
        created_at=now,
    )
    db.session.add(report)
    db.session.flush()
    return report


def _pending(report: ReportIn) -> None:
    if report.status != ReportStatus.PENDING:
        raise DomainError(_("This report-in has already been decided."))


def approve(report: ReportIn, *, by: Person, now: datetime) -> ReportIn:
    """The secretary approves: a member joins the unit, a unit becomes a partner unit."""
    _pending(report)
    if report.kind == ReportKind.UNIT:
        made = partners.add_unit(
            report.community_id,
            name=report.unit_name,
            kind="",
            contact_name=report.name,
            contact_phone=report.phone,
            by=by,
        )
        report.partner_unit_id = made.id
        kind, unit_name = "report_in_unit_approved", made.name
    else:
        unit = report.partner_unit
        if unit is None or unit.ended_on is not None:
            raise DomainError(_("The unit no longer takes part: decline the report-in instead."))
        person = partners.add_member(unit, name=report.name, phone=report.phone, by=by)
        report.person_id = person.id
        kind, unit_name = "report_in_approved", unit.name
    report.status = ReportStatus.APPROVED
    report.decided_at = now
    report.decided_by_id = by.id
    db.session.flush()
    audit.record(
        actor=by,
        community_id=report.community_id,
        action="report_in.approve",
        subject_type="report_in",
        subject_id=report.id,
        detail=f"{unit_name} {report.name}",
    )
    _tell(report, kind, {"unit": unit_name}, report.phone, now)
    return report


def decline(report: ReportIn, reason: str, *, by: Person, now: datetime) -> ReportIn:
    """The secretary declines, saying why; the reporter is told by SMS."""
    _pending(report)
    reason = roster.clean_text(reason, limit=REASON_LIMIT, what=_("The reason"))
    if not reason:
        raise InvalidInput(_("Say why the report-in is declined: the reporter is told."))
    report.status = ReportStatus.DECLINED
    report.reason = reason
    report.decided_at = now
    report.decided_by_id = by.id
    db.session.flush()
    unit_name = report.partner_unit.name if report.partner_unit else report.unit_name
    audit.record(
        actor=by,
        community_id=report.community_id,
        action="report_in.decline",
        subject_type="report_in",
        subject_id=report.id,
        detail=f"{unit_name} {report.name}: {reason}",
    )
    _tell(report, "report_in_declined", {"unit": unit_name, "reason": reason}, report.phone, now)
    return report


def _tell(
    report: ReportIn, kind: str, params: Mapping[str, object], to: str, now: datetime
) -> None:
    send_later(
        Message(
            kind,
            params,
            batch_key=f"report_in:{report.id}:{kind}",
            ref=report.ref,
            community_id=report.community_id,
        ),
        to=[to],
        now=now,
    )


def quarter_row(unit: PartnerUnit, quarter: Quarter) -> UnitQuarter:
    """The unit's row for the quarter, made when first needed."""
    row = queries.quarter_row(unit, quarter)
    if row is None:
        row = UnitQuarter(
            partner_unit_id=unit.id, community_id=unit.community_id, quarter=quarter.first
        )
        db.session.add(row)
        db.session.flush()
    return row


def send_summary(unit: PartnerUnit, quarter: Quarter, *, now: datetime) -> UnitQuarter:
    """Text the quarter's figures to the unit's liaison (again, when asked from the page)."""
    if not unit.contact_phone:
        raise DomainError(
            _("%(unit)s has no liaison's phone: add one on the partner units page.", unit=unit.name)
        )
    service = queries.unit_service(unit, quarter)
    row = quarter_row(unit, quarter)
    name = unit.name if len(unit.name) <= SMS_UNIT_NAME else unit.name[: SMS_UNIT_NAME - 1] + "…"
    send_later(
        Message(
            "report_in_quarter_summary",
            {
                "unit": name,
                "quarter": quarter.sms_label(),
                "members": len(service.members),
                "times": service.times,
                "hours": queries.hours_text(service.hours),
            },
            # A summary sent again from the page is a new message, not the first one repeated.
            batch_key=f"unit:{unit.id}:summary:{quarter.code}:{now.timestamp():.0f}",
            community_id=unit.community_id,
        ),
        to=[unit.contact_phone],
        now=now,
    )
    row.summary_sent_at = now
    db.session.flush()
    return row


def send_due_summaries(quarter: Quarter, *, now: datetime) -> int:
    """Send the quarter's summary to every unit taking part with a liaison that has not had
    it yet; return how many went (run by the periodic job at a quarter's start)."""
    sent = 0
    for unit in db.session.scalars(
        select(PartnerUnit).where(PartnerUnit.taking_part(), PartnerUnit.contact_phone.is_not(None))
    ):
        row = queries.quarter_row(unit, quarter)
        if row is not None and row.summary_sent_at is not None:
            continue
        send_summary(unit, quarter, now=now)
        sent += 1
    return sent


def give_feedback(
    unit: PartnerUnit, quarter: Quarter, text: str, *, via: str, now: datetime
) -> UnitQuarter:
    """The unit's feedback (双向反馈) on a quarter, by its liaison; a later one replaces it."""
    text = roster.clean_text(text, limit=FEEDBACK_LIMIT, what=_("Feedback"), required=True)
    row = quarter_row(unit, quarter)
    row.feedback = text
    row.feedback_via = via
    row.feedback_at = now
    db.session.flush()
    return row


def evaluate(
    unit: PartnerUnit, quarter: Quarter, score: int, comment: str, *, by: Person, now: datetime
) -> UnitQuarter:
    """The community's evaluation of the unit for the quarter: 1–5 and a comment."""
    if score not in range(1, 6):
        raise InvalidInput(_("Give a score from 1 to 5."))
    comment = roster.clean_text(comment, limit=COMMENT_LIMIT, what=_("Comment"))
    row = quarter_row(unit, quarter)
    row.score = score
    row.comment = comment
    row.evaluated_at = now
    row.evaluated_by_id = by.id
    db.session.flush()
    audit.record(
        actor=by,
        community_id=unit.community_id,
        action="report_in.evaluate",
        subject_type="partner_unit",
        subject_id=unit.id,
        detail=f"{quarter.code} {score}",
    )
    return row
