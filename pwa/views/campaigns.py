"""Policy campaigns: the secretary writes one; heads and publicists tick households told.

Residents read the campaigns that concern their household (/campaigns/policies).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from models import Campaign, CampaignAttachment, Community, Grid, Permission, db
from pwa import audit_reads, auth, paging
from pwa.confirming import kept_fields, two_steps
from pwa.forms.campaigns import CampaignForm, InformedForm
from pwa.rendering import render
from pwa.steps import run_step
from services.campaigns import operations, queries
from services.campaigns import sms as campaign_sms
from services.errors import InvalidInput, NotFound
from services.roster.areas import Area
from services.roster.operations import CARE_FLAG_LABELS, CARE_FLAGS

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")
bp.before_request(auth.require_signed_in)


def method_labels() -> dict[str, str]:
    return {code: str(label) for code, label in queries.METHOD_LABELS.items()}


def _area() -> Area:
    area = queries.area_of(auth.person_required(), auth.today())
    if area.is_empty:
        abort(404)
    return area


def _campaign(campaign_id: int) -> tuple[Campaign, Area]:
    area = _area()
    try:
        return queries.get_visible(area, campaign_id), area
    except NotFound:
        abort(404)


def _manages(campaign_community_id: int) -> bool:
    """The community's staff with the broadcast permission write, send and close campaigns."""
    area = auth.current_area()
    return campaign_community_id in area.community_ids and auth.may(Permission.BROADCAST)


def _staff_community() -> Community:
    area = auth.current_area()
    if not area.community_ids or not auth.may(Permission.BROADCAST):
        abort(404)
    community = db.session.get(Community, min(area.community_ids))
    if community is None:
        abort(404)
    return community


@bp.get("")
@auth.permission_required(Permission.INFORM_HOUSEHOLDS)
def campaign_list() -> Any:
    area = _area()
    campaigns = queries.visible(area)
    return render_template(
        "campaigns/list.html",
        campaigns=campaigns,
        left={c.id: queries.count_unreached(c, area) for c in campaigns if c.status == "open"},
        may_create=bool(area.community_ids) and auth.may(Permission.BROADCAST),
    )


def _form_page(error: str | None, status: int, reach: operations.Reach | None = None) -> Any:
    community = _staff_community()
    grids = db.session.scalars(
        select(Grid).where(Grid.community_id == community.id).order_by(Grid.number)
    ).all()
    return render_template(
        "campaigns/new.html",
        community=community,
        grids=grids,
        care_flags=[(code, CARE_FLAG_LABELS[code]) for code in CARE_FLAGS],
        form=request.form,
        error=error,
        reach=reach,
    ), status


@bp.get("/new")
def new_campaign() -> Any:
    return _form_page(None, 200)


@bp.post("/new")
def create_campaign() -> Any:
    community = _staff_community()
    if request.form.get("edit"):
        return _form_page(None, 200)
    form = CampaignForm()

    def fields() -> dict[str, Any]:
        return {
            "title": form.title.data or "",
            "summary": form.summary.data or "",
            "full_text": form.full_text.data or "",
            "deadline": form.deadline.data,
            "criteria": form.criteria(),
            "today": auth.today(),
        }

    if form.preview.data:
        return run_step(
            lambda: operations.check_campaign(community, **fields()),
            form=form,
            refused=lambda message: _form_page(message, 422),
            done=lambda found: _form_page(None, 200, found),
        )
    found: list[operations.Reach] = []

    def count() -> int:
        found[:] = [operations.check_campaign(community, **fields())]
        return found[0].households

    def confirm(n: int, changed: bool) -> Any:
        values = fields()
        reach = found[0]
        lines = [
            (_("Title"), values["title"]),
            (_("SMS"), operations.sms_text(community.id, values["title"], values["summary"])),
            (_("Deadline"), values["deadline"].isoformat() if values["deadline"] else ""),
            (_("Residents concerned"), str(reach.residents)),
            (_("Of whom can get the SMS"), str(reach.by_sms)),
        ]
        return render_template(
            "work_orders/confirm.html",
            heading=_("Start this campaign?"),
            lines=lines,
            reach=_("Households concerned: %(n)d.", n=n),
            count=n,
            changed=changed,
            kept=kept_fields(),
            action=url_for("campaigns.create_campaign"),
            confirm_label=_("Start (%(n)d households)", n=n),
            editable=True,
        )

    def done(campaign: Campaign) -> Any:
        flash(
            _(
                "Campaign started: %(n)d households to tell. Attach the policy's document below "
                "if it has one.",
                n=campaign.household_count,
            )
        )
        return redirect(url_for("campaigns.detail", campaign_id=campaign.id))

    return two_steps(
        form=form,
        count=count,
        act=lambda: operations.create(
            community, by=auth.person_required(), now=auth.now(), **fields()
        ),
        confirm=confirm,
        refused=lambda message: _form_page(message, 422),
        done=done,
    )


