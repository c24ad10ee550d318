"""Signing in with a phone and a one-time code, and signing out."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for

from pwa import auth
from pwa.extensions import limiter
from pwa.forms.sign_in import CodeForm, PhoneForm
from pwa.redirects import safe_target
from pwa.steps import run_step
from services import phones
from services.errors import DomainError
from services.sign_in import codes as sign_in

bp = Blueprint("auth", __name__)
PENDING_PHONE = "pending_phone"


def _policy() -> sign_in.SignInPolicy:
    cfg = current_app.config
    return sign_in.SignInPolicy(
        secret_key=cfg["SECRET_KEY"],
        code_minutes=cfg["SIGN_IN_CODE_MINUTES"],
        max_tries=cfg["SIGN_IN_CODE_TRIES"],
        phone_limits=tuple(tuple(x) for x in cfg["SIGN_IN_PHONE_LIMITS"]),
    )


def _safe_next(target: str | None) -> str:
    # Only same-site paths, so the sign-in page cannot bounce people to another site.
    return safe_target(target, url_for("public.home"))


def _ip_limit() -> str:
    return str(current_app.config["SIGN_IN_IP_LIMIT"])


@bp.get("/sign-in")
def sign_in_form() -> Any:
    if auth.current_person() is not None:
        return redirect(_safe_next(request.args.get("next")))
    return render_template(
        "auth/sign_in.html", phone="", error=None, next=request.args.get("next", "")
    )


@bp.post("/sign-in")
@limiter.limit(_ip_limit, methods=["POST"])
def send_code() -> Any:
    form = PhoneForm()

    def done(phone: str) -> Any:
        session[PENDING_PHONE] = phone
        return redirect(url_for("auth.code_form", next=safe_target(form.next.data, "") or None))

    return run_step(
        lambda: sign_in.request_code(
            form.phone.data, policy=_policy(), now=auth.now(), ip=request.remote_addr or ""
        ),
        refused=lambda message: (
            render_template(
                "auth/sign_in.html", phone=form.phone.raw, error=message, next=form.next.data
            ),
            422,
        ),
        done=done,
        form=form,
    )


@bp.get("/sign-in/code")
def code_form() -> Any:
    phone = session.get(PENDING_PHONE)
    if not phone:
        return redirect(url_for("auth.sign_in_form"))
    return render_template(
        "auth/code.html", masked=phones.mask(phone), error=None, next=request.args.get("next", "")
    )


@bp.post("/sign-in/code")
@limiter.limit("60/hour", methods=["POST"])
def check_code() -> Any:
    phone = session.get(PENDING_PHONE)
    form = CodeForm()
    if not phone:
        return redirect(url_for("auth.sign_in_form"))

    def refused(message: str) -> Any:
        return render_template(
            "auth/code.html", masked=phones.mask(phone), error=message, next=form.next.data
        ), 422

    def step() -> str | None:
        try:
            person = sign_in.verify_code(phone, form.code.data, policy=_policy(), now=auth.now())
        except DomainError as error:
            # A wrong try must be counted: this refusal is kept (committed), not rolled back.
            return error.message
        auth.sign_in(person)
        return None

    return run_step(
        step,
        refused=refused,
        done=lambda refusal: refused(refusal) if refusal else redirect(_safe_next(form.next.data)),
        form=form,
    )


@bp.post("/sign-out")
def sign_out() -> Any:
    # What the phone kept for the offline round is emptied by the page script before this
    # request (js/app.js). Not by Clear-Site-Data: Chromium sometimes held the redirect after
    # it for over 10 s ("storage"), or for good ("cache").
    return run_step(
        auth.sign_out,
        refused=lambda _message: redirect(url_for("public.index")),
        done=lambda _none: redirect(url_for("public.index")),
    )


@bp.app_context_processor
def _inject() -> dict[str, Any]:
    # `_` comes from pwa.i18n.template_gettext (bound to the rendering's translations).
    return {"current_person": auth.current_person()}
