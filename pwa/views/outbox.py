"""The outbox pages for staff: every delivery and its state, retries, inbound texts, previews."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import Community, Delivery, DeliveryState, Grid, InboundMessage, Resident, db
from models.roles import Permission
from notify import inbound as inbound_texts
from notify import kind_titles, mainland
from notify.channels import channel_label
from notify.dispatch import Settings
from pwa import audit_reads, auth, errors, i18n
from pwa.forms.messages import (
    FILTERS,
    RetryAllForm,
    RetryForm,
    SmsProviderForm,
    TemplateCodeForm,
)
from pwa.rendering import render
from pwa.steps import run_step
from pwa.views import sms
from pwa.views.secretary.blueprint import current_community
from services import phones
from services.messages import outbox as outbox_admin
from services.messages import reasons as delivery_reasons
from services.messages import sms_templates

bp = Blueprint("outbox", __name__, url_prefix="/secretary/outbox")
bp.before_request(auth.require_staff)
bp.before_request(auth.require_permission(Permission.MANAGE_ROSTER))

# 25 rows: a page a phone scrolls through, and half the work of 50 under a crowd.
PER_PAGE = 25
# States shown with a warning colour: something did not reach the person.
WARN_STATES = {DeliveryState.FAILED, DeliveryState.UNDELIVERED, DeliveryState.SUPPRESSED}


def _state_filter() -> tuple[str, str | None]:
    """Return the chosen filter and, for a value nobody offered, a message saying so."""
    state = request.values.get("state", "all") or "all"
    if state not in FILTERS:
        return "all", _("There is no state “%(state)s”: showing all messages.", state=state[:20])
    return state, None


def _page() -> int:
    return max(request.values.get("page", 1, type=int) or 1, 1)


def _recipient_labels(rows: list[Any]) -> dict[int, str]:
    """Return who each delivery went to: a name when we know one, else the masked address."""
    resident_ids = {d.resident_id for d in rows if d.resident_id is not None}
    residents: dict[int, str] = {}
    if resident_ids:
        # Two columns, not whole residents: a page of names is all the row shows.
        found = db.session.execute(
            select(Resident.id, Resident.name).where(Resident.id.in_(resident_ids))
        )
        residents = {rid: name for rid, name in found}
    group_ids = {int(d.recipient_key[1:]) for d in rows if d.channel == "wecom"}
    groups: dict[int, str] = {}
    if group_ids:
        found_grids = db.session.execute(select(Grid.id, Grid.name).where(Grid.id.in_(group_ids)))
        groups = {gid: _("Work group of %(grid)s", grid=name) for gid, name in found_grids}
    labels: dict[int, str] = {}
    for d in rows:
        if d.channel == "wecom":
            labels[d.id] = groups.get(int(d.recipient_key[1:]), "—")
        elif d.person_name is not None:  # rows of outbox_admin.page_rows
            labels[d.id] = d.person_name
        elif d.resident_id in residents:
            labels[d.id] = residents[d.resident_id]
        elif d.recipient_key.startswith("a"):
            labels[d.id] = phones.mask(d.recipient_key[1:])
        else:
            labels[d.id] = phones.mask(d.address)
    return labels


@dataclass(frozen=True)
class Row:
    """A delivery as its row shows it: every word made in the view, once per distinct value."""

    id: int
    state: str
    when: str
    to: str
    address: str  # the masked number an SMS went to, when the name shown is not it
    channel: str
    badge: str  # the state's name, or when a held message goes
    goes: str  # ISO time a held message goes (app.js counts down to it), or ""
    warn: bool
    uncertain: bool
    segments: int | None
    kind: str
    ref: str
    reason: str
    retry: bool


def _rows(
    rows: list[Any], recipients: dict[int, str], states: dict[str, str], now: datetime
) -> list[Row]:
    # Labels depend only on the code within a request: each made once per page, not per row.
    kinds: dict[str, str] = {}
    channels: dict[str, str] = {}
    # Held rows show when they go to the minute, and a released batch shares its minutes.
    goes: dict[datetime, str] = {}
    out = []
    for d in rows:
        state = str(d.state)
        to = recipients[d.id]
        address = ""
        if d.channel == "sms" and d.address:
            masked = phones.mask(d.address)
            address = masked if masked != to else ""
        held = state == DeliveryState.DEFERRED and d.not_before is not None
        warn = state in WARN_STATES
        if d.kind not in kinds:
            kinds[d.kind] = kind_titles.title(d.kind)
        if d.channel and d.channel not in channels:
            channels[d.channel] = channel_label(d.channel)
        badge = states.get(state, state)
        if held:
            minute = d.not_before.replace(second=0, microsecond=0)
            if minute not in goes:
                goes[minute] = outbox_admin.goes_at(minute, now)
            badge = goes[minute]
        out.append(
            Row(
                id=d.id,
                state=state,
                when=i18n.local_time(d.created_at, "MM-dd HH:mm"),
                to=to,
                address=address,
                channel=channels[d.channel] if d.channel else "—",
                badge=badge,
                goes=d.not_before.isoformat() if held else "",
                warn=warn and not held,
                uncertain=bool(d.uncertain),
                segments=d.segments,
                kind=kinds[d.kind],
                ref=d.ref or "",
                reason=(
                    delivery_reasons.shown(d.error_code, d.error_reason, d.kind)
                    if warn and d.error_reason
                    else ""
                ),
                retry=state in outbox_admin.RETRYABLE,
            )
        )
    return out


@bp.get("")
def deliveries() -> Any:
    community = current_community()
    now = auth.now()
    state, error = _state_filter()
    page = _page()
    counts = outbox_admin.counts(community.id)
    # Over the cap the total is "more than": the pages are then counted no further.
    total = sum(counts[s] for s in outbox_admin.STATES) if state == "all" else counts[state]
    capped = outbox_admin.beyond_cap(total)
    rows = outbox_admin.page_rows(
        community.id,
        None if state == "all" else state,
        offset=(page - 1) * PER_PAGE,
        limit=PER_PAGE + 1,
    )
    has_more, rows = len(rows) > PER_PAGE, rows[:PER_PAGE]
    labels = outbox_admin.state_labels()
    retryable = counts[DeliveryState.FAILED] + counts[DeliveryState.UNDELIVERED]
    audit_reads.note(
        community.id,
        "outbox",
        residents=[d.resident_id for d in rows if d.resident_id is not None],
        detail=f"outbox state={state} page={page} deliveries=" + ",".join(str(d.id) for d in rows),
    )
    return render(
        "secretary/outbox.html",
        "deliveries",
        community=community,
        state=state,
        error=error,
        page=page,
        pages=None if capped else max(1, -(-total // PER_PAGE)),
        has_more=has_more,
        total=total,
        capped=capped,
        cap=outbox_admin.COUNT_CAP,
        counts={
            name: f"{outbox_admin.COUNT_CAP}+" if outbox_admin.beyond_cap(n) else str(n)
            for name, n in counts.items()
        },
        filters=FILTERS,
        labels=labels,
        rows=_rows(rows, _recipient_labels(rows), labels, now),
        can_retry_all=retryable > 0
        and state in ("all", outbox_admin.UNCERTAIN, *outbox_admin.RETRYABLE),
        retry_limit=outbox_admin.RETRY_ALL_LIMIT,
        retried=request.args.get("retried", type=int),
        skipped=request.args.get("skipped", type=int),
    )


def _delivery_in_area(delivery_id: int) -> Delivery:
    """Return the delivery if it belongs to one of the staff member's communities, else 404."""
    delivery = db.session.scalar(
        select(Delivery).where(
            Delivery.id == delivery_id,
            Delivery.community_id.in_(auth.current_area().community_ids),
        )
    )
    if delivery is None:
        abort(404)
    return delivery


