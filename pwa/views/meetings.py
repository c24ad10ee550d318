"""Meetings: the secretary and grid leaders call them, take attendance at the door, write the
minutes and turn suggestions into needs or work orders; invitees answer in my_meetings."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import or_, select

from models import (
    Community,
    Grid,
    Meeting,
    MeetingInvitee,
    MeetingSuggestion,
    PartnerUnit,
    Resident,
    db,
)
from models.meetings import MeetingKind
from models.roles import Permission, Role
from pwa import audit_reads, auth
from pwa.confirming import kept_fields, two_steps
from pwa.forms.meetings import (
    ConvertForm,
    InviteesForm,
    MeetingForm,
    MinutesForm,
    SuggestionForm,
    WalkInForm,
)
from pwa.rendering import render
from pwa.steps import run_step
from pwa.views.audiences import audience_lines, scope
from pwa.views.meeting_names import duration_names, helpers, kind_names
from services.errors import DomainError
from services.meetings import attendance, queries
from services.meetings import minutes as meeting_minutes
from services.meetings import operations as meetings
from services.meetings.operations import Invitees
from services.roster import posts
from services.roster.areas import visible_residents
from services.work_orders.audiences import pickable_people

bp = Blueprint("meetings", __name__, url_prefix="/meetings")
bp.before_request(auth.require_roles({Role.SECRETARY, Role.STAFF, Role.GRID_LEADER}))
bp.before_request(auth.require_permission(Permission.HOLD_MEETINGS))

SEARCH_LIMIT = 20


def _managed(meeting_id: int) -> Meeting:
    try:
        return queries.get_managed(auth.current_area(), meeting_id)
    except DomainError:
        abort(404)


def _note_read(meeting: Meeting, what: str) -> None:
    """A meeting's page names its invitees, residents among them."""
    audit_reads.note(
        meeting.community_id,
        "meeting",
        subject_id=meeting.id,
        residents=sorted(
            {i.resident_id for i in meeting.invitees if i.resident_id is not None}
            | {s.resident_id for s in meeting.suggestions if s.resident_id is not None}
        ),
        detail=what,
    )


# -- the list and calling a meeting -----------------------------------------------------------


@bp.get("")
def meeting_list() -> Any:
    community, grid = scope()
    area = auth.current_area()
    now = auth.now()
    return render(
        "meetings/list.html",
        None,
        community=community,
        grid=grid,
        upcoming=queries.list_meetings(area, upcoming=True, now=now),
        past=queries.list_meetings(area, upcoming=False, now=now, limit=50),
        tally=queries.tally,
        **helpers(),
    )


def _picked_residents(ids: list[str]) -> list[Resident]:
    wanted = [int(i) for i in ids if str(i).isdigit()]
    if not wanted:
        return []
    return list(
        db.session.scalars(
            visible_residents(auth.current_area()).where(Resident.id.in_(wanted)).limit(200)
        )
    )


def _count_text(n: int) -> str:
    return _("Invitees: %(n)d.", n=n)


def _reach(community: Community, grid: Grid | None, form: InviteesForm | None) -> dict[str, Any]:
    if form is None:
        return {"count": 0, "text": _("Choose whom to invite: posts, partner units or residents.")}
    if not form.validate():
        return {"error": form.first_error()}
    try:
        found = meetings.invited(community, grid, form.invitees(), auth.today())
    except DomainError as error:
        return {"error": error.message}
    if not found.count:
        return {"error": _("Nobody serves in the posts you chose yet.")}
    return {"count": found.count, "text": _count_text(found.count)}


def _form(error: str | None, status: int) -> Any:
    community, grid = scope()
    form = request.form
    units = db.session.scalars(
        select(PartnerUnit)
        .where(PartnerUnit.community_id == community.id, PartnerUnit.taking_part())
        .order_by(PartnerUnit.name)
    ).all()
    grids = db.session.scalars(
        select(Grid)
        .where(Grid.community_id == community.id, Grid.id == grid.id if grid else Grid.id > 0)
        .order_by(Grid.number)
    ).all()
    kinds = kind_names()
    if grid is not None:
        kinds.pop(MeetingKind.QUARTERLY)
    picked = _picked_residents(form.getlist("residents"))
    if picked:
        audit_reads.listing("meeting_residents", residents=picked, detail="meeting invitees")
    return render_template(
        "meetings/form.html",
        community=community,
        grid=grid,
        form=form,
        error=error,
        kinds=kinds,
        durations=duration_names(),
        grids=grids,
        roles=posts.roles_for(community.id),
        units=units,
        people=pickable_people(community.id, auth.today(), grid.id if grid else None),
        picked=picked,
        reach=_reach(community, grid, InviteesForm() if request.method == "POST" else None),
    ), status


@bp.get("/new")
def new_meeting() -> Any:
    return _form(None, 200)


