"""Least privilege by duty: every role × every page and action, allowed or 404.

The table lists every route of every blueprint, or names it exempt with the reason; a new
route without an entry fails `test_every_route_is_in_the_table`. A role is allowed a page when
its default permissions (models.roles.DEFAULT_PERMISSIONS) carry the page's permission: then a
page answers 2xx/3xx and an action anything but 404 (its empty form is refused); otherwise
both answer 404, as for a record that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import (
    AssessmentStatus,
    AuditEntry,
    CustomRole,
    MediationCase,
    MediationParty,
    Need,
    NeedSource,
    PartnerUnit,
    Permission,
    Pledge,
    RectificationAction,
    RectificationPlan,
    RolePermissions,
    Street,
    Wish,
    db,
    utcnow,
)
from models.roles import (
    CUSTOM_ROLE_PERMISSIONS,
    DEFAULT_PERMISSIONS,
    PARTNER_MEMBER_PERMISSIONS,
    Role,
)
from pwa import auth
from services.administration import operations as administration
from services.assessment import operations as assessments
from services.assessment.periods import previous_quarter
from services.broadcasts import operations as broadcasts
from services.broadcasts.queries import Criteria
from services.campaigns import operations as campaigns
from services.meetings import operations as meetings
from services.meetings.operations import Invitees
from services.patrols import operations as patrols
from services.roster import permissions
from services.work_orders import operations as work_orders
from services.work_orders.audiences import Audience
from tests.support import sign_in

P = Permission
# The page scopes itself to the records the person may see; everyone in this world may.
SCOPED = "scoped"
# Only the community's secretary (besides holding the permission).
SECRETARY = "secretary"
# A permission a page also keeps to some roles: staff-only pages, or an area a building head's
# does not reach (the grid's own page).
STAFF = frozenset({Role.SECRETARY, Role.STAFF})
OVER_GRID = frozenset({Role.SECRETARY, Role.STAFF, Role.GRID_LEADER})
# Administrators (services/administration): of the street the community is in, or of the
# community itself. They hold no post, so every other page is closed to them.
ADMINS = frozenset({"street_admin", "community_admin"})
ADMIN = "administrator"
STREET_ADMIN = "street administrator"  # creating communities
SETTINGS = "administrator or the community's secretary"
# Mediation cases: the roles that may ever see them (services/mediation/queries.reach_of).
MEDIATION = frozenset({Role.SECRETARY, Role.GRID_LEADER, Role.MEDIATOR})
# The grid's work group robot: its grid leader and the secretary, whatever the permissions.
GRID_LEAD = "grid_lead"
# 双报到: a partner unit's liaison (their phone is the unit's contact phone; in this world also
# one of its in-service members), and pages open to anyone.
LIAISON = "the unit's liaison"
ANYONE = "anyone"
# Pledges (services/pledges): anyone holding a post writes their own; the community's office
# (secretary, staff) approves and sees the figures; rectification plans also to a grid leader.
POST_HOLDER = "post_holder"
OFFICE = "office"
OFFICE_OR_LEADER = "office_or_leader"
# Assessment: by role, whatever the permissions (services/assessment, pwa/views/assessment.py).
ASSESS_READ = "assessment readers"  # secretary, staff, grid leaders
STAFF_ROLE = "staff roles"  # secretary and staff
# Ledgers: every post whose role may see ledgers (its own scope), and administrators.
LEDGERS = "ledgers"

# (endpoint, method) → (url, rule). Urls name the world's records by their field names.
TABLE: dict[tuple[str, str], tuple[str, Any]] = {
    # households and residents (the roster's area pages)
    ("head.area_home", "GET"): ("/area", P.SEE_HOUSEHOLDS),
    ("head.grid", "GET"): ("/grids/{grid}", (P.SEE_HOUSEHOLDS, OVER_GRID)),
    ("head.building", "GET"): ("/buildings/{building}", P.SEE_HOUSEHOLDS),
    ("head.household", "GET"): ("/households/{household}", P.SEE_HOUSEHOLDS),
    ("head.resident", "GET"): ("/residents/{resident}", P.SEE_HOUSEHOLDS),
    ("head.search", "GET"): ("/search?q=501", P.SEE_HOUSEHOLDS),
    ("head.edit_resident", "GET"): ("/residents/{resident}/edit", P.EDIT_HOUSEHOLDS),
    ("head.edit_resident", "POST"): ("/residents/{resident}/edit", P.EDIT_HOUSEHOLDS),
    ("head.add_resident", "GET"): ("/households/{household}/residents/new", P.EDIT_HOUSEHOLDS),
    ("head.add_resident", "POST"): ("/households/{household}/residents/new", P.EDIT_HOUSEHOLDS),
    ("head.add_household", "GET"): ("/buildings/{building}/households/new", P.EDIT_HOUSEHOLDS),
    ("head.add_household", "POST"): ("/buildings/{building}/households/new", P.EDIT_HOUSEHOLDS),
    ("head.edit_household_contact", "GET"): (
        "/households/{household}/contact",
        P.EDIT_HOUSEHOLDS,
    ),
    ("head.edit_household_contact", "POST"): (
        "/households/{household}/contact",
        P.EDIT_HOUSEHOLDS,
    ),
    ("wishes.post_for_resident", "GET"): ("/area/residents/{resident}/wish", P.SEE_HOUSEHOLDS),
    ("wishes.post_for_resident", "POST"): ("/area/residents/{resident}/wish", P.SEE_HOUSEHOLDS),
    ("wishes.area_wishes", "GET"): ("/area/wishes", P.SEE_HOUSEHOLDS),
    ("wishes.stats", "GET"): ("/area/wishes/stats", (P.SEE_COVERAGE, STAFF)),
    # visits, visit notes, coverage and its exports
    ("visits.my_households", "GET"): ("/visits", P.LOG_VISITS),
    ("visits.log_form", "GET"): ("/visits/log", P.LOG_VISITS),
    ("visits.offline_round", "GET"): ("/visits/round", P.LOG_VISITS),
    ("visits.log_visit", "POST"): ("/visits", P.LOG_VISITS),
    ("visits.household", "GET"): ("/visits/households/{household}", P.SEE_VISIT_NOTES),
    ("visits.coverage_page", "GET"): ("/coverage", P.SEE_COVERAGE),
    ("visits.coverage_csv", "GET"): ("/coverage.csv", P.EXPORT),
    ("visits.coverage_xlsx", "GET"): ("/coverage.xlsx", P.EXPORT),
    ("visits.coverage_settings", "POST"): ("/coverage/settings", SECRETARY),
    # needs
    ("needs.need_list", "GET"): ("/needs", P.SEE_NEEDS),
    ("needs.decide", "GET"): ("/needs/{need}/decide", P.SEE_NEEDS),
    # Who sees the need and may not decide it (decide_needs) is told why: 422, not 404.
    ("needs.decide", "POST"): ("/needs/{need}/decide", P.SEE_NEEDS),
    ("needs.raise_need", "GET"): ("/needs/new", P.RAISE_NEEDS),
    ("needs.raise_need", "POST"): ("/needs/new", P.RAISE_NEEDS),
    # observers' reports and property matters
    ("reports.report", "GET"): ("/reports/new", P.RAISE_NEEDS),
    ("reports.report", "POST"): ("/reports/new", P.RAISE_NEEDS),
    ("reports.property_matters", "GET"): ("/property", P.SEE_NEEDS),
    # the problem wall
    ("wishes.wall", "GET"): ("/wall", P.SEE_WALL),
    ("wishes.detail", "GET"): ("/wall/{wish}", SCOPED),
    ("wishes.claim", "POST"): ("/wall/{wish}/claim", P.CLAIM_WISHES),
    ("wishes.hand_back", "POST"): ("/wall/{wish}/hand-back", P.CLAIM_WISHES),
    ("wishes.fulfil", "POST"): ("/wall/{wish}/fulfil", P.CLAIM_WISHES),
    ("wishes.withdraw", "POST"): ("/wall/{wish}/withdraw", SCOPED),
    # work orders
    ("work_orders.order_list", "GET"): ("/work-orders", P.DISPATCH),
    ("work_orders.new_order", "GET"): ("/work-orders/new", P.DISPATCH),
    ("work_orders.create_order", "POST"): ("/work-orders/new", P.DISPATCH),
    ("work_orders.detail", "GET"): ("/work-orders/{order}", P.DISPATCH),
    ("work_orders.manage", "POST"): ("/work-orders/{order}/verify", P.DISPATCH),
    ("work_orders.reach", "GET"): ("/work-orders/reach?roles=patroller", P.DISPATCH),
    ("work_orders.claim_photo", "GET"): ("/work-orders/{order}/claims/999999/photo", P.DISPATCH),
    # broadcasts
    ("broadcasts.broadcast_list", "GET"): ("/broadcasts", P.BROADCAST),
    ("broadcasts.new_mobilisation", "GET"): ("/broadcasts/mobilise", P.BROADCAST),
    ("broadcasts.mobilise", "POST"): ("/broadcasts/mobilise", P.BROADCAST),
    ("broadcasts.reach", "GET"): ("/broadcasts/reach?roles=patroller", P.BROADCAST),
    ("broadcasts.new_information", "GET"): ("/broadcasts/inform", (P.BROADCAST, STAFF)),
    ("broadcasts.inform", "POST"): ("/broadcasts/inform", (P.BROADCAST, STAFF)),
    ("broadcasts.detail", "GET"): ("/broadcasts/{broadcast}", P.BROADCAST),
    ("broadcasts.live", "GET"): ("/broadcasts/{broadcast}/live", P.BROADCAST),
    # policy campaigns: heads and publicists tick households; the staff write and send
    ("campaigns.campaign_list", "GET"): ("/campaigns", P.INFORM_HOUSEHOLDS),
    ("campaigns.new_campaign", "GET"): ("/campaigns/new", (P.BROADCAST, STAFF)),
    ("campaigns.create_campaign", "POST"): ("/campaigns/new", (P.BROADCAST, STAFF)),
    ("campaigns.detail", "GET"): ("/campaigns/{campaign}", P.INFORM_HOUSEHOLDS),
    ("campaigns.households", "GET"): ("/campaigns/{campaign}/households", P.INFORM_HOUSEHOLDS),
    ("campaigns.mark", "POST"): (
        "/campaigns/{campaign}/households/{household}",
        P.INFORM_HOUSEHOLDS,
    ),
    ("campaigns.send_sms", "POST"): ("/campaigns/{campaign}/sms", (P.BROADCAST, STAFF)),
    ("campaigns.attach", "POST"): ("/campaigns/{campaign}/attachment", (P.BROADCAST, STAFF)),
    ("campaigns.close", "POST"): ("/campaigns/{campaign}/close", (P.BROADCAST, STAFF)),
    # meetings
    ("meetings.meeting_list", "GET"): ("/meetings", (P.HOLD_MEETINGS, OVER_GRID)),
    ("meetings.new_meeting", "GET"): ("/meetings/new", (P.HOLD_MEETINGS, OVER_GRID)),
    ("meetings.call_meeting", "POST"): ("/meetings/new", (P.HOLD_MEETINGS, OVER_GRID)),
    ("meetings.reach", "GET"): ("/meetings/reach?roles=patroller", (P.HOLD_MEETINGS, OVER_GRID)),
    ("meetings.find_residents", "GET"): ("/meetings/residents?q=王", (P.HOLD_MEETINGS, OVER_GRID)),
    ("meetings.detail", "GET"): ("/meetings/{meeting}", (P.HOLD_MEETINGS, OVER_GRID)),
    ("meetings.door", "GET"): ("/meetings/{meeting}/door", (P.HOLD_MEETINGS, OVER_GRID)),
    ("meetings.mark", "POST"): (
        "/meetings/{meeting}/invitees/{invitee}/present",
        (P.HOLD_MEETINGS, OVER_GRID),
    ),
    ("meetings.walk_in", "POST"): ("/meetings/{meeting}/walk-in", (P.HOLD_MEETINGS, OVER_GRID)),
    ("meetings.minutes", "POST"): ("/meetings/{meeting}/minutes", (P.HOLD_MEETINGS, OVER_GRID)),
    ("meetings.suggest", "POST"): (
        "/meetings/{meeting}/suggestions",
        (P.HOLD_MEETINGS, OVER_GRID),
    ),
    ("meetings.convert", "POST"): (
        "/meetings/{meeting}/suggestions/999999/need",
        (P.HOLD_MEETINGS, OVER_GRID),
    ),
    # the roster, posts, roles, messages
    ("secretary.post_list", "GET"): ("/secretary/posts", P.MANAGE_ROSTER),
    ("secretary.new_post", "GET"): ("/secretary/posts/new", P.MANAGE_ROSTER),
    ("secretary.create_post", "POST"): ("/secretary/posts/new", P.MANAGE_ROSTER),
    ("secretary.end_post", "POST"): ("/secretary/posts/{spare_post}/end", P.MANAGE_ROSTER),
    ("secretary.custom_roles", "GET"): ("/secretary/roles", P.MANAGE_ROSTER),
    ("secretary.custom_roles", "POST"): ("/secretary/roles", P.MANAGE_ROSTER),
    ("secretary.role_permissions_change", "POST"): (
        "/secretary/roles/patroller/permissions",
        SECRETARY,
    ),
    ("secretary.buildings", "GET"): ("/secretary/buildings", P.MANAGE_ROSTER),
    ("secretary.buildings", "POST"): ("/secretary/buildings", P.MANAGE_ROSTER),
    ("secretary.partner_units", "GET"): ("/secretary/partners", P.MANAGE_ROSTER),
    ("secretary.partner_units", "POST"): ("/secretary/partners", P.MANAGE_ROSTER),
    ("secretary.preview_buildings", "POST"): ("/secretary/buildings/bulk/preview", P.MANAGE_ROSTER),
    ("secretary.create_buildings", "POST"): ("/secretary/buildings/bulk", P.MANAGE_ROSTER),
    ("secretary.add_grid", "POST"): ("/secretary/grids", P.MANAGE_ROSTER),
    ("secretary.move_building", "POST"): ("/secretary/buildings/move", P.MANAGE_ROSTER),
    ("secretary.edit_post", "GET"): ("/secretary/posts/{spare_post}/edit", P.MANAGE_ROSTER),
    ("secretary.edit_post", "POST"): ("/secretary/posts/{spare_post}/edit", P.MANAGE_ROSTER),
    ("secretary.edit_partner", "POST"): ("/secretary/partners/{unit}/edit", P.MANAGE_ROSTER),
    ("secretary.end_partner", "POST"): ("/secretary/partners/{unit}/end", P.MANAGE_ROSTER),
    ("secretary.restore_partner", "POST"): ("/secretary/partners/{unit}/restore", P.MANAGE_ROSTER),
    ("head.household_moved_out", "POST"): ("/households/{household}/moved-out", P.MANAGE_ROSTER),
    ("head.household_moved_back", "POST"): ("/households/{household}/moved-back", P.MANAGE_ROSTER),
    ("head.resident_deceased", "POST"): ("/residents/{resident}/deceased", P.MANAGE_ROSTER),
    ("head.resident_not_deceased", "POST"): (
        "/residents/{resident}/not-deceased",
        P.MANAGE_ROSTER,
    ),
    ("roster_import.import_form", "GET"): ("/secretary/roster/import", P.MANAGE_ROSTER),
    ("roster_import.import_sheet", "POST"): ("/secretary/roster/import", P.MANAGE_ROSTER),
    ("roster_import.template_csv", "GET"): ("/secretary/roster/template.csv", P.MANAGE_ROSTER),
    ("roster_import.template_xlsx", "GET"): ("/secretary/roster/template.xlsx", P.MANAGE_ROSTER),
    ("outbox.deliveries", "GET"): ("/secretary/outbox", P.MANAGE_ROSTER),
    ("outbox.inbound", "GET"): ("/secretary/outbox/inbound", P.MANAGE_ROSTER),
    ("outbox.kinds", "GET"): ("/secretary/outbox/kinds", P.MANAGE_ROSTER),
    ("outbox.sms_template_codes", "GET"): ("/secretary/outbox/templates", P.MANAGE_ROSTER),
    ("outbox.sms_template_codes", "POST"): ("/secretary/outbox/templates", P.MANAGE_ROSTER),
    ("outbox.sms_provider", "POST"): ("/secretary/outbox/provider", P.MANAGE_ROSTER),
    ("outbox.retry", "POST"): ("/secretary/outbox/999999/retry", P.MANAGE_ROSTER),
    ("outbox.retry_all", "POST"): ("/secretary/outbox/retry-all", P.MANAGE_ROSTER),
    # administrators: communities, their settings and secretary, strangers' texts
    ("administration.home", "GET"): ("/admin", ADMIN),
    ("administration.new_community", "GET"): ("/admin/communities/new", STREET_ADMIN),
    ("administration.create_community", "POST"): ("/admin/communities/new", STREET_ADMIN),
    ("administration.community_settings", "GET"): ("/admin/communities/{code}/settings", SETTINGS),
    ("administration.change_settings", "POST"): ("/admin/communities/{code}/settings", SETTINGS),
    ("administration.name_secretary", "POST"): ("/admin/communities/{code}/secretary", ADMIN),
    ("administration.strangers_texts", "GET"): ("/admin/texts", ADMIN),
    # the street's view: its communities side by side, and a community's grids (counts only)
    ("administration.street", "GET"): ("/admin/streets/{street}", STREET_ADMIN),
    ("administration.community", "GET"): ("/admin/communities/{code}", ADMIN),
    # the grids' work groups (WeCom group robots)
    ("work_groups.index", "GET"): ("/work-groups", GRID_LEAD),
    ("work_groups.grid_page", "GET"): ("/work-groups/{grid}", GRID_LEAD),
    ("work_groups.set_robot", "POST"): ("/work-groups/{grid}", GRID_LEAD),
    ("work_groups.remove_robot", "POST"): ("/work-groups/{grid}/remove", GRID_LEAD),
    ("work_groups.test_robot", "POST"): ("/work-groups/{grid}/test", GRID_LEAD),
    # patrols: routes, findings and the log to whoever organises the grid's work (dispatch)
    ("patrols.manage", "GET"): ("/patrols/manage", P.DISPATCH),
    ("patrols.add_route", "POST"): ("/patrols/routes", P.DISPATCH),
    ("patrols.add_schedule", "POST"): ("/patrols/routes/{route}/schedules", P.DISPATCH),
    ("patrols.end_schedule", "POST"): ("/patrols/schedules/{schedule}/end", P.DISPATCH),
    ("patrols.take_up", "POST"): ("/patrols/findings/999999/need", P.DISPATCH),
    ("patrols.finding_photo", "GET"): ("/patrols/findings/999999/photo", P.DISPATCH),
    ("patrols.log", "GET"): ("/patrols/log", P.DISPATCH),
    # mediation: the grid's mediators, its grid leader and the secretary, never anyone else
    ("mediation.case_list", "GET"): ("/mediation", (P.SEE_MEDIATION, MEDIATION)),
    ("mediation.new_case", "GET"): ("/mediation/new", (P.SEE_MEDIATION, MEDIATION)),
    ("mediation.new_case", "POST"): ("/mediation/new", (P.SEE_MEDIATION, MEDIATION)),
    ("mediation.detail", "GET"): ("/mediation/{case}", (P.SEE_MEDIATION, MEDIATION)),
    ("mediation.add_party", "POST"): ("/mediation/{case}/parties", (P.SEE_MEDIATION, MEDIATION)),
    ("mediation.add_session", "POST"): (
        "/mediation/{case}/sessions",
        (P.SEE_MEDIATION, MEDIATION),
    ),
    ("mediation.conclude", "POST"): ("/mediation/{case}/outcome", (P.SEE_MEDIATION, MEDIATION)),
    ("mediation.follow_up", "POST"): ("/mediation/{case}/follow-up", (P.SEE_MEDIATION, MEDIATION)),
    # 双报到: report-ins, each unit's quarter (the secretary decides and evaluates)
    ("report_in.index", "GET"): ("/report-in", (P.MANAGE_ROSTER, STAFF)),
    ("report_in.enter", "POST"): ("/report-in/enter", (P.MANAGE_ROSTER, STAFF)),
    ("report_in.approve", "POST"): ("/report-in/999999/approve", SECRETARY),
    ("report_in.decline", "POST"): ("/report-in/999999/decline", SECRETARY),
    ("report_in.unit_page", "GET"): ("/report-in/units/{unit}", (P.MANAGE_ROSTER, STAFF)),
    ("report_in.unit_report", "GET"): (
        "/report-in/units/{unit}/report.xlsx",
        (P.MANAGE_ROSTER, STAFF),
    ),
    ("report_in.send_summary", "POST"): (
        "/report-in/units/{unit}/summary",
        (P.MANAGE_ROSTER, STAFF),
    ),
    ("report_in.evaluate", "POST"): ("/report-in/units/{unit}/evaluate", SECRETARY),
    ("report_in.poster", "GET"): ("/report-in/poster", (P.MANAGE_ROSTER, STAFF)),
    # 双报到's public page and QR code (no account needed), and a partner unit's liaison's page
    ("report_in_join.join", "GET"): ("/join/{code}", ANYONE),
    ("report_in_join.qr", "GET"): ("/join/{code}/qr.svg", ANYONE),
    ("report_in_liaison.liaison", "GET"): ("/my/unit", LIAISON),
    ("report_in_liaison.liaison_enter", "POST"): ("/my/unit/members", LIAISON),
    ("report_in_liaison.liaison_feedback", "POST"): ("/my/unit/feedback", LIAISON),
    # pledges (双诺双评) and rectification (整改)
    ("pledges.index", "GET"): ("/pledges", POST_HOLDER),
    ("pledges.write", "POST"): ("/pledges/write", POST_HOLDER),
    ("pledges.approve", "POST"): ("/pledges/{pledge}/approve", OFFICE),
    ("pledges.ratings", "GET"): ("/pledges/ratings", OFFICE),
    ("pledges.open_round", "POST"): ("/pledges/rounds", OFFICE),
    ("rectification.plan_list", "GET"): ("/rectification", OFFICE_OR_LEADER),
    ("rectification.new_plan", "GET"): ("/rectification/new?grid={grid}", OFFICE),
    ("rectification.create_plan", "POST"): ("/rectification/new", OFFICE),
    ("rectification.plan_page", "GET"): ("/rectification/{plan}", OFFICE_OR_LEADER),
    ("rectification.action_done", "POST"): (
        "/rectification/{plan}/actions/{plan_action}/done",
        OFFICE_OR_LEADER,
    ),
    ("rectification.record_result", "POST"): ("/rectification/{plan}/result", OFFICE),
    # Ledgers (台账): the community's, the grid's or one's own post's
    ("ledgers.ledger", "GET"): ("/ledgers", LEDGERS),
    ("ledgers.export", "GET"): ("/ledgers/ledger.xlsx", LEDGERS),
    ("ledgers.printable", "GET"): ("/ledgers/print", LEDGERS),
    # the audit trail
    ("secretary.audit_trail", "GET"): ("/secretary/audit", P.SEE_AUDIT),
    ("secretary.audit_csv", "GET"): ("/secretary/audit.csv", P.SEE_AUDIT),
    ("secretary.audit_xlsx", "GET"): ("/secretary/audit.xlsx", P.SEE_AUDIT),
    # assessment (考核): staff compute and adjust; the secretary publishes, confers awards and
    # sets the weights; a grid leader reads their grid's published results; the street's
    # administrator sets the street's weights and reads its communities' published results
    ("assessment.index", "GET"): ("/assessment", ASSESS_READ),
    ("assessment.detail", "GET"): ("/assessment/{assessment}", ASSESS_READ),
    ("assessment.stars", "GET"): ("/assessment/stars", ASSESS_READ),
    ("assessment.compute", "POST"): ("/assessment/compute", STAFF_ROLE),
    ("assessment.score", "POST"): (
        "/assessment/{assessment}/rows/{assessment_row}",
        STAFF_ROLE,
    ),
    ("assessment.publish", "POST"): ("/assessment/{assessment}/publish", SECRETARY),
    ("assessment.confer", "POST"): ("/assessment/{assessment}/awards", SECRETARY),
    ("assessment.community_weights", "GET"): ("/assessment/weights", SECRETARY),
    ("assessment.set_community_weights", "POST"): ("/assessment/weights", SECRETARY),
    ("assessment.street_results", "GET"): ("/assessment/streets/{street}", STREET_ADMIN),
    ("assessment.set_street_weights", "POST"): (
        "/assessment/streets/{street}/weights",
        STREET_ADMIN,
    ),
    ("assessment.street_assessment", "GET"): (
        "/assessment/streets/{street}/{assessment}",
        STREET_ADMIN,
    ),
}
# Pages whose allowed answer needs a record the world does not hold (a photo, a delivery):
# for them the table checks only that a role without the permission gets 404.
GUARD_ONLY = {
    ("report_in.approve", "POST"),
    ("report_in.decline", "POST"),
    ("work_orders.claim_photo", "GET"),
    ("patrols.take_up", "POST"),
    ("patrols.finding_photo", "GET"),
    ("outbox.retry", "POST"),
    ("meetings.convert", "POST"),
    # The world's grid has no quarter of low satisfaction: the form has nothing to open.
    ("rectification.new_plan", "GET"),
}
# Blueprint routes that show or change nothing a permission covers, and why.
EXEMPT = {
    "static": "static files",
    "app_shell": "the installable app's shell: manifest, service worker, offline page",
    "health": "the health check for the process supervisor",
    "auth": "signing in and out",
    "public": "public pages: the landing page, home, the notice board, the language switch",
    "resident": "a resident's own home and inbox",
    "telegram": "one's own Telegram link, and the bot's webhook (checked by its secret)",
    "webhooks": "SMS provider webhooks (checked by the provider's signature or the URL's secret)",
    "sms": "the SMS length counter for a text being written",
    "dev": "the development SMS simulator (off in production)",
    "volunteer": "one's own work",
    "my_orders": "one's own work orders",
    "patrols.mine": "one's own patrol shifts (those of one's routes)",
    "patrols.act": "signing up for and patrolling one's own shifts (patrols.queries.may_patrol)",
    "my_meetings": "one's own meeting invitations",
    "needs.my_needs": "a resident's own needs",
    "wishes.my_wishes": "a resident's own wishes",
    "wishes.post_my_wish": "a resident's own wishes",
    "wishes.rate_my_wish": "a resident's own wishes",
    "wishes.withdraw_my_wish": "a resident's own wishes",
    "wishes.echo": "the public echo wall (no names or rooms)",
    "wishes.photo": "a wish's photo, to whoever may see the wish (wishes.queries.get_visible)",
    "campaigns.policies": "a resident's own household's policies",
    "campaigns.policy": "a policy's page, to whoever may read the campaign: those who tell its "
    "households, and the residents it concerns (tests/campaigns/test_web.py)",
    "campaigns.attachment": "a campaign's attachment, to whoever may read the campaign "
    "(tests/campaigns/test_web.py)",
    "needs.photo": "a reported problem's photo, to its reporter and whoever sees the need on the "
    "needs list (needs.queries.get_need)",
    "report_in_join.join_post": "reporting in on the public page a community's QR code opens "
    "(no account; what is sent waits for the secretary; 20 an hour per address, so not posted "
    "once per role here: tests/report_in)",
    "pledge_rating": "a resident's rating of their own household's heads (services.pledges."
    "queries.rating_for; another household's row is refused), tested in tests/pledges",
    "my_assessment": "one's own stars",
    "partner": "a partner unit's contact answering a need referred to them, through the link "
    "sent to them (its unguessable, expiring token is the key; they have no account)",
}

ROLES = [
    *(r.value for r in Role),
    "elder_care",
    "partner_member",
    "liaison",
    "resident",
    *sorted(ADMINS),
]


def allowed(role: str, rule: Any) -> bool:
    if rule == ANYONE:
        return True
    if rule == LIAISON:
        return role == "liaison"
    if role == "liaison":
        role = "partner_member"
    if rule == STREET_ADMIN:
        return role == "street_admin"
    if rule == ADMIN:
        return role in ADMINS
    if rule == SETTINGS:
        return role in ADMINS or role == Role.SECRETARY
    if rule == LEDGERS:
        if role in ADMINS:
            return True
        if role in ("resident", "partner_member"):
            return False
        return P.SEE_LEDGERS in DEFAULT_PERMISSIONS.get(role, CUSTOM_ROLE_PERMISSIONS)
    if role in ADMINS:
        return False
    if rule == SCOPED:
        return True
    if rule == SECRETARY:
        return role == Role.SECRETARY
    if rule == GRID_LEAD:
        return role in (Role.SECRETARY, Role.GRID_LEADER)
    if rule == OFFICE:
        return role in STAFF
    if rule == OFFICE_OR_LEADER:
        return role in OVER_GRID
    if rule == POST_HOLDER:
        return role not in ("resident", "partner_member")
    if rule == ASSESS_READ:
        return role in (Role.SECRETARY, Role.STAFF, Role.GRID_LEADER)
    if rule == STAFF_ROLE:
        return role in STAFF
    if role == "resident":
        return False
    if role == "partner_member":
        return not isinstance(rule, tuple) and rule in PARTNER_MEMBER_PERMISSIONS
    if isinstance(rule, tuple):
        rule, roles = rule
        if role not in roles:
            return False
    return rule in DEFAULT_PERMISSIONS.get(role, CUSTOM_ROLE_PERMISSIONS)


def _exempt(endpoint: str) -> bool:
    return endpoint in EXEMPT or endpoint.split(".")[0] in EXEMPT


def test_every_route_is_in_the_table(app: Flask) -> None:
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
    }
    missing = sorted(r for r in routes if r not in TABLE and not _exempt(r[0]))
    assert not missing, f"routes without an entry in the permission table: {missing}"
    stale = sorted(r for r in TABLE if r not in routes)
    assert not stale, f"entries for routes that no longer exist: {stale}"


@dataclass
class World:
    ids: dict[str, int]
    people: dict[str, Any]


@pytest.fixture
def world(make: Any) -> World:
    c = make.community()
    g = make.grid(c)
    b = make.building(g, name="3号楼")
    h = make.household(b, unit="2", room="501")
    r = make.resident(h, name="王奶奶", birth_year=1940)
    db.session.add(CustomRole(community_id=c.id, code="elder_care", name="助老员"))
    people: dict[str, Any] = {}
    for role in Role:
        person = make.person(name=f"{role.value}")
        if role in (Role.SECRETARY, Role.STAFF):
            make.post(person, role.value, community=c)
        elif role == Role.BUILDING_HEAD:
            make.post(person, role.value, community=c, grid=g, building=b)
        else:
            make.post(person, role.value, community=c, grid=g)
        people[role.value] = person
    people["elder_care"] = make.person(name="助老员")
    make.post(people["elder_care"], "elder_care", community=c, grid=g)
    unit = PartnerUnit(community_id=c.id, name="区供电局")
    db.session.add(unit)
    db.session.flush()
    people["partner_member"] = make.person(name="在职党员", partner_unit_id=unit.id)
    people["liaison"] = make.person(name="单位联络人", partner_unit_id=unit.id)
    unit.contact_phone = people["liaison"].phone
    people["resident"] = make.person(name="王奶奶")
    r.person_id = people["resident"].id
    street = Street(name="城关街道", code="chengguan")
    db.session.add(street)
    db.session.flush()
    c.street_id = street.id
    people["street_admin"] = make.person(name="街道管理员")
    people["community_admin"] = make.person(name="社区管理员")
    today = auth.today()
    administration.grant(people["street_admin"], street=street, by=None, today=today)
    administration.grant(people["community_admin"], community=c, by=None, today=today)
    spare = make.person(name="将卸任")
    spare_post = make.post(spare, "publicist", community=c, grid=g)
    # Work goes to the spare volunteer, so no one signing in gets a text besides the code.
    audience = Audience(people=(spare.id,))
    need = Need(
        community_id=c.id,
        grid_id=g.id,
        building_id=b.id,
        household_id=h.id,
        resident_id=r.id,
        source=NeedSource.OBSERVER,
        category="other",
        text="楼道灯坏了",
    )
    wish = Wish(
        community_id=c.id,
        grid_id=g.id,
        building_id=b.id,
        resident_id=r.id,
        category="other",
        text="帮忙修水龙头",
        via="head",
    )
    db.session.add_all([need, wish])
    db.session.flush()
    case = MediationCase(
        community_id=c.id,
        grid_id=g.id,
        category="noise",
        source="visit",
        summary="楼上夜间噪音",
        mediator_id=people["mediator"].id,
        opened_by_id=people["mediator"].id,
    )
    db.session.add(case)
    db.session.flush()
    db.session.add(MediationParty(case_id=case.id, household_id=h.id, resident_id=r.id))
    now = utcnow()
    today = auth.today()
    broadcast = broadcasts.mobilise(
        c,
        text="请组织清扫积雪",
        title="清扫积雪",
        starts_at=now + timedelta(hours=21),
        ends_at=now + timedelta(hours=23),
        places_needed=2,
        audience=audience,
        by=people["secretary"],
        now=now,
        today=today,
        grid=g,
    )
    order = work_orders.create_order(
        c,
        title="学校周边巡逻",
        starts_at=now + timedelta(hours=21),
        ends_at=now + timedelta(hours=23),
        places_needed=2,
        audience=audience,
        by=people["secretary"],
        now=now,
        today=today,
        grid=g,
    )
    route = patrols.add_route(g, name="小区夜巡", covers="", by=people["secretary"], now=now)
    schedule = patrols.add_schedule(
        route,
        weekdays=[1],
        starts="19:00",
        ends="21:00",
        places_needed=1,
        by=people["secretary"],
        now=now,
    )
    campaign = campaigns.create(
        c,
        title="医保缴费",
        summary="医保12月31日前缴费。",
        full_text="",
        deadline=today + timedelta(days=30),
        criteria=Criteria(),
        by=people["secretary"],
        now=now,
        today=today,
    )
    meeting = meetings.call_meeting(
        c,
        kind="regular",
        title="网格例会",
        starts_at=now + timedelta(days=2),
        place="社区会议室",
        invitees=Invitees(audience=audience),
        by=people["secretary"],
        now=now,
        today=today,
        grid=g,
    )
    head_post = people["building_head"].posts[0]
    pledge = Pledge(
        community_id=c.id,
        post_id=head_post.id,
        period="year",
        starts_on=today.replace(month=1, day=1),
        ends_on=today.replace(year=today.year + 1, month=1, day=1),
        text="每月走访每一户",
        written_by_id=people["building_head"].id,
    )
    plan = RectificationPlan(
        community_id=c.id,
        grid_id=g.id,
        quarter_first=today.replace(month=1, day=1),
        satisfaction=2.5,
        ratings=6,
        recheck_on=today + timedelta(days=30),
        opened_by_id=people["secretary"].id,
    )
    db.session.add_all([pledge, plan])
    db.session.flush()
    db.session.add(
        RectificationAction(
            plan_id=plan.id,
            text="每周走访独居老人",
            holder_id=people["grid_leader"].id,
            due_on=today + timedelta(days=10),
        )
    )
    assessment = assessments.compute(
        c, previous_quarter(today), by=people["secretary"], now=now, today=today
    )
    # Published without its texts: nobody signing in here gets one besides the code.
    assessment.status = AssessmentStatus.PUBLISHED
    db.session.commit()
    ids = {
        "assessment": assessment.id,
        "assessment_row": assessment.rows[0].id,
        "route": route.id,
        "schedule": schedule.id,
        "campaign": campaign.id,
        "community": c.id,
        "code": c.code,
        "street": street.code,
        "grid": g.id,
        "building": b.id,
        "household": h.id,
        "resident": r.id,
        "need": need.id,
        "wish": wish.id,
        "order": order.id,
        "broadcast": broadcast.id,
        "spare_post": spare_post.id,
        "unit": unit.id,
        "case": case.id,
        "meeting": meeting.id,
        "pledge": pledge.id,
        "plan": plan.id,
        "plan_action": plan.actions[0].id,
        "invitee": meeting.invitees[0].id,
    }
    return World(ids, people)


@pytest.mark.parametrize("role", ROLES)
def test_role_sees_what_its_duties_need(client: FlaskClient, world: World, role: str) -> None:
    sign_in(client, world.people[role].phone)
    wrong = []
    for (endpoint, method), (url, rule) in TABLE.items():
        path = url.format(**world.ids)
        response = client.open(path, method=method, data={})
        status = response.status_code
        if not allowed(role, rule):
            ok = status == 404
        elif (endpoint, method) in GUARD_ONLY:
            ok = True
        elif method == "GET":
            ok = status < 400
        else:
            ok = status != 404
        if not ok:
            expected = "allow" if allowed(role, rule) else "404"
            wrong.append(f"{method} {path} ({endpoint}): {status}, expected {expected}")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)


def test_patroller_cannot_open_households_notes_needs_or_exports(
    client: FlaskClient, world: World
) -> None:
    sign_in(client, world.people["patroller"].phone)
    for path in (
        "/visits",
        "/visits/households/{household}",
        "/households/{household}",
        "/needs",
        "/coverage",
        "/coverage.csv",
        "/coverage.xlsx",
    ):
        assert client.get(path.format(**world.ids)).status_code == 404, path
    assert client.get("/wall").status_code == 200


def test_secretary_changes_a_roles_permissions_and_it_takes_effect(
    client: FlaskClient, world: World
) -> None:
    patroller = world.people["patroller"]
    other = FlaskClient(client.application, client.response_wrapper, use_cookies=True)
    sign_in(other, patroller.phone)
    assert other.get("/needs").status_code == 404

    sign_in(client, world.people["secretary"].phone)
    page = client.get("/secretary/roles").get_data(as_text=True)
    assert 'id="role-patroller"' in page and 'value="see_needs"' in page
    response = client.post(
        "/secretary/roles/patroller/permissions",
        data={"permissions": ["see_wall", "claim_wishes", "see_needs"]},
    )
    assert response.status_code == 302
    row = db.session.scalar(select(RolePermissions).where(RolePermissions.role == "patroller"))
    assert row is not None and row.permissions == ["claim_wishes", "see_needs", "see_wall"]
    assert permissions.of_role(world.ids["community"], "patroller") == {
        P.SEE_WALL,
        P.CLAIM_WISHES,
        P.SEE_NEEDS,
    }
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "role.permissions"))
    # The page shows the current values: see_needs ticked for the patroller now.
    page = client.get("/secretary/roles").get_data(as_text=True)
    assert "已保存“义务巡逻员”的可见范围和可做事项" in page  # the save says what it did
    form = page.split('id="role-patroller"')[1].split("</form>")[0]
    assert 'value="see_needs"\n        checked' in form or 'value="see_needs" checked' in " ".join(
        form.split()
    )
    assert other.get("/needs").status_code == 200

    # Taking the wall away closes it too.
    client.post("/secretary/roles/patroller/permissions", data={"permissions": ["see_needs"]})
    assert other.get("/wall").status_code == 404


@pytest.mark.usefixtures("english")
def test_unknown_permission_gets_a_clear_message_and_changes_nothing(
    client: FlaskClient, world: World
) -> None:
    sign_in(client, world.people["secretary"].phone)
    response = client.post(
        "/secretary/roles/patroller/permissions",
        data={"permissions": ["see_wall", "see_everything"]},
    )
    assert response.status_code == 422
    assert "“see_everything” is not a permission." in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(RolePermissions)) is None


def test_only_the_secretary_changes_permissions_and_not_their_own(
    client: FlaskClient, world: World
) -> None:
    sign_in(client, world.people["staff"].phone)
    response = client.post(
        "/secretary/roles/patroller/permissions", data={"permissions": ["see_wall"]}
    )
    assert response.status_code == 404
    client.post("/sign-out")
    sign_in(client, world.people["secretary"].phone)
    assert (
        client.post("/secretary/roles/nobody/permissions", data={"permissions": []}).status_code
        == 404
    )
    response = client.post("/secretary/roles/secretary/permissions", data={"permissions": []})
    assert response.status_code == 422
    db.session.rollback()
    assert db.session.scalar(select(RolePermissions)) is None


@pytest.mark.usefixtures("english")
def test_a_grid_leader_without_decide_needs_is_told_why(client: FlaskClient, world: World) -> None:
    permissions.set_for_role(
        world.ids["community"],
        "grid_leader",
        permissions.defaults_of("grid_leader") - {P.DECIDE_NEEDS},
        by=world.people["secretary"],
    )
    db.session.commit()
    sign_in(client, world.people["grid_leader"].phone)
    page = client.get("/needs").get_data(as_text=True)
    assert "楼道灯坏了" in page and "/decide" not in page
    response = client.post(
        f"/needs/{world.ids['need']}/decide", data={"decision": "solved", "answer": "好了"}
    )
    assert response.status_code == 422
    assert "Only the grid leader or the secretary" in response.get_data(as_text=True)


def test_two_posts_see_households_only_through_the_one_that_may(
    client: FlaskClient, make: Any
) -> None:
    """A building head of one grid who also leads another grid: with "see households" taken
    from grid leaders, the led grid's households are gone and the building's stay."""
    community = make.community()
    led, own = make.grid(community), make.grid(community)
    led_home = make.household(make.building(led))
    building = make.building(own)
    own_home = make.household(building)
    person = make.person()
    make.post(person, Role.GRID_LEADER, community=community, grid=led)
    make.post(person, Role.BUILDING_HEAD, community=community, building=building)
    secretary = make.person()
    make.post(secretary, Role.SECRETARY, community=community)
    sign_in(client, person.phone)
    assert client.get(f"/households/{led_home.id}").status_code == 200
    assert client.get(f"/households/{own_home.id}").status_code == 200

    permissions.set_for_role(
        community.id,
        Role.GRID_LEADER,
        permissions.defaults_of(Role.GRID_LEADER) - {P.SEE_HOUSEHOLDS},
        by=secretary,
    )
    db.session.commit()
    assert client.get(f"/households/{led_home.id}").status_code == 404
    assert client.get(f"/households/{own_home.id}").status_code == 200
    page = client.get("/area").get_data(as_text=True)
    assert building.name in page
    assert client.get(f"/grids/{led.id}").status_code == 404