def _detail(campaign: Campaign, area: Area, error: str | None = None, status: int = 200) -> Any:
    return render_template(
        "campaigns/detail.html",
        campaign=campaign,
        progress=queries.progress(campaign, area),
        methods=method_labels(),
        manages=_manages(campaign.community_id),
        unreached=queries.count_unreached(campaign, area),
        sms_text=operations.sms_text(campaign.community_id, campaign.title, campaign.summary),
        error=error,
    ), status


@bp.get("/<int:campaign_id>")
@auth.permission_required(Permission.INFORM_HOUSEHOLDS)
def detail(campaign_id: int) -> Any:
    campaign, area = _campaign(campaign_id)
    return _detail(campaign, area)


def _households_page(campaign: Campaign, area: Area, error: str | None, status: int) -> Any:
    number = paging.page_number()
    page = paging.Page(number, paging.PAGE_SIZE, queries.count_unreached(campaign, area))
    rows = queries.unreached(campaign, area, limit=page.size, offset=page.offset)
    audit_reads.listing(
        "campaign households",
        rows,
        detail=f"campaign households campaign={campaign.id} page={number}",
        subject_id=campaign.id,
    )
    more = paging.wants_more_rows() and error is None
    return render(
        "campaigns/households.html",
        "rows" if more else None,
        campaign=campaign,
        rows=rows,
        page=page,
        methods=method_labels(),
        error=error,
    ), status


@bp.get("/<int:campaign_id>/households")
@auth.permission_required(Permission.INFORM_HOUSEHOLDS)
def households(campaign_id: int) -> Any:
    """The area's households not yet told, a page at a time, each with its one-tap buttons."""
    campaign, area = _campaign(campaign_id)
    return _households_page(campaign, area, None, 200)


@bp.post("/<int:campaign_id>/households/<int:household_id>")
@auth.permission_required(Permission.INFORM_HOUSEHOLDS)
def mark(campaign_id: int, household_id: int) -> Any:
    campaign, area = _campaign(campaign_id)
    form = InformedForm()

    def done(_row: Any) -> Any:
        flash(_("Marked as told: %(how)s.", how=method_labels()[form.method.data or ""]))
        return redirect(
            url_for("campaigns.households", campaign_id=campaign.id, page=request.args.get("page"))
        )

    return run_step(
        lambda: operations.mark_informed(
            campaign,
            household_id,
            form.method.data or "",
            area=area,
            by=auth.person_required(),
            now=auth.now(),
        ),
        form=form,
        refused=lambda message: _households_page(campaign, area, message, 422),
        done=done,
    )


def _managed(campaign_id: int) -> tuple[Campaign, Area]:
    campaign, area = _campaign(campaign_id)
    if not _manages(campaign.community_id):
        abort(404)
    return campaign, area