@bp.get("/reach")
def reach() -> Any:
    community, grid = scope()
    form = InviteesForm(formdata=request.args)
    response = make_response(
        render_template("meetings/_reach.html", reach=_reach(community, grid, form))
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/residents")
def find_residents() -> Any:
    """Residents of the caller's area whose name, phone or room matches (a picker fragment)."""
    q = " ".join(str(request.args.get("q", "")).split())[:30]
    found: list[Resident] = []
    if q:
        like = f"%{q}%"
        found = list(
            db.session.scalars(
                visible_residents(auth.current_area())
                .where(or_(Resident.name.like(like), Resident.phone.like(like)))
                .order_by(Resident.name, Resident.id)
                .limit(SEARCH_LIMIT)
            )
        )
        if found:
            audit_reads.listing(
                "meeting_residents", residents=found, detail=f"meeting resident search q={q}"
            )
    response = make_response(
        render_template(
            "meetings/_residents.html",
            found=found,
            q=q,
            field=request.args.get("field", "residents"),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/new")
def call_meeting() -> Any:
    community, grid = scope()
    if request.form.get("edit"):
        return _form(None, 200)
    form = MeetingForm()

    def fields() -> dict[str, Any]:
        assert form.starts_at.data is not None
        return {
            "kind": form.kind.data,
            "title": form.title.data,
            "starts_at": form.starts_at.data,
            "duration_minutes": form.minutes(),
            "place": form.place.data,
            "agenda": form.agenda.data,
            "invitees": form.invitees(),
            "now": auth.now(),
            "today": auth.today(),
            "grid": grid,
        }

    def count() -> int:
        return meetings.check_meeting(community, **fields()).count

    def confirm(n: int, changed: bool) -> Any:
        values = fields()
        invitees: Invitees = values["invitees"]
        lines = [
            (_("Kind"), kind_names()[values["kind"]]),
            (_("Title"), values["title"]),
            (_("When"), values["starts_at"].strftime("%Y-%m-%d %H:%M")),
            (_("How long"), duration_names().get(values["duration_minutes"], "")),
            (_("Place"), values["place"]),
            *audience_lines(community, invitees.audience),
        ]
        if invitees.partner_units:
            names = db.session.scalars(
                select(PartnerUnit.name).where(PartnerUnit.id.in_(invitees.partner_units))
            ).all()
            lines.append((_("Partner units (their contact)"), "、".join(names)))
        if invitees.residents:
            lines.append((_("Residents"), str(len(invitees.residents))))
        return render_template(
            "work_orders/confirm.html",
            heading=_("Send the invitations?"),
            lines=lines,
            reach=_count_text(n),
            count=n,
            changed=changed,
            kept=kept_fields(),
            action=url_for("meetings.call_meeting"),
            confirm_label=_("Invite (%(n)d)", n=n),
            editable=True,
        )

    def called(meeting: Meeting) -> Any:
        flash(_("Meeting called; invitations sent: %(n)d.", n=len(meeting.invitees)))
        return redirect(url_for("meetings.detail", meeting_id=meeting.id))

    return two_steps(
        form=form,
        count=count,
        act=lambda: meetings.call_meeting(community, by=auth.person_required(), **fields()),
        confirm=confirm,
        refused=lambda message: _form(message, 422),
        done=called,
    )


# -- one meeting ------------------------------------------------------------------------------


def _detail(meeting: Meeting, error: str | None = None, status: int = 200) -> Any:
    return render_template(
        "meetings/detail.html",
        meeting=meeting,
        tally=queries.tally(meeting),
        events=queries.history(meeting),
        residents={
            r.id: r
            for r in db.session.scalars(
                select(Resident).where(
                    Resident.id.in_({s.resident_id for s in meeting.suggestions if s.resident_id})
                )
            )
        },
        started=meeting.starts_at <= auth.now(),
        error=error,
        form=request.form,
        **helpers(),
    ), status


@bp.get("/<int:meeting_id>")
def detail(meeting_id: int) -> Any:
    meeting = _managed(meeting_id)
    _note_read(meeting, "meeting")
    return _detail(meeting)


def _door(meeting: Meeting, error: str | None = None, status: int = 200) -> Any:
    q = " ".join(str(request.args.get("q", "")).split())[:30]
    found: list[Resident] = []
    if q:
        like = f"%{q}%"
        found = list(
            db.session.scalars(
                visible_residents(auth.current_area())
                .where(or_(Resident.name.like(like), Resident.phone.like(like)))
                .order_by(Resident.name, Resident.id)
                .limit(SEARCH_LIMIT)
            )
        )
    return render(
        "meetings/door.html",
        "door",
        meeting=meeting,
        invitees=meeting.invitees,
        tally=queries.tally(meeting),
        q=q,
        found=found,
        error=error,
        form=request.form,
        **helpers(),
    ), status


@bp.get("/<int:meeting_id>/door")
def door(meeting_id: int) -> Any:
    meeting = _managed(meeting_id)
    _note_read(meeting, "meeting attendance")
    return _door(meeting)


@bp.post("/<int:meeting_id>/invitees/<int:invitee_id>/<any(present, absent):mark>")
def mark(meeting_id: int, invitee_id: int, mark: str) -> Any:
    meeting = _managed(meeting_id)
    try:
        invitee = queries.get_invitee(meeting, invitee_id)
    except DomainError:
        abort(404)
    person = auth.person_required()

    def step() -> MeetingInvitee:
        return attendance.mark(
            meeting, invitee, present=mark == "present", by=person, now=auth.now()
        )

    def done(_row: MeetingInvitee) -> Any:
        if request.headers.get("HX-Request"):
            return _door(_managed(meeting_id))
        return redirect(url_for("meetings.door", meeting_id=meeting.id))

    return run_step(
        step, refused=lambda message: _door(_managed(meeting_id), message, 422), done=done
    )


@bp.post("/<int:meeting_id>/walk-in")
def walk_in(meeting_id: int) -> Any:
    meeting = _managed(meeting_id)
    form = WalkInForm()
    person = auth.person_required()

    def step() -> MeetingInvitee:
        resident = None
        if form.resident.data is not None:
            resident = db.session.scalar(
                visible_residents(auth.current_area()).where(Resident.id == form.resident.data)
            )
            if resident is None:
                raise DomainError(_("That resident is not in your area."))
        return attendance.walk_in(
            meeting, by=person, now=auth.now(), resident=resident, name=form.name.data or ""
        )

    def done(row: MeetingInvitee) -> Any:
        flash(_("%(name)s is marked present.", name=row.name))
        return redirect(url_for("meetings.door", meeting_id=meeting.id))

    return run_step(
        step,
        form=form,
        refused=lambda message: _door(_managed(meeting_id), message, 422),
        done=done,
    )


@bp.post("/<int:meeting_id>/minutes")
def minutes(meeting_id: int) -> Any:
    meeting = _managed(meeting_id)
    form = MinutesForm()

    def done(_m: Meeting) -> Any:
        flash(_("Minutes saved."))
        return redirect(url_for("meetings.detail", meeting_id=meeting.id))

    return run_step(
        lambda: meeting_minutes.save_minutes(
            meeting,
            minutes=form.minutes.data,
            decisions=form.decisions.data,
            by=auth.person_required(),
            now=auth.now(),
        ),
        form=form,
        refused=lambda message: _detail(_managed(meeting_id), message, 422),
        done=done,
    )


@bp.post("/<int:meeting_id>/suggestions")
def suggest(meeting_id: int) -> Any:
    meeting = _managed(meeting_id)
    form = SuggestionForm()

    def step() -> MeetingSuggestion:
        resident = None
        if form.resident.data is not None:
            resident = db.session.scalar(
                visible_residents(auth.current_area()).where(Resident.id == form.resident.data)
            )
            if resident is None:
                raise DomainError(_("That resident is not in your area."))
        return meeting_minutes.add_suggestion(
            meeting,
            text=form.text.data,
            resident=resident,
            by=auth.person_required(),
            now=auth.now(),
        )

    def done(_s: MeetingSuggestion) -> Any:
        flash(_("Suggestion noted."))
        return redirect(url_for("meetings.detail", meeting_id=meeting.id) + "#suggestions")

    return run_step(
        step,
        form=form,
        refused=lambda message: _detail(_managed(meeting_id), message, 422),
        done=done,
    )


@bp.post("/<int:meeting_id>/suggestions/<int:suggestion_id>/<any(need, order):to>")
def convert(meeting_id: int, suggestion_id: int, to: str) -> Any:
    meeting = _managed(meeting_id)
    suggestion = db.session.get(MeetingSuggestion, suggestion_id)
    if suggestion is None or suggestion.meeting_id != meeting.id:
        abort(404)
    form = ConvertForm()
    person = auth.person_required()

    def step() -> str:
        if to == "need":
            return str(
                meeting_minutes.to_need(
                    suggestion, category=form.category.data, by=person, now=auth.now()
                ).ref
            )
        return meeting_minutes.to_work_order(
            suggestion, category=form.category.data, by=person, now=auth.now(), today=auth.today()
        )

    def done(ref: str) -> Any:
        if to == "need":
            flash(_("Suggestion put on the needs list as %(ref)s.", ref=ref))
        else:
            flash(_("Suggestion made work order %(ref)s.", ref=ref))
        return redirect(url_for("meetings.detail", meeting_id=meeting.id) + "#suggestions")

    return run_step(
        step,
        form=form,
        refused=lambda message: _detail(_managed(meeting_id), message, 422),
        done=done,
    )
