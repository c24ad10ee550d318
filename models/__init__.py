"""Typed SQLAlchemy models, one module per area."""

from models.access import AuditEntry, DevInboxMessage, SignInCode, UserSession
from models.base import db, utcnow
from models.people import CustomRole, PartnerUnit, Person, Post, Resident
from models.places import Building, Community, Grid, Household
from models.roles import Role, Scope

__all__ = [
    "AuditEntry",
    "Building",
    "Community",
    "CustomRole",
    "DevInboxMessage",
    "Grid",
    "Household",
    "PartnerUnit",
    "Person",
    "Post",
    "Resident",
    "Role",
    "Scope",
    "SignInCode",
    "UserSession",
    "db",
    "utcnow",
]
