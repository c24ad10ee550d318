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
from models.people import CustomRole, PartnerUnit, Person, Post, Resident, RolePermissions
from models.places import Building, Community, Grid, Household
from models.roles import Permission, Role, Scope
from models.visits import (
    Decision,
    HouseholdMonth,
    Need,
    NeedEvent,
    NeedSource,
    NeedStatus,
    Visit,
    VisitConversation,
    VisitReminder,
    VisitSettings,
)
from models.wishes import Photo, Wish, WishEvent, WishStatus
from models.work_groups import GridRobot
from models.work_orders import (
    Broadcast,
    BroadcastKind,
    BroadcastRecipient,
    BroadcastStatus,
    OrderStatus,
    WorkOrder,
    WorkOrderClaim,
    WorkOrderEvent,
    WorkOrderReminder,
)

__all__ = [
    "AuditEntry",
    "Broadcast",
    "BroadcastKind",
    "BroadcastRecipient",
    "BroadcastStatus",
    "Building",
    "Community",
    "CustomRole",
    "Decision",
    "Delivery",
    "DeliveryState",
    "DevInboxMessage",
    "Grid",
    "GridRobot",
    "Household",
    "HouseholdMonth",
    "InboundMessage",
    "InboxItem",
    "Need",
    "NeedEvent",
    "NeedSource",
    "NeedStatus",
    "OrderStatus",
    "PartnerUnit",
    "Permission",
    "Person",
    "Photo",
    "Post",
    "Resident",
    "Role",
    "RolePermissions",
    "Scope",
    "SignInCode",
    "SmsOptOut",
    "TelegramLink",
    "TelegramUpdate",
    "UserSession",
    "Visit",
    "VisitConversation",
    "VisitReminder",
    "VisitSettings",
    "Wish",
    "WishEvent",
    "WishStatus",
    "WorkOrder",
    "WorkOrderClaim",
    "WorkOrderEvent",
    "WorkOrderReminder",
    "db",
    "utcnow",
]
