"""Custom roles and what each role may do."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from models import Community
from models.roles import Permission, Role
from pwa import auth
from pwa.forms.roster import CustomRoleForm, RolePermissionsForm
from pwa.steps import run_step
from pwa.views.secretary.blueprint import bp, current_community
from services.roster import permissions as role_permissions
from services.roster import posts


def _roles_page(
    community: Community, error: str | None, *, role: str = "", role_error: str | None = None
) -> Any:
    roles = posts.roles_for(community.id)
    return render_template(
        "secretary/roles.html",
        community=community,
        roles=roles,
        form=request.form,
        error=error,
        permissions=list(Permission),
        permission_names=role_permissions.PERMISSION_NAMES,
        granted=role_permissions.of_roles(community.id, [code for code, _name in roles]),
        is_fixed=role_permissions.is_fixed,
        may_edit=_is_secretary_of(community),
        error_role=role,
        role_error=role_error,
    ), (422 if error or role_error else 200)


def _is_secretary_of(community: Community) -> bool:
    return any(
        post.role == Role.SECRETARY and post.community_id == community.id
        for post in auth.person_required().active_posts(auth.today())
    )


@bp.post("/roles/<role>/permissions")
@auth.permission_required(Permission.MANAGE_ROSTER)
def role_permissions_change(role: str) -> Any:
    """The secretary sets what a role may see or do in the community."""
    community = current_community()
    if not _is_secretary_of(community) or role not in dict(posts.roles_for(community.id)):
        abort(404)
    form = RolePermissionsForm()
    return run_step(
        lambda: role_permissions.set_for_role(
            community.id, role, form.permissions.data, by=auth.person_required()
        ),
        refused=lambda message: _roles_page(community, None, role=role, role_error=message),
        done=lambda _row: _saved_permissions(community, role),
        form=form,
    )


def _saved_permissions(community: Community, role: str) -> Any:
    flash(
        _(
            "Saved what %(role)s may see and do.",
            role=posts.role_name(role, community.id),
        )
    )
    return redirect(
        url_for("secretary.custom_roles", community=community.id, _anchor=f"role-{role}")
    )


def _defined_role(community: Community, name: str) -> Any:
    flash(_("Added the post %(name)s.", name=name))
    return redirect(url_for("secretary.custom_roles", community=community.id))


@bp.route("/roles", methods=["GET", "POST"])
@auth.permission_required(Permission.MANAGE_ROSTER)
def custom_roles() -> Any:
    community = current_community()
    if request.method == "GET":
        return _roles_page(community, None)
    form = CustomRoleForm()
    return run_step(
        lambda: posts.define_role(
            community.id,
            code=form.code.data,
            name=form.name.data,
            duties=form.duties.data,
            by=auth.person_required(),
        ),
        refused=lambda message: _roles_page(community, message),
        done=lambda role: _defined_role(community, role.name),
        form=form,
    )
