"""Typed SQLAlchemy models, one module per area."""

from models.access import AuditEntry, DevInboxMessage, SignInCode, UserSession
from models.base import db, utcnow
from models.messages import (
    Delivery,
    DeliveryState,
    InboundMessage,
    InboxItem,
    SmsOptOut,
    TelegramLink,
    TelegramUpdate,
)
from models.people import CustomRole, PartnerUnit, Person, Post, Resident
from models.places import Building, Community, Grid, Household
from models.roles import Role, Scope

__all__ = [
    "AuditEntry",
    "Building",
    "Community",
    "CustomRole",
    "Delivery",
    "DeliveryState",
    "DevInboxMessage",
    "Grid",
    "Household",
    "InboundMessage",
    "InboxItem",
    "PartnerUnit",
    "Person",
    "Post",
    "Resident",
    "Role",
    "Scope",
    "SignInCode",
    "SmsOptOut",
    "TelegramLink",
    "TelegramUpdate",
    "UserSession",
    "db",
    "utcnow",
]