def _back(community_id: int | None, form: RetryForm, **extra: Any) -> Any:
    state = form.state.known()
    page = form.page.data
    return redirect(
        url_for(
            "outbox.deliveries",
            community=community_id,
            state=None if state == "all" else state,
            page=page if page > 1 else None,
            **extra,
        )
    )


@bp.post("/<int:delivery_id>/retry")
def retry(delivery_id: int) -> Any:
    delivery = _delivery_in_area(delivery_id)
    form = RetryForm()
    return run_step(
        lambda: outbox_admin.retry(delivery, by=auth.person_required(), now=auth.now()),
        form=form,
        refused=errors.refusal,
        done=lambda _retried: _back(delivery.community_id, form, retried=1),
    )


@bp.post("/retry-all")
def retry_all() -> Any:
    community = current_community()
    form = RetryAllForm()
    return run_step(
        lambda: outbox_admin.retry_all(
            community.id, form.chosen(), by=auth.person_required(), now=auth.now()
        ),
        form=form,
        refused=errors.refusal,
        done=lambda report: redirect(
            url_for(
                "outbox.deliveries",
                community=community.id,
                state=form.chosen(),
                retried=report.retried,
                skipped=report.skipped or None,
            )
        ),
    )


@bp.get("/inbound")
def inbound() -> Any:
    community = current_community()
    page = _page()
    rows = list(
        db.session.scalars(
            select(InboundMessage)
            # Each community's staff see the texts that came to it: to its own number, or from
            # someone on its roster. A stranger's text to no community's number belongs to none
            # and is shown to no community's staff (street administrators see it: /admin/texts).
            .where(InboundMessage.community_id == community.id)
            .options(selectinload(InboundMessage.person))
            .order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc())
            .offset((page - 1) * PER_PAGE)
            .limit(PER_PAGE + 1)
        )
    )
    audit_reads.note(
        community.id,
        "inbound",
        detail=f"inbound page={page} texts=" + ",".join(str(m.id) for m in rows[:PER_PAGE]),
    )
    return render_template(
        "secretary/inbound.html",
        community=community,
        rows=rows[:PER_PAGE],
        has_more=len(rows) > PER_PAGE,
        page=page,
        mask=phones.mask,
        strangers=inbound_texts.strangers(rows[:PER_PAGE]),
    )


