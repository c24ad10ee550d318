"""The registry: every feature and what it brings to the running product, in one place.

A feature is one name in every layer (services/<name>/, pwa/views/<name>.py,
pwa/templates/<name>/, tests/<name>/). Here each one declares its inbound commands, its
message kinds, its answerers for bare-number replies, its periodic jobs and its
blueprints. Nothing registers itself on import: `install` puts the declarations in place
for the web app and the worker (both build the app through `pwa.create_app`), and
`pwa.cron` schedules the periodic jobs for the one `rq cron` process.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask

from notify import commands, inbound, replies, templates
from notify.channels.telegram import messages as telegram_messages
from notify.commands import Command
from notify.replies import Answerer
from notify.templates import MessageKind
from pwa.views import (
    administration,
    app_shell,
    assessment,
    auth,
    broadcasts,
    campaigns,
    dev,
    head,
    health,
    ledgers,
    mediation,
    meetings,
    my_meetings,
    my_orders,
    needs,
    outbox,
    patrols,
    pledges,
    public,
    report_in,
    report_in_join,
    report_in_liaison,
    reports,
    resident,
    roster_import,
    secretary,
    sms,
    telegram,
    visits,
    volunteer,
    webhooks,
    wishes,
    work_groups,
    work_orders,
)
from services.assessment import demo as assessment_demo
from services.assessment import messages as assessment_messages
from services.broadcasts import commands as broadcast_commands
from services.broadcasts import demo as broadcast_demo
from services.broadcasts import messages as broadcast_messages
from services.campaigns import commands as campaign_commands
from services.campaigns import demo as campaign_demo
from services.campaigns import messages as campaign_messages
from services.ledgers import demo as ledger_demo
from services.mediation import commands as mediation_commands
from services.mediation import demo as mediation_demo
from services.mediation import messages as mediation_messages
from services.meetings import commands as meeting_commands
from services.meetings import demo as meeting_demo
from services.meetings import messages as meeting_messages
from services.meetings import records as meeting_records
from services.messages import help as sms_help
from services.needs import commands as need_commands
from services.needs import messages as need_messages
from services.patrols import commands as patrol_commands
from services.patrols import demo as patrol_demo
from services.patrols import messages as patrol_messages
from services.patrols import records as patrol_records
from services.pledges import commands as pledge_commands
from services.pledges import demo as pledge_demo
from services.pledges import messages as pledge_messages
from services.report_in import commands as report_in_commands
from services.report_in import demo as report_in_demo
from services.report_in import messages as report_in_messages
from services.report_in import records as service_records
from services.reports import commands as report_commands
from services.reports import demo as reports_demo
from services.reports import messages as report_messages
from services.roster import demo as roster_demo
from services.visits import commands as visit_commands
from services.visits import demo as visits_demo
from services.visits import messages as visit_messages
from services.wishes import commands as wish_commands
from services.wishes import demo as wishes_demo
from services.wishes import messages as wish_messages
from services.work_groups import messages as work_group_messages
from services.work_orders import commands as work_order_commands
from services.work_orders import demo as work_order_demo
from services.work_orders import messages as work_order_messages
from tasks import audit as audit_jobs
from tasks import broadcasts as broadcast_jobs
from tasks import campaigns as campaign_jobs
from tasks import deliveries as delivery_jobs
from tasks import housekeeping as housekeeping_jobs
from tasks import mediation as mediation_jobs
from tasks import meetings as meeting_jobs
from tasks import needs as need_jobs
from tasks import patrols as patrol_jobs
from tasks import pledges as pledge_jobs
from tasks import report_in as report_in_jobs
from tasks import reports as report_jobs
from tasks import visits as visit_jobs
from tasks import wishes as wish_jobs
from tasks import work_orders as work_order_jobs


@dataclass(frozen=True)
class Periodic:
    """A job the cron process enqueues on a schedule (cron strings are UTC in RQ 2)."""

    name: str
    func: Callable[[], Any]  # a job in tasks/: takes nothing, opens its own app context
    cron: str | None = None
    interval: int | None = None  # seconds, instead of a cron string
    timeout: int = 600


@dataclass(frozen=True)
class Feature:
    name: str
    commands: tuple[Command, ...] = ()
    message_kinds: tuple[MessageKind, ...] = ()
    answerers: tuple[tuple[str, Answerer], ...] = ()
    periodic: tuple[Periodic, ...] = ()
    blueprints: tuple[Blueprint, ...] = ()
    # Adds the feature's demo data (see services/<name>/demo.py); called in this order.
    demo: Callable[..., Any] | None = None
    # Where in-service members' service records and hours come from (双报到's unit reports):
    # (code, label, function) as services/report_in/records.py describes.
    service_records: tuple[tuple[str, Any, service_records.Source], ...] = ()


FEATURES: tuple[Feature, ...] = (
    # The order is the order commands are tried in and bare-number answerers asked, as it was
    # before the registry: the core commands, then work orders, visits, wishes.
    Feature(
        "app",
        blueprints=(
            public.bp,
            app_shell.bp,
            dev.bp,
            health.bp,
            volunteer.bp,
            resident.bp,
        ),
        periodic=(
            Periodic("housekeeping", housekeeping_jobs.run, cron="17 * * * *"),
            # Reads whose audit entry could not be written at once (services/audit.py).
            Periodic("audit-spool", audit_jobs.flush_spool, interval=60, timeout=120),
        ),
    ),
    Feature("sign_in", blueprints=(auth.bp,)),
    Feature(
        "messages",
        # Tried first: STOP, START and HELP, then a bare number answering the latest question.
        commands=inbound.COMMANDS + sms_help.COMMANDS + replies.COMMANDS,
        message_kinds=templates.MESSAGE_KINDS + telegram_messages.MESSAGE_KINDS,
        blueprints=(outbox.bp, sms.bp, webhooks.bp, telegram.bp),
        # Every 20 s, so deliveries that missed the queue go out within a minute of Redis
        # returning.
        periodic=(Periodic("sweep-outbox", delivery_jobs.sweep_outbox, interval=20, timeout=300),),
    ),
    Feature(
        "roster",
        blueprints=(head.bp, secretary.bp, roster_import.bp),
        demo=roster_demo.load,
    ),
    # Administrators of a street or a community: set communities up, their settings, their
    # secretary, and strangers' texts no community's staff see (services/administration/).
    Feature("administration", blueprints=(administration.bp,)),
    Feature(
        "needs",
        # A partner unit's contact answering a referral: "答复 N12 …".
        commands=need_commands.COMMANDS,
        message_kinds=need_messages.MESSAGE_KINDS,
        blueprints=(needs.bp, needs.partner_bp),
        # Needs undecided too long: the grid leader, later the secretary, each stage once.
        periodic=(Periodic("need-chase", need_jobs.chase, cron="40 * * * *"),),
    ),
    Feature(
        "work_orders",
        commands=work_order_commands.COMMANDS,
        message_kinds=work_order_messages.MESSAGE_KINDS,
        blueprints=(work_orders.bp, my_orders.bp),
        # Unclaimed orders announced again then escalated, claimers reminded before the
        # window. Quiet hours and "once a day per order and person" are kept inside.
        periodic=(
            Periodic("work-order-chase", work_order_jobs.chase, cron="*/15 * * * *"),
            # Orders past their window close by themselves (to check, or expired).
            Periodic("work-order-expiry", work_order_jobs.close_expired, cron="*/15 * * * *"),
        ),
        demo=work_order_demo.load,
    ),
    Feature(
        "broadcasts",
        message_kinds=broadcast_messages.MESSAGE_KINDS,
        answerers=broadcast_commands.ANSWERERS,
        blueprints=(broadcasts.bp,),
        # Broadcasts fan out in a job (tasks.broadcasts.prepare). Every 30 s: queue those Redis
        # missed or whose job died, and mark sent ones done.
        periodic=(Periodic("broadcast-sweep", broadcast_jobs.sweep, interval=30, timeout=300),),
        # Takes the same random sequence as work_orders' demo, right after it
        # (pwa/demo.py SHARED_SEQUENCE).
        demo=broadcast_demo.load,
    ),
    Feature(
        "visits",
        commands=visit_commands.COMMANDS,
        message_kinds=visit_messages.MESSAGE_KINDS,
        answerers=visit_commands.ANSWERERS,
        blueprints=(visits.bp,),
        # Visit reminders (around day 20) and grid digests (around day 25): hourly, each
        # community's own day and hour decide; what went out is recorded, so a repeat sends
        # nothing.
        periodic=(Periodic("visit-reminders", visit_jobs.remind, cron="5 * * * *"),),
        demo=visits_demo.load,
    ),
    Feature(
        "wishes",
        commands=wish_commands.COMMANDS,
        message_kinds=wish_messages.MESSAGE_KINDS,
        answerers=wish_commands.ANSWERERS,
        blueprints=(wishes.bp,),
        demo=wishes_demo.load,
        # Unclaimed wishes go up a level after their category's wait; every 10 minutes is
        # close enough.
        periodic=(
            Periodic("wish-escalation", wish_jobs.escalate, cron="*/10 * * * *", timeout=300),
        ),
    ),
    # Patrols (巡逻): routes and recurring shifts per grid, sign-ups, "巡逻 开始/结束/发现".
    Feature(
        "patrols",
        commands=patrol_commands.COMMANDS,
        message_kinds=patrol_messages.MESSAGE_KINDS,
        blueprints=(patrols.bp,),
        periodic=(
            # Shifts exist 14 days ahead; made again each night (and when a schedule is added).
            Periodic("patrol-shifts", patrol_jobs.make_shifts, cron="5 16 * * *"),
            # A shift nobody started, PATROL_FLAG_MINUTES after its start: the grid leader.
            Periodic("patrol-flag", patrol_jobs.flag_unstarted, cron="*/5 * * * *", timeout=300),
        ),
        demo=patrol_demo.load,
        # A kept shift is an in-service member's service (双报到): its window's hours.
        service_records=((patrol_records.KIND, patrol_records.LABEL, patrol_records.shifts_kept),),
    ),
    # Policy campaigns (政策宣传): households told in person, by phone, or by an SMS answered
    # with "1". Every 30 s the job hands asked-for SMS to the outbox and closes past deadlines.
    Feature(
        "campaigns",
        commands=campaign_commands.COMMANDS,
        message_kinds=campaign_messages.MESSAGE_KINDS,
        answerers=campaign_commands.ANSWERERS,
        blueprints=(campaigns.bp,),
        periodic=(Periodic("campaign-sweep", campaign_jobs.sweep, interval=30, timeout=300),),
        demo=campaign_demo.load,
    ),
    # Meetings (例会, 座谈会, 联席会, 季度网格长例会): invitations answered "1"/"2", attendance
    # at the door, minutes, suggestions made needs or work orders (services/meetings/).
    Feature(
        "meetings",
        commands=meeting_commands.COMMANDS,
        message_kinds=meeting_messages.MESSAGE_KINDS,
        answerers=meeting_commands.ANSWERERS,
        blueprints=(meetings.bp, my_meetings.bp),
        # The day-before reminder, the quarterly meeting's early notice, and the secretary
        # told when none is called for the quarter: hourly, each sent once.
        periodic=(Periodic("meeting-reminders", meeting_jobs.remind, cron="25 * * * *"),),
        demo=meeting_demo.load,
        # A meeting attended is an in-service member's service (双报到): its length.
        service_records=(
            (meeting_records.KIND, meeting_records.LABEL, meeting_records.meetings_attended),
        ),
    ),
    # Observers' reports (反映 …, a public problem on the needs list) and property matters (a
    # property need goes to the property company with a deadline; late answers chased).
    Feature(
        "reports",
        commands=report_commands.COMMANDS,
        message_kinds=report_messages.MESSAGE_KINDS,
        blueprints=(reports.bp,),
        periodic=(Periodic("property-chase", report_jobs.chase_property, cron="25 * * * *"),),
        demo=reports_demo.load,
    ),
    # The grids' work groups (WeCom group robots): the other features' events reach them
    # through services.work_groups.telling; this is the settings page and the kinds.
    Feature(
        "work_groups",
        message_kinds=work_group_messages.MESSAGE_KINDS,
        blueprints=(work_groups.bp,),
    ),
    # Mediation (矛盾调解): cases seen only by the grid's mediators, its leader and the
    # secretary; "调解" commands; a bare 1-5 from a party answers "is it settled?".
    Feature(
        "mediation",
        commands=mediation_commands.COMMANDS,
        message_kinds=mediation_messages.MESSAGE_KINDS,
        answerers=mediation_commands.ANSWERERS,
        blueprints=(mediation.bp,),
        # Follow-up visits due (30 days after the outcome): the mediator is told once.
        periodic=(Periodic("mediation-follow-ups", mediation_jobs.remind, cron="25 * * * *"),),
        demo=mediation_demo.load,
    ),
    # 双报到: partner units and in-service party members report in; their service record and
    # hours from the work they did (each feature's service_records), the quarter's report.
    Feature(
        "report_in",
        commands=report_in_commands.COMMANDS,
        message_kinds=report_in_messages.MESSAGE_KINDS,
        blueprints=(report_in.bp, report_in_join.join_bp, report_in_liaison.liaison_bp),
        # The quarter just ended, to each unit's liaison: 09:00 in Beijing on the 1st of
        # January, April, July and October (a repeat sends nothing: summary_sent_at).
        periodic=(
            Periodic("report-in-summaries", report_in_jobs.send_summaries, cron="0 1 1 1,4,7,10 *"),
        ),
        demo=report_in_demo.load,
        service_records=(
            (
                "work_order",
                service_records.KIND_LABELS["work_order"],
                service_records.work_orders_done,
            ),
            ("wish", service_records.KIND_LABELS["wish"], service_records.wishes_fulfilled),
        ),
    ),
    # Ledgers (台账): written from every feature's records (services/ledgers/categories.py);
    # its demo back-dates a believable past quarter so a ledger is worth exporting.
    Feature("ledgers", blueprints=(ledgers.bp,), demo=ledger_demo.load),
    # Public pledges (双诺双评): post-holders' pledges on the notice board, the quarter's
    # rating by households (a bare 1-5 by SMS, or the card at home), grids' rectification.
    Feature(
        "pledges",
        message_kinds=pledge_messages.MESSAGE_KINDS,
        answerers=pledge_commands.ANSWERERS,
        blueprints=(pledges.bp, pledges.rate_bp, pledges.plans_bp),
        periodic=(
            # The quarter just ended, rated from 10:00 in Beijing on the 3rd of January, April,
            # July and October (a repeat opens nothing: one round per community and quarter).
            Periodic("pledge-rounds", pledge_jobs.open_rounds, cron="0 2 3 1,4,7,10 *"),
            # Actions' deadlines near and re-checks due: hourly, each told once.
            Periodic("rectification-reminders", pledge_jobs.remind, cron="35 * * * *"),
        ),
        demo=pledge_demo.load,
    ),
    # Assessment (考核), stars and awards: indicators counted from every feature's records
    # (services/assessment/indicators.py), so its demo runs last, after theirs.
    Feature(
        "assessment",
        message_kinds=assessment_messages.MESSAGE_KINDS,
        blueprints=(assessment.bp, assessment.my_bp),
        demo=assessment_demo.load,
    ),
)


def install_messages() -> None:
    """Register every feature's commands, message kinds and answerers (safe to repeat)."""
    for feature in FEATURES:
        for kind in feature.message_kinds:
            templates.register(kind)
        for command in feature.commands:
            commands.register(command)
        for name, answerer in feature.answerers:
            replies.register_answerer(name, answerer)
        for code, label, source in feature.service_records:
            service_records.register(source, code, label)


def install(app: Flask) -> None:
    """Put every feature in place in this app: its messages and its blueprints."""
    install_messages()
    for feature in FEATURES:
        for blueprint in feature.blueprints:
            app.register_blueprint(blueprint)


def periodic_jobs() -> list[Periodic]:
    return [job for feature in FEATURES for job in feature.periodic]