@bp.post("/<int:campaign_id>/sms")
@auth.permission_required(Permission.BROADCAST)
def send_sms(campaign_id: int) -> Any:
    campaign, area = _managed(campaign_id)

    def confirm(n: int, changed: bool) -> Any:
        return render_template(
            "work_orders/confirm.html",
            heading=_("Send the campaign's SMS?"),
            lines=[
                (
                    _("SMS"),
                    operations.sms_text(campaign.community_id, campaign.title, campaign.summary),
                )
            ],
            reach=_("Residents who will receive it: %(n)d.", n=n),
            count=n,
            changed=changed,
            kept=kept_fields(),
            action=url_for("campaigns.send_sms", campaign_id=campaign.id),
            confirm_label=_("Send (%(n)d residents)", n=n),
            editable=False,
            back_url=url_for("campaigns.detail", campaign_id=campaign.id),
        )

    def done(n: int) -> Any:
        flash(
            _(
                "SMS queued for %(n)d residents. In quiet hours it waits until the morning; "
                "a reply of 1 marks the household told.",
                n=n,
            )
        )
        return redirect(url_for("campaigns.detail", campaign_id=campaign.id))

    return two_steps(
        count=lambda: campaign_sms.check_sms(campaign),
        act=lambda: campaign_sms.request_sms(campaign, by=auth.person_required(), now=auth.now()),
        confirm=confirm,
        refused=lambda message: _detail(campaign, area, message, 422),
        done=done,
    )


@bp.post("/<int:campaign_id>/attachment")
@auth.permission_required(Permission.BROADCAST)
def attach(campaign_id: int) -> Any:
    campaign, area = _managed(campaign_id)

    def step() -> Any:
        upload = request.files.get("attachment")
        if upload is None or not upload.filename:
            raise InvalidInput(_("Choose the policy's PDF or picture first."))
        return operations.attach(campaign, upload, by=auth.person_required(), now=auth.now())

    def done(_attachment: Any) -> Any:
        flash(_("Attachment saved."))
        return redirect(url_for("campaigns.detail", campaign_id=campaign.id))

    return run_step(step, refused=lambda message: _detail(campaign, area, message, 422), done=done)


@bp.post("/<int:campaign_id>/close")
@auth.permission_required(Permission.BROADCAST)
def close(campaign_id: int) -> Any:
    campaign, area = _managed(campaign_id)

    def done(_c: Any) -> Any:
        flash(_("Campaign closed."))
        return redirect(url_for("campaigns.detail", campaign_id=campaign.id))

    return run_step(
        lambda: operations.close(campaign, by=auth.person_required(), now=auth.now()),
        refused=lambda message: _detail(campaign, area, message, 422),
        done=done,
    )


# -- what residents (and everyone who may see the campaign) open ---------------------------


def _readable(campaign_id: int) -> Campaign:
    """A campaign the signed-in person may read: theirs to tell, or their household's."""
    person = auth.person_required()
    area = queries.area_of(person, auth.today())
    if not area.is_empty:
        try:
            return queries.get_visible(area, campaign_id)
        except NotFound:
            pass
    try:
        return queries.get_for_resident(person, campaign_id)
    except NotFound:
        abort(404)


@bp.get("/<int:campaign_id>/attachment")
def attachment(campaign_id: int) -> Any:
    campaign = _readable(campaign_id)
    if campaign.attachment_id is None:
        abort(404)
    found = db.session.get(CampaignAttachment, campaign.attachment_id)
    if found is None:
        abort(404)
    response = Response(found.data, mimetype=found.content_type)
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    is_pdf = found.content_type == "application/pdf"
    # A PDF is downloaded, never rendered inside the app's origin.
    disposition = "attachment" if is_pdf else "inline"
    extension = "pdf" if is_pdf else found.content_type.rsplit("/", 1)[-1]
    response.headers["Content-Disposition"] = (
        f'{disposition}; filename="campaign-{campaign.id}.{extension}"'
    )
    return response


@bp.get("/policies")
def policies() -> Any:
    """The campaigns concerning the signed-in resident's household."""
    return render_template(
        "campaigns/policies.html", campaigns=queries.for_resident(auth.person_required())
    )


@bp.get("/policies/<int:campaign_id>")
def policy(campaign_id: int) -> Any:
    """A policy's full text, for anyone who may read it (a resident it concerns above all)."""
    return render_template("campaigns/read.html", campaign=_readable(campaign_id))