@bp.get("/kinds")
def kinds() -> Any:
    community = current_community()
    signature = community.sms_signature or Settings.from_config(current_app.config).signature
    return render_template(
        "secretary/message_kinds.html",
        community=community,
        signature=signature,
        kinds=outbox_admin.previews(signature),
        price=float(current_app.config.get("SMS_PRICE_PER_SEGMENT", 0) or 0),
        reasonable=outbox_admin.REASONABLE_SMS_CHARS,
        money=sms.money,
    )


def _templates_page(
    community: Community, provider: str, error: str | None, form: TemplateCodeForm | None = None
) -> Any:
    signature = community.sms_signature or Settings.from_config(current_app.config).signature
    return render_template(
        "secretary/sms_templates.html",
        community=community,
        provider=provider,
        providers=sms_templates.PROVIDERS,
        chosen=community.sms_provider or current_app.config.get("SMS_PROVIDER", "twilio"),
        sign_name=mainland.sign_name(signature),
        rows=sms_templates.rows(community.id, provider),
        error=error,
        failed_kind=form.kind.data if form is not None and error else None,
        failed_code=form.code.data if form is not None and error else "",
        saved=request.args.get("saved"),
        max_chars=mainland.MAX_PARAM_CHARS,
        names={
            "twilio": _("Twilio"),
            "alibaba": _("Alibaba Cloud SMS"),
            "tencent": _("Tencent Cloud SMS"),
        },
        templated=sorted(mainland.TEMPLATED),
        example=mainland.CODE_EXAMPLES[provider],
    ), (422 if error else 200)


def _template_provider(community: Community) -> str:
    """The template provider the page is about: ?provider=, else the community's, else Alibaba."""
    wanted = request.values.get("provider") or community.sms_provider or ""
    return wanted if wanted in mainland.TEMPLATED else "alibaba"


@bp.route("/templates", methods=["GET", "POST"])
def sms_template_codes() -> Any:
    """Each kind's template in the provider's form, to submit; the approved codes, to record."""
    community = current_community()
    provider = _template_provider(community)
    if request.method == "GET":
        return _templates_page(community, provider, None)
    form = TemplateCodeForm()
    return run_step(
        lambda: sms_templates.set_code(
            community,
            provider=provider,
            kind=form.kind.data or "",
            code=form.code.data or "",
            by=auth.person_required(),
        ),
        form=form,
        refused=lambda message: _templates_page(community, provider, message, form),
        done=lambda row: redirect(
            url_for(
                "outbox.sms_template_codes",
                community=community.id,
                provider=provider,
                saved=row.kind,
            )
            + f"#kind-{row.kind}"
        ),
    )


@bp.post("/provider")
def sms_provider() -> Any:
    """Choose the provider that sends this community's SMS."""
    community = current_community()
    form = SmsProviderForm()
    return run_step(
        lambda: sms_templates.set_provider(
            community, form.provider.data or "", by=auth.person_required()
        ),
        form=form,
        refused=lambda message: _templates_page(community, _template_provider(community), message),
        done=lambda c: redirect(
            url_for("outbox.sms_template_codes", community=community.id, provider=c.sms_provider)
        ),
    )
